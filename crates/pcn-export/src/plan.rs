//! A network plan as files: CSV tables (groups, networks, members,
//! exceptions, money) and one workbook holding them all, shared by
//! `pcn plan` and the web app's "Proposed configuration" download; and the
//! words every rendering of a plan uses for bands and exceptions.

use pcn_core::money::Pence;
use pcn_core::plan::money::{Income, MoneyComparison};
use pcn_core::plan::{
    Band, Changes, ExceptionReason, GroupPlan, Measures, NoLocationPlacement, Plan,
};
use rust_xlsxwriter::Workbook;

use crate::table::{self, Cell};
use crate::words::or_blank;
use crate::xlsx::{Formats, Sheet};
use crate::Result;

/// A band in words.
pub fn band_words(band: Band) -> &'static str {
    match band {
        Band::Under => "under the floor",
        Band::In => "in band",
        Band::Over => "over the ceiling",
    }
}

/// An exception's reason as a stable code (as in the JSON).
pub fn reason_code(reason: &ExceptionReason) -> &'static str {
    match reason {
        ExceptionReason::PracticeOverCeiling => "practice_over_ceiling",
        ExceptionReason::IsolatedArea { .. } => "isolated_area",
        ExceptionReason::Waiver { .. } => "waiver",
        ExceptionReason::Pinned => "pinned",
        ExceptionReason::NoLocation { .. } => "no_location",
        ExceptionReason::Unresolved => "unresolved",
    }
}

/// An exception's reason in words.
pub fn reason_words(reason: &ExceptionReason) -> String {
    match reason {
        ExceptionReason::PracticeOverCeiling => {
            "one practice over the ceiling on its own: no network can bring it into band".into()
        }
        ExceptionReason::IsolatedArea { patients } => format!(
            "an isolated area of {} patients that no set of in-band networks can hold",
            pcn_core::text::thousands(*patients)
        ),
        ExceptionReason::Waiver { exception } => {
            format!("under the floor with a recorded size exception ({exception})")
        }
        ExceptionReason::Pinned => "pinned: kept as it is".into(),
        ExceptionReason::NoLocation { placement } => match placement {
            NoLocationPlacement::WithCurrentNetwork => {
                "no coordinates: kept with its current network".into()
            }
            NoLocationPlacement::WhereItFits => {
                "no coordinates: placed in the network with most room".into()
            }
            NoLocationPlacement::OnItsOwn => "no coordinates: kept as a network of its own".into(),
        },
        ExceptionReason::Unresolved => "no in-band configuration found".into(),
    }
}

/// The summary table's columns: one row per group, then `all`.
pub const GROUP_COLUMNS: [&str; 22] = [
    "group",
    "name",
    "practices",
    "networks_before",
    "in_band_before",
    "under_floor_before",
    "over_ceiling_before",
    "practices_without_network_before",
    "rms_km_before",
    "networks_after",
    "in_band_after",
    "under_floor_after",
    "over_ceiling_after",
    "single_practice_over_ceiling_after",
    "rms_km_after",
    "practices_moved",
    "patients_moved",
    "practices_placed",
    "network_pairs_kept",
    "network_pairs",
    "partner_pairs_kept",
    "exceptions",
];

fn group_row(
    group: &str,
    name: &str,
    before: &Measures,
    after: &Measures,
    changes: &Changes,
    exceptions: usize,
) -> Vec<Cell> {
    let n = |v: usize| Cell::Number(v as u64);
    vec![
        Cell::Text(group.to_string()),
        Cell::Text(name.to_string()),
        n(changes.practices),
        n(before.networks),
        n(before.in_band),
        n(before.under_floor),
        n(before.over_ceiling),
        n(before.practices_without_network),
        Cell::Real(before.rms_km),
        n(after.networks),
        n(after.in_band),
        n(after.under_floor),
        n(after.over_ceiling),
        n(after.single_practice_over_ceiling),
        Cell::Real(after.rms_km),
        n(changes.practices_moved),
        Cell::Number(changes.patients_moved),
        n(changes.practices_placed),
        Cell::Number(changes.network_pairs_kept),
        Cell::Number(changes.network_pairs),
        Cell::Text(format!(
            "{} of {}",
            changes.partner_pairs_kept, changes.partner_pairs
        )),
        n(exceptions),
    ]
}

/// Per group, then the whole plan (`all`).
pub fn group_rows(plan: &Plan) -> Vec<Vec<Cell>> {
    let mut rows: Vec<Vec<Cell>> = plan
        .groups
        .iter()
        .map(|g| {
            group_row(
                &g.group.to_string(),
                g.name.as_deref().unwrap_or(""),
                &g.before,
                &g.after,
                &g.changes,
                g.exceptions.len(),
            )
        })
        .collect();
    rows.push(group_row(
        "all",
        "",
        &plan.before,
        &plan.after,
        &plan.changes,
        plan.exceptions,
    ));
    rows
}

/// The proposed networks' columns.
pub const NETWORK_COLUMNS: [&str; 12] = [
    "group",
    "network",
    "continues",
    "members",
    "members_moved_in",
    "list_size",
    "band",
    "exception",
    "contiguous",
    "rms_km",
    "centroid_lat",
    "centroid_lon",
];

/// A point's latitude and longitude cells, to `places` decimal places
/// (blank where there is no point).
fn coordinate_cells(point: Option<pcn_core::facts::LatLon>, places: usize) -> [Cell; 2] {
    let degrees = |d: fn(&pcn_core::facts::LatLon) -> f64| {
        Cell::Text(
            point
                .map(|p| format!("{:.*}", places, d(&p)))
                .unwrap_or_default(),
        )
    };
    [degrees(|p| p.lat), degrees(|p| p.lon)]
}

fn exception_text(reason: Option<&ExceptionReason>) -> String {
    reason.map(reason_words).unwrap_or_default()
}

/// One row per proposed network.
pub fn network_rows(plan: &Plan) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    for (g, n) in networks(plan) {
        let [lat, lon] = coordinate_cells(n.centroid, 5);
        rows.push(vec![
            Cell::Text(g.group.to_string()),
            Cell::Text(n.label.clone()),
            Cell::Text(or_blank(n.continues.as_ref())),
            Cell::Number(n.members.len() as u64),
            Cell::Number(n.members.iter().filter(|m| m.moved).count() as u64),
            Cell::Number(n.list_size),
            Cell::Text(band_words(n.band).to_string()),
            Cell::Text(exception_text(n.exception.as_ref())),
            Cell::Text(if n.contiguous { "yes" } else { "no" }.to_string()),
            Cell::Real(n.rms_km),
            lat,
            lon,
        ]);
    }
    rows
}

fn networks(plan: &Plan) -> impl Iterator<Item = (&GroupPlan, &pcn_core::plan::ProposedNetwork)> {
    plan.groups
        .iter()
        .flat_map(|g| g.networks.iter().map(move |n| (g, n)))
}

/// The members' columns: one row per practice, with its proposed network.
pub const MEMBER_COLUMNS: [&str; 11] = [
    "group",
    "network",
    "network_list_size",
    "band",
    "practice",
    "list_size",
    "from",
    "moved",
    "lat",
    "lon",
    "exception",
];

/// One row per practice.
pub fn member_rows(plan: &Plan) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    for (g, n) in networks(plan) {
        for m in &n.members {
            let own = g
                .exceptions
                .iter()
                .find(|e| e.practice.as_ref() == Some(&m.practice));
            let [lat, lon] = coordinate_cells(m.location, 6);
            rows.push(vec![
                Cell::Text(g.group.to_string()),
                Cell::Text(n.label.clone()),
                Cell::Number(n.list_size),
                Cell::Text(band_words(n.band).to_string()),
                Cell::Text(m.practice.to_string()),
                Cell::Number(m.list_size),
                Cell::Text(or_blank(m.from.as_ref())),
                Cell::Text(if m.moved { "yes" } else { "no" }.to_string()),
                lat,
                lon,
                Cell::Text(exception_text(own.map(|e| &e.reason))),
            ]);
        }
    }
    rows
}

/// The exceptions' columns.
pub const EXCEPTION_COLUMNS: [&str; 6] =
    ["group", "network", "practice", "reason", "why", "list_size"];

/// One row per exception (a network's, or a practice's within it).
pub fn exception_rows(plan: &Plan) -> Vec<Vec<Cell>> {
    plan.groups
        .iter()
        .flat_map(|g| {
            g.exceptions.iter().map(move |e| {
                vec![
                    Cell::Text(g.group.to_string()),
                    Cell::Text(e.network.clone()),
                    Cell::Text(or_blank(e.practice.as_ref())),
                    Cell::Text(reason_code(&e.reason).to_string()),
                    Cell::Text(reason_words(&e.reason)),
                    Cell::Number(e.list_size),
                ]
            })
        })
        .collect()
}

/// The money table's columns: per affected network, each stream before,
/// after and the difference, in pounds.
pub const MONEY_COLUMNS: [&str; 15] = [
    "network",
    "new",
    "members_before",
    "members_after",
    "core_funding_before",
    "core_funding_after",
    "core_funding_difference",
    "participation_before",
    "participation_after",
    "participation_difference",
    "arrs_sum_before",
    "arrs_sum_after",
    "arrs_sum_difference",
    "estimated",
    "financial_year",
];

/// A money row: `[network, new]`, the members before and after, the income
/// before and after, the difference, and `[estimated, year]`.
fn money_row(
    [network, new]: [&str; 2],
    members: [Cell; 2],
    [before, after]: [Option<Income>; 2],
    difference: Income,
    [estimated, year]: [&str; 2],
) -> Vec<Cell> {
    let amount = |i: Option<Income>, f: fn(&Income) -> Pence| match i {
        Some(i) => Cell::Money(f(&i)),
        None => Cell::Text(String::new()),
    };
    let [members_before, members_after] = members;
    let mut row = vec![
        Cell::Text(network.to_string()),
        Cell::Text(new.to_string()),
        members_before,
        members_after,
    ];
    for f in [
        (|i: &Income| i.core_funding) as fn(&Income) -> Pence,
        |i: &Income| i.participation,
        |i: &Income| i.arrs_sum,
    ] {
        row.extend([
            amount(before, f),
            amount(after, f),
            Cell::Money(f(&difference)),
        ]);
    }
    row.push(Cell::Text(estimated.to_string()));
    row.push(Cell::Text(year.to_string()));
    row
}

/// One row per affected network, then the total (`all`).
pub fn money_rows(money: &MoneyComparison) -> Vec<Vec<Cell>> {
    let year = money.financial_year.to_string();
    let yes = |b: bool| if b { "yes" } else { "no" };
    let mut rows: Vec<Vec<Cell>> = money
        .networks
        .iter()
        .map(|n| {
            money_row(
                [&n.network, yes(n.new)],
                [
                    Cell::Number(n.members_before as u64),
                    Cell::Number(n.members_after as u64),
                ],
                [n.before, n.after],
                n.difference,
                [yes(n.estimated), &year],
            )
        })
        .collect();
    let any_estimated = money.networks.iter().any(|n| n.estimated);
    rows.push(money_row(
        ["all", ""],
        [Cell::Text(String::new()), Cell::Text(String::new())],
        [Some(money.before), Some(money.after)],
        money.difference,
        [yes(any_estimated), &year],
    ));
    rows
}

/// Which table a CSV holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanTable {
    Groups,
    Networks,
    Members,
    Exceptions,
}

/// One table of the plan as CSV.
pub fn plan_csv(plan: &Plan, which: PlanTable) -> Result<String> {
    match which {
        PlanTable::Groups => table::csv(&GROUP_COLUMNS, &group_rows(plan)),
        PlanTable::Networks => table::csv(&NETWORK_COLUMNS, &network_rows(plan)),
        PlanTable::Members => table::csv(&MEMBER_COLUMNS, &member_rows(plan)),
        PlanTable::Exceptions => table::csv(&EXCEPTION_COLUMNS, &exception_rows(plan)),
    }
}

/// The money table as CSV, money in exact pounds.
pub fn money_csv(money: &MoneyComparison) -> Result<String> {
    table::csv(&MONEY_COLUMNS, &money_rows(money))
}

/// A sheet of the workbook: its name, heading, columns and rows.
type SheetSpec<'a> = (&'a str, &'a str, &'a [&'a str], Vec<Vec<Cell>>);

/// The plan as a workbook: a sheet per table (Summary, Networks, Members,
/// Exceptions, and Money when given), each under a title line.
pub fn plan_xlsx(title: &str, plan: &Plan, money: Option<&MoneyComparison>) -> Result<Vec<u8>> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let band = format!(
        "Band {} to {} patients; seed {}. {title}",
        pcn_core::text::thousands(plan.config.floor),
        pcn_core::text::thousands(plan.config.ceiling),
        plan.config.seed
    );
    let mut sheets: Vec<SheetSpec> = vec![
        (
            "Summary",
            "Proposed networks by group",
            &GROUP_COLUMNS[..],
            group_rows(plan),
        ),
        (
            "Networks",
            "Proposed networks",
            &NETWORK_COLUMNS[..],
            network_rows(plan),
        ),
        (
            "Members",
            "Practices in their proposed networks",
            &MEMBER_COLUMNS[..],
            member_rows(plan),
        ),
        (
            "Exceptions",
            "Exceptions and their reasons",
            &EXCEPTION_COLUMNS[..],
            exception_rows(plan),
        ),
    ];
    if let Some(money) = money {
        sheets.push((
            "Money",
            "Affected networks' income before and after (the year's run, both from its first day)",
            &MONEY_COLUMNS[..],
            money_rows(money),
        ));
    }
    for (name, heading, columns, rows) in sheets {
        let mut sheet = Sheet::add(&mut workbook, &formats, name)?;
        sheet.title(heading, &band)?;
        table::write(&mut sheet, 3, columns, &rows)?;
        sheet.ws.autofit();
    }
    Ok(workbook.save_to_buffer()?)
}
