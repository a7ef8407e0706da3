//! Reads `<service key>\Parameters` with the kernel's registry wrapper and hands every
//! value, with its type, to `ramdisk_core::config::parse`, which decides everything.

use ramdisk_core::{
    config::{self, Config},
    disk::ascii_utf16,
    mountmgr::{MountManagerName, mount_point_manager},
};
use wdk_sys::STATUS_OBJECT_NAME_NOT_FOUND;

use crate::{driver::LoadError, kernel::registry::Key};

/// What `DriverEntry` reads from the registry.
pub struct Settings {
    /// The disk's validated configuration.
    pub config: Config,
    /// Where mount-manager requests go: `\Device\MountPointManager`, or (fault-injection
    /// build only) the `MountManagerDevice` value.
    pub mount_manager: MountManagerName,
}

/// Reads and validates the Parameters values. A missing Parameters key means all defaults.
///
/// # Errors
/// [`LoadError::Config`] for a bad value (named), [`LoadError::Registry`] when the
/// registry itself fails.
pub fn read(service_key: &[u16], volume_serial: u32) -> Result<Settings, LoadError> {
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
    let config = result.map_err(LoadError::Config)?;
    Ok(Settings {
        config,
        mount_manager: mount_manager(parameters.as_ref())?,
    })
}

/// The mount manager's name: the real one, or the fault-injection build's test double.
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::unnecessary_wraps,
        clippy::missing_const_for_fn,
        reason = "only the fault-injection build reads MountManagerDevice"
    )
)]
fn mount_manager(parameters: Option<&Key>) -> Result<MountManagerName, LoadError> {
    #[cfg(feature = "fault-injection")]
    if let Some(key) = parameters {
        use ramdisk_core::mountmgr::{
            HookError, MOUNT_MANAGER_DEVICE_VALUE, MOUNT_MANAGER_VALUE_MAX,
            parse_mount_manager_device,
        };
        let mut data = [0u8; MOUNT_MANAGER_VALUE_MAX];
        match key.query(&MOUNT_MANAGER_DEVICE_VALUE, &mut data) {
            Ok(None) => {}
            Ok(Some(info)) if info.len > data.len() => {
                return Err(LoadError::MountManagerHook(HookError::WrongSize(info.len)));
            }
            Ok(Some(info)) => {
                let bytes = data.get(..info.len).unwrap_or(&[]);
                return parse_mount_manager_device(info.reg_type, bytes)
                    .map_err(LoadError::MountManagerHook);
            }
            Err(status) => {
                return Err(LoadError::Registry {
                    status,
                    what: "MountManagerDevice",
                });
            }
        }
    }
    #[cfg(not(feature = "fault-injection"))]
    let _ = parameters;
    Ok(mount_point_manager())
}

/// The fault-injection build's second role: when `Parameters\TestRole` is
/// `MountManagerDouble`, this driver instance is the tests' mount-manager double; the
/// service key is returned (the double keeps its database under it).
///
/// # Errors
/// [`LoadError::Registry`] when the registry itself fails.
#[cfg(feature = "fault-injection")]
pub fn mount_manager_double(service_key: &[u16]) -> Result<Option<Key>, LoadError> {
    const PARAMETERS: [u16; 10] = ascii_utf16("Parameters");
    const TEST_ROLE: [u16; 8] = ascii_utf16("TestRole");
    const DOUBLE: [u16; 18] = ascii_utf16("MountManagerDouble");
    let service = Key::open(service_key, None).map_err(|status| LoadError::Registry {
        status,
        what: "service key",
    })?;
    let Ok(parameters) = Key::open(&PARAMETERS, Some(&service)) else {
        return Ok(None);
    };
    let mut data = [0u8; 2 * DOUBLE.len() + 2];
    let is_double = match parameters.query(&TEST_ROLE, &mut data) {
        // Exactly the name, with or without its NUL.
        Ok(Some(info))
            if info.reg_type == config::REG_SZ
                && (info.len == 2 * DOUBLE.len()
                    || (info.len == data.len() && data.ends_with(&[0, 0]))) =>
        {
            data.chunks_exact(2)
                .zip(DOUBLE)
                .all(|(b, u)| u16::from_le_bytes([b[0], b[1]]) == u)
        }
        _ => false,
    };
    Ok(is_double.then_some(service))
}
