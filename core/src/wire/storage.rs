//! Storage IOCTL structures (`ntddstor.h`), x64 layout.

use super::{I64, U16, U32};

wire! {
    /// `STORAGE_DEVICE_NUMBER` (12 bytes).
    pub struct StorageDeviceNumber [12] {
        /// `DeviceType`.
        pub device_type: U32 = 0,
        /// `DeviceNumber`.
        pub device_number: U32 = 4,
        /// `PartitionNumber`.
        pub partition_number: U32 = 8,
    }
}

wire! {
    /// `STORAGE_HOTPLUG_INFO` (8 bytes).
    pub struct StorageHotplugInfo [8] {
        /// `Size`.
        pub size: U32 = 0,
        /// `MediaRemovable` (`BOOLEAN`).
        pub media_removable: u8 = 4,
        /// `MediaHotplug` (`BOOLEAN`).
        pub media_hotplug: u8 = 5,
        /// `DeviceHotplug` (`BOOLEAN`).
        pub device_hotplug: u8 = 6,
        /// `WriteCacheEnableOverride` (`BOOLEAN`).
        pub write_cache_enable_override: u8 = 7,
    }
}

wire! {
    /// `DEVICE_MEDIA_INFO.DeviceSpecific.DiskInfo` (32 bytes; `RemovableDiskInfo` has the
    /// same layout).
    pub struct DeviceMediaInfo [32] {
        /// `Cylinders` (`LARGE_INTEGER`).
        pub cylinders: I64 = 0,
        /// `MediaType` (`STORAGE_MEDIA_TYPE`).
        pub media_type: U32 = 8,
        /// `TracksPerCylinder`.
        pub tracks_per_cylinder: U32 = 12,
        /// `SectorsPerTrack`.
        pub sectors_per_track: U32 = 16,
        /// `BytesPerSector`.
        pub bytes_per_sector: U32 = 20,
        /// `NumberMediaSides`.
        pub number_media_sides: U32 = 24,
        /// `MediaCharacteristics`.
        pub media_characteristics: U32 = 28,
    }
}

wire! {
    /// `GET_MEDIA_TYPES` with one `DEVICE_MEDIA_INFO` (40 bytes).
    pub struct GetMediaTypes [40] {
        /// `DeviceType`.
        pub device_type: U32 = 0,
        /// `MediaInfoCount`.
        pub media_info_count: U32 = 4,
        /// `MediaInfo[0]`.
        pub media_info: DeviceMediaInfo = 8,
    }
}

wire! {
    /// `STORAGE_PROPERTY_QUERY` (12 bytes with `AdditionalParameters[1]`, padded).
    pub struct StoragePropertyQuery [12] {
        /// `PropertyId`.
        pub property_id: U32 = 0,
        /// `QueryType`.
        pub query_type: U32 = 4,
        /// `AdditionalParameters[1]` and padding.
        pub additional_parameters: [u8; 4] = 8,
    }
}

wire! {
    /// `STORAGE_DESCRIPTOR_HEADER` (8 bytes).
    pub struct StorageDescriptorHeader [8] {
        /// `Version`.
        pub version: U32 = 0,
        /// `Size`.
        pub size: U32 = 4,
    }
}

wire! {
    /// `STORAGE_DEVICE_DESCRIPTOR` up to `RawDeviceProperties` (40 bytes with its first
    /// byte, padded; the appended strings start at offset 36).
    pub struct StorageDeviceDescriptor [40] {
        /// `Version` and `Size`.
        pub header: StorageDescriptorHeader = 0,
        /// `DeviceType` (SCSI peripheral type; 0 = direct access).
        pub device_type: u8 = 8,
        /// `DeviceTypeModifier`.
        pub device_type_modifier: u8 = 9,
        /// `RemovableMedia` (`BOOLEAN`).
        pub removable_media: u8 = 10,
        /// `CommandQueueing` (`BOOLEAN`).
        pub command_queueing: u8 = 11,
        /// `VendorIdOffset`.
        pub vendor_id_offset: U32 = 12,
        /// `ProductIdOffset`.
        pub product_id_offset: U32 = 16,
        /// `ProductRevisionOffset`.
        pub product_revision_offset: U32 = 20,
        /// `SerialNumberOffset` (0: no serial number).
        pub serial_number_offset: U32 = 24,
        /// `BusType` (`STORAGE_BUS_TYPE`).
        pub bus_type: U32 = 28,
        /// `RawPropertiesLength`.
        pub raw_properties_length: U32 = 32,
        /// `RawDeviceProperties[1]` and padding.
        pub raw_device_properties: [u8; 4] = 36,
    }
}

wire! {
    /// `STORAGE_ADAPTER_DESCRIPTOR` (32 bytes, the Windows 8+ layout with `SrbType` and
    /// `AddressType`).
    pub struct StorageAdapterDescriptor [32] {
        /// `Version` and `Size`.
        pub header: StorageDescriptorHeader = 0,
        /// `MaximumTransferLength`.
        pub maximum_transfer_length: U32 = 8,
        /// `MaximumPhysicalPages`.
        pub maximum_physical_pages: U32 = 12,
        /// `AlignmentMask`.
        pub alignment_mask: U32 = 16,
        /// `AdapterUsesPio` (`BOOLEAN`).
        pub adapter_uses_pio: u8 = 20,
        /// `AdapterScansDown` (`BOOLEAN`).
        pub adapter_scans_down: u8 = 21,
        /// `CommandQueueing` (`BOOLEAN`).
        pub command_queueing: u8 = 22,
        /// `AcceleratedTransfer` (`BOOLEAN`).
        pub accelerated_transfer: u8 = 23,
        /// `BusType` (a `UCHAR` here).
        pub bus_type: u8 = 24,
        /// Padding before `BusMajorVersion`.
        pub pad: u8 = 25,
        /// `BusMajorVersion`.
        pub bus_major_version: U16 = 26,
        /// `BusMinorVersion`.
        pub bus_minor_version: U16 = 28,
        /// `SrbType`.
        pub srb_type: u8 = 30,
        /// `AddressType`.
        pub address_type: u8 = 31,
    }
}

wire! {
    /// `DEVICE_SEEK_PENALTY_DESCRIPTOR` (12 bytes).
    pub struct DeviceSeekPenaltyDescriptor [12] {
        /// `Version` and `Size`.
        pub header: StorageDescriptorHeader = 0,
        /// `IncursSeekPenalty` (`BOOLEAN`).
        pub incurs_seek_penalty: u8 = 8,
        /// Padding.
        pub pad: [u8; 3] = 9,
    }
}

wire! {
    /// `DEVICE_TRIM_DESCRIPTOR` (12 bytes).
    pub struct DeviceTrimDescriptor [12] {
        /// `Version` and `Size`.
        pub header: StorageDescriptorHeader = 0,
        /// `TrimEnabled` (`BOOLEAN`).
        pub trim_enabled: u8 = 8,
        /// Padding.
        pub pad: [u8; 3] = 9,
    }
}

wire! {
    /// `STORAGE_ACCESS_ALIGNMENT_DESCRIPTOR` (28 bytes).
    pub struct StorageAccessAlignmentDescriptor [28] {
        /// `Version` and `Size`.
        pub header: StorageDescriptorHeader = 0,
        /// `BytesPerCacheLine`.
        pub bytes_per_cache_line: U32 = 8,
        /// `BytesOffsetForCacheAlignment`.
        pub bytes_offset_for_cache_alignment: U32 = 12,
        /// `BytesPerLogicalSector`.
        pub bytes_per_logical_sector: U32 = 16,
        /// `BytesPerPhysicalSector`.
        pub bytes_per_physical_sector: U32 = 20,
        /// `BytesOffsetForSectorAlignment`.
        pub bytes_offset_for_sector_alignment: U32 = 24,
    }
}
