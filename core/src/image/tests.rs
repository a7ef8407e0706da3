extern crate std;

use super::*;
use crate::fat::{FormatOptions, SliceWriter, Zeroed};
use crate::volume;
use proptest::prelude::*;
use std::string::ToString;
use std::vec;
use std::vec::Vec;

/// An image of `size` bytes formatted by our own formatter as `fs`.
fn ours(size: u64, fs: FileSystem) -> Vec<u8> {
    let mut o = FormatOptions::new(size);
    o.file_system = fs;
    let layout = volume::plan(&o).unwrap();
    let mut img = vec![0u8; usize::try_from(size).unwrap()];
    layout
        .format(&mut SliceWriter(&mut img), Zeroed::Yes)
        .unwrap();
    img
}

/// An image formatted by the fatfs crate (an independent formatter).
fn fatfs_image(size: usize, fat: fatfs::FatType) -> Vec<u8> {
    let mut img = vec![0u8; size];
    let cursor = std::io::Cursor::new(&mut img[..]);
    fatfs::format_volume(cursor, fatfs::FormatVolumeOptions::new().fat_type(fat)).unwrap();
    img
}

#[test]
fn identifies_volumes() {
    for (size, fs, want, ptype) in [
        (
            1u64 << 20,
            FileSystem::Fat12,
            ImageVolume::Fat(FatType::Fat12),
            0x01,
        ),
        (
            16 << 20,
            FileSystem::Fat16,
            ImageVolume::Fat(FatType::Fat16),
            0x04,
        ),
        (
            64 << 20,
            FileSystem::Fat16,
            ImageVolume::Fat(FatType::Fat16),
            0x06,
        ),
        (
            64 << 20,
            FileSystem::Fat32,
            ImageVolume::Fat(FatType::Fat32),
            0x0C,
        ),
        (32 << 20, FileSystem::Exfat, ImageVolume::Exfat, 0x07),
    ] {
        let img = ours(size, fs);
        let found = identify(&img[..512], size).unwrap();
        assert_eq!(found, want, "{size} {fs:?}");
        assert_eq!(found.partition_type(size), ptype, "{size} {fs:?}");
        assert_eq!(check_file_system(fs, found), Ok(()));
        assert_eq!(check_file_system(FileSystem::Auto, found), Ok(()));
        // The same volume in a shorter file is truncated.
        assert_eq!(
            identify(&img[..512], size - 512),
            Err(ImageError::Truncated {
                volume: size,
                file: size - 512
            })
        );
    }
    for (size, fat, want) in [
        (4usize << 20, fatfs::FatType::Fat12, FatType::Fat12),
        (16 << 20, fatfs::FatType::Fat16, FatType::Fat16),
        (40 << 20, fatfs::FatType::Fat32, FatType::Fat32),
    ] {
        let img = fatfs_image(size, fat);
        assert_eq!(
            identify(&img[..512], size as u64),
            Ok(ImageVolume::Fat(want)),
            "{fat:?}"
        );
    }
    let mut ntfs = [0u8; 512];
    ntfs[..3].copy_from_slice(&[0xEB, 0x52, 0x90]);
    ntfs[3..11].copy_from_slice(b"NTFS    ");
    ntfs[40..48].copy_from_slice(&2047u64.to_le_bytes());
    ntfs[510..].copy_from_slice(&[0x55, 0xAA]);
    assert_eq!(identify(&ntfs, 1 << 20), Ok(ImageVolume::Ntfs));
    assert_eq!(ImageVolume::Ntfs.partition_type(1 << 20), 0x07);
    assert!(matches!(
        identify(&ntfs, 1 << 19),
        Err(ImageError::Truncated {
            volume: 1_048_576,
            file: 524_288
        })
    ));
    // A blank image and noise: unknown, partition type 0.
    assert_eq!(identify(&[0u8; 512], 1 << 20), Ok(ImageVolume::Unknown));
    assert_eq!(ImageVolume::Unknown.partition_type(1 << 20), 0);
    assert_eq!(identify(&[0xA5u8; 4096], 1 << 20), Ok(ImageVolume::Unknown));
    assert!(matches!(
        identify(&[0u8; 100], 100),
        Err(ImageError::Truncated { .. })
    ));
}

#[test]
fn refuses_partitioned_images() {
    let mut mbr = [0u8; 512];
    mbr[0] = 0xFA; // cli: boot code, not a jump
    mbr[446 + 16 + 4] = 0x0C; // the second entry: FAT32 LBA
    mbr[510..].copy_from_slice(&[0x55, 0xAA]);
    assert_eq!(
        identify(&mbr, 1 << 30),
        Err(ImageError::Partitioned(Partitioning::Mbr))
    );
    let mut gpt = mbr;
    gpt[446 + 16 + 4] = 0;
    gpt[446 + 4] = 0xEE;
    assert_eq!(
        identify(&gpt, 1 << 30),
        Err(ImageError::Partitioned(Partitioning::Gpt))
    );
    assert!(
        ImageError::Partitioned(Partitioning::Gpt)
            .to_string()
            .contains("GPT protective MBR")
    );
    assert!(
        ImageError::Partitioned(Partitioning::Mbr)
            .to_string()
            .contains("master boot record")
    );
    // An empty table with the signature is no partitioning.
    let mut empty = [0u8; 512];
    empty[510..].copy_from_slice(&[0x55, 0xAA]);
    assert_eq!(identify(&empty, 1 << 20), Ok(ImageVolume::Unknown));
}

#[test]
fn explicit_file_system_must_match() {
    let fat16 = ImageVolume::Fat(FatType::Fat16);
    let e = check_file_system(FileSystem::Fat32, fat16).unwrap_err();
    assert_eq!(
        e,
        ImageError::Mismatch {
            requested: FileSystem::Fat32,
            found: fat16
        }
    );
    assert_eq!(
        e.to_string(),
        "FileSystem is FAT32 but the image holds FAT16 (use FileSystem=keep to serve it as it is)"
    );
    for fs in [
        FileSystem::Fat12,
        FileSystem::Fat16,
        FileSystem::Fat32,
        FileSystem::Exfat,
    ] {
        assert!(check_file_system(fs, ImageVolume::Ntfs).is_err());
        assert!(check_file_system(fs, ImageVolume::Unknown).is_err());
    }
    assert_eq!(
        check_file_system(FileSystem::Auto, ImageVolume::Unknown),
        Ok(())
    );
}

#[test]
fn size_rule() {
    assert_eq!(image_disk_size(1 << 20, None), Ok(1 << 20));
    assert_eq!(image_disk_size(1 << 20, Some(1 << 20)), Ok(1 << 20));
    assert_eq!(image_disk_size(0, None), Err(ImageError::Empty));
    assert_eq!(image_disk_size(0, Some(0)), Err(ImageError::Empty));
    assert_eq!(
        image_disk_size(1000, None),
        Err(ImageError::NotSectorMultiple { file: 1000 })
    );
    // Shorter and longer than DiskSize alike.
    for file in [(1 << 20) - 512, (1 << 20) + 512] {
        assert_eq!(
            image_disk_size(file, Some(1 << 20)),
            Err(ImageError::SizeMismatch {
                file,
                disk: 1 << 20
            })
        );
    }
    assert_eq!(
        ImageError::SizeMismatch {
            file: 512,
            disk: 1024
        }
        .to_string(),
        "the image file is 512 bytes but DiskSize is 1024 (leave DiskSize out to take the file's size)"
    );
    assert_eq!(ImageError::Empty.to_string(), "the image file is empty");
}

/// The model: one flag per sector; the runs must cover it exactly, in order, with
/// maximal holes and data runs within the limits.
fn check_runs(zero: &[bool], max_data: u64, boundary: u64) -> Result<(), TestCaseError> {
    let mut asked = Vec::new();
    let all: Vec<Run> = runs(zero.len() as u64, max_data, boundary, |s| {
        asked.push(s);
        zero[usize::try_from(s).unwrap()]
    })
    .collect();
    let mut next = 0u64;
    for (i, r) in all.iter().enumerate() {
        prop_assert_eq!(r.first, next);
        prop_assert!(r.count > 0);
        for s in r.first..r.first + r.count {
            prop_assert_eq!(zero[usize::try_from(s).unwrap()], r.hole);
        }
        if r.hole {
            // Maximal: the next run is data.
            if let Some(n) = all.get(i + 1) {
                prop_assert!(!n.hole);
            }
        } else {
            prop_assert!(r.count <= max_data.max(1));
            let b = boundary.max(1);
            prop_assert_eq!(r.first / b, (r.first + r.count - 1) / b);
        }
        next += r.count;
    }
    prop_assert_eq!(next, zero.len() as u64);
    // Each sector is asked about once.
    let mut sorted = asked.clone();
    sorted.dedup();
    prop_assert_eq!(sorted.len(), asked.len());
    prop_assert_eq!(asked.len(), zero.len());
    Ok(())
}

#[test]
fn runs_examples() {
    let z = |pattern: &str| pattern.bytes().map(|b| b == b'0').collect::<Vec<_>>();
    let list = |pattern: &str, max, boundary| {
        let zero = z(pattern);
        runs(zero.len() as u64, max, boundary, |s| {
            zero[usize::try_from(s).unwrap()]
        })
        .map(|r| (r.first, r.count, r.hole))
        .collect::<Vec<_>>()
    };
    assert_eq!(list("", 4, 8), []);
    assert_eq!(list("0000", 2, 2), [(0, 4, true)]);
    assert_eq!(
        list("11100111", 8, 8),
        [(0, 3, false), (3, 2, true), (5, 3, false)]
    );
    // Data runs split at the buffer size and at chunk boundaries; holes cross them.
    assert_eq!(
        list("11111111", 3, 4),
        [(0, 3, false), (3, 1, false), (4, 3, false), (7, 1, false)]
    );
    assert_eq!(
        list("10000001", 8, 2),
        [(0, 1, false), (1, 6, true), (7, 1, false)]
    );
    assert_eq!(list("11", 0, 0), [(0, 1, false), (1, 1, false)]);
    for (pattern, max, boundary) in [("0110", 1, 1), ("1", 1, 1), ("0", 5, 5)] {
        check_runs(&z(pattern), max, boundary).unwrap();
    }
}

proptest! {
    #[test]
    fn runs_match_the_model(
        zero in proptest::collection::vec(any::<bool>(), 0..300),
        max_data in 0u64..20,
        boundary in 0u64..40,
    ) {
        check_runs(&zero, max_data, boundary)?;
    }

    #[test]
    fn identify_never_panics(sector in proptest::collection::vec(any::<u8>(), 0..600), file in any::<u64>()) {
        let _ = identify(&sector, file);
    }
}

#[test]
fn check_image_in_order() {
    let img = ours(1 << 20, FileSystem::Fat12);
    let c = check_image(1 << 20, None, FileSystem::Auto, &img).unwrap();
    assert_eq!(
        (c.disk_size, c.volume, c.partition_type),
        (1 << 20, ImageVolume::Fat(FatType::Fat12), 0x01)
    );
    assert_eq!(c.volume.kind(), VolumeKind::Fat(FatType::Fat12));
    // The size rule first, then the sector, then the file system.
    let e = check_image(1 << 20, Some(2 << 20), FileSystem::Fat32, &[0u8; 512]).unwrap_err();
    assert_eq!(e.status(), crate::status::STATUS_INVALID_BUFFER_SIZE);
    let e = check_image(1 << 19, None, FileSystem::Auto, &img).unwrap_err();
    assert!(matches!(e, ImageError::Truncated { .. }));
    assert_eq!(e.status(), crate::status::STATUS_END_OF_FILE);
    let e = check_image(1 << 20, None, FileSystem::Fat32, &img).unwrap_err();
    assert_eq!(e.status(), crate::status::STATUS_WRONG_VOLUME);
    let mut mbr = [0u8; 512];
    mbr[446 + 4] = 0x0C;
    mbr[510] = 0x55;
    mbr[511] = 0xAA;
    let e = check_image(1 << 20, None, FileSystem::Auto, &mbr).unwrap_err();
    assert_eq!(e.status(), crate::status::STATUS_UNRECOGNIZED_VOLUME);
    for e in [ImageError::Empty, ImageError::NotSectorMultiple { file: 3 }] {
        assert_eq!(e.status(), crate::status::STATUS_INVALID_BUFFER_SIZE);
    }
    // An unknown first sector is served as type 0.
    let c = check_image(4096, None, FileSystem::Auto, &[0u8; 512]).unwrap();
    assert_eq!(
        (c.volume.kind(), c.partition_type),
        (VolumeKind::Unknown, 0)
    );
}

#[test]
fn only_a_missing_file_in_a_present_directory_is_new() {
    use crate::status::{
        STATUS_ACCESS_DENIED, STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_NOT_FOUND,
        STATUS_OBJECT_PATH_NOT_FOUND, STATUS_SHARING_VIOLATION, STATUS_SUCCESS,
    };
    let never = || -> i32 { panic!("not asked") };
    assert_eq!(
        absent(
            STATUS_OBJECT_NAME_NOT_FOUND,
            || STATUS_SUCCESS,
            || { STATUS_OBJECT_NAME_NOT_FOUND }
        ),
        Absent::New
    );
    assert_eq!(Absent::New.status(), None);
    for open in [
        STATUS_OBJECT_PATH_NOT_FOUND,
        STATUS_ACCESS_DENIED,
        STATUS_SHARING_VIOLATION,
        crate::status::STATUS_FILE_IS_A_DIRECTORY,
    ] {
        let a = absent(open, never, never);
        assert_eq!((a, a.status()), (Absent::Failed(open), Some(open)));
    }
    let a = absent(STATUS_OBJECT_NAME_NOT_FOUND, || STATUS_ACCESS_DENIED, never);
    assert_eq!(a, Absent::NoDirectory(STATUS_ACCESS_DENIED));
    // `<file>.new` there in any form: an interrupted save.
    for new in [
        STATUS_SUCCESS,
        STATUS_SHARING_VIOLATION,
        STATUS_ACCESS_DENIED,
    ] {
        let a = absent(STATUS_OBJECT_NAME_NOT_FOUND, || STATUS_SUCCESS, || new);
        assert_eq!(
            (a, a.status()),
            (Absent::Interrupted, Some(STATUS_OBJECT_NAME_COLLISION))
        );
    }
}

#[test]
fn a_leftover_new_is_one_that_exists() {
    use crate::status::{
        STATUS_ACCESS_DENIED, STATUS_INSUFFICIENT_RESOURCES, STATUS_OBJECT_NAME_NOT_FOUND,
        STATUS_OBJECT_PATH_NOT_FOUND, STATUS_SHARING_VIOLATION, STATUS_SUCCESS,
    };
    for there in [
        STATUS_SUCCESS,
        STATUS_SHARING_VIOLATION,
        STATUS_ACCESS_DENIED,
    ] {
        assert!(leftover_new(there), "{there:#x}");
    }
    for not in [
        STATUS_OBJECT_NAME_NOT_FOUND,
        STATUS_OBJECT_PATH_NOT_FOUND,
        STATUS_INSUFFICIENT_RESOURCES,
    ] {
        assert!(!leftover_new(not), "{not:#x}");
    }
}

#[test]
fn progress_in_tenths() {
    let mut quiet = Progress::new(PROGRESS_MIN_BYTES - 1);
    assert_eq!(quiet.advance(PROGRESS_MIN_BYTES), None);
    let total = 1000 * 1024 * 1024;
    let mut p = Progress::new(total);
    let mut seen = Vec::new();
    let mut done = 0;
    while done < total {
        done = (done + 3 * 1024 * 1024).min(total);
        if let Some(pc) = p.advance(done) {
            seen.push(pc);
        }
    }
    assert_eq!(seen, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    // A jump reports the highest step once.
    let mut p = Progress::new(total);
    assert_eq!(p.advance(total / 2 + 1), Some(50));
    assert_eq!(p.advance(total / 2 + 2), None);
    assert_eq!(p.advance(total), Some(100));
    assert_eq!(p.advance(total), None);
}

#[test]
fn zero_sectors() {
    let mut buf = vec![0u8; 1536];
    assert!((0..4).all(|s| sector_is_zero(&buf, s)));
    buf[512 + 511] = 1;
    assert!(sector_is_zero(&buf, 0));
    assert!(!sector_is_zero(&buf, 1));
    assert!(sector_is_zero(&buf, 2));
    assert!(sector_is_zero(&buf, u64::MAX));
}
