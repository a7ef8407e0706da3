//! The file larger than 4 GiB (FAT32's limit is 4 GiB − 1).
//!
//! Its name, length and bytes (a fixed pseudo-random stream, so any range can be made
//! again without keeping it), and the ranges the readers hash: the first 64 MiB, the
//! 64 MiB around the 4 GiB boundary and the last 64 MiB (the whole file only in a
//! `--long` run).

use std::{
    fs::File,
    io::{Read, Seek, SeekFrom, Write},
    path::Path,
};

use anyhow::{Context, Result, ensure};
use sha2::{Digest, Sha256};

/// Its name in the root directory.
pub const NAME: &str = "big.bin";
/// Its length: 4.5 GiB and 12 345 bytes (no multiple of a sector or cluster).
pub const LEN: u64 = (9 << 29) + 12_345;
/// The image it is written into (sparse): 8 GiB, exFAT with 32 KiB clusters.
pub const IMAGE_LEN: u64 = 8 << 30;
const _: () = assert!(LEN > 4 << 30 && LEN < IMAGE_LEN);

/// Bytes per hashed range.
pub const RANGE: u64 = 64 << 20;

/// The ranges `(offset, length)` a CI run hashes, or the whole file.
#[must_use]
pub fn ranges(whole: bool) -> Vec<(u64, u64)> {
    if whole {
        vec![(0, LEN)]
    } else {
        vec![
            (0, RANGE),
            ((4 << 30) - RANGE / 2, RANGE),
            (LEN - RANGE, RANGE),
        ]
    }
}

/// A short name for a range, for messages.
#[must_use]
pub fn range_name(range: (u64, u64)) -> String {
    match range {
        (0, LEN) => "the whole file".into(),
        (0, _) => "the first 64 MiB".into(),
        (o, _) if o < 4 << 30 => "the 64 MiB around 4 GiB".into(),
        _ => "the last 64 MiB".into(),
    }
}

/// The 8 bytes at `word * 8` of the file (splitmix64 of the word index).
const fn word(index: u64) -> u64 {
    let mut z = index.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Fills `buf` with the file's bytes at `offset`.
pub fn fill(offset: u64, buf: &mut [u8]) {
    let (mut i, mut at) = (0, offset);
    while i < buf.len() {
        let w = word(at / 8).to_le_bytes();
        #[allow(clippy::cast_possible_truncation, reason = "at % 8")]
        let start = (at % 8) as usize;
        let n = (8 - start).min(buf.len() - i);
        buf[i..i + n].copy_from_slice(&w[start..start + n]);
        i += n;
        at += n as u64;
    }
}

/// Lower-case hex.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The SHA-256 each range must have.
#[must_use]
pub fn expected(ranges: &[(u64, u64)]) -> Vec<String> {
    let mut buf = vec![0u8; 8 << 20];
    ranges
        .iter()
        .map(|&(offset, len)| {
            let mut h = Sha256::new();
            let mut at = offset;
            while at < offset + len {
                let n = usize::try_from((offset + len - at).min(buf.len() as u64)).unwrap_or(0);
                fill(at, &mut buf[..n]);
                h.update(&buf[..n]);
                at += n as u64;
            }
            hex(&h.finalize())
        })
        .collect()
}

/// Writes the whole file to `path` (through whatever file system holds it), in 8 MiB
/// pieces, and syncs it.
///
/// # Errors
/// The file system's.
pub fn write(path: &Path) -> Result<()> {
    let mut f = File::create(path).with_context(|| format!("create {}", path.display()))?;
    let mut buf = vec![0u8; 8 << 20];
    let mut at = 0;
    while at < LEN {
        let n = usize::try_from((LEN - at).min(buf.len() as u64)).unwrap_or(0);
        fill(at, &mut buf[..n]);
        f.write_all(&buf[..n])
            .with_context(|| format!("write {} at {at}", path.display()))?;
        at += n as u64;
    }
    f.sync_all()?;
    Ok(())
}

/// The length of `path` and the SHA-256 of each range, read with the file API.
///
/// # Errors
/// The file system's, or a short read.
pub fn hash_file(path: &Path, ranges: &[(u64, u64)]) -> Result<(u64, Vec<String>)> {
    let mut f = File::open(path).with_context(|| format!("open {}", path.display()))?;
    let len = f.metadata()?.len();
    let mut buf = vec![0u8; 8 << 20];
    let mut out = Vec::new();
    for &(offset, want) in ranges {
        f.seek(SeekFrom::Start(offset))?;
        let mut h = Sha256::new();
        let mut left = want;
        while left > 0 {
            let n = usize::try_from(left.min(buf.len() as u64)).unwrap_or(0);
            let got = f.read(&mut buf[..n])?;
            ensure!(got > 0, "{} ends before {}", path.display(), offset + want);
            h.update(&buf[..got]);
            left -= got as u64;
        }
        out.push(hex(&h.finalize()));
    }
    Ok((len, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_the_same_from_any_offset() {
        let mut whole = vec![0u8; 4096];
        fill(0, &mut whole);
        let mut part = vec![0u8; 100];
        fill(800, &mut part);
        assert_eq!(part, whole[800..900]);
        fill(803, &mut part[..13]);
        assert_eq!(part[..13], whole[803..816]);
        assert_ne!(whole[..8], whole[8..16]);
        let r = ranges(false);
        assert!(r[1].0 < 4 << 30 && r[1].0 + r[1].1 > 4 << 30);
        assert_eq!(r[2].0 + r[2].1, LEN);
        assert_eq!(range_name(r[1]), "the 64 MiB around 4 GiB");
        assert_eq!(range_name(ranges(true)[0]), "the whole file");
        let small = [(8u64, 16u64)];
        let mut h = Sha256::new();
        h.update(&whole[8..24]);
        assert_eq!(expected(&small), [hex(&h.finalize())]);
    }
}
