//! Disk IOCTL structures (`ntdddisk.h` / `winioctl.h`), x64 layout.

use super::{I64, U16, U32};

wire! {
    /// `DISK_GEOMETRY` (24 bytes).
    pub struct DiskGeometry [24] {
        /// `Cylinders` (`LARGE_INTEGER`).
        pub cylinders: I64 = 0,
        /// `MediaType` (`MEDIA_TYPE`).
        pub media_type: U32 = 8,
        /// `TracksPerCylinder`.
        pub tracks_per_cylinder: U32 = 12,
        /// `SectorsPerTrack`.
        pub sectors_per_track: U32 = 16,
        /// `BytesPerSector`.
        pub bytes_per_sector: U32 = 20,
    }
}

wire! {
    /// `DISK_GEOMETRY_EX` up to `Data`: the geometry and the size (32 bytes, the
    /// smallest reply).
    pub struct DiskGeometryExHeader [32] {
        /// `Geometry`.
        pub geometry: DiskGeometry = 0,
        /// `DiskSize` (`LARGE_INTEGER`).
        pub disk_size: I64 = 24,
    }
}

wire! {
    /// `DISK_PARTITION_INFO`, MBR arm (24 bytes: the union is the GPT arm's 16-byte GUID).
    pub struct DiskPartitionInfo [24] {
        /// `SizeOfPartitionInfo`.
        pub size_of_partition_info: U32 = 0,
        /// `PartitionStyle` (`PARTITION_STYLE_MBR` = 0).
        pub partition_style: U32 = 4,
        /// `Mbr.Signature`.
        pub mbr_signature: U32 = 8,
        /// `Mbr.CheckSum`.
        pub mbr_checksum: U32 = 12,
        /// The rest of the union (the GPT arm's `DiskId` is 16 bytes).
        pub union_rest: [u8; 8] = 16,
    }
}

wire! {
    /// `DISK_DETECTION_INFO` (56 bytes): `DISK_INT13_INFO` at 8, `DISK_EX_INT13_INFO` at 24.
    pub struct DiskDetectionInfo [56] {
        /// `SizeOfDetectInfo`.
        pub size_of_detect_info: U32 = 0,
        /// `DetectionType` (`DetectNone` = 0).
        pub detection_type: U32 = 4,
        /// `Int13` (`DISK_INT13_INFO`), all zero for `DetectNone`.
        pub int13: [u8; 16] = 8,
        /// `ExInt13` (`DISK_EX_INT13_INFO`), all zero for `DetectNone`.
        pub ex_int13: [u8; 32] = 24,
    }
}

wire! {
    /// The whole `DISK_GEOMETRY_EX` reply: header, partition info, detection info (112 bytes).
    pub struct DiskGeometryExFull [112] {
        /// Geometry and size.
        pub header: DiskGeometryExHeader = 0,
        /// `DISK_PARTITION_INFO` (at `Data`).
        pub partition: DiskPartitionInfo = 32,
        /// `DISK_DETECTION_INFO`.
        pub detection: DiskDetectionInfo = 56,
    }
}

wire! {
    /// `GET_LENGTH_INFORMATION` (8 bytes).
    pub struct GetLengthInformation [8] {
        /// `Length` (`LARGE_INTEGER`).
        pub length: I64 = 0,
    }
}

wire! {
    /// `PARTITION_INFORMATION` (32 bytes).
    pub struct PartitionInformation [32] {
        /// `StartingOffset`.
        pub starting_offset: I64 = 0,
        /// `PartitionLength`.
        pub partition_length: I64 = 8,
        /// `HiddenSectors`.
        pub hidden_sectors: U32 = 16,
        /// `PartitionNumber`.
        pub partition_number: U32 = 20,
        /// `PartitionType`.
        pub partition_type: u8 = 24,
        /// `BootIndicator` (`BOOLEAN`).
        pub boot_indicator: u8 = 25,
        /// `RecognizedPartition` (`BOOLEAN`).
        pub recognized_partition: u8 = 26,
        /// `RewritePartition` (`BOOLEAN`).
        pub rewrite_partition: u8 = 27,
        /// Padding to the structure's 8-byte alignment.
        pub pad: [u8; 4] = 28,
    }
}

wire! {
    /// `PARTITION_INFORMATION_EX`, MBR arm (144 bytes: the union is the GPT arm's 112).
    pub struct PartitionInformationEx [144] {
        /// `PartitionStyle`.
        pub partition_style: U32 = 0,
        /// Padding before the 8-byte `StartingOffset`.
        pub pad0: [u8; 4] = 4,
        /// `StartingOffset`.
        pub starting_offset: I64 = 8,
        /// `PartitionLength`.
        pub partition_length: I64 = 16,
        /// `PartitionNumber`.
        pub partition_number: U32 = 24,
        /// `RewritePartition` (`BOOLEAN`).
        pub rewrite_partition: u8 = 28,
        /// `IsServicePartition` (`BOOLEAN`, Windows 10 RS3+).
        pub is_service_partition: u8 = 29,
        /// Padding before the union.
        pub pad1: [u8; 2] = 30,
        /// `Mbr.PartitionType`.
        pub mbr_partition_type: u8 = 32,
        /// `Mbr.BootIndicator`.
        pub mbr_boot_indicator: u8 = 33,
        /// `Mbr.RecognizedPartition`.
        pub mbr_recognized_partition: u8 = 34,
        /// Padding before `HiddenSectors`.
        pub pad2: u8 = 35,
        /// `Mbr.HiddenSectors`.
        pub mbr_hidden_sectors: U32 = 36,
        /// `Mbr.PartitionId` (a GUID; zero).
        pub mbr_partition_id: [u8; 16] = 40,
        /// The rest of the union (the GPT arm is 112 bytes).
        pub union_rest: [u8; 88] = 56,
    }
}

wire! {
    /// `VERIFY_INFORMATION` (16 bytes; input of `IOCTL_DISK_VERIFY`).
    pub struct VerifyInformation [16] {
        /// `StartingOffset`.
        pub starting_offset: I64 = 0,
        /// `Length`.
        pub length: U32 = 8,
        /// Padding to the structure's 8-byte alignment.
        pub pad: [u8; 4] = 12,
    }
}

wire! {
    /// `SET_PARTITION_INFORMATION` (1 byte): the new `PartitionType`.
    pub struct SetPartitionInformation [1] {
        /// `PartitionType`.
        pub partition_type: u8 = 0,
    }
}

wire! {
    /// `SET_PARTITION_INFORMATION_EX` (120 bytes): the style, then the MBR arm
    /// (`SET_PARTITION_INFORMATION_MBR`, one byte) or the GPT arm
    /// (`PARTITION_INFORMATION_GPT`, 112 bytes) at offset 8.
    pub struct SetPartitionInformationEx [120] {
        /// `PartitionStyle` (`PARTITION_STYLE_MBR` = 0, `_GPT` = 1, `_RAW` = 2).
        pub partition_style: U32 = 0,
        /// Padding before the 8-aligned union.
        pub pad: [u8; 4] = 4,
        /// `Mbr.PartitionType`.
        pub mbr_partition_type: u8 = 8,
        /// The rest of the union (the GPT arm).
        pub union_rest: [u8; 111] = 9,
    }
}

wire! {
    /// `PREVENT_MEDIA_REMOVAL` (1 byte).
    pub struct PreventMediaRemoval [1] {
        /// `PreventMediaRemoval` (`BOOLEAN`).
        pub prevent_media_removal: u8 = 0,
    }
}

wire! {
    /// `DISK_CACHE_INFORMATION` (24 bytes), with the `ScalarPrefetch` arm of its union.
    pub struct DiskCacheInformation [24] {
        /// `ParametersSavable` (`BOOLEAN`).
        pub parameters_savable: u8 = 0,
        /// `ReadCacheEnabled` (`BOOLEAN`).
        pub read_cache_enabled: u8 = 1,
        /// `WriteCacheEnabled` (`BOOLEAN`).
        pub write_cache_enabled: u8 = 2,
        /// Padding before the enums.
        pub pad0: u8 = 3,
        /// `ReadRetentionPriority` (`DISK_CACHE_RETENTION_PRIORITY`).
        pub read_retention_priority: U32 = 4,
        /// `WriteRetentionPriority`.
        pub write_retention_priority: U32 = 8,
        /// `DisablePrefetchTransferLength`.
        pub disable_prefetch_transfer_length: U16 = 12,
        /// `PrefetchScalar` (`BOOLEAN`).
        pub prefetch_scalar: u8 = 14,
        /// Padding before the union.
        pub pad1: u8 = 15,
        /// `ScalarPrefetch.Minimum` (or `BlockPrefetch.Minimum`).
        pub prefetch_minimum: U16 = 16,
        /// `ScalarPrefetch.Maximum` (or `BlockPrefetch.Maximum`).
        pub prefetch_maximum: U16 = 18,
        /// `ScalarPrefetch.MaximumBlocks`.
        pub prefetch_maximum_blocks: U16 = 20,
        /// Padding to the structure's 4-byte alignment.
        pub pad2: [u8; 2] = 22,
    }
}
