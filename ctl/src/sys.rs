//! Small Win32 helpers: wide strings, `GetLastError`, `FormatMessageW`, the registry.

use windows_sys::Win32::Foundation::{
    ERROR_HANDLE_EOF, ERROR_INSUFFICIENT_BUFFER, ERROR_SUCCESS, GetLastError,
};
use windows_sys::Win32::System::EventLog::{
    CloseEventLog, EVENTLOG_SEQUENTIAL_READ, OpenEventLogW, ReadEventLogW,
};

/// `EVENTLOG_BACKWARDS_READ` (winnt.h): newest records first.
const EVENTLOG_BACKWARDS_READ: u32 = 0x0008;
use windows_sys::Win32::System::Diagnostics::Debug::{
    FORMAT_MESSAGE_FROM_SYSTEM, FORMAT_MESSAGE_IGNORE_INSERTS, FormatMessageW,
};
use windows_sys::Win32::System::Registry::{HKEY_LOCAL_MACHINE, RRF_RT_REG_SZ, RegGetValueW};

/// A NUL-terminated UTF-16 copy of `s`.
#[must_use]
pub fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// The NUL-terminated UTF-16 string at `p` (empty for NULL).
///
/// # Safety
/// `p` is NULL or points at a readable NUL-terminated string.
#[must_use]
pub unsafe fn from_wide_ptr(p: *const u16) -> String {
    if p.is_null() {
        return String::new();
    }
    let mut len = 0;
    // SAFETY: the caller's string is readable up to and including its NUL.
    while unsafe { p.wrapping_add(len).read() } != 0 {
        len += 1;
    }
    // SAFETY: the `len` units before the NUL were just read.
    String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(p, len) })
}

/// `GetLastError()`.
#[must_use]
pub fn last_error() -> u32 {
    // SAFETY: no preconditions.
    unsafe { GetLastError() }
}

/// The system message for `code`, if it has one.
#[must_use]
pub fn format_message(code: u32) -> Option<String> {
    let mut buf = [0u16; 512];
    // SAFETY: the buffer and its length (in u16s) match; no inserts are read.
    let n = unsafe {
        FormatMessageW(
            FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
            std::ptr::null(),
            code,
            0,
            buf.as_mut_ptr(),
            u32::try_from(buf.len()).unwrap_or(0),
            std::ptr::null(),
        )
    };
    let n = usize::try_from(n).ok().filter(|&n| n > 0)?;
    let text = String::from_utf16_lossy(&buf[..n]);
    let text = text.trim_end().to_string();
    (!text.is_empty()).then_some(text)
}

pub use ramdisk_core::service::PARAMETERS_KEY;

/// A `REG_SZ` value of `HKLM\<key>`, if present.
#[must_use]
pub fn reg_string(key: &str, value: &str) -> Option<String> {
    let k = wide(key);
    let v = wide(value);
    let mut buf = [0u16; 256];
    let mut size = u32::try_from(std::mem::size_of_val(&buf)).unwrap_or(0);
    // SAFETY: all pointers are valid; size is the buffer's size in bytes.
    let rc = unsafe {
        RegGetValueW(
            HKEY_LOCAL_MACHINE,
            k.as_ptr(),
            v.as_ptr(),
            RRF_RT_REG_SZ,
            std::ptr::null_mut(),
            buf.as_mut_ptr().cast(),
            &raw mut size,
        )
    };
    if rc != ERROR_SUCCESS {
        return None;
    }
    let len = (size as usize / 2).min(buf.len());
    let s = String::from_utf16_lossy(&buf[..len]);
    Some(s.trim_end_matches('\0').to_string())
}

/// The device to use when none is given: the installed service's `DriveLetter`, else R:.
#[must_use]
pub fn default_device() -> String {
    let letter = reg_string(PARAMETERS_KEY, "DriveLetter")
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .unwrap_or_else(|| "R".into());
    crate::units::device_path(&letter)
}

/// The device path for an optional command-line argument.
#[must_use]
pub fn resolve_device(arg: Option<&str>) -> String {
    arg.map_or_else(default_device, crate::units::device_path)
}

/// Seconds since 1970-01-01 UTC (what event-log records carry).
#[must_use]
pub fn unix_now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
}

/// The System log's records generated at or after `since` (seconds since 1970).
///
/// Newest first (`ReadEventLogW`, backwards, until an older record), and whether the
/// log held any record at all (Wine's event log is always empty).
///
/// # Errors
/// The Win32 error of `OpenEventLogW` / `ReadEventLogW`.
pub fn read_system_log(since: u32) -> Result<(Vec<crate::eventlog::Record>, bool), u32> {
    let name = wide("System");
    // SAFETY: NULL server (this machine) and a NUL-terminated log name.
    let log = unsafe { OpenEventLogW(std::ptr::null(), name.as_ptr()) };
    if log.is_null() {
        return Err(last_error());
    }
    let mut out = Vec::new();
    let mut any = false;
    let mut buf = vec![0u8; 64 * 1024];
    let result = loop {
        let (mut read, mut needed) = (0u32, 0u32);
        let size = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        // SAFETY: an open log handle; the buffer is `size` bytes; out-pointers to locals.
        let ok = unsafe {
            ReadEventLogW(
                log,
                EVENTLOG_SEQUENTIAL_READ | EVENTLOG_BACKWARDS_READ,
                0,
                buf.as_mut_ptr().cast(),
                size,
                &raw mut read,
                &raw mut needed,
            )
        };
        if ok == 0 {
            match last_error() {
                ERROR_HANDLE_EOF => break Ok(()),
                ERROR_INSUFFICIENT_BUFFER if needed as usize > buf.len() => {
                    buf.resize(needed as usize, 0);
                    continue;
                }
                e => break Err(e),
            }
        }
        let records = crate::eventlog::parse_records(buf.get(..read as usize).unwrap_or(&[]));
        any |= !records.is_empty();
        let older = records.iter().any(|r| r.time_generated < since);
        out.extend(records.into_iter().filter(|r| r.time_generated >= since));
        if older {
            break Ok(());
        }
    };
    // SAFETY: the handle was opened above and is closed once.
    unsafe { CloseEventLog(log) };
    result.map(|()| (out, any))
}
