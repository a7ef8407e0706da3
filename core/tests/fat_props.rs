//! Property tests: every accepted layout is legal (`FastFAT` oracle, spec
//! invariants), every rejected option set gets the error its first bad field
//! calls for, and formatting never panics or writes outside metadata.

use proptest::prelude::*;
use ramdisk_core::fat::{
    BootSector, FatType, FileSystem, FormatError, FormatOptions, Layout, SectorWriter, SliceWriter,
    VolumeLabel, Zeroed, encode_boot_sector, encode_fs_info, fastfat_accepts, format, plan,
    planned_cluster_range,
};

fn file_system() -> impl Strategy<Value = FileSystem> {
    prop_oneof![
        Just(FileSystem::Auto),
        Just(FileSystem::Fat12),
        Just(FileSystem::Fat16),
        Just(FileSystem::Fat32)
    ]
}

fn label() -> impl Strategy<Value = VolumeLabel> {
    proptest::collection::vec(any::<u8>(), 0..12)
        .prop_map(|bytes| VolumeLabel::parse(&bytes).unwrap_or(VolumeLabel::DEFAULT))
}

prop_compose! {
    fn options()(
        sectors in prop_oneof![0u64..100_000, 0u64..10_000_000, 0u64..(1 << 32) + 1000],
        odd_bytes in prop_oneof![19 => Just(0u64), 1 => 1u64..4096],
        bytes_per_sector in prop_oneof![12 => Just(512u32), 7 => Just(4096u32), 1 => any::<u32>()],
        file_system in file_system(),
        sectors_per_cluster in prop_oneof![
            10 => Just(0u32), 9 => (0u32..8).prop_map(|s| 1 << s), 1 => any::<u32>()
        ],
        allow_64k_clusters in any::<bool>(),
        root_dir_entries in prop_oneof![12 => Just(512u32), 7 => 1u32..65_520, 1 => any::<u32>()],
        num_fats in prop_oneof![19 => 1u8..=2, 1 => any::<u8>()],
        label in label(),
        volume_serial in any::<u32>(),
        media in prop_oneof![19 => Just(0xF8u8), 1 => any::<u8>()],
    ) -> FormatOptions {
        let sector = if matches!(bytes_per_sector, 512 | 4096) { u64::from(bytes_per_sector) } else { 512 };
        FormatOptions {
            disk_size: sectors.saturating_mul(sector).saturating_add(odd_bytes),
            bytes_per_sector,
            file_system,
            sectors_per_cluster,
            allow_64k_clusters,
            root_dir_entries,
            num_fats,
            label,
            volume_serial,
            media,
            exfat_label: ramdisk_core::exfat::Label::DEFAULT,
        }
    }
}

/// Records writes: must stay in the metadata region and the disk.
struct Bounds<'a> {
    layout: &'a Layout,
    writes: usize,
}

impl SectorWriter for Bounds<'_> {
    fn write(&mut self, byte_offset: u64, data: &[u8]) -> Result<(), FormatError> {
        let l = self.layout;
        let metadata_end = u64::from(l.first_data_sector)
            + if l.fat_type == FatType::Fat32 {
                u64::from(l.sectors_per_cluster)
            } else {
                0
            };
        let end = byte_offset + data.len() as u64;
        assert!(
            end <= metadata_end * u64::from(l.bytes_per_sector),
            "write into the data area"
        );
        assert!(end <= l.disk_size());
        self.writes += 1;
        Ok(())
    }
}

/// The error a malformed option must produce (checked in this order), if any.
fn expected_option_error(o: &FormatOptions) -> Option<FormatError> {
    let bps = o.bytes_per_sector;
    if bps != 512 && bps != 4096 {
        return Some(FormatError::InvalidBytesPerSector);
    }
    if !o.disk_size.is_multiple_of(u64::from(bps)) {
        return Some(FormatError::NotSectorMultiple);
    }
    if !matches!(o.num_fats, 1 | 2) {
        return Some(FormatError::InvalidNumFats);
    }
    if !(o.media == 0xF0 || o.media >= 0xF8) {
        return Some(FormatError::InvalidMedia);
    }
    let max_cluster = if o.allow_64k_clusters { 65536 } else { 32768 };
    let spc = o.sectors_per_cluster;
    if spc != 0
        && (!spc.is_power_of_two() || spc > 128 || u64::from(spc) * u64::from(bps) > max_cluster)
    {
        return Some(FormatError::InvalidSectorsPerCluster);
    }
    if o.file_system != FileSystem::Fat32 {
        let per = bps / 32;
        let rounded = u64::from(o.root_dir_entries.div_ceil(per)) * u64::from(per);
        if rounded == 0 || rounded > 0xFFFF {
            return Some(FormatError::InvalidRootDirEntries);
        }
    }
    None
}

fn check_layout(o: &FormatOptions, l: &Layout) {
    l.validate().unwrap();
    // Type follows from the cluster count, with margins around the boundaries.
    let (min, max) = planned_cluster_range(l.fat_type);
    assert!((min..=max).contains(&l.cluster_count));
    match o.file_system {
        FileSystem::Fat12 => assert_eq!(l.fat_type, FatType::Fat12),
        FileSystem::Fat16 => assert_eq!(l.fat_type, FatType::Fat16),
        FileSystem::Fat32 => assert_eq!(l.fat_type, FatType::Fat32),
        FileSystem::Auto => {}
        FileSystem::Exfat => unreachable!("the FAT planner refuses exFAT"),
    }
    if o.sectors_per_cluster != 0 {
        assert_eq!(l.sectors_per_cluster, o.sectors_per_cluster);
    }
    assert!(l.cluster_bytes() <= if o.allow_64k_clusters { 65536 } else { 32768 });
    // FAT big enough for every cluster.
    let entries = u64::from(l.fat_size_sectors) * u64::from(l.bytes_per_sector) * 8
        / u64::from(l.fat_entry_bits());
    assert!(entries >= u64::from(l.cluster_count) + 2);
    // Regions in order, not overlapping, inside the disk.
    assert!(l.reserved_sector_count >= 1);
    assert!(l.fat_start_sector(0) == u64::from(l.reserved_sector_count));
    assert!(
        l.root_dir_start_sector() + u64::from(l.root_dir_sectors) == u64::from(l.first_data_sector)
    );
    let end = u64::from(l.first_data_sector)
        + u64::from(l.cluster_count) * u64::from(l.sectors_per_cluster);
    assert!(end <= l.total_sectors);
    assert!(
        l.total_sectors - end < u64::from(l.sectors_per_cluster),
        "a whole cluster left unused"
    );
    assert_eq!(l.disk_size(), o.disk_size);
    assert_eq!(
        (l.media, l.label, l.volume_serial, l.num_fats),
        (o.media, o.label, o.volume_serial, o.num_fats)
    );
    // Boot sector: oracle and round trip.
    let mut sector = vec![0u8; l.bytes_per_sector as usize];
    encode_boot_sector(l, &mut sector);
    assert_eq!(fastfat_accepts(&sector), Ok(()));
    let bs = BootSector::parse(&sector).unwrap();
    assert_eq!(
        (
            bs.fat_type,
            bs.cluster_count,
            bs.first_data_sector,
            bs.fat_size_sectors
        ),
        (
            l.fat_type,
            l.cluster_count,
            l.first_data_sector,
            l.fat_size_sectors
        )
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn plans_are_legal_or_typed_errors(o in options()) {
        match plan(&o) {
            Ok(l) => {
                prop_assert_eq!(expected_option_error(&o), None);
                check_layout(&o, &l);
                let mut bounds = Bounds { layout: &l, writes: 0 };
                format(&l, &mut bounds, Zeroed::Yes).unwrap();
                prop_assert!(bounds.writes <= 7);
                if l.fat_size_sectors < 20_000 {
                    let mut bounds = Bounds { layout: &l, writes: 0 };
                    format(&l, &mut bounds, Zeroed::No).unwrap();
                }
            }
            Err(e) => {
                if let Some(expected) = expected_option_error(&o) {
                    prop_assert_eq!(e, expected);
                } else {
                    prop_assert!(matches!(
                        e,
                        FormatError::TooSmall | FormatError::TooLarge | FormatError::ClusterCountOutOfRange
                    ), "{:?}", e);
                }
            }
        }
    }

    #[test]
    fn format_into_a_bounded_vec_never_panics(o in options(), cap in 0usize..(2 << 20), zeroed in any::<bool>()) {
        if let Ok(l) = plan(&o) {
            let len = usize::try_from(l.disk_size()).unwrap_or(usize::MAX).min(cap);
            let mut image = vec![0u8; len];
            let zeroed = if zeroed { Zeroed::Yes } else { Zeroed::No };
            let result = format(&l, &mut SliceWriter(&mut image), zeroed);
            if len as u64 == l.disk_size() {
                prop_assert_eq!(result, Ok(()));
                prop_assert_eq!(fastfat_accepts(&image), Ok(()));
            } else {
                prop_assert!(matches!(result, Ok(()) | Err(FormatError::WriteFailed)));
            }
        }
    }

    #[test]
    fn hand_made_layouts_never_panic(
        o in options(),
        spc in any::<u32>(), fat in any::<u32>(), clusters in any::<u32>(), first in any::<u32>(),
        reserved in any::<u32>(), bps in prop_oneof![Just(512u32), Just(4096u32), any::<u32>()],
    ) {
        if let Ok(mut l) = plan(&o) {
            match spc % 6 {
                0 => l.sectors_per_cluster = spc,
                1 => l.fat_size_sectors = fat,
                2 => l.cluster_count = clusters,
                3 => l.first_data_sector = first,
                4 => l.reserved_sector_count = reserved,
                _ => l.bytes_per_sector = bps,
            }
            let mut image = vec![0u8; 64 * 1024];
            let result = format(&l, &mut SliceWriter(&mut image), Zeroed::No);
            if l.validate().is_err() {
                prop_assert_eq!(result, l.validate());
            }
        }
    }

    #[test]
    fn arbitrary_layouts_never_panic(
        words in proptest::array::uniform12(any::<u32>()),
        total in any::<u64>(),
        num_fats in any::<u8>(),
        media in any::<u8>(),
        kind in 0u8..3,
    ) {
        let l = Layout {
            bytes_per_sector: words[0],
            sectors_per_cluster: words[1],
            reserved_sector_count: words[2],
            num_fats,
            root_entry_count: words[3],
            total_sectors: total,
            fat_size_sectors: words[4],
            root_dir_sectors: words[5],
            first_data_sector: words[6],
            cluster_count: words[7],
            fat_type: [FatType::Fat12, FatType::Fat16, FatType::Fat32][usize::from(kind)],
            media,
            label: VolumeLabel::DEFAULT,
            volume_serial: words[8],
            root_cluster: words[9],
            fs_info_sector: words[10],
            backup_boot_sector: words[11],
        };
        let _ = (l.disk_size(), l.data_bytes(), l.cluster_bytes(), l.free_clusters());
        let _ = (l.fat_start_sector(255), l.root_dir_start_sector(), l.fat_entry_bits());
        let mut sector = [0u8; 512];
        encode_boot_sector(&l, &mut sector);
        let _ = BootSector::parse(&sector);
        let _ = fastfat_accepts(&sector);
        encode_fs_info(&l, &mut sector);
        let mut image = vec![0u8; 8192];
        let result = format(&l, &mut SliceWriter(&mut image), Zeroed::No);
        prop_assert!(result.is_ok() || result == l.validate() || result == Err(FormatError::WriteFailed));
    }

    #[test]
    fn labels_parse_or_reject(bytes in proptest::collection::vec(any::<u8>(), 0..16)) {
        match VolumeLabel::parse(&bytes) {
            Ok(label) => {
                prop_assert!(bytes.len() <= 11);
                let stored = label.as_bytes();
                if bytes.is_empty() {
                    prop_assert_eq!(label, VolumeLabel::NO_NAME);
                    return Ok(());
                }
                for (i, &b) in bytes.iter().enumerate() {
                    prop_assert_eq!(stored[i], b.to_ascii_uppercase());
                }
                prop_assert!(stored[bytes.len()..].iter().all(|&b| b == b' '));
            }
            Err(e) => prop_assert_eq!(e, FormatError::InvalidLabel),
        }
    }

    #[test]
    fn boot_sector_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = BootSector::parse(&bytes);
        let _ = fastfat_accepts(&bytes);
    }
}
