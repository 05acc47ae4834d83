//! The real national files in `/work/shared/data` (see each folder's
//! SOURCE.md). Skipped with a message when that folder is absent, unless the
//! `CI` environment variable is set.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use pcn_core::{PracticeFact, PracticeStatus, Sex, SourceKind};
use pcn_import::ParsedFile;

use common::{d, data_dir, read_timed};

fn read(dir: &Path, rel: &str) -> (ParsedFile, Duration) {
    read_timed(&dir.join(rel))
}

/// How many of `items` pass `test`.
fn count<T>(items: &[T], test: impl Fn(&T) -> bool) -> usize {
    items.iter().filter(|i| test(i)).count()
}

/// The practice `code` of the file.
fn practice<'a>(p: &'a ParsedFile, code: &str) -> &'a PracticeFact {
    p.facts
        .practices
        .iter()
        .find(|f| f.code.as_str() == code)
        .unwrap_or_else(|| panic!("no practice {code}"))
}

#[test]
fn registration_map() {
    let Some(dir) = data_dir() else { return };
    let (p, _) = read(&dir, "nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-map.csv");
    assert_eq!(p.kind, SourceKind::RegistrationMap);
    assert_eq!(p.data_date, d(2026, 7, 1));
    assert_eq!(p.rows, 6_139);
    assert_eq!(p.facts.practices.len(), 6_139);
    assert_eq!(p.facts.observations.len(), 6_139);
    let unallocated = count(&p.facts.observations, |o| o.pcn.is_unallocated());
    assert_eq!(unallocated, 52);
    assert_eq!(p.facts.networks.len(), 1_298);
    let a81001 = practice(&p, "A81001");
    assert_eq!(a81001.sub_icb.as_ref().unwrap().as_str(), "16C");
    assert_eq!(a81001.icb.as_ref().unwrap().as_str(), "QHM");
    assert_eq!(a81001.region.as_ref().unwrap().as_str(), "Y63");
    assert_eq!(a81001.supplier.as_deref(), Some("TPP"));
    assert_eq!(a81001.postcode.as_deref(), Some("TS18 1HU"));
    let icbs: HashSet<_> = p
        .facts
        .practices
        .iter()
        .filter_map(|f| f.icb.clone())
        .collect();
    assert_eq!(icbs.len(), 36);
}

#[test]
fn registration_quinary_age() {
    let Some(dir) = data_dir() else { return };
    let (p, _) = read(
        &dir,
        "nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-quin-age.csv.gz",
    );
    assert_eq!(p.kind, SourceKind::RegistrationQuinaryAge);
    assert_eq!(p.data_date, d(2026, 7, 1));
    assert_eq!(p.rows, 326_241);
    assert_eq!(p.skipped_rows, 326_241 - 263_977);
    assert_eq!(p.facts.practices.len(), 6_139);
    assert_eq!(p.facts.list_sizes.len(), 6_139 * 3);
    let all: Vec<_> = p
        .facts
        .list_sizes
        .iter()
        .filter(|l| l.sex == Sex::All)
        .collect();
    assert_eq!(all.iter().map(|l| l.total).sum::<u64>(), 63_436_508);
    // Every practice's ALL bands are derived from FEMALE + MALE.
    assert!(all
        .iter()
        .all(|l| l.bands.is_some_and(|b| b.iter().sum::<u64>() == l.total)));
    let mut totals: Vec<u64> = all.iter().map(|l| l.total).collect();
    totals.sort_unstable();
    assert_eq!(totals[totals.len() / 2], 8_815);
}

#[test]
fn epraccur() {
    let Some(dir) = data_dir() else { return };
    let (p, _) = read(&dir, "ods-epraccur-2025-11/epraccur.csv");
    assert_eq!(p.kind, SourceKind::Epraccur);
    assert_eq!(p.rows, 16_685);
    assert_eq!(p.facts.practices.len(), 8_655);
    assert_eq!(p.skipped_rows, 16_685 - 8_655);
    assert_eq!(p.data_date, d(2025, 9, 1));
    let active = count(&p.facts.practices, |f| {
        f.status == Some(PracticeStatus::Active)
    });
    assert_eq!(active, 6_618);
    let welsh = count(&p.facts.practices, |f| f.region.is_none());
    assert_eq!(welsh, 422);
}

#[test]
fn epcn_workbook() {
    let Some(dir) = data_dir() else { return };
    let (p, _) = read(&dir, "ods-epcn-2024-10/ePCN.xlsx");
    assert_eq!(p.kind, SourceKind::EpcnWorkbook);
    assert_eq!(p.data_date, d(2024, 10, 1));
    assert_eq!(p.facts.networks.len(), 1_366);
    assert_eq!(count(&p.facts.networks, |n| n.close_date.is_some()), 81);
    assert_eq!(p.facts.intervals.len(), 7_705);
    assert_eq!(count(&p.facts.intervals, |i| i.end.is_none()), 6_224);
    let pcns: HashSet<_> = p.facts.intervals.iter().map(|i| i.pcn.clone()).collect();
    assert_eq!(pcns.len(), 1_363);
    assert_eq!(p.skipped_rows, 0);
}

#[test]
fn gpad_mapping() {
    let Some(dir) = data_dir() else { return };
    let (p, _) = read(&dir, "nhsd-gpad-mapping-2025-08/Mapping.csv");
    assert_eq!(p.kind, SourceKind::GpadMapping);
    assert_eq!(p.data_date, d(2025, 8, 1));
    assert_eq!(p.rows, 6_196);
    // 30 rows repeat a practice with another supplier.
    assert_eq!(p.facts.practices.len(), 6_166);
    assert_eq!(p.facts.observations.len(), 6_166);
    let pcns: HashSet<_> = p.facts.observations.iter().map(|o| o.pcn.clone()).collect();
    assert_eq!(pcns.len(), 1_297);
    let a86027 = practice(&p, "A86027");
    assert_eq!(a86027.supplier.as_deref(), Some("TPP/EMIS"));
}

#[test]
fn nhs_website_gp() {
    let Some(dir) = data_dir() else { return };
    let (p, _) = read(&dir, "nhsuk-gp-locations-2019-05/GP.csv");
    assert_eq!(p.kind, SourceKind::NhsWebsiteGp);
    assert_eq!(p.data_date, d(2019, 5, 1));
    assert_eq!(p.rows, 8_883);
    assert_eq!(p.facts.practices.len(), 6_948);
    assert_eq!(p.skipped_rows, 1_935);
    let located = count(&p.facts.practices, |f| f.location.is_some());
    assert_eq!(located, 6_948 - 1);
    let a81001 = practice(&p, "A81001");
    let loc = a81001.location.unwrap();
    assert!(
        (loc.lat - 54.5616).abs() < 1e-3 && (loc.lon + 1.3190).abs() < 1e-3,
        "{loc:?}"
    );
    assert_eq!(a81001.postcode.as_deref(), Some("TS18 1HU"));
    // Practice coordinates for the 2026 registration map's practices.
    let (map, _) = read(&dir, "nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-map.csv");
    let located: HashSet<_> = p
        .facts
        .practices
        .iter()
        .filter(|f| f.location.is_some())
        .map(|f| f.code.clone())
        .collect();
    let matched = count(&map.facts.practices, |f| located.contains(&f.code));
    assert!(matched >= 6_100, "{matched}");
}

#[test]
fn iif_indicators_2023_24() {
    let Some(dir) = data_dir() else { return };
    let (p, _) = read(
        &dir,
        "nhsd-iif-2023-24/IIF_indicators_annual_pub_2023_24.csv.gz",
    );
    assert_eq!(p.kind, SourceKind::IifIndicators);
    assert_eq!(p.data_date, d(2024, 3, 31));
    // SOURCE.md: 26,520 rows (GP practice 18,882; PCN 7,638).
    assert_eq!(p.rows, 26_520);
    assert_eq!(p.skipped_rows, 0);
    let facts = &p.facts.iif_achievements;
    assert_eq!(facts.len(), 26_520);
    let practices = count(facts, |f| {
        matches!(f.organisation, pcn_core::IifOrganisation::Practice(_))
    });
    assert_eq!(practices, 18_882);
    assert_eq!(facts.len() - practices, 7_638);
    assert!(facts.iter().all(|f| f.financial_year == "2023-24"));
    let indicators: HashSet<&str> = facts.iter().map(|f| f.indicator.as_str()).collect();
    let expected: HashSet<&str> = ["NCD026", "NCDMI198", "NCDMI210", "NCDMI191"].into();
    assert_eq!(indicators, expected);
}
