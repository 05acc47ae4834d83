//! `pcn pay`: the Network Contract DES payments of a financial year, per
//! network, from the rulebook and the registry.
//!
//! How the inputs are chosen (each is printed on the statement):
//! - **members**: the registry as at the first day of the year
//!   (`--membership-as-at` to change);
//! - **registered lists**: the list extract on or before 1 January before the
//!   year (the DES population date), else the nearest one after it, which
//!   every line then marks as an estimate;
//! - **weighted and adjusted populations, care-home beds, IIF points**: as
//!   recorded; when missing, `--strict` refuses and otherwise the engine's
//!   documented estimate is used and marked (see `pcn_core::funding`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use pcn_core::funding::{
    self, Distribution, Figure, MemberInputs, MissingInputs, NetworkInputs, NetworkPay, PayRun,
};
use pcn_core::money::Pence;
use pcn_core::registry::{Registry, Snapshot};
use pcn_core::rulebook::{FinancialYear, Rulebook, YearRules};
use pcn_core::{PcnCode, PracticeCode};
use pcn_store::Store;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

use crate::statement_export;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PayFormat {
    Table,
    Csv,
    Json,
    Xlsx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CsvPart {
    /// One row per network and line.
    Lines,
    /// One row per instalment.
    Schedule,
    /// One row per practice share.
    Distribution,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DistributeBy {
    RegisteredList,
    WeightedList,
    Equal,
}

#[derive(Debug, Args)]
pub struct PayArgs {
    /// The financial year, e.g. 2025-26.
    #[arg(long)]
    pub year: String,
    /// Only this network.
    #[arg(long, conflicts_with = "commissioner")]
    pub pcn: Option<String>,
    /// Only the networks of this commissioner (a sub-ICB code such as 16C, or an ICB code such as QHM).
    #[arg(long)]
    pub commissioner: Option<String>,
    #[arg(long, value_enum, default_value_t = PayFormat::Table)]
    pub format: PayFormat,
    /// With --format csv: which table.
    #[arg(long, value_enum, default_value_t = CsvPart::Lines)]
    pub csv: CsvPart,
    /// Write to this file (required for xlsx).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Refuse when an input is missing instead of estimating it.
    #[arg(long)]
    pub strict: bool,
    /// Use the rulebook files in this folder instead of the built-in rulebook.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Explain one line of one network (needs --pcn): a rule id such as
    /// 2025-26/core-pcn-funding/registered, or a stream id such as enhanced-access.
    #[arg(long, requires = "pcn")]
    pub explain: Option<String>,
    /// The date membership is taken as at (default: the first day of the year).
    #[arg(long, value_parser = crate::cli::parse_date)]
    pub membership_as_at: Option<NaiveDate>,
    /// Divide each network's scheduled payments among its members this way,
    /// instead of the agreements recorded with `pcn network distribution`.
    #[arg(long, value_enum)]
    pub distribute: Option<DistributeBy>,
    /// With --distribute: the percentage kept back for network costs first (e.g. 5 or 2.5).
    #[arg(long, default_value = "0")]
    pub top_slice_percent: Decimal,
}

/// The rulebook: built in, or read from `dir` (every `*.toml` file in it).
pub fn load_rulebook(dir: Option<&Path>) -> Result<Rulebook> {
    let Some(dir) = dir else {
        return Rulebook::embedded()
            .map_err(|e| anyhow::anyhow!("the built-in rulebook is invalid:\n{e}"));
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)
        .with_context(|| format!("reading the rulebook folder {}", dir.display()))?
    {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            files.push((path.display().to_string(), text));
        }
    }
    if files.is_empty() {
        bail!("no rulebook files (*.toml) in {}", dir.display());
    }
    files.sort();
    let sources: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Rulebook::from_sources(&sources).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The registered-list extract to use for a population date: the latest on or
/// before it, else the earliest after it.
fn list_extract_for(registry: &Registry, population_date: NaiveDate) -> Option<NaiveDate> {
    let extracts = registry.list_extracts();
    extracts
        .iter()
        .rev()
        .find(|d| **d <= population_date)
        .or_else(|| extracts.first())
        .copied()
}

/// What selects the networks of a run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub pcn: Option<PcnCode>,
    pub commissioner: Option<String>,
}

/// Options of a run, apart from the selection.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub missing: MissingInputs,
    pub membership_as_at: Option<NaiveDate>,
    /// Divide every network's payments this way (`--distribute`), overriding
    /// the recorded agreements.
    pub distribution: Option<Distribution>,
    pub top_slice_percent: Decimal,
    /// Each network's recorded distribution agreement for the year, with its
    /// top-slice percentage.
    pub agreements: std::collections::BTreeMap<PcnCode, (Distribution, Decimal)>,
    /// Commissioner assessments recorded for the year: per network, stream
    /// id and fraction earned.
    pub assessments: std::collections::BTreeMap<PcnCode, Vec<(String, Decimal)>>,
}

fn member_inputs(
    registry: &Registry,
    code: &pcn_core::PracticeCode,
    membership: &Snapshot,
    lists: &Snapshot,
    population_date: NaiveDate,
) -> MemberInputs {
    let practice = lists
        .practices
        .get(code)
        .or_else(|| membership.practices.get(code));
    MemberInputs {
        code: code.clone(),
        name: practice.and_then(|p| p.name.clone()),
        registered: lists
            .practices
            .get(code)
            .and_then(|p| p.list_size.map(|n| Figure::exact(n, p.list_as_at))),
        weighted: registry
            .weighted_population(code, population_date)
            .map(|(as_at, value)| Figure::exact(value, Some(as_at))),
        membership_months: None,
    }
}

/// Builds the payment run for `rules`' year from the registry.
pub fn build_run(
    registry: &Registry,
    rules: &YearRules,
    previous: Option<&YearRules>,
    selection: &Selection,
    options: &RunOptions,
) -> Result<PayRun> {
    let year: FinancialYear = rules.financial_year;
    let membership_date = options.membership_as_at.unwrap_or_else(|| year.start());
    let membership = registry.at(membership_date);
    let population_date =
        NaiveDate::from_ymd_opt(year.start_year(), 1, 1).context("population date")?;
    let lists = match list_extract_for(registry, population_date) {
        Some(extract) if extract != membership.list_extract.unwrap_or(NaiveDate::MIN) => {
            registry.at(extract)
        }
        _ => membership.clone(),
    };

    // The national mean PCN list, over every network with members (not just the selection).
    let network_lists: Vec<u64> = membership
        .networks_with_members()
        .map(|n| {
            n.members
                .iter()
                .filter_map(|c| lists.practices.get(c).and_then(|p| p.list_size))
                .sum()
        })
        .collect();
    let national_mean_list = (!network_lists.is_empty()).then(|| {
        Decimal::from(network_lists.iter().sum::<u64>()) / Decimal::from(network_lists.len() as u64)
    });

    // Who is a member of which network on the first day of each month, for
    // the practices with registered patients at the start of the year: a
    // practice that joins or leaves part way is paid by month.
    let months = funding::months_of(year);
    let mut months_in: BTreeMap<PcnCode, BTreeMap<PracticeCode, Vec<NaiveDate>>> = BTreeMap::new();
    for code in membership.practices.keys() {
        for month in &months {
            for pcn in registry.networks_of(code, *month) {
                months_in
                    .entry(pcn)
                    .or_default()
                    .entry(code.clone())
                    .or_default()
                    .push(*month);
            }
        }
    }
    // Networks that open part way are described as at their first month with members.
    let mut later: BTreeMap<NaiveDate, Snapshot> = BTreeMap::new();

    let mut networks = Vec::new();
    for (pcn, member_months) in &months_in {
        let first_month = member_months
            .values()
            .flatten()
            .min()
            .copied()
            .unwrap_or(year.start());
        let network = match membership.networks.get(pcn) {
            Some(n) => n.clone(),
            None => {
                let snapshot = later
                    .entry(first_month)
                    .or_insert_with(|| registry.at(first_month));
                match snapshot.networks.get(pcn) {
                    Some(n) => n.clone(),
                    None => continue,
                }
            }
        };
        let network = &network;
        if selection.pcn.as_ref().is_some_and(|p| p != &network.code) {
            continue;
        }
        if let Some(c) = &selection.commissioner {
            let matches = network
                .commissioner
                .as_ref()
                .is_some_and(|s| s.as_str().eq_ignore_ascii_case(c))
                || network
                    .icb
                    .as_ref()
                    .is_some_and(|i| i.as_str().eq_ignore_ascii_case(c));
            if !matches {
                continue;
            }
        }
        let members: Vec<MemberInputs> = member_months
            .iter()
            .map(|(code, in_months)| MemberInputs {
                membership_months: (in_months.len() < months.len()).then(|| in_months.clone()),
                ..member_inputs(registry, code, &membership, &lists, population_date)
            })
            .collect();
        let beds = registry.care_home_beds(&network.code, year.start());
        let care_home_beds = registry.has_care_home_alignments().then(|| Figure {
            value: Decimal::from(beds.beds),
            as_at: beds.as_at,
            estimate: (!beds.without_cqc_record.is_empty()).then(|| {
                format!(
                    "beds unknown for aligned homes with no CQC record: {}",
                    beds.without_cqc_record.join(", ")
                )
            }),
        });
        let inputs = NetworkInputs {
            pcn: network.code.clone(),
            name: network.name.clone(),
            commissioner: network.commissioner.clone(),
            payee: network.governance.nominated_payee.clone(),
            // A network whose first members come part way through the year is
            // paid from that month, even when ODS gives no open date.
            open_date: network
                .open_date
                .filter(|d| *d > year.start())
                .max((first_month > year.start()).then_some(first_month)),
            close_date: network.close_date.filter(|d| *d <= year.end()),
            members: members.clone(),
            adjusted: registry
                .adjusted_population(&network.code, population_date)
                .map(|(as_at, value)| Figure::exact(value, Some(as_at))),
            care_home_beds,
            iif_points: registry
                .iif_points(&network.code, year)
                .map(|(as_at, points)| Figure::exact(points, Some(as_at))),
            national_mean_list,
            assessments: options
                .assessments
                .get(&network.code)
                .cloned()
                .unwrap_or_default(),
            iif_indicators: {
                let detail = registry.iif_points_detail(&network.code, year);
                // A breakdown by indicator replaces the total; a lone total stays in `iif_points`.
                if detail.iter().any(|f| f.indicator.is_some()) {
                    detail
                        .iter()
                        .map(|f| funding::IifIndicatorPoints {
                            indicator: f.indicator.clone(),
                            points: f.points,
                            prevalence: f.pcn_prevalence.zip(f.national_prevalence),
                        })
                        .collect()
                } else {
                    Vec::new()
                }
            },
        };
        let statement = funding::statement_with_previous(rules, previous, &inputs, options.missing)
            .map_err(|e| anyhow::anyhow!("refused (--strict): {e}"))?;
        let chosen = match &options.distribution {
            Some(method) => Some((method.clone(), options.top_slice_percent)),
            None => options.agreements.get(&network.code).cloned(),
        };
        let distribution = match &chosen {
            Some((method, top_slice_percent)) => {
                let total = statement.totals.scheduled_to_network;
                let top_slice = Pence::from_pounds(
                    total.to_pounds() * *top_slice_percent / Decimal::ONE_HUNDRED,
                )
                .unwrap_or(Pence::ZERO);
                Some(
                    funding::distribute(total, top_slice, &members, method)
                        .with_context(|| format!("dividing {}'s payments", network.code))?,
                )
            }
            None => None,
        };
        networks.push(NetworkPay {
            statement,
            members,
            distribution_method: chosen.map(|(method, _)| method),
            distribution,
        });
    }
    if let Some(pcn) = &selection.pcn {
        if networks.is_empty() {
            bail!("no network {pcn} with members on {membership_date}");
        }
    }
    Ok(PayRun {
        financial_year: year,
        membership_as_at: membership_date,
        missing: options.missing,
        networks,
    })
}

/// The distribution agreements and commissioner assessments recorded for a
/// year, as a run takes them.
pub type Agreements = BTreeMap<PcnCode, (Distribution, Decimal)>;
pub type Assessments = BTreeMap<PcnCode, Vec<(String, Decimal)>>;

pub async fn recorded_options(
    store: &Store,
    year: FinancialYear,
) -> Result<(Agreements, Assessments)> {
    let mut agreements = std::collections::BTreeMap::new();
    for a in store.distribution_agreements(&year.to_string()).await? {
        let method = Distribution::parse(&a.method, a.shares.as_deref()).map_err(|e| {
            anyhow::anyhow!(
                "the recorded distribution of {} for {}: {e}",
                a.pcn,
                a.financial_year
            )
        })?;
        let top_slice: Decimal = a
            .top_slice_percent
            .parse()
            .with_context(|| format!("the recorded top-slice of {}", a.pcn))?;
        agreements.insert(a.pcn.clone(), (method, top_slice));
    }
    let mut assessments: std::collections::BTreeMap<PcnCode, Vec<(String, Decimal)>> =
        Default::default();
    for a in store.assessments(&year.to_string()).await? {
        assessments
            .entry(a.pcn)
            .or_default()
            .push((a.stream_id, a.earned));
    }
    Ok((agreements, assessments))
}

pub async fn run(database: &str, args: PayArgs) -> Result<ExitCode> {
    let rulebook = load_rulebook(args.rules.as_deref())?;
    let rules = rulebook
        .year(&args.year)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&args.top_slice_percent) {
        bail!("--top-slice-percent must be between 0 and 100");
    }
    let store = Store::open(database).await?;
    let registry = crate::check::load_registry(&store).await?;
    let (agreements, assessments) = recorded_options(&store, rules.financial_year).await?;
    store.close().await;
    if registry.latest_date().is_none() {
        bail!("the database {database} holds no registry yet: run `pcn import FILE…` or `pcn demo` first");
    }
    let selection = Selection {
        pcn: args
            .pcn
            .as_deref()
            .map(PcnCode::parse)
            .transpose()
            .context("--pcn")?,
        commissioner: args.commissioner.clone(),
    };
    let options = RunOptions {
        missing: if args.strict {
            MissingInputs::Refuse
        } else {
            MissingInputs::Estimate
        },
        membership_as_at: args.membership_as_at,
        distribution: args.distribute.map(|d| match d {
            DistributeBy::RegisteredList => Distribution::ByRegisteredList,
            DistributeBy::WeightedList => Distribution::ByWeightedList,
            DistributeBy::Equal => Distribution::Equal,
        }),
        top_slice_percent: args.top_slice_percent,
        agreements,
        assessments,
    };
    let previous = rulebook
        .financial_year(rules.financial_year.previous())
        .ok();
    let run = build_run(&registry, rules, previous, &selection, &options)?;
    if run.networks.is_empty() {
        bail!("no networks match");
    }
    if let (Some(what), Some(pcn)) = (&args.explain, &selection.pcn) {
        crate::output::emit(
            &statement_export::explain_line(&run, pcn, what)?,
            args.out.as_deref(),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    match args.format {
        PayFormat::Table => {
            crate::output::emit(&statement_export::run_table(&run), args.out.as_deref())?
        }
        PayFormat::Json => {
            crate::output::emit(&statement_export::run_json(&run)?, args.out.as_deref())?
        }
        PayFormat::Csv => {
            let text = match args.csv {
                CsvPart::Lines => statement_export::run_csv(&run)?,
                CsvPart::Schedule => statement_export::run_schedule_csv(&run)?,
                CsvPart::Distribution => statement_export::run_distribution_csv(&run)?,
            };
            crate::output::emit(&text, args.out.as_deref())?
        }
        PayFormat::Xlsx => {
            let out = args
                .out
                .as_deref()
                .context("--format xlsx needs --out FILE.xlsx")?;
            statement_export::run_xlsx(&run, out)?;
            eprintln!("wrote {} ({} networks)", out.display(), run.networks.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
