//! Tests of the DES rulebook: the embedded rules files, spot figures, and
//! one test per validation error class.

// Tests and examples may read the rule files and time themselves; the
// library itself may not (clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use chrono::NaiveDate;
use pcn_core::rulebook::{
    Basis, Component, Confidence, DesReference, FinancialYear, PaidTo, Rulebook, RulebookErrors,
    Source, SourceKind, Stream, Timing, Unit, YearError,
};
use rust_decimal::Decimal;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn embedded() -> Rulebook {
    match Rulebook::embedded() {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

/// The `stream`/`component` in force on `date`.
fn component_on<'a>(
    rb: &'a Rulebook,
    date: NaiveDate,
    stream: &str,
    component: &str,
) -> &'a Component {
    let year = rb.year_containing(date).unwrap();
    let s = year
        .stream_at(stream, date)
        .unwrap_or_else(|| panic!("no {stream} on {date}"));
    s.component(component)
        .unwrap_or_else(|| panic!("no component {component} in {stream}"))
}

/// The rate of `stream`/`component` in force on `date`.
fn rate(rb: &Rulebook, date: NaiveDate, stream: &str, component: &str) -> Option<Decimal> {
    component_on(rb, date, stream, component).rate
}

/// The first entry of `stream` in `year`.
fn first_entry<'a>(rb: &'a Rulebook, year: &str, stream: &'a str) -> &'a Stream {
    rb.year(year)
        .unwrap()
        .stream_entries(stream)
        .next()
        .unwrap()
}

/// Asserts each `(date, stream, component, rate)`: the rate in force.
fn assert_rates(rb: &Rulebook, cases: &[(NaiveDate, &str, &str, &str)]) {
    for &(date, stream, component, expected) in cases {
        assert_eq!(
            rate(rb, date, stream, component),
            Some(dec(expected)),
            "{stream}/{component} on {date}"
        );
    }
}

// ---------------------------------------------------------------------------
// The embedded rulebook
// ---------------------------------------------------------------------------

#[test]
fn embedded_rulebook_loads_with_no_problems() {
    let rb = embedded();
    assert!(rb.years().count() >= 8);
}

#[test]
fn a_figures_citation_is_written_among_its_own_fields() {
    // `Cited` is one type in the code; in JSON a rate, a revision, a maximum
    // or a specification still carries `source`, `verified`, `confidence`
    // and `note` beside its own fields, as readers of `pcn rules` expect.
    let rb = embedded();
    let rules = rb.year("2021-22").unwrap();
    let component = &rules.streams[0].components[0];
    let json = serde_json::to_value(component).unwrap();
    for key in ["id", "des", "source", "verified", "confidence"] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    assert!(json.get("cited").is_none(), "{json}");
    assert_eq!(json["verified"], component.cited.verified);
    let spec = serde_json::to_value(&rules.services.specs[0]).unwrap();
    assert!(
        spec.get("source").is_some() && spec.get("cited").is_none(),
        "{spec}"
    );
}

#[test]
fn every_year_2019_20_to_2026_27_is_present() {
    let rb = embedded();
    let mut fy = FinancialYear::starting(2019);
    while fy <= FinancialYear::starting(2026) {
        let y = rb.financial_year(fy).unwrap();
        assert_eq!(y.financial_year, fy);
        assert!(y.file.ends_with(&format!("{fy}.toml")));
        assert!(!y.streams.is_empty(), "{fy} has no streams");
        fy = fy.next();
    }
}

#[test]
fn every_component_is_honest_about_missing_rates() {
    let rb = embedded();
    for y in rb.years() {
        for s in &y.streams {
            for c in &s.components {
                let where_ = format!("{} {} {}", y.financial_year, s.id, c.id);
                assert_eq!(
                    c.rate.is_none(),
                    c.cited.confidence == Confidence::Missing,
                    "{where_}"
                );
                if c.rate.is_none() {
                    assert!(
                        c.cited.note.is_some(),
                        "{where_}: a missing rate needs a note"
                    );
                    assert!(!c.cited.verified, "{where_}");
                }
                assert!(!c.cited.source.document.is_empty(), "{where_}");
            }
        }
    }
}

/// Every figure of the embedded rulebook, with where it is, its DES
/// reference and where it was read.
fn every_citation(rb: &Rulebook) -> Vec<(String, &DesReference, &Source)> {
    let mut all = Vec::new();
    for y in rb.years() {
        let fy = y.financial_year;
        for s in &y.streams {
            for c in &s.components {
                all.push((format!("{fy} {} {}", s.id, c.id), &c.des, &c.cited.source));
                if let Some(r) = &c.revised {
                    all.push((
                        format!("{fy} {} {} revised", s.id, c.id),
                        &r.des,
                        &r.cited.source,
                    ));
                }
            }
        }
        for r in &y.arrs.roles {
            all.push((format!("{fy} role {}", r.id), &r.des, &r.source));
        }
        for m in &y.arrs.maxima {
            let what = format!("{fy} maximum {} from {}", m.group, m.effective_from);
            all.push((what, &m.des, &m.cited.source));
        }
        for o in &y.arrs.on_costs {
            let what = format!("{fy} on-costs from {}", o.effective_from);
            all.push((what, &o.des, &o.cited.source));
        }
    }
    all
}

#[test]
fn every_figure_cites_the_des_and_where_it_was_read() {
    let rb = embedded();
    let all = every_citation(&rb);
    assert!(all.len() > 250, "{} figures", all.len());
    for (what, des, source) in &all {
        // The DES document is the year's specification or an NHS England
        // document that sets the figure; never a report of it.
        assert!(
            des.document.contains("Network Contract") || des.document.starts_with("NHS England"),
            "{what}: DES document {:?}",
            des.document
        );
        match &des.section {
            Some(section) => assert!(!section.trim().is_empty(), "{what}"),
            // A section not found says why.
            None => assert!(
                des.note.is_some(),
                "{what}: section not found without a note"
            ),
        }
        // Where it was read is a named document, never an index entry.
        assert!(!source.document.is_empty(), "{what}");
        for unfit in ["GitHub", "SEO", "index file id", "No 2026/27 source"] {
            assert!(
                !source.document.contains(unfit),
                "{what}: source {:?}",
                source.document
            );
        }
        // Government texts are specification or guidance, reports secondary.
        if source.document.starts_with("NHS England") || source.document.starts_with("HM Revenue") {
            assert_ne!(source.kind, SourceKind::Secondary, "{what}");
        }
    }
}

#[test]
fn a_statement_line_can_show_the_des_section_and_the_source() {
    let rb = embedded();
    let sum = component_on(&rb, d(2025, 6, 1), "arrs", "sum");
    // S53 quotes section 10.5.4 of the 2025/26 specification.
    assert_eq!(sum.des.section.as_deref(), Some("10.5.4"));
    let line = sum.citation();
    assert!(
        line.starts_with(
            "DES: Network Contract Directed Enhanced Service – Contract specification 2025/26"
        ),
        "{line}"
    );
    assert!(
        line.contains(" §10.5.4; read in: [S53] North Central London Training Hub"),
        "{line}"
    );
    assert!(line.ends_with("(secondary)"), "{line}");

    // A section that was not found says so instead of inventing one.
    let npp = component_on(
        &rb,
        d(2025, 6, 1),
        "network-participation-payment",
        "payment",
    );
    assert_eq!(npp.des.section, None);
    assert!(
        npp.citation()
            .contains("(section not found); read in: [R25]"),
        "{}",
        npp.citation()
    );

    // A backdated revision cites its own table and source.
    let ea = component_on(&rb, d(2024, 6, 1), "enhanced-access", "payment");
    assert!(
        ea.citation_in_force().contains("§Table 1 (page 58)"),
        "{}",
        ea.citation_in_force()
    );
    assert!(
        ea.citation().contains("(section not found)"),
        "{}",
        ea.citation()
    );

    // ARRS maxima carry theirs through the lookup.
    let max = rb
        .arrs_maximum(
            FinancialYear::starting(2025),
            "7-8a",
            d(2025, 6, 1),
            pcn_core::rulebook::Region::England,
        )
        .unwrap();
    assert!(max.citation().contains("§Table 2"), "{}", max.citation());
    assert!(
        max.citation().contains("[R15] Pharmaceutical Journal"),
        "{}",
        max.citation()
    );
}

#[test]
fn government_texts_are_guidance_not_secondary() {
    let rb = embedded();
    let y = rb.year("2019-20").unwrap();
    let cd = y.stream_entries("clinical-director").next().unwrap();
    // S01, a minister's written answer to Parliament.
    assert_eq!(cd.components[0].cited.source.kind, SourceKind::Guidance);
    for y in rb.years() {
        for o in &y.arrs.on_costs {
            assert_eq!(
                o.cited.source.kind,
                SourceKind::Guidance,
                "{}",
                y.financial_year
            );
            assert!(o.cited.source.document.starts_with("HM Revenue & Customs"));
        }
    }
}

#[test]
fn no_2026_27_rate_is_given() {
    // Only weak, unofficial 2026/27 figures were found (S139, S140, S158).
    let rb = embedded();
    let y = rb.year("2026-27").unwrap();
    for s in &y.streams {
        for c in &s.components {
            assert_eq!(c.rate, None, "{} {}", s.id, c.id);
        }
    }
    // CASP and CAIP are withdrawn from the DES in 2026/27 (R03, R04, R05).
    assert!(y
        .stream_entries("capacity-and-access-support")
        .next()
        .is_none());
    assert!(y
        .stream_entries("capacity-and-access-improvement")
        .next()
        .is_none());
}

// ---------------------------------------------------------------------------
// Spot figures (source ids: shared/reference/des-rules.md and rules/README.md)
// ---------------------------------------------------------------------------

#[test]
fn enhanced_access_2025_26_is_8_427_per_adjusted_patient() {
    // S06, R01: "£7.975 to £8.427 multiplied by the PCN adjusted population".
    let rb = embedded();
    let y = rb.year("2025-26").unwrap();
    let s = y.stream_at("enhanced-access", d(2025, 6, 1)).unwrap();
    let c = s.component("payment").unwrap();
    assert_eq!(c.rate, Some(dec("8.427")));
    assert_eq!(c.unit, Unit::GbpPerPatientPerYear);
    assert_eq!(c.basis, Basis::AdjustedPopulation);
    assert_eq!(s.paid_to, PaidTo::Pcn);
    assert!(c.cited.verified);
}

#[test]
fn pcn_support_payment_2021_22_is_the_62_4m_of_the_suspended_iif_on_weighted_patients() {
    // R32, R33: NHS England's letter of 7 December 2021, £62.4m "allocated to PCNs via a PCN
    // support payment, to be paid on a weighted patient basis"; the rate is the national sum
    // ÷ the networks' 60,683,367 weighted patients at 1 January 2021, for the period.
    let rb = embedded();
    let y = rb.year("2021-22").unwrap();
    assert!(y
        .stream_at("pcn-support-payment", d(2021, 11, 30))
        .is_none());
    let s = y.stream_at("pcn-support-payment", d(2022, 3, 31)).unwrap();
    let c = s.component("payment").unwrap();
    assert_eq!(c.rate, Some(dec("1.0283")));
    assert_eq!(c.unit, Unit::GbpPerPatientPerPeriod);
    assert_eq!(c.basis, Basis::WeightedPopulation);
    assert_eq!(c.population_date, Some(d(2021, 1, 1)));
    assert_eq!(s.paid_to, PaidTo::Pcn);
    let national = dec("62400000") / dec("60683367");
    assert_eq!(national.round_dp(4), dec("1.0283"));
}

#[test]
fn arrs_2023_24_is_22_671_per_weighted_patient() {
    // S23: "from £22.671, to be multiplied by the PCN contractor weighted population".
    let rb = embedded();
    assert_eq!(rate(&rb, d(2023, 9, 1), "arrs", "sum"), Some(dec("22.671")));
    let c = component_on(&rb, d(2023, 9, 1), "arrs", "sum").clone();
    assert_eq!(c.basis, Basis::WeightedPopulation);
    assert_eq!(c.population_date, Some(d(2023, 1, 1)));
}

#[test]
fn care_home_premium_2020_21_is_a_part_year_from_1_august_2020() {
    // S02, S65: £60 per bed for 1 Aug 2020 - 31 Mar 2021 (£7.50 per bed per month).
    let rb = embedded();
    let y = rb.year("2020-21").unwrap();
    let s = y.stream_entries("care-home-premium").next().unwrap();
    assert_eq!(s.effective_from, d(2020, 8, 1));
    assert_eq!(s.effective_to, d(2021, 3, 31));
    let c = s.component("beds").unwrap();
    assert_eq!(c.rate, Some(dec("60")));
    assert_eq!(c.unit, Unit::GbpPerBedPerPeriod);
    assert!(!c.unit.is_annual());
    assert!(y.stream_at("care-home-premium", d(2020, 7, 31)).is_none());
}

#[test]
fn core_funding_splits_into_registered_and_adjusted_from_2024_25() {
    // S05: £2.218 × registered + £0.698 × adjusted at 1 Jan 2024; S06: £2.266 + £0.733 in 2025/26.
    let rb = embedded();
    assert_rates(
        &rb,
        &[
            (d(2024, 5, 1), "core-pcn-funding", "registered", "2.218"),
            (d(2024, 5, 1), "core-pcn-funding", "adjusted", "0.698"),
            (d(2025, 5, 1), "core-pcn-funding", "registered", "2.266"),
            (d(2025, 5, 1), "core-pcn-funding", "adjusted", "0.733"),
        ],
    );
    // £1.50 per registered patient 2019/20 to 2023/24 (S17, S09, S08).
    for y in 2019..=2023 {
        assert_eq!(
            rate(&rb, d(y, 10, 1), "core-pcn-funding", "registered"),
            Some(dec("1.50")),
            "{y}"
        );
    }
    // The CD and L&M payments are merged into core from 2024/25.
    let y = rb.year("2024-25").unwrap();
    assert!(y.stream_entries("clinical-director").next().is_none());
    assert!(y
        .stream_entries("pcn-leadership-management")
        .next()
        .is_none());
}

#[test]
fn backdated_2024_25_uplifts_are_revisions_over_the_whole_year() {
    // S05: £7.674; S06: uplifted to £7.975; S26: backdated to 1 April 2024.
    let rb = embedded();
    let y = rb.year("2024-25").unwrap();
    let ea = y.stream_at("enhanced-access", d(2024, 4, 1)).unwrap();
    assert_eq!(ea.effective_from, d(2024, 4, 1));
    assert_eq!(ea.effective_to, d(2025, 3, 31));
    let c = ea.component("payment").unwrap();
    assert_eq!(c.rate, Some(dec("7.674")));
    assert_eq!(c.rate_in_force(), Some(dec("7.975")));
    assert_eq!(c.revised.as_ref().unwrap().effective_from, d(2024, 4, 1));

    let chp = y.stream_at("care-home-premium", d(2024, 4, 1)).unwrap();
    assert_eq!(
        chp.component("beds").unwrap().rate_in_force(),
        Some(dec("127.20"))
    );
    // The split of the uplifted core £2.967 was not found: not known, not guessed.
    let core = y.stream_at("core-pcn-funding", d(2024, 4, 1)).unwrap();
    assert_eq!(core.component("registered").unwrap().rate_in_force(), None);
}

#[test]
fn other_spot_figures() {
    let rb = embedded();
    // S01: CD £0.51430 per registered patient for 1 Jul 2019 - 31 Mar 2020.
    let cd = first_entry(&rb, "2019-20", "clinical-director");
    assert_eq!(cd.effective_from, d(2019, 7, 1));
    assert_eq!(
        cd.component("registered").unwrap().unit,
        Unit::GbpPerPatientPerPeriod
    );
    assert_eq!(
        cd.component("registered").unwrap().rate,
        Some(dec("0.51430"))
    );
    // S08: CD £0.729, L&M £0.684 × adjusted, CASP £2.765 in 2023/24.
    assert_rates(
        &rb,
        &[
            (d(2023, 4, 1), "clinical-director", "registered", "0.729"),
            (
                d(2023, 4, 1),
                "pcn-leadership-management",
                "adjusted",
                "0.684",
            ),
            (
                d(2023, 4, 1),
                "capacity-and-access-support",
                "adjusted",
                "2.765",
            ),
        ],
    );
    // S09: extended hours £0.720 for 1 Apr - 30 Sep 2022, then enhanced access from 1 Oct 2022.
    let y = rb.year("2022-23").unwrap();
    assert_eq!(
        y.stream_at("extended-hours-access", d(2022, 9, 30))
            .unwrap()
            .effective_to,
        d(2022, 9, 30)
    );
    assert!(y
        .stream_at("extended-hours-access", d(2022, 10, 1))
        .is_none());
    assert!(y.stream_at("enhanced-access", d(2022, 9, 30)).is_none());
    assert!(y.stream_at("enhanced-access", d(2022, 10, 1)).is_some());
    // S80: IIF 2024/25 £198 a point, 58 points.
    let iif = rb
        .year("2024-25")
        .unwrap()
        .stream_at("iif", d(2024, 6, 1))
        .unwrap();
    assert_eq!(iif.timing, Timing::OnAchievement);
    let p = iif.component("point").unwrap();
    assert_eq!(p.rate, Some(dec("198")));
    assert_eq!(p.points_available, Some(58));
    // S28: ARRS GP sum £1.303 for 1 Oct 2024 - 31 Mar 2025.
    let gp = first_entry(&rb, "2024-25", "arrs-gp");
    assert_eq!(gp.effective_from, d(2024, 10, 1));
    assert_eq!(gp.component("sum").unwrap().rate, Some(dec("1.303")));
    // S04: PCN support payment £0.27 per weighted patient, Apr - Sep 2020.
    let sp = first_entry(&rb, "2020-21", "pcn-support-payment");
    assert_eq!(
        (sp.effective_from, sp.effective_to),
        (d(2020, 4, 1), d(2020, 9, 30))
    );
    // Network Participation Payment goes to practices (S19).
    let npp = first_entry(&rb, "2022-23", "network-participation-payment");
    assert_eq!(npp.paid_to, PaidTo::Practice);
    assert_eq!(
        npp.component("payment").unwrap().basis,
        Basis::WeightedPopulation
    );
}

#[test]
fn asking_for_a_missing_year_names_it_and_the_years_available() {
    let rb = embedded();
    let e = rb.year("2030-31").unwrap_err();
    assert!(matches!(e, YearError::NotFound { .. }));
    let msg = e.to_string();
    assert!(msg.contains("2030-31"), "{msg}");
    assert!(msg.contains("2019-20") && msg.contains("2026-27"), "{msg}");
    let e = rb.year("2030/31").unwrap_err();
    assert!(matches!(e, YearError::Malformed(_)));
    assert!(e.to_string().contains("2030/31"));
}

// ---------------------------------------------------------------------------
// Validation error classes
// ---------------------------------------------------------------------------

mod support;
use support::{dec, per_patient, stream};

const GOOD: &str = r#"
financial_year = "2025-26"
specification = { document = "Network Contract DES Contract specification 2025/26" }

[[stream]]
id = "enhanced-access"
name = "Enhanced access"
paid_to = "pcn"
effective_from = 2025-04-01
effective_to = 2026-03-31
timing = "monthly"
  [[stream.component]]
  id = "payment"
  rate = "8.427"
  unit = "gbp-per-patient-per-year"
  basis = "adjusted-population"
  population_date = 2025-01-01
  des = { document = "Network Contract DES Contract specification 2025/26", section = "10.4" }
  source = { ref = "S06", document = "Pulse PCN", kind = "secondary" }
  verified = true
  confidence = "seen"
"#;

const FILE: &str = "rules/2025-26.toml";

fn load(name: &str, text: &str) -> Result<Rulebook, RulebookErrors> {
    Rulebook::from_sources(&[(name, text)])
}

/// Loads `text` (a variant of GOOD) and returns the messages, asserting each
/// names the file.
fn problems(text: &str) -> Vec<String> {
    problems_in(FILE, text)
}

fn problems_in(name: &str, text: &str) -> Vec<String> {
    let errs = load(name, text).expect_err("expected problems");
    let msgs: Vec<String> = errs.problems.iter().map(|p| p.to_string()).collect();
    for m in &msgs {
        assert!(m.starts_with(name), "message does not name the file: {m}");
    }
    msgs
}

fn assert_one(msgs: &[String], path: &str, fragment: &str) {
    assert!(
        msgs.iter()
            .any(|m| m.contains(&format!(": {path}: ")) && m.contains(fragment)),
        "no problem at {path:?} containing {fragment:?} in {msgs:#?}"
    );
}

/// For each `(from, to, path, fragment)`: GOOD with `from` replaced by `to`
/// has a problem at `path` whose message contains `fragment`.
fn assert_each_edit(cases: &[(&str, &str, &str, &str)]) {
    for &(from, to, path, fragment) in cases {
        assert_one(&problems(&GOOD.replace(from, to)), path, fragment);
    }
}

#[test]
fn the_good_example_loads() {
    let rb = load(FILE, GOOD).unwrap();
    let y = rb.year("2025-26").unwrap();
    assert_eq!(y.streams[0].components[0].rate, Some(dec("8.427")));
}

#[test]
fn toml_syntax_error_names_the_file() {
    let msgs = problems("financial_year = \n");
    assert!(msgs[0].contains("not valid TOML"), "{msgs:?}");
}

#[test]
fn financial_year_must_match_the_file_name() {
    let msgs = problems_in("rules/2024-25.toml", GOOD);
    assert_one(&msgs, "financial_year", "does not match the file name");
}

#[test]
fn financial_year_must_be_well_formed() {
    let msgs = problems(&GOOD.replace("\"2025-26\"", "\"2025/26\""));
    assert_one(&msgs, "financial_year", "not a financial year");
}

#[test]
fn file_name_must_be_a_year() {
    let msgs = problems_in("rules/current.toml", GOOD);
    assert!(
        msgs.iter().any(|m| m.contains("file name must be")),
        "{msgs:?}"
    );
}

#[test]
fn dates_must_lie_inside_the_financial_year() {
    let msgs = problems(&GOOD.replace("effective_to = 2026-03-31", "effective_to = 2026-04-30"));
    assert_one(
        &msgs,
        "stream[0] (enhanced-access).effective_to",
        "outside financial year 2025-26",
    );
}

#[test]
fn effective_from_must_not_follow_effective_to() {
    let msgs = problems(
        &GOOD
            .replace("effective_to = 2026-03-31", "effective_to = 2025-03-31")
            .replace("effective_from = 2025-04-01", "effective_from = 2025-06-01"),
    );
    assert_one(
        &msgs,
        "stream[0] (enhanced-access).effective_to",
        "before effective_from",
    );
}

#[test]
fn dates_must_be_bare_toml_dates() {
    let msgs = problems(&GOOD.replace(
        "effective_from = 2025-04-01",
        "effective_from = \"2025-04-01\"",
    ));
    assert_one(
        &msgs,
        "stream[0] (enhanced-access).effective_from",
        "bare TOML date",
    );
}

#[test]
fn overlapping_entries_of_one_stream_are_rejected() {
    let second = stream(
        "enhanced-access",
        "Enhanced access (uplift)",
        "pcn",
        ("2025-10-01", "2026-03-31"),
        &per_patient("payment", "9", "adjusted-population", "2025-01-01"),
    );
    let msgs = problems(&format!("{GOOD}{second}"));
    assert_one(
        &msgs,
        "stream[1] (enhanced-access).component[0]",
        "overlaps stream[0] (enhanced-access)",
    );
    // Non-overlapping dated entries of the same stream id are fine.
    let split = GOOD.replace("effective_to = 2026-03-31", "effective_to = 2025-09-30");
    let rb = load(FILE, &format!("{split}{second}")).unwrap();
    let y = rb.year("2025-26").unwrap();
    assert_eq!(y.stream_entries("enhanced-access").count(), 2);
    assert_eq!(
        y.stream_at("enhanced-access", d(2025, 12, 1))
            .unwrap()
            .components[0]
            .rate,
        Some(dec("9"))
    );
}

#[test]
fn a_population_basis_needs_its_population_date_and_a_year_has_one() {
    let msgs = problems(&GOOD.replace("  population_date = 2025-01-01\n", ""));
    assert_one(
        &msgs,
        "stream[0] (enhanced-access).component[0].population_date",
        "missing: a rate on a population needs the date the DES takes it as at",
    );
    let beds = GOOD
        .replace("\"gbp-per-patient-per-year\"", "\"gbp-per-bed-per-year\"")
        .replace("\"adjusted-population\"", "\"care-home-beds\"");
    assert_one(
        &problems(&beds),
        "stream[0] (enhanced-access).component[0].population_date",
        "only applies to a population basis",
    );
    let second = stream(
        "core-pcn-funding",
        "Core",
        "pcn",
        ("2025-04-01", "2026-03-31"),
        &per_patient("registered", "2.266", "registered-list", "2025-04-01"),
    );
    assert_one(
        &problems(&format!("{GOOD}{second}")),
        "stream[1] (core-pcn-funding).component[0].population_date",
        "2025-04-01 differs from 2025-01-01 (stream[0] (enhanced-access).component[0].population_date): a year takes every population as at one date",
    );
    let rb = load(FILE, GOOD).unwrap();
    assert_eq!(
        rb.year("2025-26").unwrap().population_date(),
        Some(d(2025, 1, 1))
    );
}

#[test]
fn duplicate_component_ids_in_a_stream_are_rejected() {
    let extra = per_patient("payment", "1", "adjusted-population", "2025-01-01");
    let msgs = problems(&format!("{GOOD}{extra}"));
    assert_one(
        &msgs,
        "stream[0] (enhanced-access).component[1].id",
        "used twice",
    );
}

#[test]
fn every_component_needs_a_source_with_a_document() {
    let msgs = problems(&GOOD.replace(
        "  source = { ref = \"S06\", document = \"Pulse PCN\", kind = \"secondary\" }\n",
        "",
    ));
    assert_one(
        &msgs,
        "stream[0] (enhanced-access).component[0].source",
        "missing",
    );
    let msgs = problems(&GOOD.replace("document = \"Pulse PCN\"", "section = \"10.1\""));
    assert_one(
        &msgs,
        "stream[0] (enhanced-access).component[0].source.document",
        "missing",
    );
}

#[test]
fn rates_must_be_exact_non_negative_decimal_strings() {
    let path = "stream[0] (enhanced-access).component[0].rate";
    let rate = "rate = \"8.427\"";
    assert_each_edit(&[
        (rate, "rate = 8.427", path, "not a float"),
        (rate, "rate = \"-8.427\"", path, "negative"),
        (rate, "rate = \"8,427\"", path, "not a plain decimal"),
        (rate, "rate = \"1e3\"", path, "not a plain decimal"),
    ]);
}

#[test]
fn keywords_must_come_from_the_known_sets() {
    assert_each_edit(&[
        (
            "\"gbp-per-patient-per-year\"",
            "\"gbp-per-bed\"",
            "stream[0] (enhanced-access).component[0].unit",
            "\"gbp-per-bed\" is not a unit; expected one of gbp-per-patient-per-year",
        ),
        (
            "basis = \"adjusted-population\"",
            "basis = \"adjusted\"",
            "stream[0] (enhanced-access).component[0].basis",
            "is not a basis",
        ),
        (
            "timing = \"monthly\"",
            "timing = \"weekly\"",
            "stream[0] (enhanced-access).timing",
            "is not a timing",
        ),
        (
            "paid_to = \"pcn\"",
            "paid_to = \"icb\"",
            "stream[0] (enhanced-access).paid_to",
            "is not a payee",
        ),
        (
            "confidence = \"seen\"",
            "confidence = \"sure\"",
            "stream[0] (enhanced-access).component[0].confidence",
            "is not a confidence",
        ),
    ]);
}

#[test]
fn unit_must_fit_basis() {
    let unit = "\"gbp-per-patient-per-year\"";
    let path = "stream[0] (enhanced-access).component[0].basis";
    assert_each_edit(&[
        (
            unit,
            "\"gbp-per-bed-per-year\"",
            path,
            "does not go with unit \"gbp-per-bed-per-year\"; that unit needs basis care-home-beds",
        ),
        (unit, "\"gbp-per-point\"", path, "needs basis iif-points"),
        (unit, "\"gbp-per-wte-per-year\"", path, "needs basis wte"),
    ]);
}

#[test]
fn unknown_keys_are_rejected_at_every_level() {
    let msgs = problems(&format!("colour = \"red\"\n{GOOD}"));
    assert_one(&msgs, "colour", "unknown key \"colour\"");
    assert_each_edit(&[
        (
            "timing = \"monthly\"",
            "timing = \"monthly\"\nfrequency = 12",
            "stream[0] (enhanced-access).frequency",
            "unknown key \"frequency\"; expected one of id, name",
        ),
        (
            "verified = true",
            "verified = true\n  rates = \"1\"",
            "stream[0] (enhanced-access).component[0].rates",
            "unknown key",
        ),
        (
            "ref = \"S06\"",
            "reference = \"S06\"",
            "stream[0] (enhanced-access).component[0].source.reference",
            "unknown key",
        ),
    ]);
}

#[test]
fn required_keys_are_reported_missing() {
    assert_each_edit(&[
        (
            "name = \"Enhanced access\"\n",
            "",
            "stream[0] (enhanced-access).name",
            "missing",
        ),
        (
            "  verified = true\n",
            "",
            "stream[0] (enhanced-access).component[0].verified",
            "missing",
        ),
    ]);
}

#[test]
fn a_missing_rate_must_say_so() {
    assert_each_edit(&[
        // Rate absent but confidence not "missing".
        (
            "  rate = \"8.427\"\n",
            "",
            "stream[0] (enhanced-access).component[0].rate",
            "confidence = \"missing\"",
        ),
        // Rate given with confidence "missing".
        (
            "confidence = \"seen\"",
            "confidence = \"missing\"",
            "stream[0] (enhanced-access).component[0].confidence",
            "a rate is given",
        ),
    ]);
    // A missing figure cannot be verified.
    let msgs = problems(
        &GOOD
            .replace("  rate = \"8.427\"\n", "")
            .replace("confidence = \"seen\"", "confidence = \"missing\""),
    );
    assert_one(
        &msgs,
        "stream[0] (enhanced-access).component[0].verified",
        "cannot be verified",
    );
    // Done right, it loads.
    let ok = GOOD
        .replace("  rate = \"8.427\"\n", "")
        .replace("confidence = \"seen\"", "confidence = \"missing\"")
        .replace("verified = true", "verified = false");
    let rb = load(FILE, &ok).unwrap();
    assert_eq!(
        rb.year("2025-26").unwrap().streams[0].components[0].rate,
        None
    );
}

#[test]
fn revisions_are_validated() {
    let revised = r#"
    [stream.component.revised]
    rate = "8.9"
    effective_from = 2024-04-01
    des = { document = "x", section = "Table 1" }
    source = { document = "x", kind = "guidance" }
    verified = false
    confidence = "seen"
"#;
    let msgs = problems(&format!("{GOOD}{revised}"));
    assert_one(
        &msgs,
        "stream[0] (enhanced-access).component[0].revised.effective_from",
        "outside the stream's dates",
    );
    let ok = revised.replace("2024-04-01", "2025-04-01");
    let rb = load(FILE, &format!("{GOOD}{ok}")).unwrap();
    let c = &rb.year("2025-26").unwrap().streams[0].components[0];
    assert_eq!(c.rate_in_force(), Some(dec("8.9")));
}

#[test]
fn points_and_fractions_only_where_they_apply() {
    assert_each_edit(&[
        (
            "verified = true",
            "verified = true\n  points_available = 58",
            "stream[0] (enhanced-access).component[0].points_available",
            "only applies to basis \"iif-points\"",
        ),
        (
            "verified = true",
            "verified = true\n  reimbursed_fraction = \"0.7\"",
            "stream[0] (enhanced-access).component[0].reimbursed_fraction",
            "only applies to basis \"wte\"",
        ),
    ]);
}

#[test]
fn all_problems_are_collected_not_just_the_first() {
    let bad = GOOD
        .replace("\"gbp-per-patient-per-year\"", "\"gbp-per-bed\"")
        .replace("timing = \"monthly\"", "timing = \"weekly\"")
        .replace("effective_to = 2026-03-31", "effective_to = 2026-04-30");
    let msgs = problems(&bad);
    assert!(msgs.len() >= 3, "{msgs:#?}");
}

#[test]
fn problems_across_files_are_all_reported() {
    let errs = Rulebook::from_sources(&[
        (
            "rules/2025-26.toml",
            &GOOD.replace("timing = \"monthly\"", "timing = \"weekly\""),
        ),
        ("rules/2024-25.toml", GOOD),
    ])
    .unwrap_err();
    let files: Vec<&str> = errs.problems.iter().map(|p| p.file.as_str()).collect();
    assert!(files.contains(&"rules/2025-26.toml"));
    assert!(files.contains(&"rules/2024-25.toml"));
    let text = errs.to_string();
    assert!(text.contains("problems in the DES rulebook"), "{text}");
}

#[test]
fn the_same_year_twice_is_rejected() {
    let errs =
        Rulebook::from_sources(&[("a/2025-26.toml", GOOD), ("b/2025-26.toml", GOOD)]).unwrap_err();
    assert!(errs.problems[0]
        .to_string()
        .starts_with("b/2025-26.toml: financial_year:"));
    assert!(errs.problems[0]
        .message
        .contains("already given by a/2025-26.toml"));
}

#[test]
fn every_figure_needs_a_des_reference() {
    let path = "stream[0] (enhanced-access).component[0]";
    let without = GOOD.replace(
        "  des = { document = \"Network Contract DES Contract specification 2025/26\", section = \"10.4\" }\n",
        "",
    );
    assert_one(&problems(&without), &format!("{path}.des"), "missing");
    // Both the document and the section are required.
    let msgs = problems(&GOOD.replace(", section = \"10.4\"", ""));
    assert_one(&msgs, &format!("{path}.des.section"), "missing");
    let msgs = problems(&GOOD.replace(
        "document = \"Network Contract DES Contract specification 2025/26\", ",
        "",
    ));
    assert_one(&msgs, &format!("{path}.des.document"), "missing");
    // Unknown keys stay errors.
    let msgs = problems(&GOOD.replace("section = \"10.4\"", "section = \"10.4\", page = 58"));
    assert_one(&msgs, &format!("{path}.des.page"), "unknown key \"page\"");
    // Dotted keys are the same table.
    let dotted = GOOD.replace(
        "  des = { document = \"Network Contract DES Contract specification 2025/26\", section = \"10.4\" }\n",
        "  des.document = \"Network Contract DES Contract specification 2025/26\"\n  des.section = \"10.4\"\n  des.url = \"https://www.england.nhs.uk/\"\n",
    );
    let rb = load(FILE, &dotted).unwrap();
    let c = &rb.year("2025-26").unwrap().streams[0].components[0];
    assert_eq!(c.des.section.as_deref(), Some("10.4"));
    assert_eq!(c.des.url.as_deref(), Some("https://www.england.nhs.uk/"));
}

#[test]
fn a_section_not_found_must_say_why() {
    let path = "stream[0] (enhanced-access).component[0].des.note";
    let bare = GOOD.replace("section = \"10.4\"", "section = \"not found\"");
    assert_one(
        &problems(&bare),
        path,
        "missing while section is \"not found\"",
    );
    let explained = GOOD.replace(
        "section = \"10.4\"",
        "section = \"not found\", note = \"the payment annex was not read\"",
    );
    let rb = load(FILE, &explained).unwrap();
    let c = &rb.year("2025-26").unwrap().streams[0].components[0];
    assert_eq!(c.des.section, None);
    assert_eq!(
        c.citation(),
        "DES: Network Contract DES Contract specification 2025/26 (section not found); read in: [S06] Pulse PCN (secondary)"
    );
}

#[test]
fn the_kind_of_source_is_required_and_checked() {
    let path = "stream[0] (enhanced-access).component[0].source.kind";
    assert_each_edit(&[
        (", kind = \"secondary\"", "", path, "missing"),
        (
            "kind = \"secondary\"",
            "kind = \"primary\"",
            path,
            "\"primary\" is not a source kind; expected one of specification, guidance, payments, secondary",
        ),
    ]);
    for kind in ["specification", "guidance", "payments", "secondary"] {
        let rb = load(FILE, &GOOD.replace("\"secondary\"", &format!("\"{kind}\""))).unwrap();
        let c = &rb.year("2025-26").unwrap().streams[0].components[0];
        assert_eq!(c.cited.source.kind.to_string(), kind);
    }
}

#[test]
fn revisions_and_arrs_figures_need_des_references_too() {
    let revised = r#"
    [stream.component.revised]
    rate = "8.9"
    effective_from = 2025-04-01
    source = { document = "x", kind = "guidance" }
    verified = false
    confidence = "seen"
"#;
    assert_one(
        &problems(&format!("{GOOD}{revised}")),
        "stream[0] (enhanced-access).component[0].revised.des",
        "missing",
    );
    let arrs = r#"
[arrs]
[[arrs.role]]
id = "clinical-pharmacist"
name = "Clinical pharmacist"
from = 2025-04-01
reimbursed_fraction = "1"
bands = { "7" = "7-8a" }
default_band = "7"
source = { document = "x", kind = "secondary" }

[[arrs.maximum]]
group = "7-8a"
effective_from = 2025-04-01
england = "66972"
source = { document = "x", kind = "secondary" }
verified = true
confidence = "seen"

[[arrs.on_costs]]
effective_from = 2025-04-06
employer_ni_rate = "0.15"
employer_ni_threshold = "5000"
employer_pension_rate = "0.1438"
apprenticeship_levy_rate = "0.005"
source = { document = "HMRC", kind = "guidance" }
verified = false
confidence = "seen"
"#;
    let msgs = problems(&format!("{GOOD}{arrs}"));
    for path in [
        "arrs.role[0].des",
        "arrs.maximum[0].des",
        "arrs.on_costs[0].des",
    ] {
        assert_one(&msgs, path, "missing");
    }
    let fixed = arrs.replace(
        "source = {",
        "des = { document = \"spec\", section = \"Table 2\" }\nsource = {",
    );
    let rb = load(FILE, &format!("{GOOD}{fixed}")).unwrap();
    let y = rb.year("2025-26").unwrap();
    assert_eq!(
        y.arrs.roles[0].citation(),
        "DES: spec §Table 2; read in: x (secondary)"
    );
    assert_eq!(
        y.arrs.on_costs[0].citation(),
        "DES: spec §Table 2; read in: HMRC (guidance)"
    );
}

/// A new year is a data file: every `rules/*.toml` is in the binary, and
/// nothing else is.
#[test]
fn every_rule_file_is_embedded() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let mut on_disk: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .map(|n| format!("rules/{n}"))
        .collect();
    on_disk.sort();
    let embedded: Vec<String> = pcn_core::rulebook::EMBEDDED
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    assert_eq!(embedded, on_disk);
    for (name, text) in pcn_core::rulebook::EMBEDDED {
        let on_disk =
            std::fs::read_to_string(folder.join(name.trim_start_matches("rules/"))).unwrap();
        assert_eq!(*text, on_disk, "{name} is embedded as it is on disk");
    }
    // And each is a year of the embedded rulebook.
    let rulebook = pcn_core::rulebook::Rulebook::embedded().unwrap();
    assert_eq!(rulebook.years().count(), on_disk.len());
}
