//! `ramdiskctl uninstall`: stop (if running) and delete the service.

use super::Ctx;
use crate::error::CtlError;
use crate::report::UninstallReport;
use crate::scm;

pub fn run(ctx: &Ctx) -> Result<(), CtlError> {
    let svc = scm::open_service()?;
    let was_running = scm::stop(&svc)?;
    scm::delete(&svc)?;
    ctx.print(&UninstallReport {
        service: scm::SERVICE,
        stopped: was_running,
        deleted: true,
    });
    Ok(())
}
