//! exFAT on-disk structures (Microsoft's exFAT file system specification).
//!
//! The boot sector, the end of an extended boot sector, the OEM parameters sector,
//! the FAT's first entries and the three directory entries a freshly formatted root
//! directory holds. Field names are the specification's (`FatOffset` → `fat_offset`);
//! the section each comes from is in its doc.

use super::{U16, U32, U64};

/// `FileSystemName` (section 3.1.2): `"EXFAT"` and three spaces.
pub const FILE_SYSTEM_NAME: [u8; 8] = *b"EXFAT   ";
/// `JumpBoot` (section 3.1.1).
pub const JUMP_BOOT: [u8; 3] = [0xEB, 0x76, 0x90];
/// `BootCode` filler of a volume without boot code (section 3.1.19): the x86 `HLT`.
pub const BOOT_CODE_FILL: u8 = 0xF4;
/// `BootSignature` as stored (section 3.1.20: `AA55h`, little-endian).
pub const BOOT_SIGNATURE: [u8; 2] = [0x55, 0xAA];
/// `ExtendedBootSignature` (section 3.2.2).
pub const EXTENDED_BOOT_SIGNATURE: u32 = 0xAA55_0000;
/// `FileSystemRevision` 1.00 (section 3.1.12: major in the high byte).
pub const FILE_SYSTEM_REVISION: u16 = 0x0100;
/// `DriveSelect` (section 3.1.17): the first fixed disk.
pub const DRIVE_SELECT: u8 = 0x80;
/// Sectors of one boot region (section 2: boot sector, 8 extended boot sectors, OEM
/// parameters, reserved, checksum).
pub const BOOT_REGION_SECTORS: u32 = 12;
/// Where the backup boot region starts (section 2).
pub const BACKUP_BOOT_REGION: u32 = 12;
/// The smallest `FatOffset` (section 3.1.6): both boot regions come first.
pub const MIN_FAT_OFFSET: u32 = 24;
/// The sectors the boot checksum covers (section 3.4): all of a region but its last.
pub const CHECKSUMMED_SECTORS: u32 = 11;

/// `FatEntry[0]` (section 4.1.1): media type `F8h`, the rest `FFh`.
pub const FAT_ENTRY_0: u32 = 0xFFFF_FFF8;
/// `FatEntry[1]` (section 4.1.2), and the end-of-chain mark (section 4.1.3).
pub const FAT_END_OF_CHAIN: u32 = 0xFFFF_FFFF;
/// A bad cluster in the FAT (section 4.1.3).
pub const FAT_BAD_CLUSTER: u32 = 0xFFFF_FFF7;
/// The largest `ClusterCount` (section 3.1.9): 2^32 − 11.
pub const MAX_CLUSTER_COUNT: u32 = 0xFFFF_FFF5;
/// The first cluster of the heap has index 2 (section 5.1).
pub const FIRST_CLUSTER: u32 = 2;

/// `EntryType` of an Allocation Bitmap entry in use (section 7.1.1: `TypeCode` 1,
/// critical primary, `InUse`).
pub const ENTRY_ALLOCATION_BITMAP: u8 = 0x81;
/// `EntryType` of an Up-case Table entry in use (section 7.2.1: `TypeCode` 2).
pub const ENTRY_UPCASE_TABLE: u8 = 0x82;
/// `EntryType` of a Volume Label entry in use (section 7.3.1: `TypeCode` 3).
pub const ENTRY_VOLUME_LABEL: u8 = 0x83;
/// `EntryType` of a File entry in use (section 7.4.1: `TypeCode` 5).
pub const ENTRY_FILE: u8 = 0x85;
/// `EntryType` bit 7, `InUse` (section 6.2.1.4).
pub const ENTRY_IN_USE: u8 = 0x80;
/// The most characters a Volume Label entry holds (section 7.3.2).
pub const MAX_LABEL_CHARACTERS: usize = 11;

wire! {
    /// The main (and backup) boot sector, its first 512 bytes (section 3.1, Table 4).
    ///
    /// Larger sectors continue with `ExcessSpace`, which the formatter zeroes.
    pub struct BootSector [512] {
        /// `JumpBoot` ([`JUMP_BOOT`]).
        pub jump_boot: [u8; 3] = 0,
        /// `FileSystemName` ([`FILE_SYSTEM_NAME`]).
        pub file_system_name: [u8; 8] = 3,
        /// `MustBeZero`: where a FAT BPB would be.
        pub must_be_zero: [u8; 53] = 11,
        /// `PartitionOffset` (0: ignore).
        pub partition_offset: U64 = 64,
        /// `VolumeLength` in sectors.
        pub volume_length: U64 = 72,
        /// `FatOffset` in sectors.
        pub fat_offset: U32 = 80,
        /// `FatLength` in sectors.
        pub fat_length: U32 = 84,
        /// `ClusterHeapOffset` in sectors.
        pub cluster_heap_offset: U32 = 88,
        /// `ClusterCount`.
        pub cluster_count: U32 = 92,
        /// `FirstClusterOfRootDirectory`.
        pub first_cluster_of_root_directory: U32 = 96,
        /// `VolumeSerialNumber`.
        pub volume_serial_number: U32 = 100,
        /// `FileSystemRevision` ([`FILE_SYSTEM_REVISION`]).
        pub file_system_revision: U16 = 104,
        /// `VolumeFlags` (not covered by the boot checksum).
        pub volume_flags: U16 = 106,
        /// `BytesPerSectorShift` (9..=12).
        pub bytes_per_sector_shift: u8 = 108,
        /// `SectorsPerClusterShift` (at most 25 − `BytesPerSectorShift`).
        pub sectors_per_cluster_shift: u8 = 109,
        /// `NumberOfFats` (1; 2 only on `TexFAT`).
        pub number_of_fats: u8 = 110,
        /// `DriveSelect` ([`DRIVE_SELECT`]).
        pub drive_select: u8 = 111,
        /// `PercentInUse` (0..=100, or `FFh`; not covered by the boot checksum).
        pub percent_in_use: u8 = 112,
        /// `Reserved`.
        pub reserved: [u8; 7] = 113,
        /// `BootCode` ([`BOOT_CODE_FILL`] without boot code).
        pub boot_code: [u8; 390] = 120,
        /// `BootSignature` ([`BOOT_SIGNATURE`]).
        pub boot_signature: [u8; 2] = 510,
    }
}

/// Byte offsets in the boot sector the boot checksum skips (section 3.4): `VolumeFlags`
/// and `PercentInUse`.
pub const CHECKSUM_SKIPPED: [usize; 3] = [
    core::mem::offset_of!(BootSector, volume_flags),
    core::mem::offset_of!(BootSector, volume_flags) + 1,
    core::mem::offset_of!(BootSector, percent_in_use),
];

wire! {
    /// The last 512 bytes of an extended boot sector (section 3.2, Table 6).
    ///
    /// The end of `ExtendedBootCode` and the `ExtendedBootSignature` in the sector's
    /// last 4 bytes (a 512-byte sector is all of this; a larger one has more code bytes
    /// before it).
    pub struct ExtendedBootSectorTail [512] {
        /// The last 508 bytes of `ExtendedBootCode` (zero without boot code).
        pub extended_boot_code: [u8; 508] = 0,
        /// `ExtendedBootSignature` ([`EXTENDED_BOOT_SIGNATURE`]).
        pub extended_boot_signature: U32 = 508,
    }
}

wire! {
    /// One parameters structure of the OEM parameters sector (section 3.3.2, Table 8).
    /// All zero is a Null Parameters structure (section 3.3.3).
    pub struct GenericParameters [48] {
        /// `ParametersGuid` (the null GUID: unused).
        pub parameters_guid: [u8; 16] = 0,
        /// `CustomDefined`.
        pub custom_defined: [u8; 32] = 16,
    }
}

wire! {
    /// The OEM parameters sector, its first 512 bytes (section 3.3, Table 7).
    pub struct OemParameters [512] {
        /// `Parameters[0]` .. `Parameters[9]`.
        pub parameters: [GenericParameters; 10] = 0,
        /// `Reserved`.
        pub reserved: [u8; 32] = 480,
    }
}

wire! {
    /// A directory entry as the generic template describes it (section 6.2, Table 14).
    pub struct GenericDirectoryEntry [32] {
        /// `EntryType`.
        pub entry_type: u8 = 0,
        /// `CustomDefined`.
        pub custom_defined: [u8; 19] = 1,
        /// `FirstCluster`.
        pub first_cluster: U32 = 20,
        /// `DataLength`.
        pub data_length: U64 = 24,
    }
}

wire! {
    /// The Allocation Bitmap directory entry (section 7.1, Table 20).
    pub struct AllocationBitmapEntry [32] {
        /// `EntryType` ([`ENTRY_ALLOCATION_BITMAP`]).
        pub entry_type: u8 = 0,
        /// `BitmapFlags`: bit 0 `BitmapIdentifier` (0: the first bitmap).
        pub bitmap_flags: u8 = 1,
        /// `Reserved`.
        pub reserved: [u8; 18] = 2,
        /// `FirstCluster`.
        pub first_cluster: U32 = 20,
        /// `DataLength` in bytes: ⌈`ClusterCount` / 8⌉.
        pub data_length: U64 = 24,
    }
}

wire! {
    /// The Up-case Table directory entry (section 7.2, Table 23).
    pub struct UpcaseTableEntry [32] {
        /// `EntryType` ([`ENTRY_UPCASE_TABLE`]).
        pub entry_type: u8 = 0,
        /// `Reserved1`.
        pub reserved1: [u8; 3] = 1,
        /// `TableChecksum` (section 7.2.2).
        pub table_checksum: U32 = 4,
        /// `Reserved2`.
        pub reserved2: [u8; 12] = 8,
        /// `FirstCluster`.
        pub first_cluster: U32 = 20,
        /// `DataLength` in bytes.
        pub data_length: U64 = 24,
    }
}

wire! {
    /// The Volume Label directory entry (section 7.3, Table 26).
    pub struct VolumeLabelEntry [32] {
        /// `EntryType` ([`ENTRY_VOLUME_LABEL`]).
        pub entry_type: u8 = 0,
        /// `CharacterCount` (0..=11; 0 means no label).
        pub character_count: u8 = 1,
        /// `VolumeLabel`: UTF-16 code units.
        pub volume_label: [U16; MAX_LABEL_CHARACTERS] = 2,
        /// `Reserved`.
        pub reserved: [u8; 8] = 24,
    }
}
