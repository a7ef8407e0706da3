//! ramdisk: a WDM RAM disk driver.
//!
//! Kernel glue only: every decision (configuration, request checks, IOCTL replies,
//! FAT layout) is made by `ramdisk-core`. `DriverEntry` reads the Parameters key,
//! plans and formats a FAT image in nonpaged pool, creates `\Device\Ramdisk` and
//! `\DosDevices\<L>:`; `DriverUnload` undoes all of it.

#![no_std]

#[cfg(not(test))]
extern crate wdk_panic;

mod device;
mod dispatch;
mod fault;
mod ffi;
mod pool;
mod registry;

use ramdisk_core::{
    config::{self, DEVICE_NAME},
    fat::{self, Zeroed},
    geometry::DiskInfo,
    status,
};
#[cfg(not(test))]
use wdk_alloc::WdkAllocator;
use wdk_sys::{DRIVER_OBJECT, NTSTATUS, PCUNICODE_STRING, STATUS_SUCCESS};

use crate::{
    device::{Device, Extension, ImageWriter, Link},
    pool::PoolBlock,
};

// wdk-alloc stays the global allocator as windows-drivers-rs requires, but nothing in
// this driver allocates from it: the PE checks prove `ExAllocatePool2` is not imported.
#[cfg(not(test))]
#[global_allocator]
static GLOBAL_ALLOCATOR: WdkAllocator = WdkAllocator;

/// ASCII text as a UTF-16 array, at compile time.
#[macro_export]
macro_rules! utf16 {
    ($text:literal) => {{
        const W: [u16; $text.len()] = ramdisk_core::config::ascii_utf16($text);
        W
    }};
}

unsafe extern "system" {
    /// `ZwQuerySystemInformation` (exported by ntoskrnl on every Windows and by Wine);
    /// used only with `SystemTimeOfDayInformation` for the volume serial.
    fn ZwQuerySystemInformation(class: u32, info: *mut u8, len: u32, ret: *mut u32) -> NTSTATUS;
}

/// The current system time (100 ns units since 1601), 0 if unavailable.
fn system_time() -> i64 {
    // SYSTEM_TIMEOFDAY_INFORMATION: BootTime, CurrentTime (i64 each), ... 48 bytes.
    let mut info = [0i64; 6];
    let mut ret = 0u32;
    // SAFETY: a 48-byte, 8-aligned buffer for class 3 (SystemTimeOfDayInformation).
    let status = unsafe { ZwQuerySystemInformation(3, info.as_mut_ptr().cast(), 48, &raw mut ret) };
    if status == STATUS_SUCCESS { info[1] } else { 0 }
}

/// `DriverEntry`: load, validate, format, publish. Any failure returns a specific
/// status after undoing exactly what was done (`DriverUnload` is not called then).
///
/// # Safety
/// Called once by the I/O manager at `PASSIVE_LEVEL` with valid arguments.
#[unsafe(export_name = "DriverEntry")]
pub unsafe extern "system" fn driver_entry(
    driver: *mut DRIVER_OBJECT,
    registry_path: PCUNICODE_STRING,
) -> NTSTATUS {
    let status = load(driver, registry_path);
    if status != STATUS_SUCCESS {
        wdk::println!(
            "ramdisk: DriverEntry failed with {:#010x} ({}), pool balance {}",
            status.cast_unsigned(),
            status::name(status),
            pool::live_allocations()
        );
    }
    status
}

fn load(driver: *mut DRIVER_OBJECT, registry_path: PCUNICODE_STRING) -> NTSTATUS {
    let pool2 = pool::init();
    let serial = config::volume_serial_from_system_time(system_time());
    let config = match registry::read(registry_path, serial) {
        Ok(config) => config,
        Err(registry::Error::Invalid(e)) => {
            wdk::println!("ramdisk: {e}");
            return e.status();
        }
        Err(registry::Error::Registry(s, what)) => {
            wdk::println!(
                "ramdisk: cannot read registry {what}: {:#010x}",
                s.cast_unsigned()
            );
            return s;
        }
    };
    let layout = match fat::plan(&config.format) {
        Ok(layout) => layout,
        Err(e) => {
            let problem = config::explain_format_error(e, &config.format);
            wdk::println!("ramdisk: {problem}");
            return problem.status();
        }
    };
    let Some(image) = usize::try_from(config.format.disk_size)
        .ok()
        .and_then(PoolBlock::zeroed)
    else {
        wdk::println!(
            "ramdisk: DiskSize: cannot allocate {} bytes of nonpaged pool",
            config.format.disk_size
        );
        return status::STATUS_INSUFFICIENT_RESOURCES;
    };
    if let Err(e) = fat::format(&layout, &mut ImageWriter::new(&image), Zeroed::Yes) {
        wdk::println!("ramdisk: formatting failed: {e:?}");
        return status::STATUS_INVALID_PARAMETER;
    }
    let device = match Device::create(driver, DEVICE_NAME) {
        Ok(device) => device,
        Err(s) => {
            wdk::println!(
                "ramdisk: IoCreateDevice failed: {:#010x}",
                s.cast_unsigned()
            );
            return s;
        }
    };
    let link_name = config.dos_device_name_utf16();
    let link = match Link::create(&link_name, DEVICE_NAME) {
        Ok(link) => link,
        Err(s) => {
            wdk::println!(
                "ramdisk: DriveLetter: {}: is not available ({:#010x}, {})",
                char::from(config.drive_letter),
                s.cast_unsigned(),
                status::name(s)
            );
            return s;
        }
    };
    let info = DiskInfo::new(config.format.disk_size, layout.fat_type);
    let (image, image_len) = image.into_raw();
    // SAFETY: DriverEntry owns the driver object; IRPs can arrive only after `keep`.
    unsafe {
        ffi::set_dispatch(
            driver,
            &dispatch::MAJORS,
            Some(dispatch::dispatch),
            driver_unload,
        );
    }
    link.keep();
    device.keep(Extension {
        image,
        image_len,
        info,
        link: link_name,
    });
    wdk::println!(
        "ramdisk: {}: {} bytes, {:?}, {} clusters of {} bytes, serial {:08X}, pool via {}",
        char::from(config.drive_letter),
        config.format.disk_size,
        layout.fat_type,
        layout.cluster_count,
        layout.sectors_per_cluster * layout.bytes_per_sector,
        serial,
        if pool2 {
            "ExAllocatePool2"
        } else {
            "ExAllocatePoolWithTag"
        }
    );
    STATUS_SUCCESS
}

/// `DriverUnload`: link, device, image, in that order; then the leak check line.
unsafe extern "C" fn driver_unload(driver: *mut DRIVER_OBJECT) {
    // SAFETY: unload runs once, after every handle is closed.
    unsafe { device::destroy_all(driver) };
    wdk::println!(
        "ramdisk: unloaded, pool balance {}",
        pool::live_allocations()
    );
}
