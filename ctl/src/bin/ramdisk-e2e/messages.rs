//! `messages SYS`: the driver file's message table, read the way Event Viewer reads an
//! event source's `EventMessageFile`: `LoadLibraryExW(LOAD_LIBRARY_AS_DATAFILE)`, then
//! `FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY)` for
//! every code of `ramdisk_core::eventlog::MESSAGES`, with insertion strings; each text
//! must be the message core renders, plus the `\r\n` the table stores.

use ramdisk_core::eventlog::MESSAGES;
use ramdiskctl::sys::{last_error, wide};
use windows_sys::Win32::Foundation::FreeLibrary;
use windows_sys::Win32::System::Diagnostics::Debug::{
    FORMAT_MESSAGE_ARGUMENT_ARRAY, FORMAT_MESSAGE_FROM_HMODULE, FormatMessageW,
};
use windows_sys::Win32::System::LibraryLoader::{LOAD_LIBRARY_AS_DATAFILE, LoadLibraryExW};

use crate::tally::Tally;

/// The insertion strings every message is formatted with (`%1`, `%2`, `%3`).
const INSERTS: [&str; 3] = [
    r"\Device\Ramdisk0",
    "DiskSize",
    "511 is not a multiple of 512",
];

pub fn run(t: &mut Tally, sys: &str) {
    let path = wide(sys);
    // SAFETY: a NUL-terminated path; mapped as data only, never run.
    let module = unsafe {
        LoadLibraryExW(
            path.as_ptr(),
            std::ptr::null_mut(),
            LOAD_LIBRARY_AS_DATAFILE,
        )
    };
    if module.is_null() {
        let e = last_error();
        t.case(
            &format!("load {sys} as a message file"),
            Err(format!("LoadLibraryExW: Win32 error {e}")),
        );
        return;
    }
    let inserts: Vec<Vec<u16>> = INSERTS.iter().map(|s| wide(s)).collect();
    let args: Vec<usize> = inserts.iter().map(|w| w.as_ptr() as usize).collect();
    for m in &MESSAGES {
        let mut buf = [0u16; 1024];
        // SAFETY: `module` is loaded; the buffer length is in u16 units; `args` holds
        // pointers to NUL-terminated strings that outlive the call.
        let n = unsafe {
            FormatMessageW(
                FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY,
                module.cast_const().cast(),
                m.id,
                0,
                buf.as_mut_ptr(),
                u32::try_from(buf.len()).unwrap_or(0),
                args.as_ptr().cast(),
            )
        };
        let got = String::from_utf16_lossy(&buf[..n as usize]);
        let want = format!("{}\r\n", m.render(&INSERTS));
        let r = if n == 0 {
            Err(format!("FormatMessageW: Win32 error {}", last_error()))
        } else if got == want {
            Ok(format!("{:?}", got.trim_end()))
        } else {
            Err(format!("got {got:?}, want {want:?}"))
        };
        t.case(&format!("message table: {} ({:#010x})", m.symbol, m.id), r);
    }
    // SAFETY: loaded above, freed once.
    unsafe { FreeLibrary(module) };
}
