//! `\KernelObjects\LowNonPagedPoolCondition`: the standard notification event the
//! memory manager keeps signalled while free nonpaged pool is below its threshold.
//! A dynamic disk allocates no chunk while it is signalled (the write fails with
//! `STATUS_DISK_RESOURCES_EXHAUSTED`; the store asks through
//! [`ramdisk_store::ChunkAlloc::memory_low`]).
//!
//! Opened with `ZwOpenEvent` (never `IoCreateNotificationEvent`: that creates the
//! event when it does not exist, and Wine creates it signalled), referenced with
//! `ObReferenceObjectByHandle`, read with `KeReadStateEvent` (any IRQL), dereferenced
//! at unload. One reference for the whole driver, held in a static.

use core::{
    ffi::c_void,
    ptr,
    sync::atomic::{AtomicPtr, Ordering},
};

use ramdisk_core::disk::ascii_utf16;
use wdk_sys::{
    _MODE::KernelMode,
    EVENT_QUERY_STATE, HANDLE, NTSTATUS, STATUS_SUCCESS, SYNCHRONIZE,
    ntddk::{
        KeReadStateEvent, ObReferenceObjectByHandle, ObfDereferenceObject, ZwClose, ZwOpenEvent,
    },
};

use super::unicode::{UnicodeString, object_attributes};

/// The event's object, referenced; null when not opened.
static EVENT: AtomicPtr<c_void> = AtomicPtr::new(ptr::null_mut());

/// The event's name.
pub const NAME: &str = r"\KernelObjects\LowNonPagedPoolCondition";

/// Opens and references the event (`PASSIVE_LEVEL`, from `DriverEntry`); a second
/// call keeps the first reference.
///
/// # Errors
/// The status of `ZwOpenEvent` or `ObReferenceObjectByHandle`
/// (`STATUS_OBJECT_NAME_NOT_FOUND` where the event does not exist; Wine 8 has it).
#[allow(
    clippy::cast_possible_truncation,
    reason = "KernelMode is 0; KPROCESSOR_MODE's Rust type differs between header sets"
)]
pub fn open() -> Result<(), NTSTATUS> {
    const NAME_U16: [u16; NAME.len()] = ascii_utf16(NAME);
    if !EVENT.load(Ordering::Acquire).is_null() {
        return Ok(());
    }
    let mut name = UnicodeString::new(&NAME_U16);
    let mut oa = object_attributes(Some(&mut name), ptr::null_mut());
    let mut handle: HANDLE = ptr::null_mut();
    // SAFETY: PASSIVE_LEVEL; `oa` and the name it points to live across the call.
    let status = unsafe {
        ZwOpenEvent(
            &raw mut handle,
            SYNCHRONIZE | EVENT_QUERY_STATE,
            &raw mut oa,
        )
    };
    if status != STATUS_SUCCESS {
        return Err(status);
    }
    let mut object: *mut c_void = ptr::null_mut();
    // SAFETY: a kernel handle we just opened; no type check (the name is the
    // system's event), kernel mode.
    let status = unsafe {
        ObReferenceObjectByHandle(
            handle,
            EVENT_QUERY_STATE,
            ptr::null_mut(),
            KernelMode as _,
            &raw mut object,
            ptr::null_mut(),
        )
    };
    // SAFETY: our kernel handle, closed once; the reference (if any) keeps the object.
    let _ = unsafe { ZwClose(handle) };
    if status != STATUS_SUCCESS || object.is_null() {
        return Err(status);
    }
    if EVENT
        .compare_exchange(ptr::null_mut(), object, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        // SAFETY: our extra reference, taken above.
        let _ = unsafe { ObfDereferenceObject(object) };
    }
    Ok(())
}

/// Whether the event is signalled now (free nonpaged pool is low); `false` when it
/// was never opened.
pub fn signalled() -> bool {
    let event = EVENT.load(Ordering::Acquire);
    if event.is_null() {
        return false;
    }
    // SAFETY: a referenced event object (kept until `close`); KeReadStateEvent only
    // reads its signal state and may be called at any IRQL.
    unsafe { KeReadStateEvent(event.cast()) != 0 }
}

/// Drops the reference (unload and failed loads, after every disk is gone).
pub fn close() {
    let event = EVENT.swap(ptr::null_mut(), Ordering::AcqRel);
    if !event.is_null() {
        // SAFETY: the reference `open` took; nothing reads the event any more.
        let _ = unsafe { ObfDereferenceObject(event) };
    }
}
