//! The wire rules of the requests the double receives.

use std::vec;
use std::vec::Vec;

use super::fake::{
    ARRIVAL, CREATE_POINT, DELETE_POINTS, INSUFFICIENT_RESOURCES, INVALID_DEVICE_REQUEST,
    INVALID_PARAMETER, NAME_NOT_FOUND, OVERFLOW, QUERY_DOS_VOLUME_PATH, QUERY_POINTS, SUCCESS, le,
};
use super::happy::{R0, UID0, VOLUME1, one_disk};
use super::{create_input, mount_point, parse_points, target_name};

#[test]
fn arrival_input_rules() {
    let mut h = one_disk();
    let good = target_name(R0);
    let mut odd = good.clone();
    odd[0] = 31;
    let mut past = good.clone();
    past[0] = 34;
    let cases: Vec<(&str, Vec<u8>, i32)> = vec![
        ("empty", vec![], INVALID_PARAMETER),
        ("3 bytes", vec![2, 0, 0x41], INVALID_PARAMETER),
        ("zero length", vec![0, 0, 0, 0], INVALID_PARAMETER),
        ("odd length", odd, INVALID_PARAMETER),
        ("past the input", past, INVALID_PARAMETER),
        (
            "too long for the double",
            target_name(&"\\".repeat(129)),
            INSUFFICIENT_RESOURCES,
        ),
    ];
    for (why, input, status) in cases {
        assert_eq!(h.call(ARRIVAL, &input, 0).0, status, "{why}");
        assert!(h.world.opens.is_empty(), "{why}: nothing opened");
    }
    // A name followed by slack is fine (only DeviceNameLength bytes are the name).
    let mut slack = good;
    slack.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(h.call(ARRIVAL, &slack, 0).0, SUCCESS);
}

#[test]
fn query_points_input_and_output_rules() {
    let mut h = one_disk();
    assert_eq!(h.arrival(R0), SUCCESS);
    let good = mount_point(None, None, Some(R0));
    let set = |mut v: Vec<u8>, at: usize, bytes: &[u8]| {
        v[at..at + bytes.len()].copy_from_slice(bytes);
        v
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("shorter than MOUNTMGR_MOUNT_POINT", good[..23].to_vec()),
        ("past the input", good[..good.len() - 2].to_vec()),
        (
            "offset overflow",
            set(good.clone(), 16, &u32::MAX.to_le_bytes()),
        ),
        ("odd offset", set(good.clone(), 16, &25u32.to_le_bytes())),
        ("odd length", set(good.clone(), 20, &31u16.to_le_bytes())),
        (
            "inside the header",
            set(good.clone(), 16, &0u32.to_le_bytes()),
        ),
        (
            "odd unique ID length",
            mount_point(None, Some(b"abc"), None),
        ),
    ];
    for (why, input) in cases {
        let (status, info, _) = h.call(QUERY_POINTS, &input, 4096);
        assert_eq!((status, info), (INVALID_PARAMETER, 0), "{why}");
    }
    // A zero length makes the offset irrelevant.
    let absent = set(mount_point(None, None, None), 0, &u32::MAX.to_le_bytes());
    assert_eq!(h.call(QUERY_POINTS, &absent, 4096).0, SUCCESS);
    // Output rules.
    assert_eq!(h.call(QUERY_POINTS, &good, 31).0, INVALID_PARAMETER);
    let (status, info, reply) = h.call(QUERY_POINTS, &good, 32);
    assert_eq!((status, info), (OVERFLOW, 32));
    let size = usize::try_from(u32::from_le_bytes(reply[..4].try_into().unwrap())).unwrap();
    assert_eq!(u32::from_le_bytes(reply[4..8].try_into().unwrap()), 2);
    // Two entries, and per point the unique ID, device name and link name.
    assert_eq!(size, 8 + 2 * 24 + 2 * (18 + 32) + 96 + 28);
    assert_eq!(h.call(QUERY_POINTS, &good, size - 1).0, OVERFLOW);
    let (status, info, reply) = h.call(QUERY_POINTS, &good, size + 100);
    assert_eq!((status, info), (SUCCESS, size));
    let points = parse_points(&reply);
    assert_eq!(points[0].link, VOLUME1);
    // The layout: entries at 8 and 32; the first point's unique ID right after them.
    assert_eq!(u32::from_le_bytes(reply[16..20].try_into().unwrap()), 56);
    assert_eq!(&reply[56..74], UID0);
    assert_eq!(&reply[74..106], &le(R0)[..]);
    assert_eq!(&reply[106..202], &le(VOLUME1)[..]);
}

#[test]
fn query_points_with_no_field_lists_everything() {
    let mut h = super::Harness::new(vec![
        super::fake::Disk::ramdisk(0, 'R'),
        super::fake::Disk::ramdisk(1, 'Q'),
    ]);
    assert_eq!(h.query(None, None, None).unwrap(), vec![]);
    assert_eq!(h.arrival(R0), SUCCESS);
    assert_eq!(h.arrival(r"\Device\Ramdisk1"), SUCCESS);
    let links: Vec<_> = h
        .query(None, None, None)
        .unwrap()
        .into_iter()
        .map(|p| p.link)
        .collect();
    assert_eq!(links.len(), 4);
    assert_eq!(links[1], r"\DosDevices\R:");
    assert_eq!(links[3], r"\DosDevices\Q:");
    let by_link = h.query(Some(r"\DosDevices\Q:"), None, None).unwrap();
    assert_eq!(by_link.len(), 1);
    assert_eq!(by_link[0].device, r"\Device\Ramdisk1");
}

#[test]
fn delete_points_that_do_not_fit_delete_nothing() {
    let mut h = one_disk();
    assert_eq!(h.arrival(R0), SUCCESS);
    let input = mount_point(None, None, Some(R0));
    let (status, info, _) = h.call(DELETE_POINTS, &input, 32);
    assert_eq!((status, info), (OVERFLOW, 32));
    assert_eq!(h.world.links.len(), 2);
    assert_eq!(h.world.registry.len(), 2);
    assert_eq!(h.call(DELETE_POINTS, &input, 16).0, INVALID_PARAMETER);
    assert_eq!(
        h.call(DELETE_POINTS, &input[..20], 512).0,
        INVALID_PARAMETER
    );
    assert_eq!(h.world.links.len(), 2);
    // And no arrival is ignored because of a refused request.
    assert!(!h.transcript().contains("will be ignored"));
}

#[test]
fn create_point_input_rules() {
    let mut h = one_disk();
    h.world.disk(R0).suggested = None;
    assert_eq!(h.arrival(R0), SUCCESS);
    let good = create_input(r"\DosDevices\R:", R0);
    let set = |mut v: Vec<u8>, at: usize, value: u16| {
        v[at..at + 2].copy_from_slice(&value.to_le_bytes());
        v
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("shorter than the structure", good[..7].to_vec()),
        ("device past the input", good[..good.len() - 2].to_vec()),
        ("empty link", set(good.clone(), 2, 0)),
        ("empty device", set(good.clone(), 6, 0)),
        ("odd link offset", set(good.clone(), 0, 9)),
        ("odd device length", set(good.clone(), 6, 31)),
        ("link inside the structure", set(good.clone(), 0, 0)),
        ("link offset past the input", set(good.clone(), 0, 0xFFFE)),
    ];
    for (why, input) in cases {
        assert_eq!(
            h.call(CREATE_POINT, &input, 0).0,
            INVALID_PARAMETER,
            "{why}"
        );
    }
    assert_eq!(h.world.links.len(), 1);
    assert_eq!(h.call(CREATE_POINT, &good, 0).0, SUCCESS);
}

#[test]
fn dos_volume_path_input_and_output_rules() {
    let mut h = one_disk();
    assert_eq!(h.arrival(R0), SUCCESS);
    let good = target_name(R0);
    assert_eq!(
        h.call(QUERY_DOS_VOLUME_PATH, &good[..3], 64).0,
        INVALID_PARAMETER
    );
    assert_eq!(
        h.call(QUERY_DOS_VOLUME_PATH, &[1, 0, 0x41, 0], 64).0,
        INVALID_PARAMETER
    );
    assert_eq!(
        h.call(QUERY_DOS_VOLUME_PATH, &good[..good.len() - 2], 64).0,
        INVALID_PARAMETER
    );
    assert_eq!(h.call(QUERY_DOS_VOLUME_PATH, &good, 7).0, INVALID_PARAMETER);
    let (status, info, reply) = h.call(QUERY_DOS_VOLUME_PATH, &good, 11);
    assert_eq!((status, info), (OVERFLOW, 4));
    assert_eq!(reply, 8u32.to_le_bytes());
    let (status, info, reply) = h.call(QUERY_DOS_VOLUME_PATH, &good, 12);
    assert_eq!((status, info), (SUCCESS, 12));
    assert_eq!(reply, [8, 0, 0, 0, b'R', 0, b':', 0, 0, 0, 0, 0]);
    assert_eq!(h.dos_path(r"\Device\Nothing"), Err(NAME_NOT_FOUND));
}

#[test]
fn unknown_codes_and_short_system_buffers() {
    let mut h = one_disk();
    assert_eq!(
        h.call(0x0022_0000, &[1, 2, 3], 8),
        (INVALID_DEVICE_REQUEST, 0, vec![])
    );
    let mut buf = [0u8; 4];
    let status =
        h.mm.device_control(&mut h.world, QUERY_POINTS, &mut buf, 24, 32);
    assert_eq!(status, (INVALID_PARAMETER, 0));
    let t = h.transcript();
    assert!(t.contains("request=0x00220000 in=3 out=8 status=STATUS_INVALID_DEVICE_REQUEST(0xc0000010) info=0 result=unknown-code"), "{t}");
    assert!(t.contains("result=invalid system-buffer=4"), "{t}");
}
