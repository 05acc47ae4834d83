//! `App::reconcile` in process on a temporary SQLite store: two networks,
//! 2021-22, lists and weighted populations as at the DES population date,
//! and payments written as NHS Payments to General Practice records them;
//! then remittances imported through the ordinary import path.
//!
//! Amounts (2021-22 rules): U00001 has A00001 (10,000 patients) and A00002
//! (20,000); U00002 has A00003 (30,000). Core £1.50 × 30,000 = £45,000;
//! extended hours £1.44 × 30,000 = £43,200 (£3,600 a month); clinical
//! director £0.736 × 30,000 = £22,080, and leadership and management
//! £0.7126 × 30,000 (the adjusted population estimated as the list) =
//! £21,378; participation £1.761 a weighted patient: £17,610, £35,220 and
//! £52,830.

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use pcn_app::imports::FileOutcome;
use pcn_app::reconcile::Against;
use pcn_app::{App, Error};
use pcn_core::facts::*;
use pcn_core::payrun::Selection;
use pcn_core::reconcile::{Cause, Item, Reconciliation};
use pcn_core::rulebook::{FinancialYear, Rulebook};
use pcn_core::{CommissionerCode, Decimal, PcnCode, PracticeCode, SubIcbCode};
use pcn_import::ImportOptions;
use pcn_store::NewImport;

fn d(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

fn practice(code: &str, sub_icb: &str, pcn: &str, list: u64, facts: &mut FactBatch) {
    let code = PracticeCode::parse(code).unwrap();
    let mut p = PracticeFact::new(code.clone(), d("2021-01-01"));
    p.name = Some(format!("PRACTICE {code}"));
    p.sub_icb = Some(SubIcbCode::parse(sub_icb).unwrap());
    p.status = Some(PracticeStatus::Active);
    p.prescribing_setting = Some(4);
    facts.practices.push(p);
    facts.intervals.push(MembershipInterval {
        practice: code.clone(),
        pcn: PcnCode::parse(pcn).unwrap(),
        start: d("2019-07-01"),
        end: None,
    });
    facts.list_sizes.push(ListSizeFact {
        practice: code.clone(),
        as_at: d("2021-01-01"),
        sex: Sex::All,
        total: list,
        bands: None,
    });
    facts.populations.push(PopulationFact {
        subject: PopulationSubject::Practice(code),
        kind: PopulationKind::Weighted,
        as_at: d("2021-01-01"),
        value: Decimal::from(list),
    });
}

fn paid(practice: &str, pcn: &str, column: &str, pence: i64) -> PaymentActualFact {
    PaymentActualFact {
        practice: PracticeCode::parse(practice).unwrap(),
        pcn: Some(PcnCode::parse(pcn).unwrap()),
        financial_year: "2021-22".into(),
        stream: column.into(),
        amount: pence,
    }
}

fn facts() -> FactBatch {
    let mut f = FactBatch::default();
    practice("A00001", "16C", "U00001", 10_000, &mut f);
    practice("A00002", "16C", "U00001", 20_000, &mut f);
    practice("A00003", "00X", "U00002", 30_000, &mut f);
    for (code, name) in [("U00001", "NORTH PCN"), ("U00002", "SOUTH PCN")] {
        f.networks.push(NetworkFact {
            name: Some(name.into()),
            open_date: Some(d("2019-07-01")),
            ..NetworkFact::new(PcnCode::parse(code).unwrap(), d("2021-01-01"))
        });
    }
    f.payment_actuals = vec![
        paid("A00001", "U00001", "PCN Support", 4_500_000),
        paid("A00001", "U00001", "PCN Leadership", 2_208_000 + 2_137_800),
        paid("A00001", "U00001", "PCN Extended Hours Access", 4_320_000),
        paid("A00001", "U00001", "PCN Participation", 1_761_000),
        paid("A00002", "U00001", "PCN Participation", 3_522_000),
        // U00002: core at £2.50 a patient, eleven months of extended hours.
        paid("A00003", "U00002", "PCN Support", 7_500_000),
        paid("A00003", "U00002", "PCN Extended Hours Access", 3_960_000),
        paid("A00003", "U00002", "PCN Participation", 5_283_000),
    ];
    f
}

async fn app(dir: &Path) -> App {
    let rulebook = Arc::new(Rulebook::embedded().unwrap());
    let app = App::open(&dir.join("pcn.sqlite").display().to_string(), rulebook)
        .await
        .unwrap();
    let import = NewImport {
        sha256: "fixture",
        file_name: "fixture",
        kind: SourceKind::NhsPaymentsPractice,
        data_date: d("2021-01-01"),
        rows_read: 3,
        imported_at: Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap(),
        imported_by: "test",
    };
    app.store
        .write_import(&import, &facts(), &app.rulebook)
        .await
        .unwrap();
    app
}

/// The network's reconciled line for `group`.
fn item<'a>(r: &'a Reconciliation, pcn: &str, group: &str) -> &'a Item {
    r.networks
        .iter()
        .find(|n| n.pcn.as_str() == pcn)
        .and_then(|n| n.items.iter().find(|i| i.group == group))
        .unwrap_or_else(|| panic!("{pcn} {group}"))
}

fn cause(r: &Reconciliation, pcn: &str, group: &str) -> Cause {
    item(r, pcn, group).cause.clone()
}

fn year() -> FinancialYear {
    FinancialYear::starting(2021)
}

#[tokio::test]
async fn a_year_against_the_payments_file() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let r = app
        .reconcile(year(), &Selection::all(), Against::Payments)
        .await
        .unwrap();
    assert_eq!(r.networks.len(), 2);
    for group in [
        "PCN Support",
        "PCN Extended Hours Access",
        "PCN Participation",
    ] {
        assert_eq!(cause(&r, "U00001", group), Cause::PaidInFull, "{group}");
    }
    // The leadership column holds the clinical director and, here, the
    // leadership and management money (optional: paid this way in some areas).
    assert_eq!(r.networks[0].pcn.as_str(), "U00001");
    let leadership = item(&r, "U00001", "PCN Leadership");
    assert_eq!(leadership.cause, Cause::PaidInFull);
    assert_eq!(
        leadership.optional_included,
        vec!["pcn-leadership-management"]
    );
    assert!(leadership.estimated, "the adjusted population is estimated");
    assert_eq!(
        cause(&r, "U00002", "PCN Extended Hours Access"),
        Cause::Timing {
            months_paid: 11,
            months_owed: 12
        }
    );
    // £2.50 a patient: nearest core funding with the 2021-22 PCN support
    // payment (optional in the column), two lines on two bases, so no one
    // implied rate.
    assert!(matches!(
        cause(&r, "U00002", "PCN Support"),
        Cause::Rate {
            implied_rate: None,
            ..
        }
    ));
    assert_eq!(cause(&r, "U00002", "PCN Leadership"), Cause::NotPaid);
    // Nationally: extended hours compared for both, one paid the full year.
    let eh = r
        .national
        .iter()
        .find(|g| g.group == "PCN Extended Hours Access")
        .unwrap();
    assert_eq!((eh.after_timing.compared, eh.after_timing.within_1), (2, 2));
    assert_eq!(
        (eh.paid_full_year.compared, eh.paid_full_year.within_2),
        (1, 1)
    );
    assert_eq!(
        r.by_commissioner.keys().collect::<Vec<_>>(),
        vec!["00X", "16C"]
    );
}

#[tokio::test]
async fn selections_and_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let one = Selection::network(PcnCode::parse("U00002").unwrap());
    let r = app
        .reconcile(year(), &one, Against::Payments)
        .await
        .unwrap();
    assert_eq!(r.networks.len(), 1, "only the network asked for");
    assert_eq!(r.networks[0].pcn.as_str(), "U00002");
    let commissioner = Selection::commissioner(CommissionerCode::parse("16C").unwrap());
    let r = app
        .reconcile(year(), &commissioner, Against::Payments)
        .await
        .unwrap();
    assert_eq!(
        r.networks
            .iter()
            .map(|n| n.pcn.as_str())
            .collect::<Vec<_>>(),
        vec!["U00001"]
    );
    let unknown = Selection::network(PcnCode::parse("U99999").unwrap());
    let e = app
        .reconcile(year(), &unknown, Against::Payments)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e}");
    let e = app
        .reconcile(
            FinancialYear::starting(2020),
            &Selection::all(),
            Against::Payments,
        )
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("no NHS Payments to General Practice file for 2020-21"),
        "{e}"
    );
    let e = app
        .reconcile(year(), &Selection::all(), Against::Remittances)
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with("no remittances"), "{e}");
}

#[tokio::test]
async fn remittances_are_imported_checked_and_reconciled() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let options = ImportOptions {
        as_at: None,
        today: d("2026-11-23"),
        limits: pcn_import::Limits::default(),
    };
    let months = [
        "2021-04", "2021-05", "2021-06", "2021-07", "2021-08", "2021-09", "2021-10", "2021-11",
        "2021-12", "2022-01", "2022-02", "2022-03",
    ];
    let mut text = String::from("pcn_code,month,stream,amount\n");
    for m in months {
        text.push_str(&format!("U00001,{m},core-pcn-funding,3750.00\n"));
    }
    // A network the registry does not know: the whole file is refused.
    let bad = format!("{text}U99999,2021-04,core-pcn-funding,1.00\n");
    let path = dir.path().join("remittance-bad.csv");
    std::fs::write(&path, bad).unwrap();
    let outcome = app
        .import_file(&path, &options, "test", &mut |_| {})
        .await
        .unwrap();
    let FileOutcome::Refused(e) = outcome else {
        panic!("an unknown network must be refused");
    };
    assert_eq!(
        e.to_string(),
        format!(
            "{}: row 14, column pcn_code, value \"U99999\": there is no such network in the \
             registry (check the code; `pcn network list` shows them)",
            path.display()
        )
    );
    assert!(app
        .store
        .remittances(year(), None)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        app.store.imports().await.unwrap().len(),
        1,
        "nothing written"
    );

    let path = dir.path().join("remittance.csv");
    std::fs::write(&path, &text).unwrap();
    let outcome = app
        .import_file(&path, &options, "test", &mut |_| {})
        .await
        .unwrap();
    assert!(matches!(outcome, FileOutcome::Written { .. }));
    let r = app
        .reconcile(year(), &Selection::all(), Against::Remittances)
        .await
        .unwrap();
    assert_eq!(r.paid_from, "remittances");
    assert_eq!(r.networks.len(), 1, "the networks that sent remittances");
    assert_eq!(r.networks[0].pcn.as_str(), "U00001");
    let core = item(&r, "U00001", "core-pcn-funding");
    assert_eq!(core.cause, Cause::PaidInFull);
    assert_eq!(core.months_with_payment.len(), 12);
    assert_eq!(cause(&r, "U00001", "extended-hours-access"), Cause::NotPaid);
}
