//! The driver's own System event-log entries, read back so `ramdiskctl start` can say
//! why the driver refused to load.
//!
//! `StartService` only returns the failed `DriverEntry`'s status mapped to a Win32 error
//! (`DiskSize` 511 reads as "The parameter is incorrect.", a wrong `REG_SZ` type as
//! "The handle is invalid."). The driver writes its reason to the System log too
//! (source `RustRamDisk`, `ramdisk_core::eventlog`); this module parses the records
//! `ReadEventLogW` returns (`EVENTLOGRECORD`, winnt.h) and renders ours with the same
//! message texts the driver's message table carries. The Win32 reading is in
//! `sys::read_system_log` (Windows only).

use ramdisk_core::wire::FromBytes;
use ramdisk_core::wire::eventlog::{ELF_LOG_SIGNATURE, EventLogRecord};
use ramdisk_core::{eventlog, service::SERVICE_NAME};

/// Size of the fixed part of `EVENTLOGRECORD`.
pub const RECORD_HEADER_LEN: usize = size_of::<EventLogRecord>();

/// One event-log record, as much of it as this tool reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// `TimeGenerated`: seconds since 1970-01-01 UTC.
    pub time_generated: u32,
    /// `EventID` with its qualifiers (the high word).
    pub event_id: u32,
    /// The source name (the first string after the fixed part).
    pub source: String,
    /// The insertion strings (`%1` first).
    pub strings: Vec<String>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// The NUL-terminated UTF-16LE string at `at` in `b` and the offset after its NUL.
fn wide_at(b: &[u8], at: usize) -> Option<(String, usize)> {
    let mut units = Vec::new();
    let mut i = at;
    loop {
        let u = u16_at(b, i)?;
        i += 2;
        if u == 0 {
            return Some((String::from_utf16_lossy(&units), i));
        }
        units.push(u);
    }
}

/// The fixed part of the record at the start of `b`, when `b` holds at least that.
fn header(b: &[u8]) -> Option<EventLogRecord> {
    EventLogRecord::read_from_prefix(b).ok().map(|(h, _)| h)
}

/// One record at the start of `b`; `None` when it is malformed.
fn parse_record(b: &[u8]) -> Option<Record> {
    let h = header(b)?;
    let len = usize::try_from(h.length.get()).ok()?;
    if len < RECORD_HEADER_LEN || len > b.len() || h.reserved.get() != ELF_LOG_SIGNATURE {
        return None;
    }
    let b = b.get(..len)?;
    let (source, _) = wide_at(b, RECORD_HEADER_LEN)?;
    let mut at = usize::try_from(h.string_offset.get()).ok()?;
    let mut strings = Vec::new();
    for _ in 0..h.num_strings.get() {
        let (s, next) = wide_at(b, at)?;
        strings.push(s);
        at = next;
    }
    Some(Record {
        time_generated: h.time_generated.get(),
        event_id: h.event_id.get(),
        source,
        strings,
    })
}

/// The records `ReadEventLogW` put into `buf`, in order; stops at the first malformed
/// one.
#[must_use]
pub fn parse_records(buf: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(rest) = buf.get(at..) {
        let Some(record) = parse_record(rest) else {
            break;
        };
        out.push(record);
        at += header(rest).map_or(0, |h| h.length.get() as usize);
    }
    out
}

/// What the driver said in `records` since `since` (seconds since 1970).
///
/// Oldest first: each of our source's records rendered with its message (`event 1: The
/// RAM disk was not created: ...`), or its strings when the code is not one of ours.
#[must_use]
pub fn driver_says(records: &[Record], since: u32) -> Vec<String> {
    let mut ours: Vec<&Record> = records
        .iter()
        .filter(|r| r.source.eq_ignore_ascii_case(SERVICE_NAME) && r.time_generated >= since)
        .collect();
    ours.sort_by_key(|r| r.time_generated);
    ours.iter()
        .map(|r| {
            let strings: Vec<&str> = r.strings.iter().map(String::as_str).collect();
            let text = eventlog::message(r.event_id)
                .map_or_else(|| strings.join(" | "), |m| m.render(&strings).to_string());
            format!("event {}: {text}", r.event_id & 0xFFFF)
        })
        .collect()
}

/// The note for a failed start when the log held nothing from the driver: where the
/// reason is to be found instead, with `why` the event log could not tell.
#[must_use]
pub fn not_found_note(why: &str) -> String {
    format!(
        "the driver's reason is not in the System event log ({why}); it is also in the \
         kernel debugger output: a DbgPrintEx line \"ramdisk: <ValueName>: <why>\" at \
         error level (DebugView with Capture Kernel, or WinDbg)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ramdisk_core::eventlog::{RAMDISK_BAD_VALUE, RAMDISK_DISK_CREATED, RAMDISK_LOAD_FAILED};

    fn wide(s: &str) -> Vec<u8> {
        s.encode_utf16()
            .chain(std::iter::once(0))
            .flat_map(u16::to_le_bytes)
            .collect()
    }

    /// An `EVENTLOGRECORD` laid out as winnt.h documents it: the fixed part, the
    /// source and computer names, the strings, padding, the closing length.
    fn record(time: u32, id: u32, source: &str, strings: &[&str]) -> Vec<u8> {
        let mut names = wide(source);
        names.extend(wide("HOST"));
        let string_offset = RECORD_HEADER_LEN + names.len();
        let mut body = names;
        for s in strings {
            body.extend(wide(s));
        }
        while !(RECORD_HEADER_LEN + body.len() + 4).is_multiple_of(4) {
            body.push(0);
        }
        let len = RECORD_HEADER_LEN + body.len() + 4;
        let u32s = |v: &[u32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let mut r = u32s(&[u32::try_from(len).unwrap(), 0x654c_664c, 7, time, time, id]);
        r.extend(1u16.to_le_bytes()); // EventType
        r.extend(u16::try_from(strings.len()).unwrap().to_le_bytes());
        r.extend([0, 0, 0, 0]); // EventCategory, ReservedFlags
        r.extend(u32s(&[
            0,
            u32::try_from(string_offset).unwrap(),
            0,
            0,
            0,
            0,
        ]));
        assert_eq!(r.len(), RECORD_HEADER_LEN);
        r.extend(body);
        r.extend(u32::try_from(len).unwrap().to_le_bytes());
        r
    }

    #[test]
    fn records_parse_and_ours_are_rendered() {
        let mut buf = record(100, 0x4000_0001, "Service Control Manager", &["x"]);
        buf.extend(record(
            205,
            RAMDISK_BAD_VALUE,
            "RustRamDisk",
            &["", "DiskSize", "511 is not a multiple of 512"],
        ));
        buf.extend(record(
            199,
            RAMDISK_LOAD_FAILED,
            "RustRamDisk",
            &["", "old"],
        ));
        buf.extend(record(206, 0xE007_0099, "RustRamDisk", &["", "a", "b"]));
        let records = parse_records(&buf);
        assert_eq!(records.len(), 4);
        assert_eq!(records[0].source, "Service Control Manager");
        assert_eq!(records[1].event_id, RAMDISK_BAD_VALUE);
        assert_eq!(records[1].strings[1], "DiskSize");
        assert_eq!(
            driver_says(&records, 200),
            [
                "event 1: The RAM disk was not created: the registry value \
                 Parameters\\DiskSize is not valid: 511 is not a multiple of 512",
                "event 153:  | a | b",
            ]
        );
        assert_eq!(driver_says(&records, 300), Vec::<String>::new());
        let created = record(
            5,
            RAMDISK_DISK_CREATED,
            "rustramdisk",
            &["", "R:", "64 MiB"],
        );
        assert_eq!(
            driver_says(&parse_records(&created), 0),
            ["event 3: RAM disk R: created: 64 MiB"]
        );
    }

    #[test]
    fn malformed_records_stop_the_parse() {
        let good = record(1, RAMDISK_LOAD_FAILED, "RustRamDisk", &["", "why"]);
        let mut bad = good.clone();
        bad[4] = 0; // signature
        assert!(parse_records(&bad).is_empty());
        let mut both = good.clone();
        both.extend(&bad);
        assert_eq!(parse_records(&both).len(), 1);
        // Truncated: the length points past the buffer; strings past the record.
        assert!(parse_records(&good[..good.len() - 1]).is_empty());
        let mut lying = good;
        lying[26] = 9; // NumStrings
        assert!(parse_records(&lying).is_empty());
        assert!(parse_records(&[]).is_empty());
    }

    #[test]
    fn the_note_points_at_the_debugger() {
        let n = not_found_note("the event log could not be read: Access is denied.");
        assert!(n.contains("Access is denied."), "{n}");
        assert!(n.contains("ramdisk: <ValueName>: <why>"), "{n}");
        assert!(n.contains("DebugView"), "{n}");
    }
}
