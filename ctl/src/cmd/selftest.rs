//! `ramdiskctl selftest`: [`crate::selftest`]'s system calls on Win32.
//!
//! No handle to the device stays open between two calls: `FSCTL_LOCK_VOLUME` and
//! the formats need the volume free of other opens.

use std::ffi::{CStr, c_void};
use std::io::Write as _;
use std::os::windows::io::AsRawHandle;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use ramdisk_core::ioctl::codes::IOCTL_STORAGE_QUERY_PROPERTY;
use ramdisk_core::ioctl::layout::{
    PROPERTY_STANDARD_QUERY, STORAGE_DEVICE_PROPERTY, STORAGE_DEVICE_TRIM_PROPERTY,
};
use ramdisk_core::security::Sid;
use ramdisk_core::wire::storage::{DeviceTrimDescriptor, StoragePropertyQuery};
use ramdisk_core::wire::{FromBytes, IntoBytes, U32};
use windows_sys::Win32::Foundation::{CloseHandle, ERROR_INSUFFICIENT_BUFFER, HANDLE, HMODULE};
use windows_sys::Win32::Security::{
    CreateRestrictedToken, DACL_SECURITY_INFORMATION, DISABLE_MAX_PRIVILEGE, DuplicateTokenEx,
    GetKernelObjectSecurity, RevertToSelf, SID_AND_ATTRIBUTES, SecurityImpersonation,
    TOKEN_DUPLICATE, TOKEN_IMPERSONATE, TOKEN_QUERY, TokenImpersonation,
};
use windows_sys::Win32::Storage::FileSystem::{
    FlushFileBuffers, GetDiskFreeSpaceExW, GetFinalPathNameByHandleW, GetVolumeInformationW,
    GetVolumeNameForVolumeMountPointW, VOLUME_NAME_DOS, VOLUME_NAME_GUID,
};
use windows_sys::Win32::System::Ioctl::{
    FSCTL_DISMOUNT_VOLUME, FSCTL_LOCK_VOLUME, GET_LENGTH_INFORMATION, IOCTL_DISK_GET_LENGTH_INFO,
};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress, LoadLibraryW};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken, SetThreadToken};

use super::Ctx;
use crate::device::Device;
use crate::error::CtlError;
use crate::selftest::filesystem::{DiskFree, Names};
use crate::selftest::format::{
    FM_MEDIA_FIXED, FM_MEDIA_REMOVABLE, FormatWatch, Packet, PacketData, format_com_answers,
    format_com_args, packet_data,
};
use crate::selftest::identity::VolumeInfo;
use crate::selftest::{FormatRun, Options, SelftestSystem, run as run_checks, win32};
use crate::sys::{last_error, resolve_device, wide};
use crate::units::drive_letter;

/// The Win32 side: the device path and its letter.
struct Win32 {
    path: String,
    letter: char,
}

/// A handle closed on drop.
struct Owned(HANDLE);

impl Drop for Owned {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the handle is owned by this value and closed once.
            unsafe { CloseHandle(self.0) };
        }
    }
}

impl Win32 {
    /// `R:\` as a NUL-terminated wide string.
    fn root_w(&self) -> Vec<u16> {
        wide(&format!("{}:\\", self.letter))
    }

    fn open(&self, write: bool) -> Result<Device, u32> {
        Device::try_open(&self.path, write)
    }

    /// `IOCTL_STORAGE_QUERY_PROPERTY`, standard query of `property`.
    fn property(&self, property: u32) -> Result<Vec<u8>, u32> {
        let q = StoragePropertyQuery {
            property_id: U32::new(property),
            query_type: U32::new(PROPERTY_STANDARD_QUERY),
            additional_parameters: [0; 4],
        };
        let mut out = vec![0u8; 512];
        let n = self
            .open(false)?
            .ioctl(IOCTL_STORAGE_QUERY_PROPERTY, q.as_bytes(), &mut out)
            .ok()?;
        out.truncate(n);
        Ok(out)
    }
}

/// A program's exit code and output (stdout, then stderr).
fn program(name: &str, args: &[String], input: Option<&str>) -> Result<(i32, String), String> {
    let mut c = Command::new(name);
    c.args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().map_err(|e| format!("cannot run {name}: {e}"))?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        let _ = stdin.write_all(text.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{name} did not finish: {e}"))?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.code().unwrap_or(-1), text))
}

/// `GetFinalPathNameByHandleW` with `flags`.
fn final_path(handle: HANDLE, flags: u32) -> Result<String, u32> {
    let mut buf = vec![0u16; 512];
    loop {
        let cap = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        // SAFETY: an open file handle; the buffer holds `cap` units.
        let n = unsafe { GetFinalPathNameByHandleW(handle, buf.as_mut_ptr(), cap, flags) };
        match n as usize {
            0 => return Err(last_error()),
            n if n < buf.len() => return Ok(String::from_utf16_lossy(&buf[..n])),
            n => buf.resize(n + 1, 0),
        }
    }
}

/// `FMIFS_TEXT_MESSAGE` (fmifs.h): the message's type and text.
#[repr(C)]
struct FmifsTextMessage {
    message_type: u32,
    message: *const std::ffi::c_char,
}

/// The packets of the one `FormatEx` call in progress (its callback has no context
/// argument).
static WATCH: Mutex<Option<FormatWatch>> = Mutex::new(None);

/// The `FMIFS_CALLBACK` given to `FormatEx`.
unsafe extern "system" fn format_callback(packet_type: u32, length: u32, data: *mut c_void) -> u8 {
    let len = length as usize;
    let packet = match packet_data(packet_type) {
        _ if data.is_null() => Packet::Other(packet_type),
        PacketData::Ulong if len >= 4 => {
            // SAFETY: fmifs passes a FMIFS_PERCENT_COMPLETE_INFORMATION of `length` bytes.
            Packet::Percent(unsafe { data.cast::<u32>().read_unaligned() })
        }
        PacketData::TwoUlongs if len >= 8 => {
            // SAFETY: a FMIFS_FORMAT_REPORT_INFORMATION (two ULONGs) of `length` bytes.
            let [total, available] = unsafe { data.cast::<[u32; 2]>().read_unaligned() };
            Packet::Report(total, available)
        }
        PacketData::Boolean if len >= 1 => {
            // SAFETY: a FMIFS_FINISHED_INFORMATION (one BOOLEAN).
            Packet::Finished(unsafe { data.cast::<u8>().read() } != 0)
        }
        PacketData::BooleanOut if len >= 1 => {
            // SAFETY: FMIFS_CHECKONREBOOT_INFORMATION's QueryResult is ours to set: no.
            unsafe { data.cast::<u8>().write(0) };
            return 1;
        }
        PacketData::TextMessage if len >= size_of::<FmifsTextMessage>() => {
            // SAFETY: a FMIFS_TEXT_MESSAGE whose Message is NULL or a NUL-terminated string.
            let m = unsafe { data.cast::<FmifsTextMessage>().read_unaligned() };
            let text = if m.message.is_null() {
                String::new()
            } else {
                // SAFETY: as above.
                unsafe { CStr::from_ptr(m.message) }
                    .to_string_lossy()
                    .into_owned()
            };
            Packet::Text(text)
        }
        _ => Packet::Other(packet_type),
    };
    let mut watch = WATCH
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    u8::from(
        watch
            .get_or_insert_with(FormatWatch::default)
            .on_packet(packet),
    )
}

/// `FormatEx(DriveName, MediaType, FileSystemName, Label, Quick, ClusterSize, Callback)`.
type FormatExFn = unsafe extern "system" fn(
    *const u16,
    u32,
    *const u16,
    *const u16,
    u8,
    u32,
    unsafe extern "system" fn(u32, u32, *mut c_void) -> u8,
) -> ();

/// A quick format of `root` through fmifs.dll's `FormatEx`.
fn format_ex(root: &[u16], media: u32, file_system: &str, label: &str) -> Result<String, String> {
    let dll = wide("fmifs.dll");
    // SAFETY: a NUL-terminated name; the module stays loaded for the process.
    let module: HMODULE = unsafe { LoadLibraryW(dll.as_ptr()) };
    if module.is_null() {
        return Err(format!("cannot load fmifs.dll: {}", win32(last_error())));
    }
    // SAFETY: a loaded module and a NUL-terminated export name.
    let Some(f) = (unsafe { GetProcAddress(module, c"FormatEx".as_ptr().cast()) }) else {
        return Err(format!(
            "fmifs.dll has no FormatEx: {}",
            win32(last_error())
        ));
    };
    // SAFETY: FormatEx has the signature of `FormatExFn` (fmifs.h).
    let format_ex: FormatExFn = unsafe { std::mem::transmute(f) };
    let fs = wide(file_system);
    let label = wide(label);
    *WATCH
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(FormatWatch::default());
    // SAFETY: NUL-terminated strings that outlive the call; the callback matches
    // FMIFS_CALLBACK; FormatEx returns when the format is over.
    unsafe {
        format_ex(
            root.as_ptr(),
            media,
            fs.as_ptr(),
            label.as_ptr(),
            1,
            0,
            format_callback,
        );
    }
    let watch = WATCH
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
        .unwrap_or_default();
    watch.result()
}

/// Opens the device under a token whose Administrators and SYSTEM SIDs are
/// deny-only and whose privileges are dropped, on the calling thread; reverts.
fn restricted_open_here(path: &str) -> Result<Result<(), u32>, String> {
    let fail = |what: &str| format!("{what}: {}", win32(last_error()));
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: no preconditions; the pseudo-handle needs no closing.
    let process = unsafe { GetCurrentProcess() };
    // SAFETY: the pseudo-handle of this process and an out-pointer to a local.
    if unsafe { OpenProcessToken(process, TOKEN_DUPLICATE | TOKEN_QUERY, &raw mut token) } == 0 {
        return Err(fail("OpenProcessToken"));
    }
    let token = Owned(token);
    let mut sids = [Sid::ADMINISTRATORS.to_bytes(), Sid::SYSTEM.to_bytes()];
    let disable = sids.each_mut().map(|s| SID_AND_ATTRIBUTES {
        Sid: s.as_mut_ptr().cast(),
        Attributes: 0,
    });
    let mut restricted: HANDLE = std::ptr::null_mut();
    // SAFETY: an open token with TOKEN_DUPLICATE; two SIDs that outlive the call.
    let ok = unsafe {
        CreateRestrictedToken(
            token.0,
            DISABLE_MAX_PRIVILEGE,
            2,
            disable.as_ptr(),
            0,
            std::ptr::null(),
            0,
            std::ptr::null(),
            &raw mut restricted,
        )
    };
    if ok == 0 {
        return Err(fail("CreateRestrictedToken"));
    }
    let restricted = Owned(restricted);
    let mut imp: HANDLE = std::ptr::null_mut();
    // SAFETY: an open token; an out-pointer to a local.
    let ok = unsafe {
        DuplicateTokenEx(
            restricted.0,
            TOKEN_IMPERSONATE | TOKEN_QUERY,
            std::ptr::null(),
            SecurityImpersonation,
            TokenImpersonation,
            &raw mut imp,
        )
    };
    if ok == 0 {
        return Err(fail("DuplicateTokenEx"));
    }
    let imp = Owned(imp);
    // SAFETY: NULL thread = this thread; an impersonation token.
    if unsafe { SetThreadToken(std::ptr::null(), imp.0) } == 0 {
        return Err(fail("SetThreadToken"));
    }
    let result = Device::try_open(path, false).map(drop);
    // SAFETY: ends the impersonation begun above.
    unsafe { RevertToSelf() };
    Ok(result)
}

impl SelftestSystem for Win32 {
    fn wine_version(&mut self) -> Option<String> {
        let ntdll = wide("ntdll.dll");
        // SAFETY: a NUL-terminated module name (ntdll is always loaded).
        let module = unsafe { GetModuleHandleW(ntdll.as_ptr()) };
        if module.is_null() {
            return None;
        }
        // SAFETY: a loaded module and a NUL-terminated export name.
        let f = unsafe { GetProcAddress(module, c"wine_get_version".as_ptr().cast()) }?;
        // SAFETY: Wine's `const char *wine_get_version(void)`.
        let f: unsafe extern "C" fn() -> *const std::ffi::c_char =
            unsafe { std::mem::transmute(f) };
        // SAFETY: no arguments; it returns a static string or NULL.
        let p = unsafe { f() };
        if p.is_null() {
            return Some(String::new());
        }
        // SAFETY: a NUL-terminated static string.
        Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    fn device_descriptor(&mut self) -> Result<Vec<u8>, u32> {
        self.property(STORAGE_DEVICE_PROPERTY)
    }

    fn device_size(&mut self) -> Result<u64, u32> {
        self.open(false)?
            .ioctl_get::<GET_LENGTH_INFORMATION>(IOCTL_DISK_GET_LENGTH_INFO)
            .map(|l| u64::try_from(l.Length).unwrap_or(0))
    }

    fn read_device(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, u32> {
        let mut buf = vec![0u8; len];
        self.open(false)?.read_exact_at(offset, &mut buf)?;
        Ok(buf)
    }

    fn flush_volume(&mut self) -> Result<(), u32> {
        let dev = self.open(true)?;
        // SAFETY: an open handle with write access.
        if unsafe { FlushFileBuffers(dev.handle()) } == 0 {
            return Err(last_error());
        }
        Ok(())
    }

    fn volume_information(&mut self) -> Result<VolumeInfo, u32> {
        let root = self.root_w();
        let (mut label, mut fs) = ([0u16; 64], [0u16; 64]);
        let (mut serial, mut max_len, mut flags) = (0u32, 0u32, 0u32);
        // SAFETY: NUL-terminated root; buffers and their lengths in units match.
        let ok = unsafe {
            GetVolumeInformationW(
                root.as_ptr(),
                label.as_mut_ptr(),
                64,
                &raw mut serial,
                &raw mut max_len,
                &raw mut flags,
                fs.as_mut_ptr(),
                64,
            )
        };
        if ok == 0 {
            return Err(last_error());
        }
        let text = |b: &[u16]| {
            String::from_utf16_lossy(&b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())])
        };
        Ok(VolumeInfo {
            serial,
            label: text(&label),
            file_system: text(&fs),
        })
    }

    fn disk_free(&mut self) -> Result<DiskFree, u32> {
        let root = self.root_w();
        let (mut avail, mut total, mut free) = (0u64, 0u64, 0u64);
        // SAFETY: NUL-terminated root; out-pointers to locals.
        let ok = unsafe {
            GetDiskFreeSpaceExW(root.as_ptr(), &raw mut avail, &raw mut total, &raw mut free)
        };
        if ok == 0 {
            return Err(last_error());
        }
        Ok(DiskFree { total, free })
    }

    fn root(&mut self) -> PathBuf {
        PathBuf::from(format!("{}:\\", self.letter))
    }

    fn names(&mut self, file: &Path) -> Names {
        let root = self.root_w();
        let mut buf = [0u16; 64];
        // SAFETY: NUL-terminated root; the buffer holds 64 units.
        let volume =
            if unsafe { GetVolumeNameForVolumeMountPointW(root.as_ptr(), buf.as_mut_ptr(), 64) }
                == 0
            {
                Err(last_error())
            } else {
                Ok(String::from_utf16_lossy(
                    &buf[..buf.iter().position(|&c| c == 0).unwrap_or(0)],
                ))
            };
        let (dos, guid) = match std::fs::File::open(file) {
            Ok(f) => {
                let h: HANDLE = f.as_raw_handle().cast();
                (
                    final_path(h, VOLUME_NAME_DOS),
                    final_path(h, VOLUME_NAME_GUID),
                )
            }
            Err(e) => {
                let code = e
                    .raw_os_error()
                    .and_then(|c| u32::try_from(c).ok())
                    .unwrap_or(0);
                (Err(code), Err(code))
            }
        };
        Names {
            volume,
            dos,
            guid,
            canonical: std::fs::canonicalize(file)
                .map(|p| p.display().to_string())
                .map_err(|e| e.to_string()),
        }
    }

    fn lock_and_dismount(&mut self) -> Result<(), String> {
        let dev = self
            .open(true)
            .map_err(|c| format!("cannot open {}: {}", self.path, win32(c)))?;
        let mut locked = dev.fsctl_raw(FSCTL_LOCK_VOLUME);
        for _ in 1..10 {
            if locked.is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
            locked = dev.fsctl_raw(FSCTL_LOCK_VOLUME);
        }
        locked.map_err(|c| {
            format!(
                "FSCTL_LOCK_VOLUME failed (10 tries over 1.8 s): {}",
                win32(c)
            )
        })?;
        dev.fsctl_raw(FSCTL_DISMOUNT_VOLUME)
            .map_err(|c| format!("FSCTL_DISMOUNT_VOLUME failed: {}", win32(c)))
    }

    fn device_security(&mut self) -> Result<Vec<u8>, u32> {
        let dev = self.open(false)?;
        let mut buf = vec![0u8; 256];
        loop {
            let mut needed = 0u32;
            let len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
            // SAFETY: an open handle (GENERIC_READ includes READ_CONTROL); the buffer holds `len` bytes.
            let ok = unsafe {
                GetKernelObjectSecurity(
                    dev.handle(),
                    DACL_SECURITY_INFORMATION,
                    buf.as_mut_ptr().cast(),
                    len,
                    &raw mut needed,
                )
            };
            if ok != 0 {
                buf.truncate(
                    usize::try_from(needed)
                        .unwrap_or(buf.len())
                        .clamp(1, buf.len()),
                );
                return Ok(buf);
            }
            match last_error() {
                ERROR_INSUFFICIENT_BUFFER if needed as usize > buf.len() => {
                    buf.resize(needed as usize, 0);
                }
                e => return Err(e),
            }
        }
    }

    fn restricted_open(&mut self) -> Result<Result<(), u32>, String> {
        let path = self.path.clone();
        // Its own thread, so that no impersonation can outlive it.
        std::thread::spawn(move || restricted_open_here(&path))
            .join()
            .unwrap_or_else(|_| Err("the impersonating thread failed".into()))
    }

    fn format(&mut self, file_system: &str, label: &str, current_label: &str) -> FormatRun {
        let media = self
            .open(false)
            .ok()
            .and_then(|d| d.geometry().ok())
            .map_or(FM_MEDIA_FIXED, |g| {
                if g.MediaType == 11 {
                    FM_MEDIA_REMOVABLE
                } else {
                    FM_MEDIA_FIXED
                }
            });
        let format_ex = format_ex(&self.root_w(), media, file_system, label);
        let format_com = format_ex.is_err().then(|| {
            program(
                "format.com",
                &format_com_args(self.letter, file_system, label),
                Some(&format_com_answers(current_label)),
            )
        });
        FormatRun {
            format_ex,
            format_com,
        }
    }

    fn chkdsk(&mut self) -> Result<(i32, String), String> {
        program("chkdsk.exe", &[format!("{}:", self.letter)], None)
    }

    fn trim_enabled(&mut self) -> Result<bool, u32> {
        let reply = self.property(STORAGE_DEVICE_TRIM_PROPERTY)?;
        DeviceTrimDescriptor::read_from_prefix(&reply)
            .map(|(d, _)| d.trim_enabled != 0)
            .map_err(|_| 13)
    }

    fn memory_in_use(&mut self) -> Result<u64, String> {
        let device = self
            .open(false)
            .map_err(|e| format!("cannot open the disk: {}", win32(e)))?;
        device
            .usage()
            .map(|u| u.allocated_bytes.get())
            .map_err(|e| format!("IOCTL_RAMDISK_QUERY_USAGE: {}", win32(e)))
    }

    fn retrim(&mut self) -> Result<u32, String> {
        program(
            "defrag.exe",
            &[format!("{}:", self.letter), "/L".into()],
            None,
        )
        .map(|(code, _)| code.cast_unsigned())
    }

    fn sleep(&mut self, pause: Duration) {
        std::thread::sleep(pause);
    }
}

pub fn run(ctx: &Ctx, device: Option<&str>, format: bool) -> Result<(), CtlError> {
    let path = resolve_device(device);
    // The device must be there at all; every check opens it again itself.
    drop(Device::open(&path, false)?);
    let letter = drive_letter(&path);
    let mut sys = Win32 {
        path: path.clone(),
        letter: letter.unwrap_or('?'),
    };
    let report = run_checks(
        &mut sys,
        &Options {
            path,
            letter,
            format,
        },
    );
    ctx.print(&report);
    match report.exit_code {
        0 => Ok(()),
        code => Err(CtlError::msg(format!("selftest: {}", report.verdict))
            .exit_code(code)
            .already_reported()),
    }
}
