//! The command line (clap derive). Host-testable: parsing does not touch Windows.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::units::parse_size;

/// ramdiskctl: inspect, test and control the ramdisk driver.
#[derive(Debug, Parser)]
#[command(name = "ramdiskctl", version, about, long_about = None)]
#[command(
    after_help = "DEVICE is a drive letter (R, R: or \\\\.\\R:) or a full device path \
(\\\\.\\GLOBALROOT\\Device\\Ramdisk0); the default is the DriveLetter of the installed service, \
else R:.\n\nExit codes: 0 ok, 1 failed, 2 usage error, 3 device cannot be opened, \
4 data errors found (verify) or size mismatch (load), 5 busy (a disk or volume in use, \
without --force; trim: the volume lock could not be taken), 6 nothing failed but the disk's \
identity could not be proven (selftest)."
)]
pub struct Cli {
    /// Machine-readable output: one JSON object on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Size, geometry, partition and file system facts of the RAM disk.
    Info {
        /// The device (default: the service's drive letter).
        device: Option<String>,
    },
    /// Read every sector; report unreadable ones and the read speed.
    Verify {
        /// The device.
        device: Option<String>,
    },
    /// Sequential 1 MiB and random 4 KiB reads (and, with --destructive, writes).
    Bench(BenchArgs),
    /// Copy the whole raw image (or a part) to a file.
    Dump {
        /// The output file.
        file: PathBuf,
        /// The device.
        device: Option<String>,
        /// The part of the disk.
        #[command(flatten)]
        range: RangeArgs,
    },
    /// Write a raw image file back onto the disk (locks and dismounts the volume).
    Load {
        /// The image file; its size must equal the disk size.
        file: PathBuf,
        /// The device.
        device: Option<String>,
        /// The part of the file written, at the same offset of the disk.
        #[command(flatten)]
        range: RangeArgs,
    },
    /// Give memory back to a dynamic disk: TRIM a byte range, or (without one) every
    /// cluster the volume's FAT marks free, while holding the volume lock.
    Trim(TrimArgs),
    /// Create the kernel-driver service `RustRamDisk` and its Parameters.
    Install(InstallArgs),
    /// Stop (if running, like `stop`) and delete the service.
    Uninstall {
        /// As for `stop`: go on when the volume cannot be locked.
        #[arg(long)]
        force: bool,
    },
    /// Start the service and announce the new drive letter.
    Start {
        /// Do not tell Explorer (no `WM_DEVICECHANGE` broadcast, no `SHChangeNotify`).
        #[arg(long)]
        no_broadcast: bool,
    },
    /// Create a disk at run time (the control device `\\.\RamdiskControl`).
    Create(CreateArgs),
    /// Remove a disk safely: lock, dismount, delete its mount point, remove it.
    Remove(RemoveArgs),
    /// Write a disk's data to its image file (or to --to FILE) while holding the
    /// volume lock; the driver writes FILE.new and replaces the file.
    Save(SaveArgs),
    /// List the disks the driver holds.
    List,
    /// Lock and dismount the volume, stop the service, announce the removal.
    Stop {
        /// The device to dismount first.
        device: Option<String>,
        /// Dismount even when the volume cannot be locked (programs with files open
        /// on it lose them), and stop even when it cannot be opened.
        #[arg(long)]
        force: bool,
        /// Do not tell Explorer (no `WM_DEVICECHANGE` broadcast, no `SHChangeNotify`).
        #[arg(long)]
        no_broadcast: bool,
    },
    /// The acceptance test: identity first, then the file system, the DACL and, with
    /// --format, NTFS, chkdsk, TRIM and FAT32 again; each check passed, failed or not
    /// available here.
    Selftest {
        /// The device (default: the service's drive letter).
        device: Option<String>,
        /// Also format the disk (erases it): NTFS, its files, chkdsk, TRIM, then FAT32
        /// back. Only after the identity is proven.
        #[arg(long)]
        format: bool,
    },
}

/// `create` options: the settings of a registry disk (omitted ones take the same
/// defaults), plus the drive letter (default: the first free one from Z: down).
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// `DiskSize` in bytes (512K, 64M, 1G ...).
    #[arg(long, value_parser = parse_size)]
    pub size: u64,
    /// `DriveLetter` (one letter; default: the driver picks the first free from Z: down to D:).
    #[arg(long)]
    pub letter: Option<String>,
    /// The volume and memory settings.
    #[command(flatten)]
    pub disk: DiskOptions,
    /// Also write `Parameters\Disks\NAME`, so the disk comes back at the next start.
    #[arg(long, value_name = "NAME")]
    pub persist: Option<String>,
    /// Do not tell Explorer (no `WM_DEVICECHANGE` broadcast, no `SHChangeNotify`).
    #[arg(long)]
    pub no_broadcast: bool,
}

/// `remove` options.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// The disk: its drive letter (R, R:, \\.\R:).
    pub device: String,
    /// Remove it even while programs have files or handles open on it (they lose them).
    #[arg(long)]
    pub force: bool,
    /// Keep its `Parameters\Disks` subkey (default: delete it, so it does not come back).
    #[arg(long)]
    pub keep_persisted: bool,
    /// Do not tell Explorer (no `WM_DEVICECHANGE` broadcast, no `SHChangeNotify`).
    #[arg(long)]
    pub no_broadcast: bool,
}

impl CreateArgs {
    /// The drive letter asked for (`R`, `r:` → `'R'`); `None`: the driver picks one.
    ///
    /// # Errors
    /// A value that is not one letter A-Z (optionally with `:`).
    pub fn letter(&self) -> Result<Option<char>, String> {
        let Some(text) = &self.letter else {
            return Ok(None);
        };
        let l = text.trim_end_matches(':');
        let mut chars = l.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => Ok(Some(c.to_ascii_uppercase())),
            _ => Err(format!("--letter {text}: not a drive letter A-Z")),
        }
    }

    /// The control request's settings.
    #[must_use]
    pub fn settings(&self, letter: Option<char>) -> ramdisk_core::control::CreateSettings<'_> {
        ramdisk_core::control::CreateSettings {
            disk_size: self.size,
            letter,
            file_system: self.disk.fs.as_deref(),
            sectors_per_cluster: self.disk.sectors_per_cluster,
            root_dir_entries: self.disk.root_entries,
            volume_label: self.disk.label.as_deref(),
            allocation: self.disk.allocation.as_deref(),
            memory_limit: self.disk.memory_limit,
            persist_name: self.persist.as_deref(),
            image_file: self.disk.image.as_deref(),
            save_on: self.disk.save_on.as_deref(),
            read_only: self.disk.read_only.then_some(1),
        }
    }

    /// The `Parameters\Disks\<NAME>` values `--persist` writes, for a disk that got
    /// drive letter `letter`: every option given, and the letter (so it comes back on
    /// the same one).
    #[must_use]
    pub fn persisted_values(&self, letter: char) -> Vec<(&'static str, ParamValue)> {
        InstallArgs {
            sys: String::new(),
            size: Some(self.size),
            letter: Some(letter.to_string()),
            disk: self.disk.clone(),
            start: StartType::Demand,
        }
        .parameters()
    }
}

/// The byte range of `dump` and `load`: the same offsets on the disk and in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::Args)]
pub struct RangeArgs {
    /// Start at this byte offset (sector aligned).
    #[arg(long, value_parser = parse_size, default_value = "0")]
    pub offset: u64,
    /// Only this many bytes (sector aligned; default: to the end of the disk).
    #[arg(long, value_parser = parse_size)]
    pub length: Option<u64>,
}

/// `trim` options.
#[derive(Clone, Debug, PartialEq, Eq, clap::Args)]
pub struct TrimArgs {
    /// The device (default: the service's drive letter).
    pub device: Option<String>,
    /// Trim from this byte offset (sector aligned; with --length).
    #[arg(long, value_parser = parse_size, requires = "length")]
    pub offset: Option<u64>,
    /// Trim this many bytes (sector aligned; with --offset).
    #[arg(long, value_parser = parse_size, requires = "offset")]
    pub length: Option<u64>,
}

/// `save` options.
#[derive(Clone, Debug, PartialEq, Eq, clap::Args)]
pub struct SaveArgs {
    /// The disk (default: the service's drive letter).
    pub device: Option<String>,
    /// Save to this file instead of the disk's `ImageFile` (created, or replaced).
    #[arg(long, value_name = "FILE")]
    pub to: Option<PathBuf>,
    /// Save without `FSCTL_LOCK_VOLUME`: data written during the save may be torn at
    /// sector level (default: lock, and exit 5 without saving when it cannot be had).
    #[arg(long)]
    pub no_lock: bool,
}

/// `bench` options.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The device.
    pub device: Option<String>,
    /// Also measure writes (inside the scratch range; its data is restored afterwards).
    #[arg(long)]
    pub destructive: bool,
    /// Size of the scratch range at the end of the disk that writes may touch.
    #[arg(long, value_parser = parse_size, default_value = "16M")]
    pub scratch: u64,
    /// Let writes touch the whole disk instead of the scratch range (contents are lost).
    #[arg(long, requires = "destructive")]
    pub whole_disk: bool,
    /// Threads for the multi-threaded random tests.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub threads: u32,
    /// Seconds per random test.
    #[arg(long, default_value_t = 1.0)]
    pub seconds: f64,
    /// Bytes read (and written) by each sequential test (at most the disk / scratch range).
    #[arg(long, value_parser = parse_size, default_value = "256M")]
    pub seq_bytes: u64,
}

/// `install` options; a Parameters value is written only when its option is given.
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// The driver file (binPath), e.g. C:\drivers\rustramdisk.sys.
    #[arg(long)]
    pub sys: String,
    /// `DiskSize` in bytes (512K, 64M, 1G ...).
    #[arg(long, value_parser = parse_size)]
    pub size: Option<u64>,
    /// `DriveLetter` (one letter).
    #[arg(long)]
    pub letter: Option<String>,
    /// The volume and memory settings.
    #[command(flatten)]
    pub disk: DiskOptions,
    /// Service start type.
    #[arg(long, value_enum, default_value_t = StartType::Demand)]
    pub start: StartType,
}

/// The settings `install` and `create` share: a registry value each, written (or sent)
/// only when given.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct DiskOptions {
    /// `FileSystem`: FAT12, FAT16, FAT32, exFAT (omit for automatic), or keep (serve
    /// the --image as it is; needs --image).
    #[arg(long)]
    pub fs: Option<String>,
    /// `SectorsPerCluster` (a power of two: 1..128 for FAT12/16/32, 1..65536 for exFAT).
    #[arg(long)]
    pub sectors_per_cluster: Option<u32>,
    /// `RootDirEntries` (FAT12/16).
    #[arg(long)]
    pub root_entries: Option<u32>,
    /// `VolumeLabel` (at most 11 characters).
    #[arg(long)]
    pub label: Option<String>,
    /// `Allocation`: `fixed` (all memory at start) or `dynamic` (memory on first
    /// write, given back by `trim`).
    #[arg(long)]
    pub allocation: Option<String>,
    /// `MemoryLimit` of a dynamic disk in bytes (512M, 2G ...).
    #[arg(long, value_parser = parse_size)]
    pub memory_limit: Option<u64>,
    /// `ImageFile`: the image file the disk loads and saves (X:\dir\disk.img or an NT
    /// path, at most 1024 characters, not on a ramdisk). The driver loads it before the
    /// disk appears (a missing file in an existing directory: a fresh disk);
    /// `ramdiskctl save` and --save-on stop or shutdown write it back.
    #[arg(long, value_name = "FILE")]
    pub image: Option<String>,
    /// `SaveOn`: when the image is written back besides `ramdiskctl save` (needs
    /// --image): never; stop (`sc stop`, `ramdiskctl remove`); shutdown (as stop, and at
    /// a restart or full shutdown, not at Fast Startup's "Shut down"; Wine never sends
    /// the shutdown request).
    #[arg(long, value_parser = ["never", "stop", "shutdown"])]
    pub save_on: Option<String>,
    /// `ReadOnly`=1: the disk refuses writes (needs --image; rules out --save-on stop
    /// or shutdown).
    #[arg(long)]
    pub read_only: bool,
}

/// Service start types of a kernel driver (`demand`, `auto`, `system` in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StartType {
    /// `SERVICE_DEMAND_START`: `ramdiskctl start` / `sc start`.
    Demand,
    /// `SERVICE_AUTO_START`: at boot, by the service control manager.
    Auto,
    /// `SERVICE_SYSTEM_START`: at boot, by the I/O manager.
    System,
}

impl StartType {
    /// The Win32 `SERVICE_*_START` value.
    #[must_use]
    pub const fn code(self) -> u32 {
        match self {
            Self::System => 1,
            Self::Auto => 2,
            Self::Demand => 3,
        }
    }
}

/// One registry value of the service's Parameters key (a number or a string in JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// `REG_DWORD`.
    Dword(u32),
    /// `REG_QWORD`.
    Qword(u64),
    /// `REG_SZ`.
    Sz(String),
}

impl InstallArgs {
    /// The Parameters values to write, in a fixed order.
    #[must_use]
    pub fn parameters(&self) -> Vec<(&'static str, ParamValue)> {
        let mut v = Vec::new();
        if let Some(size) = self.size {
            v.push((
                "DiskSize",
                u32::try_from(size).map_or(ParamValue::Qword(size), ParamValue::Dword),
            ));
        }
        if let Some(letter) = &self.letter {
            let l = letter.trim_end_matches(':');
            v.push(("DriveLetter", ParamValue::Sz(l.to_ascii_uppercase())));
        }
        if let Some(fs) = &self.disk.fs {
            v.push(("FileSystem", ParamValue::Sz(fs.to_ascii_uppercase())));
        }
        if let Some(spc) = self.disk.sectors_per_cluster {
            v.push(("SectorsPerCluster", ParamValue::Dword(spc)));
        }
        if let Some(n) = self.disk.root_entries {
            v.push(("RootDirEntries", ParamValue::Dword(n)));
        }
        if let Some(label) = &self.disk.label {
            v.push(("VolumeLabel", ParamValue::Sz(label.clone())));
        }
        if let Some(allocation) = &self.disk.allocation {
            v.push((
                "Allocation",
                ParamValue::Sz(allocation.to_ascii_lowercase()),
            ));
        }
        if let Some(limit) = self.disk.memory_limit {
            v.push((
                "MemoryLimit",
                u32::try_from(limit).map_or(ParamValue::Qword(limit), ParamValue::Dword),
            ));
        }
        if let Some(image) = &self.disk.image {
            v.push(("ImageFile", ParamValue::Sz(image.clone())));
        }
        if let Some(save_on) = &self.disk.save_on {
            v.push(("SaveOn", ParamValue::Sz(save_on.clone())));
        }
        if self.disk.read_only {
            v.push(("ReadOnly", ParamValue::Dword(1)));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("ramdiskctl").chain(args.iter().copied()))
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn info_device_optional() {
        let c = parse(&["info"]).unwrap();
        assert!(matches!(c.command, Command::Info { device: None }));
        let c = parse(&["--json", "info", r"\\.\R:"]).unwrap();
        assert!(c.json);
        assert!(matches!(c.command, Command::Info { device: Some(d) } if d == r"\\.\R:"));
        let c = parse(&["info", "Q:", "--json"]).unwrap();
        assert!(c.json);
    }

    #[test]
    fn save_options() {
        let save = |args: &[&str]| match parse(args).map(|c| c.command) {
            Ok(Command::Save(a)) => Ok(a),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.kind()),
        };
        assert_eq!(
            save(&["save"]),
            Ok(SaveArgs {
                device: None,
                to: None,
                no_lock: false
            })
        );
        assert_eq!(
            save(&["save", "R:", "--to", r"D:\b\r.img", "--no-lock"]),
            Ok(SaveArgs {
                device: Some("R:".into()),
                to: Some(PathBuf::from(r"D:\b\r.img")),
                no_lock: true
            })
        );
        let c = parse(&["--json", "save", "--to", "x.img", "Q"]).unwrap();
        assert!(c.json);
        assert!(
            matches!(c.command, Command::Save(SaveArgs { device: Some(d), to: Some(t), no_lock: false }) if d == "Q" && t.as_os_str() == "x.img")
        );
        assert_eq!(
            save(&["save", "--to"]),
            Err(clap::error::ErrorKind::InvalidValue)
        );
        assert_eq!(
            save(&["save", "R:", "Q:"]),
            Err(clap::error::ErrorKind::UnknownArgument)
        );
        assert_eq!(
            save(&["save", "--lock"]),
            Err(clap::error::ErrorKind::UnknownArgument)
        );
    }

    #[test]
    fn bench_options() {
        let c = parse(&[
            "bench",
            "R:",
            "--destructive",
            "--threads",
            "8",
            "--scratch",
            "4M",
        ])
        .unwrap();
        let Command::Bench(b) = c.command else {
            panic!()
        };
        assert!(b.destructive);
        assert_eq!(b.threads, 8);
        assert_eq!(b.scratch, 4 << 20);
        assert!(!b.whole_disk);
        assert!(
            parse(&["bench", "--whole-disk"]).is_err(),
            "--whole-disk needs --destructive"
        );
        assert!(parse(&["bench", "--threads", "0"]).is_err());
    }

    #[test]
    fn dump_load() {
        let c = parse(&["dump", "img.bin", "R:", "--length", "2M"]).unwrap();
        assert!(
            matches!(c.command, Command::Dump { ref file, device: Some(_), range: RangeArgs { offset: 0, length: Some(l) } } if file.to_str() == Some("img.bin") && l == 2 << 20)
        );
        assert!(parse(&["load"]).is_err());
        let c = parse(&["load", "img.bin"]).unwrap();
        assert!(matches!(
            c.command,
            Command::Load {
                device: None,
                range: RangeArgs {
                    offset: 0,
                    length: None
                },
                ..
            }
        ));
        let c = parse(&["load", "img.bin", "--offset", "1M", "--length", "4K"]).unwrap();
        assert!(matches!(
            c.command,
            Command::Load {
                range: RangeArgs {
                    offset: 0x10_0000,
                    length: Some(4096)
                },
                ..
            }
        ));
        assert!(parse(&["dump", "x", "--offset", "1Q"]).is_err());
    }

    #[test]
    fn install_parameters() {
        let c = parse(&[
            "install",
            "--sys",
            r"C:\d\rustramdisk.sys",
            "--size",
            "64M",
            "--letter",
            "r:",
            "--fs",
            "fat32",
            "--sectors-per-cluster",
            "8",
            "--root-entries",
            "512",
            "--label",
            "Scratch",
            "--start",
            "auto",
        ])
        .unwrap();
        let Command::Install(i) = c.command else {
            panic!()
        };
        assert_eq!(i.start.code(), 2);
        assert_eq!(
            i.parameters(),
            vec![
                ("DiskSize", ParamValue::Dword(64 << 20)),
                ("DriveLetter", ParamValue::Sz("R".into())),
                ("FileSystem", ParamValue::Sz("FAT32".into())),
                ("SectorsPerCluster", ParamValue::Dword(8)),
                ("RootDirEntries", ParamValue::Dword(512)),
                ("VolumeLabel", ParamValue::Sz("Scratch".into())),
            ]
        );
        let c = parse(&[
            "install",
            "--sys",
            "x.sys",
            "--allocation",
            "Dynamic",
            "--memory-limit",
            "6G",
        ])
        .unwrap();
        let Command::Install(i) = c.command else {
            panic!()
        };
        assert_eq!(
            i.parameters(),
            vec![
                ("Allocation", ParamValue::Sz("dynamic".into())),
                ("MemoryLimit", ParamValue::Qword(6 << 30)),
            ]
        );
        let c = parse(&["install", "--sys", "x.sys", "--size", "8G"]).unwrap();
        let Command::Install(i) = c.command else {
            panic!()
        };
        assert_eq!(i.start, StartType::Demand);
        assert_eq!(
            i.parameters(),
            vec![("DiskSize", ParamValue::Qword(8 << 30))]
        );
        assert!(parse(&["install"]).is_err(), "--sys is required");
    }

    #[test]
    fn create_remove_list() {
        let c = parse(&["create", "--size", "1G"]).unwrap();
        let Command::Create(a) = c.command else {
            panic!()
        };
        assert_eq!(a.size, 1 << 30);
        assert_eq!(a.letter(), Ok(None));
        let s = a.settings(None);
        assert_eq!(s.disk_size, 1 << 30);
        assert_eq!(s.file_system, None);
        let c = parse(&[
            "--json",
            "create",
            "--size",
            "64M",
            "--letter",
            "r:",
            "--fs",
            "FAT32",
            "--label",
            "S",
            "--sectors-per-cluster",
            "8",
            "--root-entries",
            "256",
            "--allocation",
            "fixed",
            "--persist",
            "build",
        ])
        .unwrap();
        let Command::Create(a) = c.command else {
            panic!()
        };
        assert_eq!(a.letter(), Ok(Some('R')));
        assert_eq!(
            a.persisted_values('R'),
            vec![
                ("DiskSize", ParamValue::Dword(64 << 20)),
                ("DriveLetter", ParamValue::Sz("R".into())),
                ("FileSystem", ParamValue::Sz("FAT32".into())),
                ("SectorsPerCluster", ParamValue::Dword(8)),
                ("RootDirEntries", ParamValue::Dword(256)),
                ("VolumeLabel", ParamValue::Sz("S".into())),
                ("Allocation", ParamValue::Sz("fixed".into())),
            ]
        );
        for bad in ["RR", "1", "", ":"] {
            let c = parse(&["create", "--size", "1M", "--letter", bad]).unwrap();
            let Command::Create(a) = c.command else {
                panic!()
            };
            assert!(a.letter().is_err(), "{bad}");
        }
        assert!(parse(&["create"]).is_err(), "--size is required");
        assert!(parse(&["create", "--size", "1Q"]).is_err());
        let c = parse(&["remove", "R:", "--force", "--keep-persisted"]).unwrap();
        let Command::Remove(r) = c.command else {
            panic!()
        };
        assert!(r.force && r.keep_persisted && !r.no_broadcast);
        assert_eq!(r.device, "R:");
        assert!(parse(&["remove"]).is_err(), "the disk is required");
        assert!(matches!(
            parse(&["list", "--json"]).unwrap().command,
            Command::List
        ));
    }

    #[test]
    fn create_and_install_persistence_options() {
        use ramdisk_core::config::SaveOn;
        use ramdisk_core::control::{CreateInput, encode_create, parse_create};
        let c = parse(&[
            "create",
            "--size",
            "8M",
            "--letter",
            "R",
            "--image",
            r"D:\images\r.img",
            "--fs",
            "keep",
            "--save-on",
            "stop",
            "--persist",
            "img",
        ])
        .unwrap();
        let Command::Create(a) = c.command else {
            panic!()
        };
        let settings = a.settings(Some('R'));
        assert_eq!(settings.image_file, Some(r"D:\images\r.img"));
        assert_eq!((settings.save_on, settings.read_only), (Some("stop"), None));
        // Encoded into a version-2 input the driver's parser takes.
        let input = encode_create(&settings).unwrap();
        assert!(matches!(input, CreateInput::V2(_)));
        let req = parse_create(input.as_bytes(), 0).unwrap();
        assert!(req.config.persist.image);
        assert_eq!(req.config.persist.save_on, SaveOn::Stop);
        assert_eq!(
            a.persisted_values('R'),
            vec![
                ("DiskSize", ParamValue::Dword(8 << 20)),
                ("DriveLetter", ParamValue::Sz("R".into())),
                ("FileSystem", ParamValue::Sz("KEEP".into())),
                ("ImageFile", ParamValue::Sz(r"D:\images\r.img".into())),
                ("SaveOn", ParamValue::Sz("stop".into())),
            ]
        );
        // --read-only: ReadOnly=1, encoded and persisted.
        let c = parse(&[
            "create",
            "--size",
            "1M",
            "--image",
            r"\??\D:\r.img",
            "--read-only",
        ])
        .unwrap();
        let Command::Create(a) = c.command else {
            panic!()
        };
        let settings = a.settings(None);
        assert_eq!(settings.read_only, Some(1));
        let req = parse_create(encode_create(&settings).unwrap().as_bytes(), 0).unwrap();
        assert!(req.config.persist.read_only);
        assert!(
            a.persisted_values('Q')
                .contains(&("ReadOnly", ParamValue::Dword(1)))
        );
        // Without persistence options: version 1, and no persistence values.
        let c = parse(&["create", "--size", "1M"]).unwrap();
        let Command::Create(a) = c.command else {
            panic!()
        };
        assert!(matches!(
            encode_create(&a.settings(None)).unwrap(),
            CreateInput::V1(_)
        ));
        assert!(
            a.persisted_values('Q')
                .iter()
                .all(|(n, _)| !["ImageFile", "SaveOn", "ReadOnly"].contains(n))
        );
    }

    #[test]
    fn persistence_options_bad_values_and_install() {
        use ramdisk_core::control::{encode_create, parse_create};
        // Bad combinations: clap takes them, the shared parser refuses them.
        for args in [
            &["--read-only"][..],
            &["--save-on", "shutdown"],
            &["--fs", "keep"],
            &["--image", r"D:\r.img", "--read-only", "--save-on", "stop"],
            &["--image", r"rel\r.img"],
        ] {
            let mut all = vec!["create", "--size", "1M"];
            all.extend_from_slice(args);
            let Command::Create(a) = parse(&all).unwrap().command else {
                panic!()
            };
            let input = encode_create(&a.settings(None)).unwrap();
            assert!(parse_create(input.as_bytes(), 0).is_err(), "{args:?}");
        }
        assert!(parse(&["create", "--size", "1M", "--save-on", "sometimes"]).is_err());
        assert!(parse(&["create", "--size", "1M", "--image"]).is_err());
        // install shares the options.
        let Command::Install(i) = parse(&[
            "install",
            "--sys",
            "x.sys",
            "--image",
            r"D:\r.img",
            "--save-on",
            "shutdown",
        ])
        .unwrap()
        .command
        else {
            panic!()
        };
        assert_eq!(
            i.parameters(),
            vec![
                ("ImageFile", ParamValue::Sz(r"D:\r.img".into())),
                ("SaveOn", ParamValue::Sz("shutdown".into())),
            ]
        );
    }

    #[test]
    fn trim_range_or_free_clusters() {
        let Command::Trim(t) = parse(&["trim"]).unwrap().command else {
            panic!()
        };
        assert_eq!((t.device, t.offset, t.length), (None, None, None));
        let Command::Trim(t) = parse(&["trim", "R:", "--offset", "1M", "--length", "64K"])
            .unwrap()
            .command
        else {
            panic!()
        };
        assert_eq!(t.device.as_deref(), Some("R:"));
        assert_eq!((t.offset, t.length), (Some(1 << 20), Some(64 << 10)));
        assert!(
            parse(&["trim", "--offset", "0"]).is_err(),
            "--offset needs --length"
        );
        assert!(
            parse(&["trim", "--length", "512"]).is_err(),
            "--length needs --offset"
        );
    }

    #[test]
    fn stop_start() {
        assert!(matches!(
            parse(&["start"]).unwrap().command,
            Command::Start {
                no_broadcast: false
            }
        ));
        assert!(matches!(
            parse(&["stop", "R", "--no-broadcast"]).unwrap().command,
            Command::Stop {
                device: Some(_),
                force: false,
                no_broadcast: true
            }
        ));
        assert!(matches!(
            parse(&["stop", "--force"]).unwrap().command,
            Command::Stop {
                device: None,
                force: true,
                no_broadcast: false
            }
        ));
        assert!(matches!(
            parse(&["uninstall", "--force"]).unwrap().command,
            Command::Uninstall { force: true }
        ));
        assert!(parse(&["frobnicate"]).is_err());
    }

    #[test]
    fn selftest_options() {
        assert!(matches!(
            parse(&["selftest"]).unwrap().command,
            Command::Selftest {
                device: None,
                format: false
            }
        ));
        let c = parse(&["selftest", "R:", "--format", "--json"]).unwrap();
        assert!(c.json);
        assert!(matches!(
            c.command,
            Command::Selftest { device: Some(d), format: true } if d == "R:"
        ));
    }
}
