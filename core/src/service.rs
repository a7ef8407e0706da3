//! The names Windows knows the driver by: its service, its file, its registry keys.
//!
//! Windows 10 and 11 ship a RAM disk driver of their own, service `Ramdisk` with
//! `System32\drivers\ramdisk.sys` (the one Windows PE boots use; README, *The name
//! `ramdisk` is taken on Windows*). Service names are case-insensitive, so this
//! driver's service is [`SERVICE_NAME`] and its file [`DRIVER_FILE`]; the project,
//! the crate and the package keep the name `ramdisk`. One definition here for
//! ramdiskctl, the test suites and the driver's event-log source; `ramdisk.inx`,
//! `Makefile.toml` and `build.rs` spell the same names and host tests compare them
//! with these.

/// The service name (`sc create <name>`, `Services\<name>`, the INF's `AddService`).
/// The I/O manager names the driver object `\Driver\<name>`, and events the driver
/// logs carry it as their source.
pub const SERVICE_NAME: &str = "RustRamDisk";

/// The driver file's base name, without the extension.
pub const DRIVER_STEM: &str = "rustramdisk";

/// The driver file (`binPath`, the INF's `ServiceBinary`).
pub const DRIVER_FILE: &str = "rustramdisk.sys";

/// The program database the image names in its debug directory (`/PDBALTPATH`), so
/// a debugger looks for this file name.
pub const PDB_FILE: &str = "rustramdisk.pdb";

/// The service's key below `HKEY_LOCAL_MACHINE`.
pub const SERVICE_KEY: &str = r"SYSTEM\CurrentControlSet\Services\RustRamDisk";

/// The `Parameters` key below `HKEY_LOCAL_MACHINE`, which the driver reads at load.
pub const PARAMETERS_KEY: &str = r"SYSTEM\CurrentControlSet\Services\RustRamDisk\Parameters";

/// The event source's key below `HKEY_LOCAL_MACHINE`: the System log's entry for
/// this driver (`EventMessageFile`, `TypesSupported`).
pub const EVENT_LOG_KEY: &str = r"SYSTEM\CurrentControlSet\Services\EventLog\System\RustRamDisk";

/// Whether `s` is `prefix` followed by `rest`.
const fn joined(s: &str, prefix: &str, rest: &str) -> bool {
    let (s, p, r) = (s.as_bytes(), prefix.as_bytes(), rest.as_bytes());
    if s.len() != p.len() + r.len() {
        return false;
    }
    let mut i = 0;
    while i < s.len() {
        let want = if i < p.len() { p[i] } else { r[i - p.len()] };
        if s[i] != want {
            return false;
        }
        i += 1;
    }
    true
}

// The spelled-out names agree with each other.
const _: () = assert!(joined(DRIVER_FILE, DRIVER_STEM, ".sys"));
const _: () = assert!(joined(PDB_FILE, DRIVER_STEM, ".pdb"));
const _: () = assert!(joined(
    SERVICE_KEY,
    r"SYSTEM\CurrentControlSet\Services\",
    SERVICE_NAME
));
const _: () = assert!(joined(PARAMETERS_KEY, SERVICE_KEY, r"\Parameters"));
const _: () = assert!(joined(
    EVENT_LOG_KEY,
    r"SYSTEM\CurrentControlSet\Services\EventLog\System\",
    SERVICE_NAME
));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_windows_own_names() {
        // Windows' inbox driver: service `Ramdisk`, file `ramdisk.sys`; both compare
        // case-insensitively on Windows.
        assert!(!SERVICE_NAME.eq_ignore_ascii_case("ramdisk"));
        assert!(!DRIVER_FILE.eq_ignore_ascii_case("ramdisk.sys"));
        assert_eq!(DRIVER_STEM, DRIVER_FILE.strip_suffix(".sys").unwrap());
        assert!(joined("ab", "a", "b") && !joined("ab", "a", "c") && !joined("ab", "ab", "b"));
    }
}
