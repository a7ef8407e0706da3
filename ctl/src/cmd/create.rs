//! `ramdiskctl create`: a disk made at run time through the control device; with
//! `--persist NAME` also written to `Parameters\Disks\NAME` so it comes back.

use ramdisk_core::control::{
    IOCTL_RAMDISK_CREATE, IOCTL_RAMDISK_REMOVE, MAX_DISKS, RamdiskDiskInfo, Select, encode_create,
    encode_select, parse_create, read_info,
};
use ramdisk_core::wire::IntoBytes;

use super::{Ctx, NO_BROADCAST};
use crate::announce::Announcement;
use crate::broadcast;
use crate::cli::CreateArgs;
use crate::device::Device;
use crate::error::{CtlError, EXIT_NO_DEVICE, EXIT_USAGE};
use crate::remove::{CONTROL_PATH, DiskRow};
use crate::report::CreateReport;
use crate::scm;

/// What a refused CREATE's Win32 error means.
fn refused(code: u32) -> CtlError {
    let why = match code {
        183 => "the drive letter is taken, or a disk with that persist name exists".to_string(),
        1816 => format!("the driver holds {MAX_DISKS} disks, as many as it can"),
        1450 | 8 | 14 => "not enough memory for the disk".to_string(),
        87 => "the driver refused a setting (see the debugger output)".to_string(),
        50 => "this driver build does not support a setting asked for".to_string(),
        24 | 1306 => "ramdiskctl and the driver disagree about the control request's layout \
                      (version)"
            .to_string(),
        _ => "the driver refused".to_string(),
    };
    CtlError::win32(format!("cannot create the disk: {why}"), code)
}

pub fn run(ctx: &Ctx, args: &CreateArgs) -> Result<(), CtlError> {
    let letter = args
        .letter()
        .map_err(|e| CtlError::msg(e).exit_code(EXIT_USAGE))?;
    let input = encode_create(&args.settings(letter))
        .map_err(|e| CtlError::msg(e.to_string()).exit_code(EXIT_USAGE))?;
    // The driver decides; the same parser says exactly why first.
    parse_create(input.as_bytes(), 0)
        .map_err(|e| CtlError::msg(format!("cannot create the disk: {e}")))?;
    if let Some(name) = &args.persist
        && scm::disk_key_exists(name)
    {
        return Err(CtlError::msg(format!(
            r"cannot create the disk: {} exists already (remove it with reg delete, or pick another name)",
            scm::disk_key(name)
        )));
    }
    let control = Device::try_open(CONTROL_PATH, true).map_err(|code| {
        CtlError::win32(format!("cannot open {CONTROL_PATH}"), code)
            .exit_code(EXIT_NO_DEVICE)
            .with_note("is the RustRamDisk driver running? (ramdiskctl start)")
    })?;
    let mut out = vec![0u8; size_of::<RamdiskDiskInfo>()];
    let n = control
        .ioctl(IOCTL_RAMDISK_CREATE, input.as_bytes(), &mut out)
        .ok()
        .map_err(refused)?;
    let info = read_info(out.get(..n).unwrap_or(&[]))
        .map_err(|e| CtlError::msg(format!("the driver's reply: {e}")))?;
    let row = DiskRow::new(&info);
    if let Some(name) = &args.persist
        && let Err(e) = scm::write_disk(name, &args.persisted_values(row.letter_char()))
    {
        // Never half a persisted disk: remove it again.
        let undo = encode_select(Select::Index(row.index), true);
        let undone = control
            .ioctl(IOCTL_RAMDISK_REMOVE, undo.as_bytes(), &mut [])
            .ok()
            .is_ok();
        let _ = scm::delete_disk(name);
        return Err(e.with_note(if undone {
            "the disk was removed again"
        } else {
            "the disk could not be removed again: ramdiskctl remove it"
        }));
    }
    let announce = if args.no_broadcast {
        Announcement::skipped(NO_BROADCAST)
    } else {
        broadcast::announce(row.letter_char(), broadcast::Event::Arrival)
    };
    ctx.print(&CreateReport {
        index: row.index,
        device: row.device,
        letter: row.letter,
        size: row.size,
        file_system: row.file_system,
        persist: row.persist,
        announce,
    });
    Ok(())
}
