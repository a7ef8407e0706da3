//! `trim` without a range: what to TRIM for the clusters a FAT volume marks free.
//!
//! The byte extents of those clusters and the TRIM requests that carry them. Plain
//! Rust, tested on any host; the Windows command takes the volume lock, reads the FAT
//! and sends what this plans.

use ramdisk_core::dsm;
use ramdisk_core::fat::BootSector;
use ramdisk_core::fat::table::free_runs;

/// Ranges per TRIM request: 4096 (a 64 KiB + 32 byte input buffer).
pub const RANGES_PER_REQUEST: usize = 4096;

/// The free clusters of the volume whose boot sector is `volume` and first FAT `fat`.
///
/// Returns `(byte offset, bytes)` of each run, in order, and the cluster count. Runs
/// are clipped to the volume's total sectors.
#[must_use]
pub fn free_extents(volume: &BootSector, fat: &[u8]) -> (Vec<(u64, u64)>, u64) {
    let end = u64::from(volume.total_sectors) * u64::from(volume.bytes_per_sector);
    let mut clusters = 0u64;
    let extents = free_runs(fat, volume.fat_type, volume.cluster_count)
        .filter_map(|(first, count)| {
            clusters += u64::from(count);
            let offset = volume.cluster_offset(first);
            let length =
                (u64::from(count) * volume.cluster_bytes()).min(end.saturating_sub(offset));
            (length > 0).then_some((offset, length))
        })
        .collect();
    (extents, clusters)
}

/// The TRIM request inputs for `extents`, at most [`RANGES_PER_REQUEST`] ranges each.
#[must_use]
pub fn requests(extents: &[(u64, u64)]) -> Vec<Vec<u8>> {
    extents
        .chunks(RANGES_PER_REQUEST)
        .filter_map(|batch| {
            let mut buf = vec![0u8; dsm::trim_request_len(batch.len())];
            let n = dsm::encode_trim(&mut buf, batch)?;
            buf.truncate(n);
            Some(buf)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ramdisk_core::fat::table::set_entry;
    use ramdisk_core::fat::{FileSystem, FormatOptions, SliceWriter, Zeroed, format, plan};

    /// A formatted image and its parsed boot sector.
    fn volume(size: u64, fs: FileSystem) -> (Vec<u8>, BootSector) {
        let mut o = FormatOptions::new(size);
        o.file_system = fs;
        let layout = plan(&o).unwrap();
        let mut img = vec![0u8; usize::try_from(size).unwrap()];
        format(&layout, &mut SliceWriter(&mut img), Zeroed::Yes).unwrap();
        let v = crate::volume::parse_fat_boot_sector(&img[..512]).unwrap();
        (img, v)
    }

    fn fat(img: &[u8], v: &BootSector) -> Vec<u8> {
        let at = usize::try_from(v.fat_offset()).unwrap();
        img[at..at + usize::try_from(v.fat_bytes()).unwrap()].to_vec()
    }

    #[test]
    fn a_fresh_volume_is_one_free_run_to_its_end() {
        for fs in [FileSystem::Fat12, FileSystem::Fat16, FileSystem::Fat32] {
            let size = if fs == FileSystem::Fat32 {
                40 << 20
            } else {
                4 << 20
            };
            let (img, v) = volume(size, fs);
            let (extents, clusters) = free_extents(&v, &fat(&img, &v));
            // FAT32's root directory takes cluster 2.
            let first = if fs == FileSystem::Fat32 { 3 } else { 2 };
            assert_eq!(clusters, u64::from(v.cluster_count - (first - 2)));
            assert_eq!(extents.len(), 1);
            let (offset, length) = extents[0];
            assert_eq!(offset, v.cluster_offset(first));
            assert_eq!(offset + length, v.cluster_offset(v.cluster_count + 2));
            assert!(offset + length <= size);
        }
    }

    #[test]
    fn used_clusters_split_the_runs() {
        let (img, v) = volume(4 << 20, FileSystem::Fat16);
        let mut fat = fat(&img, &v);
        for used in [2, 3, 10, 11, 12, v.cluster_count + 1] {
            assert!(set_entry(&mut fat, v.fat_type, used, 0xFFFF));
        }
        let (extents, clusters) = free_extents(&v, &fat);
        assert_eq!(clusters, u64::from(v.cluster_count) - 6);
        let cluster = v.cluster_bytes();
        assert_eq!(
            extents,
            [
                (v.cluster_offset(4), 6 * cluster),
                (
                    v.cluster_offset(13),
                    u64::from(v.cluster_count + 1 - 13) * cluster
                ),
            ]
        );
        for (offset, length) in extents {
            assert!(offset.is_multiple_of(512) && length.is_multiple_of(512));
        }
    }

    #[test]
    fn requests_carry_every_extent_and_parse_back() {
        let extents: Vec<(u64, u64)> = (0..RANGES_PER_REQUEST as u64 + 5)
            .map(|i| (i * 8192, 4096))
            .collect();
        let reqs = requests(&extents);
        assert_eq!(reqs.len(), 2);
        let disk = 1 << 40;
        let mut back = Vec::new();
        for r in &reqs {
            let t = dsm::parse_trim(r, disk).unwrap();
            back.extend(t.extents().map(|e| (e.offset(), e.length())));
        }
        assert_eq!(back, extents);
        assert_eq!(reqs[0].len(), dsm::trim_request_len(RANGES_PER_REQUEST));
        assert!(requests(&[]).is_empty());
    }
}
