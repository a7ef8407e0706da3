//! A strict stand-in for the Windows mount manager: the judge of ramdisk's volume
//! registration.
//!
//! This crate is the double's logic, a pure state machine. The kernel glue (a
//! fault-injection-only role of the driver) creates `\Device\RamdiskTestMountManager`,
//! hands every `IRP_MJ_DEVICE_CONTROL` to [`MountManager::device_control`] and performs
//! the side effects the double asks for through [`Env`]: opening the volume device and
//! sending it IOCTLs, making and deleting symbolic links, writing and deleting the
//! values of its persistent database (a registry key: value name = link, `REG_BINARY`
//! data = unique ID, like `HKLM\SYSTEM\MountedDevices`). At load the glue enumerates
//! that key into [`MountManager::load`].
//!
//! `no_std`, `forbid(unsafe_code)`, no allocation: fixed tables of
//! [`DATABASE_CAPACITY`] database values, [`VOLUME_CAPACITY`] live volumes of
//! [`LINKS_PER_VOLUME`] links each, [`IGNORED_CAPACITY`] ignored unique IDs and a
//! [`TRANSCRIPT_CAPACITY`]-byte transcript; device names up to [`DEVICE_NAME_CAPACITY`]
//! UTF-16 units, link names up to [`LINK_NAME_CAPACITY`], unique IDs up to
//! [`UNIQUE_ID_CAPACITY`] bytes. Every buffer access is checked; no input panics
//! (property-tested). [`MountManager`] is about 56 KiB and all-zero is its empty
//! state (`zerocopy::FromZeros`), so the glue can zero a pool block and use it in
//! place instead of building it on a kernel stack. The double never pends: every
//! request completes inside `device_control`, and Windows' asynchronous steps
//! (`UNIQUE_ID_CHANGE_NOTIFY`) are sent synchronously.
//!
//! It is modelled on what Microsoft documents (`mountmgr.h`, `mountdev.h`, the
//! `IOCTL_MOUNTMGR_*` / `IOCTL_MOUNTDEV_*` pages, *Supporting Mount Manager Requests in
//! a Storage Class Driver*) and on `ReactOS`'s clean-room mount manager
//! (`drivers/filters/mountmgr/*.c`, and its `mountmgr` API tests, which are meant to
//! pass on Windows too). It shares no code or structure with `ramdisk-core`, which it
//! judges: its byte layouts are its own (`layout`, each size and offset asserted).
//! Where Windows' behaviour is unknown it takes the stricter reading; those choices
//! are listed below.
//!
//! # Requests
//!
//! Statuses are `NTSTATUS` values as `i32`; "rejected" means the volume is refused:
//! nothing is created for it, and a listed volume has its links deleted and is
//! forgotten (its database values stay).
//!
//! ## `IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION` (`MOUNTMGR_TARGET_NAME`)
//! * Input at least 4 bytes, `DeviceNameLength` even and not zero, the name inside
//!   the input; else `STATUS_INVALID_PARAMETER`.
//! * First every listed volume whose device can no longer be opened is forgotten
//!   (links deleted, database kept: as after a reboot).
//! * The device is opened (read-attributes handle; a failure fails the request with
//!   its status) and asked, in order: `IOCTL_VOLUME_GET_GPT_ATTRIBUTES` (8 bytes),
//!   `IOCTL_DISK_GET_PARTITION_INFO_EX` (144 bytes; if MBR with a recognized
//!   partition, `IOCTL_STORAGE_GET_DEVICE_NUMBER`, 12 bytes),
//!   `IOCTL_MOUNTDEV_QUERY_DEVICE_NAME` (4 bytes, then `2 + NameLength`),
//!   `IOCTL_MOUNTDEV_QUERY_UNIQUE_ID` (4, then `2 + UniqueIdLength`),
//!   `IOCTL_MOUNTDEV_QUERY_STABLE_GUID` (16), `IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME`
//!   (6, then `4 + NameLength`). The checks are under *Strictness*.
//! * A device name the double lists already: nothing more (success, `result=no-op`),
//!   unless its unique ID differs from the listed one (rejected). A unique ID whose
//!   arrivals are ignored (see `DELETE_POINTS`): nothing (success, `result=ignored`).
//! * Otherwise the volume is listed: every database value with its unique ID is
//!   recreated as a link to the device (a second drive letter, or a link another
//!   volume holds, is skipped); if none of them is a `\??\Volume{GUID}` name, one is
//!   made from the stable GUID, or `ExUuidCreate`, lower-case, `Data1`-`Data3` read
//!   little-endian, and stored; if no drive letter came back and the suggested name is
//!   a free drive letter (not a listed volume's, not stored for another unique ID;
//!   `UseOnlyIfThereAreNoOtherLinks` honoured; no GPT `NO_DRIVE_LETTER`), it is created
//!   and stored. Then `IOCTL_MOUNTDEV_LINK_CREATED` (a `MOUNTDEV_NAME`) for each link
//!   and `IOCTL_VOLUME_ONLINE`, on a second, read/write handle, and
//!   `IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY` (the current `MOUNTDEV_UNIQUE_ID` in, an
//!   output of the same size): an immediate failure is what is expected and is
//!   accepted, a success is recorded. Handles are closed; success.
//!
//! ## `IOCTL_MOUNTMGR_QUERY_POINTS` (`MOUNTMGR_MOUNT_POINT` → `MOUNTMGR_MOUNT_POINTS`)
//! * Input at least 24 bytes. A field of length 0 is absent (its offset ignored).
//!   A given field needs an even offset and length, its bytes after the structure
//!   and inside the input (no overflow), names at most `MAXSHORT` bytes; else
//!   `STATUS_INVALID_PARAMETER`. Output shorter than 32 bytes:
//!   `STATUS_INVALID_PARAMETER`.
//! * Every given field must match (link and device names ignoring ASCII case, the
//!   unique ID byte for byte); no field: every point of every listed volume. A given
//!   device name is re-queried (opened, `QUERY_DEVICE_NAME` and `QUERY_UNIQUE_ID`
//!   with buffers two bytes larger than needed): a failure or another name or unique
//!   ID rejects the volume and fails the request; a device that cannot be opened is
//!   matched by the given name in the double's list.
//! * No listed volume with the given device name or unique ID:
//!   `STATUS_INVALID_PARAMETER`; a link name no matching point has:
//!   `STATUS_OBJECT_NAME_NOT_FOUND` (both as `ReactOS`).
//! * The reply: the header, the entries, then per point its unique ID, device name
//!   and link name, offsets from the reply's start, `Size` = the bytes used (at least
//!   32), `Information` = `Size`. Too small: `STATUS_BUFFER_OVERFLOW`, `Size` and
//!   `NumberOfMountPoints` set, `Information` = 32.
//!
//! ## `IOCTL_MOUNTMGR_DELETE_POINTS`
//! The same input, matching and reply as `QUERY_POINTS`; the reply lists what is
//! deleted. A reply that does not fit deletes nothing. For each point: the link is
//! deleted, its database value removed, and `IOCTL_MOUNTDEV_LINK_DELETED` sent on a
//! read/write handle if the device can be opened. The volume stays listed (with
//! fewer links). Unless only the link name was given (the form
//! `DeleteVolumeMountPointW` uses), later arrivals of the unique IDs of the volumes
//! the request selected are ignored; the set lives in memory (a restart of the
//! double clears it).
//!
//! ## `IOCTL_MOUNTMGR_CREATE_POINT` (`MOUNTMGR_CREATE_POINT_INPUT`)
//! * Input at least 8 bytes; both names non-empty, even offset and length, after
//!   the structure, inside the input; else `STATUS_INVALID_PARAMETER`.
//! * Only drive letters (`\DosDevices\X:`, upper case, as `MOUNTMGR_IS_DRIVE_LETTER`)
//!   are modelled; other links: `STATUS_NOT_SUPPORTED`.
//! * Dead volumes are forgotten first; the device is re-queried as for
//!   `QUERY_POINTS` (the given name must be the device's own name); not listed:
//!   `STATUS_OBJECT_NAME_NOT_FOUND`; the volume has a drive letter:
//!   `STATUS_INVALID_PARAMETER`; a listed volume has the link:
//!   `STATUS_OBJECT_NAME_COLLISION`; then the link is created (its failure status
//!   returned, e.g. a collision with a link the double did not make), stored (a
//!   failure deletes the link again and is returned), `LINK_CREATED` sent; success.
//!
//! ## `IOCTL_MOUNTMGR_QUERY_DOS_VOLUME_PATH` (`MOUNTMGR_TARGET_NAME` → `MOUNTMGR_VOLUME_PATHS`)
//! * Input rules as for the arrival; output shorter than 8 bytes:
//!   `STATUS_INVALID_PARAMETER`. Dead volumes are forgotten first and the device is
//!   re-queried; not listed: `STATUS_OBJECT_NAME_NOT_FOUND`.
//! * `X:` NUL NUL for a volume with a drive letter, else `\\?\Volume{GUID}` NUL NUL;
//!   `MultiSzLength` counts both NULs (8 or 100); no link at all: `STATUS_NOT_FOUND`.
//!   Too small: `STATUS_BUFFER_OVERFLOW`, `MultiSzLength` set, `Information` = 4.
//!
//! ## Others
//! [`IOCTL_RAMDISK_TEST_MM_TRANSCRIPT`] returns the transcript; any other code:
//! `STATUS_INVALID_DEVICE_REQUEST`.
//!
//! # Strictness
//! What makes the double refuse a volume (each has a host test with a misbehaving
//! fake disk):
//! * Only the first `Information` bytes of a reply are read (what the I/O manager
//!   copies back); `Information` beyond the buffer is a protocol error.
//! * `QUERY_DEVICE_NAME` with the 4-byte buffer must answer
//!   `STATUS_BUFFER_OVERFLOW`, `Information` 4, an even `NameLength` above 2; the
//!   second reply `STATUS_SUCCESS` with `Information` exactly `2 + NameLength` and
//!   the same `NameLength`; the name must equal the name the device was opened by
//!   (ignoring ASCII case). `QUERY_UNIQUE_ID` likewise (an ID of 1 or 2 bytes may come
//!   in the first reply; an empty one is refused). At arrival the second buffer is
//!   the exact size; in the re-queries it has two spare bytes (the size `ReactOS`
//!   asks with), so a device that answers `Information` = buffer length fails there.
//! * The optional queries (GPT attributes, partition information, device number,
//!   stable GUID, suggested link name) may fail with an error status; a success of
//!   another size, a warning or `STATUS_PENDING` is a protocol error.
//! * A unique ID that changes while the device is listed, and a device that later
//!   fails its name or unique-ID query or reports another name, reject the volume at
//!   the next re-query or arrival.
//! * The status of a refusal: the device's own error status when it failed a
//!   mandatory query (as `ReactOS` passes it on); `STATUS_DEVICE_PROTOCOL_ERROR`
//!   (`0xC0000186`) for a malformed reply; `STATUS_INSUFFICIENT_RESOURCES` when a name
//!   or unique ID exceeds the double's capacity or a table is full.
//!
//! # Transcript
//! UTF-8 text, one `\n`-terminated line per event, append-until-full: the first line
//! that does not fit becomes [`FULL_MARKER`] and nothing follows it. Fields are
//! `key=value` separated by single spaces; names are written as text (spaces and
//! control characters as `\u{..}`), unique IDs in double quotes with
//! `<[u8]>::escape_ascii` escapes, statuses as `NAME(0x........)` (or just the hex
//! value), codes by their header names (or hex).
//!
//! * `load name=<link> uid=<id>`: a database value from [`MountManager::load`].
//! * `request=<IOCTL> in=<bytes> out=<bytes> status=<status> info=<n> <fields>`: one
//!   request the double received, written when it completed but placed before the
//!   indented lines of what it did. Fields: `device=`, `link=`, `uid=` (the input),
//!   then the outcome: `result=registered|no-op|ignored|rejected|invalid|full` and,
//!   when registered, `uid=` and `links=` (arrival); `size= count=` on overflow,
//!   `count= links=` on success (points); `path=` or `MultiSzLength=` (DOS path);
//!   `result=unknown-code`.
//! * `  open device=<name> access=read|write status=<status>`
//! * `  ioctl=<IOCTL> in=<bytes> out=<bytes> status=<status> info=<n> <decoded
//!   reply>`: one request the double sent, with what it read (`NameLength=`,
//!   `name=`, `UniqueIdLength=`, `uid=`, `style= type= recognized=`, `attributes=`,
//!   `guid=`, …; `tolerated` for a failed optional query; `UNIQUE_ID_CHANGE_NOTIFY`
//!   ends with `refused at once: accepted`, `accepted: not issued again` or `pended:
//!   the double cannot wait for it`).
//! * `  link name=<link> target=<device> status=<status>`, `  unlink name=<link>
//!   status=<status>`, `  store name=<link> uid=<id> status=<status>`, `  unstore
//!   name=<link> status=<status>`, `  new_guid value=<volume name>`.
//! * `  note <text>`: a decision, e.g. `note rejected: <IOCTL> <reason>`, `note
//!   forgot volume <device> …`, `note suggested link <link> unused: <reason>`, `note
//!   later arrivals of uid=<id> will be ignored`.
//!
//! The successful opens of the dead-volume sweep are not recorded (only what it
//! forgets), nor is the transcript IOCTL itself. One registration as the driver
//! performs it (arrival; `QUERY_POINTS` by device name, 32 bytes then `Size`;
//! `QUERY_DOS_VOLUME_PATH` as `GetFinalPathNameByHandleW` asks, 8 bytes then
//! `4 + MultiSzLength`), against the host tests' well-behaved fake disk (whose
//! stable-GUID and GPT queries fail, as ramdisk's do):
//!
#![doc = concat!("```text\n", include_str!("../example-transcript.txt"), "```")]
//!
//! # Choices where Windows is not known
//! * **Re-arrival.** `ReactOS` queries the device fully on every arrival and then
//!   does nothing if the device name is listed; the double does the same (the
//!   queries are sent and checked again), and also rejects the volume if the unique
//!   ID changed.
//! * **Removal of a non-PnP device.** Windows is notified when a Plug and Play device goes;
//!   for a manually announced device nothing tells it. The double forgets a listed
//!   volume whose device cannot be opened at the next arrival, `CREATE_POINT` or
//!   `QUERY_DOS_VOLUME_PATH` (links deleted, database kept), but not at
//!   `QUERY_POINTS` / `DELETE_POINTS`, which match such a device by name in the list
//!   (issue 11: `DriverUnload`'s requests rely on it).
//! * **"Ignored" arrivals.** The `VeraCrypt` driver notes that a `DELETE_POINTS` naming
//!   anything but the link makes later arrivals of that unique ID ignored; neither
//!   Microsoft nor `ReactOS` shows the mechanism. The double keeps such unique IDs in
//!   memory (not persisted) and answers their arrivals with success and nothing done.
//!   An empty `DELETE_POINTS` input (every point, as `ReactOS`) counts as such a form.
//! * **No "no drive letter" record.** `ReactOS` (and Dokany's notes) write a
//!   `#{GUID}` database value when a drive letter is deleted by link name, which stops
//!   the suggested letter from being assigned automatically later; the double does not,
//!   so after a stop by link name the suggested letter comes back at the next arrival.
//!   A driver that asks `QUERY_POINTS` and then `CREATE_POINT`s a missing letter works
//!   either way.
//! * **Automatic letters.** `ReactOS` assigns the suggested letter at arrival only in
//!   some modes (`NoAutoMount`, removable media); the double always uses a free
//!   suggested drive letter when the database gave none, and never picks another
//!   letter by itself. A letter stored for another unique ID is treated as taken (the
//!   strict reading of Windows keeping the letters of absent volumes; unverified).
//! * **Overflow replies.** The first reply of a two-step query must have
//!   `Information` equal to the structure's `sizeof` (4 or 6), as the documentation
//!   says; Windows, which copies `Information` bytes back, would also read the length
//!   from a 2-byte reply. Stricter on purpose.
//! * **Re-query buffers.** Arrival asks with exact-size buffers, the re-queries with
//!   `ReactOS`'s two spare bytes; `Information` must be exact in both.
//! * **Wire rules stricter than `ReactOS`.** Names inside the fixed structure, odd
//!   `CREATE_POINT` offsets or lengths, empty `CREATE_POINT` names and a zero-length
//!   `MOUNTMGR_TARGET_NAME` are refused; `QUERY_POINTS` refuses odd unique-ID offsets
//!   and lengths as `ReactOS` does (so does the double's `DELETE_POINTS`).
//!   `QUERY_DOS_VOLUME_PATH` needs 8 output bytes (`sizeof(MOUNTMGR_VOLUME_PATHS)`;
//!   `ReactOS` takes 4).
//! * **Reply layouts.** `QUERY_POINTS` puts each point's unique ID, device name and
//!   link name after the entries in that order, with no padding (a name may start at
//!   an odd offset after an odd-length unique ID); `Size` is the bytes used, not
//!   `ReactOS`'s over-count. `QUERY_DOS_VOLUME_PATH` counts both NULs in
//!   `MultiSzLength` and gives the volume name without a trailing backslash, as
//!   `ReactOS`'s API test of these IOCTLs expects (its tests are meant to pass on
//!   Windows too; `ReactOS`'s own driver leaves the NULs out of the count).
//! * **`CREATE_POINT`.** Only drive letters; the given device name must be the
//!   device's own (Windows also accepts another name of the device); the link may
//!   replace a database value of another unique ID (as `ReactOS`).
//! * **Device number.** Sent for an MBR partition whose `RecognizedPartition` is set
//!   or whose type `IsRecognizedPartition` accepts (`ReactOS` uses the type).
//! * **Status of a refused volume:** `STATUS_DEVICE_PROTOCOL_ERROR` for a malformed
//!   reply is the double's choice; Windows' is unknown.
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
/// ignored unique IDs and the transcript: about 56 KiB, all of it fixed-size (under
/// 64 KiB, asserted).
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
        let req = Request {
            mark: self.transcript.mark(),
            code,
            in_len,
            out_len,
        };
        let Some(io) = buffer.get_mut(..in_len.max(out_len)) else {
            let len = buffer.len();
            req.line(&mut self.transcript, STATUS_INVALID_PARAMETER, 0, |w| {
                write!(w, " result=invalid system-buffer={len}")
            });
            return (STATUS_INVALID_PARAMETER, 0);
        };
        let (status, info) = match code {
            IOCTL_RAMDISK_TEST_MM_TRANSCRIPT => return self.copy_transcript(io, out_len),
            IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION => self.arrival_request(env, req, io),
            IOCTL_MOUNTMGR_QUERY_POINTS | IOCTL_MOUNTMGR_DELETE_POINTS => self.points(env, req, io),
            IOCTL_MOUNTMGR_CREATE_POINT => self.create_request(env, req, io),
            IOCTL_MOUNTMGR_QUERY_DOS_VOLUME_PATH => self.dos_path_request(env, req, io),
            _ => {
                let status = STATUS_INVALID_DEVICE_REQUEST;
                req.line(&mut self.transcript, status, 0, |w| {
                    w.write_str(" result=unknown-code")
                });
                (status, 0)
            }
        };
        (status, info.min(out_len))
    }

    /// `VOLUME_ARRIVAL_NOTIFICATION`.
    fn arrival_request<E: Env>(&mut self, env: &mut E, req: Request, io: &[u8]) -> (i32, usize) {
        let (status, ended, name) = self.arrival(env, req.input(io));
        let volume = name
            .and_then(|n| self.volumes.find_device(n.as_units()))
            .and_then(|i| self.volumes.get(i))
            .filter(|_| ended == arrival::Ended::Registered);
        req.line(&mut self.transcript, status, 0, |w| {
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
        });
        (status, 0)
    }

    /// `CREATE_POINT`.
    fn create_request<E: Env>(&mut self, env: &mut E, req: Request, io: &[u8]) -> (i32, usize) {
        let parsed = create::parse_create(req.input(io));
        let status = match &parsed {
            Ok(point) => self.create_point(env, point),
            Err(why) => {
                self.note(|w| w.write_str(why));
                STATUS_INVALID_PARAMETER
            }
        };
        req.line(&mut self.transcript, status, 0, |w| {
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
        });
        (status, 0)
    }

    /// `QUERY_DOS_VOLUME_PATH`.
    fn dos_path_request<E: Env>(
        &mut self,
        env: &mut E,
        req: Request,
        io: &mut [u8],
    ) -> (i32, usize) {
        let parsed = arrival::parse_target(req.input(io));
        let (status, info) = match &parsed {
            Ok(name) => {
                let out = req.output(io);
                self.dos_volume_path(env, name, out)
            }
            Err((status, why)) => {
                self.note(|w| w.write_str(why));
                (*status, 0)
            }
        };
        let reply = io.get(..info).unwrap_or(&[]);
        req.line(&mut self.transcript, status, info, |w| {
            if let Ok(name) = &parsed {
                write!(w, " device={}", Text(name.as_units()))?;
            }
            dos_path(w, status, reply)
        });
        (status, info)
    }

    /// `QUERY_POINTS` / `DELETE_POINTS`.
    fn points<E: Env>(&mut self, env: &mut E, req: Request, io: &mut [u8]) -> (i32, usize) {
        let parsed = points::parse_triple(req.input(io));
        let (status, info) = match &parsed {
            Ok(triple) => {
                let out = req.output(io);
                let (status, info, _) = if req.code == IOCTL_MOUNTMGR_DELETE_POINTS {
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
        req.line(&mut self.transcript, status, info, |w| {
            if let Ok(t) = &parsed {
                write!(w, " {t}")?;
            }
            points_reply(w, status, reply)
        });
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

/// A request being handled: what it is and where its transcript line goes.
#[derive(Clone, Copy)]
struct Request {
    mark: Mark,
    code: u32,
    in_len: usize,
    out_len: usize,
}

impl Request {
    /// The input: the first `in_len` bytes of the system buffer.
    fn input(self, io: &[u8]) -> &[u8] {
        io.get(..self.in_len).unwrap_or(&[])
    }

    /// The output: the first `out_len` bytes of the system buffer.
    fn output(self, io: &mut [u8]) -> &mut [u8] {
        io.get_mut(..self.out_len).unwrap_or(&mut [])
    }

    /// Writes its line, `request=<code> in=<n> out=<n> status=<status> info=<n>` and
    /// what `fields` adds (the input's fields, then the outcome's), at its mark:
    /// before the lines of what it did.
    fn line(
        self,
        transcript: &mut Transcript,
        status: i32,
        info: usize,
        fields: impl FnOnce(&mut Line<'_>) -> fmt::Result,
    ) {
        transcript.line_at(self.mark, |w| {
            write!(
                w,
                "request={} in={} out={} status={} info={info}",
                Code(self.code),
                self.in_len,
                self.out_len,
                Status(status)
            )?;
            fields(w)
        });
    }
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
