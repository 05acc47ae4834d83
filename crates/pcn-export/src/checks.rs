//! `pcn check`'s findings as CSV: one row per finding, figures as
//! `name=value` pairs separated by `; `.

use pcn_core::checks::Report;

use crate::csv::CsvOut;
use crate::Result;

/// The findings as CSV.
pub fn check_csv(report: &Report) -> Result<String> {
    let mut writer = CsvOut::new();
    writer.row([
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
        writer.row([
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
    writer.finish()
}
