//! The volume contract with the mount manager: registration after a disk's device is
//! published, removal of its drive letters at unload.
//!
//! Every decision is `ramdisk_core::mountmgr`'s; this file sends the requests it
//! encodes through a kernel handle to the mount manager (`\Device\MountPointManager`,
//! or the test double the fault-injection build's `MountManagerDevice` names) and logs
//! each outcome. Registration runs on a system thread that `DriverEntry` waits for (the
//! mount manager calls back into the disk synchronously, inside the arrival request).

use ramdisk_core::{
    disk::{DeviceName, dos_device_name},
    ioctl::codes::{
        IOCTL_MOUNTMGR_CREATE_POINT, IOCTL_MOUNTMGR_DELETE_POINTS, IOCTL_MOUNTMGR_QUERY_POINTS,
        IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION,
    },
    mountmgr::{
        self, AfterCreate, FIRST_QUERY_BYTES, Fallback, LetterSet, MAX_POINTS_REPLY,
        MountManagerName, Plan, Points, QueryError, QueryReply, Request, Settled,
    },
    status::{self, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_SUCCESS},
};

use crate::kernel::{
    file::{Access, DeviceFile},
    pool::PoolBuffer,
    time,
};

/// Who serves the disk's drive letter after registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// The mount manager: these drive letters are its mount points for the device.
    MountManager(LetterSet),
    /// The driver's own `\DosDevices\X:` link, for this reason.
    Fallback(Fallback),
}

/// Why the start fails at registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterError {
    /// `CREATE_POINT` found the configured letter taken (`STATUS_OBJECT_NAME_COLLISION`).
    LetterTaken(i32),
    /// A request could not be encoded (a name too long: a bug).
    Encoding,
}

/// The requests' status and output, as [`DeviceFile::ioctl`] returns them.
type Answer = (i32, usize);

/// `(status, Information)` as a log fragment.
struct StatusText(i32);

impl core::fmt::Display for StatusText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{:#010x} ({})",
            self.0.cast_unsigned(),
            status::name(self.0)
        )
    }
}

/// `QUERY_POINTS` by device name: asks with [`FIRST_QUERY_BYTES`] on the stack, then,
/// after `STATUS_BUFFER_OVERFLOW`, with `Size` bytes of pool (twice at most: the list
/// may grow in between).
fn query_points(file: &DeviceFile, device: &DeviceName) -> Result<Points, QueryError> {
    let request = mountmgr::query_by_device(device.as_slice())
        .ok_or(QueryError::Malformed("device name too long"))?;
    let mut first = [0u8; FIRST_QUERY_BYTES];
    let (status, information) =
        file.ioctl(IOCTL_MOUNTMGR_QUERY_POINTS, request.as_bytes(), &mut first);
    let mut reply = mountmgr::read_points(
        status,
        first.get(..information).unwrap_or(&[]),
        device.as_slice(),
    )?;
    for _ in 0..2 {
        let needed = match reply {
            QueryReply::Listed(points) => return Ok(points),
            QueryReply::Overflow(needed) => needed,
        };
        let mut buffer = PoolBuffer::new(needed.min(MAX_POINTS_REPLY))
            .ok_or(QueryError::Status(STATUS_INSUFFICIENT_RESOURCES))?;
        let out = buffer.as_mut_slice();
        let (status, information) =
            file.ioctl(IOCTL_MOUNTMGR_QUERY_POINTS, request.as_bytes(), out);
        reply = mountmgr::read_points(
            status,
            out.get(..information).unwrap_or(&[]),
            device.as_slice(),
        )?;
    }
    match reply {
        QueryReply::Listed(points) => Ok(points),
        QueryReply::Overflow(_) => Err(QueryError::Malformed("the list keeps growing")),
    }
}

/// `DELETE_POINTS` for `letter`'s link (the link-name form). The reply lists the
/// deleted points; its output buffer must hold at least `MOUNTMGR_MOUNT_POINTS`.
fn delete_letter(file: &DeviceFile, letter: u8) -> Answer {
    let Some(request) = dos_device_name(letter).and_then(|link| mountmgr::delete_link(&link))
    else {
        return (STATUS_INVALID_PARAMETER, 0);
    };
    let mut reply = [0u8; FIRST_QUERY_BYTES];
    file.ioctl(IOCTL_MOUNTMGR_DELETE_POINTS, request.as_bytes(), &mut reply)
}

/// Sends a request with no output.
fn send(file: &DeviceFile, code: u32, request: &Request) -> i32 {
    file.ioctl(code, request.as_bytes(), &mut []).0
}

/// Registers the disk `device` (configured drive letter `letter`) with the mount
/// manager `manager`, and reconciles its drive letters. Call from a system thread.
///
/// # Errors
/// [`RegisterError::LetterTaken`] when the letter belongs to another volume.
pub fn register(
    manager: &MountManagerName,
    device: &DeviceName,
    letter: u8,
) -> Result<Ownership, RegisterError> {
    let started = time::system_time();
    let result = register_steps(manager, device, letter);
    let elapsed_ms = (time::system_time() - started) / 10_000;
    if elapsed_ms > 5_000 {
        log!(error, disk: letter, "mount-manager registration took {elapsed_ms} ms");
    }
    result
}

fn register_steps(
    manager: &MountManagerName,
    device: &DeviceName,
    letter: u8,
) -> Result<Ownership, RegisterError> {
    let file = match DeviceFile::open(manager.as_slice(), Access::ReadWrite) {
        Ok(file) => file,
        Err(status) => return Ok(Ownership::Fallback(Fallback::CannotOpen(status))),
    };
    let arrival = mountmgr::arrival(device.as_slice()).ok_or(RegisterError::Encoding)?;
    let status = send(&file, IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION, &arrival);
    if status != STATUS_SUCCESS {
        return Ok(Ownership::Fallback(Fallback::ArrivalFailed(status)));
    }
    log!(disk: letter, "volume arrival accepted by {manager}");
    let points = match query_points(&file, device) {
        Ok(points) => points,
        Err(e) => return Ok(Ownership::Fallback(Fallback::QueryFailed(e))),
    };
    let (delete, create) = match mountmgr::plan(points, letter) {
        Plan::Fallback(reason) => return Ok(Ownership::Fallback(reason)),
        Plan::Reconcile { delete, create } => (delete, create),
    };
    log!(
        disk: letter,
        "the mount manager lists {} point(s), drive letters {}",
        points.count,
        points.letters
    );
    for other in delete.iter() {
        let (status, _) = delete_letter(&file, other);
        log!(
            disk: letter,
            "DELETE_POINTS {}: (not the configured letter): {}",
            char::from(other),
            StatusText(status)
        );
    }
    let mut configured = LetterSet::EMPTY;
    configured.insert(letter);
    if !create {
        return Ok(Ownership::MountManager(configured));
    }
    let create_point = dos_device_name(letter)
        .and_then(|link| mountmgr::create_point(&link, device.as_slice()))
        .ok_or(RegisterError::Encoding)?;
    let status = send(&file, IOCTL_MOUNTMGR_CREATE_POINT, &create_point);
    match mountmgr::after_create(status) {
        AfterCreate::Owned => {
            log!(disk: letter, "CREATE_POINT {}: succeeded", char::from(letter));
            Ok(Ownership::MountManager(configured))
        }
        AfterCreate::Taken => Err(RegisterError::LetterTaken(status)),
        AfterCreate::Requery(status) => {
            log!(
                error,
                disk: letter,
                "CREATE_POINT {}: failed with {}; asking QUERY_POINTS again",
                char::from(letter),
                StatusText(status)
            );
            match mountmgr::after_requery(status, query_points(&file, device)) {
                Settled::Owned(letters) => {
                    if !letters.contains(letter) {
                        log!(
                            error,
                            disk: letter,
                            "the mount manager gave the volume {letters} instead"
                        );
                    }
                    Ok(Ownership::MountManager(letters))
                }
                Settled::Fallback(reason) => Ok(Ownership::Fallback(reason)),
            }
        }
    }
}

/// At unload: deletes (link-name form) every drive letter the mount manager still
/// lists for `device`, so a plain `sc stop` removes the letter too. Logs each step;
/// never fails (the device goes away regardless).
pub fn unregister(manager: &MountManagerName, device: &DeviceName, letter: u8) {
    let file = match DeviceFile::open(manager.as_slice(), Access::ReadWrite) {
        Ok(file) => file,
        Err(status) => {
            log!(
                error,
                disk: letter,
                "unload: the mount manager cannot be opened: {}",
                StatusText(status)
            );
            return;
        }
    };
    match query_points(&file, device) {
        Ok(points) => {
            for l in points.letters.iter() {
                let (status, _) = delete_letter(&file, l);
                if status == STATUS_SUCCESS {
                    log!(disk: letter, "unload: DELETE_POINTS {}: {}", char::from(l), StatusText(status));
                } else {
                    log!(error, disk: letter, "unload: DELETE_POINTS {}: {}", char::from(l), StatusText(status));
                }
            }
            if points.letters.is_empty() {
                log!(disk: letter, "unload: the mount manager lists no drive letter for the volume");
            }
        }
        Err(e) => log!(error, disk: letter, "unload: QUERY_POINTS {e}"),
    }
}
