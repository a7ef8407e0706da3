//! Identity: is `\\.\R:` this driver's disk, and is `R:\` that disk's volume?
//!
//! Nothing that touches the file system runs before both are proven: a drive letter
//! can name another volume than the device behind `\\.\R:` (under Wine it always
//! does: ntdll resolves `R:\` paths through `dosdevices/`, never through the driver).

use ramdisk_core::fat::BootSector;
use ramdisk_core::ioctl::layout::{PRODUCT_ID, VENDOR_ID};
use ramdisk_core::wire::FromBytes;
use ramdisk_core::wire::storage::StorageDeviceDescriptor;

use super::{NOT_OUR_DEVICE, Outcome, win32};
use crate::units::fmt_serial;

/// The strings of a `STORAGE_DEVICE_DESCRIPTOR` (`IOCTL_STORAGE_QUERY_PROPERTY`,
/// `StorageDeviceProperty`), spaces trimmed as Windows' own tools show them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceStrings {
    /// `VendorIdOffset`'s string (empty when the offset is 0).
    pub vendor: String,
    /// `ProductIdOffset`'s string.
    pub product: String,
    /// `ProductRevisionOffset`'s string.
    pub revision: String,
}

/// A NUL-terminated identifier from `core`'s reply constants, without the NUL.
fn id_text(id: &[u8]) -> String {
    String::from_utf8_lossy(id.strip_suffix(&[0]).unwrap_or(id)).into_owned()
}

/// The vendor id the driver reports (`ramdisk_core::ioctl::layout::VENDOR_ID`).
#[must_use]
pub fn our_vendor() -> String {
    id_text(VENDOR_ID)
}

/// The product id the driver reports.
#[must_use]
pub fn our_product() -> String {
    id_text(PRODUCT_ID)
}

/// Decodes a `STORAGE_DEVICE_DESCRIPTOR` reply (`bytes` as returned; `Size` bytes
/// of it are the descriptor).
///
/// # Errors
/// A sentence when the reply is shorter than the structure, or a string offset points
/// outside the descriptor or at an unterminated string.
pub fn parse_device_descriptor(bytes: &[u8]) -> Result<DeviceStrings, String> {
    let (d, _) = StorageDeviceDescriptor::read_from_prefix(bytes).map_err(|_| {
        format!(
            "the reply has {} bytes, less than a STORAGE_DEVICE_DESCRIPTOR ({})",
            bytes.len(),
            size_of::<StorageDeviceDescriptor>()
        )
    })?;
    let size = usize::try_from(d.header.size.get()).unwrap_or(usize::MAX);
    let valid = bytes.get(..size.min(bytes.len())).unwrap_or(bytes);
    let string = |what: &str, offset: u32| -> Result<String, String> {
        if offset == 0 {
            return Ok(String::new());
        }
        let at = usize::try_from(offset).unwrap_or(usize::MAX);
        let rest = valid
            .get(at..)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| format!("{what} offset {at} is outside the {} bytes", valid.len()))?;
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| format!("{what} at offset {at} has no terminating NUL"))?;
        Ok(String::from_utf8_lossy(&rest[..end]).trim().to_string())
    };
    Ok(DeviceStrings {
        vendor: string("VendorIdOffset", d.vendor_id_offset.get())?,
        product: string("ProductIdOffset", d.product_id_offset.get())?,
        revision: string("ProductRevisionOffset", d.product_revision_offset.get())?,
    })
}

/// The device half of the identity: the device descriptor names our vendor and
/// product.
#[must_use]
pub fn device_identity(path: &str, reply: Result<Vec<u8>, u32>) -> Outcome {
    let bytes = match reply {
        Ok(b) => b,
        Err(code) => {
            return Outcome::Failed(format!(
                "IOCTL_STORAGE_QUERY_PROPERTY (StorageDeviceProperty) on {path} failed: {}",
                win32(code)
            ));
        }
    };
    let s = match parse_device_descriptor(&bytes) {
        Ok(s) => s,
        Err(e) => return Outcome::Failed(format!("{path}'s device descriptor: {e}")),
    };
    let (vendor, product) = (our_vendor(), our_product());
    if s.vendor == vendor && s.product == product {
        Outcome::Passed(format!(
            "{path}: vendor {:?}, product {:?}, revision {:?} (IOCTL_STORAGE_QUERY_PROPERTY)",
            s.vendor, s.product, s.revision
        ))
    } else {
        Outcome::Failed(format!(
            "{path} is not this driver's disk: vendor {:?}, product {:?} (the driver reports {vendor:?}, {product:?})",
            s.vendor, s.product
        ))
    }
}

/// What `GetVolumeInformationW` says about a volume root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeInfo {
    /// The volume serial number.
    pub serial: u32,
    /// The volume label.
    pub label: String,
    /// The file system's name (`FAT`, `FAT32`, `NTFS`, ...).
    pub file_system: String,
}

/// What the volume half of the identity is decided from.
pub struct VolumeEvidence<'a> {
    /// The drive letter (`None`: the device path is not a letter).
    pub letter: Option<char>,
    /// `wine_get_version()`, when running under Wine.
    pub wine: Option<&'a str>,
    /// The device half passed.
    pub device_proven: bool,
    /// Sector 0 read through the device, decoded (or why not).
    pub boot: &'a Result<BootSector, String>,
    /// `GetVolumeInformationW` on the letter's root (`None`: not asked).
    pub info: Option<&'a Result<VolumeInfo, u32>>,
}

/// The volume half of the identity: the serial the file system reports for `R:\`
/// equals the serial in the boot sector read through `\\.\R:`.
#[must_use]
pub fn volume_identity(e: &VolumeEvidence<'_>) -> Outcome {
    if !e.device_proven {
        return Outcome::NotAvailable(NOT_OUR_DEVICE.into());
    }
    let Some(letter) = e.letter else {
        return Outcome::NotAvailable(
            "the device is not a drive letter: only a letter's root reaches the file system".into(),
        );
    };
    let boot = match e.boot {
        Ok(b) => b,
        Err(why) => {
            return Outcome::NotAvailable(format!(
                "{why}; this build reads the serial of FAT boot sectors only"
            ));
        }
    };
    let Some(serial) = boot.serial() else {
        return Outcome::NotAvailable(
            "the boot sector has no volume serial (no extended BPB)".into(),
        );
    };
    let asked = match e.info {
        None => "not asked".to_string(),
        Some(Ok(v)) => format!("{} serial {}", v.file_system, fmt_serial(v.serial)),
        Some(Err(code)) => win32(*code),
    };
    if let Some(version) = e.wine {
        return Outcome::NotAvailable(format!(
            "Wine {version} mounts no file system on the disk (paths under {letter}:\\ go through its \
             dosdevices/ folder), so no volume serial can prove {letter}:\\ is it \
             (GetVolumeInformationW: {asked}; boot sector serial {})",
            fmt_serial(serial)
        ));
    }
    match e.info {
        Some(Ok(v)) if v.serial == serial => Outcome::Passed(format!(
            "{letter}:\\ is {} with serial {}, the serial in the boot sector read through \\\\.\\{letter}:",
            v.file_system,
            fmt_serial(serial)
        )),
        Some(Ok(v)) => Outcome::Failed(format!(
            "{letter}:\\ is another volume: GetVolumeInformationW reports {} serial {}, the boot sector read through \\\\.\\{letter}: has {}",
            v.file_system,
            fmt_serial(v.serial),
            fmt_serial(serial)
        )),
        Some(Err(code)) => Outcome::Failed(format!(
            "GetVolumeInformationW({letter}:\\) failed: {} (no file system mounted the disk?)",
            win32(*code)
        )),
        None => Outcome::NotAvailable("GetVolumeInformationW was not asked".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ramdisk_core::fat::FatType;
    use ramdisk_core::geometry::DiskInfo;
    use ramdisk_core::ioctl::layout::storage_device_descriptor;

    fn boot(serial: u32) -> Result<BootSector, String> {
        use ramdisk_core::fat::{FormatOptions, SliceWriter, Zeroed, format, plan};
        let mut o = FormatOptions::new(4 << 20);
        o.volume_serial = serial;
        let layout = plan(&o).unwrap();
        let mut img = vec![0u8; 4 << 20];
        format(&layout, &mut SliceWriter(&mut img), Zeroed::Yes).unwrap();
        crate::volume::parse_fat_boot_sector(&img[..512])
    }

    fn fat(serial: u32) -> VolumeInfo {
        VolumeInfo {
            serial,
            label: "RAMDISK".into(),
            file_system: "FAT".into(),
        }
    }

    fn evidence<'a>(
        boot: &'a Result<BootSector, String>,
        info: Option<&'a Result<VolumeInfo, u32>>,
    ) -> VolumeEvidence<'a> {
        VolumeEvidence {
            letter: Some('R'),
            wine: None,
            device_proven: true,
            boot,
            info,
        }
    }

    #[test]
    fn the_drivers_own_descriptor_is_ours() {
        let reply = storage_device_descriptor(&DiskInfo::new(8 << 20, FatType::Fat16));
        let s = parse_device_descriptor(&reply).unwrap();
        assert_eq!(
            s,
            DeviceStrings {
                vendor: "Rust".into(),
                product: "RAM Disk".into(),
                revision: "0.1".into()
            }
        );
        let o = device_identity(r"\\.\R:", Ok(reply.to_vec()));
        assert_eq!(
            o,
            Outcome::Passed(
                r#"\\.\R:: vendor "Rust", product "RAM Disk", revision "0.1" (IOCTL_STORAGE_QUERY_PROPERTY)"#
                    .into()
            )
        );
    }

    #[test]
    fn another_disk_or_a_bad_reply_fails() {
        let mut reply = storage_device_descriptor(&DiskInfo::new(8 << 20, FatType::Fat16)).to_vec();
        // Another vendor: the first byte of the vendor string changed.
        let at = usize::try_from(
            StorageDeviceDescriptor::read_from_prefix(&reply)
                .unwrap()
                .0
                .vendor_id_offset
                .get(),
        )
        .unwrap();
        reply[at] = b'M';
        let o = device_identity(r"\\.\R:", Ok(reply.clone()));
        assert!(
            matches!(&o, Outcome::Failed(t) if t.contains(r#"vendor "Must""#) && t.contains("not this driver's disk")),
            "{o:?}"
        );
        // Cut inside the strings: the product has no NUL left.
        let o = device_identity(r"\\.\R:", Ok(reply[..at + 6].to_vec()));
        assert!(
            matches!(&o, Outcome::Failed(t) if t.contains("no terminating NUL")),
            "{o:?}"
        );
        let o = device_identity(r"\\.\R:", Ok(vec![0; 8]));
        assert!(
            matches!(&o, Outcome::Failed(t) if t.contains("less than a STORAGE_DEVICE_DESCRIPTOR (40)")),
            "{o:?}"
        );
        let o = device_identity(r"\\.\R:", Err(1));
        assert!(
            matches!(&o, Outcome::Failed(t) if t.contains("IOCTL_STORAGE_QUERY_PROPERTY") && t.contains("Win32 error 1")),
            "{o:?}"
        );
    }

    /// Sets the descriptor's `Size` field (through the wire struct).
    fn set_size(reply: &mut [u8], size: u32) {
        use ramdisk_core::wire::{IntoBytes, U32};
        let (mut d, _) = StorageDeviceDescriptor::read_from_prefix(reply).unwrap();
        d.header.size = U32::new(size);
        reply[..size_of::<StorageDeviceDescriptor>()].copy_from_slice(d.as_bytes());
    }

    #[test]
    fn offsets_outside_the_descriptor_are_refused() {
        let mut reply = storage_device_descriptor(&DiskInfo::new(8 << 20, FatType::Fat16)).to_vec();
        // Size 40: the vendor string runs into the descriptor's end.
        set_size(&mut reply, 40);
        assert_eq!(
            parse_device_descriptor(&reply).unwrap_err(),
            "VendorIdOffset at offset 36 has no terminating NUL"
        );
        // Size 36: the strings lie outside the descriptor.
        set_size(&mut reply, 36);
        assert_eq!(
            parse_device_descriptor(&reply).unwrap_err(),
            "VendorIdOffset offset 36 is outside the 36 bytes"
        );
    }

    #[test]
    fn serials_equal_is_proven() {
        let b = boot(0x1234_ABCD);
        let i = Ok(fat(0x1234_ABCD));
        assert_eq!(
            volume_identity(&evidence(&b, Some(&i))),
            Outcome::Passed(
                r"R:\ is FAT with serial 1234-ABCD, the serial in the boot sector read through \\.\R:".into()
            )
        );
    }

    #[test]
    fn another_serial_or_no_file_system_fails() {
        let b = boot(0x1234_ABCD);
        let i = Ok(fat(0x1234_ABCE));
        let o = volume_identity(&evidence(&b, Some(&i)));
        assert!(
            matches!(&o, Outcome::Failed(t) if t.contains("another volume") && t.contains("1234-ABCE") && t.contains("1234-ABCD")),
            "{o:?}"
        );
        let i = Err(1005);
        let o = volume_identity(&evidence(&b, Some(&i)));
        assert!(
            matches!(&o, Outcome::Failed(t) if t.starts_with(r"GetVolumeInformationW(R:\) failed") && t.contains("Win32 error 1005")),
            "{o:?}"
        );
    }

    #[test]
    fn wine_is_never_proven_even_with_an_equal_serial() {
        let b = boot(0x1234_ABCD);
        for i in [Ok(fat(0x1234_ABCD)), Err(3)] {
            let mut e = evidence(&b, Some(&i));
            e.wine = Some("8.0");
            let o = volume_identity(&e);
            assert!(
                matches!(&o, Outcome::NotAvailable(t) if t.starts_with(r"Wine 8.0 mounts no file system on the disk (paths under R:\ go through")
                    && t.ends_with("boot sector serial 1234-ABCD)")),
                "{o:?}"
            );
        }
    }

    #[test]
    fn what_cannot_be_compared_is_not_available() {
        let sector = boot(7);
        let asked = Ok(fat(7));
        let mut ev = evidence(&sector, Some(&asked));
        ev.device_proven = false;
        assert!(matches!(volume_identity(&ev), Outcome::NotAvailable(_)));
        let mut ev = evidence(&sector, Some(&asked));
        ev.letter = None;
        assert!(
            matches!(volume_identity(&ev), Outcome::NotAvailable(t) if t.contains("not a drive letter"))
        );
        let not_fat: Result<BootSector, String> =
            Err("sector 0 is not a usable FAT boot sector".into());
        let outcome = volume_identity(&evidence(&not_fat, Some(&asked)));
        assert!(
            matches!(&outcome, Outcome::NotAvailable(t) if t.contains("FAT boot sectors only")),
            "{outcome:?}"
        );
    }
}
