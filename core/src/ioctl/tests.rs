//! IOCTL contract tests: exact bytes, every buffer-size boundary, the shared
//! buffer, and a property test over arbitrary requests.

use super::codes::*;
use super::layout::*;
use super::*;
use crate::disk::{DiskIdentity, DiskName, DiskState};
use crate::fat::FatType;
use crate::geometry::{DiskInfo, VolumeKind};
use crate::status::STATUS_INVALID_PARAMETER;
use proptest::prelude::*;
use std::vec;
use std::vec::Vec;

const SENTINEL: u8 = 0xA5;

fn one_mib() -> DiskInfo {
    DiskInfo::new(1 << 20, FatType::Fat12)
}

/// Disk 0 with `info`.
const fn disk0(info: DiskInfo) -> DiskState {
    DiskState::new(info, DiskIdentity::parameters(), b'R')
}

/// Calls [`answer`] with a buffer of `buffer_len` sentinel bytes that starts
/// with `input`; checks the universal guarantees and returns the reply and
/// the buffer.
fn call(
    code: u32,
    input: &[u8],
    input_len: usize,
    output_len: usize,
    info: &DiskInfo,
) -> (Reply, Vec<u8>) {
    call_disk(code, input, input_len, output_len, &disk0(*info))
}

/// [`call`] for a disk with any identity.
fn call_disk(
    code: u32,
    input: &[u8],
    input_len: usize,
    output_len: usize,
    disk: &DiskState,
) -> (Reply, Vec<u8>) {
    let buffer_len = input_len.max(output_len).max(input.len()) + 16;
    let mut buffer = vec![SENTINEL; buffer_len];
    buffer[..input.len()].copy_from_slice(input);
    let before = buffer.clone();
    let reply = answer(code, &mut buffer, input_len, output_len, disk);
    assert!(
        reply.information <= output_len,
        "{}: {reply:?} for {output_len}",
        name(code)
    );
    assert_eq!(
        &buffer[output_len..],
        &before[output_len..],
        "{}: wrote past the output",
        name(code)
    );
    if reply.status != STATUS_SUCCESS && reply.status != STATUS_BUFFER_OVERFLOW {
        assert_eq!(reply.information, 0, "{}", name(code));
    }
    (reply, buffer)
}

fn out(code: u32, output_len: usize) -> (Reply, Vec<u8>) {
    call(code, &[], 0, output_len, &one_mib())
}

const fn ok(information: usize) -> Reply {
    Reply {
        status: STATUS_SUCCESS,
        information,
    }
}

const fn fail(status: i32) -> Reply {
    Reply {
        status,
        information: 0,
    }
}

/// A fixed-size reply: every size around the boundary.
fn fixed_contract(code: u32, expected: &[u8]) {
    let n = expected.len();
    for len in [0, 1, n - 1].into_iter().filter(|&len| len < n) {
        assert_eq!(
            out(code, len).0,
            fail(STATUS_BUFFER_TOO_SMALL),
            "{} {len}",
            name(code)
        );
    }
    for len in [n, n + 1, n + 100] {
        let (reply, buffer) = out(code, len);
        assert_eq!(reply, ok(n), "{} {len}", name(code));
        assert_eq!(&buffer[..n], expected, "{}", name(code));
        assert!(buffer[n..].iter().all(|&b| b == SENTINEL), "{}", name(code));
    }
}

#[test]
fn struct_sizes_match_the_wdk() {
    // sizeof/offsetof printed by a mingw-w64 program under Wine (x64); the wire
    // structs assert the field offsets at compile time, these pin the sizes the
    // table uses.
    use crate::wire::disk::*;
    use crate::wire::storage::*;
    use core::mem::{offset_of, size_of};
    assert_eq!(size_of::<DiskGeometry>(), 24);
    assert_eq!(size_of::<DiskGeometryExHeader>(), 32);
    assert_eq!(size_of::<DiskPartitionInfo>(), 24);
    assert_eq!(size_of::<DiskDetectionInfo>(), 56);
    assert_eq!(offset_of!(DiskDetectionInfo, ex_int13), 24);
    assert_eq!(size_of::<DiskGeometryExFull>(), 112);
    assert_eq!(size_of::<PartitionInformation>(), 32);
    assert_eq!(size_of::<PartitionInformationEx>(), 144);
    assert_eq!(offset_of!(PartitionInformationEx, mbr_partition_id), 40);
    assert_eq!(size_of::<GetLengthInformation>(), 8);
    assert_eq!(size_of::<VerifyInformation>(), 16);
    assert_eq!(size_of::<StorageDeviceNumber>(), 12);
    assert_eq!(size_of::<StorageHotplugInfo>(), 8);
    assert_eq!(size_of::<GetMediaTypes>(), 40);
    assert_eq!(
        offset_of!(GetMediaTypes, media_info) + size_of::<DeviceMediaInfo>(),
        40
    );
    assert_eq!(size_of::<StoragePropertyQuery>(), 12);
    assert_eq!(size_of::<StorageDescriptorHeader>(), 8);
    assert_eq!(size_of::<StorageDeviceDescriptor>(), 40);
    assert_eq!(
        offset_of!(StorageDeviceDescriptor, raw_device_properties),
        36
    );
    assert_eq!(size_of::<StorageAdapterDescriptor>(), 32);
    assert_eq!(crate::wire::mountdev::MOUNTDEV_STRUCT_SIZE, 4);
    assert_eq!(DEVICE_DESCRIPTOR_SIZE, 54);
}

#[test]
fn table_is_consistent() {
    for (i, e) in TABLE.iter().enumerate() {
        assert!(e.name.starts_with("IOCTL_"), "{}", e.name);
        assert_eq!(method(e.code), METHOD_BUFFERED, "{}", e.name);
        assert!(
            TABLE[..i].iter().all(|other| other.code != e.code),
            "duplicate {}",
            e.name
        );
        assert_eq!(find(e.code).map(|f| f.name), Some(e.name));
        assert_eq!(name(e.code), e.name);
        assert!(e.min_input <= MAX_INPUT);
        assert!(std::format!("{e:?}").contains(e.name));
    }
    assert_eq!(name(0), "(unknown IOCTL)");
    assert_eq!(Output::Optional(4).min(), 0);
    assert_eq!(Output::Fixed(24).min(), 24);
}

#[test]
fn unknown_codes() {
    let info = one_mib();
    // IOCTL_DISK_SET_DRIVE_LAYOUT, IOCTL_STORAGE_EJECT_MEDIA, IOCTL_DISK_GET_DRIVE_LAYOUT_EX,
    // IOCTL_DISK_FORMAT_TRACKS, IOCTL_MOUNTMGR_QUERY_POINTS (a mount-manager code, not a
    // disk's), a METHOD_NEITHER variant of GET_DRIVE_GEOMETRY, 0, all ones.
    for code in [
        0x0007_C010,
        0x002D_4808,
        0x0007_0050,
        0x0007_C018,
        IOCTL_MOUNTMGR_QUERY_POINTS,
        0x0007_0003,
        0,
        u32::MAX,
    ] {
        assert_eq!(
            call(code, &[], 0, 64, &info).0,
            fail(STATUS_INVALID_DEVICE_REQUEST),
            "{code:#x}"
        );
        // Even with an inconsistent (e.g. non-buffered) buffer description.
        assert_eq!(
            answer(code, &mut [], 100, 100, &disk0(info)),
            fail(STATUS_INVALID_DEVICE_REQUEST)
        );
    }
}

#[test]
fn buffer_shorter_than_the_lengths() {
    let info = one_mib();
    for e in &TABLE {
        let mut small = [0u8; 8];
        assert_eq!(
            answer(e.code, &mut small, 0, 9, &disk0(info)),
            fail(STATUS_INVALID_PARAMETER),
            "{}",
            e.name
        );
        assert_eq!(
            answer(e.code, &mut small, 9, 0, &disk0(info)),
            fail(STATUS_INVALID_PARAMETER),
            "{}",
            e.name
        );
        assert_eq!(
            answer(e.code, &mut [], 0, 1, &disk0(info)),
            fail(STATUS_INVALID_PARAMETER),
            "{}",
            e.name
        );
    }
}

#[test]
fn drive_geometry_and_media_types() {
    let expected = [
        32, 0, 0, 0, 0, 0, 0, 0, // Cylinders
        12, 0, 0, 0, // FixedMedia
        2, 0, 0, 0, // TracksPerCylinder
        32, 0, 0, 0, // SectorsPerTrack
        0, 2, 0, 0, // BytesPerSector
    ];
    fixed_contract(IOCTL_DISK_GET_DRIVE_GEOMETRY, &expected);
    fixed_contract(IOCTL_DISK_GET_MEDIA_TYPES, &expected);
}

#[test]
fn drive_geometry_ex() {
    let code = IOCTL_DISK_GET_DRIVE_GEOMETRY_EX;
    let mut full = Vec::new();
    full.extend([
        32, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 2, 0, 0, 0, 32, 0, 0, 0, 0, 2, 0, 0,
    ]);
    full.extend([0, 0, 0x10, 0, 0, 0, 0, 0]); // DiskSize
    full.extend([24, 0, 0, 0, 0, 0, 0, 0]); // SizeOfPartitionInfo, PARTITION_STYLE_MBR
    full.extend([0u8; 16]); // Signature, CheckSum, rest of the union
    full.extend([56, 0, 0, 0, 0, 0, 0, 0]); // SizeOfDetectInfo, DetectNone
    full.extend([0u8; 48]); // Int13, ExInt13
    assert_eq!(full.len(), 112);
    for len in [0, 1, 24, 31] {
        assert_eq!(out(code, len).0, fail(STATUS_BUFFER_TOO_SMALL), "{len}");
    }
    for (len, written) in [
        (32, 32),
        (33, 32),
        (40, 32),
        (55, 32),
        (56, 56),
        (57, 56),
        (111, 56),
        (112, 112),
        (500, 112),
    ] {
        let (reply, buffer) = out(code, len);
        assert_eq!(reply, ok(written), "{len}");
        assert_eq!(&buffer[..written], &full[..written], "{len}");
        assert!(buffer[written..].iter().all(|&b| b == SENTINEL), "{len}");
    }
}

#[test]
fn length_info() {
    fixed_contract(IOCTL_DISK_GET_LENGTH_INFO, &[0, 0, 0x10, 0, 0, 0, 0, 0]);
    let info = DiskInfo::new((3 << 30) + 512, FatType::Fat32);
    let (reply, buffer) = call(IOCTL_DISK_GET_LENGTH_INFO, &[], 0, 8, &info);
    assert_eq!(reply, ok(8));
    assert_eq!(buffer[..8], ((3u64 << 30) + 512).to_le_bytes());
}

#[test]
fn partition_info() {
    let expected = [
        0, 0, 0, 0, 0, 0, 0, 0, // StartingOffset
        0, 0, 0x10, 0, 0, 0, 0, 0, // PartitionLength
        0, 0, 0, 0, // HiddenSectors
        0, 0, 0, 0, // PartitionNumber
        0x01, 0, 1, 0, // FAT12, BootIndicator, RecognizedPartition, RewritePartition
        0, 0, 0, 0, // padding
    ];
    fixed_contract(IOCTL_DISK_GET_PARTITION_INFO, &expected);
}

#[test]
fn partition_info_ex() {
    let mut expected = vec![0u8; 144];
    expected[16..24].copy_from_slice(&(1u64 << 20).to_le_bytes()); // PartitionLength
    expected[32] = 0x01; // Mbr.PartitionType
    expected[34] = 1; // Mbr.RecognizedPartition
    fixed_contract(IOCTL_DISK_GET_PARTITION_INFO_EX, &expected);
}

#[test]
fn partition_types_follow_the_fat_type() {
    for (size, fat, ty) in [
        (1u64 << 20, FatType::Fat12, 0x01),
        (16 << 20, FatType::Fat16, 0x04),
        (32 << 20, FatType::Fat16, 0x06),
        (64 << 20, FatType::Fat32, 0x0C),
    ] {
        let info = DiskInfo::new(size, fat);
        let (_, b) = call(IOCTL_DISK_GET_PARTITION_INFO, &[], 0, 32, &info);
        assert_eq!(b[24], ty);
        assert_eq!(b[8..16], size.to_le_bytes());
        let (_, b) = call(IOCTL_DISK_GET_PARTITION_INFO_EX, &[], 0, 144, &info);
        assert_eq!(b[32], ty);
        assert_eq!(b[16..24], size.to_le_bytes());
    }
}

#[test]
fn exfat_disks_are_partition_type_ifs_and_otherwise_the_same_disk() {
    let size = 64u64 << 20;
    let fat = disk0(DiskInfo::new(size, FatType::Fat16));
    let exfat = disk0(DiskInfo::with_volume(size, VolumeKind::Exfat));
    assert_eq!(reported_types(&exfat), (0x07, 0x07));
    for (code, len, at) in [
        (IOCTL_DISK_GET_PARTITION_INFO, 32, 24),
        (IOCTL_DISK_GET_PARTITION_INFO_EX, 144, 32),
    ] {
        let (reply, mut ex) = call_disk(code, &[], 0, len, &exfat);
        assert_eq!(reply, ok(len));
        assert_eq!(ex[at + 2], 1, "{}: RecognizedPartition", name(code));
        let (_, f) = call_disk(code, &[], 0, len, &fat);
        assert_eq!(f[at], 0x06);
        ex[at] = 0x06;
        assert_eq!(ex, f, "{}: only the type differs", name(code));
    }
    // Everything else a disk says does not depend on its file system.
    for &code in &[
        IOCTL_DISK_GET_DRIVE_GEOMETRY,
        IOCTL_DISK_GET_DRIVE_GEOMETRY_EX,
        IOCTL_DISK_GET_LENGTH_INFO,
        IOCTL_STORAGE_GET_HOTPLUG_INFO,
        IOCTL_STORAGE_GET_MEDIA_TYPES_EX,
        IOCTL_MOUNTDEV_QUERY_DEVICE_NAME,
        IOCTL_MOUNTDEV_QUERY_UNIQUE_ID,
    ] {
        assert_eq!(
            call_disk(code, &[], 0, 256, &exfat),
            call_disk(code, &[], 0, 256, &fat),
            "{}",
            name(code)
        );
    }
    // format.com may set another type; the exFAT disk remembers it like any other.
    let (reply, _) = call_disk(IOCTL_DISK_SET_PARTITION_INFO, &[0x0C], 1, 0, &exfat);
    assert_eq!(reply, ok(0));
    assert_eq!(reported_types(&exfat), (0x0C, 0x0C));
}

#[test]
fn is_writable_uses_no_buffers() {
    for (input_len, output_len) in [(0, 0), (0, 100), (100, 0), (7, 7)] {
        let (reply, buffer) = call(
            IOCTL_DISK_IS_WRITABLE,
            &[1, 2, 3],
            input_len,
            output_len,
            &one_mib(),
        );
        assert_eq!(reply, ok(0));
        assert_eq!(&buffer[..3], &[1, 2, 3]);
        assert!(buffer[3..].iter().all(|&b| b == SENTINEL));
    }
}

#[test]
fn check_verify_output_is_optional() {
    for code in [
        IOCTL_DISK_CHECK_VERIFY,
        IOCTL_STORAGE_CHECK_VERIFY,
        IOCTL_STORAGE_CHECK_VERIFY2,
    ] {
        assert_eq!(out(code, 0).0, ok(0));
        for len in 1..4 {
            assert_eq!(out(code, len).0, fail(STATUS_BUFFER_TOO_SMALL));
        }
        for len in [4, 5, 64] {
            let (reply, buffer) = out(code, len);
            assert_eq!(reply, ok(4));
            assert_eq!(&buffer[..4], &[0, 0, 0, 0]);
        }
    }
}

fn verify_input(offset: i64, length: u32) -> [u8; 16] {
    let mut v = [SENTINEL; 16];
    v[..8].copy_from_slice(&offset.to_le_bytes());
    v[8..12].copy_from_slice(&length.to_le_bytes());
    v
}

#[test]
fn verify_checks_bounds_only() {
    let code = IOCTL_DISK_VERIFY;
    let info = one_mib();
    let good = verify_input(0, 1 << 20);
    for len in [0, 1, 12, 15] {
        assert_eq!(
            call(code, &good, len, 0, &info).0,
            fail(STATUS_INVALID_PARAMETER),
            "{len}"
        );
    }
    assert_eq!(call(code, &good, 16, 0, &info).0, ok(0));
    assert_eq!(call(code, &good, 64, 64, &info).0, ok(0));
    assert_eq!(
        call(code, &verify_input((1 << 20) - 512, 512), 16, 0, &info).0,
        ok(0)
    );
    assert_eq!(call(code, &verify_input(1 << 20, 0), 16, 0, &info).0, ok(0));
    for (offset, length) in [
        (1 << 20, 512),
        (0, (1 << 20) + 512),
        (-512, 512),
        (1, 512),
        (0, 1),
        (i64::MAX, 0),
        (i64::MIN, 512),
    ] {
        assert_eq!(
            call(code, &verify_input(offset, length), 16, 0, &info).0,
            fail(STATUS_INVALID_PARAMETER),
            "{offset} {length}"
        );
    }
    // The input is judged as it was on entry, even with an output length covering it.
    let (reply, buffer) = call(code, &verify_input(512, 512), 16, 16, &info);
    assert_eq!(reply, ok(0));
    assert_eq!(buffer[..16], verify_input(512, 512));
}

#[test]
fn device_number() {
    fixed_contract(
        IOCTL_STORAGE_GET_DEVICE_NUMBER,
        &[7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
    );
}

#[test]
fn hotplug_info() {
    fixed_contract(IOCTL_STORAGE_GET_HOTPLUG_INFO, &[8, 0, 0, 0, 0, 0, 0, 0]);
    let mut info = one_mib();
    info.media = crate::geometry::MediaKind::Removable;
    let (_, b) = call(IOCTL_STORAGE_GET_HOTPLUG_INFO, &[], 0, 8, &info);
    assert_eq!(&b[..8], &[8, 0, 0, 0, 1, 0, 0, 0]);
}

#[test]
fn media_types_ex() {
    let expected = [
        7, 0, 0, 0, // FILE_DEVICE_DISK
        1, 0, 0, 0, // MediaInfoCount
        32, 0, 0, 0, 0, 0, 0, 0, // Cylinders
        12, 0, 0, 0, // FixedMedia
        2, 0, 0, 0, 32, 0, 0, 0, 0, 2, 0, 0, // heads, sectors per track, bytes per sector
        1, 0, 0, 0, // NumberMediaSides
        0x08, 0, 0, 0x80, // MEDIA_READ_WRITE | MEDIA_CURRENTLY_MOUNTED
    ];
    fixed_contract(IOCTL_STORAGE_GET_MEDIA_TYPES_EX, &expected);
}

fn query(property: u32, query_type: u32) -> [u8; 12] {
    let mut q = [SENTINEL; 12];
    q[..4].copy_from_slice(&property.to_le_bytes());
    q[4..8].copy_from_slice(&query_type.to_le_bytes());
    q
}

fn device_descriptor_bytes() -> Vec<u8> {
    let mut d = Vec::new();
    d.extend([40, 0, 0, 0, 54, 0, 0, 0]); // Version, Size
    d.extend([0, 0, 0, 0]); // DeviceType, modifier, RemovableMedia, CommandQueueing
    d.extend([36, 0, 0, 0, 41, 0, 0, 0, 50, 0, 0, 0, 0, 0, 0, 0]); // vendor, product, revision, serial
    d.extend([14, 0, 0, 0, 0, 0, 0, 0]); // BusTypeVirtual, RawPropertiesLength
    d.extend(b"Rust\0RAM Disk\0");
    d.extend(b"0.1\0");
    d
}

fn adapter_descriptor_bytes() -> Vec<u8> {
    let mut a = Vec::new();
    a.extend([32, 0, 0, 0, 32, 0, 0, 0]);
    a.extend((64u32 << 20).to_le_bytes());
    a.extend(16385u32.to_le_bytes());
    a.extend([0, 0, 0, 0]); // AlignmentMask
    a.extend([1, 0, 0, 0]); // PIO, scans down, queueing, accelerated
    a.extend([14, 0, 0, 0, 0, 0, 0, 0]); // BusType, pad, major, minor, SrbType, AddressType
    a
}

fn alignment_descriptor_bytes() -> Vec<u8> {
    let mut a = Vec::new();
    a.extend([28, 0, 0, 0, 28, 0, 0, 0]); // Version, Size
    a.extend([0; 8]); // BytesPerCacheLine, BytesOffsetForCacheAlignment
    a.extend([0, 2, 0, 0, 0, 2, 0, 0]); // 512-byte logical and physical sectors
    a.extend([0; 4]); // BytesOffsetForSectorAlignment
    a
}

fn seek_penalty_descriptor_bytes() -> Vec<u8> {
    std::vec![12, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0] // IncursSeekPenalty FALSE
}

fn trim_descriptor_bytes() -> Vec<u8> {
    std::vec![12, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0] // TrimEnabled FALSE
}

#[test]
fn query_property() {
    let code = IOCTL_STORAGE_QUERY_PROPERTY;
    let info = one_mib();
    for (property, full) in [
        (0, device_descriptor_bytes()),
        (1, adapter_descriptor_bytes()),
        (6, alignment_descriptor_bytes()),
        (7, seek_penalty_descriptor_bytes()),
        (8, trim_descriptor_bytes()),
    ] {
        let q = query(property, 0);
        let n = full.len();
        // Input too small.
        for len in [0, 4, 8, 11] {
            assert_eq!(
                call(code, &q, len, 100, &info).0,
                fail(STATUS_INVALID_PARAMETER),
                "{len}"
            );
        }
        // Output below the descriptor header.
        for len in 0..8 {
            assert_eq!(
                call(code, &q, 12, len, &info).0,
                fail(STATUS_BUFFER_TOO_SMALL),
                "{len}"
            );
        }
        // As much as fits: the header and more; the input read before being overwritten.
        for len in [8, 9, 12, 20, n - 1, n, n + 1, 200] {
            let (reply, buffer) = call(code, &q, 12, len, &info);
            let written = len.min(n);
            assert_eq!(reply, ok(written), "{property} {len}");
            assert_eq!(&buffer[..written], &full[..written], "{property} {len}");
        }
        // Exists query: no output needed, none written.
        let (reply, buffer) = call(code, &query(property, 1), 12, 0, &info);
        assert_eq!(reply, ok(0));
        assert_eq!(buffer[..12], query(property, 1));
        assert_eq!(call(code, &query(property, 1), 12, 100, &info).0, ok(0));
        // Other query types.
        for qt in [2, 3, u32::MAX] {
            assert_eq!(
                call(code, &query(property, qt), 12, 100, &info).0,
                fail(STATUS_NOT_SUPPORTED)
            );
        }
    }
    // Other properties (StorageDeviceIdProperty, StorageDeviceUniqueIdProperty,
    // StorageDeviceWriteCacheProperty, StorageDeviceLBProvisioningProperty, ...).
    for property in [2, 3, 4, 11, 0x0E, u32::MAX] {
        for qt in [0, 1] {
            assert_eq!(
                call(code, &query(property, qt), 12, 100, &info).0,
                fail(STATUS_NOT_SUPPORTED),
                "{property}"
            );
            assert_eq!(
                call(code, &query(property, qt), 12, 0, &info).0,
                fail(STATUS_NOT_SUPPORTED),
                "{property}"
            );
        }
    }
    // A larger input (AdditionalParameters) is fine.
    assert_eq!(call(code, &query(0, 0), 16, 200, &info).0, ok(54));
}

#[test]
fn removable_device_descriptor() {
    let mut info = one_mib();
    info.media = crate::geometry::MediaKind::Removable;
    let (_, b) = call(IOCTL_STORAGE_QUERY_PROPERTY, &query(0, 0), 12, 64, &info);
    assert_eq!(b[10], 1);
}

fn mountdev_contract(code: u32, payload: &[u8], identity: DiskIdentity) {
    let disk = DiskState::new(one_mib(), identity, b'R');
    let out = |code, len| call_disk(code, &[], 0, len, &disk);
    let full_len = 2 + payload.len();
    let mut full = Vec::new();
    full.extend(u16::try_from(payload.len()).unwrap().to_le_bytes());
    full.extend(payload);
    for len in 0..4 {
        assert_eq!(
            out(code, len).0,
            fail(STATUS_BUFFER_TOO_SMALL),
            "{} {len}",
            name(code)
        );
    }
    for len in [4, 5, 16, full_len - 1] {
        let (reply, buffer) = out(code, len);
        assert_eq!(
            reply,
            Reply {
                status: STATUS_BUFFER_OVERFLOW,
                information: 4
            },
            "{len}"
        );
        assert_eq!(&buffer[..4], &full[..4]);
        assert!(buffer[4..].iter().all(|&b| b == SENTINEL));
    }
    for len in [full_len, full_len + 1, 512] {
        let (reply, buffer) = out(code, len);
        assert_eq!(reply, ok(full_len), "{len}");
        assert_eq!(&buffer[..full_len], &full[..]);
    }
}

fn utf16_le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

#[test]
fn mountdev_name_and_unique_id() {
    // Disk 0: `\Device\Ramdisk0` (32 bytes, 34 with the length), `ramdisk:Parameters`.
    let name = utf16_le(r"\Device\Ramdisk0");
    assert_eq!(name.len(), 32);
    let disk0 = DiskIdentity::parameters();
    mountdev_contract(IOCTL_MOUNTDEV_QUERY_DEVICE_NAME, &name, disk0);
    mountdev_contract(IOCTL_MOUNTDEV_QUERY_UNIQUE_ID, b"ramdisk:Parameters", disk0);
    assert_eq!(
        out(IOCTL_MOUNTDEV_QUERY_DEVICE_NAME, 4).1[..4],
        [32, 0, b'\\', 0]
    );
    assert_eq!(
        out(IOCTL_MOUNTDEV_QUERY_DEVICE_NAME, 34),
        (ok(34), {
            let mut b = vec![32, 0];
            b.extend(&name);
            b.extend([SENTINEL; 16]);
            b
        })
    );
    assert_eq!(
        out(IOCTL_MOUNTDEV_QUERY_UNIQUE_ID, 4).1[..4],
        [18, 0, b'r', b'a']
    );
    // A persisted disk with the longest name, and a runtime disk.
    let long =
        DiskIdentity::registry(4_294_967_295, DiskName::parse(&[b'z'; 32]).unwrap()).unwrap();
    mountdev_contract(
        IOCTL_MOUNTDEV_QUERY_DEVICE_NAME,
        &utf16_le(r"\Device\Ramdisk4294967295"),
        long,
    );
    let mut id = b"ramdisk:Disks\\".to_vec();
    id.extend([b'Z'; 32]);
    mountdev_contract(IOCTL_MOUNTDEV_QUERY_UNIQUE_ID, &id, long);
    let runtime = DiskIdentity::runtime(12, b'q').unwrap();
    mountdev_contract(
        IOCTL_MOUNTDEV_QUERY_DEVICE_NAME,
        &utf16_le(r"\Device\Ramdisk12"),
        runtime,
    );
    mountdev_contract(IOCTL_MOUNTDEV_QUERY_UNIQUE_ID, b"ramdisk:letter:Q", runtime);
}

#[test]
fn huge_disks_saturate_instead_of_wrapping() {
    let info = DiskInfo::new(u64::MAX, FatType::Fat32);
    let (reply, b) = call(IOCTL_DISK_GET_LENGTH_INFO, &[], 0, 8, &info);
    assert_eq!(reply, ok(8));
    assert_eq!(b[..8], i64::MAX.to_le_bytes());
}

/// The statuses [`answer`] may return.
const DOCUMENTED: [i32; 6] = [
    STATUS_SUCCESS,
    STATUS_BUFFER_OVERFLOW,
    STATUS_BUFFER_TOO_SMALL,
    STATUS_INVALID_PARAMETER,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_NOT_SUPPORTED,
];

proptest! {
    #[test]
    fn any_request_is_answered_safely(
        code in prop_oneof![
            3 => (0..TABLE.len()).prop_map(|i| TABLE[i].code),
            1 => any::<u32>(),
        ],
        contents in proptest::collection::vec(any::<u8>(), 0..300),
        input_len in 0usize..320,
        output_len in 0usize..320,
        disk_size in prop_oneof![any::<u64>(), (1u64..1 << 22).prop_map(|s| s * 512)],
        volume in prop_oneof![
            Just(VolumeKind::Fat(FatType::Fat12)),
            Just(VolumeKind::Fat(FatType::Fat16)),
            Just(VolumeKind::Fat(FatType::Fat32)),
            Just(VolumeKind::Exfat),
        ],
        small_property in any::<bool>(),
        identity in prop_oneof![
            Just(DiskIdentity::parameters()),
            (1u32.., proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'_'), Just(b'9')], 1..=32))
                .prop_map(|(n, name)| DiskIdentity::registry(n, DiskName::parse(&name).unwrap()).unwrap()),
            (1u32.., b'A'..=b'Z').prop_map(|(n, l)| DiskIdentity::runtime(n, l).unwrap()),
        ],
    ) {
        let info = DiskState::new(DiskInfo::with_volume(disk_size, volume), identity, b'R');
        let mut buffer = contents;
        if small_property && buffer.len() >= 8 {
            // Make supported property queries likely.
            let (property, query_type) = (u32::from(buffer[0] & 1), u32::from(buffer[4] % 3));
            buffer[0..4].copy_from_slice(&property.to_le_bytes());
            buffer[4..8].copy_from_slice(&query_type.to_le_bytes());
        }
        let before = buffer.clone();
        let unclamped = answer_unclamped(code, &mut buffer.clone(), input_len, output_len, &info);
        let reply = answer(code, &mut buffer, input_len, output_len, &info);
        prop_assert_eq!(reply, unclamped);
        prop_assert!(reply.information <= output_len);
        prop_assert!(DOCUMENTED.contains(&reply.status));
        if reply.status != STATUS_SUCCESS && reply.status != STATUS_BUFFER_OVERFLOW {
            prop_assert_eq!(reply.information, 0);
        }
        // Nothing beyond the output buffer changes; nothing at all on failure.
        let limit = output_len.min(buffer.len());
        prop_assert_eq!(&buffer[limit..], &before[limit..]);
        if !crate::status::nt_success(reply.status) && reply.status != STATUS_BUFFER_OVERFLOW {
            prop_assert_eq!(&buffer, &before);
        }
        if find(code).is_none() {
            prop_assert_eq!(reply.status, STATUS_INVALID_DEVICE_REQUEST);
        }
        if buffer.len() < input_len.max(output_len) && find(code).is_some() {
            prop_assert_eq!(reply.status, STATUS_INVALID_PARAMETER);
        }
    }
}

/// A request with no output: success (or `refused`) with any output buffer, and
/// nothing written into it.
fn no_output_contract(code: u32, input: &[u8], expected: Reply) {
    for out_len in [0, 1, 64] {
        let len = input.len();
        let (reply, buffer) = call(code, input, len, out_len, &one_mib());
        assert_eq!(reply, expected, "{} {out_len}", name(code));
        assert_eq!(&buffer[..len], input, "{}", name(code));
        assert!(
            buffer[len..].iter().all(|&b| b == SENTINEL),
            "{}",
            name(code)
        );
    }
}

#[test]
fn requests_answered_with_success_and_no_output() {
    for code in [
        IOCTL_DISK_UPDATE_PROPERTIES,
        IOCTL_MOUNTDEV_LINK_CREATED,
        IOCTL_MOUNTDEV_LINK_CREATED_LEGACY,
        IOCTL_MOUNTDEV_LINK_DELETED,
        IOCTL_MOUNTDEV_LINK_DELETED_LEGACY,
        IOCTL_VOLUME_ONLINE,
        IOCTL_VOLUME_OFFLINE,
    ] {
        no_output_contract(code, &[], ok(0));
    }
    // LINK_CREATED carries the link's MOUNTDEV_NAME; it is read by nobody.
    let link = utf16_le(r"\DosDevices\R:");
    let mut name = u16::try_from(link.len()).unwrap().to_le_bytes().to_vec();
    name.extend(&link);
    no_output_contract(IOCTL_MOUNTDEV_LINK_CREATED, &name, ok(0));
}

#[test]
fn requests_refused_on_purpose() {
    for code in [
        IOCTL_MOUNTDEV_QUERY_STABLE_GUID,
        IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY,
        IOCTL_VOLUME_GET_GPT_ATTRIBUTES,
        IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS,
    ] {
        no_output_contract(code, &[], fail(STATUS_INVALID_DEVICE_REQUEST));
    }
}

#[test]
fn media_removal() {
    for code in [IOCTL_DISK_MEDIA_REMOVAL, IOCTL_STORAGE_MEDIA_REMOVAL] {
        for prevent in [0, 1] {
            no_output_contract(code, &[prevent], ok(0));
        }
        // No PREVENT_MEDIA_REMOVAL.
        assert_eq!(
            call(code, &[], 0, 0, &one_mib()).0,
            fail(STATUS_INVALID_PARAMETER)
        );
    }
}

#[test]
fn is_dynamic_and_cache_information() {
    fixed_contract(IOCTL_VOLUME_IS_DYNAMIC, &[0]);
    fixed_contract(IOCTL_DISK_GET_CACHE_INFORMATION, &[0; 24]);
}

#[test]
fn storage_get_media_types_is_one_disk_geometry() {
    let (_, geometry) = out(IOCTL_DISK_GET_DRIVE_GEOMETRY, 24);
    fixed_contract(IOCTL_STORAGE_GET_MEDIA_TYPES, &geometry[..24]);
}

/// The partition type byte of `GET_PARTITION_INFO` (offset 24) and `_EX` (offset 32).
fn reported_types(disk: &DiskState) -> (u8, u8) {
    let (_, pi) = call_disk(IOCTL_DISK_GET_PARTITION_INFO, &[], 0, 32, disk);
    let (_, pix) = call_disk(IOCTL_DISK_GET_PARTITION_INFO_EX, &[], 0, 144, disk);
    (pi[24], pix[32])
}

#[test]
fn set_partition_info_is_remembered() {
    let disk = disk0(one_mib());
    assert_eq!(reported_types(&disk), (0x01, 0x01));
    // IOCTL_DISK_SET_PARTITION_INFO: one byte; format.com sets IFS (0x07) after NTFS.
    let (reply, _) = call_disk(IOCTL_DISK_SET_PARTITION_INFO, &[0x07], 1, 0, &disk);
    assert_eq!(reply, ok(0));
    assert_eq!(reported_types(&disk), (0x07, 0x07));
    assert_eq!(
        call_disk(IOCTL_DISK_SET_PARTITION_INFO, &[], 0, 0, &disk).0,
        fail(STATUS_INVALID_PARAMETER)
    );
    // _EX: MBR style (0) at 0, the type at 8; 120 bytes.
    let mut ex = [0u8; 120];
    ex[8] = 0x0C;
    assert_eq!(
        call_disk(IOCTL_DISK_SET_PARTITION_INFO_EX, &ex, 119, 0, &disk).0,
        fail(STATUS_INVALID_PARAMETER)
    );
    assert_eq!(reported_types(&disk), (0x07, 0x07));
    assert_eq!(
        call_disk(IOCTL_DISK_SET_PARTITION_INFO_EX, &ex, 120, 0, &disk).0,
        ok(0)
    );
    assert_eq!(reported_types(&disk), (0x0C, 0x0C));
    // GPT or RAW style on an MBR-style disk: refused, nothing remembered.
    for style in [1u32, 2, u32::MAX] {
        ex[..4].copy_from_slice(&style.to_le_bytes());
        ex[8] = 0x06;
        assert_eq!(
            call_disk(IOCTL_DISK_SET_PARTITION_INFO_EX, &ex, 120, 0, &disk).0,
            fail(STATUS_INVALID_PARAMETER),
            "{style}"
        );
    }
    assert_eq!(reported_types(&disk), (0x0C, 0x0C));
    // Another disk's state is its own.
    assert_eq!(reported_types(&disk0(one_mib())), (0x01, 0x01));
}

#[test]
fn suggested_link_name() {
    let code = IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME;
    // UseOnlyIfThereAreNoOtherLinks FALSE, pad, NameLength 28, `\DosDevices\R:`.
    let mut full = std::vec![0, 0, 28, 0];
    full.extend(utf16_le(r"\DosDevices\R:"));
    assert_eq!(full.len(), 32);
    for len in 0..6 {
        assert_eq!(out(code, len).0, fail(STATUS_INVALID_PARAMETER), "{len}");
    }
    for len in [6, 7, 31] {
        let (reply, buffer) = out(code, len);
        assert_eq!(
            reply,
            Reply {
                status: STATUS_BUFFER_OVERFLOW,
                information: 6
            },
            "{len}"
        );
        assert_eq!(&buffer[..6], &full[..6]);
        assert!(buffer[6..].iter().all(|&b| b == SENTINEL));
    }
    for len in [32, 33, 256] {
        let (reply, buffer) = out(code, len);
        assert_eq!(reply, ok(32), "{len}");
        assert_eq!(&buffer[..32], &full[..]);
    }
    // The disk's own letter.
    let q = DiskState::new(one_mib(), DiskIdentity::parameters(), b'Q');
    let (_, buffer) = call_disk(code, &[], 0, 32, &q);
    assert_eq!(&buffer[4..32], &utf16_le(r"\DosDevices\Q:")[..]);
}

#[test]
fn a_read_only_disk_is_write_protected() {
    use crate::geometry::{MEDIA_CURRENTLY_MOUNTED, MEDIA_READ_ONLY, MEDIA_WRITE_PROTECTED};
    use crate::status::STATUS_MEDIA_WRITE_PROTECTED;
    let disk = disk0(one_mib().write_protected());
    let refused = Reply::fail(STATUS_MEDIA_WRITE_PROTECTED);
    assert_eq!(
        call_disk(IOCTL_DISK_IS_WRITABLE, &[], 0, 0, &disk).0,
        refused
    );
    assert_eq!(
        call_disk(IOCTL_DISK_SET_PARTITION_INFO, &[0x07], 1, 0, &disk).0,
        refused
    );
    let ex = [0u8; 120];
    assert_eq!(
        call_disk(IOCTL_DISK_SET_PARTITION_INFO_EX, &ex, 120, 0, &disk).0,
        refused
    );
    // The partition type stays the boot sector's.
    assert_eq!(reported_types(&disk), (0x01, 0x01));
    // Reads answer as for any disk; the media says read-only and write-protected.
    let (reply, out) = call_disk(IOCTL_STORAGE_GET_MEDIA_TYPES_EX, &[], 0, 40, &disk);
    assert_eq!(reply, ok(40));
    let chars = u32::from_le_bytes(out[36..40].try_into().unwrap());
    assert_eq!(
        chars,
        MEDIA_CURRENTLY_MOUNTED | MEDIA_READ_ONLY | MEDIA_WRITE_PROTECTED
    );
    assert_eq!(disk.info.device_characteristics(), 0x2);
    assert_eq!(one_mib().device_characteristics(), 0);
    // A writable disk still answers IS_WRITABLE with success.
    assert_eq!(
        call_disk(IOCTL_DISK_IS_WRITABLE, &[], 0, 0, &disk0(one_mib())).0,
        ok(0)
    );
}
