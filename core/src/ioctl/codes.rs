//! IOCTL codes, computed with [`ctl_code`] exactly as `CTL_CODE` does.
//!
//! Each value is asserted (in the tests) against the number
//! the mingw-w64 headers (`winioctl.h`, `ntddstor.h`, `ddk/mountmgr.h`,
//! `ddk/mountdev.h`) produce.

/// `FILE_DEVICE_DISK` (also the `DeviceType` reported by
/// `IOCTL_STORAGE_GET_DEVICE_NUMBER` and `IOCTL_STORAGE_GET_MEDIA_TYPES_EX`).
pub const FILE_DEVICE_DISK: u32 = 0x0000_0007;
/// `FILE_DEVICE_MASS_STORAGE` (`IOCTL_STORAGE_BASE`).
pub const FILE_DEVICE_MASS_STORAGE: u32 = 0x0000_002D;
/// `MOUNTDEVCONTROLTYPE`: `'M'`.
pub const MOUNTDEVCONTROLTYPE: u32 = 0x0000_004D;

/// `METHOD_BUFFERED`.
pub const METHOD_BUFFERED: u32 = 0;
/// `FILE_ANY_ACCESS`.
pub const FILE_ANY_ACCESS: u32 = 0;
/// `FILE_READ_ACCESS`.
pub const FILE_READ_ACCESS: u32 = 1;
/// `FILE_WRITE_ACCESS`.
pub const FILE_WRITE_ACCESS: u32 = 2;

/// `CTL_CODE(DeviceType, Function, Method, Access)`.
#[must_use]
pub const fn ctl_code(device_type: u32, function: u32, method: u32, access: u32) -> u32 {
    (device_type << 16) | (access << 14) | (function << 2) | method
}

/// The transfer method (low two bits) of an IOCTL code.
#[must_use]
pub const fn method(code: u32) -> u32 {
    code & 3
}

/// `IOCTL_DISK_GET_DRIVE_GEOMETRY`.
pub const IOCTL_DISK_GET_DRIVE_GEOMETRY: u32 =
    ctl_code(FILE_DEVICE_DISK, 0x0000, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_DISK_GET_PARTITION_INFO`.
pub const IOCTL_DISK_GET_PARTITION_INFO: u32 =
    ctl_code(FILE_DEVICE_DISK, 0x0001, METHOD_BUFFERED, FILE_READ_ACCESS);
/// `IOCTL_DISK_VERIFY`.
pub const IOCTL_DISK_VERIFY: u32 =
    ctl_code(FILE_DEVICE_DISK, 0x0005, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_DISK_IS_WRITABLE`.
pub const IOCTL_DISK_IS_WRITABLE: u32 =
    ctl_code(FILE_DEVICE_DISK, 0x0009, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_DISK_GET_PARTITION_INFO_EX`.
pub const IOCTL_DISK_GET_PARTITION_INFO_EX: u32 =
    ctl_code(FILE_DEVICE_DISK, 0x0012, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_DISK_GET_LENGTH_INFO`.
pub const IOCTL_DISK_GET_LENGTH_INFO: u32 =
    ctl_code(FILE_DEVICE_DISK, 0x0017, METHOD_BUFFERED, FILE_READ_ACCESS);
/// `IOCTL_DISK_GET_DRIVE_GEOMETRY_EX`.
pub const IOCTL_DISK_GET_DRIVE_GEOMETRY_EX: u32 =
    ctl_code(FILE_DEVICE_DISK, 0x0028, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_DISK_CHECK_VERIFY`.
pub const IOCTL_DISK_CHECK_VERIFY: u32 =
    ctl_code(FILE_DEVICE_DISK, 0x0200, METHOD_BUFFERED, FILE_READ_ACCESS);
/// `IOCTL_DISK_GET_MEDIA_TYPES`.
pub const IOCTL_DISK_GET_MEDIA_TYPES: u32 =
    ctl_code(FILE_DEVICE_DISK, 0x0300, METHOD_BUFFERED, FILE_ANY_ACCESS);

/// `IOCTL_STORAGE_CHECK_VERIFY`.
pub const IOCTL_STORAGE_CHECK_VERIFY: u32 = ctl_code(
    FILE_DEVICE_MASS_STORAGE,
    0x0200,
    METHOD_BUFFERED,
    FILE_READ_ACCESS,
);
/// `IOCTL_STORAGE_CHECK_VERIFY2`.
pub const IOCTL_STORAGE_CHECK_VERIFY2: u32 = ctl_code(
    FILE_DEVICE_MASS_STORAGE,
    0x0200,
    METHOD_BUFFERED,
    FILE_ANY_ACCESS,
);
/// `IOCTL_STORAGE_GET_MEDIA_TYPES_EX`.
pub const IOCTL_STORAGE_GET_MEDIA_TYPES_EX: u32 = ctl_code(
    FILE_DEVICE_MASS_STORAGE,
    0x0301,
    METHOD_BUFFERED,
    FILE_ANY_ACCESS,
);
/// `IOCTL_STORAGE_GET_HOTPLUG_INFO`.
pub const IOCTL_STORAGE_GET_HOTPLUG_INFO: u32 = ctl_code(
    FILE_DEVICE_MASS_STORAGE,
    0x0305,
    METHOD_BUFFERED,
    FILE_ANY_ACCESS,
);
/// `IOCTL_STORAGE_GET_DEVICE_NUMBER`.
pub const IOCTL_STORAGE_GET_DEVICE_NUMBER: u32 = ctl_code(
    FILE_DEVICE_MASS_STORAGE,
    0x0420,
    METHOD_BUFFERED,
    FILE_ANY_ACCESS,
);
/// `IOCTL_STORAGE_QUERY_PROPERTY`.
pub const IOCTL_STORAGE_QUERY_PROPERTY: u32 = ctl_code(
    FILE_DEVICE_MASS_STORAGE,
    0x0500,
    METHOD_BUFFERED,
    FILE_ANY_ACCESS,
);

/// `IOCTL_MOUNTDEV_QUERY_UNIQUE_ID`.
pub const IOCTL_MOUNTDEV_QUERY_UNIQUE_ID: u32 =
    ctl_code(MOUNTDEVCONTROLTYPE, 0, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_MOUNTDEV_QUERY_DEVICE_NAME`.
pub const IOCTL_MOUNTDEV_QUERY_DEVICE_NAME: u32 =
    ctl_code(MOUNTDEVCONTROLTYPE, 2, METHOD_BUFFERED, FILE_ANY_ACCESS);

/// `IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES` (TRIM is its `DeviceDsmAction_Trim`);
/// the handle needs write access.
pub const IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES: u32 = ctl_code(
    FILE_DEVICE_MASS_STORAGE,
    0x0501,
    METHOD_BUFFERED,
    FILE_WRITE_ACCESS,
);

/// The driver's own: a disk's memory use (`RAMDISK_USAGE`,
/// [`crate::wire::dsm::RamdiskUsage`]). Answered only by disk devices.
pub const IOCTL_RAMDISK_QUERY_USAGE: u32 =
    ctl_code(FILE_DEVICE_DISK, 0xA00, METHOD_BUFFERED, FILE_ANY_ACCESS);

/// Test only, answered only by the `fault-injection` build of the driver: the disk
/// drops the IRP without completing it (its `Irp` wrapper completes it with
/// `STATUS_INTERNAL_ERROR` and logs that).
pub const IOCTL_RAMDISK_TEST_FORGET: u32 =
    ctl_code(FILE_DEVICE_DISK, 0xBF0, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// Test only (`fault-injection` build): the disk pends the IRP and completes it with
/// success from a system thread it waits for.
pub const IOCTL_RAMDISK_TEST_PEND: u32 =
    ctl_code(FILE_DEVICE_DISK, 0xBF1, METHOD_BUFFERED, FILE_ANY_ACCESS);

#[cfg(test)]
mod tests {
    use super::*;

    /// The values printed by a mingw-w64 program using the SDK macros.
    #[test]
    fn codes_match_the_headers() {
        let table = [
            (IOCTL_DISK_GET_DRIVE_GEOMETRY, 0x0007_0000),
            (IOCTL_DISK_GET_DRIVE_GEOMETRY_EX, 0x0007_00A0),
            (IOCTL_DISK_GET_LENGTH_INFO, 0x0007_405C),
            (IOCTL_DISK_GET_PARTITION_INFO, 0x0007_4004),
            (IOCTL_DISK_GET_PARTITION_INFO_EX, 0x0007_0048),
            (IOCTL_DISK_IS_WRITABLE, 0x0007_0024),
            (IOCTL_DISK_CHECK_VERIFY, 0x0007_4800),
            (IOCTL_DISK_VERIFY, 0x0007_0014),
            (IOCTL_DISK_GET_MEDIA_TYPES, 0x0007_0C00),
            (IOCTL_STORAGE_CHECK_VERIFY, 0x002D_4800),
            (IOCTL_STORAGE_CHECK_VERIFY2, 0x002D_0800),
            (IOCTL_STORAGE_GET_DEVICE_NUMBER, 0x002D_1080),
            (IOCTL_STORAGE_GET_HOTPLUG_INFO, 0x002D_0C14),
            (IOCTL_STORAGE_GET_MEDIA_TYPES_EX, 0x002D_0C04),
            (IOCTL_STORAGE_QUERY_PROPERTY, 0x002D_1400),
            (IOCTL_MOUNTDEV_QUERY_DEVICE_NAME, 0x004D_0008),
            (IOCTL_MOUNTDEV_QUERY_UNIQUE_ID, 0x004D_0000),
        ];
        assert_eq!(IOCTL_RAMDISK_TEST_FORGET, 0x0007_2FC0);
        // winioctl.h: CTL_CODE(IOCTL_STORAGE_BASE, 0x0501, METHOD_BUFFERED, FILE_WRITE_ACCESS).
        assert_eq!(IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES, 0x002D_9404);
        assert_eq!(IOCTL_RAMDISK_QUERY_USAGE, 0x0007_2800);
        assert_eq!(IOCTL_RAMDISK_TEST_PEND, 0x0007_2FC4);
        for (code, header) in table {
            assert_eq!(code, header, "{code:#010x}");
            assert_eq!(method(code), METHOD_BUFFERED);
        }
    }
}
