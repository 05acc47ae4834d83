//! The store on both engines: SQLite always; PostgreSQL when
//! `PCN_TEST_POSTGRES_URL` names a server (scripts/test starts a throwaway
//! cluster and sets it). Under CI a missing PostgreSQL is a failure, not a skip.

mod common;

use chrono::{TimeZone, Utc};
use common::{clinical_director, d};
use pcn_core::facts::*;
use pcn_core::registry::Registry;
use pcn_core::{PcnCode, PracticeCode, SubIcbCode};
use pcn_store::{ImportOutcome, NewImport, Store};

fn rules() -> pcn_core::rulebook::Rulebook {
    pcn_core::rulebook::Rulebook::embedded().unwrap()
}

fn facts() -> FactBatch {
    let at = d("2026-07-01");
    let code = PracticeCode::parse("A81001").unwrap();
    let mut practice = PracticeFact::new(code.clone(), at);
    practice.name = Some("THE DENSHAM SURGERY".into());
    practice.sub_icb = Some(SubIcbCode::parse("16C").unwrap());
    practice.location = LatLon::new_in_uk(54.56, -1.31);
    practice.status = Some(PracticeStatus::Active);
    practice.prescribing_setting = Some(4);
    let mut bands = [0u64; 20];
    bands[0] = 400;
    bands[19] = 100;
    FactBatch {
        practices: vec![practice],
        networks: vec![NetworkFact {
            name: Some("STOCKTON PCN".into()),
            open_date: Some(d("2019-07-01")),
            ..NetworkFact::new(PcnCode::parse("U89141").unwrap(), at)
        }],
        intervals: vec![MembershipInterval {
            practice: code.clone(),
            pcn: PcnCode::parse("U89141").unwrap(),
            start: d("2019-07-01"),
            end: None,
        }],
        observations: vec![MembershipObservation {
            practice: code.clone(),
            pcn: PcnCode::parse("U89141").unwrap(),
            as_at: at,
        }],
        list_sizes: vec![
            ListSizeFact {
                practice: code.clone(),
                as_at: at,
                sex: Sex::All,
                total: 500,
                bands: Some(bands),
            },
            ListSizeFact {
                practice: code,
                as_at: at,
                sex: Sex::Female,
                total: 260,
                bands: None,
            },
        ],
        governance: vec![clinical_director("Dr Ada Lovelace", "2019-07-01")],
        ..funding_inputs()
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// One of each funding input, in the order the store reads them back
/// (by import, then key). Decimals keep their exact digits and scale.
fn funding_inputs() -> FactBatch {
    let practice = PracticeCode::parse("A81001").unwrap();
    let pcn = PcnCode::parse("U89141").unwrap();
    FactBatch {
        populations: vec![
            PopulationFact {
                subject: PopulationSubject::Network(pcn.clone()),
                kind: PopulationKind::Adjusted,
                as_at: d("2025-01-01"),
                value: dec("40210.750"),
            },
            PopulationFact {
                subject: PopulationSubject::Practice(practice.clone()),
                kind: PopulationKind::Weighted,
                as_at: d("2025-01-01"),
                value: dec("4512.3456"),
            },
        ],
        care_homes: vec![
            CareHomeFact {
                location_id: "1-101234567".into(),
                name: "Oak Lodge Care Home".into(),
                postcode: Some("TS18 4AB".into()),
                beds: 40,
                location: LatLon::new_in_uk(54.559_12, -1.330_07),
                local_authority: Some("Stockton-on-Tees".into()),
                ods_code: Some("VNX12".into()),
                dormant: false,
                as_at: d("2024-05-01"),
            },
            CareHomeFact {
                location_id: "1-104567890".into(),
                name: "Willow Court".into(),
                postcode: None,
                beds: 18,
                location: None,
                local_authority: None,
                ods_code: None,
                dormant: true,
                as_at: d("2024-05-01"),
            },
        ],
        care_home_alignments: vec![
            CareHomeAlignment {
                location_id: "1-101234567".into(),
                pcn: pcn.clone(),
                from: d("2020-10-01"),
                to: None,
            },
            CareHomeAlignment {
                location_id: "1-104567890".into(),
                pcn: pcn.clone(),
                from: d("2021-04-01"),
                to: Some(d("2026-03-31")),
            },
        ],
        iif_achievements: vec![
            IifAchievementFact {
                organisation: IifOrganisation::Pcn(pcn.clone()),
                financial_year: "2023-24".into(),
                indicator: "NCDMI210".into(),
                measure: "ACC-10 standardised numerator".into(),
                value: dec("201.5"),
                achievement_date: d("2024-03-31"),
            },
            IifAchievementFact {
                organisation: IifOrganisation::Practice(practice.clone()),
                financial_year: "2023-24".into(),
                indicator: "NCD026".into(),
                measure: "ACC-08 Numerator".into(),
                value: dec("3001"),
                achievement_date: d("2024-03-31"),
            },
        ],
        iif_points: vec![
            IifPointsFact {
                pcn: pcn.clone(),
                financial_year: "2023-24".into(),
                points: dec("152.50"),
                recorded: d("2024-06-30"),
                indicator: None,
                pcn_prevalence: None,
                national_prevalence: None,
            },
            IifPointsFact {
                pcn: pcn.clone(),
                financial_year: "2023-24".into(),
                points: dec("30"),
                recorded: d("2024-06-30"),
                indicator: Some("HI-03".into()),
                pcn_prevalence: Some(dec("0.0061")),
                national_prevalence: Some(dec("0.0055")),
            },
        ],
        payment_actuals: vec![
            PaymentActualFact {
                practice: practice.clone(),
                pcn: Some(pcn),
                financial_year: "2022-23".into(),
                stream: "PCN Leadership".into(),
                amount: 152_340,
            },
            PaymentActualFact {
                practice,
                pcn: None,
                financial_year: "2022-23".into(),
                stream: "PCN Participation".into(),
                amount: -5,
            },
        ],
        ..FactBatch::default()
    }
}

fn import<'a>(sha: &'a str) -> NewImport<'a> {
    NewImport {
        sha256: sha,
        file_name: "fixture.csv",
        kind: SourceKind::RegistrationMap,
        data_date: d("2026-07-01"),
        rows_read: 1,
        imported_at: Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap(),
        imported_by: "tester",
    }
}

async fn exercise(store: &Store) {
    // A first import is written; the same content again changes nothing.
    let first = store
        .write_import(&import("abc"), &facts(), &rules())
        .await
        .unwrap();
    assert!(matches!(first, ImportOutcome::Written(1)), "{first:?}");
    let again = store
        .write_import(&import("abc"), &facts(), &rules())
        .await
        .unwrap();
    assert!(
        matches!(again, ImportOutcome::AlreadyImported(ref r) if r.id == 1),
        "{again:?}"
    );
    assert_eq!(store.imports().await.unwrap().len(), 1);

    // Facts come back as they went in (bands stay in the database).
    let loaded = store.load_facts().await.unwrap();
    let original = facts();
    assert_eq!(loaded.practices, original.practices);
    assert_eq!(loaded.networks, original.networks);
    assert_eq!(loaded.intervals, original.intervals);
    assert_eq!(loaded.observations, original.observations);
    assert_eq!(loaded.governance, original.governance);
    assert_eq!(loaded.populations, original.populations);
    assert_eq!(
        loaded.populations[0].value.to_string(),
        "40210.750",
        "exact digits kept"
    );
    assert_eq!(loaded.care_homes, original.care_homes);
    assert_eq!(loaded.care_home_alignments, original.care_home_alignments);
    assert_eq!(loaded.iif_achievements, original.iif_achievements);
    assert_eq!(loaded.iif_points, original.iif_points);
    assert_eq!(loaded.payment_actuals, original.payment_actuals);
    // The cached copy (read the second time) holds the funding inputs too.
    let cached = store.load_facts().await.unwrap();
    assert_eq!(cached, loaded);
    let registry = Registry::new(cached.clone());
    let u89141 = PcnCode::parse("U89141").unwrap();
    assert_eq!(
        registry.adjusted_population(&u89141, d("2025-04-01")),
        Some((d("2025-01-01"), dec("40210.75")))
    );
    let beds = registry.care_home_beds(&u89141, d("2025-04-01"));
    assert_eq!((beds.beds, beds.homes, beds.dormant), (58, 2, 1));
    assert_eq!(
        loaded.list_sizes.len(),
        1,
        "only the all-sexes totals are loaded"
    );
    assert_eq!(loaded.list_sizes[0].total, 500);
    let snapshot = Registry::new(loaded).at(d("2026-07-01"));
    assert_eq!(
        snapshot.networks[&PcnCode::parse("U89141").unwrap()].list_size,
        500
    );

    // An import that fails part-way writes nothing at all.
    let mut broken = facts();
    broken.observations.push(broken.observations[0].clone()); // duplicate primary key
    let err = store.write_import(&import("def"), &broken, &rules()).await;
    assert!(err.is_err());
    assert_eq!(store.imports().await.unwrap().len(), 1);
    let counts = store.table_counts().await.unwrap();
    assert!(counts.contains(&("practice_fact", 1)), "{counts:?}");
    assert!(counts.contains(&("population_fact", 2)), "{counts:?}");
    assert!(counts.contains(&("payment_actual", 2)), "{counts:?}");
    assert!(
        counts.contains(&("membership_observation", 1)),
        "{counts:?}"
    );

    // Governance changes are kept with who and when, and audited before/after.
    let change = clinical_director("Dr Grace Hopper", "2026-04-01");
    store
        .record_governance(&[change], Utc::now(), "cd-admin")
        .await
        .unwrap();
    let rows = store
        .governance_rows(Some(&PcnCode::parse("U89141").unwrap()))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].2, "cd-admin");
    let audit = store.audit_log(10).await.unwrap();
    assert_eq!(audit[0].actor, "cd-admin");
    assert_eq!(
        audit[0].change.before_value.as_deref(),
        Some("Dr Ada Lovelace")
    );
    assert_eq!(
        audit[0].change.after_value.as_deref(),
        Some("Dr Grace Hopper")
    );
    let snapshot = Registry::new(store.load_facts().await.unwrap()).at(d("2026-07-01"));
    let network = &snapshot.networks[&PcnCode::parse("U89141").unwrap()];
    assert_eq!(
        network.governance.clinical_director.as_deref(),
        Some("Dr Grace Hopper")
    );
}

#[test]
fn the_cache_format_keeps_funding_inputs() {
    // The registry cache is postcard: decimals (serialised as strings) and
    // every funding input must survive it, or every load would rebuild.
    let facts = facts();
    let bytes = postcard::to_stdvec(&facts).unwrap();
    let back: FactBatch = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(back, facts);
}

async fn distribution_agreements_are_kept_and_the_latest_is_in_force(store: &Store) {
    let agreement = |method: &str, top: &str| pcn_store::DistributionAgreement {
        pcn: PcnCode::parse("U89141").unwrap(),
        financial_year: "2025-26".into(),
        method: method.into(),
        top_slice_percent: top.into(),
        shares: None,
    };
    store
        .record_distribution(&agreement("equal", "0"), Utc::now(), "pm")
        .await
        .unwrap();
    store
        .record_distribution(&agreement("registered-list", "2.5"), Utc::now(), "pm")
        .await
        .unwrap();
    let in_force = store.distribution_agreements("2025-26").await.unwrap();
    assert_eq!(in_force, vec![agreement("registered-list", "2.5")]);
    assert!(store
        .distribution_agreements("2024-25")
        .await
        .unwrap()
        .is_empty());
    let audit = store.audit_log(1).await.unwrap();
    assert_eq!(
        audit[0].change.before_value.as_deref(),
        Some("equal, top-slice 0%")
    );
    assert_eq!(
        audit[0].change.after_value.as_deref(),
        Some("registered-list, top-slice 2.5%")
    );
    let assessment = |earned: &str| pcn_store::Assessment {
        pcn: PcnCode::parse("U89141").unwrap(),
        financial_year: "2025-26".into(),
        stream_id: "capacity-and-access-improvement".into(),
        earned: earned.parse().unwrap(),
        note: Some("two components in place".into()),
    };
    store
        .record_assessment(&assessment("0.333333"), Utc::now(), "icb")
        .await
        .unwrap();
    store
        .record_assessment(&assessment("1"), Utc::now(), "icb")
        .await
        .unwrap();
    assert_eq!(
        store.assessments("2025-26").await.unwrap(),
        vec![assessment("1")]
    );
    let audit = store.audit_log(1).await.unwrap();
    assert_eq!(
        audit[0].change.before_value.as_deref(),
        Some("earned 0.333333")
    );
}

#[tokio::test]
async fn sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pcn.sqlite");
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    exercise(&store).await;
    distribution_agreements_are_kept_and_the_latest_is_in_force(&store).await;
    store.close().await;
    // Reopening runs no migration twice and keeps the data.
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    assert_eq!(store.imports().await.unwrap().len(), 1);
}

#[tokio::test]
async fn postgres_store() {
    let Some(url) = pcn_store::testing::postgres_url("store").await else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend(), pcn_store::Backend::Postgres);
    exercise(&store).await;
    distribution_agreements_are_kept_and_the_latest_is_in_force(&store).await;
}
