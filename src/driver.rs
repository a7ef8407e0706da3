//! The driver's state (its table of disks) and its two life events: load and unload.
//!
//! `load` returns a [`LoadError`] for whatever step fails; every completed step owns
//! its undo (a guard that deletes the device, the link, frees the memory), so a
//! failure rolls back exactly what was done. `DriverUnload` tears down every disk in
//! the table, then every device left in the I/O manager's chain.

use core::fmt;

use ramdisk_core::{
    config::{ConfigError, FormatProblem, explain_format_error},
    disk::DiskIdentity,
    fat::{FormatError, serial::volume_serial_from_system_time},
    status, volume,
};
use ramdisk_store::StoreError;
use wdk_sys::{NTSTATUS, STATUS_SUCCESS};

use crate::{
    config,
    device::{DeviceKind, Disk},
    kernel::{
        DriverObject,
        device_object::{DeviceTable, Quiesced},
        pool, time,
    },
};

/// How many disks the driver can hold at once.
pub const MAX_DISKS: usize = 64;

/// The driver's disks: the one table it keeps (the I/O manager's device chain is
/// walked only at unload, to catch anything the table missed).
static DISKS: DeviceTable<MAX_DISKS> = DeviceTable::new();

/// Why `DriverEntry` failed; each maps to one `NTSTATUS` and one log line.
#[derive(Clone, Copy, Debug)]
pub enum LoadError {
    /// A registry value is present but wrong (the message names it).
    Config(ConfigError),
    /// The FAT or exFAT planner rejected the combination (blamed on a value).
    Plan(FormatProblem),
    /// The registry itself failed reading `what`.
    Registry {
        /// `ZwOpenKey` / `ZwQueryValueKey`'s status.
        status: NTSTATUS,
        /// What was being read.
        what: &'static str,
    },
    /// The disk's memory could not be had.
    Store {
        /// `DiskSize`.
        bytes: u64,
        /// Why.
        error: StoreError,
    },
    /// The formatter failed (a bug: the layout was planned for this disk).
    Format(FormatError),
    /// `IoCreateDevice` failed.
    CreateDevice(NTSTATUS),
    /// The drive letter's link could not be made (taken: `STATUS_OBJECT_NAME_COLLISION`).
    LetterTaken {
        /// `A`..=`Z`.
        letter: u8,
        /// `IoCreateSymbolicLink`'s status.
        status: NTSTATUS,
    },
    /// The disk table is full.
    TooManyDisks,
}

impl LoadError {
    /// The status `DriverEntry` returns.
    pub const fn status(&self) -> NTSTATUS {
        match *self {
            Self::Config(e) => e.status(),
            Self::Plan(p) => p.status(),
            Self::Registry { status, .. }
            | Self::CreateDevice(status)
            | Self::LetterTaken { status, .. } => status,
            Self::Store { error, .. } => error.status(),
            Self::Format(_) => status::STATUS_INVALID_PARAMETER,
            Self::TooManyDisks => status::STATUS_INSUFFICIENT_RESOURCES,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Config(e) => write!(f, "{e}"),
            Self::Plan(p) => write!(f, "{p}"),
            Self::Registry { status, what } => write!(
                f,
                "cannot read registry {what}: {:#010x} ({})",
                status.cast_unsigned(),
                status::name(status)
            ),
            Self::Store {
                bytes,
                error: StoreError::NoMemory,
            } => write!(
                f,
                "DiskSize: cannot allocate {bytes} bytes of nonpaged pool"
            ),
            Self::Store { bytes, error } => write!(f, "DiskSize: {bytes} bytes: {error}"),
            Self::Format(e) => write!(f, "formatting failed: {e:?}"),
            Self::CreateDevice(status) => write!(
                f,
                "IoCreateDevice failed: {:#010x} ({})",
                status.cast_unsigned(),
                status::name(status)
            ),
            Self::LetterTaken { letter, status } => write!(
                f,
                "DriveLetter: {}: is not available ({:#010x}, {})",
                char::from(letter),
                status.cast_unsigned(),
                status::name(status)
            ),
            Self::TooManyDisks => write!(f, "no room for another disk ({MAX_DISKS} at most)"),
        }
    }
}

/// `DriverEntry`'s body: load, or log why not and return the status (everything
/// done so far is undone by then).
pub fn entry(driver: &DriverObject, service_key: &[u16]) -> NTSTATUS {
    match load(driver, service_key) {
        Ok(()) => STATUS_SUCCESS,
        Err(e) => {
            let status = e.status();
            log!("{e}");
            log!(
                "DriverEntry failed with {:#010x} ({}), pool balance {}",
                status.cast_unsigned(),
                status::name(status),
                pool::live_allocations()
            );
            status
        }
    }
}

fn load(driver: &DriverObject, service_key: &[u16]) -> Result<(), LoadError> {
    let pool2 = pool::init();
    let serial = volume_serial_from_system_time(time::system_time());
    let config = config::read(service_key, serial)?;
    let layout = volume::plan(&config.format)
        .map_err(|e| LoadError::Plan(explain_format_error(e, &config.format)))?;
    let slot = DISKS.reserve().ok_or(LoadError::TooManyDisks)?;
    let device = Disk::create(driver, &config, &layout, DiskIdentity::parameters())?;
    if let Some(DeviceKind::Disk(disk)) = device.kind() {
        let store = disk.store();
        log!(
            disk: disk.letter(),
            "{} bytes, {}, {} clusters of {} bytes, serial {:08X}, {} as {} in {} KiB chunks, pool via {}",
            config.format.disk_size,
            layout,
            layout.cluster_count(),
            layout.cluster_bytes(),
            serial,
            disk.state().identity.unique_id(),
            disk.state().identity.device_name(),
            store.chunk_size() >> 10,
            if pool2 {
                "ExAllocatePool2"
            } else {
                "ExAllocatePoolWithTag"
            }
        );
    }
    slot.fill(device);
    Ok(())
}

/// `DriverUnload`'s body: every disk (link, device, memory, in that order), then any
/// device the table missed; then the leak check line.
pub fn unload(driver: &DriverObject, q: &Quiesced) {
    for index in 0..DeviceTable::<MAX_DISKS>::CAPACITY {
        let Some(device) = DISKS.take(index) else {
            continue;
        };
        match device.retire(q) {
            Some(DeviceKind::Disk(disk)) => {
                let (link, store) = disk.into_parts();
                drop(link);
                device.delete(q);
                drop(store);
            }
            None => device.delete(q),
        }
    }
    let leftovers = driver.delete_leftover_devices(q);
    if leftovers != 0 {
        log!("{leftovers} device(s) outside the disk table were deleted at unload");
    }
    log!("unloaded, pool balance {}", pool::live_allocations());
}
