//! The volume contract's IOCTLs (issue 11 items 3 and 4): what the mount manager,
//! `format.com`, `chkdsk` and `fsutil` send a volume. Codes and structures come from
//! windows-sys where it has them, otherwise from Microsoft's `mountdev.h` /
//! `ntddvol.h` by hand (windows-sys has no mount-manager definitions).

use std::mem::size_of;

use ramdiskctl::device::Device;
use windows_sys::Win32::Storage::FileSystem::{
    IOCTL_VOLUME_GET_GPT_ATTRIBUTES, IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS, IOCTL_VOLUME_IS_DYNAMIC,
    IOCTL_VOLUME_OFFLINE, IOCTL_VOLUME_ONLINE,
};
use windows_sys::Win32::System::Ioctl::{
    DEVICE_SEEK_PENALTY_DESCRIPTOR, DEVICE_TRIM_DESCRIPTOR, DISK_CACHE_INFORMATION, DISK_GEOMETRY,
    IOCTL_DISK_GET_CACHE_INFORMATION, IOCTL_DISK_GET_DRIVE_GEOMETRY, IOCTL_DISK_GET_PARTITION_INFO,
    IOCTL_DISK_GET_PARTITION_INFO_EX, IOCTL_DISK_MEDIA_REMOVAL, IOCTL_DISK_SET_PARTITION_INFO,
    IOCTL_DISK_SET_PARTITION_INFO_EX, IOCTL_DISK_UPDATE_PROPERTIES, IOCTL_STORAGE_GET_MEDIA_TYPES,
    IOCTL_STORAGE_MEDIA_REMOVAL, IOCTL_STORAGE_QUERY_PROPERTY, PARTITION_INFORMATION,
    PARTITION_INFORMATION_EX, PARTITION_STYLE_GPT, PARTITION_STYLE_MBR, PREVENT_MEDIA_REMOVAL,
    PropertyStandardQuery, SET_PARTITION_INFORMATION, SET_PARTITION_INFORMATION_EX,
    STORAGE_ACCESS_ALIGNMENT_DESCRIPTOR, STORAGE_PROPERTY_QUERY, StorageAccessAlignmentProperty,
    StorageDeviceSeekPenaltyProperty, StorageDeviceTrimProperty,
};

use crate::tally::{
    ERROR_INSUFFICIENT_BUFFER, ERROR_INVALID_FUNCTION, ERROR_INVALID_PARAMETER, ERROR_MORE_DATA,
    Tally, bytes_of, decode, fixed, ioctl, want_err, want_ok,
};

/// `CTL_CODE(MOUNTDEVCONTROLTYPE, 1, METHOD_BUFFERED, FILE_ANY_ACCESS)`.
const IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY: u32 = 0x004D_0004;
/// `CTL_CODE(MOUNTDEVCONTROLTYPE, 3, METHOD_BUFFERED, FILE_ANY_ACCESS)`.
const IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME: u32 = 0x004D_000C;
/// `CTL_CODE(MOUNTDEVCONTROLTYPE, 4, ..., FILE_READ_ACCESS | FILE_WRITE_ACCESS)` and the
/// older `FILE_ANY_ACCESS` code; `_LINK_DELETED` is function 5.
const LINK_NOTIFICATIONS: [(&str, u32); 4] = [
    ("IOCTL_MOUNTDEV_LINK_CREATED", 0x004D_C010),
    ("IOCTL_MOUNTDEV_LINK_CREATED (legacy code)", 0x004D_0010),
    ("IOCTL_MOUNTDEV_LINK_DELETED", 0x004D_C014),
    ("IOCTL_MOUNTDEV_LINK_DELETED (legacy code)", 0x004D_0014),
];
/// `CTL_CODE(MOUNTDEVCONTROLTYPE, 6, METHOD_BUFFERED, FILE_ANY_ACCESS)`.
const IOCTL_MOUNTDEV_QUERY_STABLE_GUID: u32 = 0x004D_0018;
/// `sizeof(MOUNTDEV_SUGGESTED_LINK_NAME)`: `BOOLEAN`, `USHORT NameLength`, `WCHAR Name[1]`.
const SUGGESTED_LINK_NAME_SIZE: usize = 6;

/// Every check of the group; `link` is the `\DosDevices\X:` name the disk must suggest.
pub fn cases(t: &mut Tally, dev: &Device, link: &str, want_type: Option<u32>, thin: bool) {
    suggested_link_name(t, dev, link);
    for (name, code) in LINK_NOTIFICATIONS
        .into_iter()
        .chain([
            ("IOCTL_VOLUME_ONLINE", IOCTL_VOLUME_ONLINE),
            ("IOCTL_VOLUME_OFFLINE", IOCTL_VOLUME_OFFLINE),
        ])
        .chain([("IOCTL_DISK_UPDATE_PROPERTIES", IOCTL_DISK_UPDATE_PROPERTIES)])
    {
        let (r, _) = ioctl(dev, code, &[], 0);
        t.case(name, want_ok(r, 0).map(|()| String::new()));
    }
    for (name, code) in [
        (
            "IOCTL_MOUNTDEV_QUERY_STABLE_GUID",
            IOCTL_MOUNTDEV_QUERY_STABLE_GUID,
        ),
        (
            "IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY",
            IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY,
        ),
        (
            "IOCTL_VOLUME_GET_GPT_ATTRIBUTES",
            IOCTL_VOLUME_GET_GPT_ATTRIBUTES,
        ),
        (
            "IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS",
            IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS,
        ),
    ] {
        let (r, _) = ioctl(dev, code, &[], 64);
        t.case(
            &format!("{name} -> ERROR_INVALID_FUNCTION (refused on purpose)"),
            want_err(r, ERROR_INVALID_FUNCTION, 0).map(|()| String::new()),
        );
    }
    fixed::<u8>(
        t,
        dev,
        "IOCTL_VOLUME_IS_DYNAMIC",
        IOCTL_VOLUME_IS_DYNAMIC,
        |b| {
            if *b == 0 {
                Ok("FALSE".into())
            } else {
                Err(format!("{b}"))
            }
        },
    );
    fixed::<DISK_CACHE_INFORMATION>(
        t,
        dev,
        "IOCTL_DISK_GET_CACHE_INFORMATION",
        IOCTL_DISK_GET_CACHE_INFORMATION,
        |c| {
            if c.ReadCacheEnabled || c.WriteCacheEnabled || c.ParametersSavable {
                Err(format!(
                    "read {} write {} savable {}",
                    c.ReadCacheEnabled, c.WriteCacheEnabled, c.ParametersSavable
                ))
            } else {
                Ok("no cache".into())
            }
        },
    );
    let (_, geometry) = ioctl(
        dev,
        IOCTL_DISK_GET_DRIVE_GEOMETRY,
        &[],
        size_of::<DISK_GEOMETRY>(),
    );
    fixed::<DISK_GEOMETRY>(
        t,
        dev,
        "IOCTL_STORAGE_GET_MEDIA_TYPES",
        IOCTL_STORAGE_GET_MEDIA_TYPES,
        |g| {
            if bytes_of(g) == geometry {
                Ok(String::new())
            } else {
                Err("differs from IOCTL_DISK_GET_DRIVE_GEOMETRY".into())
            }
        },
    );
    media_removal(t, dev);
    partition_type(t, dev, want_type);
    properties(t, dev, thin);
}

fn suggested_link_name(t: &mut Tally, dev: &Device, link: &str) {
    let name = "IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME";
    let want: Vec<u8> = link.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let (r, out) = ioctl(
        dev,
        IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME,
        &[],
        SUGGESTED_LINK_NAME_SIZE,
    );
    let n = usize::from(u16::from_le_bytes([out[2], out[3]]));
    t.case(
        &format!("{name} with {SUGGESTED_LINK_NAME_SIZE} bytes -> ERROR_MORE_DATA and NameLength"),
        want_err(r, ERROR_MORE_DATA, SUGGESTED_LINK_NAME_SIZE).and_then(|()| {
            if n == want.len() {
                Ok(format!("NameLength {n}"))
            } else {
                Err(format!("NameLength {n}"))
            }
        }),
    );
    let full = 4 + want.len();
    let (r, out) = ioctl(dev, IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME, &[], full);
    t.case(
        &format!("{name} with {full} bytes: {link}, UseOnlyIfThereAreNoOtherLinks FALSE"),
        want_ok(r, full).and_then(|()| {
            if out[0] != 0 {
                Err(format!("UseOnlyIfThereAreNoOtherLinks {}", out[0]))
            } else if out[4..full] != want[..] {
                Err(format!("name bytes {:?}", &out[4..full]))
            } else {
                Ok(String::new())
            }
        }),
    );
    let (r, _) = ioctl(
        dev,
        IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME,
        &[],
        SUGGESTED_LINK_NAME_SIZE - 1,
    );
    t.case(
        &format!(
            "{name} with {} bytes -> ERROR_INVALID_PARAMETER",
            SUGGESTED_LINK_NAME_SIZE - 1
        ),
        want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
    );
}

fn media_removal(t: &mut Tally, dev: &Device) {
    for (name, code) in [
        ("IOCTL_DISK_MEDIA_REMOVAL", IOCTL_DISK_MEDIA_REMOVAL),
        ("IOCTL_STORAGE_MEDIA_REMOVAL", IOCTL_STORAGE_MEDIA_REMOVAL),
    ] {
        for prevent in [true, false] {
            let input = bytes_of(&PREVENT_MEDIA_REMOVAL {
                PreventMediaRemoval: prevent,
            });
            let (r, _) = ioctl(dev, code, &input, 0);
            t.case(
                &format!("{name} prevent={prevent}"),
                want_ok(r, 0).map(|()| String::new()),
            );
        }
        let (r, _) = ioctl(dev, code, &[], 0);
        t.case(
            &format!("{name} without PREVENT_MEDIA_REMOVAL -> ERROR_INVALID_PARAMETER"),
            want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
        );
    }
}

/// The partition type both `GET_PARTITION_INFO` codes report.
fn reported_type(dev: &Device) -> (u8, u8) {
    let (_, a) = ioctl(
        dev,
        IOCTL_DISK_GET_PARTITION_INFO,
        &[],
        size_of::<PARTITION_INFORMATION>(),
    );
    let (_, b) = ioctl(
        dev,
        IOCTL_DISK_GET_PARTITION_INFO_EX,
        &[],
        size_of::<PARTITION_INFORMATION_EX>(),
    );
    let a: PARTITION_INFORMATION = decode(&a);
    let b: PARTITION_INFORMATION_EX = decode(&b);
    // SAFETY: the disk is MBR style; its arm is the valid one.
    (a.PartitionType, unsafe { b.Anonymous.Mbr.PartitionType })
}

/// `SET_PARTITION_INFO(_EX)`: the type is remembered; GPT style refused; restored after.
/// With `want`, both GETs must first report that type (the one the disk was formatted
/// for).
fn partition_type(t: &mut Tally, dev: &Device, want: Option<u32>) {
    let (before, _) = reported_type(dev);
    if let Some(want) = want {
        t.case(
            &format!("both GET_PARTITION_INFO codes report the volume's type 0x{want:02X}"),
            match reported_type(dev) {
                (a, b) if u32::from(a) == want && u32::from(b) == want => Ok(String::new()),
                other => Err(format!("reported {other:02x?}")),
            },
        );
    }
    let set = |ty: u8| {
        let input = bytes_of(&SET_PARTITION_INFORMATION { PartitionType: ty });
        ioctl(dev, IOCTL_DISK_SET_PARTITION_INFO, &input, 0).0
    };
    let r = set(0x07);
    t.case(
        "IOCTL_DISK_SET_PARTITION_INFO 0x07: both GET_PARTITION_INFO codes report it",
        want_ok(r, 0).and_then(|()| match reported_type(dev) {
            (0x07, 0x07) => Ok(String::new()),
            other => Err(format!("reported {other:02x?}")),
        }),
    );
    let ex = |style: i32, ty: u8| {
        // SAFETY: plain data, zero is valid.
        let mut s: SET_PARTITION_INFORMATION_EX = unsafe { std::mem::zeroed() };
        s.PartitionStyle = style;
        s.Anonymous.Mbr = SET_PARTITION_INFORMATION { PartitionType: ty };
        bytes_of(&s)
    };
    let (r, _) = ioctl(
        dev,
        IOCTL_DISK_SET_PARTITION_INFO_EX,
        &ex(PARTITION_STYLE_MBR, 0x0C),
        0,
    );
    t.case(
        "IOCTL_DISK_SET_PARTITION_INFO_EX MBR 0x0C: both GET_PARTITION_INFO codes report it",
        want_ok(r, 0).and_then(|()| match reported_type(dev) {
            (0x0C, 0x0C) => Ok(String::new()),
            other => Err(format!("reported {other:02x?}")),
        }),
    );
    let (r, _) = ioctl(
        dev,
        IOCTL_DISK_SET_PARTITION_INFO_EX,
        &ex(PARTITION_STYLE_GPT, 0x06),
        0,
    );
    t.case(
        "IOCTL_DISK_SET_PARTITION_INFO_EX GPT style -> ERROR_INVALID_PARAMETER, type unchanged",
        want_err(r, ERROR_INVALID_PARAMETER, 0).and_then(|()| match reported_type(dev) {
            (0x0C, 0x0C) => Ok(String::new()),
            other => Err(format!("reported {other:02x?}")),
        }),
    );
    let short = ex(PARTITION_STYLE_MBR, 0x06);
    let (r, _) = ioctl(
        dev,
        IOCTL_DISK_SET_PARTITION_INFO_EX,
        &short[..short.len() - 1],
        0,
    );
    t.case(
        &format!(
            "IOCTL_DISK_SET_PARTITION_INFO_EX with {} bytes -> ERROR_INVALID_PARAMETER",
            short.len() - 1
        ),
        want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
    );
    let r = set(before);
    t.case(
        &format!("IOCTL_DISK_SET_PARTITION_INFO back to 0x{before:02X}"),
        want_ok(r, 0).and_then(|()| match reported_type(dev) {
            (a, b) if a == before && b == before => Ok(String::new()),
            other => Err(format!("reported {other:02x?}")),
        }),
    );
}

fn query(property: i32) -> Vec<u8> {
    // SAFETY: plain data, zero is valid.
    let mut q: STORAGE_PROPERTY_QUERY = unsafe { std::mem::zeroed() };
    q.PropertyId = property;
    q.QueryType = PropertyStandardQuery;
    bytes_of(&q)
}

/// The alignment, seek-penalty and TRIM properties, decoded with windows-sys' structs.
fn properties(t: &mut Tally, dev: &Device, thin: bool) {
    let n = size_of::<STORAGE_ACCESS_ALIGNMENT_DESCRIPTOR>();
    let (r, out) = ioctl(
        dev,
        IOCTL_STORAGE_QUERY_PROPERTY,
        &query(StorageAccessAlignmentProperty),
        n,
    );
    t.case(
        "IOCTL_STORAGE_QUERY_PROPERTY StorageAccessAlignmentProperty",
        want_ok(r, n).and_then(|()| {
            let a: STORAGE_ACCESS_ALIGNMENT_DESCRIPTOR = decode(&out);
            if a.Size as usize == n
                && a.BytesPerLogicalSector == 512
                && a.BytesPerPhysicalSector == 512
                && a.BytesOffsetForSectorAlignment == 0
            {
                Ok("512/512, offset 0".into())
            } else {
                Err(format!(
                    "Size {} logical {} physical {} offset {}",
                    a.Size,
                    a.BytesPerLogicalSector,
                    a.BytesPerPhysicalSector,
                    a.BytesOffsetForSectorAlignment
                ))
            }
        }),
    );
    let n = size_of::<DEVICE_SEEK_PENALTY_DESCRIPTOR>();
    let (r, out) = ioctl(
        dev,
        IOCTL_STORAGE_QUERY_PROPERTY,
        &query(StorageDeviceSeekPenaltyProperty),
        n,
    );
    t.case(
        "IOCTL_STORAGE_QUERY_PROPERTY StorageDeviceSeekPenaltyProperty: no seek penalty",
        want_ok(r, n).and_then(|()| {
            let d: DEVICE_SEEK_PENALTY_DESCRIPTOR = decode(&out);
            if d.Size as usize == n && !d.IncursSeekPenalty {
                Ok(String::new())
            } else {
                Err(format!(
                    "Size {} IncursSeekPenalty {}",
                    d.Size, d.IncursSeekPenalty
                ))
            }
        }),
    );
    let n = size_of::<DEVICE_TRIM_DESCRIPTOR>();
    let (r, out) = ioctl(
        dev,
        IOCTL_STORAGE_QUERY_PROPERTY,
        &query(StorageDeviceTrimProperty),
        n,
    );
    t.case(
        &format!(
            "IOCTL_STORAGE_QUERY_PROPERTY StorageDeviceTrimProperty: TrimEnabled {}",
            if thin { "TRUE (dynamic)" } else { "FALSE" }
        ),
        want_ok(r, n).and_then(|()| {
            let d: DEVICE_TRIM_DESCRIPTOR = decode(&out);
            if d.Size as usize == n && d.TrimEnabled == thin {
                Ok(String::new())
            } else {
                Err(format!("Size {} TrimEnabled {}", d.Size, d.TrimEnabled))
            }
        }),
    );
    let (r, _) = ioctl(
        dev,
        IOCTL_STORAGE_QUERY_PROPERTY,
        &query(StorageDeviceTrimProperty),
        4,
    );
    t.case(
        "IOCTL_STORAGE_QUERY_PROPERTY StorageDeviceTrimProperty with 4 bytes -> ERROR_INSUFFICIENT_BUFFER",
        want_err(r, ERROR_INSUFFICIENT_BUFFER, 0).map(|()| String::new()),
    );
}
