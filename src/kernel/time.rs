//! The system clock.

use wdk_sys::{NTSTATUS, STATUS_SUCCESS};

unsafe extern "system" {
    /// `ZwQuerySystemInformation` (exported by ntoskrnl on every Windows and by Wine);
    /// used with `SystemTimeOfDayInformation` for the volume serial here, and with
    /// `SystemBasicInformation` for the physical memory (`sysinfo.rs`).
    pub(super) fn ZwQuerySystemInformation(
        class: u32,
        info: *mut u8,
        len: u32,
        ret: *mut u32,
    ) -> NTSTATUS;
}

/// `SystemTimeOfDayInformation`.
const SYSTEM_TIME_OF_DAY_INFORMATION: u32 = 3;

/// The current system time (100 ns units since 1601, UTC), 0 if unavailable.
pub fn system_time() -> i64 {
    // SYSTEM_TIMEOFDAY_INFORMATION: BootTime, CurrentTime (i64 each), ... 48 bytes.
    let mut info = [0i64; 6];
    let mut ret = 0u32;
    // SAFETY: a 48-byte, 8-aligned buffer for SystemTimeOfDayInformation.
    let status = unsafe {
        ZwQuerySystemInformation(
            SYSTEM_TIME_OF_DAY_INFORMATION,
            info.as_mut_ptr().cast(),
            48,
            &raw mut ret,
        )
    };
    if status == STATUS_SUCCESS { info[1] } else { 0 }
}
