//! Random overlapped reads and writes from many threads on one handle, each thread in
//! its own region, checked against shadow copies.

use std::time::Instant;

use ramdiskctl::rng::Rng;

use crate::tally::{SECTOR, Tally, open};

#[allow(clippy::too_many_lines, reason = "a script: one check after the other")]
pub fn run(t: &mut Tally, path: &str, threads: u32, ops: u32) {
    let Some((dev, len)) = open(t, path, 0) else {
        return;
    };
    // Regions in the second half of the disk, at most 1 MiB each.
    let region = ((len / 2) / u64::from(threads)).min(1 << 20) & !(SECTOR as u64 - 1);
    if region < 16 * SECTOR as u64 {
        t.case(
            "concurrency",
            Err(format!(
                "disk of {len} bytes too small for {threads} regions"
            )),
        );
        return;
    }
    let base = (len / 2) & !(SECTOR as u64 - 1);
    let start = Instant::now();
    let results: Vec<Result<(u64, u64), String>> = std::thread::scope(|s| {
        #[allow(
            clippy::needless_collect,
            reason = "spawn every thread before joining any: a lazy iterator would run them one at a time"
        )]
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let dev = &dev;
                s.spawn(move || -> Result<(u64, u64), String> {
                    let at = base + u64::from(i) * region;
                    let rlen = usize::try_from(region).map_err(|e| e.to_string())?;
                    let mut shadow = vec![0u8; rlen];
                    Rng::new(0xABC0 + u64::from(i)).fill(&mut shadow);
                    dev.write_all_at(at, &shadow)
                        .map_err(|e| format!("thread {i}: initial write: error {e}"))?;
                    let mut rng = Rng::new(0x1234 + u64::from(i));
                    let mut mismatches = 0u64;
                    let sectors = rlen / SECTOR;
                    let mut buf = vec![0u8; 64 * 1024];
                    for _ in 0..ops {
                        let first = usize::try_from(rng.below(sectors as u64)).unwrap_or(0);
                        let max = (sectors - first).min(128);
                        let count = 1 + usize::try_from(rng.below(max as u64)).unwrap_or(0);
                        let (off, n) = (first * SECTOR, count * SECTOR);
                        let b = &mut buf[..n];
                        if rng.below(2) == 0 {
                            rng.fill(b);
                            dev.write_all_at(at + off as u64, b).map_err(|e| {
                                format!("thread {i}: write at {}: error {e}", at + off as u64)
                            })?;
                            shadow[off..off + n].copy_from_slice(b);
                        } else {
                            dev.read_exact_at(at + off as u64, b).map_err(|e| {
                                format!("thread {i}: read at {}: error {e}", at + off as u64)
                            })?;
                            if b != &shadow[off..off + n] {
                                mismatches += 1;
                            }
                        }
                    }
                    let mut all = vec![0u8; rlen];
                    dev.read_exact_at(at, &mut all)
                        .map_err(|e| format!("thread {i}: final read: error {e}"))?;
                    if all != shadow {
                        mismatches += 1;
                    }
                    Ok((u64::from(ops), mismatches))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a thread panicked".into())))
            .collect()
    });
    let secs = start.elapsed().as_secs_f64();
    let mut total_ops = 0;
    let mut mismatches = 0;
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok((o, m)) => {
                total_ops += o;
                mismatches += m;
            }
            Err(e) => errors.push(e),
        }
    }
    let name = format!("{threads} threads x {ops} random overlapped reads/writes, shadow-checked");
    t.case(
        &name,
        if !errors.is_empty() {
            Err(errors.join("; "))
        } else if mismatches > 0 {
            Err(format!("{mismatches} mismatches"))
        } else {
            Ok(format!("{total_ops} ops in {secs:.2} s, 0 mismatches"))
        },
    );
}
