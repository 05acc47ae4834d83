//! A payment run as CSV: one row per network and line, per instalment, or per
//! practice share. Money is integer pence plus exact pounds, never a float.

use pcn_core::funding::{LineStatus, PayRun};
use pcn_core::rulebook::Keyword;
use pcn_core::text::pounds_plain as gbp;

use crate::csv::CsvOut;
use crate::words::*;
use crate::Result;

/// One row per network × line, money as integer pence and exact pounds.
/// A line not computed has blank money fields, `status` `not_computed` and
/// its reason in `not_computed_reason`.
pub fn run_csv(run: &PayRun) -> Result<String> {
    let mut w = CsvOut::new();
    w.row([
        "financial_year",
        "pcn_code",
        "pcn_name",
        "commissioner",
        "payee",
        "stream_id",
        "stream_name",
        "component_id",
        "rule_id",
        "paid_to",
        "basis",
        "basis_value",
        "basis_as_at",
        "rate",
        "unit",
        "period_from",
        "period_to",
        "months_paid",
        "full_amount_pence",
        "amount_pence",
        "amount_gbp",
        "status",
        "not_computed_reason",
        "estimated",
        "estimates",
        "source_document",
        "source_ref",
        "confidence",
        "verified",
    ])?;
    let year = run.financial_year.to_string();
    for n in &run.networks {
        let s = &n.statement;
        let (code, name) = (s.pcn.as_str(), s.name.as_deref().unwrap_or(""));
        let commissioner = or_blank(s.commissioner.as_ref());
        let payee = or_blank(s.payee.as_ref());
        for l in &s.lines {
            let reason = match &l.status {
                LineStatus::NotComputed(why) => why.as_str(),
                _ => "",
            };
            w.row([
                year.as_str(),
                code,
                name,
                &commissioner,
                &payee,
                l.stream_id.as_str(),
                &l.stream_name,
                &l.component_id,
                &l.rule_id,
                l.paid_to.as_str(),
                l.basis.as_str(),
                &l.basis_value
                    .map(|v| v.normalize().to_string())
                    .unwrap_or_default(),
                &or_blank(l.basis_as_at.as_ref()),
                &or_blank(l.rate.as_ref()),
                l.unit.as_str(),
                &l.period_from.to_string(),
                &l.period_to.to_string(),
                &l.months_paid.to_string(),
                &pence_or_blank(l, l.full_amount.0.to_string()),
                &pence_or_blank(l, l.amount.0.to_string()),
                &pence_or_blank(l, gbp(l.amount)),
                status_code(&l.status),
                reason,
                if l.is_estimated() { "true" } else { "false" },
                &l.estimates.join("; "),
                &l.source.document,
                l.source.reference.as_deref().unwrap_or(""),
                l.confidence.as_str(),
                if l.verified { "true" } else { "false" },
            ])?;
        }
    }
    w.finish()
}

/// One row per network × line × instalment (scheduled lines only have instalments).
pub fn run_schedule_csv(run: &PayRun) -> Result<String> {
    let mut w = CsvOut::new();
    w.row([
        "pcn_code",
        "rule_id",
        "month",
        "pay_date",
        "amount_pence",
        "amount_gbp",
    ])?;
    for n in &run.networks {
        for l in &n.statement.lines {
            for i in &l.schedule {
                w.row([
                    n.statement.pcn.as_str(),
                    &l.rule_id,
                    &i.month.to_string(),
                    &i.pay_date.to_string(),
                    &i.amount.0.to_string(),
                    &gbp(i.amount),
                ])?;
            }
        }
    }
    w.finish()
}

/// One row per network × member share, for networks with a distribution.
pub fn run_distribution_csv(run: &PayRun) -> Result<String> {
    let mut w = CsvOut::new();
    w.row([
        "pcn_code",
        "practice_code",
        "weight",
        "share_pence",
        "share_gbp",
        "top_slice_pence",
    ])?;
    for n in &run.networks {
        let Some(d) = &n.distribution else { continue };
        for share in &d.shares {
            w.row([
                n.statement.pcn.as_str(),
                share.practice.as_str(),
                &share.weight.to_string(),
                &share.amount.0.to_string(),
                &gbp(share.amount),
                &d.top_slice.0.to_string(),
            ])?;
        }
    }
    w.finish()
}
