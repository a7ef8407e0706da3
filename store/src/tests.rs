//! Host tests (also run under Miri): the store against a `Vec<u8>` model, chunk
//! boundaries, ranges validated for other disks, allocation failure and rollback,
//! and threads copying to disjoint ranges of shared chunks.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::vec;
use std::vec::Vec;

use proptest::prelude::*;
use ramdisk_core::fat::{self, FormatOptions, Zeroed};
use ramdisk_core::request::{self, Range};

use super::*;

/// The host allocator, counting live blocks; optionally failing from the n-th allocation on.
#[derive(Debug, Default)]
struct HostAlloc {
    live: AtomicUsize,
    allocations: AtomicUsize,
    fail_from: Option<usize>,
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
}

impl ChunkAlloc for &HostAlloc {
    fn allocate_zeroed(&self, len: usize) -> Option<NonNull<u8>> {
        let n = self.allocations.fetch_add(1, Ordering::Relaxed);
        if self.fail_from.is_some_and(|f| n >= f) {
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
}

fn range(offset: u64, length: usize, disk: u64) -> Range {
    request::check(
        i64::try_from(offset).unwrap(),
        u32::try_from(length).unwrap(),
        disk,
    )
    .unwrap()
}

fn read(store: &Store<&HostAlloc>, offset: u64, length: usize) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![0xEEu8; length];
    // SAFETY: `out` is `length` bytes of our own.
    unsafe { store.read(range(offset, length, store.len()), out.as_mut_ptr()) }?;
    Ok(out)
}

fn write(store: &Store<&HostAlloc>, offset: u64, data: &[u8]) -> Result<(), StoreError> {
    // SAFETY: `data` is `data.len()` bytes of our own.
    unsafe { store.write(range(offset, data.len(), store.len()), data.as_ptr()) }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| i.to_le_bytes()[0].wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// The low byte of `n` (test seeds).
fn byte(n: u64) -> u8 {
    n.to_le_bytes()[0]
}

/// 4 KiB chunks, so small disks have many chunks and every test crosses boundaries.
const SHIFT: u32 = 12;

#[test]
fn creation_allocates_everything_and_drop_frees_it() {
    let a = HostAlloc::default();
    {
        // 10 chunks and a half: 11 chunks, the last 2 KiB; one leaf.
        let s = Store::new(&a, 10 * 4096 + 2048, SHIFT).unwrap();
        assert_eq!(s.len(), 43_008);
        assert!(!s.is_empty());
        assert_eq!(s.chunk_size(), 4096);
        assert_eq!(s.allocated_bytes(), 43_008);
        assert_eq!(s.table_bytes(), (1 + 11) * 8);
        assert_eq!(a.live.load(Ordering::Relaxed), 1 + 1 + 11);
        assert!(std::format!("{s:?}").contains("chunks: 11"));
        assert_eq!(read(&s, 0, 43_008).unwrap(), vec![0; 43_008]);
    }
    assert_eq!(a.live.load(Ordering::Relaxed), 0);
}

#[test]
fn two_level_table_spans_leaves() {
    let a = HostAlloc::default();
    // LEAF_ENTRIES + 3 chunks of 4 KiB: two leaves, the second with 3 entries.
    let len = (LEAF_ENTRIES as u64 + 3) * 4096;
    let s = Store::new(&a, len, SHIFT).unwrap();
    assert_eq!(s.table_bytes(), (2 + LEAF_ENTRIES as u64 + 3) * 8);
    let at = (LEAF_ENTRIES as u64 - 1) * 4096 + 512;
    let data = pattern(3 * 4096, 7);
    write(&s, at, &data).unwrap();
    assert_eq!(read(&s, at, data.len()).unwrap(), data);
    assert_eq!(read(&s, at - 512, 512).unwrap(), vec![0; 512]);
    write(&s, len - 512, &[9; 512]).unwrap();
    assert_eq!(read(&s, len - 512, 512).unwrap(), vec![9; 512]);
}

#[test]
fn ranges_for_a_larger_disk_are_rejected_and_copy_nothing() {
    let a = HostAlloc::default();
    let s = Store::new(&a, 8192, SHIFT).unwrap();
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
        assert_eq!(s.zero(r), Err(StoreError::OutOfRange));
    }
    assert_eq!(
        read(&s, 0, 8192).unwrap(),
        vec![1; 8192],
        "write changed bytes"
    );
    // The exact end is fine; a zero-length range at the end too.
    assert_eq!(read(&s, 7680, 512).unwrap(), vec![1; 512]);
    assert_eq!(read(&s, 8192, 0).unwrap(), Vec::<u8>::new());
}

#[test]
fn zero_clears_exactly_the_range() {
    let a = HostAlloc::default();
    let s = Store::new(&a, 16384, SHIFT).unwrap();
    write(&s, 0, &[0xAB; 16384]).unwrap();
    s.zero(range(3584, 5120, 16384)).unwrap();
    let all = read(&s, 0, 16384).unwrap();
    assert!(all[..3584].iter().all(|&b| b == 0xAB));
    assert!(all[3584..8704].iter().all(|&b| b == 0));
    assert!(all[8704..].iter().all(|&b| b == 0xAB));
}

#[test]
fn bad_sizes() {
    let a = HostAlloc::default();
    assert_eq!(
        Store::new(&a, 0, SHIFT).err(),
        Some(StoreError::InvalidSize)
    );
    assert_eq!(
        Store::new(&a, 4096, 11).err(),
        Some(StoreError::InvalidSize)
    );
    assert_eq!(
        Store::new(&a, 4096, 27).err(),
        Some(StoreError::InvalidSize)
    );
    assert_eq!(a.live.load(Ordering::Relaxed), 0);
    for e in [
        StoreError::OutOfRange,
        StoreError::NoMemory,
        StoreError::Misaligned,
        StoreError::InvalidSize,
        StoreError::Unallocated,
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
}

#[test]
fn allocation_failure_at_every_step_rolls_back() {
    // Directory, leaf, 512 chunks, leaf, 3 chunks: 518 blocks.
    let len = (LEAF_ENTRIES as u64 + 3) * 4096;
    let steps: Vec<usize> = if cfg!(miri) {
        vec![0, 1, 2, 300, 513, 514, 517]
    } else {
        (0..518).collect()
    };
    for n in steps {
        let a = HostAlloc::failing_from(n);
        assert_eq!(
            Store::new(&a, len, SHIFT).err(),
            Some(StoreError::NoMemory),
            "{n}"
        );
        assert_eq!(
            a.live.load(Ordering::Relaxed),
            0,
            "leak after failing at {n}"
        );
    }
    let a = HostAlloc::failing_from(518);
    assert!(Store::new(&a, len, SHIFT).is_ok());
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
    assert_eq!(a.live.load(Ordering::Relaxed), 0);
}

#[test]
fn the_formatter_writes_into_the_store() {
    let a = HostAlloc::default();
    let len = 1 << 20;
    let s = Store::new(&a, len, SHIFT).unwrap();
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

/// Threads copy into disjoint sector ranges that share chunks, concurrently, with
/// no lock; each then reads back exactly its own data.
#[test]
fn threads_on_disjoint_ranges_of_shared_chunks() {
    let a = HostAlloc::default();
    let threads = 4;
    let rounds: u64 = if cfg!(miri) { 3 } else { 200 };
    // Two 4 KiB chunks; thread t owns sectors t, t+4, t+8, t+12 (interleaved, so
    // every chunk is shared by all threads).
    let s = Store::new(&a, 8192, SHIFT).unwrap();
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
}

/// One operation of the model test.
#[derive(Clone, Debug)]
enum Op {
    Read(u64, usize),
    Write(u64, usize, u8),
    Zero(u64, usize),
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
        span(disk_sectors).prop_map(|(o, n)| Op::Zero(o, n)),
    ]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Random reads, writes and zeroing agree with a plain `Vec<u8>`, on disks
    /// whose size is not a multiple of the chunk size.
    #[test]
    fn agrees_with_a_vec_model(
        extra_sectors in 0u64..8,
        chunks in 1u64..6,
        ops in proptest::collection::vec(op(6 * 8 + 8), 1..24),
    ) {
        let a = HostAlloc::default();
        let len = chunks * 4096 + extra_sectors * 512;
        let s = Store::new(&a, len, SHIFT).unwrap();
        let mut model = vec![0u8; usize::try_from(len).unwrap()];
        for op in ops {
            match op {
                Op::Read(o, n) | Op::Write(o, n, _) | Op::Zero(o, n) if o + n as u64 > len => {
                    // Outside this disk: rejected, nothing changes.
                    let r = range(o, n, 1 << 40);
                    prop_assert_eq!(s.zero(r), Err(StoreError::OutOfRange));
                }
                Op::Read(o, n) => {
                    let o_us = usize::try_from(o).unwrap();
                    prop_assert_eq!(read(&s, o, n).unwrap(), &model[o_us..o_us + n]);
                }
                Op::Write(o, n, seed) => {
                    let data = pattern(n, seed);
                    write(&s, o, &data).unwrap();
                    let o_us = usize::try_from(o).unwrap();
                    model[o_us..o_us + n].copy_from_slice(&data);
                }
                Op::Zero(o, n) => {
                    s.zero(range(o, n, len)).unwrap();
                    let o_us = usize::try_from(o).unwrap();
                    model[o_us..o_us + n].fill(0);
                }
            }
        }
        prop_assert_eq!(read(&s, 0, model.len()).unwrap(), model);
        drop(s);
        prop_assert_eq!(a.live.load(Ordering::Relaxed), 0);
    }
}
