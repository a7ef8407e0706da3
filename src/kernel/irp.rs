//! An owned IRP: read its parameters, map its buffer, complete it exactly once.
//!
//! [`Irp`] is handed to the driver's dispatch code by [`dispatch`] and must end in
//! [`Irp::complete`] (or [`Irp::pend`] followed by [`PendingIrp::complete`]); both
//! consume it, and the [`Completion`] token they return is the only thing a
//! dispatch routine can return, so "completed exactly once" is a type fact, not a
//! comment. An `Irp` or `PendingIrp` dropped without completing is completed with
//! `STATUS_INTERNAL_ERROR` and logged.

use core::{marker::PhantomData, ptr::NonNull};

use ramdisk_core::{
    request::{Range, mdl_mapping_priority},
    status,
};
use ramdisk_store::{ChunkAlloc, Store, StoreError, rundown::Held};
use wdk_sys::{
    _MEMORY_CACHING_TYPE::MmCached,
    _MODE::KernelMode,
    DEVICE_OBJECT, FILE_OBJECT, IO_NO_INCREMENT, IO_STACK_LOCATION, IRP, IRP_MJ_CLEANUP,
    IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, IRP_MJ_FLUSH_BUFFERS, IRP_MJ_READ,
    IRP_MJ_SHUTDOWN, IRP_MJ_WRITE, MDL, MDL_MAPPED_TO_SYSTEM_VA, MDL_SOURCE_IS_NONPAGED_POOL,
    NTSTATUS, SL_PENDING_RETURNED,
    ntddk::{IofCompleteRequest, MmMapLockedPagesSpecifyCache},
};

/// `METHOD_BUFFERED`: the low two bits of an IOCTL code.
const METHOD_BUFFERED: u32 = 0;

/// The major functions the driver serves; every other one is
/// `STATUS_INVALID_DEVICE_REQUEST` (the I/O manager's default).
pub const SERVED: [u32; 8] = [
    IRP_MJ_CREATE,
    IRP_MJ_CLOSE,
    IRP_MJ_CLEANUP,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_FLUSH_BUFFERS,
    IRP_MJ_SHUTDOWN,
];

/// What an IRP asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Major {
    /// `IRP_MJ_CREATE`.
    Create,
    /// `IRP_MJ_CLOSE`.
    Close,
    /// `IRP_MJ_CLEANUP`.
    Cleanup,
    /// `IRP_MJ_READ`.
    Read,
    /// `IRP_MJ_WRITE`.
    Write,
    /// `IRP_MJ_DEVICE_CONTROL`.
    DeviceControl,
    /// `IRP_MJ_FLUSH_BUFFERS`.
    FlushBuffers,
    /// `IRP_MJ_SHUTDOWN` (sent to devices registered with
    /// `IoRegisterShutdownNotification`, and by a file system to its target device
    /// when it shuts down).
    Shutdown,
    /// Anything else (never routed to us: only [`SERVED`] are installed).
    Other(u8),
}

/// The proof that an IRP was completed (or pended): what a dispatch routine returns.
#[must_use = "return it from the dispatch routine"]
pub struct Completion(NTSTATUS);

impl Completion {
    /// The status the dispatch routine returns to the I/O manager.
    pub const fn status(&self) -> NTSTATUS {
        self.0
    }
}

/// An IRP this driver owns until it completes it.
pub struct Irp {
    raw: NonNull<IRP>,
}

/// `Parameters.DeviceIoControl` and the buffer of a device-control IRP.
pub struct Ioctl<'a> {
    /// `IoControlCode`.
    pub code: u32,
    /// `InputBufferLength`.
    pub input_len: usize,
    /// `OutputBufferLength`.
    pub output_len: usize,
    /// `AssociatedIrp.SystemBuffer` as `max(input_len, output_len)` bytes for a
    /// `METHOD_BUFFERED` code; empty for any other method (or no buffer), which
    /// `ramdisk-core` rejects.
    pub buffer: &'a mut [u8],
}

/// The file object a request came through. Opaque: the driver keeps no per-open
/// state, and no reply may depend on it (the mount manager sends its own IRPs with
/// none).
pub struct FileObject<'a> {
    _raw: NonNull<FILE_OBJECT>,
    _irp: PhantomData<&'a Irp>,
}

/// The caller's buffer of a read or write, mapped into system space: `len` bytes
/// that are not disk memory, valid while the IRP is not completed.
pub struct IoBuffer<'a> {
    ptr: NonNull<u8>,
    len: usize,
    chained: bool,
    _irp: PhantomData<&'a Irp>,
}

impl IoBuffer<'_> {
    /// `MDL.ByteCount`: bytes the buffer really has.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the MDL is chained (`Next` not NULL): more buffer than `len` describes.
    pub const fn is_chained(&self) -> bool {
        self.chained
    }

    /// Copies `range` of `store` into the start of the buffer (`held`: the IRP's
    /// reference on its device, by which a dynamic store counts the request).
    ///
    /// # Errors
    /// [`StoreError::OutOfRange`] when the range is longer than the buffer or ends
    /// past the store; what [`Store::read`] reports.
    pub fn read_from<A: ChunkAlloc>(
        &mut self,
        store: &Store<A>,
        held: Held<'_>,
        range: Range,
    ) -> Result<(), StoreError> {
        if range.length() > self.len {
            return Err(StoreError::OutOfRange);
        }
        // SAFETY: the buffer maps `self.len >= range.length()` bytes of the caller's
        // locked pages, which are not store memory and stay mapped until the IRP
        // completes (it cannot while `self` borrows it).
        unsafe { store.read_held(held, range, self.ptr.as_ptr()) }
    }

    /// Copies the start of the buffer onto `range` of `store` (`held`: as for
    /// [`IoBuffer::read_from`]).
    ///
    /// # Errors
    /// As [`IoBuffer::read_from`], and what [`Store::write`] reports.
    pub fn write_to<A: ChunkAlloc>(
        &self,
        store: &Store<A>,
        held: Held<'_>,
        range: Range,
    ) -> Result<(), StoreError> {
        if range.length() > self.len {
            return Err(StoreError::OutOfRange);
        }
        // SAFETY: as in `read_from`; the I/O manager does not write a write
        // request's buffer while the driver owns the IRP.
        unsafe { store.write_held(held, range, self.ptr.as_ptr().cast_const()) }
    }
}

impl Irp {
    /// `IoGetCurrentIrpStackLocation` (an inline function in wdm.h).
    fn stack(&self) -> *mut IO_STACK_LOCATION {
        // SAFETY: we own a valid IRP.
        unsafe { current_stack(self.raw) }
    }

    /// `IO_STACK_LOCATION.FileObject`: `None` for an IRP its sender built without one
    /// (`IoBuildDeviceIoControlRequest`, the mount manager's requests).
    pub fn file_object(&self) -> Option<FileObject<'_>> {
        // SAFETY: the current stack location of a valid IRP is valid.
        let raw = unsafe { (*self.stack()).FileObject };
        NonNull::new(raw).map(|raw| FileObject {
            _raw: raw,
            _irp: PhantomData,
        })
    }

    /// The major function.
    pub fn major(&self) -> Major {
        // SAFETY: we own a valid IRP.
        unsafe { major_of(self.raw) }
    }

    /// `(ByteOffset, Length)` of a read or write (`None` for any other IRP).
    pub fn read_write(&self) -> Option<(i64, u32)> {
        let stack = self.stack();
        match self.major() {
            Major::Read => {
                // SAFETY: a read IRP: the Read arm of Parameters is the active one.
                let p = unsafe { &raw const (*stack).Parameters.Read };
                // SAFETY: initialised by the I/O manager for this request.
                let p = unsafe { p.read() };
                // SAFETY: LARGE_INTEGER's QuadPart spans the whole union.
                Some((unsafe { p.ByteOffset.QuadPart }, p.Length))
            }
            Major::Write => {
                // SAFETY: a write IRP: the Write arm of Parameters is the active one.
                let p = unsafe { &raw const (*stack).Parameters.Write };
                // SAFETY: initialised by the I/O manager for this request.
                let p = unsafe { p.read() };
                // SAFETY: LARGE_INTEGER's QuadPart spans the whole union.
                Some((unsafe { p.ByteOffset.QuadPart }, p.Length))
            }
            _ => None,
        }
    }

    /// The parameters and buffer of a device-control IRP (`None` for any other IRP).
    pub fn ioctl(&mut self) -> Option<Ioctl<'_>> {
        if self.major() != Major::DeviceControl {
            return None;
        }
        // SAFETY: a device-control IRP we own; the buffer borrows `self`.
        Some(unsafe { ioctl_of(self.raw, self.stack()) })
    }

    /// Whether the file object's `FileName` is empty (or there is no file object): the
    /// open named the device itself, not something below it (`\\.\Device\x`).
    pub fn file_name_is_empty(&self) -> bool {
        // SAFETY: the current stack location of a valid IRP is valid.
        let file = unsafe { (*self.stack()).FileObject };
        if file.is_null() {
            return true;
        }
        // SAFETY: a file object the I/O manager passes with the IRP is valid while we
        // own the IRP; reading one USHORT of its `FileName`.
        unsafe { (*file).FileName.Length == 0 }
    }

    /// `Irp->Flags` (`IRP_PAGING_IO`, `IRP_NOCACHE`, ...).
    fn flags(&self) -> u32 {
        // SAFETY: a valid IRP; reading one ULONG field.
        unsafe { (*self.raw.as_ptr()).Flags }
    }

    /// The read/write buffer: `Irp->MdlAddress` mapped like
    /// `MmGetSystemAddressForMdlSafe` (an inline function in wdm.h), with the priority
    /// `ramdisk-core` picks from `Irp->Flags` ([`mdl_mapping_priority`]:
    /// `HighPagePriority` for paging I/O, `NormalPagePriority` otherwise, both
    /// `MdlMappingNoExecute`). `None` when there is no MDL or it cannot be mapped.
    // The bindings' enum constants are wider than the parameter types (KPROCESSOR_MODE
    // is a CCHAR, the priority a ULONG in one header set and an enum in the other).
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        clippy::cast_sign_loss,
        reason = "KernelMode is 0 and the priority at most 0x4000_0020: both fit every header set's type, whose Rust types differ"
    )]
    pub fn io_buffer(&self) -> Option<IoBuffer<'_>> {
        // SAFETY: a valid IRP.
        let mdl: *mut MDL = unsafe { (*self.raw.as_ptr()).MdlAddress };
        let mdl = NonNull::new(mdl)?;
        // SAFETY: an MDL carried by a valid IRP is valid until the IRP completes.
        let m = unsafe { mdl.as_ptr().read() };
        let (flags, mapped, len, next) = (
            u32::from(m.MdlFlags.cast_unsigned()),
            m.MappedSystemVa,
            m.ByteCount,
            m.Next,
        );
        let va = if flags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL) != 0 {
            mapped
        } else {
            let priority = mdl_mapping_priority(self.flags());
            // SAFETY: a direct-I/O MDL describes locked pages; a kernel-mode mapping
            // of them, released by the I/O manager with the MDL.
            unsafe {
                MmMapLockedPagesSpecifyCache(
                    mdl.as_ptr(),
                    KernelMode as _,
                    MmCached,
                    core::ptr::null_mut(),
                    0,
                    priority as _,
                )
            }
        };
        Some(IoBuffer {
            ptr: NonNull::new(va.cast::<u8>())?,
            len: len as usize,
            chained: !next.is_null(),
            _irp: PhantomData,
        })
    }

    /// Sets `IoStatus` and completes the IRP (`IoCompleteRequest` is a macro for
    /// `IofCompleteRequest`).
    pub fn complete(self, status: NTSTATUS, information: usize) -> Completion {
        let raw = self.into_raw();
        // SAFETY: we owned `raw` and give it up here, exactly once.
        unsafe { complete_raw(raw, status, information) };
        Completion(status)
    }

    /// `IoMarkIrpPending`: the IRP will be completed later, possibly on another
    /// thread; the dispatch routine returns the `STATUS_PENDING` [`Completion`].
    pub fn pend(self) -> (PendingIrp, Completion) {
        // The current stack location of a valid IRP we own; `Control` is ours to set
        // while we own the IRP (that is all IoMarkIrpPending does).
        // SL_PENDING_RETURNED is 0x01: it fits the UCHAR.
        #[expect(clippy::cast_possible_truncation, reason = "0x01 fits a UCHAR")]
        let pending = SL_PENDING_RETURNED as u8;
        let stack = self.stack();
        // SAFETY: see above.
        unsafe { (*stack).Control |= pending };
        let raw = self.into_raw();
        (PendingIrp { raw }, Completion(wdk_sys::STATUS_PENDING))
    }

    /// Drops the IRP without completing it, as a bug would: `Drop` completes it with
    /// `STATUS_INTERNAL_ERROR` and logs it (the fault-injection build's test IOCTL).
    #[cfg(feature = "fault-injection")]
    pub fn drop_for_test(self) -> Completion {
        drop(self);
        Completion(status::STATUS_INTERNAL_ERROR)
    }

    /// Gives up ownership without completing.
    const fn into_raw(self) -> NonNull<IRP> {
        let raw = self.raw;
        core::mem::forget(self);
        raw
    }
}

impl Drop for Irp {
    fn drop(&mut self) {
        log!(error: "an IRP was dropped without completing it; completed with STATUS_INTERNAL_ERROR");
        // SAFETY: the IRP was never completed (complete/pend forget `self`).
        unsafe { complete_raw(self.raw, status::STATUS_INTERNAL_ERROR, 0) };
    }
}

/// A pended IRP: complete it from any thread.
pub struct PendingIrp {
    raw: NonNull<IRP>,
}

// SAFETY: a pended IRP may be completed from any thread at PASSIVE..DISPATCH_LEVEL.
unsafe impl Send for PendingIrp {}

impl PendingIrp {
    /// The major function of the pended IRP.
    pub fn major(&self) -> Major {
        // SAFETY: we own the pended IRP; its current stack location is still ours.
        unsafe { major_of(self.raw) }
    }

    /// The device the IRP was sent to (`IO_STACK_LOCATION.DeviceObject`, which
    /// `IoCallDriver` sets), to find the disk a pended `IRP_MJ_SHUTDOWN` is for.
    pub fn target(&self) -> DeviceId {
        // SAFETY: we own the pended IRP; its current stack location is still ours.
        let stack = unsafe { current_stack(self.raw) };
        // SAFETY: a valid stack location of our IRP; one pointer read.
        DeviceId(unsafe { (*stack).DeviceObject }.addr())
    }

    /// The parameters and buffer of the pended device-control IRP (`None` for any
    /// other IRP).
    pub fn ioctl(&mut self) -> Option<Ioctl<'_>> {
        // SAFETY: we own the pended IRP; its current stack location is still ours.
        let stack = unsafe { current_stack(self.raw) };
        if self.major() != Major::DeviceControl {
            return None;
        }
        // SAFETY: a device-control IRP we own; the buffer borrows `self`, so it ends
        // before the completion.
        Some(unsafe { ioctl_of(self.raw, stack) })
    }

    /// Gives the IRP up without completing it, for the control worker's queue.
    pub(super) const fn into_raw(self) -> NonNull<IRP> {
        let raw = self.raw;
        core::mem::forget(self);
        raw
    }

    /// Takes back an IRP [`PendingIrp::into_raw`] gave up.
    ///
    /// # Safety
    /// `raw` came from `into_raw` and is taken back once.
    pub(super) const unsafe fn from_raw(raw: NonNull<IRP>) -> Self {
        Self { raw }
    }

    /// Sets `IoStatus` and completes the IRP.
    pub fn complete(self, status: NTSTATUS, information: usize) {
        let raw = self.raw;
        core::mem::forget(self);
        // SAFETY: we owned `raw` and give it up here, exactly once.
        unsafe { complete_raw(raw, status, information) };
    }
}

impl Drop for PendingIrp {
    fn drop(&mut self) {
        log!(
            error: "a pended IRP was dropped without completing it; completed with STATUS_INTERNAL_ERROR"
        );
        // SAFETY: the IRP was never completed (complete forgets `self`).
        unsafe { complete_raw(self.raw, status::STATUS_INTERNAL_ERROR, 0) };
    }
}

/// A device object's address: compared, never dereferenced (which disk a pended IRP
/// is for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceId(pub(super) usize);

/// The major function of the current stack location.
///
/// # Safety
/// `irp` is a valid IRP the caller owns.
unsafe fn major_of(irp: NonNull<IRP>) -> Major {
    // SAFETY: the caller's contract.
    let stack = unsafe { current_stack(irp) };
    // SAFETY: the current stack location of a valid IRP is valid.
    let major = unsafe { (*stack).MajorFunction };
    match u32::from(major) {
        IRP_MJ_CREATE => Major::Create,
        IRP_MJ_CLOSE => Major::Close,
        IRP_MJ_CLEANUP => Major::Cleanup,
        IRP_MJ_READ => Major::Read,
        IRP_MJ_WRITE => Major::Write,
        IRP_MJ_DEVICE_CONTROL => Major::DeviceControl,
        IRP_MJ_FLUSH_BUFFERS => Major::FlushBuffers,
        IRP_MJ_SHUTDOWN => Major::Shutdown,
        _ => Major::Other(major),
    }
}

/// `IoGetCurrentIrpStackLocation` (an inline function in wdm.h).
///
/// # Safety
/// `irp` is a valid IRP the caller owns.
unsafe fn current_stack(irp: NonNull<IRP>) -> *mut IO_STACK_LOCATION {
    // SAFETY: a valid IRP (the caller's contract); this only projects to the field.
    let field = unsafe {
        &raw const (*irp.as_ptr())
            .Tail
            .Overlay
            .__bindgen_anon_2
            .__bindgen_anon_1
            .CurrentStackLocation
    };
    // SAFETY: the I/O manager set the current stack location before dispatching.
    unsafe { field.read() }
}

/// `Parameters.DeviceIoControl` and the `METHOD_BUFFERED` system buffer of `irp`.
///
/// # Safety
/// `irp` is a valid device-control IRP owned by the caller, `stack` its current stack
/// location; the buffer is used only until the IRP completes (`'a`).
unsafe fn ioctl_of<'a>(irp: NonNull<IRP>, stack: *mut IO_STACK_LOCATION) -> Ioctl<'a> {
    // SAFETY: a device-control IRP: the DeviceIoControl arm is the active one.
    let p = unsafe { &raw const (*stack).Parameters.DeviceIoControl };
    // SAFETY: initialised by the I/O manager for this request.
    let p = unsafe { p.read() };
    let (input_len, output_len) = (p.InputBufferLength as usize, p.OutputBufferLength as usize);
    // SAFETY: a valid IRP; projecting to a pointer-sized union member.
    let field = unsafe { &raw const (*irp.as_ptr()).AssociatedIrp.SystemBuffer };
    // SAFETY: every member of this union is pointer-sized; reading it as a pointer
    // is what the WDK does for buffered I/O.
    let system_buffer = unsafe { field.read() };
    let len = input_len.max(output_len);
    let buffer: &mut [u8] = match NonNull::new(system_buffer.cast::<u8>()) {
        Some(buf) if p.IoControlCode & 3 == METHOD_BUFFERED && len > 0 => {
            // SAFETY: for METHOD_BUFFERED the I/O manager allocated a SystemBuffer of
            // max(input, output) bytes, private to this IRP until it completes; the
            // caller uses the slice only until then.
            unsafe { core::slice::from_raw_parts_mut(buf.as_ptr(), len) }
        }
        _ => &mut [],
    };
    Ioctl {
        code: p.IoControlCode,
        input_len,
        output_len,
        buffer,
    }
}

/// Sets `IoStatus` and calls `IofCompleteRequest`.
///
/// # Safety
/// `irp` is valid, owned by the caller, not yet completed, and not touched afterwards.
unsafe fn complete_raw(irp: NonNull<IRP>, status: NTSTATUS, information: usize) {
    // SAFETY: the caller owns the IRP until this completion.
    let io_status = unsafe { &mut (*irp.as_ptr()).IoStatus };
    io_status.__bindgen_anon_1.Status = status;
    io_status.Information = information as _;
    // IO_NO_INCREMENT is 0: it fits a CCHAR.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        reason = "IO_NO_INCREMENT is 0 and fits a CCHAR; its Rust type differs between header sets"
    )]
    let boost = IO_NO_INCREMENT as i8;
    // SAFETY: completes the IRP exactly once.
    unsafe { IofCompleteRequest(irp.as_ptr(), boost) };
}

/// The driver's one dispatch routine, installed for every major function in
/// [`SERVED`]: wraps the IRP and hands it to the device router.
///
/// # Safety
/// Called by the I/O manager with one of this driver's device objects and a valid IRP.
pub unsafe extern "C" fn dispatch(device: *mut DEVICE_OBJECT, irp: *mut IRP) -> NTSTATUS {
    let Some(raw) = NonNull::new(irp) else {
        return status::STATUS_INVALID_PARAMETER;
    };
    let irp = Irp { raw };
    // SAFETY: the I/O manager passes one of our own device objects, alive while it
    // dispatches to it.
    match unsafe { super::device_object::enter(device) } {
        Some((entered, kind)) => {
            let completion = crate::device::route(Some((kind, entered.held())), irp);
            // The reference goes after the IRP completed (or was queued): the body was
            // used until here.
            drop(entered);
            completion.status()
        }
        None => crate::device::route(None, irp).status(),
    }
}
