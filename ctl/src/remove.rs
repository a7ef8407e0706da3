//! The safe removal of `ramdiskctl remove` (and of every disk before `ramdiskctl stop`).
//!
//! The same order as the safe stop ([`crate::stop`]): lock the volume, dismount it,
//! delete its drive letter from the mount manager, then ask the driver to REMOVE the
//! disk **while still holding the locked volume handle** (closing it first would let
//! Explorer mount the volume again in between), then close it; by default the disk's
//! `Parameters\Disks\<NAME>` subkey goes too, so it does not come back at the next
//! start.
//!
//! Busy: a lock that cannot be had (a program has files open on the volume) stops the
//! removal with exit code 5, and so does the driver's own refusal (`ERROR_BUSY`: open
//! handles to the disk device, or a file system still mounted); `--force` dismounts
//! without the lock and removes anyway. Where no file system is layered over the disk
//! (Wine: `FSCTL_DISMOUNT_VOLUME` reaches the driver, which does not support it), the
//! volume handle is a handle to the disk device itself and would count as busy, so it
//! is closed before the REMOVE — there is no file system that could mount in between.
//!
//! Written against [`RemoveSystem`], so the host tests check the exact order with a
//! fake; `cmd/remove.rs` implements it with `CreateFileW`, `DeviceIoControl`, the
//! control device and the registry.

use ramdisk_core::control::RamdiskDiskInfo;
use serde::Serialize;

use crate::error::{CtlError, EXIT_BUSY, EXIT_NO_DEVICE, win32_text};
use crate::stop::{
    MountPointStep, Step, StopOptions, StopSystem, delete_mount_point, lock_and_dismount,
};

/// `ERROR_FILE_NOT_FOUND`.
const ERROR_FILE_NOT_FOUND: u32 = 2;
/// `ERROR_PATH_NOT_FOUND`.
const ERROR_PATH_NOT_FOUND: u32 = 3;
/// `ERROR_BUSY`: the driver's `STATUS_DEVICE_BUSY`.
pub const ERROR_BUSY: u32 = 170;
/// `ERROR_NO_SUCH_DEVICE`: the driver's `STATUS_NO_SUCH_DEVICE` (no such disk).
pub const ERROR_NO_SUCH_DEVICE: u32 = 433;

/// What the removal needs beyond the stop's volume requests.
pub trait RemoveSystem: StopSystem {
    /// `IOCTL_RAMDISK_LIST`.
    ///
    /// # Errors
    /// The Win32 error (of opening the control device, or of the request).
    fn list(&mut self) -> Result<Vec<RamdiskDiskInfo>, u32>;
    /// `IOCTL_RAMDISK_REMOVE` of the disk on `letter`.
    ///
    /// # Errors
    /// The Win32 error (`ERROR_BUSY` when the driver finds it busy).
    fn remove(&mut self, letter: char, force: bool) -> Result<(), u32>;
    /// Deletes `Parameters\Disks\<name>`.
    ///
    /// # Errors
    /// The Win32 error.
    fn delete_persisted(&mut self, name: &str) -> Result<(), u32>;
}

/// One disk as `list` shows it (and `--json` prints it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiskRow {
    /// The ramdisk index.
    pub index: u32,
    /// `\Device\Ramdisk<N>`.
    pub device: String,
    /// `R:`.
    pub letter: String,
    /// Bytes, as `info --json` has it.
    pub size: u64,
    /// `FAT16`, ...
    pub file_system: String,
    /// `fixed` or `dynamic`.
    pub allocation: &'static str,
    /// Memory its data holds.
    pub allocated_bytes: u64,
    /// A dynamic disk's limit (`null`: none).
    pub memory_limit: Option<u64>,
    /// Open handles to the disk device.
    pub open_handles: u32,
    /// A file system is mounted on it.
    pub mounted: bool,
    /// Made at load from the registry.
    pub boot: bool,
    /// Its `Parameters\Disks` subkey (`null`: not persisted).
    pub persist: Option<String>,
}

/// Text of a `WCHAR` field up to its first NUL.
fn text(units: &[ramdisk_core::wire::U16]) -> String {
    let units: Vec<u16> = units
        .iter()
        .map(|u| u.get())
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

impl DiskRow {
    /// The row of one `RAMDISK_DISK_INFO`.
    #[must_use]
    pub fn new(info: &RamdiskDiskInfo) -> Self {
        let letter = char::from_u32(u32::from(info.drive_letter.get())).unwrap_or('?');
        let persist = text(&info.persist_name);
        Self {
            index: info.index.get(),
            device: text(&info.device_name),
            letter: format!("{letter}:"),
            size: info.disk_size.get(),
            file_system: text(&info.file_system),
            allocation: if info.allocation.get() == 1 {
                "dynamic"
            } else {
                "fixed"
            },
            allocated_bytes: info.allocated_bytes.get(),
            memory_limit: Some(info.memory_limit.get()).filter(|&m| m != 0),
            open_handles: info.open_handles.get(),
            mounted: info.flags.get() & ramdisk_core::control::RAMDISK_INFO_MOUNTED != 0,
            boot: info.flags.get() & ramdisk_core::control::RAMDISK_INFO_BOOT != 0,
            persist: Some(persist).filter(|p| !p.is_empty()),
        }
    }

    /// The drive letter.
    #[must_use]
    pub fn letter_char(&self) -> char {
        self.letter.chars().next().unwrap_or('?')
    }
}

/// What the removal did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoveOutcome {
    /// The disk as it was listed before.
    pub disk: DiskRow,
    /// `FSCTL_LOCK_VOLUME` (`None`: no volume was there to lock).
    pub lock: Option<Step>,
    /// `FSCTL_DISMOUNT_VOLUME` (`None`: no volume).
    pub dismount: Option<Step>,
    /// `IOCTL_MOUNTMGR_DELETE_POINTS` for its letter.
    pub mount_point: MountPointStep,
    /// The `Parameters\Disks` subkey deleted (its name).
    pub unpersisted: Option<String>,
    /// Warnings, one line each.
    pub warnings: Vec<String>,
}

/// The disks the driver lists, as rows.
///
/// # Errors
/// The control device cannot be opened (the driver is not running: exit 3) or asked.
pub fn rows<S: RemoveSystem>(sys: &mut S) -> Result<Vec<DiskRow>, CtlError> {
    rows_of(sys.list())
}

/// The rows of a LIST answer (`list`: what [`RemoveSystem::list`] returned).
///
/// # Errors
/// As [`rows`].
pub fn rows_of(list: Result<Vec<RamdiskDiskInfo>, u32>) -> Result<Vec<DiskRow>, CtlError> {
    list.map(|l| l.iter().map(DiskRow::new).collect())
        .map_err(|code| {
            let e = CtlError::win32(
                format!("cannot list the disks through {CONTROL_PATH}"),
                code,
            );
            if matches!(code, ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND) {
                e.exit_code(EXIT_NO_DEVICE)
                    .with_note("is the RustRamDisk driver running? (ramdiskctl start)")
            } else {
                e
            }
        })
}

/// The control device's Win32 path.
pub const CONTROL_PATH: &str = r"\\.\RamdiskControl";

/// The safe removal of the disk on `letter`, in the order the module documentation
/// explains.
///
/// # Errors
/// No such disk (exit 3); busy without `--force` (exit 5; nothing removed); the
/// volume cannot be opened, locked or dismounted without `--force`; the driver refused.
pub fn safe_remove<S: RemoveSystem>(
    sys: &mut S,
    letter: char,
    opts: StopOptions,
    keep_persisted: bool,
) -> Result<RemoveOutcome, CtlError> {
    let letter = letter.to_ascii_uppercase();
    let disk = rows(sys)?
        .into_iter()
        .find(|d| d.letter_char() == letter)
        .ok_or_else(|| {
            CtlError::msg(format!(
                "no RAM disk on {letter}: (ramdiskctl list shows them)"
            ))
            .exit_code(EXIT_NO_DEVICE)
        })?;
    let path = format!(r"\\.\{letter}:");
    let mut warnings = Vec::new();
    let mut volume = match sys.open_volume(&path) {
        Ok(v) => Some(v),
        Err(ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND) => None,
        Err(code) if opts.force => {
            warnings.push(format!(
                "warning: cannot open {path} to dismount it ({}, Win32 error {code}); removing anyway because of --force",
                win32_text(code)
            ));
            None
        }
        Err(code) => {
            return Err(CtlError::win32(
                format!(
                    "cannot open {path} to lock and dismount it (use --force to remove anyway)"
                ),
                code,
            ));
        }
    };
    let (mut lock, mut dismount) = (None, None);
    if let Some(v) = &volume {
        match lock_and_dismount(sys, v, &path, opts, &mut warnings, "remove") {
            Ok((l, d)) => (lock, dismount) = (Some(l), Some(d)),
            Err(e) => {
                if let Some(v) = volume.take() {
                    sys.close_volume(v);
                }
                return Err(e);
            }
        }
    }
    // No file system is layered over the disk: the handle is the disk's own.
    if dismount == Some(Step::Unsupported)
        && let Some(v) = volume.take()
    {
        sys.close_volume(v);
    }
    let mount_point = delete_mount_point(sys, letter, &mut warnings);
    let removed = sys.remove(letter, opts.force);
    // Only now let go of the volume (see the module documentation).
    if let Some(v) = volume {
        sys.close_volume(v);
    }
    removed.map_err(|code| match code {
        ERROR_BUSY => CtlError::win32(
            format!(
                "the disk on {letter}: is busy (the driver counts {} open handle(s){}); close \
                 them, or use --force",
                disk.open_handles,
                if disk.mounted {
                    " and a mounted file system"
                } else {
                    ""
                }
            ),
            code,
        )
        .exit_code(EXIT_BUSY),
        ERROR_NO_SUCH_DEVICE => {
            CtlError::win32(format!("no RAM disk on {letter}:"), code).exit_code(EXIT_NO_DEVICE)
        }
        _ => CtlError::win32(
            format!("the driver did not remove the disk on {letter}:"),
            code,
        ),
    })?;
    let mut unpersisted = None;
    if let Some(name) = disk.persist.as_deref().filter(|_| !keep_persisted) {
        match sys.delete_persisted(name) {
            Ok(()) => unpersisted = Some(name.to_string()),
            Err(ERROR_FILE_NOT_FOUND) => {}
            Err(code) => warnings.push(format!(
                "warning: cannot delete Parameters\\Disks\\{name} ({}, Win32 error {code}); the disk comes back at the next start",
                win32_text(code)
            )),
        }
    }
    Ok(RemoveOutcome {
        disk,
        lock,
        dismount,
        mount_point,
        unpersisted,
        warnings,
    })
}

/// Before `ramdiskctl stop`: every disk the driver lists, removed safely.
///
/// Their `Parameters\Disks` subkeys are kept, so they come back at the next start.
/// Nothing to do when the control device is not there (the driver is not running).
///
/// # Errors
/// The first disk that cannot be removed (busy: exit 5); the disks before it are gone.
pub fn remove_all<S: RemoveSystem>(
    sys: &mut S,
    opts: StopOptions,
) -> Result<Vec<RemoveOutcome>, CtlError> {
    let disks = match sys.list() {
        Ok(list) => list,
        Err(ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND) => return Ok(Vec::new()),
        Err(code) => {
            return Err(CtlError::win32(
                format!("cannot list the disks through {CONTROL_PATH}"),
                code,
            ));
        }
    };
    let mut done = Vec::new();
    for info in &disks {
        let row = DiskRow::new(info);
        done.push(safe_remove(sys, row.letter_char(), opts, true)?);
    }
    Ok(done)
}

#[cfg(test)]
mod tests;
