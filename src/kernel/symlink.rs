//! Symbolic links the driver makes itself: a disk's drive letter (`\DosDevices\X:` →
//! `\Device\Ramdisk<N>`) when the mount manager does not own the volume, the control
//! device's `\DosDevices\RamdiskControl`; and the test whether a drive letter is taken.

use core::{
    ptr,
    sync::atomic::{AtomicBool, Ordering},
};

use ramdisk_core::disk::DosDeviceName;
use wdk_sys::{
    HANDLE, NTSTATUS, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND, STATUS_SUCCESS,
    ntddk::{IoCreateSymbolicLink, IoDeleteSymbolicLink, ZwClose, ZwOpenSymbolicLinkObject},
};

use super::unicode::{UnicodeString, object_attributes};

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

/// A symbolic link the driver made itself (a disk's `\DosDevices\X:` when the mount
/// manager does not own the volume, the control device's `\DosDevices\RamdiskControl`):
/// not made until [`Link::create`] succeeds; deleted on drop if it was made.
pub struct Link<T: AsRef<[u16]>> {
    name: T,
    made: AtomicBool,
}

/// A disk's own drive-letter link.
pub type DriveLink = Link<DosDeviceName>;

impl<T: AsRef<[u16]>> Link<T> {
    /// The link `name`, not made yet.
    pub const fn new(name: T) -> Self {
        Self {
            name,
            made: AtomicBool::new(false),
        }
    }

    /// `IoCreateSymbolicLink(name, target)` (at most once: a second call is a no-op
    /// success). A taken name is `STATUS_OBJECT_NAME_COLLISION`.
    ///
    /// # Errors
    /// The status of `IoCreateSymbolicLink`.
    pub fn create(&self, target: &[u16]) -> Result<(), NTSTATUS> {
        if self.made.load(Ordering::Acquire) {
            return Ok(());
        }
        let status = create(self.name.as_ref(), target);
        if status == STATUS_SUCCESS {
            self.made.store(true, Ordering::Release);
            Ok(())
        } else {
            Err(status)
        }
    }
}

impl<T: AsRef<[u16]>> Drop for Link<T> {
    fn drop(&mut self) {
        if !*self.made.get_mut() {
            return;
        }
        // PASSIVE_LEVEL: rollback, removal or unload.
        let _ = delete(self.name.as_ref());
    }
}

/// `SYMBOLIC_LINK_QUERY` (wdm.h).
const SYMBOLIC_LINK_QUERY: u32 = 0x0001;

/// Whether a drive letter's link `\??\X:` exists (from a system thread `\??` is the
/// global DOS-device directory). Any answer but "not found" counts as taken.
pub fn drive_letter_taken(letter: u8) -> bool {
    let name: [u16; 6] = [
        u16::from(b'\\'),
        u16::from(b'?'),
        u16::from(b'?'),
        u16::from(b'\\'),
        u16::from(letter.to_ascii_uppercase()),
        u16::from(b':'),
    ];
    let mut us = UnicodeString::new(&name);
    let mut oa = object_attributes(Some(&mut us), ptr::null_mut());
    let mut handle: HANDLE = ptr::null_mut();
    // SAFETY: PASSIVE_LEVEL; `oa`, `us` and `handle` are live locals.
    let status =
        unsafe { ZwOpenSymbolicLinkObject(&raw mut handle, SYMBOLIC_LINK_QUERY, &raw mut oa) };
    if status == STATUS_SUCCESS {
        // SAFETY: the kernel handle just opened, closed once.
        let _ = unsafe { ZwClose(handle) };
    }
    !matches!(
        status,
        STATUS_OBJECT_NAME_NOT_FOUND | STATUS_OBJECT_PATH_NOT_FOUND
    )
}
