//! NHS Payments to General Practice, practice-level CSV (NHS England
//! Digital; one file a financial year, such as `nhspaymentsgp-21-22-prac.csv`)
//! ([`SourceKind::NhsPaymentsPractice`](pcn_core::SourceKind)): what each
//! practice was actually paid in the year, per payment line, in pounds.
//!
//! ## Layouts
//!
//! The file's columns changed from year to year, and its geography columns
//! from the CCG era to the sub-ICB era. pcn knows these layouts, each as the
//! exact set of its columns (order is not relied on):
//!
//! | layout | columns | PCN payment columns |
//! |---|---|---|
//! | 2019-20 | 54 | `PCN Participation` only: core PCN funding, the clinical director and extended hours were not published as columns |
//! | 2020-21 | 68 | `PCN Participation`, `PCN Leadership`, `PCN Support`, `PCN Extended Hours Access`, `PCN Workforce`, `PCN Investment and impact Fund`, `PCN Care Home Premium` |
//! | 2021-22 | 74 | as 2020-21, with `Medical Assessment Reviews`, `Weight Management Service`, `winter Access Fund`, `Long Covid` and the totals "including Covid and PCN payments" |
//! | 2022-23 | 75 | as 2021-22, with `PCN Enhanced Access` |
//!
//! The 2022-23 file as published names its geography columns `CCG Code`,
//! `Sub ICB NAME`, `Code` and `CCG NAME`, and they hold, in that order, the
//! sub-ICB location's code and name and **the network's code and name**: so
//! in that file the network is read from `Code`, and `CCG NAME` is the
//! network's name. (The header was read from a public copy of NHS England
//! Digital's `nhspaymentsgp-22-23-prac-csv.csv`, GitHub
//! `HealthEquityEvidenceCentre/HEEC`, `data/payments/raw/22-23.csv`, whose
//! 2021-22 copy has the header of the file in `../shared` to the letter; only
//! its header was used.) The same columns under the sub-ICB era's names
//! (`Sub ICB Location Code`, `Sub ICB Location Name`, `PCN Code`, `PCN Name`)
//! are read too. Each layout says which column holds the network code
//! ([`Layout::pcn_code`]).
//!
//! The 2019-20, 2020-21 and 2021-22 layouts are those of the files as
//! published (checked against them, 7,001, 6,808 and 6,758 practices). Names
//! are matched after normalising white space and case, so `Appraisal Costs `
//! with its trailing space, quoted names with commas (`"Non DES Item
//! Pneumococcal Vaccine, Childhood Immunisation Main Programme"`) and names
//! broken over lines all match; the byte-order mark of the 2020-21 and
//! 2021-22 files is dropped when the file is decoded. The geography columns
//! are accepted in both eras (`CCG Code`/`CCG NAME`, or `Sub ICB Location
//! Code`/`Name`), as is the older `NHS England (Region, local office) Code`.
//!
//! **A header that is none of these layouts is refused**, naming row 1 and
//! the first column that is not in the nearest layout (or that the nearest
//! layout has and the file lacks): a file of a year whose layout pcn does
//! not know cannot be read safely, because a renamed or new payment column
//! would silently be left out.
//!
//! ## What is taken
//!
//! - The PCN payment columns above, per practice, as [`PaymentActualFact`]s
//!   in exact pence. Blank and zero amounts give no fact; negative amounts
//!   (recoveries) are kept. An amount with more than two decimal places is
//!   rounded to the penny, half away from zero, and counted in a note.
//!   Network-level streams are paid to one practice of the network (its
//!   payee), so they add up by network; the Network Participation Payment is
//!   paid to every member practice.
//! - The practice's network from `PCN Code`, on each payment, and as a
//!   membership observation ([`MembershipObservation`]) dated the first day
//!   of the financial year: the file says the practice was paid the year's
//!   network payments as a member of that network, and it is the only record
//!   of memberships before October 2019 (ODS records PCN relationships from
//!   1 October 2019) and of practices that closed before the current ODS
//!   files. Any dated ODS relationship or snapshot from later in the year
//!   supersedes it from its own date (see `pcn_core::registry`). **A row
//!   whose PCN code is not a network code** (`Unknown or no PCN`, blank,
//!   `N/A`, the `U` placeholder …) **is kept** as a practice payment with no
//!   network, and the notes count such rows by the value found; it never
//!   refuses the file.
//! - `Number of Registered Patients (Last Known Figure)` as a registered
//!   list ([`ListSizeFact`], rounded to whole patients) and `Number of
//!   Weighted Patients (Last Known Figure)` as a contractor weighted
//!   population ([`PopulationFact`], exact), both dated 15 August of the
//!   year's first calendar year (see below). Zero figures (a practice with no
//!   patients in the year) give no fact.
//!
//! ## The date the "last known" patient figures stand for
//!
//! Despite the name, neither figure is one count on one date: each is the
//! **mean of the practice's quarterly counts in the financial year**, taken
//! on 1 April, 1 July, 1 October and 1 January (the quarterly list dates of
//! the global sum), over the quarters in which the practice had patients.
//! The evidence, from the three published files:
//!
//! - the registered figures are quarters and thirds: in 2020-21, 4,988 of
//!   6,808 (73%) end in .25, .5 or .75; practices open for three quarters end
//!   in thirds (2019-20: `9520.666667`);
//! - the quarters are those starting 1 April: F85027 closed on 1 January
//!   2021 and still appears, with 11,534 patients, in the registered list of
//!   1 January 2021, yet its 2020-21 figure (11,632.67) is a mean of three
//!   quarters, so its 1 January count was left out and April, July and
//!   October were used; F84734, which closed on 15 February 2021 with 37
//!   patients left at 1 January 2021, has a figure in halves (4,279.5), a
//!   mean of its four quarters (three would give thirds);
//! - against the registered lists of 1 January 2021 (6,658 practices,
//!   60,606,345 patients), the median practice's figure is 0.94% lower in
//!   2019-20, 0.16% lower in 2020-21 and 0.92% higher in 2021-22: the
//!   2020-21 figure, whose four quarters end on 1 January 2021, is nearest,
//!   and the others are about a year's list growth away on either side; for
//!   2021-22 the national lists of 1 July 2021 (60,970,002) and 1 August
//!   2021 (61,032,314) are 0.60% and 0.70% above 1 January 2021, as the
//!   mean of April 2021 to January 2022 would be;
//! - NHS Digital's data-quality statement for the series says its patient
//!   total is "calculated by summing the quarterly average patients at each
//!   practice".
//!
//! So a figure is dated at the middle of its four quarter dates, **15
//! August** of the year's first calendar year (2020-08-15 for 2020-21).
//! Because that is not a list extract date, a statement that needs the list
//! at 1 January marks a figure from here as the nearest held, never as exact.
//! `--as-at` dates the figures otherwise.
//!
//! ## Financial year
//!
//! The year is read from the file name (`21-22` or `2021-22` → 2021-22),
//! else from `--as-at` (the year containing it); with neither the file is
//! refused, asking for `--as-at`.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use csv::StringRecord;
use pcn_core::rulebook::FinancialYear;
use pcn_core::{
    Decimal, FactBatch, ListSizeFact, MembershipObservation, PaymentActualFact, PcnCode,
    PopulationFact, PopulationKind, PopulationSubject, PracticeCode, Sex,
};

use crate::ctx::{cell, Ctx};
use crate::decode::{normalise, Col, Table};

/// The weighted-population column across the years (also used to recognise
/// the file).
pub(crate) const WEIGHTED: [&str; 3] = [
    "Number of Weighted Patients (Last Known Figure)",
    "Average Number of Weighted Patients",
    "NumberOfWeightedPatientsLastKnownFigure",
];

/// The network payment columns of 2020-21 on, as the files name them.
const NETWORK_STREAMS: [&str; 6] = [
    "PCN Leadership",
    "PCN Support",
    "PCN Extended Hours Access",
    "PCN Workforce",
    "PCN Investment and impact Fund",
    "PCN Care Home Premium",
];

/// The PCN payment columns, as the files name them.
pub const PCN_STREAMS: [&str; 8] = joined(&[
    &NETWORK_STREAMS,
    &["PCN Enhanced Access", "PCN Participation"],
]);

/// The registered list column, the same in every layout.
const REGISTERED: &str = "Number of Registered Patients (Last Known Figure)";

/// A published layout of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The year whose file has this layout, such as `2021-22`.
    pub name: &'static str,
    /// Every column, in the published order.
    pub columns: &'static [&'static str],
    /// The column that holds the practice's network code: `PCN Code`, but
    /// `Code` in the 2022-23 file as published.
    pub pcn_code: &'static str,
}

/// The first 21 columns, shared by every layout.
const PRACTICE_COLUMNS: [&str; 21] = [
    "NHS England (Region) code",
    "NHS England (Region) Name",
    "CCG Code",
    "CCG NAME",
    "PCN Code",
    "PCN Name",
    "Practice Code",
    "Practice Name",
    "Practice Address",
    "Practice Postcode",
    "Practice Open Date",
    "Practice Close Date",
    "Contract Type",
    "Dispensing Practice",
    "Practice Type",
    "Practice Rurality",
    "Atypical Characteristics",
    REGISTERED,
    "Number of Weighted Patients (Last Known Figure)",
    "Average payments per registered patient",
    "Average payments per weighted patient",
];

/// The runs of `runs` one after another, in a constant of exactly `N`
/// names (a different count fails to compile).
const fn joined<const N: usize>(runs: &[&[&'static str]]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut filled = 0;
    let mut run = 0;
    while run < runs.len() {
        let mut i = 0;
        while i < runs[run].len() {
            assert!(filled < N, "more columns than the layout's width");
            out[filled] = runs[run][i];
            filled += 1;
            i += 1;
        }
        run += 1;
    }
    assert!(filled == N, "fewer columns than the layout's width");
    out
}

/// The practice columns and the practice payment columns from `Global
/// Sum` to the total after deductions, the same in every layout but for
/// the columns given: those added after `Services for Violent Patients` and
/// after `Reimbursement of Drugs`, and the names of the local incentive
/// schemes, appraisal and transformation columns.
const fn practice_payments<const N: usize>(
    after_violent_patients: &[&'static str],
    local_incentive_schemes: &'static str,
    appraisal: &'static str,
    transformation: &'static str,
    after_drugs: &[&'static str],
) -> [&'static str; N] {
    joined(&[
        &PRACTICE_COLUMNS,
        &[
            "Global Sum",
            "MPIG Correction factor",
            "Balance of PMS Expenditure",
            "Total QOF Payments",
            "Childhood Vaccination and Immunisation Scheme",
            "GP Extended Hours Access",
            "Influenza and Pneumococcal Immunisations",
            "Learning Disabilities",
            "Meningitis",
            "Minor Surgery",
            "Out Of Area in Hours Urgent Care",
            "Pertussis",
            "Rotavirus and Shingles Immunisation",
            "Services for Violent Patients",
        ],
        after_violent_patients,
        &[
            local_incentive_schemes,
            "Premises Payments",
            "Seniority",
            "Doctors Retainer Scheme Payments",
            "Total Locum Allowances",
            appraisal,
            "Prolonged Study Leave",
            "PCO Admin Other",
            "Information Management and Technology",
            "Non DES Item Pneumococcal Vaccine, Childhood Immunisation Main Programme",
            transformation,
            "PCN Participation",
            "Prescribing Fee Payments",
            "Dispensing Fee Payments",
            "Reimbursement of Drugs",
        ],
        after_drugs,
        &[
            "Other Payments",
            "Total NHS Payments to General Practice",
            "Deductions for Pensions, Levies and Prescription Charge Income",
            "Total NHS Payments to General Practice Minus Deductions",
        ],
    ])
}

/// The total with the network payments, from 2020-21 on.
const TOTAL_WITH_PCN: &str = "Total NHS Payments including PCN Workforce, Leadership and Support";

/// The averages with the network payments, from 2020-21 on.
const AVERAGES_WITH_PCN: [&str; 2] = [
    "Average payments per registered patient including PCN Workforce, Leadership and Support",
    "Average payments per weighted patient including PCN Workforce, Leadership and Support",
];

/// The columns of 2019-20, which 2020-21 keeps and adds to.
const COLUMNS_2019_20: [&str; 54] = practice_payments(
    &[],
    "Total Local Incentive Schemes",
    "Appraisal Costs",
    "General Practice Forward View",
    &[],
);

const COLUMNS_2020_21: [&str; 68] = joined(&[
    &COLUMNS_2019_20,
    &[
        "Total NHS Payments including covid vaccination and covid support and expansion payments",
        TOTAL_WITH_PCN,
    ],
    &NETWORK_STREAMS,
    &["Covid Immunisation", "Covid Support and Expansion"],
    &AVERAGES_WITH_PCN,
    &[
        "Average payments per registered patient including covid vaccination and covid support and expansion payments",
        "Average payments per weighted patient including covid vaccination and covid support and expansion payments",
    ],
]);

/// The columns of 2021-22, which 2022-23 keeps but for the names of two
/// columns and the enhanced access column it adds.
const fn columns_2021_on<const N: usize>(
    local_incentive_schemes: &'static str,
    appraisal: &'static str,
    enhanced_access: &[&'static str],
) -> [&'static str; N] {
    // 21 practice columns and 14 + 2 + 15 + 1 + 4 practice payment columns.
    let practice_part: [&str; 57] = practice_payments(
        &["Medical Assessment Reviews", "Weight Management Service"],
        local_incentive_schemes,
        appraisal,
        "General Practice Transformation",
        &["winter Access Fund"],
    );
    joined(&[
        &practice_part,
        &[
            "Total NHS Payments to General Practice including covid vaccination, covid support and long covid payments",
            TOTAL_WITH_PCN,
            "Total NHS Payments to General Practice including Covid and PCN payments",
            "Total NHS Payments to General Practice including Covid and PCN payments minus deductions",
        ],
        &NETWORK_STREAMS,
        enhanced_access,
        &["Covid Immunisation", "Covid Support and Expansion", "Long Covid"],
        &AVERAGES_WITH_PCN,
        &[
            "Average payments per registered patient including covid vaccination, covid support and long covid payments",
            "Average payments per weighted patient including covid vaccination, covid support and long covid payments",
        ],
    ])
}

const COLUMNS_2021_22: [&str; 74] =
    columns_2021_on("Total Local Incentive Schemes", "Appraisal Costs", &[]);

const COLUMNS_2022_23: [&str; 75] = columns_2021_on(
    "Local Incentive Schemes",
    "Appraisal - Appraiser Costs in Respect of Locums",
    &["PCN Enhanced Access"],
);

/// The 2022-23 file as NHS England Digital published it: its geography
/// columns are named `CCG Code`, `Sub ICB NAME`, `Code` and `CCG NAME`, and
/// hold the sub-ICB location's code and name and the network's code and
/// name, in that order (so `CCG NAME` is the network's name).
const COLUMNS_2022_23_PUBLISHED: [&str; 75] = {
    let mut columns = COLUMNS_2022_23;
    columns[3] = "Sub ICB NAME";
    columns[4] = "Code";
    columns[5] = "CCG NAME";
    columns
};

/// Every layout pcn reads, oldest first.
pub const LAYOUTS: [Layout; 5] = [
    Layout {
        name: "2019-20",
        columns: &COLUMNS_2019_20,
        pcn_code: "PCN Code",
    },
    Layout {
        name: "2020-21",
        columns: &COLUMNS_2020_21,
        pcn_code: "PCN Code",
    },
    Layout {
        name: "2021-22",
        columns: &COLUMNS_2021_22,
        pcn_code: "PCN Code",
    },
    Layout {
        name: "2022-23",
        columns: &COLUMNS_2022_23,
        pcn_code: "PCN Code",
    },
    Layout {
        name: "2022-23",
        columns: &COLUMNS_2022_23_PUBLISHED,
        pcn_code: "Code",
    },
];

/// Names that stand for the same column in another era or year, as
/// `(name as in [LAYOUTS], other names)`.
const ALIASES: [(&str, &[&str]); 5] = [
    (
        "NHS England (Region) code",
        &["NHS England (Region, local office) Code", "Region Code"],
    ),
    (
        "NHS England (Region) Name",
        &["NHS England (Region, local office) Name", "Region Name"],
    ),
    (
        "CCG Code",
        &[
            "Sub ICB Location Code",
            "Sub ICB Code",
            "SICBL Code",
            "Commissioner Code",
        ],
    ),
    (
        "CCG NAME",
        &[
            "Sub ICB Location Name",
            "Sub ICB Name",
            "SICBL Name",
            "Commissioner Name",
        ],
    ),
    ("PCN Code", &["PCN_CODE"]),
];

/// A header name as a layout names it: normalised, with era aliases resolved.
fn canonical(header: &str) -> String {
    let norm = normalise(header);
    for (name, others) in ALIASES {
        if others.iter().any(|o| normalise(o) == norm) {
            return normalise(name);
        }
    }
    norm
}

/// How a header differs from a layout: its columns the layout lacks, and
/// the layout's columns it lacks (both in header / layout order).
fn differences<'h>(header: &'h [String], layout: &Layout) -> (Vec<&'h str>, Vec<&'static str>) {
    let want: Vec<String> = layout.columns.iter().map(|c| normalise(c)).collect();
    // A name the layout has as it is stands for itself, never for an alias.
    let have: Vec<String> = header
        .iter()
        .map(|h| {
            Some(normalise(h))
                .filter(|n| want.contains(n))
                .unwrap_or_else(|| canonical(h))
        })
        .collect();
    let extra = header
        .iter()
        .zip(&have)
        .filter(|(_, h)| !want.contains(h))
        .map(|(name, _)| name.as_str())
        .collect();
    let missing = layout
        .columns
        .iter()
        .zip(&want)
        .filter(|(_, w)| !have.contains(w))
        .map(|(name, _)| *name)
        .collect();
    (extra, missing)
}

/// The layout a header is, or why it is none: the problem names row 1 and
/// the first column that differs from the nearest layout.
pub fn layout_of(header: &[String]) -> Result<&'static Layout, (String, String)> {
    let mut nearest: Option<(&Layout, Vec<&str>, Vec<&str>)> = None;
    for layout in &LAYOUTS {
        let (extra, missing) = differences(header, layout);
        if extra.is_empty() && missing.is_empty() && header.len() == layout.columns.len() {
            return Ok(layout);
        }
        let better = nearest
            .as_ref()
            .is_none_or(|(_, e, m)| extra.len() + missing.len() < e.len() + m.len());
        if better {
            nearest = Some((layout, extra, missing));
        }
    }
    let known: Vec<String> = LAYOUTS
        .iter()
        .map(|l| format!("{} ({} columns)", l.name, l.columns.len()))
        .collect();
    let known = known.join(", ");
    let Some((layout, extra, missing)) = nearest else {
        return Err((String::new(), "no layouts are known".into()));
    };
    let why = |what: String| {
        format!(
            "{what}; the header ({} columns) is not a layout of NHS Payments to General Practice \
             that pcn knows (nearest: {}; known: {known}): a file of another year's layout cannot \
             be read safely, because a renamed or new payment column would be left out",
            header.len(),
            layout.name
        )
    };
    if let Some(column) = extra.first() {
        let more = if extra.len() > 1 {
            format!(" (and {} more)", extra.len() - 1)
        } else {
            String::new()
        };
        return Err((
            column.to_string(),
            why(format!("not a column of the {} layout{more}", layout.name)),
        ));
    }
    if let Some(column) = missing.first() {
        return Err((
            column.to_string(),
            why(format!(
                "missing: the {} layout has this column{}",
                layout.name,
                if missing.len() > 1 {
                    format!(" (and {} more missing)", missing.len() - 1)
                } else {
                    String::new()
                }
            )),
        ));
    }
    // Same columns, one of them twice.
    let mut seen = Vec::new();
    for h in header {
        let c = canonical(h);
        if seen.contains(&c) {
            return Err((h.clone(), why("given twice".to_string())));
        }
        seen.push(c);
    }
    Err((String::new(), why("the columns do not match".to_string())))
}

/// The financial year a file name names: `22-23`, `2022-23` or `2022_23`
/// (the second year must follow the first).
pub(crate) fn year_in_name(path: &str) -> Option<FinancialYear> {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let runs: Vec<&str> = name
        .split(|c: char| !c.is_ascii_digit())
        .filter(|r| !r.is_empty())
        .collect();
    runs.windows(2).find_map(|pair| {
        let [a, b] = pair else { return None };
        if b.len() != 2 || !(a.len() == 2 || a.len() == 4) {
            return None;
        }
        let start: i32 = a.parse().ok()?;
        let start = if a.len() == 2 { 2000 + start } else { start };
        let end: i32 = b.parse().ok()?;
        ((1990..=2100).contains(&start) && (start + 1) % 100 == end)
            .then(|| FinancialYear::starting(start))
    })
}

/// The date the file's patient figures are dated: 15 August of the year's
/// first calendar year, the middle of the four quarterly list dates whose
/// mean they are (see the module documentation).
pub fn figures_date(year: FinancialYear) -> NaiveDate {
    NaiveDate::from_ymd_opt(year.start_year(), 8, 15).unwrap_or(year.start())
}

/// Whether a `PCN Code` cell names a network; anything else (`Unknown or
/// no PCN`, blank, `N/A`, the `U` placeholder, a malformed code) is a
/// practice with no network.
fn network_code(raw: &str) -> Option<PcnCode> {
    PcnCode::parse(raw).ok().filter(|p| !p.is_unallocated())
}

/// The year a file is for and the date of its patient figures (`--as-at`,
/// else [`figures_date`]), noted with its layout; `None` (with the problem
/// recorded) when the layout is unknown or the year is not given.
fn year_and_date(
    ctx: &mut Ctx,
    table: &Table,
) -> Option<(&'static Layout, FinancialYear, NaiveDate)> {
    let layout = match layout_of(&table.header) {
        Ok(layout) => layout,
        Err((column, message)) => {
            ctx.problems.cell(1, &column, &column, message);
            return None;
        }
    };
    let year = year_in_name(ctx.file).or(ctx.opts.as_at.map(FinancialYear::containing));
    let Some(year) = year else {
        ctx.problems.whole_file(
            "the file name does not name a financial year (such as 21-22) and no --as-at was \
             given; give a date in the year the payments are for with --as-at",
        );
        return None;
    };
    let as_at = match ctx.opts.as_at {
        Some(d) => {
            ctx.notes.push(format!(
                "layout {} ({} columns); financial year {year}; registered and weighted patients \
                 dated {d} (--as-at)",
                layout.name,
                layout.columns.len()
            ));
            d
        }
        None => {
            let d = figures_date(year);
            ctx.notes.push(format!(
                "layout {} ({} columns); financial year {year} from the file name; registered \
                 and weighted patients are the means of the year's quarterly counts (1 April to \
                 1 January), dated {d}, the middle of those dates",
                layout.name,
                layout.columns.len()
            ));
            d
        }
    };
    Some((layout, year, as_at))
}

/// The columns read.
struct Columns {
    practice: Col,
    pcn: Col,
    registered: Col,
    weighted: Col,
    /// The PCN payment columns the file has, with their stream names.
    streams: Vec<(Col, &'static str)>,
}

/// Finds the columns: `None` (with the problems recorded) when a required
/// one is missing.
fn columns(ctx: &mut Ctx, table: &Table, layout: &Layout) -> Option<Columns> {
    let [practice, pcn, registered, weighted] = table.require_all(
        [
            &["Practice Code"],
            &[layout.pcn_code, "PCN_CODE"],
            &[REGISTERED],
            &WEIGHTED,
        ],
        &mut ctx.problems,
    )?;
    let streams = PCN_STREAMS
        .iter()
        .filter_map(|name| table.col(&[name]).map(|c| (c, *name)))
        .collect();
    Some(Columns {
        practice,
        pcn,
        registered,
        weighted,
        streams,
    })
}

/// What the rows have given so far, and the counts the notes report.
#[derive(Default)]
struct Reading {
    batch: FactBatch,
    /// Each practice and the row it was first on.
    seen: HashMap<PracticeCode, u64>,
    /// Practices in no network, per `PCN Code` value.
    without_network: BTreeMap<String, u64>,
    /// Of those, the ones paid PCN streams.
    without_network_paid: u64,
    zero_registered: u64,
    zero_weighted: u64,
    /// Amounts with more than two decimal places.
    rounded: u64,
    /// Registered figures with a fraction.
    rounded_lists: u64,
    blank_figures: u64,
}

/// A row's cells, read.
struct Row {
    practice: Option<PracticeCode>,
    pcn: Option<PcnCode>,
    registered: Option<Decimal>,
    weighted: Option<Decimal>,
    /// The PCN streams paid (not zero), in pence.
    amounts: Vec<(&'static str, i64)>,
}

pub(crate) fn read(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let Some((layout, year, as_at)) = year_and_date(ctx, table) else {
        return (FactBatch::default(), None);
    };
    let Some(cols) = columns(ctx, table, layout) else {
        return (FactBatch::default(), None);
    };
    let fy = year.to_string();
    let mut reading = Reading::default();
    ctx.rows(table, |ctx, row, rec| {
        let mut cells = reading.cells(ctx, &cols, row, rec);
        let Some(practice) = cells.practice.take() else {
            return true;
        };
        if let Some(first) = reading.seen.insert(practice.clone(), row) {
            ctx.problems.cell(
                row,
                &cols.practice.name,
                practice.as_str(),
                format!("practice listed twice (first on row {first})"),
            );
            return true;
        }
        if let Some(network) = &cells.pcn {
            reading.batch.observations.push(MembershipObservation {
                practice: practice.clone(),
                pcn: network.clone(),
                as_at: year.start(),
            });
        }
        if cells.pcn.is_none() {
            reading.without_network(cell(rec, &cols.pcn), !cells.amounts.is_empty());
        }
        reading.patients(ctx, &cols, row, &practice, &cells, as_at);
        for (stream, amount) in cells.amounts {
            reading.batch.payment_actuals.push(PaymentActualFact {
                practice: practice.clone(),
                pcn: cells.pcn.clone(),
                financial_year: fy.clone(),
                stream: stream.to_string(),
                amount,
            });
        }
        true
    });
    reading.notes(ctx, &cols.pcn.name);
    (reading.batch, Some(as_at))
}

impl Reading {
    /// Reads a row's cells, recording the problems of each.
    fn cells(&mut self, ctx: &mut Ctx, cols: &Columns, row: u64, rec: &StringRecord) -> Row {
        let practice = ctx.code_in(row, &cols.practice, rec, PracticeCode::parse);
        let pcn = network_code(cell(rec, &cols.pcn));
        // A blank figure says nothing (the practice had no count recorded).
        let mut figure = |col: &Col| {
            let raw = cell(rec, col);
            if raw.is_empty() {
                self.blank_figures = self.blank_figures.saturating_add(1);
                return None;
            }
            ctx.decimal(row, col, raw, false)
        };
        let registered = figure(&cols.registered);
        let weighted = figure(&cols.weighted);
        let amounts = self.amounts(ctx, cols, row, rec);
        Row {
            practice,
            pcn,
            registered,
            weighted,
            amounts,
        }
    }

    /// The PCN streams a row pays, in pence (a blank or zero amount is none).
    fn amounts(
        &mut self,
        ctx: &mut Ctx,
        cols: &Columns,
        row: u64,
        rec: &StringRecord,
    ) -> Vec<(&'static str, i64)> {
        let mut amounts = Vec::new();
        for (col, stream) in &cols.streams {
            let raw = cell(rec, col);
            if raw.is_empty() {
                continue;
            }
            let Some(pounds) = ctx.decimal(row, col, raw, true) else {
                continue;
            };
            if pounds.round_dp(2) != pounds {
                self.rounded = self.rounded.saturating_add(1);
            }
            match pcn_core::money::Pence::from_pounds(pounds) {
                Some(pence) if pence.0 != 0 => amounts.push((*stream, pence.0)),
                Some(_) => {}
                None => ctx.problems.cell(row, &col.name, raw, "amount too large"),
            }
        }
        amounts
    }

    /// Counts a practice with no network (`raw_pcn` is its `PCN Code`).
    fn without_network(&mut self, raw_pcn: &str, paid: bool) {
        let shown = if raw_pcn.is_empty() {
            "(blank)"
        } else {
            raw_pcn
        };
        *self.without_network.entry(shown.to_string()).or_default() += 1;
        if paid {
            self.without_network_paid = self.without_network_paid.saturating_add(1);
        }
    }

    /// A practice's registered list (rounded to whole patients) and
    /// weighted population, as facts; a zero is counted, not recorded.
    fn patients(
        &mut self,
        ctx: &mut Ctx,
        cols: &Columns,
        row: u64,
        practice: &PracticeCode,
        cells: &Row,
        as_at: NaiveDate,
    ) {
        match cells.registered {
            Some(v) if v > Decimal::ZERO => {
                // Half away from zero (the figure is positive here).
                let whole = (v + Decimal::new(5, 1)).floor();
                if whole != v {
                    self.rounded_lists = self.rounded_lists.saturating_add(1);
                }
                match u64::try_from(whole) {
                    Ok(total) => self.batch.list_sizes.push(ListSizeFact {
                        practice: practice.clone(),
                        as_at,
                        sex: Sex::All,
                        total,
                        bands: None,
                    }),
                    Err(_) => ctx.problems.cell(
                        row,
                        &cols.registered.name,
                        &v.to_string(),
                        "too large for a count of patients",
                    ),
                }
            }
            Some(_) => self.zero_registered = self.zero_registered.saturating_add(1),
            None => {}
        }
        match cells.weighted {
            Some(value) if value > Decimal::ZERO => self.batch.populations.push(PopulationFact {
                subject: PopulationSubject::Practice(practice.clone()),
                kind: PopulationKind::Weighted,
                as_at,
                value,
            }),
            Some(_) => self.zero_weighted = self.zero_weighted.saturating_add(1),
            None => {}
        }
    }

    /// The notes on what was counted, rounded or left out; `pcn_column` is
    /// the header of the network code column.
    fn notes(&self, ctx: &mut Ctx, pcn_column: &str) {
        let Reading {
            without_network,
            without_network_paid,
            zero_registered,
            zero_weighted,
            rounded,
            rounded_lists,
            blank_figures,
            ..
        } = self;
        if !without_network.is_empty() {
            let total: u64 = without_network.values().sum();
            let values: Vec<String> = without_network
                .iter()
                .map(|(v, n)| format!("{v:?} ×{n}"))
                .collect();
            ctx.notes.push(format!(
                "{total} practices have no network in the {pcn_column} column ({}); kept as \
                 practice payments with no network ({without_network_paid} of them were paid PCN \
                 streams)",
                values.join(", ")
            ));
        }
        if *rounded_lists > 0 {
            ctx.notes.push(format!(
                "{rounded_lists} registered figures are quarterly means with a fraction; recorded \
                 rounded to whole patients (half away from zero)"
            ));
        }
        if *zero_registered > 0 || *zero_weighted > 0 {
            ctx.notes.push(format!(
                "{zero_registered} practices have no registered and {zero_weighted} no weighted \
                 patients in the year (zero); no figure recorded for them"
            ));
        }
        if *blank_figures > 0 {
            ctx.notes.push(format!(
                "{blank_figures} registered or weighted figures are blank; none recorded for them"
            ));
        }
        if *rounded > 0 {
            ctx.notes.push(format!(
                "{rounded} amounts had more than two decimal places and were rounded to the penny"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_in_names() {
        let y = |s: &str| year_in_name(s).map(|y| y.to_string());
        assert_eq!(
            y("nhspaymentsgp-22-23-prac-csv.csv"),
            Some("2022-23".into())
        );
        assert_eq!(
            y("data/2021-22/payments 2023-24.csv"),
            Some("2023-24".into())
        );
        assert_eq!(y("nhspaymentsgp_99_00.csv"), Some("2099-00".into()));
        assert_eq!(y("payments-22-24.csv"), None);
        assert_eq!(y("payments.csv"), None);
        assert_eq!(y("2023-24/payments.csv"), None, "the file name only");
    }

    #[test]
    fn layouts_have_their_published_widths() {
        let widths: Vec<(&str, usize)> =
            LAYOUTS.iter().map(|l| (l.name, l.columns.len())).collect();
        assert_eq!(
            widths,
            vec![
                ("2019-20", 54),
                ("2020-21", 68),
                ("2021-22", 74),
                ("2022-23", 75),
                ("2022-23", 75)
            ]
        );
        for layout in &LAYOUTS {
            let header: Vec<String> = layout.columns.iter().map(|c| c.to_string()).collect();
            assert_eq!(layout_of(&header).map(|l| l.name), Ok(layout.name));
        }
    }

    #[test]
    fn eras_and_unknown_columns() {
        let era = |from: &str, to: &str| -> Vec<String> {
            LAYOUTS[2]
                .columns
                .iter()
                .map(|c| {
                    if *c == from {
                        to.to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        };
        let sub_icb = era("CCG Code", "Sub ICB Location Code");
        assert_eq!(layout_of(&sub_icb).map(|l| l.name), Ok("2021-22"));
        let renamed = era("PCN Support", "PCN Support Payment");
        let (column, message) = layout_of(&renamed).unwrap_err();
        assert_eq!(column, "PCN Support Payment");
        assert!(message.contains("nearest: 2021-22"), "{message}");
        let mut fewer = LAYOUTS[1].columns.to_vec();
        fewer.retain(|c| *c != "PCN Care Home Premium");
        let fewer: Vec<String> = fewer.iter().map(|c| c.to_string()).collect();
        let (column, message) = layout_of(&fewer).unwrap_err();
        assert_eq!(column, "PCN Care Home Premium");
        assert!(message.starts_with("missing"), "{message}");
    }

    #[test]
    fn network_codes() {
        assert!(network_code("U89141").is_some());
        for not in ["Unknown or no PCN", "", "N/A", "U", "U8914", "no_data"] {
            assert!(network_code(not).is_none(), "{not}");
        }
    }
}
