//! Mount-manager request and reply structures (`mountmgr.h`), x64 layout.
//!
//! Names in these structures are counted UTF-16 (no terminating NUL) at byte
//! offsets measured from the start of the structure that holds the offset.

use super::{U16, U32};

wire! {
    /// The fixed part of `MOUNTMGR_TARGET_NAME`; `DeviceNameLength` bytes of the NT
    /// device name follow at offset 2. The input of
    /// `IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION` and `_QUERY_DOS_VOLUME_PATH`.
    pub struct MountmgrTargetNameHeader [2] {
        /// `DeviceNameLength` in bytes.
        pub device_name_length: U16 = 0,
    }
}

/// `sizeof(MOUNTMGR_TARGET_NAME)` on x64 (the length and one `WCHAR`).
pub const MOUNTMGR_TARGET_NAME_SIZE: usize = 4;

wire! {
    /// `MOUNTMGR_MOUNT_POINT` (24 bytes).
    ///
    /// The input of `IOCTL_MOUNTMGR_QUERY_POINTS` and `_DELETE_POINTS`, and each entry
    /// of their `MOUNTMGR_MOUNT_POINTS` reply. A zero length means "not part of the
    /// match" in a request.
    pub struct MountmgrMountPoint [24] {
        /// `SymbolicLinkNameOffset`.
        pub symbolic_link_name_offset: U32 = 0,
        /// `SymbolicLinkNameLength` in bytes.
        pub symbolic_link_name_length: U16 = 4,
        /// Padding.
        pub pad0: U16 = 6,
        /// `UniqueIdOffset`.
        pub unique_id_offset: U32 = 8,
        /// `UniqueIdLength` in bytes.
        pub unique_id_length: U16 = 12,
        /// Padding.
        pub pad1: U16 = 14,
        /// `DeviceNameOffset`.
        pub device_name_offset: U32 = 16,
        /// `DeviceNameLength` in bytes.
        pub device_name_length: U16 = 20,
        /// Padding.
        pub pad2: U16 = 22,
    }
}

wire! {
    /// The fixed part of `MOUNTMGR_MOUNT_POINTS`: `NumberOfMountPoints` entries
    /// follow at offset 8; the names they point at follow the array. Offsets in
    /// the entries are from the start of this structure.
    pub struct MountmgrMountPointsHeader [8] {
        /// `Size`: the bytes the whole reply needs (also after `STATUS_BUFFER_OVERFLOW`).
        pub size: U32 = 0,
        /// `NumberOfMountPoints`.
        pub number_of_mount_points: U32 = 4,
    }
}

/// `sizeof(MOUNTMGR_MOUNT_POINTS)` on x64 (the header and one entry): the smallest
/// output buffer `IOCTL_MOUNTMGR_QUERY_POINTS` accepts.
pub const MOUNTMGR_MOUNT_POINTS_SIZE: usize = 32;

wire! {
    /// `MOUNTMGR_CREATE_POINT_INPUT` (8 bytes): the input of
    /// `IOCTL_MOUNTMGR_CREATE_POINT`; the names follow, at offsets from its start.
    pub struct MountmgrCreatePointInput [8] {
        /// `SymbolicLinkNameOffset`.
        pub symbolic_link_name_offset: U16 = 0,
        /// `SymbolicLinkNameLength` in bytes.
        pub symbolic_link_name_length: U16 = 2,
        /// `DeviceNameOffset`.
        pub device_name_offset: U16 = 4,
        /// `DeviceNameLength` in bytes.
        pub device_name_length: U16 = 6,
    }
}

wire! {
    /// The fixed part of `MOUNTMGR_VOLUME_PATHS`, the reply of
    /// `IOCTL_MOUNTMGR_QUERY_DOS_VOLUME_PATH(S)`: `MultiSzLength` bytes of a
    /// NUL-separated, double-NUL-terminated list follow at offset 4.
    pub struct MountmgrVolumePathsHeader [4] {
        /// `MultiSzLength` in bytes (including the NULs).
        pub multi_sz_length: U32 = 0,
    }
}

/// `sizeof(MOUNTMGR_VOLUME_PATHS)` on x64.
pub const MOUNTMGR_VOLUME_PATHS_SIZE: usize = 8;
