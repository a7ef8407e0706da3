//! Both forms of every report: the JSON line byte for byte against the golden files
//! (`ctl/tests/golden/`, recorded from the code before the serde structs), and the
//! text.

use super::*;
use crate::announce::Announcement;
use crate::cli::{ParamValue, StartType};
use crate::stop::{MountPointStep, Step};
use ramdisk_core::fat::BootSector;

/// The golden JSON line `name` (see `ctl/tests/golden/README.md`).
macro_rules! golden {
    ($name:literal) => {
        include_str!(concat!("../../tests/golden/", $name, ".json")).trim_end()
    };
}

/// The warning of the golden `load` and `stop` lines.
const DISMOUNT_WARNING: &str = "warning: FSCTL_DISMOUNT_VOLUME not available here \
     (Incorrect function., Win32 error 1); continuing without it";

fn json(r: &impl Report) -> String {
    render(r, true).unwrap()
}

fn text(r: &impl Report) -> String {
    render(r, false).unwrap_or_default()
}

fn sample_volume() -> BootSector {
    use ramdisk_core::fat::{FormatOptions, SliceWriter, Zeroed, format, plan};
    let layout = plan(&FormatOptions::new(8 << 20)).unwrap();
    let mut img = vec![0u8; 8 << 20];
    format(&layout, &mut SliceWriter(&mut img), Zeroed::Yes).unwrap();
    match crate::volume::parse_boot_sector(&img[..512]) {
        Ok(crate::volume::Volume::Fat(v)) => v,
        other => panic!("{other:?}"),
    }
}

fn sample_info() -> InfoReport {
    let v = sample_volume();
    InfoReport {
        device: r"\\.\R:".into(),
        size: 8 << 20,
        geometry: Some(Fact::Known(Geometry::new(256, 12, 2, 32, 512))),
        partition: Some(Fact::Known(Partition {
            style: partition_style_name(0),
            starting_offset: 0,
            length: 8 << 20,
            number: 0,
            mbr_type: Some(4),
        })),
        file_system: Some(Fact::Known(FileSystem::new(
            &v,
            Some((v.cluster_count - 3, "FAT")),
        ))),
        usage: Usage::from_wire(&sample_usage()),
    }
}

/// A dynamic 8 MiB disk holding 3 chunks (peak 5) of at most 4 MiB.
fn sample_usage() -> ramdisk_core::wire::dsm::RamdiskUsage {
    use ramdisk_core::config::Allocation;
    use ramdisk_core::ioctl::disk_ops::{Usage as CoreUsage, usage_reply};
    usage_reply(&CoreUsage {
        disk_size: 8 << 20,
        allocation: Allocation::Dynamic,
        chunk_bytes: 64 << 10,
        allocated_bytes: 3 << 16,
        peak_allocated_bytes: 5 << 16,
        memory_limit_bytes: 4 << 20,
        table_bytes: 136,
    })
}

#[test]
fn info() {
    let r = sample_info();
    assert_eq!(json(&r), golden!("info"));
    let t = text(&r);
    assert_eq!(
        t,
        "device        \\\\.\\R:\n\
         size          8 MiB (8388608 bytes)\n\
         geometry      256 cylinders x 2 heads x 32 sectors x 512 bytes, FixedMedia\n\
         partition     MBR #0, offset 0, length 8388608, type 0x04\n\
         memory        dynamic, 192 KiB held of at most 4 MiB (peak 320 KiB), 64 KiB chunks, chunk table 136 B\n\
         file system   FAT16, label \"RAMDISK\", serial 0000-0000\n\
         clusters      8143 of 1 KiB (2 sectors), 2 FATs, 512 root entries\n\
         free          8140 clusters, 7.9 MiB (from FAT)"
    );
}

/// A 64 MiB exFAT volume as `info` reports it: label from the root directory, free
/// clusters from the allocation bitmap.
#[test]
fn info_exfat() {
    use ramdisk_core::exfat;
    use ramdisk_core::fat::{FileSystem as Fs, FormatOptions, SliceWriter, Zeroed};
    let mut o = FormatOptions::new(64 << 20);
    o.file_system = Fs::Exfat;
    o.volume_serial = 0x1234_ABCD;
    o.exfat_label = exfat::Label::from_ascii(b"Scratch").unwrap();
    let layout = exfat::plan(&o).unwrap();
    let mut img = vec![0u8; 64 << 20];
    exfat::format(&layout, &mut SliceWriter(&mut img), Zeroed::Yes).unwrap();
    let Ok(crate::volume::Volume::Exfat(v)) = crate::volume::parse_boot_sector(&img[..512]) else {
        panic!("not exFAT")
    };
    let r = InfoReport {
        device: r"\\.\R:".into(),
        size: 64 << 20,
        geometry: Some(Fact::Known(Geometry::new(2048, 12, 2, 32, 512))),
        partition: Some(Fact::Known(Partition {
            style: partition_style_name(0),
            starting_offset: 0,
            length: 64 << 20,
            number: 0,
            mbr_type: Some(7),
        })),
        file_system: Some(Fact::Known(FileSystem::exfat(
            &v,
            "Scratch".into(),
            Some((layout.free_clusters(), "bitmap")),
        ))),
        usage: Usage::from_wire(&sample_usage()),
    };
    assert_eq!(json(&r), golden!("info-exfat"));
    assert_eq!(
        text(&r),
        "device        \\\\.\\R:\n\
         size          64 MiB (67108864 bytes)\n\
         geometry      2048 cylinders x 2 heads x 32 sectors x 512 bytes, FixedMedia\n\
         partition     MBR #0, offset 0, length 67108864, type 0x07\n\
         memory        dynamic, 192 KiB held of at most 4 MiB (peak 320 KiB), 64 KiB chunks, chunk table 136 B\n\
         file system   exFAT, label \"Scratch\", serial 1234-ABCD\n\
         clusters      16365 of 4 KiB (8 sectors), 1 FAT\n\
         free          16361 clusters, 63.9 MiB (from bitmap)"
    );
}

#[test]
fn info_with_errors() {
    let r = InfoReport {
        device: r"\\.\Q:".into(),
        size: 1 << 20,
        geometry: None,
        partition: Some(Fact::from_result(Err(
            "Incorrect function. (Win32 error 1)".into(),
        ))),
        file_system: Some(Fact::from_result(Err(
            "sector 0 has no boot signature (55 AA): not a FAT volume".into(),
        ))),
        usage: Usage::unknown(
            "IOCTL_RAMDISK_QUERY_USAGE: Incorrect function. (Win32 error 1)".into(),
        ),
    };
    assert_eq!(json(&r), golden!("info-errors"));
    assert!(text(&r).contains("memory        (IOCTL_RAMDISK_QUERY_USAGE: Incorrect function."));
    let t = text(&r);
    assert!(t.contains("partition     (Incorrect function."), "{t}");
    assert!(t.contains("file system   none (sector 0 has no"), "{t}");
    assert!(!t.contains("geometry"), "{t}");
}

#[test]
fn info_without_free_count_and_one_fat() {
    let mut v = sample_volume();
    v.num_fats = 1;
    v.sectors_per_cluster = 1;
    let f = FileSystem::new(&v, None);
    assert_eq!(
        (f.free_clusters, f.free_bytes, f.free_source),
        (None, None, None)
    );
    let r = InfoReport {
        file_system: Some(Fact::Known(f)),
        ..sample_info()
    };
    let t = text(&r);
    assert!(t.contains("(1 sector), 1 FAT, 512 root entries"), "{t}");
    assert!(!t.contains("free "), "{t}");
    assert_eq!(
        r.json()["file_system"]["free_source"],
        serde_json::Value::Null
    );
}

#[test]
fn verify() {
    let mut r = VerifyReport {
        device: r"\\.\R:".into(),
        bytes_ok: 100_000_000,
        sector_size: 512,
        ..VerifyReport::default()
    };
    r.bad(7, 23);
    r.bad(9, 21);
    r.rate = Rate::new(r.bytes_ok, 1.25);
    assert_eq!(json(&r), golden!("verify"));
    assert_eq!(
        text(&r),
        "\\\\.\\R:: read 95.4 MiB in 1.25 s (80 MB/s), 2 unreadable sectors\n  \
         sector 7: error 23\n  sector 9: error 21"
    );
    for i in 0..30 {
        r.bad(100 + i, 23);
    }
    assert_eq!(r.bad_sectors, 32);
    assert_eq!(r.first_bad.len(), VerifyReport::FIRST_BAD_MAX);
}

#[test]
fn bench() {
    let r = BenchReport {
        device: r"\\.\R:".into(),
        write_range: Some(WriteRange {
            offset: 48 << 20,
            length: 16 << 20,
        }),
        lock_warning: Some("warning: FSCTL_LOCK_VOLUME not available here".into()),
        results: vec![
            BenchRow::new("seq-read", 1 << 20, 1, 64 << 20, 64, 0.5),
            BenchRow::new("rand-read", 4096, 4, 4_096_000, 1000, 0.25),
        ],
    };
    assert_eq!(json(&r), golden!("bench"));
    assert_eq!(
        text(&r),
        "\\\\.\\R:, writes in 16 MiB at offset 50331648 (restored afterwards)\n  \
         test           block threads       MB/s       IOPS\n  \
         seq-read       1 MiB       1      134.2        128\n  \
         rand-read      4 KiB       4       16.4       4000"
    );
    let r = BenchReport {
        device: "d".into(),
        ..BenchReport::default()
    };
    assert_eq!(json(&r), golden!("bench-read-only"));
}

#[test]
fn dump_and_load() {
    let t = Transfer::new(r"\\.\R:", "img.bin", 512, 1 << 20, 0.5);
    let d = DumpReport(t.clone());
    assert_eq!(json(&d), golden!("dump"));
    assert_eq!(
        text(&d),
        r"dumped 1 MiB from \\.\R: to img.bin in 0.50 s (2 MB/s)"
    );
    let l = LoadReport {
        transfer: t,
        warnings: vec![DISMOUNT_WARNING.into()],
    };
    assert_eq!(json(&l), golden!("load"));
    assert_eq!(
        text(&l),
        r"loaded 1 MiB from img.bin onto \\.\R: in 0.50 s (2 MB/s)"
    );
}

#[test]
fn install() {
    let r = InstallReport {
        service: "RustRamDisk",
        bin_path: r"C:\drivers\rustramdisk.sys".into(),
        start: StartType::Auto,
        parameters: vec![
            ("DiskSize", ParamValue::Qword(8 << 30)),
            ("DriveLetter", ParamValue::Sz("R".into())),
            ("SectorsPerCluster", ParamValue::Dword(8)),
        ],
    };
    assert_eq!(json(&r), golden!("install"));
    assert_eq!(
        text(&r),
        "installed service RustRamDisk (C:\\drivers\\rustramdisk.sys, start Auto)\n  \
         Parameters: DiskSize=8589934592 (REG_QWORD), DriveLetter=\"R\", SectorsPerCluster=8"
    );
    let r = InstallReport {
        parameters: Vec::new(),
        start: StartType::Demand,
        ..r
    };
    assert_eq!(r.json()["start"], "demand");
    assert_eq!(r.json()["parameters"], serde_json::json!({}));
    assert!(!text(&r).contains("Parameters"));
}

#[test]
fn start_stop_uninstall() {
    let r = StartReport {
        service: "RustRamDisk",
        running: true,
        device: r"\\.\R:".into(),
        announce: Announcement {
            broadcast: true,
            broadcast_note: None,
            shell_notify: true,
        },
    };
    assert_eq!(json(&r), golden!("start"));
    assert_eq!(text(&r), r"started service RustRamDisk (\\.\R:)");
    let session0 = Announcement {
        broadcast: false,
        broadcast_note: Some("not sent: session 0".into()),
        shell_notify: true,
    };
    let r = StartReport {
        announce: session0.clone(),
        ..r
    };
    assert_eq!(
        text(&r),
        "started service RustRamDisk (\\\\.\\R:)\n  Explorer broadcast not sent: session 0"
    );
    assert_eq!(r.json()["broadcast_note"], "not sent: session 0");
    let r = StopReport {
        service: "RustRamDisk",
        device: r"\\.\R:".into(),
        stopped: true,
        announce: Announcement::skipped("skipped (--no-broadcast)"),
        lock: Some(Step::Done),
        dismount: Some(Step::Unsupported),
        mount_point: Some(MountPointStep::Unsupported),
        removed_disks: vec!["Q:".into()],
        warnings: vec![DISMOUNT_WARNING.into()],
    };
    assert_eq!(json(&r), golden!("stop"));
    assert_eq!(
        StopReport {
            mount_point: None,
            ..r.clone()
        }
        .json()["mount_point"],
        serde_json::Value::Null
    );
    assert_eq!(text(&r), "stopped service RustRamDisk");
    assert_eq!(
        text(&StopReport {
            announce: session0,
            ..r.clone()
        }),
        "stopped service RustRamDisk\n  Explorer broadcast not sent: session 0"
    );
    let j = StopReport {
        lock: Some(Step::FailedForced),
        dismount: None,
        ..r.clone()
    }
    .json();
    assert_eq!(
        (&j["lock"], &j["dismount"]),
        (&"failed_forced".into(), &serde_json::Value::Null)
    );
    assert_eq!(
        text(&StopReport {
            stopped: false,
            ..r
        }),
        "service RustRamDisk was not running"
    );
    let r = UninstallReport {
        service: "RustRamDisk",
        stopped: true,
        deleted: true,
    };
    assert_eq!(json(&r), golden!("uninstall"));
    assert_eq!(text(&r), "stopped and deleted service RustRamDisk");
}

#[test]
fn info_of_a_fixed_disk() {
    let mut u = sample_usage();
    u.allocation = ramdisk_core::wire::U32::new(0);
    u.allocated_bytes = ramdisk_core::wire::U64::new(8 << 20);
    let r = InfoReport {
        usage: Usage::from_wire(&u),
        ..sample_info()
    };
    let t = text(&r);
    assert!(
        t.contains("memory        fixed, 8 MiB held, 64 KiB chunks, chunk table 136 B"),
        "{t}"
    );
    assert_eq!(r.json()["allocation"], "fixed");
}

#[test]
fn trim() {
    let r = TrimReport {
        device: r"\\.\R:".into(),
        mode: TrimMode::FreeClusters,
        ranges: 2,
        bytes: 6 << 20,
        requests: 1,
        free_clusters: Some(3072),
        lock: Some("done"),
        allocation: "dynamic",
        allocated_before: 8 << 20,
        allocated_after: 2 << 20,
        warnings: vec![],
    };
    assert_eq!(json(&r), golden!("trim"));
    assert_eq!(
        text(&r),
        "trimmed 3072 free clusters in 2 runs on \\\\.\\R:: 6 MiB in 1 request; memory held 8 MiB -> 2 MiB"
    );
    let range = TrimReport {
        mode: TrimMode::Range,
        ranges: 1,
        bytes: 4096,
        free_clusters: None,
        lock: None,
        allocation: "fixed",
        ..r
    };
    assert_eq!(range.json()["mode"], "range");
    assert_eq!(
        text(&range),
        "trimmed the range on \\\\.\\R:: 4 KiB in 1 request; a fixed disk zeroes trimmed ranges and keeps its memory"
    );
}
