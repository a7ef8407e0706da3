//! Test-only: the judges of ramdisk's exFAT images.
//!
//! Every image ramdisk-core formats as exFAT (and every one the driver formats under
//! Wine, and what the Linux kernel writes into them) is judged by independent
//! readers, each of which the tests show can fail:
//!
//! * [`fsck`]: `fsck.exfat -n` (Debian's exfatprogs), judged by its **exit code** (it
//!   prints "clean" even when it fails);
//! * [`hadris`]: `hadris-fat`'s `exfat::sync::check` (boot regions and checksums,
//!   `PercentInUse`, the up-case table, the bitmap against every allocation) and its
//!   reader (label, free clusters, every file of a tree);
//! * [`reader`]: the `exfat` crate, a second independent reader;
//! * [`bytes`]: byte-level assertions of what no checker looks at (`BootCode` F4h, the
//!   OEM parameters and reserved sectors, the extended boot signatures, backup region
//!   = main region, the checksum computed independently, the root directory's first
//!   entries, the FAT chains and the bitmap bits);
//! * [`fuse`]: exfat-fuse through a loop device (writes and reads the > 4 GiB file);
//!
//! and [`big_file`] describes that file. Nothing here is part of the driver.

pub mod big_file;
pub mod bytes;
pub mod fsck;
pub mod fuse;
pub mod hadris;
pub mod image;
pub mod reader;

use std::{
    ffi::OsStr,
    path::Path,
    process::{Command, ExitStatus, Stdio},
};

use anyhow::{Context, Result, ensure};

/// Runs `program` with `args` (no input) and returns its exit status and everything it
/// printed; `package` names the Debian package in the error when it is missing.
pub(crate) fn run_tool<S: AsRef<OsStr>>(
    program: &str,
    args: &[S],
    package: &str,
) -> Result<(ExitStatus, String)> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| {
            format!(
                "cannot run {program} (Debian package {package}; `cargo xtask test` installs it)"
            )
        })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((out.status, text))
}

/// What a freshly formatted image must show every reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    /// The label (empty: none).
    pub label: String,
    /// `ClusterCount`.
    pub clusters: u32,
    /// Bytes per cluster.
    pub cluster_bytes: u64,
    /// Free clusters.
    pub free_clusters: u32,
}

impl Expect {
    /// What `layout` promises.
    #[must_use]
    pub fn of(layout: &ramdisk_core::exfat::Layout) -> Self {
        Self {
            label: String::from_utf16_lossy(layout.label.units()),
            clusters: layout.cluster_count,
            cluster_bytes: layout.cluster_bytes(),
            free_clusters: layout.free_clusters(),
        }
    }
}

/// Runs every judge on a freshly formatted image (fsck.exfat, hadris-fat's check and
/// reader, the exfat crate, the byte-level assertions) and returns one line per judge.
///
/// # Errors
/// The first judge that fails, with its output.
pub fn judge_fresh(img: &Path, expect: &Expect) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    let problems = bytes::check_fresh(img)?;
    ensure!(
        problems.is_empty(),
        "byte-level checks of {}:\n  {}",
        img.display(),
        problems.join("\n  ")
    );
    notes.push("byte-level checks: all hold".to_string());
    notes.push(format!("fsck.exfat -n: {}", fsck::fsck(img)?));
    let report = hadris::check(img)?;
    notes.push(format!("hadris-fat check: {report}"));
    let facts = hadris::facts(img)?;
    ensure!(
        facts.label == expect.label
            && facts.clusters == u64::from(expect.clusters)
            && facts.cluster_bytes == expect.cluster_bytes
            && facts.free_clusters == u64::from(expect.free_clusters),
        "hadris-fat reads {facts:?}, want {expect:?}"
    );
    ensure!(
        facts.entries == 0,
        "hadris-fat lists {} entries in the fresh root",
        facts.entries
    );
    notes.push(format!(
        "hadris-fat: label {:?}, {} of {} clusters free",
        facts.label, facts.free_clusters, facts.clusters
    ));
    let read =
        reader::open(img).with_context(|| format!("the exfat crate on {}", img.display()))?;
    ensure!(
        read.label.as_deref().unwrap_or("") == expect.label && read.items.is_empty(),
        "the exfat crate reads {read:?}, want label {:?} and an empty root",
        expect.label
    );
    notes.push(format!("exfat crate: label {:?}, empty root", expect.label));
    Ok(notes)
}
