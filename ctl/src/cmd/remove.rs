//! `ramdiskctl remove R:`: the safe removal ([`crate::remove`]) on Win32; the control
//! device's requests for `remove`, `list` and `stop`.

use ramdisk_core::control::{
    IOCTL_RAMDISK_LIST, IOCTL_RAMDISK_REMOVE, RamdiskDiskInfo, RamdiskListHeader, Select,
    encode_select, read_list,
};
use ramdisk_core::wire::{FromBytes, IntoBytes};

use super::stop::Win32;
use super::{Ctx, NO_BROADCAST};
use crate::announce::Announcement;
use crate::broadcast;
use crate::cli::RemoveArgs;
use crate::device::Device;
use crate::error::{CtlError, EXIT_USAGE};
use crate::remove::{CONTROL_PATH, RemoveSystem, safe_remove};
use crate::report::RemoveReport;
use crate::scm;
use crate::stop::StopOptions;
use crate::units::drive_letter;

/// `ERROR_MORE_DATA`: the list did not fit (the header says how much is needed).
const ERROR_MORE_DATA: u32 = 234;
/// `ERROR_INVALID_DATA`: a reply that is not what the driver should send.
const ERROR_INVALID_DATA: u32 = 13;

/// `IOCTL_RAMDISK_LIST` on an open control device.
///
/// # Errors
/// The Win32 error.
pub fn list(control: &Device) -> Result<Vec<RamdiskDiskInfo>, u32> {
    let mut size = size_of::<RamdiskListHeader>() + 16 * size_of::<RamdiskDiskInfo>();
    for _ in 0..3 {
        let mut out = vec![0u8; size];
        match control.ioctl(IOCTL_RAMDISK_LIST, &[], &mut out).ok() {
            Ok(n) => {
                return read_list(out.get(..n).unwrap_or(&[]))
                    .map(<[RamdiskDiskInfo]>::to_vec)
                    .map_err(|_| ERROR_INVALID_DATA);
            }
            Err(ERROR_MORE_DATA) => {
                let (header, _) =
                    RamdiskListHeader::read_from_prefix(&out).map_err(|_| ERROR_INVALID_DATA)?;
                size = header.size.get() as usize;
            }
            Err(code) => return Err(code),
        }
    }
    Err(ERROR_MORE_DATA)
}

impl RemoveSystem for Win32<'_> {
    fn list(&mut self) -> Result<Vec<RamdiskDiskInfo>, u32> {
        list(&Device::try_open(CONTROL_PATH, true)?)
    }

    fn remove(&mut self, letter: char, force: bool) -> Result<(), u32> {
        let control = Device::try_open(CONTROL_PATH, true)?;
        let select = Select::Letter(u8::try_from(letter).unwrap_or(b'?'));
        let input = encode_select(select, force);
        control
            .ioctl(IOCTL_RAMDISK_REMOVE, input.as_bytes(), &mut [])
            .ok()
            .map(|_| ())
    }

    fn delete_persisted(&mut self, name: &str) -> Result<(), u32> {
        scm::delete_disk(name)
    }
}

pub fn run(ctx: &Ctx, args: &RemoveArgs) -> Result<(), CtlError> {
    let path = crate::units::device_path(&args.device);
    let letter = drive_letter(&path).ok_or_else(|| {
        CtlError::msg(format!("{}: not a drive letter", args.device)).exit_code(EXIT_USAGE)
    })?;
    let outcome = safe_remove(
        &mut Win32 { svc: None },
        letter,
        StopOptions::new(args.force),
        args.keep_persisted,
    )?;
    for w in &outcome.warnings {
        ctx.warn(w);
    }
    let announce = if args.no_broadcast {
        Announcement::skipped(NO_BROADCAST)
    } else {
        broadcast::announce(letter, broadcast::Event::RemoveComplete)
    };
    ctx.print(&RemoveReport {
        disk: outcome.disk,
        lock: outcome.lock,
        dismount: outcome.dismount,
        mount_point: outcome.mount_point,
        unpersisted: outcome.unpersisted,
        announce,
        warnings: outcome.warnings,
    });
    Ok(())
}
