//! Object names as the kernel takes them: UTF-16 without a terminating NUL, built
//! in fixed-capacity buffers (the driver has no heap).

use core::fmt;

/// A UTF-16 string of at most `N` units in a fixed buffer, for `UNICODE_STRING`s.
///
/// Pushing past the capacity fails and leaves the buffer as it was.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Utf16Buf<const N: usize> {
    units: [u16; N],
    len: usize,
}

/// The buffer is full: the text does not fit its capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Full;

impl<const N: usize> Default for Utf16Buf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Utf16Buf<N> {
    /// Empty.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            units: [0; N],
            len: 0,
        }
    }

    /// Appends ASCII `text` (every byte must be ASCII).
    ///
    /// # Errors
    /// [`Full`] when it does not fit, or a byte is not ASCII; nothing is appended then.
    pub const fn push_ascii(&mut self, text: &[u8]) -> Result<(), Full> {
        if text.len() > N - self.len {
            return Err(Full);
        }
        let mut i = 0;
        while i < text.len() {
            if !text[i].is_ascii() {
                return Err(Full);
            }
            i += 1;
        }
        let mut i = 0;
        while i < text.len() {
            self.units[self.len + i] = text[i] as u16;
            i += 1;
        }
        self.len += text.len();
        Ok(())
    }

    /// Appends `value` in decimal.
    ///
    /// # Errors
    /// [`Full`] when the digits do not fit; nothing is appended then.
    pub const fn push_decimal(&mut self, value: u32) -> Result<(), Full> {
        let mut digits = [0u8; 10];
        let mut n = 0;
        let mut v = value;
        loop {
            let digit = (v % 10) as u8;
            digits[9 - n] = b'0' + digit;
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        let (_, tail) = digits.split_at(10 - n);
        self.push_ascii(tail)
    }

    /// Appends UTF-16 `units`.
    ///
    /// # Errors
    /// [`Full`] when they do not fit; nothing is appended then.
    pub fn push_units(&mut self, units: impl ExactSizeIterator<Item = u16>) -> Result<(), Full> {
        if units.len() > N - self.len {
            return Err(Full);
        }
        for (slot, unit) in self.units.iter_mut().skip(self.len).zip(units) {
            *slot = unit;
            self.len += 1;
        }
        Ok(())
    }

    /// The units (no NUL).
    #[must_use]
    pub fn as_slice(&self) -> &[u16] {
        self.units.get(..self.len).unwrap_or(&[])
    }

    /// Length in UTF-16 units.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether it is empty.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Length in bytes (what `UNICODE_STRING.Length` and `MOUNTDEV_NAME.NameLength` hold).
    #[must_use]
    pub const fn byte_len(&self) -> usize {
        self.len * 2
    }

    /// Writes the UTF-16LE bytes into `out` (as many as fit); returns the bytes written.
    pub fn write_le_bytes(&self, out: &mut [u8]) -> usize {
        let mut n = 0;
        for (pair, unit) in out.chunks_exact_mut(2).zip(self.as_slice()) {
            pair.copy_from_slice(&unit.to_le_bytes());
            n += 2;
        }
        n
    }
}

impl<const N: usize> fmt::Display for Utf16Buf<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in char::decode_utf16(self.as_slice().iter().copied()) {
            fmt::Write::write_char(f, c.unwrap_or(char::REPLACEMENT_CHARACTER))?;
        }
        Ok(())
    }
}

impl<const N: usize> fmt::Debug for Utf16Buf<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Builds a UTF-16 array (no NUL) from ASCII text, for `const` object names.
///
/// # Panics
/// When `text` is not exactly `N` ASCII bytes; use it in `const` items only,
/// where that is a build error.
#[must_use]
pub const fn ascii_utf16<const N: usize>(text: &str) -> [u16; N] {
    let bytes = text.as_bytes();
    assert!(bytes.len() == N, "length mismatch");
    let mut out = [0u16; N];
    let mut i = 0;
    while i < N {
        assert!(bytes[i] < 0x80, "not ASCII");
        out[i] = bytes[i] as u16;
        i += 1;
    }
    out
}

/// `\Device\Ramdisk`: the device names' common prefix, followed by the ramdisk index.
pub const DEVICE_NAME_PREFIX: &str = r"\Device\Ramdisk";

/// Capacity of a device name: the prefix and the ten digits of the largest `u32`.
pub const DEVICE_NAME_CAPACITY: usize = DEVICE_NAME_PREFIX.len() + 10;

/// An NT device name, `\Device\Ramdisk<index>`.
pub type DeviceName = Utf16Buf<DEVICE_NAME_CAPACITY>;

/// `\Device\Ramdisk<index>`.
#[must_use]
pub const fn device_name(index: u32) -> DeviceName {
    let mut name = DeviceName::new();
    // Both fit by construction of DEVICE_NAME_CAPACITY.
    match (
        name.push_ascii(DEVICE_NAME_PREFIX.as_bytes()),
        name.push_decimal(index),
    ) {
        (Ok(()), Ok(())) => name,
        _ => DeviceName::new(),
    }
}

/// `\DosDevices\`, the prefix of a drive-letter symbolic link.
const DOS_DEVICES_PREFIX: [u16; 12] = ascii_utf16(r"\DosDevices\");

/// `\DosDevices\X:`: 14 UTF-16 units, 28 bytes.
pub type DosDeviceName = [u16; 14];

/// `\DosDevices\X:` for drive letter `letter` (`A`..=`Z`, either case, stored
/// upper case), as UTF-16 without a NUL; `None` for anything else.
#[must_use]
pub const fn dos_device_name(letter: u8) -> Option<DosDeviceName> {
    let upper = letter.to_ascii_uppercase();
    if !upper.is_ascii_uppercase() {
        return None;
    }
    let mut out = [0u16; 14];
    let mut i = 0;
    while i < DOS_DEVICES_PREFIX.len() {
        out[i] = DOS_DEVICES_PREFIX[i];
        i += 1;
    }
    out[12] = upper as u16;
    out[13] = b':' as u16;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn device_names() {
        assert_eq!(device_name(0).as_slice(), &utf16(r"\Device\Ramdisk0")[..]);
        assert_eq!(device_name(0).byte_len(), 32);
        assert_eq!(device_name(17).to_string(), r"\Device\Ramdisk17");
        assert_eq!(
            device_name(u32::MAX).to_string(),
            r"\Device\Ramdisk4294967295"
        );
        assert_eq!(device_name(u32::MAX).len(), DEVICE_NAME_CAPACITY);
    }

    #[test]
    fn buffer_limits() {
        let mut b = Utf16Buf::<4>::new();
        assert!(b.is_empty());
        assert_eq!(b.push_ascii(b"abc"), Ok(()));
        assert_eq!(b.push_ascii(b"de"), Err(Full));
        assert_eq!(b.to_string(), "abc");
        assert_eq!(b.push_decimal(42), Err(Full));
        assert_eq!(b.push_decimal(7), Ok(()));
        assert_eq!(b.to_string(), "abc7");
        assert_eq!(std::format!("{b:?}"), "\"abc7\"");
        let mut c = Utf16Buf::<4>::new();
        assert_eq!(c.push_ascii(&[b'a', 0xC4]), Err(Full));
        assert!(c.is_empty());
        let mut out = [0xFFu8; 5];
        assert_eq!(b.write_le_bytes(&mut out), 4);
        assert_eq!(out, [b'a', 0, b'b', 0, 0xFF]);
    }

    #[test]
    fn dos_device_names() {
        const N: [u16; 3] = ascii_utf16("abc");
        let dos = utf16(r"\DosDevices\R:");
        assert_eq!(dos_device_name(b'R').unwrap(), &dos[..]);
        assert_eq!(dos_device_name(b'r').unwrap(), &dos[..]);
        for bad in [b'@', b'[', b'0', b':', 0, 0xC4] {
            assert_eq!(dos_device_name(bad), None);
        }
        assert_eq!(N, [97, 98, 99]);
    }
}
