//! The Linux kernel as a judge of our FAT images (`cargo xtask kernel-judge`, and a
//! stage of `cargo xtask test` after the Wine end-to-end suite).
//!
//! Debian's own kernel boots under QEMU (TCG) once with every image of the run
//! attached as a virtio disk. Its busybox `/init` mounts each image read-write with
//! the kernel's `vfat` driver, writes a file tree (long and Unicode names, nested
//! directories, a directory of hundreds of entries, a multi-megabyte file), deletes,
//! renames and appends, unmounts, mounts again read-only, lists and hashes the tree,
//! and prints `MOUNTED <name> <sha256>`; then the kernel log. An image fails when its
//! sentinel is missing, the hash is not the host's for the same tree, or the kernel
//! logged a warning or error about its device (`FAT-fs (vdX): ...`). Afterwards
//! `fsck.fat -n` and mtools read what the kernel wrote.
//!
//! Two deliberately corrupted images ride along (the self-check): the stage fails
//! unless the judge fails them with the kernel's own message.
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
    images::{Expect, Image, Origin, Spec},
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
            Ok(Spec {
                name,
                fs: images::FsKind::Vfat,
                origin: Origin::Wine { path, what },
                device_block: 512,
                corrupt: None,
                expect: Expect::Clean,
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
    let dir = root().join("last-run");
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    fs::create_dir_all(&dir)?;
    let prepared: Vec<Image> = specs
        .into_iter()
        .map(|s| images::prepare(s, &dir))
        .collect::<Result<_>>()?;
    println!("{} images in {}", prepared.len(), dir.display());
    let mut outcomes = Vec::new();
    for (n, batch) in prepared.chunks(MAX_DISKS_PER_BOOT).enumerate() {
        let bdir = dir.join(format!("boot{n}"));
        fs::create_dir_all(&bdir)?;
        outcomes.extend(judge_batch(&kit, batch, &bdir)?);
    }
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
        "\nkernel judge: {} images, {} passed, {} failed in {:.1} s (files in {})",
        outcomes.len(),
        outcomes.len() - failed.len(),
        failed.len(),
        start.elapsed().as_secs_f64(),
        dir.display()
    );
    if !failed.is_empty() {
        bail!("kernel judge failed: {}", failed.join(", "));
    }
    Ok(())
}

/// Time for one boot: the kernel needs ~10 s under TCG, each image a few seconds.
const fn timeout_for(images: &[Image]) -> Duration {
    Duration::from_secs(60 + 10 * images.len() as u64)
}

fn judge_batch(kit: &kit::Kit, batch: &[Image], dir: &Path) -> Result<Vec<Outcome>> {
    let disks: Vec<Disk<'_>> = batch
        .iter()
        .enumerate()
        .map(|(i, image)| Disk {
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
    for image in batch {
        out.push(judge_image(image, &console, &global, dir));
    }
    Ok(out)
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
        let want_listing = want.listing();
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
        lines.push(format!(
            "kernel ({}): mounted read-write, tree of {} files written and changed, read back \
             after a remount: listing SHA-256 {}… matches",
            v.dev,
            want.files.len(),
            &want_hash[..16]
        ));
        match checks::fsck(&image.path) {
            Ok(s) => lines.push(format!("fsck.fat -n after the kernel: {s}")),
            Err(e) => problems.push(format!("{e:#}")),
        }
        match checks::mtools(image, &want, &dir.join(format!("{name}.mcopy"))) {
            Ok(s) => lines.push(format!("mtools: {s}")),
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
    lines.extend(problems.iter().map(|p| format!("problem: {p}")));
    Outcome {
        name,
        what: image.what.clone(),
        ok: problems.is_empty(),
        lines,
    }
}
