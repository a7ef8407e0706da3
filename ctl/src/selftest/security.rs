//! The device DACL as the volume contract sets it, read back from user mode
//! (`GetKernelObjectSecurity` on `\\.\R:`), and a raw open without the
//! Administrators and SYSTEM rights, which it must refuse.
//!
//! The driver sets `D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GX;;;WD)`
//! ([`ramdisk_core::security::DISK_DACL`]). Windows may store the generic rights
//! mapped to the file object's specific ones (`GENERIC_ALL` to `FILE_ALL_ACCESS`,
//! `GENERIC_EXECUTE` to `FILE_GENERIC_EXECUTE`); both forms are this DACL.

use ramdisk_core::security::{
    ACCESS_ALLOWED_ACE_TYPE, ACL_REVISION, Ace, DISK_DACL, FILE_ALL_ACCESS, FILE_GENERIC_EXECUTE,
    FILE_GENERIC_READ, FILE_GENERIC_WRITE, GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ,
    GENERIC_WRITE, SE_DACL_PRESENT, SE_DACL_PROTECTED, read_dacl,
};
use ramdisk_core::wire::security::{
    AccessAllowedAceHeader, AceHeader, AclHeader, SecurityDescriptorRelative,
};
use ramdisk_core::wire::{FromZeros, IntoBytes, U16, U32};

use super::{Outcome, win32};

/// `SE_SELF_RELATIVE`.
const SE_SELF_RELATIVE: u16 = 0x8000;
/// `ERROR_ACCESS_DENIED`.
pub const ERROR_ACCESS_DENIED: u32 = 5;

/// `mask` with its generic bits mapped as the I/O manager's file generic mapping
/// does.
#[must_use]
pub const fn map_generic(mask: u32) -> u32 {
    let mut out = mask & !(GENERIC_ALL | GENERIC_EXECUTE | GENERIC_READ | GENERIC_WRITE);
    if mask & GENERIC_ALL != 0 {
        out |= FILE_ALL_ACCESS;
    }
    if mask & GENERIC_EXECUTE != 0 {
        out |= FILE_GENERIC_EXECUTE;
    }
    if mask & GENERIC_READ != 0 {
        out |= FILE_GENERIC_READ;
    }
    if mask & GENERIC_WRITE != 0 {
        out |= FILE_GENERIC_WRITE;
    }
    out
}

/// A self-relative security descriptor with only a DACL of `aces` (access-allowed)
/// and `control` bits, laid out with the wire structs.
#[must_use]
pub fn encode_descriptor(aces: &[Ace], control: u16) -> Vec<u8> {
    let sd_len = size_of::<SecurityDescriptorRelative>();
    let mut acl_body = Vec::new();
    for ace in aces {
        let sid = &ace.sid.to_bytes()[..ace.sid.len()];
        let header = AccessAllowedAceHeader {
            header: AceHeader {
                ace_type: ACCESS_ALLOWED_ACE_TYPE,
                ace_flags: 0,
                ace_size: U16::new(
                    u16::try_from(size_of::<AccessAllowedAceHeader>() + sid.len()).unwrap_or(0),
                ),
            },
            mask: U32::new(ace.mask),
        };
        acl_body.extend_from_slice(header.as_bytes());
        acl_body.extend_from_slice(sid);
    }
    let mut acl = AclHeader::new_zeroed();
    acl.acl_revision = ACL_REVISION;
    acl.acl_size = U16::new(u16::try_from(size_of::<AclHeader>() + acl_body.len()).unwrap_or(0));
    acl.ace_count = U16::new(u16::try_from(aces.len()).unwrap_or(0));
    let mut sd = SecurityDescriptorRelative::new_zeroed();
    sd.revision = 1;
    sd.control = U16::new(control | SE_DACL_PRESENT | SE_SELF_RELATIVE);
    sd.dacl = U32::new(u32::try_from(sd_len).unwrap_or(0));
    let mut out = sd.as_bytes().to_vec();
    out.extend_from_slice(acl.as_bytes());
    out.extend_from_slice(&acl_body);
    out
}

/// The two SDDL forms of the driver's DACL: as set (generic rights) and as Windows
/// may store it (mapped to file rights).
#[must_use]
pub fn accepted_dacls() -> [String; 2] {
    let render = |aces: &[Ace]| {
        let sd = encode_descriptor(aces, SE_DACL_PROTECTED);
        read_dacl(&sd).map_or_else(|e| format!("<{e}>"), |d| d.to_string())
    };
    let mapped = DISK_DACL.map(|a| Ace {
        mask: map_generic(a.mask),
        sid: a.sid,
    });
    [render(&DISK_DACL), render(&mapped)]
}

/// The `device-dacl` check from what `GetKernelObjectSecurity` returned.
#[must_use]
pub fn dacl_check(path: &str, wine: Option<&str>, sd: &Result<Vec<u8>, u32>) -> Outcome {
    let read = match sd {
        Ok(bytes) => read_dacl(bytes)
            .map(|d| d.to_string())
            .map_err(|e| e.to_string()),
        Err(code) => Err(format!("GetKernelObjectSecurity failed: {}", win32(*code))),
    };
    if let Some(version) = wine {
        return Outcome::NotAvailable(format!(
            "Wine {version} gives user mode the device file's descriptor, not the device's ({}); \
             the driver logs the DACL it reads back from its device instead",
            read.unwrap_or_else(|e| e)
        ));
    }
    let [generic, mapped] = accepted_dacls();
    match read {
        Ok(sddl) if sddl == generic || sddl == mapped => {
            Outcome::Passed(format!("{path}: {sddl} (GetKernelObjectSecurity)"))
        }
        Ok(sddl) => Outcome::Failed(format!(
            "{path} has {sddl}, not the driver's {generic} (or {mapped})"
        )),
        Err(e) => Outcome::Failed(format!("{path}: {e}")),
    }
}

/// The `non-elevated-open` check: `attempt` is the raw open's Win32 result under a
/// token without Administrators and SYSTEM, or why no such token could be had.
#[must_use]
pub fn restricted_open_check(
    path: &str,
    wine: Option<&str>,
    attempt: &Result<Result<(), u32>, String>,
) -> Outcome {
    if let Some(version) = wine {
        let seen = match attempt {
            Ok(Ok(())) => "the restricted open succeeded".to_string(),
            Ok(Err(code)) => format!("the restricted open failed: {}", win32(*code)),
            Err(why) => why.clone(),
        };
        return Outcome::NotAvailable(format!(
            "Wine {version} does not apply the device's DACL to opens, its device file has an empty descriptor ({seen})"
        ));
    }
    match attempt {
        Err(why) => {
            Outcome::NotAvailable(format!("no token without Administrators and SYSTEM: {why}"))
        }
        Ok(Err(ERROR_ACCESS_DENIED)) => Outcome::Passed(format!(
            "a token without Administrators and SYSTEM (deny-only) cannot open {path} for reading: {}",
            win32(ERROR_ACCESS_DENIED)
        )),
        Ok(Ok(())) => Outcome::Failed(format!(
            "a token without Administrators and SYSTEM opened {path} for reading"
        )),
        Ok(Err(code)) => Outcome::Failed(format!(
            "the restricted open of {path} failed with {}, not access denied",
            win32(*code)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ramdisk_core::security::{DISK_DACL_SDDL, Sid};

    #[test]
    fn both_forms_of_the_drivers_dacl() {
        let [generic, mapped] = accepted_dacls();
        assert_eq!(generic, DISK_DACL_SDDL);
        assert_eq!(mapped, "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FX;;;WD)");
        assert_eq!(map_generic(GENERIC_ALL), FILE_ALL_ACCESS);
        assert_eq!(map_generic(GENERIC_READ | 0x10), FILE_GENERIC_READ | 0x10);
    }

    #[test]
    fn dacl_read_back_passes_or_fails() {
        let generic = Ok(encode_descriptor(&DISK_DACL, SE_DACL_PROTECTED));
        assert_eq!(
            dacl_check(r"\\.\R:", None, &generic),
            Outcome::Passed(format!(
                r"\\.\R:: {DISK_DACL_SDDL} (GetKernelObjectSecurity)"
            ))
        );
        let open = [Ace {
            mask: GENERIC_ALL,
            sid: Sid::EVERYONE,
        }];
        let o = dacl_check(r"\\.\R:", None, &Ok(encode_descriptor(&open, 0)));
        assert!(
            matches!(&o, Outcome::Failed(t) if t.starts_with(r"\\.\R: has D:(A;;GA;;;WD), not the driver's")),
            "{o:?}"
        );
        // Not protected: another DACL.
        let o = dacl_check(r"\\.\R:", None, &Ok(encode_descriptor(&DISK_DACL, 0)));
        assert!(matches!(o, Outcome::Failed(_)), "{o:?}");
        let o = dacl_check(r"\\.\R:", None, &Err(5));
        assert!(
            matches!(&o, Outcome::Failed(t) if t.contains("GetKernelObjectSecurity failed") && t.contains("Win32 error 5")),
            "{o:?}"
        );
        let o = dacl_check(r"\\.\R:", None, &Ok(vec![1, 0, 0, 0]));
        assert!(
            matches!(&o, Outcome::Failed(t) if t.contains("truncated")),
            "{o:?}"
        );
    }

    #[test]
    fn under_wine_the_dacl_is_not_available() {
        // What Wine returns: a descriptor without a DACL.
        let mut empty = SecurityDescriptorRelative::new_zeroed();
        empty.revision = 1;
        empty.control = U16::new(SE_SELF_RELATIVE);
        let o = dacl_check(r"\\.\R:", Some("8.0"), &Ok(empty.as_bytes().to_vec()));
        assert_eq!(
            o,
            Outcome::NotAvailable(
                "Wine 8.0 gives user mode the device file's descriptor, not the device's (no DACL); \
                 the driver logs the DACL it reads back from its device instead"
                    .into()
            )
        );
        // Even a matching one proves nothing there.
        let good = Ok(encode_descriptor(&DISK_DACL, SE_DACL_PROTECTED));
        assert!(matches!(
            dacl_check(r"\\.\R:", Some("8.0"), &good),
            Outcome::NotAvailable(_)
        ));
    }

    #[test]
    fn restricted_open_must_be_denied() {
        let p = r"\\.\R:";
        assert!(matches!(
            restricted_open_check(p, None, &Ok(Err(5))),
            Outcome::Passed(_)
        ));
        assert!(matches!(
            restricted_open_check(p, None, &Ok(Ok(()))),
            Outcome::Failed(t) if t.contains("opened")
        ));
        assert!(matches!(
            restricted_open_check(p, None, &Ok(Err(2))),
            Outcome::Failed(t) if t.contains("not access denied")
        ));
        assert!(matches!(
            restricted_open_check(p, None, &Err("CreateRestrictedToken failed".into())),
            Outcome::NotAvailable(t) if t.ends_with("CreateRestrictedToken failed")
        ));
        assert_eq!(
            restricted_open_check(p, Some("8.0"), &Ok(Ok(()))),
            Outcome::NotAvailable(
                "Wine 8.0 does not apply the device's DACL to opens, its device file has an empty \
                 descriptor (the restricted open succeeded)"
                    .into()
            )
        );
        assert!(matches!(
            restricted_open_check(p, Some("8.0"), &Ok(Err(5))),
            Outcome::NotAvailable(t) if t.ends_with("(the restricted open failed: Access is denied. (Win32 error 5))")
        ));
    }
}
