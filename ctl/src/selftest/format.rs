//! `--format`: how the formats are asked for and what their answers mean, `chkdsk`'s
//! exit code, and the TRIM check.
//!
//! Two ways to format: `fmifs.dll`'s `FormatEx` (what Explorer's format dialog and
//! `format.com` use), whose callback reports packets (`FMIFS_PACKET_TYPE`, from the
//! `fmifs.h` Microsoft published with File Manager), and `format.com` itself, whose
//! prompts are answered on its standard input. Which of the two works without a
//! person on current Windows is a VM-plan item; the tool tries `FormatEx` first.

use std::fmt::Write as _;

use super::{Outcome, win32};

/// `FmIfsPercentCompleted`: `FMIFS_PERCENT_COMPLETE_INFORMATION { ULONG }`.
pub const FM_IFS_PERCENT_COMPLETED: u32 = 0;
/// `FmIfsFormatReport`: `FMIFS_FORMAT_REPORT_INFORMATION { ULONG total KB, ULONG available KB }`.
pub const FM_IFS_FORMAT_REPORT: u32 = 1;
/// `FmIfsInsertDisk`: asks for another disk (answered by stopping).
pub const FM_IFS_INSERT_DISK: u32 = 2;
/// `FmIfsFinished`: `FMIFS_FINISHED_INFORMATION { BOOLEAN Success }`.
pub const FM_IFS_FINISHED: u32 = 11;
/// `FmIfsCheckOnReboot`: `FMIFS_CHECKONREBOOT_INFORMATION { OUT BOOLEAN QueryResult }`.
pub const FM_IFS_CHECK_ON_REBOOT: u32 = 13;
/// `FmIfsTextMessage`: `FMIFS_TEXT_MESSAGE { TEXT_MESSAGE_TYPE, PSTR }`.
pub const FM_IFS_TEXT_MESSAGE: u32 = 14;

/// `FMIFS_PACKET_TYPE` values that report a problem, with their names.
const PROBLEMS: [(u32, &str); 9] = [
    (3, "FmIfsIncompatibleFileSystem"),
    (5, "FmIfsIncompatibleMedia"),
    (6, "FmIfsAccessDenied"),
    (7, "FmIfsMediaWriteProtected"),
    (8, "FmIfsCantLock"),
    (9, "FmIfsCantQuickFormat"),
    (10, "FmIfsIoError"),
    (12, "FmIfsBadLabel"),
    (FM_IFS_INSERT_DISK, "FmIfsInsertDisk"),
];

/// `FmMediaFixed` (`FMIFS_MEDIA_TYPE`): the disk is fixed media.
pub const FM_MEDIA_FIXED: u32 = 12;
/// `FmMediaRemovable`.
pub const FM_MEDIA_REMOVABLE: u32 = 11;

/// The largest volume `--format` formats FAT32: Windows' own formatter offers FAT32
/// only up to 32 GiB.
pub const FAT32_FORMAT_LIMIT: u64 = 32 << 30;

/// `defrag /L`'s exit code for a volume without disk extents
/// (`IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS` fails: the deliberate difference).
pub const DEFRAG_NO_EXTENTS: u32 = 0x8900_002A;

/// What the `FormatEx` callback is given with each packet type, so the Win32 callback
/// knows how to read `PacketData`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketData {
    /// Nothing needed.
    None,
    /// One `ULONG`.
    Ulong,
    /// Two `ULONG`s.
    TwoUlongs,
    /// One `BOOLEAN`.
    Boolean,
    /// A `BOOLEAN` the callback sets (`FmIfsCheckOnReboot`: answered FALSE).
    BooleanOut,
    /// `FMIFS_TEXT_MESSAGE`.
    TextMessage,
}

/// What to read for `packet_type`.
#[must_use]
pub const fn packet_data(packet_type: u32) -> PacketData {
    match packet_type {
        FM_IFS_PERCENT_COMPLETED => PacketData::Ulong,
        FM_IFS_FORMAT_REPORT => PacketData::TwoUlongs,
        FM_IFS_FINISHED => PacketData::Boolean,
        FM_IFS_CHECK_ON_REBOOT => PacketData::BooleanOut,
        FM_IFS_TEXT_MESSAGE => PacketData::TextMessage,
        _ => PacketData::None,
    }
}

/// One decoded `FormatEx` callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet {
    /// Percent done.
    Percent(u32),
    /// Kilobytes in all and available.
    Report(u32, u32),
    /// Done, with success or not.
    Finished(bool),
    /// A message for the user.
    Text(String),
    /// Any other packet type.
    Other(u32),
}

/// Collects the packets of one `FormatEx` call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormatWatch {
    finished: Option<bool>,
    report: Option<(u32, u32)>,
    problems: Vec<String>,
    /// Packet types that are neither progress nor a problem (`FmIfsFormattingDestination`,
    /// `FmIfsHiddenStatus`, types newer than fmifs.h): shown, never a failure.
    others: Vec<u32>,
    messages: Vec<String>,
}

impl FormatWatch {
    /// Takes one packet; the return value is the callback's: false stops the format
    /// (a request for another disk).
    pub fn on_packet(&mut self, p: Packet) -> bool {
        match p {
            Packet::Percent(_) => {}
            Packet::Report(total, available) => self.report = Some((total, available)),
            Packet::Finished(ok) => self.finished = Some(ok),
            Packet::Text(t) => {
                let t = t.trim();
                if !t.is_empty() {
                    self.messages.push(t.to_string());
                }
            }
            Packet::Other(t) => match PROBLEMS.iter().find(|(code, _)| *code == t) {
                Some((_, name)) => {
                    self.problems.push((*name).to_string());
                    return t != FM_IFS_INSERT_DISK;
                }
                None if !self.others.contains(&t) => self.others.push(t),
                None => {}
            },
        }
        true
    }

    /// The result once `FormatEx` has returned.
    ///
    /// # Errors
    /// No `FmIfsFinished` packet, one without success, or a problem reported.
    pub fn result(&self) -> Result<String, String> {
        let extra = |mut s: String| {
            if !self.problems.is_empty() {
                let _ = write!(s, "; reported {}", self.problems.join(", "));
            }
            if !self.others.is_empty() {
                let types: Vec<String> = self.others.iter().map(u32::to_string).collect();
                let _ = write!(s, "; also packet types {}", types.join(", "));
            }
            if let Some(m) = self.messages.last() {
                let _ = write!(s, "; said {m:?}");
            }
            s
        };
        match self.finished {
            Some(true) if self.problems.is_empty() => Ok(extra(self.report.map_or_else(
                || "FormatEx finished".to_string(),
                |(total, available)| {
                    format!("FormatEx finished: {total} KB, {available} KB available")
                },
            ))),
            Some(true) => Err(extra("FormatEx finished".into())),
            Some(false) => Err(extra("FormatEx finished without success".into())),
            None => Err(extra(
                "FormatEx returned without a FmIfsFinished packet".into(),
            )),
        }
    }
}

/// `format.com`'s arguments for `letter`: the file system, quick, a label (so it does
/// not ask for one afterwards), and `/X` (dismount first).
#[must_use]
pub fn format_com_args(letter: char, file_system: &str, label: &str) -> Vec<String> {
    vec![
        format!("{letter}:"),
        format!("/FS:{file_system}"),
        "/Q".into(),
        format!("/V:{label}"),
        "/X".into(),
    ]
}

/// What `format.com` reads on its standard input: its prompts' answers.
///
/// The current volume label when the volume has one (it asks "Enter current volume
/// label for drive R:" and refuses a wrong one), then `Y` for "Proceed with Format
/// (Y/N)?".
#[must_use]
pub fn format_com_answers(current_label: &str) -> String {
    let label = current_label.trim();
    if label.is_empty() {
        "Y\r\n".into()
    } else {
        format!("{label}\r\nY\r\n")
    }
}

/// The label the formats give the volume: the one it had (at most 11 characters,
/// what FAT allows), else `RAMDISK`.
#[must_use]
pub fn new_label(current: &str) -> String {
    let l: String = current.trim().chars().take(11).collect();
    if l.is_empty() { "RAMDISK".into() } else { l }
}

/// How a format went: by `FormatEx`, else by `format.com` (its exit code and output).
#[must_use]
pub fn format_outcome(
    file_system: &str,
    format_ex: &Result<String, String>,
    format_com: Option<&Result<(i32, String), String>>,
    now: &Result<String, u32>,
) -> Outcome {
    let how = match (format_ex, format_com) {
        (Ok(done), _) => Ok(done.clone()),
        (Err(e), None) => Err(e.clone()),
        (Err(e), Some(Ok((0, _)))) => Ok(format!("{e}; format.com exit 0")),
        (Err(e), Some(Ok((code, out)))) => {
            Err(format!("{e}; format.com exit {code}: {}", last_line(out)))
        }
        (Err(e), Some(Err(why))) => Err(format!("{e}; {why}")),
    };
    match (how, now) {
        (Err(e), _) => Outcome::Failed(e),
        (Ok(how), Ok(fs)) if fs.eq_ignore_ascii_case(file_system) => {
            Outcome::Passed(format!("{how}; the volume is {fs} now"))
        }
        (Ok(how), Ok(fs)) => {
            Outcome::Failed(format!("{how}, but the volume is {fs}, not {file_system}"))
        }
        (Ok(how), Err(code)) => Outcome::Failed(format!(
            "{how}, but GetVolumeInformationW failed: {}",
            win32(*code)
        )),
    }
}

/// The last non-empty line of a program's output.
#[must_use]
pub fn last_line(out: &str) -> &str {
    out.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("(no output)")
}

/// `chkdsk R:` (read-only): exit 0 means no problems found.
#[must_use]
pub fn chkdsk_outcome(letter: char, run: &Result<(i32, String), String>) -> Outcome {
    match run {
        Ok((0, out)) => Outcome::Passed(format!("chkdsk {letter}: exit 0: {}", last_line(out))),
        Ok((code, out)) => {
            Outcome::Failed(format!("chkdsk {letter}: exit {code}: {}", last_line(out)))
        }
        Err(why) => Outcome::Failed(format!("chkdsk {letter}: {why}")),
    }
}

/// What the TRIM check measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrimMeasure {
    /// Bytes of the file written and deleted.
    pub file: u64,
    /// The disk's memory in use before the delete.
    pub before: u64,
    /// After the delete (and the file system's own TRIM).
    pub after: Result<u64, String>,
    /// `defrag R: /L`'s exit code (asked only when the delete freed nothing) and the
    /// memory in use after it.
    pub retrim: Option<(Result<u32, String>, Result<u64, String>)>,
}

/// Whether the memory in use dropped by at least half the deleted file.
const fn freed(m: &TrimMeasure, after: u64) -> bool {
    after.saturating_add(m.file / 2) <= m.before
}

/// The TRIM check: memory in use drops after a large file is deleted.
#[must_use]
pub fn trim_outcome(m: &TrimMeasure) -> Outcome {
    let after = match &m.after {
        Ok(a) => *a,
        Err(e) => return Outcome::Failed(format!("memory in use after the delete: {e}")),
    };
    if freed(m, after) {
        return Outcome::Passed(format!(
            "deleting a {}-byte file freed {} bytes of the disk's memory (the file system's TRIM)",
            m.file,
            m.before - after
        ));
    }
    match &m.retrim {
        None => Outcome::Failed(format!(
            "deleting a {}-byte file left the memory in use at {after} bytes (before: {})",
            m.file, m.before
        )),
        Some((Ok(DEFRAG_NO_EXTENTS), _)) => Outcome::NotAvailable(format!(
            "the delete freed nothing ({} -> {after} bytes) and defrag /L answers {DEFRAG_NO_EXTENTS:#x}: \
             the volume has no disk extents (IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS is refused on purpose)",
            m.before
        )),
        Some((Ok(0), Ok(now))) if freed(m, *now) => Outcome::Passed(format!(
            "defrag /L freed {} bytes of the disk's memory after the delete",
            m.before - now
        )),
        Some((Ok(code), now)) => Outcome::Failed(format!(
            "the delete freed nothing ({} -> {after} bytes); defrag /L exit {code:#x}, memory in use then {}",
            m.before,
            now.as_ref().map_or_else(Clone::clone, ToString::to_string)
        )),
        Some((Err(why), _)) => Outcome::Failed(format!(
            "the delete freed nothing ({} -> {after} bytes); defrag /L: {why}",
            m.before
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_data_kinds() {
        assert_eq!(packet_data(0), PacketData::Ulong);
        assert_eq!(packet_data(1), PacketData::TwoUlongs);
        assert_eq!(packet_data(11), PacketData::Boolean);
        assert_eq!(packet_data(13), PacketData::BooleanOut);
        assert_eq!(packet_data(14), PacketData::TextMessage);
        assert_eq!(packet_data(8), PacketData::None);
    }

    #[test]
    fn a_format_that_finishes() {
        let mut w = FormatWatch::default();
        for p in [
            Packet::Percent(10),
            Packet::Text("  ".into()),
            Packet::Percent(100),
            Packet::Report(65536, 60000),
            Packet::Finished(true),
        ] {
            assert!(w.on_packet(p));
        }
        assert_eq!(
            w.result(),
            Ok("FormatEx finished: 65536 KB, 60000 KB available".into())
        );
    }

    #[test]
    fn a_format_that_fails() {
        let mut w = FormatWatch::default();
        assert!(w.on_packet(Packet::Other(8)));
        assert!(w.on_packet(Packet::Text("Cannot lock the drive.".into())));
        assert!(w.on_packet(Packet::Finished(false)));
        assert_eq!(
            w.result(),
            Err("FormatEx finished without success; reported FmIfsCantLock; said \"Cannot lock the drive.\"".into())
        );
        let mut w = FormatWatch::default();
        assert!(
            !w.on_packet(Packet::Other(FM_IFS_INSERT_DISK)),
            "a disk request stops the format"
        );
        assert_eq!(
            w.result(),
            Err(
                "FormatEx returned without a FmIfsFinished packet; reported FmIfsInsertDisk".into()
            )
        );
        let mut w = FormatWatch::default();
        for t in [4, 99, 4] {
            assert!(w.on_packet(Packet::Other(t)));
        }
        w.on_packet(Packet::Finished(true));
        assert_eq!(
            w.result(),
            Ok("FormatEx finished; also packet types 4, 99".into()),
            "packets that are not problems never fail the format"
        );
    }

    #[test]
    fn format_com_prompts_are_answered() {
        assert_eq!(format_com_answers("RAMDISK"), "RAMDISK\r\nY\r\n");
        assert_eq!(format_com_answers("  "), "Y\r\n");
        assert_eq!(format_com_answers(""), "Y\r\n");
        assert_eq!(
            format_com_args('R', "NTFS", "RAMDISK"),
            ["R:", "/FS:NTFS", "/Q", "/V:RAMDISK", "/X"]
        );
        assert_eq!(new_label(""), "RAMDISK");
        assert_eq!(new_label("A VERY LONG LABEL"), "A VERY LONG");
        assert_eq!(new_label("SCRATCH "), "SCRATCH");
    }

    #[test]
    fn format_outcomes() {
        let ntfs = Ok("NTFS".to_string());
        let done = Ok("FormatEx finished".to_string());
        assert!(
            matches!(format_outcome("NTFS", &done, None, &ntfs), Outcome::Passed(t) if t.ends_with("the volume is NTFS now"))
        );
        let fat = Ok("FAT".to_string());
        assert!(
            matches!(format_outcome("NTFS", &done, None, &fat), Outcome::Failed(t) if t.contains("not NTFS"))
        );
        let failed = Err("FormatEx finished without success".to_string());
        assert!(matches!(
            format_outcome("NTFS", &failed, None, &ntfs),
            Outcome::Failed(_)
        ));
        let com_ok = Ok((0, "Format complete.\r\n".to_string()));
        assert!(matches!(
            format_outcome("NTFS", &failed, Some(&com_ok), &ntfs),
            Outcome::Passed(t) if t.starts_with("FormatEx finished without success; format.com exit 0")
        ));
        let com_bad = Ok((4, "Enter current volume label for drive R: \r\nAn incorrect volume label was entered for this drive.\r\n".to_string()));
        assert_eq!(
            format_outcome("NTFS", &failed, Some(&com_bad), &ntfs),
            Outcome::Failed("FormatEx finished without success; format.com exit 4: An incorrect volume label was entered for this drive.".into())
        );
        assert!(
            matches!(format_outcome("FAT32", &done, None, &Err(5)), Outcome::Failed(t) if t.contains("Win32 error 5"))
        );
    }

    #[test]
    fn chkdsk_exit_codes() {
        let clean = Ok((
            0,
            "Windows has scanned the file system and found no problems.\r\n\r\n".into(),
        ));
        assert_eq!(
            chkdsk_outcome('R', &clean),
            Outcome::Passed(
                "chkdsk R: exit 0: Windows has scanned the file system and found no problems."
                    .into()
            )
        );
        assert!(
            matches!(chkdsk_outcome('R', &Ok((3, String::new()))), Outcome::Failed(t) if t == "chkdsk R: exit 3: (no output)")
        );
        assert!(matches!(
            chkdsk_outcome('R', &Err("cannot run chkdsk".into())),
            Outcome::Failed(_)
        ));
    }

    #[test]
    fn trim_outcomes() {
        let m = |after: Result<u64, String>, retrim| TrimMeasure {
            file: 8 << 20,
            before: 20 << 20,
            after,
            retrim,
        };
        assert!(
            matches!(trim_outcome(&m(Ok(12 << 20), None)), Outcome::Passed(t) if t.contains("freed 8388608 bytes"))
        );
        assert!(matches!(
            trim_outcome(&m(Ok(20 << 20), None)),
            Outcome::Failed(_)
        ));
        assert!(matches!(
            trim_outcome(&m(Ok(20 << 20), Some((Ok(DEFRAG_NO_EXTENTS), Ok(20 << 20))))),
            Outcome::NotAvailable(t) if t.contains("0x8900002a")
        ));
        assert!(matches!(
            trim_outcome(&m(Ok(20 << 20), Some((Ok(0), Ok(11 << 20))))),
            Outcome::Passed(t) if t.starts_with("defrag /L freed")
        ));
        assert!(matches!(
            trim_outcome(&m(Ok(20 << 20), Some((Ok(0), Ok(19 << 20))))),
            Outcome::Failed(_)
        ));
        assert!(matches!(
            trim_outcome(&m(Err("gone".into()), None)),
            Outcome::Failed(_)
        ));
    }
}
