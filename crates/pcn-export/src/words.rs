//! The words and small sums every rendering of a payment run shares, so a
//! terminal table, a CSV, a workbook and a web page say the same thing the
//! same way.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use pcn_core::funding::{
    Distribution, Line, LineStatus, MissingInputs, NetworkPay, PayRun, Statement, Totals,
};
use pcn_core::money::Pence;
use pcn_core::rulebook::PaidTo;
use pcn_core::text::grouped;

/// The network of a statement: its code and name.
pub fn network_title(s: &Statement) -> String {
    format!(
        "{} {}",
        s.pcn,
        s.name.as_deref().unwrap_or("(no name recorded)")
    )
}

/// The status in words, as people read it.
pub fn status_words(status: &LineStatus) -> String {
    match status {
        LineStatus::Scheduled => "scheduled".into(),
        LineStatus::Maximum => "maximum (ARRS)".into(),
        LineStatus::OnAchievement => "on achievement".into(),
        LineStatus::NotComputed(why) => format!("not computed: {why}"),
    }
}

/// The status as a stable code (as in the JSON).
pub fn status_code(status: &LineStatus) -> &'static str {
    match status {
        LineStatus::Scheduled => "scheduled",
        LineStatus::Maximum => "maximum",
        LineStatus::OnAchievement => "on_achievement",
        LineStatus::NotComputed(_) => "not_computed",
    }
}

pub fn paid_to_words(paid_to: PaidTo) -> &'static str {
    match paid_to {
        PaidTo::Pcn => "network",
        PaidTo::Practice => "practices",
    }
}

pub fn distribution_words(method: &Distribution) -> String {
    match method {
        Distribution::ByRegisteredList => "by registered list".into(),
        Distribution::ByWeightedList => "by weighted list".into(),
        Distribution::Equal => "in equal shares".into(),
        Distribution::Percentages(_) => "by agreed percentages (weights in basis points)".into(),
        Distribution::Fixed(_) => "in fixed amounts (the rest stays with the network)".into(),
    }
}

pub fn or_blank<T: ToString>(value: Option<&T>) -> String {
    value.map(ToString::to_string).unwrap_or_default()
}

/// The value, or "not recorded".
pub fn or_not_recorded<T: ToString>(value: Option<&T>) -> String {
    value.map_or_else(|| "not recorded".into(), ToString::to_string)
}

/// The totals of a statement or a run as labelled amounts, the first (what
/// is scheduled to the network or networks) labelled `to_network`.
pub fn totals_rows(t: &Totals, to_network: &'static str) -> [(&'static str, Pence); 4] {
    [
        (to_network, t.scheduled_to_network),
        (
            "To practices directly (scheduled)",
            t.scheduled_to_practices,
        ),
        ("ARRS maximum (claimable)", t.claimable_maximum),
        ("On achievement (IIF/CAIP)", t.on_achievement),
    ]
}

pub fn month_words(month: NaiveDate) -> String {
    month.format("%b %Y").to_string()
}

pub fn basis_figure(line: &Line) -> String {
    line.basis_value
        .map(|v| grouped(v.normalize()))
        .unwrap_or_default()
}

pub fn rate_words(line: &Line) -> String {
    line.rate.map(|r| format!("£{r}")).unwrap_or_default()
}

/// Whether the line has an amount (a line not computed has none, and shows
/// none rather than a zero).
pub fn computed(line: &Line) -> bool {
    !matches!(line.status, LineStatus::NotComputed(_))
}

/// A money field of a CSV row, blank when the line was not computed.
pub fn pence_or_blank(line: &Line, text: String) -> String {
    if computed(line) {
        text
    } else {
        String::new()
    }
}

/// Every estimate a statement rests on, once each, in the order first met.
pub fn estimate_notes(statement: &Statement) -> Vec<&str> {
    let mut notes: Vec<&str> = Vec::new();
    for line in &statement.lines {
        for e in &line.estimates {
            if !notes.contains(&e.as_str()) {
                notes.push(e);
            }
        }
    }
    notes
}

/// A line's estimate marker: the numbers of its notes, `[1,2]`.
pub fn estimate_mark(line: &Line, notes: &[&str]) -> String {
    if line.estimates.is_empty() {
        return String::new();
    }
    let numbers: Vec<String> = line
        .estimates
        .iter()
        .filter_map(|e| {
            notes
                .iter()
                .position(|n| n == e)
                .map(|i| (i + 1).to_string())
        })
        .collect();
    format!("[{}]", numbers.join(","))
}

/// The scheduled lines' instalments combined: `(month, pay date, amount)`,
/// by pay date then month.
pub fn combined_schedule(statement: &Statement) -> Vec<(NaiveDate, NaiveDate, Pence)> {
    let mut by_date: BTreeMap<(NaiveDate, NaiveDate), Pence> = BTreeMap::new();
    for line in statement
        .lines
        .iter()
        .filter(|l| l.status == LineStatus::Scheduled)
    {
        for i in &line.schedule {
            *by_date.entry((i.pay_date, i.month)).or_default() += i.amount;
        }
    }
    by_date
        .into_iter()
        .map(|((pay, month), amount)| (month, pay, amount))
        .collect()
}

pub fn member_name<'a>(network: &'a NetworkPay, code: &pcn_core::PracticeCode) -> &'a str {
    network
        .members
        .iter()
        .find(|m| &m.code == code)
        .and_then(|m| m.name.as_deref())
        .unwrap_or("")
}

pub fn add_totals(sum: &mut Totals, t: &Totals) {
    sum.scheduled_to_network += t.scheduled_to_network;
    sum.scheduled_to_practices += t.scheduled_to_practices;
    sum.claimable_maximum += t.claimable_maximum;
    sum.on_achievement += t.on_achievement;
}

pub fn run_totals(run: &PayRun) -> Totals {
    let mut sum = Totals::default();
    for n in &run.networks {
        add_totals(&mut sum, &n.statement.totals);
    }
    sum
}

pub fn missing_words(run: &PayRun) -> &'static str {
    match run.missing {
        MissingInputs::Refuse => "missing inputs refused (--strict)",
        MissingInputs::Estimate => {
            "missing inputs estimated; every line resting on an estimate is marked"
        }
    }
}

/// The note every rendering carries: year, membership date, how missing
/// inputs were treated, and what the kinds of amount mean.
pub fn generation_note(run: &PayRun) -> String {
    format!(
        "Network Contract DES {}: membership as at {}; {}. ARRS is the most claimable; IIF/CAIP are paid on achievement.",
        run.financial_year,
        run.membership_as_at,
        missing_words(run)
    )
}
