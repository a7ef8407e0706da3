//! The RAM disk device: open, `DeviceIoControl`, positioned reads and writes.
//!
//! The handle is opened with `FILE_FLAG_OVERLAPPED` and every transfer carries its
//! byte offset in an `OVERLAPPED` (`SetFilePointerEx` does not work on devices under
//! Wine), waited for with `GetOverlappedResult` on a per-thread event. One handle can
//! therefore be shared by many threads with truly concurrent I/O.

use std::mem::{size_of, zeroed};

use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_IO_PENDING, FALSE, GENERIC_READ, GENERIC_WRITE, HANDLE,
    INVALID_HANDLE_VALUE, TRUE,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_FLAG_OVERLAPPED, FILE_SHARE_READ, FILE_SHARE_WRITE, OPEN_EXISTING, ReadFile,
    WriteFile,
};
use windows_sys::Win32::System::IO::{DeviceIoControl, GetOverlappedResult, OVERLAPPED};
use windows_sys::Win32::System::Ioctl::{
    DISK_GEOMETRY, FSCTL_DISMOUNT_VOLUME, FSCTL_LOCK_VOLUME, FSCTL_UNLOCK_VOLUME,
    GET_LENGTH_INFORMATION, IOCTL_DISK_GET_DRIVE_GEOMETRY, IOCTL_DISK_GET_LENGTH_INFO,
};
use windows_sys::Win32::System::Threading::CreateEventW;

use ramdisk_core::ioctl::codes::{
    IOCTL_RAMDISK_QUERY_USAGE, IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES,
};
use ramdisk_core::ioctl::disk_ops::USAGE_VERSION;
use ramdisk_core::wire::FromBytes;
use ramdisk_core::wire::dsm::RamdiskUsage;

use crate::error::{CtlError, EXIT_NO_DEVICE};
pub use crate::fsctl::{FsctlOutcome, fsctl_warning};
use crate::sys::{last_error, wide};

/// The outcome of one I/O request: the Win32 error (if it failed) and the bytes
/// transferred (also set for warnings such as `ERROR_MORE_DATA`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoResult {
    /// `None` on success.
    pub error: Option<u32>,
    /// Bytes transferred / returned.
    pub bytes: usize,
}

impl IoResult {
    /// `Ok(bytes)` or `Err(code)`.
    ///
    /// # Errors
    /// The Win32 error code.
    pub const fn ok(self) -> Result<usize, u32> {
        match self.error {
            None => Ok(self.bytes),
            Some(e) => Err(e),
        }
    }
}

struct Event(HANDLE);

impl Drop for Event {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the handle came from CreateEventW and is closed once.
            unsafe { CloseHandle(self.0) };
        }
    }
}

thread_local! {
    static EVENT: Event = {
        // SAFETY: a manual-reset, unnamed, non-signalled event.
        Event(unsafe { CreateEventW(std::ptr::null(), TRUE, FALSE, std::ptr::null()) })
    };
}

/// An open device handle.
pub struct Device {
    handle: HANDLE,
    path: String,
}

// SAFETY: a Win32 file handle may be used from any thread; every request carries its
// own OVERLAPPED and per-thread event.
unsafe impl Send for Device {}
// SAFETY: as above; the handle value is never changed after open.
unsafe impl Sync for Device {}

impl Drop for Device {
    fn drop(&mut self) {
        // SAFETY: the handle is valid and owned by this value.
        unsafe { CloseHandle(self.handle) };
    }
}

impl Device {
    /// Opens `path` for reading (and writing).
    ///
    /// # Errors
    /// The `CreateFileW` error, with exit code [`EXIT_NO_DEVICE`].
    pub fn open(path: &str, write: bool) -> Result<Self, CtlError> {
        Self::try_open(path, write).map_err(|code| {
            CtlError::win32(format!("cannot open {path}"), code).exit_code(EXIT_NO_DEVICE)
        })
    }

    /// Opens `path`, returning the raw Win32 error on failure.
    ///
    /// # Errors
    /// The `CreateFileW` error code.
    pub fn try_open(path: &str, write: bool) -> Result<Self, u32> {
        let w = wide(path);
        let access = if write {
            GENERIC_READ | GENERIC_WRITE
        } else {
            GENERIC_READ
        };
        // SAFETY: `w` is NUL-terminated; the other arguments are plain values.
        let handle = unsafe {
            CreateFileW(
                w.as_ptr(),
                access,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                std::ptr::null(),
                OPEN_EXISTING,
                FILE_FLAG_OVERLAPPED,
                std::ptr::null_mut(),
            )
        };
        if handle == INVALID_HANDLE_VALUE || handle.is_null() {
            return Err(last_error());
        }
        Ok(Self {
            handle,
            path: path.to_string(),
        })
    }

    /// The path it was opened with.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw handle, for calls this type does not wrap (valid while `self` lives).
    #[must_use]
    pub const fn handle(&self) -> HANDLE {
        self.handle
    }

    fn overlapped(&self, offset: u64, start: impl FnOnce(*mut OVERLAPPED) -> i32) -> IoResult {
        EVENT.with(|event| {
            // SAFETY: OVERLAPPED is plain data; all-zero is its initial state.
            let mut ov: OVERLAPPED = unsafe { zeroed() };
            #[allow(
                clippy::cast_possible_truncation,
                reason = "the low and high halves of the 64-bit offset"
            )]
            {
                ov.Anonymous.Anonymous.Offset = offset as u32;
                ov.Anonymous.Anonymous.OffsetHigh = (offset >> 32) as u32;
            }
            ov.hEvent = event.0;
            let started = start(&raw mut ov);
            if started == 0 {
                let e = last_error();
                if e != ERROR_IO_PENDING {
                    // Failed at once; warnings (ERROR_MORE_DATA) still report a count.
                    return IoResult {
                        error: Some(e),
                        bytes: ov.InternalHigh,
                    };
                }
            }
            let mut n = 0u32;
            // SAFETY: `ov` lives until the request is complete (bWait = TRUE).
            let ok = unsafe { GetOverlappedResult(self.handle, &raw const ov, &raw mut n, TRUE) };
            if ok == 0 {
                IoResult {
                    error: Some(last_error()),
                    bytes: n as usize,
                }
            } else {
                IoResult {
                    error: None,
                    bytes: n as usize,
                }
            }
        })
    }

    /// Reads `buf.len()` bytes at byte `offset`.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> IoResult {
        let len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        let ptr = buf.as_mut_ptr();
        self.overlapped(offset, |ov| {
            // SAFETY: `buf` outlives the request (overlapped() waits for completion).
            unsafe { ReadFile(self.handle, ptr, len, std::ptr::null_mut(), ov) }
        })
    }

    /// Writes `buf` at byte `offset`.
    #[must_use]
    pub fn write_at(&self, offset: u64, buf: &[u8]) -> IoResult {
        let len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        let ptr = buf.as_ptr();
        self.overlapped(offset, |ov| {
            // SAFETY: `buf` outlives the request (overlapped() waits for completion).
            unsafe { WriteFile(self.handle, ptr, len, std::ptr::null_mut(), ov) }
        })
    }

    /// Reads exactly `buf.len()` bytes at `offset`.
    ///
    /// # Errors
    /// The Win32 error, or `ERROR_HANDLE_EOF` (38) for a short read.
    pub fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), u32> {
        let n = self.read_at(offset, buf).ok()?;
        if n == buf.len() { Ok(()) } else { Err(38) }
    }

    /// Writes all of `buf` at `offset`.
    ///
    /// # Errors
    /// The Win32 error, or `ERROR_HANDLE_EOF` (38) for a short write.
    pub fn write_all_at(&self, offset: u64, buf: &[u8]) -> Result<(), u32> {
        let n = self.write_at(offset, buf).ok()?;
        if n == buf.len() { Ok(()) } else { Err(38) }
    }

    /// `DeviceIoControl` with raw buffers.
    pub fn ioctl(&self, code: u32, input: &[u8], output: &mut [u8]) -> IoResult {
        let in_len = u32::try_from(input.len()).unwrap_or(u32::MAX);
        let out_len = u32::try_from(output.len()).unwrap_or(u32::MAX);
        let in_ptr = if input.is_empty() {
            std::ptr::null()
        } else {
            input.as_ptr().cast()
        };
        let out_ptr = if output.is_empty() {
            std::ptr::null_mut()
        } else {
            output.as_mut_ptr().cast()
        };
        self.overlapped(0, |ov| {
            let mut returned = 0u32;
            // SAFETY: the buffers outlive the request (overlapped() waits for completion).
            unsafe {
                DeviceIoControl(
                    self.handle,
                    code,
                    in_ptr,
                    in_len,
                    out_ptr,
                    out_len,
                    &raw mut returned,
                    ov,
                )
            }
        })
    }

    /// A fixed-size reply decoded as `T` (a windows-sys struct).
    ///
    /// # Errors
    /// The Win32 error, or `ERROR_INVALID_DATA` (13) when fewer bytes came back.
    pub fn ioctl_get<T: Copy>(&self, code: u32) -> Result<T, u32> {
        let mut buf = vec![0u8; size_of::<T>()];
        let n = self.ioctl(code, &[], &mut buf).ok()?;
        if n < size_of::<T>() {
            return Err(13);
        }
        // SAFETY: the buffer holds size_of::<T>() bytes; T is a plain C struct.
        Ok(unsafe { std::ptr::read_unaligned(buf.as_ptr().cast::<T>()) })
    }

    /// `IOCTL_DISK_GET_LENGTH_INFO`.
    ///
    /// # Errors
    /// The Win32 error, with context.
    pub fn length(&self) -> Result<u64, CtlError> {
        self.ioctl_get::<GET_LENGTH_INFORMATION>(IOCTL_DISK_GET_LENGTH_INFO)
            .map(|l| u64::try_from(l.Length).unwrap_or(0))
            .map_err(|e| {
                CtlError::win32(
                    format!("{}: IOCTL_DISK_GET_LENGTH_INFO failed", self.path),
                    e,
                )
            })
    }

    /// `IOCTL_RAMDISK_QUERY_USAGE` (answered only by this driver's disks).
    ///
    /// # Errors
    /// The Win32 error, or `ERROR_INVALID_DATA` (13) for a short or foreign reply.
    pub fn usage(&self) -> Result<RamdiskUsage, u32> {
        let mut buf = [0u8; size_of::<RamdiskUsage>()];
        let n = self.ioctl(IOCTL_RAMDISK_QUERY_USAGE, &[], &mut buf).ok()?;
        let usage = buf
            .get(..n)
            .and_then(|b| RamdiskUsage::read_from_bytes(b).ok())
            .ok_or(13u32)?;
        if usage.version.get() != USAGE_VERSION {
            return Err(13);
        }
        Ok(usage)
    }

    /// `IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES` with a prepared TRIM request.
    ///
    /// # Errors
    /// The Win32 error code.
    pub fn trim(&self, request: &[u8]) -> Result<(), u32> {
        self.ioctl(IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES, request, &mut [])
            .ok()
            .map(|_| ())
    }

    /// `IOCTL_DISK_GET_DRIVE_GEOMETRY`.
    ///
    /// # Errors
    /// The Win32 error code.
    pub fn geometry(&self) -> Result<DISK_GEOMETRY, u32> {
        self.ioctl_get::<DISK_GEOMETRY>(IOCTL_DISK_GET_DRIVE_GEOMETRY)
    }

    /// The sector size (from the geometry; 512 when it cannot be had).
    #[must_use]
    pub fn sector_size(&self) -> u32 {
        self.geometry().map_or(512, |g| g.BytesPerSector).max(512)
    }

    /// A volume request without buffers (`FSCTL_LOCK_VOLUME` ...): `Ok` or the Win32
    /// error.
    ///
    /// # Errors
    /// The Win32 error code.
    pub fn fsctl_raw(&self, code: u32) -> Result<(), u32> {
        self.ioctl(code, &[], &mut []).ok().map(|_| ())
    }

    fn fsctl(&self, code: u32, what: &str) -> Result<FsctlOutcome, CtlError> {
        FsctlOutcome::classify(self.fsctl_raw(code))
            .map_err(|e| CtlError::win32(format!("{}: {what} failed", self.path), e))
    }

    /// `FSCTL_LOCK_VOLUME` ("not supported" is not an error: Wine has no volume locks).
    ///
    /// # Errors
    /// Any other failure (e.g. files open on the volume: access denied).
    pub fn lock(&self) -> Result<FsctlOutcome, CtlError> {
        self.fsctl(FSCTL_LOCK_VOLUME, "FSCTL_LOCK_VOLUME")
    }

    /// `FSCTL_UNLOCK_VOLUME`.
    ///
    /// # Errors
    /// As [`Device::lock`].
    pub fn unlock(&self) -> Result<FsctlOutcome, CtlError> {
        self.fsctl(FSCTL_UNLOCK_VOLUME, "FSCTL_UNLOCK_VOLUME")
    }

    /// `FSCTL_DISMOUNT_VOLUME`.
    ///
    /// # Errors
    /// As [`Device::lock`].
    pub fn dismount(&self) -> Result<FsctlOutcome, CtlError> {
        self.fsctl(FSCTL_DISMOUNT_VOLUME, "FSCTL_DISMOUNT_VOLUME")
    }
}
