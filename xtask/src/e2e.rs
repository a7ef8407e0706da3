//! ramdiskctl for Wine, and the Wine end-to-end suite of `cargo xtask test`.
//!
//! The suite runs the real `ramdisk.sys` inside Wine's winedevice.exe and talks to it
//! with `ramdiskctl.exe` and the contract client `ramdisk-e2e.exe`:
//!
//! - lifecycle: install, start, I/O contract, concurrency, verify, bench, stop (the
//!   link is gone, the pool balanced), uninstall; 20 start/stop cycles;
//! - a parameter matrix (sizes 1 MiB .. 512 MiB, FAT12/16/32/auto, cluster sizes,
//!   labels, letters R and Q): the image dumped through the driver passes
//!   `fsck.fat -n`, `mdir` and the `fatfs` crate; a random file written with mtools
//!   and loaded back through the driver reads back byte-identical; the fresh dump of
//!   the first wholly dumped entry of each FAT type is kept for the kernel judge;
//! - bad registry values: the start fails without a crash, names the value in the
//!   log, leaves nothing behind, and a following valid start works.
//!
//! Every run keeps its logs in `target/wine/logs/<timestamp>-test/`.

use std::{
    fmt::Write as _,
    fs,
    io::{Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, anyhow, bail, ensure};

use crate::{
    util::{run, target_dir, workspace_root, write_if_changed},
    wine::{Out, PARAMS, Wine, win_path},
};

/// The Rust target ramdiskctl is cross-built for (MinGW linker, no MSVC needed).
pub const CTL_TARGET: &str = "x86_64-pc-windows-gnu";
const SHIM_SOURCE: &str = include_str!("hostshim/bcryptprimitives.c");

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

/// The suite's bookkeeping.
struct Suite<'a> {
    wine: &'a Wine,
    passed: u32,
    failed: u32,
    failures: Vec<String>,
}

impl<'a> Suite<'a> {
    const fn new(wine: &'a Wine) -> Self {
        Self {
            wine,
            passed: 0,
            failed: 0,
            failures: Vec::new(),
        }
    }

    fn record(&mut self, name: &str, result: Result<String>, mark: u64) {
        match result {
            Ok(note) => {
                self.passed += 1;
                if note.is_empty() {
                    println!("PASS {name}");
                } else {
                    println!("PASS {name} ({note})");
                }
            }
            Err(e) => {
                self.failed += 1;
                self.failures.push(name.to_string());
                println!("FAIL {name}: {e:#}");
                let lines = self.wine.driver_lines(mark);
                if !lines.is_empty() {
                    println!("     driver log since the case started:");
                    for l in lines.iter().rev().take(30).rev() {
                        println!("       {l}");
                    }
                }
                for l in self.wine.crash_lines(mark).iter().take(10) {
                    println!("       {l}");
                }
            }
        }
    }

    /// Runs one case.
    fn case(&mut self, name: &str, f: impl FnOnce(&Wine) -> Result<String>) -> bool {
        let mark = self.wine.log_mark();
        let r = f(self.wine);
        let ok = r.is_ok();
        self.record(name, r, mark);
        ok
    }

    /// Counts the PASS/FAIL lines of a `ramdisk-e2e` run as cases of their own.
    fn absorb(&mut self, prefix: &str, out: &Result<Out>, mark: u64) {
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                self.record(prefix, Err(anyhow!("{e:#}")), mark);
                return;
            }
        };
        let mut seen = 0;
        for line in out.stdout.lines() {
            if let Some(rest) = line.strip_prefix("PASS ") {
                seen += 1;
                self.record(&format!("{prefix}: {rest}"), Ok(String::new()), mark);
            } else if let Some(rest) = line.strip_prefix("FAIL ") {
                seen += 1;
                let (name, why) = rest.split_once(": ").unwrap_or((rest, ""));
                self.record(&format!("{prefix}: {name}"), Err(anyhow!("{why}")), mark);
            }
        }
        if seen == 0 || (!out.ok() && !out.stdout.contains("FAIL ")) {
            self.record(
                prefix,
                Err(anyhow!(
                    "`{}` exited with {}:\n{}",
                    out.shown,
                    out.code,
                    out.text()
                )),
                mark,
            );
        }
    }
}

fn json(out: &Out) -> Result<serde_json::Value> {
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
    let _ = w.wine(&["sc", "stop", "ramdisk"]);
    let _ = w.wine(&["sc", "delete", "ramdisk"]);
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

/// Runs the suite; fails when any case failed.
pub fn run_suite(sys: &Path) -> Result<()> {
    // The test-only driver with `FaultInject` support, in its own directory.
    let fault_sys = crate::cross::build_driver(&crate::cross::DriverBuild::fault_injection())?;
    let ctl = build_ctl()?;
    let bin = stage_for_wine(&ctl)?;
    let wine = Wine::start("test", &bin)?;
    println!("Wine session logs: {}", wine.log_dir.display());
    let mut suite = Suite::new(&wine);
    let t = std::time::Instant::now();
    lifecycle(&mut suite, sys);
    let t1 = t.elapsed().as_secs_f64();
    matrix(&mut suite, sys)?;
    let t2 = t.elapsed().as_secs_f64();
    bad_values(&mut suite, sys);
    let t3 = t.elapsed().as_secs_f64();
    faults(&mut suite, &fault_sys);
    let t4 = t.elapsed().as_secs_f64();
    cleanup(&wine);
    println!(
        "\ntimes: lifecycle {t1:.0} s, matrix {:.0} s, bad values {:.0} s, fault injection {:.0} s; logs: {}",
        t2 - t1,
        t3 - t2,
        t4 - t3,
        wine.log_dir.display()
    );
    if !suite.failures.is_empty() {
        println!("failed cases:");
        for f in &suite.failures {
            println!("  {f}");
        }
    }
    println!("{} passed, {} failed", suite.passed, suite.failed);
    if suite.failed > 0 {
        bail!("{} Wine end-to-end case(s) failed", suite.failed);
    }
    Ok(())
}

#[allow(clippy::too_many_lines)] // a script: one case after the other
fn lifecycle(s: &mut Suite<'_>, sys: &Path) {
    println!("\n-- lifecycle ({})", win_path(sys));
    let cfg = Config::new(64 << 20, 'R');
    let dev = device('R');
    if !s.case(
        "install: ramdiskctl install creates the service and Parameters",
        |w| {
            install(w, sys, &cfg)?;
            let q = w
                .wine(&[
                    "reg",
                    "query",
                    r"HKLM\System\CurrentControlSet\Services\ramdisk\Parameters",
                ])?
                .check()?;
            ensure!(
                q.stdout.contains("DiskSize") && q.stdout.contains("DriveLetter"),
                "Parameters: {}",
                q.stdout
            );
            Ok(String::new())
        },
    ) {
        return;
    }
    let started = s.case(
        "start: ramdiskctl start loads the driver, DbgPrint reaches the log",
        |w| {
            let mark = w.log_mark();
            ctl_ok(w, &["start"])?;
            let lines = w.driver_lines(mark);
            no_crash(w, mark)?;
            ensure!(
                !lines.is_empty(),
                "no \"ramdisk:\" line in {}",
                w.session_log().display()
            );
            Ok(lines.join(" | "))
        },
    );
    if started {
        s.case(
            "info --json: 64 MiB, a FAT volume, geometry and partition",
            |w| {
                let j = json(&ctl_ok(w, &["--json", "info", &dev])?)?;
                ensure!(j["size"] == 64 << 20, "size {}", j["size"]);
                ensure!(
                    j["file_system"]["type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("FAT")),
                    "{j}"
                );
                ensure!(j["geometry"]["bytes_per_sector"] == 512, "{j}");
                ensure!(j["partition"]["length"] == 64 << 20, "{j}");
                Ok(format!(
                    "{} {} clusters of {}",
                    j["file_system"]["type"].as_str().unwrap_or("?"),
                    j["file_system"]["clusters"],
                    j["file_system"]["cluster_size"]
                ))
            },
        );
        s.case(r"\\.\GLOBALROOT\Device\Ramdisk opens too", |w| {
            ensure!(present(w, r"\\.\GLOBALROOT\Device\Ramdisk")?, "it does not");
            Ok(String::new())
        });
        let mark = s.wine.log_mark();
        let out = s.wine.e2e(&["contract", &dev]);
        s.absorb("contract", &out, mark);
        let mark = s.wine.log_mark();
        let out = s
            .wine
            .e2e(&["concurrency", &dev, "--threads", "8", "--ops", "500"]);
        s.absorb("concurrency", &out, mark);
        s.case("verify: every sector reads", |w| {
            let j = json(&ctl_ok(w, &["--json", "verify", &dev])?)?;
            ensure!(j["bad_sectors"] == 0 && j["bytes_ok"] == 64 << 20, "{j}");
            Ok(format!("{:.0} MB/s", j["mb_per_s"].as_f64().unwrap_or(0.0)))
        });
        s.case(
            "bench --destructive: runs and restores the scratch range",
            |w| {
                let dir = w.log_dir.join("bench");
                fs::create_dir_all(&dir)?;
                let (a, b) = (dir.join("before.img"), dir.join("after.img"));
                ctl_ok(w, &["dump", &a.display().to_string(), &dev])?;
                let j = json(&ctl_ok(
                    w,
                    &[
                        "--json",
                        "bench",
                        &dev,
                        "--destructive",
                        "--seconds",
                        "0.2",
                        "--scratch",
                        "8M",
                        "--seq-bytes",
                        "8M",
                    ],
                )?)?;
                ctl_ok(w, &["dump", &b.display().to_string(), &dev])?;
                ensure!(fs::read(&a)? == fs::read(&b)?, "the image changed");
                let rows = j["results"].as_array().map_or(0, Vec::len);
                ensure!(rows == 6, "{rows} results: {j}");
                fs::remove_file(a)?;
                fs::remove_file(b)?;
                Ok(format!("{rows} results"))
            },
        );
        s.case("load refuses an image of another size (exit 4)", |w| {
            let f = w.log_dir.join("short.img");
            fs::write(&f, vec![0u8; (64 << 20) - 512])?;
            let out = w.ctl(&["load", &f.display().to_string(), &dev])?;
            fs::remove_file(&f)?;
            ensure!(out.code == 4, "exit {}: {}", out.code, out.text());
            Ok(out.stderr.trim().to_string())
        });
        s.case(
            "stop: ramdiskctl stop unloads the driver, pool balance 0",
            |w| {
                let mark = w.log_mark();
                ctl_ok(w, &["stop", &dev])?;
                no_crash(w, mark)?;
                let lines = w.driver_lines(mark);
                ensure!(
                    lines.iter().any(|l| l.contains("pool balance 0")),
                    "no \"pool balance 0\" line: {lines:?}"
                );
                Ok(lines.join(" | "))
            },
        );
        s.case(r"after stop \\.\R: no longer opens", |w| {
            ensure!(!present(w, &dev)?, "it still opens");
            Ok(String::new())
        });
    }
    s.case("uninstall: the service is gone", |w| {
        ctl_ok(w, &["uninstall"])?;
        let q = w.wine(&["sc", "query", "ramdisk"])?;
        ensure!(!q.ok(), "sc query still finds it: {}", q.text());
        Ok(String::new())
    });
    s.case("20 start/stop cycles (Q:, 8 MiB), clean log", |w| {
        let mark = w.log_mark();
        install(w, sys, &Config::new(8 << 20, 'Q'))?;
        let out = w.e2e(&["cycles", "20", r"\\.\Q:"])?;
        let _ = w.ctl(&["uninstall"]);
        no_crash(w, mark)?;
        ensure!(out.ok(), "{}", out.text());
        let balanced = w
            .driver_lines(mark)
            .iter()
            .filter(|l| l.contains("pool balance 0"))
            .count();
        ensure!(
            balanced == 20,
            "{balanced} \"pool balance 0\" lines, want 20"
        );
        Ok(out
            .stdout
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("PASS ")
            .to_string())
    });
}

/// The matrix: every entry is started, checked and round-tripped.
pub fn matrix_configs() -> Vec<Config> {
    let c = Config::new;
    vec![
        c(1 << 20, 'R'),
        Config {
            fs: Some("FAT12"),
            spc: Some(1),
            label: Some("TINY"),
            ..c(1 << 20, 'Q')
        },
        Config {
            fs: Some("FAT12"),
            spc: Some(8),
            root: Some(64),
            ..c(8 << 20, 'R')
        },
        Config {
            fs: Some("FAT16"),
            spc: Some(4),
            root: Some(256),
            label: Some("Sixteen"),
            ..c(16 << 20, 'Q')
        },
        Config {
            fs: Some("FAT16"),
            spc: Some(8),
            ..c(40 << 20, 'R')
        },
        Config {
            fs: Some("FAT32"),
            spc: Some(1),
            label: Some("FAT32 VOL"),
            ..c(64 << 20, 'Q')
        },
        Config {
            label: Some("AUTO128"),
            ..c(128 << 20, 'R')
        },
        Config {
            fs: Some("FAT16"),
            ..c(256 << 20, 'Q')
        },
        Config {
            fs: Some("FAT32"),
            spc: Some(8),
            label: Some("BIG"),
            ..c(512 << 20, 'R')
        },
        c(768 << 20, 'Q'),
    ]
}

/// Images up to this size are dumped and loaded whole; bigger ones only their head.
const FULL_DUMP_MAX: u64 = 128 << 20;

struct Volume {
    fs_type: String,
    first_data_byte: u64,
    cluster_size: u64,
}

/// The matrix entries whose dumped image the kernel judge also mounts: the first
/// wholly dumped one of each FAT type.
fn kept_for_kernel_judge(configs: &[Config]) -> Vec<usize> {
    ["FAT12", "FAT16", "FAT32"]
        .iter()
        .filter_map(|t| {
            configs
                .iter()
                .position(|c| c.fs == Some(*t) && c.size <= FULL_DUMP_MAX)
        })
        .collect()
}

fn matrix(s: &mut Suite<'_>, sys: &Path) -> Result<()> {
    println!("\n-- parameter matrix");
    let dir = s.wine.log_dir.join("matrix");
    fs::create_dir_all(&dir)?;
    crate::kernel_judge::forget_wine_images()?;
    let keep = kept_for_kernel_judge(&matrix_configs());
    for (i, cfg) in matrix_configs().iter().enumerate() {
        let name = cfg.describe();
        let dev = device(cfg.letter);
        let mut vol: Option<Volume> = None;
        let mark = s.wine.log_mark();
        let started = s.case(
            &format!("[{name}] starts, info matches the Parameters"),
            |w| {
                cleanup(w);
                install(w, sys, cfg)?;
                ctl_ok(w, &["start", "--no-broadcast"])?;
                let j = json(&ctl_ok(w, &["--json", "info", &dev])?)?;
                let f = &j["file_system"];
                ensure!(j["size"] == cfg.size, "size {}", j["size"]);
                let t = f["type"].as_str().unwrap_or("").to_string();
                if let Some(want) = cfg.fs {
                    ensure!(t == want, "file system {t}, want {want}");
                }
                if let Some(spc) = cfg.spc {
                    ensure!(
                        f["sectors_per_cluster"] == spc,
                        "sectors per cluster {}",
                        f["sectors_per_cluster"]
                    );
                }
                if let (Some(r), false) = (cfg.root, t == "FAT32") {
                    ensure!(f["root_entries"] == r, "root entries {}", f["root_entries"]);
                }
                if let Some(l) = cfg.label {
                    ensure!(f["label"] == l.to_ascii_uppercase(), "label {}", f["label"]);
                }
                let cluster_size = f["cluster_size"].as_u64().unwrap_or(512);
                let total = f["total_sectors"].as_u64().unwrap_or(0);
                let clusters = f["clusters"].as_u64().unwrap_or(0);
                let spc = f["sectors_per_cluster"].as_u64().unwrap_or(1);
                vol = Some(Volume {
                    fs_type: t.clone(),
                    first_data_byte: (total - clusters * spc) * 512,
                    cluster_size,
                });
                Ok(format!("{t}, {clusters} clusters of {cluster_size} bytes"))
            },
        );
        if let (true, Some(v)) = (started, vol) {
            let img = dir.join(format!("{i:02}.img"));
            let head = if cfg.size <= FULL_DUMP_MAX {
                cfg.size
            } else {
                (v.first_data_byte + v.cluster_size + (2 << 20))
                    .next_multiple_of(1 << 20)
                    .min(cfg.size)
            };
            s.case(
                &format!("[{name}] image passes fsck.fat -n, mdir and fatfs"),
                |w| {
                    dump_sparse(w, &dev, &img, cfg.size, head)?;
                    let note = check_image(w, &img, cfg, &v.fs_type)?;
                    if keep.contains(&i) {
                        let kept = format!("wine-{}", v.fs_type.to_ascii_lowercase());
                        crate::kernel_judge::keep_wine_image(&img, &kept, &name)?;
                    }
                    Ok(note)
                },
            );
            s.case(
                &format!("[{name}] a file written with mtools, loaded through the driver, reads back identical"),
                |w| round_trip(w, &dev, &img, cfg, head, i),
            );
            let _ = fs::remove_file(&img);
        }
        s.case(
            &format!("[{name}] stops cleanly (pool balance 0, no crash)"),
            |w| {
                let m = w.log_mark();
                let out = w.ctl(&["stop", &dev, "--no-broadcast"]);
                let _ = w.ctl(&["uninstall"]);
                out?.check()?;
                no_crash(w, mark)?;
                ensure!(
                    w.driver_lines(m)
                        .iter()
                        .any(|l| l.contains("pool balance 0")),
                    "no \"pool balance 0\" line"
                );
                ensure!(!present(w, &dev)?, "{dev} still opens");
                Ok(String::new())
            },
        );
    }
    Ok(())
}

/// Dumps the first `head` bytes of `dev` into `img`, a sparse file of `size` bytes.
fn dump_sparse(w: &Wine, dev: &str, img: &Path, size: u64, head: u64) -> Result<()> {
    let part = img.with_extension("head");
    let img_s = part.display().to_string();
    let head_s = head.to_string();
    if head == size {
        ctl_ok(w, &["dump", &img_s, dev])?;
    } else {
        ctl_ok(w, &["dump", &img_s, dev, "--length", &head_s])?;
    }
    let data = fs::read(&part)?;
    ensure!(
        data.len() as u64 == head,
        "dumped {} bytes, want {head}",
        data.len()
    );
    let mut f = fs::File::create(img)?;
    f.write_all(&data)?;
    f.set_len(size)?;
    fs::remove_file(part)?;
    Ok(())
}

fn check_image(w: &Wine, img: &Path, cfg: &Config, fs_type: &str) -> Result<String> {
    let path = img.display().to_string();
    let fsck = w.host("fsck.fat", &["-n", &path])?;
    ensure!(fsck.ok(), "fsck.fat -n failed:\n{}", fsck.text());
    let mdir = w.host("mdir", &["-i", &path, "::/"])?;
    ensure!(mdir.ok(), "mdir failed:\n{}", mdir.text());
    if let Some(l) = cfg.label {
        ensure!(
            mdir.stdout
                .contains(&format!("Volume in drive : is {}", l.to_ascii_uppercase())),
            "mdir shows another label:\n{}",
            mdir.stdout
        );
    }
    // The fatfs crate: an independent reader.
    let file = fs::OpenOptions::new().read(true).write(true).open(img)?;
    let fs =
        fatfs::FileSystem::new(file, fatfs::FsOptions::new()).map_err(|e| anyhow!("fatfs: {e}"))?;
    let t = match fs.fat_type() {
        fatfs::FatType::Fat12 => "FAT12",
        fatfs::FatType::Fat16 => "FAT16",
        fatfs::FatType::Fat32 => "FAT32",
    };
    ensure!(
        t == fs_type,
        "fatfs sees {t}, the driver reported {fs_type}"
    );
    let label = String::from_utf8_lossy(fs.volume_label_as_bytes()).into_owned();
    if let Some(l) = cfg.label {
        ensure!(
            label.trim_end() == l.to_ascii_uppercase(),
            "fatfs label {label:?}"
        );
    }
    let entries = fs.root_dir().iter().filter_map(Result::ok).count();
    ensure!(
        entries == 0,
        "the fresh root directory has {entries} entries"
    );
    let stats = fs.stats().map_err(|e| anyhow!("fatfs stats: {e}"))?;
    Ok(format!(
        "{}; fatfs: {t}, {} of {} clusters free",
        fsck.stdout.lines().last().unwrap_or("").trim(),
        stats.free_clusters(),
        stats.total_clusters()
    ))
}

fn round_trip(
    w: &Wine,
    dev: &str,
    img: &Path,
    cfg: &Config,
    head: u64,
    seed: usize,
) -> Result<String> {
    let path = img.display().to_string();
    let n = usize::try_from((cfg.size / 4).min(300 * 1024))?;
    let mut data = vec![0u8; n];
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ seed as u64;
    for b in &mut data {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x.to_le_bytes()[3];
    }
    let host_file = img.with_extension("bin");
    fs::write(&host_file, &data)?;
    let host_s = host_file.display().to_string();
    w.host("mcopy", &["-i", &path, &host_s, "::/RANDOM.BIN"])?
        .check()?;
    // Everything mcopy touched must lie inside the head that is loaded back.
    if head < cfg.size {
        let mut f = fs::File::open(img)?;
        f.seek(SeekFrom::Start(head))?;
        let mut rest = Vec::new();
        f.read_to_end(&mut rest)?;
        ensure!(
            rest.iter().all(|&b| b == 0),
            "mcopy wrote beyond the first {head} bytes"
        );
    }
    let head_s = head.to_string();
    if head == cfg.size {
        ctl_ok(w, &["load", &path, dev])?;
    } else {
        ctl_ok(w, &["load", &path, dev, "--length", &head_s])?;
    }
    let written = fs::read(img)?;
    let again = img.with_extension("again");
    dump_sparse(w, dev, &again, cfg.size, head)?;
    let back = fs::read(&again)?;
    ensure!(
        back == written,
        "the image read back through the driver differs from the one loaded"
    );
    let again_s = again.display().to_string();
    let copied = img.with_extension("copied");
    let copied_s = copied.display().to_string();
    let _ = fs::remove_file(&copied);
    w.host("mcopy", &["-n", "-i", &again_s, "::/RANDOM.BIN", &copied_s])?
        .check()?;
    ensure!(fs::read(&copied)? == data, "mcopy read back other bytes");
    let mtype = w
        .host("mtype", &["-i", &again_s, "::/RANDOM.BIN"])?
        .check()?;
    ensure!(!mtype.stdout.is_empty(), "mtype printed nothing");
    let fsck = w.host("fsck.fat", &["-n", &again_s])?;
    ensure!(fsck.ok(), "fsck.fat after the round trip:\n{}", fsck.text());
    // And through fatfs.
    let file = fs::OpenOptions::new().read(true).write(true).open(&again)?;
    let fs =
        fatfs::FileSystem::new(file, fatfs::FsOptions::new()).map_err(|e| anyhow!("fatfs: {e}"))?;
    let mut via = Vec::new();
    fs.root_dir()
        .open_file("RANDOM.BIN")
        .map_err(|e| anyhow!("fatfs open: {e}"))?
        .read_to_end(&mut via)?;
    ensure!(via == data, "fatfs read back other bytes");
    drop(fs);
    for p in [&again, &copied, &host_file] {
        let _ = fs::remove_file(p);
    }
    Ok(format!("{n} bytes, {} MiB loaded", head >> 20))
}

/// One bad-registry-value case.
struct Bad {
    what: &'static str,
    /// Values added after the valid base (`DiskSize` 8 MiB, `DriveLetter` Q).
    values: &'static [(&'static str, &'static str, &'static str)],
    /// Value names of which the log line must name one.
    names: &'static [&'static str],
}

const BAD: &[Bad] = &[
    Bad {
        what: "DiskSize 0",
        values: &[("DiskSize", "REG_DWORD", "0")],
        names: &["DiskSize"],
    },
    Bad {
        what: "DiskSize 511",
        values: &[("DiskSize", "REG_DWORD", "511")],
        names: &["DiskSize"],
    },
    Bad {
        what: "DiskSize 64 KiB with FileSystem FAT32",
        values: &[
            ("DiskSize", "REG_DWORD", "65536"),
            ("FileSystem", "REG_SZ", "FAT32"),
        ],
        names: &["DiskSize", "FileSystem"],
    },
    Bad {
        what: "DiskSize as REG_SZ",
        values: &[("DiskSize", "REG_SZ", "8388608")],
        names: &["DiskSize"],
    },
    Bad {
        what: "DriveLetter \"\"",
        values: &[("DriveLetter", "REG_SZ", "")],
        names: &["DriveLetter"],
    },
    Bad {
        what: "DriveLetter \"1\"",
        values: &[("DriveLetter", "REG_SZ", "1")],
        names: &["DriveLetter"],
    },
    Bad {
        what: "DriveLetter \"ZZ\"",
        values: &[("DriveLetter", "REG_SZ", "ZZ")],
        names: &["DriveLetter"],
    },
    Bad {
        what: "DriveLetter C (taken)",
        values: &[("DriveLetter", "REG_SZ", "C")],
        names: &["DriveLetter"],
    },
    Bad {
        what: "FileSystem NTFS",
        values: &[("FileSystem", "REG_SZ", "NTFS")],
        names: &["FileSystem"],
    },
    Bad {
        what: "VolumeLabel of 12 characters",
        values: &[("VolumeLabel", "REG_SZ", "TWELVE CHARS")],
        names: &["VolumeLabel"],
    },
    Bad {
        what: "SectorsPerCluster 3",
        values: &[("SectorsPerCluster", "REG_DWORD", "3")],
        names: &["SectorsPerCluster"],
    },
];

fn reg_add(w: &Wine, name: &str, kind: &str, data: &str) -> Result<()> {
    w.wine(&[
        "reg", "add", PARAMS, "/v", name, "/t", kind, "/d", data, "/f",
    ])?
    .check()?;
    Ok(())
}

/// The base Parameters of the failure cases: 8 MiB on Q:.
fn base_params(w: &Wine) -> Result<()> {
    reg_add(w, "DiskSize", "REG_DWORD", "8388608")?;
    reg_add(w, "DriveLetter", "REG_SZ", "Q")
}

/// Creates the service for `bin_path` with [`base_params`] plus `extra` (later values
/// win) and checks that `sc start` fails and leaves nothing behind: no crash, the
/// failure is logged with pool balance 0 (the rollback freed everything), and neither
/// `\\.\Q:` nor `\Device\Ramdisk` opens. Returns the driver's lines of the attempt.
fn start_must_fail(w: &Wine, bin_path: &str, extra: &[(&str, &str, &str)]) -> Result<Vec<String>> {
    cleanup(w);
    w.wine(&[
        "sc", "create", "ramdisk", "type=", "kernel", "start=", "demand", "binPath=", bin_path,
    ])?
    .check()?;
    base_params(w)?;
    for (n, k, d) in extra {
        reg_add(w, n, k, d)?;
    }
    let mark = w.log_mark();
    let start = w.wine(&["sc", "start", "ramdisk"])?;
    let lines = w.driver_lines(mark);
    no_crash(w, mark)?;
    ensure!(!start.ok(), "sc start succeeded:\n{}", start.text());
    ensure!(
        lines
            .iter()
            .any(|l| l.contains("DriverEntry failed with") && l.contains("pool balance 0")),
        "no leak-free DriverEntry failure line; driver said: {lines:?}"
    );
    ensure!(
        !present(w, r"\\.\Q:")?,
        r"\\.\Q: opens after the failed start"
    );
    ensure!(
        !present(w, r"\\.\GLOBALROOT\Device\Ramdisk")?,
        r"\Device\Ramdisk opens after the failed start"
    );
    Ok(lines)
}

/// After [`start_must_fail`]: with `repair` applied, `sc start` works, `\\.\Q:` opens,
/// and `sc stop` unloads with pool balance 0; the service is deleted.
fn start_must_work_after(w: &Wine, repair: impl FnOnce(&Wine) -> Result<()>) -> Result<()> {
    repair(w)?;
    let mark = w.log_mark();
    w.wine(&["sc", "start", "ramdisk"])?.check()?;
    ensure!(
        present(w, r"\\.\Q:")?,
        r"\\.\Q: does not open after the valid start"
    );
    w.wine(&["sc", "stop", "ramdisk"])?.check()?;
    w.wine(&["sc", "delete", "ramdisk"])?.check()?;
    let lines = w.driver_lines(mark);
    ensure!(
        lines.iter().any(|l| l.contains("unloaded, pool balance 0")),
        "no clean unload; driver said: {lines:?}"
    );
    no_crash(w, mark)
}

fn bad_values(s: &mut Suite<'_>, sys: &Path) {
    println!("\n-- bad registry values (sc create + reg add, like an administrator would)");
    s.case(
        "ramdiskctl start with DiskSize 511: exit 1, Win32 error and text in --json",
        |w| {
            cleanup(w);
            install(w, sys, &Config::new(511, 'Q'))?;
            let out = w.ctl(&["--json", "start"])?;
            let _ = w.ctl(&["uninstall"]);
            ensure!(out.code == 1, "exit {}: {}", out.code, out.text());
            let j = json(&out)?;
            ensure!(j["win32_error"].as_u64().is_some_and(|c| c != 0), "{j}");
            ensure!(
                j["win32_text"].as_str().is_some_and(|t| !t.is_empty()),
                "{j}"
            );
            Ok(format!(
                "error {}: {}",
                j["win32_error"],
                j["win32_text"].as_str().unwrap_or("")
            ))
        },
    );
    let bin_path = win_path(sys);
    for bad in BAD {
        s.case(
            &format!(
                "bad {}: start fails, names it, no crash, nothing left, valid start then works",
                bad.what
            ),
            |w| {
                let lines = start_must_fail(w, &bin_path, bad.values)?;
                let named = lines
                    .iter()
                    .find(|l| {
                        bad.names
                            .iter()
                            .any(|n| l.contains(&format!("ramdisk: {n}")))
                    })
                    .cloned()
                    .ok_or_else(|| {
                        anyhow!(
                            "no \"ramdisk: {}: ...\" line; driver said: {lines:?}",
                            bad.names.join("|")
                        )
                    })?;
                // Repair the values; the next start must work.
                start_must_work_after(w, |w| {
                    let _ = w.wine(&["reg", "delete", PARAMS, "/f"]);
                    base_params(w)
                })?;
                Ok(named)
            },
        );
    }
}

/// One fault-injection case: `FaultInject` makes one step of `DriverEntry` fail.
struct Fault {
    what: &'static str,
    mode: &'static str,
    /// The status `DriverEntry` must fail with, as the driver logs it.
    status: &'static str,
}

const FAULTS: &[Fault] = &[
    Fault {
        what: "image allocation fails",
        mode: "1",
        status: "0xc000009a",
    },
    Fault {
        what: "IoCreateDevice fails",
        mode: "2",
        status: "0xc000009a",
    },
    Fault {
        what: "IoCreateSymbolicLink collides",
        mode: "3",
        status: "0xc0000035",
    },
];

/// Fault injection with the `fault-injection` driver: each failure path of
/// `DriverEntry` fails `sc start` with its status, leaks no pool (the driver logs its
/// allocation balance), leaves no device or link behind, and the next start works.
fn faults(s: &mut Suite<'_>, fault_sys: &Path) {
    println!("\n-- fault injection ({})", win_path(fault_sys));
    let bin_path = win_path(fault_sys);
    for fault in FAULTS {
        s.case(
            &format!(
                "fault: {}: start fails with {}, pool balance 0, nothing left, next start works",
                fault.what, fault.status
            ),
            |w| {
                let lines =
                    start_must_fail(w, &bin_path, &[("FaultInject", "REG_DWORD", fault.mode)])?;
                let failed = lines
                    .iter()
                    .find(|l| l.contains("DriverEntry failed with"))
                    .cloned()
                    .unwrap_or_default();
                ensure!(failed.contains(fault.status), "wrong status: {failed}");
                start_must_work_after(w, |w| {
                    w.wine(&["reg", "delete", PARAMS, "/v", "FaultInject", "/f"])?
                        .check()?;
                    Ok(())
                })?;
                Ok(failed)
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_are_distinct_and_valid() {
        let all = matrix_configs();
        assert!(all.iter().any(|c| c.size >= 512 << 20));
        assert!(all.iter().any(|c| c.size == 1 << 20));
        for fs in ["FAT12", "FAT16", "FAT32"] {
            assert!(all.iter().any(|c| c.fs == Some(fs)), "{fs}");
        }
        assert!(all.iter().any(|c| c.letter == 'Q') && all.iter().any(|c| c.letter == 'R'));
        for c in &all {
            assert_eq!(c.size % 512, 0);
            assert!(c.label.is_none_or(|l| l.len() <= 11));
            let args = c.install_args(Path::new("/x/ramdisk.sys"));
            assert_eq!(args[2], r"Z:\x\ramdisk.sys");
        }
        assert!(
            BAD.iter()
                .all(|b| !b.names.is_empty() && !b.values.is_empty())
        );
        let kept = kept_for_kernel_judge(&all);
        assert_eq!(kept.len(), 3, "one image per FAT type for the kernel judge");
        assert!(kept.iter().all(|&i| all[i].size <= FULL_DUMP_MAX));
    }
}
