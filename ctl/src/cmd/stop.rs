//! `ramdiskctl stop`: lock and dismount the volume, stop the service while holding
//! the volume handle, close it, wait for the stop, announce the removal
//! (the order and its reasons: [`crate::stop`]).

use std::time::Duration;

use windows_sys::Win32::System::Ioctl::{FSCTL_DISMOUNT_VOLUME, FSCTL_LOCK_VOLUME};

use super::{Ctx, NO_BROADCAST, NOT_A_LETTER};
use crate::announce::Announcement;
use crate::broadcast;
use crate::device::Device;
use crate::error::CtlError;
use crate::report::StopReport;
use crate::scm::{self, ScHandle};
use crate::stop::{StopOptions, StopOutcome, StopSystem, safe_stop};
use crate::sys::resolve_device;
use crate::units::drive_letter;

/// [`StopSystem`] on Win32: `CreateFileW` + `DeviceIoControl` on the volume, the SCM
/// for the service.
struct Win32<'a> {
    svc: &'a ScHandle,
}

impl StopSystem for Win32<'_> {
    type Volume = Device;

    fn open_volume(&mut self, path: &str) -> Result<Device, u32> {
        Device::try_open(path, true)
    }

    fn lock(&mut self, volume: &Device) -> Result<(), u32> {
        volume.fsctl_raw(FSCTL_LOCK_VOLUME)
    }

    fn dismount(&mut self, volume: &Device) -> Result<(), u32> {
        volume.fsctl_raw(FSCTL_DISMOUNT_VOLUME)
    }

    fn close_volume(&mut self, volume: Device) {
        drop(volume);
    }

    fn delete_mount_point(&mut self, letter: char) -> Result<u32, u32> {
        crate::mountmgr::delete_letter(letter)
    }

    fn request_stop(&mut self) -> Result<bool, CtlError> {
        scm::request_stop(self.svc)
    }

    fn wait_stopped(&mut self) -> Result<(), CtlError> {
        scm::wait_stopped(self.svc)
    }

    fn sleep(&mut self, pause: Duration) {
        std::thread::sleep(pause);
    }
}

/// The safe stop of the `RustRamDisk` service, dismounting `path` first; warnings go to
/// stderr as they are returned.
pub fn stop_service(ctx: &Ctx, path: &str, force: bool) -> Result<StopOutcome, CtlError> {
    let svc = scm::open_service()?;
    let outcome = safe_stop(
        &mut Win32 { svc: &svc },
        path,
        drive_letter(path),
        StopOptions::new(force),
    )?;
    for w in &outcome.warnings {
        ctx.warn(w);
    }
    Ok(outcome)
}

pub fn run(
    ctx: &Ctx,
    device: Option<&str>,
    force: bool,
    no_broadcast: bool,
) -> Result<(), CtlError> {
    let path = resolve_device(device);
    let outcome = stop_service(ctx, &path, force)?;
    let announce = match drive_letter(&path) {
        _ if !outcome.stopped => Announcement::skipped("not sent: the service was not running"),
        _ if no_broadcast => Announcement::skipped(NO_BROADCAST),
        Some(l) => broadcast::announce(l, broadcast::Event::RemoveComplete),
        None => Announcement::skipped(NOT_A_LETTER),
    };
    ctx.print(&StopReport {
        service: scm::SERVICE,
        device: path,
        stopped: outcome.stopped,
        announce,
        lock: outcome.lock,
        dismount: outcome.dismount,
        mount_point: outcome.mount_point,
        warnings: outcome.warnings,
    });
    Ok(())
}
