//! `save`: what was written where.

use serde::Serialize;

use super::{Rate, Report};
use crate::remove::DiskRow;
use crate::save::{LockState, SaveDone};
use crate::units::fmt_bytes;

/// The result of `save`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SaveReport {
    /// The disk saved, as it was listed.
    pub disk: DiskRow,
    /// `--to FILE` as sent (`null`: the disk's `ImageFile`).
    pub to: Option<String>,
    /// `"locked"`, `"skipped"` (`--no-lock`) or `"unsupported"` (no volume lock here).
    pub lock: LockState,
    /// `"posix-rename"`, `"rename-reopen"` or `"create"`.
    pub method: &'static str,
    /// The saved file's size.
    pub file_bytes: u64,
    /// Bytes of the runs written with data.
    pub data_bytes: u64,
    /// Bytes of the runs of zero sectors.
    pub hole_bytes: u64,
    /// The hole runs are holes of a sparse file (else written as zeros).
    pub sparse: bool,
    /// The driver's time and the file size per second.
    #[serde(flatten)]
    pub rate: Rate,
    /// Warnings printed on stderr.
    pub warnings: Vec<String>,
}

impl SaveReport {
    /// The report of a finished save.
    #[must_use]
    pub fn new(done: SaveDone, to: Option<String>) -> Self {
        let o = done.outcome;
        // The driver reports 100 ns units.
        #[expect(
            clippy::cast_precision_loss,
            reason = "a duration in 100 ns units, far below 2^53"
        )]
        let secs = o.elapsed as f64 / 1e7;
        Self {
            disk: done.disk,
            to,
            lock: done.lock,
            method: o.method.name(),
            file_bytes: o.file_bytes,
            data_bytes: o.data_bytes,
            hole_bytes: o.hole_bytes,
            sparse: o.sparse,
            rate: Rate::new(o.file_bytes, secs),
            warnings: done.warnings,
        }
    }
}

impl Report for SaveReport {
    fn text(&self) -> String {
        let file = self.to.as_deref().unwrap_or("its image file");
        let lock = match self.lock {
            LockState::Locked => "under the volume lock",
            LockState::Skipped => "without the volume lock (--no-lock)",
            LockState::Unsupported => "without a volume lock (none here)",
        };
        let holes = if self.hole_bytes == 0 {
            String::new()
        } else if self.sparse {
            format!(", {} left as holes", fmt_bytes(self.hole_bytes))
        } else {
            format!(", {} of zeros", fmt_bytes(self.hole_bytes))
        };
        format!(
            "saved {} to {file} {lock}: {} ({} of data{holes}) by {} in {:.2} s",
            self.disk.letter,
            fmt_bytes(self.file_bytes),
            fmt_bytes(self.data_bytes),
            self.method,
            self.rate.seconds
        )
    }
}

#[cfg(test)]
mod tests {
    use ramdisk_core::control::SaveOutcome;
    use ramdisk_core::save::ReplaceMethod;

    use super::*;
    use crate::report::render;

    fn done(lock: LockState, sparse: bool, hole_bytes: u64) -> SaveDone {
        SaveDone {
            disk: DiskRow {
                index: 2,
                device: r"\Device\Ramdisk2".into(),
                letter: "R:".into(),
                size: 64 << 20,
                file_system: "FAT16".into(),
                allocation: "dynamic",
                allocated_bytes: 3 << 20,
                memory_limit: None,
                open_handles: 1,
                mounted: true,
                boot: false,
                persist: None,
            },
            lock,
            outcome: SaveOutcome {
                status: 0,
                method: ReplaceMethod::PosixRename,
                locked: lock == LockState::Locked,
                sparse,
                target: false,
                file_bytes: 64 << 20,
                data_bytes: (64 << 20) - hole_bytes,
                hole_bytes,
                elapsed: 5_000_000,
            },
            warnings: Vec::new(),
        }
    }

    #[test]
    fn json_keys_are_pinned() {
        let r = SaveReport::new(
            done(LockState::Locked, true, 61 << 20),
            Some(r"D:\backup\r.img".into()),
        );
        assert_eq!(
            render(&r, true).unwrap(),
            include_str!("../../tests/golden/save.json").trim_end()
        );
    }

    #[test]
    fn text_says_where_how_and_what() {
        let r = SaveReport::new(done(LockState::Locked, true, 61 << 20), None);
        assert_eq!(
            render(&r, false).unwrap(),
            "saved R: to its image file under the volume lock: 64 MiB (3 MiB of data, 61 MiB \
             left as holes) by posix-rename in 0.50 s"
        );
        let r = SaveReport::new(
            done(LockState::Skipped, false, 1 << 20),
            Some(r"D:\x.img".into()),
        );
        assert_eq!(
            render(&r, false).unwrap(),
            "saved R: to D:\\x.img without the volume lock (--no-lock): 64 MiB (63 MiB of data, \
             1 MiB of zeros) by posix-rename in 0.50 s"
        );
        let r = SaveReport::new(done(LockState::Unsupported, false, 0), None);
        let text = render(&r, false).unwrap();
        assert!(
            text.contains("without a volume lock (none here): 64 MiB (64 MiB of data) by"),
            "{text}"
        );
        assert!((r.rate.seconds - 0.5).abs() < 1e-9);
    }
}
