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

use core::sync::atomic::{AtomicU8, Ordering};

use crate::geometry::DiskInfo;

/// What every reply about a disk reads.
///
/// Its presentation, its identity, its drive letter, and the one thing callers may
/// change: the partition type (`IOCTL_DISK_SET_PARTITION_INFO(_EX)`, which
/// `format.com` sends after formatting).
#[derive(Debug)]
pub struct DiskState {
    /// Size, geometry, FAT type, the partition type at load.
    pub info: DiskInfo,
    /// Index, device name, unique ID.
    pub identity: DiskIdentity,
    /// The configured drive letter (`A`..=`Z`), the mount point the disk suggests.
    pub letter: u8,
    /// The partition type `GET_PARTITION_INFO(_EX)` reports. An atomic byte: a
    /// set and a concurrent get see the old or the new type, and nothing else
    /// depends on it.
    partition_type: AtomicU8,
}

impl DiskState {
    /// A disk as loaded: the partition type is `info`'s until someone sets another.
    #[must_use]
    pub const fn new(info: DiskInfo, identity: DiskIdentity, letter: u8) -> Self {
        Self {
            partition_type: AtomicU8::new(info.partition_type),
            info,
            identity,
            letter,
        }
    }

    /// The partition type reported now.
    #[must_use]
    pub fn partition_type(&self) -> u8 {
        self.partition_type.load(Ordering::Relaxed)
    }

    /// Remembers the partition type a caller set.
    pub fn set_partition_type(&self, partition_type: u8) {
        self.partition_type.store(partition_type, Ordering::Relaxed);
    }
}
