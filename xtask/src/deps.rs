//! Installs what a fresh Debian machine lacks: apt packages (as root) and rustup targets.

use std::process::Command;

use anyhow::{Result, bail};

use crate::util::{output, run};

/// Debian packages the Linux build and tests need, with what each is for.
pub const APT_PACKAGES: &[(&str, &str)] = &[
    (
        "mingw-w64",
        "DDK headers and import libraries for the WDK stand-in; ramdiskctl linker",
    ),
    ("clang", "clang's resource headers for bindgen"),
    ("libclang-dev", "libclang for bindgen (wdk-sys bindings)"),
    ("llvm", "llvm-dlltool for MSVC-style import libraries"),
    ("wine", "runs the driver and ramdiskctl end to end"),
    ("wine64", "64-bit Wine loader"),
    ("dosfstools", "fsck.fat / mkfs.fat judge our FAT images"),
    ("mtools", "mdir / mcopy read and write our FAT images"),
];

/// Rust targets: the driver (MSVC ABI, linked by rust-lld) and ramdiskctl for Wine (GNU ABI).
pub const RUST_TARGETS: &[&str] = &["x86_64-pc-windows-msvc", "x86_64-pc-windows-gnu"];

fn apt_installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_ok_and(|s| s.trim() == "0")
}

/// Makes sure every apt package and rustup target is present (idempotent).
pub fn ensure() -> Result<()> {
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| !apt_installed(p))
        .collect();
    if missing.is_empty() {
        println!("apt packages present: {}", names(APT_PACKAGES));
    } else {
        let cmd = format!(
            "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {}",
            missing.join(" ")
        );
        if !is_root() {
            bail!(
                "missing Debian packages: {}\nrun as root:\n  {cmd}",
                missing.join(" ")
            );
        }
        println!("installing missing Debian packages: {}", missing.join(" "));
        run(Command::new("apt-get").arg("update").arg("-q"))?;
        run(Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing))?;
    }
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    let missing: Vec<&str> = RUST_TARGETS
        .iter()
        .copied()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if missing.is_empty() {
        println!("rust targets present: {}", RUST_TARGETS.join(", "));
    } else {
        run(Command::new("rustup")
            .args(["target", "add"])
            .args(&missing))?;
    }
    Ok(())
}

fn names(list: &[(&str, &str)]) -> String {
    list.iter().map(|(p, _)| *p).collect::<Vec<_>>().join(" ")
}
