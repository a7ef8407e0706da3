//! A WDK stand-in built from Debian's mingw-w64 DDK headers and import libraries.
//!
//! wdk-build validates this layout under `WDKContentRoot`:
//! `Include/<ver>/{km,km/crt,shared,um}` and `Lib/<ver>/km/x64`. The headers are
//! symlinks into mingw-w64 plus two small shims; the import libraries are
//! MSVC-style archives that `llvm-dlltool` makes from the mingw `.a` exports.

use std::{
    collections::BTreeSet,
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result};

use crate::util::{output, run, target_dir, write_if_changed};

/// The SDK version folder name wdk-build looks for (any `10.*` works).
pub const SDK_VERSION: &str = "10.0.22621.0";
const MINGW: &str = "/usr/x86_64-w64-mingw32";
const NTDDK_GAPS: &str = include_str!("hostshim/ntddk_gaps.h");
const SETJMP: &str = include_str!("hostshim/setjmp.h");
/// Bump when the generator changes so old stand-ins are rebuilt.
const GENERATION: &str = "standin-v2";

/// Where the stand-in lives.
pub fn root() -> PathBuf {
    target_dir().join("wdk-standin")
}

/// Creates (or refreshes) the stand-in and returns its root.
pub fn ensure() -> Result<PathBuf> {
    let root = root();
    let stamp = root.join(".generated");
    let mingw_version =
        output(Command::new("dpkg-query").args(["-W", "-f=${Version}", "mingw-w64-x86-64-dev"]))
            .unwrap_or_default();
    let want = format!("{GENERATION} mingw {mingw_version}\n");
    if fs::read_to_string(&stamp).is_ok_and(|s| s == want) {
        println!("WDK stand-in up to date: {}", root.display());
        return Ok(root);
    }
    if root.exists() {
        fs::remove_dir_all(&root).with_context(|| format!("rm -r {}", root.display()))?;
    }
    let inc = root.join("Include").join(SDK_VERSION);
    let km = inc.join("km");
    let crt = km.join("crt");
    let shared = inc.join("shared");
    let um = inc.join("um");
    for d in [&crt, &shared, &um] {
        fs::create_dir_all(d)?;
    }
    let mingw_inc = Path::new(MINGW).join("include");
    let mingw_ddk = mingw_inc.join("ddk");
    // km <- mingw include/ddk/*, except ntddk.h which our shim wraps.
    link_all(&mingw_ddk, &km, &["ntddk.h"])?;
    let gaps = NTDDK_GAPS.replace("@MINGW_DDK@", &mingw_ddk.to_string_lossy());
    write_if_changed(&km.join("ntddk.h"), gaps.as_bytes())?;
    write_if_changed(&crt.join("setjmp.h"), SETJMP.as_bytes())?;
    // shared, um <- mingw include/*, without intrin.h (clang's own must win) and ddk/.
    link_all(&mingw_inc, &shared, &["intrin.h", "ddk"])?;
    link_all(&mingw_inc, &um, &["intrin.h", "ddk"])?;

    let lib = root.join("Lib").join(SDK_VERSION).join("km").join("x64");
    fs::create_dir_all(&lib)?;
    // ntoskrnl exports these, mingw-w64's import library lacks them. `__chkstk` (the
    // stack probe of a frame above 4 KiB) is only for the test-only fault-injection
    // build: the PE check rejects it in the release driver.
    let extra_ntoskrnl = ["ExAllocatePool2", "ExAllocatePool3", "__chkstk"];
    import_lib(&lib, "ntoskrnl", "ntoskrnl.exe", &extra_ntoskrnl)?;
    import_lib(&lib, "hal", "hal.dll", &[])?;
    import_lib(&lib, "wmilib", "wmilib.sys", &[])?;
    // Linked by wdk-build but never referenced by rustc: an empty archive is enough.
    fs::write(lib.join("BufferOverflowFastFailK.lib"), b"!<arch>\n")?;
    fs::write(&stamp, want)?;
    println!("WDK stand-in generated: {}", root.display());
    Ok(root)
}

fn link_all(from: &Path, to: &Path, skip: &[&str]) -> Result<()> {
    for entry in fs::read_dir(from).with_context(|| format!("read {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if skip.iter().any(|s| name.eq_ignore_ascii_case(s)) {
            continue;
        }
        std::os::unix::fs::symlink(entry.path(), to.join(&name))
            .with_context(|| format!("symlink {}", entry.path().display()))?;
    }
    Ok(())
}

/// Writes `<name>.def` from the mingw import library's symbols and turns it into an
/// MSVC-style `<name>.lib`. Code exports show as `T sym`; data exports only as `__imp_sym`.
fn import_lib(dir: &Path, name: &str, dll: &str, extra: &[&str]) -> Result<()> {
    let archive = Path::new(MINGW).join("lib").join(format!("lib{name}.a"));
    let nm = output(Command::new("nm").arg(&archive))?;
    let mut code = BTreeSet::new();
    let mut imp = BTreeSet::new();
    for line in nm.lines() {
        let mut parts = line.split_whitespace().rev();
        let (Some(sym), Some(kind)) = (parts.next(), parts.next()) else {
            continue;
        };
        match kind {
            "T" => {
                code.insert(sym.to_string());
            }
            "I" => {
                if let Some(s) = sym.strip_prefix("__imp_") {
                    imp.insert(s.to_string());
                }
            }
            _ => {}
        }
    }
    code.extend(extra.iter().map(|s| (*s).to_string()));
    let mut def = format!("LIBRARY {dll}\nEXPORTS\n");
    for sym in &code {
        let _ = writeln!(def, "  {sym}");
    }
    for sym in imp.difference(&code) {
        let _ = writeln!(def, "  {sym} DATA");
    }
    let def_path = dir.join(format!("{name}.def"));
    fs::write(&def_path, def)?;
    run(Command::new("llvm-dlltool")
        .args(["-m", "i386:x86-64", "-D", dll, "-d"])
        .arg(&def_path)
        .arg("-l")
        .arg(dir.join(format!("{name}.lib"))))?;
    println!(
        "  {name}.lib: {} code + {} data exports",
        code.len(),
        imp.difference(&code).count()
    );
    Ok(())
}
