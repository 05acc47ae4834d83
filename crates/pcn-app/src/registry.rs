//! The registry: every fact in the store, indexed by the core, and a
//! network or practice as at a date.

use chrono::NaiveDate;
use pcn_core::facts::GovernanceFact;
use pcn_core::registry::{MembershipRecord, NetworkView, PracticeView, Registry, Snapshot};
use pcn_core::{CommissionerCode, PcnCode, PracticeCode};

use crate::governance::require_network;
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

/// A network as at a date: its view, the snapshot it is part of (for its
/// members), and every governance fact recorded for it with when and by whom.
#[derive(Debug, Clone)]
pub struct NetworkAsAt {
    pub network: NetworkView,
    pub snapshot: Snapshot,
    pub history: Vec<(GovernanceFact, String, String)>,
}

/// A practice as at a date (none when it has no registered list that day)
/// and its whole membership history.
#[derive(Debug, Clone)]
pub struct PracticeAsAt {
    pub practice: Option<PracticeView>,
    pub history: Vec<MembershipRecord>,
}

impl App {
    /// A network as at a date, refusing a code no fact names and a network
    /// with no members that is not open in ODS on the date.
    pub async fn network_as_at(&self, pcn: &PcnCode, as_at: NaiveDate) -> Result<NetworkAsAt> {
        let registry = self.registry_required().await?;
        require_network(&registry, pcn)?;
        let snapshot = registry.at(as_at);
        let Some(network) = snapshot.networks.get(pcn).map(|n| (**n).clone()) else {
            return Err(Error::NotFound(format!(
                "{pcn} has no members and is not open in ODS on {as_at}"
            )));
        };
        let history = self.store.governance_rows(Some(pcn)).await?;
        Ok(NetworkAsAt {
            network,
            snapshot,
            history,
        })
    }

    /// The registry as at a date, refusing a commissioner it does not know
    /// (the networks under it are `Snapshot::networks_under`).
    pub async fn snapshot_for(
        &self,
        as_at: NaiveDate,
        commissioner: Option<&CommissionerCode>,
    ) -> Result<Snapshot> {
        let registry = self.registry_required().await?;
        if let Some(c) = commissioner {
            if !registry.knows_commissioner(c) {
                return Err(Error::NotFound(format!(
                    "there is no commissioner {c} in the registry"
                )));
            }
        }
        Ok(registry.at(as_at))
    }

    /// A practice as at a date with its membership history, refusing a code
    /// no fact names.
    pub async fn practice_as_at(
        &self,
        code: &PracticeCode,
        as_at: NaiveDate,
    ) -> Result<PracticeAsAt> {
        let registry = self.registry_required().await?;
        if !registry.knows_practice(code) {
            return Err(Error::NotFound(format!(
                "there is no practice {code} in the registry"
            )));
        }
        Ok(PracticeAsAt {
            practice: registry
                .at(as_at)
                .practices
                .get(code)
                .map(|p| (**p).clone()),
            history: registry.membership_history(code),
        })
    }
}
