//! Many disks, made and removed at run time: eight disks of mixed sizes and file
//! systems through `ramdiskctl create`, the contract on each, removal in random order
//! while a stress client keeps reading and writing (0 mismatches on the survivor, I/O
//! on the removed ones failing for good), a busy disk (exit 5, then `--force`);
//! the control device's refusals and its disk limit; boot-time `Parameters\Disks`
//! disks, `DefaultDisk` 0 and bad subkeys; a persisted disk across a restart; 20
//! stop/start cycles with I/O on three disks.

use std::{
    fs,
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail, ensure};
use ramdisk_core::{
    fat::{FileSystem, FormatOptions},
    geometry::BYTES_PER_SECTOR,
    volume,
};

use super::{
    Config, Env, cleanup, ctl_ok, hex, install, json, no_crash, present,
    runner::{Case, Scenario, Suite},
};
use crate::wine::{PARAMS, Wine, win_path};

/// The scenario's cases.
pub fn cases(env: &Env) -> Vec<Case<'_>> {
    vec![
        Case::new(Scenario::Many, "many/eight-disks", |s| {
            eight_disks(s, &env.sys);
            Ok(())
        }),
        Case::new(Scenario::Many, "many/bad-creates", |s| {
            bad_creates(s, &env.sys);
            Ok(())
        }),
        Case::new(Scenario::Many, "many/boot-disks", |s| {
            boot_disks(s, &env.sys);
            Ok(())
        }),
        Case::new(Scenario::Many, "many/persisted", |s| {
            persisted(s, &env.sys);
            Ok(())
        }),
        Case::new(Scenario::Many, "many/stop-start-cycles", |s| {
            cycles(s, &env.sys);
            Ok(())
        }),
    ]
}

/// One disk `ramdiskctl create` makes.
struct Spec {
    size: u64,
    dynamic: bool,
    letter: Option<char>,
    fs: Option<&'static str>,
    spc: Option<u32>,
    root: Option<u32>,
    label: Option<&'static str>,
}

const fn spec(size: u64, letter: Option<char>, fs: Option<&'static str>) -> Spec {
    Spec {
        size,
        dynamic: false,
        letter,
        fs,
        spc: None,
        root: None,
        label: None,
    }
}

/// Eight disks: 1 MiB to 128 MiB, FAT12/16/32 and automatic, three drive letters
/// asked for and five the driver picks.
fn specs() -> Vec<Spec> {
    vec![
        spec(1 << 20, Some('R'), None),
        spec(2 << 20, None, Some("FAT12")),
        Spec {
            label: Some("DATA"),
            ..spec(4 << 20, None, Some("FAT16"))
        },
        Spec {
            spc: Some(4),
            ..spec(16 << 20, Some('S'), Some("FAT16"))
        },
        Spec {
            dynamic: true,
            ..spec(33 << 20, None, Some("FAT32"))
        },
        Spec {
            root: Some(1024),
            ..spec(64 << 20, Some('T'), None)
        },
        Spec {
            spc: Some(1),
            ..spec(40 << 20, None, Some("FAT32"))
        },
        Spec {
            dynamic: true,
            ..spec(128 << 20, None, None)
        },
    ]
}

impl Spec {
    fn args(&self) -> Vec<String> {
        let mut a = vec![
            "--json".to_string(),
            "create".into(),
            "--size".into(),
            self.size.to_string(),
            "--allocation".into(),
            if self.dynamic { "dynamic" } else { "fixed" }.into(),
            "--no-broadcast".into(),
        ];
        for (flag, value) in [
            ("--letter", self.letter.map(|l| l.to_string())),
            ("--fs", self.fs.map(str::to_string)),
            ("--sectors-per-cluster", self.spc.map(|n| n.to_string())),
            ("--root-entries", self.root.map(|n| n.to_string())),
            ("--label", self.label.map(str::to_string)),
        ] {
            if let Some(v) = value {
                a.extend([flag.to_string(), v]);
            }
        }
        a
    }

    /// The FAT type ramdisk-core plans for it (what `list` must report).
    fn fat_type(&self) -> Result<&'static str> {
        let mut o = FormatOptions::new(self.size);
        o.bytes_per_sector = BYTES_PER_SECTOR;
        o.file_system = match self.fs {
            Some("FAT12") => FileSystem::Fat12,
            Some("FAT16") => FileSystem::Fat16,
            Some("FAT32") => FileSystem::Fat32,
            _ => FileSystem::Auto,
        };
        o.sectors_per_cluster = self.spc.unwrap_or(0);
        o.root_dir_entries = self.root.unwrap_or(512);
        let layout = volume::plan(&o).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(layout.kind().name())
    }
}

/// A disk made: its letter, index and device name.
#[derive(Clone, Debug)]
struct Made {
    letter: char,
    index: u64,
    device: String,
}

/// `ramdiskctl --json list`'s rows.
fn list(w: &Wine) -> Result<Vec<serde_json::Value>> {
    let j = json(&ctl_ok(w, &["--json", "list"])?)?;
    j["disks"]
        .as_array()
        .cloned()
        .with_context(|| format!("no disks in {j}"))
}

fn letters(rows: &[serde_json::Value]) -> Vec<String> {
    rows.iter()
        .filter_map(|r| r["letter"].as_str().map(str::to_string))
        .collect()
}

/// A file whose existence tells the background clients to finish, and its Win32 path.
fn stop_file(w: &Wine, name: &str) -> Result<(std::path::PathBuf, String)> {
    let f = w.log_dir.join(name);
    if f.exists() {
        fs::remove_file(&f)?;
    }
    let shown = win_path(&f);
    Ok((f, shown))
}

/// xorshift64*, for the removal order (its seed is printed with the case).
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        let r = seed.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let j = usize::try_from(r % (i as u64 + 1)).unwrap_or(0);
        items.swap(i, j);
    }
}

/// Milliseconds of the driver's `created by the control device in N ms` / `REMOVE ...
/// done in N ms` lines since `mark`.
fn driver_ms(w: &Wine, mark: u64, what: &str) -> Vec<u64> {
    w.driver_lines(mark)
        .iter()
        .filter(|l| l.contains(what))
        .filter_map(|l| {
            l.rsplit(" in ")
                .next()
                .and_then(|t| t.strip_suffix(" ms"))
                .and_then(|n| n.trim().parse().ok())
        })
        .collect()
}

fn stats(v: &[u64]) -> String {
    let max = v.iter().max().copied().unwrap_or(0);
    let sum: u64 = v.iter().sum();
    let mean = sum.checked_div(v.len() as u64).unwrap_or(0);
    format!("mean {mean} ms, max {max} ms over {}", v.len())
}

/// The start of every case: the service with disk 0 (8 MiB on Q:), started.
fn start_with_disk0(w: &Wine, sys: &Path) -> Result<()> {
    cleanup(w);
    let _ = w.wine(&["reg", "delete", &format!(r"{PARAMS}\Disks"), "/f"]);
    install(w, sys, &Config::new(8 << 20, 'Q'))?;
    ctl_ok(w, &["start", "--no-broadcast"])?;
    Ok(())
}

/// Stops the service: no crash, `pool balance 0`.
fn stop_balanced(w: &Wine) -> Result<String> {
    let mark = w.log_mark();
    let out = w.wine(&["sc", "stop", crate::wine::SERVICE])?;
    no_crash(w, mark)?;
    ensure!(out.ok(), "sc stop: {}", out.text());
    let lines = w.driver_lines(mark);
    ensure!(
        lines.iter().any(|l| l.contains("unloaded, pool balance 0")),
        "no \"pool balance 0\": {lines:?}"
    );
    Ok("stopped, pool balance 0".into())
}

#[allow(clippy::too_many_lines, reason = "a script: one check after the other")]
fn eight_disks(s: &mut Suite<'_>, sys: &Path) {
    if !s.case(
        "the driver starts with disk 0 and the control device (DACL SY/BA read back)",
        |w| {
            let mark = w.log_mark();
            start_with_disk0(w, sys)?;
            let lines = w.driver_lines(mark);
            ensure!(
                lines
                    .iter()
                    .any(|l| l == "ramdisk: control device DACL D:P(A;;GA;;;SY)(A;;GA;;;BA)"),
                "no control-device DACL line: {lines:?}"
            );
            let rows = list(w)?;
            ensure!(
                rows.len() == 1
                    && rows[0]["index"] == 0
                    && rows[0]["letter"] == "Q:"
                    && rows[0]["boot"] == true,
                "list: {rows:?}"
            );
            Ok("list: Q: (disk 0, boot)".into())
        },
    ) {
        return;
    }
    let specs = specs();
    let mut made: Vec<Made> = Vec::new();
    let mark = s.wine.log_mark();
    let mut wall = Vec::new();
    s.case(
        "ramdiskctl create: eight disks, 1-128 MiB, FAT12/16/32/auto, two dynamic, letters R S T asked for, five picked by the driver",
        |w| {
            for spec in &specs {
                let args = spec.args();
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                let t = Instant::now();
                let j = json(&ctl_ok(w, &refs)?)?;
                wall.push(u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX));
                let letter = j["letter"]
                    .as_str()
                    .and_then(|l| l.chars().next())
                    .with_context(|| format!("no letter: {j}"))?;
                if let Some(want) = spec.letter {
                    ensure!(letter == want, "asked for {want}:, got {j}");
                }
                ensure!(j["size"] == spec.size, "size: {j}");
                ensure!(j["file_system"] == spec.fat_type()?, "file system: {j}");
                made.push(Made {
                    letter,
                    index: j["index"].as_u64().context("index")?,
                    device: j["device"].as_str().context("device")?.to_string(),
                });
            }
            let picked: Vec<char> = made
                .iter()
                .zip(&specs)
                .filter(|(_, s)| s.letter.is_none())
                .map(|(m, _)| m.letter)
                .collect();
            // From Z: down, each the first free one: strictly descending, never C:.
            ensure!(
                picked.windows(2).all(|p| p[0] > p[1]) && picked.iter().all(|&l| ('D'..='Y').contains(&l)),
                "picked letters {picked:?}"
            );
            let mut indices: Vec<u64> = made.iter().map(|m| m.index).collect();
            indices.dedup();
            ensure!(indices.len() == 8 && !indices.contains(&0), "indices {indices:?}");
            Ok(format!(
                "letters {}; ramdiskctl create {}, the driver's create {}",
                made.iter().map(|m| format!("{}:", m.letter)).collect::<Vec<_>>().join(" "),
                stats(&wall),
                stats(&driver_ms(w, mark, "created by the control device in"))
            ))
        },
    );
    if made.len() != 8 {
        return;
    }
    s.case(
        "list --json: nine disks with their sizes, file systems and allocation",
        |w| {
            let rows = list(w)?;
            ensure!(rows.len() == 9, "{} rows: {rows:?}", rows.len());
            for (m, spec) in made.iter().zip(&specs) {
                let row = rows
                    .iter()
                    .find(|r| r["letter"] == format!("{}:", m.letter))
                    .with_context(|| format!("{}: not listed", m.letter))?;
                ensure!(
                    row["size"] == spec.size
                        && row["file_system"] == spec.fat_type()?
                        && row["allocation"] == if spec.dynamic { "dynamic" } else { "fixed" }
                        && (spec.dynamic || row["allocated_bytes"] == spec.size)
                        && (!spec.dynamic
                            || row["allocated_bytes"]
                                .as_u64()
                                .is_some_and(|a| a < spec.size))
                        && row["boot"] == false
                        && row["device"] == m.device.as_str(),
                    "row {row}"
                );
            }
            Ok(letters(&rows).join(" "))
        },
    );
    for (m, spec) in made.iter().zip(&specs) {
        let mark = s.wine.log_mark();
        let dev = format!(r"\\.\{}:", m.letter);
        let unique = hex(format!("ramdisk:letter:{}", m.letter).as_bytes());
        let link = format!(r"\DosDevices\{}:", m.letter);
        let mut args = vec![
            "contract",
            &dev,
            "--device-name",
            &m.device,
            "--unique-id",
            &unique,
            "--link",
            &link,
        ];
        if spec.dynamic {
            args.push("--thin");
        }
        let out = s.wine.e2e(&args);
        s.absorb(&format!("contract {}:", m.letter), &out, mark);
    }
    // A handle held open: the plain remove is refused (exit 5), nothing is removed.
    let busy = made[0].clone();
    let Ok((hold_file, hold_until)) = stop_file(s.wine, "hold.stop") else {
        return;
    };
    let holder = s
        .wine
        .spawn_e2e(&["hold", &format!("{}:", busy.letter), "--until", &hold_until]);
    s.case(
        &format!(
            "remove {}: with a handle open exits 5 and removes nothing",
            busy.letter
        ),
        |w| {
            std::thread::sleep(Duration::from_millis(1500));
            let out = w.ctl(&["--json", "remove", &format!("{}:", busy.letter)])?;
            ensure!(out.code == 5, "exit {}: {}", out.code, out.text());
            let j = json(&out)?;
            ensure!(j["exit_code"] == 5 && j["win32_error"] == 170, "{j}");
            let rows = list(w)?;
            ensure!(rows.len() == 9, "{} disks left", rows.len());
            Ok(j["error"].as_str().unwrap_or("").to_string())
        },
    );
    // The stress client: disk 0 survives, the eight are removed in random order.
    let Ok((stress_file, stress_until)) = stop_file(s.wine, "stress.stop") else {
        return;
    };
    let mut args = vec![
        "stress".to_string(),
        "--survivor".into(),
        "Q:".into(),
        "--until".into(),
        stress_until,
    ];
    for m in &made {
        args.extend(["--doomed".into(), format!("{}:", m.letter)]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let stress = s.wine.spawn_e2e(&refs);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_secs())
        | 1;
    let mut order = made.clone();
    shuffle(&mut order, seed);
    let mark = s.wine.log_mark();
    let mut wall = Vec::new();
    s.case(
        &format!(
            "remove --force of the eight in random order (seed {seed}) while the stress client runs; each reopen fails"
        ),
        |w| {
            std::thread::sleep(Duration::from_secs(2));
            for m in &order {
                let t = Instant::now();
                let out = w.ctl(&["--json", "remove", &format!("{}:", m.letter), "--force", "--no-broadcast"])?;
                wall.push(u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX));
                ensure!(out.ok(), "remove {}: exit {}: {}", m.letter, out.code, out.text());
                let j = json(&out)?;
                ensure!(j["disk"]["letter"] == format!("{}:", m.letter), "{j}");
                ensure!(!present(w, &format!(r"\\.\{}:", m.letter))?, "{}: still opens", m.letter);
                std::thread::sleep(Duration::from_millis(300));
            }
            let rows = list(w)?;
            ensure!(letters(&rows) == ["Q:"], "left: {rows:?}");
            Ok(format!(
                "order {}; ramdiskctl remove {}, the driver's REMOVE {}",
                order.iter().map(|m| format!("{}:", m.letter)).collect::<Vec<_>>().join(" "),
                stats(&wall),
                stats(&driver_ms(w, mark, "done in"))
            ))
        },
    );
    let _ = fs::write(&stress_file, b"stop\n");
    let _ = fs::write(&hold_file, b"stop\n");
    let mark = s.wine.log_mark();
    let stress_out = stress.and_then(|b| b.finish(Duration::from_mins(3)));
    s.absorb("stress", &stress_out, mark);
    s.case(
        &format!(
            "the handle held on {}: across its forced removal fails afterwards",
            busy.letter
        ),
        |_| {
            let out = holder?.finish(Duration::from_mins(1))?;
            let after = out
                .stdout
                .lines()
                .find_map(|l| l.strip_prefix("after="))
                .and_then(|r| r.split_whitespace().next())
                .and_then(|c| c.parse::<u32>().ok())
                .with_context(|| format!("no after= line: {}", out.text()))?;
            ensure!(
                [2, 5, 1167].contains(&after),
                "after the removal: {}",
                out.text()
            );
            Ok(format!("error {after}"))
        },
    );
    s.case("stop: no crash, pool balance 0", |w| {
        let r = stop_balanced(w);
        let _ = w.ctl(&["uninstall"]);
        r
    });
}

fn bad_creates(s: &mut Suite<'_>, sys: &Path) {
    if !s.case("start with disk 0 on Q:", |w| {
        start_with_disk0(w, sys).map(|()| String::new())
    }) {
        return;
    }
    let mark = s.wine.log_mark();
    let out = s.wine.e2e(&["control-bad", "Q"]);
    s.absorb("control", &out, mark);
    let mark = s.wine.log_mark();
    let out = s
        .wine
        .e2e(&["fill", &ramdisk_core::control::MAX_DISKS.to_string()]);
    s.absorb("limit", &out, mark);
    s.case(
        "ramdiskctl create --size 0 and --letter Q (taken) fail with the reason, exit 1",
        |w| {
            let out = w.ctl(&["create", "--size", "0"])?;
            ensure!(
                out.code == 1 && out.stderr.contains("DiskSize"),
                "{}",
                out.text()
            );
            let taken = w.ctl(&["--json", "create", "--size", "1M", "--letter", "Q"])?;
            let j = json(&taken)?;
            ensure!(taken.code == 1 && j["win32_error"] == 183, "{j}");
            ensure!(list(w)?.len() == 1, "a disk was left behind");
            Ok(format!("{}; {}", out.stderr.trim(), j["error"]))
        },
    );
    s.case("stop: no crash, pool balance 0", |w| {
        let r = stop_balanced(w);
        let _ = w.ctl(&["uninstall"]);
        r
    });
}

fn reg(w: &Wine, key: &str, name: &str, kind: &str, data: &str) -> Result<()> {
    w.wine(&["reg", "add", key, "/v", name, "/t", kind, "/d", data, "/f"])?
        .check()?;
    Ok(())
}

/// `Parameters\Disks\<name>` with `DiskSize` and `DriveLetter` (and more values).
fn boot_disk(
    w: &Wine,
    name: &str,
    size: u64,
    letter: char,
    more: &[(&str, &str, &str)],
) -> Result<()> {
    let key = format!(r"{PARAMS}\Disks\{name}");
    reg(w, &key, "DiskSize", "REG_DWORD", &size.to_string())?;
    reg(w, &key, "DriveLetter", "REG_SZ", &letter.to_string())?;
    for (n, k, d) in more {
        reg(w, &key, n, k, d)?;
    }
    Ok(())
}

/// `sc start` must fail: no crash, the line `want` logged, pool balance 0.
fn start_fails(w: &Wine, want: &str) -> Result<String> {
    let mark = w.log_mark();
    let out = w.wine(&["sc", "start", crate::wine::SERVICE])?;
    no_crash(w, mark)?;
    ensure!(!out.ok(), "sc start succeeded: {}", out.text());
    let lines = w.driver_lines(mark);
    let line = lines
        .iter()
        .find(|l| l.contains(want))
        .with_context(|| format!("no line with {want:?}: {lines:?}"))?
        .clone();
    ensure!(
        lines
            .iter()
            .any(|l| l.contains("DriverEntry failed with") && l.ends_with("pool balance 0")),
        "no rollback line: {lines:?}"
    );
    Ok(line)
}

#[allow(clippy::too_many_lines, reason = "a script: one check after the other")]
fn boot_disks(s: &mut Suite<'_>, sys: &Path) {
    let mut first_indices = Vec::new();
    if !s.case(
        r"Parameters\Disks\ALPHA and \beta_2 come up at sc start with disk 0",
        |w| {
            cleanup(w);
            let _ = w.wine(&["reg", "delete", &format!(r"{PARAMS}\Disks"), "/f"]);
            install(w, sys, &Config::new(8 << 20, 'Q'))?;
            boot_disk(w, "ALPHA", 4 << 20, 'R', &[])?;
            boot_disk(
                w,
                "beta_2",
                16 << 20,
                'S',
                &[("FileSystem", "REG_SZ", "FAT16")],
            )?;
            ctl_ok(w, &["start", "--no-broadcast"])?;
            let rows = list(w)?;
            ensure!(rows.len() == 3, "{rows:?}");
            for (letter, persist, size) in [("R:", "ALPHA", 4 << 20), ("S:", "BETA_2", 16 << 20)] {
                let row = rows
                    .iter()
                    .find(|r| r["letter"] == letter)
                    .with_context(|| format!("{letter} missing: {rows:?}"))?;
                ensure!(
                    row["boot"] == true && row["persist"] == persist && row["size"] == size,
                    "{row}"
                );
                first_indices.push(row["index"].as_u64().unwrap_or(0));
            }
            Ok(letters(&rows).join(" "))
        },
    ) {
        return;
    }
    let mark = s.wine.log_mark();
    let out = s.wine.e2e(&[
        "contract",
        r"\\.\R:",
        "--device-name",
        &format!(
            r"\Device\Ramdisk{}",
            first_indices.first().copied().unwrap_or(0)
        ),
        "--unique-id",
        &hex(br"ramdisk:Disks\ALPHA"),
        "--link",
        r"\DosDevices\R:",
    ]);
    s.absorb(r"contract R: (Disks\ALPHA)", &out, mark);
    s.case("stop: pool balance 0", stop_balanced);
    s.case(
        "DefaultDisk 0: the start makes the two subkey disks and no disk 0, with new indices",
        |w| {
            reg(w, PARAMS, "DefaultDisk", "REG_DWORD", "0")?;
            ctl_ok(w, &["start", "--no-broadcast"])?;
            let rows = list(w)?;
            ensure!(
                letters(&rows) == ["R:", "S:"] || letters(&rows) == ["S:", "R:"],
                "{rows:?}"
            );
            ensure!(!present(w, r"\\.\Q:")?, "Q: is there");
            let again: Vec<u64> = rows.iter().filter_map(|r| r["index"].as_u64()).collect();
            let newest = first_indices.iter().max().copied().unwrap_or(0);
            ensure!(
                again.iter().all(|i| *i > newest),
                "indices {again:?} after {first_indices:?}: reused"
            );
            stop_balanced(w)?;
            Ok(format!("indices {first_indices:?} then {again:?}"))
        },
    );
    s.case(
        "DefaultDisk 0 and no Disks key: the start makes only the control device",
        |w| {
            w.wine(&["reg", "delete", &format!(r"{PARAMS}\Disks"), "/f"])?
                .check()?;
            ctl_ok(w, &["start", "--no-broadcast"])?;
            let rows = list(w)?;
            ensure!(rows.is_empty(), "{rows:?}");
            stop_balanced(w)?;
            w.wine(&["reg", "delete", PARAMS, "/v", "DefaultDisk", "/f"])?
                .check()?;
            Ok("no disk".into())
        },
    );
    s.case(
        r"a bad value in Parameters\Disks\GAMMA fails sc start, named, nothing left behind",
        |w| {
            boot_disk(w, "OK1", 4 << 20, 'R', &[])?;
            boot_disk(w, "GAMMA", 511, 'S', &[])?;
            let line = start_fails(w, r"Disks\GAMMA\DiskSize: 511 is not a multiple of 512")?;
            for dev in [r"\\.\Q:", r"\\.\R:", r"\\.\S:", r"\\.\RamdiskControl"] {
                ensure!(!present(w, dev)?, "{dev} is left");
            }
            Ok(line)
        },
    );
    s.case(r"a subkey named bad.name fails sc start, named", |w| {
        w.wine(&["reg", "delete", &format!(r"{PARAMS}\Disks"), "/f"])?
            .check()?;
        boot_disk(w, "bad.name", 4 << 20, 'R', &[])?;
        let line = start_fails(w, "Disks: subkey \"bad.name\" is not a disk name")?;
        w.wine(&["reg", "delete", &format!(r"{PARAMS}\Disks"), "/f"])?
            .check()?;
        Ok(line)
    });
    s.case("a valid start works again", |w| {
        ctl_ok(w, &["start", "--no-broadcast"])?;
        ensure!(present(w, r"\\.\Q:")?, "Q: missing");
        let r = stop_balanced(w);
        let _ = w.ctl(&["uninstall"]);
        r
    });
}

fn persisted(s: &mut Suite<'_>, sys: &Path) {
    let key = format!(r"{PARAMS}\Disks\KEEP1");
    if !s.case(
        r"create --persist KEEP1 --letter T writes Parameters\Disks\KEEP1",
        |w| {
            start_with_disk0(w, sys)?;
            let j = json(&ctl_ok(
                w,
                &[
                    "--json",
                    "create",
                    "--size",
                    "8M",
                    "--fs",
                    "FAT16",
                    "--persist",
                    "keep1",
                    "--letter",
                    "T",
                    "--no-broadcast",
                ],
            )?)?;
            ensure!(j["letter"] == "T:" && j["persist"] == "KEEP1", "{j}");
            let q = w.wine(&["reg", "query", &key])?.check()?;
            ensure!(
                q.stdout.contains("DiskSize")
                    && q.stdout.contains("DriveLetter")
                    && q.stdout.contains('T'),
                "{}",
                q.stdout
            );
            Ok(String::new())
        },
    ) {
        return;
    }
    s.case(
        "after stop and start it comes back on T: as a boot disk",
        |w| {
            stop_balanced(w)?;
            ctl_ok(w, &["start", "--no-broadcast"])?;
            let rows = list(w)?;
            let row = rows
                .iter()
                .find(|r| r["letter"] == "T:")
                .with_context(|| format!("T: not back: {rows:?}"))?;
            ensure!(row["persist"] == "KEEP1" && row["boot"] == true, "{row}");
            Ok(format!("{}", row["device"]))
        },
    );
    let device = list(s.wine)
        .ok()
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["letter"] == "T:")
                .and_then(|r| r["device"].as_str().map(str::to_string))
        })
        .unwrap_or_default();
    let mark = s.wine.log_mark();
    let out = s.wine.e2e(&[
        "contract",
        r"\\.\T:",
        "--device-name",
        &device,
        "--unique-id",
        &hex(br"ramdisk:Disks\KEEP1"),
        "--link",
        r"\DosDevices\T:",
    ]);
    s.absorb("contract T: (the same unique ID)", &out, mark);
    s.case(
        r"remove T: deletes Parameters\Disks\KEEP1; after a restart it is gone",
        |w| {
            let j = json(&ctl_ok(w, &["--json", "remove", "T:", "--no-broadcast"])?)?;
            ensure!(j["unpersisted"] == "KEEP1", "{j}");
            let q = w.wine(&["reg", "query", &key])?;
            ensure!(!q.ok(), "the subkey is still there: {}", q.text());
            stop_balanced(w)?;
            ctl_ok(w, &["start", "--no-broadcast"])?;
            ensure!(!present(w, r"\\.\T:")?, "T: came back");
            let r = stop_balanced(w);
            let _ = w.ctl(&["uninstall"]);
            r
        },
    );
}

fn cycles(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "20 sc stop/start cycles with I/O running on Q:, R: and S:, pool balance 0 after each",
        |w| {
            cleanup(w);
            let _ = w.wine(&["reg", "delete", &format!(r"{PARAMS}\Disks"), "/f"]);
            install(w, sys, &Config::new(8 << 20, 'Q'))?;
            boot_disk(w, "C1", 4 << 20, 'R', &[])?;
            boot_disk(w, "C2", 8 << 20, 'S', &[])?;
            let mark = w.log_mark();
            let t = Instant::now();
            let out = w.e2e(&[
                "cycles", "20", "Q:", "--io", "Q:", "--io", "R:", "--io", "S:",
            ])?;
            let secs = t.elapsed().as_secs_f64();
            let _ = w.ctl(&["uninstall"]);
            no_crash(w, mark)?;
            ensure!(out.ok(), "{}", out.text());
            let lines = w.driver_lines(mark);
            let balanced = lines
                .iter()
                .filter(|l| l.contains("unloaded, pool balance 0"))
                .count();
            let removed = lines.iter().filter(|l| l.contains("removed, ")).count();
            if balanced != 20 {
                bail!("{balanced} \"pool balance 0\" lines, want 20");
            }
            ensure!(removed == 60, "{removed} disks removed at unload, want 60");
            Ok(format!(
                "{secs:.1} s, 20 x pool balance 0, 60 disks removed at unload"
            ))
        },
    );
}
