//! NHS England's PCN adjusted populations by practice (the Network Contract
//! DES population files), as re-saved for funding calculators
//! ([`SourceKind::PcnAdjustedPopulations`](pcn_core::SourceKind)): each
//! practice's raw registered list, its share of the PCN adjusted
//! population and, in some years, its contractor weighted population, each
//! dated by what the DES uses it for.
//!
//! ## Layouts
//!
//! Two are known, both CSV with a header, one row per practice:
//!
//! - **2024/25** (`nhse-pcn-adjusted-populations-2024-01`): `Practice
//!   Code, Practice Name, PCN Code, PCN Name, Region, Raw list size 2024/25,
//!   Adjusted Population 2024/25, weighted population 2024/25, Historical
//!   Adjustment Factor (%):, Historical Weighting Factor (%):, Raw list size
//!   as of 01/01/25`. A column named for a financial year (`2024/25`) is the
//!   figure that year's payments use, as at 1 January before it
//!   (2024-01-01); `as of 01/01/25` is 2025-01-01. The two "factor" columns
//!   are derived from the others (raw ÷ adjusted − 1 and raw ÷ weighted − 1)
//!   and are not read.
//! - **2025/26** (`nhse-pcn-adjusted-populations-2025-01`): `Practice Code,
//!   Practice Name, PCN Code, PCN Name, ICB Code, ICB Name, Region code,
//!   Region, Raw list size, Adjusted Population, PCN member January 25`, and
//!   a last row of national totals with no practice code. The undated
//!   figures are dated by the membership column's month (`January 25` →
//!   2025-01-01), else a month in the path, else `--as-at`. The totals row
//!   is checked against the sum of the rows: a file whose rows do not add up
//!   to its own totals is refused.
//!
//! A practice whose `PCN Code` is not a network code (`N/A`, `no_data`) is
//! read with no network.
//!
//! ## What is taken
//!
//! - each raw list as a registered list ([`ListSizeFact`], all persons), on
//!   its date;
//! - each practice's adjusted population as a [`PopulationFact`] for the
//!   practice (kind `Adjusted`), and, summed over the practices the file puts
//!   in each network (in the 2025/26 layout only those marked `Yes` as
//!   members), the network's **PCN adjusted population** (a `Network`
//!   fact), which is what the DES rates multiply;
//! - the weighted population, where given, as a practice's contractor
//!   weighted population (kind `Weighted`).
//!
//! These copies are secondary (see each folder's `SOURCE.md`; NHS England
//! corrected some 2025/26 figures in June 2025, after this copy was made).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use csv::StringRecord;
use pcn_core::{
    Decimal, FactBatch, ListSizeFact, PcnCode, PopulationFact, PopulationKind, PopulationSubject,
    PracticeCode, Sex,
};

use crate::ctx::{cell, latest, Ctx};
use crate::decode::{normalise, Col, Table};

/// True when a normalised header is one of these files'.
pub(crate) fn looks_like(norm: &[String]) -> bool {
    let has = |name: &str| norm.iter().any(|h| h == name);
    has("practice code")
        && has("pcn code")
        && norm.iter().any(|h| h.starts_with("raw list size"))
        && norm.iter().any(|h| h.starts_with("adjusted population"))
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Figure {
    Raw,
    Adjusted,
    Weighted,
}

/// The date a column's name gives its figure: a financial year `2024/25`
/// is 1 January before it; `as of 01/01/25` is that date.
fn date_in_name(name: &str) -> Option<NaiveDate> {
    let digits: Vec<&str> = name
        .split(|c: char| !c.is_ascii_digit())
        .filter(|r| !r.is_empty())
        .collect();
    match digits.as_slice() {
        [a, b] if (a.len() == 4 || a.len() == 2) && b.len() == 2 => {
            let start: i32 = a.parse().ok()?;
            let start = if a.len() == 2 { 2000 + start } else { start };
            let end: i32 = b.parse().ok()?;
            ((start + 1) % 100 == end)
                .then(|| NaiveDate::from_ymd_opt(start, 1, 1))
                .flatten()
        }
        [d, m, y] => {
            let year: i32 = y.parse().ok()?;
            let year = if y.len() == 2 { 2000 + year } else { year };
            NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?)
        }
        _ => None,
    }
}

/// A figure column and the date it stands for.
struct FigureCol {
    col: Col,
    figure: Figure,
    date: NaiveDate,
}

/// The columns of a file.
struct Columns {
    practice: Col,
    pcn: Col,
    /// `PCN member January 25` (2025/26): only `Yes` counts to the network.
    member: Option<Col>,
    figures: Vec<FigureCol>,
}

/// Finds the columns and dates each figure column: `None` (with the
/// problems recorded) when a required one is missing or undated.
fn columns(ctx: &mut Ctx, table: &Table) -> Option<Columns> {
    let [practice, pcn] =
        table.require_all([&["Practice Code"], &["PCN Code"]], &mut ctx.problems)?;
    let member = table
        .header
        .iter()
        .position(|h| normalise(h).starts_with("pcn member"))
        .and_then(|i| table.col(&[table.header[i].as_str()]));
    let undated = undated_date(ctx, member.as_ref());
    let figures = figure_columns(ctx, table, undated.as_ref());
    if !figures.iter().any(|f| f.figure == Figure::Adjusted) {
        ctx.problems
            .whole_file("no adjusted population column with a date was found");
    }
    ctx.problems.is_empty().then_some(Columns {
        practice,
        pcn,
        member,
        figures,
    })
}

/// The date for figures whose column names none, and where it came from:
/// the membership column's month, else the path's, else --as-at.
fn undated_date(ctx: &Ctx, member: Option<&Col>) -> Option<(NaiveDate, String)> {
    member
        .and_then(|c| crate::pathdate::date_from_path(&c.name).map(|(d, _)| d))
        .map(|d| (d, "the membership column's name".to_string()))
        .or_else(|| {
            crate::pathdate::date_from_path(ctx.file).map(|(d, c)| (d, format!("the path ({c})")))
        })
        .or_else(|| ctx.opts.as_at.map(|d| (d, "--as-at".to_string())))
}

/// The figure columns, each with its date; the derived "factor" columns
/// are noted as not read.
fn figure_columns(
    ctx: &mut Ctx,
    table: &Table,
    undated: Option<&(NaiveDate, String)>,
) -> Vec<FigureCol> {
    let mut figures: Vec<FigureCol> = Vec::new();
    let mut ignored = Vec::new();
    for name in &table.header {
        let norm = normalise(name);
        let figure = if norm.starts_with("raw list size") {
            Figure::Raw
        } else if norm.starts_with("adjusted population") {
            Figure::Adjusted
        } else if norm.starts_with("weighted population") {
            Figure::Weighted
        } else {
            if norm.contains("factor") {
                ignored.push(name.clone());
            }
            continue;
        };
        let Some(col) = table.col(&[name.as_str()]) else {
            continue;
        };
        let date = match (date_in_name(name), undated) {
            (Some(d), _) => d,
            (None, Some((d, from))) => {
                ctx.notes
                    .push(format!("{name:?} is dated {d}, from {from}"));
                *d
            }
            (None, None) => {
                ctx.problems.cell(
                    1,
                    name,
                    name,
                    "the column does not say what date its figures are as at, nor does the file \
                     name or a membership column; give it with --as-at",
                );
                continue;
            }
        };
        figures.push(FigureCol { col, figure, date });
    }
    if !ignored.is_empty() {
        ctx.notes.push(format!(
            "not read (derived from the other columns): {}",
            ignored.join(", ")
        ));
    }
    figures
}

/// What the rows have given so far.
struct Reading {
    batch: FactBatch,
    file_date: Option<NaiveDate>,
    /// Each practice and the row it was first on.
    seen: HashMap<PracticeCode, u64>,
    /// Each network's adjusted population at each date.
    networks: BTreeMap<(PcnCode, NaiveDate), Decimal>,
    /// Practices in no network, per `PCN Code` value.
    without_network: BTreeMap<String, u64>,
    /// The sum of the practice rows, per figure column.
    column_sums: Vec<Decimal>,
    /// The national totals row and its figures.
    totals_row: Option<(u64, Vec<Option<Decimal>>)>,
}

pub(crate) fn read(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let Some(cols) = columns(ctx, table) else {
        return (FactBatch::default(), None);
    };
    let mut reading = Reading {
        batch: FactBatch::default(),
        file_date: None,
        seen: HashMap::new(),
        networks: BTreeMap::new(),
        without_network: BTreeMap::new(),
        column_sums: vec![Decimal::ZERO; cols.figures.len()],
        totals_row: None,
    };
    ctx.rows(table, |ctx, row, rec| {
        reading.row(ctx, &cols, row, rec);
        true
    });
    reading.check_totals(ctx, &cols.figures);
    reading.finish(ctx)
}

impl Reading {
    /// Reads one row: the totals row, or a practice's figures.
    fn row(&mut self, ctx: &mut Ctx, cols: &Columns, row: u64, rec: &StringRecord) {
        let raw_practice = cell(rec, &cols.practice);
        let values = row_values(ctx, &cols.figures, row, rec);
        if raw_practice.is_empty() && cell(rec, &cols.pcn).is_empty() {
            // The national totals row at the foot of the 2025/26 file.
            if let Some((first, _)) = &self.totals_row {
                ctx.problems.row(
                    row,
                    format!("a second row with no practice code (the first, on row {first}, is taken as the totals)"),
                );
            }
            self.totals_row = Some((row, values));
            ctx.skip();
            return;
        }
        let Some(practice) = ctx.code(row, &cols.practice, raw_practice, PracticeCode::parse)
        else {
            return;
        };
        if let Some(first) = self.seen.insert(practice.clone(), row) {
            ctx.problems.cell(
                row,
                &cols.practice.name,
                practice.as_str(),
                format!("practice listed twice (first on row {first})"),
            );
            return;
        }
        let pcn = self.network(cols, rec);
        self.figures(ctx, &cols.figures, row, &practice, pcn.as_ref(), &values);
    }

    /// The network a practice's figures count to: its `PCN Code` when that
    /// is a network and (where the file says) the practice a member; else
    /// `None`, counted as a practice in no network.
    fn network(&mut self, cols: &Columns, rec: &StringRecord) -> Option<PcnCode> {
        let raw_pcn = cell(rec, &cols.pcn);
        let member = cols
            .member
            .as_ref()
            .is_none_or(|c| cell(rec, c).eq_ignore_ascii_case("yes"));
        let pcn = PcnCode::parse(raw_pcn)
            .ok()
            .filter(|p| !p.is_unallocated() && member);
        if pcn.is_none() {
            let shown = if raw_pcn.is_empty() {
                "(blank)"
            } else {
                raw_pcn
            };
            *self.without_network.entry(shown.to_string()).or_default() += 1;
        }
        pcn
    }

    /// A practice's figures as facts, added to the column sums and (the
    /// adjusted population) to its network's.
    fn figures(
        &mut self,
        ctx: &mut Ctx,
        figures: &[FigureCol],
        row: u64,
        practice: &PracticeCode,
        pcn: Option<&PcnCode>,
        values: &[Option<Decimal>],
    ) {
        for ((f, value), sum) in figures.iter().zip(values).zip(self.column_sums.iter_mut()) {
            let Some(value) = *value else { continue };
            *sum += value;
            latest(&mut self.file_date, Some(f.date));
            match f.figure {
                Figure::Raw => match u64::try_from(value) {
                    Ok(total) => self.batch.list_sizes.push(ListSizeFact {
                        practice: practice.clone(),
                        as_at: f.date,
                        sex: Sex::All,
                        total,
                        bands: None,
                    }),
                    _ => ctx.problems.cell(
                        row,
                        &f.col.name,
                        &value.to_string(),
                        "too large for a count of patients",
                    ),
                },
                Figure::Adjusted | Figure::Weighted => {
                    let kind = if f.figure == Figure::Adjusted {
                        PopulationKind::Adjusted
                    } else {
                        PopulationKind::Weighted
                    };
                    self.batch.populations.push(PopulationFact {
                        subject: PopulationSubject::Practice(practice.clone()),
                        kind,
                        as_at: f.date,
                        value,
                    });
                    if let (Some(pcn), Figure::Adjusted) = (pcn, f.figure) {
                        *self.networks.entry((pcn.clone(), f.date)).or_default() += value;
                    }
                }
            }
        }
    }

    /// Checks the totals row against the sum of the practice rows (only
    /// when every row was read).
    fn check_totals(&self, ctx: &mut Ctx, figures: &[FigureCol]) {
        let (Some((row, totals)), true) = (&self.totals_row, ctx.problems.is_empty()) else {
            return;
        };
        for ((f, total), sum) in figures.iter().zip(totals).zip(&self.column_sums) {
            if let Some(total) = total {
                if total != sum {
                    ctx.problems.cell(
                        *row,
                        &f.col.name,
                        &total.to_string(),
                        format!("the totals row says {total} but the practice rows add up to {sum}: is the file complete?"),
                    );
                }
            }
        }
        ctx.notes.push(format!(
            "the national totals on row {row} agree with the practice rows"
        ));
    }

    /// The networks' adjusted populations as facts, and the notes on them
    /// and on the practices in no network.
    fn finish(mut self, ctx: &mut Ctx) -> (FactBatch, Option<NaiveDate>) {
        let network_count = self.networks.len();
        for ((pcn, date), value) in self.networks {
            self.batch.populations.push(PopulationFact {
                subject: PopulationSubject::Network(pcn),
                kind: PopulationKind::Adjusted,
                as_at: date,
                value,
            });
        }
        ctx.notes.push(format!(
            "{network_count} network adjusted populations, each the sum of its member practices' figures"
        ));
        if !self.without_network.is_empty() {
            let total: u64 = self.without_network.values().sum();
            let values: Vec<String> = self
                .without_network
                .iter()
                .map(|(v, n)| format!("{v:?} ×{n}"))
                .collect();
            ctx.notes.push(format!(
                "{total} practices are in no network ({}); their own figures are kept",
                values.join(", ")
            ));
        }
        (self.batch, self.file_date)
    }
}

/// A row's figures, one per figure column (`None` where unreadable); a
/// raw list must be a whole number.
fn row_values(
    ctx: &mut Ctx,
    figures: &[FigureCol],
    row: u64,
    rec: &StringRecord,
) -> Vec<Option<Decimal>> {
    figures
        .iter()
        .map(|f| {
            let value = ctx.decimal(row, &f.col, cell(rec, &f.col), false)?;
            if f.figure == Figure::Raw && !value.fract().is_zero() {
                ctx.problems.cell(
                    row,
                    &f.col.name,
                    &value.to_string(),
                    "not a whole number of patients",
                );
                return None;
            }
            Some(value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_column_names() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(date_in_name("Raw list size 2024/25"), d(2024, 1, 1));
        assert_eq!(date_in_name("weighted population 2024/25"), d(2024, 1, 1));
        assert_eq!(date_in_name("Raw list size as of 01/01/25"), d(2025, 1, 1));
        assert_eq!(date_in_name("Raw list size"), None);
        assert_eq!(date_in_name("Adjusted 2024/26"), None);
    }
}
