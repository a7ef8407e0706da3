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
