//! The images a run judges: a representative set of the FAT matrix and of the exFAT
//! matrix made with ramdisk-core's planners and formatters (sparse files, a
//! file-backed `SectorWriter`), an exFAT image holding a file larger than 4 GiB
//! (written by exfat-fuse), the images the Wine end-to-end suite dumped through the
//! real driver, and deliberately corrupted images the kernel must refuse (the stage's
//! self-check).

use std::{
    fmt::Write as _,
    fs::{self, File, OpenOptions},
    os::unix::fs::FileExt,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, anyhow, bail};
use ramdisk_core::exfat;
use ramdisk_core::fat::{BootSector, FatType, FileSystem, FormatOptions, VolumeLabel, plan};
use ramdisk_core::volume;
use ramdisk_exfat_judge::{big_file, fuse};

use ramdisk_core::wire::fat::Bpb;

use super::{kit::Kit, tree::TreeKind};

/// Where `BPB_BytsPerSec` is in a boot sector.
const BYTS_PER_SEC: usize = std::mem::offset_of!(Bpb, byts_per_sec);

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// A file system the guest mounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FsKind {
    /// FAT12/16/32 through the kernel's `vfat` driver.
    Vfat,
    /// exFAT through the kernel's `exfat` driver.
    Exfat,
}

impl FsKind {
    /// `mount -t` type.
    pub const fn mount_type(self) -> &'static str {
        match self {
            Self::Vfat => "vfat",
            Self::Exfat => "exfat",
        }
    }

    /// The kind for an image whose sector 0 is `sector`.
    pub fn of_boot_sector(sector: &[u8]) -> Self {
        if exfat::is_exfat(sector) {
            Self::Exfat
        } else {
            Self::Vfat
        }
    }

    /// Modules to load. vfat asks for its code page and I/O charset with
    /// `request_module` at mount time (not a modules.dep dependency), so the judge
    /// loads the ones the kernel's configuration names.
    pub fn modules(self, kit: &Kit) -> Result<Vec<String>> {
        match self {
            Self::Vfat => {
                let codepage = kit
                    .config("CONFIG_FAT_DEFAULT_CODEPAGE")
                    .context("the kernel config has no CONFIG_FAT_DEFAULT_CODEPAGE")?;
                let iocharset = kit
                    .config("CONFIG_FAT_DEFAULT_IOCHARSET")
                    .context("the kernel config has no CONFIG_FAT_DEFAULT_IOCHARSET")?;
                Ok(vec![
                    "vfat".into(),
                    format!("nls_cp{codepage}"),
                    format!("nls_{}", iocharset.replace('-', "_")),
                ])
            }
            // exfat asks for its I/O charset (`utf8` in Debian's kernel) at mount time.
            Self::Exfat => {
                match kit.config("CONFIG_EXFAT_FS") {
                    Some("m" | "y") => {}
                    other => {
                        bail!("the judge's kernel has no exFAT driver (CONFIG_EXFAT_FS={other:?})")
                    }
                }
                let iocharset = kit
                    .config("CONFIG_EXFAT_DEFAULT_IOCHARSET")
                    .context("the kernel config has no CONFIG_EXFAT_DEFAULT_IOCHARSET")?;
                Ok(vec![
                    "exfat".into(),
                    format!("nls_{}", iocharset.replace('-', "_")),
                ])
            }
        }
    }
}

/// What the kernel must say about an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Mounts, takes the tree, lists it back, and prints no warning or error.
    Clean,
    /// An image the kernel must refuse (corrupted, or unfit for its disk): the judge
    /// must fail it, and the kernel's own message must contain this text.
    KernelSays(&'static str),
}

/// A deliberate corruption of a freshly formatted image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corruption {
    /// `BPB_BytsPerSec` set to this value (the kernel refuses to mount).
    BytesPerSector(u16),
    /// The FAT32 `FSInfo` lead signature zeroed (the kernel mounts and warns).
    FsInfoLeadSignature,
    /// A byte of the exFAT boot checksum sector changed (the kernel refuses to mount).
    ExfatBootChecksum,
    /// The first exFAT extended boot signature zeroed, the checksum made to match (the
    /// kernel mounts and warns).
    ExfatExtendedSignature,
}

/// Where an image comes from.
#[derive(Clone, Debug)]
pub enum Origin {
    /// Planned and formatted here with ramdisk-core.
    Core(FormatOptions),
    /// Planned and formatted here (exFAT), then [`big_file::NAME`] written into it by
    /// exfat-fuse through a loop device.
    BigFile(FormatOptions),
    /// Dumped through the real driver by the Wine end-to-end suite.
    Wine {
        /// The kept dump (copied before the kernel writes to it).
        path: PathBuf,
        /// The driver configuration it was made with.
        what: String,
    },
}

/// One image to judge.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Short name (guest mount point, messages): letters, digits, `-`.
    pub name: String,
    /// The file system the guest mounts it as.
    pub fs: FsKind,
    /// Where it comes from.
    pub origin: Origin,
    /// The virtio disk's logical (and physical) block size.
    pub device_block: u32,
    /// A corruption applied after formatting.
    pub corrupt: Option<Corruption>,
    /// The verdict it must get.
    pub expect: Expect,
    /// What the guest does with it.
    pub job: Job,
}

/// What the guest does with an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Writes, changes and lists the file tree.
    Tree,
    /// Mounts read-only and hashes ranges of the big file (all of it when `whole`).
    ReadBigFile {
        /// The whole file (`--long`), not its first, middle and last 64 MiB.
        whole: bool,
    },
}

/// A prepared image file.
#[derive(Debug)]
pub struct Image {
    /// What it is.
    pub spec: Spec,
    /// The file the guest gets.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Type, cluster size and count, FATs, label.
    pub what: String,
    /// The label mtools must show (`None`: no label).
    pub label: Option<String>,
    /// The tree the guest writes.
    pub tree: TreeKind,
    /// exFAT: `PercentInUse` as formatted (before the guest writes).
    pub percent_in_use: Option<u8>,
}

impl Image {
    /// The listing the guest must print.
    pub fn expected_listing(&self) -> String {
        match self.spec.job {
            Job::Tree => self.tree.expected().listing(),
            Job::ReadBigFile { whole } => big_file_listing(whole),
        }
    }

    /// The SHA-256 of the listing the guest must print.
    pub fn expected_hash(&self) -> String {
        super::tree::sha256_hex(self.expected_listing().as_bytes())
    }
}

/// The guest's listing of the big file: its size, then each range's SHA-256 and
/// `offset+length`, in [`big_file::ranges`] order.
pub fn big_file_listing(whole: bool) -> String {
    // Hashing 4.5 GiB (`--long`) takes a while: once per run.
    static LISTINGS: [std::sync::OnceLock<String>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    LISTINGS[usize::from(whole)]
        .get_or_init(|| make_big_file_listing(whole))
        .clone()
}

fn make_big_file_listing(whole: bool) -> String {
    let ranges = big_file::ranges(whole);
    let mut s = format!("S {} ./{}\n", big_file::LEN, big_file::NAME);
    for (hash, (offset, len)) in big_file::expected(&ranges).iter().zip(&ranges) {
        let _ = writeln!(s, "{hash}  {offset}+{len}");
    }
    s
}

fn core(name: &str, size: u64, fs: FileSystem, tweak: impl FnOnce(&mut FormatOptions)) -> Spec {
    let mut o = FormatOptions::new(size);
    o.file_system = fs;
    o.volume_serial = 0x4B4A_0000 ^ u32::try_from(size >> 20).unwrap_or(0xFFFF);
    tweak(&mut o);
    Spec {
        name: name.to_string(),
        fs: if fs == FileSystem::Exfat {
            FsKind::Exfat
        } else {
            FsKind::Vfat
        },
        device_block: o.bytes_per_sector,
        origin: Origin::Core(o),
        corrupt: None,
        expect: Expect::Clean,
        job: Job::Tree,
    }
}

fn label(text: &str) -> VolumeLabel {
    VolumeLabel::parse(text.as_bytes()).unwrap_or(VolumeLabel::DEFAULT)
}

fn exfat_label(text: &str) -> exfat::Label {
    let units: Vec<u16> = text.encode_utf16().collect();
    exfat::Label::parse(&units).unwrap_or(exfat::Label::DEFAULT)
}

/// The exFAT images of every run: the smallest volume, 512-byte, 4 KiB (automatic),
/// 32 KiB (automatic), 128 KiB (automatic, 256 GiB sparse) and 32 MiB clusters, labels
/// (Unicode, lower case) and none, 4096-byte sectors on 4096- and 512-byte-block disks.
pub fn exfat_set() -> Vec<Spec> {
    use FileSystem::Exfat;
    vec![
        core("exfat-1m", MIB, Exfat, |o| {
            o.exfat_label = exfat_label("Smallest");
        }),
        core("exfat-64m-512", 64 * MIB, Exfat, |o| {
            o.sectors_per_cluster = 1;
            o.exfat_label = exfat::Label::NONE;
        }),
        core("exfat-64m", 64 * MIB, Exfat, |o| {
            o.exfat_label = exfat_label("Sixty four");
        }),
        core("exfat-1g", GIB, Exfat, |o| {
            o.exfat_label = exfat_label("Été 2026");
        }),
        core("exfat-1g-32m", GIB, Exfat, |o| {
            o.sectors_per_cluster = 65_536;
            o.exfat_label = exfat::Label::NONE;
        }),
        core("exfat-256g", 256 * GIB, Exfat, |o| {
            o.exfat_label = exfat_label("Quarter TiB");
        }),
        core("exfat-64m-4k", 64 * MIB, Exfat, |o| {
            o.bytes_per_sector = 4096;
            o.exfat_label = exfat_label("FOURK");
        }),
        on_device(
            512,
            core("exfat-4k-on-512", 300 * MIB, Exfat, |o| {
                o.bytes_per_sector = 4096;
            }),
        ),
    ]
}

/// The exFAT image with the file larger than 4 GiB (8 GiB sparse, automatic 32 KiB
/// clusters); `whole`: the guest hashes all of it.
pub fn big_file_spec(whole: bool) -> Spec {
    let base = core(
        "exfat-bigfile",
        big_file::IMAGE_LEN,
        FileSystem::Exfat,
        |o| {
            o.exfat_label = exfat_label("Big file");
        },
    );
    let Origin::Core(o) = base.origin else {
        unreachable!("core() makes core images")
    };
    Spec {
        origin: Origin::BigFile(o),
        job: Job::ReadBigFile { whole },
        ..base
    }
}

/// The smallest disk (512-byte sectors) the planner accepts with default options.
fn smallest_legal() -> u64 {
    (1..=MIB / 512)
        .map(|sectors| sectors * 512)
        .find(|&size| plan(&FormatOptions::new(size)).is_ok())
        .unwrap_or(MIB)
}

/// The default set: every FAT type at the sizes that matter, 1 and 2 FATs, labels
/// and none, 512- and 4096-byte sectors.
pub fn default_set() -> Vec<Spec> {
    use FileSystem::{Auto, Fat12, Fat16, Fat32};
    vec![
        core("fat12-smallest", smallest_legal(), Auto, |_| {}),
        core("fat12-1m-1fat", MIB, Fat12, |o| {
            o.sectors_per_cluster = 1;
            o.num_fats = 1;
            o.label = VolumeLabel::NO_NAME;
        }),
        core("fat16-16m", 16 * MIB, Fat16, |o| o.label = label("SIXTEEN")),
        core("fat16-64m-1fat", 64 * MIB, Fat16, |o| {
            o.num_fats = 1;
            o.label = VolumeLabel::NO_NAME;
        }),
        core("fat16-256m", 256 * MIB, Fat16, |o| {
            o.label = label("QUARTER GIG");
        }),
        core("fat32-33m", 33 * MIB, Fat32, |o| {
            o.label = label("FAT32 MIN");
        }),
        core("fat32-1g-1fat", GIB, Auto, |o| {
            o.num_fats = 1;
            o.label = VolumeLabel::NO_NAME;
        }),
        core("fat32-32g", 32 * GIB, Auto, |o| {
            o.label = label("THIRTYTWO");
        }),
        core("fat12-4m-4k", 4 * MIB, Fat12, |o| o.bytes_per_sector = 4096),
        core("fat16-64m-4k", 64 * MIB, Fat16, |o| {
            o.bytes_per_sector = 4096;
            o.label = label("FOURK16");
        }),
        core("fat32-300m-4k", 300 * MIB, Fat32, |o| {
            o.bytes_per_sector = 4096;
            o.num_fats = 1;
        }),
        // 4096-byte FAT sectors on a disk of 512-byte blocks (what our driver reports).
        on_device(
            512,
            core("fat32-4k-on-512", 300 * MIB, Fat32, |o| {
                o.bytes_per_sector = 4096;
            }),
        ),
    ]
}

/// `spec` on a disk with `block`-byte logical blocks.
const fn on_device(block: u32, mut spec: Spec) -> Spec {
    spec.device_block = block;
    spec
}

/// `--long`: the rest of the hand-picked cases of `core/tests/fat_matrix.rs`.
pub fn long_set() -> Vec<Spec> {
    use FileSystem::{Auto, Fat12, Fat16, Fat32};
    vec![
        core("fat12-160k-1fat", 160 * KIB, Fat12, |o| {
            o.root_dir_entries = 16;
            o.num_fats = 1;
        }),
        core("fat12-floppy", 1_474_560, Auto, |o| {
            o.media = 0xF0;
            o.root_dir_entries = 224;
            o.label = label("FLOPPY 144");
        }),
        core("fat16-3m", 3 * MIB, Fat16, |o| o.label = label("SMALL16")),
        core("fat12-15m-spc8", 15 * MIB, Fat12, |o| {
            o.sectors_per_cluster = 8;
            o.num_fats = 1;
        }),
        core("fat32-40m-spc1", 40 * MIB, Fat32, |o| {
            o.sectors_per_cluster = 1;
        }),
        core("fat12-100m", 100 * MIB, Fat12, |_| {}),
        core("fat16-128m-spc32", 128 * MIB, Fat16, |o| {
            o.sectors_per_cluster = 32;
        }),
        core("fat16-512m-auto", 512 * MIB, Auto, |_| {}),
        core("fat32-520m-auto-1fat", 520 * MIB, Auto, |o| o.num_fats = 1),
        core("fat16-2047m", 2047 * MIB, Fat16, |_| {}),
        core("fat16-3g-64k", 3 * GIB, Fat16, |o| {
            o.allow_64k_clusters = true;
        }),
        core("fat32-8g", 8 * GIB, Auto, |o| o.label = label("EIGHT GIG")),
        core("fat32-16g-4k", 16 * GIB, Fat32, |o| {
            o.bytes_per_sector = 4096;
        }),
        core("fat32-32g-64k", 32 * GIB, Fat32, |o| {
            o.sectors_per_cluster = 128;
            o.allow_64k_clusters = true;
        }),
        core("fat32-64g", 64 * GIB, Auto, |_| {}),
        // The kernel refuses FAT sectors smaller than the disk's blocks.
        Spec {
            expect: Expect::KernelSays("logical sector size too small for device"),
            ..on_device(4096, core("fat16-512-on-4k", 16 * MIB, Fat16, |_| {}))
        },
    ]
}

/// The self-check: images the judge must fail, with the kernel's reason.
pub fn self_checks() -> Vec<Spec> {
    let mut bps = core("corrupt-bps", 16 * MIB, FileSystem::Fat16, |_| {});
    bps.corrupt = Some(Corruption::BytesPerSector(1000));
    bps.expect = Expect::KernelSays("bogus logical sector size 1000");
    let mut fsinfo = core("corrupt-fsinfo", 40 * MIB, FileSystem::Fat32, |_| {});
    fsinfo.corrupt = Some(Corruption::FsInfoLeadSignature);
    fsinfo.expect = Expect::KernelSays("Invalid FSINFO signature");
    vec![bps, fsinfo]
}

/// The exFAT self-check: a boot checksum the kernel refuses, an extended boot
/// signature it warns about.
pub fn exfat_self_checks() -> Vec<Spec> {
    let mut sum = core("corrupt-exfat-sum", 16 * MIB, FileSystem::Exfat, |_| {});
    sum.corrupt = Some(Corruption::ExfatBootChecksum);
    sum.expect = Expect::KernelSays("Invalid boot checksum");
    let mut ext = core("corrupt-exfat-ext", 16 * MIB, FileSystem::Exfat, |_| {});
    ext.corrupt = Some(Corruption::ExfatExtendedSignature);
    ext.expect = Expect::KernelSays("Invalid exboot-signature");
    vec![sum, ext]
}

fn describe(bs: &BootSector) -> (String, Option<String>) {
    let label = String::from_utf8_lossy(&bs.label).trim_end().to_string();
    let label = (label != "NO NAME" && !label.is_empty()).then_some(label);
    let t = match bs.fat_type {
        FatType::Fat12 => "FAT12",
        FatType::Fat16 => "FAT16",
        FatType::Fat32 => "FAT32",
    };
    let cluster = u32::from(bs.bytes_per_sector) * u32::from(bs.sectors_per_cluster);
    (
        format!(
            "{t}, {} B sectors, {} clusters of {} B, {} FAT{}, {}",
            bs.bytes_per_sector,
            bs.cluster_count,
            cluster,
            bs.num_fats,
            if bs.num_fats == 1 { "" } else { "s" },
            label
                .as_ref()
                .map_or_else(|| "no label".to_string(), |l| format!("label {l:?}"))
        ),
        label,
    )
}

/// An exFAT volume's description, label and free clusters and bytes (from the root
/// directory and the allocation bitmap, read with ramdisk-core's readers).
fn describe_exfat(
    file: &File,
    bs: &exfat::BootSector,
) -> Result<(String, Option<String>, u64, u64)> {
    let mut root = vec![0u8; usize::try_from(bs.cluster_bytes().min(64 << 10))?];
    file.read_exact_at(&mut root, bs.cluster_byte_offset(bs.root_cluster))?;
    let entries = exfat::RootEntries::scan(&root);
    let label = String::from_utf16_lossy(entries.label_units());
    let label = (!label.is_empty()).then_some(label);
    let bitmap = entries
        .bitmap
        .context("no Allocation Bitmap entry in the root")?;
    let mut bits = vec![0u8; usize::try_from(bitmap.data_length)?];
    file.read_exact_at(&mut bits, bs.cluster_byte_offset(bitmap.first_cluster))?;
    let free = u64::from(exfat::count_free(&bits, bs.cluster_count));
    Ok((
        format!(
            "exFAT, {} B sectors, {} clusters of {} B, {}",
            bs.bytes_per_sector,
            bs.cluster_count,
            bs.cluster_bytes(),
            label
                .as_ref()
                .map_or_else(|| "no label".to_string(), |l| format!("label {l:?}"))
        ),
        label,
        free,
        free * bs.cluster_bytes(),
    ))
}

fn human(size: u64) -> String {
    if size >= GIB && size.is_multiple_of(GIB) {
        format!("{} GiB", size / GIB)
    } else if size >= MIB && size.is_multiple_of(MIB) {
        format!("{} MiB", size / MIB)
    } else {
        format!("{} KiB", size.div_ceil(KIB))
    }
}

fn corrupt(file: &File, sector: &[u8; 512], c: Corruption) -> Result<()> {
    let fat = || BootSector::parse(sector).map_err(|e| anyhow!("not FAT: {e:?}"));
    let bps = || 1u64 << sector[108];
    match c {
        Corruption::BytesPerSector(v) => {
            file.write_all_at(&v.to_le_bytes(), BYTS_PER_SEC as u64)?;
        }
        Corruption::FsInfoLeadSignature => {
            let bs = fat()?;
            if bs.fat_type != FatType::Fat32 {
                bail!("FSInfo corruption needs a FAT32 image");
            }
            let at = u64::from(bs.fs_info_sector) * u64::from(bs.bytes_per_sector);
            file.write_all_at(&[0; 4], at)?;
        }
        Corruption::ExfatBootChecksum => file.write_all_at(&[0x5A], 11 * bps() + 2)?,
        Corruption::ExfatExtendedSignature => {
            // Zeroed, then the region's checksum made to match again: only the
            // signature is wrong.
            file.write_all_at(&[0; 4], 2 * bps() - 4)?;
            let mut region = vec![0u8; usize::try_from(11 * bps())?];
            file.read_exact_at(&mut region, 0)?;
            let sum = ramdisk_exfat_judge::bytes::boot_checksum(&region).to_le_bytes();
            let words: Vec<u8> = sum
                .iter()
                .copied()
                .cycle()
                .take(region.len() / 11)
                .collect();
            file.write_all_at(&words, 11 * bps())?;
        }
    }
    Ok(())
}

/// Plans and formats `o` into a new sparse file at `path`.
fn format_core(name: &str, o: &FormatOptions, path: &Path) -> Result<()> {
    let layout = volume::plan(o).map_err(|e| anyhow!("{name}: plan({o:?}): {e:?}"))?;
    ramdisk_exfat_judge::image::format_sparse(path, &layout, o.disk_size)
}

/// Writes [`big_file::NAME`] into the image at `path` with exfat-fuse on a loop device.
fn write_big_file(path: &Path, dir: &Path) -> Result<()> {
    let mnt = dir.join("bigfile.mnt");
    let m = fuse::Mounted::new(path, &mnt, true)?;
    big_file::write(&m.dir.join(big_file::NAME))?;
    m.finish()?;
    fs::remove_dir(&mnt)?;
    Ok(())
}

/// Makes the image file of `spec` in `dir`.
pub fn prepare(spec: Spec, dir: &Path) -> Result<Image> {
    let path = dir.join(format!("{}.img", spec.name));
    let _ = fs::remove_file(&path);
    // exFAT's PercentInUse as formatted, before any other writer touched the image.
    let mut formatted_percent = None;
    match &spec.origin {
        Origin::Core(o) => format_core(&spec.name, o, &path)?,
        Origin::BigFile(o) => {
            format_core(&spec.name, o, &path)?;
            let mut b = [0u8; 113];
            File::open(&path)?.read_exact_at(&mut b, 0)?;
            formatted_percent = Some(b[112]);
            write_big_file(&path, dir)?;
        }
        Origin::Wine { path: kept, .. } => {
            fs::copy(kept, &path)
                .with_context(|| format!("copy {} to {}", kept.display(), path.display()))?;
        }
    }
    let file = OpenOptions::new().read(true).write(true).open(&path)?;
    let mut sector = [0u8; 512];
    file.read_exact_at(&mut sector, 0)?;
    let exfat = FsKind::of_boot_sector(&sector) == FsKind::Exfat;
    let (what, label, tree) = if exfat {
        let bs = exfat::BootSector::parse(&sector)
            .map_err(|e| anyhow!("{}: the exFAT boot sector does not parse: {e:?}", spec.name))?;
        let (what, label, free_clusters, free_bytes) = describe_exfat(&file, &bs)?;
        (
            what,
            label,
            TreeKind::for_clusters(free_bytes, free_clusters),
        )
    } else {
        let bs = BootSector::parse(&sector)
            .map_err(|e| anyhow!("{}: the boot sector does not parse: {e:?}", spec.name))?;
        let (what, label) = describe(&bs);
        let free = u64::from(bs.cluster_count)
            * u64::from(bs.bytes_per_sector)
            * u64::from(bs.sectors_per_cluster);
        (what, label, TreeKind::for_free_bytes(free))
    };
    if let Some(c) = spec.corrupt {
        corrupt(&file, &sector, c)?;
    }
    let size = file.metadata()?.len();
    let origin = match &spec.origin {
        Origin::Core(_) => "ramdisk-core".to_string(),
        Origin::BigFile(_) => format!(
            "ramdisk-core, then a {}-byte {} written by exfat-fuse",
            big_file::LEN,
            big_file::NAME
        ),
        Origin::Wine { what, .. } => format!("the driver under Wine ({what})"),
    };
    let block = if spec.device_block == 512 {
        String::new()
    } else {
        format!(", {}-byte device blocks", spec.device_block)
    };
    Ok(Image {
        what: format!("{} {what}{block}; made by {origin}", human(size)),
        tree,
        spec,
        path,
        size,
        label,
        percent_in_use: formatted_percent.or_else(|| exfat.then_some(sector[112])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_cover_the_matrix_and_every_image_plans() {
        let all: Vec<Spec> = default_set()
            .into_iter()
            .chain(long_set())
            .chain(self_checks())
            .collect();
        let mut names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len(), "names are unique");
        let mut types = std::collections::BTreeSet::new();
        for s in &all {
            assert!(
                s.name.len() <= 20
                    && s.name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "{}",
                s.name
            );
            let Origin::Core(o) = &s.origin else {
                panic!("only core images are built in")
            };
            let layout = plan(o).unwrap_or_else(|e| panic!("{}: {e:?}", s.name));
            types.insert((
                format!("{:?}", layout.fat_type),
                o.bytes_per_sector,
                o.num_fats,
            ));
            assert!(s.device_block == 512 || s.device_block == 4096);
        }
        let default: Vec<Spec> = default_set();
        let planned: Vec<_> = default
            .iter()
            .map(|s| match &s.origin {
                Origin::Core(o) => (plan(o).unwrap(), *o),
                Origin::BigFile(_) | Origin::Wine { .. } => unreachable!(),
            })
            .collect();
        for t in [FatType::Fat12, FatType::Fat16, FatType::Fat32] {
            for bps in [512, 4096] {
                assert!(
                    planned
                        .iter()
                        .any(|(l, o)| l.fat_type == t && o.bytes_per_sector == bps),
                    "{t:?} with {bps}-byte sectors"
                );
            }
        }
        assert!(planned.iter().any(|(l, _)| l.num_fats == 1));
        assert!(planned.iter().any(|(l, _)| l.num_fats == 2));
        assert!(planned.iter().any(|(l, _)| l.label.is_no_name()));
        assert!(planned.iter().any(|(l, _)| !l.label.is_no_name()));
        assert!(planned.iter().any(|(_, o)| o.disk_size == smallest_legal()));
        assert!(planned.iter().any(|(_, o)| o.disk_size == 32 * GIB));
        assert!(types.len() >= 8, "{types:?}");
    }

    #[test]
    fn exfat_sets_plan_and_cover_cluster_sizes_and_sectors() {
        let all: Vec<Spec> = exfat_set()
            .into_iter()
            .chain(exfat_self_checks())
            .chain([big_file_spec(false)])
            .collect();
        let mut clusters = std::collections::BTreeSet::new();
        for s in &all {
            assert_eq!(s.fs, FsKind::Exfat, "{}", s.name);
            let (Origin::Core(o) | Origin::BigFile(o)) = &s.origin else {
                panic!("{}: not made here", s.name)
            };
            let l = exfat::plan(o).unwrap_or_else(|e| panic!("{}: {e:?}", s.name));
            clusters.insert((l.cluster_bytes(), o.bytes_per_sector, s.device_block));
            assert!(s.name.len() <= 20, "{}", s.name);
        }
        for want in [512, 4096, 32 << 10, 128 << 10, 32 << 20] {
            assert!(clusters.iter().any(|c| c.0 == want), "{want}-byte clusters");
        }
        assert!(clusters.contains(&(4096, 4096, 4096)));
        assert!(clusters.contains(&(32 << 10, 4096, 512)));
        assert_eq!(big_file_spec(true).job, Job::ReadBigFile { whole: true });
        let listing = big_file_listing(false);
        assert_eq!(listing.lines().count(), 4, "{listing}");
        assert!(listing.starts_with(&format!("S {} ./big.bin\n", big_file::LEN)));
    }

    #[test]
    fn prepared_images_are_sparse_and_corruptions_land() {
        let dir = crate::util::target_dir()
            .join("kernel-judge")
            .join("unit-test");
        fs::create_dir_all(&dir).unwrap();
        let img = prepare(default_set().swap_remove(7), &dir).unwrap();
        assert_eq!(img.size, 32 * GIB);
        assert_eq!(img.tree, TreeKind::Full);
        assert!(img.what.starts_with("32 GiB FAT32"), "{}", img.what);
        assert_eq!(img.label.as_deref(), Some("THIRTYTWO"));
        let used = std::os::unix::fs::MetadataExt::blocks(&fs::metadata(&img.path).unwrap()) * 512;
        assert!(used < 64 * MIB, "{used} bytes allocated");
        let tiny = prepare(default_set().swap_remove(0), &dir).unwrap();
        assert_eq!(tiny.tree, TreeKind::Tiny);
        assert_eq!(tiny.label.as_deref(), Some("RAMDISK"));
        let exfat = prepare(exfat_set().swap_remove(5), &dir).unwrap();
        assert!(exfat.what.starts_with("256 GiB exFAT"), "{}", exfat.what);
        assert_eq!(exfat.label.as_deref(), Some("Quarter TiB"));
        assert_eq!(exfat.tree, TreeKind::Full);
        let big_clusters = prepare(exfat_set().swap_remove(4), &dir).unwrap();
        assert_eq!(big_clusters.tree, TreeKind::Tiny, "28 clusters of 32 MiB");
        for s in self_checks().into_iter().chain(exfat_self_checks()) {
            let c = s.corrupt.unwrap();
            let img = prepare(s, &dir).unwrap();
            let mut data = vec![0u8; 12 * 512];
            File::open(&img.path)
                .unwrap()
                .read_exact_at(&mut data, 0)
                .unwrap();
            match c {
                Corruption::BytesPerSector(v) => {
                    assert_eq!(data[BYTS_PER_SEC..BYTS_PER_SEC + 2], v.to_le_bytes());
                }
                Corruption::FsInfoLeadSignature => {
                    assert_eq!(data[512..516], [0; 4]);
                    let struc =
                        512 + std::mem::offset_of!(ramdisk_core::wire::fat::FsInfo, struc_sig);
                    assert_eq!(data[struc..struc + 4], *b"rrAa");
                }
                Corruption::ExfatBootChecksum => {
                    assert!(
                        !ramdisk_exfat_judge::bytes::check_boot_regions(&img.path)
                            .unwrap()
                            .is_empty()
                    );
                }
                Corruption::ExfatExtendedSignature => {
                    assert_eq!(data[1020..1024], [0; 4]);
                    let sum = ramdisk_exfat_judge::bytes::boot_checksum(&data[..11 * 512]);
                    assert_eq!(data[11 * 512..11 * 512 + 4], sum.to_le_bytes());
                }
            }
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
