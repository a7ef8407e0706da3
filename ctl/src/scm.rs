//! The service control manager and the service's Parameters key.

use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{
    ERROR_FILE_NOT_FOUND, ERROR_INSUFFICIENT_BUFFER, ERROR_SERVICE_DOES_NOT_EXIST,
    ERROR_SERVICE_NOT_ACTIVE, ERROR_SUCCESS,
};
use windows_sys::Win32::System::Registry::{
    HKEY, HKEY_LOCAL_MACHINE, KEY_SET_VALUE, REG_DWORD, REG_EXPAND_SZ, REG_OPTION_NON_VOLATILE,
    REG_QWORD, REG_SZ, RegCloseKey, RegCreateKeyExW, RegDeleteKeyW, RegSetValueExW,
};
use windows_sys::Win32::System::Services::{
    CloseServiceHandle, ControlService, CreateServiceW, DeleteService, OpenSCManagerW,
    OpenServiceW, QUERY_SERVICE_CONFIGW, QueryServiceConfigW, QueryServiceStatus, SC_HANDLE,
    SC_MANAGER_ALL_ACCESS, SERVICE_ALL_ACCESS, SERVICE_CONTROL_STOP, SERVICE_ERROR_NORMAL,
    SERVICE_KERNEL_DRIVER, SERVICE_RUNNING, SERVICE_STATUS, SERVICE_STOP_PENDING, SERVICE_STOPPED,
    StartServiceW,
};

use crate::cli::ParamValue;
use crate::error::CtlError;
use crate::owner;
use crate::sys::{PARAMETERS_KEY, from_wide_ptr, last_error, wide};
use ramdisk_core::service::EVENT_LOG_KEY;

/// The service name.
pub const SERVICE: &str = ramdisk_core::service::SERVICE_NAME;

/// An owned SCM handle.
pub struct ScHandle(SC_HANDLE);

impl Drop for ScHandle {
    fn drop(&mut self) {
        // SAFETY: the handle is valid and owned.
        unsafe { CloseServiceHandle(self.0) };
    }
}

fn manager() -> Result<ScHandle, CtlError> {
    // SAFETY: null machine and database names mean the local, active database.
    let h = unsafe { OpenSCManagerW(std::ptr::null(), std::ptr::null(), SC_MANAGER_ALL_ACCESS) };
    if h.is_null() {
        return Err(CtlError::win32(
            "cannot open the service control manager",
            last_error(),
        ));
    }
    Ok(ScHandle(h))
}

/// Opens the service named [`SERVICE`] whatever it is; `None` when there is none.
fn open_any(scm: &ScHandle) -> Result<Option<ScHandle>, CtlError> {
    let name = wide(SERVICE);
    // SAFETY: valid handle and NUL-terminated name.
    let h = unsafe { OpenServiceW(scm.0, name.as_ptr(), SERVICE_ALL_ACCESS) };
    if h.is_null() {
        let e = last_error();
        if e == ERROR_SERVICE_DOES_NOT_EXIST {
            return Ok(None);
        }
        return Err(CtlError::win32(format!("cannot open service {SERVICE}"), e));
    }
    Ok(Some(ScHandle(h)))
}

/// The service's type and image path (`QueryServiceConfigW`).
fn type_and_image(svc: &ScHandle) -> Result<(u32, String), CtlError> {
    let failed = |e| CtlError::win32(format!("cannot query the configuration of {SERVICE}"), e);
    let mut needed = 0u32;
    // SAFETY: valid handle; a NULL buffer of size 0 asks for the size needed.
    let ok = unsafe { QueryServiceConfigW(svc.0, std::ptr::null_mut(), 0, &raw mut needed) };
    let e = last_error();
    if ok == 0 && e != ERROR_INSUFFICIENT_BUFFER {
        return Err(failed(e));
    }
    // u64 elements: the structure holds pointers, so the buffer must be 8-aligned.
    let mut buf = vec![0u64; (needed as usize).div_ceil(8).max(8)];
    let size = u32::try_from(buf.len() * 8).unwrap_or(u32::MAX);
    let config = buf.as_mut_ptr().cast::<QUERY_SERVICE_CONFIGW>();
    // SAFETY: the buffer is `size` bytes, 8-aligned, and outlives the call.
    if unsafe { QueryServiceConfigW(svc.0, config, size, &raw mut needed) } == 0 {
        return Err(failed(last_error()));
    }
    // SAFETY: filled by the call above; the strings point into `buf`.
    let config = unsafe { &*config };
    // SAFETY: NULL or a NUL-terminated string inside `buf`, which is still alive.
    let path = unsafe { from_wide_ptr(config.lpBinaryPathName) };
    Ok((config.dwServiceType, path))
}

/// Opens the [`SERVICE`] service, provided it is this driver's ([`owner::check`]).
///
/// # Errors
/// `ERROR_SERVICE_DOES_NOT_EXIST` (1060) and the like, with context; a service of
/// that name that is not this driver.
pub fn open_service() -> Result<ScHandle, CtlError> {
    let scm = manager()?;
    let svc = open_any(&scm)?.ok_or_else(|| {
        CtlError::win32(
            format!("cannot open service {SERVICE}"),
            ERROR_SERVICE_DOES_NOT_EXIST,
        )
    })?;
    let (service_type, image) = type_and_image(&svc)?;
    owner::check(service_type, &image).map_err(|e| CtlError::msg(e.to_string()))?;
    Ok(svc)
}

/// Creates the kernel-driver service with `bin_path` and `start_type`, unless a
/// service of that name exists (then nothing is changed).
///
/// # Errors
/// An existing service: this driver's (uninstall it first), or another one
/// ([`owner::check`]'s message); `CreateServiceW`'s error.
pub fn create_service(bin_path: &str, start_type: u32) -> Result<(), CtlError> {
    let scm = manager()?;
    if let Some(existing) = open_any(&scm)? {
        let (service_type, image) = type_and_image(&existing)?;
        owner::check(service_type, &image).map_err(|e| CtlError::msg(e.to_string()))?;
        return Err(CtlError::msg(format!(
            "service {SERVICE} is already installed ({image}); run `ramdiskctl uninstall` \
             first to install it again"
        )));
    }
    let name = wide(SERVICE);
    let path = wide(bin_path);
    // SAFETY: valid handle, NUL-terminated strings, null optional arguments.
    let h = unsafe {
        CreateServiceW(
            scm.0,
            name.as_ptr(),
            name.as_ptr(),
            SERVICE_ALL_ACCESS,
            SERVICE_KERNEL_DRIVER,
            start_type,
            SERVICE_ERROR_NORMAL,
            path.as_ptr(),
            std::ptr::null(),
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if h.is_null() {
        return Err(CtlError::win32(
            format!("cannot create service {SERVICE}"),
            last_error(),
        ));
    }
    drop(ScHandle(h));
    Ok(())
}

/// `REG_SZ` / `REG_EXPAND_SZ` data: UTF-16LE with its NUL.
fn wide_bytes(s: &str) -> Vec<u8> {
    wide(s).iter().flat_map(|c| c.to_le_bytes()).collect()
}

/// Writes `(name, REG_* type, data)` values into `HKLM\<subkey>` (creating the key).
///
/// # Errors
/// The registry error, naming the key or the value.
fn write_key(subkey: &str, values: &[(&str, u32, Vec<u8>)]) -> Result<(), CtlError> {
    let key = wide(subkey);
    let mut hkey: HKEY = std::ptr::null_mut();
    // SAFETY: valid root key, NUL-terminated subkey, out pointer to a local.
    let rc = unsafe {
        RegCreateKeyExW(
            HKEY_LOCAL_MACHINE,
            key.as_ptr(),
            0,
            std::ptr::null(),
            REG_OPTION_NON_VOLATILE,
            KEY_SET_VALUE,
            std::ptr::null(),
            &raw mut hkey,
            std::ptr::null_mut(),
        )
    };
    if rc != ERROR_SUCCESS {
        return Err(CtlError::win32(format!(r"cannot create HKLM\{subkey}"), rc));
    }
    let mut result = Ok(());
    for (name, kind, data) in values {
        let n = wide(name);
        // SAFETY: open key, NUL-terminated name, data pointer and length match.
        let rc = unsafe {
            RegSetValueExW(
                hkey,
                n.as_ptr(),
                0,
                *kind,
                data.as_ptr(),
                u32::try_from(data.len()).unwrap_or(0),
            )
        };
        if rc != ERROR_SUCCESS {
            result = Err(CtlError::win32(
                format!(r"cannot set HKLM\{subkey}\{name}"),
                rc,
            ));
            break;
        }
    }
    // SAFETY: the key is open and closed once.
    unsafe { RegCloseKey(hkey) };
    result
}

/// Writes the Parameters values (creating the key).
///
/// # Errors
/// The registry error, naming the value.
pub fn write_parameters(values: &[(&str, ParamValue)]) -> Result<(), CtlError> {
    write_key(PARAMETERS_KEY, &typed(values))
}

/// The values with their `REG_*` types and data bytes.
fn typed<'a>(values: &[(&'a str, ParamValue)]) -> Vec<(&'a str, u32, Vec<u8>)> {
    values
        .iter()
        .map(|(name, value)| match value {
            ParamValue::Dword(v) => (*name, REG_DWORD, v.to_le_bytes().to_vec()),
            ParamValue::Qword(v) => (*name, REG_QWORD, v.to_le_bytes().to_vec()),
            ParamValue::Sz(s) => (*name, REG_SZ, wide_bytes(s)),
        })
        .collect()
}

/// `Parameters\Disks\<name>` below `HKEY_LOCAL_MACHINE`: a persisted disk.
#[must_use]
pub fn disk_key(name: &str) -> String {
    format!(r"{PARAMETERS_KEY}\Disks\{name}")
}

/// Whether `Parameters\Disks\<name>` exists.
#[must_use]
pub fn disk_key_exists(name: &str) -> bool {
    let key = wide(&disk_key(name));
    let mut hkey: HKEY = std::ptr::null_mut();
    // SAFETY: valid root key, NUL-terminated subkey, out pointer to a local.
    let rc = unsafe {
        windows_sys::Win32::System::Registry::RegOpenKeyExW(
            HKEY_LOCAL_MACHINE,
            key.as_ptr(),
            0,
            windows_sys::Win32::System::Registry::KEY_READ,
            &raw mut hkey,
        )
    };
    if rc == ERROR_SUCCESS {
        // SAFETY: the key is open and closed once.
        unsafe { RegCloseKey(hkey) };
        true
    } else {
        false
    }
}

/// Writes a persisted disk's values into `Parameters\Disks\<name>` (creating it).
///
/// # Errors
/// The registry error, naming the value.
pub fn write_disk(name: &str, values: &[(&str, ParamValue)]) -> Result<(), CtlError> {
    write_key(&disk_key(name), &typed(values))
}

/// Deletes `Parameters\Disks\<name>` (a key with values only, no subkeys).
///
/// # Errors
/// The registry error (`ERROR_FILE_NOT_FOUND` when it is not there).
pub fn delete_disk(name: &str) -> Result<(), u32> {
    let key = wide(&disk_key(name));
    // SAFETY: valid root key and NUL-terminated subkey.
    let rc = unsafe { RegDeleteKeyW(HKEY_LOCAL_MACHINE, key.as_ptr()) };
    if rc == ERROR_SUCCESS { Ok(()) } else { Err(rc) }
}

/// `TypesSupported`: error, warning and information entries.
const TYPES_SUPPORTED: u32 = 0x7;

/// Registers the driver as a System-log event source.
///
/// `EventLog\System\RustRamDisk` with `EventMessageFile` = `message_file` (the driver
/// file, which carries the message table) and `TypesSupported`.
///
/// # Errors
/// The registry error.
pub fn write_event_source(message_file: &str) -> Result<(), CtlError> {
    write_key(
        EVENT_LOG_KEY,
        &[
            ("EventMessageFile", REG_EXPAND_SZ, wide_bytes(message_file)),
            (
                "TypesSupported",
                REG_DWORD,
                TYPES_SUPPORTED.to_le_bytes().to_vec(),
            ),
        ],
    )
}

/// Removes the event source's key; a key that is not there is fine.
///
/// # Errors
/// The registry error.
pub fn delete_event_source() -> Result<(), CtlError> {
    let key = wide(EVENT_LOG_KEY);
    // SAFETY: valid root key and NUL-terminated subkey.
    let rc = unsafe { RegDeleteKeyW(HKEY_LOCAL_MACHINE, key.as_ptr()) };
    if rc == ERROR_SUCCESS || rc == ERROR_FILE_NOT_FOUND {
        Ok(())
    } else {
        Err(CtlError::win32(
            format!(r"cannot delete HKLM\{EVENT_LOG_KEY}"),
            rc,
        ))
    }
}

/// The service's current state (`SERVICE_RUNNING`, `SERVICE_STOPPED` ...).
///
/// # Errors
/// `QueryServiceStatus`'s error.
pub fn state(svc: &ScHandle) -> Result<u32, CtlError> {
    let mut st = SERVICE_STATUS::default();
    // SAFETY: valid handle and out pointer.
    if unsafe { QueryServiceStatus(svc.0, &raw mut st) } == 0 {
        return Err(CtlError::win32(
            "cannot query the service status",
            last_error(),
        ));
    }
    Ok(st.dwCurrentState)
}

fn wait_for(svc: &ScHandle, want: u32, what: &str) -> Result<(), CtlError> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let s = state(svc)?;
        if s == want {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(CtlError::msg(if s == SERVICE_STOP_PENDING {
                "the service is still STOP_PENDING after 15 s: something still holds the \
                 device (a mounted volume, an open handle), so Windows cannot unload the \
                 driver until that goes"
                    .to_string()
            } else {
                format!("the service did not {what} within 15 s (state {s})")
            }));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts the service and waits until it runs.
///
/// # Errors
/// `StartServiceW`'s error: for a kernel driver, the failing `DriverEntry`'s status
/// mapped to Win32.
pub fn start(svc: &ScHandle) -> Result<(), CtlError> {
    // SAFETY: valid handle, no arguments.
    if unsafe { StartServiceW(svc.0, 0, std::ptr::null()) } == 0 {
        return Err(CtlError::win32(
            format!("cannot start service {SERVICE}"),
            last_error(),
        ));
    }
    wait_for(svc, SERVICE_RUNNING, "start")
}

/// Asks the service to stop (`ControlService(SERVICE_CONTROL_STOP)`) without
/// waiting. Returns false if it was not running.
///
/// # Errors
/// `ControlService`'s error.
pub fn request_stop(svc: &ScHandle) -> Result<bool, CtlError> {
    let mut st = SERVICE_STATUS::default();
    // SAFETY: valid handle and out pointer.
    if unsafe { ControlService(svc.0, SERVICE_CONTROL_STOP, &raw mut st) } == 0 {
        let e = last_error();
        if e == ERROR_SERVICE_NOT_ACTIVE {
            return Ok(false);
        }
        return Err(CtlError::win32(format!("cannot stop service {SERVICE}"), e));
    }
    Ok(true)
}

/// Waits until the service reports `SERVICE_STOPPED`.
///
/// # Errors
/// A status query failed, or 15 s passed (the driver is still unload-pending).
pub fn wait_stopped(svc: &ScHandle) -> Result<(), CtlError> {
    wait_for(svc, SERVICE_STOPPED, "stop")
}

/// Stops the service and waits until it stopped. Returns false if it was not running.
/// (The bare SCM stop; `ramdiskctl stop` dismounts first, see [`crate::stop`].)
///
/// # Errors
/// `ControlService`'s error, or the wait's.
pub fn stop(svc: &ScHandle) -> Result<bool, CtlError> {
    let requested = request_stop(svc)?;
    if requested {
        wait_stopped(svc)?;
    }
    Ok(requested)
}

/// Marks the service for deletion.
///
/// # Errors
/// `DeleteService`'s error.
pub fn delete(svc: &ScHandle) -> Result<(), CtlError> {
    // SAFETY: valid handle.
    if unsafe { DeleteService(svc.0) } == 0 {
        return Err(CtlError::win32(
            format!("cannot delete service {SERVICE}"),
            last_error(),
        ));
    }
    Ok(())
}
