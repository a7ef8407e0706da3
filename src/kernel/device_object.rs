//! Device objects: creation, the tagged extension, its rundown, deletion.
//!
//! Every device this driver creates carries an [`Extension`]: a publication word,
//! a [`Rundown`] with its drain event, and the [`crate::device::DeviceKind`] that the
//! one dispatch router matches on. The word is written last when the device is
//! published (`Release`), and the dispatch routine reads the body only after taking a
//! rundown reference and seeing the word (`Acquire`), so an IRP that reaches a device
//! before publication (or after its rundown closed) is refused instead of reading
//! memory that is not (or no longer) a body.
//!
//! Ending a device is [`DeviceObject::close`]: the rundown is closed and drained, so
//! no IRP is inside the driver's code for it and none can enter; only then is the
//! body taken back and `IoDeleteDevice` called ([`Closed`]). That is the one proof the
//! driver uses, for runtime removal, rollback and unload alike.

use core::{
    mem::MaybeUninit,
    ptr::{self, NonNull},
    sync::atomic::{AtomicU32, Ordering},
};

use ramdisk_store::rundown::{Guard, Rundown};
use wdk_sys::{
    DEVICE_OBJECT, DO_DEVICE_INITIALIZING, DO_DIRECT_IO, FILE_WORD_ALIGNMENT, NTSTATUS,
    STATUS_SUCCESS, VPB_MOUNTED,
    ntddk::{IoCreateDevice, IoDeleteDevice},
};

use super::{driver_object::DriverObject, event::Event, unicode::UnicodeString};
use crate::device::DeviceKind;

/// The publication word of a live device: `RDsk`.
const PUBLISHED: u32 = u32::from_le_bytes(*b"RDsk");
/// The publication word of a device whose extension was taken back.
const RETIRED: u32 = u32::from_le_bytes(*b"RDx!");

/// The device extension of every device of this driver (zero-filled by
/// `IoCreateDevice`: unpublished, rundown open with no reference, event not
/// initialised).
#[repr(C)]
pub struct Extension {
    state: AtomicU32,
    rundown: Rundown,
    drained: Event,
    body: MaybeUninit<DeviceKind>,
}

/// `size_of::<Extension>()` as `IoCreateDevice` takes it.
#[expect(
    clippy::cast_possible_truncation,
    reason = "asserted below to be small"
)]
const EXTENSION_SIZE: u32 = core::mem::size_of::<Extension>() as u32;
const _: () = assert!(core::mem::size_of::<Extension>() <= 4096);

/// A rundown reference on a device: while it lives, the device's body stays.
pub type Entered<'a> = Guard<'a, Event>;

/// The proof of an [`Entered`] reference that the device's code passes on (a dynamic
/// disk's store counts the request by it).
pub use ramdisk_store::rundown::Held;

/// A created, not yet published device, deleted on drop.
pub struct NewDevice {
    raw: NonNull<DEVICE_OBJECT>,
}

impl NewDevice {
    /// `IoCreateDevice(name, device_type, characteristics, not exclusive)` with room
    /// for an [`Extension`].
    ///
    /// # Errors
    /// The status of `IoCreateDevice` (e.g. `STATUS_OBJECT_NAME_COLLISION`).
    pub fn create(
        driver: &DriverObject,
        name: &[u16],
        device_type: u32,
        characteristics: u32,
    ) -> Result<Self, NTSTATUS> {
        let mut us = UnicodeString::new(name);
        let mut device: *mut DEVICE_OBJECT = ptr::null_mut();
        // SAFETY: PASSIVE_LEVEL; `us` and `device` are live locals; the driver
        // object is ours.
        let status = unsafe {
            IoCreateDevice(
                driver.as_raw(),
                EXTENSION_SIZE,
                us.as_ptr(),
                device_type,
                characteristics,
                0,
                &raw mut device,
            )
        };
        if status != STATUS_SUCCESS {
            return Err(status);
        }
        NonNull::new(device)
            .map(|raw| Self { raw })
            .ok_or(ramdisk_core::status::STATUS_INTERNAL_ERROR)
    }

    /// A disk's transfer settings: direct I/O, word alignment, `sector_size`.
    pub fn set_disk_io(&self, sector_size: u16) {
        // SAFETY: our device object, not yet visible to anyone (DO_DEVICE_INITIALIZING).
        let device = unsafe { &mut *self.raw.as_ptr() };
        device.Flags |= DO_DIRECT_IO;
        device.AlignmentRequirement = FILE_WORD_ALIGNMENT;
        device.SectorSize = sector_size;
    }

    /// Sets the device's DACL to `aces`, protected (before publication, so no open
    /// ever sees the default descriptor).
    ///
    /// # Errors
    /// The failing call's status.
    pub fn set_dacl(&self, aces: &[ramdisk_core::security::Ace]) -> Result<(), NTSTATUS> {
        // SAFETY: our live device object, at PASSIVE_LEVEL (device creation).
        unsafe { super::security::set_dacl(self.raw.as_ptr(), aces) }
    }

    /// Reads the device's DACL back as the object manager stores it (self-relative).
    ///
    /// # Errors
    /// The failing call's status.
    pub fn read_dacl<'b>(
        &self,
        out: &'b mut super::security::DescriptorBuffer,
    ) -> Result<&'b [u8], NTSTATUS> {
        // SAFETY: our live device object, at PASSIVE_LEVEL (device creation).
        unsafe { super::security::read_dacl(self.raw.as_ptr(), out) }
    }

    /// Writes the extension body, publishes it and clears `DO_DEVICE_INITIALIZING`
    /// (last: the device becomes usable).
    pub fn publish(self, body: DeviceKind) -> DeviceObject {
        let raw = self.raw;
        core::mem::forget(self);
        // SAFETY: our device object; its extension is EXTENSION_SIZE bytes, aligned by
        // the I/O manager, zero-filled, and no IRP reads the body before `state`.
        let ext = unsafe { (*raw.as_ptr()).DeviceExtension }.cast::<Extension>();
        // SAFETY: as above: the extension is ours and nothing reads the body yet.
        let slot = unsafe { &raw mut (*ext).body };
        // SAFETY: `slot` is valid for writes; writing the body in place, before publication.
        unsafe { slot.write(MaybeUninit::new(body)) };
        // SAFETY: the extension lives as long as the device object; its rundown never
        // moves.
        let ext_ref = unsafe { &*ext };
        // SAFETY: just written (initialised); nothing else reads it before publication.
        if let DeviceKind::Disk(disk) = unsafe { ext_ref.body.assume_init_ref() } {
            // A dynamic disk's store counts the IRPs in flight by this rundown's
            // references (every IRP holds one while it uses the body).
            // SAFETY: the rundown is in the extension, valid until `IoDeleteDevice`;
            // `Closed::take` detaches the store before the device can be deleted.
            unsafe { disk.store().attach(&ext_ref.rundown) };
        }
        let state = &ext_ref.state;
        state.store(PUBLISHED, Ordering::Release);
        // SAFETY: our device object; clearing the flag last makes it usable.
        unsafe { (*raw.as_ptr()).Flags &= !DO_DEVICE_INITIALIZING };
        DeviceObject { raw }
    }
}

impl Drop for NewDevice {
    fn drop(&mut self) {
        // SAFETY: never published: no handle, link target or IRP refers to it.
        unsafe { IoDeleteDevice(self.raw.as_ptr()) };
    }
}

/// A published device of this driver. Not `Copy`: its owner (the disk table, or
/// teardown) is the one that may delete it.
pub struct DeviceObject {
    raw: NonNull<DEVICE_OBJECT>,
}

// SAFETY: a device object pointer may be used from any thread; the extension body
// is only shared (`&DeviceKind`), and `DeviceKind` is `Sync`.
unsafe impl Send for DeviceObject {}
// SAFETY: every `&self` method is thread-safe: `kind` reads the published body (only
// ever shared), `is_mounted` reads one field, and `send_ioctl` builds an IRP of its
// own; taking the body back needs `self` by value (`close`).
unsafe impl Sync for DeviceObject {}

impl DeviceObject {
    /// The published body, if the device is published (the owner's view: only the
    /// owner takes the body back, through [`DeviceObject::close`]).
    pub fn kind(&self) -> Option<&DeviceKind> {
        let ext = self.extension();
        if ext.state.load(Ordering::Acquire) != PUBLISHED {
            return None;
        }
        let body = &ext.body;
        // SAFETY: published; the body stays until `Closed::take`, which needs `self`
        // consumed by `close` first.
        Some(unsafe { body.assume_init_ref() })
    }

    /// The extension of our own device.
    fn extension(&self) -> &Extension {
        // SAFETY: our device object, alive while `self` exists.
        let ext = unsafe { (*self.raw.as_ptr()).DeviceExtension }.cast::<Extension>();
        // SAFETY: its extension is EXTENSION_SIZE bytes, an `Extension`, for as long as
        // the device object exists.
        unsafe { &*ext }
    }

    /// The device's address, to match a pended IRP's target ([`super::irp::PendingIrp::target`]).
    pub fn id(&self) -> super::irp::DeviceId {
        super::irp::DeviceId(self.raw.as_ptr().addr())
    }

    /// The pointer the kernel takes (shutdown registration).
    pub(super) const fn as_raw(&self) -> *mut DEVICE_OBJECT {
        self.raw.as_ptr()
    }

    /// Whether a file system is mounted on the device (`Vpb->Flags & VPB_MOUNTED`;
    /// a device without a VPB never is).
    pub fn is_mounted(&self) -> bool {
        // SAFETY: our device object; `Vpb` is set by `IoCreateDevice` for disk types
        // (NULL otherwise) and lives as long as the device.
        let vpb = unsafe { (*self.raw.as_ptr()).Vpb };
        if vpb.is_null() {
            return false;
        }
        // SAFETY: a non-NULL VPB of our live device; one USHORT read. The file system
        // changes it under the VPB spin lock, so this is a snapshot.
        let flags = unsafe { (*vpb).Flags };
        u32::from(flags) & VPB_MOUNTED != 0
    }

    /// Closes the device's rundown and waits until every IRP inside the driver's code
    /// for it has left (IRPs arriving from now on are refused:
    /// `STATUS_NO_SUCH_DEVICE`, CLOSE and CLEANUP succeed). Call at `PASSIVE_LEVEL`,
    /// never from a dispatch routine of this device.
    pub fn close(self) -> Closed {
        let raw = self.raw;
        core::mem::forget(self);
        let closed = Closed { raw };
        let ext = closed.extension();
        // Initialised before the close is published: a releaser that sees the closed
        // bit (AcqRel) sees the initialised event.
        ext.drained.init_notification();
        if !ext.rundown.close() {
            ext.drained.wait();
        }
        closed
    }

    /// Sends `code` (`METHOD_BUFFERED`) to this device in an IRP built with
    /// `IoBuildDeviceIoControlRequest`, whose stack location has no file object, as
    /// the mount manager sends its own requests; waits for it. Returns the status and
    /// `Information`. Call from a system thread at `PASSIVE_LEVEL`.
    #[cfg(feature = "fault-injection")]
    pub fn send_ioctl(&self, code: u32, output: &mut [u8]) -> (NTSTATUS, usize) {
        super::self_ioctl::send(self.raw.as_ptr(), code, output)
    }

    /// Owns a device found in the driver object's device chain.
    ///
    /// # Safety
    /// `raw` is one of this driver's devices and nothing else owns it.
    pub(super) const unsafe fn from_chain(raw: NonNull<DEVICE_OBJECT>) -> Self {
        Self { raw }
    }
}

impl Drop for DeviceObject {
    fn drop(&mut self) {
        // Only `delete` may end a device; anything else is a bug that leaks it.
        log!(error: "a device object was dropped without being deleted; it stays until reboot");
    }
}

/// A device whose rundown is closed and drained: nothing is inside the driver's code
/// for it and nothing can enter. Its body can be taken back and the device deleted.
pub struct Closed {
    raw: NonNull<DEVICE_OBJECT>,
}

// SAFETY: as for `DeviceObject`: a device object pointer may be used from any thread.
unsafe impl Send for Closed {}

impl Closed {
    fn extension(&self) -> &Extension {
        // SAFETY: our device object, not yet deleted (`delete` consumes `self`).
        let ext = unsafe { (*self.raw.as_ptr()).DeviceExtension }.cast::<Extension>();
        // SAFETY: its extension is an `Extension` for as long as the device exists.
        unsafe { &*ext }
    }

    /// Takes the extension body back (`None` if the device was never published or the
    /// body was taken already).
    pub fn take(&self) -> Option<DeviceKind> {
        let ext = self.extension();
        if ext.state.swap(RETIRED, Ordering::AcqRel) != PUBLISHED {
            return None;
        }
        let slot = &raw const ext.body;
        // SAFETY: the body was written at publication, is read out once (the swap above
        // succeeds once), and no IRP can be reading it: the rundown is drained, and
        // every reader holds a reference (`enter`).
        let body = unsafe { slot.read() };
        // SAFETY: written (initialised) at publication.
        let body = unsafe { body.assume_init() };
        if let DeviceKind::Disk(disk) = &body {
            // The store may outlive the extension (and its rundown) from here on.
            // SAFETY: the rundown is drained (`Closed`): no IRP holds a reference on it.
            unsafe { disk.store().detach() };
        }
        Some(body)
    }

    /// `IoDeleteDevice` (a body not taken back is taken and dropped first).
    pub fn delete(self) {
        drop(self.take());
        let raw = self.raw;
        // SAFETY: drained (no IRP inside our code for it), the body is gone, and `self`
        // was the device's one owner. On Windows a handle still open keeps the device
        // object (and its extension, whose closed rundown refuses every IRP) until it
        // closes; the driver cannot unload before that.
        unsafe { IoDeleteDevice(raw.as_ptr()) };
    }
}

/// Enters `device`: a rundown reference and the published body, or `None` when the
/// device is not published (yet) or its rundown is closed.
///
/// # Safety
/// `device` is a valid device object created by [`NewDevice::create`], alive for `'a`.
pub(super) unsafe fn enter<'a>(
    device: *mut DEVICE_OBJECT,
) -> Option<(Entered<'a>, &'a DeviceKind)> {
    // SAFETY: a valid device object of ours (the caller's contract).
    let ext = unsafe { (*device).DeviceExtension }.cast::<Extension>();
    if ext.is_null() {
        return None;
    }
    // SAFETY: every device of ours has an Extension, zero-filled by IoCreateDevice,
    // valid for `'a` (the caller's contract).
    let ext = unsafe { &*ext };
    let entered = ext.rundown.enter(&ext.drained)?;
    if ext.state.load(Ordering::Acquire) != PUBLISHED {
        return None;
    }
    let body = &ext.body;
    // SAFETY: published, so the body was written before the Release store we saw; it
    // is only read (shared) until `Closed::take`, which cannot run while `entered`
    // holds a reference.
    Some((entered, unsafe { body.assume_init_ref() }))
}
