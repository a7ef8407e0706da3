use super::*;
use crate::config::{MAX_IMAGE_PATH_CHARS, PathProblem};
use crate::ioctl::codes::FILE_ANY_ACCESS;
use crate::status::{
    STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_PARAMETER,
    STATUS_REVISION_MISMATCH,
};
use crate::wire::U16;
use crate::wire::control::{IMAGE_FILE_UNITS, RAMDISK_REPLACE_POSIX_RENAME};
use proptest::prelude::*;
use std::string::{String, ToString};
use std::vec::Vec;

fn input(select: Select, lock: SaveLock, target: Option<&str>) -> Vec<u8> {
    encode_save(select, lock, target)
        .unwrap()
        .as_bytes()
        .to_vec()
}

fn letter_r() -> Vec<u8> {
    input(Select::Letter(b'R'), SaveLock::Locked, None)
}

/// The input with `f` applied to its structure.
fn edited(f: impl FnOnce(&mut RamdiskSaveInput)) -> Vec<u8> {
    let mut s = encode_save(Select::Letter(b'R'), SaveLock::Locked, None).unwrap();
    f(&mut s);
    s.as_bytes().to_vec()
}

#[test]
fn code_and_sizes() {
    // CTL_CODE(FILE_DEVICE_UNKNOWN, 0x904, METHOD_BUFFERED, FILE_WRITE_ACCESS).
    assert_eq!(IOCTL_RAMDISK_SAVE, 0x0022_A410);
    assert_eq!(IOCTL_RAMDISK_SAVE >> 14 & 3, FILE_WRITE_ACCESS);
    assert_ne!(FILE_WRITE_ACCESS, FILE_ANY_ACCESS);
    assert_eq!(size_of::<RamdiskSaveInput>(), 2080);
    assert_eq!(size_of::<RamdiskSaveResult>(), 56);
    assert_eq!(SAVE_MIN_OUTPUT, 56);
    // A code the driver's control worker serves, with a 56-byte reply.
    let request = super::super::Request::from_code(IOCTL_RAMDISK_SAVE);
    assert_eq!(request, Some(super::super::Request::Save));
    assert_eq!(request.map(super::super::Request::min_output), Some(56));
}

/// Every private code is answered by its own device kind only: the disk devices'
/// IOCTL table does not take SAVE.
#[test]
fn the_disk_devices_do_not_answer_save() {
    use crate::disk::{DiskIdentity, DiskState};
    use crate::fat::FatType;
    use crate::geometry::DiskInfo;
    use crate::ioctl::answer;
    let state = DiskState::new(
        DiskInfo::new(1 << 20, FatType::Fat12),
        DiskIdentity::parameters(),
        b'R',
    );
    let mut buf = [0u8; 4096];
    let bytes = letter_r();
    buf[..bytes.len()].copy_from_slice(&bytes);
    let reply = answer(
        IOCTL_RAMDISK_SAVE,
        &mut buf,
        bytes.len(),
        SAVE_MIN_OUTPUT,
        &state,
    );
    assert_eq!(reply.status, STATUS_INVALID_DEVICE_REQUEST);
}

#[test]
fn well_formed_inputs_parse() {
    assert_eq!(
        parse_save(&letter_r()),
        Ok(SaveRequest {
            select: Select::Letter(b'R'),
            lock: SaveLock::Locked,
            target: false,
            target_letter: None,
        })
    );
    let r = parse_save(&input(
        Select::Index(3),
        SaveLock::NoLock,
        Some(r"D:\backup\disk.img"),
    ))
    .unwrap();
    assert_eq!(r.select, Select::Index(3));
    assert_eq!(r.lock, SaveLock::NoLock);
    assert!(r.target);
    assert_eq!(r.target_letter, Some(b'D'));
    let r = parse_save(&input(
        Select::Letter(b'q'),
        SaveLock::Locked,
        Some(r"\Device\HarddiskVolume2\x.img"),
    ))
    .unwrap();
    assert_eq!(r.select, Select::Letter(b'Q'));
    assert_eq!(r.target_letter, None);
}

#[test]
fn the_target_is_read_into_the_disks_buffer() {
    let bytes = input(Select::Letter(b'R'), SaveLock::Locked, Some(r"D:\a\b.img"));
    let mut path = ImagePath::EMPTY;
    assert_eq!(save_target_into(&bytes, Some(b'R'), &mut path), Ok(true));
    assert_eq!(String::from_utf16(path.units()).unwrap(), r"\??\D:\a\b.img");
    // The saved disk's own letter is refused, and the buffer left empty.
    assert_eq!(
        save_target_into(&bytes, Some(b'D'), &mut path),
        Err(ControlError::Target(PathProblem::OnRamdisk))
    );
    assert!(path.units().is_empty());
    // No target: false, the buffer emptied.
    let mut path = ImagePath::parse(&[u16::from(b'\\'), u16::from(b'x')]).unwrap();
    assert_eq!(
        save_target_into(&letter_r(), Some(b'R'), &mut path),
        Ok(false)
    );
    assert!(path.units().is_empty());
}

#[test]
fn a_longest_target_fits_and_one_more_does_not() {
    let longest = std::format!(r"D:\{}", "a".repeat(MAX_IMAGE_PATH_CHARS - 3));
    let bytes = input(Select::Letter(b'R'), SaveLock::Locked, Some(&longest));
    assert!(parse_save(&bytes).unwrap().target);
    let longer = std::format!("{longest}a");
    assert_eq!(
        encode_save(Select::Letter(b'R'), SaveLock::Locked, Some(&longer)),
        Err(TooLong(Field::Target))
    );
}

/// Malformed structures and the error each gets.
fn structure_cases() -> Vec<(Vec<u8>, ControlError)> {
    let good = letter_r();
    let mut cases: Vec<(Vec<u8>, ControlError)> = Vec::new();
    cases.push((
        Vec::new(),
        ControlError::Length {
            expected: 2080,
            found: 0,
        },
    ));
    cases.push((
        good[..7].to_vec(),
        ControlError::Length {
            expected: 2080,
            found: 7,
        },
    ));
    cases.push((
        good[..2079].to_vec(),
        ControlError::Length {
            expected: 2080,
            found: 2079,
        },
    ));
    let mut longer = good;
    longer.push(0);
    cases.push((
        longer,
        ControlError::Length {
            expected: 2080,
            found: 2081,
        },
    ));
    cases.push((
        edited(|s| s.base.size = U32::new(24)),
        ControlError::Length {
            expected: 2080,
            found: 24,
        },
    ));
    cases.push((
        edited(|s| s.base.version = U32::new(2)),
        ControlError::Version { found: 2 },
    ));
    cases.push((
        edited(|s| s.base.version = U32::new(0)),
        ControlError::Version { found: 0 },
    ));
    cases.push((
        edited(|s| s.base.flags = U32::new(0)),
        ControlError::Malformed(Field::Flags),
    ));
    cases.push((
        edited(|s| s.base.flags = U32::new(RAMDISK_SAVE_LOCKED | RAMDISK_SAVE_NO_LOCK)),
        ControlError::Malformed(Field::Flags),
    ));
    cases.push((
        edited(|s| s.base.flags = U32::new(RAMDISK_SAVE_LOCKED | 0x08)),
        ControlError::Malformed(Field::Flags),
    ));
    cases.push((
        edited(|s| s.base.flags = U32::new(RAMDISK_SAVE_TARGET)),
        ControlError::Malformed(Field::Flags),
    ));
    cases.push((
        edited(|s| s.base.reserved = U32::new(1)),
        ControlError::Malformed(Field::Reserved),
    ));
    cases.push((
        edited(|s| s.reserved2[2] = U16::new(1)),
        ControlError::Malformed(Field::Reserved),
    ));
    cases.push((
        edited(|s| s.base.by = U32::new(0)),
        ControlError::Malformed(Field::By),
    ));
    cases.push((
        edited(|s| s.base.by = U32::new(3)),
        ControlError::Malformed(Field::By),
    ));
    cases.push((
        edited(|s| s.base.value = U32::new(u32::from(b'1'))),
        ControlError::Malformed(Field::Value),
    ));
    cases.push((
        edited(|s| s.base.value = U32::new(0x141)),
        ControlError::Malformed(Field::Value),
    ));
    cases
}

/// Each malformed input and its documented error and status.
#[test]
fn malformed_inputs_are_refused_with_their_status() {
    let mut cases = structure_cases();
    // A path without its flag, the flag without a path, a path without its NUL, a
    // unit after the NUL.
    cases.push((
        edited(|s| s.target[0] = U16::new(u16::from(b'D'))),
        ControlError::Malformed(Field::Target),
    ));
    cases.push((
        edited(|s| s.base.flags = U32::new(RAMDISK_SAVE_LOCKED | RAMDISK_SAVE_TARGET)),
        ControlError::Malformed(Field::Target),
    ));
    cases.push((
        edited(|s| {
            s.base.flags = U32::new(RAMDISK_SAVE_LOCKED | RAMDISK_SAVE_TARGET);
            s.target = [U16::new(u16::from(b'a')); IMAGE_FILE_UNITS];
        }),
        ControlError::Malformed(Field::Target),
    ));
    cases.push((
        edited(|s| {
            s.base.flags = U32::new(RAMDISK_SAVE_LOCKED | RAMDISK_SAVE_TARGET);
            s.target[0] = U16::new(u16::from(b'\\'));
            s.target[1] = U16::new(u16::from(b'x'));
            s.target[5] = U16::new(u16::from(b'y'));
        }),
        ControlError::Malformed(Field::Target),
    ));
    // Paths an ImageFile could not be.
    for (path, problem) in [
        ("disk.img", PathProblem::NotAbsolute),
        (r"D:disk.img", PathProblem::NotAbsolute),
        (r"\\server\share\disk.img", PathProblem::NotAbsolute),
        (r"D:\a\..\disk.img", PathProblem::BadComponent),
        (r"D:\dir\", PathProblem::BadComponent),
        (r"D:\a?.img", PathProblem::BadCharacter { unit: 0x3F }),
        (r"D:\a:b", PathProblem::BadCharacter { unit: 0x3A }),
        (r"\Device\Ramdisk0\x.img", PathProblem::OnRamdisk),
        (r"\device\RAMDISK12\x.img", PathProblem::OnRamdisk),
    ] {
        cases.push((
            input(Select::Letter(b'R'), SaveLock::Locked, Some(path)),
            ControlError::Target(problem),
        ));
    }
    for (bytes, expected) in cases {
        let got = parse_save(&bytes);
        assert_eq!(got, Err(expected), "{bytes:02x?}");
        let status = expected.status();
        let want = match expected {
            ControlError::Length { .. } => STATUS_INFO_LENGTH_MISMATCH,
            ControlError::Version { .. } => STATUS_REVISION_MISMATCH,
            _ => STATUS_INVALID_PARAMETER,
        };
        assert_eq!(status, want, "{expected:?}");
        let line = expected.to_string();
        assert!(!line.is_empty() && !line.contains('\n'), "{line}");
        // The driver's second read agrees with the parser.
        if !matches!(
            expected,
            ControlError::Length { .. } | ControlError::Version { .. }
        ) {
            let mut path = ImagePath::EMPTY;
            let again = save_target_into(&bytes, None, &mut path);
            if matches!(expected, ControlError::Target(_))
                || expected == ControlError::Malformed(Field::Target)
            {
                assert_eq!(again, Err(expected));
            }
        }
    }
}

#[test]
fn target_errors_name_the_field() {
    let e = parse_save(&input(
        Select::Letter(b'R'),
        SaveLock::Locked,
        Some("x.img"),
    ))
    .unwrap_err();
    let line = e.to_string();
    assert!(
        line.starts_with("Target: the path is not an absolute path"),
        "{line}"
    );
}

#[test]
fn output_too_small_is_refused_first() {
    assert_eq!(
        check_save_output(55),
        Err(ControlError::OutputTooSmall {
            needed: 56,
            found: 55
        })
    );
    assert_eq!(check_save_output(56), Ok(()));
    assert_eq!(check_save_output(4096), Ok(()));
}

fn outcome() -> SaveOutcome {
    SaveOutcome {
        status: 0,
        method: ReplaceMethod::PosixRename,
        locked: true,
        sparse: true,
        target: false,
        file_bytes: 8 << 30,
        data_bytes: 3 << 20,
        hole_bytes: (8 << 30) - (3 << 20),
        elapsed: 12_345_678,
    }
}

#[test]
fn results_round_trip() {
    for method in [
        ReplaceMethod::PosixRename,
        ReplaceMethod::RenameReopen,
        ReplaceMethod::Create,
    ] {
        for bits in 0..8u8 {
            let o = SaveOutcome {
                method,
                locked: bits & 1 != 0,
                sparse: bits & 2 != 0,
                target: bits & 4 != 0,
                status: if bits == 7 {
                    crate::status::STATUS_ACCESS_DENIED
                } else {
                    0
                },
                ..outcome()
            };
            let r = encode_save_result(&o);
            let mut out = [0u8; 64];
            let reply = save_reply(&r, &mut out);
            assert_eq!(reply.status, STATUS_SUCCESS);
            assert_eq!(reply.information, 56);
            assert_eq!(read_save_result(&out[..56]), Ok(o));
        }
    }
    let r = encode_save_result(&outcome());
    assert_eq!(
        save_reply(&r, &mut [0u8; 55]).status,
        STATUS_BUFFER_TOO_SMALL
    );
    // The bytes as the structure documents them.
    let b = r.as_bytes();
    assert_eq!(&b[0..4], &1u32.to_le_bytes());
    assert_eq!(&b[4..8], &56u32.to_le_bytes());
    assert_eq!(&b[12..16], &RAMDISK_REPLACE_POSIX_RENAME.to_le_bytes());
    assert_eq!(
        &b[16..20],
        &(RAMDISK_SAVED_LOCKED | RAMDISK_SAVED_SPARSE).to_le_bytes()
    );
    assert_eq!(&b[24..32], &(8u64 << 30).to_le_bytes());
    assert_eq!(&b[48..56], &12_345_678u64.to_le_bytes());
}

#[test]
fn malformed_results_are_refused() {
    let good = encode_save_result(&outcome());
    let bad = |f: &dyn Fn(&mut RamdiskSaveResult)| {
        let mut r = good;
        f(&mut r);
        read_save_result(r.as_bytes())
    };
    assert_eq!(
        read_save_result(&good.as_bytes()[..55]),
        Err(SaveResultError::Malformed)
    );
    assert_eq!(
        bad(&|r| r.version = U32::new(2)),
        Err(SaveResultError::Version(2))
    );
    assert_eq!(
        bad(&|r| r.size = U32::new(48)),
        Err(SaveResultError::Malformed)
    );
    assert_eq!(
        bad(&|r| r.method = U32::new(0)),
        Err(SaveResultError::Malformed)
    );
    assert_eq!(
        bad(&|r| r.method = U32::new(4)),
        Err(SaveResultError::Malformed)
    );
    assert_eq!(
        bad(&|r| r.flags = U32::new(8)),
        Err(SaveResultError::Malformed)
    );
    assert_eq!(
        bad(&|r| r.reserved = U32::new(1)),
        Err(SaveResultError::Malformed)
    );
    assert_eq!(
        bad(&|r| r.hole_bytes = U64::new(0)),
        Err(SaveResultError::Malformed)
    );
    assert_eq!(
        bad(&|r| {
            r.data_bytes = U64::new(u64::MAX);
            r.hole_bytes = U64::new(2);
            r.file_bytes = U64::new(1);
        }),
        Err(SaveResultError::Malformed)
    );
    assert!(!SaveResultError::Version(2).to_string().is_empty());
}

proptest! {
    /// Any bytes: never a panic; only a 2080-byte input is accepted.
    #[test]
    fn any_save_input(bytes in proptest::collection::vec(any::<u8>(), 0..2100)) {
        if let Ok(r) = parse_save(&bytes) {
            prop_assert_eq!(bytes.len(), 2080);
            if let Select::Letter(l) = r.select {
                prop_assert!(l.is_ascii_uppercase());
            }
        }
        let _ = read_save_result(&bytes);
    }

    /// A random mutation of a valid input with a target: accepted (and the driver's
    /// second read agrees), or refused with one of the documented statuses.
    #[test]
    fn mutated_save_inputs(at in 0usize..2080, byte in any::<u8>(), no_lock in any::<bool>(), index in any::<bool>()) {
        let select = if index { Select::Index(2) } else { Select::Letter(b'R') };
        let lock = if no_lock { SaveLock::NoLock } else { SaveLock::Locked };
        let mut bytes = input(select, lock, Some(r"D:\images\disk.img"));
        bytes[at] = byte;
        match parse_save(&bytes) {
            Ok(r) => {
                let mut path = ImagePath::EMPTY;
                let read = save_target_into(&bytes, None, &mut path);
                prop_assert_eq!(read, Ok(r.target));
                prop_assert_eq!(path.drive_letter(), r.target_letter);
                prop_assert_eq!(r.target, !path.units().is_empty());
            }
            Err(e) => {
                prop_assert!([
                    STATUS_INVALID_PARAMETER,
                    STATUS_INFO_LENGTH_MISMATCH,
                    STATUS_REVISION_MISMATCH,
                ].contains(&e.status()), "{:?}", e);
            }
        }
    }

    /// Encoded results read back as encoded, with any numbers that add up.
    #[test]
    fn results_read_back(data in any::<u32>(), hole in any::<u32>(), elapsed in any::<u64>(), status in any::<i32>()) {
        let o = SaveOutcome {
            status,
            data_bytes: u64::from(data) * 512,
            hole_bytes: u64::from(hole) * 512,
            file_bytes: (u64::from(data) + u64::from(hole)) * 512,
            elapsed,
            ..outcome()
        };
        prop_assert_eq!(read_save_result(encode_save_result(&o).as_bytes()), Ok(o));
    }
}

#[test]
fn the_test_shutdown_reply_counts_and_lists_the_statuses() {
    let mut out = [0xAAu8; 80];
    let reply = test_shutdown_reply(&[0, STATUS_INVALID_PARAMETER], &mut out);
    assert_eq!((reply.status, reply.information), (STATUS_SUCCESS, 68));
    assert_eq!(&out[0..4], &2u32.to_le_bytes());
    assert_eq!(&out[4..8], &0u32.to_le_bytes());
    assert_eq!(&out[8..12], &0xC000_000Du32.to_le_bytes());
    assert!(
        out[12..68].iter().all(|&b| b == 0),
        "unused statuses are zero"
    );
    assert_eq!(out[68], 0xAA, "nothing written past the reply");
    assert_eq!(
        test_shutdown_reply(&[], &mut [0u8; 67]).status,
        STATUS_BUFFER_TOO_SMALL
    );
    // More statuses than the reply holds: only the first 16 count.
    let many = [0i32; 20];
    let _ = test_shutdown_reply(&many, &mut out);
    assert_eq!(&out[0..4], &16u32.to_le_bytes());
}
