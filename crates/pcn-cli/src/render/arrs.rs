//! ARRS for a terminal: roles, rosters, claims, budgets, plans and the
//! national picture.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use comfy_table::Cell;
use pcn_app::arrs::Plan;
use pcn_core::arrs::{
    Budget, ClaimRecord, ClaimState, MonthClaim, NationalReport, NetworkArrs, Post, YearMonth,
};
use pcn_core::money::Pence;
use pcn_core::rulebook::{FinancialYear, Region, Rulebook, YearRules};
use pcn_core::text::thousands;
use pcn_core::{Decimal, PcnCode};
use pcn_export::arrs::RosterRow;

use crate::output::{figures_table, right, table};

/// The reimbursable roles of a year with their maxima.
pub fn roles_text(rb: &Rulebook, y: &YearRules) -> String {
    let fy = y.financial_year;
    let mut t = table(&[
        "role",
        "from",
        "band → pay group",
        "rate",
        "England",
        "outer London",
        "inner London",
        "notes",
    ]);
    for role in &y.arrs.roles {
        for (band, group) in &role.bands {
            let at = role.to;
            let m = |r: Region| rb.arrs_maximum(fy, group, at, r);
            let eng = m(Region::England);
            let show = |x: Option<pcn_core::rulebook::MaximumInForce>| match x {
                Some(x) if x.london_not_known => "-".to_string(),
                Some(x) => format!("£{}", thousands(x.amount.trunc().try_into().unwrap_or(0))),
                None => "-".into(),
            };
            let mut notes = Vec::new();
            if let Some(c) = eng.as_ref().and_then(|e| e.caveat()) {
                notes.push(c);
            }
            if let Some(e) = &eng {
                notes.push(
                    format!(
                        "{:?}{}",
                        e.confidence,
                        if e.verified { ", verified" } else { "" }
                    )
                    .to_lowercase(),
                );
            }
            if !role.partner_share.is_zero() {
                notes.push(format!(
                    "partner meets {}%",
                    (role.partner_share * Decimal::ONE_HUNDRED).normalize()
                ));
            }
            t.add_row(vec![
                Cell::new(role.id.as_str()),
                Cell::new(role.from),
                Cell::new(format!("{band} → {group}")),
                right(format!(
                    "{}%",
                    (role.reimbursed_fraction * Decimal::ONE_HUNDRED).normalize()
                )),
                right(show(eng)),
                right(show(m(Region::OuterLondon))),
                right(show(m(Region::InnerLondon))),
                Cell::new(notes.join("; ")),
            ]);
        }
    }
    let mut text = format!(
        "ARRS roles {fy}: maximum reimbursable amount per WTE a year, at {}\n{t}\n",
        y.financial_year.end()
    );
    if let Some(n) = &y.arrs.note {
        text.push_str(&format!("{n}\n"));
    }
    text.push_str("Sources and each figure's working: rules/");
    text.push_str(&format!("{fy}.toml ([arrs]).\n"));
    text
}

/// A roster as at a date.
pub fn roster_text(rows: &[RosterRow], as_at: NaiveDate) -> String {
    let mut t = table(&[
        "post", "person", "role", "band", "WTE", "salary", "start", "end", "employer", "funding",
        "origin",
    ]);
    let mut total = Decimal::ZERO;
    for r in rows {
        if r.funding == "arrs" {
            total += r.wte.unwrap_or_default();
        }
        t.add_row(vec![
            right(r.post),
            Cell::new(match r.name {
                Some(n) => format!("{} ({n})", r.person),
                None => r.person.to_string(),
            }),
            Cell::new(r.role),
            Cell::new(r.band.unwrap_or("")),
            right(r.wte.map(|w| w.to_string()).unwrap_or_default()),
            right(
                r.salary
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "-".into()),
            ),
            Cell::new(r.start),
            Cell::new(r.end.map_or("".into(), |e| e.to_string())),
            Cell::new(&r.employer),
            Cell::new(r.funding),
            Cell::new(&r.origin),
        ]);
    }
    format!(
        "{} posts as at {as_at} ({} ARRS WTE)\n{t}\n",
        rows.len(),
        total.normalize()
    )
}

/// A network's claim lines for a terminal.
pub fn claims_text(
    code: &PcnCode,
    fy: FinancialYear,
    only: Option<YearMonth>,
    lines: &[MonthClaim],
    posts: &[Post],
    recorded: &[ClaimRecord],
) -> String {
    let by_id: BTreeMap<i64, &Post> = posts.iter().map(|p| (p.id, p)).collect();
    let mut t = table(&[
        "month",
        "post",
        "role",
        "band",
        "WTE",
        "days",
        "cost",
        "cap",
        "claimable",
        "practices",
        "status",
    ]);
    for l in lines {
        let p = by_id.get(&l.post);
        t.add_row(vec![
            Cell::new(l.month),
            right(l.post),
            Cell::new(p.map_or("", |p| p.role.as_str())),
            Cell::new(&l.band),
            right(l.wte.normalize()),
            right(format!("{}/{}", l.days, l.days_in_month)),
            right(l.cost),
            right(l.cap),
            right(l.claimable),
            right(l.met_by_practices),
            Cell::new(ClaimState::of(l, recorded).to_string()),
        ]);
    }
    let total: Pence = lines.iter().map(|l| l.claimable).sum();
    let above: Pence = lines.iter().map(|l| l.met_by_practices).sum();
    let mut caveats: Vec<&String> = lines.iter().flat_map(|l| &l.caveats).collect();
    caveats.sort();
    caveats.dedup();
    let mut text = format!(
        "ARRS claims of {code}, {fy}{}: claimable {total}; met by practices {above}\n{t}\n",
        only.map(|m| format!(", {m}")).unwrap_or_default()
    );
    for c in caveats {
        text.push_str(&format!("estimate: {c}\n"));
    }
    text.push_str("Each line's working: --format json (field \"working\").\n");
    text
}

/// A network's budget against its ARRS Sum.
pub fn budget_text(code: &PcnCode, b: &Budget) -> String {
    let opt = |p: Option<Pence>| p.map_or("not known".to_string(), |p| p.to_string());
    let mut rows = vec![
        ("ARRS Sum".to_string(), opt(b.sum)),
        (
            format!("spent (claimable to {})", b.as_at),
            b.spent.to_string(),
        ),
        ("committed to the year end".into(), b.committed.to_string()),
        ("headroom".into(), opt(b.headroom)),
        ("forecast underspend".into(), opt(b.forecast_underspend)),
        (
            "runs out in".into(),
            b.runs_out.map_or("-".into(), |m| m.to_string()),
        ),
        ("claims paid".into(), b.paid.to_string()),
        (
            "claims outstanding (submitted, approved)".into(),
            b.outstanding.to_string(),
        ),
        ("draft claims".into(), b.drafts.to_string()),
        (
            "ended months not yet claimed".into(),
            b.not_yet_claimed.to_string(),
        ),
        (
            "cost met by practices (above the cap)".into(),
            b.met_by_practices.to_string(),
        ),
    ];
    if b.partner.0 > 0 {
        rows.push(("cost met by partners".into(), b.partner.to_string()));
    }
    let kv = figures_table(rows);
    let mut t = table(&[
        "month",
        "claimable",
        "cumulative",
        "cost",
        "practices",
        "claimed",
    ]);
    for m in &b.months {
        let claimed: Vec<String> = m
            .claimed
            .iter()
            .map(|(s, p)| format!("{} {p}", s.as_str()))
            .collect();
        t.add_row(vec![
            Cell::new(format!("{}{}", m.month, if m.elapsed { "" } else { " *" })),
            right(m.claimable),
            right(m.cumulative),
            right(m.cost),
            right(m.met_by_practices),
            Cell::new(claimed.join(", ")),
        ]);
    }
    let mut text = format!(
        "ARRS budget of {code}, {} as at {}\n{kv}\n{t}\n* committed (from the roster)\n",
        b.financial_year, b.as_at
    );
    for w in &b.warnings {
        text.push_str(&format!("warning: {w}\n"));
    }
    text
}

/// A plan: the budget now and with the plan, and what can still be recruited.
pub fn plan_text(plan: &Plan) -> String {
    let (code, fy, as_at, before, after) =
        (&plan.pcn, plan.year, plan.as_at, &plan.before, &plan.after);
    let (from, can) = (plan.recruitable_from, &plan.recruitable);
    let headroom = after.headroom.unwrap_or(Pence::ZERO);
    let opt = |p: Option<Pence>| p.map_or("not known".to_string(), |p| p.to_string());
    let delta = |a: Option<Pence>, b: Option<Pence>| match (a, b) {
        (Some(a), Some(b)) => (b - a).to_string(),
        _ => "-".into(),
    };
    let mut t = table(&["", "now", "with the plan", "change"]);
    let rows: [(&str, Option<Pence>, Option<Pence>); 5] = [
        (
            "committed to the year end",
            Some(before.committed),
            Some(after.committed),
        ),
        ("headroom", before.headroom, after.headroom),
        (
            "forecast underspend",
            before.forecast_underspend,
            after.forecast_underspend,
        ),
        (
            "cost met by practices",
            Some(before.met_by_practices),
            Some(after.met_by_practices),
        ),
        ("ARRS Sum", before.sum, after.sum),
    ];
    for (label, b, af) in rows {
        t.add_row(vec![
            Cell::new(label),
            right(opt(b)),
            right(opt(af)),
            right(delta(b, af)),
        ]);
    }
    t.add_row(vec![
        Cell::new("headroom runs out in"),
        right(before.runs_out.map_or("-".into(), |m| m.to_string())),
        right(after.runs_out.map_or("-".into(), |m| m.to_string())),
        right(""),
    ]);
    let mut text = format!("ARRS plan for {code}, {fy}, as at {as_at}\n");
    for (h, claim) in &plan.hires {
        let t0 = &h.terms[0];
        text.push_str(&format!(
            "  + {} band {}, {} WTE from {}: claimable {claim} this year\n",
            h.role,
            t0.band,
            t0.wte.normalize(),
            h.start
        ));
    }
    for (id, d) in &plan.ends {
        text.push_str(&format!("  - post {id} ends {d}\n"));
    }
    text.push_str(&format!("{t}\n"));
    for w in &after.warnings {
        text.push_str(&format!("warning: {w}\n"));
    }
    let mut r = table(&[
        "role",
        "band",
        "1 WTE to year end",
        "WTE the headroom funds",
    ]);
    for c in can {
        r.add_row(vec![
            Cell::new(&c.role),
            Cell::new(&c.band),
            right(c.per_wte),
            right(c.wte),
        ]);
    }
    text.push_str(&format!(
        "What {code} can still recruit from {from} with {} of headroom (each role alone, costed at its maximum):\n{r}\n",
        headroom.max(Pence::ZERO)
    ));
    text
}

/// The national picture: totals, WTE by role, the networks with least headroom.
pub fn report_text(report: &NationalReport) -> String {
    let (fy, rows, census) = (report.financial_year, &report.networks, report.census);
    let totals = report.totals();
    let (sum, spend_with_sum) = (totals.sum, totals.spend_with_sum);
    let kv = figures_table([
        ("networks with a roster", rows.len().to_string()),
        (
            "of which with an ARRS Sum this year",
            totals.networks_with_sum.to_string(),
        ),
        ("ARRS WTE", totals.arrs_wte.round_dp(1).to_string()),
        ("other staff WTE", totals.other_wte.round_dp(1).to_string()),
        (
            "estimated ARRS spend (annualised)",
            totals.estimated_spend.to_string(),
        ),
        ("ARRS Sum (networks with one)", sum.to_string()),
        (
            "estimated spend of those networks",
            spend_with_sum.to_string(),
        ),
        ("headroom", (sum - spend_with_sum).to_string()),
        (
            "networks whose roster passes their Sum (as estimated)",
            totals.over_sum.to_string(),
        ),
    ]);
    let mut r = table(&["role", "WTE"]);
    for (role, w) in &totals.wte_by_role {
        r.add_row(vec![Cell::new(role), right(w.round_dp(1))]);
    }
    let mut t = table(&[
        "network",
        "ARRS Sum",
        "estimated spend",
        "headroom",
        "ARRS WTE",
        "used",
    ]);
    let mut sorted: Vec<&NetworkArrs> = rows.iter().collect();
    sorted.sort_by_key(|n| n.headroom.map_or(i64::MAX, |h| h.0));
    for n in sorted.iter().take(15) {
        let used = match n.sum {
            Some(s) if s.0 > 0 => format!(
                "{}%",
                (Decimal::from(n.estimated_spend.0) * Decimal::ONE_HUNDRED / Decimal::from(s.0))
                    .round_dp(0)
            ),
            _ => "-".into(),
        };
        t.add_row(vec![
            Cell::new(format!("{} {}", n.pcn, n.name.clone().unwrap_or_default())),
            right(n.sum.map_or("-".into(), |s| s.to_string())),
            right(n.estimated_spend),
            right(n.headroom.map_or("-".into(), |s| s.to_string())),
            right(n.arrs_wte.round_dp(2)),
            right(used),
        ]);
    }
    format!(
        "ARRS national picture, {fy}{}\n\
An estimate, not spend: the census says who is in post, not who is ARRS-funded or what they are paid, so every\n\
post in a role the DES reimburses is counted as ARRS-funded, claimed for the whole year at its band's maximum.\n\
A network \"passing its Sum\" may fund some of those posts otherwise; record its roster (pcn arrs add/end/change)\n\
for its real position.\n{kv}\nARRS WTE by role\n{r}\nThe 15 networks with the least headroom (all: --format csv)\n{t}\n",
        census.map(|c| format!(", roster from the workforce census of {c}")).unwrap_or_default()
    )
}
