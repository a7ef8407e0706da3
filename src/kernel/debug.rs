//! The kernel debugger's output: `DbgPrintEx(DPFLTR_IHVDRIVER_ID, level, "%s", line)`.
//!
//! Since Windows Vista the kernel sends a `DbgPrintEx` message to the debugger (and to
//! Sysinternals `DebugView`'s kernel capture) only when its level passes the
//! component's filter mask;
//! the system-wide mask (`Kd_WIN2000_Mask`) is 1 by default, so `DPFLTR_ERROR_LEVEL`
//! messages of every component are shown and everything else is filtered unless the
//! `Debug Print Filter` registry key (or `ed nt!Kd_IHVDRIVER_Mask`) lets it through.
//! `DbgPrint` itself is `DbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, ...)`: hidden
//! by default. Errors therefore go out at `DPFLTR_ERROR_LEVEL`, a degradation the
//! driver expects in some environments (Wine's mount manager) at `DPFLTR_WARNING_LEVEL`,
//! everything else at `DPFLTR_INFO_LEVEL`, all as the component IHVDRIVER ("any other
//! type of driver").
//!
//! Wine's `DbgPrintEx` (ntdll's `vDbgPrintExWithPrefix`) filters nothing: every level
//! reaches the `debugstr` warning channel, as `<component>:<level mask>: <text>`, so the
//! test bed sees both kinds of line.

use core::fmt;

use wdk::fmt::FlushableFormatBuffer;
use wdk_sys::{
    DPFLTR_ERROR_LEVEL, DPFLTR_INFO_LEVEL, DPFLTR_WARNING_LEVEL, ULONG, ntddk::DbgPrintEx,
};

/// `DPFLTR_IHVDRIVER_ID` (dpfilter.h): the component for drivers that are not video,
/// audio, network, streaming or bus drivers.
const DPFLTR_IHVDRIVER_ID: ULONG = 77;

/// How important a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Something failed: shown by default (`DPFLTR_ERROR_LEVEL`).
    Error,
    /// The driver works, less well than it could, for a reason it expects in some
    /// environments: hidden by default (`DPFLTR_WARNING_LEVEL`).
    Warning,
    /// Everything else: shown once the filter lets IHVDRIVER info through
    /// (`DPFLTR_INFO_LEVEL`).
    Info,
}

impl Level {
    const fn dpfltr(self) -> ULONG {
        match self {
            Self::Error => DPFLTR_ERROR_LEVEL,
            Self::Warning => DPFLTR_WARNING_LEVEL,
            Self::Info => DPFLTR_INFO_LEVEL,
        }
    }
}

/// Prints `args` and a newline at `level`, without allocating: formatted into a
/// 512-byte stack buffer (wdk's `FlushableFormatBuffer`, as `wdk::println!` does) and
/// sent in pieces of at most 511 bytes (`DbgPrintEx` takes at most 512 per call).
/// Callable at `IRQL <= DIRQL`.
pub fn print(level: Level, args: fmt::Arguments<'_>) {
    let level = level.dpfltr();
    let mut writer = FlushableFormatBuffer::<_, 512>::new(|buf| {
        let text = buf.as_c_str();
        // SAFETY: `"%s"` is a NUL-terminated literal and `text` a NUL-terminated string
        // that outlives the call; `%s` keeps `DbgPrintEx` from interpreting the text.
        unsafe {
            DbgPrintEx(
                DPFLTR_IHVDRIVER_ID,
                level,
                c"%s".as_ptr().cast(),
                text.as_ptr().cast::<wdk_sys::CHAR>(),
            );
        }
    });
    // Only a character larger than the buffer could fail; a Display error leaves a
    // partial line, which is fine for a log.
    let _ = fmt::write(&mut writer, format_args!("{args}\n"));
    writer.flush();
}
