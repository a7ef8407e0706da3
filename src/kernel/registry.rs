//! Registry keys: `ZwOpenKey` + `ZwQueryValueKey(KeyValuePartialInformation)`.

use core::ptr;

use ramdisk_core::config::{MAX_IMAGE_FILE_DATA, MAX_VALUE_DATA};
use ramdisk_core::mountmgr::MOUNT_MANAGER_VALUE_MAX;
use ramdisk_core::wire::{
    FromBytes,
    registry::{KEY_VALUE_PARTIAL_DATA_OFFSET as DATA_OFFSET, KeyValuePartialInformation},
};
use wdk_sys::{
    _KEY_INFORMATION_CLASS::KeyBasicInformation,
    _KEY_VALUE_INFORMATION_CLASS::{KeyValueFullInformation, KeyValuePartialInformation},
    HANDLE, KEY_BASIC_INFORMATION, KEY_READ, KEY_VALUE_FULL_INFORMATION,
    KEY_VALUE_PARTIAL_INFORMATION, KEY_WRITE, NTSTATUS, REG_DWORD, REG_OPTION_NON_VOLATILE,
    REG_OPTION_VOLATILE, STATUS_BUFFER_OVERFLOW, STATUS_NO_MORE_ENTRIES,
    STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS,
    ntddk::{
        ZwClose, ZwCreateKey, ZwEnumerateKey, ZwEnumerateValueKey, ZwOpenKey, ZwQueryValueKey,
        ZwSetValueKey,
    },
};
#[cfg(feature = "fault-injection")]
use wdk_sys::{REG_BINARY, ntddk::ZwDeleteValueKey};

use super::unicode::{UnicodeString, object_attributes};

// ramdisk-core's wire struct agrees with the header set's `KEY_VALUE_PARTIAL_INFORMATION`.
const _: () = assert!(core::mem::offset_of!(KEY_VALUE_PARTIAL_INFORMATION, Data) == DATA_OFFSET);
const _: () = assert!(
    core::mem::offset_of!(KEY_VALUE_PARTIAL_INFORMATION, Type)
        == core::mem::offset_of!(KeyValuePartialInformation, reg_type)
);
const _: () = assert!(
    core::mem::offset_of!(KEY_VALUE_PARTIAL_INFORMATION, DataLength)
        == core::mem::offset_of!(KeyValuePartialInformation, data_length)
);

/// An open registry key, closed on drop.
pub struct Key(HANDLE);

// SAFETY: a kernel handle (OBJ_KERNEL_HANDLE) may be used from any thread of the
// system process; the registry serialises concurrent calls on one key itself.
unsafe impl Send for Key {}
// SAFETY: as above: every method takes `&self` and is one registry call.
unsafe impl Sync for Key {}

/// A value as `ZwQueryValueKey` reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueInfo {
    /// `Type` (`REG_*`).
    pub reg_type: u32,
    /// `DataLength`: the value's full length, which may exceed what was copied.
    pub len: usize,
}

/// The largest value data the driver reads: a `Parameters` value core accepts (the
/// largest is `ImageFile`, 1024 characters and a NUL), or the fault-injection build's
/// `MountManagerDevice` (64 characters and a NUL).
const LARGEST_VALUE: usize = {
    let short = if MAX_VALUE_DATA > MOUNT_MANAGER_VALUE_MAX {
        MAX_VALUE_DATA
    } else {
        MOUNT_MANAGER_VALUE_MAX
    };
    if MAX_IMAGE_FILE_DATA > short {
        MAX_IMAGE_FILE_DATA
    } else {
        short
    }
};

/// `KEY_VALUE_PARTIAL_INFORMATION` header plus room for the largest value and more
/// (so "too long" is seen as such), 8-byte aligned.
#[repr(C, align(8))]
struct ValueBuffer([u8; DATA_OFFSET + LARGEST_VALUE + 8]);

/// The buffer's size as `ZwQueryValueKey` takes it (2070 bytes rounded up to 2072 by
/// the 8-byte alignment).
#[expect(clippy::cast_possible_truncation, reason = "2072 bytes")]
const VALUE_BUFFER_LEN: u32 = core::mem::size_of::<ValueBuffer>() as u32;
const _: () = assert!(core::mem::size_of::<ValueBuffer>() == 2072);
const _: () = assert!(core::mem::align_of::<ValueBuffer>() == 8);

impl Key {
    /// Opens `name` (absolute, or relative to `root`) for reading.
    ///
    /// # Errors
    /// The status of `ZwOpenKey` (`STATUS_OBJECT_NAME_NOT_FOUND` when it does not exist).
    pub fn open(name: &[u16], root: Option<&Self>) -> Result<Self, NTSTATUS> {
        let mut us = UnicodeString::new(name);
        let mut oa = object_attributes(Some(&mut us), root.map_or(ptr::null_mut(), |k| k.0));
        let mut handle: HANDLE = ptr::null_mut();
        // SAFETY: `oa` and `us` point at live locals; PASSIVE_LEVEL.
        let status = unsafe { ZwOpenKey(&raw mut handle, KEY_READ, &raw mut oa) };
        if status == STATUS_SUCCESS {
            Ok(Self(handle))
        } else {
            Err(status)
        }
    }

    /// Reads value `name`: `Ok(None)` when absent; otherwise its type and full length,
    /// with the data copied into `out` when it fits (a longer value is reported with a
    /// length past `out`, which core rejects as too long).
    ///
    /// # Errors
    /// Any status of `ZwQueryValueKey` other than success, overflow or not found.
    // A frame of its own for the 2 KiB value buffer, never inlined into a caller that
    // holds another (`config::parse`'s): no frame of the release driver above a page.
    #[inline(never)]
    pub fn query(&self, name: &[u16], out: &mut [u8]) -> Result<Option<ValueInfo>, NTSTATUS> {
        let mut us = UnicodeString::new(name);
        let mut buffer = ValueBuffer([0; DATA_OFFSET + LARGEST_VALUE + 8]);
        let mut result_len = 0u32;
        // SAFETY: all pointers are to live locals; the length passed is the buffer's size.
        let status = unsafe {
            ZwQueryValueKey(
                self.0,
                us.as_ptr(),
                KeyValuePartialInformation,
                buffer.0.as_mut_ptr().cast(),
                VALUE_BUFFER_LEN,
                &raw mut result_len,
            )
        };
        match status {
            STATUS_OBJECT_NAME_NOT_FOUND => Ok(None),
            STATUS_SUCCESS | STATUS_BUFFER_OVERFLOW => {
                // Both fill the fixed header (type, full data length).
                let (header, _) =
                    KeyValuePartialInformation::read_from_prefix(&buffer.0).map_err(|_| status)?;
                let (reg_type, len) = (header.reg_type.get(), header.data_length.get() as usize);
                let data = buffer.0.get(DATA_OFFSET..).and_then(|d| d.get(..len));
                match (status, data, out.get_mut(..len)) {
                    (STATUS_SUCCESS, Some(data), Some(dest)) => {
                        dest.copy_from_slice(data);
                        Ok(Some(ValueInfo { reg_type, len }))
                    }
                    _ => Ok(Some(ValueInfo {
                        reg_type,
                        len: len.max(out.len() + 1),
                    })),
                }
            }
            other => Err(other),
        }
    }
}

/// One value as `ZwEnumerateValueKey(KeyValueFullInformation)` returns it.
pub struct Value<'a> {
    /// Its name (UTF-16, no NUL).
    pub name: &'a [u16],
    /// `REG_*`.
    pub reg_type: u32,
    /// Its data.
    pub data: &'a [u8],
}

/// Room for one enumerated value or subkey: the header, a name and data of a few
/// hundred bytes (`MountedDevices`, the test double's database: link names and
/// unique IDs; `Parameters\Disks` subkey names), aligned.
#[repr(C, align(8))]
pub struct EnumBuffer([u8; 1024]);

impl EnumBuffer {
    /// Zeroed.
    pub const fn new() -> Self {
        Self([0; 1024])
    }
}

// ramdisk-core's wire structs agree with the header set's `KEY_VALUE_FULL_INFORMATION`
// and `KEY_BASIC_INFORMATION`.
const _: () = assert!(
    core::mem::offset_of!(KEY_BASIC_INFORMATION, Name)
        == ramdisk_core::wire::registry::KEY_BASIC_NAME_OFFSET
);
const _: () = assert!(
    core::mem::offset_of!(KEY_VALUE_FULL_INFORMATION, Name)
        == ramdisk_core::wire::registry::KEY_VALUE_FULL_NAME_OFFSET
);

/// Writes, and enumeration.
impl Key {
    /// Opens `name` under `root` for reading and writing, creating it if missing
    /// (a volatile key, gone at reboot, when `volatile`).
    ///
    /// # Errors
    /// The status of `ZwCreateKey`.
    pub fn create(name: &[u16], root: &Self, volatile: bool) -> Result<Self, NTSTATUS> {
        let mut us = UnicodeString::new(name);
        let mut oa = object_attributes(Some(&mut us), root.0);
        let mut handle: HANDLE = ptr::null_mut();
        // SAFETY: `oa` and `us` point at live locals; PASSIVE_LEVEL; no class, no
        // disposition wanted.
        let status = unsafe {
            ZwCreateKey(
                &raw mut handle,
                KEY_READ | KEY_WRITE,
                &raw mut oa,
                0,
                ptr::null_mut(),
                if volatile {
                    REG_OPTION_VOLATILE
                } else {
                    REG_OPTION_NON_VOLATILE
                },
                ptr::null_mut(),
            )
        };
        if status == STATUS_SUCCESS {
            Ok(Self(handle))
        } else {
            Err(status)
        }
    }

    /// Writes the `REG_BINARY` value `name`.
    #[cfg(feature = "fault-injection")]
    pub fn set_binary(&self, name: &[u16], data: &[u8]) -> NTSTATUS {
        self.set(name, REG_BINARY, data)
    }

    /// Writes the `REG_DWORD` value `name`.
    pub fn set_dword(&self, name: &[u16], value: u32) -> NTSTATUS {
        self.set(name, REG_DWORD, &value.to_le_bytes())
    }

    /// Writes the value `name` of type `reg_type`.
    fn set(&self, name: &[u16], reg_type: u32, data: &[u8]) -> NTSTATUS {
        let mut us = UnicodeString::new(name);
        let Ok(len) = u32::try_from(data.len()) else {
            return wdk_sys::STATUS_INVALID_PARAMETER;
        };
        // SAFETY: our key handle; `us` and `data` are live for the call, which copies them.
        unsafe {
            ZwSetValueKey(
                self.0,
                us.as_ptr(),
                0,
                reg_type,
                data.as_ptr().cast_mut().cast(),
                len,
            )
        }
    }

    /// Deletes the value `name`.
    #[cfg(feature = "fault-injection")]
    pub fn delete_value(&self, name: &[u16]) -> NTSTATUS {
        let mut us = UnicodeString::new(name);
        // SAFETY: our key handle; `us` is live for the call.
        unsafe { ZwDeleteValueKey(self.0, us.as_ptr()) }
    }

    /// The value at `index` (`Ok(None)` past the last), read into `buffer`.
    ///
    /// # Errors
    /// A status of `ZwEnumerateValueKey` other than success or no more entries
    /// (`STATUS_BUFFER_OVERFLOW` for a value too large for the buffer).
    pub fn value_at<'b>(
        &self,
        index: u32,
        buffer: &'b mut EnumBuffer,
    ) -> Result<Option<Value<'b>>, NTSTATUS> {
        use ramdisk_core::wire::registry::{KEY_VALUE_FULL_NAME_OFFSET, KeyValueFullInformation};
        let (key, info) = (self.0, KeyValueFullInformation);
        // SAFETY: our key handle; the call writes at most `len` bytes of `out`.
        let Some(bytes) = enumerate(buffer, |out, len, result| unsafe {
            ZwEnumerateValueKey(key, index, info, out, len, result)
        })?
        else {
            return Ok(None);
        };
        let (h, _) = KeyValueFullInformation::read_from_prefix(bytes)
            .map_err(|_| wdk_sys::STATUS_INVALID_PARAMETER)?;
        let name = utf16_at(bytes, KEY_VALUE_FULL_NAME_OFFSET, h.name_length.get())?;
        let data_at = h.data_offset.get() as usize;
        let data = bytes
            .get(data_at..data_at + h.data_length.get() as usize)
            .ok_or(wdk_sys::STATUS_INVALID_PARAMETER)?;
        Ok(Some(Value {
            name,
            reg_type: h.reg_type.get(),
            data,
        }))
    }

    /// The name of the subkey at `index` (`Ok(None)` past the last), read into `buffer`.
    ///
    /// # Errors
    /// A status of `ZwEnumerateKey` other than success or no more entries
    /// (`STATUS_BUFFER_OVERFLOW` for a name too long for the buffer).
    pub fn subkey_at<'b>(
        &self,
        index: u32,
        buffer: &'b mut EnumBuffer,
    ) -> Result<Option<&'b [u16]>, NTSTATUS> {
        use ramdisk_core::wire::registry::{KEY_BASIC_NAME_OFFSET, KeyBasicInformation as Basic};
        let key = self.0;
        // SAFETY: our key handle; the call writes at most `len` bytes of `out`.
        let Some(bytes) = enumerate(buffer, |out, len, result| unsafe {
            ZwEnumerateKey(key, index, KeyBasicInformation, out, len, result)
        })?
        else {
            return Ok(None);
        };
        let (h, _) =
            Basic::read_from_prefix(bytes).map_err(|_| wdk_sys::STATUS_INVALID_PARAMETER)?;
        utf16_at(bytes, KEY_BASIC_NAME_OFFSET, h.name_length.get()).map(Some)
    }
}

/// One `ZwEnumerate*Key` call into `buffer` (`call(out, len, &mut result_len)`): its
/// bytes, or `None` past the last entry.
fn enumerate(
    buffer: &mut EnumBuffer,
    call: impl FnOnce(*mut core::ffi::c_void, u32, *mut u32) -> NTSTATUS,
) -> Result<Option<&[u8]>, NTSTATUS> {
    let mut result_len = 0u32;
    #[expect(clippy::cast_possible_truncation, reason = "1024 bytes")]
    let len = buffer.0.len() as u32;
    match call(buffer.0.as_mut_ptr().cast(), len, &raw mut result_len) {
        STATUS_NO_MORE_ENTRIES => Ok(None),
        STATUS_SUCCESS => Ok(Some(&buffer.0)),
        other => Err(other),
    }
}

/// `len` bytes of UTF-16 at `at` of an enumeration buffer (little-endian, as x64 is;
/// at an even offset of the 8-aligned buffer, so u16-aligned: zerocopy checks both).
fn utf16_at(bytes: &[u8], at: usize, len: u32) -> Result<&[u16], NTSTATUS> {
    let raw = bytes
        .get(at..at + len as usize)
        .ok_or(wdk_sys::STATUS_INVALID_PARAMETER)?;
    <[u16]>::ref_from_bytes(raw).map_err(|_| wdk_sys::STATUS_INVALID_PARAMETER)
}

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: we opened this kernel handle and close it once.
        let _ = unsafe { ZwClose(self.0) };
    }
}
