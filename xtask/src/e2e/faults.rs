//! Fault injection: a test-only build of the driver (cargo feature
//! `fault-injection`) reads a `FaultInject` value that makes one step of
//! `DriverEntry` fail; each failure path must roll back completely.

use std::path::Path;

use anyhow::{Context, ensure};

use super::{
    Env,
    bad_values::{start_must_fail, start_must_work_after},
    runner::{Case, Scenario, Suite},
};
use crate::wine::{PARAMS, win_path};
/// One fault-injection case: `FaultInject` makes one step of `DriverEntry` fail.
struct Fault {
    /// The case id below `faults/`.
    id: &'static str,
    what: &'static str,
    mode: &'static str,
    /// The status `DriverEntry` must fail with, as the driver logs it.
    status: &'static str,
}

const FAULTS: &[Fault] = &[
    Fault {
        id: "image-allocation",
        what: "image allocation fails",
        mode: "1",
        status: "0xc000009a",
    },
    Fault {
        id: "iocreatedevice",
        what: "IoCreateDevice fails",
        mode: "2",
        status: "0xc000009a",
    },
    Fault {
        id: "iocreatesymboliclink",
        what: "IoCreateSymbolicLink collides",
        mode: "3",
        status: "0xc0000035",
    },
];

/// The scenario's cases (they need the `fault-injection` driver, built only when one
/// of them runs).
pub fn cases(env: &Env) -> Vec<Case<'_>> {
    FAULTS
        .iter()
        .map(|fault| {
            Case::new(Scenario::Faults, format!("faults/{}", fault.id), |s| {
                let sys = env
                    .fault_sys
                    .as_deref()
                    .context("the fault-injection driver was not built")?;
                inject(s, sys, fault);
                Ok(())
            })
        })
        .collect()
}

/// Fault injection with the `fault-injection` driver: the failure path of
/// `DriverEntry` fails `sc start` with its status, leaks no pool (the driver logs its
/// allocation balance), leaves no device or link behind, and the next start works.
fn inject(s: &mut Suite<'_>, fault_sys: &Path, fault: &Fault) {
    let bin_path = win_path(fault_sys);
    s.case(
        &format!(
            "fault: {}: start fails with {}, pool balance 0, nothing left, next start works",
            fault.what, fault.status
        ),
        |w| {
            let lines = start_must_fail(w, &bin_path, &[("FaultInject", "REG_DWORD", fault.mode)])?;
            let failed = lines
                .iter()
                .find(|l| l.contains("DriverEntry failed with"))
                .cloned()
                .unwrap_or_default();
            ensure!(failed.contains(fault.status), "wrong status: {failed}");
            start_must_work_after(w, |w| {
                w.wine(&["reg", "delete", PARAMS, "/v", "FaultInject", "/f"])?
                    .check()?;
                Ok(())
            })?;
            Ok(failed)
        },
    );
}
