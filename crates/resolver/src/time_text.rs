//! Times as an operator reads them: wire timestamps in ISO 8601, spans of
//! seconds in their largest whole unit. Shared by failure texts, trace
//! lines and the diagnostics commands.

use candor_wire::Timestamp;

/// `YYYY-MM-DDTHH:MM:SSZ` for a wire timestamp.
pub fn iso(t: u32) -> String {
    Timestamp(t).iso8601()
}

/// A span of seconds (either sign) in its largest whole unit: "3 days",
/// "5 hours", "12 minutes", "40 seconds".
pub fn span(secs: i64) -> String {
    let a = secs.unsigned_abs();
    match a {
        a if a >= 2 * 86_400 => format!("{} days", a / 86_400),
        a if a >= 7200 => format!("{} hours", a / 3600),
        a if a >= 120 => format!("{} minutes", a / 60),
        a => format!("{a} seconds"),
    }
}

/// Seconds from `now` to wire time `t` (RFC 1982: the nearest such
/// instant), negative when `t` is past.
pub fn until(t: u32, now: u64) -> i64 {
    i64::from(t.wrapping_sub(now as u32) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_use_the_largest_whole_unit() {
        assert_eq!(span(-3 * 86_400), "3 days");
        assert_eq!(span(7200), "2 hours");
        assert_eq!(span(119), "119 seconds");
        assert_eq!(until(100, 160), -60);
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
    }
}
