//! Security descriptor structures (`winnt.h` / `ntifs.h`): the self-relative form
//! `ZwQuerySecurityObject` returns.

use super::{U16, U32};

wire! {
    /// `SECURITY_DESCRIPTOR_RELATIVE` (20 bytes): offsets (0 = absent) from its start.
    pub struct SecurityDescriptorRelative [20] {
        /// `Revision` (`SECURITY_DESCRIPTOR_REVISION` = 1).
        pub revision: u8 = 0,
        /// `Sbz1`.
        pub sbz1: u8 = 1,
        /// `Control` (`SE_*` bits; `SE_SELF_RELATIVE` is set in this form).
        pub control: U16 = 2,
        /// `Owner` offset.
        pub owner: U32 = 4,
        /// `Group` offset.
        pub group: U32 = 8,
        /// `Sacl` offset.
        pub sacl: U32 = 12,
        /// `Dacl` offset.
        pub dacl: U32 = 16,
    }
}

wire! {
    /// `ACL` (8 bytes): `AceCount` ACEs follow, `AclSize` bytes in all.
    pub struct AclHeader [8] {
        /// `AclRevision` (`ACL_REVISION` = 2).
        pub acl_revision: u8 = 0,
        /// `Sbz1`.
        pub sbz1: u8 = 1,
        /// `AclSize`: the ACL's bytes, header included.
        pub acl_size: U16 = 2,
        /// `AceCount`.
        pub ace_count: U16 = 4,
        /// `Sbz2`.
        pub sbz2: U16 = 6,
    }
}

wire! {
    /// `ACE_HEADER` (4 bytes).
    pub struct AceHeader [4] {
        /// `AceType` (`ACCESS_ALLOWED_ACE_TYPE` = 0).
        pub ace_type: u8 = 0,
        /// `AceFlags`.
        pub ace_flags: u8 = 1,
        /// `AceSize`: the ACE's bytes, header and SID included.
        pub ace_size: U16 = 2,
    }
}

wire! {
    /// `ACCESS_ALLOWED_ACE` up to `SidStart` (8 bytes): the SID follows.
    pub struct AccessAllowedAceHeader [8] {
        /// `Header`.
        pub header: AceHeader = 0,
        /// `Mask` (`ACCESS_MASK`).
        pub mask: U32 = 4,
    }
}

wire! {
    /// `SID` up to `SubAuthority` (8 bytes): `SubAuthorityCount` `ULONG`s follow.
    pub struct SidHeader [8] {
        /// `Revision` (`SID_REVISION` = 1).
        pub revision: u8 = 0,
        /// `SubAuthorityCount`.
        pub sub_authority_count: u8 = 1,
        /// `IdentifierAuthority` (48-bit big-endian).
        pub identifier_authority: [u8; 6] = 2,
    }
}
