//! Image files: ramdisk-core's exFAT planner and formatter into a sparse file, and
//! the deliberate damage the tests show every judge refuses.

use std::{
    fs::{File, OpenOptions},
    os::unix::fs::FileExt,
    path::Path,
};

use anyhow::{Context, Result, anyhow};
use ramdisk_core::exfat::{self, Label, Layout};
use ramdisk_core::fat::{FileSystem, FormatError, FormatOptions, SectorWriter, Zeroed};
use ramdisk_core::volume;

use crate::bytes::boot_checksum;

/// A `SectorWriter` over a (sparse) file.
pub struct FileWriter<'a>(pub &'a File);

impl SectorWriter for FileWriter<'_> {
    fn write(&mut self, byte_offset: u64, data: &[u8]) -> Result<(), FormatError> {
        self.0
            .write_all_at(data, byte_offset)
            .map_err(|_| FormatError::WriteFailed)
    }
}

/// Options for an exFAT volume of `size` bytes: `spc` sectors per cluster (0:
/// automatic), `label` (empty: none), `bps`-byte sectors.
///
/// # Panics
/// When `label` is no exFAT label (a test's mistake).
#[must_use]
pub fn options(size: u64, spc: u32, label: &str, bps: u32) -> FormatOptions {
    let mut o = FormatOptions::new(size);
    o.file_system = FileSystem::Exfat;
    o.sectors_per_cluster = spc;
    o.bytes_per_sector = bps;
    o.volume_serial = 0x4558_0000 ^ u32::try_from(size >> 20).unwrap_or(0xFFFF);
    let units: Vec<u16> = label.encode_utf16().collect();
    o.exfat_label = Label::parse(&units).expect("an exFAT label");
    o
}

/// Formats `layout` (FAT or exFAT) into a new sparse file of `size` bytes at `path`
/// (replaced if there).
///
/// # Errors
/// The formatter's error, or the file's.
pub fn format_sparse(path: &Path, layout: &volume::Layout, size: u64) -> Result<()> {
    let _ = std::fs::remove_file(path);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("create {}", path.display()))?;
    file.set_len(size)?;
    layout
        .format(&mut FileWriter(&file), Zeroed::Yes)
        .map_err(|e| anyhow!("format {}: {e:?}", path.display()))
}

/// Plans `o` as exFAT and formats it into a new sparse file at `path`.
///
/// # Errors
/// The planner's or the formatter's error, or the file's.
pub fn make(path: &Path, o: &FormatOptions) -> Result<Layout> {
    let layout = exfat::plan(o).map_err(|e| anyhow!("exfat::plan({o:?}): {e:?}"))?;
    format_sparse(path, &volume::Layout::Exfat(layout), o.disk_size)?;
    Ok(layout)
}

/// A deliberate damage to a fresh image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Damage {
    /// A byte of the main boot checksum sector changed.
    BootChecksum,
    /// A `BootCode` byte changed, both regions' checksums recomputed (self-consistent).
    BootCode,
    /// A byte of the OEM parameters sector set, both checksums recomputed.
    OemParameters,
    /// The first extended boot sector's signature zeroed, both checksums recomputed.
    ExtendedSignature,
    /// The backup region's `BootCode` changed, its checksum recomputed: valid on its
    /// own, but not the main region.
    BackupDiffers,
    /// The bitmap bit of the root directory's cluster cleared.
    BitmapBitCleared,
    /// The Up-case Table entry's `TableChecksum` changed.
    UpcaseChecksum,
    /// `PercentInUse` set to 50.
    PercentInUse,
    /// `FileSystemName` changed to `EXFAX   ` (main and backup).
    FileSystemName,
    /// The Allocation Bitmap entry marked not in use.
    NoBitmapEntry,
}

impl Damage {
    /// Every damage.
    pub const ALL: [Self; 10] = [
        Self::BootChecksum,
        Self::BootCode,
        Self::OemParameters,
        Self::ExtendedSignature,
        Self::BackupDiffers,
        Self::BitmapBitCleared,
        Self::UpcaseChecksum,
        Self::PercentInUse,
        Self::FileSystemName,
        Self::NoBitmapEntry,
    ];

    /// Applies the damage to the image of `layout` at `path`.
    ///
    /// # Errors
    /// When the file cannot be changed.
    pub fn apply(self, path: &Path, layout: &Layout) -> Result<()> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let bps = u64::from(layout.bytes_per_sector);
        let root = layout.cluster_offset(layout.root_cluster());
        let put = |at: u64, bytes: &[u8]| file.write_all_at(bytes, at);
        match self {
            Self::BootChecksum => put(11 * bps + 5, &[0x5A])?,
            Self::BootCode => {
                for region in [0, 12] {
                    put(region * bps + 200, &[0x90])?;
                }
                reseal(&file, bps, &[0, 12])?;
            }
            Self::OemParameters => {
                for region in [0, 12] {
                    put((region + 9) * bps + 7, &[1])?;
                }
                reseal(&file, bps, &[0, 12])?;
            }
            Self::ExtendedSignature => {
                for region in [0, 12] {
                    put((region + 2) * bps - 4, &[0; 4])?;
                }
                reseal(&file, bps, &[0, 12])?;
            }
            Self::BackupDiffers => {
                put(12 * bps + 300, &[0x90])?;
                reseal(&file, bps, &[12])?;
            }
            Self::BitmapBitCleared => {
                let bit = u64::from(layout.root_cluster() - 2);
                let at = layout.cluster_offset(2) + bit / 8;
                let mut b = [0u8];
                file.read_exact_at(&mut b, at)?;
                put(at, &[b[0] & !(1 << (bit % 8))])?;
            }
            Self::UpcaseChecksum => put(root + 64 + 4, &[0x0E])?,
            Self::PercentInUse => put(112, &[50])?,
            Self::FileSystemName => {
                for region in [0, 12] {
                    put(region * bps + 3, b"EXFAX   ")?;
                }
                reseal(&file, bps, &[0, 12])?;
            }
            Self::NoBitmapEntry => put(root + 32, &[0x01])?,
        }
        Ok(())
    }
}

/// Rewrites the checksum sector of each boot region starting at sector `regions[i]`.
fn reseal(file: &File, bps: u64, regions: &[u64]) -> Result<()> {
    for &region in regions {
        let mut data = vec![0u8; usize::try_from(11 * bps)?];
        file.read_exact_at(&mut data, region * bps)?;
        let sum = boot_checksum(&data).to_le_bytes();
        let sector: Vec<u8> = sum.iter().copied().cycle().take(data.len() / 11).collect();
        file.write_all_at(&sector, (region + 11) * bps)?;
    }
    Ok(())
}
