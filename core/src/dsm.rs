//! TRIM: `IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES` with `DeviceDsmAction_Trim`.
//!
//! Parsed and validated by the rules classpnp (`ClassDeviceControl` and
//! `ClasspDeviceTrimProcess`) applies before it trims anything:
//!
//! * `InputBufferLength` ≥ `sizeof(DEVICE_MANAGE_DATA_SET_ATTRIBUTES)` (28), and ≥ 28 +
//!   `ParameterBlockLength` + `DataSetRangesLength` (classpnp's sum; computed here
//!   without overflow). The blocks must also lie inside the input: a parameter block
//!   of non-zero length ends at most at `InputBufferLength`, and the ranges start at
//!   or after the 28-byte header (`DeviceDsmValidateInput`'s rule) and end inside the
//!   input. Violations: `STATUS_INVALID_PARAMETER`.
//! * An `Action` other than `DeviceDsmAction_Trim` (1): `STATUS_NOT_SUPPORTED` (the
//!   disk offers no other data-set management).
//! * `DEVICE_DSM_FLAG_ENTIRE_DATA_SET_RANGE`: no ranges may be given (offset and
//!   length 0); the whole disk is trimmed. Otherwise offset and length must be
//!   non-zero, and `DataSetRangesLength / 16` ranges (at least one; trailing bytes
//!   are ignored, as classpnp counts them) are read.
//! * Every range: `StartingOffset` not negative, offset and length multiples of the
//!   512-byte sector, length non-zero, and `offset + length` inside the disk (checked
//!   without overflow). One bad range rejects the whole request with
//!   `STATUS_INVALID_PARAMETER` before anything is trimmed.
//!
//! Other flags (`DEVICE_DSM_FLAG_TRIM_NOT_FS_ALLOCATED`, ...) change nothing for a RAM
//! disk and are accepted.

use crate::geometry::BYTES_PER_SECTOR;
use crate::request::Range;
use crate::status::{STATUS_INVALID_PARAMETER, STATUS_NOT_SUPPORTED};
use crate::wire::dsm::{DeviceDataSetRange, DeviceManageDataSetAttributes};
use crate::wire::{FromBytes, FromZeros};

/// `DeviceDsmAction_Trim`.
pub const DEVICE_DSM_ACTION_TRIM: u32 = 1;
/// `DEVICE_DSM_FLAG_ENTIRE_DATA_SET_RANGE`.
pub const DEVICE_DSM_FLAG_ENTIRE_DATA_SET_RANGE: u32 = 0x0000_0001;
/// `sizeof(DEVICE_MANAGE_DATA_SET_ATTRIBUTES)`.
pub const HEADER_SIZE: usize = size_of::<DeviceManageDataSetAttributes>();
/// `sizeof(DEVICE_DATA_SET_RANGE)`.
pub const RANGE_SIZE: usize = size_of::<DeviceDataSetRange>();

/// Where [`encode_trim`] puts the ranges: after the 28-byte header, rounded up to
/// the ranges' 8-byte alignment (as `DeviceDsmAddDataSetRange` does).
pub const RANGES_OFFSET: usize = 32;

/// Bytes of a TRIM request with `count` ranges.
#[must_use]
pub const fn trim_request_len(count: usize) -> usize {
    RANGES_OFFSET + count * RANGE_SIZE
}

/// Writes a `DeviceDsmAction_Trim` request for `ranges` into the start of `out`.
///
/// `ranges` are `(offset, length)` in bytes. Returns the request's length, `None` when
/// `out` is too small, an offset does not fit a `LONGLONG` or there are more ranges
/// than a `ULONG` can describe.
pub fn encode_trim(out: &mut [u8], ranges: &[(u64, u64)]) -> Option<usize> {
    use crate::wire::{I64, IntoBytes, U32, U64};
    let len = trim_request_len(ranges.len());
    let ranges_length = u32::try_from(ranges.len().checked_mul(RANGE_SIZE)?).ok()?;
    let out = out.get_mut(..len)?;
    out.fill(0);
    let header = DeviceManageDataSetAttributes {
        // 28 bytes.
        #[expect(clippy::cast_possible_truncation, reason = "28")]
        size: U32::new(HEADER_SIZE as u32),
        action: U32::new(DEVICE_DSM_ACTION_TRIM),
        flags: U32::new(0),
        parameter_block_offset: U32::new(0),
        parameter_block_length: U32::new(0),
        // 32 bytes.
        #[expect(clippy::cast_possible_truncation, reason = "32")]
        data_set_ranges_offset: U32::new(RANGES_OFFSET as u32),
        data_set_ranges_length: U32::new(ranges_length),
    };
    out.get_mut(..HEADER_SIZE)?
        .copy_from_slice(header.as_bytes());
    for (slot, &(offset, length)) in out
        .get_mut(RANGES_OFFSET..)?
        .chunks_exact_mut(RANGE_SIZE)
        .zip(ranges)
    {
        let range = DeviceDataSetRange {
            starting_offset: I64::new(i64::try_from(offset).ok()?),
            length_in_bytes: U64::new(length),
        };
        slot.copy_from_slice(range.as_bytes());
    }
    Some(len)
}

/// A validated byte extent of a disk: sector-aligned, inside the disk. Unlike a
/// read/write [`Range`], its length is 64-bit (a TRIM range can cover the disk).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Extent {
    offset: u64,
    length: u64,
}

impl Extent {
    /// `[offset, offset + length)` on a disk of `disk_size` bytes: both sector
    /// aligned, the end at most `disk_size` (no overflow). Length 0 is allowed here.
    ///
    /// # Errors
    /// `STATUS_INVALID_PARAMETER` otherwise.
    pub const fn check(offset: u64, length: u64, disk_size: u64) -> Result<Self, i32> {
        let sector = BYTES_PER_SECTOR as u64;
        if !offset.is_multiple_of(sector) || !length.is_multiple_of(sector) {
            return Err(STATUS_INVALID_PARAMETER);
        }
        match offset.checked_add(length) {
            Some(end) if end <= disk_size => Ok(Self { offset, length }),
            _ => Err(STATUS_INVALID_PARAMETER),
        }
    }

    /// Byte offset from the start of the disk.
    #[must_use]
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes.
    #[must_use]
    pub const fn length(&self) -> u64 {
        self.length
    }

    /// One past the last byte (proved not to overflow).
    #[must_use]
    pub const fn end(&self) -> u64 {
        self.offset.saturating_add(self.length)
    }
}

impl From<Range> for Extent {
    fn from(range: Range) -> Self {
        Self {
            offset: range.offset(),
            length: range.length() as u64,
        }
    }
}

/// A validated TRIM request: what to trim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trim<'a> {
    what: What<'a>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum What<'a> {
    /// `DEVICE_DSM_FLAG_ENTIRE_DATA_SET_RANGE`: the whole disk.
    Entire(Extent),
    /// The ranges' bytes (a whole number of validated `DEVICE_DATA_SET_RANGE`s).
    Ranges(&'a [u8]),
}

impl Trim<'_> {
    /// Whether the caller asked for the whole disk.
    #[must_use]
    pub const fn is_entire_disk(&self) -> bool {
        matches!(self.what, What::Entire(_))
    }

    /// Number of extents.
    #[must_use]
    pub const fn len(&self) -> usize {
        match self.what {
            What::Entire(_) => 1,
            What::Ranges(bytes) => bytes.len() / RANGE_SIZE,
        }
    }

    /// Never empty (a request without a range is rejected).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The extents, in the caller's order (possibly overlapping each other).
    pub fn extents(&self) -> impl Iterator<Item = Extent> + '_ {
        let (entire, bytes) = match self.what {
            What::Entire(extent) => (Some(extent), &[][..]),
            What::Ranges(bytes) => (None, bytes),
        };
        entire
            .into_iter()
            .chain(bytes.chunks_exact(RANGE_SIZE).map(|raw| {
                let r = DeviceDataSetRange::read_from_bytes(raw)
                    .unwrap_or_else(|_| DeviceDataSetRange::new_zeroed());
                // Validated by `parse_trim`: non-negative, aligned, inside the disk.
                Extent {
                    offset: r.starting_offset.get().cast_unsigned(),
                    length: r.length_in_bytes.get(),
                }
            }))
    }
}

/// `[offset, offset + length)` as a slice of `input`, if it lies inside it.
fn block(input: &[u8], offset: u32, length: u32) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(length).ok()?)?;
    input.get(start..end)
}

/// Parses and validates a TRIM request: `input` is the system buffer's first
/// `InputBufferLength` bytes, `disk_size` the disk's size. See the module
/// documentation for the rules.
///
/// # Errors
/// `STATUS_INVALID_PARAMETER` for a malformed request or a bad range,
/// `STATUS_NOT_SUPPORTED` for a well-formed request of another action.
pub fn parse_trim(input: &[u8], disk_size: u64) -> Result<Trim<'_>, i32> {
    let Ok((header, _)) = DeviceManageDataSetAttributes::read_from_prefix(input) else {
        return Err(STATUS_INVALID_PARAMETER);
    };
    let (pb_offset, pb_length) = (
        header.parameter_block_offset.get(),
        header.parameter_block_length.get(),
    );
    let (ranges_offset, ranges_length) = (
        header.data_set_ranges_offset.get(),
        header.data_set_ranges_length.get(),
    );
    // classpnp: InputBufferLength >= sizeof + ParameterBlockLength + DataSetRangesLength.
    let declared = HEADER_SIZE as u64 + u64::from(pb_length) + u64::from(ranges_length);
    if (input.len() as u64) < declared {
        return Err(STATUS_INVALID_PARAMETER);
    }
    if pb_length != 0 && block(input, pb_offset, pb_length).is_none() {
        return Err(STATUS_INVALID_PARAMETER);
    }
    if header.action.get() != DEVICE_DSM_ACTION_TRIM {
        return Err(STATUS_NOT_SUPPORTED);
    }
    if header.flags.get() & DEVICE_DSM_FLAG_ENTIRE_DATA_SET_RANGE != 0 {
        if ranges_offset != 0 || ranges_length != 0 {
            return Err(STATUS_INVALID_PARAMETER);
        }
        let whole = Extent::check(0, disk_size, disk_size)?;
        return Ok(Trim {
            what: What::Entire(whole),
        });
    }
    if ranges_offset == 0 || ranges_length == 0 || (ranges_offset as usize) < HEADER_SIZE {
        return Err(STATUS_INVALID_PARAMETER);
    }
    let count = ranges_length as usize / RANGE_SIZE;
    if count == 0 {
        return Err(STATUS_INVALID_PARAMETER);
    }
    let whole_ranges = u32::try_from(count * RANGE_SIZE).map_err(|_| STATUS_INVALID_PARAMETER)?;
    let bytes = block(input, ranges_offset, whole_ranges).ok_or(STATUS_INVALID_PARAMETER)?;
    for raw in bytes.chunks_exact(RANGE_SIZE) {
        let r = DeviceDataSetRange::read_from_bytes(raw).map_err(|_| STATUS_INVALID_PARAMETER)?;
        let (start, length) = (r.starting_offset.get(), r.length_in_bytes.get());
        if start < 0 || length == 0 {
            return Err(STATUS_INVALID_PARAMETER);
        }
        Extent::check(start.cast_unsigned(), length, disk_size)?;
    }
    Ok(Trim {
        what: What::Ranges(bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{IntoBytes, U32};
    use std::vec::Vec;

    const DISK: u64 = 1 << 20;

    fn header(action: u32, flags: u32, ranges: (u32, u32), params: (u32, u32)) -> Vec<u8> {
        DeviceManageDataSetAttributes {
            size: U32::new(28),
            action: U32::new(action),
            flags: U32::new(flags),
            parameter_block_offset: U32::new(params.0),
            parameter_block_length: U32::new(params.1),
            data_set_ranges_offset: U32::new(ranges.0),
            data_set_ranges_length: U32::new(ranges.1),
        }
        .as_bytes()
        .to_vec()
    }

    /// A request with `ranges` at offset 32 (8-aligned, as `DeviceDsmAddDataSetRange`
    /// places them).
    fn request(ranges: &[(i64, u64)]) -> Vec<u8> {
        let len = u32::try_from(ranges.len() * RANGE_SIZE).unwrap();
        let mut out = header(1, 0, (32, len), (0, 0));
        out.resize(32, 0);
        for &(start, length) in ranges {
            out.extend_from_slice(
                DeviceDataSetRange {
                    starting_offset: crate::wire::I64::new(start),
                    length_in_bytes: crate::wire::U64::new(length),
                }
                .as_bytes(),
            );
        }
        out
    }

    fn extents(input: &[u8]) -> Result<Vec<(u64, u64)>, i32> {
        parse_trim(input, DISK).map(|t| t.extents().map(|e| (e.offset(), e.length())).collect())
    }

    #[test]
    fn encoded_requests_parse_back() {
        let ranges = [(0, 4096), (65536, 512), (DISK - 512, 512)];
        let mut buf = [0xEEu8; 96];
        assert_eq!(encode_trim(&mut buf, &ranges), Some(80));
        assert_eq!(
            buf[..80],
            request(&[(0, 4096), (65536, 512), (DISK.cast_signed() - 512, 512)])[..]
        );
        assert_eq!(extents(&buf[..80]), Ok(ranges.to_vec()));
        assert_eq!(encode_trim(&mut buf[..79], &ranges), None);
        assert_eq!(encode_trim(&mut buf, &[(u64::MAX, 512)]), None);
        assert_eq!(trim_request_len(0), 32);
        // No range: a request the parser rejects, as classpnp would.
        assert_eq!(encode_trim(&mut buf, &[]), Some(32));
        assert_eq!(extents(&buf[..32]), Err(STATUS_INVALID_PARAMETER));
    }

    #[test]
    fn extent_checks() {
        assert_eq!(Extent::check(0, DISK, DISK).map(|e| e.end()), Ok(DISK));
        assert_eq!(Extent::check(DISK, 0, DISK).map(|e| e.length()), Ok(0));
        assert!(Extent::check(512, DISK, DISK).is_err());
        assert!(Extent::check(1, 512, DISK).is_err());
        assert!(Extent::check(0, 511, DISK).is_err());
        assert!(Extent::check(u64::MAX - 511, 1024, u64::MAX).is_err());
        let r = crate::request::check(1024, 2048, DISK).unwrap();
        assert_eq!(Extent::from(r), Extent::check(1024, 2048, DISK).unwrap());
    }

    #[test]
    fn ranges_are_read_in_order() {
        let input = request(&[(0, 4096), (65536, 512), (DISK.cast_signed() - 512, 512)]);
        assert_eq!(
            extents(&input),
            Ok(std::vec![(0, 4096), (65536, 512), (DISK - 512, 512)])
        );
        let t = parse_trim(&input, DISK).unwrap();
        assert_eq!(t.len(), 3);
        assert!(!t.is_empty() && !t.is_entire_disk());
        // Overlapping ranges are fine.
        assert_eq!(extents(&request(&[(0, 4096), (0, 4096)])).unwrap().len(), 2);
    }

    #[test]
    fn entire_disk() {
        let input = header(1, DEVICE_DSM_FLAG_ENTIRE_DATA_SET_RANGE, (0, 0), (0, 0));
        assert_eq!(extents(&input), Ok(std::vec![(0, DISK)]));
        assert!(parse_trim(&input, DISK).unwrap().is_entire_disk());
        // With ranges: rejected.
        for ranges in [(32, 16), (32, 0), (0, 16)] {
            let mut input = header(1, 1, ranges, (0, 0));
            input.resize(48, 0);
            assert_eq!(extents(&input), Err(STATUS_INVALID_PARAMETER), "{ranges:?}");
        }
        // Other flag bits are accepted.
        let input = header(1, 0x8000_0001, (0, 0), (0, 0));
        assert!(extents(&input).is_ok());
    }

    #[test]
    fn short_and_inconsistent_inputs() {
        let good = request(&[(0, 512)]);
        assert!(extents(&good).is_ok());
        // Shorter than the header, or than what the header declares.
        assert_eq!(extents(&good[..27]), Err(STATUS_INVALID_PARAMETER));
        assert_eq!(
            extents(&good[..good.len() - 1]),
            Err(STATUS_INVALID_PARAMETER)
        );
        assert_eq!(extents(&[]), Err(STATUS_INVALID_PARAMETER));
        // No ranges without the flag.
        assert_eq!(
            extents(&header(1, 0, (0, 0), (0, 0))),
            Err(STATUS_INVALID_PARAMETER)
        );
        let mut zero_len = header(1, 0, (32, 0), (0, 0));
        zero_len.resize(48, 0);
        assert_eq!(extents(&zero_len), Err(STATUS_INVALID_PARAMETER));
        // Fewer than 16 bytes of ranges: no whole range.
        let mut partial = header(1, 0, (32, 15), (0, 0));
        partial.resize(47, 0);
        assert_eq!(extents(&partial), Err(STATUS_INVALID_PARAMETER));
        // Ranges inside the header, or past the input.
        let mut inside = header(1, 0, (8, 16), (0, 0));
        inside.resize(44, 0);
        assert_eq!(extents(&inside), Err(STATUS_INVALID_PARAMETER));
        let mut past = good.clone();
        past[20..24].copy_from_slice(&40u32.to_le_bytes());
        assert_eq!(extents(&past), Err(STATUS_INVALID_PARAMETER));
        let mut huge = good.clone();
        huge[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(extents(&huge), Err(STATUS_INVALID_PARAMETER));
        // Trailing bytes beyond whole ranges are ignored, as classpnp does.
        let mut trailing = request(&[(0, 512)]);
        trailing[24..28].copy_from_slice(&20u32.to_le_bytes());
        trailing.extend_from_slice(&[0xFF; 4]);
        assert_eq!(extents(&trailing), Ok(std::vec![(0, 512)]));
        // A parameter block must lie inside the input.
        let mut params = request(&[(0, 512)]);
        params[12..16].copy_from_slice(&28u32.to_le_bytes());
        params[16..20].copy_from_slice(&4u32.to_le_bytes());
        params.extend_from_slice(&[0; 4]);
        assert!(extents(&params).is_ok());
        params[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(extents(&params), Err(STATUS_INVALID_PARAMETER));
        // Declared lengths that overflow a ULONG sum.
        let mut overflow = good;
        overflow[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(extents(&overflow), Err(STATUS_INVALID_PARAMETER));
    }

    #[test]
    fn other_actions_are_not_supported() {
        for action in [0, 2, 0x8000_0002, 3, 4] {
            let mut input = request(&[(0, 512)]);
            input[4..8].copy_from_slice(&u32::to_le_bytes(action));
            assert_eq!(extents(&input), Err(STATUS_NOT_SUPPORTED), "{action:#x}");
        }
        // A short request is invalid before its action is looked at.
        let mut short = header(2, 0, (0, 0), (0, 0));
        short.truncate(20);
        assert_eq!(extents(&short), Err(STATUS_INVALID_PARAMETER));
    }

    #[test]
    fn bad_ranges_reject_the_whole_request() {
        for bad in [
            (-512, 512),
            (i64::MIN, 512),
            (1, 512),
            (0, 511),
            (0, 0),
            (DISK.cast_signed(), 512),
            (DISK.cast_signed() - 512, 1024),
            (512, u64::MAX - 511),
            (i64::MAX - 511, 1024),
        ] {
            let input = request(&[(0, 512), bad]);
            assert_eq!(extents(&input), Err(STATUS_INVALID_PARAMETER), "{bad:?}");
        }
    }
}
