//! The registry: every fact in the store, indexed by the core.

use pcn_core::registry::Registry;

use crate::{App, Error, Result};

impl App {
    /// The registry of every fact held (read from the store's cache).
    pub async fn registry(&self) -> Result<Registry> {
        let facts = self.store.load_facts().await?;
        Ok(tokio::task::spawn_blocking(move || Registry::new(facts)).await?)
    }

    /// The registry, refusing an empty one: a database nothing was imported into.
    pub async fn registry_required(&self) -> Result<Registry> {
        let registry = self.registry().await?;
        if registry.latest_date().is_none() {
            return Err(Error::NoRegistry);
        }
        Ok(registry)
    }
}
