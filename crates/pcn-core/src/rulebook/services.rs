//! The services part of a year's rules: the Network Contract DES service
//! specifications a network must deliver, each requirement in a measurable
//! form with its source clause, which roles may deliver it, the editable
//! workload assumptions used to turn a requirement into staff hours, and
//! England's bank holidays (for "working days").
//!
//! ```toml
//! [services]
//! note = "…"
//! other_roles = ["gp", "practice-nurse"]   # roster roles outside the ARRS that may deliver
//! bank_holidays = [2025-04-18, 2025-04-21] # England and Wales, inside the financial year
//! bank_holidays_source = { document = "GOV.UK: UK bank holidays", url = "https://www.gov.uk/bank-holidays", kind = "primary" }
//!
//! [[services.spec]]
//! id = "enhanced-access"
//! name = "Enhanced access"
//! from = 2025-04-01                        # first day in force this year
//! to = 2026-03-31                          # optional: the year end
//! income_streams = ["enhanced-access"]     # payment streams that pay for it (optional)
//! source = { … }
//! verified = false
//! confidence = "seen"
//!
//!   [[services.spec.window]]               # the hours its appointments count in
//!   days = ["mon", "tue", "wed", "thu", "fri"]
//!   from = "18:30"
//!   to = "20:00"                           # "24:00" is the end of the day
//!
//!   [[services.spec.requirement]]
//!   id = "appointment-minutes"
//!   kind = "appointment-minutes-per-thousand"
//!   minutes_per_thousand = "60"            # per week
//!   population = "adjusted-population"     # or registered-list
//!   rounding = "none"                      # or nearest-quarter-hour
//!   roles = ["gp", "paramedic", …]         # who may deliver it
//!   source = { …, section = "…" }
//!   verified = false
//!   confidence = "seen"
//!
//! [[services.assumption]]
//! id = "minutes-per-smr"
//! value = "30"
//! unit = "minutes"                         # minutes | hours | count | share
//! description = "…"
//! footing = "cited"                        # cited | inferred | assumption
//! basis = "…"                              # why this figure
//! source = { … }                           # optional; required when cited
//! ```
//!
//! Requirement kinds and what they need:
//!
//! | kind | measured as | fields | assumptions used for workload |
//! |---|---|---|---|
//! | `weekly-round-per-aligned-home` | a round in each week for each aligned care home | — | `minutes-per-home-round`, `residents-reviewed-per-bed-per-round`, `minutes-per-resident-review` |
//! | `care-plan-within-working-days` | a plan within N working days of each admission | `working_days` | `admissions-per-bed-per-year`, `minutes-per-care-plan` |
//! | `appointment-minutes-per-thousand` | minutes a week inside the spec's windows | `minutes_per_thousand`, `population`, `rounding` | the minutes themselves |
//! | `cover-during-windows` | one of `roles` present throughout the windows | — | the windows' length |
//! | `reviews-per-year` | a volume a year from a basis | `volume_basis`, `volume_assumption`, `minutes_assumption` | those two |
//! | `unquantified` | the specification sets no volume | — | none: its workload is not estimated |
//!
//! Every role named must be an `[arrs]` role of that year or one of
//! `other_roles`; every assumption a requirement uses must be given that
//! year. Unknown keys are errors, as elsewhere in the rulebook.

use std::fmt;

use chrono::{NaiveDate, Weekday};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{
    array, check_from_to, decimal, id_field, keyed_table, opt_date, opt_str, parse_provenance,
    parse_source, refuse_missing, req, req_date, req_str, type_name, Basis, Cited, Cx,
    FinancialYear, Keyword, Source, Table, Value,
};

const SERVICES_KEYS: &[&str] = &[
    "note",
    "other_roles",
    "bank_holidays",
    "bank_holidays_source",
    "spec",
    "assumption",
];
const SPEC_KEYS: &[&str] = &[
    "id",
    "name",
    "from",
    "to",
    "income_streams",
    "source",
    "verified",
    "confidence",
    "note",
    "window",
    "requirement",
];
const WINDOW_KEYS: &[&str] = &["days", "from", "to"];
const REQUIREMENT_KEYS: &[&str] = &[
    "id",
    "kind",
    "roles",
    "working_days",
    "minutes_per_thousand",
    "population",
    "rounding",
    "volume_basis",
    "volume_assumption",
    "minutes_assumption",
    "source",
    "verified",
    "confidence",
    "note",
];
/// Where in [`REQUIREMENT_KEYS`] the keys that belong to one kind of
/// requirement or another stand (`working_days` to `minutes_assumption`).
const REQUIREMENT_KIND_KEYS: std::ops::Range<usize> = 3..10;
const ASSUMPTION_KEYS: &[&str] = &[
    "id",
    "value",
    "unit",
    "description",
    "footing",
    "basis",
    "source",
];

/// The assumption ids the fixed requirement kinds use.
pub mod assumption_ids {
    /// Contracted hours a week of one whole-time equivalent.
    pub const HOURS_PER_WTE_WEEK: &str = "hours-per-wte-week";
    /// The share of a post's hours available to the specifications.
    pub const SERVICE_SHARE_OF_HOURS: &str = "service-share-of-hours";
    pub const MINUTES_PER_HOME_ROUND: &str = "minutes-per-home-round";
    pub const RESIDENTS_REVIEWED_PER_BED_PER_ROUND: &str = "residents-reviewed-per-bed-per-round";
    pub const MINUTES_PER_RESIDENT_REVIEW: &str = "minutes-per-resident-review";
    pub const ADMISSIONS_PER_BED_PER_YEAR: &str = "admissions-per-bed-per-year";
    pub const MINUTES_PER_CARE_PLAN: &str = "minutes-per-care-plan";
}

keyword_enum! {
    /// How a requirement is measured.
    RequirementKind, "a requirement kind" {
        /// A round in each week for each care home aligned to the network.
        WeeklyRoundPerAlignedHome => "weekly-round-per-aligned-home",
        /// A personalised care and support plan within N working days of admission.
        CarePlanWithinWorkingDays => "care-plan-within-working-days",
        /// Minutes of appointments a week per 1,000 of a population, inside the windows.
        AppointmentMinutesPerThousand => "appointment-minutes-per-thousand",
        /// A clinician of one of the roles present throughout the windows.
        CoverDuringWindows => "cover-during-windows",
        /// A number of reviews a year from a basis (structured medication reviews).
        ReviewsPerYear => "reviews-per-year",
        /// The specification sets no volume that can be measured.
        Unquantified => "unquantified",
    }
}

keyword_enum! {
    /// How a weekly minutes requirement is rounded.
    Rounding, "a rounding" {
        /// Exact.
        None => "none",
        /// To the nearest 15 minutes (extended hours, 2019/20 §4.6.2).
        NearestQuarterHour => "nearest-quarter-hour",
    }
}

keyword_enum! {
    /// The unit of an assumption.
    AssumptionUnit, "an assumption unit" {
        Minutes => "minutes",
        Hours => "hours",
        Count => "count",
        Share => "share",
    }
}

keyword_enum! {
    /// What an assumption stands on.
    Footing, "a footing" {
        /// A source states the figure.
        Cited => "cited",
        /// Read across or worked out from sources (the working is in `basis`).
        Inferred => "inferred",
        /// A stated judgement with no published figure: edit it locally.
        Assumption => "assumption",
    }
}

/// Minutes after midnight, 0 to 1440 ("24:00" is the end of the day).
pub type Minute = u16;

/// Parses `HH:MM` (24-hour; `24:00` allowed as an end) into minutes after midnight.
pub fn parse_time(s: &str) -> Option<Minute> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    if !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// `18:30`.
pub fn format_time(m: Minute) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Parses a day of the week: `mon`, `Monday`, `MON` …
pub fn parse_weekday(s: &str) -> Option<Weekday> {
    let l = s.trim().to_ascii_lowercase();
    let days = [
        ("mon", "monday", Weekday::Mon),
        ("tue", "tuesday", Weekday::Tue),
        ("wed", "wednesday", Weekday::Wed),
        ("thu", "thursday", Weekday::Thu),
        ("fri", "friday", Weekday::Fri),
        ("sat", "saturday", Weekday::Sat),
        ("sun", "sunday", Weekday::Sun),
    ];
    days.iter()
        .find(|(short, long, _)| l == *short || l == *long || (l == "tues" && *short == "tue"))
        .map(|(_, _, d)| *d)
}

/// Hours in which a specification's appointments count, on some days of the week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    pub days: Vec<Weekday>,
    /// Minutes after midnight.
    pub from: Minute,
    pub to: Minute,
}

impl Window {
    /// Minutes of `[start, end)` on `day` inside this window.
    pub fn overlap(&self, day: Weekday, start: Minute, end: Minute) -> u32 {
        if !self.days.contains(&day) {
            return 0;
        }
        let a = start.max(self.from);
        let b = end.min(self.to);
        u32::from(b.saturating_sub(a))
    }

    /// The window's length in minutes a week.
    pub fn minutes_a_week(&self) -> u32 {
        u32::from(self.to - self.from) * self.days.len() as u32
    }
}

/// What a requirement measures, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Measure {
    WeeklyRoundPerAlignedHome,
    CarePlanWithinWorkingDays {
        working_days: u32,
    },
    AppointmentMinutesPerThousand {
        minutes_per_thousand: Decimal,
        population: Basis,
        rounding: Rounding,
    },
    CoverDuringWindows,
    ReviewsPerYear {
        volume_basis: Basis,
        volume_assumption: String,
        minutes_assumption: String,
    },
    Unquantified,
}

impl Measure {
    pub fn kind(&self) -> RequirementKind {
        match self {
            Measure::WeeklyRoundPerAlignedHome => RequirementKind::WeeklyRoundPerAlignedHome,
            Measure::CarePlanWithinWorkingDays { .. } => RequirementKind::CarePlanWithinWorkingDays,
            Measure::AppointmentMinutesPerThousand { .. } => {
                RequirementKind::AppointmentMinutesPerThousand
            }
            Measure::CoverDuringWindows => RequirementKind::CoverDuringWindows,
            Measure::ReviewsPerYear { .. } => RequirementKind::ReviewsPerYear,
            Measure::Unquantified => RequirementKind::Unquantified,
        }
    }

    /// The assumption ids this measure's workload uses.
    pub fn assumptions(&self) -> Vec<&str> {
        use assumption_ids::*;
        match self {
            Measure::WeeklyRoundPerAlignedHome => vec![
                MINUTES_PER_HOME_ROUND,
                RESIDENTS_REVIEWED_PER_BED_PER_ROUND,
                MINUTES_PER_RESIDENT_REVIEW,
            ],
            Measure::CarePlanWithinWorkingDays { .. } => {
                vec![ADMISSIONS_PER_BED_PER_YEAR, MINUTES_PER_CARE_PLAN]
            }
            Measure::ReviewsPerYear {
                volume_assumption,
                minutes_assumption,
                ..
            } => vec![volume_assumption.as_str(), minutes_assumption.as_str()],
            Measure::AppointmentMinutesPerThousand { .. }
            | Measure::CoverDuringWindows
            | Measure::Unquantified => Vec::new(),
        }
    }
}

/// One requirement of a specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    pub id: String,
    pub measure: Measure,
    /// Role ids that may deliver it, the lead role first.
    pub roles: Vec<String>,
    #[serde(flatten)]
    pub cited: Cited,
}

/// A service specification in force for part or all of a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceSpec {
    pub id: String,
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Payment stream ids (`[[stream]]`) that pay for this service.
    pub income_streams: Vec<String>,
    pub windows: Vec<Window>,
    pub requirements: Vec<Requirement>,
    #[serde(flatten)]
    pub cited: Cited,
}

impl ServiceSpec {
    /// Whether the specification is in force on `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }

    /// Minutes of `[start, end)` on `day` inside any of the windows (windows
    /// of one specification do not overlap; the loader checks).
    pub fn minutes_inside(&self, day: Weekday, start: Minute, end: Minute) -> u32 {
        self.windows
            .iter()
            .map(|w| w.overlap(day, start, end))
            .sum()
    }
}

/// An editable workload assumption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assumption {
    pub id: String,
    pub value: Decimal,
    pub unit: AssumptionUnit,
    pub description: String,
    pub footing: Footing,
    pub basis: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// A year's service rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ServiceRules {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub other_roles: Vec<String>,
    /// England and Wales bank holidays inside the year, ascending.
    pub bank_holidays: Vec<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_holidays_source: Option<Source>,
    pub specs: Vec<ServiceSpec>,
    pub assumptions: Vec<Assumption>,
}

impl ServiceRules {
    /// Whether the year file had a `[services]` section with bank holidays,
    /// so its working days are known.
    pub fn has_calendar(&self) -> bool {
        self.bank_holidays_source.is_some()
    }

    pub fn spec(&self, id: &str) -> Option<&ServiceSpec> {
        self.specs.iter().find(|s| s.id == id)
    }

    pub fn assumption(&self, id: &str) -> Option<&Assumption> {
        self.assumptions.iter().find(|a| a.id == id)
    }

    /// An assumption's value (the loader guarantees the ones requirements use).
    pub fn value(&self, id: &str) -> Option<Decimal> {
        self.assumption(id).map(|a| a.value)
    }

    /// The specifications in force on `date`.
    pub fn specs_on(&self, date: NaiveDate) -> impl Iterator<Item = &ServiceSpec> {
        self.specs.iter().filter(move |s| s.covers(date))
    }
}

fn strings(cx: &mut Cx, t: &Table, key: &str, path: &str) -> Vec<String> {
    let p = super::join(path, key);
    match t.get(key) {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
                other => {
                    cx.err(
                        format!("{p}[{i}]"),
                        format!("expected a non-empty string, found {}", type_name(other)),
                    );
                    None
                }
            })
            .collect(),
        Some(other) => {
            cx.err(
                p,
                format!("expected an array of strings, found {}", type_name(other)),
            );
            Vec::new()
        }
    }
}

fn parse_window(cx: &mut Cx, v: &Value, path: &str) -> Option<Window> {
    let t = keyed_table(cx, v, path, WINDOW_KEYS)?;
    let mut days = Vec::new();
    for (i, d) in strings(cx, t, "days", path).iter().enumerate() {
        match parse_weekday(d) {
            Some(w) if !days.contains(&w) => days.push(w),
            Some(_) => cx.err(format!("{path}.days[{i}]"), format!("{d:?} is given twice")),
            None => cx.err(
                format!("{path}.days[{i}]"),
                format!("{d:?} is not a day; use mon, tue, wed, thu, fri, sat or sun"),
            ),
        }
    }
    if days.is_empty() && t.contains_key("days") {
        cx.err(super::join(path, "days"), "is empty; give at least one day");
    }
    req(cx, t, "days", path);
    let mut time = |key: &str| {
        let s = req_str(cx, t, key, path)?;
        let m = parse_time(&s);
        if m.is_none() {
            cx.err(
                super::join(path, key),
                format!("{s:?} is not a time; write HH:MM, 24-hour (24:00 is the end of the day)"),
            );
        }
        m
    };
    let from = time("from");
    let to = time("to");
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            cx.err(
                super::join(path, "to"),
                format!("{} is not after from ({})", format_time(t), format_time(f)),
            );
            return None;
        }
    }
    Some(Window {
        days,
        from: from?,
        to: to?,
    })
}

fn parse_requirement(cx: &mut Cx, v: &Value, path: &str) -> Option<Requirement> {
    let t = keyed_table(cx, v, path, REQUIREMENT_KEYS)?;
    let id = id_field(cx, t, path);
    let kind = super::keyword::<RequirementKind>(cx, t, "kind", path, true);
    let roles = strings(cx, t, "roles", path);
    let prov = parse_provenance(cx, t, path);
    refuse_missing(
        cx,
        path,
        prov.confidence,
        "a requirement cannot be missing; leave it out, or mark it inferred with a note",
    );
    let allowed: &[&str] = match kind {
        Some(RequirementKind::CarePlanWithinWorkingDays) => &["working_days"],
        Some(RequirementKind::AppointmentMinutesPerThousand) => {
            &["minutes_per_thousand", "population", "rounding"]
        }
        Some(RequirementKind::ReviewsPerYear) => {
            &["volume_basis", "volume_assumption", "minutes_assumption"]
        }
        _ => &[],
    };
    for &key in &REQUIREMENT_KEYS[REQUIREMENT_KIND_KEYS] {
        if t.contains_key(key) && !allowed.contains(&key) {
            cx.err(
                super::join(path, key),
                format!(
                    "does not apply to kind {:?}",
                    kind.map(|k| k.as_str()).unwrap_or("?")
                ),
            );
        }
    }
    let measure = match kind? {
        RequirementKind::WeeklyRoundPerAlignedHome => Measure::WeeklyRoundPerAlignedHome,
        RequirementKind::CarePlanWithinWorkingDays => {
            let p = super::join(path, "working_days");
            let days = match req(cx, t, "working_days", path)? {
                Value::Integer(n) if (1..=60).contains(n) => *n as u32,
                other => {
                    cx.err(
                        p,
                        format!(
                            "expected a whole number of days from 1 to 60, found {}",
                            match other {
                                Value::Integer(n) => n.to_string(),
                                o => type_name(o).to_string(),
                            }
                        ),
                    );
                    return None;
                }
            };
            Measure::CarePlanWithinWorkingDays { working_days: days }
        }
        RequirementKind::AppointmentMinutesPerThousand => {
            req(cx, t, "minutes_per_thousand", path);
            let minutes = decimal(cx, t, "minutes_per_thousand", path);
            let population = super::keyword::<Basis>(cx, t, "population", path, true);
            if let Some(b) = population {
                if !matches!(b, Basis::AdjustedPopulation | Basis::RegisteredList) {
                    cx.err(
                        super::join(path, "population"),
                        format!(
                            "{b} is not a population; use adjusted-population or registered-list"
                        ),
                    );
                }
            }
            let rounding = super::keyword::<Rounding>(cx, t, "rounding", path, false)
                .unwrap_or(Rounding::None);
            Measure::AppointmentMinutesPerThousand {
                minutes_per_thousand: minutes?,
                population: population?,
                rounding,
            }
        }
        RequirementKind::CoverDuringWindows => Measure::CoverDuringWindows,
        RequirementKind::ReviewsPerYear => {
            let basis = super::keyword::<Basis>(cx, t, "volume_basis", path, true);
            if let Some(b) = basis {
                if !matches!(
                    b,
                    Basis::CareHomeBeds | Basis::RegisteredList | Basis::AdjustedPopulation
                ) {
                    cx.err(
                        super::join(path, "volume_basis"),
                        format!("{b} cannot be a volume; use care-home-beds, registered-list or adjusted-population"),
                    );
                }
            }
            let volume = req_str(cx, t, "volume_assumption", path);
            let minutes = req_str(cx, t, "minutes_assumption", path);
            Measure::ReviewsPerYear {
                volume_basis: basis?,
                volume_assumption: volume?,
                minutes_assumption: minutes?,
            }
        }
        RequirementKind::Unquantified => Measure::Unquantified,
    };
    if roles.is_empty() && measure != Measure::Unquantified {
        cx.err(
            super::join(path, "roles"),
            "missing or empty; name the roles that may deliver this requirement",
        );
    }
    Some(Requirement {
        id: id?,
        measure,
        roles,
        cited: prov.cited()?,
    })
}

fn parse_spec(
    cx: &mut Cx,
    v: &Value,
    path: &str,
    fy: Option<FinancialYear>,
) -> Option<ServiceSpec> {
    let t = keyed_table(cx, v, path, SPEC_KEYS)?;
    let id = id_field(cx, t, path);
    let name = req_str(cx, t, "name", path);
    let from = req_date(cx, t, "from", path);
    let to = opt_date(cx, t, "to", path).or(fy.map(FinancialYear::end));
    let income_streams = strings(cx, t, "income_streams", path);
    let prov = parse_provenance(cx, t, path);
    check_from_to(cx, path, fy, from, to);
    let mut windows: Vec<Window> = Vec::new();
    for (i, item) in array(cx, t, "window", path).iter().enumerate() {
        let wp = format!("{path}.window[{i}]");
        if let Some(w) = parse_window(cx, item, &wp) {
            for other in &windows {
                let shared_day = w.days.iter().any(|d| other.days.contains(d));
                if shared_day && w.from < other.to && other.from < w.to {
                    cx.err(
                        wp.clone(),
                        "overlaps an earlier window on the same day; minutes would count twice",
                    );
                }
            }
            windows.push(w);
        }
    }
    let mut requirements: Vec<Requirement> = Vec::new();
    for (i, item) in array(cx, t, "requirement", path).iter().enumerate() {
        let rp = format!("{path}.requirement[{i}]");
        if let Some(r) = parse_requirement(cx, item, &rp) {
            if requirements.iter().any(|o| o.id == r.id) {
                cx.err(
                    format!("{rp}.id"),
                    format!("{:?} is given twice in this specification", r.id),
                );
            }
            let needs_windows = matches!(
                r.measure,
                Measure::AppointmentMinutesPerThousand { .. } | Measure::CoverDuringWindows
            );
            if needs_windows && windows.is_empty() {
                cx.err(
                    format!("{rp}.kind"),
                    format!(
                        "{} needs the specification's [[window]]s; give at least one",
                        r.measure.kind()
                    ),
                );
            }
            requirements.push(r);
        }
    }
    if requirements.is_empty() {
        cx.err(
            super::join(path, "requirement"),
            "missing; give at least one requirement (kind = \"unquantified\" when it has no measurable volume)",
        );
    }
    Some(ServiceSpec {
        id: id?,
        name: name?,
        from: from?,
        to: to?,
        income_streams,
        windows,
        requirements,
        cited: prov.cited()?,
    })
}

fn parse_assumption(cx: &mut Cx, v: &Value, path: &str) -> Option<Assumption> {
    let t = keyed_table(cx, v, path, ASSUMPTION_KEYS)?;
    let id = id_field(cx, t, path);
    req(cx, t, "value", path);
    let value = decimal(cx, t, "value", path);
    let unit = super::keyword::<AssumptionUnit>(cx, t, "unit", path, true);
    let description = req_str(cx, t, "description", path);
    let footing = super::keyword::<Footing>(cx, t, "footing", path, true);
    let basis = req_str(cx, t, "basis", path);
    let source = if t.contains_key("source") {
        parse_source(cx, t, path)
    } else {
        None
    };
    if footing == Some(Footing::Cited) && source.is_none() {
        cx.err(
            super::join(path, "source"),
            "missing; a cited figure needs its source",
        );
    }
    if let (Some(AssumptionUnit::Share), Some(v)) = (unit, value) {
        if v > Decimal::ONE {
            cx.err(
                super::join(path, "value"),
                format!("{v} is not a share; give a value from 0 to 1"),
            );
        }
    }
    Some(Assumption {
        id: id?,
        value: value?,
        unit: unit?,
        description: description?,
        footing: footing?,
        basis: basis?,
        source,
    })
}

/// Parses the `[services]` table of a year file. `None` when the file has
/// none. `arrs_roles` are the role ids of the year's `[arrs]`.
pub(super) fn parse(
    cx: &mut Cx,
    root: &Table,
    fy: Option<FinancialYear>,
    arrs_roles: &[&str],
    stream_ids: &[&str],
) -> Option<ServiceRules> {
    let v = root.get("services")?;
    let t = keyed_table(cx, v, "services", SERVICES_KEYS)?;
    let mut rules = ServiceRules {
        note: opt_str(cx, t, "note", "services"),
        other_roles: strings(cx, t, "other_roles", "services"),
        ..ServiceRules::default()
    };
    match t.get("bank_holidays") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let p = format!("services.bank_holidays[{i}]");
                if let Some(d) = super::as_date(cx, item, p.clone()) {
                    if fy.is_some_and(|fy| !fy.contains(d)) {
                        cx.err(p, format!("{d} is outside the financial year"));
                    } else if rules.bank_holidays.contains(&d) {
                        cx.err(p, format!("{d} is given twice"));
                    } else {
                        rules.bank_holidays.push(d);
                    }
                }
            }
            match t.get("bank_holidays_source") {
                Some(sv) => {
                    let mut wrapper = Table::new();
                    wrapper.insert("source".into(), sv.clone());
                    rules.bank_holidays_source =
                        parse_source(cx, &wrapper, "services.bank_holidays");
                }
                None => cx.err(
                    "services.bank_holidays_source",
                    "missing; bank holidays need their source",
                ),
            }
        }
        Some(other) => cx.err(
            "services.bank_holidays",
            format!("expected an array of dates, found {}", type_name(other)),
        ),
        None => {
            if !t
                .get("spec")
                .is_none_or(|s| matches!(s, Value::Array(a) if a.is_empty()))
            {
                cx.err(
                    "services.bank_holidays",
                    "missing; a year with specifications needs its bank holidays (working days)",
                );
            }
        }
    }
    rules.bank_holidays.sort();
    for (i, item) in array(cx, t, "assumption", "services").iter().enumerate() {
        let p = format!("services.assumption[{i}]");
        if let Some(a) = parse_assumption(cx, item, &p) {
            if rules.assumptions.iter().any(|o| o.id == a.id) {
                cx.err(format!("{p}.id"), format!("{:?} is given twice", a.id));
            }
            rules.assumptions.push(a);
        }
    }
    for (i, item) in array(cx, t, "spec", "services").iter().enumerate() {
        let p = format!("services.spec[{i}]");
        let Some(spec) = parse_spec(cx, item, &p, fy) else {
            continue;
        };
        if rules.specs.iter().any(|o| o.id == spec.id) {
            cx.err(
                format!("{p}.id"),
                format!(
                    "{:?} is given twice; give each specification once a year",
                    spec.id
                ),
            );
        }
        for (j, s) in spec.income_streams.iter().enumerate() {
            if !stream_ids.contains(&s.as_str()) {
                cx.err(
                    format!("{p}.income_streams[{j}]"),
                    format!(
                        "{s:?} is not a [[stream]] of this year; the streams are {}",
                        stream_ids.join(", ")
                    ),
                );
            }
        }
        for (j, r) in spec.requirements.iter().enumerate() {
            let rp = format!("{p} ({}).requirement[{j}] ({})", spec.id, r.id);
            for role in &r.roles {
                if !arrs_roles.contains(&role.as_str()) && !rules.other_roles.contains(role) {
                    cx.err(
                        format!("{rp}.roles"),
                        format!("{role:?} is neither an [arrs] role of this year nor one of services.other_roles"),
                    );
                }
            }
            for a in r.measure.assumptions() {
                if rules.assumption(a).is_none() {
                    cx.err(
                        format!("{rp}.kind"),
                        format!("uses the assumption {a:?}, which this year does not give; add a [[services.assumption]]"),
                    );
                }
            }
        }
        rules.specs.push(spec);
    }
    let needs_capacity = !rules.specs.is_empty();
    for a in [
        assumption_ids::HOURS_PER_WTE_WEEK,
        assumption_ids::SERVICE_SHARE_OF_HOURS,
    ] {
        if needs_capacity && rules.assumption(a).is_none() {
            cx.err(
                "services.assumption",
                format!("{a:?} is missing; capacity needs it"),
            );
        }
    }
    Some(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("18:30"), Some(1110));
        assert_eq!(parse_time("9:00"), Some(540));
        assert_eq!(parse_time("24:00"), Some(1440));
        for bad in [
            "24:01", "18:60", "1830", "18:3", "", "ab:cd", "-1:00", "18:30:00",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(format_time(1110), "18:30");
    }

    #[test]
    fn window_overlap_counts_only_minutes_inside() {
        let w = Window {
            days: vec![Weekday::Mon],
            from: 1110,
            to: 1200,
        };
        // 18:00–20:30 on a Monday: 18:30–20:00 inside.
        assert_eq!(w.overlap(Weekday::Mon, 1080, 1230), 90);
        // Ends exactly at the window's start: nothing.
        assert_eq!(w.overlap(Weekday::Mon, 1020, 1110), 0);
        // Starts at its end: nothing.
        assert_eq!(w.overlap(Weekday::Mon, 1200, 1260), 0);
        // Wrong day.
        assert_eq!(w.overlap(Weekday::Tue, 1110, 1200), 0);
        assert_eq!(w.minutes_a_week(), 90);
    }

    #[test]
    fn weekdays() {
        assert_eq!(parse_weekday("Saturday"), Some(Weekday::Sat));
        assert_eq!(parse_weekday(" mon "), Some(Weekday::Mon));
        assert_eq!(parse_weekday("tues"), Some(Weekday::Tue));
        assert_eq!(parse_weekday("funday"), None);
    }
}
