//! Readers for the official NHS files pcn imports, and for pcn's own
//! governance, population, care-home alignment and IIF points CSVs.
//!
//! Each reader turns one file into a [`FactBatch`] of dated facts
//! (`pcn_core::facts`). A file is either read whole or refused with an
//! [`ImportError`] listing *every* bad row (row, column, value, why), so a
//! user can fix a file in one pass. Nothing here panics on any input: cells
//! are read with `get`, counts with saturating arithmetic, and the xlsx
//! parser is contained.
//!
//! | kind | file | module |
//! |---|---|---|
//! | `epcn-workbook`, `epcn-details`, `epcn-partners` | ODS `ePCN.xlsx`; ODS CSV reports `epcn`, `epcncorepartnerdetails` | [`epcn`] |
//! | `epraccur` | ODS `epraccur.csv` (no header) | [`epraccur`] |
//! | `registration-map`, `-quinary-age`, `-single-age`, `-totals` | Patients Registered at a GP Practice | [`registration`] |
//! | `gpad-mapping` | GPAD `Mapping.csv` | [`gpad`] |
//! | `nhs-website-gp` | NHS website `GP.csv` | [`nhs_website`] |
//! | `governance` | pcn's governance CSV | [`governance`] |
//! | `nhs-payments-practice` | NHS Payments to General Practice, practice-level CSV | [`payments`] |
//! | `populations` | pcn's population CSV (weighted, adjusted) | [`populations`] |
//! | `pcn-adjusted-populations` | NHS England's PCN adjusted populations by practice | [`adjusted_populations`] |
//! | `cqc-care-homes` | CQC HSCA Active Locations (.ods, .xlsx, CSV) | [`cqc`] |
//! | `care-home-alignment` | pcn's care-home alignment CSV | [`care_home_alignment`] |
//! | `iif-indicators`, `iif-points` | NHS England Digital IIF indicators; pcn's IIF points CSV | [`iif`] |
//! | `pcn-workforce` | NHS England Digital PCN Workforce, individual-level CSV | [`workforce`] |
//! | `gpad-practice-appointments`, `gpad-sub-icb-monthly`, `gpad-sub-icb-daily`, `gpad-pcn-appointments` | GPAD counts: practice crosstab, Regional CSV, daily files, PCN-level file (streamed) | [`gpad_appointments`] |
//! | `gpad-national-summary`, `gpad-national-monthly` | GPAD summary workbook Table 1 (or as CSV); a national monthly CSV | [`gpad_national`] |
//! | `care-home-rounds`, `care-plans` | pcn's care home rounds and care plans CSVs | [`care_home_delivery`] |
//! | `access-sessions-planned`, `-delivered` | pcn's enhanced access session CSVs | [`access_sessions`] |
//! | `remittances` | a network's remittance CSV (`pcn_code, month, stream, amount`) | [`remittance`] |
//!
//! A remittance CSV names rulebook streams and networks, which a reader
//! cannot know: the caller checks them with [`remittance::check`] before
//! writing (`pcn-app` does).
//!
//! Decoding (gzip, xlsx, BOM, Windows-1252, `¬`, header matching) is shared:
//! see [`decode`]. [`detect`] picks the reader from the header alone (the
//! registration age files also look at the `AGE` column; see
//! [`registration`]). The only I/O is [`read_path`].

use std::io::Read;
use std::path::Path;

use chrono::NaiveDate;
use pcn_core::{FactBatch, SourceKind};
use sha2::{Digest, Sha256};

pub mod access_sessions;
pub mod adjusted_populations;
pub mod care_home_alignment;
pub mod care_home_delivery;
pub mod cqc;
mod ctx;
pub mod decode;
pub mod epcn;
pub mod epraccur;
mod error;
pub mod governance;
pub mod gpad;
pub mod gpad_appointments;
pub mod gpad_national;
pub mod iif;
pub mod nhs_website;
mod pathdate;
pub mod payments;
pub mod populations;
pub mod registration;
pub mod remittance;
mod stream;
pub mod workforce;

pub use error::{ImportError, Problem, KEPT_PROBLEMS, SHOWN_PROBLEMS};

/// The national registry files, as published, by their paths in the shared
/// data folder: what the README imports, `pcn bench` times and the real-data
/// tests read.
pub const NATIONAL_FILES: [&str; 6] = [
    "ods-epcn-2024-10/ePCN.xlsx",
    "ods-epraccur-2025-11/epraccur.csv",
    "nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-map.csv",
    "nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-quin-age.csv.gz",
    "nhsd-gpad-mapping-2025-08/Mapping.csv",
    "nhsuk-gp-locations-2019-05/GP.csv",
];

use ctx::Ctx;
use decode::{Decoded, Table};

/// How much one file may make a reader do, so a small upload cannot take
/// the memory and time of the server: a gzip or workbook that expands past
/// `max_decompressed` bytes, or a file of more than `max_rows` data rows, is
/// refused with a whole-file problem as soon as the reader gets there. (The
/// list of problems is capped too: see [`KEPT_PROBLEMS`].)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes a file may decompress to (gzip; the parts of an xlsx
    /// or ods workbook, as its zip directory declares them).
    pub max_decompressed: u64,
    /// The most data rows (records) a file, or a workbook's sheet, may hold.
    pub max_rows: u64,
}

impl Default for Limits {
    /// For the command line: 2 GiB decompressed and 20 million rows, far
    /// above the national files (a GPAD practice-level month is 1.5
    /// million rows and 270 MB).
    fn default() -> Limits {
        Limits {
            max_decompressed: decode::MAX_DECOMPRESSED,
            max_rows: 20_000_000,
        }
    }
}

impl Limits {
    /// For uploads of at most `max_upload` bytes: 8 times that
    /// decompressed, and 50,000 rows per megabyte uploaded (a national
    /// registration or GPAD file compresses 5 to 15 times and runs to about
    /// 6,000 rows per megabyte of text).
    pub fn for_upload(max_upload: u64) -> Limits {
        Limits {
            max_decompressed: max_upload.saturating_mul(8),
            max_rows: (max_upload >> 20).max(1).saturating_mul(50_000),
        }
    }
}

/// How to read a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// The date a file's data describes when the file itself has none
    /// (GPAD `Mapping.csv`, `GP.csv`, the governance CSV's default
    /// `effective_from`). Overrides inference from the path or from the
    /// dates in the file (ePCN, epraccur). Files with their own extract date
    /// (the registration files) keep it and note any disagreement.
    pub as_at: Option<NaiveDate>,
    /// Today, for the governance CSV's last-resort `effective_from`.
    pub today: NaiveDate,
    /// How far a file may expand and how many rows it may hold.
    pub limits: Limits,
}

/// A file read whole.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFile {
    pub kind: SourceKind,
    /// The date the file's data describes.
    pub data_date: NaiveDate,
    /// Data rows read (header and blank lines not counted).
    pub rows: u64,
    /// Data rows deliberately not imported (other organisation types, other
    /// prescribing settings, branch sites, …); `notes` say which.
    pub skipped_rows: u64,
    pub facts: FactBatch,
    /// SHA-256 of the raw file bytes as given (before decompression), in hex.
    pub sha256: String,
    /// Human-readable remarks, such as where the date came from.
    pub notes: Vec<String>,
}

/// Reads a file and parses it with [`parse_bytes`]. This is the only I/O in the crate.
pub fn read_path(
    path: &Path,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<ParsedFile, ImportError> {
    let name = path.display().to_string();
    let cannot =
        |e: std::io::Error| ImportError::whole_file(&name, format!("cannot read the file: {e}"));
    // GPAD count files can be hundreds of megabytes: look at the first
    // bytes, and stream the file when it is one.
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(SNIFF_BYTES).read_to_end(&mut head))
        .map_err(cannot)?;
    if let Some(kind) = streamed_kind(&name, &head) {
        let file = std::fs::File::open(path).map_err(cannot)?;
        return parse_stream(&name, kind, file, is_gzip(&head), opts, progress);
    }
    let bytes = std::fs::read(path).map_err(cannot)?;
    parse_bytes(&name, &bytes, opts, progress)
}

/// How much of a file is read to decide whether to stream it.
const SNIFF_BYTES: u64 = 64 * 1024;

fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// The kind of a file read as a stream (the GPAD count files), judged from
/// its first line.
fn streamed_kind(file_name: &str, head: &[u8]) -> Option<SourceKind> {
    let mut inflated = Vec::new();
    let text = if is_gzip(head) {
        // A prefix of a gzip stream inflates to a prefix of the text; the
        // error at its cut end does not matter.
        let _ = flate2::read::MultiGzDecoder::new(head)
            .take(SNIFF_BYTES)
            .read_to_end(&mut inflated);
        &inflated[..]
    } else {
        head
    };
    let mut records = stream::Records::new(text);
    records.next_record()?;
    let fields = records.texts();
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    kind_of_header(file_name, "", &fields).filter(|k| is_streamed(*k))
}

fn is_streamed(kind: SourceKind) -> bool {
    matches!(
        kind,
        SourceKind::GpadPracticeAppointments
            | SourceKind::GpadSubIcbMonthly
            | SourceKind::GpadSubIcbDaily
            | SourceKind::GpadPcnAppointments
    )
}

/// Reads a streamed file from its raw bytes.
fn parse_stream<R: Read>(
    file_name: &str,
    kind: SourceKind,
    raw: R,
    gzip: bool,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<ParsedFile, ImportError> {
    let source = stream::Source::new(raw, gzip, opts.limits.max_decompressed);
    let mut records = stream::Records::new(source).with_max_records(opts.limits.max_rows);
    let mut ctx = Ctx::new(file_name, opts, progress);
    let (facts, date) = gpad_appointments::read(&mut ctx, kind, &mut records);
    ctx.final_progress();
    let sha256 = match records.into_inner().finish() {
        Ok(hash) => hash,
        Err(e) => {
            ctx.problems
                .whole_file(format!("cannot read the file: {e}"));
            String::new()
        }
    };
    finish(ctx, kind, facts, date, sha256)
}

/// Parses a file's bytes. `file_name` is the path as the user gave it: it
/// names the file in messages and may supply the data date (see
/// [`ImportOptions::as_at`]).
pub fn parse_bytes(
    file_name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<ParsedFile, ImportError> {
    if let Some(kind) = streamed_kind(file_name, bytes) {
        return parse_stream(file_name, kind, bytes, is_gzip(bytes), opts, progress);
    }
    let sha256 = hex::encode(Sha256::digest(bytes));
    let decoded = decode::decode(file_name, bytes, &opts.limits)?;
    let kind = detect_decoded(file_name, &decoded)?;
    let mut ctx = Ctx::new(file_name, opts, progress);
    let (facts, date) = match &decoded {
        Decoded::Workbook(sheets) => match kind {
            SourceKind::CqcCareHomes => cqc::read_workbook(&mut ctx, sheets),
            SourceKind::GpadNationalSummary => gpad_national::read_workbook(&mut ctx, sheets),
            _ => epcn::read_workbook(&mut ctx, sheets, kind),
        },
        Decoded::Text(text) => {
            let table = match kind {
                SourceKind::Epraccur => Table::from_text(text, Some(epraccur::column_names())),
                SourceKind::EpcnPartners if !has_header(text) => {
                    Table::from_text(text, Some(epcn::partner_report_columns()))
                }
                _ => Table::from_text(text, None),
            }
            .with_max_rows(opts.limits.max_rows);
            let read = match kind {
                SourceKind::EpcnDetails => epcn::read_details_csv(&mut ctx, &table),
                SourceKind::EpcnPartners => epcn::read_partners_csv(&mut ctx, &table),
                SourceKind::Epraccur => epraccur::read(&mut ctx, &table),
                SourceKind::RegistrationMap => registration::read_map(&mut ctx, &table),
                SourceKind::RegistrationQuinaryAge => registration::read_quinary(&mut ctx, &table),
                SourceKind::RegistrationSingleAge => {
                    registration::read_single_age(&mut ctx, &table)
                }
                SourceKind::RegistrationTotals => registration::read_totals(&mut ctx, &table),
                SourceKind::GpadMapping => gpad::read(&mut ctx, &table),
                SourceKind::NhsWebsiteGp => nhs_website::read(&mut ctx, &table),
                SourceKind::Governance => governance::read(&mut ctx, &table),
                SourceKind::NhsPaymentsPractice => payments::read(&mut ctx, &table),
                SourceKind::Populations => populations::read(&mut ctx, &table),
                SourceKind::CqcCareHomes => cqc::read(&mut ctx, &table),
                SourceKind::CareHomeAlignment => care_home_alignment::read(&mut ctx, &table),
                SourceKind::IifIndicators => iif::read_indicators(&mut ctx, &table),
                SourceKind::IifPoints => iif::read_points(&mut ctx, &table),
                SourceKind::PcnWorkforce => workforce::read(&mut ctx, &table),
                SourceKind::GpadNationalSummary => {
                    gpad_national::read_summary_csv(&mut ctx, &table)
                }
                SourceKind::GpadNationalMonthly => {
                    gpad_national::read_monthly_csv(&mut ctx, &table)
                }
                SourceKind::GpadPracticeAppointments
                | SourceKind::GpadSubIcbMonthly
                | SourceKind::GpadSubIcbDaily
                | SourceKind::GpadPcnAppointments => gpad_appointments::read(
                    &mut ctx,
                    kind,
                    &mut stream::Records::new(text.as_bytes())
                        .with_max_records(opts.limits.max_rows),
                ),
                SourceKind::CareHomeRounds => care_home_delivery::read_rounds(&mut ctx, &table),
                SourceKind::CarePlans => care_home_delivery::read_plans(&mut ctx, &table),
                SourceKind::AccessSessionsPlanned => {
                    access_sessions::read_planned(&mut ctx, &table)
                }
                SourceKind::AccessSessionsDelivered => {
                    access_sessions::read_delivered(&mut ctx, &table)
                }
                SourceKind::PcnAdjustedPopulations => adjusted_populations::read(&mut ctx, &table),
                SourceKind::Remittances => remittance::read(&mut ctx, &table),
                SourceKind::EpcnWorkbook | SourceKind::Manual | SourceKind::Demo => {
                    (FactBatch::default(), None)
                }
            };
            if table.overflowed() {
                ctx.problems
                    .whole_file_first(too_many_rows(opts.limits.max_rows));
            }
            read
        }
    };
    ctx.final_progress();
    finish(ctx, kind, facts, date, sha256)
}

/// The problem of a file with more rows than the limit.
pub(crate) fn too_many_rows(max_rows: u64) -> String {
    format!(
        "the file has more than {} data rows, the most pcn reads from one file here; nothing was read",
        pcn_core::text::thousands(max_rows)
    )
}

/// A file read: its facts, or every problem found.
fn finish(
    mut ctx: Ctx,
    kind: SourceKind,
    facts: FactBatch,
    date: Option<NaiveDate>,
    sha256: String,
) -> Result<ParsedFile, ImportError> {
    let data_date = match date {
        Some(d) => d,
        None => {
            if ctx.problems.is_empty() {
                ctx.problems
                    .whole_file("the file has no data rows to take a date from; give --as-at");
            }
            return Err(ctx.problems.into_error());
        }
    };
    let Ctx {
        problems,
        notes,
        rows,
        skipped,
        ..
    } = ctx;
    problems.finish(ParsedFile {
        kind,
        data_date,
        rows,
        skipped_rows: skipped,
        facts,
        sha256,
        notes,
    })
}

/// Which kind of file this is, judged from its header (and, for a workbook,
/// its sheet names).
pub fn detect(file_name: &str, bytes: &[u8]) -> Result<SourceKind, ImportError> {
    let decoded = decode::decode(file_name, bytes, &Limits::default())?;
    detect_decoded(file_name, &decoded)
}

/// What pcn reads, for the "unknown file" message.
const KNOWN: &str = "ODS ePCN.xlsx (sheets PCNDetails, PCN Core Partner Details) or its CSV \
reports epcn / epcncorepartnerdetails; ODS epraccur.csv (no header, 27 columns); Patients \
Registered at a GP Practice gp-reg-pat-prac-map.csv, -quin-age.csv, -sing-age-*.csv, -all.csv; \
GPAD Mapping.csv; NHS website GP.csv; NHS Payments to General Practice (practice-level CSV); \
NHS England PCN adjusted populations by practice; \
CQC HSCA Active Locations (.ods, .xlsx or CSV); NHS England Digital IIF indicators CSV; PCN \
Workforce individual-level CSV; GPAD Practice_Level_Crosstab, Regional CSV, daily \
sub-ICB or CCG CSV, PCN-level CSV, summary workbook (Table 1) or national monthly CSV; pcn's \
governance CSV (header pcn_code, ...), population CSV (practice_code or pcn_code, as_at, \
weighted_population, adjusted_population), care-home alignment CSV (location_id, pcn_code, \
aligned_from), IIF points CSV (pcn_code, financial_year, points), care home rounds (date, \
location_id, post_id, residents_reviewed), care plans (resident, location_id, admission_date, \
plan_date), enhanced access sessions (pcn_code, site, day or date, start, end, post_id, \
appointments_offered, mode) and remittances (pcn_code, month, stream, amount)";

fn detect_decoded(file_name: &str, decoded: &Decoded) -> Result<SourceKind, ImportError> {
    match decoded {
        Decoded::Workbook(sheets) => {
            epcn::detect_workbook(sheets)
                .or_else(|| cqc::find_sheet(sheets).map(|_| SourceKind::CqcCareHomes))
                .or_else(|| gpad_national::detect_workbook(sheets))
                .ok_or_else(|| {
                    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
                    ImportError::whole_file(
                file_name,
                format!("a workbook with sheets {names:?} is not one pcn knows; it reads {KNOWN}"),
            )
                })
        }
        Decoded::Text(text) => {
            let Some(first) = decode::first_record(text) else {
                return Err(ImportError::whole_file(
                    file_name,
                    "the file is empty (no header and no rows)",
                ));
            };
            let fields: Vec<&str> = first.iter().collect();
            if let Some(kind) = kind_of_header(file_name, text, &fields) {
                return Ok(kind);
            }
            if epraccur::looks_like(&fields) {
                return Ok(SourceKind::Epraccur);
            }
            if epcn::looks_like_partner_report(&fields) {
                return Ok(SourceKind::EpcnPartners);
            }
            let mut shown: String = fields.join(",").chars().take(300).collect();
            if shown.len() < fields.join(",").len() {
                shown.push('…');
            }
            Err(ImportError::whole_file(
                file_name,
                format!(
                    "not a file pcn knows: its first line is {shown:?} ({} fields); pcn reads {KNOWN}",
                    fields.len()
                ),
            ))
        }
    }
}

/// The kind a header names, if any.
fn kind_of_header(file_name: &str, text: &str, fields: &[&str]) -> Option<SourceKind> {
    let norm: Vec<String> = fields.iter().map(|f| decode::normalise(f)).collect();
    let has = |name: &str| norm.iter().any(|h| h == name);
    // GPAD counts first: the practice crosstab shares GP_CODE and PCN_CODE
    // with the GPAD mapping. Then the funding inputs: their headers share
    // names (practice code, pcn code) with the registration map and the
    // governance CSV.
    if let Some(kind) = gpad_appointments::kind_of(file_name, &has) {
        Some(kind)
    } else if gpad_national::looks_like_summary_csv(&has) {
        Some(SourceKind::GpadNationalSummary)
    } else if gpad_national::looks_like_monthly_csv(&has) {
        Some(SourceKind::GpadNationalMonthly)
    } else if has("practice code")
        && payments::WEIGHTED
            .iter()
            .any(|w| has(&decode::normalise(w)))
    {
        Some(SourceKind::NhsPaymentsPractice)
    } else if adjusted_populations::looks_like(&norm) {
        Some(SourceKind::PcnAdjustedPopulations)
    } else if remittance::looks_like(&norm) {
        Some(SourceKind::Remittances)
    } else if workforce::looks_like(&has) {
        Some(SourceKind::PcnWorkforce)
    } else if cqc::looks_like(&has) {
        Some(SourceKind::CqcCareHomes)
    } else if care_home_delivery::looks_like_rounds(&has) {
        Some(SourceKind::CareHomeRounds)
    } else if care_home_delivery::looks_like_plans(&has) {
        Some(SourceKind::CarePlans)
    } else if access_sessions::looks_like_planned(&has) {
        Some(SourceKind::AccessSessionsPlanned)
    } else if access_sessions::looks_like_delivered(&has) {
        Some(SourceKind::AccessSessionsDelivered)
    } else if iif::looks_like_indicators(&has) {
        Some(SourceKind::IifIndicators)
    } else if populations::looks_like(&has) {
        Some(SourceKind::Populations)
    } else if care_home_alignment::looks_like(&has) {
        Some(SourceKind::CareHomeAlignment)
    } else if iif::looks_like_points(&has) {
        Some(SourceKind::IifPoints)
    } else if has("partner organisation code") && has("pcn code") {
        Some(SourceKind::EpcnPartners)
    } else if has("pcn code") && has("pcn name") && has("open date") {
        Some(SourceKind::EpcnDetails)
    } else if has("practice code") && has("pcn code") {
        Some(SourceKind::RegistrationMap)
    } else if has("age group 5") && has("number of patients") {
        Some(SourceKind::RegistrationQuinaryAge)
    } else if has("age") && has("number of patients") {
        Some(registration::age_kind(file_name, text))
    } else if has("gp code") && has("pcn code") {
        Some(SourceKind::GpadMapping)
    } else if has("organisationcode") && has("organisationtype") {
        Some(SourceKind::NhsWebsiteGp)
    } else if has("pcn code") {
        Some(SourceKind::Governance)
    } else {
        None
    }
}

/// True when a text's first record is a header of a known kind.
fn has_header(text: &str) -> bool {
    decode::first_record(text).is_some_and(|first| {
        let fields: Vec<&str> = first.iter().collect();
        kind_of_header("", "", &fields).is_some()
    })
}

impl ParsedFile {
    /// What the file holds, in one line: `Patients Registered … as at
    /// 2026-07-01: 6,201 rows read; 6,201 list sizes`.
    pub fn describe(&self) -> String {
        use pcn_core::text::thousands;
        let f = &self.facts;
        let mut parts = Vec::new();
        for (n, what) in [
            (f.practices.len(), "practice facts"),
            (f.networks.len(), "network facts"),
            (f.intervals.len(), "memberships"),
            (f.observations.len(), "membership observations"),
            (f.list_sizes.len(), "list sizes"),
            (f.governance.len(), "governance facts"),
            (f.populations.len(), "populations"),
            (f.care_homes.len(), "care homes"),
            (f.care_home_alignments.len(), "care-home alignments"),
            (f.iif_achievements.len(), "IIF measures"),
            (f.iif_points.len(), "IIF points"),
            (f.payment_actuals.len(), "payments"),
            (f.remittances.len(), "remittance rows"),
            (
                f.workforce.len(),
                "workforce records (seeding ARRS rosters)",
            ),
        ] {
            if n > 0 {
                parts.push(format!("{} {what}", thousands(n as u64)));
            }
        }
        // GPAD counts are described by what they count, not by rows.
        let appointments: u64 = f.appointments.iter().map(|t| t.total()).sum();
        if !f.appointments.is_empty() {
            parts.push(format!("{} appointments", thousands(appointments)));
        }
        if !f.national_appointments.is_empty() {
            parts.push(format!(
                "{} national months",
                thousands(f.national_appointments.len() as u64)
            ));
        }
        format!(
            "{} as at {}: {} rows read{}; {}",
            self.kind.name(),
            self.data_date,
            thousands(self.rows),
            if self.skipped_rows > 0 {
                format!(" ({} skipped)", thousands(self.skipped_rows))
            } else {
                String::new()
            },
            if parts.is_empty() {
                "no facts".to_string()
            } else {
                parts.join(", ")
            }
        )
    }
}
