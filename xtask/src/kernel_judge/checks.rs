//! After the kernel wrote: the user-space judges read what it left. `fsck.fat -n`
//! must find nothing to say, and mtools must show the label and copy out exactly the
//! tree the guest was to leave behind.

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
