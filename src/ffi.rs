//! The one module that knows field paths into WDK structures and re-creates the
//! WDK's inline helpers. Every path below was checked against Microsoft's
//! documentation page for its structure (the WDK's real union nesting), not only
//! against the mingw-w64 headers our Linux build sees:
//!
//! - `IRP`: `IoStatus.Status` (anonymous union → `__bindgen_anon_1`),
//!   `IoStatus.Information`, `AssociatedIrp.SystemBuffer`, `MdlAddress`,
//!   `Tail.Overlay.CurrentStackLocation` (two anonymous levels:
//!   `Tail.Overlay.__bindgen_anon_2.__bindgen_anon_1`). `UserIosb` /
//!   `UserApcContext` differ between mingw and the WDK and are never touched.
//! - `IO_STACK_LOCATION`: `MajorFunction`, `Parameters.Read.{Length,ByteOffset}`,
//!   `Parameters.Write.{Length,ByteOffset}`, `Parameters.DeviceIoControl.
//!   {OutputBufferLength,InputBufferLength,IoControlCode}`.
//! - `MDL`: `MdlFlags`, `MappedSystemVa`.
//! - `DEVICE_OBJECT`: `Flags`, `AlignmentRequirement`, `SectorSize`, `DeviceExtension`.
//! - `DRIVER_OBJECT`: `MajorFunction[]`, `DriverUnload`, `DeviceObject`.
//! - `KEY_VALUE_PARTIAL_INFORMATION`: `Type`, `DataLength`, `Data` (offset 12).
//!
//! Generated `_IRP__bindgen_ty_N` type names are never named: they differ between
//! header sets.

use core::ptr;

use wdk_sys::{
    _MEMORY_CACHING_TYPE::MmCached,
    _MM_PAGE_PRIORITY::NormalPagePriority,
    _MODE::KernelMode,
    CCHAR, DEVICE_OBJECT, DRIVER_DISPATCH, DRIVER_OBJECT, IO_NO_INCREMENT, IO_STACK_LOCATION, IRP,
    MDL, MDL_MAPPED_TO_SYSTEM_VA, MDL_SOURCE_IS_NONPAGED_POOL, NTSTATUS, PVOID, ULONG,
    ntddk::{IofCompleteRequest, MmMapLockedPagesSpecifyCache},
};

/// `MdlMappingNoExecute` (wdm.h): OR-ed into the page priority.
const MDL_MAPPING_NO_EXECUTE: ULONG = 0x4000_0000;

/// `IoGetCurrentIrpStackLocation` (an inline function in wdm.h).
///
/// # Safety
/// `irp` must be a valid IRP owned by the caller's dispatch routine.
pub unsafe fn current_stack_location(irp: *mut IRP) -> *mut IO_STACK_LOCATION {
    // SAFETY: the caller guarantees `irp` is valid; this only projects to the field.
    let field = unsafe {
        &raw const (*irp)
            .Tail
            .Overlay
            .__bindgen_anon_2
            .__bindgen_anon_1
            .CurrentStackLocation
    };
    // SAFETY: the I/O manager set the current stack location before dispatching.
    unsafe { field.read() }
}

/// The major function code of the current stack location.
///
/// # Safety
/// As [`current_stack_location`].
pub unsafe fn major_function(irp: *mut IRP) -> u8 {
    // SAFETY: the caller guarantees a valid IRP.
    let stack = unsafe { current_stack_location(irp) };
    // SAFETY: the stack location of a valid IRP is valid.
    unsafe { (*stack).MajorFunction }
}

/// `Parameters.Read` (`is_write == false`) or `Parameters.Write`: `(ByteOffset, Length)`.
///
/// # Safety
/// As [`current_stack_location`]; the IRP must be a read or write.
pub unsafe fn read_write_params(irp: *mut IRP, is_write: bool) -> (i64, u32) {
    // SAFETY: the caller guarantees a valid IRP.
    let stack = unsafe { current_stack_location(irp) };
    let (offset, length) = if is_write {
        // SAFETY: a write IRP: the Write arm of Parameters is the active one.
        let p = unsafe { &raw const (*stack).Parameters.Write };
        // SAFETY: initialized by the I/O manager for this request.
        let p = unsafe { p.read() };
        // SAFETY: LARGE_INTEGER's QuadPart spans the whole union.
        (unsafe { p.ByteOffset.QuadPart }, p.Length)
    } else {
        // SAFETY: a read IRP: the Read arm of Parameters is the active one.
        let p = unsafe { &raw const (*stack).Parameters.Read };
        // SAFETY: initialized by the I/O manager for this request.
        let p = unsafe { p.read() };
        // SAFETY: LARGE_INTEGER's QuadPart spans the whole union.
        (unsafe { p.ByteOffset.QuadPart }, p.Length)
    };
    (offset, length)
}

/// `Parameters.DeviceIoControl`: `(IoControlCode, InputBufferLength, OutputBufferLength)`.
///
/// # Safety
/// As [`current_stack_location`]; the IRP must be a device control.
pub unsafe fn ioctl_params(irp: *mut IRP) -> (u32, u32, u32) {
    // SAFETY: the caller guarantees a valid IRP.
    let stack = unsafe { current_stack_location(irp) };
    // SAFETY: a device-control IRP: the DeviceIoControl arm is the active one.
    let p = unsafe { &raw const (*stack).Parameters.DeviceIoControl };
    // SAFETY: initialized by the I/O manager for this request.
    let p = unsafe { p.read() };
    (p.IoControlCode, p.InputBufferLength, p.OutputBufferLength)
}

/// `Irp->AssociatedIrp.SystemBuffer`.
///
/// # Safety
/// `irp` must be valid.
pub unsafe fn system_buffer(irp: *mut IRP) -> *mut u8 {
    // SAFETY: a valid IRP; projecting to a pointer-sized union member.
    let field = unsafe { &raw const (*irp).AssociatedIrp.SystemBuffer };
    // SAFETY: every member of this union is pointer-sized; reading it as a pointer is
    // what the WDK does for buffered I/O.
    unsafe { field.read() }.cast()
}

/// `MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority | MdlMappingNoExecute)`
/// (an inline function in wdm.h). Null when there is no MDL or it cannot be mapped.
///
/// # Safety
/// `irp` must be valid; its MDL (if any) describes locked pages.
// The bindings' enum constants are wider than the parameter types (KPROCESSOR_MODE is
// a CCHAR, the priority a ULONG in one header set and an enum in the other); the
// values (0 and 0x4000_0010) fit.
#[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
pub unsafe fn mdl_system_address(irp: *mut IRP) -> *mut u8 {
    // SAFETY: the caller guarantees a valid IRP.
    let mdl: *mut MDL = unsafe { (*irp).MdlAddress };
    if mdl.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: an MDL carried by a valid IRP is valid.
    let flags = u32::from(unsafe { (*mdl).MdlFlags }.cast_unsigned());
    if flags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL) != 0 {
        // SAFETY: as above; the flags say MappedSystemVa is the system address.
        return unsafe { (*mdl).MappedSystemVa }.cast();
    }
    // The enum's Rust type differs between header sets (i32 or u32): `as` covers both.
    #[allow(clippy::cast_sign_loss)]
    let priority = NormalPagePriority as ULONG | MDL_MAPPING_NO_EXECUTE;
    // SAFETY: the MDL describes locked pages (direct I/O); kernel-mode mapping of them.
    unsafe {
        MmMapLockedPagesSpecifyCache(
            mdl,
            KernelMode as _,
            MmCached,
            ptr::null_mut(),
            0,
            priority as _,
        )
    }
    .cast()
}

/// Sets `IoStatus` and completes the IRP (`IoCompleteRequest` is a macro for the
/// `IofCompleteRequest` export). Returns `status` so dispatch routines return
/// exactly what they completed with.
///
/// # Safety
/// `irp` must be valid and not yet completed; it must not be touched afterwards.
pub unsafe fn complete(irp: *mut IRP, status: NTSTATUS, information: usize) -> NTSTATUS {
    // SAFETY: the caller owns the IRP until this completion.
    let io_status = unsafe { &mut (*irp).IoStatus };
    io_status.__bindgen_anon_1.Status = status;
    io_status.Information = information as _;
    // IO_NO_INCREMENT is 0: it fits a CCHAR.
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    let boost = IO_NO_INCREMENT as CCHAR;
    // SAFETY: completes the IRP exactly once.
    unsafe { IofCompleteRequest(irp, boost) };
    status
}

/// `DeviceObject->DeviceExtension`.
///
/// # Safety
/// `device` must be a valid device object.
pub unsafe fn device_extension(device: *mut DEVICE_OBJECT) -> PVOID {
    // SAFETY: reading one pointer field of a valid device object.
    unsafe { (*device).DeviceExtension }
}

/// Sets `Flags |= set`, `Flags &= !clear`.
///
/// # Safety
/// `device` must be a valid device object this driver created.
pub unsafe fn update_device_flags(device: *mut DEVICE_OBJECT, set: u32, clear: u32) {
    // SAFETY: the driver owns its device object's Flags during creation.
    let flags = unsafe { &mut (*device).Flags };
    *flags = (*flags | set) & !clear;
}

/// Sets `AlignmentRequirement` and `SectorSize`.
///
/// # Safety
/// As [`update_device_flags`].
pub unsafe fn set_device_geometry(device: *mut DEVICE_OBJECT, alignment: u32, sector_size: u16) {
    // SAFETY: as above: the device is ours and not yet visible.
    let device = unsafe { &mut *device };
    device.AlignmentRequirement = alignment;
    device.SectorSize = sector_size;
}

/// `DriverObject->DeviceObject` (the first device of the driver).
///
/// # Safety
/// `driver` must be valid.
pub unsafe fn first_device(driver: *mut DRIVER_OBJECT) -> *mut DEVICE_OBJECT {
    // SAFETY: reading one pointer field.
    unsafe { (*driver).DeviceObject }
}

/// Installs the dispatch routine for the given major functions and the unload routine.
///
/// # Safety
/// `driver` must be the driver object handed to `DriverEntry`.
pub unsafe fn set_dispatch(
    driver: *mut DRIVER_OBJECT,
    majors: &[u32],
    routine: DRIVER_DISPATCH,
    unload: unsafe extern "C" fn(*mut DRIVER_OBJECT),
) {
    // SAFETY: DriverEntry owns the driver object.
    let driver = unsafe { &mut *driver };
    for &major in majors {
        if let Some(slot) = driver.MajorFunction.get_mut(major as usize) {
            *slot = routine;
        }
    }
    driver.DriverUnload = Some(unload);
}

/// Byte offset of `Data` in `KEY_VALUE_PARTIAL_INFORMATION` (3 ULONGs).
pub const KEY_VALUE_PARTIAL_DATA_OFFSET: usize = 12;
const _: () = assert!(
    core::mem::offset_of!(wdk_sys::KEY_VALUE_PARTIAL_INFORMATION, Data)
        == KEY_VALUE_PARTIAL_DATA_OFFSET
);

/// `(Type, DataLength)` of a `KEY_VALUE_PARTIAL_INFORMATION` at the start of `buffer`.
pub fn key_value_partial_header(buffer: &[u8]) -> Option<(u32, usize)> {
    let word = |at: usize| {
        buffer
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    };
    Some((word(4)?, word(8)? as usize))
}

/// A `UNICODE_STRING` over a UTF-16 slice (no terminating NUL needed). The slice must
/// outlive every use of the result; lengths are in bytes and fit 16 bits for every
/// name this driver uses (checked: longer slices are cut to an empty string).
pub fn unicode_string(text: &[u16]) -> wdk_sys::UNICODE_STRING {
    let bytes = u16::try_from(core::mem::size_of_val(text)).unwrap_or(0);
    wdk_sys::UNICODE_STRING {
        Length: bytes,
        MaximumLength: bytes,
        Buffer: text.as_ptr().cast_mut(),
    }
}

/// `InitializeObjectAttributes(&oa, name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, root, NULL)`.
pub const fn object_attributes(
    name: *mut wdk_sys::UNICODE_STRING,
    root: wdk_sys::HANDLE,
) -> wdk_sys::OBJECT_ATTRIBUTES {
    wdk_sys::OBJECT_ATTRIBUTES {
        // 48 bytes on x64.
        #[allow(clippy::cast_possible_truncation)]
        Length: core::mem::size_of::<wdk_sys::OBJECT_ATTRIBUTES>() as ULONG,
        RootDirectory: root,
        ObjectName: name,
        Attributes: wdk_sys::OBJ_KERNEL_HANDLE | wdk_sys::OBJ_CASE_INSENSITIVE,
        SecurityDescriptor: ptr::null_mut(),
        SecurityQualityOfService: ptr::null_mut(),
    }
}

/// The characters of a counted `UNICODE_STRING`.
///
/// # Safety
/// `us` must point at a valid `UNICODE_STRING` whose buffer outlives `'a`.
pub unsafe fn unicode_slice<'a>(us: *const wdk_sys::UNICODE_STRING) -> &'a [u16] {
    // SAFETY: the caller guarantees a valid counted string.
    let us = unsafe { &*us };
    if us.Buffer.is_null() {
        return &[];
    }
    // SAFETY: `Buffer` holds `Length` bytes of UTF-16 that outlive `'a`.
    unsafe { core::slice::from_raw_parts(us.Buffer, usize::from(us.Length) / 2) }
}
