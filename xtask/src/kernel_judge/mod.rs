//! The Linux kernel as a judge of our FAT and exFAT images (`cargo xtask kernel-judge`,
//! and a stage of `cargo xtask test` after the Wine end-to-end suite).
//!
//! Debian's own kernel boots under QEMU (TCG) once per file system (more when the
//! images do not fit one boot) with its images attached as virtio disks. Its busybox
//! `/init` mounts each image read-write with the kernel's `vfat` or `exfat` driver,
//! writes a file tree (long and Unicode names, nested
//! directories, a directory of hundreds of entries, a multi-megabyte file), deletes,
//! renames and appends, unmounts, mounts again read-only, lists and hashes the tree,
//! and prints `MOUNTED <name> <sha256>`; then the kernel log. An image fails when its
//! sentinel is missing, the hash is not the host's for the same tree, or the kernel
//! logged a warning or error about its device (`FAT-fs (vdX): ...`, `exFAT-fs (vdX):
//! ...`). Afterwards `fsck.fat -n` and mtools (FAT), fsck.exfat and hadris-fat (exFAT)
//! read what the kernel wrote. One exFAT image holds a file larger than 4 GiB written
//! by exfat-fuse: the guest hashes ranges of it read-only (all of it with `--long`),
//! and so do hadris-fat, the exfat crate and exfat-fuse afterwards.
//!
//! Two deliberately corrupted images of each file system ride along (the self-check):
//! the stage fails unless the judge fails them with the kernel's own message.
//!
//! Images: a representative set of the FAT matrix made with ramdisk-core
//! ([`images::default_set`]), and the images the Wine suite dumped through the real
//! driver (kept in `target/kernel-judge/wine/` by [`keep_wine_image`]). Within
//! `cargo xtask test` those must exist; `cargo xtask kernel-judge` alone judges them
//! when a Wine run left them and says so when not. Everything of the last run stays
//! in `target/kernel-judge/last-run/` (images, initramfs, `console.log`).

mod checks;
mod guest;
mod images;
mod kit;
mod qemu;
mod tree;
mod verdict;

use std::{
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

use self::{
    guest::Disk,
    images::{Expect, FsKind, Image, Job, Origin, Spec},
};
use crate::util::target_dir;

/// At most this many disks per boot (PCI slots of QEMU's `pc` machine); the default
/// set fits into one boot, `--long` needs two.
const MAX_DISKS_PER_BOOT: usize = 24;

/// Whether the images the Wine suite dumped through the driver must be judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WineImages {
    /// `cargo xtask test`: the Wine stage ran just before; its images must be there.
    Required,
    /// `cargo xtask kernel-judge`: judged when a Wine run left them, else said so.
    IfPresent,
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// More images from the FAT matrix (more boots).
    pub long: bool,
    /// The Wine-dumped images.
    pub wine_images: WineImages,
}

fn root() -> PathBuf {
    target_dir().join("kernel-judge")
}

/// Where the Wine suite keeps the images it dumped through the driver.
pub fn wine_dir() -> PathBuf {
    root().join("wine")
}

/// Removes the kept Wine images (the Wine suite calls this before its matrix, so what
/// the judge finds was dumped by the latest run).
pub fn forget_wine_images() -> Result<()> {
    let dir = wine_dir();
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("remove {}", dir.display()))?;
    }
    Ok(())
}

/// Keeps a copy of an image dumped through the driver as `<name>.img`, with `what`
/// (its configuration) beside it in `<name>.txt`.
pub fn keep_wine_image(img: &Path, name: &str, what: &str) -> Result<()> {
    let dir = wine_dir();
    fs::create_dir_all(&dir)?;
    fs::copy(img, dir.join(format!("{name}.img")))
        .with_context(|| format!("keep {} for the kernel judge", img.display()))?;
    fs::write(dir.join(format!("{name}.txt")), format!("{what}\n"))?;
    Ok(())
}

/// The kept Wine images as specs.
fn wine_specs() -> Result<Vec<Spec>> {
    let dir = wine_dir();
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "img"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .context("image name")?
                .to_string();
            let what = fs::read_to_string(path.with_extension("txt"))
                .unwrap_or_default()
                .trim()
                .to_string();
            let mut sector = [0u8; 512];
            std::os::unix::fs::FileExt::read_exact_at(&fs::File::open(&path)?, &mut sector, 0)
                .with_context(|| format!("read {}", path.display()))?;
            Ok(Spec {
                name,
                fs: FsKind::of_boot_sector(&sector),
                origin: Origin::Wine { path, what },
                device_block: 512,
                corrupt: None,
                expect: Expect::Clean,
                job: Job::Tree,
            })
        })
        .collect()
}

/// The result of one image.
struct Outcome {
    name: String,
    what: String,
    ok: bool,
    lines: Vec<String>,
}

/// Every image of the run: the FAT sets, the Wine dumps (required or not), the FAT
/// self-checks, the exFAT set, the big file and the exFAT self-checks.
fn all_specs(opts: &Options) -> Result<Vec<Spec>> {
    let mut specs = images::default_set();
    if opts.long {
        specs.extend(images::long_set());
    }
    let wine = wine_specs()?;
    match (wine.is_empty(), opts.wine_images) {
        (true, WineImages::Required) => bail!(
            "the Wine end-to-end stage left no images dumped through the driver in {}",
            wine_dir().display()
        ),
        (true, WineImages::IfPresent) => println!(
            "no images dumped through the driver in {} (run `cargo xtask e2e` first): \
             judging ramdisk-core's images only",
            wine_dir().display()
        ),
        (false, _) => {
            let when = fs::metadata(wine_dir())
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .map_or(String::new(), |e| {
                    format!(", kept {:.0} min ago", e.as_secs_f64() / 60.0)
                });
            println!(
                "{} image(s) dumped through the driver by the Wine suite ({}{when})",
                wine.len(),
                wine_dir().display()
            );
        }
    }
    specs.extend(wine);
    specs.extend(images::self_checks());
    specs.extend(images::exfat_set());
    specs.push(images::big_file_spec(opts.long));
    specs.extend(images::exfat_self_checks());
    Ok(specs)
}

/// Runs the judge.
pub fn run(opts: &Options) -> Result<()> {
    let start = Instant::now();
    let kit = kit::ensure(&root().join("kit"))?;
    println!(
        "kernel: {} ({}), {}",
        kit.kernel_package,
        kit.vmlinuz.display(),
        kit.busybox_package
    );
    let specs = all_specs(opts)?;
    let dir = root().join("last-run");
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    fs::create_dir_all(&dir)?;
    let mut times = Times::default();
    let mut prepared = Vec::new();
    for s in specs {
        let t = Instant::now();
        let exfat = s.fs == FsKind::Exfat;
        prepared.push(images::prepare(s, &dir)?);
        if exfat {
            times.exfat_prepare += t.elapsed().as_secs_f64();
        }
    }
    println!("{} images in {}", prepared.len(), dir.display());
    let outcomes = run_boots(&kit, &prepared, &dir, &mut times)?;
    println!();
    let mut failed = Vec::new();
    for o in &outcomes {
        println!(
            "{} {} ({})",
            if o.ok { "PASS" } else { "FAIL" },
            o.name,
            o.what
        );
        for l in &o.lines {
            println!("     {l}");
        }
        if !o.ok {
            failed.push(o.name.clone());
        }
    }
    println!(
        "\nkernel judge: {} images, {} passed, {} failed in {:.1} s (files in {}); exFAT: \
         {:.1} s to make the images (the big file included), {:.1} s to boot, judge and \
         read them back",
        outcomes.len(),
        outcomes.len() - failed.len(),
        failed.len(),
        start.elapsed().as_secs_f64(),
        dir.display(),
        times.exfat_prepare,
        times.exfat_boots
    );
    if !failed.is_empty() {
        bail!("kernel judge failed: {}", failed.join(", "));
    }
    Ok(())
}

/// Boots once per file system (more when its images do not fit one boot), two boots
/// at a time: each QEMU (TCG) keeps one core busy, and the machine has two.
fn run_boots(
    kit: &kit::Kit,
    prepared: &[Image],
    dir: &Path,
    times: &mut Times,
) -> Result<Vec<Outcome>> {
    let mut batches: Vec<(FsKind, Vec<&Image>)> = Vec::new();
    for kind in [FsKind::Vfat, FsKind::Exfat] {
        let of_kind: Vec<&Image> = prepared.iter().filter(|i| i.spec.fs == kind).collect();
        batches.extend(
            of_kind
                .chunks(MAX_DISKS_PER_BOOT)
                .map(|b| (kind, b.to_vec())),
        );
    }
    let mut outcomes = Vec::new();
    for (pair_index, pair) in batches.chunks(2).enumerate() {
        let results: Vec<(FsKind, f64, Result<Vec<Outcome>>)> = std::thread::scope(|scope| {
            #[allow(
                clippy::needless_collect,
                reason = "both boots start before either is waited for"
            )]
            let running: Vec<_> = pair
                .iter()
                .enumerate()
                .map(|(i, (kind, batch))| {
                    let bdir = dir.join(format!("boot{}", 2 * pair_index + i));
                    scope.spawn(move || {
                        let t = Instant::now();
                        let r = fs::create_dir_all(&bdir)
                            .map_err(anyhow::Error::from)
                            .and_then(|()| judge_batch(kit, batch, &bdir));
                        (*kind, t.elapsed().as_secs_f64(), r)
                    })
                })
                .collect();
            running
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| panic!("a boot's thread panicked"))
                })
                .collect()
        });
        for (kind, secs, r) in results {
            outcomes.extend(r?);
            if kind == FsKind::Exfat {
                times.exfat_boots += secs;
            }
        }
    }
    Ok(outcomes)
}

/// Where the exFAT part of a run spends its time.
#[derive(Default)]
struct Times {
    /// Formatting the exFAT images and writing the big file.
    exfat_prepare: f64,
    /// The exFAT boots with their checks afterwards.
    exfat_boots: f64,
}

/// Time for one boot: the kernel needs ~10 s under TCG, each image a few seconds (the
/// whole big file, `--long`, a few minutes more).
fn timeout_for(images: &[&Image]) -> Duration {
    let whole = images
        .iter()
        .any(|i| i.spec.job == Job::ReadBigFile { whole: true });
    Duration::from_secs(60 + 10 * images.len() as u64 + if whole { 600 } else { 0 })
}

fn judge_batch(kit: &kit::Kit, batch: &[&Image], dir: &Path) -> Result<Vec<Outcome>> {
    let disks: Vec<Disk<'_>> = batch
        .iter()
        .enumerate()
        .map(|(i, &image)| Disk {
            serial: format!("j{i:02}"),
            image,
        })
        .collect();
    let initramfs = dir.join("initramfs.cpio");
    let modules = guest::build_initramfs(kit, &disks, &initramfs)?;
    let timeout = timeout_for(batch);
    println!(
        "booting {} under QEMU (TCG) with {} disks, modules {}; console: {}",
        kit.release,
        disks.len(),
        modules.join(" "),
        dir.join("console.log").display()
    );
    let boot = qemu::boot(kit, &initramfs, &disks, dir, timeout)?;
    let console = verdict::parse(&boot.console);
    println!(
        "boot finished in {:.1} s ({})",
        boot.secs,
        if boot.timed_out {
            format!("killed after {} s", timeout.as_secs())
        } else {
            format!("QEMU exit {:?}", boot.exit)
        }
    );
    let mut global = Vec::new();
    if boot.timed_out || !console.finished {
        let mut tail: Vec<&str> = boot.console.lines().rev().take(25).collect();
        tail.reverse();
        global.push(format!(
            "the guest did not finish (no JUDGE-END); last console lines:\n       {}\n       QEMU stderr: {}",
            tail.join("\n       "),
            boot.stderr.trim()
        ));
    }
    for m in &console.insmod_failed {
        global.push(format!("module {m} did not load"));
    }
    global.extend(
        console
            .fatal_lines()
            .into_iter()
            .map(|l| format!("kernel: {l}")),
    );
    let devs: Vec<String> = console
        .seen
        .values()
        .filter_map(|s| s.dev.clone())
        .collect();
    global.extend(
        console
            .stray_fs_warnings(&devs)
            .into_iter()
            .map(|l| format!("kernel (no device of ours): {l}")),
    );
    let mut out = Vec::new();
    for &image in batch {
        out.push(judge_image(image, &console, &global, dir));
    }
    Ok(out)
}

/// What the kernel showed of a clean image (the first line), and what the host's
/// readers make of what it left: fsck.fat and mtools (FAT), fsck.exfat and hadris-fat
/// (exFAT), or every reader of the big file.
fn after_the_kernel(
    image: &Image,
    want: &tree::Tree,
    dev: &str,
    want_hash: &str,
    dir: &Path,
) -> (String, Result<Vec<String>>) {
    let name = &image.spec.name;
    match (image.spec.fs, image.spec.job) {
        (_, Job::ReadBigFile { whole }) => (
            format!(
                "kernel ({dev}): mounted read-only, {} bytes, the big file's ranges read: \
                 listing SHA-256 {}… matches",
                ramdisk_exfat_judge::big_file::LEN,
                &want_hash[..16]
            ),
            checks::big_file_readers(image, whole, &dir.join(format!("{name}.mnt")))
                .map(|s| vec![format!("host readers: {s}")]),
        ),
        (kind, Job::Tree) => {
            let said = format!(
                "kernel ({dev}): mounted read-write, tree of {} files written and changed, \
                 read back after a remount: listing SHA-256 {}… matches",
                want.files.len(),
                &want_hash[..16]
            );
            let host = match kind {
                FsKind::Vfat => {
                    // Both run, whatever the first says.
                    let f = checks::fsck(&image.path);
                    let m = checks::mtools(image, want, &dir.join(format!("{name}.mcopy")));
                    match (f, m) {
                        (Ok(f), Ok(m)) => Ok(vec![
                            format!("fsck.fat -n after the kernel: {f}"),
                            format!("mtools: {m}"),
                        ]),
                        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
                        (Err(f), Err(m)) => Err(anyhow::anyhow!("{f:#}\n{m:#}")),
                    }
                }
                FsKind::Exfat => checks::exfat_after_kernel(image, want)
                    .map(|s| vec![format!("after the kernel: {s}")]),
            };
            (said, host)
        }
    }
}

fn judge_image(
    image: &Image,
    console: &verdict::Console,
    global: &[String],
    dir: &Path,
) -> Outcome {
    let name = image.spec.name.clone();
    let want = image.tree.expected();
    let want_hash = image.expected_hash();
    let v = console.judge(&name, &want_hash);
    let mut problems: Vec<String> = global.to_vec();
    problems.extend(v.problems.iter().cloned());
    let mut lines = Vec::new();
    if let Some(seen) = console.seen.get(&name)
        && !seen.listing.is_empty()
    {
        let got: std::collections::BTreeSet<&str> =
            seen.listing.iter().map(String::as_str).collect();
        let want_listing = image.expected_listing();
        let want_lines: std::collections::BTreeSet<&str> = want_listing.lines().collect();
        for l in want_lines.difference(&got).take(8) {
            problems.push(format!("listing lacks `{l}`"));
        }
        for l in got.difference(&want_lines).take(8) {
            problems.push(format!("listing has unexpected `{l}`"));
        }
    }
    match &image.spec.expect {
        Expect::KernelSays(text) => {
            let said = v.kernel_warnings.iter().find(|l| l.contains(text));
            let ok = match said {
                Some(l) if !v.problems.is_empty() => {
                    lines.push(format!(
                        "refused as it must be: the judge fails it, the kernel said: {l}"
                    ));
                    true
                }
                _ => {
                    lines.push(format!(
                        "SELF-CHECK FAILED: this image must fail with a kernel message \
                         containing {text:?}; verdict: {:?}; kernel lines: {:?}",
                        v.problems, v.kernel_lines
                    ));
                    false
                }
            };
            return Outcome {
                name,
                what: image.what.clone(),
                ok: ok && global.is_empty(),
                lines: lines.into_iter().chain(global.iter().cloned()).collect(),
            };
        }
        Expect::Clean => {}
    }
    if problems.is_empty() {
        let (kernel_says, host) = after_the_kernel(image, &want, &v.dev, &want_hash, dir);
        lines.push(kernel_says);
        match host {
            Ok(l) => lines.extend(l),
            Err(e) => problems.push(format!("{e:#}")),
        }
        match fs::metadata(&image.path) {
            Ok(m) if m.len() == image.size => {}
            Ok(m) => problems.push(format!(
                "the image is {} bytes now, was {}",
                m.len(),
                image.size
            )),
            Err(e) => problems.push(format!("{e}")),
        }
    }
    if !v.kernel_lines.is_empty() {
        let mut s = String::from("kernel lines about it:");
        for l in &v.kernel_lines {
            let _ = write!(s, "\n       {l}");
        }
        lines.push(s);
    }
    // The big file's image takes ~4.6 GiB of disk: kept only when it failed.
    if problems.is_empty() && matches!(image.spec.job, Job::ReadBigFile { .. }) {
        match fs::remove_file(&image.path) {
            Ok(()) => lines.push(format!(
                "{} removed (kept only on failure)",
                image.path.display()
            )),
            Err(e) => problems.push(format!("remove {}: {e}", image.path.display())),
        }
    }
    lines.extend(problems.iter().map(|p| format!("problem: {p}")));
    Outcome {
        name,
        what: image.what.clone(),
        ok: problems.is_empty(),
        lines,
    }
}
