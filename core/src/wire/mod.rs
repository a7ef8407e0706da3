//! The wire layer: every byte layout the driver and its tools read or write.
//!
//! Each is a `#[repr(C)]` struct of `zerocopy`'s little-endian field types, shaped like the
//! specification or Windows header they come from (field names in `snake_case`,
//! the documented name in each field's doc), with explicit padding fields.
//!
//! Each struct's size and field offsets are asserted at compile time against the
//! documented x64 values, so a layout cannot drift. The IOCTL encoder and parser
//! (`ioctl`), the FAT formatter, parser and `FastFAT` oracle (`fat`), the driver's
//! registry reader and ramdiskctl all use these structs; nobody writes a byte offset
//! by hand.
//!
//! | module | structures | from |
//! |---|---|---|
//! | [`disk`] | `DISK_GEOMETRY(_EX)`, `DISK_PARTITION_INFO`, `DISK_DETECTION_INFO`, `PARTITION_INFORMATION(_EX)`, `GET_LENGTH_INFORMATION`, `VERIFY_INFORMATION`, `SET_PARTITION_INFORMATION(_EX)`, `PREVENT_MEDIA_REMOVAL`, `DISK_CACHE_INFORMATION` | `ntdddisk.h` / `winioctl.h` |
//! | [`storage`] | `STORAGE_DEVICE_NUMBER`, `STORAGE_HOTPLUG_INFO`, `GET_MEDIA_TYPES` + `DEVICE_MEDIA_INFO`, `STORAGE_PROPERTY_QUERY`, `STORAGE_DESCRIPTOR_HEADER`, `STORAGE_DEVICE_DESCRIPTOR`, `STORAGE_ADAPTER_DESCRIPTOR`, `DEVICE_SEEK_PENALTY_DESCRIPTOR`, `DEVICE_TRIM_DESCRIPTOR`, `STORAGE_ACCESS_ALIGNMENT_DESCRIPTOR` | `ntddstor.h` |
//! | [`dsm`] | `DEVICE_MANAGE_DATA_SET_ATTRIBUTES`, `DEVICE_DATA_SET_RANGE`, `DEVICE_LB_PROVISIONING_DESCRIPTOR`, the driver's `RAMDISK_USAGE` | `ntddstor.h` |
//! | [`mountdev`] | `MOUNTDEV_NAME` / `MOUNTDEV_UNIQUE_ID` header, `MOUNTDEV_SUGGESTED_LINK_NAME` header | `mountdev.h` |
//! | [`mountmgr`] | `MOUNTMGR_TARGET_NAME`, `MOUNTMGR_MOUNT_POINT(S)`, `MOUNTMGR_CREATE_POINT_INPUT`, `MOUNTMGR_VOLUME_PATHS` | `mountmgr.h` |
//! | [`security`] | `SECURITY_DESCRIPTOR_RELATIVE`, `ACL`, `ACE_HEADER`, `ACCESS_ALLOWED_ACE`, `SID` | `winnt.h` |
//! | [`fat`] | BPB, FAT12/16 and FAT32 boot sectors, `FSInfo`, directory entry | fatgen103 |
//! | [`exfat`] | boot sector, extended boot sector tail, OEM parameters, Allocation Bitmap, Up-case Table and Volume Label directory entries | Microsoft's exFAT specification |
//! | [`eventlog`] | `IO_ERROR_LOG_PACKET`, `MESSAGE_RESOURCE_BLOCK`, `MESSAGE_RESOURCE_ENTRY` header, the `.res` `RESOURCEHEADER`, `EVENTLOGRECORD` | `wdm.h` / `winnt.h` |
//! | [`control`] | `RAMDISK_CREATE_INPUT`, `RAMDISK_SELECT`, `RAMDISK_DISK_INFO`, `RAMDISK_LIST` (the control device's own, version 1) | this crate |
//! | [`registry`] | `KEY_VALUE_PARTIAL_INFORMATION`, `KEY_VALUE_FULL_INFORMATION`, `KEY_BASIC_INFORMATION` headers | `wdm.h` |

/// Defines a wire structure: `#[repr(C)]`, the `zerocopy` derives, and a compile-time
/// assertion of its size and of every field's offset (`pub field: Type = offset`).
macro_rules! wire {
    (
        $(#[$meta:meta])*
        pub struct $name:ident [$size:expr] {
            $($(#[$field_meta:meta])* pub $field:ident : $ty:ty = $offset:expr),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(
            Clone,
            Copy,
            Debug,
            PartialEq,
            Eq,
            zerocopy::FromBytes,
            zerocopy::IntoBytes,
            zerocopy::KnownLayout,
            zerocopy::Immutable,
            zerocopy::Unaligned,
        )]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty),*
        }
        const _: () = assert!(core::mem::size_of::<$name>() == $size);
        $(const _: () = assert!(core::mem::offset_of!($name, $field) == $offset);)*
    };
}

pub mod control;
pub mod disk;
pub mod dsm;
pub mod eventlog;
pub mod exfat;
pub mod fat;
pub mod file;
pub mod mountdev;
pub mod mountmgr;
pub mod registry;
pub mod security;
pub mod storage;

pub use zerocopy::little_endian::{I64, U16, U32, U64};
pub use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout, Unaligned};
