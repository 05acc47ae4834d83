//! The application layer's one error type. Its kind tells an edge how to
//! answer: [`Error::Invalid`] and [`Error::NotFound`] are the user's to fix
//! (a 4xx, exit code 2 with the message); [`Error::Conflict`] is a clash with
//! what is stored; [`Error::Store`] and [`Error::Io`] are faults, whose text
//! the web app never shows.

use std::path::PathBuf;

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What the user gave is not acceptable; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// A network, practice, post or year that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with what is recorded.
    #[error("{0}")]
    Conflict(String),
    /// The database holds no registry yet.
    #[error("the database holds no registry yet: run `pcn import FILE…` or `pcn demo` first")]
    NoRegistry,
    #[error("the rulebook is invalid:\n{0}")]
    Rules(#[from] pcn_core::rulebook::RulebookErrors),
    #[error(transparent)]
    Year(#[from] pcn_core::rulebook::YearError),
    #[error(transparent)]
    PayRun(#[from] pcn_core::payrun::PayRunError),
    #[error(transparent)]
    Arrs(#[from] pcn_core::arrs::ArrsError),
    #[error("the database")]
    Store(#[source] StoreError),
    #[error("reading {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("removing the old demo database {}", path.display())]
    Remove {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the work stopped unexpectedly")]
    Stopped(#[from] tokio::task::JoinError),
}

/// The store's error.
pub type StoreError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl Error {
    /// Wraps a store error.
    pub fn store(e: impl Into<StoreError>) -> Error {
        Error::Store(e.into())
    }

    /// A user's mistake.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::Invalid(message.into())
    }

    /// Whether the error is the user's to fix rather than a fault.
    pub fn is_users(&self) -> bool {
        !matches!(
            self,
            Error::Store(_) | Error::Io { .. } | Error::Remove { .. } | Error::Stopped(_)
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<pcn_store::Error> for Error {
    fn from(e: pcn_store::Error) -> Error {
        Error::store(e)
    }
}
