//! The read/write data path as the driver runs it, against a plain
//! `copy_from_slice` of the same size, in the same run; and a thread-scaling
//! model of concurrent IRPs on one shared image.
//!
//! `src/dispatch.rs` serves `IRP_MJ_READ`/`IRP_MJ_WRITE` with
//! `request::check(offset, length, disk_size)`, a NULL check of the MDL
//! address, a `usize` conversion of the offset, `image.add(offset)` and ONE
//! `ptr::copy_nonoverlapping`, without a lock. [`driver_transfer`] is that code
//! minus the IRP plumbing; [`plain_copy`] is the baseline: a bounds-checked
//! `copy_from_slice` between the same two buffers at the same offsets.
//!
//! The image is 256 MiB (much larger than any last-level cache, so large
//! random requests come from DRAM, as on a real RAM disk), written once before
//! measuring so every page is committed. Offsets are a fixed pseudo-random
//! sequence, aligned to 4 KiB (512 bytes for 512-byte requests), identical for
//! both sides. `cargo xtask bench` turns the results into the README table.
//!
//! Criterion measures each side on its own, one after the other, so on a
//! shared, busy machine two medians can differ by far more than the few
//! percent we care about. The ratio is therefore also measured *paired*
//! ([`paired`]): many short rounds, each timing a batch of driver requests and
//! a batch of `copy_from_slice` requests back to back (alternating which goes
//! first, and swapping the offset blocks between the sides every other round),
//! and the median over groups of four rounds (balanced in order and blocks) of
//! the time ratio; background load hits both sides of a group alike and
//! cancels out. The result goes to stdout and, when
//! `CRITERION_HOME` is set (as `cargo xtask bench` does), to
//! `$CRITERION_HOME/datapath-paired.json`.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::ptr;
use std::sync::{Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ramdisk_core::request;
use ramdisk_core::status::{
    STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_SUCCESS,
};

/// Image size: 256 MiB.
const IMAGE_SIZE: usize = 256 << 20;
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

/// The RAM image as the driver holds it: a base pointer and a length, from an
/// allocation that lives until the process ends.
#[derive(Clone, Copy)]
struct SharedImage {
    base: *mut u8,
    len: usize,
}

// SAFETY: the image is a leaked allocation that is never freed or moved; threads
// touch it only through raw-pointer copies (never references) to disjoint
// ranges, which is exactly how the driver shares its image between concurrent
// IRPs (no lock; overlapping concurrent requests are the caller's business).
unsafe impl Send for SharedImage {}
// SAFETY: as for `Send`: only raw-pointer copies go through the shared value.
unsafe impl Sync for SharedImage {}

impl SharedImage {
    /// The process's one image, allocated on first use.
    fn get() -> Self {
        static IMAGE: OnceLock<SharedImage> = OnceLock::new();
        *IMAGE.get_or_init(|| Self::new(IMAGE_SIZE))
    }

    /// Allocates, fills (committing every page) and leaks an image.
    fn new(len: usize) -> Self {
        let mut image = vec![0u8; len].into_boxed_slice();
        for (i, page) in image.chunks_mut(4096).enumerate() {
            page.fill(i.to_le_bytes()[0] | 1);
        }
        let base = Box::leak(image).as_mut_ptr();
        Self { base, len }
    }

    /// A slice over the whole image, for the `copy_from_slice` baseline.
    ///
    /// # Safety
    /// No other access to the image may happen while the slice is alive.
    #[allow(clippy::mut_from_ref)] // the caller guarantees exclusivity
    const unsafe fn as_mut_slice(&self) -> &mut [u8] {
        // SAFETY: `base` points to `len` initialised bytes that live forever; the
        // caller guarantees exclusive access while the slice is alive.
        unsafe { std::slice::from_raw_parts_mut(self.base, self.len) }
    }
}

/// One READ (`is_write == false`) or WRITE IRP as `dispatch::read_write` runs
/// it: validate, compute the pointer, one copy. Returns (status, information).
///
/// # Safety
/// `image` points to `disk_size` writable bytes; `buffer` is NULL or points to
/// at least `length` writable bytes outside the image.
#[inline(never)]
unsafe fn driver_transfer(
    image: *mut u8,
    disk_size: u64,
    buffer: *mut u8,
    offset: i64,
    length: u32,
    is_write: bool,
) -> (i32, usize) {
    let range = match request::check(offset, length, disk_size) {
        Ok(range) => range,
        Err(status) => return (status, 0),
    };
    if range.length == 0 {
        return (STATUS_SUCCESS, 0);
    }
    if buffer.is_null() {
        return (STATUS_INSUFFICIENT_RESOURCES, 0);
    }
    let Ok(offset) = usize::try_from(range.offset) else {
        return (STATUS_INVALID_PARAMETER, 0);
    };
    // SAFETY: [offset, offset + length) lies inside the image (validated by
    // `request::check` against `disk_size`, the image length); `buffer` holds
    // `length` bytes outside the image (the caller's contract).
    unsafe {
        let image = image.add(offset);
        if is_write {
            ptr::copy_nonoverlapping(buffer.cast_const(), image, range.length);
        } else {
            ptr::copy_nonoverlapping(image.cast_const(), buffer, range.length);
        }
    }
    (STATUS_SUCCESS, range.length)
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

/// The two implementations agree and the driver path rejects what the driver rejects.
fn self_check(image: SharedImage) {
    let disk = image.len as u64;
    let mut out = vec![0xEEu8; 4096];
    let mut back = vec![0u8; 4096];
    // SAFETY: `out`/`back` are 4096-byte buffers outside the image; single-threaded.
    unsafe {
        assert_eq!(
            driver_transfer(image.base, disk, out.as_mut_ptr(), 8192, 4096, true),
            (STATUS_SUCCESS, 4096)
        );
        plain_copy(image.as_mut_slice(), &mut back, 8192, false);
        assert_eq!(out, back);
        for (offset, length) in [(-512, 512), (1, 512), (0, 1), (as_i64(image.len), 512)] {
            assert_eq!(
                driver_transfer(image.base, disk, out.as_mut_ptr(), offset, length, false),
                (STATUS_INVALID_PARAMETER, 0)
            );
        }
    }
}

fn datapath(c: &mut Criterion) {
    let image = SharedImage::get();
    self_check(image);
    let disk_size = image.len as u64;
    let mut group = c.benchmark_group("datapath");
    for (name, size) in SIZES {
        let align = size.clamp(512, 4096);
        let offsets = offsets(0x5EED ^ size as u64, 0, image.len, size, align);
        let mut buffer = vec![0x3Cu8; size];
        group.throughput(Throughput::Bytes(size as u64));
        for (op, is_write) in [("read", false), ("write", true)] {
            let id = format!("{op}-{name}");
            group.bench_function(BenchmarkId::new("driver", &id), |b| {
                let mut i = 0;
                let length = as_u32(size);
                let buffer = buffer.as_mut_ptr();
                b.iter(|| {
                    let offset = as_i64(offsets[i % OFFSETS]);
                    i += 1;
                    // SAFETY: `buffer` is `size` bytes outside the image; nothing else
                    // touches either while this benchmark runs.
                    black_box(unsafe {
                        driver_transfer(image.base, disk_size, buffer, offset, length, is_write)
                    })
                });
            });
            group.bench_function(BenchmarkId::new("copy_from_slice", &id), |b| {
                // SAFETY: only this benchmark touches the image while it runs.
                let slice = unsafe { image.as_mut_slice() };
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
fn worker(image: SharedImage, buffer: &mut [u8], offsets: &[usize], iters: u64, is_write: bool) {
    let length = as_u32(buffer.len());
    let buffer = buffer.as_mut_ptr();
    let mut i = 0;
    for _ in 0..iters {
        for _ in 0..SCALING_BATCH {
            let offset = as_i64(offsets[i % OFFSETS]);
            i += 1;
            // SAFETY: this thread's offsets lie in its own part of the image and
            // `buffer` is its own; the image outlives the thread.
            let reply = unsafe {
                driver_transfer(
                    image.base,
                    image.len as u64,
                    buffer,
                    offset,
                    length,
                    is_write,
                )
            };
            black_box(reply);
        }
    }
}

fn scaling(c: &mut Criterion) {
    let image = SharedImage::get();
    let mut group = c.benchmark_group("threads");
    for (op, is_write) in [("read", false), ("write", true)] {
        for threads in [1usize, 2] {
            let part = image.len / threads;
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
                                worker(image, buffer, plan, iters, is_write);
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

/// One paired round: `n` requests through each side, from offset blocks `a`
/// (driver) and `b` (copy); returns (driver ns, copy ns).
#[allow(clippy::too_many_arguments)]
fn paired_round(
    image: SharedImage,
    buffer: &mut [u8],
    offsets: &[usize],
    n: usize,
    (a, b): (usize, usize),
    is_write: bool,
    driver_first: bool,
) -> (f64, f64) {
    let length = as_u32(buffer.len());
    let disk_size = image.len as u64;
    let driver = |buffer: &mut [u8]| {
        let start = Instant::now();
        for j in 0..n {
            let offset = as_i64(offsets[(a * n + j) % OFFSETS]);
            // SAFETY: `buffer` is `length` bytes outside the image; single-threaded.
            black_box(unsafe {
                driver_transfer(
                    image.base,
                    disk_size,
                    buffer.as_mut_ptr(),
                    offset,
                    length,
                    is_write,
                )
            });
        }
        start.elapsed()
    };
    let copy = |buffer: &mut [u8]| {
        // SAFETY: nothing else touches the image while this slice is alive.
        let slice = unsafe { image.as_mut_slice() };
        let start = Instant::now();
        for j in 0..n {
            plain_copy(slice, buffer, offsets[(b * n + j) % OFFSETS], is_write);
            black_box(&buffer);
        }
        start.elapsed()
    };
    let (driver_time, copy_time) = if driver_first {
        let first = driver(buffer);
        (first, copy(buffer))
    } else {
        let first = copy(buffer);
        (driver(buffer), first)
    };
    (
        driver_time.as_secs_f64() * 1e9,
        copy_time.as_secs_f64() * 1e9,
    )
}

/// The paired driver-vs-`copy_from_slice` measurement (see the module docs).
fn paired(_: &mut Criterion) {
    if !selected("datapath-paired") {
        return;
    }
    let image = SharedImage::get();
    let mut json = Vec::new();
    println!(
        "datapath-paired: copy time / driver time, median over balanced 4-round groups (IQR), added ns per request"
    );
    for (name, size) in SIZES {
        let align = size.clamp(512, 4096);
        let offsets = offsets(0x5EED ^ size as u64, 0, image.len, size, align);
        // About 256 KiB per side and round (at least 4 requests): long enough to time.
        let n = ((256 << 10) / size).clamp(4, 512);
        let mut buffer = vec![0x3Cu8; size];
        for (op, is_write) in [("read", false), ("write", true)] {
            let (mut ratios, mut added) = (Vec::new(), Vec::new());
            let start = Instant::now();
            let mut round = 0usize;
            let (mut driver_sum, mut copy_sum) = (0.0, 0.0);
            while round < 64 || (start.elapsed() < PAIRED_TIME && round < 100_000) {
                // Rounds come in fours: both orders (who goes first) times both
                // block assignments, so one quad is balanced and its ratio is
                // free of order effects (prefetchers, frequency steps).
                let pair = round / 2;
                let blocks = if round.is_multiple_of(2) {
                    (2 * pair, 2 * pair + 1)
                } else {
                    (2 * pair + 1, 2 * pair)
                };
                let driver_first = pair.is_multiple_of(2);
                let (driver_ns, copy_ns) = paired_round(
                    image,
                    &mut buffer,
                    &offsets,
                    n,
                    blocks,
                    is_write,
                    driver_first,
                );
                driver_sum += driver_ns;
                copy_sum += copy_ns;
                round += 1;
                if round.is_multiple_of(4) {
                    ratios.push(copy_sum / driver_sum);
                    #[allow(clippy::cast_precision_loss)] // n <= 512
                    added.push((driver_sum - copy_sum) / (4 * n) as f64);
                    (driver_sum, copy_sum) = (0.0, 0.0);
                }
            }
            let (r25, r50, r75) = quartiles(&mut ratios);
            let (_, added_ns, _) = quartiles(&mut added);
            let id = format!("{op}-{name}");
            println!(
                "  {id:<12} ratio {r50:.3} (IQR {r25:.3}..{r75:.3}), added {added_ns:+.1} ns, {round} rounds of {n}"
            );
            json.push(format!(
                "  \"{id}\": {{\"ratio\": {r50}, \"ratio_p25\": {r25}, \"ratio_p75\": {r75}, \
                 \"added_ns\": {added_ns}, \"rounds\": {round}, \"requests_per_round\": {n}}}"
            ));
        }
    }
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        let path = std::path::Path::new(&home).join("datapath-paired.json");
        let text = format!("{{\n{}\n}}\n", json.join(",\n"));
        if let Err(e) = std::fs::create_dir_all(&home).and_then(|()| std::fs::write(&path, text)) {
            eprintln!("datapath-paired: cannot write {}: {e}", path.display());
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(30);
    targets = datapath, paired, scaling
}
criterion_main!(benches);
