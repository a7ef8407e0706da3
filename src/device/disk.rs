//! A RAM disk device: its store, its state for core's replies, its drive-letter link.

use ramdisk_core::{
    config::Config,
    disk::{DiskIdentity, DiskState},
    fat::Zeroed,
    geometry::{BYTES_PER_SECTOR, DiskInfo},
    ioctl, request,
    status::{STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS},
    volume::Layout,
};
use ramdisk_store::{DEFAULT_CHUNK_SHIFT, Store};
use wdk_sys::{FILE_DEVICE_DISK, FILE_DEVICE_SECURE_OPEN};

use super::DeviceKind;
use crate::{
    driver::LoadError,
    kernel::{
        Completion, DeviceObject, DriverObject, Irp, Major, NewDevice, PoolAlloc, SymbolicLink,
    },
};

/// One RAM disk, as its device extension holds it.
pub struct Disk {
    /// The disk's bytes.
    store: Store<PoolAlloc>,
    /// What core's replies read: presentation and identity.
    state: DiskState,
    /// The drive letter (`A`..=`Z`) the link names.
    letter: u8,
    /// `\DosDevices\X:` → the device, deleted with the disk.
    link: SymbolicLink,
}

impl Disk {
    /// Allocates and formats the disk of `config` (planned as `layout`), creates its
    /// device `identity.device_name()` and its drive-letter link, and publishes it.
    /// Every step is undone if a later one fails.
    ///
    /// # Errors
    /// The step that failed, with its status.
    pub fn create(
        driver: &DriverObject,
        config: &Config,
        layout: &Layout,
        identity: DiskIdentity,
    ) -> Result<DeviceObject, LoadError> {
        let size = config.format.disk_size;
        let store = Store::new(PoolAlloc, size, DEFAULT_CHUNK_SHIFT)
            .map_err(|error| LoadError::Store { bytes: size, error })?;
        layout
            .format(&mut &store, Zeroed::Yes)
            .map_err(LoadError::Format)?;
        let info = DiskInfo::with_volume(size, layout.kind());
        let device = if crate::fault::fail_device() {
            Err(STATUS_INSUFFICIENT_RESOURCES)
        } else {
            NewDevice::create(
                driver,
                identity.device_name().as_slice(),
                FILE_DEVICE_DISK,
                FILE_DEVICE_SECURE_OPEN | info.media.device_characteristics(),
            )
        }
        .map_err(LoadError::CreateDevice)?;
        // 512 fits a USHORT.
        #[expect(clippy::cast_possible_truncation, reason = "512")]
        device.set_disk_io(BYTES_PER_SECTOR as u16);
        let letter = config.drive_letter;
        let link = if crate::fault::fail_link() {
            Err(ramdisk_core::status::STATUS_OBJECT_NAME_COLLISION)
        } else {
            SymbolicLink::create(config.dos_device_name(), identity.device_name().as_slice())
        }
        .map_err(|status| LoadError::LetterTaken { letter, status })?;
        Ok(device.publish(DeviceKind::Disk(Self {
            store,
            state: DiskState { info, identity },
            letter,
            link,
        })))
    }

    /// The drive letter.
    pub const fn letter(&self) -> u8 {
        self.letter
    }

    /// The store.
    pub const fn store(&self) -> &Store<PoolAlloc> {
        &self.store
    }

    /// What core's replies read.
    pub const fn state(&self) -> &DiskState {
        &self.state
    }

    /// Tears the disk down in order: the drive-letter link first, then (after the
    /// caller deleted the device) the memory.
    pub fn into_parts(self) -> (SymbolicLink, Store<PoolAlloc>) {
        (self.link, self.store)
    }

    /// Serves one IRP.
    pub fn dispatch(&self, irp: Irp) -> Completion {
        match irp.major() {
            Major::Read | Major::Write => self.read_write(irp),
            Major::DeviceControl => self.device_control(irp),
            // CREATE, CLOSE, CLEANUP, FLUSH: nothing to do for memory.
            Major::Create | Major::Close | Major::Cleanup | Major::FlushBuffers => {
                irp.complete(STATUS_SUCCESS, 0)
            }
            Major::Other(_) => irp.complete(ramdisk_core::status::STATUS_INVALID_DEVICE_REQUEST, 0),
        }
    }

    /// READ/WRITE: core validates the 64-bit offset, the length and the caller's
    /// buffer; one store call copies, no lock.
    fn read_write(&self, irp: Irp) -> Completion {
        let Some((offset, length)) = irp.read_write() else {
            return irp.complete(ramdisk_core::status::STATUS_INVALID_DEVICE_REQUEST, 0);
        };
        let range = match request::check(offset, length, self.state.info.disk_size) {
            Ok(range) => range,
            Err(status) => return irp.complete(status, 0),
        };
        if range.is_empty() {
            return irp.complete(STATUS_SUCCESS, 0);
        }
        let is_write = irp.major() == Major::Write;
        let result = irp
            .io_buffer()
            .map_or(Err(STATUS_INSUFFICIENT_RESOURCES), |mut buffer| {
                request::check_buffer(&range, buffer.len(), buffer.is_chained())?;
                if is_write {
                    buffer.write_to(&self.store, range)
                } else {
                    buffer.read_from(&self.store, range)
                }
                .map_err(ramdisk_store::StoreError::status)
            });
        match result {
            Ok(()) => irp.complete(STATUS_SUCCESS, range.length()),
            Err(status) => irp.complete(status, 0),
        }
    }

    /// `DEVICE_CONTROL`: core answers from its table into the IRP's own buffer.
    fn device_control(&self, irp: Irp) -> Completion {
        let mut irp = match crate::fault::intercept_ioctl(irp) {
            Ok(done) => return done,
            Err(irp) => irp,
        };
        let reply = match irp.ioctl() {
            Some(io) => ioctl::answer(io.code, io.buffer, io.input_len, io.output_len, &self.state),
            None => ioctl::Reply {
                status: ramdisk_core::status::STATUS_INVALID_DEVICE_REQUEST,
                information: 0,
            },
        };
        irp.complete(reply.status, reply.information)
    }
}
