//! An existing image file's checks before a disk serves it (`FileSystem=keep`/`auto`
//! or an explicit type), and the plan of a sparse load or save.
//!
//! * [`identify`] reads the first sector: a FAT12/16/32, exFAT or NTFS volume boot
//!   sector gives the partition type the disk reports (FAT as for a formatted disk,
//!   exFAT and NTFS `0x07`); a master boot record or a GPT's protective MBR is refused
//!   (the disk would hold partitions, and the driver serves one volume); anything else
//!   is served with partition type `0x00` (the driver logs it).
//! * [`check_file_system`]: an explicit `FileSystem` must be what the image holds.
//! * [`image_disk_size`]: the one size rule. The file's size must be a non-zero
//!   multiple of 512; with `DiskSize` given it must equal it, without it the disk
//!   takes the file's size. A volume larger than the file is a truncated image.
//! * [`runs`]: which sectors a save writes and which it leaves as holes (runs of zero
//!   sectors, unallocated chunks), and which a load copies into the store.
//! * [`check_image`]: the three checks above at once, for a load.
//! * [`absent`]: what a failed open of the image means — only
//!   `STATUS_OBJECT_NAME_NOT_FOUND` with the directory present and no `<file>.new`
//!   is a new image; [`leftover_new`]: a `<file>.new` next to an image that opened
//!   (an interrupted save, logged); [`Progress`]: the load's 10 % log steps.

use core::fmt;

use crate::config::file_system_name;
use crate::fat::{BootSector, FatType, FileSystem};
use crate::geometry::{BYTES_PER_SECTOR, PARTITION_IFS, VolumeKind, volume_partition_type};
use crate::status::{
    STATUS_ACCESS_DENIED, STATUS_END_OF_FILE, STATUS_INVALID_BUFFER_SIZE,
    STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SHARING_VIOLATION,
    STATUS_SUCCESS, STATUS_UNRECOGNIZED_VOLUME, STATUS_WRONG_VOLUME,
};

/// What the first sector of an image holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImageVolume {
    /// A FAT12/16/32 volume.
    Fat(FatType),
    /// An exFAT volume.
    Exfat,
    /// An NTFS volume.
    Ntfs,
    /// No boot sector this driver knows (served with partition type 0).
    Unknown,
}

impl ImageVolume {
    /// The partition type the disk reports for this volume on a disk of `disk_size`
    /// bytes.
    #[must_use]
    pub const fn partition_type(self, disk_size: u64) -> u8 {
        match self {
            Self::Fat(fat) => volume_partition_type(VolumeKind::Fat(fat), disk_size),
            Self::Exfat => volume_partition_type(VolumeKind::Exfat, disk_size),
            Self::Ntfs => PARTITION_IFS,
            Self::Unknown => 0,
        }
    }

    /// What the disk presents the volume as.
    #[must_use]
    pub const fn kind(self) -> VolumeKind {
        match self {
            Self::Fat(fat) => VolumeKind::Fat(fat),
            Self::Exfat => VolumeKind::Exfat,
            Self::Ntfs => VolumeKind::Ntfs,
            Self::Unknown => VolumeKind::Unknown,
        }
    }

    /// The file system's name, for messages.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Fat(FatType::Fat12) => "FAT12",
            Self::Fat(FatType::Fat16) => "FAT16",
            Self::Fat(FatType::Fat32) => "FAT32",
            Self::Exfat => "exFAT",
            Self::Ntfs => "NTFS",
            Self::Unknown => "an unknown file system",
        }
    }
}

/// A partitioned image's scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Partitioning {
    /// A master boot record with a partition table.
    Mbr,
    /// A GPT (its protective MBR has a type `0xEE` entry).
    Gpt,
}

/// Why an existing image is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImageError {
    /// The file is empty.
    Empty,
    /// The file's size is not a multiple of 512.
    NotSectorMultiple {
        /// The file's size in bytes.
        file: u64,
    },
    /// `DiskSize` is given and the file has another size.
    SizeMismatch {
        /// The file's size in bytes.
        file: u64,
        /// `DiskSize`.
        disk: u64,
    },
    /// The file holds partitions, not one volume.
    Partitioned(Partitioning),
    /// The volume's boot sector claims more sectors than the file has.
    Truncated {
        /// The bytes the boot sector claims.
        volume: u64,
        /// The file's size in bytes.
        file: u64,
    },
    /// An explicit `FileSystem` that the image does not hold.
    Mismatch {
        /// `FileSystem` as given.
        requested: FileSystem,
        /// What the image holds.
        found: ImageVolume,
    },
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => f.write_str("the image file is empty"),
            Self::NotSectorMultiple { file } => write!(
                f,
                "the image file is {file} bytes, not a multiple of 512"
            ),
            Self::SizeMismatch { file, disk } => write!(
                f,
                "the image file is {file} bytes but DiskSize is {disk} (leave DiskSize out to take the file's size)"
            ),
            Self::Partitioned(Partitioning::Mbr) => f.write_str(
                "the image starts with a master boot record (a partitioned disk image); the driver serves one volume, so give it an image of the volume alone",
            ),
            Self::Partitioned(Partitioning::Gpt) => f.write_str(
                "the image starts with a GPT protective MBR (a partitioned disk image); the driver serves one volume, so give it an image of the volume alone",
            ),
            Self::Truncated { volume, file } => write!(
                f,
                "the volume's boot sector claims {volume} bytes but the image file has only {file} (truncated)"
            ),
            Self::Mismatch { requested, found } => write!(
                f,
                "FileSystem is {} but the image holds {} (use FileSystem=keep to serve it as it is)",
                file_system_name(requested),
                found.name()
            ),
        }
    }
}

impl ImageError {
    /// The status a creation refused for this reason fails with: a wrong size
    /// `STATUS_INVALID_BUFFER_SIZE`, a truncated image `STATUS_END_OF_FILE`, a
    /// partitioned one `STATUS_UNRECOGNIZED_VOLUME`, a file system other than the one
    /// asked for `STATUS_WRONG_VOLUME`.
    #[must_use]
    pub const fn status(&self) -> i32 {
        match self {
            Self::Empty | Self::NotSectorMultiple { .. } | Self::SizeMismatch { .. } => {
                STATUS_INVALID_BUFFER_SIZE
            }
            Self::Truncated { .. } => STATUS_END_OF_FILE,
            Self::Partitioned(_) => STATUS_UNRECOGNIZED_VOLUME,
            Self::Mismatch { .. } => STATUS_WRONG_VOLUME,
        }
    }
}

/// What an image that passed [`check_image`] is served as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ImageCheck {
    /// The disk's size: the file's.
    pub disk_size: u64,
    /// What the first sector holds.
    pub volume: ImageVolume,
    /// The partition type the disk reports.
    pub partition_type: u8,
}

/// The checks of a load, in order: the size rule ([`image_disk_size`]), the first
/// sector (`first`, [`identify`]), the file system asked for
/// ([`check_file_system`]). `disk_size` is `DiskSize` when given.
///
/// # Errors
/// The first [`ImageError`].
pub fn check_image(
    file: u64,
    disk_size: Option<u64>,
    requested: FileSystem,
    first: &[u8],
) -> Result<ImageCheck, ImageError> {
    let disk_size = image_disk_size(file, disk_size)?;
    let volume = identify(first, file)?;
    check_file_system(requested, volume)?;
    Ok(ImageCheck {
        disk_size,
        volume,
        partition_type: volume.partition_type(disk_size),
    })
}

/// Why an image that cannot be opened is not a new image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Absent {
    /// The file does not exist and its directory does: a new image (formatted
    /// fresh; a save creates the file).
    New,
    /// The open failed another way (path not found, access denied, sharing
    /// violation, a directory…): creation fails with this status.
    Failed(i32),
    /// The file does not exist, and its directory cannot be opened (this status).
    NoDirectory(i32),
    /// The file does not exist but `<file>.new` does: a save was interrupted before
    /// it replaced the file. Refused (`STATUS_OBJECT_NAME_COLLISION`), naming both.
    Interrupted,
}

impl Absent {
    /// The status a creation fails with (`None` for [`Absent::New`]).
    #[must_use]
    pub const fn status(self) -> Option<i32> {
        match self {
            Self::New => None,
            Self::Failed(s) | Self::NoDirectory(s) => Some(s),
            Self::Interrupted => Some(STATUS_OBJECT_NAME_COLLISION),
        }
    }
}

/// What a failed open of the image means.
///
/// `open` is the open's status, `directory()` opens the file's directory (its
/// status), `new_file()` opens `<file>.new` (its status); each is asked only when the
/// previous answer leaves the question open. Only `STATUS_OBJECT_NAME_NOT_FOUND` for the file, success
/// for the directory and `STATUS_OBJECT_NAME_NOT_FOUND` for `<file>.new` make a new
/// image; a `<file>.new` that exists in any way (opened, or refused for sharing or
/// access) is an interrupted save.
pub fn absent(
    open: i32,
    directory: impl FnOnce() -> i32,
    new_file: impl FnOnce() -> i32,
) -> Absent {
    if open != STATUS_OBJECT_NAME_NOT_FOUND {
        return Absent::Failed(open);
    }
    let dir = directory();
    if dir < 0 {
        return Absent::NoDirectory(dir);
    }
    if new_file() == STATUS_OBJECT_NAME_NOT_FOUND {
        Absent::New
    } else {
        Absent::Interrupted
    }
}

/// Whether `<file>.new` is there next to an image that opened (`probe`: the status of
/// opening it).
///
/// Such a file is a leftover of an interrupted save: the load serves `<file>`, the last
/// complete save, and logs it; the next save overwrites it. Only a status that shows a
/// file exists counts — success, or a refusal for sharing or access — so a failure to
/// ask (no pool) logs nothing.
#[must_use]
pub const fn leftover_new(probe: i32) -> bool {
    matches!(
        probe,
        STATUS_SUCCESS | STATUS_SHARING_VIOLATION | STATUS_ACCESS_DENIED
    )
}

/// Images from this size on log their load every 10 %.
pub const PROGRESS_MIN_BYTES: u64 = 64 << 20;

/// A load's progress in 10 % steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Progress {
    total: u64,
    /// The next percentage to report (10, 20, … 100); above 100 when done or off.
    next: u64,
}

impl Progress {
    /// Progress over `total` bytes: silent below [`PROGRESS_MIN_BYTES`].
    #[must_use]
    pub const fn new(total: u64) -> Self {
        Self {
            total,
            next: if total >= PROGRESS_MIN_BYTES { 10 } else { 101 },
        }
    }

    /// `done` bytes are loaded: the percentage to log when a 10 % step was crossed
    /// (the highest one crossed; each is reported once).
    pub const fn advance(&mut self, done: u64) -> Option<u64> {
        if self.next > 100 || self.total == 0 {
            return None;
        }
        // `done × 100` saturates only past 184 PB, far above any disk.
        let percent = done.saturating_mul(100) / self.total;
        if percent < self.next {
            return None;
        }
        let step = if percent > 100 {
            100
        } else {
            percent / 10 * 10
        };
        self.next = step + 10;
        Some(step)
    }
}

/// Whether sector `sector` of `buffer` (512-byte sectors) is all zeros; a sector
/// past the buffer's end counts as zero.
#[must_use]
pub fn sector_is_zero(buffer: &[u8], sector: u64) -> bool {
    let Ok(start) = usize::try_from(sector.saturating_mul(u64::from(BYTES_PER_SECTOR))) else {
        return true;
    };
    buffer
        .get(start..)
        .map(|rest| rest.get(..BYTES_PER_SECTOR as usize).unwrap_or(rest))
        .is_none_or(|s| s.iter().all(|&b| b == 0))
}

/// The disk size for an image of `file` bytes; `disk_size` is `DiskSize` when given.
///
/// # Errors
/// [`ImageError::Empty`], [`ImageError::NotSectorMultiple`] or
/// [`ImageError::SizeMismatch`].
pub const fn image_disk_size(file: u64, disk_size: Option<u64>) -> Result<u64, ImageError> {
    if file == 0 {
        return Err(ImageError::Empty);
    }
    if !file.is_multiple_of(BYTES_PER_SECTOR as u64) {
        return Err(ImageError::NotSectorMultiple { file });
    }
    match disk_size {
        Some(disk) if disk != file => Err(ImageError::SizeMismatch { file, disk }),
        _ => Ok(file),
    }
}

/// What the image's first sector (`sector`, at least 512 bytes) holds; `file` is the
/// image's size (a volume claiming more is [`ImageError::Truncated`]).
///
/// # Errors
/// [`ImageError::Partitioned`] for an MBR or GPT, [`ImageError::Truncated`].
pub fn identify(sector: &[u8], file: u64) -> Result<ImageVolume, ImageError> {
    let Some(sector) = sector.get(..512) else {
        return Err(ImageError::Truncated {
            volume: 512,
            file: sector.len() as u64,
        });
    };
    let oem = sector.get(3..11).unwrap_or(&[]);
    let u64_at = |at: usize| {
        sector
            .get(at..at + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let (volume, sectors) = if oem == b"EXFAT   " {
        // VolumeLength at offset 72, in sectors of 2^BytesPerSectorShift (offset 108).
        let shift = u32::from(sector.get(108).copied().unwrap_or(9));
        (
            ImageVolume::Exfat,
            u64_at(72).saturating_mul(1u64.checked_shl(shift).unwrap_or(u64::MAX) / 512),
        )
    } else if oem == b"NTFS    " {
        // Total sectors at offset 40 (the backup boot sector follows them).
        (ImageVolume::Ntfs, u64_at(40).saturating_add(1))
    } else if let Some(fat) = fat_boot_sector(sector) {
        let total = if fat.total_sectors_16 != 0 {
            u64::from(fat.total_sectors_16)
        } else {
            u64::from(fat.total_sectors_32)
        };
        (ImageVolume::Fat(fat.fat_type), total)
    } else {
        return partitioning(sector).map_or(Ok(ImageVolume::Unknown), |p| {
            Err(ImageError::Partitioned(p))
        });
    };
    let volume_bytes = sectors.saturating_mul(512);
    if volume_bytes > file {
        return Err(ImageError::Truncated {
            volume: volume_bytes,
            file,
        });
    }
    Ok(volume)
}

/// A FAT volume boot sector of 512-byte sectors: a jump instruction, a sane BPB and
/// the 0x55AA signature.
fn fat_boot_sector(sector: &[u8]) -> Option<BootSector> {
    let bs = BootSector::parse(sector).ok()?;
    let jump = matches!(bs.jump, [0xEB, _, 0x90] | [0xE9, _, _]);
    let sane = bs.bytes_per_sector == 512
        && bs.sectors_per_cluster.is_power_of_two()
        && (1..=2).contains(&bs.num_fats)
        && bs.reserved_sector_count > 0
        && (bs.media == 0xF0 || bs.media >= 0xF8);
    (jump && sane && bs.signature == 0xAA55).then_some(bs)
}

/// An MBR partition table (any entry with a type) or a GPT protective MBR.
fn partitioning(sector: &[u8]) -> Option<Partitioning> {
    if sector.get(510..512) != Some(&[0x55, 0xAA][..]) {
        return None;
    }
    let table = sector.get(446..510)?;
    let types = table.chunks_exact(16).filter_map(|e| e.get(4).copied());
    let mut any = false;
    for t in types {
        if t == 0xEE {
            return Some(Partitioning::Gpt);
        }
        any |= t != 0;
    }
    any.then_some(Partitioning::Mbr)
}

/// An explicit `FileSystem` against what the image holds: `auto` (and `keep`) take
/// anything.
///
/// # Errors
/// [`ImageError::Mismatch`] naming both.
pub const fn check_file_system(
    requested: FileSystem,
    found: ImageVolume,
) -> Result<(), ImageError> {
    let ok = matches!(
        (requested, found),
        (FileSystem::Auto, _)
            | (FileSystem::Fat12, ImageVolume::Fat(FatType::Fat12))
            | (FileSystem::Fat16, ImageVolume::Fat(FatType::Fat16))
            | (FileSystem::Fat32, ImageVolume::Fat(FatType::Fat32))
            | (FileSystem::Exfat, ImageVolume::Exfat)
    );
    if ok {
        Ok(())
    } else {
        Err(ImageError::Mismatch { requested, found })
    }
}

/// A run of sectors a sparse save or load handles alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Run {
    /// The first sector.
    pub first: u64,
    /// How many sectors.
    pub count: u64,
    /// All zero: a save leaves a hole (or writes zeros where the host has no sparse
    /// files); a load allocates nothing.
    pub hole: bool,
}

/// The runs of `sectors` sectors, in order, covering each sector once.
///
/// Maximal runs of zero sectors (`is_zero(sector)`; an unallocated chunk answers true for each of
/// its sectors) are holes, the rest data runs of at most `max_data` sectors (the I/O
/// buffer) that never cross a multiple of `boundary` sectors (a chunk: each data run
/// is one copy from one chunk). `max_data` and `boundary` of 0 count as 1.
pub fn runs(
    sectors: u64,
    max_data: u64,
    boundary: u64,
    is_zero: impl FnMut(u64) -> bool,
) -> Runs<impl FnMut(u64) -> bool> {
    Runs {
        next: 0,
        sectors,
        max_data: max_data.max(1),
        boundary: boundary.max(1),
        is_zero,
        peeked: None,
    }
}

/// The iterator [`runs`] returns.
pub struct Runs<F> {
    next: u64,
    sectors: u64,
    max_data: u64,
    boundary: u64,
    is_zero: F,
    /// `is_zero(next)`, when already asked.
    peeked: Option<bool>,
}

impl<F: FnMut(u64) -> bool> Iterator for Runs<F> {
    type Item = Run;

    fn next(&mut self) -> Option<Run> {
        if self.next >= self.sectors {
            return None;
        }
        let first = self.next;
        let hole = self.peeked.take().unwrap_or_else(|| (self.is_zero)(first));
        // A data run ends at the buffer size or the next chunk boundary.
        let limit = if hole {
            self.sectors
        } else {
            let boundary_end = (first / self.boundary)
                .saturating_add(1)
                .saturating_mul(self.boundary);
            self.sectors
                .min(first.saturating_add(self.max_data))
                .min(boundary_end)
        };
        let mut end = first + 1;
        while end < limit {
            let zero = (self.is_zero)(end);
            if zero != hole {
                self.peeked = Some(zero);
                break;
            }
            end += 1;
        }
        self.next = end;
        Some(Run {
            first,
            count: end - first,
            hole,
        })
    }
}

#[cfg(test)]
mod tests;
