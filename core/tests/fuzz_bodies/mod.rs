//! The fuzz-target bodies, shared by the cargo-fuzz crate (`core/fuzz`, on
//! nightly) and `tests/fuzz_corpus.rs` (which replays the committed corpus on
//! stable). Each body decodes raw bytes into a call of `ramdisk-core` and
//! asserts the contract of that call; a panic is a finding.
//!
//! The decoding is hand-written (no `arbitrary`) so that a corpus file means
//! the same thing to both users, and it is biased: a selector byte picks
//! between "well-formed" and "anything", so the fuzzer reaches the interesting
//! branches quickly without losing the raw cases.

#![allow(
    dead_code,
    reason = "each fuzz target uses one body; the others are dead code there"
)]

use ramdisk_core::config::{
    self, Allocation, Config, ConfigBuilder, ConfigError, MemoryPlan, RawValue, ValueName,
    explain_format_error, plan_memory,
};
use ramdisk_core::disk::{DiskIdentity, DiskName, DiskState};
use ramdisk_core::dsm::{self, Extent};
use ramdisk_core::fat::{
    BootSector, FatType, FileSystem, FormatError, FormatOptions, Layout, SectorWriter, SliceWriter,
    VolumeLabel, Zeroed, encode_boot_sector, fastfat_accepts, format, plan, planned_cluster_range,
};
use ramdisk_core::geometry::DiskInfo;
use ramdisk_core::ioctl::disk_ops::{self, DiskOps, Usage};
use ramdisk_core::ioctl::{
    self, Output, Reply, TABLE,
    codes::{IOCTL_DISK_VERIFY, IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES},
};
use ramdisk_core::request;
use ramdisk_core::status::{
    STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_INSUFFICIENT_RESOURCES,
    STATUS_INVALID_BUFFER_SIZE, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_PARAMETER,
    STATUS_NOT_SUPPORTED, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS,
};
use ramdisk_core::wire::disk::VerifyInformation;
use ramdisk_core::wire::{I64, IntoBytes, U32};
use ramdisk_core::{exfat, volume};

mod control;
mod save;

pub use control::control;
pub use save::save;

/// A fuzz-target body.
pub type Body = fn(&[u8]);

/// The fuzz targets: name (= the cargo-fuzz binary and corpus directory) and body.
pub const TARGETS: [(&str, Body); 8] = [
    ("config", config),
    ("request", request),
    ("ioctl", ioctl),
    ("fat", fat),
    ("dsm", dsm),
    ("exfat", exfat),
    ("control", control),
    ("save", save),
];

/// Reads little-endian numbers off the front of the input; missing bytes are 0.
pub struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    /// A reader over `data`.
    pub const fn new(data: &'a [u8]) -> Self {
        Self(data)
    }

    /// Whether everything was read.
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Up to `n` bytes (fewer at the end of the input).
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.0.split_at(n.min(self.0.len()));
        self.0 = tail;
        head
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        let head = self.take(N);
        out[..head.len()].copy_from_slice(head);
        out
    }

    /// One byte.
    pub fn u8(&mut self) -> u8 {
        self.array::<1>()[0]
    }

    /// A little-endian `u16`.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.array())
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.array())
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.array())
    }

    /// A little-endian `i64`.
    pub fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.array())
    }
}

// ---------------------------------------------------------------------------
// config

/// One registry value as the fuzzer describes it.
#[derive(Clone, Copy)]
struct Value<'a> {
    name: ValueName,
    reg_type: u32,
    data: &'a [u8],
}

/// Input: serial (4), then records of name (1), type (1, or 0xF0.. + 4 raw),
/// length (1) and that many data bytes, until the input runs out.
///
/// Checks, for `ConfigBuilder::set` one value at a time: never panics; a
/// rejection names exactly the value set, leaves the builder unchanged, maps to
/// one of the three documented statuses and renders as one line starting with
/// the value's name. For `config::parse` over the same (last-wins) registry:
/// the result is what the builder gives in `ValueName::ALL` order; an accepted
/// configuration satisfies every documented range, and a planner rejection of
/// it blames a registry value by name.
pub fn config(data: &[u8]) {
    let mut input = Bytes::new(data);
    let serial = input.u32();
    let mut registry: [Option<Value<'_>>; ValueName::ALL.len()] = [None; ValueName::ALL.len()];
    let mut builder = ConfigBuilder::new();
    let mut records = 0;
    while !input.is_empty() && records < 32 {
        records += 1;
        let index = usize::from(input.u8()) % ValueName::ALL.len();
        let name = ValueName::ALL[index];
        let reg_type = match input.u8() {
            t @ 0..=0xEF => u32::from(t % 12),
            _ => input.u32(),
        };
        let len = usize::from(input.u8());
        let value = Value {
            name,
            reg_type,
            data: input.take(len),
        };
        registry[index] = Some(value);

        let before = builder;
        match builder.set(
            name,
            RawValue {
                reg_type,
                data: value.data,
            },
        ) {
            Ok(()) => {
                assert!(value.data.len() <= name.max_data());
                if builder.check().is_ok() {
                    check_config(&builder.finish(serial), serial);
                }
            }
            Err(e) => {
                assert_eq!(builder, before, "a rejected value changed the builder");
                check_config_error(&e, name);
            }
        }
    }

    // What `parse` sees: each value at most once, data copied into its buffer.
    let parsed = config::parse(
        |name, buffer| {
            let value = registry[ValueName::ALL.iter().position(|&n| n == name)?]?;
            let n = value.data.len().min(buffer.len());
            buffer[..n].copy_from_slice(&value.data[..n]);
            Some((value.reg_type, value.data.len()))
        },
        serial,
    );
    let mut expected = ConfigBuilder::new();
    let expected = ValueName::ALL
        .iter()
        .zip(registry)
        .try_for_each(|(&name, value)| {
            value.map_or(Ok(()), |v| {
                expected.set(
                    name,
                    RawValue {
                        reg_type: v.reg_type,
                        data: v.data,
                    },
                )
            })
        })
        .and_then(|()| expected.check())
        .map(|()| expected.finish(serial));
    assert_eq!(parsed, expected, "parse disagrees with the builder");
    match parsed {
        Ok(c) => {
            check_config(&c, serial);
            check_plan_of_config(&c);
            check_memory_plan(&c, serial);
        }
        Err(e) => check_config_error(&e, e.value),
    }
}

/// `plan_memory` for an accepted configuration on a machine whose memory the serial
/// picks (unknown for even serials): fixed exactly without `Allocation=dynamic` and
/// `MemoryLimit` and within half the machine; a dynamic limit never above the disk
/// or the machine, by default at most half the machine; rejections name
/// `MemoryLimit` (or a fixed disk's `DiskSize`) with their status.
fn check_memory_plan(c: &Config, serial: u32) {
    let physical = (serial & 1 != 0).then(|| u64::from(serial) << 12);
    let disk = c.format.disk_size;
    match plan_memory(c, physical) {
        Ok(MemoryPlan::Fixed) => {
            assert_eq!(c.allocation, Allocation::Fixed);
            assert_eq!(c.memory_limit, None);
            assert!(physical.is_none_or(|p| disk <= config::fixed_disk_limit(p)));
        }
        Ok(MemoryPlan::Dynamic { limit }) => {
            assert_eq!(c.allocation, Allocation::Dynamic);
            assert!(limit <= disk);
            assert!(physical.is_none_or(|p| limit <= p));
            if c.memory_limit.is_none() {
                assert!(physical.is_none_or(|p| limit <= p / 2));
                assert!(limit == disk || physical.is_some());
            }
        }
        Err(e) if c.allocation == Allocation::Fixed && c.memory_limit.is_none() => {
            assert_eq!(e.value, ValueName::DiskSize);
            assert_eq!(e.status(), STATUS_INSUFFICIENT_RESOURCES, "{e}");
            assert!(physical.is_some_and(|p| disk > config::fixed_disk_limit(p)));
        }
        Err(e) => {
            assert_eq!(e.value, ValueName::MemoryLimit);
            let expected = if c.allocation == Allocation::Fixed {
                STATUS_INVALID_PARAMETER
            } else {
                STATUS_INSUFFICIENT_RESOURCES
            };
            assert_eq!(e.status(), expected, "{e}");
            assert!(e.to_string().starts_with("MemoryLimit: "), "{e}");
        }
    }
}

fn check_config(c: &Config, serial: u32) {
    let f = &c.format;
    assert!(c.drive_letter.is_ascii_uppercase());
    assert!(f.disk_size > 0 && f.disk_size.is_multiple_of(512));
    assert!(i64::try_from(f.disk_size).is_ok());
    assert_eq!(f.bytes_per_sector, 512);
    assert!((1..=65535).contains(&f.root_dir_entries));
    let spc = f.sectors_per_cluster;
    let max_spc = if f.file_system == FileSystem::Exfat {
        65_536
    } else {
        128
    };
    assert!(spc == 0 || (spc.is_power_of_two() && spc <= max_spc));
    assert_eq!(f.allow_64k_clusters, spc == 128);
    // Every label is an exFAT one; a FAT volume's is the same text by FAT's rules.
    let units = f.exfat_label.units();
    assert_eq!(exfat::Label::parse(units), Ok(f.exfat_label));
    if f.file_system != FileSystem::Exfat {
        let ascii: Vec<u8> = units
            .iter()
            .map(|&u| u8::try_from(u).ok().filter(u8::is_ascii).unwrap_or(0xFF))
            .collect();
        assert_eq!(VolumeLabel::parse(&ascii), Ok(f.label));
    }
    assert_eq!(f.volume_serial, serial);
    assert_eq!(f.num_fats, 2);
    assert!(f.media == 0xF0 || f.media == 0xF8);
    let link = c.dos_device_name();
    assert_eq!(link[12], u16::from(c.drive_letter));
}

fn check_config_error(e: &ConfigError, name: ValueName) {
    assert_eq!(e.value, name, "the error names another value");
    assert!(
        [
            STATUS_INVALID_PARAMETER,
            STATUS_INVALID_BUFFER_SIZE,
            STATUS_OBJECT_TYPE_MISMATCH
        ]
        .contains(&e.status())
    );
    let line = e.to_string();
    assert!(
        line.starts_with(name.name()) && line[name.name().len()..].starts_with(": "),
        "{line}"
    );
    assert!(!line.contains('\n') && line.is_ascii(), "{line}");
}

/// An accepted configuration either plans (and the layout is legal) or the
/// planner's error is traced to a registry value.
fn check_plan_of_config(c: &Config) {
    match volume::plan(&c.format) {
        Ok(volume::Layout::Fat(layout)) => check_layout(&c.format, &layout),
        Ok(volume::Layout::Exfat(layout)) => check_exfat_layout(&c.format, &layout),
        Err(error) => {
            let problem = explain_format_error(error, &c.format);
            let value = problem
                .value
                .unwrap_or_else(|| panic!("{error:?} for a parsed config blames no value"));
            let line = problem.to_string();
            assert!(line.starts_with(value.name()), "{line}");
            assert_eq!(problem.status(), STATUS_INVALID_PARAMETER);
        }
    }
}

// ---------------------------------------------------------------------------
// request

/// Input: mode (1), offset (8), length (4), disk size (8). Mode bits align the
/// numbers, shrink the disk, or put the request right at the end of the disk.
///
/// Checks: `request::check` accepts exactly the requests a 128-bit model calls
/// aligned and in bounds; an accepted range is the request itself, its end does
/// not overflow, and the driver's `usize` conversion of the offset succeeds;
/// `IOCTL_DISK_VERIFY` with the same numbers gives the same verdict.
pub fn request(data: &[u8]) {
    let mut input = Bytes::new(data);
    let mode = input.u8();
    let mut offset = input.i64();
    let mut length = input.u32();
    let mut disk_size = input.u64();
    if mode & 1 != 0 {
        offset &= !511;
    }
    if mode & 2 != 0 {
        length &= !511;
    }
    if mode & 4 != 0 {
        disk_size %= 1 << 40;
    }
    if mode & 8 != 0 {
        disk_size &= !511;
    }
    if mode & 16 != 0 {
        // Near the end of the disk: end - length + a small signed delta.
        let delta = i64::from(mode >> 5) * 512 - 1024;
        offset = i64::try_from(disk_size)
            .unwrap_or(i64::MAX)
            .wrapping_sub(i64::from(length))
            .wrapping_add(delta);
    }

    let model = offset >= 0
        && offset % 512 == 0
        && length.is_multiple_of(512)
        && i128::from(offset) + i128::from(length) <= i128::from(disk_size);
    match request::check(offset, length, disk_size) {
        Ok(range) => {
            assert!(model, "accepted {offset} + {length} on {disk_size}");
            assert_eq!(range.offset(), offset.cast_unsigned());
            assert_eq!(range.length() as u64, u64::from(length));
            assert!(range.offset().is_multiple_of(512) && range.length().is_multiple_of(512));
            let end = range
                .offset()
                .checked_add(range.length() as u64)
                .expect("end overflows");
            assert!(end <= disk_size);
            assert_eq!(range.end(), end);
        }
        Err(status) => {
            assert!(!model, "rejected {offset} + {length} on {disk_size}");
            assert_eq!(status, STATUS_INVALID_PARAMETER);
        }
    }

    let mut verify = VerifyInformation {
        starting_offset: I64::new(offset),
        length: U32::new(length),
        pad: [0; 4],
    }
    .as_bytes()
    .to_vec();
    let verify_len = verify.len();
    let info = DiskState::new(
        DiskInfo::new(disk_size, FatType::Fat16),
        DiskIdentity::parameters(),
        b'R',
    );
    let reply = ioctl::answer(IOCTL_DISK_VERIFY, &mut verify, verify_len, 0, &info);
    assert_eq!(reply.information, 0);
    assert_eq!(
        reply.status == STATUS_SUCCESS,
        model,
        "VERIFY disagrees with check"
    );
}

// ---------------------------------------------------------------------------
// ioctl

const SENTINEL: u8 = 0xA5;

/// The disk of an ioctl case; bits 5 and 6 of `flags` pick the identity the
/// MOUNTDEV replies read.
/// The disk of an `ioctl` input: identity from `flags`, FAT type from `fat_byte % 3`,
/// thin-provisioned (a dynamic disk) when its top bit is set.
fn fuzz_disk(flags: u8, disk_size: u64, fat_byte: u8) -> DiskState {
    let fat_type = [FatType::Fat12, FatType::Fat16, FatType::Fat32][usize::from(fat_byte % 3)];
    let identity = match (flags >> 5) & 3 {
        1 => DiskName::parse(b"FUZZ_disk-01").and_then(|name| {
            DiskIdentity::registry(u32::try_from(disk_size % 1000).unwrap_or(0) + 1, name)
        }),
        2 => DiskIdentity::runtime(u32::from(flags >> 7) + 1, b'A' + (flags % 26)),
        _ => Ok(DiskIdentity::parameters()),
    }
    .expect("valid identity");
    let info = DiskInfo::new(disk_size, fat_type);
    let info = if fat_byte & 0x80 == 0 {
        info
    } else {
        info.thin(1 << 16)
    };
    DiskState::new(info, identity, b'R')
}

/// Input: code selector (1: a table code, a table code with one bit flipped,
/// or 4 raw bytes), flags (1), input and output lengths (1 or 2 bytes each),
/// buffer slack (1), disk size (8), FAT type (1), then the input bytes.
///
/// Checks: never panics; `information <= output_len`; no byte at or beyond
/// `output_len` changes (so nothing past `max(input, output)` either); an
/// error status carries no bytes; unknown codes, short system buffers and
/// short inputs get their documented statuses; a fixed-size success reply is
/// exactly that size; the same call twice gives the same answer.
pub fn ioctl(data: &[u8]) {
    let mut input = Bytes::new(data);
    let selector = input.u8();
    let code = match selector {
        0..=0xDF => TABLE[usize::from(selector) % TABLE.len()].code,
        0xE0..=0xEF => TABLE[usize::from(selector) % TABLE.len()].code ^ (1 << (input.u8() % 32)),
        _ => input.u32(),
    };
    let flags = input.u8();
    let mut length = |wide: bool| {
        if wide {
            usize::from(input.u16() % 8192)
        } else {
            usize::from(input.u8())
        }
    };
    let input_len = length(flags & 1 != 0);
    let output_len = length(flags & 2 != 0);
    let needed = input_len.max(output_len);
    let slack = usize::from(input.u8() % 64);
    let buffer_len = match (flags >> 2) & 3 {
        0 | 1 => needed,
        2 => needed + slack,
        _ => needed.saturating_sub(slack + 1),
    };
    let mut disk_size = input.u64();
    if flags & 0x10 != 0 {
        disk_size = (disk_size % (1 << 41)) & !511;
    }
    let info = fuzz_disk(flags, disk_size, input.u8());

    let mut buffer = vec![SENTINEL; buffer_len];
    let rest = input.take(buffer_len);
    buffer[..rest.len()].copy_from_slice(rest);
    let before = buffer.clone();
    let reply = ioctl::answer(code, &mut buffer, input_len, output_len, &info);

    assert!(
        reply.information <= output_len,
        "{}: information {} > output {output_len}",
        ioctl::name(code),
        reply.information
    );
    let untouched = output_len.min(buffer_len);
    assert_eq!(
        &buffer[untouched..],
        &before[untouched..],
        "{}: wrote at or past the output length",
        ioctl::name(code)
    );
    assert!(
        [
            STATUS_SUCCESS,
            STATUS_BUFFER_OVERFLOW,
            STATUS_INVALID_PARAMETER,
            STATUS_INVALID_DEVICE_REQUEST,
            STATUS_BUFFER_TOO_SMALL,
            STATUS_NOT_SUPPORTED
        ]
        .contains(&reply.status),
        "{}: unexpected status {:#x}",
        ioctl::name(code),
        reply.status
    );
    if reply.status != STATUS_SUCCESS && reply.status != STATUS_BUFFER_OVERFLOW {
        assert_eq!(
            reply.information,
            0,
            "{}: error with bytes",
            ioctl::name(code)
        );
        assert_eq!(buffer, before, "{}: error but wrote", ioctl::name(code));
    }
    match ioctl::find(code) {
        None => assert_eq!(reply.status, STATUS_INVALID_DEVICE_REQUEST),
        Some(_) if buffer_len < needed => assert_eq!(reply.status, STATUS_INVALID_PARAMETER),
        Some(entry) if input_len < entry.min_input => {
            assert_eq!(reply.status, STATUS_INVALID_PARAMETER);
        }
        Some(entry) => {
            if let Output::Fixed(n) = entry.output
                && reply.status == STATUS_SUCCESS
            {
                assert_eq!(reply.information, n, "{}", entry.name);
            }
            if output_len < entry.output.min() {
                assert_eq!(reply.status, entry.output.short_status(), "{}", entry.name);
            }
        }
    }

    // Deterministic: the same request on the same bytes gives the same reply.
    let mut again = before;
    assert_eq!(
        ioctl::answer(code, &mut again, input_len, output_len, &info),
        reply
    );
    assert_eq!(again, buffer);

    // The glue passes an empty buffer for a code outside the table.
    if ioctl::find(code).is_none() {
        let reply = ioctl::answer(code, &mut [], input_len, output_len, &info);
        assert_eq!(reply.status, STATUS_INVALID_DEVICE_REQUEST);
        assert_eq!(reply.information, 0);
    }
}

// ---------------------------------------------------------------------------
// fat

/// Checks every write lies inside `[0, limit)` and keeps the first 512 bytes
/// (the boot sector); writes nothing anywhere.
struct Recorder {
    limit: u64,
    metadata_end: u64,
    boot: [u8; 512],
    writes: u64,
}

impl SectorWriter for Recorder {
    fn write(&mut self, byte_offset: u64, data: &[u8]) -> Result<(), FormatError> {
        let end = byte_offset
            .checked_add(data.len() as u64)
            .expect("write end overflows");
        assert!(
            end <= self.limit,
            "write {byte_offset}..{end} past the disk ({})",
            self.limit
        );
        assert!(
            end <= self.metadata_end,
            "write {byte_offset}..{end} in the data area (metadata ends at {})",
            self.metadata_end
        );
        if let Ok(start) = usize::try_from(byte_offset)
            && start < self.boot.len()
        {
            let n = data.len().min(self.boot.len() - start);
            self.boot[start..start + n].copy_from_slice(&data[..n]);
        }
        self.writes += 1;
        Ok(())
    }
}

/// Largest disk formatted into a real in-memory image.
const REAL_IMAGE_LIMIT: u64 = 1 << 20;

/// Input: mode (1), disk size (8, 4 or 2 bytes by mode), then one selector
/// byte per option (each "default-ish" or raw), label length + bytes, serial.
///
/// Checks: `plan` never panics; an accepted layout validates, fits the disk,
/// has the requested type and a planned cluster count, and its encoded boot
/// sector passes `fastfat_accepts` and decodes back to the layout; `format`
/// (zeroed or not) succeeds and writes only inside the disk's metadata area
/// (the FAT32 root cluster included); on a small disk the real `SliceWriter`
/// image holds the same boot sector. A rejection explains itself.
pub fn fat(data: &[u8]) {
    let mut input = Bytes::new(data);
    let mode = input.u8();
    let mut o = FormatOptions::new(match mode & 3 {
        0 => input.u64(),
        1 => u64::from(input.u32()) * 512,
        2 => u64::from(input.u32() % (1 << 17)) * 512,
        _ => u64::from(input.u16()) * 512,
    });
    o.bytes_per_sector = match input.u8() {
        0..=0xBF => 512,
        0xC0..=0xFB => 4096,
        _ => input.u32(),
    };
    if mode & 4 != 0 && o.bytes_per_sector == 4096 {
        o.disk_size &= !4095;
    }
    o.file_system = [
        FileSystem::Auto,
        FileSystem::Fat12,
        FileSystem::Fat16,
        FileSystem::Fat32,
    ][usize::from(input.u8() % 4)];
    o.sectors_per_cluster = match input.u8() {
        s @ 0..=0x7F => u32::from(s & 1) * (1 << (s / 2 % 8)),
        s @ 0x80..=0xEF => 1 << (s % 9),
        _ => input.u32(),
    };
    o.allow_64k_clusters = mode & 8 != 0;
    o.root_dir_entries = match input.u8() {
        0..=0x7F => 512,
        0x80..=0xEF => u32::from(input.u16()),
        _ => input.u32(),
    };
    o.num_fats = match input.u8() {
        0..=0x7F => 2,
        0x80..=0xDF => 1,
        n => n & 3,
    };
    o.media = match input.u8() {
        0..=0x7F => 0xF8,
        0x80..=0xBF => 0xF0,
        m => m,
    };
    let label_len = usize::from(input.u8() % 13);
    o.label = VolumeLabel::parse(input.take(label_len)).unwrap_or(VolumeLabel::NO_NAME);
    o.volume_serial = input.u32();
    let zeroed = if mode & 16 != 0 {
        Zeroed::No
    } else {
        Zeroed::Yes
    };

    let layout = match plan(&o) {
        Ok(layout) => layout,
        Err(error) => {
            // Every planner error renders (the registry path is checked in `config`).
            let problem = explain_format_error(error, &o);
            assert!(!problem.to_string().is_empty());
            return;
        }
    };
    check_layout(&o, &layout);

    let bps = u64::from(layout.bytes_per_sector);
    let root_cluster = if layout.fat_type == FatType::Fat32 {
        u64::from(layout.sectors_per_cluster)
    } else {
        0
    };
    let mut recorder = Recorder {
        limit: layout.disk_size(),
        metadata_end: (u64::from(layout.first_data_sector) + root_cluster) * bps,
        boot: [0; 512],
        writes: 0,
    };
    format(&layout, &mut recorder, zeroed).expect("format of a planned layout failed");
    assert!(recorder.writes > 0);
    assert_eq!(fastfat_accepts(&recorder.boot), Ok(()));
    let mut encoded = [0u8; 512];
    encode_boot_sector(&layout, &mut encoded);
    assert_eq!(recorder.boot, encoded, "format wrote another boot sector");

    if o.disk_size <= REAL_IMAGE_LIMIT {
        let size = usize::try_from(o.disk_size).expect("small disk");
        let mut image = vec![0u8; size];
        format(&layout, &mut SliceWriter(&mut image), zeroed).expect("format into the image");
        assert_eq!(image[..512], encoded);
        let end = usize::try_from(recorder.metadata_end).expect("small disk");
        assert!(image[end..].iter().all(|&b| b == 0), "data area written");
    }
}

/// The planner's promises about an accepted layout.
fn check_layout(o: &FormatOptions, l: &Layout) {
    assert_eq!(l.validate(), Ok(()), "{o:?}");
    assert!(l.disk_size() <= o.disk_size);
    assert_eq!(l.bytes_per_sector, o.bytes_per_sector);
    assert_eq!(l.num_fats, o.num_fats);
    assert_eq!(l.media, o.media);
    assert_eq!(l.label, o.label);
    assert_eq!(l.volume_serial, o.volume_serial);
    if o.sectors_per_cluster != 0 {
        assert_eq!(l.sectors_per_cluster, o.sectors_per_cluster);
    }
    match (o.file_system, l.fat_type) {
        (FileSystem::Auto, _)
        | (FileSystem::Fat12, FatType::Fat12)
        | (FileSystem::Fat16, FatType::Fat16)
        | (FileSystem::Fat32, FatType::Fat32) => {}
        (asked, got) => panic!("asked for {asked:?}, planned {got:?}"),
    }
    let (min, max) = planned_cluster_range(l.fat_type);
    assert!((min..=max).contains(&l.cluster_count));
    let mut sector = vec![0u8; l.bytes_per_sector as usize];
    encode_boot_sector(l, &mut sector);
    assert_eq!(fastfat_accepts(&sector), Ok(()), "{o:?}");
    let bs = BootSector::parse(&sector).expect("our own boot sector parses");
    assert_eq!(
        (
            bs.fat_type,
            bs.cluster_count,
            bs.first_data_sector,
            bs.fat_size_sectors,
            u64::from(bs.total_sectors)
        ),
        (
            l.fat_type,
            l.cluster_count,
            l.first_data_sector,
            l.fat_size_sectors,
            l.total_sectors
        )
    );
}

// ---------------------------------------------------------------------------
// dsm

/// The TRIM rules of `ramdisk_core::dsm`, written again independently (plain byte
/// offsets, 128-bit sums): the extents of a valid request, or its status.
fn dsm_model(input: &[u8], disk_size: u64) -> Result<Vec<(u64, u64)>, i32> {
    let field = |at: usize| u32::from_le_bytes(input[at..at + 4].try_into().expect("4 bytes"));
    if input.len() < 28 {
        return Err(STATUS_INVALID_PARAMETER);
    }
    let (action, flags) = (field(4), field(8));
    let (pbo, pbl, dso, dsl) = (
        u128::from(field(12)),
        u128::from(field(16)),
        u128::from(field(20)),
        u128::from(field(24)),
    );
    let len = input.len() as u128;
    if len < 28 + pbl + dsl || (pbl != 0 && pbo + pbl > len) {
        return Err(STATUS_INVALID_PARAMETER);
    }
    if action != 1 {
        return Err(STATUS_NOT_SUPPORTED);
    }
    if flags & 1 != 0 {
        if dso != 0 || dsl != 0 || !disk_size.is_multiple_of(512) {
            return Err(STATUS_INVALID_PARAMETER);
        }
        return Ok(vec![(0, disk_size)]);
    }
    let count = dsl / 16;
    if dso < 28 || count == 0 || dso + count * 16 > len {
        return Err(STATUS_INVALID_PARAMETER);
    }
    let mut out = Vec::new();
    for i in 0..count {
        let at = usize::try_from(dso + i * 16).expect("inside the input");
        let start = i64::from_le_bytes(input[at..at + 8].try_into().expect("8 bytes"));
        let length = u64::from_le_bytes(input[at + 8..at + 16].try_into().expect("8 bytes"));
        if start < 0
            || length == 0
            || start % 512 != 0
            || length % 512 != 0
            || i128::from(start) + i128::from(length) > i128::from(disk_size)
        {
            return Err(STATUS_INVALID_PARAMETER);
        }
        out.push((start.cast_unsigned(), length));
    }
    Ok(out)
}

/// Records the TRIMs that reach the disk.
struct TrimRecorder(std::cell::RefCell<Vec<(u64, u64)>>);

impl DiskOps for TrimRecorder {
    fn trim(&self, extent: Extent) -> Result<(), i32> {
        self.0.borrow_mut().push((extent.offset(), extent.length()));
        Ok(())
    }

    fn usage(&self) -> Usage {
        Usage {
            disk_size: 0,
            allocation: Allocation::Dynamic,
            chunk_bytes: 0,
            allocated_bytes: 0,
            peak_allocated_bytes: 0,
            memory_limit_bytes: 0,
            table_bytes: 0,
        }
    }
}

/// Input: mode (1), disk size (8); then either (mode bit 1 clear) the raw
/// `DEVICE_MANAGE_DATA_SET_ATTRIBUTES` bytes, or fields to build one: action,
/// flags, ranges offset, range count and the ranges (mode bits bias them towards
/// valid: trim action, aligned numbers, inside the disk, a whole number of ranges);
/// then the output length (1) and how many bytes to cut off the end (1).
///
/// Checks: `dsm::parse_trim` never panics and agrees with an independent model
/// (same extents in the same order, or the same status); every extent is aligned,
/// inside the disk and (unless the whole disk) non-empty. Through
/// `disk_ops::answer_disk`: exactly the model's extents reach the disk, in order,
/// only when the whole request is valid; `Information` is 0 and no byte of the
/// buffer changes.
pub fn dsm(data: &[u8]) {
    let mut input = Bytes::new(data);
    let mode = input.u8();
    let mut disk_size = input.u64();
    if mode & 1 != 0 {
        disk_size = (disk_size % (1 << 41)) & !511;
    }
    let mut request = Vec::new();
    if mode & 2 == 0 {
        let n = usize::from(input.u8());
        request.extend_from_slice(input.take(n));
    } else {
        let action = if mode & 4 != 0 { 1 } else { input.u32() };
        let flags = if mode & 8 != 0 {
            input.u32() & !1
        } else {
            input.u32()
        };
        let count = u32::from(input.u8() % 9);
        let offset = if mode & 16 != 0 {
            32
        } else {
            u32::from(input.u8())
        };
        let length = if mode & 32 != 0 {
            count * 16
        } else {
            u32::from(input.u16())
        };
        for v in [28u32, action, flags, 0, 0, offset, length] {
            request.extend_from_slice(&v.to_le_bytes());
        }
        request.resize(usize::try_from(offset).expect("small").max(28), 0);
        for _ in 0..count {
            let (mut start, mut len) = (input.u64(), input.u64());
            if mode & 64 != 0 && disk_size >= 512 {
                start = (start % disk_size) & !511;
                len = ((len % (disk_size - start).max(1)) & !511).max(512);
            }
            if mode & 128 != 0 {
                start &= !511;
                len &= !511;
            }
            request.extend_from_slice(&start.to_le_bytes());
            request.extend_from_slice(&len.to_le_bytes());
        }
    }
    let output_len = usize::from(input.u8() % 32);
    let cut = usize::from(input.u8() % 4);
    request.truncate(request.len().saturating_sub(cut));

    let model = dsm_model(&request, disk_size);
    let parsed = dsm::parse_trim(&request, disk_size).map(|t| {
        t.extents()
            .map(|e| (e.offset(), e.length()))
            .collect::<Vec<_>>()
    });
    assert_eq!(parsed, model, "parse_trim disagrees with the model");
    if let Ok(extents) = &parsed {
        assert!(!extents.is_empty());
        for &(offset, length) in extents {
            assert!(offset % 512 == 0 && length % 512 == 0);
            assert!(u128::from(offset) + u128::from(length) <= u128::from(disk_size));
        }
    }

    let mut info = DiskInfo::new(disk_size, FatType::Fat32);
    if mode & 1 != 0 {
        info = info.thin(1 << 16);
    }
    let disk = DiskState::new(info, DiskIdentity::parameters(), b'R');
    let mut buffer = request.clone();
    buffer.resize(request.len().max(output_len) + 8, SENTINEL);
    let before = buffer.clone();
    let ops = TrimRecorder(std::cell::RefCell::new(Vec::new()));
    let reply = disk_ops::answer_disk(
        IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES,
        &mut buffer,
        request.len(),
        output_len,
        &disk,
        &ops,
    );
    assert_eq!(buffer, before, "TRIM wrote into the buffer");
    assert_eq!(reply.information, 0);
    match model {
        Ok(extents) => {
            assert_eq!(
                reply,
                Reply {
                    status: STATUS_SUCCESS,
                    information: 0
                }
            );
            assert_eq!(*ops.0.borrow(), extents);
        }
        Err(status) => {
            assert_eq!(reply.status, status);
            assert!(ops.0.borrow().is_empty(), "a rejected TRIM trimmed");
        }
    }
}

// ---------------------------------------------------------------------------
// exfat

/// Input: mode (1), disk size (by mode: 8 raw bytes, sectors of 4 bytes, of 3 bytes
/// or of 2 bytes + 1 MiB), sector size (1, or 0xFC.. + 4 raw), sectors per cluster
/// (1: 0, a power of two, or 0xF0.. + 4 raw), label length (1) and UTF-16 units,
/// serial (4).
///
/// Checks: `exfat::plan` never panics; an accepted layout validates, fits the disk,
/// keeps the asked cluster size, aligns the FAT and the heap to its cluster size (at
/// most 1 MiB), has the smallest FAT of whole alignment units and the largest cluster
/// count that fits, and leaves a cluster free; its boot sector decodes back; `format`
/// (zeroed or not; zeroed where the FAT is over 16 MiB, and not at all past 65 536
/// metadata clusters, which the property tests format) writes only 512-byte pieces
/// inside the boot regions, the FAT and the bitmap, up-case and root clusters; on a
/// small disk the real image reads back
/// (boot sector, backup region, checksum, root entries, free clusters). A rejection
/// explains itself (and names exFAT).
pub fn exfat(data: &[u8]) {
    let mut input = Bytes::new(data);
    let mode = input.u8();
    let sectors = match mode & 3 {
        0 => input.u64() / 512,
        1 => u64::from(input.u32()),
        2 => u64::from(input.u32() % (1 << 24)),
        _ => 2048 + u64::from(input.u16()),
    };
    let mut o = FormatOptions::new(sectors.saturating_mul(512));
    o.file_system = FileSystem::Exfat;
    o.bytes_per_sector = match input.u8() {
        0..=0x9F => 512,
        0xA0..=0xDF => 4096,
        0xE0..=0xFB => 1024 << (input.u8() % 2),
        _ => input.u32(),
    };
    if mode & 4 != 0 {
        o.disk_size = o.disk_size / 4096 * 4096;
    }
    if mode & 8 != 0 {
        o.disk_size |= u64::from(input.u8() & 7) * 64;
    }
    o.sectors_per_cluster = match input.u8() {
        0..=0x5F => 0,
        s @ 0x60..=0xEF => 1 << (s % 18),
        _ => input.u32(),
    };
    let label_len = usize::from(input.u8() % 14);
    let units: Vec<u16> = (0..label_len).map(|_| input.u16()).collect();
    o.exfat_label = exfat::Label::parse(&units).unwrap_or(exfat::Label::NONE);
    o.volume_serial = input.u32();
    let zeroed = if mode & 16 != 0 {
        Zeroed::No
    } else {
        Zeroed::Yes
    };

    let layout = match exfat::plan(&o) {
        Ok(layout) => layout,
        Err(error) => {
            let line = explain_format_error(error, &o).to_string();
            assert!(!line.is_empty() && !line.contains('\n'));
            if matches!(error, FormatError::TooSmall | FormatError::TooLarge) {
                assert!(line.ends_with("for exFAT"), "{line}");
            }
            return;
        }
    };
    check_exfat_layout(&o, &layout);
    // Clearing writes the whole FAT (up to 16 GiB of zeros for 2^32 clusters): only
    // where it stays small, so one input takes microseconds, not seconds.
    let zeroed = if u64::from(layout.fat_length) * u64::from(layout.bytes_per_sector) > 16 << 20 {
        Zeroed::Yes
    } else {
        zeroed
    };

    // Up to a million FAT entries and bitmap bits for 2^32 small clusters: the format of
    // such layouts is left to the property tests, so an input takes microseconds.
    if layout.used_clusters() > 1 << 16 {
        return;
    }
    let bps = u64::from(layout.bytes_per_sector);
    let mut recorder = ExfatRecorder {
        layout,
        boot: [0; 512],
        writes: 0,
    };
    exfat::format(&layout, &mut recorder, zeroed).expect("format of a planned layout failed");
    assert!(recorder.writes >= 20);
    assert_eq!(recorder.boot, exfat::boot_sector(&layout).as_bytes());
    assert!(exfat::BootSector::parse(&recorder.boot).is_ok());

    if o.disk_size <= EXFAT_IMAGE_LIMIT {
        let size = usize::try_from(o.disk_size).expect("small disk");
        let mut image = vec![0u8; size];
        exfat::format(&layout, &mut SliceWriter(&mut image), zeroed)
            .expect("format into the image");
        let b = usize::try_from(bps).expect("sector size");
        assert_eq!(
            image[..12 * b],
            image[12 * b..24 * b],
            "backup region = main"
        );
        assert_eq!(
            image[11 * b..11 * b + 4],
            exfat::region_checksum(&layout).to_le_bytes()
        );
        let bs = exfat::BootSector::parse(&image).expect("our boot sector parses");
        let root = usize::try_from(bs.cluster_byte_offset(bs.root_cluster)).expect("small");
        let entries = exfat::RootEntries::scan(&image[root..root + 512]);
        assert_eq!(entries.label_units(), layout.label.units());
        let bitmap = entries.bitmap.expect("a bitmap entry");
        let at = usize::try_from(bs.cluster_byte_offset(bitmap.first_cluster)).expect("small");
        let len = usize::try_from(bitmap.data_length).expect("small");
        assert_eq!(
            exfat::count_free(&image[at..at + len], bs.cluster_count),
            layout.free_clusters()
        );
        assert_eq!(entries.upcase.map(|(_, sum)| sum), Some(0xE619_D30D));
    }
}

/// Disks up to this size are also formatted into a real buffer by `exfat`.
const EXFAT_IMAGE_LIMIT: u64 = 2 << 20;

/// The planner's promises about an accepted exFAT layout.
pub fn check_exfat_layout(o: &FormatOptions, l: &exfat::Layout) {
    assert_eq!(l.validate(), Ok(()), "{o:?}");
    assert!(
        l.disk_size() <= o.disk_size && o.disk_size - l.disk_size() < u64::from(l.bytes_per_sector)
    );
    assert_eq!(l.bytes_per_sector, o.bytes_per_sector);
    assert_eq!(l.label, o.exfat_label);
    assert_eq!(l.volume_serial, o.volume_serial);
    if o.sectors_per_cluster == 0 {
        assert!(
            l.cluster_bytes()
                >= exfat::default_cluster_bytes(o.disk_size).max(u64::from(l.bytes_per_sector))
        );
    } else {
        assert_eq!(l.sectors_per_cluster, o.sectors_per_cluster);
    }
    let unit = l.cluster_bytes().min(exfat::MAX_ALIGNMENT_BYTES) / u64::from(l.bytes_per_sector);
    let unit = unit.max(1);
    assert_eq!(u64::from(l.fat_offset) % unit, 0);
    assert_eq!(u64::from(l.fat_length) % unit, 0);
    assert_eq!(l.cluster_heap_offset, l.fat_offset + l.fat_length);
    assert_eq!(u64::from(l.fat_offset), 24u64.next_multiple_of(unit));
    let bps = u64::from(l.bytes_per_sector);
    let fat_for = |count: u64| ((count + 2) * 4).div_ceil(bps).next_multiple_of(unit);
    assert_eq!(u64::from(l.fat_length), fat_for(u64::from(l.cluster_count)));
    // One more cluster would not fit (or the count is at its maximum).
    let more = u64::from(l.cluster_count) + 1;
    assert!(
        more > 0xFFFF_FFF5
            || u64::from(l.fat_offset) + fat_for(more) + more * u64::from(l.sectors_per_cluster)
                > l.volume_length
    );
    assert!(l.free_clusters() >= 1);
    assert!(l.percent_in_use() <= 100);
    let bs = exfat::BootSector::parse(exfat::boot_sector(l).as_bytes()).expect("decodes");
    assert_eq!(
        (
            bs.fat_offset,
            bs.fat_length,
            bs.cluster_heap_offset,
            bs.cluster_count,
            bs.root_cluster
        ),
        (
            l.fat_offset,
            l.fat_length,
            l.cluster_heap_offset,
            l.cluster_count,
            l.root_cluster()
        )
    );
    assert_eq!(bs.volume_length, l.volume_length);
    assert_eq!(bs.cluster_bytes(), l.cluster_bytes());
}

/// Records exFAT writes: 512-byte pieces, only where the formatter may write.
struct ExfatRecorder {
    layout: exfat::Layout,
    boot: [u8; 512],
    writes: u64,
}

impl SectorWriter for ExfatRecorder {
    fn write(&mut self, byte_offset: u64, data: &[u8]) -> Result<(), FormatError> {
        let l = &self.layout;
        let bps = u64::from(l.bytes_per_sector);
        let end = byte_offset + data.len() as u64;
        assert!(
            byte_offset.is_multiple_of(512) && data.len().is_multiple_of(512),
            "{byte_offset} +{}",
            data.len()
        );
        let fat = u64::from(l.fat_offset) * bps;
        let fat_end = fat + u64::from(l.fat_length) * bps;
        let meta = l.cluster_offset(2);
        let meta_end = l.cluster_offset(l.root_cluster() + 1);
        assert!(
            end <= 24 * bps
                || (byte_offset >= fat && end <= fat_end)
                || (byte_offset >= meta && end <= meta_end),
            "write {byte_offset}..{end} outside the metadata ({l:?})"
        );
        if byte_offset == 0 {
            self.boot.copy_from_slice(&data[..512]);
        }
        self.writes += 1;
        Ok(())
    }
}
