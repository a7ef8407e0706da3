//! Dynamic disks (`Allocation=dynamic`): memory on first write, given back by TRIM.
//!
//! - `dynamic/64gib-fat32`: a 64 GiB dynamic FAT32 disk starts on this machine (far
//!   more than half its memory) holding only its metadata; its start time is printed;
//!   the TRIM and thin-provisioning properties say so; writes at scattered offsets
//!   read back and the allocated bytes grow by exactly the chunks they touched; a
//!   TRIM of the written ranges gives them back and they read as zeros; the formatted
//!   head passes `fsck.fat -n`; the stop balances the pool;
//! - `dynamic/memory-limit`: at its `MemoryLimit` a write fails with
//!   `STATUS_DISK_RESOURCES_EXHAUSTED` (the Win32 error Wine maps it to), earlier data
//!   stays intact, a TRIM makes room again;
//! - `dynamic/trim-free-clusters`: `ramdiskctl trim` on a volume whose image was
//!   loaded whole (every chunk allocated) gives back the chunks of the clusters its FAT
//!   marks free and keeps the files;
//! - `dynamic/fixed-trim-zeroes`: a fixed disk answers TRIM by zeroing, keeps its
//!   memory and is not thin-provisioned;
//! - `faults/low-pool-dynamic` (with the fault-injection cases, which build that
//!   driver): the fault-injection driver pretends
//!   `\KernelObjects\LowNonPagedPoolCondition` is signalled: writes that need a new
//!   chunk fail, the others and every read work. What the release driver finds of
//!   that event under Wine is reported by the 64 GiB case;
//! - `faults/small-machine-dynamic`: on the fault-injection driver's pretend 64 MiB
//!   machine (`FaultInject` 5), a `MemoryLimit` one byte above the physical memory is
//!   refused (`STATUS_INSUFFICIENT_RESOURCES`, naming `MemoryLimit`), and a 1 GiB
//!   dynamic disk (16 times the fixed-disk cap) starts with the default limit, half
//!   of the machine: 32 MiB.

use std::{fs, path::Path, time::Instant};

use anyhow::{Context, Result, ensure};

use super::{
    Config, Env,
    bad_values::{number_before, start_must_fail},
    cleanup, ctl_ok, device, install, json,
    matrix::dump_sparse,
    runner::{Case, Scenario, Suite},
    stop_clean,
};
use crate::wine::{PARAMS, Wine};

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
/// The driver's chunk (`ramdisk_store::DYNAMIC_CHUNK_SHIFT`).
const CHUNK: u64 = 2 * MIB;
/// The memory-limit case's `MemoryLimit`: four chunks (the metadata takes one).
const LIMIT: u64 = 4 * CHUNK;
/// Where the memory-limit case writes: past the metadata, in chunks of their own.
const LIMIT_AT: u64 = 16 * MIB;
/// The Win32 error Windows' `RtlNtStatusToDosError` gives for
/// `STATUS_DISK_RESOURCES_EXHAUSTED` (0xC0000461): `ERROR_DISK_RESOURCES_EXHAUSTED`.
const ERROR_DISK_RESOURCES_EXHAUSTED: u32 = 314;

/// The scenario's cases.
pub fn cases(env: &Env) -> Vec<Case<'_>> {
    let sys = &env.sys;
    vec![
        Case::new(Scenario::Dynamic, "dynamic/64gib-fat32", move |s| {
            big_disk(s, sys);
            Ok(())
        }),
        Case::new(Scenario::Dynamic, "dynamic/memory-limit", move |s| {
            memory_limit(s, sys);
            Ok(())
        }),
        Case::new(Scenario::Dynamic, "dynamic/trim-free-clusters", move |s| {
            trim_free_clusters(s, sys);
            Ok(())
        }),
        Case::new(Scenario::Dynamic, "dynamic/fixed-trim-zeroes", move |s| {
            fixed_trim(s, sys);
            Ok(())
        }),
    ]
}

/// The case that needs the fault-injection driver; it runs with the `faults/` cases
/// (which build that driver).
pub fn fault_cases(env: &Env) -> Vec<Case<'_>> {
    let fault_sys = move || {
        env.fault_sys
            .as_deref()
            .context("the fault-injection driver was not built")
    };
    vec![
        Case::new(Scenario::Faults, "faults/low-pool-dynamic", move |s| {
            low_pool(s, fault_sys()?);
            Ok(())
        }),
        Case::new(Scenario::Faults, "faults/small-machine-dynamic", move |s| {
            small_machine(s, fault_sys()?);
            Ok(())
        }),
    ]
}

/// Installs `cfg` as a dynamic disk (`ramdiskctl install --allocation dynamic`, with
/// `--memory-limit` if given), sets `extra` Parameters values, and starts it; the
/// seconds `ramdiskctl start` took.
fn start_dynamic(
    w: &Wine,
    sys: &Path,
    cfg: &Config,
    limit: Option<u64>,
    extra: &[(&str, &str, &str)],
) -> Result<f64> {
    cleanup(w);
    let mut args = cfg.install_args(sys);
    args.extend(["--allocation".into(), "dynamic".into()]);
    if let Some(l) = limit {
        args.extend(["--memory-limit".into(), l.to_string()]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ctl_ok(w, &refs)?;
    for (name, kind, data) in extra {
        w.wine(&[
            "reg", "add", PARAMS, "/v", name, "/t", kind, "/d", data, "/f",
        ])?
        .check()?;
    }
    let t = Instant::now();
    ctl_ok(w, &["start", "--no-broadcast"])?;
    Ok(t.elapsed().as_secs_f64())
}

/// `ramdiskctl --json info`.
fn info(w: &Wine, dev: &str) -> Result<serde_json::Value> {
    json(&ctl_ok(w, &["--json", "info", dev])?)
}

/// `allocated_bytes` of `ramdiskctl --json info`.
fn allocated(w: &Wine, dev: &str) -> Result<u64> {
    info(w, dev)?["allocated_bytes"]
        .as_u64()
        .context("info has no allocated_bytes")
}

/// `ramdisk-e2e pattern`: `(Win32 error, pattern matched)`.
fn pattern(w: &Wine, dev: &str, op: &str, offset: u64, len: u64, seed: u64) -> Result<(u32, bool)> {
    let out = w.e2e(&[
        "pattern",
        dev,
        op,
        &offset.to_string(),
        &len.to_string(),
        &seed.to_string(),
    ])?;
    let line = out.stdout.trim().to_string();
    let field = |key: &str| line.split_whitespace().find_map(|f| f.strip_prefix(key));
    let error = field("error=")
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no error= in {line:?}"))?;
    Ok((error, field("match=") == Some("true")))
}

fn write_ok(w: &Wine, dev: &str, offset: u64, len: u64, seed: u64) -> Result<()> {
    let (e, _) = pattern(w, dev, "write", offset, len, seed)?;
    ensure!(
        e == 0,
        "write of {len} bytes at {offset} failed with Win32 error {e}"
    );
    Ok(())
}

fn reads_back(w: &Wine, dev: &str, offset: u64, len: u64, seed: u64) -> Result<()> {
    let (e, same) = pattern(w, dev, "check", offset, len, seed)?;
    ensure!(
        e == 0 && same,
        "{len} bytes at {offset}: error {e}, match {same}"
    );
    Ok(())
}

/// `len` bytes that repeat nowhere (splitmix64 of the position).
pub(super) fn noise(seed: u64, len: usize) -> Vec<u8> {
    (0..len.div_ceil(8) as u64)
        .flat_map(|i| {
            let mut z = seed.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)).to_le_bytes()
        })
        .take(len)
        .collect()
}

/// Chunks `[offset, offset + len)` touches.
const fn chunks(offset: u64, len: u64) -> u64 {
    (offset + len).div_ceil(CHUNK) - offset / CHUNK
}

/// Scattered writes of the 64 GiB case: chunk-aligned runs far apart, and one 4 KiB
/// write inside a chunk.
const SCATTERED: [(u64, u64); 6] = [
    (GIB, 256 * KIB),
    (7 * GIB + 3 * MIB, CHUNK),
    (13 * GIB, 4 * MIB),
    (29 * GIB + 640 * KIB, 128 * KIB),
    (47 * GIB + 8 * KIB, 4 * KIB),
    (64 * GIB - 512 * KIB, 512 * KIB),
];

#[expect(clippy::too_many_lines, reason = "a script: one check after the other")]
fn big_disk(s: &mut Suite<'_>, sys: &Path) {
    let size = 64 * GIB;
    let cfg = Config {
        fs: Some("FAT32"),
        label: Some("DYNAMIC"),
        ..Config::new(size, 'R')
    };
    let dev = device('R');
    let mark = s.wine.log_mark();
    let mut baseline = None;
    let started = s.case(
        "64 GiB dynamic FAT32 disk starts holding only its metadata (start time, memory, the pool event)",
        |w| {
            let secs = start_dynamic(w, sys, &cfg, None, &[])?;
            let j = info(w, &dev)?;
            ensure!(j["size"] == size, "size {}", j["size"]);
            ensure!(j["file_system"]["type"] == "FAT32", "file system {}", j["file_system"]);
            ensure!(j["allocation"] == "dynamic", "allocation {}", j["allocation"]);
            ensure!(j["chunk_bytes"] == CHUNK, "chunk {}", j["chunk_bytes"]);
            let held = j["allocated_bytes"].as_u64().context("allocated_bytes")?;
            let table = j["table_bytes"].as_u64().context("table_bytes")?;
            let limit = j["memory_limit_bytes"].as_u64().context("memory_limit_bytes")?;
            // At most 7 metadata sectors were written, in at most 8 chunks.
            ensure!(held > 0 && held <= 8 * CHUNK, "{held} bytes of chunks after start");
            let lines = w.driver_lines(mark);
            // The default limit: half of the memory the driver was told, in sectors.
            let physical = lines
                .iter()
                .find_map(|l| l.rsplit_once(", physical memory ")?.1.strip_suffix(" bytes")?.parse::<u64>().ok())
                .context("no load line naming the physical memory")?;
            ensure!(
                limit == (physical / 2) / 512 * 512,
                "limit {limit}, want half of the {physical} bytes of physical memory"
            );
            let event = lines
                .iter()
                .find(|l| l.contains("LowNonPagedPoolCondition"))
                .map_or_else(|| "opened (no complaint logged)".to_string(), Clone::clone);
            baseline = Some(held);
            Ok(format!(
                "started in {secs:.2} s (ramdiskctl start); {held} bytes of chunks + {table} bytes of table; \
                 limit {limit} (half of {physical}); LowNonPagedPoolCondition: {event}"
            ))
        },
    );
    if !started {
        let _ = stop_clean(s.wine, &dev, mark);
        return;
    }
    let baseline = baseline.unwrap_or(0);
    s.case(
        "TRIM and thin-provisioning properties of a dynamic disk",
        |w| {
            let out = w.e2e(&["thin", &dev, "--granularity", &CHUNK.to_string()])?;
            ensure!(out.ok(), "{}", out.text());
            Ok(out
                .stdout
                .lines()
                .filter(|l| l.starts_with("PASS"))
                .count()
                .to_string()
                + " checks")
        },
    );
    s.case(
        "writes at scattered offsets read back; allocated bytes grow by exactly their chunks",
        |w| {
            for (i, &(offset, len)) in SCATTERED.iter().enumerate() {
                write_ok(w, &dev, offset, len, i as u64 + 1)?;
            }
            for (i, &(offset, len)) in SCATTERED.iter().enumerate() {
                reads_back(w, &dev, offset, len, i as u64 + 1)?;
            }
            let want: u64 = SCATTERED.iter().map(|&(o, n)| chunks(o, n) * CHUNK).sum();
            let held = allocated(w, &dev)?;
            ensure!(
                held == baseline + want,
                "{held} bytes held, want {baseline} + {want}"
            );
            Ok(format!("{} ranges, +{want} bytes", SCATTERED.len()))
        },
    );
    s.case(
        "TRIM of the written ranges gives their chunks back; they read as zeros",
        |w| {
            let mut partial = 0;
            for &(offset, len) in &SCATTERED {
                let j = json(&ctl_ok(
                    w,
                    &[
                        "--json",
                        "trim",
                        &dev,
                        "--offset",
                        &offset.to_string(),
                        "--length",
                        &len.to_string(),
                    ],
                )?)?;
                ensure!(j["mode"] == "range" && j["bytes"] == len, "{j}");
                if offset % CHUNK != 0 || len % CHUNK != 0 {
                    partial += chunks(offset, len);
                }
            }
            for &(offset, len) in &SCATTERED {
                reads_back(w, &dev, offset, len, 0)?;
            }
            let held = allocated(w, &dev)?;
            ensure!(
                held == baseline + partial * CHUNK,
                "{held} bytes held, want {baseline} + {partial} zeroed partial chunks"
            );
            Ok(format!(
                "back to {held} bytes ({partial} partly trimmed chunk kept, zeroed)"
            ))
        },
    );
    s.case(
        "the formatted head of the 64 GiB image passes fsck.fat -n",
        |w| {
            let j = info(w, &dev)?;
            let f = &j["file_system"];
            let first_data = (f["total_sectors"].as_u64().unwrap_or(0)
                - f["clusters"].as_u64().unwrap_or(0)
                    * f["sectors_per_cluster"].as_u64().unwrap_or(1))
                * 512;
            let head = (first_data + f["cluster_size"].as_u64().unwrap_or(0)).next_multiple_of(MIB);
            let img = w.log_dir.join("dynamic-64gib.img");
            dump_sparse(w, &dev, &img, size, head)?;
            let fsck = w.host("fsck.fat", &["-n", &img.display().to_string()])?;
            let _ = fs::remove_file(&img);
            ensure!(fsck.ok(), "fsck.fat -n failed:\n{}", fsck.text());
            Ok(fsck.stdout.lines().last().unwrap_or("").trim().to_string())
        },
    );
    s.case(
        "64 GiB dynamic disk stops cleanly (pool balance 0, no crash)",
        |w| stop_clean(w, &dev, mark),
    );
}

/// The small disk of the limit and low-pool cases: 64 MiB FAT16 on Q:.
const fn small_fat16() -> Config {
    Config {
        fs: Some("FAT16"),
        ..Config::new(64 * MIB, 'Q')
    }
}

fn memory_limit(s: &mut Suite<'_>, sys: &Path) {
    let cfg = small_fat16();
    let dev = device('Q');
    let mark = s.wine.log_mark();
    s.case(
        "at its MemoryLimit a write fails with STATUS_DISK_RESOURCES_EXHAUSTED and changes nothing",
        |w| {
            start_dynamic(w, sys, &cfg, Some(LIMIT), &[])?;
            let j = info(w, &dev)?;
            ensure!(j["memory_limit_bytes"] == LIMIT, "limit {}", j["memory_limit_bytes"]);
            let base = allocated(w, &dev)?;
            // One new chunk per write, from LIMIT_AT on: the limit leaves room for this
            // many.
            let room = (LIMIT - base) / CHUNK;
            ensure!(room > 0, "the metadata alone holds {base} bytes");
            for k in 0..room {
                write_ok(w, &dev, LIMIT_AT + k * CHUNK, CHUNK, k + 1)?;
            }
            let at = LIMIT_AT + room * CHUNK;
            let (error, _) = pattern(w, &dev, "write", at, CHUNK, 99)?;
            ensure!(
                error == ERROR_DISK_RESOURCES_EXHAUSTED,
                "the write past the limit gave Win32 error {error}, want {ERROR_DISK_RESOURCES_EXHAUSTED}"
            );
            // A write across a held and a new chunk fails whole: the held half keeps its data.
            let (error, _) = pattern(w, &dev, "write", at - CHUNK / 2, CHUNK, 98)?;
            ensure!(error == ERROR_DISK_RESOURCES_EXHAUSTED, "straddling write: error {error}");
            for k in 0..room {
                reads_back(w, &dev, LIMIT_AT + k * CHUNK, CHUNK, k + 1)?;
            }
            reads_back(w, &dev, at, CHUNK, 0)?;
            ensure!(allocated(w, &dev)? == LIMIT, "not exactly at the limit");
            let logged = w
                .driver_lines(mark)
                .into_iter()
                .find(|l| l.contains("STATUS_DISK_RESOURCES_EXHAUSTED"))
                .context("no log line about the exhausted writes")?;
            // TRIM makes room again.
            ctl_ok(w, &["trim", &dev, "--offset", &LIMIT_AT.to_string(), "--length", &CHUNK.to_string()])?;
            write_ok(w, &dev, at, CHUNK, 99)?;
            reads_back(w, &dev, at, CHUNK, 99)?;
            ensure!(
                w.driver_lines(mark).iter().any(|l| l.contains("writes succeed again")),
                "no \"writes succeed again\" line"
            );
            Ok(format!("{room} chunks fit; then Win32 error {ERROR_DISK_RESOURCES_EXHAUSTED}; {logged}"))
        },
    );
    s.case("the limited disk stops cleanly (pool balance 0)", |w| {
        stop_clean(w, &dev, mark)
    });
}

fn trim_free_clusters(s: &mut Suite<'_>, sys: &Path) {
    let size = 256 * MIB;
    let cfg = Config {
        fs: Some("FAT32"),
        ..Config::new(size, 'R')
    };
    let dev = device('R');
    let mark = s.wine.log_mark();
    s.case(
        "ramdiskctl trim gives back the chunks of the clusters the FAT marks free and keeps the files",
        |w| {
            start_dynamic(w, sys, &cfg, None, &[])?;
            let dir = w.log_dir.join("dynamic");
            fs::create_dir_all(&dir)?;
            let img = dir.join("trim.img");
            let path = img.display().to_string();
            ctl_ok(w, &["dump", &path, &dev])?;
            // Two files; the first is deleted, so its clusters are free but hold data.
            let (gone, kept) = (dir.join("gone.bin"), dir.join("kept.bin"));
            let data = noise(7, usize::try_from(8 * MIB)?);
            fs::write(&gone, &data)?;
            fs::write(&kept, &data[..usize::try_from(3 * MIB)?])?;
            w.host("mcopy", &["-i", &path, &gone.display().to_string(), "::/GONE.BIN"])?
                .check()?;
            w.host("mcopy", &["-i", &path, &kept.display().to_string(), "::/KEPT.BIN"])?
                .check()?;
            w.host("mdel", &["-i", &path, "::/GONE.BIN"])?.check()?;
            ctl_ok(w, &["load", &path, &dev])?;
            let full = allocated(w, &dev)?;
            ensure!(full == size, "after loading the whole image {full} bytes are held");
            let t = json(&ctl_ok(w, &["--json", "trim", &dev])?)?;
            ensure!(t["mode"] == "free_clusters", "{t}");
            ensure!(t["allocated_before"] == size, "{t}");
            let after = t["allocated_after"].as_u64().context("allocated_after")?;
            ensure!(after == allocated(w, &dev)?, "trim and info disagree");
            // Left: the metadata (reserved sectors and both FATs, up to the first data
            // cluster), the root directory and KEPT.BIN's 3 MiB, and a chunk at each
            // edge of a run: nothing of GONE.BIN's 8 MiB or of the free space.
            let f = &info(w, &dev)?["file_system"];
            let metadata = (f["total_sectors"].as_u64().unwrap_or(0)
                - f["clusters"].as_u64().unwrap_or(0) * f["sectors_per_cluster"].as_u64().unwrap_or(1))
                * 512;
            let bound = metadata + 3 * MIB + 8 * CHUNK;
            ensure!(after <= bound, "{after} bytes held after trim, more than {bound}");
            // The files are intact, the freed space reads as zeros, fsck is happy.
            ctl_ok(w, &["dump", &path, &dev])?;
            let back = dir.join("back.bin");
            w.host("mcopy", &["-n", "-i", &path, "::/KEPT.BIN", &back.display().to_string()])?
                .check()?;
            ensure!(fs::read(&back)? == data[..usize::try_from(3 * MIB)?], "KEPT.BIN changed");
            let fsck = w.host("fsck.fat", &["-n", &path])?;
            ensure!(fsck.ok(), "fsck.fat -n:\n{}", fsck.text());
            let image = fs::read(&img)?;
            let gone_left = image
                .windows(4096)
                .step_by(512)
                .any(|b| b == &data[5 << 20..(5 << 20) + 4096]);
            ensure!(!gone_left, "the deleted file's data is still on the disk");
            for p in [&img, &gone, &kept, &back] {
                let _ = fs::remove_file(p);
            }
            Ok(format!(
                "{} free clusters in {} runs, lock {}; {size} -> {after} bytes held (metadata {metadata})",
                t["free_clusters"], t["ranges"], t["lock"]
            ))
        },
    );
    s.case("the trimmed disk stops cleanly (pool balance 0)", |w| {
        stop_clean(w, &dev, mark)
    });
}

fn fixed_trim(s: &mut Suite<'_>, sys: &Path) {
    // A fixed disk has no allocation unit to speak of: 64 KiB pieces.
    const PIECE: u64 = 64 * KIB;
    let dev = device('Q');
    let mark = s.wine.log_mark();
    s.case(
        "a fixed disk zeroes a TRIM, keeps its memory and is not thin",
        |w| {
            cleanup(w);
            install(w, sys, &Config::new(8 * MIB, 'Q'))?;
            ctl_ok(w, &["start", "--no-broadcast"])?;
            let j = info(w, &dev)?;
            ensure!(
                j["allocation"] == "fixed" && j["allocated_bytes"] == 8 * MIB,
                "{j}"
            );
            write_ok(w, &dev, MIB, 4 * PIECE, 5)?;
            let t = json(&ctl_ok(
                w,
                &[
                    "--json",
                    "trim",
                    &dev,
                    "--offset",
                    &(MIB + PIECE).to_string(),
                    "--length",
                    &PIECE.to_string(),
                ],
            )?)?;
            ensure!(
                t["allocation"] == "fixed" && t["allocated_after"] == 8 * MIB,
                "{t}"
            );
            reads_back(w, &dev, MIB + PIECE, PIECE, 0)?;
            let (e, same) = pattern(w, &dev, "check", MIB, PIECE, 5)?;
            ensure!(e == 0 && same, "the piece before the trimmed one changed");
            let out = w.e2e(&["thin", &dev])?;
            ensure!(out.ok(), "{}", out.text());
            Ok(out
                .stdout
                .lines()
                .filter(|l| l.starts_with("PASS"))
                .collect::<Vec<_>>()
                .join("; "))
        },
    );
    s.case("the fixed disk stops cleanly (pool balance 0)", |w| {
        stop_clean(w, &dev, mark)
    });
}

fn low_pool(s: &mut Suite<'_>, fault_sys: &Path) {
    let cfg = small_fat16();
    let dev = device('Q');
    let mark = s.wine.log_mark();
    s.case(
        "with the low-pool condition signalled (fault injection) writes needing a new chunk fail, the rest works",
        |w| {
            // FaultInject 7 arms once the disk is loaded: formatting works, writes
            // that need a new chunk do not.
            start_dynamic(w, fault_sys, &cfg, None, &[("FaultInject", "REG_DWORD", "7")])?;
            let base = allocated(w, &dev)?;
            let (error, _) = pattern(w, &dev, "write", 32 * MIB, CHUNK, 3)?;
            ensure!(
                error == ERROR_DISK_RESOURCES_EXHAUSTED,
                "write into a hole: Win32 error {error}"
            );
            reads_back(w, &dev, 32 * MIB, CHUNK, 0)?;
            // 32 KiB lies in the first chunk (the FAT), which holds memory: no
            // allocation needed.
            write_ok(w, &dev, 32 * KIB, 4 * KIB, 4)?;
            reads_back(w, &dev, 32 * KIB, 4 * KIB, 4)?;
            ensure!(
                allocated(w, &dev)? == base,
                "memory was allocated while the pool is low"
            );
            let said = w
                .driver_lines(mark)
                .into_iter()
                .find(|l| l.contains("the system is low on memory"))
                .context("no log line about the low pool")?;
            Ok(said)
        },
    );
    s.case("the low-pool disk stops cleanly (pool balance 0)", |w| {
        stop_clean(w, &dev, mark)
    });
}

/// `FaultInject` 5: the physical memory reads as 64 MiB.
const SMALL_MACHINE: (&str, &str, &str) = ("FaultInject", "REG_DWORD", "5");

fn small_machine(s: &mut Suite<'_>, fault_sys: &Path) {
    s.case(
        "on a 64 MiB machine a MemoryLimit of 64 MiB + 1 is refused, naming MemoryLimit",
        |w| {
            let lines = start_must_fail(
                w,
                &crate::wine::win_path(fault_sys),
                &[
                    SMALL_MACHINE,
                    ("Allocation", "REG_SZ", "dynamic"),
                    ("MemoryLimit", "REG_DWORD", "67108865"),
                ],
            )?;
            let line = lines
                .iter()
                .find(|l| {
                    l.contains(
                        "ramdisk: MemoryLimit: 67108865 bytes is more than the 67108864 bytes \
                         of physical memory",
                    )
                })
                .cloned()
                .with_context(|| format!("no line naming MemoryLimit: {lines:?}"))?;
            ensure!(
                lines
                    .iter()
                    .any(|l| l.contains("DriverEntry failed with 0xc000009a")),
                "not STATUS_INSUFFICIENT_RESOURCES: {lines:?}"
            );
            cleanup(w);
            Ok(line)
        },
    );
    let dev = device('Q');
    let mark = s.wine.log_mark();
    s.case(
        "on a 64 MiB machine a 1 GiB dynamic disk starts; its default limit is 32 MiB",
        |w| {
            let cfg = Config::new(GIB, 'Q');
            start_dynamic(w, fault_sys, &cfg, None, &[SMALL_MACHINE])?;
            let j = info(w, &dev)?;
            ensure!(
                j["size"] == GIB && j["allocation"] == "dynamic",
                "size {} allocation {}",
                j["size"],
                j["allocation"]
            );
            ensure!(
                j["memory_limit_bytes"] == 32 * MIB,
                "limit {}, want half of 64 MiB",
                j["memory_limit_bytes"]
            );
            // The disk's lines: its size and volume, then its memory and the
            // physical memory it was planned against.
            let lines = w.driver_lines(mark);
            lines
                .iter()
                .find(|l| l.ends_with("physical memory 67108864 bytes"))
                .context("no load line naming the pretend 64 MiB")?;
            lines
                .iter()
                .find(|l| number_before(l, "bytes,") == Some(GIB))
                .context("no load line naming the 1 GiB disk")?;
            Ok(format!("limit {} bytes", j["memory_limit_bytes"]))
        },
    );
    s.case(
        "the small machine's dynamic disk stops cleanly (pool balance 0)",
        |w| stop_clean(w, &dev, mark),
    );
}
