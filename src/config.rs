//! Reads `<service key>\Parameters` (disk 0, `DefaultDisk`) and its `Disks\<NAME>`
//! subkeys with the kernel's registry wrapper and hands every value, with its type, to
//! `ramdisk_core::config::parse`, which decides everything; the volatile index counter;
//! the drive letters `MountedDevices` keeps.

use ramdisk_core::{
    config::{self, Config, boot},
    control::{self, MAX_DISKS},
    disk::{DiskName, ascii_utf16},
    mountmgr::{LetterSet, MountManagerName, mount_point_manager},
};
use wdk_sys::STATUS_OBJECT_NAME_NOT_FOUND;

use crate::{
    device::image::PathBox,
    driver::LoadError,
    kernel::{
        pool::PoolBuffer,
        registry::{EnumBuffer, Key},
    },
};

/// The disks `DriverEntry` makes, and where their mount-manager requests go.
pub struct Settings {
    /// Disk 0 (`Parameters` itself), unless `DefaultDisk` is 0, with its
    /// `ImageFile` path (in pool) when it has one.
    pub default: Option<(Config, Option<PathBox>)>,
    /// Where mount-manager requests go: `\Device\MountPointManager`, or (fault-injection
    /// build only) the `MountManagerDevice` value.
    pub mount_manager: MountManagerName,
    /// The service key, kept open for the driver's volatile index counter.
    pub service: Key,
}

/// The `Parameters\Disks\<NAME>` disks, in the order the registry lists them (the
/// driver keeps this table in its static state: no kernel-stack frame holds it).
pub type BootDisks = [Option<(DiskName, Config, Option<PathBox>)>; MAX_DISKS];

/// A load failure and the boot-time disk it belongs to (`None`: `Parameters` itself,
/// or no disk).
pub type Failure = (Option<DiskName>, LoadError);

const PARAMETERS: [u16; 10] = ascii_utf16("Parameters");

/// Reads and validates `Parameters` (disk 0 and `DefaultDisk`) and every
/// `Parameters\Disks\<NAME>` subkey (into `disks`) with the same parser. A missing `Parameters` key
/// means disk 0 with all defaults; a missing `Disks` key, no further disk.
///
/// # Errors
/// The first bad value ([`LoadError::Config`], named, with its subkey), a bad
/// `DefaultDisk` or subkey name or too many subkeys ([`LoadError::Boot`]), or
/// [`LoadError::Registry`] when the registry itself fails.
// A frame of its own (every subkey's settings): no frame above a page.
#[inline(never)]
pub fn read(
    service_key: &[u16],
    volume_serial: u32,
    disks: &mut BootDisks,
) -> Result<Settings, Failure> {
    let service = Key::open(service_key, None).map_err(|status| {
        (
            None,
            LoadError::Registry {
                status,
                what: "service key",
            },
        )
    })?;
    let parameters = match Key::open(&PARAMETERS, Some(&service)) {
        Ok(key) => Some(key),
        Err(STATUS_OBJECT_NAME_NOT_FOUND) => None,
        Err(status) => {
            return Err((
                None,
                LoadError::Registry {
                    status,
                    what: "Parameters",
                },
            ));
        }
    };
    #[cfg(feature = "fault-injection")]
    if let Some(key) = parameters.as_ref() {
        const FAULT_INJECT: [u16; 11] = ascii_utf16("FaultInject");
        let mut value = [0u8; 4];
        if let Ok(Some(info)) = key.query(&FAULT_INJECT, &mut value)
            && info.len == 4
        {
            crate::fault::set(u32::from_le_bytes(value));
        }
    }
    let wanted = match parameters.as_ref() {
        Some(key) => {
            let mut data = [0u8; 8];
            let value = key
                .query(&boot::DEFAULT_DISK_VALUE, &mut data)
                .map_err(|status| {
                    (
                        None,
                        LoadError::Registry {
                            status,
                            what: "DefaultDisk",
                        },
                    )
                })?;
            let value = value.map(|v| (v.reg_type, data.get(..v.len).unwrap_or(&data)));
            boot::default_disk(value).map_err(|e| (None, LoadError::Boot(e)))?
        }
        None => true,
    };
    let default = if wanted {
        Some(parse_key(parameters.as_ref(), volume_serial).map_err(|e| (None, e))?)
    } else {
        None
    };
    *disks = [const { None }; MAX_DISKS];
    if let Some(parameters) = parameters.as_ref() {
        read_disks(parameters, volume_serial, usize::from(wanted), disks)?;
    }
    Ok(Settings {
        default,
        mount_manager: mount_manager(parameters.as_ref()).map_err(|e| (None, e))?,
        service,
    })
}

/// Every subkey of `Parameters\Disks`, into `disks` (after `taken` disks already
/// planned), each through [`parse_key`].
// A frame of its own, as for every large local: kernel stacks are small, and the
// release driver keeps every frame below a page (the PE check rejects `__chkstk`).
#[inline(never)]
fn read_disks(
    parameters: &Key,
    volume_serial: u32,
    taken: usize,
    disks: &mut BootDisks,
) -> Result<(), Failure> {
    let registry = |what| move |status| (None, LoadError::Registry { status, what });
    let key = match Key::open(&boot::DISKS_KEY, Some(parameters)) {
        Ok(key) => key,
        Err(STATUS_OBJECT_NAME_NOT_FOUND) => return Ok(()),
        Err(status) => return Err(registry(r"Parameters\Disks")(status)),
    };
    let mut buffer = EnumBuffer::new();
    let mut count = taken;
    for index in 0.. {
        let Some(raw) = key
            .subkey_at(index, &mut buffer)
            .map_err(registry(r"Parameters\Disks"))?
        else {
            return Ok(());
        };
        let name = boot::disk_key_name(raw).map_err(|e| (None, LoadError::Boot(e)))?;
        count += 1;
        boot::check_count(count).map_err(|e| (None, LoadError::Boot(e)))?;
        let sub = Key::open(raw, Some(&key)).map_err(|status| {
            (
                Some(name),
                LoadError::Registry {
                    status,
                    what: "the subkey",
                },
            )
        })?;
        let serial = volume_serial.wrapping_add(index + 1);
        let (config, path) = parse_key(Some(&sub), serial).map_err(|e| (Some(name), e))?;
        if let Some(slot) = disks.iter_mut().find(|d| d.is_none()) {
            *slot = Some((name, config, path));
        }
    }
    Ok(())
}

/// One disk's values from `key` (`None`: all defaults) through
/// `ramdisk_core::config::parse`, and its `ImageFile` path (in pool) when it has one.
fn parse_key(
    key: Option<&Key>,
    volume_serial: u32,
) -> Result<(Config, Option<PathBox>), LoadError> {
    let config = parse_values(key, volume_serial)?;
    let path = match key {
        Some(key) if config.persist.image => Some(image_path(key, config.drive_letter)?),
        _ => None,
    };
    Ok((config, path))
}

/// `ImageFile` of `key` (which `parse` validated) read again, into the disk's own
/// path buffer in pool: the path is 2 KiB, too large to carry in a configuration or
/// a kernel-stack frame.
fn image_path(key: &Key, letter: u8) -> Result<PathBox, LoadError> {
    let no_pool = LoadError::Image(crate::device::image::ImageFailure::NoPool);
    let mut path = PathBox::new_zeroed().ok_or(no_pool)?;
    let mut data = PoolBuffer::new(config::MAX_IMAGE_FILE_DATA).ok_or(no_pool)?;
    let data = data.as_mut_slice();
    let name = config::ValueName::ImageFile;
    let value = key
        .query(name.utf16(), data)
        .map_err(|status| LoadError::Registry {
            status,
            what: name.name(),
        })?
        .ok_or(LoadError::Internal("ImageFile vanished from the registry"))?;
    let bytes = data.get(..value.len).unwrap_or(&[]);
    config::image_file_into(bytes, Some(letter), &mut path).map_err(LoadError::Config)?;
    Ok(path)
}

/// The values of [`parse_key`].
// A frame of its own (its value buffers): no frame above a page.
#[inline(never)]
fn parse_values(key: Option<&Key>, volume_serial: u32) -> Result<Config, LoadError> {
    let mut failure = None;
    let result = config::parse(
        |name, out| {
            let key = key?;
            match key.query(name.utf16(), out) {
                Ok(value) => value.map(|v| (v.reg_type, v.len)),
                Err(status) => {
                    failure.get_or_insert_with(|| LoadError::Registry {
                        status,
                        what: name.name(),
                    });
                    None
                }
            }
        },
        volume_serial,
    );
    if let Some(failure) = failure {
        return Err(failure);
    }
    result.map_err(LoadError::Config)
}

/// `Start`, the service's start type.
const START: [u16; 5] = ascii_utf16("Start");

/// The service's `Start` value (`None` when absent or not a `REG_DWORD`).
pub fn start_type(service: &Key) -> Option<u32> {
    let mut data = [0u8; 4];
    match service.query(&START, &mut data) {
        Ok(Some(v)) if v.reg_type == config::REG_DWORD && v.len == 4 => {
            Some(u32::from_le_bytes(data))
        }
        _ => None,
    }
}

/// `<service key>\Volatile`, a volatile subkey (gone at reboot) holding `NextIndex`.
const VOLATILE: [u16; 8] = ascii_utf16("Volatile");
/// `NextIndex`: the ramdisk index the next disk other than disk 0 gets.
const NEXT_INDEX: [u16; 9] = ascii_utf16("NextIndex");

/// The index the next disk gets: `NextIndex` of the volatile subkey (1 when absent),
/// so an index is never reused within a boot, across driver reloads too.
pub fn next_index(service: &Key) -> u32 {
    let Ok(key) = Key::open(&VOLATILE, Some(service)) else {
        return 1;
    };
    let mut data = [0u8; 4];
    match key.query(&NEXT_INDEX, &mut data) {
        Ok(Some(v)) if v.reg_type == config::REG_DWORD && v.len == 4 => {
            u32::from_le_bytes(data).max(1)
        }
        _ => 1,
    }
}

/// Remembers `next` as the next index (creating the volatile subkey); logs a failure
/// (the indices stay unique within this load either way).
pub fn store_next_index(service: &Key, next: u32) {
    let status = match Key::create(&VOLATILE, service, true) {
        Ok(key) => key.set_dword(&NEXT_INDEX, next),
        Err(status) => status,
    };
    if status != wdk_sys::STATUS_SUCCESS {
        log!(
            error: "cannot remember the next ramdisk index ({:#010x}, {}): indices may repeat after a reload",
            status.cast_unsigned(),
            ramdisk_core::status::name(status)
        );
    }
}

/// `\Registry\Machine\SYSTEM\MountedDevices`.
const MOUNTED_DEVICES: [u16; 39] = ascii_utf16(r"\Registry\Machine\SYSTEM\MountedDevices");

/// The drive letters `HKLM\SYSTEM\MountedDevices` keeps for volumes other than a new
/// disk with persist name `persist` (none when the key cannot be read).
pub fn remembered_letters(persist: Option<&DiskName>) -> LetterSet {
    let mut letters = LetterSet::EMPTY;
    let Ok(key) = Key::open(&MOUNTED_DEVICES, None) else {
        return letters;
    };
    let mut buffer = EnumBuffer::new();
    for index in 0..1024 {
        match key.value_at(index, &mut buffer) {
            Ok(Some(value)) => {
                if value.reg_type != config::REG_BINARY {
                    continue;
                }
                if let Some(l) = control::remembered_letter(value.name, value.data, persist) {
                    letters.insert(l);
                }
            }
            // A value too large for the buffer is no drive letter of ours to worry about.
            Err(wdk_sys::STATUS_BUFFER_OVERFLOW) => {}
            Ok(None) | Err(_) => break,
        }
    }
    letters
}

/// The mount manager's name: the real one, or the fault-injection build's test double.
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::unnecessary_wraps,
        clippy::missing_const_for_fn,
        reason = "only the fault-injection build reads MountManagerDevice"
    )
)]
fn mount_manager(parameters: Option<&Key>) -> Result<MountManagerName, LoadError> {
    #[cfg(feature = "fault-injection")]
    if let Some(key) = parameters {
        use ramdisk_core::mountmgr::{
            HookError, MOUNT_MANAGER_DEVICE_VALUE, MOUNT_MANAGER_VALUE_MAX,
            parse_mount_manager_device,
        };
        let mut data = [0u8; MOUNT_MANAGER_VALUE_MAX];
        match key.query(&MOUNT_MANAGER_DEVICE_VALUE, &mut data) {
            Ok(None) => {}
            Ok(Some(info)) if info.len > data.len() => {
                return Err(LoadError::MountManagerHook(HookError::WrongSize(info.len)));
            }
            Ok(Some(info)) => {
                let bytes = data.get(..info.len).unwrap_or(&[]);
                return parse_mount_manager_device(info.reg_type, bytes)
                    .map_err(LoadError::MountManagerHook);
            }
            Err(status) => {
                return Err(LoadError::Registry {
                    status,
                    what: "MountManagerDevice",
                });
            }
        }
    }
    #[cfg(not(feature = "fault-injection"))]
    let _ = parameters;
    Ok(mount_point_manager())
}

/// The fault-injection build's second role: when `Parameters\TestRole` is
/// `MountManagerDouble`, this driver instance is the tests' mount-manager double; the
/// service key is returned (the double keeps its database under it).
///
/// # Errors
/// [`LoadError::Registry`] when the registry itself fails.
#[cfg(feature = "fault-injection")]
pub fn mount_manager_double(service_key: &[u16]) -> Result<Option<Key>, LoadError> {
    const TEST_ROLE: [u16; 8] = ascii_utf16("TestRole");
    const DOUBLE: [u16; 18] = ascii_utf16("MountManagerDouble");
    let service = Key::open(service_key, None).map_err(|status| LoadError::Registry {
        status,
        what: "service key",
    })?;
    let Ok(parameters) = Key::open(&PARAMETERS, Some(&service)) else {
        return Ok(None);
    };
    let mut data = [0u8; 2 * DOUBLE.len() + 2];
    let is_double = match parameters.query(&TEST_ROLE, &mut data) {
        // Exactly the name, with or without its NUL.
        Ok(Some(info))
            if info.reg_type == config::REG_SZ
                && (info.len == 2 * DOUBLE.len()
                    || (info.len == data.len() && data.ends_with(&[0, 0]))) =>
        {
            data.chunks_exact(2)
                .zip(DOUBLE)
                .all(|(b, u)| u16::from_le_bytes([b[0], b[1]]) == u)
        }
        _ => false,
    };
    Ok(is_double.then_some(service))
}
