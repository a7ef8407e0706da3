//! The driver's registry `Parameters` values, validated into a [`Config`].
//!
//! Names and decoding live in `value`, validation errors with their log line and
//! `NTSTATUS` in `error`, the blame of planner rejections in `blame`, the
//! persistence values (`ImageFile`, `SaveOn`, `ReadOnly`, `FileSystem=keep`) and their
//! rules in `persist`.
//!
//! The values, their registry types, defaults, accepted ranges and the `NTSTATUS` of
//! each kind of rejection are listed once, in the README's *Configuration* section
//! (the user's reference); the tests below pin every row of it. Each value is checked
//! alone as it arrives ([`ConfigBuilder::set`]); what depends on `FileSystem` (the
//! `SectorsPerCluster` range, the label rules) once all are in
//! ([`ConfigBuilder::check`]). The planners may still reject a combination (a disk too
//! small for the requested `FileSystem`, say); [`explain_format_error`] names the
//! value to fix.
//! And a `DiskSize` above half of the machine's physical memory is refused by
//! [`check_memory`] with `STATUS_INSUFFICIENT_RESOURCES` (the driver asks the kernel
//! for the amount at load).

mod allocation;
mod blame;
pub mod boot;
mod error;
mod memory;
mod persist;
mod value;

pub use allocation::{Allocation, MIN_MEMORY_LIMIT, MemoryPlan, plan_memory};
pub use blame::{FormatProblem, explain_format_error};
pub use error::{ConfigError, Problem};
pub use memory::{check_memory, fixed_disk_limit};
pub use persist::{
    ImagePath, MAX_IMAGE_FILE_DATA, MAX_IMAGE_PATH_CHARS, PathProblem, Persistence,
    SERVICE_BOOT_START, SaveOn, check_start_type, image_file, image_file_into,
};
pub use value::{
    REG_BINARY, REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_EXPAND_SZ, REG_MULTI_SZ, REG_QWORD, REG_SZ,
    RawValue, Text, ValueName,
};

use crate::disk::{DosDeviceName, dos_device_name};
use crate::exfat;
use crate::fat::{FileSystem, FormatOptions, VolumeLabel};
use crate::geometry::{BYTES_PER_SECTOR, MEDIA};
pub(crate) use value::file_system_name;
use value::{drive_letter, file_system, integer, type_accepted, utf16_chars, utf16_units};

/// The largest value data the driver reads, in bytes (32 UTF-16 units).
///
/// Every value but `ImageFile` ([`MAX_IMAGE_FILE_DATA`]). The glue's value buffer needs
/// this much room for data; anything longer is rejected with
/// `STATUS_INVALID_BUFFER_SIZE`.
pub const MAX_VALUE_DATA: usize = 64;

/// Default `DiskSize`: 1 MiB.
pub const DEFAULT_DISK_SIZE: u64 = 1024 * 1024;
/// Default `DriveLetter`.
pub const DEFAULT_DRIVE_LETTER: u8 = b'Z';
/// Default `RootDirEntries`.
pub const DEFAULT_ROOT_DIR_ENTRIES: u32 = 512;
/// The largest `SectorsPerCluster` of FAT12/16/32 (64 KiB clusters).
pub const MAX_FAT_SECTORS_PER_CLUSTER: u32 = 128;
/// The largest `SectorsPerCluster` of exFAT: 32 MiB clusters of 512-byte sectors.
pub const MAX_EXFAT_SECTORS_PER_CLUSTER: u32 = 65_536;

/// The validated configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// The drive letter, `b'A'..=b'Z'`.
    pub drive_letter: u8,
    /// What to hand the planner ([`crate::volume::plan`]): disk size, 512-byte
    /// sectors, file system, cluster size, root entries, labels (FAT and exFAT),
    /// serial, and the media byte from [`crate::geometry::MEDIA`].
    pub format: FormatOptions,
    /// `Allocation`: fixed (default) or dynamic.
    pub allocation: Allocation,
    /// `MemoryLimit` as given (validated alone; [`plan_memory`] checks it against
    /// `Allocation` and the machine).
    pub memory_limit: Option<u64>,
    /// `ImageFile` (whether one is set: the path is read into the disk's own
    /// [`ImagePath`] with [`image_file`]), `SaveOn` and `ReadOnly`. With an image,
    /// `FileSystem` `auto` (or `keep`) serves an existing image as it is.
    pub persist: Persistence,
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
/// absent ones), then [`ConfigBuilder::check`] and [`ConfigBuilder::finish`].
/// [`parse`] wraps that loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConfigBuilder {
    disk_size: u64,
    drive_letter: u8,
    root_dir_entries: u32,
    sectors_per_cluster: u32,
    file_system: FileSystem,
    /// The FAT label, `None` when the text is only an exFAT label.
    label: Option<VolumeLabel>,
    /// The same text as an exFAT label (every accepted text is one).
    exfat_label: exfat::Label,
    allocation: Allocation,
    memory_limit: Option<u64>,
    persist: Persistence,
    /// `FileSystem=keep` was given (it needs an `ImageFile`).
    keep: bool,
    /// The drive letter of the `ImageFile` path, if it has one (`check` refuses the
    /// disk's own).
    image_letter: Option<u8>,
    /// The drive letter is picked later (a control CREATE without one): `check` does
    /// not compare the default letter with the image's.
    letter_later: bool,
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        Self::new()
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
            label: Some(VolumeLabel::DEFAULT),
            exfat_label: exfat::Label::DEFAULT,
            allocation: Allocation::Fixed,
            memory_limit: None,
            persist: Persistence {
                image: false,
                save_on: SaveOn::Never,
                read_only: false,
                disk_size_given: false,
            },
            keep: false,
            image_letter: None,
            letter_later: false,
        }
    }

    /// The drive letter is not this configuration's to give: the caller picks it
    /// later (the driver, for a control CREATE without a letter) and must not pick
    /// [`ConfigBuilder::image_letter`].
    pub const fn letter_picked_later(&mut self) {
        self.letter_later = true;
    }

    /// The drive letter of the `ImageFile` path set so far, if it has one.
    #[must_use]
    pub const fn image_letter(&self) -> Option<u8> {
        self.image_letter
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
        if len > name.max_data() {
            return Err(err(Problem::TooLong { len }));
        }
        match name {
            ValueName::ImageFile | ValueName::ReadOnly => self.set_persist(name, value)?,
            ValueName::MemoryLimit => {
                let limit = integer(value).ok_or_else(|| {
                    err(Problem::WrongSize {
                        reg_type: value.reg_type,
                        len,
                    })
                })?;
                self.memory_limit = Some(allocation::memory_limit(limit).map_err(err)?);
            }
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
                self.persist.disk_size_given = true;
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
                    // The range of every file system; `check` narrows it for FAT.
                    if n != 0 && !(n.is_power_of_two() && n <= MAX_EXFAT_SECTORS_PER_CLUSTER) {
                        return Err(err(Problem::NotPowerOfTwo { value: n }));
                    }
                    self.sectors_per_cluster = n;
                }
            }
            ValueName::DriveLetter
            | ValueName::FileSystem
            | ValueName::VolumeLabel
            | ValueName::Allocation
            | ValueName::SaveOn => {
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
                    ValueName::FileSystem => self.set_file_system(text).map_err(err)?,
                    ValueName::SaveOn => {
                        self.persist.save_on = persist::save_on(text).map_err(err)?;
                    }
                    ValueName::Allocation => {
                        self.allocation = allocation::allocation(text).map_err(err)?;
                    }
                    _ => self.set_label(text, value.data).map_err(err)?,
                }
            }
        }
        Ok(())
    }

    /// `FileSystem`: one of the five names, or `keep` (served as `auto`; `check`
    /// requires an `ImageFile` for it).
    fn set_file_system(&mut self, text: &[u8]) -> Result<(), Problem> {
        let keep = text.eq_ignore_ascii_case(b"keep");
        self.file_system = if keep {
            FileSystem::Auto
        } else {
            file_system(text).ok_or_else(|| Problem::UnknownFileSystem(Text::from_ascii(text)))?
        };
        self.keep = keep;
        Ok(())
    }

    /// `ImageFile` (validated; only its drive letter is kept: the driver reads the path
    /// into the disk's own buffer) or `ReadOnly`, type and size already checked.
    fn set_persist(&mut self, name: ValueName, value: RawValue<'_>) -> Result<(), ConfigError> {
        if name == ValueName::ImageFile {
            self.image_letter = persist::image_file_letter(value.data)?;
            self.persist.image = true;
            return Ok(());
        }
        let problem = match integer(value).map(persist::read_only) {
            Some(Ok(read_only)) => {
                self.persist.read_only = read_only;
                return Ok(());
            }
            Some(Err(problem)) => problem,
            None => Problem::WrongSize {
                reg_type: value.reg_type,
                len: value.data.len(),
            },
        };
        Err(ConfigError {
            value: name,
            problem,
        })
    }

    /// `VolumeLabel`: any exFAT label is taken here (FAT's rules are stricter; `check`
    /// applies them once `FileSystem` is known). `ascii` is the text as ASCII (other
    /// characters mapped to a byte every FAT rule refuses), `data` the raw `REG_SZ`.
    fn set_label(&mut self, ascii: &[u8], data: &[u8]) -> Result<(), Problem> {
        let (units, len) =
            utf16_units::<{ MAX_VALUE_DATA / 2 }>(data).unwrap_or(([0; MAX_VALUE_DATA / 2], 0));
        let units = units.get(..len).unwrap_or(&[]);
        let exfat_label =
            exfat::Label::parse(units).map_err(|_| Problem::NotALabel(Text::from_utf16(units)))?;
        self.exfat_label = exfat_label;
        self.label = VolumeLabel::parse(ascii).ok();
        Ok(())
    }

    /// Checks what depends on `FileSystem`, once every value is set: FAT12/16/32 (and
    /// automatic) take `SectorsPerCluster` up to 128 and FAT labels only; exFAT takes
    /// up to 65 536 and any label [`ConfigBuilder::set`] accepted.
    ///
    /// # Errors
    /// A [`ConfigError`] naming `SectorsPerCluster` or `VolumeLabel`.
    pub fn check(&self) -> Result<(), ConfigError> {
        persist::check(self.persist, self.keep)?;
        if !self.letter_later && self.image_letter == Some(self.drive_letter) {
            return Err(ConfigError {
                value: ValueName::ImageFile,
                problem: Problem::BadImagePath(PathProblem::OnRamdisk),
            });
        }
        if self.file_system == FileSystem::Exfat {
            return Ok(());
        }
        if self.sectors_per_cluster > MAX_FAT_SECTORS_PER_CLUSTER {
            return Err(ConfigError {
                value: ValueName::SectorsPerCluster,
                problem: Problem::TooLargeForFat {
                    value: self.sectors_per_cluster,
                },
            });
        }
        if self.label.is_none() {
            return Err(ConfigError {
                value: ValueName::VolumeLabel,
                problem: Problem::InvalidLabel(Text::from_utf16(self.exfat_label.units())),
            });
        }
        Ok(())
    }

    /// The configuration, with `volume_serial` for the new volume (see
    /// [`crate::fat::serial::volume_serial_from_system_time`]). Call
    /// [`ConfigBuilder::check`] first: without it a FAT volume with a label only
    /// exFAT takes gets no label.
    #[must_use]
    pub const fn finish(self, volume_serial: u32) -> Config {
        let mut format = FormatOptions::new(self.disk_size);
        format.bytes_per_sector = BYTES_PER_SECTOR;
        format.file_system = self.file_system;
        format.sectors_per_cluster = self.sectors_per_cluster;
        // An explicit 128 × 512 = 64 KiB cluster is a deliberate choice: allow it.
        format.allow_64k_clusters = self.sectors_per_cluster == 128;
        format.root_dir_entries = self.root_dir_entries;
        format.label = match self.label {
            Some(label) => label,
            None => VolumeLabel::NO_NAME,
        };
        format.exfat_label = self.exfat_label;
        format.volume_serial = volume_serial;
        format.media = MEDIA.fat_media_byte();
        Config {
            drive_letter: self.drive_letter,
            format,
            allocation: self.allocation,
            memory_limit: self.memory_limit,
            persist: self.persist,
        }
    }
}

/// Reads every value through `read` into one stack buffer and validates it.
///
/// `read(name, buffer)` looks `name` up: `None` when the value is absent;
/// otherwise it copies as much of the data as fits into `buffer` (which is
/// [`ValueName::max_data`] bytes: [`MAX_VALUE_DATA`], or [`MAX_IMAGE_FILE_DATA`]
/// for `ImageFile`) and returns `Some((reg_type, data_length))` with
/// the value's full data length, which may exceed the buffer (then the value
/// is rejected as [`Problem::TooLong`]).
///
/// # Errors
/// The first [`ConfigError`], in [`ValueName::ALL`] order, then
/// [`ConfigBuilder::check`]'s.
pub fn parse(
    mut read: impl FnMut(ValueName, &mut [u8]) -> Option<(u32, usize)>,
    volume_serial: u32,
) -> Result<Config, ConfigError> {
    let mut builder = ConfigBuilder::new();
    let mut whole = [0u8; MAX_IMAGE_FILE_DATA];
    for name in ValueName::ALL {
        let buffer = whole.get_mut(..name.max_data()).unwrap_or(&mut []);
        buffer.fill(0);
        let Some((reg_type, len)) = read(name, buffer) else {
            continue;
        };
        match buffer.get(..len) {
            Some(data) => builder.set(name, RawValue { reg_type, data })?,
            None => return Err(ConfigError::oversized(name, reg_type, len)),
        }
    }
    builder.check()?;
    Ok(builder.finish(volume_serial))
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

    /// `name` set alone, checked and finished (what `parse` does).
    fn set(name: ValueName, reg_type: u32, data: &[u8]) -> Result<Config, ConfigError> {
        with(&[], name, reg_type, data)
    }

    /// `name` set after the `REG_SZ` values `before`, checked and finished.
    fn with(
        before: &[(ValueName, &str)],
        name: ValueName,
        reg_type: u32,
        data: &[u8],
    ) -> Result<Config, ConfigError> {
        let mut b = ConfigBuilder::new();
        for &(n, text) in before {
            b.set(
                n,
                RawValue {
                    reg_type: REG_SZ,
                    data: &sz(text, true),
                },
            )?;
        }
        b.set(name, RawValue { reg_type, data })?;
        b.check()?;
        Ok(b.finish(0x1234_5678))
    }

    const EXFAT: [(ValueName, &str); 1] = [(ValueName::FileSystem, "exFAT")];

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
        for n in [3u32, 6, 127, 131_072, 1 << 31, u32::MAX] {
            let (status, line) = err(v, REG_DWORD, &n.to_le_bytes());
            assert_eq!(status, STATUS_INVALID_PARAMETER);
            assert_eq!(
                line,
                std::format!(
                    "SectorsPerCluster: {n} is not 0 (automatic) or a power of two from 1 to 65536"
                )
            );
        }
        // Above 128 only for exFAT, whichever value comes first.
        for n in [256u32, 4096, 65_536] {
            let (status, line) = err(v, REG_DWORD, &n.to_le_bytes());
            assert_eq!(status, STATUS_INVALID_PARAMETER);
            assert_eq!(
                line,
                std::format!(
                    "SectorsPerCluster: {n} is more than 128, the most FAT12/16/32 take (exFAT takes up to 65536)"
                )
            );
            let f = with(&EXFAT, v, REG_DWORD, &n.to_le_bytes()).unwrap().format;
            assert_eq!(
                (f.sectors_per_cluster, f.file_system),
                (n, FileSystem::Exfat)
            );
            let mut b = ConfigBuilder::new();
            b.set(
                v,
                RawValue {
                    reg_type: REG_DWORD,
                    data: &n.to_le_bytes(),
                },
            )
            .unwrap();
            b.set(
                ValueName::FileSystem,
                RawValue {
                    reg_type: REG_SZ,
                    data: &sz("EXFAT", false),
                },
            )
            .unwrap();
            assert_eq!(b.check(), Ok(()));
            b.set(
                ValueName::FileSystem,
                RawValue {
                    reg_type: REG_SZ,
                    data: &sz("FAT32", false),
                },
            )
            .unwrap();
            assert_eq!(b.check().unwrap_err().value, v);
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
            ("exFAT", FileSystem::Exfat),
            ("EXFAT", FileSystem::Exfat),
            ("exfat", FileSystem::Exfat),
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
            "ex FAT",
            "FAT64",
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
            "FileSystem: \"NTFS\" is not auto, FAT12, FAT16, FAT32 or exFAT"
        );
        assert_eq!(
            err(v, REG_SZ, &sz("fat32\u{0}x", true)).1,
            "FileSystem: \"fat32?x\" is not auto, FAT12, FAT16, FAT32 or exFAT"
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
        // exFAT labels that FAT refuses: refused unless FileSystem is exFAT.
        for bad in [" LEAD", "A.B", "caf\u{e9}", "\u{1F600}", "a+b=c;[d]"] {
            let (status, line) = err(v, REG_SZ, &sz(bad, true));
            assert_eq!(status, STATUS_INVALID_PARAMETER, "{bad}");
            assert!(line.contains("is not a FAT volume label"), "{line}");
            let f = with(&EXFAT, v, REG_SZ, &sz(bad, true)).unwrap().format;
            let units: Vec<u16> = bad.encode_utf16().collect();
            assert_eq!(f.exfat_label.units(), &units[..], "{bad}");
            assert_eq!(f.label, VolumeLabel::NO_NAME);
        }
        // exFAT keeps the case FAT folds.
        let f = with(&EXFAT, v, REG_SZ, &sz("Scratch", true))
            .unwrap()
            .format;
        let units: Vec<u16> = "Scratch".encode_utf16().collect();
        assert_eq!(f.exfat_label.units(), &units[..]);
        assert_eq!(f.label.as_bytes(), b"SCRATCH    ");
        assert!(
            with(&EXFAT, v, REG_SZ, &sz("", true))
                .unwrap()
                .format
                .exfat_label
                .is_empty()
        );
        // Labels of no file system, refused as they arrive.
        for bad in [
            "TWELVECHARSX",
            "a:b",
            "x*",
            "tab\t",
            "q?",
            "\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}",
        ] {
            let (status, line) = err(v, REG_SZ, &sz(bad, true));
            assert_eq!(status, STATUS_INVALID_PARAMETER, "{bad}");
            assert!(line.contains("is not a volume label"), "{line}");
            let mut b = ConfigBuilder::new();
            let before = b;
            assert!(
                b.set(
                    v,
                    RawValue {
                        reg_type: REG_SZ,
                        data: &sz(bad, true)
                    }
                )
                .is_err()
            );
            assert_eq!(b, before);
        }
        assert_eq!(
            err(v, REG_SZ, &sz("a:b", true)).1,
            "VolumeLabel: \"a:b\" is not a volume label (at most 11 characters, none of \"*/:<>?\\| or control characters; FAT12/16/32 also take only ASCII, no leading space and none of +,.;=[])"
        );
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

    proptest! {
        #[test]
        fn any_value_is_judged_without_panic(
            which in 0usize..ValueName::ALL.len(),
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
                    prop_assert!(c.format.sectors_per_cluster == 0 || (c.format.sectors_per_cluster.is_power_of_two() && c.format.sectors_per_cluster <= 65_536));
                    prop_assert!(data.len() <= name.max_data());
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
    }
}
