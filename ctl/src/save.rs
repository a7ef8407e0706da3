//! `ramdiskctl save [R:] [--to FILE] [--no-lock]`: write a disk's data to its image
//! file (or to `FILE`), consistently.
//!
//! The order: list the disks through the control device (only this driver's disks
//! are saved), open `\\.\R:` and take `FSCTL_LOCK_VOLUME` (retried for about 2 s;
//! the lock flushes the file system and keeps everyone else from writing), send
//! `IOCTL_RAMDISK_SAVE` to `\\.\RamdiskControl` while holding it, then
//! `FSCTL_UNLOCK_VOLUME` and close the handle — the unlock comes whatever the save
//! answered. With the lock the image equals the locked volume.
//!
//! A lock that cannot be had (a program has files open on the volume) stops the save
//! with exit code 5 before anything is written. `--no-lock` takes no lock at all and
//! tells the driver so: data written while the save runs may be torn at sector
//! level (a sector is whole, but sectors written during the copy may be in the image
//! from before or after the write). Where no volume lock exists (Wine: the request
//! reaches our driver, which does not support it) the save goes on unlocked, with a
//! warning, and the driver is told it is unlocked.
//!
//! A driver without SAVE (`STATUS_INVALID_DEVICE_REQUEST`, Win32
//! `ERROR_INVALID_FUNCTION`) is exit code 7 with a message saying so: a driver
//! older than this ramdiskctl (built before saving was).
//!
//! Written against [`SaveSystem`], so the host tests check the exact order with a
//! fake; `cmd/save.rs` implements it with `CreateFileW` and `DeviceIoControl`.

use std::time::Duration;

use ramdisk_core::config::ImagePath;
use ramdisk_core::control::{
    RamdiskDiskInfo, RamdiskSaveInput, SaveLock, SaveOutcome, Select, encode_save, read_save_result,
};
use ramdisk_core::status::STATUS_SUCCESS;
use serde::Serialize;

use crate::error::{CtlError, EXIT_BUSY, EXIT_NO_DEVICE, EXIT_UNSUPPORTED, EXIT_USAGE, win32_text};
use crate::fsctl::{ERROR_INVALID_FUNCTION, FsctlOutcome, fsctl_warning, lock_with_retries};
use crate::remove::{DiskRow, ERROR_BUSY, ERROR_NO_SUCH_DEVICE, rows_of};

/// `ERROR_ALREADY_EXISTS`: the driver's `STATUS_OBJECT_NAME_COLLISION` (the image file
/// is not the one the disk loaded or last saved).
pub const ERROR_ALREADY_EXISTS: u32 = 183;
/// `ERROR_INVALID_PARAMETER`: the driver's `STATUS_INVALID_PARAMETER`.
const ERROR_INVALID_PARAMETER: u32 = 87;
/// `ERROR_INVALID_DATA`: a reply that is not what the driver should send.
const ERROR_INVALID_DATA: u32 = 13;

/// What the save needs from the system.
pub trait SaveSystem {
    /// An open volume handle.
    type Volume;
    /// `IOCTL_RAMDISK_LIST`.
    ///
    /// # Errors
    /// The Win32 error (of opening the control device, or of the request).
    fn list(&mut self) -> Result<Vec<RamdiskDiskInfo>, u32>;
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
    /// `FSCTL_UNLOCK_VOLUME`.
    ///
    /// # Errors
    /// The Win32 error code.
    fn unlock(&mut self, volume: &Self::Volume) -> Result<(), u32>;
    /// Closes the volume handle.
    fn close_volume(&mut self, volume: Self::Volume);
    /// `IOCTL_RAMDISK_SAVE` with `input` to the control device; the reply's bytes.
    ///
    /// # Errors
    /// The Win32 error code.
    fn save(&mut self, input: &RamdiskSaveInput) -> Result<Vec<u8>, u32>;
    /// Pauses between two lock attempts.
    fn sleep(&mut self, pause: Duration);
}

/// How to save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaveOptions {
    /// `--no-lock`: take no volume lock.
    pub no_lock: bool,
    /// Lock attempts before giving up.
    pub lock_attempts: u32,
    /// Pause between two attempts.
    pub lock_pause: Duration,
}

impl SaveOptions {
    /// 10 attempts 200 ms apart (about 2 s, as `stop` and `trim`).
    #[must_use]
    pub const fn new(no_lock: bool) -> Self {
        Self {
            no_lock,
            lock_attempts: 10,
            lock_pause: Duration::from_millis(200),
        }
    }
}

/// How the volume lock went (`"lock"` in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockState {
    /// Held for the whole save: the image equals the locked volume.
    Locked,
    /// Not taken: `--no-lock`.
    Skipped,
    /// No volume lock here (Wine); saved unlocked, a warning says so.
    Unsupported,
}

/// What the save did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveDone {
    /// The disk as it was listed before.
    pub disk: DiskRow,
    /// The volume lock.
    pub lock: LockState,
    /// The driver's result.
    pub outcome: SaveOutcome,
    /// Warnings, one line each.
    pub warnings: Vec<String>,
}

/// Checks a `--to` path as the driver will (an `ImageFile`'s rules, and not on any
/// of the driver's disks), so a bad one is a usage error before anything is locked.
///
/// # Errors
/// Exit code 2 with the reason.
pub fn check_target(target: &str, disks: &[DiskRow]) -> Result<(), CtlError> {
    let units: Vec<u16> = target.encode_utf16().collect();
    let usage = |why: String| CtlError::msg(format!("--to {target}: {why}")).exit_code(EXIT_USAGE);
    let path = ImagePath::parse(&units).map_err(|p| usage(format!("the path {p}")))?;
    if let Some(l) = path.drive_letter().map(char::from)
        && disks.iter().any(|d| d.letter_char() == l)
    {
        return Err(usage(format!(
            "{l}: is a RAM disk of this driver (the image would live in the memory it is meant to keep)"
        )));
    }
    Ok(())
}

/// Opens and locks `path` unless `--no-lock`; the volume handle (`None`: no lock to
/// release) and the lock state.
fn take_lock<S: SaveSystem>(
    sys: &mut S,
    path: &str,
    opts: SaveOptions,
    warnings: &mut Vec<String>,
) -> Result<(Option<S::Volume>, LockState), CtlError> {
    if opts.no_lock {
        return Ok((None, LockState::Skipped));
    }
    let volume = sys.open_volume(path).map_err(|code| {
        CtlError::win32(
            format!("cannot open {path} to lock it for the save (use --no-lock to save without the lock)"),
            code,
        )
    })?;
    let locked = lock_with_retries(
        sys,
        opts.lock_attempts,
        opts.lock_pause,
        |s| s.lock(&volume),
        SaveSystem::sleep,
    );
    match locked {
        Ok(FsctlOutcome::Done) => Ok((Some(volume), LockState::Locked)),
        Ok(o @ FsctlOutcome::Unsupported(_)) => {
            warnings.extend(fsctl_warning("FSCTL_LOCK_VOLUME", o));
            warnings.push(format!(
                "warning: {path} is saved without a volume lock: data written during the save may be torn at sector level"
            ));
            sys.close_volume(volume);
            Ok((None, LockState::Unsupported))
        }
        Err(code) => {
            sys.close_volume(volume);
            let secs = opts.lock_pause.as_secs_f64() * f64::from(opts.lock_attempts - 1);
            Err(CtlError::win32(
                format!(
                    "cannot lock {path}: a program has files or folders open on it (tried {} \
                     times over {secs:.1} s); nothing was saved. Close them and retry, or use \
                     --no-lock to save anyway (data written during the save may be torn at \
                     sector level)",
                    opts.lock_attempts
                ),
                code,
            )
            .exit_code(EXIT_BUSY))
        }
    }
}

/// The error for a SAVE the driver refused.
fn refused(letter: char, target: Option<&str>, code: u32) -> CtlError {
    let e = |context: String| CtlError::win32(context, code);
    match code {
        ERROR_INVALID_FUNCTION => e(format!(
            "the driver does not support IOCTL_RAMDISK_SAVE (a driver older than this \
             ramdiskctl), so the disk on {letter}: was not saved"
        ))
        .exit_code(EXIT_UNSUPPORTED),
        ERROR_NO_SUCH_DEVICE => e(format!("no RAM disk on {letter}:")).exit_code(EXIT_NO_DEVICE),
        ERROR_BUSY => e(format!(
            "the disk on {letter}: is busy (another save or a removal)"
        ))
        .exit_code(EXIT_BUSY),
        ERROR_ALREADY_EXISTS => e(format!(
            "the image file of {letter}: is not the one the disk loaded or last saved (someone \
             else replaced, changed or deleted it); the save left it alone. Save elsewhere with \
             --to, or move that file away"
        )),
        ERROR_INVALID_PARAMETER if target.is_none() => e(format!(
            "the driver refused to save {letter}: (a disk without an ImageFile, or a read-only \
             one, saves only with --to FILE)"
        )),
        _ => e(format!("the driver did not save the disk on {letter}:")),
    }
}

/// Saves the disk on `letter` to its image file, or to `target` (an absolute path the
/// driver validates again), in the order the module documentation explains.
///
/// # Errors
/// No such disk (exit 3); a bad `--to` (exit 2); the volume cannot be opened or
/// locked without `--no-lock` (busy: exit 5, nothing saved); the driver has no SAVE
/// (exit 7) or refused; a malformed reply.
pub fn save_disk<S: SaveSystem>(
    sys: &mut S,
    letter: char,
    target: Option<&str>,
    opts: SaveOptions,
) -> Result<SaveDone, CtlError> {
    let letter = letter.to_ascii_uppercase();
    let disks = rows_of(sys.list())?;
    let disk = disks
        .iter()
        .find(|d| d.letter_char() == letter)
        .cloned()
        .ok_or_else(|| {
            CtlError::msg(format!(
                "no RAM disk on {letter}: (ramdiskctl list shows them)"
            ))
            .exit_code(EXIT_NO_DEVICE)
        })?;
    if let Some(t) = target {
        check_target(t, &disks)?;
    }
    let select = Select::Letter(u8::try_from(letter).unwrap_or(b'?'));
    let path = format!(r"\\.\{letter}:");
    let mut warnings = Vec::new();
    let (volume, lock) = take_lock(sys, &path, opts, &mut warnings)?;
    let lock_flag = if lock == LockState::Locked {
        SaveLock::Locked
    } else {
        SaveLock::NoLock
    };
    let input = encode_save(select, lock_flag, target)
        .map_err(|e| CtlError::msg(format!("--to: {e}")).exit_code(EXIT_USAGE));
    let reply = input.and_then(|i| sys.save(&i).map_err(|code| refused(letter, target, code)));
    // Whatever the save answered: unlock, then close.
    if let Some(v) = volume {
        if let Err(code) = sys.unlock(&v) {
            warnings.push(format!(
                "warning: FSCTL_UNLOCK_VOLUME on {path} failed ({}, Win32 error {code}); closing the handle releases the lock",
                win32_text(code)
            ));
        }
        sys.close_volume(v);
    }
    let outcome = read_save_result(&reply?)
        .map_err(|e| CtlError::win32(format!("{e} (IOCTL_RAMDISK_SAVE)"), ERROR_INVALID_DATA))?;
    if outcome.status != STATUS_SUCCESS {
        warnings.push(format!(
            "warning: the image was saved, but the driver could not open the new file again \
             (NTSTATUS {:#010X}): the disk no longer holds it, and its next save refuses until \
             that is fixed (see the driver's log)",
            outcome.status.cast_unsigned()
        ));
    }
    Ok(SaveDone {
        disk,
        lock,
        outcome,
        warnings,
    })
}

#[cfg(test)]
mod tests;
