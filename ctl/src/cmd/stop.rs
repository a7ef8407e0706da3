//! `ramdiskctl stop`: remove every disk safely ([`crate::remove::remove_all`]), lock
//! and dismount the volume, stop the service while holding the volume handle, close
//! it, wait for the stop, announce the removal (the order and its reasons:
//! [`crate::stop`]).

use std::time::Duration;

use windows_sys::Win32::System::Ioctl::{FSCTL_DISMOUNT_VOLUME, FSCTL_LOCK_VOLUME};

use super::{Ctx, NO_BROADCAST, NOT_A_LETTER};
use crate::announce::Announcement;
use crate::broadcast;
use crate::device::Device;
use crate::error::CtlError;
use crate::remove::remove_all;
use crate::report::StopReport;
use crate::scm::{self, ScHandle};
use crate::stop::{StopOptions, StopOutcome, StopSystem, safe_stop};
use crate::sys::resolve_device;
use crate::units::drive_letter;

/// [`StopSystem`] (and `RemoveSystem`, `cmd/remove.rs`) on Win32: `CreateFileW` +
/// `DeviceIoControl` on the volume, the SCM for the service (`None` for a removal,
/// which stops nothing).
pub(super) struct Win32<'a> {
    pub(super) svc: Option<&'a ScHandle>,
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
        self.svc.map_or_else(|| Ok(false), scm::request_stop)
    }

    fn wait_stopped(&mut self) -> Result<(), CtlError> {
        self.svc.map_or(Ok(()), scm::wait_stopped)
    }

    fn sleep(&mut self, pause: Duration) {
        std::thread::sleep(pause);
    }
}

/// The safe stop of the `RustRamDisk` service: every disk removed safely first (their
/// letters returned, `Parameters\Disks` kept), then `path` dismounted; warnings go to
/// stderr as they are returned.
pub fn stop_service(
    ctx: &Ctx,
    path: &str,
    force: bool,
) -> Result<(StopOutcome, Vec<String>), CtlError> {
    let svc = scm::open_service()?;
    let mut sys = Win32 { svc: Some(&svc) };
    let removed = remove_all(&mut sys, StopOptions::new(force))?;
    let mut letters = Vec::new();
    let mut earlier = Vec::new();
    for r in &removed {
        for w in &r.warnings {
            ctx.warn(w);
        }
        earlier.extend(r.warnings.iter().cloned());
        letters.push(r.disk.letter.clone());
    }
    let mut outcome = safe_stop(&mut sys, path, drive_letter(path), StopOptions::new(force))?;
    for w in &outcome.warnings {
        ctx.warn(w);
    }
    // The device given was one of the disks removed first: its volume steps are those
    // of its removal.
    if let Some(r) = removed
        .iter()
        .find(|r| Some(r.disk.letter_char()) == drive_letter(path))
    {
        outcome.lock = outcome.lock.or(r.lock);
        outcome.dismount = outcome.dismount.or(r.dismount);
        outcome.mount_point = Some(r.mount_point);
    }
    earlier.append(&mut outcome.warnings);
    outcome.warnings = earlier;
    Ok((outcome, letters))
}

pub fn run(
    ctx: &Ctx,
    device: Option<&str>,
    force: bool,
    no_broadcast: bool,
) -> Result<(), CtlError> {
    let path = resolve_device(device);
    let (outcome, removed) = stop_service(ctx, &path, force)?;
    // The disks removed first were announced as such; the letter given too.
    if !no_broadcast {
        for l in removed.iter().filter_map(|l| l.chars().next()) {
            if drive_letter(&path) != Some(l) {
                let _ = broadcast::announce(l, broadcast::Event::RemoveComplete);
            }
        }
    }
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
        removed_disks: removed,
        warnings: outcome.warnings,
    });
    Ok(())
}
