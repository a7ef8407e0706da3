//! The driver's state (its table of disks) and its two life events: load and unload.
//!
//! `load` returns a [`LoadError`] for whatever step fails; every completed step owns
//! its undo (a guard that deletes the device, the link, frees the memory), so a
//! failure rolls back exactly what was done. `DriverUnload` tears down every disk in
//! the table, then every device left in the I/O manager's chain.

use core::fmt::{self, Write as _};

use ramdisk_core::{
    config::{
        ConfigError, FormatProblem, MemoryPlan, ValueName, explain_format_error, plan_memory,
    },
    disk::DiskIdentity,
    eventlog::Packet,
    fat::{FormatError, serial::volume_serial_from_system_time},
    mountmgr::HookError,
    status, volume,
};
use ramdisk_store::StoreError;
use wdk::fmt::FormatBuffer;
use wdk_sys::{NTSTATUS, STATUS_SUCCESS};

use crate::{
    config,
    device::{DeviceKind, Disk},
    kernel::{
        DriverObject,
        device_object::{DeviceTable, Quiesced},
        eventlog, low_pool, pool, sysinfo, time,
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
    /// A dynamic disk could not get the memory for the metadata it formats.
    Metadata(StoreError),
    /// `IoCreateDevice` failed.
    CreateDevice(NTSTATUS),
    /// The device's DACL could not be set.
    Dacl(NTSTATUS),
    /// The drive letter is taken (`STATUS_OBJECT_NAME_COLLISION` from the mount
    /// manager's `CREATE_POINT` or from the driver's own `IoCreateSymbolicLink`).
    LetterTaken {
        /// `A`..=`Z`.
        letter: u8,
        /// The status.
        status: NTSTATUS,
    },
    /// The registration thread could not be started.
    Thread(NTSTATUS),
    /// The fault-injection build's `MountManagerDevice` value is wrong.
    #[cfg_attr(
        not(feature = "fault-injection"),
        expect(
            dead_code,
            reason = "only the fault-injection build reads MountManagerDevice"
        )
    )]
    MountManagerHook(HookError),
    /// A driver bug (what).
    Internal(&'static str),
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
            | Self::Dacl(status)
            | Self::Thread(status)
            | Self::LetterTaken { status, .. } => status,
            Self::MountManagerHook(e) => e.status(),
            Self::Internal(_) => status::STATUS_INTERNAL_ERROR,
            Self::Store { error, .. } => error.status(),
            Self::Format(_) => status::STATUS_INVALID_PARAMETER,
            Self::Metadata(_) | Self::TooManyDisks => status::STATUS_INSUFFICIENT_RESOURCES,
        }
    }

    /// The registry value the failure names, when its line starts with `"<value>: "`
    /// (what the event-log entry gives as its own insertion string).
    pub const fn value(&self) -> Option<&'static str> {
        let value = match *self {
            Self::Config(e) => Some(e.value),
            Self::Plan(p) => p.value,
            Self::Store { .. } => Some(ValueName::DiskSize),
            Self::LetterTaken { .. } => Some(ValueName::DriveLetter),
            Self::MountManagerHook(_) => return Some("MountManagerDevice"),
            Self::Registry { .. }
            | Self::Format(_)
            | Self::Metadata(_)
            | Self::CreateDevice(_)
            | Self::Dacl(_)
            | Self::Thread(_)
            | Self::Internal(_)
            | Self::TooManyDisks => None,
        };
        match value {
            Some(v) => Some(v.name()),
            None => None,
        }
    }
}

/// Writes `packet` to the System event log; says so in the debugger log when no entry
/// could be had (the error-log queue is full, or Wine, whose
/// `IoAllocateErrorLogEntry` always returns NULL).
fn event(driver: &DriverObject, packet: &Packet) {
    if !eventlog::write(driver, packet) {
        log!(
            "System event log entry {:#010x} not written: IoAllocateErrorLogEntry returned NULL",
            packet.code()
        );
    }
}

/// One line of text for an event-log insertion string (longer text is cut; the
/// packet shortens it further to fit).
fn text(args: fmt::Arguments<'_>) -> FormatBuffer<256> {
    let mut buffer = FormatBuffer::new();
    // An overflow keeps what fits.
    let _ = buffer.write_fmt(args);
    buffer
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
            Self::Metadata(e) => write!(f, "formatting the dynamic disk failed: {e}"),
            Self::CreateDevice(status) => write!(
                f,
                "IoCreateDevice failed: {:#010x} ({})",
                status.cast_unsigned(),
                status::name(status)
            ),
            Self::Dacl(status) => write!(
                f,
                "cannot set the device's DACL: {:#010x} ({})",
                status.cast_unsigned(),
                status::name(status)
            ),
            Self::Thread(status) => write!(
                f,
                "cannot start the registration thread: {:#010x} ({})",
                status.cast_unsigned(),
                status::name(status)
            ),
            Self::MountManagerHook(e) => write!(f, "{e}"),
            Self::Internal(what) => write!(f, "internal error: {what}"),
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

/// A byte count for a log line, `unknown` for `None`.
struct Bytes(Option<u64>);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n} bytes"),
            None => f.write_str("unknown"),
        }
    }
}

/// `DriverEntry`'s body: load, or log why not and return the status (everything
/// done so far is undone by then).
pub fn entry(driver: &DriverObject, service_key: &[u16]) -> NTSTATUS {
    match load(driver, service_key) {
        Ok(()) => STATUS_SUCCESS,
        Err(e) => {
            low_pool::close();
            let status = e.status();
            log!(error: "{e}");
            log!(
                error: "DriverEntry failed with {:#010x} ({}), pool balance {}",
                status.cast_unsigned(),
                status::name(status),
                pool::live_allocations()
            );
            let reason = text(format_args!("{e}"));
            event(
                driver,
                &Packet::load_failed(e.value(), reason.as_str(), status),
            );
            status
        }
    }
}

fn load(driver: &DriverObject, service_key: &[u16]) -> Result<(), LoadError> {
    let pool2 = pool::init();
    #[cfg(feature = "fault-injection")]
    if let Some(service) = config::mount_manager_double(service_key)? {
        let slot = DISKS.reserve().ok_or(LoadError::TooManyDisks)?;
        slot.fill(crate::device::double::Double::create(driver, &service)?);
        return Ok(());
    }
    let serial = volume_serial_from_system_time(time::system_time());
    let settings = config::read(service_key, serial)?;
    let config = settings.config;
    // Before the planner, so a disk too large for this machine (a fixed one above half
    // of its memory, a MemoryLimit above all of it) is refused as such and nothing is
    // allocated for it.
    let physical = crate::fault::physical_memory(sysinfo::physical_memory());
    let memory = plan_memory(&config, physical).map_err(LoadError::Config)?;
    let layout = volume::plan(&config.format)
        .map_err(|e| LoadError::Plan(explain_format_error(e, &config.format)))?;
    if let MemoryPlan::Dynamic { .. } = memory {
        match low_pool::open() {
            Ok(()) => log!(
                "{}: watched (signalled now: {})",
                low_pool::NAME,
                low_pool::signalled()
            ),
            Err(status) => log!(
                "{}: cannot open it ({:#010x}, {}); dynamic disks stop allocating only at their MemoryLimit or when the pool fails",
                low_pool::NAME,
                status.cast_unsigned(),
                status::name(status)
            ),
        }
    }
    let slot = DISKS.reserve().ok_or(LoadError::TooManyDisks)?;
    let device = Disk::create(
        driver,
        &config,
        &layout,
        memory,
        DiskIdentity::parameters(),
        settings.mount_manager,
    )?;
    if let Some(DeviceKind::Disk(disk)) = device.kind() {
        let store = disk.store();
        if store.is_dynamic() {
            log!(
                disk: disk.letter(),
                "dynamic: at most {} bytes in {} KiB chunks; {} bytes of chunks and {} bytes of chunk table after formatting",
                store.memory_limit(),
                store.chunk_size() >> 10,
                store.allocated_bytes(),
                store.table_bytes()
            );
        }
        log!(
            disk: disk.letter(),
            "{} bytes, {}, {} clusters of {} bytes, serial {:08X}, {} as {} in {} KiB chunks, pool via {}, physical memory {}",
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
            },
            Bytes(physical)
        );
        let drive = text(format_args!("{}:", char::from(disk.letter())));
        let summary = text(format_args!(
            "{} bytes, {}, {}",
            config.format.disk_size,
            layout,
            disk.state().identity.device_name()
        ));
        event(
            driver,
            &Packet::disk_created(drive.as_str(), summary.as_str()),
        );
    }
    slot.fill(device);
    crate::fault::loaded();
    Ok(())
}

/// `DriverUnload`'s body: every disk (its mount points while it still answers, then
/// its own link, device, memory, in that order), then any device the table missed;
/// then the leak check line.
pub fn unload(driver: &DriverObject, q: &Quiesced) {
    for index in 0..DeviceTable::<MAX_DISKS>::CAPACITY {
        let Some(device) = DISKS.take(index) else {
            continue;
        };
        if let Some(DeviceKind::Disk(disk)) = device.kind() {
            disk.unregister();
        }
        match device.retire(q) {
            Some(DeviceKind::Disk(disk)) => {
                let (letter, bytes) = (disk.letter(), disk.state().info.disk_size);
                let (link, store) = disk.into_parts();
                drop(link);
                device.delete(q);
                drop(store);
                let drive = text(format_args!("{}:", char::from(letter)));
                let summary = text(format_args!("{bytes} bytes of memory given back"));
                event(
                    driver,
                    &Packet::disk_removed(drive.as_str(), summary.as_str()),
                );
            }
            #[cfg(feature = "fault-injection")]
            Some(double @ DeviceKind::MountManagerDouble(_)) => {
                device.delete(q);
                drop(double);
            }
            None => device.delete(q),
        }
    }
    low_pool::close();
    let leftovers = driver.delete_leftover_devices(q);
    if leftovers != 0 {
        log!(error: "{leftovers} device(s) outside the disk table were deleted at unload");
    }
    let balance = pool::live_allocations();
    if balance == 0 {
        log!("unloaded, pool balance 0");
    } else {
        log!(error: "unloaded, pool balance {balance}: allocations leaked");
    }
}
