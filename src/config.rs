//! Reads `<service key>\Parameters` with the kernel's registry wrapper and hands every
//! value, with its type, to `ramdisk_core::config::parse`, which decides everything.

use ramdisk_core::{
    config::{self, Config},
    disk::ascii_utf16,
};
use wdk_sys::STATUS_OBJECT_NAME_NOT_FOUND;

use crate::{driver::LoadError, kernel::registry::Key};

/// Reads and validates the Parameters values. A missing Parameters key means all defaults.
///
/// # Errors
/// [`LoadError::Config`] for a bad value (named), [`LoadError::Registry`] when the
/// registry itself fails.
pub fn read(service_key: &[u16], volume_serial: u32) -> Result<Config, LoadError> {
    const PARAMETERS: [u16; 10] = ascii_utf16("Parameters");
    let service = Key::open(service_key, None).map_err(|status| LoadError::Registry {
        status,
        what: "service key",
    })?;
    let parameters = match Key::open(&PARAMETERS, Some(&service)) {
        Ok(key) => Some(key),
        Err(STATUS_OBJECT_NAME_NOT_FOUND) => None,
        Err(status) => {
            return Err(LoadError::Registry {
                status,
                what: "Parameters",
            });
        }
    };
    #[cfg(feature = "fault-injection")]
    if let Some(key) = parameters.as_ref() {
        const FAULT_INJECT: [u16; 11] = ascii_utf16("FaultInject");
        let mut value = [0u8; 4];
        if let Ok(Some(info)) = key.query(&FAULT_INJECT, &mut value)
            && info.len == 4
        {
            crate::fault::set(u32::from_le_bytes(value));
        }
    }
    let mut failure = None;
    let result = config::parse(
        |name, out| {
            let key = parameters.as_ref()?;
            match key.query(name.utf16(), out) {
                Ok(value) => value.map(|v| (v.reg_type, v.len)),
                Err(status) => {
                    failure.get_or_insert_with(|| LoadError::Registry {
                        status,
                        what: name.name(),
                    });
                    None
                }
            }
        },
        volume_serial,
    );
    if let Some(failure) = failure {
        return Err(failure);
    }
    result.map_err(LoadError::Config)
}
