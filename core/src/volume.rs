//! One volume, FAT or exFAT.
//!
//! `FileSystem` picks the planner ([`crate::fat::plan`] or [`crate::exfat::plan`]);
//! the driver plans, formats and describes the disk through this and never asks which
//! one it got.

use core::fmt;

use crate::exfat;
use crate::fat::{self, FileSystem, FormatError, FormatOptions, SectorWriter, Zeroed};
use crate::geometry::VolumeKind;

/// A planned volume.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// FAT12/16/32.
    Fat(fat::Layout),
    /// exFAT.
    Exfat(exfat::Layout),
}

/// Plans the volume `options` asks for: exFAT for [`FileSystem::Exfat`], FAT for the
/// others (automatic included: it never picks exFAT, see the README's *exFAT*).
///
/// # Errors
/// The planner's [`FormatError`].
pub fn plan(options: &FormatOptions) -> Result<Layout, FormatError> {
    match options.file_system {
        FileSystem::Exfat => exfat::plan(options).map(Layout::Exfat),
        FileSystem::Auto | FileSystem::Fat12 | FileSystem::Fat16 | FileSystem::Fat32 => {
            fat::plan(options).map(Layout::Fat)
        }
    }
}

impl Layout {
    /// Writes the volume's metadata through `writer`.
    ///
    /// # Errors
    /// The formatter's [`FormatError`].
    pub fn format<W: SectorWriter + ?Sized>(
        &self,
        writer: &mut W,
        zeroed: Zeroed,
    ) -> Result<(), FormatError> {
        match self {
            Self::Fat(l) => fat::format(l, writer, zeroed),
            Self::Exfat(l) => exfat::format(l, writer, zeroed),
        }
    }

    /// What the disk's presentation (partition type) needs to know.
    #[must_use]
    pub const fn kind(&self) -> VolumeKind {
        match self {
            Self::Fat(l) => VolumeKind::Fat(l.fat_type),
            Self::Exfat(_) => VolumeKind::Exfat,
        }
    }

    /// Data clusters.
    #[must_use]
    pub const fn cluster_count(&self) -> u32 {
        match self {
            Self::Fat(l) => l.cluster_count,
            Self::Exfat(l) => l.cluster_count,
        }
    }

    /// Bytes per cluster.
    #[must_use]
    pub const fn cluster_bytes(&self) -> u64 {
        match self {
            Self::Fat(l) => l.cluster_bytes(),
            Self::Exfat(l) => l.cluster_bytes(),
        }
    }

    /// The disk size the volume covers.
    #[must_use]
    pub const fn disk_size(&self) -> u64 {
        match self {
            Self::Fat(l) => l.disk_size(),
            Self::Exfat(l) => l.disk_size(),
        }
    }
}

/// The type as the driver's load line names it: `Fat12`, `Fat16`, `Fat32` (as
/// before exFAT) or `exFAT`.
impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fat(l) => write!(f, "{:?}", l.fat_type),
            Self::Exfat(_) => f.write_str("exFAT"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fat::{FatType, SliceWriter};
    use std::string::ToString;
    use std::vec;

    #[test]
    fn file_system_picks_the_planner() {
        let mut o = FormatOptions::new(64 << 20);
        let fat = plan(&o).unwrap();
        assert!(matches!(fat, Layout::Fat(l) if l.fat_type == FatType::Fat16));
        assert_eq!(fat.kind(), VolumeKind::Fat(FatType::Fat16));
        assert_eq!(fat.to_string(), "Fat16");
        o.file_system = FileSystem::Exfat;
        let ex = plan(&o).unwrap();
        assert!(matches!(ex, Layout::Exfat(_)));
        assert_eq!(ex.kind(), VolumeKind::Exfat);
        assert_eq!(ex.to_string(), "exFAT");
        assert_eq!(ex.cluster_bytes(), 4096);
        assert_eq!(ex.disk_size(), 64 << 20);
        assert_eq!(fat::plan(&o), Err(FormatError::NotFat));
        let mut img = vec![0u8; 64 << 20];
        ex.format(&mut SliceWriter(&mut img), Zeroed::Yes).unwrap();
        assert_eq!(&img[3..11], b"EXFAT   ");
        fat.format(&mut SliceWriter(&mut img), Zeroed::No).unwrap();
        assert_eq!(&img[54..59], b"FAT16");
        assert_eq!(fat.cluster_count(), 32_695);
        // Automatic stays FAT, even far above 32 GiB.
        o.file_system = FileSystem::Auto;
        o.disk_size = 256 << 30;
        assert!(matches!(plan(&o), Ok(Layout::Fat(l)) if l.fat_type == FatType::Fat32));
    }
}
