//! The driver's System event-log entries.
//!
//! Their codes and texts, the message table compiled into the driver, the
//! `IO_ERROR_LOG_PACKET` the driver hands `IoWriteErrorLogEntry`, and the text a
//! reader makes of an entry.
//!
//! # How Windows shows them
//!
//! `IoWriteErrorLogEntry` queues the packet; the I/O manager's error-log thread sends it
//! to the event log service, which writes a System-log record whose source is the
//! driver's name (`\Driver\RustRamDisk` → `RustRamDisk`), whose event ID is the
//! packet's `ErrorCode` (Event Viewer shows its low 16 bits as "Event ID" and its
//! severity bits as the level), and whose insertion strings are the name of the device
//! the entry was allocated for (`%1`, empty for a driver object) followed by the
//! packet's own strings (`%2`, `%3`). Event Viewer formats the description from the
//! message file registered for the source
//! (`HKLM\SYSTEM\CurrentControlSet\Services\EventLog\System\RustRamDisk`,
//! `EventMessageFile`, which ramdiskctl and the INF point at the driver file itself).
//!
//! # The message table
//!
//! A message table is a resource (`RT_MESSAGETABLE`, 11) normally produced by `mc.exe`
//! and linked from an `.rc` file by `rc.exe`; wdk-build supports neither. The table is
//! small and its format is documented (`MESSAGE_RESOURCE_DATA`, winnt.h), so
//! [`message_table`] encodes it and [`res_file`] wraps it in a 32-bit `.res` file, which
//! `build.rs` writes and hands both linkers (MSVC `link.exe` and `lld-link` take `.res`
//! files as input). No Windows tool is needed and both builds embed the same bytes.
//!
//! # Size
//!
//! An entry is at most `ERROR_LOG_MAXIMUM_SIZE` (240) bytes on 64-bit Windows, 48 of
//! them the packet header: 96 UTF-16 units of strings, terminators included.
//! [`Packet::new`] keeps every string whole while it fits and shortens the last one
//! that does not, ending it with `…`.

use core::fmt;
use core::mem::{offset_of, size_of};

use crate::wire::eventlog::{
    IoErrorLogPacket, MessageResourceBlock, MessageResourceEntryHeader, ResourceHeader,
};
use crate::wire::{FromBytes, FromZeros, IntoBytes, U16, U32};

/// The facility of this driver's codes (with the customer bit set, so no Microsoft
/// facility can clash).
pub const FACILITY: u32 = 0x007;

/// `STATUS_SEVERITY_INFORMATIONAL`.
pub const SEVERITY_INFORMATIONAL: u32 = 1;
/// `STATUS_SEVERITY_ERROR`.
pub const SEVERITY_ERROR: u32 = 3;

/// An `NTSTATUS`-shaped event code: severity, customer bit, [`FACILITY`], number.
#[must_use]
pub const fn event_code(severity: u32, number: u16) -> u32 {
    (severity << 30) | (1 << 29) | (FACILITY << 16) | number as u32
}

/// `DriverEntry` failed because a registry value is wrong: `%2` the value, `%3` why.
pub const RAMDISK_BAD_VALUE: u32 = event_code(SEVERITY_ERROR, 1);
/// `DriverEntry` failed for another reason: `%2` why.
pub const RAMDISK_LOAD_FAILED: u32 = event_code(SEVERITY_ERROR, 2);
/// A disk was created: `%2` the drive, `%3` what it is.
pub const RAMDISK_DISK_CREATED: u32 = event_code(SEVERITY_INFORMATIONAL, 3);
/// A disk was removed: `%2` the drive, `%3` what happened.
pub const RAMDISK_DISK_REMOVED: u32 = event_code(SEVERITY_INFORMATIONAL, 4);

/// One message of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    /// The full 32-bit code (the event ID with its qualifiers).
    pub id: u32,
    /// Its name, as an `.mc` file would call it.
    pub symbol: &'static str,
    /// The text, with `%1`..`%3` for the insertion strings (`%1` is the device name the
    /// I/O manager inserts).
    pub text: &'static str,
}

/// Every message, sorted by code.
pub const MESSAGES: [Message; 4] = [
    Message {
        id: RAMDISK_DISK_CREATED,
        symbol: "RAMDISK_DISK_CREATED",
        text: "RAM disk %2 created: %3",
    },
    Message {
        id: RAMDISK_DISK_REMOVED,
        symbol: "RAMDISK_DISK_REMOVED",
        text: "RAM disk %2 removed: %3",
    },
    Message {
        id: RAMDISK_BAD_VALUE,
        symbol: "RAMDISK_BAD_VALUE",
        text: "The RAM disk was not created: the registry value Parameters\\%2 is not valid: %3",
    },
    Message {
        id: RAMDISK_LOAD_FAILED,
        symbol: "RAMDISK_LOAD_FAILED",
        text: "The RAM disk driver did not load: %2",
    },
];

/// The message with code `id`.
#[must_use]
pub fn message(id: u32) -> Option<&'static Message> {
    MESSAGES.iter().find(|m| m.id == id)
}

impl Message {
    /// The text with `%N` replaced by `strings[N - 1]` (the record's insertion strings,
    /// `%1` first), as `FormatMessage` would insert them; `%N` without a string stays.
    #[must_use]
    pub const fn render<'a>(&'a self, strings: &'a [&'a str]) -> Rendered<'a> {
        Rendered {
            text: self.text,
            strings,
        }
    }
}

/// A message with its insertion strings, for `Display`.
#[derive(Clone, Copy, Debug)]
pub struct Rendered<'a> {
    text: &'a str,
    strings: &'a [&'a str],
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.text;
        while let Some(at) = rest.find('%') {
            f.write_str(&rest[..at])?;
            let after = &rest[at + 1..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            let inserted = after[..digits]
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| self.strings.get(i));
            match inserted {
                Some(s) => f.write_str(s)?,
                None => f.write_str(&rest[at..=at + digits])?,
            }
            rest = &after[digits..];
        }
        f.write_str(rest)
    }
}

/// `ERROR_LOG_MAXIMUM_SIZE` on 64-bit Windows (wdm.h): the largest entry
/// `IoAllocateErrorLogEntry` allocates.
pub const ERROR_LOG_MAXIMUM_SIZE: usize = 240;
/// `sizeof(IO_ERROR_LOG_PACKET)` on 64-bit Windows: the smallest entry, and where the
/// strings start.
pub const PACKET_HEADER_LEN: usize = size_of::<IoErrorLogPacket>();
/// Byte offset of `NumberOfStrings` (USHORT) in `IO_ERROR_LOG_PACKET`.
pub const NUMBER_OF_STRINGS_OFFSET: usize = offset_of!(IoErrorLogPacket, number_of_strings);
/// Byte offset of `StringOffset` (USHORT).
pub const STRING_OFFSET_OFFSET: usize = offset_of!(IoErrorLogPacket, string_offset);
/// Byte offset of `ErrorCode` (NTSTATUS).
pub const ERROR_CODE_OFFSET: usize = offset_of!(IoErrorLogPacket, error_code);
/// Byte offset of `FinalStatus` (NTSTATUS).
pub const FINAL_STATUS_OFFSET: usize = offset_of!(IoErrorLogPacket, final_status);

/// `StringOffset`: the strings follow the header.
#[expect(
    clippy::cast_possible_truncation,
    reason = "48, asserted below to fit and to equal the header length"
)]
const STRINGS_START: u16 = PACKET_HEADER_LEN as u16;
const _: () = assert!(STRINGS_START as usize == PACKET_HEADER_LEN);

/// `…`, which ends a string that had to be shortened.
const ELLIPSIS: char = '\u{2026}';

/// An `IO_ERROR_LOG_PACKET` with its insertion strings.
///
/// Ready to copy into the entry `IoAllocateErrorLogEntry` returns. Every other header
/// field is zero (no dump data, no retry count, no major function, no sequence number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet {
    bytes: [u8; ERROR_LOG_MAXIMUM_SIZE],
    len: usize,
}

impl Packet {
    /// A packet with event code `code`, `FinalStatus` `final_status` and `strings`
    /// (`%2`, `%3`, ...), shortened to fit as the module documentation says.
    #[must_use]
    pub fn new(code: u32, final_status: i32, strings: &[&str]) -> Self {
        let mut bytes = [0u8; ERROR_LOG_MAXIMUM_SIZE];
        let mut at = PACKET_HEADER_LEN;
        let mut count: u16 = 0;
        for (i, s) in strings.iter().enumerate() {
            // Room for this string and its NUL, leaving one unit for each later NUL.
            let later = strings.len() - i - 1;
            let units = (ERROR_LOG_MAXIMUM_SIZE - at) / 2;
            let Some(room) = units.checked_sub(later + 1) else {
                break;
            };
            let whole = s.encode_utf16().count();
            let mut put = |c: char, at: &mut usize| {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    if let Some(dst) = bytes.get_mut(*at..*at + 2) {
                        dst.copy_from_slice(&unit.to_le_bytes());
                    }
                    *at += 2;
                }
            };
            if whole <= room {
                for c in s.chars() {
                    put(c, &mut at);
                }
            } else {
                // Whole characters up to room - 1 units, then the ellipsis.
                let mut used = 0;
                for c in s.chars() {
                    if used + c.len_utf16() > room.saturating_sub(1) {
                        break;
                    }
                    used += c.len_utf16();
                    put(c, &mut at);
                }
                if room > 0 {
                    put(ELLIPSIS, &mut at);
                }
            }
            at += 2; // NUL (the buffer is zeroed)
            count += 1;
        }
        let header = IoErrorLogPacket {
            number_of_strings: U16::new(count),
            string_offset: U16::new(STRINGS_START),
            error_code: U32::new(code),
            final_status: U32::new(final_status.cast_unsigned()),
            ..IoErrorLogPacket::new_zeroed()
        };
        if let Some(dst) = bytes.get_mut(..PACKET_HEADER_LEN) {
            dst.copy_from_slice(header.as_bytes());
        }
        Self {
            bytes,
            len: at.min(ERROR_LOG_MAXIMUM_SIZE),
        }
    }

    /// The entry for a failed `DriverEntry`: [`RAMDISK_BAD_VALUE`] when the failure
    /// names a registry value (`value`) and its line starts with `"<value>: "` (the
    /// value as `%2`, the rest as `%3`), [`RAMDISK_LOAD_FAILED`] with the whole line
    /// otherwise. `status` is what `DriverEntry` returns.
    #[must_use]
    pub fn load_failed(value: Option<&str>, line: &str, status: i32) -> Self {
        value
            .and_then(|name| {
                line.strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix(": "))
                    .map(|rest| [name, rest])
            })
            .map_or_else(
                || Self::new(RAMDISK_LOAD_FAILED, status, &[line]),
                |strings| Self::new(RAMDISK_BAD_VALUE, status, &strings),
            )
    }

    /// The entry for a disk created on `drive` (`R:`), described by `summary`.
    #[must_use]
    pub fn disk_created(drive: &str, summary: &str) -> Self {
        Self::new(RAMDISK_DISK_CREATED, 0, &[drive, summary])
    }

    /// The entry for a disk removed from `drive`, with what happened in `summary`.
    #[must_use]
    pub fn disk_removed(drive: &str, summary: &str) -> Self {
        Self::new(RAMDISK_DISK_REMOVED, 0, &[drive, summary])
    }

    /// The bytes to copy into the entry: its `EntrySize`.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&self.bytes)
    }

    /// The event code.
    #[must_use]
    pub fn code(&self) -> u32 {
        self.header().map_or(0, |h| h.error_code.get())
    }

    /// The fixed part of the packet.
    #[must_use]
    pub fn header(&self) -> Option<IoErrorLogPacket> {
        IoErrorLogPacket::read_from_prefix(&self.bytes)
            .ok()
            .map(|(h, _)| h)
    }
}

/// `MESSAGE_RESOURCE_UNICODE`: the entry's text is UTF-16LE.
const MESSAGE_RESOURCE_UNICODE: u16 = 1;

/// Writes `bytes` at `*at` in `out` and advances; `None` when `out` is too short.
fn emit(out: &mut [u8], at: &mut usize, bytes: &[u8]) -> Option<()> {
    out.get_mut(*at..*at + bytes.len())?.copy_from_slice(bytes);
    *at += bytes.len();
    Some(())
}

/// The UTF-16 length in bytes of a message entry's text as `mc.exe` stores it: the
/// text, `\r\n`, and NULs up to a multiple of 4 bytes (at least one NUL).
fn entry_text_len(text: &str) -> usize {
    let units = text.encode_utf16().count() + 2 + 1;
    (units * 2).next_multiple_of(4)
}

/// Encodes [`MESSAGES`] as `MESSAGE_RESOURCE_DATA` (winnt.h) into `out`.
///
/// The number of blocks, one `MESSAGE_RESOURCE_BLOCK` (low ID, high ID, offset) per run
/// of consecutive codes, then every `MESSAGE_RESOURCE_ENTRY` (length, flags, text).
/// Returns the length, or `None` when `out` is too short.
#[must_use]
pub fn message_table(out: &mut [u8]) -> Option<usize> {
    // Runs of consecutive codes (MESSAGES is sorted).
    let mut blocks = [(0u32, 0u32); MESSAGES.len()];
    let mut n: usize = 0;
    for m in &MESSAGES {
        match n.checked_sub(1).and_then(|i| blocks.get_mut(i)) {
            Some(last) if last.1.checked_add(1) == Some(m.id) => last.1 = m.id,
            _ => {
                *blocks.get_mut(n)? = (m.id, m.id);
                n += 1;
            }
        }
    }
    let blocks = blocks.get(..n)?;
    let mut at = 0;
    // MESSAGE_RESOURCE_DATA: NumberOfBlocks, then the blocks.
    emit(out, &mut at, U32::new(u32::try_from(n).ok()?).as_bytes())?;
    let mut entries_at = size_of::<U32>() + size_of::<MessageResourceBlock>() * n;
    let mut index = 0;
    for &(low, high) in blocks {
        let block = MessageResourceBlock {
            low_id: U32::new(low),
            high_id: U32::new(high),
            offset_to_entries: U32::new(u32::try_from(entries_at).ok()?),
        };
        emit(out, &mut at, block.as_bytes())?;
        let count = usize::try_from(high - low).ok()? + 1;
        for m in MESSAGES.get(index..index + count)? {
            entries_at += size_of::<MessageResourceEntryHeader>() + entry_text_len(m.text);
        }
        index += count;
    }
    for m in &MESSAGES {
        let text_len = entry_text_len(m.text);
        let entry = MessageResourceEntryHeader {
            length: U16::new(
                u16::try_from(size_of::<MessageResourceEntryHeader>() + text_len).ok()?,
            ),
            flags: U16::new(MESSAGE_RESOURCE_UNICODE),
        };
        emit(out, &mut at, entry.as_bytes())?;
        let start = at;
        for unit in m.text.encode_utf16().chain("\r\n".encode_utf16()) {
            emit(out, &mut at, &unit.to_le_bytes())?;
        }
        let pad = text_len - (at - start);
        for _ in 0..pad {
            emit(out, &mut at, &[0])?;
        }
    }
    Some(at)
}

/// `RT_MESSAGETABLE`.
pub const RT_MESSAGETABLE: u16 = 11;
/// The table's resource name (`mc.exe`'s `.rc` names it 1).
pub const MESSAGE_TABLE_NAME: u16 = 1;
/// Its language: English (United States), which `FormatMessage` falls back to.
pub const MESSAGE_TABLE_LANGUAGE: u16 = 0x0409;

/// One 32-bit `.res` entry header (ordinal type and name) for `data_len` bytes.
fn res_header(
    out: &mut [u8],
    at: &mut usize,
    data_len: usize,
    typ: u16,
    name: u16,
    language: u16,
    memory_flags: u16,
) -> Option<()> {
    let header = ResourceHeader {
        data_size: U32::new(u32::try_from(data_len).ok()?),
        header_size: U32::new(u32::try_from(size_of::<ResourceHeader>()).ok()?),
        type_marker: U16::new(0xFFFF),
        type_id: U16::new(typ),
        name_marker: U16::new(0xFFFF),
        name_id: U16::new(name),
        memory_flags: U16::new(memory_flags),
        language_id: U16::new(language),
        ..ResourceHeader::new_zeroed()
    };
    emit(out, at, header.as_bytes())
}

/// A 32-bit resource file (`.res`, what `rc.exe` writes) holding the message table.
///
/// The empty entry every `.res` starts with, then [`message_table`] as
/// `RT_MESSAGETABLE` 1, language 0x0409, padded to 4 bytes. Returns the length, or
/// `None` when `out` is too short.
#[must_use]
pub fn res_file(out: &mut [u8]) -> Option<usize> {
    let mut table = [0u8; 2048];
    let table_len = message_table(&mut table)?;
    let mut at = 0;
    res_header(out, &mut at, 0, 0, 0, 0, 0)?;
    // MOVEABLE | PURE | DISCARDABLE, as rc.exe marks message tables.
    res_header(
        out,
        &mut at,
        table_len,
        RT_MESSAGETABLE,
        MESSAGE_TABLE_NAME,
        MESSAGE_TABLE_LANGUAGE,
        0x1030,
    )?;
    emit(out, &mut at, table.get(..table_len)?)?;
    while !at.is_multiple_of(4) {
        emit(out, &mut at, &[0])?;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};
    use std::vec::Vec;
    use std::{format, vec};

    /// The strings of a packet, decoded.
    fn strings(p: &Packet) -> Vec<String> {
        let b = p.as_bytes();
        let header = p.header().unwrap();
        let n = usize::from(header.number_of_strings.get());
        let off = usize::from(header.string_offset.get());
        let units: Vec<u16> = b[off..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        units
            .split(|&u| u == 0)
            .map(String::from_utf16_lossy)
            .take(n)
            .collect()
    }

    #[test]
    fn codes_are_ntstatus_shaped() {
        assert_eq!(RAMDISK_BAD_VALUE, 0xE007_0001);
        assert_eq!(RAMDISK_LOAD_FAILED, 0xE007_0002);
        assert_eq!(RAMDISK_DISK_CREATED, 0x6007_0003);
        assert_eq!(RAMDISK_DISK_REMOVED, 0x6007_0004);
        // Event Viewer's event ID is the low word; sorted and unique.
        let ids: Vec<u32> = MESSAGES.iter().map(|m| m.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
        for m in &MESSAGES {
            assert_eq!(message(m.id), Some(m));
            assert!(m.symbol.starts_with("RAMDISK_"));
        }
        assert_eq!(message(0), None);
    }

    #[test]
    fn rendering_inserts_like_format_message() {
        let m = message(RAMDISK_BAD_VALUE).unwrap();
        assert_eq!(
            m.render(&["", "DiskSize", "511 is not a multiple of 512"])
                .to_string(),
            "The RAM disk was not created: the registry value Parameters\\DiskSize is not \
             valid: 511 is not a multiple of 512"
        );
        let m = message(RAMDISK_DISK_CREATED).unwrap();
        assert_eq!(
            m.render(&["\\Device\\Ramdisk0", "R:"]).to_string(),
            "RAM disk R: created: %3"
        );
        let r = Rendered {
            text: "100% %1%2 %10 %",
            strings: &["a", "b"],
        };
        assert_eq!(r.to_string(), "100% ab %10 %");
    }

    #[test]
    fn packets_carry_code_status_and_strings() {
        let p = Packet::load_failed(
            Some("DiskSize"),
            "DiskSize: 511 is not a multiple of 512",
            0xC000_000D_u32.cast_signed(),
        );
        let b = p.as_bytes();
        assert_eq!(p.code(), RAMDISK_BAD_VALUE);
        assert_eq!(&b[12..16], &RAMDISK_BAD_VALUE.to_le_bytes());
        assert_eq!(&b[20..24], &0xC000_000D_u32.to_le_bytes());
        assert_eq!(&b[6..8], &48u16.to_le_bytes());
        assert!(
            b[..4]
                .iter()
                .chain(&b[8..12])
                .chain(&b[16..20])
                .all(|&x| x == 0)
        );
        assert!(b[24..48].iter().all(|&x| x == 0));
        assert_eq!(strings(&p), ["DiskSize", "511 is not a multiple of 512"]);
        assert_eq!(b.len(), 48 + 2 * (9 + 29));
        // A failure without a value, or whose line does not start with it.
        let p = Packet::load_failed(None, "IoCreateDevice failed: 0xc000009a", -1);
        assert_eq!(p.code(), RAMDISK_LOAD_FAILED);
        assert_eq!(strings(&p), ["IoCreateDevice failed: 0xc000009a"]);
        let p = Packet::load_failed(Some("DiskSize"), "DiskSizes: x", -1);
        assert_eq!(p.code(), RAMDISK_LOAD_FAILED);
        let p = Packet::disk_created("R:", "64 MiB FAT16");
        assert_eq!(
            (p.code(), strings(&p)),
            (
                RAMDISK_DISK_CREATED,
                vec!["R:".into(), "64 MiB FAT16".into()]
            )
        );
        assert_eq!(Packet::disk_removed("R:", "x").code(), RAMDISK_DISK_REMOVED);
    }

    #[test]
    fn long_strings_are_shortened_to_fit_240_bytes() {
        let long = "x".repeat(300);
        let p = Packet::new(RAMDISK_BAD_VALUE, 0, &["DiskSize", &long]);
        assert_eq!(p.as_bytes().len(), ERROR_LOG_MAXIMUM_SIZE);
        let s = strings(&p);
        assert_eq!(s[0], "DiskSize");
        // 96 units: 9 for "DiskSize\0", 87 for 85 x, the ellipsis and the NUL.
        assert_eq!(s[1], format!("{}\u{2026}", "x".repeat(85)));
        // Exactly fitting: no ellipsis.
        let fits = "y".repeat(86);
        let p = Packet::new(RAMDISK_BAD_VALUE, 0, &["DiskSize", &fits]);
        assert_eq!(p.as_bytes().len(), ERROR_LOG_MAXIMUM_SIZE);
        assert_eq!(strings(&p)[1], fits);
        // A string too long for its turn leaves room for the later NULs.
        let p = Packet::new(RAMDISK_DISK_CREATED, 0, &[&long, "R:"]);
        let s = strings(&p);
        assert_eq!(s.len(), 2);
        assert!(s[0].ends_with('\u{2026}'));
        assert_eq!(s[1], "");
        assert!(p.as_bytes().len() <= ERROR_LOG_MAXIMUM_SIZE);
        // Characters outside the BMP are never split.
        let wide = "\u{1F4BE}".repeat(60);
        let p = Packet::new(RAMDISK_LOAD_FAILED, 0, &[&wide]);
        let s = strings(&p);
        assert!(
            s[0].chars().all(|c| c == '\u{1F4BE}' || c == '\u{2026}'),
            "{s:?}"
        );
        assert!(p.as_bytes().len() <= ERROR_LOG_MAXIMUM_SIZE);
        // No strings: the header alone.
        assert_eq!(
            Packet::new(RAMDISK_LOAD_FAILED, 0, &[]).as_bytes().len(),
            48
        );
    }

    /// Decodes a `MESSAGE_RESOURCE_DATA` the way `RtlFindMessage` walks it.
    fn find(table: &[u8], id: u32) -> Option<String> {
        let u32_at = |at: usize| u32::from_le_bytes(table[at..at + 4].try_into().unwrap());
        let blocks = u32_at(0) as usize;
        for b in 0..blocks {
            let (low, high, mut at) = (
                u32_at(4 + 12 * b),
                u32_at(8 + 12 * b),
                u32_at(12 + 12 * b) as usize,
            );
            if !(low..=high).contains(&id) {
                continue;
            }
            for _ in low..id {
                at += usize::from(u16::from_le_bytes([table[at], table[at + 1]]));
            }
            let len = usize::from(u16::from_le_bytes([table[at], table[at + 1]]));
            assert_eq!(u16::from_le_bytes([table[at + 2], table[at + 3]]), 1);
            assert_eq!(len % 4, 0);
            let units: Vec<u16> = table[at + 4..at + len]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|&u| u != 0)
                .collect();
            return Some(String::from_utf16(&units).unwrap());
        }
        None
    }

    #[test]
    fn the_message_table_finds_every_message() {
        let mut out = [0u8; 2048];
        let len = message_table(&mut out).unwrap();
        let table = &out[..len];
        // Two runs: the informational codes, the error codes.
        assert_eq!(u32::from_le_bytes(table[..4].try_into().unwrap()), 2);
        for m in &MESSAGES {
            assert_eq!(find(table, m.id), Some(format!("{}\r\n", m.text)));
        }
        assert_eq!(find(table, RAMDISK_DISK_REMOVED + 1), None);
        assert_eq!(find(table, 0), None);
        assert!(message_table(&mut out[..len - 1]).is_none());
    }

    #[test]
    fn the_res_file_wraps_the_table() {
        let mut out = [0u8; 4096];
        let len = res_file(&mut out).unwrap();
        let res = &out[..len];
        assert_eq!(len % 4, 0);
        // The empty first entry: DataSize 0, HeaderSize 32, type and name ordinal 0.
        assert_eq!(
            &res[..16],
            &[0, 0, 0, 0, 32, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0xFF, 0xFF, 0, 0]
        );
        let mut table = [0u8; 2048];
        let table_len = message_table(&mut table).unwrap();
        let h = &res[32..64];
        assert_eq!(
            u32::from_le_bytes(h[..4].try_into().unwrap()) as usize,
            table_len
        );
        assert_eq!(&h[4..8], &32u32.to_le_bytes());
        assert_eq!(&h[8..12], &[0xFF, 0xFF, 11, 0]);
        assert_eq!(&h[12..16], &[0xFF, 0xFF, 1, 0]);
        assert_eq!(&h[22..24], &0x0409u16.to_le_bytes());
        assert_eq!(&res[64..64 + table_len], &table[..table_len]);
        assert!(res_file(&mut out[..100]).is_none());
    }
}
