//! `ramdisk-store`: the bytes of one RAM disk, and nothing else.
//!
//! A [`Store`] holds a disk's contents as a table of fixed-size chunks, allocated
//! through a [`ChunkAlloc`] (the driver's is tagged nonpaged pool; tests use the host
//! allocator). Reads, writes and TRIMs take a range that `ramdisk-core` validated,
//! check it against the store's own length once more, and split it at chunk
//! boundaries (as Linux's `brd.c` splits at page boundaries). Nothing here takes a
//! lock or makes a `&[u8]`/`&mut [u8]` over disk memory: every byte moves with one
//! raw-pointer copy.
//!
//! # Fixed and dynamic stores
//!
//! * **Fixed** ([`Store::new`]): every chunk is allocated (zeroed) when the store is
//!   created; reads and writes never allocate; a TRIM writes zeros (no memory is
//!   given back).
//! * **Dynamic** ([`Store::new_dynamic`]): only the directory exists at creation. A
//!   chunk is allocated (zeroed) by the first write that touches it and published with
//!   a compare-exchange (the loser of a race frees its copy); a chunk that was never
//!   written reads as zeros and costs nothing. Every chunk a write touches is
//!   allocated **before its first byte is copied**, so a write that cannot get memory
//!   (the store's memory limit, [`ChunkAlloc::memory_low`], or the allocator failing)
//!   fails with [`StoreError::Exhausted`] and changes no byte. Reads never allocate and
//!   never fail for lack of memory. A TRIM frees every chunk it covers whole and zeroes
//!   the trimmed part of the others; a chunk being freed may still be under a
//!   concurrent copy, so freeing is deferred ([`reclaim`] has the scheme and its
//!   argument).
//!
//! # The table
//!
//! Two levels, so that the table never becomes the problem: a *directory* of
//! pointers to *leaves*, each leaf [`LEAF_ENTRIES`] chunk pointers (one 4 KiB page).
//! For the largest FAT32 disk (2 TiB − 512 B) in 2 MiB chunks that is 1 048 576
//! chunks, 2048 leaves and a 16 KiB directory; a flat table would be 8 MiB, and so
//! would all the leaves. A fixed store allocates all its leaves at creation as one
//! block (8 bytes per chunk: 4 KiB per GiB of disk), so its data path finds a chunk
//! with one load from that block instead of two (directory, then leaf); the directory
//! points into the block, so everything else walks both kinds alike. A dynamic store
//! does the same when that block is at most [`FLAT_TABLE_BYTES`] (disks up to
//! 128 GiB); a larger one allocates only the directory at creation and a leaf with
//! the first chunk under it (one 4 KiB leaf per GiB of disk that holds data); leaves
//! stay until the store is dropped. The last leaf and the last chunk are only as long
//! as the disk needs.
//!
//! # Concurrency contract
//!
//! A `Store` is shared by every IRP of its disk, on any number of threads at once:
//!
//! * The directory, leaves and chunk pointers are atomics: leaves and chunks are
//!   published with compare-exchange (dynamic) or before the store is shared (fixed),
//!   read with acquiring loads, detached by TRIM with a swap.
//! * Copies into and out of **disjoint** byte ranges of one chunk from many threads
//!   are race-free: they touch different bytes. A whole-chunk TRIM writes no chunk
//!   byte (it only swaps the pointer), so it does not race with the copies of
//!   requests still using the detached chunk; they finish before it is freed.
//! * Two requests writing the **same** bytes at once (or one reading what another
//!   writes or zeroes) is a data race, which is undefined behaviour in Rust's (and C's)
//!   memory model. A disk cannot prevent it — the callers (file systems, applications)
//!   decide what overlaps — and every C disk driver lives with it. The store relies, as
//!   they do, on an **assumption**: `ptr::copy_nonoverlapping` and `ptr::write_bytes`
//!   over memory that no Rust reference covers act as an opaque `memcpy`/`memset`, so
//!   an overlap can only tear the data (each byte ends up from one of the writers),
//!   never corrupt anything else. No reference to chunk memory is ever created. The
//!   Miri tests never overlap bytes between threads except through whole-chunk TRIMs.
//! * A request overlapping a concurrent TRIM sees, per chunk, the bytes before the
//!   TRIM or zeros; a write overlapping it may be lost for that chunk (as if it had
//!   happened just before the TRIM).

#![no_std]
// The workspace table denies these; unsafe code forbids them outright.
#![forbid(
    clippy::multiple_unsafe_ops_per_block,
    clippy::undocumented_unsafe_blocks,
    clippy::unnecessary_safety_doc
)]

#[cfg(test)]
extern crate std;

pub mod reclaim;
pub mod rundown;

use core::fmt;
use core::mem::{align_of, size_of};
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use ramdisk_core::config::Allocation;
use ramdisk_core::dsm::Extent;
use ramdisk_core::fat::{FormatError, SectorWriter};
use ramdisk_core::ioctl::disk_ops::Usage;
use ramdisk_core::request::{self, Range};
use ramdisk_core::status;

use reclaim::{Reclaim, Retire, RetireNode, Token};
use rundown::{Held, Rundown};

/// Where a store's memory comes from: zero-filled blocks, freed by the same allocator.
pub trait ChunkAlloc {
    /// Allocates `len` (> 0) zero-filled bytes aligned to at least [`MIN_ALIGN`]
    /// bytes; `None` when there is no memory.
    fn allocate_zeroed(&self, len: usize) -> Option<NonNull<u8>>;

    /// Frees a block.
    ///
    /// # Safety
    /// `block` came from [`ChunkAlloc::allocate_zeroed`] of this allocator with this
    /// `len`, and is not used or freed again afterwards.
    unsafe fn free(&self, block: NonNull<u8>, len: usize);

    /// Whether the system is short of memory now: a dynamic store then allocates no
    /// chunk (the write fails with [`Exhaustion::LowMemory`]). The driver's answer is
    /// the state of `\KernelObjects\LowNonPagedPoolCondition`; the default is never.
    fn memory_low(&self) -> bool {
        false
    }
}

/// The alignment every [`ChunkAlloc`] block must have (pool allocations are 16-byte
/// aligned on x64); checked, a misaligned block is refused.
pub const MIN_ALIGN: usize = 16;

/// Chunk pointers per leaf: 512 × 8 bytes, one 4 KiB page.
pub const LEAF_ENTRIES: usize = 512;

/// `log2` of the chunk size of the driver's dynamic disks: 2 MiB, as for fixed disks.
///
/// The granularity of their allocation and of what TRIM gives back. See the README's
/// *Memory* section for the benchmark behind the choice.
pub const DYNAMIC_CHUNK_SHIFT: u32 = 21;

/// The largest table a dynamic store allocates whole at creation: 512 KiB.
///
/// One pointer per chunk (disks up to 128 GiB in 2 MiB chunks), so its data path
/// finds a chunk with one load, as a fixed store's does. A larger disk's table has two
/// levels (a directory, and leaves allocated with the first write under them).
pub const FLAT_TABLE_BYTES: usize = 512 << 10;

/// `log2` of the chunk size of the driver's fixed disks: 2 MiB.
///
/// A fixed disk never allocates after creation or frees before unload, so its chunks
/// only need to be few: one table line then covers 16 MiB, stays in the cache under
/// random I/O and the lookup costs next to nothing (the README's *Chunk size* sweep).
pub const FIXED_CHUNK_SHIFT: u32 = 21;

/// The smallest chunk size a store accepts (`log2`): 4 KiB.
pub const MIN_CHUNK_SHIFT: u32 = 12;
/// The largest chunk size a store accepts (`log2`): 64 MiB.
pub const MAX_CHUNK_SHIFT: u32 = 26;

/// Why a dynamic store could not allocate for a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Exhaustion {
    /// The store's memory limit would be passed.
    Limit,
    /// [`ChunkAlloc::memory_low`] said the system is short of memory.
    LowMemory,
    /// The allocator returned nothing (or a misaligned block).
    Allocator,
}

/// Why a store operation failed. Nothing was changed when one is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreError {
    /// The range ends past the end of this store (it was validated for another disk).
    OutOfRange,
    /// The allocator had no memory (creation only).
    NoMemory,
    /// The allocator returned a block that is not [`MIN_ALIGN`]-aligned (creation only).
    Misaligned,
    /// A size of 0, or a chunk size outside [`MIN_CHUNK_SHIFT`]..=[`MAX_CHUNK_SHIFT`].
    InvalidSize,
    /// A write to a dynamic store could not get the memory for a chunk it touches.
    Exhausted(Exhaustion),
}

impl StoreError {
    /// The `NTSTATUS` a request fails with: a range past the end is the caller's
    /// `STATUS_INVALID_PARAMETER` (core's check normally catches it first); a write
    /// without memory is `STATUS_DISK_RESOURCES_EXHAUSTED` (what classpnp reports for
    /// a thin-provisioned disk out of space); no memory at creation is
    /// `STATUS_INSUFFICIENT_RESOURCES`.
    #[must_use]
    pub const fn status(self) -> i32 {
        match self {
            Self::OutOfRange | Self::InvalidSize => status::STATUS_INVALID_PARAMETER,
            Self::NoMemory | Self::Misaligned => status::STATUS_INSUFFICIENT_RESOURCES,
            Self::Exhausted(_) => status::STATUS_DISK_RESOURCES_EXHAUSTED,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OutOfRange => "the range ends past the end of the disk",
            Self::NoMemory => "out of memory",
            Self::Misaligned => "the allocator returned a misaligned block",
            Self::InvalidSize => "invalid disk or chunk size",
            Self::Exhausted(Exhaustion::Limit) => "the disk's memory limit is reached",
            Self::Exhausted(Exhaustion::LowMemory) => "the system is low on memory",
            Self::Exhausted(Exhaustion::Allocator) => "no memory for a new chunk",
        })
    }
}

/// What a TRIM did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Trimmed {
    /// Chunk bytes given back (freed, or retired to be freed when no request is in
    /// flight).
    pub released: u64,
    /// Bytes zeroed in place (parts of chunks, every byte of a fixed store's range,
    /// or a whole chunk that could not be retired).
    pub zeroed: u64,
    /// The part of `released` that other requests in flight made wait on the retire
    /// list.
    pub deferred: u64,
}

/// A trimmer's retire node and the chunk bytes detached into it.
struct Filling {
    node: RetireNode,
    bytes: u64,
}

type Leaf = AtomicPtr<u8>;

/// The bytes of one disk. See the crate documentation for the table and the
/// concurrency contract.
pub struct Store<A: ChunkAlloc> {
    alloc: A,
    /// Disk size in bytes.
    len: u64,
    chunk_shift: u32,
    /// Number of chunks (the last may be short).
    chunks: u64,
    /// The directory: `leaves` pointers to leaf arrays.
    directory: NonNull<AtomicPtr<Leaf>>,
    leaves: usize,
    /// The leaves of a fixed store and of a dynamic one whose table is at most
    /// [`FLAT_TABLE_BYTES`], all in this one block of `chunks` entries (the directory
    /// points into it): the data path finds a chunk with one load. Null for a larger
    /// dynamic store (one block per leaf, allocated on demand).
    flat: *mut Leaf,
    /// Fixed or dynamic.
    dynamic: bool,
    /// Chunk bytes a dynamic store may hold (the disk size for a fixed one).
    limit: u64,
    /// Chunk bytes held: published, or reserved for a write being allocated.
    allocated: AtomicU64,
    /// Chunk bytes detached by a TRIM and waiting to be freed (not in `allocated`).
    retired: AtomicU64,
    /// The most `allocated` has been.
    peak: AtomicU64,
    /// Bytes of the leaves allocated.
    leaf_bytes: AtomicUsize,
    /// Deferred frees of a dynamic store.
    reclaim: Reclaim,
}

// SAFETY: the store owns its memory (no thread affinity) and frees it through the
// allocator, which must itself be `Send` to move with it.
unsafe impl<A: ChunkAlloc + Send> Send for Store<A> {}
// SAFETY: shared use is exactly the concurrency contract in the crate documentation:
// the table is atomics, chunks are freed only through `reclaim`, and chunk bytes are
// only touched through raw-pointer copies, never through references.
unsafe impl<A: ChunkAlloc + Sync> Sync for Store<A> {}

impl<A: ChunkAlloc> fmt::Debug for Store<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("len", &self.len)
            .field("chunk_size", &self.chunk_size())
            .field("chunks", &self.chunks)
            .field("dynamic", &self.dynamic)
            .finish_non_exhaustive()
    }
}

/// `n` as `usize`; every caller passes a value bounded by an allocation's length.
fn to_usize(n: u64) -> Result<usize, StoreError> {
    usize::try_from(n).map_err(|_| StoreError::InvalidSize)
}

/// Counts a request out of a dynamic store's [`Reclaim`] when dropped.
struct Guard<'a, A: ChunkAlloc> {
    store: &'a Store<A>,
    token: Token,
}

impl<A: ChunkAlloc> Drop for Guard<'_, A> {
    fn drop(&mut self) {
        let store = self.store;
        store.reclaim.exit(self.token, &store.alloc, |block, len| {
            // SAFETY: `exit` hands out only retired chunks no request can hold any
            // more (see `reclaim`), each once.
            unsafe { store.free_retired(block, len) };
        });
    }
}

impl<A: ChunkAlloc> Store<A> {
    /// A fixed store of `len` bytes in chunks of `1 << chunk_shift` bytes, every
    /// chunk allocated and zeroed now.
    ///
    /// # Errors
    /// [`StoreError::InvalidSize`] for `len` 0 or a chunk shift out of range,
    /// [`StoreError::NoMemory`] / [`StoreError::Misaligned`] from the allocator;
    /// everything allocated so far is freed again.
    pub fn new(alloc: A, len: u64, chunk_shift: u32) -> Result<Self, StoreError> {
        let mut store = Self::empty(alloc, len, chunk_shift, false, len)?;
        store.populate()?;
        Ok(store)
    }

    /// A dynamic store of `len` bytes in chunks of `1 << chunk_shift` bytes that
    /// holds at most `limit` bytes of chunks: only the table is allocated now — all of
    /// it, as one block, when that is at most [`FLAT_TABLE_BYTES`], else only the
    /// directory (leaves follow the first writes under them).
    ///
    /// # Errors
    /// As [`Store::new`] (for the table).
    pub fn new_dynamic(
        alloc: A,
        len: u64,
        chunk_shift: u32,
        limit: u64,
    ) -> Result<Self, StoreError> {
        Self::dynamic_with(alloc, len, chunk_shift, limit, FLAT_TABLE_BYTES)
    }

    /// [`Store::new_dynamic`] with a flat table up to `flat_max` bytes.
    fn dynamic_with(
        alloc: A,
        len: u64,
        chunk_shift: u32,
        limit: u64,
        flat_max: usize,
    ) -> Result<Self, StoreError> {
        let mut store = Self::empty(alloc, len, chunk_shift, true, limit)?;
        // The reclamation scheme's in-flight slots (a page); `Drop` frees them.
        let slots = allocate(&store.alloc, reclaim::SLOT_BYTES)?;
        store.reclaim.set_slots(slots);
        if store.flat_bytes().is_ok_and(|bytes| bytes <= flat_max) {
            store.flatten()?;
        }
        Ok(store)
    }

    /// A dynamic store whose table has two levels whatever its size (tests of the
    /// leaves).
    #[cfg(test)]
    pub(crate) fn new_dynamic_two_level(
        alloc: A,
        len: u64,
        chunk_shift: u32,
        limit: u64,
    ) -> Result<Self, StoreError> {
        Self::dynamic_with(alloc, len, chunk_shift, limit, 0)
    }

    /// The store with its (zeroed) directory and nothing else.
    fn empty(
        alloc: A,
        len: u64,
        chunk_shift: u32,
        dynamic: bool,
        limit: u64,
    ) -> Result<Self, StoreError> {
        if len == 0 || !(MIN_CHUNK_SHIFT..=MAX_CHUNK_SHIFT).contains(&chunk_shift) {
            return Err(StoreError::InvalidSize);
        }
        let chunks = len.div_ceil(1 << chunk_shift);
        let leaves = to_usize(chunks.div_ceil(LEAF_ENTRIES as u64))?;
        let dir_bytes = leaves
            .checked_mul(size_of::<AtomicPtr<Leaf>>())
            .ok_or(StoreError::InvalidSize)?;
        let directory = allocate(&alloc, dir_bytes)?.cast::<AtomicPtr<Leaf>>();
        // From here on `Drop` frees whatever has been published in the table.
        Ok(Self {
            alloc,
            len,
            chunk_shift,
            chunks,
            directory,
            leaves,
            flat: ptr::null_mut(),
            dynamic,
            limit,
            allocated: AtomicU64::new(0),
            retired: AtomicU64::new(0),
            peak: AtomicU64::new(0),
            leaf_bytes: AtomicUsize::new(0),
            reclaim: Reclaim::new(),
        })
    }

    /// Bytes of a flat table: one pointer per chunk.
    fn flat_bytes(&self) -> Result<usize, StoreError> {
        to_usize(self.chunks)?
            .checked_mul(size_of::<Leaf>())
            .ok_or(StoreError::InvalidSize)
    }

    /// Allocates every leaf as one zeroed block ([`Store::flat`]) and points the
    /// directory into it; `Drop` frees it.
    fn flatten(&mut self) -> Result<NonNull<Leaf>, StoreError> {
        let bytes = self.flat_bytes()?;
        let flat = allocate(&self.alloc, bytes)?.cast::<Leaf>();
        self.flat = flat.as_ptr();
        *self.leaf_bytes.get_mut() = bytes;
        for leaf_index in 0..self.leaves {
            // SAFETY: `leaf_index * LEAF_ENTRIES < chunks`: inside the block.
            let leaf = unsafe { flat.add(leaf_index * LEAF_ENTRIES) };
            self.directory_slot(leaf_index)
                .store(leaf.as_ptr(), Ordering::Release);
        }
        Ok(flat)
    }

    /// Allocates the leaves (one block: [`Store::flat`]) and every chunk of a fixed
    /// store and publishes them; on failure the caller's `Drop` frees what was
    /// published.
    fn populate(&mut self) -> Result<(), StoreError> {
        let flat = self.flatten()?;
        for leaf_index in 0..self.leaves {
            // SAFETY: `leaf_index * LEAF_ENTRIES < chunks`: inside the block.
            let leaf = unsafe { flat.add(leaf_index * LEAF_ENTRIES) };
            for entry in 0..self.leaf_entries(leaf_index) {
                let chunk = (leaf_index * LEAF_ENTRIES + entry) as u64;
                let len = self.chunk_len(chunk);
                let block = allocate(&self.alloc, len)?;
                // SAFETY: `leaf` holds `leaf_entries` initialised (null) atomics and
                // `entry` is below that; the leaf outlives the store's use of it.
                let slot = unsafe { atomic_at(leaf.as_ptr(), entry) };
                slot.store(block.as_ptr(), Ordering::Release);
                self.allocated.fetch_add(len as u64, Ordering::AcqRel);
            }
        }
        self.peak
            .store(self.allocated.load(Ordering::Acquire), Ordering::Release);
        Ok(())
    }

    /// A new zeroed (all-null) leaf for `leaf_index`.
    fn new_leaf(&self, leaf_index: usize) -> Result<NonNull<Leaf>, StoreError> {
        let bytes = self.leaf_entries(leaf_index) * size_of::<Leaf>();
        Ok(allocate(&self.alloc, bytes)?.cast::<Leaf>())
    }

    /// The disk size in bytes.
    #[must_use]
    pub const fn len(&self) -> u64 {
        self.len
    }

    /// Whether the disk is empty (never: creation refuses size 0).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunk size in bytes.
    #[must_use]
    pub const fn chunk_size(&self) -> usize {
        1 << self.chunk_shift
    }

    /// Whether chunks are allocated on first write ([`Store::new_dynamic`]).
    #[must_use]
    pub const fn is_dynamic(&self) -> bool {
        self.dynamic
    }

    /// The most chunk memory the store may hold: the limit of a dynamic store, the
    /// disk size of a fixed one.
    #[must_use]
    pub const fn memory_limit(&self) -> u64 {
        self.limit
    }

    /// Bytes of chunk memory the disk's data holds now (the disk size for a fixed
    /// store). Chunks a TRIM detached are not counted, even while they wait for a
    /// concurrent request to finish before they are freed
    /// ([`Store::pending_free_bytes`]): the limit applies to what the disk holds, so
    /// a write never fails because a TRIM's memory is not back yet.
    ///
    /// While a TRIM and a write race for the same chunk, the count may for a moment
    /// include both the detached chunk and its replacement; reports never exceed the
    /// disk size.
    #[must_use]
    pub fn allocated_bytes(&self) -> u64 {
        self.allocated.load(Ordering::Acquire).min(self.len)
    }

    /// Bytes of chunks detached by a TRIM and not yet freed: 0 once the requests
    /// that were in flight during the TRIM have left, but for a rare race that leaves
    /// them to the next request (see [`reclaim`], costs and limits).
    #[must_use]
    pub fn pending_free_bytes(&self) -> u64 {
        self.retired.load(Ordering::Acquire)
    }

    /// The most chunk memory the store has held.
    #[must_use]
    pub fn peak_allocated_bytes(&self) -> u64 {
        self.peak.load(Ordering::Acquire).min(self.len)
    }

    /// Bytes the table takes now: the directory and the allocated leaves.
    #[must_use]
    pub fn table_bytes(&self) -> u64 {
        let directory = self.leaves * size_of::<AtomicPtr<Leaf>>();
        (directory + self.leaf_bytes.load(Ordering::Acquire)) as u64
    }

    /// What the usage IOCTL reports.
    #[must_use]
    pub fn usage(&self) -> Usage {
        Usage {
            disk_size: self.len,
            allocation: if self.dynamic {
                Allocation::Dynamic
            } else {
                Allocation::Fixed
            },
            chunk_bytes: self.chunk_size() as u64,
            allocated_bytes: self.allocated_bytes(),
            peak_allocated_bytes: self.peak_allocated_bytes(),
            memory_limit_bytes: self.limit,
            table_bytes: self.table_bytes(),
        }
    }

    /// Entries of leaf `leaf_index` (all full but the last).
    fn leaf_entries(&self, leaf_index: usize) -> usize {
        let first = (leaf_index as u64) * LEAF_ENTRIES as u64;
        // At most LEAF_ENTRIES, so it fits.
        #[expect(clippy::cast_possible_truncation, reason = "bounded by LEAF_ENTRIES")]
        let n = (self.chunks - first).min(LEAF_ENTRIES as u64) as usize;
        n
    }

    /// Bytes of chunk `chunk` (all full but possibly the last).
    fn chunk_len(&self, chunk: u64) -> usize {
        let start = chunk << self.chunk_shift;
        // At most the chunk size, which fits usize (MAX_CHUNK_SHIFT).
        #[expect(clippy::cast_possible_truncation, reason = "bounded by the chunk size")]
        let n = (self.len - start).min(1 << self.chunk_shift) as usize;
        n
    }

    /// The directory slot of leaf `leaf_index` (< `self.leaves`).
    fn directory_slot(&self, leaf_index: usize) -> &AtomicPtr<Leaf> {
        debug_assert!(leaf_index < self.leaves);
        // SAFETY: the directory holds `self.leaves` initialised atomics for the
        // store's lifetime, and `leaf_index < self.leaves` (callers derive it from a
        // chunk number below `self.chunks`).
        unsafe { atomic_at(self.directory.as_ptr(), leaf_index) }
    }

    /// `(leaf index, entry)` of chunk `chunk` (< `self.chunks`).
    const fn split(chunk: u64) -> (usize, usize) {
        // chunk < chunks, so chunk / LEAF_ENTRIES < leaves (a usize).
        #[expect(clippy::cast_possible_truncation, reason = "below self.leaves")]
        let split = (
            (chunk / LEAF_ENTRIES as u64) as usize,
            (chunk % LEAF_ENTRIES as u64) as usize,
        );
        split
    }

    /// The table slot of chunk `chunk` (< `self.chunks`), `None` while its leaf does
    /// not exist.
    #[inline]
    fn chunk_slot(&self, chunk: u64) -> Option<&AtomicPtr<u8>> {
        if let Some(slot) = self.flat_slot(chunk) {
            return Some(slot);
        }
        let (leaf_index, entry) = Self::split(chunk);
        let leaf = self.directory_slot(leaf_index).load(Ordering::Acquire);
        if leaf.is_null() {
            return None;
        }
        // SAFETY: a published leaf holds `leaf_entries(leaf_index)` initialised atomics
        // until the store is dropped, and `entry` is below that for `chunk < chunks`.
        Some(unsafe { atomic_at(leaf, entry) })
    }

    /// The slot of chunk `chunk` (< `self.chunks`) in the flat table, `None` for a
    /// store without one (a dynamic store above [`FLAT_TABLE_BYTES`]).
    #[inline]
    const fn flat_slot(&self, chunk: u64) -> Option<&AtomicPtr<u8>> {
        if self.flat.is_null() {
            return None;
        }
        // Below `chunks`, a usize (the flat block has that many entries).
        #[expect(clippy::cast_possible_truncation, reason = "below self.chunks")]
        let index = chunk as usize;
        // SAFETY: a non-null `flat` holds `chunks` initialised atomics until the store is
        // dropped (`flatten`), and `index < chunks`.
        Some(unsafe { atomic_at(self.flat, index) })
    }

    /// The memory of chunk `chunk`, null if it has none. `SeqCst` (a plain load on
    /// x86-64): the reclamation argument orders it against TRIM's swap.
    fn chunk_ptr(&self, chunk: u64) -> *mut u8 {
        self.chunk_slot(chunk)
            .map_or(ptr::null_mut(), |slot| slot.load(Ordering::SeqCst))
    }

    /// Checks that `[offset, offset + length)` ends inside this store.
    const fn own(&self, offset: u64, length: u64) -> Result<(), StoreError> {
        match self.end(offset, length) {
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The end of `[offset, offset + length)` when it lies inside this store.
    #[inline]
    const fn end(&self, offset: u64, length: u64) -> Result<u64, StoreError> {
        match offset.checked_add(length) {
            Some(end) if end <= self.len => Ok(end),
            _ => Err(StoreError::OutOfRange),
        }
    }

    /// `(chunk, offset in the chunk)` when the non-empty range `[offset, end)` (inside
    /// the store) lies in one chunk: the common case, copied without the piece loop.
    /// `None` for an empty range (its offset may be the store's end, past every chunk)
    /// and for one that crosses a chunk boundary.
    #[inline]
    const fn one_chunk(&self, offset: u64, end: u64) -> Option<(u64, usize)> {
        let chunk = offset >> self.chunk_shift;
        // `end <= self.len`, so a range whose first and last byte are in one chunk
        // also ends inside that chunk's memory (the last chunk is `len - start` long).
        if end <= offset || (end - 1) >> self.chunk_shift != chunk {
            return None;
        }
        // Below the chunk size, which fits usize.
        #[expect(clippy::cast_possible_truncation, reason = "below the chunk size")]
        let within = (offset & ((1u64 << self.chunk_shift) - 1)) as usize;
        Some((chunk, within))
    }

    /// Calls `f(chunk, offset in the chunk, offset in the request, bytes)` for each
    /// piece of `[offset, offset + length)` (inside the store) in chunk order.
    fn for_each_piece(&self, offset: u64, length: u64, mut f: impl FnMut(u64, usize, u64, usize)) {
        let mut at = offset;
        let end = offset + length;
        let mask = (1u64 << self.chunk_shift) - 1;
        while at < end {
            let chunk = at >> self.chunk_shift;
            // Below the chunk size, which fits usize.
            #[expect(clippy::cast_possible_truncation, reason = "below the chunk size")]
            let within = (at & mask) as usize;
            let left = end - at;
            let n = (self.chunk_len(chunk) - within).min(to_usize(left).unwrap_or(usize::MAX));
            f(chunk, within, at - offset, n);
            at += n as u64;
        }
    }

    /// Counts a request in (dynamic stores only: fixed ones never free a chunk): by
    /// the caller's reference on the attached rundown if `held` is one, else by a
    /// slot of its own.
    #[inline]
    fn guard(&self, held: Option<Held<'_>>) -> Option<Guard<'_, A>> {
        self.dynamic.then(|| Guard {
            store: self,
            token: held
                .and_then(|held| self.reclaim.held(held))
                .unwrap_or_else(|| self.reclaim.enter()),
        })
    }

    /// Lets the requests that hold a reference on `rundown` (the disk device's: every
    /// IRP holds one while it runs) skip the store's own count: from now on a
    /// reference on it counts as a request in flight, and [`Store::read_held`],
    /// [`Store::write_held`] and [`Store::trim_held`] with a [`Held`] of it claim no
    /// slot. Calls without one (or with another rundown's) still claim a slot, so they
    /// stay correct. A fixed store ignores it (it frees no chunk while it lives).
    ///
    /// # Safety
    /// `rundown` stays valid (not moved, not freed) until [`Store::detach`] or the
    /// store's drop.
    pub unsafe fn attach(&self, rundown: &Rundown) {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.reclaim.attach(rundown) };
    }

    /// Undoes [`Store::attach`] (before the rundown goes).
    ///
    /// # Safety
    /// No request counted by the attached rundown is inside this store (its rundown is
    /// drained, or no proof of it is in use here): from now on its references count for
    /// nothing, so such a request could otherwise have its chunk freed under it.
    pub unsafe fn detach(&self) {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.reclaim.detach() };
    }

    /// Frees a retired chunk and takes it off the pending bytes: the `free` of
    /// [`Reclaim`]'s drains.
    ///
    /// # Safety
    /// `block` is a chunk of this store, detached, allocated with `len`, that no
    /// request can hold any more (what `reclaim` hands out) and that is freed once.
    unsafe fn free_retired(&self, block: NonNull<u8>, len: usize) {
        // SAFETY: the caller's contract.
        unsafe { self.alloc.free(block, len) };
        self.retired.fetch_sub(len as u64, Ordering::AcqRel);
    }

    /// The address of byte `offset` of a fixed store when the non-empty range
    /// `[offset, end)` (inside the store) lies in one chunk.
    #[inline]
    fn fixed_at(&self, offset: u64, end: u64) -> Option<*mut u8> {
        debug_assert!(!self.dynamic && !self.flat.is_null());
        // `chunk < chunks`: `one_chunk` found the range ending inside the store.
        let (chunk, within) = self.one_chunk(offset, end)?;
        let base = NonNull::new(self.flat_slot(chunk)?.load(Ordering::Acquire))?;
        // SAFETY: `within + (end - offset) <= chunk_len` (`one_chunk`): inside the
        // chunk's allocation, which a fixed store keeps until it is dropped.
        Some(unsafe { base.as_ptr().add(within) })
    }

    /// Copies `range` of the disk to `dest`. Never allocates; holes read as zeros.
    ///
    /// # Errors
    /// [`StoreError::OutOfRange`] when `range` ends past [`Store::len`] (nothing is copied).
    ///
    /// # Safety
    /// `dest` is valid for writes of `range.length()` bytes, is not part of this
    /// store's memory, and no reference to those bytes is used during the call.
    #[inline]
    pub unsafe fn read(&self, range: Range, dest: *mut u8) -> Result<(), StoreError> {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.read_via(None, range, dest) }
    }

    /// [`Store::read`] by a request that holds `held` (counted by it if it is a
    /// reference on the rundown the store is attached to: [`Store::attach`]).
    ///
    /// # Errors
    /// As for [`Store::read`].
    ///
    /// # Safety
    /// As for [`Store::read`].
    #[inline]
    pub unsafe fn read_held(
        &self,
        held: Held<'_>,
        range: Range,
        dest: *mut u8,
    ) -> Result<(), StoreError> {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.read_via(Some(held), range, dest) }
    }

    /// [`Store::read`], counted by `held` where it can be.
    ///
    /// # Safety
    /// As for [`Store::read`].
    #[inline]
    unsafe fn read_via(
        &self,
        held: Option<Held<'_>>,
        range: Range,
        dest: *mut u8,
    ) -> Result<(), StoreError> {
        let (offset, length) = (range.offset(), range.length());
        let end = self.end(offset, length as u64)?;
        if self.dynamic {
            // SAFETY: the caller's contract, passed on.
            unsafe { self.read_dynamic(held, offset, end, dest) };
        } else if let Some(from) = self.fixed_at(offset, end) {
            // SAFETY: `from` has `length` bytes of one chunk (`fixed_at`), `dest` is
            // the caller's buffer of `length` bytes, not store memory; raw copy, no
            // reference.
            unsafe { ptr::copy_nonoverlapping(from.cast_const(), dest, length) };
        } else {
            // SAFETY: the caller's contract, passed on; a fixed store frees no chunk
            // before it is dropped, so no guard is needed.
            unsafe { self.read_pieces(offset, length, dest) };
        }
        Ok(())
    }

    /// [`Store::read`] of a dynamic store: under the reclamation guard, one chunk or
    /// piece by piece.
    ///
    /// # Safety
    /// As for [`Store::read`]; `[offset, end)` is inside the store.
    #[inline(never)]
    unsafe fn read_dynamic(&self, held: Option<Held<'_>>, offset: u64, end: u64, dest: *mut u8) {
        let _guard = self.guard(held);
        #[expect(clippy::cast_possible_truncation, reason = "a Range's length, a usize")]
        let length = (end - offset) as usize;
        let Some((chunk, within)) = self.one_chunk(offset, end) else {
            // SAFETY: the caller's contract, passed on; the guard is held.
            unsafe { self.read_pieces(offset, length, dest) };
            return;
        };
        // SAFETY: `within + length <= chunk_len` (`one_chunk`), the guard is held,
        // `dest` is the caller's buffer of `length` bytes.
        unsafe { copy_out(self.chunk_ptr(chunk), within, dest, length) };
    }

    /// Copies `[offset, offset + length)` (inside the store) to `dest` piece by piece.
    ///
    /// # Safety
    /// As for [`Store::read`], and a dynamic store's caller holds the guard.
    #[inline(never)]
    unsafe fn read_pieces(&self, offset: u64, length: usize, dest: *mut u8) {
        self.for_each_piece(offset, length as u64, |chunk, within, done, n| {
            // `done + n <= length`, a usize.
            #[expect(clippy::cast_possible_truncation, reason = "below length")]
            let done = done as usize;
            // SAFETY: `done + n <= length`, so the target stays in the caller's buffer
            // (the caller's contract).
            let to = unsafe { dest.add(done) };
            // SAFETY: `within + n <= chunk_len`; the chunk stays allocated while the
            // guard is held (or for the life of a fixed store); `n` bytes of the
            // caller's buffer at `to`.
            unsafe { copy_out(self.chunk_ptr(chunk), within, to, n) };
        });
    }

    /// Copies `range.length()` bytes from `src` onto `range` of the disk. A dynamic
    /// store first allocates every chunk of the range that has no memory.
    ///
    /// # Errors
    /// [`StoreError::OutOfRange`] when `range` ends past [`Store::len`],
    /// [`StoreError::Exhausted`] when a chunk of it cannot get memory; no byte of the
    /// disk changes then (chunks allocated for the request stay, zeroed, as if
    /// written with zeros; a later TRIM frees them).
    ///
    /// # Safety
    /// `src` is valid for reads of `range.length()` bytes, is not part of this
    /// store's memory, and is not written during the call.
    #[inline]
    pub unsafe fn write(&self, range: Range, src: *const u8) -> Result<(), StoreError> {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.write_via(None, range, src) }
    }

    /// [`Store::write`] by a request that holds `held` (counted by it if it is a
    /// reference on the rundown the store is attached to: [`Store::attach`]).
    ///
    /// # Errors
    /// As for [`Store::write`].
    ///
    /// # Safety
    /// As for [`Store::write`].
    #[inline]
    pub unsafe fn write_held(
        &self,
        held: Held<'_>,
        range: Range,
        src: *const u8,
    ) -> Result<(), StoreError> {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.write_via(Some(held), range, src) }
    }

    /// [`Store::write`], counted by `held` where it can be.
    ///
    /// # Safety
    /// As for [`Store::write`].
    #[inline]
    unsafe fn write_via(
        &self,
        held: Option<Held<'_>>,
        range: Range,
        src: *const u8,
    ) -> Result<(), StoreError> {
        let (offset, length) = (range.offset(), range.length());
        let end = self.end(offset, length as u64)?;
        if self.dynamic {
            // SAFETY: the caller's contract, passed on.
            return unsafe { self.write_dynamic(held, offset, end, src) };
        }
        if let Some(to) = self.fixed_at(offset, end) {
            // SAFETY: `to` has `length` bytes of one chunk (`fixed_at`), `src` the
            // caller's `length` bytes, not store memory; raw copy, no reference.
            unsafe { ptr::copy_nonoverlapping(src, to, length) };
        } else {
            // SAFETY: the caller's contract, passed on; a fixed store frees no chunk
            // before it is dropped, so no guard is needed.
            unsafe { self.write_pieces(offset, length, src) };
        }
        Ok(())
    }

    /// [`Store::write`] of a dynamic store: under the reclamation guard, every chunk
    /// of the range allocated first, then one chunk or piece by piece.
    ///
    /// # Errors
    /// As for [`Store::write`].
    ///
    /// # Safety
    /// As for [`Store::write`]; `[offset, end)` is inside the store.
    #[inline(never)]
    unsafe fn write_dynamic(
        &self,
        held: Option<Held<'_>>,
        offset: u64,
        end: u64,
        src: *const u8,
    ) -> Result<(), StoreError> {
        let _guard = self.guard(held);
        #[expect(clippy::cast_possible_truncation, reason = "a Range's length, a usize")]
        let length = (end - offset) as usize;
        let Some((chunk, within)) = self.one_chunk(offset, end) else {
            self.allocate_range(offset, end - offset)?;
            // SAFETY: the caller's contract, passed on; the guard is held.
            unsafe { self.write_pieces(offset, length, src) };
            return Ok(());
        };
        let mut to = self.chunk_ptr(chunk);
        if to.is_null() {
            self.allocate_range(offset, end - offset)?;
            to = self.chunk_ptr(chunk);
        }
        // SAFETY: `within + length <= chunk_len` (`one_chunk`), the guard is held,
        // `src` is the caller's `length` bytes. (A null chunk: allocated above and
        // detached since by an overlapping TRIM.)
        unsafe { copy_in(to, within, src, length) };
        Ok(())
    }

    /// Copies `length` bytes from `src` onto `[offset, offset + length)` (inside the
    /// store) piece by piece; a chunk without memory is skipped (a dynamic store's
    /// caller allocated it, and an overlapping TRIM detached it since: the write counts
    /// as done before the TRIM).
    ///
    /// # Safety
    /// As for [`Store::write`], and a dynamic store's caller holds the guard.
    #[inline(never)]
    unsafe fn write_pieces(&self, offset: u64, length: usize, src: *const u8) {
        self.for_each_piece(offset, length as u64, |chunk, within, done, n| {
            // `done + n <= length`, a usize.
            #[expect(clippy::cast_possible_truncation, reason = "below length")]
            let done = done as usize;
            // SAFETY: `done + n <= length`: inside the caller's buffer.
            let from = unsafe { src.add(done) };
            // SAFETY: `within + n <= chunk_len`; the chunk stays allocated while the
            // guard is held (or for the life of a fixed store); `n` bytes of the
            // caller's buffer at `from`.
            unsafe { copy_in(self.chunk_ptr(chunk), within, from, n) };
        });
    }

    /// Makes every chunk of `[offset, offset + length)` hold memory (dynamic only).
    #[inline(never)]
    fn allocate_range(&self, offset: u64, length: u64) -> Result<(), StoreError> {
        if length == 0 {
            return Ok(());
        }
        let first = offset >> self.chunk_shift;
        let last = (offset + length - 1) >> self.chunk_shift;
        let mut missing = 0u64;
        for chunk in first..=last {
            if self.chunk_ptr(chunk).is_null() {
                missing += self.chunk_len(chunk) as u64;
            }
        }
        if missing == 0 {
            return Ok(());
        }
        // Refuse before allocating anything when the request cannot fit at all.
        if self.alloc.memory_low() {
            return Err(StoreError::Exhausted(Exhaustion::LowMemory));
        }
        if self.limit < self.len && self.allocated_bytes().saturating_add(missing) > self.limit {
            return Err(StoreError::Exhausted(Exhaustion::Limit));
        }
        for chunk in first..=last {
            if self.chunk_ptr(chunk).is_null() {
                self.allocate_chunk(chunk)?;
            }
        }
        Ok(())
    }

    /// Gives chunk `chunk` memory unless a racing writer did first.
    fn allocate_chunk(&self, chunk: u64) -> Result<(), StoreError> {
        let (leaf_index, entry) = Self::split(chunk);
        let leaf = self.leaf(leaf_index)?;
        // SAFETY: a published leaf holds `leaf_entries` atomics for the store's
        // lifetime, and `entry` is below that.
        let slot = unsafe { atomic_at(leaf.as_ptr(), entry) };
        let len = self.chunk_len(chunk);
        let enforced = self.limit < self.len;
        if enforced {
            self.reserve(len as u64)?;
        }
        let Ok(block) = allocate(&self.alloc, len) else {
            if enforced {
                self.allocated.fetch_sub(len as u64, Ordering::AcqRel);
            }
            return Err(StoreError::Exhausted(Exhaustion::Allocator));
        };
        if slot
            .compare_exchange(
                ptr::null_mut(),
                block.as_ptr(),
                Ordering::SeqCst,
                Ordering::SeqCst,
            )
            .is_err()
        {
            // Another writer published first: ours never escaped.
            // SAFETY: just allocated with `len`, never published.
            unsafe { self.alloc.free(block, len) };
            if enforced {
                self.allocated.fetch_sub(len as u64, Ordering::AcqRel);
            }
        } else if !enforced {
            let after = self.allocated.fetch_add(len as u64, Ordering::AcqRel) + len as u64;
            self.peak.fetch_max(after, Ordering::AcqRel);
        }
        Ok(())
    }

    /// The leaf `leaf_index`, allocated and published if it has none yet.
    fn leaf(&self, leaf_index: usize) -> Result<NonNull<Leaf>, StoreError> {
        let dir = self.directory_slot(leaf_index);
        if let Some(leaf) = NonNull::new(dir.load(Ordering::Acquire)) {
            return Ok(leaf);
        }
        let fresh = self
            .new_leaf(leaf_index)
            .map_err(|_| StoreError::Exhausted(Exhaustion::Allocator))?;
        match dir.compare_exchange(
            ptr::null_mut(),
            fresh.as_ptr(),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                self.leaf_bytes.fetch_add(
                    self.leaf_entries(leaf_index) * size_of::<Leaf>(),
                    Ordering::AcqRel,
                );
                Ok(fresh)
            }
            Err(winner) => {
                let bytes = self.leaf_entries(leaf_index) * size_of::<Leaf>();
                // SAFETY: just allocated with `bytes`, never published.
                unsafe { self.alloc.free(fresh.cast(), bytes) };
                NonNull::new(winner).ok_or(StoreError::Exhausted(Exhaustion::Allocator))
            }
        }
    }

    /// Counts `len` bytes against a limit smaller than the disk (and the peak).
    ///
    /// Each writer reserves before it allocates, so two writers racing for the same
    /// chunk both count it until the loser frees its copy, and a write near the limit
    /// may fail while another is allocating the same chunk. A limit of at least the
    /// disk size can never be reached by the disk's data: it is not enforced, and
    /// only published chunks are counted.
    fn reserve(&self, len: u64) -> Result<(), StoreError> {
        let mut now = self.allocated.load(Ordering::Acquire);
        loop {
            let after = now
                .checked_add(len)
                .filter(|&after| after <= self.limit)
                .ok_or(StoreError::Exhausted(Exhaustion::Limit))?;
            match self.allocated.compare_exchange_weak(
                now,
                after,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    self.peak.fetch_max(after, Ordering::AcqRel);
                    return Ok(());
                }
                Err(actual) => now = actual,
            }
        }
    }

    /// TRIM: `extent` of the disk reads as zeros afterwards. A dynamic store frees the
    /// chunks the extent covers whole (deferred while other requests are in flight)
    /// and zeroes the trimmed part of the others; a fixed store zeroes every byte.
    /// Never allocates a chunk, never fails for lack of memory.
    ///
    /// # Errors
    /// [`StoreError::OutOfRange`] when `extent` ends past [`Store::len`] (nothing is
    /// trimmed).
    pub fn trim(&self, extent: Extent) -> Result<Trimmed, StoreError> {
        self.trim_via(None, extent)
    }

    /// [`Store::trim`] by a request that holds `held` (counted by it if it is a
    /// reference on the rundown the store is attached to: [`Store::attach`]).
    ///
    /// # Errors
    /// As for [`Store::trim`].
    pub fn trim_held(&self, held: Held<'_>, extent: Extent) -> Result<Trimmed, StoreError> {
        self.trim_via(Some(held), extent)
    }

    /// [`Store::trim`], counted by `held` where it can be.
    fn trim_via(&self, held: Option<Held<'_>>, extent: Extent) -> Result<Trimmed, StoreError> {
        let (offset, length) = (extent.offset(), extent.length());
        self.own(offset, length)?;
        let guard = self.guard(held);
        let me = guard.as_ref().map(|g| g.token);
        let mut done = Trimmed::default();
        let mut filling = None;
        self.for_each_piece(offset, length, |chunk, within, _, n| {
            let whole = within == 0 && n == self.chunk_len(chunk);
            // Only a dynamic store has a guard, and frees chunks.
            if let (Some(me), true) = (me, whole)
                && self.release(chunk, me, &mut filling, &mut done).is_ok()
            {
                return;
            }
            done.zeroed += self.zero(chunk, within, n);
        });
        if let (Some(me), Some(last)) = (me, filling)
            && let Some(empty) = self.retire(me, last, &mut done)
        {
            self.reclaim.put(&self.alloc, empty);
        }
        drop(guard);
        Ok(done)
    }

    /// Zeroes `n` bytes at `within` of chunk `chunk` if it has memory; the bytes zeroed.
    fn zero(&self, chunk: u64, within: usize, n: usize) -> u64 {
        let to = self.chunk_ptr(chunk);
        if to.is_null() {
            return 0;
        }
        // SAFETY: `within + n <= chunk_len`, inside the chunk, which stays allocated
        // while the caller's guard is held (or forever, in a fixed store).
        let to = unsafe { to.add(within) };
        // SAFETY: `n` bytes of the chunk; raw fill, no reference.
        unsafe { ptr::write_bytes(to, 0, n) };
        n as u64
    }

    /// Detaches chunk `chunk` of a dynamic store into the trimmer's retire node (`me`:
    /// the trimmer's token), retiring the node first when it is full. `Err` when no
    /// retire node could be had (the caller zeroes the chunk instead).
    fn release(
        &self,
        chunk: u64,
        me: Token,
        filling: &mut Option<Filling>,
        done: &mut Trimmed,
    ) -> Result<(), ()> {
        let Some(slot) = self.chunk_slot(chunk) else {
            return Ok(());
        };
        if slot.load(Ordering::SeqCst).is_null() {
            return Ok(());
        }
        // Room in a retire node first: the chunk waits there until the trimmer knows
        // whether other requests are in flight.
        if filling.as_mut().is_none_or(|f| f.node.room().is_none()) {
            let emptied = filling.take().and_then(|full| self.retire(me, full, done));
            let node = match emptied {
                Some(node) => node,
                None => self.reclaim.node(&self.alloc).ok_or(())?,
            };
            *filling = Some(Filling { node, bytes: 0 });
        }
        let filling = filling.as_mut().ok_or(())?;
        let room = filling.node.room().ok_or(())?;
        let Some(block) = NonNull::new(slot.swap(ptr::null_mut(), Ordering::SeqCst)) else {
            return Ok(());
        };
        let len = self.chunk_len(chunk);
        self.allocated.fetch_sub(len as u64, Ordering::AcqRel);
        self.retired.fetch_add(len as u64, Ordering::AcqRel);
        room.fill(block, len);
        filling.bytes += len as u64;
        done.released += len as u64;
        Ok(())
    }

    /// Retires the chunks a trimmer (`me`) detached into `filling`: freed at once when
    /// nothing else is in flight (the emptied node comes back), otherwise pushed onto
    /// the retire stack (counted as deferred).
    fn retire(&self, me: Token, filling: Filling, done: &mut Trimmed) -> Option<RetireNode> {
        let Filling { node, bytes } = filling;
        match self.reclaim.retire(me, node, |block, len| {
            // SAFETY: `retire` hands out only the node's chunks, detached, once it
            // found nothing else in flight (see `reclaim`), each once.
            unsafe { self.free_retired(block, len) };
        }) {
            Retire::Freed(node) => Some(node),
            Retire::Pushed => {
                done.deferred += bytes;
                None
            }
        }
    }
}

/// Copies `n` bytes at `within` of the chunk memory `chunk` to `to`; a null `chunk`
/// (a hole) reads as zeros.
///
/// # Safety
/// `to` is valid for writes of `n` bytes and is not store memory; a non-null `chunk` is
/// a chunk's memory with `within + n` inside it that stays allocated during the call.
#[inline]
const unsafe fn copy_out(chunk: *mut u8, within: usize, to: *mut u8, n: usize) {
    if chunk.is_null() {
        // SAFETY: `n` bytes of the caller's buffer.
        unsafe { ptr::write_bytes(to, 0, n) };
    } else {
        // SAFETY: `within + n` is inside the chunk's allocation.
        let from = unsafe { chunk.add(within) };
        // SAFETY: both sides valid for `n` bytes and disjoint (the caller's buffer is
        // not store memory); raw copy, no reference.
        unsafe { ptr::copy_nonoverlapping(from.cast_const(), to, n) };
    }
}

/// Copies `n` bytes from `from` to `within` of the chunk memory `chunk`; nothing for a
/// null `chunk` (allocated for the write and detached since by an overlapping TRIM: the
/// write counts as done before it).
///
/// # Safety
/// `from` is valid for reads of `n` bytes and is not store memory; a non-null `chunk`
/// is a chunk's memory with `within + n` inside it that stays allocated during the
/// call.
#[inline]
const unsafe fn copy_in(chunk: *mut u8, within: usize, from: *const u8, n: usize) {
    if chunk.is_null() {
        return;
    }
    // SAFETY: `within + n` is inside the chunk's allocation.
    let to = unsafe { chunk.add(within) };
    // SAFETY: both valid for `n` bytes, disjoint; raw copy, no reference.
    unsafe { ptr::copy_nonoverlapping(from, to, n) };
}

/// The atomic at `base[index]`.
///
/// # Safety
/// `base` points to at least `index + 1` initialised atomics that stay allocated for `'a`.
const unsafe fn atomic_at<'a, T>(base: *mut AtomicPtr<T>, index: usize) -> &'a AtomicPtr<T> {
    // SAFETY: `base[index]` is inside one allocation (the caller's contract), so the
    // offset stays in bounds (and the compiler may rely on the result not being null).
    let slot = unsafe { base.add(index) };
    // SAFETY: the caller's contract: an initialised atomic, live for `'a`; atomics may
    // be shared, so a shared reference to one is sound.
    unsafe { &*slot }
}

/// Allocates a zeroed block and checks its alignment.
fn allocate<A: ChunkAlloc>(alloc: &A, len: usize) -> Result<NonNull<u8>, StoreError> {
    let block = alloc.allocate_zeroed(len).ok_or(StoreError::NoMemory)?;
    if block.as_ptr().addr() % MIN_ALIGN.max(align_of::<AtomicPtr<u8>>()) != 0 {
        // SAFETY: just allocated by `alloc` with `len`, never used.
        unsafe { alloc.free(block, len) };
        return Err(StoreError::Misaligned);
    }
    Ok(block)
}

impl<A: ChunkAlloc> Drop for Store<A> {
    fn drop(&mut self) {
        let (alloc, retired, reclaim) = (&self.alloc, &self.retired, &mut self.reclaim);
        let free = |block, len| {
            // SAFETY: a retired chunk nobody can hold; allocated with `len`.
            unsafe { alloc.free(block, len) };
            retired.fetch_sub(len as u64, Ordering::AcqRel);
        };
        // SAFETY: `&mut self`: no request is in flight or can start.
        unsafe { reclaim.drain_all(alloc, free) };
        for leaf_index in 0..self.leaves {
            let leaf = self.directory_slot(leaf_index).load(Ordering::Acquire);
            let Some(leaf) = NonNull::new(leaf) else {
                continue;
            };
            let entries = self.leaf_entries(leaf_index);
            for entry in 0..entries {
                let chunk = (leaf_index * LEAF_ENTRIES + entry) as u64;
                // SAFETY: a published leaf holds `entries` initialised atomics.
                let slot = unsafe { atomic_at(leaf.as_ptr(), entry) };
                if let Some(block) = NonNull::new(slot.load(Ordering::Acquire)) {
                    // SAFETY: published from `allocate(chunk_len(chunk))`; the store is
                    // being dropped, so nothing uses it any more.
                    unsafe { self.alloc.free(block, self.chunk_len(chunk)) };
                }
            }
            if self.flat.is_null() {
                // SAFETY: allocated with `entries` atomics; its chunks are freed.
                unsafe {
                    self.alloc
                        .free(leaf.cast::<u8>(), entries * size_of::<Leaf>());
                };
            }
        }
        if let Some(flat) = NonNull::new(self.flat) {
            // SAFETY: allocated in `populate` with `leaf_bytes` bytes (every leaf of
            // the store, all freed above); nothing uses it any more.
            unsafe {
                self.alloc
                    .free(flat.cast::<u8>(), *self.leaf_bytes.get_mut());
            };
        }
        // SAFETY: allocated in `new` with `leaves` pointers; every leaf is freed.
        unsafe {
            self.alloc.free(
                self.directory.cast::<u8>(),
                self.leaves * size_of::<AtomicPtr<Leaf>>(),
            );
        };
    }
}

/// Writes the FAT formatter's sectors into a store (a dynamic store allocates the
/// chunks its metadata lands in) and keeps the store's reason when a write fails.
pub struct StoreWriter<'a, A: ChunkAlloc> {
    store: &'a Store<A>,
    error: Option<StoreError>,
}

impl<'a, A: ChunkAlloc> StoreWriter<'a, A> {
    /// A writer into `store`.
    #[must_use]
    pub const fn new(store: &'a Store<A>) -> Self {
        Self { store, error: None }
    }

    /// Why the last failed write failed, when the store refused it.
    #[must_use]
    pub const fn error(&self) -> Option<StoreError> {
        self.error
    }
}

impl<A: ChunkAlloc> SectorWriter for StoreWriter<'_, A> {
    fn write(&mut self, byte_offset: u64, data: &[u8]) -> Result<(), FormatError> {
        let offset = i64::try_from(byte_offset).map_err(|_| FormatError::WriteFailed)?;
        let length = u32::try_from(data.len()).map_err(|_| FormatError::WriteFailed)?;
        let range =
            request::check(offset, length, self.store.len).map_err(|_| FormatError::WriteFailed)?;
        // SAFETY: `data` is the formatter's own buffer of `range.length()` bytes, not
        // store memory, and is not written during the call.
        unsafe { self.store.write(range, data.as_ptr()) }.map_err(|e| {
            self.error = Some(e);
            FormatError::WriteFailed
        })
    }
}

/// The formatter writes straight into the store (see [`StoreWriter`]).
impl<A: ChunkAlloc> SectorWriter for &Store<A> {
    fn write(&mut self, byte_offset: u64, data: &[u8]) -> Result<(), FormatError> {
        StoreWriter::new(self).write(byte_offset, data)
    }
}

#[cfg(test)]
mod tests;
