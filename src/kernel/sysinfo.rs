//! The machine's physical memory: `ZwQuerySystemInformation(SystemBasicInformation)`
//! (declared in `time.rs`, which queries the clock the same way; Wine answers both
//! from the host).

use wdk_sys::STATUS_SUCCESS;

use super::time::ZwQuerySystemInformation;

/// `SystemBasicInformation`.
const SYSTEM_BASIC_INFORMATION: u32 = 0;

/// `SYSTEM_BASIC_INFORMATION` as 64-bit Windows lays it out (the kernel rejects any
/// other length with `STATUS_INFO_LENGTH_MISMATCH`).
#[repr(C)]
#[derive(Default)]
#[allow(
    dead_code,
    reason = "the kernel's layout, written by ZwQuerySystemInformation; only two fields are read"
)]
struct SystemBasicInformation {
    reserved: u32,
    timer_resolution: u32,
    page_size: u32,
    number_of_physical_pages: u32,
    lowest_physical_page_number: u32,
    highest_physical_page_number: u32,
    allocation_granularity: u32,
    minimum_user_mode_address: usize,
    maximum_user_mode_address: usize,
    active_processors_affinity_mask: usize,
    number_of_processors: i8,
}
const _: () = assert!(core::mem::size_of::<SystemBasicInformation>() == 64);
const _: () = assert!(core::mem::offset_of!(SystemBasicInformation, page_size) == 8);
const _: () =
    assert!(core::mem::offset_of!(SystemBasicInformation, number_of_physical_pages) == 12);

/// The physical memory Windows manages, in bytes (`NumberOfPhysicalPages` ×
/// `PageSize` of `SystemBasicInformation`); `None` when the query fails.
pub fn physical_memory() -> Option<u64> {
    let mut info = SystemBasicInformation::default();
    let mut ret = 0u32;
    // 64 bytes.
    #[expect(clippy::cast_possible_truncation, reason = "64 bytes")]
    let len = core::mem::size_of::<SystemBasicInformation>() as u32;
    // SAFETY: `info` is a live, aligned SYSTEM_BASIC_INFORMATION of exactly `len`
    // bytes, what SystemBasicInformation writes; `ret` is a live local. PASSIVE_LEVEL.
    let status = unsafe {
        ZwQuerySystemInformation(
            SYSTEM_BASIC_INFORMATION,
            core::ptr::from_mut(&mut info).cast(),
            len,
            &raw mut ret,
        )
    };
    if status != STATUS_SUCCESS {
        return None;
    }
    let bytes = u64::from(info.number_of_physical_pages) * u64::from(info.page_size);
    (bytes != 0).then_some(bytes)
}
