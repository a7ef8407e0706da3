//! `info`: size, geometry, partition and file system of the disk.

use serde::Serialize;

use super::Report;
use crate::units::{fmt_bytes, fmt_serial};
use ramdisk_core::config::Allocation;
use ramdisk_core::exfat;
use ramdisk_core::fat::BootSector;
use ramdisk_core::wire::dsm::RamdiskUsage;

/// A fact that was found out, or why not (`{"error": "..."}` in JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Fact<T> {
    /// Found out.
    Known(T),
    /// Could not be found out.
    Failed {
        /// Why not.
        error: String,
    },
}

impl<T> Fact<T> {
    /// `Known` from `Ok`, `Failed` from `Err`.
    pub fn from_result(r: Result<T, String>) -> Self {
        match r {
            Ok(v) => Self::Known(v),
            Err(error) => Self::Failed { error },
        }
    }
}

/// `IOCTL_DISK_GET_DRIVE_GEOMETRY`, decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Geometry {
    /// Cylinders.
    pub cylinders: i64,
    /// Heads.
    pub tracks_per_cylinder: u32,
    /// Sectors per track.
    pub sectors_per_track: u32,
    /// Bytes per sector.
    pub bytes_per_sector: u32,
    /// `MEDIA_TYPE` value (12 = `FixedMedia`, 11 = `RemovableMedia`).
    pub media_type: i32,
    /// Its name.
    pub media_type_name: String,
}

impl Geometry {
    /// The geometry with the media type's name filled in.
    #[must_use]
    pub fn new(
        cylinders: i64,
        media_type: i32,
        tracks_per_cylinder: u32,
        sectors_per_track: u32,
        bytes_per_sector: u32,
    ) -> Self {
        Self {
            cylinders,
            tracks_per_cylinder,
            sectors_per_track,
            bytes_per_sector,
            media_type,
            media_type_name: media_type_name(media_type),
        }
    }
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Partition {
    /// `MBR`, `GPT`, `RAW` (or `unknown`).
    pub style: &'static str,
    /// Byte offset.
    pub starting_offset: i64,
    /// Bytes.
    pub length: i64,
    /// Partition number.
    pub number: u32,
    /// MBR partition type byte (MBR style only).
    pub mbr_type: Option<u8>,
}

/// The name of a `PARTITION_STYLE` (0 MBR, 1 GPT, 2 RAW).
#[must_use]
pub const fn partition_style_name(s: u32) -> &'static str {
    match s {
        0 => "MBR",
        1 => "GPT",
        2 => "RAW",
        _ => "unknown",
    }
}

/// The file system read from the volume itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileSystem {
    /// `FAT12`, `FAT16`, `FAT32` or `exFAT`.
    #[serde(rename = "type")]
    pub fs_type: &'static str,
    /// Volume label.
    pub label: String,
    /// Serial number, `XXXX-XXXX`.
    pub serial: String,
    /// Bytes per sector.
    pub bytes_per_sector: u32,
    /// Sectors per cluster.
    pub sectors_per_cluster: u32,
    /// Bytes per cluster.
    pub cluster_size: u64,
    /// Data clusters.
    pub clusters: u32,
    /// Total sectors (exFAT: `VolumeLength`).
    pub total_sectors: u64,
    /// Root directory entries (0 on FAT32 and exFAT, whose root is a cluster chain).
    pub root_entries: u16,
    /// FAT copies.
    pub num_fats: u8,
    /// Media byte (`null` on exFAT, which has none in its boot sector).
    pub media: Option<u8>,
    /// Free clusters, if they could be counted.
    pub free_clusters: Option<u32>,
    /// Free bytes (free clusters × cluster size).
    pub free_bytes: Option<u64>,
    /// Where the free count came from (`FSInfo`, `FAT`, or exFAT's `bitmap`).
    pub free_source: Option<&'static str>,
}

impl FileSystem {
    /// The facts of `v`, with the free-cluster count and its source if known.
    #[must_use]
    pub fn new(v: &BootSector, free: Option<(u32, &'static str)>) -> Self {
        Self {
            fs_type: v.fat_type.name(),
            label: String::from_utf8_lossy(v.label_text()).into_owned(),
            serial: fmt_serial(v.serial().unwrap_or(0)),
            bytes_per_sector: u32::from(v.bytes_per_sector),
            sectors_per_cluster: u32::from(v.sectors_per_cluster),
            cluster_size: v.cluster_bytes(),
            clusters: v.cluster_count,
            total_sectors: u64::from(v.total_sectors),
            root_entries: v.root_entry_count,
            num_fats: v.num_fats,
            media: Some(v.media),
            free_clusters: free.map(|f| f.0),
            free_bytes: free.map(|f| u64::from(f.0) * v.cluster_bytes()),
            free_source: free.map(|f| f.1),
        }
    }

    /// The facts of the exFAT volume `v`, its label as read from the root directory,
    /// and its free clusters (from the allocation bitmap) if they could be counted.
    #[must_use]
    pub fn exfat(v: &exfat::BootSector, label: String, free: Option<(u32, &'static str)>) -> Self {
        Self {
            fs_type: "exFAT",
            label,
            serial: fmt_serial(v.volume_serial),
            bytes_per_sector: v.bytes_per_sector,
            sectors_per_cluster: v.sectors_per_cluster,
            cluster_size: v.cluster_bytes(),
            clusters: v.cluster_count,
            total_sectors: v.volume_length,
            root_entries: 0,
            num_fats: v.number_of_fats,
            media: None,
            free_clusters: free.map(|f| f.0),
            free_bytes: free.map(|f| u64::from(f.0) * v.cluster_bytes()),
            free_source: free.map(|f| f.1),
        }
    }
}

/// `IOCTL_RAMDISK_QUERY_USAGE`, decoded: the disk's memory. All `None` (JSON `null`)
/// with `usage_error` set when the device did not answer it (not one of our disks, or
/// an older driver).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// `fixed` or `dynamic`.
    pub allocation: Option<&'static str>,
    /// The allocation (and TRIM) granularity.
    pub chunk_bytes: Option<u64>,
    /// Chunk memory held now.
    pub allocated_bytes: Option<u64>,
    /// The most chunk memory held since load.
    pub peak_allocated_bytes: Option<u64>,
    /// The most chunk memory the disk may hold.
    pub memory_limit_bytes: Option<u64>,
    /// Memory of the chunk table.
    pub table_bytes: Option<u64>,
    /// Why the usage is unknown.
    pub usage_error: Option<String>,
}

impl Usage {
    /// The facts of a `RAMDISK_USAGE` reply.
    #[must_use]
    pub const fn from_wire(u: &RamdiskUsage) -> Self {
        let allocation = if u.allocation.get() == Allocation::Dynamic.code() {
            Allocation::Dynamic
        } else {
            Allocation::Fixed
        };
        Self {
            allocation: Some(allocation.name()),
            chunk_bytes: Some(u.chunk_bytes.get()),
            allocated_bytes: Some(u.allocated_bytes.get()),
            peak_allocated_bytes: Some(u.peak_allocated_bytes.get()),
            memory_limit_bytes: Some(u.memory_limit_bytes.get()),
            table_bytes: Some(u.table_bytes.get()),
            usage_error: None,
        }
    }

    /// Unknown, and why.
    #[must_use]
    pub fn unknown(why: String) -> Self {
        Self {
            usage_error: Some(why),
            ..Self::default()
        }
    }

    /// The `memory` line of the text, if the usage is known.
    fn text(&self) -> Option<String> {
        let (allocation, chunk, held, peak, limit) = (
            self.allocation?,
            self.chunk_bytes?,
            self.allocated_bytes?,
            self.peak_allocated_bytes?,
            self.memory_limit_bytes?,
        );
        let table = self
            .table_bytes
            .map(|t| format!(", chunk table {}", fmt_bytes(t)))
            .unwrap_or_default();
        Some(if allocation == Allocation::Dynamic.name() {
            format!(
                "memory        dynamic, {} held of at most {} (peak {}), {} chunks{table}",
                fmt_bytes(held),
                fmt_bytes(limit),
                fmt_bytes(peak),
                fmt_bytes(chunk)
            )
        } else {
            format!(
                "memory        fixed, {} held, {} chunks{table}",
                fmt_bytes(held),
                fmt_bytes(chunk)
            )
        })
    }
}

/// Everything `info` found out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InfoReport {
    /// The device path opened.
    pub device: String,
    /// `IOCTL_DISK_GET_LENGTH_INFO`, bytes.
    pub size: u64,
    /// Geometry, or why not.
    pub geometry: Option<Fact<Geometry>>,
    /// Partition info, or why not.
    pub partition: Option<Fact<Partition>>,
    /// The file system read from sector 0, or why not.
    pub file_system: Option<Fact<FileSystem>>,
    /// The disk's memory (flattened: `allocation`, `chunk_bytes`, ... at the top level).
    #[serde(flatten)]
    pub usage: Usage,
}

const fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl Report for InfoReport {
    fn text(&self) -> String {
        let mut out = Vec::new();
        out.push(format!("device        {}", self.device));
        out.push(format!(
            "size          {} ({} bytes)",
            fmt_bytes(self.size),
            self.size
        ));
        match &self.geometry {
            Some(Fact::Known(g)) => out.push(format!(
                "geometry      {} cylinders x {} heads x {} sectors x {} bytes, {}",
                g.cylinders,
                g.tracks_per_cylinder,
                g.sectors_per_track,
                g.bytes_per_sector,
                g.media_type_name
            )),
            Some(Fact::Failed { error }) => out.push(format!("geometry      ({error})")),
            None => {}
        }
        match &self.partition {
            Some(Fact::Known(p)) => out.push(format!(
                "partition     {} #{}, offset {}, length {}{}",
                p.style,
                p.number,
                p.starting_offset,
                p.length,
                p.mbr_type
                    .map(|t| format!(", type 0x{t:02X}"))
                    .unwrap_or_default()
            )),
            Some(Fact::Failed { error }) => out.push(format!("partition     ({error})")),
            None => {}
        }
        match (self.usage.text(), &self.usage.usage_error) {
            (Some(line), _) => out.push(line),
            (None, Some(error)) => out.push(format!("memory        ({error})")),
            (None, None) => {}
        }
        match &self.file_system {
            Some(Fact::Known(f)) => {
                out.push(format!(
                    "file system   {}, label \"{}\", serial {}",
                    f.fs_type, f.label, f.serial
                ));
                out.push(format!(
                    "clusters      {} of {} ({} sector{}), {} FAT{}{}",
                    f.clusters,
                    fmt_bytes(f.cluster_size),
                    f.sectors_per_cluster,
                    plural(u64::from(f.sectors_per_cluster)),
                    f.num_fats,
                    plural(u64::from(f.num_fats)),
                    if f.root_entries > 0 {
                        format!(", {} root entries", f.root_entries)
                    } else {
                        String::new()
                    }
                ));
                if let (Some(free), Some(bytes), Some(source)) =
                    (f.free_clusters, f.free_bytes, f.free_source)
                {
                    out.push(format!(
                        "free          {free} clusters, {} (from {source})",
                        fmt_bytes(bytes)
                    ));
                }
            }
            Some(Fact::Failed { error }) => out.push(format!("file system   none ({error})")),
            None => {}
        }
        out.join("\n")
    }
}
