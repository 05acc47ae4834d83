//! The one CSV writer of every export. It escapes a text cell that a
//! spreadsheet would run as a formula (one starting with `=`, `+`, `-`, `@`,
//! a tab or a carriage return) by putting an apostrophe before it, as OWASP
//! advises, so a practice or person named `=HYPERLINK(…)` stays text.
//! Numbers (`-0.05`, `+12`) are left alone: a spreadsheet reads them as
//! numbers, never as formulas, and finance systems need them as they are.

use std::borrow::Cow;

use crate::Result;

/// Whether `text` is a plain decimal number (an optional sign, digits, an
/// optional fraction).
fn is_number(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// A cell as it is safe to write: unchanged, or with an apostrophe before a
/// leading formula character.
pub fn safe_cell(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_number(text) => {
            Cow::Owned(format!("'{text}"))
        }
        _ => Cow::Borrowed(text),
    }
}

/// A CSV being written in memory.
pub struct CsvOut {
    writer: ::csv::Writer<Vec<u8>>,
}

impl Default for CsvOut {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvOut {
    pub fn new() -> CsvOut {
        CsvOut {
            writer: ::csv::Writer::from_writer(Vec::new()),
        }
    }

    /// Writes one row, every cell made safe.
    pub fn row<I, S>(&mut self, cells: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| safe_cell(c.as_ref()).into_owned())
            .collect();
        self.writer.write_record(&cells)?;
        Ok(())
    }

    /// The text written.
    pub fn finish(self) -> Result<String> {
        let bytes = self
            .writer
            .into_inner()
            .map_err(|e| ::csv::Error::from(e.into_error()))?;
        // Every cell came in as UTF-8, so the whole is UTF-8.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_escaped_and_numbers_kept() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://evil\")",
                "'=HYPERLINK(\"http://evil\")",
            ),
            ("+cmd", "'+cmd"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-0.05", "-0.05"),
            ("+12", "+12"),
            ("1234.56", "1234.56"),
            ("Dr A Smith", "Dr A Smith"),
            ("", ""),
            ("-", "'-"),
        ] {
            assert_eq!(safe_cell(cell), written, "{cell:?}");
        }
    }

    #[test]
    fn rows_are_written_safely() {
        let mut out = CsvOut::new();
        out.row(["name", "amount"]).unwrap();
        out.row(["=1+1", "-5.00"]).unwrap();
        assert_eq!(out.finish().unwrap(), "name,amount\n'=1+1,-5.00\n");
    }
}
