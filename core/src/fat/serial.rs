//! The volume serial number from the time of formatting, and the calendar math
//! behind it (the only copy: the driver, the formatter's callers and xtask use it).

/// Days from 1601-01-01 to 1970-01-01.
const DAYS_1601_TO_1970: i64 = 134_774;

/// The calendar fields of a Windows system time, as `TIME_FIELDS` holds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeFields {
    /// Year (1601..).
    pub year: u32,
    /// Month 1..=12.
    pub month: u32,
    /// Day 1..=31.
    pub day: u32,
    /// Hour 0..=23.
    pub hour: u32,
    /// Minute 0..=59.
    pub minute: u32,
    /// Second 0..=59.
    pub second: u32,
    /// Hundredths of a second 0..=99.
    pub hundredths: u32,
}

/// `RtlTimeToTimeFields`: a system time (100 ns units since 1601-01-01 UTC;
/// negative values are taken as 0) to calendar fields (proleptic Gregorian).
#[must_use]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::many_single_char_names,
    reason = "every value is range-limited; the names are the published algorithm's"
)]
pub const fn time_fields(system_time: i64) -> TimeFields {
    let ticks = if system_time < 0 { 0 } else { system_time };
    let seconds = ticks / 10_000_000;
    let hundredths = (ticks % 10_000_000) / 100_000;
    let days = seconds / 86_400;
    let of_day = seconds % 86_400;
    // Howard Hinnant's civil_from_days, shifted to the 1970 epoch; z > 0 always.
    let z = days - DAYS_1601_TO_1970 + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    TimeFields {
        year: year as u32,
        month: month as u32,
        day: day as u32,
        hour: (of_day / 3600) as u32,
        minute: (of_day / 60 % 60) as u32,
        second: (of_day % 60) as u32,
        hundredths: hundredths as u32,
    }
}

/// A volume serial number from the time of formatting.
///
/// Derived the way DOS and Windows `FORMAT` do:
/// high word = `(month << 8 | day) + (second << 8 | hundredths)`,
/// low word = `(hour << 8 | minute) + year`, each sum modulo 2^16.
///
/// `system_time` is `KeQuerySystemTime` (UTC) or its local-time conversion,
/// in 100 ns units since 1601-01-01.
#[must_use]
#[allow(clippy::cast_possible_truncation, reason = "the words wrap on purpose")]
pub const fn volume_serial_from_system_time(system_time: i64) -> u32 {
    let t = time_fields(system_time);
    let high = ((t.month << 8 | t.day) as u16).wrapping_add((t.second << 8 | t.hundredths) as u16);
    let low = ((t.hour << 8 | t.minute) as u16).wrapping_add(t.year as u16);
    (high as u32) << 16 | low as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn time_fields_and_serial() {
        // 2026-11-21 10:41:19.50 UTC.
        let t = 134_397_312_795_000_000;
        assert_eq!(
            time_fields(t),
            TimeFields {
                year: 2026,
                month: 11,
                day: 21,
                hour: 10,
                minute: 41,
                second: 19,
                hundredths: 50
            }
        );
        // (11<<8|21) + (19<<8|50) = 0x0B15 + 0x1332; (10<<8|41) + 2026 = 0x0A29 + 0x07EA.
        assert_eq!(volume_serial_from_system_time(t), 0x1E47_1213);
        // 1999-12-31 23:59:59.99 and a leap day.
        let t = time_fields(125_911_583_999_900_000);
        assert_eq!(
            (
                t.year,
                t.month,
                t.day,
                t.hour,
                t.minute,
                t.second,
                t.hundredths
            ),
            (1999, 12, 31, 23, 59, 59, 99)
        );
        let t = time_fields(133_536_384_000_000_000);
        assert_eq!((t.year, t.month, t.day, t.hour), (2024, 2, 29, 0));
        // The epoch, negative times, and the far end.
        let epoch = TimeFields {
            year: 1601,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            hundredths: 0,
        };
        assert_eq!(time_fields(0), epoch);
        assert_eq!(time_fields(-1), epoch);
        assert_eq!(time_fields(i64::MIN), epoch);
        assert_eq!(time_fields(i64::MAX).year, 30828);
        assert_eq!(volume_serial_from_system_time(0), (0x0101 << 16) | 0x0641);
    }

    proptest! {
        #[test]
        fn serial_is_total(t in any::<i64>()) {
            let f = time_fields(t);
            prop_assert!((1..=12).contains(&f.month) && (1..=31).contains(&f.day));
            prop_assert!(f.hour < 24 && f.minute < 60 && f.second < 60 && f.hundredths < 100);
            let _ = volume_serial_from_system_time(t);
        }
    }
}
