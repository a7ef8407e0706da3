//! A disk as the rest of Windows sees it: its identity (ramdisk index, device name,
//! unique ID) and its object names. Runtime names are built in fixed-capacity
//! UTF-16 buffers: the driver has no heap.

mod identity;
mod names;

pub use identity::{
    AsciiBuf, DISK_NAME_CAPACITY, DiskIdentity, DiskName, IdentityError, Persistence,
    UNIQUE_ID_CAPACITY, UniqueId,
};
pub use names::{
    DEVICE_NAME_CAPACITY, DEVICE_NAME_PREFIX, DeviceName, DosDeviceName, Full, Utf16Buf,
    ascii_utf16, device_name, dos_device_name,
};

use crate::geometry::DiskInfo;

/// What every reply about a disk reads: its presentation and its identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DiskState {
    /// Size, geometry, FAT type, partition type.
    pub info: DiskInfo,
    /// Index, device name, unique ID.
    pub identity: DiskIdentity,
}
