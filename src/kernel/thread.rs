//! System threads whose starter always waits for them to end.
//!
//! The driver's code must never be unloaded under a thread it started, so no
//! failure, rollback or unload path may return while such a thread runs. [`run`]
//! starts a thread and does not return until the thread object is signalled (the
//! thread has left the driver's code): `PsCreateSystemThread`, then
//! `ObReferenceObjectByHandle` + `KeWaitForSingleObject` on the thread object.

use core::{ffi::c_void, ptr};

use wdk_sys::{
    _KWAIT_REASON::Executive,
    _MODE::KernelMode,
    HANDLE, NTSTATUS, STATUS_SUCCESS, SYNCHRONIZE,
    ntddk::{
        KeWaitForSingleObject, ObReferenceObjectByHandle, ObfDereferenceObject,
        PsCreateSystemThread, ZwClose,
    },
};

use super::unicode::object_attributes;

/// The closure a thread runs, and where its result goes.
struct Job<F, R> {
    f: Option<F>,
    result: Option<R>,
}

/// The thread's start routine: runs the job's closure once.
///
/// # Safety
/// `context` points to a live `Job<F, R>` that nothing else touches until the thread ends.
unsafe extern "C" fn start<F: FnOnce() -> R, R>(context: *mut c_void) {
    // SAFETY: the starter keeps the job alive, untouched, until this thread has ended.
    let job = unsafe { &mut *context.cast::<Job<F, R>>() };
    if let Some(f) = job.f.take() {
        job.result = Some(f());
    }
}

/// `PsCreateSystemThread(routine, context)` at `PASSIVE_LEVEL`: the new thread's kernel
/// handle, which the caller waits for (`ZwWaitForSingleObject` or the thread object)
/// before the driver can unload, and closes.
///
/// # Safety
/// `context` stays valid for `routine` until the thread has ended.
///
/// # Errors
/// The status of `PsCreateSystemThread`.
pub(super) unsafe fn spawn(
    routine: unsafe extern "C" fn(*mut c_void),
    context: *mut c_void,
) -> Result<HANDLE, NTSTATUS> {
    let mut handle: HANDLE = ptr::null_mut();
    let mut oa = object_attributes(None, ptr::null_mut());
    // SAFETY: PASSIVE_LEVEL; `handle` and `oa` are live locals; the routine matches
    // KSTART_ROUTINE and its context outlives the thread (the caller's contract).
    let status = unsafe {
        PsCreateSystemThread(
            &raw mut handle,
            0,
            &raw mut oa,
            ptr::null_mut(),
            ptr::null_mut(),
            Some(routine),
            context,
        )
    };
    if status == STATUS_SUCCESS {
        Ok(handle)
    } else {
        Err(status)
    }
}

/// Runs `f` on a new system thread and waits for the thread to end.
///
/// # Errors
/// The status of `PsCreateSystemThread` (then `f` never ran). If the thread object
/// cannot be referenced, the thread is waited for through its handle instead.
#[allow(
    clippy::cast_possible_truncation,
    reason = "KernelMode is 0; KPROCESSOR_MODE's Rust type differs between header sets"
)]
pub fn run<F: FnOnce() -> R + Send, R: Send>(f: F) -> Result<R, NTSTATUS> {
    let mut job = Job {
        f: Some(f),
        result: None,
    };
    // SAFETY: `job` outlives the thread (we wait for it below before returning on
    // every path), and `start` only touches it.
    let handle = unsafe { spawn(start::<F, R>, (&raw mut job).cast()) }?;
    let mut object: *mut c_void = ptr::null_mut();
    // SAFETY: a kernel handle we just got; no type check (NULL), kernel mode.
    let referenced = unsafe {
        ObReferenceObjectByHandle(
            handle,
            SYNCHRONIZE,
            ptr::null_mut(),
            KernelMode as _,
            &raw mut object,
            ptr::null_mut(),
        )
    };
    if referenced == STATUS_SUCCESS && !object.is_null() {
        // SAFETY: a referenced thread object is a dispatcher object; waiting at
        // PASSIVE_LEVEL without a timeout until it is signalled (the thread ended).
        let _ = unsafe {
            KeWaitForSingleObject(object, Executive, KernelMode as _, 0, ptr::null_mut())
        };
        // SAFETY: drops the reference taken above.
        let _ = unsafe { ObfDereferenceObject(object) };
    } else {
        // Never return while the thread may run: wait through the handle instead.
        // SAFETY: our kernel handle to the thread; no timeout.
        let _ = unsafe { wdk_sys::ntddk::ZwWaitForSingleObject(handle, 0, ptr::null_mut()) };
    }
    // SAFETY: our kernel handle, closed once.
    let _ = unsafe { ZwClose(handle) };
    // The thread has ended either way: its result is complete.
    job.result
        .ok_or(ramdisk_core::status::STATUS_INTERNAL_ERROR)
}
