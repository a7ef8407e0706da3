//! Results of the subcommands, shaped as text for people and JSON for scripts.
//! Pure data: the Windows code fills these in, the host tests check the shapes.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::units::{fmt_bytes, fmt_serial, mb_per_s, per_s};
use crate::volume::Volume;

/// `IOCTL_DISK_GET_DRIVE_GEOMETRY`, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Cylinders.
    pub cylinders: i64,
    /// `MEDIA_TYPE` value (12 = `FixedMedia`, 11 = `RemovableMedia`).
    pub media_type: i32,
    /// Heads.
    pub tracks_per_cylinder: u32,
    /// Sectors per track.
    pub sectors_per_track: u32,
    /// Bytes per sector.
    pub bytes_per_sector: u32,
}

/// The name of a `MEDIA_TYPE` value.
#[must_use]
pub fn media_type_name(t: i32) -> String {
    match t {
        0 => "Unknown".into(),
        11 => "RemovableMedia".into(),
        12 => "FixedMedia".into(),
        other => format!("type {other}"),
    }
}

/// `IOCTL_DISK_GET_PARTITION_INFO_EX`, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// 0 MBR, 1 GPT, 2 RAW.
    pub style: u32,
    /// Byte offset.
    pub starting_offset: i64,
    /// Bytes.
    pub length: i64,
    /// Partition number.
    pub number: u32,
    /// MBR partition type byte (MBR style only).
    pub mbr_type: Option<u8>,
}

/// The name of a `PARTITION_STYLE`.
#[must_use]
pub fn partition_style_name(s: u32) -> &'static str {
    match s {
        0 => "MBR",
        1 => "GPT",
        2 => "RAW",
        _ => "unknown",
    }
}

/// Everything `info` found out.
#[derive(Clone, Debug, Default)]
pub struct InfoReport {
    /// The device path opened.
    pub device: String,
    /// `IOCTL_DISK_GET_LENGTH_INFO`.
    pub length: u64,
    /// Geometry, or why not.
    pub geometry: Option<Result<Geometry, String>>,
    /// Partition info, or why not.
    pub partition: Option<Result<Partition, String>>,
    /// The file system read from sector 0, or why not.
    pub volume: Option<Result<Volume, String>>,
    /// Free clusters and where the number came from (`FSInfo` or `FAT`).
    pub free_clusters: Option<(u32, &'static str)>,
}

fn err_json(e: &str) -> Value {
    json!({ "error": e })
}

impl InfoReport {
    /// The report as one JSON object.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let geometry = match &self.geometry {
            Some(Ok(g)) => json!({
                "cylinders": g.cylinders,
                "tracks_per_cylinder": g.tracks_per_cylinder,
                "sectors_per_track": g.sectors_per_track,
                "bytes_per_sector": g.bytes_per_sector,
                "media_type": g.media_type,
                "media_type_name": media_type_name(g.media_type),
            }),
            Some(Err(e)) => err_json(e),
            None => Value::Null,
        };
        let partition = match &self.partition {
            Some(Ok(p)) => json!({
                "style": partition_style_name(p.style),
                "starting_offset": p.starting_offset,
                "length": p.length,
                "number": p.number,
                "mbr_type": p.mbr_type,
            }),
            Some(Err(e)) => err_json(e),
            None => Value::Null,
        };
        let file_system = match &self.volume {
            Some(Ok(v)) => json!({
                "type": v.fs_name(),
                "label": v.label,
                "serial": fmt_serial(v.serial),
                "bytes_per_sector": v.bytes_per_sector,
                "sectors_per_cluster": v.sectors_per_cluster,
                "cluster_size": v.cluster_bytes(),
                "clusters": v.cluster_count,
                "total_sectors": v.total_sectors,
                "root_entries": v.root_entries,
                "num_fats": v.num_fats,
                "media": v.media,
                "free_clusters": self.free_clusters.map(|f| f.0),
                "free_bytes": self.free_clusters.map(|f| u64::from(f.0) * v.cluster_bytes()),
                "free_source": self.free_clusters.map(|f| f.1),
            }),
            Some(Err(e)) => err_json(e),
            None => Value::Null,
        };
        json!({
            "device": self.device,
            "size": self.length,
            "geometry": geometry,
            "partition": partition,
            "file_system": file_system,
        })
    }

    /// The report as aligned text lines.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = Vec::new();
        out.push(format!("device        {}", self.device));
        out.push(format!(
            "size          {} ({} bytes)",
            fmt_bytes(self.length),
            self.length
        ));
        match &self.geometry {
            Some(Ok(g)) => out.push(format!(
                "geometry      {} cylinders x {} heads x {} sectors x {} bytes, {}",
                g.cylinders,
                g.tracks_per_cylinder,
                g.sectors_per_track,
                g.bytes_per_sector,
                media_type_name(g.media_type)
            )),
            Some(Err(e)) => out.push(format!("geometry      ({e})")),
            None => {}
        }
        match &self.partition {
            Some(Ok(p)) => out.push(format!(
                "partition     {} #{}, offset {}, length {}{}",
                partition_style_name(p.style),
                p.number,
                p.starting_offset,
                p.length,
                p.mbr_type
                    .map(|t| format!(", type 0x{t:02X}"))
                    .unwrap_or_default()
            )),
            Some(Err(e)) => out.push(format!("partition     ({e})")),
            None => {}
        }
        match &self.volume {
            Some(Ok(v)) => {
                out.push(format!(
                    "file system   {}, label \"{}\", serial {}",
                    v.fs_name(),
                    v.label,
                    fmt_serial(v.serial)
                ));
                out.push(format!(
                    "clusters      {} of {} ({} sector{}), {} FAT{}{}",
                    v.cluster_count,
                    fmt_bytes(v.cluster_bytes()),
                    v.sectors_per_cluster,
                    if v.sectors_per_cluster == 1 { "" } else { "s" },
                    v.num_fats,
                    if v.num_fats == 1 { "" } else { "s" },
                    if v.root_entries > 0 {
                        format!(", {} root entries", v.root_entries)
                    } else {
                        String::new()
                    }
                ));
                if let Some((free, source)) = self.free_clusters {
                    out.push(format!(
                        "free          {} clusters, {} (from {source})",
                        free,
                        fmt_bytes(u64::from(free) * v.cluster_bytes())
                    ));
                }
            }
            Some(Err(e)) => out.push(format!("file system   none ({e})")),
            None => {}
        }
        out.join("\n")
    }
}

/// What `verify` found.
#[derive(Clone, Debug, Default)]
pub struct VerifyReport {
    /// The device path.
    pub device: String,
    /// Bytes read successfully.
    pub bytes_ok: u64,
    /// Sector size used.
    pub sector_size: u32,
    /// Unreadable sectors (first ones only) and their Win32 errors.
    pub bad: Vec<(u64, u32)>,
    /// Total unreadable sectors.
    pub bad_count: u64,
    /// Seconds spent.
    pub secs: f64,
}

impl VerifyReport {
    /// JSON.
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "device": self.device,
            "bytes_ok": self.bytes_ok,
            "sector_size": self.sector_size,
            "bad_sectors": self.bad_count,
            "first_bad": self.bad.iter().map(|(s, e)| json!({"sector": s, "error": e})).collect::<Vec<_>>(),
            "seconds": self.secs,
            "mb_per_s": mb_per_s(self.bytes_ok, self.secs),
        })
    }

    /// Text.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}: read {} in {:.2} s ({:.0} MB/s), {} unreadable sector{}",
            self.device,
            fmt_bytes(self.bytes_ok),
            self.secs,
            mb_per_s(self.bytes_ok, self.secs),
            self.bad_count,
            if self.bad_count == 1 { "" } else { "s" }
        );
        for (sector, err) in &self.bad {
            let _ = write!(s, "\n  sector {sector}: error {err}");
        }
        s
    }
}

/// One benchmark result.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchRow {
    /// `seq-read`, `rand-write` ...
    pub name: String,
    /// Block size.
    pub block: u64,
    /// Threads.
    pub threads: u32,
    /// Bytes moved.
    pub bytes: u64,
    /// Operations done.
    pub ops: u64,
    /// Seconds.
    pub secs: f64,
}

/// `bench` results.
#[derive(Clone, Debug, Default)]
pub struct BenchReport {
    /// The device path.
    pub device: String,
    /// Where writes went (offset, length), when destructive.
    pub write_range: Option<(u64, u64)>,
    /// Why the volume was not locked, if it was not.
    pub lock_warning: Option<String>,
    /// Rows.
    pub rows: Vec<BenchRow>,
}

impl BenchReport {
    /// JSON.
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "device": self.device,
            "write_range": self.write_range.map(|(o, l)| json!({"offset": o, "length": l})),
            "lock_warning": self.lock_warning,
            "results": self.rows.iter().map(|r| json!({
                "test": r.name,
                "block": r.block,
                "threads": r.threads,
                "bytes": r.bytes,
                "ops": r.ops,
                "seconds": r.secs,
                "mb_per_s": mb_per_s(r.bytes, r.secs),
                "iops": per_s(r.ops, r.secs),
            })).collect::<Vec<_>>(),
        })
    }

    /// Text table.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut s = self.device.clone();
        if let Some((o, l)) = self.write_range {
            let _ = write!(
                s,
                ", writes in {} at offset {o} (restored afterwards)",
                fmt_bytes(l)
            );
        }
        let _ = write!(
            s,
            "\n  {:<12} {:>7} {:>7} {:>10} {:>10}",
            "test", "block", "threads", "MB/s", "IOPS"
        );
        for r in &self.rows {
            let _ = write!(
                s,
                "\n  {:<12} {:>7} {:>7} {:>10.1} {:>10.0}",
                r.name,
                fmt_bytes(r.block),
                r.threads,
                mb_per_s(r.bytes, r.secs),
                per_s(r.ops, r.secs)
            );
        }
        s
    }
}

/// The write range of a destructive bench: the last `scratch` bytes of a disk of
/// `disk_len` bytes, aligned down to `align` (a power of two), or the whole disk.
#[must_use]
pub fn scratch_range(disk_len: u64, scratch: u64, align: u64, whole_disk: bool) -> (u64, u64) {
    let end = disk_len & !(align - 1);
    if whole_disk || scratch >= end {
        return (0, end);
    }
    let start = (end - scratch) & !(align - 1);
    (start, end - start)
}

/// Checks a transfer of `length` bytes (default: to the end) at `offset` against a
/// disk of `len` bytes with sector size `ss`; returns the byte count.
///
/// # Errors
/// A sentence for unaligned or out-of-range values.
pub fn transfer_range(len: u64, ss: u64, offset: u64, length: Option<u64>) -> Result<u64, String> {
    if ss == 0 || !offset.is_multiple_of(ss) || length.is_some_and(|l| l % ss != 0) {
        return Err(format!(
            "offset and length must be multiples of the sector size ({ss})"
        ));
    }
    if offset > len {
        return Err(format!(
            "offset {offset} is beyond the end of the disk ({len} bytes)"
        ));
    }
    let n = length.unwrap_or(len - offset);
    if n > len - offset {
        return Err(format!(
            "{offset}+{n} is beyond the end of the disk ({len} bytes)"
        ));
    }
    Ok(n)
}

/// A small deterministic generator (xorshift64*) for offsets and test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced by a constant).
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub const fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (`n` > 0).
    pub const fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A `block`-aligned offset of a `block`-sized piece inside `start..start+len`.
    pub const fn block_in(&mut self, start: u64, len: u64, block: u64) -> u64 {
        let blocks = len / block;
        start + self.below(if blocks == 0 { 1 } else { blocks }) * block
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The golden JSON line `name` (see `ctl/tests/golden/README.md`).
    macro_rules! golden {
        ($name:literal) => {
            include_str!(concat!("../tests/golden/", $name, ".json")).trim_end()
        };
    }

    fn sample_volume() -> Volume {
        use ramdisk_core::fat::{FormatOptions, SliceWriter, Zeroed, format, plan};
        let layout = plan(&FormatOptions::new(8 << 20)).unwrap();
        let mut img = vec![0u8; 8 << 20];
        format(&layout, &mut SliceWriter(&mut img), Zeroed::Yes).unwrap();
        crate::volume::parse_boot_sector(&img[..512]).unwrap()
    }

    #[test]
    fn json_golden() {
        let v = sample_volume();
        let info = InfoReport {
            device: r"\\.\R:".into(),
            length: 8 << 20,
            geometry: Some(Ok(Geometry {
                cylinders: 256,
                media_type: 12,
                tracks_per_cylinder: 2,
                sectors_per_track: 32,
                bytes_per_sector: 512,
            })),
            partition: Some(Ok(Partition {
                style: 0,
                starting_offset: 0,
                length: 8 << 20,
                number: 0,
                mbr_type: Some(4),
            })),
            free_clusters: Some((v.cluster_count - 3, "FAT")),
            volume: Some(Ok(v)),
        };
        assert_eq!(info.to_json().to_string(), golden!("info"));
        let info = InfoReport {
            device: r"\\.\Q:".into(),
            length: 1 << 20,
            geometry: None,
            partition: Some(Err("Incorrect function. (Win32 error 1)".into())),
            volume: Some(Err(
                "sector 0 has no boot signature (55 AA): not a FAT volume".into(),
            )),
            free_clusters: None,
        };
        assert_eq!(info.to_json().to_string(), golden!("info-errors"));
        let v = VerifyReport {
            device: r"\\.\R:".into(),
            bytes_ok: 100_000_000,
            sector_size: 512,
            bad: vec![(7, 23), (9, 21)],
            bad_count: 2,
            secs: 1.25,
        };
        assert_eq!(v.to_json().to_string(), golden!("verify"));
        let b = BenchReport {
            device: r"\\.\R:".into(),
            write_range: Some((48 << 20, 16 << 20)),
            lock_warning: Some("warning: FSCTL_LOCK_VOLUME not available here".into()),
            rows: vec![
                BenchRow {
                    name: "seq-read".into(),
                    block: 1 << 20,
                    threads: 1,
                    bytes: 64 << 20,
                    ops: 64,
                    secs: 0.5,
                },
                BenchRow {
                    name: "rand-read".into(),
                    block: 4096,
                    threads: 4,
                    bytes: 4_096_000,
                    ops: 1000,
                    secs: 0.25,
                },
            ],
        };
        assert_eq!(b.to_json().to_string(), golden!("bench"));
        let b = BenchReport {
            device: "d".into(),
            ..BenchReport::default()
        };
        assert_eq!(b.to_json().to_string(), golden!("bench-read-only"));
    }

    #[test]
    fn info_json_shape() {
        let r = InfoReport {
            device: r"\\.\R:".into(),
            length: 64 << 20,
            geometry: Some(Ok(Geometry {
                cylinders: 8,
                media_type: 12,
                tracks_per_cylinder: 255,
                sectors_per_track: 63,
                bytes_per_sector: 512,
            })),
            partition: Some(Err("not supported".into())),
            volume: Some(Err("no FAT".into())),
            free_clusters: None,
        };
        let j = r.to_json();
        assert_eq!(j["size"], 64 << 20);
        assert_eq!(j["geometry"]["media_type_name"], "FixedMedia");
        assert_eq!(j["partition"]["error"], "not supported");
        assert_eq!(j["file_system"]["error"], "no FAT");
        let t = r.to_text();
        assert!(t.contains("64 MiB (67108864 bytes)"), "{t}");
        assert!(
            t.contains("8 cylinders x 255 heads x 63 sectors x 512 bytes, FixedMedia"),
            "{t}"
        );
    }

    #[test]
    fn info_with_volume() {
        use ramdisk_core::fat::{FormatOptions, SliceWriter, Zeroed, format, plan};
        let layout = plan(&FormatOptions::new(8 << 20)).unwrap();
        let mut img = vec![0u8; 8 << 20];
        format(&layout, &mut SliceWriter(&mut img), Zeroed::Yes).unwrap();
        let v = crate::volume::parse_boot_sector(&img[..512]).unwrap();
        let r = InfoReport {
            device: "d".into(),
            length: 8 << 20,
            partition: Some(Ok(Partition {
                style: 0,
                starting_offset: 0,
                length: 8 << 20,
                number: 1,
                mbr_type: Some(6),
            })),
            free_clusters: Some((v.cluster_count, "FAT")),
            volume: Some(Ok(v.clone())),
            geometry: None,
        };
        let j = r.to_json();
        assert_eq!(j["file_system"]["type"], v.fs_name());
        assert_eq!(j["file_system"]["label"], "RAMDISK");
        assert_eq!(j["file_system"]["free_source"], "FAT");
        assert_eq!(j["partition"]["style"], "MBR");
        assert_eq!(j["partition"]["mbr_type"], 6);
        assert_eq!(j["geometry"], Value::Null);
        let t = r.to_text();
        assert!(t.contains("label \"RAMDISK\""), "{t}");
        assert!(t.contains("type 0x06"), "{t}");
    }

    #[test]
    fn verify_and_bench_shapes() {
        let v = VerifyReport {
            device: "d".into(),
            bytes_ok: 100_000_000,
            sector_size: 512,
            bad: vec![(7, 23)],
            bad_count: 1,
            secs: 1.0,
        };
        assert_eq!(v.to_json()["bad_sectors"], 1);
        assert_eq!(v.to_json()["first_bad"][0]["sector"], 7);
        assert!(
            v.to_text()
                .contains("(100 MB/s), 1 unreadable sector\n  sector 7: error 23")
        );
        let b = BenchReport {
            device: "d".into(),
            write_range: Some((1 << 20, 1 << 20)),
            lock_warning: None,
            rows: vec![BenchRow {
                name: "rand-read".into(),
                block: 4096,
                threads: 4,
                bytes: 4_096_000,
                ops: 1000,
                secs: 0.5,
            }],
        };
        let j = b.to_json();
        assert_eq!(j["results"][0]["iops"], 2000.0);
        assert_eq!(j["write_range"]["length"], 1 << 20);
        assert!(
            b.to_text()
                .contains("rand-read      4 KiB       4        8.2       2000"),
            "{}",
            b.to_text()
        );
    }

    #[test]
    fn scratch() {
        assert_eq!(
            scratch_range(64 << 20, 16 << 20, 1 << 20, false),
            (48 << 20, 16 << 20)
        );
        assert_eq!(
            scratch_range(64 << 20, 16 << 20, 1 << 20, true),
            (0, 64 << 20)
        );
        assert_eq!(
            scratch_range(8 << 20, 16 << 20, 1 << 20, false),
            (0, 8 << 20)
        );
        assert_eq!(
            scratch_range((8 << 20) + 512, 1 << 20, 4096, false),
            (7 << 20, 1 << 20)
        );
    }

    #[test]
    fn transfer_ranges() {
        assert_eq!(transfer_range(1 << 20, 512, 0, None), Ok(1 << 20));
        assert_eq!(transfer_range(1 << 20, 512, 512, Some(1024)), Ok(1024));
        assert_eq!(transfer_range(1 << 20, 512, 1 << 20, None), Ok(0));
        assert!(transfer_range(1 << 20, 512, 1, None).is_err());
        assert!(transfer_range(1 << 20, 512, 0, Some(100)).is_err());
        assert!(transfer_range(1 << 20, 512, 2 << 20, None).is_err());
        assert!(transfer_range(1 << 20, 512, 512, Some(1 << 20)).is_err());
        assert!(transfer_range(1 << 20, 0, 0, None).is_err());
    }

    #[test]
    fn rng() {
        let mut r = Rng::new(0);
        let mut s = Rng::new(0);
        assert_eq!(r.next_u64(), s.next_u64());
        for _ in 0..1000 {
            let o = r.block_in(4096, 1 << 20, 4096);
            assert!(o >= 4096 && o + 4096 <= 4096 + (1 << 20) && o.is_multiple_of(4096));
        }
        let mut buf = [0u8; 13];
        r.fill(&mut buf);
        assert!(buf.iter().any(|&b| b != 0));
        assert_eq!(r.block_in(0, 100, 4096), 0);
    }
}
