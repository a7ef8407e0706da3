//! The driver's registry `Parameters` values, object names and volume serial.
//!
//! Value names, parsing, validation, and the log line and `NTSTATUS` for
//! every rejection; the volume serial number from the time of formatting.
//!
//! # Values
//!
//! | value               | type                       | default   | accepted                                         |
//! |---------------------|----------------------------|-----------|--------------------------------------------------|
//! | `DiskSize`          | `REG_DWORD` or `REG_QWORD` | 1 MiB     | bytes; nonzero multiple of 512, at most `i64::MAX` |
//! | `DriveLetter`       | `REG_SZ`                   | `Z`       | `X` or `X:`, any case, `A`..=`Z`                 |
//! | `RootDirEntries`    | `REG_DWORD`                | 512       | 1..=65535 (FAT12/16; the planner rounds up)      |
//! | `SectorsPerCluster` | `REG_DWORD`                | 0 (auto)  | 0, or a power of two 1..=128                     |
//! | `FileSystem`        | `REG_SZ`                   | `auto`    | `auto`, `FAT12`, `FAT16`, `FAT32`, any case      |
//! | `VolumeLabel`       | `REG_SZ`                   | `RAMDISK` | [`VolumeLabel::parse`]: ≤ 11 ASCII chars; empty = no label |
//!
//! An absent value takes its default. `REG_SZ` data is UTF-16LE, with or
//! without terminating NULs (trailing NULs are ignored); its length must be
//! even. `REG_EXPAND_SZ` and `REG_MULTI_SZ` are *not* accepted: nothing here
//! needs expansion, and one accepted type per value keeps errors obvious.
//!
//! # Status for each rejection
//!
//! * wrong `REG_*` type → `STATUS_OBJECT_TYPE_MISMATCH`
//! * wrong data size for the type (`REG_DWORD` not 4 bytes, `REG_QWORD` not 8,
//!   odd `REG_SZ`), or more than [`MAX_VALUE_DATA`] bytes → `STATUS_INVALID_BUFFER_SIZE`
//! * right type and size, value out of range → `STATUS_INVALID_PARAMETER`
//!
//! The FAT planner may still reject a combination (a disk too small for the
//! requested `FileSystem`, say); [`explain_format_error`] names the value to fix.
//! Setting `SectorsPerCluster` to 128 explicitly also allows 64 KiB clusters.

use core::fmt;

use crate::disk::{DosDeviceName, ascii_utf16, dos_device_name};
use crate::fat::{FileSystem, FormatError, FormatOptions, VolumeLabel};
use crate::geometry::{BYTES_PER_SECTOR, MEDIA};
use crate::status::{
    STATUS_INVALID_BUFFER_SIZE, STATUS_INVALID_PARAMETER, STATUS_OBJECT_TYPE_MISMATCH,
};

/// `REG_SZ`.
pub const REG_SZ: u32 = 1;
/// `REG_EXPAND_SZ` (not accepted).
pub const REG_EXPAND_SZ: u32 = 2;
/// `REG_BINARY` (not accepted).
pub const REG_BINARY: u32 = 3;
/// `REG_DWORD` (little-endian 32-bit).
pub const REG_DWORD: u32 = 4;
/// `REG_DWORD_BIG_ENDIAN` (not accepted).
pub const REG_DWORD_BIG_ENDIAN: u32 = 5;
/// `REG_MULTI_SZ` (not accepted).
pub const REG_MULTI_SZ: u32 = 7;
/// `REG_QWORD` (little-endian 64-bit).
pub const REG_QWORD: u32 = 11;

/// The largest value data the driver reads, in bytes (32 UTF-16 units). The
/// glue's value buffer needs this much room for data; anything longer is
/// rejected with `STATUS_INVALID_BUFFER_SIZE`.
pub const MAX_VALUE_DATA: usize = 64;

/// Default `DiskSize`: 1 MiB.
pub const DEFAULT_DISK_SIZE: u64 = 1024 * 1024;
/// Default `DriveLetter`.
pub const DEFAULT_DRIVE_LETTER: u8 = b'Z';
/// Default `RootDirEntries`.
pub const DEFAULT_ROOT_DIR_ENTRIES: u32 = 512;

/// One registry value under the driver's `Parameters` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueName {
    /// `DiskSize`: bytes.
    DiskSize,
    /// `DriveLetter`: `X` or `X:`.
    DriveLetter,
    /// `RootDirEntries`: FAT12/16 root directory entries.
    RootDirEntries,
    /// `SectorsPerCluster`: 0 = automatic.
    SectorsPerCluster,
    /// `FileSystem`: `auto`, `FAT12`, `FAT16` or `FAT32`.
    FileSystem,
    /// `VolumeLabel`.
    VolumeLabel,
}

const DISK_SIZE_U16: [u16; 8] = ascii_utf16("DiskSize");
const DRIVE_LETTER_U16: [u16; 11] = ascii_utf16("DriveLetter");
const ROOT_DIR_ENTRIES_U16: [u16; 14] = ascii_utf16("RootDirEntries");
const SECTORS_PER_CLUSTER_U16: [u16; 17] = ascii_utf16("SectorsPerCluster");
const FILE_SYSTEM_U16: [u16; 10] = ascii_utf16("FileSystem");
const VOLUME_LABEL_U16: [u16; 11] = ascii_utf16("VolumeLabel");

impl ValueName {
    /// Every value, in the order the glue should read them.
    pub const ALL: [Self; 6] = [
        Self::DiskSize,
        Self::DriveLetter,
        Self::RootDirEntries,
        Self::SectorsPerCluster,
        Self::FileSystem,
        Self::VolumeLabel,
    ];

    /// The registry value name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::DiskSize => "DiskSize",
            Self::DriveLetter => "DriveLetter",
            Self::RootDirEntries => "RootDirEntries",
            Self::SectorsPerCluster => "SectorsPerCluster",
            Self::FileSystem => "FileSystem",
            Self::VolumeLabel => "VolumeLabel",
        }
    }

    /// The registry value name as UTF-16 without a NUL, for a `UNICODE_STRING`.
    #[must_use]
    pub const fn utf16(self) -> &'static [u16] {
        match self {
            Self::DiskSize => &DISK_SIZE_U16,
            Self::DriveLetter => &DRIVE_LETTER_U16,
            Self::RootDirEntries => &ROOT_DIR_ENTRIES_U16,
            Self::SectorsPerCluster => &SECTORS_PER_CLUSTER_U16,
            Self::FileSystem => &FILE_SYSTEM_U16,
            Self::VolumeLabel => &VOLUME_LABEL_U16,
        }
    }

    /// The registry types this value accepts, for messages.
    const fn expected_type(self) -> &'static str {
        match self {
            Self::DiskSize => "REG_DWORD or REG_QWORD",
            Self::RootDirEntries | Self::SectorsPerCluster => "REG_DWORD",
            Self::DriveLetter | Self::FileSystem | Self::VolumeLabel => "REG_SZ",
        }
    }
}

impl fmt::Display for ValueName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A registry value as read: its `REG_*` type and its raw data bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RawValue<'a> {
    /// `KEY_VALUE_PARTIAL_INFORMATION.Type`.
    pub reg_type: u32,
    /// The data (`DataLength` bytes).
    pub data: &'a [u8],
}

/// A short ASCII rendering of a rejected string value, for log lines.
/// Non-printable and non-ASCII characters show as `?`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Text {
    bytes: [u8; MAX_VALUE_DATA / 2],
    len: usize,
}

impl Text {
    fn from_ascii(chars: &[u8]) -> Self {
        let mut text = Self {
            bytes: [0; MAX_VALUE_DATA / 2],
            len: 0,
        };
        for (slot, &c) in text.bytes.iter_mut().zip(chars) {
            *slot = if c.is_ascii_graphic() || c == b' ' {
                c
            } else {
                b'?'
            };
            text.len += 1;
        }
        text
    }

    /// The rendered bytes (printable ASCII).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for &c in self.as_bytes() {
            fmt::Write::write_char(f, char::from(c))?;
        }
        f.write_str("\"")
    }
}

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
    /// More than [`MAX_VALUE_DATA`] bytes of data.
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
    /// `SectorsPerCluster` not 0 or a power of two up to 128.
    NotPowerOfTwo {
        /// The number found.
        value: u32,
    },
    /// `DriveLetter` is not `X` or `X:` with `X` in `A`..=`Z`.
    NotADriveLetter(Text),
    /// `FileSystem` is not one of the four names.
    UnknownFileSystem(Text),
    /// `VolumeLabel` rejected by [`VolumeLabel::parse`].
    InvalidLabel(Text),
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
            | Problem::NotADriveLetter(_)
            | Problem::UnknownFileSystem(_)
            | Problem::InvalidLabel(_) => STATUS_INVALID_PARAMETER,
        }
    }

    /// The error for a value whose data did not fit the glue's
    /// [`MAX_VALUE_DATA`]-byte buffer (`ZwQueryValueKey` returned
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

/// The name of a `REG_*` type, for messages.
const fn reg_type_name(reg_type: u32) -> &'static str {
    match reg_type {
        0 => "REG_NONE",
        REG_SZ => "REG_SZ",
        REG_EXPAND_SZ => "REG_EXPAND_SZ",
        REG_BINARY => "REG_BINARY",
        REG_DWORD => "REG_DWORD",
        REG_DWORD_BIG_ENDIAN => "REG_DWORD_BIG_ENDIAN",
        6 => "REG_LINK",
        REG_MULTI_SZ => "REG_MULTI_SZ",
        REG_QWORD => "REG_QWORD",
        _ => "unknown type",
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
                    "{name}: data is {len} bytes, more than the {MAX_VALUE_DATA} the driver reads"
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
                "{name}: {value} is not 0 (automatic) or a power of two from 1 to 128"
            ),
            Problem::NotADriveLetter(text) => write!(
                f,
                "{name}: {text} is not a drive letter A-Z (optionally with ':')"
            ),
            Problem::UnknownFileSystem(text) => {
                write!(f, "{name}: {text} is not auto, FAT12, FAT16 or FAT32")
            }
            Problem::InvalidLabel(text) => write!(
                f,
                "{name}: {text} is not a FAT volume label (at most 11 ASCII characters, no leading space, none of \"*+,./:;<=>?[\\]|)"
            ),
        }
    }
}

/// Whether `reg_type` is a type `value` accepts.
const fn type_accepted(value: ValueName, reg_type: u32) -> bool {
    match value {
        ValueName::DiskSize => reg_type == REG_DWORD || reg_type == REG_QWORD,
        ValueName::RootDirEntries | ValueName::SectorsPerCluster => reg_type == REG_DWORD,
        ValueName::DriveLetter | ValueName::FileSystem | ValueName::VolumeLabel => {
            reg_type == REG_SZ
        }
    }
}

/// The validated configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// The drive letter, `b'A'..=b'Z'`.
    pub drive_letter: u8,
    /// What to hand the FAT planner: disk size, 512-byte sectors, file system,
    /// cluster size, root entries, label, serial, and the media byte from
    /// [`crate::geometry::MEDIA`].
    pub format: FormatOptions,
}

impl Config {
    /// `\DosDevices\X:` for this configuration's drive letter.
    #[must_use]
    pub const fn dos_device_name(&self) -> DosDeviceName {
        match dos_device_name(self.drive_letter) {
            Some(name) => name,
            // Unreachable for a parsed Config; fall back to the default letter.
            None => match dos_device_name(DEFAULT_DRIVE_LETTER) {
                Some(name) => name,
                None => [0; 14],
            },
        }
    }
}

/// Collects registry values one at a time, validating each as it arrives.
///
/// The intended caller reads each name of [`ValueName::ALL`] into one reusable
/// buffer and calls [`ConfigBuilder::set`] for each value present (skipping
/// absent ones), then [`ConfigBuilder::finish`]. [`parse`] wraps that loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConfigBuilder {
    disk_size: u64,
    drive_letter: u8,
    root_dir_entries: u32,
    sectors_per_cluster: u32,
    file_system: FileSystem,
    label: VolumeLabel,
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// Trailing-NUL-stripped, ASCII-mapped characters of a `REG_SZ` (non-ASCII
/// UTF-16 units become 0xFF, which every check rejects).
struct Chars {
    bytes: [u8; MAX_VALUE_DATA / 2],
    len: usize,
}

impl Chars {
    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl ConfigBuilder {
    /// All defaults.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            disk_size: DEFAULT_DISK_SIZE,
            drive_letter: DEFAULT_DRIVE_LETTER,
            root_dir_entries: DEFAULT_ROOT_DIR_ENTRIES,
            sectors_per_cluster: 0,
            file_system: FileSystem::Auto,
            label: VolumeLabel::DEFAULT,
        }
    }

    /// Validates one present value and records it.
    ///
    /// # Errors
    /// A [`ConfigError`] naming `name` when the type, size or content is wrong
    /// (see the module documentation); the builder is unchanged then.
    pub fn set(&mut self, name: ValueName, value: RawValue<'_>) -> Result<(), ConfigError> {
        let err = |problem| ConfigError {
            value: name,
            problem,
        };
        if !type_accepted(name, value.reg_type) {
            return Err(err(Problem::WrongType {
                found: value.reg_type,
            }));
        }
        let len = value.data.len();
        if len > MAX_VALUE_DATA {
            return Err(err(Problem::TooLong { len }));
        }
        match name {
            ValueName::DiskSize => {
                let size = integer(value).ok_or_else(|| {
                    err(Problem::WrongSize {
                        reg_type: value.reg_type,
                        len,
                    })
                })?;
                if size == 0 {
                    return Err(err(Problem::Zero));
                }
                if size % u64::from(BYTES_PER_SECTOR) != 0 {
                    return Err(err(Problem::NotSectorMultiple { value: size }));
                }
                if i64::try_from(size).is_err() {
                    return Err(err(Problem::TooLarge { value: size }));
                }
                self.disk_size = size;
            }
            ValueName::RootDirEntries | ValueName::SectorsPerCluster => {
                let n = integer(value)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| {
                        err(Problem::WrongSize {
                            reg_type: value.reg_type,
                            len,
                        })
                    })?;
                if name == ValueName::RootDirEntries {
                    if n == 0 || n > 65535 {
                        return Err(err(Problem::OutOfRange { value: n }));
                    }
                    self.root_dir_entries = n;
                } else {
                    if n != 0 && !(n.is_power_of_two() && n <= 128) {
                        return Err(err(Problem::NotPowerOfTwo { value: n }));
                    }
                    self.sectors_per_cluster = n;
                }
            }
            ValueName::DriveLetter | ValueName::FileSystem | ValueName::VolumeLabel => {
                let chars = utf16_chars(value.data).ok_or_else(|| {
                    err(Problem::WrongSize {
                        reg_type: value.reg_type,
                        len,
                    })
                })?;
                let text = chars.as_bytes();
                match name {
                    ValueName::DriveLetter => {
                        self.drive_letter = drive_letter(text)
                            .ok_or_else(|| err(Problem::NotADriveLetter(Text::from_ascii(text))))?;
                    }
                    ValueName::FileSystem => {
                        self.file_system = file_system(text).ok_or_else(|| {
                            err(Problem::UnknownFileSystem(Text::from_ascii(text)))
                        })?;
                    }
                    _ => {
                        self.label = VolumeLabel::parse(text)
                            .map_err(|_| err(Problem::InvalidLabel(Text::from_ascii(text))))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The configuration, with `volume_serial` for the new volume (see
    /// [`volume_serial_from_system_time`]).
    #[must_use]
    pub const fn finish(self, volume_serial: u32) -> Config {
        let mut format = FormatOptions::new(self.disk_size);
        format.bytes_per_sector = BYTES_PER_SECTOR;
        format.file_system = self.file_system;
        format.sectors_per_cluster = self.sectors_per_cluster;
        // An explicit 128 × 512 = 64 KiB cluster is a deliberate choice: allow it.
        format.allow_64k_clusters = self.sectors_per_cluster == 128;
        format.root_dir_entries = self.root_dir_entries;
        format.label = self.label;
        format.volume_serial = volume_serial;
        format.media = MEDIA.fat_media_byte();
        Config {
            drive_letter: self.drive_letter,
            format,
        }
    }
}

/// Reads every value through `read` into one stack buffer and validates it.
///
/// `read(name, buffer)` looks `name` up: `None` when the value is absent;
/// otherwise it copies as much of the data as fits into `buffer` (which is
/// [`MAX_VALUE_DATA`] bytes) and returns `Some((reg_type, data_length))` with
/// the value's full data length, which may exceed the buffer (then the value
/// is rejected as [`Problem::TooLong`]).
///
/// # Errors
/// The first [`ConfigError`], in [`ValueName::ALL`] order.
pub fn parse(
    mut read: impl FnMut(ValueName, &mut [u8]) -> Option<(u32, usize)>,
    volume_serial: u32,
) -> Result<Config, ConfigError> {
    let mut builder = ConfigBuilder::new();
    for name in ValueName::ALL {
        let mut buffer = [0u8; MAX_VALUE_DATA];
        let Some((reg_type, len)) = read(name, &mut buffer) else {
            continue;
        };
        match buffer.get(..len) {
            Some(data) => builder.set(name, RawValue { reg_type, data })?,
            None => return Err(ConfigError::oversized(name, reg_type, len)),
        }
    }
    Ok(builder.finish(volume_serial))
}

/// A `REG_DWORD` (4 bytes) or `REG_QWORD` (8 bytes) value; `None` for any other size.
fn integer(value: RawValue<'_>) -> Option<u64> {
    match value.reg_type {
        REG_DWORD => <[u8; 4]>::try_from(value.data)
            .ok()
            .map(|b| u64::from(u32::from_le_bytes(b))),
        REG_QWORD => <[u8; 8]>::try_from(value.data).ok().map(u64::from_le_bytes),
        _ => None,
    }
}

/// `REG_SZ` data as ASCII-mapped characters, trailing NULs dropped; `None`
/// for odd-length data. At most `MAX_VALUE_DATA / 2` characters are kept
/// (callers never pass more than [`MAX_VALUE_DATA`] bytes).
fn utf16_chars(data: &[u8]) -> Option<Chars> {
    if !data.len().is_multiple_of(2) {
        return None;
    }
    let mut chars = Chars {
        bytes: [0; MAX_VALUE_DATA / 2],
        len: 0,
    };
    for (slot, unit) in chars.bytes.iter_mut().zip(data.chunks_exact(2)) {
        let unit = match unit {
            &[lo, hi] => u16::from_le_bytes([lo, hi]),
            _ => 0xFFFF,
        };
        *slot = u8::try_from(unit).ok().filter(u8::is_ascii).unwrap_or(0xFF);
        chars.len += 1;
    }
    while chars
        .len
        .checked_sub(1)
        .and_then(|last| chars.bytes.get(last))
        .copied()
        == Some(0)
    {
        chars.len -= 1;
    }
    Some(chars)
}

/// `X` or `X:`, any case, to `b'X'`.
fn drive_letter(text: &[u8]) -> Option<u8> {
    match text {
        &[c] | &[c, b':'] if c.is_ascii_alphabetic() => Some(c.to_ascii_uppercase()),
        _ => None,
    }
}

/// `auto`, `FAT12`, `FAT16`, `FAT32`, any case.
fn file_system(text: &[u8]) -> Option<FileSystem> {
    [
        (&b"auto"[..], FileSystem::Auto),
        (b"fat12", FileSystem::Fat12),
        (b"fat16", FileSystem::Fat16),
        (b"fat32", FileSystem::Fat32),
    ]
    .into_iter()
    .find(|(name, _)| name.eq_ignore_ascii_case(text))
    .map(|(_, fs)| fs)
}

/// The registry spelling of a file system choice.
const fn file_system_name(fs: FileSystem) -> &'static str {
    match fs {
        FileSystem::Auto => "auto",
        FileSystem::Fat12 => "FAT12",
        FileSystem::Fat16 => "FAT16",
        FileSystem::Fat32 => "FAT32",
    }
}

/// A FAT planning/formatting failure traced back to the registry value most
/// responsible, for the log line and `DriverEntry`'s status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FormatProblem {
    /// The value to change, or `None` for a failure no registry value causes.
    pub value: Option<ValueName>,
    /// The planner's error.
    pub error: FormatError,
    /// The options that were planned with.
    pub options: FormatOptions,
}

impl FormatProblem {
    /// The `NTSTATUS` `DriverEntry` returns: always `STATUS_INVALID_PARAMETER`.
    #[must_use]
    pub const fn status(&self) -> i32 {
        STATUS_INVALID_PARAMETER
    }
}

/// Blames the registry value behind a planner error for `options`.
///
/// `TooSmall`/`TooLarge`/`NotSectorMultiple` → `DiskSize`;
/// `InvalidSectorsPerCluster` → `SectorsPerCluster`; `InvalidRootDirEntries`
/// → `RootDirEntries`; `InvalidLabel` → `VolumeLabel`;
/// `ClusterCountOutOfRange` → `SectorsPerCluster` if one was set explicitly,
/// else `FileSystem` if one was requested, else `DiskSize`; anything else
/// (sector size, FAT count, media byte, writer) is internal: `None`.
#[must_use]
pub const fn explain_format_error(error: FormatError, options: &FormatOptions) -> FormatProblem {
    let value = match error {
        FormatError::TooSmall | FormatError::TooLarge | FormatError::NotSectorMultiple => {
            Some(ValueName::DiskSize)
        }
        FormatError::InvalidSectorsPerCluster => Some(ValueName::SectorsPerCluster),
        FormatError::InvalidRootDirEntries => Some(ValueName::RootDirEntries),
        FormatError::InvalidLabel => Some(ValueName::VolumeLabel),
        FormatError::ClusterCountOutOfRange => {
            if options.sectors_per_cluster != 0 {
                Some(ValueName::SectorsPerCluster)
            } else if !matches!(options.file_system, FileSystem::Auto) {
                Some(ValueName::FileSystem)
            } else {
                Some(ValueName::DiskSize)
            }
        }
        _ => None,
    };
    FormatProblem {
        value,
        error,
        options: *options,
    }
}

impl fmt::Display for FormatProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.options;
        let size = o.disk_size;
        let fs = match o.file_system {
            FileSystem::Auto => "any FAT type",
            other => file_system_name(other),
        };
        match self.error {
            FormatError::TooSmall => write!(f, "DiskSize: {size} bytes is too small for {fs}"),
            FormatError::TooLarge => write!(f, "DiskSize: {size} bytes is too large for {fs}"),
            FormatError::NotSectorMultiple => write!(
                f,
                "DiskSize: {size} is not a multiple of {}",
                o.bytes_per_sector
            ),
            FormatError::InvalidSectorsPerCluster => write!(
                f,
                "SectorsPerCluster: {} is not usable here (clusters of at most 32 KiB, or 64 KiB with 128)",
                o.sectors_per_cluster
            ),
            FormatError::InvalidRootDirEntries => {
                write!(
                    f,
                    "RootDirEntries: {} is not usable for this volume",
                    o.root_dir_entries
                )
            }
            FormatError::InvalidLabel => f.write_str("VolumeLabel: not a valid FAT volume label"),
            FormatError::ClusterCountOutOfRange => {
                let name = self.value.map_or("DiskSize", ValueName::name);
                write!(
                    f,
                    "{name}: {fs} with SectorsPerCluster {} on {size} bytes gives a cluster count outside that type's range",
                    o.sectors_per_cluster
                )
            }
            other => write!(
                f,
                "internal FAT formatting error {other:?} for a {size}-byte disk"
            ),
        }
    }
}

/// Days from 1601-01-01 to 1970-01-01.
const DAYS_1601_TO_1970: i64 = 134_774;

/// The calendar fields of a Windows system time, as `TIME_FIELDS` holds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeFields {
    /// Year (1601..).
    pub year: u32,
    /// Month 1..=12.
    pub month: u32,
    /// Day 1..=31.
    pub day: u32,
    /// Hour 0..=23.
    pub hour: u32,
    /// Minute 0..=59.
    pub minute: u32,
    /// Second 0..=59.
    pub second: u32,
    /// Hundredths of a second 0..=99.
    pub hundredths: u32,
}

/// `RtlTimeToTimeFields`: a system time (100 ns units since 1601-01-01 UTC;
/// negative values are taken as 0) to calendar fields (proleptic Gregorian).
#[must_use]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::many_single_char_names
)] // every value is range-limited; names from the published algorithm
pub const fn time_fields(system_time: i64) -> TimeFields {
    let ticks = if system_time < 0 { 0 } else { system_time };
    let seconds = ticks / 10_000_000;
    let hundredths = (ticks % 10_000_000) / 100_000;
    let days = seconds / 86_400;
    let of_day = seconds % 86_400;
    // Howard Hinnant's civil_from_days, shifted to the 1970 epoch; z > 0 always.
    let z = days - DAYS_1601_TO_1970 + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    TimeFields {
        year: year as u32,
        month: month as u32,
        day: day as u32,
        hour: (of_day / 3600) as u32,
        minute: (of_day / 60 % 60) as u32,
        second: (of_day % 60) as u32,
        hundredths: hundredths as u32,
    }
}

/// A volume serial number from the time of formatting.
///
/// Derived the way DOS and Windows `FORMAT` do:
/// high word = `(month << 8 | day) + (second << 8 | hundredths)`,
/// low word = `(hour << 8 | minute) + year`, each sum modulo 2^16.
///
/// `system_time` is `KeQuerySystemTime` (UTC) or its local-time conversion,
/// in 100 ns units since 1601-01-01.
#[must_use]
#[allow(clippy::cast_possible_truncation)] // the words wrap on purpose
pub const fn volume_serial_from_system_time(system_time: i64) -> u32 {
    let t = time_fields(system_time);
    let high = ((t.month << 8 | t.day) as u16).wrapping_add((t.second << 8 | t.hundredths) as u16);
    let low = ((t.hour << 8 | t.minute) as u16).wrapping_add(t.year as u16);
    (high as u32) << 16 | low as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{
        STATUS_INVALID_BUFFER_SIZE, STATUS_INVALID_PARAMETER, STATUS_OBJECT_TYPE_MISMATCH,
    };
    use proptest::prelude::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    fn sz(text: &str, nul: bool) -> Vec<u8> {
        let mut out: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        if nul {
            out.extend([0, 0]);
        }
        out
    }

    fn set(name: ValueName, reg_type: u32, data: &[u8]) -> Result<Config, ConfigError> {
        let mut b = ConfigBuilder::new();
        b.set(name, RawValue { reg_type, data })?;
        Ok(b.finish(0x1234_5678))
    }

    fn err(name: ValueName, reg_type: u32, data: &[u8]) -> (i32, String) {
        let e = set(name, reg_type, data).unwrap_err();
        assert_eq!(e.value, name);
        let line = e.to_string();
        assert!(line.starts_with(name.name()), "{line}");
        assert!(!line.contains('\n'));
        (e.status(), line)
    }

    #[test]
    fn names() {
        for v in ValueName::ALL {
            let utf16: Vec<u16> = v.name().encode_utf16().collect();
            assert_eq!(v.utf16(), &utf16[..]);
            assert_eq!(v.to_string(), v.name());
        }
    }

    #[test]
    fn defaults() {
        let c = parse(|_, _| None, 7).unwrap();
        assert_eq!(c.drive_letter, b'Z');
        let f = c.format;
        assert_eq!(f.disk_size, 1 << 20);
        assert_eq!(f.bytes_per_sector, 512);
        assert_eq!(f.file_system, FileSystem::Auto);
        assert_eq!(f.sectors_per_cluster, 0);
        assert!(!f.allow_64k_clusters);
        assert_eq!(f.root_dir_entries, 512);
        assert_eq!(f.label, VolumeLabel::DEFAULT);
        assert_eq!(f.volume_serial, 7);
        assert_eq!(f.media, 0xF8);
        assert_eq!(f.num_fats, FormatOptions::new(1).num_fats);
        let dos: Vec<u16> = r"\DosDevices\Z:".encode_utf16().collect();
        assert_eq!(c.dos_device_name(), &dos[..]);
        assert_eq!(ConfigBuilder::default(), ConfigBuilder::new());
    }

    #[test]
    fn disk_size() {
        let d = ValueName::DiskSize;
        assert_eq!(
            set(d, REG_DWORD, &4096u32.to_le_bytes())
                .unwrap()
                .format
                .disk_size,
            4096
        );
        assert_eq!(
            set(d, REG_QWORD, &(1u64 << 40).to_le_bytes())
                .unwrap()
                .format
                .disk_size,
            1 << 40
        );
        assert_eq!(
            set(d, REG_QWORD, &512u64.to_le_bytes())
                .unwrap()
                .format
                .disk_size,
            512
        );
        let max = (i64::MAX as u64) / 512 * 512;
        assert_eq!(
            set(d, REG_QWORD, &max.to_le_bytes())
                .unwrap()
                .format
                .disk_size,
            max
        );
        assert_eq!(
            err(d, REG_DWORD, &511u32.to_le_bytes()),
            (
                STATUS_INVALID_PARAMETER,
                "DiskSize: 511 is not a multiple of 512".into()
            )
        );
        assert_eq!(
            err(d, REG_DWORD, &0u32.to_le_bytes()).0,
            STATUS_INVALID_PARAMETER
        );
        assert_eq!(
            err(d, REG_QWORD, &0u64.to_le_bytes()).0,
            STATUS_INVALID_PARAMETER
        );
        assert_eq!(
            err(d, REG_QWORD, &(1u64 << 63).to_le_bytes()).0,
            STATUS_INVALID_PARAMETER
        );
        assert_eq!(
            err(d, REG_QWORD, &u64::MAX.to_le_bytes()).0,
            STATUS_INVALID_PARAMETER
        );
        assert_eq!(
            err(d, REG_DWORD, &[0, 2, 0]),
            (
                STATUS_INVALID_BUFFER_SIZE,
                "DiskSize: REG_DWORD data is 3 bytes, expected 4 bytes".into()
            )
        );
        assert_eq!(err(d, REG_DWORD, &[0; 8]).0, STATUS_INVALID_BUFFER_SIZE);
        assert_eq!(err(d, REG_QWORD, &[0; 4]).0, STATUS_INVALID_BUFFER_SIZE);
        assert_eq!(err(d, REG_QWORD, &[]).0, STATUS_INVALID_BUFFER_SIZE);
        assert_eq!(
            err(d, REG_SZ, &sz("1048576", true)),
            (
                STATUS_OBJECT_TYPE_MISMATCH,
                "DiskSize: has type 1 (REG_SZ), expected REG_DWORD or REG_QWORD".into()
            )
        );
        assert_eq!(
            err(d, REG_BINARY, &[0, 0, 16, 0]).0,
            STATUS_OBJECT_TYPE_MISMATCH
        );
        assert_eq!(
            err(d, REG_DWORD_BIG_ENDIAN, &[0, 16, 0, 0]).0,
            STATUS_OBJECT_TYPE_MISMATCH
        );
    }

    #[test]
    fn drive_letter() {
        let v = ValueName::DriveLetter;
        for (text, want) in [
            ("R", b'R'),
            ("r", b'R'),
            ("R:", b'R'),
            ("a:", b'A'),
            ("z", b'Z'),
        ] {
            assert_eq!(
                set(v, REG_SZ, &sz(text, true)).unwrap().drive_letter,
                want,
                "{text}"
            );
            assert_eq!(
                set(v, REG_SZ, &sz(text, false)).unwrap().drive_letter,
                want,
                "{text}"
            );
        }
        let mut double_nul = sz("Q", true);
        double_nul.extend([0, 0]);
        assert_eq!(set(v, REG_SZ, &double_nul).unwrap().drive_letter, b'Q');
        for bad in [
            "", "RR", "R:\\", "1", "@", "[", ":", " R", "R :", "Ä", "R\0S",
        ] {
            let (status, line) = err(v, REG_SZ, &sz(bad, true));
            assert_eq!(status, STATUS_INVALID_PARAMETER, "{bad}");
            assert!(line.contains("is not a drive letter"), "{line}");
        }
        assert_eq!(
            err(v, REG_SZ, &sz("RR", true)).1,
            "DriveLetter: \"RR\" is not a drive letter A-Z (optionally with ':')"
        );
        assert_eq!(
            err(v, REG_SZ, &sz("\u{e9}", false)).1,
            "DriveLetter: \"?\" is not a drive letter A-Z (optionally with ':')"
        );
        assert_eq!(err(v, REG_SZ, &[b'R', 0, 0]).0, STATUS_INVALID_BUFFER_SIZE);
        assert_eq!(
            err(v, REG_EXPAND_SZ, &sz("R", true)).0,
            STATUS_OBJECT_TYPE_MISMATCH
        );
        assert_eq!(
            err(v, REG_MULTI_SZ, &sz("R\0", true)).0,
            STATUS_OBJECT_TYPE_MISMATCH
        );
        assert_eq!(
            err(v, REG_DWORD, &[b'R', 0, 0, 0]).0,
            STATUS_OBJECT_TYPE_MISMATCH
        );
    }

    #[test]
    fn root_dir_entries() {
        let v = ValueName::RootDirEntries;
        for n in [1u32, 16, 512, 65535] {
            assert_eq!(
                set(v, REG_DWORD, &n.to_le_bytes())
                    .unwrap()
                    .format
                    .root_dir_entries,
                n
            );
        }
        assert_eq!(
            err(v, REG_DWORD, &0u32.to_le_bytes()),
            (
                STATUS_INVALID_PARAMETER,
                "RootDirEntries: 0 is outside 1..=65535".into()
            )
        );
        assert_eq!(
            err(v, REG_DWORD, &65536u32.to_le_bytes()).0,
            STATUS_INVALID_PARAMETER
        );
        assert_eq!(
            err(v, REG_DWORD, &u32::MAX.to_le_bytes()).0,
            STATUS_INVALID_PARAMETER
        );
        assert_eq!(
            err(v, REG_QWORD, &512u64.to_le_bytes()).0,
            STATUS_OBJECT_TYPE_MISMATCH
        );
        assert_eq!(err(v, REG_DWORD, &[0, 2]).0, STATUS_INVALID_BUFFER_SIZE);
    }

    #[test]
    fn sectors_per_cluster() {
        let v = ValueName::SectorsPerCluster;
        for n in [0u32, 1, 2, 4, 8, 16, 32, 64, 128] {
            let f = set(v, REG_DWORD, &n.to_le_bytes()).unwrap().format;
            assert_eq!(f.sectors_per_cluster, n);
            assert_eq!(f.allow_64k_clusters, n == 128);
        }
        for n in [3u32, 6, 127, 256, 1 << 31, u32::MAX] {
            let (status, line) = err(v, REG_DWORD, &n.to_le_bytes());
            assert_eq!(status, STATUS_INVALID_PARAMETER);
            assert_eq!(
                line,
                std::format!(
                    "SectorsPerCluster: {n} is not 0 (automatic) or a power of two from 1 to 128"
                )
            );
        }
        assert_eq!(
            err(v, REG_SZ, &sz("8", true)).0,
            STATUS_OBJECT_TYPE_MISMATCH
        );
    }

    #[test]
    fn file_system() {
        let v = ValueName::FileSystem;
        for (text, want) in [
            ("auto", FileSystem::Auto),
            ("AUTO", FileSystem::Auto),
            ("FAT12", FileSystem::Fat12),
            ("fat16", FileSystem::Fat16),
            ("Fat32", FileSystem::Fat32),
        ] {
            assert_eq!(
                set(v, REG_SZ, &sz(text, true)).unwrap().format.file_system,
                want
            );
            assert_eq!(
                set(v, REG_SZ, &sz(text, false)).unwrap().format.file_system,
                want
            );
        }
        for bad in [
            "",
            "NTFS",
            "FAT",
            "exFAT",
            "FAT 32",
            " auto",
            "auto ",
            "fat32\u{0}x",
        ] {
            assert_eq!(
                err(v, REG_SZ, &sz(bad, true)).0,
                STATUS_INVALID_PARAMETER,
                "{bad}"
            );
        }
        assert_eq!(
            err(v, REG_SZ, &sz("NTFS", true)).1,
            "FileSystem: \"NTFS\" is not auto, FAT12, FAT16 or FAT32"
        );
        assert_eq!(
            err(v, REG_SZ, &sz("fat32\u{0}x", true)).1,
            "FileSystem: \"fat32?x\" is not auto, FAT12, FAT16 or FAT32"
        );
    }

    #[test]
    fn volume_label() {
        let v = ValueName::VolumeLabel;
        let label = |t: &str| set(v, REG_SZ, &sz(t, true)).unwrap().format.label;
        assert_eq!(label("Scratch").as_bytes(), b"SCRATCH    ");
        assert_eq!(label("ELEVENCHARS").as_bytes(), b"ELEVENCHARS");
        assert_eq!(label(""), VolumeLabel::NO_NAME);
        assert_eq!(
            set(v, REG_SZ, &[]).unwrap().format.label,
            VolumeLabel::NO_NAME
        );
        for bad in ["TWELVECHARSX", " LEAD", "A.B", "caf\u{e9}", "\u{1F600}"] {
            let (status, line) = err(v, REG_SZ, &sz(bad, true));
            assert_eq!(status, STATUS_INVALID_PARAMETER, "{bad}");
            assert!(line.contains("is not a FAT volume label"), "{line}");
        }
        // 32 characters: the most the buffer holds, still rejected as a label.
        let long = "A".repeat(32);
        assert_eq!(
            err(v, REG_SZ, &sz(&long, false)).0,
            STATUS_INVALID_PARAMETER
        );
        // 33 characters (+ NUL): more than MAX_VALUE_DATA.
        assert_eq!(
            err(v, REG_SZ, &sz(&"A".repeat(33), true)),
            (
                STATUS_INVALID_BUFFER_SIZE,
                "VolumeLabel: data is 68 bytes, more than the 64 the driver reads".into()
            )
        );
    }

    #[test]
    fn parse_reads_each_value_once_and_stops_at_first_error() {
        let mut seen = Vec::new();
        let c = parse(
            |name, buf| {
                seen.push(name);
                let data: Vec<u8> = match name {
                    ValueName::DiskSize => (64u32 << 20).to_le_bytes().to_vec(),
                    ValueName::DriveLetter => sz("r:", true),
                    ValueName::FileSystem => sz("FAT32", true),
                    ValueName::VolumeLabel => sz("scratch", false),
                    _ => return None,
                };
                buf.get_mut(..data.len())?.copy_from_slice(&data);
                Some((
                    if name == ValueName::DiskSize {
                        REG_DWORD
                    } else {
                        REG_SZ
                    },
                    data.len(),
                ))
            },
            0xABCD_0123,
        )
        .unwrap();
        assert_eq!(seen, ValueName::ALL);
        assert_eq!(c.drive_letter, b'R');
        assert_eq!(c.format.disk_size, 64 << 20);
        assert_eq!(c.format.file_system, FileSystem::Fat32);
        assert_eq!(c.format.label.as_bytes(), b"SCRATCH    ");
        assert_eq!(c.format.volume_serial, 0xABCD_0123);

        let mut seen = Vec::new();
        let e = parse(
            |name, _| {
                seen.push(name);
                (name == ValueName::DriveLetter).then_some((REG_SZ, 1000))
            },
            0,
        )
        .unwrap_err();
        assert_eq!(seen, [ValueName::DiskSize, ValueName::DriveLetter]);
        assert_eq!(
            e,
            ConfigError {
                value: ValueName::DriveLetter,
                problem: Problem::TooLong { len: 1000 }
            }
        );
        assert_eq!(e.status(), STATUS_INVALID_BUFFER_SIZE);
        let e = parse(
            |name, _| (name == ValueName::DiskSize).then_some((REG_SZ, 1000)),
            0,
        )
        .unwrap_err();
        assert_eq!(e.status(), STATUS_OBJECT_TYPE_MISMATCH);
    }

    #[test]
    fn format_errors_blame_a_value() {
        let mut o = FormatOptions::new(1 << 20);
        o.file_system = FileSystem::Fat32;
        let p = explain_format_error(FormatError::TooSmall, &o);
        assert_eq!(p.value, Some(ValueName::DiskSize));
        assert_eq!(p.status(), STATUS_INVALID_PARAMETER);
        assert_eq!(
            p.to_string(),
            "DiskSize: 1048576 bytes is too small for FAT32"
        );
        o.file_system = FileSystem::Auto;
        assert_eq!(
            explain_format_error(FormatError::TooLarge, &o).to_string(),
            "DiskSize: 1048576 bytes is too large for any FAT type"
        );
        let cases = [
            (FormatError::NotSectorMultiple, Some(ValueName::DiskSize)),
            (
                FormatError::InvalidSectorsPerCluster,
                Some(ValueName::SectorsPerCluster),
            ),
            (
                FormatError::InvalidRootDirEntries,
                Some(ValueName::RootDirEntries),
            ),
            (FormatError::InvalidLabel, Some(ValueName::VolumeLabel)),
            (
                FormatError::ClusterCountOutOfRange,
                Some(ValueName::DiskSize),
            ),
            (FormatError::InvalidBytesPerSector, None),
            (FormatError::InvalidNumFats, None),
            (FormatError::InvalidMedia, None),
            (FormatError::WriteFailed, None),
        ];
        for (e, value) in cases {
            let p = explain_format_error(e, &o);
            assert_eq!(p.value, value, "{e:?}");
            let line = p.to_string();
            if let Some(v) = value {
                assert!(line.starts_with(v.name()), "{line}");
            }
            assert_eq!(p.status(), STATUS_INVALID_PARAMETER);
        }
        o.file_system = FileSystem::Fat16;
        assert_eq!(
            explain_format_error(FormatError::ClusterCountOutOfRange, &o).value,
            Some(ValueName::FileSystem)
        );
        o.sectors_per_cluster = 64;
        let p = explain_format_error(FormatError::ClusterCountOutOfRange, &o);
        assert_eq!(p.value, Some(ValueName::SectorsPerCluster));
        assert_eq!(
            p.to_string(),
            "SectorsPerCluster: FAT16 with SectorsPerCluster 64 on 1048576 bytes gives a cluster count outside that type's range"
        );
    }

    #[test]
    fn time_fields_and_serial() {
        // 2026-11-21 10:41:19.50 UTC.
        let t = 134_397_312_795_000_000;
        assert_eq!(
            time_fields(t),
            TimeFields {
                year: 2026,
                month: 11,
                day: 21,
                hour: 10,
                minute: 41,
                second: 19,
                hundredths: 50
            }
        );
        // (11<<8|21) + (19<<8|50) = 0x0B15 + 0x1332; (10<<8|41) + 2026 = 0x0A29 + 0x07EA.
        assert_eq!(volume_serial_from_system_time(t), 0x1E47_1213);
        // 1999-12-31 23:59:59.99 and a leap day.
        let t = time_fields(125_911_583_999_900_000);
        assert_eq!(
            (
                t.year,
                t.month,
                t.day,
                t.hour,
                t.minute,
                t.second,
                t.hundredths
            ),
            (1999, 12, 31, 23, 59, 59, 99)
        );
        let t = time_fields(133_536_384_000_000_000);
        assert_eq!((t.year, t.month, t.day, t.hour), (2024, 2, 29, 0));
        // The epoch, negative times, and the far end.
        let epoch = TimeFields {
            year: 1601,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            hundredths: 0,
        };
        assert_eq!(time_fields(0), epoch);
        assert_eq!(time_fields(-1), epoch);
        assert_eq!(time_fields(i64::MIN), epoch);
        assert_eq!(time_fields(i64::MAX).year, 30828);
        assert_eq!(volume_serial_from_system_time(0), (0x0101 << 16) | 0x0641);
    }

    proptest! {
        #[test]
        fn any_value_is_judged_without_panic(
            which in 0usize..6,
            reg_type in prop_oneof![0u32..12, any::<u32>()],
            data in proptest::collection::vec(any::<u8>(), 0..80),
        ) {
            let name = ValueName::ALL[which];
            let mut b = ConfigBuilder::new();
            let before = b;
            match b.set(name, RawValue { reg_type, data: &data }) {
                Ok(()) => {
                    let c = b.finish(0);
                    prop_assert!(c.drive_letter.is_ascii_uppercase());
                    prop_assert!(c.format.disk_size > 0 && c.format.disk_size.is_multiple_of(512));
                    prop_assert!((1..=65535).contains(&c.format.root_dir_entries));
                    prop_assert!(c.format.sectors_per_cluster == 0 || (c.format.sectors_per_cluster.is_power_of_two() && c.format.sectors_per_cluster <= 128));
                    prop_assert!(data.len() <= MAX_VALUE_DATA);
                }
                Err(e) => {
                    prop_assert_eq!(b, before);
                    prop_assert_eq!(e.value, name);
                    prop_assert!([STATUS_INVALID_PARAMETER, STATUS_INVALID_BUFFER_SIZE, STATUS_OBJECT_TYPE_MISMATCH].contains(&e.status()));
                    let line = e.to_string();
                    prop_assert!(line.starts_with(name.name()));
                    prop_assert!(!line.contains('\n'));
                }
            }
        }

        #[test]
        fn serial_is_total(t in any::<i64>()) {
            let f = time_fields(t);
            prop_assert!((1..=12).contains(&f.month) && (1..=31).contains(&f.day));
            prop_assert!(f.hour < 24 && f.minute < 60 && f.second < 60 && f.hundredths < 100);
            let _ = volume_serial_from_system_time(t);
        }
    }
}
