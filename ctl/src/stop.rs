//! The safe stop of `ramdiskctl stop` (and `uninstall`).
//!
//! Lock and dismount the volume, delete its drive letter from the mount manager
//! (`IOCTL_MOUNTMGR_DELETE_POINTS`, link-name form), ask the service control manager
//! to stop the driver while still holding the volume handle, let go of it, then wait
//! for `SERVICE_STOPPED`.
//!
//! The mount points go before the stop: once the stop has marked the device
//! unload-pending, the mount manager can no longer open it. The link-name form
//! (`\DosDevices\R:` only) is what `DeleteVolumeMountPointW` sends; the unique-ID and
//! device-name forms would make the mount manager ignore the disk's next arrival. The
//! driver's `DriverUnload` deletes whatever letter is still listed, so a failure here
//! is a warning, never a reason to keep the disk running.
//!
//! Why this order: on Windows the first open of `R:\` (Explorer, Defender, the
//! indexer) mounts `FastFAT`, which keeps a reference on our device. A legacy driver
//! whose device is still referenced cannot be unloaded: `sc stop` only marks it
//! unload-pending, every new open fails, and the service sits in `STOP_PENDING`
//! with its memory held until the last reference goes. Locking makes sure nobody
//! has a file open; dismounting makes `FastFAT` let go; keeping our locked handle open
//! until the stop has been requested leaves no moment in which Explorer could mount
//! the volume again; closing it then drops the last reference, and `DriverUnload`
//! runs.
//!
//! The logic is written against [`StopSystem`], so the host tests drive it with a
//! fake and check the exact order of the calls; `cmd/stop.rs` implements it with
//! `CreateFileW`, `DeviceIoControl` and the SCM.

use std::time::Duration;

use serde::Serialize;

use crate::error::{CtlError, EXIT_BUSY, win32_text};
use crate::fsctl::{FsctlOutcome, fsctl_warning};

/// `ERROR_FILE_NOT_FOUND`: no such drive letter (the driver is not running).
const ERROR_FILE_NOT_FOUND: u32 = 2;
/// `ERROR_PATH_NOT_FOUND`.
const ERROR_PATH_NOT_FOUND: u32 = 3;
/// `ERROR_NOT_SUPPORTED` (`STATUS_NOT_SUPPORTED`: Wine's mount manager takes no
/// mount-point requests).
const ERROR_NOT_SUPPORTED: u32 = 50;

/// What the stop needs from the system.
pub trait StopSystem {
    /// An open volume handle.
    type Volume;
    /// Opens the volume for reading and writing.
    ///
    /// # Errors
    /// The Win32 error code.
    fn open_volume(&mut self, path: &str) -> Result<Self::Volume, u32>;
    /// `FSCTL_LOCK_VOLUME`.
    ///
    /// # Errors
    /// The Win32 error code.
    fn lock(&mut self, volume: &Self::Volume) -> Result<(), u32>;
    /// `FSCTL_DISMOUNT_VOLUME`.
    ///
    /// # Errors
    /// The Win32 error code.
    fn dismount(&mut self, volume: &Self::Volume) -> Result<(), u32>;
    /// Closes the volume handle (which also releases the lock).
    fn close_volume(&mut self, volume: Self::Volume);
    /// `IOCTL_MOUNTMGR_DELETE_POINTS` for `\DosDevices\<letter>:` (the link-name form)
    /// to the mount manager the service uses; the number of points deleted.
    ///
    /// # Errors
    /// The Win32 error code (of opening the mount manager, or of the request).
    fn delete_mount_point(&mut self, letter: char) -> Result<u32, u32>;
    /// `ControlService(SERVICE_CONTROL_STOP)`: true when the stop was requested,
    /// false when the service was not running.
    ///
    /// # Errors
    /// Any other failure.
    fn request_stop(&mut self) -> Result<bool, CtlError>;
    /// Waits until the service reports `SERVICE_STOPPED`.
    ///
    /// # Errors
    /// A timeout or a failed status query.
    fn wait_stopped(&mut self) -> Result<(), CtlError>;
    /// Pauses between two lock attempts.
    fn sleep(&mut self, pause: Duration);
}

/// How hard to try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopOptions {
    /// `--force`: dismount even if the lock cannot be had (open handles on the
    /// volume become invalid), and stop even if the volume cannot be opened.
    pub force: bool,
    /// Lock attempts before giving up.
    pub lock_attempts: u32,
    /// Pause between two attempts.
    pub lock_pause: Duration,
}

impl StopOptions {
    /// 10 attempts 200 ms apart (about 2 s: long enough for Explorer, Defender or
    /// the indexer to close a handle they hold briefly).
    #[must_use]
    pub const fn new(force: bool) -> Self {
        Self {
            force,
            lock_attempts: 10,
            lock_pause: Duration::from_millis(200),
        }
    }
}

/// How a volume request went (`null` in JSON when no volume was open).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// It worked.
    Done,
    /// The system does not support it (Wine); a warning says so.
    Unsupported,
    /// It failed and `--force` went on without it.
    FailedForced,
}

/// How the drive letter's mount point went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MountPointStep {
    /// The mount manager deleted it.
    Deleted,
    /// The mount manager does not list it (the driver served the letter itself).
    NotListed,
    /// The mount manager does not take the request (Wine); a warning says so.
    Unsupported,
    /// It failed; a warning says why (`DriverUnload` deletes it later).
    Failed,
}

/// What the stop did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopOutcome {
    /// The service was running and is stopped now.
    pub stopped: bool,
    /// `FSCTL_LOCK_VOLUME` (`None`: no volume was there to lock).
    pub lock: Option<Step>,
    /// `FSCTL_DISMOUNT_VOLUME` (`None`: no volume).
    pub dismount: Option<Step>,
    /// `IOCTL_MOUNTMGR_DELETE_POINTS` (`None`: the device is not a drive letter).
    pub mount_point: Option<MountPointStep>,
    /// Warnings, one line each.
    pub warnings: Vec<String>,
}

/// Deletes `letter`'s mount point and classifies the outcome.
pub(crate) fn delete_mount_point<S: StopSystem>(
    sys: &mut S,
    letter: char,
    warnings: &mut Vec<String>,
) -> MountPointStep {
    match sys.delete_mount_point(letter) {
        Ok(0) | Err(ERROR_FILE_NOT_FOUND) => MountPointStep::NotListed,
        Ok(_) => MountPointStep::Deleted,
        Err(ERROR_NOT_SUPPORTED) => {
            warnings.push(format!(
                "warning: the mount manager does not delete mount points here ({}, Win32 error {ERROR_NOT_SUPPORTED}); the driver removes {letter}: itself",
                win32_text(ERROR_NOT_SUPPORTED)
            ));
            MountPointStep::Unsupported
        }
        Err(code) => {
            warnings.push(format!(
                "warning: the mount manager did not delete {letter}: ({}, Win32 error {code}); the driver deletes it at unload",
                win32_text(code)
            ));
            MountPointStep::Failed
        }
    }
}

fn lock_with_retries<S: StopSystem>(
    sys: &mut S,
    volume: &S::Volume,
    opts: StopOptions,
) -> Result<FsctlOutcome, u32> {
    crate::fsctl::lock_with_retries(
        sys,
        opts.lock_attempts,
        opts.lock_pause,
        |s| s.lock(volume),
        StopSystem::sleep,
    )
}

/// Locks the open volume `v` (retried) and dismounts it, for the `action` (`stop`,
/// `remove`) that follows; a failure is fatal unless forced, and a lock that cannot be
/// had is "busy" (exit code 5).
///
/// # Errors
/// Without `--force`: the lock (exit 5) or the dismount failed.
pub(crate) fn lock_and_dismount<S: StopSystem>(
    sys: &mut S,
    v: &S::Volume,
    path: &str,
    opts: StopOptions,
    warnings: &mut Vec<String>,
    action: &str,
) -> Result<(Step, Step), CtlError> {
    let locked = lock_with_retries(sys, v, opts);
    let lock = step("FSCTL_LOCK_VOLUME", locked, path, opts, warnings, || {
        let secs = opts.lock_pause.as_secs_f64() * f64::from(opts.lock_attempts - 1);
        format!(
            "cannot lock {path}: a program has files or folders open on it \
             (tried {} times over {secs:.1} s); close them (Explorer windows, \
             editors, terminals in R:) and retry, or use --force to {action} \
             anyway (their handles become invalid)",
            opts.lock_attempts
        )
    })
    .map_err(|e| e.exit_code(EXIT_BUSY))?;
    let dismounted = FsctlOutcome::classify(sys.dismount(v));
    let dismount = step(
        "FSCTL_DISMOUNT_VOLUME",
        dismounted,
        path,
        opts,
        warnings,
        || format!("cannot dismount {path} (use --force to {action} anyway)"),
    )?;
    Ok((lock, dismount))
}

/// One volume request's outcome as a [`Step`]; a failure is fatal unless forced.
fn step(
    what: &str,
    outcome: Result<FsctlOutcome, u32>,
    path: &str,
    opts: StopOptions,
    warnings: &mut Vec<String>,
    why: impl FnOnce() -> String,
) -> Result<Step, CtlError> {
    match outcome {
        Ok(FsctlOutcome::Done) => Ok(Step::Done),
        Ok(o @ FsctlOutcome::Unsupported(_)) => {
            warnings.extend(fsctl_warning(what, o));
            Ok(Step::Unsupported)
        }
        Err(code) if opts.force => {
            warnings.push(format!(
                "warning: {what} on {path} failed ({}, Win32 error {code}); going on because of --force",
                win32_text(code)
            ));
            Ok(Step::FailedForced)
        }
        Err(code) => Err(CtlError::win32(why(), code)),
    }
}

/// The safe stop, in the order the module documentation explains.
///
/// Locks and dismounts the volume at `path` (if it is there), deletes the mount point
/// of its drive letter `letter` (if it is one), requests the stop, closes the volume
/// handle, and waits for `SERVICE_STOPPED`.
///
/// # Errors
/// Without `--force`: the volume cannot be opened (other than "not there"), locked
/// (after the retries) or dismounted; the service is then left running and the
/// handle closed. Always: the stop request or the wait failed (the handle is closed
/// first).
pub fn safe_stop<S: StopSystem>(
    sys: &mut S,
    path: &str,
    letter: Option<char>,
    opts: StopOptions,
) -> Result<StopOutcome, CtlError> {
    let mut warnings = Vec::new();
    let volume = match sys.open_volume(path) {
        Ok(v) => Some(v),
        // Nothing there: the driver is not running, or the letter is gone.
        Err(ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND) => None,
        Err(code) if opts.force => {
            warnings.push(format!(
                "warning: cannot open {path} to dismount it ({}, Win32 error {code}); \
                 stopping anyway because of --force",
                win32_text(code)
            ));
            None
        }
        Err(code) => {
            return Err(CtlError::win32(
                format!(
                    "cannot open {path} to lock and dismount it before the stop \
                     (use --force to stop anyway)"
                ),
                code,
            ));
        }
    };
    let (mut lock, mut dismount) = (None, None);
    if let Some(v) = &volume {
        match lock_and_dismount(sys, v, path, opts, &mut warnings, "stop") {
            Ok((l, d)) => (lock, dismount) = (Some(l), Some(d)),
            Err(e) => {
                if let Some(v) = volume {
                    sys.close_volume(v);
                }
                return Err(e);
            }
        }
    }
    let mount_point = letter.map(|l| delete_mount_point(sys, l, &mut warnings));
    let requested = sys.request_stop();
    // Only now let go of the volume: while our locked handle was open nothing could
    // mount it again; closing it drops the last reference, so the unload can run.
    if let Some(v) = volume {
        sys.close_volume(v);
    }
    let stopped = requested?;
    if stopped {
        sys.wait_stopped()?;
    }
    Ok(StopOutcome {
        stopped,
        lock,
        dismount,
        mount_point,
        warnings,
    })
}

#[cfg(test)]
pub(crate) mod fake;

#[cfg(test)]
mod tests {
    use super::*;

    use super::fake::Fake;

    const OPTS: StopOptions = StopOptions {
        force: false,
        lock_attempts: 3,
        lock_pause: Duration::from_millis(50),
    };
    const FORCE: StopOptions = StopOptions {
        force: true,
        ..OPTS
    };

    /// The calls of a volume opened and locked on the third attempt (or failing
    /// three times), up to the last lock attempt.
    const LOCK_THREE_TIMES: [&str; 6] = [
        r"open \\.\R:",
        "lock",
        "sleep 50",
        "lock",
        "sleep 50",
        "lock",
    ];

    fn then(first: &[&'static str], rest: &[&'static str]) -> Vec<&'static str> {
        first.iter().chain(rest).copied().collect()
    }

    fn run(fake: &mut Fake, opts: StopOptions) -> Result<StopOutcome, CtlError> {
        let r = safe_stop(fake, r"\\.\R:", Some('R'), opts);
        assert_eq!(fake.open_handles, 0, "the volume handle is always closed");
        r
    }

    #[test]
    fn mounted_volume_lock_dismount_stop_close_wait() {
        let mut f = Fake::default();
        let o = run(&mut f, OPTS).unwrap();
        assert_eq!(
            f.calls,
            [
                r"open \\.\R:",
                "lock",
                "dismount",
                "delete R:",
                "stop",
                "close",
                "wait"
            ]
        );
        assert_eq!(
            o,
            StopOutcome {
                stopped: true,
                lock: Some(Step::Done),
                dismount: Some(Step::Done),
                mount_point: Some(MountPointStep::Deleted),
                warnings: vec![],
            }
        );
    }

    #[test]
    fn mount_point_outcomes_never_block_the_stop() {
        for (answer, step, warns) in [
            (Ok(2), MountPointStep::Deleted, false),
            (Ok(0), MountPointStep::NotListed, false),
            (Err(2), MountPointStep::NotListed, false),
            (Err(50), MountPointStep::Unsupported, true),
            (Err(5), MountPointStep::Failed, true),
        ] {
            let mut f = Fake {
                delete: Some(answer),
                ..Fake::default()
            };
            let o = run(&mut f, OPTS).unwrap();
            assert!(o.stopped, "{answer:?}");
            assert_eq!(o.mount_point, Some(step), "{answer:?}");
            assert_eq!(
                o.warnings.len(),
                usize::from(warns),
                "{answer:?}: {:?}",
                o.warnings
            );
            assert_eq!(f.calls.last().map(String::as_str), Some("wait"));
        }
    }

    #[test]
    fn no_drive_letter_no_mount_point_request() {
        let mut f = Fake::default();
        let o = safe_stop(&mut f, r"\\.\GLOBALROOT\Device\Ramdisk0", None, OPTS).unwrap();
        assert_eq!(o.mount_point, None);
        assert!(
            !f.calls.iter().any(|c| c.starts_with("delete")),
            "{:?}",
            f.calls
        );
    }

    #[test]
    fn wine_dismount_unsupported_is_a_warning() {
        let mut f = Fake {
            dismount: Some(1),
            ..Fake::default()
        };
        let o = run(&mut f, OPTS).unwrap();
        assert_eq!(
            f.calls,
            [
                r"open \\.\R:",
                "lock",
                "dismount",
                "delete R:",
                "stop",
                "close",
                "wait"
            ]
        );
        assert_eq!(o.dismount, Some(Step::Unsupported));
        assert_eq!(o.warnings.len(), 1);
        assert!(
            o.warnings[0].starts_with("warning: FSCTL_DISMOUNT_VOLUME not available here"),
            "{:?}",
            o.warnings
        );
    }

    #[test]
    fn lock_is_retried_until_it_works() {
        let mut f = Fake {
            locks: vec![Err(5), Err(5)],
            ..Fake::default()
        };
        let o = run(&mut f, OPTS).unwrap();
        assert_eq!(
            f.calls,
            then(
                &LOCK_THREE_TIMES,
                &["dismount", "delete R:", "stop", "close", "wait"]
            )
        );
        assert_eq!(o.lock, Some(Step::Done));
        assert!(o.warnings.is_empty());
    }

    #[test]
    fn lock_failure_leaves_the_service_running() {
        let mut f = Fake {
            locks: vec![Err(5), Err(5), Err(5)],
            ..Fake::default()
        };
        let e = run(&mut f, OPTS).unwrap_err();
        assert_eq!(
            f.calls,
            then(&LOCK_THREE_TIMES, &["close"]),
            "no dismount, no stop request"
        );
        assert_eq!(e.win32, Some(5));
        assert_eq!(e.exit, EXIT_BUSY, "busy");
        assert!(
            e.context
                .starts_with(r"cannot lock \\.\R:: a program has files")
                && e.context.contains("tried 3 times over 0.1 s")
                && e.context.contains("--force"),
            "{}",
            e.context
        );
    }

    #[test]
    fn force_dismounts_without_the_lock() {
        let mut f = Fake {
            locks: vec![Err(5), Err(5), Err(5)],
            ..Fake::default()
        };
        let o = run(&mut f, FORCE).unwrap();
        assert_eq!(
            f.calls,
            then(
                &LOCK_THREE_TIMES,
                &["dismount", "delete R:", "stop", "close", "wait"]
            )
        );
        assert_eq!(o.lock, Some(Step::FailedForced));
        assert_eq!(o.dismount, Some(Step::Done));
        assert!(
            o.warnings[0].contains("FSCTL_LOCK_VOLUME on \\\\.\\R: failed")
                && o.warnings[0].contains("because of --force"),
            "{:?}",
            o.warnings
        );
    }

    #[test]
    fn dismount_failure_is_fatal_unless_forced() {
        let mut f = Fake {
            dismount: Some(5),
            ..Fake::default()
        };
        let e = run(&mut f, OPTS).unwrap_err();
        assert_eq!(f.calls, [r"open \\.\R:", "lock", "dismount", "close"]);
        assert!(e.context.starts_with(r"cannot dismount \\.\R:"), "{e}");
        let mut f = Fake {
            dismount: Some(5),
            ..Fake::default()
        };
        let o = run(&mut f, FORCE).unwrap();
        assert_eq!(
            f.calls,
            [
                r"open \\.\R:",
                "lock",
                "dismount",
                "delete R:",
                "stop",
                "close",
                "wait"
            ]
        );
        assert_eq!(o.dismount, Some(Step::FailedForced));
    }

    #[test]
    fn no_volume_just_stops() {
        for code in [2, 3] {
            let mut f = Fake {
                open: Some(code),
                ..Fake::default()
            };
            let o = run(&mut f, OPTS).unwrap();
            assert_eq!(f.calls, [r"open \\.\R:", "delete R:", "stop", "wait"]);
            assert_eq!((o.lock, o.dismount), (None, None));
            assert!(o.warnings.is_empty());
        }
    }

    #[test]
    fn volume_that_cannot_be_opened() {
        let mut f = Fake {
            open: Some(5),
            ..Fake::default()
        };
        let e = run(&mut f, OPTS).unwrap_err();
        assert_eq!(f.calls, [r"open \\.\R:"], "no stop request");
        assert_eq!(e.win32, Some(5));
        assert!(e.context.contains("use --force"), "{e}");
        let mut f = Fake {
            open: Some(5),
            ..Fake::default()
        };
        let o = run(&mut f, FORCE).unwrap();
        assert_eq!(f.calls, [r"open \\.\R:", "delete R:", "stop", "wait"]);
        assert!(
            o.warnings[0].contains("stopping anyway"),
            "{:?}",
            o.warnings
        );
    }

    #[test]
    fn not_running_is_not_waited_for() {
        let mut f = Fake {
            not_running: true,
            ..Fake::default()
        };
        let o = run(&mut f, OPTS).unwrap();
        assert_eq!(
            f.calls,
            [
                r"open \\.\R:",
                "lock",
                "dismount",
                "delete R:",
                "stop",
                "close"
            ]
        );
        assert!(!o.stopped);
    }

    #[test]
    fn failed_stop_request_still_closes_the_volume() {
        let mut f = Fake {
            stop_error: true,
            ..Fake::default()
        };
        let e = run(&mut f, OPTS).unwrap_err();
        assert_eq!(
            f.calls,
            [
                r"open \\.\R:",
                "lock",
                "dismount",
                "delete R:",
                "stop",
                "close"
            ]
        );
        assert_eq!(e.win32, Some(1052));
    }

    #[test]
    fn default_options() {
        let o = StopOptions::new(true);
        assert!(o.force);
        assert_eq!(o.lock_attempts, 10);
        assert_eq!(o.lock_pause, Duration::from_millis(200));
    }
}
