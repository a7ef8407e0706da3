//! Fixed-capacity names and unique IDs, and how the mount manager classifies names.

use core::fmt;

use zerocopy::FromZeros;

/// The longest NT device name the double holds, in UTF-16 units.
pub const DEVICE_NAME_CAPACITY: usize = 128;
/// The longest symbolic link name the double holds, in UTF-16 units (drive letters
/// are 14, `\??\Volume{GUID}` names 48).
pub const LINK_NAME_CAPACITY: usize = 64;
/// The longest unique ID the double holds, in bytes.
pub const UNIQUE_ID_CAPACITY: usize = 128;

/// A counted UTF-16 string of at most `N` units.
#[derive(Clone, Copy, FromZeros)]
pub struct Units<const N: usize> {
    len: u16,
    units: [u16; N],
}

/// An NT device name (`\Device\Ramdisk0`).
pub type DeviceName = Units<DEVICE_NAME_CAPACITY>;
/// A symbolic link name (`\DosDevices\R:`, `\??\Volume{…}`).
pub type LinkName = Units<LINK_NAME_CAPACITY>;

impl<const N: usize> Units<N> {
    /// `units`, if they fit (and are not empty).
    pub fn from_units(units: &[u16]) -> Option<Self> {
        if units.is_empty() {
            return None;
        }
        let mut s = Self::new_zeroed();
        s.units.get_mut(..units.len())?.copy_from_slice(units);
        s.len = u16::try_from(units.len()).ok()?;
        Some(s)
    }

    /// The name in `bytes` (UTF-16LE, an even, non-zero count), if it fits.
    pub fn from_le_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.is_empty() || !bytes.len().is_multiple_of(2) || bytes.len() / 2 > N {
            return None;
        }
        let mut s = Self::new_zeroed();
        for (unit, pair) in s.units.iter_mut().zip(bytes.chunks_exact(2)) {
            *unit = u16::from_le_bytes([pair[0], pair[1]]);
        }
        s.len = u16::try_from(bytes.len() / 2).ok()?;
        Some(s)
    }

    /// The units.
    pub fn as_units(&self) -> &[u16] {
        self.units.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The length in bytes.
    pub fn byte_len(&self) -> usize {
        2 * usize::from(self.len)
    }

    /// Whether the name equals `other`, ignoring ASCII case (as
    /// `RtlEqualUnicodeString(…, TRUE)` does for the ASCII names the mount manager
    /// deals in; other characters compare exactly).
    pub fn eq_ignore_case(&self, other: &[u16]) -> bool {
        eq_ignore_case(self.as_units(), other)
    }
}

/// `a` equals `b`, ignoring ASCII case.
pub fn eq_ignore_case(a: &[u16], b: &[u16]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| fold(*x) == fold(*y))
}

/// ASCII upper case of a UTF-16 unit.
const fn fold(unit: u16) -> u16 {
    if unit >= 0x61 && unit <= 0x7A {
        unit - 0x20
    } else {
        unit
    }
}

/// A unique ID: 1 to [`UNIQUE_ID_CAPACITY`] bytes.
#[derive(Clone, Copy, FromZeros)]
pub struct UniqueId {
    len: u16,
    bytes: [u8; UNIQUE_ID_CAPACITY],
}

impl UniqueId {
    /// `bytes`, if they fit (and are not empty).
    pub fn new(bytes: &[u8]) -> Option<Self> {
        if bytes.is_empty() {
            return None;
        }
        let mut id = Self::new_zeroed();
        id.bytes.get_mut(..bytes.len())?.copy_from_slice(bytes);
        id.len = u16::try_from(bytes.len()).ok()?;
        Some(id)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

impl PartialEq for UniqueId {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

/// UTF-16 of an ASCII string, at compile time.
pub const fn ascii<const N: usize>(s: &str) -> [u16; N] {
    let bytes = s.as_bytes();
    assert!(bytes.len() == N);
    let mut out = [0u16; N];
    let mut i = 0;
    while i < N {
        out[i] = bytes[i] as u16;
        i += 1;
    }
    out
}

/// `\DosDevices\`: the prefix of a drive-letter link.
const DOS_DEVICES: [u16; 12] = ascii(r"\DosDevices\");

/// The letter of a drive-letter link, as `MOUNTMGR_IS_DRIVE_LETTER` defines one:
/// exactly `\DosDevices\X:` (28 bytes) with `X` an upper-case `A`–`Z`.
pub fn drive_letter(name: &[u16]) -> Option<u8> {
    let (prefix, rest) = name.split_at_checked(DOS_DEVICES.len())?;
    match rest {
        [letter, colon] if prefix == DOS_DEVICES && *colon == u16::from(b':') => {
            u8::try_from(*letter).ok().filter(u8::is_ascii_uppercase)
        }
        _ => None,
    }
}

/// `\DosDevices\X:` for `letter` (upper case `A`–`Z`).
#[cfg(test)]
pub fn drive_letter_link(letter: u8) -> Option<LinkName> {
    let mut units = [0u16; 14];
    units[..12].copy_from_slice(&DOS_DEVICES);
    units[12] = u16::from(letter.is_ascii_uppercase().then_some(letter)?);
    units[13] = u16::from(b':');
    LinkName::from_units(&units)
}

/// Whether `name` is a volume name in the NT namespace, `\??\Volume{GUID}` (what
/// `MOUNTMGR_IS_NT_VOLUME_NAME` accepts: 96 bytes, the braces and dashes in place).
pub fn is_volume_name(name: &[u16]) -> bool {
    const PREFIX: [u16; 11] = ascii(r"\??\Volume{");
    name.len() == 48
        && name.starts_with(&PREFIX)
        && [19, 24, 29, 34]
            .iter()
            .all(|&i| name.get(i) == Some(&u16::from(b'-')))
        && name.get(47) == Some(&u16::from(b'}'))
}

/// `\??\Volume{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` for the GUID in `guid`
/// (`Data1`–`Data3` little-endian, as a `GUID` sits in memory), lower-case hex.
pub fn volume_name(guid: &[u8; 16]) -> LinkName {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let [a0, a1, a2, a3, b0, b1, c0, c1, rest @ ..] = *guid;
    let (clock, node) = rest.split_at(2);
    let groups: [&[u8]; 5] = [&[a3, a2, a1, a0], &[b1, b0], &[c1, c0], clock, node];
    let mut units = [0u16; 48];
    let mut out = units.iter_mut();
    let mut put = |c: u8| {
        if let Some(unit) = out.next() {
            *unit = u16::from(c);
        }
    };
    b"\\??\\Volume{".iter().for_each(|&c| put(c));
    for (i, group) in groups.iter().enumerate() {
        if i > 0 {
            put(b'-');
        }
        for &byte in *group {
            put(HEX[usize::from(byte >> 4)]);
            put(HEX[usize::from(byte & 0xF)]);
        }
    }
    put(b'}');
    // 48 units always fit LINK_NAME_CAPACITY.
    LinkName::from_units(&units).unwrap_or_else(LinkName::new_zeroed)
}

/// Displays UTF-16 as text for the transcript: printable characters as themselves,
/// spaces and control characters as `\u{..}`, unpaired surrogates as U+FFFD.
pub struct Text<'a>(pub &'a [u16]);

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in char::decode_utf16(self.0.iter().copied()) {
            let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
            if c.is_control() || c == ' ' {
                write!(f, "\\u{{{:x}}}", u32::from(c))?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}

/// Displays a unique ID for the transcript: in double quotes, printable ASCII as
/// itself, `\` and `"` escaped, other bytes as `\xNN` (`<[u8]>::escape_ascii`).
pub struct Bytes<'a>(pub &'a [u8]);

impl fmt::Display for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0.escape_ascii())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    fn u(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn drive_letters_are_exactly_upper_case_dos_devices_names() {
        assert_eq!(drive_letter(&u(r"\DosDevices\R:")), Some(b'R'));
        assert_eq!(drive_letter(&u(r"\DosDevices\r:")), None);
        assert_eq!(drive_letter(&u(r"\dosdevices\R:")), None);
        assert_eq!(drive_letter(&u(r"\??\R:")), None);
        assert_eq!(drive_letter(&u(r"\DosDevices\R:\")), None);
        assert_eq!(drive_letter(&u(r"\DosDevices\RR")), None);
        assert_eq!(drive_letter(&u(r"\DosDevices\")), None);
        assert_eq!(drive_letter(&[]), None);
        let link = drive_letter_link(b'S').unwrap();
        assert_eq!(link.as_units(), &u(r"\DosDevices\S:")[..]);
        assert!(drive_letter_link(b's').is_none());
    }

    #[test]
    fn volume_names_follow_the_guid_fields() {
        // {00112233-4455-6677-8899-aabbccddeeff} laid out as a GUID in memory.
        let guid = [
            0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD,
            0xEE, 0xFF,
        ];
        let name = volume_name(&guid);
        assert_eq!(
            Text(name.as_units()).to_string(),
            r"\??\Volume{00112233-4455-6677-8899-aabbccddeeff}"
        );
        assert!(is_volume_name(name.as_units()));
        assert!(!is_volume_name(&u(
            r"\\?\Volume{00112233-4455-6677-8899-aabbccddeeff}"
        )));
        assert!(!is_volume_name(&u(
            r"\??\Volume{00112233-4455-6677-8899-aabbccddeeff}\"
        )));
        assert!(!is_volume_name(&u(r"\DosDevices\R:")));
    }

    #[test]
    fn names_compare_ignoring_ascii_case_only() {
        let a = DeviceName::from_units(&u(r"\Device\Ramdisk0")).unwrap();
        assert!(a.eq_ignore_case(&u(r"\device\RAMDISK0")));
        assert!(!a.eq_ignore_case(&u(r"\Device\Ramdisk1")));
        assert!(!a.eq_ignore_case(&u(r"\Device\Ramdisk")));
        assert!(!eq_ignore_case(&u("é"), &u("É")));
    }

    #[test]
    fn capacities_are_enforced() {
        assert!(LinkName::from_units(&[0x41; LINK_NAME_CAPACITY]).is_some());
        assert!(LinkName::from_units(&[0x41; LINK_NAME_CAPACITY + 1]).is_none());
        assert!(LinkName::from_units(&[]).is_none());
        assert!(DeviceName::from_le_bytes(&[0x41, 0]).is_some());
        assert!(DeviceName::from_le_bytes(&[0x41]).is_none());
        assert!(DeviceName::from_le_bytes(&[]).is_none());
        assert!(UniqueId::new(&[1; UNIQUE_ID_CAPACITY]).is_some());
        assert!(UniqueId::new(&[1; UNIQUE_ID_CAPACITY + 1]).is_none());
        assert!(UniqueId::new(&[]).is_none());
    }

    #[test]
    fn transcript_text_escapes() {
        assert_eq!(Text(&u("a b\u{1}")).to_string(), r"a\u{20}b\u{1}");
        assert_eq!(Text(&[0xD800]).to_string(), "\u{FFFD}");
        assert_eq!(
            Bytes(b"ramdisk:Disks\\A\"\x01").to_string(),
            r#""ramdisk:Disks\\A\"\x01""#
        );
    }
}
