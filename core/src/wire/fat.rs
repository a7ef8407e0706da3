//! FAT on-disk structures (Microsoft's FAT specification, fatgen103).
//!
//! The BIOS parameter block, the FAT12/16 and FAT32 boot sectors, `FSInfo`, directory
//! entries. Field names are the spec's (`BPB_BytsPerSec` → `byts_per_sec`).

use super::{U16, U32};

wire! {
    /// The BPB common to every FAT type: bytes 0..36 of the boot sector.
    pub struct Bpb [36] {
        /// `BS_jmpBoot`.
        pub jmp_boot: [u8; 3] = 0,
        /// `BS_OEMName`.
        pub oem_name: [u8; 8] = 3,
        /// `BPB_BytsPerSec`.
        pub byts_per_sec: U16 = 11,
        /// `BPB_SecPerClus`.
        pub sec_per_clus: u8 = 13,
        /// `BPB_RsvdSecCnt`.
        pub rsvd_sec_cnt: U16 = 14,
        /// `BPB_NumFATs`.
        pub num_fats: u8 = 16,
        /// `BPB_RootEntCnt`.
        pub root_ent_cnt: U16 = 17,
        /// `BPB_TotSec16`.
        pub tot_sec16: U16 = 19,
        /// `BPB_Media`.
        pub media: u8 = 21,
        /// `BPB_FATSz16` (0 on FAT32).
        pub fat_sz16: U16 = 22,
        /// `BPB_SecPerTrk`.
        pub sec_per_trk: U16 = 24,
        /// `BPB_NumHeads`.
        pub num_heads: U16 = 26,
        /// `BPB_HiddSec`.
        pub hidd_sec: U32 = 28,
        /// `BPB_TotSec32`.
        pub tot_sec32: U32 = 32,
    }
}

wire! {
    /// The extended boot record fields both tails end with (26 bytes).
    pub struct ExtendedBootRecord [26] {
        /// `BS_DrvNum`.
        pub drv_num: u8 = 0,
        /// `BS_Reserved1`.
        pub reserved1: u8 = 1,
        /// `BS_BootSig` (0x29: the next three fields are valid).
        pub boot_sig: u8 = 2,
        /// `BS_VolID`.
        pub vol_id: U32 = 3,
        /// `BS_VolLab`.
        pub vol_lab: [u8; 11] = 7,
        /// `BS_FilSysType` (informational only).
        pub fil_sys_type: [u8; 8] = 18,
    }
}

wire! {
    /// The FAT32 BPB fields after the common BPB (bytes 36..64).
    pub struct Fat32Bpb [28] {
        /// `BPB_FATSz32`.
        pub fat_sz32: U32 = 0,
        /// `BPB_ExtFlags`.
        pub ext_flags: U16 = 4,
        /// `BPB_FSVer`.
        pub fs_ver: U16 = 6,
        /// `BPB_RootClus`.
        pub root_clus: U32 = 8,
        /// `BPB_FSInfo`.
        pub fs_info: U16 = 12,
        /// `BPB_BkBootSec`.
        pub bk_boot_sec: U16 = 14,
        /// `BPB_Reserved`.
        pub reserved: [u8; 12] = 16,
    }
}

/// The boot sector's last two bytes (`0x55`, `0xAA` at 510 and 511).
pub const BOOT_SIGNATURE: [u8; 2] = [0x55, 0xAA];

wire! {
    /// A FAT12/16 boot sector (its first 512 bytes).
    pub struct Fat16BootSector [512] {
        /// Bytes 0..36.
        pub bpb: Bpb = 0,
        /// Bytes 36..62.
        pub ebr: ExtendedBootRecord = 36,
        /// Boot code.
        pub boot_code: [u8; 448] = 62,
        /// [`BOOT_SIGNATURE`].
        pub signature: [u8; 2] = 510,
    }
}

wire! {
    /// A FAT32 boot sector (its first 512 bytes).
    pub struct Fat32BootSector [512] {
        /// Bytes 0..36.
        pub bpb: Bpb = 0,
        /// Bytes 36..64.
        pub bpb32: Fat32Bpb = 36,
        /// Bytes 64..90.
        pub ebr: ExtendedBootRecord = 64,
        /// Boot code.
        pub boot_code: [u8; 420] = 90,
        /// [`BOOT_SIGNATURE`].
        pub signature: [u8; 2] = 510,
    }
}

/// `FSI_LeadSig`.
pub const FSI_LEAD_SIG: u32 = 0x4161_5252;
/// `FSI_StrucSig`.
pub const FSI_STRUC_SIG: u32 = 0x6141_7272;
/// `FSI_TrailSig`.
pub const FSI_TRAIL_SIG: u32 = 0xAA55_0000;
/// `FSI_Free_Count` / `FSI_Nxt_Free` when unknown.
pub const FSI_UNKNOWN: u32 = 0xFFFF_FFFF;

wire! {
    /// The FAT32 `FSInfo` sector (512 bytes).
    pub struct FsInfo [512] {
        /// `FSI_LeadSig` ([`FSI_LEAD_SIG`]).
        pub lead_sig: U32 = 0,
        /// `FSI_Reserved1`.
        pub reserved1: [u8; 480] = 4,
        /// `FSI_StrucSig` ([`FSI_STRUC_SIG`]).
        pub struc_sig: U32 = 484,
        /// `FSI_Free_Count`.
        pub free_count: U32 = 488,
        /// `FSI_Nxt_Free`.
        pub nxt_free: U32 = 492,
        /// `FSI_Reserved2`.
        pub reserved2: [u8; 12] = 496,
        /// `FSI_TrailSig` ([`FSI_TRAIL_SIG`]).
        pub trail_sig: U32 = 508,
    }
}

impl FsInfo {
    /// Whether the three signatures are right.
    #[must_use]
    pub const fn signatures_valid(&self) -> bool {
        self.lead_sig.get() == FSI_LEAD_SIG
            && self.struc_sig.get() == FSI_STRUC_SIG
            && self.trail_sig.get() == FSI_TRAIL_SIG
    }
}

/// `ATTR_VOLUME_ID`: the directory entry holds the volume label.
pub const ATTR_VOLUME_ID: u8 = 0x08;

wire! {
    /// A short (8.3) directory entry (32 bytes).
    pub struct DirEntry [32] {
        /// `DIR_Name`.
        pub name: [u8; 11] = 0,
        /// `DIR_Attr`.
        pub attr: u8 = 11,
        /// `DIR_NTRes`.
        pub nt_res: u8 = 12,
        /// `DIR_CrtTimeTenth`.
        pub crt_time_tenth: u8 = 13,
        /// `DIR_CrtTime`.
        pub crt_time: U16 = 14,
        /// `DIR_CrtDate`.
        pub crt_date: U16 = 16,
        /// `DIR_LstAccDate`.
        pub lst_acc_date: U16 = 18,
        /// `DIR_FstClusHI`.
        pub fst_clus_hi: U16 = 20,
        /// `DIR_WrtTime`.
        pub wrt_time: U16 = 22,
        /// `DIR_WrtDate`.
        pub wrt_date: U16 = 24,
        /// `DIR_FstClusLO`.
        pub fst_clus_lo: U16 = 26,
        /// `DIR_FileSize`.
        pub file_size: U32 = 28,
    }
}
