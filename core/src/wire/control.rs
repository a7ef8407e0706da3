//! The control device's own structures (`\Device\RamdiskControl`): version 1, and
//! version 2 of `RAMDISK_CREATE_INPUT` (version 1's layout followed by the
//! persistence settings).
//!
//! Driver-private, so no Windows header defines them: this file is their definition,
//! shared by the driver and ramdiskctl. x64 layout, little-endian.
//!
//! Every structure starts with `Version` and `Size` (bytes of the structure), as
//! Windows' versioned structures do (`STORAGE_DESCRIPTOR_HEADER`), so a later version
//! can grow without breaking an older caller. Text fields are `WCHAR` arrays, the text
//! followed by NUL padding to the end.

use super::{U16, U32, U64};

/// `RAMDISK_CONTROL_VERSION`: the version of every structure in this file but
/// [`RamdiskCreateInputV2`].
pub const RAMDISK_CONTROL_VERSION: u32 = 1;
/// `RAMDISK_CREATE_VERSION_2`: the version of [`RamdiskCreateInputV2`] (a CREATE
/// input may be either version).
pub const RAMDISK_CREATE_VERSION_2: u32 = 2;

/// `WCHAR`s of a `FileSystem` / `VolumeLabel` / `Allocation` field (15 + NUL).
pub const SHORT_TEXT_UNITS: usize = 16;
/// `WCHAR`s of a persist name (32 characters + NUL).
pub const PERSIST_NAME_UNITS: usize = 33;
/// `WCHAR`s of an `ImageFile` (1024 characters + NUL).
pub const IMAGE_FILE_UNITS: usize = crate::config::MAX_IMAGE_PATH_CHARS + 1;
/// `WCHAR`s of a device name (`\Device\Ramdisk4294967295` is 25).
pub const DEVICE_NAME_UNITS: usize = 32;
/// `WCHAR`s of a reported file-system name (`FAT12`, `exFAT`, ...).
pub const FS_NAME_UNITS: usize = 8;

wire! {
    /// `RAMDISK_CREATE_INPUT`: what `IOCTL_RAMDISK_CREATE` takes.
    ///
    /// The same settings as a registry disk; `Fields` says which optional ones are
    /// given (an absent one takes the registry default and must be zero here).
    pub struct RamdiskCreateInput [208] {
        /// `Version`: [`RAMDISK_CONTROL_VERSION`].
        pub version: U32 = 0,
        /// `Size`: 208.
        pub size: U32 = 4,
        /// `Fields`: `RAMDISK_FIELD_*` bits of the optional settings given.
        pub fields: U32 = 8,
        /// Reserved, zero.
        pub reserved: U32 = 12,
        /// `DiskSize` in bytes (always given).
        pub disk_size: U64 = 16,
        /// `MemoryLimit` in bytes (`RAMDISK_FIELD_MEMORY_LIMIT`).
        pub memory_limit: U64 = 24,
        /// `SectorsPerCluster` (`RAMDISK_FIELD_SECTORS_PER_CLUSTER`).
        pub sectors_per_cluster: U32 = 32,
        /// `RootDirEntries` (`RAMDISK_FIELD_ROOT_DIR_ENTRIES`).
        pub root_dir_entries: U32 = 36,
        /// `DriveLetter`: `A`..`Z`, or 0: the driver picks the first free one from `Z` down.
        pub drive_letter: U16 = 40,
        /// `FileSystem` text (`RAMDISK_FIELD_FILE_SYSTEM`).
        pub file_system: [U16; SHORT_TEXT_UNITS] = 42,
        /// `VolumeLabel` text (`RAMDISK_FIELD_VOLUME_LABEL`; empty: no label).
        pub volume_label: [U16; SHORT_TEXT_UNITS] = 74,
        /// `Allocation` text (`RAMDISK_FIELD_ALLOCATION`).
        pub allocation: [U16; SHORT_TEXT_UNITS] = 106,
        /// The persist name (`RAMDISK_FIELD_PERSIST_NAME`): `Parameters\Disks\<name>`.
        pub persist_name: [U16; PERSIST_NAME_UNITS] = 138,
        /// Reserved, zero.
        pub reserved2: [U16; 2] = 204,
    }
}

/// `RAMDISK_FIELD_FILE_SYSTEM`.
pub const RAMDISK_FIELD_FILE_SYSTEM: u32 = 0x01;
/// `RAMDISK_FIELD_SECTORS_PER_CLUSTER`.
pub const RAMDISK_FIELD_SECTORS_PER_CLUSTER: u32 = 0x02;
/// `RAMDISK_FIELD_ROOT_DIR_ENTRIES`.
pub const RAMDISK_FIELD_ROOT_DIR_ENTRIES: u32 = 0x04;
/// `RAMDISK_FIELD_VOLUME_LABEL`.
pub const RAMDISK_FIELD_VOLUME_LABEL: u32 = 0x08;
/// `RAMDISK_FIELD_ALLOCATION`.
pub const RAMDISK_FIELD_ALLOCATION: u32 = 0x10;
/// `RAMDISK_FIELD_MEMORY_LIMIT`.
pub const RAMDISK_FIELD_MEMORY_LIMIT: u32 = 0x20;
/// `RAMDISK_FIELD_PERSIST_NAME`.
pub const RAMDISK_FIELD_PERSIST_NAME: u32 = 0x40;
/// Every `RAMDISK_FIELD_*` bit of version 1.
pub const RAMDISK_FIELDS_V1: u32 = 0x7F;
/// `RAMDISK_FIELD_IMAGE_FILE` (version 2).
pub const RAMDISK_FIELD_IMAGE_FILE: u32 = 0x80;
/// `RAMDISK_FIELD_SAVE_ON` (version 2).
pub const RAMDISK_FIELD_SAVE_ON: u32 = 0x100;
/// `RAMDISK_FIELD_READ_ONLY` (version 2).
pub const RAMDISK_FIELD_READ_ONLY: u32 = 0x200;
/// Every `RAMDISK_FIELD_*` bit of version 2.
pub const RAMDISK_FIELDS_V2: u32 = 0x3FF;

wire! {
    /// `RAMDISK_CREATE_INPUT` version 2: version 1's fields at their offsets (its
    /// `Version` 2, its `Size` 2296), then the persistence settings.
    pub struct RamdiskCreateInputV2 [2296] {
        /// The version-1 fields (`Version`: [`RAMDISK_CREATE_VERSION_2`], `Size`: 2296).
        pub base: RamdiskCreateInput = 0,
        /// `ReadOnly`: 0 or 1 (`RAMDISK_FIELD_READ_ONLY`).
        pub read_only: U32 = 208,
        /// `SaveOn` text: `never`, `stop` or `shutdown` (`RAMDISK_FIELD_SAVE_ON`).
        pub save_on: [U16; SHORT_TEXT_UNITS] = 212,
        /// `ImageFile`: an NT path or `X:\...` (`RAMDISK_FIELD_IMAGE_FILE`).
        pub image_file: [U16; IMAGE_FILE_UNITS] = 244,
        /// Reserved, zero.
        pub reserved3: U16 = 2294,
    }
}

wire! {
    /// `RAMDISK_SELECT`: which disk `IOCTL_RAMDISK_REMOVE` / `IOCTL_RAMDISK_QUERY` mean.
    pub struct RamdiskSelect [24] {
        /// `Version`: [`RAMDISK_CONTROL_VERSION`].
        pub version: U32 = 0,
        /// `Size`: 24.
        pub size: U32 = 4,
        /// `By`: [`RAMDISK_BY_INDEX`] or [`RAMDISK_BY_LETTER`].
        pub by: U32 = 8,
        /// `Value`: the ramdisk index, or the drive letter's character.
        pub value: U32 = 12,
        /// `Flags`: [`RAMDISK_REMOVE_FORCE`] (REMOVE only; zero for QUERY).
        pub flags: U32 = 16,
        /// Reserved, zero.
        pub reserved: U32 = 20,
    }
}

/// `RAMDISK_BY_INDEX`: `Value` is a ramdisk index.
pub const RAMDISK_BY_INDEX: u32 = 1;
/// `RAMDISK_BY_LETTER`: `Value` is a drive letter (`'R'`).
pub const RAMDISK_BY_LETTER: u32 = 2;
/// `RAMDISK_REMOVE_FORCE`: remove even while the disk is busy.
pub const RAMDISK_REMOVE_FORCE: u32 = 0x01;

wire! {
    /// `RAMDISK_DISK_INFO`: one disk.
    ///
    /// As `IOCTL_RAMDISK_CREATE` (the new one), `IOCTL_RAMDISK_QUERY` and each entry
    /// of `IOCTL_RAMDISK_LIST` report it.
    pub struct RamdiskDiskInfo [200] {
        /// `Version`: [`RAMDISK_CONTROL_VERSION`].
        pub version: U32 = 0,
        /// `Size`: 200.
        pub size: U32 = 4,
        /// `Index`: the ramdisk index (`\Device\Ramdisk<Index>`).
        pub index: U32 = 8,
        /// `DriveLetter`: the letter the disk has (`'R'`).
        pub drive_letter: U16 = 12,
        /// `Flags`: `RAMDISK_INFO_*`.
        pub flags: U16 = 14,
        /// `DiskSize` in bytes.
        pub disk_size: U64 = 16,
        /// `AllocatedBytes`: memory the disk's data holds now.
        pub allocated_bytes: U64 = 24,
        /// `MemoryLimit` in bytes (0: none, a fixed disk).
        pub memory_limit: U64 = 32,
        /// `OpenHandles`: opens of the disk device not yet closed.
        pub open_handles: U32 = 40,
        /// `Allocation`: 0 fixed, 1 dynamic.
        pub allocation: U32 = 44,
        /// `FileSystem`: what the disk was formatted with (`FAT16`).
        pub file_system: [U16; FS_NAME_UNITS] = 48,
        /// `DeviceName`: `\Device\Ramdisk<N>`.
        pub device_name: [U16; DEVICE_NAME_UNITS] = 64,
        /// `PersistName`: the `Parameters\Disks` subkey (empty: not persisted).
        pub persist_name: [U16; PERSIST_NAME_UNITS] = 128,
        /// Reserved, zero.
        pub reserved: [U16; 3] = 194,
    }
}

/// `RAMDISK_INFO_MOUNTED`: a file system is mounted on the disk (`VPB_MOUNTED`).
pub const RAMDISK_INFO_MOUNTED: u16 = 0x01;
/// `RAMDISK_INFO_BOOT`: a boot-time disk (`Parameters` or `Parameters\Disks`).
pub const RAMDISK_INFO_BOOT: u16 = 0x02;

wire! {
    /// `RAMDISK_LIST`: the header of `IOCTL_RAMDISK_LIST`'s reply.
    ///
    /// `Count` [`RamdiskDiskInfo`] entries of `EntrySize` bytes follow.
    pub struct RamdiskListHeader [16] {
        /// `Version`: [`RAMDISK_CONTROL_VERSION`].
        pub version: U32 = 0,
        /// `Size`: bytes of the whole reply (header and every entry), so a caller whose
        /// buffer was too small knows how much to supply.
        pub size: U32 = 4,
        /// `Count`: disks.
        pub count: U32 = 8,
        /// `EntrySize`: 200.
        pub entry_size: U32 = 12,
    }
}

/// `RAMDISK_SAVE_VERSION`: the version of [`RamdiskSaveInput`] and [`RamdiskSaveResult`].
pub const RAMDISK_SAVE_VERSION: u32 = 1;

wire! {
    /// `RAMDISK_SAVE_INPUT`: what `IOCTL_RAMDISK_SAVE` takes.
    ///
    /// [`RamdiskSelect`]'s layout first (its `Version` [`RAMDISK_SAVE_VERSION`], its
    /// `Size` 2080, its `Flags` the `RAMDISK_SAVE_*` bits), then `Target`: the file to
    /// save to instead of the disk's `ImageFile` (`RAMDISK_SAVE_TARGET`), validated as
    /// an `ImageFile` is; all NUL otherwise.
    pub struct RamdiskSaveInput [2080] {
        /// `Version`, `Size`, `By`, `Value`, `Flags` (exactly one of
        /// [`RAMDISK_SAVE_LOCKED`] and [`RAMDISK_SAVE_NO_LOCK`], and
        /// [`RAMDISK_SAVE_TARGET`] when `Target` is given), a reserved `DWORD`.
        pub base: RamdiskSelect = 0,
        /// `Target`: an NT path or `X:\...` (`RAMDISK_SAVE_TARGET`).
        pub target: [U16; IMAGE_FILE_UNITS] = 24,
        /// Reserved, zero.
        pub reserved2: [U16; 3] = 2074,
    }
}

/// `RAMDISK_SAVE_LOCKED`: the caller holds `FSCTL_LOCK_VOLUME` on the disk's volume
/// for the whole request (the image equals the locked volume).
pub const RAMDISK_SAVE_LOCKED: u32 = 0x01;
/// `RAMDISK_SAVE_NO_LOCK`: the caller saves without the lock (`--no-lock`): data
/// written during the save may be torn at sector level.
pub const RAMDISK_SAVE_NO_LOCK: u32 = 0x02;
/// `RAMDISK_SAVE_TARGET`: `Target` holds the file to save to.
pub const RAMDISK_SAVE_TARGET: u32 = 0x04;
/// Every `RAMDISK_SAVE_*` input flag.
pub const RAMDISK_SAVE_FLAGS: u32 = 0x07;

wire! {
    /// `RAMDISK_SAVE_RESULT`: what a successful `IOCTL_RAMDISK_SAVE` reports.
    pub struct RamdiskSaveResult [56] {
        /// `Version`: [`RAMDISK_SAVE_VERSION`].
        pub version: U32 = 0,
        /// `Size`: 56.
        pub size: U32 = 4,
        /// `Status`: `STATUS_SUCCESS`, or what failed after the image was replaced
        /// (the new file could not be opened again; the image is saved, the disk no
        /// longer holds it open and its next save refuses until it is created again).
        /// A save that failed before the replace completes the IRP with its status and
        /// has no result.
        pub status: U32 = 8,
        /// `Method`: `RAMDISK_REPLACE_*`.
        pub method: U32 = 12,
        /// `Flags`: `RAMDISK_SAVED_*`.
        pub flags: U32 = 16,
        /// Reserved, zero.
        pub reserved: U32 = 20,
        /// `FileBytes`: the saved file's size (the disk's size).
        pub file_bytes: U64 = 24,
        /// `DataBytes`: bytes of the runs written with the disk's data.
        pub data_bytes: U64 = 32,
        /// `HoleBytes`: bytes of the runs of zero sectors (left as holes with
        /// `RAMDISK_SAVED_SPARSE`, else written as zeros); `DataBytes + HoleBytes =
        /// FileBytes`.
        pub hole_bytes: U64 = 40,
        /// `Elapsed`: the save's duration in 100 ns units.
        pub elapsed: U64 = 48,
    }
}

/// `RAMDISK_REPLACE_POSIX_RENAME`: one `FileRenameInformationEx` with
/// `FILE_RENAME_REPLACE_IF_EXISTS | FILE_RENAME_POSIX_SEMANTICS` (atomic; the disk's
/// handle to the old file stayed open).
pub const RAMDISK_REPLACE_POSIX_RENAME: u32 = 1;
/// `RAMDISK_REPLACE_RENAME_REOPEN`: the disk's handle closed, `FileRenameInformation`
/// with `ReplaceIfExists`, the new file opened again (hosts without POSIX rename:
/// FAT, exFAT).
pub const RAMDISK_REPLACE_RENAME_REOPEN: u32 = 2;
/// `RAMDISK_REPLACE_CREATE`: no file was there (a new image, or a new `Target`):
/// `FileRenameInformation` without `ReplaceIfExists`.
pub const RAMDISK_REPLACE_CREATE: u32 = 3;

/// `RAMDISK_SAVED_LOCKED`: saved under the caller's volume lock.
pub const RAMDISK_SAVED_LOCKED: u32 = 0x01;
/// `RAMDISK_SAVED_SPARSE`: the file is sparse (`FSCTL_SET_SPARSE` took); the hole runs
/// were not written.
pub const RAMDISK_SAVED_SPARSE: u32 = 0x02;
/// `RAMDISK_SAVED_TARGET`: saved to the request's `Target`, not the disk's `ImageFile`.
pub const RAMDISK_SAVED_TARGET: u32 = 0x04;
/// Every `RAMDISK_SAVED_*` flag.
pub const RAMDISK_SAVED_FLAGS: u32 = 0x07;

/// The most devices an `IOCTL_RAMDISK_TEST_SHUTDOWN` reply reports (the driver's disk
/// limit).
pub const TEST_SHUTDOWN_DEVICES: usize = 16;

wire! {
    /// The fault-injection build's `IOCTL_RAMDISK_TEST_SHUTDOWN` reply: how many
    /// registered devices were sent an `IRP_MJ_SHUTDOWN`, and each one's final status
    /// in the order they were sent (the rest zero).
    pub struct RamdiskTestShutdownReply [68] {
        /// `Sent`: the registered devices the request went to.
        pub sent: U32 = 0,
        /// `Status[16]`: each IRP's final `IoStatus.Status`.
        pub status: [U32; TEST_SHUTDOWN_DEVICES] = 4,
    }
}
