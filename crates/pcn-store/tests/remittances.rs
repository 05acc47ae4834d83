//! Networks' remittances on both engines: written with their import, read
//! back by financial year (and network), all or nothing, and kept out of the
//! registry's facts.

mod common;

use common::{at, d, on_both_engines};
use pcn_core::facts::{FactBatch, Remittance, SourceKind};
use pcn_core::money::Pence;
use pcn_core::rulebook::{FinancialYear, Rulebook};
use pcn_core::PcnCode;
use pcn_store::{ImportOutcome, NewImport, Store};

fn row(row: u64, pcn: &str, month: &str, stream: &str, pence: i64) -> Remittance {
    Remittance {
        pcn: PcnCode::parse(pcn).unwrap(),
        month: d(month),
        stream: stream.parse().unwrap(),
        amount: Pence(pence),
        row,
    }
}

fn batch(rows: Vec<Remittance>) -> FactBatch {
    FactBatch {
        remittances: rows,
        ..FactBatch::default()
    }
}

fn import(sha: &str) -> NewImport<'_> {
    NewImport {
        sha256: sha,
        file_name: "remittance.csv",
        kind: SourceKind::Remittances,
        data_date: d("2022-04-01"),
        rows_read: 4,
        imported_at: at(0),
        imported_by: "tester",
    }
}

async fn kept_by_year(store: &Store) {
    let rules = Rulebook::embedded().unwrap();
    let rows = vec![
        row(2, "U89141", "2021-04-01", "core-pcn-funding", 512_345),
        row(3, "U89141", "2021-04-01", "core-pcn-funding", -2_345),
        row(4, "U12345", "2022-03-01", "extended-hours-access", 123_456),
        row(5, "U12345", "2022-04-01", "core-pcn-funding", 100),
    ];
    let outcome = store
        .write_import(&import("r1"), &batch(rows.clone()), &rules)
        .await
        .unwrap();
    assert!(matches!(outcome, ImportOutcome::Written(_)), "{outcome:?}");
    let year = FinancialYear::starting(2021);
    assert_eq!(
        store.remittances(year, None).await.unwrap(),
        rows[..3].to_vec(),
        "2021-22's rows, as written, in file order"
    );
    let u12345 = PcnCode::parse("U12345").unwrap();
    assert_eq!(
        store.remittances(year, Some(&u12345)).await.unwrap(),
        vec![rows[2].clone()]
    );
    assert_eq!(
        store
            .remittances(FinancialYear::starting(2022), None)
            .await
            .unwrap(),
        vec![rows[3].clone()]
    );

    // A file whose rows cannot all be written writes none of them.
    let broken = vec![
        row(2, "U89141", "2021-05-01", "core-pcn-funding", 1),
        row(2, "U89141", "2021-06-01", "core-pcn-funding", 1),
    ];
    assert!(store
        .write_import(&import("r2"), &batch(broken), &rules)
        .await
        .is_err());
    assert_eq!(store.remittances(year, None).await.unwrap().len(), 3);
    assert_eq!(store.imports().await.unwrap().len(), 1);
    let counts = store.table_counts().await.unwrap();
    assert!(counts.contains(&("remittance", 4)), "{counts:?}");

    // Not registry facts: the registry's facts (and its cache) leave them out.
    assert!(store.load_facts().await.unwrap().remittances.is_empty());
    assert!(store.load_facts().await.unwrap().remittances.is_empty());
}

#[tokio::test]
async fn remittances_are_kept_with_their_import_and_read_by_year() {
    on_both_engines!("remittances", kept_by_year);
}
