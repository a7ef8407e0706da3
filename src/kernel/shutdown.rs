//! Shutdown notification: `IoRegisterShutdownNotification` and
//! `IoUnregisterShutdownNotification` for a disk with `SaveOn=shutdown`, and (the
//! fault-injection build only) a test double of the I/O manager's part of a system
//! shutdown.
//!
//! Checked against Microsoft's pages for `IoRegisterShutdownNotification`,
//! `IoUnregisterShutdownNotification`, `IoRegisterLastChanceShutdownNotification` and
//! `IRP_MJ_SHUTDOWN`: a registered device gets one `IRP_MJ_SHUTDOWN` when the system
//! shuts down, *before* the file systems are flushed; the registration must be
//! removed before the device is deleted. The last-chance registration delivers the
//! IRP after the file systems were flushed, and its handler must not do file I/O —
//! a save is file I/O on the host volume, so the driver never uses it.
//!
//! # The test double (fault-injection build)
//!
//! Wine's `IoRegisterShutdownNotification` is a no-op and it never sends
//! `IRP_MJ_SHUTDOWN`. So the wrappers here call the real functions *and* keep the
//! registered devices in a fixed table (each with an object reference, as Windows'
//! own shutdown queue holds one), and `send_shutdown` does what `IoShutdownSystem`
//! does with that queue: for each registered device an `IRP_MJ_SHUTDOWN` built by
//! `IoBuildSynchronousFsdRequest` (real in Wine), `IofCallDriver`, a wait when it
//! answers `STATUS_PENDING`. It sends only to what was registered, so a device that
//! never registered (or unregistered) is never sent one. Unlike Windows, it does not
//! take the entries off the table: a test can shut down more than once.

use wdk_sys::{
    NTSTATUS, STATUS_SUCCESS,
    ntddk::{IoRegisterShutdownNotification, IoUnregisterShutdownNotification},
};

use super::device_object::DeviceObject;

/// `IoRegisterShutdownNotification(device)` (and, in the fault-injection build, the
/// test double's table entry).
///
/// # Errors
/// The status of `IoRegisterShutdownNotification`, or `STATUS_QUOTA_EXCEEDED` when the
/// test double's table is full (it is as large as the disk table).
pub fn register(device: &DeviceObject) -> Result<(), NTSTATUS> {
    #[cfg(feature = "fault-injection")]
    double::record(device)?;
    // SAFETY: a published device of ours at PASSIVE_LEVEL; it stays registered until
    // `unregister`, which its owner calls before deleting it.
    let status = unsafe { IoRegisterShutdownNotification(device.as_raw()) };
    if status == STATUS_SUCCESS {
        Ok(())
    } else {
        #[cfg(feature = "fault-injection")]
        double::forget(device);
        Err(status)
    }
}

/// `IoUnregisterShutdownNotification(device)`, before the device is deleted (and the
/// test double's entry goes).
pub fn unregister(device: &DeviceObject) {
    // SAFETY: a device of ours that `register` registered, not yet deleted.
    unsafe { IoUnregisterShutdownNotification(device.as_raw()) };
    #[cfg(feature = "fault-injection")]
    double::forget(device);
}

#[cfg(feature = "fault-injection")]
pub use double::send_shutdown;

#[cfg(feature = "fault-injection")]
mod double {
    use core::{
        ffi::c_void,
        ptr,
        sync::atomic::{AtomicBool, Ordering},
    };

    use ramdisk_core::{control::MAX_DISKS, status::STATUS_QUOTA_EXCEEDED};
    use wdk_sys::{
        _EVENT_TYPE::NotificationEvent,
        DEVICE_OBJECT, IO_STATUS_BLOCK, IRP_MJ_SHUTDOWN, KEVENT, NTSTATUS,
        STATUS_INSUFFICIENT_RESOURCES,
        ntddk::{
            IoBuildSynchronousFsdRequest, KeInitializeEvent, ObfDereferenceObject,
            ObfReferenceObject,
        },
    };

    use super::DeviceObject;
    use crate::kernel::self_ioctl::call_and_wait;

    /// The registered devices (each holding one object reference), in registration
    /// order, behind a spin flag (held for a few pointer moves only).
    struct Table {
        busy: AtomicBool,
        devices: core::cell::UnsafeCell<[*mut DEVICE_OBJECT; MAX_DISKS]>,
    }

    // SAFETY: `devices` is only touched while `busy` is held (`with`).
    unsafe impl Sync for Table {}

    static TABLE: Table = Table {
        busy: AtomicBool::new(false),
        devices: core::cell::UnsafeCell::new([ptr::null_mut(); MAX_DISKS]),
    };

    impl Table {
        /// Runs `f` on the entries, the flag held.
        fn with<R>(&self, f: impl FnOnce(&mut [*mut DEVICE_OBJECT; MAX_DISKS]) -> R) -> R {
            while self
                .busy
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                core::hint::spin_loop();
            }
            // SAFETY: the flag is ours: nobody else touches the entries until it is
            // released below.
            let result = f(unsafe { &mut *self.devices.get() });
            self.busy.store(false, Ordering::Release);
            result
        }
    }

    /// Adds `device` with a reference of its own.
    pub fn record(device: &DeviceObject) -> Result<(), NTSTATUS> {
        let raw = device.as_raw();
        TABLE.with(|devices| {
            let free = devices
                .iter_mut()
                .find(|d| d.is_null())
                .ok_or(STATUS_QUOTA_EXCEEDED)?;
            // SAFETY: a live device object of ours; the reference keeps the object
            // (not its body) until `forget` drops it.
            unsafe { ObfReferenceObject(raw.cast::<c_void>()) };
            *free = raw;
            Ok(())
        })
    }

    /// Removes `device` (if recorded) and drops its reference; the later entries move
    /// up (registration order stays).
    pub fn forget(device: &DeviceObject) {
        let raw = device.as_raw();
        let found = TABLE.with(|devices| {
            let at = devices.iter().position(|d| *d == raw)?;
            if let Some(rest) = devices.get_mut(at..) {
                rest.rotate_left(1);
                if let Some(last) = rest.last_mut() {
                    *last = ptr::null_mut();
                }
            }
            Some(())
        });
        if found.is_some() {
            // SAFETY: the reference `record` took.
            unsafe { ObfDereferenceObject(raw.cast::<c_void>()) };
        }
    }

    /// Sends `IRP_MJ_SHUTDOWN` to every registered device, last registered first (as
    /// Windows' queue, whose registration inserts at the head), each waited for;
    /// returns how many it sent to, their final statuses in `statuses`. Call on a
    /// driver thread at `PASSIVE_LEVEL`, never on Wine's IRP thread (the handlers
    /// open volumes, whose `IRP_MJ_CREATE` that thread must dispatch).
    pub fn send_shutdown(statuses: &mut [NTSTATUS; MAX_DISKS]) -> usize {
        // A snapshot with a reference each: a device removed meanwhile stays an
        // object (its closed rundown refuses the IRP) until the reference goes.
        let mut snapshot = [ptr::null_mut::<DEVICE_OBJECT>(); MAX_DISKS];
        let n = TABLE.with(|devices| {
            let recorded = devices.iter().rev().filter(|d| !d.is_null());
            let mut n = 0;
            for (slot, &device) in snapshot.iter_mut().zip(recorded) {
                // SAFETY: a recorded device holds a reference, so it is a live object.
                unsafe { ObfReferenceObject(device.cast::<c_void>()) };
                *slot = device;
                n += 1;
            }
            n
        });
        for (device, status) in snapshot.iter().take(n).zip(statuses.iter_mut()) {
            *status = send_one(*device);
            // SAFETY: the reference taken for the snapshot.
            unsafe { ObfDereferenceObject(device.cast::<c_void>()) };
        }
        n
    }

    /// One `IRP_MJ_SHUTDOWN` to `device`, as `IoShutdownSystem` builds it: no buffer,
    /// no offset, waited for.
    fn send_one(device: *mut DEVICE_OBJECT) -> NTSTATUS {
        // SAFETY: KEVENT and IO_STATUS_BLOCK are plain data; the event is initialised below.
        let mut event: KEVENT = unsafe { core::mem::zeroed() };
        // SAFETY: as above.
        let mut iosb: IO_STATUS_BLOCK = unsafe { core::mem::zeroed() };
        // SAFETY: a live local event (waited for in this frame), PASSIVE_LEVEL.
        unsafe { KeInitializeEvent(&raw mut event, NotificationEvent, 0) };
        // SAFETY: a referenced device of ours; `event` and `iosb` outlive the request,
        // which is waited for below; the I/O manager frees the IRP when it completes.
        let irp = unsafe {
            IoBuildSynchronousFsdRequest(
                IRP_MJ_SHUTDOWN,
                device,
                ptr::null_mut(),
                0,
                ptr::null_mut(),
                &raw mut event,
                &raw mut iosb,
            )
        };
        if irp.is_null() {
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        // SAFETY: `irp` was just built for `device` with `event` and `iosb`, locals of
        // this frame that outlive the wait; PASSIVE_LEVEL (a driver thread).
        unsafe { call_and_wait(device, irp, &raw mut event, &raw const iosb) }
    }
}
