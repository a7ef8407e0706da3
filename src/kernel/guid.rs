//! `ExUuidCreate`: a new GUID (the mount-manager double names volumes with them).

use wdk_sys::{UUID, ntddk::ExUuidCreate};

/// A new GUID as its 16 bytes lie in memory (`Data1`..`Data3` little-endian, then
/// `Data4`); all zero if the kernel cannot make one.
pub fn new_guid() -> [u8; 16] {
    // SAFETY: UUID is plain data; zero is valid.
    let mut uuid: UUID = unsafe { core::mem::zeroed() };
    // SAFETY: a live local for the kernel to fill; PASSIVE_LEVEL.
    let _ = unsafe { ExUuidCreate(&raw mut uuid) };
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&uuid.Data1.to_le_bytes());
    out[4..6].copy_from_slice(&uuid.Data2.to_le_bytes());
    out[6..8].copy_from_slice(&uuid.Data3.to_le_bytes());
    out[8..].copy_from_slice(&uuid.Data4);
    out
}
