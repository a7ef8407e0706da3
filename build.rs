//! Build script for the `ramdisk` driver: `wdk-build` turns the WDK found in the
//! environment (`WDKContentRoot` or the registry) into linker flags for a WDM driver.
//!
//! On top of wdk-build's linker flags the driver needs three more and one input file
//! (its message table), emitted here so the Windows build (`cargo make`, MSVC
//! `link.exe`) and the Linux cross-build (`cargo xtask build`, `rust-lld`) read them
//! from one place, exactly as wdk-build emits its own (`cargo::rustc-cdylib-link-arg`). Unlike `rustflags` in
//! `.cargo/config.toml`, they cannot be silently replaced by a `RUSTFLAGS` variable.

/// Linker arguments for every driver build, after wdk-build's.
///
/// `/RELEASE` writes the PE checksum, which Windows requires of drivers. `link.exe` already
/// sets it for `/SUBSYSTEM:NATIVE`; `lld-link` writes it only when asked.
const LINK_ARGS: &[&str] = &["/RELEASE"];

/// `/PDBALTPATH:<name>`: the program database the image names in its debug directory.
///
/// cargo names the library's files after the package (`ramdisk.dll`, `ramdisk.pdb`);
/// the driver ships as `rustramdisk.sys` with `rustramdisk.pdb` (see
/// `ramdisk_core::service`). A debugger looks for the PDB by the name the image records,
/// so the image must record the shipped name; the GUID and age that match the two stay
/// as the linker wrote them. It also keeps the build machine's path out of the image.
fn pdb_alt_path() -> String {
    format!("/PDBALTPATH:{}", ramdisk_core::service::PDB_FILE)
}

/// Linker arguments for x86-64 only (`/CETCOMPAT` applies only to x86 and x64 images).
///
/// `/CETCOMPAT` marks the image compatible with CET shadow stacks, which Windows 11
/// 22H2 and later use for kernel-mode hardware-enforced stack protection.
const X86_64_LINK_ARGS: &[&str] = &["/CETCOMPAT"];

/// Writes the driver's message table (`ramdisk_core::eventlog`) as a `.res` file into
/// `OUT_DIR` and returns its path, which both linkers take as an input like an object.
/// Windows' event viewer reads the descriptions of the driver's System-log entries
/// from it (the event source's `EventMessageFile` names the driver file).
fn message_table_res() -> std::path::PathBuf {
    let mut res = [0u8; 4096];
    let len = ramdisk_core::eventlog::res_file(&mut res)
        .expect("the message table fits 4 KiB (ramdisk_core::eventlog tests)");
    let path = std::path::Path::new(&std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("rustramdisk-messages.res");
    std::fs::write(&path, &res[..len]).expect("OUT_DIR is writable");
    path
}

fn main() -> Result<(), wdk_build::ConfigError> {
    wdk_build::configure_wdk_binary_build()?;
    let x86_64 = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "x86_64");
    let extra: &[&str] = if x86_64 { X86_64_LINK_ARGS } else { &[] };
    for arg in LINK_ARGS.iter().chain(extra) {
        println!("cargo::rustc-cdylib-link-arg={arg}");
    }
    println!("cargo::rustc-cdylib-link-arg={}", pdb_alt_path());
    println!(
        "cargo::rustc-cdylib-link-arg={}",
        message_table_res().display()
    );
    Ok(())
}
