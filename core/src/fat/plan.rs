//! The layout planner: from [`FormatOptions`] to a [`Layout`] (fatgen103 section 3.5).
//!
//! The supported sizes per type (smallest and largest disk, cluster counts, the
//! automatic choices and the ±16 margins kept around 4085 and 65 525 clusters, where
//! implementations disagree) are listed once, in the README's *Supported sizes*; the
//! planner's tests pin them.

use super::{FatType, FileSystem, FormatError, VolumeLabel};

/// Largest cluster count planned for FAT12 (4085 − 17).
pub const FAT12_MAX_CLUSTERS: u32 = 4068;
/// Smallest cluster count planned for FAT16 (4085 + 17).
pub const FAT16_MIN_CLUSTERS: u32 = 4102;
/// Largest cluster count planned for FAT16 (65525 − 17).
pub const FAT16_MAX_CLUSTERS: u32 = 65508;
/// Smallest cluster count planned for FAT32 (65525 + 17).
pub const FAT32_MIN_CLUSTERS: u32 = 65542;
/// Largest FAT32 cluster count: cluster numbers must stay below `0x0FFF_FFF7` (bad cluster).
pub const FAT32_MAX_CLUSTERS: u32 = 0x0FFF_FFF5;

/// Everything the user (registry, test) may choose about a FAT volume.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FormatOptions {
    /// Disk size in bytes; must be a multiple of `bytes_per_sector`.
    pub disk_size: u64,
    /// 512 (the driver) or 4096.
    pub bytes_per_sector: u32,
    /// Requested type, or [`FileSystem::Auto`].
    pub file_system: FileSystem,
    /// 0 = automatic, else a power of two 1..=128 (cluster at most 32 KiB, or 64 KiB when allowed).
    pub sectors_per_cluster: u32,
    /// Allow 64 KiB clusters (not every implementation supports them).
    pub allow_64k_clusters: bool,
    /// FAT12/16 root directory entries, rounded up to whole sectors (16 per
    /// 512-byte sector); 1..=65520 after rounding. Ignored when `file_system`
    /// is [`FileSystem::Fat32`]; with [`FileSystem::Auto`] it must be valid even
    /// if the volume ends up FAT32.
    pub root_dir_entries: u32,
    /// 1 or 2.
    pub num_fats: u8,
    /// Volume label.
    pub label: VolumeLabel,
    /// Volume serial number.
    pub volume_serial: u32,
    /// Media descriptor: 0xF0 or 0xF8..=0xFF.
    pub media: u8,
    /// The label of an exFAT volume (`file_system` [`FileSystem::Exfat`]; `label` is
    /// the FAT one).
    pub exfat_label: crate::exfat::Label,
}

impl FormatOptions {
    /// Defaults for a disk of `disk_size` bytes: 512-byte sectors, automatic
    /// type and cluster size, 512 root entries, 2 FATs, label `RAMDISK` (FAT and
    /// exFAT), serial 0, media 0xF8.
    #[must_use]
    pub const fn new(disk_size: u64) -> Self {
        Self {
            disk_size,
            bytes_per_sector: 512,
            file_system: FileSystem::Auto,
            sectors_per_cluster: 0,
            allow_64k_clusters: false,
            root_dir_entries: 512,
            num_fats: 2,
            label: VolumeLabel::DEFAULT,
            volume_serial: 0,
            media: 0xF8,
            exfat_label: crate::exfat::Label::DEFAULT,
        }
    }
}

/// A planned volume; field names follow the spec's BPB names. All sector
/// numbers are relative to the start of the disk (no hidden sectors).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    /// `BPB_BytsPerSec`.
    pub bytes_per_sector: u32,
    /// `BPB_SecPerClus`.
    pub sectors_per_cluster: u32,
    /// `BPB_RsvdSecCnt`: 1 for FAT12/16, 32 for FAT32.
    pub reserved_sector_count: u32,
    /// `BPB_NumFATs`.
    pub num_fats: u8,
    /// `BPB_RootEntCnt` (0 for FAT32).
    pub root_entry_count: u32,
    /// Total sectors (`BPB_TotSec16` or `BPB_TotSec32`); at most `u32::MAX`.
    pub total_sectors: u64,
    /// Sectors per FAT (`BPB_FATSz16` or `BPB_FATSz32`).
    pub fat_size_sectors: u32,
    /// Sectors of the FAT12/16 root directory region (0 for FAT32).
    pub root_dir_sectors: u32,
    /// First sector of the data region (cluster 2).
    pub first_data_sector: u32,
    /// Number of data clusters.
    pub cluster_count: u32,
    /// The FAT type, which follows from `cluster_count`.
    pub fat_type: FatType,
    /// `BPB_Media`.
    pub media: u8,
    /// `BS_VolLab`.
    pub label: VolumeLabel,
    /// `BS_VolID`.
    pub volume_serial: u32,
    /// `BPB_RootClus` (2 for FAT32, 0 otherwise).
    pub root_cluster: u32,
    /// `BPB_FSInfo` (1 for FAT32, 0 otherwise).
    pub fs_info_sector: u32,
    /// `BPB_BkBootSec` (6 for FAT32, 0 otherwise).
    pub backup_boot_sector: u32,
}

impl Layout {
    /// Bytes per cluster.
    #[must_use]
    pub const fn cluster_bytes(&self) -> u64 {
        (self.bytes_per_sector as u64).saturating_mul(self.sectors_per_cluster as u64)
    }

    /// Disk size in bytes covered by the file system.
    #[must_use]
    pub const fn disk_size(&self) -> u64 {
        self.total_sectors
            .saturating_mul(self.bytes_per_sector as u64)
    }

    /// First sector of FAT number `index` (0-based).
    #[must_use]
    pub const fn fat_start_sector(&self, index: u8) -> u64 {
        self.reserved_sector_count as u64 + index as u64 * self.fat_size_sectors as u64
    }

    /// First sector of the FAT12/16 root directory region (equals the data start on FAT32).
    #[must_use]
    pub const fn root_dir_start_sector(&self) -> u64 {
        self.fat_start_sector(self.num_fats)
    }

    /// Bytes of user data the volume can hold (all clusters).
    #[must_use]
    pub const fn data_bytes(&self) -> u64 {
        (self.cluster_count as u64).saturating_mul(self.cluster_bytes())
    }

    /// Free clusters right after formatting (FAT32's root directory takes one).
    #[must_use]
    pub const fn free_clusters(&self) -> u32 {
        match self.fat_type {
            FatType::Fat32 => self.cluster_count.saturating_sub(1),
            FatType::Fat12 | FatType::Fat16 => self.cluster_count,
        }
    }

    /// Bits per FAT entry as stored (32 for FAT32).
    #[must_use]
    pub const fn fat_entry_bits(&self) -> u32 {
        entry_bits(self.fat_type)
    }

    /// Checks the layout is self-consistent and legal for its type (spec
    /// thresholds, not the planner's ±16 margins). [`format`](super::format()) calls this,
    /// so a hand-made `Layout` cannot make it write out of place.
    ///
    /// # Errors
    /// The [`FormatError`] naming the first broken rule.
    pub fn validate(&self) -> Result<(), FormatError> {
        let bps = self.bytes_per_sector;
        if !matches!(bps, 512 | 1024 | 2048 | 4096) {
            return Err(FormatError::InvalidBytesPerSector);
        }
        let spc = self.sectors_per_cluster;
        if !spc.is_power_of_two() || spc > 128 || u64::from(spc) * u64::from(bps) > 65536 {
            return Err(FormatError::InvalidSectorsPerCluster);
        }
        if !matches!(self.num_fats, 1 | 2) {
            return Err(FormatError::InvalidNumFats);
        }
        if !media_ok(self.media) {
            return Err(FormatError::InvalidMedia);
        }
        if self.total_sectors > u64::from(u32::MAX) {
            return Err(FormatError::TooLarge);
        }
        let fat32 = self.fat_type == FatType::Fat32;
        let (min, max) = spec_cluster_range(self.fat_type);
        if self.cluster_count < min || self.cluster_count > max {
            return Err(FormatError::ClusterCountOutOfRange);
        }
        let entries_per_sector = bps / 32;
        if fat32 {
            if self.root_entry_count != 0
                || self.root_dir_sectors != 0
                || self.reserved_sector_count < 8
                || self.reserved_sector_count > 0xFFFF
                || self.fs_info_sector != 1
                || self.backup_boot_sector != 6
                || self.root_cluster != 2
            {
                return Err(FormatError::InvalidLayout);
            }
        } else {
            if self.root_entry_count == 0
                || self.root_entry_count > 0xFFFF
                || !self.root_entry_count.is_multiple_of(entries_per_sector)
            {
                return Err(FormatError::InvalidRootDirEntries);
            }
            if self.root_dir_sectors != self.root_entry_count / entries_per_sector
                || self.reserved_sector_count == 0
                || self.reserved_sector_count > 0xFFFF
                || self.fat_size_sectors > 0xFFFF
                || self.root_cluster != 0
                || self.fs_info_sector != 0
                || self.backup_boot_sector != 0
            {
                return Err(FormatError::InvalidLayout);
            }
        }
        if self.fat_size_sectors == 0 {
            return Err(FormatError::InvalidLayout);
        }
        // The FAT must hold entries 0 and 1 plus one per cluster.
        let fat_bits = u64::from(self.fat_size_sectors) * u64::from(bps) * 8;
        if (u64::from(self.cluster_count) + 2) * u64::from(entry_bits(self.fat_type)) > fat_bits {
            return Err(FormatError::InvalidLayout);
        }
        let data_start = u64::from(self.reserved_sector_count)
            + u64::from(self.num_fats) * u64::from(self.fat_size_sectors)
            + u64::from(self.root_dir_sectors);
        if data_start != u64::from(self.first_data_sector) {
            return Err(FormatError::InvalidLayout);
        }
        if data_start + u64::from(self.cluster_count) * u64::from(spc) > self.total_sectors {
            return Err(FormatError::InvalidLayout);
        }
        Ok(())
    }
}

pub(super) const fn media_ok(media: u8) -> bool {
    media == 0xF0 || media >= 0xF8
}

const fn entry_bits(fat_type: FatType) -> u32 {
    match fat_type {
        FatType::Fat12 => 12,
        FatType::Fat16 => 16,
        FatType::Fat32 => 32,
    }
}

/// The cluster-count range the spec allows for a type (FAT12 < 4085 <= FAT16 < 65525 <= FAT32).
#[must_use]
pub const fn spec_cluster_range(fat_type: FatType) -> (u32, u32) {
    match fat_type {
        FatType::Fat12 => (1, 4084),
        FatType::Fat16 => (4085, 65524),
        FatType::Fat32 => (65525, FAT32_MAX_CLUSTERS),
    }
}

/// The cluster-count range the planner accepts for a type (with ±16 margins).
#[must_use]
pub const fn planned_cluster_range(fat_type: FatType) -> (u32, u32) {
    match fat_type {
        FatType::Fat12 => (1, FAT12_MAX_CLUSTERS),
        FatType::Fat16 => (FAT16_MIN_CLUSTERS, FAT16_MAX_CLUSTERS),
        FatType::Fat32 => (FAT32_MIN_CLUSTERS, FAT32_MAX_CLUSTERS),
    }
}

/// Region sizes for one (type, cluster size) candidate.
#[derive(Clone, Copy)]
struct Geometry {
    reserved: u32,
    root_entries: u32,
    root_sectors: u32,
    fat_size: u32,
    clusters: u32,
}

/// Outcome of trying one candidate.
enum Attempt {
    Fits(Geometry),
    /// Metadata alone fills the disk.
    NoData,
    /// No data region, or fewer clusters than the type needs.
    TooFew,
    /// More clusters than the type allows (or a FAT too big for its field).
    TooMany,
    /// Within a ±16 margin of a type boundary.
    Margin,
}

/// Plans a volume.
///
/// # Errors
/// * [`FormatError::InvalidBytesPerSector`], [`FormatError::NotSectorMultiple`],
///   [`FormatError::InvalidNumFats`], [`FormatError::InvalidMedia`],
///   [`FormatError::InvalidSectorsPerCluster`], [`FormatError::InvalidRootDirEntries`]
///   for malformed options;
/// * [`FormatError::TooSmall`] / [`FormatError::TooLarge`] when no cluster size
///   gives a legal cluster count for the requested (or any) type;
/// * [`FormatError::ClusterCountOutOfRange`] when an explicit cluster size
///   gives an illegal count, or sizes fail in both directions;
/// * [`FormatError::NotFat`] for [`FileSystem::Exfat`].
pub fn plan(options: &FormatOptions) -> Result<Layout, FormatError> {
    if options.file_system == FileSystem::Exfat {
        return Err(FormatError::NotFat);
    }
    let bps = options.bytes_per_sector;
    if bps != 512 && bps != 4096 {
        return Err(FormatError::InvalidBytesPerSector);
    }
    if !options.disk_size.is_multiple_of(u64::from(bps)) {
        return Err(FormatError::NotSectorMultiple);
    }
    if !matches!(options.num_fats, 1 | 2) {
        return Err(FormatError::InvalidNumFats);
    }
    if !media_ok(options.media) {
        return Err(FormatError::InvalidMedia);
    }
    let max_spc = max_sectors_per_cluster(options);
    let spc = options.sectors_per_cluster;
    if spc != 0 && (!spc.is_power_of_two() || spc > max_spc) {
        return Err(FormatError::InvalidSectorsPerCluster);
    }
    let root_entries = if options.file_system == FileSystem::Fat32 {
        0
    } else {
        let per_sector = bps / 32;
        let rounded = options
            .root_dir_entries
            .div_ceil(per_sector)
            .saturating_mul(per_sector);
        if rounded == 0 || rounded > 0xFFFF {
            return Err(FormatError::InvalidRootDirEntries);
        }
        rounded
    };
    let total = options.disk_size / u64::from(bps);
    if total > u64::from(u32::MAX) {
        return Err(FormatError::TooLarge);
    }
    if total == 0 {
        return Err(FormatError::TooSmall);
    }
    #[allow(
        clippy::cast_possible_truncation,
        reason = "checked against u32::MAX above"
    )]
    let total = total as u32;
    let ctx = Ctx {
        options,
        total,
        root_entries,
        max_spc,
    };

    let order: &[FatType] = match options.file_system {
        FileSystem::Fat12 => &[FatType::Fat12],
        FileSystem::Fat16 => &[FatType::Fat16],
        FileSystem::Fat32 => &[FatType::Fat32],
        FileSystem::Auto => auto_order(options.disk_size),
        FileSystem::Exfat => return Err(FormatError::NotFat),
    };
    let mut too_few = false;
    let mut too_many = false;
    for &fat_type in order {
        match ctx.plan_type(fat_type) {
            Ok(layout) => return Ok(layout),
            Err(FormatError::TooSmall) => too_few = true,
            Err(FormatError::TooLarge) => too_many = true,
            Err(_) => {
                too_few = true;
                too_many = true;
            }
        }
    }
    Err(match (too_few, too_many) {
        (true, false) => FormatError::TooSmall,
        (false, true) => FormatError::TooLarge,
        _ => FormatError::ClusterCountOutOfRange,
    })
}

/// Type preference for [`FileSystem::Auto`] by disk size: FAT12 up to 8400
/// sectors of 512 bytes (where the spec's FAT16 table starts), FAT16 up to 512 MiB
/// (the spec recommends FAT32 above), FAT32 above; the others as fallbacks.
const fn auto_order(disk_size: u64) -> &'static [FatType] {
    if disk_size <= 8400 * 512 {
        &[FatType::Fat12, FatType::Fat16]
    } else if disk_size <= 512 * 1024 * 1024 {
        &[FatType::Fat16, FatType::Fat12, FatType::Fat32]
    } else {
        &[FatType::Fat32, FatType::Fat16]
    }
}

const fn max_sectors_per_cluster(options: &FormatOptions) -> u32 {
    let limit = if options.allow_64k_clusters {
        65536
    } else {
        32768
    };
    let spc = limit / options.bytes_per_sector;
    if spc > 128 { 128 } else { spc }
}

/// Preferred cluster size in bytes: the spec's tables for FAT16/FAT32 (given in
/// 512-byte sectors, applied to the byte size), the smallest size for FAT12.
const fn preferred_cluster_bytes(fat_type: FatType, disk_size: u64) -> u32 {
    let sectors = disk_size / 512;
    match fat_type {
        FatType::Fat12 => 512,
        FatType::Fat16 => {
            if sectors <= 32_680 {
                1024
            } else if sectors <= 262_144 {
                2048
            } else if sectors <= 524_288 {
                4096
            } else if sectors <= 1_048_576 {
                8192
            } else if sectors <= 2_097_152 {
                16_384
            } else if sectors <= 4_194_304 {
                32_768
            } else {
                65_536
            }
        }
        FatType::Fat32 => {
            if sectors <= 532_480 {
                512
            } else if sectors <= 16_777_216 {
                4096
            } else if sectors <= 33_554_432 {
                8192
            } else if sectors <= 67_108_864 {
                16_384
            } else {
                32_768
            }
        }
    }
}

struct Ctx<'a> {
    options: &'a FormatOptions,
    total: u32,
    root_entries: u32,
    max_spc: u32,
}

impl Ctx<'_> {
    fn plan_type(&self, fat_type: FatType) -> Result<Layout, FormatError> {
        let explicit = self.options.sectors_per_cluster;
        if explicit != 0 {
            return match self.attempt(fat_type, explicit) {
                Attempt::Fits(g) => Ok(self.layout(fat_type, explicit, g)),
                Attempt::NoData => Err(FormatError::TooSmall),
                Attempt::TooFew | Attempt::TooMany | Attempt::Margin => {
                    Err(FormatError::ClusterCountOutOfRange)
                }
            };
        }
        let bps = self.options.bytes_per_sector;
        let preferred = preferred_cluster_bytes(fat_type, self.options.disk_size) / bps;
        let preferred = if preferred == 0 {
            1
        } else if preferred > self.max_spc {
            self.max_spc
        } else {
            preferred
        };
        // Try the preferred size, then larger ones, then smaller ones.
        let mut too_few = false;
        let mut too_many = false;
        let mut spc = preferred;
        let mut going_up = true;
        loop {
            match self.attempt(fat_type, spc) {
                Attempt::Fits(g) => return Ok(self.layout(fat_type, spc, g)),
                Attempt::NoData | Attempt::TooFew => too_few = true,
                Attempt::TooMany => too_many = true,
                Attempt::Margin => {}
            }
            if going_up && spc < self.max_spc {
                spc *= 2;
            } else {
                if going_up {
                    going_up = false;
                    spc = preferred;
                }
                if spc <= 1 {
                    break;
                }
                spc /= 2;
            }
        }
        Err(match (too_few, too_many) {
            (true, false) => FormatError::TooSmall,
            (false, true) => FormatError::TooLarge,
            _ => FormatError::ClusterCountOutOfRange,
        })
    }

    /// Computes the regions for one candidate and judges its cluster count.
    fn attempt(&self, fat_type: FatType, spc: u32) -> Attempt {
        let bps = u64::from(self.options.bytes_per_sector);
        let fat32 = fat_type == FatType::Fat32;
        let reserved: u32 = if fat32 { 32 } else { 1 };
        let root_entries = if fat32 { 0 } else { self.root_entries };
        #[allow(clippy::cast_possible_truncation, reason = "at most 0xFFFF * 32 / 512")]
        let root_sectors = (u64::from(root_entries) * 32 / bps) as u32;
        let meta = u64::from(reserved) + u64::from(root_sectors);
        let total = u64::from(self.total);
        if total <= meta {
            return Attempt::NoData;
        }
        let data = total - meta;
        let nf = u64::from(self.options.num_fats);
        let spc64 = u64::from(spc);
        let bits = u64::from(entry_bits(fat_type));
        let clusters_for = |fat: u64| -> u64 { data.saturating_sub(nf * fat) / spc64 };
        let fits = |fat: u64| -> bool { (clusters_for(fat) + 2) * bits <= fat * bps * 8 };
        // Smallest FAT with fat*bps*8 >= ((data - nf*fat)/spc + 2)*bits, ignoring the
        // floor: fat >= (data + 2*spc)*bits / (bps*8*spc + nf*bits). The floor can only
        // make a smaller FAT sufficient, so step down while it still fits.
        let mut fat = ((data + 2 * spc64) * bits).div_ceil(bps * 8 * spc64 + nf * bits);
        while fat > 1 && fits(fat - 1) {
            fat -= 1;
        }
        while !fits(fat) {
            fat += 1;
        }
        if nf * fat >= data {
            return Attempt::NoData;
        }
        let clusters = clusters_for(fat);
        let (min, max) = planned_cluster_range(fat_type);
        let (spec_min, spec_max) = spec_cluster_range(fat_type);
        if clusters < u64::from(spec_min) {
            return Attempt::TooFew;
        }
        if clusters > u64::from(spec_max) || (!fat32 && fat > 0xFFFF) {
            return Attempt::TooMany;
        }
        if clusters < u64::from(min) || clusters > u64::from(max) {
            return Attempt::Margin;
        }
        #[allow(
            clippy::cast_possible_truncation,
            reason = "clusters <= 0x0FFF_FFF5, fat < data <= u32::MAX"
        )]
        Attempt::Fits(Geometry {
            reserved,
            root_entries,
            root_sectors,
            fat_size: fat as u32,
            clusters: clusters as u32,
        })
    }

    fn layout(&self, fat_type: FatType, spc: u32, g: Geometry) -> Layout {
        let fat32 = fat_type == FatType::Fat32;
        let o = self.options;
        Layout {
            bytes_per_sector: o.bytes_per_sector,
            sectors_per_cluster: spc,
            reserved_sector_count: g.reserved,
            num_fats: o.num_fats,
            root_entry_count: g.root_entries,
            total_sectors: u64::from(self.total),
            fat_size_sectors: g.fat_size,
            root_dir_sectors: g.root_sectors,
            first_data_sector: g.reserved + u32::from(o.num_fats) * g.fat_size + g.root_sectors,
            cluster_count: g.clusters,
            fat_type,
            media: o.media,
            label: o.label,
            volume_serial: o.volume_serial,
            root_cluster: if fat32 { 2 } else { 0 },
            fs_info_sector: u32::from(fat32),
            backup_boot_sector: if fat32 { 6 } else { 0 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;

    fn with(size: u64, fs: FileSystem, spc: u32) -> FormatOptions {
        let mut o = FormatOptions::new(size);
        o.file_system = fs;
        o.sectors_per_cluster = spc;
        o
    }

    fn auto(size: u64) -> (FatType, u32) {
        let l = plan(&FormatOptions::new(size)).unwrap();
        (l.fat_type, l.sectors_per_cluster)
    }

    #[test]
    fn auto_type_and_cluster_size() {
        assert_eq!(auto(1_474_560), (FatType::Fat12, 1));
        assert_eq!(auto(MIB), (FatType::Fat12, 1));
        assert_eq!(auto(4 * MIB), (FatType::Fat12, 2));
        assert_eq!(auto(16 * MIB), (FatType::Fat16, 4));
        assert_eq!(auto(64 * MIB), (FatType::Fat16, 4));
        assert_eq!(auto(256 * MIB), (FatType::Fat16, 8));
        assert_eq!(auto(512 * MIB), (FatType::Fat16, 16));
        assert_eq!(auto(512 * MIB + 512), (FatType::Fat32, 8));
        assert_eq!(auto(GIB), (FatType::Fat32, 8));
        assert_eq!(auto(16 * GIB), (FatType::Fat32, 16));
        assert_eq!(auto(32 * GIB), (FatType::Fat32, 32));
        assert_eq!(auto(64 * GIB), (FatType::Fat32, 64));
        assert_eq!(auto((2 << 40) - 512), (FatType::Fat32, 64));
    }

    #[test]
    fn fat_is_minimal_and_sufficient() {
        for size in [
            20 * 1024,
            MIB,
            33 * MIB,
            700 * MIB,
            5 * GIB,
            (2 << 40) - 512,
        ] {
            for fs in [
                FileSystem::Auto,
                FileSystem::Fat12,
                FileSystem::Fat16,
                FileSystem::Fat32,
            ] {
                let Ok(l) = plan(&with(size, fs, 0)) else {
                    continue;
                };
                l.validate().unwrap();
                let bits = u64::from(l.fat_entry_bits());
                let capacity = |fat: u32| u64::from(fat) * u64::from(l.bytes_per_sector) * 8 / bits;
                assert!(capacity(l.fat_size_sectors) >= u64::from(l.cluster_count) + 2);
                // One sector less would not hold the clusters the freed sectors would allow.
                let smaller = l.fat_size_sectors - 1;
                let data = l.total_sectors
                    - u64::from(l.reserved_sector_count + l.root_dir_sectors)
                    - u64::from(l.num_fats) * u64::from(smaller);
                let clusters = data / u64::from(l.sectors_per_cluster);
                assert!(capacity(smaller) < clusters + 2, "{size} {fs:?}");
            }
        }
    }

    #[test]
    fn never_near_a_type_boundary() {
        // Sweep every size where some cluster size lands near 4085 or 65525, and
        // check the sweep really met the zone for each explicit type.
        for spc in [1u64, 2, 4, 8, 16, 32, 64] {
            for (boundary, types) in [
                (
                    4085u64,
                    [FileSystem::Fat12, FileSystem::Fat16, FileSystem::Auto],
                ),
                (
                    65525,
                    [FileSystem::Fat16, FileSystem::Fat32, FileSystem::Auto],
                ),
            ] {
                // Metadata adds 40..1100 sectors on top of the clusters.
                let low = boundary * spc - 40 * spc;
                let high = boundary * spc + 40 * spc + 1100;
                let mut zone_hits = 0;
                for sectors in low..high {
                    let fixed = with(sectors * 512, types[1], u32::try_from(spc).unwrap());
                    if plan(&fixed) == Err(FormatError::ClusterCountOutOfRange) {
                        zone_hits += 1;
                    }
                    for fs in types {
                        let Ok(l) = plan(&with(sectors * 512, fs, 0)) else {
                            continue;
                        };
                        let c = l.cluster_count;
                        assert!(
                            c.abs_diff(4085) > 16 && c.abs_diff(65525) > 16,
                            "{sectors} {fs:?}: {c}"
                        );
                        let (min, max) = planned_cluster_range(l.fat_type);
                        assert!((min..=max).contains(&c));
                    }
                }
                assert!(
                    zone_hits > 0,
                    "sweep missed the zone: spc {spc}, {boundary}"
                );
            }
        }
    }

    #[test]
    fn explicit_cluster_size_in_margin_is_rejected() {
        // 128 MiB with 32 KiB clusters: about 4090 clusters.
        assert_eq!(
            plan(&with(128 * MIB, FileSystem::Fat16, 64)),
            Err(FormatError::ClusterCountOutOfRange)
        );
        assert_eq!(
            plan(&with(128 * MIB, FileSystem::Fat12, 64)),
            Err(FormatError::ClusterCountOutOfRange)
        );
        // Auto type with the same explicit size finds no type either.
        assert_eq!(
            plan(&with(128 * MIB, FileSystem::Auto, 64)),
            Err(FormatError::ClusterCountOutOfRange)
        );
        // 16 MiB as FAT12 with 4 KiB clusters: 4096 clusters, too many.
        assert_eq!(
            plan(&with(16 * MIB, FileSystem::Fat12, 8)),
            Err(FormatError::ClusterCountOutOfRange)
        );
    }

    #[test]
    fn size_limits_per_type() {
        // FAT12: the smallest volume is 1 cluster after 1 + 2 + 32 metadata sectors.
        assert_eq!(
            plan(&with(35 * 512, FileSystem::Fat12, 0)),
            Err(FormatError::TooSmall)
        );
        assert_eq!(
            plan(&with(36 * 512, FileSystem::Fat12, 0))
                .unwrap()
                .cluster_count,
            1
        );
        assert_eq!(
            plan(&FormatOptions::new(35 * 512)),
            Err(FormatError::TooSmall)
        );
        assert_eq!(plan(&FormatOptions::new(0)), Err(FormatError::TooSmall));
        assert_eq!(
            plan(&with(200 * MIB, FileSystem::Fat12, 0)),
            Err(FormatError::TooLarge)
        );
        // FAT16 from about 2.1 MiB to just under 2 GiB (32 KiB clusters).
        assert_eq!(
            plan(&with(2 * MIB, FileSystem::Fat16, 0)),
            Err(FormatError::TooSmall)
        );
        assert!(plan(&with(2200 * 1024, FileSystem::Fat16, 0)).is_ok());
        assert!(plan(&with(2047 * MIB, FileSystem::Fat16, 0)).is_ok());
        assert_eq!(
            plan(&with(2 * GIB, FileSystem::Fat16, 0)),
            Err(FormatError::TooLarge)
        );
        let mut o = with(4 * GIB - 64 * MIB, FileSystem::Fat16, 0);
        o.allow_64k_clusters = true;
        assert_eq!(plan(&o).unwrap().sectors_per_cluster, 128);
        // FAT32 from about 32.6 MiB to 2 TiB - 512 (BPB_TotSec32).
        assert_eq!(
            plan(&with(32 * MIB, FileSystem::Fat32, 0)),
            Err(FormatError::TooSmall)
        );
        assert!(plan(&with(33 * MIB, FileSystem::Fat32, 0)).is_ok());
        let max = plan(&with((2 << 40) - 512, FileSystem::Fat32, 0)).unwrap();
        assert_eq!(max.total_sectors, u64::from(u32::MAX));
        assert_eq!(
            plan(&with(2 << 40, FileSystem::Fat32, 0)),
            Err(FormatError::TooLarge)
        );
        assert_eq!(
            plan(&FormatOptions::new(2 << 40)),
            Err(FormatError::TooLarge)
        );
        assert_eq!(
            plan(&FormatOptions::new(u64::MAX - 511)),
            Err(FormatError::TooLarge)
        );
    }

    #[test]
    fn smallest_fat32_is_exact() {
        let mut sectors = 60_000u64;
        while plan(&with(sectors * 512, FileSystem::Fat32, 0)).is_err() {
            sectors += 1;
        }
        let l = plan(&with(sectors * 512, FileSystem::Fat32, 0)).unwrap();
        assert_eq!(l.cluster_count, FAT32_MIN_CLUSTERS);
        assert_eq!(l.sectors_per_cluster, 1);
    }

    #[test]
    fn option_errors() {
        let base = FormatOptions::new(64 * MIB);
        let check = |f: &dyn Fn(&mut FormatOptions), e: FormatError| {
            let mut o = base;
            f(&mut o);
            assert_eq!(plan(&o), Err(e), "{o:?}");
        };
        check(
            &|o| o.bytes_per_sector = 1024,
            FormatError::InvalidBytesPerSector,
        );
        check(
            &|o| o.bytes_per_sector = 0,
            FormatError::InvalidBytesPerSector,
        );
        check(
            &|o| o.disk_size = 64 * MIB + 100,
            FormatError::NotSectorMultiple,
        );
        check(&|o| o.num_fats = 0, FormatError::InvalidNumFats);
        check(&|o| o.num_fats = 3, FormatError::InvalidNumFats);
        check(&|o| o.media = 0xF1, FormatError::InvalidMedia);
        check(&|o| o.media = 0x00, FormatError::InvalidMedia);
        check(
            &|o| o.sectors_per_cluster = 3,
            FormatError::InvalidSectorsPerCluster,
        );
        check(
            &|o| o.sectors_per_cluster = 256,
            FormatError::InvalidSectorsPerCluster,
        );
        check(
            &|o| o.sectors_per_cluster = 128,
            FormatError::InvalidSectorsPerCluster,
        );
        check(
            &|o| {
                o.bytes_per_sector = 4096;
                o.sectors_per_cluster = 16;
            },
            FormatError::InvalidSectorsPerCluster,
        );
        check(
            &|o| o.root_dir_entries = 0,
            FormatError::InvalidRootDirEntries,
        );
        check(
            &|o| o.root_dir_entries = 65_535,
            FormatError::InvalidRootDirEntries,
        );
        check(
            &|o| o.root_dir_entries = u32::MAX,
            FormatError::InvalidRootDirEntries,
        );
        let mut o = base;
        o.sectors_per_cluster = 128;
        o.allow_64k_clusters = true;
        assert_eq!(plan(&o).unwrap().sectors_per_cluster, 128);
        // FAT32 ignores the root entry count.
        let mut o = with(64 * MIB, FileSystem::Fat32, 0);
        o.root_dir_entries = 0;
        assert_eq!(plan(&o).unwrap().root_entry_count, 0);
    }

    #[test]
    fn root_entries_round_up_to_whole_sectors() {
        let mut o = with(64 * MIB, FileSystem::Fat16, 0);
        for (asked, got) in [(1, 16), (100, 112), (512, 512), (65_520, 65_520)] {
            o.root_dir_entries = asked;
            let l = plan(&o).unwrap();
            assert_eq!(l.root_entry_count, got);
            assert_eq!(l.root_dir_sectors * 16, got);
        }
        o.bytes_per_sector = 4096;
        o.root_dir_entries = 100;
        assert_eq!(plan(&o).unwrap().root_entry_count, 128);
    }

    #[test]
    fn fat32_fixed_fields() {
        let l = plan(&with(GIB, FileSystem::Fat32, 0)).unwrap();
        assert_eq!(
            (
                l.reserved_sector_count,
                l.root_cluster,
                l.fs_info_sector,
                l.backup_boot_sector
            ),
            (32, 2, 1, 6)
        );
        assert_eq!((l.root_entry_count, l.root_dir_sectors), (0, 0));
        assert_eq!(l.free_clusters(), l.cluster_count - 1);
        let l = plan(&with(GIB, FileSystem::Fat16, 0)).unwrap();
        assert_eq!((l.reserved_sector_count, l.root_cluster), (1, 0));
        assert_eq!(l.free_clusters(), l.cluster_count);
    }
}
