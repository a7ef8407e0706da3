//! Mount-manager device structures (`mountdev.h`), x64 layout.

use super::U16;

wire! {
    /// The fixed part of `MOUNTDEV_NAME` / `MOUNTDEV_UNIQUE_ID`: a `USHORT` length.
    ///
    /// That many bytes of data follow. `sizeof(MOUNTDEV_NAME)` is 4 (the length and one
    /// `WCHAR`, padded): the smallest output buffer that gets the length back.
    pub struct MountdevHeader [2] {
        /// `NameLength` / `UniqueIdLength`: bytes of data that follow.
        pub length: U16 = 0,
    }
}

/// `sizeof(MOUNTDEV_NAME)` = `sizeof(MOUNTDEV_UNIQUE_ID)` on x64.
pub const MOUNTDEV_STRUCT_SIZE: usize = 4;
/// Where the data starts (`FIELD_OFFSET(MOUNTDEV_NAME, Name)`).
pub const MOUNTDEV_DATA_OFFSET: usize = core::mem::size_of::<MountdevHeader>();
