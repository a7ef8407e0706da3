//! `ZwQuerySystemInformation`: the system clock and the machine's physical memory.

use wdk_sys::{NTSTATUS, STATUS_SUCCESS};

unsafe extern "system" {
    /// `ZwQuerySystemInformation` (exported by ntoskrnl on every Windows and by Wine,
    /// which answers from the host). Not in wdk-sys's bindings.
    fn ZwQuerySystemInformation(class: u32, info: *mut u8, len: u32, ret: *mut u32) -> NTSTATUS;
}

/// `SystemBasicInformation`.
const SYSTEM_BASIC_INFORMATION: u32 = 0;
/// `SystemTimeOfDayInformation`.
const SYSTEM_TIME_OF_DAY_INFORMATION: u32 = 3;

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

/// `SYSTEM_TIMEOFDAY_INFORMATION`: `BootTime`, `CurrentTime`, `TimeZoneBias` (i64 each),
/// then three ULONGs and a ULONGLONG: 48 bytes.
#[repr(C)]
#[derive(Default)]
#[allow(
    dead_code,
    reason = "the kernel's layout, written by ZwQuerySystemInformation; only one field is read"
)]
struct SystemTimeOfDayInformation {
    boot_time: i64,
    current_time: i64,
    rest: [i64; 4],
}
const _: () = assert!(core::mem::size_of::<SystemTimeOfDayInformation>() == 48);

/// Fills `info` with information class `class`; whether that worked.
///
/// # Safety
/// `T` is the plain-data structure the kernel writes for `class`, of exactly its size.
unsafe fn query<T>(class: u32, info: &mut T) -> bool {
    let mut ret = 0u32;
    // The structures here are 48 and 64 bytes.
    #[expect(clippy::cast_possible_truncation, reason = "at most 64 bytes")]
    let len = core::mem::size_of::<T>() as u32;
    // SAFETY: `info` is a live, aligned `T` of `len` bytes, which the caller says is
    // what `class` writes; `ret` is a live local. PASSIVE_LEVEL.
    let status = unsafe {
        ZwQuerySystemInformation(class, core::ptr::from_mut(info).cast(), len, &raw mut ret)
    };
    status == STATUS_SUCCESS
}

/// The current system time (100 ns units since 1601, UTC), 0 if unavailable.
pub fn system_time() -> i64 {
    let mut info = SystemTimeOfDayInformation::default();
    // SAFETY: SystemTimeOfDayInformation writes this 48-byte structure.
    if unsafe { query(SYSTEM_TIME_OF_DAY_INFORMATION, &mut info) } {
        info.current_time
    } else {
        0
    }
}

/// The physical memory Windows manages, in bytes (`NumberOfPhysicalPages` ×
/// `PageSize` of `SystemBasicInformation`); `None` when the query fails.
pub fn physical_memory() -> Option<u64> {
    let mut info = SystemBasicInformation::default();
    // SAFETY: SystemBasicInformation writes this 64-byte structure.
    if !unsafe { query(SYSTEM_BASIC_INFORMATION, &mut info) } {
        return None;
    }
    let bytes = u64::from(info.number_of_physical_pages) * u64::from(info.page_size);
    (bytes != 0).then_some(bytes)
}
