//! FAT12/16/32 layout planning and formatting, to Microsoft's FAT specification
//! (fatgen103, "FAT32 File System Specification").
//!
//! Shared vocabulary lives here; the planner, the formatter and the `FastFAT`
//! acceptance oracle live in submodules.

mod boot_sector;
mod check;
mod format;
mod label;
mod plan;
pub mod serial;
pub mod table;

pub use boot_sector::{BootSector, OEM_NAME, encode_boot_sector, encode_fs_info};
pub use check::fastfat_accepts;
pub(crate) use format::write_zeros;
pub use format::{MAX_SECTOR_SIZE, SectorWriter, SliceWriter, Zeroed, format};
pub use label::VolumeLabel;
pub use plan::{
    FAT12_MAX_CLUSTERS, FAT16_MAX_CLUSTERS, FAT16_MIN_CLUSTERS, FAT32_MAX_CLUSTERS,
    FAT32_MIN_CLUSTERS, FormatOptions, Layout, plan, planned_cluster_range, spec_cluster_range,
};

/// The file system a user asked for (registry `FileSystem`, or a test).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileSystem {
    /// Pick the type from the resulting cluster count.
    Auto,
    /// FAT12.
    Fat12,
    /// FAT16.
    Fat16,
    /// FAT32.
    Fat32,
    /// exFAT (planned by [`crate::exfat::plan`]; [`crate::volume::plan`] picks the planner).
    Exfat,
}

/// The FAT type a layout ended up with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FatType {
    /// 12-bit FAT entries (fewer than 4085 clusters).
    Fat12,
    /// 16-bit FAT entries (4085..65525 clusters).
    Fat16,
    /// 28-bit FAT entries (65525 clusters or more).
    Fat32,
}

impl FatType {
    /// The conventional name: `FAT12`, `FAT16` or `FAT32`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Fat12 => "FAT12",
            Self::Fat16 => "FAT16",
            Self::Fat32 => "FAT32",
        }
    }
}

/// Why a layout could not be planned or an image not formatted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormatError {
    /// The disk is too small for the requested (or any) FAT type.
    TooSmall,
    /// The disk is too large for the requested (or any) FAT type.
    TooLarge,
    /// The disk size is not a whole number of sectors.
    NotSectorMultiple,
    /// Bytes per sector other than 512 or 4096.
    InvalidBytesPerSector,
    /// Sectors per cluster not a power of two in 1..=128, or a cluster over the size limit.
    InvalidSectorsPerCluster,
    /// The requested type cannot be reached with a legal cluster count at this size.
    ClusterCountOutOfRange,
    /// Root directory entry count of 0 or too large.
    InvalidRootDirEntries,
    /// Number of FATs other than 1 or 2.
    InvalidNumFats,
    /// Media byte not in {F0, F8..FF}.
    InvalidMedia,
    /// Volume label longer than 11 bytes or with a character FAT does not allow.
    InvalidLabel,
    /// The sector writer failed (or a write fell outside its image).
    WriteFailed,
    /// A boot sector handed to [`BootSector::parse`] is not a usable FAT boot sector.
    InvalidBootSector,
    /// A hand-made [`Layout`] is inconsistent (regions, sizes or type fields disagree).
    InvalidLayout,
    /// The FAT planner was asked for exFAT (plan with [`crate::volume::plan`]).
    NotFat,
}
