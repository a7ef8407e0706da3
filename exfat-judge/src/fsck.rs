//! `fsck.exfat -n` (exfatprogs), judged by its exit code: it prints "clean" even when
//! it fails, so its words are shown, never trusted.

use std::{ffi::OsStr, path::Path};

use anyhow::{Result, bail};

/// Runs `fsck.exfat -n img`; `Ok` with its last line only when it exits 0.
///
/// # Errors
/// A nonzero exit (with everything it printed), or a missing `fsck.exfat` (Debian
/// package `exfatprogs`: never skipped).
pub fn fsck(img: &Path) -> Result<String> {
    let (status, text) = crate::run_tool(
        "fsck.exfat",
        &[OsStr::new("-n"), img.as_os_str()],
        "exfatprogs",
    )?;
    if !status.success() {
        bail!(
            "fsck.exfat -n {} exited with {status}:\n{}",
            img.display(),
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
