//! A year's payment run assembled from the registry: which networks are paid,
//! with which members in which months, on which population figures, and how
//! each network's money is divided among its members.
//!
//! How the inputs are chosen (each is carried on the statement):
//! - **members**: each practice with registered patients at the start of the
//!   year, on the first day of every month, so a practice that joins or
//!   leaves part way is paid by month; network-level streams count the
//!   members of the network's first month in force (see [`crate::funding`]);
//! - **registered lists, weighted and adjusted populations**: each as at the
//!   year's DES population date (`population_date` in the rulebook, 1 January
//!   before the year so far): the figure of that date where held; else the
//!   straight line between the figures either side of it (each within a
//!   year); else the nearest held; both marked as estimates on every line
//!   they touch ([`figure_at`]). A weighted population not held at the
//!   date, where the registered list of the date is, is that list times the
//!   practice's weighted-to-registered ratio instead ([`weighted_at`]); a
//!   PCN adjusted population not held at the date, where every member of
//!   the network's first month has its list of the date, is the sum of those
//!   lists times each member's adjusted-to-registered ratio ([`adjusted_at`]). A
//!   missing one is estimated or refused by the funding engine as
//!   [`MissingInputs`] says;
//! - **care-home beds, IIF points**: the recorded figure nearest the year
//!   (see [`Registry::care_home_beds`], [`Registry::iif_points`]);
//! - **the national mean PCN list** (the IIF list-size adjustment): over every
//!   network with members on the membership date, whatever the selection;
//! - **distribution**: the method given for the run, else the network's
//!   recorded agreement for the year, applied after its top-slice.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::codes::{CommissionerCode, PcnCode, PracticeCode};
use crate::funding::{
    self, AtRisk, Distribution, DistributionError, Figure, IifIndicatorPoints, MemberInputs,
    MissingInput, MissingInputs, NetworkInputs, NetworkPay, PayRun, Statement,
};
use crate::money::{Fraction, Pence};
use crate::registry::{NetworkView, Registry, Snapshot};
use crate::rulebook::{FinancialYear, StreamId, YearRules};

/// Which networks a run covers.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub pcn: Option<PcnCode>,
    pub commissioner: Option<CommissionerCode>,
}

impl Selection {
    /// Every network.
    pub fn all() -> Selection {
        Selection::default()
    }

    /// One network.
    pub fn network(pcn: PcnCode) -> Selection {
        Selection {
            pcn: Some(pcn),
            commissioner: None,
        }
    }

    /// One commissioner's networks.
    pub fn commissioner(commissioner: CommissionerCode) -> Selection {
        Selection {
            pcn: None,
            commissioner: Some(commissioner),
        }
    }

    fn includes(&self, network: &NetworkView) -> bool {
        self.pcn.as_ref().is_none_or(|p| p == &network.code)
            && self
                .commissioner
                .as_ref()
                .is_none_or(|c| network.is_under(c))
    }
}

/// A network's recorded distribution agreement for a year: the method and the
/// percentage kept back for network costs first.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    pub method: Distribution,
    pub top_slice_percent: Decimal,
}

/// Each network's recorded distribution agreement for the year.
pub type Agreements = BTreeMap<PcnCode, Agreement>;

/// Commissioner assessments recorded for the year: per network, the stream
/// and the share of it earned.
pub type Assessments = BTreeMap<PcnCode, Vec<(StreamId, Fraction)>>;

/// Options of a run, apart from the selection.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub missing: MissingInputs,
    /// The date membership is taken as at (default: the year's first day).
    pub membership_as_at: Option<NaiveDate>,
    /// Divide every network's payments this way, overriding the recorded
    /// agreements (`pcn pay --distribute`).
    pub distribution: Option<Agreement>,
    pub agreements: Agreements,
    pub assessments: Assessments,
}

impl Default for RunOptions {
    /// Estimates missing inputs; the recorded nothing.
    fn default() -> RunOptions {
        RunOptions {
            missing: MissingInputs::Estimate,
            membership_as_at: None,
            distribution: None,
            agreements: Agreements::new(),
            assessments: Assessments::new(),
        }
    }
}

/// Why a run could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayRunError {
    /// `--strict`: an input the statement needs is missing.
    /// (The missing input is in the message, not a source, so it is said once.)
    #[error("refused (strict): {0}")]
    Refused(MissingInput),
    #[error("no network {pcn} with members on {date}")]
    NoSuchNetwork { pcn: PcnCode, date: NaiveDate },
}

impl From<MissingInput> for PayRunError {
    fn from(m: MissingInput) -> Self {
        PayRunError::Refused(m)
    }
}

/// The DES population date of a year when its rules name none: 1 January
/// before it starts (the date every PCN population has been taken as at so
/// far; the rulebook gives it per component, see [`YearRules::population_date`]).
pub fn population_date(year: FinancialYear) -> NaiveDate {
    // 1 January always exists.
    NaiveDate::from_ymd_opt(year.start_year(), 1, 1).unwrap_or(year.start())
}

/// The registered-list extract to use for a population date: the latest on
/// or before it, else the earliest after it.
pub fn list_extract_for(registry: &Registry, population_date: NaiveDate) -> Option<NaiveDate> {
    let extracts = registry.list_extracts();
    extracts
        .iter()
        .rev()
        .find(|d| **d <= population_date)
        .or_else(|| extracts.first())
        .copied()
}

/// How far either side of a date the two figures around it may be for the
/// straight line between them to stand for the figure of the date.
pub const INTERPOLATION_SPAN_DAYS: i64 = 366;

/// The figure of `date` from a dated series (ascending; of two figures of
/// one date, the later wins, as a later import does):
/// - the figure of the date itself, exact;
/// - else, when there are figures before and after it, each at most
///   [`INTERPOLATION_SPAN_DAYS`] away, the straight line between them at the
///   date (two places), marked as an estimate;
/// - else the latest before it, or the earliest after it, marked as an
///   estimate with its own date.
///
/// `what` names the figures in the estimate's words (`registered lists`).
/// The words name dates, never values, so a network's members share them.
pub fn figure_at(series: &[(NaiveDate, Decimal)], date: NaiveDate, what: &str) -> Option<Figure> {
    let upto = series.partition_point(|(d, _)| *d <= date);
    let before = upto.checked_sub(1).and_then(|i| series.get(i)).copied();
    if let Some((d, v)) = before.filter(|(d, _)| *d == date) {
        return Some(Figure::exact(v, Some(d)));
    }
    let after = series.get(upto).map(|(first, _)| {
        let end = upto + series[upto..].partition_point(|(d, _)| d == first);
        series[end - 1]
    });
    let within = |a: NaiveDate, b: NaiveDate| (b - a).num_days() <= INTERPOLATION_SPAN_DAYS;
    let estimate = |value: Decimal, as_at: NaiveDate, how: String| Figure {
        value,
        as_at: Some(as_at),
        estimate: Some(how),
    };
    match (before, after) {
        (Some((d0, v0)), Some((d1, v1))) if within(d0, date) && within(date, d1) => {
            let part = Decimal::from((date - d0).num_days()) / Decimal::from((d1 - d0).num_days());
            Some(estimate(
                (v0 + (v1 - v0) * part).round_dp(2),
                date,
                format!(
                    "{what} as at {date} estimated on the straight line between those of {d0} and {d1} (none of {date} is held)"
                ),
            ))
        }
        (Some((d0, v0)), _) => Some(estimate(
            v0,
            d0,
            format!("{what} as at {date} not held: the nearest earlier, of {d0}, is used"),
        )),
        (None, Some((d1, v1))) => Some(estimate(
            v1,
            d1,
            format!("{what} as at {date} not held: the nearest later, of {d1}, is used"),
        )),
        (None, None) => None,
    }
}

/// The national mean PCN registered list: the mean over every network with
/// members in `membership` of its members' lists (`lists`, by practice).
pub fn national_mean_list(
    membership: &Snapshot,
    lists: &HashMap<PracticeCode, Option<Figure>>,
) -> Option<Decimal> {
    let network_lists: Vec<Decimal> = membership
        .networks_with_members()
        .map(|n| members_list(n, lists))
        .collect();
    (!network_lists.is_empty())
        .then(|| network_lists.iter().sum::<Decimal>() / Decimal::from(network_lists.len() as u64))
}

/// The sum of a network's members' lists (`lists`, by practice).
fn members_list(network: &NetworkView, lists: &HashMap<PracticeCode, Option<Figure>>) -> Decimal {
    network
        .members
        .iter()
        .filter_map(|c| lists.get(c).and_then(Option::as_ref).map(|f| f.value))
        .sum()
}

/// Who is a member of which network on the first day of each month of the
/// year, for the practices in `membership` (those with registered patients at
/// its date).
pub fn members_by_month(
    registry: &Registry,
    membership: &Snapshot,
    year: FinancialYear,
) -> BTreeMap<PcnCode, BTreeMap<PracticeCode, Vec<NaiveDate>>> {
    let months = funding::months_of(year);
    let mut months_in: BTreeMap<PcnCode, BTreeMap<PracticeCode, Vec<NaiveDate>>> = BTreeMap::new();
    for code in membership.practices.keys() {
        for month in &months {
            for pcn in registry.networks_of(code, *month) {
                months_in
                    .entry(pcn)
                    .or_default()
                    .entry(code.clone())
                    .or_default()
                    .push(*month);
            }
        }
    }
    months_in
}

/// What a year's run reads: membership on its date, and every member's
/// registered list as at the population date ([`figure_at`]).
#[derive(Clone)]
struct YearView {
    year: FinancialYear,
    membership_date: NaiveDate,
    population_date: NaiveDate,
    membership: Snapshot,
    /// Shared: a membership change keeps every practice's list.
    lists: Arc<HashMap<PracticeCode, Option<Figure>>>,
    national_mean_list: Option<Decimal>,
}

impl YearView {
    fn new(registry: &Registry, rules: &YearRules, membership_as_at: Option<NaiveDate>) -> Self {
        let year = rules.financial_year;
        let membership_date = membership_as_at.unwrap_or_else(|| year.start());
        let membership = registry.at(membership_date);
        let population_date = rules
            .population_date()
            .unwrap_or_else(|| population_date(year));
        let lists: HashMap<PracticeCode, Option<Figure>> = membership
            .practices
            .keys()
            .map(|code| {
                let series = registry.list_sizes_of(code);
                (
                    code.clone(),
                    figure_at(&series, population_date, "registered lists"),
                )
            })
            .collect();
        let national_mean_list = national_mean_list(&membership, &lists);
        YearView {
            year,
            membership_date,
            population_date,
            membership,
            lists: Arc::new(lists),
            national_mean_list,
        }
    }

    fn member(&self, registry: &Registry, code: &PracticeCode) -> MemberInputs {
        let registered = match self.lists.get(code) {
            Some(figure) => figure.clone(),
            None => figure_at(
                &registry.list_sizes_of(code),
                self.population_date,
                "registered lists",
            ),
        };
        MemberInputs {
            code: code.clone(),
            name: self
                .membership
                .practices
                .get(code)
                .and_then(|p| p.name.clone()),
            weighted: weighted_at(
                registry.weighted_populations_of(code),
                &registry.list_sizes_of(code),
                registered.as_ref(),
                self.population_date,
            ),
            registered,
            membership_months: None,
        }
    }
}

/// A practice's contractor weighted population as at `date`: the figure of
/// the date where held. Where it is not, but the registered list of the
/// date is (`registered`, exact), the list times the practice's
/// weighted-to-registered ratio where both are held on one date (the latest
/// such date on or before `date`, else the earliest after): the weighting
/// (age, sex, need, rurality) moves far more slowly than the list itself,
/// so the ratio carries to the date better than a straight line between
/// weighted figures a year apart. Else as [`figure_at`] says. An estimate
/// either way, and said so.
pub fn weighted_at(
    weighted: &[(NaiveDate, Decimal)],
    registered_series: &[(NaiveDate, Decimal)],
    registered: Option<&Figure>,
    date: NaiveDate,
) -> Option<Figure> {
    const WHAT: &str = "contractor weighted populations";
    let line = figure_at(weighted, date, WHAT);
    if line.as_ref().is_none_or(|f| f.estimate.is_none()) {
        return line;
    }
    let Some(list) = registered.filter(|r| r.estimate.is_none() && r.as_at == Some(date)) else {
        return line;
    };
    let Some((d, w, r)) = ratio_pair(weighted, registered_series, date) else {
        return line;
    };
    Some(Figure {
        value: (list.value * w / r).round_dp(2),
        as_at: Some(date),
        estimate: Some(format!(
            "{WHAT} as at {date} estimated from the registered list of {date} and the practice's \
             weighted-to-registered ratio of {d} (none of {date} is held)"
        )),
    })
}

/// A figure and the registered list of one date (the later fact of a date
/// winning), the latest such date on or before `date`, else the earliest
/// after: the date, the figure and the list (never zero).
fn ratio_pair(
    series: &[(NaiveDate, Decimal)],
    registered_series: &[(NaiveDate, Decimal)],
    date: NaiveDate,
) -> Option<(NaiveDate, Decimal, Decimal)> {
    let pairs: Vec<(NaiveDate, Decimal, Decimal)> = series
        .iter()
        .enumerate()
        .filter(|(i, (d, _))| series.get(i + 1).is_none_or(|(next, _)| next != d))
        .filter_map(|(_, (d, w))| {
            let r = registered_series.iter().rev().find(|(rd, _)| rd == d)?.1;
            (r > Decimal::ZERO).then_some((*d, *w, r))
        })
        .collect();
    let upto = pairs.partition_point(|(d, _, _)| *d <= date);
    upto.checked_sub(1)
        .and_then(|i| pairs.get(i))
        .or_else(|| pairs.get(upto))
        .copied()
}

/// A network's PCN adjusted population as at `date`: the network's figure of
/// the date where held. Where it is not, but every member of the network's
/// first month (`members`) has its registered list of the date, the sum over
/// them of that list times the member's adjusted-to-registered ratio where
/// both are held on one date (NHS England's adjusted populations files give
/// each practice's share with its raw list; the latest such date on or
/// before `date`, else the earliest after), as [`weighted_at`] does for the
/// weighted population: the adjustment moves far more slowly than the list,
/// and the network's own figure of a later year is of a later list (and of
/// that year's members). Else as [`figure_at`] says. An estimate either way.
pub fn adjusted_at(
    registry: &Registry,
    pcn: &PcnCode,
    members: &[&MemberInputs],
    date: NaiveDate,
) -> Option<Figure> {
    const WHAT: &str = "the PCN adjusted population";
    let network = figure_at(registry.adjusted_populations_of(pcn), date, WHAT);
    if network.as_ref().is_none_or(|f| f.estimate.is_none()) || members.is_empty() {
        return network;
    }
    let mut total = Decimal::ZERO;
    let mut ratio_dates: Vec<NaiveDate> = Vec::new();
    for m in members {
        let Some(list) = m
            .registered
            .as_ref()
            .filter(|r| r.estimate.is_none() && r.as_at == Some(date))
        else {
            return network;
        };
        let Some((d, a, r)) = ratio_pair(
            registry.practice_adjusted_populations_of(&m.code),
            &registry.list_sizes_of(&m.code),
            date,
        ) else {
            return network;
        };
        total += list.value * a / r;
        if !ratio_dates.contains(&d) {
            ratio_dates.push(d);
        }
    }
    ratio_dates.sort();
    let dates = ratio_dates
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    Some(Figure {
        value: total.round_dp(2),
        as_at: Some(date),
        estimate: Some(format!(
            "{WHAT} as at {date} estimated as the sum of the members' registered lists of {date} \
             times each member's adjusted-to-registered ratio of {dates} (none of {date} is held)"
        )),
    })
}

/// Beds in the network's aligned homes at the year's start, once any home has
/// been aligned anywhere (before that the input is unknown, not zero).
fn care_home_beds(registry: &Registry, pcn: &PcnCode, year: FinancialYear) -> Option<Figure> {
    if !registry.has_care_home_alignments() {
        return None;
    }
    let beds = registry.care_home_beds(pcn, year.start());
    Some(Figure {
        value: Decimal::from(beds.beds),
        as_at: beds.as_at,
        estimate: (!beds.without_cqc_record.is_empty()).then(|| {
            format!(
                "beds unknown for aligned homes with no CQC record: {}",
                beds.without_cqc_record.join(", ")
            )
        }),
    })
}

/// IIF points by indicator: a breakdown by indicator replaces the total; a
/// lone total stays in `iif_points`.
fn iif_indicators(
    registry: &Registry,
    pcn: &PcnCode,
    year: FinancialYear,
) -> Vec<IifIndicatorPoints> {
    let detail = registry.iif_points_detail(pcn, year);
    if !detail.iter().any(|f| f.indicator.is_some()) {
        return Vec::new();
    }
    detail
        .iter()
        .map(|f| IifIndicatorPoints {
            indicator: f.indicator.clone(),
            points: f.points,
            prevalence: f.pcn_prevalence.zip(f.national_prevalence),
        })
        .collect()
}

/// Everything the funding engine needs about one network for the year.
fn network_inputs(
    registry: &Registry,
    view: &YearView,
    view_network: &NetworkView,
    members: Vec<MemberInputs>,
    first_month: NaiveDate,
    assessments: Vec<(StreamId, Fraction)>,
) -> NetworkInputs {
    let (year, population_date) = (view.year, view.population_date);
    let code = &view_network.code;
    NetworkInputs {
        pcn: code.clone(),
        name: view_network.name.clone(),
        commissioner: view_network.commissioner.clone(),
        payee: view_network.governance.nominated_payee.clone(),
        // A network is paid from the month its first members join, not from
        // ODS's open date: ODS recorded every network of July 2019 as opened
        // on 1 October 2019 (when it first held networks), while the
        // payments files show their practices paid as members from April
        // 2019. Where ODS's date is the true one, the members' relationships
        // start with it, so the first month with members is the same.
        open_date: (first_month > year.start()).then_some(first_month),
        close_date: view_network.close_date.filter(|d| *d <= year.end()),
        adjusted: adjusted_at(
            registry,
            code,
            &members
                .iter()
                .filter(|m| m.is_member_in(first_month))
                .collect::<Vec<_>>(),
            population_date,
        ),
        members,
        care_home_beds: care_home_beds(registry, code, year),
        iif_points: registry
            .iif_points(code, year)
            .map(|(as_at, points)| Figure::exact(points, Some(as_at))),
        iif_indicators: iif_indicators(registry, code, year),
        national_mean_list: view.national_mean_list,
        assessments,
    }
}

/// Divides a statement's scheduled payments to the network by an agreement.
pub fn apply_agreement(
    statement: &Statement,
    members: &[MemberInputs],
    agreement: &Agreement,
) -> Result<funding::DistributionResult, DistributionError> {
    let total = statement.totals.scheduled_to_network;
    let top_slice =
        Pence::from_pounds(total.to_pounds() * agreement.top_slice_percent / Decimal::ONE_HUNDRED)
            .unwrap_or(Pence::ZERO);
    funding::distribute(total, top_slice, members, &agreement.method)
}

/// Builds the payment run for `rules`' year from the registry: a statement
/// for every selected network with members in the year, and its distribution
/// where one is given or recorded.
pub fn build(
    registry: &Registry,
    rules: &YearRules,
    previous: Option<&YearRules>,
    selection: &Selection,
    options: &RunOptions,
) -> Result<PayRun, PayRunError> {
    let context = YearContext::new(registry, rules, options.membership_as_at);
    build_in(&context, registry, rules, previous, selection, options)
}

/// A year's payment run for the selection, in a context made by
/// [`YearContext::new`] from the same registry's membership.
pub fn build_in(
    context: &YearContext,
    registry: &Registry,
    rules: &YearRules,
    previous: Option<&YearRules>,
    selection: &Selection,
    options: &RunOptions,
) -> Result<PayRun, PayRunError> {
    let view = &context.view;
    let mut networks = Vec::new();
    for pcn in context.members.keys() {
        let Some(network) = context.view_of(pcn) else {
            continue;
        };
        if !selection.includes(network) {
            continue;
        }
        if let Some(pay) = context.network_pay(registry, rules, previous, pcn, options)? {
            networks.push(std::sync::Arc::new(pay));
        }
    }
    if let Some(pcn) = &selection.pcn {
        if networks.is_empty() {
            return Err(PayRunError::NoSuchNetwork {
                pcn: pcn.clone(),
                date: view.membership_date,
            });
        }
    }
    Ok(PayRun {
        financial_year: view.year,
        membership_as_at: view.membership_date,
        missing: options.missing,
        networks,
    })
}

/// What a year's run reads from the whole registry: membership on the
/// membership date and month by month, every member's registered list at the
/// population date and the national mean PCN list. Kept, it lets one
/// network be worked out again after a change to its governance, its
/// distribution agreement or an assessment ([`YearContext::network_pay`]),
/// which change none of these; after a change of a practice's membership
/// the context itself is worked out again for that practice
/// ([`YearContext::with_membership_of`]).
#[derive(Clone)]
pub struct YearContext {
    view: YearView,
    /// Each network's members and the months each is a member in (each
    /// network's shared, so a membership change copies its networks alone).
    members: BTreeMap<PcnCode, Arc<BTreeMap<PracticeCode, Vec<NaiveDate>>>>,
    /// The registry as at the first month with members of each network
    /// that has none on the membership date (one whose members join part
    /// way): such a network is described as at that month.
    later: BTreeMap<NaiveDate, Snapshot>,
}

impl YearContext {
    pub fn new(
        registry: &Registry,
        rules: &YearRules,
        membership_as_at: Option<NaiveDate>,
    ) -> YearContext {
        let view = YearView::new(registry, rules, membership_as_at);
        let members: BTreeMap<_, _> = members_by_month(registry, &view.membership, view.year)
            .into_iter()
            .map(|(pcn, months)| (pcn, Arc::new(months)))
            .collect();
        let mut later = BTreeMap::new();
        for (pcn, member_months) in &members {
            let has_members = view
                .membership
                .networks
                .get(pcn)
                .is_some_and(|n| !n.members.is_empty());
            if !has_members {
                let first = first_month(member_months, view.year);
                later.entry(first).or_insert_with(|| registry.at(first));
            }
        }
        YearContext {
            view,
            members,
            later,
        }
    }

    /// This context after a change of `practice`'s membership evidence, which
    /// `registry` holds: its months in each network and the snapshots of
    /// membership worked out again for it alone, everything else shared.
    /// Returns the context and the networks whose pay the change can move
    /// (those the practice joined or left in some month, or on the
    /// membership date). `None` when it moves every network's (the national
    /// mean PCN list changed): the run is then worked out whole.
    pub fn with_membership_of(
        &self,
        registry: &Registry,
        practice: &PracticeCode,
    ) -> Option<(YearContext, BTreeSet<PcnCode>)> {
        let (membership, mut changed) = self.view.membership.with_membership_of(registry, practice);
        // The national mean list is unchanged when the networks changed on
        // the membership date hold the same patients between them, and as
        // many of them have members, as before.
        let held = |snapshot: &Snapshot| {
            changed
                .iter()
                .filter_map(|pcn| snapshot.networks.get(pcn))
                .filter(|n| !n.members.is_empty())
                .fold((Decimal::ZERO, 0usize), |(sum, count), n| {
                    (sum + members_list(n, &self.view.lists), count + 1)
                })
        };
        if held(&membership) != held(&self.view.membership) {
            return None;
        }
        let mut months_in: BTreeMap<PcnCode, Vec<NaiveDate>> = BTreeMap::new();
        // As `members_by_month`: the practices of the membership snapshot.
        if membership.practices.contains_key(practice) {
            for month in funding::months_of(self.view.year) {
                for pcn in registry.networks_of(practice, month) {
                    months_in.entry(pcn).or_default().push(month);
                }
            }
        }
        let mut members = self.members.clone();
        let was_in: Vec<PcnCode> = self
            .members
            .iter()
            .filter(|(_, m)| m.contains_key(practice))
            .map(|(pcn, _)| pcn.clone())
            .collect();
        for pcn in was_in.iter().chain(months_in.keys()) {
            let before = self.members.get(pcn).and_then(|m| m.get(practice));
            let after = months_in.get(pcn);
            if before == after {
                continue;
            }
            changed.insert(pcn.clone());
            let entry = members.entry(pcn.clone()).or_default();
            let network = Arc::make_mut(entry);
            match after {
                Some(months) => network.insert(practice.clone(), months.clone()),
                None => network.remove(practice),
            };
            if network.is_empty() {
                members.remove(pcn);
            }
        }
        let mut later: BTreeMap<NaiveDate, Snapshot> = self
            .later
            .iter()
            .map(|(date, snapshot)| (*date, snapshot.with_membership_of(registry, practice).0))
            .collect();
        for pcn in &changed {
            let has_members = membership
                .networks
                .get(pcn)
                .is_some_and(|n| !n.members.is_empty());
            if let (false, Some(member_months)) = (has_members, members.get(pcn)) {
                let first = first_month(member_months, self.view.year);
                later.entry(first).or_insert_with(|| registry.at(first));
            }
        }
        let view = YearView {
            membership,
            ..self.view.clone()
        };
        Some((
            YearContext {
                view,
                members,
                later,
            },
            changed,
        ))
    }

    /// The network as the run describes it: as at the membership date, or
    /// as at its first month with members when it has none then.
    fn view_of(&self, pcn: &PcnCode) -> Option<&NetworkView> {
        if let Some(n) = self
            .view
            .membership
            .networks
            .get(pcn)
            .filter(|n| !n.members.is_empty())
        {
            return Some(n);
        }
        let first = first_month(self.members.get(pcn)?, self.view.year);
        self.later.get(&first)?.networks.get(pcn).map(|n| &**n)
    }

    /// One network's pay in the year, its governance read from `registry`
    /// (the rest from the context); `None` for a network with no members in
    /// the year.
    pub fn network_pay(
        &self,
        registry: &Registry,
        rules: &YearRules,
        previous: Option<&YearRules>,
        pcn: &PcnCode,
        options: &RunOptions,
    ) -> Result<Option<NetworkPay>, PayRunError> {
        let view = &self.view;
        let (Some(member_months), Some(described)) = (self.members.get(pcn), self.view_of(pcn))
        else {
            return Ok(None);
        };
        let first_month = first_month(member_months, view.year);
        let mut network = described.clone();
        network.governance = registry.governance_at(pcn, self.described_at(pcn, first_month));
        let months = funding::months_of(view.year).len();
        let members: Vec<MemberInputs> = member_months
            .iter()
            .map(|(code, in_months)| MemberInputs {
                membership_months: (in_months.len() < months).then(|| in_months.clone()),
                ..view.member(registry, code)
            })
            .collect();
        let inputs = network_inputs(
            registry,
            view,
            &network,
            members,
            first_month,
            options.assessments.get(pcn).cloned().unwrap_or_default(),
        );
        let mut pay = network_pay(rules, previous, inputs, options)?;
        pay.at_risk = at_risk(&network, view.membership_date, view.year.end());
        Ok(Some(pay))
    }

    /// The date a network is described as at (see [`YearContext::view_of`]).
    fn described_at(&self, pcn: &PcnCode, first_month: NaiveDate) -> NaiveDate {
        let has_members = self
            .view
            .membership
            .networks
            .get(pcn)
            .is_some_and(|n| !n.members.is_empty());
        if has_members {
            self.view.membership_date
        } else {
            first_month
        }
    }
}

/// A network's first month with members in the year.
fn first_month(
    member_months: &BTreeMap<PracticeCode, Vec<NaiveDate>>,
    year: FinancialYear,
) -> NaiveDate {
    member_months
        .values()
        .flatten()
        .min()
        .copied()
        .unwrap_or(year.start())
}

/// One network's statement and the division of its money. An agreement that
/// cannot divide it (a member without a share after a change of membership)
/// leaves the money undivided and says why, rather than stopping the run.
fn network_pay(
    rules: &YearRules,
    previous: Option<&YearRules>,
    inputs: NetworkInputs,
    options: &RunOptions,
) -> Result<NetworkPay, PayRunError> {
    let statement = funding::statement_with_previous(rules, previous, &inputs, options.missing)?;
    let chosen = options
        .distribution
        .as_ref()
        .or_else(|| options.agreements.get(&inputs.pcn))
        .cloned();
    let (distribution, distribution_problem) = match &chosen {
        None => (None, None),
        Some(agreement) => match apply_agreement(&statement, &inputs.members, agreement) {
            Ok(d) => (Some(d), None),
            Err(e) => (
                None,
                Some(format!(
                    "the {} distribution cannot divide {}'s money this year: {e}",
                    agreement.method.method_name(),
                    inputs.pcn
                )),
            ),
        },
    };
    Ok(NetworkPay {
        statement,
        members: inputs.members,
        distribution_method: chosen.map(|a| a.method),
        distribution,
        distribution_problem,
        at_risk: Vec::new(),
    })
}

/// The conditions of payment the network's governance (as at `date`) does
/// not show met: a nominated payee that is a member, and a network agreement
/// signed by `year_end` ("failure to enter into the Network Agreement means
/// payments to PCNs will not be made"). The checks report the same facts
/// ([`crate::checks`]); here they qualify the money.
pub fn at_risk(network: &NetworkView, date: NaiveDate, year_end: NaiveDate) -> Vec<AtRisk> {
    use crate::checks::{NET_NO_AGREEMENT, NET_NO_PAYEE, NET_PAYEE_NOT_MEMBER};
    let g = &network.governance;
    let mut out = Vec::new();
    match &g.nominated_payee {
        None => out.push(AtRisk {
            rule: NET_NO_PAYEE.id,
            why: format!(
                "no nominated payee is recorded as at {date}: the DES pays a network only \
                 through the member practice it nominates"
            ),
            source: NET_NO_PAYEE.source,
        }),
        Some(payee) if !network.members.contains(payee) => out.push(AtRisk {
            rule: NET_PAYEE_NOT_MEMBER.id,
            why: format!("the nominated payee {payee} is not a member practice on {date}"),
            source: NET_PAYEE_NOT_MEMBER.source,
        }),
        Some(_) => {}
    }
    if g.network_agreement_signed.is_none_or(|d| d > year_end) {
        out.push(AtRisk {
            rule: NET_NO_AGREEMENT.id,
            why: format!(
                "no network agreement signed by {year_end} is recorded: without one the DES \
                 says payments will not be made"
            ),
            source: NET_NO_AGREEMENT.source,
        });
    }
    out
}

/// A statement's ARRS Sum: its `arrs` line, and `arrs-gp` where the year has
/// one (2024/25's ring-fenced GP money).
pub fn arrs_sum(statement: &Statement) -> Option<Pence> {
    let lines: Vec<_> = statement
        .lines
        .iter()
        .filter(|l| l.stream_id.is_arrs_sum())
        .collect();
    (!lines.is_empty()).then(|| lines.iter().map(|l| l.amount).sum())
}

/// Each network's ARRS Sum in a run.
pub fn arrs_sums(run: &PayRun) -> BTreeMap<PcnCode, Pence> {
    run.networks
        .iter()
        .filter_map(|n| arrs_sum(&n.statement).map(|sum| (n.statement.pcn.clone(), sum)))
        .collect()
}
