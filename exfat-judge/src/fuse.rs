//! exfat-fuse (relan's FUSE exFAT, Debian package `exfat-fuse`) on an image through a
//! loop device: an independent writer and reader.
//!
//! On a block device the mount is `fuseblk`, whose unmount waits until exfat-fuse has
//! written everything back. The mount and the loop device go away when the
//! [`Mounted`] is dropped, also on failure.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

fn run(program: &str, args: &[&str]) -> Result<String> {
    let package = if program == "losetup" {
        "mount"
    } else {
        "exfat-fuse"
    };
    let (status, text) = crate::run_tool(program, args, package)?;
    if !status.success() {
        bail!(
            "{program} {} failed ({status}):\n{}",
            args.join(" "),
            text.trim_end()
        );
    }
    Ok(text)
}

/// An image mounted with exfat-fuse on a loop device.
#[derive(Debug)]
pub struct Mounted {
    /// The loop device (`/dev/loopN`).
    pub device: String,
    /// Where it is mounted.
    pub dir: PathBuf,
    live: bool,
}

impl Mounted {
    /// Attaches `img` to a free loop device and mounts it at `dir` (created), read-only
    /// unless `write`.
    ///
    /// # Errors
    /// When `losetup` or `mount.exfat-fuse` fails (the loop device is detached again).
    pub fn new(img: &Path, dir: &Path, write: bool) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let img_s = img.display().to_string();
        let device = run("losetup", &["--find", "--show", &img_s])?
            .trim()
            .to_string();
        let mut m = Self {
            device,
            dir: dir.to_path_buf(),
            live: false,
        };
        let dir_s = dir.display().to_string();
        let opts = if write { "rw" } else { "ro" };
        run("mount.exfat-fuse", &["-o", opts, &m.device, &dir_s])?;
        m.live = true;
        Ok(m)
    }

    /// Unmounts (flushing what exfat-fuse holds) and detaches the loop device.
    ///
    /// # Errors
    /// When the unmount or the detach fails.
    pub fn finish(mut self) -> Result<()> {
        self.release()
    }

    fn release(&mut self) -> Result<()> {
        if self.live {
            run("umount", &[&self.dir.display().to_string()])?;
            self.live = false;
        }
        if !self.device.is_empty() {
            run("losetup", &["-d", &self.device])?;
            self.device.clear();
        }
        Ok(())
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Err(e) = self.release() {
            eprintln!("exfat-fuse cleanup: {e:#}");
        }
    }
}
