//! `FastFAT` acceptance: the checks Windows' FAT driver makes of a boot sector
//! before it mounts a volume (`FatIsBootSectorFat` in the public `FastFAT`
//! sample). Used as a test oracle for every image we produce.

use zerocopy::FromBytes;

use crate::wire::fat::Fat32BootSector;

/// Checks `sector` (a boot sector, at least 512 bytes) the way `FastFAT` does.
///
/// # Errors
/// A short name of the first rule the sector breaks.
pub fn fastfat_accepts(sector: &[u8]) -> Result<(), &'static str> {
    let Ok((s, _)) = Fat32BootSector::read_from_prefix(sector) else {
        return Err("sector shorter than 512 bytes");
    };
    let b = s.bpb;
    let bytes_per_sector = b.byts_per_sec.get();
    let sectors_per_cluster = b.sec_per_clus;
    let reserved = b.rsvd_sec_cnt.get();
    let fats = b.num_fats;
    let root_entries = b.root_ent_cnt.get();
    let sectors = b.tot_sec16.get();
    let media = b.media;
    let sectors_per_fat = b.fat_sz16.get();
    let large_sectors = b.tot_sec32.get();
    // FAT32 BPB fields (only meaningful when sectors_per_fat is 0).
    let large_sectors_per_fat = s.bpb32.fat_sz32.get();
    let fs_version = s.bpb32.fs_ver.get();

    if !matches!(b.jmp_boot[0], 0xE9 | 0xEB | 0x49) {
        return Err("jump instruction not E9, EB or 49");
    }
    if !matches!(bytes_per_sector, 128 | 256 | 512 | 1024 | 2048 | 4096) {
        return Err("bytes per sector not a power of two in 128..=4096");
    }
    if !matches!(sectors_per_cluster, 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128) {
        return Err("sectors per cluster not a power of two in 1..=128");
    }
    if reserved == 0 {
        return Err("reserved sectors is 0");
    }
    if fats == 0 {
        return Err("number of FATs is 0");
    }
    if sectors == 0 && large_sectors == 0 {
        return Err("total sectors is 0");
    }
    if sectors_per_fat == 0 && large_sectors_per_fat == 0 {
        return Err("sectors per FAT is 0");
    }
    if sectors_per_fat == 0 && fs_version != 0 {
        return Err("FAT32 version not 0.0");
    }
    if !(media == 0xF0 || media >= 0xF8) {
        return Err("media byte not F0 or F8..FF");
    }
    if sectors_per_fat != 0 && root_entries == 0 {
        return Err("root entries is 0 on FAT12/16");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{FileSystem, FormatOptions, boot_sector::encode_boot_sector, plan};
    use super::*;

    fn good(fs: FileSystem) -> [u8; 512] {
        let mut o = FormatOptions::new(64 << 20);
        o.file_system = fs;
        let mut s = [0; 512];
        encode_boot_sector(&plan(&o).unwrap(), &mut s);
        assert_eq!(fastfat_accepts(&s), Ok(()));
        s
    }

    fn broken(fs: FileSystem, at: usize, bytes: &[u8]) -> Result<(), &'static str> {
        let mut s = good(fs);
        s[at..at + bytes.len()].copy_from_slice(bytes);
        fastfat_accepts(&s)
    }

    #[test]
    fn accepts_allowed_values() {
        for jump in [0xE9, 0xEB, 0x49] {
            assert_eq!(broken(FileSystem::Fat16, 0, &[jump]), Ok(()));
        }
        for media in [0xF0, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF] {
            assert_eq!(broken(FileSystem::Fat16, 21, &[media]), Ok(()));
        }
        for bps in [128u16, 256, 512, 1024, 2048, 4096] {
            assert_eq!(broken(FileSystem::Fat16, 11, &bps.to_le_bytes()), Ok(()));
        }
        // FAT32 has no root entries.
        assert_eq!(broken(FileSystem::Fat32, 17, &[0, 0]), Ok(()));
    }

    #[test]
    fn rejects_each_broken_field() {
        let f16 = FileSystem::Fat16;
        let f32 = FileSystem::Fat32;
        assert_eq!(
            broken(f16, 0, &[0x00]),
            Err("jump instruction not E9, EB or 49")
        );
        assert_eq!(
            broken(f16, 0, &[0x90]),
            Err("jump instruction not E9, EB or 49")
        );
        for bps in [0u16, 64, 513, 768, 8192] {
            assert_eq!(
                broken(f16, 11, &bps.to_le_bytes()),
                Err("bytes per sector not a power of two in 128..=4096")
            );
        }
        for spc in [0u8, 3, 255] {
            assert_eq!(
                broken(f16, 13, &[spc]),
                Err("sectors per cluster not a power of two in 1..=128")
            );
        }
        assert_eq!(broken(f16, 14, &[0, 0]), Err("reserved sectors is 0"));
        assert_eq!(broken(f16, 16, &[0]), Err("number of FATs is 0"));
        assert_eq!(broken(f16, 19, &[0, 0]), Ok(())); // 64 MiB uses the 32-bit field
        let mut s = good(f16);
        s[19..21].fill(0);
        s[32..36].fill(0);
        assert_eq!(fastfat_accepts(&s), Err("total sectors is 0"));
        assert_eq!(broken(f32, 36, &[0, 0, 0, 0]), Err("sectors per FAT is 0"));
        assert_eq!(broken(f32, 42, &[1, 0]), Err("FAT32 version not 0.0"));
        for media in [0x00, 0xEF, 0xF1, 0xF7] {
            assert_eq!(
                broken(f16, 21, &[media]),
                Err("media byte not F0 or F8..FF")
            );
        }
        assert_eq!(
            broken(f16, 17, &[0, 0]),
            Err("root entries is 0 on FAT12/16")
        );
        assert_eq!(
            fastfat_accepts(&[0xEB; 100]),
            Err("sector shorter than 512 bytes")
        );
    }
}
