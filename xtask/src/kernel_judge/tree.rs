//! The file trees the guest writes into each image, the operations it applies after
//! copying them (deletes, renames, appends, reuse of freed clusters), and the listing
//! whose SHA-256 both sides compute.
//!
//! One description drives both sides: [`TreeKind::files`] goes into the initramfs,
//! [`Op::shell`] becomes the guest's commands, and [`Op::apply`] gives the host the
//! tree the guest must end up with.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt::Write as _,
    fs,
    path::Path,
};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// A tree of directories and files; paths are relative, `/`-separated, without `./`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    /// Every directory (parents included), the root not listed.
    pub dirs: BTreeSet<String>,
    /// Every file with its bytes.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Tree {
    fn add_parents(&mut self, path: &str) {
        let mut at = 0;
        while let Some(i) = path[at..].find('/') {
            self.dirs.insert(path[..at + i].to_string());
            at += i + 1;
        }
    }

    /// Adds a file (and its parent directories).
    pub fn add_file(&mut self, path: &str, data: Vec<u8>) {
        self.add_parents(path);
        self.files.insert(path.to_string(), data);
    }

    /// Adds a directory (and its parents).
    pub fn add_dir(&mut self, path: &str) {
        self.add_parents(path);
        self.dirs.insert(path.to_string());
    }

    /// The listing the guest prints, sorted bytewise like `LC_ALL=C sort`:
    /// `D ./dir`, `S <size> ./file` and `<sha256>  ./file` (as `sha256sum` prints it).
    pub fn listing(&self) -> String {
        let mut lines: Vec<String> = vec!["D .".to_string()];
        for d in &self.dirs {
            lines.push(format!("D ./{d}"));
        }
        for (p, data) in &self.files {
            lines.push(format!("S {} ./{p}", data.len()));
            lines.push(format!("{}  ./{p}", sha256_hex(data)));
        }
        lines.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        let mut out = String::new();
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
        out
    }

    /// Reads a directory of the host (what mtools copied out of an image).
    pub fn from_dir(root: &Path) -> Result<Self> {
        let mut tree = Self::default();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).with_context(|| format!("read {}", d.display()))? {
                let p = e?.path();
                let rel = p
                    .strip_prefix(root)?
                    .to_str()
                    .with_context(|| format!("{} is not UTF-8", p.display()))?
                    .to_string();
                if p.is_dir() {
                    tree.add_dir(&rel);
                    stack.push(p);
                } else {
                    tree.add_file(&rel, fs::read(&p)?);
                }
            }
        }
        Ok(tree)
    }

    /// The first few differences to `want`, for messages.
    pub fn differences(&self, want: &Self) -> Vec<String> {
        let mut out = Vec::new();
        for d in want.dirs.difference(&self.dirs) {
            out.push(format!("directory {d} missing"));
        }
        for d in self.dirs.difference(&want.dirs) {
            out.push(format!("unexpected directory {d}"));
        }
        for (p, data) in &want.files {
            match self.files.get(p) {
                None => out.push(format!("file {p} missing")),
                Some(got) if got != data => out.push(format!(
                    "file {p}: {} bytes, want {} (content differs)",
                    got.len(),
                    data.len()
                )),
                Some(_) => {}
            }
        }
        for p in self.files.keys().filter(|p| !want.files.contains_key(*p)) {
            out.push(format!("unexpected file {p}"));
        }
        out
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    let mut s = String::with_capacity(64);
    for b in Sha256::digest(data) {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Deterministic pseudo-random bytes (xorshift64).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[5]
        })
        .collect()
}

fn text(lines: usize, what: &str) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..lines {
        let _ = writeln!(
            s,
            "{what}: line {i} of {lines}, written by the kernel judge"
        );
    }
    s.into_bytes()
}

/// One step the guest takes after copying the tree (in the mount point).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `mkdir -p`.
    Mkdir(String),
    /// `echo TEXT > PATH` (a new file holding TEXT and a newline).
    Write(String, String),
    /// `echo TEXT >> PATH`.
    Append(String, String),
    /// `rm PATH...` (files).
    Remove(Vec<String>),
    /// `mv FROM TO` (a file or a whole directory).
    Rename(String, String),
    /// `head -c BYTES FROM > TO`: a new file in clusters the deletes freed.
    CopyHead(String, usize, String),
}

fn quote(path: &str) -> String {
    assert!(
        !path.contains('\''),
        "paths of the judge's trees have no quote: {path}"
    );
    format!("'{path}'")
}

impl Op {
    /// The busybox shell command.
    pub fn shell(&self) -> String {
        match self {
            Self::Mkdir(p) => format!("mkdir -p {}", quote(p)),
            Self::Write(p, t) => format!("echo {} > {}", quote(t), quote(p)),
            Self::Append(p, t) => format!("echo {} >> {}", quote(t), quote(p)),
            Self::Remove(ps) => {
                let list: Vec<String> = ps.iter().map(|p| quote(p)).collect();
                format!("rm {}", list.join(" "))
            }
            Self::Rename(a, b) => format!("mv {} {}", quote(a), quote(b)),
            Self::CopyHead(a, n, b) => format!("head -c {n} {} > {}", quote(a), quote(b)),
        }
    }

    /// What the step does to the host's model of the tree.
    pub fn apply(&self, t: &mut Tree) {
        match self {
            Self::Mkdir(p) => t.add_dir(p),
            Self::Write(p, s) => t.add_file(p, format!("{s}\n").into_bytes()),
            Self::Append(p, s) => t
                .files
                .entry(p.clone())
                .or_default()
                .extend_from_slice(format!("{s}\n").as_bytes()),
            Self::Remove(ps) => {
                for p in ps {
                    t.files.remove(p);
                }
            }
            Self::Rename(a, b) => {
                if let Some(data) = t.files.remove(a) {
                    t.add_file(b, data);
                    return;
                }
                let prefix = format!("{a}/");
                let moved = |p: &str| -> Option<String> {
                    p.strip_prefix(&prefix).map(|rest| format!("{b}/{rest}"))
                };
                t.dirs = t
                    .dirs
                    .iter()
                    .map(|d| {
                        if d == a {
                            b.clone()
                        } else {
                            moved(d).unwrap_or_else(|| d.clone())
                        }
                    })
                    .collect();
                t.files = std::mem::take(&mut t.files)
                    .into_iter()
                    .map(|(p, data)| (moved(&p).unwrap_or(p), data))
                    .collect();
            }
            Self::CopyHead(a, n, b) => {
                let data = t.files.get(a).map(|d| d[..(*n).min(d.len())].to_vec());
                t.add_file(b, data.unwrap_or_default());
            }
        }
    }
}

/// How much the guest writes into an image (chosen by the image's free space).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TreeKind {
    /// One file in the root directory, renamed: fits the smallest legal volume (1 cluster).
    Tiny,
    /// ~0.3 MiB: long and Unicode names, nested directories, 40 files in one directory.
    Small,
    /// ~2.4 MiB: the same with a 2 MiB file, 8 levels, 300 files in one directory.
    Full,
}

/// Sizes of one tree kind.
struct Shape {
    blob: usize,
    depth: usize,
    many: usize,
    churn: usize,
    reuse: usize,
}

impl TreeKind {
    /// Every kind (the initramfs carries them all).
    pub const ALL: [Self; 3] = [Self::Tiny, Self::Small, Self::Full];

    /// The directory name under `/judge/tree` in the initramfs.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Tiny => "tiny",
            Self::Small => "small",
            Self::Full => "full",
        }
    }

    /// The largest kind that fits comfortably into `free_bytes` of free clusters.
    pub const fn for_free_bytes(free_bytes: u64) -> Self {
        if free_bytes >= 8 << 20 {
            Self::Full
        } else if free_bytes >= 512 << 10 {
            Self::Small
        } else {
            Self::Tiny
        }
    }

    /// Like [`TreeKind::for_free_bytes`], and the tree's files must find free clusters
    /// too (exFAT with large clusters: every file takes at least one).
    pub const fn for_clusters(free_bytes: u64, free_clusters: u64) -> Self {
        match Self::for_free_bytes(free_bytes) {
            Self::Full if free_clusters >= 1024 => Self::Full,
            Self::Full | Self::Small if free_clusters >= 160 => Self::Small,
            _ => Self::Tiny,
        }
    }

    const fn shape(self) -> Option<Shape> {
        match self {
            Self::Tiny => None,
            Self::Small => Some(Shape {
                blob: (150 << 10) + 123,
                depth: 3,
                many: 40,
                churn: 30,
                reuse: 10_000,
            }),
            Self::Full => Some(Shape {
                blob: (2 << 20) + 1234,
                depth: 8,
                many: 300,
                churn: 120,
                reuse: 100_000,
            }),
        }
    }

    /// The tree copied into the image.
    pub fn files(self) -> Tree {
        let mut t = Tree::default();
        let Some(s) = self.shape() else {
            t.add_file("Hello kernel.txt", text(3, "tiny"));
            return t;
        };
        t.add_file("README.TXT", text(12, "README"));
        t.add_file("lower.txt", text(2, "lower"));
        t.add_file("MixedCase.Txt", text(1, "mixed"));
        t.add_file("Long file name with spaces.txt", noise(5000, 1));
        t.add_file("Grüße aus dem Kernel – ñandú.txt", text(4, "unicode"));
        t.add_file("empty.dat", Vec::new());
        t.add_file("exact-64k.bin", noise(64 << 10, 2));
        t.add_file("big/blob.bin", noise(s.blob, 3));
        let deep: Vec<String> = (1..=s.depth).map(|i| format!("l{i}")).collect();
        t.add_file(
            &format!("deep/{}/leaf.txt", deep.join("/")),
            text(1, "leaf"),
        );
        for i in 0..s.many {
            t.add_file(
                &format!("many/file {i:03} with a long name.txt"),
                noise(17 * (i % 13) + i, 100 + i as u64),
            );
        }
        t
    }

    /// What the guest does after the copy.
    pub fn ops(self) -> Vec<Op> {
        let Some(s) = self.shape() else {
            return vec![Op::Rename(
                "Hello kernel.txt".into(),
                "Renamed by the kernel.txt".into(),
            )];
        };
        let c = |i: usize| format!("churn/c-{i:03}");
        let mut ops = vec![Op::Mkdir("churn".into())];
        ops.extend((0..s.churn).map(|i| Op::Write(c(i), format!("churn {i}"))));
        ops.push(Op::Remove((0..s.churn).step_by(2).map(c).collect()));
        ops.push(Op::Rename(
            c(1),
            "churn/renamed after the deletes.txt".into(),
        ));
        ops.push(Op::Append(c(3), "appended".into()));
        ops.push(Op::CopyHead(
            "big/blob.bin".into(),
            s.reuse,
            "churn/reuse.bin".into(),
        ));
        ops.push(Op::Remove(vec!["empty.dat".into()]));
        ops.push(Op::Rename("deep/l1/l2".into(), "deep/moved".into()));
        ops
    }

    /// The tree the guest must end up with.
    pub fn expected(self) -> Tree {
        let mut t = self.files();
        for op in self.ops() {
            op.apply(&mut t);
        }
        t
    }

    /// Bytes of file data the tree writes (copy plus operations).
    #[cfg(test)]
    pub fn data_bytes(self) -> u64 {
        self.files()
            .files
            .values()
            .map(|d| d.len() as u64)
            .sum::<u64>()
            + self.shape().map_or(0, |s| s.reuse as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_is_sorted_bytewise_like_c_sort() {
        let mut t = Tree::default();
        t.add_file("a b/x", b"1".to_vec());
        t.add_file("a/y", Vec::new());
        t.add_file("Z", b"zz".to_vec());
        let l = t.listing();
        let lines: Vec<&str> = l.lines().collect();
        let mut sorted = lines.clone();
        sorted.sort_unstable();
        assert_eq!(lines, sorted);
        assert!(lines.contains(&"D ./a b") && lines.contains(&"D ./a") && lines.contains(&"D ."));
        assert!(lines.contains(&"S 0 ./a/y"));
        assert!(
            lines.contains(
                &"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  ./a/y"
            )
        );
        assert!(l.ends_with('\n'));
    }

    #[test]
    fn ops_change_the_model_like_the_shell_would() {
        let full = TreeKind::Full;
        let before = full.files();
        let after = full.expected();
        assert!(
            before
                .files
                .contains_key("deep/l1/l2/l3/l4/l5/l6/l7/l8/leaf.txt")
        );
        assert!(
            after
                .files
                .contains_key("deep/moved/l3/l4/l5/l6/l7/l8/leaf.txt")
        );
        assert!(!after.dirs.iter().any(|d| d.starts_with("deep/l1/l2")));
        assert!(after.dirs.contains("deep/moved/l3") && after.dirs.contains("deep/l1"));
        assert!(!after.files.contains_key("empty.dat"));
        assert!(
            !after.files.contains_key("churn/c-000") && after.files.contains_key("churn/c-005")
        );
        assert_eq!(after.files["churn/c-003"], b"churn 3\nappended\n");
        assert_eq!(
            after.files["churn/renamed after the deletes.txt"],
            b"churn 1\n"
        );
        assert_eq!(
            after.files["churn/reuse.bin"],
            before.files["big/blob.bin"][..100_000]
        );
        assert_eq!(full.ops()[1].shell(), "echo 'churn 0' > 'churn/c-000'");
        assert_ne!(before.listing(), after.listing());
        // Every kind differs, and the tiny one fits a single 512-byte cluster.
        assert!(TreeKind::Tiny.data_bytes() <= 512);
        assert!(TreeKind::Small.data_bytes() < 400 << 10);
        assert!(TreeKind::Full.data_bytes() < 3 << 20);
        let names: BTreeSet<Vec<String>> = TreeKind::ALL
            .iter()
            .map(|k| k.expected().files.keys().cloned().collect())
            .collect();
        assert_eq!(names.len(), 3);
    }

    #[test]
    fn differences_name_what_is_wrong() {
        let want = TreeKind::Small.expected();
        let mut got = want.clone();
        assert!(got.differences(&want).is_empty());
        got.files.remove("README.TXT");
        got.files.insert("lower.txt".into(), b"other".to_vec());
        got.add_dir("stray");
        let d = got.differences(&want);
        assert!(d.iter().any(|l| l == "file README.TXT missing"), "{d:?}");
        assert!(
            d.iter().any(|l| l.starts_with("file lower.txt: 5 bytes")),
            "{d:?}"
        );
        assert!(d.iter().any(|l| l == "unexpected directory stray"), "{d:?}");
    }
}
