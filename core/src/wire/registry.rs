//! Registry query structures (`wdm.h`), x64 layout.

use super::U32;

wire! {
    /// The fixed part of `KEY_VALUE_PARTIAL_INFORMATION` (12 bytes); `Data` follows.
    pub struct KeyValuePartialInformation [12] {
        /// `TitleIndex`.
        pub title_index: U32 = 0,
        /// `Type` (`REG_*`).
        pub reg_type: U32 = 4,
        /// `DataLength`: the value's full length (also after `STATUS_BUFFER_OVERFLOW`).
        pub data_length: U32 = 8,
    }
}

/// `FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data)`.
pub const KEY_VALUE_PARTIAL_DATA_OFFSET: usize = core::mem::size_of::<KeyValuePartialInformation>();

wire! {
    /// The fixed part of `KEY_VALUE_FULL_INFORMATION` (20 bytes): `NameLength` bytes of
    /// the value's name follow; the data lies at `DataOffset` from the start.
    pub struct KeyValueFullInformation [20] {
        /// `TitleIndex`.
        pub title_index: U32 = 0,
        /// `Type` (`REG_*`).
        pub reg_type: U32 = 4,
        /// `DataOffset`: where the data starts, from the start of the structure.
        pub data_offset: U32 = 8,
        /// `DataLength`.
        pub data_length: U32 = 12,
        /// `NameLength` in bytes.
        pub name_length: U32 = 16,
    }
}

/// `FIELD_OFFSET(KEY_VALUE_FULL_INFORMATION, Name)`.
pub const KEY_VALUE_FULL_NAME_OFFSET: usize = core::mem::size_of::<KeyValueFullInformation>();

wire! {
    /// The fixed part of `KEY_BASIC_INFORMATION` (16 bytes, what `ZwEnumerateKey`
    /// returns for `KeyBasicInformation`): `NameLength` bytes of the subkey's name follow.
    pub struct KeyBasicInformation [16] {
        /// `LastWriteTime`.
        pub last_write_time: super::I64 = 0,
        /// `TitleIndex`.
        pub title_index: U32 = 8,
        /// `NameLength` in bytes.
        pub name_length: U32 = 12,
    }
}

/// `FIELD_OFFSET(KEY_BASIC_INFORMATION, Name)`.
pub const KEY_BASIC_NAME_OFFSET: usize = core::mem::size_of::<KeyBasicInformation>();
