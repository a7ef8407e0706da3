//! The control device's worker: one system thread, started in `DriverEntry` and
//! ended in `DriverUnload`, that finishes every pended control request.
//!
//! CREATE and REMOVE cannot be served inside the dispatch routine (nor SAVE, which
//! writes a whole image file): under Wine one
//! IRP thread serves every device of the process, and a new disk's mount-manager
//! registration (or a removal's `DELETE_POINTS`) calls back into the driver's own
//! devices, which would deadlock. So the dispatch routine pends the IRP and hands it
//! to the queue here; the worker takes the requests one at a time, which also makes
//! every change to the disk table (and every drive-letter choice) sequential.
//!
//! The queue is a fixed array of IRP pointers (no heap): a request finds a free slot
//! or is refused at once with `STATUS_DEVICE_BUSY`. Stopping waits for the thread to
//! leave the driver's code (its handle is signalled when it has ended), then
//! completes whatever was still queued with `STATUS_DELETE_PENDING`.

use core::{
    ffi::c_void,
    ptr::{self, NonNull},
    sync::atomic::{AtomicBool, AtomicPtr, Ordering},
};

use ramdisk_core::status::{STATUS_DELETE_PENDING, STATUS_DEVICE_BUSY};
use wdk_sys::{
    IRP, NTSTATUS,
    ntddk::{ZwClose, ZwWaitForSingleObject},
};

use super::{event::Event, irp::PendingIrp, thread::spawn};

/// Requests that can wait at once.
const QUEUE: usize = 16;

/// The worker: its wake-up event, its queue, its thread.
pub struct Worker {
    wake: Event,
    stopping: AtomicBool,
    thread: AtomicPtr<c_void>,
    queue: [AtomicPtr<IRP>; QUEUE],
    serve: fn(PendingIrp),
}

impl Worker {
    /// A worker that will hand each request to `serve`; not started.
    pub const fn new(serve: fn(PendingIrp)) -> Self {
        Self {
            wake: Event::new(),
            stopping: AtomicBool::new(false),
            thread: AtomicPtr::new(ptr::null_mut()),
            queue: [const { AtomicPtr::new(ptr::null_mut()) }; QUEUE],
            serve,
        }
    }

    /// Starts the thread (`PASSIVE_LEVEL`, `DriverEntry`).
    ///
    /// # Errors
    /// The status of `PsCreateSystemThread`.
    pub fn start(&'static self) -> Result<(), NTSTATUS> {
        self.stopping.store(false, Ordering::Release);
        self.wake.init_synchronization();
        let context: *const Self = self;
        // SAFETY: `self` is a static that outlives the thread (`stop` waits for it
        // before the driver can unload), and `run` only reads it.
        let handle = unsafe { spawn(run, context.cast_mut().cast()) }?;
        self.thread.store(handle, Ordering::Release);
        Ok(())
    }

    /// Queues a pended request (its dispatch routine returns `STATUS_PENDING`), or
    /// gives it back with the status to complete it with:
    /// `STATUS_DEVICE_BUSY` when the queue is full, `STATUS_DELETE_PENDING` while the
    /// driver unloads.
    ///
    /// # Errors
    /// The request, not queued, and that status.
    pub fn submit(&self, irp: PendingIrp) -> Result<(), (PendingIrp, NTSTATUS)> {
        if self.stopping.load(Ordering::Acquire) {
            return Err((irp, STATUS_DELETE_PENDING));
        }
        let raw = irp.into_raw();
        let queued = self.queue.iter().any(|slot| {
            slot.compare_exchange(
                ptr::null_mut(),
                raw.as_ptr(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
        });
        if queued {
            self.wake.set();
            Ok(())
        } else {
            // SAFETY: `raw` came from `into_raw` above and went into no slot.
            Err((unsafe { PendingIrp::from_raw(raw) }, STATUS_DEVICE_BUSY))
        }
    }

    /// Takes one queued request, if any.
    fn take(&self) -> Option<PendingIrp> {
        self.queue.iter().find_map(|slot| {
            let raw = NonNull::new(slot.swap(ptr::null_mut(), Ordering::AcqRel))?;
            // SAFETY: a slot holds an IRP `submit` gave up with `into_raw`; the swap
            // gave it to us alone.
            Some(unsafe { PendingIrp::from_raw(raw) })
        })
    }

    /// Ends the thread (after the request it is serving, if any) and waits until it
    /// has left the driver's code; completes what is still queued with
    /// `STATUS_DELETE_PENDING`. A worker that was never started only drains.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        let handle = self.thread.swap(ptr::null_mut(), Ordering::AcqRel);
        if !handle.is_null() {
            self.wake.set();
            // SAFETY: our kernel handle to the thread; no timeout: the thread ends after
            // the request it is serving.
            let _ = unsafe { ZwWaitForSingleObject(handle, 0, ptr::null_mut()) };
            // SAFETY: our kernel handle, closed once.
            let _ = unsafe { ZwClose(handle) };
        }
        while let Some(irp) = self.take() {
            irp.complete(STATUS_DELETE_PENDING, 0);
        }
    }
}

/// The thread: wait, serve everything queued, until told to stop.
///
/// # Safety
/// `context` is the `&'static Worker` that started the thread.
unsafe extern "C" fn run(context: *mut c_void) {
    // SAFETY: `start` passes a static worker, which outlives the thread.
    let worker = unsafe { &*context.cast_const().cast::<Worker>() };
    loop {
        worker.wake.wait();
        while let Some(irp) = worker.take() {
            (worker.serve)(irp);
        }
        if worker.stopping.load(Ordering::Acquire) {
            return;
        }
    }
}
