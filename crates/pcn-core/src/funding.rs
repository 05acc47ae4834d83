//! The funding engine: a network's Network Contract DES payments for one
//! financial year, computed from the rulebook, line by line.
//!
//! Each [`Line`] is one component of one stream (core PCN funding has a
//! registered-list and an adjusted-population part): the basis figure and the
//! date it is as at, the rate and its source, the amount for the year, the
//! monthly instalments with payment dates, and the arithmetic in words.
//!
//! Rules this module keeps:
//! - amounts are exact: `rate × basis` is rounded to the penny once (half away
//!   from zero), an annual amount is split into twelve instalments that add up
//!   to it exactly ([`crate::money::split_evenly`]), and a part year is the
//!   sum of the months paid, so it never drifts from the annual figure;
//! - a month is paid when the stream's period and the network's activity
//!   (open/close dates) both cover its first day;
//! - instalment dates: `monthly` is paid on the last day of the month it
//!   relates to, `monthly-in-arrears` on the last day of the following month,
//!   `quarterly` on the last day of the quarter, an annual lump sum on the last
//!   day of the year; ARRS (`on-claim`) and IIF/CAIP (`on-achievement`) are
//!   maxima with no schedule;
//! - a missing input is never a silent zero: with [`MissingInputs::Refuse`]
//!   the statement is refused, naming the input; with
//!   [`MissingInputs::Estimate`] a documented estimate is used and every line
//!   it touches says so; an input that cannot be estimated (care-home beds,
//!   IIF points) or a rate the rulebook does not know leaves the line
//!   [`LineStatus::NotComputed`] with the reason.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::codes::{PcnCode, PracticeCode, SubIcbCode};
use crate::money::{split_evenly, Fraction, Pence};
use crate::rulebook::{
    Basis, Component, Confidence, FinancialYear, PaidTo, Source, Stream, StreamId, Timing, Unit,
    YearRules,
};

/// A basis figure: its value, the date it is as at, and, when it is an
/// estimate, how it was estimated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub value: Decimal,
    pub as_at: Option<NaiveDate>,
    pub estimate: Option<String>,
}

impl Figure {
    pub fn exact(value: impl Into<Decimal>, as_at: Option<NaiveDate>) -> Figure {
        Figure {
            value: value.into(),
            as_at,
            estimate: None,
        }
    }
}

/// A member practice's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberInputs {
    pub code: PracticeCode,
    pub name: Option<String>,
    pub registered: Option<Figure>,
    /// Contractor weighted population (Carr-Hill).
    pub weighted: Option<Figure>,
    /// The months (first days) of the year in which the practice is a member,
    /// when it joins or leaves part way; `None` is the whole year. Streams
    /// paid to practices are paid for these months only; network-level
    /// streams count the members of the network's first month in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_months: Option<Vec<NaiveDate>>,
}

impl MemberInputs {
    /// Whether the practice is a member in the month starting `month`.
    pub fn is_member_in(&self, month: NaiveDate) -> bool {
        self.membership_months
            .as_ref()
            .is_none_or(|m| m.contains(&month))
    }
}

/// Everything the engine needs about one network for one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkInputs {
    pub pcn: PcnCode,
    pub name: Option<String>,
    pub commissioner: Option<SubIcbCode>,
    pub payee: Option<PracticeCode>,
    /// The network's open and close dates, when inside the year.
    pub open_date: Option<NaiveDate>,
    pub close_date: Option<NaiveDate>,
    pub members: Vec<MemberInputs>,
    /// The PCN adjusted population published by NHS England.
    pub adjusted: Option<Figure>,
    /// Beds in the network's aligned care homes.
    pub care_home_beds: Option<Figure>,
    /// IIF points achieved, as one total (no prevalence adjustment).
    pub iif_points: Option<Figure>,
    /// IIF points achieved per indicator, with the prevalences for the
    /// prevalence adjustment where the indicator has one; used instead of
    /// `iif_points` when not empty.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub iif_indicators: Vec<IifIndicatorPoints>,
    /// Commissioner assessments of streams paid on achievement: the stream id
    /// and the fraction earned (0 to 1), such as the Capacity and Access
    /// Improvement Payment. Exact: two thirds is 2/3, not 0.666667.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub assessments: Vec<(StreamId, Fraction)>,
    /// The national mean PCN registered list, for the IIF list-size
    /// adjustment (PCN list ÷ national mean PCN list).
    pub national_mean_list: Option<Decimal>,
}

impl NetworkInputs {
    /// A network of `members` with nothing else known: no name,
    /// commissioner, payee, dates, populations, beds, points or assessments.
    pub fn new(pcn: PcnCode, members: Vec<MemberInputs>) -> NetworkInputs {
        NetworkInputs {
            pcn,
            name: None,
            commissioner: None,
            payee: None,
            open_date: None,
            close_date: None,
            members,
            adjusted: None,
            care_home_beds: None,
            iif_points: None,
            iif_indicators: Vec::new(),
            assessments: Vec::new(),
            national_mean_list: None,
        }
    }
}

/// IIF points for one indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IifIndicatorPoints {
    /// `None`: a total not broken down by indicator.
    pub indicator: Option<String>,
    pub points: Decimal,
    /// The network's and the national prevalence, for a prevalence-adjusted indicator.
    pub prevalence: Option<(Decimal, Decimal)>,
}

/// What to do when an input is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MissingInputs {
    /// Refuse the statement (`pcn pay --strict`).
    Refuse,
    /// Use the documented estimate and mark every line it touches.
    Estimate,
}

/// An input that a statement could not do without.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pcn}: {stream}: {what}")]
pub struct MissingInput {
    pub pcn: PcnCode,
    pub stream: String,
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum LineStatus {
    /// Paid on the schedule shown.
    Scheduled,
    /// The most the network can claim (ARRS): paid against claims.
    Maximum,
    /// Paid once achievement is declared (IIF, CAIP): the amount is for the
    /// achievement recorded, or the most available.
    OnAchievement,
    /// Not computed, and why.
    NotComputed(String),
}

/// One instalment of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Instalment {
    /// The first day of the month the instalment is for.
    pub month: NaiveDate,
    pub pay_date: NaiveDate,
    pub amount: Pence,
}

/// One component of one stream in a statement. As JSON, a line not computed
/// has no amounts (`null`), never a silent 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// `<year>/<stream>/<component>`, e.g. `2025-26/core-pcn-funding/registered`.
    pub rule_id: String,
    pub stream_id: StreamId,
    pub stream_name: String,
    pub component_id: String,
    pub paid_to: PaidTo,
    pub timing: Timing,
    pub basis: Basis,
    pub basis_value: Option<Decimal>,
    pub basis_as_at: Option<NaiveDate>,
    pub rate: Option<Decimal>,
    pub unit: Unit,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// The amount for a whole year at this rate and basis (for annual units;
    /// the whole-period amount otherwise).
    pub full_amount: Pence,
    /// What the network gets in this year: the months paid.
    pub amount: Pence,
    pub months_paid: usize,
    pub schedule: Vec<Instalment>,
    /// Amounts per member practice, for streams paid to practices.
    pub to_practices: Vec<(PracticeCode, Pence)>,
    /// The months each member practice is paid in the year (in the order of
    /// `to_practices`), for streams paid to practices: what a member's
    /// monthly amount is (its amount ÷ its months), which the reconciliation
    /// measures each member's payment in.
    pub practice_months: Vec<(PracticeCode, u32)>,
    pub status: LineStatus,
    /// Every estimate this line rests on, in words.
    pub estimates: Vec<String>,
    /// The arithmetic, in words.
    pub working: String,
    pub source: Source,
    pub confidence: Confidence,
    pub verified: bool,
}

/// [`Line`] as it is written out: the amounts are absent when the line was
/// not computed.
#[derive(Serialize)]
struct LineOut<'a> {
    rule_id: &'a str,
    stream_id: &'a StreamId,
    stream_name: &'a str,
    component_id: &'a str,
    paid_to: PaidTo,
    timing: &'a Timing,
    basis: &'a Basis,
    basis_value: Option<Decimal>,
    basis_as_at: Option<NaiveDate>,
    rate: Option<Decimal>,
    unit: &'a Unit,
    period_from: NaiveDate,
    period_to: NaiveDate,
    full_amount: Option<Pence>,
    amount: Option<Pence>,
    months_paid: usize,
    schedule: &'a [Instalment],
    to_practices: &'a [(PracticeCode, Pence)],
    #[serde(skip_serializing_if = "<[(PracticeCode, u32)]>::is_empty")]
    practice_months: &'a [(PracticeCode, u32)],
    status: &'a LineStatus,
    estimates: &'a [String],
    working: &'a str,
    source: &'a Source,
    confidence: &'a Confidence,
    verified: bool,
}

impl Serialize for Line {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let computed = self.is_computed();
        LineOut {
            rule_id: &self.rule_id,
            stream_id: &self.stream_id,
            stream_name: &self.stream_name,
            component_id: &self.component_id,
            paid_to: self.paid_to,
            timing: &self.timing,
            basis: &self.basis,
            basis_value: self.basis_value,
            basis_as_at: self.basis_as_at,
            rate: self.rate,
            unit: &self.unit,
            period_from: self.period_from,
            period_to: self.period_to,
            full_amount: computed.then_some(self.full_amount),
            amount: computed.then_some(self.amount),
            months_paid: self.months_paid,
            schedule: &self.schedule,
            to_practices: &self.to_practices,
            practice_months: &self.practice_months,
            status: &self.status,
            estimates: &self.estimates,
            working: &self.working,
            source: &self.source,
            confidence: &self.confidence,
            verified: self.verified,
        }
        .serialize(serializer)
    }
}

impl Line {
    /// Whether the line has amounts: `false` when an input was missing.
    pub fn is_computed(&self) -> bool {
        !matches!(self.status, LineStatus::NotComputed(_))
    }

    pub fn is_estimated(&self) -> bool {
        !self.estimates.is_empty()
    }
}

/// Totals of a statement by kind of line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Paid on a schedule, to the network (its payee).
    pub scheduled_to_network: Pence,
    /// Paid on a schedule, directly to member practices.
    pub scheduled_to_practices: Pence,
    /// ARRS: the most that can be claimed.
    pub claimable_maximum: Pence,
    /// IIF/CAIP: for the achievement recorded (or the most available).
    pub on_achievement: Pence,
}

/// A network's statement for a financial year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    pub financial_year: FinancialYear,
    pub pcn: PcnCode,
    pub name: Option<String>,
    pub commissioner: Option<SubIcbCode>,
    pub payee: Option<PracticeCode>,
    pub lines: Vec<Line>,
    pub totals: Totals,
    /// Payments by month across all scheduled lines (first day of the month it is for).
    pub monthly: Vec<(NaiveDate, Pence)>,
}

impl Statement {
    pub fn is_estimated(&self) -> bool {
        self.lines.iter().any(Line::is_estimated)
    }
}

/// The first days of the twelve months of a financial year.
pub fn months_of(year: FinancialYear) -> Vec<NaiveDate> {
    let start = year.start();
    (0..12)
        .filter_map(|i| start.checked_add_months(chrono::Months::new(i)))
        .collect()
}

fn last_day_of_month(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(first)
}

fn pay_date(timing: Timing, month: NaiveDate, year: FinancialYear) -> NaiveDate {
    match timing {
        Timing::Monthly => last_day_of_month(month),
        Timing::MonthlyInArrears => last_day_of_month(
            month
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(month),
        ),
        Timing::Quarterly => {
            // Quarters of the financial year end in June, September, December and March.
            let months_into_year =
                (month.year() - year.start().year()) * 12 + month.month() as i32 - 4;
            let quarter_end = year
                .start()
                .checked_add_months(chrono::Months::new((months_into_year / 3 * 3 + 2) as u32))
                .unwrap_or(month);
            last_day_of_month(quarter_end)
        }
        Timing::AnnualLumpSum | Timing::OnAchievement | Timing::OnClaim => year.end(),
    }
}

/// The network's basis figures, summed from members where that is how they are built.
struct Bases {
    registered: Result<Figure, String>,
    weighted: Result<Figure, String>,
}

/// Sums a figure over the members of the year's first month (the network's
/// list for network-level streams).
fn sum_members(
    inputs: &NetworkInputs,
    year_start: NaiveDate,
    pick: impl Fn(&MemberInputs) -> Option<Figure>,
    what: &str,
    missing: MissingInputs,
) -> Result<Figure, String> {
    let starts_year = |m: &&MemberInputs| m.is_member_in(year_start);
    if !inputs.members.iter().any(|m| starts_year(&m)) {
        return Err(format!("no member practices, so no {what}"));
    }
    let mut total = Decimal::ZERO;
    let mut as_at = None;
    let mut estimates = Vec::new();
    let mut left_out = Vec::new();
    for m in inputs.members.iter().filter(starts_year) {
        let Some(f) = pick(m) else {
            if missing == MissingInputs::Refuse {
                return Err(format!("the {what} of member {}", m.code));
            }
            left_out.push(m.code.to_string());
            continue;
        };
        total += f.value;
        as_at = as_at.max(f.as_at);
        if let Some(e) = &f.estimate {
            if !estimates.contains(e) {
                estimates.push(e.clone());
            }
        }
    }
    if left_out.len() == inputs.members.iter().filter(starts_year).count() {
        return Err(format!("the {what} of every member"));
    }
    if !left_out.is_empty() {
        estimates.push(format!(
            "{what} left out for members with none recorded: {}",
            left_out.join(", ")
        ));
    }
    Ok(Figure {
        value: total,
        as_at,
        estimate: (!estimates.is_empty()).then(|| estimates.join("; ")),
    })
}

/// A member's contractor weighted population; with estimates allowed, its
/// registered list stands in when none is recorded (and says so).
fn member_weighted(member: &MemberInputs, missing: MissingInputs) -> Option<Figure> {
    match (&member.weighted, &member.registered, missing) {
        (Some(f), _, _) => Some(f.clone()),
        (None, Some(reg), MissingInputs::Estimate) => Some(estimate_from_registered(
            reg,
            "contractor weighted population",
        )),
        _ => None,
    }
}

/// The estimate for a population NHS England has not published (or that is
/// not recorded): the registered list, scaled by the national ratio of that
/// population to the registered population. Adjusted and contractor weighted
/// populations are both normalised to the national registered list, so the
/// ratio is 1 (documented in the line).
fn estimate_from_registered(registered: &Figure, what: &str) -> Figure {
    let mut how = format!("{what} estimated as the registered list (national ratio 1.000: {what}s are normalised to the national registered population)");
    if let Some(e) = &registered.estimate {
        how = format!("{how}; {e}");
    }
    Figure {
        value: registered.value,
        as_at: registered.as_at,
        estimate: Some(how),
    }
}

/// Computes a network's statement for the year.
pub fn statement(
    rules: &YearRules,
    inputs: &NetworkInputs,
    missing: MissingInputs,
) -> Result<Statement, MissingInput> {
    statement_with_previous(rules, None, inputs, missing)
}

/// As [`statement`], and where this year's rulebook lacks a rate (a year
/// whose figures are not yet verified), estimates allow the `previous`
/// year's rate for the same stream and component, marked on the line.
pub fn statement_with_previous(
    rules: &YearRules,
    previous: Option<&YearRules>,
    inputs: &NetworkInputs,
    missing: MissingInputs,
) -> Result<Statement, MissingInput> {
    let year = rules.financial_year;
    let months = months_of(year);
    let active = |day: NaiveDate| {
        inputs.open_date.is_none_or(|o| o <= day) && inputs.close_date.is_none_or(|c| c >= day)
    };
    // Network-level streams count the members of the network's first month
    // in force this year (April, unless it opens part way).
    let first_month = months
        .iter()
        .copied()
        .find(|m| active(*m))
        .unwrap_or(year.start());
    let bases = Bases {
        registered: sum_members(
            inputs,
            first_month,
            |m| m.registered.clone(),
            "registered list",
            missing,
        ),
        weighted: sum_members(
            inputs,
            first_month,
            |m| member_weighted(m, missing),
            "contractor weighted population",
            missing,
        ),
    };

    let mut lines = Vec::new();
    for stream in &rules.streams {
        for component in &stream.components {
            let line = line_for(
                rules, previous, stream, component, inputs, &bases, missing, &months, &active,
            )?;
            if let Some(line) = line {
                lines.push(line);
            }
        }
    }

    let mut totals = Totals::default();
    let mut monthly: Vec<(NaiveDate, Pence)> = months.iter().map(|m| (*m, Pence::ZERO)).collect();
    for line in &lines {
        match (&line.status, line.paid_to) {
            (LineStatus::Scheduled, PaidTo::Pcn) => totals.scheduled_to_network += line.amount,
            (LineStatus::Scheduled, PaidTo::Practice) => {
                totals.scheduled_to_practices += line.amount
            }
            (LineStatus::Maximum, _) => totals.claimable_maximum += line.amount,
            (LineStatus::OnAchievement, _) => totals.on_achievement += line.amount,
            (LineStatus::NotComputed(_), _) => {}
        }
        if line.status == LineStatus::Scheduled {
            for i in &line.schedule {
                if let Some(slot) = monthly.iter_mut().find(|(m, _)| *m == i.month) {
                    slot.1 += i.amount;
                }
            }
        }
    }
    Ok(Statement {
        financial_year: year,
        pcn: inputs.pcn.clone(),
        name: inputs.name.clone(),
        commissioner: inputs.commissioner.clone(),
        payee: inputs.payee.clone(),
        lines,
        totals,
        monthly,
    })
}

/// A statement line for a stream's component, before anything is worked out.
fn new_line(year: FinancialYear, stream: &Stream, component: &Component) -> Line {
    Line {
        rule_id: line_rule_id(year, stream, component),
        stream_id: stream.id.clone(),
        stream_name: stream.name.clone(),
        component_id: component.id.clone(),
        paid_to: stream.paid_to,
        timing: stream.timing,
        basis: component.basis,
        basis_value: None,
        basis_as_at: None,
        rate: component.rate_in_force(),
        unit: component.unit,
        period_from: stream.effective_from,
        period_to: stream.effective_to,
        full_amount: Pence::ZERO,
        amount: Pence::ZERO,
        months_paid: 0,
        schedule: Vec::new(),
        to_practices: Vec::new(),
        practice_months: Vec::new(),
        status: LineStatus::Scheduled,
        estimates: Vec::new(),
        working: String::new(),
        source: component.cited.source.clone(),
        confidence: component.cited.confidence,
        verified: component.cited.verified,
    }
}

/// The rate the line uses: the rate in force; a revision whose figure is
/// unknown leaves the first published rate (marked); a year without the rate
/// carries the previous year's (marked), or refuses. `Ok(None)`: the line
/// cannot be computed, and says why. `Err`: what `--strict` refuses.
fn line_rate(
    line: &mut Line,
    year: FinancialYear,
    previous: Option<&YearRules>,
    stream: &Stream,
    component: &Component,
    missing: MissingInputs,
) -> Result<Option<Decimal>, String> {
    // A revision whose figure is unknown (the 2024/25 uplift of core funding,
    // for one) leaves the first published rate as the best estimate.
    if line.rate.is_none() {
        if let (Some(first), Some(revision)) = (component.rate, &component.revised) {
            line.rate = Some(first);
            line.estimates.push(format!(
                "the rate was revised from {} but the revised figure is not in the rulebook: the first published rate £{first} is used",
                revision.effective_from
            ));
        }
    }
    if let Some(rate) = line.rate {
        return Ok(Some(rate));
    }
    if missing == MissingInputs::Refuse {
        return Err(format!("the {year} rulebook has no rate for it"));
    }
    // The previous year's rate for the same stream and component, marked
    // as an estimate; otherwise the line cannot be computed.
    let carried = previous
        .and_then(|p| p.stream_at(stream.id.as_str(), p.financial_year.end()))
        .and_then(|s| s.component(&component.id))
        .filter(|c| c.unit == component.unit)
        .and_then(|c| c.rate_in_force().map(|r| (r, c)));
    match (carried, previous) {
        (Some((rate, carried)), Some(p)) => {
            line.rate = Some(rate);
            // The figure, and so its source, is the previous year's.
            line.source = carried.cited.source.clone();
            line.confidence = carried.cited.confidence;
            line.verified = carried.cited.verified;
            line.estimates.push(format!(
                "the {year} rate is not in the rulebook: the {} rate £{rate} is used",
                p.financial_year
            ));
            Ok(Some(rate))
        }
        _ => {
            line.status = LineStatus::NotComputed(format!(
                "the rate for {year} is not known to the rulebook"
            ));
            Ok(None)
        }
    }
}

/// The basis figure of a network-level component, or what is missing.
fn basis_of(
    component: &Component,
    inputs: &NetworkInputs,
    bases: &Bases,
    missing: MissingInputs,
) -> Result<Figure, String> {
    match component.basis {
        Basis::RegisteredList => bases.registered.clone(),
        Basis::WeightedPopulation => match &bases.weighted {
            Ok(f) => Ok(f.clone()),
            Err(why) => match (&bases.registered, missing) {
                (Ok(reg), MissingInputs::Estimate) => Ok(estimate_from_registered(
                    reg,
                    "contractor weighted population",
                )),
                _ => Err(why.clone()),
            },
        },
        Basis::AdjustedPopulation => match (&inputs.adjusted, &bases.registered, missing) {
            (Some(f), _, _) => Ok(f.clone()),
            (None, Ok(reg), MissingInputs::Estimate) => {
                Ok(estimate_from_registered(reg, "PCN adjusted population"))
            }
            _ => Err("PCN adjusted population".to_string()),
        },
        Basis::CareHomeBeds => inputs
            .care_home_beds
            .clone()
            .ok_or_else(|| "beds of the network's aligned care homes".to_string()),
        Basis::IifPoints if !inputs.iif_indicators.is_empty() => Ok(Figure::exact(
            inputs
                .iif_indicators
                .iter()
                .map(|i| i.points)
                .sum::<Decimal>(),
            None,
        )),
        Basis::IifPoints => match &inputs.iif_points {
            Some(f) => Ok(f.clone()),
            None => component
                .points_available
                .map(|p| Figure {
                    value: Decimal::from(p),
                    as_at: None,
                    estimate: Some(format!("no achievement recorded: the {p} points available")),
                })
                .ok_or_else(|| "IIF points achieved".to_string()),
        },
        Basis::Network => Ok(Figure::exact(1, None)),
        Basis::Wte => Err("whole-time equivalents (ARRS roster)".to_string()),
    }
}

/// Puts the basis figure on the line, with its estimate and, when the list
/// held is not of the rule's population date, a note saying so.
fn record_figure(line: &mut Line, component: &Component, figure: &Figure) {
    line.basis_value = Some(figure.value);
    line.basis_as_at = figure.as_at;
    if let Some(e) = &figure.estimate {
        line.estimates.push(e.clone());
    }
    // A figure of another date than the rule's is an estimate: say so,
    // unless the figure already says how it was estimated.
    if let (Some(pop_date), Some(as_at)) = (component.population_date, figure.as_at) {
        if as_at != pop_date && figure.estimate.is_none() {
            line.estimates.push(format!(
                "the rule uses the list as at {pop_date}; the nearest held is as at {as_at}"
            ));
        }
    }
}

/// The exact pounds of a network-level line before any share earned, and the
/// words of its adjustments.
///
/// IIF: points × £ per point × list-size adjustment (PCN list ÷ national
/// mean PCN list; des-rules §8 gives the formula, the list-size part is
/// inferred by analogy with QOF) × (PCN prevalence ÷ national prevalence)
/// where an indicator is prevalence-adjusted, summed exactly; the
/// prevalence adjustment needs points recorded by indicator.
fn network_pounds(
    line: &mut Line,
    component: &Component,
    inputs: &NetworkInputs,
    bases: &Bases,
    rate: Decimal,
    figure: &Figure,
) -> (Decimal, String) {
    if component.basis != Basis::IifPoints {
        return (rate * figure.value, String::new());
    }
    let mut multiplier = Decimal::ONE;
    let mut words = String::new();
    match (&bases.registered, inputs.national_mean_list) {
        (Ok(list), Some(mean)) if mean > Decimal::ZERO => {
            multiplier = list.value / mean;
            words = format!(
                " × list-size adjustment {} ÷ {} = {}",
                list.value.normalize(),
                mean.round_dp(1).normalize(),
                multiplier.round_dp(4).normalize()
            );
        }
        _ => line
            .estimates
            .push("IIF list-size adjustment not applied (no national mean list)".to_string()),
    }
    if inputs.iif_indicators.is_empty() {
        line.estimates.push(
            "IIF prevalence adjustment not applied (points recorded as a total, not by indicator)"
                .to_string(),
        );
        return (rate * figure.value * multiplier, words);
    }
    let mut parts = Vec::new();
    let mut total = Decimal::ZERO;
    for i in &inputs.iif_indicators {
        let prevalence = match i.prevalence {
            Some((pcn, national)) if national > Decimal::ZERO => pcn / national,
            _ => Decimal::ONE,
        };
        total += i.points * rate * multiplier * prevalence;
        let name = i.indicator.as_deref().unwrap_or("total");
        parts.push(match i.prevalence {
            Some((pcn, national)) => format!(
                "{name}: {} points × prevalence adjustment {} ÷ {} = {}",
                i.points.normalize(),
                pcn.normalize(),
                national.normalize(),
                prevalence.round_dp(4).normalize()
            ),
            None => format!("{name}: {} points", i.points.normalize()),
        });
    }
    words.push_str(&format!(" [{}]", parts.join("; ")));
    (total, words)
}

/// The share of a stream paid on achievement that was earned (other than
/// IIF, whose points say what was achieved): the commissioner's assessment,
/// else the most available, marked. The fraction multiplies the exact amount
/// and the result is rounded once, so 2/3 of £41,250.00 is £27,500.00.
fn earned_share(
    line: &mut Line,
    stream: &Stream,
    component: &Component,
    inputs: &NetworkInputs,
    words: &mut String,
) -> Fraction {
    if stream.timing != Timing::OnAchievement || component.basis == Basis::IifPoints {
        return Fraction::ONE;
    }
    match inputs.assessments.iter().find(|(id, _)| id == &stream.id) {
        Some((_, earned)) => {
            words.push_str(&format!(" × {earned} earned (commissioner's assessment)"));
            *earned
        }
        None => {
            line.estimates
                .push("not yet assessed: the most the network can earn".to_string());
            Fraction::ONE
        }
    }
}

/// The months a line covers and those it is paid for: `(index in the year, first day)`.
struct Months {
    covered: Vec<(usize, NaiveDate)>,
    paid: Vec<(usize, NaiveDate)>,
}

/// Splits the full amount into instalments, keeps those of the months paid,
/// and sets the line's amount, status and schedule.
fn schedule_line(
    line: &mut Line,
    stream: &Stream,
    component: &Component,
    year: FinancialYear,
    months: &Months,
    full: Pence,
) {
    let instalments = if component.unit.is_annual() {
        split_evenly(full, 12)
    } else {
        split_evenly(full, months.covered.len())
    };
    let paid_amounts: Vec<(NaiveDate, Pence)> = months
        .covered
        .iter()
        .enumerate()
        .filter(|(_, c)| months.paid.contains(c))
        .map(|(pos, (idx, m))| {
            let i = if component.unit.is_annual() {
                *idx
            } else {
                pos
            };
            (*m, instalments[i])
        })
        .collect();
    line.amount = paid_amounts.iter().map(|(_, p)| *p).sum();
    line.status = match stream.timing {
        Timing::OnClaim => LineStatus::Maximum,
        Timing::OnAchievement => LineStatus::OnAchievement,
        _ => LineStatus::Scheduled,
    };
    if line.status == LineStatus::Scheduled {
        line.schedule = paid_amounts
            .iter()
            .map(|(m, p)| Instalment {
                month: *m,
                pay_date: pay_date(stream.timing, *m, year),
                amount: *p,
            })
            .collect();
        if stream.timing == Timing::Quarterly || stream.timing == Timing::AnnualLumpSum {
            line.schedule = merge_by_pay_date(&line.schedule);
        }
    }
}

/// The line's arithmetic in words.
fn working_text(
    line: &Line,
    component: &Component,
    rate: Decimal,
    figure: &Figure,
    adjustments: &str,
    months: &Months,
) -> String {
    let (paid, covered) = (&months.paid, &months.covered);
    let per_what = if component.unit.is_annual() {
        "a year"
    } else {
        "for the period"
    };
    let prorata = if component.unit.is_annual() && paid.len() != 12 {
        format!(
            "; {} of 12 months paid ({} to {})",
            paid.len(),
            fmt_month(paid.first().map(|p| p.1)),
            fmt_month(paid.last().map(|p| p.1))
        )
    } else if !component.unit.is_annual() && paid.len() != covered.len() {
        format!(
            "; {} of the period's {} months paid",
            paid.len(),
            covered.len()
        )
    } else {
        String::new()
    };
    format!(
        "£{rate} {} × {} {}{}{adjustments} = {} {per_what}{prorata}; this year {}",
        component.unit.words(),
        figure.value.normalize(),
        basis_words(component.basis),
        figure
            .as_at
            .map(|d| format!(" (as at {d})"))
            .unwrap_or_default(),
        line.full_amount,
        line.amount,
    )
}

#[allow(clippy::too_many_arguments)]
fn line_for(
    rules: &YearRules,
    previous: Option<&YearRules>,
    stream: &Stream,
    component: &Component,
    inputs: &NetworkInputs,
    bases: &Bases,
    missing: MissingInputs,
    months: &[NaiveDate],
    active: &dyn Fn(NaiveDate) -> bool,
) -> Result<Option<Line>, MissingInput> {
    // ARRS role maxima (per WTE) are reimbursement caps for staff claims,
    // not a payment to the network: they belong to the ARRS roster.
    if component.basis == Basis::Wte {
        return Ok(None);
    }
    let year = rules.financial_year;
    let mut line = new_line(year, stream, component);
    let refuse = |what: String| MissingInput {
        pcn: inputs.pcn.clone(),
        stream: format!(
            "{} ({})",
            stream.name,
            line_rule_id(year, stream, component)
        ),
        what,
    };
    let Some(rate) =
        line_rate(&mut line, year, previous, stream, component, missing).map_err(refuse)?
    else {
        return Ok(Some(line));
    };
    let figure = match basis_of(component, inputs, bases, missing) {
        Ok(f) => f,
        Err(what) => {
            // Beds and points cannot be estimated: refuse, or show the line as not computed.
            if missing == MissingInputs::Refuse {
                let what = what.strip_prefix("the ").unwrap_or(&what);
                return Err(refuse(format!("the {what} is not recorded")));
            }
            line.status = LineStatus::NotComputed(format!("{what} not recorded"));
            return Ok(Some(line));
        }
    };
    record_figure(&mut line, component, &figure);

    // Which months are paid.
    let covered: Vec<(usize, NaiveDate)> = months
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, m)| stream.covers(*m))
        .collect();
    let paid: Vec<(usize, NaiveDate)> = covered
        .iter()
        .copied()
        .filter(|(_, m)| active(*m))
        .collect();
    line.months_paid = paid.len();

    // Practice-paid streams: each member on its own figure.
    if stream.paid_to == PaidTo::Practice {
        return Ok(Some(
            practice_line(
                line, component, inputs, rate, missing, &covered, &paid, year,
            )
            .map_err(|what| refuse(format!("{what} is not recorded")))?,
        ));
    }
    let (pounds, mut adjustments) =
        network_pounds(&mut line, component, inputs, bases, rate, &figure);
    let earned = earned_share(&mut line, stream, component, inputs, &mut adjustments);
    let full = earned.of_pounds(pounds).unwrap_or(Pence::ZERO);
    line.full_amount = full;
    let months = Months { covered, paid };
    schedule_line(&mut line, stream, component, year, &months, full);
    line.working = working_text(&line, component, rate, &figure, &adjustments, &months);
    Ok(Some(line))
}

/// A line's rule id: `2025-26/core-pcn-funding/registered`.
fn line_rule_id(year: FinancialYear, stream: &Stream, component: &Component) -> String {
    format!("{}/{}/{}", year, stream.id, component.id)
}

fn fmt_month(month: Option<NaiveDate>) -> String {
    month
        .map(|m| m.format("%b %Y").to_string())
        .unwrap_or_default()
}

fn merge_by_pay_date(instalments: &[Instalment]) -> Vec<Instalment> {
    let mut merged: Vec<Instalment> = Vec::new();
    for i in instalments {
        match merged.last_mut() {
            Some(last) if last.pay_date == i.pay_date => last.amount += i.amount,
            _ => merged.push(*i),
        }
    }
    merged
}

#[allow(clippy::too_many_arguments)]
fn practice_line(
    mut line: Line,
    component: &Component,
    inputs: &NetworkInputs,
    rate: Decimal,
    missing: MissingInputs,
    covered: &[(usize, NaiveDate)],
    paid: &[(usize, NaiveDate)],
    year: FinancialYear,
) -> Result<Line, String> {
    let mut monthly_total: Vec<Pence> = vec![Pence::ZERO; 12];
    let mut full_total = Pence::ZERO;
    let mut basis_total = Decimal::ZERO;
    let mut estimated = false;
    let mut unpaid = Vec::new();
    for member in &inputs.members {
        let figure = match component.basis {
            Basis::WeightedPopulation => member_weighted(member, missing),
            Basis::RegisteredList => member.registered.clone(),
            _ => {
                return Err(format!(
                    "a {} basis for a practice payment",
                    component.basis
                ))
            }
        };
        let Some(figure) = figure else {
            if missing == MissingInputs::Refuse {
                return Err(format!(
                    "the {} of member {}",
                    basis_words(component.basis),
                    member.code
                ));
            }
            unpaid.push(member.code.to_string());
            line.to_practices.push((member.code.clone(), Pence::ZERO));
            line.practice_months.push((member.code.clone(), 0));
            continue;
        };
        if figure.estimate.is_some() {
            estimated = true;
        }
        basis_total += figure.value;
        let full = Pence::from_pounds(rate * figure.value).unwrap_or(Pence::ZERO);
        full_total += full;
        let instalments = if component.unit.is_annual() {
            split_evenly(full, 12)
        } else {
            split_evenly(full, covered.len())
        };
        let mut member_amount = Pence::ZERO;
        let mut member_months = 0u32;
        for (pos, (idx, month)) in covered.iter().enumerate() {
            // Paid while the stream, the network and this practice's membership all run.
            if paid.iter().any(|(i, _)| i == idx) && member.is_member_in(*month) {
                let amount = if component.unit.is_annual() {
                    instalments[*idx]
                } else {
                    instalments[pos]
                };
                monthly_total[*idx] += amount;
                member_amount += amount;
                member_months += 1;
            }
        }
        line.to_practices.push((member.code.clone(), member_amount));
        line.practice_months
            .push((member.code.clone(), member_months));
    }
    if !unpaid.is_empty() {
        line.estimates.push(format!(
            "no figure recorded for members {}: not paid here",
            unpaid.join(", ")
        ));
    }
    // The network-level figure's estimate (pushed before) already says how
    // weighted populations were estimated; say it here only if it did not.
    if estimated && line.estimates.is_empty() {
        line.estimates.push("contractor weighted population estimated as the registered list for members without a published figure (national ratio 1.000)".to_string());
    }
    line.basis_value = Some(basis_total);
    line.full_amount = full_total;
    line.amount = line.to_practices.iter().map(|(_, p)| *p).sum();
    line.schedule = paid
        .iter()
        .map(|(idx, m)| Instalment {
            month: *m,
            pay_date: pay_date(line.timing, *m, year),
            amount: monthly_total[*idx],
        })
        .collect();
    line.working = format!(
        "£{rate} {} × each member's {} (total {}), rounded per practice = {} a year; this year {} to {} practices",
        component.unit.words(),
        basis_words(component.basis),
        line.basis_value.map(|v| v.normalize().to_string()).unwrap_or_default(),
        full_total,
        line.amount,
        inputs.members.len()
    );
    Ok(line)
}

fn basis_words(basis: Basis) -> &'static str {
    match basis {
        Basis::RegisteredList => "registered patients",
        Basis::AdjustedPopulation => "adjusted population",
        Basis::WeightedPopulation => "weighted patients",
        Basis::CareHomeBeds => "care-home beds",
        Basis::IifPoints => "points",
        Basis::Wte => "WTE",
        Basis::Network => "network",
    }
}

/// How a network divides the money paid to it among its member practices,
/// as its network agreement sets it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Distribution {
    ByRegisteredList,
    ByWeightedList,
    Equal,
    /// Shares in basis points (1/100 of a per cent) that add up to 10,000.
    Percentages(Vec<(PracticeCode, u64)>),
    /// A fixed amount a year for each member; what is left after the
    /// top-slice stays with the network (added to the top-slice).
    Fixed(Vec<(PracticeCode, Pence)>),
}

impl Distribution {
    /// The method's name, as `pcn network distribution --method` takes it.
    pub fn method_name(&self) -> &'static str {
        match self {
            Distribution::ByRegisteredList => "registered-list",
            Distribution::ByWeightedList => "weighted-list",
            Distribution::Equal => "equal",
            Distribution::Percentages(_) => "percentages",
            Distribution::Fixed(_) => "fixed",
        }
    }

    /// Parses a method and, for `percentages`, shares written
    /// `A81001=40;A81002=60` (per cent, up to two decimal places, adding up
    /// to 100).
    pub fn parse(
        method: &str,
        shares: Option<&str>,
    ) -> Result<Distribution, DistributionParseError> {
        use DistributionParseError as E;
        let shares = shares.map(str::trim).filter(|s| !s.is_empty());
        let plain = |d: Distribution| match shares {
            Some(_) => Err(E::SharesNotForMethod(method.trim().to_string())),
            None => Ok(d),
        };
        match method.trim() {
            "registered-list" => plain(Distribution::ByRegisteredList),
            "weighted-list" => plain(Distribution::ByWeightedList),
            "equal" => plain(Distribution::Equal),
            "percentages" => parse_percentages(shares.ok_or(E::PercentagesNeeded)?),
            "fixed" => parse_fixed(shares.ok_or(E::AmountsNeeded)?),
            other => Err(E::UnknownMethod(other.to_string())),
        }
    }
}

/// Why a distribution method or its shares were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DistributionParseError {
    #[error("shares are only for the percentages method, not {0}")]
    SharesNotForMethod(String),
    #[error("the percentages method needs shares, such as A81001=40;A81002=60")]
    PercentagesNeeded,
    #[error("the fixed method needs amounts in pounds, such as A81001=12000;A81002=9500.50")]
    AmountsNeeded,
    #[error(
        "{0:?} is not a method; use registered-list, weighted-list, equal, percentages or fixed"
    )]
    UnknownMethod(String),
    #[error("{0:?} is not PRACTICE=VALUE")]
    NotAPair(String),
    #[error(transparent)]
    Practice(#[from] crate::codes::CodeError),
    #[error("{0:?} is not a percentage")]
    NotAPercentage(String),
    #[error("{0}% for {1}: use a percentage with at most two decimal places")]
    PercentTooPrecise(Decimal, PracticeCode),
    #[error("{0} is given twice")]
    GivenTwice(PracticeCode),
    #[error("the shares add up to {0}%, not 100%")]
    NotWhole(Decimal),
    #[error("{0:?} is not an amount in pounds")]
    NotAnAmount(String),
    #[error("£{0} for {1}: use pounds with at most two decimal places")]
    AmountTooPrecise(Decimal, PracticeCode),
    #[error("{0} is too large")]
    TooLarge(String),
}

/// `A81001=40;A81002=60`: each part split into a practice and its value.
fn share_pairs(text: &str) -> Result<Vec<(PracticeCode, &str)>, DistributionParseError> {
    let mut pairs: Vec<(PracticeCode, &str)> = Vec::new();
    for part in text
        .split([';', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (code, value) = part
            .split_once('=')
            .ok_or_else(|| DistributionParseError::NotAPair(part.to_string()))?;
        let code = PracticeCode::parse(code)?;
        if pairs.iter().any(|(c, _)| c == &code) {
            return Err(DistributionParseError::GivenTwice(code));
        }
        pairs.push((code, value.trim()));
    }
    Ok(pairs)
}

/// Percentages with at most two decimal places, adding up to 100.
fn parse_percentages(text: &str) -> Result<Distribution, DistributionParseError> {
    use DistributionParseError as E;
    let mut parsed = Vec::new();
    for (code, percent) in share_pairs(text)? {
        let percent: Decimal = percent
            .parse()
            .map_err(|_| E::NotAPercentage(percent.to_string()))?;
        let basis_points = percent * Decimal::ONE_HUNDRED;
        if percent < Decimal::ZERO || basis_points.fract() != Decimal::ZERO {
            return Err(E::PercentTooPrecise(percent, code));
        }
        let basis_points: u64 = basis_points
            .try_into()
            .map_err(|_| E::TooLarge(format!("{percent}%")))?;
        parsed.push((code, basis_points));
    }
    let total: u64 = parsed.iter().map(|(_, bp)| bp).sum();
    if total != 10_000 {
        return Err(E::NotWhole(Decimal::new(total as i64, 2).normalize()));
    }
    Ok(Distribution::Percentages(parsed))
}

/// Amounts in pounds, to the penny.
fn parse_fixed(text: &str) -> Result<Distribution, DistributionParseError> {
    use DistributionParseError as E;
    let mut parsed = Vec::new();
    for (code, pounds) in share_pairs(text)? {
        let amount: Decimal = pounds
            .trim_start_matches('£')
            .parse()
            .map_err(|_| E::NotAnAmount(pounds.to_string()))?;
        if amount < Decimal::ZERO || amount.round_dp(2) != amount {
            return Err(E::AmountTooPrecise(amount, code));
        }
        let pence = Pence::from_pounds(amount).ok_or_else(|| E::TooLarge(format!("£{amount}")))?;
        parsed.push((code, pence));
    }
    Ok(Distribution::Fixed(parsed))
}

/// One practice's share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Share {
    pub practice: PracticeCode,
    pub weight: u64,
    pub amount: Pence,
}

/// The division of a network's scheduled payments among its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistributionResult {
    pub total: Pence,
    pub top_slice: Pence,
    pub distributed: Pence,
    pub shares: Vec<Share>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DistributionError {
    #[error("the percentages add up to {0} basis points, not 10,000")]
    PercentagesNotWhole(u64),
    #[error("{0} is not a member practice")]
    NotAMember(PracticeCode),
    #[error("member {0} has no share in the percentages")]
    MemberWithoutShare(PracticeCode),
    #[error("nothing to divide by: {0}")]
    NoWeights(String),
    #[error("the fixed amounts add up to {0}, more than the {1} to divide")]
    FixedTooLarge(Pence, Pence),
    #[error("the top-slice of {0} is more than the {1} to divide")]
    TopSliceTooLarge(Pence, Pence),
}

/// Divides `total` (after a top-slice kept for network costs) among the
/// members, exactly: the shares add up to the amount divided
/// ([`crate::money::apportion`]).
pub fn distribute(
    total: Pence,
    top_slice: Pence,
    members: &[MemberInputs],
    method: &Distribution,
) -> Result<DistributionResult, DistributionError> {
    if top_slice > total {
        return Err(DistributionError::TopSliceTooLarge(top_slice, total));
    }
    let to_share = total - top_slice;
    if let Distribution::Fixed(amounts) = method {
        for (code, _) in amounts {
            if !members.iter().any(|m| &m.code == code) {
                return Err(DistributionError::NotAMember(code.clone()));
            }
        }
        let shares: Vec<Share> = members
            .iter()
            .map(|m| {
                amounts
                    .iter()
                    .find(|(c, _)| c == &m.code)
                    .map(|(_, amount)| Share {
                        practice: m.code.clone(),
                        weight: 0,
                        amount: *amount,
                    })
                    .ok_or_else(|| DistributionError::MemberWithoutShare(m.code.clone()))
            })
            .collect::<Result<_, _>>()?;
        let fixed: Pence = shares.iter().map(|s| s.amount).sum();
        if fixed > to_share {
            return Err(DistributionError::FixedTooLarge(fixed, to_share));
        }
        return Ok(DistributionResult {
            total,
            top_slice: total - fixed,
            distributed: fixed,
            shares,
        });
    }
    let whole = |f: &Option<Figure>| {
        f.as_ref()
            .map(|f| f.value.round().try_into().unwrap_or(0u64))
            .unwrap_or(0)
    };
    let weights: Vec<u64> = match method {
        Distribution::ByRegisteredList => members.iter().map(|m| whole(&m.registered)).collect(),
        Distribution::ByWeightedList => members.iter().map(|m| whole(&m.weighted)).collect(),
        Distribution::Equal => vec![1; members.len()],
        // Handled above: fixed amounts are not shares by weight.
        Distribution::Fixed(_) => Vec::new(),
        Distribution::Percentages(shares) => {
            let sum: u64 = shares.iter().map(|(_, bp)| bp).sum();
            if sum != 10_000 {
                return Err(DistributionError::PercentagesNotWhole(sum));
            }
            for (code, _) in shares {
                if !members.iter().any(|m| &m.code == code) {
                    return Err(DistributionError::NotAMember(code.clone()));
                }
            }
            members
                .iter()
                .map(|m| {
                    shares
                        .iter()
                        .find(|(c, _)| c == &m.code)
                        .map(|(_, bp)| *bp)
                        .ok_or_else(|| DistributionError::MemberWithoutShare(m.code.clone()))
                })
                .collect::<Result<_, _>>()?
        }
    };
    let amounts = crate::money::apportion(to_share, &weights).ok_or_else(|| {
        DistributionError::NoWeights(format!("{method:?} gives every member a weight of zero"))
    })?;
    Ok(DistributionResult {
        total,
        top_slice,
        distributed: to_share,
        shares: members
            .iter()
            .zip(weights)
            .zip(amounts)
            .map(|((m, weight), amount)| Share {
                practice: m.code.clone(),
                weight,
                amount,
            })
            .collect(),
    })
}

/// One network's part of a payment run: its statement and, where the
/// network's agreement sets one, how its money is divided among members.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkPay {
    pub statement: Statement,
    /// Member practices with their names, in the statement's order.
    pub members: Vec<MemberInputs>,
    pub distribution_method: Option<Distribution>,
    pub distribution: Option<DistributionResult>,
    /// Why the network's recorded agreement could not divide its money this
    /// year (a member with no share after a change of membership, say); the
    /// rest of the run stands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution_problem: Option<String>,
    /// The conditions the DES puts on the network's payments that the
    /// registry does not show met: its money is computed but at risk
    /// (withheld) until they are.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub at_risk: Vec<AtRisk>,
}

/// A condition of payment not shown met: the DES pays a network only
/// through its nominated payee (a member practice) and only once its
/// network agreement is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AtRisk {
    /// The network check that tests the same condition (`pcn check`).
    pub rule: &'static str,
    /// What is missing, in words.
    pub why: String,
    /// Where the DES makes payment depend on it.
    pub source: &'static str,
}

/// A payment run: every selected network for one financial year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PayRun {
    pub financial_year: FinancialYear,
    /// The date membership is taken as at (the first day of the year).
    pub membership_as_at: NaiveDate,
    /// Whether missing inputs were refused (`--strict`) or estimated.
    pub missing: MissingInputs,
    /// Shared, so a run with one network worked out again
    /// ([`crate::payrun::YearContext::network_pay`]) copies no other.
    pub networks: Vec<std::sync::Arc<NetworkPay>>,
}

/// A stream's national (or commissioner) total across a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamTotal {
    pub stream_id: StreamId,
    pub stream_name: String,
    pub paid_to: PaidTo,
    pub amount: Pence,
    /// Networks whose line for the stream was computed.
    pub networks: usize,
    /// Networks whose line rests on an estimate.
    pub estimated: usize,
    /// Networks whose line could not be computed.
    pub not_computed: usize,
}

impl PayRun {
    /// The network's pay in the run, if the run has it.
    pub fn network(&self, pcn: &PcnCode) -> Option<&NetworkPay> {
        self.networks
            .iter()
            .find(|n| &n.statement.pcn == pcn)
            .map(|n| &**n)
    }

    /// Totals per stream, in rulebook order of first appearance.
    pub fn stream_totals(&self) -> Vec<StreamTotal> {
        let mut totals: Vec<StreamTotal> = Vec::new();
        for network in &self.networks {
            // A stream with two components (core funding) counts once per network.
            let mut seen: Vec<&str> = Vec::new();
            for line in &network.statement.lines {
                let position = match totals.iter().position(|t| t.stream_id == line.stream_id) {
                    Some(p) => p,
                    None => {
                        totals.push(StreamTotal {
                            stream_id: line.stream_id.clone(),
                            stream_name: line.stream_name.clone(),
                            paid_to: line.paid_to,
                            amount: Pence::ZERO,
                            networks: 0,
                            estimated: 0,
                            not_computed: 0,
                        });
                        totals.len() - 1
                    }
                };
                let total = &mut totals[position];
                total.amount += line.amount;
                if !seen.contains(&line.stream_id.as_str()) {
                    seen.push(line.stream_id.as_str());
                    match line.status {
                        LineStatus::NotComputed(_) => total.not_computed += 1,
                        _ => total.networks += 1,
                    }
                    if line.is_estimated() && !matches!(line.status, LineStatus::NotComputed(_)) {
                        total.estimated += 1;
                    }
                }
            }
        }
        totals
    }
}
