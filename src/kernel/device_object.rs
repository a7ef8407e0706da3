//! Device objects: creation, the tagged extension, the driver's table of them, deletion.
//!
//! Every device this driver creates carries an [`Extension`]: a publication word
//! and the [`crate::device::DeviceKind`] that the one dispatch router matches on.
//! The word is written last when the device is published (`Release`), and the
//! dispatch routine reads the body only after seeing it (`Acquire`), so an IRP that
//! reaches a device before publication (or after retirement) is refused instead of
//! reading uninitialised memory.

use core::{
    mem::MaybeUninit,
    ptr::{self, NonNull},
    sync::atomic::{AtomicPtr, AtomicU32, Ordering},
};

use wdk_sys::{
    DEVICE_OBJECT, DO_DEVICE_INITIALIZING, DO_DIRECT_IO, FILE_WORD_ALIGNMENT, NTSTATUS,
    STATUS_SUCCESS,
    ntddk::{IoCreateDevice, IoDeleteDevice},
};

use super::{driver_object::DriverObject, unicode::UnicodeString};
use crate::device::DeviceKind;

/// The publication word of a live device: `RDsk`.
const PUBLISHED: u32 = u32::from_le_bytes(*b"RDsk");
/// The publication word of a device whose extension was taken back.
const RETIRED: u32 = u32::from_le_bytes(*b"RDx!");

/// The device extension of every device of this driver.
#[repr(C)]
pub struct Extension {
    state: AtomicU32,
    body: MaybeUninit<DeviceKind>,
}

/// `size_of::<Extension>()` as `IoCreateDevice` takes it.
#[expect(
    clippy::cast_possible_truncation,
    reason = "asserted below to be small"
)]
const EXTENSION_SIZE: u32 = core::mem::size_of::<Extension>() as u32;
const _: () = assert!(core::mem::size_of::<Extension>() <= 4096);

/// Proof that no IRP is in flight for any of the driver's devices: created only
/// by the kernel's `DriverUnload` trampoline (the I/O manager calls `DriverUnload`
/// only when no reference to any device object remains).
pub struct Quiesced(());

impl Quiesced {
    /// # Safety
    /// Only where no IRP can be in flight for the devices it is used on.
    pub(super) const unsafe fn new() -> Self {
        Self(())
    }
}

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
        // SAFETY: the extension's `state` word is valid for the device's lifetime.
        let state = unsafe { &(*ext).state };
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
// ever shared), `retire` swaps the publication word atomically, and `send_ioctl`
// builds an IRP of its own.
unsafe impl Sync for DeviceObject {}

impl DeviceObject {
    /// The published body, if the device is published.
    pub fn kind(&self) -> Option<&DeviceKind> {
        // SAFETY: our own published device object stays valid while `self` exists.
        unsafe { published(self.raw.as_ptr()) }
    }

    /// Takes the extension body back (`None` if already taken); IRPs arriving from
    /// now on are refused.
    pub fn retire(&self, _: &Quiesced) -> Option<DeviceKind> {
        // SAFETY: our device object and its extension are valid until `delete`.
        let ext = unsafe { (*self.raw.as_ptr()).DeviceExtension }.cast::<Extension>();
        // SAFETY: as above.
        let state = unsafe { &(*ext).state };
        if state.swap(RETIRED, Ordering::AcqRel) != PUBLISHED {
            return None;
        }
        // SAFETY: the extension is valid until `delete`.
        let slot = unsafe { &raw const (*ext).body };
        // SAFETY: the body was written at publication, is read out once (the swap
        // above succeeds once), and no IRP is in flight (`Quiesced`).
        let body = unsafe { slot.read() };
        // SAFETY: written (initialised) at publication.
        Some(unsafe { body.assume_init() })
    }

    /// Deletes a device published earlier in this same `DriverEntry` when a later step
    /// of the load fails: retires its body, then `IoDeleteDevice`.
    ///
    /// No IRP is in flight: `DriverEntry` has not returned, the driver has named the
    /// device to nobody but the mount manager, whose handles to it are closed before
    /// the arrival request returns (it queries the volume inside that request), and
    /// the fault-injection self-queries are synchronous. Its DACL keeps everyone but
    /// SYSTEM and Administrators from opening it meanwhile. (A rundown reference
    /// taken by every IRP, due with runtime disk removal, will make this a proof
    /// instead of an argument.)
    pub fn withdraw(self) {
        // SAFETY: see above: nothing can be in flight for this one device.
        let q = unsafe { Quiesced::new() };
        self.delete(&q);
    }

    /// Sends `code` (`METHOD_BUFFERED`) to this device in an IRP built with
    /// `IoBuildDeviceIoControlRequest`, whose stack location has no file object, as
    /// the mount manager sends its own requests; waits for it. Returns the status and
    /// `Information`. Call from a system thread at `PASSIVE_LEVEL`.
    #[cfg(feature = "fault-injection")]
    pub fn send_ioctl(&self, code: u32, output: &mut [u8]) -> (NTSTATUS, usize) {
        super::self_ioctl::send(self.raw.as_ptr(), code, output)
    }

    /// `IoDeleteDevice` (after [`DeviceObject::retire`]; a body not taken back is
    /// retired and dropped first).
    pub fn delete(self, q: &Quiesced) {
        drop(self.retire(q));
        let raw = self.raw;
        core::mem::forget(self);
        // SAFETY: no IRP is in flight (`Quiesced`), the body is gone, and `self` was
        // the device's one owner.
        unsafe { IoDeleteDevice(raw.as_ptr()) };
    }

    /// Takes ownership of a pointer a [`DeviceTable`] slot held.
    ///
    /// # Safety
    /// `raw` was stored by [`Reservation::fill`] and ownership is taken back once.
    const unsafe fn from_raw(raw: NonNull<DEVICE_OBJECT>) -> Self {
        Self { raw }
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

/// The published body of `device`, or `None` if it is not (yet, or any more) published.
///
/// # Safety
/// `device` is a valid device object created by [`NewDevice::create`], alive for `'a`.
pub(super) unsafe fn published<'a>(device: *mut DEVICE_OBJECT) -> Option<&'a DeviceKind> {
    // SAFETY: a valid device object of ours (the caller's contract).
    let ext = unsafe { (*device).DeviceExtension }.cast::<Extension>();
    if ext.is_null() {
        return None;
    }
    // SAFETY: every device of ours has an Extension, zero-filled by IoCreateDevice.
    let state = unsafe { &(*ext).state };
    if state.load(Ordering::Acquire) != PUBLISHED {
        return None;
    }
    // SAFETY: the extension is valid for `'a` (the caller's contract).
    let body = unsafe { &(*ext).body };
    // SAFETY: published, so the body was written before the Release store we saw; it
    // is only read (shared) until retirement.
    Some(unsafe { body.assume_init_ref() })
}

/// The driver's own table of devices: fixed capacity, no heap, lock-free slots.
///
/// A slot is free (null), reserved ([`RESERVED`]: a device is being created for it),
/// or owns a published device.
pub struct DeviceTable<const N: usize> {
    slots: [AtomicPtr<DEVICE_OBJECT>; N],
}

/// The marker of a reserved slot: never the address of a device object (they are
/// pool allocations, 16-byte aligned).
const RESERVED: *mut DEVICE_OBJECT = ptr::without_provenance_mut(1);

/// A reserved slot; released on drop unless filled.
pub struct Reservation<'a, const N: usize> {
    table: &'a DeviceTable<N>,
    index: usize,
}

impl<const N: usize> Reservation<'_, N> {
    /// Puts `device` into the reserved slot.
    pub fn fill(self, device: DeviceObject) {
        if let Some(slot) = self.table.slots.get(self.index) {
            slot.store(device.raw.as_ptr(), Ordering::Release);
            // The slot owns the device from here on.
            core::mem::forget(device);
        }
        core::mem::forget(self);
    }
}

impl<const N: usize> Drop for Reservation<'_, N> {
    fn drop(&mut self) {
        if let Some(slot) = self.table.slots.get(self.index) {
            slot.store(ptr::null_mut(), Ordering::Release);
        }
    }
}

impl<const N: usize> DeviceTable<N> {
    /// Empty.
    pub const fn new() -> Self {
        Self {
            slots: [const { AtomicPtr::new(ptr::null_mut()) }; N],
        }
    }

    /// Reserves the first free slot; `None` when every slot is taken.
    pub fn reserve(&self) -> Option<Reservation<'_, N>> {
        self.slots.iter().enumerate().find_map(|(index, slot)| {
            slot.compare_exchange(
                ptr::null_mut(),
                RESERVED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
            .then_some(Reservation { table: self, index })
        })
    }

    /// Takes the device out of slot `index` (`None` when free or only reserved).
    pub fn take(&self, index: usize) -> Option<DeviceObject> {
        let slot = self.slots.get(index)?;
        let raw = slot.load(Ordering::Acquire);
        if raw.is_null() || raw == RESERVED {
            return None;
        }
        slot.compare_exchange(raw, ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire)
            .ok()?;
        // SAFETY: a slot holding a device pointer owns that device (stored by
        // `Reservation::fill`), and the exchange gave it to us alone.
        NonNull::new(raw).map(|raw| unsafe { DeviceObject::from_raw(raw) })
    }

    /// The capacity.
    pub const CAPACITY: usize = N;
}
