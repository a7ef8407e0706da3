//! Nonpaged pool with the driver's tag (`RamD`), never the Rust heap.
//!
//! `ExAllocatePool2(POOL_FLAG_NON_PAGED)` where the kernel exports it (Windows 10
//! 2004+), resolved at run time with `MmGetSystemRoutineAddress` so the driver still
//! loads where it doesn't; otherwise `ExAllocatePoolWithTag(NonPagedPoolNx)` plus an
//! explicit zero fill (older Windows, Wine). A live-allocation counter is reported at
//! unload so tests can prove nothing leaked.

use core::{
    ffi::c_void,
    ptr::{self, NonNull},
    sync::atomic::{AtomicIsize, AtomicPtr, Ordering},
};

use ramdisk_core::{disk::ascii_utf16, pool_tag::POOL_TAG};
use ramdisk_store::ChunkAlloc;
use wdk_sys::{_POOL_TYPE::NonPagedPoolNx, POOL_TYPE, PVOID, SIZE_T, ULONG};

use super::unicode::UnicodeString;

/// `POOL_FLAG_NON_PAGED` (wdm.h). Spelled out: the stand-in headers define it twice.
const POOL_FLAG_NON_PAGED: u64 = 0x0000_0000_0000_0040;

type ExAllocatePool2Fn = unsafe extern "system" fn(flags: u64, size: SIZE_T, tag: ULONG) -> PVOID;

unsafe extern "system" {
    /// Blocklisted by wdk-build's bindings (deprecated in favour of `ExAllocatePool2`),
    /// but exported by every ntoskrnl and by Wine: declared here for the fallback.
    fn ExAllocatePoolWithTag(pool_type: POOL_TYPE, size: SIZE_T, tag: ULONG) -> PVOID;
}

static EX_ALLOCATE_POOL2: AtomicPtr<c_void> = AtomicPtr::new(ptr::null_mut());
static LIVE_ALLOCATIONS: AtomicIsize = AtomicIsize::new(0);

/// Resolves `ExAllocatePool2` once (`PASSIVE_LEVEL`, from `DriverEntry`). Returns whether it exists.
pub fn init() -> bool {
    const NAME: [u16; 15] = ascii_utf16("ExAllocatePool2");
    let mut us = UnicodeString::new(&NAME);
    // SAFETY: `us` describes `NAME`, which lives across the call; PASSIVE_LEVEL.
    let f = unsafe { wdk_sys::ntddk::MmGetSystemRoutineAddress(us.as_ptr()) };
    EX_ALLOCATE_POOL2.store(f, Ordering::Release);
    !f.is_null()
}

/// Allocations not yet freed (0 after a clean unload).
pub fn live_allocations() -> isize {
    LIVE_ALLOCATIONS.load(Ordering::Acquire)
}

/// A zero-filled, nonpaged, tagged allocation of `len` (> 0) bytes; `None` when the
/// pool is exhausted.
fn allocate_zeroed(len: usize) -> Option<NonNull<u8>> {
    if len == 0 || crate::fault::fail_allocation() {
        return None;
    }
    let pool2 = EX_ALLOCATE_POOL2.load(Ordering::Acquire);
    let raw = if pool2.is_null() {
        // SAFETY: plain pool allocation at PASSIVE_LEVEL; the result is checked below.
        let p = unsafe { ExAllocatePoolWithTag(NonPagedPoolNx, len as SIZE_T, POOL_TAG) };
        if !p.is_null() {
            // SAFETY: `p` is a fresh allocation of `len` bytes owned by us.
            unsafe { ptr::write_bytes(p.cast::<u8>(), 0, len) };
        }
        p
    } else {
        // SAFETY: `pool2` is the kernel's ExAllocatePool2 export, which has this signature.
        let f: ExAllocatePool2Fn = unsafe { core::mem::transmute(pool2) };
        // SAFETY: nonpaged allocation at PASSIVE_LEVEL; zero-filled unless
        // POOL_FLAG_UNINITIALIZED is passed; the result is checked below.
        unsafe { f(POOL_FLAG_NON_PAGED, len as SIZE_T, POOL_TAG) }
    };
    let block = NonNull::new(raw.cast::<u8>())?;
    LIVE_ALLOCATIONS.fetch_add(1, Ordering::AcqRel);
    Some(block)
}

/// The store's allocator: tagged nonpaged pool.
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolAlloc;

impl ChunkAlloc for PoolAlloc {
    fn allocate_zeroed(&self, len: usize) -> Option<NonNull<u8>> {
        allocate_zeroed(len)
    }

    unsafe fn free(&self, block: NonNull<u8>, _len: usize) {
        // SAFETY: the caller's contract: a block of ours, freed once, unused afterwards.
        unsafe { wdk_sys::ntddk::ExFreePoolWithTag(block.as_ptr().cast(), POOL_TAG) };
        LIVE_ALLOCATIONS.fetch_sub(1, Ordering::AcqRel);
    }

    /// `\KernelObjects\LowNonPagedPoolCondition` is signalled (or the fault-injection
    /// build pretends it is).
    fn memory_low(&self) -> bool {
        crate::fault::low_pool() || super::low_pool::signalled()
    }
}

/// A zero-filled byte buffer in tagged nonpaged pool, freed on drop: for replies
/// too large for a stack buffer (a long `QUERY_POINTS` list). Never disk memory.
pub struct PoolBuffer {
    block: NonNull<u8>,
    len: usize,
}

// SAFETY: the buffer is owned memory with no thread affinity.
unsafe impl Send for PoolBuffer {}

impl PoolBuffer {
    /// `len` (> 0) zeroed bytes; `None` when the pool is exhausted.
    pub fn new(len: usize) -> Option<Self> {
        allocate_zeroed(len).map(|block| Self { block, len })
    }

    /// Copies `range` of `store` into the start of the buffer through the store's
    /// raw-pointer API (a save's read of the disk: no slice over disk memory).
    ///
    /// # Errors
    /// [`ramdisk_store::StoreError::OutOfRange`] when the range is longer than the
    /// buffer; what [`ramdisk_store::Store::read`] reports.
    pub fn read_store<A: ChunkAlloc>(
        &mut self,
        store: &ramdisk_store::Store<A>,
        range: ramdisk_core::request::Range,
    ) -> Result<(), ramdisk_store::StoreError> {
        if range.length() > self.len {
            return Err(ramdisk_store::StoreError::OutOfRange);
        }
        // SAFETY: our allocation holds `self.len >= range.length()` bytes, is not
        // store memory, and `&mut self` keeps every other borrow of it away.
        unsafe { store.read(range, self.block.as_ptr()) }
    }

    /// The bytes.
    pub const fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: a live allocation of `len` bytes, initialised (zeroed), owned by
        // `self` and borrowed mutably through it.
        unsafe { core::slice::from_raw_parts_mut(self.block.as_ptr(), self.len) }
    }
}

impl Drop for PoolBuffer {
    fn drop(&mut self) {
        // SAFETY: our allocation, freed once.
        unsafe { PoolAlloc.free(self.block, self.len) };
    }
}

/// A `T` in tagged nonpaged pool, freed on drop: for state too large for a device
/// extension or a stack (the mount-manager double's tables, a disk's image path). Built zeroed, which
/// `FromZeros` guarantees is a valid `T`.
pub struct PoolBox<T: ramdisk_core::wire::FromZeros> {
    block: NonNull<T>,
}

// SAFETY: the box owns its `T`; sending the box sends the `T`.
unsafe impl<T: ramdisk_core::wire::FromZeros + Send> Send for PoolBox<T> {}
// SAFETY: shared access to the box is shared access to the `T`.
unsafe impl<T: ramdisk_core::wire::FromZeros + Sync> Sync for PoolBox<T> {}

impl<T: ramdisk_core::wire::FromZeros> PoolBox<T> {
    /// A zeroed `T`; `None` when the pool is exhausted.
    pub fn new_zeroed() -> Option<Self> {
        // Pool blocks are 16-byte aligned on x64.
        const { assert!(core::mem::align_of::<T>() <= 16) };
        allocate_zeroed(core::mem::size_of::<T>().max(1)).map(|b| Self { block: b.cast() })
    }
}

impl<T: ramdisk_core::wire::FromZeros> core::ops::Deref for PoolBox<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a live, aligned, zero-initialised (hence valid: FromZeros) `T` owned
        // by the box.
        unsafe { self.block.as_ref() }
    }
}

impl<T: ramdisk_core::wire::FromZeros> core::ops::DerefMut for PoolBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, borrowed mutably through the box.
        unsafe { self.block.as_mut() }
    }
}

impl<T: ramdisk_core::wire::FromZeros> Drop for PoolBox<T> {
    fn drop(&mut self) {
        // SAFETY: a valid `T` we own, dropped once, never used again.
        unsafe { ptr::drop_in_place(self.block.as_ptr()) };
        // SAFETY: our allocation of `size_of::<T>().max(1)` bytes, freed once.
        unsafe { PoolAlloc.free(self.block.cast(), core::mem::size_of::<T>().max(1)) };
    }
}
