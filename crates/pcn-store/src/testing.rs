//! Helpers for tests that need a database of their own on a shared server.
#![doc(hidden)]

use sqlx::Connection;

use crate::error::{Doing, Error, Result};
use crate::open::redact;

/// The PostgreSQL server the tests are given in `PCN_TEST_POSTGRES_URL`
/// (`scripts/test` starts one and sets it); `None`, said on standard error,
/// when none is given, which CI does not allow.
pub fn postgres_server() -> Option<String> {
    let Ok(base) = std::env::var("PCN_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but PCN_TEST_POSTGRES_URL is not: scripts/test starts PostgreSQL"
        );
        eprintln!("skipping PostgreSQL: PCN_TEST_POSTGRES_URL is not set (scripts/test sets it)");
        return None;
    };
    Some(base)
}

/// The URL of a fresh database (see [`fresh_postgres_database`]) on the
/// server of [`postgres_server`], or `None` when there is none.
pub async fn postgres_url(label: &str) -> Option<String> {
    let base = postgres_server()?;
    Some(
        fresh_postgres_database(&base, label)
            .await
            .expect("a fresh PostgreSQL database"),
    )
}

/// Creates an empty database on the PostgreSQL server at `base_url` (a URL
/// of an existing database, such as `postgres://…/postgres`) and returns
/// the URL of the new database. Each call gets a fresh name.
pub async fn fresh_postgres_database(base_url: &str, label: &str) -> Result<String> {
    sqlx::any::install_default_drivers();
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("pcn_test_{label}_{}_{n}", std::process::id());
    let mut conn = sqlx::AnyConnection::connect(base_url)
        .await
        .map_err(|source| Error::Open {
            target: redact(base_url),
            source,
        })?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut conn)
        .await
        .doing("dropping the test database")?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .doing("creating the test database")?;
    conn.close().await?;
    let (prefix, rest) = base_url
        .rsplit_once('/')
        .ok_or_else(|| Error::Invalid("the PostgreSQL URL has no database name".into()))?;
    let query = rest
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    Ok(format!("{prefix}/{name}{query}"))
}

/// What SQLite says of a database file after a crash: `PRAGMA
/// integrity_check` (`ok` when sound) and the rows `PRAGMA
/// foreign_key_check` finds (none when every reference holds).
pub async fn sqlite_health(path: &str) -> Result<(String, usize)> {
    sqlx::any::install_default_drivers();
    let url = crate::open::database_url(path);
    let mut conn = sqlx::AnyConnection::connect(&url)
        .await
        .map_err(|source| Error::Open {
            target: redact(path),
            source,
        })?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .doing("checking the database's integrity")?;
    let broken = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .doing("checking the database's references")?
        .len();
    conn.close().await?;
    Ok((integrity, broken))
}
