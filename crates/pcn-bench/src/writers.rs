//! Many writers at once on one database: command-line processes (`pcn arrs
//! add`, `pcn network set`) beside the server with concurrent API writers,
//! all for a fixed time. Every write that reports success must be in the
//! store exactly once afterwards, and no write may fail: 0 failed, 0 lost,
//! 0 duplicated. Runs on SQLite (a file) or PostgreSQL (a URL).
//!
//! `scripts/test` runs it for about 20 seconds (the `pcn-cli` test
//! `concurrent_cli_and_api_writers_lose_nothing`); `pcn bench` runs it for
//! two minutes.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use pcn_app::App;

/// The demo accounts' password in a writers run.
const PASSWORD: &str = "writers-password-123";

/// What a writers run does.
#[derive(Debug, Clone)]
pub struct WritersConfig {
    /// The `pcn` binary the command-line writers run.
    pub pcn: PathBuf,
    /// An SQLite path or a `postgres://` URL of an empty database.
    pub database: String,
    pub duration: Duration,
    pub cli_writers: usize,
    pub api_writers: usize,
}

/// What a writers run found.
#[derive(Debug, Clone, Default)]
pub struct WritersReport {
    pub cli_adds: usize,
    pub cli_sets: usize,
    pub api_adds: usize,
    pub failed: Vec<String>,
    /// Successful writes missing from the store afterwards.
    pub lost: usize,
    /// Writes found more than once (or ids shared).
    pub duplicated: usize,
    pub seconds: f64,
}

impl WritersReport {
    pub fn is_clean(&self) -> bool {
        self.failed.is_empty() && self.lost == 0 && self.duplicated == 0
    }

    pub fn line(&self) -> String {
        format!(
            "{} CLI adds, {} CLI governance sets, {} API adds in {:.1} s; {} failed, {} lost, {} duplicated",
            self.cli_adds,
            self.cli_sets,
            self.api_adds,
            self.seconds,
            self.failed.len(),
            self.lost,
            self.duplicated
        )
    }
}

/// One command-line writer: adds a post, then records a clinical director,
/// over and over until the deadline, each a process of its own.
async fn cli_writer(
    config: Arc<WritersConfig>,
    n: usize,
    deadline: Instant,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut added, mut set, mut failed) = (Vec::new(), Vec::new(), Vec::new());
    let pcn = format!("U9000{}", 2 + n % 4);
    let mut i = 0;
    while Instant::now() < deadline {
        i += 1;
        let person = format!("CLI-{n}-{i}");
        let director = format!("Dr Writer {n}-{i}");
        let (args, list): (Vec<String>, bool) = if i % 2 == 1 {
            let args = [
                "arrs",
                "add",
                "--pcn",
                &pcn,
                "--person",
                &person,
                "--role",
                "paramedic",
                "--band",
                "7",
                "--wte",
                "1",
                "--start",
                "2026-04-01",
            ];
            (args.iter().map(|s| s.to_string()).collect(), true)
        } else {
            let args = [
                "network",
                "set",
                &pcn,
                "--clinical-director",
                &director,
                "--effective-from",
                "2026-07-01",
            ];
            (args.iter().map(|s| s.to_string()).collect(), false)
        };
        let out = tokio::process::Command::new(&config.pcn)
            .arg("--database")
            .arg(&config.database)
            .arg("--by")
            .arg(format!("cli-{n}"))
            .args(&args)
            .env_remove("PCN_DATABASE")
            .output()
            .await;
        match out {
            Ok(o) if o.status.success() => {
                if list {
                    added.push(person);
                } else {
                    set.push(director);
                }
            }
            Ok(o) => failed.push(format!(
                "pcn {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => failed.push(format!("pcn {}: {e}", args.join(" "))),
        }
    }
    (added, set, failed)
}

/// One API writer: adds posts to U90001 through the JSON API until the deadline.
async fn api_writer(
    base: String,
    cookie: String,
    csrf: String,
    n: usize,
    deadline: Instant,
) -> Result<(Vec<String>, Vec<String>)> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let (mut added, mut failed) = (Vec::new(), Vec::new());
    let mut i = 0;
    while Instant::now() < deadline {
        i += 1;
        let person = format!("API-{n}-{i}");
        let body = format!(
            r#"{{"person":"{person}","role":"paramedic","band":"7","wte":"1.0","start":"2026-04-01"}}"#
        );
        let res = client
            .post(format!("{base}/api/networks/U90001/arrs/posts"))
            .header(reqwest::header::COOKIE, &cookie)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("x-csrf-token", &csrf)
            .body(body)
            .send()
            .await;
        match res {
            Ok(r) if r.status() == reqwest::StatusCode::CREATED => added.push(person),
            Ok(r) => {
                let status = r.status();
                failed.push(format!("POST {person}: {status} {}", r.text().await?));
            }
            Err(e) => failed.push(format!("POST {person}: {e}")),
        }
    }
    Ok((added, failed))
}

/// Logs in through the API; the session cookie and the CSRF token.
async fn api_login(base: &str, user: &str) -> Result<(String, String)> {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/session"))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(format!(
            r#"{{"username":"{user}","password":"{PASSWORD}"}}"#
        ))
        .send()
        .await?;
    if res.status() != reqwest::StatusCode::OK {
        bail!("logging in as {user}: {}", res.status());
    }
    let cookie = res
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow!("no session cookie"))?
        .to_string();
    let body: serde_json::Value = res.json().await?;
    let csrf = body["csrf_token"]
        .as_str()
        .ok_or_else(|| anyhow!("no CSRF token"))?
        .to_string();
    Ok((cookie, csrf))
}

/// Runs the writers against a new demo database and checks the store after.
pub async fn run(config: WritersConfig) -> Result<WritersReport> {
    let rulebook = Arc::new(pcn_app::rules::load(None)?);
    let app = App::open(&config.database, rulebook).await?;
    pcn_app::demo::write_demo(&app, "writers").await?;
    pcn_app::demo::add_demo_accounts_and_posts(&app, "writers", PASSWORD).await?;
    let store = app.store.clone();
    let state = pcn_web::build_state(
        app,
        pcn_web::Config {
            secure_cookies: false,
            max_upload: 1 << 20,
        },
    )
    .await?;
    let listener = pcn_web::bind("127.0.0.1:0".parse()?).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(pcn_web::serve(state, listener));
    let (cookie, csrf) = api_login(&base, "network").await?;
    let started = Instant::now();
    let deadline = started + config.duration;
    let config = Arc::new(config);
    let cli: Vec<_> = (0..config.cli_writers)
        .map(|n| tokio::spawn(cli_writer(config.clone(), n, deadline)))
        .collect();
    let api: Vec<_> = (0..config.api_writers)
        .map(|n| {
            tokio::spawn(api_writer(
                base.clone(),
                cookie.clone(),
                csrf.clone(),
                n,
                deadline,
            ))
        })
        .collect();
    let mut report = WritersReport::default();
    let (mut posts_written, mut directors_set) = (Vec::new(), Vec::new());
    for task in cli {
        let (added, set, failed) = task.await?;
        report.cli_adds += added.len();
        report.cli_sets += set.len();
        posts_written.extend(added);
        directors_set.extend(set);
        report.failed.extend(failed);
    }
    for task in api {
        let (added, failed) = task.await??;
        report.api_adds += added.len();
        posts_written.extend(added);
        report.failed.extend(failed);
    }
    report.seconds = started.elapsed().as_secs_f64();
    server.abort();
    // Every post written once, under an id of its own.
    let posts = store.posts(None).await?;
    let mut by_person: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &posts {
        *by_person.entry(p.person.as_str()).or_default() += 1;
    }
    let ids: HashSet<i64> = posts.iter().map(|p| p.id).collect();
    report.duplicated += posts.len() - ids.len();
    for person in &posts_written {
        match by_person.get(person.as_str()) {
            None => report.lost += 1,
            Some(1) => {}
            Some(n) => report.duplicated += n - 1,
        }
    }
    // Every governance fact recorded, once.
    let facts = store.load_facts().await?;
    let mut recorded: BTreeMap<&str, usize> = BTreeMap::new();
    for g in &facts.governance {
        *recorded.entry(g.value.as_str()).or_default() += 1;
    }
    for director in &directors_set {
        match recorded.get(director.as_str()) {
            None => report.lost += 1,
            Some(1) => {}
            Some(n) => report.duplicated += n - 1,
        }
    }
    Ok(report)
}
