//! A RAM disk device: its store, its state for core's replies, its drive-letter link.

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use ramdisk_core::{
    config::{Config, MemoryPlan},
    disk::{DiskIdentity, DiskState},
    dsm::Extent,
    fat::Zeroed,
    geometry::{BYTES_PER_SECTOR, DiskInfo},
    ioctl::{
        self,
        disk_ops::{self, DiskOps, Usage},
    },
    mountmgr::MountManagerName,
    request,
    save::shutdown,
    security::{self, DISK_DACL},
    status::{STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS},
    volume::Layout,
};
use ramdisk_store::{DYNAMIC_CHUNK_SHIFT, FIXED_CHUNK_SHIFT, Store, StoreError, StoreWriter};
use wdk_sys::{FILE_DEVICE_DISK, FILE_DEVICE_SECURE_OPEN};

use super::{
    DeviceKind,
    image::{self, ImageState, Opened, PathBox},
};
use crate::{
    driver::LoadError,
    kernel::{
        Completion, DeviceObject, DriveLink, DriverObject, Held, Irp, Major, NewDevice, PoolAlloc,
        security::DescriptorBuffer, shutdown as kernel_shutdown, sync::TryLock, thread,
    },
    mountmgr::{self, Ownership, RegisterError},
};

/// One RAM disk, as its device extension holds it.
pub struct Disk {
    /// The disk's bytes.
    store: Store<PoolAlloc>,
    /// What core's replies read: presentation, identity, drive letter.
    state: DiskState,
    /// The mount manager this disk registers with.
    mount_manager: MountManagerName,
    /// `\DosDevices\X:` → the device, made by the driver only when the mount manager
    /// does not own the volume; deleted with the disk.
    link: DriveLink,
    /// Whether the last write that needed memory failed (logged once per episode).
    exhausted: AtomicBool,
    /// Opens not yet closed (CREATE − CLOSE): one half of "busy".
    opens: AtomicU32,
    /// Made at load from the registry (not by the control device).
    boot: bool,
    /// The image file (its path, the handle held for the disk's lifetime, what a
    /// save compares), when `ImageFile` is set.
    image: Option<TryLock<ImageState>>,
    /// Registered with `IoRegisterShutdownNotification` (`SaveOn=shutdown`), until the
    /// teardown unregisters it.
    shutdown_registered: AtomicBool,
    /// A shutdown save ran (or runs): later `IRP_MJ_SHUTDOWN`s complete at once.
    shutdown_begun: AtomicBool,
}

/// What a new disk holds.
pub enum Content<'a> {
    /// A fresh volume, formatted as planned; `path` is the `ImageFile` of a new image
    /// (no such file yet), if the disk has one.
    Format {
        /// The volume's plan.
        layout: &'a Layout,
        /// The new image's path.
        path: Option<PathBox>,
    },
    /// An existing image (opened and checked), loaded as it is.
    Image {
        /// The open, checked image.
        opened: Opened,
        /// Its path.
        path: PathBox,
    },
}

impl Disk {
    /// Allocates (all of it, or for a dynamic disk only the chunk table) and formats
    /// the disk of `config` (planned as `layout`) or loads its image (`content`;
    /// memory as `memory`), creates its
    /// device `identity.device_name()` with the disk DACL, publishes it, registers the
    /// volume with `mount_manager` and makes the driver's own drive-letter link if the
    /// mount manager does not own it. Every step is undone if a later one fails.
    ///
    /// # Errors
    /// The step that failed, with its status.
    // A frame of its own (the descriptor buffers, the registration): no frame above a page.
    #[inline(never)]
    pub fn create(
        driver: DriverObject,
        config: &Config,
        content: Content<'_>,
        memory: MemoryPlan,
        identity: DiskIdentity,
        mount_manager: MountManagerName,
        boot: bool,
    ) -> Result<DeviceObject, LoadError> {
        let size = config.format.disk_size;
        let store = match memory {
            MemoryPlan::Fixed => Store::new(PoolAlloc, size, FIXED_CHUNK_SHIFT),
            MemoryPlan::Dynamic { limit } => {
                Store::new_dynamic(PoolAlloc, size, DYNAMIC_CHUNK_SHIFT, limit)
            }
        }
        .map_err(|error| LoadError::Store { bytes: size, error })?;
        // The disk keeps the path and (for an existing image) the handle, and what a
        // save compares before it replaces the file.
        let (volume, image) = match content {
            Content::Format { layout, path } => {
                // Fresh fixed memory is zeroed and a dynamic store's holes read as
                // zeros: only the non-zero metadata sectors are written.
                let mut writer = StoreWriter::new(&store);
                layout.format(&mut writer, Zeroed::Yes).map_err(|e| {
                    writer
                        .error()
                        .map_or(LoadError::Format(e), LoadError::Metadata)
                })?;
                let image = path
                    .map(|path| TryLock::new(ImageState::new(path, None, config.persist.save_on)));
                (layout.kind(), image)
            }
            Content::Image { opened, path } => {
                image::load(config.drive_letter, &path, &opened, &store)?;
                let volume = opened.check.volume.kind();
                let image = ImageState::new(path, Some(opened), config.persist.save_on);
                (volume, Some(TryLock::new(image)))
            }
        };
        let info = DiskInfo::with_volume(size, volume);
        let info = if store.is_dynamic() {
            info.thin(store.chunk_size() as u64)
        } else {
            info
        };
        let info = if config.persist.read_only {
            info.write_protected()
        } else {
            info
        };
        let device = if crate::fault::fail_device() {
            Err(STATUS_INSUFFICIENT_RESOURCES)
        } else {
            NewDevice::create(
                &driver,
                identity.device_name().as_slice(),
                FILE_DEVICE_DISK,
                FILE_DEVICE_SECURE_OPEN | info.device_characteristics(),
            )
        }
        .map_err(LoadError::CreateDevice)?;
        // 512 fits a USHORT.
        #[expect(clippy::cast_possible_truncation, reason = "512")]
        device.set_disk_io(BYTES_PER_SECTOR as u16);
        let letter = config.drive_letter;
        device.set_dacl(&DISK_DACL).map_err(LoadError::Dacl)?;
        let mut read_back = DescriptorBuffer::new();
        match device.read_dacl(&mut read_back).map(security::read_dacl) {
            Ok(Ok(dacl)) => log!(disk: letter, "device DACL {dacl}"),
            Ok(Err(e)) => log!(error, disk: letter, "device DACL read back, but unreadable: {e}"),
            Err(status) => log!(
                error,
                disk: letter,
                "device DACL cannot be read back: {:#010x} ({})",
                status.cast_unsigned(),
                ramdisk_core::status::name(status)
            ),
        }
        let device = device.publish(DeviceKind::Disk(Self {
            store,
            state: DiskState::new(info, identity, letter),
            mount_manager,
            link: DriveLink::new(config.dos_device_name()),
            exhausted: AtomicBool::new(false),
            opens: AtomicU32::new(0),
            boot,
            image,
            shutdown_registered: AtomicBool::new(false),
            shutdown_begun: AtomicBool::new(false),
        }));
        // Registered once published (the I/O manager sends to a device object that
        // can serve the IRP), before the volume is announced.
        if shutdown::registers(config.persist.save_on) {
            match kernel_shutdown::register(&device) {
                Ok(()) => {
                    if let Some(DeviceKind::Disk(disk)) = device.kind() {
                        disk.shutdown_registered.store(true, Ordering::Release);
                    }
                    log!(disk: letter, "SaveOn=shutdown: registered for IRP_MJ_SHUTDOWN");
                }
                Err(status) => {
                    device.close().delete();
                    return Err(LoadError::ShutdownNotification(status));
                }
            }
        }
        match Self::announce(&device) {
            Ok(()) => Ok(device),
            Err(e) => {
                Self::unregister_shutdown(&device);
                // The mount manager may have opened the device during the arrival:
                // the rundown drains whatever it still has in flight.
                device.close().delete();
                Err(e)
            }
        }
    }

    /// `IoUnregisterShutdownNotification` for `device`, if its disk registered (the
    /// first step of every disk's end: teardown and rollback alike).
    pub fn unregister_shutdown(device: &DeviceObject) {
        if let Some(DeviceKind::Disk(disk)) = device.kind()
            && disk.shutdown_registered.swap(false, Ordering::AcqRel)
        {
            kernel_shutdown::unregister(device);
        }
    }

    /// Marks the disk's shutdown save as begun; whether it was already.
    pub fn shutdown_begun(&self) -> bool {
        self.shutdown_begun.swap(true, Ordering::AcqRel)
    }

    /// After publication: the fault-injection build's NULL-file-object self-queries,
    /// the registration (on a system thread `DriverEntry` waits for), then the
    /// driver's own link when the mount manager does not own the volume.
    fn announce(device: &DeviceObject) -> Result<(), LoadError> {
        let Some(DeviceKind::Disk(disk)) = device.kind() else {
            return Err(LoadError::Internal("a new disk device lost its body"));
        };
        let letter = disk.letter();
        crate::fault::query_self(device, letter);
        let device_name = disk.state.identity.device_name();
        let ownership =
            thread::run(|| mountmgr::register(&disk.mount_manager, device_name, letter))
                .map_err(LoadError::Thread)?
                .map_err(|e| match e {
                    RegisterError::LetterTaken(status) => LoadError::LetterTaken { letter, status },
                    RegisterError::Encoding => {
                        LoadError::Internal("a mount-manager request does not encode")
                    }
                })?;
        match ownership {
            Ownership::MountManager(letters) => {
                log!(disk: letter, "the mount manager owns drive letter(s) {letters}");
                Ok(())
            }
            Ownership::Fallback(reason) => {
                let made = if crate::fault::fail_link() {
                    Err(ramdisk_core::status::STATUS_OBJECT_NAME_COLLISION)
                } else {
                    disk.link.create(device_name.as_slice())
                };
                made.map_err(|status| LoadError::LetterTaken { letter, status })?;
                // Paths on the volume will not canonicalize: an error on Windows, a
                // warning where no mount manager takes volumes from drivers (Wine).
                if reason.expected_without_mount_manager() {
                    log!(
                        warning,
                        disk: letter,
                        "{reason}; the driver made the drive-letter link itself"
                    );
                } else {
                    log!(
                        error,
                        disk: letter,
                        "{reason}; the driver made the drive-letter link itself"
                    );
                }
                Ok(())
            }
        }
    }

    /// The drive letter.
    pub const fn letter(&self) -> u8 {
        self.state.letter
    }

    /// The store.
    pub const fn store(&self) -> &Store<PoolAlloc> {
        &self.store
    }

    /// What core's replies read.
    pub const fn state(&self) -> &DiskState {
        &self.state
    }

    /// Opens of the disk device not yet closed.
    pub fn opens(&self) -> u32 {
        self.opens.load(Ordering::Acquire)
    }

    /// The image file, when the disk has one.
    pub const fn image(&self) -> Option<&TryLock<ImageState>> {
        self.image.as_ref()
    }

    /// Whether the disk was made at load from the registry.
    pub const fn is_boot(&self) -> bool {
        self.boot
    }

    /// The first step of teardown, while the device still serves IRPs (the mount
    /// manager may send `LINK_DELETED` to it): every drive letter the mount manager
    /// lists for the disk is deleted.
    pub fn unregister(&self) {
        mountmgr::unregister(
            &self.mount_manager,
            self.state.identity.device_name(),
            self.letter(),
        );
    }

    /// Tears the disk down in order: the driver's own link first (if it made one),
    /// then (after the caller deleted the device) the memory.
    pub fn into_parts(self) -> (DriveLink, Store<PoolAlloc>) {
        // The image's handle closes here, with the disk.
        drop(self.image);
        (self.link, self.store)
    }

    /// Serves one IRP, entered with the rundown reference `held` (a dynamic store
    /// counts the IRP's store requests by it).
    pub fn dispatch(&self, irp: Irp, held: Held<'_>) -> Completion {
        match irp.major() {
            Major::Read | Major::Write => self.read_write(irp, held),
            Major::DeviceControl => self.device_control(irp, held),
            Major::Create => {
                self.opens.fetch_add(1, Ordering::AcqRel);
                irp.complete(STATUS_SUCCESS, 0)
            }
            Major::Close => {
                // Never below zero (Wine hands out a handle for a failed CREATE).
                let _ = self
                    .opens
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
                irp.complete(STATUS_SUCCESS, 0)
            }
            // CLEANUP, FLUSH: nothing to do for memory.
            Major::Cleanup | Major::FlushBuffers => irp.complete(STATUS_SUCCESS, 0),
            Major::Shutdown => self.shutdown(irp),
            Major::Other(_) => irp.complete(ramdisk_core::status::STATUS_INVALID_DEVICE_REQUEST, 0),
        }
    }

    /// `IRP_MJ_SHUTDOWN`: a registered disk's first one is pended for the control
    /// worker, which saves the image ([`super::shutdown::save_at_shutdown`]) and
    /// completes it; any other (a file system's own shutdown request to its target
    /// device, a repeat) completes at once: memory caches nothing.
    fn shutdown(&self, irp: Irp) -> Completion {
        if !self.shutdown_registered.load(Ordering::Acquire)
            || self.shutdown_begun.load(Ordering::Acquire)
        {
            return irp.complete(shutdown::IRP_STATUS, 0);
        }
        let (pending, completion) = irp.pend();
        crate::driver::submit_shutdown(pending);
        completion
    }

    /// READ/WRITE: core validates the 64-bit offset, the length and the caller's
    /// buffer; one store call copies, no lock.
    fn read_write(&self, irp: Irp, held: Held<'_>) -> Completion {
        let Some((offset, length)) = irp.read_write() else {
            return irp.complete(ramdisk_core::status::STATUS_INVALID_DEVICE_REQUEST, 0);
        };
        let range = match request::check(offset, length, self.state.info.disk_size) {
            Ok(range) => range,
            Err(status) => return irp.complete(status, 0),
        };
        let is_write = irp.major() == Major::Write;
        // A write-protected disk (`ReadOnly=1`) refuses every write, empty ones too.
        if is_write && let Some(status) = self.state.info.refuse_write() {
            return irp.complete(status, 0);
        }
        if range.is_empty() {
            return irp.complete(STATUS_SUCCESS, 0);
        }
        let result = irp
            .io_buffer()
            .map_or(Err(STATUS_INSUFFICIENT_RESOURCES), |mut buffer| {
                request::check_buffer(&range, buffer.len(), buffer.is_chained())?;
                if is_write {
                    let written = buffer.write_to(&self.store, held, range);
                    self.note_write(written);
                    written
                } else {
                    buffer.read_from(&self.store, held, range)
                }
                .map_err(StoreError::status)
            });
        match result {
            Ok(()) => irp.complete(STATUS_SUCCESS, range.length()),
            Err(status) => irp.complete(status, 0),
        }
    }

    /// Logs the start and the end of a run of writes failing for memory (one line
    /// each, not one per IRP).
    fn note_write(&self, result: Result<(), StoreError>) {
        // The guards flip the flag: only the write that starts (or ends) a run logs.
        match result {
            Err(e @ StoreError::Exhausted(_)) if !self.exhausted.swap(true, Ordering::Relaxed) => {
                log!(
                    disk: self.letter(),
                    "writes fail with STATUS_DISK_RESOURCES_EXHAUSTED: {e} ({} of {} bytes held)",
                    self.store.allocated_bytes(),
                    self.store.memory_limit()
                );
            }
            // A plain load first: a successful write outside a run writes nothing.
            Ok(())
                if self.exhausted.load(Ordering::Relaxed)
                    && self.exhausted.swap(false, Ordering::Relaxed) =>
            {
                log!(disk: self.letter(), "writes succeed again");
            }
            _ => {}
        }
    }

    /// `DEVICE_CONTROL`: core answers from its table into the IRP's own buffer; TRIM
    /// and the usage query reach the store through [`DiskOps`].
    fn device_control(&self, irp: Irp, held: Held<'_>) -> Completion {
        let mut irp = match crate::fault::intercept_ioctl(irp) {
            Ok(done) => return done,
            Err(irp) => irp,
        };
        let (code, reply) = match irp.ioctl() {
            Some(io) => (
                io.code,
                disk_ops::answer_disk(
                    io.code,
                    io.buffer,
                    io.input_len,
                    io.output_len,
                    &self.state,
                    &Ops { disk: self, held },
                ),
            ),
            None => (
                0,
                ioctl::Reply {
                    status: ramdisk_core::status::STATUS_INVALID_DEVICE_REQUEST,
                    information: 0,
                },
            ),
        };
        let reply = crate::fault::tamper(code, reply);
        if irp.file_object().is_none() {
            crate::fault::note_without_file_object(self.letter(), code, reply);
        }
        irp.complete(reply.status, reply.information)
    }
}

/// A disk serving one IOCTL, entered with `held`.
struct Ops<'a> {
    disk: &'a Disk,
    held: Held<'a>,
}

/// TRIM and the usage query of core's [`disk_ops::answer_disk`], on the store.
impl DiskOps for Ops<'_> {
    fn trim(&self, extent: Extent) -> Result<(), i32> {
        self.disk
            .store
            .trim_held(self.held, extent)
            .map(|_| ())
            .map_err(StoreError::status)
    }

    fn usage(&self) -> Usage {
        self.disk.store.usage()
    }
}
