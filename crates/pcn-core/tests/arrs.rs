//! ARRS claims worked by hand against the embedded rulebook, one case per
//! rule that changes a claim, each citing the source of its maximum (the
//! sources are listed in rules/README.md), and properties every claim keeps.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use pcn_core::arrs::{
    budget, claims_to_make, post_year, validate_post, ClaimKind, ClaimRecord, ClaimStatus,
    CostBasis, Employer, Funding, MonthClaim, Origin, Post, Terms, YearMonth,
};
use pcn_core::money::Pence;
use pcn_core::rulebook::{FinancialYear, Region, Rulebook};
use pcn_core::{Decimal, PcnCode};
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

fn rb() -> Rulebook {
    Rulebook::embedded().unwrap()
}

/// An ARRS post of network U12345 employed by the network in England from
/// `start`, with no end and no salary recorded.
fn post(id: i64, role: &str, band: &str, wte: &str, start: NaiveDate) -> Post {
    Post {
        id,
        pcn: PcnCode::parse("U12345").unwrap(),
        person: format!("P{id}"),
        name: None,
        role: role.into(),
        employer: Employer::Network,
        funding: Funding::Arrs,
        region: Region::England,
        start,
        end: None,
        terms: vec![Terms {
            effective_from: start,
            band: band.into(),
            wte: dec(wte),
            salary: None,
            on_costs: None,
            levy: false,
            recorded: 1,
        }],
        origin: Origin::Entered,
    }
}

/// The post paid `pounds` a year.
fn paid(mut post: Post, pounds: i64) -> Post {
    post.terms[0].salary = Some(Pence(pounds * 100));
    post
}

fn year(y: i32) -> FinancialYear {
    FinancialYear::starting(y)
}

/// A post's claims for the financial year starting in `y`, with no payroll
/// actuals.
fn claims(rb: &Rulebook, y: i32, post: &Post) -> Vec<MonthClaim> {
    post_year(rb, year(y), post, &BTreeMap::new()).unwrap()
}

/// Whether a claim line has a caveat containing `fragment`.
fn has_caveat(line: &MonthClaim, fragment: &str) -> bool {
    line.caveats.iter().any(|c| c.contains(fragment))
}

fn total(lines: &[MonthClaim]) -> Pence {
    lines.iter().map(|l| l.claimable).sum()
}

/// 2019/20 (R09; S39): one clinical pharmacist at 70% up to £37,810 and
/// one link worker at 100% up to £34,113, from 1 July 2019: 9 months of each
/// is the published £53,942 maximum for a network under 100,000.
#[test]
fn claims_2019_20_reach_the_published_53942() {
    let rb = rb();
    // Band 7 pharmacist on £45,000: cost a month £3,750 pay + NI 13.8% above
    // £719.33 (£418.23) + pension 14.38% (£539.25) = £4,707.48; 70% is
    // £3,295.24, above the £3,150.83 cap (37,810 / 12), so the cap binds.
    let cp = paid(
        post(1, "clinical-pharmacist", "7", "1", d(2019, 7, 1)),
        45_000,
    );
    let lines = claims(&rb, 2019, &cp);
    assert_eq!(lines.len(), 9);
    assert_eq!(lines[0].cost, Pence(470_748));
    assert_eq!(lines[0].cap, Pence(315_083));
    assert_eq!(lines[0].claimable, Pence(315_083));
    // 70% not reimbursed plus pay above the cap falls to the practices.
    assert_eq!(lines[0].met_by_practices, Pence(470_748 - 315_083));
    assert_eq!(total(&lines), Pence(2_835_750)); // 0.75 × 37,810
                                                 // Link worker on £30,000: £2,500 + £245.73 + £359.50 = £3,105.23, capped at £2,842.75.
    let splw = paid(
        post(2, "social-prescribing-link-worker", "5", "1", d(2019, 7, 1)),
        30_000,
    );
    let lines2 = claims(&rb, 2019, &splw);
    assert_eq!(lines2[0].cost, Pence(310_523));
    assert_eq!(total(&lines2), Pence(2_558_475)); // 0.75 × 34,113
    assert_eq!(total(&lines) + total(&lines2), Pence(5_394_225)); // £53,942.25
}

/// 2022/23 (R12, R18): a mental health practitioner's cost is shared 50:50
/// with the mental health trust; employer NI was 15.05% from April 2022.
#[test]
fn mental_health_practitioner_2022_23_half_met_by_the_trust() {
    let rb = rb();
    let mhp = Post {
        end: Some(d(2022, 4, 30)),
        ..paid(
            post(3, "mental-health-practitioner", "5", "1", d(2022, 4, 1)),
            30_000,
        )
    };
    let lines = claims(&rb, 2022, &mhp);
    assert_eq!(lines.len(), 1);
    // £2,500 + 15.05% × (2,500 − 758.33) = £262.12 + 14.38% = £359.50 → £3,121.62.
    assert_eq!(lines[0].cost, Pence(312_162));
    assert_eq!(lines[0].partner, Pence(156_081));
    // The network's half, £1,560.81, is under the band 5 cap (36,428 / 12 = £3,035.67).
    assert_eq!(lines[0].cap, Pence(303_567));
    assert_eq!(lines[0].claimable, Pence(156_081));
    assert_eq!(lines[0].met_by_practices, Pence::ZERO);
}

/// 2023/24 (S32): maxima rose from 1 July 2023. A care coordinator with no
/// pay recorded is costed at the maximum: 3 months at £31,746 and 9 at £33,396.
#[test]
fn the_july_2023_uplift_changes_the_cap_mid_year() {
    let rb = rb();
    let cc = post(4, "care-coordinator", "4", "1", d(2023, 4, 1));
    let lines = claims(&rb, 2023, &cc);
    assert_eq!(lines.len(), 12);
    assert_eq!(lines[0].cap, Pence(264_550)); // 31,746 / 12
    assert_eq!(lines[3].cap, Pence(278_300)); // 33,396 / 12
    assert_eq!(lines[0].cost_basis, CostBasis::AtMaximum);
    assert_eq!(total(&lines), Pence(3_298_350)); // 7,936.50 + 25,047.00
}

/// 2024/25 (S31): inner London maximum from 1 October 2024, part month and
/// part time: a pharmacist at 0.6 WTE on £50,000 from 15 October.
#[test]
fn part_month_part_time_inner_london_2024_25() {
    let rb = rb();
    let cp = Post {
        region: Region::InnerLondon,
        ..paid(
            post(5, "clinical-pharmacist", "8a", "0.6", d(2024, 10, 15)),
            50_000,
        )
    };
    let lines = claims(&rb, 2024, &cp);
    let oct = &lines[0];
    assert_eq!((oct.days, oct.days_in_month), (17, 31));
    // Cap: 76,313 × 0.6 × 17 / (12 × 31) = £2,092.4532…
    assert_eq!(oct.cap, Pence(209_245));
    // Cost: pay £1,370.97 + NI 13.8% above £758.33 £84.54 + pension £197.15 = £1,652.6565
    assert_eq!(oct.cost, Pence(165_266));
    assert_eq!(oct.claimable, Pence(165_266));
    assert!(oct.working.contains("17/31 days"), "{}", oct.working);
}

/// 2025/26 (R06): the published GP maximum £105,882 is £82,418 plus employer
/// NI at 15% above £5,000 and pension at 14.38%; pcn's on-cost computation
/// reproduces it to 41p, and the cap takes the 41p off.
#[test]
fn gp_2025_26_on_costs_reproduce_the_published_maximum() {
    let rb = rb();
    let gp = paid(post(6, "gp", "gp", "1", d(2025, 4, 1)), 82_418);
    let lines = claims(&rb, 2025, &gp);
    assert_eq!(
        lines.iter().map(|l| l.cost).sum::<Pence>(),
        Pence(10_588_241)
    );
    assert_eq!(total(&lines), Pence(10_588_200));
    assert_eq!(
        lines.iter().map(|l| l.met_by_practices).sum::<Pence>(),
        Pence(41)
    );
    // The published figure was later revised (backdated): the line says so.
    assert!(has_caveat(&lines[0], "revised from 2025-04-01"));
}

/// 2026/27: no maxima are published yet, so 2025/26's are carried and marked.
#[test]
fn maxima_are_carried_into_2026_27_and_marked() {
    let rb = rb();
    let para = post(7, "paramedic", "7", "1", d(2026, 4, 1));
    let lines = claims(&rb, 2026, &para);
    assert_eq!(total(&lines), Pence(6_490_700)); // £64,907 carried
    assert!(has_caveat(&lines[0], "2025-26 figure is carried"));
}

#[test]
fn payroll_actuals_replace_the_computed_cost() {
    let rb = rb();
    let p = paid(
        post(8, "pharmacy-technician", "5", "1", d(2025, 4, 1)),
        30_000,
    );
    let mut actuals = BTreeMap::new();
    actuals.insert(YearMonth::new(2025, 5).unwrap(), Pence(999_999));
    let lines = post_year(&rb, year(2025), &p, &actuals).unwrap();
    assert_eq!(lines[1].cost_basis, CostBasis::Actual);
    assert_eq!(lines[1].cost, Pence(999_999));
    // Capped at 43,352 / 12 = £3,612.67; the rest falls to the practices.
    assert_eq!(lines[1].claimable, lines[1].cap);
    assert_eq!(lines[1].met_by_practices, Pence(999_999) - lines[1].cap);
}

#[test]
fn bad_posts_are_refused() {
    let rb = rb();
    let mut p = post(9, "paramedic", "7", "1", d(2026, 4, 1));
    p.terms[0].wte = dec("1.2");
    assert!(validate_post(&rb, &p)
        .unwrap_err()
        .to_string()
        .contains("outside 0–1"));
    let mut p = post(9, "paramedic", "9", "1", d(2026, 4, 1));
    assert!(validate_post(&rb, &p)
        .unwrap_err()
        .to_string()
        .contains("band \"9\""));
    p.terms[0].band = "7".into();
    p.end = Some(d(2026, 3, 1));
    assert!(validate_post(&rb, &p)
        .unwrap_err()
        .to_string()
        .contains("before the start"));
    // Paramedics joined in 2021/22.
    let p = post(9, "paramedic", "7", "1", d(2020, 6, 1));
    assert!(validate_post(&rb, &p)
        .unwrap_err()
        .to_string()
        .contains("not an ARRS role in 2020-21"));
    let p = post(9, "astronaut", "7", "1", d(2026, 6, 1));
    assert!(validate_post(&rb, &p).is_err());
}

/// A pay award recorded after months were claimed produces arrears for
/// them; a month never claimed is claimed late as backdated.
#[test]
fn pay_award_arrears_and_backdated_claims() {
    let rb = rb();
    let mut p = paid(post(10, "paramedic", "7", "1", d(2026, 4, 1)), 40_000);
    let lines = claims(&rb, 2026, &p);
    let april = lines[0].claimable;
    let claimed = vec![ClaimRecord {
        id: 1,
        post: 10,
        month: YearMonth::new(2026, 4).unwrap(),
        kind: ClaimKind::Regular,
        amount: april,
        status: ClaimStatus::Paid,
        made: d(2026, 5, 10),
    }];
    // Award from 1 April recorded in July.
    p.terms.push(Terms {
        effective_from: d(2026, 4, 1),
        band: "7".into(),
        wte: Decimal::ONE,
        salary: Some(Pence(4_200_000)),
        on_costs: None,
        levy: false,
        recorded: 2,
    });
    let lines = claims(&rb, 2026, &p);
    let new = claims_to_make(
        &lines,
        &claimed,
        YearMonth::new(2026, 6).unwrap(),
        d(2026, 7, 20),
    );
    assert_eq!(new.len(), 3);
    assert_eq!(new[0].kind, ClaimKind::Arrears);
    assert_eq!(new[0].amount, lines[0].claimable - april);
    assert!(new[0].amount.0 > 0);
    assert_eq!(new[1].kind, ClaimKind::Backdated); // May, claimed after June ended
    assert_eq!(new[2].kind, ClaimKind::Regular); // June, in July
                                                 // Nothing more once everything is claimed.
    let mut all = claimed.clone();
    for (i, c) in new.iter().enumerate() {
        all.push(ClaimRecord {
            id: 2 + i as i64,
            post: c.post,
            month: c.month,
            kind: c.kind,
            amount: c.amount,
            status: ClaimStatus::Draft,
            made: d(2026, 7, 20),
        });
    }
    assert!(claims_to_make(
        &lines,
        &all,
        YearMonth::new(2026, 6).unwrap(),
        d(2026, 7, 20)
    )
    .is_empty());
}

#[test]
fn budget_headroom_and_run_out() {
    let rb = rb();
    let p = post(11, "gp", "gp", "1", d(2025, 4, 1));
    let lines = claims(&rb, 2025, &p);
    // £105,882 a year against a £60,000 Sum: runs out in the seventh month.
    let b = budget(
        year(2025),
        d(2025, 9, 30),
        Some(Pence(6_000_000)),
        &lines,
        &[],
    );
    assert_eq!(b.spent + b.committed, Pence(10_588_200));
    assert_eq!(b.spent, Pence(5_294_100)); // April to September
    assert_eq!(b.headroom, Some(Pence(6_000_000 - 10_588_200)));
    assert_eq!(b.forecast_underspend, Some(Pence::ZERO));
    assert_eq!(b.runs_out, Some(YearMonth::new(2025, 10).unwrap()));
    assert_eq!(b.not_yet_claimed, Pence(5_294_100));
    assert!(b.warnings[0].contains("pass the ARRS Sum"));
}

fn roles_2025() -> Vec<(String, String)> {
    let rb = rb();
    let y = rb.year("2025-26").unwrap();
    y.arrs
        .roles
        .iter()
        .flat_map(|r| r.bands.keys().map(move |b| (r.id.to_string(), b.clone())))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// A claim never exceeds the cap (maximum × WTE, pro rata) nor the
    /// network's cost; caps are exact to the penny; a post's months add up
    /// to its year.
    #[test]
    fn claims_keep_their_bounds(
        role_i in 0usize..30,
        wte_milli in 1u32..=1000,
        start_day in 0i64..365,
        len in 0i64..400,
        salary in proptest::option::of(10_000i64..150_000),
        region_i in 0usize..3,
    ) {
        let rb = rb();
        let roles = roles_2025();
        let (role, band) = &roles[role_i % roles.len()];
        let start = d(2025, 4, 1) + chrono::Duration::days(start_day);
        let end = start + chrono::Duration::days(len);
        let end = (end <= d(2026, 3, 31)).then_some(end);
        let wte = Decimal::new(i64::from(wte_milli), 3);
        let region = Region::ALL[region_i];
        let mut p = Post { end, region, ..post(1, role, band, "1", start) };
        p.terms[0].salary = salary.map(|s| Pence(s * 100));
        p.terms[0].wte = wte;
        let lines = claims(&rb, 2025, &p);
        let mut exact_cap = Decimal::ZERO;
        for l in &lines {
            prop_assert!(l.claimable <= l.cap, "{l:?}");
            prop_assert!(l.claimable <= l.cost - l.partner);
            prop_assert!(l.claimable.0 >= 0);
            let max = rb.arrs_maximum(year(2025), rb.year("2025-26").unwrap().arrs.role(role).unwrap().group(band).unwrap(), l.month.first_day(), region).unwrap().amount;
            let exact = max * wte * (Decimal::from(l.days) / Decimal::from(12 * l.days_in_month));
            exact_cap += exact;
            // Each month's cap is within a penny of its exact value…
            prop_assert!((l.cap.to_pounds() - exact).abs() <= dec("0.01"), "{} vs {exact}", l.cap);
        }
        // …and the months add up to the exact total rounded once.
        prop_assert_eq!(lines.iter().map(|l| l.cap).sum::<Pence>(), Pence::from_pounds(exact_cap).unwrap());
    }
}
