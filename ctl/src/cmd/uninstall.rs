//! `ramdiskctl uninstall`: stop (if running, the safe way), delete the service and its
//! event source.

use super::Ctx;
use super::stop::stop_service;
use crate::error::CtlError;
use crate::report::UninstallReport;
use crate::scm;
use crate::sys::default_device;

pub fn run(ctx: &Ctx, force: bool) -> Result<(), CtlError> {
    let svc = scm::open_service()?;
    let was_running = stop_service(ctx, &default_device(), force)?.0.stopped;
    scm::delete(&svc)?;
    scm::delete_event_source()?;
    ctx.print(&UninstallReport {
        service: scm::SERVICE,
        stopped: was_running,
        deleted: true,
    });
    Ok(())
}
