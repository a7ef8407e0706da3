//! `ramdiskctl selftest` under Wine (issue 13): the exact table of checks, which
//! pass and which are "not available here" and why, and that nothing on the disk
//! changed (identity is never proven under Wine, so nothing destructive may run,
//! `--format` or not).

use std::{fmt::Write as _, fs, path::Path};

use anyhow::{Context, Result, anyhow, ensure};

use super::{
    Config, Env, cleanup, ctl_ok, device, globalroot, install, json, no_crash,
    runner::{Case, Scenario, Suite},
};
use crate::wine::{Out, Wine};

/// The exit code of a selftest whose identity could not be proven.
const EXIT_NOT_PROVEN: i32 = 6;

/// The scenario's cases.
pub fn cases(env: &Env) -> Vec<Case<'_>> {
    vec![
        Case::new(Scenario::Selftest, "selftest/wine-table", |s| {
            wine_table(s, &env.sys);
            Ok(())
        }),
        Case::new(Scenario::Selftest, "selftest/another-volume", |s| {
            another_volume(s);
            Ok(())
        }),
    ]
}

/// One expected row: id, status (as `--json` spells it), detail.
type Row = (&'static str, &'static str, String);

/// What `ramdiskctl selftest` must report under Wine `version` for the disk on
/// `letter` (device path `path`) whose boot sector carries `serial` (`XXXX-XXXX`).
fn expected_rows(
    version: &str,
    path: &str,
    letter: Option<char>,
    serial: &str,
    format: bool,
) -> Vec<Row> {
    let not_proven =
        "not run: the identity is not proven (nothing touches a volume not proven to be this disk)";
    let needs_format = "not run: needs --format (it erases the disk)";
    let formatting = if format { not_proven } else { needs_format };
    let volume = letter.map_or_else(
        || "the device is not a drive letter: only a letter's root reaches the file system".into(),
        |l| {
            format!(
            "Wine {version} mounts no file system on the disk (paths under {l}:\\ go through its \
             dosdevices/ folder), so no volume serial can prove {l}:\\ is it \
             (GetVolumeInformationW: Invalid function. (Win32 error 1); boot sector serial {serial})"
            )
        },
    );
    let mut rows: Vec<Row> = vec![
        (
            "device-identity",
            "passed",
            format!(
                r#"{path}: vendor "Rust", product "RAM Disk", revision "0.1" (IOCTL_STORAGE_QUERY_PROPERTY)"#
            ),
        ),
        ("volume-identity", "not_available", volume),
    ];
    for id in ["free-space", "volume-names", "files", "dismount"] {
        rows.push((id, "not_available", not_proven.into()));
    }
    rows.push((
        "device-dacl",
        "not_available",
        format!(
            "Wine {version} gives user mode the device file's descriptor, not the device's (no DACL); \
             the driver logs the DACL it reads back from its device instead"
        ),
    ));
    rows.push((
        "non-elevated-open",
        "not_available",
        format!(
            "Wine {version} does not apply the device's DACL to opens, its device file has an empty \
             descriptor (the restricted open succeeded)"
        ),
    ));
    for id in [
        "format-ntfs",
        "ntfs-files",
        "chkdsk",
        "trim",
        "format-fat32",
    ] {
        rows.push((id, "not_available", formatting.into()));
    }
    rows
}

/// The rows of a `--json` selftest report.
fn rows_of(j: &serde_json::Value) -> Result<Vec<(String, String, String)>> {
    j["checks"]
        .as_array()
        .context("no \"checks\" array")?
        .iter()
        .map(|c| {
            let field = |k: &str| {
                c[k].as_str()
                    .map(str::to_string)
                    .ok_or_else(|| anyhow!("check without {k:?}: {c}"))
            };
            Ok((field("id")?, field("status")?, field("detail")?))
        })
        .collect()
}

/// Compares rows one by one, naming the first difference.
fn same_rows(got: &[(String, String, String)], want: &[Row]) -> Result<()> {
    for (i, w) in want.iter().enumerate() {
        let g = got
            .get(i)
            .with_context(|| format!("row {i} ({}) missing", w.0))?;
        ensure!(
            (g.0.as_str(), g.1.as_str(), g.2.as_str()) == (w.0, w.1, w.2.as_str()),
            "row {i}:\n  got  {g:?}\n  want {w:?}"
        );
    }
    ensure!(
        got.len() == want.len(),
        "{} rows, want {}",
        got.len(),
        want.len()
    );
    Ok(())
}

/// The version `wine_get_version()` reports: `wine --version` prints `wine-8.0 ...`.
fn wine_version(w: &Wine) -> Result<String> {
    let out = w.wine(&["--version"])?.check()?;
    out.stdout
        .split_whitespace()
        .next()
        .and_then(|v| v.strip_prefix("wine-"))
        .map(str::to_string)
        .with_context(|| format!("`wine --version` said {:?}", out.stdout))
}

/// The volume serial of an image, as `XXXX-XXXX`, read by the fatfs crate (not by
/// ramdisk-core, which the tool uses).
fn fatfs_serial(img: &Path) -> Result<String> {
    let fs = fatfs::FileSystem::new(fs::File::open(img)?, fatfs::FsOptions::new())
        .map_err(|e| anyhow!("fatfs: {e}"))?;
    let id = fs.volume_id();
    Ok(format!("{:04X}-{:04X}", id >> 16, id & 0xFFFF))
}

/// Runs `ramdiskctl <args>`: it must exit 6 (identity not proven).
fn selftest(w: &Wine, args: &[&str]) -> Result<Out> {
    let out = w.ctl(args)?;
    ensure!(
        out.code == EXIT_NOT_PROVEN,
        "`{}` exited {}, want {EXIT_NOT_PROVEN}:\n{}",
        out.shown,
        out.code,
        out.text()
    );
    Ok(out)
}

/// The text `ramdiskctl selftest` prints for `rows` (under Wine, nothing failed).
fn expected_text(dev: &str, version: &str, rows: &[Row]) -> String {
    let id_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let mut want = format!(
        "selftest of {dev} on Wine {version}\n{:id_w$}  {:13}  detail\n",
        "check", "status"
    );
    for (id, status, detail) in rows {
        let shown = match *status {
            "passed" => "passed",
            "failed" => "FAILED",
            _ => "not available",
        };
        let _ = writeln!(want, "{id:id_w$}  {shown:13}  {detail}");
    }
    want.push_str(
        "verdict: identity not proven: nothing failed, but the file-system checks could not run \
         (1 passed, 0 failed, 12 not available; exit 6)\n",
    );
    want
}

fn wine_table(s: &mut Suite<'_>, sys: &Path) {
    let letter = 'R';
    let dev = device(letter);
    cleanup(s.wine);
    let started = s.case("selftest: a 16 MiB disk on R: installed and started", |w| {
        install(w, sys, &Config::new(16 << 20, letter))?;
        ctl_ok(w, &["start", "--no-broadcast"])?;
        Ok(String::new())
    });
    if !started {
        cleanup(s.wine);
        return;
    }
    let dir = s.wine.log_dir.join("selftest");
    let before = dir.join("before.img");
    let context = (|| -> Result<(String, String)> {
        fs::create_dir_all(&dir)?;
        ctl_ok(s.wine, &["dump", &before.display().to_string(), &dev])?;
        Ok((wine_version(s.wine)?, fatfs_serial(&before)?))
    })();
    match context {
        Ok((version, serial)) => tables(s, &dev, letter, &version, &serial),
        Err(e) => {
            s.case("selftest: the disk's serial and Wine's version", |_| Err(e));
        }
    }
    s.case(
        "selftest changed nothing on the disk (the image is byte-identical), the driver unloads cleanly",
        |w| {
            let after = dir.join("after.img");
            ctl_ok(w, &["dump", &after.display().to_string(), &dev])?;
            let same = fs::read(&before)? == fs::read(&after)?;
            let mark = w.log_mark();
            ctl_ok(w, &["stop", &dev, "--no-broadcast"])?;
            ctl_ok(w, &["uninstall"])?;
            no_crash(w, mark)?;
            ensure!(same, "the image changed");
            ensure!(
                w.driver_lines(mark).iter().any(|l| l.contains("unloaded, pool balance 0")),
                "no clean unload"
            );
            fs::remove_file(&before)?;
            fs::remove_file(&after)?;
            Ok(String::new())
        },
    );
    cleanup(s.wine);
}

/// The three runs on the started disk: text with the default device, `--json
/// --format`, and the device by its NT name.
fn tables(s: &mut Suite<'_>, dev: &str, letter: char, version: &str, serial: &str) {
    s.case(
        "selftest (text, default device): the exact table, identity not available, exit 6",
        |w| {
            let out = selftest(w, &["selftest"])?;
            let rows = expected_rows(version, dev, Some(letter), serial, false);
            let want = expected_text(dev, version, &rows);
            ensure!(out.stdout == want, "stdout:\n{}\nwant:\n{want}", out.stdout);
            ensure!(
                out.stderr
                    .contains("ramdiskctl: selftest: identity not proven"),
                "stderr: {}",
                out.stderr
            );
            Ok(format!("{} rows", rows.len()))
        },
    );
    s.case(
        "selftest --format --json: the same checks, the format ones not run, one JSON object",
        |w| {
            let out = selftest(w, &["--json", "selftest", dev, "--format"])?;
            let j = json(&out)?;
            same_rows(
                &rows_of(&j)?,
                &expected_rows(version, dev, Some(letter), serial, true),
            )?;
            for (key, want) in [
                ("exit_code", serde_json::json!(6)),
                ("identity_proven", serde_json::json!(false)),
                ("format", serde_json::json!(true)),
                ("passed", serde_json::json!(1)),
                ("failed", serde_json::json!(0)),
                ("not_available", serde_json::json!(12)),
                ("host", serde_json::json!(format!("Wine {version}"))),
            ] {
                ensure!(j[key] == want, "{key}: {} (want {want})", j[key]);
            }
            Ok(String::new())
        },
    );
    s.case(
        r"selftest \\.\GLOBALROOT\Device\Ramdisk0: no drive letter, so the volume half cannot be asked",
        |w| {
            let path = globalroot();
            let out = selftest(w, &["--json", "selftest", &path])?;
            same_rows(
                &rows_of(&json(&out)?)?,
                &expected_rows(version, &path, None, serial, false),
            )?;
            Ok(String::new())
        },
    );
}

/// `selftest C: [--format]`: Wine's own drive, not this driver's disk. The device
/// half of the identity fails, so the run fails (exit 1) and nothing else runs: no
/// directory appears on `C:`, `--format` or not.
fn another_volume(s: &mut Suite<'_>) {
    s.case(
        "selftest C: (not this driver's disk): device-identity fails, nothing else runs, exit 1",
        |w| {
            let path = device('C');
            let not_ours = "not run: the device is not proven to be this driver's disk";
            for format in [false, true] {
                let mut args = vec!["--json", "selftest", "C:"];
                if format {
                    args.push("--format");
                }
                let out = w.ctl(&args)?;
                ensure!(out.code == 1, "`{}` exited {}: {}", out.shown, out.code, out.text());
                // Wine's C: answers the device query with empty strings.
                let mut want: Vec<Row> = vec![
                    (
                        "device-identity",
                        "failed",
                        format!(
                            r#"{path} is not this driver's disk: vendor "", product "" (the driver reports "Rust", "RAM Disk")"#
                        ),
                    ),
                    ("volume-identity", "not_available", not_ours.into()),
                ];
                for (id, status, detail) in expected_rows("", &path, Some('C'), "", format).into_iter().skip(2) {
                    let detail = match id {
                        "device-dacl" | "non-elevated-open" => not_ours.into(),
                        _ => detail,
                    };
                    want.push((id, status, detail));
                }
                let j = json(&out)?;
                same_rows(&rows_of(&j)?, &want)?;
                ensure!(j["verdict"] == "FAILED: 1 check(s) failed", "{}", j["verdict"]);
            }
            let c = w.prefix().join("drive_c").join("ramdisk-selftest");
            ensure!(!c.exists(), "{} exists", c.display());
            Ok(String::new())
        },
    );
}
