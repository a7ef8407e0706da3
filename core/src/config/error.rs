//! Why a registry value was rejected: the problem, the value it names, the
//! `NTSTATUS` `DriverEntry` returns and the one-line message the log shows.

use core::fmt;

use super::memory::fixed_disk_limit;
use super::persist::PathProblem;
use super::value::{REG_DWORD, REG_QWORD, Text, ValueName, reg_type_name, type_accepted};
use crate::status::{
    STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_BUFFER_SIZE, STATUS_INVALID_PARAMETER,
    STATUS_OBJECT_TYPE_MISMATCH,
};

/// Why a present registry value was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Problem {
    /// The value has a `REG_*` type this value does not accept.
    WrongType {
        /// The type found.
        found: u32,
    },
    /// The data size does not fit the type (`REG_DWORD` not 4 bytes,
    /// `REG_QWORD` not 8, odd-length `REG_SZ`).
    WrongSize {
        /// The type found.
        reg_type: u32,
        /// The data length found.
        len: usize,
    },
    /// More data than the driver reads ([`ValueName::max_data`]).
    TooLong {
        /// The data length found.
        len: usize,
    },
    /// `DiskSize` is 0.
    Zero,
    /// `DiskSize` is not a multiple of 512.
    NotSectorMultiple {
        /// The size found.
        value: u64,
    },
    /// `DiskSize` does not fit a `LARGE_INTEGER`.
    TooLarge {
        /// The size found.
        value: u64,
    },
    /// `RootDirEntries` outside 1..=65535.
    OutOfRange {
        /// The number found.
        value: u32,
    },
    /// `SectorsPerCluster` not 0 or a power of two up to 65 536.
    NotPowerOfTwo {
        /// The number found.
        value: u32,
    },
    /// `SectorsPerCluster` above 128 for a FAT file system (only exFAT takes more).
    TooLargeForFat {
        /// The number found.
        value: u32,
    },
    /// `DriveLetter` is not `X` or `X:` with `X` in `A`..=`Z`.
    NotADriveLetter(Text),
    /// `FileSystem` is not one of the five names.
    UnknownFileSystem(Text),
    /// `VolumeLabel` is a label for no file system ([`crate::exfat::Label::parse`]
    /// rejects it, and FAT's rules are stricter).
    NotALabel(Text),
    /// `VolumeLabel` is no FAT label ([`crate::fat::VolumeLabel::parse`] rejects it),
    /// and `FileSystem` is not exFAT.
    InvalidLabel(Text),
    /// `Allocation` is not `fixed` or `dynamic`.
    UnknownAllocation(Text),
    /// `ReadOnly` is neither 0 nor 1.
    NotABoolean {
        /// The number found.
        value: u64,
    },
    /// `SaveOn` is not `never`, `stop` or `shutdown`.
    UnknownSaveOn(Text),
    /// `ImageFile` is not a path the driver takes.
    BadImagePath(PathProblem),
    /// `ReadOnly`, `SaveOn` or `FileSystem=keep` without an `ImageFile`.
    NeedsImageFile,
    /// `SaveOn` other than `never` on a `ReadOnly` disk.
    SaveOnReadOnly,
    /// `ImageFile` on a driver that starts at boot (`Start=0`).
    ImageAtBootStart,
    /// `MemoryLimit` below [`super::MIN_MEMORY_LIMIT`].
    LimitTooSmall {
        /// The limit found.
        value: u64,
    },
    /// `MemoryLimit` given for a fixed disk ([`super::plan_memory`]).
    LimitWithFixed {
        /// The limit found.
        value: u64,
    },
    /// `MemoryLimit` above the machine's physical memory ([`super::plan_memory`]).
    LimitAboveMemory {
        /// The limit found.
        value: u64,
        /// The machine's physical memory, in bytes.
        physical: u64,
    },
    /// `DiskSize` is more than a fixed disk may take of this machine's physical
    /// memory ([`super::check_memory`]).
    MoreThanMemoryShare {
        /// The size found.
        value: u64,
        /// The machine's physical memory, in bytes.
        physical: u64,
    },
}

/// A rejected registry value: which one and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConfigError {
    /// The value at fault.
    pub value: ValueName,
    /// What is wrong with it.
    pub problem: Problem,
}

impl ConfigError {
    /// The `NTSTATUS` `DriverEntry` returns for this error.
    #[must_use]
    pub const fn status(&self) -> i32 {
        match self.problem {
            Problem::WrongType { .. } => STATUS_OBJECT_TYPE_MISMATCH,
            Problem::WrongSize { .. } | Problem::TooLong { .. } => STATUS_INVALID_BUFFER_SIZE,
            Problem::Zero
            | Problem::NotSectorMultiple { .. }
            | Problem::TooLarge { .. }
            | Problem::OutOfRange { .. }
            | Problem::NotPowerOfTwo { .. }
            | Problem::TooLargeForFat { .. }
            | Problem::NotADriveLetter(_)
            | Problem::UnknownFileSystem(_)
            | Problem::NotALabel(_)
            | Problem::InvalidLabel(_)
            | Problem::UnknownAllocation(_)
            | Problem::LimitTooSmall { .. }
            | Problem::LimitWithFixed { .. }
            | Problem::NotABoolean { .. }
            | Problem::UnknownSaveOn(_)
            | Problem::BadImagePath(_)
            | Problem::NeedsImageFile
            | Problem::SaveOnReadOnly
            | Problem::ImageAtBootStart => STATUS_INVALID_PARAMETER,
            Problem::LimitAboveMemory { .. } | Problem::MoreThanMemoryShare { .. } => {
                STATUS_INSUFFICIENT_RESOURCES
            }
        }
    }

    /// The error for a value whose data did not fit the glue's
    /// [`ValueName::max_data`]-byte buffer (`ZwQueryValueKey` returned
    /// `STATUS_BUFFER_OVERFLOW`): a type mismatch if the type is wrong anyway,
    /// otherwise [`Problem::TooLong`].
    #[must_use]
    pub const fn oversized(value: ValueName, reg_type: u32, len: usize) -> Self {
        let problem = if type_accepted(value, reg_type) {
            Problem::TooLong { len }
        } else {
            Problem::WrongType { found: reg_type }
        };
        Self { value, problem }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.value.name();
        match self.problem {
            Problem::WrongType { found } => write!(
                f,
                "{name}: has type {found} ({}), expected {}",
                reg_type_name(found),
                self.value.expected_type()
            ),
            Problem::WrongSize { reg_type, len } => {
                let expected = match reg_type {
                    REG_DWORD => "4 bytes",
                    REG_QWORD => "8 bytes",
                    _ => "an even number of bytes (UTF-16)",
                };
                write!(
                    f,
                    "{name}: {} data is {len} bytes, expected {expected}",
                    reg_type_name(reg_type)
                )
            }
            Problem::TooLong { len } => {
                write!(
                    f,
                    "{name}: data is {len} bytes, more than the {} the driver reads",
                    self.value.max_data()
                )
            }
            Problem::Zero => write!(
                f,
                "{name}: 0 bytes; the disk needs at least one 512-byte sector"
            ),
            Problem::NotSectorMultiple { value } => {
                write!(f, "{name}: {value} is not a multiple of 512")
            }
            Problem::TooLarge { value } => write!(f, "{name}: {value} is larger than {}", i64::MAX),
            Problem::OutOfRange { value } => write!(f, "{name}: {value} is outside 1..=65535"),
            Problem::NotPowerOfTwo { value } => write!(
                f,
                "{name}: {value} is not 0 (automatic) or a power of two from 1 to 65536"
            ),
            Problem::TooLargeForFat { value } => write!(
                f,
                "{name}: {value} is more than 128, the most FAT12/16/32 take (exFAT takes up to 65536)"
            ),
            Problem::NotADriveLetter(text) => write!(
                f,
                "{name}: {text} is not a drive letter A-Z (optionally with ':')"
            ),
            Problem::UnknownFileSystem(text) => {
                write!(
                    f,
                    "{name}: {text} is not auto, FAT12, FAT16, FAT32 or exFAT"
                )
            }
            Problem::NotALabel(text) => write!(
                f,
                "{name}: {text} is not a volume label (at most 11 characters, none of \"*/:<>?\\| or control characters; FAT12/16/32 also take only ASCII, no leading space and none of +,.;=[])"
            ),
            Problem::InvalidLabel(text) => write!(
                f,
                "{name}: {text} is not a FAT volume label (at most 11 ASCII characters, no leading space, none of \"*+,./:;<=>?[\\]|)"
            ),
            Problem::UnknownAllocation(text) => {
                write!(f, "{name}: {text} is not fixed or dynamic")
            }
            Problem::NotABoolean { .. }
            | Problem::UnknownSaveOn(_)
            | Problem::BadImagePath(_)
            | Problem::NeedsImageFile
            | Problem::SaveOnReadOnly
            | Problem::ImageAtBootStart => self.fmt_persist(f),
            Problem::LimitTooSmall { value } => write!(
                f,
                "{name}: {value} bytes is less than the {} a dynamic disk needs for the metadata it formats at load",
                super::MIN_MEMORY_LIMIT
            ),
            Problem::LimitWithFixed { value } => write!(
                f,
                "{name}: {value} bytes is set, but Allocation is fixed (a fixed disk always holds its whole DiskSize); remove MemoryLimit or set Allocation to dynamic"
            ),
            Problem::LimitAboveMemory { value, physical } => write!(
                f,
                "{name}: {value} bytes is more than the {physical} bytes of physical memory"
            ),
            Problem::MoreThanMemoryShare { value, physical } => write!(
                f,
                "{name}: {value} bytes is more than half of the {physical} bytes of physical \
                 memory (at most {})",
                fixed_disk_limit(physical)
            ),
        }
    }
}

impl ConfigError {
    /// The lines of the persistence problems (`ImageFile`, `SaveOn`, `ReadOnly`).
    fn fmt_persist(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.value.name();
        match self.problem {
            Problem::NotABoolean { value } => write!(f, "{name}: {value} is not 0 or 1"),
            Problem::UnknownSaveOn(text) => {
                write!(f, "{name}: {text} is not never, stop or shutdown")
            }
            Problem::BadImagePath(problem) => write!(f, "{name}: the path {problem}"),
            Problem::NeedsImageFile => write!(
                f,
                "{name}: this setting needs an ImageFile (there is no image to keep, save or serve read-only)"
            ),
            Problem::SaveOnReadOnly => write!(
                f,
                "{name}: a ReadOnly disk never changes, so it cannot save (SaveOn must be never)"
            ),
            Problem::ImageAtBootStart => write!(
                f,
                "{name}: the service starts at boot (Start=0), before any file system is mounted; use Start=2 (auto) for a disk with an image file"
            ),
            _ => Ok(()),
        }
    }
}
