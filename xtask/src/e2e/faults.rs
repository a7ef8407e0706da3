//! Fault injection: a test-only build of the driver (cargo feature
//! `fault-injection`) reads a `FaultInject` value that makes one step of
//! `DriverEntry` fail; each failure path must roll back completely. The same build's
//! test IOCTLs exercise the kernel wrappers (a dropped and a pended IRP).

use std::path::Path;

use anyhow::{Context, Result, ensure};
use ramdisk_core::ioctl::codes::{IOCTL_RAMDISK_TEST_FORGET, IOCTL_RAMDISK_TEST_PEND};

use super::{
    Env,
    bad_values::{base_params, number_before, start_must_fail, start_must_work_after},
    cleanup, no_crash, present,
    runner::{Case, Scenario, Suite},
};
use crate::wine::{PARAMS, SERVICE, Wine, win_path};
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
    Fault {
        id: "store-half-built",
        what: "the store runs out of pool half-built",
        mode: "4",
        status: "0xc000009a",
    },
];

/// The scenario's cases (they need the `fault-injection` driver, built only when one
/// of them runs).
pub fn cases(env: &Env) -> Vec<Case<'_>> {
    let fault_sys = || {
        env.fault_sys
            .as_deref()
            .context("the fault-injection driver was not built")
    };
    let mut cases: Vec<Case<'_>> = FAULTS
        .iter()
        .map(|fault| {
            Case::new(Scenario::Faults, format!("faults/{}", fault.id), move |s| {
                inject(s, fault_sys()?, fault);
                Ok(())
            })
        })
        .collect();
    cases.push(Case::new(
        Scenario::Faults,
        "faults/small-machine-memory-cap".to_string(),
        move |s| {
            small_machine(s, fault_sys()?);
            Ok(())
        },
    ));
    cases.push(Case::new(
        Scenario::Faults,
        "faults/kernel-wrappers".to_string(),
        move |s| {
            kernel_wrappers(s, fault_sys()?);
            Ok(())
        },
    ));
    cases
}

/// `ramdisk-e2e ioctl`: `(Win32 error, bytes)` of one `DeviceIoControl` on `dev`.
fn raw_ioctl(w: &Wine, dev: &str, code: u32) -> Result<(u32, u32)> {
    let out = w.e2e(&["ioctl", dev, &format!("{code:#x}")])?.check()?;
    let line = out.stdout.trim();
    let field = |key: &str| -> Result<u32> {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(key))
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("no {key} in {line:?}"))
    };
    Ok((field("error=")?, field("bytes=")?))
}

/// The kernel wrappers' hooks of the fault-injection build: an IRP dropped without
/// completing is completed with `STATUS_INTERNAL_ERROR` (Win32 1359) and logged; an IRP
/// pended and completed from a system thread succeeds. Both leave the disk working.
fn kernel_wrappers(s: &mut Suite<'_>, fault_sys: &Path) {
    s.case(
        "kernel: a dropped Irp completes with STATUS_INTERNAL_ERROR and a log line; a pended one completes from a system thread",
        |w| {
            cleanup(w);
            w.create_kernel_service(SERVICE, &win_path(fault_sys))?;
            base_params(w)?;
            w.wine(&["sc", "start", SERVICE])?.check()?;
            let mark = w.log_mark();
            let dev = r"\\.\Q:";
            let forgot = raw_ioctl(w, dev, IOCTL_RAMDISK_TEST_FORGET)?;
            let pended = raw_ioctl(w, dev, IOCTL_RAMDISK_TEST_PEND)?;
            let still = present(w, dev)?;
            let lines = w.driver_lines(mark);
            w.wine(&["sc", "stop", SERVICE])?.check()?;
            w.wine(&["sc", "delete", SERVICE])?.check()?;
            no_crash(w, mark)?;
            ensure!(
                forgot == (1359, 0),
                "dropped IRP: error {} bytes {}, want 1359 (ERROR_INTERNAL_ERROR)",
                forgot.0,
                forgot.1
            );
            ensure!(
                lines.iter().any(|l| l.contains("dropped without completing it")),
                "no log line for the dropped IRP: {lines:?}"
            );
            ensure!(
                pended == (0, 0),
                "pended IRP: error {} bytes {}, want success",
                pended.0,
                pended.1
            );
            ensure!(still, "the disk no longer reads after the test IOCTLs");
            ensure!(
                w.driver_lines(mark)
                    .iter()
                    .any(|l| l.contains("unloaded, pool balance 0")),
                "no clean unload"
            );
            Ok(format!("dropped: error {}; pended: success", forgot.0))
        },
    );
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

/// The fixed-disk cap at its boundary, on a pretend machine with 64 MiB of physical
/// memory (`FaultInject` = 5): 32 MiB + 512 bytes is refused with
/// `STATUS_INSUFFICIENT_RESOURCES` and the cap named, exactly 32 MiB loads (and logs the
/// memory it was checked against).
fn small_machine(s: &mut Suite<'_>, fault_sys: &Path) {
    let bin_path = win_path(fault_sys);
    s.case(
        "memory cap on a 64 MiB machine: 32 MiB + 512 refused, 32 MiB loads",
        |w| {
            let over = ((32u64 << 20) + 512).to_string();
            let lines = start_must_fail(
                w,
                &bin_path,
                &[
                    ("FaultInject", "REG_DWORD", "5"),
                    ("DiskSize", "REG_DWORD", &over),
                ],
            )?;
            ensure!(
                lines.iter().any(|l| l.contains(&format!(
                    "ramdisk: DiskSize: {over} bytes is more than half of the 67108864 bytes \
                     of physical memory (at most 33554432)"
                ))),
                "no memory-cap line naming the 32 MiB cap: {lines:?}"
            );
            ensure!(
                lines
                    .iter()
                    .any(|l| l.contains("DriverEntry failed with 0xc000009a")),
                "not STATUS_INSUFFICIENT_RESOURCES: {lines:?}"
            );
            let mark = w.log_mark();
            start_must_work_after(w, |w| {
                w.wine(&[
                    "reg",
                    "add",
                    PARAMS,
                    "/v",
                    "DiskSize",
                    "/t",
                    "REG_DWORD",
                    "/d",
                    "33554432",
                    "/f",
                ])?
                .check()?;
                Ok(())
            })?;
            // The disk's lines: its size and volume, then its memory and the
            // physical memory it was planned against.
            let lines = w.driver_lines(mark);
            let loaded = lines
                .iter()
                .find(|l| l.contains("33554432 bytes,"))
                .cloned()
                .unwrap_or_default();
            let memory = lines
                .iter()
                .find(|l| l.contains("physical memory"))
                .cloned()
                .unwrap_or_default();
            ensure!(
                number_before(&loaded, "bytes") == Some(33_554_432)
                    && memory.ends_with("physical memory 67108864 bytes"),
                "no load lines for 32 MiB checked against 64 MiB: {loaded:?}, {memory:?}"
            );
            Ok(loaded)
        },
    );
}
