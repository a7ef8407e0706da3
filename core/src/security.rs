//! The disk device's DACL: what it is (as data the kernel glue builds it from), and
//! how a security descriptor read back from the device is rendered as SDDL for the
//! log.
//!
//! The DACL is `D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GX;;;WD)`: SYSTEM and Administrators
//! may open the raw device for anything; everyone else may only traverse it (what
//! opening a file on the mounted volume needs: the file system's own security
//! governs the files). The glue builds the SIDs from [`Sid`]'s bytes by hand
//! (`SeExports` is a stub data export under Wine) and sets the DACL with the
//! documented legacy route (see `src/kernel/security.rs`).

use core::fmt;

use zerocopy::FromBytes;

use crate::wire::U32;
use crate::wire::security::{
    AccessAllowedAceHeader, AceHeader, AclHeader, SecurityDescriptorRelative, SidHeader,
};

/// `GENERIC_ALL`.
pub const GENERIC_ALL: u32 = 0x1000_0000;
/// `GENERIC_EXECUTE`.
pub const GENERIC_EXECUTE: u32 = 0x2000_0000;
/// `GENERIC_WRITE`.
pub const GENERIC_WRITE: u32 = 0x4000_0000;
/// `GENERIC_READ`.
pub const GENERIC_READ: u32 = 0x8000_0000;
/// `FILE_ALL_ACCESS` (what `GENERIC_ALL` maps to for a file or device object).
pub const FILE_ALL_ACCESS: u32 = 0x001F_01FF;
/// `FILE_GENERIC_READ`.
pub const FILE_GENERIC_READ: u32 = 0x0012_0089;
/// `FILE_GENERIC_WRITE`.
pub const FILE_GENERIC_WRITE: u32 = 0x0012_0116;
/// `FILE_GENERIC_EXECUTE`.
pub const FILE_GENERIC_EXECUTE: u32 = 0x0012_00A0;

/// `ACCESS_ALLOWED_ACE_TYPE`.
pub const ACCESS_ALLOWED_ACE_TYPE: u8 = 0;
/// `ACCESS_DENIED_ACE_TYPE`.
pub const ACCESS_DENIED_ACE_TYPE: u8 = 1;
/// `ACL_REVISION`.
pub const ACL_REVISION: u8 = 2;
/// `SE_DACL_PRESENT`.
pub const SE_DACL_PRESENT: u16 = 0x0004;
/// `SE_DACL_AUTO_INHERIT_REQ`.
pub const SE_DACL_AUTO_INHERIT_REQ: u16 = 0x0100;
/// `SE_DACL_AUTO_INHERITED`.
pub const SE_DACL_AUTO_INHERITED: u16 = 0x0400;
/// `SE_DACL_PROTECTED`.
pub const SE_DACL_PROTECTED: u16 = 0x1000;

/// A SID with at most two sub-authorities and an authority below 256 (every SID
/// this driver names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sid {
    /// The last byte of the 48-bit `IdentifierAuthority` (the others are 0).
    authority: u8,
    /// `SubAuthority[0..count]`.
    sub: [u32; 2],
    /// `SubAuthorityCount` (1 or 2).
    count: u8,
}

/// The bytes of a [`Sid`]: `SID` header (8) and up to two sub-authorities.
pub const SID_CAPACITY: usize = 16;

impl Sid {
    /// `S-1-5-18`, `LocalSystem` (SDDL `SY`).
    pub const SYSTEM: Self = Self {
        authority: 5,
        sub: [18, 0],
        count: 1,
    };
    /// `S-1-5-32-544`, `BUILTIN\Administrators` (SDDL `BA`).
    pub const ADMINISTRATORS: Self = Self {
        authority: 5,
        sub: [32, 544],
        count: 2,
    };
    /// `S-1-1-0`, `Everyone` (SDDL `WD`).
    pub const EVERYONE: Self = Self {
        authority: 1,
        sub: [0, 0],
        count: 1,
    };

    /// `RtlLengthSid`: 8 + 4 per sub-authority.
    #[must_use]
    pub const fn len(&self) -> usize {
        8 + 4 * self.count as usize
    }

    /// Never empty (a SID has its header).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// The SID in its binary form (the first [`Sid::len`] bytes).
    #[must_use]
    pub fn to_bytes(&self) -> [u8; SID_CAPACITY] {
        let mut out = [0u8; SID_CAPACITY];
        out[0] = 1; // SID_REVISION
        out[1] = self.count;
        out[7] = self.authority;
        for (i, sub) in self.sub.iter().take(usize::from(self.count)).enumerate() {
            if let Some(dst) = out.get_mut(8 + 4 * i..12 + 4 * i) {
                dst.copy_from_slice(&sub.to_le_bytes());
            }
        }
        out
    }
}

/// One access-allowed ACE: the rights and who gets them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ace {
    /// `ACCESS_MASK`.
    pub mask: u32,
    /// The trustee.
    pub sid: Sid,
}

/// The disk device's DACL, in order.
pub const DISK_DACL: [Ace; 3] = [
    CONTROL_DACL[0],
    CONTROL_DACL[1],
    Ace {
        mask: GENERIC_EXECUTE,
        sid: Sid::EVERYONE,
    },
];

/// [`DISK_DACL`] as SDDL, with the protected flag the glue sets.
pub const DISK_DACL_SDDL: &str = "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GX;;;WD)";

/// The control device's DACL (`\Device\RamdiskControl`): SYSTEM and Administrators
/// only (the disks' first two ACEs). Each disk costs memory, so an ordinary user may
/// not even open the device.
pub const CONTROL_DACL: [Ace; 2] = [
    Ace {
        mask: GENERIC_ALL,
        sid: Sid::SYSTEM,
    },
    Ace {
        mask: GENERIC_ALL,
        sid: Sid::ADMINISTRATORS,
    },
];

/// [`CONTROL_DACL`] as SDDL, with the protected flag the glue sets.
pub const CONTROL_DACL_SDDL: &str = "D:P(A;;GA;;;SY)(A;;GA;;;BA)";

/// The bytes `RtlCreateAcl` needs for `aces`: the `ACL` header and, per ACE,
/// `ACCESS_ALLOWED_ACE` without `SidStart` (8) plus the SID.
#[must_use]
pub const fn acl_size(aces: &[Ace]) -> usize {
    let mut size = core::mem::size_of::<AclHeader>();
    let mut i = 0;
    while i < aces.len() {
        size += core::mem::size_of::<AccessAllowedAceHeader>() + aces[i].sid.len();
        i += 1;
    }
    size
}

/// Why a security descriptor could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdError {
    /// The descriptor, an ACL, an ACE or a SID runs past the bytes or its container.
    Truncated(&'static str),
    /// The descriptor has no DACL (`SE_DACL_PRESENT` clear, or a NULL DACL).
    NoDacl,
    /// A field has a value the formats do not allow.
    Invalid(&'static str),
}

impl fmt::Display for SdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated(what) => write!(f, "truncated {what}"),
            Self::NoDacl => f.write_str("no DACL"),
            Self::Invalid(what) => write!(f, "invalid {what}"),
        }
    }
}

/// The DACL of a self-relative security descriptor, checked: [`fmt::Display`]
/// renders it as SDDL (`D:` flags, then each ACE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dacl<'a> {
    control: u16,
    /// The ACL's ACEs (`AclSize` - 8 bytes).
    aces: &'a [u8],
    count: u16,
}

/// One ACE as read: type, flags, mask, SID bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RawAce<'a> {
    ace_type: u8,
    flags: u8,
    mask: u32,
    sid: &'a [u8],
}

/// Checks a SID's bytes: revision 1, its sub-authorities inside `bytes`.
fn check_sid(bytes: &[u8]) -> Result<&[u8], SdError> {
    let (h, _) = SidHeader::read_from_prefix(bytes).map_err(|_| SdError::Truncated("SID"))?;
    if h.revision != 1 {
        return Err(SdError::Invalid("SID revision"));
    }
    let len = 8 + 4 * usize::from(h.sub_authority_count);
    bytes.get(..len).ok_or(SdError::Truncated("SID"))
}

/// Reads the DACL of the self-relative descriptor `sd` (what `ZwQuerySecurityObject`
/// returns), checking every offset and size.
///
/// # Errors
/// [`SdError`] naming what is wrong.
pub fn read_dacl(sd: &[u8]) -> Result<Dacl<'_>, SdError> {
    let (h, _) = SecurityDescriptorRelative::read_from_prefix(sd)
        .map_err(|_| SdError::Truncated("security descriptor"))?;
    if h.revision != 1 {
        return Err(SdError::Invalid("descriptor revision"));
    }
    let control = h.control.get();
    let offset = usize::try_from(h.dacl.get()).map_err(|_| SdError::Invalid("DACL offset"))?;
    if control & SE_DACL_PRESENT == 0 || offset == 0 {
        return Err(SdError::NoDacl);
    }
    let rest = sd.get(offset..).ok_or(SdError::Truncated("DACL"))?;
    let (acl, _) = AclHeader::read_from_prefix(rest).map_err(|_| SdError::Truncated("ACL"))?;
    if acl.acl_revision != ACL_REVISION && acl.acl_revision != 4 {
        return Err(SdError::Invalid("ACL revision"));
    }
    let size = usize::from(acl.acl_size.get());
    let header = size_of::<AclHeader>();
    if size < header {
        return Err(SdError::Invalid("AclSize"));
    }
    let aces = rest.get(header..size).ok_or(SdError::Truncated("ACL"))?;
    let dacl = Dacl {
        control,
        aces,
        count: acl.ace_count.get(),
    };
    // Walk once now, so that rendering cannot meet a bad ACE.
    let mut walked = 0u16;
    for ace in dacl.walk() {
        ace?;
        walked += 1;
    }
    if walked != dacl.count {
        return Err(SdError::Truncated("ACE list"));
    }
    Ok(dacl)
}

impl<'a> Dacl<'a> {
    /// The ACEs in order (each checked; a bad one ends the walk with its error).
    fn walk(&self) -> impl Iterator<Item = Result<RawAce<'a>, SdError>> + 'a {
        let mut rest = self.aces;
        let mut left = self.count;
        core::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            let result = (|| {
                let (h, _) =
                    AceHeader::read_from_prefix(rest).map_err(|_| SdError::Truncated("ACE"))?;
                let size = usize::from(h.ace_size.get());
                let body = rest.get(..size).ok_or(SdError::Truncated("ACE"))?;
                if size < size_of::<AccessAllowedAceHeader>() || size % 4 != 0 {
                    return Err(SdError::Invalid("AceSize"));
                }
                if h.ace_type != ACCESS_ALLOWED_ACE_TYPE && h.ace_type != ACCESS_DENIED_ACE_TYPE {
                    return Err(SdError::Invalid("ACE type (only allow and deny ACEs)"));
                }
                let (mask, sid_bytes) = body
                    .get(4..)
                    .and_then(|b| U32::read_from_prefix(b).ok())
                    .ok_or(SdError::Truncated("ACE"))?;
                let sid = check_sid(sid_bytes)?;
                rest = rest.get(size..).unwrap_or(&[]);
                Ok(RawAce {
                    ace_type: h.ace_type,
                    flags: h.ace_flags,
                    mask: mask.get(),
                    sid,
                })
            })();
            if result.is_err() {
                left = 0;
            }
            Some(result)
        })
    }
}

/// SDDL's two-letter names for the SIDs a device DACL is likely to hold.
const SID_ALIASES: [(&str, u8, &[u32]); 8] = [
    ("WD", 1, &[0]),
    ("CO", 3, &[0]),
    ("AU", 5, &[11]),
    ("SY", 5, &[18]),
    ("LS", 5, &[19]),
    ("NS", 5, &[20]),
    ("BA", 5, &[32, 544]),
    ("BU", 5, &[32, 545]),
];

/// SDDL's names for whole access masks (the file rights first).
const MASK_ALIASES: [(&str, u32); 4] = [
    ("FA", FILE_ALL_ACCESS),
    ("FR", FILE_GENERIC_READ),
    ("FW", FILE_GENERIC_WRITE),
    ("FX", FILE_GENERIC_EXECUTE),
];

/// SDDL's names for the generic bits, in the order they are written.
const GENERIC_ALIASES: [(&str, u32); 4] = [
    ("GA", GENERIC_ALL),
    ("GR", GENERIC_READ),
    ("GW", GENERIC_WRITE),
    ("GX", GENERIC_EXECUTE),
];

/// SDDL's ACE flag names, in the order they are written.
const FLAG_ALIASES: [(&str, u8); 5] = [("OI", 1), ("CI", 2), ("NP", 4), ("IO", 8), ("ID", 0x10)];

fn write_mask(f: &mut fmt::Formatter<'_>, mask: u32) -> fmt::Result {
    if let Some((name, _)) = MASK_ALIASES.iter().find(|(_, m)| *m == mask) {
        return f.write_str(name);
    }
    let generic = GENERIC_ALIASES.iter().fold(0, |all, (_, m)| all | m);
    if mask != 0 && mask & !generic == 0 {
        for (name, bit) in GENERIC_ALIASES {
            if mask & bit != 0 {
                f.write_str(name)?;
            }
        }
        return Ok(());
    }
    write!(f, "{mask:#x}")
}

fn write_sid(f: &mut fmt::Formatter<'_>, sid: &[u8]) -> fmt::Result {
    let subs = || {
        sid.get(8..)
            .unwrap_or(&[])
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
    };
    let authority = sid
        .get(2..8)
        .unwrap_or(&[])
        .iter()
        .fold(0u64, |a, &b| (a << 8) | u64::from(b));
    for (name, auth, sub) in SID_ALIASES {
        if authority == u64::from(auth) && subs().eq(sub.iter().copied()) {
            return f.write_str(name);
        }
    }
    write!(f, "S-1-{authority}")?;
    for sub in subs() {
        write!(f, "-{sub}")?;
    }
    Ok(())
}

impl fmt::Display for Dacl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("D:")?;
        for (name, bit) in [
            ("P", SE_DACL_PROTECTED),
            ("AR", SE_DACL_AUTO_INHERIT_REQ),
            ("AI", SE_DACL_AUTO_INHERITED),
        ] {
            if self.control & bit != 0 {
                f.write_str(name)?;
            }
        }
        for ace in self.walk() {
            let Ok(ace) = ace else {
                // read_dacl walked every ACE already.
                return f.write_str("(?)");
            };
            f.write_str(if ace.ace_type == ACCESS_ALLOWED_ACE_TYPE {
                "(A;"
            } else {
                "(D;"
            })?;
            for (name, bit) in FLAG_ALIASES {
                if ace.flags & bit != 0 {
                    f.write_str(name)?;
                }
            }
            f.write_str(";")?;
            write_mask(f, ace.mask)?;
            f.write_str(";;;")?;
            write_sid(f, ace.sid)?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
