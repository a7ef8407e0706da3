//! The exFAT volume label: at most 11 UTF-16 code units (section 7.3.2), none of the
//! characters a file name may not hold (section 7.3.3, Table 35), case preserved.

use crate::wire::exfat::MAX_LABEL_CHARACTERS;

/// A validated exFAT volume label (empty: no label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    units: [u16; MAX_LABEL_CHARACTERS],
    len: u8,
}

/// Why a label was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LabelError {
    /// More than 11 UTF-16 code units.
    TooLong,
    /// A character of Table 35 (control codes, `"` `*` `/` `:` `<` `>` `?` `\` `|`).
    InvalidCharacter(u16),
    /// Half of a surrogate pair without its other half: not a Unicode string.
    UnpairedSurrogate,
}

/// Whether section 7.7.3's Table 35 forbids `unit` in a file name (and so in a label).
#[must_use]
pub const fn is_invalid_character(unit: u16) -> bool {
    matches!(
        unit,
        0x0000..=0x001F | 0x22 | 0x2A | 0x2F | 0x3A | 0x3C | 0x3E | 0x3F | 0x5C | 0x7C
    )
}

impl Label {
    /// No label (`CharacterCount` 0).
    pub const NONE: Self = Self {
        units: [0; MAX_LABEL_CHARACTERS],
        len: 0,
    };

    /// `RAMDISK`, the default.
    pub const DEFAULT: Self = match Self::from_ascii(b"RAMDISK") {
        Ok(label) => label,
        Err(_) => Self::NONE,
    };

    /// Validates UTF-16 code units.
    ///
    /// # Errors
    /// [`LabelError`] naming the first rule broken.
    pub const fn parse(units: &[u16]) -> Result<Self, LabelError> {
        if units.len() > MAX_LABEL_CHARACTERS {
            return Err(LabelError::TooLong);
        }
        let mut label = Self::NONE;
        let mut i = 0;
        while i < units.len() {
            let u = units[i];
            if is_invalid_character(u) {
                return Err(LabelError::InvalidCharacter(u));
            }
            let high = matches!(u, 0xD800..=0xDBFF);
            let low = matches!(u, 0xDC00..=0xDFFF);
            let next_low = i + 1 < units.len() && matches!(units[i + 1], 0xDC00..=0xDFFF);
            if low || (high && !next_low) {
                return Err(LabelError::UnpairedSurrogate);
            }
            label.units[i] = u;
            if high {
                label.units[i + 1] = units[i + 1];
                i += 1;
            }
            i += 1;
        }
        #[allow(clippy::cast_possible_truncation, reason = "at most 11")]
        {
            label.len = units.len() as u8;
        }
        Ok(label)
    }

    /// Validates an ASCII (or any 8-bit, as Latin-1) label.
    ///
    /// # Errors
    /// As [`Label::parse`].
    pub const fn from_ascii(bytes: &[u8]) -> Result<Self, LabelError> {
        if bytes.len() > MAX_LABEL_CHARACTERS {
            return Err(LabelError::TooLong);
        }
        let mut units = [0u16; MAX_LABEL_CHARACTERS];
        let mut i = 0;
        while i < bytes.len() {
            units[i] = bytes[i] as u16;
            i += 1;
        }
        let (head, _) = units.split_at(bytes.len());
        Self::parse(head)
    }

    /// The code units (`CharacterCount` of them).
    #[must_use]
    pub fn units(&self) -> &[u16] {
        self.units.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// All 11 slots of the `VolumeLabel` field (unused ones zero).
    #[must_use]
    pub const fn field(&self) -> [u16; MAX_LABEL_CHARACTERS] {
        self.units
    }

    /// `CharacterCount`.
    #[must_use]
    pub const fn len(&self) -> u8 {
        self.len
    }

    /// Whether this is no label.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn labels_keep_case_and_take_unicode() {
        let l = Label::parse(&utf16("Scratch")).unwrap();
        assert_eq!(l.units(), &utf16("Scratch")[..]);
        assert_eq!(l.len(), 7);
        assert_eq!(Label::DEFAULT.units(), &utf16("RAMDISK")[..]);
        for ok in [
            "Été 2026",
            "A.B+C,D;E=",
            " lead",
            "[x]",
            "ΑΒΓ",
            "日本語のラベル",
            "😀😀😀😀😀",
            "",
        ] {
            assert!(Label::parse(&utf16(ok)).is_ok(), "{ok}");
        }
        assert!(Label::parse(&[]).unwrap().is_empty());
        assert_eq!(
            Label::from_ascii(b"Hello").unwrap(),
            Label::parse(&utf16("Hello")).unwrap()
        );
        let l = Label::parse(&utf16("ab")).unwrap();
        assert_eq!(l.field()[2..], [0; 9]);
    }

    #[test]
    fn table_35_and_length_are_refused() {
        assert_eq!(
            Label::parse(&utf16("TWELVE CHARS")),
            Err(LabelError::TooLong)
        );
        assert!(Label::parse(&utf16("ELEVENCHARS")).is_ok());
        // Eleven code units, not characters: six emoji are twelve.
        assert_eq!(
            Label::parse(&utf16("😀😀😀😀😀😀")),
            Err(LabelError::TooLong)
        );
        for bad in [
            '"', '*', '/', ':', '<', '>', '?', '\\', '|', '\0', '\t', '\u{1f}',
        ] {
            let text: Vec<u16> = utf16(&std::format!("a{bad}b"));
            assert_eq!(
                Label::parse(&text),
                Err(LabelError::InvalidCharacter(text[1])),
                "{bad:?}"
            );
        }
        assert!(Label::parse(&[0x7F]).is_ok(), "DEL is not in Table 35");
        assert_eq!(Label::parse(&[0xD800]), Err(LabelError::UnpairedSurrogate));
        assert_eq!(
            Label::parse(&[0xDC00, 0x41]),
            Err(LabelError::UnpairedSurrogate)
        );
        assert_eq!(
            Label::parse(&[0x41, 0xD83D]),
            Err(LabelError::UnpairedSurrogate)
        );
        for u in 0..=0xFFFFu16 {
            let invalid =
                u < 0x20 || "\"*/:<>?\\|".contains(char::from_u32(u32::from(u)).unwrap_or('x'));
            assert_eq!(is_invalid_character(u), invalid, "{u:#x}");
        }
    }
}
