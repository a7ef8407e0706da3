//! The directory tree the file-system checks write and read back.
//!
//! Small files in nested directories and a few large ones, each with deterministic
//! contents (a seed per file) whose SHA-256 is known before writing.
//!
//! Plain `std::fs` on a root directory, so the host tests run it on a temporary
//! directory; on Windows the root is the volume's (`R:\`).

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::rng::Rng;

/// The directory the checks own at the volume's root (deleted before and after).
pub const DIR: &str = "ramdisk-selftest";

/// Largest size of one large file.
const LARGE_MAX: u64 = 16 << 20;
/// Bytes generated, written and hashed at a time.
const CHUNK: usize = 1 << 20;

/// One file of the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeFile {
    /// Path below the root (`ramdisk-selftest\...`).
    pub path: PathBuf,
    /// Bytes.
    pub len: u64,
    /// Seed of its contents.
    pub seed: u64,
}

/// The tree for a volume with `free` bytes free.
///
/// 25 small files (0 to ~6 KB) in three nested directories, and two large files of
/// an eighth of the free space each (at most 16 MiB, whole 4 KiB blocks; none below
/// 4 KiB).
#[must_use]
pub fn plan(free: u64) -> Vec<TreeFile> {
    let mut files = Vec::new();
    let mut dir = PathBuf::from(DIR).join("small");
    let mut seed = 1u64;
    for level in ["a", "b", "c"] {
        dir.push(level);
        for i in 0..8u64 {
            files.push(TreeFile {
                path: dir.join(format!("file{i}.txt")),
                len: 1 + (seed * 977) % 6000,
                seed,
            });
            seed += 1;
        }
    }
    files.push(TreeFile {
        path: PathBuf::from(DIR).join("small").join("empty"),
        len: 0,
        seed,
    });
    let large = (free / 8).min(LARGE_MAX) / 4096 * 4096;
    if large > 0 {
        for i in 1..=2u64 {
            files.push(TreeFile {
                path: PathBuf::from(DIR).join("large").join(format!("{i}.bin")),
                len: large,
                seed: 1000 + i,
            });
        }
    }
    files
}

/// Bytes of all files.
#[must_use]
pub fn total_bytes(files: &[TreeFile]) -> u64 {
    files.iter().map(|f| f.len).sum()
}

/// Calls `each` with the file's contents, chunk by chunk.
fn contents(
    f: &TreeFile,
    mut each: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut rng = Rng::new(f.seed);
    let mut left = f.len;
    let mut buf = vec![0u8; CHUNK];
    while left > 0 {
        let n = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
        for word in buf[..n].chunks_mut(8) {
            let bits = rng.next_u64().to_le_bytes();
            word.copy_from_slice(&bits[..word.len()]);
        }
        each(&buf[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// The SHA-256 of a file's planned contents.
#[must_use]
pub fn expected_sha256(f: &TreeFile) -> [u8; 32] {
    let mut h = Sha256::new();
    let _ = contents(f, |c| {
        h.update(c);
        Ok(())
    });
    h.finalize().into()
}

/// Deletes the tree's directory under `root` if it exists.
///
/// # Errors
/// What `remove_dir_all` says.
pub fn remove(root: &Path) -> Result<(), String> {
    let dir = root.join(DIR);
    match fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot delete {}: {e}", dir.display())),
    }
}

/// Writes every file under `root` (directories created, each file flushed with
/// `sync_all`).
///
/// # Errors
/// The first file that could not be written, and why.
pub fn write(root: &Path, files: &[TreeFile]) -> Result<(), String> {
    for f in files {
        let path = root.join(&f.path);
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(fail)?;
        }
        let mut file = File::create(&path).map_err(fail)?;
        contents(f, |c| file.write_all(c)).map_err(fail)?;
        file.sync_all().map_err(fail)?;
    }
    Ok(())
}

/// Reads every file back and compares its size and SHA-256 with the plan.
///
/// # Errors
/// Each file that is missing, has another size or other contents (the first five).
pub fn verify(root: &Path, files: &[TreeFile]) -> Result<(), String> {
    let mut bad = Vec::new();
    for f in files {
        let path = root.join(&f.path);
        let got = (|| -> std::io::Result<(u64, [u8; 32])> {
            let mut file = File::open(&path)?;
            let mut h = Sha256::new();
            let mut buf = vec![0u8; CHUNK];
            let mut len = 0u64;
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
                len += n as u64;
            }
            Ok((len, h.finalize().into()))
        })();
        match got {
            Err(e) => bad.push(format!("{}: {e}", f.path.display())),
            Ok((len, _)) if len != f.len => {
                bad.push(format!("{}: {len} bytes, not {}", f.path.display(), f.len));
            }
            Ok((_, sha)) if sha != expected_sha256(f) => {
                bad.push(format!(
                    "{}: other contents (SHA-256 differs)",
                    f.path.display()
                ));
            }
            Ok(_) => {}
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        let n = bad.len();
        bad.truncate(5);
        Err(format!(
            "{n} of {} files wrong: {}",
            files.len(),
            bad.join("; ")
        ))
    }
}

/// One line for a tree that was written and read back.
#[must_use]
pub fn summary(files: &[TreeFile]) -> String {
    let large_dir = Path::new(DIR).join("large");
    let large = files
        .iter()
        .filter(|f| f.path.starts_with(&large_dir))
        .count();
    format!(
        "{} files ({} large), {} bytes in {DIR}\\, read back with the same SHA-256",
        files.len(),
        large,
        total_bytes(files)
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fresh, empty directory for one test.
    pub fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("ramdiskctl-selftest-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn plan_scales_with_free_space() {
        let p = plan(64 << 20);
        assert_eq!(p.len(), 27);
        assert_eq!(p.iter().filter(|f| f.len == 8 << 20).count(), 2);
        assert!(p.iter().any(|f| f.len == 0));
        let big = plan(1 << 40);
        assert_eq!(big.iter().map(|f| f.len).max(), Some(16 << 20));
        let tiny = plan(16 << 10);
        assert_eq!(tiny.len(), 25, "no large file below 4 KiB");
        // Small files, distinct seeds, and sizes that vary.
        let mut seeds: Vec<u64> = p.iter().map(|f| f.seed).collect();
        seeds.sort_unstable();
        seeds.dedup();
        assert_eq!(seeds.len(), p.len());
        assert!(p.iter().take(24).all(|f| (1..=6000).contains(&f.len)));
    }

    #[test]
    fn written_tree_reads_back() {
        let root = scratch("ok");
        let files = plan(1 << 20);
        write(&root, &files).unwrap();
        verify(&root, &files).unwrap();
        assert_eq!(
            fs::metadata(root.join(&files[0].path)).unwrap().len(),
            files[0].len
        );
        assert_eq!(
            summary(&files),
            format!(
                "27 files (2 large), {} bytes in ramdisk-selftest\\, read back with the same SHA-256",
                total_bytes(&files)
            )
        );
        remove(&root).unwrap();
        assert!(!root.join(DIR).exists());
        remove(&root).unwrap();
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn changed_short_or_missing_files_are_found() {
        let root = scratch("bad");
        let files = plan(1 << 20);
        write(&root, &files).unwrap();
        let flip = root.join(&files[3].path);
        let mut bytes = fs::read(&flip).unwrap();
        bytes[0] ^= 1;
        fs::write(&flip, &bytes).unwrap();
        let e = verify(&root, &files).unwrap_err();
        assert!(
            e.starts_with("1 of 27 files wrong: ") && e.contains("file3.txt: other contents"),
            "{e}"
        );
        fs::write(&flip, &bytes[1..]).unwrap();
        fs::remove_file(root.join(&files[26].path)).unwrap();
        let e = verify(&root, &files).unwrap_err();
        assert!(e.starts_with("2 of 27 files wrong: "), "{e}");
        assert!(
            e.contains(&format!("{} bytes, not {}", files[3].len - 1, files[3].len)),
            "{e}"
        );
        assert!(e.contains("2.bin: "), "{e}");
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn contents_are_deterministic_and_distinct() {
        let f = TreeFile {
            path: "x".into(),
            len: 3 * CHUNK as u64 + 5,
            seed: 9,
        };
        assert_eq!(expected_sha256(&f), expected_sha256(&f.clone()));
        let g = TreeFile {
            seed: 10,
            ..f.clone()
        };
        assert_ne!(expected_sha256(&f), expected_sha256(&g));
        let mut all = Vec::new();
        contents(&f, |c| {
            all.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        assert_eq!(all.len() as u64, f.len);
        assert_eq!(<[u8; 32]>::from(Sha256::digest(&all)), expected_sha256(&f));
    }
}
