//! Any input, any device behaviour: no panic, `Information` within the output,
//! every handle closed, and the double's list of links the same as the links that
//! exist.

use std::boxed::Box;
use std::collections::BTreeSet;
use std::string::String;
use std::vec::Vec;

use proptest::prelude::*;

use super::fake::{
    ARRIVAL, CREATE_POINT, Call, DELETE_POINTS, INVALID_DEVICE_REQUEST, OVERFLOW, PENDING,
    QUERY_DOS_VOLUME_PATH, QUERY_POINTS, SUCCESS, TRANSCRIPT,
};
use super::happy::{R0, one_disk};
use super::{create_input, mount_point, target_name};

fn code() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(ARRIVAL),
        Just(QUERY_POINTS),
        Just(DELETE_POINTS),
        Just(CREATE_POINT),
        Just(QUERY_DOS_VOLUME_PATH),
        Just(TRANSCRIPT),
        any::<u32>(),
    ]
}

/// A request input: random bytes, or a well-formed input with random corruption.
fn input() -> impl Strategy<Value = Vec<u8>> {
    let shaped = prop_oneof![
        Just(target_name(R0)),
        Just(mount_point(None, None, Some(R0))),
        Just(mount_point(Some(r"\DosDevices\R:"), None, None)),
        Just(create_input(r"\DosDevices\S:", R0)),
    ];
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        (
            shaped,
            proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4)
        )
            .prop_map(|(mut v, edits)| {
                for (at, byte) in edits {
                    let n = v.len();
                    v[at % n] = byte;
                }
                v
            }),
    ]
}

/// The double's links, as `QUERY_POINTS` with no field lists them.
fn listed(h: &mut super::Harness) -> BTreeSet<String> {
    h.query(None, None, None)
        .unwrap()
        .into_iter()
        .map(|p| p.link.to_uppercase())
        .collect()
}

fn existing(h: &super::Harness) -> BTreeSet<String> {
    h.world
        .links
        .iter()
        .map(|(l, _)| l.to_uppercase())
        .collect()
}

proptest! {
    #[test]
    fn any_request_is_answered_without_panic(
        requests in proptest::collection::vec((code(), input(), 0usize..400), 1..8),
    ) {
        let mut h = one_disk();
        prop_assert_eq!(h.arrival(R0), SUCCESS);
        for (code, input, out_len) in requests {
            // `call` checks Information <= out_len and that every handle was closed.
            let _ = h.call(code, &input, out_len);
        }
        prop_assert_eq!(listed(&mut h), existing(&h));
        prop_assert!(h.transcript().lines().all(|l| !l.is_empty()));
    }

    #[test]
    fn any_device_behaviour_leaves_the_list_and_the_links_in_step(
        replies in proptest::collection::vec(
            (
                prop_oneof![
                    Just(SUCCESS), Just(OVERFLOW), Just(INVALID_DEVICE_REQUEST), Just(PENDING),
                ],
                0usize..300,
                proptest::collection::vec(any::<u8>(), 0..8),
                any::<bool>(),
            ),
            1..40,
        ),
        steps in proptest::collection::vec(0u8..6, 1..10),
    ) {
        let mut h = one_disk();
        let mut replies = replies.into_iter().cycle();
        h.world.disk(R0).tamper = Some(Box::new(move |_: &Call, out: &mut [u8], good| {
            let (status, info, bytes, keep) = replies.next()?;
            if keep {
                return Some(good);
            }
            for (dst, src) in out.iter_mut().zip(bytes) {
                *dst = src;
            }
            Some((status, info))
        }));
        for step in steps {
            match step {
                0 => { let _ = h.arrival(R0); }
                1 => { let _ = h.query(None, None, Some(R0)); }
                2 => { let _ = h.create(r"\DosDevices\R:", R0); }
                3 => { let _ = h.delete(Some(r"\DosDevices\R:"), None, None); }
                4 => { let _ = h.dos_path(R0); }
                _ => { let _ = h.delete(None, None, Some(R0)); }
            }
            prop_assert_eq!(listed(&mut h), existing(&h));
        }
    }
}
