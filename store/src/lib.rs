//! `ramdisk-store`: the bytes of one RAM disk, and nothing else.
//!
//! A [`Store`] holds a disk's contents as a table of fixed-size chunks, allocated
//! through a [`ChunkAlloc`] (the driver's is tagged nonpaged pool; tests use the host
//! allocator). Reads, writes and zeroing take a [`Range`] that `ramdisk-core`
//! validated, check it against the store's own length once more, and split it at
//! chunk boundaries (as Linux's `brd.c` splits at page boundaries). Nothing here
//! takes a lock, allocates on the data path, or makes a `&[u8]`/`&mut [u8]` over
//! disk memory: every byte moves with one raw-pointer copy.
//!
//! # The table
//!
//! Two levels, so that the table never becomes the problem (a flat table of 8-byte
//! pointers for a 2 TiB disk in 64 KiB chunks would be 256 MiB): a *directory* of
//! pointers to *leaves*, each leaf [`LEAF_ENTRIES`] chunk pointers (one 4 KiB page).
//! The last leaf and the last chunk are only as long as the disk needs. Every chunk
//! is allocated (zeroed) when the store is created; a chunk pointer that is null reads
//! as zeros and refuses writes.
//!
//! # Concurrency contract
//!
//! A `Store` is shared by every IRP of its disk, on any number of threads at once:
//!
//! * The directory and the leaves are written only while the store is created (before
//!   it is shared) and read with `Acquire` loads afterwards; chunk pointers are
//!   published with `Release` stores. The table itself is therefore race-free.
//! * Copies into and out of **disjoint** byte ranges of one chunk from many threads
//!   are race-free: they touch different bytes.
//! * Two requests writing the **same** bytes at once (or one reading what another
//!   writes) is a data race, which is undefined behaviour in Rust's (and C's) memory
//!   model. A disk cannot prevent it — the callers (file systems, applications) decide
//!   what overlaps — and every C disk driver lives with it. The store relies, as they
//!   do, on an **assumption**: `ptr::copy_nonoverlapping` and `ptr::write_bytes` over
//!   memory that no Rust reference covers act as an opaque `memcpy`/`memset`, so an
//!   overlap can only tear the data (each byte ends up from one of the writers), never
//!   corrupt anything else. No reference to chunk memory is ever created, so the
//!   compiler is never told that the bytes cannot change behind its back. The Miri
//!   tests never overlap bytes between threads.

#![no_std]
// The workspace table denies these; unsafe code forbids them outright.
#![forbid(
    clippy::multiple_unsafe_ops_per_block,
    clippy::undocumented_unsafe_blocks,
    clippy::unnecessary_safety_doc
)]

#[cfg(test)]
extern crate std;

pub mod rundown;

use core::fmt;
use core::mem::{align_of, size_of};
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, Ordering};

use ramdisk_core::fat::{FormatError, SectorWriter};
use ramdisk_core::request::{self, Range};
use ramdisk_core::status;

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
}

/// The alignment every [`ChunkAlloc`] block must have (pool allocations are 16-byte
/// aligned on x64); checked, a misaligned block is refused.
pub const MIN_ALIGN: usize = 16;

/// Chunk pointers per leaf: 512 × 8 bytes, one 4 KiB page.
pub const LEAF_ENTRIES: usize = 512;

/// `log2` of the chunk size the driver uses: 64 KiB. See the README's *Memory*
/// section for the benchmark behind the choice.
pub const DEFAULT_CHUNK_SHIFT: u32 = 16;

/// The smallest chunk size a store accepts (`log2`): 4 KiB.
pub const MIN_CHUNK_SHIFT: u32 = 12;
/// The largest chunk size a store accepts (`log2`): 64 MiB.
pub const MAX_CHUNK_SHIFT: u32 = 26;

/// Why a store operation failed. Nothing was changed when one is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreError {
    /// The range ends past the end of this store (it was validated for another disk).
    OutOfRange,
    /// The allocator had no memory (creation only).
    NoMemory,
    /// The allocator returned a block that is not [`MIN_ALIGN`]-aligned.
    Misaligned,
    /// A size of 0, or a chunk size outside [`MIN_CHUNK_SHIFT`]..=[`MAX_CHUNK_SHIFT`].
    InvalidSize,
    /// The range touches a chunk that holds no memory (cannot happen in a store
    /// whose creation succeeded).
    Unallocated,
}

impl StoreError {
    /// The `NTSTATUS` a request fails with: a range past the end is the caller's
    /// `STATUS_INVALID_PARAMETER` (core's check normally catches it first); anything
    /// else on the data path is a driver bug, `STATUS_INTERNAL_ERROR`; no memory at
    /// creation is `STATUS_INSUFFICIENT_RESOURCES`.
    #[must_use]
    pub const fn status(self) -> i32 {
        match self {
            Self::OutOfRange | Self::InvalidSize => status::STATUS_INVALID_PARAMETER,
            Self::NoMemory | Self::Misaligned => status::STATUS_INSUFFICIENT_RESOURCES,
            Self::Unallocated => status::STATUS_INTERNAL_ERROR,
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
            Self::Unallocated => "the range touches unallocated memory",
        })
    }
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
}

// SAFETY: the store owns its memory (no thread affinity) and frees it through the
// allocator, which must itself be `Send` to move with it.
unsafe impl<A: ChunkAlloc + Send> Send for Store<A> {}
// SAFETY: shared use is exactly the concurrency contract in the crate documentation:
// the table is only read (atomically) after creation, and chunk bytes are only
// touched through raw-pointer copies, never through references.
unsafe impl<A: ChunkAlloc + Sync> Sync for Store<A> {}

impl<A: ChunkAlloc> fmt::Debug for Store<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("len", &self.len)
            .field("chunk_size", &self.chunk_size())
            .field("chunks", &self.chunks)
            .finish_non_exhaustive()
    }
}

/// `n` as `usize`; every caller passes a value bounded by an allocation's length.
fn to_usize(n: u64) -> Result<usize, StoreError> {
    usize::try_from(n).map_err(|_| StoreError::InvalidSize)
}

impl<A: ChunkAlloc> Store<A> {
    /// A store of `len` bytes in chunks of `1 << chunk_shift` bytes, every chunk
    /// allocated and zeroed now.
    ///
    /// # Errors
    /// [`StoreError::InvalidSize`] for `len` 0 or a chunk shift out of range,
    /// [`StoreError::NoMemory`] / [`StoreError::Misaligned`] from the allocator;
    /// everything allocated so far is freed again.
    pub fn new(alloc: A, len: u64, chunk_shift: u32) -> Result<Self, StoreError> {
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
        let store = Self {
            alloc,
            len,
            chunk_shift,
            chunks,
            directory,
            leaves,
        };
        store.populate()?;
        Ok(store)
    }

    /// Allocates every leaf and chunk and publishes them; on failure the caller's
    /// `Drop` frees what was published.
    fn populate(&self) -> Result<(), StoreError> {
        for leaf_index in 0..self.leaves {
            let entries = self.leaf_entries(leaf_index);
            let leaf = allocate(&self.alloc, entries * size_of::<Leaf>())?.cast::<Leaf>();
            self.directory_slot(leaf_index)
                .store(leaf.as_ptr(), Ordering::Release);
            for entry in 0..entries {
                let chunk = (leaf_index * LEAF_ENTRIES + entry) as u64;
                let block = allocate(&self.alloc, self.chunk_len(chunk))?;
                // SAFETY: `leaf` holds `entries` zero-initialised (null) atomics and
                // `entry < entries`; the leaf outlives the store's use of it.
                let slot = unsafe { atomic_at(leaf.as_ptr(), entry) };
                slot.store(block.as_ptr(), Ordering::Release);
            }
        }
        Ok(())
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

    /// Bytes of chunk memory the store holds (the disk size, for a fully allocated store).
    #[must_use]
    pub fn allocated_bytes(&self) -> u64 {
        (0..self.chunks)
            .filter(|&c| !self.chunk_ptr(c).is_null())
            .map(|c| self.chunk_len(c) as u64)
            .sum()
    }

    /// Bytes the table itself takes (directory and leaves).
    #[must_use]
    pub fn table_bytes(&self) -> u64 {
        let leaves: usize = (0..self.leaves).map(|l| self.leaf_entries(l)).sum();
        ((self.leaves + leaves) * size_of::<AtomicPtr<u8>>()) as u64
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

    /// The memory of chunk `chunk` (< `self.chunks`), null if it has none.
    fn chunk_ptr(&self, chunk: u64) -> *mut u8 {
        // chunk < chunks, so chunk / LEAF_ENTRIES < leaves (a usize).
        #[expect(clippy::cast_possible_truncation, reason = "below self.leaves")]
        let (leaf_index, entry) = (
            (chunk / LEAF_ENTRIES as u64) as usize,
            (chunk % LEAF_ENTRIES as u64) as usize,
        );
        let leaf = self.directory_slot(leaf_index).load(Ordering::Acquire);
        if leaf.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: a published leaf holds `leaf_entries(leaf_index)` initialised atomics
        // until the store is dropped, and `entry` is below that for `chunk < chunks`.
        let slot = unsafe { atomic_at(leaf, entry) };
        slot.load(Ordering::Acquire)
    }

    /// Checks `range` against this store's length.
    const fn own(&self, range: Range) -> Result<Range, StoreError> {
        if range.end() <= self.len {
            Ok(range)
        } else {
            Err(StoreError::OutOfRange)
        }
    }

    /// Calls `f(chunk memory or null, offset in the chunk, offset in the request,
    /// bytes)` for each piece of `range` in chunk order.
    fn for_each_piece(&self, range: Range, mut f: impl FnMut(*mut u8, usize, usize, usize)) {
        let mut at = range.offset();
        let end = range.end();
        let mut done = 0usize;
        let mask = (1u64 << self.chunk_shift) - 1;
        while at < end {
            let chunk = at >> self.chunk_shift;
            // Below the chunk size, which fits usize.
            #[expect(clippy::cast_possible_truncation, reason = "below the chunk size")]
            let within = (at & mask) as usize;
            let n = (self.chunk_len(chunk) - within).min(range.length() - done);
            f(self.chunk_ptr(chunk), within, done, n);
            at += n as u64;
            done += n;
        }
    }

    /// Copies `range` of the disk to `dest`.
    ///
    /// # Errors
    /// [`StoreError::OutOfRange`] when `range` ends past [`Store::len`] (nothing is copied).
    ///
    /// # Safety
    /// `dest` is valid for writes of `range.length()` bytes, is not part of this
    /// store's memory, and no reference to those bytes is used during the call.
    pub unsafe fn read(&self, range: Range, dest: *mut u8) -> Result<(), StoreError> {
        let range = self.own(range)?;
        self.for_each_piece(range, |chunk, within, done, n| {
            // SAFETY: `done + n <= range.length()`, so the target stays in the caller's
            // buffer (the caller's contract).
            let to = unsafe { dest.add(done) };
            if chunk.is_null() {
                // SAFETY: as above: `n` bytes of the caller's buffer.
                unsafe { ptr::write_bytes(to, 0, n) };
            } else {
                // SAFETY: `within + n <= chunk_len`, inside the chunk's allocation.
                let from = unsafe { chunk.add(within) };
                // SAFETY: both sides are valid for `n` bytes and do not overlap (the
                // caller's buffer is not store memory); raw copy, no reference.
                unsafe { ptr::copy_nonoverlapping(from.cast_const(), to, n) };
            }
        });
        Ok(())
    }

    /// Copies `range.length()` bytes from `src` onto `range` of the disk.
    ///
    /// # Errors
    /// [`StoreError::OutOfRange`] when `range` ends past [`Store::len`],
    /// [`StoreError::Unallocated`] when a chunk of it holds no memory; nothing is
    /// written then.
    ///
    /// # Safety
    /// `src` is valid for reads of `range.length()` bytes, is not part of this
    /// store's memory, and is not written during the call.
    pub unsafe fn write(&self, range: Range, src: *const u8) -> Result<(), StoreError> {
        let range = self.own(range)?;
        self.ensure_allocated(range)?;
        self.for_each_piece(range, |chunk, within, done, n| {
            // SAFETY: `done + n <= range.length()`: inside the caller's buffer.
            let from = unsafe { src.add(done) };
            // SAFETY: `chunk` is non-null (checked above) and `within + n <= chunk_len`.
            let to = unsafe { chunk.add(within) };
            // SAFETY: both valid for `n` bytes, disjoint; raw copy, no reference.
            unsafe { ptr::copy_nonoverlapping(from, to, n) };
        });
        Ok(())
    }

    /// Writes zeros over `range` of the disk.
    ///
    /// # Errors
    /// As [`Store::write`].
    pub fn zero(&self, range: Range) -> Result<(), StoreError> {
        let range = self.own(range)?;
        self.ensure_allocated(range)?;
        self.for_each_piece(range, |chunk, within, _, n| {
            // SAFETY: `chunk` is non-null (checked above) and `within + n <= chunk_len`.
            let to = unsafe { chunk.add(within) };
            // SAFETY: `n` bytes of the chunk; raw fill, no reference.
            unsafe { ptr::write_bytes(to, 0, n) };
        });
        Ok(())
    }

    /// Fails with [`StoreError::Unallocated`] unless every chunk `range` touches has memory.
    fn ensure_allocated(&self, range: Range) -> Result<(), StoreError> {
        let mut missing = false;
        self.for_each_piece(range, |chunk, _, _, _| missing |= chunk.is_null());
        if missing {
            Err(StoreError::Unallocated)
        } else {
            Ok(())
        }
    }
}

/// The atomic at `base[index]`.
///
/// # Safety
/// `base` points to at least `index + 1` initialised atomics that stay allocated for `'a`.
const unsafe fn atomic_at<'a, T>(base: *mut AtomicPtr<T>, index: usize) -> &'a AtomicPtr<T> {
    // In bounds by the caller's contract, so the wrapping offset never wraps.
    let slot = base.wrapping_add(index);
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
            // SAFETY: allocated with `entries` atomics; its chunks are freed.
            unsafe {
                self.alloc
                    .free(leaf.cast::<u8>(), entries * size_of::<Leaf>());
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

/// The FAT formatter writes straight into the store.
impl<A: ChunkAlloc> SectorWriter for &Store<A> {
    fn write(&mut self, byte_offset: u64, data: &[u8]) -> Result<(), FormatError> {
        let offset = i64::try_from(byte_offset).map_err(|_| FormatError::WriteFailed)?;
        let length = u32::try_from(data.len()).map_err(|_| FormatError::WriteFailed)?;
        let range =
            request::check(offset, length, self.len).map_err(|_| FormatError::WriteFailed)?;
        // SAFETY: `data` is the formatter's own buffer of `range.length()` bytes, not
        // store memory, and is not written during the call.
        unsafe { Store::write(self, range, data.as_ptr()) }.map_err(|_| FormatError::WriteFailed)
    }
}

#[cfg(test)]
mod tests;
