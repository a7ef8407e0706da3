//! The persistence settings: `ImageFile` (the image a disk loads and saves), `SaveOn`
//! (`never` | `stop` | `shutdown`), `ReadOnly` (0/1) and `FileSystem=keep`, and the
//! rules that tie them together.
//!
//! * `ImageFile` is an NT path (`\??\X:\dir\disk.img`, `\Device\HarddiskVolume2\x.img`)
//!   or a DOS path `X:\dir\disk.img`, which becomes `\??\X:\dir\disk.img`. At most
//!   [`MAX_IMAGE_PATH_CHARS`] characters as given; it has a fixed buffer of its own
//!   ([`ImagePath`]) because every other value keeps the 64-byte limit. The path must
//!   be absolute and plain: no `.`/`..` or empty components, no trailing `\`, none of
//!   `/ * ? " < > |`, control characters, or a `:` except the drive's. A path on a
//!   ramdisk device (`\Device\Ramdisk…`) or on the disk's own drive letter is refused
//!   here; one on another disk's letter is for the driver to refuse (it knows the
//!   letters). Loading and saving (on request, `SaveOn=stop`, `SaveOn=shutdown`) are
//!   built.
//! * `SaveOn` and `FileSystem=keep` need an `ImageFile`; `ReadOnly=1` needs one and
//!   rules out `SaveOn` other than `never`.
//! * A disk whose service starts at boot (`Start=0`) cannot use an `ImageFile`: no
//!   file system is mounted yet ([`check_start_type`]).

use core::fmt;

use crate::disk::ascii_utf16;

use super::value::Text;
use super::{ConfigError, Problem, ValueName};

/// The most characters an `ImageFile` may have, as given.
pub const MAX_IMAGE_PATH_CHARS: usize = 1024;
/// The most `ImageFile` data the driver reads: [`MAX_IMAGE_PATH_CHARS`] UTF-16 units
/// and a NUL.
pub const MAX_IMAGE_FILE_DATA: usize = (MAX_IMAGE_PATH_CHARS + 1) * 2;

/// `\??\`, the prefix a DOS path gets.
const DOS_PREFIX: [u16; 4] = ascii_utf16(r"\??\");
/// `.new`, the suffix of the file a save writes first.
const NEW_SUFFIX: [u16; 4] = ascii_utf16(".new");
/// `UNITS` of an [`ImagePath`]: the longest path, its `\??\` prefix and `.new`.
const UNITS: usize = MAX_IMAGE_PATH_CHARS + DOS_PREFIX.len() + NEW_SUFFIX.len();

/// `Start` of a service that the boot loader starts (`SERVICE_BOOT_START`).
pub const SERVICE_BOOT_START: u32 = 0;

/// When a disk with an `ImageFile` writes it back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SaveOn {
    /// Only `ramdiskctl save` (the default).
    #[default]
    Never,
    /// Also when the disk goes away: `DriverUnload` (`sc stop`) and `ramdiskctl remove`.
    Stop,
    /// As `Stop`, and at system shutdown (`IRP_MJ_SHUTDOWN`, which Wine never sends).
    Shutdown,
}

impl SaveOn {
    /// The registry spelling (and ramdiskctl's).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::Stop => "stop",
            Self::Shutdown => "shutdown",
        }
    }

    /// `never`, `stop` or `shutdown`, any case.
    #[must_use]
    pub fn parse(text: &[u8]) -> Option<Self> {
        [Self::Never, Self::Stop, Self::Shutdown]
            .into_iter()
            .find(|s| s.name().as_bytes().eq_ignore_ascii_case(text))
    }
}

/// The persistence part of a validated configuration (the path itself lives in an
/// [`ImagePath`] of the disk's own, read with [`image_file`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Persistence {
    /// An `ImageFile` is set.
    pub image: bool,
    /// `SaveOn`.
    pub save_on: SaveOn,
    /// `ReadOnly` is 1.
    pub read_only: bool,
    /// `DiskSize` was given: an existing image must have exactly that size; without
    /// it the disk takes the image's size ([`crate::image::image_disk_size`]).
    pub disk_size_given: bool,
}

/// Why an `ImageFile` path is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathProblem {
    /// No characters.
    Empty,
    /// More than [`MAX_IMAGE_PATH_CHARS`] characters.
    TooLong {
        /// The characters found.
        len: usize,
    },
    /// Neither `X:\…` nor an NT path starting with `\` (relative, `X:file`, UNC).
    NotAbsolute,
    /// A character no file name takes (or a `:` other than the drive's).
    BadCharacter {
        /// The UTF-16 unit.
        unit: u16,
    },
    /// An empty, `.` or `..` component, or a trailing `\`.
    BadComponent,
    /// The path names a ramdisk device (`\Device\Ramdisk…`) or this disk's own letter.
    OnRamdisk,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => f.write_str("is empty"),
            Self::TooLong { len } => {
                write!(f, "has {len} characters, more than {MAX_IMAGE_PATH_CHARS}")
            }
            Self::NotAbsolute => f.write_str(
                "is not an absolute path (X:\\dir\\file or an NT path such as \\??\\X:\\dir\\file)",
            ),
            Self::BadCharacter { unit } => write!(
                f,
                "contains the character U+{unit:04X} (no / * ? \" < > |, control characters, or ':' except after the drive letter)"
            ),
            Self::BadComponent => {
                f.write_str("has an empty, '.' or '..' component or ends with '\\'")
            }
            Self::OnRamdisk => f.write_str(
                "is on a ramdisk volume (the image would live in the memory it is meant to keep)",
            ),
        }
    }
}

/// A validated `ImageFile` as an NT path, in a fixed buffer (all zeros is
/// [`ImagePath::EMPTY`], so a zeroed pool block is a valid empty path).
#[derive(Clone, Copy, PartialEq, Eq, Hash, zerocopy::FromZeros)]
pub struct ImagePath {
    units: [u16; UNITS],
    len: usize,
}

impl fmt::Debug for ImagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = char::decode_utf16(self.units().iter().copied())
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER));
        f.write_str("ImagePath(")?;
        for c in text {
            fmt::Write::write_char(f, c)?;
        }
        f.write_str(")")
    }
}

/// The path as text (for log lines).
impl fmt::Display for ImagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in char::decode_utf16(self.units().iter().copied()) {
            fmt::Write::write_char(f, c.unwrap_or(char::REPLACEMENT_CHARACTER))?;
        }
        Ok(())
    }
}

impl ImagePath {
    /// No path (zero units): the value [`ImagePath::set`] fills in place.
    pub const EMPTY: Self = Self {
        units: [0; UNITS],
        len: 0,
    };

    /// Validates `path` (UTF-16 units, no NUL) and converts `X:\…` to `\??\X:\…`.
    ///
    /// # Errors
    /// The first [`PathProblem`] found.
    pub fn parse(path: &[u16]) -> Result<Self, PathProblem> {
        let mut out = Self::EMPTY;
        out.set(path.iter().copied())?;
        Ok(out)
    }

    /// [`ImagePath::parse`] of the units `path` yields, written into `self` (no second
    /// path-sized buffer: the kernel's stack is small); on an error `self` is empty.
    ///
    /// # Errors
    /// The first [`PathProblem`] found.
    pub fn set(&mut self, path: impl Iterator<Item = u16> + Clone) -> Result<(), PathProblem> {
        self.len = 0;
        let count = path.clone().count();
        if count == 0 {
            return Err(PathProblem::Empty);
        }
        if count > MAX_IMAGE_PATH_CHARS {
            return Err(PathProblem::TooLong { len: count });
        }
        let mut head = [0u16; 3];
        for (slot, u) in head.iter_mut().zip(path.clone()) {
            *slot = u;
        }
        let head = head.get(..count.min(3)).unwrap_or(&[]);
        let dos = dos_drive(head).is_some();
        if !dos && (head.first() != Some(&u16::from(b'\\')) || is_win32_unc(head)) {
            return Err(PathProblem::NotAbsolute);
        }
        if dos {
            self.push(DOS_PREFIX.iter().copied());
        }
        self.push(path);
        let checked = self.check();
        if checked.is_err() {
            self.len = 0;
        }
        checked
    }

    fn push(&mut self, units: impl Iterator<Item = u16>) {
        for (slot, u) in self.units.iter_mut().skip(self.len).zip(units) {
            *slot = u;
            self.len += 1;
        }
    }

    /// Every component plain; a `:` only as the drive's (`\??\X:`, `\DosDevices\X:`,
    /// `\GLOBAL??\X:`).
    fn check(&self) -> Result<(), PathProblem> {
        let units = self.units();
        let drive_colon = self.drive_letter().map(|_| self.drive_colon_index());
        for (i, &u) in units.iter().enumerate() {
            let bad = u < 0x20
                || [b'/', b'*', b'?', b'"', b'<', b'>', b'|']
                    .iter()
                    .any(|&c| u == u16::from(c))
                    && !(u == u16::from(b'?') && in_dos_prefix(units, i));
            if bad || (u == u16::from(b':') && Some(i) != drive_colon) {
                return Err(PathProblem::BadCharacter { unit: u });
            }
        }
        // Components after the leading `\`.
        let dot = u16::from(b'.');
        for component in units
            .get(1..)
            .unwrap_or(&[])
            .split(|&u| u == u16::from(b'\\'))
        {
            if component.is_empty() || component == [dot] || component == [dot, dot] {
                return Err(PathProblem::BadComponent);
            }
        }
        if starts_with_ignore_case(units, r"\Device\Ramdisk") {
            return Err(PathProblem::OnRamdisk);
        }
        Ok(())
    }

    /// The UTF-16 units, without a NUL.
    #[must_use]
    pub fn units(&self) -> &[u16] {
        self.units.get(..self.len).unwrap_or(&[])
    }

    /// The drive letter (upper case) of a `\??\X:\…`, `\DosDevices\X:\…` or
    /// `\GLOBAL??\X:\…` path; `None` for a device path.
    #[must_use]
    pub fn drive_letter(&self) -> Option<u8> {
        let units = self.units();
        DRIVE_PREFIXES.iter().find_map(|prefix| {
            if !starts_with_ignore_case(units, prefix) {
                return None;
            }
            dos_drive(units.get(prefix.len()..)?)
        })
    }

    fn drive_colon_index(&self) -> usize {
        let units = self.units();
        DRIVE_PREFIXES
            .iter()
            .find(|p| starts_with_ignore_case(units, p))
            .map_or(0, |p| p.len() + 1)
    }

    /// `<path>.new`, the file a save writes before it replaces the image.
    #[must_use]
    pub fn with_new_suffix(&self) -> Self {
        let mut out = *self;
        out.push(NEW_SUFFIX.iter().copied());
        out
    }

    /// Makes `self` `<image>.new` in place (no path-sized value on the stack: the
    /// kernel's frames stay small).
    pub fn set_new_of(&mut self, image: &Self) {
        self.len = 0;
        self.push(image.units().iter().copied());
        self.push(NEW_SUFFIX.iter().copied());
    }

    /// The directory that holds the file: the path without its last component. The
    /// root of a volume keeps its `\` (`\??\X:\`, `\Device\HarddiskVolume2\`): without
    /// it the name would open the volume, not its root directory. Empty for a path
    /// with a single component (`\x.img`, which names an object-manager entry).
    #[must_use]
    pub fn parent(&self) -> &[u16] {
        let units = self.units();
        let slash = u16::from(b'\\');
        let Some(last) = units.iter().rposition(|&u| u == slash).filter(|&l| l > 0) else {
            return &[];
        };
        let without = units.get(..last).unwrap_or(&[]);
        // A volume: `\??\X:` (a drive) or `\Device\<name>` (two components).
        let volume = if self.drive_letter().is_some() {
            without.last() == Some(&u16::from(b':'))
        } else {
            without.iter().filter(|&&u| u == slash).count() == 2
                && starts_with_ignore_case(units, r"\Device\")
        };
        if volume {
            units.get(..=last).unwrap_or(&[])
        } else {
            without
        }
    }
}

/// The NT prefixes under which a drive letter follows.
const DRIVE_PREFIXES: [&str; 3] = [r"\??\", r"\DosDevices\", r"\GLOBAL??\"];

/// `X:\` at the start: the letter, upper case.
fn dos_drive(path: &[u16]) -> Option<u8> {
    match path {
        [letter, colon, slash, ..] if *colon == u16::from(b':') && *slash == u16::from(b'\\') => {
            u8::try_from(*letter)
                .ok()
                .filter(u8::is_ascii_alphabetic)
                .map(|c| c.to_ascii_uppercase())
        }
        _ => None,
    }
}

/// `\\server\share` or `\\?\…`: Win32 forms the kernel does not take.
fn is_win32_unc(path: &[u16]) -> bool {
    path.get(1) == Some(&u16::from(b'\\'))
}

/// Whether index `i` is one of the `?` of a leading `\??\` or `\GLOBAL??\`.
fn in_dos_prefix(units: &[u16], i: usize) -> bool {
    (starts_with_ignore_case(units, r"\??\") && (1..=2).contains(&i))
        || (starts_with_ignore_case(units, r"\GLOBAL??\") && (7..=8).contains(&i))
}

fn starts_with_ignore_case(units: &[u16], prefix: &str) -> bool {
    units.len() >= prefix.len()
        && units
            .iter()
            .zip(prefix.bytes())
            .all(|(&u, p)| u8::try_from(u).is_ok_and(|c| c.eq_ignore_ascii_case(&p)))
}

/// `ImageFile`'s `REG_SZ` data (trailing NULs dropped), validated into an
/// [`ImagePath`]; `own_letter` is the disk's drive letter (a path on it is refused).
///
/// # Errors
/// A [`ConfigError`] naming `ImageFile`: odd-length data (`STATUS_INVALID_BUFFER_SIZE`),
/// more than [`MAX_IMAGE_FILE_DATA`] bytes, or a [`PathProblem`]
/// (`STATUS_INVALID_PARAMETER`).
pub fn image_file(data: &[u8], own_letter: Option<u8>) -> Result<ImagePath, ConfigError> {
    let mut path = ImagePath::EMPTY;
    image_file_into(data, own_letter, &mut path)?;
    Ok(path)
}

/// [`image_file`] into `path` (a disk's own buffer: nothing path-sized on the stack).
///
/// # Errors
/// As [`image_file`]; `path` is then empty.
pub fn image_file_into(
    data: &[u8],
    own_letter: Option<u8>,
    path: &mut ImagePath,
) -> Result<(), ConfigError> {
    let err = |problem| ConfigError {
        value: ValueName::ImageFile,
        problem,
    };
    path.len = 0;
    if data.len() > MAX_IMAGE_FILE_DATA {
        return Err(err(Problem::TooLong { len: data.len() }));
    }
    if !data.len().is_multiple_of(2) {
        return Err(err(Problem::WrongSize {
            reg_type: super::REG_SZ,
            len: data.len(),
        }));
    }
    let units = data.chunks_exact(2).map(|pair| match *pair {
        [lo, hi] => u16::from_le_bytes([lo, hi]),
        _ => 0,
    });
    // Trailing NULs are not part of the path.
    let len = units
        .clone()
        .rposition(|u| u != 0)
        .map_or(0, |last| last + 1);
    path.set(units.take(len))
        .map_err(|p| err(Problem::BadImagePath(p)))?;
    if own_letter.is_some() && path.drive_letter() == own_letter {
        path.len = 0;
        return Err(err(Problem::BadImagePath(PathProblem::OnRamdisk)));
    }
    Ok(())
}

/// Validates `ImageFile`'s data as [`image_file`] does and returns only the path's
/// drive letter: what a configuration keeps of it.
// A frame of its own holding the one path buffer, never inlined into the value
// parser (no frame of the release driver may exceed a page).
#[inline(never)]
pub(super) fn image_file_letter(data: &[u8]) -> Result<Option<u8>, ConfigError> {
    let mut path = ImagePath::EMPTY;
    image_file_into(data, None, &mut path)?;
    Ok(path.drive_letter())
}

/// `ReadOnly`: 0 or 1.
pub(super) const fn read_only(value: u64) -> Result<bool, Problem> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Problem::NotABoolean { value }),
    }
}

/// `SaveOn`'s text.
pub(super) fn save_on(text: &[u8]) -> Result<SaveOn, Problem> {
    SaveOn::parse(text).ok_or_else(|| Problem::UnknownSaveOn(Text::from_ascii(text)))
}

/// The rules between the persistence values, once all are set: `SaveOn` and
/// `FileSystem=keep` need an `ImageFile`, `ReadOnly` needs one and `SaveOn=never`.
pub(super) fn check(persist: Persistence, keep: bool) -> Result<(), ConfigError> {
    let fail = |value, problem| Err(ConfigError { value, problem });
    if persist.read_only && !persist.image {
        return fail(ValueName::ReadOnly, Problem::NeedsImageFile);
    }
    if persist.save_on != SaveOn::Never && !persist.image {
        return fail(ValueName::SaveOn, Problem::NeedsImageFile);
    }
    if keep && !persist.image {
        return fail(ValueName::FileSystem, Problem::NeedsImageFile);
    }
    if persist.read_only && persist.save_on != SaveOn::Never {
        return fail(ValueName::SaveOn, Problem::SaveOnReadOnly);
    }
    Ok(())
}

/// The service's `Start` value against the persistence settings: a boot-start
/// driver (`Start=0`) cannot load an image (no file system is mounted then).
///
/// # Errors
/// [`Problem::ImageAtBootStart`], naming `ImageFile`.
pub const fn check_start_type(start: u32, persist: &Persistence) -> Result<(), ConfigError> {
    if start == SERVICE_BOOT_START && persist.image {
        return Err(ConfigError {
            value: ValueName::ImageFile,
            problem: Problem::ImageAtBootStart,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, ConfigBuilder, REG_DWORD, REG_QWORD, REG_SZ, RawValue, parse};
    use crate::fat::FileSystem;
    use crate::status::{
        STATUS_INVALID_BUFFER_SIZE, STATUS_INVALID_PARAMETER, STATUS_OBJECT_TYPE_MISMATCH,
    };
    use proptest::prelude::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    fn utf16(text: &str) -> Vec<u16> {
        text.encode_utf16().collect()
    }

    fn sz(text: &str) -> Vec<u8> {
        let mut out: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        out.extend([0, 0]);
        out
    }

    fn path(text: &str) -> Result<String, PathProblem> {
        ImagePath::parse(&utf16(text)).map(|p| String::from_utf16(p.units()).unwrap())
    }

    /// The values (`REG_SZ` text or `REG_DWORD` number), set in order, checked, finished.
    fn config(values: &[(ValueName, &str)]) -> Result<Config, ConfigError> {
        let mut b = ConfigBuilder::new();
        for &(name, text) in values {
            let data = match name {
                ValueName::ReadOnly => text.parse::<u32>().unwrap().to_le_bytes().to_vec(),
                _ => sz(text),
            };
            let reg_type = if name == ValueName::ReadOnly {
                REG_DWORD
            } else {
                REG_SZ
            };
            b.set(
                name,
                RawValue {
                    reg_type,
                    data: &data,
                },
            )?;
        }
        b.check()?;
        Ok(b.finish(0))
    }

    const IMAGE: (ValueName, &str) = (ValueName::ImageFile, r"D:\images\disk.img");

    #[test]
    fn path_forms() {
        for (given, want) in [
            (r"D:\images\disk.img", r"\??\D:\images\disk.img"),
            (r"d:\x", r"\??\d:\x"),
            (r"\??\D:\images\disk.img", r"\??\D:\images\disk.img"),
            (r"\DosDevices\E:\a b\c.img", r"\DosDevices\E:\a b\c.img"),
            (r"\GLOBAL??\F:\x.img", r"\GLOBAL??\F:\x.img"),
            (
                r"\Device\HarddiskVolume2\x.img",
                r"\Device\HarddiskVolume2\x.img",
            ),
            (r"\??\UNC\server\share\x.img", r"\??\UNC\server\share\x.img"),
            (
                "D:\\caf\u{e9}\\\u{1F600}.img",
                "\\??\\D:\\caf\u{e9}\\\u{1F600}.img",
            ),
            (r"D:\.hidden\x..y", r"\??\D:\.hidden\x..y"),
        ] {
            assert_eq!(path(given).as_deref(), Ok(want), "{given}");
        }
        let p = ImagePath::parse(&utf16(r"D:\x\disk.img")).unwrap();
        assert_eq!(p.drive_letter(), Some(b'D'));
        assert_eq!(
            String::from_utf16(p.with_new_suffix().units()).unwrap(),
            r"\??\D:\x\disk.img.new"
        );
        assert_eq!(
            ImagePath::parse(&utf16(r"\dosdevices\q:\x"))
                .unwrap()
                .drive_letter(),
            Some(b'Q')
        );
        assert_eq!(
            ImagePath::parse(&utf16(r"\Device\HarddiskVolume2\x.img"))
                .unwrap()
                .drive_letter(),
            None
        );
        assert!(
            std::format!("{:?}", ImagePath::parse(&utf16(r"D:\x")).unwrap()).contains(r"\??\D:\x")
        );
    }

    #[test]
    fn bad_paths() {
        use PathProblem::*;
        for (given, want) in [
            ("", Empty),
            ("disk.img", NotAbsolute),
            (r"D:disk.img", NotAbsolute),
            (r"D:", NotAbsolute),
            (r"1:\x", NotAbsolute),
            (r"\\server\share\x.img", NotAbsolute),
            (r"\\?\D:\x.img", NotAbsolute),
            ("D:/x.img", NotAbsolute),
            (r"D:\a/b", BadCharacter { unit: 0x2F }),
            (r"D:\a*b", BadCharacter { unit: 0x2A }),
            (r"D:\a?b", BadCharacter { unit: 0x3F }),
            (r"D:\a|b", BadCharacter { unit: 0x7C }),
            (r#"D:\a"b"#, BadCharacter { unit: 0x22 }),
            (r"D:\a<b>", BadCharacter { unit: 0x3C }),
            ("D:\\a\tb", BadCharacter { unit: 9 }),
            ("D:\\a\0b", BadCharacter { unit: 0 }),
            (r"D:\x.img:stream", BadCharacter { unit: 0x3A }),
            (r"\Device\HarddiskVolume2\a:b", BadCharacter { unit: 0x3A }),
            (r"\Device\??\x", BadCharacter { unit: 0x3F }),
            (r"D:\", BadComponent),
            (r"D:\dir\", BadComponent),
            (r"D:\a\\b", BadComponent),
            (r"D:\a\.\b", BadComponent),
            (r"D:\a\..\b", BadComponent),
            (r"\??\D:\..", BadComponent),
            (r"\", BadComponent),
            (r"\Device\Ramdisk0\x.img", OnRamdisk),
            (r"\device\RAMDISK12\x.img", OnRamdisk),
            (r"\Device\RamdiskControl\x", OnRamdisk),
        ] {
            assert_eq!(path(given), Err(want), "{given}");
        }
        // 1024 characters as given are taken, 1025 are not.
        let long = std::format!(r"D:\{}", "a".repeat(MAX_IMAGE_PATH_CHARS - 3));
        assert_eq!(path(&long).unwrap().len(), MAX_IMAGE_PATH_CHARS + 4);
        let p = ImagePath::parse(&utf16(&long)).unwrap();
        assert_eq!(p.with_new_suffix().units().len(), MAX_IMAGE_PATH_CHARS + 8);
        let longer = std::format!("{long}a");
        assert_eq!(path(&longer), Err(TooLong { len: 1025 }));
    }

    #[test]
    fn image_file_value() {
        let err = |data: &[u8], own| image_file(data, own).unwrap_err();
        assert_eq!(
            image_file(&sz(r"D:\x.img"), Some(b'R')).unwrap().units(),
            &utf16(r"\??\D:\x.img")[..]
        );
        // Double NUL and no NUL alike.
        let mut data = sz(r"D:\x.img");
        data.extend([0, 0]);
        assert!(image_file(&data, None).is_ok());
        assert!(image_file(&data[..data.len() - 4], None).is_ok());
        let e = err(&sz(r"r:\x.img"), Some(b'R'));
        assert_eq!(e.status(), STATUS_INVALID_PARAMETER);
        assert_eq!(
            e.to_string(),
            "ImageFile: the path is on a ramdisk volume (the image would live in the memory it is meant to keep)"
        );
        assert_eq!(
            err(&[b'D', 0, b':'], None).status(),
            STATUS_INVALID_BUFFER_SIZE
        );
        let long = sz(&std::format!(r"D:\{}", "a".repeat(MAX_IMAGE_PATH_CHARS)));
        let e = err(&long, None);
        assert_eq!(e.status(), STATUS_INVALID_BUFFER_SIZE);
        assert_eq!(
            e.to_string(),
            std::format!(
                "ImageFile: data is {} bytes, more than the 2050 the driver reads",
                long.len()
            )
        );
        assert_eq!(
            err(&sz("x"), None).to_string(),
            r"ImageFile: the path is not an absolute path (X:\dir\file or an NT path such as \??\X:\dir\file)"
        );
        assert_eq!(
            err(&sz(r"D:\a*"), None).to_string(),
            "ImageFile: the path contains the character U+002A (no / * ? \" < > |, control characters, or ':' except after the drive letter)"
        );
        assert_eq!(
            err(&sz(""), None).to_string(),
            "ImageFile: the path is empty"
        );
        assert_eq!(
            err(&sz(r"D:\a\"), None).to_string(),
            r"ImageFile: the path has an empty, '.' or '..' component or ends with '\'"
        );
    }

    #[test]
    fn values_alone() {
        let c = config(&[IMAGE]).unwrap();
        assert_eq!(
            c.persist,
            Persistence {
                image: true,
                save_on: SaveOn::Never,
                read_only: false,
                disk_size_given: false,
            }
        );
        assert_eq!(c.format.file_system, FileSystem::Auto);
        for (text, want) in [
            ("never", SaveOn::Never),
            ("STOP", SaveOn::Stop),
            ("Shutdown", SaveOn::Shutdown),
        ] {
            let c = config(&[IMAGE, (ValueName::SaveOn, text)]).unwrap();
            assert_eq!(c.persist.save_on, want);
            assert_eq!(SaveOn::parse(want.name().as_bytes()), Some(want));
        }
        // SaveOn=never needs nothing.
        assert_eq!(
            config(&[(ValueName::SaveOn, "never")]).unwrap().persist,
            Persistence::default()
        );
        for bad in ["", "always", "stop ", "boot"] {
            let e = config(&[IMAGE, (ValueName::SaveOn, bad)]).unwrap_err();
            assert_eq!(
                (e.value, e.status()),
                (ValueName::SaveOn, STATUS_INVALID_PARAMETER)
            );
        }
        assert_eq!(
            config(&[(ValueName::SaveOn, "always")])
                .unwrap_err()
                .to_string(),
            "SaveOn: \"always\" is not never, stop or shutdown"
        );
        assert!(
            config(&[IMAGE, (ValueName::ReadOnly, "1")])
                .unwrap()
                .persist
                .read_only
        );
        assert!(
            !config(&[(ValueName::ReadOnly, "0")])
                .unwrap()
                .persist
                .read_only
        );
        let e = config(&[IMAGE, (ValueName::ReadOnly, "2")]).unwrap_err();
        assert_eq!(
            (e.value, e.status(), e.to_string()),
            (
                ValueName::ReadOnly,
                STATUS_INVALID_PARAMETER,
                "ReadOnly: 2 is not 0 or 1".into()
            )
        );
        let mut b = ConfigBuilder::new();
        for (reg_type, data, status) in [
            (REG_SZ, sz("1"), STATUS_OBJECT_TYPE_MISMATCH),
            (
                REG_QWORD,
                1u64.to_le_bytes().to_vec(),
                STATUS_OBJECT_TYPE_MISMATCH,
            ),
            (REG_DWORD, std::vec![1, 0], STATUS_INVALID_BUFFER_SIZE),
        ] {
            let e = b
                .set(
                    ValueName::ReadOnly,
                    RawValue {
                        reg_type,
                        data: &data,
                    },
                )
                .unwrap_err();
            assert_eq!(e.status(), status);
        }
        let e = b
            .set(
                ValueName::ImageFile,
                RawValue {
                    reg_type: REG_DWORD,
                    data: &[0; 4],
                },
            )
            .unwrap_err();
        assert_eq!(e.status(), STATUS_OBJECT_TYPE_MISMATCH);
    }

    #[test]
    fn read_only_and_keep() {
        // DiskSize given or not (the image size rule needs to know).
        let mut b = ConfigBuilder::new();
        b.set(
            ValueName::DiskSize,
            RawValue {
                reg_type: REG_QWORD,
                data: &(1u64 << 20).to_le_bytes(),
            },
        )
        .unwrap();
        assert!(b.finish(0).persist.disk_size_given);
        assert!(!ConfigBuilder::new().finish(0).persist.disk_size_given);
        // keep: taken with an image, served as auto.
        let c = config(&[IMAGE, (ValueName::FileSystem, "KEEP")]).unwrap();
        assert_eq!(c.format.file_system, FileSystem::Auto);
        let c = config(&[IMAGE, (ValueName::FileSystem, "FAT32")]).unwrap();
        assert_eq!(c.format.file_system, FileSystem::Fat32);
        assert_eq!(
            config(&[(ValueName::FileSystem, "keeper")])
                .unwrap_err()
                .to_string(),
            "FileSystem: \"keeper\" is not auto, FAT12, FAT16, FAT32 or exFAT"
        );
    }

    #[test]
    fn combinations() {
        let fails = |values: &[(ValueName, &str)], value, line: &str| {
            let e = config(values).unwrap_err();
            assert_eq!((e.value, e.status()), (value, STATUS_INVALID_PARAMETER));
            assert_eq!(e.to_string(), line);
        };
        let needs = |v: &str| {
            std::format!(
                "{v}: this setting needs an ImageFile (there is no image to keep, save or serve read-only)"
            )
        };
        fails(
            &[(ValueName::ReadOnly, "1")],
            ValueName::ReadOnly,
            &needs("ReadOnly"),
        );
        for s in ["stop", "shutdown"] {
            fails(
                &[(ValueName::SaveOn, s)],
                ValueName::SaveOn,
                &needs("SaveOn"),
            );
            fails(
                &[IMAGE, (ValueName::ReadOnly, "1"), (ValueName::SaveOn, s)],
                ValueName::SaveOn,
                "SaveOn: a ReadOnly disk never changes, so it cannot save (SaveOn must be never)",
            );
            // Whichever order they come in.
            fails(
                &[(ValueName::SaveOn, s), (ValueName::ReadOnly, "1"), IMAGE],
                ValueName::SaveOn,
                "SaveOn: a ReadOnly disk never changes, so it cannot save (SaveOn must be never)",
            );
        }
        fails(
            &[(ValueName::FileSystem, "keep")],
            ValueName::FileSystem,
            &needs("FileSystem"),
        );
        assert!(
            config(&[
                IMAGE,
                (ValueName::ReadOnly, "1"),
                (ValueName::SaveOn, "never")
            ])
            .is_ok()
        );
        // The disk's own letter, in either order; another letter is the driver's check.
        for order in [
            [(ValueName::DriveLetter, "D"), IMAGE],
            [IMAGE, (ValueName::DriveLetter, "d:")],
        ] {
            fails(
                &order,
                ValueName::ImageFile,
                "ImageFile: the path is on a ramdisk volume (the image would live in the memory it is meant to keep)",
            );
        }
        assert!(config(&[(ValueName::DriveLetter, "R"), IMAGE]).is_ok());
        // A later FileSystem replaces keep (the last value counts, as for every value).
        let c = config(&[
            (ValueName::FileSystem, "keep"),
            (ValueName::FileSystem, "FAT16"),
        ])
        .unwrap();
        assert_eq!(c.format.file_system, FileSystem::Fat16);
    }

    #[test]
    fn parent_and_new_suffix_in_place() {
        let parent = |text: &str| {
            let p = ImagePath::parse(&utf16(text)).unwrap();
            String::from_utf16(p.parent()).unwrap()
        };
        assert_eq!(parent(r"D:\images\disk.img"), r"\??\D:\images");
        assert_eq!(parent(r"D:\disk.img"), r"\??\D:\");
        assert_eq!(parent(r"\GLOBAL??\E:\a\b\c.img"), r"\GLOBAL??\E:\a\b");
        assert_eq!(
            parent(r"\Device\HarddiskVolume2\x.img"),
            r"\Device\HarddiskVolume2\"
        );
        assert_eq!(
            parent(r"\Device\HarddiskVolume2\d\x.img"),
            r"\Device\HarddiskVolume2\d"
        );
        assert_eq!(parent(r"\x.img"), "");
        let image = ImagePath::parse(&utf16(r"D:\a\disk.img")).unwrap();
        let mut new = ImagePath::parse(&utf16(r"D:\something\longer\than.img")).unwrap();
        new.set_new_of(&image);
        assert_eq!(new.units(), image.with_new_suffix().units());
        assert_eq!(
            String::from_utf16(new.units()).unwrap(),
            r"\??\D:\a\disk.img.new"
        );
        // A zeroed block is the empty path (what a pool allocation starts as).
        assert_eq!(
            <ImagePath as zerocopy::FromZeros>::new_zeroed(),
            ImagePath::EMPTY
        );
    }

    #[test]
    fn start_type() {
        let image = Persistence {
            image: true,
            ..Persistence::default()
        };
        let e = check_start_type(SERVICE_BOOT_START, &image).unwrap_err();
        assert_eq!(
            (e.value, e.status()),
            (ValueName::ImageFile, STATUS_INVALID_PARAMETER)
        );
        assert!(
            e.to_string()
                .starts_with("ImageFile: the service starts at boot (Start=0)")
        );
        for start in [1, 2, 3] {
            assert_eq!(check_start_type(start, &image), Ok(()));
        }
        assert_eq!(check_start_type(0, &Persistence::default()), Ok(()));
    }

    #[test]
    fn parse_reads_a_long_image_file() {
        let long = std::format!(r"D:\{}", "b".repeat(MAX_IMAGE_PATH_CHARS - 3));
        let data = sz(&long);
        let mut sizes = Vec::new();
        let c = parse(
            |name, buf| {
                sizes.push((name, buf.len()));
                if name != ValueName::ImageFile {
                    return None;
                }
                buf.get_mut(..data.len())?.copy_from_slice(&data);
                Some((REG_SZ, data.len()))
            },
            0,
        )
        .unwrap();
        assert!(c.persist.image);
        for (name, len) in sizes {
            assert_eq!(len, name.max_data(), "{name}");
        }
        assert_eq!(ValueName::ImageFile.max_data(), MAX_IMAGE_FILE_DATA);
    }

    proptest! {
        #[test]
        fn any_path_is_judged_without_panic(units in proptest::collection::vec(
            prop_oneof![Just(u16::from(b'\\')), Just(u16::from(b':')), Just(u16::from(b'.')),
                        Just(u16::from(b'?')), 0x20u16..0x7F, any::<u16>()], 0..40)) {
            match ImagePath::parse(&units) {
                Ok(p) => {
                    prop_assert!(p.units().first() == Some(&u16::from(b'\\')));
                    prop_assert!(p.units().ends_with(&units));
                    prop_assert!(!p.units().windows(2).any(|w| w == [0x5C, 0x5C]));
                    let again = ImagePath::parse(p.units()).unwrap();
                    prop_assert_eq!(again, p);
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }
}
