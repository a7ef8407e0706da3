//! `ramdiskctl save [R:] [--to FILE] [--no-lock]`: [`crate::save`] on Win32.

use std::time::Duration;

use ramdisk_core::control::{
    IOCTL_RAMDISK_SAVE, RamdiskDiskInfo, RamdiskSaveInput, SAVE_MIN_OUTPUT,
};
use ramdisk_core::wire::IntoBytes;
use windows_sys::Win32::System::Ioctl::{FSCTL_LOCK_VOLUME, FSCTL_UNLOCK_VOLUME};

use super::Ctx;
use super::remove::list;
use crate::cli::SaveArgs;
use crate::device::Device;
use crate::error::{CtlError, EXIT_USAGE};
use crate::remove::CONTROL_PATH;
use crate::report::SaveReport;
use crate::save::{SaveOptions, SaveSystem, save_disk};
use crate::sys::resolve_device;
use crate::units::drive_letter;

/// [`SaveSystem`] on Win32: `CreateFileW` + `DeviceIoControl` on the volume and the
/// control device.
struct Win32;

impl SaveSystem for Win32 {
    type Volume = Device;

    fn list(&mut self) -> Result<Vec<RamdiskDiskInfo>, u32> {
        list(&Device::try_open(CONTROL_PATH, true)?)
    }

    fn open_volume(&mut self, path: &str) -> Result<Device, u32> {
        Device::try_open(path, true)
    }

    fn lock(&mut self, volume: &Device) -> Result<(), u32> {
        volume.fsctl_raw(FSCTL_LOCK_VOLUME)
    }

    fn unlock(&mut self, volume: &Device) -> Result<(), u32> {
        volume.fsctl_raw(FSCTL_UNLOCK_VOLUME)
    }

    fn close_volume(&mut self, volume: Device) {
        drop(volume);
    }

    fn save(&mut self, input: &RamdiskSaveInput) -> Result<Vec<u8>, u32> {
        let control = Device::try_open(CONTROL_PATH, true)?;
        let mut out = vec![0u8; SAVE_MIN_OUTPUT];
        let n = control
            .ioctl(IOCTL_RAMDISK_SAVE, input.as_bytes(), &mut out)
            .ok()?;
        out.truncate(n);
        Ok(out)
    }

    fn sleep(&mut self, pause: Duration) {
        std::thread::sleep(pause);
    }
}

pub fn run(ctx: &Ctx, args: &SaveArgs) -> Result<(), CtlError> {
    let path = resolve_device(args.device.as_deref());
    let letter = drive_letter(&path).ok_or_else(|| {
        CtlError::msg(format!("{path}: not a drive letter")).exit_code(EXIT_USAGE)
    })?;
    // The driver takes absolute paths only: a relative --to is made absolute here.
    let to = args
        .to
        .as_deref()
        .map(|t| {
            std::path::absolute(t)
                .map_err(|e| {
                    CtlError::msg(format!("--to {}: {e}", t.display())).exit_code(EXIT_USAGE)
                })
                .map(|p| p.to_string_lossy().into_owned())
        })
        .transpose()?;
    ctx.note(&format!("saving {letter}: ..."));
    let done = save_disk(
        &mut Win32,
        letter,
        to.as_deref(),
        SaveOptions::new(args.no_lock),
    )?;
    for w in &done.warnings {
        ctx.warn(w);
    }
    ctx.print(&SaveReport::new(done, to));
    Ok(())
}
