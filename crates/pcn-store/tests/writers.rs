//! Many writers at once, and attacks on the store: each test is named after
//! what it stops. On SQLite every writer has its own `Store` (its own
//! connection, as another process would); on PostgreSQL they share nothing
//! either.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{at, clinical_director, d, import_census, record};
use pcn_core::arrs::{Employer, Funding, Origin, Post, Terms};
use pcn_core::rulebook::Region;
use pcn_core::PcnCode;
use pcn_store::{AuditChange, LoginGate, LoginLimits, Store};
use sqlx::Connection;

/// `n` stores on one database: SQLite files get a connection each.
async fn stores(spec: &str, n: usize) -> Vec<Store> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(Store::open(spec).await.unwrap());
    }
    out
}

/// Each engine's database spec: a fresh SQLite file, and a fresh PostgreSQL
/// database when a server is given.
async fn engines(label: &str) -> (Vec<String>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut specs = vec![dir.path().join("pcn.sqlite").display().to_string()];
    specs.extend(common::postgres_url(label).await);
    (specs, dir)
}

fn post(writer: usize, n: usize) -> Post {
    Post {
        id: 0,
        pcn: PcnCode::parse(&format!("U{:05}", 10_000 + writer)).unwrap(),
        person: format!("writer {writer} post {n}"),
        name: None,
        role: "care-coordinator".into(),
        employer: Employer::Network,
        funding: Funding::Arrs,
        region: Region::England,
        start: d("2026-04-01"),
        end: None,
        terms: vec![Terms {
            effective_from: d("2026-04-01"),
            band: "4".into(),
            wte: "0.5".parse().unwrap(),
            salary: None,
            on_costs: None,
            levy: false,
            recorded: 0,
        }],
        origin: Origin::Entered,
    }
}

/// One writer's round: a post, a governance fact (a read, then a write:
/// the value before goes into the audit row) and an audit row of its own.
async fn round(store: &Store, writer: usize, n: usize) -> pcn_store::Result<i64> {
    let id = store.add_post(&post(writer, n), at(0), "writer").await?;
    let fact = clinical_director(&format!("Dr {writer}-{n}"), "2026-04-01");
    store.record_governance(&[fact], at(0), "writer").await?;
    let refusal = AuditChange::new("refused", "access", format!("{writer}/{n}"));
    store.record_audit(at(0), "writer", &refusal).await?;
    Ok(id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_lose_nothing_and_share_no_id() {
    const WRITERS: usize = 6;
    let (specs, _dir) = engines("writers").await;
    for spec in specs {
        let writers = stores(&spec, WRITERS).await;
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut tasks = Vec::new();
        for (w, store) in writers.into_iter().enumerate() {
            tasks.push(tokio::spawn(async move {
                let (mut ids, mut failures) = (Vec::new(), Vec::new());
                let mut n = 0;
                while Instant::now() < deadline || n < 5 {
                    match round(&store, w, n).await {
                        Ok(id) => ids.push(id),
                        Err(e) => failures.push(format!("{e:#?}")),
                    }
                    n += 1;
                }
                (ids, failures, n)
            }));
        }
        let (mut ids, mut rounds) = (Vec::new(), 0);
        for task in tasks {
            let (mine, failures, n) = task.await.unwrap();
            assert!(failures.is_empty(), "{spec}: failed writes: {failures:?}");
            ids.extend(mine);
            rounds += n;
        }
        let store = Store::open(&spec).await.unwrap();
        let distinct: BTreeSet<i64> = ids.iter().copied().collect();
        assert_eq!(distinct.len(), rounds, "{spec}: a duplicate post id");
        let stored: BTreeSet<i64> = store
            .posts(None)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(stored, distinct, "{spec}: a post lost");
        let governance = store.governance_rows(None).await.unwrap();
        assert_eq!(governance.len(), rounds, "{spec}: a governance fact lost");
        // Each round wrote three audit rows, all with ids of their own.
        let audit = store.audit_log(100_000).await.unwrap();
        assert_eq!(audit.len(), 3 * rounds, "{spec}: an audit row lost");
        let audit_ids: BTreeSet<i64> = audit.iter().map(|e| e.id).collect();
        assert_eq!(audit_ids.len(), audit.len());
        eprintln!("{spec}: {rounds} rounds of {WRITERS} writers, none failed");
    }
}

/// Census seeding reserves the ids of its posts before it writes them: a
/// census of 2,000 records imported while other writers add posts one at a
/// time shares no id with them, loses none, and every seeded post keeps its
/// own terms.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_census_seeded_while_posts_are_added_shares_no_id() {
    const WRITERS: usize = 3;
    const RECORDS: usize = 2_000;
    let (specs, _dir) = engines("census_writers").await;
    for spec in specs {
        let census = Store::open(&spec).await.unwrap();
        // Person i works 0.1 × (i mod 9 + 1) FTE: the seeded terms tell posts apart.
        let fte = |i: usize| format!("0.{}", i % 9 + 1);
        let records: Vec<_> = (0..RECORDS)
            .map(|i| {
                record(
                    "2026-06-30",
                    "Pharmacists",
                    &fte(i),
                    &format!("P{i}"),
                    "Y63",
                )
            })
            .collect();
        // Posts already there: the census's ids must come after theirs.
        let writers = stores(&spec, WRITERS).await;
        let mut before = 0;
        for n in 0..3 {
            before = before.max(
                writers[0]
                    .add_post(&post(9, n), at(0), "writer")
                    .await
                    .unwrap(),
            );
        }
        let seeding = tokio::spawn(async move { import_census(&census, "big", records).await });
        let mut tasks = Vec::new();
        for (w, store) in writers.into_iter().enumerate() {
            tasks.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..20 {
                    ids.push(store.add_post(&post(w, n), at(0), "writer").await.unwrap());
                }
                ids
            }));
        }
        seeding.await.unwrap().unwrap();
        let mut added = BTreeSet::new();
        for task in tasks {
            added.extend(task.await.unwrap());
        }
        assert_eq!(added.len(), WRITERS * 20, "{spec}: a duplicate added id");

        let posts = Store::open(&spec).await.unwrap().posts(None).await.unwrap();
        let ids: BTreeSet<i64> = posts.iter().map(|p| p.id).collect();
        assert_eq!(ids.len(), posts.len(), "{spec}: two posts share an id");
        assert_eq!(
            posts.len(),
            3 + RECORDS + added.len(),
            "{spec}: a post lost"
        );
        let seeded: Vec<&Post> = posts
            .iter()
            .filter(|p| p.origin != Origin::Entered)
            .collect();
        let first_seeded = seeded.iter().map(|p| p.id).min().unwrap();
        assert!(
            first_seeded > before,
            "{spec}: a seeded id at or below {before}"
        );
        assert!(added.is_subset(&ids), "{spec}: an added post lost");
        for p in &seeded {
            let i: usize = p.person[1..].parse().unwrap();
            let wtes: Vec<String> = p.terms.iter().map(|t| t.wte.to_string()).collect();
            assert_eq!(wtes, vec![fte(i)], "{spec}: {}'s terms", p.person);
        }
        eprintln!("{spec}: {RECORDS} seeded beside {} added", added.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_parallel_wrong_passwords_check_at_most_five() {
    let (specs, _dir) = engines("throttle").await;
    for spec in specs {
        let writers = stores(&spec, 8).await;
        let limits = LoginLimits::default();
        let mut tasks = Vec::new();
        for i in 0..64 {
            let store = writers[i % writers.len()].clone();
            tasks.push(tokio::spawn(async move {
                let client = format!("10.0.{}.{}", i / 8, i % 8);
                store.begin_login("alice", &client, at(0), &limits).await
            }));
        }
        let mut checked = 0;
        for task in tasks {
            match task.await.unwrap().unwrap() {
                LoginGate::Check(_) => checked += 1,
                LoginGate::Locked { user_name, .. } => assert!(user_name),
            }
        }
        assert_eq!(checked, 5, "{spec}: passwords checked before the lock");
        // A correct password sent now is refused before it is checked.
        let later = writers[0]
            .begin_login("alice", "192.0.2.1", at(1), &limits)
            .await
            .unwrap();
        assert_eq!(
            later,
            LoginGate::Locked {
                user_name: true,
                client: false
            },
            "{spec}"
        );
        // The window passes; a success then clears the user name's failures.
        let store = &writers[0];
        let LoginGate::Check(attempt) = store
            .begin_login("alice", "192.0.2.1", at(16), &limits)
            .await
            .unwrap()
        else {
            panic!("{spec}: still locked after the window");
        };
        store.login_succeeded(attempt).await.unwrap();
        for minute in 17..21 {
            let gate = store
                .begin_login("alice", "192.0.2.1", at(minute), &limits)
                .await;
            assert!(
                matches!(gate.unwrap(), LoginGate::Check(_)),
                "{spec}: minute {minute}"
            );
        }
    }
}

#[tokio::test]
async fn one_client_address_guessing_many_user_names_is_locked_after_twenty() {
    let (specs, _dir) = engines("throttle_client").await;
    for spec in specs {
        let store = Store::open(&spec).await.unwrap();
        let limits = LoginLimits::default();
        for n in 0..20 {
            let gate = store
                .begin_login(&format!("user{n}"), "203.0.113.9", at(0), &limits)
                .await
                .unwrap();
            assert!(matches!(gate, LoginGate::Check(_)), "{spec}: attempt {n}");
        }
        let gate = store
            .begin_login("user20", "203.0.113.9", at(1), &limits)
            .await
            .unwrap();
        assert_eq!(
            gate,
            LoginGate::Locked {
                user_name: false,
                client: true
            }
        );
        let elsewhere = store
            .begin_login("user20", "198.51.100.1", at(1), &limits)
            .await
            .unwrap();
        assert!(matches!(elsewhere, LoginGate::Check(_)), "{spec}");
    }
}

#[tokio::test]
async fn a_flood_of_refused_logins_cannot_bury_real_changes_in_the_audit_log() {
    let (specs, _dir) = engines("refusals").await;
    for spec in specs {
        let store = Store::open(&spec).await.unwrap();
        let limits = LoginLimits::default();
        let change = clinical_director("Dr Ada Lovelace", "2026-04-01");
        store
            .record_governance(&[change], at(0), "pm")
            .await
            .unwrap();
        // 5 failures lock the name; 300 more attempts in the same window are refused.
        for n in 0..305 {
            store
                .begin_login(
                    "admin",
                    &format!("10.1.{}.{}", n / 200, n % 200),
                    at(1),
                    &limits,
                )
                .await
                .unwrap();
        }
        let audit = store.audit_log(10).await.unwrap();
        assert_eq!(audit.len(), 2, "{spec}: {audit:#?}");
        assert_eq!(
            audit[1].change.entity, "network",
            "{spec}: the real change is still there"
        );
        assert_eq!(
            (
                audit[0].change.action.as_str(),
                audit[0].change.entity.as_str(),
                audit[0].change.entity_key.as_str()
            ),
            ("refused", "login", "admin")
        );
        assert_eq!(
            audit[0].change.after_value.as_deref(),
            Some("300 refused logins")
        );
        // The same window counts on; the next one starts a row of its own.
        store
            .begin_login("admin", "10.9.9.9", at(14), &limits)
            .await
            .unwrap();
        store
            .begin_login("admin", "10.9.9.9", at(16), &limits)
            .await
            .unwrap();
        let audit = store.audit_log(10).await.unwrap();
        assert_eq!(audit.len(), 3, "{spec}: {audit:#?}");
        assert_eq!(
            audit[0].change.after_value.as_deref(),
            Some("1 refused login")
        );
        assert_eq!(
            audit[1].change.after_value.as_deref(),
            Some("301 refused logins")
        );
    }
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_writers_that_wait() {
    let (store, _dir, path) = common::sqlite().await;
    store
        .record_audit(at(0), "t", &AuditChange::new("a", "b", "c"))
        .await
        .unwrap();
    let mut conn = sqlx::AnyConnection::connect(&pcn_store::database_url(&path))
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal", "the mode is kept in the file");
    // Another process holding the write lock makes a writer wait, not fail.
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut conn)
        .await
        .unwrap();
    let writer = tokio::spawn(async move {
        store
            .record_audit(at(1), "t", &AuditChange::new("a", "b", "d"))
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!writer.is_finished(), "the writer waits for the lock");
    sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
    writer.await.unwrap().unwrap();
}

/// A database as pcn left it before migration 0008 (ids given by pcn), with
/// ids out of order and a gap.
async fn old_database(spec: &str) {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.as_str() < "0008" {
            std::fs::copy(entry.path(), dir.path().join(name)).unwrap();
        }
    }
    sqlx::any::install_default_drivers();
    let url = pcn_store::database_url(spec);
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let old = sqlx::migrate::Migrator::new(dir.path()).await.unwrap();
    old.run(&pool).await.unwrap();
    for sql in [
        "INSERT INTO import_log VALUES (7, 'sha7', 'a.csv', 'governance', '2026-01-01', 1, 1, 't', 'x')",
        "INSERT INTO import_log VALUES (3, 'sha3', 'b.csv', 'governance', '2026-01-01', 1, 1, 't', 'x')",
        "INSERT INTO governance_fact VALUES (12, 7, 'U89141', 'clinical-director', 'Dr A', '2026-01-01', 't', 'x')",
        "INSERT INTO arrs_post VALUES (40, 'U89141', 'P', NULL, 'paramedic', 'network', 'arrs', 'england', '2026-04-01', NULL, 'entered', NULL, 't', 'x')",
        "INSERT INTO arrs_terms VALUES (41, 40, '2026-04-01', '7', '1', NULL, NULL, 0, 't', 'x')",
        "INSERT INTO audit_log VALUES (90, 't', 'x', 'set', 'network', 'U89141', NULL, 'Dr A', NULL)",
        "INSERT INTO web_user VALUES (5, 'alice', NULL, 'h', 'admin', 'all', 't', 'x', NULL)",
        "INSERT INTO web_session VALUES ('tok', 5, 'c', 't', '2999-01-01T00:00:00+00:00')",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
}

#[tokio::test]
async fn migration_0008_keeps_every_row_and_id_and_new_ids_follow() {
    let (specs, _dir) = engines("migration").await;
    for spec in specs {
        old_database(&spec).await;
        let store = Store::open(&spec).await.unwrap();
        let imports: Vec<i64> = store
            .imports()
            .await
            .unwrap()
            .iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(imports, vec![3, 7], "{spec}");
        let posts = store.posts(None).await.unwrap();
        assert_eq!((posts[0].id, posts[0].terms.len()), (40, 1), "{spec}");
        assert_eq!(store.audit_log(10).await.unwrap()[0].id, 90, "{spec}");
        assert_eq!(
            store.governance_rows(None).await.unwrap().len(),
            1,
            "{spec}"
        );
        assert!(
            store.session("tok", at(0)).await.unwrap().is_some(),
            "{spec}: sessions kept"
        );
        // New rows take ids past the largest.
        let id = store.add_post(&post(1, 1), at(0), "t").await.unwrap();
        assert_eq!(id, 41, "{spec}");
        assert_eq!(store.audit_log(1).await.unwrap()[0].id, 91, "{spec}");
        store.close().await;
        if !spec.starts_with("postgres") {
            assert_eq!(
                pcn_store::testing::sqlite_health(&spec).await.unwrap(),
                ("ok".to_string(), 0)
            );
        }
    }
}
