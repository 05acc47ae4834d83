//! Reconciliation: what the DES says a network is owed for a year (its
//! statement, [`crate::funding`]) against what it was actually paid, per
//! network and stream, with the difference, the months the payment amounts
//! to, and a cause.
//!
//! What was paid comes from one of two places:
//!
//! - **NHS Payments to General Practice** ([`PaymentActualFact`]s): one
//!   amount per practice per published column. Network-level streams are
//!   paid to one practice of the network (its payee), so they are added up
//!   by the network the file names for that practice; a payment to a practice
//!   the file names no network for is given to the network whose statement
//!   has it as payee, else to the only network it is a member of. Streams
//!   paid to practices (the Network Participation Payment) are added up over
//!   the network's member practices. The published columns do not match the
//!   rulebook's streams one to one (2020-21's `PCN Support` holds core
//!   funding and the PCN support payment), so amounts are compared per
//!   [`PublishedColumn`]: one or more columns against one or more streams,
//!   each mapping with its reason ([`PUBLISHED_COLUMNS`]). Some streams went
//!   through a column in some areas only (the clinical director's
//!   vaccination uplift, the 2020 support payment, the 2021/22 leadership
//!   and management money); these are the column's optional streams: an
//!   amount that matches in full with some of them counts as paid with them
//!   ([`Item::optional_included`]), and when nothing matches the nearest
//!   combination is the one compared.
//! - **A network's remittances** ([`Remittance`]): amounts per month and
//!   rulebook stream, compared per stream, month by month.
//!
//! ## Causes
//!
//! Each network's item gets the first cause that fits, in this order
//! ([`Cause`]); `tolerance` is [`ReconcileOptions::tolerance_percent`] of
//! the amount compared with:
//!
//! 1. owed unknown: the statement could not compute the line (no rate, no
//!    beds) but something was paid;
//! 2. paid but not owed: nothing owed, something paid;
//! 3. not paid: owed, nothing paid; when the payments file has no network
//!    stream for the network in any column, "not in the payments file"
//!    instead (its network payments were made outside the practice-level
//!    data);
//! 4. paid to a practice outside the network: part of the payment went to
//!    practices the statement does not have as members;
//! 5. paid in full: within tolerance of the amount owed;
//! 6. timing by practice: for a stream paid to practices, each member's
//!    payment is within tolerance of a whole number (at least one) of its own
//!    monthly amount owed, and some member's number is not its months owed
//!    (members of one network paid 11, 12 and 13 months of the Network
//!    Participation Payment, which no whole number of the network's months
//!    explains); the cause names each member's months, and the item counts as
//!    paid the full year only when every member was paid twelve. Where the
//!    network's own months (8) do not fit, it comes before population basis:
//!    it rests on every member's amount, not on one total that another figure
//!    may come near;
//! 7. population basis: within tolerance of the rate times another figure
//!    for the same basis (another list date, the weighted population …),
//!    given by the caller ([`ReconcileOptions::alternatives`], or
//!    [`alternatives`] from the registry). This explains a difference; it
//!    does not make the statement agree, so the difference measured stays
//!    the one against the statement's own figure;
//! 8. timing: within tolerance of a whole number of the monthly amounts owed,
//!    other than the months owed (arrears when fewer; catch-up or backdating
//!    when more, up to [`ReconcileOptions::catch_up_months`] more than the
//!    months owed or than twelve, whichever is more, so a network owed six
//!    months because its membership is recorded late but paid the year, as
//!    the DES backdated it, is timing);
//! 9. rate: none of these; the implied rate (paid ÷ basis, annualised) is
//!    shown where the item has one line with a basis figure.
//!
//! Then, over all the networks of a commissioner and a column of network
//! streams: paid through a pooled payee, when the networks paid more than
//! they were owed (rate, paid outside the network) and the networks paid
//! nothing (not paid, not in the payments file) are together paid within
//! tolerance of what they are together owed ([`pool`]; no subsets are
//! tried). A pool that does not agree is listed in
//! [`Reconciliation::pools`] and its items keep their causes.
//!
//! Last, local money: a network stream item still put down to rate and paid
//! more than owed, when at least three networks of its commissioner were in
//! the same column by about the same amount per weighted patient (within a
//! quarter of their median): the column holds money beyond the DES streams,
//! a local allocation or a national sum not in the rulebook ([`local`]).
//!
//! ## Summaries
//!
//! Per group of streams, nationally and per commissioner: networks owed,
//! paid, compared (both), within 1%, 2% and 5% before and after allowing for
//! timing (after: a timing item is measured against the months it amounts
//! to), and the median absolute difference; the same for the networks owed
//! the full year (every line of the item in force for twelve months). An
//! agreeing pool is one entry of the bands (its total paid against its total
//! owed), not one per network ([`GroupSummary::pools`]).
//!
//! Everything here is exact (pence and decimals) and pure.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::codes::{PcnCode, PracticeCode, SubIcbCode};
use crate::facts::PaymentActualFact;
use crate::funding::{Line, LineStatus, PayRun, Statement};
use crate::money::Pence;
use crate::rulebook::{Basis, FinancialYear, PaidTo};

mod inputs;
pub mod local;
pub mod pool;

/// What the tests of the reconciliation's passes build their networks from.
#[cfg(test)]
mod fixtures {
    use super::{percent, Attribution, Cause, Item, NetworkReconciliation, Recipient};
    use crate::money::Pence;

    /// A network of a commissioner, in the statement, with one item.
    pub(super) fn network(pcn: &str, commissioner: &str, item: Item) -> NetworkReconciliation {
        NetworkReconciliation {
            pcn: pcn.parse().unwrap(),
            name: None,
            commissioner: Some(commissioner.parse().unwrap()),
            in_statement: true,
            items: vec![item],
        }
    }

    /// An item of PCN Support (core funding), paid in full months, with its
    /// payee when one is named.
    pub(super) fn item(owed: i64, paid: i64, cause: Cause, payee: Option<&str>) -> Item {
        Item {
            group: "PCN Support".into(),
            streams: vec!["core-pcn-funding".into()],
            optional_included: Vec::new(),
            owed: Pence(owed),
            paid: Pence(paid),
            difference: Pence(paid - owed),
            difference_percent: percent(Pence(paid - owed), Pence(owed)),
            months_owed: 12,
            months_paid: None,
            full_year: true,
            cause,
            difference_after_timing: Pence(paid - owed),
            difference_after_timing_percent: percent(Pence(paid - owed), Pence(owed)),
            estimated: false,
            recipients: payee
                .map(|p| Recipient {
                    practice: p.parse().unwrap(),
                    amount: Pence(paid),
                    member: true,
                    attributed_by: Attribution::PcnColumn,
                })
                .into_iter()
                .collect(),
            months_with_payment: Vec::new(),
        }
    }
}

pub use crate::facts::Remittance;
pub use inputs::{actuals_for, alternatives};
pub use pool::{Pool, PoolPayee};

/// How the published columns of NHS Payments to General Practice map to
/// the rulebook's streams in a range of years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PublishedColumn {
    /// The columns, added together.
    pub columns: &'static [&'static str],
    /// The first financial year (its start year) the mapping holds for.
    pub first_year: i32,
    /// The last, inclusive; `None` for every later year.
    pub last_year: Option<i32>,
    /// The rulebook stream ids whose amounts the columns hold.
    pub streams: &'static [&'static str],
    /// Streams the columns hold in some areas and not in others (paid
    /// through another route there): an amount that matches with them
    /// counts as paid with them, and the item says so.
    pub optional: &'static [&'static str],
    /// Whether the amounts can be compared with the statement at all.
    pub compared: bool,
    /// Why the columns map to these streams, with the evidence.
    pub reason: &'static str,
}

impl PublishedColumn {
    /// Whether the mapping holds for a year.
    pub fn holds_in(&self, year: FinancialYear) -> bool {
        let y = year.start_year();
        self.first_year <= y && self.last_year.is_none_or(|l| y <= l)
    }

    /// The columns as one label, such as `PCN Leadership + PCN Support`.
    pub fn label(&self) -> String {
        self.columns.join(" + ")
    }
}

/// The published PCN columns and the streams they hold, year by year.
/// 2019-20 to 2021-22 are checked against the published files (national
/// figures in `rules/<year>.toml` notes); later years are inferred from the
/// column names and the rulebook, no file of theirs having been read.
pub const PUBLISHED_COLUMNS: &[PublishedColumn] = &[
    PublishedColumn {
        columns: &["PCN Participation"],
        first_year: 2019,
        last_year: None,
        streams: &["network-participation-payment"],
        optional: &[],
        compared: true,
        reason: "the Network Participation Payment is paid to each member practice; in 2019-20, \
                 2020-21 and 2021-22 practices were paid about £1.76 per weighted patient a year \
                 in this column",
    },
    PublishedColumn {
        columns: &["PCN Support"],
        first_year: 2020,
        last_year: Some(2020),
        streams: &["core-pcn-funding"],
        optional: &["pcn-support-payment"],
        compared: true,
        reason: "in 2020-21 networks were paid £1.50 per registered patient (core funding) plus \
                 about 27p per weighted patient (the April–September 2020 PCN support payment) \
                 in this one column: the networks' amounts cluster at £1.50 and £1.75–£1.80 per \
                 registered patient; about 80 networks were paid £1.50 only here (85% of the two), \
                 so the support payment is optional",
    },
    PublishedColumn {
        columns: &["PCN Support"],
        first_year: 2021,
        last_year: Some(2021),
        streams: &["core-pcn-funding"],
        optional: &["pcn-support-payment"],
        compared: true,
        reason: "in 2021-22 the column holds core funding: the commonest amount is exactly £1.50 \
                 per patient registered at 1 January 2021 (190 networks), with 11- and 13-month \
                 amounts (£1.375, £1.625) next; about 210 networks were also paid here the PCN \
                 support payment of NHS England's letter of 7 December 2021 (£62.4m of the \
                 suspended IIF, on weighted patients: about £1.03 each), others in the IIF \
                 column or not in this year's file, so it is optional",
    },
    PublishedColumn {
        columns: &["PCN Leadership"],
        first_year: 2020,
        last_year: Some(2020),
        streams: &["clinical-director"],
        optional: &["clinical-director-vaccination-uplift"],
        compared: true,
        reason: "in 2020-21 the column holds the clinical director payment (£0.722 per registered \
                 patient) and, for the networks paid it here, the January–March 2021 uplift for \
                 the COVID-19 vaccination programme (£1.27 per patient in all); the others were \
                 paid the uplift through another route, so it is optional",
    },
    PublishedColumn {
        columns: &["PCN Leadership"],
        first_year: 2021,
        last_year: Some(2021),
        streams: &["clinical-director"],
        optional: &[
            "pcn-leadership-management",
            "clinical-director-vaccination-uplift",
        ],
        compared: true,
        reason: "in 2021-22 most networks were paid about £1.45 per registered patient here: the \
                 clinical director's £0.736 and about £0.71 more, the £43m of PCN leadership and \
                 management funding, which CCGs allocated (some elsewhere: 36 networks were paid \
                 the clinical director alone here); some were also paid the April–June 2021 \
                 uplift here: both are optional",
    },
    PublishedColumn {
        columns: &["PCN Leadership"],
        first_year: 2022,
        last_year: Some(2023),
        streams: &["clinical-director"],
        optional: &["pcn-leadership-management"],
        compared: true,
        reason: "inferred from 2021-22 (no file of these years read): the clinical director \
                 payment, and the leadership and management payment where it was paid here; in \
                 2021-22 CCGs allocated that money and some paid it elsewhere, and NHS England's \
                 2023/24 figures still list it as an allocation to ICBs, so it is optional",
    },
    PublishedColumn {
        columns: &["PCN Support"],
        first_year: 2022,
        last_year: Some(2022),
        streams: &["core-pcn-funding"],
        optional: &["capacity-and-access-support"],
        compared: true,
        reason: "inferred from 2021-22 (no file of this year read): core funding, and the \
                 support payment paid monthly from October 2022 out of the retired IIF \
                 indicators where it was paid here; the IIF-funded support payment of 2021-22 \
                 went to this column for about 210 networks and to the IIF column for about \
                 175, so it is optional",
    },
    PublishedColumn {
        columns: &["PCN Support"],
        first_year: 2023,
        last_year: Some(2023),
        streams: &["core-pcn-funding"],
        optional: &[
            "capacity-and-access-support",
            "capacity-and-access-improvement",
        ],
        compared: true,
        reason: "inferred (no file of this year read): core funding, with the capacity and \
                 access support payment (monthly) and the improvement payment (paid after the \
                 ICB's assessment at the end of the year, by few ICBs within it) where they \
                 were paid here: both are optional",
    },
    PublishedColumn {
        columns: &["PCN Leadership", "PCN Support"],
        first_year: 2024,
        last_year: Some(2025),
        streams: &["core-pcn-funding", "capacity-and-access-support"],
        optional: &["capacity-and-access-improvement"],
        compared: true,
        reason: "inferred (no file of these years read): from 2024-25 the clinical director and \
                 leadership payments are part of core funding, so the two columns are compared \
                 together, with the capacity and access support payment; the improvement payment \
                 (paid after the ICB's assessment) where it was paid here is optional",
    },
    PublishedColumn {
        columns: &["PCN Leadership", "PCN Support"],
        first_year: 2026,
        last_year: None,
        streams: &["core-pcn-funding"],
        optional: &[],
        compared: true,
        reason: "inferred (no file of these years read): core funding, which holds the clinical \
                 director and leadership payments; the capacity and access payment left the DES \
                 in 2026-27 (its money went to practices through the Statement of Financial \
                 Entitlements)",
    },
    PublishedColumn {
        columns: &["PCN Extended Hours Access"],
        first_year: 2020,
        last_year: Some(2022),
        streams: &["extended-hours-access"],
        optional: &[],
        compared: true,
        reason: "network extended hours access; in 2021-22, 427 networks were paid exactly £1.44 \
                 per patient registered at 1 January 2021. The 2019-20 file has no network \
                 columns but `PCN Participation` (its 54 columns end with `Other Payments` and \
                 the totals), so 2019-20's network streams are not published per network",
    },
    PublishedColumn {
        columns: &["PCN Enhanced Access"],
        first_year: 2022,
        last_year: None,
        streams: &["enhanced-access"],
        optional: &[],
        compared: true,
        reason: "the enhanced access payment from October 2022 (column from the format notes, not \
                 checked against a real file)",
    },
    PublishedColumn {
        columns: &["PCN Care Home Premium"],
        first_year: 2020,
        last_year: None,
        streams: &["care-home-premium"],
        optional: &[],
        compared: true,
        reason: "the care home premium, per bed in the network's aligned care homes",
    },
    PublishedColumn {
        columns: &["PCN Workforce"],
        first_year: 2020,
        last_year: Some(2023),
        streams: &["arrs"],
        optional: &[],
        compared: false,
        reason: ARRS_CLAIMED,
    },
    PublishedColumn {
        columns: &["PCN Workforce"],
        first_year: 2024,
        last_year: Some(2024),
        // Recently qualified GPs were reimbursed from a ring-fenced sum.
        streams: &["arrs", "arrs-gp"],
        optional: &[],
        compared: false,
        reason: ARRS_CLAIMED,
    },
    PublishedColumn {
        columns: &["PCN Workforce"],
        first_year: 2025,
        last_year: None,
        streams: &["arrs"],
        optional: &[],
        compared: false,
        reason: ARRS_CLAIMED,
    },
    PublishedColumn {
        columns: &["PCN Investment and impact Fund"],
        first_year: 2020,
        last_year: None,
        streams: &["iif"],
        optional: &[],
        compared: false,
        reason: "IIF achievement is declared after the year ends and paid in a later year, so a \
                 year's column holds earlier years' achievement",
    },
];

/// Why the ARRS column is not compared.
const ARRS_CLAIMED: &str = "ARRS reimbursements are paid on claims for staff employed, up to the \
     network's ARRS sum: the statement gives the most that can be claimed, not an amount owed";

/// The mappings that hold for a year.
pub fn published_columns(year: FinancialYear) -> Vec<&'static PublishedColumn> {
    PUBLISHED_COLUMNS
        .iter()
        .filter(|c| c.holds_in(year))
        .collect()
}

/// Another figure for a basis, to test a difference against (cause
/// "population basis").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlternativeBasis {
    pub basis: Basis,
    /// What the figure is, such as `registered list at 2020-08-15`.
    pub label: String,
    pub value: Decimal,
}

/// How to reconcile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReconcileOptions {
    /// Differences within this percentage of the amount compared with are
    /// taken as equal (1 means 1%).
    pub tolerance_percent: Decimal,
    /// The most months of catch-up a timing difference may hold beyond the
    /// months owed (or beyond twelve, when fewer are owed).
    pub catch_up_months: u32,
    /// Other basis figures per network, for the population-basis cause.
    pub alternatives: BTreeMap<PcnCode, Vec<AlternativeBasis>>,
}

impl Default for ReconcileOptions {
    fn default() -> Self {
        ReconcileOptions {
            tolerance_percent: Decimal::ONE,
            catch_up_months: 3,
            alternatives: BTreeMap::new(),
        }
    }
}

/// Why an amount paid differs from the amount owed (or does not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum Cause {
    /// Within tolerance of the amount owed.
    PaidInFull,
    /// A whole number of monthly amounts other than the months owed.
    Timing { months_paid: u32, months_owed: u32 },
    /// A stream paid to practices, each member paid a whole number of its
    /// own monthly amounts, not every one the months owed: the members'
    /// payments run on different months (one paid 11, another 13), which no
    /// whole number of the network's months explains.
    TimingByPractice { members: Vec<MemberMonths> },
    /// The rate times another figure for the basis.
    PopulationBasis { figure: String },
    /// Part of the payment went to practices that are not members.
    PaidOutsideNetwork {
        practices: Vec<PracticeCode>,
        amount: Pence,
    },
    /// Paid through a pooled payee: one or more practices of the
    /// commissioner paid the column for several networks (their own and
    /// networks paid nothing), and the total paid is within tolerance of the
    /// total owed to them all ([`pool`]).
    PooledPayee {
        practices: Vec<PracticeCode>,
        networks: Vec<PcnCode>,
        paid: Pence,
        owed: Pence,
    },
    /// Owed, and nothing paid.
    NotPaid,
    /// Owed a network stream, and the payments file has no network stream
    /// for the network in any column: its network payments were made
    /// outside the practice-level data (to the network's own account, or
    /// booked without a practice), so the file cannot say.
    NotInPaymentsFile,
    /// Paid, and nothing owed.
    PaidNotOwed,
    /// The statement could not compute what is owed.
    OwedUnknown { reason: String },
    /// Paid more than owed, as at least [`local::MIN_NETWORKS`] networks of
    /// the commissioner were in the same column by about the same amount per
    /// weighted patient (within a quarter of their median): the column holds
    /// money beyond the DES streams, a local allocation or a national sum not
    /// in the rulebook ([`local`]).
    LocalMoney {
        /// This network's excess ÷ its contractor weighted population.
        over_per_weighted_patient: Decimal,
        /// The networks of the commissioner paid so in the column.
        networks: usize,
        commissioner: SubIcbCode,
        /// Their median excess per weighted patient.
        median: Decimal,
    },
    /// None of the above: paid at another rate. `implied_rate` is the amount
    /// paid ÷ the basis figure, a year, where the item has one line with one.
    Rate {
        implied_rate: Option<Decimal>,
        rulebook_rate: Option<Decimal>,
    },
}

impl Cause {
    /// The cause's name, as the summaries count it.
    pub fn name(&self) -> &'static str {
        match self {
            Cause::PaidInFull => "paid in full",
            Cause::Timing { .. } => "timing",
            Cause::TimingByPractice { .. } => "timing by practice",
            Cause::PopulationBasis { .. } => "population basis",
            Cause::PaidOutsideNetwork { .. } => "paid outside the network",
            Cause::PooledPayee { .. } => "pooled payee",
            Cause::NotPaid => "not paid",
            Cause::NotInPaymentsFile => "not in the payments file",
            Cause::PaidNotOwed => "paid but not owed",
            Cause::OwedUnknown { .. } => "owed unknown",
            Cause::LocalMoney { .. } => "local money",
            Cause::Rate { .. } => "rate",
        }
    }

    /// The cause in words with its figures, such as `timing: 11 of the 12
    /// months owed (arrears)`: what a table or a page shows.
    pub fn describe(&self) -> String {
        match self {
            Cause::PaidInFull => "paid in full".into(),
            Cause::Timing {
                months_paid,
                months_owed,
            } => format!(
                "timing: {months_paid} of the {months_owed} months owed ({})",
                if months_paid < months_owed {
                    "arrears"
                } else {
                    "catch-up or backdating"
                }
            ),
            Cause::TimingByPractice { members } => format!(
                "timing by practice: {}",
                members
                    .iter()
                    .map(|m| format!("{} {} of {} months", m.practice, m.months_paid, m.months_owed))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Cause::PopulationBasis { figure } => {
                format!("population basis: paid at the rate on {figure}")
            }
            Cause::PaidOutsideNetwork { practices, amount } => format!(
                "paid outside the network: {amount} to {}",
                practices
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Cause::PooledPayee {
                practices,
                networks,
                paid,
                owed,
            } => format!(
                "paid through a pooled payee: {} {} paid {paid} for networks {}, owed {owed} in all",
                if practices.len() == 1 {
                    "practice"
                } else {
                    "practices"
                },
                pool::join(practices),
                pool::join(networks),
            ),
            Cause::NotPaid => "not paid".into(),
            Cause::NotInPaymentsFile => {
                "not in the payments file (the network's payments were made outside it)".into()
            }
            Cause::PaidNotOwed => "paid but not owed".into(),
            Cause::OwedUnknown { reason } => format!("owed unknown: {reason}"),
            Cause::LocalMoney {
                over_per_weighted_patient,
                networks,
                commissioner,
                median,
            } => format!(
                "local money: the column holds £{} per weighted patient more than the DES \
                 streams, as it does in {networks} networks of {commissioner} (median £{}): local \
                 or unlisted money",
                pounds_2dp(*over_per_weighted_patient),
                pounds_2dp(*median)
            ),
            Cause::Rate {
                implied_rate: Some(implied),
                rulebook_rate: Some(rulebook),
            } => format!("rate: paid £{implied} a year on the basis, the rulebook's £{rulebook}"),
            Cause::Rate { .. } => "rate: neither timing nor another basis explains it".into(),
        }
    }

    /// Whether the cause explains the difference (or there is none).
    pub fn is_explained(&self) -> bool {
        matches!(
            self,
            Cause::PaidInFull
                | Cause::Timing { .. }
                | Cause::TimingByPractice { .. }
                | Cause::PopulationBasis { .. }
                | Cause::PooledPayee { .. }
        )
    }

    /// Whether the payment is a whole number of months other than twelve
    /// (for timing by practice, any member's): such a network was not paid
    /// the full year, so the summaries' "paid the full year" leaves it out.
    pub fn paid_other_than_twelve_months(&self) -> bool {
        match self {
            Cause::Timing { months_paid, .. } => *months_paid != 12,
            Cause::TimingByPractice { members } => members.iter().any(|m| m.months_paid != 12),
            _ => false,
        }
    }
}

/// One member's months in [`Cause::TimingByPractice`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberMonths {
    pub practice: PracticeCode,
    /// Its payment in its own monthly amounts owed.
    pub months_paid: u32,
    /// The months the statement pays it.
    pub months_owed: u32,
}

/// An amount in pounds to two places (half away from zero), as `1.03`.
fn pounds_2dp(x: Decimal) -> String {
    let r = x.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("{r:.2}")
}

/// One recipient of a network's payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    pub practice: PracticeCode,
    pub amount: Pence,
    /// Whether the statement has the practice as a member.
    pub member: bool,
    /// How the payment was given to this network.
    pub attributed_by: Attribution,
}

/// How a payment was given to a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    /// The payments file's PCN code for the practice.
    PcnColumn,
    /// The network's recorded payee (the file names no network).
    Payee,
    /// The only network the practice is a member of (the file names none).
    Membership,
    /// The network's own remittance advice.
    Remittance,
}

/// One network's amounts for one group of streams. In JSON, the amounts
/// that rest on what is owed (`owed`, `difference`,
/// `difference_after_timing`) are `null` when the statement could not
/// compute it ([`Item::owed_known`]), never 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The published columns (or the stream id, for remittances).
    pub group: String,
    pub streams: Vec<String>,
    /// The group's optional streams counted as owed, because the amount
    /// paid matches with them (see [`PublishedColumn::optional`]).
    pub optional_included: Vec<String>,
    pub owed: Pence,
    pub paid: Pence,
    /// Paid − owed.
    pub difference: Pence,
    /// The difference as a percentage of the amount owed (two places);
    /// `None` when nothing is owed.
    pub difference_percent: Option<Decimal>,
    /// The months the statement pays (the most of its lines).
    pub months_owed: u32,
    /// What the payment amounts to in monthly amounts owed (one place).
    pub months_paid: Option<Decimal>,
    /// Every line of the item is in force for the whole year.
    pub full_year: bool,
    pub cause: Cause,
    /// The difference left after allowing for timing: for a timing item,
    /// against the months it amounts to; otherwise the difference.
    pub difference_after_timing: Pence,
    pub difference_after_timing_percent: Option<Decimal>,
    /// The amount owed rests on an estimate (a list not as at the
    /// population date, a population estimated from the list …).
    pub estimated: bool,
    pub recipients: Vec<Recipient>,
    /// Remittances: the months with a payment.
    pub months_with_payment: Vec<NaiveDate>,
}

impl Item {
    /// Whether the statement could compute what was owed: when it could
    /// not, the amount owed and the difference are unknown, not £0.
    pub fn owed_known(&self) -> bool {
        !matches!(self.cause, Cause::OwedUnknown { .. })
    }
}

/// [`Item`] as it is serialised: the amounts resting on what is owed are
/// `None` (null) when that is unknown.
#[derive(Serialize)]
struct ItemOut<'a> {
    group: &'a str,
    streams: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    optional_included: &'a [String],
    owed: Option<Pence>,
    paid: Pence,
    difference: Option<Pence>,
    difference_percent: Option<Decimal>,
    months_owed: u32,
    months_paid: Option<Decimal>,
    full_year: bool,
    cause: &'a Cause,
    difference_after_timing: Option<Pence>,
    difference_after_timing_percent: Option<Decimal>,
    estimated: bool,
    recipients: &'a [Recipient],
    #[serde(skip_serializing_if = "<[NaiveDate]>::is_empty")]
    months_with_payment: &'a [NaiveDate],
}

impl Serialize for Item {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let known = self.owed_known();
        ItemOut {
            group: &self.group,
            streams: &self.streams,
            optional_included: &self.optional_included,
            owed: known.then_some(self.owed),
            paid: self.paid,
            difference: known.then_some(self.difference),
            difference_percent: self.difference_percent,
            months_owed: self.months_owed,
            months_paid: self.months_paid,
            full_year: self.full_year,
            cause: &self.cause,
            difference_after_timing: known.then_some(self.difference_after_timing),
            difference_after_timing_percent: self.difference_after_timing_percent,
            estimated: self.estimated,
            recipients: &self.recipients,
            months_with_payment: &self.months_with_payment,
        }
        .serialize(serializer)
    }
}

/// One network's reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkReconciliation {
    pub pcn: PcnCode,
    pub name: Option<String>,
    pub commissioner: Option<SubIcbCode>,
    /// Whether the network has a statement this year.
    pub in_statement: bool,
    pub items: Vec<Item>,
}

impl NetworkReconciliation {
    /// A network with a statement this year, and its items.
    fn with_statement(s: &Statement, items: Vec<Item>) -> Self {
        NetworkReconciliation {
            pcn: s.pcn.clone(),
            name: s.name.clone(),
            commissioner: s.commissioner.clone(),
            in_statement: true,
            items,
        }
    }

    /// A network paid that has no statement this year.
    fn without_statement(pcn: PcnCode, items: Vec<Item>) -> Self {
        NetworkReconciliation {
            pcn,
            name: None,
            commissioner: None,
            in_statement: false,
            items,
        }
    }
}

/// A payment no network could be given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unattributed {
    pub practice: PracticeCode,
    pub group: String,
    pub amount: Pence,
}

/// Counts within bands, for one population and one measure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Band {
    pub compared: usize,
    pub within_1: usize,
    pub within_2: usize,
    pub within_5: usize,
    /// The median absolute difference, in per cent (two places).
    pub median_percent: Option<Decimal>,
}

/// The median of an ascending list (the mean of the middle two when even);
/// `None` when it is empty.
pub(crate) fn median_of_sorted(sorted: &[Decimal]) -> Option<Decimal> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / Decimal::TWO),
    }
}

impl Band {
    /// The band of a set of differences in per cent.
    pub fn of(mut percents: Vec<Decimal>) -> Band {
        percents.iter_mut().for_each(|p| *p = p.abs());
        percents.sort();
        let within = |t: i64| percents.iter().filter(|p| **p <= Decimal::from(t)).count();
        let median = median_of_sorted(&percents);
        Band {
            compared: percents.len(),
            within_1: within(1),
            within_2: within(2),
            within_5: within(5),
            median_percent: median.map(|m| m.round_dp(2)),
        }
    }

    /// The share within 2%, in per cent (one place).
    pub fn share_within_2(&self) -> Option<Decimal> {
        (self.compared > 0).then(|| {
            (Decimal::from(self.within_2 as u64) * Decimal::ONE_HUNDRED
                / Decimal::from(self.compared as u64))
            .round_dp(1)
        })
    }
}

/// A group's summary over a set of networks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    pub group: String,
    pub streams: Vec<String>,
    pub owed: Pence,
    pub paid: Pence,
    /// Networks owed something.
    pub networks_owed: usize,
    /// Networks paid something.
    pub networks_paid: usize,
    /// Networks owed and paid (an agreeing pool once, as one entry),
    /// compared before allowing for timing.
    pub before_timing: Band,
    pub after_timing: Band,
    /// The same, for networks owed the full year.
    pub full_year_before_timing: Band,
    pub full_year_after_timing: Band,
    /// Networks paid the full year: every compared network except those
    /// whose payment is a whole number of months other than twelve (timing,
    /// or a member's in timing by practice),
    /// measured after allowing for timing (a network owed part of the year
    /// and paid all twelve months is measured against twelve). This is the
    /// test of the rulebook's rates and bases.
    pub paid_full_year: Band,
    /// Agreeing pools ([`pool`]) among the entries compared: each pool is
    /// measured once, as one entry (its total paid against its total owed),
    /// and its networks' items are not measured one by one.
    pub pools: usize,
    /// Networks per cause.
    pub causes: BTreeMap<String, usize>,
}

/// A year's reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub financial_year: FinancialYear,
    /// `payments file` or `remittances`.
    pub paid_from: String,
    pub networks: Vec<NetworkReconciliation>,
    pub unattributed: Vec<Unattributed>,
    /// Streams owed that no published column holds this year.
    pub not_published: Vec<String>,
    /// Groups paid but not compared, with why.
    pub not_compared: Vec<(String, Pence, String)>,
    pub national: Vec<GroupSummary>,
    pub by_commissioner: BTreeMap<String, Vec<GroupSummary>>,
    /// Networks of a commissioner paid a column through one payee, agreeing
    /// or not ([`pool`]).
    pub pools: Vec<Pool>,
}

/// What is owed of a group of streams to one network, from its statement.
struct Owed<'a> {
    lines: Vec<&'a Line>,
}

impl Owed<'_> {
    fn amount(&self) -> Pence {
        self.lines
            .iter()
            .filter(|l| l.status == LineStatus::Scheduled)
            .map(|l| l.amount)
            .sum()
    }
    fn not_computed(&self) -> Option<String> {
        self.lines.iter().find_map(|l| match &l.status {
            LineStatus::NotComputed(why) => Some(format!("{}: {why}", l.rule_id)),
            _ => None,
        })
    }
    fn months(&self) -> u32 {
        self.lines
            .iter()
            .filter(|l| l.status == LineStatus::Scheduled)
            .map(|l| l.schedule.len() as u32)
            .max()
            .unwrap_or(0)
    }
    fn full_year(&self) -> bool {
        let scheduled: Vec<&&Line> = self
            .lines
            .iter()
            .filter(|l| l.status == LineStatus::Scheduled)
            .collect();
        !scheduled.is_empty() && scheduled.iter().all(|l| l.schedule.len() == 12)
    }
    fn estimated(&self) -> bool {
        self.lines.iter().any(|l| l.is_estimated())
    }
}

/// The percentage `part` is of `whole`, two places.
fn percent(part: Pence, whole: Pence) -> Option<Decimal> {
    (whole.0 != 0).then(|| {
        (Decimal::from(part.0) * Decimal::ONE_HUNDRED / Decimal::from(whole.0).abs()).round_dp(2)
    })
}

fn within(paid: Pence, target: Decimal, tolerance_percent: Decimal) -> bool {
    let paid = Decimal::from(paid.0);
    (paid - target).abs() <= target.abs() * tolerance_percent / Decimal::ONE_HUNDRED
}

/// The cause of one item, and the difference left after timing.
fn cause_of(
    owed: &Owed,
    paid: Pence,
    recipients: &[Recipient],
    alternatives: &[AlternativeBasis],
    options: &ReconcileOptions,
) -> (Cause, Pence) {
    let owed_amount = owed.amount();
    let difference = paid - owed_amount;
    let tol = options.tolerance_percent;
    if owed_amount == Pence::ZERO {
        if let Some(reason) = owed.not_computed() {
            return (Cause::OwedUnknown { reason }, difference);
        }
        return (Cause::PaidNotOwed, difference);
    }
    if paid == Pence::ZERO {
        return (Cause::NotPaid, difference);
    }
    let outside: Vec<&Recipient> = recipients.iter().filter(|r| !r.member).collect();
    let outside_amount: Pence = outside.iter().map(|r| r.amount).sum();
    if outside_amount != Pence::ZERO {
        return (
            Cause::PaidOutsideNetwork {
                practices: outside.iter().map(|r| r.practice.clone()).collect(),
                amount: outside_amount,
            },
            difference,
        );
    }
    if within(paid, Decimal::from(owed_amount.0), tol) {
        return (Cause::PaidInFull, difference);
    }
    let scheduled: Vec<&&Line> = owed
        .lines
        .iter()
        .filter(|l| l.status == LineStatus::Scheduled)
        .collect();
    // Timing by practice, where the network's own months do not fit: each
    // member's whole months, evidence on every member, so before one total
    // that another basis comes near.
    let months_owed = owed.months();
    let timing = network_timing(owed_amount, months_owed, paid, options);
    if timing.is_none() {
        if let Some((members, expected)) = practice_timing(&scheduled, paid, recipients, options) {
            return (Cause::TimingByPractice { members }, paid - expected);
        }
    }
    // Population basis: one scheduled line, another figure for its basis.
    if let [line] = scheduled.as_slice() {
        if let (Some(rate), true) = (line.rate, line.unit.is_annual()) {
            for alt in alternatives.iter().filter(|a| a.basis == line.basis) {
                let owed_alt = rate * alt.value * Decimal::from(line.schedule.len() as u64)
                    / Decimal::from(12u64)
                    * Decimal::ONE_HUNDRED;
                // Explained, not agreeing: the statement's own figure is
                // what is measured, so the difference stays.
                if within(paid, owed_alt, tol) {
                    return (
                        Cause::PopulationBasis {
                            figure: alt.label.clone(),
                        },
                        difference,
                    );
                }
            }
        }
    }
    // Timing: a whole number of monthly amounts.
    if let Some((k, expected)) = timing {
        return (
            Cause::Timing {
                months_paid: k,
                months_owed,
            },
            paid - expected,
        );
    }
    let (implied_rate, rulebook_rate) = match scheduled.as_slice() {
        [line] => (
            line.basis_value
                .filter(|v| !v.is_zero() && !line.schedule.is_empty())
                .map(|v| {
                    let months = Decimal::from(line.schedule.len() as u64);
                    let annual = if line.unit.is_annual() {
                        Decimal::from(12u64) / months
                    } else {
                        Decimal::ONE
                    };
                    (paid.to_pounds() / v * annual).round_dp(4)
                }),
            line.rate,
        ),
        _ => (None, None),
    };
    (
        Cause::Rate {
            implied_rate,
            rulebook_rate,
        },
        difference,
    )
}

/// Network timing: the payment is within tolerance of a whole number of the
/// monthly amounts owed (the amount ÷ the months), at least one, other than
/// the months owed and no more than [`ReconcileOptions::catch_up_months`]
/// beyond them or twelve: the months, and the amount they come to.
fn network_timing(
    owed_amount: Pence,
    months_owed: u32,
    paid: Pence,
    options: &ReconcileOptions,
) -> Option<(u32, Pence)> {
    if months_owed == 0 {
        return None;
    }
    let monthly = Decimal::from(owed_amount.0) / Decimal::from(months_owed);
    let k = u32::try_from((Decimal::from(paid.0) / monthly).round()).ok()?;
    (k >= 1
        && k != months_owed
        && k <= months_owed.max(12) + options.catch_up_months
        && within(paid, monthly * Decimal::from(k), options.tolerance_percent))
    .then(|| {
        (
            k,
            Pence((monthly * Decimal::from(k)).round().try_into().unwrap_or(0)),
        )
    })
}

/// Timing by practice: for lines paid to practices, each member's payment
/// (its recipient amount) is within tolerance of a whole number, at least
/// one, of its own monthly amount owed (its amount owed ÷ its months, from
/// the lines' `to_practices` and `practice_months`), no more than
/// [`ReconcileOptions::catch_up_months`] beyond its months or twelve, and
/// some member's number is not its months owed. The tolerance is the one the
/// network's timing uses, applied to each member's amount. Each member's
/// months, and the amount they come to in all; `None` when any member's
/// payment is not a whole number of its months (or a practice paid is not
/// owed).
fn practice_timing(
    scheduled: &[&&Line],
    paid: Pence,
    recipients: &[Recipient],
    options: &ReconcileOptions,
) -> Option<(Vec<MemberMonths>, Pence)> {
    if scheduled.is_empty()
        || scheduled
            .iter()
            .any(|l| l.paid_to != PaidTo::Practice || l.to_practices.is_empty())
    {
        return None;
    }
    // Each member's amount owed and months (the most of its lines).
    let mut owed: BTreeMap<&PracticeCode, (Pence, u32)> = BTreeMap::new();
    for l in scheduled {
        for (code, amount) in &l.to_practices {
            owed.entry(code).or_insert((Pence::ZERO, 0)).0 += *amount;
        }
        for (code, months) in &l.practice_months {
            let e = owed.entry(code).or_insert((Pence::ZERO, 0));
            e.1 = e.1.max(*months);
        }
    }
    if recipients.iter().any(|r| !owed.contains_key(&r.practice)) {
        return None;
    }
    let mut members = Vec::new();
    let mut expected = Decimal::ZERO;
    for (code, (amount, months)) in owed {
        let paid_here: Pence = recipients
            .iter()
            .filter(|r| &r.practice == code)
            .map(|r| r.amount)
            .sum();
        if amount == Pence::ZERO || months == 0 {
            if paid_here == Pence::ZERO {
                continue;
            }
            return None;
        }
        let monthly = Decimal::from(amount.0) / Decimal::from(months);
        let k = u32::try_from((Decimal::from(paid_here.0) / monthly).round()).ok()?;
        let target = monthly * Decimal::from(k);
        if k == 0
            || k > months.max(12) + options.catch_up_months
            || !within(paid_here, target, options.tolerance_percent)
        {
            return None;
        }
        expected += target;
        members.push(MemberMonths {
            practice: code.clone(),
            months_paid: k,
            months_owed: months,
        });
    }
    if members.iter().all(|m| m.months_paid == m.months_owed) || paid == Pence::ZERO {
        return None;
    }
    Some((members, Pence(expected.round().try_into().unwrap_or(0))))
}

/// The group a remittance stream or a published column belongs to.
#[derive(Debug, Clone)]
struct Group {
    label: String,
    streams: Vec<String>,
    optional: Vec<String>,
}

/// Reconciles a year's payment run with what NHS Payments to General
/// Practice says was paid. `actuals` may hold other years' facts; only the
/// run's year is used.
pub fn reconcile_payments<'a>(
    run: &PayRun,
    actuals: impl IntoIterator<Item = &'a PaymentActualFact>,
    options: &ReconcileOptions,
) -> Reconciliation {
    let year = run.financial_year;
    let year_text = year.to_string();
    let mappings = published_columns(year);
    let Columns {
        groups,
        group_of_column,
        mut not_compared,
    } = Columns::of(&mappings);
    let practice_paid: BTreeSet<&str> = run
        .networks
        .iter()
        .flat_map(|n| n.statement.lines.iter())
        .filter(|l| l.paid_to == PaidTo::Practice)
        .map(|l| l.stream_id.as_str())
        .collect();
    let attribute = Attribute::new(run, &groups, &group_of_column, &practice_paid);
    let (mut paid, unattributed) = attribute.paid(
        actuals
            .into_iter()
            .filter(|f| f.financial_year == year_text),
        &mut not_compared,
    );

    let mut networks = Vec::new();
    let no_alternatives = Vec::new();
    for n in &run.networks {
        let s = &n.statement;
        let alternatives = options.alternatives.get(&s.pcn).unwrap_or(&no_alternatives);
        let mut items = statement_items(s, &groups, &mut paid, alternatives, options);
        paid_outside_file(&mut items, &practice_paid);
        networks.push(NetworkReconciliation::with_statement(s, items));
    }
    networks.extend(without_statement(paid, &groups, options));
    let network_group = |i: &Item| {
        !i.streams
            .iter()
            .any(|id| practice_paid.contains(id.as_str()))
    };
    let pools = pool::find_pools(&mut networks, network_group, options);
    local::name_local_money(&mut networks, &weighted_populations(run), network_group);
    finish(
        year,
        "payments file",
        networks,
        pools,
        unattributed,
        not_published(run, &mappings),
        not_compared
            .into_iter()
            .map(|(c, (amount, why))| (c, amount, why))
            .collect(),
    )
}

/// Each network's contractor weighted population, as its statement has it
/// (the first line on that basis with a figure).
fn weighted_populations(run: &PayRun) -> BTreeMap<PcnCode, Decimal> {
    run.networks
        .iter()
        .filter_map(|n| {
            let s = &n.statement;
            s.lines
                .iter()
                .filter(|l| l.basis == Basis::WeightedPopulation)
                .find_map(|l| l.basis_value)
                .map(|w| (s.pcn.clone(), w))
        })
        .collect()
}

/// The year's published columns: the groups compared, the group of each
/// column, and the columns not compared (with what they hold and why).
struct Columns {
    groups: Vec<Group>,
    group_of_column: HashMap<&'static str, usize>,
    not_compared: BTreeMap<String, (Pence, String)>,
}

impl Columns {
    fn of(mappings: &[&'static PublishedColumn]) -> Columns {
        let mut columns = Columns {
            groups: Vec::new(),
            group_of_column: HashMap::new(),
            not_compared: BTreeMap::new(),
        };
        for m in mappings {
            if !m.compared {
                for c in m.columns {
                    columns
                        .not_compared
                        .entry(c.to_string())
                        .or_insert((Pence::ZERO, m.reason.to_string()));
                }
                continue;
            }
            let index = columns.groups.len();
            columns.groups.push(Group {
                label: m.label(),
                streams: m.streams.iter().map(|s| s.to_string()).collect(),
                optional: m.optional.iter().map(|s| s.to_string()).collect(),
            });
            for c in m.columns {
                columns.group_of_column.insert(c, index);
            }
        }
        columns
    }
}

/// Payments per network and group, with their recipients.
type Paid = BTreeMap<(PcnCode, usize), Vec<Recipient>>;

/// Who is a member of, and payee for, which networks: what a payment is
/// given to a network by.
struct Attribute<'a> {
    groups: &'a [Group],
    group_of_column: &'a HashMap<&'static str, usize>,
    /// Streams paid to practices.
    practice_paid: &'a BTreeSet<&'a str>,
    member_of: HashMap<&'a PracticeCode, Vec<&'a PcnCode>>,
    payee_of: HashMap<&'a PracticeCode, &'a PcnCode>,
    members: HashMap<&'a PcnCode, BTreeSet<&'a PracticeCode>>,
}

impl<'a> Attribute<'a> {
    fn new(
        run: &'a PayRun,
        groups: &'a [Group],
        group_of_column: &'a HashMap<&'static str, usize>,
        practice_paid: &'a BTreeSet<&'a str>,
    ) -> Self {
        let mut a = Attribute {
            groups,
            group_of_column,
            practice_paid,
            member_of: HashMap::new(),
            payee_of: HashMap::new(),
            members: HashMap::new(),
        };
        for n in &run.networks {
            let pcn = &n.statement.pcn;
            for m in &n.members {
                a.member_of.entry(&m.code).or_default().push(pcn);
                a.members.entry(pcn).or_default().insert(&m.code);
            }
            if let Some(p) = &n.statement.payee {
                a.payee_of.insert(p, pcn);
            }
        }
        a
    }

    /// The year's payments per network and group, and those no network
    /// could be given; a column not compared adds to its total.
    fn paid<'f>(
        &self,
        actuals: impl Iterator<Item = &'f PaymentActualFact>,
        not_compared: &mut BTreeMap<String, (Pence, String)>,
    ) -> (Paid, Vec<Unattributed>) {
        let mut paid = Paid::new();
        let mut unattributed: Vec<Unattributed> = Vec::new();
        for fact in actuals {
            let Some(&group) = self.group_of_column.get(fact.stream.as_str()) else {
                if let Some(entry) = not_compared.get_mut(&fact.stream) {
                    entry.0 += Pence(fact.amount);
                }
                continue;
            };
            let Some((pcn, attributed_by)) = self.target(fact, group) else {
                unattributed.push(Unattributed {
                    practice: fact.practice.clone(),
                    group: self.groups[group].label.clone(),
                    amount: Pence(fact.amount),
                });
                continue;
            };
            let member = self
                .members
                .get(&pcn)
                .is_some_and(|m| m.contains(&fact.practice));
            let recipients = paid.entry((pcn, group)).or_default();
            match recipients.iter_mut().find(|r| r.practice == fact.practice) {
                Some(r) => r.amount += Pence(fact.amount),
                None => recipients.push(Recipient {
                    practice: fact.practice.clone(),
                    amount: Pence(fact.amount),
                    member,
                    attributed_by,
                }),
            }
        }
        (paid, unattributed)
    }

    /// The network a payment of a group goes to, and why.
    fn target(&self, fact: &PaymentActualFact, group: usize) -> Option<(PcnCode, Attribution)> {
        let practice_stream = self.groups[group]
            .streams
            .iter()
            .any(|s| self.practice_paid.contains(s.as_str()));
        // Streams paid to practices go to the networks the practice is a
        // member of in the statements (the first, when the file's network is
        // not among them); network streams to the file's network.
        if practice_stream {
            let networks = self.member_of.get(&fact.practice);
            match (networks, &fact.pcn) {
                (Some(list), Some(p)) if list.contains(&p) => {
                    Some((p.clone(), Attribution::PcnColumn))
                }
                (Some(list), _) => list
                    .first()
                    .map(|p| ((*p).clone(), Attribution::Membership)),
                (None, Some(p)) => Some((p.clone(), Attribution::PcnColumn)),
                (None, None) => None,
            }
        } else {
            match &fact.pcn {
                Some(p) => Some((p.clone(), Attribution::PcnColumn)),
                None => self
                    .payee_of
                    .get(&fact.practice)
                    .map(|p| ((*p).clone(), Attribution::Payee))
                    .or_else(
                        || match self.member_of.get(&fact.practice).map(Vec::as_slice) {
                            Some([only]) => Some(((*only).clone(), Attribution::Membership)),
                            _ => None,
                        },
                    ),
            }
        }
    }
}

/// A network's items: each group its statement owes or it was paid
/// (taken out of `paid`).
fn statement_items(
    s: &Statement,
    groups: &[Group],
    paid: &mut Paid,
    alternatives: &[AlternativeBasis],
    options: &ReconcileOptions,
) -> Vec<Item> {
    let mut items = Vec::new();
    for (index, group) in groups.iter().enumerate() {
        let lines: Vec<&Line> = s
            .lines
            .iter()
            .filter(|l| {
                group.streams.iter().any(|s| s == l.stream_id.as_str())
                    || group.optional.iter().any(|s| s == l.stream_id.as_str())
            })
            .collect();
        let recipients = paid.remove(&(s.pcn.clone(), index)).unwrap_or_default();
        if lines.is_empty() && recipients.is_empty() {
            continue;
        }
        let amount = recipients.iter().map(|r| r.amount).sum();
        items.push(item(
            group,
            &lines,
            amount,
            recipients,
            Vec::new(),
            alternatives,
            options,
        ));
    }
    items
}

/// A network with no network stream anywhere in the file was paid outside
/// it: say so rather than "not paid".
fn paid_outside_file(items: &mut [Item], practice_paid: &BTreeSet<&str>) {
    let network_groups = |i: &Item| {
        !i.streams
            .iter()
            .any(|id| practice_paid.contains(id.as_str()))
    };
    if !items
        .iter()
        .any(|i| network_groups(i) && i.paid != Pence::ZERO)
    {
        for i in items.iter_mut().filter(|i| network_groups(i)) {
            if i.cause == Cause::NotPaid {
                i.cause = Cause::NotInPaymentsFile;
            }
        }
    }
}

/// Networks paid that have no statement.
fn without_statement(
    paid: Paid,
    groups: &[Group],
    options: &ReconcileOptions,
) -> Vec<NetworkReconciliation> {
    let mut orphans: BTreeMap<PcnCode, Vec<Item>> = BTreeMap::new();
    for ((pcn, index), recipients) in paid {
        let amount = recipients.iter().map(|r| r.amount).sum();
        orphans.entry(pcn).or_default().push(item(
            &groups[index],
            &[],
            amount,
            recipients,
            Vec::new(),
            &[],
            options,
        ));
    }
    orphans
        .into_iter()
        .map(|(pcn, items)| NetworkReconciliation::without_statement(pcn, items))
        .collect()
}

/// The streams scheduled in the run that no published column holds this
/// year, in the order first met.
fn not_published(run: &PayRun, mappings: &[&PublishedColumn]) -> Vec<String> {
    let published: BTreeSet<&str> = mappings
        .iter()
        .flat_map(|m| m.streams.iter().chain(m.optional.iter()).copied())
        .collect();
    let mut not_published: Vec<String> = Vec::new();
    for l in run.networks.iter().flat_map(|n| n.statement.lines.iter()) {
        if l.status == LineStatus::Scheduled
            && !published.contains(l.stream_id.as_str())
            && !not_published.iter().any(|s| s == l.stream_id.as_str())
        {
            not_published.push(l.stream_id.to_string());
        }
    }
    not_published
}

/// Reconciles a year's payment run with networks' remittances, per stream
/// and month. Remittances for networks or months outside the run's year are
/// left out.
pub fn reconcile_remittances(
    run: &PayRun,
    remittances: &[Remittance],
    options: &ReconcileOptions,
) -> Reconciliation {
    let year = run.financial_year;
    let mut by_network: BTreeMap<&PcnCode, BTreeMap<&str, Vec<&Remittance>>> = BTreeMap::new();
    for r in remittances.iter().filter(|r| year.contains(r.month)) {
        by_network
            .entry(&r.pcn)
            .or_default()
            .entry(r.stream.as_str())
            .or_default()
            .push(r);
    }
    let no_alternatives = Vec::new();
    let mut networks = Vec::new();
    let mut payees: HashMap<&PcnCode, Option<&PracticeCode>> = HashMap::new();
    for n in &run.networks {
        let s = &n.statement;
        payees.insert(&s.pcn, s.payee.as_ref());
        let Some(streams) = by_network.get(&s.pcn) else {
            continue;
        };
        let alternatives = options.alternatives.get(&s.pcn).unwrap_or(&no_alternatives);
        let mut ids: Vec<&str> = s.lines.iter().map(|l| l.stream_id.as_str()).collect();
        ids.extend(streams.keys().copied());
        ids.dedup();
        let mut items = Vec::new();
        let mut done: BTreeSet<&str> = BTreeSet::new();
        for id in ids {
            if !done.insert(id) {
                continue;
            }
            let lines: Vec<&Line> = s
                .lines
                .iter()
                .filter(|l| l.stream_id == id && l.status != LineStatus::Maximum)
                .collect();
            let rows = streams.get(id).map(Vec::as_slice).unwrap_or(&[]);
            if lines.is_empty() && rows.is_empty() {
                continue;
            }
            let amount: Pence = rows.iter().map(|r| r.amount).sum();
            let months: BTreeSet<NaiveDate> = rows
                .iter()
                .filter(|r| r.amount != Pence::ZERO)
                .map(|r| r.month)
                .collect();
            items.push(remittance_item(
                id,
                &lines,
                amount,
                months.into_iter().collect(),
                alternatives,
                options,
            ));
        }
        networks.push(NetworkReconciliation::with_statement(s, items));
    }
    for (pcn, streams) in &by_network {
        if payees.contains_key(pcn) {
            continue;
        }
        let mut items = Vec::new();
        for (id, rows) in streams {
            let amount: Pence = rows.iter().map(|r| r.amount).sum();
            items.push(remittance_item(
                id,
                &[],
                amount,
                rows.iter().map(|r| r.month).collect(),
                &no_alternatives,
                options,
            ));
        }
        networks.push(NetworkReconciliation::without_statement(
            (*pcn).clone(),
            items,
        ));
    }
    finish(
        year,
        "remittances",
        networks,
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    )
}

/// The item of one remittance stream, a group of its own: `paid` in
/// `months_with_payment` against the statement's `lines` of the stream.
fn remittance_item(
    id: &str,
    lines: &[&Line],
    paid: Pence,
    months_with_payment: Vec<NaiveDate>,
    alternatives: &[AlternativeBasis],
    options: &ReconcileOptions,
) -> Item {
    let group = Group {
        label: id.to_string(),
        streams: vec![id.to_string()],
        optional: Vec::new(),
    };
    item(
        &group,
        lines,
        paid,
        Vec::new(),
        months_with_payment,
        alternatives,
        options,
    )
}

/// An item from a statement's lines of the group (and, where the group has
/// optional streams, the better fit of with and without them).
#[allow(clippy::too_many_arguments)]
fn item(
    group: &Group,
    lines: &[&Line],
    paid: Pence,
    mut recipients: Vec<Recipient>,
    months_with_payment: Vec<NaiveDate>,
    alternatives: &[AlternativeBasis],
    options: &ReconcileOptions,
) -> Item {
    recipients.sort_by(|a, b| a.practice.cmp(&b.practice));
    let required = Owed {
        lines: lines
            .iter()
            .copied()
            .filter(|l| group.streams.iter().any(|s| s == l.stream_id.as_str()))
            .collect(),
    };
    let base = item_for(
        group,
        &required,
        paid,
        &recipients,
        alternatives,
        options,
        Vec::new(),
    );
    let with: Vec<&Line> = lines
        .iter()
        .copied()
        .filter(|l| {
            group.optional.iter().any(|s| s == l.stream_id.as_str())
                && l.status == LineStatus::Scheduled
        })
        .collect();
    let explained = |c: &Cause| {
        matches!(
            c,
            Cause::PaidInFull
                | Cause::Timing { .. }
                | Cause::TimingByPractice { .. }
                | Cause::PopulationBasis { .. }
        )
    };
    // Optional streams by stream id; every combination is tried, fewest first.
    let mut optional_ids: Vec<&str> = with.iter().map(|l| l.stream_id.as_str()).collect();
    optional_ids.dedup();
    // None explained: the nearest amount owed, so a difference of rate is
    // measured against the streams the column holds.
    let mut chosen = base;
    if !optional_ids.is_empty() && !explained(&chosen.cause) {
        let mut nearest: Option<Item> = None;
        let n = optional_ids.len().min(8);
        let mut masks: Vec<u32> = (1..(1u32 << n)).collect();
        masks.sort_by_key(|m| m.count_ones());
        for mask in masks {
            let picked: Vec<&str> = (0..n)
                .filter(|b| mask & (1 << b) != 0)
                .map(|b| optional_ids[b])
                .collect();
            let mut all = required.lines.clone();
            all.extend(
                with.iter()
                    .copied()
                    .filter(|l| picked.contains(&l.stream_id.as_str())),
            );
            let alternative = item_for(
                group,
                &Owed { lines: all },
                paid,
                &recipients,
                alternatives,
                options,
                picked.iter().map(|s| s.to_string()).collect(),
            );
            // With optional streams only a full match counts: a whole number
            // of months of a mixture of streams would be a coincidence.
            if matches!(
                alternative.cause,
                Cause::PaidInFull | Cause::PopulationBasis { .. }
            ) {
                nearest = None;
                chosen = alternative;
                break;
            }
            let closer = nearest.as_ref().unwrap_or(&chosen).difference.0.abs()
                > alternative.difference.0.abs();
            if closer && alternative.owed != Pence::ZERO {
                nearest = Some(alternative);
            }
        }
        if let Some(n) = nearest {
            chosen = n;
        }
    }
    chosen.recipients = recipients;
    chosen.months_with_payment = months_with_payment;
    chosen
}

#[allow(clippy::too_many_arguments)]
fn item_for(
    group: &Group,
    owed: &Owed,
    paid: Pence,
    recipients: &[Recipient],
    alternatives: &[AlternativeBasis],
    options: &ReconcileOptions,
    optional_included: Vec<String>,
) -> Item {
    let owed_amount = owed.amount();
    let months_owed = owed.months();
    let (cause, after) = cause_of(owed, paid, recipients, alternatives, options);
    let months_paid = (months_owed > 0 && owed_amount != Pence::ZERO).then(|| {
        (Decimal::from(paid.0) * Decimal::from(months_owed) / Decimal::from(owed_amount.0))
            .round_dp(1)
    });
    let after_base = match &cause {
        Cause::Timing { months_paid, .. } => Pence(
            (Decimal::from(owed_amount.0) * Decimal::from(*months_paid)
                / Decimal::from(months_owed.max(1)))
            .round()
            .try_into()
            .unwrap_or(0),
        ),
        // Against what the members' months come to.
        Cause::TimingByPractice { .. } => paid - after,
        _ => owed_amount,
    };
    Item {
        group: group.label.clone(),
        streams: group.streams.clone(),
        optional_included,
        owed: owed_amount,
        paid,
        difference: paid - owed_amount,
        difference_percent: percent(paid - owed_amount, owed_amount),
        months_owed,
        months_paid,
        full_year: owed.full_year(),
        cause,
        difference_after_timing: after,
        difference_after_timing_percent: percent(after, after_base),
        estimated: owed.estimated(),
        recipients: Vec::new(),
        months_with_payment: Vec::new(),
    }
}

/// The summary per group of any set of networks' items (an ICB's networks,
/// say), as [`Reconciliation::national`] is for all of them.
pub fn summarise<'a>(items: impl Iterator<Item = &'a Item>) -> Vec<GroupSummary> {
    let mut by_group: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for i in items {
        if !by_group.contains_key(i.group.as_str()) {
            order.push(&i.group);
        }
        by_group.entry(&i.group).or_default().push(i);
    }
    order
        .into_iter()
        .map(|g| {
            let items = &by_group[g];
            let measured = measured(items);
            let band = |full: bool, after: bool| {
                Band::of(
                    measured
                        .iter()
                        .filter(|m| !full || m.full_year)
                        .filter_map(|m| if after { m.after } else { m.before })
                        .collect(),
                )
            };
            let mut causes: BTreeMap<String, usize> = BTreeMap::new();
            for i in items {
                *causes.entry(i.cause.name().to_string()).or_default() += 1;
            }
            GroupSummary {
                group: g.to_string(),
                streams: items.first().map(|i| i.streams.clone()).unwrap_or_default(),
                owed: items.iter().map(|i| i.owed).sum(),
                paid: items.iter().map(|i| i.paid).sum(),
                networks_owed: items.iter().filter(|i| i.owed != Pence::ZERO).count(),
                networks_paid: items.iter().filter(|i| i.paid != Pence::ZERO).count(),
                before_timing: band(false, false),
                after_timing: band(false, true),
                full_year_before_timing: band(true, false),
                full_year_after_timing: band(true, true),
                paid_full_year: Band::of(
                    measured
                        .iter()
                        .filter(|m| m.paid_full_year)
                        .filter_map(|m| m.after)
                        .collect(),
                ),
                pools: measured.iter().filter(|m| m.pool).count(),
                causes,
            }
        })
        .collect()
}

/// One entry of a summary's bands: a network's item owed and paid, or an
/// agreeing pool (its items measured once, as one).
struct Measured {
    before: Option<Decimal>,
    after: Option<Decimal>,
    full_year: bool,
    /// Not a payment of a whole number of months other than twelve.
    paid_full_year: bool,
    pool: bool,
}

/// The entries a group's bands count: each item owed and paid, except the
/// items of a pool, which are one entry per pool (its total paid against its
/// total owed).
fn measured(items: &[&Item]) -> Vec<Measured> {
    let mut out = Vec::new();
    let mut pools: Vec<(&Cause, bool)> = Vec::new();
    for i in items {
        if let Cause::PooledPayee { .. } = &i.cause {
            match pools.iter_mut().find(|(c, _)| *c == &i.cause) {
                Some((_, full)) => *full &= i.full_year,
                None => pools.push((&i.cause, i.full_year)),
            }
            continue;
        }
        if i.owed == Pence::ZERO || i.paid == Pence::ZERO {
            continue;
        }
        out.push(Measured {
            before: i.difference_percent,
            after: i.difference_after_timing_percent,
            full_year: i.full_year,
            paid_full_year: !i.cause.paid_other_than_twelve_months(),
            pool: false,
        });
    }
    for (cause, full_year) in pools {
        if let Cause::PooledPayee { paid, owed, .. } = cause {
            let p = percent(*paid - *owed, *owed);
            out.push(Measured {
                before: p,
                after: p,
                full_year,
                paid_full_year: true,
                pool: true,
            });
        }
    }
    out
}

fn finish(
    year: FinancialYear,
    paid_from: &str,
    networks: Vec<NetworkReconciliation>,
    pools: Vec<Pool>,
    unattributed: Vec<Unattributed>,
    not_published: Vec<String>,
    not_compared: Vec<(String, Pence, String)>,
) -> Reconciliation {
    let national = summarise(networks.iter().flat_map(|n| n.items.iter()));
    let mut by: BTreeMap<String, Vec<&Item>> = BTreeMap::new();
    for n in &networks {
        let key = n
            .commissioner
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_else(|| "(none)".to_string());
        by.entry(key).or_default().extend(n.items.iter());
    }
    let by_commissioner = by
        .into_iter()
        .map(|(c, items)| (c, summarise(items.into_iter())))
        .collect();
    Reconciliation {
        financial_year: year,
        paid_from: paid_from.to_string(),
        networks,
        unattributed,
        not_published,
        not_compared,
        national,
        by_commissioner,
        pools,
    }
}

/// The first day of a date's month.
pub fn month_start(date: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(date.year(), date.month(), 1).unwrap_or(date)
}
