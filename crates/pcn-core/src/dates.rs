//! Dates as the official files write them, and as people type them.
//!
//! Files use several formats ([`parse_date`]); a person typing a date (a
//! form, the JSON API, a command-line flag) uses one, `YYYY-MM-DD`, within
//! a range that makes sense for the NHS ([`parse_user_date`]), so a typo
//! such as `+262142-06-01` or `20266-01-01` is refused at the edge instead of
//! reaching the money.

use chrono::NaiveDate;

/// Parses the date formats found in NHS files: ISO `2026-07-01`, ODS
/// `20260701`, the registration files' `01Jul2026` / `01JUL2026`, and
/// `01/07/2026` (day first, as in English files). Anything else is `None`.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let s = raw.trim();
    // Every format starts with a digit; chrono's `%Y` would also take a
    // sign and a year of any length (`+262142-06-01`).
    if s.is_empty() || s.len() > 32 || !s.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    // Strip a time part such as "2026-07-01 00:00:00" or "2026-07-01T00:00:00"
    // (a `T` only after an ISO date: `01OCT2025` has one in its month).
    let s = s.split(' ').next().unwrap_or(s);
    let s = match s.as_bytes().get(10) {
        Some(b'T') => s.get(..10).unwrap_or(s),
        _ => s,
    };
    if s.len() == 10 && s.as_bytes().get(4) == Some(&b'-') {
        return NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
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

/// The earliest date a person may type: the NHS's first day.
pub fn first_user_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1948, 7, 5).unwrap_or(NaiveDate::MIN)
}

/// The latest date a person may type.
pub fn last_user_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2099, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Why a typed date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("{0:?} is not a date: write it as YYYY-MM-DD, e.g. 2026-04-01")]
    NotADate(String),
    #[error("{date} is outside the dates pcn accepts ({first} to {last})")]
    OutOfRange {
        date: NaiveDate,
        first: NaiveDate,
        last: NaiveDate,
    },
}

/// A date as a person types it: exactly `YYYY-MM-DD` (white space around
/// it ignored), from 1948-07-05 to 2099-12-31.
pub fn parse_user_date(raw: &str) -> Result<NaiveDate, DateError> {
    let s = raw.trim();
    let shown = || DateError::NotADate(s.chars().take(40).collect());
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(shown());
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| shown())?;
    let (first, last) = (first_user_date(), last_user_date());
    if date < first || date > last {
        return Err(DateError::OutOfRange { date, first, last });
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Asserts each `(text, date)`: what [`parse_date`] reads.
    fn assert_dates(cases: &[(&str, Option<NaiveDate>)]) {
        for &(text, date) in cases {
            assert_eq!(parse_date(text), date, "{text:?}");
        }
    }

    #[test]
    fn formats() {
        assert_dates(&[
            ("2026-07-01", Some(d(2026, 7, 1))),
            ("20260701", Some(d(2026, 7, 1))),
            ("01Jul2026", Some(d(2026, 7, 1))),
            ("01JUL2026", Some(d(2026, 7, 1))),
            ("02OCT2023", Some(d(2023, 10, 2))),
            ("2026-07-01T09:30:00", Some(d(2026, 7, 1))),
            ("01/07/2026", Some(d(2026, 7, 1))),
            ("2026-07-01 00:00:00", Some(d(2026, 7, 1))),
            ("01-Jul-2026", Some(d(2026, 7, 1))),
            ("", None),
            ("20261301", None),
            ("31Feb2026", None),
            ("yesterday", None),
        ]);
    }

    #[test]
    fn a_year_with_a_sign_or_six_digits_is_not_a_date() {
        assert_dates(&[
            ("+262142-06-01", None),
            ("-2026-06-01", None),
            ("262142-06-01", None),
            ("20266-01-01", None),
        ]);
    }

    #[test]
    fn typed_dates_have_one_format_and_a_sane_range() {
        assert_eq!(parse_user_date(" 2026-04-01 "), Ok(d(2026, 4, 1)));
        assert_eq!(parse_user_date("1948-07-05"), Ok(d(1948, 7, 5)));
        assert_eq!(parse_user_date("2099-12-31"), Ok(d(2099, 12, 31)));
        for bad in [
            "+262142-06-01",
            "20260401",
            "01/04/2026",
            "2026-4-1",
            "2026-02-30",
            "",
            "2026-04-01T00:00",
            "２０２６-04-01",
        ] {
            assert!(
                matches!(parse_user_date(bad), Err(DateError::NotADate(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse_user_date("1900-01-01"),
            Err(DateError::OutOfRange { .. })
        ));
        assert!(matches!(
            parse_user_date("9999-12-31"),
            Err(DateError::OutOfRange { .. })
        ));
    }
}
