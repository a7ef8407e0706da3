//! `ramdiskctl list`: the disks the driver holds.

use super::Ctx;
use super::stop::Win32;
use crate::error::CtlError;
use crate::remove::rows;
use crate::report::ListReport;

pub fn run(ctx: &Ctx) -> Result<(), CtlError> {
    let disks = rows(&mut Win32 { svc: None })?;
    ctx.print(&ListReport { disks });
    Ok(())
}
