//! `ramdiskctl start`: start the service, announce the drive letter.

use super::{Ctx, NO_BROADCAST, NOT_A_LETTER};
use crate::announce::Announcement;
use crate::broadcast;
use crate::error::CtlError;
use crate::report::StartReport;
use crate::scm;
use crate::sys::default_device;
use crate::units::drive_letter;

pub fn run(ctx: &Ctx, no_broadcast: bool) -> Result<(), CtlError> {
    let svc = scm::open_service()?;
    scm::start(&svc).map_err(|mut e| {
        if e.win32.is_some_and(|c| c != 1056) {
            // Not "already running": DriverEntry refused; it logged why.
            e.context.push_str(
                " (the driver explains in a DbgPrint line \"ramdisk: <ValueName>: <why>\"; \
                 check the Parameters values)",
            );
        }
        e
    })?;
    let device = default_device();
    let announce = match drive_letter(&device) {
        _ if no_broadcast => Announcement::skipped(NO_BROADCAST),
        Some(l) => broadcast::announce(l, broadcast::Event::Arrival),
        None => Announcement::skipped(NOT_A_LETTER),
    };
    ctx.print(&StartReport {
        service: scm::SERVICE,
        running: true,
        device,
        announce,
    });
    Ok(())
}
