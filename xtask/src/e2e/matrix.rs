//! The parameter matrix: for each disk configuration (sizes 1 MiB .. 768 MiB,
//! FAT12/16/32/auto, cluster sizes, root directory sizes, labels, letters R and Q) the
//! driver starts, `info` matches the Parameters, the image dumped through the driver
//! passes `fsck.fat -n`, `mdir` and the `fatfs` crate, a random file written with
//! mtools and loaded back through the driver reads back byte-identical, and the stop
//! is clean.

use std::{
    fs,
    io::{Read, Seek, SeekFrom, Write},
    path::Path,
};

use anyhow::{Result, anyhow, ensure};

use super::{
    Config, Env, cleanup, ctl_ok, device, install, json,
    runner::{Case, Scenario, Suite},
    stop_clean,
};
use crate::wine::Wine;

/// The matrix: every entry is started, checked and round-tripped.
pub fn matrix_configs() -> Vec<Config> {
    let c = Config::new;
    vec![
        c(1 << 20, 'R'),
        Config {
            fs: Some("FAT12"),
            spc: Some(1),
            label: Some("TINY"),
            ..c(1 << 20, 'Q')
        },
        Config {
            fs: Some("FAT12"),
            spc: Some(8),
            root: Some(64),
            ..c(8 << 20, 'R')
        },
        Config {
            fs: Some("FAT16"),
            spc: Some(4),
            root: Some(256),
            label: Some("Sixteen"),
            ..c(16 << 20, 'Q')
        },
        Config {
            fs: Some("FAT16"),
            spc: Some(8),
            ..c(40 << 20, 'R')
        },
        Config {
            fs: Some("FAT32"),
            spc: Some(1),
            label: Some("FAT32 VOL"),
            ..c(64 << 20, 'Q')
        },
        Config {
            label: Some("AUTO128"),
            ..c(128 << 20, 'R')
        },
        Config {
            fs: Some("FAT16"),
            ..c(256 << 20, 'Q')
        },
        Config {
            fs: Some("FAT32"),
            spc: Some(8),
            label: Some("BIG"),
            ..c(512 << 20, 'R')
        },
        c(768 << 20, 'Q'),
    ]
}

/// Images up to this size are dumped and loaded whole; bigger ones only their head.
const FULL_DUMP_MAX: u64 = 128 << 20;

struct Volume {
    fs_type: String,
    first_data_byte: u64,
    cluster_size: u64,
}

/// The matrix entries whose dumped image the kernel judge also mounts: the first
/// wholly dumped one of each FAT type.
fn kept_for_kernel_judge(configs: &[Config]) -> Vec<usize> {
    ["FAT12", "FAT16", "FAT32"]
        .iter()
        .filter_map(|t| {
            configs
                .iter()
                .position(|c| c.fs == Some(*t) && c.size <= FULL_DUMP_MAX)
        })
        .collect()
}

/// The case id of matrix entry `i`: `matrix/03-16mib-fat16-q`.
fn case_id(i: usize, cfg: &Config) -> String {
    format!(
        "matrix/{i:02}-{}mib-{}-{}",
        cfg.size >> 20,
        cfg.fs.unwrap_or("auto"),
        cfg.letter
    )
    .to_ascii_lowercase()
}

/// The scenario's cases: one per entry of [`matrix_configs`].
pub fn cases(env: &Env) -> Vec<Case<'_>> {
    matrix_configs()
        .into_iter()
        .enumerate()
        .map(|(i, cfg)| {
            Case::new(Scenario::Matrix, case_id(i, &cfg), move |s| {
                entry(s, &env.sys, i, &cfg)
            })
        })
        .collect()
}

/// One entry: start, `info` against the Parameters, the image judged, a round trip,
/// a clean stop.
#[allow(
    clippy::many_single_char_names,
    reason = "the matrix loop's names, kept from before the split"
)]
fn entry(s: &mut Suite<'_>, sys: &Path, i: usize, cfg: &Config) -> Result<()> {
    let dir = s.wine.log_dir.join("matrix");
    fs::create_dir_all(&dir)?;
    let name = cfg.describe();
    let dev = device(cfg.letter);
    let mut vol: Option<Volume> = None;
    let mark = s.wine.log_mark();
    let started = s.case(
        &format!("[{name}] starts, info matches the Parameters"),
        |w| {
            cleanup(w);
            install(w, sys, cfg)?;
            ctl_ok(w, &["start", "--no-broadcast"])?;
            let j = json(&ctl_ok(w, &["--json", "info", &dev])?)?;
            let f = &j["file_system"];
            ensure!(j["size"] == cfg.size, "size {}", j["size"]);
            let t = f["type"].as_str().unwrap_or("").to_string();
            if let Some(want) = cfg.fs {
                ensure!(t == want, "file system {t}, want {want}");
            }
            if let Some(spc) = cfg.spc {
                ensure!(
                    f["sectors_per_cluster"] == spc,
                    "sectors per cluster {}",
                    f["sectors_per_cluster"]
                );
            }
            if let (Some(r), false) = (cfg.root, t == "FAT32") {
                ensure!(f["root_entries"] == r, "root entries {}", f["root_entries"]);
            }
            if let Some(l) = cfg.label {
                ensure!(f["label"] == l.to_ascii_uppercase(), "label {}", f["label"]);
            }
            let cluster_size = f["cluster_size"].as_u64().unwrap_or(512);
            let total = f["total_sectors"].as_u64().unwrap_or(0);
            let clusters = f["clusters"].as_u64().unwrap_or(0);
            let spc = f["sectors_per_cluster"].as_u64().unwrap_or(1);
            vol = Some(Volume {
                fs_type: t.clone(),
                first_data_byte: (total - clusters * spc) * 512,
                cluster_size,
            });
            Ok(format!("{t}, {clusters} clusters of {cluster_size} bytes"))
        },
    );
    if let (true, Some(v)) = (started, vol) {
        let img = dir.join(format!("{i:02}.img"));
        let head = if cfg.size <= FULL_DUMP_MAX {
            cfg.size
        } else {
            (v.first_data_byte + v.cluster_size + (2 << 20))
                .next_multiple_of(1 << 20)
                .min(cfg.size)
        };
        s.case(
            &format!("[{name}] image passes fsck.fat -n, mdir and fatfs"),
            |w| {
                dump_sparse(w, &dev, &img, cfg.size, head)?;
                let note = check_image(w, &img, cfg, &v.fs_type)?;
                if kept_for_kernel_judge(&matrix_configs()).contains(&i) {
                    let kept = format!("wine-{}", v.fs_type.to_ascii_lowercase());
                    crate::kernel_judge::keep_wine_image(&img, &kept, &name)?;
                }
                Ok(note)
            },
        );
        s.case(
            &format!("[{name}] a file written with mtools, loaded through the driver, reads back identical"),
            |w| round_trip(w, &dev, &img, cfg, head, i),
        );
        let _ = fs::remove_file(&img);
    }
    s.case(
        &format!("[{name}] stops cleanly (pool balance 0, no crash)"),
        |w| stop_clean(w, &dev, mark),
    );
    Ok(())
}

/// Dumps the first `head` bytes of `dev` into `img`, a sparse file of `size` bytes.
pub(super) fn dump_sparse(w: &Wine, dev: &str, img: &Path, size: u64, head: u64) -> Result<()> {
    let part = img.with_extension("head");
    let img_s = part.display().to_string();
    let head_s = head.to_string();
    if head == size {
        ctl_ok(w, &["dump", &img_s, dev])?;
    } else {
        ctl_ok(w, &["dump", &img_s, dev, "--length", &head_s])?;
    }
    let data = fs::read(&part)?;
    ensure!(
        data.len() as u64 == head,
        "dumped {} bytes, want {head}",
        data.len()
    );
    let mut f = fs::File::create(img)?;
    f.write_all(&data)?;
    f.set_len(size)?;
    fs::remove_file(part)?;
    Ok(())
}

fn check_image(w: &Wine, img: &Path, cfg: &Config, fs_type: &str) -> Result<String> {
    let path = img.display().to_string();
    let fsck = w.host("fsck.fat", &["-n", &path])?;
    ensure!(fsck.ok(), "fsck.fat -n failed:\n{}", fsck.text());
    let mdir = w.host("mdir", &["-i", &path, "::/"])?;
    ensure!(mdir.ok(), "mdir failed:\n{}", mdir.text());
    if let Some(l) = cfg.label {
        ensure!(
            mdir.stdout
                .contains(&format!("Volume in drive : is {}", l.to_ascii_uppercase())),
            "mdir shows another label:\n{}",
            mdir.stdout
        );
    }
    // The fatfs crate: an independent reader.
    let file = fs::OpenOptions::new().read(true).write(true).open(img)?;
    let fs =
        fatfs::FileSystem::new(file, fatfs::FsOptions::new()).map_err(|e| anyhow!("fatfs: {e}"))?;
    let t = match fs.fat_type() {
        fatfs::FatType::Fat12 => "FAT12",
        fatfs::FatType::Fat16 => "FAT16",
        fatfs::FatType::Fat32 => "FAT32",
    };
    ensure!(
        t == fs_type,
        "fatfs sees {t}, the driver reported {fs_type}"
    );
    let label = String::from_utf8_lossy(fs.volume_label_as_bytes()).into_owned();
    if let Some(l) = cfg.label {
        ensure!(
            label.trim_end() == l.to_ascii_uppercase(),
            "fatfs label {label:?}"
        );
    }
    let entries = fs.root_dir().iter().filter_map(Result::ok).count();
    ensure!(
        entries == 0,
        "the fresh root directory has {entries} entries"
    );
    let stats = fs.stats().map_err(|e| anyhow!("fatfs stats: {e}"))?;
    Ok(format!(
        "{}; fatfs: {t}, {} of {} clusters free",
        fsck.stdout.lines().last().unwrap_or("").trim(),
        stats.free_clusters(),
        stats.total_clusters()
    ))
}

fn round_trip(
    w: &Wine,
    dev: &str,
    img: &Path,
    cfg: &Config,
    head: u64,
    seed: usize,
) -> Result<String> {
    let path = img.display().to_string();
    let n = usize::try_from((cfg.size / 4).min(300 * 1024))?;
    let mut data = vec![0u8; n];
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ seed as u64;
    for b in &mut data {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x.to_le_bytes()[3];
    }
    let host_file = img.with_extension("bin");
    fs::write(&host_file, &data)?;
    let host_s = host_file.display().to_string();
    w.host("mcopy", &["-i", &path, &host_s, "::/RANDOM.BIN"])?
        .check()?;
    // Everything mcopy touched must lie inside the head that is loaded back.
    if head < cfg.size {
        let mut f = fs::File::open(img)?;
        f.seek(SeekFrom::Start(head))?;
        let mut rest = Vec::new();
        f.read_to_end(&mut rest)?;
        ensure!(
            rest.iter().all(|&b| b == 0),
            "mcopy wrote beyond the first {head} bytes"
        );
    }
    let head_s = head.to_string();
    if head == cfg.size {
        ctl_ok(w, &["load", &path, dev])?;
    } else {
        ctl_ok(w, &["load", &path, dev, "--length", &head_s])?;
    }
    let written = fs::read(img)?;
    let again = img.with_extension("again");
    dump_sparse(w, dev, &again, cfg.size, head)?;
    let back = fs::read(&again)?;
    ensure!(
        back == written,
        "the image read back through the driver differs from the one loaded"
    );
    let again_s = again.display().to_string();
    let copied = img.with_extension("copied");
    let copied_s = copied.display().to_string();
    let _ = fs::remove_file(&copied);
    w.host("mcopy", &["-n", "-i", &again_s, "::/RANDOM.BIN", &copied_s])?
        .check()?;
    ensure!(fs::read(&copied)? == data, "mcopy read back other bytes");
    let mtype = w
        .host("mtype", &["-i", &again_s, "::/RANDOM.BIN"])?
        .check()?;
    ensure!(!mtype.stdout.is_empty(), "mtype printed nothing");
    let fsck = w.host("fsck.fat", &["-n", &again_s])?;
    ensure!(fsck.ok(), "fsck.fat after the round trip:\n{}", fsck.text());
    // And through fatfs.
    let file = fs::OpenOptions::new().read(true).write(true).open(&again)?;
    let fs =
        fatfs::FileSystem::new(file, fatfs::FsOptions::new()).map_err(|e| anyhow!("fatfs: {e}"))?;
    let mut via = Vec::new();
    fs.root_dir()
        .open_file("RANDOM.BIN")
        .map_err(|e| anyhow!("fatfs open: {e}"))?
        .read_to_end(&mut via)?;
    ensure!(via == data, "fatfs read back other bytes");
    drop(fs);
    for p in [&again, &copied, &host_file] {
        let _ = fs::remove_file(p);
    }
    Ok(format!("{n} bytes, {} MiB loaded", head >> 20))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_are_distinct_and_valid() {
        let all = matrix_configs();
        assert!(all.iter().any(|c| c.size >= 512 << 20));
        assert!(all.iter().any(|c| c.size == 1 << 20));
        for fs in ["FAT12", "FAT16", "FAT32"] {
            assert!(all.iter().any(|c| c.fs == Some(fs)), "{fs}");
        }
        assert!(all.iter().any(|c| c.letter == 'Q') && all.iter().any(|c| c.letter == 'R'));
        for c in &all {
            assert_eq!(c.size % 512, 0);
            assert!(c.label.is_none_or(|l| l.len() <= 11));
            let args = c.install_args(Path::new("/x/rustramdisk.sys"));
            assert_eq!(args[2], r"Z:\x\rustramdisk.sys");
        }
        assert_eq!(case_id(3, &all[3]), "matrix/03-16mib-fat16-q");
        let kept = kept_for_kernel_judge(&all);
        assert_eq!(kept.len(), 3, "one image per FAT type for the kernel judge");
        assert!(kept.iter().all(|&i| all[i].size <= FULL_DUMP_MAX));
        assert_eq!(case_id(0, &all[0]), "matrix/00-1mib-auto-r");
    }
}
