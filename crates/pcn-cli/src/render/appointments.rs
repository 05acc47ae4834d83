//! Appointments against the 2019 pledge for a terminal: the monthly trend
//! and the pledge year by year, with the change by staff and the notes.

use std::collections::BTreeMap;

use pcn_app::appointments::AreaAppointments;
use pcn_core::appointments::NotCounted;
use pcn_core::arrs::YearMonth;
use pcn_core::text::{grouped, signed, thousands};
use pcn_core::PracticeCode;
use pcn_export::appointments::{pledge_years, trend_row};

use crate::output::{right, table};

fn months(n: u32) -> String {
    if n == 1 {
        "1 month".into()
    } else {
        format!("{n} months")
    }
}

/// The trend, one month a row; a network's roster and census columns only
/// when it has them. Months with no figure at all (between two editions of
/// a practice's crosstab, say) are left out of the table and counted under
/// it; CSV and JSON keep every month.
pub fn trend_text(a: &AreaAppointments) -> String {
    let staff = a
        .trend
        .iter()
        .any(|r| r.roster_arrs_wte.is_some() || r.census_arrs_fte.is_some());
    let mut header = vec![
        "month",
        "appointments",
        "same month 2019",
        "change",
        "per 1,000",
        "other staff",
    ];
    if staff {
        header.extend(["roster ARRS WTE", "census ARRS FTE"]);
    }
    let mut t = table(&header);
    let mut empty = 0;
    for r in &a.trend {
        if r.appointments.is_none() && r.roster_arrs_wte.is_none() && r.census_arrs_fte.is_none() {
            empty += 1;
            continue;
        }
        let cells = trend_row(r);
        let mut row = vec![
            cells[0].clone().into(),
            right(r.appointments.map(thousands).unwrap_or_default()),
            right(r.same_month_2019.map(thousands).unwrap_or_default()),
            right(signed(r.change_on_2019)),
            right(&cells[4]),
            right(r.other_practice_staff.map(thousands).unwrap_or_default()),
        ];
        if staff {
            row.push(right(&cells[6]));
            row.push(right(&cells[7]));
        }
        t.add_row(row);
    }
    let mut out = format!("Appointments by month, {}\n{t}\n", a.area);
    if a.trend.is_empty() {
        out = format!("No appointment figures for {} are held.\n", a.area);
    }
    if empty > 0 {
        out.push_str(&format!("{} with no figures left out\n", months(empty)));
    }
    out.push_str(&not_counted_text(&a.not_counted));
    out
}

/// A network's practice-months that counted for no network, one line per
/// practice and reason (in none, in more than one) with the months' span.
fn not_counted_text(not_counted: &[NotCounted]) -> String {
    let mut groups: BTreeMap<(&PracticeCode, bool), (Vec<YearMonth>, u64)> = BTreeMap::new();
    for n in not_counted {
        let g = groups
            .entry((&n.practice, n.networks.is_empty()))
            .or_default();
        g.0.push(n.month);
        g.1 += n.appointments;
    }
    let mut out = String::new();
    for ((practice, in_none), (months_of, appointments)) in groups {
        let (first, last) = (months_of.iter().min(), months_of.iter().max());
        let (Some(first), Some(last)) = (first, last) else {
            continue;
        };
        out.push_str(&format!(
            "not counted: {practice}, {} between {first} and {last} ({} appointments): {}\n",
            months(months_of.len() as u32),
            thousands(appointments),
            if in_none {
                "in no network on the month's first day"
            } else {
                "in more than one network on the month's first day"
            }
        ));
    }
    out
}

/// The pledge: one row a year, the change by staff, and the notes.
pub fn pledge_text(a: &AreaAppointments) -> String {
    let p = &a.pledge;
    let mut out = format!(
        "The pledge for {}: {} more appointments a year than in 2019",
        a.area,
        thousands(p.target)
    );
    if let Some(s) = &p.share {
        out.push_str(&format!(
            " (its share: {} of England's {} registered patients at {})",
            thousands(s.area_patients),
            thousands(s.england_patients),
            s.as_at
        ));
    }
    out.push('\n');
    let mut t = table(&[
        "year",
        "months",
        "recorded",
        "per 1,000",
        "change on 2019",
        "%",
        "gap to the pledge",
        "estimated England",
        "GP",
        "other staff",
    ]);
    for y in pledge_years(p) {
        let staff = |i: usize| y.by_hcp.map(|s| thousands(s[i])).unwrap_or_default();
        t.add_row(vec![
            y.label.clone().into(),
            right(y.months),
            right(thousands(y.recorded)),
            right(y.per_thousand.map(grouped).unwrap_or_default()),
            right(signed(y.change)),
            right(
                y.change_percent
                    .map(|c| format!("{c}%"))
                    .unwrap_or_default(),
            ),
            right(y.gap.map(grouped).unwrap_or_default()),
            right(y.estimated_england_total.map(thousands).unwrap_or_default()),
            right(staff(0)),
            right(staff(1)),
        ]);
    }
    out.push_str(&format!("{t}\n"));
    if !p.staff.is_empty() {
        let mut s = table(&["year", "staff", "2019", "year", "change", "share of change"]);
        for c in &p.staff {
            s.add_row(vec![
                format!("{} ({})", c.label, months(c.months)).into(),
                c.hcp.label().into(),
                right(thousands(c.baseline)),
                right(thousands(c.year)),
                right(signed(Some(c.change))),
                right(
                    c.share_of_change_percent
                        .map(|p| format!("{p}%"))
                        .unwrap_or_default(),
                ),
            ]);
        }
        out.push_str(&format!("Change by staff group\n{s}\n"));
    }
    for n in &p.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}
