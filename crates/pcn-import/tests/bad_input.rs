//! One test per class of bad input; each checks that the error names the
//! file, the row, the column and the value.

mod common;

use common::*;
use pcn_import::{detect, parse_bytes, ImportError};

const MAP_HEADER: &str = "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,ONS_SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ONS_ICB_CODE,ICB_CODE,ICB_NAME,ONS_COMM_REGION_CODE,COMM_REGION_CODE,COMM_REGION_NAME,SUPPLIER_NAME";

fn map_row(practice: &str, pcn: &str, date: &str) -> String {
    format!("GP_PRAC_PAT_LIST,{date},{practice},A SURGERY,TS18 1HU,{pcn},A PCN,E38000247,16C,SUB ICB,E54000050,QHM,ICB,E40000012,Y63,REGION,TPP")
}

#[test]
fn misshapen_code() {
    let text = format!(
        "{MAP_HEADER}\n{}\n{}\n",
        map_row("A81001", "U89141", "01Jul2026"),
        map_row("X1", "U89141", "01Jul2026")
    );
    let e = err("map.csv", &text);
    assert_eq!(e.total_problems, 1);
    let line = problem_on(&e, 3);
    assert!(
        line.starts_with(
            "map.csv: row 3, column PRACTICE_CODE, value \"X1\": not a valid practice code"
        ),
        "{line}"
    );
    assert_eq!(e.to_string(), line);
}

#[test]
fn all_bad_rows_are_reported_not_just_the_first() {
    let mut text = format!("{MAP_HEADER}\n");
    for i in 0..60 {
        text.push_str(&map_row(&format!("BAD{i}"), "U89141", "01Jul2026"));
        text.push('\n');
    }
    text.push_str(&map_row("A81001", "P1", "01Jul2026"));
    let e = err("map.csv", &text);
    assert_eq!(e.total_problems, 61);
    let shown = e.to_string();
    assert_eq!(shown.lines().count(), 51);
    assert!(
        shown.ends_with("map.csv: ... and 11 more problems"),
        "{shown}"
    );
    let pcn = problem_on(&e, 62);
    assert!(
        pcn.contains("column PCN_CODE, value \"P1\": not a valid PCN code"),
        "{pcn}"
    );
}

#[test]
fn bad_date() {
    let good = String::from_utf8(fixture("epraccur-fixture.csv")).unwrap();
    let bad = good.replacen("\"19740401\"", "\"19741301\"", 1);
    let e = err("epraccur-fixture.csv", &bad);
    let line = problem_on(&e, 1);
    assert!(
        line.starts_with(
            "epraccur-fixture.csv: row 1, column column 11 (Open Date), value \"19741301\": not a date"
        ),
        "{line}"
    );
}

#[test]
fn extract_date_must_be_one_date() {
    let text = format!(
        "{MAP_HEADER}\n{}\n{}\n",
        map_row("A81001", "U89141", "01Jul2026"),
        map_row("A81002", "U89141", "01Jun2026")
    );
    let line = problem_on(&err("map.csv", &text), 3);
    assert!(line.contains("row 3, column EXTRACT_DATE, value \"01Jun2026\": differs from the extract date 01Jul2026"), "{line}");
    let text = format!(
        "{MAP_HEADER}\n{}\n",
        map_row("A81001", "U89141", "31Jun2026")
    );
    let line = problem_on(&err("map.csv", &text), 2);
    assert!(
        line.contains("column EXTRACT_DATE, value \"31Jun2026\": not a date"),
        "{line}"
    );
}

const QUIN_HEADER: &str = "PUBLICATION,EXTRACT_DATE,ORG_TYPE,ORG_CODE,ONS_CODE,POSTCODE,SEX,AGE_GROUP_5,NUMBER_OF_PATIENTS";

#[test]
fn negative_or_non_numeric_count() {
    for bad in ["-5", "abc", "1.5", "", "1e3", "99999999999999999999999"] {
        let text = format!(
            "{QUIN_HEADER}\nGP_PRAC_PAT_LIST,2026-07-01,GP,A81001,,TS18 1HU,ALL,ALL,{bad}\n"
        );
        let e = err("quin.csv", &text);
        let line = problem_on(&e, 2);
        assert!(
            line.starts_with(&format!(
                "quin.csv: row 2, column NUMBER_OF_PATIENTS, value {bad:?}: not a count"
            )),
            "{line}"
        );
    }
}

#[test]
fn bands_must_add_up_and_each_sex_present() {
    let good = fixture("gp-reg-pat-prac-quin-age.csv.gz");
    let mut text = String::new();
    use std::io::Read;
    flate2::read::GzDecoder::new(&good[..])
        .read_to_string(&mut text)
        .unwrap();
    let bad = text.replacen(",FEMALE,0_4,10", ",FEMALE,0_4,11", 1);
    let e = err("quin.csv", &bad);
    assert_eq!(e.total_problems, 1, "{e}");
    let p = &e.problems[0];
    assert_eq!(p.column.as_deref(), Some("ORG_CODE"));
    assert_eq!(p.value.as_deref(), Some("A81001"));
    assert!(
        p.message
            .contains("FEMALE add up to 391 but the total is 390"),
        "{e}"
    );
    assert!(p.row.is_some());

    let no_male: String = text
        .lines()
        .filter(|l| !(l.contains("A81002") && l.contains("MALE") && !l.contains("FEMALE")))
        .map(|l| format!("{l}\n"))
        .collect();
    let e = err("quin.csv", &no_male);
    assert!(
        e.to_string()
            .contains("value \"A81002\": no rows for sex MALE"),
        "{e}"
    );
}

#[test]
fn duplicate_rows() {
    // ePCN partners: the same practice, network and start twice.
    let good = String::from_utf8(fixture("epcncorepartnerdetails.csv")).unwrap();
    let first = good.lines().next().unwrap();
    let dup = format!("{good}{first}\n");
    let e = err("epcncorepartnerdetails.csv", &dup);
    let line = problem_on(&e, 4);
    assert!(
        line.starts_with("epcncorepartnerdetails.csv: row 4, column Partner Organisation Code, value \"A81001\": repeats the relationship with U89141 starting 2019-10-01 (first on row 1)"),
        "{line}"
    );
    // Registration map: a practice twice.
    let text = format!(
        "{MAP_HEADER}\n{}\n{}\n",
        map_row("A81001", "U89141", "01Jul2026"),
        map_row("A81001", "U89141", "01Jul2026")
    );
    let line = problem_on(&err("map.csv", &text), 3);
    assert!(
        line.contains(
            "row 3, column PRACTICE_CODE, value \"A81001\": practice listed twice (first on row 2)"
        ),
        "{line}"
    );
    // Quinary: a band twice.
    let text = format!("{QUIN_HEADER}\nGP_PRAC_PAT_LIST,2026-07-01,GP,A81001,,,FEMALE,0_4,1\nGP_PRAC_PAT_LIST,2026-07-01,GP,A81001,,,FEMALE,0_4,1\n");
    let line = problem_on(&err("quin.csv", &text), 3);
    assert!(line.contains("row 3, column AGE_GROUP_5, value \"0_4\": repeats an earlier row for practice A81001 sex FEMALE"), "{line}");
}

#[test]
fn wrong_column_count_and_truncated_file() {
    let text = format!(
        "{MAP_HEADER}\n{}\nGP_PRAC_PAT_LIST,01Jul2026,A81002,A SUR",
        map_row("A81001", "U89141", "01Jul2026")
    );
    let e = err("map.csv", &text);
    let line = problem_on(&e, 3);
    assert!(
        line.starts_with("map.csv: row 3: has 4 fields but 17 are expected"),
        "{line}"
    );
    // A truncated compressed file, and a truncated workbook.
    for (file, name, expected) in [
        (
            "gp-reg-pat-prac-quin-age.csv.gz",
            "quin.csv.gz",
            "quin.csv.gz: the gzip data is damaged or truncated",
        ),
        (
            "epcn-fixture.xlsx",
            "epcn-fixture.xlsx",
            "epcn-fixture.xlsx: not a readable Excel (.xlsx) workbook",
        ),
    ] {
        let bytes = fixture(file);
        let e = parse_bytes(name, &bytes[..bytes.len() / 2], &opts(), &mut |_| {}).unwrap_err();
        assert!(e.to_string().starts_with(expected), "{name}: {e}");
    }
}

#[test]
fn missing_required_column() {
    let header = MAP_HEADER.replace("EXTRACT_DATE,", "");
    let row = map_row("A81001", "U89141", "01Jul2026").replace(",01Jul2026", "");
    let e = err("map.csv", &format!("{header}\n{row}\n"));
    let s = e.to_string();
    assert!(s.starts_with("map.csv: required column EXTRACT_DATE is missing; the header found is: PUBLICATION, PRACTICE_CODE"), "{s}");
}

#[test]
fn wrong_kind() {
    // The CQC care directory (no beds), which pcn does not read.
    let directory = "Name,Also known as,Address,Postcode,Phone number,Service's website (if available),Service types\nOak Lodge,,1 Road,TS18 4AB,0,,Care home\n";
    let e = detect("directory.csv", directory.as_bytes()).unwrap_err();
    let s = e.to_string();
    assert!(
        s.starts_with(
            "directory.csv: not a file pcn knows: its first line is \"Name,Also known as"
        ),
        "{s}"
    );
    assert!(s.contains("GPAD Mapping.csv"), "{s}");
    let e = parse_text("empty.csv", "\n\n").unwrap_err();
    assert!(
        e.to_string().contains("empty.csv: the file is empty"),
        "{e}"
    );
}

/// The NHS website fixture (Windows-1252) with `from` replaced by `to`,
/// read: it must fail.
fn nhs_website_with(good: &[u8], from: &str, to: &str) -> ImportError {
    let text = encoding_rs::WINDOWS_1252.decode(good).0.replace(from, to);
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    parse_bytes(
        "gp-2019-05/nhs-website-gp-fixture.csv",
        &bytes,
        &opts(),
        &mut |_| {},
    )
    .unwrap_err()
}

#[test]
fn nhs_website_bad_coordinates() {
    let good = fixture("gp-2019-05/nhs-website-gp-fixture.csv");
    let e = nhs_website_with(&good, "54.561626434326172", "north");
    let line = problem_on(&e, 2);
    assert_eq!(
        line,
        "gp-2019-05/nhs-website-gp-fixture.csv: row 2, column Latitude, value \"north\": not a latitude in degrees"
    );
    let e = nhs_website_with(
        &good,
        "54.561626434326172¬-1.3189703226089478",
        "-1.31¬54.56",
    );
    assert!(
        problem_on(&e, 2).contains(
            "column Latitude/Longitude, value \"-1.31, 54.56\": coordinates outside the UK"
        ),
        "{e}"
    );
}

#[test]
fn governance_problems() {
    let e = err("gov.csv", "pcn_code,clinical_directr\nU89141,Dr X\n");
    assert!(e.to_string().starts_with("gov.csv: row 1, column clinical_directr, value \"clinical_directr\": not a governance column"), "{e}");
    let e = err(
        "gov.csv",
        "pcn_code,nominated_payee,size_exception\nU,A81001,\nU89141,A8100,huge\n",
    );
    assert_eq!(e.total_problems, 3, "{e}");
    assert!(
        problem_on(&e, 2)
            .contains("column pcn_code, value \"U\": U (Unallocated) is not a network"),
        "{e}"
    );
    let s = e.to_string();
    assert_says(
        &s,
        &[
            "row 3, column nominated_payee, value \"A8100\"",
            "row 3, column size_exception, value \"huge\"",
        ],
    );
    let e = err(
        "gov.csv",
        "pcn_code,effective_from,clinical_director\nU89141,2025-04-01,A\nU89141,20250401,B\n",
    );
    assert!(problem_on(&e, 3).contains("column clinical_director, value \"B\": U89141 already has a clinical_director effective from 2025-04-01 (row 2)"), "{e}");
}

#[test]
fn epcn_partner_problems() {
    let good = String::from_utf8(fixture("epcncorepartnerdetails.csv")).unwrap();
    let bad =
        good.replacen("\"A81001\"", "\"A8-001\"", 1)
            .replacen("\"20230401\"", "\"2023-02-30\"", 1);
    let e = err("epcncorepartnerdetails.csv", &bad);
    assert_eq!(e.total_problems, 2, "{e}");
    assert_problems(
        &e,
        &[
            (
                1,
                "column Partner Organisation Code, value \"A8-001\": not a valid practice code",
            ),
            (
                3,
                "column Practice to PCN Relationship Start Date, value \"2023-02-30\": not a date",
            ),
        ],
    );
}
