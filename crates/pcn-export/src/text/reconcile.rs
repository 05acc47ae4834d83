//! A reconciliation as plain text: each network's rows (owed, paid, the
//! difference, the months it amounts to, the cause), then the summary per
//! published column nationally and per commissioner.

use std::fmt::Write as _;

use crate::reconcile::measures;
use comfy_table::Cell;
use pcn_core::money::Pence;
use pcn_core::reconcile::{Band, GroupSummary, Item, Reconciliation};

use super::{right, table};

fn percent(p: Option<pcn_core::Decimal>) -> String {
    p.map(|p| format!("{p}%")).unwrap_or_else(|| "—".into())
}

fn months(i: &Item) -> String {
    match i.months_paid {
        Some(paid) => format!("{paid} of {}", i.months_owed),
        None => "—".into(),
    }
}

/// `n (p%)` of a band's count.
fn share(n: usize, of: usize) -> String {
    if of == 0 {
        "—".into()
    } else {
        format!("{n} ({:.1}%)", n as f64 * 100.0 / of as f64)
    }
}

fn band_cells(band: &Band) -> Vec<Cell> {
    vec![
        right(band.compared),
        right(share(band.within_1, band.compared)),
        right(share(band.within_2, band.compared)),
        right(share(band.within_5, band.compared)),
        right(percent(band.median_percent)),
    ]
}

/// The summary of each column for one area, one row per measure.
fn summary_table(groups: &[GroupSummary], with_paid_full_year: bool) -> String {
    let mut t = table(&[
        "compared as",
        "owed",
        "paid",
        "networks owed / paid",
        "measure",
        "compared",
        "within 1%",
        "within 2%",
        "within 5%",
        "median difference",
    ]);
    for g in groups {
        for (measure, band) in measures(g) {
            if measure == "paid the full year" && !with_paid_full_year {
                continue;
            }
            let mut row = vec![
                Cell::new(&g.group),
                right(if g.networks_owed > 0 {
                    g.owed.to_string()
                } else {
                    "unknown".into()
                }),
                right(g.paid),
                right(format!("{} / {}", g.networks_owed, g.networks_paid)),
                Cell::new(measure),
            ];
            row.extend(band_cells(band));
            t.add_row(row);
        }
    }
    t.to_string()
}

/// The pooled payees: networks of a commissioner paid a column through one
/// practice, compared as one; those that do not agree are unexplained.
fn pools_text(out: &mut String, r: &Reconciliation) {
    if r.pools.is_empty() {
        return;
    }
    let agree = r.pools.iter().filter(|p| p.agrees).count();
    let _ = writeln!(
        out,
        "\nPooled payees: {} (agreeing {agree}, each counted once in the summary; the others \
         are unexplained and their networks keep their causes)",
        r.pools.len()
    );
    for p in &r.pools {
        let _ = writeln!(out, "  {}", p.describe());
    }
}

/// The whole reconciliation as text.
pub fn reconciliation_table(r: &Reconciliation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Reconciliation {}: the statements against the {} ({} networks)\n",
        r.financial_year,
        r.paid_from,
        r.networks.len()
    );
    let mut items = table(&[
        "network",
        "name",
        "compared as",
        "owed",
        "paid",
        "difference",
        "%",
        "months",
        "cause",
        "est.",
    ]);
    for n in &r.networks {
        for i in &n.items {
            items.add_row(vec![
                Cell::new(&n.pcn),
                Cell::new(n.name.as_deref().unwrap_or("")),
                Cell::new(&i.group),
                right(if i.owed_known() {
                    i.owed.to_string()
                } else {
                    "unknown".into()
                }),
                right(i.paid),
                right(if i.owed_known() {
                    i.difference.to_string()
                } else {
                    "—".into()
                }),
                right(percent(i.difference_percent)),
                right(months(i)),
                Cell::new(i.cause.describe()),
                Cell::new(if i.estimated { "est." } else { "" }),
            ]);
        }
    }
    out.push_str(&items.to_string());
    out.push_str("\n\nEngland, per published column\n");
    out.push_str(&summary_table(&r.national, true));
    out.push('\n');
    for g in &r.national {
        let causes: Vec<String> = g.causes.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let _ = writeln!(out, "  {}: {}", g.group, causes.join(", "));
    }
    if r.by_commissioner.len() > 1 {
        for (c, groups) in &r.by_commissioner {
            let _ = writeln!(out, "\nCommissioner {c}");
            out.push_str(&summary_table(groups, false));
            out.push('\n');
        }
    }
    pools_text(&mut out, r);
    let unattributed: Pence = r.unattributed.iter().map(|u| u.amount).sum();
    if !r.unattributed.is_empty() {
        let _ = writeln!(
            out,
            "\n{} payments ({unattributed}) went to practices no network could be given.",
            r.unattributed.len()
        );
    }
    if !r.not_published.is_empty() {
        let _ = writeln!(
            out,
            "Streams owed that no published column holds this year: {}.",
            r.not_published.join(", ")
        );
    }
    for (column, amount, why) in &r.not_compared {
        let _ = writeln!(out, "Not compared: {column} ({amount}): {why}.");
    }
    out.push_str(
        "\n\"after timing\" measures a timing difference against the months it amounts to; \
         \"paid the full year\" leaves out networks paid a whole number of months other than twelve; \
         an agreeing pool (networks paid through one payee) is compared once, as one.\n",
    );
    out
}
