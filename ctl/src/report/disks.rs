//! `create`, `remove`, `list`: disks made and removed at run time.

use std::fmt::Write as _;

use serde::Serialize;

use super::Report;
use crate::announce::Announcement;
use crate::remove::DiskRow;
use crate::stop::{MountPointStep, Step};
use crate::units::fmt_bytes;

/// `create`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateReport {
    /// The new disk's ramdisk index.
    pub index: u32,
    /// `\Device\Ramdisk<N>`.
    pub device: String,
    /// The drive letter it got (`R:`).
    pub letter: String,
    /// Bytes, as `info --json` has it.
    pub size: u64,
    /// The file system it was formatted with.
    pub file_system: String,
    /// Its `Parameters\Disks` subkey (`null`: not persisted).
    pub persist: Option<String>,
    /// What Explorer was told (`broadcast`, `broadcast_note`, `shell_notify`).
    #[serde(flatten)]
    pub announce: Announcement,
}

impl Report for CreateReport {
    fn text(&self) -> String {
        let mut s = format!(
            "created {} ({}, {} bytes, {}) as {}",
            self.letter,
            fmt_bytes(self.size),
            self.size,
            self.file_system,
            self.device
        );
        if let Some(p) = &self.persist {
            let _ = write!(s, ", persisted as Parameters\\Disks\\{p}");
        }
        if let Some(l) = self.announce.text_line() {
            s.push('\n');
            s.push_str(&l);
        }
        s
    }
}

/// `remove`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RemoveReport {
    /// The disk removed, as it was listed.
    pub disk: DiskRow,
    /// How `FSCTL_LOCK_VOLUME` went (`null`: no volume was there).
    pub lock: Option<Step>,
    /// How `FSCTL_DISMOUNT_VOLUME` went (`null`: no volume was there).
    pub dismount: Option<Step>,
    /// How `IOCTL_MOUNTMGR_DELETE_POINTS` went.
    pub mount_point: MountPointStep,
    /// The `Parameters\Disks` subkey deleted (`null`: none).
    pub unpersisted: Option<String>,
    /// What Explorer was told.
    #[serde(flatten)]
    pub announce: Announcement,
    /// What did not work on the way.
    pub warnings: Vec<String>,
}

impl Report for RemoveReport {
    fn text(&self) -> String {
        let mut s = format!(
            "removed {} ({}, {})",
            self.disk.letter,
            fmt_bytes(self.disk.size),
            self.disk.device
        );
        if let Some(p) = &self.unpersisted {
            let _ = write!(s, "; deleted Parameters\\Disks\\{p}");
        }
        if let Some(l) = self.announce.text_line() {
            s.push('\n');
            s.push_str(&l);
        }
        s
    }
}

/// `list`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListReport {
    /// Every disk, by index.
    pub disks: Vec<DiskRow>,
}

impl Report for ListReport {
    fn text(&self) -> String {
        if self.disks.is_empty() {
            return "no RAM disks".into();
        }
        let mut s = format!(
            "{:>5}  {:<6} {:>10}  {:<6} {:<8} {:>10}  {}",
            "index", "letter", "size", "fs", "alloc", "allocated", "persisted as"
        );
        for d in &self.disks {
            let _ = write!(
                s,
                "\n{:>5}  {:<6} {:>10}  {:<6} {:<8} {:>10}  {}",
                d.index,
                d.letter,
                fmt_bytes(d.size),
                d.file_system,
                d.allocation,
                fmt_bytes(d.allocated_bytes),
                d.persist.as_deref().unwrap_or("-")
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::render;

    macro_rules! golden {
        ($name:literal) => {
            include_str!(concat!("../../tests/golden/", $name, ".json")).trim_end()
        };
    }

    fn row(index: u32, letter: &str, persist: Option<&str>) -> DiskRow {
        DiskRow {
            index,
            device: format!(r"\Device\Ramdisk{index}"),
            letter: letter.into(),
            size: 64 << 20,
            file_system: "FAT16".into(),
            allocation: "fixed",
            allocated_bytes: 64 << 20,
            memory_limit: None,
            open_handles: 0,
            mounted: false,
            boot: index == 0,
            persist: persist.map(Into::into),
        }
    }

    #[test]
    fn create() {
        let r = CreateReport {
            index: 3,
            device: r"\Device\Ramdisk3".into(),
            letter: "R:".into(),
            size: 1 << 30,
            file_system: "FAT32".into(),
            persist: Some("BUILD".into()),
            announce: Announcement::skipped("skipped (--no-broadcast)"),
        };
        assert_eq!(render(&r, true).unwrap(), golden!("create"));
        assert_eq!(
            render(&r, false).unwrap(),
            "created R: (1 GiB, 1073741824 bytes, FAT32) as \\Device\\Ramdisk3, persisted as Parameters\\Disks\\BUILD"
        );
    }

    #[test]
    fn remove() {
        let r = RemoveReport {
            disk: row(3, "R:", Some("BUILD")),
            lock: Some(Step::Done),
            dismount: Some(Step::Unsupported),
            mount_point: MountPointStep::Unsupported,
            unpersisted: Some("BUILD".into()),
            announce: Announcement::skipped("skipped (--no-broadcast)"),
            warnings: vec!["warning: x".into()],
        };
        assert_eq!(render(&r, true).unwrap(), golden!("remove"));
        assert!(render(&r, false).unwrap().starts_with(
            "removed R: (64 MiB, \\Device\\Ramdisk3); deleted Parameters\\Disks\\BUILD"
        ));
    }

    #[test]
    fn list() {
        let r = ListReport {
            disks: vec![row(0, "Z:", None), row(4, "Q:", Some("SCRATCH"))],
        };
        assert_eq!(render(&r, true).unwrap(), golden!("list"));
        let text = render(&r, false).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.lines().nth(2).unwrap().contains("SCRATCH"), "{text}");
        assert_eq!(
            render(&ListReport { disks: vec![] }, false).unwrap(),
            "no RAM disks"
        );
    }
}
