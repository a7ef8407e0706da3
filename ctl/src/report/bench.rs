//! `bench`: one row per test.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Rate, Report};
use crate::units::fmt_bytes;

/// One benchmark result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchRow {
    /// `seq-read`, `rand-write` ...
    pub test: String,
    /// Block size.
    pub block: u64,
    /// Threads.
    pub threads: u32,
    /// Bytes moved.
    pub bytes: u64,
    /// Operations done.
    pub ops: u64,
    /// Time and rate.
    #[serde(flatten)]
    pub rate: Rate,
    /// Operations per second.
    pub iops: f64,
}

impl BenchRow {
    /// A row for `ops` operations moving `bytes` bytes in `secs` seconds.
    #[must_use]
    pub fn new(test: &str, block: u64, threads: u32, bytes: u64, ops: u64, secs: f64) -> Self {
        let rate = Rate::new(bytes, secs);
        Self {
            test: test.to_string(),
            block,
            threads,
            bytes,
            ops,
            iops: rate.per_s(ops),
            rate,
        }
    }
}

/// Where a destructive bench wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WriteRange {
    /// Byte offset.
    pub offset: u64,
    /// Bytes.
    pub length: u64,
}

/// `bench` results.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BenchReport {
    /// The device path.
    pub device: String,
    /// Where writes went, when destructive.
    pub write_range: Option<WriteRange>,
    /// Why the volume was not locked, if it was not.
    pub lock_warning: Option<String>,
    /// The rows.
    pub results: Vec<BenchRow>,
}

impl Report for BenchReport {
    fn text(&self) -> String {
        let mut s = self.device.clone();
        if let Some(w) = self.write_range {
            let _ = write!(
                s,
                ", writes in {} at offset {} (restored afterwards)",
                fmt_bytes(w.length),
                w.offset
            );
        }
        let _ = write!(
            s,
            "\n  {:<12} {:>7} {:>7} {:>10} {:>10}",
            "test", "block", "threads", "MB/s", "IOPS"
        );
        for r in &self.results {
            let _ = write!(
                s,
                "\n  {:<12} {:>7} {:>7} {:>10.1} {:>10.0}",
                r.test,
                fmt_bytes(r.block),
                r.threads,
                r.rate.mb_per_s,
                r.iops
            );
        }
        s
    }
}
