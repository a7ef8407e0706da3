//! `dump` and `load`: a byte range between the disk and a file.

use serde::Serialize;

use super::{Rate, Report};
use crate::units::fmt_bytes;

/// A transfer between the disk and a file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Transfer {
    /// The device path.
    pub device: String,
    /// The file.
    pub file: String,
    /// First byte of the disk (and of the file, for `load`).
    pub offset: u64,
    /// Bytes moved.
    pub bytes: u64,
    /// Time and rate.
    #[serde(flatten)]
    pub rate: Rate,
}

impl Transfer {
    /// `bytes` from `offset` moved in `secs` seconds.
    #[must_use]
    pub fn new(device: &str, file: &str, offset: u64, bytes: u64, secs: f64) -> Self {
        Self {
            device: device.to_string(),
            file: file.to_string(),
            offset,
            bytes,
            rate: Rate::new(bytes, secs),
        }
    }

    fn summary(&self, verb: &str, from: &str, to: &str) -> String {
        format!(
            "{verb} {} from {from} {to} in {:.2} s ({:.0} MB/s)",
            fmt_bytes(self.bytes),
            self.rate.seconds,
            self.rate.mb_per_s
        )
    }
}

/// `dump`: disk to file.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct DumpReport(pub Transfer);

impl Report for DumpReport {
    fn text(&self) -> String {
        let t = &self.0;
        t.summary("dumped", &t.device, &format!("to {}", t.file))
    }
}

/// `load`: file to disk.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoadReport {
    /// The transfer.
    #[serde(flatten)]
    pub transfer: Transfer,
    /// Volume requests the system does not support (lock, dismount).
    pub warnings: Vec<String>,
}

impl Report for LoadReport {
    fn text(&self) -> String {
        let t = &self.transfer;
        t.summary("loaded", &t.file, &format!("onto {}", t.device))
    }
}
