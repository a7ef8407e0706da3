//! Small helpers: running commands loudly, timing stages, locating the workspace.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use anyhow::{Context, Result, bail};

/// The workspace root (the directory holding the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    workspace_root().join("target")
}

/// Runs a command to completion, failing with its command line when it exits non-zero.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("command failed ({status}): {shown}");
    }
    Ok(())
}

/// Runs a command and returns its standard output, failing when it exits non-zero.
pub fn output(cmd: &mut Command) -> Result<String> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .with_context(|| format!("cannot start {shown}"))?;
    if !out.status.success() {
        bail!(
            "command failed ({}): {shown}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Writes `contents` to `path` only when it differs, so file times (and cargo's
/// fingerprints) stay put when nothing changed. Returns whether it wrote.
pub fn write_if_changed(path: &Path, contents: &[u8]) -> Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("mkdir {}", parent.display()))?;
    }
    std::fs::write(path, contents).with_context(|| format!("write {}", path.display()))?;
    Ok(true)
}

/// Every file below `dir` (recursively, sorted), not descending into directories
/// named `skip`.
pub fn files_below(dir: &Path, skip: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                if path.file_name().is_none_or(|n| n != skip) {
                    stack.push(path);
                }
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Times named stages and prints a summary table at the end.
#[derive(Default)]
pub struct Stages {
    done: Vec<(String, f64, bool)>,
}

impl Stages {
    /// Runs one stage, printing its name first and its duration after.
    pub fn run<T>(&mut self, name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        println!("\n==> {name}");
        let start = Instant::now();
        let result = f();
        let secs = start.elapsed().as_secs_f64();
        let ok = result.is_ok();
        println!(
            "<== {name}: {} in {secs:.1} s",
            if ok { "ok" } else { "FAILED" }
        );
        self.done.push((name.to_string(), secs, ok));
        result
    }

    /// Prints how long each stage took.
    pub fn summary(&self) {
        println!("\nstage times:");
        let mut total = 0.0;
        for (name, secs, ok) in &self.done {
            total += secs;
            println!(
                "  {secs:7.1} s  {}  {name}",
                if *ok { "ok  " } else { "FAIL" }
            );
        }
        println!("  {total:7.1} s  total");
    }
}
