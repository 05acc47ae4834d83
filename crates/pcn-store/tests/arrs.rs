//! The ARRS roster in the store, on both engines: posts and their terms,
//! end dates, payroll actuals, claims and their status moves, and rosters
//! seeded (and re-seeded) from workforce censuses.

mod common;

use common::{at, d, import_census, on_both_engines, record};
use pcn_core::arrs::{
    ClaimKind, ClaimStatus, Employer, Funding, NewClaim, Origin, Post, Terms, YearMonth,
};
use pcn_core::money::Pence;
use pcn_core::rulebook::{FinancialYear, Region};
use pcn_core::{Decimal, PcnCode};
use pcn_store::{ErrorKind, Store};

fn pcn(code: &str) -> PcnCode {
    PcnCode::parse(code).unwrap()
}

fn terms(from: &str, wte: &str, salary: Option<i64>) -> Terms {
    Terms {
        effective_from: d(from),
        band: "7".into(),
        wte: wte.parse().unwrap(),
        salary: salary.map(Pence),
        on_costs: None,
        levy: false,
        recorded: 0,
    }
}

fn post(network: &str, person: &str) -> Post {
    Post {
        id: 0,
        pcn: pcn(network),
        person: person.into(),
        name: Some("A Pharmacist".into()),
        role: "clinical-pharmacist".into(),
        employer: Employer::Network,
        funding: Funding::Arrs,
        region: Region::InnerLondon,
        start: d("2026-04-01"),
        end: None,
        terms: vec![terms("2026-04-01", "0.8", Some(4_500_000))],
        origin: Origin::Entered,
    }
}

async fn posts_terms_end_and_costs(store: &Store) {
    let id = store
        .add_post(&post("U89141", "P1"), at(0), "pm")
        .await
        .unwrap();
    let other = store
        .add_post(&post("U12345", "P2"), at(1), "pm")
        .await
        .unwrap();
    assert_ne!(id, other);
    // Each add is audited with the id it was given, and its terms belong to
    // it (on SQLite the post, terms and audit row go in one batch).
    let audit = store.audit_log(2).await.unwrap();
    assert_eq!(
        (
            audit[0].change.action.as_str(),
            audit[0].change.entity_key.clone()
        ),
        ("add", format!("U12345 post {other}"))
    );
    assert_eq!(audit[1].change.entity_key, format!("U89141 post {id}"));
    assert!(audit[0]
        .change
        .after_value
        .as_deref()
        .unwrap()
        .contains("P2"));
    let mut two_terms = post("U12345", "P3");
    two_terms
        .terms
        .push(terms("2026-10-01", "1", Some(4_700_000)));
    let third = store.add_post(&two_terms, at(1), "pm").await.unwrap();
    assert!(third > other);
    let stored = store.post(third).await.unwrap().unwrap();
    assert_eq!(stored.terms.len(), 2);
    assert_eq!(stored.terms_at(d("2026-11-01")).unwrap().wte, Decimal::ONE);
    assert_eq!(store.post(other).await.unwrap().unwrap().terms.len(), 1);
    assert_eq!(
        store.audit_log(1).await.unwrap()[0].change.entity_key,
        format!("U12345 post {third}")
    );

    // A pay award from October is a second set of terms; both are kept.
    let mut stored = store.post(id).await.unwrap().unwrap();
    assert_eq!(stored.person, "P1");
    assert_eq!(stored.region, Region::InnerLondon);
    assert_eq!(stored.terms.len(), 1);
    let award = terms("2026-10-01", "1", Some(4_700_000));
    store.add_terms(&stored, &award, at(2), "pm").await.unwrap();
    stored = store.post(id).await.unwrap().unwrap();
    assert_eq!(stored.terms.len(), 2);
    assert_eq!(stored.terms_at(d("2026-11-01")).unwrap().wte, Decimal::ONE);
    assert_eq!(
        stored.terms_at(d("2026-05-01")).unwrap().salary,
        Some(Pence(4_500_000))
    );
    let audit = store.audit_log(1).await.unwrap();
    assert_eq!(audit[0].change.action, "change");
    assert_eq!(audit[0].change.entity_key, format!("U89141 post {id}"));
    assert!(audit[0]
        .change
        .before_value
        .as_deref()
        .unwrap()
        .contains("0.8 WTE"));

    // Ending a post, then reopening it, each audited before and after.
    store
        .set_post_end(&stored, Some(d("2027-01-31")), at(3), "pm")
        .await
        .unwrap();
    let ended = store.post(id).await.unwrap().unwrap();
    assert_eq!(ended.end, Some(d("2027-01-31")));
    let audit = store.audit_log(1).await.unwrap();
    assert_eq!(
        (
            audit[0].change.before_value.as_deref(),
            audit[0].change.after_value.as_deref()
        ),
        (Some("open"), Some("2027-01-31"))
    );

    // One network's posts, or all, in id order, each with its own terms.
    let mine = store.posts(Some(&pcn("U89141"))).await.unwrap();
    assert_eq!(mine.iter().map(|p| p.id).collect::<Vec<_>>(), vec![id]);
    assert_eq!(mine[0].terms.len(), 2);
    let all = store.posts(None).await.unwrap();
    assert_eq!(
        all.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![id, other, third]
    );
    assert_eq!(all[1].terms.len(), 1);
    assert_eq!(all[2].terms.len(), 2);
    assert!(store.post(other + 1000).await.unwrap().is_none());

    // Payroll actuals: the latest for a post and month wins.
    let september = YearMonth::new(2026, 9).unwrap();
    store
        .record_cost(&ended, september, Pence(400_000), at(4), "pm")
        .await
        .unwrap();
    store
        .record_cost(&ended, september, Pence(410_000), at(5), "pm")
        .await
        .unwrap();
    let costs = store.costs(Some(&pcn("U89141"))).await.unwrap();
    assert_eq!(costs.len(), 1);
    assert_eq!(costs[&(id, september)], Pence(410_000));
    assert!(store.costs(Some(&pcn("U12345"))).await.unwrap().is_empty());
    assert_eq!(store.costs(None).await.unwrap().len(), 1);
}

fn claim(post: i64, month: u32, pence: i64) -> NewClaim {
    NewClaim {
        post,
        month: YearMonth::new(2026, month).unwrap(),
        kind: ClaimKind::Regular,
        amount: Pence(pence),
        working: format!("month {month}"),
    }
}

async fn claims_and_their_status_moves(store: &Store) {
    let id = store
        .add_post(&post("U89141", "P1"), at(0), "pm")
        .await
        .unwrap();
    let fy = FinancialYear::starting(2026);
    let ids = store
        .add_claims(
            &pcn("U89141"),
            &[claim(id, 4, 300_000), claim(id, 5, 310_000)],
            d("2026-06-05"),
            at(1),
            "pm",
        )
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    let audit = store.audit_log(1).await.unwrap();
    assert_eq!(
        audit[0].change.after_value.as_deref(),
        Some("2 draft claims, £6,100.00")
    );
    let claims = store.claims(&pcn("U89141"), fy).await.unwrap();
    assert_eq!(claims.iter().map(|c| c.id).collect::<Vec<_>>(), ids);
    assert!(claims.iter().all(|c| c.status == ClaimStatus::Draft));
    assert_eq!(claims[1].amount, Pence(310_000));
    assert_eq!(claims[0].made, d("2026-06-05"));
    assert!(store
        .claims(&pcn("U89141"), FinancialYear::starting(2025))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.all_claims(fy).await.unwrap()[&pcn("U89141")].len(), 2);

    // Draft to submitted, each step audited.
    store
        .set_claim_status(&claims, ClaimStatus::Submitted, at(2), "pm")
        .await
        .unwrap();
    let submitted = store.claims(&pcn("U89141"), fy).await.unwrap();
    assert!(submitted.iter().all(|c| c.status == ClaimStatus::Submitted));
    assert_eq!(
        store.audit_log(1).await.unwrap()[0].change.action,
        "claim-status"
    );

    // A claim not at the status before the new one refuses the whole move.
    let mixed = vec![submitted[0].clone(), claims[1].clone()];
    let err = store
        .set_claim_status(&mixed, ClaimStatus::Approved, at(3), "icb")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.to_string().contains("cannot become approved"), "{err}");
    let after = store.claims(&pcn("U89141"), fy).await.unwrap();
    assert!(
        after.iter().all(|c| c.status == ClaimStatus::Submitted),
        "nothing moved"
    );
}

async fn census_seeding_and_reseeding(store: &Store) {
    // June 2026: a 1.6 FTE pharmacist (two posts) and a London paramedic.
    let june = vec![
        record("2026-06-30", "Pharmacists", "1.6", "A", "Y63"),
        record("2026-06-30", "Paramedics", "1", "B", "Y56"),
    ];
    import_census(store, "june", june).await.unwrap();
    let posts = store.posts(None).await.unwrap();
    let summary: Vec<(&str, &str, Decimal, Region, Option<chrono::NaiveDate>)> = posts
        .iter()
        .map(|p| {
            (
                p.person.as_str(),
                p.role.as_str(),
                p.terms[0].wte,
                p.region,
                p.end,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "A",
                "clinical-pharmacist",
                Decimal::ONE,
                Region::England,
                None
            ),
            (
                "A",
                "clinical-pharmacist",
                "0.6".parse().unwrap(),
                Region::England,
                None
            ),
            ("B", "paramedic", Decimal::ONE, Region::OuterLondon, None),
        ]
    );
    let audit = store.audit_log(2).await.unwrap();
    assert_eq!(audit[1].change.action, "seed");
    assert_eq!(
        audit[1].change.after_value.as_deref(),
        Some("3 posts from 2 records")
    );

    // September 2026 ends June's posts the day before.
    let september = vec![record("2026-09-30", "Pharmacists", "1", "A", "Y63")];
    import_census(store, "september", september).await.unwrap();
    let posts = store.posts(None).await.unwrap();
    assert_eq!(posts.len(), 4);
    for p in &posts[..3] {
        assert_eq!(p.end, Some(d("2026-09-29")), "post {} of June", p.id);
    }
    assert_eq!(posts[3].end, None);
    assert_eq!(posts[3].origin, Origin::Census(d("2026-09-30")));

    // March 2026, imported late, ends the day before June's census.
    let march = vec![record("2026-03-31", "Pharmacists", "0.5", "A", "Y63")];
    import_census(store, "march", march).await.unwrap();
    let posts = store.posts(None).await.unwrap();
    assert_eq!(posts.len(), 5);
    assert_eq!(posts[4].end, Some(d("2026-06-29")));
    assert_eq!(
        posts[0].end,
        Some(d("2026-09-29")),
        "June's posts keep their end"
    );

    // The same census from another file is refused, and nothing is written.
    let again = vec![record("2026-09-30", "Pharmacists", "1", "C", "Y63")];
    let err = import_census(store, "september-again", again)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.to_string().contains("already held"), "{err}");
    assert_eq!(store.posts(None).await.unwrap().len(), 5);
    assert_eq!(store.imports().await.unwrap().len(), 3);
}

#[tokio::test]
async fn posts_terms_end_and_costs_on_both_engines() {
    on_both_engines!("arrs_posts", posts_terms_end_and_costs);
}

#[tokio::test]
async fn claims_and_their_status_moves_on_both_engines() {
    on_both_engines!("arrs_claims", claims_and_their_status_moves);
}

#[tokio::test]
async fn census_seeding_and_reseeding_on_both_engines() {
    on_both_engines!("arrs_census", census_seeding_and_reseeding);
}
