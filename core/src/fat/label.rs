//! Volume labels: 11 bytes, space padded, upper case, FAT-legal characters.

use super::FormatError;

/// A validated volume label as stored in the boot sector and in the root
/// directory's volume-label entry: exactly 11 bytes, space padded, upper case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VolumeLabel([u8; 11]);

/// Bytes a short name (and so a label) may not contain (fatgen103, section 6.1).
const ILLEGAL: &[u8] = b"\"*+,./:;<=>?[\\]|";

impl VolumeLabel {
    /// `RAMDISK`, the driver's default.
    pub const DEFAULT: Self = Self(*b"RAMDISK    ");
    /// `NO NAME`, what FAT stores for "no label"; no root directory entry is written for it.
    pub const NO_NAME: Self = Self(*b"NO NAME    ");

    /// Validates and normalises a label given as ASCII bytes.
    ///
    /// Empty text gives [`Self::NO_NAME`]. Lower case letters are upper-cased.
    ///
    /// # Errors
    /// [`FormatError::InvalidLabel`] when the text is longer than 11 bytes,
    /// starts with a space, or contains a control character, a byte of 0x80
    /// or above, or one of `" * + , . / : ; < = > ? [ \ ] |`.
    pub const fn parse(text: &[u8]) -> Result<Self, FormatError> {
        if text.is_empty() {
            return Ok(Self::NO_NAME);
        }
        if text.len() > 11 || text[0] == b' ' {
            return Err(FormatError::InvalidLabel);
        }
        let mut out = [b' '; 11];
        let mut i = 0;
        while i < text.len() {
            let c = text[i];
            if c < 0x20 || c >= 0x7F {
                return Err(FormatError::InvalidLabel);
            }
            let mut j = 0;
            while j < ILLEGAL.len() {
                if c == ILLEGAL[j] {
                    return Err(FormatError::InvalidLabel);
                }
                j += 1;
            }
            out[i] = c.to_ascii_uppercase();
            i += 1;
        }
        Ok(Self(out))
    }

    /// The 11 stored bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 11] {
        &self.0
    }

    /// Whether this is the "no label" value (`NO NAME`).
    #[must_use]
    pub const fn is_no_name(&self) -> bool {
        let mut i = 0;
        while i < 11 {
            if self.0[i] != Self::NO_NAME.0[i] {
                return false;
            }
            i += 1;
        }
        true
    }
}

impl Default for VolumeLabel {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_no_name() {
        assert_eq!(VolumeLabel::parse(b""), Ok(VolumeLabel::NO_NAME));
        assert!(VolumeLabel::NO_NAME.is_no_name());
        assert!(!VolumeLabel::DEFAULT.is_no_name());
    }

    #[test]
    fn pads_and_upper_cases() {
        assert_eq!(
            VolumeLabel::parse(b"ramDisk").unwrap().as_bytes(),
            b"RAMDISK    "
        );
        assert_eq!(
            VolumeLabel::parse(b"A B-C_1~#$!").unwrap().as_bytes(),
            b"A B-C_1~#$!"
        );
        assert_eq!(
            VolumeLabel::parse(b"ELEVENCHARS").unwrap().as_bytes(),
            b"ELEVENCHARS"
        );
        assert_eq!(
            VolumeLabel::parse(b"RAMDISK").unwrap(),
            VolumeLabel::DEFAULT
        );
    }

    #[test]
    fn rejects_bad_text() {
        assert_eq!(
            VolumeLabel::parse(b"TWELVECHARSX"),
            Err(FormatError::InvalidLabel)
        );
        assert_eq!(VolumeLabel::parse(b" LEAD"), Err(FormatError::InvalidLabel));
        assert_eq!(VolumeLabel::parse(b"   "), Err(FormatError::InvalidLabel));
        for &c in b"\"*+,./:;<=>?[\\]|\x00\x05\x1f\x7f\x80\xe5\xff" {
            let text = [b'A', c, b'B'];
            assert_eq!(
                VolumeLabel::parse(&text),
                Err(FormatError::InvalidLabel),
                "byte {c:#x}"
            );
        }
    }

    #[test]
    fn every_byte_is_judged_without_panic() {
        for c in 0..=255u8 {
            let ok = VolumeLabel::parse(&[c]).is_ok();
            let expected = (0x21..0x7F).contains(&c) && !ILLEGAL.contains(&c);
            assert_eq!(ok, expected, "byte {c:#x}");
        }
    }
}
