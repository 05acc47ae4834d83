//! Many writers at once: 4 `pcn` processes (`arrs add`, `network set`) and
//! the server with 16 concurrent API writers, on one database for about 20
//! seconds (`pcn bench` runs the same for two minutes). Nothing may fail,
//! be lost or be written twice. SQLite always; PostgreSQL when
//! `PCN_TEST_POSTGRES_URL` names a server.

use std::time::Duration;

use pcn_bench::writers::{run, WritersConfig};

fn config(database: String) -> WritersConfig {
    WritersConfig {
        pcn: env!("CARGO_BIN_EXE_pcn").into(),
        database,
        duration: Duration::from_secs(20),
        cli_writers: 4,
        api_writers: 16,
    }
}

fn assert_clean(engine: &str, report: &pcn_bench::writers::WritersReport) {
    eprintln!("{engine}: {}", report.line());
    assert!(
        report.is_clean(),
        "{engine}: {}\n{:#?}",
        report.line(),
        report.failed.iter().take(10).collect::<Vec<_>>()
    );
    assert!(
        report.cli_adds > 0 && report.cli_sets > 0 && report.api_adds > 0,
        "{engine}: {}",
        report.line()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_cli_and_api_writers_lose_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("writers.sqlite").display().to_string();
    let report = run(config(db)).await.unwrap();
    assert_clean("SQLite", &report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_cli_and_api_writers_lose_nothing_on_postgres() {
    let Some(url) = pcn_store::testing::postgres_url("cli_writers").await else {
        return;
    };
    let report = run(config(url)).await.unwrap();
    assert_clean("PostgreSQL", &report);
}
