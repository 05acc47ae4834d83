//! Opening a store: which engine a `--database` spec names, the connection
//! settings of each engine, and the schema migrations.

use sqlx::any::AnyPoolOptions;

use crate::error::{Error, Result};
use crate::{Backend, Store};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

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

impl Store {
    /// Opens (creating if needed) and migrates the database at `spec`.
    pub async fn open(spec: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let url = database_url(spec);
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 1 } else { 8 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL is sqlx's default; NORMAL sync is safe with WAL and much faster.
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
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
        MIGRATOR.run(&pool).await.map_err(Error::Migration)?;
        Ok(Store { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(self) {
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
    }
}
