//! Reconciliation, hand-worked: a small rulebook year (core £1.50, clinical
//! director £0.722, extended hours £1.44 per registered patient, the Network
//! Participation Payment £1.761 per weighted patient, as in 2021-22), three
//! networks, and payments that give each cause; then properties of timing.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use pcn_core::funding::*;
use pcn_core::money::Pence;
use pcn_core::reconcile::*;
use pcn_core::rulebook::{Basis, Rulebook, YearRules};
use pcn_core::{PaymentActualFact, PracticeCode, SubIcbCode};
use proptest::prelude::*;

mod support;
use support::{d, dec, pcn, per_patient, stream};

fn rules() -> YearRules {
    let year = ("2021-04-01", "2022-03-31");
    let registered = |rate| per_patient("registered", rate, "registered-list", "2021-01-01");
    let text = [
        "financial_year = \"2021-22\"\n[specification]\ndocument = \"test\"".to_string(),
        stream(
            "core-pcn-funding",
            "Core PCN funding",
            "pcn",
            year,
            &registered("1.50"),
        ),
        stream(
            "clinical-director",
            "Clinical director",
            "pcn",
            year,
            &registered("0.722"),
        ),
        stream(
            "clinical-director-vaccination-uplift",
            "Clinical director uplift",
            "pcn",
            ("2021-04-01", "2021-06-30"),
            &registered("2.166"),
        ),
        stream(
            "extended-hours-access",
            "Extended hours access",
            "pcn",
            year,
            &per_patient("payment", "1.44", "registered-list", "2021-01-01"),
        ),
        stream(
            "network-participation-payment",
            "Network Participation Payment",
            "practice",
            year,
            &per_patient("payment", "1.761", "weighted-population", "2021-01-01"),
        ),
    ]
    .concat();
    Rulebook::from_sources(&[("rules/2021-22.toml", text.as_str())])
        .unwrap()
        .year("2021-22")
        .unwrap()
        .clone()
}

fn code(c: &str) -> PracticeCode {
    PracticeCode::parse(c).unwrap()
}

fn member(c: &str, registered: u64, weighted: &str) -> MemberInputs {
    MemberInputs {
        code: code(c),
        name: None,
        registered: Some(Figure::exact(registered, Some(d("2021-01-01")))),
        weighted: Some(Figure::exact(dec(weighted), Some(d("2021-01-01")))),
        membership_months: None,
    }
}

fn network_pay(
    rules: &YearRules,
    c: &str,
    payee: &str,
    members: Vec<MemberInputs>,
) -> std::sync::Arc<NetworkPay> {
    let inputs = NetworkInputs {
        name: Some(format!("{c} PCN")),
        commissioner: Some(SubIcbCode::parse("16C").unwrap()),
        payee: Some(code(payee)),
        ..NetworkInputs::new(pcn(c), members.clone())
    };
    std::sync::Arc::new(NetworkPay {
        statement: statement(rules, &inputs, MissingInputs::Estimate).unwrap(),
        members,
        distribution_method: None,
        distribution_problem: None,
        at_risk: Vec::new(),
        distribution: None,
    })
}

/// U00001: A00001 (10,000 registered, 11,000 weighted) and A00002 (20,000;
/// 19,000), payee A00001. Owed a year: core £45,000.00, clinical director
/// £21,660.00, extended hours £43,200.00, participation £19,371.00 to
/// A00001 and £33,459.00 to A00002. U00002: A00003 (40,000; 40,000), payee
/// A00003: core £60,000.00, clinical director £28,880.00, extended hours
/// £57,600.00, participation £70,440.00.
fn run() -> PayRun {
    let rules = rules();
    PayRun {
        financial_year: rules.financial_year,
        membership_as_at: d("2021-04-01"),
        missing: MissingInputs::Estimate,
        networks: vec![
            network_pay(
                &rules,
                "U00001",
                "A00001",
                vec![
                    member("A00001", 10_000, "11000"),
                    member("A00002", 20_000, "19000"),
                ],
            ),
            network_pay(
                &rules,
                "U00002",
                "A00003",
                vec![member("A00003", 40_000, "40000")],
            ),
        ],
    }
}

fn paid(practice: &str, network: Option<&str>, column: &str, pounds: &str) -> PaymentActualFact {
    PaymentActualFact {
        practice: code(practice),
        pcn: network.map(pcn),
        financial_year: "2021-22".into(),
        stream: column.into(),
        amount: Pence::from_pounds(dec(pounds)).unwrap().0,
    }
}

fn item<'a>(r: &'a Reconciliation, network: &str, group: &str) -> &'a Item {
    r.networks
        .iter()
        .find(|n| n.pcn.as_str() == network)
        .and_then(|n| n.items.iter().find(|i| i.group == group))
        .unwrap_or_else(|| panic!("no {group} for {network}"))
}

/// The national summary of a group.
fn national<'a>(r: &'a Reconciliation, group: &str) -> &'a GroupSummary {
    r.national
        .iter()
        .find(|g| g.group == group)
        .unwrap_or_else(|| panic!("no national {group}"))
}

#[test]
fn every_cause_from_the_payments_file() {
    let run = run();
    let actuals = vec![
        // U00001: core in full.
        paid("A00001", Some("U00001"), "PCN Support", "45000.00"),
        // U00001: the clinical director and the leadership payment share a
        // column in 2021-22; 11 of 12 months paid: £21,660 × 11 ÷ 12.
        paid("A00001", Some("U00001"), "PCN Leadership", "19855.00"),
        // U00001: extended hours paid to a practice that is not a member.
        paid(
            "A00009",
            Some("U00001"),
            "PCN Extended Hours Access",
            "43200.00",
        ),
        // U00001: participation on 29,000 weighted patients instead of 30,000:
        // £1.761 × 29,000 = £51,069.00, across the two practices.
        paid("A00001", Some("U00001"), "PCN Participation", "18000.00"),
        paid("A00002", Some("U00001"), "PCN Participation", "33069.00"),
        // U00002: core at £1.60 instead of £1.50: £64,000.00.
        paid("A00003", Some("U00002"), "PCN Support", "64000.00"),
        // U00002: the leadership column paid to its payee, the file naming no
        // network, with the optional April–June uplift: £28,880.00 + £2.166 ×
        // 40,000 × 3 ÷ 12 = £28,880.00 + £21,660.00.
        paid("A00003", None, "PCN Leadership", "50540.00"),
        // U00003 has no statement.
        paid("A00004", Some("U00003"), "PCN Support", "100.00"),
        // A practice nobody knows, with no network.
        paid("A00005", None, "PCN Extended Hours Access", "12.00"),
        // Another year: left out.
        PaymentActualFact {
            financial_year: "2020-21".into(),
            ..paid("A00001", Some("U00001"), "PCN Support", "1.00")
        },
        // Not compared: ARRS claims.
        paid("A00001", Some("U00001"), "PCN Workforce", "50000.00"),
    ];
    let mut options = ReconcileOptions::default();
    options.alternatives.insert(
        pcn("U00001"),
        vec![AlternativeBasis {
            basis: Basis::WeightedPopulation,
            label: "weighted population at 2021-08-15".into(),
            value: dec("29000"),
        }],
    );
    let r = reconcile_payments(&run, &actuals, &options);

    let core = item(&r, "U00001", "PCN Support");
    assert_eq!(core.owed, Pence(4_500_000));
    assert_eq!(core.paid, Pence(4_500_000));
    assert_eq!(core.cause, Cause::PaidInFull);
    assert_eq!(core.months_paid, Some(dec("12.0")));
    assert!(core.full_year);

    let cd = item(&r, "U00001", "PCN Leadership");
    assert_eq!(cd.owed, Pence(2_166_000));
    assert_eq!(cd.difference, Pence(-180_500));
    assert_eq!(cd.difference_percent, Some(dec("-8.33")));
    assert_eq!(
        cd.cause,
        Cause::Timing {
            months_paid: 11,
            months_owed: 12
        }
    );
    assert_eq!(cd.difference_after_timing, Pence(0));
    assert_eq!(cd.months_paid, Some(dec("11.0")));

    let eha = item(&r, "U00001", "PCN Extended Hours Access");
    assert_eq!(
        eha.cause,
        Cause::PaidOutsideNetwork {
            practices: vec![code("A00009")],
            amount: Pence(4_320_000)
        }
    );
    assert!(!eha.recipients[0].member);

    let npp = item(&r, "U00001", "PCN Participation");
    assert_eq!(npp.owed, Pence(1_937_100 + 3_345_900));
    assert_eq!(npp.paid, Pence(5_106_900));
    assert_eq!(
        npp.cause,
        Cause::PopulationBasis {
            figure: "weighted population at 2021-08-15".into()
        }
    );
    // Explained by another basis, but the statement's own figure is what
    // is measured: the difference stays.
    assert_eq!(npp.difference_after_timing, Pence(-176_100));
    assert_eq!(npp.difference_after_timing, npp.difference);

    let core2 = item(&r, "U00002", "PCN Support");
    assert_eq!(
        core2.cause,
        Cause::Rate {
            implied_rate: Some(dec("1.6")),
            rulebook_rate: Some(dec("1.50"))
        }
    );
    let cd2 = item(&r, "U00002", "PCN Leadership");
    assert_eq!(cd2.cause, Cause::PaidInFull);
    assert_eq!(cd2.owed, Pence(5_054_000));
    assert_eq!(
        cd2.optional_included,
        vec!["clinical-director-vaccination-uplift".to_string()]
    );
    assert!(
        item(&r, "U00001", "PCN Leadership")
            .optional_included
            .is_empty(),
        "timing explains U00001 without the uplift"
    );
    assert_eq!(cd2.recipients[0].attributed_by, Attribution::Payee);
    assert_eq!(
        item(&r, "U00002", "PCN Extended Hours Access").cause,
        Cause::NotPaid
    );
    assert_eq!(
        item(&r, "U00002", "PCN Participation").cause,
        Cause::NotPaid
    );

    let orphan = r
        .networks
        .iter()
        .find(|n| n.pcn.as_str() == "U00003")
        .unwrap();
    assert!(!orphan.in_statement);
    assert_eq!(orphan.items[0].cause, Cause::PaidNotOwed);
    assert_eq!(
        r.unattributed,
        vec![Unattributed {
            practice: code("A00005"),
            group: "PCN Extended Hours Access".into(),
            amount: Pence(1_200),
        }]
    );
    assert_eq!(r.not_compared.len(), 2, "{:?}", r.not_compared);
    assert_eq!(r.not_compared[0].0, "PCN Investment and impact Fund");
    assert_eq!(r.not_compared[1].0, "PCN Workforce");
    assert_eq!(r.not_compared[1].1, Pence(5_000_000));

    // National summary of the core column: owed to two networks, paid to three.
    let support = national(&r, "PCN Support");
    assert_eq!(support.owed, Pence(4_500_000 + 6_000_000));
    assert_eq!(support.paid, Pence(4_500_000 + 6_400_000 + 10_000));
    assert_eq!(support.networks_owed, 2);
    assert_eq!(support.networks_paid, 3);
    assert_eq!(support.before_timing.compared, 2);
    assert_eq!(support.before_timing.within_1, 1);
    assert_eq!(support.before_timing.within_5, 1, "6.67% is outside 5%");
    assert_eq!(
        support.before_timing.median_percent,
        Some(dec("3.34")),
        "3.335, two places"
    );
    let leadership = national(&r, "PCN Leadership");
    assert_eq!(leadership.before_timing.within_2, 1);
    assert_eq!(leadership.after_timing.within_1, 2, "timing allowed for");
    assert_eq!(
        leadership.full_year_after_timing.compared, 1,
        "U00002's item holds the three-month uplift"
    );
    // Paid the full year: U00002 in full; U00001's eleven months are timing.
    assert_eq!(leadership.paid_full_year.compared, 1);
    assert_eq!(leadership.paid_full_year.within_1, 1);
    let mut causes = BTreeMap::new();
    causes.insert("paid in full".to_string(), 1);
    causes.insert("timing".to_string(), 1);
    assert_eq!(leadership.causes, causes);
    assert_eq!(
        r.by_commissioner.len(),
        2,
        "16C and the network with no statement"
    );
}

/// A line the statement could not compute (no care home beds held) is
/// "owed unknown": in JSON its owed amount and differences are null, never
/// 0, and the amount paid stays.
#[test]
fn an_unknown_amount_owed_is_null_in_json() {
    let unknown = Item {
        group: "PCN Care Home Premium".into(),
        streams: vec!["care-home-premium".into()],
        optional_included: Vec::new(),
        owed: Pence::ZERO,
        paid: Pence(1_198_500),
        difference: Pence(1_198_500),
        difference_percent: None,
        months_owed: 0,
        months_paid: None,
        full_year: false,
        cause: Cause::OwedUnknown {
            reason: "beds not recorded".into(),
        },
        difference_after_timing: Pence(1_198_500),
        difference_after_timing_percent: None,
        estimated: false,
        recipients: Vec::new(),
        months_with_payment: Vec::new(),
    };
    let v = serde_json::to_value(&unknown).unwrap();
    assert!(v["owed"].is_null(), "{v}");
    assert!(v["difference"].is_null(), "{v}");
    assert!(v["difference_after_timing"].is_null(), "{v}");
    assert_eq!(v["paid"], 1_198_500);
    assert_eq!(v["cause"]["cause"], "owed_unknown");
    assert!(v.get("optional_included").is_none());

    // A known amount owed, even £0 owed and paid, stays a number.
    let known = Item {
        cause: Cause::PaidNotOwed,
        ..unknown
    };
    let v = serde_json::to_value(&known).unwrap();
    assert_eq!(v["owed"], 0);
    assert_eq!(v["difference"], 1_198_500);
}

/// The Network Participation Payment is paid to each member: U00001's
/// A00001 (owed £19,371.00, £1,614.25 a month) paid 11 months and A00002
/// (owed £33,459.00, £2,788.25 a month) paid 13 months. Together £54,004.00
/// against £52,830.00 owed (+2.22%), 12.3 of the network's months, which
/// network timing cannot explain (the nearest whole number is the twelve
/// owed): each member's months can. Such a network is not paid the full
/// year; a member paid other than a whole number of its months leaves the
/// item at rate.
#[test]
fn members_paid_different_months_are_timing_by_practice() {
    let run = run();
    let npp = |a00002: &str| {
        vec![
            paid("A00001", Some("U00001"), "PCN Participation", "17756.75"),
            paid("A00002", Some("U00001"), "PCN Participation", a00002),
            paid("A00003", Some("U00002"), "PCN Participation", "70440.00"),
        ]
    };
    let r = reconcile_payments(&run, &npp("36247.25"), &ReconcileOptions::default());
    let i = item(&r, "U00001", "PCN Participation");
    assert_eq!(i.owed, Pence(5_283_000));
    assert_eq!(i.paid, Pence(5_400_400));
    assert_eq!(i.difference_percent, Some(dec("2.22")));
    assert_eq!(i.months_paid, Some(dec("12.3")));
    assert_eq!(
        i.cause,
        Cause::TimingByPractice {
            members: vec![
                MemberMonths {
                    practice: code("A00001"),
                    months_paid: 11,
                    months_owed: 12
                },
                MemberMonths {
                    practice: code("A00002"),
                    months_paid: 13,
                    months_owed: 12
                },
            ]
        }
    );
    assert_eq!(
        i.cause.describe(),
        "timing by practice: A00001 11 of 12 months, A00002 13 of 12 months"
    );
    assert!(i.cause.is_explained());
    assert_eq!(i.difference_after_timing, Pence(0));
    assert_eq!(i.difference_after_timing_percent, Some(dec("0.00")));
    let summary = national(&r, "PCN Participation");
    // U00001's members were not all paid twelve months: only U00002 (in
    // full) is measured as paid the full year.
    assert_eq!(summary.paid_full_year.compared, 1);
    assert_eq!(summary.paid_full_year.within_1, 1);
    assert_eq!(summary.after_timing.compared, 2);
    assert_eq!(summary.after_timing.within_1, 2);
    assert_eq!(summary.causes.get("timing by practice"), Some(&1));

    // Both members paid 11 months: the network's own months fit, so it is
    // network timing, not by practice.
    let r = reconcile_payments(&run, &npp("30670.75"), &ReconcileOptions::default());
    assert_eq!(
        item(&r, "U00001", "PCN Participation").cause,
        Cause::Timing {
            months_paid: 11,
            months_owed: 12
        }
    );

    // A00002 paid 13.5 of its months: not a whole number, so rate.
    let r = reconcile_payments(&run, &npp("37641.38"), &ReconcileOptions::default());
    let i = item(&r, "U00001", "PCN Participation");
    assert!(matches!(i.cause, Cause::Rate { .. }), "{:?}", i.cause);
    let summary = national(&r, "PCN Participation");
    assert_eq!(summary.paid_full_year.compared, 2);
    assert_eq!(summary.paid_full_year.within_2, 1);
}

#[test]
fn remittances_month_by_month() {
    let run = run();
    let month = |m: u32| {
        let y = if m >= 4 { 2021 } else { 2022 };
        NaiveDate::from_ymd_opt(y, m, 1).unwrap()
    };
    let mut rows = Vec::new();
    // U00001's remittance for a month (each row numbered as in the file).
    let mut remit = |month: NaiveDate, stream: &str, amount: i64| {
        rows.push(Remittance {
            pcn: pcn("U00001"),
            month,
            stream: stream.parse().unwrap(),
            amount: Pence(amount),
            row: rows.len() as u64 + 2,
        })
    };
    for m in [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3] {
        remit(month(m), "core-pcn-funding", 375_000);
    }
    // Ten months of the clinical director (£1,805.00 a month).
    for m in [4, 5, 6, 7, 8, 9, 10, 11, 12, 1] {
        remit(month(m), "clinical-director", 180_500);
    }
    // A month outside the year is left out.
    remit(d("2022-04-01"), "core-pcn-funding", 1);
    let r = reconcile_remittances(&run, &rows, &ReconcileOptions::default());
    assert_eq!(r.networks.len(), 1, "only U00001 sent remittances");
    let core = item(&r, "U00001", "core-pcn-funding");
    assert_eq!(core.cause, Cause::PaidInFull);
    assert_eq!(core.months_with_payment.len(), 12);
    let cd = item(&r, "U00001", "clinical-director");
    assert_eq!(
        cd.cause,
        Cause::Timing {
            months_paid: 10,
            months_owed: 12
        }
    );
    assert_eq!(cd.months_with_payment.last(), Some(&d("2022-01-01")));
    assert_eq!(
        item(&r, "U00001", "extended-hours-access").cause,
        Cause::NotPaid
    );
}

#[test]
fn the_column_map_covers_every_year_once_per_column() {
    use pcn_core::rulebook::FinancialYear;
    for start in 2019..=2026 {
        let year = FinancialYear::starting(start);
        let mut seen = Vec::new();
        for m in published_columns(year) {
            for c in m.columns {
                assert!(!seen.contains(c), "{c} mapped twice in {year}");
                seen.push(c);
            }
            assert!(!m.reason.is_empty());
        }
        assert!(seen.contains(&"PCN Participation"), "{year}");
        if start == 2019 {
            // The 2019-20 file's only network column (see the mapping's reason).
            assert_eq!(seen, vec!["PCN Participation"]);
        }
    }
}

#[test]
fn every_stream_the_column_map_names_is_in_that_years_rulebook() {
    // A stream id misspelt or out of its year would never be compared: the
    // column would quietly hold less than it says.
    let book = Rulebook::embedded().unwrap();
    let mut missing = Vec::new();
    for rules in book.years() {
        let ids: Vec<&str> = rules.streams.iter().map(|s| s.id.as_str()).collect();
        for m in published_columns(rules.financial_year) {
            for id in m.streams.iter().chain(m.optional) {
                if !ids.contains(id) {
                    missing.push(format!("{} {}: {id}", rules.financial_year, m.label()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

proptest! {
    /// A whole number of monthly amounts other than twelve is timing, and
    /// nothing is left after allowing for it; twelve is paid in full.
    #[test]
    fn whole_months_are_timing(months in 1u32..=15, list in 1_000u64..200_000) {
        let rules = rules();
        let run = PayRun {
            financial_year: rules.financial_year,
            membership_as_at: d("2021-04-01"),
            missing: MissingInputs::Estimate,
            networks: vec![network_pay(&rules, "U00001", "A00001", vec![member("A00001", list, "1")])],
        };
        let owed = run.networks[0].statement.lines.iter()
            .find(|l| l.stream_id == "core-pcn-funding").unwrap().schedule.clone();
        // The first `months` instalments, wrapping round for catch-up.
        let amount: i64 = (0..months as usize).map(|i| owed[i % 12].amount.0).sum();
        let actuals = vec![PaymentActualFact {
            practice: code("A00001"),
            pcn: Some(pcn("U00001")),
            financial_year: "2021-22".into(),
            stream: "PCN Support".into(),
            amount,
        }];
        let r = reconcile_payments(&run, &actuals, &ReconcileOptions::default());
        let i = item(&r, "U00001", "PCN Support");
        prop_assert_eq!(i.difference, Pence(amount) - i.owed);
        if months == 12 {
            prop_assert_eq!(&i.cause, &Cause::PaidInFull);
        } else {
            prop_assert_eq!(&i.cause, &Cause::Timing { months_paid: months, months_owed: 12 });
            // The spare pennies of the split go to the earliest months, so
            // k months can differ from k twelfths by up to 11 pence.
            prop_assert!(i.difference_after_timing.0.abs() <= 11, "{:?}", i.difference_after_timing);
        }
    }
}
