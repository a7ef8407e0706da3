//! Blame: a planner rejection (FAT or exFAT) traced back to the registry value to change.

use core::fmt;

use super::value::{ValueName, file_system_name};
use crate::fat::{FileSystem, FormatError, FormatOptions};
use crate::status::STATUS_INVALID_PARAMETER;

/// A FAT planning/formatting failure traced back to the registry value most
/// responsible, for the log line and `DriverEntry`'s status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FormatProblem {
    /// The value to change, or `None` for a failure no registry value causes.
    pub value: Option<ValueName>,
    /// The planner's error.
    pub error: FormatError,
    /// The options that were planned with.
    pub options: FormatOptions,
}

impl FormatProblem {
    /// The `NTSTATUS` `DriverEntry` returns: always `STATUS_INVALID_PARAMETER`.
    #[must_use]
    pub const fn status(&self) -> i32 {
        STATUS_INVALID_PARAMETER
    }
}

/// Blames the registry value behind a planner error for `options`.
///
/// `TooSmall`/`TooLarge`/`NotSectorMultiple` → `DiskSize`;
/// `InvalidSectorsPerCluster` → `SectorsPerCluster`; `InvalidRootDirEntries`
/// → `RootDirEntries`; `InvalidLabel` → `VolumeLabel`;
/// `ClusterCountOutOfRange` → `SectorsPerCluster` if one was set explicitly,
/// else `FileSystem` if one was requested, else `DiskSize`; anything else
/// (sector size, FAT count, media byte, writer) is internal: `None`.
#[must_use]
pub const fn explain_format_error(error: FormatError, options: &FormatOptions) -> FormatProblem {
    let value = match error {
        FormatError::TooSmall | FormatError::TooLarge | FormatError::NotSectorMultiple => {
            Some(ValueName::DiskSize)
        }
        FormatError::InvalidSectorsPerCluster => Some(ValueName::SectorsPerCluster),
        FormatError::InvalidRootDirEntries => Some(ValueName::RootDirEntries),
        FormatError::InvalidLabel => Some(ValueName::VolumeLabel),
        FormatError::ClusterCountOutOfRange => {
            if options.sectors_per_cluster != 0 {
                Some(ValueName::SectorsPerCluster)
            } else if !matches!(options.file_system, FileSystem::Auto) {
                Some(ValueName::FileSystem)
            } else {
                Some(ValueName::DiskSize)
            }
        }
        _ => None,
    };
    FormatProblem {
        value,
        error,
        options: *options,
    }
}

impl fmt::Display for FormatProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.options;
        let size = o.disk_size;
        let fs = match o.file_system {
            FileSystem::Auto => "any FAT type",
            other => file_system_name(other),
        };
        match self.error {
            FormatError::TooSmall => write!(f, "DiskSize: {size} bytes is too small for {fs}"),
            FormatError::TooLarge => write!(f, "DiskSize: {size} bytes is too large for {fs}"),
            FormatError::NotSectorMultiple => write!(
                f,
                "DiskSize: {size} is not a multiple of {}",
                o.bytes_per_sector
            ),
            FormatError::InvalidSectorsPerCluster if o.file_system == FileSystem::Exfat => write!(
                f,
                "SectorsPerCluster: {} is not usable here (exFAT clusters are a power of two of at most 32 MiB)",
                o.sectors_per_cluster
            ),
            FormatError::InvalidSectorsPerCluster => write!(
                f,
                "SectorsPerCluster: {} is not usable here (clusters of at most 32 KiB, or 64 KiB with 128)",
                o.sectors_per_cluster
            ),
            FormatError::InvalidRootDirEntries => {
                write!(
                    f,
                    "RootDirEntries: {} is not usable for this volume",
                    o.root_dir_entries
                )
            }
            FormatError::InvalidLabel => f.write_str("VolumeLabel: not a valid FAT volume label"),
            FormatError::ClusterCountOutOfRange => {
                let name = self.value.map_or("DiskSize", ValueName::name);
                write!(
                    f,
                    "{name}: {fs} with SectorsPerCluster {} on {size} bytes gives a cluster count outside that type's range",
                    o.sectors_per_cluster
                )
            }
            other => write!(
                f,
                "internal {fs} formatting error {other:?} for a {size}-byte disk"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn format_errors_blame_a_value() {
        let mut o = FormatOptions::new(1 << 20);
        o.file_system = FileSystem::Fat32;
        let p = explain_format_error(FormatError::TooSmall, &o);
        assert_eq!(p.value, Some(ValueName::DiskSize));
        assert_eq!(p.status(), STATUS_INVALID_PARAMETER);
        assert_eq!(
            p.to_string(),
            "DiskSize: 1048576 bytes is too small for FAT32"
        );
        o.file_system = FileSystem::Auto;
        assert_eq!(
            explain_format_error(FormatError::TooLarge, &o).to_string(),
            "DiskSize: 1048576 bytes is too large for any FAT type"
        );
        let cases = [
            (FormatError::NotSectorMultiple, Some(ValueName::DiskSize)),
            (
                FormatError::InvalidSectorsPerCluster,
                Some(ValueName::SectorsPerCluster),
            ),
            (
                FormatError::InvalidRootDirEntries,
                Some(ValueName::RootDirEntries),
            ),
            (FormatError::InvalidLabel, Some(ValueName::VolumeLabel)),
            (
                FormatError::ClusterCountOutOfRange,
                Some(ValueName::DiskSize),
            ),
            (FormatError::InvalidBytesPerSector, None),
            (FormatError::InvalidNumFats, None),
            (FormatError::InvalidMedia, None),
            (FormatError::WriteFailed, None),
        ];
        for (e, value) in cases {
            let p = explain_format_error(e, &o);
            assert_eq!(p.value, value, "{e:?}");
            let line = p.to_string();
            if let Some(v) = value {
                assert!(line.starts_with(v.name()), "{line}");
            }
            assert_eq!(p.status(), STATUS_INVALID_PARAMETER);
        }
        o.file_system = FileSystem::Fat16;
        assert_eq!(
            explain_format_error(FormatError::ClusterCountOutOfRange, &o).value,
            Some(ValueName::FileSystem)
        );
        o.sectors_per_cluster = 64;
        let p = explain_format_error(FormatError::ClusterCountOutOfRange, &o);
        assert_eq!(p.value, Some(ValueName::SectorsPerCluster));
        assert_eq!(
            p.to_string(),
            "SectorsPerCluster: FAT16 with SectorsPerCluster 64 on 1048576 bytes gives a cluster count outside that type's range"
        );
    }

    #[test]
    fn exfat_errors_name_exfat() {
        let mut o = FormatOptions::new(512 << 10);
        o.file_system = FileSystem::Exfat;
        assert_eq!(
            explain_format_error(FormatError::TooSmall, &o).to_string(),
            "DiskSize: 524288 bytes is too small for exFAT"
        );
        o.sectors_per_cluster = 65_536;
        let p = explain_format_error(FormatError::ClusterCountOutOfRange, &o);
        assert_eq!(p.value, Some(ValueName::SectorsPerCluster));
        assert_eq!(
            p.to_string(),
            "SectorsPerCluster: exFAT with SectorsPerCluster 65536 on 524288 bytes gives a cluster count outside that type's range"
        );
        assert!(
            explain_format_error(FormatError::InvalidSectorsPerCluster, &o)
                .to_string()
                .contains("at most 32 MiB")
        );
        let p = explain_format_error(FormatError::NotFat, &o);
        assert_eq!(p.value, None);
        assert_eq!(
            p.to_string(),
            "internal exFAT formatting error NotFat for a 524288-byte disk"
        );
    }
}
