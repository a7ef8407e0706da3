//! ramdiskctl for Wine, and the Wine end-to-end suite of `cargo xtask test`.
//!
//! The suite runs the real driver (`rustramdisk.sys`) inside Wine's winedevice.exe and talks to it
//! with `ramdiskctl.exe` and the contract client `ramdisk-e2e.exe`. One file per
//! scenario:
//!
//! - `lifecycle.rs`: install, start, I/O contract, concurrency, verify, bench, stop
//!   (the link is gone, the pool balanced), uninstall; 20 start/stop cycles;
//! - `matrix.rs`: a parameter matrix (sizes 1 MiB .. 768 MiB, FAT12/16/32/auto,
//!   cluster sizes, labels, letters R and Q): the image dumped through the driver
//!   passes `fsck.fat -n`, `mdir` and the `fatfs` crate; a random file written with
//!   mtools and loaded back through the driver reads back byte-identical;
//! - `bad_values.rs`: bad registry values: the start fails without a crash, names the
//!   value in the log, leaves nothing behind, and a following valid start works;
//! - `faults.rs`: fault injection into each failure path of `DriverEntry`;
//! - `volume.rs`: the volume contract: mount-manager registration (Wine's refusal and
//!   the driver's fallback link), the device DACL read back, the mount manager's
//!   queries answered without a file object;
//! - `many.rs`: many disks: `ramdiskctl create/remove/list`, removal under a stress
//!   client, the control device's refusals, boot-time `Parameters\Disks` disks,
//!   persisted disks, stop/start cycles with I/O running;
//! - `selftest.rs`: `ramdiskctl selftest`'s exact table under Wine (identity not
//!   available, nothing on the disk touched);
//! - `dynamic.rs`: dynamic disks (a 64 GiB FAT32 one on this machine, TRIM, the
//!   memory limit, `ramdiskctl trim`, the low-pool condition);
//! - `exfat.rs`: exFAT disks through the driver, judged by the exFAT judges, and the
//!   registry values whose range depends on `FileSystem`.
//! - `persist.rs`: image files (loading, saving, `SaveOn=stop`, bad images);
//! - `persist_faults.rs`: image files when things go wrong (winedevice.exe killed
//!   mid-save, an image shrinking while it loads, odd paths and boot sectors) and the
//!   load and save throughput.
//!
//! `runner.rs` holds the cases, the `--case` filter and the tally. Every run keeps its
//! logs in `target/wine/logs/<timestamp>-test/`.

mod bad_values;
mod dynamic;
mod exfat;
mod faults;
mod lifecycle;
mod many;
mod matrix;
mod persist;
mod persist_faults;
mod runner;
mod selftest;
mod shutdown;
mod volume;

pub use runner::Filter;

use std::{
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use anyhow::{Context, Result, bail, ensure};

use self::runner::{Case, Scenario, Suite};
use crate::{
    util::{run, target_dir, workspace_root, write_if_changed},
    wine::{Out, SERVICE, Wine, win_path},
};

/// The driver's NT device name: `IOCTL_MOUNTDEV_QUERY_DEVICE_NAME` must return it, and
/// `\\.\GLOBALROOT` followed by it must open. The one place the suite (and, through
/// its arguments, `ramdisk-e2e`) names the device.
pub const DEVICE_NAME: &str = r"\Device\Ramdisk0";

/// The bytes `IOCTL_MOUNTDEV_QUERY_UNIQUE_ID` must return: the `Parameters` disk's
/// identity (README, *Disk identity*). The one place the suite spells them;
/// `ramdisk-e2e contract` gets them as hex.
pub const UNIQUE_ID: &[u8] = b"ramdisk:Parameters";

/// The Win32 path of the device by its NT name: `\\.\GLOBALROOT\Device\...`.
fn globalroot() -> String {
    format!(r"\\.\GLOBALROOT{DEVICE_NAME}")
}

/// Lower-case hex of `bytes` (how `ramdisk-e2e contract --unique-id` takes them).
fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Runs the contract client (`ramdisk-e2e contract`: reads and writes, every IOCTL, the
/// mount-manager queries, the volume contract) on `dev`, the disk on drive `letter`,
/// with `extra` arguments; each of its lines counts as a check under `prefix`.
fn contract(s: &mut Suite<'_>, prefix: &str, dev: &str, letter: char, extra: &[&str]) {
    let mark = s.wine.log_mark();
    let unique_id = hex(UNIQUE_ID);
    let link = format!(r"\DosDevices\{letter}:");
    let mut args = vec![
        "contract",
        dev,
        "--device-name",
        DEVICE_NAME,
        "--unique-id",
        &unique_id,
        "--link",
        &link,
    ];
    args.extend_from_slice(extra);
    let out = s.wine.e2e(&args);
    s.absorb(prefix, &out, mark);
}

/// The Rust target ramdiskctl is cross-built for (MinGW linker, no MSVC needed).
pub const CTL_TARGET: &str = "x86_64-pc-windows-gnu";
const SHIM_SOURCE: &str = include_str!("../hostshim/bcryptprimitives.c");

/// Where [`build_ctl`] puts `ramdiskctl.exe`.
pub fn ctl_exe() -> PathBuf {
    target_dir()
        .join(CTL_TARGET)
        .join("release")
        .join("ramdiskctl.exe")
}

/// Cross-builds `ramdiskctl.exe` and `ramdisk-e2e.exe` (release) and returns the path
/// of `ramdiskctl.exe` (`target/x86_64-pc-windows-gnu/release/`).
pub fn build_ctl() -> Result<PathBuf> {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(workspace_root())
        .env_remove("CARGO_TARGET_DIR")
        .env(
            "CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER",
            "x86_64-w64-mingw32-gcc",
        )
        .args([
            "build",
            "--release",
            "-p",
            "ramdiskctl",
            "--bins",
            "--target",
            CTL_TARGET,
        ]);
    run(&mut c)?;
    let exe = ctl_exe();
    ensure!(exe.exists(), "the build did not produce {}", exe.display());
    println!("built {}", exe.display());
    Ok(exe)
}

/// Puts `ramdiskctl.exe`, `ramdisk-e2e.exe` and the test-bed-only
/// `bcryptprimitives.dll` shim into `target/wine/bin` and returns that directory.
pub fn stage_for_wine(ctl_exe: &Path) -> Result<PathBuf> {
    let bin = target_dir().join("wine").join("bin");
    fs::create_dir_all(&bin)?;
    let src = target_dir()
        .join("wine")
        .join("shim")
        .join("bcryptprimitives.c");
    let changed = write_if_changed(&src, SHIM_SOURCE.as_bytes())?;
    let dll = bin.join("bcryptprimitives.dll");
    if changed || !dll.exists() {
        run(Command::new("x86_64-w64-mingw32-gcc")
            .args(["-shared", "-O2", "-s", "-o"])
            .arg(&dll)
            .arg(&src)
            .arg("-ladvapi32"))?;
    }
    let dir = ctl_exe
        .parent()
        .context("ramdiskctl.exe has no directory")?;
    for name in ["ramdiskctl.exe", "ramdisk-e2e.exe"] {
        write_if_changed(
            &bin.join(name),
            &fs::read(dir.join(name)).with_context(|| format!("read {name}"))?,
        )?;
    }
    Ok(bin)
}

/// One disk configuration of the parameter matrix.
#[derive(Clone, Debug)]
pub struct Config {
    /// `DiskSize`.
    pub size: u64,
    /// `DriveLetter`.
    pub letter: char,
    /// `FileSystem` (`None`: not set, automatic).
    pub fs: Option<&'static str>,
    /// `SectorsPerCluster`.
    pub spc: Option<u32>,
    /// `RootDirEntries`.
    pub root: Option<u32>,
    /// `VolumeLabel`.
    pub label: Option<&'static str>,
}

impl Config {
    /// A config with everything automatic.
    pub const fn new(size: u64, letter: char) -> Self {
        Self {
            size,
            letter,
            fs: None,
            spc: None,
            root: None,
            label: None,
        }
    }

    fn describe(&self) -> String {
        let mut s = format!("{} MiB {}", self.size >> 20, self.fs.unwrap_or("auto"));
        if let Some(spc) = self.spc {
            let _ = write!(s, " spc {spc}");
        }
        if let Some(r) = self.root {
            let _ = write!(s, " root {r}");
        }
        if let Some(l) = self.label {
            let _ = write!(s, " label {l:?}");
        }
        let _ = write!(s, " on {}:", self.letter);
        s
    }

    /// `ramdiskctl install` arguments.
    pub fn install_args(&self, sys: &Path) -> Vec<String> {
        let mut a = vec![
            "install".to_string(),
            "--sys".into(),
            win_path(sys),
            "--size".into(),
            self.size.to_string(),
            "--letter".into(),
            self.letter.to_string(),
        ];
        if let Some(fs) = self.fs {
            a.extend(["--fs".into(), fs.into()]);
        }
        if let Some(spc) = self.spc {
            a.extend(["--sectors-per-cluster".into(), spc.to_string()]);
        }
        if let Some(r) = self.root {
            a.extend(["--root-entries".into(), r.to_string()]);
        }
        if let Some(l) = self.label {
            a.extend(["--label".into(), l.into()]);
        }
        a
    }
}

pub fn json(out: &Out) -> Result<serde_json::Value> {
    serde_json::from_str(out.stdout.trim())
        .with_context(|| format!("`{}` printed no JSON: {}", out.shown, out.text()))
}

fn ctl_ok(w: &Wine, args: &[&str]) -> Result<Out> {
    w.ctl(args)?.check()
}

fn install(w: &Wine, sys: &Path, cfg: &Config) -> Result<()> {
    let args = cfg.install_args(sys);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ctl_ok(w, &refs)?;
    Ok(())
}

fn device(letter: char) -> String {
    format!(r"\\.\{letter}:")
}

/// `ramdisk-e2e probe`: true when the device opens and sector 0 reads.
fn present(w: &Wine, dev: &str) -> Result<bool> {
    Ok(w.e2e(&["probe", dev])?.ok())
}

/// Stops and deletes the service, ignoring "not running" / "does not exist".
fn cleanup(w: &Wine) {
    let _ = w.wine(&["sc", "stop", SERVICE]);
    let _ = w.wine(&["sc", "delete", SERVICE]);
}

fn no_crash(w: &Wine, mark: u64) -> Result<()> {
    let crashes = w.crash_lines(mark);
    ensure!(
        crashes.is_empty(),
        "crash in the session log:\n{}",
        crashes.join("\n")
    );
    Ok(())
}

/// `ramdiskctl stop` and `uninstall`: the stop succeeds, the driver logs
/// `pool balance 0`, nothing crashed since `mark`, and `dev` no longer opens.
fn stop_clean(w: &Wine, dev: &str, mark: u64) -> Result<String> {
    let m = w.log_mark();
    let out = w.ctl(&["stop", dev, "--no-broadcast"]);
    let _ = w.ctl(&["uninstall"]);
    out?.check()?;
    no_crash(w, mark)?;
    ensure!(
        w.driver_lines(m)
            .iter()
            .any(|l| l.contains("pool balance 0")),
        "no \"pool balance 0\" line"
    );
    ensure!(!present(w, dev)?, "{dev} still opens");
    Ok(String::new())
}

/// What the cases need: the drivers to load.
pub struct Env {
    /// The release driver.
    pub sys: PathBuf,
    /// The test-only `fault-injection` driver (built only when a fault case runs).
    pub fault_sys: Option<PathBuf>,
}

/// Every case, in the order the suite runs them.
fn all_cases(env: &Env) -> Vec<Case<'_>> {
    let mut cases = lifecycle::cases(env);
    cases.extend(matrix::cases(env));
    cases.extend(bad_values::cases(env));
    cases.extend(faults::cases(env));
    cases.extend(dynamic::fault_cases(env));
    cases.extend(exfat::cases(env));
    cases.extend(volume::cases(env));
    cases.extend(many::cases(env));
    cases.extend(selftest::cases(env));
    cases.extend(dynamic::cases(env));
    cases.extend(persist::cases(env));
    cases.extend(persist_faults::cases(env));
    cases.extend(shutdown::cases(env));
    cases
}

/// Prints the id of every case `filter` selects (`cargo xtask e2e --list`).
pub fn list(filter: &Filter) -> Result<()> {
    let env = Env {
        sys: PathBuf::new(),
        fault_sys: None,
    };
    for c in filter.select(all_cases(&env))? {
        println!("{}", c.id);
    }
    Ok(())
}

/// Runs the cases `filter` selects; fails when any check failed.
pub fn run_suite(sys: &Path, filter: &Filter) -> Result<()> {
    let probe = Env {
        sys: sys.to_path_buf(),
        fault_sys: None,
    };
    let wants_faults = filter.select(all_cases(&probe))?.iter().any(|c| {
        matches!(
            c.scenario,
            Scenario::Faults | Scenario::Volume | Scenario::Shutdown
        )
    });
    // The test-only driver with `FaultInject` support, in its own directory.
    let fault_sys = if wants_faults {
        Some(crate::cross::build_driver(
            &crate::cross::DriverBuild::fault_injection(),
        )?)
    } else {
        None
    };
    let env = Env {
        sys: sys.to_path_buf(),
        fault_sys,
    };
    let cases = filter.select(all_cases(&env))?;
    if cases
        .iter()
        .any(|c| matches!(c.scenario, Scenario::Matrix | Scenario::Exfat))
    {
        // The matrix keeps fresh dumps for the kernel judge; none from an older run may
        // be judged in their place.
        crate::kernel_judge::forget_wine_images()?;
    }
    let ctl = build_ctl()?;
    let bin = stage_for_wine(&ctl)?;
    let wine = Wine::start("test", &bin)?;
    println!("Wine session logs: {}", wine.log_dir.display());
    let mut suite = Suite::new(&wine);
    let mut times: Vec<(Scenario, f64)> = Vec::new();
    for case in &cases {
        if times.last().is_none_or(|(s, _)| *s != case.scenario) {
            println!("\n-- {}", heading(case.scenario, &env));
            times.push((case.scenario, 0.0));
        }
        let t = Instant::now();
        let r = (case.body)(&mut suite);
        if let Some(last) = times.last_mut() {
            last.1 += t.elapsed().as_secs_f64();
        }
        r.with_context(|| format!("case {}", case.id))?;
    }
    cleanup(&wine);
    let shown: Vec<String> = times
        .iter()
        .map(|(s, secs)| format!("{} {secs:.0} s", s.name()))
        .collect();
    println!(
        "\ntimes: {}; logs: {}",
        shown.join(", "),
        wine.log_dir.display()
    );
    if !suite.failures().is_empty() {
        println!("failed cases:");
        for f in suite.failures() {
            println!("  {f}");
        }
    }
    println!("{} passed, {} failed", suite.passed(), suite.failed());
    if suite.failed() > 0 {
        bail!("{} Wine end-to-end case(s) failed", suite.failed());
    }
    Ok(())
}

/// The line printed before a scenario's first case.
fn heading(s: Scenario, env: &Env) -> String {
    match s {
        Scenario::Lifecycle => format!("lifecycle ({})", win_path(&env.sys)),
        Scenario::Matrix => "parameter matrix".into(),
        Scenario::BadValues => {
            "bad registry values (sc create + reg add, like an administrator would)".into()
        }
        Scenario::Faults => format!(
            "fault injection ({})",
            env.fault_sys.as_deref().map_or_else(String::new, win_path)
        ),
        Scenario::Exfat => "exFAT (FileSystem exFAT through ramdiskctl install)".into(),
        Scenario::Volume => {
            "volume contract (the release driver, and the fault-injection build's test hooks)"
                .into()
        }
        Scenario::Many => "many disks (the control device, ramdiskctl create/remove/list)".into(),
        Scenario::Selftest => "ramdiskctl selftest under Wine".into(),
        Scenario::Dynamic => "dynamic disks (Allocation=dynamic)".into(),
        Scenario::Persist => "image files (ImageFile, ReadOnly; loading)".into(),
        Scenario::PersistFaults => {
            "image files when things go wrong (a killed save, odd images), throughput".into()
        }
        Scenario::Shutdown => format!(
            "SaveOn=shutdown through the shutdown double ({})",
            env.fault_sys.as_deref().map_or_else(String::new, win_path)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_of_bytes() {
        assert_eq!(hex(&[0x5c, 0x00, 0xab]), "5c00ab");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn case_ids_are_unique_and_scenario_prefixed() {
        let env = Env {
            sys: PathBuf::from("/x/rustramdisk.sys"),
            fault_sys: None,
        };
        let cases = all_cases(&env);
        let mut ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        for c in &cases {
            let prefix = match c.scenario {
                Scenario::Lifecycle => "lifecycle/",
                Scenario::Matrix => "matrix/",
                Scenario::BadValues => "bad-values/",
                Scenario::Faults => "faults/",
                Scenario::Exfat => "exfat/",
                Scenario::Volume => "volume/",
                Scenario::Many => "many/",
                Scenario::Selftest => "selftest/",
                Scenario::Dynamic => "dynamic/",
                Scenario::Persist => "persist/",
                Scenario::PersistFaults => "persist-faults/",
                Scenario::Shutdown => "shutdown/",
            };
            assert!(c.id.starts_with(prefix), "{}", c.id);
            assert!(
                c.id.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "-/".contains(ch)),
                "{}",
                c.id
            );
        }
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate case ids");
        assert_eq!(
            cases
                .iter()
                .filter(|c| c.scenario == Scenario::Matrix)
                .count(),
            matrix::matrix_configs().len()
        );
    }
}
