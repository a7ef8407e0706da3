//! The glue's whole decision path through the public API: registry values →
//! `Config` → FAT plan (or a blamed value) → `DiskInfo` → IOCTL replies and
//! request checks.

use ramdisk_core::config::{
    self, ConfigError, MAX_VALUE_DATA, Problem, REG_DWORD, REG_QWORD, REG_SZ, ValueName,
};
use ramdisk_core::disk::{DiskIdentity, DiskState};
use ramdisk_core::fat::{self, FatType, FileSystem, FormatError};
use ramdisk_core::geometry::DiskInfo;
use ramdisk_core::ioctl::{self, codes};
use ramdisk_core::request;
use ramdisk_core::status::{STATUS_INVALID_PARAMETER, STATUS_SUCCESS};

/// A registry stand-in: `(name, type, data)` triples, read as the glue does.
fn read_config(values: &[(ValueName, u32, Vec<u8>)]) -> Result<config::Config, ConfigError> {
    config::parse(
        |name, buffer| {
            let (_, reg_type, data) = values.iter().find(|(n, _, _)| *n == name)?;
            let n = data.len().min(buffer.len());
            buffer[..n].copy_from_slice(&data[..n]);
            Some((*reg_type, data.len()))
        },
        0x1234_ABCD,
    )
}

fn sz(text: &str) -> Vec<u8> {
    text.encode_utf16()
        .chain([0])
        .flat_map(u16::to_le_bytes)
        .collect()
}

#[test]
fn defaults_plan_and_answer() {
    let config = read_config(&[]).unwrap();
    let layout = fat::plan(&config.format).unwrap();
    let info = DiskState::new(
        DiskInfo::new(config.format.disk_size, layout.fat_type),
        DiskIdentity::parameters(),
        b'R',
    );
    assert_eq!(layout.media, 0xF8);
    assert_eq!(info.info.disk_size, 1 << 20);
    let mut buffer = [0u8; 64];
    let reply = ioctl::answer(codes::IOCTL_DISK_GET_LENGTH_INFO, &mut buffer, 0, 8, &info);
    assert_eq!((reply.status, reply.information), (STATUS_SUCCESS, 8));
    assert_eq!(buffer[..8], (1u64 << 20).to_le_bytes());
    let reply = ioctl::answer(
        codes::IOCTL_DISK_GET_PARTITION_INFO,
        &mut buffer,
        0,
        32,
        &info,
    );
    assert_eq!(reply.status, STATUS_SUCCESS);
    assert_eq!(buffer[24], 0x01, "1 MiB formats as FAT12");
    assert!(request::check(0, 512, info.info.disk_size).is_ok());
    assert_eq!(
        request::check(1 << 20, 512, info.info.disk_size),
        Err(STATUS_INVALID_PARAMETER)
    );
}

#[test]
fn every_file_system_choice_plans_and_matches_the_partition_type() {
    for (size, fs, ty) in [
        (1u64 << 20, "FAT12", 0x01),
        (16 << 20, "FAT16", 0x04),
        (64 << 20, "fat16", 0x06),
        (64 << 20, "FAT32", 0x0C),
        (256 << 20, "auto", 0x06),
    ] {
        let config = read_config(&[
            (ValueName::DiskSize, REG_QWORD, size.to_le_bytes().to_vec()),
            (ValueName::FileSystem, REG_SZ, sz(fs)),
            (ValueName::DriveLetter, REG_SZ, sz("r:")),
        ])
        .unwrap();
        assert_eq!(config.drive_letter, b'R');
        let layout = fat::plan(&config.format).unwrap_or_else(|e| panic!("{size} {fs}: {e:?}"));
        let info = DiskState::new(
            DiskInfo::new(size, layout.fat_type),
            DiskIdentity::parameters(),
            b'R',
        );
        assert_eq!(info.info.partition_type, ty, "{size} {fs}");
        let mut buffer = [0u8; 144];
        let reply = ioctl::answer(
            codes::IOCTL_DISK_GET_PARTITION_INFO_EX,
            &mut buffer,
            0,
            144,
            &info,
        );
        assert_eq!((reply.status, reply.information), (STATUS_SUCCESS, 144));
        assert_eq!(buffer[32], ty);
    }
}

#[test]
fn planner_errors_name_the_value_to_fix() {
    let config = read_config(&[
        (
            ValueName::DiskSize,
            REG_DWORD,
            (1u32 << 20).to_le_bytes().to_vec(),
        ),
        (ValueName::FileSystem, REG_SZ, sz("FAT32")),
    ])
    .unwrap();
    assert_eq!(config.format.file_system, FileSystem::Fat32);
    let error = fat::plan(&config.format).unwrap_err();
    let problem = config::explain_format_error(error, &config.format);
    assert_eq!(problem.status(), STATUS_INVALID_PARAMETER);
    let line = problem.to_string();
    match error {
        FormatError::TooSmall => {
            assert_eq!(line, "DiskSize: 1048576 bytes is too small for FAT32");
        }
        FormatError::ClusterCountOutOfRange => {
            assert_eq!(problem.value, Some(ValueName::FileSystem), "{line}");
        }
        other => panic!("unexpected planner error {other:?}: {line}"),
    }
    assert!(line.starts_with(problem.value.unwrap().name()), "{line}");
}

#[test]
fn a_bad_value_stops_parsing_with_its_name() {
    let e = read_config(&[
        (
            ValueName::DiskSize,
            REG_DWORD,
            511u32.to_le_bytes().to_vec(),
        ),
        (ValueName::DriveLetter, REG_SZ, sz("??")),
    ])
    .unwrap_err();
    assert_eq!(e.value, ValueName::DiskSize);
    assert_eq!(e.to_string(), "DiskSize: 511 is not a multiple of 512");
    assert_eq!(e.status(), STATUS_INVALID_PARAMETER);
    let e = read_config(&[(
        ValueName::VolumeLabel,
        REG_SZ,
        vec![b'A'; MAX_VALUE_DATA + 2],
    )])
    .unwrap_err();
    assert_eq!(
        e.problem,
        Problem::TooLong {
            len: MAX_VALUE_DATA + 2
        }
    );
}

#[test]
fn geometry_matches_the_planned_size() {
    for size in [64u64 << 10, 1 << 20, (5 << 20) + 512, 100 << 20] {
        let info = DiskState::new(
            DiskInfo::new(size, FatType::Fat16),
            DiskIdentity::parameters(),
            b'R',
        );
        let mut buffer = [0u8; 24];
        let reply = ioctl::answer(
            codes::IOCTL_DISK_GET_DRIVE_GEOMETRY,
            &mut buffer,
            0,
            24,
            &info,
        );
        assert_eq!(reply.status, STATUS_SUCCESS);
        let cylinders = u64::from_le_bytes(buffer[..8].try_into().unwrap());
        let heads = u64::from(u32::from_le_bytes(buffer[12..16].try_into().unwrap()));
        let spt = u64::from(u32::from_le_bytes(buffer[16..20].try_into().unwrap()));
        let bps = u64::from(u32::from_le_bytes(buffer[20..24].try_into().unwrap()));
        assert!(cylinders * heads * spt * bps <= size);
        assert!(cylinders >= 1);
    }
}
