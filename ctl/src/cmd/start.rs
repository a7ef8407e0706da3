//! `ramdiskctl start`: start the service, announce the drive letter.

use super::Ctx;
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
    let letter = drive_letter(&device);
    let announced = match letter {
        Some(l) if !no_broadcast => broadcast::volume(l, broadcast::Event::Arrival),
        _ => false,
    };
    ctx.print(&StartReport {
        service: scm::SERVICE,
        running: true,
        device,
        broadcast: announced,
    });
    Ok(())
}
