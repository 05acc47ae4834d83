//! The use cases in process, on a temporary SQLite store holding the demo
//! commissioner: what both front ends call, tested without either.

use std::sync::Arc;

use chrono::NaiveDate;
use pcn_app::arrs::{PostRef, TermsChange};
use pcn_app::governance::{AssessmentInput, DistributionInput, GovernanceInput};
use pcn_app::{App, Error};
use pcn_core::arrs::{parse_wte, ClaimStatus, NewPost, YearMonth};
use pcn_core::facts::GovernanceField;
use pcn_core::funding::{Distribution, LineStatus};
use pcn_core::money::{Fraction, Pence};
use pcn_core::payrun::{RunOptions, Selection};
use pcn_core::rulebook::FinancialYear;
use pcn_core::{CommissionerCode, Decimal, PcnCode};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn pcn(code: &str) -> PcnCode {
    PcnCode::parse(code).unwrap()
}

fn year(y: &str) -> FinancialYear {
    y.parse().unwrap()
}

/// The demo in a new database.
async fn demo() -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.sqlite");
    let rulebook = Arc::new(pcn_app::rules::load(None).unwrap());
    let app = App::open(&path.display().to_string(), rulebook)
        .await
        .unwrap();
    pcn_app::demo::write_demo(&app, "test").await.unwrap();
    pcn_app::demo::add_demo_accounts_and_posts(&app, "test", "a demo password")
        .await
        .unwrap();
    (app, dir)
}

fn paramedic(network: &str, start: &str) -> NewPost {
    NewPost {
        band: Some("7".into()),
        wte: parse_wte("1.0").unwrap(),
        ..NewPost::arrs(pcn(network), "P-1", "paramedic", d(start))
    }
}

#[tokio::test]
async fn a_payment_run_of_the_demo() {
    let (app, _dir) = demo().await;
    let run = app
        .pay_run(year("2026-27"), &Selection::all(), RunOptions::default())
        .await
        .unwrap();
    assert_eq!(run.networks.len(), 9);
    for n in &run.networks {
        let scheduled: Pence = n
            .statement
            .lines
            .iter()
            .filter(|l| l.status == LineStatus::Scheduled)
            .map(|l| l.amount)
            .sum();
        let t = &n.statement.totals;
        assert_eq!(scheduled, t.scheduled_to_network + t.scheduled_to_practices);
    }
    // One commissioner.
    let z1a = Selection::commissioner(CommissionerCode::parse("Z1A").unwrap());
    let some = app
        .pay_run(year("2026-27"), &z1a, RunOptions::default())
        .await
        .unwrap();
    assert!(!some.networks.is_empty() && some.networks.len() < 9);
    // Unknown codes and years are the user's mistakes, named.
    let typo = Selection::commissioner(CommissionerCode::parse("XYZ").unwrap());
    let err = app
        .pay_run(year("2026-27"), &typo, RunOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound(_)) && err.to_string().contains("XYZ"),
        "{err}"
    );
    let err = app
        .pay_run(
            year("2026-27"),
            &Selection::network(pcn("U99999")),
            RunOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
    let err = app
        .pay_run(year("2099-00"), &Selection::all(), RunOptions::default())
        .await
        .unwrap_err();
    assert!(err.is_users(), "{err}");
}

#[tokio::test]
async fn governance_is_recorded_for_known_networks_only() {
    let (app, _dir) = demo().await;
    let input = |code: &str| GovernanceInput {
        pcn: pcn(code),
        effective_from: d("2026-07-01"),
        values: vec![(GovernanceField::ClinicalDirector, "Dr New".into())],
    };
    let facts = app.set_governance(&input("U90009"), "test").await.unwrap();
    assert_eq!(facts.len(), 1);
    let registry = app.registry().await.unwrap();
    let n = &registry.at(d("2026-07-01")).networks[&pcn("U90009")];
    assert_eq!(n.governance.clinical_director.as_deref(), Some("Dr New"));
    let err = app
        .set_governance(&input("U99999"), "test")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
    // The bad value is named and nothing is written.
    let bad = GovernanceInput {
        values: vec![(GovernanceField::NominatedPayee, "not a code".into())],
        ..input("U90009")
    };
    let err = app.set_governance(&bad, "test").await.unwrap_err();
    assert!(err.to_string().contains("nominated_payee"), "{err}");
}

#[tokio::test]
async fn an_assessment_of_two_thirds_pays_exactly_two_thirds() {
    let (app, _dir) = demo().await;
    let fy = year("2025-26");
    let stream = "capacity-and-access-improvement".parse().unwrap();
    let u90001 = Selection::network(pcn("U90001"));
    let caip = |run: &pcn_core::funding::PayRun| {
        run.networks[0]
            .statement
            .lines
            .iter()
            .find(|l| l.stream_id == "capacity-and-access-improvement")
            .unwrap()
            .full_amount
    };
    let before = app
        .pay_run(fy, &u90001, RunOptions::default())
        .await
        .unwrap();
    let most = caip(&before);
    app.assess(
        &AssessmentInput {
            pcn: pcn("U90001"),
            year: fy,
            stream,
            earned: "2/3".parse::<Fraction>().unwrap(),
            note: None,
        },
        "icb",
    )
    .await
    .unwrap();
    let after = app
        .pay_run(fy, &u90001, RunOptions::default())
        .await
        .unwrap();
    let two_thirds = Fraction::new(2, 3).unwrap().of_pence(most);
    assert_eq!(caip(&after), two_thirds);
}

#[tokio::test]
async fn a_distribution_must_name_the_members() {
    let (app, _dir) = demo().await;
    let fy = year("2026-27");
    let registry = app.registry().await.unwrap();
    let percentages = |members: &[pcn_core::PracticeCode]| {
        let even = 10_000 / members.len() as u64;
        let rest = 10_000 - even * members.len() as u64;
        members
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let bp = if i == 0 { even + rest } else { even };
                format!("{m}={}", Decimal::new(bp as i64, 2))
            })
            .collect::<Vec<_>>()
            .join(";")
    };
    // The members on 1 April are not enough: a practice that joins later in
    // the year is paid through the network too, so it needs a share.
    let at_start = registry.at(fy.start()).networks[&pcn("U90001")]
        .members
        .clone();
    let by_month = pcn_core::payrun::members_by_month(&registry, &registry.at(fy.start()), fy);
    let members: Vec<_> = by_month[&pcn("U90001")].keys().cloned().collect();
    let input = |text: &str| DistributionInput {
        pcn: pcn("U90001"),
        year: fy,
        method: Distribution::parse("percentages", Some(text)).unwrap(),
        shares: Some(text.to_string()),
        top_slice_percent: Decimal::from(5),
    };
    if at_start.len() < members.len() {
        let err = app
            .record_distribution(&input(&percentages(&at_start)), "test")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("has no share"), "{err}");
    }
    let text = percentages(&members);
    let input = input(&text);
    app.record_distribution(&input, "test").await.unwrap();
    let run = app
        .pay_run(
            fy,
            &Selection::network(pcn("U90001")),
            RunOptions::default(),
        )
        .await
        .unwrap();
    let d = run.networks[0].distribution.as_ref().unwrap();
    assert_eq!(
        d.shares.iter().map(|s| s.amount).sum::<Pence>() + d.top_slice,
        d.total
    );
    // A practice that is not a member is refused, naming the members.
    let wrong = DistributionInput {
        method: Distribution::parse("percentages", Some("A81001=100")).unwrap(),
        shares: Some("A81001=100".into()),
        ..input
    };
    let err = app.record_distribution(&wrong, "test").await.unwrap_err();
    assert!(
        err.to_string().contains("is not a member of U90001"),
        "{err}"
    );
}

#[tokio::test]
async fn posts_are_changed_only_through_their_own_network() {
    let (app, _dir) = demo().await;
    let (id, post) = app
        .add_post(&paramedic("U90001", "2026-05-01"), "pm")
        .await
        .unwrap();
    assert_eq!(post.pcn, pcn("U90001"));
    let by_id = PostRef::Id(id);
    let year_end = d("2026-12-31");
    // The wrong network is refused and nothing changes.
    let err = app
        .end_post(&by_id, Some(&pcn("U90002")), year_end, "pm")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("belongs to U90001"), "{err}");
    assert_eq!(app.post_of(&by_id, None).await.unwrap().end, None);
    // The right one ends it.
    let ended = app
        .end_post(&by_id, Some(&pcn("U90001")), year_end, "pm")
        .await
        .unwrap();
    assert_eq!(ended.end, Some(year_end));
    // A pay award from June: new terms, kept with the old.
    let change = TermsChange {
        salary: Some(Pence(4_700_000)),
        ..TermsChange::default()
    };
    app.change_post(&by_id, Some(&pcn("U90001")), d("2026-06-01"), &change, "pm")
        .await
        .unwrap();
    assert_eq!(app.post_of(&by_id, None).await.unwrap().terms.len(), 2);
    // By the network's reference for the person: needs the network, and
    // finds the post only there.
    let person = PostRef::Person(post.person.clone());
    let err = app.post_of(&person, None).await.unwrap_err();
    assert!(err.to_string().contains("needs its network"), "{err}");
    let found = app.post_of(&person, Some(&pcn("U90001"))).await.unwrap();
    assert_eq!(found.id, id);
    let err = app
        .post_of(&person, Some(&pcn("U90002")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
    // A second post for the same person, the first having ended: the one
    // still open is meant.
    let (second, _) = app
        .add_post(&paramedic("U90001", "2026-05-01"), "pm")
        .await
        .unwrap();
    assert_eq!(
        app.post_of(&person, Some(&pcn("U90001"))).await.unwrap().id,
        second
    );
    // A post for a network that does not exist is refused.
    let err = app
        .add_post(&paramedic("U99999", "2026-05-01"), "pm")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
}

#[tokio::test]
async fn claims_are_made_and_moved_on() {
    let (app, _dir) = demo().await;
    let (_, _) = app
        .add_post(&paramedic("U90006", "2026-05-01"), "pm")
        .await
        .unwrap();
    let may = YearMonth::new(2026, 5).unwrap();
    // Not before the month starts.
    let err = app
        .make_claims(&pcn("U90006"), may, d("2026-04-30"), "pm")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("has not started"), "{err}");
    let made = app
        .make_claims(&pcn("U90006"), may, d("2026-06-02"), "pm")
        .await
        .unwrap();
    assert_eq!(made.len(), 1);
    let year = app
        .network_year(&pcn("U90006"), may.financial_year())
        .await
        .unwrap();
    let lines = year.lines(&app.rulebook, &year.posts, false).unwrap();
    let may_line = lines.iter().find(|l| l.month == may).unwrap();
    assert_eq!(made[0].amount, may_line.claimable);
    // Again: nothing new.
    assert!(app
        .make_claims(&pcn("U90006"), may, d("2026-06-03"), "pm")
        .await
        .unwrap()
        .is_empty());
    let moved = app
        .move_claims(&pcn("U90006"), may, ClaimStatus::Submitted, None, "pm")
        .await
        .unwrap();
    assert_eq!(moved.len(), 1);
    let err = app
        .move_claims(&pcn("U90006"), may, ClaimStatus::Draft, None, "pm")
        .await
        .unwrap_err();
    assert!(err.is_users());
    // The budget counts the claim as outstanding.
    let year = app
        .network_year(&pcn("U90006"), may.financial_year())
        .await
        .unwrap();
    let budget = year
        .budget(&app.rulebook, d("2026-06-30"), &year.posts)
        .unwrap();
    assert_eq!(budget.outstanding, may_line.claimable);
}
