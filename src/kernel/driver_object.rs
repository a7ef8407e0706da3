//! The driver object, and the two entry points the I/O manager calls:
//! `DriverEntry` (exported) and `DriverUnload` (installed by it).

use core::ptr::NonNull;

use wdk_sys::{DRIVER_OBJECT, NTSTATUS, PCUNICODE_STRING, STATUS_INVALID_PARAMETER};

use super::{
    device_object::DeviceObject,
    irp::{SERVED, dispatch},
    unicode,
};

/// This driver's `DRIVER_OBJECT`.
#[derive(Clone, Copy)]
pub struct DriverObject {
    raw: NonNull<DRIVER_OBJECT>,
}

// SAFETY: the driver object lives as long as the driver is loaded; the driver only
// passes it to `IoCreateDevice` and `IoAllocateErrorLogEntry` (callable from any
// thread at PASSIVE_LEVEL) and reads its device chain at unload.
unsafe impl Send for DriverObject {}
// SAFETY: as above; no `&self` method writes the object.
unsafe impl Sync for DriverObject {}

impl DriverObject {
    /// The pointer the kernel takes.
    pub(super) const fn as_raw(&self) -> *mut DRIVER_OBJECT {
        self.raw.as_ptr()
    }

    /// Deletes every device still in the driver object's device chain (there should be
    /// none once the driver's own table is torn down); returns how many it found.
    pub fn delete_leftover_devices(&self) -> usize {
        let mut found = 0;
        loop {
            // SAFETY: our driver object at unload; reading one pointer field.
            let first = unsafe { (*self.raw.as_ptr()).DeviceObject };
            let Some(device) = NonNull::new(first) else {
                return found;
            };
            found += 1;
            // SAFETY: a device in our driver's chain is ours, and the table no longer
            // owns it (it was torn down before this runs).
            let device = unsafe { DeviceObject::from_chain(device) };
            // IoDeleteDevice unlinks it from the chain, so the loop ends.
            device.close().delete();
        }
    }
}

/// `DriverEntry`: installs the dispatch and unload routines, then loads.
///
/// # Safety
/// Called once by the I/O manager at `PASSIVE_LEVEL` with this driver's object and
/// its counted service key path.
#[unsafe(export_name = "DriverEntry")]
pub unsafe extern "system" fn driver_entry(
    driver: *mut DRIVER_OBJECT,
    registry_path: PCUNICODE_STRING,
) -> NTSTATUS {
    let Some(raw) = NonNull::new(driver) else {
        return STATUS_INVALID_PARAMETER;
    };
    let driver = DriverObject { raw };
    // SAFETY: DriverEntry owns the driver object; no device exists yet, so no IRP can
    // arrive while the table is written.
    let object = unsafe { &mut *raw.as_ptr() };
    for &major in &SERVED {
        if let Some(slot) = object.MajorFunction.get_mut(major as usize) {
            *slot = Some(dispatch);
        }
    }
    object.DriverUnload = Some(driver_unload);
    // SAFETY: the I/O manager hands DriverEntry a valid counted string that outlives
    // the call.
    let service_key = unsafe { unicode::borrowed(registry_path) };
    crate::driver::entry(driver, service_key)
}

/// `DriverUnload`.
///
/// # Safety
/// Called once by the I/O manager (on Windows when no reference to any of the
/// driver's device objects remains; under Wine possibly while an IRP is in flight,
/// which each device's rundown drains before the device goes).
unsafe extern "C" fn driver_unload(driver: *mut DRIVER_OBJECT) {
    let Some(raw) = NonNull::new(driver) else {
        return;
    };
    crate::driver::unload(DriverObject { raw });
}
