//! Cross-building the real driver, `rustramdisk.sys`, on Linux.
//!
//! wdk-build 0.6 does not compile for a Linux host as published: (a) it depends on the
//! `windows` crate, which does not build there; (b) `utils.rs` has `compile_error!`
//! under `cfg(not(target_os = "windows"))`; (c) `cargo_make.rs` calls
//! `std::os::windows::fs::symlink_file`. The crates stay unmodified; instead:
//!
//! - the build runs in a scratch copy of the workspace (`target/cross-ws`), whose
//!   `Cargo.lock` cargo may rewrite, with a `--config` file (never the repo's own
//!   `.cargo/config.toml`) that patches `windows` with a tiny host-only stand-in and
//!   links with the toolchain's `rust-lld`, and sets nothing else: the compiler and
//!   linker flags are the Windows build's (`.cargo/config.toml`, wdk-build, `build.rs`);
//! - xtask itself is the `RUSTC_WRAPPER`: when rustc compiles the `wdk_build` crate
//!   for the host it adds `--cfg target_os="windows"` and `--extern std=<facade>`,
//!   where the facade is the real std plus `os::windows::fs::symlink_file`.
//!
//! Everything else (wdk-sys bindgen against the WDK stand-in, wdk, wdk-alloc,
//! wdk-panic, ramdisk-core, the driver) compiles exactly as on Windows.

use std::{
    ffi::OsString,
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, bail};
use ramdisk_core::service::{DRIVER_FILE, PDB_FILE};

use crate::{
    util::{output, run, target_dir, workspace_root, write_if_changed},
    wdk_standin,
};

/// The driver's target triple.
pub const DRIVER_TARGET: &str = "x86_64-pc-windows-msvc";
/// What cargo names the driver's files: the package's library, `ramdisk`.
pub const BUILT_STEM: &str = "ramdisk";
const WRAPPER_ENV: &str = "RAMDISK_XTASK_HOST_STD";
const WINDOWS_STANDIN: &str = include_str!("hostshim/windows_standin.rs");
const HOST_STD: &str = include_str!("hostshim/host_std.rs");

/// If this process was started by cargo as `RUSTC_WRAPPER`, act as one and never return.
pub fn rustc_wrapper_mode() {
    let Some(host_std) = std::env::var_os(WRAPPER_ENV) else {
        return;
    };
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.is_empty() {
        eprintln!("xtask: {WRAPPER_ENV} is set but no rustc was given");
        std::process::exit(2);
    }
    let rustc = args.remove(0);
    let is_wdk_build_for_host = args
        .windows(2)
        .any(|w| w[0] == "--crate-name" && w[1] == "wdk_build")
        && !args
            .iter()
            .any(|a| a == "--target" || a.to_string_lossy().starts_with("--target="));
    // Crates that link against wdk_build must find the facade it was built with.
    if let Some(dir) = std::path::Path::new(&host_std).parent() {
        let mut dep = OsString::from("dependency=");
        dep.push(dir);
        args.extend([OsString::from("-L"), dep]);
    }
    if is_wdk_build_for_host {
        let mut ext = OsString::from("std=");
        ext.push(&host_std);
        args.extend([
            OsString::from("--cfg"),
            OsString::from("target_os=\"windows\""),
            OsString::from("-A"),
            OsString::from("explicit_builtin_cfgs_in_flags"),
            OsString::from("--extern"),
            ext,
        ]);
    }
    let err = std::os::unix::process::CommandExt::exec(Command::new(&rustc).args(&args));
    eprintln!("xtask: cannot run {}: {err}", rustc.to_string_lossy());
    std::process::exit(2);
}

/// The host shims: the `windows` stand-in crate and the std facade rlib.
struct HostShims {
    windows_crate: PathBuf,
    host_std_rlib: PathBuf,
}

fn prepare_host_shims() -> Result<HostShims> {
    let dir = target_dir().join("cross-host");
    let windows_crate = dir.join("windows-standin");
    write_if_changed(
        &windows_crate.join("Cargo.toml"),
        br#"[package]
name = "windows"
version = "0.62.2"
edition = "2021"
publish = false
description = "ramdisk xtask: host-only stand-in for the windows crate (wdk-build on Linux)"

[lib]
path = "lib.rs"

[features]
Win32_Foundation = []
Win32_System_Registry = []
Win32_UI_Shell = []
"#,
    )?;
    write_if_changed(&windows_crate.join("lib.rs"), WINDOWS_STANDIN.as_bytes())?;

    let src = dir.join("host_std.rs");
    let rlib = dir.join("libramdisk_host_std.rlib");
    let rustc_version = output(Command::new("rustc").arg("-vV"))?;
    let stamp = dir.join("host_std.stamp");
    let want = format!("{rustc_version}{HOST_STD}");
    let changed = write_if_changed(&src, HOST_STD.as_bytes())?;
    if changed || !rlib.exists() || fs::read_to_string(&stamp).ok().as_deref() != Some(&want) {
        run(Command::new("rustc")
            .args([
                "--edition",
                "2021",
                "--crate-type",
                "rlib",
                "--crate-name",
                "ramdisk_host_std",
            ])
            .arg("-o")
            .arg(&rlib)
            .arg(&src))?;
        fs::write(&stamp, want)?;
    }
    Ok(HostShims {
        windows_crate,
        host_std_rlib: rlib,
    })
}

/// Mirrors the workspace (minus `target/` and `.git/`) into `dest`, touching only files
/// whose contents changed and removing files that no longer exist.
fn sync_tree(src: &Path, dest: &Path) -> Result<()> {
    fs::create_dir_all(dest)?;
    let mut keep = std::collections::BTreeSet::new();
    for entry in fs::read_dir(src).with_context(|| format!("read {}", src.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if src == workspace_root() && (name == "target" || name == ".git") {
            continue;
        }
        if name == "target" {
            continue;
        }
        keep.insert(name.clone());
        let from = entry.path();
        let to = dest.join(&name);
        let kind = entry.file_type()?;
        if kind.is_dir() {
            sync_tree(&from, &to)?;
        } else if kind.is_file() {
            write_if_changed(&to, &fs::read(&from)?)?;
        }
    }
    for entry in fs::read_dir(dest)? {
        let entry = entry?;
        let name = entry.file_name();
        if keep.contains(&name) || (dest == scratch_dir() && name == "target") {
            continue;
        }
        if entry.file_type()?.is_dir() {
            fs::remove_dir_all(entry.path())?;
        } else {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

fn scratch_dir() -> PathBuf {
    target_dir().join("cross-ws")
}

fn clang_resource_dir() -> Result<String> {
    Ok(output(Command::new("clang").arg("-print-resource-dir"))?
        .trim()
        .to_string())
}

/// Options for one cross-build of the driver.
pub struct DriverBuild<'a> {
    /// Cargo features to enable (empty for the release driver).
    pub features: &'a [&'a str],
    /// Scratch target directory name under `target/cross-ws/` (keeps feature builds apart).
    pub target_subdir: &'a str,
    /// Where the `.sys` and `.pdb` are placed.
    pub out_dir: PathBuf,
}

impl DriverBuild<'_> {
    /// The release driver at `target/x86_64-pc-windows-msvc/release/rustramdisk.sys`.
    pub fn release() -> Self {
        Self {
            features: &[],
            target_subdir: "target",
            out_dir: target_dir().join(DRIVER_TARGET).join("release"),
        }
    }

    /// The test-only driver with the `fault-injection` feature, built into its own
    /// scratch target directory and placed at
    /// `target/x86_64-pc-windows-msvc/fault-injection/rustramdisk.sys`, so it can never
    /// overwrite the release driver.
    pub fn fault_injection() -> Self {
        Self {
            features: &["fault-injection"],
            target_subdir: "target-fault",
            out_dir: target_dir().join(DRIVER_TARGET).join("fault-injection"),
        }
    }

    /// Path of the resulting driver.
    pub fn sys_path(&self) -> PathBuf {
        self.out_dir.join(DRIVER_FILE)
    }
}

/// The Linux-only cargo settings, passed with `--config`: the `windows` stand-in and the
/// linker. Nothing else: the driver's compiler and linker flags are the Windows build's
/// (`.cargo/config.toml`, wdk-build's and `build.rs`'s link arguments), so the cross-build
/// links with exactly the arguments `cargo make` passes to `link.exe`.
fn linux_config(windows_crate: &Path) -> String {
    format!(
        r#"# Generated by `cargo xtask build`: Linux-only build settings, passed with --config.
[patch.crates-io]
windows = {{ path = "{windows}" }}

[target.{DRIVER_TARGET}]
# Debian's lld-link 14 rejects /KERNEL and /MAPINFO:EXPORTS that wdk-build emits.
linker = "rust-lld"
"#,
        windows = windows_crate.display()
    )
}

/// Prepares the stand-in, the host shims and the scratch workspace, and returns
/// `cargo <args> --target x86_64-pc-windows-msvc --config <linux config>` there, with the
/// cross environment (target directory `target/cross-ws/<target_subdir>`).
fn cross_command(target_subdir: &str, args: &[&str]) -> Result<Command> {
    let standin = wdk_standin::ensure()?;
    let shims = prepare_host_shims()?;
    let scratch = scratch_dir();
    sync_tree(&workspace_root(), &scratch)?;
    let config = target_dir().join("cross-host").join("linux-cross.toml");
    write_if_changed(&config, linux_config(&shims.windows_crate).as_bytes())?;
    let resource_dir = clang_resource_dir()?;
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(&scratch)
        .args(args)
        .args(["--target", DRIVER_TARGET, "--config"])
        .arg(&config)
        .env("CARGO_TARGET_DIR", scratch.join(target_subdir))
        .env("WDKContentRoot", &standin)
        .env(
            "BINDGEN_EXTRA_CLANG_ARGS",
            format!("-resource-dir={resource_dir} -D__GNUC__=4 -D__GNUC_MINOR__=9"),
        )
        .env("RUSTC_WRAPPER", std::env::current_exe()?)
        .env(WRAPPER_ENV, &shims.host_std_rlib)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    Ok(cmd)
}

/// `cargo <subcommand> --release -p ramdisk` for the driver target, in the cross environment.
fn cross_cargo(subcommand: &str, target_subdir: &str, features: &[&str]) -> Result<Command> {
    let mut cmd = cross_command(target_subdir, &[subcommand, "--release", "-p", "ramdisk"])?;
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
    Ok(cmd)
}

/// Runs a Windows `cargo build` command line (`build_args`, starting with `build`) in the
/// release driver's cross environment with `--message-format=json`, and returns the
/// target directory and cargo's `compiler-artifact` messages.
pub fn build_messages(build_args: &[String]) -> Result<(PathBuf, Vec<serde_json::Value>)> {
    let mut args: Vec<&str> = build_args.iter().map(String::as_str).collect();
    args.push("--message-format=json");
    let json = output(&mut cross_command("target", &args)?)?;
    let artifacts = json
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .collect();
    Ok((scratch_dir().join("target"), artifacts))
}

/// Runs clippy on the driver crate for the driver target with the lints it declares
/// (`clippy::all` denied, `undocumented_unsafe_blocks` forbidden, pedantic/nursery warn),
/// for the release driver and for the fault-injection build.
pub fn clippy_driver() -> Result<()> {
    run(&mut cross_cargo("clippy", "target", &[])?)?;
    let fault = DriverBuild::fault_injection();
    run(&mut cross_cargo(
        "clippy",
        fault.target_subdir,
        fault.features,
    )?)
}

/// `cargo doc` of the driver crate for its target, warnings denied (the driver only
/// builds in the cross environment, so its docs are checked there).
pub fn doc_driver() -> Result<()> {
    let mut cmd = cross_cargo("doc", "target", &[])?;
    cmd.args(["--no-deps", "--document-private-items"])
        .env("RUSTDOCFLAGS", "-D warnings");
    run(&mut cmd)
}

/// Cross-builds the driver and returns the `.sys` path.
pub fn build_driver(spec: &DriverBuild<'_>) -> Result<PathBuf> {
    let mut cmd = cross_cargo("build", spec.target_subdir, spec.features)?;
    let target = scratch_dir().join(spec.target_subdir);
    run(&mut cmd)?;
    let built = target.join(DRIVER_TARGET).join("release");
    fs::create_dir_all(&spec.out_dir)?;
    let sys = spec.sys_path();
    // cargo names the cdylib after the package's library (`ramdisk.dll`); the driver's
    // files are named as Windows knows them, like `cargo make`'s package folder
    // (Makefile.toml). The image already names `rustramdisk.pdb` (`/PDBALTPATH`).
    for (from, to) in [
        (format!("{BUILT_STEM}.dll"), DRIVER_FILE),
        (format!("{BUILT_STEM}.pdb"), PDB_FILE),
    ] {
        let from = built.join(from);
        if !from.exists() {
            bail!("the build did not produce {}", from.display());
        }
        fs::copy(&from, spec.out_dir.join(to))
            .with_context(|| format!("copy {}", from.display()))?;
    }
    let len = fs::metadata(&sys)?.len();
    println!("built {} ({len} bytes) and {PDB_FILE}", sys.display());
    Ok(sys)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every leaf key of a TOML item, as dotted paths.
    fn leaves(prefix: &str, item: &toml_edit::Item, out: &mut Vec<String>) {
        match item.as_table_like() {
            Some(table) => {
                for (key, value) in table.iter() {
                    let path = if prefix.is_empty() {
                        key.to_string()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    leaves(&path, value, out);
                }
            }
            None => out.push(prefix.to_string()),
        }
    }

    #[test]
    fn linux_config_adds_no_flags() {
        // The cross-build's own settings are the `windows` stand-in and the linker; any
        // rustflags or link argument here would make the Linux build differ from
        // `cargo make`'s (they belong in .cargo/config.toml or build.rs, read by both).
        let text = linux_config(Path::new("/stand-in/windows"));
        let doc = toml_edit::Document::parse(text).unwrap();
        let mut keys = Vec::new();
        leaves("", doc.as_item(), &mut keys);
        assert_eq!(
            keys,
            [
                "patch.crates-io.windows.path".to_string(),
                format!("target.{DRIVER_TARGET}.linker"),
            ]
        );
    }
}
