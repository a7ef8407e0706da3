//! Host tests (also run under Miri): the store against a `Vec<u8>` model (fixed and
//! dynamic, random reads, writes and TRIMs, memory limits), chunk boundaries, ranges
//! validated for other disks, allocation failure and rollback, every reclamation
//! path (freed at once, retired and drained, pushed back and handed over, freed at
//! drop, zeroed when no retire node can be had), and threads: disjoint ranges of
//! shared chunks, and readers, writers and trimmers on the same chunks checked
//! against per-thread shadow models.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::vec;
use std::vec::Vec;

use proptest::prelude::*;
use ramdisk_core::dsm::Extent;
use ramdisk_core::fat::{self, FormatOptions, Zeroed};
use ramdisk_core::request::{self, Range};

use super::*;

/// The host allocator, counting live blocks; optionally failing from the n-th
/// allocation on, or while `fail` is set; `low` is [`ChunkAlloc::memory_low`].
#[derive(Debug, Default)]
struct HostAlloc {
    live: AtomicUsize,
    allocations: AtomicUsize,
    fail_from: Option<usize>,
    fail: AtomicBool,
    low: AtomicBool,
    /// Hand out blocks offset by 8 bytes from an aligned allocation (misaligned).
    misalign: bool,
}

impl HostAlloc {
    fn failing_from(n: usize) -> Self {
        Self {
            fail_from: Some(n),
            ..Self::default()
        }
    }

    fn layout(len: usize) -> Layout {
        Layout::from_size_align(len + 16, 16).unwrap()
    }

    fn live(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }
}

impl ChunkAlloc for &HostAlloc {
    fn allocate_zeroed(&self, len: usize) -> Option<NonNull<u8>> {
        let n = self.allocations.fetch_add(1, Ordering::Relaxed);
        if self.fail_from.is_some_and(|f| n >= f) || self.fail.load(Ordering::Relaxed) {
            return None;
        }
        // SAFETY: a non-zero-sized layout.
        let p = NonNull::new(unsafe { alloc_zeroed(HostAlloc::layout(len)) })?;
        self.live.fetch_add(1, Ordering::Relaxed);
        Some(if self.misalign {
            // SAFETY: the block is `len + 16` bytes, so +8 stays inside.
            unsafe { p.add(8) }
        } else {
            p
        })
    }

    unsafe fn free(&self, block: NonNull<u8>, len: usize) {
        self.live.fetch_sub(1, Ordering::Relaxed);
        let base = if self.misalign {
            // SAFETY: undoes the +8 of `allocate_zeroed`.
            unsafe { block.sub(8) }
        } else {
            block
        };
        // SAFETY: allocated above with this layout.
        unsafe { dealloc(base.as_ptr(), HostAlloc::layout(len)) };
    }

    fn memory_low(&self) -> bool {
        self.low.load(Ordering::Relaxed)
    }
}

type HostStore<'a> = Store<&'a HostAlloc>;

fn range(offset: u64, length: usize, disk: u64) -> Range {
    request::check(
        i64::try_from(offset).unwrap(),
        u32::try_from(length).unwrap(),
        disk,
    )
    .unwrap()
}

fn extent(offset: u64, length: u64) -> Extent {
    Extent::check(offset, length, u64::MAX).unwrap()
}

fn read(store: &HostStore<'_>, offset: u64, length: usize) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![0xEEu8; length];
    // SAFETY: `out` is `length` bytes of our own.
    unsafe { store.read(range(offset, length, store.len()), out.as_mut_ptr()) }?;
    Ok(out)
}

fn write(store: &HostStore<'_>, offset: u64, data: &[u8]) -> Result<(), StoreError> {
    // SAFETY: `data` is `data.len()` bytes of our own.
    unsafe { store.write(range(offset, data.len(), store.len()), data.as_ptr()) }
}

fn trim(store: &HostStore<'_>, offset: u64, length: u64) -> Trimmed {
    store.trim(extent(offset, length)).unwrap()
}

/// A rundown nobody closes in these tests: nothing to wake.
struct NoWake;

impl rundown::Wake for NoWake {
    fn wake(&self) {
        unreachable!("the tests' rundowns are never closed");
    }
}

/// [`read`] by a request that holds a reference on `via` (as the driver's IRPs hold
/// one on their device's rundown), or counted by the store itself for `None`.
fn read_via(
    store: &HostStore<'_>,
    via: Option<&Rundown>,
    offset: u64,
    length: usize,
) -> Result<Vec<u8>, StoreError> {
    let Some(rundown) = via else {
        return read(store, offset, length);
    };
    let guard = rundown.enter(&NoWake).unwrap();
    let mut out = vec![0xEEu8; length];
    let range = range(offset, length, store.len());
    // SAFETY: `out` is `length` bytes of our own.
    unsafe { store.read_held(guard.held(), range, out.as_mut_ptr()) }?;
    Ok(out)
}

/// [`write`] by a request that holds a reference on `via` ([`read_via`]).
fn write_via(
    store: &HostStore<'_>,
    via: Option<&Rundown>,
    offset: u64,
    data: &[u8],
) -> Result<(), StoreError> {
    let Some(rundown) = via else {
        return write(store, offset, data);
    };
    let guard = rundown.enter(&NoWake).unwrap();
    let range = range(offset, data.len(), store.len());
    // SAFETY: `data` is `data.len()` bytes of our own.
    unsafe { store.write_held(guard.held(), range, data.as_ptr()) }
}

/// [`trim`] by a request that holds a reference on `via` ([`read_via`]).
fn trim_via(store: &HostStore<'_>, via: Option<&Rundown>, offset: u64, length: u64) -> Trimmed {
    let Some(rundown) = via else {
        return trim(store, offset, length);
    };
    let guard = rundown.enter(&NoWake).unwrap();
    store
        .trim_held(guard.held(), extent(offset, length))
        .unwrap()
}

/// A non-zero pattern with period 256 (built by copies, which Miri runs fast).
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    let mut out = vec![0u8; len];
    for (i, b) in out.iter_mut().take(256).enumerate() {
        *b = i.to_le_bytes()[0].wrapping_mul(31).wrapping_add(seed) | 1;
    }
    let mut filled = len.min(256);
    while filled < len {
        let n = filled.min(len - filled);
        out.copy_within(0..n, filled);
        filled += n;
    }
    out
}

/// The low byte of `n` (test seeds).
fn byte(n: u64) -> u8 {
    n.to_le_bytes()[0]
}

/// 4 KiB chunks, so small disks have many chunks and every test crosses boundaries.
const SHIFT: u32 = 12;
const CHUNK: u64 = 1 << SHIFT;

#[test]
fn creation_allocates_everything_and_drop_frees_it() {
    let a = HostAlloc::default();
    {
        // 10 chunks and a half: 11 chunks, the last 2 KiB; one leaf.
        let s = Store::new(&a, 10 * 4096 + 2048, SHIFT).unwrap();
        assert_eq!(s.len(), 43_008);
        assert!(!s.is_empty());
        assert!(!s.is_dynamic());
        assert_eq!(s.chunk_size(), 4096);
        assert_eq!(s.allocated_bytes(), 43_008);
        assert_eq!(s.peak_allocated_bytes(), 43_008);
        assert_eq!(s.memory_limit(), 43_008);
        assert_eq!(s.table_bytes(), (1 + 11) * 8);
        assert_eq!(a.live(), 1 + 1 + 11);
        assert!(std::format!("{s:?}").contains("chunks: 11"));
        assert_eq!(read(&s, 0, 43_008).unwrap(), vec![0; 43_008]);
        let u = s.usage();
        assert_eq!(u.allocation, ramdisk_core::config::Allocation::Fixed);
        assert_eq!(
            (u.disk_size, u.chunk_bytes, u.allocated_bytes),
            (43_008, 4096, 43_008)
        );
    }
    assert_eq!(a.live(), 0);
}

#[test]
fn two_level_table_spans_leaves() {
    let a = HostAlloc::default();
    // LEAF_ENTRIES + 3 chunks of 4 KiB: two leaves, the second with 3 entries.
    let len = (LEAF_ENTRIES as u64 + 3) * 4096;
    for dynamic in [false, true] {
        let s = if dynamic {
            Store::new_dynamic_two_level(&a, len, SHIFT, len).unwrap()
        } else {
            Store::new(&a, len, SHIFT).unwrap()
        };
        let at = (LEAF_ENTRIES as u64 - 1) * 4096 + 512;
        let data = pattern(3 * 4096, 7);
        write(&s, at, &data).unwrap();
        assert_eq!(read(&s, at, data.len()).unwrap(), data);
        assert_eq!(read(&s, at - 512, 512).unwrap(), vec![0; 512]);
        write(&s, len - 512, &[9; 512]).unwrap();
        assert_eq!(read(&s, len - 512, 512).unwrap(), vec![9; 512]);
        // Both leaves exist now (the second one was made by the write for a dynamic store).
        assert_eq!(s.table_bytes(), (2 + LEAF_ENTRIES as u64 + 3) * 8);
        if dynamic {
            // Chunks 511, 512, 513, 514 (the last) hold memory.
            assert_eq!(s.allocated_bytes(), 4 * 4096);
        }
    }
    assert_eq!(a.live(), 0);
}

/// A dynamic store whose table fits [`FLAT_TABLE_BYTES`] allocates it whole at
/// creation (directory, slots and the flat block; no chunk), finds chunks in it, and
/// frees it at drop; one chunk more and the table has two levels (the directory only,
/// leaves on demand).
#[test]
fn a_small_dynamic_store_has_a_flat_table() {
    let a = HostAlloc::default();
    let entries = FLAT_TABLE_BYTES / 8;
    let len = entries as u64 * CHUNK;
    let s = Store::new_dynamic(&a, len, SHIFT, len).unwrap();
    assert!(!s.flat.is_null());
    assert_eq!(a.live(), 3, "directory, slots, the flat table");
    let directory = (entries / LEAF_ENTRIES * 8) as u64;
    assert_eq!(s.table_bytes(), directory + FLAT_TABLE_BYTES as u64);
    write(&s, len - 4096, &[5; 4096]).unwrap();
    write(&s, (LEAF_ENTRIES as u64 - 1) * CHUNK + 512, &[6; 4096]).unwrap();
    assert_eq!(a.live(), 6, "three chunks, no leaf");
    assert_eq!(s.table_bytes(), directory + FLAT_TABLE_BYTES as u64);
    assert_eq!(read(&s, len - 4096, 4096).unwrap(), vec![5; 4096]);
    assert_eq!(
        read(&s, LEAF_ENTRIES as u64 * CHUNK, 512).unwrap(),
        vec![6; 512]
    );
    assert_eq!(trim(&s, 0, len).released, 3 * CHUNK);
    assert_eq!(read(&s, len - 4096, 4096).unwrap(), vec![0; 4096]);
    drop(s);
    assert_eq!(a.live(), 0);

    let s = Store::new_dynamic(&a, len + 512, SHIFT, len + 512).unwrap();
    assert!(s.flat.is_null());
    assert_eq!(a.live(), 2, "directory and slots");
    write(&s, len, &[7; 512]).unwrap();
    assert_eq!(a.live(), 4, "a leaf and a chunk");
    drop(s);
    assert_eq!(a.live(), 0);
}

#[test]
fn ranges_for_a_larger_disk_are_rejected_and_copy_nothing() {
    let a = HostAlloc::default();
    for dynamic in [false, true] {
        let s = if dynamic {
            Store::new_dynamic_two_level(&a, 8192, SHIFT, 8192).unwrap()
        } else {
            Store::new(&a, 8192, SHIFT).unwrap()
        };
        write(&s, 0, &[1; 8192]).unwrap();
        // Valid for a 16 KiB disk, not for this 8 KiB one.
        let big = range(8192, 512, 16384);
        let straddling = range(7680, 1024, 16384);
        for r in [big, straddling] {
            let mut out = vec![0xEEu8; r.length()];
            assert_eq!(
                // SAFETY: `out` is our own buffer of the range's length.
                unsafe { s.read(r, out.as_mut_ptr()) },
                Err(StoreError::OutOfRange)
            );
            assert!(out.iter().all(|&b| b == 0xEE), "read copied bytes");
            let data = vec![2u8; r.length()];
            assert_eq!(
                // SAFETY: as above.
                unsafe { s.write(r, data.as_ptr()) },
                Err(StoreError::OutOfRange)
            );
            assert_eq!(s.trim(Extent::from(r)), Err(StoreError::OutOfRange));
        }
        assert_eq!(
            s.trim(extent(0, u64::MAX - 511)),
            Err(StoreError::OutOfRange)
        );
        assert_eq!(
            read(&s, 0, 8192).unwrap(),
            vec![1; 8192],
            "write or trim changed bytes"
        );
        // The exact end is fine; a zero-length range at the end too.
        assert_eq!(read(&s, 7680, 512).unwrap(), vec![1; 512]);
        assert_eq!(read(&s, 8192, 0).unwrap(), Vec::<u8>::new());
        write(&s, 8192, &[]).unwrap();
        assert_eq!(trim(&s, 8192, 0), Trimmed::default());
    }
}

#[test]
fn trim_of_a_fixed_store_zeroes_exactly_the_range() {
    let a = HostAlloc::default();
    let s = Store::new(&a, 16384, SHIFT).unwrap();
    write(&s, 0, &[0xAB; 16384]).unwrap();
    let done = trim(&s, 3584, 8704);
    assert_eq!(
        done,
        Trimmed {
            released: 0,
            zeroed: 8704,
            deferred: 0
        }
    );
    let mut want = vec![0xAB; 16384];
    want[3584..12288].fill(0);
    assert_eq!(read(&s, 0, 16384).unwrap(), want);
    // No memory is given back.
    assert_eq!(s.allocated_bytes(), 16384);
    assert_eq!(a.live(), 1 + 1 + 4);
}

#[test]
fn bad_sizes() {
    let a = HostAlloc::default();
    for dynamic in [false, true] {
        let new = |len, shift| {
            if dynamic {
                Store::new_dynamic_two_level(&a, len, shift, len)
            } else {
                Store::new(&a, len, shift)
            }
        };
        assert_eq!(new(0, SHIFT).err(), Some(StoreError::InvalidSize));
        assert_eq!(new(4096, 11).err(), Some(StoreError::InvalidSize));
        assert_eq!(new(4096, 27).err(), Some(StoreError::InvalidSize));
    }
    assert_eq!(a.live(), 0);
    for e in [
        StoreError::OutOfRange,
        StoreError::NoMemory,
        StoreError::Misaligned,
        StoreError::InvalidSize,
        StoreError::Exhausted(Exhaustion::Limit),
        StoreError::Exhausted(Exhaustion::LowMemory),
        StoreError::Exhausted(Exhaustion::Allocator),
    ] {
        assert!(!std::format!("{e}").is_empty());
        assert!(!ramdisk_core::status::nt_success(e.status()));
    }
    assert_eq!(
        StoreError::OutOfRange.status(),
        ramdisk_core::status::STATUS_INVALID_PARAMETER
    );
    assert_eq!(
        StoreError::NoMemory.status(),
        ramdisk_core::status::STATUS_INSUFFICIENT_RESOURCES
    );
    assert_eq!(
        StoreError::Exhausted(Exhaustion::Limit).status(),
        ramdisk_core::status::STATUS_DISK_RESOURCES_EXHAUSTED
    );
}

#[test]
fn allocation_failure_at_every_step_rolls_back() {
    // Directory, the one block of both leaves, 515 chunks: 517 blocks.
    let len = (LEAF_ENTRIES as u64 + 3) * 4096;
    let steps: Vec<usize> = if cfg!(miri) {
        vec![0, 1, 2, 300, 514, 516]
    } else {
        (0..517).collect()
    };
    for n in steps {
        let a = HostAlloc::failing_from(n);
        assert_eq!(
            Store::new(&a, len, SHIFT).err(),
            Some(StoreError::NoMemory),
            "{n}"
        );
        assert_eq!(a.live(), 0, "leak after failing at {n}");
    }
    let a = HostAlloc::failing_from(517);
    assert!(Store::new(&a, len, SHIFT).is_ok());
    // A dynamic store needs only its directory and its in-flight slots.
    for n in [0, 1] {
        let a = HostAlloc::failing_from(n);
        assert_eq!(
            Store::new_dynamic_two_level(&a, len, SHIFT, len).err(),
            Some(StoreError::NoMemory)
        );
        assert_eq!(a.live(), 0, "leak after failing at {n}");
    }
    let a = HostAlloc::failing_from(2);
    assert!(Store::new_dynamic_two_level(&a, len, SHIFT, len).is_ok());
}

#[test]
fn misaligned_blocks_are_refused() {
    let a = HostAlloc {
        misalign: true,
        ..HostAlloc::default()
    };
    assert_eq!(
        Store::new(&a, 4096, SHIFT).err(),
        Some(StoreError::Misaligned)
    );
    assert_eq!(a.live(), 0);
}

#[test]
fn the_formatter_writes_into_the_store() {
    let a = HostAlloc::default();
    let len = 1 << 20;
    for dynamic in [false, true] {
        let s = if dynamic {
            Store::new_dynamic_two_level(&a, len, SHIFT, len).unwrap()
        } else {
            Store::new(&a, len, SHIFT).unwrap()
        };
        let layout = fat::plan(&FormatOptions::new(len)).unwrap();
        fat::format(&layout, &mut &s, Zeroed::No).unwrap();
        let mut reference = vec![0u8; 1 << 20];
        fat::format(&layout, &mut fat::SliceWriter(&mut reference), Zeroed::No).unwrap();
        assert_eq!(read(&s, 0, 1 << 20).unwrap(), reference);
        // Out of bounds or misaligned writes fail instead of landing anywhere.
        let mut w = &s;
        assert_eq!(
            SectorWriter::write(&mut w, len, &[0; 512]),
            Err(FormatError::WriteFailed)
        );
        assert_eq!(
            SectorWriter::write(&mut w, 1, &[0; 512]),
            Err(FormatError::WriteFailed)
        );
        assert_eq!(
            SectorWriter::write(&mut w, u64::MAX, &[0; 512]),
            Err(FormatError::WriteFailed)
        );
    }
}

/// Whatever a dynamic disk formats at load fits in the smallest `MemoryLimit` core
/// accepts, in the driver's chunks: FAT12/16/32 and exFAT (automatic and small
/// clusters, 512- and 4096-byte sectors) from 2 MiB to FAT32's ceiling, each into a
/// dynamic store of that size limited to `MIN_MEMORY_LIMIT`. (Host only: Miri would
/// spend minutes zeroing 2 MiB chunks.)
#[test]
#[cfg_attr(miri, ignore = "zeroes many 2 MiB chunks")]
fn formatting_fits_the_smallest_memory_limit_in_the_drivers_chunks() {
    use ramdisk_core::config::MIN_MEMORY_LIMIT;
    use ramdisk_core::exfat;
    use ramdisk_core::fat::FileSystem;
    let a = HostAlloc::default();
    let mut formatted = 0;
    let mut most = 0;
    for size in [2 << 20, 64 << 20, 4 << 30, 64 << 30, 2_199_023_255_040u64] {
        for fs in [
            FileSystem::Fat12,
            FileSystem::Fat16,
            FileSystem::Fat32,
            FileSystem::Exfat,
        ] {
            for (sector, spc) in [(512, 0), (512, 1), (512, 8), (4096, 0), (4096, 1)] {
                let mut options = FormatOptions::new(size);
                options.file_system = fs;
                options.bytes_per_sector = sector;
                options.sectors_per_cluster = spc;
                let s =
                    Store::new_dynamic(&a, size, DYNAMIC_CHUNK_SHIFT, MIN_MEMORY_LIMIT).unwrap();
                let mut w = StoreWriter::new(&s);
                let done = if fs == FileSystem::Exfat {
                    let Ok(layout) = exfat::plan(&options) else {
                        continue;
                    };
                    exfat::format(&layout, &mut w, Zeroed::Yes)
                } else {
                    let Ok(layout) = fat::plan(&options) else {
                        continue;
                    };
                    fat::format(&layout, &mut w, Zeroed::Yes)
                };
                assert_eq!(
                    (done, w.error()),
                    (Ok(()), None),
                    "{size} bytes, {fs:?}, {sector}-byte sectors, {spc} per cluster"
                );
                most = most.max(s.allocated_bytes());
                formatted += 1;
            }
        }
    }
    std::println!("{formatted} layouts formatted, at most {most} bytes of chunks");
    assert!(formatted >= 30, "only {formatted} layouts planned");
    assert_eq!(a.live(), 0);
}

#[test]
fn a_format_that_cannot_allocate_says_why() {
    let a = HostAlloc::default();
    let len = 40 << 20;
    let s = Store::new_dynamic_two_level(&a, len, SHIFT, len).unwrap();
    let mut options = FormatOptions::new(len);
    options.file_system = ramdisk_core::fat::FileSystem::Fat32;
    let layout = fat::plan(&options).unwrap();
    a.low.store(true, Ordering::Relaxed);
    let mut w = StoreWriter::new(&s);
    assert_eq!(
        fat::format(&layout, &mut w, Zeroed::Yes),
        Err(FormatError::WriteFailed)
    );
    assert_eq!(
        w.error(),
        Some(StoreError::Exhausted(Exhaustion::LowMemory))
    );
    a.low.store(false, Ordering::Relaxed);
    let mut w = StoreWriter::new(&s);
    assert_eq!(fat::format(&layout, &mut w, Zeroed::Yes), Ok(()));
    assert_eq!(w.error(), None);
    // FAT32 with zeroed memory: boot sector, FSInfo and backups (chunk 0), each FAT's
    // first sector, the root cluster: four 4 KiB chunks (with 64 KiB chunks the first
    // FAT shares chunk 0).
    assert_eq!(s.allocated_bytes(), 4 * CHUNK);
}

#[test]
fn an_exfat_volume_formats_into_a_dynamic_store_chunk_by_chunk() {
    use ramdisk_core::exfat;
    let a = HostAlloc::default();
    let len = 1 << 20;
    let s = Store::new_dynamic_two_level(&a, len, SHIFT, len).unwrap();
    let mut options = FormatOptions::new(len);
    options.file_system = ramdisk_core::fat::FileSystem::Exfat;
    let layout = exfat::plan(&options).unwrap();
    let mut w = StoreWriter::new(&s);
    assert_eq!(exfat::format(&layout, &mut w, Zeroed::Yes), Ok(()));
    assert_eq!(w.error(), None);
    let mut reference = vec![0u8; 1 << 20];
    exfat::format(&layout, &mut fat::SliceWriter(&mut reference), Zeroed::Yes).unwrap();
    assert_eq!(read(&s, 0, 1 << 20).unwrap(), reference);
    // Both boot regions (sectors 0..24: chunks 0-2), the FAT (sector 24: chunk 3), the
    // bitmap (cluster 2 at 16 KiB: chunk 4), the up-case table (clusters 3-4: chunks 5
    // and 6) and the root directory (cluster 5: chunk 7); nothing of the free heap.
    assert_eq!(
        (
            layout.fat_offset,
            layout.cluster_heap_offset,
            layout.root_cluster()
        ),
        (24, 32, 5)
    );
    assert_eq!(s.allocated_bytes(), 8 * CHUNK);
}

#[test]
fn a_dynamic_store_allocates_on_first_write_only() {
    let a = HostAlloc::default();
    // 5 chunks and 1 KiB: the last chunk is 1 KiB.
    let len = 5 * CHUNK + 1024;
    let s = Store::new_dynamic_two_level(&a, len, SHIFT, len).unwrap();
    assert!(s.is_dynamic());
    assert_eq!((s.allocated_bytes(), s.peak_allocated_bytes()), (0, 0));
    assert_eq!(a.live(), 2, "only the directory and the in-flight slots");
    assert_eq!(s.table_bytes(), 8);
    // Reads of holes: zeros, nothing allocated.
    assert_eq!(read(&s, 0, 4096).unwrap(), vec![0; 4096]);
    assert_eq!(
        read(&s, 0, usize::try_from(len).unwrap()).unwrap(),
        vec![0; 21504]
    );
    assert_eq!(a.live(), 2);
    // One sector in chunk 2: a leaf and a chunk.
    write(&s, 2 * CHUNK + 512, &[7; 512]).unwrap();
    assert_eq!(a.live(), 4);
    assert_eq!(s.allocated_bytes(), CHUNK);
    assert_eq!(s.table_bytes(), 8 + 6 * 8);
    let mut want = vec![0u8; usize::try_from(len).unwrap()];
    want[8704..9216].fill(7);
    assert_eq!(read(&s, 0, usize::try_from(len).unwrap()).unwrap(), want);
    // The same chunk again: nothing new.
    write(&s, 2 * CHUNK, &[8; 512]).unwrap();
    assert_eq!(a.live(), 4);
    // Across chunks 3, 4 and the short 5: 4 KiB + 4 KiB + 1 KiB.
    write(&s, 3 * CHUNK + 3584, &pattern(512 + 4096 + 1024, 3)).unwrap();
    assert_eq!(s.allocated_bytes(), 3 * CHUNK + 1024);
    assert_eq!(s.peak_allocated_bytes(), 3 * CHUNK + 1024);
    assert_eq!(read(&s, 3 * CHUNK + 3584, 5632).unwrap(), pattern(5632, 3));
    let u = s.usage();
    assert_eq!(u.allocation, ramdisk_core::config::Allocation::Dynamic);
    assert_eq!(
        (u.allocated_bytes, u.memory_limit_bytes),
        (3 * CHUNK + 1024, len)
    );
    drop(s);
    assert_eq!(a.live(), 0);
}

#[test]
fn the_limit_fails_a_write_before_any_byte_or_chunk() {
    let a = HostAlloc::default();
    let s = Store::new_dynamic_two_level(&a, 16 * CHUNK, SHIFT, 3 * CHUNK).unwrap();
    write(&s, 0, &[1; 4096]).unwrap();
    write(&s, 5 * CHUNK, &[2; 4096]).unwrap();
    let live = a.live();
    // Two more chunks would pass the limit of three.
    let e = write(&s, 9 * CHUNK + 2048, &[3; 4096]).unwrap_err();
    assert_eq!(e, StoreError::Exhausted(Exhaustion::Limit));
    assert_eq!(
        e.status(),
        ramdisk_core::status::STATUS_DISK_RESOURCES_EXHAUSTED
    );
    assert_eq!(a.live(), live, "nothing allocated");
    assert_eq!(s.allocated_bytes(), 2 * CHUNK);
    // A write into a chunk that holds memory, and one new chunk, still fit.
    write(&s, 512, &[4; 512]).unwrap();
    write(&s, 9 * CHUNK, &[5; 512]).unwrap();
    assert_eq!(s.allocated_bytes(), 3 * CHUNK);
    assert_eq!(
        write(&s, 10 * CHUNK, &[6; 512]),
        Err(StoreError::Exhausted(Exhaustion::Limit))
    );
    // Earlier data is intact.
    assert_eq!(read(&s, 0, 512).unwrap(), vec![1; 512]);
    assert_eq!(read(&s, 512, 512).unwrap(), vec![4; 512]);
    assert_eq!(read(&s, 5 * CHUNK, 4096).unwrap(), vec![2; 4096]);
    assert_eq!(read(&s, 10 * CHUNK, 512).unwrap(), vec![0; 512]);
    // TRIM gives room back.
    assert_eq!(trim(&s, 5 * CHUNK, CHUNK).released, CHUNK);
    write(&s, 10 * CHUNK, &[6; 512]).unwrap();
    assert_eq!(s.peak_allocated_bytes(), 3 * CHUNK);
}

#[test]
fn low_memory_and_allocator_failure_fail_writes_without_changing_bytes() {
    let a = HostAlloc::default();
    let s = Store::new_dynamic_two_level(&a, 8 * CHUNK, SHIFT, 8 * CHUNK).unwrap();
    write(&s, 0, &[1; 8192]).unwrap();
    a.low.store(true, Ordering::Relaxed);
    assert_eq!(
        write(&s, 4096, &[2; 8192]),
        Err(StoreError::Exhausted(Exhaustion::LowMemory))
    );
    // A write needing no new chunk still works, and reads never fail.
    write(&s, 4096, &[3; 512]).unwrap();
    assert_eq!(read(&s, 0, 8 * 4096).unwrap()[4096..4608], [3; 512]);
    a.low.store(false, Ordering::Relaxed);
    drop(s);
    assert_eq!(a.live(), 0);
    // The allocator failing on the second new chunk of a write: the first stays
    // (zeroed), no byte of the disk changes. With a limit below the disk size the
    // failed chunk was reserved first (the peak shows it), with none it was not.
    for (limit, peak) in [(7 * CHUNK, 2 * CHUNK), (8 * CHUNK, CHUNK)] {
        let a3 = HostAlloc::failing_from(4);
        let s3 = Store::new_dynamic_two_level(&a3, 8 * CHUNK, SHIFT, limit).unwrap();
        // directory (0), slots (1), leaf (2), chunk 2 (3) succeed; chunk 3 (4) fails.
        assert_eq!(
            write(&s3, 2 * CHUNK + 3584, &[9; 1024]),
            Err(StoreError::Exhausted(Exhaustion::Allocator))
        );
        assert_eq!(
            read(&s3, 0, 8 * 4096).unwrap(),
            vec![0; 8 * 4096],
            "a byte changed"
        );
        assert_eq!(s3.allocated_bytes(), CHUNK, "the first chunk stays, zeroed");
        assert_eq!(s3.peak_allocated_bytes(), peak);
        drop(s3);
        assert_eq!(a3.live(), 0);
    }
}

#[test]
fn trim_frees_whole_chunks_and_zeroes_the_rest() {
    let a = HostAlloc::default();
    // 6 chunks and a 2 KiB tail chunk.
    let len = 6 * CHUNK + 2048;
    let s = Store::new_dynamic_two_level(&a, len, SHIFT, len).unwrap();
    let whole = usize::try_from(len).unwrap();
    write(&s, 0, &pattern(whole, 5)).unwrap();
    assert_eq!(s.allocated_bytes(), len);
    let live = a.live();
    // From the middle of chunk 1 to the middle of chunk 4: chunks 2 and 3 freed,
    // halves of 1 and 4 zeroed.
    let done = trim(&s, CHUNK + 2048, 3 * CHUNK);
    assert_eq!(
        done,
        Trimmed {
            released: 2 * CHUNK,
            zeroed: 4096,
            deferred: 0
        }
    );
    assert_eq!(
        a.live(),
        live - 2 + 1,
        "two chunks freed, a spare retire node kept"
    );
    assert_eq!(s.allocated_bytes(), len - 2 * CHUNK);
    let mut model = pattern(whole, 5);
    model[4096 + 2048..4 * 4096 + 2048].fill(0);
    assert_eq!(read(&s, 0, whole).unwrap(), model);
    // The short last chunk, whole.
    assert_eq!(trim(&s, 6 * CHUNK, 2048).released, 2048);
    // Holes: nothing to do.
    assert_eq!(trim(&s, 2 * CHUNK, 2 * CHUNK), Trimmed::default());
    // Written again: allocated again.
    write(&s, 2 * CHUNK, &[4; 512]).unwrap();
    assert_eq!(read(&s, 2 * CHUNK, 1024).unwrap()[..512], [4; 512]);
    assert_eq!(read(&s, 2 * CHUNK + 512, 512).unwrap(), vec![0; 512]);
    // The whole disk.
    trim(&s, 0, len);
    assert_eq!(s.allocated_bytes(), 0);
    assert_eq!(read(&s, 0, whole).unwrap(), vec![0; whole]);
    assert_eq!(s.peak_allocated_bytes(), len);
    assert_eq!(
        a.live(),
        3 + 1,
        "directory, slots, leaf and the spare retire node"
    );
    drop(s);
    assert_eq!(a.live(), 0);
}

#[test]
fn chunks_trimmed_while_a_request_is_in_flight_wait_for_it() {
    let a = HostAlloc::default();
    let s = Store::new_dynamic_two_level(&a, 8 * CHUNK, SHIFT, 8 * CHUNK).unwrap();
    write(&s, 0, &vec![1; 8 * 4096]).unwrap();
    let live = a.live();
    let other = s.guard(None).unwrap();
    let done = trim(&s, 0, 3 * CHUNK);
    assert_eq!((done.released, done.deferred), (3 * CHUNK, 3 * CHUNK));
    // Detached (reads see zeros) but not freed: one retire node more.
    assert_eq!(read(&s, 0, 4096).unwrap(), vec![0; 4096]);
    assert_eq!(a.live(), live + 1);
    assert_eq!(
        s.allocated_bytes(),
        5 * CHUNK,
        "detached chunks leave the count"
    );
    assert_eq!(s.pending_free_bytes(), 3 * CHUNK);
    // The last request out frees them.
    drop(other);
    assert_eq!(a.live(), live - 3);
    assert_eq!(
        (s.allocated_bytes(), s.pending_free_bytes()),
        (5 * CHUNK, 0)
    );
    assert_eq!(read(&s, 3 * CHUNK, 4096).unwrap(), vec![1; 4096]);
}

/// With the store attached to a rundown, a reference on it is a request in flight:
/// a TRIM by the only holder frees at once; with a second holder (an IRP doing
/// anything) the chunks wait, and the next request to leave the store after that
/// holder is gone frees them. A request holding a reference on another rundown is
/// counted by a slot instead, and the slots still count.
#[test]
fn references_on_the_attached_rundown_count_as_requests_in_flight() {
    let a = HostAlloc::default();
    let (rundown, other) = (Rundown::new(), Rundown::new());
    let s = Store::new_dynamic_two_level(&a, 8 * CHUNK, SHIFT, 8 * CHUNK).unwrap();
    // SAFETY: both rundowns outlive the store (declared before it).
    unsafe { s.attach(&rundown) };
    write(&s, 0, &vec![1; 8 * 4096]).unwrap();
    let live = a.live();
    let done = trim_via(&s, Some(&rundown), 0, CHUNK);
    assert_eq!((done.released, done.deferred), (CHUNK, 0), "only holder");
    assert_eq!(
        a.live(),
        live,
        "the chunk freed, its retire node kept as the spare"
    );

    let irp = rundown.enter(&NoWake).unwrap();
    let done = trim_via(&s, Some(&rundown), CHUNK, 2 * CHUNK);
    assert_eq!((done.released, done.deferred), (2 * CHUNK, 2 * CHUNK));
    assert_eq!(s.pending_free_bytes(), 2 * CHUNK);
    // Still held: a request leaving the store meanwhile frees nothing.
    assert_eq!(read_via(&s, Some(&rundown), 0, 512).unwrap(), vec![0; 512]);
    assert_eq!(read(&s, 3 * CHUNK, 512).unwrap(), vec![1; 512]);
    assert_eq!(s.pending_free_bytes(), 2 * CHUNK);
    // Giving the reference back frees nothing by itself (the holder never entered
    // the store); the next request out does, by either path.
    drop(irp);
    assert_eq!(s.pending_free_bytes(), 2 * CHUNK);
    read_via(&s, Some(&rundown), 3 * CHUNK, 512).unwrap();
    assert_eq!(s.pending_free_bytes(), 0);
    assert_eq!(a.live(), live - 3);

    // Another rundown's reference is no proof here: the request takes a slot.
    let stranger = other.enter(&NoWake).unwrap();
    let g = s.guard(Some(stranger.held())).unwrap();
    assert!(matches!(g.token, reclaim::Token::Slot(_)));
    let done = trim_via(&s, Some(&rundown), 3 * CHUNK, CHUNK);
    assert_eq!(done.deferred, CHUNK, "a slot in use holds the free back");
    drop(g);
    assert_eq!(
        s.pending_free_bytes(),
        0,
        "the slot holder drained on its way out"
    );
    drop(stranger);

    // Detached, references count for nothing and held requests take slots.
    // SAFETY: no request holds a reference on `rundown` now.
    unsafe { s.detach() };
    let irp = rundown.enter(&NoWake).unwrap();
    let done = trim(&s, 4 * CHUNK, CHUNK);
    assert_eq!(done.deferred, 0);
    assert!(matches!(
        s.guard(Some(irp.held())).unwrap().token,
        reclaim::Token::Slot(_)
    ));
    drop(irp);
    drop(s);
    assert_eq!(a.live(), 0);
}

#[test]
fn more_chunks_than_a_retire_node_holds() {
    let a = HostAlloc::default();
    let chunks = 300u64;
    let s = Store::new_dynamic_two_level(&a, chunks * CHUNK, SHIFT, chunks * CHUNK).unwrap();
    for c in 0..chunks {
        write(&s, c * CHUNK, &[1; 512]).unwrap();
    }
    let live = a.live();
    let other = s.guard(None).unwrap();
    assert_eq!(trim(&s, 0, chunks * CHUNK).released, chunks * CHUNK);
    assert_eq!(a.live(), live + 2, "two retire nodes");
    drop(other);
    assert_eq!(
        a.live(),
        live - usize::try_from(chunks).unwrap(),
        "chunks and nodes freed"
    );
    assert_eq!(s.allocated_bytes(), 0);
}

#[test]
fn a_pushed_back_chain_is_freed_by_the_last_one_out() {
    let a = HostAlloc::default();
    let s = Store::new_dynamic_two_level(&a, 4 * CHUNK, SHIFT, 4 * CHUNK).unwrap();
    write(&s, 0, &[1; 4 * 4096]).unwrap();
    let live = a.live();
    let first = s.guard(None).unwrap();
    let second = s.guard(None).unwrap();
    trim(&s, 0, 2 * CHUNK);
    // The trimmer took the chain on its way out, saw others in flight, pushed it back.
    assert_eq!(a.live(), live + 1);
    drop(first);
    assert_eq!(a.live(), live + 1, "one request still in flight");
    drop(second);
    assert_eq!(a.live(), live - 2);
    assert_eq!(s.allocated_bytes(), 2 * CHUNK);
}

#[test]
fn dropping_the_store_frees_what_is_still_retired() {
    let a = HostAlloc::default();
    {
        let s = Store::new_dynamic_two_level(&a, 4 * CHUNK, SHIFT, 4 * CHUNK).unwrap();
        write(&s, 0, &[1; 4 * 4096]).unwrap();
        // A request that never ends (as if its thread died): retired chunks stay
        // until the store goes.
        core::mem::forget(s.guard(None));
        trim(&s, 0, 4 * CHUNK);
        assert_eq!(
            (s.allocated_bytes(), s.pending_free_bytes()),
            (0, 4 * CHUNK)
        );
    }
    assert_eq!(a.live(), 0);
}

#[test]
fn without_a_retire_node_trim_zeroes_instead() {
    let a = HostAlloc::default();
    let s = Store::new_dynamic_two_level(&a, 4 * CHUNK, SHIFT, 4 * CHUNK).unwrap();
    write(&s, 0, &[1; 4 * 4096]).unwrap();
    let live = a.live();
    a.fail.store(true, Ordering::Relaxed);
    let done = trim(&s, 0, 2 * CHUNK);
    assert_eq!(
        done,
        Trimmed {
            released: 0,
            zeroed: 2 * CHUNK,
            deferred: 0
        }
    );
    assert_eq!(a.live(), live);
    assert_eq!(s.allocated_bytes(), 4 * CHUNK);
    assert_eq!(read(&s, 0, 4 * 4096).unwrap()[..8192], [0; 8192]);
    assert_eq!(read(&s, 0, 4 * 4096).unwrap()[8192..], [1; 8192]);
}

#[test]
fn more_requests_than_slots_count_in_overflow() {
    let a = HostAlloc::default();
    let s = Store::new_dynamic_two_level(&a, 4 * CHUNK, SHIFT, 4 * CHUNK).unwrap();
    write(&s, 0, &[1; 4 * 4096]).unwrap();
    let live = a.live();
    // Every slot taken, each by one request; then two more in the overflow count.
    let held: Vec<_> = (0..reclaim::SLOTS)
        .map(|_| s.guard(None).unwrap())
        .collect();
    let mut slots: Vec<_> = held.iter().map(|g| g.token).collect();
    slots.sort_by_key(|t| match t {
        reclaim::Token::Slot(n) => *n,
        reclaim::Token::Overflow | reclaim::Token::Held => usize::MAX,
    });
    let all: Vec<_> = (0..reclaim::SLOTS).map(reclaim::Token::Slot).collect();
    assert_eq!(slots, all, "one slot each");
    let over: Vec<_> = (0..2).map(|_| s.guard(None).unwrap()).collect();
    assert!(over.iter().all(|g| g.token == reclaim::Token::Overflow));
    // A trimmer now is in the overflow count too, and not alone.
    let done = trim(&s, 0, 2 * CHUNK);
    assert_eq!((done.released, done.deferred), (2 * CHUNK, 2 * CHUNK));
    assert_eq!(a.live(), live + 1, "the chunks wait in a retire node");
    // A slot given back is taken again by the next request.
    drop(held);
    let again = s.guard(None).unwrap();
    assert!(matches!(again.token, reclaim::Token::Slot(_)));
    assert!(!s.reclaim.quiet(None));
    assert!(!s.reclaim.quiet(Some(again.token)), "two overflow requests");
    drop(again);
    assert_eq!(a.live(), live + 1, "still two requests in flight");
    let mut over = over;
    over.pop();
    assert!(s.reclaim.quiet(Some(reclaim::Token::Overflow)));
    assert_eq!(a.live(), live + 1);
    // The last one out frees the chunks and the node.
    drop(over);
    assert!(s.reclaim.quiet(None));
    assert_eq!(a.live(), live - 2);
    assert_eq!(
        (s.allocated_bytes(), s.pending_free_bytes()),
        (2 * CHUNK, 0)
    );
    drop(s);
    assert_eq!(a.live(), 0);
}

/// Threads copy into disjoint sector ranges that share chunks, concurrently, with
/// no lock; each then reads back exactly its own data. The dynamic store starts
/// empty, so the threads race to allocate the same chunks.
#[test]
fn threads_on_disjoint_ranges_of_shared_chunks() {
    let threads = 4;
    let rounds: u64 = if cfg!(miri) { 2 } else { 200 };
    for dynamic in [false, true] {
        let a = HostAlloc::default();
        // Two 4 KiB chunks; thread t owns sectors t, t+4, t+8, t+12 (interleaved, so
        // every chunk is shared by all threads).
        let s = if dynamic {
            Store::new_dynamic_two_level(&a, 8192, SHIFT, 8192).unwrap()
        } else {
            Store::new(&a, 8192, SHIFT).unwrap()
        };
        std::thread::scope(|scope| {
            for t in 0..threads {
                let s = &s;
                scope.spawn(move || {
                    for round in 0..rounds {
                        for k in 0..4u64 {
                            let sector = t + k * threads;
                            let data = pattern(512, byte(t) ^ byte(round) ^ byte(k));
                            write(s, sector * 512, &data).unwrap();
                            assert_eq!(read(s, sector * 512, 512).unwrap(), data);
                        }
                    }
                });
            }
        });
        for t in 0..threads {
            for k in 0..4u64 {
                let want = pattern(512, byte(t) ^ byte(rounds - 1) ^ byte(k));
                assert_eq!(read(&s, (t + k * threads) * 512, 512).unwrap(), want);
            }
        }
        assert_eq!(s.allocated_bytes(), 8192);
        drop(s);
        assert_eq!(a.live(), 0);
    }
}

/// What a reader may see in a sector: the last value its owner wrote, or zeros if
/// a TRIM of its chunk came since; never an older value, another sector's bytes or
/// freed memory.
fn check_sector(got: &[u8], last: Option<&[u8]>) -> bool {
    got.iter().all(|&b| b == 0) || last.is_some_and(|l| l == got)
}

/// Readers, writers and trimmers on the same chunks of a dynamic store, no lock.
///
/// * Writer threads own interleaved sectors (every chunk is shared): each writes a
///   fresh pattern into one of its sectors and reads its sectors back; every read
///   must give the last pattern written there or zeros (a whole-chunk TRIM raced),
///   and once a sector read as zeros it stays zeros until written again.
/// * Reader threads own other sectors, written once before the threads start; they
///   read them over and over: the initial pattern or zeros, and never the pattern
///   again after zeros.
/// * A trimmer thread trims whole chunks (detaching them while the others copy: the
///   reclamation under test) and, in the same chunks, zeroes its own sectors with
///   partial TRIMs and checks them. It runs until enough of its whole-chunk TRIMs
///   found other requests in flight (the retire list was used), within a time cap;
///   the others run until it stops.
///
/// Only whole-chunk TRIMs overlap other threads' bytes, and they write no byte, so
/// the test is free of data races; under Miri a chunk freed while in use fails it.
/// Afterwards every byte of the store is accounted for and nothing leaks.
#[test]
fn readers_writers_and_trimmers_on_the_same_chunks() {
    readers_writers_and_trimmers(reclaim::SLOTS, false, false);
}

/// The same on a store with a flat table (a dynamic disk of up to 128 GiB), every
/// request counted by a slot.
#[test]
fn readers_writers_and_trimmers_on_a_flat_table() {
    readers_writers_and_trimmers(reclaim::SLOTS, false, true);
}

/// The same with two in-flight slots for seven threads: most requests count in the
/// overflow counter, and slots change hands all the time.
#[test]
fn readers_writers_and_trimmers_with_too_few_slots() {
    readers_writers_and_trimmers(2, false, false);
}

/// The same with the store attached to a rundown and a flat table, as the driver's
/// dynamic disks up to 128 GiB are:
/// every thread alternates between requests counted by a reference on it (no slot,
/// as an IRP) and requests the store counts itself (as a save on the control
/// device's worker), so frees wait for both kinds.
#[test]
fn readers_writers_and_trimmers_holding_rundown_references() {
    readers_writers_and_trimmers(reclaim::SLOTS, true, true);
}

/// [`readers_writers_and_trimmers_on_the_same_chunks`] with `slots` in-flight slots,
/// (`held`) half of every thread's requests holding a reference on the rundown the
/// store is attached to instead, and (`flat`) the table in one block.
#[expect(
    clippy::too_many_lines,
    reason = "one scenario: the threads, then the accounting"
)]
fn readers_writers_and_trimmers(slots: usize, held: bool, flat: bool) {
    use std::sync::Barrier;
    use std::time::{Duration, Instant};
    let (chunks, min_rounds, min_deferred) = if cfg!(miri) {
        (3u64, 12u64, 3u64)
    } else {
        (8, 30_000, 2000)
    };
    let sectors_per_chunk = CHUNK / 512;
    let total = chunks * sectors_per_chunk;
    // Sector roles by index modulo 8: 0-3 writers, 4-5 readers, 6 trimmer, 7 unused.
    let role = |sector: u64| sector % 8;
    let a = HostAlloc::default();
    let rundown = Rundown::new();
    let len = chunks * CHUNK;
    let mut s = if flat {
        Store::new_dynamic(&a, len, SHIFT, len).unwrap()
    } else {
        Store::new_dynamic_two_level(&a, len, SHIFT, len).unwrap()
    };
    assert_eq!(!s.flat.is_null(), flat);
    s.reclaim.limit_slots(slots);
    if held {
        // SAFETY: `rundown` outlives the store (declared before it).
        unsafe { s.attach(&rundown) };
    }
    // The rundown to hold a reference on for a request, on alternate rounds.
    let via = |even: bool| (held && even).then_some(&rundown);
    let initial = |sector: u64| pattern(512, byte(sector) ^ 0x5A);
    for sector in (0..total).filter(|&x| (4..6).contains(&role(x))) {
        write(&s, sector * 512, &initial(sector)).unwrap();
    }
    let stop = AtomicBool::new(false);
    let start = Barrier::new(7);
    // (whole-chunk TRIMs, those that found other requests in flight).
    let mut counts = (0u64, 0u64);
    std::thread::scope(|scope| {
        for w in 0..4u64 {
            let (s, stop, start, via) = (&s, &stop, &start, &via);
            scope.spawn(move || {
                let mine: Vec<u64> = (0..total).filter(|&x| role(x) == w).collect();
                let mut last: Vec<Option<Vec<u8>>> = vec![None; mine.len()];
                start.wait();
                let mut round = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let i = usize::try_from(round).unwrap() % mine.len();
                    let data = pattern(512, byte(round) ^ byte(w << 4));
                    let by = via((w + round).is_multiple_of(2));
                    write_via(s, by, mine[i] * 512, &data).unwrap();
                    last[i] = Some(data);
                    let j = usize::try_from(round * 7 + w).unwrap() % mine.len();
                    let got =
                        read_via(s, via(round.is_multiple_of(2)), mine[j] * 512, 512).unwrap();
                    assert!(
                        check_sector(&got, last[j].as_deref()),
                        "writer {w} sector {}",
                        mine[j]
                    );
                    if got.iter().all(|&b| b == 0) {
                        last[j] = None;
                    }
                    round += 1;
                }
            });
        }
        for r in 4..6u64 {
            let (s, stop, start, via) = (&s, &stop, &start, &via);
            scope.spawn(move || {
                let mine: Vec<u64> = (0..total).filter(|&x| role(x) == r).collect();
                let mut trimmed = vec![false; mine.len()];
                start.wait();
                let mut round = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let i = round % mine.len();
                    let by = via((round + usize::from(r == 5)).is_multiple_of(2));
                    let got = read_via(s, by, mine[i] * 512, 512).unwrap();
                    let want = initial(mine[i]);
                    let last = (!trimmed[i]).then_some(&want[..]);
                    assert!(check_sector(&got, last), "reader {r} sector {}", mine[i]);
                    trimmed[i] |= got.iter().all(|&b| b == 0);
                    round += 1;
                }
            });
        }
        {
            let (s, stop, start, counts, via) = (&s, &stop, &start, &mut counts, &via);
            scope.spawn(move || {
                let mine: Vec<u64> = (0..total).filter(|&x| role(x) == 6).collect();
                start.wait();
                let began = Instant::now();
                let mut round = 0u64;
                while round < min_rounds
                    || (counts.1 < min_deferred && began.elapsed() < Duration::from_secs(30))
                {
                    if round.is_multiple_of(3) {
                        let chunk = round / 3 % chunks;
                        counts.0 += 1;
                        let t = trim_via(s, via(round.is_multiple_of(2)), chunk * CHUNK, CHUNK);
                        counts.1 += u64::from(t.deferred > 0);
                    } else {
                        let sector = mine[usize::try_from(round).unwrap() % mine.len()];
                        let by = via(round.is_multiple_of(2));
                        write_via(s, by, sector * 512, &[0xC3; 512]).unwrap();
                        let t = trim_via(s, by, sector * 512, 512);
                        assert_eq!(t.released, 0);
                        assert_eq!(read_via(s, by, sector * 512, 512).unwrap(), vec![0; 512]);
                    }
                    round += 1;
                }
                stop.store(true, Ordering::Relaxed);
            });
        }
    });
    std::println!(
        "{} of {} whole-chunk TRIMs were deferred",
        counts.1,
        counts.0
    );
    assert!(
        counts.1 >= min_deferred,
        "the retire list was used too little to prove anything"
    );
    // One request more drains anything a handover left behind; then the books balance.
    read(&s, 0, 512).unwrap();
    assert_eq!(s.pending_free_bytes(), 0);
    let mut held = 0u64;
    let mut live_chunks = 0;
    for chunk in 0..chunks {
        if !s.chunk_ptr(chunk).is_null() {
            held += CHUNK;
            live_chunks += 1;
        }
    }
    assert_eq!(s.allocated_bytes(), held);
    assert!(s.peak_allocated_bytes() <= chunks * CHUNK);
    // Directory, slots, one leaf, the chunks, at most one spare retire node.
    assert!(
        (3 + live_chunks..=4 + live_chunks).contains(&a.live()),
        "{}",
        a.live()
    );
    drop(s);
    assert_eq!(a.live(), 0);
}

/// One operation of the model test.
#[derive(Clone, Debug)]
enum Op {
    Read(u64, usize),
    Write(u64, usize, u8),
    Trim(u64, u64),
}

/// A sector-aligned `(offset, length)` inside a disk of `disk_sectors` sectors
/// (up to 40 sectors long).
fn span(disk_sectors: u64) -> impl Strategy<Value = (u64, usize)> {
    (0..=disk_sectors, 0..=disk_sectors.min(40)).prop_map(move |(s, n)| {
        let n = n.min(disk_sectors - s);
        (s * 512, usize::try_from(n * 512).unwrap())
    })
}

fn op(disk_sectors: u64) -> impl Strategy<Value = Op> {
    prop_oneof![
        span(disk_sectors).prop_map(|(o, n)| Op::Read(o, n)),
        (span(disk_sectors), any::<u8>()).prop_map(|((o, n), seed)| Op::Write(o, n, seed)),
        span(disk_sectors).prop_map(|(o, n)| Op::Trim(o, n as u64)),
        // Long TRIMs that cover whole chunks.
        (0..=disk_sectors, 0..=disk_sectors)
            .prop_map(move |(a, b)| Op::Trim(a.min(b) * 512, (a.max(b) - a.min(b)) * 512)),
    ]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Chunk memory a dynamic store holds for the model's allocated chunks.
fn held(allocated: &[bool], len: u64) -> u64 {
    allocated
        .iter()
        .enumerate()
        .filter(|&(_, &a)| a)
        .map(|(c, _)| (len - c as u64 * CHUNK).min(CHUNK))
        .sum()
}

proptest! {
    #![proptest_config(config())]

    /// Random reads, writes and TRIMs agree with a plain `Vec<u8>` (and, for a
    /// dynamic store, with a model of which chunks hold memory and of its limit), on
    /// disks whose size is not a multiple of the chunk size.
    #[test]
    fn agrees_with_a_vec_model(
        dynamic in any::<bool>(),
        flat in any::<bool>(),
        extra_sectors in 0u64..8,
        chunks in 1u64..6,
        limit_chunks in 1u64..8,
        ops in proptest::collection::vec(op(6 * 8 + 8), 1..32),
    ) {
        let a = HostAlloc::default();
        let len = chunks * CHUNK + extra_sectors * 512;
        let limit = limit_chunks * CHUNK;
        let s = match (dynamic, flat) {
            (true, true) => Store::new_dynamic(&a, len, SHIFT, limit).unwrap(),
            (true, false) => Store::new_dynamic_two_level(&a, len, SHIFT, limit).unwrap(),
            (false, _) => Store::new(&a, len, SHIFT).unwrap(),
        };
        prop_assert_eq!(!s.flat.is_null(), !dynamic || flat);
        let mut model = vec![0u8; usize::try_from(len).unwrap()];
        let mut allocated = vec![!dynamic; usize::try_from(len.div_ceil(CHUNK)).unwrap()];
        let chunks_of = |o: u64, n: u64| (o / CHUNK)..if n == 0 { 0 } else { (o + n).div_ceil(CHUNK) };
        for op in ops {
            match op {
                Op::Read(o, n) | Op::Write(o, n, _) if o + n as u64 > len => {
                    // Outside this disk: rejected, nothing changes.
                    let r = range(o, n, 1 << 40);
                    prop_assert_eq!(s.trim(Extent::from(r)), Err(StoreError::OutOfRange));
                }
                Op::Trim(o, n) if o + n > len => {
                    prop_assert_eq!(s.trim(extent(o, n)), Err(StoreError::OutOfRange));
                }
                Op::Read(o, n) => {
                    let o_us = usize::try_from(o).unwrap();
                    prop_assert_eq!(read(&s, o, n).unwrap(), &model[o_us..o_us + n]);
                }
                Op::Write(o, n, seed) => {
                    let data = pattern(n, seed);
                    let missing: u64 = chunks_of(o, n as u64)
                        .filter(|&c| !allocated[usize::try_from(c).unwrap()])
                        .map(|c| (len - c * CHUNK).min(CHUNK))
                        .sum();
                    let fits = held(&allocated, len) + missing <= limit;
                    match write(&s, o, &data) {
                        Ok(()) => {
                            prop_assert!(!dynamic || fits);
                            let o_us = usize::try_from(o).unwrap();
                            model[o_us..o_us + n].copy_from_slice(&data);
                            for c in chunks_of(o, n as u64) {
                                allocated[usize::try_from(c).unwrap()] = true;
                            }
                        }
                        Err(e) => {
                            prop_assert!(dynamic && !fits, "{e:?}");
                            prop_assert_eq!(e, StoreError::Exhausted(Exhaustion::Limit));
                        }
                    }
                }
                Op::Trim(o, n) => {
                    let done = s.trim(extent(o, n)).unwrap();
                    let o_us = usize::try_from(o).unwrap();
                    let n_us = usize::try_from(n).unwrap();
                    model[o_us..o_us + n_us].fill(0);
                    let before = held(&allocated, len);
                    if dynamic {
                        for c in chunks_of(o, n) {
                            let (start, end) = (c * CHUNK, ((c + 1) * CHUNK).min(len));
                            if o <= start && end <= o + n {
                                allocated[usize::try_from(c).unwrap()] = false;
                            }
                        }
                    }
                    prop_assert_eq!(done.released, before - held(&allocated, len));
                }
            }
            prop_assert_eq!(s.allocated_bytes(), held(&allocated, len));
        }
        prop_assert_eq!(read(&s, 0, model.len()).unwrap(), model);
        let ceiling = if dynamic { limit.min(len) } else { len };
        prop_assert!(s.peak_allocated_bytes() <= ceiling);
        drop(s);
        prop_assert_eq!(a.live(), 0);
    }
}
