//! `REG_*` value decoding: the value names, the registry types each accepts, the
//! raw data as `ZwQueryValueKey` returns it, and its conversion to numbers and text.

use core::fmt;

use super::MAX_VALUE_DATA;
use crate::disk::ascii_utf16;
use crate::fat::FileSystem;

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
    /// `FileSystem`: `auto`, `FAT12`, `FAT16`, `FAT32` or `exFAT`.
    FileSystem,
    /// `VolumeLabel`.
    VolumeLabel,
    /// `Allocation`: `fixed` or `dynamic`.
    Allocation,
    /// `MemoryLimit`: bytes a dynamic disk may hold.
    MemoryLimit,
    /// `ImageFile`: the image the disk loads and saves (up to 1024 characters).
    ImageFile,
    /// `SaveOn`: `never`, `stop` or `shutdown`.
    SaveOn,
    /// `ReadOnly`: 0 or 1.
    ReadOnly,
}

const DISK_SIZE_U16: [u16; 8] = ascii_utf16("DiskSize");
const DRIVE_LETTER_U16: [u16; 11] = ascii_utf16("DriveLetter");
const ROOT_DIR_ENTRIES_U16: [u16; 14] = ascii_utf16("RootDirEntries");
const SECTORS_PER_CLUSTER_U16: [u16; 17] = ascii_utf16("SectorsPerCluster");
const FILE_SYSTEM_U16: [u16; 10] = ascii_utf16("FileSystem");
const VOLUME_LABEL_U16: [u16; 11] = ascii_utf16("VolumeLabel");
const ALLOCATION_U16: [u16; 10] = ascii_utf16("Allocation");
const MEMORY_LIMIT_U16: [u16; 11] = ascii_utf16("MemoryLimit");
const IMAGE_FILE_U16: [u16; 9] = ascii_utf16("ImageFile");
const SAVE_ON_U16: [u16; 6] = ascii_utf16("SaveOn");
const READ_ONLY_U16: [u16; 8] = ascii_utf16("ReadOnly");

impl ValueName {
    /// Every value, in the order the glue should read them.
    pub const ALL: [Self; 11] = [
        Self::DiskSize,
        Self::DriveLetter,
        Self::RootDirEntries,
        Self::SectorsPerCluster,
        Self::FileSystem,
        Self::VolumeLabel,
        Self::Allocation,
        Self::MemoryLimit,
        Self::ImageFile,
        Self::SaveOn,
        Self::ReadOnly,
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
            Self::Allocation => "Allocation",
            Self::MemoryLimit => "MemoryLimit",
            Self::ImageFile => "ImageFile",
            Self::SaveOn => "SaveOn",
            Self::ReadOnly => "ReadOnly",
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
            Self::Allocation => &ALLOCATION_U16,
            Self::MemoryLimit => &MEMORY_LIMIT_U16,
            Self::ImageFile => &IMAGE_FILE_U16,
            Self::SaveOn => &SAVE_ON_U16,
            Self::ReadOnly => &READ_ONLY_U16,
        }
    }

    /// The registry types this value accepts, for messages.
    pub(super) const fn expected_type(self) -> &'static str {
        match self {
            Self::DiskSize | Self::MemoryLimit => "REG_DWORD or REG_QWORD",
            Self::RootDirEntries | Self::SectorsPerCluster | Self::ReadOnly => "REG_DWORD",
            Self::DriveLetter
            | Self::FileSystem
            | Self::VolumeLabel
            | Self::Allocation
            | Self::ImageFile
            | Self::SaveOn => "REG_SZ",
        }
    }

    /// The most data bytes the driver reads for this value: [`MAX_VALUE_DATA`], or
    /// [`super::MAX_IMAGE_FILE_DATA`] for `ImageFile` (its own, larger buffer).
    #[must_use]
    pub const fn max_data(self) -> usize {
        match self {
            Self::ImageFile => super::MAX_IMAGE_FILE_DATA,
            _ => MAX_VALUE_DATA,
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
    /// Renders UTF-16 code units (non-ASCII as `?`).
    pub(super) fn from_utf16(units: &[u16]) -> Self {
        let mut ascii = [0u8; MAX_VALUE_DATA / 2];
        for (slot, &u) in ascii.iter_mut().zip(units) {
            *slot = u8::try_from(u).ok().filter(u8::is_ascii).unwrap_or(0xFF);
        }
        Self::from_ascii(ascii.get(..units.len()).unwrap_or(&ascii))
    }

    pub(super) fn from_ascii(chars: &[u8]) -> Self {
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

/// The name of a `REG_*` type, for messages.
pub(super) const fn reg_type_name(reg_type: u32) -> &'static str {
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

/// Whether `reg_type` is a type `value` accepts.
pub(super) const fn type_accepted(value: ValueName, reg_type: u32) -> bool {
    match value {
        ValueName::DiskSize | ValueName::MemoryLimit => {
            reg_type == REG_DWORD || reg_type == REG_QWORD
        }
        ValueName::RootDirEntries | ValueName::SectorsPerCluster | ValueName::ReadOnly => {
            reg_type == REG_DWORD
        }
        ValueName::DriveLetter
        | ValueName::FileSystem
        | ValueName::VolumeLabel
        | ValueName::Allocation
        | ValueName::ImageFile
        | ValueName::SaveOn => reg_type == REG_SZ,
    }
}

/// Trailing-NUL-stripped, ASCII-mapped characters of a `REG_SZ` (non-ASCII
/// UTF-16 units become 0xFF, which every check rejects).
pub(super) struct Chars {
    bytes: [u8; MAX_VALUE_DATA / 2],
    len: usize,
}

impl Chars {
    pub(super) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

/// A `REG_DWORD` (4 bytes) or `REG_QWORD` (8 bytes) value; `None` for any other size.
pub(super) fn integer(value: RawValue<'_>) -> Option<u64> {
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
pub(super) fn utf16_chars(data: &[u8]) -> Option<Chars> {
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

/// `REG_SZ` data as UTF-16 code units, trailing NULs dropped; `None` for odd-length
/// data. At most `N` units (callers never pass more than `2 * N` bytes: [`MAX_VALUE_DATA`],
/// or `MAX_IMAGE_FILE_DATA` for `ImageFile`).
pub(super) fn utf16_units<const N: usize>(data: &[u8]) -> Option<([u16; N], usize)> {
    if !data.len().is_multiple_of(2) {
        return None;
    }
    let mut units = [0u16; N];
    let mut len = 0;
    for (slot, pair) in units.iter_mut().zip(data.chunks_exact(2)) {
        *slot = match pair {
            &[lo, hi] => u16::from_le_bytes([lo, hi]),
            _ => 0,
        };
        len += 1;
    }
    while len > 0 && units.get(len - 1) == Some(&0) {
        len -= 1;
    }
    Some((units, len))
}

/// `X` or `X:`, any case, to `b'X'`.
pub(super) fn drive_letter(text: &[u8]) -> Option<u8> {
    match text {
        &[c] | &[c, b':'] if c.is_ascii_alphabetic() => Some(c.to_ascii_uppercase()),
        _ => None,
    }
}

/// `auto`, `FAT12`, `FAT16`, `FAT32`, `exFAT`, any case.
pub(super) fn file_system(text: &[u8]) -> Option<FileSystem> {
    [
        (&b"auto"[..], FileSystem::Auto),
        (b"fat12", FileSystem::Fat12),
        (b"fat16", FileSystem::Fat16),
        (b"fat32", FileSystem::Fat32),
        (b"exfat", FileSystem::Exfat),
    ]
    .into_iter()
    .find(|(name, _)| name.eq_ignore_ascii_case(text))
    .map(|(_, fs)| fs)
}

/// The registry spelling of a file system choice.
pub const fn file_system_name(fs: FileSystem) -> &'static str {
    match fs {
        FileSystem::Auto => "auto",
        FileSystem::Fat12 => "FAT12",
        FileSystem::Fat16 => "FAT16",
        FileSystem::Fat32 => "FAT32",
        FileSystem::Exfat => "exFAT",
    }
}
