//! The store's one error type: what went wrong, in a kind an edge can act on
//! (a 404, a 409, a 400, or an internal error), with the cause kept as the
//! error's source rather than flattened into text.
//!
//! No message names a connection string with its password: the database
//! spec is redacted before it reaches `Error::Open`, and the database's own
//! errors (`sqlx::Error`) carry no connection string.

use std::borrow::Cow;

/// Any error, boxed: the cause of a value the store could not read back.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result of a store operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What was asked for is not in the store (an account, a post).
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with what the store holds: the same thing twice
    /// (a user name taken, a census already held), or a state that has
    /// moved on (a claim no longer at the status before the new one).
    #[error("{0}")]
    Conflict(String),
    /// A value the store refuses to keep (a malformed user name, a role
    /// that cannot have that scope, a count too large to store).
    #[error("{0}")]
    Invalid(String),
    /// A stored value that cannot be read back: the database was changed by
    /// something other than pcn, or by a newer pcn.
    #[error("bad {column} {value:?} in the database (table {table})")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        value: String,
        #[source]
        source: Option<BoxError>,
    },
    /// The file named as an SQLite database is something else.
    #[error("{path} is not an SQLite database (a pcn database starts with the SQLite header); name the database file with --database or PCN_DATABASE")]
    NotSqlite { path: String },
    /// The folder of a new SQLite database does not exist.
    #[error("cannot create the database {path}: the folder {folder} does not exist")]
    NoFolder { path: String, folder: String },
    /// The database could not be opened; `target` is the spec, redacted.
    #[error("opening the database {target}")]
    Open {
        target: String,
        #[source]
        source: sqlx::Error,
    },
    /// The schema could not be brought up to date.
    #[error("migrating the database schema")]
    Migration(#[source] sqlx::migrate::MigrateError),
    /// The database refused or failed a query; `doing` says what the store
    /// was doing.
    #[error("{doing}")]
    Database {
        doing: Cow<'static, str>,
        #[source]
        source: sqlx::Error,
    },
    /// A workforce census that cannot be seeded (held already, or of two dates).
    #[error(transparent)]
    Census(#[from] pcn_core::arrs::census::SeedError),
    /// The registry cache could not be encoded.
    #[error("encoding the registry cache")]
    Encode(#[source] postcard::Error),
}

impl From<sqlx::Error> for Error {
    fn from(source: sqlx::Error) -> Error {
        Error::Database {
            doing: Cow::Borrowed("querying the database"),
            source,
        }
    }
}

/// What an edge can do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Not there: a 404.
    NotFound,
    /// Conflicts with what is held: a 409.
    Conflict,
    /// Refused as given: the user can fix it (a 400 or 422).
    Invalid,
    /// The database, its data or pcn itself: an internal error.
    Internal,
}

impl Error {
    /// What an edge can do about this error.
    pub fn kind(&self) -> ErrorKind {
        use pcn_core::arrs::census::SeedError;
        match self {
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Conflict(_) | Error::Census(SeedError::AlreadyHeld(_)) => ErrorKind::Conflict,
            Error::Invalid(_) | Error::Census(_) => ErrorKind::Invalid,
            Error::Corrupt { .. }
            | Error::Open { .. }
            | Error::NotSqlite { .. }
            | Error::NoFolder { .. }
            | Error::Migration(_)
            | Error::Database { .. }
            | Error::Encode(_) => ErrorKind::Internal,
        }
    }

    /// A stored value that cannot be read back.
    pub(crate) fn corrupt(
        table: &'static str,
        column: &'static str,
        value: impl Into<String>,
        source: Option<BoxError>,
    ) -> Error {
        Error::Corrupt {
            table,
            column,
            value: value.into(),
            source,
        }
    }
}

/// Says what the store was doing when a query failed.
pub(crate) trait Doing<T> {
    fn doing(self, what: impl Into<Cow<'static, str>>) -> Result<T>;
}

impl<T> Doing<T> for std::result::Result<T, sqlx::Error> {
    fn doing(self, what: impl Into<Cow<'static, str>>) -> Result<T> {
        self.map_err(|source| Error::Database {
            doing: what.into(),
            source,
        })
    }
}
