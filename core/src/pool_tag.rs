//! The driver's pool tag.
//!
//! Pool tools (poolmon, `WinDbg`'s `!poolused`, Driver Verifier) show a tag as its four
//! bytes in memory order. A `ULONG` tag is stored little-endian, so the tag that
//! *shows* as `RamD` is `u32::from_le_bytes(*b"RamD")` — what C code writes as the
//! multi-character constant `'DmaR'`.

/// The tag as pool tools display it.
pub const POOL_TAG_TEXT: [u8; 4] = *b"RamD";

/// The `ULONG` to pass to `ExAllocatePool2` / `ExFreePoolWithTag`.
pub const POOL_TAG: u32 = u32::from_le_bytes(POOL_TAG_TEXT);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_as_ramd() {
        // The bytes in memory are what poolmon prints.
        assert_eq!(&POOL_TAG.to_le_bytes(), b"RamD");
        // C's multi-character constant 'DmaR': ('D' << 24) | ('m' << 16) | ('a' << 8) | 'R'.
        let c_constant = (u32::from(b'D') << 24)
            | (u32::from(b'm') << 16)
            | (u32::from(b'a') << 8)
            | u32::from(b'R');
        assert_eq!(POOL_TAG, c_constant);
        assert_eq!(POOL_TAG, 0x446D_6152);
    }
}
