//! `ramdiskctl verify`: read every sector.

use super::{CHUNK, Ctx};
use crate::device::Device;
use crate::error::{CtlError, EXIT_DATA};
use crate::report::{Rate, VerifyReport};
use crate::sys::resolve_device;
use crate::transfer::chunked;

pub fn run(ctx: &Ctx, device: Option<&str>) -> Result<(), CtlError> {
    let path = resolve_device(device);
    let dev = Device::open(&path, false)?;
    let len = dev.length()?;
    let ss = dev.sector_size();
    let mut r = VerifyReport {
        device: path,
        sector_size: ss,
        ..VerifyReport::default()
    };
    let mut buf = vec![0u8; CHUNK];
    let walked = chunked(
        0,
        len,
        &mut buf,
        &ctx.progress("verify", len),
        |at, piece| {
            if dev.read_exact_at(at, piece).is_ok() {
                r.bytes_ok += piece.len() as u64;
                return Ok::<(), CtlError>(());
            }
            // Sector by sector to find the bad ones.
            let mut sector_at = at;
            for s in piece.chunks_mut(ss as usize) {
                match dev.read_exact_at(sector_at, s) {
                    Ok(()) => r.bytes_ok += s.len() as u64,
                    Err(e) => r.bad(sector_at / u64::from(ss), e),
                }
                sector_at += s.len() as u64;
            }
            Ok(())
        },
    )?;
    r.rate = Rate::new(r.bytes_ok, walked.secs);
    ctx.print(&r);
    if r.bad_sectors > 0 {
        return Err(
            CtlError::msg(format!("{} unreadable sector(s)", r.bad_sectors)).exit_code(EXIT_DATA),
        );
    }
    Ok(())
}
