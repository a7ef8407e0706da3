//! `ramdiskctl selftest`: the acceptance test a tester runs on a Windows VM, and the
//! Wine e2e runs too.
//!
//! Every check ends **passed**, **failed** or **not available here** (with the
//! reason). Identity comes first: `\\.\R:` must be this driver's disk (its device
//! descriptor) and `R:\` that disk's volume (the serial `GetVolumeInformationW`
//! reports equals the one in the boot sector read through `\\.\R:`). Until both are
//! proven nothing touches the file system and nothing destructive runs; under Wine
//! the volume half is never proven (ntdll resolves `R:\` through `dosdevices/`).
//!
//! The checks are written against [`SelftestSystem`], so the host tests drive them
//! with a fake and see exactly which system calls a run makes; `cmd/selftest.rs`
//! implements it with Win32. The decisions (identity, free space, names, DACL,
//! format answers, TRIM, verdict) are the pure functions of the submodules.

pub mod filesystem;
pub mod format;
pub mod identity;
pub mod security;
pub mod tree;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use self::filesystem::{DiskFree, Names};
use self::format::{FAT32_FORMAT_LIMIT, TrimMeasure};
use self::identity::{VolumeEvidence, VolumeInfo};
use self::tree::TreeFile;
use crate::error::{EXIT_FAILED, EXIT_NOT_PROVEN, win32_text};
use crate::report::SelftestReport;
use crate::units::fmt_serial;
use crate::volume::{fat_span, parse_fat_boot_sector};
use ramdisk_core::fat::BootSector;
use ramdisk_core::fat::table::count_free;

/// A Win32 error code with its text: `Access is denied. (Win32 error 5)`.
#[must_use]
pub fn win32(code: u32) -> String {
    format!("{} (Win32 error {code})", win32_text(code))
}

/// How a check ended (`"passed"`, `"failed"`, `"not_available"` in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It ran and showed what it should.
    Passed,
    /// It ran and showed something else.
    Failed,
    /// It could not run here (the detail says why); never counted as passed.
    NotAvailable,
}

impl Status {
    /// The word in the table.
    #[must_use]
    pub const fn text(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "FAILED",
            Self::NotAvailable => "not available",
        }
    }
}

/// A check's result with its detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Passed: what was seen.
    Passed(String),
    /// Failed: what was seen instead.
    Failed(String),
    /// Not available here: why.
    NotAvailable(String),
}

impl Outcome {
    /// Whether it passed.
    #[must_use]
    pub const fn passed(&self) -> bool {
        matches!(self, Self::Passed(_))
    }

    fn split(self) -> (Status, String) {
        match self {
            Self::Passed(d) => (Status::Passed, d),
            Self::Failed(d) => (Status::Failed, d),
            Self::NotAvailable(d) => (Status::NotAvailable, d),
        }
    }
}

/// The checks, in the order they run and are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckId {
    /// `\\.\R:` names this driver's vendor and product.
    DeviceIdentity,
    /// `R:\`'s serial is the boot sector's.
    VolumeIdentity,
    /// Free space vs the driver's size and the planner.
    FreeSpace,
    /// `Volume{GUID}` name, final path names, `canonicalize`.
    VolumeNames,
    /// A tree written and read back.
    Files,
    /// Lock + dismount, the files still there afterwards.
    Dismount,
    /// The device DACL.
    DeviceDacl,
    /// A raw open without Administrators and SYSTEM is refused.
    NonElevatedOpen,
    /// `--format`: NTFS.
    FormatNtfs,
    /// `--format`: the files and the dismount on NTFS.
    NtfsFiles,
    /// `--format`: `chkdsk` clean.
    Chkdsk,
    /// `--format`: deleting a file frees the disk's memory.
    Trim,
    /// `--format`: FAT32 back.
    FormatFat32,
}

impl CheckId {
    /// Every check, in order.
    pub const ALL: [Self; 13] = [
        Self::DeviceIdentity,
        Self::VolumeIdentity,
        Self::FreeSpace,
        Self::VolumeNames,
        Self::Files,
        Self::Dismount,
        Self::DeviceDacl,
        Self::NonElevatedOpen,
        Self::FormatNtfs,
        Self::NtfsFiles,
        Self::Chkdsk,
        Self::Trim,
        Self::FormatFat32,
    ];

    /// The id in the table and the JSON.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::DeviceIdentity => "device-identity",
            Self::VolumeIdentity => "volume-identity",
            Self::FreeSpace => "free-space",
            Self::VolumeNames => "volume-names",
            Self::Files => "files",
            Self::Dismount => "dismount",
            Self::DeviceDacl => "device-dacl",
            Self::NonElevatedOpen => "non-elevated-open",
            Self::FormatNtfs => "format-ntfs",
            Self::NtfsFiles => "ntfs-files",
            Self::Chkdsk => "chkdsk",
            Self::Trim => "trim",
            Self::FormatFat32 => "format-fat32",
        }
    }
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// [`CheckId::name`].
    pub id: &'static str,
    /// How it ended.
    pub status: Status,
    /// What was seen, or why it could not run.
    pub detail: String,
}

/// The exit code of a run: 1 if any check failed, else 6 if the identity was not
/// proven, else 0.
#[must_use]
pub fn exit_code(checks: &[Check], identity_proven: bool) -> u8 {
    if checks.iter().any(|c| c.status == Status::Failed) {
        EXIT_FAILED
    } else if identity_proven {
        0
    } else {
        EXIT_NOT_PROVEN
    }
}

/// A run of `FormatEx` and, when it failed, of `format.com`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatRun {
    /// `FormatEx`'s result (or why it could not be called).
    pub format_ex: Result<String, String>,
    /// `format.com`'s exit code and output, when it ran.
    pub format_com: Option<Result<(i32, String), String>>,
}

/// What the checks need from the system; one device (`\\.\R:`), its letter's root.
pub trait SelftestSystem {
    /// `wine_get_version()` when ntdll exports it (running under Wine).
    fn wine_version(&mut self) -> Option<String>;
    /// `IOCTL_STORAGE_QUERY_PROPERTY` (`StorageDeviceProperty`): the descriptor bytes.
    ///
    /// # Errors
    /// The Win32 error code.
    fn device_descriptor(&mut self) -> Result<Vec<u8>, u32>;
    /// `IOCTL_DISK_GET_LENGTH_INFO`.
    ///
    /// # Errors
    /// The Win32 error code.
    fn device_size(&mut self) -> Result<u64, u32>;
    /// `len` bytes at `offset`, read through the device.
    ///
    /// # Errors
    /// The Win32 error code.
    fn read_device(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, u32>;
    /// `FlushFileBuffers` on the volume (the file system writes its FAT out).
    ///
    /// # Errors
    /// The Win32 error code.
    fn flush_volume(&mut self) -> Result<(), u32>;
    /// `GetVolumeInformationW` on the letter's root.
    ///
    /// # Errors
    /// The Win32 error code.
    fn volume_information(&mut self) -> Result<VolumeInfo, u32>;
    /// `GetDiskFreeSpaceExW` on the letter's root.
    ///
    /// # Errors
    /// The Win32 error code.
    fn disk_free(&mut self) -> Result<DiskFree, u32>;
    /// The letter's root directory (`R:\`), where the file checks write. Asked only
    /// once the identity is proven.
    fn root(&mut self) -> PathBuf;
    /// The names of `file` (a file on the volume) and of the volume.
    fn names(&mut self, file: &Path) -> Names;
    /// `FSCTL_LOCK_VOLUME` (retried briefly) and `FSCTL_DISMOUNT_VOLUME` on the
    /// volume, then the handle closed.
    ///
    /// # Errors
    /// What failed.
    fn lock_and_dismount(&mut self) -> Result<(), String>;
    /// `GetKernelObjectSecurity` (DACL) on the device: a self-relative descriptor.
    ///
    /// # Errors
    /// The Win32 error code.
    fn device_security(&mut self) -> Result<Vec<u8>, u32>;
    /// Opens the device for reading under a token whose Administrators and SYSTEM
    /// SIDs are deny-only: the open's result, or why no such token could be had.
    ///
    /// # Errors
    /// Why no restricted token could be had.
    fn restricted_open(&mut self) -> Result<Result<(), u32>, String>;
    /// Formats the volume quickly as `file_system` with `label`, with the current
    /// volume label `current_label` (what `format.com` asks for).
    fn format(&mut self, file_system: &str, label: &str, current_label: &str) -> FormatRun;
    /// `chkdsk R:`: its exit code and output.
    ///
    /// # Errors
    /// Why it could not run.
    fn chkdsk(&mut self) -> Result<(i32, String), String>;
    /// `StorageDeviceTrimProperty`'s `TrimEnabled`.
    ///
    /// # Errors
    /// The Win32 error code.
    fn trim_enabled(&mut self) -> Result<bool, u32>;
    /// The disk's memory in use, as the driver counts it.
    ///
    /// # Errors
    /// Why it cannot be had (this driver build has no such query).
    fn memory_in_use(&mut self) -> Result<u64, String>;
    /// `defrag R: /L` (retrim): its exit code.
    ///
    /// # Errors
    /// Why it could not run.
    fn retrim(&mut self) -> Result<u32, String>;
    /// Waits (for the file system's own TRIM after a delete).
    fn sleep(&mut self, pause: Duration);
}

/// What to test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The device path (`\\.\R:`).
    pub path: String,
    /// Its drive letter, if it is one.
    pub letter: Option<char>,
    /// `--format`.
    pub format: bool,
}

/// Bytes read for the boot sector.
const SECTOR: usize = 512;

/// The reason of every file-system check while the identity is not proven.
pub const NOT_PROVEN: &str =
    "not run: the identity is not proven (nothing touches a volume not proven to be this disk)";
/// The reason of the `--format` checks without `--format`.
pub const NEEDS_FORMAT: &str = "not run: needs --format (it erases the disk)";
/// The reason of the checks after a failed `device-identity`.
pub const NOT_OUR_DEVICE: &str = "not run: the device is not proven to be this driver's disk";

/// The rows as they are filled in.
struct Table(Vec<(CheckId, Option<Outcome>)>);

impl Table {
    fn new() -> Self {
        Self(CheckId::ALL.iter().map(|&id| (id, None)).collect())
    }

    fn set(&mut self, id: CheckId, o: Outcome) {
        if let Some(row) = self.0.iter_mut().find(|(i, _)| *i == id) {
            row.1 = Some(o);
        }
    }

    fn checks(self) -> Vec<Check> {
        self.0
            .into_iter()
            .map(|(id, o)| {
                let (status, detail) = o
                    .unwrap_or_else(|| {
                        Outcome::Failed("the check was not reached (a selftest bug)".into())
                    })
                    .split();
                Check {
                    id: id.name(),
                    status,
                    detail,
                }
            })
            .collect()
    }
}

/// The FAT's free clusters, read through the device.
fn fat_free<S: SelftestSystem>(sys: &mut S, boot: &BootSector) -> Result<u32, String> {
    let (offset, len) = fat_span(boot).ok_or("the FAT does not fit in memory")?;
    let fat = sys
        .read_device(offset, len)
        .map_err(|c| format!("cannot read the FAT: {}", win32(c)))?;
    Ok(count_free(&fat, boot.fat_type, boot.cluster_count))
}

/// Writes `files`, reads them back, locks and dismounts the volume and reads them
/// again: the outcomes of the tree and of the dismount.
fn files_and_dismount<S: SelftestSystem>(
    sys: &mut S,
    root: &Path,
    files: &[TreeFile],
) -> (Outcome, Outcome) {
    let written = tree::write(root, files).and_then(|()| tree::verify(root, files));
    let tree = match written {
        Ok(()) => Outcome::Passed(tree::summary(files)),
        Err(e) => {
            return (
                Outcome::Failed(e),
                Outcome::NotAvailable("not run: the files did not read back".into()),
            );
        }
    };
    let dismount = match sys.lock_and_dismount() {
        Err(e) => Outcome::Failed(e),
        Ok(()) => match tree::verify(root, files) {
            Ok(()) => Outcome::Passed(format!(
                "FSCTL_LOCK_VOLUME and FSCTL_DISMOUNT_VOLUME done; after the remount all {} files read back with the same SHA-256",
                files.len()
            )),
            Err(e) => Outcome::Failed(format!("after the dismount and remount: {e}")),
        },
    };
    (tree, dismount)
}

/// The free bytes of the volume now (for sizing the tree; 0 when unknown).
fn free_now<S: SelftestSystem>(sys: &mut S) -> u64 {
    sys.disk_free().map_or(0, |f| f.free)
}

/// The checks that touch the file system (the identity is proven).
fn file_system_checks<S: SelftestSystem>(
    sys: &mut S,
    t: &mut Table,
    letter: char,
    size: &Result<u64, u32>,
    boot: &BootSector,
) {
    let root = sys.root();
    // Free space first: nothing of ours is on the volume yet.
    let flushed = sys.flush_volume();
    let fat = match flushed {
        Ok(()) => fat_free(sys, boot),
        Err(c) => Err(format!(
            "FlushFileBuffers on the volume failed: {}",
            win32(c)
        )),
    };
    let fs = sys.disk_free();
    t.set(
        CheckId::FreeSpace,
        match size {
            Ok(size) => filesystem::free_space(*size, boot, &fat, &fs),
            Err(c) => Outcome::Failed(format!("IOCTL_DISK_GET_LENGTH_INFO failed: {}", win32(*c))),
        },
    );
    if let Err(e) = tree::remove(&root) {
        for id in [CheckId::VolumeNames, CheckId::Files, CheckId::Dismount] {
            t.set(id, Outcome::Failed(e.clone()));
        }
        return;
    }
    let rel = format!(r"{}\names.txt", tree::DIR);
    let names_file = root.join(tree::DIR).join("names.txt");
    let created = std::fs::create_dir_all(root.join(tree::DIR))
        .and_then(|()| std::fs::write(&names_file, b"ramdiskctl selftest\r\n"));
    t.set(
        CheckId::VolumeNames,
        match created {
            Ok(()) => filesystem::names_check(letter, &rel, &sys.names(&names_file)),
            Err(e) => Outcome::Failed(format!("cannot create {}: {e}", names_file.display())),
        },
    );
    let files = tree::plan(fs.map_or(0, |f| f.free));
    let (written, dismount) = files_and_dismount(sys, &root, &files);
    t.set(CheckId::Files, written);
    t.set(CheckId::Dismount, dismount);
    let _ = tree::remove(&root);
}

/// The `--format` checks (the identity is proven): NTFS, its files, `chkdsk`, TRIM,
/// then FAT32 back.
fn format_checks<S: SelftestSystem>(
    sys: &mut S,
    t: &mut Table,
    letter: char,
    size: u64,
    before: &VolumeInfo,
) {
    let label = format::new_label(&before.label);
    let root = sys.root();
    let run = sys.format("NTFS", &label, &before.label);
    let now = sys.volume_information();
    let fs_now = now.clone().map(|v| v.file_system);
    let ntfs = format::format_outcome("NTFS", &run.format_ex, run.format_com.as_ref(), &fs_now);
    let ntfs_ok = ntfs.passed();
    t.set(CheckId::FormatNtfs, ntfs);
    if ntfs_ok {
        let files = tree::plan(free_now(sys));
        let (written, dismount) = files_and_dismount(sys, &root, &files);
        t.set(
            CheckId::NtfsFiles,
            match (written, dismount) {
                (Outcome::Passed(w), Outcome::Passed(d)) => Outcome::Passed(format!("{w}; {d}")),
                (Outcome::Passed(_), other) | (other, _) => other,
            },
        );
        let _ = tree::remove(&root);
        t.set(
            CheckId::Chkdsk,
            format::chkdsk_outcome(letter, &sys.chkdsk()),
        );
        t.set(CheckId::Trim, trim_check(sys, &root));
    } else {
        for id in [CheckId::NtfsFiles, CheckId::Chkdsk, CheckId::Trim] {
            t.set(
                id,
                Outcome::NotAvailable("not run: the NTFS format failed".into()),
            );
        }
    }
    let label_now = now.map_or_else(|_| before.label.clone(), |v| v.label);
    t.set(
        CheckId::FormatFat32,
        if size > FAT32_FORMAT_LIMIT {
            Outcome::NotAvailable(format!(
                "the disk has {size} bytes: Windows' formatter offers FAT32 only up to 32 GiB (exFAT is not supported yet)"
            ))
        } else {
            fat32_back(sys, &root, &label, &label_now)
        },
    );
}

/// FAT32 back: the format, the boot sector (decoded by `ramdisk-core`) carries the
/// serial the file system reports, and a tree reads back.
fn fat32_back<S: SelftestSystem>(sys: &mut S, root: &Path, label: &str, current: &str) -> Outcome {
    let run = sys.format("FAT32", label, current);
    let now = sys.volume_information();
    let fs_now = now.clone().map(|v| v.file_system);
    let formatted =
        format::format_outcome("FAT32", &run.format_ex, run.format_com.as_ref(), &fs_now);
    let Outcome::Passed(how) = formatted else {
        return formatted;
    };
    let boot = sys
        .read_device(0, SECTOR)
        .map_err(|c| format!("cannot read sector 0: {}", win32(c)))
        .and_then(|s| parse_fat_boot_sector(&s));
    let serial = match (&boot, &now) {
        (Ok(b), Ok(v)) if b.serial() == Some(v.serial) => fmt_serial(v.serial),
        (Ok(b), Ok(v)) => {
            return Outcome::Failed(format!(
                "{how}; but the boot sector's serial {} is not the file system's {}",
                b.serial().map_or_else(|| "(none)".into(), fmt_serial),
                fmt_serial(v.serial)
            ));
        }
        (Err(e), _) => return Outcome::Failed(format!("{how}; but the new boot sector: {e}")),
        (_, Err(c)) => {
            return Outcome::Failed(format!(
                "{how}; but GetVolumeInformationW failed: {}",
                win32(*c)
            ));
        }
    };
    let files = tree::plan(free_now(sys));
    let written = tree::write(root, &files).and_then(|()| tree::verify(root, &files));
    let _ = tree::remove(root);
    match written {
        Ok(()) => Outcome::Passed(format!(
            "{how}; its boot sector (decoded by ramdisk-core) has the serial {serial} the file system reports; {}",
            tree::summary(&files)
        )),
        Err(e) => Outcome::Failed(format!("{how}; {e}")),
    }
}

/// Pause after a delete before the memory in use is read again (NTFS sends its TRIM
/// shortly after the delete).
const TRIM_PAUSE: Duration = Duration::from_secs(2);

/// Largest file the TRIM check writes and deletes.
const TRIM_FILE_MAX: u64 = 64 << 20;

/// The TRIM check on the freshly formatted NTFS volume: a file of half the free
/// space (whole MiB, at most 64 MiB) written and deleted.
fn trim_check<S: SelftestSystem>(sys: &mut S, root: &Path) -> Outcome {
    match sys.trim_enabled() {
        Err(c) => {
            return Outcome::Failed(format!(
                "IOCTL_STORAGE_QUERY_PROPERTY (StorageDeviceTrimProperty) failed: {}",
                win32(c)
            ));
        }
        Ok(false) => {
            return Outcome::NotAvailable(
                "the disk does not free memory on TRIM (StorageDeviceTrimProperty: TrimEnabled FALSE)".into(),
            );
        }
        Ok(true) => {}
    }
    if let Err(why) = sys.memory_in_use() {
        return Outcome::NotAvailable(why);
    }
    let file = TreeFile {
        path: PathBuf::from(tree::DIR).join("trim.bin"),
        len: (free_now(sys) / 2).min(TRIM_FILE_MAX) & !((1 << 20) - 1),
        seed: 77,
    };
    if file.len == 0 {
        return Outcome::NotAvailable(
            "the volume has less than 2 MiB free: no file large enough to measure a TRIM".into(),
        );
    }
    if let Err(e) = tree::write(root, std::slice::from_ref(&file)) {
        return Outcome::Failed(e);
    }
    let before = sys.memory_in_use();
    let removed = tree::remove(root);
    sys.sleep(TRIM_PAUSE);
    let (before, after) = match (before, removed) {
        (Ok(b), Ok(())) => (b, sys.memory_in_use()),
        (Err(e), _) | (_, Err(e)) => return Outcome::Failed(e),
    };
    let mut m = TrimMeasure {
        file: file.len,
        before,
        after,
        retrim: None,
    };
    if m.after
        .as_ref()
        .is_ok_and(|a| a.saturating_add(m.file / 2) > m.before)
    {
        let code = sys.retrim();
        m.retrim = Some((code, sys.memory_in_use()));
    }
    format::trim_outcome(&m)
}

/// Runs every check on the device `o.path` and returns the table.
pub fn run<S: SelftestSystem>(sys: &mut S, o: &Options) -> SelftestReport {
    let wine = sys.wine_version();
    let mut t = Table::new();
    let device = identity::device_identity(&o.path, sys.device_descriptor());
    let device_ok = device.passed();
    t.set(CheckId::DeviceIdentity, device);
    let size = sys.device_size();
    let boot = sys
        .read_device(0, SECTOR)
        .map_err(|c| format!("cannot read sector 0: {}", win32(c)))
        .and_then(|s| parse_fat_boot_sector(&s));
    let info = (device_ok && o.letter.is_some() && boot.is_ok()).then(|| sys.volume_information());
    let volume = identity::volume_identity(&VolumeEvidence {
        letter: o.letter,
        wine: wine.as_deref(),
        device_proven: device_ok,
        boot: &boot,
        info: info.as_ref(),
    });
    let proven = device_ok && volume.passed();
    t.set(CheckId::VolumeIdentity, volume);
    let fs_ids = [
        CheckId::FreeSpace,
        CheckId::VolumeNames,
        CheckId::Files,
        CheckId::Dismount,
    ];
    match (proven, o.letter, &boot) {
        (true, Some(letter), Ok(b)) => file_system_checks(sys, &mut t, letter, &size, b),
        _ => {
            for id in fs_ids {
                t.set(id, Outcome::NotAvailable(NOT_PROVEN.into()));
            }
        }
    }
    if device_ok {
        let sd = sys.device_security();
        t.set(
            CheckId::DeviceDacl,
            security::dacl_check(&o.path, wine.as_deref(), &sd),
        );
        let attempt = sys.restricted_open();
        t.set(
            CheckId::NonElevatedOpen,
            security::restricted_open_check(&o.path, wine.as_deref(), &attempt),
        );
    } else {
        for id in [CheckId::DeviceDacl, CheckId::NonElevatedOpen] {
            t.set(id, Outcome::NotAvailable(NOT_OUR_DEVICE.into()));
        }
    }
    let format_ids = [
        CheckId::FormatNtfs,
        CheckId::NtfsFiles,
        CheckId::Chkdsk,
        CheckId::Trim,
        CheckId::FormatFat32,
    ];
    match (o.format, proven, o.letter, &size, info) {
        (true, true, Some(letter), Ok(size), Some(Ok(before))) => {
            format_checks(sys, &mut t, letter, *size, &before);
        }
        (true, true, _, Err(c), _) => {
            for id in format_ids {
                t.set(
                    id,
                    Outcome::Failed(format!("IOCTL_DISK_GET_LENGTH_INFO failed: {}", win32(*c))),
                );
            }
        }
        (format, ..) => {
            for id in format_ids {
                t.set(
                    id,
                    Outcome::NotAvailable(if format { NOT_PROVEN } else { NEEDS_FORMAT }.into()),
                );
            }
        }
    }
    SelftestReport::new(o, wine, proven, t.checks())
}
