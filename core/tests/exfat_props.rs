//! Property tests of the exFAT planner and formatter: every accepted layout keeps the
//! planner's promises (the same checks the `exfat` fuzz target makes), every rejected
//! option set gets the error its first bad field calls for (and a too-small or
//! too-large verdict is true of every cluster size), formatting into a bounded image
//! never panics, and hand-broken layouts are refused before anything is written.

mod fuzz_bodies;

use proptest::prelude::*;
use ramdisk_core::exfat::{self, Label, MAX_CLUSTER_BYTES, MIN_VOLUME_BYTES};
use ramdisk_core::fat::{
    FileSystem, FormatError, FormatOptions, SectorWriter, SliceWriter, Zeroed,
};

fn label() -> impl Strategy<Value = Label> {
    prop_oneof![
        proptest::collection::vec(any::<u16>(), 0..13),
        proptest::collection::vec(0x20u16..0x7F, 0..12),
    ]
    .prop_map(|units| Label::parse(&units).unwrap_or(Label::NONE))
}

prop_compose! {
    fn options()(
        sectors in prop_oneof![
            4 => 0u64..20_000,
            4 => 2048u64..2_000_000,
            3 => 0u64..(1 << 40),
            1 => any::<u64>().prop_map(|s| s / 512),
        ],
        odd_bytes in prop_oneof![19 => Just(0u64), 1 => 1u64..4096],
        bytes_per_sector in prop_oneof![
            12 => Just(512u32), 5 => Just(4096u32), 2 => Just(1024u32), 2 => Just(2048u32),
            1 => any::<u32>()
        ],
        sectors_per_cluster in prop_oneof![
            8 => Just(0u32), 10 => (0u32..17).prop_map(|s| 1 << s), 1 => any::<u32>()
        ],
        label in label(),
        volume_serial in any::<u32>(),
    ) -> FormatOptions {
        let sector = if bytes_per_sector.is_power_of_two() && (512..=4096).contains(&bytes_per_sector) {
            u64::from(bytes_per_sector)
        } else {
            512
        };
        let mut o = FormatOptions::new(sectors.saturating_mul(sector).saturating_add(odd_bytes));
        o.file_system = FileSystem::Exfat;
        o.bytes_per_sector = bytes_per_sector;
        o.sectors_per_cluster = sectors_per_cluster;
        o.exfat_label = label;
        o.volume_serial = volume_serial;
        o
    }
}

/// The error the first malformed field calls for, if any.
fn malformed(o: &FormatOptions) -> Option<FormatError> {
    let bps = o.bytes_per_sector;
    if !matches!(bps, 512 | 1024 | 2048 | 4096) {
        return Some(FormatError::InvalidBytesPerSector);
    }
    if !o.disk_size.is_multiple_of(u64::from(bps)) {
        return Some(FormatError::NotSectorMultiple);
    }
    let spc = o.sectors_per_cluster;
    if spc != 0 && (!spc.is_power_of_two() || u64::from(spc) * u64::from(bps) > MAX_CLUSTER_BYTES) {
        return Some(FormatError::InvalidSectorsPerCluster);
    }
    if o.disk_size < MIN_VOLUME_BYTES {
        return Some(FormatError::TooSmall);
    }
    None
}

/// Whether `spc` gives a legal layout of `o`'s disk (an explicit cluster size).
fn fits(o: &FormatOptions, spc: u32) -> bool {
    let mut explicit = *o;
    explicit.sectors_per_cluster = spc;
    exfat::plan(&explicit).is_ok()
}

/// Counts writes and refuses any past `limit` bytes.
struct Bounded {
    limit: u64,
    writes: usize,
}

impl SectorWriter for Bounded {
    fn write(&mut self, byte_offset: u64, data: &[u8]) -> Result<(), FormatError> {
        if byte_offset + data.len() as u64 > self.limit {
            return Err(FormatError::WriteFailed);
        }
        self.writes += 1;
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn plans_keep_their_promises_or_say_why_not(o in options()) {
        match exfat::plan(&o) {
            Ok(layout) => {
                prop_assert_eq!(malformed(&o), None);
                fuzz_bodies::check_exfat_layout(&o, &layout);
            }
            Err(error) => match malformed(&o) {
                Some(first) => prop_assert_eq!(error, first),
                None if o.sectors_per_cluster != 0 => {
                    prop_assert_eq!(error, FormatError::ClusterCountOutOfRange);
                }
                None => {
                    // Automatic: no cluster size from the default one up would do.
                    let bps = o.bytes_per_sector;
                    let start = exfat::default_cluster_bytes(o.disk_size).max(u64::from(bps));
                    let sizes = (0..16)
                        .map(|k| start << k)
                        .take_while(|&c| c <= MAX_CLUSTER_BYTES);
                    for cluster in sizes {
                        let spc = u32::try_from(cluster / u64::from(bps)).unwrap();
                        prop_assert!(!fits(&o, spc), "{:?}: {} would fit", error, cluster);
                    }
                    prop_assert!(matches!(error, FormatError::TooSmall | FormatError::TooLarge));
                }
            },
        }
    }

    #[test]
    fn formatting_never_panics_and_stays_in_the_image(
        o in options(),
        cut in 0u64..(64 << 10),
        zeroed in any::<bool>(),
    ) {
        let Ok(layout) = exfat::plan(&o) else { return Ok(()) };
        let zeroed = if zeroed { Zeroed::Yes } else { Zeroed::No };
        // The last byte written: the root directory's first piece, or (clearing) its
        // whole cluster.
        let root = layout.cluster_offset(layout.root_cluster());
        let end = if zeroed == Zeroed::Yes { root + 512 } else { root + layout.cluster_bytes() };
        let limit = end.saturating_sub(cut);
        let mut w = Bounded { limit, writes: 0 };
        let result = exfat::format(&layout, &mut w, zeroed);
        if cut == 0 {
            prop_assert_eq!(result, Ok(()));
        } else {
            prop_assert_eq!(result, Err(FormatError::WriteFailed));
        }
        if layout.disk_size() <= 2 << 20 {
            let mut image = vec![0xA5u8; usize::try_from(layout.disk_size()).unwrap()];
            prop_assert_eq!(exfat::format(&layout, &mut SliceWriter(&mut image), Zeroed::No), Ok(()));
            let bs = exfat::BootSector::parse(&image).unwrap();
            prop_assert_eq!(bs.cluster_count, layout.cluster_count);
        }
    }

    #[test]
    fn broken_layouts_are_refused_before_any_write(
        o in options(),
        field in 0usize..7,
        value in any::<u64>(),
    ) {
        let Ok(mut layout) = exfat::plan(&o) else { return Ok(()) };
        #[allow(clippy::cast_possible_truncation, reason = "any value will do")]
        match field {
            0 => layout.bytes_per_sector = value as u32,
            1 => layout.sectors_per_cluster = value as u32,
            2 => layout.volume_length = value,
            3 => layout.fat_offset = value as u32,
            4 => layout.fat_length = value as u32,
            5 => layout.cluster_heap_offset = value as u32,
            _ => layout.cluster_count = value as u32,
        }
        let mut w = Bounded { limit: u64::MAX, writes: 0 };
        match layout.validate() {
            Ok(()) => prop_assert_eq!(exfat::format(&layout, &mut w, Zeroed::Yes), Ok(())),
            Err(e) => {
                prop_assert_eq!(exfat::format(&layout, &mut w, Zeroed::Yes), Err(e));
                prop_assert_eq!(w.writes, 0);
            }
        }
    }

    #[test]
    fn any_bytes_never_panic_the_readers(bytes in proptest::collection::vec(any::<u8>(), 0..1100)) {
        let _ = exfat::BootSector::parse(&bytes);
        let entries = exfat::RootEntries::scan(&bytes);
        prop_assert!(entries.label_units().len() <= 11);
        let _ = exfat::count_free(&bytes, u32::try_from(bytes.len()).unwrap() * 9);
        let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        if let Ok(l) = Label::parse(&units) {
            prop_assert_eq!(l.units(), &units[..]);
        }
    }
}
