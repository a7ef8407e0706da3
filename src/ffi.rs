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
    // SAFETY: the caller guarantees `irp` is valid; this reads one pointer field.
    unsafe {
        (*irp)
            .Tail
            .Overlay
            .__bindgen_anon_2
            .__bindgen_anon_1
            .CurrentStackLocation
    }
}

/// The major function code of the current stack location.
///
/// # Safety
/// As [`current_stack_location`].
pub unsafe fn major_function(irp: *mut IRP) -> u8 {
    // SAFETY: the stack location of a valid IRP is valid.
    unsafe { (*current_stack_location(irp)).MajorFunction }
}

/// `Parameters.Read` (`is_write == false`) or `Parameters.Write`: `(ByteOffset, Length)`.
///
/// # Safety
/// As [`current_stack_location`]; the IRP must be a read or write.
pub unsafe fn read_write_params(irp: *mut IRP, is_write: bool) -> (i64, u32) {
    // SAFETY: the caller guarantees a read/write IRP, so the Read/Write arm is active.
    unsafe {
        let stack = current_stack_location(irp);
        if is_write {
            let p = &(*stack).Parameters.Write;
            (p.ByteOffset.QuadPart, p.Length)
        } else {
            let p = &(*stack).Parameters.Read;
            (p.ByteOffset.QuadPart, p.Length)
        }
    }
}

/// `Parameters.DeviceIoControl`: `(IoControlCode, InputBufferLength, OutputBufferLength)`.
///
/// # Safety
/// As [`current_stack_location`]; the IRP must be a device control.
pub unsafe fn ioctl_params(irp: *mut IRP) -> (u32, u32, u32) {
    // SAFETY: the caller guarantees a device-control IRP.
    unsafe {
        let p = &(*current_stack_location(irp)).Parameters.DeviceIoControl;
        (p.IoControlCode, p.InputBufferLength, p.OutputBufferLength)
    }
}

/// `Irp->AssociatedIrp.SystemBuffer`.
///
/// # Safety
/// `irp` must be valid.
pub unsafe fn system_buffer(irp: *mut IRP) -> *mut u8 {
    // SAFETY: reading a pointer-sized union member of a valid IRP.
    unsafe { (*irp).AssociatedIrp.SystemBuffer.cast() }
}

/// `MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority | MdlMappingNoExecute)`
/// (an inline function in wdm.h). Null when there is no MDL or it cannot be mapped.
///
/// # Safety
/// `irp` must be valid; its MDL (if any) describes locked pages.
pub unsafe fn mdl_system_address(irp: *mut IRP) -> *mut u8 {
    // SAFETY: the caller guarantees a valid IRP; an MDL it carries is valid and locked.
    unsafe {
        let mdl: *mut MDL = (*irp).MdlAddress;
        if mdl.is_null() {
            return ptr::null_mut();
        }
        let flags = u32::from((*mdl).MdlFlags.cast_unsigned());
        if flags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL) != 0 {
            return (*mdl).MappedSystemVa.cast();
        }
        MmMapLockedPagesSpecifyCache(
            mdl,
            KernelMode as _,
            MmCached,
            ptr::null_mut(),
            0,
            (NormalPagePriority as ULONG | MDL_MAPPING_NO_EXECUTE) as _,
        )
        .cast()
    }
}

/// Sets `IoStatus` and completes the IRP (`IoCompleteRequest` is a macro for the
/// `IofCompleteRequest` export). Returns `status` so dispatch routines return
/// exactly what they completed with.
///
/// # Safety
/// `irp` must be valid and not yet completed; it must not be touched afterwards.
pub unsafe fn complete(irp: *mut IRP, status: NTSTATUS, information: usize) -> NTSTATUS {
    // SAFETY: the caller owns the IRP until this completion.
    unsafe {
        (*irp).IoStatus.__bindgen_anon_1.Status = status;
        (*irp).IoStatus.Information = information as _;
        IofCompleteRequest(irp, IO_NO_INCREMENT as CCHAR);
    }
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
    unsafe { (*device).Flags = ((*device).Flags | set) & !clear };
}

/// Sets `AlignmentRequirement` and `SectorSize`.
///
/// # Safety
/// As [`update_device_flags`].
pub unsafe fn set_device_geometry(device: *mut DEVICE_OBJECT, alignment: u32, sector_size: u16) {
    // SAFETY: as above.
    unsafe {
        (*device).AlignmentRequirement = alignment;
        (*device).SectorSize = sector_size;
    }
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
    // SAFETY: DriverEntry owns the driver object; indices are IRP_MJ_* codes < 28.
    unsafe {
        for &major in majors {
            if let Some(slot) = (*driver).MajorFunction.get_mut(major as usize) {
                *slot = routine;
            }
        }
        (*driver).DriverUnload = Some(unload);
    }
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
pub fn object_attributes(
    name: *mut wdk_sys::UNICODE_STRING,
    root: wdk_sys::HANDLE,
) -> wdk_sys::OBJECT_ATTRIBUTES {
    wdk_sys::OBJECT_ATTRIBUTES {
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
    unsafe {
        let us = &*us;
        if us.Buffer.is_null() {
            return &[];
        }
        core::slice::from_raw_parts(us.Buffer, usize::from(us.Length) / 2)
    }
}
