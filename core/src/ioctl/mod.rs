//! `IRP_MJ_DEVICE_CONTROL`: the IOCTL table and the reply encoding.
//!
//! Every IOCTL the driver answers is `METHOD_BUFFERED`: the I/O manager hands
//! the driver one `SystemBuffer` that holds the input on entry and receives the
//! output, so [`answer`] copies the whole input into locals before a byte of
//! output is written. The reply is a status and the `IoStatus.Information`
//! byte count, which is never more than the output buffer length.
//!
//! The table of codes with their input and output sizes and replies, and the status
//! for every kind of bad request, are listed once, in the README's *IOCTLs* section
//! (the reference for users and tool writers); [`TABLE`] is the code's one copy, and
//! the tests pin every row and every buffer-size boundary.

pub mod codes;
pub mod disk_ops;
pub mod layout;

#[cfg(test)]
mod tests;

use crate::disk::DiskState;
use crate::request;
use crate::status::{
    STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_PARAMETER, STATUS_NOT_SUPPORTED, STATUS_SUCCESS,
};
use codes::{
    IOCTL_DISK_CHECK_VERIFY, IOCTL_DISK_GET_CACHE_INFORMATION, IOCTL_DISK_GET_DRIVE_GEOMETRY,
    IOCTL_DISK_GET_DRIVE_GEOMETRY_EX, IOCTL_DISK_GET_LENGTH_INFO, IOCTL_DISK_GET_MEDIA_TYPES,
    IOCTL_DISK_GET_PARTITION_INFO, IOCTL_DISK_GET_PARTITION_INFO_EX, IOCTL_DISK_IS_WRITABLE,
    IOCTL_DISK_MEDIA_REMOVAL, IOCTL_DISK_SET_PARTITION_INFO, IOCTL_DISK_SET_PARTITION_INFO_EX,
    IOCTL_DISK_UPDATE_PROPERTIES, IOCTL_DISK_VERIFY, IOCTL_MOUNTDEV_LINK_CREATED,
    IOCTL_MOUNTDEV_LINK_CREATED_LEGACY, IOCTL_MOUNTDEV_LINK_DELETED,
    IOCTL_MOUNTDEV_LINK_DELETED_LEGACY, IOCTL_MOUNTDEV_QUERY_DEVICE_NAME,
    IOCTL_MOUNTDEV_QUERY_STABLE_GUID, IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME,
    IOCTL_MOUNTDEV_QUERY_UNIQUE_ID, IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY,
    IOCTL_STORAGE_CHECK_VERIFY, IOCTL_STORAGE_CHECK_VERIFY2, IOCTL_STORAGE_GET_DEVICE_NUMBER,
    IOCTL_STORAGE_GET_HOTPLUG_INFO, IOCTL_STORAGE_GET_MEDIA_TYPES,
    IOCTL_STORAGE_GET_MEDIA_TYPES_EX, IOCTL_STORAGE_MEDIA_REMOVAL, IOCTL_STORAGE_QUERY_PROPERTY,
    IOCTL_VOLUME_GET_GPT_ATTRIBUTES, IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS, IOCTL_VOLUME_IS_DYNAMIC,
    IOCTL_VOLUME_OFFLINE, IOCTL_VOLUME_ONLINE,
};
use layout::{
    PARTITION_STYLE_MBR, PROPERTY_EXISTS_QUERY, PROPERTY_STANDARD_QUERY,
    STORAGE_ACCESS_ALIGNMENT_PROPERTY, STORAGE_ADAPTER_PROPERTY, STORAGE_DEVICE_PROPERTY,
    STORAGE_DEVICE_SEEK_PENALTY_PROPERTY, STORAGE_DEVICE_TRIM_PROPERTY, disk_geometry,
    disk_geometry_ex, get_length_information, get_media_types, partition_information,
    partition_information_ex, storage_device_number, storage_hotplug_info,
};
use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::wire::disk::{
    DiskCacheInformation, DiskGeometry, DiskGeometryExFull, DiskGeometryExHeader,
    DiskPartitionInfo, GetLengthInformation, PartitionInformation, PartitionInformationEx,
    PreventMediaRemoval, SetPartitionInformation, SetPartitionInformationEx, VerifyInformation,
};
use crate::wire::mountdev::{
    MOUNTDEV_DATA_OFFSET, MOUNTDEV_STRUCT_SIZE, MOUNTDEV_SUGGESTED_LINK_NAME_SIZE, MountdevHeader,
    MountdevSuggestedLinkNameHeader,
};
use crate::wire::storage::{
    GetMediaTypes, StorageDescriptorHeader, StorageDeviceNumber, StorageHotplugInfo,
    StoragePropertyQuery,
};

/// What the glue stores in the IRP: `IoStatus.Status` and `IoStatus.Information`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reply {
    /// `IoStatus.Status`.
    pub status: i32,
    /// `IoStatus.Information`: bytes of output written; never more than the
    /// output buffer length.
    pub information: usize,
}

impl Reply {
    /// Success with `information` bytes of output.
    const fn ok(information: usize) -> Self {
        Self {
            status: STATUS_SUCCESS,
            information,
        }
    }

    /// A failure: no output.
    const fn fail(status: i32) -> Self {
        Self {
            status,
            information: 0,
        }
    }
}

/// How an IOCTL uses the output buffer; checked before the handler runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Output {
    /// No output; Information is 0 whatever the buffer.
    None,
    /// A reply of exactly this size; a smaller buffer is `STATUS_BUFFER_TOO_SMALL`.
    Fixed(usize),
    /// No buffer at all is fine (Information 0); otherwise as [`Output::Fixed`].
    Optional(usize),
    /// At least `min` bytes (else `STATUS_BUFFER_TOO_SMALL`); the handler
    /// decides how much of the reply fits.
    AtLeast(usize),
    /// As [`Output::AtLeast`], but a smaller buffer is `STATUS_INVALID_PARAMETER`
    /// (what `IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME` documents).
    AtLeastElseInvalid(usize),
}

impl Output {
    /// The smallest output length that is not `STATUS_BUFFER_TOO_SMALL`.
    #[must_use]
    pub const fn min(self) -> usize {
        match self {
            Self::None | Self::Optional(_) => 0,
            Self::Fixed(n) | Self::AtLeast(n) | Self::AtLeastElseInvalid(n) => n,
        }
    }

    /// The status of an output buffer shorter than [`Output::min`].
    #[must_use]
    pub const fn short_status(self) -> i32 {
        match self {
            Self::AtLeastElseInvalid(_) => STATUS_INVALID_PARAMETER,
            _ => STATUS_BUFFER_TOO_SMALL,
        }
    }
}

/// The largest input any IOCTL reads (`SET_PARTITION_INFORMATION_EX`).
const MAX_INPUT: usize = {
    let sizes = [
        size_of::<VerifyInformation>(),
        size_of::<StoragePropertyQuery>(),
        size_of::<SetPartitionInformation>(),
        size_of::<SetPartitionInformationEx>(),
        size_of::<PreventMediaRemoval>(),
    ];
    let mut max = 0;
    let mut i = 0;
    while i < sizes.len() {
        if sizes[i] > max {
            max = sizes[i];
        }
        i += 1;
    }
    max
};

/// The input, copied out of the system buffer before any output is written
/// (zero-filled past `InputBufferLength`).
struct Input {
    bytes: [u8; MAX_INPUT],
}

impl Input {
    /// The input as the structure `T` (which the table's `min_input` guarantees fits).
    fn read<T: FromBytes>(&self) -> T {
        T::read_from_prefix(&self.bytes).map_or_else(|_| T::new_zeroed(), |(value, _)| value)
    }
}

/// `size_of::<T>()`, for the table.
const fn size<T>() -> usize {
    size_of::<T>()
}

/// A handler: the copied input, the output buffer (exactly `output_len` bytes,
/// already checked against the entry's [`Output`] rule), the disk's state.
type Handler = fn(&Input, &mut [u8], &DiskState) -> Reply;

/// One IOCTL the driver answers.
#[derive(Clone, Copy)]
pub struct Entry {
    /// The IOCTL code.
    pub code: u32,
    /// Its WDK name.
    pub name: &'static str,
    /// Smallest `InputBufferLength`; less is `STATUS_INVALID_PARAMETER`.
    pub min_input: usize,
    /// The output rule.
    pub output: Output,
    handler: Handler,
}

impl core::fmt::Debug for Entry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Entry")
            .field("code", &format_args!("{:#010x}", self.code))
            .field("name", &self.name)
            .field("min_input", &self.min_input)
            .field("output", &self.output)
            .finish_non_exhaustive()
    }
}

/// Every IOCTL the driver answers, with its contract.
///
/// Anything else is `STATUS_INVALID_DEVICE_REQUEST`. Rows whose handler is `refuse`
/// are answered that way on purpose (the README's *IOCTLs* section says why).
#[rustfmt::skip]
pub const TABLE: [Entry; 36] = [
    Entry { code: IOCTL_DISK_GET_DRIVE_GEOMETRY, name: "IOCTL_DISK_GET_DRIVE_GEOMETRY", min_input: 0, output: Output::Fixed(size::<DiskGeometry>()), handler: get_drive_geometry },
    Entry { code: IOCTL_DISK_GET_DRIVE_GEOMETRY_EX, name: "IOCTL_DISK_GET_DRIVE_GEOMETRY_EX", min_input: 0, output: Output::AtLeast(size::<DiskGeometryExHeader>()), handler: get_drive_geometry_ex },
    Entry { code: IOCTL_DISK_GET_LENGTH_INFO, name: "IOCTL_DISK_GET_LENGTH_INFO", min_input: 0, output: Output::Fixed(size::<GetLengthInformation>()), handler: get_length_info },
    Entry { code: IOCTL_DISK_GET_PARTITION_INFO, name: "IOCTL_DISK_GET_PARTITION_INFO", min_input: 0, output: Output::Fixed(size::<PartitionInformation>()), handler: get_partition_info },
    Entry { code: IOCTL_DISK_GET_PARTITION_INFO_EX, name: "IOCTL_DISK_GET_PARTITION_INFO_EX", min_input: 0, output: Output::Fixed(size::<PartitionInformationEx>()), handler: get_partition_info_ex },
    Entry { code: IOCTL_DISK_SET_PARTITION_INFO, name: "IOCTL_DISK_SET_PARTITION_INFO", min_input: size::<SetPartitionInformation>(), output: Output::None, handler: set_partition_info },
    Entry { code: IOCTL_DISK_SET_PARTITION_INFO_EX, name: "IOCTL_DISK_SET_PARTITION_INFO_EX", min_input: size::<SetPartitionInformationEx>(), output: Output::None, handler: set_partition_info_ex },
    Entry { code: IOCTL_DISK_IS_WRITABLE, name: "IOCTL_DISK_IS_WRITABLE", min_input: 0, output: Output::None, handler: no_output },
    Entry { code: IOCTL_DISK_CHECK_VERIFY, name: "IOCTL_DISK_CHECK_VERIFY", min_input: 0, output: Output::Optional(4), handler: check_verify },
    Entry { code: IOCTL_DISK_VERIFY, name: "IOCTL_DISK_VERIFY", min_input: size::<VerifyInformation>(), output: Output::None, handler: verify },
    Entry { code: IOCTL_DISK_GET_MEDIA_TYPES, name: "IOCTL_DISK_GET_MEDIA_TYPES", min_input: 0, output: Output::Fixed(size::<DiskGeometry>()), handler: get_drive_geometry },
    Entry { code: IOCTL_DISK_MEDIA_REMOVAL, name: "IOCTL_DISK_MEDIA_REMOVAL", min_input: size::<PreventMediaRemoval>(), output: Output::None, handler: no_output },
    Entry { code: IOCTL_DISK_UPDATE_PROPERTIES, name: "IOCTL_DISK_UPDATE_PROPERTIES", min_input: 0, output: Output::None, handler: no_output },
    Entry { code: IOCTL_DISK_GET_CACHE_INFORMATION, name: "IOCTL_DISK_GET_CACHE_INFORMATION", min_input: 0, output: Output::Fixed(size::<DiskCacheInformation>()), handler: get_cache_information },
    Entry { code: IOCTL_STORAGE_CHECK_VERIFY, name: "IOCTL_STORAGE_CHECK_VERIFY", min_input: 0, output: Output::Optional(4), handler: check_verify },
    Entry { code: IOCTL_STORAGE_CHECK_VERIFY2, name: "IOCTL_STORAGE_CHECK_VERIFY2", min_input: 0, output: Output::Optional(4), handler: check_verify },
    Entry { code: IOCTL_STORAGE_MEDIA_REMOVAL, name: "IOCTL_STORAGE_MEDIA_REMOVAL", min_input: size::<PreventMediaRemoval>(), output: Output::None, handler: no_output },
    Entry { code: IOCTL_STORAGE_GET_DEVICE_NUMBER, name: "IOCTL_STORAGE_GET_DEVICE_NUMBER", min_input: 0, output: Output::Fixed(size::<StorageDeviceNumber>()), handler: get_device_number },
    Entry { code: IOCTL_STORAGE_GET_HOTPLUG_INFO, name: "IOCTL_STORAGE_GET_HOTPLUG_INFO", min_input: 0, output: Output::Fixed(size::<StorageHotplugInfo>()), handler: get_hotplug_info },
    Entry { code: IOCTL_STORAGE_GET_MEDIA_TYPES, name: "IOCTL_STORAGE_GET_MEDIA_TYPES", min_input: 0, output: Output::Fixed(size::<DiskGeometry>()), handler: get_drive_geometry },
    Entry { code: IOCTL_STORAGE_GET_MEDIA_TYPES_EX, name: "IOCTL_STORAGE_GET_MEDIA_TYPES_EX", min_input: 0, output: Output::Fixed(size::<GetMediaTypes>()), handler: get_media_types_ex },
    // Output rule depends on the query: 0 bytes for PropertyExistsQuery, 8 for a standard query.
    Entry { code: IOCTL_STORAGE_QUERY_PROPERTY, name: "IOCTL_STORAGE_QUERY_PROPERTY", min_input: size::<StoragePropertyQuery>(), output: Output::AtLeast(0), handler: query_property },
    Entry { code: IOCTL_MOUNTDEV_QUERY_DEVICE_NAME, name: "IOCTL_MOUNTDEV_QUERY_DEVICE_NAME", min_input: 0, output: Output::AtLeast(MOUNTDEV_STRUCT_SIZE), handler: query_device_name },
    Entry { code: IOCTL_MOUNTDEV_QUERY_UNIQUE_ID, name: "IOCTL_MOUNTDEV_QUERY_UNIQUE_ID", min_input: 0, output: Output::AtLeast(MOUNTDEV_STRUCT_SIZE), handler: query_unique_id },
    Entry { code: IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME, name: "IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME", min_input: 0, output: Output::AtLeastElseInvalid(MOUNTDEV_SUGGESTED_LINK_NAME_SIZE), handler: query_suggested_link_name },
    Entry { code: IOCTL_MOUNTDEV_QUERY_STABLE_GUID, name: "IOCTL_MOUNTDEV_QUERY_STABLE_GUID", min_input: 0, output: Output::None, handler: refuse },
    Entry { code: IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY, name: "IOCTL_MOUNTDEV_UNIQUE_ID_CHANGE_NOTIFY", min_input: 0, output: Output::None, handler: refuse },
    Entry { code: IOCTL_MOUNTDEV_LINK_CREATED, name: "IOCTL_MOUNTDEV_LINK_CREATED", min_input: 0, output: Output::None, handler: no_output },
    Entry { code: IOCTL_MOUNTDEV_LINK_CREATED_LEGACY, name: "IOCTL_MOUNTDEV_LINK_CREATED (legacy code)", min_input: 0, output: Output::None, handler: no_output },
    Entry { code: IOCTL_MOUNTDEV_LINK_DELETED, name: "IOCTL_MOUNTDEV_LINK_DELETED", min_input: 0, output: Output::None, handler: no_output },
    Entry { code: IOCTL_MOUNTDEV_LINK_DELETED_LEGACY, name: "IOCTL_MOUNTDEV_LINK_DELETED (legacy code)", min_input: 0, output: Output::None, handler: no_output },
    Entry { code: IOCTL_VOLUME_ONLINE, name: "IOCTL_VOLUME_ONLINE", min_input: 0, output: Output::None, handler: no_output },
    Entry { code: IOCTL_VOLUME_OFFLINE, name: "IOCTL_VOLUME_OFFLINE", min_input: 0, output: Output::None, handler: no_output },
    Entry { code: IOCTL_VOLUME_IS_DYNAMIC, name: "IOCTL_VOLUME_IS_DYNAMIC", min_input: 0, output: Output::Fixed(1), handler: is_dynamic },
    Entry { code: IOCTL_VOLUME_GET_GPT_ATTRIBUTES, name: "IOCTL_VOLUME_GET_GPT_ATTRIBUTES", min_input: 0, output: Output::None, handler: refuse },
    Entry { code: IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS, name: "IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS", min_input: 0, output: Output::None, handler: refuse },
];

/// The table entry for `code`, if the driver answers it.
#[must_use]
pub fn find(code: u32) -> Option<&'static Entry> {
    TABLE.iter().find(|e| e.code == code)
}

/// The WDK name of `code`, or `"(unknown IOCTL)"`, for log lines.
#[must_use]
pub fn name(code: u32) -> &'static str {
    find(code).map_or("(unknown IOCTL)", |e| e.name)
}

/// Answers `IRP_MJ_DEVICE_CONTROL` for `code` (`IoControlCode`).
///
/// `system_buffer` is `Irp->AssociatedIrp.SystemBuffer` (an empty slice when
/// it is NULL), at least `max(input_len, output_len)` bytes long;
/// `input_len`/`output_len` are `InputBufferLength`/`OutputBufferLength`.
/// The reply's `information` is always `<= output_len`, and no byte at or
/// beyond `output_len` is written.
#[must_use]
pub fn answer(
    code: u32,
    system_buffer: &mut [u8],
    input_len: usize,
    output_len: usize,
    disk: &DiskState,
) -> Reply {
    let reply = answer_unclamped(code, system_buffer, input_len, output_len, disk);
    if reply.information > output_len {
        // Unreachable (the tests prove every handler stays within bounds);
        // a wrong Information would make the I/O manager copy too much.
        return Reply::fail(STATUS_INVALID_PARAMETER);
    }
    reply
}

fn answer_unclamped(
    code: u32,
    system_buffer: &mut [u8],
    input_len: usize,
    output_len: usize,
    disk: &DiskState,
) -> Reply {
    let Some(entry) = find(code) else {
        return Reply::fail(STATUS_INVALID_DEVICE_REQUEST);
    };
    if system_buffer.len() < input_len.max(output_len) {
        return Reply::fail(STATUS_INVALID_PARAMETER);
    }
    if input_len < entry.min_input {
        return Reply::fail(STATUS_INVALID_PARAMETER);
    }
    // Read ALL the input we use before anything is written.
    let mut input = Input {
        bytes: [0; MAX_INPUT],
    };
    let n = input_len.min(MAX_INPUT);
    if let (Some(dst), Some(src)) = (input.bytes.get_mut(..n), system_buffer.get(..n)) {
        dst.copy_from_slice(src);
    }
    let Some(out) = system_buffer.get_mut(..output_len) else {
        return Reply::fail(STATUS_INVALID_PARAMETER);
    };
    let min = match entry.output {
        Output::Optional(_) if output_len == 0 => return Reply::ok(0),
        // A buffer, if there is one, must hold the reply.
        Output::Optional(n) => n,
        other => other.min(),
    };
    if output_len < min {
        return Reply::fail(entry.output.short_status());
    }
    // A write-protected disk (`ReadOnly=1`) says so, and keeps its partition type.
    if matches!(
        code,
        IOCTL_DISK_IS_WRITABLE | IOCTL_DISK_SET_PARTITION_INFO | IOCTL_DISK_SET_PARTITION_INFO_EX
    ) && let Some(status) = disk.info.refuse_write()
    {
        return Reply::fail(status);
    }
    (entry.handler)(&input, out, disk)
}

/// Copies as much of `reply` as fits into `out`; returns the bytes copied.
fn copy_out(out: &mut [u8], reply: &[u8]) -> usize {
    let n = out.len().min(reply.len());
    if let (Some(dst), Some(src)) = (out.get_mut(..n), reply.get(..n)) {
        dst.copy_from_slice(src);
        n
    } else {
        0
    }
}

/// A fixed-size reply (the size was checked by [`answer`]).
fn fixed<T: IntoBytes + Immutable>(out: &mut [u8], reply: &T) -> Reply {
    Reply::ok(copy_out(out, reply.as_bytes()))
}

fn get_drive_geometry(_: &Input, out: &mut [u8], disk: &DiskState) -> Reply {
    fixed(out, &disk_geometry(&disk.info))
}

/// As much of the reply as fits in whole structures: the header (32), with
/// `DISK_PARTITION_INFO` (56), with `DISK_DETECTION_INFO` (112).
fn get_drive_geometry_ex(_: &Input, out: &mut [u8], disk: &DiskState) -> Reply {
    let header = size_of::<DiskGeometryExHeader>();
    let with_partition = header + size_of::<DiskPartitionInfo>();
    let full = size_of::<DiskGeometryExFull>();
    let fits = [full, with_partition, header]
        .into_iter()
        .find(|&n| out.len() >= n)
        .unwrap_or(0);
    let reply = disk_geometry_ex(&disk.info);
    Reply::ok(copy_out(out, reply.as_bytes().get(..fits).unwrap_or(&[])))
}

fn get_length_info(_: &Input, out: &mut [u8], disk: &DiskState) -> Reply {
    fixed(out, &get_length_information(&disk.info))
}

fn get_partition_info(_: &Input, out: &mut [u8], disk: &DiskState) -> Reply {
    fixed(
        out,
        &partition_information(&disk.info, disk.partition_type()),
    )
}

fn get_partition_info_ex(_: &Input, out: &mut [u8], disk: &DiskState) -> Reply {
    fixed(
        out,
        &partition_information_ex(&disk.info, disk.partition_type()),
    )
}

/// Remembers the type (`format.com` sets the new file system's); nothing on the
/// disk changes, as on a superfloppy there is no partition table to rewrite.
fn set_partition_info(input: &Input, _: &mut [u8], disk: &DiskState) -> Reply {
    let p: SetPartitionInformation = input.read();
    disk.set_partition_type(p.partition_type);
    Reply::ok(0)
}

/// As [`set_partition_info`] for the MBR style; the disk is MBR-style, so a GPT
/// (or RAW) request is `STATUS_INVALID_PARAMETER`.
fn set_partition_info_ex(input: &Input, _: &mut [u8], disk: &DiskState) -> Reply {
    let p: SetPartitionInformationEx = input.read();
    if p.partition_style.get() != PARTITION_STYLE_MBR {
        return Reply::fail(STATUS_INVALID_PARAMETER);
    }
    disk.set_partition_type(p.mbr_partition_type);
    Reply::ok(0)
}

/// A request the disk deliberately does not answer: `STATUS_INVALID_DEVICE_REQUEST`
/// (no stable GUID, no unique-ID change notification, not GPT, no disk extents).
const fn refuse(_: &Input, _: &mut [u8], _: &DiskState) -> Reply {
    Reply::fail(STATUS_INVALID_DEVICE_REQUEST)
}

/// `BOOLEAN` FALSE: a basic volume.
fn is_dynamic(_: &Input, out: &mut [u8], _: &DiskState) -> Reply {
    fixed(out, &0u8)
}

fn get_cache_information(_: &Input, out: &mut [u8], _: &DiskState) -> Reply {
    fixed(out, &layout::disk_cache_information())
}

const fn no_output(_: &Input, _: &mut [u8], _: &DiskState) -> Reply {
    Reply::ok(0)
}

/// Media change count 0: the medium never changes.
fn check_verify(_: &Input, out: &mut [u8], _: &DiskState) -> Reply {
    fixed(out, &crate::wire::U32::new(0))
}

fn verify(input: &Input, _: &mut [u8], disk: &DiskState) -> Reply {
    let v: VerifyInformation = input.read();
    match request::check(v.starting_offset.get(), v.length.get(), disk.info.disk_size) {
        Ok(_) => Reply::ok(0),
        Err(status) => Reply::fail(status),
    }
}

fn get_device_number(_: &Input, out: &mut [u8], _: &DiskState) -> Reply {
    fixed(out, &storage_device_number())
}

fn get_hotplug_info(_: &Input, out: &mut [u8], disk: &DiskState) -> Reply {
    fixed(out, &storage_hotplug_info(&disk.info))
}

fn get_media_types_ex(_: &Input, out: &mut [u8], disk: &DiskState) -> Reply {
    fixed(out, &get_media_types(&disk.info))
}

fn query_property(input: &Input, out: &mut [u8], disk: &DiskState) -> Reply {
    let q: StoragePropertyQuery = input.read();
    let (property, query) = (q.property_id.get(), q.query_type.get());
    if let Some(reply) = disk_ops::query_provisioning(property, query, out, &disk.info) {
        return reply;
    }
    let device;
    let seek_penalty;
    let trim;
    let alignment;
    let adapter;
    let reply: &[u8] = match property {
        STORAGE_DEVICE_PROPERTY => {
            device = layout::storage_device_descriptor(&disk.info);
            &device
        }
        STORAGE_ADAPTER_PROPERTY => {
            adapter = layout::storage_adapter_descriptor();
            adapter.as_bytes()
        }
        STORAGE_ACCESS_ALIGNMENT_PROPERTY => {
            alignment = layout::access_alignment_descriptor(&disk.info);
            alignment.as_bytes()
        }
        STORAGE_DEVICE_SEEK_PENALTY_PROPERTY => {
            seek_penalty = layout::seek_penalty_descriptor();
            seek_penalty.as_bytes()
        }
        STORAGE_DEVICE_TRIM_PROPERTY => {
            trim = layout::trim_descriptor(&disk.info);
            trim.as_bytes()
        }
        _ => return Reply::fail(STATUS_NOT_SUPPORTED),
    };
    match query {
        PROPERTY_EXISTS_QUERY => Reply::ok(0),
        PROPERTY_STANDARD_QUERY if out.len() < size_of::<StorageDescriptorHeader>() => {
            Reply::fail(STATUS_BUFFER_TOO_SMALL)
        }
        PROPERTY_STANDARD_QUERY => Reply::ok(copy_out(out, reply)),
        _ => Reply::fail(STATUS_NOT_SUPPORTED),
    }
}

/// The largest `MOUNTDEV_NAME`/`MOUNTDEV_UNIQUE_ID` payload: a 64-byte unique ID
/// (device names are at most 50 bytes).
const MOUNTDEV_PAYLOAD_MAX: usize = crate::disk::UNIQUE_ID_CAPACITY;
const _: () = assert!(crate::disk::DEVICE_NAME_CAPACITY * 2 <= MOUNTDEV_PAYLOAD_MAX);

/// A `MOUNTDEV_NAME`/`MOUNTDEV_UNIQUE_ID` reply: the `USHORT` length and
/// `payload_len` bytes that `fill` writes. The whole reply if it fits; else the
/// structure's fixed part ([`MOUNTDEV_STRUCT_SIZE`] bytes: the length field plus the
/// first payload bytes) with `STATUS_BUFFER_OVERFLOW`, so the caller learns the size.
fn mountdev_answer(out: &mut [u8], payload_len: usize, fill: impl FnOnce(&mut [u8])) -> Reply {
    let mut image = [0u8; MOUNTDEV_DATA_OFFSET + MOUNTDEV_PAYLOAD_MAX];
    let end = MOUNTDEV_DATA_OFFSET + payload_len;
    let (Ok(length), Some(payload)) = (
        u16::try_from(payload_len),
        image.get_mut(MOUNTDEV_DATA_OFFSET..end),
    ) else {
        return Reply::fail(STATUS_INVALID_PARAMETER);
    };
    fill(payload);
    let header = MountdevHeader {
        length: crate::wire::U16::new(length),
    };
    header.write_to_prefix(&mut image).ok();
    let reply = image.get(..end).unwrap_or(&[]);
    if out.len() >= reply.len() {
        return Reply::ok(copy_out(out, reply));
    }
    Reply {
        status: STATUS_BUFFER_OVERFLOW,
        information: copy_out(out, reply.get(..MOUNTDEV_STRUCT_SIZE).unwrap_or(reply)),
    }
}

fn query_device_name(_: &Input, out: &mut [u8], disk: &DiskState) -> Reply {
    let name = disk.identity.device_name();
    mountdev_answer(out, name.byte_len(), |payload| {
        name.write_le_bytes(payload);
    })
}

fn query_unique_id(_: &Input, out: &mut [u8], disk: &DiskState) -> Reply {
    let id = disk.identity.unique_id().as_bytes();
    mountdev_answer(out, id.len(), |payload| payload.copy_from_slice(id))
}

/// `MOUNTDEV_SUGGESTED_LINK_NAME`: `\DosDevices\X:` for the configured letter,
/// `UseOnlyIfThereAreNoOtherLinks` FALSE. The mount manager uses it only when its
/// database has no letter for the unique ID. A buffer that holds the fixed part
/// but not the name gets the fixed part (with `NameLength`) and
/// `STATUS_BUFFER_OVERFLOW`.
fn query_suggested_link_name(_: &Input, out: &mut [u8], disk: &DiskState) -> Reply {
    const HEADER: usize = size_of::<MountdevSuggestedLinkNameHeader>();
    const NAME: usize = size_of::<crate::disk::DosDeviceName>();
    let Some(name) = crate::disk::dos_device_name(disk.letter) else {
        return Reply::fail(STATUS_INVALID_DEVICE_REQUEST);
    };
    let mut image = [0u8; HEADER + NAME];
    #[expect(clippy::cast_possible_truncation, reason = "28 bytes")]
    let header = MountdevSuggestedLinkNameHeader {
        use_only_if_there_are_no_other_links: 0,
        pad: 0,
        name_length: crate::wire::U16::new(NAME as u16),
    };
    header.write_to_prefix(&mut image).ok();
    if let Some(tail) = image.get_mut(HEADER..) {
        for (pair, unit) in tail.chunks_exact_mut(2).zip(name) {
            pair.copy_from_slice(&unit.to_le_bytes());
        }
    }
    if out.len() >= image.len() {
        return Reply::ok(copy_out(out, &image));
    }
    let fixed_part = image
        .get(..MOUNTDEV_SUGGESTED_LINK_NAME_SIZE)
        .unwrap_or(&[]);
    Reply {
        status: STATUS_BUFFER_OVERFLOW,
        information: copy_out(out, fixed_part),
    }
}
