//! `ramdiskctl dump`: the raw image (or a part of it) into a file.

use std::io::Write;
use std::path::Path;

use super::{CHUNK, Ctx};
use crate::cli::RangeArgs;
use crate::device::Device;
use crate::error::CtlError;
use crate::report::{DumpReport, Transfer};
use crate::sys::resolve_device;
use crate::transfer::chunked;

/// Checks the range against the disk; returns the length to transfer.
pub fn range(len: u64, ss: u64, range: RangeArgs) -> Result<u64, CtlError> {
    crate::range::transfer_range(len, ss, range.offset, range.length).map_err(CtlError::msg)
}

pub fn run(ctx: &Ctx, file: &Path, device: Option<&str>, r: RangeArgs) -> Result<(), CtlError> {
    let path = resolve_device(device);
    let dev = Device::open(&path, false)?;
    let len = dev.length()?;
    let total = range(len, u64::from(dev.sector_size()), r)?;
    let write_err = |e: std::io::Error| CtlError::msg(format!("write {}: {e}", file.display()));
    let out = std::fs::File::create(file)
        .map_err(|e| CtlError::msg(format!("cannot create {}: {e}", file.display())))?;
    let mut out = std::io::BufWriter::with_capacity(CHUNK, out);
    let mut buf = vec![0u8; CHUNK];
    let walked = chunked(
        r.offset,
        total,
        &mut buf,
        &ctx.progress("dump", total),
        |at, piece| {
            dev.read_exact_at(at, piece)
                .map_err(|e| CtlError::win32(format!("{path}: read at offset {at} failed"), e))?;
            out.write_all(piece).map_err(write_err)
        },
    )?;
    out.flush().map_err(write_err)?;
    ctx.print(&DumpReport(Transfer::new(
        &path,
        &file.display().to_string(),
        r.offset,
        walked.bytes,
        walked.secs,
    )));
    Ok(())
}
