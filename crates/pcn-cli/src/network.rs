//! `pcn network show|list|set|distribution|assess|move`, `pcn practice`,
//! `pcn imports`, `pcn audit`.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use pcn_app::governance::{AssessmentInput, DistributionInput, GovernanceInput};
use pcn_app::membership::MembershipInput;
use pcn_core::facts::GovernanceField;
use pcn_core::funding::Distribution;
use pcn_core::money::Fraction;
use pcn_core::rulebook::{FinancialYear, StreamId};
use pcn_core::{CommissionerCode, Decimal, PcnCode, PracticeCode};

use crate::cli::{
    parse_opt, AssessArgs, Ctx, DistributionArgs, Format, MoveArgs, NetworkCommand, NetworkSetArgs,
};
use crate::output::{emit, json};
use crate::render::network as render;

pub async fn run(ctx: &Ctx, command: NetworkCommand) -> Result<ExitCode> {
    match command {
        NetworkCommand::Show { code, as_at } => show(ctx, &code, as_at).await,
        NetworkCommand::List {
            as_at,
            commissioner,
            format,
        } => list(ctx, as_at, commissioner, format).await,
        NetworkCommand::Set(args) => set(ctx, *args).await,
        NetworkCommand::Distribution(args) => distribution(ctx, args).await,
        NetworkCommand::Assess(args) => assess(ctx, args).await,
        NetworkCommand::Move(args) => move_practice(ctx, args).await,
    }
}

/// The network `--to` names: a network code, or `U` / `none` for none.
pub fn destination(raw: &str) -> Result<PcnCode> {
    if raw.trim().eq_ignore_ascii_case("none") {
        return Ok(PcnCode::unallocated());
    }
    PcnCode::parse(raw).with_context(|| format!("--to {raw:?}: give a network code, or U (none)"))
}

async fn move_practice(ctx: &Ctx, args: MoveArgs) -> Result<ExitCode> {
    let input = MembershipInput {
        practice: PracticeCode::parse(&args.practice)?,
        pcn: destination(&args.to)?,
        effective_from: args.effective_from.unwrap_or(ctx.today),
        note: args.note,
    };
    let checked = ctx
        .with_app(async |app| app.record_membership_change(&input, &ctx.actor).await)
        .await?;
    let change = &checked.change;
    let before = checked.before_text().unwrap_or_else(|| "no network".into());
    let after = if change.pcn.is_unallocated() {
        "no network".to_string()
    } else {
        change.pcn.to_string()
    };
    println!(
        "{} moves from {before} to {after} from {} (recorded by {})",
        change.practice, change.effective_from, ctx.actor
    );
    Ok(ExitCode::SUCCESS)
}

async fn show(ctx: &Ctx, code: &str, as_at: Option<NaiveDate>) -> Result<ExitCode> {
    let pcn = PcnCode::parse(code)?;
    let as_at = as_at.unwrap_or(ctx.today);
    let shown = ctx
        .with_app(async |app| app.network_as_at(&pcn, as_at).await)
        .await?;
    emit(
        &render::network_text(&shown.network, &shown.snapshot, &shown.history),
        None,
    )?;
    Ok(ExitCode::SUCCESS)
}

async fn list(
    ctx: &Ctx,
    as_at: Option<NaiveDate>,
    commissioner: Option<String>,
    format: Format,
) -> Result<ExitCode> {
    let commissioner: Option<CommissionerCode> = parse_opt(&commissioner, "--commissioner")?;
    let as_at = as_at.unwrap_or(ctx.today);
    let snapshot = ctx
        .with_app(async |app| app.snapshot_for(as_at, commissioner.as_ref()).await)
        .await?;
    let networks = snapshot.networks_under(commissioner.as_ref());
    let text = match format {
        Format::Json => json(&networks)?,
        Format::Csv => pcn_export::networks::networks_csv(&networks)?,
        Format::Table => render::networks_table(&networks, as_at),
    };
    emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

/// The fields `pcn network set` was given, as typed.
fn governance_values(args: &NetworkSetArgs) -> Vec<(GovernanceField, String)> {
    [
        (GovernanceField::ClinicalDirector, &args.clinical_director),
        (GovernanceField::NominatedPayee, &args.nominated_payee),
        (
            GovernanceField::NetworkAgreementSigned,
            &args.network_agreement_signed,
        ),
        (
            GovernanceField::DataSharingAgreementSigned,
            &args.data_sharing_agreement_signed,
        ),
        (GovernanceField::SizeException, &args.size_exception),
        (GovernanceField::CommunityPartners, &args.community_partners),
        (
            GovernanceField::MentalHealthPartners,
            &args.mental_health_partners,
        ),
        (GovernanceField::VoluntaryPartners, &args.voluntary_partners),
    ]
    .into_iter()
    .filter_map(|(field, value)| value.clone().map(|v| (field, v)))
    .collect()
}

async fn set(ctx: &Ctx, args: NetworkSetArgs) -> Result<ExitCode> {
    let input = GovernanceInput {
        pcn: PcnCode::parse(&args.code)?,
        effective_from: args.effective_from.unwrap_or(ctx.today),
        values: governance_values(&args),
    };
    if input.values.is_empty() {
        bail!("nothing to set: give at least one of --clinical-director, --nominated-payee, --network-agreement-signed, --data-sharing-agreement-signed, --size-exception, --community-partners, --mental-health-partners, --voluntary-partners");
    }
    let facts = ctx
        .with_app(async |app| app.set_governance(&input, &ctx.actor).await)
        .await?;
    for f in &facts {
        let shown = if f.value.is_empty() {
            "(cleared)"
        } else {
            &f.value
        };
        println!(
            "{} {} = {shown} from {} (recorded by {})",
            f.pcn,
            f.field.name(),
            f.effective_from,
            ctx.actor
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn show_practice(ctx: &Ctx, code: &str, as_at: Option<NaiveDate>) -> Result<ExitCode> {
    let code = PracticeCode::parse(code)?;
    let as_at = as_at.unwrap_or(ctx.today);
    let shown = ctx
        .with_app(async |app| app.practice_as_at(&code, as_at).await)
        .await?;
    let mut out = match &shown.practice {
        Some(p) => render::practice_text(p, as_at),
        None => format!("{code} has no registered list on {as_at} (closed, or not yet open)\n"),
    };
    out.push_str(&render::membership_history_text(&shown.history));
    emit(&out, None)?;
    Ok(ExitCode::SUCCESS)
}

pub async fn show_imports(ctx: &Ctx) -> Result<ExitCode> {
    let imports = ctx.with_app(async |app| app.store.imports().await).await?;
    emit(&render::imports_table(&imports), None)?;
    Ok(ExitCode::SUCCESS)
}

pub async fn show_audit(ctx: &Ctx, limit: i64) -> Result<ExitCode> {
    let entries = ctx
        .with_app(async |app| app.store.audit_log(limit.max(1)).await)
        .await?;
    emit(&render::audit_table(entries), None)?;
    Ok(ExitCode::SUCCESS)
}

fn year(raw: &str) -> Result<FinancialYear> {
    raw.parse().context("--year")
}

async fn distribution(ctx: &Ctx, args: DistributionArgs) -> Result<ExitCode> {
    let top_slice_percent: Decimal =
        args.top_slice_percent
            .trim()
            .parse()
            .ok()
            .with_context(|| {
                format!(
                    "--top-slice-percent {:?} is not a percentage from 0 to 100",
                    args.top_slice_percent
                )
            })?;
    let input = DistributionInput {
        pcn: PcnCode::parse(&args.code)?,
        year: year(&args.year)?,
        method: Distribution::parse(&args.method, args.shares.as_deref())?,
        shares: args.shares.clone(),
        top_slice_percent,
    };
    ctx.with_app(async |app| app.record_distribution(&input, &ctx.actor).await)
        .await?;
    println!(
        "{} {}: distribution by {}, top-slice {}% (recorded by {})",
        input.pcn,
        input.year,
        input.method.method_name(),
        input.top_slice_percent.normalize(),
        ctx.actor
    );
    Ok(ExitCode::SUCCESS)
}

async fn assess(ctx: &Ctx, args: AssessArgs) -> Result<ExitCode> {
    let input = AssessmentInput {
        pcn: PcnCode::parse(&args.code)?,
        year: year(&args.year)?,
        stream: StreamId::parse(&args.stream).context("--stream")?,
        earned: args.earned.parse::<Fraction>().context("--earned")?,
        note: args.note.clone(),
    };
    ctx.with_app(async |app| app.assess(&input, &ctx.actor).await)
        .await?;
    println!(
        "{} {} {}: earned {} (recorded by {})",
        input.pcn, input.year, input.stream, input.earned, ctx.actor
    );
    Ok(ExitCode::SUCCESS)
}
