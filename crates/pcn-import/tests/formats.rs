//! Each format and variant, from small fixtures written in the published layouts.

mod common;

use std::io::Write;

use common::*;
use pcn_core::{GovernanceField, PracticeStatus, Sex, SourceKind};
use pcn_import::{detect, parse_bytes, read_path, ImportOptions};

#[test]
fn registration_map_sub_icb_era_with_bom_and_crlf() {
    let p = parse_fixture_as(
        "gp-reg-pat-prac-map.csv",
        SourceKind::RegistrationMap,
        d(2026, 7, 1),
    );
    assert_eq!(p.rows, 3, "the blank line is not a row");
    assert_eq!(p.facts.practices.len(), 3);
    let q = &p.facts.practices[1];
    assert_eq!(
        q.name.as_deref(),
        Some("QUEENS PARK MEDICAL CENTRE, STOCKTON")
    );
    assert_eq!(q.supplier.as_deref(), Some("EMIS"));
    assert_eq!(q.sub_icb.as_ref().unwrap().as_str(), "16C");
    assert_eq!(
        q.icb_name.as_deref(),
        Some("NHS North East and North Cumbria Integrated Care Board")
    );
    assert_eq!(q.region.as_ref().unwrap().as_str(), "Y63");
    assert_eq!(p.facts.observations.len(), 3);
    assert!(p.facts.observations[2].pcn.is_unallocated());
    assert!(p
        .facts
        .observations
        .iter()
        .all(|o| o.as_at == d(2026, 7, 1)));
    assert_eq!(p.facts.networks.len(), 1, "U is not a network");
    assert_eq!(p.facts.networks[0].name.as_deref(), Some("STOCKTON PCN"));
    assert_eq!(p.facts.networks[0].sub_icb, None);
    assert_eq!(p.sha256.len(), 64);
}

#[test]
fn registration_map_ccg_era_with_newline_in_header() {
    let p = parse_fixture_as(
        "gp-reg-pat-prac-map-ccg-2021.csv",
        SourceKind::RegistrationMap,
        d(2021, 4, 1),
    );
    let f = &p.facts.practices[1];
    assert_eq!(f.sub_icb.as_ref().unwrap().as_str(), "01H");
    assert_eq!(f.sub_icb_name.as_deref(), Some("NHS NORTH CUMBRIA CCG"));
    assert_eq!(f.icb.as_ref().unwrap().as_str(), "QHM");
    assert_eq!(f.icb_name.as_deref(), Some("CUMBRIA AND NORTH EAST"));
    assert_eq!(f.supplier, None);
    assert_eq!(p.facts.networks.len(), 2);
}

#[test]
fn quinary_age_gzip() {
    let p = parse_fixture_as(
        "gp-reg-pat-prac-quin-age.csv.gz",
        SourceKind::RegistrationQuinaryAge,
        d(2026, 7, 1),
    );
    assert_eq!(p.skipped_rows, 1, "the PCN row");
    assert_eq!(p.facts.practices.len(), 2);
    assert_eq!(p.facts.practices[0].postcode.as_deref(), Some("TS18 1HU"));
    assert_eq!(p.facts.list_sizes.len(), 6);
    let female = p
        .facts
        .list_sizes
        .iter()
        .find(|l| l.sex == Sex::Female)
        .unwrap();
    let bands = female.bands.unwrap();
    assert_eq!(bands[0], 10);
    assert_eq!(bands[19], 29);
    assert_eq!(female.total, (10..30).sum::<u64>());
    let all = p
        .facts
        .list_sizes
        .iter()
        .find(|l| l.sex == Sex::All)
        .unwrap();
    assert_eq!(
        all.bands.unwrap()[1],
        11 + 12,
        "ALL bands derived from FEMALE + MALE"
    );
}

#[test]
fn single_age_sums_into_bands() {
    let p = parse_fixture_as(
        "gp-reg-pat-prac-sing-age-female.csv",
        SourceKind::RegistrationSingleAge,
        d(2026, 7, 1),
    );
    assert_eq!(p.facts.list_sizes.len(), 1);
    let l = &p.facts.list_sizes[0];
    assert_eq!(l.sex, Sex::Female);
    let bands = l.bands.unwrap();
    // ages 0..4 → 0+1+2+3+4; 95+ → 95 % 7 = 4
    assert_eq!(bands[0], 10);
    assert_eq!(bands[19], 4);
    assert_eq!(bands.iter().sum::<u64>(), l.total);
}

#[test]
fn single_age_detected_by_content_without_file_name_hint() {
    let bytes = fixture("gp-reg-pat-prac-sing-age-female.csv");
    assert_eq!(
        detect("ages.csv", &bytes).unwrap(),
        SourceKind::RegistrationSingleAge
    );
    let totals = fixture("gp-reg-pat-prac-all.csv");
    assert_eq!(
        detect("totals.csv", &totals).unwrap(),
        SourceKind::RegistrationTotals
    );
}

#[test]
fn totals_ccg_era() {
    let p = parse_fixture_as(
        "gp-reg-pat-prac-all.csv",
        SourceKind::RegistrationTotals,
        d(2021, 5, 1),
    );
    assert_eq!(p.facts.list_sizes.len(), 2);
    assert_eq!(p.facts.list_sizes[1].total, 12_000);
    assert_eq!(p.facts.list_sizes[1].bands, None);
    assert_eq!(p.facts.list_sizes[1].sex, Sex::All);
}

#[test]
fn epraccur_keeps_gp_practices_of_any_status() {
    let p = parse_fixture("epraccur-fixture.csv");
    assert_eq!(p.kind, SourceKind::Epraccur);
    assert_eq!(p.rows, 4);
    assert_eq!(p.skipped_rows, 1);
    assert_eq!(
        p.data_date,
        d(2020, 4, 1),
        "latest open/close/join/left date"
    );
    let f = &p.facts.practices;
    assert_eq!(f.len(), 3);
    assert_eq!(f[0].status, Some(PracticeStatus::Active));
    assert_eq!(f[0].sub_icb.as_ref().unwrap().as_str(), "16C");
    assert_eq!(f[0].open_date, Some(d(1974, 4, 1)));
    assert_eq!(f[0].prescribing_setting, Some(4));
    assert_eq!(f[1].status, Some(PracticeStatus::Closed));
    assert_eq!(f[1].close_date, Some(d(2017, 10, 31)));
    assert_eq!(f[2].region, None, "W00 is not an NHS England region");
    assert_note(&p, |n| n.contains("1 rows of other prescribing settings"));
}

#[test]
fn gpad_mapping_date_from_folder_and_supplier_merge() {
    let p = parse_fixture_as(
        "Aug_25/gpad-mapping-fixture.csv",
        SourceKind::GpadMapping,
        d(2025, 8, 1),
    );
    assert_note(&p, |n| n.contains("Aug_25"));
    assert_eq!(p.rows, 4);
    assert_eq!(p.facts.practices.len(), 3);
    assert_eq!(p.facts.practices[1].supplier.as_deref(), Some("TPP/EMIS"));
    assert_eq!(p.facts.observations.len(), 3);
    assert_eq!(p.facts.networks.len(), 2);

    let o = ImportOptions {
        as_at: Some(d(2025, 9, 30)),
        ..opts()
    };
    let p = parse_fixture_with("Aug_25/gpad-mapping-fixture.csv", &o);
    assert_eq!(p.data_date, d(2025, 9, 30), "--as-at overrides the path");

    let err = parse_fixture_named("Mapping.csv", "Aug_25/gpad-mapping-fixture.csv").unwrap_err();
    assert!(err.to_string().contains("--as-at"), "{err}");
}

#[test]
fn nhs_website_gp_windows_1252_caret() {
    let p = parse_fixture_as(
        "gp-2019-05/nhs-website-gp-fixture.csv",
        SourceKind::NhsWebsiteGp,
        d(2019, 5, 1),
    );
    assert_eq!(p.skipped_rows, 1, "the branch");
    assert_eq!(p.facts.practices.len(), 2);
    let a = &p.facts.practices[0];
    let loc = a.location.unwrap();
    assert!((loc.lat - 54.5616).abs() < 1e-3);
    assert_eq!(
        p.facts.practices[1].name.as_deref(),
        Some("Café Médical Practice")
    );
    assert_eq!(p.facts.practices[1].location, None, "blank coordinates");
}

#[test]
fn governance_csv() {
    let p = parse_fixture("governance.csv");
    assert_eq!(p.kind, SourceKind::Governance);
    let g = &p.facts.governance;
    assert_eq!(g.len(), 6, "{g:#?}");
    assert_eq!(g[0].field, GovernanceField::ClinicalDirector);
    assert_eq!(g[0].value, "Dr A Khan");
    assert_eq!(g[0].effective_from, d(2025, 4, 1));
    assert_eq!(g[2].field, GovernanceField::NetworkAgreementSigned);
    assert_eq!(g[2].value, "2025-03-15");
    // Blank effective_from takes today.
    assert_eq!(g[3].effective_from, d(2026, 8, 1));
    assert_eq!(g[4].value, "rural-waiver");
    // `-` clears.
    assert_eq!(g[5].value, "");
    assert_eq!(g[5].effective_from, d(2025, 10, 1));
    assert_eq!(p.data_date, d(2026, 8, 1));
}

#[test]
fn epcn_workbook_xlsx() {
    let p = parse_fixture("epcn-fixture.xlsx");
    assert_eq!(p.kind, SourceKind::EpcnWorkbook);
    assert_eq!(p.data_date, d(2024, 10, 1), "an Excel date cell counts too");
    let n = &p.facts.networks;
    assert_eq!(n.len(), 2);
    assert_eq!(n[0].sub_icb.as_ref().unwrap().as_str(), "16C");
    assert_eq!(n[1].open_date, Some(d(2019, 7, 1)), "Excel date cell");
    assert_eq!(n[1].close_date, Some(d(2024, 9, 30)));
    assert_eq!(n[0].postcode.as_deref(), Some("TS18 1HU"));
    let i = &p.facts.intervals;
    assert_eq!(i.len(), 3);
    assert_eq!(i[1].end, Some(d(2024, 9, 30)));
    assert_eq!(i[2].start, d(2024, 10, 1));
    assert_eq!(p.facts.practices.len(), 2);
    assert_eq!(p.skipped_rows, 1, "the trust partner");
    assert_note(&p, |n| n.contains("RXX"));
}

#[test]
fn epcn_csv_reports() {
    let p = parse_fixture("epcncorepartnerdetails.csv");
    assert_eq!(p.kind, SourceKind::EpcnPartners);
    assert_eq!(p.facts.intervals.len(), 3);
    assert_eq!(p.facts.practices.len(), 2);
    assert_eq!(p.data_date, d(2023, 4, 1));
    let p = parse_fixture("epcn.csv");
    assert_eq!(p.kind, SourceKind::EpcnDetails);
    assert_eq!(p.facts.networks.len(), 2);
    assert_eq!(p.facts.networks[1].close_date, Some(d(2023, 3, 31)));
    assert_eq!(
        p.facts.networks[1].sub_icb.as_ref().unwrap().as_str(),
        "16C"
    );
}

#[test]
fn read_path_and_progress() {
    let path = std::path::Path::new(FIXTURES).join("gp-reg-pat-prac-quin-age.csv.gz");
    let mut calls = Vec::new();
    let p = read_path(&path, &opts(), &mut |n| calls.push(n)).unwrap();
    assert_eq!(calls.last().copied(), Some(p.rows));
    // sha256 is of the raw (compressed) bytes.
    use sha2::{Digest, Sha256};
    let raw = fixture("gp-reg-pat-prac-quin-age.csv.gz");
    assert_eq!(p.sha256, hex::encode(Sha256::digest(&raw)));
}

#[test]
fn gzip_wrapping_changes_digest_not_facts() {
    let plain = fixture("gp-reg-pat-prac-map.csv");
    let mut enc = gzip(&plain);
    let a = parse_bytes("map.csv", &plain, &opts(), &mut |_| {}).unwrap();
    let b = parse_bytes("map.csv.gz", &enc, &opts(), &mut |_| {}).unwrap();
    assert_eq!(a.facts, b.facts);
    assert_ne!(a.sha256, b.sha256);
    enc.truncate(enc.len() / 2);
    let err = parse_bytes("map.csv.gz", &enc, &opts(), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("map.csv.gz"), "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}
