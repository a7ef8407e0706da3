//! The control device `\Device\RamdiskControl` (`\\.\RamdiskControl`): creates,
//! removes, lists and saves disks at run time.
//!
//! `FILE_DEVICE_UNKNOWN` (no file system tries to mount it), `FILE_DEVICE_SECURE_OPEN`
//! and the DACL `D:P(A;;GA;;;SY)(A;;GA;;;BA)`: each disk costs memory, so only SYSTEM
//! and Administrators may open it. An open with a file name below the device
//! (`\\.\RamdiskControl\x`) fails with `STATUS_OBJECT_PATH_NOT_FOUND`: otherwise the
//! name would be a way around the DACL. Under Wine a failed CREATE still hands out a
//! handle, so every request on such a handle fails the same way.
//!
//! The five control IOCTLs (CREATE, REMOVE, LIST, QUERY, SAVE) are pended and
//! finished on the driver's worker thread (`kernel::worker`, served by
//! `crate::driver::serve`); the fault-injection build also answers
//! `IOCTL_RAMDISK_TEST_SHUTDOWN` (`crate::fault`); every other code is
//! `STATUS_INVALID_DEVICE_REQUEST`.

use ramdisk_core::{
    control::{CONTROL_DEVICE_NAME_UTF16, CONTROL_LINK_NAME_UTF16, FILE_DEVICE_UNKNOWN, Request},
    security::{self, CONTROL_DACL},
    status::{STATUS_INVALID_DEVICE_REQUEST, STATUS_OBJECT_PATH_NOT_FOUND, STATUS_SUCCESS},
};
use wdk_sys::FILE_DEVICE_SECURE_OPEN;

use super::DeviceKind;
use crate::{
    driver::LoadError,
    kernel::{
        Completion, DeviceObject, DriverObject, Irp, Major, NewDevice, security::DescriptorBuffer,
        symlink::Link,
    },
};

/// The control device's extension body: its `\DosDevices` link (deleted with it).
pub struct Control {
    link: Link<[u16; 26]>,
}

impl Control {
    /// Creates `\Device\RamdiskControl` with its DACL (read back and logged),
    /// publishes it, and links `\DosDevices\RamdiskControl` to it.
    ///
    /// # Errors
    /// The step that failed (nothing is left behind).
    // A frame of its own (the descriptor buffers): no frame above a page.
    #[inline(never)]
    pub fn create(driver: DriverObject) -> Result<DeviceObject, LoadError> {
        let device = NewDevice::create(
            &driver,
            &CONTROL_DEVICE_NAME_UTF16,
            FILE_DEVICE_UNKNOWN,
            FILE_DEVICE_SECURE_OPEN,
        )
        .map_err(LoadError::CreateDevice)?;
        device.set_dacl(&CONTROL_DACL).map_err(LoadError::Dacl)?;
        let mut read_back = DescriptorBuffer::new();
        match device.read_dacl(&mut read_back).map(security::read_dacl) {
            Ok(Ok(dacl)) => log!("control device DACL {dacl}"),
            Ok(Err(e)) => log!(error: "control device DACL read back, but unreadable: {e}"),
            Err(status) => log!(
                error: "control device DACL cannot be read back: {:#010x} ({})",
                status.cast_unsigned(),
                ramdisk_core::status::name(status)
            ),
        }
        let device = device.publish(DeviceKind::Control(Self {
            link: Link::new(CONTROL_LINK_NAME_UTF16),
        }));
        let linked = match device.kind() {
            Some(DeviceKind::Control(control)) => control.link.create(&CONTROL_DEVICE_NAME_UTF16),
            _ => Err(ramdisk_core::status::STATUS_INTERNAL_ERROR),
        };
        match linked {
            Ok(()) => Ok(device),
            Err(status) => {
                device.close().delete();
                Err(LoadError::ControlLink(status))
            }
        }
    }

    /// Serves one IRP (the control device keeps no state of its own to consult).
    pub fn dispatch(irp: Irp) -> Completion {
        let major = irp.major();
        if matches!(major, Major::Close | Major::Cleanup) {
            return irp.complete(STATUS_SUCCESS, 0);
        }
        if !irp.file_name_is_empty() {
            return irp.complete(STATUS_OBJECT_PATH_NOT_FOUND, 0);
        }
        match major {
            Major::Create | Major::Shutdown => irp.complete(STATUS_SUCCESS, 0),
            Major::DeviceControl => {
                let mut irp = match crate::fault::intercept_control(irp) {
                    Ok(done) => return done,
                    Err(irp) => irp,
                };
                if irp
                    .ioctl()
                    .and_then(|io| Request::from_code(io.code))
                    .is_none()
                {
                    return irp.complete(STATUS_INVALID_DEVICE_REQUEST, 0);
                }
                let (pending, completion) = irp.pend();
                crate::driver::submit(pending);
                completion
            }
            _ => irp.complete(STATUS_INVALID_DEVICE_REQUEST, 0),
        }
    }
}
