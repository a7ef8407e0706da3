//! Installs what a fresh Debian machine lacks: apt packages (as root) and rustup targets.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{
    apt_sources,
    util::{output, run},
};

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
    (
        "exfatprogs",
        "fsck.exfat / mkfs.exfat judge our exFAT images",
    ),
    (
        "exfat-fuse",
        "writes and reads the > 4 GiB file in an exFAT image (FUSE, on a loop device)",
    ),
    (
        "ntfs-3g",
        "mkntfs makes the NTFS image the e2e serves as it is (FileSystem=keep)",
    ),
    (
        "qemu-system-x86",
        "boots Debian's kernel (TCG) for the kernel judge of our FAT images; taken from \
         <codename>-backports when the machine's qemu-utils is (the release's own build conflicts with it)",
    ),
];

/// Installed packages whose origin decides where another package must come from: when
/// the second is installed from `<codename>-backports`, the first is taken from there too.
const FOLLOW_BACKPORTS: &[(&str, &str)] = &[("qemu-system-x86", "qemu-utils")];

/// Debian packages the kernel judge only downloads (`apt-get download`) and unpacks
/// under `target/kernel-judge/` for the guest, never installs on the host (a kernel
/// package would run bootloader hooks; busybox-static conflicts with busybox).
pub const GUEST_PACKAGES: &[(&str, &str)] = &[
    (
        "linux-image-<version>-amd64",
        "the kernel and its modules (vfat, virtio) the judge boots; <version> is what \
         linux-image-amd64 depends on",
    ),
    (
        "busybox-static",
        "the judge's initramfs userland (sh, mount, find, sha256sum)",
    ),
];

/// Rust targets: the driver (MSVC ABI, linked by rust-lld) and ramdiskctl for Wine (GNU ABI).
pub const RUST_TARGETS: &[&str] = &["x86_64-pc-windows-msvc", "x86_64-pc-windows-gnu"];

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_ok_and(|s| s.trim() == "0")
}

fn installed_version(pkg: &str) -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}|${Version}", pkg])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (status, version) = text.split_once('|')?;
    status
        .contains("install ok installed")
        .then(|| version.to_string())
}

/// The apt-get options every call here uses: no questions, wait for another apt to finish.
pub fn apt_get() -> Command {
    let mut c = Command::new("apt-get");
    c.env("DEBIAN_FRONTEND", "noninteractive")
        .args(["-q", "-o", "DPkg::Lock::Timeout=600"]);
    c
}

/// Does `pkg` have to come from `<codename>-backports` (see [`FOLLOW_BACKPORTS`])?
fn from_backports(pkg: &str) -> bool {
    FOLLOW_BACKPORTS.iter().any(|(p, sibling)| {
        *p == pkg && installed_version(sibling).is_some_and(|v| v.contains("~bpo"))
    })
}

/// Adds `/etc/apt/sources.list.d/<codename>-backports.sources` (copied from the
/// machine's own source of the release) unless the suite is configured already.
fn ensure_backports_source(codename: &str) -> Result<()> {
    let sources = apt_sources::machine_sources()?;
    if apt_sources::has_backports(&sources, codename) {
        return Ok(());
    }
    let text = apt_sources::backports_entry(&sources, codename)?;
    let path = std::path::Path::new(apt_sources::SOURCE_PARTS)
        .join(format!("{codename}-backports.sources"));
    std::fs::write(&path, &text).with_context(|| format!("write {}", path.display()))?;
    println!("added {}:\n{text}", path.display());
    Ok(())
}

/// Installs `pkgs` (from `release` with `-t`, dependencies included), simulated first:
/// an install that would remove a package is refused.
fn apt_install(pkgs: &[&str], release: Option<&str>) -> Result<()> {
    let install = |simulate: bool| {
        let mut c = apt_get();
        c.args(["install", "-y", "--no-install-recommends"]);
        if simulate {
            c.arg("-s");
        }
        if let Some(r) = release {
            c.args(["-t", r]);
        }
        c.args(pkgs);
        c
    };
    let sim = output(&mut install(true))?;
    let removed: Vec<&str> = sim
        .lines()
        .filter_map(|l| l.strip_prefix("Remv "))
        .collect();
    if !removed.is_empty() {
        bail!(
            "installing {} would remove packages: {}; install them by hand",
            pkgs.join(" "),
            removed.join(", ")
        );
    }
    run(&mut install(false))
}

/// The shell commands that install `plain` and `backports` (for messages and the README).
fn install_commands(plain: &[&str], backports: &[&str], codename: &str) -> Vec<String> {
    let mut cmds = vec!["apt-get update".to_string()];
    let base = "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends";
    if !plain.is_empty() {
        cmds.push(format!("{base} {}", plain.join(" ")));
    }
    if !backports.is_empty() {
        cmds.push(format!(
            "{base} -t {codename}-backports {}",
            backports.join(" ")
        ));
    }
    cmds
}

/// Makes sure every apt package and rustup target is present (idempotent).
pub fn ensure() -> Result<()> {
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| installed_version(p).is_none())
        .collect();
    if missing.is_empty() {
        println!("apt packages present: {}", names(APT_PACKAGES));
    } else {
        let codename = apt_sources::codename()?;
        let (backports, plain): (Vec<&str>, Vec<&str>) =
            missing.iter().copied().partition(|p| from_backports(p));
        let cmds = install_commands(&plain, &backports, &codename);
        if !is_root() {
            let text = if backports.is_empty() {
                String::new()
            } else {
                format!(
                    "  (with a {codename}-backports apt source: the same archive as your {codename} one)\n"
                )
            };
            bail!(
                "missing Debian packages: {}\nrun as root:\n{text}  {}",
                missing.join(" "),
                cmds.join(" && ")
            );
        }
        println!("installing missing Debian packages: {}", cmds.join(" && "));
        if !backports.is_empty() {
            ensure_backports_source(&codename)?;
        }
        run(apt_get().arg("update"))?;
        if !plain.is_empty() {
            apt_install(&plain, None)?;
        }
        if !backports.is_empty() {
            apt_install(&backports, Some(&format!("{codename}-backports")))?;
        }
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
