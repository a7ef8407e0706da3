//! SID bytes, ACL sizing, and SDDL rendering of read-back descriptors (well-formed,
//! generic rights mapped by the kernel, unknown SIDs, malformed).

use super::*;
use std::string::ToString;
use std::vec::Vec;

/// A self-relative descriptor with `control` and a DACL of `aces` (type, flags,
/// mask, SID bytes), the DACL after the 20-byte header.
fn descriptor(control: u16, aces: &[(u8, u8, u32, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (ace_type, flags, mask, sid) in aces {
        let size = u16::try_from(8 + sid.len()).unwrap();
        body.extend([*ace_type, *flags]);
        body.extend(size.to_le_bytes());
        body.extend(mask.to_le_bytes());
        body.extend(sid);
    }
    let mut sd = std::vec![1, 0];
    sd.extend((control | SE_DACL_PRESENT | 0x8000).to_le_bytes()); // SE_SELF_RELATIVE
    sd.extend([0; 12]); // no owner, group, SACL
    sd.extend(20u32.to_le_bytes());
    sd.extend([ACL_REVISION, 0]);
    sd.extend(u16::try_from(8 + body.len()).unwrap().to_le_bytes());
    sd.extend(u16::try_from(aces.len()).unwrap().to_le_bytes());
    sd.extend([0, 0]);
    sd.extend(body);
    sd
}

fn sid(s: Sid) -> Vec<u8> {
    s.to_bytes()[..s.len()].to_vec()
}

fn disk_dacl_with(masks: [u32; 3]) -> Vec<u8> {
    let aces: Vec<_> = DISK_DACL
        .iter()
        .zip(masks)
        .map(|(a, m)| (ACCESS_ALLOWED_ACE_TYPE, 0, m, sid(a.sid)))
        .collect();
    descriptor(SE_DACL_PROTECTED, &aces)
}

#[test]
fn sid_bytes() {
    assert_eq!(sid(Sid::SYSTEM), [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]);
    assert_eq!(
        sid(Sid::ADMINISTRATORS),
        [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0]
    );
    assert_eq!(sid(Sid::EVERYONE), [1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    assert!(!Sid::EVERYONE.is_empty());
}

#[test]
fn acl_size_fits_the_aces() {
    // 8 + (8 + 12) + (8 + 16) + (8 + 12).
    assert_eq!(acl_size(&DISK_DACL), 72);
    assert_eq!(disk_dacl_with([0; 3]).len(), 20 + 72);
}

#[test]
fn the_disk_dacl_renders_as_specified() {
    let masks = DISK_DACL.map(|a| a.mask);
    let sd = disk_dacl_with(masks);
    assert_eq!(read_dacl(&sd).unwrap().to_string(), DISK_DACL_SDDL);
}

#[test]
fn mapped_generic_rights_render_as_file_rights() {
    // What Windows stores after mapping GENERIC_* through the file object type.
    let sd = disk_dacl_with([FILE_ALL_ACCESS, FILE_ALL_ACCESS, FILE_GENERIC_EXECUTE]);
    assert_eq!(
        read_dacl(&sd).unwrap().to_string(),
        "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FX;;;WD)"
    );
}

#[test]
fn other_masks_flags_and_sids() {
    let user = [
        1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xE9, 3, 0, 0,
    ];
    let sd = descriptor(
        SE_DACL_AUTO_INHERITED,
        &[
            (
                ACCESS_DENIED_ACE_TYPE,
                0x13,
                GENERIC_READ | GENERIC_WRITE,
                user.to_vec(),
            ),
            (ACCESS_ALLOWED_ACE_TYPE, 0x08, 0x0012_019F, sid(Sid::SYSTEM)),
        ],
    );
    assert_eq!(
        read_dacl(&sd).unwrap().to_string(),
        "D:AI(D;OICIID;GRGW;;;S-1-5-21-1-2-3-1001)(A;IO;0x12019f;;;SY)"
    );
    // An empty DACL.
    assert_eq!(read_dacl(&descriptor(0, &[])).unwrap().to_string(), "D:");
}

#[test]
fn malformed_descriptors_are_errors() {
    let good = disk_dacl_with([GENERIC_ALL; 3]);
    assert!(read_dacl(&good).is_ok());
    let mut cases: Vec<(Vec<u8>, SdError)> = Vec::new();
    cases.push((
        good[..19].to_vec(),
        SdError::Truncated("security descriptor"),
    ));
    let mut no_dacl = good.clone();
    no_dacl[2] &= !SE_DACL_PRESENT.to_le_bytes()[0];
    cases.push((no_dacl, SdError::NoDacl));
    let mut null_dacl = good.clone();
    null_dacl[16..20].copy_from_slice(&0u32.to_le_bytes());
    cases.push((null_dacl, SdError::NoDacl));
    let mut far = good.clone();
    far[16..20].copy_from_slice(&1000u32.to_le_bytes());
    cases.push((far, SdError::Truncated("DACL")));
    let mut rev = good.clone();
    rev[0] = 2;
    cases.push((rev, SdError::Invalid("descriptor revision")));
    let mut acl_big = good.clone();
    acl_big[22..24].copy_from_slice(&200u16.to_le_bytes());
    cases.push((acl_big, SdError::Truncated("ACL")));
    let mut acl_small = good.clone();
    acl_small[22..24].copy_from_slice(&4u16.to_le_bytes());
    cases.push((acl_small, SdError::Invalid("AclSize")));
    let mut count = good.clone();
    count[24] = 4;
    cases.push((count, SdError::Truncated("ACE")));
    let mut ace_size = good.clone();
    ace_size[30] = 7; // first ACE's AceSize
    cases.push((ace_size, SdError::Invalid("AceSize")));
    let mut ace_type = good.clone();
    ace_type[28] = 5;
    cases.push((
        ace_type,
        SdError::Invalid("ACE type (only allow and deny ACEs)"),
    ));
    let mut sid_rev = good.clone();
    sid_rev[36] = 2;
    cases.push((sid_rev, SdError::Invalid("SID revision")));
    let mut sid_long = good;
    sid_long[37] = 9; // SubAuthorityCount past the ACE... and the ACL
    cases.push((sid_long, SdError::Truncated("SID")));
    for (bytes, expected) in cases {
        assert_eq!(read_dacl(&bytes), Err(expected), "{expected}");
    }
}

#[test]
fn the_control_dacl_renders_as_specified() {
    let aces: Vec<_> = CONTROL_DACL
        .iter()
        .map(|a| (ACCESS_ALLOWED_ACE_TYPE, 0, a.mask, sid(a.sid)))
        .collect();
    let sd = descriptor(SE_DACL_PROTECTED, &aces);
    assert_eq!(read_dacl(&sd).unwrap().to_string(), CONTROL_DACL_SDDL);
    // 8 + (8 + 12) + (8 + 16).
    assert_eq!(acl_size(&CONTROL_DACL), 52);
}
