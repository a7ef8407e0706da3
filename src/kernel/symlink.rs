//! The drive-letter link the driver makes itself (`\DosDevices\X:` → `\Device\Ramdisk<N>`)
//! when the mount manager does not own the volume; deleted on drop if it was made.

use core::sync::atomic::{AtomicBool, Ordering};

use ramdisk_core::disk::DosDeviceName;
use wdk_sys::{
    NTSTATUS, STATUS_SUCCESS,
    ntddk::{IoCreateSymbolicLink, IoDeleteSymbolicLink},
};

use super::unicode::UnicodeString;

/// `IoCreateSymbolicLink(name, target)`; its status.
pub fn create(name: &[u16], target: &[u16]) -> NTSTATUS {
    let mut l = UnicodeString::new(name);
    let mut t = UnicodeString::new(target);
    // SAFETY: PASSIVE_LEVEL; both strings describe live buffers.
    unsafe { IoCreateSymbolicLink(l.as_ptr(), t.as_ptr()) }
}

/// `IoDeleteSymbolicLink(name)`; its status.
pub fn delete(name: &[u16]) -> NTSTATUS {
    let mut l = UnicodeString::new(name);
    // SAFETY: PASSIVE_LEVEL; `l` describes a live buffer.
    unsafe { IoDeleteSymbolicLink(l.as_ptr()) }
}

/// A disk's own drive-letter link: not made until [`DriveLink::create`] succeeds.
pub struct DriveLink {
    name: DosDeviceName,
    made: AtomicBool,
}

impl DriveLink {
    /// The link `name`, not made yet.
    pub const fn new(name: DosDeviceName) -> Self {
        Self {
            name,
            made: AtomicBool::new(false),
        }
    }

    /// `IoCreateSymbolicLink(name, target)` (at most once: a second call is a no-op
    /// success). A taken letter is `STATUS_OBJECT_NAME_COLLISION`.
    ///
    /// # Errors
    /// The status of `IoCreateSymbolicLink`.
    pub fn create(&self, target: &[u16]) -> Result<(), NTSTATUS> {
        if self.made.load(Ordering::Acquire) {
            return Ok(());
        }
        let status = create(&self.name, target);
        if status == STATUS_SUCCESS {
            self.made.store(true, Ordering::Release);
            Ok(())
        } else {
            Err(status)
        }
    }
}

impl Drop for DriveLink {
    fn drop(&mut self) {
        if !*self.made.get_mut() {
            return;
        }
        // PASSIVE_LEVEL: rollback or unload.
        let _ = delete(&self.name);
    }
}
