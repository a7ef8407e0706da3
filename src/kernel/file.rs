//! Kernel handles to another driver's device (`ZwOpenFile` + `ZwDeviceIoControlFile`)
//! and to host files (an image: `ZwCreateFile`, read/write at an offset, the
//! information classes a load and a save need, `ZwFsControlFile`).
//!
//! The way to talk to the mount manager (and, in tests, to its double and back to
//! our own disk) that works on Windows and across processes under Wine, where
//! `IoGetDeviceObjectPointer` hands out a fake device object. Wine checks an IOCTL's
//! required-access bits against the handle even for a kernel handle, so the access
//! asked for at open must cover the IOCTLs sent on it. The same handle to a disk's
//! own volume (its device name: on Windows the open reaches the mounted file system
//! through the VPB) carries the shutdown save's `FSCTL_LOCK_VOLUME` and
//! `FSCTL_DISMOUNT_VOLUME` (`ZwFsControlFile`).

use core::{ffi::c_void, ptr};

use wdk_sys::{
    FILE_READ_ATTRIBUTES, FILE_READ_DATA, FILE_SHARE_READ, FILE_SHARE_WRITE,
    FILE_SYNCHRONOUS_IO_NONALERT, FILE_WRITE_DATA, HANDLE, IO_STATUS_BLOCK, NTSTATUS,
    PIO_APC_ROUTINE, PIO_STATUS_BLOCK, PVOID, STATUS_INVALID_PARAMETER, STATUS_PENDING,
    STATUS_SUCCESS, SYNCHRONIZE, ULONG,
    ntddk::{ZwClose, ZwDeviceIoControlFile, ZwFsControlFile, ZwOpenFile, ZwWaitForSingleObject},
};

pub use host::{HostFile, HostOpen};

use super::unicode::{UnicodeString, object_attributes};

/// What a handle may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `FILE_READ_ATTRIBUTES`: `FILE_ANY_ACCESS` queries only (what the mount manager
    /// opens a volume with).
    #[cfg_attr(
        not(feature = "fault-injection"),
        expect(dead_code, reason = "used by the mount-manager test double only")
    )]
    Query,
    /// `FILE_READ_DATA | FILE_WRITE_DATA`: IOCTLs that need read and write access
    /// (`VOLUME_ARRIVAL_NOTIFICATION`, `CREATE_POINT`, `DELETE_POINTS`, `LINK_CREATED`),
    /// and a volume's lock and dismount (a volume opened for direct access).
    ReadWrite,
}

/// An open kernel handle to a device (`OBJ_KERNEL_HANDLE`, synchronous I/O), closed
/// on drop.
pub struct DeviceFile(HANDLE);

// SAFETY: a kernel handle may be used and closed from any system thread.
unsafe impl Send for DeviceFile {}

/// A zeroed `IO_STATUS_BLOCK`.
const fn io_status_block() -> IO_STATUS_BLOCK {
    // SAFETY: IO_STATUS_BLOCK is plain data (a status/pointer union and a ULONG_PTR);
    // all-zero is a valid value.
    unsafe { core::mem::zeroed() }
}

impl DeviceFile {
    /// `ZwOpenFile(name, access | SYNCHRONIZE, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE,
    /// FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_SYNCHRONOUS_IO_NONALERT)` at `PASSIVE_LEVEL`.
    ///
    /// # Errors
    /// The status of `ZwOpenFile` (`STATUS_OBJECT_NAME_NOT_FOUND` for no such device).
    pub fn open(name: &[u16], access: Access) -> Result<Self, NTSTATUS> {
        let desired = match access {
            Access::Query => FILE_READ_ATTRIBUTES,
            Access::ReadWrite => FILE_READ_DATA | FILE_WRITE_DATA,
        } | SYNCHRONIZE;
        let mut us = UnicodeString::new(name);
        let mut oa = object_attributes(Some(&mut us), ptr::null_mut());
        let mut iosb = io_status_block();
        let mut handle: HANDLE = ptr::null_mut();
        // SAFETY: every pointer is to a live local; PASSIVE_LEVEL (the callers run on
        // DriverEntry's or a system thread).
        let status = unsafe {
            ZwOpenFile(
                &raw mut handle,
                desired,
                &raw mut oa,
                &raw mut iosb,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                FILE_SYNCHRONOUS_IO_NONALERT,
            )
        };
        opened(status, handle).map(Self)
    }

    /// Sends `code` (`METHOD_BUFFERED`) with `input`, receiving into `output`; returns
    /// the final status and `Information` (never more than `output.len()`).
    pub fn ioctl(&self, code: u32, input: &[u8], output: &mut [u8]) -> (NTSTATUS, usize) {
        control(self.0, Control::Device(code), input, output)
    }
}

impl DeviceFile {
    /// `ZwFsControlFile(code)` without buffers (`FSCTL_LOCK_VOLUME`,
    /// `FSCTL_DISMOUNT_VOLUME` on a volume): the final status.
    pub fn fs_control(&self, code: u32) -> NTSTATUS {
        control(self.0, Control::FileSystem(code), &[], &mut []).0
    }
}

impl Drop for DeviceFile {
    fn drop(&mut self) {
        // SAFETY: our kernel handle, closed once.
        let _ = unsafe { ZwClose(self.0) };
    }
}

/// Waits for a synchronous handle's I/O that still answered `STATUS_PENDING` (it
/// should not), then takes the final status from the status block.
fn settle(handle: HANDLE, status: NTSTATUS, iosb: &IO_STATUS_BLOCK) -> NTSTATUS {
    if status != STATUS_PENDING {
        return status;
    }
    // SAFETY: our handle; no timeout: the I/O ends before the buffers and the status
    // block go out of scope.
    let _ = unsafe { ZwWaitForSingleObject(handle, 0, ptr::null_mut()) };
    // SAFETY: the request completed, so the I/O manager wrote the status.
    unsafe { iosb.__bindgen_anon_1.Status }
}

/// The handle a successful open returned, or the open's status.
const fn opened(status: NTSTATUS, handle: HANDLE) -> Result<HANDLE, NTSTATUS> {
    if status == STATUS_SUCCESS {
        Ok(handle)
    } else {
        Err(status)
    }
}

/// `ZwDeviceIoControlFile`'s and `ZwFsControlFile`'s common signature.
type ControlCall = unsafe extern "C" fn(
    HANDLE,
    HANDLE,
    PIO_APC_ROUTINE,
    PVOID,
    PIO_STATUS_BLOCK,
    ULONG,
    PVOID,
    ULONG,
    PVOID,
    ULONG,
) -> NTSTATUS;

/// Which control call carries a code.
#[derive(Clone, Copy)]
enum Control {
    /// `ZwDeviceIoControlFile` (an IOCTL).
    Device(u32),
    /// `ZwFsControlFile` (an FSCTL).
    FileSystem(u32),
}

/// A control request on `handle` with `input`, receiving into `output`: the final
/// status and the bytes returned (never more than `output.len()`);
/// `STATUS_INVALID_PARAMETER` for a buffer longer than a `ULONG` says.
fn control(handle: HANDLE, request: Control, input: &[u8], output: &mut [u8]) -> (NTSTATUS, usize) {
    let (Ok(in_len), Ok(out_len)) = (u32::try_from(input.len()), u32::try_from(output.len()))
    else {
        return (STATUS_INVALID_PARAMETER, 0);
    };
    let in_ptr = if input.is_empty() {
        ptr::null_mut()
    } else {
        input.as_ptr().cast_mut().cast::<c_void>()
    };
    let out_ptr = if output.is_empty() {
        ptr::null_mut()
    } else {
        output.as_mut_ptr().cast::<c_void>()
    };
    let mut iosb = io_status_block();
    // The two calls take the same arguments (Microsoft's pages for both; wdk-sys
    // declares both from the same header, so the coercions below type-check).
    let (call, code) = match request {
        Control::Device(code) => (ZwDeviceIoControlFile as ControlCall, code),
        Control::FileSystem(code) => (ZwFsControlFile as ControlCall, code),
    };
    // SAFETY: the caller's open handle; the buffers are live for the call (synchronous
    // I/O: the call returns after completion, or `settle` waits before they go away);
    // `input` is only read (METHOD_BUFFERED copies it into the I/O manager's buffer).
    let status = unsafe {
        call(
            handle,
            ptr::null_mut(),
            None,
            ptr::null_mut(),
            &raw mut iosb,
            code,
            in_ptr,
            in_len,
            out_ptr,
            out_len,
        )
    };
    let status = settle(handle, status, &iosb);
    (
        status,
        usize::try_from(iosb.Information)
            .unwrap_or(0)
            .min(output.len()),
    )
}

mod host;
