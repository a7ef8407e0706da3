//! exFAT layout planning and formatting, to Microsoft's "exFAT File System
//! Specification" (learn.microsoft.com/windows/win32/fileio/exfat-specification).
//!
//! Like [`crate::fat`]: metadata only, no allocation, no `unsafe`, no panic on any
//! input. [`plan()`] picks the cluster size and places the regions, [`format()`] writes the
//! boot regions, the FAT, the allocation bitmap, the up-case table and the root
//! directory through the same [`crate::fat::SectorWriter`] the FAT formatter uses, and
//! [`BootSector::parse`] / [`RootEntries::scan`] / [`count_free`] read a volume back.
//! Errors are [`crate::fat::FormatError`]s, so the registry blame and the driver's
//! messages work for both file systems.
//!
//! Byte layouts are in [`crate::wire::exfat`]; the up-case table comes from the
//! specification's own Table 25 (see [`upcase`]).

mod format;
mod label;
mod plan;
mod read;
pub mod upcase;

pub use format::{BootChecksum, boot_sector, extended_boot_sector_tail, format, region_checksum};
pub use label::{Label, LabelError, is_invalid_character};
pub use plan::{
    Layout, MAX_ALIGNMENT_BYTES, MAX_CLUSTER_BYTES, MIN_VOLUME_BYTES, default_cluster_bytes, plan,
};
pub use read::{Allocation, BootSector, RootEntries, count_free, is_exfat};
