//! `pcn arrs`: the ARRS roster, monthly claims, budget, what-ifs and the
//! national workforce picture.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand, ValueEnum};
use pcn_core::arrs::{
    self, budget, claims_to_make, post_year, recruitable, roster_year, Budget, ClaimRecord,
    ClaimStatus, Employer, Funding, Hire, MonthClaim, Origin, Post, Terms, YearMonth,
};
use pcn_core::funding::MissingInputs;
use pcn_core::money::Pence;
use pcn_core::registry::Registry;
use pcn_core::rulebook::{FinancialYear, Region, Rulebook};
use pcn_core::{Decimal, PcnCode};
use pcn_store::Store;
use serde::Serialize;

use crate::cli::{parse_date, today};
use crate::output::{emit, key_value_table, right, table};
use crate::pay::{build_run, load_rulebook, RunOptions, Selection};

#[derive(Debug, Subcommand)]
pub enum ArrsCommand {
    /// The reimbursable roles of a year: bands, maxima (England, outer and
    /// inner London), reimbursement rate and sources.
    Roles {
        #[arg(long)]
        year: Option<String>,
    },
    /// A network's roster as at a date.
    Roster {
        #[arg(long)]
        pcn: String,
        #[arg(long, value_parser = parse_date)]
        as_at: Option<NaiveDate>,
        /// Include posts that have ended or not yet started.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value_t = Out::Table)]
        format: Out,
    },
    /// Add a post to a network's roster.
    Add(Box<AddArgs>),
    /// Record new terms for a post from a date (a pay award, hours, band);
    /// a date in the past produces arrears at the next claim.
    Change(Box<ChangeArgs>),
    /// Set the day a post ends.
    End {
        #[arg(long)]
        post: i64,
        #[arg(long, value_parser = parse_date)]
        on: NaiveDate,
    },
    /// Record a payroll actual: the whole cost of a post for a month
    /// (salary, employer NI, pension), used instead of the computed cost.
    Cost {
        #[arg(long)]
        post: i64,
        #[arg(long)]
        month: String,
        /// Pounds, e.g. 4321.55.
        #[arg(long)]
        amount: String,
    },
    /// What each post can be claimed for, month by month, with recorded claims.
    Claims(ClaimsArgs),
    /// Make the draft claims for a month: each post's claim (backdated when
    /// late) and arrears for earlier months whose claimable amount changed.
    Claim {
        #[arg(long)]
        pcn: String,
        #[arg(long)]
        month: String,
        /// The date the claims are made (default today).
        #[arg(long, value_parser = parse_date)]
        on: Option<NaiveDate>,
    },
    /// Move a month's claims on: draft → submitted → approved → paid.
    Status {
        #[arg(long)]
        pcn: String,
        #[arg(long)]
        month: String,
        /// submitted, approved or paid.
        #[arg(long)]
        to: String,
        /// Only this post's claims.
        #[arg(long)]
        post: Option<i64>,
    },
    /// The year's ARRS Sum against spend, commitments and claims.
    Budget {
        #[arg(long)]
        pcn: String,
        #[arg(long)]
        year: Option<String>,
        #[arg(long, value_parser = parse_date)]
        as_at: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = Out::Table)]
        format: Out,
    },
    /// What another hire (or a leaver) would do to the budget, and what the
    /// network can still recruit this year.
    Plan(PlanArgs),
    /// The national picture: per network, FTE by role from the roster and
    /// the estimated ARRS spend against the Sum.
    Report {
        #[arg(long)]
        year: Option<String>,
        /// Only this commissioner (sub-ICB or ICB code).
        #[arg(long)]
        commissioner: Option<String>,
        #[arg(long, value_enum, default_value_t = Out::Table)]
        format: Out,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Out {
    Table,
    Csv,
    Json,
    Xlsx,
}

#[derive(Debug, Args, Default)]
pub struct AddArgs {
    #[arg(long)]
    pub pcn: String,
    /// The network's reference for the person (no name needed).
    #[arg(long)]
    pub person: String,
    #[arg(long)]
    pub name: Option<String>,
    /// A role id or name from `pcn arrs roles` (for --funding other: any text).
    #[arg(long)]
    pub role: String,
    /// Agenda for Change band (7, 8a, …) or gp; default the role's band.
    #[arg(long)]
    pub band: Option<String>,
    #[arg(long)]
    pub wte: String,
    #[arg(long, value_parser = parse_date)]
    pub start: NaiveDate,
    #[arg(long, value_parser = parse_date)]
    pub end: Option<NaiveDate>,
    /// Full-time annual salary in pounds (the pay point, before WTE).
    #[arg(long)]
    pub salary: Option<String>,
    /// Employer on-costs a year for the post in pounds, instead of computing them.
    #[arg(long)]
    pub on_costs: Option<String>,
    /// The employer pays the apprenticeship levy.
    #[arg(long)]
    pub levy: bool,
    /// network, practice:CODE or provider:NAME.
    #[arg(long, default_value = "network")]
    pub employer: String,
    /// arrs or other.
    #[arg(long, default_value = "arrs")]
    pub funding: String,
    /// england, outer-london or inner-london.
    #[arg(long, default_value = "england")]
    pub region: String,
}

#[derive(Debug, Args)]
pub struct ChangeArgs {
    #[arg(long)]
    pub post: i64,
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    #[arg(long)]
    pub band: Option<String>,
    #[arg(long)]
    pub wte: Option<String>,
    #[arg(long)]
    pub salary: Option<String>,
    #[arg(long)]
    pub on_costs: Option<String>,
    #[arg(long)]
    pub levy: Option<bool>,
}

#[derive(Debug, Args)]
pub struct ClaimsArgs {
    #[arg(long)]
    pub pcn: String,
    #[arg(long)]
    pub year: Option<String>,
    /// Only this month.
    #[arg(long)]
    pub month: Option<String>,
    #[arg(long, value_enum, default_value_t = Out::Table)]
    pub format: Out,
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[arg(long)]
    pub pcn: String,
    /// A post to add, e.g. "paramedic, band 7, 1.0 WTE, from 2026-12-01"
    /// (also: "to DATE", "salary 45000", "inner london"). Repeat for more.
    #[arg(long)]
    pub add: Vec<String>,
    /// A post that would end: "POST-ID on DATE", e.g. "12 on 2027-01-31".
    #[arg(long)]
    pub end: Vec<String>,
    #[arg(long, value_parser = parse_date)]
    pub as_at: Option<NaiveDate>,
    /// Region for the added posts and the recruitable figures.
    #[arg(long, default_value = "england")]
    pub region: String,
    #[arg(long, value_enum, default_value_t = Out::Table)]
    pub format: Out,
}

fn money(raw: &str, what: &str) -> Result<Pence> {
    let s = raw.trim().trim_start_matches('£').replace(',', "");
    let d = Decimal::from_str_exact(&s).map_err(|_| {
        anyhow!("{what} {raw:?} is not an amount in pounds such as 45000 or 4321.55")
    })?;
    let p = Pence::from_pounds(d).ok_or_else(|| anyhow!("{what} {raw:?} is too large"))?;
    if p.0 < 0 {
        bail!("{what} {raw:?} is negative");
    }
    Ok(p)
}

fn wte(raw: &str) -> Result<Decimal> {
    let d = Decimal::from_str_exact(raw.trim())
        .map_err(|_| anyhow!("WTE {raw:?} is not a number such as 0.8"))?;
    if d <= Decimal::ZERO || d > Decimal::ONE {
        bail!(
            "WTE {} is outside 0–1; a post is at most 1.0 WTE (record two posts for more)",
            d.normalize()
        );
    }
    Ok(d)
}

fn pcn(raw: &str) -> Result<PcnCode> {
    PcnCode::parse(raw).map_err(|e| anyhow!("--pcn: {e}"))
}

fn month(raw: &str) -> Result<YearMonth> {
    raw.parse().map_err(|e: String| anyhow!(e))
}

fn year_or(raw: &Option<String>, as_at: NaiveDate) -> Result<FinancialYear> {
    match raw {
        Some(y) => y.parse().map_err(|e| anyhow!("--year: {e}")),
        None => Ok(FinancialYear::containing(as_at)),
    }
}

/// Each network's ARRS Sum for a year (the `arrs` stream, and `arrs-gp`
/// where the year has one), from the funding engine.
pub fn arrs_sums(
    registry: &Registry,
    rulebook: &Rulebook,
    fy: FinancialYear,
    selection: &Selection,
) -> Result<BTreeMap<PcnCode, Pence>> {
    let rules = rulebook.financial_year(fy).map_err(|e| anyhow!("{e}"))?;
    if registry.latest_date().is_none() {
        return Ok(BTreeMap::new());
    }
    let options = RunOptions {
        missing: MissingInputs::Estimate,
        membership_as_at: None,
        distribution: None,
        top_slice_percent: Decimal::ZERO,
        agreements: BTreeMap::new(),
        assessments: BTreeMap::new(),
    };
    let previous = rulebook.financial_year(fy.previous()).ok();
    let run = build_run(registry, rules, previous, selection, &options)?;
    Ok(run
        .networks
        .iter()
        .filter_map(|n| arrs_sum(&n.statement).map(|sum| (n.statement.pcn.clone(), sum)))
        .collect())
}

/// A statement's ARRS Sum: its `arrs` line, and `arrs-gp` where the year has one.
pub fn arrs_sum(statement: &pcn_core::funding::Statement) -> Option<Pence> {
    let lines: Vec<_> = statement
        .lines
        .iter()
        .filter(|l| l.stream_id == "arrs" || l.stream_id == "arrs-gp")
        .collect();
    (!lines.is_empty()).then(|| lines.iter().map(|l| l.amount).sum())
}

pub async fn run(database: &str, actor: &str, command: ArrsCommand) -> Result<ExitCode> {
    let rulebook = load_rulebook(None)?;
    match command {
        ArrsCommand::Roles { year } => roles(&rulebook, year_or(&year, today())?),
        ArrsCommand::Roster {
            pcn: code,
            as_at,
            all,
            format,
        } => {
            let store = Store::open(database).await?;
            let posts = store.posts(Some(&pcn(&code)?)).await?;
            store.close().await;
            roster(&posts, as_at.unwrap_or_else(today), all, format)
        }
        ArrsCommand::Add(args) => add(database, actor, &rulebook, *args).await,
        ArrsCommand::Change(args) => change(database, actor, &rulebook, *args).await,
        ArrsCommand::End { post, on } => {
            let store = Store::open(database).await?;
            let p = store
                .post(post)
                .await?
                .ok_or_else(|| anyhow!("there is no post {post}"))?;
            let mut ended = p.clone();
            ended.end = Some(on);
            ended.terms.retain(|t| t.effective_from <= on);
            if ended.terms.is_empty() {
                bail!("post {post} would end before its first terms begin");
            }
            arrs::validate_post(&rulebook, &ended).map_err(|e| anyhow!("post {post}: {e}"))?;
            store.set_post_end(&p, Some(on), Utc::now(), actor).await?;
            store.close().await;
            println!("post {post} ends on {on}");
            Ok(ExitCode::SUCCESS)
        }
        ArrsCommand::Cost {
            post,
            month: m,
            amount,
        } => {
            let m = month(&m)?;
            let cost = money(&amount, "--amount")?;
            let store = Store::open(database).await?;
            let p = store
                .post(post)
                .await?
                .ok_or_else(|| anyhow!("there is no post {post}"))?;
            if p.days_in(m) == 0 {
                bail!(
                    "post {post} is not in post in {m} ({} to {}): no cost can be recorded for it",
                    p.start,
                    p.end.map_or("open".into(), |e| e.to_string())
                );
            }
            store.record_cost(&p, m, cost, Utc::now(), actor).await?;
            store.close().await;
            println!("post {post}, {m}: payroll cost {cost} recorded");
            Ok(ExitCode::SUCCESS)
        }
        ArrsCommand::Claims(args) => claims(database, &rulebook, args).await,
        ArrsCommand::Claim {
            pcn: code,
            month: m,
            on,
        } => {
            make_claims(
                database,
                actor,
                &rulebook,
                &code,
                &m,
                on.unwrap_or_else(today),
            )
            .await
        }
        ArrsCommand::Status {
            pcn: code,
            month: m,
            to,
            post,
        } => {
            let code = pcn(&code)?;
            let m = month(&m)?;
            let status = ClaimStatus::parse(&to)
                .filter(|s| *s != ClaimStatus::Draft)
                .ok_or_else(|| anyhow!("--to {to:?}: use submitted, approved or paid"))?;
            let store = Store::open(database).await?;
            let all = store.claims(&code, m.financial_year()).await?;
            let chosen: Vec<ClaimRecord> = all
                .into_iter()
                .filter(|c| c.month == m && post.is_none_or(|p| c.post == p))
                .filter(|c| c.status != status)
                .collect();
            if chosen.is_empty() {
                bail!("no claims of {code} for {m} to move to {}", status.as_str());
            }
            store
                .set_claim_status(&chosen, status, Utc::now(), actor)
                .await?;
            store.close().await;
            let total: Pence = chosen.iter().map(|c| c.amount).sum();
            println!(
                "{} claims of {code} for {m} ({total}) are now {}",
                chosen.len(),
                status.as_str()
            );
            Ok(ExitCode::SUCCESS)
        }
        ArrsCommand::Budget {
            pcn: code,
            year,
            as_at,
            format,
        } => {
            let as_at = as_at.unwrap_or_else(today);
            let fy = year_or(&year, as_at)?;
            let code = pcn(&code)?;
            let year = NetworkYear::load(database, &rulebook, &code, fy).await?;
            let b = year.budget(&rulebook, fy, as_at, &year.posts)?;
            match format {
                Out::Json => emit(&(serde_json::to_string_pretty(&b)? + "\n"), None)?,
                Out::Table => emit(&budget_text(&code, &b), None)?,
                _ => bail!("--format for a budget: table or json"),
            }
            Ok(ExitCode::SUCCESS)
        }
        ArrsCommand::Plan(args) => plan(database, &rulebook, args).await,
        ArrsCommand::Report {
            year,
            commissioner,
            format,
            out,
        } => {
            report(
                database,
                &rulebook,
                year,
                commissioner,
                format,
                out.as_deref(),
            )
            .await
        }
    }
}

fn roles(rb: &Rulebook, fy: FinancialYear) -> Result<ExitCode> {
    let y = rb.financial_year(fy).map_err(|e| anyhow!("{e}"))?;
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
                Some(x) => format!(
                    "£{}",
                    pcn_core::checks::thousands(x.amount.trunc().try_into().unwrap_or(0))
                ),
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
                comfy_table::Cell::new(&role.id),
                comfy_table::Cell::new(role.from),
                comfy_table::Cell::new(format!("{band} → {group}")),
                right(format!(
                    "{}%",
                    (role.reimbursed_fraction * Decimal::ONE_HUNDRED).normalize()
                )),
                right(show(eng)),
                right(show(m(Region::OuterLondon))),
                right(show(m(Region::InnerLondon))),
                comfy_table::Cell::new(notes.join("; ")),
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
    emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

fn roster(posts: &[Post], as_at: NaiveDate, all: bool, format: Out) -> Result<ExitCode> {
    let shown: Vec<&Post> = posts.iter().filter(|p| all || p.covers(as_at)).collect();
    #[derive(Serialize)]
    struct Row<'a> {
        post: i64,
        person: &'a str,
        name: Option<&'a str>,
        role: &'a str,
        band: Option<&'a str>,
        wte: Option<Decimal>,
        salary: Option<Pence>,
        start: NaiveDate,
        end: Option<NaiveDate>,
        employer: String,
        funding: &'a str,
        region: &'a str,
        origin: String,
    }
    let rows: Vec<Row> = shown
        .iter()
        .map(|p| {
            let t = p.terms_at(as_at);
            Row {
                post: p.id,
                person: &p.person,
                name: p.name.as_deref(),
                role: &p.role,
                band: t.map(|t| t.band.as_str()),
                wte: t.map(|t| t.wte.normalize()),
                salary: t.and_then(|t| t.salary),
                start: p.start,
                end: p.end,
                employer: p.employer.to_string(),
                funding: p.funding.as_str(),
                region: p.region.as_str(),
                origin: match &p.origin {
                    Origin::Entered => "entered".into(),
                    Origin::Census(d) => format!("census {d}"),
                },
            }
        })
        .collect();
    match format {
        Out::Json => emit(&(serde_json::to_string_pretty(&rows)? + "\n"), None)?,
        Out::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            for r in &rows {
                w.serialize(r)?;
            }
            emit(&String::from_utf8(w.into_inner()?)?, None)?;
        }
        Out::Table => {
            let mut t = table(&[
                "post", "person", "role", "band", "WTE", "salary", "start", "end", "employer",
                "funding", "origin",
            ]);
            let mut total = Decimal::ZERO;
            for r in &rows {
                if r.funding == "arrs" {
                    total += r.wte.unwrap_or_default();
                }
                t.add_row(vec![
                    right(r.post),
                    comfy_table::Cell::new(match r.name {
                        Some(n) => format!("{} ({n})", r.person),
                        None => r.person.to_string(),
                    }),
                    comfy_table::Cell::new(r.role),
                    comfy_table::Cell::new(r.band.unwrap_or("")),
                    right(r.wte.map(|w| w.to_string()).unwrap_or_default()),
                    right(
                        r.salary
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "-".into()),
                    ),
                    comfy_table::Cell::new(r.start),
                    comfy_table::Cell::new(r.end.map_or("".into(), |e| e.to_string())),
                    comfy_table::Cell::new(&r.employer),
                    comfy_table::Cell::new(r.funding),
                    comfy_table::Cell::new(&r.origin),
                ]);
            }
            emit(
                &format!(
                    "{} posts as at {as_at} ({} ARRS WTE)\n{t}\n",
                    rows.len(),
                    total.normalize()
                ),
                None,
            )?;
        }
        Out::Xlsx => bail!("--format for a roster: table, csv or json"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The post `a` describes, checked against the rulebook; shared by
/// `pcn arrs add` and the web app's roster form.
pub fn new_post(rb: &Rulebook, a: &AddArgs) -> Result<Post> {
    let code = pcn(&a.pcn)?;
    let funding =
        Funding::parse(&a.funding).ok_or_else(|| anyhow!("--funding: use arrs or other"))?;
    let employer = Employer::parse(&a.employer).map_err(|e| anyhow!("--employer: {e}"))?;
    let region = Region::parse(&a.region)
        .ok_or_else(|| anyhow!("--region: use england, outer-london or inner-london"))?;
    let fy = FinancialYear::containing(a.start);
    let (role, band) = if funding == Funding::Arrs {
        let role = arrs::role_in_year(rb, fy, &a.role).map_err(|e| anyhow!("--role: {e}"))?;
        (
            role.id.clone(),
            a.band.clone().unwrap_or_else(|| role.default_band.clone()),
        )
    } else {
        (
            a.role.trim().to_string(),
            a.band.clone().unwrap_or_else(|| "-".into()),
        )
    };
    let post = Post {
        id: 0,
        pcn: code.clone(),
        person: a.person.trim().to_string(),
        name: a.name.clone().filter(|n| !n.trim().is_empty()),
        role,
        employer,
        funding,
        region,
        start: a.start,
        end: a.end,
        terms: vec![Terms {
            effective_from: a.start,
            band,
            wte: wte(&a.wte)?,
            salary: a
                .salary
                .as_deref()
                .map(|s| money(s, "--salary"))
                .transpose()?,
            on_costs: a
                .on_costs
                .as_deref()
                .map(|s| money(s, "--on-costs"))
                .transpose()?,
            levy: a.levy,
            recorded: 0,
        }],
        origin: Origin::Entered,
    };
    arrs::validate_post(rb, &post).map_err(|e| anyhow!("{e}"))?;
    Ok(post)
}

async fn add(database: &str, actor: &str, rb: &Rulebook, a: AddArgs) -> Result<ExitCode> {
    let post = new_post(rb, &a)?;
    let code = post.pcn.clone();
    let store = Store::open(database).await?;
    let id = store.add_post(&post, Utc::now(), actor).await?;
    store.close().await;
    println!(
        "post {id} added to {code}: {} {}, from {}",
        post.person, post.role, post.start
    );
    Ok(ExitCode::SUCCESS)
}

async fn change(database: &str, actor: &str, rb: &Rulebook, a: ChangeArgs) -> Result<ExitCode> {
    let store = Store::open(database).await?;
    let post = store
        .post(a.post)
        .await?
        .ok_or_else(|| anyhow!("there is no post {}", a.post))?;
    if a.from < post.start || post.end.is_some_and(|e| a.from > e) {
        bail!(
            "--from {} is outside the post ({} to {})",
            a.from,
            post.start,
            post.end.map_or("open".into(), |e| e.to_string())
        );
    }
    let current = post
        .terms_at(a.from)
        .cloned()
        .ok_or_else(|| anyhow!("post {} has no terms", a.post))?;
    let terms = Terms {
        effective_from: a.from,
        band: a.band.clone().unwrap_or(current.band.clone()),
        wte: match &a.wte {
            Some(w) => wte(w)?,
            None => current.wte,
        },
        salary: match &a.salary {
            Some(s) => Some(money(s, "--salary")?),
            None => current.salary,
        },
        on_costs: match &a.on_costs {
            Some(s) if s.trim().eq_ignore_ascii_case("computed") => None,
            Some(s) => Some(money(s, "--on-costs")?),
            None => current.on_costs,
        },
        levy: a.levy.unwrap_or(current.levy),
        recorded: u64::MAX,
    };
    let mut changed = post.clone();
    changed.terms.push(terms.clone());
    arrs::validate_post(rb, &changed).map_err(|e| anyhow!("{e}"))?;
    store.add_terms(&post, &terms, Utc::now(), actor).await?;
    store.close().await;
    println!(
        "post {}: new terms from {} recorded{}",
        a.post,
        a.from,
        if a.from < today() {
            " (backdated: the next claim will include any arrears)"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// The lines of a network's roster for a year, refusing if any post fails.
pub(crate) fn lines_for(
    rb: &Rulebook,
    fy: FinancialYear,
    posts: &[Post],
    costs: &BTreeMap<(i64, YearMonth), Pence>,
    explain: bool,
) -> Result<Vec<MonthClaim>> {
    let (lines, errors) = roster_year(rb, fy, posts, costs, explain);
    if let Some((id, e)) = errors.first() {
        bail!("post {id}: {e}");
    }
    Ok(lines)
}

async fn claims(database: &str, rb: &Rulebook, a: ClaimsArgs) -> Result<ExitCode> {
    let code = pcn(&a.pcn)?;
    let only = a.month.as_deref().map(month).transpose()?;
    let fy = match (&a.year, only) {
        (Some(_), _) | (None, None) => year_or(&a.year, today())?,
        (None, Some(m)) => m.financial_year(),
    };
    let store = Store::open(database).await?;
    let posts = store.posts(Some(&code)).await?;
    let costs = store.costs(Some(&code)).await?;
    let recorded = store.claims(&code, fy).await?;
    store.close().await;
    let lines: Vec<MonthClaim> = lines_for(rb, fy, &posts, &costs, true)?
        .into_iter()
        .filter(|l| only.is_none_or(|m| l.month == m))
        .collect();
    let by_id: BTreeMap<i64, &Post> = posts.iter().map(|p| (p.id, p)).collect();
    let status_of = |l: &MonthClaim| -> String {
        let mine: Vec<&ClaimRecord> = recorded
            .iter()
            .filter(|c| c.post == l.post && c.month == l.month)
            .collect();
        if mine.is_empty() {
            "not claimed".into()
        } else {
            let claimed: Pence = mine.iter().map(|c| c.amount).sum();
            let worst = mine
                .iter()
                .map(|c| c.status)
                .min()
                .unwrap_or(ClaimStatus::Draft);
            if claimed == l.claimable {
                worst.as_str().to_string()
            } else {
                format!("{} ({claimed}; arrears due)", worst.as_str())
            }
        }
    };
    match a.format {
        Out::Json => {
            emit(
                &(serde_json::to_string_pretty(&lines)? + "\n"),
                a.out.as_deref(),
            )?;
        }
        Out::Csv => {
            let text = claims_csv(&code, &lines, &by_id, &status_of)?;
            emit(&text, a.out.as_deref())?;
        }
        Out::Xlsx => {
            let out = a
                .out
                .as_deref()
                .context("--format xlsx needs --out FILE.xlsx")?;
            claims_xlsx(&code, &lines, &by_id, &status_of, out)?;
            eprintln!("wrote {} ({} claim lines)", out.display(), lines.len());
        }
        Out::Table => {
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
            for l in &lines {
                let p = by_id.get(&l.post);
                t.add_row(vec![
                    comfy_table::Cell::new(l.month),
                    right(l.post),
                    comfy_table::Cell::new(p.map_or("", |p| p.role.as_str())),
                    comfy_table::Cell::new(&l.band),
                    right(l.wte.normalize()),
                    right(format!("{}/{}", l.days, l.days_in_month)),
                    right(l.cost),
                    right(l.cap),
                    right(l.claimable),
                    right(l.met_by_practices),
                    comfy_table::Cell::new(status_of(l)),
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
            emit(&text, a.out.as_deref())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The claim schedule a network sends its commissioner: one row per post
/// per month. The national Primary Care Workforce Portal takes claims as a
/// web form per employee; these are the fields it and the ICB claim
/// templates that preceded it ask for.
pub const CLAIM_COLUMNS: [&str; 20] = [
    "PCN ODS code",
    "Claim month",
    "Staff reference",
    "Staff name",
    "Role",
    "AfC band",
    "WTE",
    "Employer",
    "Funding",
    "Start date",
    "End date",
    "Days in post",
    "Days in month",
    "Actual cost (salary + employer NI + pension)",
    "Cost basis",
    "Met by partner",
    "Maximum reimbursable (pro rata)",
    "Amount claimable",
    "Met by practices",
    "Status",
];

fn claim_row(code: &PcnCode, l: &MonthClaim, p: Option<&&Post>, status: String) -> Vec<String> {
    vec![
        code.to_string(),
        l.month.to_string(),
        p.map_or(String::new(), |p| p.person.clone()),
        p.and_then(|p| p.name.clone()).unwrap_or_default(),
        p.map_or(String::new(), |p| p.role.clone()),
        l.band.clone(),
        l.wte.normalize().to_string(),
        p.map_or(String::new(), |p| p.employer.to_string()),
        p.map_or(String::new(), |p| p.funding.as_str().to_string()),
        p.map_or(String::new(), |p| p.start.to_string()),
        p.and_then(|p| p.end)
            .map_or(String::new(), |e| e.to_string()),
        l.days.to_string(),
        l.days_in_month.to_string(),
        l.cost.to_pounds().to_string(),
        format!("{:?}", l.cost_basis).to_lowercase(),
        l.partner.to_pounds().to_string(),
        l.cap.to_pounds().to_string(),
        l.claimable.to_pounds().to_string(),
        l.met_by_practices.to_pounds().to_string(),
        status,
    ]
}

fn claims_csv(
    code: &PcnCode,
    lines: &[MonthClaim],
    by_id: &BTreeMap<i64, &Post>,
    status_of: &dyn Fn(&MonthClaim) -> String,
) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CLAIM_COLUMNS)?;
    for l in lines {
        w.write_record(claim_row(code, l, by_id.get(&l.post), status_of(l)))?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

fn claims_xlsx(
    code: &PcnCode,
    lines: &[MonthClaim],
    by_id: &BTreeMap<i64, &Post>,
    status_of: &dyn Fn(&MonthClaim) -> String,
    out: &Path,
) -> Result<()> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name("ARRS claims")?;
    let bold = Format::new().set_bold();
    let gbp = Format::new().set_num_format("£#,##0.00");
    for (c, h) in CLAIM_COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let money_cols = [13usize, 15, 16, 17, 18];
    for (r, l) in lines.iter().enumerate() {
        let row = claim_row(code, l, by_id.get(&l.post), status_of(l));
        for (c, v) in row.iter().enumerate() {
            let (rr, cc) = (r as u32 + 1, c as u16);
            if money_cols.contains(&c) {
                let n: f64 = v.parse().unwrap_or(0.0);
                // Pence are exact in a spreadsheet's double.
                sheet.write_number_with_format(rr, cc, n, &gbp)?;
            } else if c == 6 || c == 11 || c == 12 {
                sheet.write_number(rr, cc, v.parse::<f64>().unwrap_or(0.0))?;
            } else {
                sheet.write_string(rr, cc, v)?;
            }
        }
    }
    sheet.autofit();
    wb.save(out)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

async fn make_claims(
    database: &str,
    actor: &str,
    rb: &Rulebook,
    code: &str,
    m: &str,
    on: NaiveDate,
) -> Result<ExitCode> {
    let code = pcn(code)?;
    let m = month(m)?;
    if m.first_day() > on {
        bail!("{m} has not started on {on}: a claim is made in or after its month");
    }
    let fy = m.financial_year();
    let store = Store::open(database).await?;
    let posts = store.posts(Some(&code)).await?;
    if !posts
        .iter()
        .any(|p| p.funding == Funding::Arrs && p.days_in(m) > 0)
    {
        bail!("{code} has no ARRS post in post in {m}: nothing to claim");
    }
    let costs = store.costs(Some(&code)).await?;
    let existing = store.claims(&code, fy).await?;
    let lines = lines_for(rb, fy, &posts, &costs, true)?;
    let new = claims_to_make(&lines, &existing, m, on);
    if new.is_empty() {
        println!("nothing new to claim for {code} up to {m}: every month is claimed at its claimable amount");
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    store.add_claims(&code, &new, on, Utc::now(), actor).await?;
    store.close().await;
    let mut t = table(&["month", "post", "kind", "amount"]);
    for c in &new {
        t.add_row(vec![
            comfy_table::Cell::new(c.month),
            right(c.post),
            comfy_table::Cell::new(c.kind.as_str()),
            right(c.amount),
        ]);
    }
    let total: Pence = new.iter().map(|c| c.amount).sum();
    println!(
        "{} draft claims made for {code} on {on}, {total} in all\n{t}\nNext: pcn arrs status --pcn {code} --month {m} --to submitted",
        new.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// What a network's ARRS year is worked out from, read once.
struct NetworkYear {
    posts: Vec<Post>,
    costs: BTreeMap<(i64, YearMonth), Pence>,
    claims: Vec<ClaimRecord>,
    sum: Option<Pence>,
}

impl NetworkYear {
    async fn load(
        database: &str,
        rb: &Rulebook,
        code: &PcnCode,
        fy: FinancialYear,
    ) -> Result<NetworkYear> {
        let store = Store::open(database).await?;
        let posts = store.posts(Some(code)).await?;
        let costs = store.costs(Some(code)).await?;
        let claims = store.claims(code, fy).await?;
        let registry = crate::check::load_registry(&store).await?;
        store.close().await;
        let sums = arrs_sums(
            &registry,
            rb,
            fy,
            &Selection {
                pcn: Some(code.clone()),
                commissioner: None,
            },
        )?;
        Ok(NetworkYear {
            posts,
            costs,
            claims,
            sum: sums.get(code).copied(),
        })
    }

    /// The budget as at a date for these posts (the roster, or a what-if of it).
    fn budget(
        &self,
        rb: &Rulebook,
        fy: FinancialYear,
        as_at: NaiveDate,
        posts: &[Post],
    ) -> Result<Budget> {
        let lines = lines_for(rb, fy, posts, &self.costs, false)?;
        Ok(budget(fy, as_at, self.sum, &lines, &self.claims))
    }
}

fn budget_text(code: &PcnCode, b: &Budget) -> String {
    let mut kv = key_value_table();
    let opt = |p: Option<Pence>| p.map_or("not known".to_string(), |p| p.to_string());
    kv.add_row(vec![comfy_table::Cell::new("ARRS Sum"), right(opt(b.sum))]);
    kv.add_row(vec![
        comfy_table::Cell::new(format!("spent (claimable to {})", b.as_at)),
        right(b.spent),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("committed to the year end"),
        right(b.committed),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("headroom"),
        right(opt(b.headroom)),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("forecast underspend"),
        right(opt(b.forecast_underspend)),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("runs out in"),
        right(b.runs_out.map_or("-".into(), |m| m.to_string())),
    ]);
    kv.add_row(vec![comfy_table::Cell::new("claims paid"), right(b.paid)]);
    kv.add_row(vec![
        comfy_table::Cell::new("claims outstanding (submitted, approved)"),
        right(b.outstanding),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("draft claims"),
        right(b.drafts),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("ended months not yet claimed"),
        right(b.not_yet_claimed),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("cost met by practices (above the cap)"),
        right(b.met_by_practices),
    ]);
    if b.partner.0 > 0 {
        kv.add_row(vec![
            comfy_table::Cell::new("cost met by partners"),
            right(b.partner),
        ]);
    }
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
            comfy_table::Cell::new(format!("{}{}", m.month, if m.elapsed { "" } else { " *" })),
            right(m.claimable),
            right(m.cumulative),
            right(m.cost),
            right(m.met_by_practices),
            comfy_table::Cell::new(claimed.join(", ")),
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

async fn plan(database: &str, rb: &Rulebook, a: PlanArgs) -> Result<ExitCode> {
    let code = pcn(&a.pcn)?;
    let as_at = a.as_at.unwrap_or_else(today);
    let fy = FinancialYear::containing(as_at);
    let region = Region::parse(&a.region)
        .ok_or_else(|| anyhow!("--region: use england, outer-london or inner-london"))?;
    let mut hires = Vec::new();
    for (i, spec) in a.add.iter().enumerate() {
        let hire = Hire::parse(spec).map_err(|e| anyhow!("--add {spec:?}: {e}"))?;
        if !fy.contains(hire.from) {
            bail!("--add {spec:?}: the start {} is outside {fy}", hire.from);
        }
        let post = hire
            .to_post(rb, code.clone(), -(i as i64) - 1, region)
            .map_err(|e| anyhow!("--add {spec:?}: {e}"))?;
        hires.push(post);
    }
    let year = NetworkYear::load(database, rb, &code, fy).await?;
    let before = year.budget(rb, fy, as_at, &year.posts)?;
    let mut ends = Vec::new();
    for spec in &a.end {
        let (id, date) = spec
            .split_once(" on ")
            .ok_or_else(|| anyhow!("--end {spec:?}: write \"POST-ID on YYYY-MM-DD\""))?;
        let id: i64 = id
            .trim()
            .parse()
            .map_err(|_| anyhow!("--end {spec:?}: {id:?} is not a post id"))?;
        let date = parse_date(date.trim()).map_err(|e| anyhow!("--end {spec:?}: {e}"))?;
        if !year.posts.iter().any(|p| p.id == id) {
            bail!("--end {spec:?}: {code} has no post {id}");
        }
        ends.push((id, date));
    }
    // The roster with the changes: ended posts shortened, hires added.
    let mut all: Vec<Post> = year
        .posts
        .iter()
        .map(|p| {
            let mut p = p.clone();
            if let Some((_, d)) = ends.iter().find(|(id, _)| *id == p.id) {
                p.end = Some(p.end.map_or(*d, |e| e.min(*d)));
            }
            p
        })
        .collect();
    all.extend(hires.iter().cloned());
    let after = year.budget(rb, fy, as_at, &all)?;
    let from = YearMonth::of(as_at).next().first_day();
    let headroom = after.headroom.unwrap_or(Pence::ZERO);
    let can = recruitable(rb, code.clone(), from, headroom, region).map_err(|e| anyhow!("{e}"))?;
    #[derive(Serialize)]
    struct PlanOut<'a> {
        before: &'a Budget,
        after: &'a Budget,
        recruitable_from: NaiveDate,
        recruitable: &'a [arrs::Recruitable],
    }
    if a.format == Out::Json {
        emit(
            &(serde_json::to_string_pretty(&PlanOut {
                before: &before,
                after: &after,
                recruitable_from: from,
                recruitable: &can,
            })? + "\n"),
            None,
        )?;
        return Ok(ExitCode::SUCCESS);
    }
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
            comfy_table::Cell::new(label),
            right(opt(b)),
            right(opt(af)),
            right(delta(b, af)),
        ]);
    }
    t.add_row(vec![
        comfy_table::Cell::new("headroom runs out in"),
        right(before.runs_out.map_or("-".into(), |m| m.to_string())),
        right(after.runs_out.map_or("-".into(), |m| m.to_string())),
        right(""),
    ]);
    let mut text = format!("ARRS plan for {code}, {fy}, as at {as_at}\n");
    for h in &hires {
        let yl = post_year(rb, fy, h, &BTreeMap::new()).map_err(|e| anyhow!("{e}"))?;
        let claim: Pence = yl.iter().map(|l| l.claimable).sum();
        let t0 = &h.terms[0];
        text.push_str(&format!(
            "  + {} band {}, {} WTE from {}: claimable {claim} this year\n",
            h.role,
            t0.band,
            t0.wte.normalize(),
            h.start
        ));
    }
    for (id, d) in &ends {
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
    for c in &can {
        r.add_row(vec![
            comfy_table::Cell::new(&c.role),
            comfy_table::Cell::new(&c.band),
            right(c.per_wte),
            right(c.wte),
        ]);
    }
    text.push_str(&format!(
        "What {code} can still recruit from {from} with {} of headroom (each role alone, costed at its maximum):\n{r}\n",
        headroom.max(Pence::ZERO)
    ));
    emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

/// The report's networks, and the posts that could not be costed.
pub type NationalReport = (Vec<NetworkArrs>, Vec<(i64, String)>);

/// One network in the national report.
#[derive(Debug, Serialize)]
pub struct NetworkArrs {
    pub pcn: PcnCode,
    pub name: Option<String>,
    pub commissioner: Option<String>,
    pub sum: Option<Pence>,
    pub arrs_wte: Decimal,
    pub other_wte: Decimal,
    pub posts: usize,
    /// Claimable over the whole year for the posts in post on the census
    /// date, as if in post all year at their maximum.
    pub estimated_spend: Pence,
    pub headroom: Option<Pence>,
    pub wte_by_role: BTreeMap<String, Decimal>,
}

/// The national report: every network with posts, per role.
pub fn national_report(
    rb: &Rulebook,
    fy: FinancialYear,
    posts: &[Post],
    sums: &BTreeMap<PcnCode, Pence>,
    names: &BTreeMap<PcnCode, (Option<String>, Option<String>)>,
) -> Result<NationalReport> {
    let mut by_pcn: BTreeMap<PcnCode, Vec<&Post>> = BTreeMap::new();
    for p in posts {
        by_pcn.entry(p.pcn.clone()).or_default().push(p);
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let at = fy.end().min(
        fy.start().max(
            posts
                .iter()
                .filter_map(|p| match p.origin {
                    Origin::Census(d) => Some(d),
                    Origin::Entered => None,
                })
                .max()
                .unwrap_or(fy.start()),
        ),
    );
    let mut whole_year: Vec<Post> = Vec::new();
    for (code, ps) in by_pcn {
        let mut n = NetworkArrs {
            pcn: code.clone(),
            name: names.get(&code).and_then(|x| x.0.clone()),
            commissioner: names.get(&code).and_then(|x| x.1.clone()),
            sum: sums.get(&code).copied(),
            arrs_wte: Decimal::ZERO,
            other_wte: Decimal::ZERO,
            posts: 0,
            estimated_spend: Pence::ZERO,
            headroom: None,
            wte_by_role: BTreeMap::new(),
        };
        for p in ps.into_iter().filter(|p| p.covers(at)) {
            n.posts += 1;
            let Some(t) = p.terms_at(at) else { continue };
            if p.funding != Funding::Arrs {
                n.other_wte += t.wte;
                continue;
            }
            n.arrs_wte += t.wte;
            *n.wte_by_role.entry(p.role.clone()).or_default() += t.wte;
            // The year's claim for this post as if in post all year on its current terms.
            let mut whole = p.clone();
            whole.start = fy.start();
            whole.end = None;
            whole.terms = vec![Terms {
                effective_from: fy.start(),
                ..t.clone()
            }];
            whole_year.push(whole);
        }
        let (lines, errs) = roster_year(rb, fy, &whole_year, &BTreeMap::new(), false);
        whole_year.clear();
        n.estimated_spend = lines.iter().map(|l| l.claimable).sum();
        errors.extend(errs.into_iter().map(|(id, e)| (id, e.to_string())));
        n.headroom = n.sum.map(|s| s - n.estimated_spend);
        out.push(n);
    }
    Ok((out, errors))
}

async fn report(
    database: &str,
    rb: &Rulebook,
    year: Option<String>,
    commissioner: Option<String>,
    format: Out,
    out: Option<&Path>,
) -> Result<ExitCode> {
    let store = Store::open(database).await?;
    let posts = store.posts(None).await?;
    let registry = crate::check::load_registry(&store).await?;
    store.close().await;
    if posts.is_empty() {
        bail!("no roster yet: import the PCN workforce individual-level CSV (`pcn import FILE`) or add posts (`pcn arrs add`)");
    }
    let census = posts
        .iter()
        .filter_map(|p| match p.origin {
            Origin::Census(d) => Some(d),
            Origin::Entered => None,
        })
        .max();
    let fy = year_or(&year, census.unwrap_or_else(today))?;
    let sums = arrs_sums(
        &registry,
        rb,
        fy,
        &Selection {
            pcn: None,
            commissioner: commissioner.clone(),
        },
    )?;
    let snapshot = registry.at(census.unwrap_or_else(today));
    let names: BTreeMap<PcnCode, (Option<String>, Option<String>)> = snapshot
        .networks
        .iter()
        .map(|(c, n)| {
            (
                c.clone(),
                (
                    n.name.clone(),
                    n.commissioner.as_ref().map(|s| s.to_string()),
                ),
            )
        })
        .collect();
    let posts: Vec<Post> = match &commissioner {
        Some(_) => posts
            .into_iter()
            .filter(|p| sums.contains_key(&p.pcn))
            .collect(),
        None => posts,
    };
    let (rows, errors) = national_report(rb, fy, &posts, &sums, &names)?;
    if let Some((id, e)) = errors.first() {
        bail!(
            "post {id}: {e} ({} posts could not be costed)",
            errors.len()
        );
    }
    match format {
        Out::Json => emit(&(serde_json::to_string_pretty(&rows)? + "\n"), out)?,
        Out::Csv | Out::Xlsx => {
            if format == Out::Xlsx {
                bail!("--format for the report: table, csv or json");
            }
            let roles: Vec<String> = {
                let mut r: Vec<String> = rows
                    .iter()
                    .flat_map(|n| n.wte_by_role.keys().cloned())
                    .collect();
                r.sort();
                r.dedup();
                r
            };
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut header = vec![
                "pcn_code".to_string(),
                "pcn_name".into(),
                "sub_icb".into(),
                "arrs_sum".into(),
                "estimated_arrs_spend".into(),
                "headroom".into(),
                "arrs_wte".into(),
                "other_wte".into(),
            ];
            header.extend(roles.iter().map(|r| format!("wte_{r}")));
            w.write_record(&header)?;
            for n in &rows {
                let mut rec = vec![
                    n.pcn.to_string(),
                    n.name.clone().unwrap_or_default(),
                    n.commissioner.clone().unwrap_or_default(),
                    n.sum.map_or(String::new(), |s| s.to_pounds().to_string()),
                    n.estimated_spend.to_pounds().to_string(),
                    n.headroom
                        .map_or(String::new(), |s| s.to_pounds().to_string()),
                    n.arrs_wte.normalize().to_string(),
                    n.other_wte.normalize().to_string(),
                ];
                for r in &roles {
                    rec.push(
                        n.wte_by_role
                            .get(r)
                            .map_or("0".into(), |w| w.normalize().to_string()),
                    );
                }
                w.write_record(&rec)?;
            }
            emit(&String::from_utf8(w.into_inner()?)?, out)?;
        }
        Out::Table => emit(&report_text(fy, census, &rows), out)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn report_text(fy: FinancialYear, census: Option<NaiveDate>, rows: &[NetworkArrs]) -> String {
    let mut roles: BTreeMap<String, Decimal> = BTreeMap::new();
    for n in rows {
        for (r, w) in &n.wte_by_role {
            *roles.entry(r.clone()).or_default() += *w;
        }
    }
    let arrs_wte: Decimal = rows.iter().map(|n| n.arrs_wte).sum();
    let other_wte: Decimal = rows.iter().map(|n| n.other_wte).sum();
    let spend: Pence = rows.iter().map(|n| n.estimated_spend).sum();
    let with_sum: Vec<&NetworkArrs> = rows.iter().filter(|n| n.sum.is_some()).collect();
    let sum: Pence = with_sum.iter().filter_map(|n| n.sum).sum();
    let spend_with_sum: Pence = with_sum.iter().map(|n| n.estimated_spend).sum();
    let over = with_sum
        .iter()
        .filter(|n| n.headroom.is_some_and(|h| h.0 < 0))
        .count();
    let mut kv = key_value_table();
    kv.add_row(vec![
        comfy_table::Cell::new("networks with a roster"),
        right(rows.len()),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("of which with an ARRS Sum this year"),
        right(with_sum.len()),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("ARRS WTE"),
        right(arrs_wte.round_dp(1)),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("other staff WTE"),
        right(other_wte.round_dp(1)),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("estimated ARRS spend (annualised)"),
        right(spend),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("ARRS Sum (networks with one)"),
        right(sum),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("estimated spend of those networks"),
        right(spend_with_sum),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("headroom"),
        right(sum - spend_with_sum),
    ]);
    kv.add_row(vec![
        comfy_table::Cell::new("networks whose roster passes their Sum"),
        right(over),
    ]);
    let mut r = table(&["role", "WTE"]);
    for (role, w) in &roles {
        r.add_row(vec![comfy_table::Cell::new(role), right(w.round_dp(1))]);
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
            comfy_table::Cell::new(format!("{} {}", n.pcn, n.name.clone().unwrap_or_default())),
            right(n.sum.map_or("-".into(), |s| s.to_string())),
            right(n.estimated_spend),
            right(n.headroom.map_or("-".into(), |s| s.to_string())),
            right(n.arrs_wte.round_dp(2)),
            right(used),
        ]);
    }
    format!(
        "ARRS national picture, {fy}{}\n{kv}\nARRS WTE by role\n{r}\nThe 15 networks with the least headroom (all: --format csv)\n{t}\n\
Estimated spend: each post in post on the census date claimed for the whole year at its role's maximum (the census has no pay or start dates).\n",
        census.map(|c| format!(", roster from the workforce census of {c}")).unwrap_or_default()
    )
}
