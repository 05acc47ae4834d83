//! The funding inputs: NHS Payments to General Practice, pcn's population,
//! care-home alignment and IIF points CSVs, CQC HSCA Active Locations (ods,
//! xlsx, csv) and the IIF indicators; each format, and each class of bad input.

mod common;

use chrono::NaiveDate;

use common::*;
use pcn_core::{
    Decimal, IifOrganisation, PopulationKind, PopulationSubject, PracticeCode, SourceKind,
};
use pcn_import::{detect, parse_bytes, ImportOptions};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn practice(code: &str) -> PracticeCode {
    PracticeCode::parse(code).unwrap()
}

#[test]
fn payments_sub_icb_era() {
    let p = parse_fixture_as(
        "nhspaymentsgp-22-23-prac-csv.csv",
        SourceKind::NhsPaymentsPractice,
        d(2022, 8, 15),
    );
    assert_eq!(p.rows, 4);
    assert_note(&p, |n| n.starts_with("layout 2022-23 (75 columns)"));
    let w = &p.facts.populations;
    assert_eq!(w.len(), 3, "A81003 has a blank weighted figure");
    assert_note(&p, |n| {
        n.starts_with("1 registered or weighted figures are blank")
    });
    assert_eq!(
        w[0].subject,
        PopulationSubject::Practice(practice("A81001"))
    );
    assert_eq!(w[0].kind, PopulationKind::Weighted);
    assert_eq!(w[0].value, dec("4512.3456"));
    assert_eq!(w[0].as_at, d(2022, 8, 15));
    // A81001: seven non-zero streams; A81002 and A81003: participation only; Y01234: none.
    let paid = &p.facts.payment_actuals;
    assert_eq!(paid.len(), 7 + 1 + 1);
    let workforce = paid.iter().find(|f| f.stream == "PCN Workforce").unwrap();
    assert_eq!(workforce.amount, 12_567_891);
    assert_eq!(workforce.financial_year, "2022-23");
    assert_eq!(workforce.pcn.as_ref().unwrap().as_str(), "U89141");
    let iif = paid
        .iter()
        .find(|f| f.stream == "PCN Investment and impact Fund")
        .unwrap();
    assert_eq!(iif.amount, 2_345_650);
    assert!(
        !paid.iter().any(|f| f.stream == "PCN Extended Hours Access"),
        "zero is no fact"
    );
}

#[test]
fn payments_2022_23_as_published() {
    // The 2022-23 file names its geography columns `CCG Code`, `Sub ICB
    // NAME`, `Code` and `CCG NAME`: they hold the sub-ICB location's code and
    // name, then the network's code and name. The network is read from `Code`.
    let p = parse_fixture_as(
        "nhspaymentsgp-22-23-prac-published.csv",
        SourceKind::NhsPaymentsPractice,
        d(2022, 8, 15),
    );
    assert_eq!(p.rows, 4);
    assert_note(&p, |n| n.starts_with("layout 2022-23 (75 columns)"));
    assert_note(&p, |n| {
        n.starts_with("1 practices have no network in the Code column (\"(blank)\" ×1)")
    });
    let paid = &p.facts.payment_actuals;
    assert_eq!(paid.len(), 7 + 1 + 1);
    assert!(paid
        .iter()
        .all(|f| f.pcn.as_ref().map(|c| c.as_str()) == Some("U89141")));
    let members: Vec<(&str, &str)> = p
        .facts
        .observations
        .iter()
        .map(|o| (o.practice.as_str(), o.pcn.as_str()))
        .collect();
    assert_eq!(
        members,
        vec![
            ("A81001", "U89141"),
            ("A81002", "U89141"),
            ("A81003", "U89141")
        ]
    );
    // The same rows under the sub-ICB names the format notes give read the same.
    let named = parse_fixture("nhspaymentsgp-22-23-prac-csv.csv");
    assert_eq!(named.facts.payment_actuals, p.facts.payment_actuals);
}

#[test]
fn payments_2021_22_as_published() {
    let p = parse_fixture("nhspaymentsgp-21-22-prac-csv.csv");
    assert_eq!(p.kind, SourceKind::NhsPaymentsPractice);
    assert_eq!(p.rows, 4);
    assert_eq!(p.data_date, d(2021, 8, 15));
    assert!(
        p.notes[0].starts_with("layout 2021-22 (74 columns)"),
        "{:?}",
        p.notes
    );
    // Rows with no network are kept and counted, never refused.
    assert_note(&p, |n| {
        n.starts_with(
            "2 practices have no network in the PCN Code column (\"(blank)\" ×1, \"Unknown or no PCN\" ×1)"
        ) && n.contains("2 of them were paid PCN streams")
    });
    // Registered figures are quarterly means: rounded half away from zero, zero left out.
    let lists: Vec<(&str, u64)> = p
        .facts
        .list_sizes
        .iter()
        .map(|l| (l.practice.as_str(), l.total))
        .collect();
    assert_eq!(
        lists,
        vec![("A81001", 4061), ("A81002", 9877), ("Y01234", 2002)]
    );
    assert!(p.facts.list_sizes.iter().all(|l| l.as_at == d(2021, 8, 15)));
    assert_eq!(
        p.facts.populations.len(),
        3,
        "A81003's zero gives no figure"
    );
    let paid: Vec<(&str, Option<&str>, &str, i64)> = p
        .facts
        .payment_actuals
        .iter()
        .map(|f| {
            (
                f.practice.as_str(),
                f.pcn.as_ref().map(|c| c.as_str()),
                f.stream.as_str(),
                f.amount,
            )
        })
        .collect();
    assert_eq!(
        paid,
        vec![
            ("A81001", Some("U89141"), "PCN Leadership", 587_208),
            ("A81001", Some("U89141"), "PCN Support", 600_000),
            (
                "A81001",
                Some("U89141"),
                "PCN Extended Hours Access",
                576_040
            ),
            ("A81001", Some("U89141"), "PCN Workforce", 10_123_400),
            ("A81001", Some("U89141"), "PCN Care Home Premium", -12_050),
            ("A81001", Some("U89141"), "PCN Participation", 818_094),
            ("A81002", Some("U89141"), "PCN Participation", 1_780_547),
            ("A81003", None, "PCN Leadership", 120_025),
            ("Y01234", None, "PCN Participation", 352_031),
        ]
    );
    assert!(p
        .facts
        .payment_actuals
        .iter()
        .all(|f| f.financial_year == "2021-22"));
    // Members of a network from the first day of the year; no observation
    // for the rows with no network.
    let seen: Vec<(&str, &str, NaiveDate)> = p
        .facts
        .observations
        .iter()
        .map(|o| (o.practice.as_str(), o.pcn.as_str(), o.as_at))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("A81001", "U89141", d(2021, 4, 1)),
            ("A81002", "U89141", d(2021, 4, 1))
        ]
    );
}

#[test]
fn payments_2019_20_layout_and_headers_as_published() {
    let p = parse_fixture("nhspaymentsgp-19-20-prac.csv");
    assert!(
        p.notes[0].starts_with("layout 2019-20 (54 columns)"),
        "{:?}",
        p.notes
    );
    assert_eq!(p.facts.payment_actuals.len(), 2);
    assert!(p
        .facts
        .payment_actuals
        .iter()
        .all(|f| f.stream == "PCN Participation"));
    // A header broken over lines inside quotes, with a comma, still matches.
    let text = String::from_utf8(fixture("nhspaymentsgp-21-22-prac-csv.csv")).unwrap();
    let broken = text.replacen(
        "\"Total NHS Payments including PCN Workforce, Leadership and Support\"",
        "\"Total NHS Payments including PCN Workforce,\r\nLeadership and Support\"",
        1,
    );
    assert_ne!(broken, text);
    let p = parse_text("nhspaymentsgp-21-22-prac-csv.csv", &broken).unwrap();
    assert_eq!(p.facts.payment_actuals.len(), 9);
}

#[test]
fn payments_of_an_unknown_layout_are_refused_naming_the_column() {
    let text = String::from_utf8(fixture("nhspaymentsgp-21-22-prac-csv.csv")).unwrap();
    let renamed = text.replacen(",PCN Support,", ",PCN Support Payment,", 1);
    let e = err("nhspaymentsgp-21-22-prac-csv.csv", &renamed);
    assert_eq!(e.total_problems, 1, "{e}");
    let shown = e.to_string();
    assert!(
        shown.starts_with(
            "nhspaymentsgp-21-22-prac-csv.csv: row 1, column PCN Support Payment, value \"PCN Support Payment\": \
             not a column of the 2021-22 layout; the header (74 columns) is not a layout"
        ),
        "{shown}"
    );
    let dropped = text.replacen(",PCN Care Home Premium,", ",", 1);
    let e = err("nhspaymentsgp-21-22-prac-csv.csv", &dropped);
    assert!(
        e.to_string().contains("row 1, column PCN Care Home Premium, value \"PCN Care Home Premium\": missing: the 2021-22 layout has this column"),
        "{e}"
    );
}

#[test]
fn payments_without_a_year_needs_as_at() {
    let text = String::from_utf8(fixture("nhspaymentsgp-21-22-prac-csv.csv")).unwrap();
    let e = err("payments.csv", &text);
    assert!(e.to_string().contains("--as-at"), "{e}");
    let o = ImportOptions {
        as_at: Some(d(2024, 1, 1)),
        ..opts()
    };
    let p = parse_bytes("payments.csv", text.as_bytes(), &o, &mut |_| {}).unwrap();
    assert_eq!(p.facts.payment_actuals[0].financial_year, "2023-24");
    assert_eq!(p.facts.list_sizes[0].as_at, d(2024, 1, 1));
}

#[test]
fn payments_bad_cells() {
    let text = String::from_utf8(fixture("nhspaymentsgp-21-22-prac-csv.csv")).unwrap();
    let bad = text
        .replacen("4645.53", "\"4,64.53\"", 1)
        .replacen("5872.08", "£5872.08", 1)
        .replacen("A81002", "A8100", 1);
    let e = err("nhspaymentsgp-21-22-prac-csv.csv", &bad);
    assert_eq!(e.total_problems, 3, "{e}");
    let row2 = e.problems.iter().filter(|p| p.row == Some(2)).count();
    assert_eq!(row2, 2);
    assert!(e.to_string().contains(
        "row 2, column Number of Weighted Patients (Last Known Figure), value \"4,64.53\": not a number"
    ), "{e}");
    assert!(problem_on(&e, 3).contains("column Practice Code, value \"A8100\""));
    let negative = text.replacen("4645.53", "-1", 1);
    let e = err("nhspaymentsgp-21-22-prac-csv.csv", &negative);
    assert!(e.to_string().contains("must not be negative"), "{e}");
}

#[test]
fn populations_csv() {
    let p = parse_fixture_as("populations.csv", SourceKind::Populations, d(2025, 1, 1));
    let f = &p.facts.populations;
    assert_eq!(f.len(), 4);
    assert_eq!(f[1].value, dec("10234.5"));
    assert_eq!(f[2].kind, PopulationKind::Adjusted);
    assert_eq!(f[2].value, dec("40210.75"));
    assert!(matches!(&f[3].subject, PopulationSubject::Network(c) if c.as_str() == "U07032"));
}

#[test]
fn populations_bad_input() {
    let text = "practice_code,pcn_code,as_at,weighted_population,adjusted_population,notes\n";
    let e = err("pop.csv", text);
    assert!(
        e.to_string()
            .contains("column notes, value \"notes\": not a population column"),
        "{e}"
    );

    let text = "practice_code,pcn_code,as_at,weighted_population,adjusted_population\n\
        A81001,U89141,2025-01-01,1,\n\
        A81001,,2025-01-01,,5\n\
        ,U89141,2025-01-01,7,\n\
        A81002,,,1,\n\
        A81003,,2025-01-01,,\n\
        A81004,,2025-01-01,1.5,\n\
        A81004,,2025-01-01,2.5,\n\
        A81005,,2025-01-01,abc,\n";
    let e = err("pop.csv", text);
    assert_problems(
        &e,
        &[
            (2, "exactly one"),
            (
                3,
                "column adjusted_population, value \"5\": an adjusted population is a network's",
            ),
            (4, "a weighted population is a practice's"),
            (5, "column as_at"),
            (6, "no weighted_population or adjusted_population"),
            (
                8,
                "already has a weighted population as at 2025-01-01 (row 7)",
            ),
            (9, "value \"abc\": not a number"),
        ],
    );
    assert_eq!(e.total_problems, 7, "{e}");
}

#[test]
fn cqc_ods_xlsx_and_csv_agree() {
    let ods = parse_fixture("01_May_2024_HSCA_Active_Locations.ods");
    let xlsx = parse_fixture("cqc-2024-05/HSCA_Active_Locations.xlsx");
    let csv = parse_fixture("cqc-2024-05/hsca-active-locations.csv");
    for p in [&ods, &xlsx, &csv] {
        assert_eq!(p.kind, SourceKind::CqcCareHomes);
        assert_eq!(p.data_date, d(2024, 5, 1));
        assert_eq!(p.rows, 5);
        assert_eq!(
            p.skipped_rows, 2,
            "the GP surgery, and the home with no beds"
        );
        assert_note(p, |n| n.contains("1 care homes with no bed count"));
        assert_eq!(p.facts.care_homes.len(), 3);
    }
    assert_eq!(ods.facts.care_homes, xlsx.facts.care_homes);
    assert_eq!(ods.facts.care_homes, csv.facts.care_homes);
    let oak = &ods.facts.care_homes[0];
    assert_eq!(oak.location_id, "1-101234567");
    assert_eq!(oak.name, "Oak Lodge Care Home");
    assert_eq!(oak.beds, 40);
    assert_eq!(oak.ods_code.as_deref(), Some("VNX12"));
    assert_eq!(oak.postcode.as_deref(), Some("TS18 4AB"));
    assert_eq!(oak.local_authority.as_deref(), Some("Stockton-on-Tees"));
    assert!((oak.location.unwrap().lat - 54.55912).abs() < 1e-9);
    let willow = &ods.facts.care_homes[2];
    assert!(willow.dormant);
    assert_eq!(willow.location, None);
    assert_eq!(
        detect("x.ods", &fixture("01_May_2024_HSCA_Active_Locations.ods")).unwrap(),
        SourceKind::CqcCareHomes
    );
}

/// The layout CQC publishes, as LibreOffice writes it (made by
/// `scripts/cqc-ods-fixture.py`): a cover sheet first, the header padded
/// with styled empty cells to 1,024 columns, equal neighbours written once
/// with a repeat count, dates and numbers typed, a name in spans, and a
/// million trailing empty rows written as one repeated row.
#[test]
fn cqc_ods_as_libreoffice_writes_it() {
    let started = std::time::Instant::now();
    let p = parse_fixture("cqc-2024-11/01_November_2024_HSCA_Active_Locations.ods");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "the padded rows and columns must not be expanded: {:?}",
        started.elapsed()
    );
    assert_eq!(p.kind, SourceKind::CqcCareHomes);
    assert_eq!(p.data_date, d(2024, 11, 1));
    assert_eq!(p.rows, 5, "data rows only: not the cover, not the padding");
    assert_eq!(
        p.skipped_rows, 2,
        "the GP surgery, and the home with no beds"
    );
    let homes = &p.facts.care_homes;
    let ids: Vec<&str> = homes.iter().map(|h| h.location_id.as_str()).collect();
    assert_eq!(ids, ["1-101234567", "1-102345678", "1-104567890"]);
    let (oak, elm, willow) = (&homes[0], &homes[1], &homes[2]);
    assert_eq!((oak.name.as_str(), oak.beds), ("Oak Lodge Care Home", 40));
    assert_eq!(oak.ods_code.as_deref(), Some("VNX12"));
    assert_eq!(oak.postcode.as_deref(), Some("TS18 4AB"));
    assert!((oak.location.unwrap().lon - -1.33007).abs() < 1e-9);
    assert_eq!((elm.name.as_str(), elm.beds), ("Elm House", 62));
    assert_eq!(elm.ods_code, None);
    assert!(willow.dormant && !oak.dormant);
    assert_eq!(willow.location, None);
    assert_eq!(willow.local_authority.as_deref(), Some("Darlington"));
    assert!(homes.iter().all(|h| h.as_at == d(2024, 11, 1)));
}

#[test]
fn cqc_bad_input() {
    let text = String::from_utf8(fixture("cqc-2024-05/hsca-active-locations.csv")).unwrap();
    let bad = text
        .replacen(",40,", ",forty,", 1)
        .replacen("1-102345678", "1-10234X678", 1)
        .replacen("54.52,-1.29", "-1.29,54.52", 1);
    let e = err("cqc-2024-05/locations.csv", &bad);
    assert_problems(
        &e,
        &[
            (2, "column Care homes beds, value \"forty\""),
            (3, "not a CQC location id"),
            (6, "outside the UK"),
        ],
    );
    assert_eq!(e.total_problems, 3);
    let e = err("locations.csv", &text);
    assert!(
        e.to_string().contains("--as-at"),
        "no date in the path: {e}"
    );
}

#[test]
fn care_home_alignment_csv() {
    let p = parse_fixture_as(
        "care-home-alignment.csv",
        SourceKind::CareHomeAlignment,
        d(2024, 4, 1),
    );
    let a = &p.facts.care_home_alignments;
    assert_eq!(a.len(), 4);
    assert_eq!(a[1].to, Some(d(2024, 3, 31)));
    assert_eq!(a[2].pcn.as_str(), "U07032");

    let bad = "location_id,pcn_code,aligned_from,aligned_to\n\
        101234567,U89141,2020-10-01,\n\
        1-2,U,2020-10-01,\n\
        1-3,U89141,2020-10-01,2020-09-30\n\
        1-4,U89141,2020-10-01,\n\
        1-4,U89141,2020-10-01,\n";
    let e = err("align.csv", bad);
    assert_problems(
        &e,
        &[
            (
                2,
                "column location_id, value \"101234567\": not a CQC location id",
            ),
            (3, "U (Unallocated) is not a network"),
            (4, "ends before it starts"),
            (6, "already has an alignment from 2020-10-01 (row 5)"),
        ],
    );
    assert_eq!(e.total_problems, 4);
}

#[test]
fn iif_indicators_csv() {
    let p = parse_fixture_as(
        "iif-indicators-2023-24.csv",
        SourceKind::IifIndicators,
        d(2024, 3, 31),
    );
    assert_eq!(p.rows, 7);
    assert_eq!(p.skipped_rows, 1, "the suppressed value");
    let f = &p.facts.iif_achievements;
    assert_eq!(f.len(), 6);
    assert!(matches!(&f[0].organisation, IifOrganisation::Pcn(c) if c.as_str() == "U89141"));
    assert_eq!(f[0].financial_year, "2023-24");
    assert_eq!(f[0].measure, "ACC-10b baseline non-standardised numerator");
    assert_eq!(f[2].value, dec("201.5"));
    assert!(matches!(&f[3].organisation, IifOrganisation::Practice(c) if c.as_str() == "A81001"));
    assert_eq!(f[3].indicator, "NCD026");
}

#[test]
fn iif_indicators_bad_input() {
    let header = "ORGANISATION_TYPE,ORGANISATION_CODE,ORGANISATION_NAME,QUALITY_SERVICE,ACH_DATE,IND_CODE,MEASURE,VALUE\n";
    let text = format!(
        "{header}PCN,U8914,X,NCD2324,31/03/2024,NCD026,ACC-08 Numerator,1\n\
         GP practice,A81001,X,NCD2324,31/13/2024,NCD026,ACC-08 Numerator,1\n\
         GP practice,A81001,X,NCD2324,31/03/2024,NCD026,ACC-08 Numerator,1x\n\
         GP practice,A81001,X,NCD2324,31/03/2024,NCD026,ACC-08 Numerator,2\n\
         GP practice,A81001,X,NCD2324,31/03/2024,NCD026,ACC-08 Numerator,3\n\
         ICB,QHM,X,NCD2324,31/03/2024,NCD026,ACC-08 Numerator,3\n"
    );
    let e = err("iif.csv", &text);
    assert_problems(
        &e,
        &[
            (
                2,
                "column ORGANISATION_CODE, value \"U8914\": not a valid PCN code",
            ),
            (3, "column ACH_DATE, value \"31/13/2024\": not a date"),
            (4, "value \"1x\": not a number"),
            (6, "already given (row 5)"),
        ],
    );
    assert_eq!(e.total_problems, 4, "{e}");
}

#[test]
fn iif_points_csv() {
    let o = ImportOptions {
        as_at: Some(d(2024, 7, 1)),
        ..opts()
    };
    let p = parse_fixture_with("iif-points.csv", &o);
    assert_eq!(p.kind, SourceKind::IifPoints);
    let f = &p.facts.iif_points;
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].points, dec("152.5"));
    assert_eq!(f[0].recorded, d(2024, 6, 30));
    assert_eq!(f[1].recorded, d(2024, 7, 1), "blank recorded takes --as-at");
    assert_eq!(f[1].financial_year, "2023-24");
    assert_eq!(p.data_date, d(2024, 7, 1));

    let bad = "pcn_code,financial_year,points\nU89141,2023-25,1\nU89141,2023-24,-1\nU89141,2023-24,2\nU89141,2023-24,3\n";
    let e = err("points.csv", bad);
    assert_problems(
        &e,
        &[
            (2, "value \"2023-25\": not a financial year"),
            (3, "must not be negative"),
            (5, "already has points for 2023-24 (row 4)"),
        ],
    );
    assert_eq!(e.total_problems, 3);
    let e = err("points.csv", "pcn_code,financial_year,points,pointz\n");
    assert!(e.to_string().contains("not an IIF points column"), "{e}");
    // By indicator, with the prevalences of a prevalence-adjusted indicator.
    let by_indicator =
        "pcn_code,financial_year,indicator,points,pcn_prevalence,national_prevalence\n\
        U89141,2024-25,HI-03,30,0.0061,0.0055\nU89141,2024-25,CAN-04,20,,\n";
    let p = parse_bytes("points.csv", by_indicator.as_bytes(), &opts(), &mut |_| {}).unwrap();
    let f = &p.facts.iif_points;
    assert_eq!(f[0].indicator.as_deref(), Some("HI-03"));
    assert_eq!(
        (f[0].pcn_prevalence, f[0].national_prevalence),
        (Some(dec("0.0061")), Some(dec("0.0055")))
    );
    assert_eq!(
        (f[1].indicator.as_deref(), f[1].pcn_prevalence),
        (Some("CAN-04"), None)
    );
    let bad = "pcn_code,financial_year,indicator,points,pcn_prevalence,national_prevalence\n\
        U89141,2024-25,HI-03,30,0.0061,\nU89141,2024-25,CAN-04,20,0,0.1\nU89141,2024-25,CAN-04,20,,\nU89141,2024-25,CAN-04,21,,\n";
    let e = err("points.csv", bad);
    assert_problems(
        &e,
        &[
            (2, "give both"),
            (3, "above zero"),
            (5, "already has points for CAN-04 for 2024-25 (row 4)"),
        ],
    );
}

#[test]
fn funding_inputs_are_detected_by_header() {
    let kind = |name: &str| detect(name, &fixture(name)).unwrap();
    assert_eq!(
        kind("nhspaymentsgp-22-23-prac-csv.csv"),
        SourceKind::NhsPaymentsPractice
    );
    assert_eq!(kind("populations.csv"), SourceKind::Populations);
    assert_eq!(
        kind("care-home-alignment.csv"),
        SourceKind::CareHomeAlignment
    );
    assert_eq!(
        kind("iif-indicators-2023-24.csv"),
        SourceKind::IifIndicators
    );
    assert_eq!(kind("iif-points.csv"), SourceKind::IifPoints);
    assert_eq!(
        kind("cqc-2024-05/hsca-active-locations.csv"),
        SourceKind::CqcCareHomes
    );
    assert_eq!(
        kind("cqc-2024-05/HSCA_Active_Locations.xlsx"),
        SourceKind::CqcCareHomes
    );
    // The governance CSV is still the governance CSV.
    assert_eq!(kind("governance.csv"), SourceKind::Governance);
}
