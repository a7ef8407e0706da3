//! IOCTL codes and `NTSTATUS` values, with the names the transcript prints.
//!
//! Codes are built with [`ctl_code`] from the `CTL_CODE` fields the headers give
//! (device type, function, method, access), and each is asserted against the
//! documented value, so a wrong field would not compile.

#![allow(
    clippy::cast_possible_wrap,
    reason = "NTSTATUS error and warning values are negative i32 bit patterns written in hex"
)]

/// `CTL_CODE(DeviceType, Function, Method, Access)`.
#[must_use]
pub const fn ctl_code(device_type: u32, function: u32, method: u32, access: u32) -> u32 {
    (device_type << 16) | (access << 14) | (function << 2) | method
}

const METHOD_BUFFERED: u32 = 0;
const FILE_ANY_ACCESS: u32 = 0;
const FILE_READ_ACCESS: u32 = 1;
const FILE_WRITE_ACCESS: u32 = 2;
/// `MOUNTMGRCONTROLTYPE` (`'m'`).
const MOUNTMGR: u32 = 0x6D;
/// `MOUNTDEVCONTROLTYPE` (`'M'`).
const MOUNTDEV: u32 = 0x4D;
/// `IOCTL_VOLUME_BASE` (`'V'`).
const VOLUME: u32 = 0x56;
/// `IOCTL_DISK_BASE` (`FILE_DEVICE_DISK`).
const DISK: u32 = 0x07;
/// `IOCTL_STORAGE_BASE` (`FILE_DEVICE_MASS_STORAGE`).
const STORAGE: u32 = 0x2D;
/// `FILE_DEVICE_UNKNOWN`.
const UNKNOWN: u32 = 0x22;
const RW: u32 = FILE_READ_ACCESS | FILE_WRITE_ACCESS;

/// `IOCTL_MOUNTMGR_CREATE_POINT`.
pub const IOCTL_MOUNTMGR_CREATE_POINT: u32 = ctl_code(MOUNTMGR, 0, METHOD_BUFFERED, RW);
/// `IOCTL_MOUNTMGR_DELETE_POINTS`.
pub const IOCTL_MOUNTMGR_DELETE_POINTS: u32 = ctl_code(MOUNTMGR, 1, METHOD_BUFFERED, RW);
/// `IOCTL_MOUNTMGR_QUERY_POINTS`.
pub const IOCTL_MOUNTMGR_QUERY_POINTS: u32 =
    ctl_code(MOUNTMGR, 2, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION`.
pub const IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION: u32 =
    ctl_code(MOUNTMGR, 11, METHOD_BUFFERED, FILE_READ_ACCESS);
/// `IOCTL_MOUNTMGR_QUERY_DOS_VOLUME_PATH`.
pub const IOCTL_MOUNTMGR_QUERY_DOS_VOLUME_PATH: u32 =
    ctl_code(MOUNTMGR, 12, METHOD_BUFFERED, FILE_ANY_ACCESS);

/// `IOCTL_MOUNTDEV_QUERY_UNIQUE_ID`.
pub const IOCTL_MOUNTDEV_QUERY_UNIQUE_ID: u32 =
    ctl_code(MOUNTDEV, 0, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY`.
pub const IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY: u32 =
    ctl_code(MOUNTDEV, 1, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_MOUNTDEV_QUERY_DEVICE_NAME`.
pub const IOCTL_MOUNTDEV_QUERY_DEVICE_NAME: u32 =
    ctl_code(MOUNTDEV, 2, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME`.
pub const IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME: u32 =
    ctl_code(MOUNTDEV, 3, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_MOUNTDEV_LINK_CREATED` (the Windows XP and later code).
pub const IOCTL_MOUNTDEV_LINK_CREATED: u32 = ctl_code(MOUNTDEV, 4, METHOD_BUFFERED, RW);
/// `IOCTL_MOUNTDEV_LINK_DELETED` (the Windows XP and later code).
pub const IOCTL_MOUNTDEV_LINK_DELETED: u32 = ctl_code(MOUNTDEV, 5, METHOD_BUFFERED, RW);
/// `IOCTL_MOUNTDEV_QUERY_STABLE_GUID`.
pub const IOCTL_MOUNTDEV_QUERY_STABLE_GUID: u32 =
    ctl_code(MOUNTDEV, 6, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_VOLUME_ONLINE`.
pub const IOCTL_VOLUME_ONLINE: u32 = ctl_code(VOLUME, 2, METHOD_BUFFERED, RW);
/// `IOCTL_VOLUME_GET_GPT_ATTRIBUTES`.
pub const IOCTL_VOLUME_GET_GPT_ATTRIBUTES: u32 =
    ctl_code(VOLUME, 14, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_DISK_GET_PARTITION_INFO_EX`.
pub const IOCTL_DISK_GET_PARTITION_INFO_EX: u32 =
    ctl_code(DISK, 0x12, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_STORAGE_GET_DEVICE_NUMBER`.
pub const IOCTL_STORAGE_GET_DEVICE_NUMBER: u32 =
    ctl_code(STORAGE, 0x420, METHOD_BUFFERED, FILE_ANY_ACCESS);

/// The double's private test IOCTL: the transcript as UTF-8 text.
///
/// `METHOD_BUFFERED`, `FILE_ANY_ACCESS`, `FILE_DEVICE_UNKNOWN`, function `0xBF8`. An
/// output buffer too small for the whole transcript gets `STATUS_BUFFER_OVERFLOW`
/// and as much as fits. The request itself is not recorded.
pub const IOCTL_RAMDISK_TEST_MM_TRANSCRIPT: u32 =
    ctl_code(UNKNOWN, 0xBF8, METHOD_BUFFERED, FILE_ANY_ACCESS);

const _: () = {
    assert!(IOCTL_MOUNTMGR_CREATE_POINT == 0x006D_C000);
    assert!(IOCTL_MOUNTMGR_DELETE_POINTS == 0x006D_C004);
    assert!(IOCTL_MOUNTMGR_QUERY_POINTS == 0x006D_0008);
    assert!(IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION == 0x006D_402C);
    assert!(IOCTL_MOUNTMGR_QUERY_DOS_VOLUME_PATH == 0x006D_0030);
    assert!(IOCTL_MOUNTDEV_QUERY_UNIQUE_ID == 0x004D_0000);
    assert!(IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY == 0x004D_0004);
    assert!(IOCTL_MOUNTDEV_QUERY_DEVICE_NAME == 0x004D_0008);
    assert!(IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME == 0x004D_000C);
    assert!(IOCTL_MOUNTDEV_LINK_CREATED == 0x004D_C010);
    assert!(IOCTL_MOUNTDEV_LINK_DELETED == 0x004D_C014);
    assert!(IOCTL_MOUNTDEV_QUERY_STABLE_GUID == 0x004D_0018);
    assert!(IOCTL_VOLUME_ONLINE == 0x0056_C008);
    assert!(IOCTL_VOLUME_GET_GPT_ATTRIBUTES == 0x0056_0038);
    assert!(IOCTL_DISK_GET_PARTITION_INFO_EX == 0x0007_0048);
    assert!(IOCTL_STORAGE_GET_DEVICE_NUMBER == 0x002D_1080);
    assert!(IOCTL_RAMDISK_TEST_MM_TRANSCRIPT == 0x0022_2FE0);
};

/// The codes the transcript names, with their header names.
const CODE_NAMES: [(u32, &str); 17] = [
    (IOCTL_MOUNTMGR_CREATE_POINT, "IOCTL_MOUNTMGR_CREATE_POINT"),
    (IOCTL_MOUNTMGR_DELETE_POINTS, "IOCTL_MOUNTMGR_DELETE_POINTS"),
    (IOCTL_MOUNTMGR_QUERY_POINTS, "IOCTL_MOUNTMGR_QUERY_POINTS"),
    (
        IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION,
        "IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION",
    ),
    (
        IOCTL_MOUNTMGR_QUERY_DOS_VOLUME_PATH,
        "IOCTL_MOUNTMGR_QUERY_DOS_VOLUME_PATH",
    ),
    (
        IOCTL_MOUNTDEV_QUERY_UNIQUE_ID,
        "IOCTL_MOUNTDEV_QUERY_UNIQUE_ID",
    ),
    (
        IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY,
        "IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY",
    ),
    (
        IOCTL_MOUNTDEV_QUERY_DEVICE_NAME,
        "IOCTL_MOUNTDEV_QUERY_DEVICE_NAME",
    ),
    (
        IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME,
        "IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME",
    ),
    (IOCTL_MOUNTDEV_LINK_CREATED, "IOCTL_MOUNTDEV_LINK_CREATED"),
    (IOCTL_MOUNTDEV_LINK_DELETED, "IOCTL_MOUNTDEV_LINK_DELETED"),
    (
        IOCTL_MOUNTDEV_QUERY_STABLE_GUID,
        "IOCTL_MOUNTDEV_QUERY_STABLE_GUID",
    ),
    (IOCTL_VOLUME_ONLINE, "IOCTL_VOLUME_ONLINE"),
    (
        IOCTL_VOLUME_GET_GPT_ATTRIBUTES,
        "IOCTL_VOLUME_GET_GPT_ATTRIBUTES",
    ),
    (
        IOCTL_DISK_GET_PARTITION_INFO_EX,
        "IOCTL_DISK_GET_PARTITION_INFO_EX",
    ),
    (
        IOCTL_STORAGE_GET_DEVICE_NUMBER,
        "IOCTL_STORAGE_GET_DEVICE_NUMBER",
    ),
    (
        IOCTL_RAMDISK_TEST_MM_TRANSCRIPT,
        "IOCTL_RAMDISK_TEST_MM_TRANSCRIPT",
    ),
];

/// The header name of `code`, if the double knows it.
#[must_use]
pub fn code_name(code: u32) -> Option<&'static str> {
    CODE_NAMES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// `STATUS_SUCCESS`.
pub const STATUS_SUCCESS: i32 = 0;
/// `STATUS_PENDING` (the double never returns it; a device that does is in breach).
pub const STATUS_PENDING: i32 = 0x0000_0103;
/// `STATUS_BUFFER_OVERFLOW` (a warning: the reply did not fit, its header did).
pub const STATUS_BUFFER_OVERFLOW: i32 = 0x8000_0005_u32 as i32;
/// `STATUS_DEVICE_BUSY`.
pub const STATUS_DEVICE_BUSY: i32 = 0x8000_0011_u32 as i32;
/// `STATUS_UNSUCCESSFUL`.
pub const STATUS_UNSUCCESSFUL: i32 = 0xC000_0001_u32 as i32;
/// `STATUS_INVALID_PARAMETER`.
pub const STATUS_INVALID_PARAMETER: i32 = 0xC000_000D_u32 as i32;
/// `STATUS_NO_SUCH_DEVICE`.
pub const STATUS_NO_SUCH_DEVICE: i32 = 0xC000_000E_u32 as i32;
/// `STATUS_INVALID_DEVICE_REQUEST`.
pub const STATUS_INVALID_DEVICE_REQUEST: i32 = 0xC000_0010_u32 as i32;
/// `STATUS_ACCESS_DENIED`.
pub const STATUS_ACCESS_DENIED: i32 = 0xC000_0022_u32 as i32;
/// `STATUS_BUFFER_TOO_SMALL`.
pub const STATUS_BUFFER_TOO_SMALL: i32 = 0xC000_0023_u32 as i32;
/// `STATUS_OBJECT_NAME_INVALID`.
pub const STATUS_OBJECT_NAME_INVALID: i32 = 0xC000_0033_u32 as i32;
/// `STATUS_OBJECT_NAME_NOT_FOUND`.
pub const STATUS_OBJECT_NAME_NOT_FOUND: i32 = 0xC000_0034_u32 as i32;
/// `STATUS_OBJECT_NAME_COLLISION`.
pub const STATUS_OBJECT_NAME_COLLISION: i32 = 0xC000_0035_u32 as i32;
/// `STATUS_OBJECT_PATH_NOT_FOUND`.
pub const STATUS_OBJECT_PATH_NOT_FOUND: i32 = 0xC000_003A_u32 as i32;
/// `STATUS_INSUFFICIENT_RESOURCES`: one of the double's fixed tables is full, or a
/// name or unique ID is longer than it holds.
pub const STATUS_INSUFFICIENT_RESOURCES: i32 = 0xC000_009A_u32 as i32;
/// `STATUS_NOT_SUPPORTED`: a request the double does not model (a `CREATE_POINT`
/// for anything but a drive letter).
pub const STATUS_NOT_SUPPORTED: i32 = 0xC000_00BB_u32 as i32;
/// `STATUS_INTERNAL_ERROR`.
pub const STATUS_INTERNAL_ERROR: i32 = 0xC000_00E5_u32 as i32;
/// `STATUS_DEVICE_PROTOCOL_ERROR`: a device's reply broke the protocol.
///
/// What the double answers for a wrong `Information`, a wrong length field, another
/// name, a unique ID that changed, a `STATUS_PENDING`: the volume is rejected.
pub const STATUS_DEVICE_PROTOCOL_ERROR: i32 = 0xC000_0186_u32 as i32;
/// `STATUS_NOT_FOUND`: `QUERY_DOS_VOLUME_PATH` for a volume with no link.
pub const STATUS_NOT_FOUND: i32 = 0xC000_0225_u32 as i32;

const STATUS_NAMES: [(i32, &str); 20] = [
    (STATUS_SUCCESS, "STATUS_SUCCESS"),
    (STATUS_PENDING, "STATUS_PENDING"),
    (STATUS_BUFFER_OVERFLOW, "STATUS_BUFFER_OVERFLOW"),
    (STATUS_DEVICE_BUSY, "STATUS_DEVICE_BUSY"),
    (STATUS_UNSUCCESSFUL, "STATUS_UNSUCCESSFUL"),
    (STATUS_INVALID_PARAMETER, "STATUS_INVALID_PARAMETER"),
    (STATUS_NO_SUCH_DEVICE, "STATUS_NO_SUCH_DEVICE"),
    (
        STATUS_INVALID_DEVICE_REQUEST,
        "STATUS_INVALID_DEVICE_REQUEST",
    ),
    (STATUS_ACCESS_DENIED, "STATUS_ACCESS_DENIED"),
    (STATUS_BUFFER_TOO_SMALL, "STATUS_BUFFER_TOO_SMALL"),
    (STATUS_OBJECT_NAME_INVALID, "STATUS_OBJECT_NAME_INVALID"),
    (STATUS_OBJECT_NAME_NOT_FOUND, "STATUS_OBJECT_NAME_NOT_FOUND"),
    (STATUS_OBJECT_NAME_COLLISION, "STATUS_OBJECT_NAME_COLLISION"),
    (STATUS_OBJECT_PATH_NOT_FOUND, "STATUS_OBJECT_PATH_NOT_FOUND"),
    (
        STATUS_INSUFFICIENT_RESOURCES,
        "STATUS_INSUFFICIENT_RESOURCES",
    ),
    (STATUS_NOT_SUPPORTED, "STATUS_NOT_SUPPORTED"),
    (STATUS_INTERNAL_ERROR, "STATUS_INTERNAL_ERROR"),
    (STATUS_DEVICE_PROTOCOL_ERROR, "STATUS_DEVICE_PROTOCOL_ERROR"),
    (STATUS_NOT_FOUND, "STATUS_NOT_FOUND"),
    (0xC000_0008_u32 as i32, "STATUS_INVALID_HANDLE"),
];

/// The header name of `status`, if the double knows it.
#[must_use]
pub fn status_name(status: i32) -> Option<&'static str> {
    STATUS_NAMES
        .iter()
        .find(|(s, _)| *s == status)
        .map(|(_, n)| *n)
}

/// `NT_ERROR`: severity 3 (the `0xC...` values).
#[must_use]
pub const fn is_error(status: i32) -> bool {
    status.cast_unsigned() >> 30 == 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_match_their_values() {
        for (i, (code, name)) in CODE_NAMES.iter().enumerate() {
            assert_eq!(code_name(*code), Some(*name));
            assert!(CODE_NAMES[i + 1..].iter().all(|(c, _)| c != code), "{name}");
        }
        for (i, (status, name)) in STATUS_NAMES.iter().enumerate() {
            assert_eq!(status_name(*status), Some(*name));
            assert!(
                STATUS_NAMES[i + 1..].iter().all(|(s, _)| s != status),
                "{name}"
            );
        }
        assert_eq!(code_name(0x1234), None);
        assert_eq!(status_name(0x1234), None);
    }

    #[test]
    fn error_severity() {
        assert!(is_error(STATUS_INVALID_PARAMETER));
        assert!(is_error(STATUS_DEVICE_PROTOCOL_ERROR));
        assert!(!is_error(STATUS_BUFFER_OVERFLOW));
        assert!(!is_error(STATUS_DEVICE_BUSY));
        assert!(!is_error(STATUS_SUCCESS));
        assert!(!is_error(STATUS_PENDING));
    }
}
