//! The file-system structures a save hands to the host's file system: the
//! `FILE_RENAME_INFORMATION` of `ZwSetInformationFile` (`ntifs.h`), x64 layout.
//!
//! The structure is `{ union { BOOLEAN ReplaceIfExists; ULONG Flags; }; HANDLE
//! RootDirectory; ULONG FileNameLength; WCHAR FileName[]; }`: the union at 0 (`Flags`
//! of `FileRenameInformationEx`, whose low byte is `ReplaceIfExists` of
//! `FileRenameInformation`), the handle at 8 (its natural alignment), the length at
//! 16 and the name at 20. Here the name has room for the longest path a disk can
//! name, so one fixed buffer serves every rename.

use super::{U16, U32, U64};
use crate::config::MAX_IMAGE_PATH_CHARS;

/// `WCHAR`s of [`FileRenameInformation::file_name`]: the longest `ImageFile` as
/// given, its `\??\` prefix and a `.new` suffix (an `ImagePath`'s capacity).
pub const RENAME_NAME_UNITS: usize = MAX_IMAGE_PATH_CHARS + 8;

/// Bytes of `FILE_RENAME_INFORMATION` before `FileName`.
pub const RENAME_NAME_OFFSET: usize = 20;

/// `sizeof(FILE_RENAME_INFORMATION)` on x64 (`FileName[1]` and the padding to 8).
pub const RENAME_HEADER_SIZE: usize = 24;

wire! {
    /// `FILE_RENAME_INFORMATION` with a name buffer of [`RENAME_NAME_UNITS`].
    ///
    /// Unaligned, as every wire struct here: the driver copies it into an 8-aligned
    /// buffer (the `HANDLE`'s alignment) before passing it on.
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
