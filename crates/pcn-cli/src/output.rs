//! Rendering reports as text tables and CSV.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use pcn_core::checks::{thousands, Finding, Report, RULES};

/// Writes `text` to `out`, or to standard output.
pub fn emit(text: &str, out: Option<&Path>) -> Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`pcn check | head`) is not an error worth reporting.
            match stdout.write_all(text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("writing to standard output"),
            }
        }
    }
}

pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    table
}

/// A two-column table of labels and values, with no header row.
pub fn key_value_table() -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Disabled);
    table
}

pub fn right(text: impl ToString) -> Cell {
    Cell::new(text).set_alignment(CellAlignment::Right)
}

fn subject(f: &Finding) -> String {
    match (&f.pcn, &f.practice) {
        (_, Some(practice)) => practice.to_string(),
        (Some(pcn), None) => pcn.to_string(),
        (None, None) => f
            .commissioner
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    }
}

/// The human report: headline figures, every finding, and counts by rule.
pub fn check_table(report: &Report) -> String {
    let s = &report.summary;
    let mut out = String::new();
    out.push_str(&format!(
        "Network Contract DES checks as at {} (registered lists as at {})\n\n",
        report.as_at,
        report
            .list_extract
            .map(|d| d.to_string())
            .unwrap_or_else(|| "unknown: no list imported".into())
    ));
    let mut headline = key_value_table();
    for (label, value) in [
        ("Practices", thousands(s.practices as u64)),
        ("Registered patients", thousands(s.patients)),
        (
            "Networks with members",
            thousands(s.networks_with_members as u64),
        ),
        (
            "Networks open in ODS without members",
            thousands(s.networks_open_without_members as u64),
        ),
        (
            "Practices in the U \"Unallocated\" placeholder",
            format!(
                "{} ({} patients)",
                s.unallocated_practices,
                thousands(s.unallocated_patients)
            ),
        ),
        (
            "Practices in no network (incl. U)",
            thousands(s.practices_in_no_network as u64),
        ),
        (
            &*format!("Networks under {}", thousands(report.config.min_list)),
            thousands(s.networks_under_min as u64),
        ),
        (
            &*format!("Networks over {}", thousands(report.config.max_list)),
            thousands(s.networks_over_max as u64),
        ),
        (
            "Findings",
            format!(
                "{} errors, {} warnings, {} information",
                s.errors, s.warnings, s.infos
            ),
        ),
    ] {
        headline.add_row(vec![Cell::new(label), right(value)]);
    }
    out.push_str(&headline.to_string());
    out.push_str("\n\n");

    if report.findings.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    let mut findings = table(&["severity", "rule", "commissioner", "subject", "finding"]);
    for f in &report.findings {
        findings.add_row(vec![
            Cell::new(f.severity.name()),
            Cell::new(f.rule),
            Cell::new(
                f.commissioner
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ),
            Cell::new(subject(f)),
            Cell::new(&f.message),
        ]);
    }
    out.push_str(&findings.to_string());
    out.push_str("\n\n");

    let mut by_rule: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for f in &report.findings {
        *by_rule.entry((f.rule, f.severity.name())).or_default() += 1;
    }
    let mut counts = table(&["rule", "severity", "findings", "what it checks", "source"]);
    for rule in RULES {
        for severity in ["error", "warning", "info"] {
            if let Some(n) = by_rule.get(&(rule.id, severity)) {
                counts.add_row(vec![
                    Cell::new(rule.id),
                    Cell::new(severity),
                    right(thousands(*n as u64)),
                    Cell::new(rule.title),
                    Cell::new(rule.source),
                ]);
            }
        }
    }
    counts
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(200);
    out.push_str(&counts.to_string());
    out.push('\n');
    out
}

/// One row per finding; figures as `name=value` pairs separated by `; `.
pub fn check_csv(report: &Report) -> Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "as_at",
        "severity",
        "rule",
        "title",
        "commissioner",
        "icb",
        "pcn",
        "practice",
        "message",
        "figures",
        "source",
    ])?;
    for f in &report.findings {
        let figures: Vec<String> = f.figures.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writer.write_record([
            report.as_at.to_string().as_str(),
            f.severity.name(),
            f.rule,
            f.title,
            &f.commissioner
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            &f.icb.as_ref().map(ToString::to_string).unwrap_or_default(),
            &f.pcn.as_ref().map(ToString::to_string).unwrap_or_default(),
            &f.practice
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            &f.message,
            &figures.join("; "),
            f.source,
        ])?;
    }
    Ok(String::from_utf8(
        writer.into_inner().context("finishing the CSV")?,
    )?)
}
