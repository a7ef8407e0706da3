//! TRIM and thin provisioning (`ntddstor.h`, x64 layout), and the driver's own
//! usage reply.

use super::{I64, U32, U64};

wire! {
    /// `DEVICE_MANAGE_DATA_SET_ATTRIBUTES` / `DEVICE_DSM_INPUT` (28 bytes).
    ///
    /// The input of `IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES`; the parameter block and
    /// the `DEVICE_DATA_SET_RANGE` array follow at the offsets it names.
    pub struct DeviceManageDataSetAttributes [28] {
        /// `Size` (`sizeof(DEVICE_MANAGE_DATA_SET_ATTRIBUTES)`).
        pub size: U32 = 0,
        /// `Action` (`DEVICE_DATA_MANAGEMENT_SET_ACTION`; `DeviceDsmAction_Trim` is 1).
        pub action: U32 = 4,
        /// `Flags` (`DEVICE_DSM_FLAG_*`).
        pub flags: U32 = 8,
        /// `ParameterBlockOffset`, from the start of this structure.
        pub parameter_block_offset: U32 = 12,
        /// `ParameterBlockLength`.
        pub parameter_block_length: U32 = 16,
        /// `DataSetRangesOffset`, from the start of this structure.
        pub data_set_ranges_offset: U32 = 20,
        /// `DataSetRangesLength` (bytes: 16 per range).
        pub data_set_ranges_length: U32 = 24,
    }
}

wire! {
    /// `DEVICE_DATA_SET_RANGE` / `DEVICE_DSM_RANGE` (16 bytes).
    pub struct DeviceDataSetRange [16] {
        /// `StartingOffset` (`LONGLONG`, bytes).
        pub starting_offset: I64 = 0,
        /// `LengthInBytes` (`ULONGLONG`).
        pub length_in_bytes: U64 = 8,
    }
}

wire! {
    /// `DEVICE_LB_PROVISIONING_DESCRIPTOR` (40 bytes; the first 32 are the V1 layout,
    /// `DEVICE_LB_PROVISIONING_DESCRIPTOR_V1_SIZE`), the
    /// `StorageDeviceLBProvisioningProperty` reply.
    pub struct DeviceLbProvisioningDescriptor [40] {
        /// `Version` (`sizeof`, or 32 for a V1-sized reply).
        pub version: U32 = 0,
        /// `Size` (as `Version`).
        pub size: U32 = 4,
        /// The bit fields `ThinProvisioningEnabled` (bit 0),
        /// `ThinProvisioningReadZeros` (1), `AnchorSupported` (2-4),
        /// `UnmapGranularityAlignmentValid` (5), `GetFreeSpaceSupported` (6),
        /// `MapSupported` (7).
        pub flags: u8 = 8,
        /// `Reserved1[7]`.
        pub reserved1: [u8; 7] = 9,
        /// `OptimalUnmapGranularity` (bytes).
        pub optimal_unmap_granularity: U64 = 16,
        /// `UnmapGranularityAlignment` (bytes).
        pub unmap_granularity_alignment: U64 = 24,
        /// `MaxUnmapLbaCount` (Windows 8.1+).
        pub max_unmap_lba_count: U32 = 32,
        /// `MaxUnmapBlockDescriptorCount` (Windows 8.1+).
        pub max_unmap_block_descriptor_count: U32 = 36,
    }
}

wire! {
    /// `RAMDISK_USAGE` (64 bytes), this driver's reply to `IOCTL_RAMDISK_QUERY_USAGE`.
    /// Shared with ramdiskctl; fields are only ever added at the end (`Size` tells).
    pub struct RamdiskUsage [64] {
        /// `Version`: 1.
        pub version: U32 = 0,
        /// `Size`: 64.
        pub size: U32 = 4,
        /// `Allocation`: 0 fixed, 1 dynamic.
        pub allocation: U32 = 8,
        /// Reserved, 0.
        pub reserved: U32 = 12,
        /// `DiskSize` (bytes).
        pub disk_size: U64 = 16,
        /// `ChunkBytes`: the allocation (and TRIM) granularity.
        pub chunk_bytes: U64 = 24,
        /// `AllocatedBytes`: chunk memory held now.
        pub allocated_bytes: U64 = 32,
        /// `PeakAllocatedBytes`: the most chunk memory held since load.
        pub peak_allocated_bytes: U64 = 40,
        /// `MemoryLimitBytes`: the most chunk memory the disk may hold.
        pub memory_limit_bytes: U64 = 48,
        /// `TableBytes`: the chunk table (directory and leaves).
        pub table_bytes: U64 = 56,
    }
}
