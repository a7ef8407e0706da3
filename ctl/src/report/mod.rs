//! Results of the subcommands: one serde-derived struct per command, printed as text
//! for people or, with `--json`, as one JSON object for scripts.
//!
//! Both forms come from the same struct: its fields *are* the JSON keys (pinned by
//! the golden files in `ctl/tests/golden/`), and [`Report::text`] renders those same
//! fields. Pure data: the Windows code fills these in, the host tests check both forms.

mod bench;
mod disks;
mod info;
mod save;
mod selftest;
mod service;
mod transfer;
mod trim;
mod verify;

#[cfg(test)]
mod tests;

pub use bench::{BenchReport, BenchRow, WriteRange};
pub use disks::{CreateReport, ListReport, RemoveReport};
pub use info::{
    Fact, FileSystem, Geometry, InfoReport, Partition, Usage, media_type_name, partition_style_name,
};
pub use save::SaveReport;
pub use selftest::SelftestReport;
pub use service::{InstallReport, StartReport, StopReport, UninstallReport};
pub use transfer::{DumpReport, LoadReport, Transfer};
pub use trim::{TrimMode, TrimReport};
pub use verify::{BadSector, VerifyReport};

use serde::Serialize;

use crate::units::{mb_per_s, per_s};

/// A command's result.
pub trait Report: Serialize {
    /// The text for people (may span lines; empty prints nothing).
    fn text(&self) -> String;

    /// The JSON object for `--json`. Keys come out sorted (`serde_json`'s map), as the
    /// tool has always printed them.
    fn json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_else(
            |e| serde_json::json!({ "error": format!("cannot encode the report: {e}") }),
        )
    }
}

/// What to print on stdout for `report`: its JSON line, or its text (`None` when the
/// text is empty).
#[must_use]
pub fn render(report: &impl Report, json: bool) -> Option<String> {
    if json {
        Some(report.json().to_string())
    } else {
        Some(report.text()).filter(|t| !t.is_empty())
    }
}

/// Seconds taken and the rate they give (flattened into the reports that move data).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Rate {
    /// Seconds.
    pub seconds: f64,
    /// Decimal megabytes per second.
    pub mb_per_s: f64,
}

impl Rate {
    /// The rate of `bytes` moved in `secs` seconds.
    #[must_use]
    pub fn new(bytes: u64, secs: f64) -> Self {
        Self {
            seconds: secs,
            mb_per_s: mb_per_s(bytes, secs),
        }
    }

    /// Operations per second for `ops` operations in the same time.
    #[must_use]
    pub fn per_s(&self, ops: u64) -> f64 {
        per_s(ops, self.seconds)
    }
}
