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
use crate::volume::{fat_span, parse_boot_sector};
use ramdisk_core::fat::BootSector;
use ramdisk_core::fat::table::{count_free, fs_info_free};

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
    let file_system = volume.map(|v| FileSystem::new(&v, free_clusters(&dev, &v)));
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
