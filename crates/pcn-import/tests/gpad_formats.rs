//! GPAD files in each published layout, from small fixtures written in the
//! official formats (`tests/fixtures/gpad/`), including the layouts not
//! present as real data: the sub-ICB and CCG-era Regional CSV, the daily
//! files of both eras (one with a CCG name holding an unquoted comma, as
//! published), the PCN-level file and a summary workbook.

mod common;

use common::*;
use pcn_core::appointments::Appointments;
use pcn_core::arrs::YearMonth;
use pcn_core::gpad_facts::{
    AppointmentArea, AppointmentSetting, ApptMode, ApptStatus, BookingInterval, EditionBasis,
    Granularity, HcpType,
};
use pcn_core::{PracticeCode, SourceKind, SubIcbCode};
use pcn_import::{detect, parse_bytes, ImportOptions, ParsedFile};

fn ym(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

fn sub(s: &str) -> SubIcbCode {
    SubIcbCode::parse(s).unwrap()
}

fn gpad(rel: &str) -> ParsedFile {
    parse_fixture(&format!("gpad/{rel}"))
}

fn month_total(a: &Appointments, setting: AppointmentSetting, code: &str, m: YearMonth) -> u64 {
    a.sub_icb_files(setting, &sub(code), None)[&m].counts.total
}

#[test]
fn the_practice_crosstab_sums_a_practice_listed_per_supplier() {
    let p = gpad("Practice_Level_Crosstab_Sep_25/Practice_Level_Crosstab_Sep_25.csv");
    assert_eq!(p.kind, SourceKind::GpadPracticeAppointments);
    assert_eq!(p.rows, 5);
    let t = &p.facts.appointments[0];
    assert_eq!(t.edition.month, ym(2025, 9));
    assert_eq!(t.edition.basis, EditionBasis::Path);
    assert_eq!(t.granularity, Granularity::Monthly);
    assert_eq!(t.areas.len(), 3);
    assert_eq!(t.rows.len(), 4);
    assert_eq!(t.total(), 60);
    assert_eq!(
        t.categories,
        vec![
            "General Consultation Routine",
            "Clinical Triage",
            "Structured Medication Review",
            "Home Visit"
        ]
    );
    assert_note(&p, |n| {
        n.contains("1 rows summed") && n.contains("TPP, EMIS")
    });
    // The network and commissioner each practice is published with.
    assert_eq!(
        t.areas[0],
        AppointmentArea::Practice {
            code: PracticeCode::parse("B87001").unwrap(),
            pcn: Some(pcn_core::PcnCode::parse("U43084").unwrap()),
            sub_icb: Some(sub("03R")),
        }
    );
    assert_eq!(p.facts.observations.len(), 3);
    assert_eq!(p.facts.observations[0].as_at, d(2025, 9, 1));

    let a = Appointments::new(&p.facts.appointments, &[]);
    let b87001 = &a.practice(&PracticeCode::parse("B87001").unwrap(), None)[&ym(2025, 9)];
    assert_eq!(b87001.counts.total, 51);
    assert_eq!(b87001.counts.attended(), Some(42));
    assert_eq!(b87001.counts.dna(), Some(9));
    assert_eq!(
        b87001.counts.interval(BookingInterval::EightToFourteenDays),
        Some(9)
    );
    let wakefield = a.sub_icb_from_practices(&sub("03R"), None);
    assert_eq!(wakefield[&ym(2025, 9)].counts.total, 57);
    assert_eq!(wakefield[&ym(2025, 9)].practices, 2);
    assert_eq!(
        wakefield[&ym(2025, 9)].counts.mode(ApptMode::VideoOnline),
        Some(6)
    );
}

#[test]
fn a_crosstab_row_repeated_or_a_practice_in_two_networks_is_refused() {
    let header = "APPOINTMENT_MONTH_START_DATE,GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,PCN_NAME,\
SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,\
TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,APPT_STATUS";
    let row =
        "01SEP2025,B87001,M,TPP,U43084,W,03R,N,GP,Face-to-Face,Planned Clinics,Same Day,4,Attended";
    let moved =
        "01SEP2025,B87001,M,TPP,U99999,W,03R,N,GP,Telephone,Planned Clinics,Same Day,4,Attended";
    let text = format!("{header}\n{row}\n{row}\n{moved}\n");
    let err = parse_text("Practice_Level_Crosstab_Sep_25.csv", &text).unwrap_err();
    assert_eq!(err.total_problems, 2, "{err}");
    let shown = err.to_string();
    assert_says(
        &shown,
        &[
            "row 4, column GP_CODE, value \"B87001\": the practice is listed with network \"U43084\"",
            "row 3: repeats row 2",
        ],
    );
}

#[test]
fn a_newer_regional_edition_replaces_the_months_it_revises() {
    let june = gpad("regional_tabs_jun2023/Regional_CSV_WYorks.csv");
    let august = gpad("regional_tabs_aug2023/Regional_CSV_WYorks.csv");
    for (p, m) in [(&june, ym(2023, 6)), (&august, ym(2023, 8))] {
        assert_eq!(p.kind, SourceKind::GpadSubIcbMonthly);
        let t = &p.facts.appointments[0];
        assert_eq!(t.edition.month, m);
        assert_eq!(t.edition.basis, EditionBasis::Path);
        assert_eq!(t.setting, AppointmentSetting::Practice);
    }
    assert_eq!(
        june.facts.appointments[0]
            .rows
            .iter()
            .find(|r| r.count == 5)
            .unwrap()
            .interval,
        BookingInterval::Unknown
    );
    // Either order of import: June 2023 of 03R is August's (410 + 20), May
    // stays June's, 02T's June stays June's (August does not have it).
    for tables in [
        [
            june.facts.appointments[0].clone(),
            august.facts.appointments[0].clone(),
        ],
        [
            august.facts.appointments[0].clone(),
            june.facts.appointments[0].clone(),
        ],
    ] {
        let a = Appointments::new(&tables, &[]);
        let practice = AppointmentSetting::Practice;
        assert_eq!(month_total(&a, practice, "03R", ym(2023, 5)), 1_235);
        assert_eq!(month_total(&a, practice, "03R", ym(2023, 6)), 430);
        assert_eq!(month_total(&a, practice, "03R", ym(2023, 7)), 900);
        assert_eq!(month_total(&a, practice, "02T", ym(2023, 6)), 77);
        let s = a.sub_icb_files(practice, &sub("03R"), None);
        assert_eq!(s[&ym(2023, 6)].editions, vec![ym(2023, 8)]);
        assert_eq!(s[&ym(2023, 5)].editions, vec![ym(2023, 6)]);
        assert_eq!(a.replaced_area_months(), 1);
    }
}

#[test]
fn the_ccg_era_regional_csv_and_its_labels() {
    let p = gpad("regional_tabs_jun2019/Regional_CSV_YorkshireAndHumber.csv");
    assert_eq!(p.kind, SourceKind::GpadSubIcbMonthly);
    let t = &p.facts.appointments[0];
    assert_eq!(t.edition.month, ym(2019, 6));
    assert_eq!(t.areas, vec![AppointmentArea::SubIcb(sub("03R"))]);
    let a = Appointments::new(&p.facts.appointments, &[]);
    let s = a.sub_icb_files(AppointmentSetting::Practice, &sub("03R"), None);
    let jan = &s[&ym(2018, 1)].counts;
    assert_eq!(jan.total, 1_085);
    assert_eq!(jan.mode(ApptMode::VideoOnline), Some(12));
    assert_eq!(jan.status(ApptStatus::NotProvided), Some(3));
    assert_eq!(jan.hcp(HcpType::NotProvided), Some(3));
    assert_eq!(jan.interval(BookingInterval::Unknown), Some(3));
    assert_eq!(s[&ym(2019, 6)].counts.dna(), Some(44));
}

#[test]
fn daily_files_are_summed_to_months() {
    let p = gpad("SUB_ICB_LOCATION_CSV_Oct23.csv");
    assert_eq!(p.kind, SourceKind::GpadSubIcbDaily);
    let t = &p.facts.appointments[0];
    assert_eq!(t.granularity, Granularity::DailySummedToMonths);
    assert_eq!(t.edition.month, ym(2023, 10));
    assert_eq!(t.edition.basis, EditionBasis::Path);
    assert_eq!(t.rows.len(), 3);
    let a = Appointments::new(&p.facts.appointments, &[]);
    let s = a.sub_icb_files(AppointmentSetting::Practice, &sub("03R"), None);
    assert_eq!(s[&ym(2023, 10)].counts.total, 217);
    assert_eq!(s[&ym(2023, 10)].counts.attended(), Some(210));
    assert_eq!(s[&ym(2023, 9)].counts.total, 90);
    assert!(p.notes.iter().any(|n| n.contains("1 daily rows summed")));
}

#[test]
fn a_ccg_name_with_an_unquoted_comma_is_read_as_published() {
    let p = gpad("CCG_CSV_Nov20.csv");
    assert_eq!(p.kind, SourceKind::GpadSubIcbDaily);
    let a = Appointments::new(&p.facts.appointments, &[]);
    let practice = AppointmentSetting::Practice;
    assert_eq!(month_total(&a, practice, "01D", ym(2020, 11)), 510);
    assert_eq!(month_total(&a, practice, "03R", ym(2020, 11)), 4);
}

#[test]
fn the_pcn_level_file_is_known_by_its_name() {
    let p = gpad("pcn_appointments_apr2024.csv");
    assert_eq!(p.kind, SourceKind::GpadPcnAppointments);
    let t = &p.facts.appointments[0];
    assert_eq!(t.setting, AppointmentSetting::Network);
    assert_eq!(t.edition.month, ym(2024, 4));
    let a = Appointments::new(&p.facts.appointments, &[]);
    let s = a.sub_icb_files(AppointmentSetting::Network, &sub("03R"), None);
    assert_eq!(s[&ym(2023, 4)].counts.status(ApptStatus::Booked), Some(50));
    assert_eq!(s[&ym(2023, 4)].counts.unknown_status(), Some(50));
    // Network-delivered appointments are not practice appointments.
    assert!(a
        .sub_icb_files(AppointmentSetting::Practice, &sub("03R"), None)
        .is_empty());

    // The same rows in a file not named as the PCN-level file.
    let err = parse_fixture_named("regional_with_booked.csv", "gpad/regional_with_booked.csv")
        .unwrap_err();
    assert_eq!(err.total_problems, 1);
    assert_eq!(err.problems[0].row, Some(3));
    assert_eq!(err.problems[0].column.as_deref(), Some("APPT_STATUS"));
}

#[test]
fn table_1_as_csv_and_as_published_in_the_workbook() {
    let csv = gpad("table1-national-monthly-2019-01-to-2019-02.csv");
    assert_eq!(csv.kind, SourceKind::GpadNationalSummary);
    let months = &csv.facts.national_appointments;
    assert_eq!(months.len(), 2);
    let jan = &months[0];
    assert_eq!(jan.month, ym(2019, 1));
    assert_eq!(jan.recorded, 100);
    assert_eq!(jan.estimated_england_total, Some(110));
    assert_eq!(jan.coverage.unwrap().patients_at_included_practices, 900);
    assert_eq!(jan.working_days, Some(22));
    assert_eq!(
        jan.by_status,
        Some(vec![
            (ApptStatus::Attended, 80),
            (ApptStatus::Dna, 10),
            (ApptStatus::Unknown, 10)
        ])
    );
    let feb = &months[1];
    // `.z`: suppressed.
    assert_eq!(feb.by_status, None);
    assert_eq!(feb.estimated_england_total, None);
    assert_eq!(feb.edition.month, ym(2019, 2));
    assert_eq!(feb.edition.basis, EditionBasis::Path);

    let book = gpad("GP_APPT_Publication_February_2019.xlsx");
    assert_eq!(book.kind, SourceKind::GpadNationalSummary);
    let from_book = &book.facts.national_appointments;
    assert_eq!(from_book[0].edition.basis, EditionBasis::Stated);
    assert_eq!(from_book[0].edition.month, ym(2019, 2));
    let mut same = from_book.clone();
    for m in &mut same {
        m.edition.basis = EditionBasis::Path;
    }
    assert_eq!(&same, months);
}

#[test]
fn a_split_that_does_not_add_up_is_refused_where_it_is() {
    let err = parse_fixture_named(
        "GP_APPT_Publication_bad_split.xlsx",
        "gpad/GP_APPT_Publication_bad_split.xlsx",
    )
    .unwrap_err();
    assert_eq!(err.total_problems, 1, "{err}");
    let p = &err.problems[0];
    assert_eq!(p.row, Some(30));
    assert_eq!(p.column.as_deref(), Some("2019-01 (sheet Table 1)"));
    assert!(p
        .message
        .contains("add up to 101, not to the month's total 100"));

    let text = std::fs::read_to_string(format!(
        "{FIXTURES}/gpad/table1-national-monthly-2019-01-to-2019-02.csv"
    ))
    .unwrap()
    .replace("2019-01,10,8,0.8,", "2019-01,10,8,0.7,");
    let err = parse_text("table1.csv", &text).unwrap_err();
    assert_eq!(err.problems[0].row, Some(2));
    assert_eq!(err.problems[0].column.as_deref(), Some("practice_coverage"));
}

#[test]
fn a_national_monthly_series() {
    let p = gpad("national-monthly-by-booking-interval-2024-01.csv");
    assert_eq!(p.kind, SourceKind::GpadNationalMonthly);
    let months = &p.facts.national_appointments;
    assert_eq!(months.len(), 2);
    assert_eq!(months[0].recorded, 100);
    let split = months[0].by_interval.as_ref().unwrap();
    assert!(split.contains(&(BookingInterval::FifteenToTwentyOneDays, 20)));
    assert!(split.contains(&(BookingInterval::Unknown, 1)));
    assert_eq!(months[1].month, ym(2024, 1));
    assert_eq!(months[0].edition.month, ym(2024, 1));

    let bad = "\"\",\"period\",\"time_between_book_and_appt\",\"count\",\"total\",\"prop\"\n\
\"1\",Dec 2023,\"1 Day\",10,100,0.1\n\"2\",Dec 2023,\"Same Day\",80,100,0.8\n\
\"3\",Dec 2023,\"Same Day\",10,100,0.1\n\"4\",Jan 2024,\"Tomorrow\",5,5,1\n";
    let err = parse_text("national.csv", bad).unwrap_err();
    let shown = err.to_string();
    assert_says(
        &shown,
        &[
            "row 4, column time_between_book_and_appt, value \"Same Day\": this month has this booking interval on row 3 already",
            "row 5, column time_between_book_and_appt, value \"Tomorrow\"",
            "add up to 90, not to the month's total 100",
        ],
    );
}

#[test]
fn the_edition_can_be_given_but_not_before_the_data() {
    let bytes = fixture("gpad/regional_tabs_jun2023/Regional_CSV_WYorks.csv");
    let o = ImportOptions {
        as_at: Some(d(2023, 9, 15)),
        ..opts()
    };
    let p = parse_bytes("Regional_CSV_WYorks.csv", &bytes, &o, &mut |_| {}).unwrap();
    let e = p.facts.appointments[0].edition;
    assert_eq!((e.month, e.basis), (ym(2023, 9), EditionBasis::Given));
    let o = ImportOptions {
        as_at: Some(d(2023, 5, 1)),
        ..opts()
    };
    let err = parse_bytes("Regional_CSV_WYorks.csv", &bytes, &o, &mut |_| {}).unwrap_err();
    assert!(err
        .to_string()
        .contains("--as-at names the edition 2023-05, but the file has data for 2023-06"));
    // Without a month in its name, the newest month of data.
    let p = parse_bytes("Regional_CSV_WYorks.csv", &bytes, &opts(), &mut |_| {}).unwrap();
    let e = p.facts.appointments[0].edition;
    assert_eq!((e.month, e.basis), (ym(2023, 6), EditionBasis::NewestMonth));
}

#[test]
fn every_bad_row_is_reported_and_nothing_is_read() {
    let header =
        "SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_ONS_CODE,SUB_ICB_LOCATION_NAME,ICB_ONS_CODE,\
ICB_NAME,REGION_ONS_CODE,REGION_NAME,APPOINTMENT_MONTH,APPT_STATUS,HCP_TYPE,APPT_MODE,\
TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS";
    let text = format!(
        "{header}\n\
03R,E1,N,E5,I,E4,R,MAY2023,Attended,GP,Face-to-Face,Same Day,12\n\
03R,E1,N,E5,I,E4,R,MAYO2023,Attended,GP,Face-to-Face,1 Day,12\n\
3R,E1,N,E5,I,E4,R,MAY2023,Attended,GP,Face-to-Face,2 to 7 Days,12\n\
03R,E1,N,E5,I,E4,R,MAY2023,Cancelled,Nurse,Carrier pigeon,Next week,-3\n\
03R,E1,N,E5,I,E4,R,MAY2023\n"
    );
    let err = parse_text("Regional_CSV_X.csv", &text).unwrap_err();
    let found: Vec<(Option<u64>, Option<&str>)> = err
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_deref()))
        .collect();
    assert_eq!(
        found,
        vec![
            (Some(3), Some("APPOINTMENT_MONTH")),
            (Some(4), Some("SUB_ICB_LOCATION_CODE")),
            (Some(5), Some("APPT_STATUS")),
            (Some(5), Some("HCP_TYPE")),
            (Some(5), Some("APPT_MODE")),
            (Some(5), Some("TIME_BETWEEN_BOOK_AND_APPT")),
            (Some(5), Some("COUNT_OF_APPOINTMENTS")),
            (Some(6), None),
        ]
    );
    assert!(err.problems[1]
        .message
        .contains("not a valid sub-ICB location code"));
    assert!(err.problems[2].message.contains("one of: Attended, DNA"));
}

#[test]
fn gzip_is_streamed_and_hashed_as_given() {
    use std::io::Write;
    let plain = fixture("gpad/regional_tabs_aug2023/Regional_CSV_WYorks.csv");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let a = parse_bytes("regional_tabs_aug2023/x.csv", &plain, &opts(), &mut |_| {}).unwrap();
    let b = parse_bytes("regional_tabs_aug2023/x.csv.gz", &gz, &opts(), &mut |_| {}).unwrap();
    assert_eq!(a.facts, b.facts);
    use sha2::Digest;
    assert_eq!(b.sha256, hex::encode(sha2::Sha256::digest(&gz)));
    assert_ne!(a.sha256, b.sha256);
}

#[test]
fn files_are_recognised_by_their_header() {
    for (rel, kind) in [
        (
            "Practice_Level_Crosstab_Sep_25/Practice_Level_Crosstab_Sep_25.csv",
            SourceKind::GpadPracticeAppointments,
        ),
        (
            "regional_tabs_jun2019/Regional_CSV_YorkshireAndHumber.csv",
            SourceKind::GpadSubIcbMonthly,
        ),
        ("CCG_CSV_Nov20.csv", SourceKind::GpadSubIcbDaily),
        (
            "pcn_appointments_apr2024.csv",
            SourceKind::GpadPcnAppointments,
        ),
        (
            "table1-national-monthly-2019-01-to-2019-02.csv",
            SourceKind::GpadNationalSummary,
        ),
        (
            "GP_APPT_Publication_February_2019.xlsx",
            SourceKind::GpadNationalSummary,
        ),
        (
            "national-monthly-by-booking-interval-2024-01.csv",
            SourceKind::GpadNationalMonthly,
        ),
    ] {
        assert_eq!(
            detect(rel, &fixture(&format!("gpad/{rel}"))).unwrap(),
            kind,
            "{rel}"
        );
    }
}
