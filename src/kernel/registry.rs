//! Registry keys: `ZwOpenKey` + `ZwQueryValueKey(KeyValuePartialInformation)`.

use core::ptr;

use ramdisk_core::config::MAX_VALUE_DATA;
use ramdisk_core::mountmgr::MOUNT_MANAGER_VALUE_MAX;
use ramdisk_core::wire::{
    FromBytes,
    registry::{KEY_VALUE_PARTIAL_DATA_OFFSET as DATA_OFFSET, KeyValuePartialInformation},
};
#[cfg(feature = "fault-injection")]
use wdk_sys::{
    _KEY_VALUE_INFORMATION_CLASS::KeyValueFullInformation,
    KEY_VALUE_FULL_INFORMATION, KEY_WRITE, REG_BINARY, REG_OPTION_NON_VOLATILE,
    STATUS_NO_MORE_ENTRIES,
    ntddk::{ZwCreateKey, ZwDeleteValueKey, ZwEnumerateValueKey, ZwSetValueKey},
};
use wdk_sys::{
    _KEY_VALUE_INFORMATION_CLASS::KeyValuePartialInformation,
    HANDLE, KEY_READ, KEY_VALUE_PARTIAL_INFORMATION, NTSTATUS, STATUS_BUFFER_OVERFLOW,
    STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS,
    ntddk::{ZwClose, ZwOpenKey, ZwQueryValueKey},
};

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

/// The largest value data the driver reads: a `Parameters` value core accepts, or the
/// fault-injection build's `MountManagerDevice` (64 characters and a NUL).
const LARGEST_VALUE: usize = if MAX_VALUE_DATA > MOUNT_MANAGER_VALUE_MAX {
    MAX_VALUE_DATA
} else {
    MOUNT_MANAGER_VALUE_MAX
};

/// `KEY_VALUE_PARTIAL_INFORMATION` header plus room for the largest value and more
/// (so "too long" is seen as such), 8-byte aligned.
#[repr(C, align(8))]
struct ValueBuffer([u8; DATA_OFFSET + LARGEST_VALUE + 8]);

/// The buffer's size as `ZwQueryValueKey` takes it (150 bytes rounded up to 152 by
/// the 8-byte alignment).
#[expect(clippy::cast_possible_truncation, reason = "152 bytes")]
const VALUE_BUFFER_LEN: u32 = core::mem::size_of::<ValueBuffer>() as u32;
const _: () = assert!(core::mem::size_of::<ValueBuffer>() == 152);
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
#[cfg(feature = "fault-injection")]
pub struct Value<'a> {
    /// Its name (UTF-16, no NUL).
    pub name: &'a [u16],
    /// `REG_*`.
    pub reg_type: u32,
    /// Its data.
    pub data: &'a [u8],
}

/// Room for one enumerated value: the 20-byte header, a name and data of a few
/// hundred bytes (the test double's database: link names and unique IDs), aligned.
#[cfg(feature = "fault-injection")]
#[repr(C, align(8))]
pub struct EnumBuffer([u8; 1024]);

#[cfg(feature = "fault-injection")]
impl EnumBuffer {
    /// Zeroed.
    pub const fn new() -> Self {
        Self([0; 1024])
    }
}

// ramdisk-core's wire struct agrees with the header set's `KEY_VALUE_FULL_INFORMATION`.
#[cfg(feature = "fault-injection")]
const _: () = assert!(
    core::mem::offset_of!(KEY_VALUE_FULL_INFORMATION, Name)
        == ramdisk_core::wire::registry::KEY_VALUE_FULL_NAME_OFFSET
);

/// The fault-injection build's writes (the mount-manager double's database).
#[cfg(feature = "fault-injection")]
impl Key {
    /// Opens `name` under `root` for reading and writing, creating it if missing.
    ///
    /// # Errors
    /// The status of `ZwCreateKey`.
    pub fn create(name: &[u16], root: &Self) -> Result<Self, NTSTATUS> {
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
                REG_OPTION_NON_VOLATILE,
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
    pub fn set_binary(&self, name: &[u16], data: &[u8]) -> NTSTATUS {
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
                REG_BINARY,
                data.as_ptr().cast_mut().cast(),
                len,
            )
        }
    }

    /// Deletes the value `name`.
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
        let mut result_len = 0u32;
        #[expect(clippy::cast_possible_truncation, reason = "1024 bytes")]
        let len = buffer.0.len() as u32;
        // SAFETY: our key handle; the buffer is live, 8-aligned and `len` bytes long.
        let status = unsafe {
            ZwEnumerateValueKey(
                self.0,
                index,
                KeyValueFullInformation,
                buffer.0.as_mut_ptr().cast(),
                len,
                &raw mut result_len,
            )
        };
        match status {
            STATUS_NO_MORE_ENTRIES => return Ok(None),
            STATUS_SUCCESS => {}
            other => return Err(other),
        }
        let bytes = &buffer.0;
        let (h, _) = KeyValueFullInformation::read_from_prefix(bytes).map_err(|_| status)?;
        let name_len = h.name_length.get() as usize;
        let name = bytes
            .get(KEY_VALUE_FULL_NAME_OFFSET..KEY_VALUE_FULL_NAME_OFFSET + name_len)
            .ok_or(wdk_sys::STATUS_INVALID_PARAMETER)?;
        let data_at = h.data_offset.get() as usize;
        let data = bytes
            .get(data_at..data_at + h.data_length.get() as usize)
            .ok_or(wdk_sys::STATUS_INVALID_PARAMETER)?;
        // The name is UTF-16 (little-endian, as x64 is) at offset 20 of an 8-aligned
        // buffer, so it is u16-aligned; zerocopy checks the alignment and length.
        let name = <[u16]>::ref_from_bytes(name).map_err(|_| wdk_sys::STATUS_INVALID_PARAMETER)?;
        Ok(Some(Value {
            name,
            reg_type: h.reg_type.get(),
            data,
        }))
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: we opened this kernel handle and close it once.
        let _ = unsafe { ZwClose(self.0) };
    }
}
