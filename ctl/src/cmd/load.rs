//! `ramdiskctl load`: write an image file back onto the disk.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::{CHUNK, Ctx};
use crate::cli::RangeArgs;
use crate::device::{Device, fsctl_warning};
use crate::error::{CtlError, EXIT_DATA};
use crate::report::{LoadReport, Transfer};
use crate::sys::resolve_device;
use crate::transfer::chunked;

pub fn run(ctx: &Ctx, file: &Path, device: Option<&str>, r: RangeArgs) -> Result<(), CtlError> {
    let path = resolve_device(device);
    let file_err = |e: std::io::Error| CtlError::msg(format!("{}: {e}", file.display()));
    let mut input = std::fs::File::open(file)
        .map_err(|e| CtlError::msg(format!("cannot open {}: {e}", file.display())))?;
    let file_len = input.metadata().map_err(file_err)?.len();
    let dev = Device::open(&path, true)?;
    let len = dev.length()?;
    if file_len != len {
        return Err(CtlError::msg(format!(
            "{} is {file_len} bytes but {path} is {len} bytes: refusing to load an image of another size",
            file.display()
        ))
        .exit_code(EXIT_DATA));
    }
    let total = super::dump::range(len, u64::from(dev.sector_size()), r)?;
    let mut warnings = Vec::new();
    if let Some(w) = fsctl_warning("FSCTL_LOCK_VOLUME", dev.lock()?) {
        ctx.warn(&w);
        warnings.push(w);
    }
    input.seek(SeekFrom::Start(r.offset)).map_err(file_err)?;
    let mut buf = vec![0u8; CHUNK];
    let walked = chunked(
        r.offset,
        total,
        &mut buf,
        &ctx.progress("load", total),
        |at, piece| {
            input
                .read_exact(piece)
                .map_err(|e| CtlError::msg(format!("read {}: {e}", file.display())))?;
            dev.write_all_at(at, piece)
                .map_err(|e| CtlError::win32(format!("{path}: write at offset {at} failed"), e))
        },
    )?;
    // The file system cached the old metadata: make it mount afresh on next access.
    if let Some(w) = fsctl_warning("FSCTL_DISMOUNT_VOLUME", dev.dismount()?) {
        ctx.warn(&w);
        warnings.push(w);
    }
    drop(dev);
    ctx.print(&LoadReport {
        transfer: Transfer::new(
            &path,
            &file.display().to_string(),
            r.offset,
            walked.bytes,
            walked.secs,
        ),
        warnings,
    });
    Ok(())
}
