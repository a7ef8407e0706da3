//! The suite's own small runner: named cases, a substring filter, one tally.
//!
//! Why not libtest-mimic: its trials are independent, each has one outcome, and by
//! default they run on parallel threads. Ours share one Wine session (a single
//! `wineserver` and one winedevice.exe that runs one IRP at a time), must run one
//! after the other in a fixed order, and each records many checks (a matrix entry
//! has four, the lifecycle dozens, the `ramdisk-e2e` contract client's lines count one
//! by one) with the driver's log lines printed under a failing check. That is the ~100
//! lines below; the suite still ends with the single `N passed, N failed` line.

use anyhow::{Result, anyhow, bail};

use crate::wine::{Out, Wine};

/// The scenarios, in the order they run (one file each under `xtask/src/e2e/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// `lifecycle.rs`.
    Lifecycle,
    /// `matrix.rs`.
    Matrix,
    /// `bad_values.rs`.
    BadValues,
    /// `faults.rs`.
    Faults,
    /// `exfat.rs`.
    Exfat,
    /// `volume.rs`.
    Volume,
    /// `many.rs`.
    Many,
    /// `selftest.rs`.
    Selftest,
    /// `dynamic.rs`.
    Dynamic,
    /// `persist.rs`.
    Persist,
    /// `persist_faults.rs`.
    PersistFaults,
    /// `shutdown.rs`.
    Shutdown,
}

impl Scenario {
    /// The name in the times line.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Lifecycle => "lifecycle",
            Self::Matrix => "matrix",
            Self::BadValues => "bad values",
            Self::Faults => "fault injection",
            Self::Exfat => "exFAT",
            Self::Volume => "volume contract",
            Self::Many => "many disks",
            Self::Selftest => "selftest",
            Self::Dynamic => "dynamic",
            Self::Persist => "persistence",
            Self::PersistFaults => "persistence faults",
            Self::Shutdown => "shutdown",
        }
    }
}

/// The body of a case: records its checks into the suite.
pub type Body<'e> = Box<dyn Fn(&mut Suite<'_>) -> Result<()> + 'e>;

/// One selectable case: `scenario/name`, self-contained (it sets up and cleans up
/// what it needs), recording one or more checks.
pub struct Case<'e> {
    /// `lifecycle/install-to-uninstall`, `matrix/03-16mib-fat16-q`, ...
    pub id: String,
    /// Its scenario.
    pub scenario: Scenario,
    /// What it does.
    pub body: Body<'e>,
}

impl<'e> Case<'e> {
    /// A case of `scenario` named `id`.
    pub fn new(
        scenario: Scenario,
        id: impl Into<String>,
        body: impl Fn(&mut Suite<'_>) -> Result<()> + 'e,
    ) -> Self {
        Self {
            id: id.into(),
            scenario,
            body: Box::new(body),
        }
    }
}

/// `--case` patterns: a case runs when its id contains any of them (plain substring,
/// case-sensitive, like `cargo test`'s filter); no pattern runs everything.
#[derive(Clone, Debug, Default)]
pub struct Filter(pub Vec<String>);

impl Filter {
    /// Every case.
    pub const fn all() -> Self {
        Self(Vec::new())
    }

    /// Whether the case `id` runs.
    pub fn matches(&self, id: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|p| id.contains(p.as_str()))
    }

    /// The cases that run, in order; an error listing every id when none does.
    pub fn select<'e>(&self, cases: Vec<Case<'e>>) -> Result<Vec<Case<'e>>> {
        let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
        let chosen: Vec<Case<'e>> = cases.into_iter().filter(|c| self.matches(&c.id)).collect();
        if chosen.is_empty() {
            bail!(
                "no case matches --case {}; the cases are:\n  {}",
                self.0.join(" --case "),
                ids.join("\n  ")
            );
        }
        Ok(chosen)
    }
}

/// The suite's bookkeeping: every check of every case counts once.
pub struct Suite<'a> {
    /// The Wine session all cases share.
    pub wine: &'a Wine,
    passed: u32,
    failed: u32,
    failures: Vec<String>,
}

impl<'a> Suite<'a> {
    /// An empty tally over `wine`.
    pub const fn new(wine: &'a Wine) -> Self {
        Self {
            wine,
            passed: 0,
            failed: 0,
            failures: Vec::new(),
        }
    }

    fn record(&mut self, name: &str, result: Result<String>, mark: u64) {
        match result {
            Ok(note) => {
                self.passed += 1;
                if note.is_empty() {
                    println!("PASS {name}");
                } else {
                    println!("PASS {name} ({note})");
                }
            }
            Err(e) => {
                self.failed += 1;
                self.failures.push(name.to_string());
                println!("FAIL {name}: {e:#}");
                let lines = self.wine.driver_lines(mark);
                if !lines.is_empty() {
                    println!("     driver log since the case started:");
                    for l in lines.iter().rev().take(30).rev() {
                        println!("       {l}");
                    }
                }
                for l in self.wine.crash_lines(mark).iter().take(10) {
                    println!("       {l}");
                }
            }
        }
    }

    /// Runs one check and records it.
    pub fn case(&mut self, name: &str, f: impl FnOnce(&Wine) -> Result<String>) -> bool {
        let mark = self.wine.log_mark();
        let r = f(self.wine);
        let ok = r.is_ok();
        self.record(name, r, mark);
        ok
    }

    /// Counts the PASS/FAIL lines of a `ramdisk-e2e` run as checks of their own.
    pub fn absorb(&mut self, prefix: &str, out: &Result<Out>, mark: u64) {
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                self.record(prefix, Err(anyhow!("{e:#}")), mark);
                return;
            }
        };
        let mut seen = 0;
        for line in out.stdout.lines() {
            if let Some(rest) = line.strip_prefix("PASS ") {
                seen += 1;
                self.record(&format!("{prefix}: {rest}"), Ok(String::new()), mark);
            } else if let Some(rest) = line.strip_prefix("FAIL ") {
                seen += 1;
                let (name, why) = rest.split_once(": ").unwrap_or((rest, ""));
                self.record(&format!("{prefix}: {name}"), Err(anyhow!("{why}")), mark);
            }
        }
        if seen == 0 || (!out.ok() && !out.stdout.contains("FAIL ")) {
            self.record(
                prefix,
                Err(anyhow!(
                    "`{}` exited with {}:\n{}",
                    out.shown,
                    out.code,
                    out.text()
                )),
                mark,
            );
        }
    }
}

impl Suite<'_> {
    /// Checks passed so far.
    pub const fn passed(&self) -> u32 {
        self.passed
    }

    /// Checks failed so far.
    pub const fn failed(&self) -> u32 {
        self.failed
    }

    /// The names of the failed checks.
    pub fn failures(&self) -> &[String] {
        &self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cases() -> Vec<Case<'static>> {
        [
            "lifecycle/install-to-uninstall",
            "lifecycle/start-stop-cycles",
            "matrix/00-1mib-auto-r",
            "bad-values/disksize-0",
        ]
        .into_iter()
        .map(|id| Case::new(Scenario::Matrix, id, |_| Ok(())))
        .collect()
    }

    fn ids(f: &Filter) -> Vec<String> {
        f.select(cases())
            .map(|c| c.into_iter().map(|c| c.id).collect())
            .unwrap_or_default()
    }

    #[test]
    fn substring_filter() {
        assert_eq!(ids(&Filter::all()).len(), 4);
        assert_eq!(
            ids(&Filter(vec!["lifecycle".into()])),
            [
                "lifecycle/install-to-uninstall",
                "lifecycle/start-stop-cycles"
            ]
        );
        assert_eq!(
            ids(&Filter(vec!["cycles".into(), "disksize".into()])),
            ["lifecycle/start-stop-cycles", "bad-values/disksize-0"]
        );
        assert_eq!(
            ids(&Filter(vec!["matrix/00-1mib-auto-r".into()])),
            ["matrix/00-1mib-auto-r"]
        );
        let e = Filter(vec!["Lifecycle".into()])
            .select(cases())
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("no case matches --case Lifecycle")
                && e.contains("\n  bad-values/disksize-0"),
            "{e}"
        );
    }
}
