//! Serial-number arithmetic (RFC 1982) and RRSIG timestamps (RFC 4034 §3.2).

use std::cmp::Ordering;
use std::fmt;

/// A 32-bit serial number compared by RFC 1982 rules: SOA serials and RRSIG
/// inception/expiration times, which wrap every 2^32 seconds.
///
/// ```
/// use candor_wire::Serial;
/// assert!(Serial(1) > Serial(u32::MAX)); // 1 comes after the wrap
/// assert_eq!(Serial(0).partial_cmp(&Serial(1 << 31)), None); // undefined
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Serial(pub u32);

impl Serial {
    /// Add `n` (at most 2^31 - 1, RFC 1982 §3.1); larger values are clamped.
    pub fn plus(self, n: u32) -> Serial {
        Serial(self.0.wrapping_add(n.min(0x7fff_ffff)))
    }

    /// Signed distance from `other` to `self`, when it is defined.
    pub fn diff(self, other: Serial) -> Option<i64> {
        match self.partial_cmp(&other)? {
            Ordering::Equal => Some(0),
            Ordering::Greater => Some(i64::from(self.0.wrapping_sub(other.0))),
            Ordering::Less => Some(-i64::from(other.0.wrapping_sub(self.0))),
        }
    }
}

impl PartialOrd for Serial {
    /// `None` when the two are exactly 2^31 apart (RFC 1982 §3.2 leaves
    /// that comparison undefined).
    fn partial_cmp(&self, other: &Serial) -> Option<Ordering> {
        let d = self.0.wrapping_sub(other.0);
        match d {
            0 => Some(Ordering::Equal),
            0x8000_0000 => None,
            d if d < 0x8000_0000 => Some(Ordering::Greater),
            _ => Some(Ordering::Less),
        }
    }
}

/// Days since 1970-01-01 for a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date for days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Seconds since the epoch for `YYYYMMDDHHmmSS`, or `None` if it is not a
/// valid date and time. The caller reduces it modulo 2^32 for the wire.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    if text.len() != 14 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<i64>().ok());
    let (y, mo, d, h, mi, s) = (num(0..4)?, num(4..6)?, num(6..8)?, num(8..10)?, num(10..12)?, num(12..14)?);
    let month_days = [
        31,
        if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let max_day = *month_days.get(usize::try_from(mo - 1).ok()?)?;
    if !(1..=max_day).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// A wire timestamp as `YYYYMMDDHHmmSS`, read as a time between 1970 and
/// 2106 (the wire keeps it modulo 2^32).
pub struct Timestamp(pub u32);

impl Timestamp {
    /// Year, month, day, hour, minute, second (UTC).
    fn parts(&self) -> (i64, i64, i64, i64, i64, i64) {
        let t = i64::from(self.0);
        let (y, m, d) = civil_from_days(t.div_euclid(86_400));
        let secs = t.rem_euclid(86_400);
        (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
    }

    /// ISO 8601 in UTC, `YYYY-MM-DDTHH:MM:SSZ`: the form for messages to
    /// operators (the presentation form is `YYYYMMDDHHmmSS`).
    pub fn iso8601(&self) -> String {
        let (y, m, d, h, min, s) = self.parts();
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}Z")
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d, h, min, s) = self.parts();
        write!(f, "{y:04}{m:02}{d:02}{h:02}{min:02}{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1982_comparisons() {
        assert!(Serial(2) > Serial(1));
        assert!(Serial(0) > Serial(0xffff_ffff));
        assert!(Serial(0x7fff_ffff) > Serial(0));
        assert!(Serial(0x8000_0001) < Serial(0));
        assert_eq!(Serial(5).partial_cmp(&Serial(5 + 0x8000_0000)), None);
        assert_eq!(Serial(0xffff_fff0).plus(0x20), Serial(0x10));
        assert_eq!(Serial(10).diff(Serial(0xffff_fff6)), Some(20));
        assert_eq!(Serial(0xffff_fff6).diff(Serial(10)), Some(-20));
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("19700101000000"), Some(0));
        assert_eq!(parse_timestamp("20300101000000"), Some(1_893_456_000));
        assert_eq!(parse_timestamp("20000229120000"), Some(951_825_600));
        assert_eq!(parse_timestamp("19000229120000"), None);
        assert_eq!(parse_timestamp("20001301000000"), None);
        assert_eq!(Timestamp(1_893_456_000).to_string(), "20300101000000");
        assert_eq!(Timestamp(u32::MAX).to_string(), "21060207062815");
        for t in [0u32, 86_399, 951_825_600, 1_700_000_000, u32::MAX] {
            assert_eq!(parse_timestamp(&Timestamp(t).to_string()), Some(i64::from(t)));
        }
    }
}
