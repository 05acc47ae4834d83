//! The DES checks' report as plain text (`pcn check`, `pcn demo`): headline figures, every finding, and
//! counts by rule.

use std::collections::BTreeMap;

use comfy_table::{Cell, ContentArrangement};
use pcn_core::checks::{Finding, Report, RULES};
use pcn_core::text::thousands;

use super::{figures_table, right, table};

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
    let headline = figures_table([
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
    ]);
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
