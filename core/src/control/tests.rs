use super::*;
use crate::config::SaveOn;
use crate::config::{DEFAULT_ROOT_DIR_ENTRIES, Problem};
use crate::fat::{FileSystem, VolumeLabel};
use crate::status::{
    STATUS_INVALID_BUFFER_SIZE, STATUS_NOT_SUPPORTED, STATUS_OBJECT_TYPE_MISMATCH,
};
use proptest::prelude::*;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

fn create(s: &CreateSettings<'_>) -> Result<CreateRequest, ControlError> {
    let input = encode_create(s).unwrap();
    parse_create(input.as_bytes(), 0x1234_5678)
}

/// A version-1 encoding (settings without persistence).
fn v1(s: &CreateSettings<'_>) -> Result<RamdiskCreateInput, TooLong> {
    encode_create(s).map(|c| c.v1().expect("no persistence settings: version 1"))
}

fn settings(size: u64) -> CreateSettings<'static> {
    CreateSettings {
        disk_size: size,
        ..CreateSettings::default()
    }
}

fn config_error(r: Result<CreateRequest, ControlError>) -> ConfigError {
    match r {
        Err(ControlError::Config(e)) => e,
        other => panic!("{other:?}"),
    }
}

#[test]
fn codes_and_sizes() {
    // CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900 + n, METHOD_BUFFERED, access).
    assert_eq!(IOCTL_RAMDISK_CREATE, 0x0022_A400);
    assert_eq!(IOCTL_RAMDISK_REMOVE, 0x0022_A404);
    assert_eq!(IOCTL_RAMDISK_LIST, 0x0022_2408);
    assert_eq!(IOCTL_RAMDISK_QUERY, 0x0022_240C);
    for r in [
        Request::Create,
        Request::Remove,
        Request::List,
        Request::Query,
        Request::Save,
    ] {
        let code = match r {
            Request::Create => IOCTL_RAMDISK_CREATE,
            Request::Remove => IOCTL_RAMDISK_REMOVE,
            Request::List => IOCTL_RAMDISK_LIST,
            Request::Query => IOCTL_RAMDISK_QUERY,
            Request::Save => IOCTL_RAMDISK_SAVE,
        };
        assert_eq!(Request::from_code(code), Some(r));
        assert!(!r.name().is_empty());
    }
    assert_eq!(Request::from_code(0x0007_0000), None);
    assert_eq!(Request::Create.min_output(), 200);
    assert_eq!(Request::Remove.min_output(), 0);
    assert_eq!(Request::List.min_output(), 16);
    assert_eq!(
        check_output(Request::Query, 199),
        Err(ControlError::OutputTooSmall {
            needed: 200,
            found: 199
        })
    );
    assert_eq!(check_output(Request::Query, 200), Ok(()));
    assert_eq!(
        ControlError::OutputTooSmall {
            needed: 1,
            found: 0
        }
        .status(),
        STATUS_BUFFER_TOO_SMALL
    );
}

#[test]
fn defaults_are_the_registry_defaults() {
    let r = create(&settings(8 << 20)).unwrap();
    assert_eq!(r.letter, None);
    assert_eq!(r.persist, None);
    let f = r.config.format;
    assert_eq!(f.disk_size, 8 << 20);
    assert_eq!(f.file_system, FileSystem::Auto);
    assert_eq!(f.sectors_per_cluster, 0);
    assert_eq!(f.root_dir_entries, DEFAULT_ROOT_DIR_ENTRIES);
    assert_eq!(f.label, VolumeLabel::DEFAULT);
    assert_eq!(f.volume_serial, 0x1234_5678);
    // The same as the registry with nothing but DiskSize.
    let mut b = ConfigBuilder::new();
    b.set(
        ValueName::DiskSize,
        RawValue {
            reg_type: REG_QWORD,
            data: &(8u64 << 20).to_le_bytes(),
        },
    )
    .unwrap();
    assert_eq!(r.config, b.finish(0x1234_5678));
}

#[test]
fn every_field() {
    let r = create(&CreateSettings {
        disk_size: 64 << 20,
        letter: Some('q'),
        file_system: Some("fat32"),
        sectors_per_cluster: Some(8),
        root_dir_entries: Some(1024),
        volume_label: Some("Scratch"),
        allocation: Some("Fixed"),
        memory_limit: None,
        persist_name: Some("build-1"),
        ..CreateSettings::default()
    })
    .unwrap();
    assert_eq!(r.letter, Some(b'Q'));
    assert_eq!(r.config.drive_letter, b'Q');
    let f = r.config.format;
    assert_eq!(f.file_system, FileSystem::Fat32);
    assert_eq!(f.sectors_per_cluster, 8);
    assert_eq!(f.root_dir_entries, 1024);
    assert_eq!(f.label.as_bytes(), b"SCRATCH    ");
    assert_eq!(r.persist.unwrap().to_string(), "BUILD-1");
    // An empty label is "no label", as in the registry.
    let r = create(&CreateSettings {
        volume_label: Some(""),
        ..settings(1 << 20)
    })
    .unwrap();
    assert_eq!(r.config.format.label, VolumeLabel::NO_NAME);
    // 128 sectors per cluster, set explicitly, allows 64 KiB clusters.
    let r = create(&CreateSettings {
        sectors_per_cluster: Some(128),
        ..settings(1 << 30)
    })
    .unwrap();
    assert!(r.config.format.allow_64k_clusters);
}

#[test]
fn bad_settings_are_the_registry_errors() {
    let cases: [(CreateSettings<'_>, ValueName, i32, &str); 9] = [
        (
            settings(0),
            ValueName::DiskSize,
            STATUS_INVALID_PARAMETER,
            "DiskSize: 0 bytes",
        ),
        (
            settings(511),
            ValueName::DiskSize,
            STATUS_INVALID_PARAMETER,
            "DiskSize: 511 is not a multiple of 512",
        ),
        (
            settings(1 << 63),
            ValueName::DiskSize,
            STATUS_INVALID_PARAMETER,
            "DiskSize: 9223372036854775808 is larger",
        ),
        (
            CreateSettings {
                letter: Some('1'),
                ..settings(1 << 20)
            },
            ValueName::DriveLetter,
            STATUS_INVALID_PARAMETER,
            "DriveLetter: \"1\" is not a drive letter",
        ),
        (
            CreateSettings {
                letter: Some('\u{e9}'),
                ..settings(1 << 20)
            },
            ValueName::DriveLetter,
            STATUS_INVALID_PARAMETER,
            "DriveLetter: \"?\"",
        ),
        (
            CreateSettings {
                file_system: Some("NTFS"),
                ..settings(1 << 20)
            },
            ValueName::FileSystem,
            STATUS_INVALID_PARAMETER,
            "FileSystem: \"NTFS\"",
        ),
        (
            CreateSettings {
                sectors_per_cluster: Some(3),
                ..settings(1 << 20)
            },
            ValueName::SectorsPerCluster,
            STATUS_INVALID_PARAMETER,
            "SectorsPerCluster: 3",
        ),
        (
            CreateSettings {
                root_dir_entries: Some(0),
                ..settings(1 << 20)
            },
            ValueName::RootDirEntries,
            STATUS_INVALID_PARAMETER,
            "RootDirEntries: 0",
        ),
        (
            CreateSettings {
                volume_label: Some("TWELVECHARSX"),
                ..settings(1 << 20)
            },
            ValueName::VolumeLabel,
            STATUS_INVALID_PARAMETER,
            "VolumeLabel: \"TWELVECHARSX\"",
        ),
    ];
    for (s, name, status, start) in cases {
        let r = create(&s);
        let e = config_error(r);
        assert_eq!(e.value, name, "{s:?}");
        assert_eq!(e.status(), status, "{s:?}");
        let line = ControlError::Config(e).to_string();
        assert!(line.starts_with(start), "{line}");
        assert_eq!(ControlError::Config(e).status(), status);
    }
    let e = config_error(create(&CreateSettings {
        file_system: Some(""),
        ..settings(1 << 20)
    }));
    assert_eq!(e.problem, Problem::UnknownFileSystem(e_text("")));
}

#[test]
fn what_only_exfat_takes_is_refused_for_fat_as_the_registry_refuses_it() {
    // A label only exFAT takes, and clusters above FAT's 128 sectors: refused (naming
    // the value) for FAT and automatic, never silently dropped; accepted for exFAT.
    for (label, spc, name) in [
        (Some("caf\u{e9}"), None, ValueName::VolumeLabel),
        (None, Some(256), ValueName::SectorsPerCluster),
    ] {
        for fs in [Some("FAT16"), None] {
            let e = config_error(create(&CreateSettings {
                file_system: fs,
                volume_label: label,
                sectors_per_cluster: spc,
                ..settings(64 << 20)
            }));
            assert_eq!(e.value, name, "{fs:?} {label:?} {spc:?}");
            assert_eq!(e.status(), STATUS_INVALID_PARAMETER);
        }
        let r = create(&CreateSettings {
            file_system: Some("exFAT"),
            volume_label: label,
            sectors_per_cluster: spc,
            ..settings(64 << 20)
        });
        assert!(r.is_ok(), "exFAT {label:?} {spc:?}: {r:?}");
    }
}

fn e_text(t: &str) -> crate::config::Text {
    let mut b = ConfigBuilder::new();
    let data: Vec<u8> = t.encode_utf16().flat_map(u16::to_le_bytes).collect();
    match b.set(
        ValueName::FileSystem,
        RawValue {
            reg_type: REG_SZ,
            data: &data,
        },
    ) {
        Err(ConfigError {
            problem: Problem::UnknownFileSystem(text),
            ..
        }) => text,
        other => panic!("{other:?}"),
    }
}

#[test]
fn allocation_and_memory_limit() {
    use crate::config::Allocation;
    for (text, want) in [
        ("fixed", Allocation::Fixed),
        ("FIXED", Allocation::Fixed),
        ("dynamic", Allocation::Dynamic),
        ("Dynamic", Allocation::Dynamic),
    ] {
        let r = create(&CreateSettings {
            allocation: Some(text),
            ..settings(1 << 30)
        })
        .unwrap();
        assert_eq!(r.config.allocation, want, "{text}");
    }
    assert_eq!(
        create(&settings(1 << 20)).unwrap().config.allocation,
        Allocation::Fixed
    );
    for other in ["", "thin", "fixed "] {
        let e = config_error(create(&CreateSettings {
            allocation: Some(other),
            ..settings(1 << 20)
        }));
        assert_eq!(e.value, ValueName::Allocation, "{other:?}");
        assert_eq!(e.status(), STATUS_INVALID_PARAMETER);
    }
    let r = create(&CreateSettings {
        allocation: Some("dynamic"),
        memory_limit: Some(64 << 20),
        ..settings(1 << 30)
    })
    .unwrap();
    assert_eq!(r.config.memory_limit, Some(64 << 20));
    // Below the smallest limit: the registry's error, naming MemoryLimit.
    let e = config_error(create(&CreateSettings {
        allocation: Some("dynamic"),
        memory_limit: Some(4096),
        ..settings(1 << 30)
    }));
    assert_eq!(e.value, ValueName::MemoryLimit);
    // A limit with a fixed disk parses (as in the registry); plan_memory refuses it.
    let r = create(&CreateSettings {
        memory_limit: Some(64 << 20),
        ..settings(1 << 20)
    })
    .unwrap();
    let e = crate::config::plan_memory(&r.config, Some(1 << 34)).unwrap_err();
    assert_eq!(e.value, ValueName::MemoryLimit);
}

#[test]
fn persist_names() {
    for good in ["a", "A_b-9", &"x".repeat(32)] {
        let r = create(&CreateSettings {
            persist_name: Some(good),
            ..settings(1 << 20)
        })
        .unwrap();
        assert_eq!(r.persist.unwrap().to_string(), good.to_ascii_uppercase());
    }
    for bad in ["", "a b", "a.b", "caf\u{e9}", "a\\b", "\u{1F600}"] {
        let e = create(&CreateSettings {
            persist_name: Some(bad),
            ..settings(1 << 20)
        })
        .unwrap_err();
        assert_eq!(e, ControlError::PersistName, "{bad:?}");
        assert_eq!(e.status(), STATUS_INVALID_PARAMETER);
        assert!(e.to_string().starts_with("PersistName: "));
    }
    assert_eq!(
        v1(&CreateSettings {
            persist_name: Some(&"x".repeat(33)),
            ..settings(1 << 20)
        }),
        Err(TooLong(Field::PersistName))
    );
    assert_eq!(
        v1(&CreateSettings {
            file_system: Some(&"x".repeat(16)),
            ..settings(1 << 20)
        }),
        Err(TooLong(Field::FileSystem))
    );
    assert!(
        v1(&CreateSettings {
            file_system: Some(&"x".repeat(15)),
            ..settings(1 << 20)
        })
        .is_ok()
    );
    assert!(
        TooLong(Field::VolumeLabel)
            .to_string()
            .contains("VolumeLabel")
    );
}

fn raw(s: &CreateSettings<'_>) -> Vec<u8> {
    encode_create(s).unwrap().as_bytes().to_vec()
}

#[test]
fn length_and_version() {
    let good = raw(&settings(1 << 20));
    assert_eq!(good.len(), 208);
    for len in [0, 1, 7, 8, 100, 207] {
        let e = parse_create(&good[..len], 0).unwrap_err();
        assert_eq!(e.status(), STATUS_INFO_LENGTH_MISMATCH, "{len}");
        assert!(e.to_string().contains("208"), "{e}");
    }
    let mut long = good.clone();
    long.push(0);
    assert_eq!(
        parse_create(&long, 0),
        Err(ControlError::Length {
            expected: 208,
            found: 209
        })
    );
    for version in [0u32, 3, u32::MAX] {
        let mut v = good.clone();
        v[..4].copy_from_slice(&version.to_le_bytes());
        let e = parse_create(&v, 0).unwrap_err();
        assert_eq!(e, ControlError::Version { found: version });
        assert_eq!(e.status(), STATUS_REVISION_MISMATCH);
    }
    // A Size field that is not the structure's, even with the right buffer length.
    for size in [0u32, 207, 209, 400] {
        let mut v = good.clone();
        v[4..8].copy_from_slice(&size.to_le_bytes());
        assert_eq!(
            parse_create(&v, 0),
            Err(ControlError::Length {
                expected: 208,
                found: size as usize
            })
        );
    }
    // Version is checked before the length of the rest.
    let mut v3 = good[..8].to_vec();
    v3[..4].copy_from_slice(&3u32.to_le_bytes());
    assert_eq!(
        parse_create(&v3, 0),
        Err(ControlError::Version { found: 3 })
    );
}

#[test]
fn reserved_absent_and_unknown_bits() {
    let good = v1(&settings(1 << 20)).unwrap();
    let mut c = good;
    c.fields = U32::new(0x80);
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::Fields))
    );
    let mut c = good;
    c.reserved = U32::new(1);
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::Reserved))
    );
    let mut c = good;
    c.reserved2[1] = U16::new(1);
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::Reserved))
    );
    // A value in a field whose bit is clear.
    let mut c = good;
    c.sectors_per_cluster = U32::new(8);
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::SectorsPerCluster))
    );
    let mut c = good;
    c.root_dir_entries = U32::new(8);
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::RootDirEntries))
    );
    let mut c = good;
    c.memory_limit = U64::new(8);
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::MemoryLimit))
    );
    for (field, f) in [
        (
            Field::FileSystem,
            (|c: &mut RamdiskCreateInput| c.file_system[3] = U16::new(65))
                as fn(&mut RamdiskCreateInput),
        ),
        (Field::VolumeLabel, |c| c.volume_label[0] = U16::new(65)),
        (Field::Allocation, |c| c.allocation[15] = U16::new(65)),
        (Field::PersistName, |c| c.persist_name[32] = U16::new(65)),
    ] {
        let mut c = good;
        f(&mut c);
        assert_eq!(
            parse_create(c.as_bytes(), 0),
            Err(ControlError::Malformed(field))
        );
    }
    // Text without its NUL, or with something after it.
    let mut c = v1(&CreateSettings {
        file_system: Some("FAT16"),
        ..settings(1 << 20)
    })
    .unwrap();
    c.file_system = [U16::new(65); SHORT_TEXT_UNITS];
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::FileSystem))
    );
    let mut c = v1(&CreateSettings {
        persist_name: Some("a"),
        ..settings(1 << 20)
    })
    .unwrap();
    c.persist_name[5] = U16::new(66);
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::PersistName))
    );
    let mut c = v1(&CreateSettings {
        allocation: Some("fixed"),
        ..settings(1 << 20)
    })
    .unwrap();
    c.allocation = [U16::new(65); SHORT_TEXT_UNITS];
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::Allocation))
    );
    for e in [
        Field::Fields,
        Field::Reserved,
        Field::By,
        Field::Value,
        Field::Flags,
    ] {
        assert_eq!(
            ControlError::Malformed(e).status(),
            STATUS_INVALID_PARAMETER
        );
        assert!(ControlError::Malformed(e).to_string().starts_with(e.name()));
    }
}

#[test]
fn drive_letter_field() {
    for (unit, want) in [
        (u16::from(b'r'), b'R'),
        (u16::from(b'A'), b'A'),
        (u16::from(b'Z'), b'Z'),
    ] {
        let mut c = v1(&settings(1 << 20)).unwrap();
        c.drive_letter = U16::new(unit);
        let r = parse_create(c.as_bytes(), 0).unwrap();
        assert_eq!(r.letter, Some(want));
        assert_eq!(r.config.drive_letter, want);
    }
    for unit in [
        u16::from(b':'),
        u16::from(b'@'),
        0x100 + u16::from(b'R'),
        0xFFFF,
    ] {
        let mut c = v1(&settings(1 << 20)).unwrap();
        c.drive_letter = U16::new(unit);
        let e = config_error(parse_create(c.as_bytes(), 0));
        assert_eq!(e.value, ValueName::DriveLetter, "{unit:#x}");
    }
}

#[test]
fn select_inputs() {
    let by_index = encode_select(Select::Index(7), false);
    assert_eq!(by_index.as_bytes().len(), 24);
    assert_eq!(parse_query(by_index.as_bytes()), Ok(Select::Index(7)));
    assert_eq!(
        parse_remove(by_index.as_bytes()),
        Ok(RemoveRequest {
            select: Select::Index(7),
            force: false
        })
    );
    let forced = encode_select(Select::Letter(b'R'), true);
    assert_eq!(
        parse_remove(forced.as_bytes()),
        Ok(RemoveRequest {
            select: Select::Letter(b'R'),
            force: true
        })
    );
    assert_eq!(
        parse_query(forced.as_bytes()),
        Err(ControlError::Malformed(Field::Flags))
    );
    let mut lower = encode_select(Select::Letter(b'q'), false);
    assert_eq!(parse_query(lower.as_bytes()), Ok(Select::Letter(b'Q')));
    for bad in [0u32, u32::from(b'1'), 0x100 + u32::from(b'R'), u32::MAX] {
        lower.value = U32::new(bad);
        assert_eq!(
            parse_query(lower.as_bytes()),
            Err(ControlError::Malformed(Field::Value))
        );
    }
    let mut by = by_index;
    for b in [0u32, 3, u32::MAX] {
        by.by = U32::new(b);
        assert_eq!(
            parse_remove(by.as_bytes()),
            Err(ControlError::Malformed(Field::By))
        );
    }
    let mut flags = by_index;
    flags.flags = U32::new(2);
    assert_eq!(
        parse_remove(flags.as_bytes()),
        Err(ControlError::Malformed(Field::Flags))
    );
    let mut reserved = by_index;
    reserved.reserved = U32::new(1);
    assert_eq!(
        parse_remove(reserved.as_bytes()),
        Err(ControlError::Malformed(Field::Reserved))
    );
    let bytes = by_index.as_bytes();
    for len in [0, 4, 8, 23] {
        assert_eq!(
            parse_remove(&bytes[..len]).unwrap_err().status(),
            STATUS_INFO_LENGTH_MISMATCH
        );
    }
    let mut long = bytes.to_vec();
    long.extend([0; 4]);
    assert_eq!(
        parse_query(&long).unwrap_err().status(),
        STATUS_INFO_LENGTH_MISMATCH
    );
    let mut v = by_index;
    v.version = U32::new(2);
    assert_eq!(
        parse_query(v.as_bytes()).unwrap_err().status(),
        STATUS_REVISION_MISMATCH
    );
    assert_eq!(Select::Index(3).to_string(), "ramdisk 3");
    assert_eq!(Select::Letter(b'R').to_string(), "R:");
}

fn report<'a>(identity: &'a DiskIdentity, persist: Option<&'a DiskName>) -> DiskReport<'a> {
    DiskReport {
        identity,
        letter: b'R',
        disk_size: 64 << 20,
        allocated_bytes: 64 << 20,
        memory_limit: 0,
        open_handles: 2,
        allocation: 0,
        mounted: true,
        boot: false,
        file_system: "FAT16",
        persist,
    }
}

fn units(text: &str, n: usize) -> Vec<U16> {
    let mut v: Vec<U16> = text.encode_utf16().map(U16::new).collect();
    v.resize(n, U16::new(0));
    v
}

#[test]
fn disk_info_encoding() {
    let name = DiskName::parse(b"scratch").unwrap();
    let id = DiskIdentity::registry(4_294_967_295, name).unwrap();
    let i = encode_info(&report(&id, Some(&name)));
    assert_eq!(i.version.get(), 1);
    assert_eq!(i.size.get(), 200);
    assert_eq!(i.index.get(), u32::MAX);
    assert_eq!(i.drive_letter.get(), u16::from(b'R'));
    assert_eq!(i.flags.get(), RAMDISK_INFO_MOUNTED);
    assert_eq!(i.disk_size.get(), 64 << 20);
    assert_eq!(i.open_handles.get(), 2);
    assert_eq!(&i.file_system[..], &units("FAT16", FS_NAME_UNITS)[..]);
    assert_eq!(
        &i.device_name[..],
        &units(r"\Device\Ramdisk4294967295", DEVICE_NAME_UNITS)[..]
    );
    assert_eq!(
        &i.persist_name[..],
        &units("SCRATCH", PERSIST_NAME_UNITS)[..]
    );
    assert_eq!(i.reserved, [U16::new(0); 3]);
    let mut out = [0xAAu8; 300];
    assert_eq!(
        info_reply(&i, &mut out),
        Reply {
            status: STATUS_SUCCESS,
            information: 200
        }
    );
    assert_eq!(read_info(&out[..200]), Ok(i));
    assert_eq!(out[200], 0xAA);
    assert_eq!(
        info_reply(&i, &mut out[..199]).status,
        STATUS_BUFFER_TOO_SMALL
    );
    assert_eq!(read_info(&out[..199]), Err(ListError::Malformed));
    let mut v = i;
    v.version = U32::new(9);
    assert_eq!(read_info(v.as_bytes()), Err(ListError::Version(9)));
    let mut s = i;
    s.size = U32::new(10);
    assert_eq!(read_info(s.as_bytes()), Err(ListError::Malformed));
    // A 32-character persist name fills its field but for the NUL.
    let long = DiskName::parse(&[b'x'; 32]).unwrap();
    let id = DiskIdentity::registry(1, long).unwrap();
    let i = encode_info(&DiskReport {
        boot: true,
        mounted: false,
        ..report(&id, Some(&long))
    });
    assert_eq!(i.persist_name[31].get(), u16::from(b'X'));
    assert_eq!(i.persist_name[32].get(), 0);
    assert_eq!(i.flags.get(), RAMDISK_INFO_BOOT);
}

#[test]
fn list_replies() {
    let ids: Vec<DiskIdentity> = (1..=3)
        .map(|n| DiskIdentity::runtime(n, b'A' + u8::try_from(n).unwrap()).unwrap())
        .collect();
    let entries: Vec<RamdiskDiskInfo> = ids
        .iter()
        .map(|id| encode_info(&report(id, None)))
        .collect();
    let total = 16 + 3 * 200;
    let mut out = std::vec![0u8; total];
    assert_eq!(
        list_reply(entries.iter().copied(), &mut out),
        Reply {
            status: STATUS_SUCCESS,
            information: total
        }
    );
    let read = read_list(&out).unwrap();
    assert_eq!(read, &entries[..]);
    // Too small for every entry: the header alone, saying how much is needed.
    let mut small = [0u8; 215];
    assert_eq!(
        list_reply(entries.iter().copied(), &mut small),
        Reply {
            status: STATUS_BUFFER_OVERFLOW,
            information: 16
        }
    );
    let (h, _) = RamdiskListHeader::read_from_prefix(&small).unwrap();
    assert_eq!(
        (h.size.get() as usize, h.count.get(), h.entry_size.get()),
        (total, 3, 200)
    );
    assert_eq!(
        list_reply(entries.iter().copied(), &mut small[..15]),
        Reply {
            status: STATUS_BUFFER_TOO_SMALL,
            information: 0
        }
    );
    // No disks: the header only, success.
    let mut empty = [0u8; 16];
    assert_eq!(
        list_reply(core::iter::empty(), &mut empty),
        Reply {
            status: STATUS_SUCCESS,
            information: 16
        }
    );
    assert_eq!(read_list(&empty), Ok(&[][..]));
    // Malformed replies.
    assert_eq!(read_list(&out[..total - 1]), Err(ListError::Malformed));
    assert_eq!(read_list(&out[..10]), Err(ListError::Malformed));
    let mut bad = out.clone();
    bad[12] = 199;
    assert_eq!(read_list(&bad), Err(ListError::Malformed));
    let mut bad = out.clone();
    bad[0] = 2;
    assert_eq!(read_list(&bad), Err(ListError::Version(2)));
    assert!(!ListError::Malformed.to_string().is_empty());
}

#[test]
fn letters() {
    let mut taken = LetterSet::EMPTY;
    assert_eq!(pick_letter(taken), Some(b'Z'));
    taken.insert(b'Z');
    taken.insert(b'Y');
    assert_eq!(pick_letter(taken), Some(b'X'));
    for l in b'D'..=b'Z' {
        taken.insert(l);
    }
    assert_eq!(pick_letter(taken), None, "A, B and C are never picked");
    let mut only_d = LetterSet::EMPTY;
    for l in b'E'..=b'Z' {
        only_d.insert(l);
    }
    assert_eq!(pick_letter(only_d), Some(b'D'));
}

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

#[test]
fn mounted_devices_entries() {
    let r = utf16(r"\DosDevices\R:");
    // Another volume's (an MBR disk's 12-byte signature + offset).
    assert_eq!(remembered_letter(&r, &[1; 12], None), Some(b'R'));
    // A runtime disk of ours on R: has the unique ID that names R: — it may take R: again.
    assert_eq!(remembered_letter(&r, b"ramdisk:letter:R", None), None);
    assert_eq!(remembered_letter(&r, b"ramdisk:letter:S", None), Some(b'R'));
    // A persisted disk's own entry is its own; another's is not.
    let name = DiskName::parse(b"build").unwrap();
    assert_eq!(
        remembered_letter(&r, b"ramdisk:Disks\\BUILD", Some(&name)),
        None
    );
    assert_eq!(
        remembered_letter(&r, b"ramdisk:Disks\\BUILD", None),
        Some(b'R')
    );
    assert_eq!(
        remembered_letter(&r, b"ramdisk:letter:R", Some(&name)),
        Some(b'R')
    );
    assert_eq!(
        remembered_letter(&utf16(r"\dosdevices\q:"), &[], None),
        Some(b'Q')
    );
    for other in [
        r"\??\Volume{0123}",
        r"\DosDevices\R",
        r"\DosDevices\1:",
        r"\DosDevices\RR:",
        "",
        r"\DosDevice\R:",
        r"#{abc}",
    ] {
        assert_eq!(
            remembered_letter(&utf16(other), &[1], None),
            None,
            "{other}"
        );
    }
}

proptest! {
    /// Any bytes: never a panic; accepted input re-encodes to itself.
    #[test]
    fn any_create_input(bytes in proptest::collection::vec(any::<u8>(), 0..260)) {
        if let Ok(r) = parse_create(&bytes, 0) {
            prop_assert_eq!(bytes.len(), 208);
            prop_assert!(r.config.drive_letter.is_ascii_uppercase());
        }
        let _ = parse_remove(&bytes);
        let _ = parse_query(&bytes);
        let _ = read_list(&bytes);
        let _ = read_info(&bytes);
    }

    /// A random mutation of a valid version-2 input: accepted with the persistence
    /// rules holding, or refused with one of the documented statuses.
    #[test]
    fn mutated_version_2_inputs(at in 0usize..2296, byte in any::<u8>(), read_only in 0u32..3) {
        let mut bytes = raw(&CreateSettings {
            letter: Some('R'),
            save_on: Some("never"),
            read_only: Some(read_only),
            ..imaged(1 << 20)
        });
        bytes[at] = byte;
        match parse_create(&bytes, 0) {
            Ok(r) => {
                let p = r.config.persist;
                prop_assert_eq!(create_image_file(&bytes).is_some(), p.image);
                prop_assert!(!p.read_only || (p.image && p.save_on == SaveOn::Never));
                prop_assert!(p.save_on == SaveOn::Never || p.image);
                prop_assert!(r.image_letter.is_none() || r.image_letter != r.letter);
            }
            Err(e) => {
                prop_assert!([
                    STATUS_INVALID_PARAMETER,
                    STATUS_INFO_LENGTH_MISMATCH,
                    STATUS_REVISION_MISMATCH,
                    STATUS_INVALID_BUFFER_SIZE,
                    STATUS_OBJECT_TYPE_MISMATCH,
                ].contains(&e.status()), "{:?}", e);
            }
        }
    }

    /// Structured inputs: a random mutation of a valid input is accepted or refused
    /// with one of the documented statuses.
    #[test]
    fn mutated_create_inputs(at in 0usize..208, byte in any::<u8>(), size in prop_oneof![Just(1u64 << 20), 512u64..(1 << 40)]) {
        let mut bytes = raw(&CreateSettings {
            file_system: Some("FAT16"),
            volume_label: Some("X"),
            persist_name: Some("n"),
            ..settings(size)
        });
        bytes[at] = byte;
        match parse_create(&bytes, 0) {
            Ok(_) => {}
            Err(e) => {
                prop_assert!([
                    STATUS_INVALID_PARAMETER,
                    STATUS_INFO_LENGTH_MISMATCH,
                    STATUS_REVISION_MISMATCH,
                    STATUS_NOT_SUPPORTED,
                    STATUS_INVALID_BUFFER_SIZE,
                    STATUS_OBJECT_TYPE_MISMATCH,
                ].contains(&e.status()), "{:?}", e);
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}

/// Settings with an image on `X:` (a version-2 input).
fn imaged(size: u64) -> CreateSettings<'static> {
    CreateSettings {
        image_file: Some(r"X:\images\disk.img"),
        ..settings(size)
    }
}

fn v2(s: &CreateSettings<'_>) -> RamdiskCreateInputV2 {
    encode_create(s)
        .unwrap()
        .v2()
        .expect("persistence settings: version 2")
}

#[test]
fn version_2_layout() {
    let c = v2(&CreateSettings {
        letter: Some('R'),
        file_system: Some("keep"),
        save_on: Some("stop"),
        ..imaged(1 << 20)
    });
    let bytes = c.as_bytes();
    assert_eq!(bytes.len(), 2296);
    assert_eq!(&bytes[..8], &[2, 0, 0, 0, 0xF8, 0x08, 0, 0]);
    // Fields: FileSystem, ImageFile, SaveOn.
    assert_eq!(&bytes[8..12], &0x181u32.to_le_bytes());
    assert_eq!(&bytes[16..24], &(1u64 << 20).to_le_bytes());
    assert_eq!(&bytes[40..42], &u16::from(b'R').to_le_bytes());
    // The version-1 fields at their offsets; then ReadOnly (absent: 0), SaveOn, ImageFile.
    assert_eq!(&bytes[42..50], b"k\0e\0e\0p\0");
    assert_eq!(&bytes[208..212], &[0; 4]);
    assert_eq!(&bytes[212..220], b"s\0t\0o\0p\0");
    assert_eq!(&bytes[220..244], &[0; 24]);
    assert_eq!(&bytes[244..250], b"X\0:\0\\\0");
    assert_eq!(IMAGE_FILE_UNITS, 1025);
    assert!(bytes[244 + 2 * 18..].iter().all(|&b| b == 0));
    // Without a persistence setting the input stays version 1, byte for byte.
    let plain = encode_create(&settings(1 << 20)).unwrap();
    assert_eq!(plain.as_bytes().len(), 208);
    assert_eq!(plain.v2(), None);
    assert_eq!(create_image_file(plain.as_bytes()), None);
}

#[test]
fn version_2_settings() {
    let input = encode_create(&CreateSettings {
        letter: Some('r'),
        file_system: Some("KEEP"),
        save_on: Some("Shutdown"),
        ..imaged(8 << 20)
    })
    .unwrap();
    let r = parse_create(input.as_bytes(), 7).unwrap();
    assert_eq!(r.letter, Some(b'R'));
    assert_eq!(r.image_letter, Some(b'X'));
    let p = r.config.persist;
    assert!(p.image && p.disk_size_given && !p.read_only);
    assert_eq!(p.save_on, SaveOn::Shutdown);
    assert_eq!(r.config.format.file_system, FileSystem::Auto);
    let units: Vec<u16> = create_image_file(input.as_bytes())
        .unwrap()
        .iter()
        .map(|u| u.get())
        .collect();
    assert_eq!(String::from_utf16(&units).unwrap(), r"X:\images\disk.img");
    // ReadOnly with SaveOn absent (never).
    let r = create(&CreateSettings {
        read_only: Some(1),
        ..imaged(1 << 20)
    })
    .unwrap();
    assert!(r.config.persist.read_only);
    assert_eq!(r.config.persist.save_on, SaveOn::Never);
    // ReadOnly=0 and SaveOn=never given explicitly: as absent.
    let r = create(&CreateSettings {
        read_only: Some(0),
        save_on: Some("never"),
        ..imaged(1 << 20)
    })
    .unwrap();
    assert_eq!(
        r.config.persist,
        create(&imaged(1 << 20)).unwrap().config.persist
    );
    // An NT path; no letter given, an image on Z: (the default letter) is the
    // driver's to avoid, not refused here.
    let r = create(&CreateSettings {
        image_file: Some(r"\Device\HarddiskVolume2\d.img"),
        ..settings(1 << 20)
    })
    .unwrap();
    assert_eq!(r.image_letter, None);
    let r = create(&CreateSettings {
        image_file: Some(r"Z:\d.img"),
        ..settings(1 << 20)
    })
    .unwrap();
    assert_eq!((r.letter, r.image_letter), (None, Some(b'Z')));
    // 1024 characters fit.
    let long = format!(r"X:\{}", "a".repeat(1021));
    assert!(
        create(&CreateSettings {
            image_file: Some(&long),
            ..settings(1 << 20)
        })
        .is_ok()
    );
}

#[test]
fn version_2_bad_values() {
    use crate::config::PathProblem;
    let e = config_error(create(&CreateSettings {
        save_on: Some("sometimes"),
        ..imaged(1 << 20)
    }));
    assert_eq!(e.value, ValueName::SaveOn);
    assert!(matches!(e.problem, Problem::UnknownSaveOn(_)), "{e:?}");
    assert!(e.to_string().contains("sometimes"), "{e}");
    let cases: [(CreateSettings<'_>, ValueName, Problem); 8] = [
        (
            CreateSettings {
                read_only: Some(2),
                ..imaged(1 << 20)
            },
            ValueName::ReadOnly,
            Problem::NotABoolean { value: 2 },
        ),
        (
            CreateSettings {
                image_file: Some(r"images\disk.img"),
                ..settings(1 << 20)
            },
            ValueName::ImageFile,
            Problem::BadImagePath(PathProblem::NotAbsolute),
        ),
        (
            CreateSettings {
                image_file: Some(""),
                ..settings(1 << 20)
            },
            ValueName::ImageFile,
            Problem::BadImagePath(PathProblem::Empty),
        ),
        (
            CreateSettings {
                image_file: Some(r"\Device\Ramdisk3\d.img"),
                ..settings(1 << 20)
            },
            ValueName::ImageFile,
            Problem::BadImagePath(PathProblem::OnRamdisk),
        ),
        (
            CreateSettings {
                letter: Some('x'),
                ..imaged(1 << 20)
            },
            ValueName::ImageFile,
            Problem::BadImagePath(PathProblem::OnRamdisk),
        ),
        (
            CreateSettings {
                read_only: Some(1),
                ..settings(1 << 20)
            },
            ValueName::ReadOnly,
            Problem::NeedsImageFile,
        ),
        (
            CreateSettings {
                save_on: Some("stop"),
                ..settings(1 << 20)
            },
            ValueName::SaveOn,
            Problem::NeedsImageFile,
        ),
        (
            CreateSettings {
                read_only: Some(1),
                save_on: Some("stop"),
                ..imaged(1 << 20)
            },
            ValueName::SaveOn,
            Problem::SaveOnReadOnly,
        ),
    ];
    for (s, value, problem) in cases {
        let e = config_error(create(&s));
        assert_eq!((e.value, e.problem), (value, problem), "{s:?}");
        assert_eq!(e.status(), STATUS_INVALID_PARAMETER, "{s:?}");
    }
    // `keep` without an image, in either version (the combination is checked as the
    // registry's is).
    let e = config_error(create(&CreateSettings {
        file_system: Some("keep"),
        ..settings(1 << 20)
    }));
    assert_eq!(
        (e.value, e.problem),
        (ValueName::FileSystem, Problem::NeedsImageFile)
    );
}

#[test]
fn version_2_text_too_long() {
    // Too long for the field: 1025 characters.
    let long = format!(r"X:\{}", "a".repeat(1022));
    assert_eq!(
        encode_create(&CreateSettings {
            image_file: Some(&long),
            ..settings(1 << 20)
        }),
        Err(TooLong(Field::ImageFile))
    );
    assert_eq!(
        encode_create(&CreateSettings {
            save_on: Some("s".repeat(16).as_str()),
            ..imaged(1 << 20)
        }),
        Err(TooLong(Field::SaveOn))
    );
}

#[test]
fn version_2_malformed() {
    let good = v2(&imaged(1 << 20));
    assert!(parse_create(good.as_bytes(), 0).is_ok());
    let mut c = good;
    c.base.fields = U32::new(good.base.fields.get() | 0x400);
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::Fields))
    );
    let mut c = good;
    c.reserved3 = U16::new(1);
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::Reserved))
    );
    // Values whose bit is clear.
    let mut c = good;
    c.read_only = U32::new(1);
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::ReadOnly))
    );
    let mut c = good;
    c.save_on[0] = U16::new(u16::from(b's'));
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::SaveOn))
    );
    let mut c = v2(&CreateSettings {
        read_only: Some(0),
        ..settings(1 << 20)
    });
    c.image_file[1024] = U16::new(u16::from(b'a'));
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::ImageFile))
    );
    // Text without its NUL, or with something after it.
    let mut c = good;
    c.image_file = [U16::new(u16::from(b'a')); IMAGE_FILE_UNITS];
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::ImageFile))
    );
    assert_eq!(create_image_file(c.as_bytes()), None);
    let mut c = good;
    c.image_file[30] = U16::new(u16::from(b'a'));
    assert_eq!(
        parse_create(c.as_bytes(), 0),
        Err(ControlError::Malformed(Field::ImageFile))
    );
    // Version 2's bits in a version-1 input.
    let mut c = v1(&settings(1 << 20)).unwrap();
    for bit in [
        RAMDISK_FIELD_IMAGE_FILE,
        RAMDISK_FIELD_SAVE_ON,
        RAMDISK_FIELD_READ_ONLY,
    ] {
        c.fields = U32::new(bit);
        assert_eq!(
            parse_create(c.as_bytes(), 0),
            Err(ControlError::Malformed(Field::Fields))
        );
    }
    for f in [Field::ImageFile, Field::SaveOn, Field::ReadOnly] {
        assert!(ControlError::Malformed(f).to_string().starts_with(f.name()));
    }
}

#[test]
fn version_2_length() {
    let good = v2(&imaged(1 << 20)).as_bytes().to_vec();
    for len in [8, 208, 2295] {
        assert_eq!(
            parse_create(&good[..len], 0),
            Err(ControlError::Length {
                expected: 2296,
                found: len
            })
        );
    }
    let mut long = good.clone();
    long.push(0);
    assert_eq!(
        parse_create(&long, 0),
        Err(ControlError::Length {
            expected: 2296,
            found: 2297
        })
    );
    // Version 2 with version 1's Size, and version 1 with version 2's.
    let mut v = good.clone();
    v[4..8].copy_from_slice(&208u32.to_le_bytes());
    assert_eq!(
        parse_create(&v, 0),
        Err(ControlError::Length {
            expected: 2296,
            found: 208
        })
    );
    let mut v = good;
    v[..4].copy_from_slice(&1u32.to_le_bytes());
    let e = parse_create(&v, 0).unwrap_err();
    assert_eq!(
        e,
        ControlError::Length {
            expected: 208,
            found: 2296
        }
    );
    assert!(e.to_string().contains("208"), "{e}");
    // REMOVE and QUERY stay at version 1.
    let mut s = encode_select(Select::Index(1), false);
    s.version = U32::new(2);
    assert_eq!(
        parse_query(s.as_bytes()),
        Err(ControlError::Version { found: 2 })
    );
}
