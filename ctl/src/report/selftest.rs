//! `selftest`: the table of checks and the verdict.

use std::fmt::Write as _;

use serde::Serialize;

use super::Report;
use crate::error::{EXIT_FAILED, EXIT_NOT_PROVEN};
use crate::selftest::{Check, Options, Status, exit_code};

/// `selftest`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SelftestReport {
    /// The device tested.
    pub device: String,
    /// `Windows`, or `Wine <version>`.
    pub host: String,
    /// `--format` was given.
    pub format: bool,
    /// Both halves of the identity passed (the file-system checks ran).
    pub identity_proven: bool,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// Checks passed.
    pub passed: usize,
    /// Checks failed.
    pub failed: usize,
    /// Checks not available here.
    pub not_available: usize,
    /// The process exit code: 0 all good, 1 a check failed, 6 nothing failed but the
    /// identity is not proven.
    pub exit_code: u8,
    /// The verdict in words.
    pub verdict: String,
}

impl SelftestReport {
    /// The report of a run on `o` with these `checks`.
    #[must_use]
    pub fn new(
        o: &Options,
        wine: Option<String>,
        identity_proven: bool,
        checks: Vec<Check>,
    ) -> Self {
        let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
        let (passed, failed, not_available) = (
            count(Status::Passed),
            count(Status::Failed),
            count(Status::NotAvailable),
        );
        let exit_code = exit_code(&checks, identity_proven);
        let verdict = match exit_code {
            EXIT_FAILED => format!("FAILED: {failed} check(s) failed"),
            EXIT_NOT_PROVEN => {
                "identity not proven: nothing failed, but the file-system checks could not run"
                    .into()
            }
            _ => "passed".into(),
        };
        Self {
            device: o.path.clone(),
            host: wine.map_or_else(|| "Windows".into(), |v| format!("Wine {v}")),
            format: o.format,
            identity_proven,
            checks,
            passed,
            failed,
            not_available,
            exit_code,
            verdict,
        }
    }
}

impl Report for SelftestReport {
    fn text(&self) -> String {
        let id_w = self
            .checks
            .iter()
            .map(|c| c.id.len())
            .max()
            .unwrap_or(0)
            .max(5);
        let st_w = Status::NotAvailable.text().len();
        let mut out = format!(
            "selftest of {} on {}{}\n{:id_w$}  {:st_w$}  detail\n",
            self.device,
            self.host,
            if self.format { " (--format)" } else { "" },
            "check",
            "status",
        );
        for c in &self.checks {
            let _ = writeln!(
                out,
                "{:id_w$}  {:st_w$}  {}",
                c.id,
                c.status.text(),
                c.detail
            );
        }
        let _ = write!(
            out,
            "verdict: {} ({} passed, {} failed, {} not available; exit {})",
            self.verdict, self.passed, self.failed, self.not_available, self.exit_code
        );
        out
    }
}
