//! The payment run assembled from the registry (`pcn_core::payrun`), tested
//! without a store: small registries written by hand, the embedded rules.

use pcn_core::facts::*;
use pcn_core::funding::{Distribution, Line, LineStatus, MemberInputs, NetworkPay, PayRun};
use pcn_core::money::Pence;
use pcn_core::payrun::{
    self, arrs_sum, list_extract_for, population_date, Agreement, Agreements, PayRunError,
    RunOptions, Selection,
};
use pcn_core::registry::Registry;
use pcn_core::rulebook::{FinancialYear, PaidTo, Rulebook};
use pcn_core::{CommissionerCode, Decimal, IcbCode, PcnCode, PracticeCode, SubIcbCode};

mod support;
use support::{d, pcn};

fn practice(code: &str, sub_icb: &str) -> PracticeFact {
    let mut p = PracticeFact::new(PracticeCode::parse(code).unwrap(), d("2024-01-01"));
    p.name = Some(format!("{code} SURGERY"));
    p.sub_icb = Some(SubIcbCode::parse(sub_icb).unwrap());
    p.icb = Some(IcbCode::parse("QAA").unwrap());
    p.status = Some(PracticeStatus::Active);
    p.prescribing_setting = Some(4);
    p
}

fn member(practice: &str, pcn: &str, start: &str, end: Option<&str>) -> MembershipInterval {
    MembershipInterval {
        practice: PracticeCode::parse(practice).unwrap(),
        pcn: PcnCode::parse(pcn).unwrap(),
        start: d(start),
        end: end.map(d),
    }
}

fn list(practice: &str, as_at: &str, total: u64) -> ListSizeFact {
    ListSizeFact {
        practice: PracticeCode::parse(practice).unwrap(),
        as_at: d(as_at),
        sex: Sex::All,
        total,
        bands: None,
    }
}

fn network(code: &str, sub_icb: &str) -> NetworkFact {
    let mut n = NetworkFact::new(PcnCode::parse(code).unwrap(), d("2024-01-01"));
    n.name = Some(format!("{code} PCN"));
    n.sub_icb = Some(SubIcbCode::parse(sub_icb).unwrap());
    n.open_date = Some(d("2019-07-01"));
    n
}

/// The member of a network's run with this practice code.
fn member_of<'a>(n: &'a NetworkPay, code: &str) -> &'a MemberInputs {
    n.members.iter().find(|m| m.code.as_str() == code).unwrap()
}

/// The line of a network's statement for this rule.
fn rule_line<'a>(n: &'a NetworkPay, rule: &str) -> &'a Line {
    n.statement
        .lines
        .iter()
        .find(|l| l.rule_id == rule)
        .unwrap()
}

/// The codes of the networks in a run, in its order.
fn codes(run: &PayRun) -> Vec<&str> {
    run.networks
        .iter()
        .map(|n| n.statement.pcn.as_str())
        .collect()
}

/// Two networks under 00A (ICB QAA) and one under 00B:
/// - U00001: A00001 and A00002 all year; A00003 joins on 1 October 2025
///   from U00002;
/// - U00002: A00003 until 30 September 2025, A00004;
/// - U00003 (00B): B00001, whose membership starts on 1 July 2025 (the
///   network's first members join part way).
///
/// Lists at 1 January 2024 and 1 January 2025 (the 2025/26 population date),
/// each 2025 list 1,000 larger than its 2024 one.
fn facts() -> FactBatch {
    let mut f = FactBatch::default();
    for (code, sub) in [
        ("A00001", "00A"),
        ("A00002", "00A"),
        ("A00003", "00A"),
        ("A00004", "00A"),
        ("B00001", "00B"),
    ] {
        f.practices.push(practice(code, sub));
    }
    f.networks = vec![
        network("U00001", "00A"),
        network("U00002", "00A"),
        network("U00003", "00B"),
    ];
    f.intervals = vec![
        member("A00001", "U00001", "2019-07-01", None),
        member("A00002", "U00001", "2019-07-01", None),
        member("A00003", "U00002", "2019-07-01", Some("2025-09-30")),
        member("A00003", "U00001", "2025-10-01", None),
        member("A00004", "U00002", "2019-07-01", None),
        member("B00001", "U00003", "2025-07-01", None),
    ];
    for (code, size) in [
        ("A00001", 12_000),
        ("A00002", 9_000),
        ("A00003", 7_000),
        ("A00004", 26_000),
        ("B00001", 31_000),
    ] {
        f.list_sizes.push(list(code, "2024-01-01", size));
        f.list_sizes.push(list(code, "2025-01-01", size + 1_000));
    }
    f
}

fn year() -> FinancialYear {
    "2025-26".parse().unwrap()
}

fn run(selection: &Selection, options: &RunOptions) -> PayRun {
    let rulebook = Rulebook::embedded().unwrap();
    let rules = rulebook.financial_year(year()).unwrap();
    let previous = rulebook.financial_year(year().previous()).ok();
    payrun::build(&Registry::new(facts()), rules, previous, selection, options).unwrap()
}

#[test]
fn the_population_date_is_the_first_of_january_before_the_year() {
    assert_eq!(population_date(year()), d("2025-01-01"));
    let registry = Registry::new(facts());
    assert_eq!(
        list_extract_for(&registry, d("2025-01-01")),
        Some(d("2025-01-01"))
    );
    assert_eq!(
        list_extract_for(&registry, d("2024-06-30")),
        Some(d("2024-01-01"))
    );
    // Before every extract: the earliest after it.
    assert_eq!(
        list_extract_for(&registry, d("2023-01-01")),
        Some(d("2024-01-01"))
    );
}

#[test]
fn members_are_paid_by_month_and_lists_are_those_of_the_population_date() {
    let run = run(&Selection::all(), &RunOptions::default());
    let u1 = run.network(&pcn("U00001")).unwrap();
    // A00003 is a member of U00001 from October only.
    let a3 = member_of(u1, "A00003");
    assert_eq!(a3.membership_months.as_ref().map(Vec::len), Some(6));
    // Registered lists at 1 January 2025 (the 2024 ones are 1,000 smaller).
    let a1 = member_of(u1, "A00001");
    assert_eq!(
        a1.registered.as_ref().map(|f| f.value),
        Some(Decimal::from(13_000))
    );
    // Network-level streams count the members of the first month: A00001
    // and A00002 (13,000 + 10,000), not A00003.
    let core = rule_line(u1, "2025-26/core-pcn-funding/registered");
    assert_eq!(core.basis_value, Some(Decimal::from(23_000)));
    assert_eq!(core.basis_as_at, Some(d("2025-01-01")));
    // The Network Participation Payment is paid to practices for their
    // months: A00003 is paid by both networks, six months each.
    let npp = |n: &str| {
        run.network(&pcn(n))
            .unwrap()
            .statement
            .lines
            .iter()
            .find(|l| l.stream_id == "network-participation-payment")
            .unwrap()
            .clone()
    };
    let in_u1 = npp("U00001");
    let in_u2 = npp("U00002");
    assert_eq!(in_u1.paid_to, PaidTo::Practice);
    let paid_to = |l: &Line, code: &str| {
        l.to_practices
            .iter()
            .find(|(c, _)| c.as_str() == code)
            .map(|(_, p)| *p)
            .unwrap_or(Pence::ZERO)
    };
    let whole_year = paid_to(&in_u1, "A00001");
    assert!(whole_year > Pence::ZERO);
    let a3_u1 = paid_to(&in_u1, "A00003");
    let a3_u2 = paid_to(&in_u2, "A00003");
    assert!(a3_u1 > Pence::ZERO && a3_u2 > Pence::ZERO);
    // Twelve months between them, on the same weighted estimate (its list).
    let a3_year = Pence(whole_year.0 * 8_000 / 13_000);
    assert!(
        (a3_u1 + a3_u2 - a3_year).0.abs() <= 1,
        "{a3_u1} + {a3_u2} vs {a3_year}"
    );
}

#[test]
fn a_network_whose_first_members_join_part_way_is_paid_from_that_month() {
    let run = run(&Selection::all(), &RunOptions::default());
    let u3 = run.network(&pcn("U00003")).unwrap();
    let core = rule_line(u3, "2025-26/core-pcn-funding/registered");
    assert_eq!(core.months_paid, 9, "July to March");
    assert_eq!(core.status, LineStatus::Scheduled);
    assert_eq!(
        core.schedule.first().map(|i| i.month),
        Some(d("2025-07-01"))
    );
}

#[test]
fn the_national_mean_list_is_over_every_network_whatever_the_selection() {
    let all = run(&Selection::all(), &RunOptions::default());
    let one = run(&Selection::network(pcn("U00002")), &RunOptions::default());
    assert_eq!(one.networks.len(), 1);
    let mean = |r: &PayRun| {
        r.network(&pcn("U00002"))
            .unwrap()
            .statement
            .lines
            .iter()
            .find(|l| l.stream_id == "investment-and-impact-fund")
            .map(|l| l.working.clone())
    };
    assert_eq!(mean(&all), mean(&one));
}

#[test]
fn a_commissioner_selects_by_sub_icb_or_icb() {
    for (commissioner, expected) in [
        ("00b", &["U00003"][..]),
        ("QAA", &["U00001", "U00002", "U00003"]),
    ] {
        let selected = run(
            &Selection::commissioner(CommissionerCode::parse(commissioner).unwrap()),
            &RunOptions::default(),
        );
        assert_eq!(codes(&selected), expected, "{commissioner}");
    }
}

#[test]
fn an_agreement_divides_the_network_money_after_its_top_slice() {
    let mut agreements = Agreements::new();
    agreements.insert(
        pcn("U00002"),
        Agreement {
            method: Distribution::Equal,
            top_slice_percent: Decimal::from(10),
        },
    );
    let options = RunOptions {
        agreements,
        ..RunOptions::default()
    };
    let run = run(&Selection::all(), &options);
    let u2 = run.network(&pcn("U00002")).unwrap();
    let d = u2.distribution.as_ref().unwrap();
    let total = u2.statement.totals.scheduled_to_network;
    assert_eq!(d.total, total);
    assert_eq!(
        d.top_slice,
        Pence::from_pounds(total.to_pounds() / Decimal::from(10)).unwrap()
    );
    let shares: Pence = d.shares.iter().map(|s| s.amount).sum();
    assert_eq!(shares + d.top_slice, total);
    // Networks without an agreement are not divided.
    assert!(run
        .networks
        .iter()
        .filter(|n| n.statement.pcn != pcn("U00002"))
        .all(|n| n.distribution.is_none()));
}

#[test]
fn a_network_without_members_that_year_is_refused_by_name() {
    let rulebook = Rulebook::embedded().unwrap();
    let rules = rulebook.financial_year(year()).unwrap();
    let err = payrun::build(
        &Registry::new(facts()),
        rules,
        None,
        &Selection::network(pcn("U09999")),
        &RunOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, PayRunError::NoSuchNetwork { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "no network U09999 with members on 2025-04-01"
    );
}

#[test]
fn the_arrs_sum_is_the_arrs_line() {
    let run = run(&Selection::network(pcn("U00001")), &RunOptions::default());
    let s = &run.networks[0].statement;
    let line = s.lines.iter().find(|l| l.stream_id == "arrs").unwrap();
    assert_eq!(arrs_sum(s), Some(line.amount));
    assert!(line.amount > Pence::ZERO);
}

#[test]
fn an_agreement_that_no_longer_fits_leaves_the_money_undivided_and_says_why() {
    // Percentages recorded for U00001's members on 1 April: A00003, which
    // joins in October, has no share.
    let mut agreements = Agreements::new();
    agreements.insert(
        pcn("U00001"),
        Agreement {
            method: Distribution::parse("percentages", Some("A00001=60;A00002=40")).unwrap(),
            top_slice_percent: Decimal::ZERO,
        },
    );
    let options = RunOptions {
        agreements,
        ..RunOptions::default()
    };
    let run = run(&Selection::all(), &options);
    assert_eq!(run.networks.len(), 3, "the rest of the run stands");
    let u1 = run.network(&pcn("U00001")).unwrap();
    assert!(u1.distribution.is_none());
    let problem = u1.distribution_problem.as_deref().unwrap();
    assert!(problem.contains("A00003"), "{problem}");
}

/// A change to one network's governance or agreement: the network worked
/// out again in the context kept from before the change is the network as a
/// whole run after it gives, for a network described at the membership date
/// and for one whose members join part way.
#[test]
fn one_network_worked_out_again_is_the_network_of_a_whole_run() {
    let rulebook = Rulebook::embedded().unwrap();
    let rules = rulebook.financial_year(year()).unwrap();
    let previous = rulebook.financial_year(year().previous()).ok();
    let before = Registry::new(facts());
    let context = payrun::YearContext::new(&before, rules, None);
    let json = |pay: &NetworkPay| serde_json::to_value(pay).unwrap();
    for (code, payee) in [("U00001", "A00002"), ("U00003", "B00001")] {
        let governance = vec![
            GovernanceFact {
                pcn: pcn(code),
                field: GovernanceField::NominatedPayee,
                value: payee.to_string(),
                effective_from: d("2019-07-01"),
            },
            GovernanceFact {
                pcn: pcn(code),
                field: GovernanceField::NetworkAgreementSigned,
                value: "2019-06-30".to_string(),
                effective_from: d("2019-07-01"),
            },
        ];
        let after = before.with_governance_of(&pcn(code), governance);
        let mut options = RunOptions::default();
        options.agreements.insert(
            pcn(code),
            Agreement {
                method: Distribution::Equal,
                top_slice_percent: Decimal::from(5),
            },
        );
        let whole = payrun::build(&after, rules, previous, &Selection::all(), &options).unwrap();
        let expected = whole.network(&pcn(code)).unwrap();
        let again = context
            .network_pay(&after, rules, previous, &pcn(code), &options)
            .unwrap()
            .unwrap();
        assert_eq!(
            again.statement.payee.as_ref().map(ToString::to_string),
            Some(payee.to_string())
        );
        assert!(again.at_risk.is_empty(), "{code}: {:?}", again.at_risk);
        assert_eq!(json(&again), json(expected), "{code}");
        // Before the change the same network had neither.
        let old = context
            .network_pay(&before, rules, previous, &pcn(code), &RunOptions::default())
            .unwrap()
            .unwrap();
        assert!(old.statement.payee.is_none() && !old.at_risk.is_empty());
    }
    assert!(context
        .network_pay(
            &before,
            rules,
            previous,
            &pcn("U09999"),
            &RunOptions::default()
        )
        .unwrap()
        .is_none());
}

/// A practice's membership changed by hand: the context worked out again
/// for that practice, and the networks it names worked out again in it, give
/// every network of a whole run after the change (the others unchanged);
/// a change that moves the national mean list asks for a whole run.
#[test]
fn a_membership_change_works_out_its_networks_alone() {
    let rulebook = Rulebook::embedded().unwrap();
    let rules = rulebook.financial_year(year()).unwrap();
    let previous = rulebook.financial_year(year().previous()).ok();
    let before = Registry::new(facts());
    let context = payrun::YearContext::new(&before, rules, None);
    let options = RunOptions::default();
    let json = |pay: &NetworkPay| serde_json::to_value(pay).unwrap();
    for (practice, to, from, networks) in [
        // Part way through the year, between two networks of 00A.
        ("A00002", "U00002", "2025-11-01", vec!["U00001", "U00002"]),
        // From the membership date, into another network of 00A.
        ("A00004", "U00001", "2025-04-01", vec!["U00001", "U00002"]),
        // Into the network whose own members join in July: it is now paid
        // from May, and described as at May.
        ("A00004", "U00003", "2025-05-01", vec!["U00002", "U00003"]),
        // Out of every network after the membership date.
        ("A00001", "U", "2026-01-01", vec!["U00001"]),
    ] {
        let code = PracticeCode::parse(practice).unwrap();
        let change = MembershipChange {
            practice: code.clone(),
            pcn: pcn(to),
            effective_from: d(from),
        };
        let after = before.with_membership_changes_of(&code, vec![change]);
        let (next, changed) = context
            .with_membership_of(&after, &code)
            .expect("the national mean list is unchanged");
        let changed: Vec<&str> = changed.iter().map(|c| c.as_str()).collect();
        assert_eq!(changed, networks, "{practice} to {to}");
        let whole = payrun::build(&after, rules, previous, &Selection::all(), &options).unwrap();
        for expected in &whole.networks {
            let code = &expected.statement.pcn;
            let again = next
                .network_pay(&after, rules, previous, code, &options)
                .unwrap()
                .unwrap();
            assert_eq!(json(&again), json(expected), "{practice} to {to}: {code}");
        }
        let a_whole_run_before =
            payrun::build(&before, rules, previous, &Selection::all(), &options).unwrap();
        let moved = a_whole_run_before.network(&pcn(networks[0])).unwrap();
        let now = whole.network(&pcn(networks[0])).unwrap();
        assert_ne!(json(moved), json(now), "{practice} to {to} changed nothing");
    }
    // From the membership date out of every network, or into a network that
    // had no members then: the national mean list moves, and with it every
    // network's money.
    for (practice, to) in [("A00003", "U"), ("A00004", "U00003")] {
        let code = PracticeCode::parse(practice).unwrap();
        let change = MembershipChange {
            practice: code.clone(),
            pcn: pcn(to),
            effective_from: d("2025-04-01"),
        };
        let after = before.with_membership_changes_of(&code, vec![change]);
        assert!(
            context.with_membership_of(&after, &code).is_none(),
            "{practice}"
        );
    }
}

/// A weighted population not held at the population date, where the
/// registered list of that date is: the list times the practice's
/// weighted-to-registered ratio of the latest date both are held; without
/// that list, the straight line; a weighted figure of the date wins.
#[test]
fn a_weighted_population_is_estimated_from_the_list_of_the_date_and_the_ratio() {
    use pcn_core::funding::Figure;
    use pcn_core::payrun::weighted_at;
    let date = d("2025-01-01");
    let weighted = [
        (d("2024-08-15"), Decimal::from(11_000)),
        (d("2025-08-15"), Decimal::from(12_000)),
    ];
    let registered_series = [
        (d("2023-08-15"), Decimal::from(9_000)),
        (d("2024-08-15"), Decimal::from(10_000)),
        (d("2025-01-01"), Decimal::from(10_500)),
        (d("2025-08-15"), Decimal::from(10_800)),
    ];
    let list = Figure::exact(10_500, Some(date));
    let by_ratio = weighted_at(&weighted, &registered_series, Some(&list), date).unwrap();
    assert_eq!(by_ratio.value, Decimal::from(11_550));
    assert_eq!(by_ratio.as_at, Some(date));
    let why = by_ratio.estimate.unwrap();
    assert!(why.contains("ratio of 2024-08-15"), "{why}");
    // A list that is itself an estimate: the straight line.
    let estimated = Figure {
        estimate: Some("a guess".into()),
        ..list.clone()
    };
    let line = weighted_at(&weighted, &registered_series, Some(&estimated), date).unwrap();
    assert!(line.estimate.unwrap().contains("straight line"));
    assert_eq!(line.value, Decimal::new(1_138_082, 2));
    // The ratio of a date after, when none is before.
    let later_only = [(d("2025-08-15"), Decimal::from(12_000))];
    let after = weighted_at(&later_only, &registered_series, Some(&list), date).unwrap();
    assert_eq!(
        after.value,
        (Decimal::from(10_500) * Decimal::from(12_000) / Decimal::from(10_800)).round_dp(2)
    );
    // A weighted figure of the date itself is used as it is.
    let held = [(date, Decimal::from(11_111))];
    let exact = weighted_at(&held, &registered_series, Some(&list), date).unwrap();
    assert_eq!((exact.value, exact.estimate), (Decimal::from(11_111), None));
}

/// A PCN adjusted population not held at the population date, where every
/// member of the network's first month has its registered list of that date:
/// the sum of each list times the member's adjusted-to-registered ratio of
/// the practice-level adjusted populations (here of 1 January 2026), not the
/// network's figure of 2026. A network figure of the date wins; a member
/// with no ratio leaves the network's own figure.
#[test]
fn an_adjusted_population_is_estimated_from_the_members_lists_and_ratios() {
    use pcn_core::funding::Figure;
    use pcn_core::payrun::adjusted_at;
    use pcn_core::rulebook::Basis;
    let adjusted = |subject: PopulationSubject, as_at: &str, value: i64| PopulationFact {
        subject,
        kind: PopulationKind::Adjusted,
        as_at: d(as_at),
        value: Decimal::from(value),
    };
    let practice = |c: &str| PopulationSubject::Practice(PracticeCode::parse(c).unwrap());
    let mut f = facts();
    // 2026: A00001 13,500 registered, 14,850 adjusted (1.1); A00002 10,000
    // and 9,500 (0.95); U00001's own figure 30,000.
    f.list_sizes.push(list("A00001", "2026-01-01", 13_500));
    f.list_sizes.push(list("A00002", "2026-01-01", 10_000));
    f.populations.extend([
        adjusted(practice("A00001"), "2026-01-01", 14_850),
        adjusted(practice("A00002"), "2026-01-01", 9_500),
        adjusted(
            PopulationSubject::Network(pcn("U00001")),
            "2026-01-01",
            30_000,
        ),
        adjusted(
            PopulationSubject::Network(pcn("U00002")),
            "2025-01-01",
            33_333,
        ),
    ]);
    let registry = Registry::new(f);
    let date = d("2025-01-01");
    let member = |c: &str, list: u64| MemberInputs {
        code: PracticeCode::parse(c).unwrap(),
        name: None,
        registered: Some(Figure::exact(list, Some(date))),
        weighted: None,
        membership_months: None,
    };
    let (a1, a2) = (member("A00001", 13_000), member("A00002", 10_000));
    // 13,000 × 1.1 + 10,000 × 0.95 = 23,800.
    let estimate = adjusted_at(&registry, &pcn("U00001"), &[&a1, &a2], date).unwrap();
    assert_eq!(estimate.value, Decimal::from(23_800));
    assert_eq!(estimate.as_at, Some(date));
    assert!(estimate.estimate.unwrap().contains("ratio of 2026-01-01"));
    // A member with no practice-level adjusted figure: the network's own
    // (nearest) figure.
    let a3 = member("A00003", 8_000);
    let fallback = adjusted_at(&registry, &pcn("U00001"), &[&a1, &a3], date).unwrap();
    assert_eq!(fallback.value, Decimal::from(30_000));
    assert!(fallback.estimate.is_some());
    // The network's figure of the date is used as it is.
    let held = adjusted_at(&registry, &pcn("U00002"), &[&a1], date).unwrap();
    assert_eq!((held.value, held.estimate), (Decimal::from(33_333), None));

    // Through the run: U00001's first month has A00001 (13,000 at 1 January
    // 2025) and A00002 (10,000); A00003 joins in October.
    let rulebook = Rulebook::embedded().unwrap();
    let rules = rulebook.financial_year(year()).unwrap();
    let previous = rulebook.financial_year(year().previous()).ok();
    let run = payrun::build(
        &registry,
        rules,
        previous,
        &Selection::network(pcn("U00001")),
        &RunOptions::default(),
    )
    .unwrap();
    let lines: Vec<_> = run.networks[0]
        .statement
        .lines
        .iter()
        .filter(|l| l.basis == Basis::AdjustedPopulation && l.status == LineStatus::Scheduled)
        .collect();
    assert!(!lines.is_empty());
    for l in lines {
        assert_eq!(l.basis_value, Some(Decimal::from(23_800)), "{}", l.rule_id);
    }
}
