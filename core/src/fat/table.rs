//! Reading and writing FAT entries: 12-bit packed, 16-bit, or 28 bits of 32.

use zerocopy::FromBytes;

use super::FatType;
use crate::wire::fat::{FSI_UNKNOWN, FsInfo};

/// Bytes of a FAT that describe clusters `0..cluster_count + 2`.
#[must_use]
pub const fn bytes_needed(t: FatType, cluster_count: u32) -> u64 {
    let entries = cluster_count as u64 + 2;
    match t {
        FatType::Fat12 => (entries * 3).div_ceil(2),
        FatType::Fat16 => entries * 2,
        FatType::Fat32 => entries * 4,
    }
}

/// Byte offset and width of entry `n`: FAT12 entries are 1.5 bytes (the 12 bits at
/// `n * 3 / 2`, low or high part of a `u16`), FAT16 2, FAT32 4.
const fn position(t: FatType, n: u32) -> (usize, usize) {
    let n = n as usize;
    match t {
        FatType::Fat12 => (n + n / 2, 2),
        FatType::Fat16 => (n * 2, 2),
        FatType::Fat32 => (n * 4, 4),
    }
}

/// The value of entry `n` (FAT32: the low 28 bits), or `None` when `fat` is too short.
#[must_use]
pub fn entry(fat: &[u8], t: FatType, n: u32) -> Option<u32> {
    let (at, width) = position(t, n);
    let bytes = fat.get(at..at.checked_add(width)?)?;
    Some(match t {
        FatType::Fat12 => {
            let v = u16::read_from_bytes(bytes).ok()?;
            u32::from(if n.is_multiple_of(2) {
                v & 0x0FFF
            } else {
                v >> 4
            })
        }
        FatType::Fat16 => u32::from(u16::read_from_bytes(bytes).ok()?),
        FatType::Fat32 => u32::read_from_bytes(bytes).ok()? & 0x0FFF_FFFF,
    })
}

/// Sets entry `n` to `value` (FAT12: its 12 bits, leaving the neighbour's nibble;
/// FAT32: all 32 bits as given); `false` when `fat` is too short.
pub fn set_entry(fat: &mut [u8], t: FatType, n: u32, value: u32) -> bool {
    let (at, width) = position(t, n);
    let Some(bytes) = at.checked_add(width).and_then(|end| fat.get_mut(at..end)) else {
        return false;
    };
    let le = value.to_le_bytes();
    match t {
        FatType::Fat12 => {
            let old = u16::from_le_bytes([bytes[0], bytes[1]]);
            let v = value.to_le_bytes();
            let twelve = u16::from_le_bytes([v[0], v[1]]) & 0x0FFF;
            let new = if n.is_multiple_of(2) {
                (old & 0xF000) | twelve
            } else {
                (old & 0x000F) | (twelve << 4)
            };
            bytes.copy_from_slice(&new.to_le_bytes());
        }
        FatType::Fat16 => bytes.copy_from_slice(&le[..2]),
        FatType::Fat32 => bytes.copy_from_slice(&le),
    }
    true
}

/// Free (zero) entries among clusters `2..cluster_count + 2` of a FAT. Entries beyond
/// the end of `fat` are not counted.
#[must_use]
pub fn count_free(fat: &[u8], t: FatType, cluster_count: u32) -> u32 {
    let mut free = 0;
    for n in 2..cluster_count.saturating_add(2) {
        match entry(fat, t, n) {
            Some(0) => free += 1,
            Some(_) => {}
            None => break,
        }
    }
    free
}

/// Runs of free (zero) entries among clusters `2..cluster_count + 2`, in order.
///
/// Each run is `(first cluster, clusters)`; entries beyond the end of `fat` are not
/// looked at. What `ramdiskctl trim` gives back to a dynamic disk.
pub fn free_runs(
    fat: &[u8],
    t: FatType,
    cluster_count: u32,
) -> impl Iterator<Item = (u32, u32)> + '_ {
    let end = cluster_count.saturating_add(2);
    let mut n = 2u32;
    core::iter::from_fn(move || {
        while n < end {
            match entry(fat, t, n) {
                Some(0) => {
                    let first = n;
                    while n < end && entry(fat, t, n) == Some(0) {
                        n += 1;
                    }
                    return Some((first, n - first));
                }
                Some(_) => n += 1,
                None => n = end,
            }
        }
        None
    })
}

/// The free-cluster count of a FAT32 `FSInfo` sector, when its signatures are right
/// and the count is known (not `0xFFFFFFFF`).
#[must_use]
pub fn fs_info_free(sector: &[u8]) -> Option<u32> {
    let (info, _) = FsInfo::read_from_prefix(sector).ok()?;
    let free = info.free_count.get();
    (info.signatures_valid() && free != FSI_UNKNOWN).then_some(free)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_and_write() {
        // FAT12: entries 0x123, 0x456 packed as 23 61 45.
        let mut fat12 = [0x23, 0x61, 0x45];
        assert_eq!(entry(&fat12, FatType::Fat12, 0), Some(0x123));
        assert_eq!(entry(&fat12, FatType::Fat12, 1), Some(0x456));
        assert_eq!(entry(&fat12, FatType::Fat12, 2), None);
        assert!(set_entry(&mut fat12, FatType::Fat12, 1, 0xABC));
        assert_eq!(fat12, [0x23, 0xC1, 0xAB]);
        assert!(set_entry(&mut fat12, FatType::Fat12, 0, 0xFFF));
        assert_eq!(fat12, [0xFF, 0xCF, 0xAB]);
        assert!(!set_entry(&mut fat12, FatType::Fat12, 2, 1));
        let fat16 = [0xF8, 0xFF, 0xFF, 0xFF, 0, 0, 3, 0, 0, 0];
        assert_eq!(count_free(&fat16, FatType::Fat16, 3), 2);
        assert_eq!(count_free(&fat16, FatType::Fat16, 100), 2);
        let mut fat32 = [
            0xF8, 0xFF, 0xFF, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0xF0,
        ];
        assert_eq!(entry(&fat32, FatType::Fat32, 1), Some(0x0FFF_FFFF));
        assert_eq!(entry(&fat32, FatType::Fat32, 2), Some(0));
        assert_eq!(count_free(&fat32, FatType::Fat32, 1), 1);
        assert!(set_entry(&mut fat32, FatType::Fat32, 2, 0x0FFF_FFF8));
        assert_eq!(fat32[8..], [0xF8, 0xFF, 0xFF, 0x0F]);
        assert_eq!(entry(&fat32, FatType::Fat32, u32::MAX), None);
        assert_eq!(bytes_needed(FatType::Fat12, 2), 6);
        assert_eq!(bytes_needed(FatType::Fat16, 2), 8);
        assert_eq!(bytes_needed(FatType::Fat32, 2), 16);
    }

    #[test]
    fn runs_of_free_clusters() {
        // FAT16, clusters 2..10: free 2-3, used 4, free 5, used 6-7, free 8-9.
        let mut fat = [0u8; 20];
        for used in [0, 1, 4, 6, 7] {
            assert!(set_entry(&mut fat, FatType::Fat16, used, 0xFFFF));
        }
        let runs: std::vec::Vec<_> = free_runs(&fat, FatType::Fat16, 8).collect();
        assert_eq!(runs, [(2, 2), (5, 1), (8, 2)]);
        let total: u32 = runs.iter().map(|r| r.1).sum();
        assert_eq!(total, count_free(&fat, FatType::Fat16, 8));
        // Fewer clusters than the FAT describes, and a FAT cut short.
        assert_eq!(
            free_runs(&fat, FatType::Fat16, 2).collect::<std::vec::Vec<_>>(),
            [(2, 2)]
        );
        assert_eq!(
            free_runs(&fat[..14], FatType::Fat16, 8).last(),
            Some((5, 1))
        );
        assert_eq!(free_runs(&fat, FatType::Fat16, 0).count(), 0);
        // FAT12 packing and FAT32's top nibble (ignored).
        let mut fat12 = [0u8; 9];
        assert!(set_entry(&mut fat12, FatType::Fat12, 3, 0xFFF));
        assert_eq!(
            free_runs(&fat12, FatType::Fat12, 4).collect::<std::vec::Vec<_>>(),
            [(2, 1), (4, 2)]
        );
        let mut fat32 = [0u8; 24];
        fat32[8..12].copy_from_slice(&0xF000_0000u32.to_le_bytes());
        assert_eq!(
            free_runs(&fat32, FatType::Fat32, 4).collect::<std::vec::Vec<_>>(),
            [(2, 4)]
        );
    }

    #[test]
    fn fs_info_free_count() {
        assert_eq!(fs_info_free(&[0u8; 512]), None);
        assert_eq!(fs_info_free(&[0u8; 10]), None);
        let mut s = [0u8; 512];
        s[0..4].copy_from_slice(b"RRaA");
        s[484..488].copy_from_slice(b"rrAa");
        s[488..492].copy_from_slice(&77u32.to_le_bytes());
        s[508..512].copy_from_slice(&[0, 0, 0x55, 0xAA]);
        assert_eq!(fs_info_free(&s), Some(77));
        s[488..492].fill(0xFF);
        assert_eq!(fs_info_free(&s), None);
    }
}
