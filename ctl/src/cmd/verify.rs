//! `ramdiskctl verify`: read every sector.

use std::time::Instant;

use super::{CHUNK, Ctx};
use crate::device::Device;
use crate::error::{CtlError, EXIT_DATA};
use crate::progress::Progress;
use crate::report::VerifyReport;
use crate::sys::resolve_device;

pub fn run(ctx: &Ctx, device: Option<&str>) -> Result<(), CtlError> {
    let path = resolve_device(device);
    let dev = Device::open(&path, false)?;
    let len = dev.length()?;
    let ss = u64::from(dev.sector_size());
    let mut r = VerifyReport {
        device: path,
        sector_size: u32::try_from(ss).unwrap_or(512),
        ..VerifyReport::default()
    };
    let mut buf = vec![0u8; CHUNK];
    let mut bar = Progress::new("verify", len, ctx.progress);
    let start = Instant::now();
    let mut off = 0u64;
    while off < len {
        let n = usize::try_from((len - off).min(CHUNK as u64)).unwrap_or(CHUNK);
        if dev.read_exact_at(off, &mut buf[..n]).is_ok() {
            r.bytes_ok += n as u64;
        } else {
            // Sector by sector to find the bad ones.
            let ssz = usize::try_from(ss).unwrap_or(512);
            for (i, s) in buf[..n].chunks_mut(ssz).enumerate() {
                let at = off + i as u64 * ss;
                match dev.read_exact_at(at, s) {
                    Ok(()) => r.bytes_ok += s.len() as u64,
                    Err(e) => {
                        r.bad_count += 1;
                        if r.bad.len() < 20 {
                            r.bad.push((at / ss, e));
                        }
                    }
                }
            }
        }
        off += n as u64;
        bar.add(n as u64);
    }
    r.secs = start.elapsed().as_secs_f64();
    bar.finish();
    ctx.print(&r.to_json(), &r.to_text());
    if r.bad_count > 0 {
        return Err(
            CtlError::msg(format!("{} unreadable sector(s)", r.bad_count)).exit_code(EXIT_DATA),
        );
    }
    Ok(())
}
