//! Dates as the official files write them.

use chrono::NaiveDate;

/// Parses the date formats found in NHS files: ISO `2026-07-01`, ODS
/// `20260701`, the registration files' `01Jul2026` / `01JUL2026`, and
/// `01/07/2026` (day first, as in English files). Anything else is `None`.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 32 {
        return None;
    }
    // Strip a time part such as "2026-07-01 00:00:00" or "2026-07-01T00:00:00"
    // (a `T` only after an ISO date: `01OCT2025` has one in its month).
    let s = s.split(' ').next().unwrap_or(s);
    let s = match s.as_bytes().get(10) {
        Some(b'T') => s.get(..10).unwrap_or(s),
        _ => s,
    };
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(s, "%Y%m%d").ok();
    }
    if s.len() == 9 && s.as_bytes()[2].is_ascii_alphabetic() {
        // 01Jul2026: chrono's %b is case-insensitive.
        return NaiveDate::parse_from_str(s, "%d%b%Y").ok();
    }
    if s.contains('/') {
        return NaiveDate::parse_from_str(s, "%d/%m/%Y").ok();
    }
    if s.contains('-') {
        return NaiveDate::parse_from_str(s, "%d-%b-%Y").ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn formats() {
        assert_eq!(parse_date("2026-07-01"), Some(d(2026, 7, 1)));
        assert_eq!(parse_date("20260701"), Some(d(2026, 7, 1)));
        assert_eq!(parse_date("01Jul2026"), Some(d(2026, 7, 1)));
        assert_eq!(parse_date("01JUL2026"), Some(d(2026, 7, 1)));
        assert_eq!(parse_date("02OCT2023"), Some(d(2023, 10, 2)));
        assert_eq!(parse_date("2026-07-01T09:30:00"), Some(d(2026, 7, 1)));
        assert_eq!(parse_date("01/07/2026"), Some(d(2026, 7, 1)));
        assert_eq!(parse_date("2026-07-01 00:00:00"), Some(d(2026, 7, 1)));
        assert_eq!(parse_date("01-Jul-2026"), Some(d(2026, 7, 1)));
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("20261301"), None);
        assert_eq!(parse_date("31Feb2026"), None);
        assert_eq!(parse_date("yesterday"), None);
    }
}
