//! `ramdiskctl dump`: the raw image (or a part of it) into a file.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use super::{CHUNK, Ctx};
use crate::device::Device;
use crate::error::CtlError;
use crate::progress::Progress;
use crate::sys::resolve_device;
use crate::units::{fmt_bytes, mb_per_s};

/// Checks `offset`/`length` against the disk; returns the length to transfer.
pub fn range(len: u64, ss: u64, offset: u64, length: Option<u64>) -> Result<u64, CtlError> {
    crate::report::transfer_range(len, ss, offset, length).map_err(CtlError::msg)
}

pub fn run(
    ctx: &Ctx,
    file: &Path,
    device: Option<&str>,
    offset: u64,
    length: Option<u64>,
) -> Result<(), CtlError> {
    let path = resolve_device(device);
    let dev = Device::open(&path, false)?;
    let len = dev.length()?;
    let total = range(len, u64::from(dev.sector_size()), offset, length)?;
    let out = std::fs::File::create(file)
        .map_err(|e| CtlError::msg(format!("cannot create {}: {e}", file.display())))?;
    let mut out = std::io::BufWriter::with_capacity(CHUNK, out);
    let mut buf = vec![0u8; CHUNK];
    let mut bar = Progress::new("dump", total, ctx.progress);
    let start = Instant::now();
    let mut done = 0u64;
    while done < total {
        let n = usize::try_from((total - done).min(CHUNK as u64)).unwrap_or(CHUNK);
        let at = offset + done;
        dev.read_exact_at(at, &mut buf[..n])
            .map_err(|e| CtlError::win32(format!("{path}: read at offset {at} failed"), e))?;
        out.write_all(&buf[..n])
            .map_err(|e| CtlError::msg(format!("write {}: {e}", file.display())))?;
        done += n as u64;
        bar.add(n as u64);
    }
    out.flush()
        .map_err(|e| CtlError::msg(format!("write {}: {e}", file.display())))?;
    let secs = start.elapsed().as_secs_f64();
    bar.finish();
    ctx.print(
        &serde_json::json!({"device": path, "file": file.display().to_string(), "offset": offset, "bytes": total, "seconds": secs, "mb_per_s": mb_per_s(total, secs)}),
        &format!(
            "dumped {} from {path} to {} in {secs:.2} s ({:.0} MB/s)",
            fmt_bytes(total),
            file.display(),
            mb_per_s(total, secs)
        ),
    );
    Ok(())
}
