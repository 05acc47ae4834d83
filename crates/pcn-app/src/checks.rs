//! The DES network checks of a registry as at a date, for a scope, with
//! thresholds and the findings filtered by rule and severity.

use chrono::NaiveDate;
use pcn_core::checks::{self, CheckConfig, Report, Scope, Severity};
use pcn_core::registry::Registry;

use crate::governance::require_network;
use crate::{Error, Result};

/// What to check and which findings to keep.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub as_at: NaiveDate,
    pub scope: Scope,
    pub config: CheckConfig,
    /// Only these rules (upper case ids); every rule when empty.
    pub rules: Vec<String>,
    /// The least severe finding kept.
    pub least: Severity,
}

/// Runs the checks, refusing an unknown network, commissioner or rule (the
/// edge checks the thresholds it was given).
pub fn check(registry: &Registry, request: &CheckRequest) -> Result<Report> {
    let (scope, config) = (&request.scope, &request.config);
    if let Some(pcn) = &scope.pcn {
        require_network(registry, pcn)?;
    }
    if let Some(c) = &scope.commissioner {
        if !registry.knows_commissioner(c) {
            return Err(Error::NotFound(format!("there is no commissioner {c} in the registry (a sub-ICB location such as 16C or an ICB such as QHM)")));
        }
    }
    for rule in &request.rules {
        if !checks::RULES.iter().any(|r| r.id == rule) {
            let known: Vec<&str> = checks::RULES.iter().map(|r| r.id).collect();
            return Err(Error::invalid(format!(
                "unknown rule {rule:?}; the rules are {}",
                known.join(", ")
            )));
        }
    }
    let mut report = checks::run(&registry.at(request.as_at), config, scope);
    let rules = &request.rules;
    report.findings.retain(|f| {
        f.severity <= request.least && (rules.is_empty() || rules.iter().any(|r| r == f.rule))
    });
    Ok(report)
}
