//! Whose service is it? ramdiskctl starts, stops, changes or deletes a service named
//! `RustRamDisk` only when it is this driver: a kernel-driver service whose image
//! file is a `rustramdisk.sys`.
//!
//! The name is ours, but nothing stops another program (or an older Windows
//! component) from owning a service of that name; deleting or reconfiguring it would
//! break whatever it belongs to. The same rule keeps `ramdiskctl install` from
//! touching a service it did not create (README, *The name `ramdisk` is taken on
//! Windows*).

use std::fmt;

use ramdisk_core::service::{DRIVER_FILE, SERVICE_NAME};

/// `SERVICE_KERNEL_DRIVER` (winsvc.h): the service type of a kernel driver.
pub const SERVICE_KERNEL_DRIVER: u32 = 0x0000_0001;

/// The file name at the end of a service's image path (`lpBinaryPathName`).
///
/// Surrounding quotes go, then everything up to the last `\` or `/`:
/// `\??\C:\drivers\rustramdisk.sys`, `System32\drivers\x.sys` and
/// `"C:\Program Files\x\x.sys"` all end in a file name.
#[must_use]
pub fn image_file_name(image_path: &str) -> &str {
    let path = image_path.trim();
    let path = path
        .strip_prefix('"')
        .and_then(|p| p.split('"').next())
        .unwrap_or(path);
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// Why an existing service named [`SERVICE_NAME`] is not this driver's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotOurs {
    /// Not a kernel driver at all.
    NotAKernelDriver {
        /// `dwServiceType`.
        service_type: u32,
        /// `lpBinaryPathName`.
        image_path: String,
    },
    /// A kernel driver, but another file.
    OtherImage {
        /// `lpBinaryPathName`.
        image_path: String,
    },
}

impl fmt::Display for NotOurs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, path) = match self {
            Self::NotAKernelDriver {
                service_type,
                image_path,
            } => (
                format!("not a kernel driver (service type {service_type:#x})"),
                image_path,
            ),
            Self::OtherImage { image_path } => (format!("not a {DRIVER_FILE}"), image_path),
        };
        write!(
            f,
            "a service named {SERVICE_NAME} exists but is not this driver: its image path \
             \"{path}\" is {what}. ramdiskctl does not start, stop, change or delete a \
             service it did not create; remove it yourself (sc delete {SERVICE_NAME}) \
             only if you know what it belongs to"
        )
    }
}

/// Decides whether the service named [`SERVICE_NAME`], of type `service_type` with
/// image `image_path`, is this driver's.
///
/// # Errors
/// [`NotOurs`] when it is not a kernel driver or its file is not a
/// [`DRIVER_FILE`] (compared case-insensitively, as Windows compares file names).
pub fn check(service_type: u32, image_path: &str) -> Result<(), NotOurs> {
    if service_type & SERVICE_KERNEL_DRIVER == 0 {
        return Err(NotOurs::NotAKernelDriver {
            service_type,
            image_path: image_path.to_string(),
        });
    }
    if image_file_name(image_path).eq_ignore_ascii_case(DRIVER_FILE) {
        Ok(())
    } else {
        Err(NotOurs::OtherImage {
            image_path: image_path.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        for (path, name) in [
            (r"\??\C:\drivers\rustramdisk.sys", "rustramdisk.sys"),
            (r"System32\DRIVERS\ramdisk.sys", "ramdisk.sys"),
            (
                r"\SystemRoot\System32\drivers\RustRamDisk.SYS",
                "RustRamDisk.SYS",
            ),
            (
                r#""C:\Program Files\x y\rustramdisk.sys""#,
                "rustramdisk.sys",
            ),
            (r#""C:\a b\x.sys" -arg"#, "x.sys"),
            ("Z:/work/target/rustramdisk.sys", "rustramdisk.sys"),
            ("rustramdisk.sys", "rustramdisk.sys"),
            ("", ""),
        ] {
            assert_eq!(image_file_name(path), name, "{path}");
        }
    }

    #[test]
    fn ours_only_when_our_file_in_a_kernel_driver() {
        assert_eq!(check(1, r"\??\C:\drivers\rustramdisk.sys"), Ok(()));
        assert_eq!(check(1, r"Z:\work\target\RUSTRAMDISK.SYS"), Ok(()));
        // The driver store's copy after an INF install.
        assert_eq!(
            check(
                1,
                r"\SystemRoot\System32\DriverStore\FileRepository\rustramdisk.inf_amd64_0123\rustramdisk.sys"
            ),
            Ok(())
        );
        // Windows' own RAM disk driver, and look-alikes.
        let inbox = r"System32\DRIVERS\ramdisk.sys";
        assert_eq!(
            check(1, inbox),
            Err(NotOurs::OtherImage {
                image_path: inbox.into()
            })
        );
        for other in [
            r"C:\drivers\rustramdisk.sys.bak",
            r"C:\rustramdisk.sys\other.sys",
            r"C:\drivers\notrustramdisk.sys",
            "",
        ] {
            assert!(check(1, other).is_err(), "{other}");
        }
        // A user-mode service with our file name is not our driver either.
        let e = check(0x10, r"C:\x\rustramdisk.sys").unwrap_err();
        assert!(matches!(
            e,
            NotOurs::NotAKernelDriver {
                service_type: 0x10,
                ..
            }
        ));
    }

    #[test]
    fn the_message_names_the_path_and_what_to_do() {
        let m = check(1, r"System32\DRIVERS\ramdisk.sys")
            .unwrap_err()
            .to_string();
        assert!(
            m.contains(r#"image path "System32\DRIVERS\ramdisk.sys" is"#),
            "{m}"
        );
        assert!(m.contains("not a rustramdisk.sys"), "{m}");
        assert!(m.contains("does not start, stop, change or delete"), "{m}");
        let m = check(0x10, "x.exe").unwrap_err().to_string();
        assert!(m.contains("not a kernel driver (service type 0x10)"), "{m}");
    }
}
