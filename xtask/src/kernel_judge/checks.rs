//! After the kernel wrote: the user-space judges read what it left. On FAT `fsck.fat -n`
//! must find nothing to say, and mtools must show the label and copy out exactly the
//! tree the guest was to leave behind; on exFAT fsck.exfat and hadris-fat do the same
//! (the exFAT judges of `ramdisk-exfat-judge`), and every host reader reads the big
//! file back.

use std::{
    fs,
    path::Path,
    process::{Command, Output, Stdio},
};

use anyhow::{Context, Result, bail, ensure};

use super::{images::Image, tree::Tree};

fn tool(program: &str, args: &[&str]) -> Result<Output> {
    Command::new(program)
        .args(args)
        .env("MTOOLS_SKIP_CHECK", "1")
        // mtools converts long names to the locale's charset: UTF-8, like the guest's.
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {program} (dosfstools / mtools installed?)"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `fsck.fat -n`: exit 0 and nothing but its version line and the summary
/// (`<image>: N files, U/T clusters`). Returns the summary.
pub fn fsck(img: &Path) -> Result<String> {
    let p = img.display().to_string();
    let out = tool("fsck.fat", &["-n", &p])?;
    let all = text(&out);
    ensure!(
        out.status.success(),
        "fsck.fat -n failed ({}):\n{all}",
        out.status
    );
    let mut summary = None;
    for line in all.lines().filter(|l| !l.trim().is_empty()) {
        if line.starts_with("fsck.fat ") {
            continue;
        }
        if line.starts_with(&format!("{p}: ")) && line.contains(" files, ") {
            summary = Some(line[p.len() + 2..].to_string());
            continue;
        }
        bail!("fsck.fat -n reported `{line}`:\n{all}");
    }
    summary.with_context(|| format!("fsck.fat printed no summary:\n{all}"))
}

/// `mdir` shows the label; `mcopy -s` copies out the tree the guest must have left;
/// `mtype` prints a file the kernel wrote. Returns a short note.
pub fn mtools(image: &Image, want: &Tree, scratch: &Path) -> Result<String> {
    let p = image.path.display().to_string();
    let mdir = tool("mdir", &["-i", &p, "::/"])?;
    let all = text(&mdir);
    ensure!(mdir.status.success(), "mdir failed:\n{all}");
    let label_line = all
        .lines()
        .find(|l| l.contains("Volume in drive"))
        .unwrap_or("")
        .trim_end();
    match &image.label {
        Some(l) => ensure!(
            label_line.ends_with(&format!("is {l}")),
            "mdir shows `{label_line}`, want label {l:?}"
        ),
        None => ensure!(
            label_line.ends_with("has no label"),
            "mdir shows `{label_line}`, want no label"
        ),
    }
    if scratch.exists() {
        fs::remove_dir_all(scratch)?;
    }
    fs::create_dir_all(scratch)?;
    let dest = format!("{}/", scratch.display());
    let copy = tool("mcopy", &["-s", "-n", "-m", "-i", &p, "::/*", &dest])?;
    ensure!(copy.status.success(), "mcopy -s failed:\n{}", text(&copy));
    let got = Tree::from_dir(scratch)?;
    let diff = got.differences(want);
    ensure!(
        diff.is_empty(),
        "mcopy -s copied out another tree than the kernel was to leave:\n  {}",
        diff.iter()
            .take(12)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    fs::remove_dir_all(scratch)?;
    // One file by name, through mtype.
    let (name, data) = want
        .files
        .iter()
        .find(|(n, d)| !n.contains('/') && !d.is_empty())
        .context("the tree has no non-empty file in the root directory")?;
    let typed = tool("mtype", &["-i", &p, &format!("::/{name}")])?;
    ensure!(
        typed.status.success() && typed.stdout == *data,
        "mtype ::/{name} printed other bytes:\n{}",
        text(&typed)
    );
    Ok(format!(
        "{} files in {} directories identical, label {}",
        want.files.len(),
        want.dirs.len() + 1,
        image
            .label
            .as_deref()
            .map_or_else(|| "none".to_string(), |l| format!("{l:?}"))
    ))
}

/// After the kernel wrote an exFAT image: both boot regions still hold (the kernel may
/// only touch `VolumeFlags` and `PercentInUse`), `fsck.exfat -n` exits 0, hadris-fat's
/// check finds nothing but the `PercentInUse` Linux does not update (reported, see
/// [`ramdisk_exfat_judge::hadris::check_after_writer`]), and hadris reads back exactly
/// the tree the kernel was to leave.
pub fn exfat_after_kernel(image: &Image, want: &Tree) -> Result<String> {
    use ramdisk_exfat_judge::{bytes, fsck, hadris};
    let boot = bytes::check_boot_regions(&image.path)?;
    ensure!(
        boot.is_empty(),
        "the boot regions after the kernel:\n  {}",
        boot.join("\n  ")
    );
    let fsck = fsck::fsck(&image.path)?;
    let formatted = image
        .percent_in_use
        .context("no PercentInUse recorded before the kernel wrote")?;
    let check = hadris::check_after_writer(&image.path, formatted)?;
    let (dirs, files) = hadris::tree(&image.path)?;
    let got = Tree { dirs, files };
    let diff = got.differences(want);
    ensure!(
        diff.is_empty(),
        "hadris-fat reads another tree than the kernel was to leave:\n  {}",
        diff.iter()
            .take(12)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    let facts = hadris::facts(&image.path)?;
    ensure!(
        Some(facts.label.as_str()) == image.label.as_deref().or(Some("")),
        "hadris-fat reads label {:?}, want {:?}",
        facts.label,
        image.label
    );
    Ok(format!(
        "boot regions hold; fsck.exfat -n: {fsck}; hadris-fat check: {check}; hadris-fat \
         reads the {} files in {} directories identical, label {:?}",
        want.files.len(),
        want.dirs.len() + 1,
        facts.label
    ))
}

/// The big file read back by every host reader: hadris-fat, the exfat crate and
/// exfat-fuse (read-only, through a loop device) must all give its length and the
/// SHA-256 of each range; fsck.exfat and hadris's check must pass.
pub fn big_file_readers(image: &Image, whole: bool, scratch: &Path) -> Result<String> {
    use ramdisk_exfat_judge::{big_file, fsck, fuse, hadris, reader};
    let ranges = big_file::ranges(whole);
    let want = (big_file::LEN, big_file::expected(&ranges));
    let fsck = fsck::fsck(&image.path)?;
    let formatted = image
        .percent_in_use
        .context("no PercentInUse recorded before exfat-fuse wrote")?;
    let check = hadris::check_after_writer(&image.path, formatted)?;
    let mut readers = vec![
        (
            "hadris-fat",
            hadris::hash_ranges(&image.path, big_file::NAME, &ranges)?,
        ),
        (
            "the exfat crate",
            reader::hash_ranges(&image.path, big_file::NAME, &ranges)?,
        ),
    ];
    let m = fuse::Mounted::new(&image.path, scratch, false)?;
    let fused = big_file::hash_file(&m.dir.join(big_file::NAME), &ranges);
    m.finish()?;
    readers.push(("exfat-fuse", fused?));
    for (who, got) in &readers {
        ensure!(
            *got == want,
            "{who} reads {} bytes with range hashes {:?}; want {} bytes, {:?}",
            got.0,
            got.1,
            want.0,
            want.1
        );
    }
    let names: Vec<String> = ranges.iter().map(|&r| big_file::range_name(r)).collect();
    Ok(format!(
        "fsck.exfat -n: {fsck}; hadris-fat check: {check}; {} bytes, {} identical through \
         hadris-fat, the exfat crate and exfat-fuse",
        big_file::LEN,
        names.join(", ")
    ))
}
