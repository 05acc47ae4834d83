//! A network plan for a terminal: the summary by group and in total, every
//! exception with its reason, each proposed network with its members and
//! where each comes from, and (when priced) the affected networks' income
//! before and after.

use std::fmt::Write as _;

use comfy_table::Cell;
use pcn_app::plan::Proposal;
use pcn_core::plan::money::{Income, MoneyComparison};
use pcn_core::plan::{Changes, Grouping, Measures, ProposedMember};
use pcn_core::text::thousands;
use pcn_export::plan::{band_words, reason_words};

use crate::output::{right, table};

/// The whole plan as text.
pub fn plan_table(proposal: &Proposal, money: Option<&MoneyComparison>) -> String {
    let plan = &proposal.plan;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Proposed networks for {}{} as at {}: {} to {} patients, seed {}, planned within each {}",
        proposal.area,
        proposal
            .area_name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default(),
        proposal.as_at,
        thousands(plan.config.floor),
        thousands(plan.config.ceiling),
        plan.config.seed,
        match proposal.grouping {
            Grouping::Icb => "ICB",
            Grouping::SubIcb => "sub-ICB location",
        }
    );
    if !proposal.pins.is_empty() {
        let pins: Vec<String> = proposal.pins.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "Pinned (kept as they are): {}", pins.join(", "));
    }
    out.push('\n');
    out.push_str(&summary(proposal));
    out.push_str("\n\n");
    out.push_str(&exceptions(proposal));
    out.push_str(&networks(proposal));
    if let Some(money) = money {
        out.push_str("\n\n");
        out.push_str(&money_table(money));
    }
    if !proposal.ungrouped.is_empty() {
        let codes: Vec<String> = proposal.ungrouped.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "\nNot planned (no ICB or sub-ICB location recorded): {}",
            codes.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "\nPlanned {} groups in {:.2} s{}.",
        plan.groups.len(),
        proposal.timing.seconds,
        if proposal.timing.budget_reached {
            " (the time budget ran out: some groups were searched less)"
        } else {
            ""
        }
    );
    out
}

fn arrow<T: std::fmt::Display>(before: T, after: T) -> String {
    format!("{before} → {after}")
}

fn summary_row(
    group: &str,
    name: &str,
    (before, after, changes): (&Measures, &Measures, &Changes),
    exceptions: usize,
) -> Vec<Cell> {
    vec![
        Cell::new(group),
        Cell::new(name),
        right(changes.practices),
        right(arrow(before.networks, after.networks)),
        right(arrow(before.in_band, after.in_band)),
        right(format!("{:.1}%", 100.0 * after.in_band_share())),
        right(changes.practices_moved),
        right(changes.practices_placed),
        right(format!(
            "{} of {}",
            thousands(changes.network_pairs_kept),
            thousands(changes.network_pairs)
        )),
        right(format!(
            "{} of {}",
            changes.partner_pairs_kept, changes.partner_pairs
        )),
        right(arrow(
            format!("{:.2}", before.rms_km),
            format!("{:.2}", after.rms_km),
        )),
        right(exceptions),
    ]
}

fn summary(proposal: &Proposal) -> String {
    let plan = &proposal.plan;
    let mut t = table(&[
        "group",
        "name",
        "practices",
        "networks",
        "in band",
        "in band %¹",
        "moved",
        "placed²",
        "pairs kept³",
        "partners kept",
        "RMS km⁴",
        "exceptions",
    ]);
    for g in &plan.groups {
        t.add_row(summary_row(
            &g.group.to_string(),
            g.name.as_deref().unwrap_or(""),
            (&g.before, &g.after, &g.changes),
            g.exceptions.len(),
        ));
    }
    if plan.groups.len() > 1 {
        t.add_row(summary_row(
            &proposal.area,
            "all groups",
            (&plan.before, &plan.after, &plan.changes),
            plan.exceptions,
        ));
    }
    format!(
        "{t}\n¹ of proposed networks, leaving out single practices over the ceiling.\n\
         ² from the U placeholder or no network.\n\
         ³ pairs of practices of one current network that stay together.\n\
         ⁴ patient-weighted root mean square distance of practices to their network's centre."
    )
}

fn exceptions(proposal: &Proposal) -> String {
    let listed: Vec<_> = proposal
        .plan
        .groups
        .iter()
        .flat_map(|g| g.exceptions.iter().map(move |e| (g, e)))
        .collect();
    if listed.is_empty() {
        return "No exceptions: every proposed network is in band.\n\n".into();
    }
    let mut t = table(&["group", "network", "practice", "patients", "why"]);
    for (g, e) in listed.iter() {
        t.add_row(vec![
            Cell::new(g.group.to_string()),
            Cell::new(&e.network),
            Cell::new(
                e.practice
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ),
            right(thousands(e.list_size)),
            Cell::new(reason_words(&e.reason)),
        ]);
    }
    format!("Exceptions ({})\n{t}\n\n", listed.len())
}

fn from_words(m: &ProposedMember) -> String {
    match (&m.from, m.moved) {
        (None, _) => "no network (placed)".into(),
        (Some(from), _) if from.is_unallocated() => "U (placed)".into(),
        (Some(from), true) => format!("{from} (moved)"),
        (Some(from), false) => from.to_string(),
    }
}

fn networks(proposal: &Proposal) -> String {
    let mut t = table(&[
        "network", "patients", "band", "practice", "patients", "from",
    ]);
    let mut count = 0;
    for n in proposal.plan.groups.iter().flat_map(|g| &g.networks) {
        count += 1;
        let band = match &n.exception {
            Some(reason) if n.band != pcn_core::plan::Band::In => {
                format!(
                    "{} (exception: {})",
                    band_words(n.band),
                    reason_words(reason)
                )
            }
            _ => band_words(n.band).to_string(),
        };
        for (i, m) in n.members.iter().enumerate() {
            let first = i == 0;
            t.add_row(vec![
                Cell::new(if first { n.label.as_str() } else { "" }),
                right(if first {
                    thousands(n.list_size)
                } else {
                    String::new()
                }),
                Cell::new(if first { band.as_str() } else { "" }),
                Cell::new(m.practice.to_string()),
                right(thousands(m.list_size)),
                Cell::new(from_words(m)),
            ]);
        }
    }
    format!("Proposed networks ({count}) and where each member comes from\n{t}")
}

fn money_cells(income: Option<Income>, f: fn(&Income) -> pcn_core::money::Pence) -> Cell {
    right(
        income
            .map(|i| f(&i).to_string())
            .unwrap_or_else(|| "—".into()),
    )
}

/// One line of the money table.
struct MoneyRow {
    network: String,
    members: String,
    /// Before and after.
    sides: [Option<Income>; 2],
    difference: Income,
    estimated: bool,
}

fn money_table(money: &MoneyComparison) -> String {
    if money.networks.is_empty() {
        return format!(
            "What changes money, {}: no network's members change.\n",
            money.financial_year
        );
    }
    let mut t = table(&[
        "network",
        "members",
        "core funding",
        "→ after",
        "participation",
        "→ after",
        "ARRS Sum",
        "→ after",
        "difference",
        "est.",
    ]);
    let streams: [fn(&Income) -> pcn_core::money::Pence; 3] =
        [|i| i.core_funding, |i| i.participation, |i| i.arrs_sum];
    let mut rows: Vec<MoneyRow> = money
        .networks
        .iter()
        .map(|n| MoneyRow {
            network: format!("{}{}", n.network, if n.new { " (new)" } else { "" }),
            members: arrow(n.members_before, n.members_after),
            sides: [n.before, n.after],
            difference: n.difference,
            estimated: n.estimated,
        })
        .collect();
    rows.push(MoneyRow {
        network: "all affected".into(),
        members: String::new(),
        sides: [Some(money.before), Some(money.after)],
        difference: money.difference,
        estimated: money.networks.iter().any(|n| n.estimated),
    });
    for row in rows {
        let mut cells = vec![Cell::new(row.network), right(row.members)];
        for f in streams {
            cells.push(money_cells(row.sides[0], f));
            cells.push(money_cells(row.sides[1], f));
        }
        let d = row.difference;
        cells.push(right(
            (d.core_funding + d.participation + d.arrs_sum).to_string(),
        ));
        cells.push(Cell::new(if row.estimated { "yes" } else { "" }));
        t.add_row(cells);
    }
    format!(
        "What changes money, {} (the year's payment run with today's and with the proposed networks, both from {})\n{t}\n\
         The difference is the three streams together; the ARRS Sum is the most a network can claim. \
         \"est.\": a line rests on an estimated input (see pcn pay).\n",
        money.financial_year, money.start
    )
}
