//! GPAD files in `/work/shared/data` (see each folder's SOURCE.md): every one
//! imports, and the national 2019 and 2023 totals and Wakefield's calendar
//! years agree with sums taken straight from the raw files here, without
//! the readers. Skipped with a message when the folder is absent, unless
//! `CI` is set.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use pcn_core::appointments::{
    england_pledge_months, pledge, pledge_months, sub_icb_share, Appointments, Pledge, YearBasis,
};
use pcn_core::arrs::YearMonth;
use pcn_core::gpad_facts::{
    AppointmentSetting, ApptStatus, EditionBasis, HcpType, NationalAppointmentMonth,
};
use pcn_core::registry::Registry;
use pcn_core::{FactBatch, PcnCode, PracticeCode, SourceKind, SubIcbCode};
use pcn_import::ParsedFile;

use common::raw::raw_text;
use common::{data_dir, read_timed};

const PRACTICE: &str = "nhsd-gpad-practice-2025-08/Practice_Level_Crosstab_Aug_25_NewBankOnly.csv";
const WAKEFIELD: &str =
    "nhsd-gpad-subicb-daily-2023-10/gpad-daily-subicb-03R-wakefield-2017-11-to-2023-10.csv.gz";
const WORKBOOK: &str = "nhsd-gpad-national-2021-04/GP_APPT_Publication_April_2021.xlsx";
const TABLE1_CSV: &str =
    "nhsd-gpad-national-2021-04/table1-national-monthly-2018-11-to-2021-04.csv";
const MONTHLY_CSV: &str =
    "nhsd-gpad-national-2021-04/hf-national-monthly-by-booking-interval-2017-11-to-2024-01.csv";

fn read(dir: &Path, rel: &str) -> ParsedFile {
    read_timed(&dir.join(rel)).0
}

/// England's pledge by calendar year from national figures alone.
fn calendar_pledge(national: &[NationalAppointmentMonth]) -> Pledge {
    let a = Appointments::new(&[], national);
    pledge(
        &england_pledge_months(a.england()),
        YearBasis::Calendar,
        None,
    )
}

fn ym(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

/// Sums a column of a plain CSV (no quoted commas) by the year another
/// column's value gives, straight from the file.
fn raw_sums_by_year(
    text: &str,
    year_of: impl Fn(&[&str]) -> i32,
    value: impl Fn(&[&str]) -> Option<u64>,
) -> BTreeMap<i32, u64> {
    let mut out = BTreeMap::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line
            .split(',')
            .map(|f| f.trim().trim_matches('"'))
            .collect();
        if let Some(v) = value(&fields) {
            *out.entry(year_of(&fields)).or_insert(0) += v;
        }
    }
    out
}

#[test]
fn the_practice_crosstab() {
    let Some(dir) = data_dir() else { return };
    let p = read(&dir, PRACTICE);
    assert_eq!(p.kind, SourceKind::GpadPracticeAppointments);
    assert_eq!(p.rows, 89);
    assert_eq!(p.data_date, NaiveDate::from_ymd_opt(2025, 8, 1).unwrap());
    let t = &p.facts.appointments[0];
    assert_eq!(t.edition.month, ym(2025, 8));
    assert_eq!(t.edition.basis, EditionBasis::Path);
    assert_eq!(t.total(), 2_644);
    assert_eq!(t.categories.len(), 6);
    // The practice's network as published, as a membership observation.
    assert_eq!(p.facts.observations.len(), 1);
    assert_eq!(p.facts.observations[0].pcn.as_str(), "U07506");

    // Counts by status and staff as SOURCE.md lists them, through the core,
    // and the practice counted for its network by the registry (the GPAD
    // mapping of the same month).
    let mapping = read(&dir, "nhsd-gpad-mapping-2025-08/Mapping.csv");
    let mut facts = mapping.facts;
    facts.extend(p.facts.clone());
    let registry = Registry::new(facts);
    let a = Appointments::new(&p.facts.appointments, &[]);
    let code = PracticeCode::parse("Y02960").unwrap();
    let aug = &a.practice(&code, None)[&ym(2025, 8)];
    assert_eq!(aug.counts.attended(), Some(2_172));
    assert_eq!(aug.counts.dna(), Some(144));
    assert_eq!(aug.counts.status(ApptStatus::Unknown), Some(328));
    assert_eq!(aug.counts.hcp(HcpType::Gp), Some(1_488));
    assert_eq!(aug.counts.hcp(HcpType::OtherPracticeStaff), Some(1_156));
    let network = a.network(&registry, &PcnCode::parse("U07506").unwrap());
    assert_eq!(network[&ym(2025, 8)].counts.total, 2_644);
    let commissioner = a.commissioner(&SubIcbCode::parse("14L").unwrap(), None);
    assert_eq!(commissioner[&ym(2025, 8)].counts.total, 2_644);
}

#[test]
fn the_national_series_and_the_pledge() {
    let Some(dir) = data_dir() else { return };
    // Straight from the raw files.
    let table1_raw = raw_text(&dir.join(TABLE1_CSV));
    let year = |f: &[&str]| f[0][..4].parse::<i32>().unwrap();
    let table1_recorded = raw_sums_by_year(&table1_raw, year, |f| f[8].parse().ok());
    let table1_estimate = raw_sums_by_year(&table1_raw, year, |f| f[9].parse().ok());
    let monthly_raw = raw_text(&dir.join(MONTHLY_CSV));
    let monthly_recorded = raw_sums_by_year(
        &monthly_raw,
        |f| f[1][f[1].len() - 4..].parse().unwrap(),
        |f| f[3].parse().ok(),
    );
    // The raw sums are the figures SOURCE.md records.
    assert_eq!(table1_recorded[&2019], 303_570_279);
    assert_eq!(table1_estimate[&2019], 312_170_000);
    assert_eq!(monthly_recorded[&2019], 302_204_892);
    assert_eq!(monthly_recorded[&2023], 347_932_039);

    let workbook = read(&dir, WORKBOOK);
    assert_eq!(workbook.kind, SourceKind::GpadNationalSummary);
    assert_eq!(workbook.facts.national_appointments.len(), 30);
    assert_eq!(
        workbook.facts.national_appointments[0].edition.basis,
        EditionBasis::Stated
    );
    let table1 = read(&dir, TABLE1_CSV);
    assert_eq!(table1.kind, SourceKind::GpadNationalSummary);
    // The workbook and its transposition give the same months.
    let strip = |f: &ParsedFile| {
        f.facts
            .national_appointments
            .iter()
            .map(|m| {
                let mut m = m.clone();
                m.edition.basis = EditionBasis::Given;
                m
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&workbook), strip(&table1));
    let monthly = read(&dir, MONTHLY_CSV);
    assert_eq!(monthly.kind, SourceKind::GpadNationalMonthly);
    assert_eq!(monthly.facts.national_appointments.len(), 75);

    // The summary table alone: 2019 as published in April 2021.
    let p = calendar_pledge(&workbook.facts.national_appointments);
    let base = p.baseline.as_ref().unwrap();
    assert_eq!(base.recorded, table1_recorded[&2019]);
    assert_eq!(base.estimated_england_total, Some(table1_estimate[&2019]));
    let (lo, hi) = base.patient_coverage.unwrap();
    assert_eq!(
        (lo.to_string(), hi.to_string()),
        ("0.9645".to_string(), "0.9753".to_string())
    );
    eprintln!(
        "Table 1, 2019: recorded {}, estimated England {}, patient coverage {lo}–{hi}, by staff {:?}",
        base.recorded, table1_estimate[&2019], base.by_hcp
    );

    // Both series: each month's recorded total from the newest edition (the
    // monthly series, January 2024), the estimate and coverage from Table 1.
    let mut national = workbook.facts.national_appointments.clone();
    national.extend(monthly.facts.national_appointments.clone());
    let p = calendar_pledge(&national);
    let base = p.baseline.as_ref().unwrap();
    assert_eq!(base.recorded, monthly_recorded[&2019]);
    assert_eq!(base.estimated_england_total, Some(table1_estimate[&2019]));
    let y2023 = p.years.iter().find(|y| y.label == "2023").unwrap();
    assert_eq!(y2023.recorded, monthly_recorded[&2023]);
    assert_eq!(y2023.months, 12);
    let change = monthly_recorded[&2023] as i64 - monthly_recorded[&2019] as i64;
    assert_eq!(y2023.change, Some(change));
    assert_eq!(y2023.gap, Some(50_000_000 - change));
    assert_eq!(y2023.estimated_england_total, None);
    for y in &p.years {
        eprintln!(
            "England {}: {} months, recorded {}, change {:?} ({:?}%), gap {:?}, estimate {:?} \
             (change {:?}, gap {:?}), coverage {:?}, per 1,000 {:?}, editions {:?}",
            y.label,
            y.months,
            y.recorded,
            y.change,
            y.change_percent,
            y.gap,
            y.estimated_england_total,
            y.estimated_change,
            y.estimated_gap,
            y.patient_coverage,
            y.per_thousand,
            y.editions
        );
    }
    for s in &p.staff {
        eprintln!(
            "England {} {:?}: {} → {} ({:+}, {:?}% of the change)",
            s.label, s.hcp, s.baseline, s.year, s.change, s.share_of_change_percent
        );
    }
    eprintln!("notes: {:?}", p.notes);
}

#[test]
fn wakefield_calendar_years() {
    let Some(dir) = data_dir() else { return };
    let raw = raw_text(&dir.join(WAKEFIELD));
    let by_year = raw_sums_by_year(&raw, |f| f[2][..4].parse().unwrap(), |f| f[7].parse().ok());
    // SOURCE.md's figures.
    assert_eq!(by_year[&2019], 2_337_161);
    assert_eq!(by_year[&2022], 2_460_303);
    assert_eq!(by_year[&2023], 2_178_499);

    let start = Instant::now();
    let w = read(&dir, WAKEFIELD);
    eprintln!("Wakefield daily import: {:?}", start.elapsed());
    assert_eq!(w.kind, SourceKind::GpadSubIcbDaily);
    assert_eq!(w.rows, 161_494);
    assert_eq!(w.facts.appointments[0].total(), 14_049_115);
    assert_eq!(w.facts.appointments[0].edition.month, ym(2023, 10));

    // A registry for the denominators and the share: lists of 1 January
    // 2021, practices' commissioners from the registration map of January
    // 2022 and epraccur.
    let mut facts = FactBatch::default();
    for rel in [
        "nhsd-gp-reg-pat-prac-2021-01/gp-reg-pat-prac-all.csv.gz",
        "nhsd-gp-reg-pat-prac-2022-01/gp-reg-pat-prac-map.csv",
        "ods-epraccur-2025-11/epraccur.csv",
    ] {
        facts.extend(read(&dir, rel).facts);
    }
    let registry = Registry::new(facts);
    let code = SubIcbCode::parse("03R").unwrap();
    let a = Appointments::new(&w.facts.appointments, &[]);
    let series = a.sub_icb_files(AppointmentSetting::Practice, &code, Some(&registry));
    let mut core_by_year: BTreeMap<i32, u64> = BTreeMap::new();
    for (m, f) in &series {
        *core_by_year.entry(m.year).or_insert(0) += f.counts.total;
    }
    assert_eq!(core_by_year, by_year);

    // The share of 1 January 2021 (the earliest extract; none is from 2019),
    // straight from the raw list file: every practice, and those with
    // CCG_CODE 03R. Y02509, a walk-in centre with 76 patients, is left out:
    // no file the registry holds names its commissioner (epraccur lists it
    // under another prescribing setting, which pcn skips, and the January
    // 2022 map does not have it).
    let lists = raw_text(&dir.join("nhsd-gp-reg-pat-prac-2021-01/gp-reg-pat-prac-all.csv.gz"));
    let (mut england, mut wakefield) = (0u64, 0u64);
    for line in lists.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let n: u64 = f[9].parse().unwrap();
        england += n;
        if f[3] == "03R" && f[5] != "Y02509" {
            wakefield += n;
        }
    }
    let share = sub_icb_share(
        &registry,
        &code,
        NaiveDate::from_ymd_opt(2019, 1, 1).unwrap(),
    )
    .unwrap();
    assert_eq!(share.as_at, NaiveDate::from_ymd_opt(2021, 1, 1).unwrap());
    assert_eq!(share.area_patients, wakefield);
    assert_eq!(share.england_patients, england);
    assert_eq!((wakefield, england), (383_878, 60_606_345));
    let p = pledge(&pledge_months(&series), YearBasis::Calendar, Some(share));
    // 50,000,000 × 383,878 / 60,606,345 = 316,697.9, rounded half up.
    let target =
        (2 * 50_000_000 * u128::from(wakefield) + u128::from(england)) / (2 * u128::from(england));
    assert_eq!(u128::from(p.target), target);
    assert_eq!(p.target, 316_698);
    let base = p.baseline.as_ref().unwrap();
    assert_eq!(base.recorded, by_year[&2019]);
    let y2022 = p.years.iter().find(|y| y.label == "2022").unwrap();
    let change = by_year[&2022] as i64 - by_year[&2019] as i64;
    assert_eq!(y2022.change, Some(change));
    assert_eq!(y2022.gap, Some(316_698 - change));
    let y2023 = p.years.iter().find(|y| y.label == "2023").unwrap();
    assert_eq!(y2023.months, 10);
    assert_eq!(y2023.gap, None);
    eprintln!(
        "Wakefield 2019: recorded {}, per 1,000 {:?}, by staff {:?}; target {} (share {} of {} at {})",
        base.recorded,
        base.per_thousand,
        base.by_hcp,
        p.target,
        share.area_patients,
        share.england_patients,
        share.as_at
    );
    for y in &p.years {
        eprintln!(
            "Wakefield {}: {} months, recorded {}, per 1,000 {:?}, change {:?} ({:?}%), gap {:?}, by staff {:?}",
            y.label, y.months, y.recorded, y.per_thousand, y.change, y.change_percent, y.gap, y.by_hcp
        );
    }
    for s in &p.staff {
        eprintln!(
            "Wakefield {} {:?}: {} → {} ({:+}, {:?}% of the change)",
            s.label, s.hcp, s.baseline, s.year, s.change, s.share_of_change_percent
        );
    }
    eprintln!("notes: {:?}", p.notes);
}
