//! The formatter: writes a [`Layout`]'s metadata through a [`SectorWriter`].

use zerocopy::{FromZeros, IntoBytes};

use super::boot_sector::{encode_boot_sector, encode_fs_info};
use super::{FatType, FormatError, Layout, table};
use crate::wire::U16;
use crate::wire::fat::{ATTR_VOLUME_ID, DirEntry};

/// Where formatted bytes go: an in-memory image, a file, a device.
pub trait SectorWriter {
    /// Writes `data` at `byte_offset` from the start of the disk.
    ///
    /// # Errors
    /// [`FormatError::WriteFailed`] (or another error to pass through `format`).
    fn write(&mut self, byte_offset: u64, data: &[u8]) -> Result<(), FormatError>;
}

impl<W: SectorWriter + ?Sized> SectorWriter for &mut W {
    fn write(&mut self, byte_offset: u64, data: &[u8]) -> Result<(), FormatError> {
        (**self).write(byte_offset, data)
    }
}

/// Whether the target is already all zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Zeroed {
    /// The image is known to be all zero: sectors that would be written as zeros are skipped.
    Yes,
    /// Unknown content: the reserved region, all FAT sectors and the root directory
    /// (FAT32: the root cluster) are written in full.
    No,
}

/// A bounds-checked writer into a byte slice (the driver's RAM image).
#[derive(Debug)]
pub struct SliceWriter<'a>(pub &'a mut [u8]);

impl SectorWriter for SliceWriter<'_> {
    fn write(&mut self, byte_offset: u64, data: &[u8]) -> Result<(), FormatError> {
        let start = usize::try_from(byte_offset).map_err(|_| FormatError::WriteFailed)?;
        let end = start
            .checked_add(data.len())
            .ok_or(FormatError::WriteFailed)?;
        self.0
            .get_mut(start..end)
            .ok_or(FormatError::WriteFailed)?
            .copy_from_slice(data);
        Ok(())
    }
}

/// Largest sector size the formatter handles.
pub const MAX_SECTOR_SIZE: usize = 4096;

/// Zeros handed to the writer in chunks (a `static`, so it lives in `.bss`, not on the stack).
static ZEROS: [u8; 16384] = [0; 16384];

/// 1980-01-01 as a FAT date (no clock in `no_std`; any valid date will do).
const LABEL_DATE: u16 = (1 << 5) | 1;

/// Formats `layout` through `writer`.
///
/// Writes the boot sector, FAT32 `FSInfo` and backups, every FAT copy, the root directory (with a volume-label entry unless the
/// label is `NO NAME`). The data area is never written. With [`Zeroed::Yes`]
/// only the handful of non-zero sectors are written.
///
/// # Errors
/// What [`Layout::validate`] reports for an inconsistent layout, or the
/// writer's error.
pub fn format<W: SectorWriter + ?Sized>(
    layout: &Layout,
    writer: &mut W,
    zeroed: Zeroed,
) -> Result<(), FormatError> {
    layout.validate()?;
    let bps = layout.bytes_per_sector as usize;
    let sector_bytes = u64::from(layout.bytes_per_sector);
    let at = |sector: u64| sector * sector_bytes;
    if !(512..=MAX_SECTOR_SIZE).contains(&bps) {
        return Err(FormatError::InvalidBytesPerSector);
    }
    // Everything the formatter writes lies in the first 512 bytes of a sector; larger
    // sectors get zeros after that. A 512-byte working buffer keeps the stack frame
    // small enough for a kernel stack (no stack probe, no `__chkstk`).
    let mut buf = [0u8; 512];
    let sector = &mut buf;
    let put_sector = |writer: &mut W, offset: u64, head: &[u8]| -> Result<(), FormatError> {
        writer.write(offset, head)?;
        if bps > 512 && zeroed == Zeroed::No {
            write_zeros(writer, offset + 512, (bps - 512) as u64)?;
        }
        Ok(())
    };
    let fat32 = layout.fat_type == FatType::Fat32;
    let root_cluster_sector = u64::from(layout.first_data_sector);
    let (root_start, root_sectors) = if fat32 {
        (root_cluster_sector, u64::from(layout.sectors_per_cluster))
    } else {
        (
            layout.root_dir_start_sector(),
            u64::from(layout.root_dir_sectors),
        )
    };

    if zeroed == Zeroed::No {
        // Everything after the boot sector up to the end of the root directory,
        // except what is written below anyway: first FAT sectors, FAT32's root cluster.
        write_zeros(
            writer,
            at(1),
            at(u64::from(layout.reserved_sector_count) - 1),
        )?;
        for index in 0..layout.num_fats {
            let start = layout.fat_start_sector(index) + 1;
            write_zeros(
                writer,
                at(start),
                at(u64::from(layout.fat_size_sectors) - 1),
            )?;
        }
        write_zeros(writer, at(root_start), at(root_sectors))?;
    }

    encode_boot_sector(layout, sector);
    put_sector(writer, 0, sector)?;
    if fat32 {
        put_sector(writer, at(u64::from(layout.backup_boot_sector)), sector)?;
        encode_fs_info(layout, sector);
        put_sector(writer, at(u64::from(layout.fs_info_sector)), sector)?;
        put_sector(writer, at(u64::from(layout.backup_boot_sector) + 1), sector)?;
    }

    encode_first_fat_sector(layout, sector);
    for index in 0..layout.num_fats {
        put_sector(writer, at(layout.fat_start_sector(index)), sector)?;
    }

    if !layout.label.is_no_name() {
        sector.fill(0);
        let label = DirEntry {
            name: *layout.label.as_bytes(),
            attr: ATTR_VOLUME_ID,
            wrt_date: U16::new(LABEL_DATE),
            ..DirEntry::new_zeroed()
        };
        let _ = label.write_to_prefix(&mut sector[..]);
        put_sector(writer, at(root_start), sector)?;
    }
    Ok(())
}

/// Writes `len` zero bytes at `offset`, in chunks (the exFAT formatter's too).
pub fn write_zeros<W: SectorWriter + ?Sized>(
    writer: &mut W,
    mut offset: u64,
    mut len: u64,
) -> Result<(), FormatError> {
    while len > 0 {
        let chunk = len.min(ZEROS.len() as u64);
        #[allow(clippy::cast_possible_truncation, reason = "chunk <= ZEROS.len()")]
        writer.write(offset, &ZEROS[..chunk as usize])?;
        offset += chunk;
        len -= chunk;
    }
    Ok(())
}

/// The first sector of a FAT: entry 0 = media byte with all high bits set,
/// entry 1 = end of chain with the clean-shutdown and no-error bits set,
/// FAT32 entry 2 = end of chain (the root directory's one cluster).
fn encode_first_fat_sector(layout: &Layout, sector: &mut [u8]) {
    sector.fill(0);
    let t = layout.fat_type;
    let media = u32::from(layout.media);
    // Entry 0: the media byte with every other bit set; entry 1: end of chain (its top
    // bits, clean shutdown and no error, set too).
    let (entry0, entry1) = match t {
        FatType::Fat12 => (0xF00 | media, 0xFFF),
        FatType::Fat16 => (0xFF00 | media, 0xFFFF),
        FatType::Fat32 => (0x0FFF_FF00 | media, 0x0FFF_FFFF),
    };
    table::set_entry(sector, t, 0, entry0);
    table::set_entry(sector, t, 1, entry1);
    if t == FatType::Fat32 {
        // The root directory's one cluster: end of chain.
        table::set_entry(sector, t, 2, 0x0FFF_FFF8);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::{FileSystem, FormatOptions, VolumeLabel, plan};
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// Records every write (offset, length, whether all zero).
    #[derive(Default)]
    struct Recorder(Vec<(u64, usize, bool)>);

    impl SectorWriter for Recorder {
        fn write(&mut self, byte_offset: u64, data: &[u8]) -> Result<(), FormatError> {
            self.0
                .push((byte_offset, data.len(), data.iter().all(|&b| b == 0)));
            Ok(())
        }
    }

    #[test]
    fn zeroed_yes_writes_only_nonzero_sectors() {
        for fs in [FileSystem::Fat12, FileSystem::Fat16, FileSystem::Fat32] {
            let mut o = FormatOptions::new(if fs == FileSystem::Fat32 {
                1 << 30
            } else {
                8 << 20
            });
            o.file_system = fs;
            let layout = plan(&o).unwrap();
            let mut rec = Recorder::default();
            format(&layout, &mut rec, Zeroed::Yes).unwrap();
            let expected = if fs == FileSystem::Fat32 {
                4 + 2 + 1
            } else {
                1 + 2 + 1
            };
            assert_eq!(rec.0.len(), expected, "{fs:?}");
            assert!(rec.0.iter().all(|&(off, len, zero)| !zero
                && len == 512
                && off < u64::from(layout.first_data_sector + layout.sectors_per_cluster) * 512));
        }
    }

    #[test]
    fn zeroed_no_covers_all_metadata_and_nothing_else() {
        let mut o = FormatOptions::new(64 << 20);
        o.label = VolumeLabel::NO_NAME;
        for (fs, bps) in [
            (FileSystem::Fat16, 512),
            (FileSystem::Fat32, 512),
            (FileSystem::Fat16, 4096),
        ] {
            o.file_system = fs;
            o.bytes_per_sector = bps;
            let layout = plan(&o).unwrap();
            let end = if fs == FileSystem::Fat32 {
                u64::from(layout.first_data_sector + layout.sectors_per_cluster)
            } else {
                u64::from(layout.first_data_sector)
            } * u64::from(bps);
            let mut image = vec![0xA5u8; usize::try_from(layout.disk_size()).unwrap()];
            format(&layout, &mut SliceWriter(&mut image), Zeroed::No).unwrap();
            let mut clean = vec![0u8; image.len()];
            format(&layout, &mut SliceWriter(&mut clean), Zeroed::Yes).unwrap();
            let end = usize::try_from(end).unwrap();
            assert_eq!(image[..end], clean[..end]);
            assert!(image[end..].iter().all(|&b| b == 0xA5));
        }
    }

    #[test]
    fn slice_writer_is_bounds_checked() {
        let mut buf = [0u8; 1024];
        let mut w = SliceWriter(&mut buf);
        assert_eq!(w.write(512, &[1; 512]), Ok(()));
        assert_eq!(w.write(513, &[1; 512]), Err(FormatError::WriteFailed));
        assert_eq!(w.write(u64::MAX, &[1]), Err(FormatError::WriteFailed));
        let mut o = FormatOptions::new(1 << 20);
        o.file_system = FileSystem::Fat12;
        let layout = plan(&o).unwrap();
        let mut small = [0u8; 4096];
        assert_eq!(
            format(&layout, &mut SliceWriter(&mut small), Zeroed::No),
            Err(FormatError::WriteFailed)
        );
    }

    #[test]
    fn rejects_inconsistent_layouts() {
        let layout = plan(&FormatOptions::new(16 << 20)).unwrap();
        let mut rec = Recorder::default();
        let mut bad = layout;
        bad.fat_size_sectors = 1;
        assert!(format(&bad, &mut rec, Zeroed::Yes).is_err());
        let mut bad = layout;
        bad.bytes_per_sector = 8192;
        assert_eq!(
            format(&bad, &mut rec, Zeroed::Yes),
            Err(FormatError::InvalidBytesPerSector)
        );
        let mut bad = layout;
        bad.cluster_count += 100;
        assert!(format(&bad, &mut rec, Zeroed::Yes).is_err());
        assert!(rec.0.is_empty());
    }
}
