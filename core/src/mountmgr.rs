//! The driver's side of the mount-manager protocol.
//!
//! The requests it sends (`VOLUME_ARRIVAL_NOTIFICATION`, `QUERY_POINTS`,
//! `CREATE_POINT`, `DELETE_POINTS`), how it reads the `MOUNTMGR_MOUNT_POINTS` reply,
//! and what it does next.
//!
//! The sequence (run by the driver on a system thread after the disk device is
//! published; the README's *Volume registration* section tells it for users):
//!
//! 1. open the mount manager; announce the volume (`ARRIVAL`);
//! 2. `QUERY_POINTS` by the device name, and [`plan`] from the drive letters listed:
//!    keep the configured letter if the mount manager restored it, delete any other,
//!    create the configured one if it is missing;
//! 3. after a failed `CREATE_POINT`, [`after_create`] decides: a taken letter fails
//!    the start; anything else asks `QUERY_POINTS` once more, and [`after_requery`]
//!    decides whether the driver's own link is needed.
//!
//! The driver makes its own `\DosDevices\X:` link exactly when the mount manager
//! does not own the volume ([`Fallback`]), and never while `QUERY_POINTS` lists a
//! drive letter for the device.

use core::fmt;

use zerocopy::{FromBytes, FromZeros, IntoBytes};

use crate::disk::{DosDeviceName, Utf16Buf, ascii_utf16};
use crate::status::{self, STATUS_BUFFER_OVERFLOW, STATUS_OBJECT_NAME_COLLISION, STATUS_SUCCESS};
use crate::wire::mountmgr::{
    MOUNTMGR_MOUNT_POINTS_SIZE, MOUNTMGR_TARGET_NAME_SIZE, MountmgrCreatePointInput,
    MountmgrMountPoint, MountmgrMountPointsHeader, MountmgrTargetNameHeader,
};
use crate::wire::{U16, U32};

/// `\Device\MountPointManager`, the mount manager's device (`MOUNTMGR_DEVICE_NAME`).
pub const MOUNT_POINT_MANAGER: [u16; 25] = ascii_utf16(r"\Device\MountPointManager");

/// The longest mount-manager device name the test hook (`MountManagerDevice`) accepts,
/// in UTF-16 units.
pub const MOUNT_MANAGER_NAME_CAPACITY: usize = 64;

/// The NT device name requests go to: [`MOUNT_POINT_MANAGER`], or the test double's.
pub type MountManagerName = Utf16Buf<MOUNT_MANAGER_NAME_CAPACITY>;

/// The mount manager's real name as a [`MountManagerName`].
#[must_use]
pub const fn mount_point_manager() -> MountManagerName {
    let mut name = MountManagerName::new();
    // 25 ASCII units fit 64.
    let _ = name.push_ascii(br"\Device\MountPointManager");
    name
}

/// `MountManagerDevice`, the fault-injection build's test hook.
///
/// The `REG_SZ` NT device name the driver sends every mount-manager request to
/// instead of [`MOUNT_POINT_MANAGER`]. The release driver never reads it.
pub const MOUNT_MANAGER_DEVICE_VALUE: [u16; 18] = ascii_utf16("MountManagerDevice");

/// The most data `MountManagerDevice` may have: 64 units and a NUL.
pub const MOUNT_MANAGER_VALUE_MAX: usize = 2 * (MOUNT_MANAGER_NAME_CAPACITY + 1);

/// Why `MountManagerDevice` was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookError {
    /// Not `REG_SZ` (the type found).
    WrongType(u32),
    /// Odd length, or longer than 64 characters (the bytes found).
    WrongSize(usize),
    /// Empty, not starting with `\`, or with a NUL inside.
    NotADeviceName,
}

impl HookError {
    /// The `NTSTATUS` `DriverEntry` fails with, as for the other values.
    #[must_use]
    pub const fn status(self) -> i32 {
        match self {
            Self::WrongType(_) => status::STATUS_OBJECT_TYPE_MISMATCH,
            Self::WrongSize(_) => status::STATUS_INVALID_BUFFER_SIZE,
            Self::NotADeviceName => status::STATUS_INVALID_PARAMETER,
        }
    }
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::WrongType(t) => write!(f, "MountManagerDevice: has type {t}, expected REG_SZ"),
            Self::WrongSize(n) => write!(
                f,
                "MountManagerDevice: {n} bytes; expected an NT device name of at most {MOUNT_MANAGER_NAME_CAPACITY} characters"
            ),
            Self::NotADeviceName => {
                f.write_str("MountManagerDevice: not an NT device name (\\Device\\...)")
            }
        }
    }
}

/// Reads `MountManagerDevice` (`reg_type` and its data): a `REG_SZ` of 1 to 64
/// characters starting with `\`, trailing NULs dropped, none inside.
///
/// # Errors
/// [`HookError`] naming what is wrong.
pub fn parse_mount_manager_device(
    reg_type: u32,
    data: &[u8],
) -> Result<MountManagerName, HookError> {
    if reg_type != crate::config::REG_SZ {
        return Err(HookError::WrongType(reg_type));
    }
    if !data.len().is_multiple_of(2) || data.len() > MOUNT_MANAGER_VALUE_MAX {
        return Err(HookError::WrongSize(data.len()));
    }
    let mut end = data.len();
    while end >= 2 && data.get(end - 2..end) == Some(&[0, 0]) {
        end -= 2;
    }
    let text = data.get(..end).unwrap_or(&[]);
    let mut name = MountManagerName::new();
    name.push_units(units(text))
        .map_err(|_| HookError::WrongSize(data.len()))?;
    let s = name.as_slice();
    if s.first() != Some(&u16::from(b'\\')) || s.contains(&0) {
        return Err(HookError::NotADeviceName);
    }
    Ok(name)
}

/// Room for an encoded request: a `MOUNTMGR_CREATE_POINT_INPUT` with a
/// 28-byte link and a device name of up to 64 units is 8 + 28 + 128 = 164 bytes.
pub const REQUEST_CAPACITY: usize = 168;

/// The largest `MOUNTMGR_MOUNT_POINTS` reply the driver asks for (`Size` beyond this
/// is treated as a malformed reply): a disk has a handful of points.
pub const MAX_POINTS_REPLY: usize = 64 * 1024;

/// An encoded request: the bytes the glue passes as the input buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    bytes: [u8; REQUEST_CAPACITY],
    len: usize,
}

impl Request {
    /// The input buffer.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// A request of `len` bytes (zeroed).
    const fn zeroed(len: usize) -> Option<Self> {
        if len > REQUEST_CAPACITY {
            return None;
        }
        Some(Self {
            bytes: [0; REQUEST_CAPACITY],
            len,
        })
    }

    /// Writes `units` as UTF-16LE at `at`.
    fn put_utf16(&mut self, at: usize, units: &[u16]) -> Option<()> {
        let dst = self.bytes.get_mut(at..at + 2 * units.len())?;
        for (pair, unit) in dst.chunks_exact_mut(2).zip(units) {
            pair.copy_from_slice(&unit.to_le_bytes());
        }
        Some(())
    }
}

/// `name` in bytes, as a `USHORT` length (names here are short).
fn byte_len(name: &[u16]) -> Option<u16> {
    u16::try_from(2 * name.len()).ok()
}

/// `MOUNTMGR_TARGET_NAME` for `device_name`: the input of
/// `IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION` (at least `sizeof` = 4 bytes).
#[must_use]
pub fn arrival(device_name: &[u16]) -> Option<Request> {
    let header = size_of::<MountmgrTargetNameHeader>();
    let length = byte_len(device_name)?;
    let mut r = Request::zeroed((header + usize::from(length)).max(MOUNTMGR_TARGET_NAME_SIZE))?;
    MountmgrTargetNameHeader {
        device_name_length: U16::new(length),
    }
    .write_to_prefix(&mut r.bytes)
    .ok()?;
    r.put_utf16(header, device_name)?;
    Some(r)
}

/// A `MOUNTMGR_MOUNT_POINT` whose only field is `name`, stored after it: the link
/// name (`link` true) or the device name.
fn point_naming(name: &[u16], link: bool) -> Option<Request> {
    let at = size_of::<MountmgrMountPoint>();
    let (offset, length) = (U32::new(u32::try_from(at).ok()?), U16::new(byte_len(name)?));
    let mut r = Request::zeroed(at + 2 * name.len())?;
    let mut point = MountmgrMountPoint::new_zeroed();
    if link {
        point.symbolic_link_name_offset = offset;
        point.symbolic_link_name_length = length;
    } else {
        point.device_name_offset = offset;
        point.device_name_length = length;
    }
    point.write_to_prefix(&mut r.bytes).ok()?;
    r.put_utf16(at, name)?;
    Some(r)
}

/// A `MOUNTMGR_MOUNT_POINT` naming only the device: the input of
/// `IOCTL_MOUNTMGR_QUERY_POINTS` for "every point of this device".
#[must_use]
pub fn query_by_device(device_name: &[u16]) -> Option<Request> {
    point_naming(device_name, false)
}

/// A `MOUNTMGR_MOUNT_POINT` naming only the symbolic link `\DosDevices\X:`.
///
/// The input of `IOCTL_MOUNTMGR_DELETE_POINTS` in the link-name form (what
/// `DeleteVolumeMountPointW` sends; the unique-ID and device-name forms would make
/// the mount manager ignore later arrivals of the disk's unique ID).
#[must_use]
pub fn delete_link(link: &DosDeviceName) -> Option<Request> {
    point_naming(link, true)
}

/// `MOUNTMGR_CREATE_POINT_INPUT`: `link` (`\DosDevices\X:`, upper case, 28 bytes)
/// to `device_name`, the names after the structure.
#[must_use]
pub fn create_point(link: &DosDeviceName, device_name: &[u16]) -> Option<Request> {
    let at = size_of::<MountmgrCreatePointInput>();
    let (link_len, device_len) = (byte_len(link)?, byte_len(device_name)?);
    let device_at = at + usize::from(link_len);
    let mut r = Request::zeroed(device_at + usize::from(device_len))?;
    MountmgrCreatePointInput {
        symbolic_link_name_offset: U16::new(u16::try_from(at).ok()?),
        symbolic_link_name_length: U16::new(link_len),
        device_name_offset: U16::new(u16::try_from(device_at).ok()?),
        device_name_length: U16::new(device_len),
    }
    .write_to_prefix(&mut r.bytes)
    .ok()?;
    r.put_utf16(at, link)?;
    r.put_utf16(device_at, device_name)?;
    Some(r)
}

/// A set of drive letters `A`..=`Z`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LetterSet(u32);

impl LetterSet {
    /// No letter.
    pub const EMPTY: Self = Self(0);

    /// The bit of `letter` (upper or lower case), if it is one.
    const fn bit(letter: u8) -> Option<u32> {
        let upper = letter.to_ascii_uppercase();
        if upper.is_ascii_uppercase() {
            Some(1 << (upper - b'A'))
        } else {
            None
        }
    }

    /// Adds `letter` (ignored if it is not `A`..=`Z`).
    pub const fn insert(&mut self, letter: u8) {
        if let Some(bit) = Self::bit(letter) {
            self.0 |= bit;
        }
    }

    /// Whether `letter` is in the set.
    #[must_use]
    pub const fn contains(self, letter: u8) -> bool {
        match Self::bit(letter) {
            Some(bit) => self.0 & bit != 0,
            None => false,
        }
    }

    /// No letters.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many letters.
    #[must_use]
    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// The set without `letter`.
    #[must_use]
    pub fn without(self, letter: u8) -> Self {
        Self::bit(letter).map_or(self, |bit| Self(self.0 & !bit))
    }

    /// The letters, `A` first, upper case.
    pub fn iter(self) -> impl Iterator<Item = u8> {
        (b'A'..=b'Z').filter(move |&l| self.contains(l))
    }
}

impl fmt::Display for LetterSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, letter) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{}:", char::from(letter))?;
        }
        Ok(())
    }
}

/// What a `QUERY_POINTS` reply says about a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Points {
    /// How many mount points the mount manager lists for the device (drive letters,
    /// `\??\Volume{GUID}` names, folder mount points).
    pub count: u32,
    /// The drive letters among them (`\DosDevices\X:` links).
    pub letters: LetterSet,
}

/// The reply to a `QUERY_POINTS`, read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryReply {
    /// The list.
    Listed(Points),
    /// `STATUS_BUFFER_OVERFLOW`: ask again with this many bytes (`Size`).
    Overflow(usize),
}

/// Why a `QUERY_POINTS` reply could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// The request failed with this status.
    Status(i32),
    /// The reply breaks the structure's rules (what is wrong).
    Malformed(&'static str),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Status(s) => write!(
                f,
                "failed with {:#010x} ({})",
                s.cast_unsigned(),
                status::name(s)
            ),
            Self::Malformed(what) => write!(f, "malformed reply: {what}"),
        }
    }
}

/// The UTF-16 units of little-endian `bytes` (an odd last byte is ignored).
fn units(bytes: &[u8]) -> impl ExactSizeIterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
}

/// `unit` with ASCII letters folded to lower case.
const fn fold(unit: u16) -> u16 {
    if unit < 0x80 {
        // An ASCII unit fits a byte.
        #[expect(clippy::cast_possible_truncation, reason = "< 0x80")]
        let byte = unit as u8;
        byte.to_ascii_lowercase() as u16
    } else {
        unit
    }
}

/// The drive letter of a `\DosDevices\X:` link (UTF-16LE bytes, any case), if it is one.
#[must_use]
pub fn drive_letter_of(link: &[u8]) -> Option<u8> {
    const PREFIX: [u16; 12] = ascii_utf16(r"\DosDevices\");
    if link.len() != 2 * (PREFIX.len() + 2) {
        return None;
    }
    let mut got = units(link);
    if !got
        .by_ref()
        .take(PREFIX.len())
        .zip(PREFIX)
        .all(|(a, b)| fold(a) == fold(b))
    {
        return None;
    }
    let letter = u8::try_from(got.next()?).ok()?.to_ascii_uppercase();
    (letter.is_ascii_uppercase() && got.next()? == u16::from(b':')).then_some(letter)
}

/// UTF-16LE `bytes` equal `name`, ignoring ASCII case (how the mount manager
/// compares device names).
fn same_name(bytes: &[u8], name: &[u16]) -> bool {
    bytes.len() == 2 * name.len() && units(bytes).zip(name).all(|(a, &b)| fold(a) == fold(b))
}

/// `reply[offset..offset + length]`, or the reason it is not inside `reply`.
fn field(reply: &[u8], offset: u32, length: u16) -> Result<&[u8], QueryError> {
    let start = usize::try_from(offset).map_err(|_| QueryError::Malformed("offset"))?;
    reply
        .get(start..start + usize::from(length))
        .ok_or(QueryError::Malformed("a name lies outside the reply"))
}

/// Reads the reply to `QUERY_POINTS` by `device_name`: `status` and the `reply`
/// bytes (`Information` of them). Points of other devices (a mount manager that
/// ignores the filter) are not counted.
///
/// # Errors
/// [`QueryError::Status`] for a failed request, [`QueryError::Malformed`] for a
/// reply that breaks `MOUNTMGR_MOUNT_POINTS`' rules.
pub fn read_points(
    status: i32,
    reply: &[u8],
    device_name: &[u16],
) -> Result<QueryReply, QueryError> {
    if status == STATUS_BUFFER_OVERFLOW {
        let (size, _) = U32::read_from_prefix(reply)
            .map_err(|_| QueryError::Malformed("overflow without Size"))?;
        let size = usize::try_from(size.get()).unwrap_or(usize::MAX);
        if size <= reply.len() || size > MAX_POINTS_REPLY {
            return Err(QueryError::Malformed("implausible Size"));
        }
        return Ok(QueryReply::Overflow(size));
    }
    if status != STATUS_SUCCESS {
        return Err(QueryError::Status(status));
    }
    let (header, _) = MountmgrMountPointsHeader::read_from_prefix(reply)
        .map_err(|_| QueryError::Malformed("shorter than its header"))?;
    let entry = size_of::<MountmgrMountPoint>();
    let header_len = size_of::<MountmgrMountPointsHeader>();
    let listed = usize::try_from(header.number_of_mount_points.get())
        .map_err(|_| QueryError::Malformed("NumberOfMountPoints"))?;
    if listed > (reply.len() - header_len) / entry {
        return Err(QueryError::Malformed("more points than the reply holds"));
    }
    let mut points = Points {
        count: 0,
        letters: LetterSet::EMPTY,
    };
    for i in 0..listed {
        let at = header_len + i * entry;
        let (p, _) = reply
            .get(at..)
            .and_then(|rest| MountmgrMountPoint::read_from_prefix(rest).ok())
            .ok_or(QueryError::Malformed("entry"))?;
        let device = field(
            reply,
            p.device_name_offset.get(),
            p.device_name_length.get(),
        )?;
        let link = field(
            reply,
            p.symbolic_link_name_offset.get(),
            p.symbolic_link_name_length.get(),
        )?;
        field(reply, p.unique_id_offset.get(), p.unique_id_length.get())?;
        if !same_name(device, device_name) {
            continue;
        }
        points.count += 1;
        if let Some(letter) = drive_letter_of(link) {
            points.letters.insert(letter);
        }
    }
    Ok(QueryReply::Listed(points))
}

/// The output buffer the first `QUERY_POINTS` uses: `sizeof(MOUNTMGR_MOUNT_POINTS)` is
/// the least the mount manager accepts; this holds a few points at once.
pub const FIRST_QUERY_BYTES: usize = 1024;
const _: () = assert!(FIRST_QUERY_BYTES >= MOUNTMGR_MOUNT_POINTS_SIZE);

/// Why the driver makes its own drive-letter link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// The mount manager's device could not be opened.
    CannotOpen(i32),
    /// `VOLUME_ARRIVAL_NOTIFICATION` failed: `STATUS_NOT_SUPPORTED` is Wine's mount
    /// manager (which takes no volumes from drivers); any other status means the
    /// volume was rejected.
    ArrivalFailed(i32),
    /// `QUERY_POINTS` after the arrival failed or could not be read.
    QueryFailed(QueryError),
    /// `QUERY_POINTS` after the arrival does not list the device.
    NotListed,
    /// `CREATE_POINT` failed and the mount manager still lists no drive letter.
    NoLetter(i32),
}

impl Fallback {
    /// Whether this is what an environment whose mount manager takes no volumes from
    /// drivers answers (Wine's: `STATUS_NOT_SUPPORTED` to the arrival) rather than a
    /// failure: Windows' mount manager always takes the arrival.
    #[must_use]
    pub const fn expected_without_mount_manager(&self) -> bool {
        matches!(*self, Self::ArrivalFailed(st) if st == status::STATUS_NOT_SUPPORTED)
    }
}

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |s: i32| (s.cast_unsigned(), status::name(s));
        match *self {
            Self::CannotOpen(st) => {
                let (v, n) = s(st);
                write!(f, "the mount manager cannot be opened ({v:#010x}, {n})")
            }
            Self::ArrivalFailed(st) if st == status::STATUS_NOT_SUPPORTED => {
                let (v, n) = s(st);
                write!(
                    f,
                    "the mount manager does not take volume arrivals ({v:#010x}, {n}: Wine's does not)"
                )
            }
            Self::ArrivalFailed(st) => {
                let (v, n) = s(st);
                write!(f, "the mount manager rejected the volume ({v:#010x}, {n})")
            }
            Self::QueryFailed(e) => write!(f, "QUERY_POINTS after the arrival {e}"),
            Self::NotListed => {
                f.write_str("the mount manager does not list the volume after its arrival")
            }
            Self::NoLetter(st) => {
                let (v, n) = s(st);
                write!(
                    f,
                    "CREATE_POINT failed ({v:#010x}, {n}) and the volume still has no drive letter"
                )
            }
        }
    }
}

/// What to do after the first `QUERY_POINTS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// The mount manager does not own the volume: make our own link.
    Fallback(Fallback),
    /// Delete these drive letters (`DELETE_POINTS` by link name), then create the
    /// configured one if `create`.
    Reconcile {
        /// Letters the mount manager gave the device other than the configured one.
        delete: LetterSet,
        /// The configured letter is not among the device's points.
        create: bool,
    },
}

/// The plan for a device whose points are `points` and whose configured drive letter
/// is `letter`.
#[must_use]
pub fn plan(points: Points, letter: u8) -> Plan {
    if points.count == 0 {
        return Plan::Fallback(Fallback::NotListed);
    }
    Plan::Reconcile {
        delete: points.letters.without(letter),
        create: !points.letters.contains(letter),
    }
}

/// What a failed or successful `CREATE_POINT` leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterCreate {
    /// The mount manager owns the configured letter.
    Owned,
    /// The letter is taken: the start fails with `STATUS_OBJECT_NAME_COLLISION`.
    Taken,
    /// Another failure: ask `QUERY_POINTS` once more and decide with [`after_requery`].
    Requery(i32),
}

/// The meaning of `CREATE_POINT`'s status.
#[must_use]
pub const fn after_create(status: i32) -> AfterCreate {
    match status {
        STATUS_SUCCESS => AfterCreate::Owned,
        STATUS_OBJECT_NAME_COLLISION => AfterCreate::Taken,
        other => AfterCreate::Requery(other),
    }
}

/// Where the volume ended up after a failed `CREATE_POINT` (status `create_status`)
/// and a second `QUERY_POINTS` (`points`, or its error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// The mount manager owns a drive letter for the device: the configured one, or
    /// the letters listed (then no link is made: never two owners of a volume).
    Owned(LetterSet),
    /// Make our own link.
    Fallback(Fallback),
}

/// See [`Settled`].
#[must_use]
pub const fn after_requery(create_status: i32, points: Result<Points, QueryError>) -> Settled {
    match points {
        Ok(p) if !p.letters.is_empty() => Settled::Owned(p.letters),
        Ok(_) => Settled::Fallback(Fallback::NoLetter(create_status)),
        Err(e) => Settled::Fallback(Fallback::QueryFailed(e)),
    }
}

#[cfg(test)]
mod tests;
