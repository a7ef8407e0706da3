//! DOCS
#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

mod arrival;
pub mod codes;
mod create;
mod device;
mod layout;
mod names;
mod points;
mod state;
mod transcript;

#[cfg(test)]
mod tests;

use core::fmt::{self, Write};

use zerocopy::FromZeros;

pub use codes::IOCTL_RAMDISK_TEST_MM_TRANSCRIPT;
use codes::{
    IOCTL_MOUNTMGR_CREATE_POINT, IOCTL_MOUNTMGR_DELETE_POINTS,
    IOCTL_MOUNTMGR_QUERY_DOS_VOLUME_PATH, IOCTL_MOUNTMGR_QUERY_POINTS,
    IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION, STATUS_BUFFER_OVERFLOW,
    STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
};
use layout::{MountmgrMountPoint, MountmgrMountPoints, len32, read, read_at};
use names::{Bytes, DeviceName, LinkName, Text, UniqueId};
pub use names::{DEVICE_NAME_CAPACITY, LINK_NAME_CAPACITY, UNIQUE_ID_CAPACITY};
pub use state::{DATABASE_CAPACITY, IGNORED_CAPACITY, LINKS_PER_VOLUME, VOLUME_CAPACITY};
use state::{Database, Ignored, Links, Volumes};
use transcript::{Code, Line, Mark, Status, Transcript};
pub use transcript::{FULL_MARKER, TRANSCRIPT_CAPACITY};

/// Side effects the kernel glue performs for the double.
pub trait Env {
    /// An open device.
    type Handle;
    /// `ZwOpenFile` of an NT device name: `write` asks for `FILE_READ_DATA |
    /// FILE_WRITE_DATA` (for `LINK_CREATED`, `LINK_DELETED`, `VOLUME_ONLINE`),
    /// otherwise `FILE_READ_ATTRIBUTES` (for the queries). `Err` is the status.
    ///
    /// # Errors
    /// The status the open failed with.
    fn open(&mut self, device_name: &[u16], write: bool) -> Result<Self::Handle, i32>;
    /// `ZwDeviceIoControlFile`: (status, `Information`). `output` has exactly the
    /// length to pass.
    fn ioctl(
        &mut self,
        h: &Self::Handle,
        code: u32,
        input: &[u8],
        output: &mut [u8],
    ) -> (i32, usize);
    /// `ZwClose`.
    fn close(&mut self, h: Self::Handle);
    /// `IoCreateSymbolicLink(link, target)`: the status.
    fn create_link(&mut self, link: &[u16], target: &[u16]) -> i32;
    /// `IoDeleteSymbolicLink(link)`: the status.
    fn delete_link(&mut self, link: &[u16]) -> i32;
    /// Writes the persistent database (a registry key): value name = `link`,
    /// `REG_BINARY` data = `unique_id`. The status.
    fn store(&mut self, link: &[u16], unique_id: &[u8]) -> i32;
    /// Deletes the value `link` from the persistent database. The status.
    fn unstore(&mut self, link: &[u16]) -> i32;
    /// `ExUuidCreate`: a new GUID, as its 16 bytes lie in memory.
    fn new_guid(&mut self) -> [u8; 16];
}

/// Why [`MountManager::load`] refused a database value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The database holds [`DATABASE_CAPACITY`] values already.
    Full,
    /// The value name is empty or longer than [`LINK_NAME_CAPACITY`] units.
    Name,
    /// The data is empty or longer than [`UNIQUE_ID_CAPACITY`] bytes.
    UniqueId,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full => "the double's database is full",
            Self::Name => "the value name is empty or too long for the double",
            Self::UniqueId => "the value data (unique ID) is empty or too long for the double",
        })
    }
}

/// The mount manager double's whole state: the database, the live volumes, the
/// ignored unique IDs and the transcript. About 40 KiB, all of it fixed-size.
///
/// The all-zero bit pattern is the empty manager ([`FromZeros`]): the glue may
/// zero-fill one pool allocation and use it in place, never building the value
/// on a kernel stack.
#[derive(FromZeros)]
pub struct MountManager {
    database: Database,
    volumes: Volumes,
    ignored: Ignored,
    transcript: Transcript,
}

const _: () = assert!(size_of::<MountManager>() < 64 * 1024);

impl MountManager {
    /// An empty manager: no database values, no volumes, an empty transcript.
    #[must_use]
    pub fn new() -> Self {
        Self::new_zeroed()
    }

    /// Adds a value of the persisted database (what the glue enumerated from its
    /// registry key) before the first request; recorded as a `load` line.
    ///
    /// # Errors
    /// [`LoadError`]: the value does not fit the double.
    pub fn load(&mut self, link: &[u16], unique_id: &[u8]) -> Result<(), LoadError> {
        let name = LinkName::from_units(link).ok_or(LoadError::Name)?;
        let uid = UniqueId::new(unique_id).ok_or(LoadError::UniqueId)?;
        if !self.database.put(&name, &uid) {
            return Err(LoadError::Full);
        }
        self.transcript.line(|w| {
            write!(
                w,
                "load name={} uid={}",
                Text(name.as_units()),
                Bytes(uid.as_bytes())
            )
        });
        Ok(())
    }

    /// The transcript so far (UTF-8 text, one line per request, `\n`-terminated).
    #[must_use]
    pub fn transcript(&self) -> &[u8] {
        self.transcript.as_bytes()
    }

    /// One `IRP_MJ_DEVICE_CONTROL`: `buffer` is the `METHOD_BUFFERED` system buffer
    /// (at least `max(in_len, out_len)` bytes: the input in its first `in_len`
    /// bytes, the reply written to its first `out_len`). Returns (status,
    /// `Information`), `Information` never above `out_len`. Never pends.
    pub fn device_control<E: Env>(
        &mut self,
        env: &mut E,
        code: u32,
        buffer: &mut [u8],
        in_len: usize,
        out_len: usize,
    ) -> (i32, usize) {
        let mark = self.transcript.mark();
        let Some(io) = buffer.get_mut(..in_len.max(out_len)) else {
            let len = buffer.len();
            request_line(
                &mut self.transcript,
                mark,
                code,
                in_len,
                out_len,
                STATUS_INVALID_PARAMETER,
                0,
                |w| write!(w, " result=invalid system-buffer={len}"),
            );
            return (STATUS_INVALID_PARAMETER, 0);
        };
        let (status, info) = match code {
            IOCTL_RAMDISK_TEST_MM_TRANSCRIPT => return self.copy_transcript(io, out_len),
            IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION => {
                self.arrival_request(env, mark, io, in_len, out_len)
            }
            IOCTL_MOUNTMGR_QUERY_POINTS | IOCTL_MOUNTMGR_DELETE_POINTS => {
                self.points(env, mark, code, io, in_len, out_len)
            }
            IOCTL_MOUNTMGR_CREATE_POINT => self.create_request(env, mark, io, in_len, out_len),
            IOCTL_MOUNTMGR_QUERY_DOS_VOLUME_PATH => {
                self.dos_path_request(env, mark, io, in_len, out_len)
            }
            _ => {
                request_line(
                    &mut self.transcript,
                    mark,
                    code,
                    in_len,
                    out_len,
                    STATUS_INVALID_DEVICE_REQUEST,
                    0,
                    |w| w.write_str(" result=unknown-code"),
                );
                (STATUS_INVALID_DEVICE_REQUEST, 0)
            }
        };
        (status, info.min(out_len))
    }

    /// `VOLUME_ARRIVAL_NOTIFICATION`.
    fn arrival_request<E: Env>(
        &mut self,
        env: &mut E,
        mark: Mark,
        io: &[u8],
        in_len: usize,
        out_len: usize,
    ) -> (i32, usize) {
        let code = IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION;
        let (status, ended, name) = self.arrival(env, io.get(..in_len).unwrap_or(&[]));
        let volume = name
            .and_then(|n| self.volumes.find_device(n.as_units()))
            .and_then(|i| self.volumes.get(i))
            .filter(|_| ended == arrival::Ended::Registered);
        request_line(
            &mut self.transcript,
            mark,
            code,
            in_len,
            out_len,
            status,
            0,
            |w| {
                if let Some(n) = &name {
                    write!(w, " device={}", Text(n.as_units()))?;
                }
                write!(w, " result={}", ended.word())?;
                volume.map_or(Ok(()), |v| {
                    write!(
                        w,
                        " uid={} links={}",
                        Bytes(v.uid.as_bytes()),
                        Links(v.links())
                    )
                })
            },
        );
        (status, 0)
    }

    /// `CREATE_POINT`.
    fn create_request<E: Env>(
        &mut self,
        env: &mut E,
        mark: Mark,
        io: &[u8],
        in_len: usize,
        out_len: usize,
    ) -> (i32, usize) {
        let parsed = create::parse_create(io.get(..in_len).unwrap_or(&[]));
        let status = match &parsed {
            Ok(point) => self.create_point(env, point),
            Err(why) => {
                self.note(|w| w.write_str(why));
                STATUS_INVALID_PARAMETER
            }
        };
        let code = IOCTL_MOUNTMGR_CREATE_POINT;
        request_line(
            &mut self.transcript,
            mark,
            code,
            in_len,
            out_len,
            status,
            0,
            |w| {
                if let Ok(p) = &parsed {
                    match &p.link {
                        Some(l) => write!(w, " link={}", Text(l.as_units()))?,
                        None => w.write_str(" link=(too-long)")?,
                    }
                    match &p.device {
                        Some(d) => write!(w, " device={}", Text(d.as_units()))?,
                        None => w.write_str(" device=(too-long)")?,
                    }
                }
                Ok(())
            },
        );
        (status, 0)
    }

    /// `QUERY_DOS_VOLUME_PATH`.
    fn dos_path_request<E: Env>(
        &mut self,
        env: &mut E,
        mark: Mark,
        io: &mut [u8],
        in_len: usize,
        out_len: usize,
    ) -> (i32, usize) {
        let parsed = arrival::parse_target(io.get(..in_len).unwrap_or(&[]));
        let (status, info) = match &parsed {
            Ok(name) => {
                let out = io.get_mut(..out_len).unwrap_or(&mut []);
                self.dos_volume_path(env, name, out)
            }
            Err((status, why)) => {
                self.note(|w| w.write_str(why));
                (*status, 0)
            }
        };
        let reply = io.get(..info).unwrap_or(&[]);
        let code = IOCTL_MOUNTMGR_QUERY_DOS_VOLUME_PATH;
        request_line(
            &mut self.transcript,
            mark,
            code,
            in_len,
            out_len,
            status,
            info,
            |w| {
                if let Ok(name) = &parsed {
                    write!(w, " device={}", Text(name.as_units()))?;
                }
                dos_path(w, status, reply)
            },
        );
        (status, info)
    }

    /// `QUERY_POINTS` / `DELETE_POINTS`.
    fn points<E: Env>(
        &mut self,
        env: &mut E,
        mark: Mark,
        code: u32,
        io: &mut [u8],
        in_len: usize,
        out_len: usize,
    ) -> (i32, usize) {
        let parsed = points::parse_triple(io.get(..in_len).unwrap_or(&[]));
        let (status, info) = match &parsed {
            Ok(triple) => {
                let out = io.get_mut(..out_len).unwrap_or(&mut []);
                let (status, info, _) = if code == IOCTL_MOUNTMGR_DELETE_POINTS {
                    self.delete_points(env, triple, out)
                } else {
                    self.query_points(env, triple, out)
                };
                (status, info)
            }
            Err(why) => {
                self.note(|w| w.write_str(why));
                (STATUS_INVALID_PARAMETER, 0)
            }
        };
        let reply = io.get(..info).unwrap_or(&[]);
        request_line(
            &mut self.transcript,
            mark,
            code,
            in_len,
            out_len,
            status,
            info,
            |w| {
                if let Ok(t) = &parsed {
                    write!(w, " {t}")?;
                }
                points_reply(w, status, reply)
            },
        );
        (status, info)
    }

    /// The test IOCTL: the transcript, or as much as fits with
    /// `STATUS_BUFFER_OVERFLOW`. Not itself recorded.
    fn copy_transcript(&self, io: &mut [u8], out_len: usize) -> (i32, usize) {
        let text = self.transcript.as_bytes();
        let n = text.len().min(out_len).min(io.len());
        if let (Some(dst), Some(src)) = (io.get_mut(..n), text.get(..n)) {
            dst.copy_from_slice(src);
        }
        let status = if n < text.len() {
            STATUS_BUFFER_OVERFLOW
        } else {
            STATUS_SUCCESS
        };
        (status, n)
    }

    /// Forgets every listed volume whose device can no longer be opened: its links
    /// are removed, its database values kept (as after a reboot).
    pub(crate) fn sweep<E: Env>(&mut self, env: &mut E) {
        let mut i = 0;
        while let Some(device) = self.volumes.get(i).map(|v| v.device) {
            match env.open(device.as_units(), false) {
                Ok(h) => {
                    env.close(h);
                    i += 1;
                }
                Err(status) => {
                    self.drop_volume(env, i, "forgot", &Status(status));
                }
            }
        }
    }

    /// Rejects listed volume `i` (its device broke the protocol): links removed,
    /// forgotten, database values kept.
    pub(crate) fn reject_volume<E: Env>(&mut self, env: &mut E, i: usize, why: &str) {
        self.drop_volume(env, i, "rejected", &why);
    }

    fn drop_volume<E: Env>(&mut self, env: &mut E, i: usize, verb: &str, why: &dyn fmt::Display) {
        let Some(volume) = self.volumes.get(i).copied() else {
            return;
        };
        self.note(|w| {
            write!(
                w,
                "{verb} volume {} uid={} ({why}): links removed, database kept",
                Text(volume.device.as_units()),
                Bytes(volume.uid.as_bytes())
            )
        });
        for link in volume.links() {
            self.delete_link(env, link);
        }
        self.volumes.remove(i);
    }

    /// `IoCreateSymbolicLink`, recorded.
    pub(crate) fn create_link<E: Env>(
        &mut self,
        env: &mut E,
        link: &LinkName,
        target: &DeviceName,
    ) -> i32 {
        let status = env.create_link(link.as_units(), target.as_units());
        self.transcript.line(|w| {
            write!(
                w,
                "  link name={} target={} status={}",
                Text(link.as_units()),
                Text(target.as_units()),
                Status(status)
            )
        });
        status
    }

    /// `IoDeleteSymbolicLink`, recorded.
    pub(crate) fn delete_link<E: Env>(&mut self, env: &mut E, link: &LinkName) -> i32 {
        let status = env.delete_link(link.as_units());
        self.transcript.line(|w| {
            write!(
                w,
                "  unlink name={} status={}",
                Text(link.as_units()),
                Status(status)
            )
        });
        status
    }

    /// Stores a database value (and mirrors it), recorded.
    pub(crate) fn store<E: Env>(&mut self, env: &mut E, link: &LinkName, uid: &UniqueId) -> i32 {
        if self.database.is_full_for(link.as_units()) {
            self.note(|w| write!(w, "database full: {} not stored", Text(link.as_units())));
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        let status = env.store(link.as_units(), uid.as_bytes());
        self.transcript.line(|w| {
            write!(
                w,
                "  store name={} uid={} status={}",
                Text(link.as_units()),
                Bytes(uid.as_bytes()),
                Status(status)
            )
        });
        if status == STATUS_SUCCESS {
            self.database.put(link, uid);
        }
        status
    }

    /// Removes a database value (and its mirror), recorded.
    pub(crate) fn unstore<E: Env>(&mut self, env: &mut E, link: &LinkName) -> i32 {
        let status = env.unstore(link.as_units());
        self.transcript.line(|w| {
            write!(
                w,
                "  unstore name={} status={}",
                Text(link.as_units()),
                Status(status)
            )
        });
        self.database.remove(link.as_units());
        status
    }
}

impl Default for MountManager {
    fn default() -> Self {
        Self::new()
    }
}

/// Writes the line of a request that completed, at `mark` (before the lines of
/// what it did): `request=<code> in=<n> out=<n> <input fields> status=<status>
/// info=<n> <result fields>`, the input fields written by `fields`; the result
/// ones by `result` after `status`.
#[allow(
    clippy::too_many_arguments,
    reason = "one line's fields: a struct would only name them twice"
)]
fn request_line(
    transcript: &mut Transcript,
    mark: Mark,
    code: u32,
    in_len: usize,
    out_len: usize,
    status: i32,
    info: usize,
    fields_then_result: impl FnOnce(&mut Line<'_>) -> fmt::Result,
) {
    transcript.line_at(mark, |w| {
        write!(
            w,
            "request={} in={in_len} out={out_len} status={} info={info}",
            Code(code),
            Status(status)
        )?;
        fields_then_result(w)
    });
}

/// The result fields of a `QUERY_POINTS` / `DELETE_POINTS` line, read back from
/// the reply: ` size=<Size> count=<n>` on overflow, ` count=<n> links=<a>,<b>` on
/// success.
fn points_reply(w: &mut Line<'_>, status: i32, reply: &[u8]) -> fmt::Result {
    let Some(header) = read::<MountmgrMountPoints>(reply).or_else(|| {
        // An overflow reply is the header alone (32 bytes).
        read::<[u32; 2]>(reply).map(|[size, n]| MountmgrMountPoints {
            size,
            number_of_mount_points: n,
            mount_points: [MountmgrMountPoint::default()],
        })
    }) else {
        return Ok(());
    };
    let count = len32(header.number_of_mount_points);
    if status == STATUS_BUFFER_OVERFLOW {
        return write!(w, " size={} count={count}", header.size);
    }
    write!(w, " count={count} links=")?;
    if count == 0 {
        return w.write_str("-");
    }
    let entries = core::mem::offset_of!(MountmgrMountPoints, mount_points);
    for n in 0..count {
        let at = entries + n * size_of::<MountmgrMountPoint>();
        let Some(p) = read_at::<MountmgrMountPoint>(reply, at) else {
            break;
        };
        let start = len32(p.symbolic_link_name_offset);
        let bytes = reply
            .get(start..start + usize::from(p.symbolic_link_name_length))
            .and_then(LinkName::from_le_bytes);
        w.write_str(if n > 0 { "," } else { "" })?;
        match bytes {
            Some(l) => write!(w, "{}", Text(l.as_units()))?,
            None => w.write_str("?")?,
        }
    }
    Ok(())
}

/// The result field of a `QUERY_DOS_VOLUME_PATH` line: ` path=<first string>` on
/// success, ` MultiSzLength=<n>` on overflow.
fn dos_path(w: &mut Line<'_>, status: i32, reply: &[u8]) -> fmt::Result {
    let Some(length) = read::<u32>(reply) else {
        return Ok(());
    };
    if status != STATUS_SUCCESS {
        return write!(w, " MultiSzLength={length}");
    }
    let text = reply.get(4..).unwrap_or(&[]);
    let mut units = [0u16; 64];
    let mut n = 0;
    for (slot, pair) in units.iter_mut().zip(text.chunks_exact(2)) {
        let unit = u16::from_le_bytes([pair[0], pair[1]]);
        if unit == 0 {
            break;
        }
        *slot = unit;
        n += 1;
    }
    write!(w, " path={}", Text(units.get(..n).unwrap_or(&[])))
}
