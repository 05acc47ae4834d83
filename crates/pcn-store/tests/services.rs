//! Service records in the store, on both engines: rounds, care plans and
//! sessions written with their import and read back in the order recorded;
//! single entries with their audit rows; care home alignments entered one
//! at a time read with the imported ones (the later of two with the same
//! start wins); the registry cache follows single entries.

mod common;

use common::{at, d, on_both_engines};
use pcn_core::arrs::{Employer, Funding, Origin, Post, Terms};
use pcn_core::facts::{CareHomeAlignment, FactBatch, SourceKind};
use pcn_core::money::Pence;
use pcn_core::rulebook::{Region, Rulebook};
use pcn_core::services::{
    AccessSession, CareHomeRound, CarePlanRecord, ServiceRecords, SessionDay, SessionMode,
};
use pcn_core::PcnCode;
use pcn_store::{ImportOutcome, NewImport, Store};

fn pcn(code: &str) -> PcnCode {
    PcnCode::parse(code).unwrap()
}

fn post() -> Post {
    Post {
        id: 0,
        pcn: pcn("U00001"),
        person: "GP-1".into(),
        name: None,
        role: "gp".into(),
        employer: Employer::Network,
        funding: Funding::Other,
        region: Region::England,
        start: d("2026-04-01"),
        end: None,
        terms: vec![Terms {
            effective_from: d("2026-04-01"),
            band: "gp".into(),
            wte: "1".parse().unwrap(),
            salary: Some(Pence(9_800_000)),
            on_costs: None,
            levy: false,
            recorded: 0,
        }],
        origin: Origin::Entered,
    }
}

fn session(post: i64, day: SessionDay, row: Option<u64>) -> AccessSession {
    AccessSession {
        pcn: pcn("U00001"),
        site: "Hub".into(),
        day,
        start: 1110,
        end: 1230,
        post,
        appointments: 8,
        mode: SessionMode::Remote,
        from: matches!(day, SessionDay::Weekly(_)).then(|| d("2026-04-01")),
        to: None,
        row,
    }
}

fn alignment(home: &str, network: &str, from: &str, to: Option<&str>) -> CareHomeAlignment {
    CareHomeAlignment {
        location_id: home.into(),
        pcn: pcn(network),
        from: d(from),
        to: to.map(d),
    }
}

async fn import(store: &Store, sha: &str, kind: SourceKind, facts: &FactBatch, minute: i64) {
    let import = NewImport {
        sha256: sha,
        file_name: "services.csv",
        kind,
        data_date: d("2026-06-30"),
        rows_read: facts.len() as u64,
        imported_at: at(minute),
        imported_by: "tester",
    };
    let outcome = store
        .write_import(&import, facts, &Rulebook::embedded().unwrap())
        .await
        .unwrap();
    assert!(matches!(outcome, ImportOutcome::Written(_)), "{outcome:?}");
}

async fn services_round_trip(store: &Store) {
    let id = store.add_post(&post(), at(0), "tester").await.unwrap();
    let alignments = FactBatch {
        care_home_alignments: vec![alignment("1-1", "U00002", "2020-10-01", None)],
        ..FactBatch::default()
    };
    import(store, "a", SourceKind::CareHomeAlignment, &alignments, 1).await;
    let records = ServiceRecords {
        rounds: vec![CareHomeRound {
            date: d("2026-06-02"),
            location_id: "1-1".into(),
            post: id,
            residents_reviewed: 3,
            row: Some(2),
        }],
        care_plans: vec![CarePlanRecord {
            resident: "R-1".into(),
            location_id: "1-1".into(),
            admitted: d("2026-06-04"),
            planned: None,
            row: Some(2),
        }],
        planned_sessions: vec![session(
            id,
            SessionDay::Weekly(chrono::Weekday::Tue),
            Some(2),
        )],
        delivered_sessions: vec![
            session(id, SessionDay::On(d("2026-06-02")), Some(2)),
            session(id, SessionDay::On(d("2026-06-09")), Some(3)),
        ],
    };
    let facts = FactBatch {
        services: records.clone(),
        ..FactBatch::default()
    };
    import(store, "s", SourceKind::CareHomeRounds, &facts, 2).await;
    assert_eq!(store.load_facts().await.unwrap().services, records);

    // A plan date added later, one at a time: both records are kept, the
    // later one is in force, and each entry has its audit row.
    let plan = ServiceRecords {
        care_plans: vec![CarePlanRecord {
            planned: Some(d("2026-06-10")),
            row: None,
            ..records.care_plans[0].clone()
        }],
        ..ServiceRecords::default()
    };
    store
        .record_services(&plan, at(3), "manager")
        .await
        .unwrap();
    let loaded = store.load_facts().await.unwrap().services;
    assert_eq!(loaded.care_plans.len(), 2, "both said, in order");
    assert_eq!(loaded.care_plans[1], plan.care_plans[0]);
    let current = loaded.current();
    assert_eq!(current.care_plans, plan.care_plans);
    assert_eq!(current.rounds, records.rounds);
    let audit = store.audit_log(10).await.unwrap();
    assert_eq!(audit[0].change.entity, "care-plan");
    assert_eq!(audit[0].actor, "manager");
    assert_eq!(audit[0].change.entity_key, "1-1 R-1 admitted 2026-06-04");
    assert_eq!(
        audit[0].change.after_value.as_deref(),
        Some("planned 2026-06-10")
    );
    assert!(
        store
            .record_services(&ServiceRecords::default(), at(4), "m")
            .await
            .is_err(),
        "nothing to record is refused"
    );

    // A move by single entry, then an end to the move with the same start:
    // read after the import, in the order recorded.
    let moved = alignment("1-1", "U00001", "2026-06-03", None);
    let before = alignment("1-1", "U00002", "2020-10-01", None);
    store
        .align_care_home(&moved, Some(&before), at(5), "icb")
        .await
        .unwrap();
    let ended = alignment("1-1", "U00001", "2026-06-03", Some("2026-06-30"));
    store
        .align_care_home(&ended, Some(&moved), at(6), "icb")
        .await
        .unwrap();
    let facts = store.load_facts().await.unwrap();
    assert_eq!(
        facts.care_home_alignments,
        vec![before.clone(), moved, ended]
    );
    let registry = pcn_core::registry::Registry::new(facts);
    assert_eq!(
        registry.aligned_care_home_ids(&pcn("U00001"), d("2026-06-30")),
        ["1-1"]
    );
    assert!(registry
        .aligned_care_home_ids(&pcn("U00001"), d("2026-07-01"))
        .is_empty());
    assert_eq!(
        registry.aligned_care_home_ids(&pcn("U00002"), d("2026-06-02")),
        ["1-1"]
    );
    let audit = store.audit_log(1).await.unwrap();
    assert_eq!(
        (
            audit[0].change.entity.as_str(),
            audit[0].change.before_value.as_deref(),
            audit[0].change.after_value.as_deref()
        ),
        (
            "care-home-alignment",
            Some("U00001 from 2026-06-03"),
            Some("U00001 from 2026-06-03 to 2026-06-30")
        )
    );
    let counts = store.table_counts().await.unwrap();
    let count = |t: &str| counts.iter().find(|(n, _)| *n == t).unwrap().1;
    assert_eq!(
        (
            count("care_home_round"),
            count("care_plan"),
            count("access_session")
        ),
        (1, 2, 3)
    );
    assert_eq!(count("care_home_alignment_entry"), 2);
}

#[tokio::test]
async fn services_round_trip_on_both_engines() {
    on_both_engines!("services_round_trip", services_round_trip);
}

/// A round naming a post that does not exist is refused by the database
/// too, and the import writes nothing at all.
async fn an_unknown_post_writes_nothing(store: &Store) {
    let facts = FactBatch {
        services: ServiceRecords {
            rounds: vec![CareHomeRound {
                date: d("2026-06-02"),
                location_id: "1-1".into(),
                post: 999,
                residents_reviewed: 1,
                row: Some(2),
            }],
            ..ServiceRecords::default()
        },
        ..FactBatch::default()
    };
    let import = NewImport {
        sha256: "x",
        file_name: "rounds.csv",
        kind: SourceKind::CareHomeRounds,
        data_date: d("2026-06-30"),
        rows_read: 1,
        imported_at: at(0),
        imported_by: "tester",
    };
    assert!(store
        .write_import(&import, &facts, &Rulebook::embedded().unwrap())
        .await
        .is_err());
    assert!(store.imports().await.unwrap().is_empty());
    assert!(store.find_import("x").await.unwrap().is_none());
}

#[tokio::test]
async fn an_unknown_post_writes_nothing_on_both_engines() {
    on_both_engines!(
        "an_unknown_post_writes_nothing",
        an_unknown_post_writes_nothing
    );
}
