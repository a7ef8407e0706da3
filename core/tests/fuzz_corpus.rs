//! Replays the committed fuzz corpus (`core/fuzz/corpus/<target>/`) through
//! the same bodies the cargo-fuzz targets run, on stable, as plain tests; then
//! a fixed pseudo-random sweep so the bodies stay exercised even where the
//! corpus is thin. The long fuzz runs themselves are `cargo xtask fuzz`.

mod fuzz_bodies;

use std::path::PathBuf;

use fuzz_bodies::TARGETS;

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

/// Runs `target`'s body on every file of its corpus; returns how many.
fn replay(target: &str) -> usize {
    let body = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|&(_, body)| body)
        .expect("a known target");
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no corpus files", dir.display());
    for path in &files {
        let data = std::fs::read(path).expect("corpus file");
        let outcome = std::panic::catch_unwind(|| body(&data));
        assert!(outcome.is_ok(), "{target}: {} fails", path.display());
    }
    files.len()
}

#[test]
fn corpus_config() {
    println!("config: {} inputs", replay("config"));
}

#[test]
fn corpus_request() {
    println!("request: {} inputs", replay("request"));
}

#[test]
fn corpus_ioctl() {
    println!("ioctl: {} inputs", replay("ioctl"));
}

#[test]
fn corpus_fat() {
    println!("fat: {} inputs", replay("fat"));
}

#[test]
fn corpus_dsm() {
    println!("dsm: {} inputs", replay("dsm"));
}

#[test]
fn corpus_exfat() {
    println!("exfat: {} inputs", replay("exfat"));
}

#[test]
fn corpus_control() {
    println!("control: {} inputs", replay("control"));
}

#[test]
fn corpus_save() {
    println!("save: {} inputs", replay("save"));
}

#[test]
fn every_target_has_a_corpus_directory() {
    for (name, _) in TARGETS {
        assert!(corpus_dir(name).is_dir(), "{name}");
    }
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    const fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn pseudo_random_inputs() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut data = Vec::new();
    for (name, body) in TARGETS {
        for i in 0..2000 {
            data.clear();
            let len = usize::try_from(rng.next() % 96).unwrap_or(0);
            data.extend((0..len).map(|_| rng.next().to_le_bytes()[0]));
            let outcome = std::panic::catch_unwind(|| body(&data));
            assert!(outcome.is_ok(), "{name}: input #{i} {data:02x?} fails");
        }
    }
}
