//! Plan + format time by disk size. With `Zeroed::Yes` only a handful of
//! sectors are written whatever the size; with `Zeroed::No` the cost follows
//! the FAT size (the data area is never touched).

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ramdisk_core::fat::{
    FormatError, FormatOptions, SectorWriter, SliceWriter, Zeroed, format, plan,
};

/// Copies every write into one scratch buffer and counts the bytes: the
/// per-byte cost of a real image without allocating 64 GiB.
struct Counting(u64, Vec<u8>);

impl Counting {
    fn new() -> Self {
        Self(0, vec![0; 64 * 1024])
    }
}

impl SectorWriter for Counting {
    fn write(&mut self, _byte_offset: u64, data: &[u8]) -> Result<(), FormatError> {
        self.1[..data.len()].copy_from_slice(data);
        black_box(&self.1);
        self.0 += data.len() as u64;
        Ok(())
    }
}

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const SIZES: [(&str, u64); 7] = [
    ("1MiB", MIB),
    ("16MiB", 16 * MIB),
    ("256MiB", 256 * MIB),
    ("1GiB", GIB),
    ("4GiB", 4 * GIB),
    ("16GiB", 16 * GIB),
    ("64GiB", 64 * GIB),
];

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("plan+format");
    for (name, size) in SIZES {
        let layout = plan(&FormatOptions::new(size)).unwrap();
        let mut counted = Counting::new();
        format(&layout, &mut counted, Zeroed::No).unwrap();
        println!(
            "{name}: {:?}, FAT {} sectors x {}, Zeroed::No writes {} KiB",
            layout.fat_type,
            layout.fat_size_sectors,
            layout.num_fats,
            counted.0 / 1024
        );
        for (label, zeroed) in [("zeroed", Zeroed::Yes), ("unzeroed", Zeroed::No)] {
            group.bench_with_input(BenchmarkId::new(label, name), &size, |b, &size| {
                let mut w = Counting::new();
                b.iter(|| {
                    let layout = plan(&FormatOptions::new(black_box(size))).unwrap();
                    format(&layout, &mut w, zeroed).unwrap();
                });
            });
        }
    }
    // A real in-memory image for the small sizes (pre-zeroed, as the driver's allocation is).
    for (name, size) in &SIZES[..2] {
        let mut image = vec![0u8; usize::try_from(*size).unwrap()];
        group.bench_function(BenchmarkId::new("slice-zeroed", name), |b| {
            b.iter(|| {
                let layout = plan(&FormatOptions::new(*size)).unwrap();
                format(&layout, &mut SliceWriter(&mut image), Zeroed::Yes).unwrap();
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20);
    targets = bench
}
criterion_main!(benches);
