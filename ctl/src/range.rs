//! Byte ranges on the disk: what `dump`/`load` transfer and where `bench` may write.

/// The write range of a destructive bench: the last `scratch` bytes of a disk of
/// `disk_len` bytes, aligned down to `align` (a power of two), or the whole disk.
#[must_use]
pub const fn scratch_range(
    disk_len: u64,
    scratch: u64,
    align: u64,
    whole_disk: bool,
) -> (u64, u64) {
    let end = disk_len & !(align - 1);
    if whole_disk || scratch >= end {
        return (0, end);
    }
    let start = (end - scratch) & !(align - 1);
    (start, end - start)
}

/// Checks a transfer of `length` bytes (default: to the end) at `offset` against a
/// disk of `len` bytes with sector size `ss`; returns the byte count.
///
/// # Errors
/// A sentence for unaligned or out-of-range values.
pub fn transfer_range(len: u64, ss: u64, offset: u64, length: Option<u64>) -> Result<u64, String> {
    if ss == 0 || !offset.is_multiple_of(ss) || length.is_some_and(|l| l % ss != 0) {
        return Err(format!(
            "offset and length must be multiples of the sector size ({ss})"
        ));
    }
    if offset > len {
        return Err(format!(
            "offset {offset} is beyond the end of the disk ({len} bytes)"
        ));
    }
    let n = length.unwrap_or(len - offset);
    if n > len - offset {
        return Err(format!(
            "{offset}+{n} is beyond the end of the disk ({len} bytes)"
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch() {
        assert_eq!(
            scratch_range(64 << 20, 16 << 20, 1 << 20, false),
            (48 << 20, 16 << 20)
        );
        assert_eq!(
            scratch_range(64 << 20, 16 << 20, 1 << 20, true),
            (0, 64 << 20)
        );
        assert_eq!(
            scratch_range(8 << 20, 16 << 20, 1 << 20, false),
            (0, 8 << 20)
        );
        assert_eq!(
            scratch_range((8 << 20) + 512, 1 << 20, 4096, false),
            (7 << 20, 1 << 20)
        );
    }

    #[test]
    fn transfer_ranges() {
        assert_eq!(transfer_range(1 << 20, 512, 0, None), Ok(1 << 20));
        assert_eq!(transfer_range(1 << 20, 512, 512, Some(1024)), Ok(1024));
        assert_eq!(transfer_range(1 << 20, 512, 1 << 20, None), Ok(0));
        assert!(transfer_range(1 << 20, 512, 1, None).is_err());
        assert!(transfer_range(1 << 20, 512, 0, Some(100)).is_err());
        assert!(transfer_range(1 << 20, 512, 2 << 20, None).is_err());
        assert!(transfer_range(1 << 20, 512, 512, Some(1 << 20)).is_err());
        assert!(transfer_range(1 << 20, 0, 0, None).is_err());
    }
}
