//! A year's payment run: the rules of the year (and the year before, for a
//! rate this year's rulebook lacks), the registry, and what is recorded for
//! the year (distribution agreements, commissioner assessments).

use pcn_core::funding::{Distribution, PayRun};
use pcn_core::payrun::{self, Agreement, Agreements, Assessments, RunOptions, Selection};
use pcn_core::registry::Registry;
use pcn_core::rulebook::{FinancialYear, Rulebook, StreamId};
use pcn_core::Decimal;

use crate::{App, Error, Result};

/// Builds a year's run from a registry already in memory (the web app keeps one).
pub fn build_run(
    rulebook: &Rulebook,
    registry: &Registry,
    year: FinancialYear,
    selection: &Selection,
    options: &RunOptions,
) -> Result<PayRun> {
    let rules = rulebook.financial_year(year)?;
    let previous = rulebook.financial_year(year.previous()).ok();
    Ok(payrun::build(
        registry, rules, previous, selection, options,
    )?)
}

impl App {
    /// The distribution agreements and commissioner assessments recorded for a year.
    pub async fn recorded_for(&self, year: FinancialYear) -> Result<(Agreements, Assessments)> {
        let mut agreements = Agreements::new();
        for a in self
            .store
            .distribution_agreements(&year.to_string())
            .await?
        {
            let method = Distribution::parse(&a.method, a.shares.as_deref()).map_err(|e| {
                Error::Conflict(format!(
                    "the recorded distribution of {} for {}: {e}",
                    a.pcn, a.financial_year
                ))
            })?;
            let top_slice_percent: Decimal = a.top_slice_percent.parse().map_err(|_| {
                Error::Conflict(format!(
                    "the recorded top-slice of {} for {} is not a number: {:?}",
                    a.pcn, a.financial_year, a.top_slice_percent
                ))
            })?;
            agreements.insert(
                a.pcn.clone(),
                Agreement {
                    method,
                    top_slice_percent,
                },
            );
        }
        let mut assessments = Assessments::new();
        for a in self.store.assessments(&year.to_string()).await? {
            let stream = StreamId::parse(&a.stream_id)
                .map_err(|e| Error::Conflict(format!("a recorded assessment of {}: {e}", a.pcn)))?;
            assessments
                .entry(a.pcn)
                .or_default()
                .push((stream, a.earned));
        }
        Ok((agreements, assessments))
    }

    /// The payment run of a year for the selection, with what is recorded
    /// for the year; `options.agreements` and `options.assessments` are
    /// filled from the store.
    pub async fn pay_run(
        &self,
        year: FinancialYear,
        selection: &Selection,
        mut options: RunOptions,
    ) -> Result<PayRun> {
        // Refuse an unknown year before any reading.
        self.rulebook.financial_year(year)?;
        let (agreements, assessments) = self.recorded_for(year).await?;
        options.agreements = agreements;
        options.assessments = assessments;
        let registry = self.registry_required().await?;
        if let Some(pcn) = &selection.pcn {
            crate::governance::require_network(&registry, pcn)?;
        }
        if let Some(c) = &selection.commissioner {
            if !registry.knows_commissioner(c) {
                return Err(Error::NotFound(format!(
                    "there is no commissioner {c} in the registry (a sub-ICB location such as 16C or an ICB such as QHM)"
                )));
            }
        }
        let rulebook = self.rulebook.clone();
        let selection = selection.clone();
        tokio::task::spawn_blocking(move || {
            build_run(&rulebook, &registry, year, &selection, &options)
        })
        .await?
    }
}
