//! A lock that never waits: `try_with` runs the closure with exclusive access, or
//! returns `None` when another thread holds it. For the driver's state (taken by
//! `DriverEntry`, the control worker and `DriverUnload`, one after the other) and the
//! mount-manager double, whose requests arrive one at a time under Wine and which may
//! not block an IRP thread.

use core::{
    cell::UnsafeCell,
    sync::atomic::{AtomicBool, Ordering},
};

/// A `T` that one thread at a time may use.
pub struct TryLock<T> {
    busy: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: `try_with` hands out `&mut T` to one thread at a time (the `busy` flag is
// taken with Acquire and released with Release), so sharing the lock shares `T` only
// as `Send` allows.
unsafe impl<T: Send> Sync for TryLock<T> {}

impl<T> TryLock<T> {
    /// Unlocked, holding `value`.
    pub const fn new(value: T) -> Self {
        Self {
            busy: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Runs `f` with exclusive access; `None` (and `f` not run) when the lock is held.
    pub fn try_with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        if self.busy.swap(true, Ordering::Acquire) {
            return None;
        }
        let _release = Release(&self.busy);
        // SAFETY: the swap above made this thread the only holder until `_release`
        // drops; no other `&mut T` or `&T` to the value exists meanwhile.
        Some(f(unsafe { &mut *self.value.get() }))
    }
}

/// Releases a [`TryLock`]'s flag when dropped.
struct Release<'a>(&'a AtomicBool);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}
