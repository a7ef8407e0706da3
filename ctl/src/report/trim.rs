//! `trim`: what was given back to the disk.

use serde::Serialize;

use super::Report;
use crate::units::fmt_bytes;

/// What `trim` trimmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrimMode {
    /// `--offset`/`--length`.
    Range,
    /// Every cluster the volume's FAT marks free, under `FSCTL_LOCK_VOLUME`.
    FreeClusters,
}

/// The result of `trim`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrimReport {
    /// The device path.
    pub device: String,
    /// What was trimmed.
    pub mode: TrimMode,
    /// Byte ranges sent (runs of free clusters, or the one range).
    pub ranges: u64,
    /// Bytes the ranges cover.
    pub bytes: u64,
    /// `TRIM` requests sent.
    pub requests: u64,
    /// Free clusters found (free-cluster mode only).
    pub free_clusters: Option<u64>,
    /// `FSCTL_LOCK_VOLUME`: `"done"`, `"unsupported"` (no volume locks here, e.g.
    /// Wine), or `null` in range mode.
    pub lock: Option<&'static str>,
    /// `fixed` or `dynamic`.
    pub allocation: &'static str,
    /// Chunk memory the disk held before.
    pub allocated_before: u64,
    /// Chunk memory the disk holds afterwards.
    pub allocated_after: u64,
    /// Warnings printed on stderr.
    pub warnings: Vec<String>,
}

impl Report for TrimReport {
    fn text(&self) -> String {
        let what = match self.mode {
            TrimMode::Range => "the range".to_string(),
            TrimMode::FreeClusters => format!(
                "{} free cluster{} in {} run{}",
                self.free_clusters.unwrap_or(0),
                if self.free_clusters == Some(1) {
                    ""
                } else {
                    "s"
                },
                self.ranges,
                if self.ranges == 1 { "" } else { "s" }
            ),
        };
        let memory = if self.allocation == "dynamic" {
            format!(
                "memory held {} -> {}",
                fmt_bytes(self.allocated_before),
                fmt_bytes(self.allocated_after)
            )
        } else {
            "a fixed disk zeroes trimmed ranges and keeps its memory".to_string()
        };
        format!(
            "trimmed {what} on {}: {} in {} request{}; {memory}",
            self.device,
            fmt_bytes(self.bytes),
            self.requests,
            if self.requests == 1 { "" } else { "s" }
        )
    }
}
