//! Image files when things go wrong (issue 16), and the load and save throughput.
//!
//! - `persist-faults/kill-mid-save`: winedevice.exe killed (`SIGKILL`) while
//!   `ramdiskctl save` writes a 768 MiB disk, once the log shows the save under way and
//!   `<file>.new` is non-empty: `<file>`'s SHA-256 unchanged, `.new` left behind; the
//!   Wine session recovers with a server restart; the next creation serves `<file>`
//!   (the old data) and logs the leftover; the next save overwrites `.new`;
//! - `persist-faults/shrink-while-loading`: the image truncated on the Linux side once
//!   the log shows the load under way: `STATUS_END_OF_FILE`, nothing left;
//! - `persist-faults/unmapped-letter`: `ImageFile` on a drive letter Wine does not map;
//! - `persist-faults/on-ramdisk-letter`: `ImageFile` on another ramdisk's letter, by
//!   `ramdiskctl create --image` and by a `Parameters\Disks` subkey at `sc start`;
//! - `persist-faults/boot-start`: `Start=0` with an `ImageFile`: the start fails;
//! - `persist-faults/keep-exfat`, `keep-ntfs`, `keep-unknown`: `mkfs.exfat` (files
//!   copied in with exfat-fuse), `mkntfs` and boot sectors the driver does not know,
//!   served as they are (file system and partition type), saved back byte-identical;
//! - `persist-faults/fs-mismatch`: an explicit `FileSystem` the image does not hold;
//! - `persist-faults/throughput`: load and save MB/s of a fixed and a dynamic 768 MiB
//!   disk of non-zero data, printed (never asserted).

use std::{
    fs,
    io::Write as _,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail, ensure};
use ramdisk_exfat_judge::{big_file, fsck, fuse};

use super::{
    Env,
    bad_values::{base_params, start_must_fail_as},
    cleanup, ctl_ok, json, no_crash,
    persist::{
        MIB, create, dir, letters, make_image, must_fail, remove, save_line, save_ok, sha256,
        start_driver, stop,
    },
    present,
    runner::{Case, Scenario, Suite},
};
use crate::wine::{PARAMS, SERVICE, Wine, win_path};

/// The disk the kill and shrink cases race: a save of it under Wine takes over a
/// second (536 MB/s measured), a load about as long, so a 10 % step leaves the rest
/// of it to interrupt.
const BIG: u64 = 768 * MIB;

/// The scenario's cases.
pub fn cases(env: &Env) -> Vec<Case<'_>> {
    let sys = &env.sys;
    let case = |id: &str, f: fn(&mut Suite<'_>, &Path)| {
        Case::new(
            Scenario::PersistFaults,
            format!("persist-faults/{id}"),
            move |s| {
                f(s, sys);
                Ok(())
            },
        )
    };
    vec![
        case("kill-mid-save", kill_mid_save),
        case("shrink-while-loading", shrink_while_loading),
        case("unmapped-letter", unmapped_letter),
        case("on-ramdisk-letter", on_ramdisk_letter),
        case("boot-start", boot_start),
        case("keep-exfat", keep_exfat),
        case("keep-ntfs", keep_ntfs),
        case("keep-unknown", keep_unknown),
        case("fs-mismatch", fs_mismatch),
        case("throughput", throughput),
    ]
}

/// Writes `size` bytes of non-zero noise (`big_file::fill` from `seed`) to `path`, its
/// bytes 510..512 zero: no `0x55AA`, so the driver sees no boot sector it knows.
fn noise_image(path: &Path, size: u64, seed: u64) -> Result<()> {
    let mut f = fs::File::create(path)?;
    let mut buf = vec![0u8; usize::try_from(8 * MIB)?];
    let mut at = 0;
    while at < size {
        let n = usize::try_from((size - at).min(8 * MIB))?;
        big_file::fill(seed.wrapping_mul(1 << 40) + at, &mut buf[..n]);
        if at == 0 {
            buf[510..512].fill(0);
        }
        f.write_all(&buf[..n])?;
        at += n as u64;
    }
    f.sync_all()?;
    Ok(())
}

/// The pid of the winedevice.exe of `w`'s prefix that has `sys` mapped: each driver
/// service without a `LoadOrderGroup` gets a process of its own, and only ours maps
/// our `.sys` (its `cmdline` names no service).
fn driver_pid(w: &Wine, sys: &Path) -> Result<u32> {
    let name = sys
        .file_name()
        .and_then(|n| n.to_str())
        .context("the driver has no file name")?;
    let prefix = format!("WINEPREFIX={}", w.prefix().display());
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc")? {
        let entry = entry?;
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let read = |f: &str| fs::read(entry.path().join(f)).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&read("cmdline")).into_owned();
        if !cmdline.contains("winedevice.exe") {
            continue;
        }
        let environ = read("environ");
        let ours = environ.split(|&b| b == 0).any(|v| v == prefix.as_bytes());
        let maps = String::from_utf8_lossy(&read("maps")).into_owned();
        if ours && maps.lines().any(|l| l.ends_with(&format!("/{name}"))) {
            found.push(pid);
        }
    }
    match found.as_slice() {
        [pid] => Ok(*pid),
        _ => bail!("want one winedevice.exe of this prefix mapping {name}, found {found:?}"),
    }
}

/// Whether a driver line since `mark` contains all of `parts`.
fn logged(w: &Wine, mark: u64, parts: &[&str]) -> bool {
    w.driver_lines(mark)
        .iter()
        .any(|l| parts.iter().all(|p| l.contains(p)))
}

/// `<file>.new` of `img`.
fn new_of(img: &Path) -> PathBuf {
    let mut s = img.as_os_str().to_owned();
    s.push(".new");
    PathBuf::from(s)
}

/// The MB/s of the driver's `… (N MB/s)` line since `mark` that contains `what`.
fn mb_per_s(w: &Wine, mark: u64, what: &str) -> Result<String> {
    let line = w
        .driver_lines(mark)
        .into_iter()
        .find(|l| l.contains(what) && l.contains(" MB/s)"))
        .with_context(|| format!("no \"{what} … MB/s\" line"))?;
    line.split(" MB/s)")
        .next()
        .and_then(|h| h.rsplit('(').next())
        .map(str::to_string)
        .context("no MB/s")
}

/// Polls the driver's lines since `mark` (every 5 ms, at most a minute) until one
/// contains `progress` and `ready()` holds, then runs `act`; fails loudly when a line
/// with `done` comes first (the operation ended before it could be interrupted).
fn when_under_way(
    w: &Wine,
    mark: u64,
    progress: &str,
    done: &str,
    ready: impl Fn() -> bool,
    act: impl FnOnce() -> Result<()>,
) -> Result<String> {
    let t = Instant::now();
    loop {
        let lines = w.driver_lines(mark);
        if lines.iter().any(|l| l.contains(done)) {
            bail!(
                "it finished before it could be interrupted ({} ms): the disk must be larger",
                t.elapsed().as_millis()
            );
        }
        if let Some(l) = lines.iter().rev().find(|l| l.contains(progress))
            && ready()
        {
            act()?;
            return Ok(l.clone());
        }
        ensure!(
            t.elapsed() < Duration::from_mins(1),
            "no \"{progress}\" line within a minute"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn kill_mid_save(s: &mut Suite<'_>, sys: &Path) {
    let mut img = PathBuf::new();
    let mut hash = String::new();
    let ok = s.case(
        "winedevice.exe killed mid-save (the log shows it under way, <file>.new non-empty): <file>'s SHA-256 unchanged, <file>.new left",
        |w| {
            let d = dir(w, "kill")?;
            img = d.join("disk.img");
            noise_image(&img, BIG, 31)?;
            start_driver(w, sys)?;
            create(w, &win_path(&img), BIG, &["--letter", "R"])?.check()?;
            // The disk differs from the file, so a completed save would change its hash.
            let out = w.e2e(&["pattern", r"\\.\R:", "write", &MIB.to_string(), &MIB.to_string(), "32"])?;
            ensure!(out.ok(), "pattern write: {}", out.text());
            hash = sha256(w, &img)?;
            let new = new_of(&img);
            let pid = driver_pid(w, sys)?;
            let mark = w.log_mark();
            let bg = w.spawn_ctl(&["--json", "save", "R:"])?;
            let at = when_under_way(
                w,
                mark,
                "saving: ",
                "saved ",
                || fs::metadata(&new).is_ok_and(|m| m.len() > 0),
                || w.host("kill", &["-9", &pid.to_string()])?.check().map(drop),
            )?;
            let out = bg.finish(Duration::from_mins(1))?;
            ensure!(!out.ok(), "the save succeeded after the kill: {}", out.text());
            let t = Instant::now();
            while Path::new(&format!("/proc/{pid}")).exists() {
                ensure!(t.elapsed() < Duration::from_secs(10), "winedevice.exe {pid} lives on");
                std::thread::sleep(Duration::from_millis(20));
            }
            ensure!(
                !logged(w, mark, &["saved "]),
                "the save finished before the kill"
            );
            ensure!(sha256(w, &img)? == hash, "<file>'s SHA-256 changed");
            let left = fs::metadata(&new).map(|m| m.len()).context("<file>.new is gone")?;
            ensure!(left > 0 && left < BIG, "<file>.new holds {left} bytes");
            Ok(format!(
                "killed after \"{}\"; {left} of {BIG} bytes in <file>.new; ramdiskctl save: {}",
                at.split_once("]: ").map_or(at.as_str(), |(_, r)| r),
                out.text().lines().last().unwrap_or("").trim()
            ))
        },
    );
    if !ok {
        return;
    }
    s.case(
        "after the kill: services.exe still reports RUNNING and sc stop fails; a Wine server restart recovers",
        |w| {
            let query = w.wine(&["sc", "query", SERVICE])?;
            let running = query.stdout.contains("RUNNING");
            let stop = w.wine(&["sc", "stop", SERVICE])?;
            // The dead process's drive-letter links outlive it in the server's namespace
            // (a new instance would find Q: and R: taken): only a restart clears them.
            w.restart()?;
            let query = w.wine(&["sc", "query", SERVICE])?;
            ensure!(
                query.stdout.contains("STOPPED"),
                "after the restart: {}",
                query.text()
            );
            Ok(format!(
                "before the restart: {}, sc stop exit {}; after it STOPPED",
                if running { "RUNNING" } else { "not RUNNING" },
                stop.code
            ))
        },
    );
    s.case(
        "the next creation serves <file> (the old data) and logs the leftover <file>.new; the next save overwrites it",
        |w| {
            start_driver(w, sys)?;
            let mark = w.log_mark();
            create(w, &win_path(&img), BIG, &["--letter", "R"])?.check()?;
            ensure!(
                logged(w, mark, &[".new exists too, left by an interrupted save"]),
                "no line about the leftover <file>.new"
            );
            let dump = img.with_extension("dump");
            ctl_ok(w, &["dump", &dump.display().to_string(), r"\\.\R:"])?;
            ensure!(sha256(w, &dump)? == hash, "the disk is not <file>'s old data");
            let out = w.e2e(&["pattern", r"\\.\R:", "write", &(2 * MIB).to_string(), &MIB.to_string(), "33"])?;
            ensure!(out.ok(), "pattern write: {}", out.text());
            ctl_ok(w, &["dump", &dump.display().to_string(), r"\\.\R:"])?;
            let j = save_ok(w, &["R:"])?;
            ensure!(!new_of(&img).exists(), "<file>.new is left after the save");
            ensure!(sha256(w, &img)? == sha256(w, &dump)?, "the saved file is not the disk");
            let _ = fs::remove_file(&dump);
            remove(w, "R:", mark)?;
            stop(w)?;
            let _ = fs::remove_file(&img);
            Ok(format!("saved by {}", j["method"]))
        },
    );
}

fn shrink_while_loading(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "an image truncated on the host while it loads: STATUS_END_OF_FILE naming the file, nothing left",
        |w| {
            let d = dir(w, "shrink")?;
            let img = d.join("shrinks.img");
            noise_image(&img, BIG, 41)?;
            start_driver(w, sys)?;
            let before = letters(w)?;
            let mark = w.log_mark();
            let size = BIG.to_string();
            let shown = win_path(&img);
            let bg = w.spawn_ctl(&[
                "--json", "create", "--image", &shown, "--size", &size, "--letter", "R", "--no-broadcast",
            ])?;
            let at = when_under_way(
                w,
                mark,
                "loading ",
                "loaded ",
                || true,
                || Ok(fs::OpenOptions::new().write(true).open(&img)?.set_len(MIB)?),
            )?;
            let out = bg.finish(Duration::from_mins(1))?;
            ensure!(!out.ok(), "the creation succeeded: {}", out.text());
            let line = w
                .driver_lines(mark)
                .into_iter()
                .find(|l| l.contains("ImageFile \\??\\") && l.contains(&shown))
                .context("no line naming the file")?;
            ensure!(line.contains("STATUS_END_OF_FILE") || line.contains("the file ended at byte"), "{line}");
            ensure!(
                logged(w, mark, &["CREATE: ImageFile:", "STATUS_END_OF_FILE"]),
                "no CREATE line with STATUS_END_OF_FILE"
            );
            ensure!(letters(w)? == before, "the disk list changed");
            no_crash(w, mark)?;
            stop(w)?;
            let _ = fs::remove_file(&img);
            Ok(format!(
                "truncated after \"{}\"; {}",
                at.split_once("]: ").map_or(at.as_str(), |(_, r)| r),
                line.split_once(": ").map_or(line.as_str(), |(_, r)| r)
            ))
        },
    );
}

fn unmapped_letter(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        r"ImageFile Y:\img.raw with no Y: mapped: STATUS_OBJECT_PATH_NOT_FOUND naming the file, nothing left",
        |w| {
            let y = w.prefix().join("dosdevices").join("y:");
            ensure!(
                fs::symlink_metadata(&y).is_err(),
                "{} exists: Y: is mapped",
                y.display()
            );
            start_driver(w, sys)?;
            let r = must_fail(
                w,
                r"Y:\img.raw",
                8 * MIB,
                &["--letter", "R"],
                "STATUS_OBJECT_PATH_NOT_FOUND",
            )?;
            // Without --letter the driver picks one (from Z: down, Z: is Wine's): never
            // the image's own Y:, so the failure is the missing path, on another letter.
            let picked = must_fail(
                w,
                r"Y:\img.raw",
                8 * MIB,
                &[],
                "STATUS_OBJECT_PATH_NOT_FOUND",
            )?;
            ensure!(
                picked.starts_with("ramdisk[") && !picked.starts_with("ramdisk[Y:]"),
                "not a line of a disk on another letter than the image's Y:: {picked}"
            );
            stop(w)?;
            Ok(format!("{r}; without --letter: {picked}"))
        },
    );
}

fn on_ramdisk_letter(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        r"ramdiskctl create --image Q:\x.img (disk 0's letter): STATUS_INVALID_PARAMETER naming ImageFile",
        |w| {
            start_driver(w, sys)?;
            let mark = w.log_mark();
            let before = letters(w)?;
            let out = create(w, r"Q:\x.img", 8 * MIB, &["--letter", "R"])?;
            ensure!(!out.ok(), "created: {}", out.text());
            ensure!(out.text().contains("Win32 error 87"), "{}", out.text());
            ensure!(
                logged(w, mark, &["CREATE: ImageFile: the path is on a ramdisk volume"]),
                "no line naming ImageFile"
            );
            ensure!(letters(w)? == before, "the disk list changed");
            no_crash(w, mark)?;
            stop(w)
        },
    );
    s.case(
        r"a Parameters\Disks subkey with ImageFile Q:\x.img (disk 0's letter): sc start fails naming it, pool balance 0",
        |w| {
            cleanup(w);
            w.create_kernel_service(SERVICE, &win_path(sys))?;
            base_params(w)?;
            let sub = format!(r"{PARAMS}\Disks\IMG");
            for (name, kind, data) in [
                ("DiskSize", "REG_DWORD", "8388608"),
                ("DriveLetter", "REG_SZ", "R"),
                ("ImageFile", "REG_SZ", r"Q:\x.img"),
            ] {
                w.wine(&["reg", "add", &sub, "/v", name, "/t", kind, "/d", data, "/f"])?
                    .check()?;
            }
            let mark = w.log_mark();
            let start = w.wine(&["sc", "start", SERVICE])?;
            let lines = w.driver_lines(mark);
            let _ = w.wine(&["sc", "delete", SERVICE]);
            no_crash(w, mark)?;
            ensure!(!start.ok(), "sc start succeeded: {}", start.text());
            let line = lines
                .iter()
                .find(|l| l.contains("IMG") && l.contains("ImageFile") && l.contains("ramdisk volume"))
                .with_context(|| format!("no line naming the subkey's ImageFile: {lines:?}"))?;
            ensure!(
                lines
                    .iter()
                    .any(|l| l.contains("DriverEntry failed with") && l.contains("pool balance 0")),
                "no leak-free DriverEntry failure: {lines:?}"
            );
            for dev in [r"\\.\Q:", r"\\.\R:"] {
                ensure!(!present(w, dev)?, "{dev} opens after the failed start");
            }
            Ok(line.clone())
        },
    );
}

fn boot_start(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "Start=0 (boot) with an ImageFile: sc start fails naming ImageFile, nothing left",
        |w| {
            let lines = start_must_fail_as(
                w,
                &win_path(sys),
                Some(0),
                &[("ImageFile", "REG_SZ", r"C:\boot.img")],
            )?;
            let _ = w.wine(&["sc", "delete", SERVICE]);
            let line = lines
                .iter()
                .find(|l| l.contains("ImageFile: the service starts at boot"))
                .with_context(|| format!("no ImageFile line: {lines:?}"))?;
            Ok(line.clone())
        },
    );
}

/// A disk created from `img` with `--fs keep`: the file system `ramdiskctl create`
/// reports is `fs`, the partition type `ramdiskctl info` reports is `partition`, the
/// whole disk dumps back byte-identical, and a save of the unchanged disk writes the
/// file back byte-identical. Returns the creation line's words.
fn served_as_is(w: &Wine, sys: &Path, img: &Path, fs_name: &str, partition: u64) -> Result<String> {
    let size = fs::metadata(img)?.len();
    let hash = sha256(w, img)?;
    start_driver(w, sys)?;
    let mark = w.log_mark();
    let j = json(&create(w, &win_path(img), size, &["--letter", "R", "--fs", "keep"])?.check()?)?;
    ensure!(j["file_system"] == fs_name, "create: {j}");
    let info = json(&ctl_ok(w, &["--json", "info", r"\\.\R:"])?)?;
    ensure!(
        info["partition"]["mbr_type"] == partition,
        "partition type: {}",
        info["partition"]
    );
    let dump = img.with_extension("dump");
    ctl_ok(w, &["dump", &dump.display().to_string(), r"\\.\R:"])?;
    ensure!(sha256(w, &dump)? == hash, "the dump differs from the image");
    let _ = fs::remove_file(&dump);
    save_ok(w, &["R:"])?;
    ensure!(
        sha256(w, img)? == hash,
        "the saved image differs from the one loaded"
    );
    let line = w
        .driver_lines(mark)
        .into_iter()
        .find(|l| l.contains("from its image (partition type"))
        .context("no creation line")?;
    remove(w, "R:", mark)?;
    stop(w)?;
    Ok(line
        .split_once("]: ")
        .map_or_else(|| line.clone(), |(_, r)| r.to_string()))
}

fn keep_exfat(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "FileSystem=keep, an mkfs.exfat image with files (exfat-fuse): served as exFAT, partition type 0x07, saved back byte-identical, fsck.exfat exit 0",
        |w| {
            let d = dir(w, "keep-exfat")?;
            let img = d.join("ex.img");
            fs::File::create(&img)?.set_len(64 * MIB)?;
            let out = w.host("mkfs.exfat", &["-L", "KEEPEX", &img.display().to_string()])?;
            ensure!(out.ok(), "mkfs.exfat: {}", out.text());
            let m = fuse::Mounted::new(&img, &d.join("mnt"), true)?;
            fs::create_dir_all(m.dir.join("sub"))?;
            let mut data = vec![0u8; 1_000_000];
            big_file::fill(51, &mut data);
            fs::write(m.dir.join("a.bin"), &data)?;
            fs::write(m.dir.join("sub").join("b.txt"), b"kept as it is\n")?;
            m.finish()?;
            let line = served_as_is(w, sys, &img, "exFAT", 0x07)?;
            let fsck = fsck::fsck(&img)?;
            Ok(format!("{line}; fsck.exfat -n: {fsck}"))
        },
    );
}

fn keep_ntfs(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "FileSystem=keep, an mkntfs image: served as NTFS, partition type 0x07, saved back byte-identical",
        |w| {
            let d = dir(w, "keep-ntfs")?;
            let img = d.join("nt.img");
            fs::File::create(&img)?.set_len(64 * MIB)?;
            let out = w.host(
                "mkntfs",
                &["-F", "-Q", "-L", "KEEPNT", &img.display().to_string()],
            )?;
            ensure!(out.ok(), "mkntfs: {}", out.text());
            served_as_is(w, sys, &img, "NTFS", 0x07)
        },
    );
}

/// A 16 MiB noise image in the case directory `name` with the `0x55AA` signature, its
/// partition-table bytes (446..510) changed by `table`.
fn signed_noise(w: &Wine, name: &str, seed: u64, table: impl FnOnce(&mut [u8])) -> Result<PathBuf> {
    let img = dir(w, name)?.join("signed.img");
    noise_image(&img, 16 * MIB, seed)?;
    let mut data = fs::read(&img)?;
    table(&mut data[446..510]);
    data[510..512].copy_from_slice(&[0x55, 0xAA]);
    fs::write(&img, data)?;
    Ok(img)
}

fn keep_unknown(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "FileSystem=keep, random bytes without 0x55AA: served as unknown, partition type 0x00 (the creation line says so), saved back byte-identical",
        |w| {
            let d = dir(w, "keep-unknown")?;
            let img = d.join("noise.img");
            noise_image(&img, 16 * MIB, 61)?;
            served_as_is(w, sys, &img, "unknown", 0)
        },
    );
    s.case(
        "random bytes with 0x55AA and an empty partition table: served as unknown, partition type 0x00",
        |w| {
            let img = signed_noise(w, "keep-unknown-sig", 62, |table| table.fill(0))?;
            served_as_is(w, sys, &img, "unknown", 0)
        },
    );
    s.case(
        "random bytes with 0x55AA and a non-empty partition table: refused as partitioned (STATUS_UNRECOGNIZED_VOLUME)",
        |w| {
            // The first entry's type byte non-zero: a partition table.
            let img = signed_noise(w, "keep-unknown-mbr", 63, |table| table[4] |= 1)?;
            start_driver(w, sys)?;
            let r = must_fail(w, &win_path(&img), 16 * MIB, &["--fs", "keep"], "STATUS_UNRECOGNIZED_VOLUME")?;
            stop(w)?;
            Ok(r)
        },
    );
}

fn fs_mismatch(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "--fs FAT32 for a FAT16 image and --fs exFAT for it: STATUS_WRONG_VOLUME, the line naming both",
        |w| {
            let d = dir(w, "mismatch")?;
            let img = d.join("f16.img");
            make_image(w, &img, 16 * MIB, Some("16"), &d.join("tree"))?;
            start_driver(w, sys)?;
            let mut seen = Vec::new();
            for (fs_name, shown) in [("FAT32", "FAT32"), ("exFAT", "exFAT")] {
                let mark = w.log_mark();
                must_fail(w, &win_path(&img), 16 * MIB, &["--fs", fs_name], "STATUS_WRONG_VOLUME")?;
                let want = format!("FileSystem is {shown} but the image holds FAT16");
                ensure!(logged(w, mark, &[&want]), "no line \"{want}\"");
                seen.push(want);
            }
            stop(w)?;
            Ok(seen.join("; "))
        },
    );
}

fn throughput(s: &mut Suite<'_>, sys: &Path) {
    s.case(
        "load and save throughput of 768 MiB of non-zero data, fixed and dynamic (printed, not asserted)",
        |w| {
            let d = dir(w, "throughput")?;
            let img = d.join("speed.img");
            noise_image(&img, BIG, 71)?;
            start_driver(w, sys)?;
            let mut shown = Vec::new();
            for allocation in ["fixed", "dynamic"] {
                let mark = w.log_mark();
                create(w, &win_path(&img), BIG, &["--letter", "R", "--allocation", allocation])?.check()?;
                let load = mb_per_s(w, mark, "loaded ")?;
                save_ok(w, &["R:"])?;
                let save = mb_per_s(w, mark, "saved ")?;
                ensure!(
                    save_line(w, mark)?.contains(&format!("saved {BIG} bytes")),
                    "no save of the whole disk"
                );
                remove(w, "R:", mark)?;
                shown.push(format!("{allocation}: load {load} MB/s, save {save} MB/s"));
            }
            stop(w)?;
            let _ = fs::remove_file(&img);
            Ok(shown.join("; "))
        },
    );
}
