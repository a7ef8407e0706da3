//! The transcript: every request the double receives and sends, one line each.
//!
//! An append-until-full byte buffer of [`TRANSCRIPT_CAPACITY`] bytes of UTF-8 text.
//! A line is written whole or not at all; the first line that does not fit is
//! replaced by [`FULL_MARKER`] (room for it is kept in reserve) and nothing is
//! written after it. The format is described in the crate documentation.

use core::fmt::{self, Write};

use zerocopy::FromZeros;

use crate::codes::{code_name, status_name};

/// The transcript's size in bytes.
pub const TRANSCRIPT_CAPACITY: usize = 36 * 1024;

/// The last line of a transcript that ran out of room.
pub const FULL_MARKER: &str = "transcript full\n";

/// The transcript buffer.
#[derive(FromZeros)]
pub struct Transcript {
    bytes: [u8; TRANSCRIPT_CAPACITY],
    len: usize,
    full: bool,
}

/// Where a request's sub-lines start: its own line is put there when it completes.
#[derive(Clone, Copy)]
pub struct Mark(usize);

impl Transcript {
    /// The text so far.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// The position the next line will take.
    pub const fn mark(&self) -> Mark {
        Mark(self.len)
    }

    /// Appends one line (`write` writes it without the newline).
    pub fn line(&mut self, write: impl FnOnce(&mut Line<'_>) -> fmt::Result) {
        let _ = self.append(write);
    }

    /// Appends one line and moves it to `mark`, before the lines written since
    /// (a request's own line, written when it completes, goes before the lines of
    /// what it did).
    pub fn line_at(&mut self, mark: Mark, write: impl FnOnce(&mut Line<'_>) -> fmt::Result) {
        if let Some(start) = self.append(write)
            && let Some(span) = self.bytes.get_mut(mark.0..self.len)
            && let Some(line) = self.len.checked_sub(start).filter(|&n| n <= span.len())
        {
            span.rotate_right(line);
        }
    }

    /// Appends a line; its start, or `None` if it did not fit.
    fn append(&mut self, write: impl FnOnce(&mut Line<'_>) -> fmt::Result) -> Option<usize> {
        if self.full {
            return None;
        }
        let start = self.len;
        let limit = TRANSCRIPT_CAPACITY - FULL_MARKER.len();
        let mut line = Line {
            bytes: self.bytes.get_mut(..limit).unwrap_or(&mut []),
            len: start,
        };
        if write(&mut line).and_then(|()| line.write_str("\n")).is_ok() {
            self.len = line.len;
            return Some(start);
        }
        self.full = true;
        let end = start + FULL_MARKER.len();
        if let Some(dst) = self.bytes.get_mut(start..end) {
            dst.copy_from_slice(FULL_MARKER.as_bytes());
            self.len = end;
        }
        None
    }
}

/// A line being written into the transcript's free space.
pub struct Line<'a> {
    bytes: &'a mut [u8],
    len: usize,
}

impl Write for Line<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Displays an `NTSTATUS` as `NAME(0x........)`, or `0x........` for a value the
/// double has no name for.
pub struct Status(pub i32);

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.0.cast_unsigned();
        match status_name(self.0) {
            Some(name) => write!(f, "{name}(0x{hex:08x})"),
            None => write!(f, "0x{hex:08x}"),
        }
    }
}

/// Displays an IOCTL code as its header name, or `0x........`.
pub struct Code(pub u32);

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match code_name(self.0) {
            Some(name) => f.write_str(name),
            None => write!(f, "0x{:08x}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::boxed::Box;
    use std::string::ToString;

    fn text(t: &Transcript) -> &str {
        core::str::from_utf8(t.as_bytes()).unwrap()
    }

    #[test]
    fn request_lines_go_before_their_sub_lines() {
        let mut t = Box::new(Transcript::new_zeroed());
        t.line(|w| w.write_str("first"));
        let mark = t.mark();
        t.line(|w| w.write_str("  sub 1"));
        t.line(|w| w.write_str("  sub 2"));
        t.line_at(mark, |w| write!(w, "request {}", 7));
        assert_eq!(text(&t), "first\nrequest 7\n  sub 1\n  sub 2\n");
    }

    #[test]
    fn a_full_transcript_says_so_once_and_keeps_whole_lines() {
        let mut t: Box<Transcript> = Box::new(Transcript::new_zeroed());
        let line = "x".repeat(99);
        for _ in 0..TRANSCRIPT_CAPACITY {
            t.line(|w| w.write_str(&line));
        }
        let s = text(&t).to_string();
        assert!(s.ends_with(&std::format!("{line}\n{FULL_MARKER}")));
        assert_eq!(s.matches(FULL_MARKER).count(), 1);
        assert!(s.len() <= TRANSCRIPT_CAPACITY);
        assert_eq!((s.len() - FULL_MARKER.len()) % 100, 0);
        let mark = t.mark();
        t.line_at(mark, |w| w.write_str("late"));
        assert_eq!(text(&t), s.as_str());
    }

    #[test]
    fn statuses_and_codes_display_by_name() {
        assert_eq!(Status(0).to_string(), "STATUS_SUCCESS(0x00000000)");
        assert_eq!(Status(0x1234).to_string(), "0x00001234");
        assert_eq!(
            Status(crate::codes::STATUS_BUFFER_OVERFLOW).to_string(),
            "STATUS_BUFFER_OVERFLOW(0x80000005)"
        );
        assert_eq!(Code(0x006D_0008).to_string(), "IOCTL_MOUNTMGR_QUERY_POINTS");
        assert_eq!(Code(0x0022_0000).to_string(), "0x00220000");
    }
}
