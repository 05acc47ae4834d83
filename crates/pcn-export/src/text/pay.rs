//! A payment run as plain text: a full statement for one network, a summary
//! with per-stream totals for several.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::words::*;
use comfy_table::Cell;
use pcn_core::funding::{LineStatus, NetworkPay, PayRun, Statement};
use pcn_core::money::Pence;
use pcn_core::text::grouped;

use super::{right, table};

/// The run for a terminal: a full statement for one network, a summary with
/// per-stream totals for several.
pub fn run_table(run: &PayRun) -> String {
    match run.networks.as_slice() {
        [] => format!(
            "No networks in the payment run for {}.\n",
            run.financial_year
        ),
        [network] => network_table(run, network),
        networks => summary_table(run, networks),
    }
}

fn network_table(run: &PayRun, network: &NetworkPay) -> String {
    let s = &network.statement;
    let notes = estimate_notes(s);
    let mut out = statement_heading(run, s, &notes);
    out.push_str(&lines_table(s, &notes));
    out.push_str("\n\n");
    out.push_str(&at_risk_words(network));
    out.push_str(&totals_table(s));
    out.push_str("\n\n");
    out.push_str(&schedule_table(s));
    out.push_str(&distribution_table(network));
    out
}

/// The statement's heading: the network, its commissioner, payee and
/// membership date, and the notes of any estimates the lines rest on.
fn statement_heading(run: &PayRun, s: &Statement, notes: &[&str]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: Network Contract DES statement {}",
        network_title(s),
        s.financial_year
    );
    let _ = writeln!(
        out,
        "Commissioner: {}   Payee: {}   Membership as at {}",
        or_not_recorded(s.commissioner.as_ref()),
        or_not_recorded(s.payee.as_ref()),
        run.membership_as_at
    );
    if !notes.is_empty() {
        let estimated = s.lines.iter().filter(|l| l.is_estimated()).count();
        let _ = writeln!(
            out,
            "\n*** ESTIMATED: {estimated} of {} lines rest on estimates (marked [n]) ***",
            s.lines.len()
        );
        for (i, note) in notes.iter().enumerate() {
            let _ = writeln!(out, "  [{}] {note}", i + 1);
        }
    }
    out.push('\n');
    out
}

/// One row per line of the statement, a line not computed shown as `—`.
fn lines_table(s: &Statement, notes: &[&str]) -> String {
    let mut lines = table(&[
        "stream",
        "component",
        "basis figure",
        "as at",
        "rate",
        "unit",
        "this year",
        "months",
        "status",
        "est.",
    ]);
    for line in &s.lines {
        lines.add_row(vec![
            Cell::new(&line.stream_name),
            Cell::new(&line.component_id),
            right(basis_figure(line)),
            Cell::new(or_blank(line.basis_as_at.as_ref())),
            right(rate_words(line)),
            Cell::new(line.unit.words()),
            right(if computed(line) {
                line.amount.to_string()
            } else {
                "—".to_string()
            }),
            right(if computed(line) {
                line.months_paid.to_string()
            } else {
                "—".to_string()
            }),
            Cell::new(status_words(&line.status)),
            Cell::new(estimate_mark(line, notes)),
        ]);
    }
    lines.to_string()
}

/// The conditions the network's payments are at risk on, if any.
fn at_risk_words(network: &NetworkPay) -> String {
    let mut out = String::new();
    for r in &network.at_risk {
        let _ = writeln!(
            out,
            "At risk ({}): {}.\n  Source: {}",
            r.rule, r.why, r.source
        );
    }
    if !network.at_risk.is_empty() {
        out.push_str(
            "The amounts below are what the DES provides once the conditions are met.\n\n",
        );
    }
    out
}

/// The statement's totals: scheduled to the network and to practices,
/// claimable and on achievement.
fn totals_table(s: &Statement) -> String {
    let mut totals = table(&["totals", "amount"]);
    for (label, amount) in totals_rows(&s.totals, "To the network (scheduled)") {
        totals.add_row(vec![Cell::new(label), right(amount)]);
    }
    totals.to_string()
}

/// The scheduled lines combined month by month, with a total (nothing when
/// no line is scheduled).
fn schedule_table(s: &Statement) -> String {
    let schedule = combined_schedule(s);
    if schedule.is_empty() {
        return String::new();
    }
    let mut out = String::from("Monthly schedule (scheduled lines combined)\n");
    let mut table_ = table(&["month", "pay date", "amount"]);
    for (month, pay, amount) in &schedule {
        table_.add_row(vec![
            Cell::new(month_words(*month)),
            Cell::new(pay),
            right(amount),
        ]);
    }
    table_.add_row(vec![
        Cell::new("total"),
        Cell::new(""),
        right(schedule.iter().map(|(_, _, a)| *a).sum::<Pence>()),
    ]);
    out.push_str(&table_.to_string());
    out.push_str("\n\n");
    out
}

/// The distribution to member practices (their shares and the top-slice),
/// or why none was made.
fn distribution_table(network: &NetworkPay) -> String {
    let mut out = String::new();
    if let Some(d) = &network.distribution {
        let _ = writeln!(
            out,
            "Distribution to member practices{}: {} to divide, top-slice {} kept by the network, {} distributed",
            network
                .distribution_method
                .as_ref()
                .map(|m| format!(" ({})", distribution_words(m)))
                .unwrap_or_default(),
            d.total,
            d.top_slice,
            d.distributed
        );
        let mut shares = table(&["practice", "name", "weight", "share"]);
        for share in &d.shares {
            shares.add_row(vec![
                Cell::new(&share.practice),
                Cell::new(member_name(network, &share.practice)),
                right(grouped(share.weight)),
                right(share.amount),
            ]);
        }
        shares.add_row(vec![
            Cell::new("top-slice"),
            Cell::new("kept by the network"),
            Cell::new(""),
            right(d.top_slice),
        ]);
        out.push_str(&shares.to_string());
        out.push('\n');
    }
    if let Some(problem) = &network.distribution_problem {
        let _ = writeln!(out, "Distribution to member practices: not made: {problem}");
    }
    out
}

fn summary_table(run: &PayRun, networks: &[std::sync::Arc<NetworkPay>]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Network Contract DES payment run {}: {} networks, membership as at {}; {}.\n",
        run.financial_year,
        grouped(networks.len()),
        run.membership_as_at,
        missing_words(run)
    );
    let mut summary = table(&[
        "PCN",
        "name",
        "commissioner",
        "to network",
        "to practices",
        "ARRS max",
        "on achievement",
        "estimated",
    ]);
    for n in networks {
        let s = &n.statement;
        summary.add_row(vec![
            Cell::new(&s.pcn),
            Cell::new(s.name.as_deref().unwrap_or("")),
            Cell::new(or_blank(s.commissioner.as_ref())),
            right(s.totals.scheduled_to_network),
            right(s.totals.scheduled_to_practices),
            right(s.totals.claimable_maximum),
            right(s.totals.on_achievement),
            Cell::new(if s.is_estimated() { "yes" } else { "" }),
        ]);
    }
    out.push_str(&summary.to_string());
    out.push_str("\n\n");

    let commissioners: HashSet<_> = networks
        .iter()
        .map(|n| n.statement.commissioner.as_ref())
        .collect();
    let scope = match commissioners.iter().next() {
        Some(Some(c)) if commissioners.len() == 1 => format!("commissioner {c}"),
        _ => "national".to_string(),
    };
    let _ = writeln!(out, "Totals by stream ({scope})");
    let mut streams = table(&[
        "stream",
        "paid to",
        "amount",
        "networks",
        "estimated",
        "not computed",
    ]);
    for st in run.stream_totals() {
        streams.add_row(vec![
            Cell::new(format!("{} ({})", st.stream_name, st.stream_id)),
            Cell::new(paid_to_words(st.paid_to)),
            right(st.amount),
            right(grouped(st.networks)),
            right(grouped(st.estimated)),
            right(grouped(st.not_computed)),
        ]);
    }
    out.push_str(&streams.to_string());
    out.push_str("\n\n");

    let t = run_totals(run);
    let estimated = networks
        .iter()
        .filter(|n| n.statement.is_estimated())
        .count();
    let not_computed = networks
        .iter()
        .filter(|n| {
            n.statement
                .lines
                .iter()
                .any(|l| matches!(l.status, LineStatus::NotComputed(_)))
        })
        .count();
    let mut totals = table(&["totals", "amount"]);
    for (label, amount) in totals_rows(&t, "To networks (scheduled)") {
        totals.add_row(vec![Cell::new(label), right(amount)]);
    }
    totals.add_row(vec![
        Cell::new("Networks with an estimated line"),
        right(grouped(estimated)),
    ]);
    totals.add_row(vec![
        Cell::new("Networks with a line not computed"),
        right(grouped(not_computed)),
    ]);
    out.push_str(&totals.to_string());
    out.push('\n');
    out
}
#[cfg(test)]
mod tests {
    use crate::fixtures::*;
    use pcn_core::money::Pence;

    use super::run_table;

    #[test]
    fn table_for_one_network_shows_amounts_schedule_and_distribution() {
        let run = two_networks();
        let complete = one(&run, 0);
        let s = &complete.networks[0].statement;
        let text = run_table(&complete);
        assert!(text.contains("U00001 U00001 TEST PCN"), "{text}");
        assert!(!text.contains("ESTIMATED"), "{text}");
        // £2.266 × 45,139 registered patients = £102,284.97.
        assert!(text.contains("£102,284.97"), "{text}");
        assert!(text.contains("45,139"), "{text}");
        assert!(
            text.contains(&s.totals.scheduled_to_network.to_string()),
            "{text}"
        );
        assert!(text.contains("maximum (ARRS)"), "{text}");
        assert!(text.contains("Apr 2025"), "{text}");
        assert!(text.contains("2025-04-30"), "{text}");
        assert!(text.contains("ALPHA SURGERY"), "{text}");
        assert!(text.contains("£1,000.00"), "top-slice: {text}");
        let shares = &complete.networks[0].distribution.as_ref().unwrap().shares;
        assert!(text.contains(&shares[1].amount.to_string()), "{text}");

        let estimated = one(&run, 1);
        let text = run_table(&estimated);
        assert!(text.contains("*** ESTIMATED"), "{text}");
        assert!(text.contains("[1]"), "{text}");
        assert!(text.contains("estimated as the registered list"), "{text}");
        // The estimate is listed once however many lines rest on it.
        let note = &estimated.networks[0]
            .statement
            .lines
            .iter()
            .find(|l| l.is_estimated())
            .unwrap()
            .estimates[0];
        assert_eq!(text.matches(note.as_str()).count(), 1, "{text}");
        assert!(text.contains("not computed: "), "{text}");
    }

    #[test]
    fn table_for_several_networks_summarises_and_totals_streams() {
        let run = two_networks();
        let text = run_table(&run);
        assert!(text.contains("U00001") && text.contains("U00002"), "{text}");
        assert!(text.contains("commissioner 00L"), "{text}");
        let core: Pence = run
            .networks
            .iter()
            .flat_map(|n| &n.statement.lines)
            .filter(|l| l.stream_id == "core-pcn-funding")
            .map(|l| l.amount)
            .sum();
        assert!(text.contains(&core.to_string()), "{core} in {text}");
        let to_networks: Pence = run
            .networks
            .iter()
            .map(|n| n.statement.totals.scheduled_to_network)
            .sum();
        assert!(text.contains(&to_networks.to_string()), "{text}");
        assert!(text.contains("Networks with an estimated line"), "{text}");
    }

    #[test]
    fn an_empty_run_says_so() {
        assert!(run_table(&run_of(Vec::new())).contains("No networks"));
    }

    #[test]
    fn the_statement_of_one_network_reads_as_before() {
        // The whole table, so any change to its wording or figures is seen.
        insta::assert_snapshot!(run_table(&one(&two_networks(), 0)));
    }

    #[test]
    fn the_summary_of_several_networks_reads_as_before() {
        insta::assert_snapshot!(run_table(&two_networks()));
    }
}
