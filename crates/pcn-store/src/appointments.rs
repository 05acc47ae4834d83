//! GPAD appointment counts: writing them inside their import's transaction
//! and reading back the figures of the newest edition, for the areas asked.
//!
//! Appointments are kept out of the registry cache (`load_facts`): a
//! national practice month is about 1.5 million rows (some 20 MB packed),
//! which every `pcn check` and every web page load would otherwise decode
//! although none of them needs it. They are read through
//! [`Store::appointment_tables`] and [`Store::national_appointments`]
//! instead, and only for the areas a question is about.
//!
//! Each (table, area, month) is one `appointment_block` row whose counts
//! are packed with postcard ([`PackedRow`], encoding [`ENCODING`]): about
//! nine bytes a count, so a national month is some 6,500 rows to write
//! rather than 1.5 million. Every edition is kept; a read takes, for each
//! setting, area and month, the block of the newest edition, and of one
//! edition the later import (then the later table of one import), which is
//! the core's rule too (`pcn_core::appointments`).

use std::collections::{BTreeMap, HashMap};

use pcn_core::arrs::YearMonth;
use pcn_core::facts::FactBatch;
use pcn_core::gpad_facts::*;
use pcn_core::{PracticeCode, SubIcbCode};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::error::{Error, Result};
use crate::rows::Columns;
use crate::write::{count, fetch_mapped, int, opt_text, text, Value, Write};
use crate::Store;

/// The version of the packing of `appointment_block.packed`.
const ENCODING: i64 = 1;

/// One count of a block, without the area and month the block has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct PackedRow {
    status: ApptStatus,
    hcp: HcpType,
    mode: ApptMode,
    interval: BookingInterval,
    category: Option<u16>,
    count: u32,
}

impl PackedRow {
    fn of(r: &AppointmentRow) -> Self {
        PackedRow {
            status: r.status,
            hcp: r.hcp,
            mode: r.mode,
            interval: r.interval,
            category: r.category,
            count: r.count,
        }
    }

    /// The row again, with its block's area and month.
    fn unpack(&self, area: u32, month: YearMonth) -> AppointmentRow {
        AppointmentRow {
            area,
            month,
            status: self.status,
            hcp: self.hcp,
            mode: self.mode,
            interval: self.interval,
            category: self.category,
            count: self.count,
        }
    }
}

/// Which areas' practice and sub-ICB figures to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppointmentAreas {
    /// Every area.
    pub all: bool,
    /// These practices' blocks.
    pub practices: Vec<PracticeCode>,
    /// These sub-ICB locations' blocks, and the blocks of practices the
    /// files publish as in them.
    pub sub_icbs: Vec<SubIcbCode>,
}

impl AppointmentAreas {
    /// Every practice and sub-ICB location.
    pub fn all() -> AppointmentAreas {
        AppointmentAreas {
            all: true,
            ..AppointmentAreas::default()
        }
    }
}

/// What the store holds of GPAD, for `pcn imports` and the benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AppointmentHoldings {
    /// Area-months held, of every edition.
    pub blocks: i64,
    /// Of those, the ones a newer edition (or later import) replaces.
    pub superseded: i64,
    /// Appointments in the current blocks.
    pub current_total: i64,
    /// National months held, of every edition.
    pub national_months: i64,
}

/// An enum's name as stored (`name`) and back (`of`), from one table.
macro_rules! stored_names {
    ($name:ident, $of:ident, $ty:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        fn $name(value: $ty) -> &'static str {
            match value {
                $($ty::$variant => $text),*
            }
        }

        fn $of(raw: &str) -> Option<$ty> {
            [$($ty::$variant),*].into_iter().find(|v| $name(*v) == raw)
        }
    };
}

stored_names!(basis_name, basis_of, EditionBasis {
    Given => "given",
    Stated => "stated",
    Path => "path",
    NewestMonth => "newest-month",
});
stored_names!(setting_name, setting_of, AppointmentSetting {
    Practice => "practice",
    Network => "network",
});
stored_names!(granularity_name, granularity_of, Granularity {
    Monthly => "monthly",
    DailySummedToMonths => "daily-summed-to-months",
});
stored_names!(series_name, series_of, NationalSeries {
    SummaryTable => "summary-table",
    MonthlyCsv => "monthly-csv",
});

/// Writes the GPAD facts of an import: its tables block by block, and its
/// national months.
pub(crate) async fn write_appointments(
    w: &mut Write<'_>,
    import_id: i64,
    facts: &FactBatch,
) -> Result<()> {
    for (seq, table) in facts.appointments.iter().enumerate() {
        write_table(w, import_id, seq as i64, table).await?;
    }
    let mut rows = Vec::with_capacity(facts.national_appointments.len());
    for (seq, month) in facts.national_appointments.iter().enumerate() {
        let mut row = vec![int(import_id), int(seq as i64)];
        row.extend(national_row(month)?);
        rows.push(row);
    }
    w.insert_rows(
        "national_appointment",
        &format!("import_id, seq, {NATIONAL_COLUMNS}"),
        rows,
    )
    .await
}

async fn write_table(
    w: &mut Write<'_>,
    import_id: i64,
    seq: i64,
    table: &AppointmentTable,
) -> Result<()> {
    if let Some(bad) = table.categories.iter().find(|c| c.contains('\n')) {
        return Err(Error::Invalid(format!(
            "the national category {bad:?} has a line break, which pcn cannot keep"
        )));
    }
    let edition = table.edition.month.to_string();
    let setting = setting_name(table.setting);
    w.insert_rows(
        "appointment_table",
        "import_id, seq, edition, edition_basis, setting, granularity, categories",
        vec![vec![
            int(import_id),
            int(seq),
            text(&edition),
            text(basis_name(table.edition.basis)),
            text(setting),
            text(granularity_name(table.granularity)),
            text(table.categories.join("\n")),
        ]],
    )
    .await?;
    let mut rows = Vec::new();
    // Rows are sorted by area then month: one block per run.
    for block in table
        .rows
        .chunk_by(|a, b| a.area == b.area && a.month == b.month)
    {
        let first = block[0];
        let area = table.areas.get(first.area as usize).ok_or_else(|| {
            Error::Invalid(format!(
                "internal error: a row of area {} in a table of {} areas",
                first.area,
                table.areas.len()
            ))
        })?;
        let (kind, code, pcn, sub_icb) = match area {
            AppointmentArea::Practice { code, pcn, sub_icb } => {
                ("practice", code.as_str(), opt_text(pcn), opt_text(sub_icb))
            }
            AppointmentArea::SubIcb(code) => (
                "sub-icb",
                code.as_str(),
                Value::Text(None),
                Value::Text(None),
            ),
        };
        let packed: Vec<PackedRow> = block.iter().map(PackedRow::of).collect();
        let total: u64 = block.iter().map(|r| u64::from(r.count)).sum();
        rows.push(vec![
            int(import_id),
            int(seq),
            text(&edition),
            text(setting),
            text(kind),
            text(code),
            pcn,
            sub_icb,
            text(first.month),
            count(block.len() as u64)?,
            count(total)?,
            int(ENCODING),
            Value::Bytes(Some(postcard::to_stdvec(&packed).map_err(Error::Encode)?)),
        ]);
    }
    w.insert_rows("appointment_block", BLOCK_COLUMNS, rows)
        .await
}

const BLOCK_COLUMNS: &str = "import_id, seq, edition, setting, area_kind, area_code, pcn_code, \
     sub_icb, month, rows_in, total, encoding, packed";

const NATIONAL_COLUMNS: &str = "month, edition, edition_basis, series, recorded, open_practices, \
     included_practices, patients_at_open_practices, patients_at_included_practices, \
     estimated_england_total, working_days, covid_vaccinations_removed, \
     covid_vaccinations_by_practices, by_status, by_hcp, by_mode, by_interval";

fn opt_count(value: Option<u64>) -> Result<Value> {
    match value {
        Some(v) => count(v),
        None => Ok(Value::Int(None)),
    }
}

/// A split as `label=count` pairs joined by `;`.
fn split_text<T: Copy>(split: &Option<Vec<(T, u64)>>, label: impl Fn(T) -> &'static str) -> Value {
    Value::Text(split.as_ref().map(|pairs| {
        pairs
            .iter()
            .map(|(k, n)| format!("{}={n}", label(*k)))
            .collect::<Vec<_>>()
            .join(";")
    }))
}

fn national_row(m: &NationalAppointmentMonth) -> Result<Vec<Value>> {
    let c = m.coverage;
    Ok(vec![
        text(m.month),
        text(m.edition.month),
        text(basis_name(m.edition.basis)),
        text(series_name(m.series)),
        count(m.recorded)?,
        opt_count(c.map(|c| u64::from(c.open_practices)))?,
        opt_count(c.map(|c| u64::from(c.included_practices)))?,
        opt_count(c.map(|c| c.patients_at_open_practices))?,
        opt_count(c.map(|c| c.patients_at_included_practices))?,
        opt_count(m.estimated_england_total)?,
        opt_count(m.working_days.map(u64::from))?,
        opt_count(m.covid_vaccinations_removed)?,
        opt_count(m.covid_vaccinations_by_practices)?,
        split_text(&m.by_status, ApptStatus::label),
        split_text(&m.by_hcp, HcpType::label),
        split_text(&m.by_mode, ApptMode::label),
        split_text(&m.by_interval, BookingInterval::label),
    ])
}

/// A block is current when no block of the same setting, area and month
/// comes from a newer edition, or from the same edition later.
const CURRENT: &str = "NOT EXISTS (SELECT 1 FROM appointment_block n WHERE n.setting = b.setting \
     AND n.area_kind = b.area_kind AND n.area_code = b.area_code AND n.month = b.month \
     AND (n.edition > b.edition OR (n.edition = b.edition AND (n.import_id > b.import_id \
     OR (n.import_id = b.import_id AND n.seq > b.seq)))))";

/// One block as read.
struct Block {
    import_id: i64,
    seq: i64,
    area: AppointmentArea,
    month: YearMonth,
    rows: Vec<PackedRow>,
}

fn block_of(c: &Columns) -> Result<Block> {
    let code = c.text("area_code")?;
    let area = c.by_kind("area_kind", |kind| {
        Ok(match kind {
            "practice" => Some(AppointmentArea::Practice {
                code: c.parse("area_code")?,
                pcn: c.opt_parse("pcn_code")?,
                sub_icb: c.opt_parse("sub_icb")?,
            }),
            "sub-icb" => Some(AppointmentArea::SubIcb(c.parse("area_code")?)),
            _ => None,
        })
    })?;
    let encoding = c.int("encoding")?;
    if encoding != ENCODING {
        return Err(Error::corrupt(
            "appointment_block",
            "encoding",
            encoding.to_string(),
            None,
        ));
    }
    let packed = c.bytes("packed")?;
    let rows: Vec<PackedRow> = postcard::from_bytes(&packed).map_err(|e| {
        Error::corrupt(
            "appointment_block",
            "packed",
            format!("{code} {}", c.text("month").unwrap_or_default()),
            Some(e.into()),
        )
    })?;
    // The packed counts must agree with the columns written beside them.
    let total: u64 = rows.iter().map(|r| u64::from(r.count)).sum();
    if rows.len() as i64 != c.int("rows_in")? || total as i64 != c.int("total")? {
        return Err(Error::corrupt(
            "appointment_block",
            "packed",
            format!("{code}: {} rows, {total} appointments", rows.len()),
            None,
        ));
    }
    Ok(Block {
        import_id: c.int("import_id")?,
        seq: c.int("seq")?,
        area,
        month: c.parse("month")?,
        rows,
    })
}

/// The table a block belongs to, as written.
struct TableHead {
    edition: GpadEdition,
    setting: AppointmentSetting,
    granularity: Granularity,
    categories: Vec<String>,
}

fn table_head(c: &Columns) -> Result<((i64, i64), TableHead)> {
    let categories = c.text("categories")?;
    Ok((
        (c.int("import_id")?, c.int("seq")?),
        TableHead {
            edition: GpadEdition {
                month: c.parse("edition")?,
                basis: c.named("edition_basis", basis_of)?,
            },
            setting: c.named("setting", setting_of)?,
            granularity: c.named("granularity", granularity_of)?,
            categories: if categories.is_empty() {
                Vec::new()
            } else {
                categories.split('\n').map(str::to_string).collect()
            },
        },
    ))
}

/// How many codes one statement binds (well under both engines' limits).
const CODES_PER_QUERY: usize = 500;

/// `$1, $2, …` from `from`.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn current_blocks(
    conn: &mut AnyConnection,
    areas: &AppointmentAreas,
) -> Result<BTreeMap<(i64, i64, String, String, YearMonth), Block>> {
    let select = format!(
        "SELECT import_id, seq, area_kind, area_code, pcn_code, sub_icb, month, rows_in, total, \
         encoding, packed FROM appointment_block b WHERE {CURRENT}"
    );
    // Each condition with the codes it binds.
    let mut asks: Vec<(String, Vec<String>)> = Vec::new();
    if areas.all {
        asks.push((String::new(), Vec::new()));
    } else {
        for chunk in areas.sub_icbs.chunks(CODES_PER_QUERY) {
            let list = placeholders(1, chunk.len());
            let codes = chunk.iter().map(|c| c.to_string()).collect();
            asks.push((
                format!(
                    " AND ((b.area_kind = 'sub-icb' AND b.area_code IN ({list})) \
                     OR (b.area_kind = 'practice' AND b.sub_icb IN ({list})))"
                ),
                codes,
            ));
        }
        for chunk in areas.practices.chunks(CODES_PER_QUERY) {
            let list = placeholders(1, chunk.len());
            let codes = chunk.iter().map(|c| c.to_string()).collect();
            asks.push((
                format!(" AND b.area_kind = 'practice' AND b.area_code IN ({list})"),
                codes,
            ));
        }
    }
    let mut out = BTreeMap::new();
    for (condition, codes) in asks {
        let sql = format!("{select}{condition}");
        let mut query = sqlx::query(&sql);
        for code in codes {
            query = query.bind(code);
        }
        for block in fetch_mapped(conn, query, "appointment_block", block_of).await? {
            let key = (
                block.import_id,
                block.seq,
                block.area.code().to_string(),
                match block.area {
                    AppointmentArea::Practice { .. } => "practice".to_string(),
                    AppointmentArea::SubIcb(_) => "sub-icb".to_string(),
                },
                block.month,
            );
            out.insert(key, block);
        }
    }
    Ok(out)
}

impl Store {
    /// The GPAD count tables for `areas`, holding for each setting, area and
    /// month only the figures of the newest edition (of one edition, the
    /// later import). Tables come in import order, each with its edition,
    /// so the core's own choice of the newest agrees.
    pub async fn appointment_tables(
        &self,
        areas: &AppointmentAreas,
    ) -> Result<Vec<AppointmentTable>> {
        let mut conn = self.pool.acquire().await?;
        let blocks = current_blocks(&mut conn, areas).await?;
        if blocks.is_empty() {
            return Ok(Vec::new());
        }
        let query = sqlx::query(
            "SELECT import_id, seq, edition, edition_basis, setting, granularity, categories \
             FROM appointment_table",
        );
        let heads: HashMap<(i64, i64), TableHead> =
            fetch_mapped(&mut conn, query, "appointment_table", table_head)
                .await?
                .into_iter()
                .collect();
        let mut tables: BTreeMap<(i64, i64), (AppointmentTable, HashMap<AppointmentArea, u32>)> =
            BTreeMap::new();
        // Blocks are keyed by table, then area, then month: rows come out
        // sorted by area then month, as the core expects.
        for ((import_id, seq, ..), block) in blocks {
            let head = heads.get(&(import_id, seq)).ok_or_else(|| {
                Error::corrupt(
                    "appointment_block",
                    "seq",
                    format!("{import_id}/{seq}"),
                    None,
                )
            })?;
            let (table, index) = tables.entry((import_id, seq)).or_insert_with(|| {
                (
                    AppointmentTable {
                        edition: head.edition,
                        setting: head.setting,
                        granularity: head.granularity,
                        areas: Vec::new(),
                        categories: head.categories.clone(),
                        rows: Vec::new(),
                    },
                    HashMap::new(),
                )
            });
            let next = table.areas.len() as u32;
            let area = *index.entry(block.area.clone()).or_insert_with(|| {
                table.areas.push(block.area.clone());
                next
            });
            table
                .rows
                .extend(block.rows.iter().map(|r| r.unpack(area, block.month)));
        }
        Ok(tables.into_values().map(|(t, _)| t).collect())
    }

    /// Every national month held, of every edition, in import order (the
    /// core takes each figure from the newest edition that gives it).
    pub async fn national_appointments(&self) -> Result<Vec<NationalAppointmentMonth>> {
        let sql =
            format!("SELECT {NATIONAL_COLUMNS} FROM national_appointment ORDER BY import_id, seq");
        self.fetch(sqlx::query(&sql), "national_appointment", national_of)
            .await
    }

    /// What is held of GPAD: area-months (all editions, and those replaced)
    /// and national months.
    pub async fn appointment_holdings(&self) -> Result<AppointmentHoldings> {
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS blocks, \
             CAST(COALESCE(SUM(CASE WHEN {CURRENT} THEN 0 ELSE 1 END), 0) AS BIGINT) AS superseded, \
             CAST(COALESCE(SUM(CASE WHEN {CURRENT} THEN b.total ELSE 0 END), 0) AS BIGINT) AS current_total, \
             CAST((SELECT COUNT(*) FROM national_appointment) AS BIGINT) AS national_months \
             FROM appointment_block b"
        );
        let mut found = self
            .fetch(sqlx::query(&sql), "appointment_block", |c| {
                Ok(AppointmentHoldings {
                    blocks: c.int("blocks")?,
                    superseded: c.int("superseded")?,
                    current_total: c.int("current_total")?,
                    national_months: c.int("national_months")?,
                })
            })
            .await?;
        Ok(found.pop().unwrap_or_default())
    }
}

/// A split from its stored text.
fn split_of<T>(
    c: &Columns,
    column: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<Vec<(T, u64)>>> {
    let Some(raw) = c.opt_text(column)? else {
        return Ok(None);
    };
    let bad = || Error::corrupt("national_appointment", column, raw.clone(), None);
    raw.split(';')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (label, n) = pair.rsplit_once('=').ok_or_else(bad)?;
            Ok((parse(label).ok_or_else(bad)?, n.parse().map_err(|_| bad())?))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

fn national_of(c: &Columns) -> Result<NationalAppointmentMonth> {
    let coverage = match (
        c.opt_int("open_practices")?,
        c.opt_int("included_practices")?,
        c.opt_int("patients_at_open_practices")?,
        c.opt_int("patients_at_included_practices")?,
    ) {
        (Some(_), Some(_), Some(_), Some(_)) => Some(Coverage {
            open_practices: c.count("open_practices")?,
            included_practices: c.count("included_practices")?,
            patients_at_open_practices: c.count("patients_at_open_practices")?,
            patients_at_included_practices: c.count("patients_at_included_practices")?,
        }),
        _ => None,
    };
    let opt = |column: &'static str| -> Result<Option<u64>> {
        c.opt_int(column)?
            .map(|v| {
                u64::try_from(v).map_err(|e| {
                    Error::corrupt(
                        "national_appointment",
                        column,
                        v.to_string(),
                        Some(e.into()),
                    )
                })
            })
            .transpose()
    };
    Ok(NationalAppointmentMonth {
        month: c.parse("month")?,
        edition: GpadEdition {
            month: c.parse("edition")?,
            basis: c.named("edition_basis", basis_of)?,
        },
        series: c.named("series", series_of)?,
        recorded: c.count("recorded")?,
        coverage,
        estimated_england_total: opt("estimated_england_total")?,
        working_days: opt("working_days")?.and_then(|d| u32::try_from(d).ok()),
        covid_vaccinations_removed: opt("covid_vaccinations_removed")?,
        covid_vaccinations_by_practices: opt("covid_vaccinations_by_practices")?,
        by_status: split_of(c, "by_status", ApptStatus::parse)?,
        by_hcp: split_of(c, "by_hcp", HcpType::parse)?,
        by_mode: split_of(c, "by_mode", ApptMode::parse)?,
        by_interval: split_of(c, "by_interval", BookingInterval::parse)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for b in [
            EditionBasis::Given,
            EditionBasis::Stated,
            EditionBasis::Path,
            EditionBasis::NewestMonth,
        ] {
            assert_eq!(basis_of(basis_name(b)), Some(b));
        }
        for s in [AppointmentSetting::Practice, AppointmentSetting::Network] {
            assert_eq!(setting_of(setting_name(s)), Some(s));
        }
        for g in [Granularity::Monthly, Granularity::DailySummedToMonths] {
            assert_eq!(granularity_of(granularity_name(g)), Some(g));
        }
        for s in [NationalSeries::SummaryTable, NationalSeries::MonthlyCsv] {
            assert_eq!(series_of(series_name(s)), Some(s));
        }
        assert_eq!(basis_of("guessed"), None);
    }

    #[test]
    fn packed_rows_are_small() {
        let rows = vec![
            PackedRow {
                status: ApptStatus::Attended,
                hcp: HcpType::Gp,
                mode: ApptMode::FaceToFace,
                interval: BookingInterval::SameDay,
                category: Some(3),
                count: 17,
            };
            230
        ];
        let bytes = postcard::to_stdvec(&rows).unwrap();
        // Four one-byte labels, a category in two, a count in one.
        assert!(bytes.len() <= 2 + 230 * 7, "{} bytes", bytes.len());
        assert_eq!(
            postcard::from_bytes::<Vec<PackedRow>>(&bytes).unwrap(),
            rows
        );
    }
}
