//! Reading an exFAT volume back: the boot sector decoded and checked against the
//! specification's value ranges, the critical entries of the root directory, and the
//! free clusters of the allocation bitmap. ramdiskctl `info` and the tests use these.

use zerocopy::FromBytes;

use crate::fat::FormatError;
use crate::wire::exfat::{
    AllocationBitmapEntry, BOOT_SIGNATURE, BootSector as RawBootSector, ENTRY_ALLOCATION_BITMAP,
    ENTRY_UPCASE_TABLE, ENTRY_VOLUME_LABEL, FILE_SYSTEM_NAME, FIRST_CLUSTER, MAX_CLUSTER_COUNT,
    MAX_LABEL_CHARACTERS, MIN_FAT_OFFSET, UpcaseTableEntry, VolumeLabelEntry,
};

/// Whether `sector` (at least 11 bytes) names the exFAT file system
/// (`FileSystemName`).
#[must_use]
pub fn is_exfat(sector: &[u8]) -> bool {
    sector.get(3..11) == Some(&FILE_SYSTEM_NAME[..])
}

/// A decoded exFAT boot sector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BootSector {
    /// 2^`BytesPerSectorShift`.
    pub bytes_per_sector: u32,
    /// 2^`SectorsPerClusterShift`.
    pub sectors_per_cluster: u32,
    /// `VolumeLength`.
    pub volume_length: u64,
    /// `FatOffset`.
    pub fat_offset: u32,
    /// `FatLength`.
    pub fat_length: u32,
    /// `ClusterHeapOffset`.
    pub cluster_heap_offset: u32,
    /// `ClusterCount`.
    pub cluster_count: u32,
    /// `FirstClusterOfRootDirectory`.
    pub root_cluster: u32,
    /// `VolumeSerialNumber`.
    pub volume_serial: u32,
    /// `FileSystemRevision` (major in the high byte).
    pub file_system_revision: u16,
    /// `VolumeFlags`.
    pub volume_flags: u16,
    /// `NumberOfFats`.
    pub number_of_fats: u8,
    /// `PercentInUse`.
    pub percent_in_use: u8,
}

impl BootSector {
    /// Decodes the first 512 bytes of `sector` and checks every field against its
    /// valid range (section 3.1).
    ///
    /// # Errors
    /// [`FormatError::InvalidBootSector`] for anything outside the ranges (or fewer
    /// than 512 bytes).
    pub fn parse(sector: &[u8]) -> Result<Self, FormatError> {
        let bad = FormatError::InvalidBootSector;
        let (raw, _) = RawBootSector::read_from_prefix(sector).map_err(|_| bad)?;
        if raw.boot_signature != BOOT_SIGNATURE
            || raw.file_system_name != FILE_SYSTEM_NAME
            || raw.must_be_zero.iter().any(|&b| b != 0)
            || !(9..=12).contains(&raw.bytes_per_sector_shift)
            || raw.sectors_per_cluster_shift > 25 - raw.bytes_per_sector_shift
            || !matches!(raw.number_of_fats, 1 | 2)
            || raw.file_system_revision.get() >> 8 != 1
            || !(raw.percent_in_use <= 100 || raw.percent_in_use == 0xFF)
        {
            return Err(bad);
        }
        let bs = Self {
            bytes_per_sector: 1 << raw.bytes_per_sector_shift,
            sectors_per_cluster: 1 << raw.sectors_per_cluster_shift,
            volume_length: raw.volume_length.get(),
            fat_offset: raw.fat_offset.get(),
            fat_length: raw.fat_length.get(),
            cluster_heap_offset: raw.cluster_heap_offset.get(),
            cluster_count: raw.cluster_count.get(),
            root_cluster: raw.first_cluster_of_root_directory.get(),
            volume_serial: raw.volume_serial_number.get(),
            file_system_revision: raw.file_system_revision.get(),
            volume_flags: raw.volume_flags.get(),
            number_of_fats: raw.number_of_fats,
            percent_in_use: raw.percent_in_use,
        };
        let count = u64::from(bs.cluster_count);
        let fats = u64::from(bs.number_of_fats) * u64::from(bs.fat_length);
        let fat_needed = ((count + 2) * 4).div_ceil(u64::from(bs.bytes_per_sector));
        let heap_end =
            u64::from(bs.cluster_heap_offset) + count * u64::from(bs.sectors_per_cluster);
        if bs.volume_length < (1 << 20) / u64::from(bs.bytes_per_sector)
            || bs.fat_offset < MIN_FAT_OFFSET
            || u64::from(bs.fat_length) < fat_needed
            || u64::from(bs.cluster_heap_offset) < u64::from(bs.fat_offset) + fats
            || bs.cluster_count > MAX_CLUSTER_COUNT
            || heap_end > bs.volume_length
            || bs.root_cluster < FIRST_CLUSTER
            || u64::from(bs.root_cluster) > count + 1
        {
            return Err(bad);
        }
        Ok(bs)
    }

    /// Bytes per cluster.
    #[must_use]
    pub const fn cluster_bytes(&self) -> u64 {
        self.bytes_per_sector as u64 * self.sectors_per_cluster as u64
    }

    /// The byte offset of the (first) FAT.
    #[must_use]
    pub const fn fat_byte_offset(&self) -> u64 {
        self.fat_offset as u64 * self.bytes_per_sector as u64
    }

    /// The byte offset of cluster `cluster` (2 is the first; smaller gives cluster 2's).
    #[must_use]
    pub const fn cluster_byte_offset(&self, cluster: u32) -> u64 {
        (self.cluster_heap_offset as u64
            + cluster.saturating_sub(FIRST_CLUSTER) as u64 * self.sectors_per_cluster as u64)
            * self.bytes_per_sector as u64
    }
}

/// An allocation a root directory entry names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Allocation {
    /// `FirstCluster`.
    pub first_cluster: u32,
    /// `DataLength` in bytes.
    pub data_length: u64,
}

/// The critical entries found in (the first cluster of) a root directory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RootEntries {
    /// The Volume Label entry's code units (`None`: no entry; empty: `CharacterCount` 0).
    pub label: Option<([u16; MAX_LABEL_CHARACTERS], u8)>,
    /// The first Allocation Bitmap.
    pub bitmap: Option<Allocation>,
    /// The Up-case Table and its `TableChecksum`.
    pub upcase: Option<(Allocation, u32)>,
}

impl RootEntries {
    /// Scans directory entries (32 bytes each) until the end-of-directory marker or the
    /// end of `dir`. Entries not in use and other types are passed over.
    #[must_use]
    pub fn scan(dir: &[u8]) -> Self {
        let mut found = Self::default();
        for entry in dir.chunks_exact(32) {
            match entry.first().copied() {
                None | Some(0) => break,
                Some(ENTRY_VOLUME_LABEL) if found.label.is_none() => {
                    if let Ok(e) = VolumeLabelEntry::read_from_bytes(entry) {
                        let mut units = [0u16; MAX_LABEL_CHARACTERS];
                        for (u, v) in units.iter_mut().zip(e.volume_label) {
                            *u = v.get();
                        }
                        found.label = Some((units, e.character_count.min(11)));
                    }
                }
                Some(ENTRY_ALLOCATION_BITMAP) if found.bitmap.is_none() => {
                    if let Ok(e) = AllocationBitmapEntry::read_from_bytes(entry)
                        && e.bitmap_flags & 1 == 0
                    {
                        found.bitmap = Some(Allocation {
                            first_cluster: e.first_cluster.get(),
                            data_length: e.data_length.get(),
                        });
                    }
                }
                Some(ENTRY_UPCASE_TABLE) if found.upcase.is_none() => {
                    if let Ok(e) = UpcaseTableEntry::read_from_bytes(entry) {
                        found.upcase = Some((
                            Allocation {
                                first_cluster: e.first_cluster.get(),
                                data_length: e.data_length.get(),
                            },
                            e.table_checksum.get(),
                        ));
                    }
                }
                Some(_) => {}
            }
        }
        found
    }

    /// The label's code units (empty when there is no label).
    #[must_use]
    pub fn label_units(&self) -> &[u16] {
        match &self.label {
            Some((units, len)) => units.get(..usize::from(*len)).unwrap_or(&[]),
            None => &[],
        }
    }
}

/// Free clusters among the first `cluster_count` bits of an allocation bitmap (bits
/// past the end of `bitmap` count as free).
#[must_use]
pub fn count_free(bitmap: &[u8], cluster_count: u32) -> u32 {
    let full = usize::try_from(cluster_count / 8).unwrap_or(usize::MAX);
    let whole: u32 = bitmap.iter().take(full).map(|b| b.count_zeros()).sum();
    let rest = cluster_count % 8;
    let tail = match bitmap.get(full) {
        Some(&b) if rest != 0 => rest - (b & ((1 << rest) - 1)).count_ones(),
        _ => rest,
    };
    let missing = u32::try_from(full.saturating_sub(bitmap.len())).unwrap_or(u32::MAX) * 8;
    whole + tail + missing
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::{Label, format, plan};
    use super::*;
    use crate::fat::{FileSystem, FormatOptions, SliceWriter, Zeroed};
    use std::vec;

    fn image(size: u64, label: &str) -> (super::super::Layout, std::vec::Vec<u8>) {
        let mut o = FormatOptions::new(size);
        o.file_system = FileSystem::Exfat;
        o.volume_serial = 0xDEAD_BEEF;
        let units: std::vec::Vec<u16> = label.encode_utf16().collect();
        o.exfat_label = Label::parse(&units).unwrap();
        let l = plan(&o).unwrap();
        let mut img = vec![0u8; usize::try_from(size).unwrap()];
        format(&l, &mut SliceWriter(&mut img), Zeroed::Yes).unwrap();
        (l, img)
    }

    #[test]
    fn reads_back_what_the_formatter_wrote() {
        let (l, img) = image(32 << 20, "Données");
        assert!(is_exfat(&img));
        let bs = BootSector::parse(&img[..512]).unwrap();
        assert_eq!(
            (
                bs.fat_offset,
                bs.fat_length,
                bs.cluster_heap_offset,
                bs.cluster_count
            ),
            (
                l.fat_offset,
                l.fat_length,
                l.cluster_heap_offset,
                l.cluster_count
            )
        );
        assert_eq!(bs.root_cluster, l.root_cluster());
        assert_eq!(bs.volume_serial, 0xDEAD_BEEF);
        assert_eq!(bs.cluster_bytes(), l.cluster_bytes());
        assert_eq!(bs.file_system_revision, 0x0100);
        let root = usize::try_from(bs.cluster_byte_offset(bs.root_cluster)).unwrap();
        let entries = RootEntries::scan(&img[root..root + 4096]);
        let want: std::vec::Vec<u16> = "Données".encode_utf16().collect();
        assert_eq!(entries.label_units(), &want[..]);
        let bitmap = entries.bitmap.unwrap();
        assert_eq!(bitmap.first_cluster, 2);
        assert_eq!(bitmap.data_length, l.bitmap_bytes());
        let (table, sum) = entries.upcase.unwrap();
        assert_eq!(
            (table.first_cluster, table.data_length, sum),
            (l.upcase_cluster(), 5836, 0xE619_D30D)
        );
        let at = usize::try_from(bs.cluster_byte_offset(2)).unwrap();
        let bits = &img[at..at + usize::try_from(bitmap.data_length).unwrap()];
        assert_eq!(count_free(bits, bs.cluster_count), l.free_clusters());
    }

    #[test]
    fn refuses_what_is_not_exfat_or_out_of_range() {
        let (_, img) = image(8 << 20, "");
        let good = &img[..512];
        assert!(BootSector::parse(good).is_ok());
        assert!(BootSector::parse(&good[..511]).is_err());
        for (at, value) in [
            (3usize, b'X'),
            (20, 1),
            (108, 8),
            (108, 13),
            (109, 17),
            (110, 3),
            (105, 2),
            (112, 101),
            (510, 0),
            (80, 23),
            (84, 0),
            (96, 1),
        ] {
            let mut s = good.to_vec();
            s[at] = value;
            if at == 84 {
                s[85] = 0;
            }
            assert_eq!(
                BootSector::parse(&s),
                Err(FormatError::InvalidBootSector),
                "byte {at}"
            );
        }
        let mut s = good.to_vec();
        s[112] = 0xFF;
        assert!(
            BootSector::parse(&s).is_ok(),
            "PercentInUse FFh: not available"
        );
        assert!(!is_exfat(&[0; 8]));
    }

    #[test]
    fn free_bits() {
        assert_eq!(count_free(&[0xFF, 0x01], 12), 3);
        assert_eq!(count_free(&[0x00], 8), 8);
        assert_eq!(count_free(&[0x0F], 4), 0);
        assert_eq!(count_free(&[], 20), 20);
        assert_eq!(count_free(&[0xFF; 4], 16), 0);
        let entries = RootEntries::scan(&[0u8; 64]);
        assert_eq!(entries, RootEntries::default());
        assert!(entries.label_units().is_empty());
    }
}
