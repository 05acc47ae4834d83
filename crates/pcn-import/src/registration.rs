//! Patients Registered at a GP Practice (NHS England Digital, monthly).
//!
//! Four files of the publication, each with an `EXTRACT_DATE` that must be
//! the same on every row and is the data date:
//!
//! - **map** `gp-reg-pat-prac-map.csv` ([`SourceKind::RegistrationMap`]): practice →
//!   PCN → sub-ICB → ICB → region, plus GP system supplier. Gives a
//!   [`PracticeFact`], a [`MembershipObservation`] (PCN `U` = Unallocated is
//!   kept as an observation) and a name-only [`NetworkFact`] for each real PCN
//!   (the file does not say which commissioner a network belongs to).
//!   `EXTRACT_DATE` is written `01Jul2026`.
//! - **quinary age** `gp-reg-pat-prac-quin-age.csv` (`RegistrationQuinaryAge`):
//!   only `ORG_TYPE = GP` rows are read (PCN / sub-ICB / ICB / region rows are
//!   skipped and counted). One [`ListSizeFact`] per practice and sex: the
//!   total is the `AGE_GROUP_5 = ALL` row, the bands the 20 five-year rows,
//!   which must add up to the total. Every practice must have `ALL`, `FEMALE`
//!   and `MALE`. The file publishes bands for `FEMALE` and `MALE` only; the
//!   `ALL` bands are their sum when the two totals add up to the `ALL` total
//!   (as they do for every practice in July 2026), else `None`.
//!   `EXTRACT_DATE` is ISO here.
//! - **single year of age** `gp-reg-pat-prac-sing-age-*.csv` (`RegistrationSingleAge`):
//!   ages `0`…`94` and `95+` summed into the 20 bands; total from `AGE = ALL`.
//! - **totals** `gp-reg-pat-prac-all.csv` (`RegistrationTotals`): total only.
//!
//! Counts must be whole numbers ≥ 0. A missing band row counts as 0, so a
//! file that omits zero rows still reads, but bands must add up to the total.
//!
//! The single-age and totals files share a header shape (`AGE`,
//! `NUMBER_OF_PATIENTS`); [`age_kind`] tells them apart by the file name
//! (`sing-age`, `prac-all`), else by whether the first 2,000 rows have any
//! `AGE` other than `ALL`.
//!
//! Header names, by era (matched by name; `_` and space alike):
//! - sub-ICB era map (**verified**, real July 2026 file): `PUBLICATION, EXTRACT_DATE,
//!   PRACTICE_CODE, PRACTICE_NAME, PRACTICE_POSTCODE, PCN_CODE, PCN_NAME,
//!   ONS_SUB_ICB_LOCATION_CODE, SUB_ICB_LOCATION_CODE, SUB_ICB_LOCATION_NAME,
//!   ONS_ICB_CODE, ICB_CODE, ICB_NAME, ONS_COMM_REGION_CODE, COMM_REGION_CODE,
//!   COMM_REGION_NAME, SUPPLIER_NAME`.
//! - CCG era map (**verified from a published data dictionary** of the
//!   practice map, lower-cased there): `…, PCN_CODE, PCN_NAME, ONS_CCG_CODE,
//!   CCG_CODE, CCG_NAME, ONS_STP_CODE, STP_CODE, STP_NAME,
//!   ONS_COMM_REGION_CODE, COMM_REGION_CODE, COMM_REGION_NAME` (no supplier).
//! - quinary age (**verified**, real July 2026 file): `PUBLICATION, EXTRACT_DATE,
//!   ORG_TYPE, ORG_CODE, ONS_CODE, POSTCODE, SEX, AGE_GROUP_5, NUMBER_OF_PATIENTS`.
//! - totals (**partly verified**: `CODE`, `POSTCODE`, `NUMBER_OF_PATIENTS` are
//!   used by published code reading the May 2023 file): assumed
//!   `PUBLICATION, EXTRACT_DATE, TYPE, SUB_ICB_LOCATION_CODE (CCG_CODE),
//!   ONS_…, CODE, POSTCODE, SEX, AGE, NUMBER_OF_PATIENTS`. Practice column
//!   accepted as `CODE`, `ORG_CODE` or `PRACTICE_CODE`; `TYPE`/`ORG_TYPE`,
//!   when present, filter to `GP`.
//! - single age (**partly verified**: `EXTRACT_DATE, ORG_TYPE, ORG_CODE,
//!   ONS_CODE, SEX, AGE, NUMBER_OF_PATIENTS` and `SUB_ICB_LOCATION_CODE,
//!   POSTCODE` appear in a published description of these files; exact order
//!   and the CCG-era spellings not seen).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use csv::StringRecord;
use pcn_core::{
    age_band_index, age_band_of_years, FactBatch, ListSizeFact, MembershipObservation, NetworkFact,
    PcnCode, PracticeCode, PracticeFact, Sex, SourceKind,
};

use crate::ctx::{cell, text, Ctx};
use crate::decode::geography::Columns;
use crate::decode::{Col, Table};

/// Rows looked at by [`age_kind`].
const AGE_SNIFF_ROWS: usize = 2_000;

/// Single-year-of-age or totals file?
pub(crate) fn age_kind(file_name: &str, text: &str) -> SourceKind {
    let lower = file_name.to_ascii_lowercase();
    if lower.contains("sing-age") || lower.contains("single") {
        return SourceKind::RegistrationSingleAge;
    }
    if lower.contains("prac-all") {
        return SourceKind::RegistrationTotals;
    }
    let table = Table::from_text(text, None);
    let Some(age) = table.col(&["AGE"]) else {
        return SourceKind::RegistrationTotals;
    };
    let mut seen = 0usize;
    let mut single = false;
    table.for_each(|_, rec| {
        if !cell(rec, &age).eq_ignore_ascii_case("ALL") {
            single = true;
        }
        seen = seen.saturating_add(1);
        !single && seen < AGE_SNIFF_ROWS
    });
    if single {
        SourceKind::RegistrationSingleAge
    } else {
        SourceKind::RegistrationTotals
    }
}

/// The one `EXTRACT_DATE` of a file.
struct ExtractDate {
    date: Option<(NaiveDate, String)>,
}

impl ExtractDate {
    fn new() -> Self {
        Self { date: None }
    }

    fn check(&mut self, ctx: &mut Ctx, row: u64, col: &Col, raw: &str) {
        let Some(d) = ctx.date(row, col, raw) else {
            return;
        };
        match &self.date {
            None => self.date = Some((d, raw.to_string())),
            Some((first, first_raw)) if *first != d => ctx.problems.cell(
                row,
                &col.name,
                raw,
                format!(
                    "differs from the extract date {first_raw} of the first row; a file must \
                     have one extract date"
                ),
            ),
            Some(_) => {}
        }
    }

    fn finish(self, ctx: &mut Ctx) -> Option<NaiveDate> {
        let (d, _) = self.date?;
        if let Some(as_at) = ctx.opts.as_at {
            if as_at != d {
                ctx.notes.push(format!(
                    "the file's own extract date {d} is used; --as-at {as_at} is ignored"
                ));
            }
        }
        Some(d)
    }
}

/// `gp-reg-pat-prac-map.csv`.
pub(crate) fn read_map(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    let Some([practice_col, pcn_col, date_col]) = table.require_all(
        [&["PRACTICE_CODE"], &["PCN_CODE"], &["EXTRACT_DATE"]],
        &mut ctx.problems,
    ) else {
        return (batch, None);
    };
    let name_col = table.col(&["PRACTICE_NAME"]);
    let postcode_col = table.col(&["PRACTICE_POSTCODE", "POSTCODE"]);
    let pcn_name_col = table.col(&["PCN_NAME"]);
    let geography = Columns::find(
        table,
        ["COMM_REGION_CODE", "REGION_CODE"],
        ["COMM_REGION_NAME", "REGION_NAME"],
    );
    let supplier_col = table.col(&["SUPPLIER_NAME", "SUPPLIER"]);

    let mut extract = ExtractDate::new();
    let mut seen: HashMap<PracticeCode, u64> = HashMap::new();
    let mut networks: HashSet<PcnCode> = HashSet::new();
    // Facts take the file date, known only at the end; a placeholder until then.
    let placeholder = NaiveDate::MIN;

    ctx.rows(table, |ctx, row, rec| {
        extract.check(ctx, row, &date_col, cell(rec, &date_col));
        let practice = ctx.code_in(row, &practice_col, rec, PracticeCode::parse);
        let pcn = ctx.code_in(row, &pcn_col, rec, PcnCode::parse);
        let mut fact = practice
            .clone()
            .map(|code| PracticeFact::new(code, placeholder));
        let codes = geography.codes(ctx, row, rec);
        let (Some(practice), Some(pcn), Some(fact)) = (practice, pcn, fact.as_mut()) else {
            return true;
        };
        if !ctx.first_listing(&mut seen, &practice, row, &practice_col, "practice") {
            return true;
        }
        fact.name = text(rec, name_col.as_ref());
        fact.postcode = text(rec, postcode_col.as_ref());
        geography.set(fact, codes, rec);
        fact.supplier = text(rec, supplier_col.as_ref());
        batch.practices.push(fact.clone());
        push_membership(
            &mut batch,
            &mut networks,
            practice,
            pcn,
            placeholder,
            || text(rec, pcn_name_col.as_ref()),
        );
        true
    });
    let unallocated = count_unallocated(&batch);
    let date = extract.finish(ctx);
    if let Some(d) = date {
        set_dates(&mut batch, d);
    }
    ctx.note_count(
        unallocated,
        "practices are in no network (PCN code U, Unallocated)",
    );
    (batch, date)
}

/// Records that `practice` is in `pcn` as at `as_at`, and the network itself,
/// named by `name`, the first time `networks` sees it (the unallocated code
/// `U` is no network).
pub(crate) fn push_membership(
    batch: &mut FactBatch,
    networks: &mut HashSet<PcnCode>,
    practice: PracticeCode,
    pcn: PcnCode,
    as_at: NaiveDate,
    name: impl FnOnce() -> Option<String>,
) {
    if !pcn.is_unallocated() && networks.insert(pcn.clone()) {
        let mut network = NetworkFact::new(pcn.clone(), as_at);
        network.name = name();
        batch.networks.push(network);
    }
    batch.observations.push(MembershipObservation {
        practice,
        pcn,
        as_at,
    });
}

/// How many of the batch's memberships are in no network (PCN code `U`).
pub(crate) fn count_unallocated(batch: &FactBatch) -> usize {
    batch
        .observations
        .iter()
        .filter(|o| o.pcn.is_unallocated())
        .count()
}

fn set_dates(batch: &mut FactBatch, d: NaiveDate) {
    for f in &mut batch.practices {
        f.as_at = d;
    }
    for f in &mut batch.networks {
        f.as_at = d;
    }
    for f in &mut batch.observations {
        f.as_at = d;
    }
    for f in &mut batch.list_sizes {
        f.as_at = d;
    }
}

/// Counts for one practice and sex while a file is read.
struct Acc {
    practice: PracticeCode,
    sex: Sex,
    first_row: u64,
    total: Option<u64>,
    bands: [u64; 20],
    has_bands: bool,
    /// Which bands (quinary) or ages (single) have been seen, to catch repeats.
    seen: u128,
}

/// Per-practice accumulation shared by the three count files.
struct Counts {
    accs: Vec<Acc>,
    index: HashMap<(PracticeCode, Sex), usize>,
    practices: Vec<PracticeFact>,
    practice_index: HashMap<PracticeCode, usize>,
}

/// Which row of a practice's counts a record is.
enum Slot {
    Total,
    /// Band index, and a bit identifying the published row (for repeats).
    Band(usize, u32),
}

impl Counts {
    fn new() -> Self {
        Self {
            accs: Vec::new(),
            index: HashMap::new(),
            practices: Vec::new(),
            practice_index: HashMap::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        ctx: &mut Ctx,
        row: u64,
        practice: PracticeCode,
        postcode: Option<String>,
        sex: Sex,
        slot: Slot,
        n: u64,
        label: (&Col, &str),
    ) {
        if !self.practice_index.contains_key(&practice) {
            self.practice_index
                .insert(practice.clone(), self.practices.len());
            let mut fact = PracticeFact::new(practice.clone(), NaiveDate::MIN);
            fact.postcode = postcode;
            self.practices.push(fact);
        }
        let key = (practice, sex);
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.accs.len();
                self.accs.push(Acc {
                    practice: key.0.clone(),
                    sex,
                    first_row: row,
                    total: None,
                    bands: [0; 20],
                    has_bands: false,
                    seen: 0,
                });
                self.index.insert(key, i);
                i
            }
        };
        let Some(acc) = self.accs.get_mut(i) else {
            return;
        };
        let (col, raw) = label;
        let bit = match slot {
            Slot::Total => 127,
            Slot::Band(_, bit) => bit.min(126),
        };
        let mask = 1u128 << bit;
        if acc.seen & mask != 0 {
            ctx.problems.cell(
                row,
                &col.name,
                raw,
                format!(
                    "repeats an earlier row for practice {} sex {}",
                    acc.practice,
                    sex.code()
                ),
            );
            return;
        }
        acc.seen |= mask;
        match slot {
            Slot::Total => acc.total = Some(n),
            Slot::Band(b, _) => {
                acc.has_bands = true;
                if let Some(slot) = acc.bands.get_mut(b) {
                    *slot = slot.saturating_add(n);
                }
            }
        }
    }

    /// Checks totals and bands, derives `ALL` bands, and builds the facts.
    fn finish(self, ctx: &mut Ctx, practice_col: &Col, want_all_sexes: bool) -> FactBatch {
        let mut batch = FactBatch::default();
        let mut by_practice: HashMap<&PracticeCode, [Option<&Acc>; 3]> = HashMap::new();
        for acc in &self.accs {
            let slot = match acc.sex {
                Sex::All => 0,
                Sex::Female => 1,
                Sex::Male => 2,
            };
            if let Some(s) = by_practice.entry(&acc.practice).or_default().get_mut(slot) {
                *s = Some(acc);
            }
        }
        for acc in &self.accs {
            let Some(total) = acc.total else {
                ctx.problems.cell(
                    acc.first_row,
                    &practice_col.name,
                    acc.practice.as_str(),
                    format!("no total (ALL ages) row for sex {}", acc.sex.code()),
                );
                continue;
            };
            let bands = if acc.has_bands {
                let sum = acc.bands.iter().fold(0u64, |s, b| s.saturating_add(*b));
                if sum != total {
                    ctx.problems.cell(
                        acc.first_row,
                        &practice_col.name,
                        acc.practice.as_str(),
                        format!(
                            "the age bands for sex {} add up to {sum} but the total is {total}",
                            acc.sex.code()
                        ),
                    );
                    continue;
                }
                Some(acc.bands)
            } else if acc.sex == Sex::All {
                derived_all_bands(by_practice.get(&acc.practice), total)
            } else {
                None
            };
            batch.list_sizes.push(ListSizeFact {
                practice: acc.practice.clone(),
                as_at: NaiveDate::MIN,
                sex: acc.sex,
                total,
                bands,
            });
        }
        if want_all_sexes {
            for fact in &self.practices {
                let have = by_practice.get(&fact.code).copied().unwrap_or_default();
                let missing: Vec<&str> = [Sex::All, Sex::Female, Sex::Male]
                    .iter()
                    .zip(have.iter())
                    .filter(|(_, a)| a.is_none())
                    .map(|(s, _)| s.code())
                    .collect();
                if !missing.is_empty() {
                    let row = have
                        .iter()
                        .flatten()
                        .map(|a| a.first_row)
                        .min()
                        .unwrap_or(0);
                    ctx.problems.cell(
                        row,
                        &practice_col.name,
                        fact.code.as_str(),
                        format!("no rows for sex {}", missing.join(", ")),
                    );
                }
            }
        }
        batch.practices = self.practices;
        batch
    }
}

/// `ALL` bands as `FEMALE` + `MALE`, when those add up to the `ALL` total.
fn derived_all_bands(sexes: Option<&[Option<&Acc>; 3]>, total: u64) -> Option<[u64; 20]> {
    let [_, Some(f), Some(m)] = sexes? else {
        return None;
    };
    if !(f.has_bands && m.has_bands) || f.total?.checked_add(m.total?)? != total {
        return None;
    }
    let mut out = [0u64; 20];
    for (o, (a, b)) in out.iter_mut().zip(f.bands.iter().zip(m.bands.iter())) {
        *o = a.checked_add(*b)?;
    }
    Some(out)
}

/// Columns of the count files.
struct CountCols {
    practice: Col,
    sex: Option<Col>,
    age: Option<Col>,
    count: Col,
    date: Col,
    org_type: Option<Col>,
    postcode: Option<Col>,
}

fn count_cols(ctx: &mut Ctx, table: &Table, age: &[&str], age_required: bool) -> Option<CountCols> {
    let p = &mut ctx.problems;
    let practice = table.require(&["ORG_CODE", "CODE", "PRACTICE_CODE"], p);
    let sex = if age_required {
        table.require(&["SEX"], p)
    } else {
        table.col(&["SEX"])
    };
    let age_col = if age_required {
        table.require(age, p)
    } else {
        table.col(age)
    };
    let count = table.require(&["NUMBER_OF_PATIENTS"], p);
    let date = table.require(&["EXTRACT_DATE"], p);
    Some(CountCols {
        practice: practice?,
        sex: if age_required { Some(sex?) } else { sex },
        age: if age_required {
            Some(age_col?)
        } else {
            age_col
        },
        count: count?,
        date: date?,
        org_type: table.col(&["ORG_TYPE", "TYPE"]),
        postcode: table.col(&["POSTCODE", "PRACTICE_POSTCODE"]),
    })
}

/// The shared walk of the three count files; `slot` reads a row's age.
fn read_counts(
    ctx: &mut Ctx,
    table: &Table,
    cols: &CountCols,
    want_all_sexes: bool,
    slot: fn(&str) -> Option<Slot>,
) -> (FactBatch, Option<NaiveDate>) {
    let mut extract = ExtractDate::new();
    let mut counts = Counts::new();
    let mut other_levels = 0u64;
    table.for_each(|row, rec: &StringRecord| {
        ctx.tick();
        if !table.check_width(row, rec, &mut ctx.problems) {
            return true;
        }
        extract.check(ctx, row, &cols.date, cell(rec, &cols.date));
        if let Some(t) = &cols.org_type {
            if !cell(rec, t).eq_ignore_ascii_case("GP") {
                ctx.skip();
                other_levels = other_levels.saturating_add(1);
                return true;
            }
        }
        let practice = ctx.code_in(row, &cols.practice, rec, PracticeCode::parse);
        let sex = match &cols.sex {
            None => Some(Sex::All),
            Some(c) => {
                let raw = cell(rec, c);
                ctx.known(
                    row,
                    c,
                    raw,
                    Sex::parse(raw),
                    "not a sex (expected ALL, FEMALE or MALE)",
                )
            }
        };
        let (age_col, age_raw) = match &cols.age {
            None => (&cols.count, "ALL"),
            Some(c) => (c, cell(rec, c)),
        };
        let s = ctx.known(
            row,
            age_col,
            age_raw,
            slot(age_raw),
            "not an age or age band of this file",
        );
        let n = ctx.count(row, &cols.count, cell(rec, &cols.count));
        if let (Some(practice), Some(sex), Some(s), Some(n)) = (practice, sex, s, n) {
            let postcode = text(rec, cols.postcode.as_ref());
            counts.add(ctx, row, practice, postcode, sex, s, n, (age_col, age_raw));
        }
        true
    });
    ctx.note_count(
        other_levels,
        "rows for levels other than GP practices (PCN, sub-ICB, ICB, region) skipped",
    );
    let mut batch = counts.finish(ctx, &cols.practice, want_all_sexes);
    let date = extract.finish(ctx);
    if let Some(d) = date {
        set_dates(&mut batch, d);
    }
    (batch, date)
}

/// `gp-reg-pat-prac-quin-age.csv`.
pub(crate) fn read_quinary(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let Some(cols) = count_cols(ctx, table, &["AGE_GROUP_5"], true) else {
        return (FactBatch::default(), None);
    };
    read_counts(ctx, table, &cols, true, |raw| {
        if raw.eq_ignore_ascii_case("ALL") {
            Some(Slot::Total)
        } else {
            age_band_index(raw).and_then(|b| Some(Slot::Band(b, u32::try_from(b).ok()?)))
        }
    })
}

/// `gp-reg-pat-prac-sing-age-*.csv`.
pub(crate) fn read_single_age(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let Some(cols) = count_cols(ctx, table, &["AGE"], true) else {
        return (FactBatch::default(), None);
    };
    read_counts(ctx, table, &cols, false, |raw| {
        if raw.eq_ignore_ascii_case("ALL") {
            return Some(Slot::Total);
        }
        let years = raw.strip_suffix('+').unwrap_or(raw);
        if !years.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let age: u32 = years.parse().ok().filter(|a| *a <= 125)?;
        Some(Slot::Band(age_band_of_years(age), age))
    })
}

/// `gp-reg-pat-prac-all.csv`.
pub(crate) fn read_totals(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let Some(cols) = count_cols(ctx, table, &["AGE"], false) else {
        return (FactBatch::default(), None);
    };
    read_counts(ctx, table, &cols, false, |raw| {
        raw.eq_ignore_ascii_case("ALL").then_some(Slot::Total)
    })
}
