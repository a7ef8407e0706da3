//! Sector 0 of the disk as `info` reads it.
//!
//! `ramdisk-core`'s `fat::BootSector` and `exfat::BootSector` are the one decoder of
//! each boot sector (for the driver's tests, the judges and this tool); this picks one
//! by the file system name and adds the sentence `info` shows when the disk holds
//! neither.

use ramdisk_core::exfat;
use ramdisk_core::fat::BootSector;
use ramdisk_core::fat::table::bytes_needed;
use ramdisk_core::wire::fat::BOOT_SIGNATURE;

/// A decoded boot sector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Volume {
    /// FAT12/16/32.
    Fat(BootSector),
    /// exFAT (`FileSystemName` `EXFAT   `).
    Exfat(exfat::BootSector),
}

/// Interprets sector 0 as an exFAT boot sector when it names exFAT, else as a FAT one.
///
/// # Errors
/// A sentence when the sector is neither (no 0x55AA signature, or fields that
/// `ramdisk-core` refuses).
pub fn parse_boot_sector(sector: &[u8]) -> Result<Volume, String> {
    if sector.get(510..512) != Some(&BOOT_SIGNATURE[..]) {
        return Err("sector 0 has no boot signature (55 AA): not a FAT or exFAT volume".into());
    }
    if exfat::is_exfat(sector) {
        return exfat::BootSector::parse(sector)
            .map(Volume::Exfat)
            .map_err(|e| format!("sector 0 is not a usable exFAT boot sector ({e:?})"));
    }
    BootSector::parse(sector)
        .map(Volume::Fat)
        .map_err(|e| format!("sector 0 is not a usable FAT boot sector ({e:?})"))
}

/// Sector 0 as a FAT boot sector; an exFAT volume is refused by name (the callers
/// read FAT structures).
///
/// # Errors
/// What [`parse_boot_sector`] says, or that the volume is exFAT.
pub fn parse_fat_boot_sector(sector: &[u8]) -> Result<BootSector, String> {
    match parse_boot_sector(sector)? {
        Volume::Fat(b) => Ok(b),
        Volume::Exfat(_) => Err("the disk holds exFAT, which this check does not read yet".into()),
    }
}

/// Where the first FAT's entries lie on the disk: its byte offset, and the bytes
/// that hold an entry for every cluster (whole sectors, at most the FAT's size).
/// `None` when that does not fit in memory.
#[must_use]
pub fn fat_span(v: &BootSector) -> Option<(u64, usize)> {
    let bps = u64::from(v.bytes_per_sector.max(1));
    let need = bytes_needed(v.fat_type, v.cluster_count).min(v.fat_bytes());
    let len = usize::try_from(need.div_ceil(bps) * bps).ok()?;
    Some((v.fat_offset(), len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ramdisk_core::fat::table::{bytes_needed as fat_bytes_needed, count_free, fs_info_free};
    use ramdisk_core::fat::{
        FatType, FileSystem, FormatOptions, SliceWriter, VolumeLabel, Zeroed, format, plan,
    };

    fn image(size: u64, fs: FileSystem, spc: u32, label: &[u8]) -> Vec<u8> {
        let mut o = FormatOptions::new(size);
        o.file_system = fs;
        o.sectors_per_cluster = spc;
        o.volume_serial = 0xCAFE_F00D;
        o.label = VolumeLabel::parse(label).unwrap();
        let layout = plan(&o).unwrap();
        let mut img = vec![0u8; usize::try_from(size).unwrap()];
        format(&layout, &mut SliceWriter(&mut img), Zeroed::Yes).unwrap();
        img
    }

    #[test]
    fn boot_sector_fields() {
        for (size, fs, spc, want) in [
            (1u64 << 20, FileSystem::Fat12, 0, FatType::Fat12),
            (16 << 20, FileSystem::Fat16, 4, FatType::Fat16),
            (64 << 20, FileSystem::Fat32, 1, FatType::Fat32),
        ] {
            let img = image(size, fs, spc, b"Test Vol");
            let Ok(Volume::Fat(v)) = parse_boot_sector(&img[..512]) else {
                panic!("not FAT")
            };
            assert_eq!(v.fat_type, want);
            assert_eq!(v.label_text(), b"TEST VOL");
            assert_eq!(v.serial(), Some(0xCAFE_F00D));
            assert_eq!(v.bytes_per_sector, 512);
            if spc != 0 {
                assert_eq!(u32::from(v.sectors_per_cluster), spc);
            }
            assert_eq!(u64::from(v.total_sectors) * 512, size);
            assert_eq!(v.num_fats, 2);
            assert_eq!(v.fs_info_offset().is_some(), want == FatType::Fat32);
            // A fresh volume: everything but the FAT32 root cluster is free.
            let fat = &img[usize::try_from(v.fat_offset()).unwrap()..]
                [..usize::try_from(v.fat_bytes()).unwrap()];
            let free = count_free(fat, v.fat_type, v.cluster_count);
            let (at, len) = fat_span(&v).unwrap();
            assert_eq!(at, v.fat_offset());
            assert!(len as u64 <= v.fat_bytes() && len % 512 == 0);
            let span = &img[usize::try_from(at).unwrap()..][..len];
            assert_eq!(count_free(span, v.fat_type, v.cluster_count), free);
            let used = u32::from(want == FatType::Fat32);
            assert_eq!(free, v.cluster_count - used);
            if let Some(at) = v.fs_info_offset() {
                let s = &img[usize::try_from(at).unwrap()..][..512];
                assert_eq!(fs_info_free(s), Some(free));
            }
            assert!(fat_bytes_needed(v.fat_type, v.cluster_count) <= v.fat_bytes());
            assert_eq!(v.cluster_bytes(), u64::from(v.sectors_per_cluster) * 512);
        }
    }

    #[test]
    fn exfat_boot_sector_and_root() {
        let mut o = FormatOptions::new(64 << 20);
        o.file_system = FileSystem::Exfat;
        o.volume_serial = 0x0BAD_CAFE;
        o.exfat_label = exfat::Label::from_ascii(b"Mixed Case").unwrap();
        let layout = exfat::plan(&o).unwrap();
        let mut img = vec![0u8; 64 << 20];
        exfat::format(&layout, &mut SliceWriter(&mut img), Zeroed::Yes).unwrap();
        let Ok(Volume::Exfat(v)) = parse_boot_sector(&img[..512]) else {
            panic!("not exFAT")
        };
        assert_eq!(v.volume_serial, 0x0BAD_CAFE);
        assert_eq!(v.cluster_bytes(), 4096);
        assert_eq!(v.cluster_count, layout.cluster_count);
        let mut broken = img[..512].to_vec();
        broken[108] = 20;
        assert!(
            parse_boot_sector(&broken)
                .unwrap_err()
                .contains("not a usable exFAT boot sector")
        );
    }

    #[test]
    fn not_fat() {
        assert!(parse_boot_sector(&[0u8; 512]).is_err());
        assert!(parse_boot_sector(&[0u8; 100]).is_err());
        let mut s = [0u8; 512];
        s[510] = 0x55;
        s[511] = 0xAA;
        assert!(parse_boot_sector(&s).is_err());
        assert_eq!(fs_info_free(&[0u8; 512]), None);
        assert_eq!(fs_info_free(&[0u8; 10]), None);
    }
}
