use std::time::Duration;

use ramdisk_core::control::{DiskReport, encode_info};
use ramdisk_core::disk::{DiskIdentity, DiskName};

use super::*;
use crate::error::EXIT_FAILED;
use crate::stop::fake::Fake;

impl RemoveSystem for Fake {
    fn list(&mut self) -> Result<Vec<RamdiskDiskInfo>, u32> {
        self.calls.push("list".into());
        self.list_error.map_or_else(|| Ok(self.disks.clone()), Err)
    }
    fn remove(&mut self, letter: char, force: bool) -> Result<(), u32> {
        self.calls.push(format!(
            "remove {letter}:{}",
            if force { " force" } else { "" }
        ));
        if let Some(code) = self.remove {
            return Err(code);
        }
        self.disks
            .retain(|d| char::from_u32(u32::from(d.drive_letter.get())) != Some(letter));
        Ok(())
    }
    fn delete_persisted(&mut self, name: &str) -> Result<(), u32> {
        self.calls.push(format!("unpersist {name}"));
        Ok(())
    }
}

fn disk(index: u32, letter: u8, persist: Option<&str>) -> RamdiskDiskInfo {
    let name = persist.map(|p| DiskName::parse(p.as_bytes()).unwrap());
    let identity = name.map_or_else(
        || DiskIdentity::runtime(index, letter).unwrap(),
        |n| DiskIdentity::registry(index, n).unwrap(),
    );
    encode_info(&DiskReport {
        identity: &identity,
        letter,
        disk_size: 8 << 20,
        allocated_bytes: 8 << 20,
        memory_limit: 0,
        open_handles: 0,
        allocation: 0,
        mounted: false,
        boot: false,
        file_system: "FAT16",
        persist: name.as_ref(),
    })
}

const OPTS: StopOptions = StopOptions {
    force: false,
    lock_attempts: 2,
    lock_pause: Duration::from_millis(1),
};
const FORCE: StopOptions = StopOptions {
    force: true,
    ..OPTS
};

fn fake() -> Fake {
    Fake {
        disks: vec![disk(1, b'R', Some("build")), disk(2, b'Q', None)],
        ..Fake::default()
    }
}

#[test]
fn lock_dismount_delete_points_remove_while_holding_then_close() {
    let mut f = fake();
    let o = safe_remove(&mut f, 'r', OPTS, false).unwrap();
    assert_eq!(
        f.calls,
        [
            "list",
            r"open \\.\R:",
            "lock",
            "dismount",
            "delete R:",
            "remove R:",
            "close",
            "unpersist BUILD"
        ]
    );
    assert_eq!(f.open_handles, 0);
    assert_eq!(o.lock, Some(Step::Done));
    assert_eq!(o.dismount, Some(Step::Done));
    assert_eq!(o.mount_point, MountPointStep::Deleted);
    assert_eq!(o.unpersisted.as_deref(), Some("BUILD"));
    assert_eq!(o.disk.index, 1);
    assert_eq!(o.disk.device, r"\Device\Ramdisk1");
    assert_eq!(f.disks.len(), 1);
}

#[test]
fn keep_persisted_and_runtime_disks_delete_no_subkey() {
    let mut f = fake();
    let o = safe_remove(&mut f, 'R', OPTS, true).unwrap();
    assert_eq!(o.unpersisted, None);
    assert!(!f.calls.iter().any(|c| c.starts_with("unpersist")));
    let o = safe_remove(&mut f, 'Q', OPTS, false).unwrap();
    assert_eq!(o.unpersisted, None);
    assert!(!f.calls.iter().any(|c| c.starts_with("unpersist")));
}

#[test]
fn without_a_file_system_the_raw_handle_is_closed_before_the_remove() {
    // Wine: the dismount reaches the driver, which does not support it.
    let mut f = Fake {
        dismount: Some(1),
        ..fake()
    };
    let o = safe_remove(&mut f, 'Q', OPTS, false).unwrap();
    assert_eq!(
        f.calls,
        [
            "list",
            r"open \\.\Q:",
            "lock",
            "dismount",
            "close",
            "delete Q:",
            "remove Q:"
        ]
    );
    assert_eq!(o.dismount, Some(Step::Unsupported));
    assert_eq!(o.warnings.len(), 1, "{:?}", o.warnings);
    assert_eq!(f.open_handles, 0);
}

#[test]
fn a_lock_that_cannot_be_had_is_busy_and_removes_nothing() {
    let mut f = Fake {
        locks: vec![Err(5), Err(5)],
        ..fake()
    };
    let e = safe_remove(&mut f, 'R', OPTS, false).unwrap_err();
    assert_eq!(e.exit, EXIT_BUSY);
    assert!(
        e.context.contains("cannot lock") && e.context.contains("--force to remove"),
        "{e}"
    );
    assert!(
        !f.calls.iter().any(|c| c.starts_with("remove")),
        "{:?}",
        f.calls
    );
    assert_eq!(f.calls.last().map(String::as_str), Some("close"));
    assert_eq!(f.disks.len(), 2);
    // With --force: dismounted without the lock, removed.
    let mut f = Fake {
        locks: vec![Err(5), Err(5)],
        ..fake()
    };
    let o = safe_remove(&mut f, 'R', FORCE, false).unwrap();
    assert_eq!(o.lock, Some(Step::FailedForced));
    assert!(f.calls.contains(&"remove R: force".to_string()));
}

#[test]
fn the_drivers_busy_is_exit_5_and_force_goes_through() {
    let mut f = Fake {
        remove: Some(ERROR_BUSY),
        dismount: Some(1),
        ..fake()
    };
    let e = safe_remove(&mut f, 'Q', OPTS, false).unwrap_err();
    assert_eq!(e.exit, EXIT_BUSY);
    assert_eq!(e.win32, Some(ERROR_BUSY));
    assert!(e.context.contains("--force"), "{e}");
    assert_eq!(f.open_handles, 0);
    let mut f = Fake {
        dismount: Some(1),
        ..fake()
    };
    safe_remove(&mut f, 'Q', FORCE, false).unwrap();
    assert!(f.calls.contains(&"remove Q: force".to_string()));
    let mut f = Fake {
        remove: Some(87),
        ..fake()
    };
    assert_eq!(
        safe_remove(&mut f, 'Q', OPTS, false).unwrap_err().exit,
        EXIT_FAILED
    );
}

#[test]
fn no_such_disk_and_no_driver_are_exit_3() {
    let mut f = fake();
    let e = safe_remove(&mut f, 'S', OPTS, false).unwrap_err();
    assert_eq!(e.exit, EXIT_NO_DEVICE);
    assert_eq!(f.calls, ["list"]);
    let mut f = Fake {
        list_error: Some(2),
        ..fake()
    };
    let e = safe_remove(&mut f, 'R', OPTS, false).unwrap_err();
    assert_eq!(e.exit, EXIT_NO_DEVICE);
    assert!(!e.notes.is_empty());
    let mut f = Fake {
        list_error: Some(5),
        ..fake()
    };
    assert_eq!(
        safe_remove(&mut f, 'R', OPTS, false).unwrap_err().exit,
        EXIT_FAILED
    );
}

#[test]
fn a_volume_that_is_not_there_is_removed_without_volume_requests() {
    let mut f = Fake {
        open: Some(2),
        ..fake()
    };
    let o = safe_remove(&mut f, 'R', OPTS, true).unwrap();
    assert_eq!(o.lock, None);
    assert_eq!(f.calls, ["list", r"open \\.\R:", "delete R:", "remove R:"]);
    let mut f = Fake {
        open: Some(5),
        ..fake()
    };
    assert_eq!(
        safe_remove(&mut f, 'R', OPTS, true).unwrap_err().exit,
        EXIT_FAILED
    );
    let mut f = Fake {
        open: Some(5),
        ..fake()
    };
    let o = safe_remove(&mut f, 'R', FORCE, true).unwrap();
    assert_eq!(o.warnings.len(), 1);
}

#[test]
fn remove_all_keeps_the_subkeys_and_stops_at_the_first_busy_disk() {
    let mut f = fake();
    let done = remove_all(&mut f, OPTS).unwrap();
    assert_eq!(done.len(), 2);
    assert!(f.disks.is_empty());
    assert!(!f.calls.iter().any(|c| c.starts_with("unpersist")));
    let mut f = Fake {
        list_error: Some(2),
        ..fake()
    };
    assert_eq!(remove_all(&mut f, OPTS).unwrap(), vec![]);
    let mut f = Fake {
        remove: Some(ERROR_BUSY),
        ..fake()
    };
    assert_eq!(remove_all(&mut f, OPTS).unwrap_err().exit, EXIT_BUSY);
}

#[test]
fn rows_from_the_drivers_entries() {
    let r = DiskRow::new(&disk(3, b'Q', Some("x")));
    assert_eq!(
        r,
        DiskRow {
            index: 3,
            device: r"\Device\Ramdisk3".into(),
            letter: "Q:".into(),
            size: 8 << 20,
            file_system: "FAT16".into(),
            allocation: "fixed",
            allocated_bytes: 8 << 20,
            memory_limit: None,
            open_handles: 0,
            mounted: false,
            boot: false,
            persist: Some("X".into()),
        }
    );
    assert_eq!(r.letter_char(), 'Q');
}
