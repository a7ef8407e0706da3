//! The reply and request structures as explicit little-endian byte layouts,
//! with the x64 WDK sizes and field offsets.
//!
//! Every size and offset here was printed with `sizeof`/`offsetof` by a
//! mingw-w64 program (`_WIN32_WINNT` 0x0A00, latest `NTDDI_VERSION`) run under
//! Wine, and agrees with the WDK documentation; the tests pin them.

use crate::geometry::DiskInfo;

use super::codes::FILE_DEVICE_DISK;

/// A fixed-size little-endian byte image of a structure.
pub struct Image<const N: usize>(pub [u8; N]);

impl<const N: usize> Default for Image<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Image<N> {
    /// All zero.
    #[must_use]
    pub const fn new() -> Self {
        Self([0; N])
    }

    /// Stores `bytes` at `offset`; out-of-range stores are dropped (never
    /// happens with the constant offsets below; the tests pin every byte).
    pub fn put(&mut self, offset: usize, bytes: &[u8]) -> &mut Self {
        if let Some(end) = offset.checked_add(bytes.len())
            && let Some(dst) = self.0.get_mut(offset..end)
        {
            dst.copy_from_slice(bytes);
        }
        self
    }

    /// Stores a `u8`/`BOOLEAN`/`UCHAR`.
    pub fn u8(&mut self, offset: usize, value: u8) -> &mut Self {
        self.put(offset, &[value])
    }

    /// Stores a `USHORT`.
    pub fn u16(&mut self, offset: usize, value: u16) -> &mut Self {
        self.put(offset, &value.to_le_bytes())
    }

    /// Stores a `ULONG`/`DWORD`.
    pub fn u32(&mut self, offset: usize, value: u32) -> &mut Self {
        self.put(offset, &value.to_le_bytes())
    }

    /// Stores a `LARGE_INTEGER`.
    pub fn i64(&mut self, offset: usize, value: i64) -> &mut Self {
        self.put(offset, &value.to_le_bytes())
    }
}

/// `DISK_GEOMETRY`.
pub mod disk_geometry {
    /// `sizeof(DISK_GEOMETRY)`.
    pub const SIZE: usize = 24;
    /// `Cylinders` (`LARGE_INTEGER`).
    pub const CYLINDERS: usize = 0;
    /// `MediaType` (`MEDIA_TYPE`).
    pub const MEDIA_TYPE: usize = 8;
    /// `TracksPerCylinder`.
    pub const TRACKS_PER_CYLINDER: usize = 12;
    /// `SectorsPerTrack`.
    pub const SECTORS_PER_TRACK: usize = 16;
    /// `BytesPerSector`.
    pub const BYTES_PER_SECTOR: usize = 20;
}

/// `DISK_GEOMETRY_EX`.
pub mod disk_geometry_ex {
    /// `DiskSize` (`LARGE_INTEGER`).
    pub const DISK_SIZE: usize = 24;
    /// `FIELD_OFFSET(DISK_GEOMETRY_EX, Data)`: the minimum reply.
    pub const DATA: usize = 32;
    /// `sizeof(DISK_GEOMETRY_EX)` (with its 1-byte `Data[1]`, padded).
    pub const SIZE: usize = 40;
    /// Header plus `DISK_PARTITION_INFO`.
    pub const WITH_PARTITION: usize = DATA + super::disk_partition_info::SIZE;
    /// Header plus `DISK_PARTITION_INFO` plus `DISK_DETECTION_INFO`: the full reply.
    pub const FULL: usize = WITH_PARTITION + super::disk_detection_info::SIZE;
}

/// `DISK_PARTITION_INFO`.
pub mod disk_partition_info {
    /// `sizeof(DISK_PARTITION_INFO)`.
    pub const SIZE: usize = 24;
    /// `SizeOfPartitionInfo`.
    pub const SIZE_OF_PARTITION_INFO: usize = 0;
    /// `PartitionStyle`.
    pub const PARTITION_STYLE: usize = 4;
    /// `Mbr.Signature`.
    pub const MBR_SIGNATURE: usize = 8;
    /// `Mbr.CheckSum`.
    pub const MBR_CHECKSUM: usize = 12;
}

/// `DISK_DETECTION_INFO`.
pub mod disk_detection_info {
    /// `sizeof(DISK_DETECTION_INFO)`.
    pub const SIZE: usize = 56;
    /// `SizeOfDetectInfo`.
    pub const SIZE_OF_DETECT_INFO: usize = 0;
    /// `DetectionType` (`DetectNone` = 0).
    pub const DETECTION_TYPE: usize = 4;
    /// `Int13` (`DISK_INT13_INFO`, 16 bytes).
    pub const INT13: usize = 8;
    /// `ExInt13` (`DISK_EX_INT13_INFO`, 32 bytes).
    pub const EX_INT13: usize = 24;
}

/// `PARTITION_INFORMATION`.
pub mod partition_information {
    /// `sizeof(PARTITION_INFORMATION)`.
    pub const SIZE: usize = 32;
    /// `StartingOffset`.
    pub const STARTING_OFFSET: usize = 0;
    /// `PartitionLength`.
    pub const PARTITION_LENGTH: usize = 8;
    /// `HiddenSectors`.
    pub const HIDDEN_SECTORS: usize = 16;
    /// `PartitionNumber`.
    pub const PARTITION_NUMBER: usize = 20;
    /// `PartitionType`.
    pub const PARTITION_TYPE: usize = 24;
    /// `BootIndicator`.
    pub const BOOT_INDICATOR: usize = 25;
    /// `RecognizedPartition`.
    pub const RECOGNIZED_PARTITION: usize = 26;
    /// `RewritePartition`.
    pub const REWRITE_PARTITION: usize = 27;
}

/// `PARTITION_INFORMATION_EX` (MBR style).
pub mod partition_information_ex {
    /// `sizeof(PARTITION_INFORMATION_EX)` (the GPT union member is 112 bytes).
    pub const SIZE: usize = 144;
    /// `PartitionStyle`.
    pub const PARTITION_STYLE: usize = 0;
    /// `StartingOffset`.
    pub const STARTING_OFFSET: usize = 8;
    /// `PartitionLength`.
    pub const PARTITION_LENGTH: usize = 16;
    /// `PartitionNumber`.
    pub const PARTITION_NUMBER: usize = 24;
    /// `RewritePartition`.
    pub const REWRITE_PARTITION: usize = 28;
    /// `IsServicePartition` (Windows 10 RS3+).
    pub const IS_SERVICE_PARTITION: usize = 29;
    /// `Mbr.PartitionType`.
    pub const MBR_PARTITION_TYPE: usize = 32;
    /// `Mbr.BootIndicator`.
    pub const MBR_BOOT_INDICATOR: usize = 33;
    /// `Mbr.RecognizedPartition`.
    pub const MBR_RECOGNIZED_PARTITION: usize = 34;
    /// `Mbr.HiddenSectors`.
    pub const MBR_HIDDEN_SECTORS: usize = 36;
    /// `Mbr.PartitionId` (GUID, left zero).
    pub const MBR_PARTITION_ID: usize = 40;
}

/// `GET_LENGTH_INFORMATION`.
pub mod get_length_information {
    /// `sizeof(GET_LENGTH_INFORMATION)`.
    pub const SIZE: usize = 8;
    /// `Length`.
    pub const LENGTH: usize = 0;
}

/// `VERIFY_INFORMATION` (input of `IOCTL_DISK_VERIFY`).
pub mod verify_information {
    /// `sizeof(VERIFY_INFORMATION)`.
    pub const SIZE: usize = 16;
    /// `StartingOffset`.
    pub const STARTING_OFFSET: usize = 0;
    /// `Length`.
    pub const LENGTH: usize = 8;
}

/// `STORAGE_DEVICE_NUMBER`.
pub mod storage_device_number {
    /// `sizeof(STORAGE_DEVICE_NUMBER)`.
    pub const SIZE: usize = 12;
    /// `DeviceType`.
    pub const DEVICE_TYPE: usize = 0;
    /// `DeviceNumber`.
    pub const DEVICE_NUMBER: usize = 4;
    /// `PartitionNumber`.
    pub const PARTITION_NUMBER: usize = 8;
}

/// `STORAGE_HOTPLUG_INFO`.
pub mod storage_hotplug_info {
    /// `sizeof(STORAGE_HOTPLUG_INFO)`.
    pub const SIZE: usize = 8;
    /// `Size`.
    pub const SIZE_FIELD: usize = 0;
    /// `MediaRemovable`.
    pub const MEDIA_REMOVABLE: usize = 4;
    /// `MediaHotplug`.
    pub const MEDIA_HOTPLUG: usize = 5;
    /// `DeviceHotplug`.
    pub const DEVICE_HOTPLUG: usize = 6;
    /// `WriteCacheEnableOverride`.
    pub const WRITE_CACHE_ENABLE_OVERRIDE: usize = 7;
}

/// `GET_MEDIA_TYPES` with one `DEVICE_MEDIA_INFO`.
pub mod get_media_types {
    /// `sizeof(GET_MEDIA_TYPES)` (one `DEVICE_MEDIA_INFO` of 32 bytes at 8).
    pub const SIZE: usize = 40;
    /// `DeviceType`.
    pub const DEVICE_TYPE: usize = 0;
    /// `MediaInfoCount`.
    pub const MEDIA_INFO_COUNT: usize = 4;
    /// `MediaInfo[0]`.
    pub const MEDIA_INFO: usize = 8;
    /// `sizeof(DEVICE_MEDIA_INFO)`.
    pub const DEVICE_MEDIA_INFO_SIZE: usize = 32;
    /// `DeviceSpecific.DiskInfo.Cylinders`, relative to the `DEVICE_MEDIA_INFO`.
    pub const DI_CYLINDERS: usize = 0;
    /// `DiskInfo.MediaType` (`STORAGE_MEDIA_TYPE`).
    pub const DI_MEDIA_TYPE: usize = 8;
    /// `DiskInfo.TracksPerCylinder`.
    pub const DI_TRACKS_PER_CYLINDER: usize = 12;
    /// `DiskInfo.SectorsPerTrack`.
    pub const DI_SECTORS_PER_TRACK: usize = 16;
    /// `DiskInfo.BytesPerSector`.
    pub const DI_BYTES_PER_SECTOR: usize = 20;
    /// `DiskInfo.NumberMediaSides`.
    pub const DI_NUMBER_MEDIA_SIDES: usize = 24;
    /// `DiskInfo.MediaCharacteristics`.
    pub const DI_MEDIA_CHARACTERISTICS: usize = 28;
}

/// `STORAGE_PROPERTY_QUERY` (input of `IOCTL_STORAGE_QUERY_PROPERTY`).
pub mod storage_property_query {
    /// `sizeof(STORAGE_PROPERTY_QUERY)` (with `AdditionalParameters[1]`, padded).
    pub const SIZE: usize = 12;
    /// `PropertyId`.
    pub const PROPERTY_ID: usize = 0;
    /// `QueryType`.
    pub const QUERY_TYPE: usize = 4;
}

/// `STORAGE_DESCRIPTOR_HEADER`: `Version`, `Size`.
pub mod storage_descriptor_header {
    /// `sizeof(STORAGE_DESCRIPTOR_HEADER)`.
    pub const SIZE: usize = 8;
    /// `Version`.
    pub const VERSION: usize = 0;
    /// `Size`.
    pub const SIZE_FIELD: usize = 4;
}

/// `STORAGE_DEVICE_DESCRIPTOR`.
pub mod storage_device_descriptor {
    /// `sizeof(STORAGE_DEVICE_DESCRIPTOR)`, also its `Version`.
    pub const SIZE: usize = 40;
    /// `DeviceType` (SCSI peripheral type; 0 = direct access).
    pub const DEVICE_TYPE: usize = 8;
    /// `DeviceTypeModifier`.
    pub const DEVICE_TYPE_MODIFIER: usize = 9;
    /// `RemovableMedia`.
    pub const REMOVABLE_MEDIA: usize = 10;
    /// `CommandQueueing`.
    pub const COMMAND_QUEUEING: usize = 11;
    /// `VendorIdOffset`.
    pub const VENDOR_ID_OFFSET: usize = 12;
    /// `ProductIdOffset`.
    pub const PRODUCT_ID_OFFSET: usize = 16;
    /// `ProductRevisionOffset`.
    pub const PRODUCT_REVISION_OFFSET: usize = 20;
    /// `SerialNumberOffset` (0: no serial number).
    pub const SERIAL_NUMBER_OFFSET: usize = 24;
    /// `BusType` (`STORAGE_BUS_TYPE`, 4 bytes).
    pub const BUS_TYPE: usize = 28;
    /// `RawPropertiesLength`.
    pub const RAW_PROPERTIES_LENGTH: usize = 32;
    /// `RawDeviceProperties`: where the appended strings start.
    pub const RAW_DEVICE_PROPERTIES: usize = 36;
}

/// `STORAGE_ADAPTER_DESCRIPTOR` (Windows 8+ layout with `SrbType`, `AddressType`).
pub mod storage_adapter_descriptor {
    /// `sizeof(STORAGE_ADAPTER_DESCRIPTOR)`, also its `Version`.
    pub const SIZE: usize = 32;
    /// `MaximumTransferLength`.
    pub const MAXIMUM_TRANSFER_LENGTH: usize = 8;
    /// `MaximumPhysicalPages`.
    pub const MAXIMUM_PHYSICAL_PAGES: usize = 12;
    /// `AlignmentMask`.
    pub const ALIGNMENT_MASK: usize = 16;
    /// `AdapterUsesPio`.
    pub const ADAPTER_USES_PIO: usize = 20;
    /// `AdapterScansDown`.
    pub const ADAPTER_SCANS_DOWN: usize = 21;
    /// `CommandQueueing`.
    pub const COMMAND_QUEUEING: usize = 22;
    /// `AcceleratedTransfer`.
    pub const ACCELERATED_TRANSFER: usize = 23;
    /// `BusType` (a `UCHAR` here).
    pub const BUS_TYPE: usize = 24;
    /// `BusMajorVersion`.
    pub const BUS_MAJOR_VERSION: usize = 26;
    /// `BusMinorVersion`.
    pub const BUS_MINOR_VERSION: usize = 28;
    /// `SrbType`.
    pub const SRB_TYPE: usize = 30;
    /// `AddressType`.
    pub const ADDRESS_TYPE: usize = 31;
}

/// `MOUNTDEV_NAME` and `MOUNTDEV_UNIQUE_ID`: a `USHORT` length, then the data.
pub mod mountdev {
    /// `sizeof(MOUNTDEV_NAME)` = `sizeof(MOUNTDEV_UNIQUE_ID)`: the smallest
    /// buffer that gets the length (with `STATUS_BUFFER_OVERFLOW`).
    pub const HEADER: usize = 4;
    /// `NameLength` / `UniqueIdLength`.
    pub const LENGTH: usize = 0;
    /// `Name` / `UniqueId`.
    pub const DATA: usize = 2;
}

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

/// Offset of the vendor id string in the device descriptor.
const VENDOR_AT: usize = storage_device_descriptor::RAW_DEVICE_PROPERTIES;
/// Offset of the product id string.
const PRODUCT_AT: usize = VENDOR_AT + VENDOR_ID.len();
/// Offset of the revision string.
const REVISION_AT: usize = PRODUCT_AT + PRODUCT_ID.len();
/// Full size of our device descriptor (`Size`).
pub const DEVICE_DESCRIPTOR_SIZE: usize = REVISION_AT + PRODUCT_REVISION.len();

/// `usize` offset to a `ULONG` field (all offsets here are < 256).
#[allow(
    clippy::cast_possible_truncation,
    reason = "every offset here is < 256"
)]
const fn ulong(n: usize) -> u32 {
    n as u32
}

/// `DISK_GEOMETRY` for `info`.
#[must_use]
pub fn disk_geometry(info: &DiskInfo) -> [u8; disk_geometry::SIZE] {
    use disk_geometry as g;
    let mut s = Image::<{ g::SIZE }>::new();
    s.i64(g::CYLINDERS, info.cylinders_i64())
        .u32(g::MEDIA_TYPE, info.media.media_type())
        .u32(g::TRACKS_PER_CYLINDER, info.tracks_per_cylinder)
        .u32(g::SECTORS_PER_TRACK, info.sectors_per_track)
        .u32(g::BYTES_PER_SECTOR, info.bytes_per_sector);
    s.0
}

/// The full `DISK_GEOMETRY_EX` reply: geometry, size, MBR-style
/// `DISK_PARTITION_INFO` (signature 0), `DISK_DETECTION_INFO` (`DetectNone`).
#[must_use]
pub fn disk_geometry_ex(info: &DiskInfo) -> [u8; disk_geometry_ex::FULL] {
    use disk_detection_info as d;
    use disk_geometry_ex as g;
    use disk_partition_info as p;
    let mut s = Image::<{ g::FULL }>::new();
    s.put(0, &disk_geometry(info))
        .i64(g::DISK_SIZE, info.disk_size_i64())
        .u32(g::DATA + p::SIZE_OF_PARTITION_INFO, ulong(p::SIZE))
        .u32(g::DATA + p::PARTITION_STYLE, PARTITION_STYLE_MBR)
        .u32(g::DATA + p::MBR_SIGNATURE, 0)
        .u32(g::DATA + p::MBR_CHECKSUM, 0)
        .u32(g::WITH_PARTITION + d::SIZE_OF_DETECT_INFO, ulong(d::SIZE))
        .u32(g::WITH_PARTITION + d::DETECTION_TYPE, DETECT_NONE);
    s.0
}

/// `GET_LENGTH_INFORMATION`.
#[must_use]
pub const fn get_length_information(info: &DiskInfo) -> [u8; get_length_information::SIZE] {
    info.disk_size_i64().to_le_bytes()
}

/// `PARTITION_INFORMATION`: the whole disk, recognized, no hidden sectors.
#[must_use]
pub fn partition_information(info: &DiskInfo) -> [u8; partition_information::SIZE] {
    use partition_information as p;
    let mut s = Image::<{ p::SIZE }>::new();
    s.i64(p::STARTING_OFFSET, 0)
        .i64(p::PARTITION_LENGTH, info.disk_size_i64())
        .u32(p::HIDDEN_SECTORS, 0)
        .u32(p::PARTITION_NUMBER, PARTITION_NUMBER)
        .u8(p::PARTITION_TYPE, info.partition_type)
        .u8(p::BOOT_INDICATOR, 0)
        .u8(p::RECOGNIZED_PARTITION, 1)
        .u8(p::REWRITE_PARTITION, 0);
    s.0
}

/// `PARTITION_INFORMATION_EX`, MBR style, same content as
/// [`partition_information()`].
#[must_use]
pub fn partition_information_ex(info: &DiskInfo) -> [u8; partition_information_ex::SIZE] {
    use partition_information_ex as p;
    let mut s = Image::<{ p::SIZE }>::new();
    s.u32(p::PARTITION_STYLE, PARTITION_STYLE_MBR)
        .i64(p::STARTING_OFFSET, 0)
        .i64(p::PARTITION_LENGTH, info.disk_size_i64())
        .u32(p::PARTITION_NUMBER, PARTITION_NUMBER)
        .u8(p::REWRITE_PARTITION, 0)
        .u8(p::IS_SERVICE_PARTITION, 0)
        .u8(p::MBR_PARTITION_TYPE, info.partition_type)
        .u8(p::MBR_BOOT_INDICATOR, 0)
        .u8(p::MBR_RECOGNIZED_PARTITION, 1)
        .u32(p::MBR_HIDDEN_SECTORS, 0);
    s.0
}

/// `STORAGE_DEVICE_NUMBER`: `FILE_DEVICE_DISK`, no device or partition number.
#[must_use]
pub fn storage_device_number() -> [u8; storage_device_number::SIZE] {
    use storage_device_number as n;
    let mut s = Image::<{ n::SIZE }>::new();
    s.u32(n::DEVICE_TYPE, FILE_DEVICE_DISK)
        .u32(n::DEVICE_NUMBER, NO_NUMBER)
        .u32(n::PARTITION_NUMBER, NO_NUMBER);
    s.0
}

/// `STORAGE_HOTPLUG_INFO` from the media kind.
#[must_use]
pub fn storage_hotplug_info(info: &DiskInfo) -> [u8; storage_hotplug_info::SIZE] {
    use storage_hotplug_info as h;
    let flags = info.media.hotplug();
    let mut s = Image::<{ h::SIZE }>::new();
    s.u32(h::SIZE_FIELD, ulong(h::SIZE))
        .u8(h::MEDIA_REMOVABLE, u8::from(flags.media_removable))
        .u8(h::MEDIA_HOTPLUG, u8::from(flags.media_hotplug))
        .u8(h::DEVICE_HOTPLUG, u8::from(flags.device_hotplug))
        .u8(
            h::WRITE_CACHE_ENABLE_OVERRIDE,
            u8::from(flags.write_cache_enable_override),
        );
    s.0
}

/// `GET_MEDIA_TYPES` with one `DEVICE_MEDIA_INFO` (`DiskInfo`, or the
/// identical `RemovableDiskInfo` layout for removable media).
#[must_use]
pub fn get_media_types(info: &DiskInfo) -> [u8; get_media_types::SIZE] {
    use get_media_types as m;
    let mut s = Image::<{ m::SIZE }>::new();
    s.u32(m::DEVICE_TYPE, FILE_DEVICE_DISK)
        .u32(m::MEDIA_INFO_COUNT, 1)
        .i64(m::MEDIA_INFO + m::DI_CYLINDERS, info.cylinders_i64())
        .u32(m::MEDIA_INFO + m::DI_MEDIA_TYPE, info.media.media_type())
        .u32(
            m::MEDIA_INFO + m::DI_TRACKS_PER_CYLINDER,
            info.tracks_per_cylinder,
        )
        .u32(
            m::MEDIA_INFO + m::DI_SECTORS_PER_TRACK,
            info.sectors_per_track,
        )
        .u32(
            m::MEDIA_INFO + m::DI_BYTES_PER_SECTOR,
            info.bytes_per_sector,
        )
        .u32(m::MEDIA_INFO + m::DI_NUMBER_MEDIA_SIDES, 1)
        .u32(
            m::MEDIA_INFO + m::DI_MEDIA_CHARACTERISTICS,
            info.media.media_characteristics(),
        );
    s.0
}

/// `STORAGE_DEVICE_DESCRIPTOR` with the vendor, product and revision strings
/// appended at `RawDeviceProperties` (`RawPropertiesLength` 0, no serial).
#[must_use]
pub fn storage_device_descriptor(info: &DiskInfo) -> [u8; DEVICE_DESCRIPTOR_SIZE] {
    use storage_descriptor_header as h;
    use storage_device_descriptor as d;
    let mut s = Image::<DEVICE_DESCRIPTOR_SIZE>::new();
    s.u32(h::VERSION, ulong(d::SIZE))
        .u32(h::SIZE_FIELD, ulong(DEVICE_DESCRIPTOR_SIZE))
        .u8(d::DEVICE_TYPE, DIRECT_ACCESS_DEVICE)
        .u8(d::DEVICE_TYPE_MODIFIER, 0)
        .u8(d::REMOVABLE_MEDIA, u8::from(info.media.is_removable()))
        .u8(d::COMMAND_QUEUEING, 0)
        .u32(d::VENDOR_ID_OFFSET, ulong(VENDOR_AT))
        .u32(d::PRODUCT_ID_OFFSET, ulong(PRODUCT_AT))
        .u32(d::PRODUCT_REVISION_OFFSET, ulong(REVISION_AT))
        .u32(d::SERIAL_NUMBER_OFFSET, 0)
        .u32(d::BUS_TYPE, u32::from(BUS_TYPE_VIRTUAL))
        .u32(d::RAW_PROPERTIES_LENGTH, 0)
        .put(VENDOR_AT, VENDOR_ID)
        .put(PRODUCT_AT, PRODUCT_ID)
        .put(REVISION_AT, PRODUCT_REVISION);
    s.0
}

/// `STORAGE_ADAPTER_DESCRIPTOR`: a virtual bus, CPU-copied (PIO), byte
/// aligned, no queueing.
#[must_use]
pub fn storage_adapter_descriptor() -> [u8; storage_adapter_descriptor::SIZE] {
    use storage_adapter_descriptor as a;
    use storage_descriptor_header as h;
    let mut s = Image::<{ a::SIZE }>::new();
    s.u32(h::VERSION, ulong(a::SIZE))
        .u32(h::SIZE_FIELD, ulong(a::SIZE))
        .u32(a::MAXIMUM_TRANSFER_LENGTH, MAXIMUM_TRANSFER_LENGTH)
        .u32(a::MAXIMUM_PHYSICAL_PAGES, MAXIMUM_PHYSICAL_PAGES)
        .u32(a::ALIGNMENT_MASK, 0)
        .u8(a::ADAPTER_USES_PIO, 1)
        .u8(a::ADAPTER_SCANS_DOWN, 0)
        .u8(a::COMMAND_QUEUEING, 0)
        .u8(a::ACCELERATED_TRANSFER, 0)
        .u8(a::BUS_TYPE, BUS_TYPE_VIRTUAL)
        .u16(a::BUS_MAJOR_VERSION, 0)
        .u16(a::BUS_MINOR_VERSION, 0)
        .u8(a::SRB_TYPE, 0)
        .u8(a::ADDRESS_TYPE, 0);
    s.0
}

/// Completes a `MOUNTDEV_NAME`/`MOUNTDEV_UNIQUE_ID` reply in `image`.
///
/// The `payload_len` data bytes already stand at [`mountdev::DATA`]; this stores the
/// `USHORT` length and returns the reply (the length field and the data).
#[must_use]
pub fn mountdev_image(image: &mut [u8], payload_len: usize) -> &[u8] {
    let len = u16::try_from(payload_len).unwrap_or(u16::MAX);
    if let Some(field) = image.get_mut(mountdev::LENGTH..mountdev::LENGTH + 2) {
        field.copy_from_slice(&len.to_le_bytes());
    }
    let end = (mountdev::DATA + payload_len).min(image.len());
    image.get(..end).unwrap_or(&[])
}
