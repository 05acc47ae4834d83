//! The command-line grammar and dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use pcn_app::App;
use pcn_core::rulebook::{Region, Rulebook};
use pcn_core::PcnCode;

#[derive(Debug, Parser)]
#[command(
    name = "pcn",
    version,
    about = "England's Primary Care Networks: the registry, the DES network checks, the money."
)]
pub struct Cli {
    /// The database: a path to an SQLite file (created when missing) or a
    /// postgres:// URL.
    #[arg(
        long,
        global = true,
        env = "PCN_DATABASE",
        default_value = "pcn.sqlite"
    )]
    pub database: String,

    /// Who is making the change, for the audit log (default: $USER).
    #[arg(long, global = true, env = "PCN_USER")]
    pub by: Option<String>,

    /// A rulebook folder (one `<year>.toml` per financial year) instead of the
    /// built-in rules; every command uses it (payments, ARRS, census seeding).
    #[arg(long, global = true, env = "PCN_RULES")]
    pub rules: Option<PathBuf>,

    /// The date taken as today (for scripts and tests that must not depend
    /// on the calendar).
    #[arg(long, global = true, env = "PCN_TODAY", value_parser = parse_date, hide = true)]
    pub today: Option<NaiveDate>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import official NHS files (any mix; each is written whole or not at all).
    Import(ImportArgs),
    /// Check every network against the Network Contract DES rules.
    Check(CheckArgs),
    /// Show or set a network's facts.
    #[command(subcommand)]
    Network(NetworkCommand),
    /// Show a practice: its facts and its membership history.
    Practice {
        code: String,
        #[arg(long, value_parser = parse_date)]
        as_at: Option<NaiveDate>,
    },
    /// List what has been imported.
    Imports,
    /// Show the audit log, newest first.
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Build the demo database (a synthetic commissioner), run the checks on
    /// it, and serve the web app on it with demo accounts.
    Demo {
        /// Where to build it (replaced if it exists).
        #[arg(long, default_value = "pcn-demo.sqlite")]
        demo_database: PathBuf,
        /// Build and check only; do not start the web app.
        #[arg(long)]
        no_serve: bool,
        /// Where the web app listens.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// The demo accounts' password (default: a new random one, printed).
        #[arg(long, env = "PCN_DEMO_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Leave out the services (the posts that deliver them, partners,
        /// rounds, care plans and sessions): every roster but a few ARRS
        /// posts, and U90001's, then starts empty.
        #[arg(long)]
        no_services: bool,
    },
    /// The Network Contract DES payments of a financial year, per network, line by line.
    Pay(Box<crate::pay::PayArgs>),
    /// A year's statements against what was actually paid (the payments file
    /// or networks' remittances), per network and stream, with the cause of
    /// every difference and the national and per-commissioner summaries.
    Reconcile(Box<crate::reconcile::ReconcileArgs>),
    /// The Additional Roles Reimbursement Scheme: roster, monthly claims,
    /// budget against the ARRS Sum, hiring what-ifs, the national picture.
    #[command(subcommand)]
    Arrs(crate::arrs::ArrsCommand),
    /// Proposed networks of 30,000 to 50,000 patients for a commissioner or
    /// all of England, and with --money what they change in each network's income.
    Plan(Box<crate::plan::PlanArgs>),
    /// Appointments against the pledge of 50 million more a year than in
    /// 2019: England, a sub-ICB location, a network or a practice (GPAD).
    #[command(subcommand)]
    Appointments(crate::appointments::AppointmentsCommand),
    /// The services networks must deliver (care homes, enhanced access, the
    /// other specifications) and whether they do and can: requirements,
    /// compliance, capacity, what-ifs.
    #[command(subcommand)]
    Services(crate::services::ServicesCommand),
    /// Care homes: align a home to a network.
    #[command(subcommand, name = "care-home")]
    CareHome(crate::services::CareHomeCommand),
    /// Time the national import, check and payment run on the real files
    /// (built with the `bench` feature).
    #[cfg(feature = "bench")]
    Bench(pcn_bench::BenchArgs),
    /// Serve the web app and its JSON API (OpenAPI at /api/openapi.json).
    Serve(crate::serve::ServeArgs),
    /// Accounts of the web app: add, list, set a password, disable.
    #[command(subcommand)]
    User(crate::user::UserCommand),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The files, recognised by their header: ODS ePCN.xlsx and epraccur.csv;
    /// Patients Registered at a GP Practice (gp-reg-pat-prac-*.csv[.gz]); GPAD
    /// Mapping.csv and appointments; NHS website GP.csv; NHS Payments to
    /// General Practice; PCN adjusted populations; the PCN workforce census;
    /// IIF indicators; CQC locations; and pcn's governance, population,
    /// care-home alignment, IIF points and remittance CSVs (README.md lists
    /// what is taken from each).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The date the data describes, for files that do not say (GPAD Mapping.csv, GP.csv) or
    /// the date governance facts take effect.
    #[arg(long, value_parser = parse_date)]
    pub as_at: Option<NaiveDate>,
    /// Use the rulebook files in this folder instead of the built-in rulebook
    /// (a workforce census seeds ARRS posts in the roles it reimburses).
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The date to check as at (default: today).
    #[arg(long, value_parser = parse_date)]
    pub as_at: Option<NaiveDate>,
    /// Only this commissioner: a sub-ICB location code (16C) or an ICB code (QHM).
    #[arg(long)]
    pub commissioner: Option<String>,
    /// Only this network and its members.
    #[arg(long)]
    pub pcn: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Show only findings at or above this severity.
    #[arg(long, value_enum, default_value_t = MinSeverity::Info)]
    pub severity: MinSeverity,
    /// Show only these rules (repeat or comma-separate), e.g. NET-SIZE-MIN.
    #[arg(long, value_delimiter = ',')]
    pub rule: Vec<String>,
    /// Minimum network list size.
    #[arg(long, default_value_t = 30_000)]
    pub min_list: u64,
    /// List size above which a network is flagged.
    #[arg(long, default_value_t = 50_000)]
    pub max_list: u64,
    /// A member whose nearest fellow member is further than this many km is flagged.
    #[arg(long, default_value_t = 15.0)]
    pub far_km: f64,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MinSeverity {
    Error,
    Warning,
    Info,
}

#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Show a network as at a date: members, list size, governance and its history.
    Show {
        code: String,
        #[arg(long, value_parser = parse_date)]
        as_at: Option<NaiveDate>,
    },
    /// List networks as at a date, with members and list size.
    List {
        #[arg(long, value_parser = parse_date)]
        as_at: Option<NaiveDate>,
        /// Only this commissioner (sub-ICB or ICB code).
        #[arg(long)]
        commissioner: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Record governance facts the official files lack. Each takes effect from
    /// --effective-from (default today) and is kept with who set it and when;
    /// pass an empty value ("") to clear a field from that date.
    Set(Box<NetworkSetArgs>),
    /// Record how a network divides the money paid to it among its member
    /// practices for a financial year, as its network agreement sets it.
    /// Kept with who recorded it and when; the latest for a year is in force.
    Distribution(DistributionArgs),
    /// Record a commissioner's assessment of how much of a stream paid on
    /// achievement (the Capacity and Access Improvement Payment, say) a
    /// network earned in a year. Kept with who recorded it; the latest is in force.
    Assess(AssessArgs),
    /// Record that a practice joins, moves to or leaves a network from a
    /// date (the commissioner's decision), before the official files show
    /// it. Kept with who recorded it; newer official files win over it.
    Move(MoveArgs),
}

#[derive(Debug, Args)]
pub struct MoveArgs {
    /// The practice's ODS code.
    pub practice: String,
    /// The network it is in from the date; U (or none) when it leaves every network.
    #[arg(long)]
    pub to: String,
    /// The first day in the new network (default today).
    #[arg(long, value_parser = parse_date)]
    pub effective_from: Option<NaiveDate>,
    /// Why, kept with the change (the commissioner's decision, a merger).
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct AssessArgs {
    pub code: String,
    /// The financial year, e.g. 2025-26.
    #[arg(long)]
    pub year: String,
    /// The stream id, e.g. capacity-and-access-improvement.
    #[arg(long)]
    pub stream: String,
    /// The share earned: a fraction (0.6667), a fraction written a/b (2/3) or a percentage (66.67%).
    #[arg(long)]
    pub earned: String,
    /// Why, for the audit log.
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct DistributionArgs {
    pub code: String,
    /// The financial year, e.g. 2025-26.
    #[arg(long)]
    pub year: String,
    /// registered-list, weighted-list, equal, percentages or fixed.
    #[arg(long)]
    pub method: String,
    /// For percentages: each member's share, e.g. "A81001=40;A81002=60" (adding up to 100);
    /// for fixed: each member's amount a year in pounds, e.g. "A81001=12000;A81002=9500.50"
    /// (what is left stays with the network).
    #[arg(long)]
    pub shares: Option<String>,
    /// The percentage kept back for network costs before dividing (e.g. 5 or 2.5).
    #[arg(long, default_value = "0")]
    pub top_slice_percent: String,
}

#[derive(Debug, Args)]
pub struct NetworkSetArgs {
    pub code: String,
    #[arg(long, value_parser = parse_date)]
    pub effective_from: Option<NaiveDate>,
    #[arg(long)]
    pub clinical_director: Option<String>,
    /// ODS code of the member practice paid on the network's behalf.
    #[arg(long)]
    pub nominated_payee: Option<String>,
    /// Date the network agreement was signed (YYYY-MM-DD).
    #[arg(long)]
    pub network_agreement_signed: Option<String>,
    /// Date the data-sharing agreement was signed (YYYY-MM-DD).
    #[arg(long)]
    pub data_sharing_agreement_signed: Option<String>,
    /// A commissioner-approved exception to the 30,000 minimum: rural-waiver,
    /// geographic-isolation or commissioner-approved.
    #[arg(long)]
    pub size_exception: Option<String>,
    /// Community partner organisations, ';'-separated.
    #[arg(long)]
    pub community_partners: Option<String>,
    #[arg(long)]
    pub mental_health_partners: Option<String>,
    #[arg(long)]
    pub voluntary_partners: Option<String>,
}

/// A date flag: `YYYY-MM-DD` in the range people may type.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    pcn_core::dates::parse_user_date(raw).map_err(|e| e.to_string())
}

/// The network `--pcn` names.
pub fn pcn(raw: &str) -> Result<PcnCode> {
    PcnCode::parse(raw).context("--pcn")
}

/// The ARRS maxima's region `--region` names.
pub fn region(raw: &str) -> Result<Region> {
    Region::parse(raw).context("--region: use england, outer-london or inner-london")
}

/// An optional flag's value parsed, the flag named when it is not valid.
pub fn parse_opt<T>(raw: &Option<String>, flag: &'static str) -> Result<Option<T>>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    raw.as_deref().map(str::parse).transpose().context(flag)
}

pub fn actor(by: &Option<String>) -> String {
    by.clone()
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// What every command runs with: where the database is, who acts, the
/// rulebook folder, and today.
pub struct Ctx {
    pub database: String,
    /// Whether the command may create a new SQLite database.
    pub may_create: bool,
    pub actor: String,
    pub rules: Option<PathBuf>,
    pub today: NaiveDate,
}

impl Ctx {
    /// The rulebook this command uses.
    pub fn rulebook(&self) -> Result<Arc<Rulebook>> {
        Ok(Arc::new(pcn_app::rules::load(self.rules.as_deref())?))
    }

    /// The application over the database, with the rulebook. A command that
    /// only reads does not create a database where there is none.
    pub async fn app(&self) -> Result<App> {
        if !self.may_create {
            if let Some(path) = pcn_store::sqlite_path(&self.database).filter(|p| !p.exists()) {
                anyhow::bail!(
                    "there is no database at {}: `pcn import` of the official files creates one \
                     (or `pcn demo` a demo one); name another with --database or PCN_DATABASE",
                    path.display()
                );
            }
        }
        let rulebook = self.rulebook()?;
        Ok(App::open(&self.database, rulebook).await?)
    }

    /// Opens the application, runs one use case on it and closes it again,
    /// whether the use case succeeded or not.
    pub async fn with_app<T, E>(
        &self,
        use_case: impl AsyncFnOnce(&App) -> Result<T, E>,
    ) -> Result<T>
    where
        anyhow::Error: From<E>,
    {
        let app = self.app().await?;
        let outcome = use_case(&app).await;
        app.close().await;
        Ok(outcome?)
    }
}

pub async fn run(cli: Cli) -> Result<ExitCode> {
    // A new SQLite file: only a command that fills a database may create
    // one, and if it fails the file it created goes with it.
    let fresh = pcn_store::sqlite_path(&cli.database).filter(|p| !p.exists());
    let ctx = Ctx {
        database: cli.database.clone(),
        may_create: cli.command.may_create_database(),
        actor: actor(&cli.by),
        rules: cli.rules.clone(),
        today: cli
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive()),
    };
    let outcome = dispatch(ctx, cli.command).await;
    if let (Err(_), Some(path)) = (&outcome, &fresh) {
        remove_new_database(path);
    }
    outcome
}

/// Removes a database file (and its WAL files) that a failed command created.
fn remove_new_database(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(name));
    }
}

impl Command {
    /// Whether the command may create the database: it fills one (imports,
    /// accounts) or serves one that others will fill.
    fn may_create_database(&self) -> bool {
        match self {
            Command::Import(_) | Command::Demo { .. } | Command::Serve(_) => true,
            #[cfg(feature = "bench")]
            Command::Bench(_) => true,
            Command::User(command) => matches!(command, crate::user::UserCommand::Add { .. }),
            _ => false,
        }
    }
}

async fn dispatch(ctx: Ctx, command: Command) -> Result<ExitCode> {
    match command {
        Command::Import(args) => crate::import::run(&ctx, args).await,
        Command::Check(args) => crate::check::run(&ctx, args).await,
        Command::Network(command) => crate::network::run(&ctx, command).await,
        Command::Practice { code, as_at } => {
            crate::network::show_practice(&ctx, &code, as_at).await
        }
        Command::Imports => crate::network::show_imports(&ctx).await,
        Command::Audit { limit } => crate::network::show_audit(&ctx, limit).await,
        Command::Demo {
            demo_database,
            no_serve,
            listen,
            password,
            no_services,
        } => {
            let serve = !no_serve;
            crate::demo::run(&ctx, &demo_database, serve, !no_services, listen, password).await
        }
        Command::Pay(args) => crate::pay::run(&ctx, *args).await,
        Command::Reconcile(args) => crate::reconcile::run(&ctx, *args).await,
        Command::Arrs(command) => crate::arrs::run(&ctx, command).await,
        Command::Plan(args) => crate::plan::run(&ctx, *args).await,
        Command::Appointments(command) => crate::appointments::run(&ctx, command).await,
        Command::Services(command) => crate::services::run(&ctx, command).await,
        Command::CareHome(command) => crate::services::run_care_home(&ctx, command).await,
        #[cfg(feature = "bench")]
        Command::Bench(args) => pcn_bench::run(args).await,
        Command::Serve(args) => crate::serve::run(&ctx, args).await,
        Command::User(command) => crate::user::run(&ctx, command).await,
    }
}
