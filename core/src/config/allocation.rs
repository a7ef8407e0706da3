//! How a disk gets its memory: `Allocation` (`fixed` | `dynamic`) and `MemoryLimit`,
//! and the decision [`plan_memory`] makes from them, the disk size and the
//! machine's physical memory.
//!
//! * **fixed** (the default): the whole `DiskSize` is allocated at load, so it is
//!   capped at half of the physical memory ([`super::check_memory`], naming
//!   `DiskSize`). A `MemoryLimit` with it is a mistake (the disk always holds all of
//!   `DiskSize`) and is rejected with `STATUS_INVALID_PARAMETER`, naming
//!   `MemoryLimit`.
//! * **dynamic**: memory is allocated as data is written and given back on TRIM; the
//!   disk holds at most `MemoryLimit` bytes. Its `DiskSize` is not capped by the
//!   machine's memory. Default limit: min(`DiskSize`, half of the physical memory at
//!   load — [`super::fixed_disk_limit`], the same half a fixed disk may take). A `MemoryLimit` above the physical memory is
//!   rejected (`STATUS_INSUFFICIENT_RESOURCES`, as for any size this machine cannot
//!   hold: the value is well formed and would work on a larger machine); one below
//!   [`MIN_MEMORY_LIMIT`] too (`STATUS_INVALID_PARAMETER`: the FAT metadata written
//!   at load must fit). A limit above `DiskSize` is allowed and means `DiskSize`.

use super::memory::{check_memory, fixed_disk_limit};
use super::value::Text;
use super::{Config, ConfigError, Problem, ValueName};

/// The smallest `MemoryLimit`: 8 MiB, four of the driver's 2 MiB chunks.
///
/// Formatting writes a few sectors into at most four chunks (FAT12/16/32: the boot region with
/// the first FAT's start, the second FAT, the root directory; exFAT: the boot regions
/// with the FAT, the bitmap, an up-case table that may straddle two chunks, the root
/// directory); a store test formats every kind of volume into a dynamic store this
/// small.
pub const MIN_MEMORY_LIMIT: u64 = 8 << 20;

/// The `Allocation` value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Allocation {
    /// The whole disk is allocated at load (today's behaviour).
    #[default]
    Fixed,
    /// Memory is allocated on first write and freed by TRIM.
    Dynamic,
}

impl Allocation {
    /// The registry spelling (and ramdiskctl's `--json` value).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Dynamic => "dynamic",
        }
    }

    /// `fixed` or `dynamic`, any case.
    #[must_use]
    pub fn parse(text: &[u8]) -> Option<Self> {
        [Self::Fixed, Self::Dynamic]
            .into_iter()
            .find(|a| a.name().as_bytes().eq_ignore_ascii_case(text))
    }

    /// `RAMDISK_USAGE.Allocation`: 0 fixed, 1 dynamic.
    #[must_use]
    pub const fn code(self) -> u32 {
        match self {
            Self::Fixed => 0,
            Self::Dynamic => 1,
        }
    }
}

/// What the driver allocates for a disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemoryPlan {
    /// Every chunk at load.
    Fixed,
    /// On first write, at most `limit` bytes of chunks (≤ `DiskSize`).
    Dynamic {
        /// The effective limit in bytes.
        limit: u64,
    },
}

/// The decision: the memory plan for `config` on a machine with `physical` bytes.
///
/// `physical` is the physical memory (`None` when the kernel did not say; then nothing
/// is refused for it and the default limit is `DiskSize`). See the module
/// documentation.
///
/// # Errors
/// A [`ConfigError`] naming `MemoryLimit`, or `DiskSize` for a fixed disk above
/// [`fixed_disk_limit`].
pub fn plan_memory(config: &Config, physical: Option<u64>) -> Result<MemoryPlan, ConfigError> {
    let disk_size = config.format.disk_size;
    let err = |problem| ConfigError {
        value: ValueName::MemoryLimit,
        problem,
    };
    match (config.allocation, config.memory_limit) {
        (Allocation::Fixed, None) => {
            check_memory(disk_size, physical)?;
            Ok(MemoryPlan::Fixed)
        }
        (Allocation::Fixed, Some(value)) => Err(err(Problem::LimitWithFixed { value })),
        (Allocation::Dynamic, Some(value)) => {
            if let Some(physical) = physical
                && value > physical
            {
                return Err(err(Problem::LimitAboveMemory { value, physical }));
            }
            Ok(MemoryPlan::Dynamic {
                limit: if value < disk_size { value } else { disk_size },
            })
        }
        (Allocation::Dynamic, None) => {
            let limit = match physical {
                Some(physical) if fixed_disk_limit(physical) < disk_size => {
                    fixed_disk_limit(physical)
                }
                _ => disk_size,
            };
            Ok(MemoryPlan::Dynamic { limit })
        }
    }
}

/// `Allocation` from its `REG_SZ` characters.
pub(super) fn allocation(text: &[u8]) -> Result<Allocation, Problem> {
    Allocation::parse(text).ok_or_else(|| Problem::UnknownAllocation(Text::from_ascii(text)))
}

/// `MemoryLimit` from its number.
pub(super) const fn memory_limit(value: u64) -> Result<u64, Problem> {
    if value < MIN_MEMORY_LIMIT {
        Err(Problem::LimitTooSmall { value })
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigBuilder, REG_DWORD, REG_QWORD, REG_SZ, RawValue};
    use crate::status::{STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER};
    use proptest::prelude::*;
    use std::string::ToString;
    use std::vec::Vec;

    const GIB: u64 = 1 << 30;

    fn sz(text: &str) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(u16::to_le_bytes)
            .chain([0, 0])
            .collect()
    }

    fn config(disk: u64, allocation: Option<&str>, limit: Option<u64>) -> Config {
        let mut b = ConfigBuilder::new();
        b.set(
            ValueName::DiskSize,
            RawValue {
                reg_type: REG_QWORD,
                data: &disk.to_le_bytes(),
            },
        )
        .unwrap();
        if let Some(a) = allocation {
            b.set(
                ValueName::Allocation,
                RawValue {
                    reg_type: REG_SZ,
                    data: &sz(a),
                },
            )
            .unwrap();
        }
        if let Some(l) = limit {
            b.set(
                ValueName::MemoryLimit,
                RawValue {
                    reg_type: REG_QWORD,
                    data: &l.to_le_bytes(),
                },
            )
            .unwrap();
        }
        b.finish(0)
    }

    #[test]
    fn allocation_values() {
        for (text, want) in [
            ("fixed", Allocation::Fixed),
            ("FIXED", Allocation::Fixed),
            ("Dynamic", Allocation::Dynamic),
        ] {
            assert_eq!(config(GIB, Some(text), None).allocation, want);
        }
        assert_eq!(config(GIB, None, None).allocation, Allocation::Fixed);
        for bad in ["", "thin", "dynamic ", "fix"] {
            let mut b = ConfigBuilder::new();
            let e = b
                .set(
                    ValueName::Allocation,
                    RawValue {
                        reg_type: REG_SZ,
                        data: &sz(bad),
                    },
                )
                .unwrap_err();
            assert_eq!(e.value, ValueName::Allocation);
            assert_eq!(e.status(), STATUS_INVALID_PARAMETER);
            assert!(e.to_string().starts_with("Allocation: "), "{e}");
        }
        assert_eq!(Allocation::Dynamic.code(), 1);
        assert_eq!(Allocation::Fixed.name(), "fixed");
    }

    #[test]
    fn memory_limit_values() {
        let mut b = ConfigBuilder::new();
        b.set(
            ValueName::MemoryLimit,
            RawValue {
                reg_type: REG_DWORD,
                data: &(64u32 << 20).to_le_bytes(),
            },
        )
        .unwrap();
        assert_eq!(b.finish(0).memory_limit, Some(64 << 20));
        let e = b
            .set(
                ValueName::MemoryLimit,
                RawValue {
                    reg_type: REG_QWORD,
                    data: &(MIN_MEMORY_LIMIT - 1).to_le_bytes(),
                },
            )
            .unwrap_err();
        assert_eq!(e.status(), STATUS_INVALID_PARAMETER);
        assert_eq!(
            e.to_string(),
            "MemoryLimit: 8388607 bytes is less than the 8388608 a dynamic disk needs for the metadata it formats at load"
        );
        assert_eq!(
            b.finish(0).memory_limit,
            Some(64 << 20),
            "unchanged on error"
        );
    }

    #[test]
    fn fixed_disks_take_no_limit() {
        assert_eq!(
            plan_memory(&config(GIB, None, None), Some(24 * GIB)),
            Ok(MemoryPlan::Fixed)
        );
        for allocation in [None, Some("fixed")] {
            let e = plan_memory(&config(GIB, allocation, Some(GIB)), Some(24 * GIB)).unwrap_err();
            assert_eq!(e.value, ValueName::MemoryLimit);
            assert_eq!(e.status(), STATUS_INVALID_PARAMETER);
            assert_eq!(
                e.to_string(),
                "MemoryLimit: 1073741824 bytes is set, but Allocation is fixed (a fixed disk always holds its whole DiskSize); remove MemoryLimit or set Allocation to dynamic"
            );
        }
    }

    #[test]
    fn only_fixed_disks_are_capped_at_half_of_physical_memory() {
        let physical = Some(24 * GIB);
        assert_eq!(
            plan_memory(&config(12 * GIB, None, None), physical),
            Ok(MemoryPlan::Fixed)
        );
        let e = plan_memory(&config(12 * GIB + 512, Some("fixed"), None), physical).unwrap_err();
        assert_eq!(e.value, ValueName::DiskSize);
        assert_eq!(e.status(), STATUS_INSUFFICIENT_RESOURCES);
        // A dynamic disk larger than the machine starts; its limit is the half.
        assert_eq!(
            plan_memory(&config(2048 * GIB, Some("dynamic"), None), physical),
            Ok(MemoryPlan::Dynamic { limit: 12 * GIB })
        );
        // Half in whole sectors, as for a fixed disk.
        assert_eq!(
            plan_memory(
                &config(64 * GIB, Some("dynamic"), None),
                Some(24 * GIB + 1000)
            ),
            Ok(MemoryPlan::Dynamic { limit: 12 * GIB })
        );
    }

    #[test]
    fn dynamic_limits() {
        let physical = Some(24 * GIB);
        let plan = |disk, limit| plan_memory(&config(disk, Some("dynamic"), limit), physical);
        // Default: min(DiskSize, half of physical memory).
        assert_eq!(
            plan(64 * GIB, None),
            Ok(MemoryPlan::Dynamic { limit: 12 * GIB })
        );
        assert_eq!(plan(GIB, None), Ok(MemoryPlan::Dynamic { limit: GIB }));
        assert_eq!(
            plan_memory(&config(64 * GIB, Some("dynamic"), None), None),
            Ok(MemoryPlan::Dynamic { limit: 64 * GIB })
        );
        // Explicit: up to physical memory, capped at DiskSize.
        assert_eq!(
            plan(64 * GIB, Some(20 * GIB)),
            Ok(MemoryPlan::Dynamic { limit: 20 * GIB })
        );
        assert_eq!(
            plan(64 * GIB, Some(24 * GIB)),
            Ok(MemoryPlan::Dynamic { limit: 24 * GIB })
        );
        assert_eq!(
            plan(GIB, Some(8 * GIB)),
            Ok(MemoryPlan::Dynamic { limit: GIB })
        );
        let e = plan(64 * GIB, Some(24 * GIB + 1)).unwrap_err();
        assert_eq!(e.value, ValueName::MemoryLimit);
        assert_eq!(e.status(), STATUS_INSUFFICIENT_RESOURCES);
        assert_eq!(
            e.to_string(),
            "MemoryLimit: 25769803777 bytes is more than the 25769803776 bytes of physical memory"
        );
        // Unknown physical memory refuses nothing.
        assert_eq!(
            plan_memory(&config(GIB, Some("dynamic"), Some(u64::MAX >> 1)), None),
            Ok(MemoryPlan::Dynamic { limit: GIB })
        );
    }

    proptest! {
        #[test]
        fn dynamic_limit_never_exceeds_disk_or_memory(
            disk_sectors in 1u64..(1 << 32),
            limit in proptest::option::of(MIN_MEMORY_LIMIT..(1u64 << 45)),
            physical in proptest::option::of(1u64..(1 << 45)),
        ) {
            let disk = disk_sectors * 512;
            match plan_memory(&config(disk, Some("dynamic"), limit), physical) {
                Ok(MemoryPlan::Dynamic { limit: l }) => {
                    prop_assert!(l <= disk);
                    prop_assert!(physical.is_none_or(|p| l <= p));
                    if limit.is_none() {
                        prop_assert!(physical.is_none_or(|p| l <= p / 2));
                    }
                }
                Ok(MemoryPlan::Fixed) => prop_assert!(false, "dynamic planned as fixed"),
                Err(e) => {
                    prop_assert_eq!(e.value, ValueName::MemoryLimit);
                    prop_assert!(limit.zip(physical).is_some_and(|(l, p)| l > p));
                }
            }
        }
    }
}
