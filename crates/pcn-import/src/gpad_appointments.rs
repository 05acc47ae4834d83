//! Appointments in General Practice (GPAD) counts at practice and sub-ICB
//! level, read as published, by header name across the editions:
//!
//! | kind | file | area, period |
//! |---|---|---|
//! | `gpad-practice-appointments` | `Practice_Level_Crosstab_<Mon>_<YY>.csv` | practice, month |
//! | `gpad-sub-icb-monthly` | `Regional_CSV_<area>.csv` (sub-ICB and CCG eras) | sub-ICB or CCG, month |
//! | `gpad-sub-icb-daily` | `SUB_ICB_LOCATION_CSV_*`, `CCG_CSV_*` in the daily zips | sub-ICB or CCG, day |
//! | `gpad-pcn-appointments` | the PCN-level file (appointments networks deliver) | sub-ICB, month |
//!
//! Headers (columns are found by name: case, `_` and spaces do not matter):
//!
//! - practice crosstab (**verified**, August 2025): `APPOINTMENT_MONTH_START_DATE,
//!   GP_CODE, GP_NAME, SUPPLIER, PCN_CODE, PCN_NAME, SUB_ICB_LOCATION_CODE,
//!   SUB_ICB_LOCATION_NAME, HCP_TYPE, APPT_MODE, NATIONAL_CATEGORY,
//!   TIME_BETWEEN_BOOK_AND_APPT, COUNT_OF_APPOINTMENTS, APPT_STATUS`; the
//!   month as `01AUG2025`.
//! - Regional CSV, sub-ICB era (**verified**, August 2025 edition):
//!   `SUB_ICB_LOCATION_CODE, SUB_ICB_LOCATION_ONS_CODE, SUB_ICB_LOCATION_NAME,
//!   ICB_ONS_CODE, ICB_NAME, REGION_ONS_CODE, REGION_NAME, APPOINTMENT_MONTH,
//!   APPT_STATUS, HCP_TYPE, APPT_MODE, TIME_BETWEEN_BOOK_AND_APPT,
//!   COUNT_OF_APPOINTMENTS`, the month as `MAR2023`; CCG era (**verified**,
//!   June 2019 edition): `CCG_CODE, CCG_ONS_CODE, CCG_NAME, STP_CODE, STPNM,
//!   REGIONAL_LOCAL_OFFICE_ONS_CODE, REGIONAL_LOCAL_OFFICE_NAME,
//!   REGION_ONS_CODE, REGION_NAME, Appointment_Month, …` with `JAN2018`.
//! - PCN-level file (**verified** in a secondary copy, April 2024): the
//!   sub-ICB Regional CSV header with the month as `01APR2023` and the
//!   status `Booked` besides the usual ones. Its header cannot be told from
//!   the Regional CSV's, so it is recognised by its name (which must contain
//!   `PCN`); a `Booked` status in a file not so named is refused.
//! - daily files (**not verified** against an official copy; headers as
//!   third-party readers of them list them): `SUB_ICB_LOCATION_CODE,
//!   SUB_ICB_LOCATION_ONS_CODE, SUB_ICB_LOCATION_NAME, ICB_ONS_CODE,
//!   REGION_ONS_CODE, Appointment_Date, APPT_STATUS, HCP_TYPE, APPT_MODE,
//!   TIME_BETWEEN_BOOK_AND_APPT, COUNT_OF_APPOINTMENTS` and the CCG-era
//!   `CCG_CODE, CCG_ONS_CODE, CCG_NAME, STP_CODE|STP_ONS_CODE, …,
//!   Appointment_Date, …`, the date as `01NOV2020`. The Wakefield copy in the
//!   real data renames them (`organisation_code, organisation_name,
//!   appointment_date, appointment_status, hcp_type, appointment_mode,
//!   time_between_book_and_appointment, count_of_appointments`, ISO dates);
//!   those names are accepted too.
//!
//! Labels of status, staff, mode and booking interval are read across their
//! renames (see `pcn_core::gpad_facts`). Counts are whole numbers.
//!
//! Rows of the same area, month and combination are summed: a practice is
//! listed once per GP system supplier, and a daily file has a row per day.
//! The same row twice (the same supplier, or the same day) is a problem. A
//! daily file is summed to months as it is read. The table keeps the
//! national category of the practice crosstab.
//!
//! The **edition** (the publication month) is `--as-at` when given; else a
//! month in the file's path that is not earlier than its newest month of
//! data (`Practice_Level_Crosstab_Aug_25.csv`, `regional_tabs_aug2025/`);
//! else the newest month of data, since an edition is named for its newest
//! month.
//!
//! A practice crosstab also says which network each practice was in: each
//! practice gives a [`MembershipObservation`] dated the first day of the
//! newest month, as the GPAD `Mapping.csv` of the same edition does.
//!
//! These files are large (a national practice month is about 1.5 million
//! rows), so they are streamed (the crate's `stream` module): memory grows
//! with the rows (32 bytes each while read, 24 kept), not with the file.

use std::collections::HashMap;
use std::io::{Read, Write};

use chrono::{Datelike, NaiveDate};
use pcn_core::arrs::YearMonth;
use pcn_core::gpad_facts::{
    AppointmentArea, AppointmentRow, AppointmentSetting, AppointmentTable, ApptMode, ApptStatus,
    BookingInterval, EditionBasis, GpadEdition, Granularity, HcpType,
};
use pcn_core::{FactBatch, MembershipObservation, PcnCode, PracticeCode, SourceKind, SubIcbCode};

use crate::ctx::Ctx;
use crate::decode::{missing_column, normalise, Col};
use crate::stream::Records;

const SUB_ICB: &[&str] = &[
    "SUB_ICB_LOCATION_CODE",
    "SUB_ICB_CODE",
    "CCG_CODE",
    "organisation_code",
];
const MONTH: &[&str] = &["APPOINTMENT_MONTH_START_DATE", "APPOINTMENT_MONTH"];
const DATE: &[&str] = &["Appointment_Date"];
const STATUS: &[&str] = &["APPT_STATUS", "appointment_status"];
const HCP: &[&str] = &["HCP_TYPE"];
const MODE: &[&str] = &["APPT_MODE", "appointment_mode"];
const INTERVAL: &[&str] = &[
    "TIME_BETWEEN_BOOK_AND_APPT",
    "time_between_book_and_appointment",
];
const COUNT: &[&str] = &["COUNT_OF_APPOINTMENTS"];
const CATEGORY: &[&str] = &["NATIONAL_CATEGORY"];
const PRACTICE: &[&str] = &["GP_CODE"];
const PCN: &[&str] = &["PCN_CODE"];
const SUPPLIER: &[&str] = &["SUPPLIER"];

/// The kind of GPAD count file a header (normalised names) belongs to.
pub(crate) fn kind_of(file_name: &str, has: &dyn Fn(&str) -> bool) -> Option<SourceKind> {
    let any = |aliases: &[&str]| aliases.iter().any(|a| has(&normalise(a)));
    if !any(COUNT) {
        return None;
    }
    if any(PRACTICE) && any(MONTH) {
        return Some(SourceKind::GpadPracticeAppointments);
    }
    if !any(SUB_ICB) {
        return None;
    }
    if any(DATE) {
        return Some(SourceKind::GpadSubIcbDaily);
    }
    if any(MONTH) {
        return Some(if names_pcn(file_name) {
            SourceKind::GpadPcnAppointments
        } else {
            SourceKind::GpadSubIcbMonthly
        });
    }
    None
}

/// Whether a file's name (not its folders) says it is the PCN-level file.
fn names_pcn(file_name: &str) -> bool {
    file_name
        .rsplit(['/', '\\'])
        .next()
        .is_some_and(|n| n.to_ascii_lowercase().contains("pcn"))
}

/// The header of a streamed file.
struct Header {
    names: Vec<String>,
    norm: Vec<String>,
    /// The first and last free-text name columns (`…_NAME`, `STPNM`): a
    /// name with an unquoted comma shifts the columns after it.
    names_span: Option<(usize, usize)>,
}

impl Header {
    fn new(names: Vec<String>) -> Self {
        let names: Vec<String> = names
            .iter()
            .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        let norm: Vec<String> = names.iter().map(|n| normalise(n)).collect();
        let name_cols: Vec<usize> = norm
            .iter()
            .enumerate()
            .filter(|(_, n)| n.ends_with(" name") || *n == "stpnm")
            .map(|(i, _)| i)
            .collect();
        let names_span = name_cols.first().copied().zip(name_cols.last().copied());
        Self {
            names,
            norm,
            names_span,
        }
    }

    fn col(&self, aliases: &[&str]) -> Option<Col> {
        aliases.iter().find_map(|a| {
            let n = normalise(a);
            self.norm.iter().position(|h| *h == n).map(|idx| Col {
                idx,
                name: self.names.get(idx).cloned().unwrap_or_default(),
            })
        })
    }

    fn require(&self, aliases: &[&str], ctx: &mut Ctx) -> Option<Col> {
        let col = self.col(aliases);
        if col.is_none() {
            ctx.problems
                .whole_file(missing_column(aliases, "", &self.names));
        }
        col
    }

    /// Where a column is in a record with `extra` more fields than the
    /// header: columns before every name column stay, columns after them
    /// all move by `extra`; columns between name columns cannot be placed.
    fn locate(&self, col: &Col, extra: usize) -> Option<usize> {
        if extra == 0 {
            return Some(col.idx);
        }
        let (first, last) = self.names_span?;
        if col.idx < first {
            Some(col.idx)
        } else if col.idx > last {
            Some(col.idx + extra)
        } else {
            None
        }
    }
}

/// One row before rows of the same combination are summed.
#[derive(Debug, Clone, Copy)]
struct Raw {
    key: Key,
    /// Supplier (crosstab) or day of month (daily files): rows differing
    /// only here are summed; rows equal here too are a repeat.
    part: u16,
    count: u32,
    row: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    area: u32,
    month: YearMonth,
    status: ApptStatus,
    hcp: HcpType,
    mode: ApptMode,
    interval: BookingInterval,
    category: Option<u16>,
}

/// What a practice area was published with, to check a practice does not
/// change network or commissioner within a file.
struct PracticeSeen {
    pcn: Vec<u8>,
    sub_icb: Vec<u8>,
    row: u64,
}

/// The months, days and codes seen so far, so each distinct value is
/// parsed once. A few values (labels, categories, suppliers, months) are
/// found by a scan, which is faster than hashing; many (practices) by hash.
#[derive(Default)]
struct Interner {
    few: Vec<(Vec<u8>, u32)>,
    many: HashMap<Vec<u8>, u32>,
    last: Option<(Vec<u8>, u32)>,
}

/// Beyond this many values an interner hashes.
const FEW: usize = 32;

impl Interner {
    fn get(&mut self, raw: &[u8]) -> Option<u32> {
        if let Some((bytes, i)) = &self.last {
            if bytes.as_slice() == raw {
                return Some(*i);
            }
        }
        let i = if self.many.is_empty() {
            self.few.iter().find(|(b, _)| b.as_slice() == raw)?.1
        } else {
            *self.many.get(raw)?
        };
        match &mut self.last {
            Some((bytes, j)) => {
                bytes.clear();
                bytes.extend_from_slice(raw);
                *j = i;
            }
            None => self.last = Some((raw.to_vec(), i)),
        }
        Some(i)
    }

    fn insert(&mut self, raw: &[u8], i: u32) {
        if self.many.is_empty() && self.few.len() < FEW {
            self.few.push((raw.to_vec(), i));
        } else {
            if self.many.is_empty() {
                self.many.extend(self.few.drain(..));
            }
            self.many.insert(raw.to_vec(), i);
        }
        self.last = Some((raw.to_vec(), i));
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_number(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    let lower = if lower == "sept" { "sep" } else { &lower };
    MONTHS
        .iter()
        .position(|m| *m == lower)
        .or_else(|| crate::pathdate::MONTHS.iter().position(|m| *m == lower))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// A month as GPAD files write it: `AUG2025`, `01AUG2025` (the first of the
/// month), `2025-08`, `2025-08-01`, `Aug 2025`, `August 2025`, `Aug-25`.
pub fn parse_month(raw: &str) -> Option<YearMonth> {
    let s = raw.trim();
    let b = s.as_bytes();
    let digits = |x: &[u8]| !x.is_empty() && x.iter().all(u8::is_ascii_digit);
    let alpha = |x: &[u8]| !x.is_empty() && x.iter().all(u8::is_ascii_alphabetic);
    let year4 = |x: &str| x.parse::<i32>().ok();
    // AUG2025
    if b.len() == 7 && alpha(&b[..3]) && digits(&b[3..]) {
        return YearMonth::new(year4(&s[3..])?, month_number(&s[..3])?);
    }
    // 01AUG2025
    if b.len() == 9 && digits(&b[..2]) && alpha(&b[2..5]) && digits(&b[5..]) {
        if &s[..2] != "01" {
            return None;
        }
        return YearMonth::new(year4(&s[5..])?, month_number(&s[2..5])?);
    }
    // 2025-08, 2025-08-01
    if b.len() >= 7 && digits(&b[..4]) && b[4] == b'-' {
        let rest = &s[5..];
        let (m, day) = match rest.split_once('-') {
            Some((m, day)) => (m, Some(day)),
            None => (rest, None),
        };
        if day.is_some_and(|d| d != "01" && d != "1") || m.len() != 2 {
            return None;
        }
        return YearMonth::new(year4(&s[..4])?, m.parse().ok()?);
    }
    // Aug 2025, August 2025, Aug-25
    let (name, year) = s.split_once([' ', '-'])?;
    let year = year.trim();
    let y = match year.len() {
        4 if digits(year.as_bytes()) => year4(year)?,
        2 if digits(year.as_bytes()) => 2000 + year.parse::<i32>().ok()?,
        _ => return None,
    };
    YearMonth::new(y, month_number(name.trim())?)
}

/// A whole number of appointments that fits a row (at most 4,294,967,295).
fn parse_count(raw: &[u8]) -> Option<u32> {
    if raw.is_empty() || raw.len() > 10 {
        return None;
    }
    let mut n: u64 = 0;
    for b in raw {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    u32::try_from(n).ok()
}

/// The edition of a file whose newest month of data is `newest`: `--as-at`,
/// else what the file states, else a month in its path not earlier than
/// `newest`, else `newest`. Notes say which.
pub(crate) fn edition(
    ctx: &mut Ctx,
    newest: YearMonth,
    stated: Option<YearMonth>,
) -> Option<GpadEdition> {
    if let Some(d) = ctx.opts.as_at {
        let month = YearMonth::of(d);
        if month < newest {
            ctx.problems.whole_file(format!(
                "--as-at names the edition {month}, but the file has data for {newest}: an \
                 edition carries no month after its own"
            ));
            return None;
        }
        ctx.notes
            .push(format!("edition {month} taken from --as-at"));
        return Some(GpadEdition {
            month,
            basis: EditionBasis::Given,
        });
    }
    if let Some(month) = stated {
        ctx.notes
            .push(format!("edition {month}, as the file states"));
        return Some(GpadEdition {
            month,
            basis: EditionBasis::Stated,
        });
    }
    let in_path = crate::pathdate::months_in_path(ctx.file);
    if let Some((d, component)) = in_path.iter().find(|(d, _)| YearMonth::of(*d) >= newest) {
        let month = YearMonth::of(*d);
        ctx.notes.push(format!(
            "edition {month} taken from the path component {component:?}"
        ));
        return Some(GpadEdition {
            month,
            basis: EditionBasis::Path,
        });
    }
    let ignored: Vec<String> = in_path
        .iter()
        .map(|(d, _)| YearMonth::of(*d).to_string())
        .collect();
    ctx.notes.push(if ignored.is_empty() {
        format!("edition {newest}: the newest month of data (the file names no edition)")
    } else {
        format!(
            "edition {newest}: the newest month of data (the path names {}, earlier than data \
             the file holds, so not its edition)",
            ignored.join(", ")
        )
    });
    Some(GpadEdition {
        month: newest,
        basis: EditionBasis::NewestMonth,
    })
}

/// The columns of one layout.
struct Columns {
    month: Option<Col>,
    date: Option<Col>,
    area: Col,
    pcn: Option<Col>,
    sub_icb: Option<Col>,
    supplier: Option<Col>,
    status: Col,
    hcp: Col,
    mode: Col,
    interval: Col,
    category: Option<Col>,
    count: Col,
}

/// Reads a GPAD count file of `kind` from its records (the header first).
pub(crate) fn read<R: Read>(
    ctx: &mut Ctx,
    kind: SourceKind,
    records: &mut Records<R>,
) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    if records.next_record().is_none() {
        ctx.problems.whole_file(
            records
                .error()
                .unwrap_or("the file is empty (no header)")
                .to_string(),
        );
        return (batch, None);
    }
    let header = Header::new(records.texts());
    let practice_level = kind == SourceKind::GpadPracticeAppointments;
    let daily = kind == SourceKind::GpadSubIcbDaily;
    let setting = if kind == SourceKind::GpadPcnAppointments {
        AppointmentSetting::Network
    } else {
        AppointmentSetting::Practice
    };
    let area = if practice_level {
        header.require(PRACTICE, ctx)
    } else {
        header.require(SUB_ICB, ctx)
    };
    let (month, date) = if daily {
        (None, header.require(DATE, ctx))
    } else {
        (header.require(MONTH, ctx), None)
    };
    let (status, hcp, mode, interval, count) = (
        header.require(STATUS, ctx),
        header.require(HCP, ctx),
        header.require(MODE, ctx),
        header.require(INTERVAL, ctx),
        header.require(COUNT, ctx),
    );
    let (Some(area), Some(status), Some(hcp), Some(mode), Some(interval), Some(count)) =
        (area, status, hcp, mode, interval, count)
    else {
        return (batch, None);
    };
    if month.is_none() && date.is_none() {
        return (batch, None);
    }
    let cols = Columns {
        month,
        date,
        area,
        pcn: practice_level.then(|| header.col(PCN)).flatten(),
        sub_icb: practice_level.then(|| header.col(SUB_ICB)).flatten(),
        supplier: practice_level.then(|| header.col(SUPPLIER)).flatten(),
        status,
        hcp,
        mode,
        interval,
        category: header.col(CATEGORY),
        count,
    };
    let mut state = State::default();
    while let Some(row) = records.next_record() {
        ctx.tick();
        state.row(ctx, &header, &cols, records, row, practice_level, setting);
    }
    if let Some(e) = records.error() {
        ctx.problems.whole_file(e.to_string());
    }
    if state.raws.is_empty() {
        if ctx.problems.is_empty() {
            ctx.problems.whole_file("the file has a header but no rows");
        }
        return (batch, None);
    }
    let State {
        raws,
        areas,
        categories,
        parts,
        ..
    } = state;
    let (rows, summed) = collapse(ctx, raws, &cols);
    let Some(newest) = rows.iter().map(|r| r.month).max() else {
        return (batch, None);
    };
    let Some(edition) = edition(ctx, newest, None) else {
        return (batch, None);
    };
    let oldest = rows.iter().map(|r| r.month).min().unwrap_or(newest);
    ctx.notes.push(format!(
        "{} areas, months {oldest} to {newest}, {} combinations",
        areas.len(),
        rows.len()
    ));
    if summed > 0 {
        ctx.notes.push(if daily {
            format!("{summed} daily rows summed into months")
        } else {
            format!(
                "{summed} rows summed with another row of the same practice and combination \
                 (one per GP system supplier: {})",
                parts.join(", ")
            )
        });
    }
    if practice_level {
        for a in &areas {
            if let AppointmentArea::Practice {
                code,
                pcn: Some(pcn),
                ..
            } = a
            {
                batch.observations.push(MembershipObservation {
                    practice: code.clone(),
                    pcn: pcn.clone(),
                    as_at: newest.first_day(),
                });
            }
        }
    }
    batch.appointments.push(AppointmentTable {
        edition,
        setting,
        granularity: if daily {
            Granularity::DailySummedToMonths
        } else {
            Granularity::Monthly
        },
        areas,
        categories,
        rows,
    });
    (batch, Some(edition.month.first_day()))
}

#[derive(Default)]
struct State {
    raws: Vec<Raw>,
    areas: Vec<AppointmentArea>,
    area_index: Interner,
    practices_seen: Vec<PracticeSeen>,
    categories: Vec<String>,
    category_index: Interner,
    /// Suppliers, in order of appearance.
    parts: Vec<String>,
    part_index: Interner,
    periods: Interner,
    /// Parsed periods by interned index: (month, day of month or 0).
    period_values: Vec<(YearMonth, u16)>,
}

impl State {
    #[allow(clippy::too_many_arguments)]
    fn row<R: Read>(
        &mut self,
        ctx: &mut Ctx,
        header: &Header,
        cols: &Columns,
        rec: &Records<R>,
        row: u64,
        practice_level: bool,
        setting: AppointmentSetting,
    ) {
        let width = header.names.len();
        if rec.len() < width {
            ctx.problems.row(
                row,
                format!(
                    "has {} fields but {width} are expected (is the file truncated?)",
                    rec.len()
                ),
            );
            return;
        }
        let extra = rec.len() - width;
        let at = |col: &Col| header.locate(col, extra).map(|i| rec.field(i).trim_ascii());
        let opt_at = |col: &Option<Col>| match col {
            Some(c) => at(c),
            None => Some(&[][..]),
        };
        let period_col = match (&cols.month, &cols.date) {
            (Some(c), _) | (None, Some(c)) => c,
            (None, None) => return,
        };
        let (
            Some(area_raw),
            Some(period_raw),
            Some(pcn_raw),
            Some(sub_raw),
            Some(supplier_raw),
            Some(status_raw),
            Some(hcp_raw),
            Some(mode_raw),
            Some(interval_raw),
            Some(category_raw),
            Some(count_raw),
        ) = (
            at(&cols.area),
            at(period_col),
            opt_at(&cols.pcn),
            opt_at(&cols.sub_icb),
            opt_at(&cols.supplier),
            at(&cols.status),
            at(&cols.hcp),
            at(&cols.mode),
            at(&cols.interval),
            opt_at(&cols.category),
            at(&cols.count),
        )
        else {
            ctx.problems.row(
                row,
                format!(
                    "has {} fields but {width} are expected, and the extra ones cannot be \
                     told apart (a name with an unquoted comma?)",
                    rec.len()
                ),
            );
            return;
        };
        let text = crate::stream::decode_field;
        let period = self.period(ctx, cols, period_raw, row);
        let place = Place {
            area: area_raw,
            pcn: pcn_raw,
            sub_icb: sub_raw,
        };
        let area = self.area(ctx, cols, &place, row, practice_level);
        // Set when a problem is recorded that no parsed value shows.
        let mut bad = area.is_some_and(|i| self.moved(ctx, cols, &place, i, row, practice_level));
        let labels = Labels {
            status: status_raw,
            hcp: hcp_raw,
            mode: mode_raw,
            interval: interval_raw,
        };
        let (status, hcp, mode, interval) = labels.parse(ctx, cols, row);
        if status == Some(ApptStatus::Booked) && setting != AppointmentSetting::Network {
            bad = true;
            ctx.problems.cell(
                row,
                &cols.status.name,
                "Booked",
                "the status Booked is only in the PCN-level file; this file is read as practice \
                 appointments because its name does not contain PCN",
            );
        }
        let category = self.category(ctx, cols, category_raw, row);
        let part = self.part(cols, supplier_raw, period);
        let n = parse_count(count_raw);
        if n.is_none() {
            ctx.problems.cell(
                row,
                &cols.count.name,
                &text(count_raw),
                "not a count (a whole number of 0 or more, at most 4,294,967,295, is required)",
            );
        }
        if bad {
            return;
        }
        let (
            Some((month, _)),
            Some(area),
            Some(status),
            Some(hcp),
            Some(mode),
            Some(interval),
            Ok(category),
            Some(count),
        ) = (period, area, status, hcp, mode, interval, category, n)
        else {
            return;
        };
        self.raws.push(Raw {
            key: Key {
                area,
                month,
                status,
                hcp,
                mode,
                interval,
                category,
            },
            part,
            count,
            row,
        });
    }

    /// A row's month (and day, for a daily file), parsed once per distinct text.
    fn period(
        &mut self,
        ctx: &mut Ctx,
        cols: &Columns,
        period_raw: &[u8],
        row: u64,
    ) -> Option<(YearMonth, u16)> {
        let text = crate::stream::decode_field;
        match self.periods.get(period_raw) {
            Some(i) => self.period_values.get(i as usize).copied(),
            None => {
                let raw = text(period_raw);
                let parsed = match (&cols.month, &cols.date) {
                    (Some(_), _) => parse_month(&raw).map(|m| (m, 0u16)),
                    _ => pcn_core::dates::parse_date(&raw)
                        .and_then(|d| Some((YearMonth::of(d), u16::try_from(d.day()).ok()?))),
                };
                match parsed {
                    Some(p) => {
                        let i = u32::try_from(self.period_values.len()).unwrap_or(u32::MAX);
                        self.period_values.push(p);
                        self.periods.insert(period_raw, i);
                        Some(p)
                    }
                    None => {
                        let (col, expected) = match (&cols.month, &cols.date) {
                        (Some(c), _) => (
                            c,
                            "not a month (expected such as AUG2025, 01AUG2025, 2025-08 or Aug 2025)",
                        ),
                        (None, Some(c)) => (
                            c,
                            "not a date (expected such as 01AUG2025 or 2025-08-01)",
                        ),
                        (None, None) => return None,
                    };
                        ctx.problems.cell(row, &col.name, &raw, expected);
                        None
                    }
                }
            }
        }
    }

    /// A row's area (practice or sub-ICB location), parsed once per distinct
    /// code, with the network and commissioner a practice row publishes.
    fn area(
        &mut self,
        ctx: &mut Ctx,
        cols: &Columns,
        place: &Place<'_>,
        row: u64,
        practice_level: bool,
    ) -> Option<u32> {
        let text = crate::stream::decode_field;
        match self.area_index.get(place.area) {
            Some(i) => Some(i),
            None => {
                let raw = text(place.area);
                let parsed = if practice_level {
                    let code = ctx.code(row, &cols.area, &raw, PracticeCode::parse);
                    let pcn = if place.pcn.is_empty() {
                        None
                    } else {
                        cols.pcn
                            .as_ref()
                            .and_then(|c| ctx.code(row, c, &text(place.pcn), PcnCode::parse))
                    };
                    let sub_icb = if place.sub_icb.is_empty() {
                        None
                    } else {
                        cols.sub_icb
                            .as_ref()
                            .and_then(|c| ctx.code(row, c, &text(place.sub_icb), SubIcbCode::parse))
                    };
                    let bad_parent = (!place.pcn.is_empty() && pcn.is_none())
                        || (!place.sub_icb.is_empty() && sub_icb.is_none());
                    code.filter(|_| !bad_parent)
                        .map(|code| AppointmentArea::Practice { code, pcn, sub_icb })
                } else {
                    ctx.code(row, &cols.area, &raw, SubIcbCode::parse)
                        .map(AppointmentArea::SubIcb)
                };
                parsed.map(|a| {
                    let i = u32::try_from(self.areas.len()).unwrap_or(u32::MAX);
                    self.areas.push(a);
                    self.practices_seen.push(PracticeSeen {
                        pcn: place.pcn.to_vec(),
                        sub_icb: place.sub_icb.to_vec(),
                        row,
                    });
                    self.area_index.insert(place.area, i);
                    i
                })
            }
        }
    }

    /// Whether a practice row names another network or commissioner than
    /// the practice's first row (a problem, recorded here).
    fn moved(
        &self,
        ctx: &mut Ctx,
        cols: &Columns,
        place: &Place<'_>,
        i: u32,
        row: u64,
        practice_level: bool,
    ) -> bool {
        let text = crate::stream::decode_field;
        let mut moved = false;
        if practice_level {
            if let Some(seen) = self.practices_seen.get(i as usize) {
                if seen.pcn != place.pcn || seen.sub_icb != place.sub_icb {
                    moved = true;
                    ctx.problems.cell(
                        row,
                        &cols.area.name,
                        &text(place.area),
                        format!(
                            "the practice is listed with network {:?} and sub-ICB {:?} on row {}, \
                         and with {:?} and {:?} here",
                            text(&seen.pcn),
                            text(&seen.sub_icb),
                            seen.row,
                            text(place.pcn),
                            text(place.sub_icb)
                        ),
                    );
                }
            }
        }
        moved
    }

    /// A row's national category, interned (`Err` when it is missing or
    /// there are too many to number).
    #[allow(clippy::result_unit_err)]
    fn category(
        &mut self,
        ctx: &mut Ctx,
        cols: &Columns,
        category_raw: &[u8],
        row: u64,
    ) -> Result<Option<u16>, ()> {
        let text = crate::stream::decode_field;
        match &cols.category {
            None => Ok(None),
            Some(col) => match self.category_index.get(category_raw) {
                Some(i) => Ok(u16::try_from(i).ok()),
                None if category_raw.is_empty() => {
                    ctx.problems
                        .cell(row, &col.name, "", "a national category is required here");
                    Err(())
                }
                None => match u16::try_from(self.categories.len()) {
                    Ok(i) if i < u16::MAX => {
                        self.categories.push(text(category_raw).into_owned());
                        self.category_index.insert(category_raw, u32::from(i));
                        Ok(Some(i))
                    }
                    _ => {
                        ctx.problems.cell(
                            row,
                            &col.name,
                            &text(category_raw),
                            "more than 65,534 different national categories in one file",
                        );
                        Err(())
                    }
                },
            },
        }
    }

    /// What tells two rows of the same combination apart: the supplier in a
    /// crosstab, the day in a daily file.
    fn part(
        &mut self,
        cols: &Columns,
        supplier_raw: &[u8],
        period: Option<(YearMonth, u16)>,
    ) -> u16 {
        let text = crate::stream::decode_field;
        match &cols.supplier {
            Some(_) => match self.part_index.get(supplier_raw) {
                Some(i) => u16::try_from(i).unwrap_or(u16::MAX),
                None => {
                    let i = u16::try_from(self.parts.len()).unwrap_or(u16::MAX);
                    self.parts.push(text(supplier_raw).into_owned());
                    self.part_index.insert(supplier_raw, u32::from(i));
                    i
                }
            },
            None => period.map_or(0, |(_, day)| day),
        }
    }
}

/// The raw labels of a row's combination.
struct Labels<'a> {
    status: &'a [u8],
    hcp: &'a [u8],
    mode: &'a [u8],
    interval: &'a [u8],
}

/// A row's area fields as published.
struct Place<'a> {
    area: &'a [u8],
    pcn: &'a [u8],
    sub_icb: &'a [u8],
}

impl Labels<'_> {
    /// Parses each label across the editions' spellings, recording a
    /// problem (with the values accepted) for any it does not know.
    fn parse(
        &self,
        ctx: &mut Ctx,
        cols: &Columns,
        row: u64,
    ) -> (
        Option<ApptStatus>,
        Option<HcpType>,
        Option<ApptMode>,
        Option<BookingInterval>,
    ) {
        let text = crate::stream::decode_field;
        // Each label type's own parser, values accepted and name (the types
        // share no trait to take them from).
        macro_rules! known {
            ($label:ident, $field:ident) => {{
                let parsed = $label::parse(&text(self.$field));
                if parsed.is_none() {
                    ctx.problems.cell(
                        row,
                        &cols.$field.name,
                        &text(self.$field),
                        format!(
                            "not a known {} (one of: {})",
                            $label::WHAT,
                            $label::accepted()
                        ),
                    );
                }
                parsed
            }};
        }
        (
            known!(ApptStatus, status),
            known!(HcpType, hcp),
            known!(ApptMode, mode),
            known!(BookingInterval, interval),
        )
    }
}

/// Sorts the rows, reports repeats and sums rows of the same combination.
/// Returns the rows and how many raw rows were summed into another.
fn collapse(ctx: &mut Ctx, mut raws: Vec<Raw>, cols: &Columns) -> (Vec<AppointmentRow>, u64) {
    raws.sort_unstable_by_key(|r| (r.key, r.part, r.row));
    let mut rows: Vec<AppointmentRow> = Vec::with_capacity(raws.len());
    let mut summed = 0u64;
    let mut prev: Option<Raw> = None;
    for r in raws {
        match prev {
            Some(p) if p.key == r.key => {
                if p.part == r.part {
                    ctx.problems.row(
                        r.row,
                        format!(
                            "repeats row {}: the same {} and combination{}",
                            p.row,
                            if cols.date.is_some() {
                                "day"
                            } else {
                                "area, month"
                            },
                            if cols.supplier.is_some() {
                                " and supplier"
                            } else {
                                ""
                            }
                        ),
                    );
                    continue;
                }
                summed += 1;
                if let Some(last) = rows.last_mut() {
                    match last.count.checked_add(r.count) {
                        Some(c) => last.count = c,
                        None => ctx.problems.cell(
                            r.row,
                            &cols.count.name,
                            &r.count.to_string(),
                            "the rows of this combination add up to more than 4,294,967,295",
                        ),
                    }
                }
            }
            _ => rows.push(AppointmentRow {
                area: r.key.area,
                month: r.key.month,
                status: r.key.status,
                hcp: r.key.hcp,
                mode: r.key.mode,
                interval: r.key.interval,
                category: r.key.category,
                count: r.count,
            }),
        }
        prev = Some(r);
    }
    (rows, summed)
}

// ---------------------------------------------------------------------------
// A synthetic national practice-level month, for the scale benchmark
// ---------------------------------------------------------------------------

/// The official header of the practice-level crosstab.
pub const CROSSTAB_HEADER: &str = "APPOINTMENT_MONTH_START_DATE,GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,\
PCN_NAME,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,\
TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,APPT_STATUS";

/// National categories as the August 2025 crosstab names them.
const SYNTHETIC_CATEGORIES: [&str; 18] = [
    "General Consultation Routine",
    "General Consultation Acute",
    "Planned Clinical Procedure",
    "Planned Clinics",
    "Clinical Triage",
    "Inconsistent Mapping",
    "Unmapped",
    "Structured Medication Review",
    "Home Visit",
    "Patient contact during Care Home Round",
    "Care Home Visit",
    "Unplanned Clinical Activity",
    "Walk-in",
    "Service provided by organisation external to the practice",
    "Social Prescribing Service",
    "Care Related Encounter but does not fit into any other category",
    "Non-contractual chargeable work",
    "Group Consultation and Group Education",
];

/// What [`synthetic_crosstab`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticCrosstab {
    pub rows: u64,
    pub practices: u32,
    pub appointments: u64,
}

/// Writes a practice-level crosstab for August 2025 in the official layout
/// (header, column order, labels with their double spaces, CRLF line
/// endings) with `rows` data rows: about 230 combinations for each of
/// `rows / 230` practices in some 1,300 networks and 106 sub-ICB locations,
/// as in a national month. Deterministic for a seed. Each practice's
/// combinations are distinct, so the file imports without problems.
pub fn synthetic_crosstab(
    out: &mut impl Write,
    rows: u64,
    seed: u64,
) -> std::io::Result<SyntheticCrosstab> {
    // xorshift64*: small, deterministic, and good enough for test data.
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let statuses = ["Attended", "DNA", "Unknown"];
    let hcps = ["GP", "Other Practice staff", "Unknown"];
    let modes = [
        "Face-to-Face",
        "Telephone",
        "Home Visit",
        "Video Conference/Online",
        "Unknown",
    ];
    let intervals: Vec<&str> = BookingInterval::ALL.iter().map(|i| i.label()).collect();
    let combos =
        statuses.len() * hcps.len() * modes.len() * intervals.len() * SYNTHETIC_CATEGORIES.len();
    // Steps coprime with the number of combinations (2^4·3^3·5^2·… here: 6,480
    // = 2^4·3^4·5), so a practice's combinations never repeat.
    let steps = [7usize, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47];
    let per_practice: u64 = 230;
    let practices = rows.div_ceil(per_practice).max(1);
    write!(out, "{CROSSTAB_HEADER}\r\n")?;
    let mut written = 0u64;
    let mut appointments = 0u64;
    for p in 0..practices {
        let letter = (b'A' + u8::try_from(p % 26).unwrap_or(0)) as char;
        let code = format!("{letter}{:05}", p / 26);
        let pcn = format!("U{:05}", 10_000 + p / 5);
        let sub_index = p % 106;
        let sub_icb = format!(
            "{:02}{}",
            sub_index / 26,
            (b'A' + u8::try_from(sub_index % 26).unwrap_or(0)) as char
        );
        let supplier = if p % 3 == 0 { "TPP" } else { "EMIS" };
        let n = per_practice.min(rows - written);
        let start = usize::try_from(next() % combos as u64).unwrap_or(0);
        let step = steps[usize::try_from(next() % steps.len() as u64).unwrap_or(0)];
        for j in 0..n {
            let c = (start + usize::try_from(j).unwrap_or(0) * step) % combos;
            let (c, status) = (c / statuses.len(), statuses[c % statuses.len()]);
            let (c, hcp) = (c / hcps.len(), hcps[c % hcps.len()]);
            let (c, mode) = (c / modes.len(), modes[c % modes.len()]);
            let (c, interval) = (c / intervals.len(), intervals[c % intervals.len()]);
            let category = SYNTHETIC_CATEGORIES[c % SYNTHETIC_CATEGORIES.len()];
            let count = 1 + next() % 40;
            appointments += count;
            write!(
                out,
                "01AUG2025,{code},PRACTICE {code} SURGERY,{supplier},{pcn},NETWORK {pcn} PCN,{sub_icb},\
NHS SYNTHETIC ICB - {sub_icb},{hcp},{mode},{category},{interval},{count},{status}\r\n"
            )?;
        }
        written += n;
        if written >= rows {
            break;
        }
    }
    Ok(SyntheticCrosstab {
        rows: written,
        practices: u32::try_from(practices).unwrap_or(u32::MAX),
        appointments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(y: i32, m: u32) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }

    #[test]
    fn months_in_every_format() {
        assert_eq!(parse_month("AUG2025"), Some(ym(2025, 8)));
        assert_eq!(parse_month("MAR2023"), Some(ym(2023, 3)));
        assert_eq!(parse_month("01AUG2025"), Some(ym(2025, 8)));
        assert_eq!(parse_month("01Apr2023"), Some(ym(2023, 4)));
        assert_eq!(parse_month("2025-08"), Some(ym(2025, 8)));
        assert_eq!(parse_month("2025-08-01"), Some(ym(2025, 8)));
        assert_eq!(parse_month("Nov 2017"), Some(ym(2017, 11)));
        assert_eq!(parse_month("November 2017"), Some(ym(2017, 11)));
        assert_eq!(parse_month("Apr-21"), Some(ym(2021, 4)));
        assert_eq!(parse_month("Sept 2019"), Some(ym(2019, 9)));
        for bad in [
            "",
            "02AUG2025",
            "2025-08-02",
            "2025-13",
            "AUGUST",
            "13/2025",
            "AUG25",
            "Foo 2020",
        ] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
    }

    #[test]
    fn interning_few_and_many() {
        let mut interner = Interner::default();
        for i in 0..100u32 {
            let key = format!("k{i}");
            assert_eq!(interner.get(key.as_bytes()), None);
            interner.insert(key.as_bytes(), i);
        }
        for i in (0..100u32).rev() {
            assert_eq!(interner.get(format!("k{i}").as_bytes()), Some(i));
        }
        assert_eq!(interner.get(b"k100"), None);
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count(b"0"), Some(0));
        assert_eq!(parse_count(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_count(b"4294967296"), None);
        assert_eq!(parse_count(b"12.0"), None);
        assert_eq!(parse_count(b"-1"), None);
        assert_eq!(parse_count(b""), None);
    }

    #[test]
    fn kinds_by_header() {
        let kind = |name: &str, header: &str| {
            let norm: Vec<String> = header.split(',').map(normalise).collect();
            kind_of(name, &|h: &str| norm.iter().any(|n| n == h))
        };
        assert_eq!(
            kind("x.csv", CROSSTAB_HEADER),
            Some(SourceKind::GpadPracticeAppointments)
        );
        let regional = "SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_ONS_CODE,SUB_ICB_LOCATION_NAME,\
ICB_ONS_CODE,ICB_NAME,REGION_ONS_CODE,REGION_NAME,APPOINTMENT_MONTH,APPT_STATUS,HCP_TYPE,APPT_MODE,\
TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS";
        assert_eq!(
            kind("Regional_CSV_WYorks.csv", regional),
            Some(SourceKind::GpadSubIcbMonthly)
        );
        assert_eq!(
            kind("pcn/Regional_CSV_WYorks.csv", regional),
            Some(SourceKind::GpadSubIcbMonthly)
        );
        assert_eq!(
            kind("data/pcn_granular_apr2024.csv", regional),
            Some(SourceKind::GpadPcnAppointments)
        );
        assert_eq!(
            kind(
                "w.csv",
                "organisation_code,organisation_name,appointment_date,appointment_status,hcp_type,\
appointment_mode,time_between_book_and_appointment,count_of_appointments"
            ),
            Some(SourceKind::GpadSubIcbDaily)
        );
        assert_eq!(kind("m.csv", "GP_CODE,PCN_CODE"), None);
    }

    #[test]
    fn the_synthetic_file_is_deterministic_and_sized() {
        let mut a = Vec::new();
        let s = synthetic_crosstab(&mut a, 1_000, 7).unwrap();
        let mut b = Vec::new();
        synthetic_crosstab(&mut b, 1_000, 7).unwrap();
        assert_eq!(a, b);
        assert_eq!(s.rows, 1_000);
        assert_eq!(s.practices, 5);
        let text = String::from_utf8(a).unwrap();
        assert_eq!(text.lines().count(), 1_001);
        assert!(text.starts_with(CROSSTAB_HEADER));
        let total: u64 = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(12).unwrap().parse::<u64>().unwrap())
            .sum();
        assert_eq!(total, s.appointments);
    }
}
