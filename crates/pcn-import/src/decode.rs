//! The decoding layer shared by every reader: bytes → text or workbook →
//! a [`Table`] of records with columns found by name.
//!
//! - gzip (magic `1f 8b`) is decompressed, refusing more than
//!   [`Limits::max_decompressed`] bytes (at most [`MAX_DECOMPRESSED`]) as
//!   soon as the output passes it, so a gzip bomb costs only that much;
//! - zip (magic `PK`) is read as an xlsx workbook with calamine, from memory,
//!   or, when it is not one, as an OpenDocument (.ods) spreadsheet (CQC
//!   publishes its locations file as .ods); a workbook whose zip directory
//!   declares more than the limit decompressed, or a sheet of more than
//!   [`Limits::max_rows`] rows, is refused;
//! - a UTF-8 byte-order mark is stripped; text that is not UTF-8 is decoded
//!   as Windows-1252 (the NHS website's GP.csv is);
//! - the delimiter is `¬` when the first line contains one (GP.csv, which is
//!   also unquoted), else `,` with the usual CSV quoting;
//! - blank lines (and rows whose cells are all blank) are skipped.
//!
//! Header names are matched after [`normalise`]: trimmed, runs of white
//! space (including the newlines inside ePCN.xlsx headers) and `_` collapsed
//! to one space, lower-cased.

use std::cell::Cell;
use std::io::{Cursor, Read};

use calamine::{Data, Ods, Reader, Xlsx};
use csv::StringRecord;

use crate::error::{ImportError, Problems};
use crate::Limits;

/// The most a gzip file may expand to (2 GiB); the national files are tens of MB.
pub const MAX_DECOMPRESSED: u64 = 2 * 1024 * 1024 * 1024;

/// A file's content once decompressed and decoded.
pub(crate) enum Decoded {
    Text(String),
    Workbook(Vec<Sheet>),
}

/// One worksheet: each non-empty row with its 1-based sheet row number.
pub(crate) struct Sheet {
    pub name: String,
    pub rows: Vec<(u64, Vec<String>)>,
}

pub(crate) fn decode(file: &str, bytes: &[u8], limits: &Limits) -> Result<Decoded, ImportError> {
    let inflated;
    let mut bytes = bytes;
    let cap = limits.max_decompressed.min(MAX_DECOMPRESSED);
    if bytes.starts_with(&[0x1f, 0x8b]) {
        inflated = gunzip(file, bytes, cap)?;
        bytes = &inflated;
    }
    if bytes.starts_with(b"PK") {
        check_zip_size(file, bytes, cap)?;
        return read_workbook(file, bytes, limits.max_rows).map(Decoded::Workbook);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    };
    Ok(Decoded::Text(text))
}

/// The message for data that expands past the cap.
pub(crate) fn too_large(what: &str, cap: u64) -> String {
    format!(
        "the {what} expands to more than {} MB, the most pcn reads from one file here; refusing to read it",
        pcn_core::text::thousands(cap >> 20)
    )
}

fn gunzip(file: &str, bytes: &[u8], cap: u64) -> Result<Vec<u8>, ImportError> {
    let mut out = Vec::new();
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    decoder
        .take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| {
            ImportError::whole_file(file, format!("the gzip data is damaged or truncated ({e})"))
        })?;
    if out.len() as u64 > cap {
        return Err(ImportError::whole_file(file, too_large("gzip data", cap)));
    }
    Ok(out)
}

/// Refuses a workbook whose parts, as its zip directory declares them,
/// add up to more than `cap` bytes decompressed, before calamine inflates
/// any of them. (A zip whose directory cannot be read is left to calamine,
/// which reports it.)
fn check_zip_size(file: &str, bytes: &[u8], cap: u64) -> Result<(), ImportError> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        if let Ok(part) = archive.by_index_raw(i) {
            total = total.saturating_add(part.size());
        }
    }
    if total > cap {
        return Err(ImportError::whole_file(file, too_large("workbook", cap)));
    }
    Ok(())
}

fn read_workbook(file: &str, bytes: &[u8], max_rows: u64) -> Result<Vec<Sheet>, ImportError> {
    // calamine is a large parser of untrusted zip/XML; a panic inside it must
    // not take the program down, so it is contained here and reported.
    let result = std::panic::catch_unwind(|| -> Result<Vec<Sheet>, String> {
        match Xlsx::new(Cursor::new(bytes)) {
            Ok(workbook) => sheets_of(workbook, max_rows),
            Err(xlsx_error) => match Ods::new(Cursor::new(bytes)) {
                Ok(workbook) => sheets_of(workbook, max_rows),
                Err(_) => Err(xlsx_error.to_string()),
            },
        }
    });
    match result {
        Ok(Ok(sheets)) => Ok(sheets),
        Ok(Err(e)) if e.starts_with(TOO_MANY_ROWS) => Err(ImportError::whole_file(
            file,
            crate::too_many_rows(max_rows),
        )),
        Ok(Err(e)) => Err(ImportError::whole_file(
            file,
            format!(
                "not a readable Excel (.xlsx) workbook or OpenDocument (.ods) spreadsheet: {e}"
            ),
        )),
        Err(_) => Err(ImportError::whole_file(
            file,
            "not a readable Excel (.xlsx) workbook or OpenDocument (.ods) spreadsheet (the \
             reader failed on it)",
        )),
    }
}

/// How `sheets_of` says a sheet had too many rows.
const TOO_MANY_ROWS: &str = "too many rows";

/// Every sheet of a workbook, keeping the non-empty rows with their numbers.
fn sheets_of<'b, R>(mut workbook: R, max_rows: u64) -> Result<Vec<Sheet>, String>
where
    R: Reader<Cursor<&'b [u8]>>,
    R::Error: std::fmt::Display,
{
    let mut sheets = Vec::new();
    for name in workbook.sheet_names() {
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| format!("sheet {name:?}: {e}"))?;
        let (first_row, _) = range.start().unwrap_or((0, 0));
        let mut rows = Vec::new();
        for (i, cells) in range.rows().enumerate() {
            let row: Vec<String> = cells.iter().map(cell_text).collect();
            if row.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let number = u64::from(first_row)
                .saturating_add(i as u64)
                .saturating_add(1);
            if rows.len() as u64 >= max_rows {
                return Err(format!("{TOO_MANY_ROWS} in sheet {name:?}"));
            }
            rows.push((number, row));
        }
        sheets.push(Sheet { name, rows });
    }
    Ok(sheets)
}

/// A cell as text: dates as ISO, whole numbers without a decimal point (so
/// a `YYYYMMDD` number reads like the text the file normally holds).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(d) => d.date().format("%Y-%m-%d").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::Error(e) => format!("#{e}"),
    }
}

/// A header name for matching.
pub fn normalise(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for word in header
        .split(|c: char| c.is_whitespace() || c == '_')
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// A header name for messages: as published, white space collapsed.
fn display_name(header: &str) -> String {
    header.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_blank(record: &StringRecord) -> bool {
    record.iter().all(|f| f.trim().is_empty())
}

#[derive(Clone, Copy)]
enum Body<'a> {
    Csv(&'a str),
    Caret(&'a str),
    Cells(&'a [(u64, Vec<String>)]),
}

/// A located column: its index and its name for messages.
#[derive(Debug, Clone)]
pub(crate) struct Col {
    pub idx: usize,
    pub name: String,
}

/// Records of one table (a CSV file or a worksheet), with its header.
pub(crate) struct Table<'a> {
    /// Header as published (white space collapsed); synthetic names for headerless files.
    pub header: Vec<String>,
    norm: Vec<String>,
    has_header: bool,
    body: Body<'a>,
    /// The worksheet, named in messages.
    sheet: Option<String>,
    /// The most data records `for_each` passes on.
    max_rows: u64,
    /// Whether `for_each` stopped at `max_rows` with records left.
    overflowed: Cell<bool>,
}

impl<'a> Table<'a> {
    /// A CSV text. With `header_names` the file is headerless and those are
    /// its column names; otherwise the first non-blank record is the header.
    pub fn from_text(text: &'a str, header_names: Option<Vec<String>>) -> Self {
        let first_line = text.lines().next().unwrap_or("");
        let body = if first_line.contains('¬') {
            Body::Caret(text)
        } else {
            Body::Csv(text)
        };
        Self::new(body, header_names)
    }

    pub fn from_sheet(sheet: &'a Sheet) -> Self {
        let mut table = Self::new(Body::Cells(&sheet.rows), None);
        table.sheet = Some(sheet.name.clone());
        table
    }

    /// Rows of a worksheet from its header row on (for sheets with title rows
    /// above the header).
    pub fn from_rows(sheet: &str, rows: &'a [(u64, Vec<String>)]) -> Self {
        let mut table = Self::new(Body::Cells(rows), None);
        table.sheet = Some(sheet.to_string());
        table
    }

    fn new(body: Body<'a>, header_names: Option<Vec<String>>) -> Self {
        let has_header = header_names.is_none();
        let header = match header_names {
            Some(names) => names,
            None => {
                let mut found = Vec::new();
                walk(body, &mut |_, rec| {
                    found = rec.iter().map(display_name).collect();
                    false
                });
                found
            }
        };
        let norm = header.iter().map(|h| normalise(h)).collect();
        Self {
            header,
            norm,
            has_header,
            body,
            sheet: None,
            max_rows: u64::MAX,
            overflowed: Cell::new(false),
        }
    }

    /// Stops `for_each` after `max_rows` data records (see [`Table::overflowed`]).
    pub fn with_max_rows(mut self, max_rows: u64) -> Self {
        self.max_rows = max_rows;
        self
    }

    /// Whether a walk stopped at the row limit with records left.
    pub fn overflowed(&self) -> bool {
        self.overflowed.get()
    }

    /// `where` for messages: nothing for a CSV, ` in sheet X` for a worksheet.
    fn place(&self) -> String {
        self.sheet
            .as_ref()
            .map(|s| format!(" in sheet {s:?}"))
            .unwrap_or_default()
    }

    /// The header's normalised names.
    pub fn normalised(&self) -> &[String] {
        &self.norm
    }

    /// The first column whose header matches any alias.
    pub fn col(&self, aliases: &[&str]) -> Option<Col> {
        aliases.iter().find_map(|alias| {
            let n = normalise(alias);
            self.norm.iter().position(|h| *h == n).map(|idx| Col {
                idx,
                name: match &self.sheet {
                    Some(sheet) => format!(
                        "{} (sheet {sheet})",
                        self.header.get(idx).map_or("", String::as_str)
                    ),
                    None => self.header.get(idx).cloned().unwrap_or_default(),
                },
            })
        })
    }

    /// Like [`Table::col`] but records a problem naming the column and the
    /// header found when it is missing.
    pub fn require(&self, aliases: &[&str], problems: &mut Problems) -> Option<Col> {
        let col = self.col(aliases);
        if col.is_none() {
            problems.whole_file(missing_column(aliases, &self.place(), &self.header));
        }
        col
    }

    /// Every column of `required` (each a list of aliases, as for
    /// [`Table::require`]), in order; `None` when any is missing, after
    /// recording a problem for each one that is.
    pub fn require_all<const N: usize>(
        &self,
        required: [&[&str]; N],
        problems: &mut Problems,
    ) -> Option<[Col; N]> {
        let cols = required.map(|aliases| self.require(aliases, problems));
        if cols.iter().any(Option::is_none) {
            return None;
        }
        Some(cols.map(Option::unwrap))
    }

    /// Calls `f` with each non-blank data record and its row number; stops
    /// early when `f` returns false.
    pub fn for_each(&self, mut f: impl FnMut(u64, &StringRecord) -> bool) {
        let mut skip = self.has_header;
        let mut seen: u64 = 0;
        walk(self.body, &mut |line, rec| {
            if skip {
                skip = false;
                return true;
            }
            if seen >= self.max_rows {
                self.overflowed.set(true);
                return false;
            }
            seen += 1;
            f(line, rec)
        });
    }

    /// Records a problem and returns false when a record has the wrong number of fields.
    pub fn check_width(&self, row: u64, rec: &StringRecord, problems: &mut Problems) -> bool {
        if rec.len() == self.header.len() {
            return true;
        }
        problems.row(
            row,
            format!(
                "has {} fields but {} are expected{} (is the file truncated or a value unquoted?)",
                rec.len(),
                self.header.len(),
                self.place()
            ),
        );
        false
    }
}

/// Walks the non-blank records of a body.
fn walk(body: Body<'_>, f: &mut dyn FnMut(u64, &StringRecord) -> bool) {
    let mut record = StringRecord::new();
    match body {
        Body::Csv(text) => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes());
            // Records are read from a `str`, so fields split at ASCII bytes
            // are valid UTF-8 and reading cannot fail; stop if it ever does.
            // The line of a record is counted from its byte offset: the csv
            // crate's own line count is one short after a CRLF line ending
            // (and its byte offset points at the LF).
            let (mut counted_to, mut line) = (0usize, 1u64);
            while let Ok(true) = reader.read_record(&mut record) {
                if is_blank(&record) {
                    continue;
                }
                let mut start = record.position().map_or(counted_to, |p| {
                    usize::try_from(p.byte()).unwrap_or(counted_to)
                });
                // After a CRLF the reported start is the LF: step past line endings.
                while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
                    start += 1;
                }
                if let Some(between) = text.as_bytes().get(counted_to..start) {
                    let newlines = between.iter().filter(|b| **b == b'\n').count();
                    line = line.saturating_add(newlines as u64);
                    counted_to = start;
                }
                if !f(line, &record) {
                    return;
                }
            }
        }
        Body::Caret(text) => {
            for (i, line) in text.split('\n').enumerate() {
                let line = line.strip_suffix('\r').unwrap_or(line);
                record.clear();
                for field in line.split('¬') {
                    record.push_field(field);
                }
                if is_blank(&record) {
                    continue;
                }
                if !f((i as u64).saturating_add(1), &record) {
                    return;
                }
            }
        }
        Body::Cells(rows) => {
            for (number, cells) in rows {
                record.clear();
                for cell in cells {
                    record.push_field(cell);
                }
                if !f(*number, &record) {
                    return;
                }
            }
        }
    }
}

/// The first non-blank record of a text, for detection.
pub(crate) fn first_record(text: &str) -> Option<StringRecord> {
    let mut first = None;
    let table = Table::from_text(text, Some(Vec::new()));
    table.for_each(|_, rec| {
        first = Some(rec.clone());
        false
    });
    first
}

/// The problem of a required column (`aliases`, the usual name first) that
/// is not in `header`; `place` says where the header was looked for.
pub(crate) fn missing_column(aliases: &[&str], place: &str, header: &[String]) -> String {
    let also = if aliases.len() > 1 {
        format!(" (or {})", aliases[1..].join(", "))
    } else {
        String::new()
    };
    format!(
        "required column {}{also} is missing{place}; the header found is: {}",
        aliases.first().copied().unwrap_or_default(),
        header.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_normalisation() {
        assert_eq!(
            normalise(" Practice to PCN\nRelationship\nStart Date "),
            "practice to pcn relationship start date"
        );
        assert_eq!(normalise("SUB_ICB_LOCATION_CODE"), "sub icb location code");
        assert_eq!(
            normalise("Practice Sub ICB Loc and PCN Sub ICB Loc Match "),
            "practice sub icb loc and pcn sub icb loc match"
        );
    }

    #[test]
    fn caret_and_blank_lines() {
        let text = "A¬B\r\n\r\n1¬2\r\n";
        let t = Table::from_text(text, None);
        assert_eq!(t.header, vec!["A", "B"]);
        let mut rows = Vec::new();
        t.for_each(|line, rec| {
            rows.push((line, rec.iter().map(str::to_string).collect::<Vec<_>>()));
            true
        });
        assert_eq!(rows, vec![(3, vec!["1".to_string(), "2".to_string()])]);
    }

    #[test]
    fn windows_1252_and_bom() {
        let Decoded::Text(t) = decode("f", b"\xEF\xBB\xBFa,b", &Limits::default())
            .ok()
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(t, "a,b");
        let Decoded::Text(t) = decode("f", b"x\xACy", &Limits::default()).ok().unwrap() else {
            panic!()
        };
        assert_eq!(t, "x¬y");
    }
}
#[cfg(test)]
mod line_numbers {
    #[test]
    fn crlf_and_lf_give_the_same_rows() {
        for text in [
            "a,b\r\n1,2\r\n\r\n\"x\r\ny\",4\r\n5,6\r\n",
            "a,b\n1,2\n\n\"x\ny\",4\n5,6\n",
        ] {
            let t = super::Table::from_text(text, None);
            let mut rows = Vec::new();
            t.for_each(|line, _| {
                rows.push(line);
                true
            });
            assert_eq!(rows, vec![2, 4, 6], "{text:?}");
        }
    }
}

/// Column names of the commissioner geography across the eras (sub-ICB
/// locations and ICBs since July 2022; CCGs and STPs before), shared by the
/// registration map and the GPAD mapping.
pub(crate) mod geography {
    pub const SUB_ICB_CODE: &[&str] = &["SUB_ICB_LOCATION_CODE", "SUB_ICB_CODE", "CCG_CODE"];
    pub const SUB_ICB_NAME: &[&str] = &["SUB_ICB_LOCATION_NAME", "SUB_ICB_NAME", "CCG_NAME"];
    pub const ICB_CODE: &[&str] = &["ICB_CODE", "STP_CODE"];
    pub const ICB_NAME: &[&str] = &["ICB_NAME", "STP_NAME"];

    use csv::StringRecord;
    use pcn_core::{IcbCode, PracticeFact, RegionCode, SubIcbCode};

    use super::{Col, Table};
    use crate::ctx::{text, Ctx};

    /// A table's commissioner geography columns (each optional).
    pub struct Columns {
        sub_icb: Option<Col>,
        sub_icb_name: Option<Col>,
        icb: Option<Col>,
        icb_name: Option<Col>,
        region: Option<Col>,
        region_name: Option<Col>,
    }

    /// One row's commissioner codes, read (and their problems noted) before
    /// the row's practice is known to be good.
    pub struct Codes {
        sub_icb: Option<SubIcbCode>,
        icb: Option<IcbCode>,
        region: Option<RegionCode>,
    }

    impl Columns {
        /// The columns of `table`; the region's code and name by the aliases
        /// given, first preferred.
        pub fn find(table: &Table, region: [&str; 2], region_name: [&str; 2]) -> Columns {
            Columns {
                sub_icb: table.col(SUB_ICB_CODE),
                sub_icb_name: table.col(SUB_ICB_NAME),
                icb: table.col(ICB_CODE),
                icb_name: table.col(ICB_NAME),
                region: table.col(&region),
                region_name: table.col(&region_name),
            }
        }

        pub fn codes(&self, ctx: &mut Ctx, row: u64, rec: &StringRecord) -> Codes {
            Codes {
                sub_icb: ctx.opt_code(row, self.sub_icb.as_ref(), rec, SubIcbCode::parse),
                icb: ctx.opt_code(row, self.icb.as_ref(), rec, IcbCode::parse),
                region: ctx.opt_code(row, self.region.as_ref(), rec, RegionCode::parse),
            }
        }

        /// Sets the practice's geography: the row's codes and names.
        pub fn set(&self, fact: &mut PracticeFact, codes: Codes, rec: &StringRecord) {
            fact.sub_icb = codes.sub_icb;
            fact.sub_icb_name = text(rec, self.sub_icb_name.as_ref());
            fact.icb = codes.icb;
            fact.icb_name = text(rec, self.icb_name.as_ref());
            fact.region = codes.region;
            fact.region_name = text(rec, self.region_name.as_ref());
        }
    }
}
