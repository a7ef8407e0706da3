//! The lifecycle: `ramdiskctl install` → `start` → `info` → the I/O contract and
//! concurrency (`ramdisk-e2e`) → `verify` → `bench --destructive` → `load` refusing a
//! wrong size → `stop` → `uninstall`; then 20 start/stop cycles; then a service of our
//! name that is not this driver, which ramdiskctl must leave alone.

use std::{fs, path::Path};

use anyhow::{Result, ensure};

use super::{
    Config, Env, cleanup, contract, ctl_ok, device, globalroot, install, json, no_crash, present,
    runner::{Case, Scenario, Suite},
};
use crate::wine::{ERROR_LEVEL, IHVDRIVER, INFO_LEVEL, PARAMS, SERVICE, WARNING_LEVEL, win_path};

/// The scenario's cases.
pub fn cases(env: &Env) -> Vec<Case<'_>> {
    vec![
        Case::new(Scenario::Lifecycle, "lifecycle/install-to-uninstall", |s| {
            install_to_uninstall(s, &env.sys);
            Ok(())
        }),
        Case::new(Scenario::Lifecycle, "lifecycle/start-stop-cycles", |s| {
            start_stop_cycles(s, &env.sys);
            Ok(())
        }),
        Case::new(Scenario::Lifecycle, "lifecycle/diagnostics", |s| {
            diagnostics(s, &env.sys);
            Ok(())
        }),
        Case::new(Scenario::Lifecycle, "lifecycle/foreign-service", |s| {
            foreign_service(s, &env.sys);
            Ok(())
        }),
    ]
}

/// What `start`/`stop --json` said about telling Explorer: `broadcast` true, or false
/// with the reason in `broadcast_note`; `SHChangeNotify` called either way.
fn announced(j: &serde_json::Value) -> Result<String> {
    ensure!(j["shell_notify"] == true, "SHChangeNotify not called: {j}");
    match j["broadcast"].as_bool() {
        Some(true) => Ok("broadcast sent".into()),
        Some(false) => {
            let note = j["broadcast_note"].as_str().unwrap_or("");
            ensure!(!note.is_empty(), "no broadcast and no reason: {j}");
            Ok(format!("broadcast {note}"))
        }
        None => anyhow::bail!("no \"broadcast\" in {j}"),
    }
}

#[allow(clippy::too_many_lines, reason = "a script: one check after the other")]
fn install_to_uninstall(s: &mut Suite<'_>, sys: &Path) {
    let cfg = Config::new(64 << 20, 'R');
    let dev = device('R');
    cleanup(s.wine);
    if !s.case(
        "install: ramdiskctl install creates the service and Parameters",
        |w| {
            install(w, sys, &cfg)?;
            let q = w.wine(&["reg", "query", PARAMS])?.check()?;
            ensure!(
                q.stdout.contains("DiskSize") && q.stdout.contains("DriveLetter"),
                "Parameters: {}",
                q.stdout
            );
            Ok(String::new())
        },
    ) {
        return;
    }
    let started = s.case(
        "start: ramdiskctl start loads the driver, its DbgPrintEx lines reach the log",
        |w| {
            let mark = w.log_mark();
            let j = json(&ctl_ok(w, &["--json", "start"])?)?;
            let lines = w.driver_lines(mark);
            no_crash(w, mark)?;
            ensure!(
                !lines.is_empty(),
                "no \"ramdisk:\" line in {}",
                w.session_log().display()
            );
            ensure!(j["running"] == true, "{j}");
            Ok(format!("{}; {}", lines.join(" | "), announced(&j)?))
        },
    );
    if started {
        s.case(
            "info --json: 64 MiB, a FAT volume, geometry and partition",
            |w| {
                let j = json(&ctl_ok(w, &["--json", "info", &dev])?)?;
                ensure!(j["size"] == 64 << 20, "size {}", j["size"]);
                ensure!(
                    j["file_system"]["type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("FAT")),
                    "{j}"
                );
                ensure!(j["geometry"]["bytes_per_sector"] == 512, "{j}");
                ensure!(j["partition"]["length"] == 64 << 20, "{j}");
                Ok(format!(
                    "{} {} clusters of {}",
                    j["file_system"]["type"].as_str().unwrap_or("?"),
                    j["file_system"]["clusters"],
                    j["file_system"]["cluster_size"]
                ))
            },
        );
        s.case(&format!("{} opens too", globalroot()), |w| {
            ensure!(present(w, &globalroot())?, "it does not");
            Ok(String::new())
        });
        contract(s, "contract", &dev, 'R', &[]);
        let mark = s.wine.log_mark();
        let out = s
            .wine
            .e2e(&["concurrency", &dev, "--threads", "8", "--ops", "500"]);
        s.absorb("concurrency", &out, mark);
        s.case("verify: every sector reads", |w| {
            let j = json(&ctl_ok(w, &["--json", "verify", &dev])?)?;
            ensure!(j["bad_sectors"] == 0 && j["bytes_ok"] == 64 << 20, "{j}");
            Ok(format!("{:.0} MB/s", j["mb_per_s"].as_f64().unwrap_or(0.0)))
        });
        s.case(
            "bench --destructive: runs and restores the scratch range",
            |w| {
                let dir = w.log_dir.join("bench");
                fs::create_dir_all(&dir)?;
                let (a, b) = (dir.join("before.img"), dir.join("after.img"));
                ctl_ok(w, &["dump", &a.display().to_string(), &dev])?;
                let j = json(&ctl_ok(
                    w,
                    &[
                        "--json",
                        "bench",
                        &dev,
                        "--destructive",
                        "--seconds",
                        "0.2",
                        "--scratch",
                        "8M",
                        "--seq-bytes",
                        "8M",
                    ],
                )?)?;
                ctl_ok(w, &["dump", &b.display().to_string(), &dev])?;
                ensure!(fs::read(&a)? == fs::read(&b)?, "the image changed");
                let rows = j["results"].as_array().map_or(0, Vec::len);
                ensure!(rows == 6, "{rows} results: {j}");
                fs::remove_file(a)?;
                fs::remove_file(b)?;
                Ok(format!("{rows} results"))
            },
        );
        s.case("load refuses an image of another size (exit 4)", |w| {
            let f = w.log_dir.join("short.img");
            fs::write(&f, vec![0u8; (64 << 20) - 512])?;
            let out = w.ctl(&["load", &f.display().to_string(), &dev])?;
            fs::remove_file(&f)?;
            ensure!(out.code == 4, "exit {}: {}", out.code, out.text());
            Ok(out.stderr.trim().to_string())
        });
        s.case(
            "stop: ramdiskctl stop unloads the driver, pool balance 0",
            |w| {
                let mark = w.log_mark();
                let j = json(&ctl_ok(w, &["--json", "stop", &dev])?)?;
                no_crash(w, mark)?;
                let lines = w.driver_lines(mark);
                ensure!(
                    lines.iter().any(|l| l.contains("pool balance 0")),
                    "no \"pool balance 0\" line: {lines:?}"
                );
                ensure!(j["stopped"] == true, "{j}");
                // The volume was there, so both requests were made; under Wine ntdll
                // answers the lock itself and the dismount reaches the driver.
                for step in ["lock", "dismount"] {
                    ensure!(j[step] == "done" || j[step] == "unsupported", "{step}: {j}");
                }
                // DELETE_POINTS for R: went to Wine's mount manager, which refuses it
                // (STATUS_NOT_SUPPORTED), with a warning; the driver's own link goes at unload.
                ensure!(j["mount_point"] == "unsupported", "mount_point: {j}");
                ensure!(
                    j["warnings"].as_array().is_some_and(|w| w.iter().any(|w| w
                        .as_str()
                        .is_some_and(|w| w.contains("does not delete mount points")))),
                    "no mount-point warning: {j}"
                );
                Ok(format!(
                    "{}; lock {}, dismount {}, mount point {}; {}",
                    lines.join(" | "),
                    j["lock"],
                    j["dismount"],
                    j["mount_point"],
                    announced(&j)?
                ))
            },
        );
        s.case(r"after stop \\.\R: no longer opens", |w| {
            ensure!(!present(w, &dev)?, "it still opens");
            Ok(String::new())
        });
    }
    s.case("uninstall: the service is gone", |w| {
        ctl_ok(w, &["uninstall"])?;
        let q = w.wine(&["sc", "query", SERVICE])?;
        ensure!(!q.ok(), "sc query still finds it: {}", q.text());
        Ok(String::new())
    });
}

fn start_stop_cycles(s: &mut Suite<'_>, sys: &Path) {
    s.case("20 start/stop cycles (Q:, 8 MiB), clean log", |w| {
        cleanup(w);
        let mark = w.log_mark();
        install(w, sys, &Config::new(8 << 20, 'Q'))?;
        let out = w.e2e(&["cycles", "20", r"\\.\Q:"])?;
        let _ = w.ctl(&["uninstall"]);
        no_crash(w, mark)?;
        ensure!(out.ok(), "{}", out.text());
        let balanced = w
            .driver_lines(mark)
            .iter()
            .filter(|l| l.contains("pool balance 0"))
            .count();
        ensure!(
            balanced == 20,
            "{balanced} \"pool balance 0\" lines, want 20"
        );
        Ok(out
            .stdout
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("PASS ")
            .to_string())
    });
}

/// A service named `RustRamDisk` whose image is another driver (Windows' own file name,
/// `ramdisk.sys`): `ramdiskctl install`, `start` and `uninstall` refuse with the
/// ownership message and leave it exactly as it was.
fn foreign_service(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "a foreign RustRamDisk service: install, start, uninstall refuse and change nothing",
        |w| {
            cleanup(w);
            let foreign = r"C:\windows\system32\drivers\ramdisk.sys";
            w.create_kernel_service(SERVICE, foreign)?;
            // Wine's sc has no `qc`: the service key's values and subkeys instead.
            let key = format!(r"HKLM\{}", ramdisk_core::service::SERVICE_KEY);
            let before = w.wine(&["reg", "query", &key])?.check()?.stdout;
            let mut said = Vec::new();
            for args in [
                Config::new(8 << 20, 'Q').install_args(sys),
                vec!["start".to_string()],
                vec!["uninstall".to_string()],
            ] {
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                let out = w.ctl(&refs)?;
                ensure!(
                    out.code == 1,
                    "`{}` exited {}: {}",
                    out.shown,
                    out.code,
                    out.text()
                );
                ensure!(
                    out.stderr.contains("is not this driver")
                        && out.stderr.contains("ramdisk.sys")
                        && out.stderr.contains("did not create"),
                    "`{}` did not refuse with the ownership message: {}",
                    out.shown,
                    out.text()
                );
                said.push(refs[0].to_string());
            }
            let after = w.wine(&["reg", "query", &key])?.check()?.stdout;
            let params = w.wine(&["reg", "query", PARAMS])?;
            cleanup(w);
            ensure!(
                before == after,
                "the service changed:\n{before}\n---\n{after}"
            );
            ensure!(!params.ok(), "install wrote Parameters: {}", params.text());
            Ok(format!("{} refused", said.join(", ")))
        },
    );
}

/// What a Windows user sees of the driver: the message table in the driver file,
/// formatted by `FormatMessageW` as Event Viewer does; the event source `ramdiskctl
/// install` registers and `uninstall` removes; the log levels of the driver's lines;
/// and the event-log entries it attempts on load and unload (Wine's
/// `IoAllocateErrorLogEntry` returns NULL, so none is written here).
fn diagnostics(s: &mut Suite<'_>, sys: &Path) {
    let mark = s.wine.log_mark();
    let out = s.wine.e2e(&["messages", &win_path(sys)]);
    s.absorb("messages", &out, mark);
    let source = format!(r"HKLM\{}", ramdisk_core::service::EVENT_LOG_KEY);
    s.case(
        "event source: install registers the driver file as EventMessageFile, uninstall removes it",
        |w| {
            cleanup(w);
            install(w, sys, &Config::new(8 << 20, 'Q'))?;
            let q = w.wine(&["reg", "query", &source])?.check()?;
            let mark = w.log_mark();
            ctl_ok(w, &["start"])?;
            ctl_ok(w, &["stop", r"\\.\Q:"])?;
            let leveled = w.driver_lines_with_level(mark);
            ctl_ok(w, &["uninstall"])?;
            let gone = w.wine(&["reg", "query", &source])?;
            ensure!(
                q.stdout.contains("EventMessageFile")
                    && q.stdout.contains("REG_EXPAND_SZ")
                    && q.stdout.contains(&win_path(sys)),
                "EventMessageFile: {}",
                q.stdout
            );
            ensure!(
                q.stdout.contains("TypesSupported") && q.stdout.contains("0x7"),
                "TypesSupported: {}",
                q.stdout
            );
            ensure!(!gone.ok(), "the event source survived uninstall: {}", gone.text());
            let info = (IHVDRIVER, INFO_LEVEL);
            ensure!(
                leveled
                    .iter()
                    .any(|(l, t)| *l == Some(info) && t.starts_with("ramdisk[Q:]: 8388608 bytes")),
                "no load line at DbgPrintEx(IHVDRIVER, INFO): {leveled:?}"
            );
            // Wine's mount manager refuses volume arrivals: a warning, not an error.
            ensure!(
                leveled.iter().any(|(l, t)| *l == Some((IHVDRIVER, WARNING_LEVEL))
                    && t.contains("does not take volume arrivals")),
                "no fallback line at DbgPrintEx(IHVDRIVER, WARNING): {leveled:?}"
            );
            ensure!(
                !leveled.iter().any(|(l, _)| *l == Some((IHVDRIVER, ERROR_LEVEL))),
                "an error-level line in a clean start and stop: {leveled:?}"
            );
            for code in ["0x60070003", "0x60070004"] {
                ensure!(
                    leveled.iter().any(|(_, t)| t.contains(&format!(
                        "System event log entry {code} not written: IoAllocateErrorLogEntry returned NULL"
                    ))),
                    "no attempt at event {code}: {leveled:?}"
                );
            }
            Ok("EventMessageFile and TypesSupported set, removed by uninstall; info level; events 3 and 4 attempted".into())
        },
    );
}
