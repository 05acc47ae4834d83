//! `pcn network show|list|set`, `pcn practice`, `pcn imports`, `pcn audit`.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{NaiveDate, Utc};
use comfy_table::Cell;
use pcn_core::checks::thousands;
use pcn_core::facts::{GovernanceFact, GovernanceField};
use pcn_core::registry::Registry;
use pcn_core::{PcnCode, PracticeCode};
use pcn_store::Store;

use crate::check::load_registry;
use crate::cli::{AssessArgs, DistributionArgs, Format, NetworkCommand, NetworkSetArgs};
use crate::output::{emit, key_value_table, right, table};

fn or_dash<T: ToString>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "—".to_string())
}

async fn open_registry(database: &str) -> Result<(Store, Registry)> {
    let store = Store::open(database).await?;
    let registry = load_registry(&store).await?;
    Ok((store, registry))
}

pub async fn run(database: &str, actor: &str, command: NetworkCommand) -> Result<ExitCode> {
    match command {
        NetworkCommand::Show { code, as_at } => show(database, &code, as_at).await,
        NetworkCommand::List {
            as_at,
            commissioner,
            format,
        } => list(database, as_at, commissioner, format).await,
        NetworkCommand::Set(args) => set(database, actor, *args).await,
        NetworkCommand::Distribution(args) => distribution(database, actor, args).await,
        NetworkCommand::Assess(args) => assess(database, actor, args).await,
    }
}

async fn show(database: &str, code: &str, as_at: Option<NaiveDate>) -> Result<ExitCode> {
    let pcn = PcnCode::parse(code)?;
    let (store, registry) = open_registry(database).await?;
    let as_at = as_at.unwrap_or_else(crate::cli::today);
    let snapshot = registry.at(as_at);
    let Some(network) = snapshot.networks.get(&pcn) else {
        bail!("no network {pcn} with members or open in ODS on {as_at}");
    };
    let g = &network.governance;
    let mut out = format!(
        "{} {}\n\n",
        network.code,
        network.name.as_deref().unwrap_or("")
    );
    let mut facts = key_value_table();
    for (label, value) in [
        ("As at", as_at.to_string()),
        ("Commissioner (sub-ICB)", or_dash(&network.commissioner)),
        ("Recorded by ODS under", or_dash(&network.recorded_sub_icb)),
        ("ICB", or_dash(&network.icb)),
        (
            "Open / close",
            format!(
                "{} / {}",
                or_dash(&network.open_date),
                or_dash(&network.close_date)
            ),
        ),
        ("Registered patients", thousands(network.list_size)),
        ("Member practices", network.members.len().to_string()),
        ("Clinical director", or_dash(&g.clinical_director)),
        ("Nominated payee", or_dash(&g.nominated_payee)),
        (
            "Network agreement signed",
            or_dash(&g.network_agreement_signed),
        ),
        (
            "Data-sharing agreement signed",
            or_dash(&g.data_sharing_agreement_signed),
        ),
        ("Size exception", or_dash(&g.size_exception)),
        ("Community partners", g.community_partners.join("; ")),
        (
            "Mental health partners",
            g.mental_health_partners.join("; "),
        ),
        ("Voluntary partners", g.voluntary_partners.join("; ")),
    ] {
        facts.add_row(vec![Cell::new(label), Cell::new(value)]);
    }
    out.push_str(&facts.to_string());
    out.push_str("\n\nMembers\n");
    let mut members = table(&["practice", "name", "sub-ICB", "patients", "list as at"]);
    for code in &network.members {
        let p = &snapshot.practices[code];
        members.add_row(vec![
            Cell::new(code),
            Cell::new(p.name.as_deref().unwrap_or("")),
            Cell::new(or_dash(&p.sub_icb)),
            right(p.list_size.map(thousands).unwrap_or_else(|| "—".into())),
            Cell::new(or_dash(&p.list_as_at)),
        ]);
    }
    out.push_str(&members.to_string());
    let history = store.governance_rows(Some(&pcn)).await?;
    if !history.is_empty() {
        out.push_str("\n\nGovernance history\n");
        let mut t = table(&[
            "field",
            "value",
            "effective from",
            "recorded at",
            "recorded by",
        ]);
        for (fact, at, by) in history {
            t.add_row(vec![
                Cell::new(fact.field.name()),
                Cell::new(if fact.value.is_empty() {
                    "(cleared)"
                } else {
                    &fact.value
                }),
                Cell::new(fact.effective_from),
                Cell::new(at),
                Cell::new(by),
            ]);
        }
        out.push_str(&t.to_string());
    }
    out.push('\n');
    store.close().await;
    emit(&out, None)?;
    Ok(ExitCode::SUCCESS)
}

async fn list(
    database: &str,
    as_at: Option<NaiveDate>,
    commissioner: Option<String>,
    format: Format,
) -> Result<ExitCode> {
    let (store, registry) = open_registry(database).await?;
    store.close().await;
    let as_at = as_at.unwrap_or_else(crate::cli::today);
    let snapshot = registry.at(as_at);
    let networks: Vec<_> = snapshot
        .networks
        .values()
        .filter(|n| {
            commissioner.as_deref().is_none_or(|c| {
                n.commissioner
                    .as_ref()
                    .is_some_and(|s| s.as_str().eq_ignore_ascii_case(c))
                    || n.icb
                        .as_ref()
                        .is_some_and(|i| i.as_str().eq_ignore_ascii_case(c))
            })
        })
        .collect();
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&networks)? + "\n",
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "pcn_code",
                "name",
                "commissioner",
                "icb",
                "members",
                "list_size",
                "clinical_director",
                "nominated_payee",
            ])?;
            for n in &networks {
                w.write_record([
                    n.code.as_str(),
                    n.name.as_deref().unwrap_or(""),
                    &n.commissioner
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    &n.icb.as_ref().map(ToString::to_string).unwrap_or_default(),
                    &n.members.len().to_string(),
                    &n.list_size.to_string(),
                    n.governance.clinical_director.as_deref().unwrap_or(""),
                    &n.governance
                        .nominated_payee
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                ])?;
            }
            String::from_utf8(w.into_inner().context("finishing the CSV")?)?
        }
        Format::Table => {
            let mut t = table(&["network", "name", "commissioner", "members", "patients"]);
            for n in &networks {
                t.add_row(vec![
                    Cell::new(&n.code),
                    Cell::new(n.name.as_deref().unwrap_or("")),
                    Cell::new(or_dash(&n.commissioner)),
                    right(n.members.len()),
                    right(thousands(n.list_size)),
                ]);
            }
            format!("{t}\n{} networks as at {as_at}\n", networks.len())
        }
    };
    emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

/// Turns `pcn network set` arguments into dated governance facts.
pub fn governance_facts(
    args: &NetworkSetArgs,
    effective_from: NaiveDate,
) -> Result<Vec<GovernanceFact>> {
    let pcn = PcnCode::parse(&args.code)?;
    if pcn.is_unallocated() {
        bail!("U is the Unallocated placeholder, not a network");
    }
    let given = [
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
    ];
    let mut facts = Vec::new();
    for (field, value) in given {
        if let Some(raw) = value {
            let value = field
                .parse_value(raw)
                .map_err(|e| anyhow::anyhow!("--{}: {e}", field.name().replace('_', "-")))?;
            facts.push(GovernanceFact {
                pcn: pcn.clone(),
                field,
                value,
                effective_from,
            });
        }
    }
    if facts.is_empty() {
        bail!("nothing to set: give at least one of --clinical-director, --nominated-payee, --network-agreement-signed, --data-sharing-agreement-signed, --size-exception, --community-partners, --mental-health-partners, --voluntary-partners");
    }
    Ok(facts)
}

async fn set(database: &str, actor: &str, args: NetworkSetArgs) -> Result<ExitCode> {
    let effective_from = args.effective_from.unwrap_or_else(crate::cli::today);
    let facts = governance_facts(&args, effective_from)?;
    let store = Store::open(database).await?;
    store.record_governance(&facts, Utc::now(), actor).await?;
    for f in &facts {
        let shown = if f.value.is_empty() {
            "(cleared)"
        } else {
            &f.value
        };
        println!(
            "{} {} = {shown} from {} (recorded by {actor})",
            f.pcn,
            f.field.name(),
            f.effective_from
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn show_practice(
    database: &str,
    code: &str,
    as_at: Option<NaiveDate>,
) -> Result<ExitCode> {
    let code = PracticeCode::parse(code)?;
    let (store, registry) = open_registry(database).await?;
    store.close().await;
    let as_at = as_at.unwrap_or_else(crate::cli::today);
    let snapshot = registry.at(as_at);
    let history = registry.membership_history(&code);
    let mut out = String::new();
    match snapshot.practices.get(&code) {
        Some(p) => {
            out.push_str(&format!(
                "{} {}\n\n",
                p.code,
                p.name.as_deref().unwrap_or("")
            ));
            let mut t = key_value_table();
            for (label, value) in [
                ("As at", as_at.to_string()),
                ("Postcode", or_dash(&p.postcode)),
                (
                    "Commissioner (sub-ICB)",
                    format!(
                        "{} {}",
                        or_dash(&p.sub_icb),
                        p.sub_icb_name.as_deref().unwrap_or("")
                    ),
                ),
                (
                    "ICB",
                    format!(
                        "{} {}",
                        or_dash(&p.icb),
                        p.icb_name.as_deref().unwrap_or("")
                    ),
                ),
                (
                    "Region",
                    format!(
                        "{} {}",
                        or_dash(&p.region),
                        p.region_name.as_deref().unwrap_or("")
                    ),
                ),
                (
                    "ODS status",
                    p.status
                        .map(|s| s.code().to_string())
                        .unwrap_or_else(|| "—".into()),
                ),
                (
                    "Open / close",
                    format!("{} / {}", or_dash(&p.open_date), or_dash(&p.close_date)),
                ),
                (
                    "Registered patients",
                    format!(
                        "{} (as at {})",
                        p.list_size.map(thousands).unwrap_or_else(|| "—".into()),
                        or_dash(&p.list_as_at)
                    ),
                ),
                (
                    "Network",
                    if p.unallocated {
                        "U (Unallocated)".to_string()
                    } else {
                        p.networks
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                ),
                (
                    "Location",
                    p.location
                        .map(|l| format!("{:.5}, {:.5}", l.lat, l.lon))
                        .unwrap_or_else(|| "—".into()),
                ),
                ("GP system supplier", or_dash(&p.supplier)),
            ] {
                t.add_row(vec![Cell::new(label), Cell::new(value)]);
            }
            out.push_str(&t.to_string());
        }
        None if history.is_empty() => bail!("no practice {code} in the registry"),
        None => out.push_str(&format!(
            "{code} has no registered list on {as_at} (closed, or not yet open)\n"
        )),
    }
    out.push_str("\n\nNetwork membership history\n");
    let mut t = table(&["network", "from", "to", "basis"]);
    for r in history {
        t.add_row(vec![
            Cell::new(&r.pcn),
            Cell::new(r.from),
            Cell::new(r.to.map(|d| d.to_string()).unwrap_or_else(|| "open".into())),
            Cell::new(r.basis),
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    emit(&out, None)?;
    Ok(ExitCode::SUCCESS)
}

pub async fn show_imports(database: &str) -> Result<ExitCode> {
    let store = Store::open(database).await?;
    let mut t = table(&[
        "id",
        "file",
        "kind",
        "data date",
        "rows",
        "facts",
        "imported at",
        "by",
        "sha256",
    ]);
    for r in store.imports().await? {
        t.add_row(vec![
            right(r.id),
            Cell::new(r.file_name),
            Cell::new(r.kind),
            Cell::new(r.data_date),
            right(thousands(r.rows_read.max(0) as u64)),
            right(thousands(r.facts.max(0) as u64)),
            Cell::new(r.imported_at),
            Cell::new(r.imported_by),
            Cell::new(&r.sha256[..r.sha256.len().min(12)]),
        ]);
    }
    store.close().await;
    emit(&format!("{t}\n"), None)?;
    Ok(ExitCode::SUCCESS)
}

pub async fn show_audit(database: &str, limit: i64) -> Result<ExitCode> {
    let store = Store::open(database).await?;
    let mut t = table(&["when", "who", "action", "what", "before", "after", "detail"]);
    for e in store.audit_log(limit.max(1)).await? {
        t.add_row(vec![
            Cell::new(e.at),
            Cell::new(e.actor),
            Cell::new(e.action),
            Cell::new(format!("{} {}", e.entity, e.entity_key)),
            Cell::new(e.before_value.unwrap_or_default()),
            Cell::new(e.after_value.unwrap_or_default()),
            Cell::new(e.detail.unwrap_or_default()),
        ]);
    }
    store.close().await;
    emit(&format!("{t}\n"), None)?;
    Ok(ExitCode::SUCCESS)
}

async fn distribution(database: &str, actor: &str, args: DistributionArgs) -> Result<ExitCode> {
    let pcn = PcnCode::parse(&args.code)?;
    let year: pcn_core::rulebook::FinancialYear = args
        .year
        .parse()
        .map_err(|e| anyhow::anyhow!("--year: {e}"))?;
    let method = pcn_core::funding::Distribution::parse(&args.method, args.shares.as_deref())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let top_slice: rust_decimal::Decimal = args
        .top_slice_percent
        .trim()
        .parse()
        .ok()
        .filter(|p| (rust_decimal::Decimal::ZERO..=rust_decimal::Decimal::ONE_HUNDRED).contains(p))
        .with_context(|| {
            format!(
                "--top-slice-percent {:?} is not a percentage from 0 to 100",
                args.top_slice_percent
            )
        })?;
    let (store, registry) = open_registry(database).await?;
    // Percentages and fixed amounts must name exactly the members on the first day of the year.
    let named: Option<Vec<&PracticeCode>> = match &method {
        pcn_core::funding::Distribution::Percentages(shares) => {
            Some(shares.iter().map(|(c, _)| c).collect())
        }
        pcn_core::funding::Distribution::Fixed(amounts) => {
            Some(amounts.iter().map(|(c, _)| c).collect())
        }
        _ => None,
    };
    if let Some(shares) = named {
        let snapshot = registry.at(year.start());
        let Some(network) = snapshot.networks.get(&pcn) else {
            bail!("{pcn} has no members on {}", year.start());
        };
        for code in &shares {
            if !network.members.contains(code) {
                bail!("{code} is not a member of {pcn} on {}", year.start());
            }
        }
        for code in &network.members {
            if !shares.contains(&code) {
                bail!("member {code} of {pcn} has no share");
            }
        }
    }
    let agreement = pcn_store::DistributionAgreement {
        pcn: pcn.clone(),
        financial_year: year.to_string(),
        method: method.method_name().to_string(),
        top_slice_percent: top_slice.normalize().to_string(),
        shares: args.shares.clone().filter(|s| !s.trim().is_empty()),
    };
    store
        .record_distribution(&agreement, Utc::now(), actor)
        .await?;
    store.close().await;
    println!(
        "{pcn} {year}: distribution by {}, top-slice {}% (recorded by {actor})",
        agreement.method, agreement.top_slice_percent
    );
    Ok(ExitCode::SUCCESS)
}

/// Parses a share earned: `0.6667`, `2/3` or `66.67%`, from 0 to 1.
fn parse_earned(raw: &str) -> Result<rust_decimal::Decimal> {
    use rust_decimal::Decimal;
    let text = raw.trim();
    let value = if let Some(percent) = text.strip_suffix('%') {
        percent
            .trim()
            .parse::<Decimal>()
            .ok()
            .map(|p| p / Decimal::ONE_HUNDRED)
    } else if let Some((a, b)) = text.split_once('/') {
        match (a.trim().parse::<Decimal>(), b.trim().parse::<Decimal>()) {
            (Ok(a), Ok(b)) if !b.is_zero() => Some(a / b),
            _ => None,
        }
    } else {
        text.parse::<Decimal>().ok()
    };
    value
        .filter(|v| (Decimal::ZERO..=Decimal::ONE).contains(v))
        .with_context(|| {
            format!("--earned {raw:?} is not a share from 0 to 1 (such as 0.5, 2/3 or 66.67%)")
        })
}

async fn assess(database: &str, actor: &str, args: AssessArgs) -> Result<ExitCode> {
    let pcn = PcnCode::parse(&args.code)?;
    let earned = parse_earned(&args.earned)?;
    let rulebook = crate::pay::load_rulebook(None)?;
    let rules = rulebook
        .year(&args.year)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let assessable: Vec<&str> = rules
        .streams
        .iter()
        .filter(|s| {
            s.timing == pcn_core::rulebook::Timing::OnAchievement
                && s.components
                    .iter()
                    .all(|c| c.basis != pcn_core::rulebook::Basis::IifPoints)
        })
        .map(|s| s.id.as_str())
        .collect();
    if !assessable.contains(&args.stream.as_str()) {
        bail!(
            "{} is not an assessed stream in {} (IIF is paid on its points); assessable: {}",
            args.stream,
            rules.financial_year,
            if assessable.is_empty() {
                "none".to_string()
            } else {
                assessable.join(", ")
            }
        );
    }
    let store = Store::open(database).await?;
    let assessment = pcn_store::Assessment {
        pcn: pcn.clone(),
        financial_year: rules.financial_year.to_string(),
        stream_id: args.stream.clone(),
        earned: earned.round_dp(6).normalize(),
        note: args.note.clone(),
    };
    store
        .record_assessment(&assessment, Utc::now(), actor)
        .await?;
    store.close().await;
    println!(
        "{pcn} {} {}: earned {} (recorded by {actor})",
        assessment.financial_year, assessment.stream_id, assessment.earned
    );
    Ok(ExitCode::SUCCESS)
}
