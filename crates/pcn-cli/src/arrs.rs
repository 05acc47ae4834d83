//! `pcn arrs`: the ARRS roster, monthly claims, budget, what-ifs and the
//! national workforce picture. The grammar is here; the use cases are
//! `pcn_app::arrs`, the rules `pcn_core::arrs`, the tables `render::arrs`
//! and the files `pcn_export::arrs`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use pcn_app::arrs::{parse_end, PlanInput, PostRef, TermsChange};
use pcn_core::arrs::{parse_wte, ClaimStatus, Employer, Funding, Hire, NewPost, YearMonth};
use pcn_core::money::{parse_pounds, Pence};
use pcn_core::rulebook::FinancialYear;
use pcn_core::{CommissionerCode, PcnCode};
use pcn_export::arrs::{national_report_csv, roster_csv, roster_rows, ClaimSchedule};

use crate::cli::{parse_date, parse_opt, pcn, region, Ctx};
use crate::output::{emit, json, right, table, write_xlsx, Out};
use crate::render::arrs as render;

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
        #[command(flatten)]
        target: PostArgs,
        #[arg(long, value_parser = parse_date)]
        on: NaiveDate,
    },
    /// Record a payroll actual: the whole cost of a post for a month
    /// (salary, employer NI, pension), used instead of the computed cost.
    Cost {
        #[command(flatten)]
        target: PostArgs,
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

/// The post a command names, and the network it must belong to.
#[derive(Debug, Args)]
pub struct PostArgs {
    /// The post's id (see `pcn arrs roster`).
    #[arg(long, required_unless_present = "person")]
    pub post: Option<i64>,
    /// Or the network's reference for the person in the post (with --pcn).
    #[arg(long, conflicts_with = "post", requires = "pcn")]
    pub person: Option<String>,
    /// The network the post belongs to: refused when it does not.
    #[arg(long)]
    pub pcn: Option<String>,
}

impl PostArgs {
    /// The post (clap has made sure one of the two is given) and the network.
    fn parse(&self) -> Result<(PostRef, Option<PcnCode>)> {
        let post = match (self.post, &self.person) {
            (Some(id), _) => PostRef::Id(id),
            (None, Some(person)) => PostRef::Person(person.clone()),
            (None, None) => PostRef::Id(0),
        };
        Ok((post, parse_opt(&self.pcn, "--pcn")?))
    }
}

#[derive(Debug, Args)]
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
    #[command(flatten)]
    pub target: PostArgs,
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
    /// A post that would end: "POST on DATE", the post by its id or the
    /// person's reference, e.g. "12 on 2027-01-31" or "E17 on 2027-01-31".
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

fn month(raw: &str) -> Result<YearMonth> {
    Ok(raw.parse()?)
}

fn money(raw: &str, what: &str) -> Result<Pence> {
    parse_pounds(raw).with_context(|| what.to_string())
}

fn year_or(raw: &Option<String>, as_at: NaiveDate) -> Result<FinancialYear> {
    match raw {
        Some(y) => y.parse().context("--year"),
        None => Ok(FinancialYear::containing(as_at)),
    }
}

pub async fn run(ctx: &Ctx, command: ArrsCommand) -> Result<ExitCode> {
    match command {
        ArrsCommand::Roles { year } => {
            let rb = ctx.rulebook()?;
            let y = rb.financial_year(year_or(&year, ctx.today)?)?;
            emit(&render::roles_text(&rb, y), None)?;
        }
        ArrsCommand::Roster {
            pcn: code,
            as_at,
            all,
            format,
        } => roster(ctx, &pcn(&code)?, as_at.unwrap_or(ctx.today), all, format).await?,
        ArrsCommand::Add(args) => add(ctx, *args).await?,
        ArrsCommand::Change(args) => change(ctx, *args).await?,
        ArrsCommand::End { target, on } => {
            let (post, code) = target.parse()?;
            let ended = ctx
                .with_app(async |app| app.end_post(&post, code.as_ref(), on, &ctx.actor).await)
                .await?;
            println!(
                "post {} of {} ({} {}) ends on {on}",
                ended.id, ended.pcn, ended.person, ended.role
            );
        }
        ArrsCommand::Cost {
            target,
            month: m,
            amount,
        } => {
            let (post, code) = target.parse()?;
            let (m, cost) = (month(&m)?, money(&amount, "--amount")?);
            let p = ctx
                .with_app(async |app| {
                    app.record_cost(&post, code.as_ref(), m, cost, &ctx.actor)
                        .await
                })
                .await?;
            println!(
                "post {} of {} ({} {}), {m}: payroll cost {cost} recorded",
                p.id, p.pcn, p.person, p.role
            );
        }
        ArrsCommand::Claims(args) => claims(ctx, args).await?,
        ArrsCommand::Claim {
            pcn: code,
            month: m,
            on,
        } => make_claims(ctx, &pcn(&code)?, month(&m)?, on.unwrap_or(ctx.today)).await?,
        ArrsCommand::Status {
            pcn: code,
            month: m,
            to,
            post,
        } => {
            let (code, m) = (pcn(&code)?, month(&m)?);
            let status = ClaimStatus::parse(&to)
                .filter(|s| *s != ClaimStatus::Draft)
                .with_context(|| format!("--to {to:?}: use submitted, approved or paid"))?;
            let moved = ctx
                .with_app(async |app| app.move_claims(&code, m, status, post, &ctx.actor).await)
                .await?;
            let total: Pence = moved.iter().map(|c| c.amount).sum();
            println!(
                "{} claims of {code} for {m} ({total}) are now {}",
                moved.len(),
                status.as_str()
            );
        }
        ArrsCommand::Budget {
            pcn: code,
            year,
            as_at,
            format,
        } => budget(ctx, &pcn(&code)?, year, as_at, format).await?,
        ArrsCommand::Plan(args) => plan(ctx, args).await?,
        ArrsCommand::Report {
            year,
            commissioner,
            format,
            out,
        } => report(ctx, year, commissioner, format, out).await?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn roster(ctx: &Ctx, code: &PcnCode, as_at: NaiveDate, all: bool, format: Out) -> Result<()> {
    let posts = ctx.with_app(async |app| app.roster(code).await).await?;
    let rows = roster_rows(&posts, as_at, all);
    match format {
        Out::Json => emit(&json(&rows)?, None),
        Out::Csv => emit(&roster_csv(&rows)?, None),
        Out::Table => emit(&render::roster_text(&rows, as_at), None),
        Out::Xlsx => bail!("--format for a roster: table, csv or json"),
    }
}

/// The post `pcn arrs add` describes, parsed with the core's parsers.
fn new_post(a: &AddArgs) -> Result<NewPost> {
    Ok(NewPost {
        pcn: pcn(&a.pcn)?,
        person: a.person.clone(),
        name: a.name.clone(),
        role: a.role.clone(),
        band: a.band.clone(),
        wte: parse_wte(&a.wte)?,
        start: a.start,
        end: a.end,
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
        employer: Employer::parse(&a.employer).context("--employer")?,
        funding: Funding::parse(&a.funding).context("--funding: use arrs or other")?,
        region: region(&a.region)?,
    })
}

async fn add(ctx: &Ctx, a: AddArgs) -> Result<()> {
    let input = new_post(&a)?;
    let (id, post) = ctx
        .with_app(async |app| app.add_post(&input, &ctx.actor).await)
        .await?;
    println!(
        "post {id} added to {}: {} {}, from {}",
        post.pcn, post.person, post.role, post.start
    );
    Ok(())
}

async fn change(ctx: &Ctx, a: ChangeArgs) -> Result<()> {
    let change = TermsChange {
        band: a.band.clone(),
        wte: a.wte.as_deref().map(parse_wte).transpose()?,
        salary: a
            .salary
            .as_deref()
            .map(|s| money(s, "--salary"))
            .transpose()?,
        on_costs: match a.on_costs.as_deref() {
            Some(s) if s.trim().eq_ignore_ascii_case("computed") => Some(None),
            Some(s) => Some(Some(money(s, "--on-costs")?)),
            None => None,
        },
        levy: a.levy,
    };
    let (post, code) = a.target.parse()?;
    let post = ctx
        .with_app(async |app| {
            app.change_post(&post, code.as_ref(), a.from, &change, &ctx.actor)
                .await
        })
        .await?;
    println!(
        "post {} of {} ({} {}): new terms from {} recorded{}",
        post.id,
        post.pcn,
        post.person,
        post.role,
        a.from,
        if a.from < ctx.today {
            " (backdated: the next claim will include any arrears)"
        } else {
            ""
        }
    );
    Ok(())
}

async fn claims(ctx: &Ctx, a: ClaimsArgs) -> Result<()> {
    let code = pcn(&a.pcn)?;
    let only = a.month.as_deref().map(month).transpose()?;
    let fy = match (&a.year, only) {
        (Some(_), _) | (None, None) => year_or(&a.year, ctx.today)?,
        (None, Some(m)) => m.financial_year(),
    };
    let (year, lines) = ctx
        .with_app(async |app| app.claim_lines(&code, fy, only).await)
        .await?;
    let schedule = ClaimSchedule {
        pcn: &code,
        lines: &lines,
        posts: &year.posts,
        recorded: &year.claims,
    };
    let out = a.out.as_deref();
    match a.format {
        Out::Json => emit(&json(&lines)?, out)?,
        Out::Csv => emit(&schedule.csv()?, out)?,
        Out::Xlsx => write_xlsx(
            out,
            &schedule.xlsx()?,
            &format!("{} claim lines", lines.len()),
        )?,
        Out::Table => emit(
            &render::claims_text(&code, fy, only, &lines, &year.posts, &year.claims),
            out,
        )?,
    }
    Ok(())
}

async fn make_claims(ctx: &Ctx, code: &PcnCode, m: YearMonth, on: NaiveDate) -> Result<()> {
    let new = ctx
        .with_app(async |app| app.make_claims(code, m, on, &ctx.actor).await)
        .await?;
    if new.is_empty() {
        println!("nothing new to claim for {code} up to {m}: every month is claimed at its claimable amount");
        return Ok(());
    }
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
    Ok(())
}

async fn budget(
    ctx: &Ctx,
    code: &PcnCode,
    year: Option<String>,
    as_at: Option<NaiveDate>,
    format: Out,
) -> Result<()> {
    let as_at = as_at.unwrap_or(ctx.today);
    let fy = year_or(&year, as_at)?;
    let b = ctx
        .with_app(async |app| app.budget(code, fy, as_at).await)
        .await?;
    match format {
        Out::Json => emit(&json(&b)?, None),
        Out::Table => emit(&render::budget_text(code, &b), None),
        _ => bail!("--format for a budget: table or json"),
    }
}

async fn plan(ctx: &Ctx, a: PlanArgs) -> Result<()> {
    let code = pcn(&a.pcn)?;
    let as_at = a.as_at.unwrap_or(ctx.today);
    let mut input = PlanInput {
        region: Some(region(&a.region)?),
        ..PlanInput::default()
    };
    for spec in &a.add {
        input
            .hires
            .push(Hire::parse(spec).with_context(|| format!("--add {spec:?}"))?);
    }
    for spec in &a.end {
        input
            .ends
            .push(parse_end(spec).with_context(|| format!("--end {spec:?}"))?);
    }
    let plan = ctx
        .with_app(async |app| app.plan(&code, as_at, &input).await)
        .await?;
    if a.format == Out::Json {
        emit(&json(&plan)?, None)
    } else {
        emit(&render::plan_text(&plan), None)
    }
}

async fn report(
    ctx: &Ctx,
    year: Option<String>,
    commissioner: Option<String>,
    format: Out,
    out: Option<PathBuf>,
) -> Result<()> {
    let year = parse_opt(&year, "--year")?;
    let commissioner: Option<CommissionerCode> = parse_opt(&commissioner, "--commissioner")?;
    let report = ctx
        .with_app(async |app| {
            app.national_report(year, commissioner.as_ref(), ctx.today)
                .await
        })
        .await?;
    let out = out.as_deref();
    match format {
        Out::Json => emit(&json(&report.networks)?, out),
        Out::Csv => emit(&national_report_csv(&report)?, out),
        Out::Xlsx => bail!("--format for the report: table, csv or json"),
        Out::Table => emit(&render::report_text(&report), out),
    }
}
