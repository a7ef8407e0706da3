//! The read/write data path — the real `ramdisk-store` code — against a plain
//! `copy_from_slice` of the same size, in the same run, for a fixed store and for a
//! dynamic store whose chunks are all allocated; reads of a dynamic store's holes
//! against `write_bytes`; the first write into a chunk of a dynamic store (the
//! allocation); creating a dynamic 64 GiB and 2 TiB − 512 B disk (directory, plan,
//! format) and the memory it holds afterwards; a thread-scaling model of concurrent
//! IRPs on one shared store; and the chunk-size sweep behind
//! [`ramdisk_store::DYNAMIC_CHUNK_SHIFT`].
//!
//! The driver serves `IRP_MJ_READ`/`IRP_MJ_WRITE` with `request::check(offset, length,
//! disk_size)` and one `Store::read`/`Store::write` into the request's mapped buffer,
//! without a lock. [`store_transfer`] is exactly those two calls (the IRP plumbing and
//! the MDL mapping are the kernel's); [`plain_copy`] is the baseline: a bounds-checked
//! `copy_from_slice` between two buffers at the same offsets.
//!
//! Both sides work on 256 MiB (much larger than any last-level cache, so large random
//! requests come from DRAM, as on a real RAM disk): the store in 64 KiB chunks from a
//! page-aligned host allocator, the baseline one flat allocation from the same allocator (so both
//! sides copy between equally aligned addresses); both written once
//! before measuring so every page is committed. Offsets are a fixed pseudo-random
//! sequence, aligned to 4 KiB (512 bytes for 512-byte requests), identical for both
//! sides. `cargo xtask bench` turns the results into the README table.
//!
//! Criterion measures each side on its own, one after the other, so on a shared, busy
//! machine two medians can differ by far more than the few percent we care about. The
//! ratio is therefore also measured *paired* ([`paired`]): many short rounds, each
//! timing a batch of store requests and a batch of `copy_from_slice` requests back to
//! back (alternating which goes first, and swapping the offset blocks between the
//! sides every other round), and the median over groups of four rounds (balanced in
//! order and blocks) of the time ratio; background load hits both sides of a group
//! alike and cancels out. The result goes to stdout and, when `CRITERION_HOME` is set
//! (as `cargo xtask bench` does), to `$CRITERION_HOME/datapath-paired.json` (ids
//! `read-4KiB`, `dynamic-read-4KiB` against `copy_from_slice`; `guard-read-4KiB`, the
//! dynamic store against the fixed one; `hole-read-4KiB` against `write_bytes`; ...). The memory a freshly
//! formatted dynamic disk holds goes to `$CRITERION_HOME/dynamic-memory.json`.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::hint::black_box;
use std::ptr::NonNull;
use std::sync::{Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ramdisk_core::fat::{self, FileSystem, FormatOptions, Zeroed};
use ramdisk_core::request;
use ramdisk_core::status::STATUS_SUCCESS;
use ramdisk_store::{ChunkAlloc, DYNAMIC_CHUNK_SHIFT, FIXED_CHUNK_SHIFT, Store};

/// Disk size: 256 MiB.
const DISK_SIZE: usize = 256 << 20;
/// Request sizes.
const SIZES: [(&str, usize); 4] = [
    ("512B", 512),
    ("4KiB", 4 << 10),
    ("64KiB", 64 << 10),
    ("1MiB", 1 << 20),
];
/// Offsets per sequence (a power of two, cycled).
const OFFSETS: usize = 1 << 12;
/// Request size of the thread-scaling model.
const SCALING_SIZE: usize = 64 << 10;
/// Requests per thread per criterion iteration in the scaling model.
const SCALING_BATCH: usize = 16;
/// Chunk sizes (`log2`) of the sweep.
const SWEEP: [u32; 7] = [12, 14, 16, 18, 20, 21, 22];

/// The host allocator, page-aligned for blocks of a page or more (as pool allocations
/// of that size are on Windows).
#[derive(Clone, Copy, Debug)]
struct BenchAlloc;

impl BenchAlloc {
    fn layout(len: usize) -> Layout {
        let align = if len >= 4096 { 4096 } else { 16 };
        Layout::from_size_align(len, align).expect("valid layout")
    }
}

impl ChunkAlloc for BenchAlloc {
    fn allocate_zeroed(&self, len: usize) -> Option<NonNull<u8>> {
        // SAFETY: `len > 0` (the store never asks for 0 bytes).
        NonNull::new(unsafe { alloc_zeroed(Self::layout(len)) })
    }

    unsafe fn free(&self, block: NonNull<u8>, len: usize) {
        // SAFETY: allocated by `allocate_zeroed` with the same length.
        unsafe { dealloc(block.as_ptr(), Self::layout(len)) };
    }
}

/// The process's one fixed store in the driver's fixed chunk size, filled (every page committed).
fn store() -> &'static Store<BenchAlloc> {
    static STORE: OnceLock<Store<BenchAlloc>> = OnceLock::new();
    STORE.get_or_init(|| filled(FIXED_CHUNK_SHIFT))
}

/// A fixed store in the dynamic store's chunks, filled: the guard comparison's
/// baseline (same table, no reclamation guard).
fn fixed_dynamic_chunks() -> &'static Store<BenchAlloc> {
    static STORE: OnceLock<Store<BenchAlloc>> = OnceLock::new();
    STORE.get_or_init(|| filled(DYNAMIC_CHUNK_SHIFT))
}

/// The process's one dynamic store, filled: every chunk allocated by a write.
fn dynamic_store() -> &'static Store<BenchAlloc> {
    static STORE: OnceLock<Store<BenchAlloc>> = OnceLock::new();
    STORE.get_or_init(|| {
        let s = Store::new_dynamic(
            BenchAlloc,
            DISK_SIZE as u64,
            DYNAMIC_CHUNK_SHIFT,
            DISK_SIZE as u64,
        )
        .expect("store");
        fill(&s);
        assert_eq!(s.allocated_bytes(), DISK_SIZE as u64);
        s
    })
}

/// A dynamic store nothing was written to: every read is of holes.
fn empty_store() -> &'static Store<BenchAlloc> {
    static STORE: OnceLock<Store<BenchAlloc>> = OnceLock::new();
    STORE.get_or_init(|| {
        Store::new_dynamic(
            BenchAlloc,
            DISK_SIZE as u64,
            DYNAMIC_CHUNK_SHIFT,
            DISK_SIZE as u64,
        )
        .expect("store")
    })
}

/// A 256 MiB store with chunks of `1 << shift` bytes, every page written.
fn filled(shift: u32) -> Store<BenchAlloc> {
    let s = Store::new(BenchAlloc, DISK_SIZE as u64, shift).expect("store");
    fill(&s);
    s
}

/// Writes every page of `s`.
fn fill(s: &Store<BenchAlloc>) {
    let mut page = vec![0u8; 1 << 20];
    for (i, at) in (0..DISK_SIZE).step_by(page.len()).enumerate() {
        page.fill(i.to_le_bytes()[0] | 1);
        store_transfer(s, page.as_mut_ptr(), as_i64(at), as_u32(page.len()), true);
    }
}

/// The baseline's flat 256 MiB buffer (filled like the store), allocated once and
/// never freed.
struct Flat(*mut u8);

// SAFETY: a leaked allocation that is never freed or moved; only the (single-threaded)
// baseline benchmarks touch it, one slice at a time.
unsafe impl Send for Flat {}
// SAFETY: as for `Send`.
unsafe impl Sync for Flat {}

/// A slice over the baseline's buffer.
///
/// # Safety
/// No other slice from this function may be alive while the result is used.
unsafe fn flat_image() -> &'static mut [u8] {
    static FLAT: OnceLock<Flat> = OnceLock::new();
    let flat = FLAT.get_or_init(|| {
        // From the store's own allocator (page-aligned, like every chunk), so both
        // sides copy between addresses of the same alignment: `memcpy`'s speed depends
        // on the source's and destination's offsets within a cache line and a page, by
        // up to a third at 4 KiB on this machine, and a `vec!` of this size starts 16
        // bytes into a page.
        let base = BenchAlloc
            .allocate_zeroed(DISK_SIZE)
            .expect("baseline buffer")
            .as_ptr();
        // SAFETY: DISK_SIZE zeroed bytes just allocated, never freed; nothing else
        // refers to them yet.
        let v = unsafe { std::slice::from_raw_parts_mut(base, DISK_SIZE) };
        for (i, page) in v.chunks_mut(4096).enumerate() {
            page.fill(i.to_le_bytes()[0] | 1);
        }
        Flat(base)
    });
    // SAFETY: DISK_SIZE initialised bytes that live forever; the caller guarantees
    // exclusivity.
    unsafe { std::slice::from_raw_parts_mut(flat.0, DISK_SIZE) }
}

/// One READ (`is_write == false`) or WRITE as the driver's disk path runs it:
/// validate, then one store call. Returns (status, information).
#[inline(never)]
fn store_transfer(
    store: &Store<BenchAlloc>,
    buffer: *mut u8,
    offset: i64,
    length: u32,
    is_write: bool,
) -> (i32, usize) {
    let range = match request::check(offset, length, store.len()) {
        Ok(range) => range,
        Err(status) => return (status, 0),
    };
    let result = if is_write {
        // SAFETY: every caller passes a buffer of at least `length` bytes of its own.
        unsafe { store.write(range, buffer.cast_const()) }
    } else {
        // SAFETY: as above.
        unsafe { store.read(range, buffer) }
    };
    match result {
        Ok(()) => (STATUS_SUCCESS, range.length()),
        Err(_) => (ramdisk_core::status::STATUS_INVALID_PARAMETER, 0),
    }
}

/// The baseline: a plain bounds-checked `copy_from_slice` of the same bytes.
#[inline(never)]
fn plain_copy(image: &mut [u8], buffer: &mut [u8], offset: usize, is_write: bool) {
    let range = offset..offset + buffer.len();
    if is_write {
        image[range].copy_from_slice(buffer);
    } else {
        buffer.copy_from_slice(&image[range]);
    }
}

/// A fixed pseudo-random (xorshift64*) sequence of `align`-aligned offsets at
/// which a `size`-byte request fits inside `[start, start + span)`.
fn offsets(seed: u64, start: usize, span: usize, size: usize, align: usize) -> Vec<usize> {
    let mut state = seed | 1;
    let slots = ((span - size) / align + 1) as u64;
    (0..OFFSETS)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D) % slots;
            start + usize::try_from(r).expect("offset fits usize") * align
        })
        .collect()
}

fn as_i64(offset: usize) -> i64 {
    i64::try_from(offset).expect("offset fits i64")
}

fn as_u32(length: usize) -> u32 {
    u32::try_from(length).expect("length fits u32")
}

/// The store agrees with the flat copy and rejects what the driver rejects.
fn self_check(store: &Store<BenchAlloc>, image: &mut [u8]) {
    let mut out = vec![0xEEu8; 4096];
    let mut back = vec![0u8; 4096];
    assert_eq!(
        store_transfer(store, out.as_mut_ptr(), 8192, 4096, true),
        (STATUS_SUCCESS, 4096)
    );
    plain_copy(image, &mut out, 8192, true);
    store_transfer(store, back.as_mut_ptr(), 8192 - 512, 4096, false);
    plain_copy(image, &mut out, 8192 - 512, false);
    assert_eq!(out, back);
    for (offset, length) in [(-512, 512), (1, 512), (0, 1), (as_i64(DISK_SIZE), 512)] {
        assert_eq!(
            store_transfer(store, out.as_mut_ptr(), offset, length, false),
            (ramdisk_core::status::STATUS_INVALID_PARAMETER, 0)
        );
    }
}

fn datapath(c: &mut Criterion) {
    let store = store();
    // SAFETY: the only slice over the baseline buffer while it is used.
    self_check(store, unsafe { flat_image() });
    let mut group = c.benchmark_group("datapath");
    for (name, size) in SIZES {
        let align = size.clamp(512, 4096);
        let offsets = offsets(0x5EED ^ size as u64, 0, DISK_SIZE, size, align);
        let mut buffer = vec![0x3Cu8; size];
        group.throughput(Throughput::Bytes(size as u64));
        for (op, is_write) in [("read", false), ("write", true)] {
            let id = format!("{op}-{name}");
            for (name, store) in [("store", store), ("dynamic", dynamic_store())] {
                group.bench_function(BenchmarkId::new(name, &id), |b| {
                    let mut i = 0;
                    let length = as_u32(size);
                    let buffer = buffer.as_mut_ptr();
                    b.iter(|| {
                        let offset = as_i64(offsets[i % OFFSETS]);
                        i += 1;
                        black_box(store_transfer(store, buffer, offset, length, is_write))
                    });
                });
            }
            group.bench_function(BenchmarkId::new("copy_from_slice", &id), |b| {
                // SAFETY: benchmarks run one at a time; this is the only live slice.
                let slice = unsafe { flat_image() };
                let mut i = 0;
                b.iter(|| {
                    let offset = offsets[i % OFFSETS];
                    i += 1;
                    plain_copy(slice, &mut buffer, offset, is_write);
                    black_box(&buffer);
                });
            });
        }
    }
    group.finish();
}

/// One thread's share of a scaling iteration: `SCALING_BATCH` requests.
fn worker(buffer: &mut [u8], offsets: &[usize], iters: u64, is_write: bool) {
    let length = as_u32(buffer.len());
    let buffer = buffer.as_mut_ptr();
    let mut i = 0;
    for _ in 0..iters {
        for _ in 0..SCALING_BATCH {
            let offset = as_i64(offsets[i % OFFSETS]);
            i += 1;
            black_box(store_transfer(store(), buffer, offset, length, is_write));
        }
    }
}

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("threads");
    for (op, is_write) in [("read", false), ("write", true)] {
        for threads in [1usize, 2] {
            let part = DISK_SIZE / threads;
            let plans: Vec<Vec<usize>> = (0..threads)
                .map(|t| offsets(0x00C0_FFEE + t as u64, t * part, part, SCALING_SIZE, 4096))
                .collect();
            let mut buffers = vec![vec![0x77u8; SCALING_SIZE]; threads];
            let bytes = (threads * SCALING_BATCH * SCALING_SIZE) as u64;
            group.throughput(Throughput::Bytes(bytes));
            let id = BenchmarkId::new(format!("{op}-64KiB"), threads);
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let barrier = Barrier::new(threads + 1);
                    thread::scope(|s| {
                        for (buffer, plan) in buffers.iter_mut().zip(&plans) {
                            let barrier = &barrier;
                            s.spawn(move || {
                                barrier.wait();
                                worker(buffer, plan, iters, is_write);
                            });
                        }
                        barrier.wait();
                        Instant::now()
                    })
                    .elapsed()
                });
            });
        }
    }
    group.finish();
}

/// The chunk-size sweep: creating a 256 MiB store (allocations + zeroing), random
/// 4 KiB writes and 1 MiB reads, per chunk size.
fn chunk_sizes(c: &mut Criterion) {
    let mut group = c.benchmark_group("chunk");
    group.sample_size(10);
    for shift in SWEEP {
        let kib = (1u32 << shift) >> 10;
        group.throughput(Throughput::Bytes(DISK_SIZE as u64));
        group.bench_function(BenchmarkId::new("create-256MiB", kib), |b| {
            b.iter(|| black_box(Store::new(BenchAlloc, DISK_SIZE as u64, shift).expect("store")));
        });
        let s = filled(shift);
        let size = 1 << 20;
        let offsets = offsets(0xC4 ^ u64::from(shift), 0, DISK_SIZE, size, 4096);
        let mut buffer = vec![0x5Au8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("read-1MiB", kib), |b| {
            let mut i = 0;
            b.iter(|| {
                let offset = as_i64(offsets[i % OFFSETS]);
                i += 1;
                black_box(store_transfer(
                    &s,
                    buffer.as_mut_ptr(),
                    offset,
                    as_u32(size),
                    false,
                ))
            });
        });
    }
    group.finish();
}

/// Wall-clock budget of the paired measurement per (operation, size).
const PAIRED_TIME: Duration = Duration::from_secs(1);

/// Median and quartiles of `values` (sorted in place).
fn quartiles(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: usize| values[(values.len() - 1) * q / 4];
    (at(1), at(2), at(3))
}

/// Whether the command line asks for benchmarks that include `name`: true
/// without a filter; criterion's filter is a regex, approximated here as a
/// substring either way.
fn selected(name: &str) -> bool {
    const WITH_VALUE: [&str; 14] = [
        "--warm-up-time",
        "--measurement-time",
        "--sample-size",
        "--save-baseline",
        "--baseline",
        "--load-baseline",
        "--color",
        "--output-format",
        "--profile-time",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--nresamples",
        "--plotting-backend",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--test" || a == "--list") {
        return false;
    }
    let mut filters = Vec::new();
    let mut skip = false;
    for arg in &args {
        if skip {
            skip = false;
        } else if arg.starts_with('-') {
            skip = WITH_VALUE.contains(&arg.as_str());
        } else {
            filters.push(arg.as_str());
        }
    }
    filters.is_empty() || filters.iter().any(|f| name.contains(f) || f.contains(name))
}

/// One paired measurement (see the module docs).
#[derive(Clone, Copy, Debug)]
struct Paired {
    /// Median over balanced four-round groups of (baseline time / measured time).
    ratio: f64,
    p25: f64,
    p75: f64,
    /// Median of (measured − baseline) per request, ns.
    added_ns: f64,
    rounds: usize,
}

/// Runs balanced rounds of `side(measured?, offset block)` (each `n` requests,
/// returning their time) for about [`PAIRED_TIME`]: both orders and both block
/// assignments in every group of four rounds.
fn pair(n: usize, mut side: impl FnMut(bool, usize) -> Duration) -> Paired {
    let (mut ratios, mut added) = (Vec::new(), Vec::new());
    let start = Instant::now();
    let mut round = 0usize;
    let (mut measured_sum, mut baseline_sum) = (0.0, 0.0);
    while round < 64 || (start.elapsed() < PAIRED_TIME && round < 100_000) {
        let pair = round / 2;
        let (measured_block, baseline_block) = if round.is_multiple_of(2) {
            (2 * pair, 2 * pair + 1)
        } else {
            (2 * pair + 1, 2 * pair)
        };
        let (measured, baseline) = if pair.is_multiple_of(2) {
            let first = side(true, measured_block);
            (first, side(false, baseline_block))
        } else {
            let first = side(false, baseline_block);
            (side(true, measured_block), first)
        };
        measured_sum += measured.as_secs_f64() * 1e9;
        baseline_sum += baseline.as_secs_f64() * 1e9;
        round += 1;
        if round.is_multiple_of(4) {
            ratios.push(baseline_sum / measured_sum);
            #[expect(clippy::cast_precision_loss, reason = "n <= 512")]
            added.push((measured_sum - baseline_sum) / (4 * n) as f64);
            (measured_sum, baseline_sum) = (0.0, 0.0);
        }
    }
    let (p25, ratio, p75) = quartiles(&mut ratios);
    let (_, added_ns, _) = quartiles(&mut added);
    Paired {
        ratio,
        p25,
        p75,
        added_ns,
        rounds: round,
    }
}

/// `n` requests through `store` from offset block `block`: their time.
fn through_store(
    store: &Store<BenchAlloc>,
    buffer: &mut [u8],
    offsets: &[usize],
    n: usize,
    block: usize,
    is_write: bool,
) -> Duration {
    let length = as_u32(buffer.len());
    let start = Instant::now();
    for j in 0..n {
        let offset = as_i64(offsets[(block * n + j) % OFFSETS]);
        black_box(store_transfer(
            store,
            buffer.as_mut_ptr(),
            offset,
            length,
            is_write,
        ));
    }
    start.elapsed()
}

/// `n` `copy_from_slice`s of the baseline from offset block `block`: their time.
fn through_copy(
    buffer: &mut [u8],
    offsets: &[usize],
    n: usize,
    block: usize,
    is_write: bool,
) -> Duration {
    // SAFETY: single-threaded; the only live slice over the baseline buffer.
    let slice = unsafe { flat_image() };
    let start = Instant::now();
    for j in 0..n {
        plain_copy(slice, buffer, offsets[(block * n + j) % OFFSETS], is_write);
        black_box(&buffer);
    }
    start.elapsed()
}

/// `n` `write_bytes(buffer, 0, len)`: what a read of a hole has to do at least.
fn through_write_bytes(buffer: &mut [u8], n: usize) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        // SAFETY: `buffer` is ours, `buffer.len()` bytes.
        unsafe { std::ptr::write_bytes(buffer.as_mut_ptr(), 0, buffer.len()) };
        black_box(&buffer);
    }
    start.elapsed()
}

/// The paired measurements (see the module docs): fixed and dynamic store against
/// `copy_from_slice`, hole reads against `write_bytes`.
fn paired(_: &mut Criterion) {
    if !selected("datapath-paired") {
        return;
    }
    let mut json = Vec::new();
    println!(
        "datapath-paired: baseline time / store time, median over balanced 4-round groups (IQR), added ns per request"
    );
    let mut record = |id: String, n: usize, p: Paired| {
        println!(
            "  {id:<20} ratio {:.3} (IQR {:.3}..{:.3}), added {:+.1} ns, {} rounds of {n}",
            p.ratio, p.p25, p.p75, p.added_ns, p.rounds
        );
        json.push(format!(
            "  \"{id}\": {{\"ratio\": {}, \"ratio_p25\": {}, \"ratio_p75\": {}, \
             \"added_ns\": {}, \"rounds\": {}, \"requests_per_round\": {n}}}",
            p.ratio, p.p25, p.p75, p.added_ns, p.rounds
        ));
    };
    for (name, size) in SIZES {
        let align = size.clamp(512, 4096);
        let offsets = offsets(0x5EED ^ size as u64, 0, DISK_SIZE, size, align);
        // About 256 KiB per side and round (at least 4 requests): long enough to time.
        let n = ((256 << 10) / size).clamp(4, 512);
        let mut buffer = vec![0x3Cu8; size];
        for (prefix, store) in [("", store()), ("dynamic-", dynamic_store())] {
            for (op, is_write) in [("read", false), ("write", true)] {
                let p = pair(n, |measured, block| {
                    if measured {
                        through_store(store, &mut buffer, &offsets, n, block, is_write)
                    } else {
                        through_copy(&mut buffer, &offsets, n, block, is_write)
                    }
                });
                record(format!("{prefix}{op}-{name}"), n, p);
            }
        }
        // What the dynamic store's reclamation guard costs: dynamic against fixed,
        // both fully allocated, in the same chunk size, the same offsets.
        for (op, is_write) in [("read", false), ("write", true)] {
            let p = pair(n, |measured, block| {
                let s = if measured {
                    dynamic_store()
                } else {
                    fixed_dynamic_chunks()
                };
                through_store(s, &mut buffer, &offsets, n, block, is_write)
            });
            record(format!("guard-{op}-{name}"), n, p);
        }
        let p = pair(n, |measured, block| {
            if measured {
                through_store(empty_store(), &mut buffer, &offsets, n, block, false)
            } else {
                through_write_bytes(&mut buffer, n)
            }
        });
        record(format!("hole-read-{name}"), n, p);
    }
    // The chunk-size sweep's 4 KiB requests, paired the same way: what the table
    // lookup costs as the table grows (a 256 MiB store of each chunk size).
    let size = 4096;
    let offsets = offsets(0x5EED ^ size as u64, 0, DISK_SIZE, size, size);
    let n = (256 << 10) / size;
    let mut buffer = vec![0x3Cu8; size];
    for shift in SWEEP {
        let s = filled(shift);
        for (op, is_write) in [("read", false), ("write", true)] {
            let p = pair(n, |measured, block| {
                if measured {
                    through_store(&s, &mut buffer, &offsets, n, block, is_write)
                } else {
                    through_copy(&mut buffer, &offsets, n, block, is_write)
                }
            });
            record(format!("chunk{}-{op}-4KiB", (1u32 << shift) >> 10), n, p);
        }
    }
    assert_eq!(empty_store().allocated_bytes(), 0, "a read allocated");
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        let path = std::path::Path::new(&home).join("datapath-paired.json");
        let text = format!("{{\n{}\n}}\n", json.join(",\n"));
        if let Err(e) = std::fs::create_dir_all(&home).and_then(|()| std::fs::write(&path, text)) {
            eprintln!("datapath-paired: cannot write {}: {e}", path.display());
        }
    }
}

/// The first write into a chunk of a dynamic store: allocation (zeroed), leaf when
/// needed, publication, then the 4 KiB copy. Timed over fresh stores of 1024
/// chunks, created and dropped outside the timing.
fn first_touch(c: &mut Criterion) {
    const CHUNK: u64 = 1 << DYNAMIC_CHUNK_SHIFT;
    const BATCH: u64 = 1024;
    let mut group = c.benchmark_group("first-touch");
    group.throughput(Throughput::Bytes(4096));
    group.bench_function("write-4KiB", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            let mut buffer = vec![0x5Au8; 4096];
            while left > 0 {
                let batch = left.min(BATCH);
                let s = Store::new_dynamic(
                    BenchAlloc,
                    batch * CHUNK,
                    DYNAMIC_CHUNK_SHIFT,
                    batch * CHUNK,
                )
                .expect("store");
                let start = Instant::now();
                for chunk in 0..batch {
                    let offset = as_i64(usize::try_from(chunk * CHUNK).expect("fits"));
                    black_box(store_transfer(&s, buffer.as_mut_ptr(), offset, 4096, true));
                }
                total += start.elapsed();
                assert_eq!(s.allocated_bytes(), batch * CHUNK);
                drop(s);
                left -= batch;
            }
            total
        });
    });
    group.finish();
}

/// A dynamic disk as the driver creates one: the store (its directory), the FAT32
/// plan and the format (`Zeroed::Yes`: a dynamic store's holes read as zeros).
fn create_dynamic(size: u64) -> Store<BenchAlloc> {
    let s = Store::new_dynamic(BenchAlloc, size, DYNAMIC_CHUNK_SHIFT, size).expect("store");
    let mut options = FormatOptions::new(size);
    options.file_system = FileSystem::Fat32;
    options.media = ramdisk_core::geometry::MEDIA.fat_media_byte();
    let layout = fat::plan(&options).expect("plan");
    fat::format(&layout, &mut &s, Zeroed::Yes).expect("format");
    s
}

/// The dynamic disks of the README: 64 GiB and FAT32's ceiling, 2 TiB − 512 B.
const CREATE: [(&str, u64); 2] = [("64GiB", 64 << 30), ("2TiB-512", 2_199_023_255_040)];

/// Creation time of [`create_dynamic`] (the drop is not timed), and the memory each
/// disk holds afterwards (to `$CRITERION_HOME/dynamic-memory.json`).
fn creation(c: &mut Criterion) {
    let mut json = Vec::new();
    for (name, size) in CREATE {
        let (chunks, table) = {
            let s = create_dynamic(size);
            (s.allocated_bytes(), s.table_bytes())
        };
        println!(
            "create/dynamic/{name}: {chunks} bytes of chunks + {table} bytes of table after format"
        );
        json.push(format!(
            "  \"{name}\": {{\"disk_size\": {size}, \"chunk_bytes\": {chunks}, \"table_bytes\": {table}}}"
        ));
    }
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        let path = std::path::Path::new(&home).join("dynamic-memory.json");
        let text = format!("{{\n{}\n}}\n", json.join(",\n"));
        if let Err(e) = std::fs::create_dir_all(&home).and_then(|()| std::fs::write(&path, text)) {
            eprintln!("create: cannot write {}: {e}", path.display());
        }
    }
    let mut group = c.benchmark_group("create");
    for (name, size) in CREATE {
        group.bench_function(BenchmarkId::new("dynamic", name), |b| {
            b.iter_batched(
                || (),
                |()| create_dynamic(size),
                criterion::BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(30);
    targets = datapath, paired, first_touch, creation, scaling, chunk_sizes
}
criterion_main!(benches);
