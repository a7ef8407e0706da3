//! The mount manager from user mode: `ramdiskctl stop` deletes the disk's drive letter
//! (`IOCTL_MOUNTMGR_DELETE_POINTS`, link-name form) before the service stops.
//!
//! The request goes to the mount manager the service uses: `\\.\MountPointManager`,
//! or, when the service's `Parameters` carry the fault-injection build's
//! `MountManagerDevice` value (the tests' mount-manager double), that device through
//! `\\.\GLOBALROOT`. The request bytes are `ramdisk-core`'s (`mountmgr::delete_link`),
//! the same the driver sends at unload.

/// The Win32 path of the mount manager: the real one, or `\\.\GLOBALROOT` + the
/// `MountManagerDevice` value (`hook`) when the service has one.
#[must_use]
pub fn manager_path(hook: Option<&str>) -> String {
    hook.map(str::trim)
        .filter(|h| h.starts_with('\\'))
        .map_or_else(
            || r"\\.\MountPointManager".to_string(),
            |device| format!(r"\\.\GLOBALROOT{device}"),
        )
}

/// Deletes the mount point `\DosDevices\<letter>:`; the number of points deleted.
///
/// # Errors
/// The Win32 error of opening the mount manager or of the request
/// (`ERROR_FILE_NOT_FOUND` when it lists no such point, `ERROR_NOT_SUPPORTED` under
/// Wine).
#[cfg(windows)]
pub fn delete_letter(letter: char) -> Result<u32, u32> {
    use ramdisk_core::{
        disk::dos_device_name,
        ioctl::codes::IOCTL_MOUNTMGR_DELETE_POINTS,
        mountmgr::{FIRST_QUERY_BYTES, delete_link},
        wire::{FromBytes, mountmgr::MountmgrMountPointsHeader},
    };

    /// `ERROR_INVALID_PARAMETER`.
    const ERROR_INVALID_PARAMETER: u32 = 87;
    let request = u8::try_from(letter)
        .ok()
        .and_then(dos_device_name)
        .and_then(|link| delete_link(&link))
        .ok_or(ERROR_INVALID_PARAMETER)?;
    let hook = crate::sys::reg_string(crate::sys::PARAMETERS_KEY, "MountManagerDevice");
    let manager = crate::device::Device::try_open(&manager_path(hook.as_deref()), true)?;
    let mut reply = vec![0u8; FIRST_QUERY_BYTES];
    let n = manager
        .ioctl(IOCTL_MOUNTMGR_DELETE_POINTS, request.as_bytes(), &mut reply)
        .ok()?;
    Ok(reply
        .get(..n)
        .and_then(|r| MountmgrMountPointsHeader::read_from_prefix(r).ok())
        .map_or(0, |(h, _)| h.number_of_mount_points.get()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_mount_manager_unless_the_service_names_a_double() {
        assert_eq!(manager_path(None), r"\\.\MountPointManager");
        assert_eq!(
            manager_path(Some(r"\Device\RamdiskTestMountManager")),
            r"\\.\GLOBALROOT\Device\RamdiskTestMountManager"
        );
        // Not an NT device name: the driver refuses such a value; use the real one.
        assert_eq!(manager_path(Some("garbage")), r"\\.\MountPointManager");
        assert_eq!(manager_path(Some("")), r"\\.\MountPointManager");
    }
}
