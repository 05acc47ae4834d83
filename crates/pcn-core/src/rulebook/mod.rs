//! The DES rulebook: Network Contract DES payment rates as data.
//!
//! One TOML file per financial year (`rules/2019-20.toml` … `rules/2026-27.toml`,
//! documented in `rules/README.md`). This module parses and validates those
//! files. It is pure: it takes `(file name, contents)` pairs and never reads a
//! file itself. [`Rulebook::embedded`] uses the copies compiled into the
//! binary with `include_str!`; a caller that reads a `--rules DIR` passes the
//! contents to [`Rulebook::from_sources`] instead.
//!
//! Validation collects every problem it finds, each naming the file and the
//! field path, e.g.
//! `rules/2025-26.toml: stream[3] (care-home-premium).component[0].unit: "gbp-per-bed" is not a unit; expected one of …`.
//!
//! Money is [`rust_decimal::Decimal`], written in the files as a quoted
//! decimal string (`rate = "2.266"`), never a float.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

mod arrs;
mod ids;
pub use arrs::{ArrsRules, Maximum, MaximumInForce, OnCostRates, Region, Role};
use ids::is_id;
pub use ids::{IdError, RoleId, StreamId};

/// The rule files compiled into the binary, as `(file name, contents)`.
pub const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

// ---------------------------------------------------------------------------
// Financial year
// ---------------------------------------------------------------------------

/// An English NHS financial year, 1 April to 31 March, written `2025-26`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FinancialYear {
    start_year: i32,
}

/// Why a financial-year string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a financial year; expected the form 2025-26 (April 2025 to March 2026)")]
pub struct FinancialYearError {
    input: String,
}

impl FinancialYear {
    /// The year that starts on 1 April of `start_year`.
    pub fn starting(start_year: i32) -> FinancialYear {
        FinancialYear { start_year }
    }

    /// The financial year that contains `date`.
    pub fn containing(date: NaiveDate) -> FinancialYear {
        if date.month() >= 4 {
            FinancialYear::starting(date.year())
        } else {
            FinancialYear::starting(date.year() - 1)
        }
    }

    /// The calendar year in which this financial year starts.
    pub fn start_year(self) -> i32 {
        self.start_year
    }

    /// 1 April.
    pub fn start(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start_year, 4, 1).expect("1 April is a date")
    }

    /// 31 March of the following calendar year.
    pub fn end(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start_year + 1, 3, 31).expect("31 March is a date")
    }

    /// Whether `date` falls in this year (both ends inclusive).
    pub fn contains(self, date: NaiveDate) -> bool {
        self.start() <= date && date <= self.end()
    }

    /// The next financial year.
    pub fn next(self) -> FinancialYear {
        FinancialYear::starting(self.start_year + 1)
    }

    /// The previous financial year.
    pub fn previous(self) -> FinancialYear {
        FinancialYear::starting(self.start_year - 1)
    }
}

impl FromStr for FinancialYear {
    type Err = FinancialYearError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || FinancialYearError {
            input: s.to_string(),
        };
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' {
            return Err(err());
        }
        let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
        if !digits(&b[..4]) || !digits(&b[5..]) {
            return Err(err());
        }
        let start: i32 = s[..4].parse().map_err(|_| err())?;
        let end2: i32 = s[5..].parse().map_err(|_| err())?;
        if (start + 1) % 100 != end2 {
            return Err(err());
        }
        Ok(FinancialYear::starting(start))
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}",
            self.start_year,
            (self.start_year + 1).rem_euclid(100)
        )
    }
}

impl Serialize for FinancialYear {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

// ---------------------------------------------------------------------------
// Keyword sets
// ---------------------------------------------------------------------------

/// A closed set of keywords as written in the rule files.
pub trait Keyword: Sized + Copy + 'static {
    /// What one of these is called in messages ("a unit").
    const WHAT: &'static str;
    /// Every value, in documentation order.
    const ALL: &'static [Self];
    /// The keyword as written in the files.
    fn as_str(self) -> &'static str;
    /// Parses a keyword; `None` if it is not one.
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

macro_rules! keyword_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $var:ident => $s:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $s)] $var ),+
        }

        impl Keyword for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [Self] = &[$($name::$var),+];
            fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyword_enum! {
    /// Who receives the money.
    PaidTo, "a payee" {
        /// The PCN, through its nominated payee (or its own account).
        Pcn => "pcn",
        /// Each member practice directly.
        Practice => "practice",
    }
}

keyword_enum! {
    /// How often the stream is paid.
    Timing, "a timing" {
        /// Monthly (whether in arrears is not stated by the sources).
        Monthly => "monthly",
        /// Monthly, in arrears.
        MonthlyInArrears => "monthly-in-arrears",
        /// Quarterly.
        Quarterly => "quarterly",
        /// One payment for the year.
        AnnualLumpSum => "annual-lump-sum",
        /// Paid once achievement is declared and approved (IIF, CAIP).
        OnAchievement => "on-achievement",
        /// Reimbursement of claims as staff are employed (ARRS).
        OnClaim => "on-claim",
    }
}

keyword_enum! {
    /// What a rate is per.
    Unit, "a unit" {
        /// £ per patient per year; pro rata for part of a year.
        GbpPerPatientPerYear => "gbp-per-patient-per-year",
        /// £ per patient for the whole effective period (not annual).
        GbpPerPatientPerPeriod => "gbp-per-patient-per-period",
        /// £ per care-home bed per year.
        GbpPerBedPerYear => "gbp-per-bed-per-year",
        /// £ per care-home bed for the whole effective period (not annual).
        GbpPerBedPerPeriod => "gbp-per-bed-per-period",
        /// £ per IIF point.
        GbpPerPoint => "gbp-per-point",
        /// £ per whole-time equivalent per year (a reimbursement maximum).
        GbpPerWtePerYear => "gbp-per-wte-per-year",
        /// £ per network per year.
        GbpPerNetworkPerYear => "gbp-per-network-per-year",
    }
}

keyword_enum! {
    /// The quantity a rate multiplies.
    Basis, "a basis" {
        /// The PCN (or practice) registered list, raw count.
        RegisteredList => "registered-list",
        /// The PCN Adjusted Population published by NHS England.
        AdjustedPopulation => "adjusted-population",
        /// The contractor weighted population (Carr-Hill, as for global sum).
        WeightedPopulation => "weighted-population",
        /// Beds in the PCN's aligned care homes (CQC).
        CareHomeBeds => "care-home-beds",
        /// IIF achievement points.
        IifPoints => "iif-points",
        /// Whole-time equivalent staff.
        Wte => "wte",
        /// One per network.
        Network => "network",
    }
}

impl Basis {
    /// Whether the basis is a count of patients as at a date (a registered
    /// list, or an adjusted or weighted population), so a rate on it needs the
    /// DES's population date.
    pub fn is_population(self) -> bool {
        matches!(
            self,
            Basis::RegisteredList | Basis::AdjustedPopulation | Basis::WeightedPopulation
        )
    }
}

keyword_enum! {
    /// How sure the figure is (the marks of `des-rules.md`).
    Confidence, "a confidence" {
        /// The cited source states the figure.
        Seen => "seen",
        /// Arithmetic or reading across sources (year, basis or rounding).
        Inferred => "inferred",
        /// Only an unofficial or low-quality source.
        Weak => "weak",
        /// Not known: the rate is absent.
        Missing => "missing",
    }
}

keyword_enum! {
    /// What kind of document a figure was read in, from the specification
    /// itself down to a report of it.
    SourceKind, "a source kind" {
        /// The Network Contract DES specification itself, or a complete copy
        /// of the document (a quotation on another page is `secondary`).
        Specification => "specification",
        /// Other NHS England, DHSC or BMA–NHS England agreement documents and
        /// letters (contract letters, financial-implications letters, the
        /// five-year framework, ready reckoners, parliamentary answers), and,
        /// for employer on-cost rates, HM Revenue & Customs' and NHS Pensions'
        /// published rates.
        Guidance => "guidance",
        /// What NHS Payments to General Practice shows was actually paid.
        Payments => "payments",
        /// BMA, LMCs, ICB pages, trade press, consultancies quoting it.
        Secondary => "secondary",
    }
}

// Declared after `keyword_enum!` so the services module can use it.
mod services;
pub use services::{
    assumption_ids, format_time, parse_time, parse_weekday, Assumption, AssumptionUnit, Footing,
    Measure, Minute, Requirement, RequirementKind, Rounding, ServiceRules, ServiceSpec, Window,
};

impl Unit {
    /// The unit in words, for statements: `per patient a year`.
    pub fn words(self) -> &'static str {
        match self {
            Unit::GbpPerPatientPerYear => "per patient a year",
            Unit::GbpPerPatientPerPeriod => "per patient for the period",
            Unit::GbpPerBedPerYear => "per bed a year",
            Unit::GbpPerBedPerPeriod => "per bed for the period",
            Unit::GbpPerPoint => "per point",
            Unit::GbpPerWtePerYear => "per WTE a year",
            Unit::GbpPerNetworkPerYear => "per network a year",
        }
    }

    /// Whether the rate is per year (pro rata over the effective period) as
    /// opposed to an amount for the whole effective period.
    pub fn is_annual(self) -> bool {
        matches!(
            self,
            Unit::GbpPerPatientPerYear
                | Unit::GbpPerBedPerYear
                | Unit::GbpPerWtePerYear
                | Unit::GbpPerNetworkPerYear
        )
    }

    /// The bases this unit may be used with.
    pub fn allowed_bases(self) -> &'static [Basis] {
        match self {
            Unit::GbpPerPatientPerYear | Unit::GbpPerPatientPerPeriod => &[
                Basis::RegisteredList,
                Basis::AdjustedPopulation,
                Basis::WeightedPopulation,
            ],
            Unit::GbpPerBedPerYear | Unit::GbpPerBedPerPeriod => &[Basis::CareHomeBeds],
            Unit::GbpPerPoint => &[Basis::IifPoints],
            Unit::GbpPerWtePerYear => &[Basis::Wte],
            Unit::GbpPerNetworkPerYear => &[Basis::Network],
        }
    }
}

// ---------------------------------------------------------------------------
// The rulebook types
// ---------------------------------------------------------------------------

/// Where a figure was actually read: the document in which someone checked
/// the number, which may be the specification itself or a report of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The source id, e.g. `S06` (des-rules.md) or `R03` (rules/README.md).
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The document's title.
    pub document: String,
    /// Where in that document the figure is, where known (a page, a table).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// Address, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What kind of document it is.
    pub kind: SourceKind,
}

impl fmt::Display for Source {
    /// `[S06] Pulse PCN: …, Table 1`: the id, the title and the place in it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(r) = &self.reference {
            write!(f, "[{r}] ")?;
        }
        f.write_str(&self.document)?;
        if let Some(section) = &self.section {
            write!(f, ", {section}")?;
        }
        Ok(())
    }
}

/// The DES document and section a rule comes from: the Network Contract DES
/// specification of the year, or the NHS England guidance or letter that
/// sets the figure. This is where the rule has its authority, which is not
/// necessarily where the figure was read (see [`Source`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesReference {
    /// The document's full title.
    pub document: String,
    /// Section, paragraph or table; `None` when it was not found (written
    /// `section = "not found"` in the files, with a note saying why).
    pub section: Option<String>,
    /// Address of the document, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What is known and not known about the reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What the files write for a section that was looked for and not found.
pub const SECTION_NOT_FOUND: &str = "not found";

impl fmt::Display for DesReference {
    /// `Network Contract DES … 2025/26 §10.5.4`, or `… (section not found)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.section {
            Some(section) => write!(f, "{} §{section}", self.document),
            None => write!(f, "{} (section not found)", self.document),
        }
    }
}

/// The citation a statement line shows for a figure:
/// `DES: <document> §<section>; read in: <source> (<kind>)`.
pub fn citation(des: &DesReference, source: &Source) -> String {
    format!("DES: {des}; read in: {source} ({})", source.kind)
}

/// Where a figure was read and how far it can be trusted: what every rule
/// figure carries (a rate, a revision, an ARRS maximum, on-cost rates, a
/// service specification and its requirements), written out among the
/// figure's own fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cited {
    /// Where the figure was read.
    pub source: Source,
    /// Whether the figure was checked against the cited source's text.
    pub verified: bool,
    /// How sure the figure is.
    pub confidence: Confidence,
    /// Free text: conflicts, workings, caveats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A later change to a component's rate, such as the September 2024 uplift
/// backdated to 1 April 2024.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    /// The revised rate; `None` when the revision is known to exist but its
    /// figure is not.
    pub rate: Option<Decimal>,
    /// The date from which the revised rate applies (often backdated).
    pub effective_from: NaiveDate,
    /// When the revision was announced, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub announced: Option<NaiveDate>,
    /// The DES document and section that set the revised figure.
    pub des: DesReference,
    /// Where the revised figure was read, and how far it can be trusted.
    #[serde(flatten)]
    pub cited: Cited,
}

/// One rate of a stream, e.g. the registered-list part of core PCN funding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    /// Stable id within the stream.
    pub id: String,
    /// The rate as first published; `None` when not known.
    pub rate: Option<Decimal>,
    /// What the rate is per.
    pub unit: Unit,
    /// What it multiplies.
    pub basis: Basis,
    /// The "as at" date of the list the rate applies to, where stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population_date: Option<NaiveDate>,
    /// IIF: the points available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points_available: Option<u32>,
    /// ARRS role maxima: the share of cost reimbursed, e.g. 0.70.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reimbursed_fraction: Option<Decimal>,
    /// The DES document and section the rate comes from.
    pub des: DesReference,
    /// Where the figure was read, and how far it can be trusted.
    #[serde(flatten)]
    pub cited: Cited,
    /// A later change to the rate, where there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revised: Option<Revision>,
}

impl Component {
    /// The rate finally in force for the component's period: the revised
    /// rate where there is a revision, otherwise the published rate. `None`
    /// when that figure is not known (a revision whose rate is missing makes
    /// the final rate unknown, even though the first rate is known).
    pub fn rate_in_force(&self) -> Option<Decimal> {
        match &self.revised {
            Some(r) => r.rate,
            None => self.rate,
        }
    }

    /// The citation of the published rate: `DES: …; read in: … (kind)`.
    pub fn citation(&self) -> String {
        citation(&self.des, &self.cited.source)
    }

    /// The citation of the rate in force: the revision's where there is one.
    pub fn citation_in_force(&self) -> String {
        match &self.revised {
            Some(r) => citation(&r.des, &r.cited.source),
            None => self.citation(),
        }
    }
}

/// A payment stream for a date range within one financial year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stream {
    /// Stable id across years where the stream continues.
    pub id: StreamId,
    /// Human name.
    pub name: String,
    /// Who receives it.
    pub paid_to: PaidTo,
    /// First day covered.
    pub effective_from: NaiveDate,
    /// Last day covered.
    pub effective_to: NaiveDate,
    /// How often it is paid.
    pub timing: Timing,
    /// Who is eligible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligibility: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The rates, at least one.
    pub components: Vec<Component>,
}

impl Stream {
    /// Whether the stream covers `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.effective_from <= date && date <= self.effective_to
    }

    /// The component with this id.
    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.id == id)
    }
}

/// The specification a year's rules come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Specification {
    /// Title of the NHS England specification.
    pub document: String,
    /// Address, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One financial year's rules (one file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearRules {
    /// The file name it was loaded from.
    pub file: String,
    /// The year.
    pub financial_year: FinancialYear,
    /// The specification.
    pub specification: Specification,
    /// Year-level notes (e.g. streams withdrawn this year).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The streams, in file order.
    pub streams: Vec<Stream>,
    /// The ARRS roles, maxima and on-cost rates (empty when the file has none).
    pub arrs: ArrsRules,
    /// The service specifications, assumptions and bank holidays (empty
    /// when the file has none).
    pub services: ServiceRules,
}

impl YearRules {
    /// Every entry of a stream id, in file order (several when the stream
    /// changed mid-year).
    pub fn stream_entries<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Stream> + 'a {
        self.streams.iter().filter(move |s| s.id == id)
    }

    /// The date the year's populations are taken as at (the DES population
    /// date, one per year: the loader checks), if any stream rests on one.
    pub fn population_date(&self) -> Option<NaiveDate> {
        self.streams
            .iter()
            .flat_map(|s| s.components.iter())
            .find_map(|c| c.population_date)
    }

    /// The entry of stream `id` covering `date`.
    pub fn stream_at(&self, id: &str, date: NaiveDate) -> Option<&Stream> {
        self.streams.iter().find(|s| s.id == id && s.covers(date))
    }

    /// The distinct stream ids, in first-appearance order.
    pub fn stream_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for s in &self.streams {
            if !ids.contains(&s.id.as_str()) {
                ids.push(s.id.as_str());
            }
        }
        ids
    }
}

/// The validated rules for every year given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rulebook {
    years: BTreeMap<FinancialYear, YearRules>,
}

/// One problem found while loading, naming file and field path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file name as given.
    pub file: String,
    /// The field path, e.g. `stream[3] (care-home-premium).component[0].unit`;
    /// empty for a problem with the whole file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.path, self.message)
        }
    }
}

/// Every problem found in a set of rule files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulebookErrors {
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for RulebookErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{n} problem{} in the DES rulebook:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RulebookErrors {}

/// Asking the rulebook for a year it cannot give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YearError {
    /// The text is not a financial year.
    #[error(transparent)]
    Malformed(#[from] FinancialYearError),
    /// No rules file for that year.
    #[error("no DES rules for financial year {asked}; the rulebook has {}", available.join(", "))]
    NotFound {
        /// The year asked for.
        asked: FinancialYear,
        /// The years that are present.
        available: Vec<String>,
    },
}

impl Rulebook {
    /// The rule files compiled into the binary. They are checked by the test
    /// suite, so this only fails if a build was made from broken files.
    pub fn embedded() -> Result<Rulebook, RulebookErrors> {
        Rulebook::from_sources(EMBEDDED)
    }

    /// Parses and validates `(file name, contents)` pairs. The file name must
    /// end in `<financial year>.toml`; any directory part is kept for
    /// messages only. Returns every problem found, not just the first.
    pub fn from_sources(files: &[(&str, &str)]) -> Result<Rulebook, RulebookErrors> {
        let mut problems = Vec::new();
        let mut years: BTreeMap<FinancialYear, YearRules> = BTreeMap::new();
        for (name, text) in files {
            let mut cx = Cx {
                file: name,
                problems: &mut problems,
            };
            if let Some(year) = parse_file(&mut cx, text) {
                if let Some(prev) = years.get(&year.financial_year) {
                    cx.err(
                        "financial_year",
                        format!(
                            "{} is already given by {}; give each year once",
                            year.financial_year, prev.file
                        ),
                    );
                } else {
                    years.insert(year.financial_year, year);
                }
            }
        }
        if problems.is_empty() {
            arrs::check_resolvable(&years, &mut problems);
        }
        if problems.is_empty() {
            Ok(Rulebook { years })
        } else {
            Err(RulebookErrors { problems })
        }
    }

    /// The rules for a year written like `2025-26`.
    pub fn year(&self, year: &str) -> Result<&YearRules, YearError> {
        let fy: FinancialYear = year.parse()?;
        self.financial_year(fy)
    }

    /// The rules for a financial year.
    pub fn financial_year(&self, fy: FinancialYear) -> Result<&YearRules, YearError> {
        self.years.get(&fy).ok_or_else(|| YearError::NotFound {
            asked: fy,
            available: self.years.keys().map(|y| y.to_string()).collect(),
        })
    }

    /// The rules for the year containing `date`.
    pub fn year_containing(&self, date: NaiveDate) -> Result<&YearRules, YearError> {
        self.financial_year(FinancialYear::containing(date))
    }

    /// The years present, oldest first.
    pub fn years(&self) -> impl Iterator<Item = &YearRules> {
        self.years.values()
    }

    /// The ARRS maximum reimbursable amount per WTE a year for a pay group
    /// on a date in year `fy`, for a region; carried from the latest earlier
    /// figure where this year's is not known.
    pub fn arrs_maximum(
        &self,
        fy: FinancialYear,
        group: &str,
        date: NaiveDate,
        region: Region,
    ) -> Option<MaximumInForce> {
        arrs::maximum_in_force(
            self.years.iter().map(|(k, v)| (*k, &v.arrs)),
            fy,
            group,
            date,
            region,
        )
    }
}

// ---------------------------------------------------------------------------
// Parsing and validation
// ---------------------------------------------------------------------------

type Table = toml::Table;
type Value = toml::Value;

const FILE_KEYS: &[&str] = &[
    "financial_year",
    "specification",
    "note",
    "stream",
    "arrs",
    "services",
];
const SPEC_KEYS: &[&str] = &["document", "url", "note"];
const STREAM_KEYS: &[&str] = &[
    "id",
    "name",
    "paid_to",
    "effective_from",
    "effective_to",
    "timing",
    "eligibility",
    "note",
    "component",
];
const COMPONENT_KEYS: &[&str] = &[
    "id",
    "rate",
    "unit",
    "basis",
    "population_date",
    "points_available",
    "reimbursed_fraction",
    "des",
    "source",
    "verified",
    "confidence",
    "note",
    "revised",
];
const REVISED_KEYS: &[&str] = &[
    "rate",
    "effective_from",
    "announced",
    "des",
    "source",
    "verified",
    "confidence",
    "note",
];
const SOURCE_KEYS: &[&str] = &["ref", "document", "section", "url", "kind"];
const DES_KEYS: &[&str] = &["document", "section", "url", "note"];

/// The file being checked and the problems found so far.
struct Cx<'a> {
    file: &'a str,
    problems: &'a mut Vec<Problem>,
}

impl Cx<'_> {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_string(),
            path: path.into(),
            message: message.into(),
        });
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Reports a `from` or `to` outside the financial year, and a `to` before
/// `from` (the dates of an ARRS role or of a service specification).
fn check_from_to(
    cx: &mut Cx,
    path: &str,
    fy: Option<FinancialYear>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) {
    if let Some(fy) = fy {
        for (key, d) in [("from", from), ("to", to)] {
            if let Some(d) = d.filter(|d| !fy.contains(*d)) {
                cx.err(
                    join(path, key),
                    format!("{d} is outside the financial year {fy}"),
                );
            }
        }
    }
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            cx.err(join(path, "to"), format!("{t} is before from ({f})"));
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date/time",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

fn check_keys(cx: &mut Cx, t: &Table, allowed: &[&str], path: &str) {
    for key in t.keys() {
        if !allowed.contains(&key.as_str()) {
            cx.err(
                join(path, key),
                format!(
                    "unknown key {key:?}; expected one of {}",
                    allowed.join(", ")
                ),
            );
        }
    }
}

fn req<'t>(cx: &mut Cx, t: &'t Table, key: &str, path: &str) -> Option<&'t Value> {
    let v = t.get(key);
    if v.is_none() {
        cx.err(join(path, key), "missing; this key is required");
    }
    v
}

fn as_str<'v>(cx: &mut Cx, v: &'v Value, path: String) -> Option<&'v str> {
    match v {
        Value::String(s) if s.trim().is_empty() => {
            cx.err(path, "is empty");
            None
        }
        Value::String(s) => Some(s),
        other => {
            cx.err(
                path,
                format!("expected a string, found {}", type_name(other)),
            );
            None
        }
    }
}

fn req_str(cx: &mut Cx, t: &Table, key: &str, path: &str) -> Option<String> {
    let v = req(cx, t, key, path)?;
    as_str(cx, v, join(path, key)).map(str::to_string)
}

fn opt_str(cx: &mut Cx, t: &Table, key: &str, path: &str) -> Option<String> {
    let v = t.get(key)?;
    as_str(cx, v, join(path, key)).map(str::to_string)
}

fn as_date(cx: &mut Cx, v: &Value, path: String) -> Option<NaiveDate> {
    let Value::Datetime(dt) = v else {
        cx.err(
            path,
            format!(
                "expected a bare TOML date such as 2025-04-01 (not quoted), found {}",
                type_name(v)
            ),
        );
        return None;
    };
    match (dt.date, dt.time, dt.offset) {
        (Some(d), None, None) => {
            let date =
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day));
            if date.is_none() {
                cx.err(path, format!("{dt} is not a calendar date"));
            }
            date
        }
        _ => {
            cx.err(
                path,
                format!("{dt} has a time part; give a date only, such as 2025-04-01"),
            );
            None
        }
    }
}

fn req_date(cx: &mut Cx, t: &Table, key: &str, path: &str) -> Option<NaiveDate> {
    let v = req(cx, t, key, path)?;
    as_date(cx, v, join(path, key))
}

fn opt_date(cx: &mut Cx, t: &Table, key: &str, path: &str) -> Option<NaiveDate> {
    let v = t.get(key)?;
    as_date(cx, v, join(path, key))
}

fn req_bool(cx: &mut Cx, t: &Table, key: &str, path: &str) -> Option<bool> {
    match req(cx, t, key, path)? {
        Value::Boolean(b) => Some(*b),
        other => {
            cx.err(
                join(path, key),
                format!("expected true or false, found {}", type_name(other)),
            );
            None
        }
    }
}

fn keyword<K: Keyword>(cx: &mut Cx, t: &Table, key: &str, path: &str, required: bool) -> Option<K> {
    let v = if required {
        req(cx, t, key, path)?
    } else {
        t.get(key)?
    };
    let s = as_str(cx, v, join(path, key))?;
    let k = K::parse(s);
    if k.is_none() {
        let all: Vec<&str> = K::ALL.iter().map(|k| k.as_str()).collect();
        cx.err(
            join(path, key),
            format!(
                "{s:?} is not {}; expected one of {}",
                K::WHAT,
                all.join(", ")
            ),
        );
    }
    k
}

/// Parses an exact, non-negative decimal written as a string: digits with
/// an optional fractional part, nothing else.
fn decimal(cx: &mut Cx, t: &Table, key: &str, path: &str) -> Option<Decimal> {
    let v = t.get(key)?;
    let p = join(path, key);
    let s = match v {
        Value::String(s) => s.as_str(),
        Value::Float(_) | Value::Integer(_) => {
            cx.err(
                p,
                format!(
                    "write money as a quoted decimal string such as \"2.266\", not {} (exactness)",
                    type_name(v)
                ),
            );
            return None;
        }
        other => {
            cx.err(
                p,
                format!(
                    "expected a quoted decimal such as \"2.266\", found {}",
                    type_name(other)
                ),
            );
            return None;
        }
    };
    if let Some(rest) = s.strip_prefix('-') {
        if is_plain_decimal(rest) {
            cx.err(p, format!("{s:?} is negative; rates must be zero or more"));
            return None;
        }
    }
    if !is_plain_decimal(s) {
        cx.err(
            p,
            format!("{s:?} is not a plain decimal; write digits with an optional fraction, such as \"2.266\""),
        );
        return None;
    }
    match Decimal::from_str_exact(s) {
        Ok(d) => Some(d),
        Err(e) => {
            cx.err(p, format!("{s:?} cannot be held exactly: {e}"));
            None
        }
    }
}

fn is_plain_decimal(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

fn table_at<'v>(cx: &mut Cx, v: &'v Value, path: String) -> Option<&'v Table> {
    match v {
        Value::Table(t) => Some(t),
        other => {
            cx.err(
                path,
                format!("expected a table, found {}", type_name(other)),
            );
            None
        }
    }
}

/// The table at `path`, with any key outside `allowed` reported.
fn keyed_table<'v>(cx: &mut Cx, v: &'v Value, path: &str, allowed: &[&str]) -> Option<&'v Table> {
    let t = table_at(cx, v, path.to_string())?;
    check_keys(cx, t, allowed, path);
    Some(t)
}

/// The required table `key` of `t` (such as `source = { … }`), with any
/// key outside `allowed` reported, and its path.
fn sub_table<'t>(
    cx: &mut Cx,
    t: &'t Table,
    key: &str,
    allowed: &[&str],
    path: &str,
) -> Option<(&'t Table, String)> {
    let v = req(cx, t, key, path)?;
    let p = join(path, key);
    Some((keyed_table(cx, v, &p, allowed)?, p))
}

/// The `id` of a table, reported when it is not lower-case letters, digits
/// and single hyphens (it is still returned, so later checks can name it).
fn id_field(cx: &mut Cx, t: &Table, path: &str) -> Option<String> {
    let id = req_str(cx, t, "id", path)?;
    if !is_id(&id) {
        cx.err(
            join(path, "id"),
            format!("{id:?} is not an id; use lower-case letters, digits and single hyphens"),
        );
    }
    Some(id)
}

/// The `[[path.key]]` tables of `t`; none when the key is absent.
fn array<'v>(cx: &mut Cx, t: &'v Table, key: &str, path: &str) -> &'v [Value] {
    match t.get(key) {
        None => &[],
        Some(Value::Array(items)) => items,
        Some(other) => {
            cx.err(
                join(path, key),
                format!(
                    "expected [[{path}.{key}]] tables, found {}",
                    type_name(other)
                ),
            );
            &[]
        }
    }
}

/// Where a figure was read and how far it can be trusted: the fields that
/// every table carrying a figure has, read in this order.
struct Provenance {
    source: Option<Source>,
    verified: Option<bool>,
    confidence: Option<Confidence>,
    note: Option<String>,
}

impl Provenance {
    /// The citation, when every required part of it was read.
    fn cited(self) -> Option<Cited> {
        Some(Cited {
            source: self.source?,
            verified: self.verified?,
            confidence: self.confidence?,
            note: self.note,
        })
    }
}

/// Reads `source`, `verified`, `confidence` (all required) and `note`.
fn parse_provenance(cx: &mut Cx, t: &Table, path: &str) -> Provenance {
    Provenance {
        source: parse_source(cx, t, path),
        verified: req_bool(cx, t, "verified", path),
        confidence: keyword::<Confidence>(cx, t, "confidence", path, true),
        note: opt_str(cx, t, "note", path),
    }
}

/// Reports `confidence = "missing"` on a table whose figures cannot be
/// missing, saying `why`.
fn refuse_missing(cx: &mut Cx, path: &str, confidence: Option<Confidence>, why: &str) {
    if confidence == Some(Confidence::Missing) {
        cx.err(join(path, "confidence"), why);
    }
}

/// Reports a missing figure marked verified.
fn check_missing_not_verified(
    cx: &mut Cx,
    path: &str,
    confidence: Option<Confidence>,
    verified: Option<bool>,
) {
    if confidence == Some(Confidence::Missing) && verified == Some(true) {
        cx.err(
            join(path, "verified"),
            "is true for a missing figure; a figure that is not known cannot be verified",
        );
    }
}

fn parse_source(cx: &mut Cx, t: &Table, path: &str) -> Option<Source> {
    let (st, sp) = sub_table(cx, t, "source", SOURCE_KEYS, path)?;
    let reference = opt_str(cx, st, "ref", &sp);
    let document = req_str(cx, st, "document", &sp);
    let section = opt_str(cx, st, "section", &sp);
    let url = opt_str(cx, st, "url", &sp);
    let kind = keyword::<SourceKind>(cx, st, "kind", &sp, true);
    Some(Source {
        reference,
        document: document?,
        section,
        url,
        kind: kind?,
    })
}

/// Parses the required `des = { document, section, url?, note? }`: the DES
/// document and section a figure comes from. A section that was looked for
/// and not found is written `"not found"` and must say why in `note`.
fn parse_des(cx: &mut Cx, t: &Table, path: &str) -> Option<DesReference> {
    let (dt, dp) = sub_table(cx, t, "des", DES_KEYS, path)?;
    let document = req_str(cx, dt, "document", &dp);
    let section = req_str(cx, dt, "section", &dp);
    let url = opt_str(cx, dt, "url", &dp);
    let note = opt_str(cx, dt, "note", &dp);
    let section = section?;
    let not_found = section.trim().eq_ignore_ascii_case(SECTION_NOT_FOUND);
    if not_found && note.is_none() {
        cx.err(
            join(&dp, "note"),
            "missing while section is \"not found\"; say what was looked for and what is known",
        );
    }
    Some(DesReference {
        document: document?,
        section: (!not_found).then_some(section),
        url,
        note,
    })
}

/// Checks that a rate is absent exactly when the confidence is `missing`,
/// and that a missing figure is not marked verified.
fn check_rate_confidence(
    cx: &mut Cx,
    path: &str,
    rate_given: bool,
    confidence: Option<Confidence>,
    verified: Option<bool>,
) {
    match (rate_given, confidence) {
        (false, Some(c)) if c != Confidence::Missing => cx.err(
            join(path, "rate"),
            format!(
                "missing while confidence is {:?}; give the rate, or mark confidence = \"missing\" with a note",
                c.as_str()
            ),
        ),
        (true, Some(Confidence::Missing)) => cx.err(
            join(path, "confidence"),
            "is \"missing\" but a rate is given; use seen, inferred or weak",
        ),
        _ => {}
    }
    check_missing_not_verified(cx, path, confidence, verified);
}

fn parse_revision(
    cx: &mut Cx,
    t: &Table,
    path: &str,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Option<Revision> {
    let v = t.get("revised")?;
    let rp = join(path, "revised");
    let rt = keyed_table(cx, v, &rp, REVISED_KEYS)?;
    let rate = decimal(cx, rt, "rate", &rp);
    let rate_given = rt.contains_key("rate");
    let effective_from = req_date(cx, rt, "effective_from", &rp);
    let announced = opt_date(cx, rt, "announced", &rp);
    let des = parse_des(cx, rt, &rp);
    let prov = parse_provenance(cx, rt, &rp);
    check_rate_confidence(cx, &rp, rate_given, prov.confidence, prov.verified);
    if let (Some(from), Some((lo, hi))) = (effective_from, range) {
        if from < lo || from > hi {
            cx.err(
                join(&rp, "effective_from"),
                format!("{from} is outside the stream's dates {lo} to {hi}"),
            );
        }
    }
    Some(Revision {
        rate,
        effective_from: effective_from?,
        announced,
        des: des?,
        cited: prov.cited()?,
    })
}

fn parse_component(
    cx: &mut Cx,
    v: &Value,
    path: &str,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Option<Component> {
    let ct = keyed_table(cx, v, path, COMPONENT_KEYS)?;
    let id = id_field(cx, ct, path);
    let rate = decimal(cx, ct, "rate", path);
    let rate_given = ct.contains_key("rate");
    let unit = keyword::<Unit>(cx, ct, "unit", path, true);
    let basis = keyword::<Basis>(cx, ct, "basis", path, true);
    let population_date = opt_date(cx, ct, "population_date", path);
    let points_available = match ct.get("points_available") {
        None => None,
        Some(Value::Integer(n)) if *n > 0 && *n <= i64::from(u32::MAX) => Some(*n as u32),
        Some(other) => {
            cx.err(
                join(path, "points_available"),
                match other {
                    Value::Integer(n) => format!("{n} is not a positive whole number"),
                    v => format!("expected a positive whole number, found {}", type_name(v)),
                },
            );
            None
        }
    };
    let reimbursed_fraction = decimal(cx, ct, "reimbursed_fraction", path);
    let des = parse_des(cx, ct, path);
    let prov = parse_provenance(cx, ct, path);
    let revised = parse_revision(cx, ct, path, range);

    check_rate_confidence(cx, path, rate_given, prov.confidence, prov.verified);
    if let (Some(u), Some(b)) = (unit, basis) {
        if !u.allowed_bases().contains(&b) {
            let allowed: Vec<&str> = u.allowed_bases().iter().map(|b| b.as_str()).collect();
            cx.err(
                join(path, "basis"),
                format!(
                    "{:?} does not go with unit {:?}; that unit needs basis {}",
                    b.as_str(),
                    u.as_str(),
                    allowed.join(" or ")
                ),
            );
        }
    }
    if population_date.is_none() && basis.is_some_and(Basis::is_population) {
        cx.err(
            join(path, "population_date"),
            "missing: a rate on a population needs the date the DES takes it as at \
             (1 January before the year for every PCN population so far)",
        );
    }
    if population_date.is_some() && basis.is_some_and(|b| !b.is_population()) {
        cx.err(
            join(path, "population_date"),
            "only applies to a population basis (registered-list, adjusted-population, weighted-population)",
        );
    }
    if points_available.is_some() && basis.is_some_and(|b| b != Basis::IifPoints) {
        cx.err(
            join(path, "points_available"),
            "only applies to basis \"iif-points\"",
        );
    }
    if ct.contains_key("reimbursed_fraction") && basis.is_some_and(|b| b != Basis::Wte) {
        cx.err(
            join(path, "reimbursed_fraction"),
            "only applies to basis \"wte\"",
        );
    }
    if let Some(f) = reimbursed_fraction {
        if f.is_zero() || f > Decimal::ONE {
            cx.err(
                join(path, "reimbursed_fraction"),
                format!("{f} is not a share; give a value above 0 and at most 1, such as \"0.70\""),
            );
        }
    }
    if let (Some(pd), Some((_, hi))) = (population_date, range) {
        if pd > hi {
            cx.err(
                join(path, "population_date"),
                format!(
                    "{pd} is after the stream ends ({hi}); the list date must come before payment"
                ),
            );
        }
    }
    Some(Component {
        id: id?,
        rate,
        unit: unit?,
        basis: basis?,
        population_date,
        points_available,
        reimbursed_fraction,
        des: des?,
        cited: prov.cited()?,
        revised,
    })
}

fn parse_stream(cx: &mut Cx, v: &Value, index: usize, fy: Option<FinancialYear>) -> Option<Stream> {
    let bare = format!("stream[{index}]");
    let st = table_at(cx, v, bare.clone())?;
    let id_raw = st.get("id").and_then(Value::as_str).map(str::to_string);
    let path = match &id_raw {
        Some(id) => format!("{bare} ({id})"),
        None => bare,
    };
    check_keys(cx, st, STREAM_KEYS, &path);
    let id = id_field(cx, st, &path);
    let name = req_str(cx, st, "name", &path);
    let paid_to = keyword::<PaidTo>(cx, st, "paid_to", &path, true);
    let effective_from = req_date(cx, st, "effective_from", &path);
    let effective_to = req_date(cx, st, "effective_to", &path);
    let timing = keyword::<Timing>(cx, st, "timing", &path, true);
    let eligibility = opt_str(cx, st, "eligibility", &path);
    let note = opt_str(cx, st, "note", &path);

    if let Some(fy) = fy {
        for (key, d) in [
            ("effective_from", effective_from),
            ("effective_to", effective_to),
        ] {
            if let Some(d) = d {
                if !fy.contains(d) {
                    cx.err(
                        join(&path, key),
                        format!(
                            "{d} is outside financial year {fy} ({} to {})",
                            fy.start(),
                            fy.end()
                        ),
                    );
                }
            }
        }
    }
    let range = match (effective_from, effective_to) {
        (Some(from), Some(to)) if from > to => {
            cx.err(
                join(&path, "effective_to"),
                format!("{to} is before effective_from {from}"),
            );
            None
        }
        (Some(from), Some(to)) => Some((from, to)),
        _ => None,
    };

    let mut components = Vec::new();
    let mut ok = true;
    match req(cx, st, "component", &path) {
        Some(Value::Array(items)) if items.is_empty() => {
            cx.err(
                join(&path, "component"),
                "is empty; give at least one [[stream.component]]",
            );
            ok = false;
        }
        Some(Value::Array(items)) => {
            for (ci, item) in items.iter().enumerate() {
                let cp = format!("{path}.component[{ci}]");
                match parse_component(cx, item, &cp, range) {
                    Some(c) => {
                        if components.iter().any(|o: &Component| o.id == c.id) {
                            cx.err(
                                join(&cp, "id"),
                                format!("{:?} is used twice in this stream", c.id),
                            );
                        }
                        components.push(c);
                    }
                    None => ok = false,
                }
            }
        }
        Some(other) => {
            cx.err(
                join(&path, "component"),
                format!(
                    "expected [[stream.component]] tables, found {}",
                    type_name(other)
                ),
            );
            ok = false;
        }
        None => ok = false,
    }
    if !ok {
        return None;
    }
    Some(Stream {
        id: StreamId::parse(&id?).ok()?,
        name: name?,
        paid_to: paid_to?,
        effective_from: effective_from?,
        effective_to: effective_to?,
        timing: timing?,
        eligibility,
        note,
        components,
    })
}

/// The financial year a file name stands for: its base name without
/// `.toml`.
fn year_from_file_name(name: &str) -> Option<FinancialYear> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.strip_suffix(".toml")?.parse().ok()
}

fn parse_file(cx: &mut Cx, text: &str) -> Option<YearRules> {
    let file_year = year_from_file_name(cx.file);
    if file_year.is_none() {
        cx.err(
            "",
            "the file name must be <financial year>.toml, such as 2025-26.toml",
        );
    }
    let root: Table = match text.parse::<Table>() {
        Ok(t) => t,
        Err(e) => {
            let msg = e.to_string();
            cx.err("", format!("not valid TOML: {}", msg.trim_end()));
            return None;
        }
    };
    check_keys(cx, &root, FILE_KEYS, "");

    let mut fy = None;
    if let Some(s) = req_str(cx, &root, "financial_year", "") {
        match s.parse::<FinancialYear>() {
            Ok(y) => {
                if let Some(fyn) = file_year {
                    if fyn != y {
                        cx.err(
                            "financial_year",
                            format!("{y} does not match the file name, which says {fyn}"),
                        );
                    }
                }
                fy = Some(y);
            }
            Err(e) => cx.err("financial_year", e.to_string()),
        }
    }

    let specification = req(cx, &root, "specification", "").and_then(|v| {
        let t = keyed_table(cx, v, "specification", SPEC_KEYS)?;
        let document = req_str(cx, t, "document", "specification");
        let url = opt_str(cx, t, "url", "specification");
        let note = opt_str(cx, t, "note", "specification");
        Some(Specification {
            document: document?,
            url,
            note,
        })
    });
    let note = opt_str(cx, &root, "note", "");

    let mut streams = Vec::new();
    let mut all_streams_ok = true;
    match req(cx, &root, "stream", "") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match parse_stream(cx, item, i, fy) {
                    Some(s) => streams.push((i, s)),
                    None => all_streams_ok = false,
                }
            }
        }
        Some(other) => {
            cx.err(
                "stream",
                format!("expected [[stream]] tables, found {}", type_name(other)),
            );
            all_streams_ok = false;
        }
        None => all_streams_ok = false,
    }

    check_overlaps(cx, &streams);
    check_population_dates(cx, &streams);
    let arrs = arrs::parse(cx, &root, fy).unwrap_or_default();
    let services = {
        let roles: Vec<&str> = arrs.roles.iter().map(|r| r.id.as_str()).collect();
        let ids: Vec<&str> = streams.iter().map(|(_, s)| s.id.as_str()).collect();
        services::parse(cx, &root, fy, &roles, &ids).unwrap_or_default()
    };

    if !all_streams_ok {
        return None;
    }
    Some(YearRules {
        file: cx.file.to_string(),
        financial_year: fy?,
        specification: specification?,
        note,
        streams: streams.into_iter().map(|(_, s)| s).collect(),
        arrs,
        services,
    })
}

/// Every population in a year is taken as at one date: the funding engine
/// gathers each network's lists and populations once, as at that date, so
/// two dates in one year would silently use the wrong one for some lines.
fn check_population_dates(cx: &mut Cx, streams: &[(usize, Stream)]) {
    let mut first: Option<(NaiveDate, String)> = None;
    for (i, s) in streams {
        for (j, c) in s.components.iter().enumerate() {
            let Some(date) = c.population_date else {
                continue;
            };
            let here = format!("stream[{i}] ({}).component[{j}].population_date", s.id);
            match &first {
                None => first = Some((date, here)),
                Some((d, there)) if *d != date => cx.err(
                    here,
                    format!(
                        "{date} differs from {d} ({there}): a year takes every population as at one date"
                    ),
                ),
                Some(_) => {}
            }
        }
    }
}

/// Entries of the same stream id may repeat (a mid-year change) but, for the
/// same component id, their dates must not overlap.
fn check_overlaps(cx: &mut Cx, streams: &[(usize, Stream)]) {
    /// (stream index, effective_from, effective_to) of an earlier entry.
    type Entry = (usize, NaiveDate, NaiveDate);
    let mut seen: BTreeMap<(&str, &str), Vec<Entry>> = BTreeMap::new();
    for (i, s) in streams {
        for (ci, c) in s.components.iter().enumerate() {
            let key = (s.id.as_str(), c.id.as_str());
            let earlier = seen.entry(key).or_default();
            for (oi, from, to) in earlier.iter() {
                if s.effective_from <= *to && *from <= s.effective_to {
                    cx.err(
                        format!("stream[{i}] ({}).component[{ci}]", s.id),
                        format!(
                            "{} to {} overlaps stream[{oi}] ({}) {} to {} for component {:?}; entries of one stream id must have non-overlapping dates",
                            s.effective_from, s.effective_to, s.id, from, to, c.id
                        ),
                    );
                }
            }
            earlier.push((*i, s.effective_from, s.effective_to));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn financial_year_parses_and_prints() {
        let fy: FinancialYear = "2025-26".parse().unwrap();
        assert_eq!(fy.start(), d(2025, 4, 1));
        assert_eq!(fy.end(), d(2026, 3, 31));
        assert_eq!(fy.to_string(), "2025-26");
        assert_eq!(
            "1999-00".parse::<FinancialYear>().unwrap().to_string(),
            "1999-00"
        );
        for bad in [
            "2025-27",
            "2025/26",
            "25-26",
            "2025-2026",
            "",
            "abcd-ef",
            "2025-6 ",
        ] {
            let e = bad.parse::<FinancialYear>().unwrap_err();
            assert!(e.to_string().contains("2025-26"), "{e}");
        }
    }

    #[test]
    fn financial_year_contains_and_containing() {
        let fy = FinancialYear::starting(2024);
        assert!(fy.contains(d(2024, 4, 1)));
        assert!(fy.contains(d(2025, 3, 31)));
        assert!(!fy.contains(d(2024, 3, 31)));
        assert!(!fy.contains(d(2025, 4, 1)));
        assert_eq!(FinancialYear::containing(d(2025, 3, 31)), fy);
        assert_eq!(FinancialYear::containing(d(2024, 4, 1)), fy);
        assert_eq!(fy.next().to_string(), "2025-26");
    }

    #[test]
    fn plain_decimals() {
        for ok in ["0", "2.266", "130.253", "37810", "0.51430"] {
            assert!(is_plain_decimal(ok), "{ok}");
        }
        for bad in ["", ".5", "5.", "1e3", "+1", " 1", "1_000", "1.2.3", "-1"] {
            assert!(!is_plain_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn units_and_bases() {
        assert!(Unit::GbpPerPatientPerYear.is_annual());
        assert!(!Unit::GbpPerPatientPerPeriod.is_annual());
        assert!(Unit::GbpPerPoint
            .allowed_bases()
            .contains(&Basis::IifPoints));
        assert_eq!(
            Unit::parse("gbp-per-bed-per-year"),
            Some(Unit::GbpPerBedPerYear)
        );
        assert_eq!(Unit::parse("gbp-per-bed"), None);
    }
}
