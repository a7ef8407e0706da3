//! `ramdiskctl info`: size, geometry, partition, file system.

use windows_sys::Win32::System::Ioctl::{
    IOCTL_DISK_GET_PARTITION_INFO_EX, PARTITION_INFORMATION_EX,
};

use super::Ctx;
use crate::device::Device;
use crate::error::{CtlError, win32_text};
use crate::report::{
    Fact, FileSystem, Geometry, InfoReport, Partition, Usage, partition_style_name,
};
use crate::sys::resolve_device;
use crate::volume::{Volume, fat_span, parse_boot_sector};
use ramdisk_core::exfat;
use ramdisk_core::fat::BootSector;
use ramdisk_core::fat::table::{count_free, fs_info_free};

/// The most of the root directory's first cluster `info` reads for the exFAT label and
/// bitmap entries (the formatter puts them first; 64 KiB is 2048 entries).
const EXFAT_ROOT_READ: u64 = 64 << 10;

fn why(code: u32) -> String {
    format!("{} (Win32 error {code})", win32_text(code))
}

fn free_clusters(dev: &Device, v: &BootSector) -> Option<(u32, &'static str)> {
    let bps = usize::from(v.bytes_per_sector);
    if let Some(at) = v.fs_info_offset() {
        let mut s = vec![0u8; bps];
        if dev.read_exact_at(at, &mut s).is_ok()
            && let Some(free) = fs_info_free(&s)
        {
            return Some((free, "FSInfo"));
        }
    }
    let (offset, len) = fat_span(v)?;
    let mut fat = vec![0u8; len];
    dev.read_exact_at(offset, &mut fat).ok()?;
    Some((count_free(&fat, v.fat_type, v.cluster_count), "FAT"))
}

/// An exFAT volume's label (from the root directory's Volume Label entry) and free
/// clusters (zero bits of the allocation bitmap); `None` for what could not be read.
fn exfat_facts(
    dev: &Device,
    v: &exfat::BootSector,
) -> (Option<String>, Option<(u32, &'static str)>) {
    let len = v.cluster_bytes().min(EXFAT_ROOT_READ);
    let mut root = vec![0u8; usize::try_from(len).unwrap_or(512)];
    if dev
        .read_exact_at(v.cluster_byte_offset(v.root_cluster), &mut root)
        .is_err()
    {
        return (None, None);
    }
    let entries = exfat::RootEntries::scan(&root);
    let label = entries
        .label
        .map(|_| String::from_utf16_lossy(entries.label_units()));
    let free = entries.bitmap.and_then(|b| {
        let bps = u64::from(v.bytes_per_sector);
        let len = usize::try_from(b.data_length.div_ceil(bps) * bps).ok()?;
        let mut bits = vec![0u8; len];
        dev.read_exact_at(v.cluster_byte_offset(b.first_cluster), &mut bits)
            .ok()?;
        Some((exfat::count_free(&bits, v.cluster_count), "bitmap"))
    });
    (label, free)
}

pub fn run(ctx: &Ctx, device: Option<&str>) -> Result<(), CtlError> {
    let path = resolve_device(device);
    let dev = Device::open(&path, false)?;
    let size = dev.length()?;
    let geometry = dev.geometry();
    let partition = dev
        .ioctl_get::<PARTITION_INFORMATION_EX>(IOCTL_DISK_GET_PARTITION_INFO_EX)
        .map(|p| Partition {
            style: partition_style_name(u32::try_from(p.PartitionStyle).unwrap_or(u32::MAX)),
            starting_offset: p.StartingOffset,
            length: p.PartitionLength,
            number: p.PartitionNumber,
            // SAFETY: the MBR arm is read only for the MBR style.
            mbr_type: (p.PartitionStyle == 0).then_some(unsafe { p.Anonymous.Mbr.PartitionType }),
        })
        .map_err(why);
    let bps = geometry.map_or(512, |g| g.BytesPerSector).max(512) as usize;
    let mut sector = vec![0u8; bps];
    let volume = match dev.read_exact_at(0, &mut sector) {
        Ok(()) => parse_boot_sector(&sector),
        Err(e) => Err(format!("cannot read sector 0: {}", why(e))),
    };
    let file_system = volume.map(|v| match v {
        Volume::Fat(v) => FileSystem::new(&v, free_clusters(&dev, &v)),
        Volume::Exfat(v) => {
            let (label, free) = exfat_facts(&dev, &v);
            FileSystem::exfat(&v, label.unwrap_or_default(), free)
        }
    });
    let usage = dev.usage().map_or_else(
        |e| Usage::unknown(format!("IOCTL_RAMDISK_QUERY_USAGE: {}", why(e))),
        |u| Usage::from_wire(&u),
    );
    ctx.print(&InfoReport {
        device: path,
        size,
        geometry: Some(Fact::from_result(
            geometry
                .map(|g| {
                    Geometry::new(
                        g.Cylinders,
                        g.MediaType,
                        g.TracksPerCylinder,
                        g.SectorsPerTrack,
                        g.BytesPerSector,
                    )
                })
                .map_err(why),
        )),
        partition: Some(Fact::from_result(partition)),
        file_system: Some(Fact::from_result(file_system)),
        usage,
    });
    Ok(())
}
