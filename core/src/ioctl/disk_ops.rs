//! The IOCTLs that need the disk's memory, not just its description.
//!
//! They are TRIM (`IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES`), the driver's own
//! `IOCTL_RAMDISK_QUERY_USAGE`, and the storage property that tells Windows a
//! dynamic disk is thin-provisioned (`StorageDeviceLBProvisioningProperty`; its
//! `StorageDeviceTrimProperty` says `TrimEnabled` TRUE through
//! [`super::layout::trim_descriptor`]).
//!
//! A disk device answers with [`answer_disk`], which handles those two codes with
//! the [`DiskOps`] the driver provides (its store) and hands every other code to
//! [`super::answer`]. `IOCTL_RAMDISK_QUERY_USAGE` is therefore answered by disk
//! devices only; [`super::answer`] alone (any other kind of device) treats it as
//! unknown (`STATUS_INVALID_DEVICE_REQUEST`).

use zerocopy::{FromZeros, IntoBytes};

use super::codes::{IOCTL_RAMDISK_QUERY_USAGE, IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES};
use super::layout::{
    PROPERTY_EXISTS_QUERY, PROPERTY_STANDARD_QUERY, STORAGE_DEVICE_LB_PROVISIONING_PROPERTY,
};
use super::{Reply, answer, copy_out};
use crate::config::Allocation;
use crate::disk::DiskState;
use crate::dsm::{self, Extent};
use crate::geometry::{DiskInfo, Provisioning};
use crate::status::{STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_PARAMETER, STATUS_NOT_SUPPORTED};
use crate::wire::dsm::{DeviceLbProvisioningDescriptor, RamdiskUsage};
use crate::wire::storage::StorageDescriptorHeader;
use crate::wire::{U32, U64};

/// `DEVICE_LB_PROVISIONING_DESCRIPTOR_V1_SIZE`: the layout up to
/// `UnmapGranularityAlignment`.
pub const LB_PROVISIONING_V1_SIZE: usize = 32;
/// `RAMDISK_USAGE.Version`.
pub const USAGE_VERSION: u32 = 1;

/// `ThinProvisioningEnabled` (bit 0 of the descriptor's flag byte).
const THIN_PROVISIONING_ENABLED: u8 = 1 << 0;
/// `ThinProvisioningReadZeros`: an unmapped (trimmed, never written) block reads as
/// zeros (bit 1).
const THIN_PROVISIONING_READ_ZEROS: u8 = 1 << 1;
/// `UnmapGranularityAlignmentValid` (bit 5).
const UNMAP_GRANULARITY_ALIGNMENT_VALID: u8 = 1 << 5;

/// A disk's memory use, as the store reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Usage {
    /// Disk size in bytes.
    pub disk_size: u64,
    /// Fixed or dynamic.
    pub allocation: Allocation,
    /// The allocation (and TRIM) granularity.
    pub chunk_bytes: u64,
    /// Chunk memory held now.
    pub allocated_bytes: u64,
    /// The most chunk memory held since load.
    pub peak_allocated_bytes: u64,
    /// The most chunk memory the disk may hold.
    pub memory_limit_bytes: u64,
    /// Memory of the chunk table (directory and leaves).
    pub table_bytes: u64,
}

/// What a disk does for the IOCTLs that touch its memory (the driver: its store).
pub trait DiskOps {
    /// Trims `extent` (validated against the disk's size): it reads as zeros
    /// afterwards.
    ///
    /// # Errors
    /// The `NTSTATUS` to complete the request with.
    fn trim(&self, extent: Extent) -> Result<(), i32>;

    /// The disk's memory use now.
    fn usage(&self) -> Usage;
}

/// `IRP_MJ_DEVICE_CONTROL` of a disk device.
///
/// TRIM and the usage query go through `ops`, everything else to [`super::answer`]
/// (same arguments and guarantees: `Information <= output_len`, nothing written at or
/// past `output_len`).
#[must_use]
pub fn answer_disk(
    code: u32,
    system_buffer: &mut [u8],
    input_len: usize,
    output_len: usize,
    disk: &DiskState,
    ops: &impl DiskOps,
) -> Reply {
    match code {
        IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES => {
            let Some(input) = system_buffer.get(..input_len) else {
                return Reply::fail(STATUS_INVALID_PARAMETER);
            };
            if system_buffer.len() < output_len {
                return Reply::fail(STATUS_INVALID_PARAMETER);
            }
            match dsm::parse_trim(input, disk.info.disk_size) {
                // A write-protected disk trims nothing (a valid request is refused).
                Ok(_) if let Some(status) = disk.info.refuse_write() => Reply::fail(status),
                Ok(trim) => {
                    // Every range was validated before the first is trimmed.
                    for extent in trim.extents() {
                        if let Err(status) = ops.trim(extent) {
                            return Reply::fail(status);
                        }
                    }
                    Reply::ok(0)
                }
                Err(status) => Reply::fail(status),
            }
        }
        IOCTL_RAMDISK_QUERY_USAGE => {
            if system_buffer.len() < input_len.max(output_len) {
                return Reply::fail(STATUS_INVALID_PARAMETER);
            }
            let Some(out) = system_buffer.get_mut(..output_len) else {
                return Reply::fail(STATUS_INVALID_PARAMETER);
            };
            if out.len() < size_of::<RamdiskUsage>() {
                return Reply::fail(STATUS_BUFFER_TOO_SMALL);
            }
            Reply::ok(copy_out(out, usage_reply(&ops.usage()).as_bytes()))
        }
        _ => answer(code, system_buffer, input_len, output_len, disk),
    }
}

/// `RAMDISK_USAGE` for `usage`.
#[must_use]
pub const fn usage_reply(usage: &Usage) -> RamdiskUsage {
    // 64 bytes.
    #[expect(clippy::cast_possible_truncation, reason = "64")]
    let size = size_of::<RamdiskUsage>() as u32;
    RamdiskUsage {
        version: U32::new(USAGE_VERSION),
        size: U32::new(size),
        allocation: U32::new(usage.allocation.code()),
        reserved: U32::new(0),
        disk_size: U64::new(usage.disk_size),
        chunk_bytes: U64::new(usage.chunk_bytes),
        allocated_bytes: U64::new(usage.allocated_bytes),
        peak_allocated_bytes: U64::new(usage.peak_allocated_bytes),
        memory_limit_bytes: U64::new(usage.memory_limit_bytes),
        table_bytes: U64::new(usage.table_bytes),
    }
}

/// `DEVICE_LB_PROVISIONING_DESCRIPTOR` of a thin disk with `granularity`-byte units.
///
/// Thin provisioning on, unmapped blocks read zeros, no anchors, unmap granularity =
/// the chunk, aligned at offset 0, no limit on the blocks or ranges one TRIM may name.
#[must_use]
pub fn lb_provisioning_descriptor(granularity: u64) -> DeviceLbProvisioningDescriptor {
    // 40 bytes.
    #[expect(clippy::cast_possible_truncation, reason = "40")]
    let size = size_of::<DeviceLbProvisioningDescriptor>() as u32;
    let mut d = DeviceLbProvisioningDescriptor::new_zeroed();
    d.version = U32::new(size);
    d.size = U32::new(size);
    d.flags = THIN_PROVISIONING_ENABLED
        | THIN_PROVISIONING_READ_ZEROS
        | UNMAP_GRANULARITY_ALIGNMENT_VALID;
    d.optimal_unmap_granularity = U64::new(granularity);
    d.unmap_granularity_alignment = U64::new(0);
    d.max_unmap_lba_count = U32::new(u32::MAX);
    d.max_unmap_block_descriptor_count = U32::new(u32::MAX);
    d
}

/// `StorageDeviceLBProvisioningProperty` of `IOCTL_STORAGE_QUERY_PROPERTY` for a
/// thin-provisioned disk, or `None` for any other property and for a fully
/// provisioned disk (which has none: [`super::answer`] says `STATUS_NOT_SUPPORTED`).
///
/// Buffer rules as classpnp's: a buffer of at least the 40-byte descriptor gets all
/// of it; one of at least the 32-byte V1 layout gets that (`Version`/`Size` = 32);
/// one of at least the 8-byte header gets the header (`Version`/`Size` = 40) with
/// success; smaller is `STATUS_BUFFER_TOO_SMALL`.
pub(super) fn query_provisioning(
    property: u32,
    query: u32,
    out: &mut [u8],
    info: &DiskInfo,
) -> Option<Reply> {
    let Provisioning::Thin { granularity } = info.provisioning else {
        return None;
    };
    if property != STORAGE_DEVICE_LB_PROVISIONING_PROPERTY {
        return None;
    }
    Some(match query {
        PROPERTY_EXISTS_QUERY => Reply::ok(0),
        PROPERTY_STANDARD_QUERY => {
            let full = lb_provisioning_descriptor(granularity);
            let mut v1 = full;
            // 32 bytes.
            #[expect(clippy::cast_possible_truncation, reason = "32")]
            let v1_size = U32::new(LB_PROVISIONING_V1_SIZE as u32);
            v1.version = v1_size;
            v1.size = v1_size;
            let v1 = v1.as_bytes().get(..LB_PROVISIONING_V1_SIZE).unwrap_or(&[]);
            descriptor(out, full.as_bytes(), v1)
        }
        _ => Reply::fail(STATUS_NOT_SUPPORTED),
    })
}

/// The whole descriptor, or the shorter `older` layout, or only its header.
fn descriptor(out: &mut [u8], full: &[u8], older: &[u8]) -> Reply {
    let header = size_of::<StorageDescriptorHeader>();
    if out.len() >= full.len() {
        return Reply::ok(copy_out(out, full));
    }
    if out.len() >= older.len() {
        return Reply::ok(copy_out(out, older));
    }
    if out.len() >= header {
        return Reply::ok(copy_out(out, full.get(..header).unwrap_or(&[])));
    }
    Reply::fail(STATUS_BUFFER_TOO_SMALL)
}

#[cfg(test)]
mod tests;
