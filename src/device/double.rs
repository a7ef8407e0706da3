//! The mount-manager double (fault-injection build only): the device
//! `\Device\RamdiskTestMountManager` that plays the mount manager's part for the
//! tests, as a second service of the fault-injection `ramdisk.sys` (`TestRole` =
//! `MountManagerDouble`).
//!
//! Every decision is `ramdisk_mountmgr_double`'s (a strict state machine written from
//! Microsoft's documentation and the `ReactOS` mount manager, independent of
//! `ramdisk-core`);
//! this file only performs its side effects: kernel handles to the volume it
//! queries, symbolic links, and its `MountedDevices`-like registry key.

use ramdisk_core::{disk::ascii_utf16, status::STATUS_SUCCESS};
use ramdisk_mountmgr_double::{Env, MountManager};
use wdk_sys::{FILE_DEVICE_UNKNOWN, STATUS_DEVICE_BUSY, STATUS_INVALID_DEVICE_REQUEST};

use super::DeviceKind;
use crate::{
    driver::LoadError,
    kernel::{
        Completion, DeviceObject, DriverObject, Irp, Major, NewDevice,
        file::{Access, DeviceFile},
        guid,
        pool::PoolBox,
        registry::{EnumBuffer, Key},
        symlink,
        sync::TryLock,
    },
};

/// The double's device.
pub const DEVICE_NAME: [u16; 31] = ascii_utf16(r"\Device\RamdiskTestMountManager");
/// Its database key, below the service key (value name = link, data = unique ID).
const DATABASE_KEY: [u16; 14] = ascii_utf16("MountedDevices");

/// The double, as its device extension holds it.
pub struct Double {
    /// The state machine (57 KiB: in pool, never on a stack), one request at a time.
    state: TryLock<PoolBox<MountManager>>,
    /// The database key.
    database: Key,
}

/// The side effects, for one request.
struct KernelEnv<'a> {
    database: &'a Key,
}

impl Env for KernelEnv<'_> {
    type Handle = DeviceFile;

    fn open(&mut self, device_name: &[u16], write: bool) -> Result<DeviceFile, i32> {
        DeviceFile::open(
            device_name,
            if write {
                Access::ReadWrite
            } else {
                Access::Query
            },
        )
    }

    fn ioctl(
        &mut self,
        h: &DeviceFile,
        code: u32,
        input: &[u8],
        output: &mut [u8],
    ) -> (i32, usize) {
        h.ioctl(code, input, output)
    }

    fn close(&mut self, h: DeviceFile) {
        drop(h);
    }

    fn create_link(&mut self, link: &[u16], target: &[u16]) -> i32 {
        symlink::create(link, target)
    }

    fn delete_link(&mut self, link: &[u16]) -> i32 {
        symlink::delete(link)
    }

    fn store(&mut self, link: &[u16], unique_id: &[u8]) -> i32 {
        self.database.set_binary(link, unique_id)
    }

    fn unstore(&mut self, link: &[u16]) -> i32 {
        self.database.delete_value(link)
    }

    fn new_guid(&mut self) -> [u8; 16] {
        guid::new_guid()
    }
}

impl Double {
    /// Creates the double's device: opens (or creates) its database key under
    /// `service`, loads every value into a zeroed state machine, publishes.
    ///
    /// # Errors
    /// The failing step.
    pub fn create(driver: DriverObject, service: &Key) -> Result<DeviceObject, LoadError> {
        let database =
            Key::create(&DATABASE_KEY, service, false).map_err(|status| LoadError::Registry {
                status,
                what: "the double's MountedDevices key",
            })?;
        let mut state = PoolBox::<MountManager>::new_zeroed()
            .ok_or(LoadError::Internal("no pool for the mount-manager double"))?;
        let mut buffer = EnumBuffer::new();
        for index in 0.. {
            match database.value_at(index, &mut buffer) {
                Ok(Some(value)) if value.reg_type != ramdisk_core::config::REG_BINARY => {
                    log!(error: "mount-manager double: database value {index} is not REG_BINARY; skipped");
                }
                Ok(Some(value)) => {
                    if let Err(e) = state.load(value.name, value.data) {
                        log!(error: "mount-manager double: database value {index} not loaded: {e:?}");
                    }
                }
                Ok(None) => break,
                Err(status) => {
                    return Err(LoadError::Registry {
                        status,
                        what: "the double's MountedDevices values",
                    });
                }
            }
        }
        let device = NewDevice::create(&driver, &DEVICE_NAME, FILE_DEVICE_UNKNOWN, 0)
            .map_err(LoadError::CreateDevice)?;
        log!("mount-manager double: \\Device\\RamdiskTestMountManager ready");
        Ok(device.publish(DeviceKind::MountManagerDouble(Self {
            state: TryLock::new(state),
            database,
        })))
    }

    /// Serves one IRP: opens and closes succeed; device controls go to the state
    /// machine (`STATUS_DEVICE_BUSY` if another request holds it).
    pub fn dispatch(&self, mut irp: Irp) -> Completion {
        match irp.major() {
            Major::Create | Major::Close | Major::Cleanup => irp.complete(STATUS_SUCCESS, 0),
            Major::DeviceControl => {
                let reply = irp.ioctl().map(|io| {
                    let mut env = KernelEnv {
                        database: &self.database,
                    };
                    self.state
                        .try_with(|mm| {
                            mm.device_control(
                                &mut env,
                                io.code,
                                io.buffer,
                                io.input_len,
                                io.output_len,
                            )
                        })
                        .unwrap_or((STATUS_DEVICE_BUSY, 0))
                });
                let (status, information) = reply.unwrap_or((STATUS_INVALID_DEVICE_REQUEST, 0));
                irp.complete(status, information)
            }
            _ => irp.complete(STATUS_INVALID_DEVICE_REQUEST, 0),
        }
    }
}
