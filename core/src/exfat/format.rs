//! The exFAT formatter: writes a [`Layout`]'s metadata through the FAT formatter's
//! [`SectorWriter`] (so the driver formats straight into its store).
//!
//! What it writes, all in 512-byte pieces at 512-byte offsets (what the store's writer
//! takes):
//! * the main boot region (sectors 0..=11) and the backup region (12..=23), identical:
//!   the boot sector, eight extended boot sectors (zero code, `ExtendedBootSignature`
//!   in each sector's last four bytes), the OEM parameters sector (ten Null Parameters:
//!   all zero), the reserved sector (zero) and the boot checksum sector (the checksum
//!   of the eleven before it, repeated);
//! * the FAT: entries 0 and 1, then the chains of the bitmap, the up-case table and the
//!   root directory (contiguous, each ending in `FFFFFFFFh`);
//! * the allocation bitmap: the bits of those clusters set;
//! * the up-case table ([`super::upcase::BYTES`]);
//! * the root directory: the Volume Label entry (`CharacterCount` 0 when there is no
//!   label), the Allocation Bitmap entry and the Up-case Table entry, in that order.
//!
//! With [`Zeroed::Yes`] sectors that would be all zero are skipped (the driver's
//! freshly zeroed memory); with [`Zeroed::No`] the rest of both boot regions, the
//! whole FAT and the clusters of the bitmap, up-case table and root directory are
//! written too. The cluster heap beyond those is never touched.

use zerocopy::IntoBytes;

use super::plan::Layout;
use super::upcase;
use crate::fat::{FormatError, SectorWriter, Zeroed, write_zeros};
use crate::wire::U16;
use crate::wire::exfat::{
    AllocationBitmapEntry, BACKUP_BOOT_REGION, BOOT_CODE_FILL, BOOT_SIGNATURE, BootSector,
    CHECKSUM_SKIPPED, CHECKSUMMED_SECTORS, DRIVE_SELECT, ENTRY_ALLOCATION_BITMAP,
    ENTRY_UPCASE_TABLE, ENTRY_VOLUME_LABEL, EXTENDED_BOOT_SIGNATURE, ExtendedBootSectorTail,
    FAT_END_OF_CHAIN, FAT_ENTRY_0, FILE_SYSTEM_NAME, FILE_SYSTEM_REVISION, FIRST_CLUSTER,
    JUMP_BOOT, UpcaseTableEntry, VolumeLabelEntry,
};
use crate::wire::{FromZeros, U32, U64};

/// The piece every write is made of.
const PIECE: usize = 512;

/// The boot sector of `layout` (its first 512 bytes).
#[must_use]
pub const fn boot_sector(layout: &Layout) -> BootSector {
    BootSector {
        jump_boot: JUMP_BOOT,
        file_system_name: FILE_SYSTEM_NAME,
        must_be_zero: [0; 53],
        partition_offset: U64::new(0),
        volume_length: U64::new(layout.volume_length),
        fat_offset: U32::new(layout.fat_offset),
        fat_length: U32::new(layout.fat_length),
        cluster_heap_offset: U32::new(layout.cluster_heap_offset),
        cluster_count: U32::new(layout.cluster_count),
        first_cluster_of_root_directory: U32::new(layout.root_cluster()),
        volume_serial_number: U32::new(layout.volume_serial),
        file_system_revision: U16::new(FILE_SYSTEM_REVISION),
        volume_flags: U16::new(0),
        bytes_per_sector_shift: layout.bytes_per_sector_shift(),
        sectors_per_cluster_shift: layout.sectors_per_cluster_shift(),
        number_of_fats: 1,
        drive_select: DRIVE_SELECT,
        percent_in_use: layout.percent_in_use(),
        reserved: [0; 7],
        boot_code: [BOOT_CODE_FILL; 390],
        boot_signature: BOOT_SIGNATURE,
    }
}

/// The last 512 bytes of every extended boot sector.
#[must_use]
pub const fn extended_boot_sector_tail() -> ExtendedBootSectorTail {
    ExtendedBootSectorTail {
        extended_boot_code: [0; 508],
        extended_boot_signature: U32::new(EXTENDED_BOOT_SIGNATURE),
    }
}

/// The boot checksum (section 3.4) computed as bytes arrive: rotate right by one, add
/// the byte; the boot sector's `VolumeFlags` and `PercentInUse` are skipped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BootChecksum {
    sum: u32,
    at: u64,
}

impl BootChecksum {
    /// Adds `bytes`, the next bytes of the region.
    pub fn add(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let skipped = usize::try_from(self.at).is_ok_and(|at| CHECKSUM_SKIPPED.contains(&at));
            if !skipped {
                self.sum = self.sum.rotate_right(1).wrapping_add(u32::from(b));
            }
            self.at += 1;
        }
    }

    /// Adds `n` zero bytes (no byte in the boot sector's skipped range: callers add the
    /// boot sector's first 512 bytes with [`BootChecksum::add`]). Adding zero only
    /// rotates.
    pub const fn add_zeros(&mut self, n: u64) {
        #[allow(clippy::cast_possible_truncation, reason = "n % 32")]
        {
            self.sum = self.sum.rotate_right((n % 32) as u32);
        }
        self.at += n;
    }

    /// The checksum so far.
    #[must_use]
    pub const fn value(&self) -> u32 {
        self.sum
    }
}

/// The boot checksum of `layout`'s boot region (sectors 0..=10 as the formatter
/// writes them).
#[must_use]
pub fn region_checksum(layout: &Layout) -> u32 {
    let bps = u64::from(layout.bytes_per_sector);
    let tail = PIECE as u64;
    let mut sum = BootChecksum::default();
    sum.add(boot_sector(layout).as_bytes());
    sum.add_zeros(bps - tail);
    let ext = extended_boot_sector_tail();
    for _ in 0..8 {
        sum.add_zeros(bps - tail);
        sum.add(ext.as_bytes());
    }
    // OEM parameters (ten Null Parameters) and the reserved sector: zeros.
    sum.add_zeros(2 * bps);
    debug_assert_eq!(sum.at, u64::from(CHECKSUMMED_SECTORS) * bps);
    sum.value()
}

/// Formats `layout` through `writer`.
///
/// # Errors
/// What [`Layout::validate`] reports for an inconsistent layout, or the writer's error.
pub fn format<W: SectorWriter + ?Sized>(
    layout: &Layout,
    writer: &mut W,
    zeroed: Zeroed,
) -> Result<(), FormatError> {
    layout.validate()?;
    let mut out = Out {
        writer,
        clear: zeroed == Zeroed::No,
        buf: [0u8; PIECE],
    };
    out.boot_regions(layout)?;
    out.fat(layout)?;
    out.bitmap(layout)?;
    out.upcase_table(layout)?;
    out.root_directory(layout)
}

/// The writer, whether to clear what would stay zero, and one 512-byte work buffer
/// (small enough for a kernel stack: no stack probe).
struct Out<'w, W: SectorWriter + ?Sized> {
    writer: &'w mut W,
    clear: bool,
    buf: [u8; PIECE],
}

impl<W: SectorWriter + ?Sized> Out<'_, W> {
    /// Writes the work buffer at `offset`.
    fn piece(&mut self, offset: u64) -> Result<(), FormatError> {
        self.writer.write(offset, &self.buf)
    }

    /// With [`Zeroed::No`], zeros over `len` bytes at `offset`.
    fn clear(&mut self, offset: u64, len: u64) -> Result<(), FormatError> {
        if self.clear {
            write_zeros(self.writer, offset, len)?;
        }
        Ok(())
    }

    /// The main boot region, then the backup region, byte for byte the same.
    fn boot_regions(&mut self, layout: &Layout) -> Result<(), FormatError> {
        let bps = u64::from(layout.bytes_per_sector);
        let piece = PIECE as u64;
        let boot = boot_sector(layout);
        let ext = extended_boot_sector_tail();
        let checksum = region_checksum(layout);
        for region in [0, u64::from(BACKUP_BOOT_REGION)] {
            let sector = |n: u64| (region + n) * bps;
            self.writer.write(sector(0), boot.as_bytes())?;
            self.clear(sector(0) + piece, bps - piece)?;
            for n in 1..=8 {
                self.clear(sector(n), bps - piece)?;
                self.writer.write(sector(n) + bps - piece, ext.as_bytes())?;
            }
            // OEM parameters and the reserved sector.
            self.clear(sector(9), 2 * bps)?;
            for word in self.buf.chunks_exact_mut(4) {
                word.copy_from_slice(&checksum.to_le_bytes());
            }
            for at in (0..bps).step_by(PIECE) {
                self.piece(sector(11) + at)?;
            }
        }
        Ok(())
    }

    /// The FAT: entries 0 and 1, then one contiguous chain per allocation.
    fn fat(&mut self, layout: &Layout) -> Result<(), FormatError> {
        let piece = PIECE as u64;
        let fat = u64::from(layout.fat_offset) * u64::from(layout.bytes_per_sector);
        // The allocations follow one another from cluster 2: each entry points to the
        // next cluster, except entries 0 and 1 and the last of each allocation.
        let ends = [
            layout.upcase_cluster() - 1,
            layout.root_cluster() - 1,
            layout.root_cluster() + layout.root_clusters() - 1,
        ];
        let entries = u64::from(FIRST_CLUSTER) + u64::from(layout.used_clusters());
        let per_piece = piece / 4;
        let pieces = entries.div_ceil(per_piece);
        for p in 0..pieces {
            let first = p * per_piece;
            for (slot, word) in self.buf.chunks_exact_mut(4).enumerate() {
                let index = first + slot as u64;
                #[allow(clippy::cast_possible_truncation, reason = "a cluster index")]
                let next = if index < entries { index as u32 + 1 } else { 0 };
                word.copy_from_slice(&next.to_le_bytes());
            }
            let special = [
                (0, FAT_ENTRY_0),
                (1, FAT_END_OF_CHAIN),
                (u64::from(ends[0]), FAT_END_OF_CHAIN),
                (u64::from(ends[1]), FAT_END_OF_CHAIN),
                (u64::from(ends[2]), FAT_END_OF_CHAIN),
            ];
            for (index, value) in special {
                if let Some(slot) = index.checked_sub(first).filter(|&s| s < per_piece) {
                    #[allow(clippy::cast_possible_truncation, reason = "slot < 128")]
                    let at = 4 * slot as usize;
                    self.buf[at..at + 4].copy_from_slice(&value.to_le_bytes());
                }
            }
            self.piece(fat + p * piece)?;
        }
        let fat_bytes = u64::from(layout.fat_length) * u64::from(layout.bytes_per_sector);
        self.clear(fat + pieces * piece, fat_bytes - pieces * piece)
    }

    /// The allocation bitmap: the bits of the used clusters (the first ones) set.
    fn bitmap(&mut self, layout: &Layout) -> Result<(), FormatError> {
        let piece = PIECE as u64;
        let bitmap = layout.cluster_offset(FIRST_CLUSTER);
        let used = u64::from(layout.used_clusters());
        let bits_per_piece = piece * 8;
        let pieces = used.div_ceil(bits_per_piece);
        for p in 0..pieces {
            self.buf.fill(0);
            #[allow(clippy::cast_possible_truncation, reason = "at most 4096 bits")]
            let set = (used - p * bits_per_piece).min(bits_per_piece) as usize;
            self.buf[..set / 8].fill(0xFF);
            if !set.is_multiple_of(8) {
                self.buf[set / 8] = (1 << (set % 8)) - 1;
            }
            self.piece(bitmap + p * piece)?;
        }
        let bytes = u64::from(layout.bitmap_clusters()) * layout.cluster_bytes();
        self.clear(bitmap + pieces * piece, bytes - pieces * piece)
    }

    /// The up-case table.
    fn upcase_table(&mut self, layout: &Layout) -> Result<(), FormatError> {
        let table = layout.cluster_offset(layout.upcase_cluster());
        let mut written = 0u64;
        for chunk in upcase::BYTES.chunks(PIECE) {
            self.buf.fill(0);
            self.buf[..chunk.len()].copy_from_slice(chunk);
            self.piece(table + written)?;
            written += PIECE as u64;
        }
        let bytes = u64::from(layout.upcase_clusters()) * layout.cluster_bytes();
        self.clear(table + written, bytes - written)
    }

    /// The root directory: its three entries, then (cleared) the rest of its cluster.
    fn root_directory(&mut self, layout: &Layout) -> Result<(), FormatError> {
        let root = layout.cluster_offset(layout.root_cluster());
        root_entries(layout, &mut self.buf);
        self.piece(root)?;
        self.clear(root + PIECE as u64, layout.cluster_bytes() - PIECE as u64)
    }
}

/// The first 512 bytes of the root directory: label, bitmap and up-case table entries.
fn root_entries(layout: &Layout, out: &mut [u8; PIECE]) {
    out.fill(0);
    let mut label = VolumeLabelEntry::new_zeroed();
    label.entry_type = ENTRY_VOLUME_LABEL;
    label.character_count = layout.label.len();
    let field = layout.label.field();
    for (slot, unit) in label.volume_label.iter_mut().zip(field) {
        *slot = U16::new(unit);
    }
    let bitmap = AllocationBitmapEntry {
        entry_type: ENTRY_ALLOCATION_BITMAP,
        bitmap_flags: 0,
        reserved: [0; 18],
        first_cluster: U32::new(FIRST_CLUSTER),
        data_length: U64::new(layout.bitmap_bytes()),
    };
    let upcase_entry = UpcaseTableEntry {
        entry_type: ENTRY_UPCASE_TABLE,
        reserved1: [0; 3],
        table_checksum: U32::new(upcase::CHECKSUM),
        reserved2: [0; 12],
        first_cluster: U32::new(layout.upcase_cluster()),
        data_length: U64::new(upcase::DATA_LENGTH),
    };
    out[..32].copy_from_slice(label.as_bytes());
    out[32..64].copy_from_slice(bitmap.as_bytes());
    out[64..96].copy_from_slice(upcase_entry.as_bytes());
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::{Label, plan};
    use super::*;
    use crate::fat::{FileSystem, FormatOptions, SliceWriter};
    use std::vec;
    use std::vec::Vec;

    fn layout(size: u64, spc: u32, bps: u32) -> Layout {
        let mut o = FormatOptions::new(size);
        o.file_system = FileSystem::Exfat;
        o.sectors_per_cluster = spc;
        o.bytes_per_sector = bps;
        o.volume_serial = 0x1234_ABCD;
        o.exfat_label = Label::from_ascii(b"Test").unwrap();
        plan(&o).unwrap()
    }

    /// The specification's own loop (Figure 1) over an in-memory region.
    fn spec_checksum(region: &[u8]) -> u32 {
        let mut sum = 0u32;
        for (i, &b) in region.iter().enumerate() {
            if i == 106 || i == 107 || i == 112 {
                continue;
            }
            sum = (if sum & 1 == 1 { 0x8000_0000 } else { 0 }) + (sum >> 1) + u32::from(b);
        }
        sum
    }

    #[derive(Default)]
    struct Recorder(Vec<(u64, usize)>);

    impl SectorWriter for Recorder {
        fn write(&mut self, byte_offset: u64, data: &[u8]) -> Result<(), FormatError> {
            self.0.push((byte_offset, data.len()));
            Ok(())
        }
    }

    #[test]
    fn regions_as_the_specification_lays_them_out() {
        for (size, spc, bps) in [
            (1 << 20, 0, 512),
            (64 << 20, 0, 512),
            (64 << 20, 0, 4096),
            (8 << 20, 1, 512),
        ] {
            let l = layout(size, spc, bps);
            let mut image = vec![0u8; usize::try_from(size).unwrap()];
            format(&l, &mut SliceWriter(&mut image), Zeroed::Yes).unwrap();
            let b = usize::try_from(bps).unwrap();
            let region = &image[..12 * b];
            assert_eq!(region, &image[12 * b..24 * b], "backup = main");
            assert_eq!(&region[..3], &[0xEB, 0x76, 0x90]);
            assert_eq!(&region[3..11], b"EXFAT   ");
            assert!(region[11..64].iter().all(|&x| x == 0));
            assert!(region[120..510].iter().all(|&x| x == 0xF4));
            assert_eq!(&region[510..512], &[0x55, 0xAA]);
            for s in 1..=8 {
                let sector = &region[s * b..(s + 1) * b];
                assert_eq!(&sector[b - 4..], &[0, 0, 0x55, 0xAA]);
                assert!(sector[..b - 4].iter().all(|&x| x == 0));
            }
            assert!(
                region[9 * b..11 * b].iter().all(|&x| x == 0),
                "OEM + reserved"
            );
            let sum = spec_checksum(&region[..11 * b]);
            assert_eq!(sum, region_checksum(&l));
            for word in region[11 * b..].chunks_exact(4) {
                assert_eq!(word, sum.to_le_bytes());
            }
            // The FAT and the chains.
            let fat = usize::try_from(l.fat_offset).unwrap() * b;
            let entry = |i: usize| {
                u32::from_le_bytes(image[fat + 4 * i..fat + 4 * i + 4].try_into().unwrap())
            };
            assert_eq!((entry(0), entry(1)), (0xFFFF_FFF8, 0xFFFF_FFFF));
            let used = usize::try_from(l.used_clusters()).unwrap();
            let ends = [
                1 + usize::try_from(l.bitmap_clusters()).unwrap(),
                usize::try_from(l.root_cluster()).unwrap() - 1,
                usize::try_from(l.root_cluster()).unwrap(),
            ];
            for i in 2..2 + used {
                let want = if ends.contains(&i) {
                    0xFFFF_FFFF
                } else {
                    u32::try_from(i + 1).unwrap()
                };
                assert_eq!(entry(i), want, "FAT[{i}]");
            }
            assert_eq!(entry(2 + used), 0);
            // The bitmap: exactly the used clusters.
            let bitmap = usize::try_from(l.cluster_offset(2)).unwrap();
            let bits = &image[bitmap..bitmap + usize::try_from(l.bitmap_bytes()).unwrap()];
            let set: u32 = bits.iter().map(|x| x.count_ones()).sum();
            assert_eq!(set, l.used_clusters());
            assert_eq!(bits[0] & 1, 1);
            // The up-case table and the root directory.
            let t = usize::try_from(l.cluster_offset(l.upcase_cluster())).unwrap();
            assert_eq!(&image[t..t + 5836], &upcase::BYTES[..]);
            let r = usize::try_from(l.cluster_offset(l.root_cluster())).unwrap();
            assert_eq!(image[r], 0x83);
            assert_eq!(image[r + 1], 4);
            assert_eq!(&image[r + 2..r + 10], &[b'T', 0, b'e', 0, b's', 0, b't', 0]);
            assert_eq!(image[r + 32], 0x81);
            assert_eq!(image[r + 64], 0x82);
            assert_eq!(&image[r + 68..r + 72], &0xE619_D30Du32.to_le_bytes());
            assert_eq!(image[r + 96], 0, "end of directory");
        }
    }

    #[test]
    fn zeroed_yes_writes_few_pieces_and_zeroed_no_clears_the_metadata() {
        let l = layout(64 << 20, 0, 512);
        let mut rec = Recorder::default();
        format(&l, &mut rec, Zeroed::Yes).unwrap();
        assert!(rec.0.iter().all(|&(off, len)| len == 512 && off % 512 == 0));
        // 2 × (boot + 8 extended + checksum) + FAT + bitmap + 12 up-case + root.
        assert_eq!(rec.0.len(), 2 * 10 + 1 + 1 + 12 + 1);
        let end = usize::try_from(l.cluster_offset(l.root_cluster() + 1)).unwrap();
        let mut dirty = vec![0xA5u8; 64 << 20];
        format(&l, &mut SliceWriter(&mut dirty), Zeroed::No).unwrap();
        let mut clean = vec![0u8; 64 << 20];
        format(&l, &mut SliceWriter(&mut clean), Zeroed::Yes).unwrap();
        let fat_start = usize::try_from(l.fat_offset).unwrap() * 512;
        assert_eq!(dirty[..24 * 512], clean[..24 * 512]);
        assert_eq!(dirty[fat_start..end], clean[fat_start..end]);
        assert!(
            dirty[end..].iter().all(|&b| b == 0xA5),
            "the heap is not touched"
        );
        // 4096-byte sectors: the extended boot sectors' code is cleared too.
        let l = layout(64 << 20, 0, 4096);
        let mut dirty = vec![0xA5u8; 64 << 20];
        format(&l, &mut SliceWriter(&mut dirty), Zeroed::No).unwrap();
        let mut clean = vec![0u8; 64 << 20];
        format(&l, &mut SliceWriter(&mut clean), Zeroed::Yes).unwrap();
        assert_eq!(dirty[..24 * 4096], clean[..24 * 4096]);
    }

    #[test]
    fn no_label_is_a_label_entry_of_zero_characters() {
        let mut l = layout(4 << 20, 0, 512);
        l.label = Label::NONE;
        let mut image = vec![0u8; 4 << 20];
        format(&l, &mut SliceWriter(&mut image), Zeroed::Yes).unwrap();
        let r = usize::try_from(l.cluster_offset(l.root_cluster())).unwrap();
        assert_eq!(&image[r..r + 2], &[0x83, 0]);
        assert!(image[r + 2..r + 32].iter().all(|&b| b == 0));
        assert_eq!(image[r + 32], 0x81);
    }

    #[test]
    fn rejects_bad_layouts_and_short_images() {
        let mut bad = layout(8 << 20, 0, 512);
        bad.fat_length = 0;
        let mut rec = Recorder::default();
        assert_eq!(
            format(&bad, &mut rec, Zeroed::Yes),
            Err(FormatError::InvalidLayout)
        );
        assert!(rec.0.is_empty());
        let l = layout(8 << 20, 0, 512);
        let mut short = vec![0u8; 20 << 10];
        assert_eq!(
            format(&l, &mut SliceWriter(&mut short), Zeroed::Yes),
            Err(FormatError::WriteFailed)
        );
    }

    #[test]
    fn zero_runs_only_rotate_the_checksum() {
        let mut a = BootChecksum::default();
        a.add(&[7; 512]);
        let mut b = a;
        a.add(&[0; 77]);
        b.add_zeros(77);
        assert_eq!(a, b);
    }
}
