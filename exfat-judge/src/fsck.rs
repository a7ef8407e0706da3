//! `fsck.exfat -n` (exfatprogs), judged by its exit code: it prints "clean" even when
//! it fails, so its words are shown, never trusted.

use std::{
    path::Path,
    process::{Command, Stdio},
};

use anyhow::{Context, Result, bail};

/// Runs `fsck.exfat -n img`; `Ok` with its last line only when it exits 0.
///
/// # Errors
/// A nonzero exit (with everything it printed), or a missing `fsck.exfat` (Debian
/// package `exfatprogs`: never skipped).
pub fn fsck(img: &Path) -> Result<String> {
    let out = Command::new("fsck.exfat")
        .arg("-n")
        .arg(img)
        .stdin(Stdio::null())
        .output()
        .context(
            "cannot run fsck.exfat (Debian package exfatprogs; `cargo xtask test` installs it)",
        )?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        bail!(
            "fsck.exfat -n {} exited with {}:\n{}",
            img.display(),
            out.status,
            text.trim_end()
        );
    }
    Ok(text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string())
}
