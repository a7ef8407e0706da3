//! The driver's state (its disks, the control device, the worker) and its life
//! events: load, the control requests, unload.
//!
//! `load` makes the boot-time disks (`Parameters` as disk 0 unless `DefaultDisk` is 0,
//! then every `Parameters\Disks\<NAME>`), the control device and its worker; any
//! failure removes everything made so far (all or nothing). Every completed step owns
//! its undo (a guard that deletes the device, the link, frees the memory). The worker
//! serves CREATE/REMOVE/LIST/QUERY/SAVE and the disks' pended `IRP_MJ_SHUTDOWN`s
//! ([`serve`]); it alone touches the disk table after
//! `DriverEntry` (the table is behind a [`TryLock`] that is never contended). Every
//! disk ends the same way ([`destroy`]): its mount points deleted while it still
//! answers, its rundown closed and drained, its link, device and memory released.
//! `DriverUnload` stops the worker, then ends every disk and the control device.

use core::fmt::{self, Write as _};

use ramdisk_core::{
    config::{
        Config, ConfigError, FormatProblem, ImagePath, MemoryPlan, PathProblem, Problem, SaveOn,
        ValueName, boot::BootError, check_start_type, explain_format_error, plan_memory,
    },
    control::{
        self, ControlError, CreateRequest, DiskReport, MAX_DISKS, RamdiskDiskInfo, Request, Select,
    },
    disk::{DiskIdentity, DiskName, Persistence},
    eventlog::Packet,
    fat::{FormatError, serial::volume_serial_from_system_time},
    ioctl::Reply,
    mountmgr::{HookError, LetterSet, MountManagerName, mount_point_manager},
    status, volume,
    wire::FromZeros,
};
use ramdisk_store::StoreError;
use wdk::fmt::FormatBuffer;
use wdk_sys::{NTSTATUS, STATUS_SUCCESS};

use crate::{
    config,
    device::{
        Control, DeviceKind, Disk,
        disk::Content,
        image::{self, ImageFailure, PathBox, Source},
        save::{self as saving, SaveFailure},
        shutdown::save_at_shutdown,
    },
    kernel::{
        DeviceId, DeviceObject, DriverObject, Major, eventlog, irp::PendingIrp, low_pool, pool,
        registry::Key, symlink::drive_letter_taken, sync::TryLock, sysinfo, time, worker::Worker,
    },
};

/// What the driver holds.
struct State {
    /// This driver (set in `DriverEntry`).
    driver: Option<DriverObject>,
    /// The disks, at most [`MAX_DISKS`].
    disks: [Option<DeviceObject>; MAX_DISKS],
    /// `\Device\RamdiskControl`.
    control: Option<DeviceObject>,
    /// The service key (the volatile index counter lives below it).
    service: Option<Key>,
    /// The index the next disk other than disk 0 gets.
    next_index: u32,
    /// Where mount-manager requests go.
    mount_manager: MountManagerName,
    /// The machine's physical memory (the fixed-disk cap).
    physical: Option<u64>,
    /// Whether pool comes from `ExAllocatePool2` (for the load line).
    pool2: bool,
    /// The boot-time `Parameters\Disks` disks while `DriverEntry` makes them.
    boot: config::BootDisks,
    /// The service's `Start` value (`None` when it cannot be read): a boot-start
    /// driver cannot load images.
    start: Option<u32>,
}

impl State {
    const fn new() -> Self {
        Self {
            driver: None,
            disks: [const { None }; MAX_DISKS],
            control: None,
            service: None,
            next_index: 1,
            mount_manager: mount_point_manager(),
            physical: None,
            pool2: false,
            boot: [const { None }; MAX_DISKS],
            start: None,
        }
    }

    /// The disk devices, with their bodies.
    fn disks(&self) -> impl Iterator<Item = (usize, &DeviceObject, &Disk)> {
        self.disks.iter().enumerate().filter_map(|(slot, d)| {
            let device = d.as_ref()?;
            match device.kind() {
                Some(DeviceKind::Disk(disk)) => Some((slot, device, disk)),
                _ => None,
            }
        })
    }

    /// The slot of the disk `select` names.
    fn find(&self, select: Select) -> Option<usize> {
        self.disks()
            .find(|(_, _, disk)| match select {
                Select::Index(i) => disk.state().identity.index() == i,
                Select::Letter(l) => disk.letter() == l,
            })
            .map(|(slot, _, _)| slot)
    }

    /// A new index (never 0, never reused within a boot), remembered in the registry.
    fn allocate_index(&mut self) -> u32 {
        let index = self.next_index.max(1);
        self.next_index = index.wrapping_add(1).max(1);
        if let Some(service) = self.service.as_ref() {
            config::store_next_index(service, self.next_index);
        }
        index
    }
}

/// The driver's state: taken by `DriverEntry`, then only by the worker, then by
/// `DriverUnload` after the worker stopped; never by two at once.
static STATE: TryLock<State> = TryLock::new(State::new());

/// The control requests' worker thread.
static WORKER: Worker = Worker::new(serve);

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
    /// `IoRegisterShutdownNotification` failed (`SaveOn=shutdown`).
    ShutdownNotification(NTSTATUS),
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
    /// The `ImageFile` cannot be served (its line naming the file is logged).
    Image(ImageFailure),
    /// A save failed before it replaced anything (its line naming the file is logged).
    Save(SaveFailure),
    /// The disk table is full.
    TooManyDisks,
    /// `DefaultDisk`, a `Parameters\Disks` subkey name, or too many subkeys.
    Boot(BootError),
    /// The control device's `\DosDevices\RamdiskControl` link could not be made.
    ControlLink(NTSTATUS),
    /// The control worker thread could not be started.
    Worker(NTSTATUS),
    /// A control request's input was refused.
    Control(ControlError),
    /// A CREATE without a drive letter found none free from `Z:` down to `D:`.
    NoFreeLetter,
    /// A CREATE's persist name belongs to a disk that exists.
    PersistNameInUse(DiskName),
    /// The driver's state is busy (a bug: it is never contended).
    Busy,
    /// REMOVE or QUERY of a disk that does not exist.
    NoSuchDisk(Select),
    /// REMOVE without `force` of a disk with open handles or a mounted file system.
    DiskBusy {
        /// Open handles.
        opens: u32,
        /// A file system is mounted.
        mounted: bool,
    },
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
            | Self::ShutdownNotification(status)
            | Self::ControlLink(status)
            | Self::Worker(status)
            | Self::LetterTaken { status, .. } => status,
            Self::MountManagerHook(e) => e.status(),
            Self::Internal(_) => status::STATUS_INTERNAL_ERROR,
            Self::Image(f) => f.status(),
            Self::Save(f) => f.status(),
            Self::Store { error, .. } => error.status(),
            Self::Format(_) => status::STATUS_INVALID_PARAMETER,
            Self::Metadata(_) => status::STATUS_INSUFFICIENT_RESOURCES,
            Self::TooManyDisks => status::STATUS_QUOTA_EXCEEDED,
            Self::Boot(e) => e.status(),
            Self::Control(e) => e.status(),
            Self::NoFreeLetter | Self::PersistNameInUse(_) => status::STATUS_OBJECT_NAME_COLLISION,
            Self::Busy | Self::DiskBusy { .. } => status::STATUS_DEVICE_BUSY,
            Self::NoSuchDisk(_) => status::STATUS_NO_SUCH_DEVICE,
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
            Self::Boot(e) => return Some(e.value()),
            Self::Image(_) => Some(ValueName::ImageFile),
            Self::Registry { .. }
            | Self::Save(_)
            | Self::Format(_)
            | Self::Metadata(_)
            | Self::CreateDevice(_)
            | Self::Dacl(_)
            | Self::Thread(_)
            | Self::ShutdownNotification(_)
            | Self::Internal(_)
            | Self::TooManyDisks
            | Self::ControlLink(_)
            | Self::Worker(_)
            | Self::Control(_)
            | Self::NoFreeLetter
            | Self::PersistNameInUse(_)
            | Self::Busy
            | Self::NoSuchDisk(_)
            | Self::DiskBusy { .. } => None,
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
fn event(driver: DriverObject, packet: &Packet) {
    if !eventlog::write(&driver, packet) {
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
            Self::ShutdownNotification(status) => write!(
                f,
                "SaveOn=shutdown: IoRegisterShutdownNotification failed: {:#010x} ({})",
                status.cast_unsigned(),
                status::name(status)
            ),
            Self::MountManagerHook(e) => write!(f, "{e}"),
            Self::Internal(what) => write!(f, "internal error: {what}"),
            Self::Image(failure) => write!(
                f,
                "ImageFile: {failure} ({})",
                status::name(failure.status())
            ),
            Self::Save(failure) => write!(
                f,
                "save: {failure} ({})",
                status::name(failure.status())
            ),
            Self::LetterTaken { letter, status } => write!(
                f,
                "DriveLetter: {}: is not available ({:#010x}, {})",
                char::from(letter),
                status.cast_unsigned(),
                status::name(status)
            ),
            Self::TooManyDisks => write!(f, "no room for another disk ({MAX_DISKS} at most)"),
            Self::Boot(e) => write!(f, "{e}"),
            Self::ControlLink(status) => write!(
                f,
                "cannot link \\DosDevices\\RamdiskControl: {:#010x} ({})",
                status.cast_unsigned(),
                status::name(status)
            ),
            Self::Worker(status) => write!(
                f,
                "cannot start the control worker thread: {:#010x} ({})",
                status.cast_unsigned(),
                status::name(status)
            ),
            Self::Control(e) => write!(f, "{e}"),
            Self::NoFreeLetter => f.write_str(
                "DriveLetter: no drive letter from Z: down to D: is free (nor kept by MountedDevices for another volume)",
            ),
            Self::PersistNameInUse(name) => {
                write!(f, "PersistName: a disk persisted as {name} exists already")
            }
            Self::Busy => f.write_str("the driver's disk table is busy"),
            Self::NoSuchDisk(select) => write!(f, "no disk {select}"),
            Self::DiskBusy { opens, mounted } => write!(
                f,
                "the disk is busy ({opens} open handle(s){}); remove it with force",
                if mounted { ", a mounted file system" } else { "" }
            ),
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

/// A load failure's line: `Disks\<NAME>\` before a value's message (`DiskSize: ...`),
/// `Disks\<NAME>: ` before any other, nothing for disk 0.
struct Blamed<'a>(Option<&'a DiskName>, &'a LoadError);

impl fmt::Display for Blamed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1.value()) {
            (None, _) => write!(f, "{}", self.1),
            (Some(name), Some(_)) => write!(f, "Disks\\{name}\\{}", self.1),
            (Some(name), None) => write!(f, "Disks\\{name}: {}", self.1),
        }
    }
}

/// `DriverEntry`'s body: load, or log why not and return the status (everything
/// done so far is undone by then).
pub fn entry(driver: DriverObject, service_key: &[u16]) -> NTSTATUS {
    match load(driver, service_key) {
        Ok(()) => STATUS_SUCCESS,
        Err((disk, e)) => {
            low_pool::close();
            let status = e.status();
            let line = text(format_args!("{}", Blamed(disk.as_ref(), &e)));
            log!(error: "{}", line.as_str());
            log!(
                error: "DriverEntry failed with {:#010x} ({}), pool balance {}",
                status.cast_unsigned(),
                status::name(status),
                pool::live_allocations()
            );
            let value = match (disk, e.value()) {
                (Some(name), Some(v)) => Some(text(format_args!("Disks\\{name}\\{v}"))),
                (None, Some(v)) => Some(text(format_args!("{v}"))),
                (_, None) => None,
            };
            event(
                driver,
                &Packet::load_failed(
                    value.as_ref().map(FormatBuffer::as_str),
                    line.as_str(),
                    status,
                ),
            );
            status
        }
    }
}

fn load(driver: DriverObject, service_key: &[u16]) -> Result<(), config::Failure> {
    let pool2 = pool::init();
    let loaded = STATE
        .try_with(|st| {
            st.driver = Some(driver);
            st.pool2 = pool2;
            let made = load_into(st, driver, service_key);
            if made.is_err() {
                teardown(st);
            }
            made
        })
        .unwrap_or(Err((None, LoadError::Busy)));
    loaded?;
    // Last: from now on the worker owns the state.
    if let Err(status) = WORKER.start() {
        let _ = STATE.try_with(teardown);
        return Err((None, LoadError::Worker(status)));
    }
    // The fault-injection build's shutdown double: a thread of its own (a shutdown
    // it plays waits for the worker).
    if let Err(status) = crate::fault::start_shutdown_double() {
        WORKER.stop();
        let _ = STATE.try_with(teardown);
        return Err((None, LoadError::Worker(status)));
    }
    Ok(())
}

/// The boot-time disks and the control device, into `st`.
// A frame of its own (the boot-time disks' settings): no frame above a page.
#[inline(never)]
fn load_into(
    st: &mut State,
    driver: DriverObject,
    service_key: &[u16],
) -> Result<(), config::Failure> {
    #[cfg(feature = "fault-injection")]
    if let Some(service) = config::mount_manager_double(service_key).map_err(|e| (None, e))? {
        st.disks[0] =
            Some(crate::device::double::Double::create(driver, &service).map_err(|e| (None, e))?);
        return Ok(());
    }
    let serial = volume_serial_from_system_time(time::system_time());
    let settings = config::read(service_key, serial, &mut st.boot)?;
    st.mount_manager = settings.mount_manager;
    st.physical = crate::fault::physical_memory(sysinfo::physical_memory());
    st.next_index = config::next_index(&settings.service);
    st.start = config::start_type(&settings.service);
    st.service = Some(settings.service);
    if let Some((config, path)) = settings.default {
        create_disk(st, &config, DiskIdentity::parameters(), true, path).map_err(|e| (None, e))?;
    }
    for i in 0..MAX_DISKS {
        let Some((name, config, path)) = st.boot.get_mut(i).and_then(Option::take) else {
            continue;
        };
        let index = st.allocate_index();
        let identity = DiskIdentity::registry(index, name)
            .map_err(|_| (Some(name), LoadError::Internal("index 0 for a subkey disk")))?;
        create_disk(st, &config, identity, true, path).map_err(|e| (Some(name), e))?;
    }
    st.control = Some(Control::create(driver).map_err(|e| (None, e))?);
    crate::fault::loaded();
    Ok(())
}

/// Makes one disk (image check, memory plan, volume plan, store, format or load,
/// device, registration) into a free slot of `st`, and logs it. `path` is the
/// disk's `ImageFile` (in pool), when it has one.
// A frame of its own (a disk's plan and format): no frame above a page.
#[inline(never)]
fn create_disk(
    st: &mut State,
    config: &Config,
    identity: DiskIdentity,
    boot: bool,
    path: Option<PathBox>,
) -> Result<usize, LoadError> {
    let driver = st.driver.ok_or(LoadError::Internal("no driver object"))?;
    if let Some(start) = st.start {
        check_start_type(start, &config.persist).map_err(LoadError::Config)?;
    }
    // An image is opened and checked before anything is allocated for the disk: its
    // size is the disk's.
    let mut config = *config;
    let source = open_image(st, &mut config, path.as_deref())?;
    let config = &config;
    // Before the planner, so a disk too large for this machine (a fixed one above half
    // of its memory, a MemoryLimit above all of it) is refused as such and nothing is
    // allocated for it.
    let memory = plan_memory(config, st.physical).map_err(LoadError::Config)?;
    // A new image and a disk without one are formatted as planned.
    let layout = match source {
        Some(Source::Existing(_)) => None,
        Some(Source::New) | None => Some(
            volume::plan(&config.format)
                .map_err(|e| LoadError::Plan(explain_format_error(e, &config.format)))?,
        ),
    };
    let slot = st
        .disks
        .iter()
        .position(Option::is_none)
        .ok_or(LoadError::TooManyDisks)?;
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
    let content = match (source, layout.as_ref(), path) {
        (Some(Source::Existing(opened)), _, Some(path)) => Content::Image { opened, path },
        (_, Some(layout), path) => Content::Format { layout, path },
        _ => return Err(LoadError::Internal("a disk with neither image nor plan")),
    };
    let device = Disk::create(
        driver,
        config,
        content,
        memory,
        identity,
        st.mount_manager,
        boot,
    )?;
    log_created(st, driver, &device, config, layout.as_ref());
    if let Some(free) = st.disks.get_mut(slot) {
        *free = Some(device);
    }
    Ok(slot)
}

/// Opens and checks the image `path` names for a disk of `config` (whose size becomes
/// the image's): `None` for a disk without an `ImageFile`. A path on another disk's
/// drive letter is refused.
///
/// # Errors
/// [`LoadError::Config`] for such a path, [`LoadError::Image`] from the open.
fn open_image(
    st: &State,
    config: &mut Config,
    path: Option<&ImagePath>,
) -> Result<Option<Source>, LoadError> {
    match path {
        Some(image_path) if config.persist.image => {
            if let Some(letter) = image_path.drive_letter()
                && st.disks().any(|(_, _, d)| d.letter() == letter)
            {
                return Err(LoadError::Config(ConfigError {
                    value: ValueName::ImageFile,
                    problem: Problem::BadImagePath(PathProblem::OnRamdisk),
                }));
            }
            let source = image::open(config, image_path)?;
            if let Source::Existing(opened) = &source {
                config.format.disk_size = opened.check.disk_size;
            }
            Ok(Some(source))
        }
        None if config.persist.image => Err(LoadError::Internal("an ImageFile without its path")),
        _ => Ok(None),
    }
}

/// Logs a disk `create_disk` made (its memory, volume or image, identity) and reports
/// it to the event log.
fn log_created(
    st: &State,
    driver: DriverObject,
    device: &DeviceObject,
    config: &Config,
    layout: Option<&volume::Layout>,
) {
    let Some(DeviceKind::Disk(disk)) = device.kind() else {
        return;
    };
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
    match layout.as_ref() {
        Some(layout) => log!(
            disk: disk.letter(),
            "{} bytes, {}, {} clusters of {} bytes, serial {:08X}",
            config.format.disk_size,
            layout,
            layout.cluster_count(),
            layout.cluster_bytes(),
            config.format.volume_serial
        ),
        None => log!(
            disk: disk.letter(),
            "{} bytes, {} from its image (partition type {:#04x}){}",
            config.format.disk_size,
            disk.state().info.volume.name(),
            disk.state().info.partition_type,
            if config.persist.read_only {
                ", read-only"
            } else {
                ""
            }
        ),
    }
    log!(
        disk: disk.letter(),
        "{} as {} in {} KiB chunks, pool via {}, physical memory {}",
        disk.state().identity.unique_id(),
        disk.state().identity.device_name(),
        store.chunk_size() >> 10,
        if st.pool2 {
            "ExAllocatePool2"
        } else {
            "ExAllocatePoolWithTag"
        },
        Bytes(st.physical)
    );
    let drive = text(format_args!("{}:", char::from(disk.letter())));
    let summary = text(format_args!(
        "{} bytes, {}, {}",
        config.format.disk_size,
        disk.state().info.volume.name(),
        disk.state().identity.device_name()
    ));
    event(
        driver,
        &Packet::disk_created(drive.as_str(), summary.as_str()),
    );
}

/// Ends one device of the driver: a disk's mount points first (while it still answers
/// the mount manager), then its rundown is closed and drained, then its own link, the
/// device and its memory go, in that order.
fn destroy(driver: Option<DriverObject>, device: DeviceObject) {
    // No shutdown request may reach a device on its way out.
    Disk::unregister_shutdown(&device);
    if let Some(DeviceKind::Disk(disk)) = device.kind() {
        disk.unregister();
    }
    // Before the close: whether a file system still sits on the volume (the save's
    // line says what that means for the image).
    let mounted = device.is_mounted();
    let closed = device.close();
    match closed.take() {
        Some(DeviceKind::Disk(disk)) => {
            let (letter, bytes) = (disk.letter(), disk.state().info.disk_size);
            save_at_stop(&disk, mounted);
            let (link, store) = disk.into_parts();
            drop(link);
            closed.delete();
            drop(store);
            log!(disk: letter, "removed, {bytes} bytes of memory given back");
            if let Some(driver) = driver {
                let drive = text(format_args!("{}:", char::from(letter)));
                let summary = text(format_args!("{bytes} bytes of memory given back"));
                event(
                    driver,
                    &Packet::disk_removed(drive.as_str(), summary.as_str()),
                );
            }
        }
        Some(other) => {
            closed.delete();
            drop(other);
        }
        None => closed.delete(),
    }
}

/// A disk with `SaveOn=stop` or `shutdown` saves its image as it goes (at
/// `DriverUnload` and REMOVE); a failure is logged, and the previous image stays.
/// `mounted`: a file system was still mounted on the volume (`ramdiskctl remove` and
/// `stop` lock and dismount it first, so then nothing can change the disk during the
/// save; a file system still mounted may hold unflushed data and go on writing).
// A frame of its own: no frame above a page.
#[inline(never)]
fn save_at_stop(disk: &Disk, mounted: bool) {
    let letter = disk.letter();
    let Some(image) = disk.image() else {
        return;
    };
    let saved = image.try_with(|state| {
        if matches!(state.save_on, SaveOn::Never) {
            log!(disk: letter, "closing ImageFile {} (SaveOn=never: not saved)", &*state.path);
            return;
        }
        log!(
            disk: letter,
            "SaveOn={}: saving {} as the disk goes: {}",
            state.save_on.name(),
            &*state.path,
            if mounted {
                "a file system is still mounted (not locked: what it has not flushed is not in the image)"
            } else {
                "no file system mounted (nothing changes the disk during the save)"
            }
        );
        // The failure's line is logged by the save.
        let _ = saving::save_image(letter, disk.store(), state, false);
    });
    if saved.is_none() {
        log!(error, disk: letter, "the image is busy (a save in progress): not saved at stop");
    }
}

/// SAVE: the input (`parse_save` checks the `Target` in a 2 KiB path of its own), the
/// disk, the file (its `ImageFile` or the request's `Target`), the save.
// A frame of its own: the control worker's frame stays as small as before.
#[inline(never)]
fn save_request(st: &State, input: &[u8]) -> Result<control::RamdiskSaveResult, LoadError> {
    let req = &control::parse_save(input).map_err(LoadError::Control)?;
    let slot = st
        .find(req.select)
        .ok_or(LoadError::NoSuchDisk(req.select))?;
    let (_, _, disk) = st
        .disks()
        .find(|(s, _, _)| *s == slot)
        .ok_or(LoadError::NoSuchDisk(req.select))?;
    let letter = disk.letter();
    if let Some(l) = req.target_letter
        && st.disks().any(|(_, _, d)| d.letter() == l)
    {
        return Err(LoadError::Control(ControlError::Target(
            PathProblem::OnRamdisk,
        )));
    }
    let locked = matches!(req.lock, control::SaveLock::Locked);
    let outcome = if req.target {
        let mut target = PathBox::new_zeroed().ok_or(LoadError::Save(SaveFailure::NoPool))?;
        control::save_target_into(input, Some(letter), &mut target).map_err(LoadError::Control)?;
        saving::save(letter, disk.store(), &target, None, locked)
    } else {
        let image = disk.image();
        let read_only = disk.state().info.read_only;
        ramdisk_core::save::save_target(false, image.is_some(), read_only)
            .map_err(|e| LoadError::Save(SaveFailure::Refused(e)))?;
        image
            .and_then(|image| {
                image.try_with(|state| saving::save_image(letter, disk.store(), state, locked))
            })
            .ok_or(LoadError::Busy)?
    }
    .map_err(LoadError::Save)?;
    Ok(control::encode_save_result(&outcome))
}

/// Every disk, then the control device.
fn teardown(st: &mut State) {
    for slot in &mut st.disks {
        if let Some(device) = slot.take() {
            destroy(st.driver, device);
        }
    }
    if let Some(control) = st.control.take() {
        destroy(st.driver, control);
    }
}

/// `DriverUnload`'s body: the worker first (after the request it is serving; the
/// fault-injection build's shutdown double before it), then every disk and the
/// control device, then any device the table missed; then the leak check line.
pub fn unload(driver: DriverObject) {
    crate::fault::stop_shutdown_double();
    WORKER.stop();
    if STATE.try_with(teardown).is_none() {
        log!(error: "unload: the driver's state is busy; its devices are left to the chain walk");
    }
    low_pool::close();
    let leftovers = driver.delete_leftover_devices();
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

/// Queues a pended control request for the worker (or completes it with the
/// worker's refusal).
pub fn submit(irp: PendingIrp) {
    if let Err((irp, status)) = WORKER.submit(irp) {
        irp.complete(status, 0);
    }
}

/// Queues a disk's pended `IRP_MJ_SHUTDOWN` for the worker; if it cannot be queued,
/// the disk is not saved (logged) and the IRP completes with success all the same.
pub fn submit_shutdown(irp: PendingIrp) {
    if let Err((irp, status)) = WORKER.submit(irp) {
        log!(
            error: "IRP_MJ_SHUTDOWN cannot be queued for the worker ({}): that disk is not saved at this shutdown",
            status::name(status)
        );
        irp.complete(ramdisk_core::save::shutdown::IRP_STATUS, 0);
    }
}

/// The shutdown save of the disk whose device `target` is (none: it is gone).
fn shutdown(st: &State, target: DeviceId) {
    match st.disks().find(|(_, device, _)| device.id() == target) {
        Some((_, _, disk)) => save_at_shutdown(disk),
        None => log!("IRP_MJ_SHUTDOWN for a device that is no longer a disk: nothing to save"),
    }
}

/// An unknown request.
const INVALID: Reply = Reply {
    status: status::STATUS_INVALID_DEVICE_REQUEST,
    information: 0,
};

/// The worker's body for one request: a disk's `IRP_MJ_SHUTDOWN` (the disk saved, the
/// IRP completed with success whatever happened), or a control request (answered
/// and completed).
fn serve(mut irp: PendingIrp) {
    if irp.major() == Major::Shutdown {
        let target = irp.target();
        if STATE.try_with(|st| shutdown(st, target)).is_none() {
            log!(error: "IRP_MJ_SHUTDOWN: the driver's state is busy; nothing saved");
        }
        irp.complete(ramdisk_core::save::shutdown::IRP_STATUS, 0);
        return;
    }
    let reply = irp.ioctl().map_or(INVALID, |io| {
        Request::from_code(io.code).map_or(INVALID, |request| {
            answer(request, io.buffer, io.input_len, io.output_len)
        })
    });
    irp.complete(reply.status, reply.information);
}

/// Answers `request`: its input is the first `input_len` bytes of `buffer`, its reply
/// goes to the first `output_len` (`METHOD_BUFFERED`: the same system buffer; every
/// input is parsed into a copy before any output is written).
fn answer(request: Request, buffer: &mut [u8], input_len: usize, output_len: usize) -> Reply {
    let started = time::system_time();
    let input_len = input_len.min(buffer.len());
    let result = STATE
        .try_with(|st| -> Result<Reply, LoadError> {
            control::check_output(request, output_len).map_err(LoadError::Control)?;
            let (input, _) = buffer.split_at(input_len);
            match request {
                Request::Create => {
                    let serial = volume_serial_from_system_time(started);
                    let req = control::parse_create(input, serial).map_err(LoadError::Control)?;
                    let path = create_image_path(input, &req)?;
                    let slot = create_runtime(st, &req, path)?;
                    let info = st
                        .disks
                        .get(slot)
                        .and_then(Option::as_ref)
                        .and_then(report)
                        .ok_or(LoadError::Internal("the new disk is not in the table"))?;
                    let ms = (time::system_time() - started) / 10_000;
                    log!(
                        disk: u8::try_from(info.drive_letter.get()).unwrap_or(b'?'),
                        "created by the control device in {ms} ms"
                    );
                    Ok(control::info_reply(&info, out(buffer, output_len)))
                }
                Request::Remove => {
                    let req = control::parse_remove(input).map_err(LoadError::Control)?;
                    remove(st, req.select, req.force)?;
                    let ms = (time::system_time() - started) / 10_000;
                    log!("REMOVE {}: done in {ms} ms", req.select);
                    Ok(Reply {
                        status: STATUS_SUCCESS,
                        information: 0,
                    })
                }
                Request::Save => {
                    let result = save_request(st, input)?;
                    Ok(control::save_reply(&result, out(buffer, output_len)))
                }
                Request::Query => {
                    let select = control::parse_query(input).map_err(LoadError::Control)?;
                    let info = st
                        .find(select)
                        .and_then(|slot| st.disks.get(slot))
                        .and_then(Option::as_ref)
                        .and_then(report)
                        .ok_or(LoadError::NoSuchDisk(select))?;
                    Ok(control::info_reply(&info, out(buffer, output_len)))
                }
                Request::List => {
                    // The disks by index: (index, slot) pairs, then each entry made
                    // straight into the reply.
                    let mut order = [(0u32, 0usize); MAX_DISKS];
                    let mut n = 0;
                    for (slot, _, disk) in st.disks() {
                        if let Some(o) = order.get_mut(n) {
                            *o = (disk.state().identity.index(), slot);
                            n += 1;
                        }
                    }
                    let order = order.get_mut(..n).unwrap_or(&mut []);
                    order.sort_unstable();
                    let entries = order.iter().map(|&(_, slot)| {
                        st.disks
                            .get(slot)
                            .and_then(Option::as_ref)
                            .and_then(report)
                            .unwrap_or_else(RamdiskDiskInfo::new_zeroed)
                    });
                    Ok(control::list_reply(entries, out(buffer, output_len)))
                }
            }
        })
        .unwrap_or(Err(LoadError::Busy));
    result.unwrap_or_else(|e| {
        log!(error: "{}: {e}", request.name());
        Reply {
            status: e.status(),
            information: 0,
        }
    })
}

/// The output part of a system buffer.
fn out(buffer: &mut [u8], output_len: usize) -> &mut [u8] {
    let len = output_len.min(buffer.len());
    buffer.get_mut(..len).unwrap_or(&mut [])
}

/// A disk's `RAMDISK_DISK_INFO` (`None` for a device that is not a disk).
fn report(device: &DeviceObject) -> Option<RamdiskDiskInfo> {
    let Some(DeviceKind::Disk(disk)) = device.kind() else {
        return None;
    };
    let state = disk.state();
    let persist = match state.identity.persistence() {
        Persistence::Registry(name) => Some(name),
        Persistence::Parameters | Persistence::Letter(_) => None,
    };
    Some(control::encode_info(&DiskReport {
        identity: &state.identity,
        letter: disk.letter(),
        disk_size: state.info.disk_size,
        allocated_bytes: disk.store().allocated_bytes(),
        memory_limit: if disk.store().is_dynamic() {
            disk.store().memory_limit()
        } else {
            0
        },
        open_handles: disk.opens(),
        allocation: u32::from(disk.store().is_dynamic()),
        mounted: device.is_mounted(),
        boot: disk.is_boot(),
        file_system: state.info.volume.name(),
        persist: persist.as_ref(),
    }))
}

/// CREATE: a free slot, the persist name free, the drive letter (asked for and free,
/// or the first free from `Z:` down), a new index; then the disk.
fn create_runtime(
    st: &mut State,
    req: &CreateRequest,
    path: Option<PathBox>,
) -> Result<usize, LoadError> {
    if st.disks.iter().all(Option::is_some) {
        return Err(LoadError::TooManyDisks);
    }
    if let Some(name) = req.persist
        && st
            .disks()
            .any(|(_, _, d)| d.state().identity.persistence() == Persistence::Registry(name))
    {
        return Err(LoadError::PersistNameInUse(name));
    }
    let letter = if let Some(letter) = req.letter {
        if drive_letter_taken(letter) {
            return Err(LoadError::LetterTaken {
                letter,
                status: status::STATUS_OBJECT_NAME_COLLISION,
            });
        }
        letter
    } else {
        let mut unavailable: LetterSet = config::remembered_letters(req.persist.as_ref());
        // Never the image's own letter: the disk would hold its image (and an unmapped
        // letter is refused below as what it is, a path that does not exist).
        if let Some(l) = path.as_deref().and_then(ImagePath::drive_letter) {
            unavailable.insert(l);
        }
        for l in b'D'..=b'Z' {
            if drive_letter_taken(l) {
                unavailable.insert(l);
            }
        }
        control::pick_letter(unavailable).ok_or(LoadError::NoFreeLetter)?
    };
    let mut config = req.config;
    config.drive_letter = letter;
    let index = st.allocate_index();
    let identity = req
        .persist
        .map_or_else(
            || DiskIdentity::runtime(index, letter),
            |name| DiskIdentity::registry(index, name),
        )
        .map_err(|_| LoadError::Internal("no identity for a new disk"))?;
    create_disk(st, &config, identity, false, path)
}

/// The `ImageFile` of a CREATE input `parse_create` accepted, in pool (`None` without
/// one).
///
/// # Errors
/// [`LoadError::Image`] without pool for it; the path's own problem (none: the parser
/// validated it).
fn create_image_path(input: &[u8], req: &CreateRequest) -> Result<Option<PathBox>, LoadError> {
    if !req.config.persist.image {
        return Ok(None);
    }
    let units = control::create_image_file(input).ok_or(LoadError::Internal(
        "a CREATE with an image but no ImageFile text",
    ))?;
    let mut path = PathBox::new_zeroed().ok_or(LoadError::Image(ImageFailure::NoPool))?;
    path.set(units.iter().map(|u| u.get())).map_err(|p| {
        LoadError::Config(ConfigError {
            value: ValueName::ImageFile,
            problem: Problem::BadImagePath(p),
        })
    })?;
    Ok(Some(path))
}

/// REMOVE: the disk `select` names; refused while busy (open handles, a mounted file
/// system) unless `force`.
fn remove(st: &mut State, select: Select, force: bool) -> Result<(), LoadError> {
    let slot = st.find(select).ok_or(LoadError::NoSuchDisk(select))?;
    let busy = st
        .disks()
        .find(|(s, _, _)| *s == slot)
        .map(|(_, device, disk)| (disk.opens(), device.is_mounted()));
    if let Some((opens, mounted)) = busy
        && (opens > 0 || mounted)
        && !force
    {
        return Err(LoadError::DiskBusy { opens, mounted });
    }
    let device = st
        .disks
        .get_mut(slot)
        .and_then(Option::take)
        .ok_or(LoadError::NoSuchDisk(select))?;
    destroy(st.driver, device);
    Ok(())
}
