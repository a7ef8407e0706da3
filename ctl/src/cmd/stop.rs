//! `ramdiskctl stop`: lock and dismount the volume, stop the service, announce the removal.

use super::Ctx;
use crate::broadcast;
use crate::device::{Device, fsctl_warning};
use crate::error::CtlError;
use crate::report::StopReport;
use crate::scm;
use crate::sys::resolve_device;
use crate::units::drive_letter;

pub fn run(ctx: &Ctx, device: Option<&str>, no_broadcast: bool) -> Result<(), CtlError> {
    let path = resolve_device(device);
    let svc = scm::open_service()?;
    let mut warnings = Vec::new();
    // Flush and detach the file system first; a volume that is not there is fine.
    if let Ok(dev) = Device::open(&path, true) {
        for (what, r) in [
            ("FSCTL_LOCK_VOLUME", dev.lock()),
            ("FSCTL_DISMOUNT_VOLUME", dev.dismount()),
        ] {
            match r {
                Ok(o) => warnings.extend(fsctl_warning(what, o)),
                Err(e) => warnings.push(format!("warning: {e}")),
            }
        }
    }
    for w in &warnings {
        ctx.warn(w);
    }
    let stopped = scm::stop(&svc)?;
    let announced = match drive_letter(&path) {
        Some(l) if stopped && !no_broadcast => {
            broadcast::volume(l, broadcast::Event::RemoveComplete)
        }
        _ => false,
    };
    ctx.print(&StopReport {
        service: scm::SERVICE,
        device: path,
        stopped,
        broadcast: announced,
        warnings,
    });
    Ok(())
}
