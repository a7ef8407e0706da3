//! What `cargo make` runs on Windows to build the driver, read from the makefiles.
//!
//! `Makefile.toml` extends wdk-build's `rust-driver-makefile.toml` (the copy in the cargo
//! registry that wdk-build's `load_rust_driver_makefile` links to
//! `target/rust-driver-makefile.toml`). cargo-make runs the flow once per workspace member,
//! in that member's directory; the driver's flow runs at the root, where the package
//! `ramdisk` is also the workspace root. There wdk-build's packaging tasks depend on a task
//! named `build` and then (with our `Makefile.toml`) copy `<output dir>/ramdisk.dll` to
//! `rustramdisk.sys` (the names: [`crate::package_names`]).
//!
//! wdk-build's makefile defines no `build` task, so without ours cargo-make's built-in one
//! runs: `cargo build` plus cargo-make's verbosity flags plus `CARGO_MAKE_CARGO_BUILD_TEST_FLAGS`
//! (which wdk-build unsets and then fills from the `cargo make` command line). At the root
//! a bare `cargo build` builds the workspace's `default-members` (core, ctl, xtask), never
//! the driver. Our `Makefile.toml` overrides the task with `--package ${CARGO_MAKE_CRATE_NAME}`:
//! each member builds itself, the root builds `ramdisk`.
//!
//! This module evaluates the `build` task as cargo-make would for the root member (the
//! layering of the three makefiles and the `@@split` / `@@remove-empty` / `${VAR}`
//! expansions) into a cargo command line; [`selected_packages`] runs its package
//! selection through `cargo tree`, and `cargo xtask test` runs the command itself in the
//! cross-build environment.

use std::{collections::BTreeMap, path::PathBuf};

use anyhow::{Context, Result, bail};
use toml_edit::{Document, Item};

use crate::util::{output, workspace_root};

/// The name under which wdk-build links its makefile into `target/` (`cargo_make.rs`,
/// `RUST_DRIVER_MAKEFILE_NAME`); our `Makefile.toml` must extend exactly that file.
pub const WDK_MAKEFILE_NAME: &str = "rust-driver-makefile.toml";

/// cargo-make's built-in `build` task: the task that runs when no makefile defines
/// `command`/`args`. Copied from cargo-make 0.37.24's `src/lib/descriptor/makefiles/rust.toml`
/// (wdk-build's makefile asks for cargo-make 0.37.16 or later): cargo-make is installed as
/// a binary, so its built-in makefiles are not in the cargo registry to be read at run time.
const CARGO_MAKE_BUILTIN_BUILD: (&str, &[&str]) = (
    "cargo",
    &[
        "build",
        "@@remove-empty(CARGO_MAKE_CARGO_VERBOSE_FLAGS)",
        "@@split(CARGO_MAKE_CARGO_BUILD_TEST_FLAGS, )",
    ],
);

/// Task keys this model understands; any other key in a `build` task (an `alias`, a
/// `script`, a `run_task`, …) would change what runs, so it is an error, not ignored.
const UNDERSTOOD_TASK_KEYS: &[&str] = &[
    "command",
    "args",
    "description",
    "category",
    "install_crate",
    "toolchain",
];

/// The makefiles and the one cargo-make variable that comes from the package.
pub struct Makefiles {
    /// Our `Makefile.toml`.
    pub ours: String,
    /// wdk-build's `rust-driver-makefile.toml`.
    pub wdk_build: String,
    /// Where wdk-build's makefile was read from (for messages).
    pub wdk_build_path: PathBuf,
    /// `CARGO_MAKE_CRATE_NAME` for the root member: the root package's name.
    pub root_package: String,
}

fn metadata() -> Result<serde_json::Value> {
    let json = output(crate::cargo().args(["metadata", "--format-version", "1"]))?;
    serde_json::from_str(&json).context("cargo metadata printed no JSON")
}

impl Makefiles {
    /// Reads `Makefile.toml` and, like wdk-build's `load_rust_driver_makefile`, the
    /// makefile of the one `wdk-build` package `cargo metadata` resolves.
    pub fn load() -> Result<Self> {
        let meta = metadata()?;
        let packages = meta["packages"]
            .as_array()
            .context("cargo metadata: no packages")?;
        let wdk: Vec<&serde_json::Value> = packages
            .iter()
            .filter(|p| p["name"] == "wdk-build")
            .collect();
        let [wdk] = wdk[..] else {
            bail!(
                "cargo metadata resolves {} wdk-build packages; wdk-build's makefile loader needs exactly one",
                wdk.len()
            );
        };
        let wdk_build_path = PathBuf::from(
            wdk["manifest_path"]
                .as_str()
                .context("wdk-build has no manifest_path")?,
        )
        .with_file_name(WDK_MAKEFILE_NAME);
        let root_manifest = workspace_root().join("Cargo.toml");
        let root_package = packages
            .iter()
            .find(|p| p["manifest_path"].as_str().map(PathBuf::from) == Some(root_manifest.clone()))
            .and_then(|p| p["name"].as_str())
            .context("no package at the workspace root")?
            .to_string();
        let read = |path: &PathBuf| {
            std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))
        };
        Ok(Self {
            ours: read(&workspace_root().join("Makefile.toml"))?,
            wdk_build: read(&wdk_build_path)?,
            wdk_build_path,
            root_package,
        })
    }

    /// The program and arguments cargo-make runs for the `build` task at the root, for a
    /// `cargo make` command line whose wdk-build-recognised flags are `cli_flags` (what
    /// wdk-build's `validate_command_line_args` appends to
    /// `CARGO_MAKE_CARGO_BUILD_TEST_FLAGS`, e.g. `--release` for `cargo make default --release`).
    pub fn root_build_command(&self, cli_flags: &str) -> Result<(String, Vec<String>)> {
        let ours = parse(&self.ours, "Makefile.toml")?;
        let wdk = parse(&self.wdk_build, &self.wdk_build_path.display().to_string())?;
        check_structure(&ours, &wdk)?;

        let mut command = CARGO_MAKE_BUILTIN_BUILD.0.to_string();
        let mut args: Vec<String> = CARGO_MAKE_BUILTIN_BUILD
            .1
            .iter()
            .map(ToString::to_string)
            .collect();
        // Later makefiles override earlier ones field by field (cargo-make's extend).
        for (name, doc) in [("wdk-build's makefile", &wdk), ("Makefile.toml", &ours)] {
            let Some(task) = doc.get("tasks").and_then(|t| t.get("build")) else {
                continue;
            };
            let table = task
                .as_table_like()
                .with_context(|| format!("{name}: [tasks.build] is not a table"))?;
            for (key, _) in table.iter() {
                if !UNDERSTOOD_TASK_KEYS.contains(&key) {
                    bail!("{name}: [tasks.build] sets `{key}`, which this model does not evaluate");
                }
            }
            if let Some(c) = task.get("command") {
                command = c
                    .as_str()
                    .with_context(|| format!("{name}: tasks.build.command is not a string"))?
                    .to_string();
            }
            if let Some(a) = task.get("args") {
                args = strings(a).with_context(|| format!("{name}: tasks.build.args"))?;
            }
        }

        let env = BTreeMap::from([
            ("CARGO_MAKE_CRATE_NAME", self.root_package.as_str()),
            // cargo-make's stable.toml: empty unless CARGO_MAKE_CI is true (then --verbose).
            ("CARGO_MAKE_CARGO_VERBOSE_FLAGS", ""),
            ("CARGO_MAKE_CARGO_BUILD_TEST_FLAGS", cli_flags),
        ]);
        let mut expanded = Vec::new();
        for arg in &args {
            expanded.extend(expand(arg, &env)?);
        }
        Ok((command, expanded))
    }
}

impl Makefiles {
    /// The workspace members cargo-make runs the flow in, as its `crateinfo.rs` lists them
    /// (`[workspace] members`, the root package's relative path dependencies, `.` for the
    /// root package) minus `CARGO_MAKE_WORKSPACE_SKIP_MEMBERS` from our makefile's `[env]`
    /// (exact names; cargo-make also accepts globs, which this model rejects).
    pub fn flow_members(&self) -> Result<Vec<String>> {
        let cargo_toml = std::fs::read_to_string(workspace_root().join("Cargo.toml"))?;
        let cargo = parse(&cargo_toml, "Cargo.toml")?;
        let mut members = strings(
            cargo
                .get("workspace")
                .and_then(|w| w.get("members"))
                .context("Cargo.toml has no [workspace] members")?,
        )?;
        if let Some(deps) = cargo.get("dependencies").and_then(Item::as_table_like) {
            for (_, dep) in deps.iter() {
                if let Some(path) = dep.get("path").and_then(Item::as_str) {
                    let path = path.strip_prefix("./").unwrap_or(path);
                    if std::path::Path::new(path).is_relative() {
                        members.push(path.to_string());
                    }
                }
            }
        }
        if cargo.get("package").is_some() {
            members.push(".".into());
        }
        let ours = parse(&self.ours, "Makefile.toml")?;
        let skip = match ours
            .get("env")
            .and_then(|e| e.get("CARGO_MAKE_WORKSPACE_SKIP_MEMBERS"))
        {
            None => Vec::new(),
            Some(item) => strings(item).context("CARGO_MAKE_WORKSPACE_SKIP_MEMBERS")?,
        };
        if skip.iter().any(|s| s.contains('*')) {
            bail!("CARGO_MAKE_WORKSPACE_SKIP_MEMBERS globs are not modelled: {skip:?}");
        }
        let mut flow: Vec<String> = Vec::new();
        for m in members {
            if !skip.contains(&m) && !flow.contains(&m) {
                flow.push(m);
            }
        }
        Ok(flow)
    }
}

fn parse(text: &str, name: &str) -> Result<Document<String>> {
    Document::parse(text.to_string()).with_context(|| format!("{name} is not valid TOML"))
}

fn strings(item: &Item) -> Result<Vec<String>> {
    item.as_array()
        .context("not an array")?
        .iter()
        .map(|v| v.as_str().map(ToString::to_string).context("not a string"))
        .collect()
}

/// The facts about the two makefiles that the evaluation relies on.
fn check_structure(ours: &Document<String>, wdk: &Document<String>) -> Result<()> {
    let extend = ours.get("extend").and_then(Item::as_str);
    if extend != Some(&format!("target/{WDK_MAKEFILE_NAME}")) {
        bail!("Makefile.toml must extend target/{WDK_MAKEFILE_NAME}, found {extend:?}");
    }
    let load_script = ours
        .get("config")
        .and_then(|c| c.get("load_script"))
        .and_then(Item::as_str)
        .unwrap_or_default();
    if !load_script.contains("load_rust_driver_makefile") {
        bail!(
            "Makefile.toml's load_script must call wdk_build::cargo_make::load_rust_driver_makefile"
        );
    }
    let task = |name: &str| wdk.get("tasks").and_then(|t| t.get(name));
    let depends_on_build = |name: &str| {
        task(name)
            .and_then(|t| t.get("dependencies"))
            .and_then(|d| strings(d).ok())
            .is_some_and(|d| d.iter().any(|x| x == "build"))
    };
    if task("default")
        .and_then(|t| t.get("alias"))
        .and_then(Item::as_str)
        != Some("package-driver-flow")
    {
        bail!("wdk-build's default task is no longer an alias of package-driver-flow");
    }
    for name in ["package-driver-flow", "generate-driver-binary-file"] {
        if !depends_on_build(name) {
            bail!("wdk-build's {name} task no longer depends on `build`");
        }
    }
    let unset = wdk
        .get("env")
        .and_then(|e| e.get("CARGO_MAKE_CARGO_BUILD_TEST_FLAGS"))
        .and_then(|v| v.get("unset"))
        .and_then(Item::as_bool);
    if unset != Some(true) {
        bail!(
            "wdk-build's makefile no longer unsets CARGO_MAKE_CARGO_BUILD_TEST_FLAGS: cargo-make's \
             default (--all-features) would then apply, which this model does not evaluate"
        );
    }
    Ok(())
}

/// One task argument as cargo-make expands it: `@@remove-empty(VAR)`, `@@split(VAR,C)`
/// (optionally `,remove-empty`), and `${VAR}` inside plain arguments. Every variable must
/// be one this model knows.
fn expand(arg: &str, env: &BTreeMap<&str, &str>) -> Result<Vec<String>> {
    let var = |name: &str| {
        env.get(name)
            .map(|v| (*v).to_string())
            .with_context(|| format!("{arg}: cargo-make variable {name} is not modelled"))
    };
    if let Some(call) = arg.strip_prefix("@@") {
        let (name, rest) = call
            .split_once('(')
            .with_context(|| format!("{arg}: not a cargo-make function call"))?;
        let inner = rest
            .strip_suffix(')')
            .with_context(|| format!("{arg}: not a cargo-make function call"))?;
        // cargo-make trims each argument unless it is a single character.
        let fargs: Vec<&str> = inner
            .split(',')
            .map(|a| if a.len() == 1 { a } else { a.trim() })
            .collect();
        return match (name, fargs.as_slice()) {
            ("remove-empty", [v]) => {
                let value = var(v)?;
                Ok(if value.is_empty() {
                    vec![]
                } else {
                    vec![value]
                })
            }
            ("split", [v, sep, mode @ ..]) if sep.chars().count() == 1 && mode.len() <= 1 => {
                let remove_empty = mode.first() == Some(&"remove-empty");
                let value = var(v)?;
                if value.is_empty() {
                    return Ok(vec![]);
                }
                Ok(value
                    .split(sep.chars().next().unwrap_or(' '))
                    .filter(|s| !(remove_empty && s.is_empty()))
                    .map(ToString::to_string)
                    .collect())
            }
            _ => bail!("{arg}: cargo-make function not modelled"),
        };
    }
    Ok(vec![substitute(arg, var)?])
}

/// `text` with every `${NAME}` replaced by `var(NAME)` (cargo-make's and duckscript's
/// variable syntax).
pub fn substitute(text: &str, mut var: impl FnMut(&str) -> Result<String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .with_context(|| format!("{text}: unterminated ${{"))?;
        out.push_str(&var(&rest[start + 2..start + end])?);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Flags of `cargo build` that only shape compilation, not which packages are built.
/// `cargo tree` does not accept them, so [`selected_packages`] leaves them out (the value
/// of the flags that take one is skipped too).
const COMPILATION_ONLY: &[(&str, bool)] = &[
    ("--release", false),
    ("-r", false),
    ("--profile", true),
    ("--jobs", true),
    ("-j", true),
    ("--timings", false),
    ("--quiet", false),
    ("-q", false),
    ("--verbose", false),
    ("-v", false),
    ("-vv", false),
];

/// Flags that select packages, features or the target; they are passed to `cargo tree`
/// as they are (the value of the flags that take one too).
const SELECTION: &[(&str, bool)] = &[
    ("--package", true),
    ("-p", true),
    ("--workspace", false),
    ("--all", false),
    ("--exclude", true),
    ("--features", true),
    ("-F", true),
    ("--all-features", false),
    ("--no-default-features", false),
    ("--target", true),
    ("--locked", false),
    ("--frozen", false),
    ("--offline", false),
];

/// Runs the package selection of `cargo build <args>` (the arguments after `build`)
/// through `cargo tree` at the workspace root and returns the names of the root packages
/// it selects. Any argument that is neither a selection nor a compilation-only flag is
/// an error, so a change to the invocation cannot slip past unexamined.
pub fn selected_packages(build_args: &[String]) -> Result<Vec<String>> {
    let mut tree_args: Vec<&str> = Vec::new();
    let mut it = build_args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline_value) = arg
            .split_once('=')
            .map_or((arg.as_str(), false), |(f, _)| (f, true));
        if let Some((_, takes)) = COMPILATION_ONLY.iter().find(|(f, _)| *f == flag) {
            if *takes && !inline_value {
                it.next();
            }
        } else if let Some((_, takes)) = SELECTION.iter().find(|(f, _)| *f == flag) {
            tree_args.push(arg);
            if *takes && !inline_value {
                tree_args.push(it.next().with_context(|| format!("{arg} needs a value"))?);
            }
        } else {
            bail!("cargo build argument {arg:?} is not modelled by the package-selection check");
        }
    }
    let mut cmd = crate::cargo();
    cmd.arg("tree").args(&tree_args);
    if !tree_args.iter().any(|a| a.starts_with("--target")) {
        // `cargo make` on Windows builds for the host: the driver's target.
        cmd.args(["--target", crate::cross::DRIVER_TARGET]);
    }
    cmd.args([
        "--depth", "0", "--edges", "normal", "--prefix", "none", "--format", "{p}",
    ]);
    let out = output(&mut cmd)?;
    let mut roots: Vec<String> = out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(ToString::to_string)
        .collect();
    roots.sort();
    roots.dedup();
    Ok(roots)
}

/// The `cargo xtask test` stage: evaluates the root's `build` task for
/// `cargo make default --release`, checks its package selection, then runs exactly that
/// command line in the cross-build environment (plus `--target` and `--config`, which set
/// the environment, not what is built) and checks it produced `ramdisk.dll` where
/// our `generate-driver-binary-file` reads it: `<target dir>/<triple>/release/`
/// (`WDK_BUILD_OUTPUT_DIRECTORY` with `--target`), named after the package's library;
/// then evaluates the package folder's names ([`crate::package_names::evaluate`]).
pub fn check_build_task() -> Result<()> {
    let makefiles = Makefiles::load()?;
    println!(
        "wdk-build's makefile: {}",
        makefiles.wdk_build_path.display()
    );
    println!("cargo-make flow members: {:?}", makefiles.flow_members()?);
    let (command, args) = makefiles.root_build_command("--release")?;
    println!(
        "`cargo make default --release` at the root runs: {command} {}",
        args.join(" ")
    );
    if command != "cargo" || args.first().map(String::as_str) != Some("build") {
        bail!("the build task is not a `cargo build`");
    }
    let roots = selected_packages(&args[1..])?;
    println!("its package selection (cargo tree): {roots:?}");
    if !roots.contains(&makefiles.root_package) {
        bail!(
            "the build task builds {roots:?}, not the driver {}",
            makefiles.root_package
        );
    }
    let (target_dir, artifacts) = crate::cross::build_messages(&args)?;
    let fs_name = makefiles.root_package.replace('-', "_");
    let want = target_dir
        .join(crate::cross::DRIVER_TARGET)
        .join("release")
        .join(format!("{fs_name}.dll"));
    let built = artifacts.iter().find(|a| {
        a["target"]["name"] == fs_name.as_str()
            && a["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "cdylib"))
    });
    let Some(built) = built else {
        bail!("cargo built no cdylib `{fs_name}` with that command line");
    };
    let files: Vec<&str> = built["filenames"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f.as_str()).collect())
        .unwrap_or_default();
    if !files.iter().any(|f| std::path::Path::new(f) == want) || !want.is_file() {
        bail!(
            "cargo's artifacts {files:?} do not include {}",
            want.display()
        );
    }
    let names = crate::package_names::evaluate(&makefiles)?;
    println!(
        "it builds {} (fresh: {}), the file our generate-driver-binary-file copies to {}.sys",
        want.display(),
        built["fresh"],
        names.fs_name
    );
    println!(
        "the package folder {} gets: {}",
        names.folder,
        names.files.join(", ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<&'static str, &'static str> {
        BTreeMap::from([("A", "x y"), ("EMPTY", ""), ("NAME", "ramdisk")])
    }

    #[test]
    fn expansions_follow_cargo_make() {
        let e = env();
        assert_eq!(expand("@@split(A, )", &e).unwrap(), ["x", "y"]);
        assert_eq!(
            expand("@@split(EMPTY, )", &e).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            expand("@@remove-empty(EMPTY)", &e).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(expand("@@remove-empty(A)", &e).unwrap(), ["x y"]);
        assert_eq!(
            expand("--package=${NAME}!", &e).unwrap(),
            ["--package=ramdisk!"]
        );
        assert_eq!(expand("plain", &e).unwrap(), ["plain"]);
        assert!(expand("${UNKNOWN}", &e).is_err());
        assert!(expand("@@getat(A,0)", &e).is_err());
    }

    /// The real files: our Makefile.toml over wdk-build's makefile from the cargo registry.
    fn real() -> Makefiles {
        Makefiles::load().expect("Makefile.toml and wdk-build's makefile")
    }

    #[test]
    fn makefile_build_task_builds_the_driver() {
        let m = real();
        for cli_flags in ["", "--release"] {
            let (command, args) = m.root_build_command(cli_flags).unwrap();
            assert_eq!(command, "cargo");
            assert_eq!(args.first().map(String::as_str), Some("build"), "{args:?}");
            let roots = selected_packages(&args[1..]).unwrap();
            assert!(
                roots.iter().any(|r| r == "ramdisk"),
                "`cargo make{}` runs `cargo {}` at the root, which builds {roots:?}: not the driver `ramdisk`",
                if cli_flags.is_empty() {
                    String::new()
                } else {
                    format!(" default {cli_flags}")
                },
                args.join(" ")
            );
        }
    }

    #[test]
    fn without_our_override_the_builtin_task_misses_the_driver() {
        // The counter-example: the same evaluation with our [tasks.build] removed is
        // cargo-make's built-in `cargo build`, which at the root selects default-members.
        let mut m = real();
        let start = m
            .ours
            .find("[tasks.build]")
            .expect("Makefile.toml overrides the build task");
        let end = m.ours[start + 1..]
            .find("\n[")
            .map_or(m.ours.len(), |i| start + 2 + i);
        m.ours.replace_range(start..end, "");
        assert!(
            parse(&m.ours, "edited Makefile.toml")
                .unwrap()
                .get("tasks")
                .and_then(|t| t.get("build"))
                .is_none()
        );
        let (_, args) = m.root_build_command("").unwrap();
        assert_eq!(args, ["build"]);
        let roots = selected_packages(&args[1..]).unwrap();
        assert!(!roots.iter().any(|r| r == "ramdisk"), "{roots:?}");
        assert!(roots.iter().any(|r| r == "ramdisk-core"), "{roots:?}");
    }

    #[test]
    fn flow_runs_at_the_root_and_skips_xtask() {
        // xtask uses Unix-only std APIs and does not compile for Windows; a `cargo make`
        // that entered its directory would fail there.
        let m = real();
        let flow = m.flow_members().unwrap();
        assert!(flow.iter().any(|x| x == "."), "{flow:?}");
        assert!(!flow.iter().any(|x| x == "xtask"), "{flow:?}");
        let mut without_skip = real();
        without_skip.ours = without_skip
            .ours
            .replace("CARGO_MAKE_WORKSPACE_SKIP_MEMBERS", "UNRELATED_VARIABLE");
        assert!(
            without_skip
                .flow_members()
                .unwrap()
                .iter()
                .any(|x| x == "xtask")
        );
    }

    #[test]
    fn structure_checks_fail_on_changed_makefiles() {
        let m = real();
        let broken = |ours: &str, wdk: &str| Makefiles {
            ours: ours.to_string(),
            wdk_build: wdk.to_string(),
            wdk_build_path: m.wdk_build_path.clone(),
            root_package: m.root_package.clone(),
        };
        let e = |mk: Makefiles| mk.root_build_command("").unwrap_err().to_string();
        assert!(
            e(broken(
                &m.ours.replace("target/rust-driver", "x/rust-driver"),
                &m.wdk_build
            ))
            .contains("must extend")
        );
        assert!(
            e(broken(
                &m.ours,
                &m.wdk_build
                    .replace("alias = \"package-driver-flow\"", "alias = \"other\"")
            ))
            .contains("default task")
        );
        assert!(
            e(broken(
                &m.ours,
                &m.wdk_build.replace(
                    "CARGO_MAKE_CARGO_BUILD_TEST_FLAGS = { unset = true }",
                    "CARGO_MAKE_CARGO_BUILD_TEST_FLAGS = \"--all-features\""
                )
            ))
            .contains("no longer unsets")
        );
        assert!(
            e(broken(
                &m.ours
                    .replace("[tasks.build]", "[tasks.build]\nalias = \"x\""),
                &m.wdk_build
            ))
            .contains("does not evaluate")
        );
    }
}
