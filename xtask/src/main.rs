//! `cargo xtask`: host automation for ramdisk.
//!
//! - `build`: install what is missing, generate the WDK stand-in, cross-build
//!   `target/x86_64-pc-windows-msvc/release/rustramdisk.sys`.
//! - `test`: every test that exists, with stage times.
//! - `demo`: the main demo.
//! - `e2e [--case TEXT]... [--list]`: only the Wine end-to-end suite, or some of its cases.
//! - `kernel-judge [--long]`: only the Linux kernel judge of FAT and exFAT images (QEMU).
//! - `clippy`: clippy on the host crates and the driver.
//! - `bench`, `fuzz`: benchmarks and fuzzing (see the README).
//! - `pe-check FILE`: the driver PE checks on any file.

mod apt_sources;
mod bench;
mod cross;
mod demo;
mod deps;
mod e2e;
mod fuzz;
mod kernel_judge;
mod makefile;
mod package_names;
mod pe_check;
#[cfg(test)]
mod rooms;
mod util;
mod wdk_standin;
mod wine;

use std::{path::PathBuf, process::Command};

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};

use crate::util::{Stages, run, workspace_root};

#[derive(Parser)]
#[command(about = "ramdisk host automation")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Install missing tools, then cross-build the driver (rustramdisk.sys).
    Build,
    /// Run every test: host tests, cross-build, clippy, PE checks, Wine end to end, kernel judge.
    Test,
    /// The demo: build, load the driver under Wine, use the disk, unload it.
    Demo,
    /// Clippy on the host crates and on the driver for its target.
    Clippy,
    /// Only the Wine end-to-end suite (builds the driver and ramdiskctl first).
    E2e {
        /// Run only the cases whose id contains this text (repeatable; `--list` shows
        /// the ids, e.g. `lifecycle`, `matrix/03`, `bad-values/disksize-0`).
        #[arg(long = "case", value_name = "TEXT")]
        cases: Vec<String>,
        /// Print the ids of the cases that would run, and stop.
        #[arg(long)]
        list: bool,
    },
    /// The Linux kernel judges our FAT and exFAT images: QEMU (TCG) boots mount, write and
    /// list them; fsck.fat and mtools, fsck.exfat and hadris-fat check what it wrote.
    KernelJudge {
        /// More images from the FAT matrix (several boots), and the whole > 4 GiB file.
        #[arg(long)]
        long: bool,
    },
    /// Run the driver PE checks on a file.
    PeCheck {
        /// The image to check.
        file: PathBuf,
    },
    /// Criterion benchmarks of ramdisk-core; writes the README's Performance table.
    Bench,
    /// Run every cargo-fuzz target (nightly) for a while each.
    Fuzz {
        /// Seconds per target.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
}

fn main() -> std::process::ExitCode {
    cross::rustc_wrapper_mode();
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Build => build().map(|_| ()),
        Cmd::Test => test(),
        Cmd::Demo => demo(),
        Cmd::PeCheck { file } => pe_check_file(&file),
        Cmd::Clippy => clippy(),
        Cmd::E2e { cases, list } => {
            let filter = e2e::Filter(cases);
            if list {
                e2e::list(&filter)
            } else {
                build().and_then(|sys| e2e::run_suite(&sys, &filter))
            }
        }
        Cmd::KernelJudge { long } => deps::ensure().and_then(|()| {
            kernel_judge::run(&kernel_judge::Options {
                long,
                wine_images: kernel_judge::WineImages::IfPresent,
            })
        }),
        Cmd::Bench => bench::run(),
        Cmd::Fuzz { seconds } => fuzz::run_all(seconds),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn build() -> Result<PathBuf> {
    deps::ensure()?;
    let sys = cross::build_driver(&cross::DriverBuild::release())?;
    e2e::build_ctl()?;
    Ok(sys)
}

fn pe_check_file(file: &std::path::Path) -> Result<()> {
    let data = std::fs::read(file)?;
    let report = pe_check::check_driver(&data);
    for fact in &report.facts {
        println!("  ok    {fact}");
    }
    for failure in &report.failures {
        println!("  FAIL  {failure}");
    }
    if report.failures.is_empty() {
        println!("{}: a well-formed WDM driver image", file.display());
        Ok(())
    } else {
        bail!(
            "{}: {} PE check(s) failed",
            file.display(),
            report.failures.len()
        )
    }
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(workspace_root())
        .env_remove("CARGO_TARGET_DIR");
    c
}

fn test() -> Result<()> {
    let mut stages = Stages::default();
    let result = test_stages(&mut stages);
    stages.summary();
    result
}

fn lock_clean_in_git() -> bool {
    workspace_root().join(".git").exists()
        && Command::new("git")
            .current_dir(workspace_root())
            .args(["diff", "--quiet", "HEAD", "--", "Cargo.lock"])
            .status()
            .is_ok_and(|s| s.success())
}

fn test_stages(stages: &mut Stages) -> Result<()> {
    stages.run("install missing tools", deps::ensure)?;
    stages.run("cargo fmt --check", || {
        run(cargo().args(["fmt", "--all", "--check"]))?;
        run(cargo().args(["fmt", "--check", "--manifest-path", "core/fuzz/Cargo.toml"]))
    })?;
    let lock = workspace_root().join("Cargo.lock");
    let lock_was_clean = lock_clean_in_git();
    // The exFAT judges' crate runs as its own stage below (its time is reported apart).
    stages.run("host tests (cargo test)", || {
        run(cargo().args([
            "test",
            "--workspace",
            "--exclude",
            "ramdisk",
            "--exclude",
            "ramdisk-exfat-judge",
        ]))
    })?;
    stages.run(
        "exFAT image matrix and judges (fsck.exfat, hadris-fat, exfat crate)",
        || run(cargo().args(["test", "-p", "ramdisk-exfat-judge"])),
    )?;
    stages.run("Miri (ramdisk-store)", miri)?;
    let lock_before = std::fs::read(&lock)?;
    let sys = stages.run("cross-build rustramdisk.sys", || {
        cross::build_driver(&cross::DriverBuild::release())
    })?;
    stages.run(
        "cargo make's build task builds the driver; package names",
        makefile::check_build_task,
    )?;
    stages.run(
        "clippy (host crates, and the driver for its target)",
        clippy,
    )?;
    stages.run("cargo doc, warnings denied", docs)?;
    stages.run("Cargo.lock untouched by the cross-build", || {
        if std::fs::read(&lock)? != lock_before {
            bail!("the cross-build changed Cargo.lock");
        }
        if lock_was_clean {
            // On a clean checkout (CI), the committed lock must also be what cargo wants.
            run(Command::new("git").current_dir(workspace_root()).args([
                "diff",
                "--exit-code",
                "--stat",
                "HEAD",
                "--",
                "Cargo.lock",
            ]))?;
            println!("Cargo.lock identical to the committed one");
        } else {
            println!("Cargo.lock unchanged by the cross-build (it has uncommitted edits of yours)");
        }
        Ok(())
    })?;
    stages.run("PE checks", || {
        pe_check_file(&sys)?;
        run(cargo()
            .args(["test", "-p", "xtask", "--", "--include-ignored"])
            .env("RAMDISK_SYS", &sys))
    })?;
    stages.run("Wine end-to-end", || {
        e2e::run_suite(&sys, &e2e::Filter::all())
    })?;
    stages.run("Linux kernel judge (QEMU)", || {
        kernel_judge::run(&kernel_judge::Options {
            long: false,
            wine_images: kernel_judge::WineImages::Required,
        })
    })?;
    Ok(())
}

/// `cargo +nightly miri test -p ramdisk-store`, installing the `miri` and `rust-src`
/// components of the nightly toolchain when missing; fails (never skips) when Miri
/// cannot run.
fn miri() -> Result<()> {
    let installed = util::output(Command::new("rustup").args([
        "component",
        "list",
        "--toolchain",
        "nightly",
        "--installed",
    ]))
    .map_err(|e| anyhow::anyhow!("the nightly toolchain Miri needs is not usable: {e:#}"))?;
    let missing: Vec<&str> = ["miri", "rust-src"]
        .into_iter()
        .filter(|c| {
            !installed
                .lines()
                .any(|l| l.starts_with(&format!("{c}-")) || l.trim() == *c)
        })
        .collect();
    if !missing.is_empty() {
        run(Command::new("rustup")
            .args(["component", "add", "--toolchain", "nightly"])
            .args(&missing))?;
    }
    run(fuzz::rustup_cargo().args(["+nightly", "miri", "test", "-p", "ramdisk-store"]))
}

/// `cargo doc` with warnings denied: the host crates (private items too), ramdiskctl
/// for its Windows target as well (most of it is Windows-only), and the driver in the
/// cross environment.
fn docs() -> Result<()> {
    let doc = |extra: &[&str]| {
        let mut c = cargo();
        c.args(["doc", "--no-deps", "--document-private-items"])
            .args(extra)
            .env("RUSTDOCFLAGS", "-D warnings");
        run(&mut c)
    };
    doc(&[
        "-p",
        "ramdisk-core",
        "-p",
        "ramdisk-store",
        "-p",
        "ramdiskctl",
        "-p",
        "ramdisk-mountmgr-double",
        "-p",
        "ramdisk-exfat-judge",
        "-p",
        "xtask",
    ])?;
    doc(&["-p", "ramdiskctl", "--target", e2e::CTL_TARGET])?;
    cross::doc_driver()
}

fn clippy() -> Result<()> {
    cross::clippy_driver()?;
    run(cargo().args(["clippy", "--all-targets"]))
}

fn demo() -> Result<()> {
    let sys = build()?;
    demo::run(&sys)
}
