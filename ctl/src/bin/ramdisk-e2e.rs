//! `ramdisk-e2e`: the end-to-end contract client that `cargo xtask test` runs under
//! Wine against the real driver. Not shipped to users.
//!
//! Every check prints one line, `PASS <case>` or `FAIL <case>: <why>`; the exit code
//! is 1 when any case failed. Replies are decoded with the windows-sys struct
//! definitions, an independent check of `ramdisk-core`'s byte layouts.
//!
//! - `contract DEVICE`: the read/write and IOCTL contract.
//! - `concurrency DEVICE [--threads N] [--ops N]`: random overlapped I/O from N
//!   threads, each in its own region, checked against shadow copies.
//! - `probe DEVICE`: exit 0 when the device opens and sector 0 reads, else 1.
//! - `cycles N DEVICE`: N start/stop cycles through the service control manager, the
//!   device present after each start and gone after each stop.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ramdisk-e2e",
    about = "ramdisk end-to-end contract client (test bed only)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The read/write and IOCTL contract.
    Contract { device: String },
    /// Concurrent random I/O checked against shadow copies.
    Concurrency {
        device: String,
        #[arg(long, default_value_t = 8)]
        threads: u32,
        #[arg(long, default_value_t = 400)]
        ops: u32,
    },
    /// Does the device open (and sector 0 read)?
    Probe { device: String },
    /// Start/stop cycles.
    Cycles { n: u32, device: String },
}

#[cfg(not(windows))]
fn main() -> ExitCode {
    let _ = Cli::parse();
    eprintln!("ramdisk-e2e is a Windows test client; build it for a Windows target.");
    ExitCode::FAILURE
}

#[cfg(windows)]
fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut t = imp::Tally::default();
    match cli.cmd {
        Cmd::Contract { device } => imp::contract(&mut t, &ramdiskctl::units::device_path(&device)),
        Cmd::Concurrency {
            device,
            threads,
            ops,
        } => {
            imp::concurrency(
                &mut t,
                &ramdiskctl::units::device_path(&device),
                threads,
                ops,
            );
        }
        Cmd::Probe { device } => return imp::probe(&ramdiskctl::units::device_path(&device)),
        Cmd::Cycles { n, device } => {
            imp::cycles(&mut t, n, &ramdiskctl::units::device_path(&device));
        }
    }
    println!("{} passed, {} failed", t.passed, t.failed);
    if t.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(windows)]
mod imp {
    use std::mem::size_of;
    use std::process::ExitCode;
    use std::time::Instant;

    use ramdiskctl::device::{Device, IoResult};
    use ramdiskctl::rng::Rng;
    use ramdiskctl::scm;
    use windows_sys::Win32::Storage::FileSystem::FILE_DEVICE_DISK;
    use windows_sys::Win32::System::Ioctl::{
        DISK_GEOMETRY, DISK_GEOMETRY_EX, FixedMedia, GET_LENGTH_INFORMATION, GET_MEDIA_TYPES,
        IOCTL_DISK_CHECK_VERIFY, IOCTL_DISK_GET_DRIVE_GEOMETRY, IOCTL_DISK_GET_DRIVE_GEOMETRY_EX,
        IOCTL_DISK_GET_LENGTH_INFO, IOCTL_DISK_GET_MEDIA_TYPES, IOCTL_DISK_GET_PARTITION_INFO,
        IOCTL_DISK_GET_PARTITION_INFO_EX, IOCTL_DISK_IS_WRITABLE, IOCTL_DISK_VERIFY,
        IOCTL_STORAGE_CHECK_VERIFY, IOCTL_STORAGE_CHECK_VERIFY2, IOCTL_STORAGE_GET_DEVICE_NUMBER,
        IOCTL_STORAGE_GET_HOTPLUG_INFO, IOCTL_STORAGE_GET_MEDIA_TYPES_EX,
        IOCTL_STORAGE_QUERY_PROPERTY, PARTITION_INFORMATION, PARTITION_INFORMATION_EX,
        PropertyExistsQuery, PropertyStandardQuery, STORAGE_DESCRIPTOR_HEADER,
        STORAGE_DEVICE_DESCRIPTOR, STORAGE_DEVICE_NUMBER, STORAGE_HOTPLUG_INFO,
        STORAGE_PROPERTY_QUERY, StorageAdapterProperty, StorageDeviceProperty,
        StorageDeviceUniqueIdProperty, VERIFY_INFORMATION,
    };

    const ERROR_INVALID_FUNCTION: u32 = 1;
    const ERROR_NOT_SUPPORTED: u32 = 50;
    const ERROR_INVALID_PARAMETER: u32 = 87;
    const ERROR_INSUFFICIENT_BUFFER: u32 = 122;
    const ERROR_MORE_DATA: u32 = 234;
    /// `CTL_CODE(MOUNTDEVCONTROLTYPE, 2, METHOD_BUFFERED, FILE_ANY_ACCESS)` (not in windows-sys).
    const IOCTL_MOUNTDEV_QUERY_DEVICE_NAME: u32 = 0x004D_0008;
    /// `CTL_CODE(MOUNTDEVCONTROLTYPE, 0, METHOD_BUFFERED, FILE_ANY_ACCESS)`.
    const IOCTL_MOUNTDEV_QUERY_UNIQUE_ID: u32 = 0x004D_0000;
    /// `sizeof(MOUNTDEV_NAME)`: a USHORT and one WCHAR.
    const MOUNTDEV_HEADER: usize = 4;
    const DEVICE_NAME: &str = r"\Device\Ramdisk";
    const SECTOR: usize = 512;

    #[derive(Default)]
    pub struct Tally {
        pub passed: u32,
        pub failed: u32,
    }

    impl Tally {
        pub fn case(&mut self, name: &str, r: Result<String, String>) {
            match r {
                Ok(note) if note.is_empty() => {
                    self.passed += 1;
                    println!("PASS {name}");
                }
                Ok(note) => {
                    self.passed += 1;
                    println!("PASS {name} ({note})");
                }
                Err(why) => {
                    self.failed += 1;
                    println!("FAIL {name}: {why}");
                }
            }
        }
    }

    fn show(r: IoResult) -> String {
        match r.error {
            None => format!("success, {} bytes", r.bytes),
            Some(e) => format!(
                "error {e} ({}), {} bytes",
                ramdiskctl::error::win32_text(e),
                r.bytes
            ),
        }
    }

    fn want_ok(r: IoResult, bytes: usize) -> Result<(), String> {
        if r.error.is_none() && r.bytes == bytes {
            Ok(())
        } else {
            Err(format!("want success with {bytes} bytes, got {}", show(r)))
        }
    }

    fn want_err(r: IoResult, code: u32, bytes: usize) -> Result<(), String> {
        if r.error == Some(code) && r.bytes == bytes {
            Ok(())
        } else {
            Err(format!(
                "want error {code} with {bytes} bytes, got {}",
                show(r)
            ))
        }
    }

    fn decode<T: Copy>(buf: &[u8]) -> T {
        assert!(buf.len() >= size_of::<T>());
        // SAFETY: the buffer holds at least size_of::<T>() bytes of a plain C struct.
        unsafe { std::ptr::read_unaligned(buf.as_ptr().cast::<T>()) }
    }

    fn bytes_of<T>(v: &T) -> Vec<u8> {
        // SAFETY: reading the bytes of a plain C struct (padding is zero-initialised
        // by the callers, which build values from `zeroed()`).
        unsafe { std::slice::from_raw_parts(std::ptr::from_ref(v).cast::<u8>(), size_of::<T>()) }
            .to_vec()
    }

    fn ioctl(dev: &Device, code: u32, input: &[u8], out_len: usize) -> (IoResult, Vec<u8>) {
        let mut out = vec![0xCCu8; out_len];
        let r = dev.ioctl(code, input, &mut out);
        (r, out)
    }

    /// A fixed-size reply: exact size works, one byte less fails with 122 and 0 bytes.
    fn fixed<T: Copy>(
        t: &mut Tally,
        dev: &Device,
        name: &str,
        code: u32,
        check: impl FnOnce(&T) -> Result<String, String>,
    ) {
        let n = size_of::<T>();
        let (r, out) = ioctl(dev, code, &[], n);
        t.case(
            &format!("{name} with {n} bytes"),
            want_ok(r, n).and_then(|()| check(&decode::<T>(&out))),
        );
        let (r, _) = ioctl(dev, code, &[], n - 1);
        t.case(
            &format!("{name} with {} bytes -> ERROR_INSUFFICIENT_BUFFER", n - 1),
            want_err(r, ERROR_INSUFFICIENT_BUFFER, 0).map(|()| String::new()),
        );
    }

    #[allow(clippy::many_single_char_names)]
    fn rw_cases(t: &mut Tally, dev: &Device, len: u64) {
        let mut s = vec![0u8; SECTOR];
        let r = dev.read_at(0, &mut s);
        t.case(
            "read sector 0",
            want_ok(r, SECTOR).and_then(|()| {
                if s[510] == 0x55 && s[511] == 0xAA {
                    Ok(String::new())
                } else {
                    Err("no 55 AA boot signature".into())
                }
            }),
        );
        let last = len - SECTOR as u64;
        let mut last_data = vec![0u8; SECTOR];
        let r = dev.read_at(last, &mut last_data);
        t.case(
            "read the last sector",
            want_ok(r, SECTOR).map(|()| String::new()),
        );
        let r = dev.write_at(last, &last_data);
        t.case(
            "write the last sector",
            want_ok(r, SECTOR).map(|()| String::new()),
        );
        let r = dev.read_at(len, &mut s);
        t.case(
            "read one sector past the end -> ERROR_INVALID_PARAMETER",
            want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
        );
        let r = dev.write_at(len, &s);
        t.case(
            "write one sector past the end -> ERROR_INVALID_PARAMETER",
            want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
        );
        let mut two = vec![0u8; 2 * SECTOR];
        let r = dev.read_at(last, &mut two);
        t.case(
            "read across the end -> ERROR_INVALID_PARAMETER",
            want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
        );
        for (what, off, n) in [
            ("offset", 1u64, SECTOR),
            ("offset", 256, SECTOR),
            ("length", 0, 100),
            ("length", 0, 513),
        ] {
            let mut b = vec![0u8; n];
            let r = dev.read_at(off, &mut b);
            t.case(
                &format!("read misaligned {what} ({off}, {n}) -> ERROR_INVALID_PARAMETER"),
                want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
            );
            let r = dev.write_at(off, &b);
            t.case(
                &format!("write misaligned {what} ({off}, {n}) -> ERROR_INVALID_PARAMETER"),
                want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
            );
        }
        let r = dev.read_at(0, &mut []);
        t.case("read of zero bytes", want_ok(r, 0).map(|()| String::new()));
        let r = dev.write_at(0, &[]);
        t.case("write of zero bytes", want_ok(r, 0).map(|()| String::new()));
        // A pattern written through the driver reads back; the old data is put back.
        let at = (len / 2) & !(SECTOR as u64 - 1);
        let mut old = vec![0u8; 64 * 1024];
        let n = old.len().min(usize::try_from(len - at).unwrap_or(0));
        let old = &mut old[..n];
        let saved = dev.read_at(at, old);
        let mut pattern = vec![0u8; n];
        Rng::new(42).fill(&mut pattern);
        let w = dev.write_at(at, &pattern);
        let mut back = vec![0u8; n];
        let r = dev.read_at(at, &mut back);
        t.case(
            &format!("write {n} bytes at {at} and read them back"),
            want_ok(saved, n)
                .and_then(|()| want_ok(w, n))
                .and_then(|()| want_ok(r, n))
                .and_then(|()| {
                    if back == pattern {
                        Ok(String::new())
                    } else {
                        Err("data differs".into())
                    }
                }),
        );
        let _ = dev.write_at(at, old);
        let big = usize::try_from(len.min(4 << 20)).unwrap_or(SECTOR);
        let mut b = vec![0u8; big];
        let r = dev.read_at(0, &mut b);
        t.case(
            &format!("one read of {big} bytes"),
            want_ok(r, big).map(|()| String::new()),
        );
    }

    #[allow(clippy::too_many_lines)]
    fn ioctl_cases(t: &mut Tally, dev: &Device, len: u64) {
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
            let res = match want {
                None => want_ok(r, 0),
                Some(code) => want_err(r, code, 0),
            };
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
                if m.DeviceType != FILE_DEVICE_DISK
                    || m.MediaInfoCount != 1
                    || d.BytesPerSector != 512
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
        query_property_cases(t, dev);
        mountdev_cases(
            t,
            dev,
            "IOCTL_MOUNTDEV_QUERY_DEVICE_NAME",
            IOCTL_MOUNTDEV_QUERY_DEVICE_NAME,
            true,
        );
        mountdev_cases(
            t,
            dev,
            "IOCTL_MOUNTDEV_QUERY_UNIQUE_ID",
            IOCTL_MOUNTDEV_QUERY_UNIQUE_ID,
            false,
        );
        // CTL_CODE(FILE_DEVICE_DISK, 0x7FF, METHOD_BUFFERED, FILE_ANY_ACCESS): nobody's IOCTL.
        let unknown = (FILE_DEVICE_DISK << 16) | (0x7FF << 2);
        let (r, _) = ioctl(dev, unknown, &[], 64);
        t.case(
            &format!("unknown IOCTL {unknown:#x} -> ERROR_INVALID_FUNCTION"),
            want_err(r, ERROR_INVALID_FUNCTION, 0).map(|()| String::new()),
        );
    }

    fn query(property: i32, query_type: i32) -> Vec<u8> {
        // SAFETY: plain data, zero is valid.
        let mut q: STORAGE_PROPERTY_QUERY = unsafe { std::mem::zeroed() };
        q.PropertyId = property;
        q.QueryType = query_type;
        bytes_of(&q)
    }

    #[allow(clippy::many_single_char_names)]
    fn query_property_cases(t: &mut Tally, dev: &Device) {
        let name = "IOCTL_STORAGE_QUERY_PROPERTY";
        let q = query(StorageDeviceProperty, PropertyStandardQuery);
        let hdr = size_of::<STORAGE_DESCRIPTOR_HEADER>();
        let (r, out) = ioctl(dev, IOCTL_STORAGE_QUERY_PROPERTY, &q, hdr);
        let h: STORAGE_DESCRIPTOR_HEADER = decode(&out);
        t.case(
            &format!("{name} device descriptor with {hdr} bytes (header only)"),
            want_ok(r, hdr).and_then(|()| {
                if h.Size as usize
                    >= std::mem::offset_of!(STORAGE_DEVICE_DESCRIPTOR, RawDeviceProperties)
                {
                    Ok(format!("Version {} Size {}", h.Version, h.Size))
                } else {
                    Err(format!(
                        "Version {} Size {} (smaller than the descriptor)",
                        h.Version, h.Size
                    ))
                }
            }),
        );
        let full = (h.Size as usize).clamp(hdr, 4096);
        let (r, out) = ioctl(dev, IOCTL_STORAGE_QUERY_PROPERTY, &q, full);
        t.case(
            &format!("{name} device descriptor with {full} bytes"),
            want_ok(r, full).map(|()| {
                let mut padded = out.clone();
                padded.resize(out.len().max(size_of::<STORAGE_DEVICE_DESCRIPTOR>()), 0);
                let d: STORAGE_DEVICE_DESCRIPTOR = decode(&padded);
                let text = |off: u32| -> String {
                    let off = off as usize;
                    if off == 0 || off >= out.len() {
                        return String::new();
                    }
                    let s = &out[off..];
                    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
                    String::from_utf8_lossy(&s[..end]).trim().to_string()
                };
                format!(
                    "type {} removable {} bus {} vendor {:?} product {:?}",
                    d.DeviceType,
                    d.RemovableMedia,
                    d.BusType,
                    text(d.VendorIdOffset),
                    text(d.ProductIdOffset)
                )
            }),
        );
        let (r, _) = ioctl(dev, IOCTL_STORAGE_QUERY_PROPERTY, &q, 4);
        t.case(
            &format!("{name} with 4 bytes -> ERROR_INSUFFICIENT_BUFFER"),
            want_err(r, ERROR_INSUFFICIENT_BUFFER, 0).map(|()| String::new()),
        );
        let (r, _) = ioctl(
            dev,
            IOCTL_STORAGE_QUERY_PROPERTY,
            &query(StorageDeviceProperty, PropertyExistsQuery),
            0,
        );
        t.case(
            &format!("{name} PropertyExistsQuery"),
            want_ok(r, 0).map(|()| String::new()),
        );
        let (r, out) = ioctl(
            dev,
            IOCTL_STORAGE_QUERY_PROPERTY,
            &query(StorageAdapterProperty, PropertyStandardQuery),
            hdr,
        );
        let h: STORAGE_DESCRIPTOR_HEADER = decode(&out);
        t.case(
            &format!("{name} adapter descriptor header"),
            want_ok(r, hdr).and_then(|()| {
                if h.Size as usize >= hdr {
                    Ok(format!("Version {} Size {}", h.Version, h.Size))
                } else {
                    Err(format!("Size {}", h.Size))
                }
            }),
        );
        let (r, _) = ioctl(
            dev,
            IOCTL_STORAGE_QUERY_PROPERTY,
            &query(StorageDeviceUniqueIdProperty, PropertyStandardQuery),
            256,
        );
        t.case(
            &format!("{name} StorageDeviceUniqueIdProperty -> ERROR_NOT_SUPPORTED"),
            want_err(r, ERROR_NOT_SUPPORTED, 0).map(|()| String::new()),
        );
        let (r, _) = ioctl(dev, IOCTL_STORAGE_QUERY_PROPERTY, &q[..8], 256);
        t.case(
            &format!("{name} with an 8-byte query -> ERROR_INVALID_PARAMETER"),
            want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
        );
    }

    fn mountdev_cases(t: &mut Tally, dev: &Device, name: &str, code: u32, is_name: bool) {
        let (r, out) = ioctl(dev, code, &[], MOUNTDEV_HEADER);
        let n = usize::from(u16::from_le_bytes([out[0], out[1]]));
        t.case(
            &format!("{name} with {MOUNTDEV_HEADER} bytes -> ERROR_MORE_DATA and the length"),
            want_err(r, ERROR_MORE_DATA, MOUNTDEV_HEADER).and_then(|()| {
                if n > 0 && n < 1024 {
                    Ok(format!("length {n}"))
                } else {
                    Err(format!("length field {n}"))
                }
            }),
        );
        let full = 2 + n;
        let (r, out) = ioctl(dev, code, &[], full);
        t.case(
            &format!("{name} with {full} bytes"),
            want_ok(r, full).and_then(|()| {
                let units: Vec<u16> = out[2..full]
                    .chunks(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                let s = String::from_utf16_lossy(&units);
                if !is_name || s == DEVICE_NAME {
                    Ok(if is_name { s } else { format!("{n} bytes") })
                } else {
                    Err(format!("name {s:?}, want {DEVICE_NAME:?}"))
                }
            }),
        );
        let (r, _) = ioctl(dev, code, &[], 2);
        t.case(
            &format!("{name} with 2 bytes -> ERROR_INSUFFICIENT_BUFFER"),
            want_err(r, ERROR_INSUFFICIENT_BUFFER, 0).map(|()| String::new()),
        );
    }

    pub fn contract(t: &mut Tally, path: &str) {
        let dev = match Device::open(path, true) {
            Ok(d) => d,
            Err(e) => {
                t.case(&format!("open {path}"), Err(e.to_string()));
                return;
            }
        };
        let len = match dev.length() {
            Ok(l) if l >= 2 * SECTOR as u64 => l,
            Ok(l) => {
                t.case("disk length", Err(format!("{l} bytes")));
                return;
            }
            Err(e) => {
                t.case("disk length", Err(e.to_string()));
                return;
            }
        };
        rw_cases(t, &dev, len);
        ioctl_cases(t, &dev, len);
    }

    #[allow(clippy::too_many_lines)]
    pub fn concurrency(t: &mut Tally, path: &str, threads: u32, ops: u32) {
        let dev = match Device::open(path, true) {
            Ok(d) => d,
            Err(e) => {
                t.case(&format!("open {path}"), Err(e.to_string()));
                return;
            }
        };
        let len = match dev.length() {
            Ok(l) => l,
            Err(e) => {
                t.case("disk length", Err(e.to_string()));
                return;
            }
        };
        // Regions in the second half of the disk, at most 1 MiB each.
        let region = ((len / 2) / u64::from(threads)).min(1 << 20) & !(SECTOR as u64 - 1);
        if region < 16 * SECTOR as u64 {
            t.case(
                "concurrency",
                Err(format!(
                    "disk of {len} bytes too small for {threads} regions"
                )),
            );
            return;
        }
        let base = (len / 2) & !(SECTOR as u64 - 1);
        let start = Instant::now();
        let results: Vec<Result<(u64, u64), String>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|i| {
                    let dev = &dev;
                    s.spawn(move || -> Result<(u64, u64), String> {
                        let at = base + u64::from(i) * region;
                        let rlen = usize::try_from(region).map_err(|e| e.to_string())?;
                        let mut shadow = vec![0u8; rlen];
                        Rng::new(0xABC0 + u64::from(i)).fill(&mut shadow);
                        dev.write_all_at(at, &shadow)
                            .map_err(|e| format!("thread {i}: initial write: error {e}"))?;
                        let mut rng = Rng::new(0x1234 + u64::from(i));
                        let mut mismatches = 0u64;
                        let sectors = rlen / SECTOR;
                        let mut buf = vec![0u8; 64 * 1024];
                        for _ in 0..ops {
                            let first = usize::try_from(rng.below(sectors as u64)).unwrap_or(0);
                            let max = (sectors - first).min(128);
                            let count = 1 + usize::try_from(rng.below(max as u64)).unwrap_or(0);
                            let (off, n) = (first * SECTOR, count * SECTOR);
                            let b = &mut buf[..n];
                            if rng.below(2) == 0 {
                                rng.fill(b);
                                dev.write_all_at(at + off as u64, b).map_err(|e| {
                                    format!("thread {i}: write at {}: error {e}", at + off as u64)
                                })?;
                                shadow[off..off + n].copy_from_slice(b);
                            } else {
                                dev.read_exact_at(at + off as u64, b).map_err(|e| {
                                    format!("thread {i}: read at {}: error {e}", at + off as u64)
                                })?;
                                if b != &shadow[off..off + n] {
                                    mismatches += 1;
                                }
                            }
                        }
                        let mut all = vec![0u8; rlen];
                        dev.read_exact_at(at, &mut all)
                            .map_err(|e| format!("thread {i}: final read: error {e}"))?;
                        if all != shadow {
                            mismatches += 1;
                        }
                        Ok((u64::from(ops), mismatches))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err("a thread panicked".into())))
                .collect()
        });
        let secs = start.elapsed().as_secs_f64();
        let mut total_ops = 0;
        let mut mismatches = 0;
        let mut errors = Vec::new();
        for r in results {
            match r {
                Ok((o, m)) => {
                    total_ops += o;
                    mismatches += m;
                }
                Err(e) => errors.push(e),
            }
        }
        let name =
            format!("{threads} threads x {ops} random overlapped reads/writes, shadow-checked");
        t.case(
            &name,
            if !errors.is_empty() {
                Err(errors.join("; "))
            } else if mismatches > 0 {
                Err(format!("{mismatches} mismatches"))
            } else {
                Ok(format!("{total_ops} ops in {secs:.2} s, 0 mismatches"))
            },
        );
    }

    fn opens(path: &str) -> Result<(), String> {
        let dev = Device::try_open(path, false).map_err(|e| format!("open: error {e}"))?;
        let mut s = vec![0u8; SECTOR];
        dev.read_exact_at(0, &mut s)
            .map_err(|e| format!("read sector 0: error {e}"))?;
        if s[510] == 0x55 && s[511] == 0xAA {
            Ok(())
        } else {
            Err("sector 0 has no 55 AA".into())
        }
    }

    pub fn probe(path: &str) -> ExitCode {
        match opens(path) {
            Ok(()) => {
                println!("{path}: present");
                ExitCode::SUCCESS
            }
            Err(e) => {
                println!("{path}: absent ({e})");
                ExitCode::FAILURE
            }
        }
    }

    pub fn cycles(t: &mut Tally, n: u32, path: &str) {
        let svc = match scm::open_service() {
            Ok(s) => s,
            Err(e) => {
                t.case("open the service", Err(e.to_string()));
                return;
            }
        };
        let start = Instant::now();
        let mut failure = None;
        for i in 1..=n {
            if let Err(e) = scm::start(&svc) {
                failure = Some(format!("cycle {i}: start: {e}"));
                break;
            }
            if let Err(e) = opens(path) {
                failure = Some(format!("cycle {i}: after start {path}: {e}"));
                break;
            }
            match scm::stop(&svc) {
                Ok(true) => {}
                Ok(false) => {
                    failure = Some(format!("cycle {i}: stop: the service was not running"));
                    break;
                }
                Err(e) => {
                    failure = Some(format!("cycle {i}: stop: {e}"));
                    break;
                }
            }
            if opens(path).is_ok() {
                failure = Some(format!("cycle {i}: {path} still opens after stop"));
                break;
            }
        }
        let secs = start.elapsed().as_secs_f64();
        t.case(
            &format!(
                "{n} start/stop cycles, {path} present after each start and gone after each stop"
            ),
            failure.map_or_else(|| Ok(format!("{secs:.1} s")), Err),
        );
    }
}
