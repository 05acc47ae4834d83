//! What a network records that the official files lack: governance facts
//! (clinical director, payee, agreements, partners, size exceptions), how it
//! divides its money among members, and a commissioner's assessment of a
//! stream paid on achievement. Each is appended with who and when, never
//! overwritten, and audited.

use chrono::{NaiveDate, Utc};
use pcn_core::facts::{GovernanceFact, GovernanceField};
use pcn_core::funding::Distribution;
use pcn_core::money::Fraction;
use pcn_core::registry::Registry;
use pcn_core::rulebook::{Basis, FinancialYear, StreamId, Timing};
use pcn_core::{Decimal, PcnCode, PracticeCode};

use crate::{App, Error, Result};

/// The facts `input` records, checked against `registry` (the network
/// exists), before anything is written.
pub fn governance_facts_in(
    registry: &Registry,
    input: &GovernanceInput,
) -> Result<Vec<GovernanceFact>> {
    let facts = input.facts()?;
    require_network(registry, &input.pcn)?;
    Ok(facts)
}

/// Refuses a network code no fact has ever named (a typo), and the `U`
/// placeholder.
pub fn require_network(registry: &Registry, pcn: &PcnCode) -> Result<()> {
    if pcn.is_unallocated() {
        return Err(Error::invalid(
            "U is the Unallocated placeholder, not a network",
        ));
    }
    if !registry.knows_network(pcn) {
        return Err(Error::NotFound(format!(
            "there is no network {pcn} in the registry (check the code; `pcn network list` shows them)"
        )));
    }
    Ok(())
}

/// Governance values to record for a network from a date: each field with
/// its value as typed (an empty value clears the field from that date).
#[derive(Debug, Clone)]
pub struct GovernanceInput {
    pub pcn: PcnCode,
    pub effective_from: NaiveDate,
    pub values: Vec<(GovernanceField, String)>,
}

impl GovernanceInput {
    /// The dated facts, each value checked and in canonical form.
    pub fn facts(&self) -> Result<Vec<GovernanceFact>> {
        if self.values.is_empty() {
            return Err(Error::invalid("nothing to set: give at least one field"));
        }
        self.values
            .iter()
            .map(|(field, raw)| {
                let value = field
                    .parse_value(raw)
                    .map_err(|e| Error::invalid(format!("{}: {e}", field.name())))?;
                Ok(GovernanceFact {
                    pcn: self.pcn.clone(),
                    field: *field,
                    value,
                    effective_from: self.effective_from,
                })
            })
            .collect()
    }
}

/// A distribution agreement to record for a network and year.
#[derive(Debug, Clone)]
pub struct DistributionInput {
    pub pcn: PcnCode,
    pub year: FinancialYear,
    pub method: Distribution,
    /// The shares as typed, kept with the agreement.
    pub shares: Option<String>,
    pub top_slice_percent: Decimal,
}

/// A commissioner's assessment of a stream paid on achievement.
#[derive(Debug, Clone)]
pub struct AssessmentInput {
    pub pcn: PcnCode,
    pub year: FinancialYear,
    pub stream: StreamId,
    pub earned: Fraction,
    pub note: Option<String>,
}

impl App {
    /// Records governance facts for a known network; returns them.
    pub async fn set_governance(
        &self,
        input: &GovernanceInput,
        actor: &str,
    ) -> Result<Vec<GovernanceFact>> {
        let facts = governance_facts_in(&self.registry().await?, input)?;
        self.store
            .record_governance(&facts, Utc::now(), actor)
            .await?;
        Ok(facts)
    }

    /// Records how a network divides its money for a year. Percentages and
    /// fixed amounts must name exactly the members on the year's first day.
    pub async fn record_distribution(&self, input: &DistributionInput, actor: &str) -> Result<()> {
        if !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&input.top_slice_percent) {
            return Err(Error::invalid(format!(
                "the top-slice {}% is not a percentage from 0 to 100",
                input.top_slice_percent
            )));
        }
        let registry = self.registry().await?;
        require_network(&registry, &input.pcn)?;
        let named: Option<Vec<&PracticeCode>> = match &input.method {
            Distribution::Percentages(shares) => Some(shares.iter().map(|(c, _)| c).collect()),
            Distribution::Fixed(amounts) => Some(amounts.iter().map(|(c, _)| c).collect()),
            _ => None,
        };
        if let Some(named) = named {
            check_members_named(&registry, &input.pcn, input.year, &named)?;
        }
        let agreement = pcn_store::DistributionAgreement {
            pcn: input.pcn.clone(),
            financial_year: input.year.to_string(),
            method: input.method.method_name().to_string(),
            top_slice_percent: input.top_slice_percent.normalize().to_string(),
            shares: input.shares.clone().filter(|s| !s.trim().is_empty()),
        };
        self.store
            .record_distribution(&agreement, Utc::now(), actor)
            .await?;
        Ok(())
    }

    /// Records a commissioner's assessment of a stream paid on achievement
    /// (not IIF, which is paid on its points).
    pub async fn assess(&self, input: &AssessmentInput, actor: &str) -> Result<()> {
        let rules = self.rulebook.financial_year(input.year)?;
        let assessable: Vec<&str> = rules
            .streams
            .iter()
            .filter(|s| {
                s.timing == Timing::OnAchievement
                    && s.components.iter().all(|c| c.basis != Basis::IifPoints)
            })
            .map(|s| s.id.as_str())
            .collect();
        if !assessable.contains(&input.stream.as_str()) {
            return Err(Error::invalid(format!(
                "{} is not an assessed stream in {} (IIF is paid on its points); assessable: {}",
                input.stream,
                input.year,
                if assessable.is_empty() {
                    "none".to_string()
                } else {
                    assessable.join(", ")
                }
            )));
        }
        let note = pcn_core::text::check_opt_line("the note", input.note.as_deref(), 1_000)
            .map_err(|e| Error::invalid(e.to_string()))?;
        let registry = self.registry().await?;
        require_network(&registry, &input.pcn)?;
        let assessment = pcn_store::Assessment {
            pcn: input.pcn.clone(),
            financial_year: input.year.to_string(),
            stream_id: input.stream.to_string(),
            earned: input.earned,
            note: note.map(str::to_string),
        };
        self.store
            .record_assessment(&assessment, Utc::now(), actor)
            .await?;
        Ok(())
    }
}

/// Percentages and fixed amounts must name exactly the practices that are
/// members of the network in any month of the year (those its payment run
/// divides among).
fn check_members_named(
    registry: &Registry,
    pcn: &PcnCode,
    year: FinancialYear,
    named: &[&PracticeCode],
) -> Result<()> {
    let membership = registry.at(year.start());
    let members: Vec<PracticeCode> =
        pcn_core::payrun::members_by_month(registry, &membership, year)
            .remove(pcn)
            .map(|by_practice| by_practice.into_keys().collect())
            .unwrap_or_default();
    if members.is_empty() {
        return Err(Error::invalid(format!("{pcn} has no members in {year}")));
    }
    let list = || {
        members
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    for code in named {
        if !members.contains(code) {
            return Err(Error::invalid(format!(
                "{code} is not a member of {pcn} in {year} (its members: {})",
                list()
            )));
        }
    }
    for code in &members {
        if !named.contains(&code) {
            return Err(Error::invalid(format!(
                "member {code} of {pcn} in {year} has no share (its members: {})",
                list()
            )));
        }
    }
    Ok(())
}
