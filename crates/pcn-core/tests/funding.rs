//! Hand-worked statements from the published figures, one per stream kind,
//! each citing where its figure comes from (source ids as in
//! shared/reference/des-rules.md and rules/README.md).

use pcn_core::funding::*;
use pcn_core::money::{Fraction, Pence};
use pcn_core::rulebook::{Rulebook, YearRules};
use pcn_core::{PcnCode, PracticeCode};
use rust_decimal::Decimal;

mod support;
use support::{d, dec};

fn member(code: &str, registered: u64, weighted: Option<&str>, as_at: &str) -> MemberInputs {
    MemberInputs {
        code: PracticeCode::parse(code).unwrap(),
        name: None,
        registered: Some(Figure::exact(registered, Some(d(as_at)))),
        weighted: weighted.map(|w| Figure::exact(dec(w), Some(d(as_at)))),
        membership_months: None,
    }
}

fn network(members: Vec<MemberInputs>) -> NetworkInputs {
    NetworkInputs {
        name: Some("TEST PCN".into()),
        ..NetworkInputs::new(PcnCode::parse("U00001").unwrap(), members)
    }
}

/// A year of the embedded rulebook.
fn embedded_year(year: &str) -> YearRules {
    Rulebook::embedded().unwrap().year(year).unwrap().clone()
}

/// The statement's line of a stream.
fn stream_line<'a>(s: &'a Statement, stream: &str) -> &'a Line {
    s.lines
        .iter()
        .find(|l| l.stream_id == stream)
        .unwrap_or_else(|| panic!("no line of stream {stream}"))
}

/// The statement's IIF line (the one on IIF points).
fn iif_line(s: &Statement) -> &Line {
    s.lines
        .iter()
        .find(|l| l.basis == pcn_core::rulebook::Basis::IifPoints)
        .unwrap()
}

fn line<'a>(s: &'a Statement, rule: &str) -> &'a Line {
    s.lines
        .iter()
        .find(|l| l.rule_id == rule)
        .unwrap_or_else(|| {
            panic!(
                "no line {rule}: {:?}",
                s.lines.iter().map(|l| &l.rule_id).collect::<Vec<_>>()
            )
        })
}

#[test]
fn core_funding_2025_26_registered_and_adjusted() {
    // Pulse PCN (S06), 2025/26 specification: "£2.266 being multiplied by the PCN registered list
    // size and £0.733 multiplied by PCN adjusted population as at 1 January 2025".
    // A PCN of 45,139 registered patients with an adjusted population of 46,002.37:
    //   2.266 × 45,139   = 102,284.974   → £102,284.97 a year
    //   0.733 × 46,002.37 = 33,719.737... → £33,719.74 a year
    let year = &embedded_year("2025-26");
    let mut inputs = network(vec![
        member("A81001", 20_000, None, "2025-01-01"),
        member("A81002", 25_139, None, "2025-01-01"),
    ]);
    inputs.adjusted = Some(Figure::exact(dec("46002.37"), Some(d("2025-01-01"))));
    inputs.care_home_beds = Some(Figure::exact(0, Some(d("2025-01-01"))));
    let s = statement(year, &inputs, MissingInputs::Estimate).unwrap();
    let reg = line(&s, "2025-26/core-pcn-funding/registered");
    assert_eq!(reg.amount, Pence(10_228_497));
    assert!(reg.estimates.is_empty(), "{:?}", reg.estimates);
    assert_eq!(reg.schedule.len(), 12);
    assert_eq!(
        reg.schedule.iter().map(|i| i.amount).sum::<Pence>(),
        reg.amount
    );
    assert_eq!(reg.schedule[0].month, d("2025-04-01"));
    let adj = line(&s, "2025-26/core-pcn-funding/adjusted");
    assert_eq!(adj.amount, Pence(3_371_974));
    assert!(reg.working.contains("£102,284.97"), "{}", reg.working);
}

#[test]
fn enhanced_access_2025_26_estimated_when_adjusted_population_is_missing() {
    // Pulse PCN (S06): enhanced access "£8.427 multiplied by the PCN adjusted population".
    // With no adjusted population recorded the statement either refuses (--strict) or estimates
    // it as the registered list and says so on the line: 8.427 × 30,000 = £252,810.00.
    let year = &embedded_year("2025-26");
    let inputs = network(vec![member("A81001", 30_000, None, "2025-01-01")]);
    let err = statement(year, &inputs, MissingInputs::Refuse).unwrap_err();
    assert!(
        err.to_string().contains("adjusted population")
            || err.to_string().contains("weighted population"),
        "{err}"
    );
    let s = statement(year, &inputs, MissingInputs::Estimate).unwrap();
    let ea = line(&s, "2025-26/enhanced-access/payment");
    assert_eq!(ea.amount, Pence(25_281_000));
    assert!(ea.is_estimated());
    assert!(
        ea.estimates[0].contains("estimated as the registered list"),
        "{:?}",
        ea.estimates
    );
    assert!(s.is_estimated());
}

#[test]
fn care_home_premium_2020_21_part_year() {
    // BMA (S02) / S65: £60 per bed for 1 August 2020 to 31 March 2021, paid as £7.50 per bed
    // per month over 8 months. A network with 50 aligned beds: £3,000.00, £375.00 a month.
    let year = &embedded_year("2020-21");
    let mut inputs = network(vec![member("A81001", 30_000, Some("31000"), "2020-01-01")]);
    inputs.care_home_beds = Some(Figure::exact(50, Some(d("2020-08-01"))));
    let s = statement(year, &inputs, MissingInputs::Estimate).unwrap();
    let chp = line(&s, "2020-21/care-home-premium/beds");
    assert_eq!(chp.amount, Pence(300_000));
    assert_eq!(chp.months_paid, 8);
    assert_eq!(chp.schedule.first().unwrap().month, d("2020-08-01"));
    assert!(chp.schedule.iter().all(|i| i.amount == Pence(37_500)));
}

#[test]
fn care_home_beds_are_never_a_silent_zero() {
    let year = &embedded_year("2025-26");
    let mut inputs = network(vec![member("A81001", 30_000, Some("30000"), "2025-01-01")]);
    inputs.adjusted = Some(Figure::exact(30_000, Some(d("2025-01-01"))));
    let s = statement(year, &inputs, MissingInputs::Estimate).unwrap();
    let chp = stream_line(&s, "care-home-premium");
    assert!(
        matches!(&chp.status, LineStatus::NotComputed(why) if why.contains("care homes")),
        "{:?}",
        chp.status
    );
    assert!(statement(year, &inputs, MissingInputs::Refuse)
        .unwrap_err()
        .to_string()
        .contains("care homes"));
}

#[test]
fn network_participation_payment_is_paid_to_each_practice() {
    // S09 (2022/23 DES summary): NPP £1.761 × contractor weighted population, paid to practices.
    //   1.761 × 10,234.56 = 18,023.06… → £18,023.06;  1.761 × 5,000 = £8,805.00
    let year = &embedded_year("2022-23");
    let inputs = network(vec![
        member("A81001", 10_000, Some("10234.56"), "2022-01-01"),
        member("A81002", 5_000, Some("5000"), "2022-01-01"),
    ]);
    let s = statement(year, &inputs, MissingInputs::Estimate).unwrap();
    let npp = stream_line(&s, "network-participation-payment");
    assert_eq!(
        npp.to_practices,
        vec![
            (PracticeCode::parse("A81001").unwrap(), Pence(1_802_306)),
            (PracticeCode::parse("A81002").unwrap(), Pence(880_500))
        ]
    );
    assert_eq!(npp.amount, Pence(2_682_806));
    assert_eq!(s.totals.scheduled_to_practices, Pence(2_682_806));
}

#[test]
fn extended_hours_2022_23_ends_in_september() {
    // S09: extended hours £0.720 × PCN registered list for 1 April to 30 September 2022
    // (a period amount). 0.720 × 40,000 = £28,800.00 over six months, £4,800.00 a month.
    let year = &embedded_year("2022-23");
    let inputs = network(vec![member("A81001", 40_000, Some("40000"), "2022-01-01")]);
    let s = statement(year, &inputs, MissingInputs::Estimate).unwrap();
    let eh = stream_line(&s, "extended-hours-access");
    assert_eq!(eh.amount, Pence(2_880_000));
    assert_eq!(eh.schedule.len(), 6);
    assert_eq!(eh.schedule.last().unwrap().month, d("2022-09-01"));
}

#[test]
fn a_network_that_opens_part_way_is_paid_pro_rata_by_month() {
    // Core funding 2023/24 £1.50 per registered patient (S07, S08): 12,000 patients = £18,000.00
    // a year, £1,500.00 a month; a network open from 1 October 2023 gets six months, £9,000.00.
    let year = &embedded_year("2023-24");
    let mut inputs = network(vec![member("A81001", 12_000, Some("12000"), "2023-01-01")]);
    inputs.open_date = Some(d("2023-10-01"));
    let s = statement(year, &inputs, MissingInputs::Estimate).unwrap();
    let core = stream_line(&s, "core-pcn-funding");
    assert_eq!(core.full_amount, Pence(1_800_000));
    assert_eq!(core.amount, Pence(900_000));
    assert_eq!(core.months_paid, 6);
    assert!(core.working.contains("6 of 12 months"), "{}", core.working);
}

#[test]
fn arrs_sum_2023_24_is_a_claimable_maximum() {
    // Pulse (S52, S23): ARRS sum £22.671 × PCN contractor weighted population at January 2023.
    // 50,000 weighted patients: 22.671 × 50,000 = £1,133,550.00, claimed, not scheduled.
    let year = &embedded_year("2023-24");
    let inputs = network(vec![member("A81001", 48_000, Some("50000"), "2023-01-01")]);
    let s = statement(year, &inputs, MissingInputs::Estimate).unwrap();
    let arrs = s
        .lines
        .iter()
        .find(|l| l.stream_id.as_str().starts_with("arrs"))
        .unwrap();
    assert_eq!(arrs.amount, Pence(113_355_000));
    assert_eq!(arrs.status, LineStatus::Maximum);
    assert!(arrs.schedule.is_empty());
    assert_eq!(s.totals.claimable_maximum, Pence(113_355_000));
}

#[test]
fn months_add_up_and_monthly_totals_match_lines() {
    let rules = Rulebook::embedded().unwrap();
    for year in rules.years() {
        let inputs = network(vec![
            member("A81001", 33_333, Some("34567.89"), "2020-01-01"),
            member("A81002", 11_111, Some("9999.99"), "2020-01-01"),
        ]);
        let s = statement(year, &inputs, MissingInputs::Estimate).unwrap();
        for l in &s.lines {
            if l.status == LineStatus::Scheduled {
                assert_eq!(
                    l.schedule.iter().map(|i| i.amount).sum::<Pence>(),
                    l.amount,
                    "{}",
                    l.rule_id
                );
                if l.unit.is_annual() && l.months_paid == 12 {
                    assert_eq!(l.amount, l.full_amount, "{}", l.rule_id);
                }
            }
        }
        let scheduled = s.totals.scheduled_to_network + s.totals.scheduled_to_practices;
        assert_eq!(
            s.monthly.iter().map(|(_, p)| *p).sum::<Pence>(),
            scheduled,
            "{}",
            year.financial_year
        );
    }
}

#[test]
fn distribution_after_a_top_slice_adds_up() {
    let members = vec![
        member("A81001", 10_000, Some("11000"), "2025-01-01"),
        member("A81002", 20_000, Some("19000"), "2025-01-01"),
        member("A81003", 5_001, None, "2025-01-01"),
    ];
    let r = distribute(
        Pence(10_000_001),
        Pence(1_000_000),
        &members,
        &Distribution::ByRegisteredList,
    )
    .unwrap();
    assert_eq!(r.distributed, Pence(9_000_001));
    assert_eq!(
        r.shares.iter().map(|s| s.amount).sum::<Pence>(),
        Pence(9_000_001)
    );
    // Exact shares of 9,000,001p by lists 10,000 : 20,000 : 5,001 are 2,571,355.39, 5,142,710.78 and
    // 1,285,934.83; rounded down they leave 2p, which go to the two largest remainders (.83 and .78).
    assert_eq!(
        r.shares.iter().map(|s| s.amount.0).collect::<Vec<_>>(),
        vec![2_571_355, 5_142_711, 1_285_935]
    );
    let equal = distribute(Pence(100), Pence(0), &members, &Distribution::Equal).unwrap();
    assert_eq!(
        equal.shares.iter().map(|s| s.amount.0).collect::<Vec<_>>(),
        vec![34, 33, 33]
    );
    let pct = Distribution::Percentages(vec![
        (PracticeCode::parse("A81001").unwrap(), 5_000),
        (PracticeCode::parse("A81002").unwrap(), 5_000),
    ]);
    assert!(matches!(
        distribute(Pence(100), Pence(0), &members, &pct),
        Err(DistributionError::MemberWithoutShare(_))
    ));
    assert!(matches!(
        distribute(Pence(100), Pence(101), &members, &Distribution::Equal),
        Err(DistributionError::TopSliceTooLarge(..))
    ));
}

#[test]
fn iif_2024_25_points_with_the_list_size_adjustment() {
    // S80: 2024/25 IIF, 58 points at £198 a point; payment = points × £ per point × list-size
    // adjustment (× prevalence adjustment, not applied here). A PCN of 60,000 patients against a
    // national mean of 48,000 (Ardens, S161) achieving 40 points:
    //   40 × 198 × 60,000 / 48,000 = £9,900.00, on achievement.
    let year = &embedded_year("2024-25");
    let mut inputs = network(vec![member("A81001", 60_000, Some("60000"), "2024-01-01")]);
    inputs.iif_points = Some(Figure::exact(40, None));
    inputs.national_mean_list = Some(dec("48000"));
    let s = statement(year, &inputs, MissingInputs::Estimate).unwrap();
    let iif = iif_line(&s);
    assert_eq!(iif.amount, Pence(990_000));
    assert_eq!(iif.status, LineStatus::OnAchievement);
    assert!(
        iif.working.contains("list-size adjustment"),
        "{}",
        iif.working
    );
}

/// One hand-worked example for every stream of every year whose rate the
/// rulebook knows: a network of 40,000 registered patients, 41,234.56
/// weighted, an adjusted population of 39,876.54, 60 care-home beds and 50 IIF
/// points at the national mean list (so the IIF list-size adjustment is 1).
/// Each row: rule id, the amount for the year in pence worked out by hand
/// (rate × basis rounded to the penny half away from zero; a part-year annual
/// rate takes the months in force of the twelve equal instalments, spare
/// pennies to the earliest months), and the source of the rate (ids as in
/// shared/reference/des-rules.md and rules/README.md).
const EVERY_STREAM: &[(&str, i64, &str)] = &[
    (
        "2019-20/core-pcn-funding/registered",
        6000000,
        "S17: £1.50 × 40000 registered",
    ),
    (
        "2019-20/clinical-director/registered",
        2057200,
        "S01: £0.51430 × 40000 registered",
    ),
    (
        "2019-20/network-participation-payment/payment",
        7261406,
        "S01: £1.761 × 41234.56 weighted",
    ),
    (
        "2019-20/extended-hours-access/payment",
        4349998,
        "R02: £1.45 × 40000 registered, 9 of 12 months",
    ),
    (
        "2020-21/core-pcn-funding/registered",
        6000000,
        "S19: £1.50 × 40000 registered",
    ),
    (
        "2020-21/clinical-director/registered",
        2888000,
        "S18: £0.722 × 40000 registered",
    ),
    (
        "2020-21/network-participation-payment/payment",
        7261406,
        "S19: £1.761 × 41234.56 weighted",
    ),
    (
        "2020-21/extended-hours-access/payment",
        5800000,
        "S18: £1.45 × 40000 registered",
    ),
    (
        "2020-21/care-home-premium/beds",
        360000,
        "S02: £60 × 60 beds",
    ),
    (
        "2020-21/pcn-support-payment/payment",
        1113333,
        "S04: £0.27 × 41234.56 weighted",
    ),
    (
        "2020-21/arrs/sum",
        29404365,
        "S18: £7.131 × 41234.56 weighted",
    ),
    ("2020-21/iif/point", 555000, "S68: £111 × 50 points"),
    (
        "2021-22/core-pcn-funding/registered",
        6000000,
        "S02: £1.50 × 40000 registered",
    ),
    (
        "2021-22/clinical-director/registered",
        2944000,
        "P21: £0.736 × 40000 registered (what the networks paid the clinical director alone were paid)",
    ),
    (
        "2020-21/clinical-director-vaccination-uplift/registered",
        2166000,
        "P20: £2.166 × 40000 registered, January to March 2021 (3 of 12 months)",
    ),
    (
        "2021-22/clinical-director-vaccination-uplift/registered",
        2166000,
        "P20: £2.166 × 40000 registered, April to June 2021 (3 of 12 months)",
    ),
    (
        "2021-22/pcn-leadership-management/adjusted",
        2841602,
        "P21: £0.7126 × 39876.54 adjusted",
    ),
    (
        "2021-22/pcn-support-payment/payment",
        4240150,
        "R32: £1.0283 × 41234.56 weighted (for the period)",
    ),
    (
        "2021-22/network-participation-payment/payment",
        7261406,
        "S02: £1.761 × 41234.56 weighted",
    ),
    (
        "2021-22/extended-hours-access/payment",
        5760000,
        "S02: £1.44 × 40000 registered",
    ),
    (
        "2021-22/care-home-premium/beds",
        720000,
        "S02: £120 × 60 beds",
    ),
    (
        "2021-22/arrs/sum",
        50718509,
        "S50: £12.30 × 41234.56 weighted",
    ),
    ("2021-22/iif/point", 1000000, "S70: £200 × 50 points"),
    (
        "2022-23/core-pcn-funding/registered",
        6000000,
        "S09: £1.50 × 40000 registered",
    ),
    (
        "2022-23/clinical-director/registered",
        2888000,
        "S20: £0.722 × 40000 registered",
    ),
    (
        "2022-23/pcn-leadership-management/adjusted",
        2787370,
        "S09: £0.699 × 39876.54 adjusted",
    ),
    (
        "2022-23/network-participation-payment/payment",
        7261406,
        "S09: £1.761 × 41234.56 weighted",
    ),
    (
        "2022-23/extended-hours-access/payment",
        2880000,
        "S09: £0.720 × 40000 registered",
    ),
    (
        "2022-23/enhanced-access/payment",
        15056000,
        "S09: £3.764 × 40000 registered",
    ),
    (
        "2022-23/care-home-premium/beds",
        720000,
        "S09: £120 × 60 beds",
    ),
    (
        "2022-23/arrs/sum",
        68861715,
        "S50: £16.70 × 41234.56 weighted",
    ),
    ("2022-23/iif/point", 1000000, "S78: £200 × 50 points"),
    (
        "2023-24/core-pcn-funding/registered",
        6000000,
        "S08: £1.50 × 40000 registered",
    ),
    (
        "2023-24/clinical-director/registered",
        2916000,
        "S08: £0.729 × 40000 registered",
    ),
    (
        "2023-24/pcn-leadership-management/adjusted",
        2727555,
        "S08: £0.684 × 39876.54 adjusted",
    ),
    (
        "2023-24/network-participation-payment/payment",
        7261406,
        "S03: £1.761 × 41234.56 weighted",
    ),
    (
        "2023-24/enhanced-access/payment",
        30218442,
        "S08: £7.578 × 39876.54 adjusted",
    ),
    (
        "2023-24/care-home-premium/beds",
        720000,
        "S08: £120 × 60 beds",
    ),
    (
        "2023-24/arrs/sum",
        93482871,
        "S23: £22.671 × 41234.56 weighted",
    ),
    ("2023-24/iif/point", 990000, "S78: £198 × 50 points"),
    (
        "2023-24/capacity-and-access-support/adjusted",
        11025863,
        "S08: £2.765 × 39876.54 adjusted",
    ),
    (
        "2023-24/capacity-and-access-improvement/adjusted",
        4725370,
        "S86: £1.185 × 39876.54 adjusted",
    ),
    (
        "2024-25/core-pcn-funding/registered",
        8872000,
        "S05 (first published; revised figure unknown): £2.218 × 40000 registered",
    ),
    (
        "2024-25/core-pcn-funding/adjusted",
        2783382,
        "S05 (first published; revised figure unknown): £0.698 × 39876.54 adjusted",
    ),
    (
        "2024-25/network-participation-payment/payment",
        7261406,
        "S137: £1.761 × 41234.56 weighted",
    ),
    (
        "2024-25/enhanced-access/payment",
        31801541,
        "S05 (revised): £7.975 × 39876.54 adjusted",
    ),
    (
        "2024-25/care-home-premium/beds",
        763200,
        "S05 (revised): £127.20 × 60 beds",
    ),
    (
        "2024-25/arrs/sum",
        94402402,
        "S23: £22.894 × 41234.56 weighted",
    ),
    (
        "2024-25/arrs-gp/sum",
        5372863,
        "S28: £1.303 × 41234.56 weighted",
    ),
    ("2024-25/iif/point", 990000, "S80: £198 × 50 points"),
    (
        "2024-25/capacity-and-access-support/adjusted",
        12951900,
        "S23: £3.248 × 39876.54 adjusted",
    ),
    (
        "2024-25/capacity-and-access-improvement/adjusted",
        5550814,
        "S06: £1.392 × 39876.54 adjusted",
    ),
    (
        "2025-26/core-pcn-funding/registered",
        9064000,
        "S06: £2.266 × 40000 registered",
    ),
    (
        "2025-26/core-pcn-funding/adjusted",
        2922950,
        "S06: £0.733 × 39876.54 adjusted",
    ),
    (
        "2025-26/network-participation-payment/payment",
        7261406,
        "R25: £1.761 × 41234.56 weighted",
    ),
    (
        "2025-26/enhanced-access/payment",
        33603960,
        "S06: £8.427 × 39876.54 adjusted",
    ),
    (
        "2025-26/care-home-premium/beds",
        781518,
        "S06: £130.253 × 60 beds",
    ),
    (
        "2025-26/arrs/sum",
        109811757,
        "S06: £26.631 × 41234.56 weighted",
    ),
    (
        "2025-26/capacity-and-access-support/adjusted",
        12792394,
        "S06: £3.208 × 39876.54 adjusted",
    ),
    (
        "2025-26/capacity-and-access-improvement/adjusted",
        5483024,
        "S06: £1.375 × 39876.54 adjusted",
    ),
];

#[test]
fn a_hand_worked_example_for_every_stream_of_every_year() {
    let rules = Rulebook::embedded().unwrap();
    let mut inputs = network(vec![member(
        "A81001",
        40_000,
        Some("41234.56"),
        "2019-01-01",
    )]);
    inputs.adjusted = Some(Figure::exact(dec("39876.54"), None));
    inputs.care_home_beds = Some(Figure::exact(60, None));
    inputs.iif_points = Some(Figure::exact(50, None));
    inputs.national_mean_list = Some(dec("40000"));
    let mut checked = 0;
    for year in rules.years() {
        let s = statement(year, &inputs, MissingInputs::Estimate).unwrap();
        for l in &s.lines {
            let Some((_, expected, source)) =
                EVERY_STREAM.iter().find(|(id, _, _)| *id == l.rule_id)
            else {
                // Only lines whose rate the rulebook does not know may lack an example.
                assert!(
                    matches!(l.status, LineStatus::NotComputed(_)),
                    "no hand-worked example for {}",
                    l.rule_id
                );
                continue;
            };
            assert_eq!(
                l.amount,
                Pence(*expected),
                "{} ({source}): {}",
                l.rule_id,
                l.working
            );
            checked += 1;
        }
    }
    assert_eq!(checked, EVERY_STREAM.len(), "every example matched a line");
}

#[test]
fn distribution_methods_parse_and_refuse_what_does_not_add_up() {
    assert_eq!(
        Distribution::parse("registered-list", None),
        Ok(Distribution::ByRegisteredList)
    );
    let p = Distribution::parse("percentages", Some("A81001=33.33; A81002=66.67")).unwrap();
    assert_eq!(
        p,
        Distribution::Percentages(vec![
            (PracticeCode::parse("A81001").unwrap(), 3_333),
            (PracticeCode::parse("A81002").unwrap(), 6_667)
        ])
    );
    assert!(
        Distribution::parse("percentages", Some("A81001=40;A81002=50"))
            .unwrap_err()
            .to_string()
            .contains("90%")
    );
    assert!(
        Distribution::parse("percentages", Some("A81001=33.333;A81002=66.667"))
            .unwrap_err()
            .to_string()
            .contains("two decimal places")
    );
    assert!(
        Distribution::parse("percentages", Some("A81001=50;A81001=50"))
            .unwrap_err()
            .to_string()
            .contains("twice")
    );
    assert!(Distribution::parse("percentages", None).is_err());
    assert!(Distribution::parse("equal", Some("A81001=100")).is_err());
    assert!(Distribution::parse("by-mood", None)
        .unwrap_err()
        .to_string()
        .contains("by-mood"));
}

#[test]
fn iif_by_indicator_with_the_prevalence_adjustment() {
    // IIF formula (des-rules §8, S80/S72/S83): points × £ per point × list-size adjustment ×
    // prevalence adjustment (PCN prevalence ÷ national prevalence). 2024/25, £198 a point (S80);
    // a PCN of 60,000 against a national mean of 48,000 (list-size adjustment 1.25):
    //   HI-03  30 points × 0.0061 ÷ 0.0055 = 33.2727… adjusted points
    //   CAN-04 20 points, not prevalence-adjusted
    //   198 × 1.25 × (33.2727… + 20) = 247.5 × 53.2727… = £13,185.00
    let year = &embedded_year("2024-25");
    let mut inputs = network(vec![member("A81001", 60_000, Some("60000"), "2024-01-01")]);
    inputs.national_mean_list = Some(dec("48000"));
    inputs.iif_indicators = vec![
        IifIndicatorPoints {
            indicator: Some("HI-03".into()),
            points: dec("30"),
            prevalence: Some((dec("0.0061"), dec("0.0055"))),
        },
        IifIndicatorPoints {
            indicator: Some("CAN-04".into()),
            points: dec("20"),
            prevalence: None,
        },
    ];
    let s = statement(year, &inputs, MissingInputs::Estimate).unwrap();
    let iif = iif_line(&s);
    assert_eq!(iif.amount, Pence(1_318_500), "{}", iif.working);
    assert!(
        iif.working.contains("HI-03") && iif.working.contains("prevalence adjustment"),
        "{}",
        iif.working
    );
    assert!(
        !iif.estimates.iter().any(|e| e.contains("prevalence")),
        "{:?}",
        iif.estimates
    );
}

#[test]
fn caip_2025_26_is_the_maximum_until_assessed() {
    // Pulse PCN (S06): CAIP £1.375 × adjusted population, two components worth one third and
    // two thirds. An adjusted population of 30,000: at most £41,250.00; a commissioner assessing
    // two thirds earned: £27,500.00.
    let year = &embedded_year("2025-26");
    let mut inputs = network(vec![member("A81001", 30_000, Some("30000"), "2025-01-01")]);
    inputs.adjusted = Some(Figure::exact(30_000, Some(d("2025-01-01"))));
    let caip = |inputs: &NetworkInputs| {
        let s = statement(year, inputs, MissingInputs::Estimate).unwrap();
        s.lines
            .iter()
            .find(|l| l.stream_id == "capacity-and-access-improvement")
            .unwrap()
            .clone()
    };
    let unassessed = caip(&inputs);
    assert_eq!(unassessed.amount, Pence(4_125_000));
    assert!(
        unassessed
            .estimates
            .iter()
            .any(|e| e.contains("not yet assessed")),
        "{:?}",
        unassessed.estimates
    );
    inputs.assessments = vec![(
        "capacity-and-access-improvement".parse().unwrap(),
        "2/3".parse().unwrap(),
    )];
    let assessed = caip(&inputs);
    assert_eq!(assessed.amount, Pence(2_750_000), "{}", assessed.working);
    assert!(assessed.estimates.is_empty(), "{:?}", assessed.estimates);
    assert!(
        assessed
            .working
            .contains("× 2/3 earned (commissioner's assessment)"),
        "{}",
        assessed.working
    );
    // The same share typed as a rounded decimal is taken as written: 3p more
    // over the year, which is why the store must keep the fraction itself.
    inputs.assessments = vec![(
        "capacity-and-access-improvement".parse().unwrap(),
        "0.666667".parse().unwrap(),
    )];
    assert_eq!(caip(&inputs).full_amount, Pence(2_750_001));
}

/// The CAIP line of a one-practice network with this adjusted population
/// (hundredths of a patient) and, when given, this assessment.
fn caip_line(adjusted_hundredths: i64, earned: Option<Fraction>) -> Line {
    // Parsed once: the property runs the engine a few hundred times.
    static RULES: std::sync::OnceLock<Rulebook> = std::sync::OnceLock::new();
    let rules = RULES.get_or_init(|| Rulebook::embedded().unwrap());
    let year = rules.year("2025-26").unwrap();
    let mut inputs = network(vec![member("A81001", 30_000, Some("30000"), "2025-01-01")]);
    inputs.adjusted = Some(Figure::exact(
        Decimal::new(adjusted_hundredths, 2),
        Some(d("2025-01-01")),
    ));
    if let Some(f) = earned {
        inputs.assessments = vec![("capacity-and-access-improvement".parse().unwrap(), f)];
    }
    let s = statement(year, &inputs, MissingInputs::Estimate).unwrap();
    s.lines
        .into_iter()
        .find(|l| l.stream_id == "capacity-and-access-improvement")
        .unwrap()
}

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For any population and any fraction a/b, the payment is
    /// round(£1.375 × population × a ÷ b) exactly (R01: the 2025/26 CAIP
    /// maximum is £1.375 × adjusted population), and a fraction and its
    /// complement add up to the unassessed maximum within the one rounding.
    #[test]
    fn an_assessed_payment_is_the_exact_fraction_rounded_once(
        adjusted_hundredths in 1i64..=50_000_000,
        (a, b) in (1u64..=100_000).prop_flat_map(|b| (0..=b, Just(b))),
    ) {
        let f = Fraction::new(a, b).unwrap();
        let line = caip_line(adjusted_hundredths, Some(f));
        // 1.375 × (n / 100) × a / b pounds = 1375 × n × a / (1000 × b) pence.
        let num = 1375 * i128::from(adjusted_hundredths) * i128::from(a);
        let den = 1000 * i128::from(b);
        let expected = (num / den + i128::from(2 * (num % den) >= den)) as i64;
        prop_assert_eq!(line.full_amount, Pence(expected), "{}", line.working);

        let whole = caip_line(adjusted_hundredths, None).full_amount;
        prop_assert_eq!(caip_line(adjusted_hundredths, Some(Fraction::ONE)).full_amount, whole);
        let rest = caip_line(adjusted_hundredths, Some(f.complement())).full_amount;
        prop_assert!((line.full_amount.0 + rest.0 - whole.0).abs() <= 1);
    }
}

#[test]
fn fixed_amounts_leave_the_rest_with_the_network() {
    let members = vec![
        member("A81001", 10_000, None, "2025-01-01"),
        member("A81002", 20_000, None, "2025-01-01"),
    ];
    let fixed = Distribution::parse("fixed", Some("A81001=1000;A81002=£2500.50")).unwrap();
    let r = distribute(Pence(1_000_000), Pence(100_000), &members, &fixed).unwrap();
    assert_eq!(
        r.shares.iter().map(|s| s.amount.0).collect::<Vec<_>>(),
        vec![100_000, 250_050]
    );
    assert_eq!(r.distributed, Pence(350_050));
    assert_eq!(
        r.top_slice + r.distributed,
        r.total,
        "the network keeps the rest"
    );
    assert!(matches!(
        distribute(Pence(300_000), Pence(0), &members, &fixed),
        Err(DistributionError::FixedTooLarge(..))
    ));
    assert!(Distribution::parse("fixed", Some("A81001=10.001"))
        .unwrap_err()
        .to_string()
        .contains("two decimal places"));
}
