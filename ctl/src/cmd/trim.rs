//! `ramdiskctl trim`: give a dynamic disk's memory back.
//!
//! With `--offset`/`--length`: one TRIM of that range. Without: the volume is locked
//! (`FSCTL_LOCK_VOLUME`, retried for about 2 s; the file system flushes and nothing
//! can allocate while it is held: the on-disk FAT lags the file system's cache, so a
//! cluster can read as free on disk while it holds flushed file data), its first FAT
//! is read, and every run of free clusters is trimmed; the lock goes with the handle.
//! Only this driver's disks are trimmed (the usage IOCTL must answer), and only FAT
//! volumes (a file system this tool cannot read is refused).

use std::time::Duration;

use super::Ctx;
use crate::cli::TrimArgs;
use crate::device::{Device, FsctlOutcome, fsctl_warning};
use crate::error::{CtlError, EXIT_BUSY, win32_text};
use crate::report::{TrimMode, TrimReport, Usage};
use crate::sys::resolve_device;
use crate::trim::{free_extents, requests};
use crate::volume::parse_fat_boot_sector;
use ramdisk_core::dsm;

/// Lock attempts and the pause between them (about 2 s, as `stop`).
const LOCK_ATTEMPTS: u32 = 10;
const LOCK_PAUSE: Duration = Duration::from_millis(200);

fn held(dev: &Device) -> Result<(u64, &'static str), CtlError> {
    let u = dev.usage().map_err(|e| {
        CtlError::win32(
            format!(
                "{}: not a ramdisk disk (IOCTL_RAMDISK_QUERY_USAGE failed); refusing to trim it",
                dev.path()
            ),
            e,
        )
    })?;
    let usage = Usage::from_wire(&u);
    Ok((u.allocated_bytes.get(), usage.allocation.unwrap_or("fixed")))
}

fn send(dev: &Device, request: &[u8]) -> Result<(), CtlError> {
    dev.trim(request).map_err(|e| {
        CtlError::win32(
            format!(
                "{}: IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES (TRIM) failed",
                dev.path()
            ),
            e,
        )
    })
}

/// `FSCTL_LOCK_VOLUME`, retried; a lock that cannot be had is exit 5.
fn lock(dev: &Device) -> Result<FsctlOutcome, CtlError> {
    let mut last = 0;
    for attempt in 0..LOCK_ATTEMPTS {
        match FsctlOutcome::classify(
            dev.fsctl_raw(windows_sys::Win32::System::Ioctl::FSCTL_LOCK_VOLUME),
        ) {
            Ok(outcome) => return Ok(outcome),
            Err(e) => last = e,
        }
        if attempt + 1 < LOCK_ATTEMPTS {
            std::thread::sleep(LOCK_PAUSE);
        }
    }
    Err(CtlError::win32(
        format!(
            "{}: the volume is busy: FSCTL_LOCK_VOLUME failed ({}); close the programs \
             that have files open on it and retry",
            dev.path(),
            win32_text(last)
        ),
        last,
    )
    .exit_code(EXIT_BUSY))
}

pub fn run(ctx: &Ctx, args: &TrimArgs) -> Result<(), CtlError> {
    let path = resolve_device(args.device.as_deref());
    let dev = Device::open(&path, true)?;
    let (before, allocation) = held(&dev)?;
    let size = dev.length()?;
    let mut warnings = Vec::new();
    let (mode, extents, free_clusters, lock_state) =
        if let (Some(offset), Some(length)) = (args.offset, args.length) {
            dsm::Extent::check(offset, length, size).map_err(|_| {
                CtlError::msg(format!(
                    "--offset {offset} --length {length}: not sector aligned or not inside the \
                     {size}-byte disk"
                ))
            })?;
            (TrimMode::Range, vec![(offset, length)], None, None)
        } else {
            let outcome = lock(&dev)?;
            if let Some(w) = fsctl_warning("FSCTL_LOCK_VOLUME", outcome) {
                ctx.warn(&w);
                warnings.push(w);
            }
            let bps = usize::try_from(dev.sector_size()).unwrap_or(512);
            let mut sector = vec![0u8; bps];
            dev.read_exact_at(0, &mut sector)
                .map_err(|e| CtlError::win32(format!("{path}: cannot read sector 0"), e))?;
            let volume = parse_fat_boot_sector(&sector).map_err(|why| {
                CtlError::msg(format!(
                    "{path}: {why}; trim reads only FAT12/16/32 allocation tables (give \
                     --offset and --length to trim a range)"
                ))
            })?;
            let fat_len = usize::try_from(volume.fat_bytes())
                .map_err(|_| CtlError::msg(format!("{path}: the FAT is too large to read")))?;
            let mut fat = vec![0u8; fat_len];
            dev.read_exact_at(volume.fat_offset(), &mut fat)
                .map_err(|e| CtlError::win32(format!("{path}: cannot read the FAT"), e))?;
            let (extents, clusters) = free_extents(&volume, &fat);
            let state = match outcome {
                FsctlOutcome::Done => "done",
                FsctlOutcome::Unsupported(_) => "unsupported",
            };
            (TrimMode::FreeClusters, extents, Some(clusters), Some(state))
        };
    let reqs = requests(&extents);
    for request in &reqs {
        send(&dev, request)?;
    }
    let (after, _) = held(&dev)?;
    drop(dev);
    ctx.print(&TrimReport {
        device: path,
        mode,
        ranges: extents.len() as u64,
        bytes: extents.iter().map(|&(_, n)| n).sum(),
        requests: reqs.len() as u64,
        free_clusters,
        lock: lock_state,
        allocation,
        allocated_before: before,
        allocated_after: after,
        warnings,
    });
    Ok(())
}
