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

wire! {
    /// The fixed part of `MOUNTDEV_SUGGESTED_LINK_NAME`; `NameLength` bytes of name
    /// follow at offset 4. `sizeof(MOUNTDEV_SUGGESTED_LINK_NAME)` is 6 (one `WCHAR`
    /// of `Name`, padded).
    pub struct MountdevSuggestedLinkNameHeader [4] {
        /// `UseOnlyIfThereAreNoOtherLinks` (`BOOLEAN`).
        pub use_only_if_there_are_no_other_links: u8 = 0,
        /// Padding before `NameLength`.
        pub pad: u8 = 1,
        /// `NameLength`: bytes of name that follow.
        pub name_length: U16 = 2,
    }
}

/// `sizeof(MOUNTDEV_SUGGESTED_LINK_NAME)` on x64.
pub const MOUNTDEV_SUGGESTED_LINK_NAME_SIZE: usize = 6;
