//! How the disk presents itself: fixed or removable media, sector size, CHS
//! geometry and the MBR partition type that matches the file system.
//!
//! One constant, [`MEDIA`], decides fixed versus removable everywhere: the
//! FAT media byte, `DISK_GEOMETRY.MediaType`, `RemovableMedia` in the storage
//! device descriptor, `STORAGE_HOTPLUG_INFO`, and the device characteristics
//! the glue passes to `IoCreateDevice`.

use crate::fat::FatType;

/// The file system a disk holds, as far as its presentation cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VolumeKind {
    /// FAT12, FAT16 or FAT32.
    Fat(FatType),
    /// exFAT.
    Exfat,
    /// NTFS (only ever loaded from an image, never formatted).
    Ntfs,
    /// A loaded image whose boot sector this driver does not know.
    Unknown,
}

impl VolumeKind {
    /// The conventional name: `FAT12`, `FAT16`, `FAT32`, `exFAT`, `NTFS` or
    /// `unknown`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Fat(t) => t.name(),
            Self::Exfat => "exFAT",
            Self::Ntfs => "NTFS",
            Self::Unknown => "unknown",
        }
    }
}

/// Bytes per sector. The driver always presents 512-byte sectors.
pub const BYTES_PER_SECTOR: u32 = 512;

/// Whether the RAM disk presents itself as a fixed disk or removable media.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// A fixed (non-removable) disk: media byte 0xF8, `FixedMedia`.
    Fixed,
    /// Removable media: media byte 0xF0, `RemovableMedia`, `FILE_REMOVABLE_MEDIA`.
    Removable,
}

/// The driver's one choice of media kind.
pub const MEDIA: MediaKind = MediaKind::Fixed;

/// `MEDIA_TYPE` value `RemovableMedia` (winioctl.h).
pub const MEDIA_TYPE_REMOVABLE_MEDIA: u32 = 11;
/// `MEDIA_TYPE` value `FixedMedia` (winioctl.h).
pub const MEDIA_TYPE_FIXED_MEDIA: u32 = 12;
/// `FILE_REMOVABLE_MEDIA` device characteristic (wdm.h).
pub const FILE_REMOVABLE_MEDIA: u32 = 0x0000_0001;
/// `MEDIA_READ_WRITE` media characteristic (ntddstor.h).
pub const MEDIA_READ_WRITE: u32 = 0x0000_0008;
/// `MEDIA_CURRENTLY_MOUNTED` media characteristic (ntddstor.h).
pub const MEDIA_CURRENTLY_MOUNTED: u32 = 0x8000_0000;
/// `MEDIA_READ_ONLY` media characteristic (ntddstor.h).
pub const MEDIA_READ_ONLY: u32 = 0x0000_0004;
/// `MEDIA_WRITE_PROTECTED` media characteristic (ntddstor.h).
pub const MEDIA_WRITE_PROTECTED: u32 = 0x0000_0100;
/// `FILE_READ_ONLY_DEVICE` device characteristic (wdm.h).
pub const FILE_READ_ONLY_DEVICE: u32 = 0x0000_0002;

/// The four booleans of `STORAGE_HOTPLUG_INFO`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::struct_excessive_bools, reason = "mirrors the WDK structure")]
pub struct HotplugFlags {
    /// `MediaRemovable`.
    pub media_removable: bool,
    /// `MediaHotplug`.
    pub media_hotplug: bool,
    /// `DeviceHotplug`.
    pub device_hotplug: bool,
    /// `WriteCacheEnableOverride`.
    pub write_cache_enable_override: bool,
}

impl MediaKind {
    /// The FAT BPB media descriptor byte (`BPB_Media`): 0xF8 for fixed
    /// media, 0xF0 for removable media (fatgen103).
    #[must_use]
    pub const fn fat_media_byte(self) -> u8 {
        match self {
            Self::Fixed => 0xF8,
            Self::Removable => 0xF0,
        }
    }

    /// `DISK_GEOMETRY.MediaType`: `FixedMedia` (12) or `RemovableMedia` (11).
    #[must_use]
    pub const fn media_type(self) -> u32 {
        match self {
            Self::Fixed => MEDIA_TYPE_FIXED_MEDIA,
            Self::Removable => MEDIA_TYPE_REMOVABLE_MEDIA,
        }
    }

    /// `STORAGE_DEVICE_DESCRIPTOR.RemovableMedia`.
    #[must_use]
    pub const fn is_removable(self) -> bool {
        matches!(self, Self::Removable)
    }

    /// `STORAGE_HOTPLUG_INFO`: media removable only for removable media;
    /// a RAM disk is never hot-plugged and has no write cache to override.
    #[must_use]
    pub const fn hotplug(self) -> HotplugFlags {
        HotplugFlags {
            media_removable: self.is_removable(),
            media_hotplug: false,
            device_hotplug: false,
            write_cache_enable_override: false,
        }
    }

    /// The `DeviceCharacteristics` argument for `IoCreateDevice`:
    /// `FILE_REMOVABLE_MEDIA` for removable media, otherwise 0.
    #[must_use]
    pub const fn device_characteristics(self) -> u32 {
        match self {
            Self::Fixed => 0,
            Self::Removable => FILE_REMOVABLE_MEDIA,
        }
    }

    /// `DEVICE_MEDIA_INFO.DiskInfo.MediaCharacteristics`: mounted, read/write.
    #[must_use]
    pub const fn media_characteristics(self) -> u32 {
        MEDIA_CURRENTLY_MOUNTED | MEDIA_READ_WRITE
    }
}

/// How a disk's memory is provisioned: what the TRIM and thin-provisioning
/// properties report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Provisioning {
    /// All memory at load (`Allocation` fixed): no thin provisioning; TRIM only
    /// zeroes.
    #[default]
    Full,
    /// Memory on first write, given back by TRIM (`Allocation` dynamic).
    Thin {
        /// Bytes per allocation unit (the store's chunk): the unmap granularity.
        granularity: u64,
    },
}

/// Everything the IOCTL replies say about the disk.
///
/// Build it with [`DiskInfo::new`] or [`DiskInfo::with_volume`]; the fields are public
/// for reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DiskInfo {
    /// The real size of the disk in bytes (`GET_LENGTH_INFORMATION.Length`).
    pub disk_size: u64,
    /// Bytes per sector ([`BYTES_PER_SECTOR`]).
    pub bytes_per_sector: u32,
    /// The file system the volume was formatted with.
    pub volume: VolumeKind,
    /// Fixed or removable ([`MEDIA`]).
    pub media: MediaKind,
    /// `DISK_GEOMETRY.Cylinders`; `cylinders * tracks_per_cylinder *
    /// sectors_per_track * bytes_per_sector <= disk_size`.
    pub cylinders: u64,
    /// `DISK_GEOMETRY.TracksPerCylinder` (heads).
    pub tracks_per_cylinder: u32,
    /// `DISK_GEOMETRY.SectorsPerTrack`.
    pub sectors_per_track: u32,
    /// The MBR partition type byte for the volume.
    pub partition_type: u8,
    /// Fixed or thin provisioning ([`DiskInfo::thin`]; [`Provisioning::Full`] from
    /// [`DiskInfo::new`] and [`DiskInfo::with_volume`]).
    pub provisioning: Provisioning,
    /// `ReadOnly=1` ([`DiskInfo::write_protected`]): writes, TRIM and
    /// `SET_PARTITION_INFO` fail with `STATUS_MEDIA_WRITE_PROTECTED`.
    pub read_only: bool,
}

/// Heads and sectors per track for disks of at least one such cylinder
/// (32 KiB): the classic RAM disk presentation, which divides every size that
/// is a multiple of 32 KiB exactly.
const HEADS: u32 = 2;
/// See [`HEADS`].
const SECTORS_PER_TRACK: u32 = 32;

/// `(heads, sectors per track)` presented for a disk of `disk_size` bytes.
///
/// 2 × 32 (32 KiB cylinders), or 1 × 1 below one such cylinder so that `Cylinders`
/// counts sectors. One source for `DISK_GEOMETRY` and the boot sector's BPB, so both agree.
#[must_use]
pub const fn heads_and_sectors_per_track(disk_size: u64) -> (u32, u32) {
    let cylinder = (HEADS * SECTORS_PER_TRACK) as u64 * BYTES_PER_SECTOR as u64;
    if disk_size >= cylinder {
        (HEADS, SECTORS_PER_TRACK)
    } else {
        (1, 1)
    }
}

/// `PARTITION_FAT_12`.
pub const PARTITION_FAT_12: u8 = 0x01;
/// `PARTITION_FAT_16` (FAT16 with fewer than 65536 sectors, i.e. under 32 MiB).
pub const PARTITION_FAT_16: u8 = 0x04;
/// `PARTITION_HUGE` (FAT16 of 32 MiB or more).
pub const PARTITION_HUGE: u8 = 0x06;
/// `PARTITION_FAT32_XINT13` (FAT32, LBA).
pub const PARTITION_FAT32_XINT13: u8 = 0x0C;
/// `PARTITION_IFS` (an installable file system: NTFS, exFAT).
pub const PARTITION_IFS: u8 = 0x07;

/// The MBR partition type for a FAT volume of `disk_size` bytes.
#[must_use]
pub const fn partition_type(fat_type: FatType, disk_size: u64) -> u8 {
    match fat_type {
        FatType::Fat12 => PARTITION_FAT_12,
        FatType::Fat16 if disk_size < 32 * 1024 * 1024 => PARTITION_FAT_16,
        FatType::Fat16 => PARTITION_HUGE,
        FatType::Fat32 => PARTITION_FAT32_XINT13,
    }
}

/// The MBR partition type for a volume of `kind` on `disk_size` bytes (exFAT: 0x07,
/// what Windows' format gives an exFAT partition).
#[must_use]
pub const fn volume_partition_type(kind: VolumeKind, disk_size: u64) -> u8 {
    match kind {
        VolumeKind::Fat(fat_type) => partition_type(fat_type, disk_size),
        VolumeKind::Exfat | VolumeKind::Ntfs => PARTITION_IFS,
        VolumeKind::Unknown => 0,
    }
}

impl DiskInfo {
    /// Describes a disk of `disk_size` bytes holding a `fat_type` volume
    /// ([`DiskInfo::with_volume`] for any file system).
    #[must_use]
    pub const fn new(disk_size: u64, fat_type: FatType) -> Self {
        Self::with_volume(disk_size, VolumeKind::Fat(fat_type))
    }

    /// Describes a disk of `disk_size` bytes holding a `volume` volume.
    ///
    /// Geometry: 2 heads × 32 sectors per track × 512 bytes (32 KiB per
    /// cylinder), `Cylinders = disk_size / 32 KiB`; a disk smaller than one
    /// such cylinder is presented as 1 head × 1 sector per track so that
    /// `Cylinders` counts its sectors. The geometry never claims more than
    /// `disk_size`; `IOCTL_DISK_GET_LENGTH_INFO` reports the exact size.
    #[must_use]
    pub const fn with_volume(disk_size: u64, volume: VolumeKind) -> Self {
        let (heads, spt) = heads_and_sectors_per_track(disk_size);
        let cylinder_bytes = (heads * spt) as u64 * BYTES_PER_SECTOR as u64;
        Self {
            disk_size,
            bytes_per_sector: BYTES_PER_SECTOR,
            volume,
            media: MEDIA,
            cylinders: disk_size / cylinder_bytes,
            tracks_per_cylinder: heads,
            sectors_per_track: spt,
            partition_type: volume_partition_type(volume, disk_size),
            provisioning: Provisioning::Full,
            read_only: false,
        }
    }

    /// The same disk, write-protected (`ReadOnly=1`).
    #[must_use]
    pub const fn write_protected(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// `STATUS_MEDIA_WRITE_PROTECTED` for a write-protected disk: what a write, TRIM
    /// or `SET_PARTITION_INFO` fails with, and `IS_WRITABLE`'s answer.
    #[must_use]
    pub const fn refuse_write(&self) -> Option<i32> {
        if self.read_only {
            Some(crate::status::STATUS_MEDIA_WRITE_PROTECTED)
        } else {
            None
        }
    }

    /// `DEVICE_MEDIA_INFO.DiskInfo.MediaCharacteristics`: mounted, and read/write or
    /// read-only and write-protected.
    #[must_use]
    pub const fn media_characteristics(&self) -> u32 {
        if self.read_only {
            MEDIA_CURRENTLY_MOUNTED | MEDIA_READ_ONLY | MEDIA_WRITE_PROTECTED
        } else {
            self.media.media_characteristics()
        }
    }

    /// The `DeviceCharacteristics` argument for `IoCreateDevice`: the media's, and
    /// `FILE_READ_ONLY_DEVICE` for a write-protected disk.
    #[must_use]
    pub const fn device_characteristics(&self) -> u32 {
        let media = self.media.device_characteristics();
        if self.read_only {
            media | FILE_READ_ONLY_DEVICE
        } else {
            media
        }
    }

    /// The same disk, thin-provisioned in units of `granularity` bytes.
    #[must_use]
    pub const fn thin(mut self, granularity: u64) -> Self {
        self.provisioning = Provisioning::Thin { granularity };
        self
    }

    /// The disk size as a `LARGE_INTEGER`, saturated at `i64::MAX`.
    #[must_use]
    pub const fn disk_size_i64(&self) -> i64 {
        saturate_i64(self.disk_size)
    }

    /// `Cylinders` as a `LARGE_INTEGER`, saturated at `i64::MAX`.
    #[must_use]
    pub const fn cylinders_i64(&self) -> i64 {
        saturate_i64(self.cylinders)
    }
}

/// `u64` to `i64`, saturating.
const fn saturate_i64(value: u64) -> i64 {
    if value > i64::MAX as u64 {
        i64::MAX
    } else {
        value.cast_signed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn fixed_media_presentation() {
        assert_eq!(MEDIA, MediaKind::Fixed);
        assert_eq!(MEDIA.fat_media_byte(), 0xF8);
        assert_eq!(MEDIA.media_type(), 12);
        assert!(!MEDIA.is_removable());
        assert_eq!(MEDIA.device_characteristics(), 0);
        assert_eq!(
            MEDIA.hotplug(),
            HotplugFlags {
                media_removable: false,
                media_hotplug: false,
                device_hotplug: false,
                write_cache_enable_override: false
            }
        );
        assert_eq!(MEDIA.media_characteristics(), 0x8000_0008);
    }

    #[test]
    fn removable_media_presentation() {
        let r = MediaKind::Removable;
        assert_eq!(r.fat_media_byte(), 0xF0);
        assert_eq!(r.media_type(), 11);
        assert!(r.is_removable());
        assert_eq!(r.device_characteristics(), 1);
        assert!(r.hotplug().media_removable);
        assert!(!r.hotplug().device_hotplug);
    }

    #[test]
    fn partition_types() {
        assert_eq!(partition_type(FatType::Fat12, MIB), 0x01);
        assert_eq!(partition_type(FatType::Fat16, 32 * MIB - 512), 0x04);
        assert_eq!(partition_type(FatType::Fat16, 32 * MIB), 0x06);
        assert_eq!(partition_type(FatType::Fat16, 2048 * MIB), 0x06);
        assert_eq!(partition_type(FatType::Fat32, 64 * MIB), 0x0C);
        assert_eq!(volume_partition_type(VolumeKind::Exfat, 64 * MIB), 0x07);
        assert_eq!(
            volume_partition_type(VolumeKind::Fat(FatType::Fat16), 64 * MIB),
            0x06
        );
        let d = DiskInfo::with_volume(256 << 30, VolumeKind::Exfat);
        assert_eq!((d.partition_type, d.volume), (0x07, VolumeKind::Exfat));
        assert_eq!(
            DiskInfo::new(MIB, FatType::Fat12).volume,
            VolumeKind::Fat(FatType::Fat12)
        );
    }

    #[test]
    fn geometry_one_mib() {
        let d = DiskInfo::new(MIB, FatType::Fat12);
        assert_eq!(d.bytes_per_sector, 512);
        assert_eq!(
            (d.cylinders, d.tracks_per_cylinder, d.sectors_per_track),
            (32, 2, 32)
        );
        assert_eq!(d.partition_type, 0x01);
        assert_eq!(d.media, MediaKind::Fixed);
        assert_eq!(d.disk_size_i64(), 1 << 20);
    }

    #[test]
    fn geometry_never_exceeds_size_and_is_never_empty() {
        for sectors in (1..200u64).chain([2047, 2048, 2049, 65535, 65536, 1 << 32, (1 << 54) + 7]) {
            let size = sectors * 512;
            let d = DiskInfo::new(size, FatType::Fat16);
            let cyl = u64::from(d.tracks_per_cylinder * d.sectors_per_track * d.bytes_per_sector);
            assert!(d.cylinders * cyl <= size, "{size}");
            assert!(
                size - d.cylinders * cyl < cyl,
                "{size}: wastes a whole cylinder"
            );
            assert!(d.cylinders >= 1, "{size}");
        }
    }

    #[test]
    fn huge_sizes_saturate() {
        let d = DiskInfo::new(u64::MAX, FatType::Fat32);
        assert_eq!(d.disk_size_i64(), i64::MAX);
        assert!(d.cylinders_i64() > 0);
        let zero = DiskInfo::new(0, FatType::Fat12);
        assert_eq!(zero.cylinders, 0);
    }
}
