//! `IOCTL_MOUNTMGR_CREATE_POINT` and `IOCTL_MOUNTMGR_QUERY_DOS_VOLUME_PATH`.

use core::fmt::Write;

use crate::codes::{
    STATUS_BUFFER_OVERFLOW, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER,
    STATUS_NOT_FOUND, STATUS_NOT_SUPPORTED, STATUS_OBJECT_NAME_COLLISION,
    STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS,
};
use crate::device::Requery;
use crate::layout::{
    MountmgrCreatePointInput, MountmgrVolumePaths, field_bytes, read, write_units,
};
use crate::names::{DeviceName, LinkName, drive_letter, is_volume_name};
use crate::state::Volume;
use crate::{Env, MountManager};

/// `sizeof(MOUNTMGR_CREATE_POINT_INPUT)`.
const CREATE_INPUT: usize = size_of::<MountmgrCreatePointInput>();
/// `sizeof(MOUNTMGR_VOLUME_PATHS)`: the smallest output `QUERY_DOS_VOLUME_PATH` takes.
pub const VOLUME_PATHS: usize = size_of::<MountmgrVolumePaths>();
/// Where `MultiSz` starts.
const MULTI_SZ: usize = core::mem::offset_of!(MountmgrVolumePaths, multi_sz);

/// A `CREATE_POINT` input: the link (`None` if longer than the double holds) and
/// the device name (`None` likewise).
pub struct CreatePoint {
    /// `SymbolicLinkName`.
    pub link: Option<LinkName>,
    /// `DeviceName`.
    pub device: Option<DeviceName>,
}

/// Reads one name of a `MOUNTMGR_CREATE_POINT_INPUT` (not empty).
fn name_at(input: &[u8], offset: u16, length: u16) -> Result<&[u8], &'static str> {
    if length == 0 {
        return Err("an empty name");
    }
    field_bytes(
        input,
        usize::from(offset),
        usize::from(length),
        CREATE_INPUT,
    )
}

/// Parses `MOUNTMGR_CREATE_POINT_INPUT`; `Err` is a reason for
/// `STATUS_INVALID_PARAMETER`.
pub fn parse_create(input: &[u8]) -> Result<CreatePoint, &'static str> {
    let p = read::<MountmgrCreatePointInput>(input)
        .ok_or("input shorter than MOUNTMGR_CREATE_POINT_INPUT (8 bytes)")?;
    let link = name_at(
        input,
        p.symbolic_link_name_offset,
        p.symbolic_link_name_length,
    )?;
    let device = name_at(input, p.device_name_offset, p.device_name_length)?;
    Ok(CreatePoint {
        link: LinkName::from_le_bytes(link),
        device: DeviceName::from_le_bytes(device),
    })
}

impl MountManager {
    /// `CREATE_POINT` for a parsed input: a drive letter for a listed volume.
    pub(crate) fn create_point<E: Env>(&mut self, env: &mut E, point: &CreatePoint) -> i32 {
        let Some(link) = point.link.filter(|l| drive_letter(l.as_units()).is_some()) else {
            self.note(|w| {
                w.write_str(
                    "only drive letters (\\DosDevices\\X:, upper case) are modelled: not supported",
                )
            });
            return STATUS_NOT_SUPPORTED;
        };
        let Some(device) = point.device else {
            self.note(|w| w.write_str("no listed volume has that device name"));
            return STATUS_OBJECT_NAME_NOT_FOUND;
        };
        self.sweep(env);
        let i = match self.requery(env, &device) {
            Requery::Listed(i) => i,
            Requery::NotListed => {
                self.note(|w| w.write_str("no listed volume has that device name"));
                return STATUS_OBJECT_NAME_NOT_FOUND;
            }
            Requery::Unopenable(status) | Requery::Failed(status) => return status,
        };
        let Some(volume) = self.volumes.get(i).copied() else {
            return STATUS_OBJECT_NAME_NOT_FOUND;
        };
        if let Some(letter) = volume.drive_letter() {
            self.note(|w| {
                write!(
                    w,
                    "the volume has a drive letter already ({}:)",
                    char::from(letter)
                )
            });
            return STATUS_INVALID_PARAMETER;
        }
        if self.volumes.owner_of(link.as_units()).is_some() {
            self.note(|w| w.write_str("the link belongs to a listed volume"));
            return STATUS_OBJECT_NAME_COLLISION;
        }
        if !volume.has_room() || self.database.is_full_for(link.as_units()) {
            self.note(|w| w.write_str("the double's tables are full"));
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        let status = self.create_link(env, &link, &volume.device);
        if status != STATUS_SUCCESS {
            return status;
        }
        let status = self.store(env, &link, &volume.uid);
        if status != STATUS_SUCCESS {
            self.delete_link(env, &link);
            return status;
        }
        if let Some(v) = self.volumes.get_mut(i) {
            v.push_link(&link);
        }
        let mut session = self.open_write(env, &volume.device);
        self.link_created(env, &mut session, &link);
        Self::close(env, session);
        STATUS_SUCCESS
    }

    /// `QUERY_DOS_VOLUME_PATH` for `name`, into `out`: (status, Information).
    ///
    /// The reply is `MOUNTMGR_VOLUME_PATHS` with one path and the final NUL:
    /// `X:` NUL NUL for a volume with a drive letter, else `\\?\Volume{GUID}` NUL NUL
    /// (the NT volume name in the Win32 namespace, no trailing backslash);
    /// `MultiSzLength` counts both NULs. An output shorter than the reply gets
    /// `STATUS_BUFFER_OVERFLOW` with `MultiSzLength` set and `Information` = 4.
    pub(crate) fn dos_volume_path<E: Env>(
        &mut self,
        env: &mut E,
        name: &DeviceName,
        out: &mut [u8],
    ) -> (i32, usize) {
        if out.len() < VOLUME_PATHS {
            self.note(|w| w.write_str("output shorter than MOUNTMGR_VOLUME_PATHS (8 bytes)"));
            return (STATUS_INVALID_PARAMETER, 0);
        }
        self.sweep(env);
        let i = match self.requery(env, name) {
            Requery::Listed(i) => i,
            Requery::NotListed => {
                self.note(|w| w.write_str("no listed volume has that device name"));
                return (STATUS_OBJECT_NAME_NOT_FOUND, 0);
            }
            Requery::Unopenable(status) | Requery::Failed(status) => return (status, 0),
        };
        let mut path = [0u16; 50];
        let units = self.volumes.get(i).map_or(0, |v| dos_path_of(v, &mut path));
        if units == 0 {
            self.note(|w| w.write_str("the volume has no drive letter and no volume name"));
            return (STATUS_NOT_FOUND, 0);
        }
        let multi_sz = path.get(..units).unwrap_or(&[]);
        let bytes = 2 * units;
        let length = u32::try_from(bytes).unwrap_or(u32::MAX).to_le_bytes();
        if let Some(dst) = out.get_mut(..MULTI_SZ) {
            dst.copy_from_slice(&length);
        }
        if out.len() < MULTI_SZ + bytes {
            return (STATUS_BUFFER_OVERFLOW, MULTI_SZ);
        }
        let _ = write_units(out, MULTI_SZ, multi_sz);
        (STATUS_SUCCESS, MULTI_SZ + bytes)
    }
}

/// The path `QUERY_DOS_VOLUME_PATH` gives for `volume` into `path`, its two NULs
/// included: its units (0 if it has neither a drive letter nor a volume name).
fn dos_path_of(volume: &Volume, path: &mut [u16; 50]) -> usize {
    if let Some(letter) = volume.drive_letter() {
        path[0] = u16::from(letter);
        path[1] = u16::from(b':');
        return 4;
    }
    let Some(name) = volume
        .links()
        .iter()
        .find(|l| is_volume_name(l.as_units()))
        .and_then(|l| l.as_units().get(..48))
    else {
        return 0;
    };
    path[..48].copy_from_slice(name);
    path[1] = u16::from(b'\\');
    50
}
