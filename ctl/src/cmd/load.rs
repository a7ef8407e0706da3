//! `ramdiskctl load`: write an image file back onto the disk.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Instant;

use super::{CHUNK, Ctx};
use crate::device::{Device, fsctl_warning};
use crate::error::{CtlError, EXIT_DATA};
use crate::progress::Progress;
use crate::sys::resolve_device;
use crate::units::{fmt_bytes, mb_per_s};

pub fn run(
    ctx: &Ctx,
    file: &Path,
    device: Option<&str>,
    offset: u64,
    length: Option<u64>,
) -> Result<(), CtlError> {
    let path = resolve_device(device);
    let mut input = std::fs::File::open(file)
        .map_err(|e| CtlError::msg(format!("cannot open {}: {e}", file.display())))?;
    let file_len = input
        .metadata()
        .map_err(|e| CtlError::msg(format!("{}: {e}", file.display())))?
        .len();
    let dev = Device::open(&path, true)?;
    let len = dev.length()?;
    if file_len != len {
        return Err(CtlError::msg(format!(
            "{} is {file_len} bytes but {path} is {len} bytes: refusing to load an image of another size",
            file.display()
        ))
        .exit_code(EXIT_DATA));
    }
    let total = super::dump::range(len, u64::from(dev.sector_size()), offset, length)?;
    let mut warnings = Vec::new();
    if let Some(w) = fsctl_warning("FSCTL_LOCK_VOLUME", dev.lock()?) {
        ctx.warn(&w);
        warnings.push(w);
    }
    input
        .seek(SeekFrom::Start(offset))
        .map_err(|e| CtlError::msg(format!("{}: {e}", file.display())))?;
    let mut buf = vec![0u8; CHUNK];
    let mut bar = Progress::new("load", total, ctx.progress);
    let start = Instant::now();
    let mut done = 0u64;
    while done < total {
        let n = usize::try_from((total - done).min(CHUNK as u64)).unwrap_or(CHUNK);
        input
            .read_exact(&mut buf[..n])
            .map_err(|e| CtlError::msg(format!("read {}: {e}", file.display())))?;
        let at = offset + done;
        dev.write_all_at(at, &buf[..n])
            .map_err(|e| CtlError::win32(format!("{path}: write at offset {at} failed"), e))?;
        done += n as u64;
        bar.add(n as u64);
    }
    let secs = start.elapsed().as_secs_f64();
    bar.finish();
    // The file system cached the old metadata: make it mount afresh on next access.
    if let Some(w) = fsctl_warning("FSCTL_DISMOUNT_VOLUME", dev.dismount()?) {
        ctx.warn(&w);
        warnings.push(w);
    }
    drop(dev);
    ctx.print(
        &serde_json::json!({"device": path, "file": file.display().to_string(), "offset": offset, "bytes": total, "seconds": secs, "mb_per_s": mb_per_s(total, secs), "warnings": warnings}),
        &format!(
            "loaded {} from {} onto {path} in {secs:.2} s ({:.0} MB/s)",
            fmt_bytes(total),
            file.display(),
            mb_per_s(total, secs)
        ),
    );
    Ok(())
}
