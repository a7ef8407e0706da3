//! Host-file structures the image load and save hand to the file system (`ntifs.h`,
//! `winioctl.h`, `winnt.h`), x64 layout.
//!
//! `FILE_RENAME_INFORMATION` is declared here rather than taken from the WDK
//! bindings: since Windows 10 RS1 the WDK's first member is a union of `BOOLEAN
//! ReplaceIfExists` and `ULONG Flags` (Microsoft's page for the structure), while
//! mingw-w64's header (our Linux build's stand-in) has the `BOOLEAN` alone, so the
//! generated field paths differ between header sets. The bytes do not: the
//! handle sits at 8 either way.

use super::{U16, U32, U64};
use crate::config::MAX_IMAGE_PATH_CHARS;

/// `WCHAR`s of [`FileRenameInformation::file_name`]: the longest `ImageFile` as
/// given, its `\??\` prefix and a `.new` suffix (an `ImagePath`'s capacity).
pub const RENAME_NAME_UNITS: usize = MAX_IMAGE_PATH_CHARS + 8;

/// `FIELD_OFFSET(FILE_RENAME_INFORMATION, FileName)`.
pub const RENAME_NAME_OFFSET: usize = 20;

/// `sizeof(FILE_RENAME_INFORMATION)` on x64 (`FileName[1]` and the padding to 8).
pub const RENAME_HEADER_SIZE: usize = 24;

wire! {
    /// `FILE_RENAME_INFORMATION` with a name buffer of [`RENAME_NAME_UNITS`].
    ///
    /// For `FileRenameInformation`, and `FileRenameInformationEx` with `Flags`: one
    /// fixed buffer (2 KiB, in pool) serves every rename, filled in place by
    /// [`crate::save::fill_rename`].
    ///
    /// Unaligned, as every wire struct here; the driver's pool block is 16-aligned
    /// (the `HANDLE`'s alignment is 8).
    pub struct FileRenameInformation [2088] {
        /// `Flags` (`FileRenameInformationEx`: `FILE_RENAME_*`) or `ReplaceIfExists` in
        /// its low byte (`FileRenameInformation`: 0 or 1).
        pub flags: U32 = 0,
        /// Padding before the handle.
        pub padding: U32 = 4,
        /// `RootDirectory`: NULL (the name is a full NT path).
        pub root_directory: U64 = 8,
        /// `FileNameLength`: bytes of the name, no NUL.
        pub file_name_length: U32 = 16,
        /// `FileName`: the new name (an NT path), NUL-padded.
        pub file_name: [U16; RENAME_NAME_UNITS] = 20,
        /// Padding to a multiple of 8.
        pub tail: U32 = 2084,
    }
}

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
/// `FileRenameInformation` (`FILE_INFORMATION_CLASS`).
pub const FILE_RENAME_INFORMATION_CLASS: u32 = 10;
/// `FileRenameInformationEx` (`FILE_INFORMATION_CLASS`).
pub const FILE_RENAME_INFORMATION_EX_CLASS: u32 = 65;
/// `FSCTL_SET_SPARSE`: `CTL_CODE(FILE_DEVICE_FILE_SYSTEM, 49, METHOD_BUFFERED,
/// FILE_SPECIAL_ACCESS)` (absent from mingw-w64's headers).
pub const FSCTL_SET_SPARSE: u32 = (9 << 16) | (49 << 2);
/// `FSCTL_LOCK_VOLUME`: `CTL_CODE(FILE_DEVICE_FILE_SYSTEM, 6, METHOD_BUFFERED,
/// FILE_ANY_ACCESS)`.
pub const FSCTL_LOCK_VOLUME: u32 = (9 << 16) | (6 << 2);
/// `FSCTL_DISMOUNT_VOLUME`: `CTL_CODE(FILE_DEVICE_FILE_SYSTEM, 8, METHOD_BUFFERED,
/// FILE_ANY_ACCESS)`.
pub const FSCTL_DISMOUNT_VOLUME: u32 = (9 << 16) | (8 << 2);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(FSCTL_SET_SPARSE, 0x0009_00C4);
        // winioctl.h's values.
        assert_eq!(FSCTL_LOCK_VOLUME, 0x0009_0018);
        assert_eq!(FSCTL_DISMOUNT_VOLUME, 0x0009_0020);
    }
}
