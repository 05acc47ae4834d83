//! What a reader carries while it walks a file: options, problems, notes,
//! counts and progress; and the cell parsers every reader shares.

use std::collections::HashMap;

use chrono::NaiveDate;
use csv::StringRecord;
use pcn_core::{CodeError, Decimal, PcnCode};

use crate::decode::{Col, Table};
use crate::error::Problems;
use crate::ImportOptions;

/// How a kind of code is read from a cell, such as [`PcnCode::parse`].
pub(crate) type ParseCode<T> = fn(&str) -> Result<T, CodeError>;

/// Progress is reported every this many rows.
const PROGRESS_EVERY: u64 = 8_192; // must be a power of two

pub(crate) struct Ctx<'a> {
    pub file: &'a str,
    pub opts: &'a ImportOptions,
    pub problems: Problems,
    pub notes: Vec<String>,
    /// Data rows read (not counting the header or blank lines).
    pub rows: u64,
    /// Data rows deliberately not turned into facts.
    pub skipped: u64,
    progress: &'a mut dyn FnMut(u64),
}

impl<'a> Ctx<'a> {
    pub fn new(file: &'a str, opts: &'a ImportOptions, progress: &'a mut dyn FnMut(u64)) -> Self {
        Self {
            file,
            opts,
            problems: Problems::new(file),
            notes: Vec::new(),
            rows: 0,
            skipped: 0,
            progress,
        }
    }

    /// Counts a data row and reports progress now and then.
    pub fn tick(&mut self) {
        self.rows = self.rows.saturating_add(1);
        // A power of two, so a mask (is_multiple_of needs Rust 1.87).
        if self.rows & (PROGRESS_EVERY - 1) == 0 {
            (self.progress)(self.rows);
        }
    }

    pub fn skip(&mut self) {
        self.skipped = self.skipped.saturating_add(1);
    }

    pub fn final_progress(&mut self) {
        (self.progress)(self.rows);
    }

    /// `parsed`, the value read from `raw` in `col`; when it is `None`, a
    /// problem on the cell saying `expected`.
    pub fn known<T>(
        &mut self,
        row: u64,
        col: &Col,
        raw: &str,
        parsed: Option<T>,
        expected: &str,
    ) -> Option<T> {
        if parsed.is_none() {
            self.problems.cell(row, &col.name, raw, expected);
        }
        parsed
    }

    /// A required code: blank or malformed is a problem.
    pub fn code<T>(&mut self, row: u64, col: &Col, raw: &str, parse: ParseCode<T>) -> Option<T> {
        match parse(raw) {
            Ok(code) => Some(code),
            Err(e) => {
                let message = if raw.trim().is_empty() {
                    format!("a {} code is required here", e.kind)
                } else {
                    format!("not a valid {} code ({})", e.kind, e.expected)
                };
                self.problems.cell(row, &col.name, raw, message);
                None
            }
        }
    }

    /// A required code in `col` of the row `rec` (see [`Ctx::code`]).
    pub fn code_in<T>(
        &mut self,
        row: u64,
        col: &Col,
        rec: &StringRecord,
        parse: ParseCode<T>,
    ) -> Option<T> {
        self.code(row, col, cell(rec, col), parse)
    }

    /// Whether `key` is met for the first time: recorded in `seen` as first
    /// on `row` and `true`; else `false` and a problem on its cell in `col`
    /// saying `what` is listed twice, with the row it was first on.
    pub fn first_listing<K: Eq + std::hash::Hash + Clone + std::fmt::Display>(
        &mut self,
        seen: &mut HashMap<K, u64>,
        key: &K,
        row: u64,
        col: &Col,
        what: &str,
    ) -> bool {
        if let Some(first) = seen.get(key) {
            self.problems.cell(
                row,
                &col.name,
                &key.to_string(),
                format!("{what} listed twice (first on row {first})"),
            );
            return false;
        }
        seen.insert(key.clone(), row);
        true
    }

    /// A required network code: blank, malformed or the `U` placeholder
    /// is a problem.
    pub fn network(&mut self, row: u64, col: &Col, raw: &str) -> Option<PcnCode> {
        let code = self.code(row, col, raw, PcnCode::parse)?;
        self.allocated(row, col, code)
    }

    /// `code` when it is a network; the `U` placeholder is a problem on its
    /// cell in `col`.
    pub fn allocated(&mut self, row: u64, col: &Col, code: PcnCode) -> Option<PcnCode> {
        if code.is_unallocated() {
            self.problems.cell(
                row,
                &col.name,
                code.as_str(),
                "U (Unallocated) is not a network",
            );
            return None;
        }
        Some(code)
    }

    /// An optional code: blank is `None`, malformed is a problem.
    pub fn opt_code<T>(
        &mut self,
        row: u64,
        col: Option<&Col>,
        rec: &StringRecord,
        parse: ParseCode<T>,
    ) -> Option<T> {
        let col = col?;
        let raw = cell(rec, col);
        if raw.is_empty() {
            return None;
        }
        self.code(row, col, raw, parse)
    }

    /// An optional date: blank is `Ok(None)`, unreadable is a problem (`Err`).
    pub fn opt_date(&mut self, row: u64, col: &Col, raw: &str) -> Result<Option<NaiveDate>, ()> {
        if raw.is_empty() {
            return Ok(None);
        }
        match pcn_core::dates::parse_date(raw) {
            Some(d) => Ok(Some(d)),
            None => {
                self.problems.cell(
                    row,
                    &col.name,
                    raw,
                    "not a date (expected YYYYMMDD, YYYY-MM-DD or 01Jul2026)",
                );
                Err(())
            }
        }
    }

    /// An optional date in an optional column of the row `rec`: no column
    /// or a blank cell is `Ok(None)`, unreadable is a problem (`Err`).
    pub fn opt_date_in(
        &mut self,
        row: u64,
        col: Option<&Col>,
        rec: &StringRecord,
    ) -> Result<Option<NaiveDate>, ()> {
        match col {
            Some(c) => self.opt_date(row, c, cell(rec, c)),
            None => Ok(None),
        }
    }

    /// A required date.
    pub fn date(&mut self, row: u64, col: &Col, raw: &str) -> Option<NaiveDate> {
        match self.opt_date(row, col, raw) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                self.problems
                    .cell(row, &col.name, raw, "a date is required here");
                None
            }
            Err(()) => None,
        }
    }

    /// A count of patients: a non-negative whole number.
    pub fn count(&mut self, row: u64, col: &Col, raw: &str) -> Option<u64> {
        let ok = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
        match raw.parse::<u64>() {
            Ok(n) if ok => Some(n),
            _ => {
                self.problems.cell(
                    row,
                    &col.name,
                    raw,
                    "not a count (a whole number of 0 or more is required)",
                );
                None
            }
        }
    }
}

impl<'a> Ctx<'a> {
    /// Calls `f` on each data row of `table` of the right width, counting
    /// progress; a row of the wrong width is a problem and is skipped. `f`
    /// returns false to stop.
    pub fn rows(
        &mut self,
        table: &Table,
        mut f: impl FnMut(&mut Ctx<'a>, u64, &StringRecord) -> bool,
    ) {
        table.for_each(|row, rec| {
            self.tick();
            if !table.check_width(row, rec, &mut self.problems) {
                return true;
            }
            f(self, row, rec)
        });
    }

    /// Notes `count` rows of a kind (`what`), when there are any.
    pub fn note_count<N: std::fmt::Display + Default + PartialOrd>(
        &mut self,
        count: N,
        what: &str,
    ) {
        if count > N::default() {
            self.notes.push(format!("{count} {what}"));
        }
    }

    /// The date the file's data describe: `--as-at`, else `file_date` (the
    /// latest date found in the file, described by `latest`), each noted.
    pub fn data_date(&mut self, file_date: Option<NaiveDate>, latest: &str) -> Option<NaiveDate> {
        match self.opts.as_at {
            Some(d) => {
                self.notes.push(format!("date {d} taken from --as-at"));
                Some(d)
            }
            None => {
                if let Some(d) = file_date {
                    self.notes.push(format!("date {d} is {latest}"));
                }
                file_date
            }
        }
    }

    /// The date a row without its own takes (`--as-at`, else today).
    pub fn default_date(&self) -> NaiveDate {
        self.opts.as_at.unwrap_or(self.opts.today)
    }

    /// The row's date in `col`, or [`Ctx::default_date`] (setting
    /// `defaulted`) where the column is missing or the cell blank; `None`
    /// (a problem noted) when the cell is not a date.
    pub fn date_or_default(
        &mut self,
        row: u64,
        col: Option<&Col>,
        rec: &StringRecord,
        defaulted: &mut bool,
    ) -> Option<NaiveDate> {
        let given = match col {
            Some(c) => self.opt_date(row, c, cell(rec, c)).ok()?,
            None => None,
        };
        if given.is_none() {
            *defaulted = true;
        }
        Some(given.unwrap_or(self.default_date()))
    }

    /// Notes that some rows took [`Ctx::default_date`]: `what` says what
    /// they took it as, and the note ends with where the date came from.
    pub fn note_defaulted(&mut self, what: &str) {
        let source = if self.opts.as_at.is_some() {
            "--as-at"
        } else {
            "today"
        };
        let date = self.default_date();
        self.notes.push(format!("{what} {date} ({source})"));
    }

    /// A required exact decimal (see [`parse_decimal`]); `negative` allows a
    /// leading minus (money can be a deduction, populations cannot).
    pub fn decimal(&mut self, row: u64, col: &Col, raw: &str, negative: bool) -> Option<Decimal> {
        match parse_decimal(raw) {
            Some(v) if negative || !v.is_sign_negative() || v.is_zero() => Some(v),
            Some(_) => {
                self.problems
                    .cell(row, &col.name, raw, "must not be negative");
                None
            }
            None => {
                let message = if raw.is_empty() {
                    "a number is required here"
                } else {
                    "not a number (digits with an optional decimal point, such as 1234.56)"
                };
                self.problems.cell(row, &col.name, raw, message);
                None
            }
        }
    }
}

/// An exact decimal as the files write it: optional `-`, digits (optionally
/// grouped in thousands with `,`), and an optional `.` fraction. No
/// exponents, currency signs or other separators; at most 28 digits.
pub(crate) fn parse_decimal(raw: &str) -> Option<Decimal> {
    let s = raw.trim();
    let (negative, unsigned) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let whole: String = if whole.contains(',') {
        let mut groups = whole.split(',');
        let first = groups.next().unwrap_or("");
        if !(digits(first) && first.len() <= 3) {
            return None;
        }
        let mut joined = first.to_string();
        for g in groups {
            if !(digits(g) && g.len() == 3) {
                return None;
            }
            joined.push_str(g);
        }
        joined
    } else {
        whole.to_string()
    };
    if !digits(&whole) || fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    let total_digits = whole.len() + fraction.map_or(0, str::len);
    if total_digits > 28 {
        return None;
    }
    let text = match fraction {
        Some(f) => format!("{}{whole}.{f}", if negative { "-" } else { "" }),
        None => format!("{}{whole}", if negative { "-" } else { "" }),
    };
    text.parse::<Decimal>().ok()
}

/// A cell, trimmed; blank when the record is short.
pub(crate) fn cell<'r>(rec: &'r StringRecord, col: &Col) -> &'r str {
    rec.get(col.idx).unwrap_or("").trim()
}

/// An optional column's cell as owned text; blank or absent is `None`.
pub(crate) fn text(rec: &StringRecord, col: Option<&Col>) -> Option<String> {
    let raw = cell(rec, col?);
    (!raw.is_empty()).then(|| raw.to_string())
}

/// `later` if it is later than `current`.
pub(crate) fn latest(current: &mut Option<NaiveDate>, candidate: Option<NaiveDate>) {
    if let Some(c) = candidate {
        if current.is_none_or(|d| c > d) {
            *current = Some(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        let p = |s: &str| parse_decimal(s).map(|d| d.to_string());
        assert_eq!(p("1234.56"), Some("1234.56".into()));
        assert_eq!(p(" 9000.125 "), Some("9000.125".into()));
        assert_eq!(p("-12.5"), Some("-12.5".into()));
        assert_eq!(p("1,234,567.89"), Some("1234567.89".into()));
        assert_eq!(p("0"), Some("0".into()));
        for bad in [
            "", "-", ".", "1.", ".5", "1e5", "1_000", "12,34", "£12", "1.2.3", "NaN", "+1",
            "1,2345",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
        assert_eq!(p(&"9".repeat(29)), None);
    }
}
