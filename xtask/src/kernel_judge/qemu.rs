//! One QEMU boot (TCG): the kernel, the initramfs and every image as a virtio disk.
//! The serial console goes to a file and QEMU's own output to files (never a pipe);
//! a boot that does not power off in time is killed.

use std::{
    fs,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, Result};

use super::{guest::Disk, kit::Kit};

/// The QEMU binary (Debian's `qemu-system-x86`).
pub const QEMU: &str = "qemu-system-x86_64";

/// How a boot ended.
#[derive(Debug)]
pub struct Boot {
    /// The serial console's text.
    pub console: String,
    /// Wall time.
    pub secs: f64,
    /// Killed after the timeout.
    pub timed_out: bool,
    /// QEMU's exit code (when it exited by itself).
    pub exit: Option<i32>,
    /// QEMU's standard error.
    pub stderr: String,
}

/// `-drive` takes `,` as a separator: a literal comma is written twice.
fn drive_path(p: &Path) -> String {
    p.display().to_string().replace(',', ",,")
}

/// The QEMU command line.
pub fn command(kit: &Kit, initramfs: &Path, console: &Path, disks: &[Disk<'_>]) -> Command {
    let mut c = Command::new(QEMU);
    c.args(["-accel", "tcg", "-machine", "pc", "-m", "512M", "-smp", "1"])
        .args([
            "-nodefaults",
            "-no-user-config",
            "-display",
            "none",
            "-no-reboot",
        ])
        .arg("-serial")
        .arg(format!("file:{}", console.display()))
        .arg("-kernel")
        .arg(&kit.vmlinuz)
        .arg("-initrd")
        .arg(initramfs)
        .args([
            "-append",
            "console=ttyS0 quiet panic=-1 rdinit=/init mitigations=off",
        ]);
    for (i, d) in disks.iter().enumerate() {
        c.arg("-drive").arg(format!(
            "file={},format=raw,if=none,id=d{i},cache=unsafe",
            drive_path(&d.image.path)
        ));
        let block = d.image.spec.device_block;
        c.arg("-device").arg(format!(
            "virtio-blk-pci,drive=d{i},serial={},logical_block_size={block},physical_block_size={block}",
            d.serial
        ));
    }
    c
}

/// Boots and waits (at most `timeout`); files go to `dir`.
pub fn boot(
    kit: &Kit,
    initramfs: &Path,
    disks: &[Disk<'_>],
    dir: &Path,
    timeout: Duration,
) -> Result<Boot> {
    let console_path = dir.join("console.log");
    let (out, err) = (dir.join("qemu.out"), dir.join("qemu.err"));
    let mut cmd = command(kit, initramfs, &console_path, disks);
    fs::write(dir.join("qemu.cmd"), format!("{cmd:?}\n"))?;
    cmd.stdin(Stdio::null())
        .stdout(fs::File::create(&out)?)
        .stderr(fs::File::create(&err)?);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {QEMU} (is qemu-system-x86 installed?)"))?;
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        if start.elapsed() > timeout {
            timed_out = true;
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read = |p: &Path| String::from_utf8_lossy(&fs::read(p).unwrap_or_default()).into_owned();
    Ok(Boot {
        console: read(&console_path),
        secs: start.elapsed().as_secs_f64(),
        timed_out,
        exit: status.and_then(|s| s.code()),
        stderr: read(&err),
    })
}
