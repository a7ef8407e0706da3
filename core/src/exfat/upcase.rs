//! The up-case table every volume gets: the specification's recommended table in
//! compressed form (section 7.2.5.1, Table 25), whose `TableChecksum` is `E619D30Dh`.
//!
//! The table is not typed in here: `spec/table25.md` holds Table 25 exactly as the
//! specification prints it (CC BY 4.0, attribution in the file), and `parse_table`
//! turns its rows into code units at compile time, checking every row's offset. The
//! checksum the specification states is asserted at compile time too, so a damaged
//! copy does not build. `spec/table24.md` (the mandatory first 128 mappings) is read
//! the same way; the tests expand Table 25 and compare.

/// Code units of the recommended compressed table (rows 0000h..0B60h of Table 25).
pub const UNITS: usize = 2918;

/// The recommended table as its 16-bit code units.
pub const TABLE: [u16; UNITS] = parse_table(include_str!("spec/table25.md"));

/// The table as stored on the volume: the code units, little-endian.
pub const BYTES: [u8; 2 * UNITS] = to_bytes(&TABLE);

/// `DataLength` of the Up-case Table entry.
pub const DATA_LENGTH: u64 = BYTES.len() as u64;

/// `TableChecksum` of [`BYTES`] (section 7.2.2).
pub const CHECKSUM: u32 = table_checksum(&BYTES);

/// What section 7.2.5.1 says the checksum of this table is.
pub const SPEC_CHECKSUM: u32 = 0xE619_D30D;

const _: () = assert!(CHECKSUM == SPEC_CHECKSUM);

/// The mandatory mappings of the first 128 code points (Table 24).
#[cfg(test)]
pub const MANDATORY: [u16; 128] = parse_table(include_str!("spec/table24.md"));

/// The `TableChecksum` computation (section 7.2.2): rotate right by one, add the byte.
#[must_use]
pub const fn table_checksum(bytes: &[u8]) -> u32 {
    let mut sum = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        sum = sum.rotate_right(1).wrapping_add(bytes[i] as u32);
        i += 1;
    }
    sum
}

const fn to_bytes(units: &[u16; UNITS]) -> [u8; 2 * UNITS] {
    let mut out = [0u8; 2 * UNITS];
    let mut i = 0;
    while i < UNITS {
        let [lo, hi] = units[i].to_le_bytes();
        out[2 * i] = lo;
        out[2 * i + 1] = hi;
        i += 1;
    }
    out
}

/// The value of one table cell: `0041h` or `**0041h**` (bold marks the non-identity
/// mappings of Table 24), surrounded by spaces; `None` for an empty cell. Anything
/// else stops the build.
const fn cell(b: &[u8], mut at: usize, end: usize) -> Option<u16> {
    let mut value = 0u16;
    let mut digits = 0;
    let mut suffix = false;
    while at < end {
        let c = b[at];
        match c {
            b' ' | b'*' => {}
            b'h' if digits == 4 && !suffix => suffix = true,
            b'0'..=b'9' | b'A'..=b'F' if digits < 4 && !suffix => {
                let d = if c <= b'9' { c - b'0' } else { c - b'A' + 10 };
                value = value * 16 + d as u16;
                digits += 1;
            }
            _ => panic!("an up-case table cell is not a hexadecimal number like 0041h"),
        }
        at += 1;
    }
    assert!(
        digits == 0 || suffix,
        "an up-case table cell lacks its h suffix"
    );
    if digits == 0 { None } else { Some(value) }
}

/// The code units of a table as the specification prints it: every line that starts
/// with `| **` is a row, its first cell the index of its first unit (which must equal
/// the units read so far), then up to eight units; other lines are ignored. Exactly
/// `N` units, or the build fails.
const fn parse_table<const N: usize>(text: &str) -> [u16; N] {
    let b = text.as_bytes();
    let mut out = [0u16; N];
    let mut n = 0;
    let mut line = 0;
    while line < b.len() {
        let mut end = line;
        while end < b.len() && b[end] != b'\n' {
            end += 1;
        }
        if end - line > 4 && b[line] == b'|' && b[line + 1] == b' ' && b[line + 2] == b'*' {
            let mut at = line + 1;
            let mut column = 0;
            while at < end {
                let mut next = at;
                while next < end && b[next] != b'|' {
                    next += 1;
                }
                if next == end {
                    // What follows the row's last `|` (a carriage return, nothing).
                    break;
                }
                match cell(b, at, next) {
                    Some(v) if column == 0 => assert!(v as usize == n, "a row starts elsewhere"),
                    None if column == 0 => panic!("a row has no offset"),
                    Some(v) => {
                        out[n] = v;
                        n += 1;
                    }
                    None => {}
                }
                column += 1;
                at = next + 1;
            }
            assert!(column <= 9, "a row has more than eight units");
        }
        line = end + 1;
    }
    assert!(n == N, "the table has another number of units");
    out
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// The full 65 536-entry mapping the compressed table stands for (section 7.2.5:
    /// `FFFFh` followed by a count is that many identity mappings).
    fn expand(units: &[u16]) -> Vec<u16> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < units.len() {
            if units[i] == 0xFFFF && i + 1 < units.len() {
                let start = out.len();
                for c in start..start + usize::from(units[i + 1]) {
                    out.push(u16::try_from(c).unwrap());
                }
                i += 2;
            } else {
                out.push(units[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn the_table_is_the_specifications() {
        assert_eq!(CHECKSUM, 0xE619_D30D);
        assert_eq!(BYTES.len(), 5836);
        let full = expand(&TABLE);
        assert_eq!(
            full.len(),
            65536,
            "covers every code unit (section 7.2.5.1)"
        );
        assert_eq!(full[..128], MANDATORY, "Table 24's mandatory mappings");
        assert_eq!(full[usize::from(b'a')], u16::from(b'A'));
        assert_eq!(full[0xE9], 0xC9, "é up-cases to É");
        assert_eq!(full[0x3C9], 0x3A9, "ω to Ω");
        assert_eq!(full[0xFF41], 0xFF21, "fullwidth a to A");
        assert_eq!(full[0x4E00], 0x4E00, "no case: identity");
        // Spot checks of the first rows as printed.
        assert_eq!(TABLE[..8], [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(TABLE[UNITS - 1], 0xFFFF);
    }

    #[test]
    fn checksum_rotates_then_adds() {
        assert_eq!(table_checksum(&[]), 0);
        assert_eq!(table_checksum(&[1]), 1);
        // 1 rotated right is 8000_0000h, plus 2.
        assert_eq!(table_checksum(&[1, 2]), 0x8000_0002);
        let mut broken = BYTES;
        broken[100] ^= 1;
        assert_ne!(table_checksum(&broken), SPEC_CHECKSUM);
    }

    #[test]
    fn cells_parse_like_the_specification_prints_them() {
        for (text, want) in [
            (&b" **0060h** "[..], Some(0x60)),
            (b" 00E9h ", Some(0xE9)),
            (b"  FFFFh", Some(0xFFFF)),
            (b"         ", None),
            (b"", None),
        ] {
            assert_eq!(cell(text, 0, text.len()), want);
        }
        let t: [u16; 3] = parse_table("x\n| **0000h** | 0001h | **FFFFh** | 0002h |\r\nend\n");
        assert_eq!(t, [1, 0xFFFF, 2]);
    }
}
