//! Fault injection for tests (cargo feature `fault-injection`, never enabled in the
//! release driver): a `FaultInject` `REG_DWORD` in Parameters makes one step of
//! `DriverEntry` fail so tests can prove each rollback path leaks nothing.
//! Without the feature every check is a constant `false` and compiles away.

#[cfg(feature = "fault-injection")]
mod enabled {
    use core::sync::atomic::{AtomicU32, Ordering};

    static MODE: AtomicU32 = AtomicU32::new(0);

    pub fn set(mode: u32) {
        MODE.store(mode, Ordering::Release);
    }

    pub fn active(mode: u32) -> bool {
        MODE.load(Ordering::Acquire) == mode
    }
}

/// `FaultInject` = 1: the image allocation fails.
pub const ALLOCATION: u32 = 1;
/// `FaultInject` = 2: `IoCreateDevice` fails.
pub const DEVICE: u32 = 2;
/// `FaultInject` = 3: `IoCreateSymbolicLink` reports a name collision.
pub const LINK: u32 = 3;

/// Arms a fault (no-op without the feature).
#[cfg_attr(not(feature = "fault-injection"), allow(dead_code, unused_variables))]
#[allow(clippy::missing_const_for_fn)] // const only without the feature
pub fn set(mode: u32) {
    #[cfg(feature = "fault-injection")]
    enabled::set(mode);
}

#[allow(clippy::missing_const_for_fn)] // const only without the feature
fn active(mode: u32) -> bool {
    #[cfg(feature = "fault-injection")]
    return enabled::active(mode);
    #[cfg(not(feature = "fault-injection"))]
    {
        let _ = mode;
        false
    }
}

/// Whether the next pool allocation must fail.
pub fn fail_allocation() -> bool {
    active(ALLOCATION)
}

/// Whether device creation must fail.
pub fn fail_device() -> bool {
    active(DEVICE)
}

/// Whether link creation must fail.
pub fn fail_link() -> bool {
    active(LINK)
}
