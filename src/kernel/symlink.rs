//! Symbolic links (`\DosDevices\X:` → `\Device\Ramdisk<N>`), deleted on drop.

use ramdisk_core::disk::DosDeviceName;
use wdk_sys::{
    NTSTATUS, STATUS_SUCCESS,
    ntddk::{IoCreateSymbolicLink, IoDeleteSymbolicLink},
};

use super::unicode::UnicodeString;

/// A created symbolic link; dropping it deletes the link.
pub struct SymbolicLink {
    name: DosDeviceName,
}

impl SymbolicLink {
    /// `IoCreateSymbolicLink(name, target)`. A taken letter is
    /// `STATUS_OBJECT_NAME_COLLISION`.
    ///
    /// # Errors
    /// The status of `IoCreateSymbolicLink`.
    pub fn create(name: DosDeviceName, target: &[u16]) -> Result<Self, NTSTATUS> {
        let mut l = UnicodeString::new(&name);
        let mut t = UnicodeString::new(target);
        // SAFETY: PASSIVE_LEVEL; both strings describe live buffers.
        let status = unsafe { IoCreateSymbolicLink(l.as_ptr(), t.as_ptr()) };
        if status == STATUS_SUCCESS {
            Ok(Self { name })
        } else {
            Err(status)
        }
    }
}

impl Drop for SymbolicLink {
    fn drop(&mut self) {
        let mut l = UnicodeString::new(&self.name);
        // SAFETY: PASSIVE_LEVEL (rollback or unload); `l` describes a live buffer.
        let _ = unsafe { IoDeleteSymbolicLink(l.as_ptr()) };
    }
}
