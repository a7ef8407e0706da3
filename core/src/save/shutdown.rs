//! The decisions of a save at system shutdown (`SaveOn=shutdown`, `IRP_MJ_SHUTDOWN`).
//!
//! Windows sends `IRP_MJ_SHUTDOWN` to every device registered with
//! `IoRegisterShutdownNotification` *before* it flushes the file systems, and to those
//! registered with `IoRegisterLastChanceShutdownNotification` after; a last-chance
//! handler must not do file I/O, and a save is file I/O on the host volume, so only
//! the first kind can save ([`registers`]). At that point the disk's own file system
//! is still mounted, with data in its cache, so the driver quiesces the volume first,
//! on a driver thread: it opens the volume, asks for `FSCTL_LOCK_VOLUME` (the file
//! system flushes and then refuses every other access) and, only if the lock is
//! refused, for `FSCTL_DISMOUNT_VOLUME` (forced: it flushes what it can and ends every
//! open file) — [`Quiesce::after_lock`]. Then it saves, and a locked volume is
//! dismounted after the save ([`Quiesced::dismount_after`]), so the volume stays
//! dismounted either way while the system goes down. Whatever happened, the shutdown
//! IRP completes with `STATUS_SUCCESS`: a failed save is logged, and a shutdown must
//! not be held up by a status nobody reads ([`IRP_STATUS`]).
//!
//! A disk saves at most once per shutdown ([`Shutdown::begin`]): a file system
//! passes `IRP_MJ_SHUTDOWN` down to its target device when it shuts itself down, after
//! the first-chance notifications; that one (and any other repeat) is completed at
//! once, never a second save from inside the file system's own shutdown.

use core::fmt;

use crate::config::SaveOn;
use crate::status::{self, STATUS_SUCCESS};

/// Whether a disk registers for `IRP_MJ_SHUTDOWN`: `SaveOn=shutdown` only.
///
/// `never` and `stop` disks are never sent one by the I/O manager; a file system's
/// own shutdown request to them is answered at once.
#[must_use]
pub const fn registers(save_on: SaveOn) -> bool {
    matches!(save_on, SaveOn::Shutdown)
}

/// The status every `IRP_MJ_SHUTDOWN` completes with, whether or not the save worked.
pub const IRP_STATUS: i32 = STATUS_SUCCESS;

/// Where a disk is in its shutdown save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// No shutdown request served yet.
    Idle,
    /// A shutdown save ran (or is running): later requests complete at once.
    Done,
}

impl Shutdown {
    /// What a shutdown request does in state `self`: `true` to save (the state becomes
    /// [`Shutdown::Done`]), `false` to complete at once.
    #[must_use]
    pub const fn begin(self) -> bool {
        matches!(self, Self::Idle)
    }
}

/// What the driver does after `FSCTL_LOCK_VOLUME` answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quiesce {
    /// Locked: save now, dismount after.
    Save,
    /// Refused: dismount first (forced), then save.
    DismountFirst,
}

impl Quiesce {
    /// The step after the lock answered `lock`.
    #[must_use]
    pub const fn after_lock(lock: i32) -> Self {
        if lock == STATUS_SUCCESS {
            Self::Save
        } else {
            Self::DismountFirst
        }
    }
}

/// How the volume was quiesced before the save (the log line's first word:
/// `consistent` or `not locked`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quiesced {
    /// `FSCTL_LOCK_VOLUME` succeeded: the image is the flushed, locked volume.
    Locked,
    /// The volume could not be opened (`ZwCreateFile`'s status): saved as it is.
    NotOpened(i32),
    /// The lock was refused; `FSCTL_DISMOUNT_VOLUME` answered `dismount`.
    NotLocked {
        /// The lock's status.
        lock: i32,
        /// The forced dismount's status.
        dismount: i32,
    },
}

impl Quiesced {
    /// From the steps' statuses: the open (`Err` when it failed), the lock, and the
    /// dismount a refused lock led to.
    #[must_use]
    pub const fn from_steps(open: Result<(), i32>, lock: i32, dismount: i32) -> Self {
        match open {
            Err(s) => Self::NotOpened(s),
            Ok(()) => match Quiesce::after_lock(lock) {
                Quiesce::Save => Self::Locked,
                Quiesce::DismountFirst => Self::NotLocked { lock, dismount },
            },
        }
    }

    /// Whether the save ran under the volume lock (the save's `locked`).
    #[must_use]
    pub const fn locked(self) -> bool {
        matches!(self, Self::Locked)
    }

    /// Whether the volume is dismounted after the save (a locked one: the lock holds
    /// it until then).
    #[must_use]
    pub const fn dismount_after(self) -> bool {
        self.locked()
    }
}

/// A status as `0x… (NAME)`.
struct Named(i32);

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:#010x} ({})",
            self.0.cast_unsigned(),
            status::name(self.0)
        )
    }
}

impl fmt::Display for Quiesced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Locked => f.write_str(
                "consistent (FSCTL_LOCK_VOLUME: the file system flushed the volume and holds it for the save)",
            ),
            Self::NotOpened(s) => write!(
                f,
                "not locked (the volume cannot be opened: {}): data still in the file system's cache is not in the image",
                Named(s)
            ),
            Self::NotLocked { lock, dismount } if dismount == STATUS_SUCCESS => write!(
                f,
                "not locked (FSCTL_LOCK_VOLUME: {}): dismounted first (FSCTL_DISMOUNT_VOLUME flushed what it could; files still open lost their unwritten data)",
                Named(lock)
            ),
            Self::NotLocked { lock, dismount } => write!(
                f,
                "not locked (FSCTL_LOCK_VOLUME: {}; FSCTL_DISMOUNT_VOLUME: {}): data still in the file system's cache is not in the image",
                Named(lock),
                Named(dismount)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{STATUS_ACCESS_DENIED, STATUS_INVALID_DEVICE_REQUEST};
    use std::string::ToString;

    #[test]
    fn only_shutdown_disks_register() {
        assert!(registers(SaveOn::Shutdown));
        assert!(!registers(SaveOn::Stop));
        assert!(!registers(SaveOn::Never));
    }

    #[test]
    fn one_save_per_shutdown() {
        assert!(Shutdown::Idle.begin());
        assert!(!Shutdown::Done.begin());
        assert_eq!(IRP_STATUS, STATUS_SUCCESS);
    }

    #[test]
    fn a_refused_lock_dismounts_first() {
        assert_eq!(Quiesce::after_lock(STATUS_SUCCESS), Quiesce::Save);
        assert_eq!(
            Quiesce::after_lock(STATUS_ACCESS_DENIED),
            Quiesce::DismountFirst
        );
    }

    #[test]
    fn the_log_says_consistent_only_under_the_lock() {
        let locked = Quiesced::from_steps(Ok(()), STATUS_SUCCESS, STATUS_INVALID_DEVICE_REQUEST);
        assert_eq!(locked, Quiesced::Locked);
        assert!(locked.locked() && locked.dismount_after());
        assert!(locked.to_string().starts_with("consistent ("));
        let dismounted = Quiesced::from_steps(Ok(()), STATUS_ACCESS_DENIED, STATUS_SUCCESS);
        assert_eq!(
            dismounted,
            Quiesced::NotLocked {
                lock: STATUS_ACCESS_DENIED,
                dismount: STATUS_SUCCESS
            }
        );
        assert!(!dismounted.locked() && !dismounted.dismount_after());
        let text = dismounted.to_string();
        assert!(text.starts_with("not locked (FSCTL_LOCK_VOLUME: 0xc0000022 (STATUS_ACCESS_DENIED)): dismounted first"), "{text}");
        let neither = Quiesced::from_steps(Ok(()), STATUS_ACCESS_DENIED, STATUS_ACCESS_DENIED);
        assert!(
            neither
                .to_string()
                .contains("FSCTL_DISMOUNT_VOLUME: 0xc0000022")
        );
        let unopened =
            Quiesced::from_steps(Err(STATUS_ACCESS_DENIED), STATUS_SUCCESS, STATUS_SUCCESS);
        assert_eq!(unopened, Quiesced::NotOpened(STATUS_ACCESS_DENIED));
        assert!(!unopened.locked());
        assert!(
            unopened
                .to_string()
                .starts_with("not locked (the volume cannot be opened")
        );
    }
}
