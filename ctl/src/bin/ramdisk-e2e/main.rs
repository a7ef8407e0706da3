//! `ramdisk-e2e`: the end-to-end contract client that `cargo xtask test` runs under
//! Wine against the real driver. Not shipped to users.
//!
//! Every check prints one line, `PASS <case>` or `FAIL <case>: <why>`; the exit code
//! is 1 when any case failed. Replies are decoded with the windows-sys struct
//! definitions, an independent check of `ramdisk-core`'s byte layouts. One file per
//! group of checks:
//!
//! - `contract DEVICE --device-name NAME --unique-id HEX [--thin]`: the read/write contract
//!   (`rw.rs`), every IOCTL (`ioctl.rs`, `property.rs`), and the mount-manager
//!   queries (`mountdev.rs`), whose replies must be exactly the given device name and
//!   unique-ID bytes (the suite passes its one definition of each), and the volume
//!   contract's IOCTLs (`volume.rs`: suggested link name `--link`, link notifications,
//!   volume online/offline, the deliberate refusals, partition type set and read back
//!   (`--partition-type`: the type both GETs must report first),
//!   media removal, cache information, alignment/seek-penalty/TRIM properties);
//! - `concurrency DEVICE [--threads N] [--ops N]` (`concurrency.rs`): random
//!   overlapped I/O from N threads, each in its own region, checked against shadow
//!   copies;
//! - `probe DEVICE` (`service.rs`): exit 0 when the device opens and sector 0 reads,
//!   else 1;
//! - `cycles N DEVICE` (`service.rs`): N start/stop cycles through the service
//!   control manager, the device present after each start and gone after each stop;
//! - `ioctl DEVICE CODE [--out N]`: one `DeviceIoControl`, printing
//!   `error=<Win32 error> bytes=<n> out=<the reply's bytes in hex>` (for the
//!   fault-injection build's test IOCTLs);
//! - `thin DEVICE [--granularity N]` (`thin.rs`): the TRIM and thin-provisioning
//!   properties of a dynamic disk (with its chunk size) or a fixed one (without);
//! - `pattern DEVICE write|check OFFSET LEN SEED` (`thin.rs`): one write of a
//!   pattern, or a read compared with it (seed 0: zeros), printing
//!   `error=<Win32 error> bytes=<n> [match=<bool>]` for the suite to judge.
//! - `mm-points NAME`, `mm-dos-path NAME`, `mm-transcript` (`mountmgr.rs`): a mount
//!   manager's points and DOS path for an NT device name, and the tests' double's
//!   transcript (`--manager` names the mount manager; the double by default).
//! - `control-bad TAKEN`, `fill LIMIT`, `stress --survivor D --doomed D --until FILE`,
//!   `hold DEVICE --until FILE` (`many.rs`): the control device's refusals, its disk
//!   limit, I/O on several disks while some are removed, a handle held across a
//!   removal; `cycles N DEVICE --io D`: start/stop cycles with I/O running;
//! - `messages SYS` (`messages.rs`): the driver file's message table through
//!   `FormatMessageW`, as Event Viewer formats the driver's System-log entries.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[cfg(windows)]
mod concurrency;
#[cfg(windows)]
mod ioctl;
#[cfg(windows)]
mod many;
#[cfg(windows)]
mod messages;
#[cfg(windows)]
mod mountdev;
#[cfg(windows)]
mod mountmgr;
#[cfg(windows)]
mod persist;
#[cfg(windows)]
mod property;
#[cfg(windows)]
mod rw;
#[cfg(windows)]
mod service;
#[cfg(windows)]
mod tally;
#[cfg(windows)]
mod thin;
#[cfg(windows)]
mod volume;

#[derive(Parser)]
#[command(
    name = "ramdisk-e2e",
    about = "ramdisk end-to-end contract client (test bed only)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The read/write, IOCTL and mount-manager contract.
    Contract {
        device: String,
        /// The NT device name `IOCTL_MOUNTDEV_QUERY_DEVICE_NAME` must return.
        #[arg(long)]
        device_name: String,
        /// The bytes `IOCTL_MOUNTDEV_QUERY_UNIQUE_ID` must return, in hex.
        #[arg(long, value_parser = parse_hex)]
        unique_id: Bytes,
        /// The link `IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME` must return
        /// (`\DosDevices\X:`).
        #[arg(long)]
        link: String,
        /// The partition type both `GET_PARTITION_INFO` codes must report before any
        /// set (decimal or 0x-hex; unchecked when absent).
        #[arg(long, value_parser = parse_code)]
        partition_type: Option<u32>,
        /// A dynamic disk: the TRIM property says `TrimEnabled` TRUE.
        #[arg(long)]
        thin: bool,
    },
    /// Concurrent random I/O checked against shadow copies.
    Concurrency {
        device: String,
        #[arg(long, default_value_t = 8)]
        threads: u32,
        #[arg(long, default_value_t = 400)]
        ops: u32,
    },
    /// Does the device open (and sector 0 read)?
    Probe { device: String },
    /// Start/stop cycles.
    Cycles {
        n: u32,
        device: String,
        /// Disks kept busy with I/O while each stop runs.
        #[arg(long)]
        io: Vec<String>,
    },
    /// The control device's refusals; `taken` is a drive letter another disk has.
    ControlBad { taken: char },
    /// Creates 1 MiB disks until the driver refuses at `limit` disks in all.
    Fill { limit: u32 },
    /// Random I/O on several disks while some are removed, until `--until` exists.
    Stress {
        /// A disk that stays.
        #[arg(long)]
        survivor: Vec<String>,
        /// A disk removed while the client runs.
        #[arg(long)]
        doomed: Vec<String>,
        /// The file whose existence ends the run.
        #[arg(long)]
        until: String,
    },
    /// Renames `src` over `dst` with `FileRenameInformationEx`
    /// (`REPLACE_IF_EXISTS | POSIX_SEMANTICS`) while `dst` is held open as a disk holds
    /// its image; prints `status=0x…` (what Wine does with the class).
    RenameEx { src: String, dst: String },
    /// Holds a host file open without sharing until `--until` exists.
    HoldFile {
        path: String,
        #[arg(long)]
        until: String,
    },
    /// Holds a disk open until `--until` exists, then reads once.
    Hold {
        device: String,
        #[arg(long)]
        until: String,
    },
    /// The mount points a mount manager lists for an NT device name.
    MmPoints {
        /// The NT device name (`\Device\Ramdisk0`).
        device_name: String,
        /// The mount manager's Win32 path.
        #[arg(long, default_value = r"\\.\GLOBALROOT\Device\RamdiskTestMountManager")]
        manager: String,
    },
    /// The DOS path a mount manager gives an NT device name (`QUERY_DOS_VOLUME_PATH`).
    MmDosPath {
        /// The NT device name.
        device_name: String,
        /// The mount manager's Win32 path.
        #[arg(long, default_value = r"\\.\GLOBALROOT\Device\RamdiskTestMountManager")]
        manager: String,
    },
    /// The mount-manager double's transcript.
    MmTranscript {
        /// The double's Win32 path.
        #[arg(long, default_value = r"\\.\GLOBALROOT\Device\RamdiskTestMountManager")]
        manager: String,
    },
    /// One `DeviceIoControl` with no input; prints `error=<Win32 error or 0> bytes=<n>`.
    Ioctl {
        device: String,
        /// The code, decimal or 0x-hex.
        #[arg(value_parser = parse_code)]
        code: u32,
        /// Output buffer size.
        #[arg(long, default_value_t = 0)]
        out: usize,
    },
    /// The TRIM and thin-provisioning properties.
    Thin {
        device: String,
        /// The unmap granularity a dynamic disk must report; none: a fixed disk.
        #[arg(long)]
        granularity: Option<u64>,
    },
    /// One pattern write or check.
    Pattern {
        device: String,
        /// `write` or `check`.
        #[arg(value_parser = ["write", "check"])]
        op: String,
        offset: u64,
        len: usize,
        /// The pattern's seed; 0 is zeros.
        seed: u64,
    },
    /// The driver file's message table, formatted by `FormatMessageW`.
    Messages { sys: String },
}

/// An IOCTL code in decimal or `0x` hex.
fn parse_code(s: &str) -> Result<u32, String> {
    s.strip_prefix("0x")
        .map_or_else(|| s.parse(), |hex| u32::from_str_radix(hex, 16))
        .map_err(|e| format!("{s:?}: {e}"))
}

/// Bytes given in hex on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Bytes(Vec<u8>);

/// `5c0044...` to bytes.
fn parse_hex(s: &str) -> Result<Bytes, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("{s:?}: an odd number of hex digits"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(|| format!("{s:?}: not hex at {i}"))
        })
        .collect::<Result<Vec<u8>, String>>()
        .map(Bytes)
}

#[cfg(not(windows))]
fn main() -> ExitCode {
    let _ = Cli::parse();
    eprintln!("ramdisk-e2e is a Windows test client; build it for a Windows target.");
    ExitCode::FAILURE
}

#[cfg(windows)]
fn main() -> ExitCode {
    use ramdiskctl::units::device_path;

    let cli = Cli::parse();
    let mut t = tally::Tally::default();
    match cli.cmd {
        Cmd::Contract {
            device,
            device_name,
            unique_id,
            link,
            partition_type,
            thin,
        } => contract(
            &mut t,
            &device_path(&device),
            &mountdev::Expect {
                device_name,
                unique_id: unique_id.0,
            },
            &link,
            partition_type,
            thin,
        ),
        Cmd::Concurrency {
            device,
            threads,
            ops,
        } => concurrency::run(&mut t, &device_path(&device), threads, ops),
        Cmd::Probe { device } => return service::probe(&device_path(&device)),
        Cmd::Cycles { n, device, io } => {
            let io: Vec<String> = io.iter().map(|d| device_path(d)).collect();
            service::cycles(&mut t, n, &device_path(&device), &io);
        }
        Cmd::ControlBad { taken } => many::control_bad(&mut t, taken),
        Cmd::Fill { limit } => many::fill(&mut t, limit),
        Cmd::Stress {
            survivor,
            doomed,
            until,
        } => {
            let paths = |v: &[String]| v.iter().map(|d| device_path(d)).collect::<Vec<_>>();
            many::stress(&mut t, &paths(&survivor), &paths(&doomed), &until);
        }
        Cmd::Hold { device, until } => return many::hold(&device_path(&device), &until),
        Cmd::HoldFile { path, until } => return persist::hold_file(&path, &until),
        Cmd::RenameEx { src, dst } => return persist::rename_ex(&src, &dst),
        Cmd::Ioctl { device, code, out } => return one_ioctl(&device_path(&device), code, out),
        Cmd::Thin {
            device,
            granularity,
        } => {
            if let Some((dev, _)) = tally::open(&mut t, &device_path(&device), 0) {
                thin::cases(&mut t, &dev, granularity);
            }
        }
        Cmd::Pattern {
            device,
            op,
            offset,
            len,
            seed,
        } => {
            let Ok(dev) = ramdiskctl::device::Device::open(&device_path(&device), true) else {
                println!("cannot open {device}");
                return ExitCode::FAILURE;
            };
            return if thin::pattern_io(&dev, op == "write", offset, len, seed) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
        Cmd::MmPoints {
            device_name,
            manager,
        } => return with_manager(&manager, |m| mountmgr::points(m, &device_name)),
        Cmd::MmDosPath {
            device_name,
            manager,
        } => return with_manager(&manager, |m| mountmgr::dos_path(m, &device_name)),
        Cmd::MmTranscript { manager } => return with_manager(&manager, mountmgr::transcript),
        Cmd::Messages { sys } => messages::run(&mut t, &sys),
    }
    println!("{} passed, {} failed", t.passed, t.failed);
    if t.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Opens the mount manager at `path` (read and write, as its requests need) and runs
/// `f`; the outcome is printed for the suite to judge.
#[cfg(windows)]
fn with_manager(path: &str, f: impl FnOnce(&ramdiskctl::device::Device)) -> ExitCode {
    match ramdiskctl::device::Device::open(path, true) {
        Ok(m) => {
            f(&m);
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `ioctl DEVICE CODE`: one request, its outcome printed for the suite to judge.
#[cfg(windows)]
fn one_ioctl(path: &str, code: u32, out: usize) -> ExitCode {
    let dev = match ramdiskctl::device::Device::open(path, true) {
        Ok(d) => d,
        Err(e) => {
            println!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let (r, reply) = tally::ioctl(&dev, code, &[], out);
    let hex: String = reply
        .iter()
        .take(r.bytes)
        .map(|b| format!("{b:02x}"))
        .collect();
    println!("error={} bytes={} out={hex}", r.error.unwrap_or(0), r.bytes);
    ExitCode::SUCCESS
}

/// The contract: reads and writes, then every IOCTL.
#[cfg(windows)]
fn contract(
    t: &mut tally::Tally,
    path: &str,
    expect: &mountdev::Expect,
    link: &str,
    partition_type: Option<u32>,
    thin: bool,
) {
    let Some((dev, len)) = tally::open(t, path, 2 * tally::SECTOR as u64) else {
        return;
    };
    rw::cases(t, &dev, len);
    ioctl::cases(t, &dev, len, expect);
    volume::cases(t, &dev, link, partition_type, thin);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_arguments() {
        assert_eq!(parse_hex("5c00ff"), Ok(Bytes(vec![0x5c, 0, 0xff])));
        assert_eq!(parse_hex(""), Ok(Bytes(vec![])));
        assert!(parse_hex("5c0").is_err());
        assert!(parse_hex("zz").is_err());
        assert_eq!(parse_code("0x72fc0"), Ok(0x0007_2FC0));
        assert_eq!(parse_code("42"), Ok(42));
        assert!(parse_code("0xzz").is_err());
        assert!(Cli::try_parse_from(["x", "contract", "R:", "--device-name", "n"]).is_err());
        assert!(
            Cli::try_parse_from([
                "x",
                "contract",
                "R:",
                "--device-name",
                r"\Device\Ramdisk0",
                "--unique-id",
                "5c00",
                "--link",
                r"\DosDevices\R:"
            ])
            .is_ok()
        );
    }
}
