//! The driver's one way to log: `log!` lines start with `ramdisk:`, or with
//! `ramdisk[R:]:` when they are about one disk (`log!(disk: b'R', ...)`).
//!
//! Lines go to the kernel debugger (`DbgPrint` through `wdk::println!`, which
//! formats without allocating); the Wine test bed reads them from its session log.

/// Logs one line: `log!("...", args)` or `log!(disk: letter, "...", args)`.
macro_rules! log {
    (disk: $letter:expr, $($arg:tt)*) => {
        wdk::println!(
            "ramdisk[{}:]: {}",
            char::from($letter),
            format_args!($($arg)*)
        )
    };
    ($($arg:tt)*) => {
        wdk::println!("ramdisk: {}", format_args!($($arg)*))
    };
}
