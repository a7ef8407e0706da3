//! Boot sector (BPB) encoding and decoding, `FSInfo` encoding.

use zerocopy::{FromBytes, FromZeros, IntoBytes};

use super::{FatType, FormatError, Layout};
use crate::wire::fat::{
    BOOT_SIGNATURE, Bpb, ExtendedBootRecord, FSI_LEAD_SIG, FSI_STRUC_SIG, FSI_TRAIL_SIG,
    Fat16BootSector, Fat32BootSector, Fat32Bpb, FsInfo,
};
use crate::wire::{U16, U32};

/// OEM name written to new volumes (the spec's recommended value).
pub const OEM_NAME: [u8; 8] = *b"MSWIN4.1";

/// Boot code for a non-bootable volume: `cli; hlt; jmp $-2`.
const BOOT_CODE: [u8; 4] = [0xFA, 0xF4, 0xEB, 0xFD];

/// The common BPB of `layout` (bytes 0..36).
#[allow(
    clippy::cast_possible_truncation,
    reason = "a validated layout fits its BPB fields (see encode_boot_sector)"
)]
fn bpb(layout: &Layout) -> Bpb {
    let fat32 = layout.fat_type == FatType::Fat32;
    let total = layout.total_sectors as u32;
    let small = !fat32 && total < 0x1_0000;
    // The same CHS presentation IOCTL_DISK_GET_DRIVE_GEOMETRY reports.
    let (heads, spt) = crate::geometry::heads_and_sectors_per_track(layout.disk_size());
    Bpb {
        jmp_boot: [0xEB, if fat32 { 0x58 } else { 0x3C }, 0x90],
        oem_name: OEM_NAME,
        byts_per_sec: U16::new(layout.bytes_per_sector as u16),
        sec_per_clus: layout.sectors_per_cluster as u8,
        rsvd_sec_cnt: U16::new(layout.reserved_sector_count as u16),
        num_fats: layout.num_fats,
        root_ent_cnt: U16::new(layout.root_entry_count as u16),
        tot_sec16: U16::new(if small { total as u16 } else { 0 }),
        media: layout.media,
        fat_sz16: U16::new(if fat32 {
            0
        } else {
            layout.fat_size_sectors as u16
        }),
        sec_per_trk: U16::new(spt as u16),
        num_heads: U16::new(heads as u16),
        // The RAM disk is not partitioned.
        hidd_sec: U32::new(0),
        tot_sec32: U32::new(if small { 0 } else { total }),
    }
}

/// The extended boot record of `layout`: drive 0x80, clean, serial, label, type text.
const fn ebr(layout: &Layout) -> ExtendedBootRecord {
    ExtendedBootRecord {
        drv_num: 0x80,
        reserved1: 0,
        boot_sig: 0x29,
        vol_id: U32::new(layout.volume_serial),
        vol_lab: *layout.label.as_bytes(),
        fil_sys_type: *match layout.fat_type {
            FatType::Fat12 => b"FAT12   ",
            FatType::Fat16 => b"FAT16   ",
            FatType::Fat32 => b"FAT32   ",
        },
    }
}

/// Boot code (in the boot-code area, after the BPB) for a non-bootable volume.
fn boot_code<const N: usize>() -> [u8; N] {
    let mut code = [0u8; N];
    code[..BOOT_CODE.len()].copy_from_slice(&BOOT_CODE);
    code
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
    // A sector shorter than 512 bytes keeps its zeros (the callers pass whole sectors).
    if layout.fat_type == FatType::Fat32 {
        let _ = Fat32BootSector {
            bpb: bpb(layout),
            bpb32: Fat32Bpb {
                fat_sz32: U32::new(layout.fat_size_sectors),
                // All FATs mirrored, version 0.0.
                ext_flags: U16::new(0),
                fs_ver: U16::new(0),
                root_clus: U32::new(layout.root_cluster),
                fs_info: U16::new(layout.fs_info_sector as u16),
                bk_boot_sec: U16::new(layout.backup_boot_sector as u16),
                reserved: [0; 12],
            },
            ebr: ebr(layout),
            boot_code: boot_code(),
            signature: BOOT_SIGNATURE,
        }
        .write_to_prefix(sector);
    } else {
        let _ = Fat16BootSector {
            bpb: bpb(layout),
            ebr: ebr(layout),
            boot_code: boot_code(),
            signature: BOOT_SIGNATURE,
        }
        .write_to_prefix(sector);
    }
}

/// Writes the FAT32 `FSInfo` sector of `layout` into `sector` (cleared first).
pub fn encode_fs_info(layout: &Layout, sector: &mut [u8]) {
    sector.fill(0);
    let mut info = FsInfo::new_zeroed();
    info.lead_sig = U32::new(FSI_LEAD_SIG);
    info.struc_sig = U32::new(FSI_STRUC_SIG);
    info.free_count = U32::new(layout.free_clusters());
    info.nxt_free = U32::new(layout.root_cluster.wrapping_add(1));
    info.trail_sig = U32::new(FSI_TRAIL_SIG);
    let _ = info.write_to_prefix(sector);
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
        let Ok((head, _)) = Fat32BootSector::read_from_prefix(sector) else {
            return Err(FormatError::InvalidBootSector);
        };
        let Ok((head16, _)) = Fat16BootSector::read_from_prefix(sector) else {
            return Err(FormatError::InvalidBootSector);
        };
        let b = head.bpb;
        let fat32 = b.fat_sz16.get() == 0;
        let ebr = if fat32 { head.ebr } else { head16.ebr };
        let f32 = if fat32 {
            head.bpb32
        } else {
            Fat32Bpb::new_zeroed()
        };
        let mut bs = Self {
            jump: b.jmp_boot,
            oem_name: b.oem_name,
            bytes_per_sector: b.byts_per_sec.get(),
            sectors_per_cluster: b.sec_per_clus,
            reserved_sector_count: b.rsvd_sec_cnt.get(),
            num_fats: b.num_fats,
            root_entry_count: b.root_ent_cnt.get(),
            total_sectors_16: b.tot_sec16.get(),
            media: b.media,
            fat_size_16: b.fat_sz16.get(),
            sectors_per_track: b.sec_per_trk.get(),
            num_heads: b.num_heads.get(),
            hidden_sectors: b.hidd_sec.get(),
            total_sectors_32: b.tot_sec32.get(),
            fat_size_32: f32.fat_sz32.get(),
            ext_flags: f32.ext_flags.get(),
            fs_version: f32.fs_ver.get(),
            root_cluster: f32.root_clus.get(),
            fs_info_sector: f32.fs_info.get(),
            backup_boot_sector: f32.bk_boot_sec.get(),
            drive_number: ebr.drv_num,
            boot_signature: ebr.boot_sig,
            volume_serial: ebr.vol_id.get(),
            label: ebr.vol_lab,
            fs_type_text: ebr.fil_sys_type,
            signature: u16::from_le_bytes(head.signature),
            total_sectors: 0,
            fat_size_sectors: 0,
            root_dir_sectors: 0,
            first_data_sector: 0,
            cluster_count: 0,
            fat_type: FatType::Fat32,
        };
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
            u32::from(bs.fat_size_16)
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

impl BootSector {
    /// Bytes per cluster.
    #[must_use]
    pub const fn cluster_bytes(&self) -> u64 {
        self.bytes_per_sector as u64 * self.sectors_per_cluster as u64
    }

    /// Byte offset of data cluster `cluster` (≥ 2) on the volume.
    #[must_use]
    pub const fn cluster_offset(&self, cluster: u32) -> u64 {
        (self.first_data_sector as u64
            + cluster.saturating_sub(2) as u64 * self.sectors_per_cluster as u64)
            * self.bytes_per_sector as u64
    }

    /// Byte offset of the first FAT.
    #[must_use]
    pub const fn fat_offset(&self) -> u64 {
        self.reserved_sector_count as u64 * self.bytes_per_sector as u64
    }

    /// Bytes of one FAT.
    #[must_use]
    pub const fn fat_bytes(&self) -> u64 {
        self.fat_size_sectors as u64 * self.bytes_per_sector as u64
    }

    /// Byte offset of the FAT32 `FSInfo` sector, if the volume has one.
    #[must_use]
    pub const fn fs_info_offset(&self) -> Option<u64> {
        if matches!(self.fat_type, FatType::Fat32)
            && self.fs_info_sector != 0
            && self.fs_info_sector != 0xFFFF
        {
            Some(self.fs_info_sector as u64 * self.bytes_per_sector as u64)
        } else {
            None
        }
    }

    /// Whether the extended boot record's serial and label are valid (`BS_BootSig` 0x29).
    #[must_use]
    pub const fn has_volume_id(&self) -> bool {
        self.boot_signature == 0x29
    }

    /// `BS_VolID`, when valid.
    #[must_use]
    pub const fn serial(&self) -> Option<u32> {
        if self.has_volume_id() {
            Some(self.volume_serial)
        } else {
            None
        }
    }

    /// `BS_VolLab` without its trailing blanks, when valid.
    #[must_use]
    pub fn label_text(&self) -> &[u8] {
        if !self.has_volume_id() {
            return &[];
        }
        let end = self
            .label
            .iter()
            .rposition(|&c| c != b' ')
            .map_or(0, |i| i + 1);
        self.label.get(..end).unwrap_or(&[])
    }

    /// Whether bytes 510..512 are the `55 AA` signature.
    #[must_use]
    pub const fn signed(&self) -> bool {
        self.signature == u16::from_le_bytes(BOOT_SIGNATURE)
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
        let info = FsInfo::read_from_bytes(&s[..]).unwrap();
        assert!(info.signatures_valid());
        assert_eq!(info.free_count.get(), layout.cluster_count - 1);
        assert_eq!(info.nxt_free.get(), 3);
        // The byte positions as the spec gives them.
        assert_eq!(&s[0..4], b"RRaA");
        assert_eq!(&s[484..488], b"rrAa");
        assert_eq!(&s[510..], &[0x55, 0xAA]);
    }
}
