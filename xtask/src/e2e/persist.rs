//! Disks that load an image file and save it (issue 16; saving at shutdown is
//! `shutdown.rs`'s, through the fault-injection build's shutdown double: Wine never
//! sends `IRP_MJ_SHUTDOWN`).
//!
//! - `persist/create-image`: a FAT16 image made on Linux with `mkfs.fat` + `mcopy` (a
//!   tree of files) is served by `ramdiskctl create --image`: the whole disk dumps
//!   back byte-identical and `mcopy` of the dump gives back every file; the disk
//!   removes cleanly;
//! - `persist/read-only`: `--read-only`: `IOCTL_DISK_IS_WRITABLE` and a write fail with
//!   the Win32 error Wine maps `STATUS_MEDIA_WRITE_PROTECTED` to, the data unchanged;
//! - `persist/dynamic-sparse`: a 1 GiB dynamic disk loaded from a mostly-empty image
//!   holds about its data, not its size;
//! - `persist/bad-images`: wrong size, truncated, a directory, a missing directory, a
//!   file another process holds without sharing, `<file>.new` without `<file>`, a
//!   partitioned (MBR) image: each creation fails with its status and a log line
//!   naming the file, the disk list is unchanged;
//! - `persist/new-image`: a missing file in an existing directory makes a fresh disk;
//! - `persist/registry-image`: `ImageFile` in `Parameters` at `sc start`;
//! - `persist/save`: what Wine does with `FileRenameInformationEx`; a changed image
//!   saved by `ramdiskctl save` (`fsck.fat -n`, `mcopy`), a second save, a save over a
//!   file replaced behind the disk's back refused;
//! - `persist/save-on-stop`: `SaveOn=stop` saves at `sc stop` and at `ramdiskctl remove`;
//! - `persist/save-sparse`: a dynamic 8 GiB disk saves to a sparse file and loads back;
//! - `persist/save-fails`: a read-only mount and a full tmpfs: the image unchanged;
//! - `persist/load-throughput`: a 512 MiB fixed image loads; its MB/s in the PASS line.

use std::{fs, path::Path, time::Duration};

use anyhow::{Context, Result, ensure};

use super::{
    Config, Env, cleanup, ctl_ok,
    dynamic::noise,
    install, json, no_crash,
    runner::{Case, Scenario, Suite},
};
use crate::wine::{Out, SERVICE, Wine, win_path};

pub(super) const MIB: u64 = 1 << 20;
/// `IOCTL_DISK_IS_WRITABLE`.
const IOCTL_DISK_IS_WRITABLE: u32 = 0x0007_0024;
/// What Wine's `RtlNtStatusToDosError` gives for `STATUS_MEDIA_WRITE_PROTECTED`:
/// `ERROR_WRITE_PROTECT`.
const ERROR_WRITE_PROTECT: u32 = 19;

/// The scenario's cases.
pub fn cases(env: &Env) -> Vec<Case<'_>> {
    let sys = &env.sys;
    vec![
        Case::new(Scenario::Persist, "persist/create-image", move |s| {
            create_image(s, sys);
            Ok(())
        }),
        Case::new(Scenario::Persist, "persist/read-only", move |s| {
            read_only(s, sys);
            Ok(())
        }),
        Case::new(Scenario::Persist, "persist/dynamic-sparse", move |s| {
            dynamic_sparse(s, sys);
            Ok(())
        }),
        Case::new(Scenario::Persist, "persist/bad-images", move |s| {
            bad_images(s, sys);
            Ok(())
        }),
        Case::new(Scenario::Persist, "persist/new-image", move |s| {
            new_image(s, sys);
            Ok(())
        }),
        Case::new(Scenario::Persist, "persist/registry-image", move |s| {
            registry_image(s, sys);
            Ok(())
        }),
        Case::new(Scenario::Persist, "persist/save", move |s| {
            save(s, sys);
            Ok(())
        }),
        Case::new(Scenario::Persist, "persist/save-on-stop", move |s| {
            save_on_stop(s, sys);
            Ok(())
        }),
        Case::new(Scenario::Persist, "persist/save-sparse", move |s| {
            save_sparse(s, sys);
            Ok(())
        }),
        Case::new(Scenario::Persist, "persist/save-fails", move |s| {
            save_fails(s, sys);
            Ok(())
        }),
        Case::new(Scenario::Persist, "persist/load-throughput", move |s| {
            throughput(s, sys);
            Ok(())
        }),
    ]
}

/// A scratch directory of the case, emptied.
pub(super) fn dir(w: &Wine, name: &str) -> Result<std::path::PathBuf> {
    let d = w.log_dir.join("persist").join(name);
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d)?;
    Ok(d)
}

/// A FAT image of `size` bytes (`mkfs.fat`, `-F fat` when given) holding a small
/// tree of files copied in with `mcopy`; the files' host copies are under `tree`.
pub(super) fn make_image(
    w: &Wine,
    img: &Path,
    size: u64,
    fat: Option<&str>,
    tree: &Path,
) -> Result<()> {
    let f = fs::File::create(img)?;
    f.set_len(size)?;
    drop(f);
    let path = img.display().to_string();
    let mut args = vec!["-n", "PERSIST"];
    if let Some(fat) = fat {
        args.extend(["-F", fat]);
    }
    args.push(&path);
    let out = w.host("mkfs.fat", &args)?;
    ensure!(out.ok(), "mkfs.fat: {}", out.text());
    fs::create_dir_all(tree.join("sub/deeper"))?;
    for (name, len, seed) in [
        ("a.txt", 1000usize, 1u64),
        ("big.bin", 3 * 1024 * 1024 + 17, 2),
        ("sub/b.bin", 70_000, 3),
        ("sub/deeper/c.dat", 4096, 4),
    ] {
        fs::write(tree.join(name), noise(seed, len))?;
    }
    let src = format!("{}/", tree.display());
    let out = w.host(
        "mcopy",
        &[
            "-s",
            "-i",
            &path,
            &format!("{src}a.txt"),
            &format!("{src}big.bin"),
            &format!("{src}sub"),
            "::/",
        ],
    )?;
    ensure!(out.ok(), "mcopy: {}", out.text());
    Ok(())
}

/// The driver with disk 0 (8 MiB on Q:) and the control device.
pub(super) fn start_driver(w: &Wine, sys: &Path) -> Result<()> {
    cleanup(w);
    install(w, sys, &Config::new(8 * MIB, 'Q'))?;
    ctl_ok(w, &["start", "--no-broadcast"])?;
    Ok(())
}

/// `ramdiskctl create --image` with `extra` arguments; its output.
pub(super) fn create(w: &Wine, img: &str, size: u64, extra: &[&str]) -> Result<Out> {
    let size = size.to_string();
    let mut args = vec![
        "--json",
        "create",
        "--image",
        img,
        "--size",
        &size,
        "--no-broadcast",
    ];
    args.extend_from_slice(extra);
    w.ctl(&args)
}

/// The letters `ramdiskctl list` shows.
pub(super) fn letters(w: &Wine) -> Result<Vec<String>> {
    let j = json(&ctl_ok(w, &["--json", "list"])?)?;
    Ok(j["disks"]
        .as_array()
        .context("no disks")?
        .iter()
        .filter_map(|d| d["letter"].as_str().map(str::to_string))
        .collect())
}

/// Dumps all `size` bytes of `dev` to `out` and checks them against `img`; then
/// `mcopy` of the dump gives back every file of `tree`.
fn same_as_image(w: &Wine, dev: &str, out: &Path, img: &Path, tree: &Path) -> Result<()> {
    let shown = out.display().to_string();
    ctl_ok(w, &["dump", &shown, dev])?;
    ensure!(
        fs::read(out)? == fs::read(img)?,
        "the dump of {dev} differs from the image"
    );
    let back = out.with_extension("files");
    let _ = fs::remove_dir_all(&back);
    fs::create_dir_all(&back)?;
    let got = w.host(
        "mcopy",
        &["-s", "-i", &shown, "::/*", &format!("{}/", back.display())],
    )?;
    ensure!(got.ok(), "mcopy from the dump: {}", got.text());
    for name in ["a.txt", "big.bin", "sub/b.bin", "sub/deeper/c.dat"] {
        ensure!(
            fs::read(back.join(name))? == fs::read(tree.join(name))?,
            "{name} differs"
        );
    }
    Ok(())
}

/// Removes `letter` (no crash since `mark`).
pub(super) fn remove(w: &Wine, letter: &str, mark: u64) -> Result<()> {
    ctl_ok(w, &["remove", letter, "--no-broadcast"])?;
    no_crash(w, mark)
}

/// Stops the service: pool balance 0.
pub(super) fn stop(w: &Wine) -> Result<String> {
    let mark = w.log_mark();
    let out = w.wine(&["sc", "stop", SERVICE])?;
    let _ = w.wine(&["sc", "delete", SERVICE]);
    no_crash(w, mark)?;
    ensure!(out.ok(), "sc stop: {}", out.text());
    ensure!(
        w.driver_lines(mark)
            .iter()
            .any(|l| l.contains("unloaded, pool balance 0")),
        "no \"pool balance 0\""
    );
    Ok("stopped, pool balance 0".into())
}

fn create_image(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "ramdiskctl create --image: a mkfs.fat + mcopy image is served byte-identical, its files read back with mcopy",
        |w| {
            let d = dir(w, "create")?;
            let img = d.join("disk.img");
            let tree = d.join("tree");
            make_image(w, &img, 32 * MIB, Some("16"), &tree)?;
            start_driver(w, sys)?;
            let mark = w.log_mark();
            let j = json(&create(w, &win_path(&img), 32 * MIB, &["--letter", "R", "--fs", "keep"])?.check()?)?;
            ensure!(j["letter"] == "R:", "create: {j}");
            ensure!(j["file_system"] == "FAT16", "file system: {j}");
            same_as_image(w, r"\\.\R:", &d.join("dump.img"), &img, &tree)?;
            let lines = w.driver_lines(mark);
            let loaded = lines
                .iter()
                .find(|l| l.contains("loaded 33554432 bytes from"))
                .context("no \"loaded\" line")?
                .clone();
            remove(w, "R:", mark)?;
            ensure!(
                w.driver_lines(mark).iter().any(|l| l.contains("closing ImageFile")),
                "no \"closing ImageFile\" line"
            );
            stop(w)?;
            Ok(loaded)
        },
    );
}

fn read_only(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "--read-only: IS_WRITABLE and writes fail with ERROR_WRITE_PROTECT, the data unchanged",
        |w| {
            let d = dir(w, "readonly")?;
            let img = d.join("ro.img");
            let tree = d.join("tree");
            make_image(w, &img, 16 * MIB, Some("16"), &tree)?;
            start_driver(w, sys)?;
            let mark = w.log_mark();
            create(
                w,
                &win_path(&img),
                16 * MIB,
                &["--letter", "S", "--read-only"],
            )?
            .check()?;
            let out = w.e2e(&["ioctl", r"\\.\S:", &format!("{IOCTL_DISK_IS_WRITABLE:#x}")])?;
            ensure!(
                out.stdout
                    .contains(&format!("error={ERROR_WRITE_PROTECT} ")),
                "IS_WRITABLE: {}",
                out.text()
            );
            let out = w.e2e(&["pattern", r"\\.\S:", "write", "1048576", "4096", "7"])?;
            ensure!(
                out.stdout.contains(&format!("error={ERROR_WRITE_PROTECT}")),
                "write: {}",
                out.text()
            );
            same_as_image(w, r"\\.\S:", &d.join("dump.img"), &img, &tree)?;
            remove(w, "S:", mark)?;
            stop(w)?;
            Ok(format!(
                "IS_WRITABLE and WRITE: Win32 error {ERROR_WRITE_PROTECT}"
            ))
        },
    );
}

fn dynamic_sparse(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "a 1 GiB dynamic disk loaded from a mostly-empty image holds about its data",
        |w| {
            let d = dir(w, "sparse")?;
            let img = d.join("big.img");
            let tree = d.join("tree");
            make_image(w, &img, 1024 * MIB, Some("32"), &tree)?;
            start_driver(w, sys)?;
            let mark = w.log_mark();
            create(
                w,
                &win_path(&img),
                1024 * MIB,
                &["--letter", "T", "--allocation", "dynamic"],
            )?
            .check()?;
            let info = json(&ctl_ok(w, &["--json", "info", r"\\.\T:"])?)?;
            let allocated = info["allocated_bytes"]
                .as_u64()
                .context("no allocated_bytes")?;
            // The files (~3.2 MiB, consecutive clusters) and the FATs' used sectors, in
            // 2 MiB chunks.
            ensure!(
                allocated <= 8 * MIB,
                "{allocated} bytes allocated for ~3.2 MiB of data: {info}"
            );
            remove(w, "T:", mark)?;
            stop(w)?;
            Ok(format!("{allocated} bytes allocated for a 1 GiB image"))
        },
    );
}

/// One creation that must fail: `status` in the driver's line, which names the file.
pub(super) fn must_fail(
    w: &Wine,
    img: &str,
    size: u64,
    extra: &[&str],
    status: &str,
) -> Result<String> {
    let mark = w.log_mark();
    let before = letters(w)?;
    let out = create(w, img, size, extra)?;
    ensure!(!out.ok(), "create succeeded: {}", out.text());
    let lines = w.driver_lines(mark);
    let named = lines
        .iter()
        .find(|l| l.contains("ImageFile \\??\\") && l.contains(img))
        .with_context(|| format!("no line naming the file: {lines:?}"))?
        .clone();
    ensure!(
        lines
            .iter()
            .any(|l| l.contains("CREATE: ImageFile:") && l.contains(status)),
        "no CREATE line with {status}: {lines:?}"
    );
    ensure!(letters(w)? == before, "the disk list changed");
    no_crash(w, mark)?;
    Ok(named)
}

#[expect(clippy::too_many_lines, reason = "one check per bad image, in a row")]
fn bad_images(s: &mut Suite<'_>, sys: &Path) {
    let ok = s.case("the driver starts for the bad images", |w| {
        start_driver(w, sys)?;
        Ok(String::new())
    });
    if !ok {
        return;
    }
    let setup = |w: &Wine| -> Result<std::path::PathBuf> {
        let d = dir(w, "bad")?;
        let tree = d.join("tree");
        make_image(w, &d.join("good.img"), 16 * MIB, Some("16"), &tree)?;
        Ok(d)
    };
    s.case(
        "wrong size (--size other than the file's): STATUS_INVALID_BUFFER_SIZE",
        |w| {
            let d = setup(w)?;
            must_fail(
                w,
                &win_path(&d.join("good.img")),
                8 * MIB,
                &[],
                "STATUS_INVALID_BUFFER_SIZE",
            )
        },
    );
    s.case(
        "truncated (the volume claims more than the file): STATUS_END_OF_FILE",
        |w| {
            let d = setup(w)?;
            let img = d.join("good.img");
            fs::OpenOptions::new()
                .write(true)
                .open(&img)?
                .set_len(8 * MIB)?;
            must_fail(w, &win_path(&img), 8 * MIB, &[], "STATUS_END_OF_FILE")
        },
    );
    s.case("a directory: STATUS_FILE_IS_A_DIRECTORY", |w| {
        let d = setup(w)?;
        let sub = d.join("adir");
        fs::create_dir_all(&sub)?;
        must_fail(
            w,
            &win_path(&sub),
            8 * MIB,
            &[],
            "STATUS_FILE_IS_A_DIRECTORY",
        )
    });
    s.case("a missing directory: STATUS_OBJECT_PATH_NOT_FOUND", |w| {
        let d = setup(w)?;
        must_fail(
            w,
            &win_path(&d.join("nodir").join("x.img")),
            8 * MIB,
            &[],
            "STATUS_OBJECT_PATH_NOT_FOUND",
        )
    });
    s.case(
        "held open without sharing by another process: STATUS_SHARING_VIOLATION",
        |w| {
            let d = setup(w)?;
            let img = d.join("good.img");
            let until = d.join("release");
            let bg = w.spawn_e2e(&["hold-file", &win_path(&img), "--until", &win_path(&until)])?;
            std::thread::sleep(Duration::from_secs(2));
            let r = must_fail(
                w,
                &win_path(&img),
                16 * MIB,
                &[],
                "STATUS_SHARING_VIOLATION",
            );
            fs::write(&until, b"")?;
            let held = bg.finish(Duration::from_mins(1))?;
            ensure!(held.stdout.contains("held"), "the holder: {}", held.text());
            r
        },
    );
    s.case(
        "<file>.new without <file>: STATUS_OBJECT_NAME_COLLISION, naming both",
        |w| {
            let d = setup(w)?;
            fs::rename(d.join("good.img"), d.join("gone.img.new"))?;
            let mark = w.log_mark();
            let r = must_fail(
                w,
                &win_path(&d.join("gone.img")),
                16 * MIB,
                &[],
                "STATUS_OBJECT_NAME_COLLISION",
            )?;
            ensure!(
                w.driver_lines(mark)
                    .iter()
                    .any(|l| l.contains("gone.img.new exists")),
                "no line naming <file>.new"
            );
            Ok(r)
        },
    );
    s.case(
        "a partitioned (MBR) image: STATUS_UNRECOGNIZED_VOLUME",
        |w| {
            let d = setup(w)?;
            let img = d.join("mbr.img");
            let mut data = vec![0u8; usize::try_from(16 * MIB)?];
            data[446 + 4] = 0x06;
            data[446 + 8] = 63;
            data[510] = 0x55;
            data[511] = 0xAA;
            fs::write(&img, data)?;
            must_fail(
                w,
                &win_path(&img),
                16 * MIB,
                &[],
                "STATUS_UNRECOGNIZED_VOLUME",
            )
        },
    );
    s.case(
        "after the bad images the driver stops with pool balance 0",
        stop,
    );
}

fn new_image(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "a missing file in an existing directory: a fresh disk (SaveOn=never: no file made)",
        |w| {
            let d = dir(w, "new")?;
            start_driver(w, sys)?;
            let mark = w.log_mark();
            let img = d.join("fresh.img");
            create(w, &win_path(&img), 8 * MIB, &["--letter", "R"])?.check()?;
            ensure!(
                w.driver_lines(mark)
                    .iter()
                    .any(|l| l.contains("a new image, formatted fresh")),
                "no new-image line"
            );
            ensure!(!img.exists(), "the image file was created");
            remove(w, "R:", mark)?;
            stop(w)
        },
    );
}

fn registry_image(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "ImageFile in Parameters at sc start: disk 0 serves the image",
        |w| {
            let d = dir(w, "registry")?;
            let img = d.join("boot.img");
            let tree = d.join("tree");
            make_image(w, &img, 16 * MIB, Some("16"), &tree)?;
            cleanup(w);
            let mut args = Config::new(16 * MIB, 'Q').install_args(sys);
            args.extend(["--image".into(), win_path(&img)]);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            ctl_ok(w, &refs)?;
            let mark = w.log_mark();
            ctl_ok(w, &["start", "--no-broadcast"])?;
            same_as_image(w, r"\\.\Q:", &d.join("dump.img"), &img, &tree)?;
            no_crash(w, mark)?;
            stop(w)
        },
    );
}

fn throughput(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "a 512 MiB fixed image loads (MB/s from the driver's line)",
        |w| {
            let d = dir(w, "speed")?;
            let img = d.join("fast.img");
            // Every sector non-zero: the load copies all of it.
            let mut data = noise(9, usize::try_from(512 * MIB)?);
            let fat = {
                let head = d.join("head.img");
                make_image(w, &head, 512 * MIB, Some("32"), &d.join("tree"))?;
                fs::read(&head)?
            };
            data[..64 * 1024].copy_from_slice(&fat[..64 * 1024]);
            fs::write(&img, &data)?;
            drop(data);
            start_driver(w, sys)?;
            let mark = w.log_mark();
            create(w, &win_path(&img), 512 * MIB, &["--letter", "R"])?.check()?;
            let line = w
                .driver_lines(mark)
                .into_iter()
                .find(|l| l.contains("loaded 536870912 bytes"))
                .context("no loaded line")?;
            let mbs = line
                .split(" MB/s")
                .next()
                .and_then(|h| h.rsplit('(').next())
                .context("no MB/s")?
                .to_string();
            let steps = w
                .driver_lines(mark)
                .iter()
                .filter(|l| l.contains("loading ") && l.contains(" % ("))
                .count();
            ensure!(steps == 10, "{steps} progress lines, want 10");
            remove(w, "R:", mark)?;
            stop(w)?;
            Ok(format!(
                "load throughput {mbs} MB/s (512 MiB, 10 progress lines)"
            ))
        },
    );
}

/// SHA-256 of a host file (`sha256sum`).
pub(super) fn sha256(w: &Wine, file: &Path) -> Result<String> {
    let out = w.host("sha256sum", &[&file.display().to_string()])?;
    ensure!(out.ok(), "sha256sum: {}", out.text());
    out.stdout
        .split_whitespace()
        .next()
        .map(str::to_string)
        .context("no sha256sum output")
}

/// `ramdiskctl --json save` with `args`: the JSON, after checking it succeeded.
pub(super) fn save_ok(w: &Wine, args: &[&str]) -> Result<serde_json::Value> {
    let mut all = vec!["--json", "save"];
    all.extend_from_slice(args);
    json(&w.ctl(&all)?.check()?)
}

/// The `saved … MB/s` figure of the driver's save line since `mark`.
pub(super) fn save_line(w: &Wine, mark: u64) -> Result<String> {
    w.driver_lines(mark)
        .into_iter()
        .find(|l| l.contains("saved ") && l.contains("MB/s"))
        .context("no \"saved … MB/s\" line")
}

fn save(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "what Wine does with FileRenameInformationEx (REPLACE_IF_EXISTS | POSIX_SEMANTICS) over a held file",
        |w| {
            let d = dir(w, "rename-ex")?;
            let (src, dst) = (d.join("a.new"), d.join("a.img"));
            fs::write(&src, b"new")?;
            fs::write(&dst, b"old")?;
            let out = w.e2e(&["rename-ex", &win_path(&src), &win_path(&dst)])?;
            ensure!(out.ok(), "rename-ex: {}", out.text());
            let status = out
                .stdout
                .split_whitespace()
                .find_map(|t| t.strip_prefix("status="))
                .context("no status")?
                .to_string();
            // Either way the files must be consistent with the answer.
            if status == "0x00000000" {
                ensure!(fs::read(&dst)? == b"new" && !src.exists(), "success, but not renamed");
                Ok(format!("status {status}: Wine renames with the Ex class"))
            } else {
                ensure!(
                    fs::read(&dst)? == b"old" && fs::read(&src)? == b"new",
                    "refused ({status}), but the files changed"
                );
                Ok(format!(
                    "status {status}: Wine refuses the Ex class; its volumes report no FILE_SUPPORTS_POSIX_UNLINK_RENAME, so saves use rename-reopen"
                ))
            }
        },
    );
    s.case(
        "ramdiskctl save: a changed mkfs.fat image is written back, fsck.fat -n and mcopy see the change",
        |w| {
            let d = dir(w, "save")?;
            let img = d.join("disk.img");
            let tree = d.join("tree");
            make_image(w, &img, 32 * MIB, Some("16"), &tree)?;
            // The change: the image with one more file, written onto the disk.
            let changed = d.join("changed.img");
            fs::copy(&img, &changed)?;
            fs::write(d.join("new.txt"), noise(9, 12_345))?;
            let shown = changed.display().to_string();
            let out = w.host(
                "mcopy",
                &["-i", &shown, &d.join("new.txt").display().to_string(), "::/new.txt"],
            )?;
            ensure!(out.ok(), "mcopy: {}", out.text());
            start_driver(w, sys)?;
            let mark = w.log_mark();
            create(w, &win_path(&img), 32 * MIB, &["--letter", "R", "--fs", "keep"])?.check()?;
            ctl_ok(w, &["load", &win_path(&changed), r"\\.\R:"])?;
            let j = save_ok(w, &["R:"])?;
            ensure!(j["file_bytes"] == 32 * MIB, "save: {j}");
            ensure!(
                fs::read(&img)? == fs::read(&changed)?,
                "the saved image differs from the disk's data"
            );
            let fsck = w.host("fsck.fat", &["-n", &img.display().to_string()])?;
            ensure!(fsck.ok(), "fsck.fat -n: {}", fsck.text());
            let back = d.join("new.back");
            let got = w.host(
                "mcopy",
                &["-i", &img.display().to_string(), "::/new.txt", &back.display().to_string()],
            )?;
            ensure!(got.ok(), "mcopy from the saved image: {}", got.text());
            ensure!(fs::read(&back)? == noise(9, 12_345), "new.txt differs");
            ensure!(
                !d.join("disk.img.new").exists(),
                "disk.img.new is left behind"
            );
            let line = save_line(w, mark)?;
            // A second save replaces the file the first one wrote (its identity was
            // recorded), by the same method.
            let again = save_ok(w, &["R:"])?;
            ensure!(again["method"] == j["method"], "second save: {again}");
            // Someone else replaces the image: the next save refuses, the file stays.
            fs::copy(&changed, d.join("other.img"))?;
            fs::rename(d.join("other.img"), &img)?;
            let before = sha256(w, &img)?;
            let out = w.ctl(&["save", "R:"])?;
            ensure!(!out.ok(), "a save over someone else's file succeeded: {}", out.text());
            ensure!(sha256(w, &img)? == before, "the other file changed");
            ensure!(
                w.driver_lines(mark)
                    .iter()
                    .any(|l| l.contains("no longer the one this disk loaded")),
                "no line about the replaced file"
            );
            ensure!(!d.join("disk.img.new").exists(), "disk.img.new is left behind");
            remove(w, "R:", mark)?;
            stop(w)?;
            Ok(format!(
                "method {}, sparse {}; {}",
                j["method"],
                j["sparse"],
                line.split_once("saved ").map_or(line.as_str(), |(_, r)| r)
            ))
        },
    );
}

/// `img` with one more file (`new.txt`, `noise(seed, 12_345)`), as `out`.
pub(super) fn changed_copy(w: &Wine, img: &Path, out: &Path, seed: u64) -> Result<()> {
    fs::copy(img, out)?;
    let file = out.with_extension("txt");
    fs::write(&file, noise(seed, 12_345))?;
    let got = w.host(
        "mcopy",
        &[
            "-o",
            "-i",
            &out.display().to_string(),
            &file.display().to_string(),
            "::/new.txt",
        ],
    )?;
    ensure!(got.ok(), "mcopy: {}", got.text());
    Ok(())
}

fn save_on_stop(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "SaveOn=stop: sc stop saves disk 0's image, the change is served after the next start",
        |w| {
            let d = dir(w, "stop")?;
            let img = d.join("boot.img");
            make_image(w, &img, 16 * MIB, Some("16"), &d.join("tree"))?;
            let changed = d.join("changed.img");
            changed_copy(w, &img, &changed, 11)?;
            let install = || -> Result<()> {
                cleanup(w);
                let mut args = Config::new(16 * MIB, 'Q').install_args(sys);
                args.extend([
                    "--image".into(),
                    win_path(&img),
                    "--save-on".into(),
                    "stop".into(),
                ]);
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                ctl_ok(w, &refs)?;
                ctl_ok(w, &["start", "--no-broadcast"])?;
                Ok(())
            };
            install()?;
            let before = sha256(w, &img)?;
            let mark = w.log_mark();
            ctl_ok(w, &["load", &win_path(&changed), r"\\.\Q:"])?;
            ensure!(
                sha256(w, &img)? == before,
                "the image changed before the stop"
            );
            stop(w)?;
            let lines = w.driver_lines(mark);
            ensure!(
                lines.iter().any(|l| l.contains("SaveOn=stop: saving")
                    && l.contains("as the disk goes: no file system mounted (nothing changes the disk during the save)")),
                "no SaveOn=stop line saying no file system is mounted (none is under Wine): {lines:?}"
            );
            ensure!(
                fs::read(&img)? == fs::read(&changed)?,
                "the image is not the disk's data"
            );
            let line = save_line(w, mark)?;
            install()?;
            let dump = d.join("dump.img");
            ctl_ok(w, &["dump", &dump.display().to_string(), r"\\.\Q:"])?;
            ensure!(
                fs::read(&dump)? == fs::read(&changed)?,
                "the next start serves another image"
            );
            stop(w)?;
            Ok(line
                .split_once("saved ")
                .map_or_else(|| line.clone(), |(_, r)| r.to_string()))
        },
    );
    s.case(
        "SaveOn=stop: ramdiskctl remove saves a created disk's image after the lock and dismount",
        |w| {
            let d = dir(w, "stop-remove")?;
            let img = d.join("r.img");
            make_image(w, &img, 16 * MIB, Some("16"), &d.join("tree"))?;
            let changed = d.join("changed.img");
            changed_copy(w, &img, &changed, 12)?;
            start_driver(w, sys)?;
            let mark = w.log_mark();
            create(
                w,
                &win_path(&img),
                16 * MIB,
                &["--letter", "R", "--save-on", "stop"],
            )?
            .check()?;
            ctl_ok(w, &["load", &win_path(&changed), r"\\.\R:"])?;
            remove(w, "R:", mark)?;
            ensure!(
                fs::read(&img)? == fs::read(&changed)?,
                "remove did not save the disk"
            );
            ensure!(!d.join("r.img.new").exists(), "r.img.new is left behind");
            stop(w)?;
            Ok("saved at remove".into())
        },
    );
}

/// An 8 MiB `mkfs.fat` image alone in a tmpfs that has room for 1 MiB more than the
/// (sparse) image holds, so a save of its changed copy (~3.2 MiB of data, with holes
/// or without) cannot fit; the tmpfs goes on drop.
pub(super) struct FullImage<'w> {
    /// The image, in the tmpfs.
    pub(super) img: std::path::PathBuf,
    /// A changed copy of it (`changed_copy` with the given seed), outside the tmpfs.
    pub(super) changed: std::path::PathBuf,
    _tmpfs: Mounted<'w>,
}

impl<'w> FullImage<'w> {
    /// Makes it under the case directory `name`.
    pub(super) fn new(w: &'w Wine, name: &str, seed: u64) -> Result<Self> {
        let d = dir(w, name)?;
        let full = d.join("full");
        let tmpfs = Mounted::new(w, &["-t", "tmpfs", "-o", "size=10m", "tmpfs"], &full)?;
        let img = full.join("disk.img");
        make_image(w, &img, 8 * MIB, None, &d.join("tree"))?;
        let changed = d.join("changed.img");
        changed_copy(w, &img, &changed, seed)?;
        let room = (allocated(w, &img)? + MIB) / 1024;
        let out = w.host(
            "mount",
            &[
                "-o",
                &format!("remount,size={room}k"),
                &full.display().to_string(),
            ],
        )?;
        ensure!(out.ok(), "remount the tmpfs: {}", out.text());
        Ok(Self {
            img,
            changed,
            _tmpfs: tmpfs,
        })
    }
}

/// A mount made for a case, undone (lazily) on drop.
pub(super) struct Mounted<'w> {
    w: &'w Wine,
    at: std::path::PathBuf,
}

impl<'w> Mounted<'w> {
    /// `mount` with `args`, then `at` (created first).
    pub(super) fn new(w: &'w Wine, args: &[&str], at: &Path) -> Result<Self> {
        fs::create_dir_all(at)?;
        let shown = at.display().to_string();
        let mut all = args.to_vec();
        all.push(&shown);
        let out = w.host("mount", &all)?;
        ensure!(out.ok(), "mount {all:?}: {}", out.text());
        Ok(Self {
            w,
            at: at.to_path_buf(),
        })
    }
}

impl Drop for Mounted<'_> {
    fn drop(&mut self) {
        let _ = self
            .w
            .host("umount", &["-l", &self.at.display().to_string()]);
    }
}

/// A disk on `img` changed to `changed`, then `ramdiskctl save` that must fail: the
/// image's SHA-256 unchanged, no `.new` left, the driver's line naming the file.
fn save_must_fail(w: &Wine, img: &Path, changed: &Path, size: u64, status: &str) -> Result<String> {
    let before = sha256(w, img)?;
    let mark = w.log_mark();
    create(w, &win_path(img), size, &["--letter", "R"])?.check()?;
    ctl_ok(w, &["load", &win_path(changed), r"\\.\R:"])?;
    let out = w.ctl(&["save", "R:"])?;
    ensure!(!out.ok(), "the save succeeded: {}", out.text());
    let lines = w.driver_lines(mark);
    let line = lines
        .iter()
        .find(|l| l.contains("failed, the file is left as it was"))
        .with_context(|| format!("no failure line: {lines:?}"))?
        .clone();
    ensure!(line.contains(status), "not {status}: {line}");
    ensure!(sha256(w, img)? == before, "the image's SHA-256 changed");
    let mut new = img.as_os_str().to_owned();
    new.push(".new");
    ensure!(
        !Path::new(&new).exists(),
        "{} is left behind",
        Path::new(&new).display()
    );
    remove(w, "R:", mark)?;
    Ok(line
        .split_once("left as it was: ")
        .map_or_else(|| line.clone(), |(_, r)| r.to_string()))
}

fn save_fails(s: &mut Suite<'_>, sys: &Path) {
    let ok = s.case("the driver starts for the failing saves", |w| {
        start_driver(w, sys)?;
        Ok(String::new())
    });
    if !ok {
        return;
    }
    s.case(
        "a save into a read-only mount (reached as Z:) fails, the image's SHA-256 unchanged",
        |w| {
            let d = dir(w, "save-ro")?;
            let ro = d.join("ro");
            fs::create_dir_all(&ro)?;
            let img = ro.join("disk.img");
            make_image(w, &img, 16 * MIB, Some("16"), &d.join("tree"))?;
            let changed = d.join("changed.img");
            changed_copy(w, &img, &changed, 13)?;
            let _bind = Mounted::new(w, &["--bind", &ro.display().to_string()], &ro)?;
            let out = w.host(
                "mount",
                &["-o", "remount,bind,ro", &ro.display().to_string()],
            )?;
            ensure!(out.ok(), "remount ro: {}", out.text());
            ensure!(
                fs::write(ro.join("probe"), b"x").is_err(),
                "the read-only mount takes writes (as root)"
            );
            save_must_fail(w, &img, &changed, 16 * MIB, "STATUS_")
        },
    );
    s.case(
        "a save into a full tmpfs (1 MiB free) fails (disk full), the image's SHA-256 unchanged, no .new left",
        |w| {
            let full = FullImage::new(w, "save-full", 14)?;
            save_must_fail(w, &full.img, &full.changed, 8 * MIB, "STATUS_DISK_FULL")
        },
    );
    s.case(
        "after the failing saves the driver stops with pool balance 0",
        stop,
    );
}

/// Bytes the host allocated for `file` (`stat -c '%b*%B'`).
pub(super) fn allocated(w: &Wine, file: &Path) -> Result<u64> {
    let out = w.host("stat", &["-c", "%b %B", &file.display().to_string()])?;
    ensure!(out.ok(), "stat: {}", out.text());
    let mut it = out.stdout.split_whitespace().map(str::parse::<u64>);
    match (it.next(), it.next()) {
        (Some(Ok(blocks)), Some(Ok(unit))) => Ok(blocks * unit),
        _ => anyhow::bail!("stat output: {}", out.stdout),
    }
}

fn save_sparse(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "a dynamic 8 GiB disk with 6 MiB written saves to a sparse file and loads back holding about that",
        |w| {
            const SIZE: u64 = 8 << 30;
            let d = dir(w, "save-sparse")?;
            let img = d.join("dyn.img");
            start_driver(w, sys)?;
            let mark = w.log_mark();
            let size = SIZE.to_string();
            let j = json(
                &w.ctl(&[
                    "--json", "create", "--image", &win_path(&img), "--size", &size,
                    "--allocation", "dynamic", "--letter", "T", "--no-broadcast",
                ])?
                .check()?,
            )?;
            ensure!(j["letter"] == "T:", "create: {j}");
            let written = 6 * MIB;
            for (offset, seed) in [(1u64 << 30, 21u64), (5 << 30, 22), (SIZE - 2 * MIB, 23)] {
                let out = w.e2e(&[
                    "pattern", r"\\.\T:", "write", &offset.to_string(), &(2 * MIB).to_string(),
                    &seed.to_string(),
                ])?;
                ensure!(out.ok(), "pattern write at {offset}: {}", out.text());
            }
            let saved = save_ok(w, &["T:"])?;
            ensure!(saved["method"] == "create", "a new image is created: {saved}");
            ensure!(saved["sparse"] == true, "not sparse: {saved}");
            ensure!(fs::metadata(&img)?.len() == SIZE, "the file is not 8 GiB");
            let host = allocated(w, &img)?;
            ensure!(
                host <= written + 64 * MIB,
                "{host} bytes allocated on the host for {written} bytes written"
            );
            let line = save_line(w, mark)?;
            remove(w, "T:", mark)?;
            // Loaded back: about the data in memory, the patterns intact.
            let j = json(
                &w.ctl(&[
                    "--json", "create", "--image", &win_path(&img), "--size", &size, "--allocation", "dynamic",
                    "--letter", "T", "--no-broadcast",
                ])?
                .check()?,
            )?;
            ensure!(j["size"] == SIZE, "loaded size: {j}");
            let info = json(&ctl_ok(w, &["--json", "info", r"\\.\T:"])?)?;
            let memory = info["allocated_bytes"].as_u64().context("no allocated_bytes")?;
            ensure!(
                memory <= written + 8 * MIB,
                "{memory} bytes of memory for {written} bytes written: {info}"
            );
            for (offset, seed) in [(1u64 << 30, 21u64), (5 << 30, 22), (SIZE - 2 * MIB, 23)] {
                let out = w.e2e(&[
                    "pattern", r"\\.\T:", "check", &offset.to_string(), &(2 * MIB).to_string(),
                    &seed.to_string(),
                ])?;
                ensure!(out.ok(), "pattern check at {offset}: {}", out.text());
            }
            remove(w, "T:", mark)?;
            let _ = fs::remove_file(&img);
            stop(w)?;
            Ok(format!(
                "{host} bytes on the host, {memory} bytes of memory after the load; {}",
                line.split_once("saved ").map_or(line.as_str(), |(_, r)| r)
            ))
        },
    );
}
