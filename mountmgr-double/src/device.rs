//! Talking to a volume device: handles, the queries (with their strict checks) and
//! the notifications, each recorded in the transcript.

use core::fmt::Write;

use crate::codes::{
    IOCTL_DISK_GET_PARTITION_INFO_EX, IOCTL_MOUNTDEV_LINK_CREATED, IOCTL_MOUNTDEV_LINK_DELETED,
    IOCTL_MOUNTDEV_QUERY_DEVICE_NAME, IOCTL_MOUNTDEV_QUERY_STABLE_GUID,
    IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME, IOCTL_MOUNTDEV_QUERY_UNIQUE_ID,
    IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY, IOCTL_STORAGE_GET_DEVICE_NUMBER,
    IOCTL_VOLUME_GET_GPT_ATTRIBUTES, IOCTL_VOLUME_ONLINE, STATUS_BUFFER_OVERFLOW,
    STATUS_DEVICE_PROTOCOL_ERROR, STATUS_INSUFFICIENT_RESOURCES, STATUS_PENDING, STATUS_SUCCESS,
    is_error,
};
use crate::layout::{
    GPT_BASIC_DATA_ATTRIBUTE_NO_DRIVE_LETTER, MBR_PARTITION_TYPE_OFFSET, MountdevName,
    MountdevSuggestedLinkName, MountdevUniqueId, PARTITION_STYLE_MBR, PartitionInformationEx,
    PartitionInformationMbr, StorageDeviceNumber, VolumeGetGptAttributesInformation, delivered,
    read, read_at, write_units,
};
use crate::names::{
    Bytes, DEVICE_NAME_CAPACITY, DeviceName, LINK_NAME_CAPACITY, LinkName, Text,
    UNIQUE_ID_CAPACITY, UniqueId,
};
use crate::transcript::{Code, Line, Status};
use crate::{Env, MountManager};

/// An open device: the read handle (queries) and, once needed, the write handle
/// (`LINK_CREATED`, `LINK_DELETED`, `VOLUME_ONLINE`), or why it could not be opened.
pub struct Session<H> {
    pub(crate) name: DeviceName,
    read: Option<H>,
    write: Option<Result<H, i32>>,
}

/// Why a device's volume is refused: the status the request fails with. The
/// reason is in the transcript already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reject(pub i32);

/// What a device's reply to a two-step (`MOUNTDEV_NAME`-shaped) query carries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Counted {
    DeviceName,
    UniqueId,
}

impl Counted {
    const fn code(self) -> u32 {
        match self {
            Self::DeviceName => IOCTL_MOUNTDEV_QUERY_DEVICE_NAME,
            Self::UniqueId => IOCTL_MOUNTDEV_QUERY_UNIQUE_ID,
        }
    }

    const fn field(self) -> &'static str {
        match self {
            Self::DeviceName => "NameLength",
            Self::UniqueId => "UniqueIdLength",
        }
    }

    /// The most data bytes the double holds.
    const fn capacity(self) -> usize {
        match self {
            Self::DeviceName => 2 * DEVICE_NAME_CAPACITY,
            Self::UniqueId => UNIQUE_ID_CAPACITY,
        }
    }
}

/// `sizeof(MOUNTDEV_NAME)` = `sizeof(MOUNTDEV_UNIQUE_ID)`: the first buffer.
const COUNTED_HEADER: usize = size_of::<MountdevName>();
const _: () = assert!(COUNTED_HEADER == size_of::<MountdevUniqueId>());
/// Where the data starts in both.
const COUNTED_DATA: usize = core::mem::offset_of!(MountdevName, name);
const COUNTED_BUFFER: usize = COUNTED_HEADER + 2 * DEVICE_NAME_CAPACITY;
const _: () = assert!(UNIQUE_ID_CAPACITY <= 2 * DEVICE_NAME_CAPACITY);

/// The extra bytes of the second buffer of a two-step query.
///
/// None at arrival (the exact size, `FIELD_OFFSET(Name) + length`); two spare bytes
/// in the re-queries (`sizeof(struct) + length`, as `ReactOS` asks). `Information`
/// must be exact either way.
#[derive(Clone, Copy)]
pub enum Slack {
    /// The exact size.
    Exact,
    /// Two bytes more.
    Spare,
}

impl Slack {
    const fn bytes(self) -> usize {
        match self {
            Self::Exact => 0,
            Self::Spare => 2,
        }
    }
}

/// What the arrival's queries found out.
pub struct Facts {
    /// The device's name.
    pub name: DeviceName,
    /// Its unique ID.
    pub uid: UniqueId,
    /// `GPT_BASIC_DATA_ATTRIBUTE_NO_DRIVE_LETTER` was reported.
    pub no_drive_letter: bool,
    /// The stable GUID, if answered.
    pub stable_guid: Option<[u8; 16]>,
    /// The suggested link, if answered.
    pub suggested: Option<Suggested>,
}

/// A `MOUNTDEV_SUGGESTED_LINK_NAME` reply.
pub struct Suggested {
    /// `Name`.
    pub name: LinkName,
    /// `UseOnlyIfThereAreNoOtherLinks`.
    pub only_if_no_other_links: bool,
}

/// The outcome of a re-query of a device by name.
pub enum Requery {
    /// The device answered consistently: the volume at this index.
    Listed(usize),
    /// The device answered, but the double does not list it.
    NotListed,
    /// The device cannot be opened (this status).
    Unopenable(i32),
    /// The device failed or broke the protocol (the listed volume, if any, was
    /// rejected): the request fails with this status.
    Failed(i32),
}

impl MountManager {
    /// Opens `name` for the queries (a read-attributes handle).
    pub(crate) fn open<E: Env>(
        &mut self,
        env: &mut E,
        name: &DeviceName,
    ) -> Result<Session<E::Handle>, i32> {
        self.open_handle(env, name, false).map(|h| Session {
            name: *name,
            read: Some(h),
            write: None,
        })
    }

    /// A session with only a write handle (for `LINK_DELETED`); if the device
    /// cannot be opened, what is sent on it is noted as not sent.
    pub(crate) fn open_write<E: Env>(
        &mut self,
        env: &mut E,
        name: &DeviceName,
    ) -> Session<E::Handle> {
        let write = self.open_write_handle(env, name);
        Session {
            name: *name,
            read: None,
            write: Some(write),
        }
    }

    fn open_write_handle<E: Env>(
        &mut self,
        env: &mut E,
        name: &DeviceName,
    ) -> Result<E::Handle, i32> {
        self.open_handle(env, name, true)
    }

    /// `Env::open`, recorded.
    fn open_handle<E: Env>(
        &mut self,
        env: &mut E,
        name: &DeviceName,
        write: bool,
    ) -> Result<E::Handle, i32> {
        let result = env.open(name.as_units(), write);
        let status = result.as_ref().map_or_else(|s| *s, |_| STATUS_SUCCESS);
        let access = if write { "write" } else { "read" };
        self.transcript.line(|w| {
            write!(
                w,
                "  open device={} access={access} status={}",
                Text(name.as_units()),
                Status(status)
            )
        });
        result
    }

    /// Records one request the double sent: `lens` = (input, output) bytes,
    /// `reply` = (status, Information), then what `decoded` writes.
    fn sent(
        &mut self,
        code: u32,
        lens: (usize, usize),
        reply: (i32, usize),
        decoded: impl FnOnce(&mut Line<'_>) -> core::fmt::Result,
    ) {
        self.transcript.line(|w| {
            write!(
                w,
                "  ioctl={} in={} out={} status={} info={}",
                Code(code),
                lens.0,
                lens.1,
                Status(reply.0),
                reply.1
            )?;
            decoded(w)
        });
    }

    /// Closes both handles of `session`.
    pub(crate) fn close<E: Env>(env: &mut E, session: Session<E::Handle>) {
        if let Some(h) = session.read {
            env.close(h);
        }
        if let Some(Ok(h)) = session.write {
            env.close(h);
        }
    }

    /// Sends `code` on the read handle with `output` zeroed first.
    fn send<E: Env>(
        env: &mut E,
        session: &Session<E::Handle>,
        code: u32,
        input: &[u8],
        output: &mut [u8],
    ) -> (i32, usize) {
        output.fill(0);
        session
            .read
            .as_ref()
            .map_or((STATUS_DEVICE_PROTOCOL_ERROR, 0), |h| {
                env.ioctl(h, code, input, output)
            })
    }

    /// Sends `code` with no input and `output` as the buffer: (status,
    /// `Information`, the bytes delivered, `None` if `Information` exceeds the buffer).
    fn ask<'o, E: Env>(
        env: &mut E,
        session: &Session<E::Handle>,
        code: u32,
        output: &'o mut [u8],
    ) -> (i32, usize, Option<&'o [u8]>) {
        let (status, info) = Self::send(env, session, code, &[], output);
        (status, info, delivered(output, info))
    }

    /// Sends `code` on the write handle (opened on first use).
    fn send_write<E: Env>(
        &mut self,
        env: &mut E,
        session: &mut Session<E::Handle>,
        code: u32,
        input: &[u8],
    ) {
        if session.write.is_none() {
            session.write = Some(self.open_write_handle(env, &session.name));
        }
        match &session.write {
            Some(Ok(h)) => {
                let reply = env.ioctl(h, code, input, &mut []);
                self.sent(code, (input.len(), 0), reply, |w| {
                    if let Some(name) = read::<MountdevName>(input)
                        .and_then(|n| input.get(2..2 + usize::from(n.name_length)))
                    {
                        write!(w, " name={}", Text(units_of(name).as_units()))?;
                    }
                    Ok(())
                });
            }
            _ => self.note(|w| {
                write!(
                    w,
                    "{} not sent: no write handle to {}",
                    Code(code),
                    Text(session.name.as_units())
                )
            }),
        }
    }

    /// Writes `  note <text>`.
    pub(crate) fn note(&mut self, text: impl FnOnce(&mut Line<'_>) -> core::fmt::Result) {
        self.transcript.line(|w| {
            w.write_str("  note ")?;
            text(w)
        });
    }

    /// Records a rejection's reason and returns it with `status`.
    fn reject(&mut self, status: i32, code: u32, why: &str) -> Reject {
        self.note(|w| write!(w, "rejected: {} {why}", Code(code)));
        Reject(status)
    }

    /// A failed or malformed reply: the device's own error status passes through,
    /// anything else (a warning, `STATUS_PENDING`, a success of the wrong shape) is
    /// a protocol error.
    fn bad_reply(&mut self, code: u32, status: i32, why: &str) -> Reject {
        if is_error(status) {
            self.reject(status, code, "failed")
        } else {
            self.reject(STATUS_DEVICE_PROTOCOL_ERROR, code, why)
        }
    }

    /// A two-step query; the data length (the data is at `buf[2..]`).
    fn query_counted<E: Env>(
        &mut self,
        env: &mut E,
        session: &Session<E::Handle>,
        kind: Counted,
        slack: Slack,
        buf: &mut [u8; COUNTED_BUFFER + 2],
    ) -> Result<usize, Reject> {
        let code = kind.code();
        let first = buf.get_mut(..COUNTED_HEADER).unwrap_or(&mut []);
        let (status, info, reply) = Self::ask(env, session, code, first);
        let length = reply.and_then(read::<u16>).map(usize::from);
        self.sent(code, (0, COUNTED_HEADER), (status, info), |w| {
            length.map_or(Ok(()), |n| write!(w, " {}={n}", kind.field()))
        });
        let expected = status == STATUS_BUFFER_OVERFLOW
            || (status == STATUS_SUCCESS && kind == Counted::UniqueId);
        if !expected {
            return Err(self.bad_reply(
                code,
                status,
                "the 4-byte buffer must get STATUS_BUFFER_OVERFLOW",
            ));
        }
        let Some(length) = length else {
            return Err(self.reject(
                STATUS_DEVICE_PROTOCOL_ERROR,
                code,
                "reply whose Information does not cover the length field, or exceeds the buffer",
            ));
        };
        if status == STATUS_SUCCESS {
            // A unique ID of one or two bytes fits the first buffer.
            return match length {
                0 => Err(self.reject(STATUS_DEVICE_PROTOCOL_ERROR, code, "empty unique ID")),
                1 | 2 if info == COUNTED_DATA + length => Ok(length),
                1 | 2 => Err(self.reject(
                    STATUS_DEVICE_PROTOCOL_ERROR,
                    code,
                    "Information is not 2 + UniqueIdLength",
                )),
                _ => Err(self.reject(
                    STATUS_DEVICE_PROTOCOL_ERROR,
                    code,
                    "success although the ID does not fit the 4-byte buffer",
                )),
            };
        }
        if info != COUNTED_HEADER {
            return Err(self.reject(
                STATUS_DEVICE_PROTOCOL_ERROR,
                code,
                "overflow reply must have Information 4 (sizeof the structure)",
            ));
        }
        if length <= COUNTED_HEADER - COUNTED_DATA {
            return Err(self.reject(
                STATUS_DEVICE_PROTOCOL_ERROR,
                code,
                "overflow reply with a length that fits the 4-byte buffer",
            ));
        }
        if kind == Counted::DeviceName && !length.is_multiple_of(2) {
            return Err(self.reject(STATUS_DEVICE_PROTOCOL_ERROR, code, "odd NameLength"));
        }
        if length > kind.capacity() {
            return Err(self.reject(
                STATUS_INSUFFICIENT_RESOURCES,
                code,
                "length exceeds what the double holds",
            ));
        }
        self.query_counted_full(
            env,
            session,
            kind,
            COUNTED_DATA + length + slack.bytes(),
            length,
            buf,
        )
    }

    /// The second step of a two-step query: a `size`-byte buffer for `length` bytes
    /// of data.
    fn query_counted_full<E: Env>(
        &mut self,
        env: &mut E,
        session: &Session<E::Handle>,
        kind: Counted,
        size: usize,
        length: usize,
        buf: &mut [u8; COUNTED_BUFFER + 2],
    ) -> Result<usize, Reject> {
        let code = kind.code();
        let second = buf.get_mut(..size).unwrap_or(&mut []);
        let (status, info, reply) = Self::ask(env, session, code, second);
        let echoed = reply.and_then(read::<u16>).map(usize::from);
        let data = reply.and_then(|r| r.get(COUNTED_DATA..COUNTED_DATA + length));
        self.sent(code, (0, size), (status, info), |w| match (kind, data) {
            (Counted::DeviceName, Some(d)) => {
                write!(w, " name={}", Text(units_of(d).as_units()))
            }
            (Counted::UniqueId, Some(d)) => write!(w, " uid={}", Bytes(d)),
            (_, None) => Ok(()),
        });
        if status != STATUS_SUCCESS {
            return Err(self.bad_reply(
                code,
                status,
                "the full-size buffer must get STATUS_SUCCESS",
            ));
        }
        if info != COUNTED_DATA + length {
            return Err(self.reject(
                STATUS_DEVICE_PROTOCOL_ERROR,
                code,
                "Information is not 2 + the length the overflow reply gave",
            ));
        }
        if echoed != Some(length) {
            return Err(self.reject(
                STATUS_DEVICE_PROTOCOL_ERROR,
                code,
                "the length changed between the two replies",
            ));
        }
        Ok(length)
    }

    /// `QUERY_DEVICE_NAME`, two-step; the name must be `expected` (ignoring case).
    pub(crate) fn query_name<E: Env>(
        &mut self,
        env: &mut E,
        session: &Session<E::Handle>,
        slack: Slack,
        expected: &DeviceName,
    ) -> Result<DeviceName, Reject> {
        let mut buf = [0u8; COUNTED_BUFFER + 2];
        let length = self.query_counted(env, session, Counted::DeviceName, slack, &mut buf)?;
        let name = buf
            .get(COUNTED_DATA..COUNTED_DATA + length)
            .and_then(DeviceName::from_le_bytes)
            .ok_or(Reject(STATUS_DEVICE_PROTOCOL_ERROR))?;
        if !name.eq_ignore_case(expected.as_units()) {
            self.note(|w| {
                write!(
                    w,
                    "rejected: {} reports {} for the device opened as {}",
                    Code(IOCTL_MOUNTDEV_QUERY_DEVICE_NAME),
                    Text(name.as_units()),
                    Text(expected.as_units())
                )
            });
            return Err(Reject(STATUS_DEVICE_PROTOCOL_ERROR));
        }
        Ok(name)
    }

    /// `QUERY_UNIQUE_ID`, two-step.
    pub(crate) fn query_uid<E: Env>(
        &mut self,
        env: &mut E,
        session: &Session<E::Handle>,
        slack: Slack,
    ) -> Result<UniqueId, Reject> {
        let mut buf = [0u8; COUNTED_BUFFER + 2];
        let length = self.query_counted(env, session, Counted::UniqueId, slack, &mut buf)?;
        buf.get(COUNTED_DATA..COUNTED_DATA + length)
            .and_then(UniqueId::new)
            .ok_or(Reject(STATUS_DEVICE_PROTOCOL_ERROR))
    }

    /// A fixed-size query whose failure is tolerated: the reply bytes, `None` if
    /// the device failed it; a success of any other size, or any status that is
    /// neither success nor an error, rejects the volume.
    fn query_fixed<E: Env, const N: usize>(
        &mut self,
        env: &mut E,
        session: &Session<E::Handle>,
        code: u32,
        show: impl FnOnce(&mut Line<'_>, &[u8; N]) -> core::fmt::Result,
    ) -> Result<Option<[u8; N]>, Reject> {
        let mut out = [0u8; N];
        let (status, info) = Self::send(env, session, code, &[], &mut out);
        let ok = status == STATUS_SUCCESS && info == N;
        self.sent(code, (0, N), (status, info), |w| {
            if ok {
                w.write_str(" ")?;
                show(w, &out)
            } else if is_error(status) {
                w.write_str(" tolerated")
            } else {
                Ok(())
            }
        });
        if ok {
            Ok(Some(out))
        } else if is_error(status) {
            Ok(None)
        } else {
            Err(self.reject(
                STATUS_DEVICE_PROTOCOL_ERROR,
                code,
                "a reply must be an error or a success of the structure's size",
            ))
        }
    }

    /// The arrival's queries, in order: GPT attributes, partition information (and
    /// the device number for a recognized MBR partition), device name, unique ID,
    /// stable GUID, suggested link name.
    pub(crate) fn arrival_queries<E: Env>(
        &mut self,
        env: &mut E,
        session: &Session<E::Handle>,
    ) -> Result<Facts, Reject> {
        let gpt =
            self.query_fixed::<E, 8>(env, session, IOCTL_VOLUME_GET_GPT_ATTRIBUTES, |w, b| {
                let a =
                    read::<VolumeGetGptAttributesInformation>(b).map_or(0, |a| a.gpt_attributes);
                write!(w, "attributes=0x{a:016x}")
            })?;
        let no_drive_letter = gpt
            .and_then(|b| read::<VolumeGetGptAttributesInformation>(&b))
            .is_some_and(|a| a.gpt_attributes & GPT_BASIC_DATA_ATTRIBUTE_NO_DRIVE_LETTER != 0);
        let partition =
            self.query_fixed::<E, 144>(env, session, IOCTL_DISK_GET_PARTITION_INFO_EX, |w, b| {
                let p = read::<PartitionInformationEx>(b);
                let m = read_at::<PartitionInformationMbr>(b, MBR_PARTITION_TYPE_OFFSET);
                match (p, m) {
                    (Some(p), Some(m)) if p.partition_style == PARTITION_STYLE_MBR => write!(
                        w,
                        "style=MBR type=0x{:02x} recognized={} length={}",
                        m.partition_type, m.recognized_partition, p.partition_length
                    ),
                    (Some(p), _) => write!(w, "style={}", p.partition_style),
                    _ => Ok(()),
                }
            })?;
        if partition.as_ref().is_some_and(recognized_mbr) {
            self.query_fixed::<E, 12>(env, session, IOCTL_STORAGE_GET_DEVICE_NUMBER, |w, b| {
                let n = read::<StorageDeviceNumber>(b);
                n.map_or(Ok(()), |n| {
                    write!(
                        w,
                        "type=0x{:x} device={} partition={}",
                        n.device_type, n.device_number, n.partition_number
                    )
                })
            })?;
        }
        let name = self.query_name(env, session, Slack::Exact, &session.name)?;
        let uid = self.query_uid(env, session, Slack::Exact)?;
        let stable_guid =
            self.query_fixed::<E, 16>(env, session, IOCTL_MOUNTDEV_QUERY_STABLE_GUID, |w, b| {
                write!(w, "guid={}", Text(crate::names::volume_name(b).as_units()))
            })?;
        let suggested = self.query_suggested(env, session)?;
        Ok(Facts {
            name,
            uid,
            no_drive_letter,
            stable_guid,
            suggested,
        })
    }

    /// `QUERY_SUGGESTED_LINK_NAME`, two-step: a 6-byte buffer first (overflow, or
    /// success if the name fits), then `4 + NameLength`. A failure means no
    /// suggestion; a malformed reply rejects the volume.
    fn query_suggested<E: Env>(
        &mut self,
        env: &mut E,
        session: &Session<E::Handle>,
    ) -> Result<Option<Suggested>, Reject> {
        const CODE: u32 = IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME;
        const HEADER: usize = size_of::<MountdevSuggestedLinkName>();
        const DATA: usize = core::mem::offset_of!(MountdevSuggestedLinkName, name);
        let mut buf = [0u8; DATA + 2 * LINK_NAME_CAPACITY];
        let first = buf.get_mut(..HEADER).unwrap_or(&mut []);
        let (status, info, reply) = Self::ask(env, session, CODE, first);
        let length = reply.and_then(|r| read_at::<u16>(r, 2)).map(usize::from);
        let first_flag = reply.and_then(|r| r.first().copied());
        self.sent(CODE, (0, HEADER), (status, info), |w| {
            length.map_or(Ok(()), |n| write!(w, " NameLength={n}"))
        });
        if is_error(status) {
            self.note(|w| w.write_str("no suggested link name"));
            return Ok(None);
        }
        let length = match (status, length) {
            (STATUS_BUFFER_OVERFLOW, Some(n)) if info == HEADER && DATA + n > HEADER => n,
            (STATUS_SUCCESS, Some(n)) if n > 0 && DATA + n <= HEADER && info == DATA + n => n,
            _ => {
                return Err(self.reject(
                    STATUS_DEVICE_PROTOCOL_ERROR,
                    CODE,
                    "the 6-byte buffer must get STATUS_BUFFER_OVERFLOW with Information 6, or \
                     success with Information 4 + NameLength if the name fits",
                ));
            }
        };
        if !length.is_multiple_of(2) {
            return Err(self.reject(STATUS_DEVICE_PROTOCOL_ERROR, CODE, "odd NameLength"));
        }
        if length > 2 * LINK_NAME_CAPACITY {
            self.note(|w| w.write_str("suggested link name longer than the double holds: unused"));
            return Ok(None);
        }
        let only = if status == STATUS_BUFFER_OVERFLOW {
            let size = DATA + length;
            let second = buf.get_mut(..size).unwrap_or(&mut []);
            let (status, info, reply) = Self::ask(env, session, CODE, second);
            let head = reply.and_then(read::<MountdevSuggestedLinkName>);
            let name = reply.and_then(|r| r.get(DATA..DATA + length));
            self.sent(CODE, (0, size), (status, info), |w| {
                if let Some(h) = head {
                    write!(
                        w,
                        " UseOnlyIfThereAreNoOtherLinks={}",
                        h.use_only_if_there_are_no_other_links
                    )?;
                }
                name.map_or(Ok(()), |n| {
                    write!(w, " name={}", Text(units_of(n).as_units()))
                })
            });
            if is_error(status) {
                self.note(|w| w.write_str("no suggested link name"));
                return Ok(None);
            }
            if status != STATUS_SUCCESS
                || info != size
                || head.map(|h| usize::from(h.name_length)) != Some(length)
            {
                return Err(self.reject(
                    STATUS_DEVICE_PROTOCOL_ERROR,
                    CODE,
                    "the full-size buffer must get STATUS_SUCCESS with Information 4 + NameLength",
                ));
            }
            head.is_some_and(|h| h.use_only_if_there_are_no_other_links != 0)
        } else {
            first_flag.is_some_and(|f| f != 0)
        };
        let name = buf
            .get(DATA..DATA + length)
            .and_then(LinkName::from_le_bytes)
            .ok_or(Reject(STATUS_DEVICE_PROTOCOL_ERROR))?;
        Ok(Some(Suggested {
            name,
            only_if_no_other_links: only,
        }))
    }

    /// Re-queries the device `given` names (name and unique ID, with the spare-bytes
    /// buffers) and checks it against the listed volume: a failure, another name
    /// or another unique ID rejects the volume (its links removed, forgotten).
    pub(crate) fn requery<E: Env>(&mut self, env: &mut E, given: &DeviceName) -> Requery {
        let session = match self.open(env, given) {
            Ok(s) => s,
            Err(status) => return Requery::Unopenable(status),
        };
        let result = self.requery_open(env, &session, given);
        Self::close(env, session);
        result
    }

    fn requery_open<E: Env>(
        &mut self,
        env: &mut E,
        session: &Session<E::Handle>,
        given: &DeviceName,
    ) -> Requery {
        let listed = self.volumes.find_device(given.as_units());
        let checked = self
            .query_name(env, session, Slack::Spare, given)
            .and_then(|_| self.query_uid(env, session, Slack::Spare));
        let uid = match checked {
            Ok(uid) => uid,
            Err(Reject(status)) => {
                if let Some(i) = listed {
                    self.reject_volume(env, i, "its device no longer answers as it did");
                }
                return Requery::Failed(status);
            }
        };
        let Some(i) = listed else {
            return Requery::NotListed;
        };
        if self.volumes.get(i).is_some_and(|v| v.uid != uid) {
            self.note(|w| {
                write!(
                    w,
                    "rejected: the unique ID of {} changed to {}",
                    Text(given.as_units()),
                    Bytes(uid.as_bytes())
                )
            });
            self.reject_volume(env, i, "its unique ID changed");
            return Requery::Failed(STATUS_DEVICE_PROTOCOL_ERROR);
        }
        Requery::Listed(i)
    }

    /// Sends `LINK_CREATED` for `link`.
    pub(crate) fn link_created<E: Env>(
        &mut self,
        env: &mut E,
        session: &mut Session<E::Handle>,
        link: &LinkName,
    ) {
        self.link_notice(env, session, IOCTL_MOUNTDEV_LINK_CREATED, link);
    }

    /// Sends `LINK_DELETED` for `link`.
    pub(crate) fn link_deleted<E: Env>(
        &mut self,
        env: &mut E,
        session: &mut Session<E::Handle>,
        link: &LinkName,
    ) {
        self.link_notice(env, session, IOCTL_MOUNTDEV_LINK_DELETED, link);
    }

    /// Sends `code` with the `MOUNTDEV_NAME` of `link` as input.
    fn link_notice<E: Env>(
        &mut self,
        env: &mut E,
        session: &mut Session<E::Handle>,
        code: u32,
        link: &LinkName,
    ) {
        let mut input = [0u8; 2 + 2 * LINK_NAME_CAPACITY];
        let len = mountdev_name(&mut input, link);
        self.send_write(env, session, code, input.get(..len).unwrap_or(&[]));
    }

    /// Sends `VOLUME_ONLINE`.
    pub(crate) fn volume_online<E: Env>(&mut self, env: &mut E, session: &mut Session<E::Handle>) {
        self.send_write(env, session, IOCTL_VOLUME_ONLINE, &[]);
    }

    /// Sends `UNIQUE_ID_CHANGE_NOTIFY` with `uid` as input (and an output buffer of
    /// the same size). An immediate failure is what a device that does not track
    /// changes answers, and is accepted; a success is recorded (the double does not
    /// issue it again).
    pub(crate) fn unique_id_change_notify<E: Env>(
        &mut self,
        env: &mut E,
        session: &Session<E::Handle>,
        uid: &UniqueId,
    ) {
        const CODE: u32 = IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY;
        let mut input = [0u8; COUNTED_DATA + UNIQUE_ID_CAPACITY];
        let bytes = uid.as_bytes();
        let len = COUNTED_DATA + bytes.len();
        if let (Ok(n), Some(dst)) = (u16::try_from(bytes.len()), input.get_mut(COUNTED_DATA..len)) {
            dst.copy_from_slice(bytes);
            input[..2].copy_from_slice(&n.to_le_bytes());
        }
        let mut output = [0u8; COUNTED_DATA + UNIQUE_ID_CAPACITY];
        let output = output.get_mut(..len).unwrap_or(&mut []);
        let input = input.get(..len).unwrap_or(&[]);
        let (status, info) = Self::send(env, session, CODE, input, output);
        let verdict = match status {
            STATUS_PENDING => "pended: the double cannot wait for it",
            s if is_error(s) => "refused at once: accepted",
            _ => "accepted: not issued again",
        };
        self.sent(CODE, (len, len), (status, info), |w| {
            write!(w, " uid={} {verdict}", Bytes(bytes))
        });
    }
}

/// Whether a `PARTITION_INFORMATION_EX` reply is MBR with a recognized partition
/// (its `RecognizedPartition` flag, or a type `IsRecognizedPartition` accepts).
fn recognized_mbr(reply: &[u8; 144]) -> bool {
    let style = read::<PartitionInformationEx>(reply).map(|p| p.partition_style);
    let mbr = read_at::<PartitionInformationMbr>(reply, MBR_PARTITION_TYPE_OFFSET);
    style == Some(PARTITION_STYLE_MBR)
        && mbr.is_some_and(|m| m.recognized_partition != 0 || recognized_type(m.partition_type))
}

/// `IsRecognizedPartition` (`ntdddisk.h`): FAT12, FAT16, huge FAT16, IFS, FAT32,
/// FAT32 (LBA), FAT16 (LBA), also with the fault-tolerance bit 0x80.
const fn recognized_type(partition_type: u8) -> bool {
    matches!(
        partition_type & 0x7F,
        0x01 | 0x04 | 0x06 | 0x07 | 0x0B | 0x0C | 0x0E
    )
}

/// `MOUNTDEV_NAME` for `link` into `out`; its length.
fn mountdev_name(out: &mut [u8], link: &LinkName) -> usize {
    let bytes = link.byte_len();
    let Ok(n) = u16::try_from(bytes) else {
        return 0;
    };
    if let Some(dst) = out.get_mut(..2) {
        dst.copy_from_slice(&n.to_le_bytes());
    }
    write_units(out, COUNTED_DATA, link.as_units()).map_or(0, |()| COUNTED_DATA + bytes)
}

/// UTF-16LE bytes as units, for display (at most a device name's worth).
fn units_of(bytes: &[u8]) -> crate::names::Units<DEVICE_NAME_CAPACITY> {
    let even = bytes.get(..bytes.len() & !1).unwrap_or(&[]);
    let cut = even
        .get(..even.len().min(2 * DEVICE_NAME_CAPACITY))
        .unwrap_or(&[]);
    DeviceName::from_le_bytes(cut).unwrap_or_else(zerocopy::FromZeros::new_zeroed)
}
