//! Exact request bytes, reply reading (well-formed, foreign, overflowing and
//! malformed replies) and every decision of the registration sequence.

use super::*;
use crate::disk::{device_name, dos_device_name};
use crate::status::{STATUS_INVALID_PARAMETER, STATUS_NOT_SUPPORTED};
use std::string::ToString;
use std::vec::Vec;

fn utf16_le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn disk0() -> crate::disk::DeviceName {
    device_name(0)
}

#[test]
fn arrival_is_a_target_name() {
    let r = arrival(disk0().as_slice()).unwrap();
    let mut expected = std::vec![32, 0];
    expected.extend(utf16_le(r"\Device\Ramdisk0"));
    assert_eq!(r.as_bytes(), &expected[..]);
    // Never shorter than sizeof(MOUNTMGR_TARGET_NAME).
    assert_eq!(
        arrival(&[u16::from(b'x')]).unwrap().as_bytes(),
        &[2, 0, b'x', 0]
    );
    assert_eq!(arrival(&[]).unwrap().as_bytes(), &[0, 0, 0, 0]);
    // Too long for a request.
    assert_eq!(arrival(&[b'x'.into(); 100]), None);
}

#[test]
fn query_by_device_names_only_the_device() {
    let r = query_by_device(disk0().as_slice()).unwrap();
    let b = r.as_bytes();
    assert_eq!(b.len(), 24 + 32);
    // SymbolicLinkName and UniqueId: offset 0, length 0.
    assert_eq!(&b[..16], &[0; 16]);
    assert_eq!(&b[16..20], &24u32.to_le_bytes());
    assert_eq!(&b[20..22], &32u16.to_le_bytes());
    assert_eq!(&b[22..24], &[0, 0]);
    assert_eq!(&b[24..], &utf16_le(r"\Device\Ramdisk0")[..]);
}

#[test]
fn delete_names_only_the_link() {
    let r = delete_link(&dos_device_name(b'r').unwrap()).unwrap();
    let b = r.as_bytes();
    assert_eq!(b.len(), 24 + 28);
    assert_eq!(&b[..4], &24u32.to_le_bytes());
    assert_eq!(&b[4..6], &28u16.to_le_bytes());
    // UniqueIdLength = DeviceNameLength = 0 (and their offsets).
    assert_eq!(&b[6..24], &[0; 18]);
    assert_eq!(&b[24..], &utf16_le(r"\DosDevices\R:")[..]);
}

#[test]
fn create_point_input() {
    let r = create_point(&dos_device_name(b'R').unwrap(), disk0().as_slice()).unwrap();
    let b = r.as_bytes();
    assert_eq!(&b[..8], &[8, 0, 28, 0, 36, 0, 32, 0]);
    assert_eq!(&b[8..36], &utf16_le(r"\DosDevices\R:")[..]);
    assert_eq!(&b[36..], &utf16_le(r"\Device\Ramdisk0")[..]);
    // The longest device name the hook allows still fits.
    let long = [u16::from(b'd'); MOUNT_MANAGER_NAME_CAPACITY];
    assert!(create_point(&dos_device_name(b'R').unwrap(), &long).is_some());
}

#[test]
fn mount_point_manager_name() {
    assert_eq!(mount_point_manager().as_slice(), &MOUNT_POINT_MANAGER[..]);
    assert_eq!(
        std::string::String::from_utf16(&MOUNT_POINT_MANAGER).unwrap(),
        r"\Device\MountPointManager"
    );
}

/// A `MOUNTMGR_MOUNT_POINTS` reply laid out as Windows' mount manager does:
/// header, entries, then (unique ID, device name, link) per point.
fn reply(points: &[(&str, &[u8], &str)]) -> Vec<u8> {
    let mut names = Vec::new();
    let names_at = 8 + 24 * points.len();
    let mut entries = Vec::new();
    for (link, id, device) in points {
        let at = |names: &Vec<u8>| u32::try_from(names_at + names.len()).unwrap();
        let id_at = at(&names);
        names.extend(*id);
        let device_at = at(&names);
        names.extend(utf16_le(device));
        let link_at = at(&names);
        names.extend(utf16_le(link));
        let len = |n: usize| u16::try_from(n).unwrap().to_le_bytes();
        entries.extend(link_at.to_le_bytes());
        entries.extend(len(2 * link.encode_utf16().count()));
        entries.extend([0, 0]);
        entries.extend(id_at.to_le_bytes());
        entries.extend(len(id.len()));
        entries.extend([0, 0]);
        entries.extend(device_at.to_le_bytes());
        entries.extend(len(2 * device.encode_utf16().count()));
        entries.extend([0, 0]);
    }
    let size = u32::try_from(names_at + names.len()).unwrap();
    let mut out = Vec::new();
    out.extend(size.to_le_bytes());
    out.extend(u32::try_from(points.len()).unwrap().to_le_bytes());
    out.extend(entries);
    out.extend(names);
    out
}

const ID: &[u8] = b"ramdisk:Parameters";
const VOLUME: &str = r"\??\Volume{5a3b2c1d-0000-4000-8000-123456789abc}";

fn listed(status: i32, bytes: &[u8]) -> Result<QueryReply, QueryError> {
    read_points(status, bytes, disk0().as_slice())
}

#[test]
fn reading_points() {
    let two = reply(&[
        (VOLUME, ID, r"\Device\Ramdisk0"),
        (r"\DosDevices\R:", ID, r"\Device\Ramdisk0"),
    ]);
    let mut r = LetterSet::EMPTY;
    r.insert(b'R');
    assert_eq!(
        listed(STATUS_SUCCESS, &two),
        Ok(QueryReply::Listed(Points {
            count: 2,
            letters: r
        }))
    );
    // Device names compare without case; a lower-case link is still a drive letter.
    let odd_case = reply(&[(r"\dosdevices\s:", ID, r"\DEVICE\RAMDISK0")]);
    let mut s = LetterSet::EMPTY;
    s.insert(b'S');
    assert_eq!(
        listed(STATUS_SUCCESS, &odd_case),
        Ok(QueryReply::Listed(Points {
            count: 1,
            letters: s
        }))
    );
    // Points of another device are not ours (a mount manager that ignores the filter).
    let foreign = reply(&[
        (r"\DosDevices\C:", b"disk", r"\Device\HarddiskVolume1"),
        (r"\DosDevices\R:", ID, r"\Device\Ramdisk01"),
    ]);
    assert_eq!(
        listed(STATUS_SUCCESS, &foreign),
        Ok(QueryReply::Listed(Points {
            count: 0,
            letters: LetterSet::EMPTY
        }))
    );
    // Wine's answer for a device it does not know: no points, 8 bytes.
    let none = [8, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        listed(STATUS_SUCCESS, &none),
        Ok(QueryReply::Listed(Points {
            count: 0,
            letters: LetterSet::EMPTY
        }))
    );
    // Folder mount points and volume names are points, not letters.
    let folder = reply(&[(r"\DosDevices\R:\mnt", ID, r"\Device\Ramdisk0")]);
    assert_eq!(
        listed(STATUS_SUCCESS, &folder),
        Ok(QueryReply::Listed(Points {
            count: 1,
            letters: LetterSet::EMPTY
        }))
    );
}

#[test]
fn overflow_asks_for_size() {
    // Windows writes the whole header; Wine only Size (Information 4).
    assert_eq!(
        listed(STATUS_BUFFER_OVERFLOW, &[0x00, 0x08, 0, 0]),
        Ok(QueryReply::Overflow(2048))
    );
    assert_eq!(
        listed(STATUS_BUFFER_OVERFLOW, &[0x00, 0x08, 0, 0, 5, 0, 0, 0]),
        Ok(QueryReply::Overflow(2048))
    );
    for bad in [&[][..], &[1, 2], &[4, 0, 0, 0], &[0, 0, 0x10, 0]] {
        assert!(
            matches!(
                listed(STATUS_BUFFER_OVERFLOW, bad),
                Err(QueryError::Malformed(_))
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn failures_and_malformed_replies() {
    assert_eq!(
        listed(STATUS_INVALID_PARAMETER, &[]),
        Err(QueryError::Status(STATUS_INVALID_PARAMETER))
    );
    let good = reply(&[(r"\DosDevices\R:", ID, r"\Device\Ramdisk0")]);
    // Shorter than the header; more points than bytes; names outside the reply.
    let mut cases: Vec<Vec<u8>> = std::vec![std::vec![8, 0, 0]];
    let mut more = good.clone();
    more[4] = 2;
    cases.push(more);
    // An offset past the end (link, unique ID, device name), one that would
    // overflow with its length, and a name that runs one byte past the end.
    for (offset_at, value) in [
        (8, 0x100u32),
        (16, 0x100),
        (24, 0x100),
        (8, u32::MAX),
        (8, 83),
    ] {
        let mut bad = good.clone();
        bad[offset_at..offset_at + 4].copy_from_slice(&value.to_le_bytes());
        cases.push(bad);
    }
    for bad in &cases {
        assert!(
            matches!(listed(STATUS_SUCCESS, bad), Err(QueryError::Malformed(_))),
            "{bad:?}"
        );
    }
    // Truncated to what Information said: the entry's names are gone.
    assert!(matches!(
        listed(STATUS_SUCCESS, &good[..40]),
        Err(QueryError::Malformed(_))
    ));
}

#[test]
fn drive_letter_links() {
    assert_eq!(drive_letter_of(&utf16_le(r"\DosDevices\R:")), Some(b'R'));
    assert_eq!(drive_letter_of(&utf16_le(r"\DOSDEVICES\z:")), Some(b'Z'));
    for no in [
        r"\DosDevices\R",
        r"\DosDevices\RR",
        r"\DosDevices\1:",
        r"\??\R:",
        r"\DosDevices\R:\x",
        VOLUME,
        "",
    ] {
        assert_eq!(drive_letter_of(&utf16_le(no)), None, "{no}");
    }
    // An odd byte count is not a name.
    let mut odd = utf16_le(r"\DosDevices\R:");
    odd.pop();
    assert_eq!(drive_letter_of(&odd), None);
}

fn letters(list: &[u8]) -> LetterSet {
    let mut s = LetterSet::EMPTY;
    for &l in list {
        s.insert(l);
    }
    s
}

#[test]
fn plans() {
    let p = |count, l: &[u8]| Points {
        count,
        letters: letters(l),
    };
    // Not listed at all: our own link.
    assert_eq!(plan(p(0, &[]), b'R'), Plan::Fallback(Fallback::NotListed));
    // Restored from the database: nothing to do.
    assert_eq!(
        plan(p(2, b"R"), b'R'),
        Plan::Reconcile {
            delete: LetterSet::EMPTY,
            create: false
        }
    );
    // Another letter (restored or auto-assigned): delete it, create ours.
    assert_eq!(
        plan(p(2, b"S"), b'R'),
        Plan::Reconcile {
            delete: letters(b"S"),
            create: true
        }
    );
    // Ours and others: keep ours, delete the rest.
    assert_eq!(
        plan(p(3, b"RST"), b'R'),
        Plan::Reconcile {
            delete: letters(b"ST"),
            create: false
        }
    );
    // Only a volume name: create the letter.
    assert_eq!(
        plan(p(1, &[]), b'R'),
        Plan::Reconcile {
            delete: LetterSet::EMPTY,
            create: true
        }
    );
}

#[test]
fn after_create_and_requery() {
    assert_eq!(after_create(STATUS_SUCCESS), AfterCreate::Owned);
    assert_eq!(
        after_create(STATUS_OBJECT_NAME_COLLISION),
        AfterCreate::Taken
    );
    assert_eq!(
        after_create(STATUS_INVALID_PARAMETER),
        AfterCreate::Requery(STATUS_INVALID_PARAMETER)
    );
    let p = |l: &[u8]| {
        Ok(Points {
            count: 1 + u32::try_from(l.len()).unwrap(),
            letters: letters(l),
        })
    };
    // The mount manager gave it a letter after all (ours or another): no link.
    assert_eq!(
        after_requery(STATUS_INVALID_PARAMETER, p(b"R")),
        Settled::Owned(letters(b"R"))
    );
    assert_eq!(
        after_requery(STATUS_INVALID_PARAMETER, p(b"T")),
        Settled::Owned(letters(b"T"))
    );
    // Still no letter, or the query failed: our link.
    assert_eq!(
        after_requery(STATUS_INVALID_PARAMETER, p(&[])),
        Settled::Fallback(Fallback::NoLetter(STATUS_INVALID_PARAMETER))
    );
    assert_eq!(
        after_requery(
            STATUS_INVALID_PARAMETER,
            Err(QueryError::Status(STATUS_NOT_SUPPORTED))
        ),
        Settled::Fallback(Fallback::QueryFailed(QueryError::Status(
            STATUS_NOT_SUPPORTED
        )))
    );
}

#[test]
fn letter_sets() {
    let s = letters(b"rAz@[");
    assert_eq!(s.len(), 3);
    assert!(s.contains(b'a') && s.contains(b'R') && s.contains(b'Z'));
    assert!(!s.contains(b'@') && !s.contains(b'B'));
    assert_eq!(s.iter().collect::<Vec<_>>(), b"ARZ");
    assert_eq!(std::format!("{s}"), "A: R: Z:");
    assert_eq!(std::format!("{}", LetterSet::EMPTY), "none");
    assert_eq!(s.without(b'r'), letters(b"AZ"));
    assert_eq!(s.without(b'0'), s);
}

#[test]
fn fallback_lines_name_the_status() {
    let line = std::format!("{}", Fallback::ArrivalFailed(STATUS_NOT_SUPPORTED));
    assert!(
        line.contains("0xc00000bb")
            && line.contains("STATUS_NOT_SUPPORTED")
            && line.contains("Wine"),
        "{line}"
    );
    let line = std::format!("{}", Fallback::ArrivalFailed(STATUS_INVALID_PARAMETER));
    assert!(
        line.contains("rejected the volume") && line.contains("STATUS_INVALID_PARAMETER"),
        "{line}"
    );
    assert!(std::format!("{}", Fallback::NotListed).contains("does not list"));
}

#[test]
fn mount_manager_device_hook() {
    let reg_sz = crate::config::REG_SZ;
    let sz = |s: &str| {
        let mut v = utf16_le(s);
        v.extend([0, 0]);
        v
    };
    let name = parse_mount_manager_device(reg_sz, &sz(r"\Device\RamdiskTestMountManager")).unwrap();
    assert_eq!(name.to_string(), r"\Device\RamdiskTestMountManager");
    // Without a NUL, or with several.
    assert_eq!(
        parse_mount_manager_device(reg_sz, &utf16_le(r"\Device\X"))
            .unwrap()
            .to_string(),
        r"\Device\X"
    );
    let mut nuls = sz(r"\Device\X");
    nuls.extend([0, 0, 0, 0]);
    assert_eq!(
        parse_mount_manager_device(reg_sz, &nuls)
            .unwrap()
            .to_string(),
        r"\Device\X"
    );
    // Exactly 64 characters (and a NUL) fit; 65 do not.
    let long = std::format!(r"\{}", "d".repeat(63));
    assert_eq!(
        parse_mount_manager_device(reg_sz, &sz(&long))
            .unwrap()
            .len(),
        64
    );
    let longer = std::format!(r"\{}", "d".repeat(64));
    assert_eq!(
        parse_mount_manager_device(reg_sz, &sz(&longer)),
        Err(HookError::WrongSize(132))
    );
    assert_eq!(
        parse_mount_manager_device(reg_sz, &utf16_le(&longer)),
        Err(HookError::WrongSize(130))
    );
    assert_eq!(
        parse_mount_manager_device(4, &[1, 0, 0, 0]),
        Err(HookError::WrongType(4))
    );
    assert_eq!(
        parse_mount_manager_device(reg_sz, &[0x5C, 0, 0x41]),
        Err(HookError::WrongSize(3))
    );
    for bad in ["", "Device\\X", r"\Dev\0ice"] {
        let bytes = sz(&bad.replace("\\0", "\0"));
        assert_eq!(
            parse_mount_manager_device(reg_sz, &bytes),
            Err(HookError::NotADeviceName),
            "{bad:?}"
        );
    }
    assert_eq!(HookError::NotADeviceName.status(), STATUS_INVALID_PARAMETER);
    assert!(
        HookError::WrongSize(3)
            .to_string()
            .starts_with("MountManagerDevice: ")
    );
}

#[test]
fn only_wines_refusal_is_expected() {
    assert!(Fallback::ArrivalFailed(STATUS_NOT_SUPPORTED).expected_without_mount_manager());
    for other in [
        Fallback::ArrivalFailed(STATUS_INVALID_PARAMETER),
        Fallback::CannotOpen(STATUS_NOT_SUPPORTED),
        Fallback::NotListed,
        Fallback::NoLetter(STATUS_NOT_SUPPORTED),
        Fallback::QueryFailed(QueryError::Malformed("x")),
    ] {
        assert!(!other.expected_without_mount_manager(), "{other}");
    }
}
