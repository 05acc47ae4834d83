//! Numbers and money as people read them: thousands separators and exact
//! pounds. One place, so a table, a page and a workbook print the same figure
//! the same way.

use crate::money::Pence;

/// A whole number with thousands separators (`63,436,508`).
pub fn thousands(n: u64) -> String {
    grouped(n)
}

/// A number's text with thousands separators in its whole part
/// (`45139` → `45,139`, `46002.37` → `46,002.37`, `-1234` → `-1,234`).
pub fn grouped(number: impl std::fmt::Display) -> String {
    let text = number.to_string();
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match rest.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (rest, None),
    };
    let mut out = String::with_capacity(text.len() + whole.len() / 3);
    out.push_str(sign);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = fraction {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Exact pounds without a symbol or separators, for CSV and JSON:
/// `1234.56`, `-0.05`, `0.00` (from the pence, no float).
pub fn pounds_plain(amount: Pence) -> String {
    let sign = if amount.0 < 0 { "-" } else { "" };
    let abs = amount.0.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(63_436_508), "63,436,508");
        assert_eq!(grouped("46002.37"), "46,002.37");
        assert_eq!(grouped(-1234), "-1,234");
        assert_eq!(
            grouped(u128::MAX),
            "340,282,366,920,938,463,463,374,607,431,768,211,455"
        );
    }

    #[test]
    fn plain_pounds_are_exact() {
        assert_eq!(pounds_plain(Pence(123_456)), "1234.56");
        assert_eq!(pounds_plain(Pence(-5)), "-0.05");
        assert_eq!(pounds_plain(Pence(0)), "0.00");
        assert_eq!(pounds_plain(Pence(i64::MIN)), "-92233720368547758.08");
    }
}
