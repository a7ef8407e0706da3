//! The file-system checks' decisions: free space against the driver's size and the
//! planner, and the names Windows gives a file on the volume.

use ramdisk_core::fat::{BootSector, FatType, FileSystem, FormatOptions, plan};

use super::{Outcome, win32};

/// `GetDiskFreeSpaceExW`'s totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskFree {
    /// `TotalNumberOfBytes`.
    pub total: u64,
    /// `TotalNumberOfFreeBytes`.
    pub free: u64,
}

/// The cluster count `ramdisk_core::fat::plan` gives a disk of `size` bytes with the
/// boot sector's type, cluster size, root directory, FAT count and media byte.
///
/// # Errors
/// The planner's error, as text.
pub fn planned_clusters(size: u64, boot: &BootSector) -> Result<u32, String> {
    let mut o = FormatOptions::new(size);
    o.bytes_per_sector = u32::from(boot.bytes_per_sector);
    o.file_system = match boot.fat_type {
        FatType::Fat12 => FileSystem::Fat12,
        FatType::Fat16 => FileSystem::Fat16,
        FatType::Fat32 => FileSystem::Fat32,
    };
    o.sectors_per_cluster = u32::from(boot.sectors_per_cluster);
    if boot.root_entry_count != 0 {
        o.root_dir_entries = u32::from(boot.root_entry_count);
    }
    o.num_fats = boot.num_fats;
    o.media = boot.media;
    plan(&o).map(|l| l.cluster_count).map_err(|e| {
        format!("the planner refuses {size} bytes with this boot sector's parameters ({e:?})")
    })
}

/// The `free-space` check.
///
/// The file system's totals against the boot sector's clusters (as the planner lays
/// them out for the driver's `size`) and the FAT's free clusters (read through the
/// device after a flush).
#[must_use]
pub fn free_space(
    size: u64,
    boot: &BootSector,
    fat_free: &Result<u32, String>,
    fs: &Result<DiskFree, u32>,
) -> Outcome {
    let fs = match fs {
        Ok(f) => *f,
        Err(code) => {
            return Outcome::Failed(format!("GetDiskFreeSpaceExW failed: {}", win32(*code)));
        }
    };
    let planned = match planned_clusters(size, boot) {
        Ok(n) => n,
        Err(e) => return Outcome::Failed(e),
    };
    if planned != boot.cluster_count {
        return Outcome::Failed(format!(
            "the boot sector has {} clusters, the planner {planned} for a {size}-byte disk",
            boot.cluster_count
        ));
    }
    let cluster = boot.cluster_bytes();
    let total = u64::from(boot.cluster_count) * cluster;
    if fs.total != total {
        return Outcome::Failed(format!(
            "the file system reports {} bytes in all, the boot sector {} clusters of {cluster} = {total}",
            fs.total, boot.cluster_count
        ));
    }
    let fat_free = match fat_free {
        Ok(n) => *n,
        Err(e) => return Outcome::Failed(format!("cannot count the FAT's free clusters: {e}")),
    };
    let free = u64::from(fat_free) * cluster;
    if fs.free != free {
        return Outcome::Failed(format!(
            "the file system reports {} bytes free, the FAT {fat_free} free clusters = {free}",
            fs.free
        ));
    }
    Outcome::Passed(format!(
        "{total} bytes = {} clusters of {cluster} (as planned for the driver's {size} bytes), {free} free = the FAT's {fat_free} free clusters",
        boot.cluster_count
    ))
}

/// What the names of a file `R:\<rel>` came back as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    /// `GetVolumeNameForVolumeMountPointW("R:\")`.
    pub volume: Result<String, u32>,
    /// `GetFinalPathNameByHandleW(VOLUME_NAME_DOS)`.
    pub dos: Result<String, u32>,
    /// `GetFinalPathNameByHandleW(VOLUME_NAME_GUID)`.
    pub guid: Result<String, u32>,
    /// `std::fs::canonicalize`.
    pub canonical: Result<String, String>,
}

/// Whether `name` is `\\?\Volume{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}\`.
#[must_use]
pub fn is_volume_guid_name(name: &str) -> bool {
    let Some(guid) = name
        .strip_prefix(r"\\?\Volume{")
        .and_then(|r| r.strip_suffix(r"}\"))
    else {
        return false;
    };
    let groups: Vec<&str> = guid.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The `volume-names` check for the file `R:\<rel>` (`rel` with backslashes).
#[must_use]
pub fn names_check(letter: char, rel: &str, n: &Names) -> Outcome {
    let dos_want = format!(r"\\?\{letter}:\{rel}");
    let mut wrong = Vec::new();
    let volume = match &n.volume {
        Ok(v) if is_volume_guid_name(v) => Some(v.as_str()),
        Ok(v) => {
            wrong.push(format!("GetVolumeNameForVolumeMountPointW gave {v:?}"));
            None
        }
        Err(code) => {
            wrong.push(format!(
                "GetVolumeNameForVolumeMountPointW failed: {}",
                win32(*code)
            ));
            None
        }
    };
    match &n.dos {
        Ok(p) if p.eq_ignore_ascii_case(&dos_want) => {}
        Ok(p) => wrong.push(format!("VOLUME_NAME_DOS gave {p:?}, not {dos_want:?}")),
        Err(code) => wrong.push(format!("VOLUME_NAME_DOS failed: {}", win32(*code))),
    }
    match (&n.guid, volume) {
        (Ok(p), Some(v)) if p.eq_ignore_ascii_case(&format!("{v}{rel}")) => {}
        (Ok(p), Some(v)) => wrong.push(format!(
            "VOLUME_NAME_GUID gave {p:?}, not {:?}",
            format!("{v}{rel}")
        )),
        (Ok(_), None) => {}
        (Err(code), _) => wrong.push(format!("VOLUME_NAME_GUID failed: {}", win32(*code))),
    }
    match &n.canonical {
        Ok(p) if p.eq_ignore_ascii_case(&dos_want) => {}
        Ok(p) => wrong.push(format!(
            "std::fs::canonicalize gave {p:?}, not {dos_want:?}"
        )),
        Err(e) => wrong.push(format!("std::fs::canonicalize failed: {e}")),
    }
    if wrong.is_empty() {
        Outcome::Passed(format!(
            "volume {}; {dos_want} from GetFinalPathNameByHandleW (DOS, and GUID with that name) and std::fs::canonicalize",
            volume.unwrap_or_default()
        ))
    } else {
        Outcome::Failed(wrong.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ramdisk_core::fat::table::count_free;
    use ramdisk_core::fat::{SliceWriter, Zeroed, format};

    fn volume(size: u64, fs: FileSystem) -> (BootSector, u32) {
        let mut o = FormatOptions::new(size);
        o.file_system = fs;
        let layout = plan(&o).unwrap();
        let mut img = vec![0u8; usize::try_from(size).unwrap()];
        format(&layout, &mut SliceWriter(&mut img), Zeroed::Yes).unwrap();
        let b = crate::volume::parse_fat_boot_sector(&img[..512]).unwrap();
        let fat = &img[usize::try_from(b.fat_offset()).unwrap()..]
            [..usize::try_from(b.fat_bytes()).unwrap()];
        let free = count_free(fat, b.fat_type, b.cluster_count);
        (b, free)
    }

    #[test]
    fn the_planner_gives_the_drivers_automatic_layouts_back() {
        for (size, fs) in [
            (1u64 << 20, FileSystem::Auto),
            (16 << 20, FileSystem::Auto),
            (64 << 20, FileSystem::Fat32),
            (200 << 20, FileSystem::Auto),
        ] {
            let (b, _) = volume(size, fs);
            assert_eq!(
                planned_clusters(size, &b),
                Ok(b.cluster_count),
                "{size} {fs:?}"
            );
        }
    }

    #[test]
    fn free_space_matches_or_names_the_difference() {
        let size = 16 << 20;
        let (b, free) = volume(size, FileSystem::Auto);
        let cb = b.cluster_bytes();
        let fs = Ok(DiskFree {
            total: u64::from(b.cluster_count) * cb,
            free: u64::from(free) * cb,
        });
        let o = free_space(size, &b, &Ok(free), &fs);
        assert!(
            matches!(&o, Outcome::Passed(t) if t.contains("as planned for the driver's 16777216 bytes")),
            "{o:?}"
        );
        // The driver reports another size: the planner's clusters differ.
        let o = free_space(size * 2, &b, &Ok(free), &fs);
        assert!(
            matches!(&o, Outcome::Failed(t) if t.contains("the planner")),
            "{o:?}"
        );
        let o = free_space(size, &b, &Ok(free - 1), &fs);
        assert!(
            matches!(&o, Outcome::Failed(t) if t.contains("bytes free")),
            "{o:?}"
        );
        let short = Ok(DiskFree {
            total: u64::from(b.cluster_count - 1) * cb,
            free: 0,
        });
        let o = free_space(size, &b, &Ok(free), &short);
        assert!(
            matches!(&o, Outcome::Failed(t) if t.contains("in all")),
            "{o:?}"
        );
        assert!(matches!(
            free_space(size, &b, &Ok(free), &Err(5)),
            Outcome::Failed(_)
        ));
        assert!(
            matches!(free_space(size, &b, &Err("x".into()), &fs), Outcome::Failed(t) if t.contains("free clusters"))
        );
    }

    const GUID: &str = r"\\?\Volume{0a1b2c3d-0000-1111-2222-333344445555}\";

    fn good() -> Names {
        Names {
            volume: Ok(GUID.into()),
            dos: Ok(r"\\?\R:\ramdisk-selftest\names.txt".into()),
            guid: Ok(format!(r"{GUID}ramdisk-selftest\names.txt")),
            canonical: Ok(r"\\?\r:\ramdisk-selftest\names.txt".into()),
        }
    }

    #[test]
    fn names_of_a_registered_volume() {
        assert!(is_volume_guid_name(GUID));
        assert!(!is_volume_guid_name(r"\\?\Volume{0a1b2c3d}\"));
        assert!(!is_volume_guid_name(
            r"\\?\Volume{0a1b2c3d-0000-1111-2222-33334444555x}\"
        ));
        let o = names_check('R', r"ramdisk-selftest\names.txt", &good());
        assert!(
            matches!(&o, Outcome::Passed(t) if t.starts_with(&format!("volume {GUID}; "))),
            "{o:?}"
        );
    }

    #[test]
    fn names_of_a_symlink_only_volume_fail() {
        // What a volume the mount manager does not know gets (ImDisk, Wine).
        let n = Names {
            volume: Err(1173),
            dos: Err(31),
            guid: Err(31),
            canonical: Err("Incorrect function. (os error 1)".into()),
        };
        let o = names_check('R', r"ramdisk-selftest\names.txt", &n);
        let Outcome::Failed(t) = o else {
            panic!("{o:?}")
        };
        assert!(
            t.starts_with("GetVolumeNameForVolumeMountPointW failed:"),
            "{t}"
        );
        assert!(
            t.contains("VOLUME_NAME_DOS failed") && t.contains("Win32 error 31"),
            "{t}"
        );
        assert!(
            t.ends_with("std::fs::canonicalize failed: Incorrect function. (os error 1)"),
            "{t}"
        );
        let mut n = good();
        n.guid = Ok(
            r"\\?\Volume{ffffffff-0000-1111-2222-333344445555}\ramdisk-selftest\names.txt".into(),
        );
        assert!(
            matches!(names_check('R', r"ramdisk-selftest\names.txt", &n), Outcome::Failed(t) if t.starts_with("VOLUME_NAME_GUID gave"))
        );
    }
}
