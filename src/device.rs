//! The device object, its drive-letter link and its extension, each owned by a guard
//! that undoes its creation unless `DriverEntry` completes: every failure path rolls
//! back exactly what was done, in reverse order.

use core::ptr;

use ramdisk_core::{fat::FormatError, fat::SectorWriter, geometry::DiskInfo};
use wdk_sys::{
    DEVICE_OBJECT, DO_DEVICE_INITIALIZING, DO_DIRECT_IO, DRIVER_OBJECT, FILE_DEVICE_DISK,
    FILE_DEVICE_SECURE_OPEN, FILE_WORD_ALIGNMENT, NTSTATUS, STATUS_INSUFFICIENT_RESOURCES,
    STATUS_OBJECT_NAME_COLLISION, STATUS_SUCCESS,
    ntddk::{IoCreateDevice, IoCreateSymbolicLink, IoDeleteDevice, IoDeleteSymbolicLink},
};

use crate::{ffi, pool::PoolBlock};

/// What the device extension holds: the image and what core needs to answer requests.
#[repr(C)]
pub struct Extension {
    /// Start of the nonpaged image (`image_len` bytes), shared by concurrent IRPs:
    /// accessed only through raw-pointer copies at offsets core validated.
    pub image: *mut u8,
    /// Image length in bytes (= `info.disk_size`).
    pub image_len: usize,
    /// Size, geometry, FAT type for core's request and IOCTL answers.
    pub info: DiskInfo,
    /// `\DosDevices\X:`, to delete the link at unload.
    pub link: [u16; 14],
}

/// `size_of::<Extension>()` as `IoCreateDevice` takes it (a few dozen bytes).
#[allow(clippy::cast_possible_truncation)]
const EXTENSION_SIZE: u32 = core::mem::size_of::<Extension>() as u32;
const _: () = assert!(core::mem::size_of::<Extension>() <= 4096);

/// A created device object, deleted on drop unless [`Device::keep`] is called.
pub struct Device(*mut DEVICE_OBJECT);

impl Device {
    /// `IoCreateDevice(\Device\Ramdisk, FILE_DEVICE_DISK, FILE_DEVICE_SECURE_OPEN)` with
    /// room for an [`Extension`]; direct I/O, word alignment, 512-byte sectors.
    pub fn create(driver: *mut DRIVER_OBJECT, name: &[u16]) -> Result<Self, NTSTATUS> {
        if crate::fault::fail_device() {
            return Err(STATUS_INSUFFICIENT_RESOURCES);
        }
        let mut us = ffi::unicode_string(name);
        let mut device: *mut DEVICE_OBJECT = ptr::null_mut();
        // SAFETY: DriverEntry at PASSIVE_LEVEL; `us` and `device` are live locals.
        let status = unsafe {
            IoCreateDevice(
                driver,
                EXTENSION_SIZE,
                &raw mut us,
                FILE_DEVICE_DISK as _,
                FILE_DEVICE_SECURE_OPEN as _,
                0,
                &raw mut device,
            )
        };
        if status != STATUS_SUCCESS {
            return Err(status);
        }
        // SAFETY: IoCreateDevice succeeded, so `device` is ours and not yet visible.
        unsafe { ffi::update_device_flags(device, DO_DIRECT_IO, 0) };
        // SAFETY: as above.
        unsafe { ffi::set_device_geometry(device, FILE_WORD_ALIGNMENT, 512) };
        Ok(Self(device))
    }

    /// Moves `extension` into the device extension and clears `DO_DEVICE_INITIALIZING`
    /// (last: the device becomes usable); the device then lives until unload.
    pub fn keep(self, extension: Extension) {
        // SAFETY: our device object.
        let slot = unsafe { ffi::device_extension(self.0) }.cast::<Extension>();
        // SAFETY: the extension area is `size_of::<Extension>()` bytes, aligned by the
        // I/O manager, and no IRP can arrive before DO_DEVICE_INITIALIZING is cleared.
        unsafe { ptr::write(slot, extension) };
        // SAFETY: our device object; clearing the flag last makes it usable.
        unsafe { ffi::update_device_flags(self.0, 0, DO_DEVICE_INITIALIZING) };
        core::mem::forget(self);
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        // SAFETY: we created this device and no link or IRP refers to it any more.
        unsafe { IoDeleteDevice(self.0) };
    }
}

/// A created symbolic link, deleted on drop unless [`Link::keep`] is called.
pub struct Link<'a>(&'a [u16]);

impl<'a> Link<'a> {
    /// `IoCreateSymbolicLink(link, target)`. A taken letter is `STATUS_OBJECT_NAME_COLLISION`.
    pub fn create(link: &'a [u16], target: &[u16]) -> Result<Self, NTSTATUS> {
        if crate::fault::fail_link() {
            return Err(STATUS_OBJECT_NAME_COLLISION);
        }
        let mut l = ffi::unicode_string(link);
        let mut t = ffi::unicode_string(target);
        // SAFETY: PASSIVE_LEVEL; both strings are live locals.
        let status = unsafe { IoCreateSymbolicLink(&raw mut l, &raw mut t) };
        if status == STATUS_SUCCESS {
            Ok(Self(link))
        } else {
            Err(status)
        }
    }

    /// Keeps the link until unload.
    pub const fn keep(self) {
        core::mem::forget(self);
    }
}

impl Drop for Link<'_> {
    fn drop(&mut self) {
        delete_link(self.0);
    }
}

/// `IoDeleteSymbolicLink`.
pub fn delete_link(link: &[u16]) {
    let mut l = ffi::unicode_string(link);
    // SAFETY: PASSIVE_LEVEL (DriverEntry rollback or unload); `l` is a live local.
    let _ = unsafe { IoDeleteSymbolicLink(&raw mut l) };
}

/// Undoes a successful `DriverEntry`: link, device, image, in that order.
///
/// # Safety
/// `driver` is this driver's object at unload; no IRP is in flight.
pub unsafe fn destroy_all(driver: *mut DRIVER_OBJECT) {
    // SAFETY: the caller passes our driver object at unload.
    let device = unsafe { ffi::first_device(driver) };
    if device.is_null() {
        return;
    }
    // SAFETY: our device object.
    let slot = unsafe { ffi::device_extension(device) }.cast::<Extension>();
    // SAFETY: written by `Device::keep`; read once here, never again.
    let ext = unsafe { ptr::read(slot) };
    delete_link(&ext.link);
    // SAFETY: at unload no handle or IRP refers to the device; the link is gone.
    unsafe { IoDeleteDevice(device) };
    // SAFETY: `(image, image_len)` came from `PoolBlock::into_raw` in DriverEntry.
    drop(unsafe { PoolBlock::from_raw(ext.image, ext.image_len) });
}

/// The formatter's sector writer over the raw image: bounds-checked, raw-pointer copies.
pub struct ImageWriter<'a>(&'a PoolBlock);

impl<'a> ImageWriter<'a> {
    /// A writer over `image`.
    pub const fn new(image: &'a PoolBlock) -> Self {
        Self(image)
    }
}

impl SectorWriter for ImageWriter<'_> {
    fn write(&mut self, byte_offset: u64, data: &[u8]) -> Result<(), FormatError> {
        let start = usize::try_from(byte_offset).map_err(|_| FormatError::WriteFailed)?;
        match start.checked_add(data.len()) {
            Some(end) if end <= self.0.len() => {}
            _ => return Err(FormatError::WriteFailed),
        }
        // SAFETY: `start + data.len() <= len` was checked, so this stays in the block.
        let dest = unsafe { self.0.as_ptr().add(start) };
        // SAFETY: `dest` has room for `data.len()` bytes; `data` is the formatter's own
        // buffer, so the ranges cannot overlap.
        unsafe { ptr::copy_nonoverlapping(data.as_ptr(), dest, data.len()) };
        Ok(())
    }
}
