//! `ramdiskctl bench`: sequential 1 MiB and random 4 KiB transfers, QD1 and N threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{CHUNK, Ctx};
use crate::cli::BenchArgs;
use crate::device::{Device, FsctlOutcome, fsctl_warning};
use crate::error::CtlError;
use crate::range::scratch_range;
use crate::report::{BenchReport, BenchRow, WriteRange};
use crate::rng::Rng;
use crate::sys::resolve_device;
use crate::transfer::chunked;

const RANDOM_BLOCK: u64 = 4096;

#[derive(Clone, Copy)]
enum Dir {
    Read,
    Write,
}

fn sequential(
    dev: &Device,
    dir: Dir,
    start: u64,
    bytes: u64,
    ctx: &Ctx,
    name: &str,
) -> Result<BenchRow, CtlError> {
    let mut buf = vec![0u8; CHUNK];
    Rng::new(0x5EED).fill(&mut buf);
    let walked = chunked(
        start,
        bytes,
        &mut buf,
        &ctx.progress(name, bytes),
        |at, piece| {
            match dir {
                Dir::Read => dev.read_exact_at(at, piece),
                Dir::Write => dev.write_all_at(at, piece),
            }
            .map_err(|e| CtlError::win32(format!("{name}: transfer at offset {at} failed"), e))
        },
    )?;
    Ok(BenchRow::new(
        name,
        CHUNK as u64,
        1,
        walked.bytes,
        walked.chunks,
        walked.secs,
    ))
}

/// Random 4 KiB transfers inside `start..start+len` for `secs` seconds on `threads` threads.
fn random(
    dev: &Device,
    dir: Dir,
    (start, len): (u64, u64),
    threads: u32,
    secs: f64,
    name: &str,
) -> Result<BenchRow, CtlError> {
    let stop = AtomicBool::new(false);
    let t = Instant::now();
    let results: Vec<Result<u64, CtlError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let stop = &stop;
                s.spawn(move || {
                    let mut rng = Rng::new(0xB00 + u64::from(i));
                    let mut buf = vec![0u8; usize::try_from(RANDOM_BLOCK).unwrap_or(4096)];
                    rng.fill(&mut buf);
                    let mut ops = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let at = rng.block_in(start, len, RANDOM_BLOCK);
                        let r = match dir {
                            Dir::Read => dev.read_exact_at(at, &mut buf),
                            Dir::Write => dev.write_all_at(at, &buf),
                        };
                        if let Err(e) = r {
                            stop.store(true, Ordering::Relaxed);
                            return Err(CtlError::win32(
                                format!("{name}: transfer at offset {at} failed"),
                                e,
                            ));
                        }
                        ops += 1;
                    }
                    Ok(ops)
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(CtlError::msg("a benchmark thread panicked")))
            })
            .collect()
    });
    let elapsed = t.elapsed().as_secs_f64();
    let mut ops = 0;
    for r in results {
        ops += r?;
    }
    Ok(BenchRow::new(
        name,
        RANDOM_BLOCK,
        threads,
        ops * RANDOM_BLOCK,
        ops,
        elapsed,
    ))
}

#[allow(
    clippy::too_many_lines,
    reason = "the benchmark script: read tests, then the guarded write tests"
)]
pub fn run(ctx: &Ctx, args: &BenchArgs) -> Result<(), CtlError> {
    let path = resolve_device(args.device.as_deref());
    let dev = Device::open(&path, args.destructive)?;
    let len = dev.length()?;
    if len < RANDOM_BLOCK {
        return Err(CtlError::msg(format!(
            "{path} is too small to benchmark ({len} bytes)"
        )));
    }
    let secs = args.seconds.clamp(0.05, 600.0);
    let mut report = BenchReport {
        device: path.clone(),
        ..BenchReport::default()
    };
    let whole = (0, len & !(RANDOM_BLOCK - 1));
    ctx.note(&format!(
        "benchmarking {path} ({} threads, {secs} s per random test)",
        args.threads
    ));
    report.results.push(sequential(
        &dev,
        Dir::Read,
        0,
        args.seq_bytes.min(whole.1),
        ctx,
        "seq-read",
    )?);
    report
        .results
        .push(random(&dev, Dir::Read, whole, 1, secs, "rand-read")?);
    if args.threads > 1 {
        report.results.push(random(
            &dev,
            Dir::Read,
            whole,
            args.threads,
            secs,
            "rand-read",
        )?);
    }
    if args.destructive {
        let range = scratch_range(
            len,
            args.scratch.max(RANDOM_BLOCK),
            RANDOM_BLOCK,
            args.whole_disk,
        );
        report.write_range = Some(WriteRange {
            offset: range.0,
            length: range.1,
        });
        if let o @ FsctlOutcome::Unsupported(_) = dev.lock()? {
            let w = fsctl_warning("FSCTL_LOCK_VOLUME", o).unwrap_or_default();
            ctx.warn(&w);
            report.lock_warning = Some(w);
        }
        // Keep the scratch range's data to put it back afterwards (not for --whole-disk).
        let backup = if args.whole_disk {
            None
        } else {
            let mut b = vec![
                0u8;
                usize::try_from(range.1)
                    .map_err(|_| CtlError::msg("scratch range too large"))?
            ];
            dev.read_exact_at(range.0, &mut b)
                .map_err(|e| CtlError::win32("cannot save the scratch range", e))?;
            Some(b)
        };
        let result = (|| -> Result<(), CtlError> {
            report.results.push(sequential(
                &dev,
                Dir::Write,
                range.0,
                args.seq_bytes.min(range.1),
                ctx,
                "seq-write",
            )?);
            report
                .results
                .push(random(&dev, Dir::Write, range, 1, secs, "rand-write")?);
            if args.threads > 1 {
                report.results.push(random(
                    &dev,
                    Dir::Write,
                    range,
                    args.threads,
                    secs,
                    "rand-write",
                )?);
            }
            Ok(())
        })();
        if let Some(b) = &backup {
            dev.write_all_at(range.0, b)
                .map_err(|e| CtlError::win32("cannot restore the scratch range", e))?;
            let mut check = vec![0u8; b.len()];
            dev.read_exact_at(range.0, &mut check)
                .map_err(|e| CtlError::win32("cannot re-read the scratch range", e))?;
            if &check != b {
                return Err(CtlError::msg(
                    "the scratch range did not read back as restored",
                ));
            }
        }
        let _ = dev.unlock();
        result?;
    }
    ctx.print(&report);
    Ok(())
}
