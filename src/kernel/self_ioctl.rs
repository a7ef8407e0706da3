//! The fault-injection build's self-queries: an IOCTL sent to one of our own devices
//! in an IRP built by `IoBuildDeviceIoControlRequest`, whose stack location has no
//! file object (as the mount manager's own requests), and waited for.

use core::ptr;

use wdk_sys::{
    _EVENT_TYPE::NotificationEvent,
    _KWAIT_REASON::Executive,
    _MODE::KernelMode,
    DEVICE_OBJECT, IO_STATUS_BLOCK, IRP, KEVENT, NTSTATUS, STATUS_INSUFFICIENT_RESOURCES,
    STATUS_PENDING,
    ntddk::{
        IoBuildDeviceIoControlRequest, IofCallDriver, KeInitializeEvent, KeWaitForSingleObject,
    },
};

/// Hands `irp` to `device`'s driver and, if it pends, waits for it: the final status.
///
/// # Safety
/// `irp` is a fresh IRP for `device` built by an `IoBuild…Request` with `event` (an
/// initialised notification event) and `iosb`, both live until this returns; the
/// caller runs at `PASSIVE_LEVEL`.
#[allow(
    clippy::cast_possible_truncation,
    reason = "KernelMode is 0; KPROCESSOR_MODE's Rust type differs between header sets"
)]
pub(super) unsafe fn call_and_wait(
    device: *mut DEVICE_OBJECT,
    irp: *mut IRP,
    event: *mut KEVENT,
    iosb: *const IO_STATUS_BLOCK,
) -> NTSTATUS {
    // SAFETY: the caller's contract: a fresh IRP for `device`, handed to its driver
    // (us) once.
    let status = unsafe { IofCallDriver(device, irp) };
    if status != STATUS_PENDING {
        return status;
    }
    // SAFETY: waiting at PASSIVE_LEVEL, without a timeout, on the caller's event, which
    // the I/O manager signals when the IRP completes.
    let _ = unsafe {
        KeWaitForSingleObject(event.cast(), Executive, KernelMode as _, 0, ptr::null_mut())
    };
    // SAFETY: the request completed: the I/O manager wrote the caller's status block,
    // live until this returns, and writes it no more.
    let iosb = unsafe { &*iosb };
    // SAFETY: the status, the union member a completed request holds.
    unsafe { iosb.__bindgen_anon_1.Status }
}

/// Sends `code` with no input and `output` to `device`; returns status and `Information`.
pub fn send(device: *mut DEVICE_OBJECT, code: u32, output: &mut [u8]) -> (NTSTATUS, usize) {
    let Ok(out_len) = u32::try_from(output.len()) else {
        return (wdk_sys::STATUS_INVALID_PARAMETER, 0);
    };
    // SAFETY: KEVENT and IO_STATUS_BLOCK are plain data; the event is initialised below.
    let mut event: KEVENT = unsafe { core::mem::zeroed() };
    // SAFETY: as above.
    let mut iosb: IO_STATUS_BLOCK = unsafe { core::mem::zeroed() };
    // SAFETY: a live, nonpaged-enough local event (we wait on it in this frame), PASSIVE_LEVEL.
    unsafe { KeInitializeEvent(&raw mut event, NotificationEvent, 0) };
    // The input pointer is the output buffer with length 0: Windows allocates its own
    // max(in, out) system buffer and copies nothing in, but Wine 8 makes the *input*
    // pointer the IRP's SystemBuffer (NULL would leave the driver no buffer at all).
    let buffer = output.as_mut_ptr().cast();
    // SAFETY: `device` is a live, published device of ours (the caller owns its
    // DeviceObject); `output`, `event` and `iosb` outlive the request, which we wait
    // for below; a threaded IRP, freed by the I/O manager when it completes.
    let irp = unsafe {
        IoBuildDeviceIoControlRequest(
            code,
            device,
            buffer,
            0,
            buffer,
            out_len,
            0,
            &raw mut event,
            &raw mut iosb,
        )
    };
    if irp.is_null() {
        return (STATUS_INSUFFICIENT_RESOURCES, 0);
    }
    // SAFETY: `irp` was just built for `device` with `event` and `iosb`, locals of this
    // frame that outlive the wait.
    let status = unsafe { call_and_wait(device, irp, &raw mut event, &raw const iosb) };
    (
        status,
        usize::try_from(iosb.Information)
            .unwrap_or(0)
            .min(output.len()),
    )
}
