//! Bad registry values, written with `sc create` + `reg add` like an administrator
//! would: each start fails without a crash, the driver's log line names the value,
//! nothing is left behind, and a following valid start works. Also `ramdiskctl
//! --json start` reporting the failed `DriverEntry`'s Win32 error.

use std::path::Path;

use anyhow::{Result, anyhow, ensure};

use super::{
    Config, DEVICE_NAME, Env, cleanup, globalroot, install, json, no_crash, present,
    runner::{Case, Scenario, Suite},
};
use crate::wine::{ERROR_LEVEL, IHVDRIVER, PARAMS, SERVICE, Wine, win_path};

/// One bad-registry-value case (`exfat.rs` has its own table of them).
pub(super) struct Bad {
    /// The case id below `bad-values/` (or `exfat/`).
    pub(super) id: &'static str,
    pub(super) what: &'static str,
    /// Values added after the valid base (`DiskSize` 8 MiB, `DriveLetter` Q).
    pub(super) values: &'static [(&'static str, &'static str, &'static str)],
    /// Value names of which the log line must name one.
    pub(super) names: &'static [&'static str],
}

const BAD: &[Bad] = &[
    Bad {
        id: "disksize-0",
        what: "DiskSize 0",
        values: &[("DiskSize", "REG_DWORD", "0")],
        names: &["DiskSize"],
    },
    Bad {
        id: "disksize-511",
        what: "DiskSize 511",
        values: &[("DiskSize", "REG_DWORD", "511")],
        names: &["DiskSize"],
    },
    Bad {
        id: "disksize-64kib-fat32",
        what: "DiskSize 64 KiB with FileSystem FAT32",
        values: &[
            ("DiskSize", "REG_DWORD", "65536"),
            ("FileSystem", "REG_SZ", "FAT32"),
        ],
        names: &["DiskSize", "FileSystem"],
    },
    Bad {
        id: "disksize-reg-sz",
        what: "DiskSize as REG_SZ",
        values: &[("DiskSize", "REG_SZ", "8388608")],
        names: &["DiskSize"],
    },
    Bad {
        id: "driveletter-empty",
        what: "DriveLetter \"\"",
        values: &[("DriveLetter", "REG_SZ", "")],
        names: &["DriveLetter"],
    },
    Bad {
        id: "driveletter-1",
        what: "DriveLetter \"1\"",
        values: &[("DriveLetter", "REG_SZ", "1")],
        names: &["DriveLetter"],
    },
    Bad {
        id: "driveletter-zz",
        what: "DriveLetter \"ZZ\"",
        values: &[("DriveLetter", "REG_SZ", "ZZ")],
        names: &["DriveLetter"],
    },
    Bad {
        id: "driveletter-c-taken",
        what: "DriveLetter C (taken)",
        values: &[("DriveLetter", "REG_SZ", "C")],
        names: &["DriveLetter"],
    },
    Bad {
        id: "filesystem-ntfs",
        what: "FileSystem NTFS",
        values: &[("FileSystem", "REG_SZ", "NTFS")],
        names: &["FileSystem"],
    },
    Bad {
        id: "volumelabel-12-chars",
        what: "VolumeLabel of 12 characters",
        values: &[("VolumeLabel", "REG_SZ", "TWELVE CHARS")],
        names: &["VolumeLabel"],
    },
    Bad {
        id: "sectorspercluster-3",
        what: "SectorsPerCluster 3",
        values: &[("SectorsPerCluster", "REG_DWORD", "3")],
        names: &["SectorsPerCluster"],
    },
    Bad {
        id: "allocation-thin",
        what: "Allocation \"thin\"",
        values: &[("Allocation", "REG_SZ", "thin")],
        names: &["Allocation"],
    },
    Bad {
        id: "memorylimit-with-fixed",
        what: "MemoryLimit with Allocation fixed",
        values: &[("MemoryLimit", "REG_DWORD", "67108864")],
        names: &["MemoryLimit"],
    },
    Bad {
        id: "memorylimit-4096",
        what: "MemoryLimit 4096 (below 8 MiB)",
        values: &[
            ("Allocation", "REG_SZ", "dynamic"),
            ("MemoryLimit", "REG_DWORD", "4096"),
        ],
        names: &["MemoryLimit"],
    },
    Bad {
        id: "imagefile-relative",
        what: "ImageFile \"disk.img\" (not an absolute path)",
        values: &[("ImageFile", "REG_SZ", "disk.img")],
        names: &["ImageFile: the path is not an absolute path"],
    },
    Bad {
        id: "readonly-without-image",
        what: "ReadOnly 1 without ImageFile",
        values: &[("ReadOnly", "REG_DWORD", "1")],
        names: &["ReadOnly: this setting needs an ImageFile"],
    },
    Bad {
        id: "saveon-without-image",
        what: "SaveOn stop without ImageFile",
        values: &[("SaveOn", "REG_SZ", "stop")],
        names: &["SaveOn: this setting needs an ImageFile"],
    },
];

fn reg_add(w: &Wine, name: &str, kind: &str, data: &str) -> Result<()> {
    w.wine(&[
        "reg", "add", PARAMS, "/v", name, "/t", kind, "/d", data, "/f",
    ])?
    .check()?;
    Ok(())
}

/// The base Parameters of the failure cases: 8 MiB on Q:.
pub(super) fn base_params(w: &Wine) -> Result<()> {
    reg_add(w, "DiskSize", "REG_DWORD", "8388608")?;
    reg_add(w, "DriveLetter", "REG_SZ", "Q")
}

/// Creates the service for `bin_path` with [`base_params`] plus `extra` (later values
/// win) and checks that `sc start` fails and leaves nothing behind: no crash, the
/// failure is logged with pool balance 0 (the rollback freed everything), and neither
/// `\\.\Q:` nor the device by its NT name opens. Returns the driver's lines of the
/// attempt.
pub(super) fn start_must_fail(
    w: &Wine,
    bin_path: &str,
    extra: &[(&str, &str, &str)],
) -> Result<Vec<String>> {
    start_must_fail_as(w, bin_path, None, extra)
}

/// [`start_must_fail`] with the service's `Start` value set to `start` first (`None`:
/// demand, as `sc create` made it).
pub(super) fn start_must_fail_as(
    w: &Wine,
    bin_path: &str,
    start: Option<u32>,
    extra: &[(&str, &str, &str)],
) -> Result<Vec<String>> {
    cleanup(w);
    w.create_kernel_service(SERVICE, bin_path)?;
    if let Some(start) = start {
        let key = PARAMS
            .strip_suffix(r"\Parameters")
            .ok_or_else(|| anyhow!("{PARAMS} is not a Parameters key"))?;
        w.wine(&[
            "reg",
            "add",
            key,
            "/v",
            "Start",
            "/t",
            "REG_DWORD",
            "/d",
            &start.to_string(),
            "/f",
        ])?
        .check()?;
    }
    base_params(w)?;
    for (n, k, d) in extra {
        reg_add(w, n, k, d)?;
    }
    let mark = w.log_mark();
    let start = w.wine(&["sc", "start", SERVICE])?;
    let lines = w.driver_lines(mark);
    no_crash(w, mark)?;
    ensure!(!start.ok(), "sc start succeeded:\n{}", start.text());
    ensure!(
        lines
            .iter()
            .any(|l| l.contains("DriverEntry failed with") && l.contains("pool balance 0")),
        "no leak-free DriverEntry failure line; driver said: {lines:?}"
    );
    // The failure goes out at DPFLTR_ERROR_LEVEL (shown by default on Windows), and
    // the System event-log entry was attempted (Wine: IoAllocateErrorLogEntry is a stub
    // returning NULL, which the driver reports and survives).
    let leveled = w.driver_lines_with_level(mark);
    ensure!(
        leveled
            .iter()
            .any(|(level, l)| l.contains("DriverEntry failed with")
                && *level == Some((IHVDRIVER, ERROR_LEVEL))),
        "the failure line is not DbgPrintEx(IHVDRIVER, ERROR): {leveled:?}"
    );
    ensure!(
        lines
            .iter()
            .any(|l| l.contains("System event log entry 0xe00700")
                && l.contains("not written: IoAllocateErrorLogEntry returned NULL")),
        "no attempt at a System event-log entry: {lines:?}"
    );
    ensure!(
        !present(w, r"\\.\Q:")?,
        r"\\.\Q: opens after the failed start"
    );
    ensure!(
        !present(w, &globalroot())?,
        "{DEVICE_NAME} opens after the failed start"
    );
    Ok(lines)
}

/// After [`start_must_fail`]: with `repair` applied, `sc start` works, `\\.\Q:` opens,
/// and `sc stop` unloads with pool balance 0; the service is deleted.
pub(super) fn start_must_work_after(
    w: &Wine,
    repair: impl FnOnce(&Wine) -> Result<()>,
) -> Result<()> {
    repair(w)?;
    let mark = w.log_mark();
    w.wine(&["sc", "start", SERVICE])?.check()?;
    ensure!(
        present(w, r"\\.\Q:")?,
        r"\\.\Q: does not open after the valid start"
    );
    w.wine(&["sc", "stop", SERVICE])?.check()?;
    w.wine(&["sc", "delete", SERVICE])?.check()?;
    let lines = w.driver_lines(mark);
    ensure!(
        lines.iter().any(|l| l.contains("unloaded, pool balance 0")),
        "no clean unload; driver said: {lines:?}"
    );
    no_crash(w, mark)
}

/// The scenario's cases.
pub fn cases(env: &Env) -> Vec<Case<'_>> {
    let mut cases = vec![Case::new(
        Scenario::BadValues,
        "bad-values/ramdiskctl-start-json-error",
        |s| {
            start_json_error(s, &env.sys);
            Ok(())
        },
    )];
    cases.extend(BAD.iter().map(|bad| {
        Case::new(Scenario::BadValues, format!("bad-values/{}", bad.id), |s| {
            bad_value(s, &env.sys, bad);
            Ok(())
        })
    }));
    cases.push(Case::new(
        Scenario::BadValues,
        "bad-values/disksize-above-memory",
        |s| {
            above_memory(s, &env.sys);
            Ok(())
        },
    ));
    cases
}

/// The host's physical memory (`MemTotal` of `/proc/meminfo`), in bytes.
fn host_memory() -> Result<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo")?;
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| anyhow!("no MemTotal in /proc/meminfo"))
}

/// The number before `what` in `line` (`... 25276510208 bytes of physical memory`).
pub(super) fn number_before(line: &str, what: &str) -> Option<u64> {
    let head = &line[..line.find(what)?];
    head.split_whitespace().last()?.parse().ok()
}

/// A `DiskSize` of 4 TiB: more than half of the physical memory Wine reports (the
/// host's). The refusal must come from the memory cap, before the FAT planner (which
/// would refuse 4 TiB too, as more than FAT32's 2 TiB, so a missing or misplaced cap
/// fails this case without allocating anything), with `STATUS_INSUFFICIENT_RESOURCES`,
/// and name the host's memory.
fn above_memory(s: &mut Suite<'_>, sys: &Path) {
    let bin_path = win_path(sys);
    s.case(
        "DiskSize 4 TiB, above half of physical memory: refused by the cap, names the host's RAM",
        |w| {
            let lines =
                start_must_fail(w, &bin_path, &[("DiskSize", "REG_QWORD", "4398046511104")])?;
            let line = lines
                .iter()
                .find(|l| l.contains("ramdisk: DiskSize: 4398046511104 bytes is more than half"))
                .cloned()
                .ok_or_else(|| anyhow!("no memory-cap line; driver said: {lines:?}"))?;
            ensure!(
                lines
                    .iter()
                    .any(|l| l.contains("DriverEntry failed with 0xc000009a")),
                "not STATUS_INSUFFICIENT_RESOURCES: {lines:?}"
            );
            let seen = number_before(&line, "bytes of physical memory")
                .ok_or_else(|| anyhow!("no byte count in {line:?}"))?;
            let host = host_memory()?;
            // Wine reports the host's RAM in whole pages.
            ensure!(
                seen <= host && host - seen < 1 << 20,
                "the driver saw {seen} bytes of physical memory, the host has {host}"
            );
            start_must_work_after(w, |w| {
                let _ = w.wine(&["reg", "delete", PARAMS, "/f"]);
                base_params(w)
            })?;
            Ok(line)
        },
    );
}

fn start_json_error(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "ramdiskctl start with DiskSize 511: exit 1, Win32 error and text in --json",
        |w| {
            cleanup(w);
            install(w, sys, &Config::new(511, 'Q'))?;
            let out = w.ctl(&["--json", "start"])?;
            let _ = w.ctl(&["uninstall"]);
            ensure!(out.code == 1, "exit {}: {}", out.code, out.text());
            let j = json(&out)?;
            ensure!(j["win32_error"].as_u64().is_some_and(|c| c != 0), "{j}");
            ensure!(
                j["win32_text"].as_str().is_some_and(|t| !t.is_empty()),
                "{j}"
            );
            // Wine's event log holds nothing (ReadEventLogW is a stub): the note says
            // so and where else the reason is.
            let note = j["notes"][0].as_str().unwrap_or("");
            ensure!(
                note.contains("the driver's reason is not in the System event log")
                    && note.contains("ramdisk: <ValueName>: <why>"),
                "no note on where the driver's reason is: {j}"
            );
            ensure!(
                out.stderr.contains(note),
                "the text output lacks the note: {}",
                out.stderr
            );
            Ok(format!(
                "error {}: {}; {note}",
                j["win32_error"],
                j["win32_text"].as_str().unwrap_or("")
            ))
        },
    );
}

pub(super) fn bad_value(s: &mut Suite<'_>, sys: &Path, bad: &Bad) {
    let bin_path = win_path(sys);
    s.case(
        &format!(
            "bad {}: start fails, names it, no crash, nothing left, valid start then works",
            bad.what
        ),
        |w| {
            let lines = start_must_fail(w, &bin_path, bad.values)?;
            let named = lines
                .iter()
                .find(|l| {
                    bad.names
                        .iter()
                        .any(|n| l.contains(&format!("ramdisk: {n}")))
                })
                .cloned()
                .ok_or_else(|| {
                    anyhow!(
                        "no \"ramdisk: {}: ...\" line; driver said: {lines:?}",
                        bad.names.join("|")
                    )
                })?;
            // Repair the values; the next start must work.
            start_must_work_after(w, |w| {
                let _ = w.wine(&["reg", "delete", PARAMS, "/f"]);
                base_params(w)
            })?;
            Ok(named)
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete() {
        assert!(
            BAD.iter()
                .all(|b| !b.names.is_empty() && !b.values.is_empty() && !b.id.is_empty())
        );
    }
}
