//! The double's own mirrors of the Windows structures it reads and writes.
//!
//! Written from Microsoft's documentation of `mountmgr.h`, `mountdev.h`,
//! `ntdddisk.h`, `ntddstor.h` and `ntddvol.h`, independently of `ramdisk-core`'s
//! wire layer (which the double judges: a layout bug shared by both would pass
//! unnoticed). Each mirror is a `#[repr(C)]` struct of the header's own C types
//! (`ULONG` = `u32`, `USHORT` = `u16`, `BOOLEAN`/`UCHAR` = `u8`, `LARGE_INTEGER` =
//! `i64`, `WCHAR` = `u16`) with no padding written by hand: the compiler lays it
//! out by the C rules the headers rely on, and the assertions below pin each
//! size and field offset to the documented x64 value. Variable-length tails
//! (`WCHAR Name[1]`) are mirrored as the one-element array the header declares,
//! so `size_of` equals the documented `sizeof`.
//!
//! The structures are read with [`zerocopy::FromBytes::read_from_prefix`] (a
//! copy: buffers need no alignment) and the padding-free ones written with
//! [`zerocopy::IntoBytes`]. Native integers mean native byte order: the double
//! is built for x64 Windows and tested on little-endian hosts only (asserted).

use core::mem::{offset_of, size_of};

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

const _: () = assert!(
    cfg!(target_endian = "little"),
    "the mirrors use native integers: x64 byte order"
);

/// `GUID` (`guiddef.h`): `Data1` `ULONG`, `Data2`/`Data3` `USHORT`, `Data4[8]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Guid {
    /// `Data1`.
    pub data1: u32,
    /// `Data2`.
    pub data2: u16,
    /// `Data3`.
    pub data3: u16,
    /// `Data4`.
    pub data4: [u8; 8],
}
const _: () = assert!(size_of::<Guid>() == 16);
const _: () = assert!(offset_of!(Guid, data2) == 4 && offset_of!(Guid, data3) == 6);
const _: () = assert!(offset_of!(Guid, data4) == 8);

/// `MOUNTMGR_TARGET_NAME` (`mountmgr.h`): the input of `VOLUME_ARRIVAL_NOTIFICATION`
/// and `QUERY_DOS_VOLUME_PATH`; `DeviceNameLength` bytes of name from `DeviceName`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct MountmgrTargetName {
    /// `DeviceNameLength` (bytes).
    pub device_name_length: u16,
    /// `DeviceName[1]`.
    pub device_name: [u16; 1],
}
const _: () = assert!(size_of::<MountmgrTargetName>() == 4);
const _: () = assert!(offset_of!(MountmgrTargetName, device_name) == 2);

/// `MOUNTMGR_MOUNT_POINT` (`mountmgr.h`): one triple; offsets count from the start
/// of the structure that holds it (the input, or the `MOUNTMGR_MOUNT_POINTS` reply).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct MountmgrMountPoint {
    /// `SymbolicLinkNameOffset`.
    pub symbolic_link_name_offset: u32,
    /// `SymbolicLinkNameLength` (bytes).
    pub symbolic_link_name_length: u16,
    /// `Reserved1`.
    pub reserved1: u16,
    /// `UniqueIdOffset`.
    pub unique_id_offset: u32,
    /// `UniqueIdLength` (bytes).
    pub unique_id_length: u16,
    /// `Reserved2`.
    pub reserved2: u16,
    /// `DeviceNameOffset`.
    pub device_name_offset: u32,
    /// `DeviceNameLength` (bytes).
    pub device_name_length: u16,
    /// `Reserved3`.
    pub reserved3: u16,
}
const _: () = assert!(size_of::<MountmgrMountPoint>() == 24);
const _: () = assert!(offset_of!(MountmgrMountPoint, symbolic_link_name_offset) == 0);
const _: () = assert!(offset_of!(MountmgrMountPoint, symbolic_link_name_length) == 4);
const _: () = assert!(offset_of!(MountmgrMountPoint, unique_id_offset) == 8);
const _: () = assert!(offset_of!(MountmgrMountPoint, unique_id_length) == 12);
const _: () = assert!(offset_of!(MountmgrMountPoint, device_name_offset) == 16);
const _: () = assert!(offset_of!(MountmgrMountPoint, device_name_length) == 20);

/// `MOUNTMGR_MOUNT_POINTS` (`mountmgr.h`): the reply of `QUERY_POINTS` and
/// `DELETE_POINTS`; `NumberOfMountPoints` entries from `MountPoints`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct MountmgrMountPoints {
    /// `Size`: the bytes of the whole reply.
    pub size: u32,
    /// `NumberOfMountPoints`.
    pub number_of_mount_points: u32,
    /// `MountPoints[1]`.
    pub mount_points: [MountmgrMountPoint; 1],
}
const _: () = assert!(size_of::<MountmgrMountPoints>() == 32);
const _: () = assert!(offset_of!(MountmgrMountPoints, number_of_mount_points) == 4);
const _: () = assert!(offset_of!(MountmgrMountPoints, mount_points) == 8);

/// `MOUNTMGR_CREATE_POINT_INPUT` (`mountmgr.h`); offsets from its start.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct MountmgrCreatePointInput {
    /// `SymbolicLinkNameOffset`.
    pub symbolic_link_name_offset: u16,
    /// `SymbolicLinkNameLength` (bytes).
    pub symbolic_link_name_length: u16,
    /// `DeviceNameOffset`.
    pub device_name_offset: u16,
    /// `DeviceNameLength` (bytes).
    pub device_name_length: u16,
}
const _: () = assert!(size_of::<MountmgrCreatePointInput>() == 8);
const _: () = assert!(offset_of!(MountmgrCreatePointInput, symbolic_link_name_length) == 2);
const _: () = assert!(offset_of!(MountmgrCreatePointInput, device_name_offset) == 4);
const _: () = assert!(offset_of!(MountmgrCreatePointInput, device_name_length) == 6);

/// `MOUNTMGR_VOLUME_PATHS` (`mountmgr.h`): the reply of `QUERY_DOS_VOLUME_PATH`;
/// `MultiSzLength` bytes of NUL-separated, double-NUL-terminated UTF-16 from `MultiSz`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, KnownLayout, Immutable)]
pub struct MountmgrVolumePaths {
    /// `MultiSzLength` (bytes, the NULs included).
    pub multi_sz_length: u32,
    /// `MultiSz[1]` (then two bytes of padding: `sizeof` is 8).
    pub multi_sz: [u16; 1],
}
const _: () = assert!(size_of::<MountmgrVolumePaths>() == 8);
const _: () = assert!(offset_of!(MountmgrVolumePaths, multi_sz) == 4);

/// `MOUNTDEV_NAME` (`mountmgr.h`): the reply of `QUERY_DEVICE_NAME`, and the input
/// of `LINK_CREATED` / `LINK_DELETED`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct MountdevName {
    /// `NameLength` (bytes).
    pub name_length: u16,
    /// `Name[1]`.
    pub name: [u16; 1],
}
const _: () = assert!(size_of::<MountdevName>() == 4);
const _: () = assert!(offset_of!(MountdevName, name) == 2);

/// `MOUNTDEV_UNIQUE_ID` (`mountdev.h`): the reply of `QUERY_UNIQUE_ID`, the input
/// of `UNIQUE_ID_CHANGE_NOTIFY`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, KnownLayout, Immutable)]
pub struct MountdevUniqueId {
    /// `UniqueIdLength` (bytes).
    pub unique_id_length: u16,
    /// `UniqueId[1]` (then one byte of padding: `sizeof` is 4).
    pub unique_id: [u8; 1],
}
const _: () = assert!(size_of::<MountdevUniqueId>() == 4);
const _: () = assert!(offset_of!(MountdevUniqueId, unique_id) == 2);

/// `MOUNTDEV_SUGGESTED_LINK_NAME` (`mountdev.h`): the reply of
/// `QUERY_SUGGESTED_LINK_NAME`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, KnownLayout, Immutable)]
pub struct MountdevSuggestedLinkName {
    /// `UseOnlyIfThereAreNoOtherLinks` (`BOOLEAN`; then one byte of padding).
    pub use_only_if_there_are_no_other_links: u8,
    /// `NameLength` (bytes).
    pub name_length: u16,
    /// `Name[1]`.
    pub name: [u16; 1],
}
const _: () = assert!(size_of::<MountdevSuggestedLinkName>() == 6);
const _: () = assert!(offset_of!(MountdevSuggestedLinkName, name_length) == 2);
const _: () = assert!(offset_of!(MountdevSuggestedLinkName, name) == 4);

/// `PARTITION_INFORMATION_MBR` (`ntdddisk.h`).
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, KnownLayout, Immutable)]
pub struct PartitionInformationMbr {
    /// `PartitionType`.
    pub partition_type: u8,
    /// `BootIndicator` (`BOOLEAN`).
    pub boot_indicator: u8,
    /// `RecognizedPartition` (`BOOLEAN`).
    pub recognized_partition: u8,
    /// `HiddenSectors` (after one byte of padding).
    pub hidden_sectors: u32,
    /// `PartitionId` (Windows 10 and later).
    pub partition_id: Guid,
}
const _: () = assert!(size_of::<PartitionInformationMbr>() == 24);
const _: () = assert!(offset_of!(PartitionInformationMbr, recognized_partition) == 2);
const _: () = assert!(offset_of!(PartitionInformationMbr, hidden_sectors) == 4);

/// `PARTITION_INFORMATION_GPT` (`ntdddisk.h`): the larger member of the union, so
/// it fixes the union's size.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, KnownLayout, Immutable)]
pub struct PartitionInformationGpt {
    /// `PartitionType`.
    pub partition_type: Guid,
    /// `PartitionId`.
    pub partition_id: Guid,
    /// `Attributes` (`DWORD64`).
    pub attributes: u64,
    /// `Name[36]`.
    pub name: [u16; 36],
}
const _: () = assert!(size_of::<PartitionInformationGpt>() == 112);

/// `PARTITION_INFORMATION_EX` (`ntdddisk.h`): the reply of
/// `IOCTL_DISK_GET_PARTITION_INFO_EX`. The `Mbr`/`Gpt` union is mirrored by its
/// larger member; the MBR view is read from the same bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, KnownLayout, Immutable)]
pub struct PartitionInformationEx {
    /// `PartitionStyle` (`PARTITION_STYLE`: 0 MBR, 1 GPT, 2 RAW).
    pub partition_style: u32,
    /// `StartingOffset` (`LARGE_INTEGER`, after four bytes of padding).
    pub starting_offset: i64,
    /// `PartitionLength`.
    pub partition_length: i64,
    /// `PartitionNumber`.
    pub partition_number: u32,
    /// `RewritePartition` (`BOOLEAN`).
    pub rewrite_partition: u8,
    /// `IsServicePartition` (`BOOLEAN`, Windows 10 1607 and later).
    pub is_service_partition: u8,
    /// The `Mbr` / `Gpt` union (after two bytes of padding).
    pub union: PartitionInformationGpt,
}
const _: () = assert!(size_of::<PartitionInformationEx>() == 144);
const _: () = assert!(offset_of!(PartitionInformationEx, starting_offset) == 8);
const _: () = assert!(offset_of!(PartitionInformationEx, partition_number) == 24);
const _: () = assert!(offset_of!(PartitionInformationEx, rewrite_partition) == 28);
const _: () = assert!(offset_of!(PartitionInformationEx, union) == 32);
/// Where `Mbr.PartitionType` sits in `PARTITION_INFORMATION_EX`.
pub const MBR_PARTITION_TYPE_OFFSET: usize = offset_of!(PartitionInformationEx, union);
const _: () = assert!(MBR_PARTITION_TYPE_OFFSET == 32);
const _: () = assert!(
    MBR_PARTITION_TYPE_OFFSET + offset_of!(PartitionInformationMbr, recognized_partition) == 34
);

/// `STORAGE_DEVICE_NUMBER` (`ntddstor.h`): the reply of
/// `IOCTL_STORAGE_GET_DEVICE_NUMBER`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, KnownLayout, Immutable)]
pub struct StorageDeviceNumber {
    /// `DeviceType` (`DEVICE_TYPE`).
    pub device_type: u32,
    /// `DeviceNumber`.
    pub device_number: u32,
    /// `PartitionNumber`.
    pub partition_number: u32,
}
const _: () = assert!(size_of::<StorageDeviceNumber>() == 12);

/// `VOLUME_GET_GPT_ATTRIBUTES_INFORMATION` (`ntddvol.h`): the reply of
/// `IOCTL_VOLUME_GET_GPT_ATTRIBUTES`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, KnownLayout, Immutable)]
pub struct VolumeGetGptAttributesInformation {
    /// `GptAttributes`.
    pub gpt_attributes: u64,
}
const _: () = assert!(size_of::<VolumeGetGptAttributesInformation>() == 8);

/// `GPT_BASIC_DATA_ATTRIBUTE_NO_DRIVE_LETTER` (`ntdddisk.h`): bit 63.
pub const GPT_BASIC_DATA_ATTRIBUTE_NO_DRIVE_LETTER: u64 = 0x8000_0000_0000_0000;

/// `PARTITION_STYLE_MBR`.
pub const PARTITION_STYLE_MBR: u32 = 0;

/// The bytes of a counted field of a request: `length` bytes at `offset`, both
/// even (UTF-16 names, and `ReactOS`'s rule for unique IDs too), after the
/// `header`-byte fixed structure, inside `input`. `Err` is why not.
pub fn field_bytes(
    input: &[u8],
    offset: usize,
    length: usize,
    header: usize,
) -> Result<&[u8], &'static str> {
    if !offset.is_multiple_of(2) || !length.is_multiple_of(2) {
        return Err("odd offset or length");
    }
    if offset < header {
        return Err("a name inside the request's fixed structure");
    }
    let end = offset
        .checked_add(length)
        .ok_or("offset + length overflows")?;
    input
        .get(offset..end)
        .ok_or("offset + length past the input")
}

/// The part of the reply the double may read: the first `information` bytes of
/// `output` (what the I/O manager copies back), or `None` when `information`
/// claims more than the buffer holds.
pub fn delivered(output: &[u8], information: usize) -> Option<&[u8]> {
    output.get(..information)
}

/// Reads a `T` from the start of `bytes` (`None` if they are too few).
pub fn read<T: FromBytes>(bytes: &[u8]) -> Option<T> {
    T::read_from_prefix(bytes).ok().map(|(value, _)| value)
}

/// Reads a `T` at byte `at` of `bytes`.
pub fn read_at<T: FromBytes>(bytes: &[u8], at: usize) -> Option<T> {
    read(bytes.get(at..)?)
}

/// Writes `value` at byte `at` of `bytes` (`None`, nothing written, if it does not fit).
pub fn write_at<T: IntoBytes + Immutable>(bytes: &mut [u8], at: usize, value: &T) -> Option<()> {
    value.write_to_prefix(bytes.get_mut(at..)?).ok()
}

/// Writes UTF-16 `units` little-endian at byte `at` (`None`, nothing written, if
/// they do not fit).
pub fn write_units(bytes: &mut [u8], at: usize, units: &[u16]) -> Option<()> {
    let end = at.checked_add(units.len().checked_mul(2)?)?;
    let dst = bytes.get_mut(at..end)?;
    for (pair, unit) in dst.chunks_exact_mut(2).zip(units) {
        pair.copy_from_slice(&unit.to_le_bytes());
    }
    Some(())
}

/// A `u32` length or offset field as `usize` (lossless on the 32- and 64-bit
/// targets the double builds for).
pub fn len32(value: u32) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}
