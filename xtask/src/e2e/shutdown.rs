//! `SaveOn=shutdown` (issue 16, saving item 6) under Wine, through the fault-injection
//! build's shutdown double: Wine never sends `IRP_MJ_SHUTDOWN` (its
//! `IoRegisterShutdownNotification` is a no-op), so `IOCTL_RAMDISK_TEST_SHUTDOWN` on
//! the control device plays the I/O manager's part — an `IRP_MJ_SHUTDOWN` built with
//! `IoBuildSynchronousFsdRequest` to every device the driver registered, each waited
//! for — and replies how many it sent to and their statuses.
//!
//! - `shutdown/saves-registered`: disk 0 (`ImageFile` + `SaveOn=shutdown` in
//!   `Parameters`) and a `ramdiskctl create --save-on shutdown` disk are saved by the
//!   test shutdown (the image files hold the change: `fsck.fat -n` clean, `mcopy`
//!   gives the new file back; the log has the "consistent" line and the save line);
//!   a `SaveOn=stop` and a `SaveOn=never` disk alongside are not sent one (their
//!   images' SHA-256 unchanged: registration is per setting); after `ramdiskctl
//!   remove` of the created disk the double sends to one device fewer, and a second
//!   shutdown request to disk 0 saves nothing again; `sc stop` leaves pool balance 0;
//! - `shutdown/save-fails`: a shutdown save into a full tmpfs logs the failure, the
//!   IRP still completes with success, the previous image is byte-identical and no
//!   `.new` is left; the disk still removes and the driver stops with pool balance 0.
//!
//! What this cannot show (Windows only, the README's VM plan): under Wine
//! `FSCTL_LOCK_VOLUME` never reaches a driver (ntdll answers it with success), so the
//! log says "consistent" without a file system having flushed anything, and
//! `FSCTL_DISMOUNT_VOLUME` reaches the disk itself as a device control it refuses;
//! a refused lock, a real dismount, and the real shutdown ordering need Windows.

use std::{fs, path::Path};

use anyhow::{Context, Result, ensure};
use ramdisk_core::ioctl::codes::IOCTL_RAMDISK_TEST_SHUTDOWN;

use super::{
    Config, Env, cleanup, ctl_ok,
    dynamic::noise,
    persist::{
        FullImage, changed_copy, create, dir, make_image, remove, save_line, sha256, start_driver,
        stop,
    },
    runner::{Case, Scenario, Suite},
};
use crate::wine::{Wine, win_path};

const MIB: u64 = 1 << 20;

/// The scenario's cases (the fault-injection driver).
pub fn cases(env: &Env) -> Vec<Case<'_>> {
    let fault_sys = move || {
        env.fault_sys
            .as_deref()
            .context("the fault-injection driver was not built")
    };
    vec![
        Case::new(Scenario::Shutdown, "shutdown/saves-registered", move |s| {
            saves_registered(s, fault_sys()?);
            Ok(())
        }),
        Case::new(Scenario::Shutdown, "shutdown/save-fails", move |s| {
            save_fails(s, fault_sys()?);
            Ok(())
        }),
    ]
}

/// What the test shutdown replied: the devices it sent `IRP_MJ_SHUTDOWN` to, and
/// each one's final status.
#[derive(Debug)]
struct Sent {
    statuses: Vec<u32>,
}

/// `IOCTL_RAMDISK_TEST_SHUTDOWN` on the control device (through the e2e client).
fn test_shutdown(w: &Wine) -> Result<Sent> {
    let out = w
        .e2e(&[
            "ioctl",
            r"\\.\RamdiskControl",
            &format!("{IOCTL_RAMDISK_TEST_SHUTDOWN:#x}"),
            "--out",
            "68",
        ])?
        .check()?;
    let line = out.stdout.trim();
    let field = |key: &str| -> Result<&str> {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(key))
            .with_context(|| format!("no {key} in {line:?}"))
    };
    ensure!(
        field("error=")? == "0" && field("bytes=")? == "68",
        "the test shutdown failed: {line}"
    );
    let hex = field("out=")?;
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<_, _>>()
        .with_context(|| format!("bad reply bytes {hex:?}"))?;
    ensure!(bytes.len() == 68, "reply of {} bytes: {line}", bytes.len());
    let word = |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let sent = word(0) as usize;
    ensure!(sent <= 16, "reply says {sent} devices");
    let statuses: Vec<u32> = (0..sent).map(|k| word(4 + 4 * k)).collect();
    ensure!(
        (sent..16).all(|k| word(4 + 4 * k) == 0),
        "statuses past the devices sent to are not zero: {hex}"
    );
    Ok(Sent { statuses })
}

/// The driver lines since `mark` that carry `letter`'s prefix and contain `text`.
fn disk_lines(w: &Wine, mark: u64, letter: char, text: &str) -> Vec<String> {
    let prefix = format!("ramdisk[{letter}:]");
    w.driver_lines(mark)
        .into_iter()
        .filter(|l| l.contains(&prefix) && l.contains(text))
        .collect()
}

/// `img` holds `changed` byte for byte, `fsck.fat -n` finds it clean, and `mcopy`
/// gives `new.txt` back as `changed_copy` wrote it with `seed`.
fn saved_change(w: &Wine, img: &Path, changed: &Path, seed: u64) -> Result<()> {
    ensure!(
        fs::read(img)? == fs::read(changed)?,
        "{} is not the disk's data",
        img.display()
    );
    let fsck = w.host("fsck.fat", &["-n", &img.display().to_string()])?;
    ensure!(fsck.ok(), "fsck.fat -n {}: {}", img.display(), fsck.text());
    let back = img.with_extension("back");
    let _ = fs::remove_file(&back);
    let got = w.host(
        "mcopy",
        &[
            "-i",
            &img.display().to_string(),
            "::/new.txt",
            &back.display().to_string(),
        ],
    )?;
    ensure!(got.ok(), "mcopy from {}: {}", img.display(), got.text());
    ensure!(
        fs::read(&back)? == noise(seed, 12_345),
        "new.txt in {} differs",
        img.display()
    );
    Ok(())
}

/// An image and its changed copy (`new.txt` with `seed`) in `d`.
fn image_pair(
    w: &Wine,
    d: &Path,
    name: &str,
    seed: u64,
) -> Result<(std::path::PathBuf, std::path::PathBuf)> {
    let img = d.join(format!("{name}.img"));
    make_image(
        w,
        &img,
        16 * MIB,
        Some("16"),
        &d.join(format!("{name}-tree")),
    )?;
    let changed = d.join(format!("{name}-changed.img"));
    changed_copy(w, &img, &changed, seed)?;
    Ok((img, changed))
}

#[allow(clippy::too_many_lines, reason = "a script: one check after the other")]
fn saves_registered(s: &mut Suite<'_>, fault_sys: &Path) {
    s.case(
        "SaveOn=shutdown: the test shutdown saves the registry disk and a created one (fsck.fat -n, mcopy), not the stop and never disks; after a remove it sends to one device fewer",
        |w| {
            let d = dir(w, "shutdown")?;
            let (q_img, q_changed) = image_pair(w, &d, "q", 21)?;
            let (r_img, r_changed) = image_pair(w, &d, "r", 22)?;
            let (s_img, s_changed) = image_pair(w, &d, "s", 23)?;
            let (t_img, t_changed) = image_pair(w, &d, "t", 24)?;
            cleanup(w);
            let mut args = Config::new(16 * MIB, 'Q').install_args(fault_sys);
            args.extend([
                "--image".into(),
                win_path(&q_img),
                "--save-on".into(),
                "shutdown".into(),
            ]);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            ctl_ok(w, &refs)?;
            let mark = w.log_mark();
            ctl_ok(w, &["start", "--no-broadcast"])?;
            for (img, letter, save_on) in [
                (&r_img, "R", "shutdown"),
                (&s_img, "S", "stop"),
                (&t_img, "T", "never"),
            ] {
                create(w, &win_path(img), 16 * MIB, &["--letter", letter, "--save-on", save_on])?
                    .check()?;
            }
            for letter in ['Q', 'R'] {
                ensure!(
                    !disk_lines(w, mark, letter, "registered for IRP_MJ_SHUTDOWN").is_empty(),
                    "{letter}: no registration line"
                );
            }
            for letter in ['S', 'T'] {
                ensure!(
                    disk_lines(w, mark, letter, "registered for IRP_MJ_SHUTDOWN").is_empty(),
                    "{letter}: registered, but its SaveOn is not shutdown"
                );
            }
            for (changed, letter) in [
                (&q_changed, 'Q'),
                (&r_changed, 'R'),
                (&s_changed, 'S'),
                (&t_changed, 'T'),
            ] {
                ctl_ok(w, &["load", &win_path(changed), &format!(r"\\.\{letter}:")])?;
            }
            let (q_before, s_before, t_before) = (sha256(w, &q_img)?, sha256(w, &s_img)?, sha256(w, &t_img)?);
            let shut = w.log_mark();
            let sent = test_shutdown(w)?;
            ensure!(
                sent.statuses == [0, 0],
                "the double sent to {:?} (want two devices, both STATUS_SUCCESS)",
                sent.statuses
            );
            ensure!(sha256(w, &q_img)? != q_before, "disk 0's image did not change");
            saved_change(w, &q_img, &q_changed, 21)?;
            saved_change(w, &r_img, &r_changed, 22)?;
            ensure!(sha256(w, &s_img)? == s_before, "the SaveOn=stop disk was saved at shutdown");
            ensure!(sha256(w, &t_img)? == t_before, "the SaveOn=never disk was saved at shutdown");
            for letter in ['Q', 'R'] {
                let lock = disk_lines(w, shut, letter, "IRP_MJ_SHUTDOWN: saving");
                ensure!(
                    lock.len() == 1 && lock[0].contains(": consistent ("),
                    "{letter}: want one \"IRP_MJ_SHUTDOWN: saving …: consistent\" line, got {lock:?}"
                );
                ensure!(
                    disk_lines(w, shut, letter, "MB/s").len() == 1,
                    "{letter}: no save line"
                );
                ensure!(
                    disk_lines(w, shut, letter, "IRP_MJ_SHUTDOWN: the image is saved").len() == 1,
                    "{letter}: no \"the image is saved\" line"
                );
            }
            for letter in ['S', 'T'] {
                ensure!(
                    disk_lines(w, shut, letter, "IRP_MJ_SHUTDOWN").is_empty(),
                    "{letter}: shutdown lines for a disk that is not SaveOn=shutdown"
                );
            }
            let line = save_line(w, shut)?;
            ensure!(!d.join("q.img.new").exists() && !d.join("r.img.new").exists(), "a .new is left behind");
            // Unregistered at remove: one device fewer; disk 0 saved once per shutdown.
            remove(w, "R:", shut)?;
            let q_saved = sha256(w, &q_img)?;
            let again = w.log_mark();
            let second = test_shutdown(w)?;
            ensure!(
                second.statuses == [0],
                "after the remove the double sent to {:?} (want one device)",
                second.statuses
            );
            ensure!(
                disk_lines(w, again, 'Q', "IRP_MJ_SHUTDOWN: saving").is_empty(),
                "disk 0 saved twice in one shutdown"
            );
            ensure!(sha256(w, &q_img)? == q_saved, "disk 0's image changed at the second request");
            stop(w)?;
            Ok(format!(
                "2 devices, then 1; {}",
                line.split_once("saved ").map_or(line.as_str(), |(_, r)| r)
            ))
        },
    );
}

fn save_fails(s: &mut Suite<'_>, fault_sys: &Path) {
    s.case(
        "SaveOn=shutdown into a full tmpfs: the failure is logged, the shutdown IRP still succeeds, the image's SHA-256 unchanged, no .new left; sc stop: pool balance 0",
        |w| {
            let full = FullImage::new(w, "shutdown-full", 25)?;
            let (img, changed) = (&full.img, &full.changed);
            start_driver(w, fault_sys)?;
            let before = sha256(w, img)?;
            let mark = w.log_mark();
            create(w, &win_path(img), 8 * MIB, &["--letter", "R", "--save-on", "shutdown"])?.check()?;
            ctl_ok(w, &["load", &win_path(changed), r"\\.\R:"])?;
            let sent = test_shutdown(w)?;
            ensure!(
                sent.statuses == [0],
                "the double sent to {:?} (want the one registered disk, STATUS_SUCCESS)",
                sent.statuses
            );
            let failed = disk_lines(w, mark, 'R', "failed, the file is left as it was");
            ensure!(
                failed.len() == 1 && failed[0].contains("STATUS_DISK_FULL"),
                "want one STATUS_DISK_FULL failure line, got {failed:?}"
            );
            ensure!(
                disk_lines(w, mark, 'R', "IRP_MJ_SHUTDOWN: the save failed (STATUS_DISK_FULL)").len() == 1,
                "no \"IRP_MJ_SHUTDOWN: the save failed\" line"
            );
            ensure!(sha256(w, img)? == before, "the image's SHA-256 changed");
            ensure!(
                !img.with_file_name("disk.img.new").exists(),
                "disk.img.new is left behind"
            );
            remove(w, "R:", mark)?;
            ensure!(sha256(w, img)? == before, "the image changed at the remove");
            stop(w)?;
            Ok(failed[0]
                .split_once("left as it was: ")
                .map_or_else(|| failed[0].clone(), |(_, r)| r.to_string()))
        },
    );
}
