//! Numbers for people: size parsing, byte/rate formatting, device-path normalisation.

/// Parses a size: plain bytes (`67108864`, `0x4000000`) or a number with a binary
/// suffix (`512K`, `64M`, `64MiB`, `1G`, `1GB`; K/M/G/T are powers of 1024).
///
/// # Errors
/// A message when the text is not a size or overflows `u64`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).map_err(|e| format!("{text:?}: {e}"));
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, suffix) = t.split_at(split);
    if digits.is_empty() {
        return Err(format!(
            "{text:?}: not a size (examples: 1048576, 512K, 64M, 1G)"
        ));
    }
    let n: u64 = digits.parse().map_err(|e| format!("{text:?}: {e}"))?;
    let shift = match suffix.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?} (use K, M, G or T)"
            ));
        }
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{text:?}: too large"))
}

/// Formats a byte count: `512 B`, `4 KiB`, `64 MiB`, `1.5 GiB`.
#[must_use]
pub fn fmt_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut unit = 0;
    let mut whole = n;
    while whole >= 1024 && unit < UNITS.len() - 1 {
        whole /= 1024;
        unit += 1;
    }
    if unit == 0 {
        return format!("{n} B");
    }
    let div = 1u64 << (10 * unit);
    if n.is_multiple_of(div) {
        format!("{} {}", n / div, UNITS[unit])
    } else {
        #[allow(
            clippy::cast_precision_loss,
            reason = "a figure for people: 53 bits are plenty"
        )]
        let v = n as f64 / div as f64;
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Megabytes (10^6 bytes) per second.
#[must_use]
pub fn mb_per_s(bytes: u64, secs: f64) -> f64 {
    if secs <= 0.0 {
        return 0.0;
    }
    #[allow(
        clippy::cast_precision_loss,
        reason = "a figure for people: 53 bits are plenty"
    )]
    let b = bytes as f64;
    b / 1e6 / secs
}

/// Operations per second.
#[must_use]
pub fn per_s(ops: u64, secs: f64) -> f64 {
    if secs <= 0.0 {
        return 0.0;
    }
    #[allow(
        clippy::cast_precision_loss,
        reason = "a figure for people: 53 bits are plenty"
    )]
    let o = ops as f64;
    o / secs
}

/// The `CreateFile` path of a device argument: `R`, `R:`, `r:` and `\\.\R:` all mean
/// `\\.\R:`; anything else (`\\.\GLOBALROOT\Device\Ramdisk0`) is used as given.
#[must_use]
pub fn device_path(arg: &str) -> String {
    let t = arg.trim();
    let bare = t.strip_prefix(r"\\.\").unwrap_or(t);
    let bare = bare.strip_suffix('\\').unwrap_or(bare);
    let mut chars = bare.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (Some(c), None | Some(':'), None) if c.is_ascii_alphabetic() => {
            format!(r"\\.\{}:", c.to_ascii_uppercase())
        }
        _ => t.to_string(),
    }
}

/// The drive letter a device path names, if it is of the form `\\.\X:`.
#[must_use]
pub fn drive_letter(path: &str) -> Option<char> {
    let p = device_path(path);
    let rest = p.strip_prefix(r"\\.\")?;
    let mut chars = rest.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (Some(c), Some(':'), None) if c.is_ascii_alphabetic() => Some(c),
        _ => None,
    }
}

/// A volume serial number as Windows shows it: `1234-ABCD`.
#[must_use]
pub fn fmt_serial(serial: u32) -> String {
    format!("{:04X}-{:04X}", serial >> 16, serial & 0xFFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("67108864"), Ok(64 << 20));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64 mb"), Ok(64 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("2T"), Ok(2 << 40));
        assert_eq!(parse_size("0x200"), Ok(512));
        assert_eq!(parse_size("0"), Ok(0));
        assert!(parse_size("").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("12X").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999999999999").is_err());
        assert!(parse_size("20000000T").is_err());
    }

    #[test]
    fn bytes_format() {
        assert_eq!(fmt_bytes(0), "0 B");
        assert_eq!(fmt_bytes(512), "512 B");
        assert_eq!(fmt_bytes(4096), "4 KiB");
        assert_eq!(fmt_bytes(64 << 20), "64 MiB");
        assert_eq!(fmt_bytes(1536 << 20), "1.5 GiB");
        assert_eq!(fmt_bytes(1000), "1000 B");
        assert_eq!(fmt_bytes(1025), "1.0 KiB");
    }

    #[test]
    fn rates() {
        assert!((mb_per_s(100_000_000, 2.0) - 50.0).abs() < 1e-9);
        assert!((per_s(1000, 0.5) - 2000.0).abs() < 1e-9);
        assert!(mb_per_s(1, 0.0).abs() < f64::EPSILON);
        assert!(per_s(1, -1.0).abs() < f64::EPSILON);
    }

    #[test]
    fn device_paths() {
        assert_eq!(device_path("R"), r"\\.\R:");
        assert_eq!(device_path("r:"), r"\\.\R:");
        assert_eq!(device_path(r"\\.\q:"), r"\\.\Q:");
        assert_eq!(device_path(r"R:\"), r"\\.\R:");
        assert_eq!(
            device_path(r"\\.\GLOBALROOT\Device\Ramdisk0"),
            r"\\.\GLOBALROOT\Device\Ramdisk0"
        );
        assert_eq!(device_path("RR"), "RR");
        assert_eq!(device_path("1:"), "1:");
        assert_eq!(drive_letter("r"), Some('R'));
        assert_eq!(drive_letter(r"\\.\Q:"), Some('Q'));
        assert_eq!(drive_letter(r"\\.\GLOBALROOT\Device\Ramdisk0"), None);
    }

    #[test]
    fn serials() {
        assert_eq!(fmt_serial(0x1234_ABCD), "1234-ABCD");
        assert_eq!(fmt_serial(0), "0000-0000");
    }
}
