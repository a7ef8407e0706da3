//! Golden metadata sectors, compared byte for byte (the way dosfstools keeps
//! reference images): the boot sector, FAT32's `FSInfo` and backup boot sector, the
//! first FAT sector and the first root-directory sector of three volumes, formatted
//! with fixed options. The fixtures in `tests/golden/` were written by the formatter
//! before its byte layouts became `zerocopy` structs, so any change of a single byte is
//! caught. `RAMDISK_BLESS_GOLDEN=1 cargo test -p ramdisk-core --test golden` rewrites
//! them (only ever on purpose, and reviewed).

use std::path::PathBuf;

use ramdisk_core::fat::{
    FileSystem, FormatOptions, SliceWriter, VolumeLabel, Zeroed, format, plan,
};

const MIB: u64 = 1 << 20;

/// (fixture name, disk size, file system).
const VOLUMES: [(&str, u64, FileSystem); 3] = [
    ("fat12-1mib", MIB, FileSystem::Fat12),
    ("fat16-64mib", 64 * MIB, FileSystem::Fat16),
    ("fat32-1gib", 1024 * MIB, FileSystem::Fat32),
];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.bin"))
}

/// The metadata sectors of a volume, concatenated: boot sector; FAT32 only: `FSInfo`
/// (sector 1), backup boot sector (6), backup `FSInfo` (7); the first sector of each
/// FAT; the first sector of the root directory (FAT32: of cluster 2).
fn metadata(size: u64, fs: FileSystem) -> Vec<u8> {
    let mut o = FormatOptions::new(size);
    o.file_system = fs;
    o.volume_serial = 0x1234_ABCD;
    o.label = VolumeLabel::parse(b"GOLDEN").expect("label");
    let layout = plan(&o).expect("plan");
    let head = u64::from(layout.first_data_sector) + u64::from(layout.sectors_per_cluster);
    // 0xA5 garbage first, so Zeroed::No must write every byte that matters; the
    // formatter never writes past the metadata (a write there would fail here).
    let mut image = vec![0xA5u8; usize::try_from(head * 512).expect("fits")];
    format(&layout, &mut SliceWriter(&mut image), Zeroed::No).expect("format");
    let sector = |n: u64| {
        let at = usize::try_from(n * 512).expect("fits");
        image[at..at + 512].to_vec()
    };
    let mut out = sector(0);
    if fs == FileSystem::Fat32 {
        for n in [1, 6, 7] {
            out.extend(sector(n));
        }
    }
    for fat in 0..layout.num_fats {
        out.extend(sector(layout.fat_start_sector(fat)));
    }
    out.extend(sector(if fs == FileSystem::Fat32 {
        u64::from(layout.first_data_sector)
    } else {
        layout.root_dir_start_sector()
    }));
    out
}

#[test]
fn metadata_sectors_match_the_golden_fixtures() {
    let bless = std::env::var_os("RAMDISK_BLESS_GOLDEN").is_some();
    for (name, size, fs) in VOLUMES {
        let got = metadata(size, fs);
        let path = fixture(name);
        if bless {
            std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
            std::fs::write(&path, &got).expect("write fixture");
            continue;
        }
        let want = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (bless with RAMDISK_BLESS_GOLDEN=1)",
                path.display()
            )
        });
        assert_eq!(got.len(), want.len(), "{name}: length");
        if let Some(i) = got.iter().zip(&want).position(|(a, b)| a != b) {
            panic!(
                "{name}: byte {i} (sector {} of the fixture, offset {}) is {:#04x}, the fixture has {:#04x}",
                i / 512,
                i % 512,
                got[i],
                want[i]
            );
        }
    }
}
