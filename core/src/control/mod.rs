//! The control device `\Device\RamdiskControl`: its IOCTLs, their validation, their replies.
//!
//! Shared by the driver (which parses and answers) and ramdiskctl (which encodes and
//! decodes).
//!
//! | IOCTL | input | output | does |
//! |---|---|---|---|
//! | `IOCTL_RAMDISK_CREATE` | [`RamdiskCreateInput`] or [`RamdiskCreateInputV2`] | [`RamdiskDiskInfo`] | creates a disk |
//! | `IOCTL_RAMDISK_REMOVE` | [`RamdiskSelect`] | – | removes a disk (safely) |
//! | `IOCTL_RAMDISK_LIST` | – | [`RamdiskListHeader`] + entries | lists the disks |
//! | `IOCTL_RAMDISK_QUERY` | [`RamdiskSelect`] | [`RamdiskDiskInfo`] | one disk |
//! | `IOCTL_RAMDISK_SAVE` | [`RamdiskSaveInput`] | [`RamdiskSaveResult`] | saves a disk's image ([`save`]) |
//!
//! CREATE carries the same settings as a registry disk and goes through the same
//! parser: each given field becomes the registry value it stands for (type and bytes
//! as `ZwQueryValueKey` would return them) and is fed to [`ConfigBuilder::set`], so a
//! value the registry refuses is refused here with the same message and status, and
//! the combination is checked as the registry's is ([`ConfigBuilder::check`]: `SaveOn`,
//! `ReadOnly` and `FileSystem=keep` need an `ImageFile`, FAT label rules, ...).
//! Version 1 of the CREATE input has no persistence settings; version 2 adds
//! `ImageFile`, `SaveOn` and `ReadOnly`, and a driver takes both.
//!
//! Statuses: a buffer of the wrong length (shorter or longer than `Size`, or `Size`
//! not the structure's) `STATUS_INFO_LENGTH_MISMATCH`; another `Version`
//! `STATUS_REVISION_MISMATCH`; an output buffer too small for the reply
//! `STATUS_BUFFER_TOO_SMALL` (checked before anything is done); unknown `Fields` or
//! flag bits, nonzero reserved or absent fields, unterminated text
//! `STATUS_INVALID_PARAMETER`; a bad setting its registry status (`Allocation` and
//! `MemoryLimit` too; whether a `MemoryLimit` goes with the `Allocation` and the
//! machine is [`crate::config::plan_memory`]'s, as for a registry disk).

pub mod save;
#[cfg(test)]
mod tests;

pub use save::*;

use core::fmt;

use zerocopy::{FromBytes, FromZeros, IntoBytes};

use crate::config::{
    Config, ConfigBuilder, ConfigError, PathProblem, REG_DWORD, REG_QWORD, REG_SZ, RawValue,
    ValueName,
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
use zerocopy::{Immutable, KnownLayout};

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
const _: () = assert!(crate::wire::control::TEST_SHUTDOWN_DEVICES == MAX_DISKS);

/// `size_of::<T>()` as a `Size` field: every structure here is a few hundred bytes.
#[expect(
    clippy::cast_possible_truncation,
    reason = "the structures are at most 2296 bytes (asserted in wire::control)"
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
    /// `IOCTL_RAMDISK_SAVE`.
    Save,
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
            IOCTL_RAMDISK_SAVE => Some(Self::Save),
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
            Self::Save => "SAVE",
        }
    }

    /// The smallest output buffer the request needs.
    #[must_use]
    pub const fn min_output(self) -> usize {
        match self {
            Self::Create | Self::Query => size_of::<RamdiskDiskInfo>(),
            Self::Remove => 0,
            Self::List => size_of::<RamdiskListHeader>(),
            Self::Save => SAVE_MIN_OUTPUT,
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
    /// `ImageFile` (version 2).
    ImageFile,
    /// `SaveOn` (version 2).
    SaveOn,
    /// `ReadOnly` (version 2).
    ReadOnly,
    /// `Target` (SAVE).
    Target,
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
            Self::ImageFile => "ImageFile",
            Self::SaveOn => "SaveOn",
            Self::ReadOnly => "ReadOnly",
            Self::Target => "Target",
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
    /// A SAVE `Target` that an `ImageFile` could not be.
    Target(PathProblem),
}

impl ControlError {
    /// The status the IRP completes with.
    #[must_use]
    pub const fn status(&self) -> i32 {
        match self {
            Self::Length { .. } => STATUS_INFO_LENGTH_MISMATCH,
            Self::Version { .. } => STATUS_REVISION_MISMATCH,
            Self::OutputTooSmall { .. } => STATUS_BUFFER_TOO_SMALL,
            Self::Malformed(_) | Self::PersistName | Self::Target(_) => STATUS_INVALID_PARAMETER,
            Self::Config(e) => e.status(),
        }
    }
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Length { expected, found } => write!(
                f,
                "the input is {found} bytes (or its Size says so), the structure of its version has {expected}"
            ),
            Self::Version { found } => write!(
                f,
                "version {found} is not one this driver speaks (CREATE {RAMDISK_CONTROL_VERSION} or {RAMDISK_CREATE_VERSION_2}, SAVE {RAMDISK_SAVE_VERSION}, the others {RAMDISK_CONTROL_VERSION})"
            ),
            Self::OutputTooSmall { needed, found } => write!(
                f,
                "the output buffer is {found} bytes, the reply needs {needed}"
            ),
            Self::Malformed(field) => write!(
                f,
                "{} holds bits or bytes its version does not define, or a value whose Fields bit is clear (or text without its NUL)",
                field.name()
            ),
            Self::Config(e) => write!(f, "{e}"),
            Self::PersistName => write!(f, "PersistName: {}", IdentityError::InvalidName),
            Self::Target(p) => write!(f, "Target: the path {p}"),
        }
    }
}

/// Reads one structure `T` of `version` that must fill `input` exactly (in place: a
/// version-2 CREATE input is 2 KiB, more than a kernel frame should copy).
fn read_exact<T: FromBytes + KnownLayout + Immutable>(
    input: &[u8],
    wanted: u32,
) -> Result<&T, ControlError> {
    let expected = size_of::<T>();
    // Version and Size come first in every structure.
    let header = <[U32; 2]>::read_from_prefix(input).map(|(h, _)| h).ok();
    let Some([version, size]) = header else {
        return Err(ControlError::Length {
            expected,
            found: input.len(),
        });
    };
    if version.get() != wanted {
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
    T::ref_from_bytes(input).map_err(|_| ControlError::Length {
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
    /// `letter` is `None`; the driver sets the letter it picked). Its `persist` says
    /// whether an `ImageFile` is given; the path itself stays in the input
    /// ([`create_image_file`]): it is 2 KiB.
    pub config: Config,
    /// The drive letter asked for (`A`..=`Z`), or `None`: the driver picks one.
    pub letter: Option<u8>,
    /// The persist name, if the disk is (to be) `Parameters\Disks\<name>`.
    pub persist: Option<DiskName>,
    /// The drive letter of the `ImageFile` path, if it has one. With `letter` given,
    /// the parser has refused it being the disk's own; with `letter` `None` the driver
    /// must not pick it.
    pub image_letter: Option<u8>,
}

/// Sets one value the control input carries, as the registry would hand it over.
fn put(
    b: &mut ConfigBuilder,
    name: ValueName,
    reg_type: u32,
    data: &[u8],
) -> Result<(), ControlError> {
    b.set(name, RawValue { reg_type, data })
        .map_err(ControlError::Config)
}

/// A text field: given (NUL-terminated) and set as `REG_SZ`, or all NUL.
fn put_text_value(
    b: &mut ConfigBuilder,
    given: bool,
    units: &[U16],
    field: Field,
    name: ValueName,
) -> Result<(), ControlError> {
    if given {
        let t = text(units).ok_or(ControlError::Malformed(field))?;
        put(b, name, REG_SZ, t.as_bytes())
    } else if blank(units) {
        Ok(())
    } else {
        Err(ControlError::Malformed(field))
    }
}

/// A number field: given and set (`REG_DWORD` or `REG_QWORD` by its width), or zero.
fn put_number(
    b: &mut ConfigBuilder,
    given: bool,
    bytes: &[u8],
    field: Field,
    name: ValueName,
) -> Result<(), ControlError> {
    let reg_type = if bytes.len() == 8 {
        REG_QWORD
    } else {
        REG_DWORD
    };
    if given {
        put(b, name, reg_type, bytes)
    } else if bytes.iter().all(|&x| x == 0) {
        Ok(())
    } else {
        Err(ControlError::Malformed(field))
    }
}

/// The version-1 fields and, for version 2, the whole input (read in place).
fn create_input(
    input: &[u8],
) -> Result<(&RamdiskCreateInput, Option<&RamdiskCreateInputV2>), ControlError> {
    let version = <U32>::read_from_prefix(input).map(|(v, _)| v.get());
    if version == Ok(RAMDISK_CREATE_VERSION_2) {
        let v2: &RamdiskCreateInputV2 = read_exact(input, RAMDISK_CREATE_VERSION_2)?;
        Ok((&v2.base, Some(v2)))
    } else {
        Ok((read_exact(input, RAMDISK_CONTROL_VERSION)?, None))
    }
}

/// The `ImageFile` text of a CREATE input [`parse_create`] accepted (UTF-16 units, no
/// NUL), `None` when it has none (a version-1 input, or the field not given).
#[must_use]
pub fn create_image_file(input: &[u8]) -> Option<&[U16]> {
    let (_, v2) = create_input(input).ok()?;
    let v2 = v2?;
    if v2.base.fields.get() & RAMDISK_FIELD_IMAGE_FILE == 0 {
        return None;
    }
    text(&v2.image_file)
}

/// Version 2's persistence fields.
fn put_persistence(b: &mut ConfigBuilder, x: &RamdiskCreateInputV2) -> Result<(), ControlError> {
    let has = |bit: u32| x.base.fields.get() & bit != 0;
    put_text_value(
        b,
        has(RAMDISK_FIELD_IMAGE_FILE),
        &x.image_file,
        Field::ImageFile,
        ValueName::ImageFile,
    )?;
    put_text_value(
        b,
        has(RAMDISK_FIELD_SAVE_ON),
        &x.save_on,
        Field::SaveOn,
        ValueName::SaveOn,
    )?;
    put_number(
        b,
        has(RAMDISK_FIELD_READ_ONLY),
        x.read_only.as_bytes(),
        Field::ReadOnly,
        ValueName::ReadOnly,
    )?;
    Ok(())
}

/// The persist name field: given (1-32 characters of `[A-Za-z0-9_-]`), or all NUL.
fn persist_name(units: &[U16], given: bool) -> Result<Option<DiskName>, ControlError> {
    if given {
        let t = text(units).ok_or(ControlError::Malformed(Field::PersistName))?;
        let mut ascii = [0u8; PERSIST_NAME_UNITS];
        for (slot, unit) in ascii.iter_mut().zip(t) {
            *slot = u8::try_from(unit.get()).unwrap_or(0xFF);
        }
        let name = ascii.get(..t.len()).unwrap_or(&[]);
        DiskName::parse(name)
            .map(Some)
            .map_err(|_| ControlError::PersistName)
    } else if blank(units) {
        Ok(None)
    } else {
        Err(ControlError::Malformed(Field::PersistName))
    }
}

/// Validates an `IOCTL_RAMDISK_CREATE` input (version 1 or 2); `volume_serial` is the
/// new volume's.
///
/// # Errors
/// See the module documentation; the first problem found.
pub fn parse_create(input: &[u8], volume_serial: u32) -> Result<CreateRequest, ControlError> {
    let (c, v2) = create_input(input)?;
    let fields = c.fields.get();
    let known = if v2.is_some() {
        RAMDISK_FIELDS_V2
    } else {
        RAMDISK_FIELDS_V1
    };
    if fields & !known != 0 {
        return Err(ControlError::Malformed(Field::Fields));
    }
    if c.reserved.get() != 0 || !blank(&c.reserved2) || v2.is_some_and(|x| x.reserved3.get() != 0) {
        return Err(ControlError::Malformed(Field::Reserved));
    }
    let has = |bit: u32| fields & bit != 0;
    let mut b = ConfigBuilder::new();
    put(
        &mut b,
        ValueName::DiskSize,
        REG_QWORD,
        c.disk_size.as_bytes(),
    )?;
    let letter = match c.drive_letter.get() {
        0 => None,
        unit => {
            put(&mut b, ValueName::DriveLetter, REG_SZ, &unit.to_le_bytes())?;
            // The parser accepted one character A-Z or a-z.
            u8::try_from(unit).ok().map(|l| l.to_ascii_uppercase())
        }
    };
    for (bit, field, name, bytes) in [
        (
            RAMDISK_FIELD_SECTORS_PER_CLUSTER,
            Field::SectorsPerCluster,
            ValueName::SectorsPerCluster,
            c.sectors_per_cluster.as_bytes(),
        ),
        (
            RAMDISK_FIELD_ROOT_DIR_ENTRIES,
            Field::RootDirEntries,
            ValueName::RootDirEntries,
            c.root_dir_entries.as_bytes(),
        ),
        (
            RAMDISK_FIELD_MEMORY_LIMIT,
            Field::MemoryLimit,
            ValueName::MemoryLimit,
            c.memory_limit.as_bytes(),
        ),
    ] {
        put_number(&mut b, has(bit), bytes, field, name)?;
    }
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
        (
            RAMDISK_FIELD_ALLOCATION,
            Field::Allocation,
            ValueName::Allocation,
            &c.allocation,
        ),
    ] {
        put_text_value(&mut b, has(bit), units, field, name)?;
    }
    if let Some(x) = v2 {
        put_persistence(&mut b, x)?;
    }
    let persist = persist_name(&c.persist_name, has(RAMDISK_FIELD_PERSIST_NAME))?;
    if letter.is_none() {
        // The driver picks the letter; it must not pick the image's.
        b.letter_picked_later();
    }
    // What depends on the file system (FAT's cluster and label limits) and the
    // persistence rules, as the registry's parse checks them once every value is set.
    b.check().map_err(ControlError::Config)?;
    let image_letter = b.image_letter();
    let mut config = b.finish(volume_serial);
    if let Some(l) = letter {
        config.drive_letter = l;
    }
    Ok(CreateRequest {
        config,
        letter,
        persist,
        image_letter,
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
    let s: &RamdiskSelect = read_exact(input, RAMDISK_CONTROL_VERSION)?;
    if s.flags.get() & !RAMDISK_REMOVE_FORCE != 0 {
        return Err(ControlError::Malformed(Field::Flags));
    }
    Ok(RemoveRequest {
        select: select(s)?,
        force: s.flags.get() & RAMDISK_REMOVE_FORCE != 0,
    })
}

/// Validates an `IOCTL_RAMDISK_QUERY` input.
///
/// # Errors
/// See the module documentation (`Flags` must be 0).
pub fn parse_query(input: &[u8]) -> Result<Select, ControlError> {
    let s: &RamdiskSelect = read_exact(input, RAMDISK_CONTROL_VERSION)?;
    if s.flags.get() != 0 {
        return Err(ControlError::Malformed(Field::Flags));
    }
    select(s)
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
    /// `ImageFile` (version 2).
    pub image_file: Option<&'a str>,
    /// `SaveOn` (version 2).
    pub save_on: Option<&'a str>,
    /// `ReadOnly` (version 2).
    pub read_only: Option<u32>,
}

/// An encoded CREATE input: version 1 when no persistence setting is given (what
/// every driver with a control device takes), else version 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "ramdiskctl's value, made once per request; ramdisk-core has no heap to box it in"
)]
pub enum CreateInput {
    /// Version 1.
    V1(RamdiskCreateInput),
    /// Version 2.
    V2(RamdiskCreateInputV2),
}

impl CreateInput {
    /// The bytes to send.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::V1(c) => c.as_bytes(),
            Self::V2(c) => c.as_bytes(),
        }
    }

    /// The version-1 input, if it is one.
    #[must_use]
    pub const fn v1(self) -> Option<RamdiskCreateInput> {
        match self {
            Self::V1(c) => Some(c),
            Self::V2(_) => None,
        }
    }

    /// The version-2 input, if it is one.
    #[must_use]
    pub const fn v2(self) -> Option<RamdiskCreateInputV2> {
        match self {
            Self::V1(_) => None,
            Self::V2(c) => Some(c),
        }
    }
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

/// Encodes a CREATE input (the driver still validates it; see [`parse_create`]):
/// version 1 unless a persistence setting is given.
///
/// # Errors
/// [`TooLong`] for text that does not fit its field.
pub fn encode_create(s: &CreateSettings<'_>) -> Result<CreateInput, TooLong> {
    let base = encode_create_v1(s)?;
    if s.image_file.is_none() && s.save_on.is_none() && s.read_only.is_none() {
        return Ok(CreateInput::V1(base));
    }
    let mut c = RamdiskCreateInputV2::new_zeroed();
    c.base = base;
    c.base.version = U32::new(RAMDISK_CREATE_VERSION_2);
    c.base.size = U32::new(size32::<RamdiskCreateInputV2>());
    let mut fields = base.fields.get();
    if let Some(n) = s.read_only {
        fields |= RAMDISK_FIELD_READ_ONLY;
        c.read_only = U32::new(n);
    }
    put_texts(
        &mut fields,
        [
            (
                s.save_on,
                RAMDISK_FIELD_SAVE_ON,
                Field::SaveOn,
                &mut c.save_on[..],
            ),
            (
                s.image_file,
                RAMDISK_FIELD_IMAGE_FILE,
                Field::ImageFile,
                &mut c.image_file[..],
            ),
        ],
    )?;
    c.base.fields = U32::new(fields);
    Ok(CreateInput::V2(c))
}

/// Each given text into its field, its bit into `fields`.
fn put_texts<const N: usize>(
    fields: &mut u32,
    texts: [(Option<&str>, u32, Field, &mut [U16]); N],
) -> Result<(), TooLong> {
    for (text, bit, field, out) in texts {
        if let Some(t) = text {
            *fields |= bit;
            put_text(out, t, field)?;
        }
    }
    Ok(())
}

/// The version-1 part of a CREATE input.
fn encode_create_v1(s: &CreateSettings<'_>) -> Result<RamdiskCreateInput, TooLong> {
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
    put_texts(
        &mut fields,
        [
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
        ],
    )?;
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
