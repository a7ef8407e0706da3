//! The exFAT image matrix: ramdisk-core formats sparse images from 1 MiB to 256 GiB,
//! with clusters from 512 bytes to 32 MiB, 512- and 4096-byte sectors, with a label and
//! without; every judge must accept each one and read back what the planner promised.
//! And the planner's choices next to mkfs.exfat's (the README's comparison table).

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use ramdisk_exfat_judge::{Expect, image, judge_fresh};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// A scratch directory of this test binary in the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("exfat-matrix")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// (size, sectors per cluster, label, bytes per sector).
type Case = (u64, u32, &'static str, u32);

fn judge_all(name: &str, cases: &[Case]) {
    let dir = scratch(name);
    for &(size, spc, label, bps) in cases {
        let t = Instant::now();
        let img = dir.join(format!("{}-{spc}-{bps}.img", size / MIB));
        let o = image::options(size, spc, label, bps);
        let layout = image::make(&img, &o).unwrap_or_else(|e| panic!("{e:#}"));
        let notes = judge_fresh(&img, &Expect::of(&layout))
            .unwrap_or_else(|e| panic!("{} MiB spc {spc} bps {bps} {label:?}: {e:#}", size / MIB));
        let used = std::os::unix::fs::MetadataExt::blocks(&std::fs::metadata(&img).unwrap()) * 512;
        assert!(
            used < 64 * MIB + size / 64,
            "{used} bytes allocated: not sparse"
        );
        println!(
            "{} MiB, {}-byte sectors, {} clusters of {} B, label {label:?}: {} ({:.1} s)",
            size / MIB,
            bps,
            layout.cluster_count,
            layout.cluster_bytes(),
            notes.join("; "),
            t.elapsed().as_secs_f64()
        );
        std::fs::remove_file(&img).unwrap();
    }
}

#[test]
fn one_mib() {
    judge_all(
        "1m",
        &[
            (MIB, 0, "RAMDISK", 512),
            (MIB, 1, "", 512),
            (MIB, 256, "Tiny", 512),
        ],
    );
}

#[test]
fn sixty_four_mib() {
    judge_all(
        "64m",
        &[
            (64 * MIB, 0, "Sixty Four", 512),
            (64 * MIB, 1, "", 512),
            (64 * MIB, 2, "one k", 512),
            (64 * MIB, 64, "Été 2026", 512),
            (64 * MIB, 2048, "MiB", 512),
            (64 * MIB, 0, "4K SECTORS", 4096),
        ],
    );
}

#[test]
fn one_gib() {
    judge_all(
        "1g",
        &[
            (GIB, 0, "One GiB", 512),
            (GIB, 1, "", 512),
            (GIB, 8, "four k", 512),
            (GIB, 65_536, "Huge clust", 512),
            (GIB, 8192, "", 4096),
        ],
    );
}

#[test]
fn thirty_two_gib() {
    judge_all(
        "32g",
        &[
            (32 * GIB, 0, "32 GiB", 512),
            (32 * GIB, 8, "", 512),
            (32 * GIB, 256, "日本語", 512),
        ],
    );
}

#[test]
fn two_hundred_fifty_six_gib() {
    judge_all(
        "256g",
        &[
            (256 * GIB, 0, "Quarter TiB", 512),
            (256 * GIB, 65_536, "", 512),
            (256 * GIB, 64, "thirty2 k", 512),
        ],
    );
}

/// `FatOffset`, `FatLength`, `ClusterHeapOffset`, `ClusterCount`, cluster bytes.
fn shape(img: &Path) -> (u32, u32, u32, u32, u64) {
    let mut b = [0u8; 512];
    std::os::unix::fs::FileExt::read_exact_at(&std::fs::File::open(img).unwrap(), &mut b, 0)
        .unwrap();
    let bs = ramdisk_core::exfat::BootSector::parse(&b).unwrap();
    (
        bs.fat_offset,
        bs.fat_length,
        bs.cluster_heap_offset,
        bs.cluster_count,
        bs.cluster_bytes(),
    )
}

/// mkfs.exfat (exfatprogs 1.2.0) on the same sparse files, decoded with our parser:
/// the table the README shows. mkfs.exfat aligns the FAT and the heap to 1 MiB.
#[test]
fn our_choices_vs_mkfs_exfat() {
    let dir = scratch("mkfs");
    println!("| size | ours: FatOffset, FatLength, heap, clusters × size | mkfs.exfat 1.2.0 |");
    for size in [8 * MIB, 64 * MIB, 960 * MIB, 32 * GIB, 256 * GIB] {
        let ours_img = dir.join("ours.img");
        image::make(&ours_img, &image::options(size, 0, "", 512)).unwrap();
        let ours = shape(&ours_img);
        let theirs_img = dir.join("mkfs.img");
        let _ = std::fs::remove_file(&theirs_img);
        std::fs::File::create(&theirs_img)
            .unwrap()
            .set_len(size)
            .unwrap();
        let out = Command::new("mkfs.exfat")
            .arg(&theirs_img)
            .output()
            .expect("mkfs.exfat (Debian package exfatprogs) must be installed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs = shape(&theirs_img);
        println!("| {} MiB | {ours:?} | {theirs:?} |", size / MIB);
        // Same cluster size (Microsoft's table); ours never has fewer clusters.
        assert_eq!(ours.4, theirs.4, "{size}");
        assert!(ours.3 >= theirs.3, "{size}");
        if size == 64 * MIB {
            assert_eq!(
                theirs,
                (2048, 128, 4096, 15_872, 4096),
                "the README's mkfs.exfat row"
            );
            assert_eq!(
                ours,
                (24, 128, 152, 16_365, 4096),
                "the README's row of ours"
            );
        }
        for f in [ours_img, theirs_img] {
            std::fs::remove_file(f).unwrap();
        }
    }
}
