//! The exFAT planner: from [`FormatOptions`] to a [`Layout`].
//!
//! * **Cluster size** (automatic): Microsoft's default table for exFAT ("Default
//!   cluster size for NTFS, FAT, and exFAT"): 4 KiB up to 256 MiB (the table starts
//!   at 7 MiB; below it we keep 4 KiB), 32 KiB up to 32 GiB, 128 KiB above; when even
//!   that would need more than 2^32 − 11 clusters, the next larger size that fits.
//!   An explicit `sectors_per_cluster` is any power of two with clusters of at most
//!   32 MiB (section 3.1.15).
//! * **Alignment**: the FAT and the cluster heap start on a multiple of the cluster
//!   size, at most 1 MiB (the *alignment unit*): `FatOffset` is 24 (the two boot
//!   regions) rounded up to the unit, `FatLength` is the smallest that holds every
//!   cluster rounded up to the unit, and the heap follows the FAT at once. So every
//!   cluster starts at a multiple of its own size on the disk (a cluster never
//!   straddles a 4 KiB page or one of the store's 64 KiB chunks), at a cost of less
//!   than one unit before the FAT and one after it — not mkfs.exfat's fixed 1 MiB
//!   boundary, which costs a 64 MiB RAM disk 2 MiB (the README compares the two).
//! * **Cluster count**: the largest that fits after the FAT (section 3.1.9), at most
//!   2^32 − 11; the rest of the disk (less than one cluster) is Excess Space.
//! * **Heap contents**: the allocation bitmap from cluster 2, the up-case table right
//!   after it, the root directory (one cluster) after that (section 3.1.10); at least
//!   one cluster must stay free.

use super::label::Label;
use super::upcase;
use crate::fat::{FormatError, FormatOptions};
use crate::wire::exfat::{FIRST_CLUSTER, MAX_CLUSTER_COUNT, MIN_FAT_OFFSET};

/// The largest cluster (section 3.1.15: 2^25 bytes).
pub const MAX_CLUSTER_BYTES: u64 = 32 << 20;
/// The smallest volume (section 3.1.5: 2^20 bytes).
pub const MIN_VOLUME_BYTES: u64 = 1 << 20;
/// The alignment unit's ceiling (see the module documentation).
pub const MAX_ALIGNMENT_BYTES: u64 = 1 << 20;

/// A planned exFAT volume: the boot sector's fields and what the formatter writes.
///
/// Everything else (where the bitmap, up-case table and root directory are, how many
/// clusters they take) follows from these fields through the methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    /// Bytes per sector (512..=4096, a power of two).
    pub bytes_per_sector: u32,
    /// Sectors per cluster (a power of two, clusters of at most 32 MiB).
    pub sectors_per_cluster: u32,
    /// `VolumeLength`: the disk's sectors.
    pub volume_length: u64,
    /// `FatOffset`.
    pub fat_offset: u32,
    /// `FatLength`.
    pub fat_length: u32,
    /// `ClusterHeapOffset`.
    pub cluster_heap_offset: u32,
    /// `ClusterCount`.
    pub cluster_count: u32,
    /// The label (empty: the label entry says so with `CharacterCount` 0).
    pub label: Label,
    /// `VolumeSerialNumber`.
    pub volume_serial: u32,
}

impl Layout {
    /// Bytes per cluster.
    #[must_use]
    pub const fn cluster_bytes(&self) -> u64 {
        (self.bytes_per_sector as u64).saturating_mul(self.sectors_per_cluster as u64)
    }

    /// The disk size the volume covers, in bytes.
    #[must_use]
    pub const fn disk_size(&self) -> u64 {
        self.volume_length
            .saturating_mul(self.bytes_per_sector as u64)
    }

    /// `BytesPerSectorShift`.
    #[must_use]
    pub const fn bytes_per_sector_shift(&self) -> u8 {
        shift(self.bytes_per_sector)
    }

    /// `SectorsPerClusterShift`.
    #[must_use]
    pub const fn sectors_per_cluster_shift(&self) -> u8 {
        shift(self.sectors_per_cluster)
    }

    /// Bytes of the allocation bitmap: one bit per cluster (section 7.1.5).
    #[must_use]
    pub const fn bitmap_bytes(&self) -> u64 {
        (self.cluster_count as u64).div_ceil(8)
    }

    /// Clusters of the allocation bitmap (from cluster 2).
    #[must_use]
    pub const fn bitmap_clusters(&self) -> u32 {
        clusters_for(self.bitmap_bytes(), self.cluster_bytes())
    }

    /// The up-case table's first cluster.
    #[must_use]
    pub const fn upcase_cluster(&self) -> u32 {
        FIRST_CLUSTER + self.bitmap_clusters()
    }

    /// Clusters of the up-case table.
    #[must_use]
    pub const fn upcase_clusters(&self) -> u32 {
        clusters_for(upcase::DATA_LENGTH, self.cluster_bytes())
    }

    /// `FirstClusterOfRootDirectory`.
    #[must_use]
    pub const fn root_cluster(&self) -> u32 {
        self.upcase_cluster() + self.upcase_clusters()
    }

    /// Clusters of the root directory.
    #[must_use]
    pub const fn root_clusters(&self) -> u32 {
        1
    }

    /// Clusters in use after formatting: bitmap, up-case table, root directory.
    #[must_use]
    pub const fn used_clusters(&self) -> u32 {
        self.bitmap_clusters() + self.upcase_clusters() + self.root_clusters()
    }

    /// Free clusters after formatting.
    #[must_use]
    pub const fn free_clusters(&self) -> u32 {
        self.cluster_count.saturating_sub(self.used_clusters())
    }

    /// `PercentInUse` after formatting: used clusters × 100 / `ClusterCount`, rounded
    /// down (section 3.1.18).
    #[must_use]
    pub const fn percent_in_use(&self) -> u8 {
        if self.cluster_count == 0 {
            return 0;
        }
        let p = self.used_clusters() as u64 * 100 / self.cluster_count as u64;
        #[allow(clippy::cast_possible_truncation, reason = "at most 100")]
        if p > 100 { 100 } else { p as u8 }
    }

    /// The disk offset in bytes of cluster `cluster` (2 is the first).
    #[must_use]
    pub const fn cluster_offset(&self, cluster: u32) -> u64 {
        (self.cluster_heap_offset as u64
            + (cluster.saturating_sub(FIRST_CLUSTER) as u64) * self.sectors_per_cluster as u64)
            .saturating_mul(self.bytes_per_sector as u64)
    }

    /// Bytes of user data the volume can hold after formatting.
    #[must_use]
    pub const fn free_bytes(&self) -> u64 {
        (self.free_clusters() as u64).saturating_mul(self.cluster_bytes())
    }

    /// Checks every rule of sections 3.1.5–3.1.9 and 3.1.14–3.1.15, and that the
    /// bitmap, up-case table and root directory fit the heap with a cluster to spare.
    /// The formatter calls this, so a hand-made `Layout` cannot make it write out of
    /// place.
    ///
    /// # Errors
    /// The [`FormatError`] naming the first broken rule.
    pub const fn validate(&self) -> Result<(), FormatError> {
        let bps = self.bytes_per_sector;
        if !matches!(bps, 512 | 1024 | 2048 | 4096) {
            return Err(FormatError::InvalidBytesPerSector);
        }
        let spc = self.sectors_per_cluster;
        if !spc.is_power_of_two() || spc as u64 * bps as u64 > MAX_CLUSTER_BYTES {
            return Err(FormatError::InvalidSectorsPerCluster);
        }
        if self.disk_size() < MIN_VOLUME_BYTES {
            return Err(FormatError::TooSmall);
        }
        if self.cluster_count == 0 || self.cluster_count > MAX_CLUSTER_COUNT {
            return Err(FormatError::ClusterCountOutOfRange);
        }
        let fat_needed = fat_sectors(self.cluster_count as u64, bps as u64);
        let fat_end = self.fat_offset as u64 + self.fat_length as u64;
        let heap_end = self.cluster_heap_offset as u64 + self.cluster_count as u64 * spc as u64;
        if self.fat_offset < MIN_FAT_OFFSET
            || (self.fat_length as u64) < fat_needed
            || (self.cluster_heap_offset as u64) < fat_end
            || heap_end > self.volume_length
        {
            return Err(FormatError::InvalidLayout);
        }
        if self.used_clusters() as u64 >= self.cluster_count as u64 {
            return Err(FormatError::TooSmall);
        }
        Ok(())
    }
}

const fn shift(power_of_two: u32) -> u8 {
    #[allow(clippy::cast_possible_truncation, reason = "at most 31")]
    {
        power_of_two.trailing_zeros() as u8
    }
}

/// Clusters of `cluster_bytes` that hold `bytes` (at least one).
const fn clusters_for(bytes: u64, cluster_bytes: u64) -> u32 {
    if cluster_bytes == 0 {
        return u32::MAX;
    }
    let n = bytes.div_ceil(cluster_bytes);
    if n == 0 {
        1
    } else if n > u32::MAX as u64 {
        u32::MAX
    } else {
        #[allow(clippy::cast_possible_truncation, reason = "checked above")]
        {
            n as u32
        }
    }
}

/// Sectors a FAT needs for `clusters` clusters: entries 0 and 1 and one per cluster,
/// 4 bytes each (section 3.1.7).
const fn fat_sectors(clusters: u64, bps: u64) -> u64 {
    ((clusters + 2) * 4).div_ceil(bps)
}

/// Microsoft's default exFAT cluster size for a volume of `disk_size` bytes (4 KiB
/// below the table's 7 MiB start too).
#[must_use]
pub const fn default_cluster_bytes(disk_size: u64) -> u64 {
    if disk_size <= 256 << 20 {
        4 << 10
    } else if disk_size <= 32 << 30 {
        32 << 10
    } else {
        128 << 10
    }
}

/// The outcome of one cluster size.
enum Attempt {
    Fits(Layout),
    /// Not even the metadata and one free cluster fit.
    TooFew,
    /// More than 2^32 − 11 clusters.
    TooMany,
}

/// Lays the volume out with `spc` sectors per cluster.
fn attempt(options: &FormatOptions, total: u64, spc: u32) -> Attempt {
    let bps = u64::from(options.bytes_per_sector);
    let spc64 = u64::from(spc);
    let unit = spc64.min(MAX_ALIGNMENT_BYTES / bps).max(1);
    let fat_offset = u64::from(MIN_FAT_OFFSET).next_multiple_of(unit);
    let fat_length = |clusters: u64| fat_sectors(clusters, bps).next_multiple_of(unit);
    let fits = |clusters: u64| fat_offset + fat_length(clusters) + clusters * spc64 <= total;
    if !fits(1) {
        return Attempt::TooFew;
    }
    // The largest count that fits: `fits` is monotone, so bisect.
    let (mut lo, mut hi) = (1u64, (total - fat_offset) / spc64);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if lo > u64::from(MAX_CLUSTER_COUNT) {
        return Attempt::TooMany;
    }
    let fat_length = fat_length(lo);
    let heap = fat_offset + fat_length;
    if heap > u64::from(u32::MAX) {
        return Attempt::TooMany;
    }
    #[allow(
        clippy::cast_possible_truncation,
        reason = "lo <= MAX_CLUSTER_COUNT and heap <= u32::MAX, checked above"
    )]
    let layout = Layout {
        bytes_per_sector: options.bytes_per_sector,
        sectors_per_cluster: spc,
        volume_length: total,
        fat_offset: fat_offset as u32,
        fat_length: fat_length as u32,
        cluster_heap_offset: heap as u32,
        cluster_count: lo as u32,
        label: options.exfat_label,
        volume_serial: options.volume_serial,
    };
    if layout.used_clusters() >= layout.cluster_count {
        return Attempt::TooFew;
    }
    Attempt::Fits(layout)
}

/// Plans an exFAT volume from `options` (its disk size, sector size, sectors per
/// cluster, `exfat_label` and serial; the FAT-only fields are ignored).
///
/// # Errors
/// * [`FormatError::InvalidBytesPerSector`], [`FormatError::NotSectorMultiple`],
///   [`FormatError::InvalidSectorsPerCluster`] for malformed options;
/// * [`FormatError::TooSmall`] below 1 MiB, or when the metadata and one free cluster
///   do not fit; [`FormatError::TooLarge`] when no cluster size keeps the count within
///   2^32 − 11;
/// * [`FormatError::ClusterCountOutOfRange`] when an explicit cluster size gives too
///   few or too many clusters.
pub fn plan(options: &FormatOptions) -> Result<Layout, FormatError> {
    let bps = options.bytes_per_sector;
    if !matches!(bps, 512 | 1024 | 2048 | 4096) {
        return Err(FormatError::InvalidBytesPerSector);
    }
    if !options.disk_size.is_multiple_of(u64::from(bps)) {
        return Err(FormatError::NotSectorMultiple);
    }
    let spc = options.sectors_per_cluster;
    if spc != 0 && (!spc.is_power_of_two() || u64::from(spc) * u64::from(bps) > MAX_CLUSTER_BYTES) {
        return Err(FormatError::InvalidSectorsPerCluster);
    }
    if options.disk_size < MIN_VOLUME_BYTES {
        return Err(FormatError::TooSmall);
    }
    let total = options.disk_size / u64::from(bps);
    if spc != 0 {
        return match attempt(options, total, spc) {
            Attempt::Fits(layout) => Ok(layout),
            Attempt::TooFew | Attempt::TooMany => Err(FormatError::ClusterCountOutOfRange),
        };
    }
    let mut cluster = default_cluster_bytes(options.disk_size).max(u64::from(bps));
    loop {
        #[allow(clippy::cast_possible_truncation, reason = "at most 2^25 / 512")]
        let spc = (cluster / u64::from(bps)) as u32;
        match attempt(options, total, spc) {
            Attempt::Fits(layout) => return Ok(layout),
            Attempt::TooFew => return Err(FormatError::TooSmall),
            Attempt::TooMany if cluster < MAX_CLUSTER_BYTES => cluster *= 2,
            Attempt::TooMany => return Err(FormatError::TooLarge),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fat::FileSystem;

    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;

    fn options(size: u64, spc: u32) -> FormatOptions {
        let mut o = FormatOptions::new(size);
        o.file_system = FileSystem::Exfat;
        o.sectors_per_cluster = spc;
        o
    }

    fn shape(l: &Layout) -> (u32, u32, u32, u32, u64) {
        (
            l.fat_offset,
            l.fat_length,
            l.cluster_heap_offset,
            l.cluster_count,
            l.cluster_bytes(),
        )
    }

    #[test]
    fn microsofts_default_cluster_sizes() {
        for (size, cluster) in [
            (MIB, 4096),
            (7 * MIB, 4096),
            (256 * MIB, 4096),
            (256 * MIB + 512, 32 << 10),
            (32 * GIB, 32 << 10),
            (32 * GIB + 512, 128 << 10),
            (256 * GIB, 128 << 10),
            (256 << 40, 128 << 10),
        ] {
            let l = plan(&options(size, 0)).unwrap();
            assert_eq!(l.cluster_bytes(), cluster, "{size}");
            assert_eq!(l.validate(), Ok(()));
        }
        // Past 512 TiB, 128 KiB clusters would be more than 2^32 − 11: 256 KiB.
        let l = plan(&options(1 << 50, 0)).unwrap();
        assert_eq!(l.cluster_bytes(), 256 << 10);
        assert_eq!(
            plan(&options(u64::MAX / 512 * 512, 0)),
            Err(FormatError::TooLarge)
        );
    }

    #[test]
    fn pinned_layouts() {
        // 64 MiB: FAT at 24, 128 FAT sectors, heap at 152 (mkfs.exfat 1.2.0: 2048,
        // 128, 4096 and 15 872 clusters).
        let l = plan(&options(64 * MIB, 0)).unwrap();
        assert_eq!(shape(&l), (24, 128, 152, 16_365, 4096));
        assert_eq!(l.bitmap_clusters(), 1);
        assert_eq!(l.upcase_cluster(), 3);
        assert_eq!(l.upcase_clusters(), 2);
        assert_eq!(l.root_cluster(), 5);
        assert_eq!(l.percent_in_use(), 0);
        // 1 MiB, the smallest volume.
        let l = plan(&options(MIB, 0)).unwrap();
        assert_eq!(shape(&l), (24, 8, 32, 252, 4096));
        assert_eq!(l.used_clusters(), 4);
        assert_eq!(l.percent_in_use(), 1);
        // 960 MiB, 32 KiB clusters: FAT at 64 (a Windows-formatted stick: 128, 256, 384).
        let l = plan(&options(960 * MIB, 0)).unwrap();
        assert_eq!(shape(&l), (64, 256, 320, 30_715, 32 << 10));
        // 512-byte clusters: no alignment beyond a sector.
        let l = plan(&options(64 * MIB, 1)).unwrap();
        assert_eq!(l.fat_offset, 24);
        assert_eq!(l.cluster_count, 130_032);
        // 32 MiB clusters: the unit stops at 1 MiB.
        let l = plan(&options(GIB, 65_536)).unwrap();
        assert_eq!(shape(&l), (2048, 2048, 4096, 31, 32 << 20));
        assert_eq!(l.free_clusters(), 28);
    }

    #[test]
    fn every_cluster_is_aligned_to_its_size_up_to_1_mib() {
        for size in [MIB, 3 * MIB + 512, 64 * MIB, GIB + 4096, 40 * GIB] {
            for spc in [0, 1, 2, 8, 64, 256, 2048, 4096, 65_536] {
                let Ok(l) = plan(&options(size, spc)) else {
                    continue;
                };
                let unit = l.cluster_bytes().min(MIB);
                assert_eq!(u64::from(l.fat_offset) * 512 % unit, 0);
                assert_eq!(u64::from(l.cluster_heap_offset) * 512 % unit, 0);
                assert_eq!(l.cluster_heap_offset, l.fat_offset + l.fat_length);
                // The FAT is the smallest whole number of units that holds every cluster.
                let need = (u64::from(l.cluster_count) + 2) * 4;
                let fat_bytes = u64::from(l.fat_length) * 512;
                assert!(fat_bytes >= need && fat_bytes - need < unit, "{size} {spc}");
                // Less than one cluster is left over (or the count is at its maximum).
                let end = u64::from(l.cluster_heap_offset)
                    + u64::from(l.cluster_count) * u64::from(l.sectors_per_cluster);
                assert!(l.volume_length - end < u64::from(l.sectors_per_cluster) + unit / 512);
                assert_eq!(l.validate(), Ok(()));
            }
        }
    }

    #[test]
    fn errors() {
        assert_eq!(plan(&options(MIB - 512, 0)), Err(FormatError::TooSmall));
        assert_eq!(
            plan(&options(MIB + 1, 0)),
            Err(FormatError::NotSectorMultiple)
        );
        assert_eq!(
            plan(&options(64 * MIB, 3)),
            Err(FormatError::InvalidSectorsPerCluster)
        );
        assert_eq!(
            plan(&options(64 * MIB, 131_072)),
            Err(FormatError::InvalidSectorsPerCluster)
        );
        // 32 MiB clusters on a 32 MiB disk: no room.
        assert_eq!(
            plan(&options(32 * MIB, 65_536)),
            Err(FormatError::ClusterCountOutOfRange)
        );
        // 512-byte clusters on 4 TiB: more than 2^32 − 11 clusters.
        assert_eq!(
            plan(&options(4 << 40, 1)),
            Err(FormatError::ClusterCountOutOfRange)
        );
        let mut o = options(64 * MIB, 0);
        o.bytes_per_sector = 8192;
        assert_eq!(plan(&o), Err(FormatError::InvalidBytesPerSector));
        o.bytes_per_sector = 4096;
        let l = plan(&o).unwrap();
        assert_eq!(l.sectors_per_cluster, 1);
        assert_eq!(l.bytes_per_sector_shift(), 12);
        o.sectors_per_cluster = 16_384;
        assert_eq!(plan(&o), Err(FormatError::InvalidSectorsPerCluster));
        o.sectors_per_cluster = 8192;
        assert!(plan(&o).is_err(), "32 MiB clusters do not fit 64 MiB");
    }

    #[test]
    fn validate_rejects_hand_made_layouts() {
        type Breaker = fn(&mut Layout);
        let good = plan(&options(64 * MIB, 0)).unwrap();
        let cases: [(Breaker, FormatError); 9] = [
            (
                |l| l.bytes_per_sector = 500,
                FormatError::InvalidBytesPerSector,
            ),
            (
                |l| l.sectors_per_cluster = 3,
                FormatError::InvalidSectorsPerCluster,
            ),
            (
                |l| l.sectors_per_cluster = 131_072,
                FormatError::InvalidSectorsPerCluster,
            ),
            (|l| l.volume_length = 2047, FormatError::TooSmall),
            (|l| l.cluster_count = 0, FormatError::ClusterCountOutOfRange),
            (|l| l.fat_offset = 23, FormatError::InvalidLayout),
            (|l| l.fat_length = 127, FormatError::InvalidLayout),
            (|l| l.cluster_heap_offset -= 1, FormatError::InvalidLayout),
            (|l| l.cluster_count += 1, FormatError::InvalidLayout),
        ];
        for (break_it, want) in cases {
            let mut l = good;
            break_it(&mut l);
            assert_eq!(l.validate(), Err(want), "{l:?}");
        }
        let mut tiny = good;
        tiny.cluster_count = 4;
        assert_eq!(
            tiny.validate(),
            Err(FormatError::TooSmall),
            "no free cluster"
        );
    }
}
