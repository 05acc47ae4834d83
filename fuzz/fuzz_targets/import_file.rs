//! Any bytes, under any of a few file names, through `pcn_import::parse_bytes`:
//! the importers' one entry point, which recognises the format by header
//! (and sheet names), so the fuzzer reaches every reader, the decoding
//! layer (gzip, xlsx, ods, encodings, `¬` delimiters) and the streamed GPAD
//! path. The first byte chooses the file name, because names carry data
//! dates (`Aug_25`, `2019-05`) and the GPAD practice-level name. A reader
//! must return facts or problems: a panic, a hang or unbounded memory is a
//! bug (the limits below bound what a file may expand to).
#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 6] = [
    "upload.csv",
    "Aug_25/Mapping.csv",
    "gp-2019-05/GP.csv",
    "Practice_Level_Crosstab_Sep_25/Practice_Level_Crosstab_Sep_25.csv",
    "2024-01/pcn_data.csv.gz",
    "01_May_2024_HSCA_Active_Locations.ods",
];

fuzz_target!(|data: &[u8]| {
    let Some((first, bytes)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(*first) % NAMES.len()];
    let options = pcn_import::ImportOptions {
        as_at: None,
        today: chrono::NaiveDate::from_ymd_opt(2026, 8, 1).unwrap(),
        limits: pcn_import::Limits {
            max_decompressed: 16 << 20,
            max_rows: 200_000,
        },
    };
    let _ = pcn_import::parse_bytes(name, bytes, &options, &mut |_| {});
});
