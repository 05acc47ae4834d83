//! The appointment use cases in-process on a temporary SQLite store, with
//! figures worked by hand: England's pledge from the national series, a
//! commissioner from its sub-ICB file where it has the month and from its
//! practices otherwise, a network counting a practice that moved only for
//! its own months, a newer edition replacing an older month, and the
//! roster's ARRS WTE by month beside the network's trend.

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use pcn_core::appointments::{FigureBasis, YearBasis};
use pcn_core::arrs::{NewPost, YearMonth};
use pcn_core::facts::*;
use pcn_core::gpad_facts::*;
use pcn_core::registry::Registry;
use pcn_core::rulebook::Rulebook;
use pcn_core::{Decimal, PcnCode, PracticeCode, SubIcbCode};
use pcn_store::NewImport;

use super::{AppointmentsQuery, Area, AreaAppointments};
use crate::{App, Error};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn ym(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

fn practice(code: &str) -> PracticeCode {
    PracticeCode::parse(code).unwrap()
}

fn pcn(code: &str) -> PcnCode {
    PcnCode::parse(code).unwrap()
}

fn sub_icb() -> SubIcbCode {
    SubIcbCode::parse("99A").unwrap()
}

/// Three practices in sub-ICB 99A (lists 1,000, 2,000 and 7,000 on 1
/// January 2019); A00002 moves from U00001 to U00002 on 1 July 2020.
fn registry_facts() -> FactBatch {
    let mut facts = FactBatch::default();
    for (code, list) in [("A00001", 1_000), ("A00002", 2_000), ("A00003", 7_000)] {
        let mut p = PracticeFact::new(practice(code), d("2019-01-01"));
        p.sub_icb = Some(sub_icb());
        facts.practices.push(p);
        facts.list_sizes.push(ListSizeFact {
            practice: practice(code),
            as_at: d("2019-01-01"),
            sex: Sex::All,
            total: list,
            bands: None,
        });
    }
    for code in ["U00001", "U00002"] {
        let mut n = NetworkFact::new(pcn(code), d("2019-01-01"));
        n.name = Some(format!("NETWORK {code}"));
        facts.networks.push(n);
    }
    let interval = |p: &str, n: &str, start: &str, end: Option<&str>| MembershipInterval {
        practice: practice(p),
        pcn: pcn(n),
        start: d(start),
        end: end.map(d),
    };
    facts.intervals = vec![
        interval("A00001", "U00001", "2019-01-01", None),
        interval("A00002", "U00001", "2019-01-01", Some("2020-06-30")),
        interval("A00002", "U00002", "2020-07-01", None),
        interval("A00003", "U00002", "2019-01-01", None),
    ];
    facts
}

fn row(area: u32, month: YearMonth, hcp: HcpType, count: u32) -> AppointmentRow {
    AppointmentRow {
        area,
        month,
        status: ApptStatus::Attended,
        hcp,
        mode: ApptMode::FaceToFace,
        interval: BookingInterval::SameDay,
        category: None,
        count,
    }
}

/// Every month of 2019 and 2020: A00001 100 a month in 2019 (60 GP, 40
/// other staff) and 110 in 2020 (60 and 50); A00002 200, then 220 (all
/// GP); A00003 700 both years (all other staff).
fn crosstab() -> AppointmentTable {
    let areas = ["A00001", "A00002", "A00003"]
        .map(|c| AppointmentArea::Practice {
            code: practice(c),
            pcn: None,
            sub_icb: Some(sub_icb()),
        })
        .to_vec();
    let mut rows = Vec::new();
    for area in 0..3u32 {
        for year in [2019, 2020] {
            for month in 1..=12 {
                let m = ym(year, month);
                match (area, year) {
                    (0, 2019) => {
                        rows.push(row(0, m, HcpType::Gp, 60));
                        rows.push(row(0, m, HcpType::OtherPracticeStaff, 40));
                    }
                    (0, _) => {
                        rows.push(row(0, m, HcpType::Gp, 60));
                        rows.push(row(0, m, HcpType::OtherPracticeStaff, 50));
                    }
                    (1, 2019) => rows.push(row(1, m, HcpType::Gp, 200)),
                    (1, _) => rows.push(row(1, m, HcpType::Gp, 220)),
                    _ => rows.push(row(2, m, HcpType::OtherPracticeStaff, 700)),
                }
            }
        }
    }
    AppointmentTable {
        edition: GpadEdition {
            month: ym(2020, 12),
            basis: EditionBasis::Path,
        },
        setting: AppointmentSetting::Practice,
        granularity: Granularity::Monthly,
        areas,
        categories: Vec::new(),
        rows,
    }
}

/// The January 2021 edition revises A00001's December 2020 to 130.
fn revision() -> AppointmentTable {
    let mut t = crosstab();
    t.edition.month = ym(2021, 1);
    t.areas.truncate(1);
    t.rows = vec![
        row(0, ym(2020, 12), HcpType::Gp, 70),
        row(0, ym(2020, 12), HcpType::OtherPracticeStaff, 60),
    ];
    t
}

/// 99A's own file for 2019 only: 1,500 a month.
fn sub_icb_file() -> AppointmentTable {
    AppointmentTable {
        edition: GpadEdition {
            month: ym(2020, 12),
            basis: EditionBasis::NewestMonth,
        },
        setting: AppointmentSetting::Practice,
        granularity: Granularity::DailySummedToMonths,
        areas: vec![AppointmentArea::SubIcb(sub_icb())],
        categories: Vec::new(),
        rows: (1..=12)
            .map(|m| row(0, ym(2019, m), HcpType::Gp, 1_500))
            .collect(),
    }
}

/// England: 25 million a month in 2019, 26 million in 2020.
fn national() -> Vec<NationalAppointmentMonth> {
    let mut out = Vec::new();
    for year in [2019, 2020] {
        for month in 1..=12 {
            out.push(NationalAppointmentMonth::recorded(
                ym(year, month),
                GpadEdition {
                    month: ym(2024, 1),
                    basis: EditionBasis::NewestMonth,
                },
                NationalSeries::MonthlyCsv,
                if year == 2019 { 25_000_000 } else { 26_000_000 },
            ));
        }
    }
    out
}

async fn import(app: &App, sha: &str, kind: SourceKind, facts: FactBatch) {
    let import = NewImport {
        sha256: sha,
        file_name: sha,
        kind,
        data_date: d("2021-01-01"),
        rows_read: facts.len() as u64,
        imported_at: Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap(),
        imported_by: "tester",
    };
    app.store
        .write_import(&import, &facts, &app.rulebook)
        .await
        .unwrap();
}

async fn app() -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pcn.sqlite").display().to_string();
    let app = App::open(&path, Arc::new(Rulebook::embedded().unwrap()))
        .await
        .unwrap();
    import(&app, "registry", SourceKind::Demo, registry_facts()).await;
    let gpad = |appointments| FactBatch {
        appointments,
        ..FactBatch::default()
    };
    for (sha, kind, table) in [
        ("crosstab", SourceKind::GpadPracticeAppointments, crosstab()),
        ("revision", SourceKind::GpadPracticeAppointments, revision()),
        ("daily", SourceKind::GpadSubIcbDaily, sub_icb_file()),
    ] {
        import(&app, sha, kind, gpad(vec![table])).await;
    }
    let national = FactBatch {
        national_appointments: national(),
        ..FactBatch::default()
    };
    import(&app, "national", SourceKind::GpadNationalMonthly, national).await;
    (app, dir)
}

/// The appointments of `area` with the query's defaults.
async fn area(app: &App, registry: &Registry, area: Area) -> AreaAppointments {
    app.appointments(registry, &AppointmentsQuery::of(area))
        .await
        .unwrap()
}

#[tokio::test]
async fn england_commissioner_and_practice() {
    let (app, _dir) = app().await;
    let registry = app.registry().await.unwrap();

    let england = area(&app, &registry, Area::England).await;
    let p = &england.pledge;
    assert_eq!(p.target, 50_000_000);
    assert_eq!(p.baseline.as_ref().unwrap().recorded, 300_000_000);
    let y2020 = &p.years[0];
    assert_eq!(
        (y2020.recorded, y2020.change),
        (312_000_000, Some(12_000_000))
    );
    assert_eq!(y2020.gap, Some(38_000_000));
    let jan = &england.trend[12];
    assert_eq!(jan.month, ym(2020, 1));
    assert_eq!(jan.appointments, Some(26_000_000));
    assert_eq!(jan.same_month_2019, Some(25_000_000));
    assert_eq!(jan.change_on_2019, Some(1_000_000));
    assert_eq!(england.series[&ym(2019, 1)].basis, FigureBasis::National);

    // 99A: its own file for 2019, its practices for 2020 (A00001 with the
    // revised December).
    let c = area(&app, &registry, Area::Commissioner(sub_icb())).await;
    assert_eq!(c.series[&ym(2019, 1)].basis, FigureBasis::SubIcbFile);
    assert_eq!(c.series[&ym(2020, 1)].basis, FigureBasis::SumOfPractices);
    assert_eq!(c.series[&ym(2020, 12)].counts.total, 130 + 220 + 700);
    let p = &c.pledge;
    assert_eq!(p.baseline.as_ref().unwrap().recorded, 18_000);
    let y2020 = &p.years[0];
    assert_eq!(y2020.recorded, 1_340 + 2_640 + 8_400);
    assert_eq!(y2020.change, Some(12_380 - 18_000));
    // All of England's patients are in 99A here: the whole 50 million.
    assert_eq!(p.share.unwrap().area_patients, 10_000);
    assert_eq!(p.target, 50_000_000);
    // Per 1,000: 1,050 appointments over 10,000 patients.
    assert_eq!(
        c.series[&ym(2020, 12)].per_thousand(),
        Some(Decimal::new(10_500, 2))
    );

    let one = area(&app, &registry, Area::Practice(practice("A00001"))).await;
    let p = &one.pledge;
    assert_eq!(p.target, 5_000_000, "1,000 of 10,000 patients");
    assert_eq!(p.baseline.as_ref().unwrap().recorded, 1_200);
    assert_eq!(p.years[0].recorded, 1_340);
    let staff: Vec<(HcpType, i64)> = p.staff.iter().map(|s| (s.hcp, s.change)).collect();
    assert_eq!(
        staff,
        vec![(HcpType::Gp, 10), (HcpType::OtherPracticeStaff, 130)]
    );

    // Financial years: 2019-20 is the baseline.
    let fy = app
        .appointments(
            &registry,
            &AppointmentsQuery {
                years: YearBasis::Financial,
                ..AppointmentsQuery::of(Area::England)
            },
        )
        .await
        .unwrap();
    assert_eq!(fy.pledge.baseline.as_ref().unwrap().label, "2019-20");
    assert_eq!(fy.pledge.baseline.as_ref().unwrap().months, 12);
}

#[tokio::test]
async fn a_network_counts_its_members_by_month_beside_its_roster() {
    let (app, _dir) = app().await;
    // A pharmacist from 16 June 2020 (half of June), and a census of 30
    // September 2020 with 1.5 FTE of pharmacists (two posts from that day).
    let post = NewPost {
        band: Some("7".into()),
        ..NewPost::arrs(pcn("U00001"), "P1", "clinical-pharmacist", d("2020-06-16"))
    };
    app.add_post(&post, "tester").await.unwrap();
    let census = FactBatch {
        workforce: vec![WorkforceFact {
            pcn: pcn("U00001"),
            census: d("2020-09-30"),
            data_source: "NWRS Staff".into(),
            staff_group: "Direct Patient Care".into(),
            staff_role: "Pharmacists".into(),
            detailed_role: "Clinical Pharmacist".into(),
            fte: "1.5".parse().unwrap(),
            person: "C1".into(),
            region: None,
        }],
        ..FactBatch::default()
    };
    import(&app, "census", SourceKind::PcnWorkforce, census).await;
    let registry = app.registry().await.unwrap();

    let one = area(&app, &registry, Area::Network(pcn("U00001"))).await;
    // A00001 and A00002 in 2019; A00002 only to June 2020.
    let p = &one.pledge;
    assert_eq!(p.baseline.as_ref().unwrap().recorded, 3_600);
    assert_eq!(p.years[0].recorded, 1_340 + 6 * 220);
    assert_eq!(p.target, 15_000_000, "3,000 of 10,000 patients in 2019");
    let month = |m: YearMonth| one.trend.iter().find(|r| r.month == m).unwrap();
    assert_eq!(month(ym(2020, 6)).appointments, Some(330));
    assert_eq!(month(ym(2020, 7)).appointments, Some(110));
    assert_eq!(month(ym(2020, 7)).same_month_2019, Some(300));
    assert_eq!(month(ym(2020, 5)).roster_arrs_wte, Some(Decimal::ZERO));
    assert_eq!(month(ym(2020, 6)).roster_arrs_wte, Some(Decimal::new(5, 1)));
    // September: 1 WTE all month and 1.5 on its last day.
    assert_eq!(
        month(ym(2020, 9)).roster_arrs_wte,
        Some(Decimal::new(105, 2))
    );
    assert_eq!(
        month(ym(2020, 10)).roster_arrs_wte,
        Some(Decimal::new(25, 1))
    );
    assert_eq!(
        month(ym(2020, 9)).census_arrs_fte,
        Some(Decimal::new(15, 1))
    );
    assert_eq!(month(ym(2020, 8)).census_arrs_fte, None);
    // Per 1,000 in July 2020: 110 over A00001's 1,000 patients.
    assert_eq!(
        month(ym(2020, 7)).per_thousand,
        Some(Decimal::new(11_000, 2))
    );

    let two = area(&app, &registry, Area::Network(pcn("U00002"))).await;
    assert_eq!(two.pledge.baseline.as_ref().unwrap().recorded, 8_400);
    assert_eq!(two.pledge.years[0].recorded, 8_400 + 6 * 220);
    assert!(two.trend.iter().all(|r| r.census_arrs_fte.is_none()));
}

#[tokio::test]
async fn unknown_areas_are_refused() {
    let (app, _dir) = app().await;
    let registry = app.registry().await.unwrap();
    for area in [
        Area::Network(pcn("U99999")),
        Area::Practice(practice("Z99999")),
        Area::Commissioner(SubIcbCode::parse("00X").unwrap()),
    ] {
        let err = app
            .appointments(&registry, &AppointmentsQuery::of(area.clone()))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{area}: {err}");
    }
    // An ICB: known to the registry, but not a sub-ICB location.
    let mut facts = FactBatch::default();
    let mut p = PracticeFact::new(practice("A00009"), d("2019-01-01"));
    p.sub_icb = Some(sub_icb());
    p.icb = Some("QHM".parse().unwrap());
    facts.practices.push(p);
    import(&app, "icb", SourceKind::Demo, facts).await;
    let registry = app.registry().await.unwrap();
    let icb = Area::Commissioner(SubIcbCode::parse("QHM").unwrap());
    let err = app
        .appointments(&registry, &AppointmentsQuery::of(icb))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
}
