//! The whole run against a fake system: which checks run, in which order, what each
//! row says, and that nothing touches the file system before the identity is proven.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ramdisk_core::fat::FatType;
use ramdisk_core::fat::table::count_free;
use ramdisk_core::fat::{
    FileSystem, FormatOptions, SliceWriter, Zeroed, encode_boot_sector, format, plan,
};
use ramdisk_core::geometry::DiskInfo;
use ramdisk_core::ioctl::layout::storage_device_descriptor;
use ramdisk_core::security::{DISK_DACL, SE_DACL_PROTECTED};
use ramdisk_core::wire::security::SecurityDescriptorRelative;
use ramdisk_core::wire::{FromZeros, IntoBytes};

use super::filesystem::{DiskFree, Names};
use super::format::DEFRAG_NO_EXTENTS;
use super::identity::VolumeInfo;
use super::security::encode_descriptor;
use super::tree::tests::scratch;
use super::*;
use crate::report::{Report, SelftestReport};

const SIZE: u64 = 8 << 20;
const SERIAL: u32 = 0x1234_ABCD;
const GUID: &str = r"\\?\Volume{0a1b2c3d-0000-1111-2222-333344445555}\";

/// A scripted system over a real FAT image (formatted by `ramdisk-core`) and a real
/// temporary directory standing in for `R:\`; every call is logged.
struct Fake {
    calls: Vec<String>,
    wine: Option<String>,
    descriptor: Result<Vec<u8>, u32>,
    image: Vec<u8>,
    info: Result<VolumeInfo, u32>,
    root: PathBuf,
    names_ok: bool,
    dismount: Result<(), String>,
    sd: Result<Vec<u8>, u32>,
    restricted: Result<Result<(), u32>, String>,
    chkdsk: Result<(i32, String), String>,
    trim: Result<bool, u32>,
    /// Memory in use, one answer per call (the last repeats).
    usage: Vec<Result<u64, String>>,
    retrim: Result<u32, String>,
}

impl Fake {
    /// Windows with everything as it should be (FAT16 8 MiB disk on R:).
    fn windows(name: &str) -> Self {
        let mut o = FormatOptions::new(SIZE);
        o.volume_serial = SERIAL;
        let layout = plan(&o).unwrap();
        let mut image = vec![0u8; usize::try_from(SIZE).unwrap()];
        format(&layout, &mut SliceWriter(&mut image), Zeroed::Yes).unwrap();
        Self {
            calls: Vec::new(),
            wine: None,
            descriptor: Ok(
                storage_device_descriptor(&DiskInfo::new(SIZE, FatType::Fat16)).to_vec(),
            ),
            image,
            info: Ok(VolumeInfo {
                serial: SERIAL,
                label: "RAMDISK".into(),
                file_system: "FAT".into(),
            }),
            root: scratch(name),
            names_ok: true,
            dismount: Ok(()),
            sd: Ok(encode_descriptor(&DISK_DACL, SE_DACL_PROTECTED)),
            restricted: Ok(Err(5)),
            chkdsk: Ok((
                0,
                "Windows has scanned the file system and found no problems.".into(),
            )),
            trim: Ok(false),
            usage: vec![Err("this driver build has no memory counter".into())],
            retrim: Ok(0),
        }
    }

    /// Wine: `R:\` does not reach the driver, the descriptor is the device file's.
    fn wine(name: &str) -> Self {
        let mut f = Self::windows(name);
        f.wine = Some("8.0".into());
        // What Wine 8 answers (measured): the device rejects the volume query.
        f.info = Err(1);
        f.restricted = Ok(Ok(()));
        // The device file's descriptor: no DACL.
        let mut sd = SecurityDescriptorRelative::new_zeroed();
        sd.revision = 1;
        f.sd = Ok(sd.as_bytes().to_vec());
        f
    }

    fn log(&mut self, call: impl Into<String>) {
        self.calls.push(call.into());
    }

    /// Whether any call touched the file system or formatted.
    fn touched_volume(&self) -> Vec<&String> {
        self.calls
            .iter()
            .filter(|c| {
                [
                    "root",
                    "names",
                    "disk_free",
                    "flush",
                    "lock",
                    "format",
                    "chkdsk",
                    "retrim",
                ]
                .iter()
                .any(|p| c.starts_with(p))
            })
            .collect()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl SelftestSystem for Fake {
    fn wine_version(&mut self) -> Option<String> {
        self.log("wine_version");
        self.wine.clone()
    }
    fn device_descriptor(&mut self) -> Result<Vec<u8>, u32> {
        self.log("device_descriptor");
        self.descriptor.clone()
    }
    fn device_size(&mut self) -> Result<u64, u32> {
        self.log("device_size");
        Ok(self.image.len() as u64)
    }
    fn read_device(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, u32> {
        self.log(format!("read {offset} {len}"));
        let at = usize::try_from(offset).map_err(|_| 87u32)?;
        self.image.get(at..at + len).map(<[u8]>::to_vec).ok_or(38)
    }
    fn flush_volume(&mut self) -> Result<(), u32> {
        self.log("flush");
        Ok(())
    }
    fn volume_information(&mut self) -> Result<VolumeInfo, u32> {
        self.log("volume_information");
        self.info.clone()
    }
    fn disk_free(&mut self) -> Result<DiskFree, u32> {
        self.log("disk_free");
        let b = crate::volume::parse_fat_boot_sector(&self.image[..512]).map_err(|_| 1005u32)?;
        let (at, len) = crate::volume::fat_span(&b).unwrap();
        let fat = &self.image[usize::try_from(at).unwrap()..][..len];
        let free = count_free(fat, b.fat_type, b.cluster_count);
        Ok(DiskFree {
            total: u64::from(b.cluster_count) * b.cluster_bytes(),
            free: u64::from(free) * b.cluster_bytes(),
        })
    }
    fn root(&mut self) -> PathBuf {
        self.log("root");
        self.root.clone()
    }
    fn names(&mut self, file: &Path) -> Names {
        self.log("names");
        let rel = file
            .strip_prefix(&self.root)
            .unwrap()
            .to_str()
            .unwrap()
            .replace('/', "\\");
        if self.names_ok {
            Names {
                volume: Ok(GUID.into()),
                dos: Ok(format!(r"\\?\R:\{rel}")),
                guid: Ok(format!("{GUID}{rel}")),
                canonical: Ok(format!(r"\\?\R:\{rel}")),
            }
        } else {
            Names {
                volume: Err(1173),
                dos: Err(31),
                guid: Err(31),
                canonical: Err("Incorrect function. (os error 1)".into()),
            }
        }
    }
    fn lock_and_dismount(&mut self) -> Result<(), String> {
        self.log("lock_and_dismount");
        self.dismount.clone()
    }
    fn device_security(&mut self) -> Result<Vec<u8>, u32> {
        self.log("device_security");
        self.sd.clone()
    }
    fn restricted_open(&mut self) -> Result<Result<(), u32>, String> {
        self.log("restricted_open");
        self.restricted.clone()
    }
    fn format(&mut self, file_system: &str, label: &str, current_label: &str) -> FormatRun {
        self.log(format!(
            "format {file_system} {label} (was {current_label})"
        ));
        if let Ok(info) = &mut self.info {
            info.file_system = file_system.into();
            info.label = label.into();
            if file_system == "FAT32" {
                // What Windows' formatter leaves: a FAT32 boot sector with a new serial
                // (of a larger disk: only sector 0 is read back).
                let mut o = FormatOptions::new(64 << 20);
                o.file_system = FileSystem::Fat32;
                o.sectors_per_cluster = 1;
                o.volume_serial = 0x0BAD_F00D;
                let layout = plan(&o).unwrap();
                encode_boot_sector(&layout, &mut self.image[..512]);
                info.serial = 0x0BAD_F00D;
            }
        }
        FormatRun {
            format_ex: Ok("FormatEx finished".into()),
            format_com: None,
        }
    }
    fn chkdsk(&mut self) -> Result<(i32, String), String> {
        self.log("chkdsk");
        self.chkdsk.clone()
    }
    fn trim_enabled(&mut self) -> Result<bool, u32> {
        self.log("trim_enabled");
        self.trim
    }
    fn memory_in_use(&mut self) -> Result<u64, String> {
        self.log("memory_in_use");
        if self.usage.len() > 1 {
            self.usage.remove(0)
        } else {
            self.usage[0].clone()
        }
    }
    fn retrim(&mut self) -> Result<u32, String> {
        self.log("retrim");
        self.retrim.clone()
    }
    fn sleep(&mut self, pause: Duration) {
        self.log(format!("sleep {}", pause.as_secs()));
    }
}

fn opts(format: bool) -> Options {
    Options {
        path: r"\\.\R:".into(),
        letter: Some('R'),
        format,
    }
}

/// `(id, status)` of every row.
fn statuses(r: &SelftestReport) -> Vec<(&'static str, Status)> {
    r.checks.iter().map(|c| (c.id, c.status)).collect()
}

fn detail(r: &SelftestReport, id: CheckId) -> &str {
    &r.checks.iter().find(|c| c.id == id.name()).unwrap().detail
}

fn root_is_empty(f: &Fake) -> bool {
    std::fs::read_dir(&f.root).unwrap().next().is_none()
}

use Status::{Failed, NotAvailable, Passed};

#[test]
fn every_check_is_listed_once_in_order() {
    let names: Vec<&str> = CheckId::ALL.iter().map(|c| c.name()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 13);
    let mut f = Fake::wine("order");
    let r = run(&mut f, &opts(false));
    assert_eq!(r.checks.iter().map(|c| c.id).collect::<Vec<_>>(), names);
}

#[test]
fn under_wine_identity_is_not_available_and_the_volume_is_never_touched() {
    for format in [false, true] {
        let mut f = Fake::wine(&format!("wine-{format}"));
        let r = run(&mut f, &opts(format));
        assert_eq!(
            statuses(&r),
            [
                ("device-identity", Passed),
                ("volume-identity", NotAvailable),
                ("free-space", NotAvailable),
                ("volume-names", NotAvailable),
                ("files", NotAvailable),
                ("dismount", NotAvailable),
                ("device-dacl", NotAvailable),
                ("non-elevated-open", NotAvailable),
                ("format-ntfs", NotAvailable),
                ("ntfs-files", NotAvailable),
                ("chkdsk", NotAvailable),
                ("trim", NotAvailable),
                ("format-fat32", NotAvailable),
            ]
        );
        assert_eq!(
            detail(&r, CheckId::VolumeIdentity),
            "Wine 8.0 mounts no file system on the disk (paths under R:\\ go through its dosdevices/ \
             folder), so no volume serial can prove R:\\ is it \
             (GetVolumeInformationW: Incorrect function. (Win32 error 1); boot sector serial 1234-ABCD)"
        );
        for id in [
            CheckId::FreeSpace,
            CheckId::Files,
            CheckId::FormatNtfs,
            CheckId::FormatFat32,
        ] {
            let want = if format || matches!(id, CheckId::FreeSpace | CheckId::Files) {
                NOT_PROVEN
            } else {
                NEEDS_FORMAT
            };
            assert_eq!(detail(&r, id), want, "{id:?}");
        }
        assert!(f.touched_volume().is_empty(), "{:?}", f.calls);
        assert!(root_is_empty(&f));
        assert_eq!((r.exit_code, r.identity_proven), (EXIT_NOT_PROVEN, false));
        assert_eq!(r.host, "Wine 8.0");
        assert_eq!((r.passed, r.failed, r.not_available), (1, 0, 12));
    }
}

#[test]
fn on_windows_everything_passes_and_the_tree_is_gone_afterwards() {
    let mut f = Fake::windows("all");
    let r = run(&mut f, &opts(false));
    let want: Vec<(&str, Status)> = CheckId::ALL
        .iter()
        .map(|id| {
            (
                id.name(),
                if CheckId::ALL[..8].contains(id) {
                    Passed
                } else {
                    NotAvailable
                },
            )
        })
        .collect();
    assert_eq!(statuses(&r), want, "{}", r.text());
    assert_eq!((r.exit_code, r.identity_proven), (0, true));
    assert_eq!(detail(&r, CheckId::Trim), NEEDS_FORMAT);
    assert!(
        detail(&r, CheckId::Files).starts_with("27 files (2 large)"),
        "{}",
        r.text()
    );
    assert!(root_is_empty(&f), "the selftest's directory is deleted");
    // The order of the system calls: identity, then the file system, then security.
    let first: Vec<&str> = f.calls.iter().map(String::as_str).take(6).collect();
    assert_eq!(
        first,
        [
            "wine_version",
            "device_descriptor",
            "device_size",
            "read 0 512",
            "volume_information",
            "root"
        ]
    );
    let pos = |c: &str| f.calls.iter().position(|x| x == c).unwrap();
    assert!(pos("flush") < pos("disk_free") && pos("disk_free") < pos("names"));
    assert!(
        pos("names") < pos("lock_and_dismount")
            && pos("lock_and_dismount") < pos("device_security")
    );
    assert!(!f.calls.iter().any(|c| c.starts_with("format")));
}

#[test]
fn format_round_ntfs_chkdsk_trim_and_fat32_back() {
    let mut f = Fake::windows("format");
    let r = run(&mut f, &opts(true));
    assert_eq!(r.exit_code, 0, "{}", r.text());
    for id in [
        CheckId::FormatNtfs,
        CheckId::NtfsFiles,
        CheckId::Chkdsk,
        CheckId::FormatFat32,
    ] {
        assert_eq!(
            r.checks.iter().find(|c| c.id == id.name()).unwrap().status,
            Passed,
            "{id:?}: {}",
            r.text()
        );
    }
    assert_eq!(
        detail(&r, CheckId::Trim),
        "the disk does not free memory on TRIM (StorageDeviceTrimProperty: TrimEnabled FALSE)"
    );
    assert!(
        detail(&r, CheckId::FormatFat32)
            .contains("has the serial 0BAD-F00D the file system reports"),
        "{}",
        r.text()
    );
    let formats: Vec<&String> = f.calls.iter().filter(|c| c.starts_with("format")).collect();
    assert_eq!(
        formats,
        [
            "format NTFS RAMDISK (was RAMDISK)",
            "format FAT32 RAMDISK (was RAMDISK)"
        ]
    );
    let pos = |c: &str| f.calls.iter().position(|x| x.starts_with(c)).unwrap();
    assert!(
        pos("device_security") < pos("format NTFS"),
        "formats come last"
    );
    assert!(pos("format NTFS") < pos("chkdsk") && pos("chkdsk") < pos("format FAT32"));
    assert!(root_is_empty(&f));
}

#[test]
fn trim_is_measured_when_the_disk_frees_memory() {
    let mut f = Fake::windows("trim");
    f.trim = Ok(true);
    f.usage = vec![Ok(10 << 20), Ok(40 << 20), Ok(12 << 20)];
    let r = run(&mut f, &opts(true));
    assert!(
        matches!(r.checks.iter().find(|c| c.id == "trim"), Some(c) if c.status == Passed),
        "{}",
        r.text()
    );
    assert!(
        !f.calls.iter().any(|c| c == "retrim"),
        "the delete freed it: no defrag"
    );
    // Nothing freed, and defrag says there are no disk extents: not available.
    let mut f = Fake::windows("retrim");
    f.trim = Ok(true);
    f.usage = vec![Ok(10 << 20), Ok(40 << 20)];
    f.retrim = Ok(DEFRAG_NO_EXTENTS);
    let r = run(&mut f, &opts(true));
    let trim = r.checks.iter().find(|c| c.id == "trim").unwrap();
    assert_eq!(trim.status, NotAvailable, "{}", r.text());
    assert!(trim.detail.contains("0x8900002a"), "{}", trim.detail);
    assert!(f.calls.iter().any(|c| c == "sleep 2") && f.calls.iter().any(|c| c == "retrim"));
    assert_eq!(r.exit_code, 0);
}

#[test]
fn another_volume_on_the_letter_stops_before_the_file_system() {
    let mut f = Fake::windows("serial");
    f.info = Ok(VolumeInfo {
        serial: SERIAL + 1,
        label: String::new(),
        file_system: "NTFS".into(),
    });
    let r = run(&mut f, &opts(true));
    assert_eq!(r.checks[1].status, Failed);
    assert!(
        r.checks[2..6]
            .iter()
            .all(|c| c.status == NotAvailable && c.detail == NOT_PROVEN)
    );
    assert!(r.checks[8..].iter().all(|c| c.detail == NOT_PROVEN));
    assert!(f.touched_volume().is_empty(), "{:?}", f.calls);
    assert_eq!(r.exit_code, EXIT_FAILED);
    assert!(r.verdict.starts_with("FAILED: 1 check(s) failed"));
}

#[test]
fn another_device_fails_identity_and_runs_nothing_else() {
    let mut f = Fake::windows("device");
    f.descriptor = Err(1);
    let r = run(&mut f, &opts(false));
    assert_eq!(
        statuses(&r)[..2],
        [
            ("device-identity", Failed),
            ("volume-identity", NotAvailable)
        ]
    );
    assert!(r.checks[2..].iter().all(|c| c.status == NotAvailable));
    assert!(
        !f.calls
            .iter()
            .any(|c| c == "device_security" || c == "volume_information")
    );
    assert_eq!(r.exit_code, EXIT_FAILED);
}

#[test]
fn a_failed_check_makes_the_run_fail() {
    let mut f = Fake::windows("fail");
    f.dismount = Err("cannot lock R:".into());
    f.names_ok = false;
    f.restricted = Ok(Ok(()));
    let r = run(&mut f, &opts(false));
    let failed: Vec<&str> = r
        .checks
        .iter()
        .filter(|c| c.status == Failed)
        .map(|c| c.id)
        .collect();
    assert_eq!(failed, ["volume-names", "dismount", "non-elevated-open"]);
    assert_eq!(r.exit_code, EXIT_FAILED);
    assert!(root_is_empty(&f));
}

#[test]
fn no_restricted_token_is_not_available_not_passed() {
    let mut f = Fake::windows("token");
    f.restricted = Err("CreateRestrictedToken: Access is denied. (Win32 error 5)".into());
    let r = run(&mut f, &opts(false));
    assert_eq!(r.checks[7].status, NotAvailable);
    assert_eq!(r.exit_code, 0, "identity proven, nothing failed");
}

#[test]
fn text_and_json_of_the_wine_table() {
    let mut f = Fake::wine("golden");
    let r = run(&mut f, &opts(false));
    let text = r.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], r"selftest of \\.\R: on Wine 8.0");
    assert_eq!(lines[1], "check              status         detail");
    assert_eq!(
        lines[2],
        r#"device-identity    passed         \\.\R:: vendor "Rust", product "RAM Disk", revision "0.1" (IOCTL_STORAGE_QUERY_PROPERTY)"#
    );
    assert_eq!(lines.len(), 2 + 13 + 1);
    assert_eq!(
        lines[15],
        "verdict: identity not proven: nothing failed, but the file-system checks could not run \
         (1 passed, 0 failed, 12 not available; exit 6)"
    );
    assert_eq!(
        crate::report::render(&r, true).unwrap(),
        include_str!("../../tests/golden/selftest.json").trim_end()
    );
}
