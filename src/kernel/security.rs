//! A device object's DACL: set with the documented legacy route, read back as the
//! object manager stores it.
//!
//! Setting: `ObOpenObjectByPointer(WRITE_DAC)` on the device object, an absolute
//! `SECURITY_DESCRIPTOR` built with `RtlCreateSecurityDescriptor`, `RtlCreateAcl`,
//! `RtlAddAccessAllowedAce` (SIDs built by hand from `ramdisk_core::security::Sid`:
//! `SeExports` is a stub data export under Wine) and `RtlSetDaclSecurityDescriptor`,
//! the `SE_DACL_PROTECTED` control bit set in the descriptor's `Control` field, then
//! `ZwSetSecurityObject(DACL_SECURITY_INFORMATION)`. Never `IoCreateDeviceSecure`: it
//! lives in the static `wdmsec.lib` on Windows (Wine exports it from ntoskrnl, so an
//! import would load there and fail on Windows; the PE check rejects it).
//!
//! Reading: `ObOpenObjectByPointer(READ_CONTROL)` + `ZwQuerySecurityObject`, which
//! returns the self-relative form core renders as SDDL.

use core::{ffi::c_void, ptr};

use ramdisk_core::security::{ACL_REVISION, Ace, SE_DACL_PROTECTED, SID_CAPACITY, acl_size};
use wdk_sys::{
    _MODE::KernelMode,
    ACL, DACL_SECURITY_INFORMATION, DEVICE_OBJECT, HANDLE, NTSTATUS, OBJ_KERNEL_HANDLE,
    READ_CONTROL, SECURITY_DESCRIPTOR, STATUS_BUFFER_TOO_SMALL, STATUS_SUCCESS, WRITE_DAC,
    ntddk::{
        ObOpenObjectByPointer, RtlAddAccessAllowedAce, RtlCreateAcl, RtlCreateSecurityDescriptor,
        RtlSetDaclSecurityDescriptor, ZwClose, ZwQuerySecurityObject, ZwSetSecurityObject,
    },
};

/// `SECURITY_DESCRIPTOR_REVISION`.
const SECURITY_DESCRIPTOR_REVISION: u32 = 1;

/// Room for the ACL of up to a few ACEs, `ULONG`-aligned as `RtlCreateAcl` requires.
#[repr(C, align(8))]
struct AclBuffer([u8; 256]);

/// A SID, `ULONG`-aligned.
#[repr(C, align(8))]
struct SidBuffer([u8; SID_CAPACITY]);

/// A kernel handle to an object, closed on drop.
struct ObjectHandle(HANDLE);

impl ObjectHandle {
    /// `ObOpenObjectByPointer(object, OBJ_KERNEL_HANDLE, NULL, access, NULL, KernelMode)`.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "KernelMode is 0; KPROCESSOR_MODE's Rust type differs between header sets"
    )]
    fn open(device: *mut DEVICE_OBJECT, access: u32) -> Result<Self, NTSTATUS> {
        let mut handle: HANDLE = ptr::null_mut();
        // SAFETY: `device` is a live device object of ours (the callers' contract); no
        // object type check is needed in kernel mode; PASSIVE_LEVEL.
        let status = unsafe {
            ObOpenObjectByPointer(
                device.cast(),
                OBJ_KERNEL_HANDLE,
                ptr::null_mut(),
                access,
                ptr::null_mut(),
                KernelMode as _,
                &raw mut handle,
            )
        };
        if status == STATUS_SUCCESS {
            Ok(Self(handle))
        } else {
            Err(status)
        }
    }
}

impl Drop for ObjectHandle {
    fn drop(&mut self) {
        // SAFETY: our kernel handle, closed once.
        let _ = unsafe { ZwClose(self.0) };
    }
}

/// Turns an `NTSTATUS` into a `Result`.
const fn check(status: NTSTATUS) -> Result<(), NTSTATUS> {
    if status == STATUS_SUCCESS {
        Ok(())
    } else {
        Err(status)
    }
}

/// Sets `device`'s DACL to `aces` (allow ACEs, in order), protected.
///
/// # Safety
/// `device` is a live device object of this driver, at `PASSIVE_LEVEL`.
///
/// # Errors
/// The first failing call's status (`STATUS_BUFFER_TOO_SMALL` if the ACL would not
/// fit its buffer).
pub unsafe fn set_dacl(device: *mut DEVICE_OBJECT, aces: &[Ace]) -> Result<(), NTSTATUS> {
    let size = acl_size(aces);
    let mut acl = AclBuffer([0; 256]);
    let Ok(acl_len) = u32::try_from(size) else {
        return Err(STATUS_BUFFER_TOO_SMALL);
    };
    if size > acl.0.len() {
        return Err(STATUS_BUFFER_TOO_SMALL);
    }
    #[expect(
        clippy::cast_ptr_alignment,
        reason = "AclBuffer is 8-byte aligned; RtlCreateAcl needs 4"
    )]
    let acl_ptr = acl.0.as_mut_ptr().cast::<ACL>();
    // SAFETY: a ULONG-aligned buffer of at least `acl_len` bytes.
    check(unsafe { RtlCreateAcl(acl_ptr, acl_len, u32::from(ACL_REVISION)) })?;
    for ace in aces {
        let mut sid = SidBuffer(ace.sid.to_bytes());
        // SAFETY: the ACL was initialised above with room for every ACE; `sid` is a
        // valid SID (revision 1, its sub-authority count matches its length) that
        // RtlAddAccessAllowedAce copies.
        check(unsafe {
            RtlAddAccessAllowedAce(
                acl_ptr,
                u32::from(ACL_REVISION),
                ace.mask,
                sid.0.as_mut_ptr().cast::<c_void>(),
            )
        })?;
    }
    // SAFETY: SECURITY_DESCRIPTOR is plain data; RtlCreateSecurityDescriptor
    // initialises it below.
    let mut sd: SECURITY_DESCRIPTOR = unsafe { core::mem::zeroed() };
    // SAFETY: a live, aligned SECURITY_DESCRIPTOR.
    check(unsafe {
        RtlCreateSecurityDescriptor((&raw mut sd).cast::<c_void>(), SECURITY_DESCRIPTOR_REVISION)
    })?;
    // SAFETY: an absolute descriptor; the ACL outlives its use by ZwSetSecurityObject
    // below (both are locals of this function).
    check(unsafe { RtlSetDaclSecurityDescriptor((&raw mut sd).cast::<c_void>(), 1, acl_ptr, 0) })?;
    // `SECURITY_DESCRIPTOR.Control` (winnt.h): the DACL does not inherit from a parent.
    sd.Control |= SE_DACL_PROTECTED;
    let handle = ObjectHandle::open(device, WRITE_DAC)?;
    // SAFETY: our handle opened for WRITE_DAC; a valid absolute descriptor, which the
    // kernel captures (copies) during the call.
    check(unsafe {
        ZwSetSecurityObject(
            handle.0,
            DACL_SECURITY_INFORMATION,
            (&raw mut sd).cast::<c_void>(),
        )
    })
}

/// Room for a device's self-relative descriptor as read back (8-byte aligned).
#[repr(C, align(8))]
pub struct DescriptorBuffer([u8; 512]);

impl DescriptorBuffer {
    /// Zeroed.
    pub const fn new() -> Self {
        Self([0; 512])
    }
}

/// Reads `device`'s DACL as a self-relative descriptor into `out`; returns those bytes.
///
/// # Safety
/// `device` is a live device object of this driver, at `PASSIVE_LEVEL`.
///
/// # Errors
/// The status of `ObOpenObjectByPointer` or `ZwQuerySecurityObject`
/// (`STATUS_BUFFER_TOO_SMALL` when `out` is too small).
pub unsafe fn read_dacl(
    device: *mut DEVICE_OBJECT,
    out: &mut DescriptorBuffer,
) -> Result<&[u8], NTSTATUS> {
    let handle = ObjectHandle::open(device, READ_CONTROL)?;
    #[expect(clippy::cast_possible_truncation, reason = "512 bytes")]
    let len = out.0.len() as u32;
    let mut needed = 0u32;
    // SAFETY: our handle opened for READ_CONTROL; `out` is live, aligned and `len`
    // bytes long.
    check(unsafe {
        ZwQuerySecurityObject(
            handle.0,
            DACL_SECURITY_INFORMATION,
            out.0.as_mut_ptr().cast(),
            len,
            &raw mut needed,
        )
    })?;
    let n = usize::try_from(needed).unwrap_or(0).min(out.0.len());
    Ok(out.0.get(..n).unwrap_or(&[]))
}
