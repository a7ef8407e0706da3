//! Fault injection and kernel-wrapper test hooks (cargo feature `fault-injection`,
//! never enabled in the release driver).
//!
//! A `FaultInject` `REG_DWORD` in Parameters makes one step of `DriverEntry` fail so
//! the tests prove each rollback path leaks nothing:
//!
//! | value | what fails |
//! |---|---|
//! | 1 | every pool allocation (the store's first one) |
//! | 2 | `IoCreateDevice` |
//! | 3 | `IoCreateSymbolicLink` (reported as a name collision) |
//! | 4 | every pool allocation after the first four (the store fails half-built) |
//! | 5 | none: once the disk is loaded, the low-nonpaged-pool condition reads as signalled (a dynamic disk's writes that need a new chunk fail) |
//!
//! The same build answers two test IOCTLs on disk devices
//! ([`ramdisk_core::ioctl::codes::IOCTL_RAMDISK_TEST_FORGET`] and `_TEST_PEND`) that
//! exercise the kernel wrappers the e2e cannot reach otherwise: an `Irp` dropped
//! without completing, and an IRP pended and completed from a system thread.
//! Without the feature every check is a constant and compiles away.

use crate::kernel::{Completion, Irp};

#[cfg(feature = "fault-injection")]
mod enabled {
    use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    use ramdisk_core::ioctl::codes::{IOCTL_RAMDISK_TEST_FORGET, IOCTL_RAMDISK_TEST_PEND};
    use ramdisk_core::status::STATUS_SUCCESS;

    use crate::kernel::{Completion, Irp, thread};

    /// `FaultInject` = 1: every pool allocation fails.
    const ALLOCATION: u32 = 1;
    /// `FaultInject` = 4: pool allocations after the first four fail.
    const ALLOCATION_AFTER_FOUR: u32 = 4;

    static MODE: AtomicU32 = AtomicU32::new(0);
    static ALLOCATIONS: AtomicU32 = AtomicU32::new(0);
    static LOADED: AtomicBool = AtomicBool::new(false);

    pub fn set(mode: u32) {
        MODE.store(mode, Ordering::Release);
        ALLOCATIONS.store(0, Ordering::Release);
        LOADED.store(false, Ordering::Release);
    }

    pub fn loaded() {
        LOADED.store(true, Ordering::Release);
    }

    pub fn is_loaded() -> bool {
        LOADED.load(Ordering::Acquire)
    }

    pub fn active(mode: u32) -> bool {
        MODE.load(Ordering::Acquire) == mode
    }

    pub fn fail_allocation() -> bool {
        let n = ALLOCATIONS.fetch_add(1, Ordering::AcqRel);
        active(ALLOCATION) || (active(ALLOCATION_AFTER_FOUR) && n >= 4)
    }

    pub fn intercept_ioctl(mut irp: Irp) -> Result<Completion, Irp> {
        let code = irp.ioctl().map(|io| io.code);
        match code {
            Some(IOCTL_RAMDISK_TEST_FORGET) => Ok(irp.drop_for_test()),
            Some(IOCTL_RAMDISK_TEST_PEND) => {
                let (pending, completion) = irp.pend();
                // If the thread cannot start, dropping `pending` completes it with
                // STATUS_INTERNAL_ERROR (and logs it).
                let _ = thread::run(move || pending.complete(STATUS_SUCCESS, 0));
                Ok(completion)
            }
            _ => Err(irp),
        }
    }
}

/// `FaultInject` = 2: `IoCreateDevice` fails.
const DEVICE: u32 = 2;
/// `FaultInject` = 3: `IoCreateSymbolicLink` reports a name collision.
const LINK: u32 = 3;
/// `FaultInject` = 5: `\KernelObjects\LowNonPagedPoolCondition` reads as signalled.
#[cfg(feature = "fault-injection")]
const LOW_POOL: u32 = 5;

/// Arms a fault (no-op without the feature).
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        dead_code,
        unused_variables,
        reason = "only the fault-injection build reads FaultInject"
    )
)]
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn set(mode: u32) {
    #[cfg(feature = "fault-injection")]
    enabled::set(mode);
}

#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
fn active(mode: u32) -> bool {
    #[cfg(feature = "fault-injection")]
    return enabled::active(mode);
    #[cfg(not(feature = "fault-injection"))]
    {
        let _ = mode;
        false
    }
}

/// Whether this pool allocation must fail.
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn fail_allocation() -> bool {
    #[cfg(feature = "fault-injection")]
    return enabled::fail_allocation();
    #[cfg(not(feature = "fault-injection"))]
    false
}

/// Whether device creation must fail.
pub fn fail_device() -> bool {
    active(DEVICE)
}

/// Whether link creation must fail.
pub fn fail_link() -> bool {
    active(LINK)
}

/// Whether the low-nonpaged-pool condition must read as signalled (only once the
/// disk is loaded: the test wants its writes to fail, not its formatting).
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn low_pool() -> bool {
    #[cfg(feature = "fault-injection")]
    return active(LOW_POOL) && enabled::is_loaded();
    #[cfg(not(feature = "fault-injection"))]
    false
}

/// `DriverEntry` finished loading (arms `FaultInject` 5).
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn loaded() {
    #[cfg(feature = "fault-injection")]
    enabled::loaded();
}

/// Serves the test IOCTLs (fault-injection build only); gives every other IRP back.
///
/// # Errors
/// The IRP, untouched, when it is not a test IOCTL (always, without the feature).
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn intercept_ioctl(irp: Irp) -> Result<Completion, Irp> {
    #[cfg(feature = "fault-injection")]
    return enabled::intercept_ioctl(irp);
    #[cfg(not(feature = "fault-injection"))]
    Err(irp)
}
