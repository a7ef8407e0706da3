//! `KEVENT`s in place: a device's drain event (in its extension) and the control
//! worker's wake-up event (in a static). Both live at a fixed address for as long as
//! they are used, which a `KEVENT` needs (its wait list points at itself).

use core::{cell::UnsafeCell, mem::MaybeUninit, ptr};

use ramdisk_store::rundown::Wake;
use wdk_sys::{
    _EVENT_TYPE::{NotificationEvent, SynchronizationEvent},
    _KWAIT_REASON::Executive,
    _MODE::KernelMode,
    IO_NO_INCREMENT, KEVENT,
    ntddk::{KeInitializeEvent, KeSetEvent, KeWaitForSingleObject},
};

/// Storage for one `KEVENT`, initialised in place by [`Event::init_notification`] or
/// [`Event::init_synchronization`] before any other use; all-zero bytes until then
/// (a device extension is zero-filled, a static is zero-initialised).
#[repr(transparent)]
pub struct Event(UnsafeCell<MaybeUninit<KEVENT>>);

// SAFETY: a KEVENT is a dispatcher object made to be signalled and waited for from
// any thread; the kernel serialises access to it (the dispatcher lock).
unsafe impl Sync for Event {}

impl Event {
    /// Not initialised yet.
    pub const fn new() -> Self {
        Self(UnsafeCell::new(MaybeUninit::zeroed()))
    }

    const fn raw(&self) -> *mut KEVENT {
        self.0.get().cast()
    }

    /// `KeInitializeEvent(NotificationEvent, not signalled)`: stays signalled once set.
    /// Call where the event stays for as long as it is used, before anyone waits on
    /// it or sets it.
    pub fn init_notification(&self) {
        // SAFETY: our storage, at its final address; nobody uses the event while it
        // is (re)initialised (the caller's contract above).
        unsafe { KeInitializeEvent(self.raw(), NotificationEvent, 0) };
    }

    /// `KeInitializeEvent(SynchronizationEvent, not signalled)`: a wait consumes a set.
    /// As [`Event::init_notification`].
    pub fn init_synchronization(&self) {
        // SAFETY: as in `init_notification`.
        unsafe { KeInitializeEvent(self.raw(), SynchronizationEvent, 0) };
    }

    /// `KeSetEvent` (no priority boost, no wait follows).
    pub fn set(&self) {
        // IO_NO_INCREMENT is 0.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_possible_wrap,
            reason = "IO_NO_INCREMENT is 0; KPRIORITY's Rust type differs between header sets"
        )]
        let boost = IO_NO_INCREMENT as _;
        // SAFETY: an initialised event (every caller initialises before setting).
        let _ = unsafe { KeSetEvent(self.raw(), boost, 0) };
    }

    /// `KeWaitForSingleObject` without a timeout, at `PASSIVE_LEVEL`.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "KernelMode is 0; KPROCESSOR_MODE's Rust type differs between header sets"
    )]
    pub fn wait(&self) {
        // SAFETY: an initialised event; PASSIVE_LEVEL, no timeout.
        let _ = unsafe {
            KeWaitForSingleObject(
                self.raw().cast(),
                Executive,
                KernelMode as _,
                0,
                ptr::null_mut(),
            )
        };
    }
}

impl Wake for Event {
    fn wake(&self) {
        self.set();
    }
}
