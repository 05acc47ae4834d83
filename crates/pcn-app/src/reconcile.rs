//! Reconciling a year: what the DES says each network of a selection is owed
//! (the year's payment run, as `pcn pay` builds it) against what it was paid,
//! per network and stream, with the cause of every difference. What was paid
//! comes from NHS Payments to General Practice as imported, or from the
//! networks' own remittance CSVs (`pcn import`). The rules are the core's
//! (`pcn_core::reconcile`); this reads the store and the registry for them.

use pcn_core::facts::Remittance;
use pcn_core::funding::PayRun;
use pcn_core::payrun::{RunOptions, Selection};
use pcn_core::reconcile::{self, ReconcileOptions, Reconciliation};
use pcn_core::registry::Registry;
use pcn_core::rulebook::{FinancialYear, Rulebook};

use crate::governance::require_network;
use crate::{App, Error, Result};

/// What the statements are compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Against {
    /// NHS Payments to General Practice, practice level (one amount a year
    /// per published column).
    #[default]
    Payments,
    /// The networks' remittance CSVs (amounts per month and stream).
    Remittances,
}

impl Against {
    /// `payments` or `remittances`, as a query or flag says it.
    pub fn name(self) -> &'static str {
        match self {
            Against::Payments => "payments",
            Against::Remittances => "remittances",
        }
    }

    /// The value of a query or flag.
    pub fn parse(raw: &str) -> Option<Against> {
        match raw {
            "payments" => Some(Against::Payments),
            "remittances" => Some(Against::Remittances),
            _ => None,
        }
    }
}

/// The financial years NHS Payments to General Practice has been imported for.
pub fn years_with_payments(registry: &Registry) -> Vec<FinancialYear> {
    let years: std::collections::BTreeSet<&str> = registry
        .payment_actuals()
        .iter()
        .map(|f| f.financial_year.as_str())
        .collect();
    years.into_iter().filter_map(|y| y.parse().ok()).collect()
}

/// Reconciles a run already built from `registry` (the web app keeps both in
/// memory). `remittances` are used when comparing with remittances.
pub fn reconcile_run(
    registry: &Registry,
    run: &PayRun,
    selection: &Selection,
    against: Against,
    remittances: &[Remittance],
) -> Reconciliation {
    let options = ReconcileOptions {
        alternatives: reconcile::alternatives(registry, run),
        ..ReconcileOptions::default()
    };
    match against {
        Against::Remittances => reconcile::reconcile_remittances(run, remittances, &options),
        Against::Payments if selection.pcn.is_none() && selection.commissioner.is_none() => {
            reconcile::reconcile_payments(run, registry.payment_actuals(), &options)
        }
        Against::Payments => {
            // Only the selection's payments: another network's would show as
            // paid with no statement.
            let actuals = reconcile::actuals_for(run, registry.payment_actuals(), |pcn| {
                run.networks.iter().any(|n| &n.statement.pcn == pcn)
            });
            reconcile::reconcile_payments(run, actuals, &options)
        }
    }
}

/// Whether anything to compare with is held for the year.
fn require_paid(
    registry: &Registry,
    year: FinancialYear,
    against: Against,
    remittances: &[Remittance],
) -> Result<()> {
    let year_text = year.to_string();
    match against {
        Against::Payments
            if !registry
                .payment_actuals()
                .iter()
                .any(|f| f.financial_year == year_text) =>
        {
            Err(Error::NotFound(format!(
                "no NHS Payments to General Practice file for {year} has been imported \
                 (`pcn import nhspaymentsgp-{:02}-{:02}-prac.csv`), so there is nothing to reconcile with",
                year.start_year().rem_euclid(100),
                (year.start_year() + 1).rem_euclid(100)
            )))
        }
        Against::Remittances if remittances.is_empty() => Err(Error::NotFound(format!(
            "no remittances for months of {year} have been imported (`pcn import` a CSV of \
             pcn_code, month, stream, amount)"
        ))),
        _ => Ok(()),
    }
}

/// The selection checked against the registry: an unknown network or
/// commissioner is the user's mistake, not an empty answer.
fn require_selection(registry: &Registry, selection: &Selection) -> Result<()> {
    if let Some(pcn) = &selection.pcn {
        require_network(registry, pcn)?;
    }
    if let Some(c) = &selection.commissioner {
        if !registry.knows_commissioner(c) {
            return Err(Error::NotFound(format!(
                "there is no commissioner {c} in the registry (a sub-ICB location such as 16C or an ICB such as QHM)"
            )));
        }
    }
    Ok(())
}

/// Builds the year's run for the selection and reconciles it.
fn build_and_reconcile(
    rulebook: &Rulebook,
    registry: &Registry,
    year: FinancialYear,
    selection: &Selection,
    options: &RunOptions,
    against: Against,
    remittances: &[Remittance],
) -> Result<Reconciliation> {
    let run = crate::pay::build_run(rulebook, registry, year, selection, options)?;
    Ok(reconcile_run(
        registry,
        &run,
        selection,
        against,
        remittances,
    ))
}

impl App {
    /// A year's reconciliation for a selection (every network, a
    /// commissioner's, or one), against the payments file or remittances.
    pub async fn reconcile(
        &self,
        year: FinancialYear,
        selection: &Selection,
        against: Against,
    ) -> Result<Reconciliation> {
        // Refuse an unknown year before any reading.
        self.rulebook.financial_year(year)?;
        let registry = self.registry_required().await?;
        require_selection(&registry, selection)?;
        let remittances = match against {
            Against::Remittances => self.store.remittances(year, selection.pcn.as_ref()).await?,
            Against::Payments => Vec::new(),
        };
        require_paid(&registry, year, against, &remittances)?;
        let (agreements, assessments) = self.recorded_for(year).await?;
        let options = RunOptions {
            agreements,
            assessments,
            ..RunOptions::default()
        };
        let rulebook = self.rulebook.clone();
        let selection = selection.clone();
        tokio::task::spawn_blocking(move || {
            build_and_reconcile(
                &rulebook,
                &registry,
                year,
                &selection,
                &options,
                against,
                &remittances,
            )
        })
        .await?
    }
}
