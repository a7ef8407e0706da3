//! Which disks the driver makes at load: `Parameters` itself (disk 0) unless its
//! `DefaultDisk` value is 0, and one per subkey of `Parameters\Disks`.
//!
//! Each subkey is named `[A-Za-z0-9_-]{1,32}` and holds the same values as
//! `Parameters`, validated by the same [`super::parse`]. The start is all or nothing:
//! a bad `DefaultDisk`, a bad subkey name, a bad value in any subkey or more disks
//! than the driver holds fails the load and every disk made so far is removed again.

use core::fmt;

use super::value::{REG_DWORD, Text};
use crate::control::MAX_DISKS;
use crate::disk::{DiskName, ascii_utf16};
use crate::status::{
    STATUS_INVALID_BUFFER_SIZE, STATUS_INVALID_PARAMETER, STATUS_OBJECT_TYPE_MISMATCH,
    STATUS_QUOTA_EXCEEDED,
};

/// `DefaultDisk`, the `Parameters` value that can turn disk 0 off.
pub const DEFAULT_DISK_VALUE: [u16; 11] = ascii_utf16("DefaultDisk");
/// `Disks`, the subkey of `Parameters` that holds the further boot-time disks.
pub const DISKS_KEY: [u16; 5] = ascii_utf16("Disks");

/// Why the set of boot-time disks is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BootError {
    /// `DefaultDisk` is not a `REG_DWORD`.
    DefaultDiskType(u32),
    /// `DefaultDisk` is a `REG_DWORD` of another size than 4 bytes.
    DefaultDiskSize(usize),
    /// `DefaultDisk` is neither 0 nor 1.
    DefaultDiskValue(u32),
    /// A subkey of `Disks` has a name that is not a disk name.
    DiskName(Text),
    /// More disks than the driver holds.
    TooMany,
}

impl BootError {
    /// The status `DriverEntry` returns.
    #[must_use]
    pub const fn status(&self) -> i32 {
        match self {
            Self::DefaultDiskType(_) => STATUS_OBJECT_TYPE_MISMATCH,
            Self::DefaultDiskSize(_) => STATUS_INVALID_BUFFER_SIZE,
            Self::DefaultDiskValue(_) | Self::DiskName(_) => STATUS_INVALID_PARAMETER,
            Self::TooMany => STATUS_QUOTA_EXCEEDED,
        }
    }

    /// The registry value or key the failure names (for the event log).
    #[must_use]
    pub const fn value(&self) -> &'static str {
        match self {
            Self::DefaultDiskType(_) | Self::DefaultDiskSize(_) | Self::DefaultDiskValue(_) => {
                "DefaultDisk"
            }
            Self::DiskName(_) | Self::TooMany => "Disks",
        }
    }
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::DefaultDiskType(t) => write!(f, "DefaultDisk: has type {t}, expected REG_DWORD"),
            Self::DefaultDiskSize(len) => {
                write!(
                    f,
                    "DefaultDisk: REG_DWORD data is {len} bytes, expected 4 bytes"
                )
            }
            Self::DefaultDiskValue(v) => {
                write!(
                    f,
                    "DefaultDisk: {v} is not 0 (no disk 0) or 1 (disk 0, the default)"
                )
            }
            Self::DiskName(name) => write!(
                f,
                "Disks: subkey {name} is not a disk name (1 to 32 characters of A-Z, a-z, 0-9, _ and -)"
            ),
            Self::TooMany => write!(f, "Disks: more than the {MAX_DISKS} disks the driver holds"),
        }
    }
}

/// `DefaultDisk` (`None`: absent): whether disk 0 is made.
///
/// # Errors
/// A type other than `REG_DWORD`, another size, a value other than 0 or 1.
pub fn default_disk(value: Option<(u32, &[u8])>) -> Result<bool, BootError> {
    let Some((reg_type, data)) = value else {
        return Ok(true);
    };
    if reg_type != REG_DWORD {
        return Err(BootError::DefaultDiskType(reg_type));
    }
    let bytes = <[u8; 4]>::try_from(data).map_err(|_| BootError::DefaultDiskSize(data.len()))?;
    match u32::from_le_bytes(bytes) {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(BootError::DefaultDiskValue(other)),
    }
}

/// A subkey name of `Parameters\Disks` (UTF-16, as `ZwEnumerateKey` returns it) as a
/// disk name.
///
/// # Errors
/// [`BootError::DiskName`] with the name as far as it can be shown.
pub fn disk_key_name(name: &[u16]) -> Result<DiskName, BootError> {
    let mut ascii = [0u8; 64];
    let mut len = 0;
    for (slot, &unit) in ascii.iter_mut().zip(name) {
        *slot = u8::try_from(unit).ok().filter(u8::is_ascii).unwrap_or(0xFF);
        len += 1;
    }
    let shown = ascii.get(..len).unwrap_or(&[]);
    if name.len() > ascii.len() {
        return Err(BootError::DiskName(Text::from_ascii(shown)));
    }
    DiskName::parse(shown).map_err(|_| BootError::DiskName(Text::from_ascii(shown)))
}

/// Checks that `disks` boot-time disks fit the driver's table.
///
/// # Errors
/// [`BootError::TooMany`].
pub const fn check_count(disks: usize) -> Result<(), BootError> {
    if disks > MAX_DISKS {
        Err(BootError::TooMany)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::REG_SZ;
    use std::string::ToString;
    use std::vec::Vec;

    #[test]
    fn default_disk_values() {
        assert_eq!(default_disk(None), Ok(true));
        assert_eq!(
            default_disk(Some((REG_DWORD, &0u32.to_le_bytes()))),
            Ok(false)
        );
        assert_eq!(
            default_disk(Some((REG_DWORD, &1u32.to_le_bytes()))),
            Ok(true)
        );
        let e = default_disk(Some((REG_DWORD, &2u32.to_le_bytes()))).unwrap_err();
        assert_eq!(e.status(), STATUS_INVALID_PARAMETER);
        assert_eq!(
            e.to_string(),
            "DefaultDisk: 2 is not 0 (no disk 0) or 1 (disk 0, the default)"
        );
        let e = default_disk(Some((REG_SZ, &[b'0', 0]))).unwrap_err();
        assert_eq!(e.status(), STATUS_OBJECT_TYPE_MISMATCH);
        assert!(e.to_string().starts_with("DefaultDisk: has type 1"));
        let e = default_disk(Some((REG_DWORD, &[0; 8]))).unwrap_err();
        assert_eq!(e.status(), STATUS_INVALID_BUFFER_SIZE);
        assert_eq!(e.value(), "DefaultDisk");
    }

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn subkey_names() {
        assert_eq!(
            disk_key_name(&utf16("scratch-1")).unwrap().to_string(),
            "SCRATCH-1"
        );
        for bad in [
            "",
            "a b",
            "a.b",
            "caf\u{e9}",
            &"x".repeat(33),
            &"y".repeat(70),
        ] {
            let e = disk_key_name(&utf16(bad)).unwrap_err();
            assert_eq!(e.status(), STATUS_INVALID_PARAMETER, "{bad}");
            assert_eq!(e.value(), "Disks");
            assert!(e.to_string().starts_with("Disks: subkey \""), "{e}");
        }
        assert_eq!(
            disk_key_name(&utf16("a.b")).unwrap_err().to_string(),
            "Disks: subkey \"a.b\" is not a disk name (1 to 32 characters of A-Z, a-z, 0-9, _ and -)"
        );
    }

    #[test]
    fn counts() {
        assert_eq!(check_count(MAX_DISKS), Ok(()));
        let e = check_count(MAX_DISKS + 1).unwrap_err();
        assert_eq!(e.status(), STATUS_QUOTA_EXCEEDED);
        assert_eq!(
            e.to_string(),
            "Disks: more than the 16 disks the driver holds"
        );
    }
}
