//! Every judge can fail: each deliberate damage to a fresh image is refused by the
//! judges the table says, and each judge refuses at least one. (The kernel judge's own
//! corrupted exFAT image is in `cargo xtask kernel-judge`.)

use std::{collections::BTreeSet, path::PathBuf};

use ramdisk_exfat_judge::image::{self, Damage};
use ramdisk_exfat_judge::{bytes, fsck, hadris, reader};

/// The judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Judge {
    Fsck,
    Hadris,
    ExfatCrate,
    Bytes,
}

/// Which judges refuse each damage (pinned: a judge that stops seeing one fails here).
const fn refused_by(d: Damage) -> &'static [Judge] {
    use Judge::{Bytes, ExfatCrate, Fsck, Hadris};
    match d {
        Damage::BootChecksum | Damage::UpcaseChecksum => &[Fsck, Hadris, Bytes],
        Damage::BootCode | Damage::OemParameters => &[Bytes],
        // fsck.exfat 1.2.0 does not look at the root directory's own bitmap bit.
        Damage::ExtendedSignature
        | Damage::BackupDiffers
        | Damage::BitmapBitCleared
        | Damage::PercentInUse => &[Hadris, Bytes],
        Damage::FileSystemName | Damage::NoBitmapEntry => &[Fsck, Hadris, ExfatCrate, Bytes],
    }
}

fn verdicts(img: &std::path::Path) -> BTreeSet<Judge> {
    let mut refused = BTreeSet::new();
    if fsck::fsck(img).is_err() {
        refused.insert(Judge::Fsck);
    }
    if hadris::check(img).is_err() {
        refused.insert(Judge::Hadris);
    }
    if reader::open(img).is_err() {
        refused.insert(Judge::ExfatCrate);
    }
    if !bytes::check_fresh(img).unwrap().is_empty() {
        refused.insert(Judge::Bytes);
    }
    refused
}

#[test]
fn every_damage_is_refused_and_every_judge_refuses() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("exfat-mutations");
    std::fs::create_dir_all(&dir).unwrap();
    let img = dir.join("fresh.img");
    let o = image::options(64 << 20, 0, "Damaged", 512);
    let layout = image::make(&img, &o).unwrap();
    assert!(verdicts(&img).is_empty(), "the undamaged image is refused");
    let mut refusing = BTreeSet::new();
    let mut wrong = Vec::new();
    for d in Damage::ALL {
        image::make(&img, &o).unwrap();
        d.apply(&img, &layout).unwrap();
        let got = verdicts(&img);
        let want: BTreeSet<Judge> = refused_by(d).iter().copied().collect();
        println!("{d:?}: refused by {got:?}");
        if got != want {
            wrong.push(format!("{d:?}: refused by {got:?}, want {want:?}"));
        }
        refusing.extend(got);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(refusing.len(), 4, "a judge refused nothing: {refusing:?}");
    std::fs::remove_file(&img).unwrap();
}
