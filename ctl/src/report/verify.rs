//! `verify`: every sector read.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Rate, Report};
use crate::units::fmt_bytes;

/// One unreadable sector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BadSector {
    /// Sector number.
    pub sector: u64,
    /// The Win32 error of its read.
    pub error: u32,
}

/// What `verify` found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct VerifyReport {
    /// The device path.
    pub device: String,
    /// Bytes read successfully.
    pub bytes_ok: u64,
    /// Sector size used.
    pub sector_size: u32,
    /// Total unreadable sectors.
    pub bad_sectors: u64,
    /// The first unreadable sectors (at most [`VerifyReport::FIRST_BAD_MAX`]).
    pub first_bad: Vec<BadSector>,
    /// Time and read rate (of the bytes read successfully).
    #[serde(flatten)]
    pub rate: Rate,
}

impl VerifyReport {
    /// How many unreadable sectors are listed one by one.
    pub const FIRST_BAD_MAX: usize = 20;

    /// Counts an unreadable sector, listing it while the list is short.
    pub fn bad(&mut self, sector: u64, error: u32) {
        self.bad_sectors += 1;
        if self.first_bad.len() < Self::FIRST_BAD_MAX {
            self.first_bad.push(BadSector { sector, error });
        }
    }
}

impl Report for VerifyReport {
    fn text(&self) -> String {
        let mut s = format!(
            "{}: read {} in {:.2} s ({:.0} MB/s), {} unreadable sector{}",
            self.device,
            fmt_bytes(self.bytes_ok),
            self.rate.seconds,
            self.rate.mb_per_s,
            self.bad_sectors,
            if self.bad_sectors == 1 { "" } else { "s" }
        );
        for b in &self.first_bad {
            let _ = write!(s, "\n  sector {}: error {}", b.sector, b.error);
        }
        s
    }
}
