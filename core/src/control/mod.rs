//! The control device `\Device\RamdiskControl`: its IOCTLs, their validation, their replies.
//!
//! Shared by the driver (which parses and answers) and ramdiskctl (which encodes and
//! decodes).
//!
//! | IOCTL | input | output | does |
//! |---|---|---|---|
//! | `IOCTL_RAMDISK_CREATE` | [`RamdiskCreateInput`] | [`RamdiskDiskInfo`] | creates a disk |
//! | `IOCTL_RAMDISK_REMOVE` | [`RamdiskSelect`] | – | removes a disk (safely) |
//! | `IOCTL_RAMDISK_LIST` | – | [`RamdiskListHeader`] + entries | lists the disks |
//! | `IOCTL_RAMDISK_QUERY` | [`RamdiskSelect`] | [`RamdiskDiskInfo`] | one disk |
//!
//! CREATE carries the same settings as a registry disk and goes through the same
//! parser: each given field becomes the registry value it stands for (type and bytes
//! as `ZwQueryValueKey` would return them) and is fed to [`ConfigBuilder::set`], so a
//! value the registry refuses is refused here with the same message and status.
//!
//! Statuses: a buffer of the wrong length (shorter or longer than `Size`, or `Size`
//! not the structure's) `STATUS_INFO_LENGTH_MISMATCH`; another `Version`
//! `STATUS_REVISION_MISMATCH`; an output buffer too small for the reply
//! `STATUS_BUFFER_TOO_SMALL` (checked before anything is done); unknown `Fields` or
//! flag bits, nonzero reserved or absent fields, unterminated text
//! `STATUS_INVALID_PARAMETER`; a bad setting its registry status (`Allocation` and
//! `MemoryLimit` too; whether a `MemoryLimit` goes with the `Allocation` and the
//! machine is [`crate::config::plan_memory`]'s, as for a registry disk).

#[cfg(test)]
mod tests;

use core::fmt;

use zerocopy::{FromBytes, FromZeros, IntoBytes};

use crate::config::{
    Config, ConfigBuilder, ConfigError, REG_DWORD, REG_QWORD, REG_SZ, RawValue, ValueName,
};
use crate::disk::{DiskIdentity, DiskName, IdentityError, UniqueId, ascii_utf16};
use crate::ioctl::Reply;
use crate::ioctl::codes::{FILE_ANY_ACCESS, FILE_WRITE_ACCESS, METHOD_BUFFERED, ctl_code};
use crate::mountmgr::LetterSet;
use crate::status::{
    STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_INFO_LENGTH_MISMATCH,
    STATUS_INVALID_PARAMETER, STATUS_REVISION_MISMATCH, STATUS_SUCCESS,
};
pub use crate::wire::control::*;
use crate::wire::{U16, U32, U64};

/// `FILE_DEVICE_UNKNOWN`: the control device's type (no file system tries to mount it).
pub const FILE_DEVICE_UNKNOWN: u32 = 0x0000_0022;

/// `IOCTL_RAMDISK_CREATE`: `CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED,
/// FILE_WRITE_ACCESS)`.
pub const IOCTL_RAMDISK_CREATE: u32 = ctl_code(
    FILE_DEVICE_UNKNOWN,
    0x900,
    METHOD_BUFFERED,
    FILE_WRITE_ACCESS,
);
/// `IOCTL_RAMDISK_REMOVE`: function 0x901, `FILE_WRITE_ACCESS`.
pub const IOCTL_RAMDISK_REMOVE: u32 = ctl_code(
    FILE_DEVICE_UNKNOWN,
    0x901,
    METHOD_BUFFERED,
    FILE_WRITE_ACCESS,
);
/// `IOCTL_RAMDISK_LIST`: function 0x902, `FILE_ANY_ACCESS`.
pub const IOCTL_RAMDISK_LIST: u32 =
    ctl_code(FILE_DEVICE_UNKNOWN, 0x902, METHOD_BUFFERED, FILE_ANY_ACCESS);
/// `IOCTL_RAMDISK_QUERY`: function 0x903, `FILE_ANY_ACCESS`.
pub const IOCTL_RAMDISK_QUERY: u32 =
    ctl_code(FILE_DEVICE_UNKNOWN, 0x903, METHOD_BUFFERED, FILE_ANY_ACCESS);

/// `\Device\RamdiskControl`.
pub const CONTROL_DEVICE_NAME: &str = r"\Device\RamdiskControl";
/// `\DosDevices\RamdiskControl` (user mode: `\\.\RamdiskControl`).
pub const CONTROL_LINK_NAME: &str = r"\DosDevices\RamdiskControl";
/// [`CONTROL_DEVICE_NAME`] as UTF-16, for `IoCreateDevice`.
pub const CONTROL_DEVICE_NAME_UTF16: [u16; 22] = ascii_utf16(CONTROL_DEVICE_NAME);
/// [`CONTROL_LINK_NAME`] as UTF-16, for `IoCreateSymbolicLink`.
pub const CONTROL_LINK_NAME_UTF16: [u16; 26] = ascii_utf16(CONTROL_LINK_NAME);

/// How many disks the driver holds at once (boot-time and runtime together).
pub const MAX_DISKS: usize = 16;

/// `size_of::<T>()` as a `Size` field: every structure here is a few hundred bytes.
#[expect(
    clippy::cast_possible_truncation,
    reason = "the structures are at most 208 bytes (asserted in wire::control)"
)]
const fn size32<T>() -> u32 {
    size_of::<T>() as u32
}

/// Which control request a code is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Request {
    /// `IOCTL_RAMDISK_CREATE`.
    Create,
    /// `IOCTL_RAMDISK_REMOVE`.
    Remove,
    /// `IOCTL_RAMDISK_LIST`.
    List,
    /// `IOCTL_RAMDISK_QUERY`.
    Query,
}

impl Request {
    /// The request `code` is, if it is one of the control device's.
    #[must_use]
    pub const fn from_code(code: u32) -> Option<Self> {
        match code {
            IOCTL_RAMDISK_CREATE => Some(Self::Create),
            IOCTL_RAMDISK_REMOVE => Some(Self::Remove),
            IOCTL_RAMDISK_LIST => Some(Self::List),
            IOCTL_RAMDISK_QUERY => Some(Self::Query),
            _ => None,
        }
    }

    /// For log lines.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Remove => "REMOVE",
            Self::List => "LIST",
            Self::Query => "QUERY",
        }
    }

    /// The smallest output buffer the request needs.
    #[must_use]
    pub const fn min_output(self) -> usize {
        match self {
            Self::Create | Self::Query => size_of::<RamdiskDiskInfo>(),
            Self::Remove => 0,
            Self::List => size_of::<RamdiskListHeader>(),
        }
    }
}

/// A field of the control input, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// `Fields`.
    Fields,
    /// A reserved field.
    Reserved,
    /// `FileSystem`.
    FileSystem,
    /// `VolumeLabel`.
    VolumeLabel,
    /// `Allocation`.
    Allocation,
    /// `MemoryLimit`.
    MemoryLimit,
    /// `PersistName`.
    PersistName,
    /// `SectorsPerCluster`.
    SectorsPerCluster,
    /// `RootDirEntries`.
    RootDirEntries,
    /// `By`.
    By,
    /// `Value`.
    Value,
    /// `Flags`.
    Flags,
}

impl Field {
    /// The structure field's name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Fields => "Fields",
            Self::Reserved => "a reserved field",
            Self::FileSystem => "FileSystem",
            Self::VolumeLabel => "VolumeLabel",
            Self::Allocation => "Allocation",
            Self::MemoryLimit => "MemoryLimit",
            Self::PersistName => "PersistName",
            Self::SectorsPerCluster => "SectorsPerCluster",
            Self::RootDirEntries => "RootDirEntries",
            Self::By => "By",
            Self::Value => "Value",
            Self::Flags => "Flags",
        }
    }
}

/// Why a control request was refused before anything was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ControlError {
    /// The input is not exactly one structure of this version (`found` bytes, or a
    /// `Size` field of `found`, where `expected` are needed).
    Length {
        /// Bytes the structure has.
        expected: usize,
        /// Bytes given (or the `Size` field).
        found: usize,
    },
    /// Another `Version`.
    Version {
        /// The version given.
        found: u32,
    },
    /// The output buffer cannot hold the reply.
    OutputTooSmall {
        /// Bytes the reply needs at least.
        needed: usize,
        /// Bytes given.
        found: usize,
    },
    /// Unknown bits, a nonzero reserved field, a field given that must be absent, or
    /// text without room for its NUL.
    Malformed(Field),
    /// A setting the registry parser refused.
    Config(ConfigError),
    /// The persist name is not 1–32 characters of `[A-Za-z0-9_-]`.
    PersistName,
}

impl ControlError {
    /// The status the IRP completes with.
    #[must_use]
    pub const fn status(&self) -> i32 {
        match self {
            Self::Length { .. } => STATUS_INFO_LENGTH_MISMATCH,
            Self::Version { .. } => STATUS_REVISION_MISMATCH,
            Self::OutputTooSmall { .. } => STATUS_BUFFER_TOO_SMALL,
            Self::Malformed(_) | Self::PersistName => STATUS_INVALID_PARAMETER,
            Self::Config(e) => e.status(),
        }
    }
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Length { expected, found } => write!(
                f,
                "the input is {found} bytes, the version-{RAMDISK_CONTROL_VERSION} structure {expected}"
            ),
            Self::Version { found } => write!(
                f,
                "version {found} is not {RAMDISK_CONTROL_VERSION}, the one this driver speaks"
            ),
            Self::OutputTooSmall { needed, found } => write!(
                f,
                "the output buffer is {found} bytes, the reply needs {needed}"
            ),
            Self::Malformed(field) => write!(
                f,
                "{} holds bits or bytes version {RAMDISK_CONTROL_VERSION} does not define (or text without its NUL)",
                field.name()
            ),
            Self::Config(e) => write!(f, "{e}"),
            Self::PersistName => write!(f, "PersistName: {}", IdentityError::InvalidName),
        }
    }
}

/// Reads one version-1 structure `T` that must fill `input` exactly.
fn read_exact<T: FromBytes + Copy>(input: &[u8]) -> Result<T, ControlError> {
    let expected = size_of::<T>();
    // Version and Size come first in every structure.
    let header = <[U32; 2]>::read_from_prefix(input).map(|(h, _)| h).ok();
    let Some([version, size]) = header else {
        return Err(ControlError::Length {
            expected,
            found: input.len(),
        });
    };
    if version.get() != RAMDISK_CONTROL_VERSION {
        return Err(ControlError::Version {
            found: version.get(),
        });
    }
    if size.get() as usize != expected {
        return Err(ControlError::Length {
            expected,
            found: size.get() as usize,
        });
    }
    T::read_from_bytes(input).map_err(|_| ControlError::Length {
        expected,
        found: input.len(),
    })
}

/// The text of a `WCHAR` field: the units before the first NUL, all units after it
/// NUL. `None` when there is no NUL (or a unit after it is not).
fn text(units: &[U16]) -> Option<&[U16]> {
    let end = units.iter().position(|u| u.get() == 0)?;
    let (text, rest) = units.split_at(end);
    rest.iter().all(|u| u.get() == 0).then_some(text)
}

/// Whether every unit is NUL.
fn blank(units: &[U16]) -> bool {
    units.iter().all(|u| u.get() == 0)
}

/// What `IOCTL_RAMDISK_CREATE` asks for, validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CreateRequest {
    /// The disk's configuration (its `drive_letter` is the registry default when
    /// `letter` is `None`; the driver sets the letter it picked).
    pub config: Config,
    /// The drive letter asked for (`A`..=`Z`), or `None`: the driver picks one.
    pub letter: Option<u8>,
    /// The persist name, if the disk is (to be) `Parameters\Disks\<name>`.
    pub persist: Option<DiskName>,
}

/// Validates an `IOCTL_RAMDISK_CREATE` input; `volume_serial` is the new volume's.
///
/// # Errors
/// See the module documentation; the first problem found.
pub fn parse_create(input: &[u8], volume_serial: u32) -> Result<CreateRequest, ControlError> {
    let c: RamdiskCreateInput = read_exact(input)?;
    let fields = c.fields.get();
    if fields & !RAMDISK_FIELDS_V1 != 0 {
        return Err(ControlError::Malformed(Field::Fields));
    }
    if c.reserved.get() != 0 || !blank(&c.reserved2) {
        return Err(ControlError::Malformed(Field::Reserved));
    }
    let has = |bit: u32| fields & bit != 0;
    let mut b = ConfigBuilder::new();
    let mut set = |name: ValueName, reg_type: u32, data: &[u8]| {
        b.set(name, RawValue { reg_type, data })
            .map_err(ControlError::Config)
    };
    set(ValueName::DiskSize, REG_QWORD, c.disk_size.as_bytes())?;
    let letter = match c.drive_letter.get() {
        0 => None,
        unit => {
            set(ValueName::DriveLetter, REG_SZ, &unit.to_le_bytes())?;
            // The parser accepted one character A-Z or a-z.
            u8::try_from(unit).ok().map(|l| l.to_ascii_uppercase())
        }
    };
    // Numbers: given, or zero.
    for (bit, field, name, value) in [
        (
            RAMDISK_FIELD_SECTORS_PER_CLUSTER,
            Field::SectorsPerCluster,
            ValueName::SectorsPerCluster,
            c.sectors_per_cluster,
        ),
        (
            RAMDISK_FIELD_ROOT_DIR_ENTRIES,
            Field::RootDirEntries,
            ValueName::RootDirEntries,
            c.root_dir_entries,
        ),
    ] {
        if has(bit) {
            set(name, REG_DWORD, value.as_bytes())?;
        } else if value.get() != 0 {
            return Err(ControlError::Malformed(field));
        }
    }
    // Text: given (NUL-terminated), or all NUL.
    for (bit, field, name, units) in [
        (
            RAMDISK_FIELD_FILE_SYSTEM,
            Field::FileSystem,
            ValueName::FileSystem,
            &c.file_system,
        ),
        (
            RAMDISK_FIELD_VOLUME_LABEL,
            Field::VolumeLabel,
            ValueName::VolumeLabel,
            &c.volume_label,
        ),
    ] {
        if has(bit) {
            let t = text(units).ok_or(ControlError::Malformed(field))?;
            set(name, REG_SZ, t.as_bytes())?;
        } else if !blank(units) {
            return Err(ControlError::Malformed(field));
        }
    }
    if has(RAMDISK_FIELD_ALLOCATION) {
        let t = text(&c.allocation).ok_or(ControlError::Malformed(Field::Allocation))?;
        set(ValueName::Allocation, REG_SZ, t.as_bytes())?;
    } else if !blank(&c.allocation) {
        return Err(ControlError::Malformed(Field::Allocation));
    }
    if has(RAMDISK_FIELD_MEMORY_LIMIT) {
        set(ValueName::MemoryLimit, REG_QWORD, c.memory_limit.as_bytes())?;
    } else if c.memory_limit.get() != 0 {
        return Err(ControlError::Malformed(Field::MemoryLimit));
    }
    let persist = if has(RAMDISK_FIELD_PERSIST_NAME) {
        let t = text(&c.persist_name).ok_or(ControlError::Malformed(Field::PersistName))?;
        let mut ascii = [0u8; PERSIST_NAME_UNITS];
        for (slot, unit) in ascii.iter_mut().zip(t) {
            *slot = u8::try_from(unit.get()).unwrap_or(0xFF);
        }
        let name = ascii.get(..t.len()).unwrap_or(&[]);
        Some(DiskName::parse(name).map_err(|_| ControlError::PersistName)?)
    } else if blank(&c.persist_name) {
        None
    } else {
        return Err(ControlError::Malformed(Field::PersistName));
    };
    // What depends on the file system (FAT's cluster and label limits), as the
    // registry's parse checks it once every value is set.
    b.check().map_err(ControlError::Config)?;
    let mut config = b.finish(volume_serial);
    if let Some(l) = letter {
        config.drive_letter = l;
    }
    Ok(CreateRequest {
        config,
        letter,
        persist,
    })
}

/// The disk a REMOVE or QUERY means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Select {
    /// By ramdisk index.
    Index(u32),
    /// By drive letter (`A`..=`Z`).
    Letter(u8),
}

impl fmt::Display for Select {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Index(i) => write!(f, "ramdisk {i}"),
            Self::Letter(l) => write!(f, "{}:", char::from(l)),
        }
    }
}

/// A validated `IOCTL_RAMDISK_REMOVE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RemoveRequest {
    /// Which disk.
    pub select: Select,
    /// Remove even while busy (open handles, a mounted file system).
    pub force: bool,
}

fn select(s: &RamdiskSelect) -> Result<Select, ControlError> {
    if s.reserved.get() != 0 {
        return Err(ControlError::Malformed(Field::Reserved));
    }
    let value = s.value.get();
    match s.by.get() {
        RAMDISK_BY_INDEX => Ok(Select::Index(value)),
        RAMDISK_BY_LETTER => u8::try_from(value)
            .ok()
            .map(|l| l.to_ascii_uppercase())
            .filter(u8::is_ascii_uppercase)
            .map(Select::Letter)
            .ok_or(ControlError::Malformed(Field::Value)),
        _ => Err(ControlError::Malformed(Field::By)),
    }
}

/// Validates an `IOCTL_RAMDISK_REMOVE` input.
///
/// # Errors
/// See the module documentation.
pub fn parse_remove(input: &[u8]) -> Result<RemoveRequest, ControlError> {
    let s: RamdiskSelect = read_exact(input)?;
    if s.flags.get() & !RAMDISK_REMOVE_FORCE != 0 {
        return Err(ControlError::Malformed(Field::Flags));
    }
    Ok(RemoveRequest {
        select: select(&s)?,
        force: s.flags.get() & RAMDISK_REMOVE_FORCE != 0,
    })
}

/// Validates an `IOCTL_RAMDISK_QUERY` input.
///
/// # Errors
/// See the module documentation (`Flags` must be 0).
pub fn parse_query(input: &[u8]) -> Result<Select, ControlError> {
    let s: RamdiskSelect = read_exact(input)?;
    if s.flags.get() != 0 {
        return Err(ControlError::Malformed(Field::Flags));
    }
    select(&s)
}

/// Checks, before anything is done, that the output buffer can hold the reply.
///
/// # Errors
/// [`ControlError::OutputTooSmall`].
pub const fn check_output(request: Request, output_len: usize) -> Result<(), ControlError> {
    let needed = request.min_output();
    if output_len < needed {
        Err(ControlError::OutputTooSmall {
            needed,
            found: output_len,
        })
    } else {
        Ok(())
    }
}

/// A `REMOVE`/`QUERY` input.
#[must_use]
pub fn encode_select(select: Select, force: bool) -> RamdiskSelect {
    let (by, value) = match select {
        Select::Index(i) => (RAMDISK_BY_INDEX, i),
        Select::Letter(l) => (RAMDISK_BY_LETTER, u32::from(l)),
    };
    RamdiskSelect {
        version: U32::new(RAMDISK_CONTROL_VERSION),
        size: U32::new(size32::<RamdiskSelect>()),
        by: U32::new(by),
        value: U32::new(value),
        flags: U32::new(if force { RAMDISK_REMOVE_FORCE } else { 0 }),
        reserved: U32::new(0),
    }
}

/// What ramdiskctl puts into a CREATE (every setting optional except the size).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CreateSettings<'a> {
    /// `DiskSize`.
    pub disk_size: u64,
    /// `DriveLetter` (`None`: the driver picks).
    pub letter: Option<char>,
    /// `FileSystem`.
    pub file_system: Option<&'a str>,
    /// `SectorsPerCluster`.
    pub sectors_per_cluster: Option<u32>,
    /// `RootDirEntries`.
    pub root_dir_entries: Option<u32>,
    /// `VolumeLabel`.
    pub volume_label: Option<&'a str>,
    /// `Allocation`.
    pub allocation: Option<&'a str>,
    /// `MemoryLimit`.
    pub memory_limit: Option<u64>,
    /// The persist name.
    pub persist_name: Option<&'a str>,
}

/// Text that does not fit its field (with its NUL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TooLong(pub Field);

impl fmt::Display for TooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is too long for the control request", self.0.name())
    }
}

/// Copies `text` into a `WCHAR` field, NUL-padded.
fn put_text(out: &mut [U16], text: &str, field: Field) -> Result<(), TooLong> {
    // Leave room for the NUL.
    let room = out.len().saturating_sub(1);
    if text.encode_utf16().count() > room {
        return Err(TooLong(field));
    }
    for (slot, unit) in out.iter_mut().zip(text.encode_utf16()) {
        *slot = U16::new(unit);
    }
    Ok(())
}

/// Encodes a CREATE input (the driver still validates it; see [`parse_create`]).
///
/// # Errors
/// [`TooLong`] for text that does not fit its field.
pub fn encode_create(s: &CreateSettings<'_>) -> Result<RamdiskCreateInput, TooLong> {
    let mut c = RamdiskCreateInput::new_zeroed();
    c.version = U32::new(RAMDISK_CONTROL_VERSION);
    c.size = U32::new(size32::<RamdiskCreateInput>());
    c.disk_size = U64::new(s.disk_size);
    let mut fields = 0;
    if let Some(l) = s.letter {
        c.drive_letter = U16::new(u16::try_from(u32::from(l)).unwrap_or(u16::MAX));
    }
    if let Some(n) = s.sectors_per_cluster {
        fields |= RAMDISK_FIELD_SECTORS_PER_CLUSTER;
        c.sectors_per_cluster = U32::new(n);
    }
    if let Some(n) = s.root_dir_entries {
        fields |= RAMDISK_FIELD_ROOT_DIR_ENTRIES;
        c.root_dir_entries = U32::new(n);
    }
    if let Some(n) = s.memory_limit {
        fields |= RAMDISK_FIELD_MEMORY_LIMIT;
        c.memory_limit = U64::new(n);
    }
    for (text, bit, field, out) in [
        (
            s.file_system,
            RAMDISK_FIELD_FILE_SYSTEM,
            Field::FileSystem,
            &mut c.file_system[..],
        ),
        (
            s.volume_label,
            RAMDISK_FIELD_VOLUME_LABEL,
            Field::VolumeLabel,
            &mut c.volume_label[..],
        ),
        (
            s.allocation,
            RAMDISK_FIELD_ALLOCATION,
            Field::Allocation,
            &mut c.allocation[..],
        ),
        (
            s.persist_name,
            RAMDISK_FIELD_PERSIST_NAME,
            Field::PersistName,
            &mut c.persist_name[..],
        ),
    ] {
        if let Some(t) = text {
            fields |= bit;
            put_text(out, t, field)?;
        }
    }
    c.fields = U32::new(fields);
    Ok(c)
}

/// One disk as the driver reports it (the input of [`encode_info`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskReport<'a> {
    /// The disk's identity (index, device name).
    pub identity: &'a DiskIdentity,
    /// Its drive letter.
    pub letter: u8,
    /// `DiskSize`.
    pub disk_size: u64,
    /// Bytes of memory its data holds.
    pub allocated_bytes: u64,
    /// Its memory limit (0: none).
    pub memory_limit: u64,
    /// Opens not yet closed.
    pub open_handles: u32,
    /// 0 fixed, 1 dynamic.
    pub allocation: u32,
    /// A file system is mounted (`VPB_MOUNTED`).
    pub mounted: bool,
    /// A boot-time disk.
    pub boot: bool,
    /// The file system it was formatted with (`FAT16`).
    pub file_system: &'a str,
    /// The persist name.
    pub persist: Option<&'a DiskName>,
}

/// The `RAMDISK_DISK_INFO` of a disk.
#[must_use]
pub fn encode_info(r: &DiskReport<'_>) -> RamdiskDiskInfo {
    let mut i = RamdiskDiskInfo::new_zeroed();
    i.version = U32::new(RAMDISK_CONTROL_VERSION);
    i.size = U32::new(size32::<RamdiskDiskInfo>());
    i.index = U32::new(r.identity.index());
    i.drive_letter = U16::new(u16::from(r.letter));
    let mut flags = 0;
    if r.mounted {
        flags |= RAMDISK_INFO_MOUNTED;
    }
    if r.boot {
        flags |= RAMDISK_INFO_BOOT;
    }
    i.flags = U16::new(flags);
    i.disk_size = U64::new(r.disk_size);
    i.allocated_bytes = U64::new(r.allocated_bytes);
    i.memory_limit = U64::new(r.memory_limit);
    i.open_handles = U32::new(r.open_handles);
    i.allocation = U32::new(r.allocation);
    // The names fit their fields by construction (asserted in the tests); a longer
    // one would be cut, never overflow.
    for (slot, unit) in i.file_system[..FS_NAME_UNITS - 1]
        .iter_mut()
        .zip(r.file_system.encode_utf16())
    {
        *slot = U16::new(unit);
    }
    for (slot, unit) in i.device_name[..DEVICE_NAME_UNITS - 1]
        .iter_mut()
        .zip(r.identity.device_name().as_slice())
    {
        *slot = U16::new(*unit);
    }
    if let Some(name) = r.persist {
        for (slot, &b) in i.persist_name.iter_mut().zip(name.as_bytes()) {
            *slot = U16::new(u16::from(b));
        }
    }
    i
}

/// Writes one `RAMDISK_DISK_INFO` reply into `out` (CREATE, QUERY).
#[must_use]
pub fn info_reply(info: &RamdiskDiskInfo, out: &mut [u8]) -> Reply {
    out.get_mut(..size_of::<RamdiskDiskInfo>()).map_or(
        Reply {
            status: STATUS_BUFFER_TOO_SMALL,
            information: 0,
        },
        |dest| {
            dest.copy_from_slice(info.as_bytes());
            Reply {
                status: STATUS_SUCCESS,
                information: dest.len(),
            }
        },
    )
}

/// Writes the `IOCTL_RAMDISK_LIST` reply for `entries` into `out`.
///
/// The header and every entry; when they do not all fit, the header alone (its `Size`
/// the bytes needed) with `STATUS_BUFFER_OVERFLOW`, as `IOCTL_MOUNTMGR_QUERY_POINTS`
/// does. The entries are made one at a time, straight into `out` (the driver's
/// kernel stack has no room for a table of them).
#[must_use]
pub fn list_reply(
    entries: impl ExactSizeIterator<Item = RamdiskDiskInfo>,
    out: &mut [u8],
) -> Reply {
    let header_len = size_of::<RamdiskListHeader>();
    let entry_len = size_of::<RamdiskDiskInfo>();
    let total = header_len + entries.len() * entry_len;
    let header = RamdiskListHeader {
        version: U32::new(RAMDISK_CONTROL_VERSION),
        size: U32::new(u32::try_from(total).unwrap_or(u32::MAX)),
        count: U32::new(u32::try_from((total - header_len) / entry_len).unwrap_or(u32::MAX)),
        entry_size: U32::new(size32::<RamdiskDiskInfo>()),
    };
    let room = out.len();
    let Some(head) = out.get_mut(..header_len) else {
        return Reply {
            status: STATUS_BUFFER_TOO_SMALL,
            information: 0,
        };
    };
    head.copy_from_slice(header.as_bytes());
    if room < total {
        return Reply {
            status: STATUS_BUFFER_OVERFLOW,
            information: header_len,
        };
    }
    for (entry, dest) in entries.zip(
        out.get_mut(header_len..total)
            .unwrap_or(&mut [])
            .chunks_exact_mut(entry_len),
    ) {
        dest.copy_from_slice(entry.as_bytes());
    }
    Reply {
        status: STATUS_SUCCESS,
        information: total,
    }
}

/// Why a LIST reply cannot be read (ramdiskctl's side).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListError {
    /// Shorter than its header or its `Size`, or entries of another size.
    Malformed,
    /// Another version.
    Version(u32),
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("the driver's disk list is malformed"),
            Self::Version(v) => write!(f, "the driver's disk list has version {v}"),
        }
    }
}

/// The entries of a complete LIST reply.
///
/// # Errors
/// [`ListError`] for a reply that does not hold what its header says.
pub fn read_list(reply: &[u8]) -> Result<&[RamdiskDiskInfo], ListError> {
    let (header, rest) =
        RamdiskListHeader::read_from_prefix(reply).map_err(|_| ListError::Malformed)?;
    if header.version.get() != RAMDISK_CONTROL_VERSION {
        return Err(ListError::Version(header.version.get()));
    }
    if header.entry_size.get() as usize != size_of::<RamdiskDiskInfo>()
        || header.size.get() as usize != reply.len()
    {
        return Err(ListError::Malformed);
    }
    let count = header.count.get() as usize;
    <[RamdiskDiskInfo]>::ref_from_bytes_with_elems(rest, count).map_err(|_| ListError::Malformed)
}

/// A `RAMDISK_DISK_INFO` reply (CREATE, QUERY).
///
/// # Errors
/// [`ListError`] when it is not one version-1 entry.
pub fn read_info(reply: &[u8]) -> Result<RamdiskDiskInfo, ListError> {
    let info = RamdiskDiskInfo::read_from_bytes(reply).map_err(|_| ListError::Malformed)?;
    if info.version.get() != RAMDISK_CONTROL_VERSION {
        return Err(ListError::Version(info.version.get()));
    }
    if info.size.get() as usize != size_of::<RamdiskDiskInfo>() {
        return Err(ListError::Malformed);
    }
    Ok(info)
}

/// The drive letter a disk created without one gets: the first from `Z` down to `D`
/// that is not `unavailable` (a link exists, or `MountedDevices` keeps it for another
/// volume); `None` when all are.
#[must_use]
pub fn pick_letter(unavailable: LetterSet) -> Option<u8> {
    (b'D'..=b'Z').rev().find(|&l| !unavailable.contains(l))
}

/// The drive letter one `HKLM\SYSTEM\MountedDevices` value keeps for another volume.
///
/// For the value `name` with `data`: the letter it keeps for a volume other than the
/// disk being created (`persist`: its persist name; `None` for a runtime disk, whose
/// unique ID names the letter itself). `None` when the value is not a drive letter
/// or names this very disk.
#[must_use]
pub fn remembered_letter(name: &[u16], data: &[u8], persist: Option<&DiskName>) -> Option<u8> {
    let [prefix @ .., letter, colon] = name else {
        return None;
    };
    let expected = r"\DosDevices\";
    if *colon != u16::from(b':')
        || prefix.len() != expected.len()
        || !prefix
            .iter()
            .zip(expected.bytes())
            .all(|(&u, b)| u8::try_from(u).is_ok_and(|c| c.eq_ignore_ascii_case(&b)))
    {
        return None;
    }
    let letter = u8::try_from(*letter)
        .ok()
        .map(|l| l.to_ascii_uppercase())
        .filter(u8::is_ascii_uppercase)?;
    let own: Option<UniqueId> = persist.map_or_else(
        || {
            DiskIdentity::runtime(1, letter)
                .ok()
                .map(|i| *i.unique_id())
        },
        |n| DiskIdentity::registry(1, *n).ok().map(|i| *i.unique_id()),
    );
    if own.is_some_and(|id| id.as_bytes() == data) {
        None
    } else {
        Some(letter)
    }
}
