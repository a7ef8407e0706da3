//! A well-behaved disk: registration, restarts, letters, removal.

use std::string::String;
use std::vec;
use std::vec::Vec;

use super::fake::{
    ACCESS_DENIED, Disk, GET_DEVICE_NUMBER, GET_GPT_ATTRIBUTES, GET_PARTITION_INFO_EX,
    INVALID_PARAMETER, LINK_CREATED, LINK_DELETED, NAME_COLLISION, NAME_NOT_FOUND, NOT_FOUND,
    NOT_SUPPORTED, QUERY_DEVICE_NAME, QUERY_STABLE_GUID, QUERY_SUGGESTED_LINK_NAME,
    QUERY_UNIQUE_ID, SUCCESS, TRANSCRIPT, UNIQUE_ID_CHANGE_NOTIFY, VOLUME_ONLINE,
};
use super::{Harness, Point};

pub const R0: &str = r"\Device\Ramdisk0";
pub const UID0: &[u8] = b"ramdisk:Parameters";
/// The first GUID the fake world makes, as a volume name.
pub const VOLUME1: &str = r"\??\Volume{11111101-1111-1111-1111-111111111111}";
pub const VOLUME2: &str = r"\??\Volume{11111102-1111-1111-1111-111111111111}";

pub fn one_disk() -> Harness {
    Harness::new(vec![Disk::ramdisk(0, 'R')])
}

fn point(link: &str) -> Point {
    Point {
        link: link.into(),
        uid: UID0.to_vec(),
        device: R0.into(),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| String::from(*s)).collect()
}

/// The double lists `\??\Volume{…}1` and `R:` for `R0`, and stores both.
fn has_volume1_and_r(h: &mut Harness) {
    let both = strings(&[VOLUME1, r"\DosDevices\R:"]);
    assert_eq!(h.links_of(R0).unwrap(), both);
    assert_eq!(h.world.stored_for(UID0), both);
}

#[test]
fn first_arrival_sends_the_queries_in_order_and_uses_the_suggested_letter() {
    let mut h = one_disk();
    assert_eq!(h.arrival(R0), SUCCESS);
    assert_eq!(
        h.world.codes_since(0, R0),
        vec![
            (GET_GPT_ATTRIBUTES, 8),
            (GET_PARTITION_INFO_EX, 144),
            (GET_DEVICE_NUMBER, 12),
            (QUERY_DEVICE_NAME, 4),
            (QUERY_DEVICE_NAME, 34),
            (QUERY_UNIQUE_ID, 4),
            (QUERY_UNIQUE_ID, 20),
            (QUERY_STABLE_GUID, 16),
            (QUERY_SUGGESTED_LINK_NAME, 6),
            (QUERY_SUGGESTED_LINK_NAME, 32),
            (LINK_CREATED, 0),
            (LINK_CREATED, 0),
            (VOLUME_ONLINE, 0),
            (UNIQUE_ID_CHANGE_NOTIFY, 20),
        ]
    );
    // The queries on a read handle, the notifications on a write handle.
    for c in &h.world.calls {
        let write = matches!(c.code, LINK_CREATED | VOLUME_ONLINE);
        assert_eq!(c.write_handle, write, "{:#x}", c.code);
    }
    let created: Vec<&[u8]> = h
        .world
        .calls
        .iter()
        .filter(|c| c.code == LINK_CREATED)
        .map(|c| &c.input[2..])
        .collect();
    assert_eq!(
        created,
        [super::fake::le(VOLUME1), super::fake::le(r"\DosDevices\R:")]
    );
    let notify = h.world.calls.last().unwrap();
    assert_eq!(notify.input[..2], 18u16.to_le_bytes());
    assert_eq!(&notify.input[2..], UID0);
    assert_eq!(h.world.link(VOLUME1), Some(R0));
    assert_eq!(h.world.link(r"\DosDevices\R:"), Some(R0));
    assert_eq!(
        h.world.stored_for(UID0),
        strings(&[VOLUME1, r"\DosDevices\R:"])
    );
    assert_eq!(
        h.query(None, None, Some(R0)).unwrap(),
        vec![point(VOLUME1), point(r"\DosDevices\R:")]
    );
    assert_eq!(h.dos_path(R0).unwrap(), "R:");
    let t = h.transcript();
    assert!(
        t.lines().next().unwrap().starts_with(
            r"request=IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION in=34 out=0 status=STATUS_SUCCESS(0x00000000) info=0 device=\Device\Ramdisk0 result=registered"
        ),
        "{t}"
    );
}

#[test]
fn example_transcript_in_the_docs_is_what_a_registration_writes() {
    let mut h = one_disk();
    assert_eq!(h.arrival(R0), SUCCESS);
    assert_eq!(
        h.links_of(R0).unwrap(),
        strings(&[VOLUME1, r"\DosDevices\R:"])
    );
    assert_eq!(h.dos_path(R0).unwrap(), "R:");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/example-transcript.txt");
    if std::env::var_os("MMD_BLESS").is_some() {
        std::fs::write(path, h.transcript()).unwrap();
    }
    assert_eq!(h.transcript(), include_str!("../../example-transcript.txt"));
}

#[test]
fn a_second_arrival_of_a_listed_device_queries_again_and_changes_nothing() {
    let mut h = one_disk();
    assert_eq!(h.arrival(R0), SUCCESS);
    let (calls, links, stored) = (
        h.world.calls.len(),
        h.world.links.clone(),
        h.world.registry.clone(),
    );
    let mark = h.transcript().len();
    assert_eq!(h.arrival(R0), SUCCESS);
    let again: Vec<u32> = h.world.codes_since(calls, R0).iter().map(|c| c.0).collect();
    assert_eq!(
        again,
        [
            GET_GPT_ATTRIBUTES,
            GET_PARTITION_INFO_EX,
            GET_DEVICE_NUMBER,
            QUERY_DEVICE_NAME,
            QUERY_DEVICE_NAME,
            QUERY_UNIQUE_ID,
            QUERY_UNIQUE_ID,
            QUERY_STABLE_GUID,
            QUERY_SUGGESTED_LINK_NAME,
            QUERY_SUGGESTED_LINK_NAME,
        ]
    );
    assert_eq!(h.world.links, links);
    assert_eq!(h.world.registry, stored);
    let requests = h.lines_since(mark, "request=");
    assert!(requests[0].ends_with("result=no-op"), "{requests:?}");
}

#[test]
fn stop_by_link_name_then_restart_brings_the_same_volume_name_and_the_letter_back() {
    let mut h = one_disk();
    assert_eq!(h.arrival(R0), SUCCESS);
    // ramdiskctl stop / DriverUnload: DELETE_POINTS by the link name only.
    let calls = h.world.calls.len();
    assert_eq!(
        h.delete(Some(r"\DosDevices\R:"), None, None).unwrap(),
        vec![point(r"\DosDevices\R:")]
    );
    assert_eq!(h.world.codes_since(calls, R0), vec![(LINK_DELETED, 0)]);
    let deleted = h.world.calls.last().unwrap();
    assert!(deleted.write_handle);
    assert_eq!(&deleted.input[2..], super::fake::le(r"\DosDevices\R:"));
    assert_eq!(h.world.link(r"\DosDevices\R:"), None);
    assert_eq!(h.world.stored_for(UID0), strings(&[VOLUME1]));
    assert_eq!(h.links_of(R0).unwrap(), strings(&[VOLUME1]));
    // The service stops: the device goes; the next request forgets the volume.
    h.world.disk(R0).gone = true;
    assert_eq!(h.arrival(R0), NAME_NOT_FOUND);
    assert!(h.world.links.is_empty());
    assert_eq!(h.world.stored_for(UID0), strings(&[VOLUME1]));
    // The service starts again.
    h.world.disk(R0).gone = false;
    assert_eq!(h.arrival(R0), SUCCESS);
    has_volume1_and_r(&mut h);
    assert_eq!(
        h.world.guids, 1,
        "one Volume{{GUID}} for the unique ID, ever"
    );
    assert_eq!(h.dos_path(R0).unwrap(), "R:");
}

#[test]
fn a_database_letter_is_restored_and_can_be_moved_to_the_configured_one() {
    let mut h = one_disk();
    h.mm.load(&super::fake::u16s(r"\DosDevices\S:"), UID0)
        .unwrap();
    h.world
        .registry
        .push((r"\DosDevices\S:".into(), UID0.to_vec()));
    assert_eq!(h.arrival(R0), SUCCESS);
    // S: from the database; the suggestion (R:) is not used; a new volume name.
    assert_eq!(
        h.links_of(R0).unwrap(),
        strings(&[r"\DosDevices\S:", VOLUME1])
    );
    assert_eq!(h.world.link(r"\DosDevices\R:"), None);
    // The driver's reconciliation: delete S: by link name, create R:.
    assert_eq!(
        h.create(r"\DosDevices\R:", R0),
        INVALID_PARAMETER,
        "S: is a letter already"
    );
    assert_eq!(
        h.delete(Some(r"\DosDevices\S:"), None, None).unwrap(),
        vec![point(r"\DosDevices\S:")]
    );
    assert_eq!(h.create(r"\DosDevices\R:", R0), SUCCESS);
    let created = h.world.calls.last().unwrap();
    assert_eq!((created.code, created.write_handle), (LINK_CREATED, true));
    assert_eq!(&created.input[2..], super::fake::le(r"\DosDevices\R:"));
    has_volume1_and_r(&mut h);
    assert_eq!(h.world.link(r"\DosDevices\S:"), None);
    assert_eq!(h.world.link(r"\DosDevices\R:"), Some(R0));
    assert_eq!(h.dos_path(R0).unwrap(), "R:");
}

#[test]
fn a_vanished_device_is_forgotten_at_the_next_request_and_its_database_kept() {
    let mut h = Harness::new(vec![Disk::ramdisk(0, 'R'), Disk::ramdisk(1, 'Q')]);
    assert_eq!(h.arrival(R0), SUCCESS);
    let stored = h.world.registry.clone();
    h.world.disk(R0).gone = true;
    // QUERY_POINTS does not sweep: a device that cannot be opened is still
    // matched by name in the list (what DriverUnload's requests rely on).
    assert_eq!(
        h.links_of(R0).unwrap(),
        strings(&[VOLUME1, r"\DosDevices\R:"])
    );
    let mark = h.transcript().len();
    assert_eq!(h.arrival(r"\Device\Ramdisk1"), SUCCESS);
    assert!(
        h.lines_since(mark, "  note forgot volume \\Device\\Ramdisk0")
            .len()
            == 1
    );
    assert_eq!(h.world.links_to(R0), Vec::<String>::new());
    assert_eq!(&h.world.registry[..2], &stored[..]);
    assert_eq!(h.query(None, None, Some(R0)), Err(INVALID_PARAMETER));
    let all: Vec<String> = h
        .query(None, None, None)
        .unwrap()
        .into_iter()
        .map(|p| p.device)
        .collect();
    assert_eq!(all, [r"\Device\Ramdisk1", r"\Device\Ramdisk1"]);
    // Back again: the stored links come back.
    h.world.disk(R0).gone = false;
    assert_eq!(h.arrival(R0), SUCCESS);
    assert_eq!(
        h.links_of(R0).unwrap(),
        strings(&[VOLUME1, r"\DosDevices\R:"])
    );
}

#[test]
fn delete_by_unique_id_or_device_name_makes_later_arrivals_ignored() {
    for by_uid in [true, false] {
        let mut h = one_disk();
        assert_eq!(h.arrival(R0), SUCCESS);
        let deleted = if by_uid {
            h.delete(None, Some(UID0), None)
        } else {
            h.delete(None, None, Some(R0))
        };
        assert_eq!(
            deleted.unwrap(),
            vec![point(VOLUME1), point(r"\DosDevices\R:")]
        );
        assert!(h.world.links.is_empty());
        assert!(h.world.registry.is_empty());
        // Still listed, with no points: a re-arrival is a no-op.
        assert_eq!(h.arrival(R0), SUCCESS);
        assert_eq!(h.links_of(R0).unwrap(), Vec::<String>::new());
        // Once forgotten, the unique ID's arrivals are ignored.
        h.world.disk(R0).gone = true;
        assert_eq!(h.arrival(R0), NAME_NOT_FOUND);
        h.world.disk(R0).gone = false;
        let mark = h.transcript().len();
        assert_eq!(h.arrival(R0), SUCCESS);
        assert!(
            h.lines_since(mark, "request=")
                .pop()
                .unwrap()
                .ends_with("result=ignored")
        );
        assert!(h.world.links.is_empty());
        assert_eq!(h.query(None, None, Some(R0)), Err(INVALID_PARAMETER));
        assert_eq!(h.create(r"\DosDevices\R:", R0), NAME_NOT_FOUND);
    }
}

#[test]
fn create_point_rules() {
    let mut h = Harness::new(vec![Disk::ramdisk(0, 'R'), Disk::ramdisk(1, 'Q')]);
    h.world.disk(R0).suggested = None;
    assert_eq!(h.arrival(R0), SUCCESS);
    assert_eq!(h.arrival(r"\Device\Ramdisk1"), SUCCESS);
    assert_eq!(h.links_of(R0).unwrap(), strings(&[VOLUME1]));
    // Q: belongs to Ramdisk1.
    assert_eq!(h.create(r"\DosDevices\Q:", R0), NAME_COLLISION);
    // A link someone else made (the driver's own fallback) collides too.
    h.world.links.push((r"\DosDevices\T:".into(), R0.into()));
    assert_eq!(h.create(r"\DosDevices\T:", R0), NAME_COLLISION);
    // Only upper-case drive letters are modelled.
    assert_eq!(h.create(r"\DosDevices\r:", R0), NOT_SUPPORTED);
    assert_eq!(h.create(VOLUME2, R0), NOT_SUPPORTED);
    assert_eq!(
        h.create(r"\DosDevices\R:", r"\Device\Nothing"),
        NAME_NOT_FOUND
    );
    assert_eq!(h.links_of(R0).unwrap(), strings(&[VOLUME1]));
    // A device that refuses a write handle still gets its letter; LINK_CREATED is
    // noted as not sent.
    h.world.disk(R0).deny_write = true;
    let mark = h.transcript().len();
    assert_eq!(h.create(r"\DosDevices\R:", R0), SUCCESS);
    assert_eq!(
        h.links_of(R0).unwrap(),
        strings(&[VOLUME1, r"\DosDevices\R:"])
    );
    assert!(h.transcript()[mark..].contains(&std::format!(
        "  open device={R0} access=write status=STATUS_ACCESS_DENIED(0x{:08x})",
        ACCESS_DENIED.cast_unsigned()
    )));
    assert_eq!(
        h.lines_since(mark, "  note IOCTL_MOUNTDEV_LINK_CREATED not sent")
            .len(),
        1
    );
    // A store failure undoes the link.
    h.world.disk(R0).deny_write = false;
    assert_eq!(
        h.delete(Some(r"\DosDevices\R:"), None, None).unwrap().len(),
        1
    );
    h.world.store_status = ACCESS_DENIED;
    assert_eq!(h.create(r"\DosDevices\R:", R0), ACCESS_DENIED);
    assert_eq!(h.world.link(r"\DosDevices\R:"), None);
    assert_eq!(h.links_of(R0).unwrap(), strings(&[VOLUME1]));
}

#[test]
fn delete_points_that_match_nothing() {
    let mut h = one_disk();
    assert_eq!(h.arrival(R0), SUCCESS);
    assert_eq!(
        h.delete(Some(r"\DosDevices\Z:"), None, None),
        Err(NAME_NOT_FOUND)
    );
    assert_eq!(h.delete(None, Some(b"other"), None), Err(INVALID_PARAMETER));
    assert_eq!(
        h.delete(None, None, Some(r"\Device\Nothing")),
        Err(INVALID_PARAMETER)
    );
    // Every given field must match: R: with another unique ID is not a point.
    assert_eq!(
        h.delete(Some(r"\DosDevices\R:"), Some(b"other"), None),
        Err(INVALID_PARAMETER)
    );
    assert_eq!(h.delete(Some(VOLUME2), None, Some(R0)), Err(NAME_NOT_FOUND));
    assert_eq!(
        h.links_of(R0).unwrap(),
        strings(&[VOLUME1, r"\DosDevices\R:"])
    );
    // Names compare ignoring case.
    assert_eq!(
        h.delete(
            Some(r"\dosdevices\r:"),
            Some(UID0),
            Some(r"\device\ramdisk0")
        )
        .unwrap(),
        vec![point(r"\DosDevices\R:")]
    );
}

#[test]
fn dos_volume_path_without_a_letter_is_the_volume_name_in_the_win32_namespace() {
    let mut h = one_disk();
    h.world.disk(R0).suggested = None;
    assert_eq!(h.arrival(R0), SUCCESS);
    assert_eq!(
        h.dos_path(R0).unwrap(),
        r"\\?\Volume{11111101-1111-1111-1111-111111111111}"
    );
    // Exactly as GetFinalPathNameByHandle's buffer grows: 8 bytes, then 4 + MultiSzLength.
    let (status, info, reply) = h.call(
        super::fake::QUERY_DOS_VOLUME_PATH,
        &super::target_name(R0),
        8,
    );
    assert_eq!((status, info), (super::fake::OVERFLOW, 4));
    assert_eq!(reply, 100u32.to_le_bytes());
    assert_eq!(h.dos_path(r"\Device\Nothing"), Err(NAME_NOT_FOUND));
    // Without any link: STATUS_NOT_FOUND.
    assert_eq!(h.delete(None, None, Some(R0)).unwrap().len(), 1);
    assert_eq!(h.dos_path(R0), Err(NOT_FOUND));
}

#[test]
fn a_stable_guid_names_the_volume_and_gpt_no_drive_letter_stops_the_suggestion() {
    let mut h = one_disk();
    let guid = [
        0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56, 0x9A, 0xBC, 0xDE, 0xF0, 0x12, 0x34, 0x56,
        0x78,
    ];
    h.world.disk(R0).stable_guid = Some(guid);
    h.world.disk(R0).gpt_attributes = Some(0x8000_0000_0000_0000);
    assert_eq!(h.arrival(R0), SUCCESS);
    assert_eq!(
        h.links_of(R0).unwrap(),
        strings(&[r"\??\Volume{12345678-1234-5678-9abc-def012345678}"])
    );
    assert_eq!(h.world.guids, 0);
    let t = h.transcript();
    assert!(t.contains(r"note suggested link \DosDevices\R: unused: GPT_BASIC_DATA_ATTRIBUTE_NO_DRIVE_LETTER is set"), "{t}");
    // The letter can still be asked for.
    assert_eq!(h.create(r"\DosDevices\R:", R0), SUCCESS);
}

#[test]
fn suggestions_that_are_not_used() {
    /// (suggested name, a value stored first, why it is unused).
    type Case = (
        Option<(bool, &'static str)>,
        Option<&'static str>,
        &'static str,
    );
    let cases: [Case; 4] = [
        (Some((false, r"\DosDevices\r:")), None, "not a drive letter"),
        (Some((false, r"\??\R:")), None, "not a drive letter"),
        (
            Some((true, r"\DosDevices\R:")),
            Some(VOLUME2),
            "UseOnlyIfThereAreNoOtherLinks",
        ),
        (
            Some((false, r"\DosDevices\R:")),
            Some(r"\DosDevices\R:"),
            "stored for another unique ID",
        ),
    ];
    for (suggested, stored, why) in cases {
        let mut h = one_disk();
        h.world.disk(R0).suggested = suggested.map(|(o, n)| (o, n.into()));
        if let Some(name) = stored {
            let uid: &[u8] = if name == VOLUME2 {
                UID0
            } else {
                b"another disk"
            };
            h.mm.load(&super::fake::u16s(name), uid).unwrap();
        }
        assert_eq!(h.arrival(R0), SUCCESS);
        assert_eq!(
            h.world
                .link(r"\DosDevices\R:")
                .filter(|_| stored != Some(r"\DosDevices\R:")),
            None,
            "{why}"
        );
        assert!(h.transcript().contains(why), "{why}: {}", h.transcript());
    }
}

#[test]
fn a_letter_held_by_a_listed_volume_is_not_suggested_to_another() {
    let mut h = Harness::new(vec![Disk::ramdisk(0, 'R'), Disk::ramdisk(1, 'R')]);
    assert_eq!(h.arrival(R0), SUCCESS);
    assert_eq!(h.arrival(r"\Device\Ramdisk1"), SUCCESS);
    assert_eq!(
        h.links_of(r"\Device\Ramdisk1").unwrap(),
        strings(&[VOLUME2])
    );
    assert!(
        h.transcript()
            .contains(r"suggested link \DosDevices\R: unused: in use by another volume")
    );
}

#[test]
fn the_transcript_ioctl_returns_the_text_and_overflows_with_what_fits() {
    let mut h = one_disk();
    assert_eq!(h.arrival(R0), SUCCESS);
    let text = h.transcript();
    let (status, info, reply) = h.call(TRANSCRIPT, &[], 64 * 1024);
    assert_eq!((status, info), (SUCCESS, text.len()));
    assert_eq!(reply, text.as_bytes());
    let (status, info, reply) = h.call(TRANSCRIPT, &[], 10);
    assert_eq!((status, info), (super::fake::OVERFLOW, 10));
    assert_eq!(reply, &text.as_bytes()[..10]);
    assert_eq!(h.transcript(), text, "the test IOCTL is not recorded");
}

#[test]
fn database_values_the_double_cannot_hold_are_refused_at_load() {
    let mut mm = std::boxed::Box::new(crate::MountManager::new());
    assert_eq!(mm.load(&[], b"x"), Err(crate::LoadError::Name));
    assert_eq!(mm.load(&[0x41; 65], b"x"), Err(crate::LoadError::Name));
    assert_eq!(mm.load(&[0x41], &[]), Err(crate::LoadError::UniqueId));
    assert_eq!(mm.load(&[0x41], &[0; 129]), Err(crate::LoadError::UniqueId));
    for i in 0..32u16 {
        mm.load(&[0x41, i], b"x").unwrap();
    }
    assert_eq!(mm.load(&[0x42], b"x"), Err(crate::LoadError::Full));
    mm.load(&[0x61, 0], b"y")
        .expect("replacing a value needs no room");
    assert!(core::mem::size_of::<crate::MountManager>() < 64 * 1024);
}
