//! `cargo xtask fuzz --seconds N`: every cargo-fuzz target of `core/fuzz` for
//! N seconds each, one after the other (libFuzzer on the nightly toolchain).
//!
//! The committed corpus (`core/fuzz/corpus/<target>`) is only read; new inputs
//! go to `target/fuzz/corpus/<target>`, logs to `target/fuzz/logs/<target>.log`,
//! crash inputs to `core/fuzz/artifacts/<target>/` (git-ignored). To fold a run
//! back into the committed corpus, merge (minimize) it by hand:
//! `cargo +nightly fuzz run --fuzz-dir core/fuzz --target-dir target/fuzz/build
//! <target> <new-dir> core/fuzz/corpus/<target> target/fuzz/corpus/<target> -- -merge=1`.

use std::{
    fs,
    path::PathBuf,
    process::{Command, Stdio},
    time::Instant,
};

use anyhow::{Context, Result, bail};

use crate::util::{run, target_dir, workspace_root};

/// One target's outcome.
struct Outcome {
    target: String,
    execs: Option<u64>,
    secs: f64,
    new_units: Option<u64>,
    ok: bool,
}

/// `cargo` through the rustup proxy (so `+nightly` works), without the
/// variables the outer `cargo xtask` set for the stable toolchain.
pub fn rustup_cargo() -> Command {
    let mut c = Command::new("cargo");
    c.current_dir(workspace_root())
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC");
    c
}

/// Installs cargo-fuzz unless `cargo fuzz` already works.
fn ensure_cargo_fuzz() -> Result<()> {
    let present = rustup_cargo()
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    println!("cargo-fuzz missing: installing it (cargo install cargo-fuzz --locked)");
    run(rustup_cargo().args(["install", "cargo-fuzz", "--locked"]))
}

fn fuzz_dir() -> PathBuf {
    workspace_root().join("core/fuzz")
}

/// The targets: one per `core/fuzz/fuzz_targets/*.rs`, sorted.
fn targets() -> Result<Vec<String>> {
    let dir = fuzz_dir().join("fuzz_targets");
    let mut names = Vec::new();
    for entry in fs::read_dir(&dir).with_context(|| format!("read {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs")
            && let Some(stem) = path.file_stem()
        {
            names.push(stem.to_string_lossy().into_owned());
        }
    }
    names.sort();
    if names.is_empty() {
        bail!("no fuzz targets in {}", dir.display());
    }
    Ok(names)
}

/// `cargo +nightly fuzz <sub> --fuzz-dir core/fuzz --target-dir target/fuzz/build`.
fn cargo_fuzz(sub: &str) -> Command {
    let mut c = rustup_cargo();
    c.args(["+nightly", "fuzz", sub, "--fuzz-dir"])
        .arg(fuzz_dir())
        .arg("--target-dir")
        .arg(target_dir().join("fuzz/build"));
    c
}

/// The number after `key` on the last line of `log` that has it.
fn stat(log: &str, key: &str) -> Option<u64> {
    log.lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix(key))
        .and_then(|rest| rest.trim().parse().ok())
}

fn fuzz_one(target: &str, seconds: u64) -> Result<Outcome> {
    let work = target_dir().join("fuzz");
    let corpus = work.join("corpus").join(target);
    let logs = work.join("logs");
    fs::create_dir_all(&corpus)?;
    fs::create_dir_all(&logs)?;
    let log_path = logs.join(format!("{target}.log"));
    let log = fs::File::create(&log_path)?;
    println!(
        "\n==> fuzz {target} for {seconds} s (log: {})",
        log_path.display()
    );
    let start = Instant::now();
    let status = cargo_fuzz("run")
        .arg(target)
        .arg(&corpus)
        .arg(fuzz_dir().join("corpus").join(target))
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg("-print_final_stats=1")
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .context("cannot start cargo +nightly fuzz run")?;
    let secs = start.elapsed().as_secs_f64();
    let text = fs::read_to_string(&log_path).unwrap_or_default();
    let outcome = Outcome {
        target: target.to_string(),
        execs: stat(&text, "stat::number_of_executed_units:"),
        secs,
        new_units: stat(&text, "stat::new_units_added:"),
        ok: status.success(),
    };
    if outcome.ok {
        println!(
            "<== {target}: {} execs in {secs:.0} s, {} new inputs in {}",
            outcome.execs.map_or_else(|| "?".into(), |n| n.to_string()),
            outcome
                .new_units
                .map_or_else(|| "?".into(), |n| n.to_string()),
            corpus.display()
        );
    } else {
        let lines: Vec<&str> = text.lines().collect();
        for line in &lines[lines.len().saturating_sub(40)..] {
            eprintln!("  | {line}");
        }
        eprintln!(
            "<== {target}: FAILED ({status}); crash inputs in {}",
            fuzz_dir().join("artifacts").join(target).display()
        );
    }
    Ok(outcome)
}

/// Runs every target for `seconds` seconds and prints exec counts.
pub fn run_all(seconds: u64) -> Result<()> {
    ensure_cargo_fuzz()?;
    let targets = targets()?;
    println!("building fuzz targets: {}", targets.join(", "));
    run(&mut cargo_fuzz("build"))?;
    let mut outcomes = Vec::new();
    for target in &targets {
        outcomes.push(fuzz_one(target, seconds)?);
    }
    print_summary(&outcomes);
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.ok)
        .map(|o| o.target.as_str())
        .collect();
    if !failed.is_empty() {
        bail!("fuzz target(s) failed: {}", failed.join(", "));
    }
    Ok(())
}

fn print_summary(outcomes: &[Outcome]) {
    println!("\nfuzz summary:");
    println!(
        "  {:<10} {:>14} {:>8} {:>10} {:>6}  result",
        "target", "execs", "secs", "execs/s", "new"
    );
    let mut total = 0u64;
    for o in outcomes {
        let execs = o.execs.unwrap_or(0);
        total += execs;
        #[allow(clippy::cast_precision_loss, reason = "a rate for display")]
        let rate = execs as f64 / o.secs.max(1e-9);
        println!(
            "  {:<10} {:>14} {:>8.0} {:>10.0} {:>6}  {}",
            o.target,
            execs,
            o.secs,
            rate,
            o.new_units.map_or_else(|| "?".into(), |n| n.to_string()),
            if o.ok {
                "ok, 0 crashes"
            } else {
                "CRASH (see log)"
            }
        );
    }
    println!("  {:<10} {total:>14}", "total");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libfuzzer_final_stats() {
        let log = "#1024 pulse cov: 10\nDone 165686 runs in 16 second(s)\n\
                   stat::number_of_executed_units: 165686\n\
                   stat::average_exec_per_sec:     10355\n\
                   stat::new_units_added:          530\n";
        assert_eq!(stat(log, "stat::number_of_executed_units:"), Some(165_686));
        assert_eq!(stat(log, "stat::new_units_added:"), Some(530));
        assert_eq!(stat(log, "stat::missing:"), None);
    }

    #[test]
    fn targets_match_the_corpus_directories() {
        for t in targets().unwrap() {
            assert!(
                fuzz_dir().join("corpus").join(&t).is_dir(),
                "{t} has no committed corpus"
            );
        }
    }
}
