//! Reads `<RegistryPath>\Parameters` with `ZwOpenKey` + `ZwQueryValueKey`
//! (`KeyValuePartialInformation`) and hands every value, with its type, to
//! `ramdisk_core::config::parse`, which decides everything.

use core::ptr;

use ramdisk_core::config::{self, Config, ConfigError, MAX_VALUE_DATA};
use wdk_sys::{
    _KEY_VALUE_INFORMATION_CLASS::KeyValuePartialInformation,
    HANDLE, KEY_READ, NTSTATUS, PCUNICODE_STRING, STATUS_BUFFER_OVERFLOW,
    STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS, ULONG,
    ntddk::{ZwClose, ZwOpenKey, ZwQueryValueKey},
};

use crate::ffi::{
    KEY_VALUE_PARTIAL_DATA_OFFSET, key_value_partial_header, object_attributes, unicode_slice,
    unicode_string,
};

/// Why the configuration could not be read.
pub enum Error {
    /// A value is present but wrong: the core's verdict (names the value).
    Invalid(ConfigError),
    /// The registry itself failed (not a user error): the status and the value.
    Registry(NTSTATUS, &'static str),
}

/// An open registry key, closed on drop.
struct Key(HANDLE);

impl Key {
    /// Opens `name` (absolute, or relative to `root` when given) for reading.
    fn open(name: &[u16], root: Option<&Self>) -> Result<Self, NTSTATUS> {
        let mut us = unicode_string(name);
        let mut oa = object_attributes(&raw mut us, root.map_or(ptr::null_mut(), |k| k.0));
        let mut handle: HANDLE = ptr::null_mut();
        // SAFETY: `oa` and `us` point at live locals; PASSIVE_LEVEL in DriverEntry.
        let status = unsafe { ZwOpenKey(&raw mut handle, KEY_READ, &raw mut oa) };
        if status == STATUS_SUCCESS {
            Ok(Self(handle))
        } else {
            Err(status)
        }
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: we opened this kernel handle and close it once.
        let _ = unsafe { ZwClose(self.0) };
    }
}

/// `KEY_VALUE_PARTIAL_INFORMATION` header plus room for the largest value core accepts
/// and one byte more (so "too long" is seen as such), 8-byte aligned.
#[repr(C, align(8))]
struct ValueBuffer([u8; KEY_VALUE_PARTIAL_DATA_OFFSET + MAX_VALUE_DATA + 8]);

/// The buffer's size as `ZwQueryValueKey` takes it (84 bytes rounded up to 88 by the
/// 8-byte alignment).
#[allow(clippy::cast_possible_truncation)]
const VALUE_BUFFER_LEN: ULONG = core::mem::size_of::<ValueBuffer>() as ULONG;
const _: () = assert!(core::mem::size_of::<ValueBuffer>() == 88);
const _: () = assert!(core::mem::align_of::<ValueBuffer>() == 8);

/// Reads and validates the Parameters values. A missing Parameters key means all defaults.
pub fn read(registry_path: PCUNICODE_STRING, volume_serial: u32) -> Result<Config, Error> {
    // SAFETY: the I/O manager hands DriverEntry a valid, counted RegistryPath that
    // outlives DriverEntry.
    let service_path = unsafe { unicode_slice(registry_path) };
    let service = Key::open(service_path, None).map_err(|s| Error::Registry(s, "service key"))?;
    let parameters_name: [u16; 10] = crate::utf16!("Parameters");
    let parameters = match Key::open(&parameters_name, Some(&service)) {
        Ok(key) => Some(key),
        Err(STATUS_OBJECT_NAME_NOT_FOUND) => None,
        Err(s) => return Err(Error::Registry(s, "Parameters")),
    };
    #[cfg(feature = "fault-injection")]
    if let Some(key) = parameters.as_ref() {
        let mut value = [0u8; 4];
        let name: [u16; 11] = crate::utf16!("FaultInject");
        if let Ok(Some((_, 4))) = query(key, &name, &mut value) {
            crate::fault::set(u32::from_le_bytes(value));
        }
    }
    let mut failure: Option<(NTSTATUS, &'static str)> = None;
    let result = config::parse(
        |name, out| {
            let key = parameters.as_ref()?;
            query(key, name.utf16(), out).unwrap_or_else(|status| {
                failure.get_or_insert_with(|| (status, name.name()));
                None
            })
        },
        volume_serial,
    );
    if let Some((status, name)) = failure {
        return Err(Error::Registry(status, name));
    }
    result.map_err(Error::Invalid)
}

/// One value: `Ok(None)` when absent, `Ok(Some((type, length)))` with the data copied
/// into `out` (when it fits; a longer length makes core reject it as too long).
fn query(key: &Key, name: &[u16], out: &mut [u8]) -> Result<Option<(u32, usize)>, NTSTATUS> {
    let mut us = unicode_string(name);
    let mut buffer = ValueBuffer([0; KEY_VALUE_PARTIAL_DATA_OFFSET + MAX_VALUE_DATA + 8]);
    let mut result_len: ULONG = 0;
    // SAFETY: all pointers are to live locals; the length passed is the buffer's size.
    let status = unsafe {
        ZwQueryValueKey(
            key.0,
            &raw mut us,
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
            let (reg_type, len) = key_value_partial_header(&buffer.0).ok_or(status)?;
            let data = buffer
                .0
                .get(KEY_VALUE_PARTIAL_DATA_OFFSET..)
                .and_then(|d| d.get(..len));
            match (status, data, out.get_mut(..len)) {
                (STATUS_SUCCESS, Some(data), Some(dest)) => {
                    dest.copy_from_slice(data);
                    Ok(Some((reg_type, len)))
                }
                // Longer than core accepts: report a length past `out`; core names the error.
                _ => Ok(Some((reg_type, len.max(out.len() + 1)))),
            }
        }
        other => Err(other),
    }
}
