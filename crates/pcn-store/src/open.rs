//! Opening a store: which engine a `--database` spec names, the connection
//! settings of each engine, and the schema migrations (shared, plus the
//! few that differ per engine).

use sqlx::any::AnyPoolOptions;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, Migrator};
use sqlx::{AnyConnection, AnyPool, Row};
use std::future::Future;
use std::pin::Pin;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

use crate::error::{Doing, Error, Result};
use crate::{Backend, Store};

/// The migrations both engines run, in `migrations/`.
static SHARED: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
/// The few that differ (how a primary key becomes the database's), per engine.
static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations-sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations-postgres");

/// How long a writer waits for another's transaction before it gives up
/// (SQLite's busy timeout).
const BUSY_TIMEOUT_MS: u32 = 10_000;

/// The shared migrations and one engine's, as one list in version order.
#[derive(Debug)]
struct Migrations(Vec<Migration>);

impl<'s> MigrationSource<'s> for Migrations {
    fn resolve(self) -> BoxFuture<'s, std::result::Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move { Ok(self.0) })
    }
}

async fn migrate(pool: &AnyPool, backend: Backend) -> Result<()> {
    let own = match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    };
    let mut all: Vec<Migration> = SHARED.iter().chain(own.iter()).cloned().collect();
    all.sort_by_key(|m| m.version);
    let migrator = Migrator::new(Migrations(all))
        .await
        .map_err(Error::Migration)?;
    migrator.run(pool).await.map_err(Error::Migration)
}

/// The settings of every SQLite connection. WAL lets readers go on while one
/// process writes, and keeps a commit whole if the process is killed;
/// `synchronous = NORMAL` is safe with WAL (a power cut may lose the last
/// commits, never corrupt the file). A writer that finds the database
/// locked waits up to the busy timeout instead of failing at once.
async fn configure_sqlite(conn: &mut AnyConnection) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(&format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"))
        .execute(&mut *conn)
        .await?;
    // Changing the journal mode needs the database to itself, so only when
    // it is not WAL already (the mode is kept in the file).
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await?;
    if !mode.eq_ignore_ascii_case("wal") {
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("PRAGMA synchronous = NORMAL")
        .execute(&mut *conn)
        .await?;
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Turns what the user typed after `--database` into a connection URL: a
/// `postgres://` or `sqlite:` URL is used as it is; anything else is a path to
/// an SQLite file, created when missing.
pub fn database_url(spec: &str) -> String {
    if spec.starts_with("postgres://")
        || spec.starts_with("postgresql://")
        || spec.starts_with("sqlite:")
    {
        spec.to_string()
    } else {
        format!("sqlite://{spec}?mode=rwc")
    }
}

/// Hides a password in a connection string before it reaches a message.
pub(crate) fn redact(spec: &str) -> String {
    match (spec.find("://"), spec.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &spec[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &spec[..scheme + 3],
                    &credentials[..colon],
                    &spec[at..]
                ),
                None => spec.to_string(),
            }
        }
        _ => spec.to_string(),
    }
}

/// The path of an SQLite database spec (`pcn.sqlite`, `sqlite://x.db?…`);
/// `None` for PostgreSQL.
pub fn sqlite_path(spec: &str) -> Option<std::path::PathBuf> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        return None;
    }
    let path = spec
        .strip_prefix("sqlite://")
        .or_else(|| spec.strip_prefix("sqlite:"))
        .unwrap_or(spec);
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// Refuses, before any connection is tried, a file that is not an SQLite
/// database (SQLite would fail every connection, and the pool retry until
/// its timeout) and a new database in a folder that does not exist.
fn check_sqlite_file(spec: &str) -> Result<()> {
    use std::io::Read;
    let Some(path) = sqlite_path(spec) else {
        return Ok(());
    };
    const HEADER: &[u8; 16] = b"SQLite format 3\0";
    match std::fs::File::open(&path) {
        Ok(mut f) => {
            let mut head = [0u8; 16];
            let n = f.read(&mut head).unwrap_or(0);
            // An empty file is a new database to SQLite.
            if n > 0 && (n < 16 || &head != HEADER) {
                return Err(Error::NotSqlite {
                    path: path.display().to_string(),
                });
            }
            Ok(())
        }
        Err(_) => match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(folder) if !folder.is_dir() => Err(Error::NoFolder {
                path: path.display().to_string(),
                folder: folder.display().to_string(),
            }),
            _ => Ok(()),
        },
    }
}

/// How long opening a PostgreSQL database may take before it is reported
/// unreachable (SQLite files open at once).
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl Store {
    /// Opens (creating if needed) and migrates the database at `spec`.
    pub async fn open(spec: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        check_sqlite_file(spec)?;
        let url = database_url(spec);
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let mut options = AnyPoolOptions::new();
        match backend {
            Backend::Postgres => options = options.acquire_timeout(CONNECT_TIMEOUT),
            // A connection to a local file cannot go stale: no ping before
            // each use (one round trip to SQLite's thread saved on every
            // request, a fifth of a small write's).
            Backend::Sqlite => options = options.test_before_acquire(false),
        }
        let pool = options
            .max_connections(if backend == Backend::Sqlite { 1 } else { 8 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        configure_sqlite(conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(|source| Error::Open {
                target: redact(spec),
                source,
            })?;
        migrate(&pool, backend).await?;
        let checkpoints = match backend {
            Backend::Sqlite => Some(
                AnyPoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .after_connect(|conn, _| Box::pin(configure_sqlite(conn)))
                    .connect_lazy(&url)
                    .map_err(|source| Error::Open {
                        target: redact(spec),
                        source,
                    })?,
            ),
            Backend::Postgres => None,
        };
        Ok(Store {
            pool,
            backend,
            checkpoints,
        })
    }

    /// Copies what the SQLite write-ahead log holds into the database file
    /// (a passive checkpoint: it waits for no reader or writer). SQLite
    /// does this itself in the commit that takes the log past 1,000 pages,
    /// making that one commit, a user's edit, milliseconds slower; the
    /// server calls this every few seconds instead, on a connection of its
    /// own (writers go on meanwhile), so the log never gets there. Returns
    /// the pages in the log and how many of them are now in the file;
    /// `None` on PostgreSQL, where there is nothing to do.
    pub async fn checkpoint(&self) -> Result<Option<(i64, i64)>> {
        let Some(checkpoints) = &self.checkpoints else {
            return Ok(None);
        };
        let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(checkpoints)
            .await
            .doing("checkpointing the write-ahead log")?;
        let pages = |i: usize| {
            row.try_get::<i64, _>(i)
                .doing("reading a checkpoint's pages")
        };
        Ok(Some((pages(1)?, pages(2)?)))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(self) {
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.close().await;
        }
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(database_url("pcn.sqlite"), "sqlite://pcn.sqlite?mode=rwc");
        assert_eq!(
            database_url("postgres://u:p@localhost/db"),
            "postgres://u:p@localhost/db"
        );
        assert_eq!(
            redact("postgres://user:secret@localhost/db"),
            "postgres://user:***@localhost/db"
        );
        assert_eq!(redact("pcn.sqlite"), "pcn.sqlite");
        assert_eq!(sqlite_path("pcn.sqlite"), Some("pcn.sqlite".into()));
        assert_eq!(
            sqlite_path("sqlite://a/b.db?mode=rwc"),
            Some("a/b.db".into())
        );
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_database_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "practice,pcn\n").unwrap();
        let started = std::time::Instant::now();
        let err = Store::open(&text.display().to_string()).await.unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(
            err.to_string().contains("is not an SQLite database"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&text).unwrap(), "practice,pcn\n");
        let missing = dir.path().join("no-such-folder/pcn.sqlite");
        let err = Store::open(&missing.display().to_string())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("folder"), "{err}");
        assert!(!missing.exists());
    }
}
