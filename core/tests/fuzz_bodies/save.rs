//! The `save` fuzz target's body: `IOCTL_RAMDISK_SAVE`'s parser and result codec
//! (`ramdisk_core::control::save`) and the save decisions (`ramdisk_core::save`).

use ramdisk_core::config::ImagePath;
use ramdisk_core::control::{self, ControlError, SaveLock, SaveOutcome, Select};
use ramdisk_core::image::runs;
use ramdisk_core::save::{
    self, FileIdentity, ReplaceMethod, SaveError, Step, Totals, check_identity, fill_rename,
    replace_method,
};
use ramdisk_core::status::{
    STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_COLLISION,
    STATUS_REVISION_MISMATCH,
};
use ramdisk_core::wire::control::RamdiskSaveInput;
use ramdisk_core::wire::file::FileRenameInformation;
use ramdisk_core::wire::{FromZeros, IntoBytes};

use super::Bytes;

/// The statuses a refused SAVE input may have.
const REFUSALS: [i32; 3] = [
    STATUS_INVALID_PARAMETER,
    STATUS_INFO_LENGTH_MISMATCH,
    STATUS_REVISION_MISMATCH,
];

fn refused(e: &ControlError) {
    assert!(REFUSALS.contains(&e.status()), "{e:?}");
    let mut line = String::new();
    core::fmt::Write::write_fmt(&mut line, format_args!("{e}")).expect("formats");
    assert!(!line.is_empty() && !line.contains('\n'), "{line:?}");
}

/// The parser on `bytes`: no panic, the same answer twice, the driver's second read
/// (with and without an own letter) agrees, and an accepted target fits a rename.
fn parse(bytes: &[u8], own: u8) {
    let first = control::parse_save(bytes);
    assert_eq!(first, control::parse_save(bytes));
    match first {
        Ok(r) => {
            assert_eq!(bytes.len(), size_of::<RamdiskSaveInput>());
            if let Select::Letter(l) = r.select {
                assert!(l.is_ascii_uppercase());
            }
            let mut path = ImagePath::EMPTY;
            assert_eq!(
                control::save_target_into(bytes, None, &mut path),
                Ok(r.target)
            );
            assert_eq!(path.drive_letter(), r.target_letter);
            assert_eq!(r.target, !path.units().is_empty());
            if r.target {
                // The final name and its `.new` fit the rename structure.
                let mut rename = FileRenameInformation::new_zeroed();
                for p in [path, path.with_new_suffix()] {
                    let len = fill_rename(&mut rename, &p, ReplaceMethod::PosixRename)
                        .expect("an ImagePath fits");
                    assert!(len <= size_of::<FileRenameInformation>());
                }
            }
            let own = b'A' + own % 26;
            match control::save_target_into(bytes, Some(own), &mut path) {
                Ok(given) => {
                    assert_eq!(given, r.target);
                    assert!(!given || path.drive_letter() != Some(own));
                }
                Err(e) => {
                    assert_eq!(r.target_letter, Some(own), "{e:?}");
                    assert!(path.units().is_empty());
                }
            }
        }
        Err(e) => refused(&e),
    }
    let _ = control::read_save_result(bytes);
}

/// A target text: mostly a plausible path, sometimes raw text, sometimes long.
fn target(input: &mut Bytes<'_>) -> String {
    let n = usize::from(input.u8() % 40);
    let rest = String::from_utf8_lossy(input.take(n)).into_owned();
    match input.u8() % 5 {
        0 => rest,
        1 => format!(r"\??\{}:\{rest}", char::from(b'A' + input.u8() % 26)),
        2 => format!(r"D:\{}", "d".repeat(usize::from(input.u16() % 1100))),
        3 => format!(r"\Device\{rest}"),
        _ => format!(r"{}:\img\{rest}", char::from(b'A' + input.u8() % 26)),
    }
}

/// Input: a mode byte, then
/// * mode 0: raw bytes for the parser and the result reader;
/// * mode 1: a selection, a lock and maybe a target encoded with `encode_save`, then
///   a few byte overwrites or a cut;
/// * mode 2: a save outcome through the result codec;
/// * mode 3: the decisions — identities, file-system attributes, a disk of a few
///   sectors through the sparse plan.
///
/// Checks: no panic; the parser is deterministic and agrees with the driver's
/// second read; refusals carry a documented status and a one-line message; a
/// well-formed encoding is accepted; results read back as encoded; identity and
/// plan decisions keep their contracts.
pub fn save(data: &[u8]) {
    let mut input = Bytes::new(data);
    let own = input.u8();
    match input.u8() % 4 {
        0 => parse(input.take(usize::MAX), own),
        1 => encoded(&mut input, own),
        2 => results(&mut input),
        _ => decisions(&mut input),
    }
}

/// Mode 1.
fn encoded(input: &mut Bytes<'_>, own: u8) {
    let select = if input.u8().is_multiple_of(2) {
        Select::Index(input.u32())
    } else {
        Select::Letter(input.u8())
    };
    let lock = if input.u8().is_multiple_of(2) {
        SaveLock::Locked
    } else {
        SaveLock::NoLock
    };
    let t = target(input);
    let given = !input.u8().is_multiple_of(3);
    let Ok(s) = control::encode_save(select, lock, given.then_some(t.as_str())) else {
        assert!(given && t.encode_utf16().count() > 1024);
        return;
    };
    let mut bytes = s.as_bytes().to_vec();
    let parsed = control::parse_save(&bytes);
    if let (Ok(r), Select::Letter(l)) = (parsed, select) {
        assert_eq!(r.select, Select::Letter(l.to_ascii_uppercase()));
    }
    if let Ok(r) = parsed {
        assert_eq!(r.lock, lock);
        assert_eq!(r.target, given);
    } else if !given
        && match select {
            Select::Letter(l) => l.is_ascii_alphabetic(),
            Select::Index(_) => true,
        }
    {
        panic!("a well-formed input without a target refused: {parsed:?}");
    }
    parse(&bytes, own);
    for _ in 0..usize::from(input.u8() % 4) {
        let at = usize::from(input.u16()) % bytes.len();
        bytes[at] = input.u8();
    }
    let cut = usize::from(input.u8());
    bytes.truncate(bytes.len().saturating_sub(cut % 3 * cut));
    parse(&bytes, own);
}

/// Mode 2.
fn results(input: &mut Bytes<'_>) {
    let method = match input.u8() % 3 {
        0 => ReplaceMethod::PosixRename,
        1 => ReplaceMethod::RenameReopen,
        _ => ReplaceMethod::Create,
    };
    let bits = input.u8();
    let data = input.u64() >> 2;
    let hole = input.u64() >> 2;
    let o = SaveOutcome {
        status: input.u32().cast_signed(),
        method,
        locked: bits & 1 != 0,
        sparse: bits & 2 != 0,
        target: bits & 4 != 0,
        file_bytes: data + hole,
        data_bytes: data,
        hole_bytes: hole,
        elapsed: input.u64(),
    };
    let r = control::encode_save_result(&o);
    let mut out = [0xEEu8; 72];
    let len = usize::from(input.u8() % 72);
    let reply = control::save_reply(&r, &mut out[..len]);
    assert!(
        out[len..].iter().all(|&b| b == 0xEE),
        "wrote past the buffer"
    );
    assert_eq!(reply.information == 56, len >= 56);
    assert_eq!(control::check_save_output(len).is_ok(), len >= 56);
    if len >= 56 {
        assert_eq!(control::read_save_result(&out[..56]), Ok(o));
    }
    let mut bytes = r.as_bytes().to_vec();
    let at = usize::from(input.u8()) % bytes.len();
    bytes[at] = input.u8();
    if let Ok(back) = control::read_save_result(&bytes) {
        assert_eq!(back.data_bytes + back.hole_bytes, back.file_bytes);
    }
}

fn identity(input: &mut Bytes<'_>) -> Option<FileIdentity> {
    (!input.u8().is_multiple_of(4)).then(|| FileIdentity {
        volume_serial: u64::from(input.u8() % 2),
        file_id: u128::from(input.u8() % 3),
        size: u64::from(input.u8() % 3) * 512,
        last_write: i64::from(input.u8() % 3),
    })
}

/// Mode 3.
fn decisions(input: &mut Bytes<'_>) {
    let (recorded, found) = (identity(input), identity(input));
    match check_identity(recorded.as_ref(), found.as_ref()) {
        Ok(exists) => {
            assert_eq!(recorded, found);
            assert_eq!(exists, found.is_some());
        }
        Err(e) => {
            assert_ne!(recorded, found);
            assert!(matches!(e, SaveError::Replaced(_)));
            assert_eq!(e.status(), STATUS_OBJECT_NAME_COLLISION);
        }
    }
    let attrs = input.u32();
    let exists = input.u8().is_multiple_of(2);
    let m = replace_method(attrs, exists);
    assert_eq!(m == ReplaceMethod::Create, !exists);
    assert_eq!(
        m == ReplaceMethod::PosixRename,
        exists && attrs & save::FILE_SUPPORTS_POSIX_UNLINK_RENAME != 0
    );
    // A disk of up to 64 sectors: bit i of the mask says whether sector i is zero.
    let sectors = u64::from(input.u8() % 65);
    let zero_mask = input.u64();
    let (max_data, boundary) = (u64::from(input.u8() % 9), u64::from(input.u8() % 9));
    let sparse = save::sparse_supported(attrs);
    let mut totals = Totals::default();
    let mut next = 0;
    for step in save::plan(
        runs(sectors, max_data, boundary, |s| zero_mask >> s & 1 == 1),
        512,
        sparse,
    ) {
        totals.add(step);
        let (offset, len, zero) = match step {
            Step::Data { offset, len } => (offset, len, false),
            Step::Zeros { offset, len } => {
                assert!(!sparse);
                (offset, len, true)
            }
            Step::Hole { offset, len } => {
                assert!(sparse);
                (offset, len, true)
            }
        };
        assert_eq!(offset, next, "the steps cover the disk in order");
        assert!(len > 0 && len.is_multiple_of(512));
        for s in offset / 512..(offset + len) / 512 {
            assert_eq!(zero_mask >> s & 1 == 1, zero);
        }
        next = offset + len;
    }
    assert_eq!(next, sectors * 512);
    assert_eq!(totals.data_bytes + totals.hole_bytes, sectors * 512);
    assert_eq!(
        totals.written_bytes,
        if sparse {
            totals.data_bytes
        } else {
            sectors * 512
        }
    );
}
