//! System event-log entries: `IoAllocateErrorLogEntry` + `IoWriteErrorLogEntry`.
//!
//! `ramdisk-core` builds the whole `IO_ERROR_LOG_PACKET` ([`Packet`]); this copies it
//! into the entry the I/O manager allocates and hands it back. Allocation fails when
//! the error-log queue is full, and always under Wine, whose `IoAllocateErrorLogEntry`
//! is a stub returning NULL: then nothing is written and the caller logs that.

use core::{mem::offset_of, ptr::NonNull};

use ramdisk_core::eventlog::{
    ERROR_CODE_OFFSET, ERROR_LOG_MAXIMUM_SIZE, FINAL_STATUS_OFFSET, NUMBER_OF_STRINGS_OFFSET,
    PACKET_HEADER_LEN, Packet, STRING_OFFSET_OFFSET,
};
use wdk_sys::{
    IO_ERROR_LOG_PACKET,
    ntddk::{IoAllocateErrorLogEntry, IoWriteErrorLogEntry},
};

use super::DriverObject;

// The packet core encodes is the WDK's structure.
const _: () = assert!(core::mem::size_of::<IO_ERROR_LOG_PACKET>() == PACKET_HEADER_LEN);
const _: () = assert!(offset_of!(IO_ERROR_LOG_PACKET, NumberOfStrings) == NUMBER_OF_STRINGS_OFFSET);
const _: () = assert!(offset_of!(IO_ERROR_LOG_PACKET, StringOffset) == STRING_OFFSET_OFFSET);
const _: () = assert!(offset_of!(IO_ERROR_LOG_PACKET, ErrorCode) == ERROR_CODE_OFFSET);
const _: () = assert!(offset_of!(IO_ERROR_LOG_PACKET, FinalStatus) == FINAL_STATUS_OFFSET);

/// Writes `packet` to the System event log as an entry of `driver` (the I/O manager
/// adds the driver's name as the source and an empty device name as `%1`). Returns
/// whether an entry could be allocated. `IRQL <= DISPATCH_LEVEL`.
pub fn write(driver: &DriverObject, packet: &Packet) -> bool {
    let bytes = packet.as_bytes();
    let Ok(size) = u8::try_from(bytes.len()) else {
        return false;
    };
    if bytes.len() > ERROR_LOG_MAXIMUM_SIZE {
        return false;
    }
    // SAFETY: our driver object, alive for the call; a size between the packet header
    // and ERROR_LOG_MAXIMUM_SIZE. The result is checked below.
    let entry = unsafe { IoAllocateErrorLogEntry(driver.as_raw().cast(), size) };
    let Some(entry) = NonNull::new(entry.cast::<u8>()) else {
        return false;
    };
    // SAFETY: a fresh entry of at least `size` bytes, ours until it is written.
    let dest = unsafe { core::slice::from_raw_parts_mut(entry.as_ptr(), bytes.len()) };
    dest.copy_from_slice(bytes);
    // SAFETY: a filled entry from IoAllocateErrorLogEntry, handed back exactly once;
    // the I/O manager frees it.
    unsafe { IoWriteErrorLogEntry(entry.as_ptr().cast()) };
    true
}
