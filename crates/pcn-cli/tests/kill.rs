//! A `pcn import` killed with SIGKILL at any moment leaves a sound database
//! holding each file whole or not at all. Two registration maps (written
//! here in the official format, large enough to take a while) are imported
//! into SQLite by the real binary, which is killed at several points of the
//! run; each time the database must open, pass `PRAGMA integrity_check` and
//! `foreign_key_check`, and hold exactly the rows of the imports it records.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pcn_store::Store;

const HEADER: &str = "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,ONS_SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ONS_ICB_CODE,ICB_CODE,ICB_NAME,ONS_COMM_REGION_CODE,COMM_REGION_CODE,COMM_REGION_NAME,SUPPLIER_NAME";

/// A registration map of `practices` practices in networks of ten.
fn write_map(path: &Path, extract: &str, practices: usize) {
    let mut text = String::from(HEADER);
    text.push('\n');
    for n in 0..practices {
        let letter = char::from(b'A' + (n / 100_000) as u8);
        text.push_str(&format!(
            "GP_PRAC_PAT_LIST,{extract},{letter}{:05},PRACTICE {n},TS18 1HU,U{:05},NETWORK {},E38000247,16C,NHS North East and North Cumbria ICB - 16C,E54000050,QHM,NHS North East and North Cumbria Integrated Care Board,E40000012,Y63,North East and Yorkshire,TPP\n",
            n % 100_000,
            n / 10,
            n / 10
        ));
    }
    std::fs::write(path, text).unwrap();
}

fn import(database: &str, files: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pcn"));
    command
        .arg("--database")
        .arg(database)
        .arg("--by")
        .arg("test-user")
        .arg("import")
        .args(files)
        .env_remove("PCN_DATABASE")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// The row counts of every table, as the store reports them.
async fn counts(database: &str) -> Vec<(&'static str, i64)> {
    let store = Store::open(database).await.unwrap();
    let counts = store.table_counts().await.unwrap();
    store.close().await;
    counts
}

#[tokio::test]
async fn kill_9_during_an_import_leaves_the_database_whole_with_each_file_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<String> = [("01Jun2026", "june"), ("01Jul2026", "july")]
        .iter()
        .map(|(extract, name)| {
            let path = dir.path().join(format!("map-{name}.csv"));
            write_map(&path, extract, 30_000);
            path.display().to_string()
        })
        .collect();

    // What the database holds after none, one and both files, uninterrupted.
    let mut expected = Vec::new();
    let mut full_run = Duration::ZERO;
    for n in 0..=files.len() {
        let database = dir
            .path()
            .join(format!("reference-{n}.sqlite"))
            .display()
            .to_string();
        if n == 0 {
            // An empty database: opened (and migrated) only.
            Store::open(&database).await.unwrap().close().await;
        } else {
            let started = Instant::now();
            assert!(import(&database, &files[..n]).status().unwrap().success());
            full_run = full_run.max(started.elapsed());
        }
        expected.push(counts(&database).await);
    }
    assert_ne!(expected[1], expected[2]);

    // Kill the import at points spread over a whole run.
    let mut seen = [0; 3];
    for step in 1..=8u32 {
        let database = dir
            .path()
            .join(format!("killed-{step}.sqlite"))
            .display()
            .to_string();
        let mut child = import(&database, &files).spawn().unwrap();
        std::thread::sleep(full_run * step / 9);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let (integrity, broken) = pcn_store::testing::sqlite_health(&database).await.unwrap();
        assert_eq!(integrity, "ok", "kill {step}");
        assert_eq!(broken, 0, "kill {step}: broken references");
        let store = Store::open(&database).await.unwrap();
        let imported = store.imports().await.unwrap().len();
        store.close().await;
        assert_eq!(
            counts(&database).await,
            expected[imported],
            "kill {step}: {imported} imports"
        );
        seen[imported] += 1;
    }
    eprintln!("kills leaving 0, 1 and 2 imports: {seen:?} (a whole run took {full_run:?})");
}
