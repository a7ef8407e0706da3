//! Boot sector (BPB) encoding and decoding, `FSInfo` encoding.

use super::{FatType, FormatError, Layout};

/// OEM name written to new volumes (the spec's recommended value).
pub const OEM_NAME: [u8; 8] = *b"MSWIN4.1";

/// Boot code for a non-bootable volume: `cli; hlt; jmp $-2`.
const BOOT_CODE: [u8; 4] = [0xFA, 0xF4, 0xEB, 0xFD];

fn put16(buf: &mut [u8], at: usize, value: u16) {
    if let Some(dst) = buf.get_mut(at..at + 2) {
        dst.copy_from_slice(&value.to_le_bytes());
    }
}

fn put32(buf: &mut [u8], at: usize, value: u32) {
    if let Some(dst) = buf.get_mut(at..at + 4) {
        dst.copy_from_slice(&value.to_le_bytes());
    }
}

fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = buf.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}

fn get16(buf: &[u8], at: usize) -> u16 {
    buf.get(at..at + 2)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
}

fn get32(buf: &[u8], at: usize) -> u32 {
    buf.get(at..at + 4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn get_array<const N: usize>(buf: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    if let Some(src) = buf.get(at..at + N) {
        out.copy_from_slice(src);
    }
    out
}

/// Writes the boot sector of `layout` into `sector` (which is cleared first).
///
/// `sector` should be `bytes_per_sector` long; bytes beyond 512 stay zero.
/// Numbers that do not fit their BPB fields are truncated: call
/// [`Layout::validate`] first.
#[allow(
    clippy::cast_possible_truncation,
    reason = "a validated layout fits its BPB fields (see the doc comment)"
)]
pub fn encode_boot_sector(layout: &Layout, sector: &mut [u8]) {
    sector.fill(0);
    let fat32 = layout.fat_type == FatType::Fat32;
    put(sector, 0, &[0xEB, if fat32 { 0x58 } else { 0x3C }, 0x90]);
    put(sector, 3, &OEM_NAME);
    put16(sector, 11, layout.bytes_per_sector as u16);
    put(sector, 13, &[layout.sectors_per_cluster as u8]);
    put16(sector, 14, layout.reserved_sector_count as u16);
    put(sector, 16, &[layout.num_fats]);
    put16(sector, 17, layout.root_entry_count as u16);
    let total = layout.total_sectors as u32;
    if !fat32 && total < 0x1_0000 {
        put16(sector, 19, total as u16);
    } else {
        put32(sector, 32, total);
    }
    put(sector, 21, &[layout.media]);
    if !fat32 {
        put16(sector, 22, layout.fat_size_sectors as u16);
    }
    // The same CHS presentation IOCTL_DISK_GET_DRIVE_GEOMETRY reports.
    let (heads, spt) = crate::geometry::heads_and_sectors_per_track(layout.disk_size());
    put16(sector, 24, spt as u16);
    put16(sector, 26, heads as u16);
    // 28: hidden sectors = 0 (the RAM disk is not partitioned).
    let ext = if fat32 {
        put32(sector, 36, layout.fat_size_sectors);
        // 40: ExtFlags 0 (all FATs mirrored), 42: FSVer 0.0
        put32(sector, 44, layout.root_cluster);
        put16(sector, 48, layout.fs_info_sector as u16);
        put16(sector, 50, layout.backup_boot_sector as u16);
        64
    } else {
        36
    };
    put(sector, ext, &[0x80, 0x00, 0x29]); // drive number, reserved (clean), ext. boot signature
    put32(sector, ext + 3, layout.volume_serial);
    put(sector, ext + 7, layout.label.as_bytes());
    let fs_type: &[u8; 8] = match layout.fat_type {
        FatType::Fat12 => b"FAT12   ",
        FatType::Fat16 => b"FAT16   ",
        FatType::Fat32 => b"FAT32   ",
    };
    put(sector, ext + 18, fs_type);
    put(sector, ext + 26, &BOOT_CODE);
    put(sector, 510, &[0x55, 0xAA]);
}

/// Writes the FAT32 `FSInfo` sector of `layout` into `sector` (cleared first).
pub fn encode_fs_info(layout: &Layout, sector: &mut [u8]) {
    sector.fill(0);
    put32(sector, 0, 0x4161_5252);
    put32(sector, 484, 0x6141_7272);
    put32(sector, 488, layout.free_clusters());
    put32(sector, 492, layout.root_cluster.wrapping_add(1));
    put32(sector, 508, 0xAA55_0000);
}

/// A decoded boot sector: the raw BPB fields plus derived values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BootSector {
    /// `BS_jmpBoot`.
    pub jump: [u8; 3],
    /// `BS_OEMName`.
    pub oem_name: [u8; 8],
    /// `BPB_BytsPerSec`.
    pub bytes_per_sector: u16,
    /// `BPB_SecPerClus`.
    pub sectors_per_cluster: u8,
    /// `BPB_RsvdSecCnt`.
    pub reserved_sector_count: u16,
    /// `BPB_NumFATs`.
    pub num_fats: u8,
    /// `BPB_RootEntCnt`.
    pub root_entry_count: u16,
    /// `BPB_TotSec16`.
    pub total_sectors_16: u16,
    /// `BPB_Media`.
    pub media: u8,
    /// `BPB_FATSz16` (0 means a FAT32 BPB).
    pub fat_size_16: u16,
    /// `BPB_SecPerTrk`.
    pub sectors_per_track: u16,
    /// `BPB_NumHeads`.
    pub num_heads: u16,
    /// `BPB_HiddSec`.
    pub hidden_sectors: u32,
    /// `BPB_TotSec32`.
    pub total_sectors_32: u32,
    /// `BPB_FATSz32` (FAT32 BPB only, else 0).
    pub fat_size_32: u32,
    /// `BPB_ExtFlags` (FAT32 BPB only, else 0).
    pub ext_flags: u16,
    /// `BPB_FSVer` (FAT32 BPB only, else 0).
    pub fs_version: u16,
    /// `BPB_RootClus` (FAT32 BPB only, else 0).
    pub root_cluster: u32,
    /// `BPB_FSInfo` (FAT32 BPB only, else 0).
    pub fs_info_sector: u16,
    /// `BPB_BkBootSec` (FAT32 BPB only, else 0).
    pub backup_boot_sector: u16,
    /// `BS_DrvNum`.
    pub drive_number: u8,
    /// `BS_BootSig` (0x29 when the next three fields are valid).
    pub boot_signature: u8,
    /// `BS_VolID`.
    pub volume_serial: u32,
    /// `BS_VolLab`.
    pub label: [u8; 11],
    /// `BS_FilSysType` (informational only).
    pub fs_type_text: [u8; 8],
    /// Bytes 510..512 as little-endian (0xAA55 when valid).
    pub signature: u16,
    /// Total sectors from whichever field is used.
    pub total_sectors: u32,
    /// Sectors per FAT from whichever field is used.
    pub fat_size_sectors: u32,
    /// Sectors of the FAT12/16 root directory.
    pub root_dir_sectors: u32,
    /// First data sector.
    pub first_data_sector: u32,
    /// Data clusters.
    pub cluster_count: u32,
    /// The type as `FastFAT` decides it: FAT32 when `BPB_FATSz16` is 0, else
    /// FAT12 below 4087 clusters and FAT16 from there.
    pub fat_type: FatType,
}

impl BootSector {
    /// Decodes a boot sector.
    ///
    /// # Errors
    /// [`FormatError::InvalidBootSector`] when `sector` is shorter than 512 bytes,
    /// bytes per sector or sectors per cluster is 0, or the regions do not fit
    /// in the total sector count.
    pub fn parse(sector: &[u8]) -> Result<Self, FormatError> {
        if sector.len() < 512 {
            return Err(FormatError::InvalidBootSector);
        }
        let byte = |at: usize| sector.get(at).copied().unwrap_or(0);
        let fat_size_16 = get16(sector, 22);
        let fat32 = fat_size_16 == 0;
        let ext = if fat32 { 64 } else { 36 };
        let mut bs = Self {
            jump: get_array(sector, 0),
            oem_name: get_array(sector, 3),
            bytes_per_sector: get16(sector, 11),
            sectors_per_cluster: byte(13),
            reserved_sector_count: get16(sector, 14),
            num_fats: byte(16),
            root_entry_count: get16(sector, 17),
            total_sectors_16: get16(sector, 19),
            media: byte(21),
            fat_size_16,
            sectors_per_track: get16(sector, 24),
            num_heads: get16(sector, 26),
            hidden_sectors: get32(sector, 28),
            total_sectors_32: get32(sector, 32),
            fat_size_32: 0,
            ext_flags: 0,
            fs_version: 0,
            root_cluster: 0,
            fs_info_sector: 0,
            backup_boot_sector: 0,
            drive_number: byte(ext),
            boot_signature: byte(ext + 2),
            volume_serial: get32(sector, ext + 3),
            label: get_array(sector, ext + 7),
            fs_type_text: get_array(sector, ext + 18),
            signature: get16(sector, 510),
            total_sectors: 0,
            fat_size_sectors: 0,
            root_dir_sectors: 0,
            first_data_sector: 0,
            cluster_count: 0,
            fat_type: FatType::Fat32,
        };
        if fat32 {
            bs.fat_size_32 = get32(sector, 36);
            bs.ext_flags = get16(sector, 40);
            bs.fs_version = get16(sector, 42);
            bs.root_cluster = get32(sector, 44);
            bs.fs_info_sector = get16(sector, 48);
            bs.backup_boot_sector = get16(sector, 50);
        }
        let bps = u32::from(bs.bytes_per_sector);
        let spc = u32::from(bs.sectors_per_cluster);
        if bps == 0 || spc == 0 {
            return Err(FormatError::InvalidBootSector);
        }
        bs.total_sectors = if bs.total_sectors_16 == 0 {
            bs.total_sectors_32
        } else {
            u32::from(bs.total_sectors_16)
        };
        bs.fat_size_sectors = if fat32 {
            bs.fat_size_32
        } else {
            u32::from(fat_size_16)
        };
        bs.root_dir_sectors = (u32::from(bs.root_entry_count) * 32).div_ceil(bps);
        let first_data = u64::from(bs.reserved_sector_count)
            + u64::from(bs.num_fats) * u64::from(bs.fat_size_sectors)
            + u64::from(bs.root_dir_sectors);
        let total = u64::from(bs.total_sectors);
        if first_data > total {
            return Err(FormatError::InvalidBootSector);
        }
        #[allow(
            clippy::cast_possible_truncation,
            reason = "first_data <= total <= u32::MAX"
        )]
        {
            bs.first_data_sector = first_data as u32;
            bs.cluster_count = ((total - first_data) / u64::from(spc)) as u32;
        }
        bs.fat_type = if fat32 {
            FatType::Fat32
        } else if bs.cluster_count < 4087 {
            FatType::Fat12
        } else {
            FatType::Fat16
        };
        Ok(bs)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{FileSystem, FormatOptions, VolumeLabel, plan};
    use super::*;

    fn round_trip(options: &FormatOptions) {
        let layout = plan(options).unwrap();
        let mut sector = [0u8; 4096];
        let sector = &mut sector[..layout.bytes_per_sector as usize];
        encode_boot_sector(&layout, sector);
        let bs = BootSector::parse(sector).unwrap();
        assert_eq!(bs.fat_type, layout.fat_type);
        assert_eq!(u32::from(bs.bytes_per_sector), layout.bytes_per_sector);
        assert_eq!(
            u32::from(bs.sectors_per_cluster),
            layout.sectors_per_cluster
        );
        assert_eq!(
            u32::from(bs.reserved_sector_count),
            layout.reserved_sector_count
        );
        assert_eq!(bs.num_fats, layout.num_fats);
        assert_eq!(u32::from(bs.root_entry_count), layout.root_entry_count);
        assert_eq!(u64::from(bs.total_sectors), layout.total_sectors);
        assert_eq!(bs.fat_size_sectors, layout.fat_size_sectors);
        assert_eq!(bs.root_dir_sectors, layout.root_dir_sectors);
        assert_eq!(bs.first_data_sector, layout.first_data_sector);
        assert_eq!(bs.cluster_count, layout.cluster_count);
        assert_eq!(bs.media, layout.media);
        assert_eq!(&bs.label, layout.label.as_bytes());
        assert_eq!(bs.volume_serial, layout.volume_serial);
        assert_eq!(bs.root_cluster, layout.root_cluster);
        assert_eq!(u32::from(bs.fs_info_sector), layout.fs_info_sector);
        assert_eq!(u32::from(bs.backup_boot_sector), layout.backup_boot_sector);
        assert_eq!(bs.signature, 0xAA55);
        assert_eq!(bs.boot_signature, 0x29);
        assert_eq!(bs.jump[0], 0xEB);
        let fat32 = layout.fat_type == FatType::Fat32;
        assert_eq!(
            bs.total_sectors_16 != 0,
            !fat32 && layout.total_sectors < 0x1_0000
        );
        assert_eq!(bs.fat_size_16 == 0, fat32);
        assert_eq!(super::super::fastfat_accepts(sector), Ok(()));
    }

    #[test]
    fn encode_decode_round_trip() {
        for (size, fs) in [
            (1u64 << 20, FileSystem::Fat12),
            (40 << 20, FileSystem::Fat16),
            (64 << 20, FileSystem::Fat32),
            (2 << 30, FileSystem::Auto),
            ((2u64 << 40) - 512, FileSystem::Fat32),
        ] {
            let mut o = FormatOptions::new(size);
            o.file_system = fs;
            o.volume_serial = 0x1234_5678;
            o.label = VolumeLabel::parse(b"Test").unwrap();
            round_trip(&o);
            o.bytes_per_sector = 4096;
            o.num_fats = 1;
            o.media = 0xF0;
            if plan(&o).is_ok() {
                round_trip(&o);
            }
        }
    }

    #[test]
    fn parse_rejects_garbage_without_panicking() {
        assert_eq!(
            BootSector::parse(&[0; 100]),
            Err(FormatError::InvalidBootSector)
        );
        assert_eq!(
            BootSector::parse(&[0; 512]),
            Err(FormatError::InvalidBootSector)
        );
        let mut s = [0xFFu8; 512];
        assert_eq!(BootSector::parse(&s), Err(FormatError::InvalidBootSector));
        s[19] = 0;
        s[20] = 0;
        let _ = BootSector::parse(&s);
    }

    #[test]
    fn fs_info_fields() {
        let mut o = FormatOptions::new(1 << 30);
        o.file_system = FileSystem::Fat32;
        let layout = plan(&o).unwrap();
        let mut s = [0u8; 512];
        encode_fs_info(&layout, &mut s);
        assert_eq!(get32(&s, 0), 0x4161_5252);
        assert_eq!(get32(&s, 484), 0x6141_7272);
        assert_eq!(get32(&s, 488), layout.cluster_count - 1);
        assert_eq!(get32(&s, 492), 3);
        assert_eq!(&s[510..], &[0x55, 0xAA]);
    }
}
