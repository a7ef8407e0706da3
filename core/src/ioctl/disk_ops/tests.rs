//! Exact bytes and every buffer boundary of the TRIM, usage and thin-provisioning
//! replies; TRIM ranges reach the disk only when all of them are valid.

use std::cell::RefCell;
use std::vec;
use std::vec::Vec;

use super::*;
use crate::disk::DiskIdentity;
use crate::fat::FatType;
use crate::ioctl::codes::IOCTL_STORAGE_QUERY_PROPERTY;
use crate::ioctl::layout::STORAGE_DEVICE_TRIM_PROPERTY;
use crate::status::{STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS};
use crate::wire::I64;
use crate::wire::dsm::{DeviceDataSetRange, DeviceManageDataSetAttributes};

const SENTINEL: u8 = 0xA5;
const MIB: u64 = 1 << 20;

fn disk(thin: bool) -> DiskState {
    let info = DiskInfo::new(MIB, FatType::Fat12);
    DiskState::new(
        if thin { info.thin(65536) } else { info },
        DiskIdentity::parameters(),
        b'R',
    )
}

/// Records what reaches the disk.
struct Recorder {
    trims: RefCell<Vec<(u64, u64)>>,
    fail_with: Option<i32>,
}

impl Recorder {
    const fn new() -> Self {
        Self {
            trims: RefCell::new(Vec::new()),
            fail_with: None,
        }
    }
}

const USAGE: Usage = Usage {
    disk_size: MIB,
    allocation: Allocation::Dynamic,
    chunk_bytes: 65536,
    allocated_bytes: 3 * 65536,
    peak_allocated_bytes: 5 * 65536,
    memory_limit_bytes: MIB / 2,
    table_bytes: 8 + 128,
};

impl DiskOps for Recorder {
    fn trim(&self, extent: Extent) -> Result<(), i32> {
        self.trims
            .borrow_mut()
            .push((extent.offset(), extent.length()));
        self.fail_with.map_or(Ok(()), Err)
    }

    fn usage(&self) -> Usage {
        USAGE
    }
}

/// `answer_disk` over a sentinel buffer starting with `input`; checks that
/// `Information <= output_len` and that nothing at or past `output_len` changed
/// (nor anything at all on failure).
fn call(
    code: u32,
    input: &[u8],
    output_len: usize,
    disk: &DiskState,
    ops: &Recorder,
) -> (Reply, Vec<u8>) {
    let len = input.len().max(output_len) + 16;
    let mut buffer = vec![SENTINEL; len];
    buffer[..input.len()].copy_from_slice(input);
    let before = buffer.clone();
    let reply = answer_disk(code, &mut buffer, input.len(), output_len, disk, ops);
    assert!(reply.information <= output_len, "{reply:?}");
    assert_eq!(
        buffer[output_len.max(input.len())..],
        before[output_len.max(input.len())..]
    );
    if reply.status != STATUS_SUCCESS {
        assert_eq!(reply.information, 0);
        assert_eq!(buffer, before, "a failure wrote bytes");
    }
    (reply, buffer)
}

fn trim_request(flags: u32, ranges: &[(i64, u64)]) -> Vec<u8> {
    let length = u32::try_from(ranges.len() * 16).unwrap();
    let mut out = DeviceManageDataSetAttributes {
        size: U32::new(28),
        action: U32::new(1),
        flags: U32::new(flags),
        parameter_block_offset: U32::new(0),
        parameter_block_length: U32::new(0),
        data_set_ranges_offset: U32::new(if ranges.is_empty() { 0 } else { 32 }),
        data_set_ranges_length: U32::new(length),
    }
    .as_bytes()
    .to_vec();
    if !ranges.is_empty() {
        out.resize(32, 0);
    }
    for &(start, len) in ranges {
        out.extend_from_slice(
            DeviceDataSetRange {
                starting_offset: I64::new(start),
                length_in_bytes: U64::new(len),
            }
            .as_bytes(),
        );
    }
    out
}

#[test]
fn trim_reaches_the_disk_in_order() {
    for thin in [false, true] {
        let ops = Recorder::new();
        let input = trim_request(0, &[(65536, 4096), (0, 512)]);
        let (reply, _) = call(
            IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES,
            &input,
            0,
            &disk(thin),
            &ops,
        );
        assert_eq!(reply, Reply::ok(0));
        assert_eq!(*ops.trims.borrow(), [(65536, 4096), (0, 512)]);
    }
    let ops = Recorder::new();
    let whole = trim_request(1, &[]);
    let (reply, _) = call(
        IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES,
        &whole,
        16,
        &disk(true),
        &ops,
    );
    assert_eq!(reply, Reply::ok(0));
    assert_eq!(*ops.trims.borrow(), [(0, MIB)]);
}

#[test]
fn a_bad_range_trims_nothing() {
    let ops = Recorder::new();
    let input = trim_request(0, &[(0, 512), (MIB.cast_signed(), 512)]);
    let (reply, _) = call(
        IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES,
        &input,
        0,
        &disk(true),
        &ops,
    );
    assert_eq!(reply, Reply::fail(STATUS_INVALID_PARAMETER));
    assert!(ops.trims.borrow().is_empty());
    let short = &trim_request(0, &[(0, 512)])[..40];
    let (reply, _) = call(
        IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES,
        short,
        0,
        &disk(true),
        &ops,
    );
    assert_eq!(reply.status, STATUS_INVALID_PARAMETER);
    assert!(ops.trims.borrow().is_empty());
}

#[test]
fn a_failing_trim_is_reported() {
    let ops = Recorder {
        fail_with: Some(STATUS_INVALID_PARAMETER),
        ..Recorder::new()
    };
    let input = trim_request(0, &[(0, 512), (512, 512)]);
    let (reply, _) = call(
        IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES,
        &input,
        0,
        &disk(true),
        &ops,
    );
    assert_eq!(reply, Reply::fail(STATUS_INVALID_PARAMETER));
    assert_eq!(ops.trims.borrow().len(), 1, "stops at the first failure");
}

#[test]
fn usage_bytes() {
    let ops = Recorder::new();
    let (reply, buffer) = call(IOCTL_RAMDISK_QUERY_USAGE, &[], 64, &disk(true), &ops);
    assert_eq!(reply, Reply::ok(64));
    let mut want = Vec::new();
    for v in [1u32, 64, 1, 0] {
        want.extend_from_slice(&v.to_le_bytes());
    }
    for v in [MIB, 65536, 3 * 65536, 5 * 65536, MIB / 2, 136] {
        want.extend_from_slice(&v.to_le_bytes());
    }
    assert_eq!(buffer[..64], want[..]);
    // A larger buffer gets the same 64 bytes.
    assert_eq!(
        call(IOCTL_RAMDISK_QUERY_USAGE, &[], 100, &disk(true), &ops).0,
        Reply::ok(64)
    );
    // One byte too few: nothing.
    assert_eq!(
        call(IOCTL_RAMDISK_QUERY_USAGE, &[], 63, &disk(true), &ops).0,
        Reply::fail(STATUS_BUFFER_TOO_SMALL)
    );
    assert_eq!(
        call(IOCTL_RAMDISK_QUERY_USAGE, &[], 0, &disk(false), &ops).0,
        Reply::fail(STATUS_BUFFER_TOO_SMALL)
    );
    // Any input is ignored.
    assert_eq!(
        call(IOCTL_RAMDISK_QUERY_USAGE, &[1; 80], 64, &disk(true), &ops).0,
        Reply::ok(64)
    );
    let fixed = Usage {
        allocation: Allocation::Fixed,
        ..USAGE
    };
    assert_eq!(usage_reply(&fixed).allocation.get(), 0);
}

#[test]
fn only_disks_answer_the_private_codes() {
    let d = disk(true);
    for code in [
        IOCTL_RAMDISK_QUERY_USAGE,
        IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES,
    ] {
        let mut buffer = vec![0u8; 128];
        let input = trim_request(0, &[(0, 512)]);
        buffer[..input.len()].copy_from_slice(&input);
        let reply = answer(code, &mut buffer, input.len(), 64, &d);
        assert_eq!(
            reply,
            Reply::fail(STATUS_INVALID_DEVICE_REQUEST),
            "{code:#x}"
        );
        assert!(super::super::find(code).is_none());
    }
    // Every other code goes to the table, unchanged.
    let ops = Recorder::new();
    let (reply, _) = call(
        super::super::codes::IOCTL_DISK_GET_LENGTH_INFO,
        &[],
        8,
        &d,
        &ops,
    );
    assert_eq!(reply, Reply::ok(8));
}

fn property(id: u32, query: u32) -> Vec<u8> {
    let mut q = id.to_le_bytes().to_vec();
    q.extend_from_slice(&query.to_le_bytes());
    q.extend_from_slice(&[0; 4]);
    q
}

#[test]
fn trim_property_of_a_dynamic_disk() {
    let ops = Recorder::new();
    let d = disk(true);
    let q = property(STORAGE_DEVICE_TRIM_PROPERTY, PROPERTY_STANDARD_QUERY);
    let (reply, buffer) = call(IOCTL_STORAGE_QUERY_PROPERTY, &q, 12, &d, &ops);
    assert_eq!(reply, Reply::ok(12));
    assert_eq!(buffer[..12], [12, 0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0]);
    // The table's rule for every property: as much of the descriptor as fits.
    for out in 8..12 {
        let (reply, buffer) = call(IOCTL_STORAGE_QUERY_PROPERTY, &q, out, &d, &ops);
        assert_eq!(reply, Reply::ok(out), "{out}");
        assert_eq!(buffer[..out], [12, 0, 0, 0, 12, 0, 0, 0, 1, 0, 0][..out]);
    }
    assert_eq!(
        call(IOCTL_STORAGE_QUERY_PROPERTY, &q, 7, &d, &ops).0,
        Reply::fail(STATUS_BUFFER_TOO_SMALL)
    );
    let exists = property(STORAGE_DEVICE_TRIM_PROPERTY, PROPERTY_EXISTS_QUERY);
    assert_eq!(
        call(IOCTL_STORAGE_QUERY_PROPERTY, &exists, 0, &d, &ops).0,
        Reply::ok(0)
    );
    let mask = property(STORAGE_DEVICE_TRIM_PROPERTY, 2);
    assert_eq!(
        call(IOCTL_STORAGE_QUERY_PROPERTY, &mask, 12, &d, &ops).0,
        Reply::fail(STATUS_NOT_SUPPORTED)
    );
}

#[test]
fn lb_provisioning_property_of_a_dynamic_disk() {
    let ops = Recorder::new();
    let d = disk(true);
    let q = property(
        STORAGE_DEVICE_LB_PROVISIONING_PROPERTY,
        PROPERTY_STANDARD_QUERY,
    );
    let (reply, buffer) = call(IOCTL_STORAGE_QUERY_PROPERTY, &q, 40, &d, &ops);
    assert_eq!(reply, Reply::ok(40));
    let mut want = vec![40, 0, 0, 0, 40, 0, 0, 0, 0b0010_0011, 0, 0, 0, 0, 0, 0, 0];
    want.extend_from_slice(&65536u64.to_le_bytes());
    want.extend_from_slice(&0u64.to_le_bytes());
    want.extend_from_slice(&[0xFF; 8]);
    assert_eq!(buffer[..40], want[..]);
    for out in 32..40 {
        let (reply, buffer) = call(IOCTL_STORAGE_QUERY_PROPERTY, &q, out, &d, &ops);
        assert_eq!(reply, Reply::ok(32), "{out}");
        assert_eq!(buffer[..8], [32, 0, 0, 0, 32, 0, 0, 0]);
        assert_eq!(buffer[8..32], want[8..32]);
    }
    for out in 8..32 {
        let (reply, buffer) = call(IOCTL_STORAGE_QUERY_PROPERTY, &q, out, &d, &ops);
        assert_eq!(reply, Reply::ok(8), "{out}");
        assert_eq!(buffer[..8], [40, 0, 0, 0, 40, 0, 0, 0]);
    }
    assert_eq!(
        call(IOCTL_STORAGE_QUERY_PROPERTY, &q, 7, &d, &ops).0,
        Reply::fail(STATUS_BUFFER_TOO_SMALL)
    );
}

#[test]
fn fixed_disks_are_not_thin() {
    let ops = Recorder::new();
    let d = disk(false);
    for id in [
        STORAGE_DEVICE_TRIM_PROPERTY,
        STORAGE_DEVICE_LB_PROVISIONING_PROPERTY,
    ] {
        let q = property(id, PROPERTY_STANDARD_QUERY);
        let mut out = vec![0u8; 40];
        assert_eq!(
            query_provisioning(id, PROPERTY_STANDARD_QUERY, &mut out, &d.info),
            None
        );
        let (reply, _) = call(IOCTL_STORAGE_QUERY_PROPERTY, &q, 40, &d, &ops);
        assert_eq!(reply, answer_table(&q, &d));
    }
    // TRIM is answered, but not enabled: a fixed disk frees nothing on TRIM.
    let q = property(STORAGE_DEVICE_TRIM_PROPERTY, PROPERTY_STANDARD_QUERY);
    let (reply, buffer) = call(IOCTL_STORAGE_QUERY_PROPERTY, &q, 12, &d, &ops);
    assert_eq!(reply, Reply::ok(12));
    assert_eq!(buffer[..12], [12, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0]);
    // No thin provisioning to describe.
    let q = property(
        STORAGE_DEVICE_LB_PROVISIONING_PROPERTY,
        PROPERTY_STANDARD_QUERY,
    );
    let (reply, _) = call(IOCTL_STORAGE_QUERY_PROPERTY, &q, 40, &d, &ops);
    assert_eq!(reply, Reply::fail(STATUS_NOT_SUPPORTED));
}

fn answer_table(q: &[u8], d: &DiskState) -> Reply {
    let mut buffer = vec![SENTINEL; 56];
    buffer[..q.len()].copy_from_slice(q);
    answer(IOCTL_STORAGE_QUERY_PROPERTY, &mut buffer, q.len(), 40, d)
}

#[test]
fn a_read_only_disk_trims_nothing() {
    let ops = Recorder::new();
    let info = DiskInfo::new(MIB, FatType::Fat12).write_protected();
    let ro = DiskState::new(info, DiskIdentity::parameters(), b'R');
    let input = trim_request(0, &[(0, 512)]);
    let (reply, _) = call(
        IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES,
        &input,
        0,
        &ro,
        &ops,
    );
    assert_eq!(
        reply,
        Reply::fail(crate::status::STATUS_MEDIA_WRITE_PROTECTED)
    );
    assert!(ops.trims.borrow().is_empty());
    // A malformed request is still refused as malformed first.
    let (reply, _) = call(
        IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES,
        &[1, 2],
        0,
        &ro,
        &ops,
    );
    assert_eq!(reply.status, STATUS_INVALID_PARAMETER);
}
