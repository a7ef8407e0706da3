//! Registry keys: `ZwOpenKey` + `ZwQueryValueKey(KeyValuePartialInformation)`.

use core::ptr;

use ramdisk_core::config::MAX_VALUE_DATA;
use ramdisk_core::mountmgr::MOUNT_MANAGER_VALUE_MAX;
use ramdisk_core::wire::{
    FromBytes,
    registry::{KEY_VALUE_PARTIAL_DATA_OFFSET as DATA_OFFSET, KeyValuePartialInformation},
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

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: we opened this kernel handle and close it once.
        let _ = unsafe { ZwClose(self.0) };
    }
}
