//! Files built to exhaust the reader: a gzip bomb (on the whole-file path
//! and on the streamed GPAD path), a file of too many rows, and a workbook
//! over either limit. Each is refused with a whole-file problem that says
//! which limit, quickly, without reading the rest.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{fixture, opts};
use pcn_import::{parse_bytes, ImportOptions, Limits};

fn with_limits(max_decompressed: u64, max_rows: u64) -> ImportOptions {
    ImportOptions {
        limits: Limits {
            max_decompressed,
            max_rows,
        },
        ..opts()
    }
}

/// A gzip of `header` and `rows` copies of `row`, compressed as hard as gzip can.
fn gzip_bomb(header: &str, row: &str, rows: usize) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(header.as_bytes()).unwrap();
    let block = row.repeat(4096);
    for _ in 0..rows / 4096 {
        gz.write_all(block.as_bytes()).unwrap();
    }
    gz.finish().unwrap()
}

fn only_problem(result: Result<pcn_import::ParsedFile, pcn_import::ImportError>) -> String {
    let err = result.expect_err("the file must be refused");
    err.problems[0].message.clone()
}

#[test]
fn a_gzip_bomb_is_refused_at_the_decompressed_cap() {
    // 8 million governance rows: about 210 MB of text in a gzip of about 200 KB.
    let bomb = gzip_bomb(
        "pcn_code,effective_from,clinical_director\n",
        "U90009,2026-07-01,Dr Bomb\n",
        8 << 20,
    );
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let started = Instant::now();
    let message = only_problem(parse_bytes(
        "bomb.csv.gz",
        &bomb,
        &with_limits(16 << 20, u64::MAX),
        &mut |_| {},
    ));
    assert!(message.contains("expands to more than 16 MB"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_streamed_gzip_bomb_is_refused_at_the_decompressed_cap() {
    // The GPAD sub-ICB daily layout is read as a stream: the cap holds there too.
    let header = "SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_ONS_CODE,SUB_ICB_LOCATION_NAME,ICB_ONS_CODE,REGION_ONS_CODE,Appointment_Date,APPT_STATUS,HCP_TYPE,APPT_MODE,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS\n";
    let row = "03R,E38000190,NHS West Yorkshire ICB - 03R,E54000054,E40000012,02OCT2023,Attended,GP,Face-to-Face,Same Day,100\n";
    let bomb = gzip_bomb(header, row, 2 << 20);
    let started = Instant::now();
    let err = parse_bytes(
        "SUB_ICB_LOCATION_CSV_Oct23.csv.gz",
        &bomb,
        &with_limits(8 << 20, u64::MAX),
        &mut |_| {},
    )
    .expect_err("refused");
    let text = err.to_string();
    assert!(text.contains("expands to more than 8 MB"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // And the row cap, under the size cap.
    let err = parse_bytes(
        "SUB_ICB_LOCATION_CSV_Oct23.csv.gz",
        &gzip_bomb(header, row, 8192),
        &with_limits(1 << 30, 5_000),
        &mut |_| {},
    )
    .expect_err("refused");
    assert!(
        err.to_string().contains("more than 5,000 data rows"),
        "{err}"
    );
}

#[test]
fn a_file_of_too_many_rows_is_refused_at_the_row_cap() {
    let text = format!(
        "pcn_code,effective_from,clinical_director\n{}",
        (0..1_001)
            .map(|i| format!("U9{:04},2026-07-01,Dr {i}\n", i % 10_000))
            .collect::<String>()
    );
    let err = parse_bytes(
        "governance.csv",
        text.as_bytes(),
        &with_limits(u64::MAX, 1_000),
        &mut |_| {},
    )
    .expect_err("refused");
    // The limit is the first problem, whatever else the rows read held.
    assert!(
        err.problems[0]
            .message
            .contains("more than 1,000 data rows"),
        "{err}"
    );
    // At the limit exactly, the file is read.
    let at_limit = format!(
        "pcn_code,effective_from,clinical_director\n{}",
        (0..1_000)
            .map(|i| format!("U9{i:04},2026-07-01,Dr {i}\n"))
            .collect::<String>()
    );
    let parsed = parse_bytes(
        "governance.csv",
        at_limit.as_bytes(),
        &with_limits(u64::MAX, 1_000),
        &mut |_| {},
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.rows, 1_000);
}

#[test]
fn a_workbook_over_either_limit_is_refused_before_it_is_read() {
    let bytes = fixture("epcn-fixture.xlsx");
    // Its parts, as the zip directory declares them, exceed 1 KB.
    let message = only_problem(parse_bytes(
        "ePCN.xlsx",
        &bytes,
        &with_limits(1 << 10, u64::MAX),
        &mut |_| {},
    ));
    assert!(
        message.contains("workbook expands to more than"),
        "{message}"
    );
    // A sheet of more rows than allowed.
    let message = only_problem(parse_bytes(
        "ePCN.xlsx",
        &bytes,
        &with_limits(u64::MAX, 2),
        &mut |_| {},
    ));
    assert!(message.contains("more than 2 data rows"), "{message}");
    // The default limits read it.
    parse_bytes("ePCN.xlsx", &bytes, &opts(), &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn upload_limits_scale_with_the_upload_size() {
    let limits = Limits::for_upload(64 << 20);
    assert_eq!(limits.max_decompressed, 512 << 20);
    assert_eq!(limits.max_rows, 3_200_000);
    assert_eq!(Limits::for_upload(10).max_rows, 50_000);
}
