//! The `NTSTATUS` values `ramdisk-core` returns, with their WDK names.
//!
//! Every value was checked against `ntstatus.h` (mingw-w64 copy of the
//! Windows SDK header). They are `i32` because `NTSTATUS` is a signed `LONG`:
//! errors (severity 3) are negative, warnings (severity 2) too, success is
//! zero or positive.

#![allow(
    clippy::cast_possible_wrap,
    reason = "0xC... literals are meant as negative i32 bit patterns"
)]

/// `STATUS_SUCCESS`: the request completed.
pub const STATUS_SUCCESS: i32 = 0x0000_0000;

/// `STATUS_BUFFER_OVERFLOW` (a warning): only the header of the reply fit.
///
/// Used for the variable-length `MOUNTDEV_NAME` and `MOUNTDEV_UNIQUE_ID`; the
/// header's length field tells the caller how much room to supply.
pub const STATUS_BUFFER_OVERFLOW: i32 = 0x8000_0005_u32 as i32;

/// `STATUS_INVALID_PARAMETER`: out-of-range registry value, out-of-bounds or
/// misaligned transfer, too-small IOCTL input buffer, inconsistent buffers.
pub const STATUS_INVALID_PARAMETER: i32 = 0xC000_000D_u32 as i32;

/// `STATUS_NO_SUCH_DEVICE`: the device is not (yet, or any more) able to serve
/// requests (an IRP that reaches it before it is published or after it is retired).
pub const STATUS_NO_SUCH_DEVICE: i32 = 0xC000_000E_u32 as i32;

/// `STATUS_INVALID_DEVICE_REQUEST`: an IOCTL code the driver does not handle.
pub const STATUS_INVALID_DEVICE_REQUEST: i32 = 0xC000_0010_u32 as i32;

/// `STATUS_BUFFER_TOO_SMALL`: the output buffer cannot hold even the smallest
/// meaningful reply; nothing was written (`Information` is 0).
pub const STATUS_BUFFER_TOO_SMALL: i32 = 0xC000_0023_u32 as i32;

/// `STATUS_OBJECT_TYPE_MISMATCH`: a registry value has the wrong `REG_*` type.
pub const STATUS_OBJECT_TYPE_MISMATCH: i32 = 0xC000_0024_u32 as i32;

/// `STATUS_OBJECT_NAME_COLLISION`: the drive letter is already taken.
///
/// Returned by the glue when `IoCreateSymbolicLink` finds `\DosDevices\X:`
/// in use; listed here so the whole driver's vocabulary is in one place.
pub const STATUS_OBJECT_NAME_COLLISION: i32 = 0xC000_0035_u32 as i32;

/// `STATUS_INSUFFICIENT_RESOURCES`: the disk image could not be allocated
/// (returned by the glue; listed for completeness).
pub const STATUS_INSUFFICIENT_RESOURCES: i32 = 0xC000_009A_u32 as i32;

/// `STATUS_ACCESS_DENIED`: a handle without the access an IOCTL needs (the mount
/// manager, in log lines).
pub const STATUS_ACCESS_DENIED: i32 = 0xC000_0022_u32 as i32;

/// `STATUS_OBJECT_NAME_NOT_FOUND`: no such device, or (from the mount manager) no such
/// mount point; in log lines.
pub const STATUS_OBJECT_NAME_NOT_FOUND: i32 = 0xC000_0034_u32 as i32;

/// `STATUS_DEVICE_PROTOCOL_ERROR`: what the tests' mount-manager double answers an
/// arrival whose replies break the protocol; in log lines.
pub const STATUS_DEVICE_PROTOCOL_ERROR: i32 = 0xC000_0186_u32 as i32;

/// `STATUS_NOT_SUPPORTED`: a recognised request asking for something the
/// driver does not provide (an unsupported `IOCTL_STORAGE_QUERY_PROPERTY`
/// property or query type).
pub const STATUS_NOT_SUPPORTED: i32 = 0xC000_00BB_u32 as i32;

/// `STATUS_INTERNAL_ERROR`: a driver bug (an IRP the code forgot to complete is
/// completed with it, and logged).
pub const STATUS_INTERNAL_ERROR: i32 = 0xC000_00E5_u32 as i32;

/// `STATUS_INVALID_BUFFER_SIZE`: a registry value's data has the wrong size
/// for its type (a `REG_DWORD` that is not 4 bytes, odd-length `REG_SZ`, data
/// larger than [`crate::config::MAX_VALUE_DATA`]).
pub const STATUS_INVALID_BUFFER_SIZE: i32 = 0xC000_0206_u32 as i32;

/// `STATUS_DEVICE_BUSY` (a warning): the disk has open handles or a mounted file
/// system and the REMOVE was not forced; or the control device's queue is full.
pub const STATUS_DEVICE_BUSY: i32 = 0x8000_0011_u32 as i32;

/// `STATUS_INFO_LENGTH_MISMATCH`: a control input of the wrong length.
pub const STATUS_INFO_LENGTH_MISMATCH: i32 = 0xC000_0004_u32 as i32;

/// `STATUS_OBJECT_PATH_NOT_FOUND`: an open of the control device with a file name
/// (`\\.\RamdiskControl\x`).
pub const STATUS_OBJECT_PATH_NOT_FOUND: i32 = 0xC000_003A_u32 as i32;

/// `STATUS_QUOTA_EXCEEDED`: the driver holds as many disks as it can.
pub const STATUS_QUOTA_EXCEEDED: i32 = 0xC000_0044_u32 as i32;

/// `STATUS_DELETE_PENDING`: a control request still queued when the driver unloads.
pub const STATUS_DELETE_PENDING: i32 = 0xC000_0056_u32 as i32;

/// `STATUS_MEDIA_WRITE_PROTECTED`: a `ReadOnly` disk refuses a write, TRIM or
/// `SET_PARTITION_INFO`, and answers `IS_WRITABLE` with it.
pub const STATUS_MEDIA_WRITE_PROTECTED: i32 = 0xC000_00A2_u32 as i32;
/// `STATUS_SHARING_VIOLATION`: another handle denies the sharing an open needs.
pub const STATUS_SHARING_VIOLATION: i32 = 0xC000_0043_u32 as i32;
/// `STATUS_FILE_IS_A_DIRECTORY`: an `ImageFile` names a directory.
pub const STATUS_FILE_IS_A_DIRECTORY: i32 = 0xC000_00BA_u32 as i32;
/// `STATUS_END_OF_FILE`: an image is shorter than its volume claims, or shrank
/// while it loaded.
pub const STATUS_END_OF_FILE: i32 = 0xC000_0011_u32 as i32;
/// `STATUS_DISK_FULL`: a save's write to `<file>.new` came up short (the host
/// volume is full).
pub const STATUS_DISK_FULL: i32 = 0xC000_007F_u32 as i32;
/// `STATUS_NAME_TOO_LONG`: a rename's name does not fit its buffer (never, for an
/// `ImagePath`).
pub const STATUS_NAME_TOO_LONG: i32 = 0xC000_0106_u32 as i32;
/// `STATUS_UNRECOGNIZED_VOLUME`: an image holds partitions, not one volume.
pub const STATUS_UNRECOGNIZED_VOLUME: i32 = 0xC000_014F_u32 as i32;
/// `STATUS_WRONG_VOLUME`: an explicit `FileSystem` the image does not hold.
pub const STATUS_WRONG_VOLUME: i32 = 0xC000_0012_u32 as i32;

/// `STATUS_REVISION_MISMATCH`: a control input of another version.
pub const STATUS_REVISION_MISMATCH: i32 = 0xC000_0059_u32 as i32;
/// `STATUS_DISK_RESOURCES_EXHAUSTED`: a dynamic disk could not get a write's memory.
///
/// Its memory limit, the system's low-memory condition, or the pool: what classpnp
/// reports for a thin-provisioned disk that ran out of space. Not `STATUS_DISK_FULL`,
/// which is a file system's "volume full". Nothing was written.
pub const STATUS_DISK_RESOURCES_EXHAUSTED: i32 = 0xC000_0461_u32 as i32;

/// `NT_SUCCESS(status)`: success and informational values (severity 0 and 1).
#[must_use]
pub const fn nt_success(status: i32) -> bool {
    status >= 0
}

/// The WDK name of a status value defined in this module, for log lines.
#[must_use]
pub const fn name(status: i32) -> &'static str {
    match status {
        STATUS_SUCCESS => "STATUS_SUCCESS",
        STATUS_BUFFER_OVERFLOW => "STATUS_BUFFER_OVERFLOW",
        STATUS_INVALID_PARAMETER => "STATUS_INVALID_PARAMETER",
        STATUS_INVALID_DEVICE_REQUEST => "STATUS_INVALID_DEVICE_REQUEST",
        STATUS_BUFFER_TOO_SMALL => "STATUS_BUFFER_TOO_SMALL",
        STATUS_OBJECT_TYPE_MISMATCH => "STATUS_OBJECT_TYPE_MISMATCH",
        STATUS_OBJECT_NAME_COLLISION => "STATUS_OBJECT_NAME_COLLISION",
        STATUS_INSUFFICIENT_RESOURCES => "STATUS_INSUFFICIENT_RESOURCES",
        STATUS_NOT_SUPPORTED => "STATUS_NOT_SUPPORTED",
        STATUS_INVALID_BUFFER_SIZE => "STATUS_INVALID_BUFFER_SIZE",
        STATUS_INTERNAL_ERROR => "STATUS_INTERNAL_ERROR",
        STATUS_NO_SUCH_DEVICE => "STATUS_NO_SUCH_DEVICE",
        STATUS_DISK_RESOURCES_EXHAUSTED => "STATUS_DISK_RESOURCES_EXHAUSTED",
        STATUS_ACCESS_DENIED => "STATUS_ACCESS_DENIED",
        STATUS_OBJECT_NAME_NOT_FOUND => "STATUS_OBJECT_NAME_NOT_FOUND",
        STATUS_DEVICE_PROTOCOL_ERROR => "STATUS_DEVICE_PROTOCOL_ERROR",
        STATUS_DEVICE_BUSY => "STATUS_DEVICE_BUSY",
        STATUS_INFO_LENGTH_MISMATCH => "STATUS_INFO_LENGTH_MISMATCH",
        STATUS_OBJECT_PATH_NOT_FOUND => "STATUS_OBJECT_PATH_NOT_FOUND",
        STATUS_QUOTA_EXCEEDED => "STATUS_QUOTA_EXCEEDED",
        STATUS_DELETE_PENDING => "STATUS_DELETE_PENDING",
        STATUS_REVISION_MISMATCH => "STATUS_REVISION_MISMATCH",
        STATUS_MEDIA_WRITE_PROTECTED => "STATUS_MEDIA_WRITE_PROTECTED",
        STATUS_SHARING_VIOLATION => "STATUS_SHARING_VIOLATION",
        STATUS_FILE_IS_A_DIRECTORY => "STATUS_FILE_IS_A_DIRECTORY",
        STATUS_END_OF_FILE => "STATUS_END_OF_FILE",
        STATUS_DISK_FULL => "STATUS_DISK_FULL",
        STATUS_NAME_TOO_LONG => "STATUS_NAME_TOO_LONG",
        STATUS_UNRECOGNIZED_VOLUME => "STATUS_UNRECOGNIZED_VOLUME",
        STATUS_WRONG_VOLUME => "STATUS_WRONG_VOLUME",
        _ => "(unknown NTSTATUS)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bit patterns exactly as `ntstatus.h` spells them.
    #[test]
    fn values_match_ntstatus_h() {
        let table: [(i32, u32); 16] = [
            (STATUS_DISK_RESOURCES_EXHAUSTED, 0xC000_0461),
            (STATUS_ACCESS_DENIED, 0xC000_0022),
            (STATUS_OBJECT_NAME_NOT_FOUND, 0xC000_0034),
            (STATUS_DEVICE_PROTOCOL_ERROR, 0xC000_0186),
            (STATUS_NO_SUCH_DEVICE, 0xC000_000E),
            (STATUS_INTERNAL_ERROR, 0xC000_00E5),
            (STATUS_SUCCESS, 0x0000_0000),
            (STATUS_BUFFER_OVERFLOW, 0x8000_0005),
            (STATUS_INVALID_PARAMETER, 0xC000_000D),
            (STATUS_INVALID_DEVICE_REQUEST, 0xC000_0010),
            (STATUS_BUFFER_TOO_SMALL, 0xC000_0023),
            (STATUS_OBJECT_TYPE_MISMATCH, 0xC000_0024),
            (STATUS_OBJECT_NAME_COLLISION, 0xC000_0035),
            (STATUS_INSUFFICIENT_RESOURCES, 0xC000_009A),
            (STATUS_NOT_SUPPORTED, 0xC000_00BB),
            (STATUS_INVALID_BUFFER_SIZE, 0xC000_0206),
        ];
        let control = [
            (STATUS_DEVICE_BUSY, 0x8000_0011),
            (STATUS_INFO_LENGTH_MISMATCH, 0xC000_0004),
            (STATUS_OBJECT_PATH_NOT_FOUND, 0xC000_003A),
            (STATUS_QUOTA_EXCEEDED, 0xC000_0044),
            (STATUS_DELETE_PENDING, 0xC000_0056),
            (STATUS_REVISION_MISMATCH, 0xC000_0059),
        ];
        let image = [
            (STATUS_MEDIA_WRITE_PROTECTED, 0xC000_00A2),
            (STATUS_SHARING_VIOLATION, 0xC000_0043),
            (STATUS_FILE_IS_A_DIRECTORY, 0xC000_00BA),
            (STATUS_END_OF_FILE, 0xC000_0011),
            (STATUS_DISK_FULL, 0xC000_007F),
            (STATUS_NAME_TOO_LONG, 0xC000_0106),
            (STATUS_UNRECOGNIZED_VOLUME, 0xC000_014F),
            (STATUS_WRONG_VOLUME, 0xC000_0012),
        ];
        for (value, bits) in table.into_iter().chain(control).chain(image) {
            assert_eq!(value.cast_unsigned(), bits, "{}", name(value));
            assert_ne!(name(value), "(unknown NTSTATUS)");
        }
    }

    #[test]
    fn success_classes() {
        assert!(nt_success(STATUS_SUCCESS));
        assert!(!nt_success(STATUS_BUFFER_OVERFLOW));
        assert!(!nt_success(STATUS_INVALID_PARAMETER));
        assert_eq!(name(1), "(unknown NTSTATUS)");
    }
}
