//! The driver's one way to log: `log!` lines start with `ramdisk:`, or with
//! `ramdisk[R:]:` when they are about one disk (`log!(disk: b'R', ...)`).
//!
//! `log!(...)` is information, `log!(error: ...)` a failure (`log!(error, disk: b'R',
//! ...)` for one disk), `log!(warning, disk: b'R', ...)` a degradation the driver
//! expects in some environments. Lines go to the kernel debugger through `DbgPrintEx` as the
//! IHVDRIVER component: errors at `DPFLTR_ERROR_LEVEL`, which Windows shows by
//! default, information at `DPFLTR_INFO_LEVEL`, which it shows only when the Debug
//! Print Filter lets it through (`kernel::debug`). The Wine test bed reads both from
//! its session log.

/// Logs one line: `log!("...", args)`, `log!(disk: letter, "...", args)`, and the same
/// with `error` first (`log!(error: "...")`, `log!(error, disk: letter, "...")`).
macro_rules! log {
    (error, disk: $letter:expr, $($arg:tt)*) => {
        $crate::kernel::debug::print(
            $crate::kernel::debug::Level::Error,
            format_args!("ramdisk[{}:]: {}", char::from($letter), format_args!($($arg)*)),
        )
    };
    (warning, disk: $letter:expr, $($arg:tt)*) => {
        $crate::kernel::debug::print(
            $crate::kernel::debug::Level::Warning,
            format_args!("ramdisk[{}:]: {}", char::from($letter), format_args!($($arg)*)),
        )
    };
    (error: $($arg:tt)*) => {
        $crate::kernel::debug::print(
            $crate::kernel::debug::Level::Error,
            format_args!("ramdisk: {}", format_args!($($arg)*)),
        )
    };
    (disk: $letter:expr, $($arg:tt)*) => {
        $crate::kernel::debug::print(
            $crate::kernel::debug::Level::Info,
            format_args!("ramdisk[{}:]: {}", char::from($letter), format_args!($($arg)*)),
        )
    };
    ($($arg:tt)*) => {
        $crate::kernel::debug::print(
            $crate::kernel::debug::Level::Info,
            format_args!("ramdisk: {}", format_args!($($arg)*)),
        )
    };
}
