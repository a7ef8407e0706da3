//! Event-log structures, x64 layout.
//!
//! The driver's error-log entry (`wdm.h`), the message table and resource file it is
//! described by (`winnt.h`, the `.res` format `rc.exe` writes), and the record
//! `ReadEventLogW` returns (`winnt.h`).

use super::{I64, U16, U32};

wire! {
    /// `IO_ERROR_LOG_PACKET`, the fixed part (`sizeof` = 48 on x64: `DumpData[1]` and
    /// padding to the alignment of `DeviceOffset`). The insertion strings follow at
    /// `StringOffset`.
    pub struct IoErrorLogPacket [48] {
        /// `MajorFunctionCode`.
        pub major_function_code: u8 = 0,
        /// `RetryCount`.
        pub retry_count: u8 = 1,
        /// `DumpDataSize`: bytes of `DumpData`.
        pub dump_data_size: U16 = 2,
        /// `NumberOfStrings`.
        pub number_of_strings: U16 = 4,
        /// `StringOffset`: where the strings start, from the packet's start.
        pub string_offset: U16 = 6,
        /// `EventCategory`.
        pub event_category: U16 = 8,
        /// Padding before `ErrorCode`.
        pub pad0: U16 = 10,
        /// `ErrorCode` (`NTSTATUS`-shaped event code of the message table).
        pub error_code: U32 = 12,
        /// `UniqueErrorValue`.
        pub unique_error_value: U32 = 16,
        /// `FinalStatus` (`NTSTATUS`).
        pub final_status: U32 = 20,
        /// `SequenceNumber`.
        pub sequence_number: U32 = 24,
        /// `IoControlCode`.
        pub io_control_code: U32 = 28,
        /// `DeviceOffset` (`LARGE_INTEGER`).
        pub device_offset: I64 = 32,
        /// `DumpData[1]`.
        pub dump_data: U32 = 40,
        /// Padding to the structure's 8-byte alignment.
        pub pad1: U32 = 44,
    }
}

wire! {
    /// `MESSAGE_RESOURCE_BLOCK`: one run of consecutive message IDs. A
    /// `MESSAGE_RESOURCE_DATA` is a `ULONG` `NumberOfBlocks` and that many blocks.
    pub struct MessageResourceBlock [12] {
        /// `LowId`.
        pub low_id: U32 = 0,
        /// `HighId`.
        pub high_id: U32 = 4,
        /// `OffsetToEntries`: from the start of `MESSAGE_RESOURCE_DATA`.
        pub offset_to_entries: U32 = 8,
    }
}

wire! {
    /// The fixed part of `MESSAGE_RESOURCE_ENTRY`; `Length - 4` bytes of text follow.
    pub struct MessageResourceEntryHeader [4] {
        /// `Length`: bytes of the entry, this header included.
        pub length: U16 = 0,
        /// `Flags`: `MESSAGE_RESOURCE_UNICODE` (1) for UTF-16LE text.
        pub flags: U16 = 2,
    }
}

wire! {
    /// One entry header of a 32-bit resource file (`RESOURCEHEADER`) whose type and
    /// name are ordinals (each a `0xFFFF` marker and the number): 32 bytes.
    pub struct ResourceHeader [32] {
        /// `DataSize`: bytes of data after the header.
        pub data_size: U32 = 0,
        /// `HeaderSize`: bytes of this header.
        pub header_size: U32 = 4,
        /// `0xFFFF`: the type is an ordinal.
        pub type_marker: U16 = 8,
        /// `TYPE` (ordinal, e.g. `RT_MESSAGETABLE` 11).
        pub type_id: U16 = 10,
        /// `0xFFFF`: the name is an ordinal.
        pub name_marker: U16 = 12,
        /// `NAME` (ordinal).
        pub name_id: U16 = 14,
        /// `DataVersion`.
        pub data_version: U32 = 16,
        /// `MemoryFlags`.
        pub memory_flags: U16 = 20,
        /// `LanguageId`.
        pub language_id: U16 = 22,
        /// `Version`.
        pub version: U32 = 24,
        /// `Characteristics`.
        pub characteristics: U32 = 28,
    }
}

/// `Reserved` of every `EVENTLOGRECORD`: `'LfLe'`.
pub const ELF_LOG_SIGNATURE: u32 = 0x654c_664c;

wire! {
    /// `EVENTLOGRECORD`, the fixed part: the source and computer names follow, then
    /// the strings at `StringOffset`, the data, padding and the closing `Length`.
    pub struct EventLogRecord [56] {
        /// `Length`: bytes of the record, both lengths included.
        pub length: U32 = 0,
        /// `Reserved`: [`ELF_LOG_SIGNATURE`].
        pub reserved: U32 = 4,
        /// `RecordNumber`.
        pub record_number: U32 = 8,
        /// `TimeGenerated`: seconds since 1970-01-01 UTC.
        pub time_generated: U32 = 12,
        /// `TimeWritten`.
        pub time_written: U32 = 16,
        /// `EventID` with its qualifiers (the high word).
        pub event_id: U32 = 20,
        /// `EventType`.
        pub event_type: U16 = 24,
        /// `NumStrings`.
        pub num_strings: U16 = 26,
        /// `EventCategory`.
        pub event_category: U16 = 28,
        /// `ReservedFlags`.
        pub reserved_flags: U16 = 30,
        /// `ClosingRecordNumber`.
        pub closing_record_number: U32 = 32,
        /// `StringOffset`: from the record's start.
        pub string_offset: U32 = 36,
        /// `UserSidLength`.
        pub user_sid_length: U32 = 40,
        /// `UserSidOffset`.
        pub user_sid_offset: U32 = 44,
        /// `DataLength`.
        pub data_length: U32 = 48,
        /// `DataOffset`.
        pub data_offset: U32 = 52,
    }
}
