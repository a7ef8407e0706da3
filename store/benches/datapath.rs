//! The read/write data path — the real `ramdisk-store` code — against a plain
//! `copy_from_slice` of the same size over the same memory, in the same run, for a
//! fixed store and for a dynamic store whose chunks are all allocated; reads of a
//! dynamic store's holes against `write_bytes`; the first write into a chunk of a
//! dynamic store (the allocation); creating a dynamic 64 GiB and 2 TiB − 512 B disk
//! (directory, plan, format) and the memory it holds afterwards; a thread-scaling
//! model of concurrent IRPs on one shared store; and the chunk-size sweep behind
//! [`ramdisk_store::DYNAMIC_CHUNK_SHIFT`] and [`ramdisk_store::FIXED_CHUNK_SHIFT`].
//!
//! The driver serves `IRP_MJ_READ`/`IRP_MJ_WRITE` with `request::check(offset, length,
//! disk_size)` and one `Store::read`/`Store::write` into the request's mapped buffer,
//! without a lock. [`store_transfer`] is exactly those two calls (the IRP plumbing and
//! the MDL mapping are the kernel's); [`plain_copy`] is the baseline: a bounds-checked
//! `copy_from_slice` between the caller's buffer and one flat slice at an offset.
//!
//! # The same memory on both sides
//!
//! Each benchmarked store is 256 MiB (much larger than the caches a core has to itself)
//! and gets its chunks from an [`ArenaAlloc`]: consecutive pieces of one page-aligned
//! block from the host allocator, handed out in the order the store asks, so the
//! chunks lie in the block in disk order (the directory and the leaves come from the
//! host allocator; in the sweep's 4 KiB chunks the 4 KiB leaves land between them).
//! Where each chunk ended up is not assumed but found: a marker written through the
//! store at every chunk, searched for in the block ([`Disk::locate`]). The baseline
//! then copies between the same caller buffer and the **same bytes** the store holds —
//! a slice over that block at the offset where the store keeps the request's disk
//! offset (the disk offset itself but for the 4 KiB-chunk sweep). The slice exists only
//! while no store operation runs ([`Disk::image`]: the benchmark is single-threaded
//! there, and the store never holds a reference to its chunks, only raw pointers).
//!
//! Why: how fast `memcpy` copies depends on the physical pages behind the
//! addresses (and, in this VM, on how the host backs them) by more than the few percent
//! we measure — the same `copy_from_slice` over two separately allocated 256 MiB
//! buffers has differed by 0.80× (64 KiB reads) to 1.04× (4 KiB reads) between
//! buffers, and differently from run to run (the *placement* rows: `copy_from_slice`
//! over the fixed store's block against a block allocated apart,
//! printed and reported). Over the same bytes that difference is gone and only the
//! store's own work remains: `request::check`, the range check, the table lookup (one
//! load from a flat table: a fixed store's, and a dynamic one's up to 128 GiB), for a
//! dynamic store the in-flight check (the request is counted by the IRP's rundown
//! reference, [`IRP`], held outside the timed loop as the IRP holds it outside the
//! store), and splitting at chunk boundaries. What this does
//! **not** measure: how the pool places a real disk's chunks (each chunk is its own
//! pool block in the driver; here they are neighbours in one block), the TLB cost that
//! scattering them would add, and the IRP plumbing around the copy.
//!
//! # The floor of a chunked store
//!
//! A store that keeps a disk in separately allocated chunks (the pool cannot give a
//! large disk one block, and a dynamic disk has to find out whether a chunk exists)
//! cannot start a request's copy before the load that finds its chunk: the copy's
//! address depends on it. The `lookup-` rows measure that load alone: the baseline's
//! own `copy_from_slice`, at the place in the block found through one load from a
//! host-allocated table of chunk places with as many entries as the store's table
//! ([`through_lookup`]), paired against the plain baseline. The `over-lookup-` rows
//! pair the store against that copy: the store's work beyond what any chunked store
//! has to do.
//!
//! Offsets are a fixed pseudo-random sequence, aligned to 4 KiB (512 bytes for
//! 512-byte requests), identical for both sides. Every store is written once before
//! measuring, so every page is committed. `cargo xtask bench` turns the results into
//! the README table.
//!
//! # Paired rounds
//!
//! Criterion measures each side on its own, one after the other, so on a shared, busy
//! machine two medians can differ by far more than the few percent we care about. The
//! ratio is therefore also measured *paired* ([`paired`], [`pair`]): many short rounds,
//! each timing a batch of store requests and a batch of `copy_from_slice` requests
//! back to back (alternating which goes first), and the median over groups of four
//! rounds of the time ratio; background load hits both sides of a group alike and
//! cancels out. Round `r` gives the store offset block `r` and the baseline block
//! `r + half a cycle`, so each side meets every block half a cycle after the other did
//! and neither finds the other's data still in the cache. The result goes to stdout
//! and, when `CRITERION_HOME` is set (as `cargo xtask bench` does), to
//! `$CRITERION_HOME/datapath-paired.json` (ids `read-4KiB`, `dynamic-read-4KiB`
//! against `copy_from_slice`; `guard-read-4KiB`, the dynamic store against a fixed one
//! in the same chunk size over the same block; `lookup-read-4KiB` and
//! `dynamic-lookup-read-4KiB`, the floor, and `over-lookup-read-4KiB`,
//! `dynamic-over-lookup-read-4KiB`, each store against it; `rundown-read-4KiB`, a fixed store with
//! a rundown reference taken per request against one held throughout; `hole-read-4KiB` against `write_bytes`;
//! `placement-read-4KiB`, the same copy over two blocks; `chunk64-read-4KiB`, ...).
//! The memory a freshly formatted dynamic disk holds goes to
//! `$CRITERION_HOME/dynamic-memory.json`.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::hint::black_box;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ramdisk_core::fat::{self, FileSystem, FormatOptions, Zeroed};
use ramdisk_core::request;
use ramdisk_core::status::STATUS_SUCCESS;
use ramdisk_store::rundown::{Guard, Held, Rundown, Wake};
use ramdisk_store::{ChunkAlloc, DYNAMIC_CHUNK_SHIFT, FIXED_CHUNK_SHIFT, Store};

/// The device rundown of the benchmark's disks: the driver's IRPs each hold a
/// reference on their disk's while they run, and a dynamic store attached to it counts
/// them as its requests in flight ([`Store::attach`]). Every store request here holds
/// one ([`irp`]), taken outside the timed loops, as the IRP takes it outside the store
/// (its own cost: the `rundown-` rows).
static IRP: Rundown = Rundown::new();

/// Nothing to wake: the benchmark never closes [`IRP`].
struct NoWake;

impl Wake for NoWake {
    fn wake(&self) {}
}

/// A reference on [`IRP`], as an IRP holds one on its device.
fn irp() -> Guard<'static, NoWake> {
    IRP.enter(&NoWake)
        .expect("the benchmark's rundown is never closed")
}

/// Attaches a dynamic store to [`IRP`].
fn attach<A: ChunkAlloc>(store: &Store<A>) {
    // SAFETY: `IRP` is a static: valid (and in place) for as long as any store.
    unsafe { store.attach(&IRP) };
}

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

/// One flat, page-aligned, zeroed block from [`BenchAlloc`], freed on drop.
struct Block {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: a plain heap block without thread affinity; who touches its bytes when is the
// business of its users (see `Disk::image`).
unsafe impl Send for Block {}
// SAFETY: as for `Send`: `Block` itself only hands out its address.
unsafe impl Sync for Block {}

impl Block {
    fn new(len: usize) -> Self {
        let base = BenchAlloc.allocate_zeroed(len).expect("benchmark memory");
        Self { base, len }
    }

    fn contains(&self, block: NonNull<u8>) -> bool {
        let (at, base) = (block.as_ptr().addr(), self.base.as_ptr().addr());
        at >= base && at < base + self.len
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        // SAFETY: allocated by `BenchAlloc` with `self.len`, freed once.
        unsafe { BenchAlloc.free(self.base, self.len) };
    }
}

/// A store's allocator whose chunks are consecutive pieces of one [`Block`], in the
/// order the store asks for them; every other block (directory, leaves: any size but
/// the chunk size) comes from [`BenchAlloc`]. This lets the baseline copy the very
/// bytes the store holds (see the module docs).
struct ArenaAlloc {
    block: Arc<Block>,
    chunk: usize,
    next: AtomicUsize,
}

impl ChunkAlloc for ArenaAlloc {
    fn allocate_zeroed(&self, len: usize) -> Option<NonNull<u8>> {
        if len != self.chunk {
            return BenchAlloc.allocate_zeroed(len);
        }
        let at = self.next.fetch_add(len, Ordering::Relaxed);
        if at + len > self.block.len {
            return None;
        }
        // SAFETY: `at + len <= block.len`: inside the block (still zeroed: every piece
        // is handed out once).
        NonNull::new(unsafe { self.block.base.as_ptr().add(at) })
    }

    unsafe fn free(&self, block: NonNull<u8>, len: usize) {
        // The block's pieces go back with the block.
        if !self.block.contains(block) {
            // SAFETY: not from the block, so from `BenchAlloc` with this `len`.
            unsafe { BenchAlloc.free(block, len) };
        }
    }
}

/// A 256 MiB store whose chunks live in one [`Block`], filled (every page committed),
/// and where in the block each disk offset is.
struct Disk {
    store: Store<ArenaAlloc>,
    block: Arc<Block>,
    chunk: usize,
    /// Byte offset in the block of each chunk of the disk.
    at: Vec<usize>,
}

impl Disk {
    /// A fixed store of `1 << shift`-byte chunks in a block of its own.
    fn fixed(shift: u32) -> Self {
        // Room for the chunks, and for 4 KiB leaves that land between them when the
        // chunks are 4 KiB too.
        let block = Arc::new(Block::new(DISK_SIZE + (2 << 20)));
        Self::fixed_in(&block, shift)
    }

    /// A fixed store of `1 << shift`-byte chunks in `block` (which may already hold
    /// another store's chunks with the same contents: the guard comparison).
    fn fixed_in(block: &Arc<Block>, shift: u32) -> Self {
        let store = Store::new(arena(block, shift), DISK_SIZE as u64, shift).expect("store");
        Self::locate(store, block, shift)
    }

    /// A dynamic store of the driver's dynamic chunk size, every chunk allocated (by
    /// the filling writes, in disk order).
    fn dynamic() -> Self {
        let block = Arc::new(Block::new(DISK_SIZE));
        let size = DISK_SIZE as u64;
        let alloc = arena(&block, DYNAMIC_CHUNK_SHIFT);
        let store =
            Store::new_dynamic(alloc, size, DYNAMIC_CHUNK_SHIFT, size).expect("dynamic store");
        attach(&store);
        let disk = Self::locate(store, &block, DYNAMIC_CHUNK_SHIFT);
        assert_eq!(disk.store.allocated_bytes(), size);
        disk
    }

    /// Finds every chunk in the block (a marker written through the store, searched
    /// for in the block), then fills the disk.
    fn locate(store: Store<ArenaAlloc>, block: &Arc<Block>, shift: u32) -> Self {
        const MAGIC: u64 = 0x5EED_0000_0000_0000;
        let chunk = 1usize << shift;
        let chunks = DISK_SIZE / chunk;
        let mut sector = [0u8; 512];
        for c in 0..chunks {
            sector[..8].copy_from_slice(&(MAGIC | c as u64).to_le_bytes());
            let done = store_transfer(
                &store,
                irp().held(),
                sector.as_mut_ptr(),
                as_i64(c * chunk),
                512,
                true,
            );
            assert_eq!(done, (STATUS_SUCCESS, 512));
        }
        let mut at = vec![usize::MAX; chunks];
        for piece in (0..=block.len - chunk).step_by(chunk) {
            // SAFETY: `piece + chunk <= block.len`: inside the block.
            let first = unsafe { block.base.as_ptr().add(piece) };
            // SAFETY: 8 of those bytes, initialised; a raw read, no reference.
            let word = unsafe { first.cast::<u64>().read_unaligned() };
            if let Some(c) = usize::try_from(word ^ MAGIC).ok().filter(|&c| c < chunks) {
                assert_eq!(at[c], usize::MAX, "chunk {c} found twice");
                at[c] = piece;
            }
        }
        assert!(
            at.iter().all(|&a| a != usize::MAX),
            "a chunk is not in the block"
        );
        fill(&store);
        Self {
            store,
            block: Arc::clone(block),
            chunk,
            at,
        }
    }

    /// Where in the block the `size` bytes at disk offset `offset` are; they must be
    /// contiguous there (chunks larger than a leaf are placed in disk order).
    fn block_offset(&self, offset: usize, size: usize) -> usize {
        let first = self.at[offset / self.chunk] + offset % self.chunk;
        let last = offset + size - 1;
        assert_eq!(
            self.at[last / self.chunk] + last % self.chunk,
            first + size - 1,
            "the store's copy of [{offset}, +{size}) is not contiguous in its block"
        );
        first
    }

    /// [`Disk::block_offset`] of every offset of a plan: the baseline's offsets into
    /// [`Disk::image`] for the same disk bytes.
    fn block_offsets(&self, offsets: &[usize], size: usize) -> Vec<usize> {
        offsets
            .iter()
            .map(|&o| self.block_offset(o, size))
            .collect()
    }

    /// The block as a slice: the baseline's image.
    ///
    /// # Safety
    /// No store operation on any store over this block may run, and no other slice
    /// from this function may be used, while the result is alive. The stores only
    /// touch their chunks through raw-pointer copies and never hold a reference to
    /// them, so between their calls this slice is the only reference to the bytes:
    /// the benchmark is single-threaded wherever it uses one.
    #[expect(clippy::mut_from_ref, reason = "exclusivity is the caller's contract")]
    unsafe fn image(&self) -> &mut [u8] {
        // SAFETY: `block.len` initialised bytes (zeroed at allocation) that live as
        // long as `self`; exclusivity is the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.block.base.as_ptr(), self.block.len) }
    }
}

/// An [`ArenaAlloc`] over `block` for chunks of `1 << shift` bytes, from its start.
fn arena(block: &Arc<Block>, shift: u32) -> ArenaAlloc {
    ArenaAlloc {
        block: Arc::clone(block),
        chunk: 1 << shift,
        next: AtomicUsize::new(0),
    }
}

/// The process's one fixed store in the driver's fixed chunk size, filled.
fn store() -> &'static Disk {
    static DISK: OnceLock<Disk> = OnceLock::new();
    DISK.get_or_init(|| Disk::fixed(FIXED_CHUNK_SHIFT))
}

/// The process's one dynamic store, filled: every chunk allocated by a write.
fn dynamic_store() -> &'static Disk {
    static DISK: OnceLock<Disk> = OnceLock::new();
    DISK.get_or_init(Disk::dynamic)
}

/// A fixed store in the dynamic store's chunks over the dynamic store's very block
/// (same contents): the guard comparison's baseline (same chunks, no reclamation,
/// same memory).
fn fixed_dynamic_chunks() -> &'static Disk {
    static DISK: OnceLock<Disk> = OnceLock::new();
    DISK.get_or_init(|| Disk::fixed_in(&dynamic_store().block, DYNAMIC_CHUNK_SHIFT))
}

/// A dynamic store nothing was written to: every read is of holes.
fn empty_store() -> &'static Store<BenchAlloc> {
    static STORE: OnceLock<Store<BenchAlloc>> = OnceLock::new();
    STORE.get_or_init(|| {
        let store = Store::new_dynamic(
            BenchAlloc,
            DISK_SIZE as u64,
            DYNAMIC_CHUNK_SHIFT,
            DISK_SIZE as u64,
        )
        .expect("store");
        attach(&store);
        store
    })
}

/// Writes every page of `s`.
fn fill<A: ChunkAlloc>(s: &Store<A>) {
    let mut page = vec![0u8; 1 << 20];
    for (i, at) in (0..DISK_SIZE).step_by(page.len()).enumerate() {
        page.fill(i.to_le_bytes()[0] | 1);
        store_transfer(
            s,
            irp().held(),
            page.as_mut_ptr(),
            as_i64(at),
            as_u32(page.len()),
            true,
        );
    }
}

/// A 256 MiB flat buffer of its own, filled like a store: the placement comparison
/// (the same `copy_from_slice` over memory allocated apart from the store's).
fn apart() -> &'static Block {
    static BLOCK: OnceLock<Block> = OnceLock::new();
    BLOCK.get_or_init(|| {
        let block = Block::new(DISK_SIZE);
        // SAFETY: DISK_SIZE zeroed bytes just allocated; nothing else refers to them.
        let v = unsafe { std::slice::from_raw_parts_mut(block.base.as_ptr(), DISK_SIZE) };
        for (i, page) in v.chunks_mut(1 << 20).enumerate() {
            page.fill(i.to_le_bytes()[0] | 1);
        }
        block
    })
}

/// One READ (`is_write == false`) or WRITE as the driver's disk path runs it:
/// validate, then one store call. Returns (status, information).
#[inline(never)]
fn store_transfer<A: ChunkAlloc>(
    store: &Store<A>,
    held: Held<'_>,
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
        unsafe { store.write_held(held, range, buffer.cast_const()) }
    } else {
        // SAFETY: as above.
        unsafe { store.read_held(held, range, buffer) }
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

/// The store keeps its bytes where the baseline copies them, agrees with the baseline,
/// and rejects what the driver rejects.
fn self_check(disk: &Disk) {
    let mut out = vec![0xEEu8; 4096];
    let mut back = vec![0u8; 4096];
    assert_eq!(
        store_transfer(
            &disk.store,
            irp().held(),
            out.as_mut_ptr(),
            8192,
            4096,
            true
        ),
        (STATUS_SUCCESS, 4096)
    );
    {
        // SAFETY: no store operation runs while this slice lives.
        let image = unsafe { disk.image() };
        let at = disk.block_offset(8192, 4096);
        assert_eq!(
            image[at..at + 4096],
            out[..],
            "the store's bytes are elsewhere"
        );
        out.fill(0x77);
        plain_copy(image, &mut out, disk.block_offset(4096, 4096), true);
        plain_copy(image, &mut out, disk.block_offset(8192 - 512, 4096), false);
    }
    store_transfer(
        &disk.store,
        irp().held(),
        back.as_mut_ptr(),
        8192 - 512,
        4096,
        false,
    );
    assert_eq!(out, back);
    for (offset, length) in [(-512, 512), (1, 512), (0, 1), (as_i64(DISK_SIZE), 512)] {
        assert_eq!(
            store_transfer(
                &disk.store,
                irp().held(),
                out.as_mut_ptr(),
                offset,
                length,
                false
            ),
            (ramdisk_core::status::STATUS_INVALID_PARAMETER, 0)
        );
    }
}

fn datapath(c: &mut Criterion) {
    let disk = store();
    self_check(disk);
    let mut group = c.benchmark_group("datapath");
    for (name, size) in SIZES {
        let align = size.clamp(512, 4096);
        let offsets = offsets(0x5EED ^ size as u64, 0, DISK_SIZE, size, align);
        let image_offsets = disk.block_offsets(&offsets, size);
        let mut buffer = vec![0x3Cu8; size];
        group.throughput(Throughput::Bytes(size as u64));
        for (op, is_write) in [("read", false), ("write", true)] {
            let id = format!("{op}-{name}");
            for (name, disk) in [("store", disk), ("dynamic", dynamic_store())] {
                group.bench_function(BenchmarkId::new(name, &id), |b| {
                    let mut i = 0;
                    let length = as_u32(size);
                    let buffer = buffer.as_mut_ptr();
                    let irp = irp();
                    b.iter(|| {
                        let offset = as_i64(offsets[i % OFFSETS]);
                        i += 1;
                        black_box(store_transfer(
                            &disk.store,
                            irp.held(),
                            buffer,
                            offset,
                            length,
                            is_write,
                        ))
                    });
                });
            }
            group.bench_function(BenchmarkId::new("copy_from_slice", &id), |b| {
                // SAFETY: benchmarks run one at a time: no store operation runs while
                // this slice lives.
                let image = unsafe { disk.image() };
                let mut i = 0;
                b.iter(|| {
                    let offset = image_offsets[i % OFFSETS];
                    i += 1;
                    plain_copy(image, &mut buffer, offset, is_write);
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
    let irp = irp();
    let mut i = 0;
    for _ in 0..iters {
        for _ in 0..SCALING_BATCH {
            let offset = as_i64(offsets[i % OFFSETS]);
            i += 1;
            black_box(store_transfer(
                &store().store,
                irp.held(),
                buffer,
                offset,
                length,
                is_write,
            ));
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
        let disk = Disk::fixed(shift);
        let size = 1 << 20;
        let offsets = offsets(0xC4 ^ u64::from(shift), 0, DISK_SIZE, size, 4096);
        let mut buffer = vec![0x5Au8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("read-1MiB", kib), |b| {
            let mut i = 0;
            let irp = irp();
            b.iter(|| {
                let offset = as_i64(offsets[i % OFFSETS]);
                i += 1;
                black_box(store_transfer(
                    &disk.store,
                    irp.held(),
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

/// Runs rounds of `side(measured?, offset block)` (each `n` requests, returning their
/// time) for about [`PAIRED_TIME`], both orders in every group of four rounds.
///
/// Round `r` times the measured side on offset block `r` and the baseline on block
/// `r + half` (blocks cycle through the plan): both sides go through every block of the
/// plan, each block half a cycle after the other side did. Where both sides copy the
/// same memory this keeps either from finding the other's data still in the cache
/// (half a cycle is 16 MiB of copies at 4 KiB, more for larger requests); adjacent
/// blocks hold as many requests of each kind (crossing a chunk boundary or not) on
/// average, so the per-group ratio has no bias, only noise.
fn pair(n: usize, mut side: impl FnMut(bool, usize) -> Duration) -> Paired {
    let half = (OFFSETS / n / 2).max(1);
    let (mut ratios, mut added) = (Vec::new(), Vec::new());
    let start = Instant::now();
    let mut round = 0usize;
    let (mut measured_sum, mut baseline_sum) = (0.0, 0.0);
    while round < 64 || (start.elapsed() < PAIRED_TIME && round < 100_000) {
        let (measured_block, baseline_block) = (round, round + half);
        let (measured, baseline) = if (round / 2).is_multiple_of(2) {
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

/// `n` requests through `store` from offset block `block`: their time. Each holds a
/// reference on [`IRP`]: one taken before the timing (`EACH` false), or, with `EACH`,
/// one taken and given back around every request, as every IRP does (what the
/// reference costs per request).
fn through_store<A: ChunkAlloc, const EACH: bool>(
    store: &Store<A>,
    buffer: &mut [u8],
    offsets: &[usize],
    n: usize,
    block: usize,
    is_write: bool,
) -> Duration {
    let length = as_u32(buffer.len());
    let throughout = irp();
    let start = Instant::now();
    for j in 0..n {
        let offset = as_i64(offsets[(block * n + j) % OFFSETS]);
        let each = EACH.then(irp);
        let held = each.as_ref().map_or_else(|| throughout.held(), Guard::held);
        black_box(store_transfer(
            store,
            held,
            buffer.as_mut_ptr(),
            offset,
            length,
            is_write,
        ));
    }
    start.elapsed()
}

/// `n` `copy_from_slice`s over `image` from offset block `block`: their time.
fn through_copy(
    image: &mut [u8],
    buffer: &mut [u8],
    offsets: &[usize],
    n: usize,
    block: usize,
    is_write: bool,
) -> Duration {
    let start = Instant::now();
    for j in 0..n {
        plain_copy(image, buffer, offsets[(block * n + j) % OFFSETS], is_write);
        black_box(&buffer);
    }
    start.elapsed()
}

/// `n` `copy_from_slice`s over `image` from offset block `block`, each at the place
/// in the block found through one load from `disk`'s table of chunk places
/// ([`Disk::at`]: as many entries as the store's own table, host-allocated like it):
/// the floor of any store that keeps a disk in separately allocated chunks, whose
/// copy cannot start before the load that finds the chunk. Its requests are not split
/// (the chunks lie in disk order in the block), so the floor is what the table load
/// costs and nothing else.
fn through_lookup(
    disk: &Disk,
    image: &mut [u8],
    buffer: &mut [u8],
    offsets: &[usize],
    n: usize,
    block: usize,
    is_write: bool,
) -> Duration {
    let (shift, mask) = (disk.chunk.trailing_zeros(), disk.chunk - 1);
    let table = &disk.at;
    let start = Instant::now();
    for j in 0..n {
        let offset = offsets[(block * n + j) % OFFSETS];
        plain_copy(
            image,
            buffer,
            table[offset >> shift] + (offset & mask),
            is_write,
        );
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

/// The paired measurement of `disk`'s store against `copy_from_slice` over the same
/// bytes in the store's block.
fn against_copy(disk: &Disk, buffer: &mut [u8], offsets: &[usize], is_write: bool) -> Paired {
    let size = buffer.len();
    let n = per_round(size);
    let image_offsets = disk.block_offsets(offsets, size);
    pair(n, |measured, block| {
        if measured {
            through_store::<_, false>(&disk.store, buffer, offsets, n, block, is_write)
        } else {
            // SAFETY: single-threaded, and the slice is dropped before the next store
            // operation: the only reference to the block's bytes while it lives.
            let image = unsafe { disk.image() };
            through_copy(image, buffer, &image_offsets, n, block, is_write)
        }
    })
}

/// The floor rows of `disk`: the copy through its table of chunk places against
/// `copy_from_slice` over the same bytes (`lookup-`), and its store against the copy
/// through the table (`over-lookup-`: the store's own work beyond the floor).
fn against_lookup(
    disk: &Disk,
    buffer: &mut [u8],
    offsets: &[usize],
    is_write: bool,
) -> (Paired, Paired) {
    let size = buffer.len();
    let n = per_round(size);
    let image_offsets = disk.block_offsets(offsets, size);
    let floor = pair(n, |through_table, block| {
        // SAFETY: single-threaded, and the slice is dropped before the next store
        // operation: the only reference to the block's bytes while it lives.
        let image = unsafe { disk.image() };
        if through_table {
            through_lookup(disk, image, buffer, offsets, n, block, is_write)
        } else {
            through_copy(image, buffer, &image_offsets, n, block, is_write)
        }
    });
    let over = pair(n, |measured, block| {
        if measured {
            through_store::<_, false>(&disk.store, buffer, offsets, n, block, is_write)
        } else {
            // SAFETY: as above.
            let image = unsafe { disk.image() };
            through_lookup(disk, image, buffer, offsets, n, block, is_write)
        }
    });
    (floor, over)
}

/// Requests per side and round: about 256 KiB (at least 4 requests), long enough to
/// time.
const fn per_round(size: usize) -> usize {
    let n = (256 << 10) / size;
    if n < 4 {
        4
    } else if n > 512 {
        512
    } else {
        n
    }
}

/// The paired measurements (see the module docs): fixed and dynamic store against
/// `copy_from_slice` over the same memory, the floor of a chunked store and each store
/// against it, what the dynamic store adds, the rundown
/// reference, hole reads against
/// `write_bytes`, and the same copy over two different blocks (placement).
fn paired(_: &mut Criterion) {
    if !selected("datapath-paired") {
        return;
    }
    let mut json = Vec::new();
    println!(
        "datapath-paired: baseline time / store time, median over 4-round groups (IQR), added ns per request"
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
        let n = per_round(size);
        let mut buffer = vec![0x3Cu8; size];
        for (prefix, disk) in [("", store()), ("dynamic-", dynamic_store())] {
            for (op, is_write) in [("read", false), ("write", true)] {
                let p = against_copy(disk, &mut buffer, &offsets, is_write);
                record(format!("{prefix}{op}-{name}"), n, p);
            }
            // The floor of a chunked store, and each store against it.
            for (op, is_write) in [("read", false), ("write", true)] {
                let (floor, over) = against_lookup(disk, &mut buffer, &offsets, is_write);
                record(format!("{prefix}lookup-{op}-{name}"), n, floor);
                record(format!("{prefix}over-lookup-{op}-{name}"), n, over);
            }
        }
        // What the dynamic store adds (its in-flight check, the hole check): dynamic
        // against fixed,
        // both fully allocated, in the same chunk size and the same block, the same
        // offsets.
        for (op, is_write) in [("read", false), ("write", true)] {
            let p = pair(n, |measured, block| {
                let disk = if measured {
                    dynamic_store()
                } else {
                    fixed_dynamic_chunks()
                };
                through_store::<_, false>(&disk.store, &mut buffer, &offsets, n, block, is_write)
            });
            record(format!("guard-{op}-{name}"), n, p);
        }
        // What the IRP's rundown reference (the in-flight count of both kinds of
        // disk, outside the store) adds: a fixed store with a reference taken per
        // request against the same with one held throughout.
        for (op, is_write) in [("read", false), ("write", true)] {
            let fixed = &store().store;
            let p = pair(n, |measured, block| {
                if measured {
                    through_store::<_, true>(fixed, &mut buffer, &offsets, n, block, is_write)
                } else {
                    through_store::<_, false>(fixed, &mut buffer, &offsets, n, block, is_write)
                }
            });
            record(format!("rundown-{op}-{name}"), n, p);
        }
        let p = pair(n, |measured, block| {
            if measured {
                through_store::<_, false>(empty_store(), &mut buffer, &offsets, n, block, false)
            } else {
                through_write_bytes(&mut buffer, n)
            }
        });
        record(format!("hole-read-{name}"), n, p);
        // Placement: the same `copy_from_slice` over the fixed store's block
        // ("measured") and over a block allocated apart, same offsets.
        let image_offsets = store().block_offsets(&offsets, size);
        for (op, is_write) in [("read", false), ("write", true)] {
            let p = pair(n, |measured, block| {
                if measured {
                    // SAFETY: single-threaded; no store operation while it lives.
                    let image = unsafe { store().image() };
                    through_copy(image, &mut buffer, &image_offsets, n, block, is_write)
                } else {
                    let apart = apart();
                    // SAFETY: DISK_SIZE initialised bytes of a block nothing else
                    // touches, the only reference to them while it lives.
                    let image =
                        unsafe { std::slice::from_raw_parts_mut(apart.base.as_ptr(), DISK_SIZE) };
                    through_copy(image, &mut buffer, &offsets, n, block, is_write)
                }
            });
            record(format!("placement-{op}-{name}"), n, p);
        }
    }
    // The chunk-size sweep's 4 KiB requests, paired the same way: what the table
    // lookup costs as the table grows (a 256 MiB store of each chunk size).
    let size = 4096;
    let offsets = offsets(0x5EED ^ size as u64, 0, DISK_SIZE, size, size);
    let n = per_round(size);
    let mut buffer = vec![0x3Cu8; size];
    for shift in SWEEP {
        let disk = Disk::fixed(shift);
        for (op, is_write) in [("read", false), ("write", true)] {
            let p = against_copy(&disk, &mut buffer, &offsets, is_write);
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
                attach(&s);
                let irp = irp();
                let start = Instant::now();
                for chunk in 0..batch {
                    let offset = as_i64(usize::try_from(chunk * CHUNK).expect("fits"));
                    let held = irp.held();
                    black_box(store_transfer(
                        &s,
                        held,
                        buffer.as_mut_ptr(),
                        offset,
                        4096,
                        true,
                    ));
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
