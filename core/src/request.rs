//! Read, write and verify requests: the one bounds-and-alignment check.
//!
//! The contract (the same one `classpnp` applies): the byte offset must not be
//! negative, offset and length must both be multiples of the 512-byte sector,
//! and `offset + length` must not pass the end of the disk (computed without
//! overflow). Every violation is `STATUS_INVALID_PARAMETER`. A zero-length
//! request anywhere up to and including the end of the disk succeeds; one
//! starting past the end fails like any other out-of-bounds request.
//!
//! The result is a [`Range`] of plain numbers, never a slice: the glue turns it
//! into addresses inside its own allocation.

use crate::geometry::BYTES_PER_SECTOR;
use crate::status::STATUS_INVALID_PARAMETER;

/// What a request does with its range. Only used for naming and dispatch; the
/// check is the same for every kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `IRP_MJ_READ`: copy disk bytes to the caller.
    Read,
    /// `IRP_MJ_WRITE`: copy caller bytes to the disk.
    Write,
    /// `IOCTL_DISK_VERIFY`: bounds check only; RAM never has bad sectors.
    Verify,
}

/// `IRP_MJ_READ` (wdm.h).
pub const IRP_MJ_READ: u8 = 0x03;
/// `IRP_MJ_WRITE` (wdm.h).
pub const IRP_MJ_WRITE: u8 = 0x04;

impl Kind {
    /// The kind for an IRP major function code, `None` for anything but
    /// `IRP_MJ_READ` and `IRP_MJ_WRITE`.
    #[must_use]
    pub const fn from_major_function(major: u8) -> Option<Self> {
        match major {
            IRP_MJ_READ => Some(Self::Read),
            IRP_MJ_WRITE => Some(Self::Write),
            _ => None,
        }
    }

    /// A short name for log lines.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Verify => "verify",
        }
    }
}

/// An accepted request: `offset + length <= disk_size`, both sector aligned.
///
/// Only [`check`] makes one, so holding a `Range` means it was validated against
/// *some* disk size; a consumer that owns a disk of its own (the store) still
/// compares [`Range::end`] with its own length, because a range validated for a
/// larger disk must never reach a smaller one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Range {
    offset: u64,
    length: usize,
}

impl Range {
    /// Byte offset from the start of the disk (a multiple of 512).
    #[must_use]
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// Number of bytes (a multiple of 512, possibly 0).
    #[must_use]
    pub const fn length(&self) -> usize {
        self.length
    }

    /// Whether the range covers no bytes.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// One past the last byte: `offset + length`, which [`check`] proved
    /// does not overflow and is at most the disk size.
    #[must_use]
    pub const fn end(&self) -> u64 {
        // `check` proved the sum fits; saturating keeps this total anyway.
        self.offset.saturating_add(self.length as u64)
    }
}

/// Validates a transfer of `length` bytes at byte `offset` on a disk of
/// `disk_size` bytes (`Parameters.Read.ByteOffset` / `Parameters.Read.Length`,
/// or `VERIFY_INFORMATION`).
///
/// # Errors
/// `STATUS_INVALID_PARAMETER` when the offset is negative, offset or length is
/// not a multiple of 512, or the range ends beyond `disk_size`.
pub const fn check(offset: i64, length: u32, disk_size: u64) -> Result<Range, i32> {
    let sector = BYTES_PER_SECTOR as u64;
    if offset < 0 {
        return Err(STATUS_INVALID_PARAMETER);
    }
    let offset = offset.cast_unsigned();
    let len = length as u64;
    if !offset.is_multiple_of(sector) || !len.is_multiple_of(sector) {
        return Err(STATUS_INVALID_PARAMETER);
    }
    match offset.checked_add(len) {
        Some(end) if end <= disk_size => {}
        _ => return Err(STATUS_INVALID_PARAMETER),
    }
    // u32 -> usize cannot lose bits on the 32- and 64-bit targets Windows has.
    Ok(Range {
        offset,
        length: length as usize,
    })
}

/// Checks the caller's buffer of an accepted read or write, as its MDL describes it.
///
/// `buffer_len` (`MDL.ByteCount`) must cover the whole request, and the MDL must not
/// be chained (`Next` not NULL: a disk driver maps and copies exactly one MDL).
///
/// # Errors
/// `STATUS_INVALID_PARAMETER` for a buffer shorter than the request or a chained MDL.
pub const fn check_buffer(range: &Range, buffer_len: usize, chained: bool) -> Result<(), i32> {
    if chained || buffer_len < range.length {
        Err(STATUS_INVALID_PARAMETER)
    } else {
        Ok(())
    }
}

/// `IRP_PAGING_IO` (wdm.h): the memory manager reads or writes pages (a page fault,
/// the paging file, a mapped file) through this IRP.
pub const IRP_PAGING_IO: u32 = 0x0000_0002;
/// `IRP_SYNCHRONOUS_PAGING_IO` (wdm.h): synchronous paging I/O; the memory manager sets
/// it together with [`IRP_PAGING_IO`].
pub const IRP_SYNCHRONOUS_PAGING_IO: u32 = 0x0000_0040;
/// `NormalPagePriority` (`MM_PAGE_PRIORITY`, wdm.h).
pub const NORMAL_PAGE_PRIORITY: u32 = 16;
/// `HighPagePriority` (`MM_PAGE_PRIORITY`, wdm.h).
pub const HIGH_PAGE_PRIORITY: u32 = 32;
/// `MdlMappingNoExecute` (wdm.h), OR-ed into the priority: map the buffer
/// non-executable (the caller's data is never code).
pub const MDL_MAPPING_NO_EXECUTE: u32 = 0x4000_0000;

/// The `Priority` argument to map a read or write's MDL with
/// (`MmGetSystemAddressForMdlSafe` / `MmMapLockedPagesSpecifyCache`), from the IRP's
/// `Flags`.
///
/// Paging I/O gets `HighPagePriority`: Microsoft's documentation of the routine keeps
/// that priority for mappings that must not fail unless the system is completely out
/// of resources, and names a paging path as the example. A paging read that failed to
/// map would fail the page fault it serves (for kernel pages a bugcheck such as
/// `KERNEL_DATA_INPAGE_ERROR`), and paging I/O is what the memory manager issues when
/// memory, system PTEs included, is short. Everything else gets `NormalPagePriority`,
/// which may fail under PTE pressure; the request then fails with
/// `STATUS_INSUFFICIENT_RESOURCES` and the caller can retry. Both are mapped
/// non-executable.
#[must_use]
pub const fn mdl_mapping_priority(irp_flags: u32) -> u32 {
    let paging = irp_flags & (IRP_PAGING_IO | IRP_SYNCHRONOUS_PAGING_IO) != 0;
    let priority = if paging {
        HIGH_PAGE_PRIORITY
    } else {
        NORMAL_PAGE_PRIORITY
    };
    priority | MDL_MAPPING_NO_EXECUTE
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MIB: u64 = 1 << 20;
    const BAD: Result<Range, i32> = Err(STATUS_INVALID_PARAMETER);

    #[allow(
        clippy::unnecessary_wraps,
        reason = "compared against `check`'s result"
    )]
    fn ok(offset: u64, length: usize) -> Result<Range, i32> {
        Ok(Range { offset, length })
    }

    #[test]
    fn boundaries() {
        // Whole disk, first and last sector.
        assert_eq!(check(0, 1 << 20, MIB), ok(0, 1 << 20));
        assert_eq!(check(0, 512, MIB), ok(0, 512));
        assert_eq!(check(1_048_064, 512, MIB), ok(MIB - 512, 512));
        // One sector past the end, straddling the end, starting at the end.
        assert_eq!(check(1_048_576, 512, MIB), BAD);
        assert_eq!(check(1_048_064, 1024, MIB), BAD);
        assert_eq!(check(0, (1 << 20) + 512, MIB), BAD);
        // Zero length: anywhere up to the end succeeds, past it fails.
        assert_eq!(check(0, 0, MIB), ok(0, 0));
        assert_eq!(check(1_048_576, 0, MIB), ok(MIB, 0));
        assert_eq!(check(1_048_576 + 512, 0, MIB), BAD);
        // Negative offsets.
        assert_eq!(check(-512, 512, MIB), BAD);
        assert_eq!(check(-1, 0, MIB), BAD);
        assert_eq!(check(i64::MIN, 0, MIB), BAD);
        // Huge offsets, with and without overflow of offset + length.
        assert_eq!(check(i64::MAX, 0, u64::MAX), BAD); // misaligned
        let top = i64::MAX - 511; // largest aligned i64
        assert_eq!(check(top, 0, MIB), BAD);
        assert_eq!(check(top, 512, u64::MAX), ok(top.cast_unsigned(), 512));
        assert_eq!(
            check(top, u32::MAX - 511, u64::MAX),
            ok(top.cast_unsigned(), (u32::MAX - 511) as usize)
        );
        assert_eq!(check(top, 512, top.cast_unsigned()), BAD);
        // Misalignment.
        assert_eq!(check(1, 512, MIB), BAD);
        assert_eq!(check(511, 512, MIB), BAD);
        assert_eq!(check(512, 1, MIB), BAD);
        assert_eq!(check(512, 513, MIB), BAD);
        assert_eq!(check(0, u32::MAX, u64::MAX), BAD);
        // Empty disk.
        assert_eq!(check(0, 0, 0), ok(0, 0));
        assert_eq!(check(0, 512, 0), BAD);
        // Disk size that is not a sector multiple: the partial tail is unreachable.
        assert_eq!(check(0, 512, 1023), ok(0, 512));
        assert_eq!(check(512, 512, 1023), BAD);
    }

    #[test]
    fn buffers_must_cover_the_request_in_one_mdl() {
        let r = check(512, 4096, MIB).unwrap();
        assert_eq!(check_buffer(&r, 4096, false), Ok(()));
        assert_eq!(check_buffer(&r, 8192, false), Ok(()));
        assert_eq!(check_buffer(&r, 4095, false), BAD.map(|_| ()));
        assert_eq!(check_buffer(&r, 0, false), BAD.map(|_| ()));
        assert_eq!(check_buffer(&r, 4096, true), BAD.map(|_| ()));
        let empty = check(0, 0, MIB).unwrap();
        assert_eq!(check_buffer(&empty, 0, false), Ok(()));
    }

    #[test]
    fn paging_io_maps_with_high_priority_everything_non_executable() {
        const HIGH: u32 = 0x4000_0020;
        const NORMAL: u32 = 0x4000_0010;
        assert_eq!(mdl_mapping_priority(0), NORMAL);
        // IRP_PAGING_IO, with and without IRP_SYNCHRONOUS_PAGING_IO and other flags
        // (IRP_NOCACHE 0x1, IRP_READ_OPERATION 0x800).
        assert_eq!(mdl_mapping_priority(IRP_PAGING_IO), HIGH);
        assert_eq!(
            mdl_mapping_priority(IRP_PAGING_IO | IRP_SYNCHRONOUS_PAGING_IO),
            HIGH
        );
        assert_eq!(mdl_mapping_priority(0x0000_0803), HIGH);
        assert_eq!(mdl_mapping_priority(IRP_SYNCHRONOUS_PAGING_IO), HIGH);
        // Non-paging flags leave it normal.
        assert_eq!(mdl_mapping_priority(0x0000_0001), NORMAL);
        assert_eq!(mdl_mapping_priority(0x0000_0800), NORMAL);
        assert_eq!(
            mdl_mapping_priority(!(IRP_PAGING_IO | IRP_SYNCHRONOUS_PAGING_IO)),
            NORMAL
        );
        assert_eq!(mdl_mapping_priority(u32::MAX), HIGH);
    }

    #[test]
    fn range_end_and_kinds() {
        assert_eq!(check(512, 1024, MIB).map(|r| r.end()), Ok(1536));
        assert_eq!(Kind::from_major_function(3), Some(Kind::Read));
        assert_eq!(Kind::from_major_function(4), Some(Kind::Write));
        assert_eq!(Kind::from_major_function(0x0e), None);
        assert_eq!(
            [Kind::Read.name(), Kind::Write.name(), Kind::Verify.name()],
            ["read", "write", "verify"]
        );
    }

    proptest! {
        #[test]
        fn accepted_means_in_bounds_and_aligned(
            offset in prop_oneof![any::<i64>(), (0i64..4096).prop_map(|s| s * 512), Just(i64::MAX), Just(i64::MIN)],
            length in prop_oneof![any::<u32>(), (0u32..4096).prop_map(|s| s * 512)],
            disk_size in prop_oneof![any::<u64>(), (0u64..4096).prop_map(|s| s * 512)],
        ) {
            match check(offset, length, disk_size) {
                Ok(r) => {
                    prop_assert!(offset >= 0);
                    prop_assert_eq!(r.offset(), offset.cast_unsigned());
                    prop_assert_eq!(r.length() as u64, u64::from(length));
                    prop_assert_eq!(r.offset() % 512, 0);
                    prop_assert_eq!(r.length() % 512, 0);
                    prop_assert!(u128::from(r.offset()) + r.length() as u128 <= u128::from(disk_size));
                    prop_assert_eq!(r.end(), r.offset() + r.length() as u64);
                    prop_assert_eq!(r.is_empty(), length == 0);
                }
                Err(status) => {
                    prop_assert_eq!(status, STATUS_INVALID_PARAMETER);
                    let in_bounds = offset >= 0
                        && i128::from(offset) + i128::from(length) <= i128::from(disk_size);
                    let aligned = offset % 512 == 0 && length % 512 == 0;
                    prop_assert!(!(in_bounds && aligned));
                }
            }
        }
    }
}
