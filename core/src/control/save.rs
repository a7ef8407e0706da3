//! `IOCTL_RAMDISK_SAVE`: write a disk's data to its `ImageFile` (or to a `Target`).
//!
//! Input [`RamdiskSaveInput`] (version [`RAMDISK_SAVE_VERSION`]), output
//! [`RamdiskSaveResult`]; `FILE_WRITE_ACCESS`, on the control device only (the disk
//! devices answer none of its codes). The driver pends it and saves on its worker
//! thread; the decisions are [`crate::save`]'s.
//!
//! Statuses, as the other control requests: the wrong length or `Size`
//! `STATUS_INFO_LENGTH_MISMATCH`; another `Version` `STATUS_REVISION_MISMATCH`; an
//! output buffer under 56 bytes `STATUS_BUFFER_TOO_SMALL` (before anything is done);
//! unknown `Flags` bits, neither or both of `LOCKED` and `NO_LOCK`, nonzero reserved
//! fields, a bad `By`/`Value`, a `Target` without its NUL or given without its flag
//! (or the flag without a path) `STATUS_INVALID_PARAMETER`; a `Target` an `ImageFile`
//! could not be (relative, bad characters, `\Device\Ramdisk…`, the disk's own drive
//! letter) `STATUS_INVALID_PARAMETER` ([`ControlError::Target`]).

use zerocopy::FromZeros;
use zerocopy::IntoBytes;

use super::{
    ControlError, FILE_DEVICE_UNKNOWN, Field, Select, TooLong, blank, encode_select, put_text,
    read_exact, select, size32, text,
};
use crate::config::{ImagePath, Problem, image_file_into};
use crate::ioctl::Reply;
use crate::ioctl::codes::{FILE_WRITE_ACCESS, METHOD_BUFFERED, ctl_code};
use crate::save::ReplaceMethod;
use crate::status::{STATUS_BUFFER_TOO_SMALL, STATUS_SUCCESS};
use crate::wire::control::{
    RAMDISK_SAVE_FLAGS, RAMDISK_SAVE_LOCKED, RAMDISK_SAVE_NO_LOCK, RAMDISK_SAVE_TARGET,
    RAMDISK_SAVE_VERSION, RAMDISK_SAVED_FLAGS, RAMDISK_SAVED_LOCKED, RAMDISK_SAVED_SPARSE,
    RAMDISK_SAVED_TARGET, RamdiskSaveInput, RamdiskSaveResult, RamdiskTestShutdownReply,
};
use crate::wire::{U32, U64};

/// `IOCTL_RAMDISK_SAVE`: function 0x904, `FILE_WRITE_ACCESS`.
pub const IOCTL_RAMDISK_SAVE: u32 = ctl_code(
    FILE_DEVICE_UNKNOWN,
    0x904,
    METHOD_BUFFERED,
    FILE_WRITE_ACCESS,
);

/// The smallest output buffer a SAVE needs.
pub const SAVE_MIN_OUTPUT: usize = size_of::<RamdiskSaveResult>();

/// Whether the caller holds the volume lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SaveLock {
    /// `RAMDISK_SAVE_LOCKED`: the image equals the locked volume.
    Locked,
    /// `RAMDISK_SAVE_NO_LOCK`: writes during the save may be torn at sector level.
    NoLock,
}

/// A validated `IOCTL_RAMDISK_SAVE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SaveRequest {
    /// Which disk.
    pub select: Select,
    /// The caller's lock.
    pub lock: SaveLock,
    /// A `Target` is given (read it with [`save_target_into`]).
    pub target: bool,
    /// The `Target`'s drive letter, if it has one: the driver refuses one that is
    /// any ramdisk's.
    pub target_letter: Option<u8>,
}

/// The `Target` text of a SAVE input whose structure is sound, as `REG_SZ` data
/// (`None`: not given).
fn target_units(s: &RamdiskSaveInput) -> Result<Option<&[u8]>, ControlError> {
    if s.base.flags.get() & RAMDISK_SAVE_TARGET == 0 {
        return if blank(&s.target) {
            Ok(None)
        } else {
            Err(ControlError::Malformed(Field::Target))
        };
    }
    match text(&s.target) {
        Some(t) if !t.is_empty() => Ok(Some(t.as_bytes())),
        _ => Err(ControlError::Malformed(Field::Target)),
    }
}

/// `Target` validated as an `ImageFile` is, into `path`; `own_letter` is the disk's
/// drive letter (refused as the target). False when no `Target` is given.
fn validate_target(
    s: &RamdiskSaveInput,
    own_letter: Option<u8>,
    path: &mut ImagePath,
) -> Result<bool, ControlError> {
    let Some(data) = target_units(s)? else {
        *path = ImagePath::EMPTY;
        return Ok(false);
    };
    image_file_into(data, own_letter, path).map_err(|e| match e.problem {
        Problem::BadImagePath(p) => ControlError::Target(p),
        _ => ControlError::Malformed(Field::Target),
    })?;
    Ok(true)
}

/// Validates an `IOCTL_RAMDISK_SAVE` input (the whole structure, the `Target` path
/// too; its drive letter is for the driver to check against the disks').
///
/// # Errors
/// See the module documentation; the first problem found.
pub fn parse_save(input: &[u8]) -> Result<SaveRequest, ControlError> {
    let s: &RamdiskSaveInput = read_exact(input, RAMDISK_SAVE_VERSION)?;
    let flags = s.base.flags.get();
    if flags & !RAMDISK_SAVE_FLAGS != 0 {
        return Err(ControlError::Malformed(Field::Flags));
    }
    let lock = match flags & (RAMDISK_SAVE_LOCKED | RAMDISK_SAVE_NO_LOCK) {
        RAMDISK_SAVE_LOCKED => SaveLock::Locked,
        RAMDISK_SAVE_NO_LOCK => SaveLock::NoLock,
        _ => return Err(ControlError::Malformed(Field::Flags)),
    };
    if !blank(&s.reserved2) {
        return Err(ControlError::Malformed(Field::Reserved));
    }
    // The selection (and its reserved field), checked as REMOVE/QUERY check theirs.
    let sel = select(&s.base)?;
    let mut path = ImagePath::EMPTY;
    let target = validate_target(s, None, &mut path)?;
    Ok(SaveRequest {
        select: sel,
        lock,
        target,
        target_letter: if target { path.drive_letter() } else { None },
    })
}

/// The `Target` of a SAVE input [`parse_save`] accepted, validated into `path`.
///
/// `path` is the disk's own buffer; `own_letter` is the saved disk's letter, refused
/// as the target. `Ok(false)` (and `path` empty) when no `Target` is given.
///
/// # Errors
/// As [`parse_save`]; [`ControlError::Target`] with
/// [`crate::config::PathProblem::OnRamdisk`] for the disk's own letter.
pub fn save_target_into(
    input: &[u8],
    own_letter: Option<u8>,
    path: &mut ImagePath,
) -> Result<bool, ControlError> {
    let s: &RamdiskSaveInput = read_exact(input, RAMDISK_SAVE_VERSION)?;
    validate_target(s, own_letter, path)
}

/// Checks, before anything is done, that the output buffer can hold the result.
///
/// # Errors
/// [`ControlError::OutputTooSmall`].
pub const fn check_save_output(output_len: usize) -> Result<(), ControlError> {
    if output_len < SAVE_MIN_OUTPUT {
        Err(ControlError::OutputTooSmall {
            needed: SAVE_MIN_OUTPUT,
            found: output_len,
        })
    } else {
        Ok(())
    }
}

/// A SAVE input (ramdiskctl's side; the driver still validates it).
///
/// # Errors
/// [`TooLong`] for a target of more than 1024 UTF-16 units.
pub fn encode_save(
    select: Select,
    lock: SaveLock,
    target: Option<&str>,
) -> Result<RamdiskSaveInput, TooLong> {
    let mut s = RamdiskSaveInput::new_zeroed();
    s.base = encode_select(select, false);
    s.base.version = U32::new(RAMDISK_SAVE_VERSION);
    s.base.size = U32::new(size32::<RamdiskSaveInput>());
    let mut flags = match lock {
        SaveLock::Locked => RAMDISK_SAVE_LOCKED,
        SaveLock::NoLock => RAMDISK_SAVE_NO_LOCK,
    };
    if let Some(t) = target {
        flags |= RAMDISK_SAVE_TARGET;
        put_text(&mut s.target, t, Field::Target)?;
    }
    s.base.flags = U32::new(flags);
    Ok(s)
}

/// What a save did (the driver's input to [`encode_save_result`], ramdiskctl's
/// reading of the reply).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SaveOutcome {
    /// `STATUS_SUCCESS`, or what failed after the replace (see [`RamdiskSaveResult`]).
    pub status: i32,
    /// How the file was replaced.
    pub method: ReplaceMethod,
    /// Saved under the caller's lock.
    pub locked: bool,
    /// The file is sparse; holes were not written.
    pub sparse: bool,
    /// Saved to the request's `Target`.
    pub target: bool,
    /// The file's size.
    pub file_bytes: u64,
    /// Bytes of data runs.
    pub data_bytes: u64,
    /// Bytes of zero runs.
    pub hole_bytes: u64,
    /// Duration in 100 ns units.
    pub elapsed: u64,
}

/// The `RAMDISK_SAVE_RESULT` of a save.
#[must_use]
pub fn encode_save_result(o: &SaveOutcome) -> RamdiskSaveResult {
    let mut flags = 0;
    for (on, bit) in [
        (o.locked, RAMDISK_SAVED_LOCKED),
        (o.sparse, RAMDISK_SAVED_SPARSE),
        (o.target, RAMDISK_SAVED_TARGET),
    ] {
        if on {
            flags |= bit;
        }
    }
    RamdiskSaveResult {
        version: U32::new(RAMDISK_SAVE_VERSION),
        size: U32::new(size32::<RamdiskSaveResult>()),
        status: U32::new(o.status.cast_unsigned()),
        method: U32::new(o.method.code()),
        flags: U32::new(flags),
        reserved: U32::new(0),
        file_bytes: U64::new(o.file_bytes),
        data_bytes: U64::new(o.data_bytes),
        hole_bytes: U64::new(o.hole_bytes),
        elapsed: U64::new(o.elapsed),
    }
}

/// Writes a SAVE result into `out`.
#[must_use]
pub fn save_reply(result: &RamdiskSaveResult, out: &mut [u8]) -> Reply {
    reply_bytes(result.as_bytes(), out)
}

/// The fault-injection build's `IOCTL_RAMDISK_TEST_SHUTDOWN` reply into `out`.
///
/// The devices sent to (`statuses.len()`, at most
/// [`TEST_SHUTDOWN_DEVICES`](crate::wire::control::TEST_SHUTDOWN_DEVICES)) and each
/// one's final status.
#[must_use]
pub fn test_shutdown_reply(statuses: &[i32], out: &mut [u8]) -> Reply {
    let mut reply = RamdiskTestShutdownReply::new_zeroed();
    let mut sent = 0u32;
    for (slot, &status) in reply.status.iter_mut().zip(statuses) {
        *slot = U32::new(status.cast_unsigned());
        sent += 1;
    }
    reply.sent = U32::new(sent);
    reply_bytes(reply.as_bytes(), out)
}

/// `bytes` into the start of `out`, or `STATUS_BUFFER_TOO_SMALL` without room for all
/// of them.
fn reply_bytes(bytes: &[u8], out: &mut [u8]) -> Reply {
    out.get_mut(..bytes.len()).map_or(
        Reply {
            status: STATUS_BUFFER_TOO_SMALL,
            information: 0,
        },
        |dest| {
            dest.copy_from_slice(bytes);
            Reply {
                status: STATUS_SUCCESS,
                information: dest.len(),
            }
        },
    )
}

/// Why a SAVE result cannot be read (ramdiskctl's side).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SaveResultError {
    /// Not one structure of its `Size`, unknown bits or method, nonzero reserved, or
    /// data and hole bytes that do not add up to the file's.
    Malformed,
    /// Another version.
    Version(u32),
}

impl core::fmt::Display for SaveResultError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Malformed => f.write_str("the driver's save result is malformed"),
            Self::Version(v) => write!(f, "the driver's save result has version {v}"),
        }
    }
}

/// Reads a SAVE reply.
///
/// # Errors
/// [`SaveResultError`] for a reply that is not a consistent version-1 result.
pub fn read_save_result(reply: &[u8]) -> Result<SaveOutcome, SaveResultError> {
    use zerocopy::FromBytes;
    let r = RamdiskSaveResult::read_from_bytes(reply).map_err(|_| SaveResultError::Malformed)?;
    if r.version.get() != RAMDISK_SAVE_VERSION {
        return Err(SaveResultError::Version(r.version.get()));
    }
    let flags = r.flags.get();
    let method = ReplaceMethod::from_code(r.method.get()).ok_or(SaveResultError::Malformed)?;
    if r.size.get() as usize != SAVE_MIN_OUTPUT
        || flags & !RAMDISK_SAVED_FLAGS != 0
        || r.reserved.get() != 0
        || r.data_bytes.get().checked_add(r.hole_bytes.get()) != Some(r.file_bytes.get())
    {
        return Err(SaveResultError::Malformed);
    }
    Ok(SaveOutcome {
        status: r.status.get().cast_signed(),
        method,
        locked: flags & RAMDISK_SAVED_LOCKED != 0,
        sparse: flags & RAMDISK_SAVED_SPARSE != 0,
        target: flags & RAMDISK_SAVED_TARGET != 0,
        file_bytes: r.file_bytes.get(),
        data_bytes: r.data_bytes.get(),
        hole_bytes: r.hole_bytes.get(),
        elapsed: r.elapsed.get(),
    })
}

#[cfg(test)]
mod tests;
