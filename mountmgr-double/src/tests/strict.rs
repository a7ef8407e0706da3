//! Misbehaving disks: each breach of the protocol is refused, and nothing is left
//! behind.

use std::boxed::Box;
use std::vec;

use super::Harness;
use super::fake::{
    Call, GET_GPT_ATTRIBUTES, GET_PARTITION_INFO_EX, INSUFFICIENT_RESOURCES,
    INVALID_DEVICE_REQUEST, NAME_NOT_FOUND, OVERFLOW, PENDING, PROTOCOL_ERROR, QUERY_DEVICE_NAME,
    QUERY_STABLE_GUID, QUERY_SUGGESTED_LINK_NAME, QUERY_UNIQUE_ID, SUCCESS, Tamper,
};
use super::happy::{R0, UID0, VOLUME1, one_disk};

/// A tamper that changes the reply to `code` on its `nth` call (0-based).
fn on_call(code: u32, nth: usize, reply: impl Fn(&mut [u8]) -> (i32, usize) + 'static) -> Tamper {
    let mut seen = 0;
    Box::new(move |call: &Call, out: &mut [u8], _| {
        if call.code != code {
            return None;
        }
        seen += 1;
        (seen == nth + 1).then(|| reply(out))
    })
}

/// Asserts the arrival of `R0` fails with `status` and leaves nothing behind.
fn rejected(h: &mut Harness, status: i32, why: &str) {
    let mark = h.transcript().len();
    assert_eq!(h.arrival(R0), status, "{why}");
    assert!(h.world.links.is_empty(), "{why}: {:?}", h.world.links);
    assert!(h.world.registry.is_empty(), "{why}");
    assert_eq!(h.query(None, None, None), Ok(vec![]), "{why}: not listed");
    let t = &h.transcript()[mark..];
    assert!(
        t.lines().next().unwrap().contains("result=rejected"),
        "{why}: {t}"
    );
    assert!(t.contains(why), "{why}: {t}");
}

fn with(tamper: Tamper) -> Harness {
    let mut h = one_disk();
    h.world.disk(R0).tamper = Some(tamper);
    h
}

#[test]
fn device_name_overflow_with_information_2_is_rejected() {
    let mut h = with(on_call(QUERY_DEVICE_NAME, 0, |_| (OVERFLOW, 2)));
    rejected(
        &mut h,
        PROTOCOL_ERROR,
        "overflow reply must have Information 4",
    );
}

#[test]
fn device_name_success_on_the_header_buffer_is_rejected() {
    let mut h = with(on_call(QUERY_DEVICE_NAME, 0, |_| (SUCCESS, 4)));
    rejected(&mut h, PROTOCOL_ERROR, "must get STATUS_BUFFER_OVERFLOW");
}

#[test]
fn another_device_name_is_rejected() {
    let mut h = one_disk();
    h.world.disk(R0).reported_name = r"\Device\Ramdisk7".into();
    rejected(
        &mut h,
        PROTOCOL_ERROR,
        r"reports \Device\Ramdisk7 for the device opened as \Device\Ramdisk0",
    );
}

#[test]
fn a_device_name_of_another_length_in_the_second_reply_is_rejected() {
    let mut h = with(on_call(QUERY_DEVICE_NAME, 1, |out| {
        out[..2].copy_from_slice(&30u16.to_le_bytes());
        (SUCCESS, 32)
    }));
    rejected(&mut h, PROTOCOL_ERROR, "Information is not 2 + the length");
}

#[test]
fn information_beyond_the_buffer_is_rejected() {
    let mut h = with(on_call(QUERY_DEVICE_NAME, 1, |_| (SUCCESS, 400)));
    rejected(&mut h, PROTOCOL_ERROR, "Information is not 2 + the length");
    let mut h = with(on_call(QUERY_UNIQUE_ID, 0, |_| (OVERFLOW, 40)));
    rejected(
        &mut h,
        PROTOCOL_ERROR,
        "does not cover the length field, or exceeds the buffer",
    );
}

#[test]
fn a_failed_unique_id_query_rejects_with_the_device_status() {
    let mut h = with(on_call(QUERY_UNIQUE_ID, 0, |_| (INVALID_DEVICE_REQUEST, 0)));
    rejected(
        &mut h,
        INVALID_DEVICE_REQUEST,
        "IOCTL_MOUNTDEV_QUERY_UNIQUE_ID failed",
    );
    let mut h = with(on_call(QUERY_UNIQUE_ID, 1, |_| (NAME_NOT_FOUND, 0)));
    rejected(
        &mut h,
        NAME_NOT_FOUND,
        "IOCTL_MOUNTDEV_QUERY_UNIQUE_ID failed",
    );
}

#[test]
fn an_empty_or_oversized_unique_id_is_rejected() {
    let mut h = one_disk();
    h.world.disk(R0).uid = vec![];
    rejected(&mut h, PROTOCOL_ERROR, "empty unique ID");
    let mut h = one_disk();
    h.world.disk(R0).uid = vec![7; 200];
    rejected(
        &mut h,
        INSUFFICIENT_RESOURCES,
        "length exceeds what the double holds",
    );
}

#[test]
fn a_short_unique_id_may_come_in_the_first_reply() {
    let mut h = one_disk();
    h.world.disk(R0).uid = b"ab".to_vec();
    assert_eq!(h.arrival(R0), SUCCESS);
    let uid_calls = h
        .world
        .calls
        .iter()
        .filter(|c| c.code == QUERY_UNIQUE_ID)
        .count();
    assert_eq!(uid_calls, 1);
    assert_eq!(h.world.stored_for(b"ab").len(), 2);
}

#[test]
fn a_pending_query_is_rejected() {
    let mut h = with(on_call(QUERY_DEVICE_NAME, 0, |_| (PENDING, 0)));
    rejected(&mut h, PROTOCOL_ERROR, "must get STATUS_BUFFER_OVERFLOW");
    let mut h = with(on_call(QUERY_UNIQUE_ID, 1, |_| (PENDING, 0)));
    rejected(&mut h, PROTOCOL_ERROR, "must get STATUS_SUCCESS");
}

#[test]
fn optional_queries_may_fail_but_not_answer_wrongly() {
    // A failed GPT / partition / GUID / suggested-name query is fine.
    let mut h = with(on_call(GET_PARTITION_INFO_EX, 0, |_| {
        (INVALID_DEVICE_REQUEST, 0)
    }));
    assert_eq!(h.arrival(R0), SUCCESS);
    assert!(
        !h.world
            .calls
            .iter()
            .any(|c| c.code == super::fake::GET_DEVICE_NUMBER)
    );
    // A success of the wrong size is not.
    let mut h = with(on_call(GET_GPT_ATTRIBUTES, 0, |_| (SUCCESS, 4)));
    rejected(&mut h, PROTOCOL_ERROR, "a success of the structure's size");
    let mut h = with(on_call(QUERY_STABLE_GUID, 0, |_| {
        (super::fake::OVERFLOW, 16)
    }));
    rejected(&mut h, PROTOCOL_ERROR, "a success of the structure's size");
    let mut h = with(on_call(QUERY_SUGGESTED_LINK_NAME, 0, |_| (OVERFLOW, 4)));
    rejected(
        &mut h,
        PROTOCOL_ERROR,
        "must get STATUS_BUFFER_OVERFLOW with Information 6",
    );
    let mut h = with(on_call(QUERY_SUGGESTED_LINK_NAME, 1, |_| (SUCCESS, 34)));
    rejected(&mut h, PROTOCOL_ERROR, "Information 4 + NameLength");
    let mut h = with(on_call(QUERY_SUGGESTED_LINK_NAME, 0, |_| {
        (INVALID_DEVICE_REQUEST, 0)
    }));
    assert_eq!(h.arrival(R0), SUCCESS);
    assert_eq!(h.links_of(R0).unwrap(), [VOLUME1]);
}

#[test]
fn a_unique_id_that_changes_after_arrival_rejects_the_volume_at_query_points() {
    let mut h = one_disk();
    assert_eq!(h.arrival(R0), SUCCESS);
    h.world.disk(R0).uid = b"ramdisk:Other".to_vec();
    assert_eq!(h.query(None, None, Some(R0)), Err(PROTOCOL_ERROR));
    assert!(h.world.links.is_empty(), "links removed");
    assert_eq!(h.world.stored_for(UID0).len(), 2, "database kept");
    assert!(
        h.transcript()
            .contains("note rejected: the unique ID of \\Device\\Ramdisk0 changed")
    );
    // It is not listed any more.
    assert_eq!(h.query(None, None, None).unwrap(), vec![]);
}

#[test]
fn a_unique_id_that_changes_at_a_re_arrival_rejects_the_volume() {
    let mut h = one_disk();
    assert_eq!(h.arrival(R0), SUCCESS);
    h.world.disk(R0).uid = b"ramdisk:Other".to_vec();
    assert_eq!(h.arrival(R0), PROTOCOL_ERROR);
    assert!(h.world.links.is_empty());
    assert!(h.transcript().contains("is listed with another unique ID"));
}

#[test]
fn a_re_query_answering_information_as_the_buffer_size_is_rejected() {
    // The arrival asks with exact-size buffers, the re-queries with two spare bytes:
    // a device that answers Information = output length passes the first, not the second.
    let mut h = one_disk();
    h.world.disk(R0).tamper = Some(Box::new(|call: &Call, _: &mut [u8], (status, info)| {
        (status == SUCCESS && matches!(call.code, QUERY_DEVICE_NAME | QUERY_UNIQUE_ID))
            .then_some((status, call.out_len.max(info)))
    }));
    assert_eq!(h.arrival(R0), SUCCESS);
    assert_eq!(h.create(r"\DosDevices\S:", R0), PROTOCOL_ERROR);
    assert!(h.world.links.is_empty());
    assert_eq!(h.dos_path(R0), Err(PROTOCOL_ERROR));
}

#[test]
fn a_device_that_reports_another_name_at_create_point_is_rejected() {
    let mut h = one_disk();
    h.world.disk(R0).suggested = None;
    assert_eq!(h.arrival(R0), SUCCESS);
    h.world.disk(R0).reported_name = r"\Device\Renamed".into();
    assert_eq!(h.create(r"\DosDevices\R:", R0), PROTOCOL_ERROR);
    assert!(h.world.links.is_empty());
    assert_eq!(h.query(None, None, None).unwrap(), vec![]);
}

#[test]
fn a_device_that_fails_the_name_query_later_is_rejected_at_dos_volume_path() {
    let mut h = one_disk();
    assert_eq!(h.arrival(R0), SUCCESS);
    h.world.disk(R0).tamper = Some(on_call(QUERY_DEVICE_NAME, 0, |_| {
        (INVALID_DEVICE_REQUEST, 0)
    }));
    assert_eq!(h.dos_path(R0), Err(INVALID_DEVICE_REQUEST));
    assert!(h.world.links.is_empty());
}

#[test]
fn only_the_delivered_bytes_are_read() {
    // The name's bytes past Information are not delivered (the I/O manager copies
    // Information bytes): a reply that stops short is a wrong size, whatever the
    // buffer holds.
    let mut h = with(on_call(QUERY_DEVICE_NAME, 1, |_| (SUCCESS, 20)));
    rejected(&mut h, PROTOCOL_ERROR, "Information is not 2 + the length");
}

#[test]
fn a_device_that_cannot_be_opened_fails_the_arrival_with_that_status() {
    let mut h = one_disk();
    h.world.disk(R0).gone = true;
    assert_eq!(h.arrival(R0), NAME_NOT_FOUND);
    assert!(h.world.calls.is_empty());
}
