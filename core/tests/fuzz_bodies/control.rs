//! The `control` fuzz target's body: the control device's input parsers and reply
//! encoders (`ramdisk_core::control`).

use ramdisk_core::config::SaveOn;
use ramdisk_core::control::{
    self, ControlError, CreateSettings, DiskReport, RamdiskCreateInput, RamdiskCreateInputV2,
    RamdiskDiskInfo, Request, Select,
};
use ramdisk_core::disk::{DiskIdentity, DiskName};
use ramdisk_core::fat::FileSystem;
use ramdisk_core::status::{
    STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_INFO_LENGTH_MISMATCH,
    STATUS_INVALID_BUFFER_SIZE, STATUS_INVALID_PARAMETER, STATUS_NOT_SUPPORTED,
    STATUS_OBJECT_TYPE_MISMATCH, STATUS_REVISION_MISMATCH, STATUS_SUCCESS,
};
use ramdisk_core::wire::{FromBytes, IntoBytes};

use super::Bytes;

/// The statuses a refused control input may have.
const REFUSALS: [i32; 7] = [
    STATUS_INVALID_PARAMETER,
    STATUS_INFO_LENGTH_MISMATCH,
    STATUS_REVISION_MISMATCH,
    STATUS_NOT_SUPPORTED,
    STATUS_INVALID_BUFFER_SIZE,
    STATUS_OBJECT_TYPE_MISMATCH,
    STATUS_BUFFER_TOO_SMALL,
];

fn refused(e: &ControlError) {
    assert!(REFUSALS.contains(&e.status()), "{e:?}");
    let mut line = String::new();
    core::fmt::Write::write_fmt(&mut line, format_args!("{e}")).expect("formats");
    assert!(!line.is_empty() && !line.contains('\n'), "{line:?}");
}

/// Every parser on `bytes`: no panic; the same answer twice; an accepted CREATE is a
/// configuration the registry could have given.
fn parse_all(bytes: &[u8], serial: u32) {
    let first = control::parse_create(bytes, serial);
    assert_eq!(first, control::parse_create(bytes, serial));
    match first {
        Ok(r) => {
            assert!(
                bytes.len() == size_of::<RamdiskCreateInput>()
                    || bytes.len() == size_of::<RamdiskCreateInputV2>()
            );
            let f = r.config.format;
            assert!(f.disk_size > 0 && f.disk_size.is_multiple_of(512));
            assert!(i64::try_from(f.disk_size).is_ok());
            assert!(r.config.drive_letter.is_ascii_uppercase());
            assert!((1..=65535).contains(&f.root_dir_entries));
            assert!(
                f.sectors_per_cluster == 0
                    || (f.sectors_per_cluster.is_power_of_two()
                        && (f.sectors_per_cluster <= 128 || f.file_system == FileSystem::Exfat))
            );
            // The persistence rules, as the registry's.
            let p = r.config.persist;
            assert_eq!(control::create_image_file(bytes).is_some(), p.image);
            if p.read_only || p.save_on != SaveOn::Never {
                assert!(p.image);
            }
            if p.read_only {
                assert_eq!(p.save_on, SaveOn::Never);
            }
            if r.letter.is_some() && p.image {
                assert_ne!(r.image_letter, r.letter);
            }
            assert_eq!(f.volume_serial, serial);
            if let Some(l) = r.letter {
                assert_eq!(l, r.config.drive_letter);
            }
            if let Some(name) = r.persist {
                assert_eq!(DiskName::parse(name.as_bytes()), Ok(name));
            }
        }
        Err(e) => refused(&e),
    }
    for r in [
        control::parse_remove(bytes).map(|r| r.select),
        control::parse_query(bytes),
    ] {
        match r {
            Ok(Select::Letter(l)) => assert!(l.is_ascii_uppercase()),
            Ok(Select::Index(_)) => assert_eq!(bytes.len(), 24),
            Err(e) => refused(&e),
        }
    }
    if let Ok(entries) = control::read_list(bytes) {
        for e in entries {
            let _ = control::read_info(e.as_bytes());
        }
    }
    let _ = control::read_info(bytes);
}

/// Text of up to 40 bytes from the input (any UTF-8 the bytes make, lossily).
fn text(input: &mut Bytes<'_>) -> String {
    let n = usize::from(input.u8() % 40);
    String::from_utf8_lossy(input.take(n)).into_owned()
}

/// An `ImageFile` text: mostly a plausible path (`X:\` or `\??\X:\` and input
/// text), sometimes raw text, sometimes long.
fn image_text(input: &mut Bytes<'_>) -> String {
    let rest = text(input);
    match input.u8() % 4 {
        0 => rest,
        1 => format!(r"\??\{}:\{rest}", char::from(b'A' + input.u8() % 26)),
        2 => format!(r"C:\{}", "d".repeat(usize::from(input.u16() % 1100))),
        _ => format!(r"{}:\img\{rest}", char::from(b'A' + input.u8() % 26)),
    }
}

/// Input: a mode byte, then
/// * mode 0: raw bytes for every parser;
/// * mode 1: settings (size, letter, and each optional field present or not, text
///   from the input; the persistence ones make it a version-2 input) encoded with
///   `encode_create`, then a few byte overwrites;
/// * mode 2: a `RAMDISK_SELECT` from fields, then overwrites;
/// * mode 3: up to 20 disks' reports into an output buffer of any size.
///
/// Checks: no panic; parsers answer the same twice; an accepted CREATE is a valid
/// configuration; refusals carry a documented status and a one-line message; a
/// well-formed encoding of in-range settings is accepted exactly when the registry
/// parser accepts them; LIST replies never write past the buffer and read back.
pub fn control(data: &[u8]) {
    let mut input = Bytes::new(data);
    let serial = input.u32();
    match input.u8() % 4 {
        0 => parse_all(input.take(usize::MAX), serial),
        1 => settings(&mut input, serial),
        2 => select(&mut input, serial),
        _ => replies(&mut input),
    }
}

/// Mode 1: CREATE settings from the input, encoded, then overwritten or cut.
fn settings(input: &mut Bytes<'_>, serial: u32) {
    let flags = input.u16();
    let size = match input.u8() % 3 {
        0 => u64::from(input.u16()) * 512,
        1 => input.u64(),
        _ => u64::from(input.u32()),
    };
    let letter = match input.u8() {
        0 => None,
        c => Some(char::from(c)),
    };
    let (fs, label, alloc, persist) = (text(input), text(input), text(input), text(input));
    let (image, save_on) = (image_text(input), text(input));
    let has = |bit: u16| flags & (1 << bit) != 0;
    let settings = CreateSettings {
        disk_size: size,
        letter,
        file_system: has(0).then_some(fs.as_str()),
        sectors_per_cluster: has(1).then(|| input.u32() % 300),
        root_dir_entries: has(2).then(|| input.u32() % 70000),
        volume_label: has(3).then_some(label.as_str()),
        allocation: has(4).then_some(alloc.as_str()),
        memory_limit: has(5).then(|| input.u64()),
        persist_name: has(6).then_some(persist.as_str()),
        image_file: has(7).then_some(image.as_str()),
        save_on: has(8).then_some(save_on.as_str()),
        read_only: has(9).then(|| u32::from(input.u8() % 3)),
    };
    let Ok(encoded) = control::encode_create(&settings) else {
        return;
    };
    let mut bytes = encoded.as_bytes().to_vec();
    parse_all(&bytes, serial);
    for _ in 0..usize::from(input.u8() % 4) {
        let at = usize::from(input.u16()) % bytes.len();
        bytes[at] = input.u8();
    }
    let cut = usize::from(input.u8());
    bytes.truncate(bytes.len().saturating_sub(cut % 3 * cut));
    parse_all(&bytes, serial);
}

/// Mode 2: a `RAMDISK_SELECT` from fields, then overwritten.
fn select(input: &mut Bytes<'_>, serial: u32) {
    let select = if input.u8().is_multiple_of(2) {
        Select::Index(input.u32())
    } else {
        Select::Letter(input.u8())
    };
    let force = input.u8() % 2 == 1;
    let encoded = control::encode_select(select, force);
    let mut bytes = encoded.as_bytes().to_vec();
    if let Select::Letter(l) = select
        && l.is_ascii_alphabetic()
    {
        assert_eq!(
            control::parse_remove(&bytes).map(|r| (r.select, r.force)),
            Ok((Select::Letter(l.to_ascii_uppercase()), force))
        );
    }
    for _ in 0..usize::from(input.u8() % 3) {
        let at = usize::from(input.u8()) % bytes.len();
        bytes[at] = input.u8();
    }
    parse_all(&bytes, serial);
}

/// Mode 3: up to 20 disks' reports into an output buffer of any size.
fn replies(input: &mut Bytes<'_>) {
    let n = usize::from(input.u8() % 21);
    let out_len = usize::from(input.u16() % 5000);
    let mut entries: Vec<RamdiskDiskInfo> = Vec::new();
    for i in 0..n {
        let index = input.u32().max(1);
        let letter = b'A' + input.u8() % 26;
        let Ok(id) = DiskIdentity::runtime(index, letter) else {
            continue;
        };
        entries.push(control::encode_info(&DiskReport {
            identity: &id,
            letter,
            disk_size: input.u64(),
            allocated_bytes: input.u64(),
            memory_limit: 0,
            open_handles: input.u32(),
            allocation: 0,
            mounted: i % 2 == 0,
            boot: false,
            file_system: "FAT16",
            persist: None,
        }));
    }
    let mut out = vec![0xEEu8; out_len + 8];
    let reply = control::list_reply(entries.iter().copied(), &mut out[..out_len]);
    assert!(reply.information <= out_len);
    assert!(
        out[out_len..].iter().all(|&b| b == 0xEE),
        "wrote past the buffer"
    );
    match reply.status {
        STATUS_SUCCESS => {
            let read = control::read_list(&out[..reply.information]).expect("reads back");
            assert_eq!(read, &entries[..]);
        }
        STATUS_BUFFER_OVERFLOW => assert_eq!(reply.information, 16),
        STATUS_BUFFER_TOO_SMALL => assert!(out_len < 16),
        other => panic!("list status {other:#x}"),
    }
    if let Some(first) = entries.first() {
        let r = control::info_reply(first, &mut out[..out_len]);
        assert!(r.information <= out_len);
        assert_eq!(r.status == STATUS_SUCCESS, out_len >= 200);
        assert!(control::check_output(Request::Query, out_len).is_ok() == (out_len >= 200));
        if r.status == STATUS_SUCCESS {
            assert_eq!(
                RamdiskDiskInfo::read_from_bytes(&out[..200]).ok(),
                Some(*first)
            );
        }
    }
}
