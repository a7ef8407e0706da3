//! The `exfat` crate (0.1.0, obhq/exfat): a second reader, independent of hadris and of
//! ramdisk-core.
//!
//! It opens a volume from its root directory's entries (it stops at the first entry
//! not in use, and refuses any entry type it does not know), so it judges fresh images
//! and files written without deletions, not every tree.

use std::{
    fs::File,
    io::{BufReader, Read, Seek, SeekFrom},
    path::Path,
};

use anyhow::{Context, Result, anyhow, ensure};
use exfat::ExFat;
use exfat::directory::Item;
use sha2::{Digest, Sha256};

/// What the crate read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    /// The Volume Label entry's text (`None`: no entry).
    pub label: Option<String>,
    /// Root entries: (name, is a directory, length).
    pub items: Vec<(String, bool, u64)>,
}

/// The crate's error, with its sources.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

fn open_image(img: &Path) -> Result<ExFat<BufReader<File>>> {
    let file = File::open(img).with_context(|| format!("open {}", img.display()))?;
    ExFat::open(BufReader::new(file)).map_err(|e| anyhow!("exfat crate: {}", chain(&e)))
}

/// Opens the volume: its label and root entries.
///
/// # Errors
/// The crate's refusal.
pub fn open(img: &Path) -> Result<Listing> {
    let fs = open_image(img)?;
    let label = fs.volume_label().map(str::to_string);
    let items = fs
        .into_iter()
        .map(|item| match item {
            Item::Directory(d) => (d.name().to_string(), true, 0),
            Item::File(f) => (f.name().to_string(), false, f.len()),
        })
        .collect();
    Ok(Listing { label, items })
}

/// The length of the root file `name` and the SHA-256 (hex) of each range
/// `(offset, len)`, read through the crate's file reader.
///
/// # Errors
/// The crate's refusal, a missing file, a short read.
pub fn hash_ranges(img: &Path, name: &str, ranges: &[(u64, u64)]) -> Result<(u64, Vec<String>)> {
    let fs = open_image(img)?;
    let mut file = fs
        .into_iter()
        .find_map(|item| match item {
            Item::File(f) if f.name() == name => Some(f),
            _ => None,
        })
        .with_context(|| format!("exfat crate: no file {name} in the root"))?;
    let len = file.len();
    let opened = file
        .open()
        .map_err(|e| anyhow!("exfat crate: open {name}: {}", chain(&e)))?;
    let mut reader = opened.with_context(|| format!("exfat crate: {name} has no clusters"))?;
    let mut hashes = Vec::new();
    let mut buf = vec![0u8; 8 << 20];
    for &(offset, want) in ranges {
        reader.seek(SeekFrom::Start(offset))?;
        let mut hash = Sha256::new();
        let mut left = want;
        while left > 0 {
            let n = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
            let got = reader.read(&mut buf[..n])?;
            ensure!(got > 0, "exfat crate: {name} ends before {}", offset + want);
            hash.update(&buf[..got]);
            left -= got as u64;
        }
        hashes.push(crate::big_file::hex(&hash.finalize()));
    }
    // The reader holds the image's lock: let go before returning.
    drop(reader);
    Ok((len, hashes))
}
