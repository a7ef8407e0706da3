//! The many-disks checks: the control device's refusals (`control-bad`), a stress
//! client that keeps reading and writing several disks while some of them are removed
//! (`stress`), a handle held across a removal (`hold`), and start/stop cycles with
//! I/O running (`cycles-io`).

use std::path::Path;
use std::time::{Duration, Instant};

use ramdisk_core::control::{
    CreateSettings, IOCTL_RAMDISK_CREATE, IOCTL_RAMDISK_LIST, IOCTL_RAMDISK_QUERY,
    IOCTL_RAMDISK_REMOVE, RamdiskListHeader, Select, encode_create, encode_select,
};
use ramdisk_core::wire::{FromBytes, IntoBytes};
use ramdiskctl::device::{Device, IoResult};
use ramdiskctl::rng::Rng;

use crate::tally::{
    ERROR_INSUFFICIENT_BUFFER, ERROR_INVALID_FUNCTION, ERROR_INVALID_PARAMETER, SECTOR, Tally, show,
};

/// `\\.\RamdiskControl`.
pub const CONTROL: &str = r"\\.\RamdiskControl";

/// `ERROR_NO_SUCH_DEVICE`: `STATUS_NO_SUCH_DEVICE`.
const ERROR_NO_SUCH_DEVICE: u32 = 433;
/// `ERROR_PATH_NOT_FOUND`: `STATUS_OBJECT_PATH_NOT_FOUND`.
const ERROR_PATH_NOT_FOUND: u32 = 3;
/// `ERROR_ACCESS_DENIED`: what Wine answers on a handle whose device was deleted.
const ERROR_ACCESS_DENIED: u32 = 5;
/// `ERROR_BAD_LENGTH`: `STATUS_INFO_LENGTH_MISMATCH`.
const ERROR_BAD_LENGTH: u32 = 24;
/// `ERROR_ALREADY_EXISTS`: `STATUS_OBJECT_NAME_COLLISION`.
const ERROR_ALREADY_EXISTS: u32 = 183;
/// `ERROR_REVISION_MISMATCH`: `STATUS_REVISION_MISMATCH`.
const ERROR_REVISION_MISMATCH: u32 = 1306;
/// `ERROR_NOT_ENOUGH_QUOTA`: `STATUS_QUOTA_EXCEEDED`.
const ERROR_NOT_ENOUGH_QUOTA: u32 = 1816;

/// The Win32 errors I/O on a removed disk may end in: `ERROR_NO_SUCH_DEVICE` (the
/// driver's `STATUS_NO_SUCH_DEVICE`) while the device object exists, Wine's own
/// `ERROR_ACCESS_DENIED` once it is deleted.
pub const REMOVED_ERRORS: [u32; 2] = [ERROR_NO_SUCH_DEVICE, ERROR_ACCESS_DENIED];

/// The number of disks `IOCTL_RAMDISK_LIST` reports.
fn count(control: &Device) -> Result<u32, String> {
    let mut out = vec![0u8; 16 + 16 * 200];
    let r = control.ioctl(IOCTL_RAMDISK_LIST, &[], &mut out);
    r.ok().map_err(|e| format!("LIST: error {e}"))?;
    let (h, _) =
        RamdiskListHeader::read_from_prefix(&out).map_err(|_| "LIST: short".to_string())?;
    Ok(h.count.get())
}

fn want(r: IoResult, code: u32) -> Result<String, String> {
    if r.error == Some(code) {
        Ok(format!("error {code}"))
    } else {
        Err(format!("want error {code}, got {}", show(r)))
    }
}

/// Every refusal of the control device, each leaving the list as it was.
/// `taken` is a drive letter another disk has.
#[allow(clippy::too_many_lines, reason = "a script: one check after the other")]
pub fn control_bad(t: &mut Tally, taken: char) {
    let control = match Device::open(CONTROL, true) {
        Ok(d) => d,
        Err(e) => {
            t.case("open the control device", Err(e.to_string()));
            return;
        }
    };
    let before = match count(&control) {
        Ok(n) => n,
        Err(e) => {
            t.case("LIST", Err(e));
            return;
        }
    };
    let small = CreateSettings {
        disk_size: 1 << 20,
        ..CreateSettings::default()
    };
    let good = encode_create(&small).unwrap_or_else(|_| unreachable!("1 MiB encodes"));
    let mut out = vec![0u8; 200];
    let create = |input: &[u8], out: &mut [u8]| control.ioctl(IOCTL_RAMDISK_CREATE, input, out);
    let bytes = good.as_bytes().to_vec();
    let mut cases: Vec<(String, Vec<u8>, usize, u32)> = Vec::new();
    let zero = encode_create(&CreateSettings {
        disk_size: 0,
        ..small
    })
    .unwrap_or(good);
    cases.push((
        "DiskSize 0 -> ERROR_INVALID_PARAMETER".into(),
        zero.as_bytes().to_vec(),
        200,
        ERROR_INVALID_PARAMETER,
    ));
    let odd = encode_create(&CreateSettings {
        disk_size: 511,
        ..small
    })
    .unwrap_or(good);
    cases.push((
        "DiskSize 511 -> ERROR_INVALID_PARAMETER".into(),
        odd.as_bytes().to_vec(),
        200,
        ERROR_INVALID_PARAMETER,
    ));
    for len in [0usize, 7, 8, 100, 207] {
        cases.push((
            format!("a {len}-byte input (truncated) -> ERROR_BAD_LENGTH"),
            bytes[..len].to_vec(),
            200,
            ERROR_BAD_LENGTH,
        ));
    }
    let mut long = bytes.clone();
    long.extend([0u8; 8]);
    cases.push((
        "a 216-byte input (oversized) -> ERROR_BAD_LENGTH".into(),
        long,
        200,
        ERROR_BAD_LENGTH,
    ));
    let mut version = bytes.clone();
    version[..4].copy_from_slice(&3u32.to_le_bytes());
    cases.push((
        "Version 3 -> ERROR_REVISION_MISMATCH".into(),
        version,
        200,
        ERROR_REVISION_MISMATCH,
    ));
    let mut fields = bytes.clone();
    fields[8..12].copy_from_slice(&0x100u32.to_le_bytes());
    cases.push((
        "an unknown Fields bit -> ERROR_INVALID_PARAMETER".into(),
        fields,
        200,
        ERROR_INVALID_PARAMETER,
    ));
    let letter = encode_create(&CreateSettings {
        letter: Some(taken),
        ..small
    })
    .unwrap_or(good);
    cases.push((
        format!("a taken drive letter ({taken}:) -> ERROR_ALREADY_EXISTS"),
        letter.as_bytes().to_vec(),
        200,
        ERROR_ALREADY_EXISTS,
    ));
    let thin = encode_create(&CreateSettings {
        allocation: Some("thin"),
        ..small
    })
    .unwrap_or(good);
    cases.push((
        "Allocation thin -> ERROR_INVALID_PARAMETER".into(),
        thin.as_bytes().to_vec(),
        200,
        ERROR_INVALID_PARAMETER,
    ));
    let limit = encode_create(&CreateSettings {
        memory_limit: Some(64 << 20),
        ..small
    })
    .unwrap_or(good);
    cases.push((
        "a MemoryLimit with a fixed disk -> ERROR_INVALID_PARAMETER".into(),
        limit.as_bytes().to_vec(),
        200,
        ERROR_INVALID_PARAMETER,
    ));
    cases.push((
        "a 199-byte output buffer -> ERROR_INSUFFICIENT_BUFFER".into(),
        bytes,
        199,
        ERROR_INSUFFICIENT_BUFFER,
    ));
    for (name, input, out_len, code) in cases {
        let r = create(&input, &mut out[..out_len]);
        let after = count(&control);
        t.case(
            &format!("CREATE with {name}, nothing left behind"),
            want(r, code).and_then(|note| match after {
                Ok(n) if n == before => Ok(format!("{note}; still {n} disk(s)")),
                Ok(n) => Err(format!("{n} disks after, {before} before")),
                Err(e) => Err(e),
            }),
        );
    }
    let missing = encode_select(Select::Letter(b'B'), false);
    t.case(
        "REMOVE of B: (no such disk) -> ERROR_NO_SUCH_DEVICE",
        want(
            control.ioctl(IOCTL_RAMDISK_REMOVE, missing.as_bytes(), &mut []),
            ERROR_NO_SUCH_DEVICE,
        ),
    );
    t.case(
        "QUERY of ramdisk 4000000 -> ERROR_NO_SUCH_DEVICE",
        want(
            control.ioctl(
                IOCTL_RAMDISK_QUERY,
                encode_select(Select::Index(4_000_000), false).as_bytes(),
                &mut out,
            ),
            ERROR_NO_SUCH_DEVICE,
        ),
    );
    t.case(
        "an IOCTL the control device does not know -> ERROR_INVALID_FUNCTION",
        want(
            control.ioctl(0x0022_2FF0, &[], &mut []),
            ERROR_INVALID_FUNCTION,
        ),
    );
    // Wine hands out a handle for a failed IRP_MJ_CREATE: check the first request.
    let below = format!(r"{CONTROL}\x");
    t.case(
        &format!("{below}: the open fails, or its first request does (ERROR_PATH_NOT_FOUND)"),
        match Device::try_open(&below, true) {
            Err(code) => Ok(format!("open: error {code}")),
            Ok(d) => want(
                d.ioctl(IOCTL_RAMDISK_LIST, &[], &mut out),
                ERROR_PATH_NOT_FOUND,
            )
            .map(|n| format!("Wine gave a handle; LIST on it: {n}")),
        },
    );
    t.case(
        "a read of the control device -> ERROR_INVALID_FUNCTION",
        want(control.read_at(0, &mut [0u8; 512]), ERROR_INVALID_FUNCTION),
    );
    let after = count(&control);
    t.case(
        "the list is as it was",
        match after {
            Ok(n) if n == before => Ok(format!("{n} disk(s)")),
            Ok(n) => Err(format!("{n} disks, {before} before")),
            Err(e) => Err(e),
        },
    );
}

/// Creates 1 MiB disks until the driver refuses: it must refuse with
/// `ERROR_NOT_ENOUGH_QUOTA` at `limit` disks (or `ERROR_ALREADY_EXISTS` when the
/// letters run out first), then removes what it made.
pub fn fill(t: &mut Tally, limit: u32) {
    let control = match Device::open(CONTROL, true) {
        Ok(d) => d,
        Err(e) => {
            t.case("open the control device", Err(e.to_string()));
            return;
        }
    };
    let input = encode_create(&CreateSettings {
        disk_size: 1 << 20,
        ..CreateSettings::default()
    })
    .unwrap_or_else(|_| unreachable!("1 MiB encodes"));
    let mut made = Vec::new();
    let mut refusal = None;
    for _ in 0..32 {
        let mut out = [0u8; 200];
        let r = control.ioctl(IOCTL_RAMDISK_CREATE, input.as_bytes(), &mut out);
        match r.error {
            None => {
                if let Ok(info) = ramdisk_core::control::read_info(&out) {
                    made.push(info.index.get());
                }
            }
            Some(e) => {
                refusal = Some(e);
                break;
            }
        }
    }
    let total = count(&control).unwrap_or(0);
    for index in &made {
        let _ = control.ioctl(
            IOCTL_RAMDISK_REMOVE,
            encode_select(Select::Index(*index), true).as_bytes(),
            &mut [],
        );
    }
    let left = count(&control).unwrap_or(u32::MAX);
    t.case(
        &format!("CREATE until refused: {limit} disks at most -> ERROR_NOT_ENOUGH_QUOTA"),
        match refusal {
            Some(ERROR_NOT_ENOUGH_QUOTA) if total == limit => Ok(format!(
                "{} made, {total} in all, then error {ERROR_NOT_ENOUGH_QUOTA}",
                made.len()
            )),
            other => Err(format!(
                "refusal {other:?} with {total} disks in all ({} made)",
                made.len()
            )),
        },
    );
    t.case(
        "the disks made for it are removed again",
        if left == total - u32::try_from(made.len()).unwrap_or(0) {
            Ok(format!("{left} left"))
        } else {
            Err(format!("{left} left of {total}"))
        },
    );
}

/// One device's side of the stress run.
#[derive(Default)]
struct Outcome {
    ops: u64,
    mismatches: u64,
    failures: u64,
    after_failure_ok: u64,
    codes: Vec<u32>,
    first_error_at: Option<f64>,
}

/// Random reads and writes on `dev` (its first `len` bytes past the boot area, a
/// shadow of them checked) until `stop` exists; after the first failure (the disk was
/// removed) every further request must fail too.
fn hammer(dev: &Device, len: u64, seed: u64, stop: &Path, start: Instant) -> Outcome {
    let region = (len / 2).min(4 << 20) & !(SECTOR as u64 - 1);
    let base = (len / 2) & !(SECTOR as u64 - 1);
    let mut o = Outcome::default();
    let Ok(rlen) = usize::try_from(region) else {
        return o;
    };
    let mut shadow = vec![0u8; rlen];
    let mut rng = Rng::new(seed);
    rng.fill(&mut shadow);
    if dev.write_all_at(base, &shadow).is_err() {
        o.failures += 1;
        return o;
    }
    let sectors = (rlen / SECTOR) as u64;
    let mut buf = vec![0u8; 64 * SECTOR];
    let mut failed = false;
    let mut round = 0u64;
    loop {
        round += 1;
        if round.is_multiple_of(64) && stop.exists() {
            break;
        }
        let first = rng.below(sectors);
        let count = 1 + rng.below((sectors - first).min(64));
        let (off, n) = (
            usize::try_from(first).unwrap_or(0) * SECTOR,
            usize::try_from(count).unwrap_or(1) * SECTOR,
        );
        let b = &mut buf[..n];
        let write = rng.below(2) == 0;
        let r = if write {
            rng.fill(b);
            dev.write_at(base + off as u64, b)
        } else {
            dev.read_at(base + off as u64, b)
        };
        o.ops += 1;
        match r.error {
            None if r.bytes == n => {
                if failed {
                    o.after_failure_ok += 1;
                } else if write {
                    shadow[off..off + n].copy_from_slice(b);
                } else if *b != shadow[off..off + n] {
                    o.mismatches += 1;
                }
            }
            error => {
                let code = error.unwrap_or(0);
                o.failures += 1;
                if !o.codes.contains(&code) {
                    o.codes.push(code);
                }
                if !failed {
                    failed = true;
                    o.first_error_at = Some(start.elapsed().as_secs_f64());
                }
                // A removed disk: slow down, the others keep the pace.
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
    if !failed {
        let mut all = vec![0u8; rlen];
        match dev.read_exact_at(base, &mut all) {
            Ok(()) if all == shadow => {}
            Ok(()) => o.mismatches += 1,
            Err(_) => o.failures += 1,
        }
    }
    o
}

/// The stress client: one thread per device (`survivors` stay, `doomed` are removed
/// while it runs) until the file `until` exists; then one more request on each handle.
/// Survivors: 0 mismatches, 0 failures. Doomed: every request after the first failure
/// fails too, with one of [`REMOVED_ERRORS`], and the last one fails.
pub fn stress(t: &mut Tally, survivors: &[String], doomed: &[String], until: &str) {
    let stop = Path::new(until);
    let start = Instant::now();
    let mut opened = Vec::new();
    for (path, keeps) in survivors
        .iter()
        .map(|p| (p, true))
        .chain(doomed.iter().map(|p| (p, false)))
    {
        match Device::open(path, true).and_then(|d| d.length().map(|l| (d, l))) {
            Ok((d, len)) => opened.push((path.clone(), keeps, d, len)),
            Err(e) => t.case(&format!("stress: open {path}"), Err(e.to_string())),
        }
    }
    println!("stress: {} handles open", opened.len());
    let results: Vec<(String, bool, Outcome, IoResult)> = std::thread::scope(|s| {
        #[allow(
            clippy::needless_collect,
            reason = "spawn every thread before joining any"
        )]
        let handles: Vec<_> = opened
            .iter()
            .enumerate()
            .map(|(i, (path, keeps, dev, len))| {
                s.spawn(move || {
                    let o = hammer(dev, *len, 0x5EED + i as u64, stop, start);
                    let mut sector = vec![0u8; SECTOR];
                    let last = dev.read_at(0, &mut sector);
                    (path.clone(), *keeps, o, last)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let secs = start.elapsed().as_secs_f64();
    for (path, keeps, o, last) in results {
        let name = if keeps {
            format!("survivor {path}: 0 mismatches, every request succeeded")
        } else {
            format!("removed {path}: I/O failed from the removal on, never succeeded again")
        };
        let verdict = if keeps {
            if o.mismatches == 0 && o.failures == 0 && last.error.is_none() {
                Ok(format!("{} ops in {secs:.1} s", o.ops))
            } else {
                Err(format!(
                    "{} mismatches, {} failures (codes {:?}), last {}",
                    o.mismatches,
                    o.failures,
                    o.codes,
                    show(last)
                ))
            }
        } else if o.mismatches > 0 {
            Err(format!("{} mismatches before the removal", o.mismatches))
        } else if o.after_failure_ok > 0 {
            Err(format!(
                "{} requests succeeded after a failure",
                o.after_failure_ok
            ))
        } else if o.failures == 0 || last.error.is_none() {
            Err(format!(
                "I/O still works ({} ops, last {})",
                o.ops,
                show(last)
            ))
        } else if let Some(bad) = o
            .codes
            .iter()
            .chain(last.error.iter())
            .find(|c| !REMOVED_ERRORS.contains(c))
        {
            Err(format!("an unexpected error {bad} (codes {:?})", o.codes))
        } else {
            Ok(format!(
                "{} ops, first failure at {:.1} s, errors {:?}, last {}",
                o.ops,
                o.first_error_at.unwrap_or(0.0),
                o.codes,
                show(last)
            ))
        };
        t.case(&name, verdict);
    }
}

/// Holds `path` open (after one write) until `until` exists, then reads once and
/// reports how that went (`after=<Win32 error or 0>`); for the busy and forced removal.
pub fn hold(path: &str, until: &str) -> std::process::ExitCode {
    let dev = match Device::open(path, true) {
        Ok(d) => d,
        Err(e) => {
            println!("open: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let sector = vec![0xA5u8; SECTOR];
    println!("write before: {}", show(dev.write_at(1 << 19, &sector)));
    let deadline = Instant::now() + Duration::from_mins(2);
    while !Path::new(until).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut buf = vec![0u8; SECTOR];
    let r = dev.read_at(1 << 19, &mut buf);
    println!("after={} ({})", r.error.unwrap_or(0), show(r));
    std::process::ExitCode::SUCCESS
}
