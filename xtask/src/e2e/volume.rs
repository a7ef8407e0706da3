//! The volume contract (issue 11): registration with the mount manager, the device
//! DACL, and the mount manager's queries sent without a file object.
//!
//! Under Wine the real `\Device\MountPointManager` refuses volume arrivals
//! (`STATUS_NOT_SUPPORTED`), so the driver must fall back to its own link and say
//! so. The fault-injection build also sends the mount manager's queries to its own
//! disk in IRPs without a file object; the replies are checked here byte for byte
//! against what Microsoft's documentation specifies, computed independently of
//! ramdisk-core's encoder.

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, ensure};

use super::{
    DEVICE_NAME, Env, UNIQUE_ID,
    bad_values::base_params,
    cleanup, ctl_ok, hex, json, no_crash, present,
    runner::{Case, Scenario, Suite},
};
use crate::wine::{PARAMS, SERVICE, Wine, win_path};
use ramdisk_core::ioctl::codes::{
    IOCTL_RAMDISK_QUERY_USAGE, IOCTL_RAMDISK_TEST_FORGET, IOCTL_RAMDISK_TEST_PEND,
};

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
        Case::new(Scenario::Volume, "volume/mount-manager-double", move |s| {
            with_double(s, fault_sys()?);
            Ok(())
        }),
    ]
}

/// Creates the `ramdisk` service for `sys` with the base parameters (8 MiB on Q:)
/// and starts it; returns the log mark taken before the start.
fn start(w: &Wine, sys: &Path) -> Result<u64> {
    cleanup(w);
    w.create_kernel_service(SERVICE, &win_path(sys))?;
    base_params(w)?;
    let mark = w.log_mark();
    w.wine(&["sc", "start", SERVICE])?.check()?;
    Ok(mark)
}

/// Stops and deletes the service; returns the driver's lines since `mark` and checks
/// the unload was clean.
fn stop(w: &Wine, mark: u64) -> Result<Vec<String>> {
    w.wine(&["sc", "stop", SERVICE])?.check()?;
    w.wine(&["sc", "delete", SERVICE])?.check()?;
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

/// The double's service (a second service of the fault-injection `ramdisk.sys`,
/// copied to its own file as Windows would need).
const DOUBLE_SERVICE: &str = "RamdiskTestMountManager";
/// Its keys.
const DOUBLE_KEY: &str = r"HKLM\System\CurrentControlSet\Services\RamdiskTestMountManager";
/// Its NT device name (what the disk's `MountManagerDevice` names).
const DOUBLE_DEVICE: &str = r"\Device\RamdiskTestMountManager";
/// The link the disk of [`base_params`] must end up with.
const Q_LINK: &str = r"\DosDevices\Q:";

/// The double's copy of the fault-injection driver.
fn double_sys(fault_sys: &Path) -> Result<PathBuf> {
    let copy = fault_sys.with_file_name("ramdisk-mmdouble.sys");
    fs::copy(fault_sys, &copy).with_context(|| format!("copy to {}", copy.display()))?;
    Ok(copy)
}

/// (Re)starts the double with an empty database, or one seeded with `seed`
/// (value name, unique-ID bytes).
fn double_fresh(w: &Wine, sys: &Path, seed: &[(&str, &[u8])]) -> Result<()> {
    double_stop(w);
    w.create_kernel_service(DOUBLE_SERVICE, &win_path(sys))?;
    let params = format!(r"{DOUBLE_KEY}\Parameters");
    w.wine(&[
        "reg",
        "add",
        &params,
        "/v",
        "TestRole",
        "/t",
        "REG_SZ",
        "/d",
        "MountManagerDouble",
        "/f",
    ])?
    .check()?;
    let database = format!(r"{DOUBLE_KEY}\MountedDevices");
    let _ = w.wine(&["reg", "delete", &database, "/f"]);
    for (name, id) in seed {
        w.wine(&[
            "reg",
            "add",
            &database,
            "/v",
            name,
            "/t",
            "REG_BINARY",
            "/d",
            &hex(id),
            "/f",
        ])?
        .check()?;
    }
    w.wine(&["sc", "start", DOUBLE_SERVICE])?.check()?;
    Ok(())
}

fn double_stop(w: &Wine) {
    let _ = w.wine(&["sc", "stop", DOUBLE_SERVICE]);
    let _ = w.wine(&["sc", "delete", DOUBLE_SERVICE]);
}

/// Starts the fault-injection disk (8 MiB on Q:) registering with the double, plus
/// `extra` Parameters; returns the log mark taken before the start.
fn start_with_double(w: &Wine, fault_sys: &Path, extra: &[(&str, &str, &str)]) -> Result<u64> {
    cleanup(w);
    w.create_kernel_service(SERVICE, &win_path(fault_sys))?;
    base_params(w)?;
    for (name, kind, data) in
        std::iter::once(&("MountManagerDevice", "REG_SZ", DOUBLE_DEVICE)).chain(extra)
    {
        w.wine(&[
            "reg", "add", PARAMS, "/v", name, "/t", kind, "/d", data, "/f",
        ])?
        .check()?;
    }
    let mark = w.log_mark();
    w.wine(&["sc", "start", SERVICE])?.check()?;
    Ok(mark)
}

/// The double's transcript.
fn transcript(w: &Wine) -> Result<String> {
    Ok(w.e2e(&["mm-transcript"])?.check()?.stdout)
}

/// The points the double lists for the disk: (links, Volume{GUID} names).
fn points(w: &Wine) -> Result<(Vec<String>, Vec<String>)> {
    let out = w.e2e(&["mm-points", DEVICE_NAME])?.check()?.stdout;
    ensure!(
        out.lines().any(|l| l.starts_with("count=")),
        "mm-points: {out}"
    );
    let links: Vec<String> = out
        .lines()
        .filter_map(|l| l.strip_prefix("point link="))
        .map(|l| l.split(' ').next().unwrap_or("").to_string())
        .collect();
    let volumes = links
        .iter()
        .filter(|l| l.starts_with(r"\??\Volume{"))
        .cloned()
        .collect();
    Ok((links, volumes))
}

/// Checks that `lines` (a transcript block) contain each of `wanted`, in order.
fn in_order(text: &str, wanted: &[String]) -> Result<()> {
    let mut rest = text;
    for w in wanted {
        let at = rest
            .find(w.as_str())
            .with_context(|| format!("the transcript lacks (in order) {w:?}:\n{text}"))?;
        rest = &rest[at + w.len()..];
    }
    Ok(())
}

/// The arrival block of the transcript: from the ARRIVAL request line up to the next
/// request line.
fn arrival_block(t: &str) -> Option<String> {
    let start = t.rfind("request=IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION")?;
    let rest = &t[start..];
    let end = rest[1..].find("\nrequest=").map_or(rest.len(), |e| e + 2);
    Some(rest[..end].to_string())
}

/// What a documented registration of `\Device\Ramdisk0` on Q: looks like in the
/// double's transcript, request by request (the replies as Microsoft documents them).
fn documented_arrival() -> Vec<String> {
    let ok = "status=STATUS_SUCCESS(0x00000000)";
    let overflow = "status=STATUS_BUFFER_OVERFLOW(0x80000005)";
    let refused = "status=STATUS_INVALID_DEVICE_REQUEST(0xc0000010)";
    let name_len = 2 * DEVICE_NAME.len();
    let id_len = UNIQUE_ID.len();
    vec![
        format!(
            "request=IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION in={} out=0 {ok}",
            2 + name_len
        ),
        format!("device={DEVICE_NAME} result=registered"),
        format!("open device={DEVICE_NAME} access=read {ok}"),
        format!("ioctl=IOCTL_VOLUME_GET_GPT_ATTRIBUTES in=0 out=8 {refused} info=0"),
        format!("ioctl=IOCTL_DISK_GET_PARTITION_INFO_EX in=0 out=144 {ok} info=144 style=MBR"),
        format!(
            "ioctl=IOCTL_MOUNTDEV_QUERY_DEVICE_NAME in=0 out=4 {overflow} info=4 NameLength={name_len}"
        ),
        format!(
            "ioctl=IOCTL_MOUNTDEV_QUERY_DEVICE_NAME in=0 out={} {ok} info={} name={DEVICE_NAME}",
            2 + name_len,
            2 + name_len
        ),
        format!(
            "ioctl=IOCTL_MOUNTDEV_QUERY_UNIQUE_ID in=0 out=4 {overflow} info=4 UniqueIdLength={id_len}"
        ),
        format!(
            "ioctl=IOCTL_MOUNTDEV_QUERY_UNIQUE_ID in=0 out={} {ok} info={}",
            2 + id_len,
            2 + id_len
        ),
        format!("ioctl=IOCTL_MOUNTDEV_QUERY_STABLE_GUID in=0 out=16 {refused} info=0"),
        format!(
            "ioctl=IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME in=0 out=6 {overflow} info=6 NameLength=28"
        ),
        format!(
            "ioctl=IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME in=0 out=32 {ok} info=32 UseOnlyIfThereAreNoOtherLinks=0 name={Q_LINK}"
        ),
        format!("link name={Q_LINK} target={DEVICE_NAME} {ok}"),
        format!("open device={DEVICE_NAME} access=write {ok}"),
        "ioctl=IOCTL_MOUNTDEV_LINK_CREATED".to_string(),
        format!("ioctl=IOCTL_VOLUME_ONLINE in=0 out=0 {ok} info=0"),
        "ioctl=IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY".to_string(),
        format!("{refused} info=0"),
    ]
}

/// The volume contract against the strict mount-manager double.
#[allow(clippy::too_many_lines, reason = "a script: one check after the other")]
fn with_double(s: &mut Suite<'_>, fault_sys: &Path) {
    let sys = match double_sys(fault_sys) {
        Ok(sys) => sys,
        Err(e) => {
            s.case("volume: the double's driver file", |_| Err(e));
            return;
        }
    };
    let mut volume_guid = String::new();
    s.case(
        "volume: registration with the double: every query answered as documented, the letter owned by the double (not the fallback), QUERY_DOS_VOLUME_PATH gives Q:",
        |w| {
            double_fresh(w, &sys, &[])?;
            let mark = start_with_double(w, fault_sys, &[])?;
            let lines = w.driver_lines(mark);
            no_crash(w, mark)?;
            line_with(&lines, &format!("volume arrival accepted by {DOUBLE_DEVICE}"))?;
            line_with(&lines, "the mount manager owns drive letter(s) Q:")?;
            ensure!(
                !lines.iter().any(|l| l.contains("made the drive-letter link itself")),
                "the driver made its own link although the double owns the volume: {lines:#?}"
            );
            let t = transcript(w)?;
            let block = arrival_block(&t).context("no arrival in the transcript")?;
            in_order(&block, &documented_arrival())?;
            let (listed, volumes) = points(w)?;
            ensure!(
                listed.iter().any(|l| l == Q_LINK) && volumes.len() == 1 && listed.len() == 2,
                "the double lists {listed:?}"
            );
            volume_guid.clone_from(&volumes[0]);
            let dos = w.e2e(&["mm-dos-path", DEVICE_NAME])?.check()?.stdout;
            ensure!(dos.trim() == "path=Q:", "QUERY_DOS_VOLUME_PATH: {dos}");
            ensure!(present(w, r"\\.\Q:")?, r"\\.\Q: does not open through the double's link");
            Ok(format!("{} points: {}; {}", listed.len(), listed.join(", "), dos.trim()))
        },
    );
    s.case(
        "volume: ramdiskctl stop deletes Q: from the double (link-name form) before the service stops",
        |w| {
            let mark = w.log_mark();
            let before = transcript(w)?.len();
            let j = json(&ctl_ok(w, &["--json", "stop", "Q:"])?)?;
            let t = transcript(w)?;
            let new = t.get(before..).unwrap_or("");
            let lines = w.driver_lines(mark);
            no_crash(w, mark)?;
            ensure!(j["mount_point"] == "deleted", "mount_point: {j}");
            let delete = new
                .lines()
                .find(|l| l.starts_with("request=IOCTL_MOUNTMGR_DELETE_POINTS"))
                .context(format!("no DELETE_POINTS in the transcript: {new}"))?;
            ensure!(
                delete.contains("status=STATUS_SUCCESS") && delete.contains(Q_LINK),
                "DELETE_POINTS: {delete}"
            );
            // By the time DriverUnload ran, Q: was gone from the double.
            line_with(&lines, "unload: the mount manager lists no drive letter for the volume")?;
            line_with(&lines, "unloaded, pool balance 0")?;
            w.wine(&["sc", "delete", SERVICE])?.check()?;
            Ok(delete.to_string())
        },
    );
    s.case(
        "volume: after a restart the same unique ID has the same single Volume{GUID} and Q: again; a plain sc stop deletes Q: from DriverUnload",
        |w| {
            let mark = start_with_double(w, fault_sys, &[])?;
            let (listed, volumes) = points(w)?;
            ensure!(
                volumes == [volume_guid.clone()] && listed.iter().any(|l| l == Q_LINK),
                "after the restart the double lists {listed:?} (before: {volume_guid})"
            );
            let lines = stop(w, mark)?;
            let deleted = line_with(&lines, "unload: DELETE_POINTS Q: 0x00000000")?;
            let (listed, _) = points(w)?;
            ensure!(!listed.iter().any(|l| l == Q_LINK), "Q: is still listed: {listed:?}");
            Ok(format!("{}; {}", volumes[0], tail(deleted)))
        },
    );
    s.case(
        r"volume: a double seeded with \DosDevices\S: for our unique ID ends with Q: only",
        |w| {
            double_fresh(w, &sys, &[(r"\DosDevices\S:", UNIQUE_ID)])?;
            let mark = start_with_double(w, fault_sys, &[])?;
            let (listed, volumes) = points(w)?;
            let lines = stop(w, mark)?;
            line_with(&lines, "DELETE_POINTS S:")?;
            line_with(&lines, "CREATE_POINT Q: succeeded")?;
            ensure!(
                volumes.len() == 1 && listed.len() == 2 && listed.iter().any(|l| l == Q_LINK),
                "the double lists {listed:?}"
            );
            Ok(listed.join(", "))
        },
    );
    s.case(
        "volume: an exFAT disk registers with the double the same way: partition type 0x07 (recognized, so the device number is asked), Q: owned by the double",
        |w| {
            double_fresh(w, &sys, &[])?;
            let mark = start_with_double(w, fault_sys, &[("FileSystem", "REG_SZ", "exFAT")])?;
            let t = transcript(w);
            let (listed, volumes) = points(w)?;
            let info = json(&ctl_ok(w, &["--json", "info", "Q:"])?);
            let lines = stop(w, mark)?;
            let block = arrival_block(&t?).context("no arrival in the transcript")?;
            in_order(&block, &documented_arrival())?;
            let partition = "style=MBR type=0x07 recognized=1";
            ensure!(block.contains(partition), "the arrival lacks {partition:?}:\n{block}");
            ensure!(
                block.contains("ioctl=IOCTL_STORAGE_GET_DEVICE_NUMBER"),
                "no device-number query after a recognized partition:\n{block}"
            );
            ensure!(
                volumes.len() == 1 && listed.iter().any(|l| l == Q_LINK),
                "the double lists {listed:?}"
            );
            let info = info?;
            ensure!(info["file_system"]["type"] == "exFAT", "{info}");
            line_with(&lines, "the mount manager owns drive letter(s) Q:")?;
            Ok(format!("{partition}; {}", listed.join(", ")))
        },
    );
    s.case(
        "volume: a broken reply (FaultInject 6) makes the double reject the volume; the driver serves Q: through its own link and says so",
        |w| {
            double_fresh(w, &sys, &[])?;
            let mark = start_with_double(w, fault_sys, &[("FaultInject", "REG_DWORD", "6")])?;
            let up = present(w, r"\\.\Q:")?;
            let t = transcript(w)?;
            let lines = stop(w, mark)?;
            ensure!(up, r"\\.\Q: does not open through the fallback link");
            let rejected = line_with(
                &lines,
                "the mount manager rejected the volume (0xc0000186, STATUS_DEVICE_PROTOCOL_ERROR)",
            )?;
            ensure!(
                rejected.contains("the driver made the drive-letter link itself"),
                "{rejected}"
            );
            let block = arrival_block(&t).context("no arrival in the transcript")?;
            ensure!(
                block.lines().next().is_some_and(|l| l.contains("STATUS_DEVICE_PROTOCOL_ERROR")),
                "the double did not reject the arrival:\n{block}"
            );
            ensure!(
                block.contains("ioctl=IOCTL_MOUNTDEV_QUERY_DEVICE_NAME in=0 out=4 status=STATUS_BUFFER_OVERFLOW(0x80000005) info=2"),
                "the transcript does not show the broken reply:\n{block}"
            );
            Ok(tail(rejected).to_string())
        },
    );
    s.case(
        "volume: the driver's private IOCTLs (usage, and the fault build's test codes) are the disk's only: the double answers each with ERROR_INVALID_FUNCTION",
        |w| {
            let double = format!(r"\\.\GLOBALROOT{DOUBLE_DEVICE}");
            let mut seen = Vec::new();
            for code in [
                IOCTL_RAMDISK_QUERY_USAGE,
                IOCTL_RAMDISK_TEST_FORGET,
                IOCTL_RAMDISK_TEST_PEND,
            ] {
                let out = w
                    .e2e(&["ioctl", &double, &format!("{code:#x}"), "--out", "64"])?
                    .check()?;
                let line = out.stdout.trim().to_string();
                ensure!(
                    line == "error=1 bytes=0 out=",
                    "{code:#010x} to the double: {line}"
                );
                seen.push(format!("{code:#010x}: {line}"));
            }
            Ok(seen.join("; "))
        },
    );
    s.case("volume: the double stops cleanly", |w| {
        let mark = w.log_mark();
        w.wine(&["sc", "stop", DOUBLE_SERVICE])?.check()?;
        w.wine(&["sc", "delete", DOUBLE_SERVICE])?.check()?;
        no_crash(w, mark)?;
        let lines = w.driver_lines(mark);
        line_with(&lines, "unloaded, pool balance 0")?;
        Ok(String::new())
    });
}
