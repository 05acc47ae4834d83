//! GPAD appointments in the store, on both engines: tables and national
//! months read back as written; a newer edition of an area-month replaces
//! the older one on reading while both are kept; of one edition the later
//! import wins; reads for some areas only; a refused batch writes nothing;
//! and appointments stay out of the registry cache.

mod common;

use common::{at, on_both_engines};
use pcn_core::arrs::YearMonth;
use pcn_core::facts::{FactBatch, SourceKind};
use pcn_core::gpad_facts::*;
use pcn_core::{PcnCode, PracticeCode, SubIcbCode};
use pcn_store::{AppointmentAreas, ImportOutcome, NewImport, Store};

fn ym(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

fn edition(y: i32, m: u32) -> GpadEdition {
    GpadEdition {
        month: ym(y, m),
        basis: EditionBasis::Path,
    }
}

fn practice(code: &str, pcn: &str, sub_icb: &str) -> AppointmentArea {
    AppointmentArea::Practice {
        code: PracticeCode::parse(code).unwrap(),
        pcn: Some(PcnCode::parse(pcn).unwrap()),
        sub_icb: Some(SubIcbCode::parse(sub_icb).unwrap()),
    }
}

fn row(
    area: u32,
    month: YearMonth,
    status: ApptStatus,
    hcp: HcpType,
    count: u32,
) -> AppointmentRow {
    AppointmentRow {
        area,
        month,
        status,
        hcp,
        mode: ApptMode::FaceToFace,
        interval: BookingInterval::SameDay,
        category: Some(1),
        count,
    }
}

/// Two practices in two sub-ICBs, one with two months, as a crosstab of
/// edition `e` gives them; `scale` multiplies every count.
fn crosstab(e: GpadEdition, scale: u32) -> AppointmentTable {
    let (jul, aug) = (ym(2025, 7), ym(2025, 8));
    AppointmentTable {
        edition: e,
        setting: AppointmentSetting::Practice,
        granularity: Granularity::Monthly,
        areas: vec![
            practice("A81001", "U89141", "16C"),
            practice("B82005", "U12345", "03R"),
        ],
        categories: vec![
            "General Consultation Routine".into(),
            "Triage, phone".into(),
        ],
        rows: vec![
            row(0, jul, ApptStatus::Attended, HcpType::Gp, 40 * scale),
            row(0, aug, ApptStatus::Attended, HcpType::Gp, 50 * scale),
            row(
                0,
                aug,
                ApptStatus::Dna,
                HcpType::OtherPracticeStaff,
                3 * scale,
            ),
            row(
                1,
                aug,
                ApptStatus::Attended,
                HcpType::OtherPracticeStaff,
                70 * scale,
            ),
        ],
    }
}

fn sub_icb_daily() -> AppointmentTable {
    AppointmentTable {
        edition: GpadEdition {
            month: ym(2023, 10),
            basis: EditionBasis::NewestMonth,
        },
        setting: AppointmentSetting::Practice,
        granularity: Granularity::DailySummedToMonths,
        areas: vec![AppointmentArea::SubIcb(SubIcbCode::parse("03R").unwrap())],
        categories: Vec::new(),
        rows: vec![AppointmentRow {
            category: None,
            ..row(
                0,
                ym(2019, 1),
                ApptStatus::Unknown,
                HcpType::Unknown,
                2_000_000,
            )
        }],
    }
}

fn national() -> Vec<NationalAppointmentMonth> {
    vec![
        NationalAppointmentMonth {
            month: ym(2019, 1),
            edition: GpadEdition {
                month: ym(2021, 4),
                basis: EditionBasis::Stated,
            },
            series: NationalSeries::SummaryTable,
            recorded: 27_000_000,
            coverage: Some(Coverage {
                open_practices: 7_000,
                included_practices: 6_800,
                patients_at_open_practices: 59_000_000,
                patients_at_included_practices: 57_500_000,
            }),
            estimated_england_total: Some(27_810_000),
            working_days: Some(22),
            covid_vaccinations_removed: None,
            covid_vaccinations_by_practices: Some(0),
            by_status: Some(vec![
                (ApptStatus::Attended, 25_000_000),
                (ApptStatus::Dna, 1_000_000),
                (ApptStatus::Unknown, 1_000_000),
            ]),
            by_hcp: Some(vec![
                (HcpType::Gp, 14_000_000),
                (HcpType::OtherPracticeStaff, 13_000_000),
            ]),
            by_mode: None,
            by_interval: Some(vec![(BookingInterval::EightToFourteenDays, 27_000_000)]),
        },
        NationalAppointmentMonth::recorded(
            ym(2019, 1),
            GpadEdition {
                month: ym(2024, 1),
                basis: EditionBasis::NewestMonth,
            },
            NationalSeries::MonthlyCsv,
            26_900_000,
        ),
    ]
}

async fn write(store: &Store, sha: &str, minutes: i64, facts: &FactBatch) -> i64 {
    let import = NewImport {
        sha256: sha,
        file_name: "Practice_Level_Crosstab.csv",
        kind: SourceKind::GpadPracticeAppointments,
        data_date: "2025-08-01".parse().unwrap(),
        rows_read: 4,
        imported_at: at(minutes),
        imported_by: "tester",
    };
    let rules = pcn_core::rulebook::Rulebook::embedded().unwrap();
    match store.write_import(&import, facts, &rules).await.unwrap() {
        ImportOutcome::Written(id) => id,
        other => panic!("{other:?}"),
    }
}

/// Writes, as import `sha` at `minutes`, the September 2025 edition's
/// crosstab (figures of `scale`) for the first practice and August only.
async fn write_august_of_september_edition(store: &Store, sha: &str, minutes: i64, scale: u32) {
    let mut table = crosstab(edition(2025, 9), scale);
    table.rows.retain(|r| r.area == 0 && r.month == ym(2025, 8));
    let facts = FactBatch {
        appointments: vec![table],
        ..FactBatch::default()
    };
    write(store, sha, minutes, &facts).await;
}

async fn written_and_read_back(store: &Store) {
    let facts = FactBatch {
        appointments: vec![crosstab(edition(2025, 8), 1), sub_icb_daily()],
        national_appointments: national(),
        ..FactBatch::default()
    };
    write(store, "a", 0, &facts).await;
    // Everything comes back as written, in the order written.
    let tables = store
        .appointment_tables(&AppointmentAreas::all())
        .await
        .unwrap();
    assert_eq!(tables, facts.appointments);
    assert_eq!(store.national_appointments().await.unwrap(), national());
    let held = store.appointment_holdings().await.unwrap();
    assert_eq!(
        held.blocks, 4,
        "three practice-months and one sub-ICB month"
    );
    assert_eq!(held.superseded, 0);
    assert_eq!(held.current_total, 163 + 2_000_000);
    assert_eq!(held.national_months, 2);
    // The registry cache carries no appointments.
    let cached = store.load_facts().await.unwrap();
    assert!(cached.appointments.is_empty() && cached.national_appointments.is_empty());

    // A newer edition of August only: its figures replace the older ones
    // for that area-month, July stays from the older edition, and both
    // editions are kept.
    write_august_of_september_edition(store, "b", 1, 2).await;
    let held = store.appointment_holdings().await.unwrap();
    assert_eq!((held.blocks, held.superseded), (5, 1));
    assert_eq!(held.current_total, 40 + 106 + 70 + 2_000_000);
    let tables = store
        .appointment_tables(&AppointmentAreas {
            practices: vec![PracticeCode::parse("A81001").unwrap()],
            ..AppointmentAreas::default()
        })
        .await
        .unwrap();
    assert_eq!(
        tables.len(),
        2,
        "the older table for July, the newer for August"
    );
    assert_eq!(tables[0].edition.month, ym(2025, 8));
    assert_eq!(tables[0].months(), vec![ym(2025, 7)]);
    assert_eq!(tables[0].total(), 40);
    assert_eq!(tables[1].edition.month, ym(2025, 9));
    assert_eq!(tables[1].total(), 106);
    assert_eq!(tables[1].categories.len(), 2);

    // The same edition imported again later (a corrected file): the later wins.
    write_august_of_september_edition(store, "c", 2, 3).await;
    let held = store.appointment_holdings().await.unwrap();
    assert_eq!((held.blocks, held.superseded), (6, 2));
    assert_eq!(held.current_total, 40 + 159 + 70 + 2_000_000);

    // A commissioner: its sub-ICB file and the practices published in it.
    let tables = store
        .appointment_tables(&AppointmentAreas {
            sub_icbs: vec![SubIcbCode::parse("03R").unwrap()],
            ..AppointmentAreas::default()
        })
        .await
        .unwrap();
    let total: u64 = tables.iter().map(AppointmentTable::total).sum();
    assert_eq!(total, 70 + 2_000_000);
    assert!(tables.iter().all(|t| t.areas.len() == 1));
    // Nobody asked for: nothing.
    let none = store
        .appointment_tables(&AppointmentAreas::default())
        .await
        .unwrap();
    assert!(none.is_empty());
}

async fn a_refused_batch_writes_nothing(store: &Store) {
    let mut table = crosstab(edition(2025, 8), 1);
    table.categories[1] = "Two\nlines".into();
    let facts = FactBatch {
        appointments: vec![table],
        national_appointments: national(),
        ..FactBatch::default()
    };
    let import = NewImport {
        sha256: "bad",
        file_name: "bad.csv",
        kind: SourceKind::GpadPracticeAppointments,
        data_date: "2025-08-01".parse().unwrap(),
        rows_read: 4,
        imported_at: at(0),
        imported_by: "tester",
    };
    let rules = pcn_core::rulebook::Rulebook::embedded().unwrap();
    let err = store
        .write_import(&import, &facts, &rules)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("line break"), "{err}");
    assert!(store.imports().await.unwrap().is_empty());
    assert_eq!(store.appointment_holdings().await.unwrap().blocks, 0);
    assert!(store.national_appointments().await.unwrap().is_empty());
}

#[tokio::test]
async fn appointments_written_and_read_back_on_both_engines() {
    on_both_engines!("appointments", written_and_read_back);
}

#[tokio::test]
async fn a_refused_batch_writes_nothing_on_both_engines() {
    on_both_engines!("appointments_refused", a_refused_batch_writes_nothing);
}
