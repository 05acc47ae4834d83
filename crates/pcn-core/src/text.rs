//! Numbers and money as people read them: thousands separators and exact
//! pounds. One place, so a table, a page and a workbook print the same figure
//! the same way. And text as people type it: [`check_line`] refuses what a
//! name, a reference or a note may not hold.

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

/// A change with thousands separators and its sign (`+1,234`, `-56`,
/// `0`); blank when there is none.
pub fn signed(change: Option<i64>) -> String {
    match change {
        Some(n) if n > 0 => format!("+{}", grouped(n)),
        Some(n) => grouped(n),
        None => String::new(),
    }
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

/// Why a line of typed text (a name, a reference, a note) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field} is empty")]
    Empty { field: &'static str },
    #[error("{field} is {chars} characters long; at most {max} are allowed")]
    TooLong {
        field: &'static str,
        chars: usize,
        max: usize,
    },
    #[error("{field} contains a control or direction-changing character (U+{code:04X}) at character {at}: write it as plain text on one line")]
    Control {
        field: &'static str,
        code: u32,
        at: usize,
    },
}

/// Whether a character may not appear in a line of typed text: control
/// characters (line breaks, tabs, escapes), and the Unicode marks that
/// reverse the direction text is shown in, which can make a name read as
/// something else.
fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A line of typed text, trimmed: refused when empty, longer than `max`
/// characters (characters, not bytes), or holding a control character.
pub fn check_line<'a>(
    field: &'static str,
    value: &'a str,
    max: usize,
) -> Result<&'a str, TextError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(TextError::Empty { field });
    }
    if let Some((at, c)) = value.chars().enumerate().find(|(_, c)| forbidden(*c)) {
        return Err(TextError::Control {
            field,
            code: u32::from(c),
            at: at + 1,
        });
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(TextError::TooLong { field, chars, max });
    }
    Ok(value)
}

/// Like [`check_line`], but blank is `None`.
pub fn check_opt_line<'a>(
    field: &'static str,
    value: Option<&'a str>,
    max: usize,
) -> Result<Option<&'a str>, TextError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => check_line(field, v, max).map(Some),
    }
}

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn names_with_control_characters_or_too_long_are_refused() {
        assert_eq!(
            check_line("name", "  Dr Ada Lovelace ", 64),
            Ok("Dr Ada Lovelace")
        );
        // Length is in characters: 64 accented letters are 128 bytes.
        assert_eq!(
            check_line("name", &"é".repeat(64), 64).map(str::len),
            Ok(128)
        );
        assert_eq!(
            check_line("name", &"é".repeat(65), 64),
            Err(TextError::TooLong {
                field: "name",
                chars: 65,
                max: 64
            })
        );
        assert_eq!(
            check_line("name", "   ", 64),
            Err(TextError::Empty { field: "name" })
        );
        for (bad, code) in [
            ("Dr A\nSmith", 0x0A),
            ("Dr A\tSmith", 0x09),
            ("Dr\u{1b}[31m", 0x1B),
            ("Dr \u{202E}htimS", 0x202E),
            ("a\u{85}b", 0x85),
        ] {
            assert!(
                matches!(check_line("name", bad, 64), Err(TextError::Control { code: c, .. }) if c == code),
                "{bad:?}"
            );
        }
        assert_eq!(check_opt_line("name", Some("  "), 64), Ok(None));
        assert_eq!(check_opt_line("name", None, 64), Ok(None));
        assert!(check_opt_line("name", Some("x\ny"), 64).is_err());
    }
}
