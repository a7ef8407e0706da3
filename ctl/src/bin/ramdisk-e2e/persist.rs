//! Image-file helpers of the persistence e2e cases.

use std::{
    os::windows::fs::OpenOptionsExt,
    path::Path,
    time::{Duration, Instant},
};

/// Opens `path` for reading and writing with no sharing (what another program that
/// holds an image would do) and keeps it open until `until` exists (two minutes at
/// most); prints `held` once open.
pub fn hold_file(path: &str, until: &str) -> std::process::ExitCode {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .share_mode(0)
        .open(path);
    match file {
        Ok(_file) => {
            println!("held");
            let deadline = Instant::now() + Duration::from_mins(2);
            while !Path::new(until).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            println!("open: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `FileRenameInformationEx` of `src` to `dst` (`X:\…` paths) with
/// `FILE_RENAME_REPLACE_IF_EXISTS | FILE_RENAME_POSIX_SEMANTICS`, while `dst` is open
/// for reading with `FILE_SHARE_READ | FILE_SHARE_DELETE` (as a disk holds its image).
/// Prints `status=0x…`; the exit code is 0 whenever the call was made.
pub fn rename_ex(src: &str, dst: &str) -> std::process::ExitCode {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Wdk::Storage::FileSystem::{FileRenameInformationEx, NtSetInformationFile};
    use windows_sys::Win32::Storage::FileSystem::{
        DELETE, FILE_GENERIC_READ, FILE_SHARE_DELETE, FILE_SHARE_READ,
    };
    use windows_sys::Win32::System::IO::IO_STATUS_BLOCK;
    let held = std::fs::OpenOptions::new()
        .read(true)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_DELETE)
        .open(dst);
    let source = std::fs::OpenOptions::new()
        .access_mode(DELETE | FILE_GENERIC_READ)
        .share_mode(0)
        .open(src);
    let (Ok(_held), Ok(source)) = (held, source) else {
        println!("open failed");
        return std::process::ExitCode::FAILURE;
    };
    // FILE_RENAME_INFORMATION: Flags at 0, RootDirectory at 8, FileNameLength at 16,
    // FileName at 20; u64 words keep the HANDLE aligned.
    let name: Vec<u16> = format!(r"\??\{dst}").encode_utf16().collect();
    let bytes = 20 + name.len() * 2;
    let mut info = vec![0u8; bytes.div_ceil(8) * 8];
    info[..4].copy_from_slice(&3u32.to_le_bytes());
    let len = u32::try_from(name.len() * 2).unwrap_or(u32::MAX);
    info[16..20].copy_from_slice(&len.to_le_bytes());
    for (pair, unit) in info[20..bytes].chunks_exact_mut(2).zip(&name) {
        pair.copy_from_slice(&unit.to_le_bytes());
    }
    let words: Vec<u64> = info
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect();
    // SAFETY: all-zero is a valid IO_STATUS_BLOCK.
    let mut iosb: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
    // SAFETY: an open handle; `words` holds `bytes` initialised bytes and outlives the call.
    let status = unsafe {
        NtSetInformationFile(
            source.as_raw_handle(),
            &raw mut iosb,
            words.as_ptr().cast(),
            u32::try_from(bytes).unwrap_or(u32::MAX),
            FileRenameInformationEx,
        )
    };
    println!("status={:#010x}", status.cast_unsigned());
    std::process::ExitCode::SUCCESS
}
