//! Who a disk is: its ramdisk index, NT device name and mount-manager unique ID.
//!
//! # The scheme (these bytes never change in a later version)
//!
//! * **Ramdisk index** `N`: a number the driver gives each disk; it names the device
//!   `\Device\Ramdisk<N>` and nothing else (it never appears in a Windows disk-number
//!   field: `IOCTL_STORAGE_GET_DEVICE_NUMBER` keeps answering `0xFFFFFFFF`). Disk 0 is
//!   the disk the service's `Parameters` key describes and is always
//!   `\Device\Ramdisk0`. Every other disk gets an index that is never reused within a
//!   boot, across driver reloads too (the mount manager remembers device names for
//!   the whole boot, so a reused name would inherit another volume's state); the
//!   driver keeps the next index in a volatile registry value.
//! * **Unique ID** (`MOUNTDEV_UNIQUE_ID`; what the mount manager keys drive letters
//!   and `Volume{GUID}` names by, across boots, in `HKLM\SYSTEM\MountedDevices`): the
//!   disk's persistent identity, never its index. The bytes are the ASCII bytes of one
//!   of these strings, one byte per character, no terminator, at most 64 bytes:
//!
//!   | disk | unique ID |
//!   |---|---|
//!   | the `Parameters` disk (disk 0) | `ramdisk:Parameters` |
//!   | a registry-persisted disk `Parameters\Disks\<NAME>` | `ramdisk:Disks\<NAME>`, `<NAME>` upper-cased |
//!   | a runtime disk that is not persisted | `ramdisk:letter:<L>`, its drive letter |
//!
//!   so a persisted disk keeps its letter and volume name across boots, and at most 26
//!   database entries can ever exist for runtime disks.
//! * **Requested drive letter** (configuration) is not identity: which letter a disk
//!   really gets is runtime state.

use core::fmt;

use super::names::{DeviceName, device_name};

/// The longest unique ID, in bytes.
pub const UNIQUE_ID_CAPACITY: usize = 64;

/// The longest persisted disk name (`Parameters\Disks\<NAME>`).
pub const DISK_NAME_CAPACITY: usize = 32;

/// Up to `N` ASCII bytes in a fixed buffer, shown as text.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AsciiBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> AsciiBuf<N> {
    /// The concatenation of `parts`, cut at `N` bytes.
    const fn from_parts(parts: &[&[u8]]) -> Self {
        let mut out = Self {
            bytes: [0; N],
            len: 0,
        };
        let mut p = 0;
        while p < parts.len() {
            let part = parts[p];
            let mut i = 0;
            while i < part.len() && out.len < N {
                out.bytes[out.len] = part[i];
                out.len += 1;
                i += 1;
            }
            p += 1;
        }
        out
    }

    /// The bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8] {
        let (head, _) = self.bytes.split_at(self.len);
        head
    }
}

impl<const N: usize> fmt::Debug for AsciiBuf<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl<const N: usize> fmt::Display for AsciiBuf<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &c in self.as_bytes() {
            fmt::Write::write_char(f, char::from(c))?;
        }
        Ok(())
    }
}

/// The name of a registry-persisted disk: 1..=32 characters of `[A-Za-z0-9_-]`,
/// stored upper-cased (registry key names are case-insensitive).
pub type DiskName = AsciiBuf<DISK_NAME_CAPACITY>;

impl AsciiBuf<DISK_NAME_CAPACITY> {
    /// Validates `text` as a disk name.
    ///
    /// # Errors
    /// [`IdentityError::InvalidName`] for an empty or longer than 32 characters name, or
    /// a character outside `[A-Za-z0-9_-]`.
    pub const fn parse(text: &[u8]) -> Result<Self, IdentityError> {
        if text.is_empty() || text.len() > DISK_NAME_CAPACITY {
            return Err(IdentityError::InvalidName);
        }
        let mut bytes = [0u8; DISK_NAME_CAPACITY];
        let mut i = 0;
        while i < text.len() {
            let c = text[i];
            if !(c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
                return Err(IdentityError::InvalidName);
            }
            bytes[i] = c.to_ascii_uppercase();
            i += 1;
        }
        Ok(Self {
            bytes,
            len: text.len(),
        })
    }
}

/// Where a disk's configuration lives, which decides its unique ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Persistence {
    /// The service's `Parameters` key itself (disk 0).
    Parameters,
    /// `Parameters\Disks\<NAME>`.
    Registry(DiskName),
    /// Created at run time and not persisted: identified by its drive letter (`A`..=`Z`).
    Letter(u8),
}

/// Why an identity cannot be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdentityError {
    /// A disk name outside `[A-Za-z0-9_-]{1,32}`.
    InvalidName,
    /// A drive letter outside `A`..=`Z`.
    InvalidLetter,
    /// Index 0 is the `Parameters` disk's, and only its.
    IndexReserved,
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidName => "a disk name is 1 to 32 characters of A-Z, a-z, 0-9, _ and -",
            Self::InvalidLetter => "not a drive letter A-Z",
            Self::IndexReserved => "ramdisk index 0 belongs to the Parameters disk",
        })
    }
}

/// A mount-manager unique ID: up to [`UNIQUE_ID_CAPACITY`] ASCII bytes, as
/// `MOUNTDEV_UNIQUE_ID.UniqueId` carries them.
pub type UniqueId = AsciiBuf<UNIQUE_ID_CAPACITY>;

/// A disk's identity: index, device name, unique ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DiskIdentity {
    index: u32,
    persistence: Persistence,
    device_name: DeviceName,
    unique_id: UniqueId,
}

impl DiskIdentity {
    /// Disk 0, described by the service's `Parameters` key.
    #[must_use]
    pub const fn parameters() -> Self {
        Self {
            index: 0,
            persistence: Persistence::Parameters,
            device_name: device_name(0),
            unique_id: UniqueId::from_parts(&[b"ramdisk:Parameters"]),
        }
    }

    /// Disk `index` (not 0) persisted as `Parameters\Disks\<name>`.
    ///
    /// # Errors
    /// [`IdentityError::IndexReserved`] for index 0.
    pub const fn registry(index: u32, name: DiskName) -> Result<Self, IdentityError> {
        if index == 0 {
            return Err(IdentityError::IndexReserved);
        }
        Ok(Self {
            index,
            persistence: Persistence::Registry(name),
            device_name: device_name(index),
            unique_id: UniqueId::from_parts(&[b"ramdisk:Disks\\", name.as_bytes()]),
        })
    }

    /// Disk `index` (not 0) created at run time on drive `letter`, not persisted.
    ///
    /// # Errors
    /// [`IdentityError::IndexReserved`] for index 0, [`IdentityError::InvalidLetter`]
    /// for anything but `A`..=`Z` (either case).
    pub const fn runtime(index: u32, letter: u8) -> Result<Self, IdentityError> {
        if index == 0 {
            return Err(IdentityError::IndexReserved);
        }
        let upper = letter.to_ascii_uppercase();
        if !upper.is_ascii_uppercase() {
            return Err(IdentityError::InvalidLetter);
        }
        Ok(Self {
            index,
            persistence: Persistence::Letter(upper),
            device_name: device_name(index),
            unique_id: UniqueId::from_parts(&[b"ramdisk:letter:", &[upper]]),
        })
    }

    /// The ramdisk index.
    #[must_use]
    pub const fn index(&self) -> u32 {
        self.index
    }

    /// Where the disk's configuration lives.
    #[must_use]
    pub const fn persistence(&self) -> Persistence {
        self.persistence
    }

    /// `\Device\Ramdisk<index>`.
    #[must_use]
    pub const fn device_name(&self) -> &DeviceName {
        &self.device_name
    }

    /// The mount manager's unique ID.
    #[must_use]
    pub const fn unique_id(&self) -> &UniqueId {
        &self.unique_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn parameters_disk() {
        let d = DiskIdentity::parameters();
        assert_eq!(d.index(), 0);
        assert_eq!(d.persistence(), Persistence::Parameters);
        assert_eq!(d.device_name().to_string(), r"\Device\Ramdisk0");
        assert_eq!(d.unique_id().as_bytes(), b"ramdisk:Parameters");
    }

    #[test]
    fn registry_disks_upper_case_their_name() {
        let name = DiskName::parse(b"Scratch_1-a").unwrap();
        assert_eq!(name.to_string(), "SCRATCH_1-A");
        let d = DiskIdentity::registry(7, name).unwrap();
        assert_eq!(d.device_name().to_string(), r"\Device\Ramdisk7");
        assert_eq!(d.unique_id().as_bytes(), b"ramdisk:Disks\\SCRATCH_1-A");
        let long = DiskName::parse(&[b'x'; 32]).unwrap();
        let d = DiskIdentity::registry(u32::MAX, long).unwrap();
        assert_eq!(d.unique_id().as_bytes().len(), 14 + 32);
        assert!(d.unique_id().as_bytes().len() <= UNIQUE_ID_CAPACITY);
        assert_eq!(
            DiskIdentity::registry(0, name),
            Err(IdentityError::IndexReserved)
        );
    }

    #[test]
    fn disk_names_are_validated() {
        for bad in [
            &b""[..],
            &[b'a'; 33],
            b"a b",
            b"a.b",
            b"a\\b",
            b"\xC4",
            b"a:",
        ] {
            assert_eq!(
                DiskName::parse(bad),
                Err(IdentityError::InvalidName),
                "{bad:?}"
            );
        }
        assert!(DiskName::parse(b"_").is_ok());
        assert_eq!(
            std::format!("{:?}", DiskName::parse(b"ab").unwrap()),
            "\"AB\""
        );
    }

    #[test]
    fn runtime_disks_are_named_by_letter() {
        let d = DiskIdentity::runtime(3, b'r').unwrap();
        assert_eq!(d.persistence(), Persistence::Letter(b'R'));
        assert_eq!(d.unique_id().to_string(), "ramdisk:letter:R");
        assert_eq!(std::format!("{:?}", d.unique_id()), "\"ramdisk:letter:R\"");
        assert_eq!(d.device_name().to_string(), r"\Device\Ramdisk3");
        assert_eq!(
            DiskIdentity::runtime(3, b'1'),
            Err(IdentityError::InvalidLetter)
        );
        assert_eq!(
            DiskIdentity::runtime(0, b'R'),
            Err(IdentityError::IndexReserved)
        );
        for e in [
            IdentityError::InvalidName,
            IdentityError::InvalidLetter,
            IdentityError::IndexReserved,
        ] {
            assert!(!e.to_string().is_empty());
        }
    }
}
