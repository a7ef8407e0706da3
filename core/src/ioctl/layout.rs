//! The replies as wire structures.
//!
//! Each function fills one [`crate::wire`] struct from the disk's state. Sizes and
//! offsets are the structs' (asserted there against the x64 WDK layout); the tests pin
//! every byte.

use zerocopy::FromZeros;

use crate::geometry::{DiskInfo, Provisioning};
use crate::wire::disk::{
    DiskCacheInformation, DiskDetectionInfo, DiskGeometry, DiskGeometryExFull,
    DiskGeometryExHeader, DiskPartitionInfo, GetLengthInformation, PartitionInformation,
    PartitionInformationEx,
};
use crate::wire::storage::{
    DeviceMediaInfo, DeviceSeekPenaltyDescriptor, DeviceTrimDescriptor, GetMediaTypes,
    StorageAccessAlignmentDescriptor, StorageAdapterDescriptor, StorageDescriptorHeader,
    StorageDeviceDescriptor, StorageDeviceNumber, StorageHotplugInfo,
};
use crate::wire::{I64, U16, U32};

use super::codes::FILE_DEVICE_DISK;

/// `PARTITION_STYLE_MBR`.
pub const PARTITION_STYLE_MBR: u32 = 0;
/// `DetectNone`.
pub const DETECT_NONE: u32 = 0;
/// `BusTypeVirtual` (`STORAGE_BUS_TYPE`).
pub const BUS_TYPE_VIRTUAL: u8 = 0x0E;
/// `StorageDeviceProperty`.
pub const STORAGE_DEVICE_PROPERTY: u32 = 0;
/// `StorageAdapterProperty`.
pub const STORAGE_ADAPTER_PROPERTY: u32 = 1;
/// `StorageAccessAlignmentProperty`.
pub const STORAGE_ACCESS_ALIGNMENT_PROPERTY: u32 = 6;
/// `StorageDeviceSeekPenaltyProperty`.
pub const STORAGE_DEVICE_SEEK_PENALTY_PROPERTY: u32 = 7;
/// `StorageDeviceTrimProperty`.
pub const STORAGE_DEVICE_TRIM_PROPERTY: u32 = 8;
/// `StorageDeviceLBProvisioningProperty` (answered for dynamic disks only:
/// [`super::disk_ops`]).
pub const STORAGE_DEVICE_LB_PROVISIONING_PROPERTY: u32 = 11;
/// `PropertyStandardQuery`.
pub const PROPERTY_STANDARD_QUERY: u32 = 0;
/// `PropertyExistsQuery`.
pub const PROPERTY_EXISTS_QUERY: u32 = 1;
/// The SCSI peripheral device type of a disk: `DIRECT_ACCESS_DEVICE`.
pub const DIRECT_ACCESS_DEVICE: u8 = 0;

/// The partition number reported in `PARTITION_INFORMATION(_EX)`: 0, the
/// whole (unpartitioned, "superfloppy") disk.
pub const PARTITION_NUMBER: u32 = 0;
/// `STORAGE_DEVICE_NUMBER.DeviceNumber` and `.PartitionNumber`: not a
/// numbered `\Device\HarddiskN` and not partitionable.
pub const NO_NUMBER: u32 = 0xFFFF_FFFF;

/// `STORAGE_DEVICE_DESCRIPTOR` vendor id (NUL-terminated ASCII).
pub const VENDOR_ID: &[u8] = b"Rust\0";
/// Product id.
pub const PRODUCT_ID: &[u8] = b"RAM Disk\0";
/// Product revision.
pub const PRODUCT_REVISION: &[u8] = b"0.1\0";

/// Advisory `MaximumTransferLength` (64 MiB); the driver itself accepts any
/// sector-aligned length.
pub const MAXIMUM_TRANSFER_LENGTH: u32 = 64 << 20;
/// `MaximumPhysicalPages`: the transfer length in 4 KiB pages, plus one for an
/// unaligned buffer.
pub const MAXIMUM_PHYSICAL_PAGES: u32 = (MAXIMUM_TRANSFER_LENGTH >> 12) + 1;

/// Offset of the vendor id string in the device descriptor (`RawDeviceProperties`).
const VENDOR_AT: usize = core::mem::offset_of!(StorageDeviceDescriptor, raw_device_properties);
/// Offset of the product id string.
const PRODUCT_AT: usize = VENDOR_AT + VENDOR_ID.len();
/// Offset of the revision string.
const REVISION_AT: usize = PRODUCT_AT + PRODUCT_ID.len();
/// Full size of our device descriptor (`Size`).
pub const DEVICE_DESCRIPTOR_SIZE: usize = REVISION_AT + PRODUCT_REVISION.len();

/// `usize` size or offset to a `ULONG` field (all of them here are < 256).
#[allow(
    clippy::cast_possible_truncation,
    reason = "every size and offset here is < 256"
)]
const fn ulong(n: usize) -> U32 {
    U32::new(n as u32)
}

/// `DISK_GEOMETRY` for `info`.
#[must_use]
pub const fn disk_geometry(info: &DiskInfo) -> DiskGeometry {
    DiskGeometry {
        cylinders: I64::new(info.cylinders_i64()),
        media_type: U32::new(info.media.media_type()),
        tracks_per_cylinder: U32::new(info.tracks_per_cylinder),
        sectors_per_track: U32::new(info.sectors_per_track),
        bytes_per_sector: U32::new(info.bytes_per_sector),
    }
}

/// The full `DISK_GEOMETRY_EX` reply: geometry, size, MBR-style
/// `DISK_PARTITION_INFO` (signature 0), `DISK_DETECTION_INFO` (`DetectNone`).
#[must_use]
pub fn disk_geometry_ex(info: &DiskInfo) -> DiskGeometryExFull {
    let mut detection = DiskDetectionInfo::new_zeroed();
    detection.size_of_detect_info = ulong(size_of::<DiskDetectionInfo>());
    detection.detection_type = U32::new(DETECT_NONE);
    DiskGeometryExFull {
        header: DiskGeometryExHeader {
            geometry: disk_geometry(info),
            disk_size: I64::new(info.disk_size_i64()),
        },
        partition: DiskPartitionInfo {
            size_of_partition_info: ulong(size_of::<DiskPartitionInfo>()),
            partition_style: U32::new(PARTITION_STYLE_MBR),
            mbr_signature: U32::new(0),
            mbr_checksum: U32::new(0),
            union_rest: [0; 8],
        },
        detection,
    }
}

/// `GET_LENGTH_INFORMATION`.
#[must_use]
pub const fn get_length_information(info: &DiskInfo) -> GetLengthInformation {
    GetLengthInformation {
        length: I64::new(info.disk_size_i64()),
    }
}

/// `PARTITION_INFORMATION`: the whole disk, recognized, no hidden sectors, of
/// type `partition_type`.
#[must_use]
pub const fn partition_information(info: &DiskInfo, partition_type: u8) -> PartitionInformation {
    PartitionInformation {
        starting_offset: I64::new(0),
        partition_length: I64::new(info.disk_size_i64()),
        hidden_sectors: U32::new(0),
        partition_number: U32::new(PARTITION_NUMBER),
        partition_type,
        boot_indicator: 0,
        recognized_partition: 1,
        rewrite_partition: 0,
        pad: [0; 4],
    }
}

/// `PARTITION_INFORMATION_EX`, MBR style, same content as
/// [`partition_information()`].
#[must_use]
pub fn partition_information_ex(info: &DiskInfo, partition_type: u8) -> PartitionInformationEx {
    let mut p = PartitionInformationEx::new_zeroed();
    p.partition_style = U32::new(PARTITION_STYLE_MBR);
    p.starting_offset = I64::new(0);
    p.partition_length = I64::new(info.disk_size_i64());
    p.partition_number = U32::new(PARTITION_NUMBER);
    p.mbr_partition_type = partition_type;
    p.mbr_recognized_partition = 1;
    p
}

/// `STORAGE_DEVICE_NUMBER`: `FILE_DEVICE_DISK`, no device or partition number.
#[must_use]
pub const fn storage_device_number() -> StorageDeviceNumber {
    StorageDeviceNumber {
        device_type: U32::new(FILE_DEVICE_DISK),
        device_number: U32::new(NO_NUMBER),
        partition_number: U32::new(NO_NUMBER),
    }
}

/// `STORAGE_HOTPLUG_INFO` from the media kind.
#[must_use]
pub fn storage_hotplug_info(info: &DiskInfo) -> StorageHotplugInfo {
    let flags = info.media.hotplug();
    StorageHotplugInfo {
        size: ulong(size_of::<StorageHotplugInfo>()),
        media_removable: u8::from(flags.media_removable),
        media_hotplug: u8::from(flags.media_hotplug),
        device_hotplug: u8::from(flags.device_hotplug),
        write_cache_enable_override: u8::from(flags.write_cache_enable_override),
    }
}

/// `GET_MEDIA_TYPES` with one `DEVICE_MEDIA_INFO` (`DiskInfo`, or the
/// identical `RemovableDiskInfo` layout for removable media).
#[must_use]
pub const fn get_media_types(info: &DiskInfo) -> GetMediaTypes {
    GetMediaTypes {
        device_type: U32::new(FILE_DEVICE_DISK),
        media_info_count: U32::new(1),
        media_info: DeviceMediaInfo {
            cylinders: I64::new(info.cylinders_i64()),
            media_type: U32::new(info.media.media_type()),
            tracks_per_cylinder: U32::new(info.tracks_per_cylinder),
            sectors_per_track: U32::new(info.sectors_per_track),
            bytes_per_sector: U32::new(info.bytes_per_sector),
            number_media_sides: U32::new(1),
            media_characteristics: U32::new(info.media_characteristics()),
        },
    }
}

/// `STORAGE_DEVICE_DESCRIPTOR` with the vendor, product and revision strings
/// appended at `RawDeviceProperties` (`RawPropertiesLength` 0, no serial), as bytes.
#[must_use]
pub fn storage_device_descriptor(info: &DiskInfo) -> [u8; DEVICE_DESCRIPTOR_SIZE] {
    use zerocopy::IntoBytes;
    let d = StorageDeviceDescriptor {
        header: StorageDescriptorHeader {
            version: ulong(size_of::<StorageDeviceDescriptor>()),
            size: ulong(DEVICE_DESCRIPTOR_SIZE),
        },
        device_type: DIRECT_ACCESS_DEVICE,
        device_type_modifier: 0,
        removable_media: u8::from(info.media.is_removable()),
        command_queueing: 0,
        vendor_id_offset: ulong(VENDOR_AT),
        product_id_offset: ulong(PRODUCT_AT),
        product_revision_offset: ulong(REVISION_AT),
        serial_number_offset: U32::new(0),
        bus_type: U32::new(u32::from(BUS_TYPE_VIRTUAL)),
        raw_properties_length: U32::new(0),
        raw_device_properties: [0; 4],
    };
    let mut out = [0u8; DEVICE_DESCRIPTOR_SIZE];
    for (at, bytes) in [
        (0, &d.as_bytes()[..VENDOR_AT]),
        (VENDOR_AT, VENDOR_ID),
        (PRODUCT_AT, PRODUCT_ID),
        (REVISION_AT, PRODUCT_REVISION),
    ] {
        if let Some(dst) = out.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }
    out
}

/// `STORAGE_ADAPTER_DESCRIPTOR`: a virtual bus, CPU-copied (PIO), byte
/// aligned, no queueing.
#[must_use]
pub const fn storage_adapter_descriptor() -> StorageAdapterDescriptor {
    StorageAdapterDescriptor {
        header: StorageDescriptorHeader {
            version: ulong(size_of::<StorageAdapterDescriptor>()),
            size: ulong(size_of::<StorageAdapterDescriptor>()),
        },
        maximum_transfer_length: U32::new(MAXIMUM_TRANSFER_LENGTH),
        maximum_physical_pages: U32::new(MAXIMUM_PHYSICAL_PAGES),
        alignment_mask: U32::new(0),
        adapter_uses_pio: 1,
        adapter_scans_down: 0,
        command_queueing: 0,
        accelerated_transfer: 0,
        bus_type: BUS_TYPE_VIRTUAL,
        pad: 0,
        bus_major_version: U16::new(0),
        bus_minor_version: U16::new(0),
        srb_type: 0,
        address_type: 0,
    }
}

/// The `Version` and `Size` header of a fixed-size descriptor `T`.
const fn descriptor_header<T>() -> StorageDescriptorHeader {
    StorageDescriptorHeader {
        version: ulong(size_of::<T>()),
        size: ulong(size_of::<T>()),
    }
}

/// `DEVICE_SEEK_PENALTY_DESCRIPTOR`: memory has no seek penalty.
#[must_use]
pub const fn seek_penalty_descriptor() -> DeviceSeekPenaltyDescriptor {
    DeviceSeekPenaltyDescriptor {
        header: descriptor_header::<DeviceSeekPenaltyDescriptor>(),
        incurs_seek_penalty: 0,
        pad: [0; 3],
    }
}

/// `DEVICE_TRIM_DESCRIPTOR`: `TrimEnabled` TRUE only for a thin-provisioned disk.
///
/// A dynamic disk gives memory back on TRIM; a fixed one frees none (it only zeroes
/// the range), so the file system need not send it.
#[must_use]
pub const fn trim_descriptor(info: &DiskInfo) -> DeviceTrimDescriptor {
    DeviceTrimDescriptor {
        header: descriptor_header::<DeviceTrimDescriptor>(),
        trim_enabled: matches!(info.provisioning, Provisioning::Thin { .. }) as u8,
        pad: [0; 3],
    }
}

/// `STORAGE_ACCESS_ALIGNMENT_DESCRIPTOR`: 512-byte logical and physical sectors,
/// no alignment offset, no cache line to report.
#[must_use]
pub const fn access_alignment_descriptor(info: &DiskInfo) -> StorageAccessAlignmentDescriptor {
    StorageAccessAlignmentDescriptor {
        header: descriptor_header::<StorageAccessAlignmentDescriptor>(),
        bytes_per_cache_line: U32::new(0),
        bytes_offset_for_cache_alignment: U32::new(0),
        bytes_per_logical_sector: U32::new(info.bytes_per_sector),
        bytes_per_physical_sector: U32::new(info.bytes_per_sector),
        bytes_offset_for_sector_alignment: U32::new(0),
    }
}

/// `DISK_CACHE_INFORMATION`: no cache (every write is in memory when it completes),
/// nothing savable, no prefetch.
#[must_use]
pub fn disk_cache_information() -> DiskCacheInformation {
    DiskCacheInformation::new_zeroed()
}
