//! A disk's save at system shutdown (`SaveOn=shutdown`): on the control worker, for a
//! pended `IRP_MJ_SHUTDOWN` (the decisions are `ramdisk_core::save::shutdown`'s).
//!
//! Windows sends the IRP to a device registered with `IoRegisterShutdownNotification`
//! before it flushes the file systems, so the disk's FAT (or exFAT) volume is still
//! mounted, possibly with data in its cache. The worker opens the volume by the disk's
//! device name (`\Device\Ramdisk…`, not `\??\X:`: the drive letter may have been
//! removed or moved to another volume, the device name is the disk's own; on Windows
//! the open of a device with a mounted volume reaches the file system through the
//! VPB), asks for `FSCTL_LOCK_VOLUME` (the file system flushes and holds the volume
//! for the save) or, if the lock is refused, for `FSCTL_DISMOUNT_VOLUME` (forced,
//! flushing what it can), saves with the ordinary save code, and dismounts a locked
//! volume after the save. The handle closes when the save is done: the disk never
//! answers anything but the rest of the shutdown after this, and a handle held would
//! count as an open of the disk (under Wine, where the open reaches the disk itself)
//! for `ramdiskctl remove` and the unload; what is written to the volume after the
//! save (a remount needs a new open) could not reach the image anyway.
//!
//! Under Wine `FSCTL_LOCK_VOLUME` never reaches a driver (ntdll answers it with
//! success), and `FSCTL_DISMOUNT_VOLUME` arrives at the disk itself as a device
//! control that it answers `STATUS_INVALID_DEVICE_REQUEST`: the e2e sees the
//! "consistent" path with a failed dismount after the save; a real lock, a refused
//! lock and a real dismount are Windows-only (the README's VM plan).

use ramdisk_core::{
    save::shutdown::{Quiesce, Quiesced, Shutdown},
    status::{self, STATUS_SUCCESS},
    wire::file::{FSCTL_DISMOUNT_VOLUME, FSCTL_LOCK_VOLUME},
};

use super::{Disk, save};
use crate::kernel::file::{Access, DeviceFile};

/// Saves `disk` for a system shutdown (once: a repeat, such as a file system's own
/// shutdown request after the first-chance ones, only logs); every outcome is
/// logged, none is returned (the IRP completes with success whatever happened).
// A frame of its own: the control worker's frame stays as small as before.
#[inline(never)]
pub fn save_at_shutdown(disk: &Disk) {
    let letter = disk.letter();
    let state = if disk.shutdown_begun() {
        Shutdown::Done
    } else {
        Shutdown::Idle
    };
    if !state.begin() {
        log!(disk: letter, "IRP_MJ_SHUTDOWN again: the disk was saved at this shutdown already");
        return;
    }
    let Some(image) = disk.image() else {
        log!(error, disk: letter, "IRP_MJ_SHUTDOWN: SaveOn=shutdown without an image (a bug): nothing saved");
        return;
    };
    let name = disk.state().identity.device_name();
    let saved = image.try_with(|image| {
        // Quiesce the volume: the lock, or a forced dismount where it is refused.
        let opened = DeviceFile::open(name.as_slice(), Access::ReadWrite);
        let (lock, dismount) = opened.as_ref().map_or((STATUS_SUCCESS, STATUS_SUCCESS), |v| {
            let lock = v.fs_control(FSCTL_LOCK_VOLUME);
            let dismount = match Quiesce::after_lock(lock) {
                Quiesce::Save => STATUS_SUCCESS,
                Quiesce::DismountFirst => v.fs_control(FSCTL_DISMOUNT_VOLUME),
            };
            (lock, dismount)
        });
        let quiesced = Quiesced::from_steps(opened.as_ref().map(|_| ()).map_err(|s| *s), lock, dismount);
        log!(disk: letter, "IRP_MJ_SHUTDOWN: saving {}: {quiesced}", &*image.path);
        // The save logs its own line (saved …, or why it failed).
        let result = save::save_image(letter, disk.store(), image, quiesced.locked());
        if let Ok(volume) = &opened
            && quiesced.dismount_after()
        {
            let s = volume.fs_control(FSCTL_DISMOUNT_VOLUME);
            log!(
                disk: letter,
                "IRP_MJ_SHUTDOWN: FSCTL_DISMOUNT_VOLUME after the save: {:#010x} ({})",
                s.cast_unsigned(),
                status::name(s)
            );
        }
        drop(opened);
        match result {
            Ok(outcome) if outcome.status == STATUS_SUCCESS => {
                log!(disk: letter, "IRP_MJ_SHUTDOWN: the image is saved");
            }
            Ok(outcome) => log!(
                error,
                disk: letter,
                "IRP_MJ_SHUTDOWN: the image is saved, but the disk holds it no more ({})",
                status::name(outcome.status)
            ),
            Err(failure) => log!(
                error,
                disk: letter,
                "IRP_MJ_SHUTDOWN: the save failed ({}): the previous image stays; the shutdown IRP completes with STATUS_SUCCESS",
                status::name(failure.status())
            ),
        }
    });
    if saved.is_none() {
        log!(error, disk: letter, "IRP_MJ_SHUTDOWN: the image is busy (a save in progress): not saved at shutdown");
    }
}
