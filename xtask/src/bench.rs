//! `cargo xtask bench`: runs the criterion benches of `ramdisk-core`
//! (`core/benches/format.rs`) and `ramdisk-store` (`store/benches/datapath.rs`: the
//! real store code, fixed and dynamic), reads criterion's JSON results (and the
//! paired and memory figures the data-path bench writes) and writes a Markdown
//! table to `target/bench/perf.md` and into README.md between
//! `<!-- perf:begin -->` and `<!-- perf:end -->` (the Wine numbers of
//! `ramdiskctl bench` live between `<!-- perf-wine:begin/end -->`, untouched here).
//!
//! Numbers are criterion medians (robust against the odd slow sample on a shared
//! machine). Nothing here judges them: no timing threshold fails a build.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::util::{
    files_below, output, run as run_command, target_dir, workspace_root, write_if_changed,
};

const BEGIN: &str = "<!-- perf:begin -->";
const END: &str = "<!-- perf:end -->";

/// Request sizes of `store/benches/datapath.rs`: (id suffix, label).
const SIZES: [(&str, &str); 4] = [
    ("512B", "512 B"),
    ("4KiB", "4 KiB"),
    ("64KiB", "64 KiB"),
    ("1MiB", "1 MiB"),
];
/// Chunk sizes (KiB) of the sweep in `store/benches/datapath.rs`.
const SWEEP_KIB: [u32; 7] = [4, 16, 64, 256, 1024, 2048, 4096];
/// The crates whose criterion benches `cargo xtask bench` runs.
const BENCH_CRATES: [(&str, &str); 2] = [("ramdisk-core", "core"), ("ramdisk-store", "store")];
/// Disk sizes of `core/benches/format.rs`.
const FORMAT_SIZES: [&str; 7] = ["1MiB", "16MiB", "256MiB", "1GiB", "4GiB", "16GiB", "64GiB"];

/// One benchmark's result.
#[derive(Clone, Copy, Debug)]
struct Estimate {
    /// Median time per iteration, ns.
    median_ns: f64,
    /// 95 % confidence interval of the median, ns.
    low_ns: f64,
    high_ns: f64,
    /// Bytes per iteration, when the bench declared a throughput.
    bytes: Option<f64>,
}

impl Estimate {
    /// GB/s (10^9 bytes per second) at the median.
    fn gbps(&self) -> Option<f64> {
        self.bytes.map(|b| b / self.median_ns)
    }
}

fn criterion_home() -> PathBuf {
    target_dir().join("bench/criterion")
}

/// Runs every bench, then writes the table.
pub fn run() -> Result<()> {
    let root = workspace_root();
    let load_before = load_average();
    for (package, dir) in BENCH_CRATES {
        let mut benches: Vec<String> = fs::read_dir(root.join(dir).join("benches"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        benches.sort();
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.current_dir(&root)
            .env_remove("CARGO_TARGET_DIR")
            .env("CRITERION_HOME", criterion_home())
            .args(["bench", "-p", package]);
        for bench in &benches {
            cmd.args(["--bench", bench]);
        }
        cmd.args(["--", "--noplot"]);
        run_command(&mut cmd)?;
    }
    let load_after = load_average();

    let results = read_results(&criterion_home())?;
    let machine = Machine::probe(&load_before, &load_after);
    let table = render(&results, &machine)?;

    let perf = target_dir().join("bench/perf.md");
    write_if_changed(&perf, table.as_bytes())?;
    println!("\n{table}");
    println!("written to {}", perf.display());

    let readme_path = root.join("README.md");
    let readme = fs::read_to_string(&readme_path).unwrap_or_default();
    let Some(updated) = splice(&readme, &table) else {
        bail!(
            "{} has no `{BEGIN}` ... `{END}` markers (in that order) in its Performance \
             section; add them and re-run (the table is in {})",
            readme_path.display(),
            perf.display()
        );
    };
    if write_if_changed(&readme_path, updated.as_bytes())? {
        println!("README.md Performance section updated");
    }
    Ok(())
}

/// `text` with everything between the markers replaced by `table`.
fn splice(text: &str, table: &str) -> Option<String> {
    let start = text.find(BEGIN)? + BEGIN.len();
    let end = start + text[start..].find(END)?;
    Some(format!(
        "{}\n{}\n{}",
        &text[..start],
        table.trim_end(),
        &text[end..]
    ))
}

/// Every `*/new/benchmark.json` + `estimates.json` under `home`, by full id.
fn read_results(home: &Path) -> Result<BTreeMap<String, Estimate>> {
    let mut results = BTreeMap::new();
    for path in files_below(home, "") {
        if path.file_name().is_some_and(|n| n == "benchmark.json")
            && path.parent().is_some_and(|p| p.ends_with("new"))
        {
            let (id, estimate) =
                read_one(&path).with_context(|| format!("criterion result {}", path.display()))?;
            results.insert(id, estimate);
        }
    }
    if results.is_empty() {
        bail!("no criterion results under {}", home.display());
    }
    Ok(results)
}

fn read_one(benchmark_json: &Path) -> Result<(String, Estimate)> {
    let bench = serde_json::from_str::<Value>(&fs::read_to_string(benchmark_json)?)?;
    let estimates_path = benchmark_json.with_file_name("estimates.json");
    let estimates = serde_json::from_str::<Value>(&fs::read_to_string(&estimates_path)?)?;
    let id = bench
        .get("full_id")
        .and_then(Value::as_str)
        .context("no full_id")?
        .to_string();
    let bytes = bench
        .get("throughput")
        .and_then(|t| t.get("Bytes"))
        .and_then(Value::as_f64);
    let median = estimates.get("median").context("no median")?;
    let number = |v: Option<&Value>, what: &str| {
        v.and_then(Value::as_f64)
            .with_context(|| format!("no {what}"))
    };
    let ci = median.get("confidence_interval");
    Ok((
        id,
        Estimate {
            median_ns: number(median.get("point_estimate"), "median")?,
            low_ns: number(ci.and_then(|c| c.get("lower_bound")), "lower bound")?,
            high_ns: number(ci.and_then(|c| c.get("upper_bound")), "upper bound")?,
            bytes,
        },
    ))
}

/// What the numbers were measured on.
struct Machine {
    date: String,
    cpu: String,
    nproc: String,
    memory: String,
    rustc: String,
    load: String,
}

impl Machine {
    fn probe(load_before: &str, load_after: &str) -> Self {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, v)| v.trim())
            })
            .unwrap_or("unknown CPU")
            .to_string();
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or_else(
                || "unknown".into(),
                |kib| format!("{:.0} GiB", kib / 1024.0 / 1024.0),
            );
        let nproc = output(&mut Command::new("nproc")).map_or_else(
            |_| std::thread::available_parallelism().map_or_else(|_| "?".into(), |n| n.to_string()),
            |s| s.trim().to_string(),
        );
        let date = output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
            .map_or_else(|_| "unknown date".into(), |s| s.trim().to_string());
        let rustc = output(Command::new("rustc").arg("--version"))
            .map_or_else(|_| "rustc ?".into(), |s| s.trim().to_string());
        Self {
            date,
            cpu,
            nproc,
            memory,
            rustc,
            load: format!("{load_before} before, {load_after} after"),
        }
    }
}

/// The 1-minute load average, for judging how noisy a run was.
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// Human time: ns below 10 µs, µs below 10 ms, else ms.
fn time(ns: f64) -> String {
    if ns < 10_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 10_000_000.0 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{:.1} ms", ns / 1e6)
    }
}

fn cell(e: &Estimate) -> String {
    e.gbps().map_or_else(
        || time(e.median_ns),
        |g| format!("{} ({g:.1} GB/s)", time(e.median_ns)),
    )
}

type Results = BTreeMap<String, Estimate>;

fn get(results: &Results, id: &str) -> Result<Estimate> {
    results
        .get(id)
        .copied()
        .with_context(|| format!("criterion has no result for `{id}` (did a bench get renamed?)"))
}

/// The Markdown that goes between the README markers.
fn render(results: &Results, m: &Machine) -> Result<String> {
    let mut out = String::new();
    let o = &mut out;
    writeln!(
        o,
        "_Measured {} on {} ({} cores by `nproc`, {} RAM), {}; 1-minute load average {}. \
         Criterion medians. The machine is shared with other builds, so expect a few \
         percent of noise between runs; no test depends on these numbers._\n",
        m.date, m.cpu, m.nproc, m.memory, m.rustc, m.load
    )?;
    render_datapath(o, results)?;
    render_dynamic(o, results)?;
    render_threads(o, results)?;
    render_chunks(o, results)?;
    render_format(o, results)?;
    writeln!(
        o,
        "Reproduce: `cargo xtask bench` (a few minutes; raw criterion output in \
         `target/bench/criterion`, this table also in `target/bench/perf.md`). \
         The Wine numbers (`ramdiskctl bench`, through the real driver) are below."
    )?;
    Ok(out)
}

/// The paired measurement of `datapath.rs` for one id (`read-4KiB`, ...).
#[derive(Clone, Copy, Debug)]
struct Paired {
    ratio: f64,
    p25: f64,
    p75: f64,
    added_ns: f64,
}

impl Paired {
    /// `0.972× (0.95–0.99)`: the median ratio and its interquartile range.
    fn ratio_text(&self) -> String {
        format!("{:.3}× ({:.2}–{:.2})", self.ratio, self.p25, self.p75)
    }
}

/// The paired result `id`.
fn paired_result(paired: &BTreeMap<String, Paired>, id: &str) -> Result<Paired> {
    paired
        .get(id)
        .copied()
        .with_context(|| format!("no paired result for {id}"))
}

/// `$CRITERION_HOME/datapath-paired.json`, by id.
fn read_paired(home: &Path) -> Result<BTreeMap<String, Paired>> {
    let path = home.join("datapath-paired.json");
    let text = fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
    let Value::Object(members) = serde_json::from_str::<Value>(&text)? else {
        bail!("{}: not a JSON object", path.display());
    };
    let mut out = BTreeMap::new();
    for (id, v) in members {
        let number = |key: &str| {
            v.get(key)
                .and_then(Value::as_f64)
                .with_context(|| format!("{}: {id} has no {key}", path.display()))
        };
        let paired = Paired {
            ratio: number("ratio")?,
            p25: number("ratio_p25")?,
            p75: number("ratio_p75")?,
            added_ns: number("added_ns")?,
        };
        out.insert(id, paired);
    }
    Ok(out)
}

fn render_datapath(o: &mut String, results: &Results) -> Result<()> {
    let paired = read_paired(&criterion_home())?;
    writeln!(
        o,
        "**Data path** (`store/benches/datapath.rs`): one READ/WRITE as the driver's disk runs \
         it (`request::check`, then the real `ramdisk_store::Store::read`/`write` of a fixed \
         disk's store: chunk lookup in 2 MiB chunks, one raw-pointer copy, split at \
         chunk boundaries when a request crosses one, no lock) against a plain \
         `copy_from_slice` of the same size **over the same memory**: the store's chunks are \
         consecutive pieces of one page-aligned 256 MiB block (where each one lies is found \
         with markers, not assumed), and the baseline copies between the same buffer and the \
         same bytes of that block, so both sides read and write the very same physical \
         pages, in the same run, over the same pseudo-random 4 KiB-aligned offsets (512 B-aligned for \
         512 B). This measures the store's own work (the checks, the table lookup, the \
         in-flight check of a dynamic store, the split); it does not measure how the pool \
         scatters a real disk's chunks, which each are a pool block of their own, nor the \
         IRP around the copy (its rundown reference, which every IRP of either kind of disk \
         takes, is measured on its own below). \
         The 4096 offsets of a sequence touch 2 MiB (512 B) and 16 MiB (4 KiB) of the image, \
         largely cache-resident; 64 KiB and 1 MiB requests span the whole image (DRAM). \
         Times are criterion medians per request. The ratio (driver throughput / \
         `copy_from_slice` throughput) is measured *paired*: thousands of short rounds that \
         time a batch of each side back to back (order balanced over groups of four rounds; \
         each side meets an offset block half a cycle after the other, so neither finds the \
         other's data in the cache), median of the per-group ratios (interquartile range in \
         brackets), so background load on this shared machine cancels out.\n"
    )?;
    writeln!(
        o,
        "| request | store read | `copy_from_slice` read | ratio | store write | `copy_from_slice` write | ratio |"
    )?;
    writeln!(o, "|---|---|---|---|---|---|---|")?;
    let mut large_ratios = Vec::new();
    let mut added = Vec::new();
    for (id, label) in SIZES {
        write!(o, "| {label} |")?;
        for op in ["read", "write"] {
            let driver = get(results, &format!("datapath/store/{op}-{id}"))?;
            let copy = get(results, &format!("datapath/copy_from_slice/{op}-{id}"))?;
            let pair = paired_result(&paired, &format!("{op}-{id}"))?;
            if matches!(id, "4KiB" | "64KiB" | "1MiB") {
                large_ratios.push(pair.ratio);
            }
            if id == "4KiB" {
                added.push((op, pair.added_ns));
            }
            write!(
                o,
                " {} | {} | {} |",
                cell(&driver),
                cell(&copy),
                pair.ratio_text()
            )?;
        }
        writeln!(o)?;
    }
    let min_large = large_ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let added_text: Vec<String> = added
        .iter()
        .map(|(op, ns)| format!("{op} {ns:+.1} ns"))
        .collect();
    let worst_added = added
        .iter()
        .map(|&(_, ns)| ns)
        .fold(f64::NEG_INFINITY, f64::max);
    writeln!(
        o,
        "\nAdded time per 4 KiB request (paired median of store − `copy_from_slice`): {} \
         (target ≤ 100 ns: {}). Lowest paired ratio at 4 KiB and above: {min_large:.3}× \
         (target ≥ 0.97×: {}).\n",
        added_text.join(", "),
        if worst_added <= 100.0 {
            "met"
        } else {
            "NOT met"
        },
        if min_large >= 0.97 { "met" } else { "NOT met" },
    )?;
    let floor = render_floor(o, &paired, "", "fixed")?;
    writeln!(
        o,
        "Lowest floor at 4 KiB and above: {:.3}×; lowest ratio of the fixed store against \
         it: {:.3}×.\n",
        floor.lowest_floor, floor.lowest_over
    )?;
    render_placement(o, &paired)
}

/// The lowest ratios (requests of 4 KiB and above) of one floor table.
struct Floor {
    /// The copy through the table against the plain copy.
    lowest_floor: f64,
    /// The store against the copy through the table.
    lowest_over: f64,
}

/// The floor table of one kind of store (`prefix` of its ids: `""` or `"dynamic-"`).
fn render_floor(
    o: &mut String,
    paired: &BTreeMap<String, Paired>,
    prefix: &str,
    kind: &str,
) -> Result<Floor> {
    writeln!(
        o,
        "**The floor of a chunked store** (the {kind} store's block): a store that keeps a \
         disk in separately allocated chunks cannot start a copy before the load that finds \
         its chunk, because the copy's address depends on it. *floor*: the baseline's own \
         `copy_from_slice` at the place found through one load from a table of chunk places \
         as large as the store's own, paired against the plain baseline (copy time / time \
         through the table); *store over floor*: the {kind} store paired against that copy \
         (time through the table / store time): the store's work beyond the floor.\n"
    )?;
    writeln!(
        o,
        "| request | floor read | store over floor read | floor write | store over floor write |"
    )?;
    writeln!(o, "|---|---|---|---|---|")?;
    let mut floor = Floor {
        lowest_floor: f64::INFINITY,
        lowest_over: f64::INFINITY,
    };
    for (id, label) in SIZES {
        write!(o, "| {label} |")?;
        for op in ["read", "write"] {
            let lookup = paired_result(paired, &format!("{prefix}lookup-{op}-{id}"))?;
            let over = paired_result(paired, &format!("{prefix}over-lookup-{op}-{id}"))?;
            if id != "512B" {
                floor.lowest_floor = floor.lowest_floor.min(lookup.ratio);
                floor.lowest_over = floor.lowest_over.min(over.ratio);
            }
            write!(o, " {} | {} |", lookup.ratio_text(), over.ratio_text())?;
        }
        writeln!(o)?;
    }
    writeln!(o)?;
    Ok(floor)
}

/// The placement rows: the same copy over the store's block and over one apart.
fn render_placement(o: &mut String, paired: &BTreeMap<String, Paired>) -> Result<()> {
    writeln!(
        o,
        "**Placement** (why the baseline copies the store's own memory): the same \
         `copy_from_slice` over the fixed store's block and over a 256 MiB block allocated \
         apart from it (same allocator, alignment and fill, same offsets), paired as above; \
         ratio = time over the block apart / time over the store's block. Nothing but the \
         memory differs, so whatever separates the ratio from 1 is placement (which \
         physical pages, and in this VM how the host backs them) — noise an \
         apart-allocated baseline would add to every ratio above.\n"
    )?;
    read_write_table(o, |op, id| {
        Ok(paired_result(paired, &format!("placement-{op}-{id}"))?.ratio_text())
    })
}

/// A `| request | read | write |` table over [`SIZES`], one `cell(op, size id)` each,
/// and an empty line.
fn read_write_table(o: &mut String, cell: impl Fn(&str, &str) -> Result<String>) -> Result<()> {
    writeln!(o, "| request | read | write |")?;
    writeln!(o, "|---|---|---|")?;
    for (id, label) in SIZES {
        write!(o, "| {label} |")?;
        for op in ["read", "write"] {
            write!(o, " {} |", cell(op, id)?)?;
        }
        writeln!(o)?;
    }
    writeln!(o)?;
    Ok(())
}

/// `$CRITERION_HOME/dynamic-memory.json`: `(name, disk size, chunk bytes, table bytes)`.
fn read_dynamic_memory(home: &Path) -> Result<Vec<(String, u64, u64, u64)>> {
    let path = home.join("dynamic-memory.json");
    let text = fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
    let Value::Object(members) = serde_json::from_str::<Value>(&text)? else {
        bail!("{}: not a JSON object", path.display());
    };
    members
        .into_iter()
        .map(|(name, v)| {
            let n = |k: &str| {
                v.get(k)
                    .and_then(Value::as_u64)
                    .with_context(|| format!("{}: {name} has no {k}", path.display()))
            };
            Ok((
                name.clone(),
                n("disk_size")?,
                n("chunk_bytes")?,
                n("table_bytes")?,
            ))
        })
        .collect()
}

/// Bytes as KiB (below 1 MiB) or MiB, one decimal.
fn kib_mib(bytes: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "display")]
    let b = bytes as f64;
    if bytes < 1 << 20 {
        format!("{:.0} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / 1_048_576.0)
    }
}

#[expect(clippy::too_many_lines, reason = "a report: one table after the other")]
fn render_dynamic(o: &mut String, results: &Results) -> Result<()> {
    let paired = read_paired(&criterion_home())?;
    let pair = |id: &str| paired_result(&paired, id);
    writeln!(
        o,
        "**Dynamic disk** (`Allocation=dynamic`, same bench file): the same requests through a \
         dynamic store whose 2 MiB chunks are all allocated, as the driver's IRPs run them \
         (`Store::read_held`/`write_held` with the IRP's rundown reference, which counts \
         the request in flight for the reclamation: the store claims nothing of its own), \
         paired against `copy_from_slice` over the same memory as above. The differences \
         to the fixed store: its table is flat too (a dynamic disk of up to 128 GiB), so \
         the lookup is the same one load, plus a comparison of the reference's rundown with \
         the store's, a load of the retire list's head on the way out, and a hole check.\n"
    )?;
    writeln!(
        o,
        "| request | dynamic read | ratio | dynamic write | ratio |"
    )?;
    writeln!(o, "|---|---|---|---|---|")?;
    let mut lowest = f64::INFINITY;
    for (id, label) in SIZES {
        write!(o, "| {label} |")?;
        for op in ["read", "write"] {
            let e = get(results, &format!("datapath/dynamic/{op}-{id}"))?;
            let p = pair(&format!("dynamic-{op}-{id}"))?;
            if id != "512B" {
                lowest = lowest.min(p.ratio);
            }
            write!(o, " {} | {} |", cell(&e), p.ratio_text())?;
        }
        writeln!(o)?;
    }
    writeln!(
        o,
        "\nLowest paired ratio of the dynamic store at 4 KiB and above: {lowest:.3}× (target ≥ 0.97×: {}).\n",
        if lowest >= 0.97 { "met" } else { "NOT met" }
    )?;
    let floor = render_floor(o, &paired, "dynamic-", "dynamic")?;
    writeln!(
        o,
        "Lowest floor at 4 KiB and above: {:.3}×{}; lowest ratio of the dynamic store \
         against it: {:.3}×.\n",
        floor.lowest_floor,
        if floor.lowest_floor < 0.97 {
            " — below the 0.97× target: in this run not even a bare copy whose address \
             comes through one table load reached it"
        } else {
            ""
        },
        floor.lowest_over
    )?;
    writeln!(
        o,
        "What the dynamic store adds, paired directly (dynamic store against a fixed one in \
         the same 2 MiB chunks over the same block, both fully allocated, same offsets; \
         ratio = fixed time / dynamic time, and the time added per request):\n"
    )?;
    read_write_table(o, |op, id| {
        let p = pair(&format!("guard-{op}-{id}"))?;
        Ok(format!("{}, {:+.1} ns", p.ratio_text(), p.added_ns))
    })?;
    writeln!(
        o,
        "The IRP's rundown reference (taken before the request reaches the store and given \
         back after, by every IRP of every disk, fixed or dynamic: one `SeqCst` \
         compare-exchange and one `fetch_sub` on the device's rundown word), paired: a \
         fixed store with a reference taken and given back around each request against \
         the same with one held throughout; ratio = time without / time with, and the time \
         added per request:\n"
    )?;
    read_write_table(o, |op, id| {
        let p = pair(&format!("rundown-{op}-{id}"))?;
        Ok(format!("{}, {:+.1} ns", p.ratio_text(), p.added_ns))
    })?;
    writeln!(
        o,
        "**Holes**: reads of a dynamic store nothing was written to (every chunk a hole: the \
         store fills the caller's buffer with zeros and allocates nothing) against a plain \
         zero fill (`memset`) of the same buffer, paired.\n"
    )?;
    writeln!(
        o,
        "| request | ratio (zero fill / hole read) | added per request |"
    )?;
    writeln!(o, "|---|---|---|")?;
    for (id, label) in SIZES {
        let p = pair(&format!("hole-read-{id}"))?;
        writeln!(
            o,
            "| {label} | {} | {:+.1} ns |",
            p.ratio_text(),
            p.added_ns
        )?;
    }
    let touch = get(results, "first-touch/write-4KiB")?;
    let warm = get(results, "datapath/dynamic/write-4KiB")?;
    writeln!(
        o,
        "\n**First touch**: a 4 KiB write into a chunk that has no memory yet (allocation of \
         the zeroed 2 MiB chunk, publication, the copy) takes {} (median); into an allocated \
         chunk {}: a chunk costs {} on first write.\n",
        time(touch.median_ns),
        time(warm.median_ns),
        time(touch.median_ns - warm.median_ns)
    )?;
    writeln!(
        o,
        "**Creating a dynamic disk** (the store's table — flat at 64 GiB, the directory alone \
         at 2 TiB — then `plan` and `format` of FAT32 into the store, which allocates the \
         chunks the metadata lands in; host allocator, so the table's zeroing is the C \
         library's, not the pool's). Target ≤ 10 ms each; memory target: a few MiB.\n"
    )?;
    writeln!(
        o,
        "| disk | create + plan + format | chunks after format | chunk table |"
    )?;
    writeln!(o, "|---|---|---|---|")?;
    let memory = read_dynamic_memory(&criterion_home())?;
    for (name, label) in [("64GiB", "64 GiB"), ("2TiB-512", "2 TiB − 512 B")] {
        let e = get(results, &format!("create/dynamic/{name}"))?;
        let (_, _, chunks, table) = memory
            .iter()
            .find(|m| m.0 == name)
            .with_context(|| format!("no memory figure for {name}"))?;
        writeln!(
            o,
            "| {label} | {} ({}–{}; {}) | {} | {} |",
            time(e.median_ns),
            time(e.low_ns),
            time(e.high_ns),
            if e.median_ns <= 10e6 {
                "met"
            } else {
                "NOT met"
            },
            kib_mib(*chunks),
            kib_mib(*table)
        )?;
    }
    writeln!(o)?;
    Ok(())
}

fn render_threads(o: &mut String, results: &Results) -> Result<()> {
    writeln!(
        o,
        "**Threads**: 64 KiB requests through the same store code on one shared store, \
         each thread in its own half (disjoint, no lock). Scaling = 2-thread throughput / \
         1-thread throughput.\n"
    )?;
    writeln!(o, "| requests | 1 thread | 2 threads | scaling |")?;
    writeln!(o, "|---|---|---|---|")?;
    for op in ["read", "write"] {
        let one = get(results, &format!("threads/{op}-64KiB/1"))?;
        let two = get(results, &format!("threads/{op}-64KiB/2"))?;
        let (g1, g2) = (one.gbps().unwrap_or(0.0), two.gbps().unwrap_or(0.0));
        writeln!(
            o,
            "| 64 KiB {op}s | {g1:.1} GB/s | {g2:.1} GB/s | {:.2}× |",
            g2 / g1
        )?;
    }
    Ok(())
}

fn render_chunks(o: &mut String, results: &Results) -> Result<()> {
    let paired = read_paired(&criterion_home())?;
    writeln!(
        o,
        "\n**Chunk size** (the sweep behind the 2 MiB chunks of both kinds of disk): creating a 256 MiB store (every chunk allocated zeroed, as a fixed \
         disk does at load), random 4 KiB reads and writes paired against `copy_from_slice` \
         over the same memory as above (ratio, interquartile range), and random 1 MiB reads, \
         through a fixed store of each chunk size.\n"
    )?;
    writeln!(
        o,
        "| chunk | create 256 MiB | 4 KiB read (paired) | 4 KiB write (paired) | 1 MiB read |"
    )?;
    writeln!(o, "|---|---|---|---|---|")?;
    for kib in SWEEP_KIB {
        let create = get(results, &format!("chunk/create-256MiB/{kib}"))?;
        let read = get(results, &format!("chunk/read-1MiB/{kib}"))?;
        let label = if kib >= 1024 {
            format!("{} MiB", kib / 1024)
        } else {
            format!("{kib} KiB")
        };
        write!(o, "| {label} | {} |", time(create.median_ns))?;
        for op in ["read", "write"] {
            let p = paired_result(&paired, &format!("chunk{kib}-{op}-4KiB"))?;
            write!(o, " {} |", p.ratio_text())?;
        }
        writeln!(o, " {} |", cell(&read))?;
    }
    Ok(())
}

fn render_format(o: &mut String, results: &Results) -> Result<()> {
    writeln!(
        o,
        "\n**Format** (`core/benches/format.rs`): `plan` + `format` for the default options. \
         *Zeroed* is the driver's case (freshly zeroed image: only the non-zero sectors \
         are written); *not zeroed* writes every reserved, FAT and root directory sector. \
         The writer copies into a scratch buffer (no 64 GiB allocation), so the cost \
         follows the FAT size, never the disk size. Target: ≤ 50 ms at 64 GiB (FAT32).\n"
    )?;
    writeln!(o, "| disk | zeroed | not zeroed |")?;
    writeln!(o, "|---|---|---|")?;
    for size in FORMAT_SIZES {
        let zeroed = get(results, &format!("plan+format/zeroed/{size}"))?;
        let unzeroed = get(results, &format!("plan+format/unzeroed/{size}"))?;
        // "64GiB" -> "64 GiB".
        let digits = size.trim_end_matches(|c: char| !c.is_ascii_digit());
        let label = format!("{digits} {}", &size[digits.len()..]);
        writeln!(
            o,
            "| {label} | {} | {} |",
            time(zeroed.median_ns),
            time(unzeroed.median_ns)
        )?;
    }
    let worst = get(results, "plan+format/unzeroed/64GiB")?;
    writeln!(
        o,
        "\n64 GiB FAT32: {} zeroed, {} not zeroed (95 % CI {}–{}); target ≤ 50 ms: {}.\n",
        time(get(results, "plan+format/zeroed/64GiB")?.median_ns),
        time(worst.median_ns),
        time(worst.low_ns),
        time(worst.high_ns),
        if worst.median_ns <= 50e6 {
            "met"
        } else {
            "NOT met"
        }
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_between_markers_only() {
        let readme = "# x\n## Performance\n<!-- perf:begin -->\nold\n<!-- perf:end -->\n\n<!-- perf-wine:begin -->\nwine\n<!-- perf-wine:end -->\n";
        let out = splice(readme, "| new |\n").unwrap();
        assert_eq!(
            out,
            "# x\n## Performance\n<!-- perf:begin -->\n| new |\n<!-- perf:end -->\n\n<!-- perf-wine:begin -->\nwine\n<!-- perf-wine:end -->\n"
        );
        // Idempotent.
        assert_eq!(splice(&out, "| new |").unwrap(), out);
        assert_eq!(splice("no markers", "t"), None);
        assert_eq!(splice("<!-- perf:end --> <!-- perf:begin -->", "t"), None);
    }

    #[test]
    fn human_times() {
        assert_eq!(time(45.4), "45 ns");
        assert_eq!(time(12_345.0), "12.3 µs");
        assert_eq!(time(48_000_000.0), "48.0 ms");
    }
}
