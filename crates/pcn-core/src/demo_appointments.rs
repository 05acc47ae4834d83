//! The demo commissioner's appointments, in the shape GPAD publishes them,
//! so `pcn demo` shows the pledge and the charts with no downloads: every
//! demo practice's month from January 2019 to June 2026 as a practice-level
//! crosstab (edition June 2026), and a synthetic England in the shape of
//! the summary table (recorded, coverage, the estimate, splits by status
//! and staff).
//!
//! The pattern is GPAD's in outline: about 440 appointments per 1,000
//! patients a month in 2019, a fall in the first COVID-19 spring and a
//! lower 2020, growth from 2021, fewer in August and December, and a
//! shrinking share of appointments with GPs as other practice staff (the
//! additional roles) grow. Integer arithmetic from a fixed seed, so every
//! run gives the same figures. None of it is real data.

use chrono::NaiveDate;

use crate::arrs::YearMonth;
use crate::codes::PracticeCode;
use crate::facts::{FactBatch, Sex};
use crate::gpad_facts::*;

/// The demo's newest month of appointments, and so its edition.
pub fn demo_appointments_edition() -> YearMonth {
    YearMonth {
        year: 2026,
        month: 6,
    }
}

/// Parts per thousand of the 2019 rate, by year (April and May 2020 are
/// lower still: see [`month_factor`]).
fn year_factor(year: i32) -> u64 {
    match year {
        ..=2019 => 1_000,
        2020 => 930,
        2021 => 1_020,
        2022 => 1_070,
        2023 => 1_115,
        2024 => 1_150,
        2025 => 1_170,
        _ => 1_190,
    }
}

/// Parts per thousand for the month: the first COVID-19 spring, August
/// and December lower, January and October higher.
fn month_factor(m: YearMonth) -> u64 {
    match (m.year, m.month) {
        (2020, 4) => 640,
        (2020, 5) => 720,
        (_, 8) => 920,
        (_, 12) => 880,
        (_, 1) => 1_050,
        (_, 10) => 1_060,
        _ => 1_000,
    }
}

/// GPs' share of appointments (per thousand): 520 in 2019, ten fewer a year.
fn gp_share(year: i32) -> u64 {
    520u64.saturating_sub(10 * u64::try_from((year - 2019).max(0)).unwrap_or(0))
}

/// Every month from January 2019 to the edition month.
fn months() -> Vec<YearMonth> {
    let mut out = Vec::new();
    let mut m = YearMonth {
        year: 2019,
        month: 1,
    };
    while m <= demo_appointments_edition() {
        out.push(m);
        m = m.next();
    }
    out
}

/// One combination and its count.
type Split = (ApptStatus, HcpType, ApptMode, BookingInterval, u64);

/// A month's appointments split by status, staff and mode (18 rows).
fn split(total: u64, year: i32) -> Vec<Split> {
    let statuses = [
        (ApptStatus::Attended, 910),
        (ApptStatus::Dna, 40),
        (ApptStatus::Unknown, 50),
    ];
    let gp = gp_share(year);
    let staff = [
        (HcpType::Gp, gp),
        (HcpType::OtherPracticeStaff, 960 - gp),
        (HcpType::Unknown, 40),
    ];
    let modes = [
        (ApptMode::FaceToFace, 640, BookingInterval::TwoToSevenDays),
        (ApptMode::Telephone, 360, BookingInterval::SameDay),
    ];
    let mut out = Vec::new();
    for (s, sp) in statuses {
        for (h, hp) in staff {
            for (m, mp, interval) in modes {
                out.push((s, h, m, interval, total * sp * hp * mp / 1_000_000_000));
            }
        }
    }
    out
}

/// The demo practices' appointments (a practice-level crosstab of every
/// month) and England's months, from the demo's registry facts.
pub fn demo_appointments(facts: &FactBatch) -> FactBatch {
    let edition = GpadEdition {
        month: demo_appointments_edition(),
        basis: EditionBasis::NewestMonth,
    };
    // Each practice's latest list and commissioner from the demo facts.
    let mut lists: std::collections::BTreeMap<&PracticeCode, (NaiveDate, u64)> =
        std::collections::BTreeMap::new();
    for l in facts.list_sizes.iter().filter(|l| l.sex == Sex::All) {
        let entry = lists.entry(&l.practice).or_insert((l.as_at, l.total));
        if l.as_at >= entry.0 {
            *entry = (l.as_at, l.total);
        }
    }
    let mut areas = Vec::new();
    let mut rows = Vec::new();
    for (i, (practice, (_, list))) in lists.iter().enumerate() {
        let sub_icb = facts
            .practices
            .iter()
            .find(|p| &p.code == *practice)
            .and_then(|p| p.sub_icb.clone());
        areas.push(AppointmentArea::Practice {
            code: (*practice).clone(),
            pcn: None,
            sub_icb,
        });
        let area = u32::try_from(i).unwrap_or(u32::MAX);
        // Each practice books a little more or less than the average.
        let own =
            900 + (u64::from(practice.as_str().bytes().map(u32::from).sum::<u32>()) * 37) % 200;
        for m in months() {
            // Lists grew about 0.8% a year to 2026.
            let years_before = u64::try_from(2026 - m.year).unwrap_or(0);
            let list_then = list * (1_000 - 8 * years_before) / 1_000;
            let total = list_then * 440 * own / 1_000 * year_factor(m.year) / 1_000
                * month_factor(m)
                / 1_000_000;
            for (status, hcp, mode, interval, count) in split(total, m.year) {
                rows.push(AppointmentRow {
                    area,
                    month: m,
                    status,
                    hcp,
                    mode,
                    interval,
                    category: None,
                    count: u32::try_from(count).unwrap_or(u32::MAX),
                });
            }
        }
    }
    FactBatch {
        appointments: vec![AppointmentTable {
            edition,
            setting: AppointmentSetting::Practice,
            granularity: Granularity::Monthly,
            areas,
            categories: Vec::new(),
            rows,
        }],
        national_appointments: england(edition),
        ..FactBatch::default()
    }
}

/// A synthetic England in the summary table's shape.
fn england(edition: GpadEdition) -> Vec<NationalAppointmentMonth> {
    months()
        .into_iter()
        .map(|m| {
            let recorded = 25_500_000 * year_factor(m.year) / 1_000 * month_factor(m) / 1_000;
            let rows = split(recorded, m.year);
            let sum_by = |f: &dyn Fn(&Split) -> bool| -> u64 {
                rows.iter().filter(|r| f(r)).map(|r| r.4).sum()
            };
            let recorded: u64 = rows.iter().map(|r| r.4).sum();
            let included = 6_450 + u32::try_from((m.year - 2019).max(0)).unwrap_or(0) * 10;
            // The estimate scales attended and DNA appointments to every
            // open practice, rounded to 10,000, as NHS England Digital does.
            let counted = sum_by(&|r| r.0 != ApptStatus::Unknown);
            let estimate = (counted * 6_600 / u64::from(included) + 5_000) / 10_000 * 10_000;
            NationalAppointmentMonth {
                month: m,
                edition,
                series: NationalSeries::SummaryTable,
                recorded,
                coverage: Some(Coverage {
                    open_practices: 6_600,
                    included_practices: included,
                    patients_at_open_practices: 60_500_000,
                    patients_at_included_practices: 60_500_000 / 6_600 * u64::from(included),
                }),
                estimated_england_total: Some(estimate),
                working_days: None,
                covid_vaccinations_removed: None,
                covid_vaccinations_by_practices: None,
                by_status: Some(
                    [ApptStatus::Attended, ApptStatus::Dna, ApptStatus::Unknown]
                        .into_iter()
                        .map(|s| (s, sum_by(&|r| r.0 == s)))
                        .collect(),
                ),
                by_hcp: Some(
                    [HcpType::Gp, HcpType::OtherPracticeStaff, HcpType::Unknown]
                        .into_iter()
                        .map(|h| (h, sum_by(&|r| r.1 == h)))
                        .collect(),
                ),
                by_mode: None,
                by_interval: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appointments::{pledge, pledge_months, Appointments, YearBasis};
    use crate::demo::demo_facts;

    #[test]
    fn the_demo_has_every_month_of_every_practice_and_grows_after_2020() {
        let facts = demo_facts();
        let gpad = demo_appointments(&facts);
        let table = &gpad.appointments[0];
        let practices = facts
            .list_sizes
            .iter()
            .map(|l| &l.practice)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        assert_eq!(table.areas.len(), practices);
        assert_eq!(table.months().len(), 90, "January 2019 to June 2026");
        assert_eq!(table.rows.len(), practices * 90 * 18);
        // Sorted by area then month, as the readers give tables.
        assert!(table
            .rows
            .windows(2)
            .all(|w| (w[0].area, w[0].month) <= (w[1].area, w[1].month)));
        assert_eq!(gpad.national_appointments.len(), 90);
        // The same on every run.
        assert_eq!(demo_appointments(&facts), gpad);

        let a = Appointments::new(&gpad.appointments, &gpad.national_appointments);
        let z1a = a.commissioner(&"Z1A".parse().unwrap(), None);
        let p = pledge(&pledge_months(&z1a), YearBasis::Calendar, None);
        let base = p.baseline.as_ref().unwrap().recorded;
        let y = |label: &str| p.years.iter().find(|y| y.label == label).unwrap();
        assert!(y("2020").recorded < base);
        assert!(y("2023").recorded > base);
        assert_eq!(y("2026").months, 6);
        // More of the growth with other practice staff than with GPs.
        let staff = p
            .staff
            .iter()
            .filter(|s| s.label == "2023")
            .map(|s| (s.hcp, s.change))
            .collect::<Vec<_>>();
        let change = |h: HcpType| staff.iter().find(|s| s.0 == h).unwrap().1;
        assert!(change(HcpType::OtherPracticeStaff) > change(HcpType::Gp));
    }
}
