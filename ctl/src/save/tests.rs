use std::time::Duration;

use ramdisk_core::control::{
    DiskReport, RAMDISK_BY_LETTER, RAMDISK_SAVE_LOCKED, RAMDISK_SAVE_NO_LOCK, RAMDISK_SAVE_TARGET,
    SaveOutcome, encode_info, encode_save_result, parse_save,
};
use ramdisk_core::disk::DiskIdentity;
use ramdisk_core::save::ReplaceMethod;
use ramdisk_core::wire::IntoBytes;

use super::*;
use crate::error::EXIT_FAILED;

/// A scripted system: every call logged in order, answers from the script. It
/// checks the protocol itself: no lock without an open volume, no unlock without a
/// lock, no save while the lock state contradicts the input's flags, no handle left
/// open at the end (see [`Fake::finish`]).
#[derive(Default)]
struct Fake {
    calls: Vec<String>,
    disks: Vec<RamdiskDiskInfo>,
    list_error: Option<u32>,
    open_error: Option<u32>,
    locks: Vec<Result<(), u32>>,
    unlock_error: Option<u32>,
    save_error: Option<u32>,
    reply: Option<Vec<u8>>,
    open_handles: u32,
    locked: bool,
}

impl SaveSystem for Fake {
    type Volume = u32;
    fn list(&mut self) -> Result<Vec<RamdiskDiskInfo>, u32> {
        self.calls.push("list".into());
        self.list_error.map_or_else(|| Ok(self.disks.clone()), Err)
    }
    fn open_volume(&mut self, path: &str) -> Result<u32, u32> {
        self.calls.push(format!("open {path}"));
        if let Some(code) = self.open_error {
            return Err(code);
        }
        self.open_handles += 1;
        Ok(7)
    }
    fn lock(&mut self, v: &u32) -> Result<(), u32> {
        assert_eq!(*v, 7);
        assert!(
            self.open_handles == 1 && !self.locked,
            "lock without an open volume"
        );
        self.calls.push("lock".into());
        let r = if self.locks.is_empty() {
            Ok(())
        } else {
            self.locks.remove(0)
        };
        self.locked = r.is_ok();
        r
    }
    fn unlock(&mut self, _: &u32) -> Result<(), u32> {
        assert!(self.locked, "unlock without the lock");
        self.calls.push("unlock".into());
        self.locked = false;
        self.unlock_error.map_or(Ok(()), Err)
    }
    fn close_volume(&mut self, _: u32) {
        assert_eq!(self.open_handles, 1);
        self.open_handles -= 1;
        self.locked = false;
        self.calls.push("close".into());
    }
    fn save(&mut self, input: &RamdiskSaveInput) -> Result<Vec<u8>, u32> {
        // What the driver would see: a valid input whose lock flag is the truth.
        let req = parse_save(input.as_bytes()).expect("a valid SAVE input");
        assert_eq!(
            req.lock == SaveLock::Locked,
            self.locked,
            "the LOCKED flag must say whether the volume is locked"
        );
        assert_eq!(input.base.by.get(), RAMDISK_BY_LETTER);
        let to = if req.target { " to" } else { "" };
        let lock = if self.locked { "locked" } else { "unlocked" };
        self.calls.push(format!(
            "save {}: {lock}{to}",
            char::from_u32(input.base.value.get()).unwrap()
        ));
        if let Some(code) = self.save_error {
            return Err(code);
        }
        Ok(self.reply.clone().unwrap_or_else(|| {
            encode_save_result(&outcome(req.lock == SaveLock::Locked))
                .as_bytes()
                .to_vec()
        }))
    }
    fn sleep(&mut self, _: Duration) {
        self.calls.push("sleep".into());
    }
}

impl Fake {
    fn with_disk(letter: u8) -> Self {
        let id = DiskIdentity::runtime(1, letter).unwrap();
        Self {
            disks: vec![encode_info(&DiskReport {
                identity: &id,
                letter,
                disk_size: 64 << 20,
                allocated_bytes: 1 << 20,
                memory_limit: 0,
                open_handles: 1,
                allocation: 1,
                mounted: true,
                boot: false,
                file_system: "FAT16",
                persist: None,
            })],
            ..Self::default()
        }
    }

    /// The calls, after checking that nothing was left open or locked.
    fn finish(self) -> Vec<String> {
        assert_eq!(
            self.open_handles, 0,
            "a volume handle left open: {:?}",
            self.calls
        );
        assert!(!self.locked);
        self.calls
    }
}

/// The calls of a save under the lock, in their order.
const LOCKED_SAVE: [&str; 6] = [
    "list",
    r"open \\.\R:",
    "lock",
    "save R: locked",
    "unlock",
    "close",
];

fn outcome(locked: bool) -> SaveOutcome {
    SaveOutcome {
        status: 0,
        method: ReplaceMethod::PosixRename,
        locked,
        sparse: true,
        target: false,
        file_bytes: 64 << 20,
        data_bytes: 1 << 20,
        hole_bytes: 63 << 20,
        elapsed: 5_000_000,
    }
}

fn opts(no_lock: bool) -> SaveOptions {
    SaveOptions {
        lock_attempts: 3,
        lock_pause: Duration::from_millis(1),
        ..SaveOptions::new(no_lock)
    }
}

#[test]
fn lock_save_unlock_close_in_that_order() {
    let mut f = Fake::with_disk(b'R');
    let done = save_disk(&mut f, 'r', None, opts(false)).unwrap();
    assert_eq!(done.lock, LockState::Locked);
    assert_eq!(done.outcome, outcome(true));
    assert_eq!(done.disk.letter, "R:");
    assert!(done.warnings.is_empty());
    assert_eq!(f.finish(), LOCKED_SAVE);
}

#[test]
fn a_refused_lock_saves_nothing_and_is_busy() {
    let mut f = Fake::with_disk(b'R');
    f.locks = vec![Err(5), Err(32), Err(32)];
    let e = save_disk(&mut f, 'R', None, opts(false)).unwrap_err();
    assert_eq!(e.exit, EXIT_BUSY);
    assert_eq!(e.win32, Some(32));
    assert!(
        e.context.contains("nothing was saved") && e.context.contains("--no-lock"),
        "{e}"
    );
    let calls = f.finish();
    assert_eq!(
        calls,
        [
            "list",
            r"open \\.\R:",
            "lock",
            "sleep",
            "lock",
            "sleep",
            "lock",
            "close"
        ]
    );
    assert!(!calls.iter().any(|c| c.starts_with("save")));
}

#[test]
fn a_lock_had_on_a_later_attempt_is_used() {
    let mut f = Fake::with_disk(b'R');
    f.locks = vec![Err(5), Ok(())];
    let done = save_disk(&mut f, 'R', None, opts(false)).unwrap();
    assert_eq!(done.lock, LockState::Locked);
    assert_eq!(
        f.finish(),
        [
            "list",
            r"open \\.\R:",
            "lock",
            "sleep",
            "lock",
            "save R: locked",
            "unlock",
            "close"
        ]
    );
}

#[test]
fn no_lock_takes_none_and_says_so() {
    let mut f = Fake::with_disk(b'R');
    f.open_error = Some(5); // never asked
    let done = save_disk(&mut f, 'R', None, opts(true)).unwrap();
    assert_eq!(done.lock, LockState::Skipped);
    assert_eq!(f.finish(), ["list", "save R: unlocked"]);
}

#[test]
fn no_volume_lock_here_saves_unlocked_with_a_warning() {
    let mut f = Fake::with_disk(b'R');
    f.locks = vec![Err(1)];
    let done = save_disk(&mut f, 'R', None, opts(false)).unwrap();
    assert_eq!(done.lock, LockState::Unsupported);
    assert_eq!(done.warnings.len(), 2, "{:?}", done.warnings);
    assert!(done.warnings[1].contains("torn at sector level"));
    // The handle to an unlocked volume is closed before the save.
    assert_eq!(
        f.finish(),
        ["list", r"open \\.\R:", "lock", "close", "save R: unlocked"]
    );
}

#[test]
fn the_volume_is_unlocked_whatever_the_save_answered() {
    for (code, exit) in [
        (1, EXIT_UNSUPPORTED),
        (5, EXIT_FAILED),
        (170, EXIT_BUSY),
        (183, EXIT_FAILED),
        (433, EXIT_NO_DEVICE),
        (87, EXIT_FAILED),
    ] {
        let mut f = Fake::with_disk(b'R');
        f.save_error = Some(code);
        let e = save_disk(&mut f, 'R', None, opts(false)).unwrap_err();
        assert_eq!((e.win32, e.exit), (Some(code), exit), "{e}");
        assert_eq!(f.finish(), LOCKED_SAVE);
    }
}

#[test]
fn a_driver_without_save_is_told_apart() {
    let mut f = Fake::with_disk(b'R');
    f.save_error = Some(ERROR_INVALID_FUNCTION);
    let e = save_disk(&mut f, 'R', None, opts(true)).unwrap_err();
    assert_eq!(e.exit, EXIT_UNSUPPORTED);
    assert_eq!(EXIT_UNSUPPORTED, 7);
    assert!(e.context.contains("older than this ramdiskctl"), "{e}");
    let e = refused('R', None, ERROR_ALREADY_EXISTS);
    assert!(e.context.contains("someone else"), "{e}");
    assert!(refused('R', None, 87).context.contains("--to"));
}

#[test]
fn a_failed_unlock_is_a_warning_and_the_handle_still_closes() {
    let mut f = Fake::with_disk(b'R');
    f.unlock_error = Some(158);
    let done = save_disk(&mut f, 'R', None, opts(false)).unwrap();
    assert_eq!(done.warnings.len(), 1);
    assert!(done.warnings[0].contains("FSCTL_UNLOCK_VOLUME"));
    assert_eq!(f.finish(), LOCKED_SAVE);
}

#[test]
fn a_malformed_reply_is_an_error_after_the_unlock() {
    let mut f = Fake::with_disk(b'R');
    f.reply = Some(vec![0u8; 10]);
    let e = save_disk(&mut f, 'R', None, opts(false)).unwrap_err();
    assert_eq!(e.win32, Some(13));
    assert_eq!(f.finish(), LOCKED_SAVE);
}

#[test]
fn a_reopen_failure_after_the_replace_is_a_warning() {
    let mut f = Fake::with_disk(b'R');
    let mut o = outcome(true);
    o.status = ramdisk_core::status::STATUS_ACCESS_DENIED;
    f.reply = Some(encode_save_result(&o).as_bytes().to_vec());
    let done = save_disk(&mut f, 'R', None, opts(false)).unwrap();
    assert_eq!(done.warnings.len(), 1);
    assert!(
        done.warnings[0].contains("0xC0000022"),
        "{:?}",
        done.warnings
    );
}

#[test]
fn no_such_disk_or_no_driver_touches_no_volume() {
    let mut f = Fake::with_disk(b'Q');
    let e = save_disk(&mut f, 'R', None, opts(false)).unwrap_err();
    assert_eq!(e.exit, EXIT_NO_DEVICE);
    assert_eq!(f.finish(), ["list"]);
    let mut f = Fake::with_disk(b'R');
    f.list_error = Some(2);
    let e = save_disk(&mut f, 'R', None, opts(false)).unwrap_err();
    assert_eq!(e.exit, EXIT_NO_DEVICE);
    assert_eq!(f.finish(), ["list"]);
}

#[test]
fn an_unopenable_volume_saves_nothing() {
    let mut f = Fake::with_disk(b'R');
    f.open_error = Some(5);
    let e = save_disk(&mut f, 'R', None, opts(false)).unwrap_err();
    assert_eq!((e.win32, e.exit), (Some(5), EXIT_FAILED));
    assert!(e.context.contains("--no-lock"));
    assert_eq!(f.finish(), ["list", r"open \\.\R:"]);
}

#[test]
fn a_target_goes_to_the_driver_and_a_bad_one_is_refused_first() {
    let mut f = Fake::with_disk(b'R');
    let done = save_disk(&mut f, 'R', Some(r"D:\backup\r.img"), opts(false)).unwrap();
    assert_eq!(done.lock, LockState::Locked);
    assert_eq!(
        f.finish(),
        [
            "list",
            r"open \\.\R:",
            "lock",
            "save R: locked to",
            "unlock",
            "close"
        ]
    );
    for bad in [r"r.img", r"R:\x.img", r"D:\a\..\b", r"\Device\Ramdisk1\x"] {
        let mut f = Fake::with_disk(b'R');
        let e = save_disk(&mut f, 'R', Some(bad), opts(false)).unwrap_err();
        assert_eq!(e.exit, EXIT_USAGE, "{bad}: {e}");
        assert_eq!(f.finish(), ["list"], "{bad}");
    }
    // On another of the driver's disks.
    let mut f = Fake::with_disk(b'R');
    let q = Fake::with_disk(b'Q').disks;
    f.disks.extend(q);
    let e = save_disk(&mut f, 'R', Some(r"Q:\x.img"), opts(false)).unwrap_err();
    assert_eq!(e.exit, EXIT_USAGE);
    assert!(e.context.contains("Q: is a RAM disk"), "{e}");
    // The flags the driver gets with a target.
    let input = encode_save(Select::Letter(b'R'), SaveLock::NoLock, Some(r"D:\x")).unwrap();
    assert_eq!(
        input.base.flags.get(),
        RAMDISK_SAVE_NO_LOCK | RAMDISK_SAVE_TARGET
    );
    assert_ne!(RAMDISK_SAVE_LOCKED, RAMDISK_SAVE_NO_LOCK);
}

/// The fake itself refuses a save whose flag claims a lock that is not held.
#[test]
#[should_panic(expected = "the LOCKED flag must say whether the volume is locked")]
fn the_fake_catches_a_lie_about_the_lock() {
    let mut f = Fake::with_disk(b'R');
    let input = encode_save(Select::Letter(b'R'), SaveLock::Locked, None).unwrap();
    let _ = f.save(&input);
}
