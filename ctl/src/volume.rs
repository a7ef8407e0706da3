//! What `info` shows of the volume itself.
//!
//! The boot sector's fields (decoded by `ramdisk-core`), where the FATs and `FSInfo`
//! are. Reading FAT entries and the `FSInfo` free count is `ramdisk_core::fat::table`'s.
//!
//! Pure functions over bytes, so they are tested on the host with images made by
//! `ramdisk-core`'s own formatter.

use ramdisk_core::fat::{BootSector, FatType};
use ramdisk_core::wire::FromBytes;
use ramdisk_core::wire::fat::{BOOT_SIGNATURE, Fat16BootSector};

/// The file system facts `info` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    /// `FAT12`, `FAT16` or `FAT32` (decided from the cluster count / BPB like `FastFAT`).
    pub fs_type: FatType,
    /// The boot sector's `BS_VolLab` with trailing blanks removed.
    pub label: String,
    /// `BS_VolID`.
    pub serial: u32,
    /// `BPB_BytsPerSec`.
    pub bytes_per_sector: u32,
    /// `BPB_SecPerClus`.
    pub sectors_per_cluster: u32,
    /// Data clusters.
    pub cluster_count: u32,
    /// Total sectors of the volume.
    pub total_sectors: u32,
    /// Byte offset of the first FAT.
    pub fat_offset: u64,
    /// Bytes of one FAT.
    pub fat_bytes: u64,
    /// Byte offset of the FAT32 `FSInfo` sector, if any.
    pub fs_info_offset: Option<u64>,
    /// First data sector.
    pub first_data_sector: u32,
    /// `BPB_Media`.
    pub media: u8,
    /// `BPB_NumFATs`.
    pub num_fats: u8,
    /// `BPB_RootEntCnt` (0 on FAT32).
    pub root_entries: u16,
}

impl Volume {
    /// Bytes per cluster.
    #[must_use]
    pub const fn cluster_bytes(&self) -> u64 {
        self.bytes_per_sector as u64 * self.sectors_per_cluster as u64
    }

    /// `"FAT12"`, `"FAT16"` or `"FAT32"`.
    #[must_use]
    pub const fn fs_name(&self) -> &'static str {
        fat_name(self.fs_type)
    }
}

/// The conventional name of a FAT type.
#[must_use]
pub const fn fat_name(t: FatType) -> &'static str {
    match t {
        FatType::Fat12 => "FAT12",
        FatType::Fat16 => "FAT16",
        FatType::Fat32 => "FAT32",
    }
}

/// Interprets sector 0.
///
/// # Errors
/// A sentence when the sector is not a FAT boot sector (no 0x55AA signature, or a BPB
/// that `ramdisk-core` cannot decode).
pub fn parse_boot_sector(sector: &[u8]) -> Result<Volume, String> {
    let signed =
        Fat16BootSector::ref_from_prefix(sector).is_ok_and(|(s, _)| s.signature == BOOT_SIGNATURE);
    if !signed {
        return Err("sector 0 has no boot signature (55 AA): not a FAT volume".into());
    }
    let bs = BootSector::parse(sector)
        .map_err(|e| format!("sector 0 is not a usable FAT boot sector ({e:?})"))?;
    let bps = u64::from(bs.bytes_per_sector);
    let label = if bs.boot_signature == 0x29 {
        String::from_utf8_lossy(&bs.label).trim_end().to_string()
    } else {
        String::new()
    };
    let fs_info_offset =
        (bs.fat_type == FatType::Fat32 && bs.fs_info_sector != 0 && bs.fs_info_sector != 0xFFFF)
            .then(|| u64::from(bs.fs_info_sector) * bps);
    Ok(Volume {
        fs_type: bs.fat_type,
        label,
        serial: if bs.boot_signature == 0x29 {
            bs.volume_serial
        } else {
            0
        },
        bytes_per_sector: u32::from(bs.bytes_per_sector),
        sectors_per_cluster: u32::from(bs.sectors_per_cluster),
        cluster_count: bs.cluster_count,
        total_sectors: bs.total_sectors,
        fat_offset: u64::from(bs.reserved_sector_count) * bps,
        fat_bytes: u64::from(bs.fat_size_sectors) * bps,
        fs_info_offset,
        first_data_sector: bs.first_data_sector,
        media: bs.media,
        num_fats: bs.num_fats,
        root_entries: bs.root_entry_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ramdisk_core::fat::table::{bytes_needed as fat_bytes_needed, count_free, fs_info_free};
    use ramdisk_core::fat::{
        FileSystem, FormatOptions, SliceWriter, VolumeLabel, Zeroed, format, plan,
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
            let v = parse_boot_sector(&img[..512]).unwrap();
            assert_eq!(v.fs_type, want);
            assert_eq!(v.label, "TEST VOL");
            assert_eq!(v.serial, 0xCAFE_F00D);
            assert_eq!(v.bytes_per_sector, 512);
            if spc != 0 {
                assert_eq!(v.sectors_per_cluster, spc);
            }
            assert_eq!(u64::from(v.total_sectors) * 512, size);
            assert_eq!(v.num_fats, 2);
            assert_eq!(v.fs_info_offset.is_some(), want == FatType::Fat32);
            // A fresh volume: everything but the FAT32 root cluster is free.
            let fat = &img[usize::try_from(v.fat_offset).unwrap()..]
                [..usize::try_from(v.fat_bytes).unwrap()];
            let free = count_free(fat, v.fs_type, v.cluster_count);
            let used = u32::from(want == FatType::Fat32);
            assert_eq!(free, v.cluster_count - used);
            if let Some(at) = v.fs_info_offset {
                let s = &img[usize::try_from(at).unwrap()..][..512];
                assert_eq!(fs_info_free(s), Some(free));
            }
            assert!(fat_bytes_needed(v.fs_type, v.cluster_count) <= v.fat_bytes);
            assert_eq!(fat_name(v.fs_type), v.fs_name());
            assert_eq!(v.cluster_bytes(), u64::from(v.sectors_per_cluster) * 512);
        }
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
