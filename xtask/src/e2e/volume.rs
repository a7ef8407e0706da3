//! The volume contract (issue 11): registration with the mount manager, the device
//! DACL, and the mount manager's queries sent without a file object.
//!
//! Under Wine the real `\Device\MountPointManager` refuses volume arrivals
//! (`STATUS_NOT_SUPPORTED`), so the driver must fall back to its own link and say
//! so. The fault-injection build also sends the mount manager's queries to its own
//! disk in IRPs without a file object; the replies are checked here byte for byte
//! against what Microsoft's documentation specifies, computed independently of
//! ramdisk-core's encoder.

use std::path::Path;

use anyhow::{Context, Result, ensure};

use super::{
    DEVICE_NAME, Env, UNIQUE_ID,
    bad_values::base_params,
    cleanup, hex, no_crash, present,
    runner::{Case, Scenario, Suite},
};
use crate::wine::{Wine, win_path};

/// The DACL the driver must read back from its device (issue 11 item 6), as SDDL.
const DISK_DACL_SDDL: &str = "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GX;;;WD)";

/// The scenario's cases.
pub fn cases(env: &Env) -> Vec<Case<'_>> {
    let fault_sys = || {
        env.fault_sys
            .as_deref()
            .context("the fault-injection driver was not built")
    };
    vec![
        Case::new(Scenario::Volume, "volume/wine-mount-manager", move |s| {
            wine_mount_manager(s, &env.sys);
            Ok(())
        }),
        Case::new(Scenario::Volume, "volume/null-file-object", move |s| {
            null_file_object(s, fault_sys()?);
            Ok(())
        }),
    ]
}

/// Creates the `ramdisk` service for `sys` with the base parameters (8 MiB on Q:)
/// and starts it; returns the log mark taken before the start.
fn start(w: &Wine, sys: &Path) -> Result<u64> {
    cleanup(w);
    w.wine(&[
        "sc",
        "create",
        "ramdisk",
        "type=",
        "kernel",
        "start=",
        "demand",
        "binPath=",
        &win_path(sys),
    ])?
    .check()?;
    base_params(w)?;
    let mark = w.log_mark();
    w.wine(&["sc", "start", "ramdisk"])?.check()?;
    Ok(mark)
}

/// Stops and deletes the service; returns the driver's lines since `mark` and checks
/// the unload was clean.
fn stop(w: &Wine, mark: u64) -> Result<Vec<String>> {
    w.wine(&["sc", "stop", "ramdisk"])?.check()?;
    w.wine(&["sc", "delete", "ramdisk"])?.check()?;
    no_crash(w, mark)?;
    let lines = w.driver_lines(mark);
    ensure!(
        lines.iter().any(|l| l.contains("unloaded, pool balance 0")),
        "no clean unload: {lines:?}"
    );
    Ok(lines)
}

/// The first line containing `needle`, or an error showing the lines.
fn line_with<'a>(lines: &'a [String], needle: &str) -> Result<&'a str> {
    lines
        .iter()
        .find(|l| l.contains(needle))
        .map(String::as_str)
        .with_context(|| format!("no driver line contains {needle:?}; the driver said: {lines:#?}"))
}

/// Wine's own mount manager: the arrival is refused with `STATUS_NOT_SUPPORTED`, the
/// driver makes its own link and says why, the device DACL reads back as specified,
/// and at unload the driver asks the mount manager for the device's letters (none).
fn wine_mount_manager(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "volume: Wine's mount manager refuses the arrival (STATUS_NOT_SUPPORTED), the driver makes its own link and logs why; the device DACL reads back as specified",
        |w| {
            let mark = start(w, sys)?;
            let up = present(w, r"\\.\Q:")?;
            let lines = stop(w, mark)?;
            ensure!(up, r"\\.\Q: does not open through the driver's own link");
            let fallback = line_with(
                &lines,
                "the mount manager does not take volume arrivals (0xc00000bb, STATUS_NOT_SUPPORTED",
            )?;
            ensure!(
                fallback.contains("the driver made the drive-letter link itself"),
                "the fallback line does not say the link was made: {fallback}"
            );
            let dacl = line_with(&lines, "device DACL ")?;
            ensure!(
                dacl.trim_end().ends_with(&format!("device DACL {DISK_DACL_SDDL}")),
                "the DACL read back is not {DISK_DACL_SDDL}: {dacl}"
            );
            line_with(&lines, "unload: the mount manager lists no drive letter for the volume")?;
            Ok(format!("{}; {}", tail(fallback), tail(dacl)))
        },
    );
}

/// What follows the `ramdisk[Q:]: ` prefix of a driver line.
fn tail(line: &str) -> &str {
    line.split_once("]: ").map_or(line, |(_, t)| t).trim_end()
}

/// UTF-16LE hex of `text`.
fn utf16_hex(text: &str) -> String {
    hex(&text
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect::<Vec<u8>>())
}

/// `(IOCTL name, output length, status, Information, reply bytes as hex)` the
/// mount manager's queries must get from the disk `\Device\Ramdisk0` on Q:, as
/// Microsoft documents them.
fn expected_self_queries() -> Vec<(&'static str, usize, &'static str, usize, String)> {
    let name = utf16_hex(DEVICE_NAME);
    let name_len = DEVICE_NAME.len() * 2;
    let id_len = UNIQUE_ID.len();
    let link = utf16_hex(r"\DosDevices\Q:");
    let le16 = |n: usize| hex(&u16::try_from(n).unwrap_or(0).to_le_bytes());
    let overflow = "0x80000005 (STATUS_BUFFER_OVERFLOW)";
    let success = "0x00000000 (STATUS_SUCCESS)";
    vec![
        // A bare MOUNTDEV_NAME: the length, then as much of the name as fits.
        (
            "IOCTL_MOUNTDEV_QUERY_DEVICE_NAME",
            4,
            overflow,
            4,
            format!("{}{}", le16(name_len), &name[..4]),
        ),
        (
            "IOCTL_MOUNTDEV_QUERY_DEVICE_NAME",
            256,
            success,
            2 + name_len,
            format!("{}{name}", le16(name_len)),
        ),
        (
            "IOCTL_MOUNTDEV_QUERY_UNIQUE_ID",
            4,
            overflow,
            4,
            format!("{}{}", le16(id_len), hex(&UNIQUE_ID[..2])),
        ),
        (
            "IOCTL_MOUNTDEV_QUERY_UNIQUE_ID",
            256,
            success,
            2 + id_len,
            format!("{}{}", le16(id_len), hex(UNIQUE_ID)),
        ),
        // MOUNTDEV_SUGGESTED_LINK_NAME: UseOnlyIfThereAreNoOtherLinks FALSE, pad,
        // NameLength 28, the name; 6 bytes is sizeof(MOUNTDEV_SUGGESTED_LINK_NAME).
        (
            "IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME",
            6,
            overflow,
            6,
            format!("0000{}{}", le16(28), &link[..4]),
        ),
        (
            "IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME",
            256,
            success,
            32,
            format!("0000{}{link}", le16(28)),
        ),
        (
            "IOCTL_MOUNTDEV_QUERY_STABLE_GUID",
            16,
            "0xc0000010 (STATUS_INVALID_DEVICE_REQUEST)",
            0,
            String::new(),
        ),
        ("IOCTL_VOLUME_IS_DYNAMIC", 1, success, 1, "00".into()),
    ]
}

/// The fault-injection build sends the mount manager's queries to its own disk in IRPs
/// built without a file object; each reply is the documented one, and the disk saw
/// each of them without a file object.
fn null_file_object(s: &mut Suite<'_>, fault_sys: &Path) {
    s.case(
        "volume: the mount manager's queries sent without a file object (IoBuildDeviceIoControlRequest) are answered as documented",
        |w| {
            let mark = start(w, fault_sys)?;
            let lines = stop(w, mark)?;
            let expected = expected_self_queries();
            for (name, out, status, information, bytes) in &expected {
                let want = format!(
                    "self-query {name} out={out}: {status} information={information} bytes={bytes}"
                );
                line_with(&lines, &want)?;
                let seen = format!(
                    "{name} without a file object: {} {information} bytes",
                    status.replace(')', "),")
                );
                line_with(&lines, &seen)?;
            }
            Ok(format!("{} queries, each reply as documented", expected.len()))
        },
    );
}
