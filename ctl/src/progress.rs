//! A one-line progress bar on stderr, drawn only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::units::{fmt_bytes, mb_per_s};

/// Progress of a long byte-moving operation.
pub struct Progress {
    label: String,
    total: u64,
    done: u64,
    start: Instant,
    last: Option<Instant>,
    enabled: bool,
}

impl Progress {
    /// A bar for `total` bytes; drawn only if `want` and stderr is a terminal.
    #[must_use]
    pub fn new(label: &str, total: u64, want: bool) -> Self {
        Self {
            label: label.to_string(),
            total,
            done: 0,
            start: Instant::now(),
            last: None,
            enabled: want && std::io::stderr().is_terminal(),
        }
    }

    /// Adds `n` bytes and redraws at most ten times a second.
    pub fn add(&mut self, n: u64) {
        self.done += n;
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self
            .last
            .is_some_and(|l| now - l < Duration::from_millis(100))
            && self.done < self.total
        {
            return;
        }
        self.last = Some(now);
        let line = render(
            &self.label,
            self.done,
            self.total,
            self.start.elapsed().as_secs_f64(),
        );
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{line}\x1b[K");
        let _ = err.flush();
    }

    /// Clears the line.
    pub fn finish(&mut self) {
        if self.enabled && self.last.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
        self.enabled = false;
    }
}

/// `label [#########           ]  45%  29 MiB / 64 MiB  812 MB/s`
#[must_use]
pub fn render(label: &str, done: u64, total: u64, secs: f64) -> String {
    const WIDTH: u64 = 30;
    let done_c = done.min(total);
    let filled = (done_c * WIDTH).checked_div(total).unwrap_or(WIDTH);
    let pct = (done_c * 100).checked_div(total).unwrap_or(100);
    #[allow(clippy::cast_possible_truncation)]
    let (f, e) = (filled as usize, (WIDTH - filled) as usize);
    format!(
        "{label} [{}{}] {pct:3}%  {} / {}  {:.0} MB/s",
        "#".repeat(f),
        " ".repeat(e),
        fmt_bytes(done),
        fmt_bytes(total),
        mb_per_s(done, secs)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders() {
        let s = render("dump", 32 << 20, 64 << 20, 1.0);
        assert!(
            s.starts_with("dump [###############               ]  50%  32 MiB / 64 MiB  34 MB/s"),
            "{s}"
        );
        assert!(render("x", 0, 0, 0.0).contains("100%"));
        let mut p = Progress::new("t", 10, false);
        p.add(5);
        p.finish();
    }
}
