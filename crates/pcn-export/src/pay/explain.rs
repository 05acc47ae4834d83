//! One line of a statement explained in words: its source, basis, rate,
//! arithmetic, part year, instalments and, for practice-paid streams, each
//! practice's amount.

use std::fmt::Write as _;

use pcn_core::funding::{months_of, Line, LineStatus, NetworkPay, PayRun};
use pcn_core::money::Pence;
use pcn_core::rulebook::PaidTo;
use pcn_core::PcnCode;

use crate::words::*;
use crate::{Error, Result};

/// One network's line (by full rule id), or every component of a stream (by
/// stream id), explained: source, basis, rate, arithmetic, months paid,
/// instalments and, for practice-paid streams, the amount per practice.
pub fn explain_line(run: &PayRun, pcn: &PcnCode, rule_id_or_stream: &str) -> Result<String> {
    let Some(network) = run.network(pcn) else {
        let codes: Vec<&str> = run
            .networks
            .iter()
            .take(20)
            .map(|n| n.statement.pcn.as_str())
            .collect();
        return Err(Error::NotInRun {
            pcn: pcn.clone(),
            year: run.financial_year,
            others: if codes.is_empty() {
                String::new()
            } else {
                format!(
                    " (networks: {}{})",
                    codes.join(", "),
                    if run.networks.len() > codes.len() {
                        ", …"
                    } else {
                        ""
                    }
                )
            },
        });
    };
    let s = &network.statement;
    let wanted = rule_id_or_stream.trim();
    let lines: Vec<&Line> = match s.lines.iter().find(|l| l.rule_id == wanted) {
        Some(line) => vec![line],
        None => s.lines.iter().filter(|l| l.stream_id == wanted).collect(),
    };
    if lines.is_empty() {
        let mut valid: Vec<&str> = Vec::new();
        for l in &s.lines {
            if !valid.contains(&l.stream_id.as_str()) {
                valid.push(l.stream_id.as_str());
            }
        }
        valid.extend(s.lines.iter().map(|l| l.rule_id.as_str()));
        return Err(Error::NoSuchLine {
            pcn: pcn.clone(),
            year: s.financial_year,
            wanted: wanted.to_string(),
            valid: valid.join(", "),
        });
    }
    let mut out = String::new();
    let _ = writeln!(out, "{}, {}", network_title(s), s.financial_year);
    for line in lines {
        out.push('\n');
        explain_one(&mut out, run, network, line);
    }
    Ok(out)
}

fn explain_one(out: &mut String, run: &PayRun, network: &NetworkPay, l: &Line) {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let _ = writeln!(
        out,
        "Stream:      {} ({}), paid to the {}, {}",
        l.stream_name,
        l.stream_id,
        paid_to_words(l.paid_to),
        l.timing
    );
    let _ = writeln!(out, "Component:   {}", l.component_id);
    let _ = writeln!(out, "Rule:        {}", l.rule_id);
    let src = &l.source;
    let _ = writeln!(out, "Source:      {}", src.document);
    if let Some(section) = &src.section {
        let _ = writeln!(out, "  section:   {section}");
    }
    if let Some(reference) = &src.reference {
        let _ = writeln!(out, "  ref:       {reference}");
    }
    if let Some(url) = &src.url {
        let _ = writeln!(out, "  url:       {url}");
    }
    let _ = writeln!(
        out,
        "  verified:  {}; confidence: {}",
        yes_no(l.verified),
        l.confidence
    );
    match l.basis_value {
        Some(_) => {
            let _ = writeln!(
                out,
                "Basis:       {} {}{}",
                basis_figure(l),
                l.basis,
                l.basis_as_at
                    .map(|d| format!(", as at {d}"))
                    .unwrap_or_default()
            );
        }
        None => {
            let _ = writeln!(out, "Basis:       {} (no figure)", l.basis);
        }
    }
    for e in &l.estimates {
        let _ = writeln!(out, "  ESTIMATE:  {e}");
    }
    let _ = writeln!(
        out,
        "Rate:        {} {} ({})",
        l.rate
            .map(|r| format!("£{r}"))
            .unwrap_or_else(|| "not known".into()),
        l.unit.words(),
        l.unit
    );
    let _ = writeln!(out, "Status:      {}", status_words(&l.status));
    if let LineStatus::NotComputed(_) = l.status {
        return;
    }
    let _ = writeln!(out, "Arithmetic:  {}", l.working);
    let year = run.financial_year;
    let covered = months_of(year)
        .into_iter()
        .filter(|m| l.period_from <= *m && *m <= l.period_to)
        .count();
    let _ = writeln!(
        out,
        "Part year:   the stream covers {} to {}: {covered} month{} of {year}; {} paid{}",
        l.period_from,
        l.period_to,
        if covered == 1 { "" } else { "s" },
        l.months_paid,
        if l.months_paid < covered {
            " (the network was not active for the rest)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "Amount:      {} this year (full {}: {})",
        l.amount,
        if l.unit.is_annual() { "year" } else { "period" },
        l.full_amount
    );
    if l.schedule.is_empty() {
        let _ = writeln!(
            out,
            "Instalments: none on a schedule ({})",
            status_words(&l.status)
        );
    } else {
        let _ = writeln!(out, "Instalments:");
        for i in &l.schedule {
            let _ = writeln!(
                out,
                "  {:<9} paid {}  {:>14}",
                month_words(i.month),
                i.pay_date,
                i.amount.to_string()
            );
        }
        let _ = writeln!(
            out,
            "  {:<9} {:>30}",
            "total",
            l.schedule
                .iter()
                .map(|i| i.amount)
                .sum::<Pence>()
                .to_string()
        );
    }
    if l.paid_to == PaidTo::Practice && !l.to_practices.is_empty() {
        let _ = writeln!(out, "To each practice:");
        for (code, amount) in &l.to_practices {
            let _ = writeln!(
                out,
                "  {code} {:<40} {:>14}",
                member_name(network, code),
                amount.to_string()
            );
        }
    }
}
