//! Major-function dispatch: every IRP is completed exactly once, here, with the
//! status and byte count ramdisk-core decided, and that status is returned.

use core::ptr;

use ramdisk_core::{ioctl, request, status};
use wdk_sys::{
    DEVICE_OBJECT, IRP, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_FLUSH_BUFFERS, IRP_MJ_READ, IRP_MJ_WRITE, NTSTATUS,
};

use crate::{device::Extension, ffi};

/// The major functions this driver serves; all others stay "invalid device request".
pub const MAJORS: [u32; 7] = [
    IRP_MJ_CREATE,
    IRP_MJ_CLOSE,
    IRP_MJ_CLEANUP,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_FLUSH_BUFFERS,
];

/// The one dispatch routine.
///
/// # Safety
/// Called by the I/O manager with our device and a valid IRP.
pub unsafe extern "C" fn dispatch(device: *mut DEVICE_OBJECT, irp: *mut IRP) -> NTSTATUS {
    // SAFETY: the I/O manager passes our own device object.
    let ext = unsafe { ffi::device_extension(device) }.cast::<Extension>();
    // SAFETY: the extension was fully written before DO_DEVICE_INITIALIZING was cleared
    // and is only read afterwards (until unload, when no IRP is in flight).
    let ext = unsafe { &*ext };
    // SAFETY: a valid IRP for our device.
    let major = unsafe { ffi::major_function(irp) };
    match u32::from(major) {
        IRP_MJ_READ | IRP_MJ_WRITE => {
            // SAFETY: a read or write IRP for this device, completed once in there.
            unsafe { read_write(ext, irp, u32::from(major) == IRP_MJ_WRITE) }
        }
        IRP_MJ_DEVICE_CONTROL => {
            // SAFETY: a device-control IRP for this device, completed once in there.
            unsafe { device_control(ext, irp) }
        }
        _ => {
            // CREATE, CLOSE, CLEANUP, FLUSH: nothing to do for memory.
            // SAFETY: completing our IRP once.
            unsafe { ffi::complete(irp, status::STATUS_SUCCESS, 0) }
        }
    }
}

/// READ/WRITE: core validates the 64-bit offset and length; one raw copy, no lock.
///
/// # Safety
/// `irp` is a read or write IRP for the device whose extension is `ext`.
unsafe fn read_write(ext: &Extension, irp: *mut IRP, is_write: bool) -> NTSTATUS {
    // SAFETY: a read/write IRP for our device.
    let (offset, length) = unsafe { ffi::read_write_params(irp, is_write) };
    let range = match request::check(offset, length, ext.info.disk_size) {
        Ok(range) => range,
        // SAFETY: completing our IRP once.
        Err(status) => return unsafe { ffi::complete(irp, status, 0) },
    };
    if range.length == 0 {
        // SAFETY: completing our IRP once.
        return unsafe { ffi::complete(irp, status::STATUS_SUCCESS, 0) };
    }
    // SAFETY: a direct-I/O IRP carries a locked MDL for its buffer.
    let buffer = unsafe { ffi::mdl_system_address(irp) };
    if buffer.is_null() {
        // SAFETY: completing our IRP once.
        return unsafe { ffi::complete(irp, status::STATUS_INSUFFICIENT_RESOURCES, 0) };
    }
    // `check` proved offset + length <= disk_size == image_len, so the offset fits usize.
    let Ok(offset) = usize::try_from(range.offset) else {
        // SAFETY: completing our IRP once.
        return unsafe { ffi::complete(irp, status::STATUS_INVALID_PARAMETER, 0) };
    };
    // SAFETY: `offset + length <= image_len` (core validated it), so this stays inside
    // the image allocation.
    let image = unsafe { ext.image.add(offset) };
    // Raw copies only: concurrent IRPs may touch overlapping image ranges, so no
    // reference is ever made over the image. `buffer` maps `length` bytes of the
    // caller's locked pages, which are not part of the image.
    if is_write {
        // SAFETY: both ranges are `length` bytes, valid, and disjoint (see above).
        unsafe { ptr::copy_nonoverlapping(buffer.cast_const(), image, range.length) };
    } else {
        // SAFETY: as above.
        unsafe { ptr::copy_nonoverlapping(image.cast_const(), buffer, range.length) };
    }
    // SAFETY: completing our IRP once.
    unsafe { ffi::complete(irp, status::STATUS_SUCCESS, range.length) }
}

/// `DEVICE_CONTROL`: core answers from its table into the IRP's own `SystemBuffer`.
///
/// # Safety
/// `irp` is a device-control IRP for the device whose extension is `ext`.
unsafe fn device_control(ext: &Extension, irp: *mut IRP) -> NTSTATUS {
    // SAFETY: a device-control IRP for our device.
    let (code, input_len, output_len) = unsafe { ffi::ioctl_params(irp) };
    let (input_len, output_len) = (input_len as usize, output_len as usize);
    let len = input_len.max(output_len);
    // SAFETY: reading a field of our IRP.
    let buffer = unsafe { ffi::system_buffer(irp) };
    // Every code in core's table is METHOD_BUFFERED; for any other code SystemBuffer
    // need not span max(input, output), so core gets no buffer and rejects the code.
    let system_buffer: &mut [u8] = if ioctl::find(code).is_some() && !buffer.is_null() && len > 0 {
        // SAFETY: for METHOD_BUFFERED the I/O manager allocated a SystemBuffer of
        // max(input, output) bytes, private to this IRP until it completes.
        unsafe { core::slice::from_raw_parts_mut(buffer, len) }
    } else {
        &mut []
    };
    let reply = ioctl::answer(code, system_buffer, input_len, output_len, &ext.info);
    // SAFETY: completing our IRP once; information <= output_len (core's contract).
    unsafe { ffi::complete(irp, reply.status, reply.information) }
}
