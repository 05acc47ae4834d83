//! The evidence behind the rulebook's payments corrections, until `pcn
//! reconcile` exists: reads a payment run written by `pcn pay --format json`
//! and the year's NHS Payments to General Practice file, reconciles them with
//! `pcn_core::reconcile`, and prints the national table per published column
//! (compared, within 1/2/5% before and after timing, median error), the
//! causes, and the implied rates of the "rate" items.
//!
//! ```sh
//! pcn --database /tmp/x.sqlite pay --year 2021-22 --format json > run.json
//! cargo run --release -p pcn-import --example reconcile_evidence -- \
//!     --run run.json --payments ../shared/data/nhsd-nhs-payments-gp-2021-22/nhspaymentsgp-21-22-prac.csv.gz
//! ```
//!
//! Alternatives for the population-basis cause are the year's own quarterly
//! mean lists and weighted populations from the payments file, summed over
//! each network's members.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use chrono::NaiveDate;
use pcn_core::funding::{
    Instalment, Line, LineStatus, MemberInputs, MissingInputs, NetworkPay, PayRun, Statement,
    Totals,
};
use pcn_core::money::Pence;
use pcn_core::reconcile::{
    reconcile_payments, AlternativeBasis, Band, Cause, ReconcileOptions, Reconciliation,
};
use pcn_core::rulebook::{
    Basis, Confidence, FinancialYear, Keyword, PaidTo, Source, SourceKind, Timing, Unit,
};
use pcn_core::{Decimal, PcnCode, PopulationKind, PopulationSubject, PracticeCode, SubIcbCode};
use serde_json::Value;

fn text<'a>(v: &'a Value, key: &str) -> Result<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("{key} missing in {v}"))
}

fn opt_text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn keyword<K: Keyword>(v: &Value, key: &str) -> Result<K> {
    let t = text(v, key)?;
    K::parse(t).ok_or_else(|| anyhow!("{t:?} is not {}", K::WHAT))
}

fn decimal(v: &Value, key: &str) -> Result<Option<Decimal>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(Decimal::from_str(s)?)),
        Some(Value::Number(n)) => Ok(Some(Decimal::from_str(&n.to_string())?)),
        Some(other) => bail!("{key}: {other} is not a number"),
    }
}

fn pence(v: &Value, key: &str) -> Result<Pence> {
    v.get(key)
        .and_then(Value::as_i64)
        .map(Pence)
        .ok_or_else(|| anyhow!("{key} missing"))
}

fn date(v: &Value, key: &str) -> Result<Option<NaiveDate>> {
    opt_text(v, key).map(|s| Ok(s.parse()?)).transpose()
}

/// The `[practice, number]` pairs under `key`, each number read by `number`.
fn practice_pairs<T>(
    v: &Value,
    key: &str,
    number: impl Fn(&Value) -> T,
) -> Result<Vec<(PracticeCode, T)>> {
    let Some(pairs) = v[key].as_array() else {
        return Ok(Vec::new());
    };
    pairs
        .iter()
        .map(|p| {
            Ok((
                PracticeCode::parse(p[0].as_str().unwrap_or(""))?,
                number(&p[1]),
            ))
        })
        .collect()
}

fn line(v: &Value) -> Result<Line> {
    // `{"status": {"status": "not_computed", "reason": "…"}}`
    let status_of = &v["status"];
    let status = match text(status_of, "status")? {
        "scheduled" => LineStatus::Scheduled,
        "maximum" => LineStatus::Maximum,
        "on_achievement" => LineStatus::OnAchievement,
        "not_computed" => {
            LineStatus::NotComputed(opt_text(status_of, "reason").unwrap_or("").into())
        }
        other => bail!("status {other:?}"),
    };
    let source = &v["source"];
    Ok(Line {
        rule_id: text(v, "rule_id")?.into(),
        stream_id: text(v, "stream_id")?.parse()?,
        stream_name: text(v, "stream_name")?.into(),
        component_id: text(v, "component_id")?.into(),
        paid_to: keyword::<PaidTo>(v, "paid_to")?,
        timing: keyword::<Timing>(v, "timing")?,
        basis: keyword::<Basis>(v, "basis")?,
        basis_value: decimal(v, "basis_value")?,
        basis_as_at: date(v, "basis_as_at")?,
        rate: decimal(v, "rate")?,
        unit: keyword::<Unit>(v, "unit")?,
        period_from: date(v, "period_from")?.context("period_from")?,
        period_to: date(v, "period_to")?.context("period_to")?,
        full_amount: pence(v, "full_amount")?,
        amount: pence(v, "amount")?,
        months_paid: v["months_paid"].as_u64().unwrap_or(0) as usize,
        schedule: v["schedule"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|i| {
                        Ok(Instalment {
                            month: date(i, "month")?.context("month")?,
                            pay_date: date(i, "pay_date")?.context("pay_date")?,
                            amount: pence(i, "amount")?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .transpose()?
            .unwrap_or_default(),
        to_practices: practice_pairs(v, "to_practices", |n| Pence(n.as_i64().unwrap_or(0)))?,
        practice_months: practice_pairs(v, "practice_months", |n| n.as_u64().unwrap_or(0) as u32)?,
        status,
        estimates: v["estimates"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        working: opt_text(v, "working").unwrap_or("").into(),
        source: Source {
            reference: opt_text(source, "ref").map(String::from),
            document: opt_text(source, "document").unwrap_or("").into(),
            section: opt_text(source, "section").map(String::from),
            url: opt_text(source, "url").map(String::from),
            kind: opt_text(source, "kind")
                .and_then(SourceKind::parse)
                .unwrap_or(SourceKind::Secondary),
        },
        confidence: keyword::<Confidence>(v, "confidence")?,
        verified: v["verified"].as_bool().unwrap_or(false),
    })
}

/// A payment run from `pcn pay --format json`.
fn run_from_json(v: &Value) -> Result<PayRun> {
    let year: FinancialYear = text(v, "financial_year")?.parse()?;
    let mut networks = Vec::new();
    for n in v["networks"].as_array().context("networks")? {
        let s = &n["statement"];
        let lines = s["lines"]
            .as_array()
            .context("lines")?
            .iter()
            .map(line)
            .collect::<Result<Vec<_>>>()?;
        let members = n["members"]
            .as_array()
            .context("members")?
            .iter()
            .map(|m| {
                Ok(MemberInputs {
                    code: PracticeCode::parse(text(m, "code")?)?,
                    name: opt_text(m, "name").map(String::from),
                    registered: None,
                    weighted: None,
                    membership_months: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        networks.push(std::sync::Arc::new(NetworkPay {
            statement: Statement {
                financial_year: year,
                pcn: PcnCode::parse(text(s, "pcn")?)?,
                name: opt_text(s, "name").map(String::from),
                commissioner: opt_text(s, "commissioner")
                    .map(SubIcbCode::parse)
                    .transpose()?,
                payee: opt_text(s, "payee").map(PracticeCode::parse).transpose()?,
                lines,
                totals: Totals::default(),
                monthly: Vec::new(),
            },
            members,
            distribution_method: None,
            distribution_problem: None,
            at_risk: Vec::new(),
            distribution: None,
        }));
    }
    Ok(PayRun {
        financial_year: year,
        membership_as_at: year.start(),
        missing: MissingInputs::Estimate,
        networks,
    })
}

fn band_cells(b: &Band) -> String {
    let share = |n: usize| {
        if b.compared == 0 {
            "–".to_string()
        } else {
            format!("{n} ({:.1}%)", n as f64 * 100.0 / b.compared as f64)
        }
    };
    format!(
        "{} | {} | {} | {} | {}",
        b.compared,
        share(b.within_1),
        share(b.within_2),
        share(b.within_5),
        b.median_percent
            .map(|m| format!("{m}%"))
            .unwrap_or_else(|| "–".into())
    )
}

fn print(r: &Reconciliation, took: std::time::Duration) {
    println!("## {} (paid from the {})\n", r.financial_year, r.paid_from);
    println!("reconciled in {took:?}\n");
    println!("| column | streams | owed | paid | networks owed | paid | measure | compared | within 1% | within 2% | within 5% | median error |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for g in &r.national {
        for (measure, band) in [
            ("all, before timing", &g.before_timing),
            ("all, after timing", &g.after_timing),
            ("full year, before timing", &g.full_year_before_timing),
            ("full year, after timing", &g.full_year_after_timing),
        ] {
            println!(
                "| {} | {} | £{} | £{} | {} | {} | {measure} | {} |",
                g.group,
                g.streams.join(", "),
                g.owed.to_pounds().round(),
                g.paid.to_pounds().round(),
                g.networks_owed,
                g.networks_paid,
                band_cells(band)
            );
        }
    }
    println!("\n### Paid the full year (all compared but timing other than twelve months, after timing)\n");
    println!("| column | compared | within 1% | within 2% | within 5% | median error |");
    println!("|---|---|---|---|---|---|");
    for g in &r.national {
        println!("| {} | {} |", g.group, band_cells(&g.paid_full_year));
    }
    println!("\n### Causes\n");
    for g in &r.national {
        println!("- {}: {:?}", g.group, g.causes);
    }
    println!("\n### Implied rates of the 'rate' items (paid ÷ basis, a year)\n");
    for g in &r.national {
        let mut rates: Vec<Decimal> = r
            .networks
            .iter()
            .flat_map(|n| n.items.iter())
            .filter(|i| i.group == g.group)
            .filter_map(|i| match &i.cause {
                Cause::Rate {
                    implied_rate: Some(x),
                    ..
                } => Some(*x),
                _ => None,
            })
            .collect();
        rates.sort();
        if rates.is_empty() {
            continue;
        }
        let q = |p: usize| rates[(rates.len() - 1) * p / 100];
        println!(
            "- {}: {} items; implied rate p10 {} p25 {} median {} p75 {} p90 {}",
            g.group,
            rates.len(),
            q(10),
            q(25),
            q(50),
            q(75),
            q(90)
        );
    }
    let estimated = r
        .networks
        .iter()
        .flat_map(|n| n.items.iter())
        .filter(|i| i.estimated)
        .count();
    println!("\nitems whose amount owed rests on an estimate: {estimated}");
    println!(
        "unattributed payments: {} (£{})",
        r.unattributed.len(),
        r.unattributed
            .iter()
            .map(|u| u.amount)
            .sum::<Pence>()
            .to_pounds()
    );
    println!(
        "networks paid with no statement: {}",
        r.networks.iter().filter(|n| !n.in_statement).count()
    );
    println!(
        "streams owed with no published column: {:?}",
        r.not_published
    );
    for (c, amount, why) in &r.not_compared {
        println!("not compared: {c} (£{}): {why}", amount.to_pounds());
    }
}

/// The Network Participation Payment practice by practice, whatever the
/// membership records say: each practice's payment against the year's rate
/// times its own weighted population from the same file (the mean of the
/// year's quarterly figures), for the practices paid at all.
fn practice_check(
    run: &PayRun,
    parsed: &pcn_import::ParsedFile,
    weighted: &BTreeMap<&PracticeCode, Decimal>,
) {
    let rate = run
        .networks
        .iter()
        .flat_map(|n| n.statement.lines.iter())
        .find(|l| l.stream_id == "network-participation-payment")
        .and_then(|l| l.rate);
    let Some(rate) = rate else { return };
    let mut percents = Vec::new();
    for f in parsed
        .facts
        .payment_actuals
        .iter()
        .filter(|f| f.stream == "PCN Participation")
    {
        let Some(w) = weighted.get(&f.practice) else {
            continue;
        };
        let owed = rate * *w;
        if owed.is_zero() {
            continue;
        }
        let paid = Pence(f.amount).to_pounds();
        percents.push(((paid - owed) * Decimal::ONE_HUNDRED / owed).round_dp(2));
    }
    let band = Band::of(percents);
    println!(
        "### Network Participation Payment practice by practice: paid against £{rate} × the \
         practice's weighted population of the same year (payments file)\n"
    );
    println!("| practices | within 1% | within 2% | within 5% | median error |");
    println!("|---|---|---|---|---|");
    println!("| {} |\n", band_cells(&band));
}

fn main() -> Result<()> {
    let mut run_path: Option<PathBuf> = None;
    let mut payments: Option<PathBuf> = None;
    let mut json_out: Option<PathBuf> = None;
    let mut lists_path: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--run" => run_path = args.next().map(PathBuf::from),
            "--payments" => payments = args.next().map(PathBuf::from),
            "--json" => json_out = args.next().map(PathBuf::from),
            "--lists" => lists_path = args.next().map(PathBuf::from),
            other => bail!("unknown argument {other}"),
        }
    }
    let run_path = run_path.context("--run FILE (pcn pay --format json)")?;
    let payments = payments.context("--payments FILE")?;
    let run = run_from_json(&serde_json::from_str(&std::fs::read_to_string(&run_path)?)?)?;
    let opts = pcn_import::ImportOptions {
        as_at: None,
        today: NaiveDate::from_ymd_opt(2026, 1, 1).context("date")?,
        limits: pcn_import::Limits::default(),
    };
    let start = Instant::now();
    let parsed = pcn_import::read_path(&payments, &opts, &mut |_| {})?;
    eprintln!("read {} in {:?}", payments.display(), start.elapsed());

    // Alternatives: the year's quarterly means from the file, over each network's members.
    let date = pcn_import::payments::figures_date(run.financial_year);
    let lists: BTreeMap<&PracticeCode, u64> = parsed
        .facts
        .list_sizes
        .iter()
        .filter(|l| l.as_at == date)
        .map(|l| (&l.practice, l.total))
        .collect();
    let weighted: BTreeMap<&PracticeCode, Decimal> = parsed
        .facts
        .populations
        .iter()
        .filter(|p| p.kind == PopulationKind::Weighted && p.as_at == date)
        .filter_map(|p| match &p.subject {
            PopulationSubject::Practice(c) => Some((c, p.value)),
            PopulationSubject::Network(_) => None,
        })
        .collect();
    // The statement's own lists (`--lists`: the file its lists come from),
    // over the practices the payments file puts in each network.
    let statement_lists: BTreeMap<PracticeCode, u64> = match &lists_path {
        Some(path) => {
            let p = pcn_import::read_path(path, &opts, &mut |_| {})?;
            p.facts
                .list_sizes
                .iter()
                .filter(|l| l.as_at == p.data_date)
                .map(|l| (l.practice.clone(), l.total))
                .collect()
        }
        None => BTreeMap::new(),
    };
    let mut file_members: BTreeMap<&PcnCode, std::collections::BTreeSet<&PracticeCode>> =
        BTreeMap::new();
    for f in &parsed.facts.payment_actuals {
        if let Some(p) = &f.pcn {
            file_members.entry(p).or_default().insert(&f.practice);
        }
    }
    let mut options = ReconcileOptions::default();
    for n in &run.networks {
        let reg: u64 = n.members.iter().filter_map(|m| lists.get(&m.code)).sum();
        let w: Decimal = n.members.iter().filter_map(|m| weighted.get(&m.code)).sum();
        options.alternatives.insert(
            n.statement.pcn.clone(),
            vec![
                AlternativeBasis {
                    basis: Basis::RegisteredList,
                    label: format!("mean registered list of {} (payments file)", run.financial_year),
                    value: Decimal::from(reg),
                },
                AlternativeBasis {
                    basis: Basis::WeightedPopulation,
                    label: format!("mean weighted population of {} (payments file)", run.financial_year),
                    value: w,
                },
                AlternativeBasis {
                    basis: Basis::RegisteredList,
                    label: "the statement's lists of the practices the payments file puts in the network".into(),
                    value: Decimal::from(
                        file_members
                            .get(&n.statement.pcn)
                            .map(|m| m.iter().filter_map(|c| statement_lists.get(*c)).sum::<u64>())
                            .unwrap_or(0),
                    ),
                },
            ],
        );
    }
    practice_check(&run, &parsed, &weighted);
    let start = Instant::now();
    let r = reconcile_payments(&run, &parsed.facts.payment_actuals, &options);
    let took = start.elapsed();
    print(&r, took);
    if let Some(out) = json_out {
        std::fs::write(&out, serde_json::to_string_pretty(&r)?)?;
    }
    Ok(())
}
