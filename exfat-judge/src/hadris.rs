//! `hadris-fat` (pinned `=3.0.0-rc.2`): its checker, `exfat::sync::check`, and its
//! reader (label, free clusters, the files of a tree, ranges of a file).

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt::Debug,
    fs::File,
    os::unix::fs::FileExt,
    path::Path,
};

use anyhow::{Context, Result, anyhow, ensure};
use hadris_fat::exfat::Detail;
use hadris_fat::exfat::sync::{ExFatFs, check as hadris_check};
use hadris_fs::sync::Volume;
use hadris_fs::{MountOptions, OpenOptions};
use hadris_storage::{BlockSize, host::FileDevice};
use sha2::{Digest, Sha256};

/// The scratch `check` walks with: 1 KiB of path, the rest one bit per cluster (8 Mi
/// clusters a pass).
const SCRATCH: usize = 1024 + (1 << 20);

/// The image's sector size (`BytesPerSectorShift`): hadris reads in device blocks of
/// that size, as on the disk the image came from.
fn sector_size(img: &Path) -> Result<BlockSize> {
    let mut b = [0u8; 512];
    File::open(img)?.read_exact_at(&mut b, 0)?;
    let shift = b[108];
    ensure!(
        (9..=12).contains(&shift),
        "BytesPerSectorShift {shift} is out of range"
    );
    BlockSize::new(1 << shift).context("block size")
}

fn device(img: &Path) -> Result<FileDevice> {
    FileDevice::open_with_block_size(img, sector_size(img)?)
        .with_context(|| format!("open {}", img.display()))
}

fn fail(what: &str, e: impl Debug) -> anyhow::Error {
    anyhow!("hadris-fat {what}: {e:?}")
}

/// Runs `exfat::sync::check`: every finding as text with whether it is the
/// `PercentInUse` one, and the number of passes.
fn run_check(img: &Path) -> Result<(Vec<(String, bool)>, u32)> {
    let mut dev = device(img)?;
    let mut scratch = vec![0u8; SCRATCH];
    let mut findings = Vec::new();
    let report = hadris_check(&mut dev, &mut scratch, |f| {
        let percent = Detail::from_code(f.detail()) == Some(Detail::PercentInUse);
        findings.push((format!("{:?}: {f}", f.severity()), percent));
    })
    .map_err(|e| fail("check could not run", e))?;
    ensure!(
        report.findings() == findings.len() as u64,
        "hadris-fat reports {} findings but passed {}",
        report.findings(),
        findings.len()
    );
    Ok((findings, report.passes()))
}

fn refuse(img: &Path, findings: &[(String, bool)]) -> anyhow::Error {
    let lines: Vec<&str> = findings.iter().map(|(f, _)| f.as_str()).collect();
    anyhow!(
        "hadris-fat check of {}: {} finding(s):\n  {}",
        img.display(),
        findings.len(),
        lines.join("\n  ")
    )
}

/// `exfat::sync::check`: `Ok` with the number of passes only when it reports nothing
/// (notices included: a wrong `PercentInUse` or a dirty volume fail too).
///
/// # Errors
/// Every finding, or why the check could not run.
pub fn check(img: &Path) -> Result<String> {
    let (findings, passes) = run_check(img)?;
    if !findings.is_empty() {
        return Err(refuse(img, &findings));
    }
    Ok(format!("clean ({passes} pass(es))"))
}

/// [`check`] of a volume another implementation wrote to.
///
/// Clean, except that a `PercentInUse` still holding `formatted` (the value the
/// formatter wrote, never updated) is reported in the result instead of failing.
/// Linux's exfat driver (6.1) keeps `PercentInUse` as it finds it, which the
/// specification does not allow (section 3.1.18: change it with the allocation, or set
/// it to `FFh`).
///
/// # Errors
/// Any other finding, a `PercentInUse` the writer changed to a wrong value, or why
/// the check could not run.
pub fn check_after_writer(img: &Path, formatted: u8) -> Result<String> {
    let (findings, passes) = run_check(img)?;
    let mut b = [0u8; 512];
    File::open(img)?.read_exact_at(&mut b, 0)?;
    let percent = b[112];
    let others = findings.iter().filter(|(_, p)| !*p).count();
    if others > 0 || (findings.len() > others && percent != formatted) {
        return Err(refuse(img, &findings));
    }
    if findings.is_empty() {
        Ok(format!("clean ({passes} pass(es))"))
    } else {
        Ok(format!(
            "clean ({passes} pass(es)) but for PercentInUse, still the {formatted} % it was \
             formatted with: the writer never updated it"
        ))
    }
}

/// What hadris reads from a volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The label ("" for none).
    pub label: String,
    /// Clusters.
    pub clusters: u64,
    /// Free clusters (from the bitmap).
    pub free_clusters: u64,
    /// Bytes per cluster.
    pub cluster_bytes: u64,
    /// Entries in the root directory.
    pub entries: usize,
}

fn mount(img: &Path) -> Result<ExFatFs<FileDevice>> {
    ExFatFs::mount(device(img)?, MountOptions::new().read_only())
        .map_err(|e| fail(&format!("mount of {}", img.display()), e.kind()))
}

/// Label, cluster counts and the number of root entries.
///
/// # Errors
/// When hadris cannot mount or read the volume.
pub fn facts(img: &Path) -> Result<Facts> {
    let mut fs = mount(img)?;
    let mut buf = [0u8; 64];
    let label = fs
        .label(&mut buf)
        .map_err(|e| fail("label", e))?
        .unwrap_or("")
        .to_string();
    let stats = fs.statfs().map_err(|e| fail("statfs", e))?;
    let vol = Volume::new(fs);
    let mut dir = vol.read_dir("/").map_err(|e| fail("read_dir /", e))?;
    let mut entries = 0;
    while let Some(e) = dir.next_entry() {
        e.map_err(|e| fail("read_dir /", e))?;
        entries += 1;
    }
    Ok(Facts {
        label,
        clusters: stats.total_blocks(),
        free_clusters: stats.free_blocks(),
        cluster_bytes: u64::from(stats.block_size()),
        entries,
    })
}

/// Every directory (without the root) and every file with its bytes, paths relative
/// and `/`-separated.
pub type Tree = (BTreeSet<String>, BTreeMap<String, Vec<u8>>);

/// Reads the whole tree through hadris.
///
/// # Errors
/// When hadris cannot mount, list or read.
pub fn tree(img: &Path) -> Result<Tree> {
    let vol = Volume::new(mount(img)?);
    let mut walk = vol.walk("/").map_err(|e| fail("walk", e))?;
    let mut dirs = BTreeSet::new();
    let mut files = BTreeMap::new();
    while let Some(entry) = walk.next_entry() {
        let entry = entry.map_err(|e| fail("walk", e))?;
        let path =
            String::from_utf8(entry.path().to_vec()).context("a path hadris gives is not UTF-8")?;
        let rel = path.trim_start_matches('/').to_string();
        if rel.is_empty() {
            continue;
        }
        if entry.entry().file_type().is_dir() {
            dirs.insert(rel);
        } else {
            let data = vol
                .read(&path)
                .map_err(|e| fail(&format!("read {path}"), e))?;
            files.insert(rel, data);
        }
    }
    Ok((dirs, files))
}

/// The length of the root file `name` and the SHA-256 (hex) of each range
/// `(offset, len)` of it, read in pieces of at most 8 MiB.
///
/// # Errors
/// When hadris cannot mount, open or read, or a read comes up short.
pub fn hash_ranges(img: &Path, name: &str, ranges: &[(u64, u64)]) -> Result<(u64, Vec<String>)> {
    let vol = Volume::new(mount(img)?);
    let path = format!("/{name}");
    let file = vol
        .open(&path, OpenOptions::new().read())
        .map_err(|e| fail(&format!("open {path}"), e))?;
    let len = file.metadata().map_err(|e| fail("metadata", e))?.len();
    let mut hashes = Vec::new();
    let mut buf = vec![0u8; 8 << 20];
    for &(offset, want) in ranges {
        let mut hash = Sha256::new();
        let (mut at, end) = (offset, offset + want);
        while at < end {
            let n = usize::try_from((end - at).min(buf.len() as u64)).unwrap_or(buf.len());
            let got = file
                .read_at(at, &mut buf[..n])
                .map_err(|e| fail(&format!("read {path} at {at}"), e))?;
            ensure!(got > 0, "{path}: end of file at {at}, want up to {end}");
            hash.update(&buf[..got]);
            at += got as u64;
        }
        hashes.push(crate::big_file::hex(&hash.finalize()));
    }
    Ok((len, hashes))
}
