//! `IOCTL_MOUNTMGR_QUERY_POINTS` and `IOCTL_MOUNTMGR_DELETE_POINTS`: one
//! `MOUNTMGR_MOUNT_POINT` in, `MOUNTMGR_MOUNT_POINTS` out.

use core::fmt::{self, Write};

use zerocopy::FromZeros;

use crate::codes::{
    STATUS_BUFFER_OVERFLOW, STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS,
};
use crate::device::Requery;
use crate::layout::{
    MountmgrMountPoint, MountmgrMountPoints, field_bytes, len32, read, write_at, write_units,
};
use crate::names::{Bytes, DeviceName, LinkName, Text, UniqueId};
use crate::state::{LINKS_PER_VOLUME, VOLUME_CAPACITY, Volumes};
use crate::{Env, MountManager};

/// `sizeof(MOUNTMGR_MOUNT_POINT)`.
const POINT: usize = size_of::<MountmgrMountPoint>();
/// `sizeof(MOUNTMGR_MOUNT_POINTS)`: the smallest output buffer accepted.
pub const POINTS: usize = size_of::<MountmgrMountPoints>();
/// Where the entries start in the reply.
const ENTRIES: usize = core::mem::offset_of!(MountmgrMountPoints, mount_points);
/// `MAXSHORT`: the longest name `ReactOS` accepts.
const MAX_NAME_BYTES: usize = 0x7FFF;

/// One field of the input triple.
#[derive(Clone, Copy)]
pub enum Field<T> {
    /// Length zero: not part of the match.
    Absent,
    /// Given.
    Given(T),
    /// Given, but longer than anything the double holds: matches nothing.
    TooLong,
}

impl<T> Field<T> {
    const fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }
}

/// A parsed `MOUNTMGR_MOUNT_POINT` request.
pub struct Triple {
    link: Field<LinkName>,
    uid: Field<UniqueId>,
    device: Field<DeviceName>,
}

impl Triple {
    /// Only the symbolic link name is given: the form whose `DELETE_POINTS` has no
    /// side effect on later arrivals.
    pub const fn is_link_only(&self) -> bool {
        !self.link.is_absent() && self.uid.is_absent() && self.device.is_absent()
    }
}

impl<T> Field<T> {
    /// The field with `f` applied to its value.
    fn map<'a, U>(&'a self, f: impl FnOnce(&'a T) -> U) -> Field<U> {
        match self {
            Self::Absent => Field::Absent,
            Self::Given(v) => Field::Given(f(v)),
            Self::TooLong => Field::TooLong,
        }
    }
}

/// Writes ` key=value` (the first without the space) for a present field.
fn show<D: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    any: &mut bool,
    key: &str,
    field: Field<D>,
) -> fmt::Result {
    let value = match field {
        Field::Absent => return Ok(()),
        Field::Given(v) => Some(v),
        Field::TooLong => None,
    };
    f.write_str(if *any { " " } else { "" })?;
    *any = true;
    match value {
        Some(v) => write!(f, "{key}={v}"),
        None => write!(f, "{key}=(too-long)"),
    }
}

impl fmt::Display for Triple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut any = false;
        let link = self.link.map(|l| Text(l.as_units()));
        show(f, &mut any, "link", link)?;
        let uid = self.uid.map(|u| Bytes(u.as_bytes()));
        show(f, &mut any, "uid", uid)?;
        let device = self.device.map(|d| Text(d.as_units()));
        show(f, &mut any, "device", device)?;
        if any { Ok(()) } else { f.write_str("all") }
    }
}

/// Reads one field of the input triple: absent if its length is 0.
fn field(input: &[u8], offset: u32, length: u16) -> Result<Option<&[u8]>, &'static str> {
    if length == 0 {
        return Ok(None);
    }
    field_bytes(input, len32(offset), usize::from(length), POINT).map(Some)
}

/// Parses the input of `QUERY_POINTS` / `DELETE_POINTS`. `Err` is a reason for
/// `STATUS_INVALID_PARAMETER`.
pub fn parse_triple(input: &[u8]) -> Result<Triple, &'static str> {
    let p = read::<MountmgrMountPoint>(input)
        .ok_or("input shorter than MOUNTMGR_MOUNT_POINT (24 bytes)")?;
    let link = field(
        input,
        p.symbolic_link_name_offset,
        p.symbolic_link_name_length,
    )?;
    let uid = field(input, p.unique_id_offset, p.unique_id_length)?;
    let device = field(input, p.device_name_offset, p.device_name_length)?;
    if link.is_some_and(|l| l.len() > MAX_NAME_BYTES)
        || device.is_some_and(|d| d.len() > MAX_NAME_BYTES)
    {
        return Err("a name longer than MAXSHORT bytes");
    }
    Ok(Triple {
        link: link.map_or(Field::Absent, |b| {
            LinkName::from_le_bytes(b).map_or(Field::TooLong, Field::Given)
        }),
        uid: uid.map_or(Field::Absent, |b| {
            UniqueId::new(b).map_or(Field::TooLong, Field::Given)
        }),
        device: device.map_or(Field::Absent, |b| {
            DeviceName::from_le_bytes(b).map_or(Field::TooLong, Field::Given)
        }),
    })
}

/// The points a request matched: bit `k` of `links[i]` is link `k` of volume `i`;
/// bit `i` of `volumes` is a volume the unique ID or device name selected.
#[derive(Clone, Copy, Default)]
pub struct Selection {
    links: [u8; VOLUME_CAPACITY],
    volumes: u8,
}

const _: () = assert!(LINKS_PER_VOLUME <= 8 && VOLUME_CAPACITY <= 8);

impl Selection {
    fn points<'a>(&'a self, volumes: &'a Volumes) -> impl Iterator<Item = (usize, usize)> + 'a {
        volumes.all().iter().enumerate().flat_map(move |(i, v)| {
            let mask = self.links.get(i).copied().unwrap_or(0);
            (0..v.links().len())
                .filter(move |k| mask & (1 << k) != 0)
                .map(move |k| (i, k))
        })
    }

    /// How many points.
    pub fn count(&self) -> usize {
        self.links.iter().map(|m| m.count_ones() as usize).sum()
    }
}

/// The reply bytes a selection needs: `(count, size)`.
fn reply_size(volumes: &Volumes, sel: &Selection) -> (usize, usize) {
    let mut count = 0;
    let mut data = 0;
    for (i, k) in sel.points(volumes) {
        if let Some(v) = volumes.get(i) {
            count += 1;
            data += v.uid.as_bytes().len()
                + v.device.byte_len()
                + v.links().get(k).map_or(0, LinkName::byte_len);
        }
    }
    (count, (ENTRIES + count * POINT + data).max(POINTS))
}

/// Writes the `MOUNTMGR_MOUNT_POINTS` reply for `sel` into `out`: (status,
/// Information). Each point's unique ID, device name and link name follow the
/// entries, at offsets from the reply's start; `Size` is the bytes used (at least
/// `sizeof(MOUNTMGR_MOUNT_POINTS)`). A reply that does not fit gets
/// `STATUS_BUFFER_OVERFLOW`, the header with `Size` and `NumberOfMountPoints` set,
/// and `Information` = 32.
pub fn write_reply(volumes: &Volumes, sel: &Selection, out: &mut [u8]) -> (i32, usize) {
    let (count, size) = reply_size(volumes, sel);
    let header = MountmgrMountPoints {
        size: u32::try_from(size).unwrap_or(u32::MAX),
        number_of_mount_points: u32::try_from(count).unwrap_or(u32::MAX),
        mount_points: [MountmgrMountPoint::default()],
    };
    let Some(room) = out.get_mut(..size) else {
        if let Some(head) = out.get_mut(..POINTS) {
            head.fill(0);
            let _ = write_at(head, 0, &header);
        }
        return (STATUS_BUFFER_OVERFLOW, POINTS);
    };
    room.fill(0);
    let _ = write_at(room, 0, &header);
    let mut at = ENTRIES + count * POINT;
    for (n, (i, k)) in sel.points(volumes).enumerate() {
        let (Some(v), Some(link)) = (
            volumes.get(i),
            volumes.get(i).and_then(|v| v.links().get(k)),
        ) else {
            continue;
        };
        let uid = v.uid.as_bytes();
        let entry = MountmgrMountPoint {
            unique_id_offset: offset32(at),
            unique_id_length: len16(uid.len()),
            device_name_offset: offset32(at + uid.len()),
            device_name_length: len16(v.device.byte_len()),
            symbolic_link_name_offset: offset32(at + uid.len() + v.device.byte_len()),
            symbolic_link_name_length: len16(link.byte_len()),
            ..MountmgrMountPoint::default()
        };
        let _ = write_at(room, ENTRIES + n * POINT, &entry);
        if let Some(dst) = room.get_mut(at..at + uid.len()) {
            dst.copy_from_slice(uid);
        }
        at += uid.len();
        let _ = write_units(room, at, v.device.as_units());
        at += v.device.byte_len();
        let _ = write_units(room, at, link.as_units());
        at += link.byte_len();
    }
    (STATUS_SUCCESS, size)
}

fn offset32(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

fn len16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

impl MountManager {
    /// The points `triple` matches: every given field must match (link and device
    /// names ignoring case, the unique ID byte for byte). A given device name is
    /// re-queried; a device that cannot be opened is matched by the given name in the
    /// double's list. `Err` is the status the request fails with.
    pub(crate) fn select<E: Env>(
        &mut self,
        env: &mut E,
        triple: &Triple,
    ) -> Result<Selection, i32> {
        let mut candidates: u8 = u8::MAX;
        match &triple.device {
            Field::Absent => {}
            Field::TooLong => return self.not_listed("device name"),
            Field::Given(name) => {
                let i = match self.requery(env, name) {
                    Requery::Listed(i) => i,
                    Requery::NotListed => return self.not_listed("device name"),
                    Requery::Failed(status) => return Err(status),
                    Requery::Unopenable(_) => match self.volumes.find_device(name.as_units()) {
                        Some(i) => {
                            self.note(|w| w.write_str("matched by the given name in the list"));
                            i
                        }
                        None => return self.not_listed("device name"),
                    },
                };
                candidates &= 1 << i;
            }
        }
        match &triple.uid {
            Field::Absent => {}
            Field::TooLong => return self.not_listed("unique ID"),
            Field::Given(uid) => {
                let mut mask = 0;
                for (i, v) in self.volumes.all().iter().enumerate() {
                    if v.uid == *uid {
                        mask |= 1 << i;
                    }
                }
                candidates &= mask;
                if candidates == 0 {
                    return self.not_listed("unique ID");
                }
            }
        }
        let mut sel = Selection::default();
        for (i, v) in self.volumes.all().iter().enumerate() {
            if candidates & (1 << i) == 0 {
                continue;
            }
            sel.volumes |= 1 << i;
            for (k, link) in v.links().iter().enumerate() {
                let wanted = match &triple.link {
                    Field::Absent => true,
                    Field::Given(l) => link.eq_ignore_case(l.as_units()),
                    Field::TooLong => false,
                };
                if let (true, Some(mask)) = (wanted, sel.links.get_mut(i)) {
                    *mask |= 1 << k;
                }
            }
        }
        if !triple.link.is_absent() && sel.count() == 0 {
            self.note(|w| w.write_str("no point has that link name"));
            return Err(STATUS_OBJECT_NAME_NOT_FOUND);
        }
        Ok(sel)
    }

    fn not_listed(&mut self, what: &str) -> Result<Selection, i32> {
        self.note(|w| write!(w, "no listed volume has that {what}"));
        Err(STATUS_INVALID_PARAMETER)
    }

    /// `QUERY_POINTS`; (status, Information).
    pub(crate) fn query_points<E: Env>(
        &mut self,
        env: &mut E,
        triple: &Triple,
        out: &mut [u8],
    ) -> (i32, usize, Selection) {
        if out.len() < POINTS {
            self.note(|w| w.write_str("output shorter than MOUNTMGR_MOUNT_POINTS (32 bytes)"));
            return (STATUS_INVALID_PARAMETER, 0, Selection::default());
        }
        match self.select(env, triple) {
            Ok(sel) => {
                let (status, info) = write_reply(&self.volumes, &sel, out);
                (status, info, sel)
            }
            Err(status) => (status, 0, Selection::default()),
        }
    }

    /// `DELETE_POINTS`: the matched points are listed in the reply (as
    /// `QUERY_POINTS` would), then each link is deleted, its database value
    /// removed and `LINK_DELETED` sent to its device if it can be opened. Nothing
    /// is deleted when the reply does not fit. Unless only the link name was
    /// given, later arrivals of the selected volumes' unique IDs are ignored.
    pub(crate) fn delete_points<E: Env>(
        &mut self,
        env: &mut E,
        triple: &Triple,
        out: &mut [u8],
    ) -> (i32, usize, Selection) {
        let (status, info, sel) = self.query_points(env, triple, out);
        if status != STATUS_SUCCESS {
            if status == STATUS_BUFFER_OVERFLOW {
                self.note(|w| w.write_str("the reply does not fit: nothing deleted"));
            }
            return (status, info, sel);
        }
        for i in 0..self.volumes.all().len() {
            let mask = sel.links.get(i).copied().unwrap_or(0);
            let Some(volume) = self.volumes.get(i).copied() else {
                continue;
            };
            let mut doomed = [LinkName::new_zeroed(); LINKS_PER_VOLUME];
            let mut n = 0;
            for (k, link) in volume.links().iter().enumerate() {
                if let (true, Some(slot)) = (mask & (1 << k) != 0, doomed.get_mut(n)) {
                    *slot = *link;
                    n += 1;
                }
            }
            let doomed = doomed.get(..n).unwrap_or(&[]);
            for link in doomed {
                self.delete_link(env, link);
                self.unstore(env, link);
                if let Some(v) = self.volumes.get_mut(i) {
                    v.remove_link(link.as_units());
                }
            }
            if !doomed.is_empty() {
                let mut session = self.open_write(env, &volume.device);
                for link in doomed {
                    self.link_deleted(env, &mut session, link);
                }
                Self::close(env, session);
            }
            if !triple.is_link_only() && sel.volumes & (1 << i) != 0 {
                self.ignored.insert(&volume.uid);
                self.note(|w| {
                    write!(
                        w,
                        "later arrivals of uid={} will be ignored",
                        Bytes(volume.uid.as_bytes())
                    )
                });
            }
        }
        (status, info, sel)
    }
}
