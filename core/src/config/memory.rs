//! The cap on a fixed disk: at most half of the machine's physical memory.
//!
//! A fixed disk is allocated whole, from nonpaged pool, when the driver loads, and
//! stays until it unloads. Nonpaged pool is never paged out and on 64-bit Windows may
//! grow to about the size of RAM, so a disk near the size of physical memory succeeds
//! and then starves everything else: other drivers' pool allocations fail, the
//! system stops responding or bugchecks in someone else's code. The driver refuses a
//! `DiskSize` above half of physical memory instead, with the same error path as any
//! bad value (the log line names `DiskSize`, nothing is allocated).
//!
//! Why half: it leaves the other half for Windows, its page cache and working sets,
//! and other drivers' nonpaged pool, and it is the share Linux gives a RAM file
//! system that names no size (tmpfs(5): the default is `size=50%` of physical RAM).
//! The disk's memory is also in every complete memory dump and hibernation file.
//!
//! The status is `STATUS_INSUFFICIENT_RESOURCES` (Win32 1450, "Insufficient system
//! resources exist to complete the requested service."), not
//! `STATUS_INVALID_PARAMETER`: the value is well-formed and works on a machine with
//! more memory, and an allocation that really runs out of pool fails the same way.

use super::{ConfigError, Problem, ValueName};
use crate::geometry::BYTES_PER_SECTOR;

/// The largest fixed disk a machine with `physical` bytes of physical memory may have:
/// half of it, rounded down to whole 512-byte sectors.
#[must_use]
pub const fn fixed_disk_limit(physical: u64) -> u64 {
    let sector = BYTES_PER_SECTOR as u64;
    physical / 2 / sector * sector
}

/// Checks a fixed disk of `disk_size` bytes against the machine's physical memory
/// (`None`: unknown, then nothing is refused).
///
/// # Errors
/// [`Problem::MoreThanMemoryShare`] for `DiskSize` when `disk_size` is above
/// [`fixed_disk_limit`].
pub const fn check_memory(disk_size: u64, physical: Option<u64>) -> Result<(), ConfigError> {
    match physical {
        Some(physical) if disk_size > fixed_disk_limit(physical) => Err(ConfigError {
            value: ValueName::DiskSize,
            problem: Problem::MoreThanMemoryShare {
                value: disk_size,
                physical,
            },
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::STATUS_INSUFFICIENT_RESOURCES;
    use proptest::prelude::*;
    use std::string::ToString;

    const GIB: u64 = 1 << 30;

    #[test]
    fn half_of_physical_memory_in_whole_sectors() {
        assert_eq!(fixed_disk_limit(16 * GIB), 8 * GIB);
        assert_eq!(fixed_disk_limit(1023), 0);
        assert_eq!(fixed_disk_limit(1025), 512);
        assert_eq!(fixed_disk_limit(1024), 512);
        assert_eq!(fixed_disk_limit(3 * 512), 512);
        assert_eq!(fixed_disk_limit(0), 0);
        assert_eq!(fixed_disk_limit(u64::MAX), (u64::MAX / 2) / 512 * 512);
        // 4 KiB pages: a machine reporting 4 194 301 pages (16 GiB minus 3 pages).
        let physical = 4_194_301 * 4096;
        assert_eq!(fixed_disk_limit(physical), physical / 2 / 512 * 512);
        assert_eq!(fixed_disk_limit(physical) % 512, 0);
    }

    #[test]
    fn up_to_the_limit_is_accepted_one_sector_more_is_not() {
        let physical = 16 * GIB;
        assert_eq!(check_memory(8 * GIB, Some(physical)), Ok(()));
        assert_eq!(check_memory(1 << 20, Some(physical)), Ok(()));
        let e = check_memory(8 * GIB + 512, Some(physical)).unwrap_err();
        assert_eq!(e.value, ValueName::DiskSize);
        assert_eq!(e.status(), STATUS_INSUFFICIENT_RESOURCES);
        assert_eq!(
            e.to_string(),
            "DiskSize: 8589935104 bytes is more than half of the 17179869184 bytes of physical \
             memory (at most 8589934592)"
        );
        // Unknown memory refuses nothing.
        assert_eq!(check_memory(u64::MAX, None), Ok(()));
        // No memory at all refuses every disk.
        assert!(check_memory(512, Some(0)).is_err());
    }

    proptest! {
        #[test]
        fn refused_exactly_above_half(disk in 0u64..=u64::MAX, physical in 0u64..=u64::MAX) {
            let refused = check_memory(disk, Some(physical)).is_err();
            prop_assert_eq!(refused, u128::from(disk) * 2 > u128::from(physical) / 1024 * 1024);
        }
    }
}
