//! Host-file structures the image load and save hand to the file system (`ntifs.h`,
//! `winioctl.h`, `winnt.h`), x64 layout.
//!
//! `FILE_RENAME_INFORMATION` is declared here rather than taken from the WDK
//! bindings: since Windows 10 RS1 the WDK's first member is a union of `BOOLEAN
//! ReplaceIfExists` and `ULONG Flags` (Microsoft's page for the structure), while
//! mingw-w64's header (our Linux build's stand-in) has the `BOOLEAN` alone, so the
//! generated field paths differ between header sets. The bytes do not: the
//! handle sits at 8 either way.

use super::{U32, U64};

wire! {
    /// The fixed part of `FILE_RENAME_INFORMATION` (`FileRenameInformation`, and
    /// `FileRenameInformationEx` with `Flags`): `FileNameLength` bytes of the new
    /// name follow at [`RENAME_NAME_OFFSET`].
    pub struct FileRenameInformation [20] {
        /// `ReplaceIfExists` (its low byte) or `Flags` (`FILE_RENAME_*`, the Ex class).
        pub flags: U32 = 0,
        /// Padding before the handle.
        pub reserved: U32 = 4,
        /// `RootDirectory`: NULL (the name is a full path).
        pub root_directory: U64 = 8,
        /// `FileNameLength` in bytes.
        pub file_name_length: U32 = 16,
    }
}

/// `FIELD_OFFSET(FILE_RENAME_INFORMATION, FileName)`.
pub const RENAME_NAME_OFFSET: usize = core::mem::size_of::<FileRenameInformation>();

wire! {
    /// The fixed part of `FILE_FS_ATTRIBUTE_INFORMATION` (`FileFsAttributeInformation`):
    /// the file system's name follows.
    pub struct FileFsAttributeInformation [12] {
        /// `FileSystemAttributes` (`FILE_SUPPORTS_*`).
        pub file_system_attributes: U32 = 0,
        /// `MaximumComponentNameLength`.
        pub maximum_component_name_length: U32 = 4,
        /// `FileSystemNameLength` in bytes.
        pub file_system_name_length: U32 = 8,
    }
}

/// `FILE_RENAME_REPLACE_IF_EXISTS` (`Flags` of `FileRenameInformationEx`).
pub const FILE_RENAME_REPLACE_IF_EXISTS: u32 = 0x0000_0001;
/// `FILE_RENAME_POSIX_SEMANTICS`: replace even while the target has open handles.
pub const FILE_RENAME_POSIX_SEMANTICS: u32 = 0x0000_0002;
/// `FILE_SUPPORTS_SPARSE_FILES` (`FileSystemAttributes`).
pub const FILE_SUPPORTS_SPARSE_FILES: u32 = 0x0000_0040;
/// `FILE_SUPPORTS_POSIX_UNLINK_RENAME` (`FileSystemAttributes`, `winnt.h`).
pub const FILE_SUPPORTS_POSIX_UNLINK_RENAME: u32 = 0x0000_0400;
/// `FSCTL_SET_SPARSE`: `CTL_CODE(FILE_DEVICE_FILE_SYSTEM, 49, METHOD_BUFFERED,
/// FILE_SPECIAL_ACCESS)` (absent from mingw-w64's headers).
pub const FSCTL_SET_SPARSE: u32 = (9 << 16) | (49 << 2);

/// A `FILE_RENAME_INFORMATION` naming `target` (UTF-16, no NUL) with `flags`,
/// written into `out`; its length in bytes, `None` when `out` is too short.
#[must_use]
pub fn rename_information(out: &mut [u8], target: &[u16], flags: u32) -> Option<usize> {
    use zerocopy::IntoBytes;
    let name_bytes = target.len().checked_mul(2)?;
    let total = RENAME_NAME_OFFSET.checked_add(name_bytes)?;
    let out = out.get_mut(..total)?;
    let (head, name) = out.split_at_mut(RENAME_NAME_OFFSET);
    let fixed = FileRenameInformation {
        flags: U32::new(flags),
        reserved: U32::new(0),
        root_directory: U64::new(0),
        file_name_length: U32::new(u32::try_from(name_bytes).ok()?),
    };
    head.copy_from_slice(fixed.as_bytes());
    for (pair, unit) in name.chunks_exact_mut(2).zip(target) {
        pair.copy_from_slice(&unit.to_le_bytes());
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    #[test]
    fn codes() {
        assert_eq!(FSCTL_SET_SPARSE, 0x0009_00C4);
    }

    #[test]
    fn rename_bytes() {
        let mut out = vec![0xAAu8; 64];
        let name: std::vec::Vec<u16> = r"\??\D:\x".encode_utf16().collect();
        let n = rename_information(&mut out, &name, FILE_RENAME_REPLACE_IF_EXISTS).unwrap();
        assert_eq!(n, 20 + 16);
        assert_eq!(&out[..4], &[1, 0, 0, 0]);
        assert_eq!(&out[8..16], &[0; 8]);
        assert_eq!(&out[16..20], &[16, 0, 0, 0]);
        assert_eq!(&out[20..22], &[b'\\', 0]);
        assert_eq!(out[36], 0xAA);
        assert_eq!(rename_information(&mut out[..35], &name, 0), None);
    }
}
