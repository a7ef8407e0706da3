//! The names of the driver's files in `cargo make`'s package folder, evaluated from
//! `Makefile.toml` over wdk-build's `rust-driver-makefile.toml`, and the names
//! `ramdisk.inx` installs.
//!
//! wdk-build names everything it makes after `CARGO_MAKE_CRATE_FS_NAME`: the `.sys` it
//! copies from the `.dll`, the `.inf` it copies from the `.inx`, the `.cat`, the package
//! folder `<name>_package`, the files it signs. cargo-make sets that variable from the
//! package name (`ramdisk`); our `Makefile.toml` sets it to `rustramdisk` for the driver
//! package (Windows' own RAM disk driver is `ramdisk.sys`), and replaces the three
//! wdk-build tasks that read a file cargo or the repository names after the package
//! (`ramdisk.dll`, `ramdisk.pdb`, `ramdisk.inx`) with duckscript copies. This module
//! evaluates both, as cargo-make would for the root member, and checks that every file
//! ends up named after [`ramdisk_core::service`]'s names.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail, ensure};
use ramdisk_core::service::DRIVER_STEM;
use toml_edit::{Document, Item};

use crate::{
    makefile::{Makefiles, substitute},
    util::workspace_root,
};

/// `${WDK_BUILD_OUTPUT_DIRECTORY}`, kept symbolic: the evaluation compares paths, it
/// does not resolve them.
pub const OUT: &str = "${WDK_BUILD_OUTPUT_DIRECTORY}";

/// What the evaluation found.
#[derive(Debug)]
pub struct PackageNames {
    /// `CARGO_MAKE_CRATE_FS_NAME` for the driver package.
    pub fs_name: String,
    /// The package folder, below the output directory.
    pub folder: String,
    /// The files wdk-build and our overrides put into it, sorted.
    pub files: Vec<String>,
}

/// One duckscript `cp` (paths with `get_env` variables kept as `${NAME}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copy {
    /// Source.
    pub from: String,
    /// Destination.
    pub to: String,
}

/// The `cp` and `mkdir` lines of a duckscript, for the subset our overrides use:
/// `var = get_env NAME`, `mkdir PATH`, `cp FROM TO`, with `${var}` expanded to
/// `${NAME}`. Anything else is an error, so an override cannot grow past the model.
pub fn duckscript(script: &str) -> Result<(Vec<String>, Vec<Copy>)> {
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    let (mut dirs, mut copies) = (Vec::new(), Vec::new());
    let expand = |vars: &BTreeMap<String, String>, word: &str| {
        substitute(word, |name| {
            vars.get(name)
                .cloned()
                .with_context(|| format!("{word}: duckscript variable {name} is not set"))
        })
    };
    for line in script.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [var, "=", "get_env", name] => {
                vars.insert((*var).to_string(), format!("${{{name}}}"));
            }
            ["mkdir", dir] => dirs.push(expand(&vars, dir)?),
            ["cp", from, to] => copies.push(Copy {
                from: expand(&vars, from)?,
                to: expand(&vars, to)?,
            }),
            _ => bail!("duckscript line {line:?} is not modelled"),
        }
    }
    Ok((dirs, copies))
}

fn parse(text: &str, name: &str) -> Result<Document<String>> {
    Document::parse(text.to_string()).with_context(|| format!("{name} is not valid TOML"))
}

/// `CARGO_MAKE_CRATE_FS_NAME` as cargo-make leaves it for `package` after reading the
/// makefiles' `[env]` (later makefiles win): crate info sets the package name with `-`
/// as `_`; a plain string replaces it; `{ value, condition = { env = { K = V } } }`
/// replaces it when every condition holds (only `CARGO_MAKE_CRATE_NAME` is modelled).
pub fn crate_fs_name(docs: &[&Document<String>], package: &str) -> Result<String> {
    let mut name = package.replace('-', "_");
    for doc in docs {
        let Some(item) = doc
            .get("env")
            .and_then(|e| e.get("CARGO_MAKE_CRATE_FS_NAME"))
        else {
            continue;
        };
        if let Some(s) = item.as_str() {
            name = s.to_string();
            continue;
        }
        let table = item
            .as_table_like()
            .context("CARGO_MAKE_CRATE_FS_NAME is neither a string nor a table")?;
        for (key, _) in table.iter() {
            ensure!(
                key == "value" || key == "condition",
                "CARGO_MAKE_CRATE_FS_NAME.{key} is not modelled"
            );
        }
        let value = table
            .get("value")
            .and_then(Item::as_str)
            .context("CARGO_MAKE_CRATE_FS_NAME has no string `value`")?;
        let holds = match table.get("condition") {
            None => true,
            Some(condition) => {
                let condition = condition
                    .as_table_like()
                    .context("CARGO_MAKE_CRATE_FS_NAME.condition is not a table")?;
                let mut holds = true;
                for (key, item) in condition.iter() {
                    ensure!(key == "env", "condition `{key}` is not modelled");
                    let env = item
                        .as_table_like()
                        .context("condition.env is not a table")?;
                    for (var, want) in env.iter() {
                        ensure!(
                            var == "CARGO_MAKE_CRATE_NAME",
                            "condition on {var} is not modelled"
                        );
                        holds &= want.as_str() == Some(package);
                    }
                }
                holds
            }
        };
        if holds {
            name = value.to_string();
        }
    }
    Ok(name)
}

/// The strings of a task's `args` and `env` values (where wdk-build names files).
fn task_strings(task: &Item) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(args) = task.get("args").and_then(Item::as_array) {
        out.extend(
            args.iter()
                .filter_map(|a| a.as_str().map(ToString::to_string)),
        );
    }
    if let Some(env) = task.get("env").and_then(Item::as_table_like) {
        out.extend(
            env.iter()
                .filter_map(|(_, v)| v.as_str().map(ToString::to_string)),
        );
    }
    out
}

/// wdk-build tasks whose script reads a file named after the package (the name
/// `get_current_package_name()` returns, i.e. `CARGO_MAKE_CRATE_FS_NAME`) that cargo or
/// the repository make: the `.dll`, the `.pdb`, the `.inx`. Renaming the variable
/// would make them look for `rustramdisk.*`, so ours must replace each.
pub fn tasks_reading_package_files(wdk: &Document<String>) -> Vec<String> {
    let Some(tasks) = wdk.get("tasks").and_then(Item::as_table_like) else {
        return Vec::new();
    };
    tasks
        .iter()
        .filter(|(_, task)| {
            task.get("script").and_then(Item::as_str).is_some_and(|s| {
                s.contains("get_current_package_name()")
                    && ["\"{}.dll\"", "\"{}.pdb\"", "\"{}.inx\""]
                        .iter()
                        .any(|ext| s.contains(ext))
            })
        })
        .map(|(name, _)| name.to_string())
        .collect()
}

/// Every wdk-build task that reads a package-named file is replaced by one of ours, a
/// duckscript that copies exactly the file cargo or the repository made (`built.*`) to
/// the name the flow expects (`fs.*`).
fn check_overrides(
    ours: &Document<String>,
    wdk: &Document<String>,
    built: &str,
    fs: &str,
    folder: &str,
) -> Result<()> {
    let mut readers = tasks_reading_package_files(wdk);
    let expected: BTreeMap<&str, (Vec<String>, Vec<Copy>)> = BTreeMap::from([
        (
            "generate-driver-binary-file",
            (
                vec![],
                vec![Copy {
                    from: format!("{OUT}/{built}.dll"),
                    to: format!("{OUT}/{fs}.sys"),
                }],
            ),
        ),
        (
            "copy-pdb-to-package",
            (
                vec![format!("{OUT}/{folder}")],
                vec![Copy {
                    from: format!("{OUT}/{built}.pdb"),
                    to: format!("{OUT}/{folder}/{fs}.pdb"),
                }],
            ),
        ),
        (
            "copy-inx-to-output",
            (
                vec![OUT.to_string()],
                vec![Copy {
                    from: format!("${{CARGO_MAKE_WORKING_DIRECTORY}}/{built}.inx"),
                    to: format!("{OUT}/{fs}.inf"),
                }],
            ),
        ),
    ]);
    readers.sort();
    ensure!(
        readers
            .iter()
            .map(String::as_str)
            .eq(expected.keys().copied()),
        "wdk-build's tasks that read package-named files are {readers:?}; \
         Makefile.toml replaces {:?}",
        expected.keys().collect::<Vec<_>>()
    );
    for (name, want) in &expected {
        let task = ours
            .get("tasks")
            .and_then(|t| t.get(name))
            .with_context(|| format!("Makefile.toml does not replace wdk-build's {name}"))?;
        ensure!(
            task.get("script_runner").and_then(Item::as_str) == Some("@duckscript"),
            "Makefile.toml's {name} is not a duckscript"
        );
        let script = task
            .get("script")
            .and_then(Item::as_str)
            .with_context(|| format!("Makefile.toml's {name} has no script"))?;
        let got = duckscript(script).with_context(|| format!("Makefile.toml's {name}"))?;
        ensure!(
            &got == want,
            "Makefile.toml's {name} does {got:?}, expected {want:?}"
        );
    }
    Ok(())
}

/// Evaluates the package folder's names for the root package of `m`.
pub fn evaluate(m: &Makefiles) -> Result<PackageNames> {
    let ours = parse(&m.ours, "Makefile.toml")?;
    let wdk = parse(&m.wdk_build, &m.wdk_build_path.display().to_string())?;
    let fs = crate_fs_name(&[&wdk, &ours], &m.root_package)?;
    ensure!(
        fs == DRIVER_STEM,
        "cargo make names the driver's files {fs}.*, not {DRIVER_STEM}.* (ramdisk_core::service)"
    );
    // cargo's names: the package's library.
    let built = m.root_package.replace('-', "_");
    let folder = format!("{fs}_package");

    check_overrides(&ours, &wdk, &built, &fs, &folder)?;
    ensure!(
        workspace_root().join(format!("{built}.inx")).is_file(),
        "{built}.inx is not at the workspace root"
    );

    // Where wdk-build's own tasks now put and sign things.
    let mentions: Vec<String> = wdk
        .get("tasks")
        .and_then(Item::as_table_like)
        .map(|tasks| {
            tasks
                .iter()
                .flat_map(|(_, t)| task_strings(t))
                .filter(|s| s.contains("${CARGO_MAKE_CRATE_FS_NAME}"))
                .map(|s| s.replace("${CARGO_MAKE_CRATE_FS_NAME}", &fs))
                .collect()
        })
        .unwrap_or_default();
    for want in [
        format!("{OUT}/{fs}.inf"),
        format!("{fs}.cat"),
        format!("/driver:{OUT}/{folder}"),
        format!("{OUT}/{folder}/{fs}.${{WDK_BUILD_DRIVER_EXTENSION}}"),
        format!("{OUT}/{folder}/{fs}.cat"),
    ] {
        ensure!(
            mentions.contains(&want),
            "wdk-build's makefile no longer names {want:?}; it names {mentions:?}"
        );
    }
    // copy-driver-binary-to-package / copy-inf-to-package copy `<fs>.sys` / `<fs>.inf`
    // (the files the overrides made) into the folder; inf2cat writes the catalog
    // stampinf named; the test certificate keeps wdk-build's name.
    let mut files = vec![
        format!("{fs}.sys"),
        format!("{fs}.inf"),
        format!("{fs}.cat"),
        format!("{fs}.pdb"),
        "WDRLocalTestCert.cer".to_string(),
    ];
    files.sort();
    Ok(PackageNames {
        fs_name: fs,
        folder,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ramdisk_core::service::SERVICE_NAME;

    /// `ramdisk.inx` as text (it is UTF-16LE with a byte-order mark, as stampinf wants it).
    fn inx_text() -> Result<String> {
        let bytes = std::fs::read(workspace_root().join("ramdisk.inx"))?;
        let body = bytes
            .strip_prefix(&[0xFF, 0xFE])
            .context("ramdisk.inx has no UTF-16LE byte-order mark")?;
        ensure!(body.len() % 2 == 0, "ramdisk.inx has an odd length");
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units).context("ramdisk.inx is not valid UTF-16")
    }

    /// The `key = value` lines of INF section `section` (comments stripped), in order.
    fn inf_section(text: &str, section: &str) -> Vec<String> {
        let header = format!("[{section}]");
        text.lines()
            .skip_while(|l| !l.trim().eq_ignore_ascii_case(&header))
            .skip(1)
            .take_while(|l| !l.trim_start().starts_with('['))
            .map(|l| l.split(';').next().unwrap_or("").trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    }

    fn real() -> Makefiles {
        Makefiles::load().expect("Makefile.toml and wdk-build's makefile")
    }

    #[test]
    fn the_package_folder_holds_rustramdisk_files() {
        let names = evaluate(&real()).unwrap();
        assert_eq!(names.fs_name, "rustramdisk");
        assert_eq!(names.folder, "rustramdisk_package");
        assert_eq!(
            names.files,
            [
                "WDRLocalTestCert.cer",
                "rustramdisk.cat",
                "rustramdisk.inf",
                "rustramdisk.pdb",
                "rustramdisk.sys"
            ]
        );
    }

    #[test]
    fn the_fs_name_applies_to_the_driver_package_only() {
        let m = real();
        let ours = parse(&m.ours, "Makefile.toml").unwrap();
        assert_eq!(crate_fs_name(&[&ours], "ramdisk").unwrap(), "rustramdisk");
        assert_eq!(
            crate_fs_name(&[&ours], "ramdisk-core").unwrap(),
            "ramdisk_core"
        );
        let none = parse("[env]\n", "empty").unwrap();
        assert_eq!(crate_fs_name(&[&none], "ramdisk").unwrap(), "ramdisk");
        let plain = parse("[env]\nCARGO_MAKE_CRATE_FS_NAME = \"x\"\n", "plain").unwrap();
        assert_eq!(crate_fs_name(&[&ours, &plain], "ramdisk").unwrap(), "x");
        let other = parse(
            "[env]\nCARGO_MAKE_CRATE_FS_NAME = { value = \"x\", condition = { platforms = [\"windows\"] } }\n",
            "other",
        )
        .unwrap();
        assert!(crate_fs_name(&[&other], "ramdisk").is_err());
    }

    #[test]
    fn without_our_overrides_the_evaluation_fails() {
        // The counter-examples: the FS name left alone, and an override missing.
        let m = real();
        let mut unchanged = real();
        unchanged.ours = m
            .ours
            .replace("CARGO_MAKE_CRATE_FS_NAME", "UNRELATED_VARIABLE");
        let e = evaluate(&unchanged).unwrap_err().to_string();
        assert!(e.contains("names the driver's files ramdisk.*"), "{e}");
        let mut missing = real();
        missing.ours = m
            .ours
            .replace("[tasks.copy-pdb-to-package]", "[tasks.unrelated-task]");
        let e = evaluate(&missing).unwrap_err().to_string();
        assert!(
            e.contains("does not replace wdk-build's copy-pdb-to-package"),
            "{e}"
        );
        let mut wrong = real();
        wrong.ours = m
            .ours
            .replace("${out}/rustramdisk.sys", "${out}/ramdisk.sys");
        let e = evaluate(&wrong).unwrap_err().to_string();
        assert!(e.contains("generate-driver-binary-file does"), "{e}");
    }

    #[test]
    fn duckscript_subset() {
        let (dirs, copies) =
            duckscript("a = get_env X\n\n# c\nmkdir ${a}/d\ncp ${a}/f ${a}/g\n").unwrap();
        assert_eq!(dirs, ["${X}/d"]);
        assert_eq!(
            copies,
            [Copy {
                from: "${X}/f".into(),
                to: "${X}/g".into()
            }]
        );
        assert!(duckscript("rm x").is_err());
        assert!(duckscript("cp ${unset}/a b").is_err());
    }

    #[test]
    fn the_inx_installs_rustramdisk() {
        let inx = inx_text().unwrap();
        let file = ramdisk_core::service::DRIVER_FILE;
        assert_eq!(
            inf_section(&inx, "DefaultInstall.NT$ARCH$.Services"),
            [format!(
                "AddService = {SERVICE_NAME},,RustRamDisk.Service,RustRamDisk.EventLog"
            )]
        );
        // Uninstall stops the service and deletes its event source
        // (SPSVCINST_STOPSERVICE | SPSVCINST_DELETEEVENTLOGENTRY).
        assert_eq!(
            inf_section(&inx, "DefaultUninstall.NT$ARCH$.Services"),
            [format!("DelService = {SERVICE_NAME},0x204")]
        );
        // The event source names the driver file (which carries the message table).
        assert_eq!(
            inf_section(&inx, "RustRamDisk.EventLog.AddReg"),
            [
                format!("HKR,, EventMessageFile, 0x00020000, \"%13%\\{file}\""),
                "HKR,, TypesSupported,   0x00010001, 7".to_string()
            ]
        );
        assert_eq!(
            inf_section(&inx, "SourceDisksFiles"),
            [format!("{file} = 1,,")]
        );
        assert_eq!(
            inf_section(&inx, "RustRamDisk.CopyFiles"),
            [file.to_string()]
        );
        assert!(
            inf_section(&inx, "RustRamDisk.Service")
                .contains(&format!("ServiceBinary  = %13%\\{file}")),
            "{inx}"
        );
        assert!(inf_section(&inx, "Version").contains(&format!("CatalogFile = {DRIVER_STEM}.cat")));
        // No line names Windows' own file or service.
        for line in inx.lines().filter(|l| !l.trim_start().starts_with(';')) {
            let code = line.split(';').next().unwrap_or("").to_ascii_lowercase();
            assert!(
                !code.contains("ramdisk.sys") || code.contains("rustramdisk.sys"),
                "{line}"
            );
            assert!(!code.contains("service = ramdisk,"), "{line}");
        }
    }
}
