//! exFAT through the real driver (the `FileSystem` registry value, set by `ramdiskctl
//! install --fs exFAT`): the driver formats the disk at load; `info` reports exFAT (label
//! as given, clusters, free clusters from the bitmap, partition type 0x07); the image
//! dumped through the driver is byte for byte what ramdisk-core formats with the same
//! options (the serial from the boot sector) and passes every exFAT judge (byte-level
//! checks, fsck.exfat, hadris-fat, the exfat crate); a file written into the dump by
//! exfat-fuse is loaded back through the driver and read back; the 64 MiB disk passes
//! the contract client's I/O, IOCTL and volume contract with both `GET_PARTITION_INFO`
//! codes saying 0x07; the stop is clean. And
//! the registry values whose range depends on `FileSystem` fail as they must.

use std::{fs, path::Path};

use anyhow::{Context, Result, anyhow, ensure};
use ramdisk_core::exfat;
use ramdisk_core::fat::{FileSystem, FormatOptions, SliceWriter, Zeroed};
use ramdisk_exfat_judge::{Expect, fuse, hadris, judge_fresh};

use super::{
    Config, Env,
    bad_values::{Bad, bad_value},
    cleanup, contract, ctl_ok, device, install, json,
    runner::{Case, Scenario, Suite},
    stop_clean,
};

/// The exFAT disks: the smallest with 512-byte clusters and no label, the automatic
/// 4 KiB clusters with a mixed-case label, and 128 KiB clusters (a `SectorsPerCluster`
/// FAT refuses).
fn configs() -> Vec<Config> {
    let c = Config::new;
    vec![
        Config {
            fs: Some("exFAT"),
            spc: Some(1),
            label: Some(""),
            ..c(1 << 20, 'Q')
        },
        Config {
            fs: Some("exFAT"),
            label: Some("Wine exFAT"),
            ..c(64 << 20, 'R')
        },
        Config {
            fs: Some("exfat"),
            spc: Some(256),
            label: Some("Big Cluster"),
            ..c(256 << 20, 'Q')
        },
    ]
}

/// Which entry's dump the kernel judge mounts too.
const KEPT_FOR_KERNEL_JUDGE: usize = 1;

const BAD: &[Bad] = &[
    Bad {
        id: "bad-spc-256-fat16",
        what: "SectorsPerCluster 256 with FileSystem FAT16 (exFAT only)",
        values: &[
            ("SectorsPerCluster", "REG_DWORD", "256"),
            ("FileSystem", "REG_SZ", "FAT16"),
        ],
        names: &["SectorsPerCluster"],
    },
    Bad {
        id: "bad-label-dot-fat",
        what: "VolumeLabel \"a.b\" without FileSystem exFAT",
        values: &[("VolumeLabel", "REG_SZ", "a.b")],
        names: &["VolumeLabel"],
    },
    Bad {
        id: "bad-label-colon-exfat",
        what: "VolumeLabel \"a:b\" with FileSystem exFAT",
        values: &[
            ("FileSystem", "REG_SZ", "exFAT"),
            ("VolumeLabel", "REG_SZ", "a:b"),
        ],
        names: &["VolumeLabel"],
    },
    Bad {
        id: "bad-disksize-exfat",
        what: "DiskSize 512 KiB with FileSystem exFAT (1 MiB at least)",
        values: &[
            ("DiskSize", "REG_DWORD", "524288"),
            ("FileSystem", "REG_SZ", "exFAT"),
        ],
        names: &["DiskSize"],
    },
];

/// The case id of entry `i`.
fn case_id(i: usize, cfg: &Config) -> String {
    format!("exfat/{i:02}-{}mib-{}", cfg.size >> 20, cfg.letter).to_ascii_lowercase()
}

/// The scenario's cases.
pub fn cases(env: &Env) -> Vec<Case<'_>> {
    let mut cases: Vec<Case<'_>> = configs()
        .into_iter()
        .enumerate()
        .map(|(i, cfg)| {
            Case::new(Scenario::Exfat, case_id(i, &cfg), move |s| {
                entry(s, &env.sys, i, &cfg)
            })
        })
        .collect();
    cases.extend(BAD.iter().map(|bad| {
        Case::new(Scenario::Exfat, format!("exfat/{}", bad.id), |s| {
            bad_value(s, &env.sys, bad);
            Ok(())
        })
    }));
    cases
}

/// The options ramdisk-core formats `cfg` with (as the driver's registry parser makes
/// them), and the serial the driver chose.
fn options(cfg: &Config, serial: u32) -> Result<FormatOptions> {
    let mut o = FormatOptions::new(cfg.size);
    o.file_system = FileSystem::Exfat;
    o.sectors_per_cluster = cfg.spc.unwrap_or(0);
    o.volume_serial = serial;
    let units: Vec<u16> = cfg.label.unwrap_or("RAMDISK").encode_utf16().collect();
    o.exfat_label = exfat::Label::parse(&units).map_err(|e| anyhow!("label: {e:?}"))?;
    Ok(o)
}

fn entry(s: &mut Suite<'_>, sys: &Path, i: usize, cfg: &Config) -> Result<()> {
    let dir = s.wine.log_dir.join("exfat");
    fs::create_dir_all(&dir)?;
    let name = format!("{} MiB exFAT on {}:", cfg.size >> 20, cfg.letter);
    let dev = device(cfg.letter);
    let mark = s.wine.log_mark();
    let mut planned: Option<exfat::Layout> = None;
    let started = s.case(
        &format!("[{name}] starts, info reports exFAT as configured"),
        |w| {
            cleanup(w);
            install(w, sys, cfg)?;
            ctl_ok(w, &["start", "--no-broadcast"])?;
            let info = json(&ctl_ok(w, &["--json", "info", &dev])?)?;
            let facts = &info["file_system"];
            let serial = facts["serial"]
                .as_str()
                .and_then(|s| u32::from_str_radix(&s.replace('-', ""), 16).ok())
                .context("no serial")?;
            let layout = exfat::plan(&options(cfg, serial)?).map_err(|e| anyhow!("{e:?}"))?;
            let want_label = cfg.label.unwrap_or("RAMDISK");
            ensure!(facts["type"] == "exFAT", "type {}", facts["type"]);
            ensure!(facts["label"] == want_label, "label {}, want {want_label:?}", facts["label"]);
            ensure!(facts["clusters"] == layout.cluster_count, "clusters {}", facts["clusters"]);
            ensure!(facts["cluster_size"] == layout.cluster_bytes(), "cluster size {}", facts["cluster_size"]);
            ensure!(facts["free_clusters"] == layout.free_clusters(), "free {}", facts["free_clusters"]);
            ensure!(facts["free_source"] == "bitmap", "free from {}", facts["free_source"]);
            ensure!(facts["num_fats"] == 1 && facts["root_entries"] == 0, "{facts}");
            ensure!(info["partition"]["mbr_type"] == 7, "partition {}", info["partition"]);
            planned = Some(layout);
            Ok(format!(
                "exFAT, {} clusters of {} bytes, {} free, label {want_label:?}, partition type 0x07",
                layout.cluster_count,
                layout.cluster_bytes(),
                layout.free_clusters()
            ))
        },
    );
    if let (true, Some(layout)) = (started, planned) {
        let img = dir.join(format!("{i:02}.img"));
        let img_s = img.display().to_string();
        s.case(
            &format!("[{name}] the dump is ramdisk-core's format and passes every exFAT judge"),
            |w| {
                ctl_ok(w, &["dump", &img_s, &dev])?;
                let dumped = fs::read(&img)?;
                let mut want = vec![0u8; dumped.len()];
                exfat::format(&layout, &mut SliceWriter(&mut want), Zeroed::Yes)
                    .map_err(|e| anyhow!("{e:?}"))?;
                ensure!(
                    dumped == want,
                    "the dump differs from ramdisk-core's format at byte {}",
                    dumped
                        .iter()
                        .zip(&want)
                        .position(|(a, b)| a != b)
                        .unwrap_or(0)
                );
                let notes = judge_fresh(&img, &Expect::of(&layout))?;
                if i == KEPT_FOR_KERNEL_JUDGE {
                    crate::kernel_judge::keep_wine_image(&img, "wine-exfat", &cfg_text(cfg))?;
                }
                Ok(notes.join("; "))
            },
        );
        s.case(
            &format!("[{name}] a file exfat-fuse writes into the dump, loaded through the driver, reads back"),
            |w| round_trip(w, &dev, &img, &dir, i),
        );
        let _ = fs::remove_file(&img);
        if i == KEPT_FOR_KERNEL_JUDGE {
            // The whole I/O, IOCTL and volume contract on an exFAT disk, both
            // GET_PARTITION_INFO codes reporting 0x07 (it writes to the disk: last).
            let prefix = format!("[{name}] contract");
            contract(s, &prefix, &dev, cfg.letter, &["--partition-type", "0x07"]);
        }
    }
    s.case(
        &format!("[{name}] stops cleanly (pool balance 0, no crash)"),
        |w| stop_clean(w, &dev, mark),
    );
    Ok(())
}

fn cfg_text(cfg: &Config) -> String {
    format!(
        "{} MiB FileSystem exFAT{}{}",
        cfg.size >> 20,
        cfg.spc.map_or(String::new(), |s| format!(" spc {s}")),
        cfg.label.map_or(String::new(), |l| format!(" label {l:?}"))
    )
}

/// exfat-fuse writes a file into the dumped image; `ramdiskctl load` puts the image on
/// the disk; a second dump equals it, and hadris-fat reads the file back from it.
fn round_trip(
    w: &crate::wine::Wine,
    dev: &str,
    img: &Path,
    dir: &Path,
    seed: usize,
) -> Result<String> {
    let mut data = vec![0u8; 300_000];
    ramdisk_exfat_judge::big_file::fill(seed as u64 * 300_000, &mut data);
    let len = data
        .len()
        .min(usize::try_from(fs::metadata(img)?.len() / 4)?);
    let mnt = dir.join("fuse.mnt");
    let m = fuse::Mounted::new(img, &mnt, true)?;
    fs::write(m.dir.join("from exfat-fuse.bin"), &data[..len])?;
    m.finish()?;
    let img_s = img.display().to_string();
    ctl_ok(w, &["load", &img_s, dev])?;
    let again = img.with_extension("again");
    let again_s = again.display().to_string();
    ctl_ok(w, &["dump", &again_s, dev])?;
    ensure!(
        fs::read(img)? == fs::read(&again)?,
        "the image read back through the driver differs from the one loaded"
    );
    let (_, files) = hadris::tree(&again)?;
    let _ = fs::remove_file(&again);
    ensure!(
        files.get("from exfat-fuse.bin").map(Vec::as_slice) == Some(&data[..len]),
        "hadris-fat does not read the file back: {:?}",
        files.keys().collect::<Vec<_>>()
    );
    ramdisk_exfat_judge::fsck::fsck(img)?;
    hadris::check(img)?;
    Ok(format!(
        "{len} bytes through exfat-fuse, ramdiskctl load and dump, read back by hadris-fat; \
         fsck.exfat and hadris clean"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_config_plans_and_ids_are_unique() {
        for cfg in configs() {
            let o = options(&cfg, 0).unwrap();
            assert!(exfat::plan(&o).is_ok(), "{cfg:?}");
        }
        assert!(
            configs()[2].spc.unwrap() > 128,
            "a SectorsPerCluster only exFAT takes"
        );
        let mut ids: Vec<String> = BAD.iter().map(|b| b.id.to_string()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), BAD.len());
    }
}
