//! Nonpaged pool allocations with the driver's tag, never the Rust heap.
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

use wdk_sys::{_POOL_TYPE::NonPagedPoolNx, POOL_TYPE, PVOID, SIZE_T, ULONG};

/// `POOL_FLAG_NON_PAGED` (wdm.h). Spelled out: the stand-in headers define it twice.
const POOL_FLAG_NON_PAGED: u64 = 0x0000_0000_0000_0040;

/// The pool tag, `'RamD'` as it shows in pool tools (stored little-endian: `DmaR`).
pub const TAG: u32 = u32::from_le_bytes(*b"DmaR");

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
    let name: [u16; 15] = crate::utf16!("ExAllocatePool2");
    let mut us = crate::ffi::unicode_string(&name);
    // SAFETY: `us` describes `name`, which lives across the call; PASSIVE_LEVEL.
    let f = unsafe { wdk_sys::ntddk::MmGetSystemRoutineAddress(&raw mut us) };
    EX_ALLOCATE_POOL2.store(f, Ordering::Release);
    !f.is_null()
}

/// Allocations not yet freed (0 after a clean unload).
pub fn live_allocations() -> isize {
    LIVE_ALLOCATIONS.load(Ordering::Acquire)
}

/// An owned, zero-filled, nonpaged allocation of `len` bytes, freed on drop.
pub struct PoolBlock {
    ptr: NonNull<u8>,
    len: usize,
}

impl PoolBlock {
    /// Allocates `len` zeroed bytes (`len > 0`); `None` when the pool is exhausted.
    pub fn zeroed(len: usize) -> Option<Self> {
        if len == 0 || crate::fault::fail_allocation() {
            return None;
        }
        let pool2 = EX_ALLOCATE_POOL2.load(Ordering::Acquire);
        let raw = if pool2.is_null() {
            // SAFETY: plain pool allocation at PASSIVE_LEVEL; the result is checked below.
            let p = unsafe { ExAllocatePoolWithTag(NonPagedPoolNx, len as SIZE_T, TAG) };
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
            unsafe { f(POOL_FLAG_NON_PAGED, len as SIZE_T, TAG) }
        };
        let ptr = NonNull::new(raw.cast::<u8>())?;
        LIVE_ALLOCATIONS.fetch_add(1, Ordering::AcqRel);
        Some(Self { ptr, len })
    }

    /// The start of the block.
    pub const fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Its length in bytes.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Gives up ownership; [`PoolBlock::from_raw`] takes it back.
    pub const fn into_raw(self) -> (*mut u8, usize) {
        let parts = (self.ptr.as_ptr(), self.len);
        core::mem::forget(self);
        parts
    }

    /// Re-owns a block from [`PoolBlock::into_raw`].
    ///
    /// # Safety
    /// `(ptr, len)` must come from `into_raw` and not have been re-owned before.
    pub const unsafe fn from_raw(ptr: *mut u8, len: usize) -> Option<Self> {
        match NonNull::new(ptr) {
            Some(ptr) => Some(Self { ptr, len }),
            None => None,
        }
    }
}

impl Drop for PoolBlock {
    fn drop(&mut self) {
        // SAFETY: we own this tagged pool block; nothing references it any more.
        unsafe { wdk_sys::ntddk::ExFreePoolWithTag(self.ptr.as_ptr().cast(), TAG) };
        LIVE_ALLOCATIONS.fetch_sub(1, Ordering::AcqRel);
    }
}
