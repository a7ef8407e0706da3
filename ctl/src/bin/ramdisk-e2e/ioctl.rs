//! Every disk and storage IOCTL of the driver's table: exact reply size, one byte
//! too few, the replies' contents.

use std::mem::size_of;

use ramdiskctl::device::Device;
use windows_sys::Win32::Storage::FileSystem::FILE_DEVICE_DISK;
use windows_sys::Win32::System::Ioctl::{
    DISK_GEOMETRY, DISK_GEOMETRY_EX, FixedMedia, GET_LENGTH_INFORMATION, GET_MEDIA_TYPES,
    IOCTL_DISK_CHECK_VERIFY, IOCTL_DISK_GET_DRIVE_GEOMETRY, IOCTL_DISK_GET_DRIVE_GEOMETRY_EX,
    IOCTL_DISK_GET_LENGTH_INFO, IOCTL_DISK_GET_MEDIA_TYPES, IOCTL_DISK_GET_PARTITION_INFO,
    IOCTL_DISK_GET_PARTITION_INFO_EX, IOCTL_DISK_IS_WRITABLE, IOCTL_DISK_VERIFY,
    IOCTL_STORAGE_CHECK_VERIFY, IOCTL_STORAGE_CHECK_VERIFY2, IOCTL_STORAGE_GET_DEVICE_NUMBER,
    IOCTL_STORAGE_GET_HOTPLUG_INFO, IOCTL_STORAGE_GET_MEDIA_TYPES_EX, PARTITION_INFORMATION,
    PARTITION_INFORMATION_EX, STORAGE_DEVICE_NUMBER, STORAGE_HOTPLUG_INFO, VERIFY_INFORMATION,
};

use crate::mountdev::{self, Expect};
use crate::property;
use crate::tally::{
    ERROR_INSUFFICIENT_BUFFER, ERROR_INVALID_FUNCTION, ERROR_INVALID_PARAMETER, Tally, bytes_of,
    decode, fixed, ioctl, show, want_err, want_ok,
};

#[allow(clippy::too_many_lines, reason = "a script: one check after the other")]
pub fn cases(t: &mut Tally, dev: &Device, len: u64, expect: &Expect) {
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let mut geometry: Option<DISK_GEOMETRY> = None;
    fixed::<DISK_GEOMETRY>(
        t,
        dev,
        "IOCTL_DISK_GET_DRIVE_GEOMETRY",
        IOCTL_DISK_GET_DRIVE_GEOMETRY,
        |g| {
            geometry = Some(*g);
            let chs = u64::try_from(g.Cylinders).unwrap_or(0)
                * u64::from(g.TracksPerCylinder)
                * u64::from(g.SectorsPerTrack)
                * u64::from(g.BytesPerSector);
            if g.BytesPerSector != 512 {
                return Err(format!("BytesPerSector {}", g.BytesPerSector));
            }
            if g.MediaType != FixedMedia {
                return Err(format!("MediaType {}", g.MediaType));
            }
            if chs == 0 || chs > len {
                return Err(format!("C*H*S*B = {chs} not in 1..={len}"));
            }
            Ok(format!(
                "{} x {} x {} x {}",
                g.Cylinders, g.TracksPerCylinder, g.SectorsPerTrack, g.BytesPerSector
            ))
        },
    );
    // DISK_GEOMETRY_EX: at least the 32-byte header (Geometry + DiskSize).
    let header = std::mem::offset_of!(DISK_GEOMETRY_EX, Data);
    for n in [header, 256] {
        let (r, out) = ioctl(dev, IOCTL_DISK_GET_DRIVE_GEOMETRY_EX, &[], n);
        t.case(
            &format!("IOCTL_DISK_GET_DRIVE_GEOMETRY_EX with {n} bytes"),
            if r.error.is_some() || r.bytes < header || r.bytes > n {
                Err(format!(
                    "want success with {header}..={n} bytes, got {}",
                    show(r)
                ))
            } else {
                let mut padded = out.clone();
                padded.resize(size_of::<DISK_GEOMETRY_EX>().max(out.len()), 0);
                let g: DISK_GEOMETRY_EX = decode(&padded);
                if g.DiskSize != len_i {
                    Err(format!("DiskSize {} != {len}", g.DiskSize))
                } else if geometry.is_some_and(|x| {
                    x.Cylinders != g.Geometry.Cylinders
                        || x.BytesPerSector != g.Geometry.BytesPerSector
                }) {
                    Err("Geometry differs from IOCTL_DISK_GET_DRIVE_GEOMETRY".into())
                } else {
                    Ok(format!("{} bytes", r.bytes))
                }
            },
        );
    }
    let (r, _) = ioctl(dev, IOCTL_DISK_GET_DRIVE_GEOMETRY_EX, &[], header - 1);
    t.case(
        &format!(
            "IOCTL_DISK_GET_DRIVE_GEOMETRY_EX with {} bytes -> ERROR_INSUFFICIENT_BUFFER",
            header - 1
        ),
        want_err(r, ERROR_INSUFFICIENT_BUFFER, 0).map(|()| String::new()),
    );
    fixed::<GET_LENGTH_INFORMATION>(
        t,
        dev,
        "IOCTL_DISK_GET_LENGTH_INFO",
        IOCTL_DISK_GET_LENGTH_INFO,
        |l| {
            if l.Length == len_i {
                Ok(format!("{len}"))
            } else {
                Err(format!("Length {}", l.Length))
            }
        },
    );
    fixed::<PARTITION_INFORMATION>(
        t,
        dev,
        "IOCTL_DISK_GET_PARTITION_INFO",
        IOCTL_DISK_GET_PARTITION_INFO,
        |p| {
            if p.PartitionLength == len_i && p.StartingOffset == 0 {
                Ok(format!("type 0x{:02X}", p.PartitionType))
            } else {
                Err(format!(
                    "offset {} length {}",
                    p.StartingOffset, p.PartitionLength
                ))
            }
        },
    );
    fixed::<PARTITION_INFORMATION_EX>(
        t,
        dev,
        "IOCTL_DISK_GET_PARTITION_INFO_EX",
        IOCTL_DISK_GET_PARTITION_INFO_EX,
        |p| {
            if p.PartitionLength == len_i && p.StartingOffset == 0 && p.PartitionStyle == 0 {
                // SAFETY: MBR style, so the MBR arm is the valid one.
                Ok(format!("MBR, type 0x{:02X}", unsafe {
                    p.Anonymous.Mbr.PartitionType
                }))
            } else {
                Err(format!(
                    "style {} offset {} length {}",
                    p.PartitionStyle, p.StartingOffset, p.PartitionLength
                ))
            }
        },
    );
    let (r, _) = ioctl(dev, IOCTL_DISK_IS_WRITABLE, &[], 0);
    t.case(
        "IOCTL_DISK_IS_WRITABLE",
        want_ok(r, 0).map(|()| String::new()),
    );
    for (name, code) in [
        ("IOCTL_DISK_CHECK_VERIFY", IOCTL_DISK_CHECK_VERIFY),
        ("IOCTL_STORAGE_CHECK_VERIFY", IOCTL_STORAGE_CHECK_VERIFY),
        ("IOCTL_STORAGE_CHECK_VERIFY2", IOCTL_STORAGE_CHECK_VERIFY2),
    ] {
        let (r, _) = ioctl(dev, code, &[], 0);
        t.case(
            &format!("{name} without output"),
            want_ok(r, 0).map(|()| String::new()),
        );
        let (r, out) = ioctl(dev, code, &[], 4);
        t.case(
            &format!("{name} with 4 bytes (media change count)"),
            want_ok(r, 4).map(|()| {
                format!(
                    "count {}",
                    u32::from_le_bytes([out[0], out[1], out[2], out[3]])
                )
            }),
        );
        let (r, _) = ioctl(dev, code, &[], 2);
        t.case(
            &format!("{name} with 2 bytes -> ERROR_INSUFFICIENT_BUFFER"),
            want_err(r, ERROR_INSUFFICIENT_BUFFER, 0).map(|()| String::new()),
        );
    }
    let vi = |off: i64, n: u32| {
        // SAFETY: plain data, zero is valid; padding stays zero.
        let mut v: VERIFY_INFORMATION = unsafe { std::mem::zeroed() };
        v.StartingOffset = off;
        v.Length = n;
        bytes_of(&v)
    };
    for (what, input, want) in [
        ("the first 4 KiB", vi(0, 4096), None),
        ("the last sector", vi(len_i - 512, 512), None),
        (
            "one past the end",
            vi(len_i, 512),
            Some(ERROR_INVALID_PARAMETER),
        ),
        (
            "a misaligned offset",
            vi(1, 512),
            Some(ERROR_INVALID_PARAMETER),
        ),
        (
            "a misaligned length",
            vi(0, 100),
            Some(ERROR_INVALID_PARAMETER),
        ),
        (
            "an 8-byte input",
            vi(0, 512)[..8].to_vec(),
            Some(ERROR_INVALID_PARAMETER),
        ),
    ] {
        let (r, _) = ioctl(dev, IOCTL_DISK_VERIFY, &input, 0);
        let res = want.map_or_else(|| want_ok(r, 0), |code| want_err(r, code, 0));
        t.case(
            &format!(
                "IOCTL_DISK_VERIFY of {what}{}",
                want.map(|c| format!(" -> error {c}")).unwrap_or_default()
            ),
            res.map(|()| String::new()),
        );
    }
    fixed::<DISK_GEOMETRY>(
        t,
        dev,
        "IOCTL_DISK_GET_MEDIA_TYPES",
        IOCTL_DISK_GET_MEDIA_TYPES,
        |g| match geometry {
            Some(x)
                if x.Cylinders == g.Cylinders
                    && x.MediaType == g.MediaType
                    && x.BytesPerSector == g.BytesPerSector =>
            {
                Ok(String::new())
            }
            _ => Err("differs from IOCTL_DISK_GET_DRIVE_GEOMETRY".into()),
        },
    );
    fixed::<GET_MEDIA_TYPES>(
        t,
        dev,
        "IOCTL_STORAGE_GET_MEDIA_TYPES_EX",
        IOCTL_STORAGE_GET_MEDIA_TYPES_EX,
        |m| {
            // SAFETY: DiskInfo is the arm for disks.
            let d = unsafe { m.MediaInfo[0].DeviceSpecific.DiskInfo };
            if m.DeviceType != FILE_DEVICE_DISK || m.MediaInfoCount != 1 || d.BytesPerSector != 512
            {
                Err(format!(
                    "DeviceType {} count {} BytesPerSector {}",
                    m.DeviceType, m.MediaInfoCount, d.BytesPerSector
                ))
            } else {
                Ok(format!("media type {}", d.MediaType))
            }
        },
    );
    fixed::<STORAGE_DEVICE_NUMBER>(
        t,
        dev,
        "IOCTL_STORAGE_GET_DEVICE_NUMBER",
        IOCTL_STORAGE_GET_DEVICE_NUMBER,
        |n| {
            if n.DeviceType == FILE_DEVICE_DISK {
                Ok(format!(
                    "device {:#x} partition {:#x}",
                    n.DeviceNumber, n.PartitionNumber
                ))
            } else {
                Err(format!("DeviceType {}", n.DeviceType))
            }
        },
    );
    fixed::<STORAGE_HOTPLUG_INFO>(
        t,
        dev,
        "IOCTL_STORAGE_GET_HOTPLUG_INFO",
        IOCTL_STORAGE_GET_HOTPLUG_INFO,
        |h| {
            if h.Size as usize == size_of::<STORAGE_HOTPLUG_INFO>() {
                Ok(format!(
                    "removable {} hotplug {}/{}",
                    h.MediaRemovable, h.MediaHotplug, h.DeviceHotplug
                ))
            } else {
                Err(format!("Size {}", h.Size))
            }
        },
    );
    property::cases(t, dev);
    mountdev::cases(t, dev, expect);
    // CTL_CODE(FILE_DEVICE_DISK, 0x7FF, METHOD_BUFFERED, FILE_ANY_ACCESS): nobody's IOCTL.
    let unknown = (FILE_DEVICE_DISK << 16) | (0x7FF << 2);
    let (r, _) = ioctl(dev, unknown, &[], 64);
    t.case(
        &format!("unknown IOCTL {unknown:#x} -> ERROR_INVALID_FUNCTION"),
        want_err(r, ERROR_INVALID_FUNCTION, 0).map(|()| String::new()),
    );
}
