//! The registry cache's encoding: every fact of the registry in one compact
//! (postcard) value, so a national `pcn check` reads one row instead of
//! ~70,000. The cache is derived from the fact tables and may be dropped at
//! any time; a stale or unreadable one is rebuilt.

use pcn_core::facts::FactBatch;

use crate::error::{Error, Result};

/// The cache's format, part of its key: bump it whenever `FactBatch`
/// changes shape (`v2`: with the funding inputs).
pub(crate) const FORMAT: &str = "v2";

/// The facts as the cache keeps them.
pub(crate) fn encode(facts: &FactBatch) -> Result<Vec<u8>> {
    postcard::to_stdvec(facts).map_err(Error::Encode)
}

/// The facts from a cached value, or `None` when it cannot be read (say,
/// written by another version of pcn).
pub(crate) fn decode(bytes: &[u8]) -> Option<FactBatch> {
    postcard::from_bytes(bytes).ok()
}
