//! What the pages and the API show, worked out once from the data so the
//! HTML and the JSON cannot disagree.

use std::collections::BTreeMap;

use pcn_core::access::{allows, Account, Action, Scope, Target};
use pcn_core::checks::{Finding, Severity};
use pcn_core::funding::{LineStatus, NetworkPay};
use pcn_core::money::Pence;
use pcn_core::registry::{NetworkView, PracticeView};
use pcn_core::{CommissionerCode, PcnCode, PracticeCode};
use pcn_store::AuditEntry;
use serde::Serialize;
use utoipa::ToSchema;

use super::state::{Data, YearRun};

/// A network's rule status: the worst severity among its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Error => "error",
        }
    }
}

pub fn findings_of<'a>(data: &'a Data, pcn: &PcnCode) -> Vec<&'a Finding> {
    data.findings.of_network(pcn).iter().map(|f| &**f).collect()
}

pub fn status_of(findings: &[&Finding]) -> Status {
    findings
        .iter()
        .map(|f| match f.severity {
            Severity::Error => Status::Error,
            Severity::Warning => Status::Warning,
            Severity::Info => Status::Ok,
        })
        .max()
        .unwrap_or(Status::Ok)
}

/// A network in a commissioner's list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkRow {
    pub code: String,
    pub name: Option<String>,
    pub commissioner: Option<String>,
    pub members: usize,
    pub list_size: u64,
    pub status: Status,
    /// Rule ids of the error and warning findings.
    pub rules_broken: Vec<String>,
    /// Scheduled to the network in the year, in pence.
    pub scheduled_pence: Option<i64>,
}

pub fn network_row(data: &Data, run: Option<&YearRun>, n: &NetworkView) -> NetworkRow {
    let findings = findings_of(data, &n.code);
    let mut rules: Vec<String> = findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| f.rule.to_string())
        .collect();
    rules.dedup();
    NetworkRow {
        code: n.code.to_string(),
        name: n.name.clone(),
        commissioner: n.commissioner.as_ref().map(ToString::to_string),
        members: n.members.len(),
        list_size: n.list_size,
        status: status_of(&findings),
        rules_broken: rules,
        scheduled_pence: run
            .and_then(|r| r.network(&n.code))
            .map(|p| p.statement.totals.scheduled_to_network.0),
    }
}

/// The networks (with members) an account may see under a commissioner code.
pub fn networks_under<'a>(data: &'a Data, code: &CommissionerCode) -> Vec<&'a NetworkView> {
    data.snapshot
        .networks_with_members()
        .filter(|n| n.is_under(code))
        .collect()
}

pub fn practices_under<'a>(data: &'a Data, code: &CommissionerCode) -> Vec<&'a PracticeView> {
    data.snapshot
        .practices
        .values()
        .map(|p| &**p)
        .filter(|p| p.is_under(code))
        .collect()
}

/// Coverage of a commissioner's population by networks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Coverage {
    pub practices: usize,
    pub practices_covered: usize,
    pub patients: u64,
    pub patients_covered: u64,
    /// Covered patients as a percentage, two decimals, as text (exact).
    pub percent_covered: String,
}

pub fn coverage(practices: &[&PracticeView]) -> Coverage {
    let with_list: Vec<_> = practices
        .iter()
        .filter(|p| p.list_size.unwrap_or(0) > 0)
        .collect();
    let covered: Vec<_> = with_list
        .iter()
        .filter(|p| !p.networks.is_empty() && !p.unallocated)
        .collect();
    let patients: u64 = with_list.iter().filter_map(|p| p.list_size).sum();
    let patients_covered: u64 = covered.iter().filter_map(|p| p.list_size).sum();
    let percent = if patients == 0 {
        "0.00".to_string()
    } else {
        let basis_points =
            (patients_covered as u128 * 10_000 + patients as u128 / 2) / patients as u128;
        format!("{}.{:02}", basis_points / 100, basis_points % 100)
    };
    Coverage {
        practices: with_list.len(),
        practices_covered: covered.len(),
        patients,
        patients_covered,
        percent_covered: percent,
    }
}

/// What one practice receives from its network's payments in a year, line by line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeLine {
    pub stream: String,
    pub component: String,
    /// The line's whole amount for the network (pence); absent when the
    /// account may not see the network's funding (`Action::ViewFunding`).
    pub network_amount_pence: Option<i64>,
    /// The practice's part (pence).
    pub practice_pence: i64,
    /// Why the practice gets this part.
    pub why: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeShare {
    pub pcn: String,
    pub financial_year: String,
    pub total_pence: i64,
    /// "agreement" (recorded by the network), or "illustration" (no agreement
    /// recorded: by registered list, to show what a list-based split would give).
    pub basis: String,
    pub method: String,
    pub lines: Vec<PracticeLine>,
}

/// A practice's share of its network's money: paid to it directly, plus its
/// share of what is paid to the network under the recorded distribution (or,
/// with none recorded, an illustration by registered list). With
/// `network_figures` false the network's own figures (line amounts, the
/// total weight) are left out, for an account that may see the practice but
/// not the network's funding.
pub fn practice_share(
    pay: &NetworkPay,
    practice: &PracticeCode,
    network_figures: bool,
) -> Option<PracticeShare> {
    let st = &pay.statement;
    let (dist, basis, method) = match (&pay.distribution, &pay.distribution_method) {
        (Some(d), Some(m)) => (d.clone(), "agreement", m.method_name().to_string()),
        _ => {
            let total = st.totals.scheduled_to_network;
            let d = pcn_core::funding::distribute(
                total,
                Pence::ZERO,
                &pay.members,
                &pcn_core::funding::Distribution::ByRegisteredList,
            )
            .ok()?;
            (d, "illustration", "registered-list".to_string())
        }
    };
    let share = dist.shares.iter().find(|s| &s.practice == practice)?;
    let weight_total: u64 = dist.shares.iter().map(|s| s.weight).sum();
    let mut lines = Vec::new();
    let mut total = Pence::ZERO;
    // Payments made straight to member practices.
    for l in &st.lines {
        if let Some((_, p)) = l.to_practices.iter().find(|(c, _)| c == practice) {
            lines.push(PracticeLine {
                stream: l.stream_name.clone(),
                component: l.component_id.clone(),
                network_amount_pence: network_figures.then_some(l.amount.0),
                practice_pence: p.0,
                why: "paid to the practice directly under the DES".into(),
            });
            total += *p;
        }
    }
    // Its share of the network's scheduled payments, apportioned line by line
    // so the lines add up to the share exactly.
    let scheduled: Vec<_> = st
        .lines
        .iter()
        .filter(|l| matches!(l.status, LineStatus::Scheduled) && l.to_practices.is_empty())
        .filter(|l| l.amount.0 != 0)
        .collect();
    let weights: Vec<u64> = scheduled
        .iter()
        .map(|l| l.amount.0.unsigned_abs())
        .collect();
    let parts = if share.amount.0 >= 0 && scheduled.iter().all(|l| l.amount.0 > 0) {
        pcn_core::money::apportion(share.amount, &weights).unwrap_or_default()
    } else {
        Vec::new()
    };
    for (l, part) in scheduled.iter().zip(parts.iter()) {
        let why = if network_figures {
            format!(
                "{method} share {} of {} after a top-slice of {}",
                pcn_core::text::thousands(share.weight),
                pcn_core::text::thousands(weight_total),
                dist.top_slice
            )
        } else {
            format!("{method} share of the network's scheduled payments")
        };
        lines.push(PracticeLine {
            stream: l.stream_name.clone(),
            component: l.component_id.clone(),
            network_amount_pence: network_figures.then_some(l.amount.0),
            practice_pence: part.0,
            why,
        });
    }
    total += share.amount;
    Some(PracticeShare {
        pcn: st.pcn.to_string(),
        financial_year: st.financial_year.to_string(),
        total_pence: total.0,
        basis: basis.into(),
        method,
        lines,
    })
}

/// A practice's shares of every network it belongs to in a year's run, as
/// `account` may see them: a network's own figures only where the policy
/// lets the account see that network's funding as at the pages' date.
pub fn practice_shares(
    run: &YearRun,
    data: &Data,
    account: &Account,
    code: &PracticeCode,
) -> Vec<PracticeShare> {
    run.run
        .networks
        .iter()
        .filter(|n| n.members.iter().any(|m| &m.code == code))
        .filter_map(|n| {
            let figures = data
                .snapshot
                .networks
                .get(&n.statement.pcn)
                .is_some_and(|v| allows(account, Action::ViewFunding, Target::Network(v)));
            practice_share(n, code, figures)
        })
        .collect()
}

/// The audit rows an account may read: everything for admins, otherwise
/// rows about the networks (and their posts) and practices in its scope.
pub fn audit_visible(account: &Account, data: &Data, entity_key: &str, entity: &str) -> bool {
    if account.role == pcn_core::access::Role::Admin {
        return true;
    }
    if !allows(account, Action::ViewAudit, Target::Scope) {
        return false;
    }
    if matches!(
        entity,
        "file" | "account" | "access" | "login" | "arrs-roster"
    ) {
        return false;
    }
    let first = entity_key.split_whitespace().next().unwrap_or("");
    let first = first.trim_end_matches([',', ':']);
    if entity == "practice" {
        // A membership change: seen by whoever may see the practice's
        // audit as at the pages' date (its commissioner, its network).
        let Ok(code) = pcn_core::PracticeCode::parse(first) else {
            return false;
        };
        return match data.snapshot.practices.get(&code) {
            Some(p) => {
                let nets = data.networks_of(&code);
                allows(account, Action::ViewAudit, Target::Practice(p, &nets))
            }
            None => matches!(account.scope, Scope::All),
        };
    }
    if let Ok(pcn) = PcnCode::parse(first) {
        return match data.snapshot.networks.get(&pcn) {
            Some(n) => allows(account, Action::ViewAudit, Target::Network(n)),
            None => matches!(account.scope, Scope::All),
        };
    }
    false
}

/// What an account's audit view lists: the changes it may read (newest
/// 300) and, for admins, the refusals (newest 100, each counting a window's
/// worth). The two are read apart, so no number of refusals can push a
/// change out of view.
pub async fn audit_rows(
    state: &super::state::AppState,
    account: &Account,
    data: &Data,
) -> Result<(Vec<AuditEntry>, Vec<AuditEntry>), pcn_store::Error> {
    let changes: Vec<AuditEntry> = state
        .store
        .audit_changes(5_000)
        .await?
        .into_iter()
        .filter(|e| audit_visible(account, data, &e.change.entity_key, &e.change.entity))
        .take(300)
        .collect();
    let refusals = if account.role == pcn_core::access::Role::Admin {
        state.store.audit_refusals(100).await?
    } else {
        Vec::new()
    };
    Ok((changes, refusals))
}

/// Networks grouped by commissioner code, for the national page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommissionerRow {
    pub code: String,
    pub name: Option<String>,
    pub networks: usize,
    pub networks_breaking_rules: usize,
    pub coverage: Coverage,
}

pub fn commissioner_rows(data: &Data) -> Vec<CommissionerRow> {
    let mut names: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut practices: BTreeMap<String, Vec<&PracticeView>> = BTreeMap::new();
    for p in data.snapshot.practices.values() {
        if let Some(c) = &p.sub_icb {
            names
                .entry(c.to_string())
                .or_insert_with(|| p.sub_icb_name.clone());
            practices.entry(c.to_string()).or_default().push(p);
        }
    }
    names
        .into_iter()
        .map(|(code, name)| {
            let nets = CommissionerCode::parse(&code)
                .map(|c| networks_under(data, &c))
                .unwrap_or_default();
            let breaking = nets
                .iter()
                .filter(|n| status_of(&findings_of(data, &n.code)) == Status::Error)
                .count();
            CommissionerRow {
                coverage: coverage(practices.get(&code).map(Vec::as_slice).unwrap_or(&[])),
                code,
                name,
                networks: nets.len(),
                networks_breaking_rules: breaking,
            }
        })
        .collect()
}

/// How a statement line's money is paid, for totals that add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Scheduled, to the network's payee.
    ToNetwork,
    /// Scheduled, directly to member practices.
    ToPractices,
    /// ARRS: the most that can be claimed.
    ClaimableMaximum,
    /// IIF, CAIP: on achievement.
    OnAchievement,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::ToNetwork,
        Kind::ToPractices,
        Kind::ClaimableMaximum,
        Kind::OnAchievement,
    ];

    pub fn of(line: &pcn_core::funding::Line) -> Kind {
        match (&line.status, line.paid_to) {
            (LineStatus::Maximum, _) => Kind::ClaimableMaximum,
            (LineStatus::OnAchievement, _) => Kind::OnAchievement,
            (_, pcn_core::rulebook::PaidTo::Practice) => Kind::ToPractices,
            _ => Kind::ToNetwork,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ToNetwork => "to-network",
            Kind::ToPractices => "to-practices",
            Kind::ClaimableMaximum => "claimable-maximum",
            Kind::OnAchievement => "on-achievement",
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Kind::ToNetwork => "to the network",
            Kind::ToPractices => "to practices directly",
            Kind::ClaimableMaximum => "claimable maximum",
            Kind::OnAchievement => "on achievement",
        }
    }

    pub fn total_words(self) -> &'static str {
        match self {
            Kind::ToNetwork => "Scheduled to the networks",
            Kind::ToPractices => "Paid to member practices directly",
            Kind::ClaimableMaximum => "Claimable maxima (ARRS)",
            Kind::OnAchievement => "On achievement (IIF, CAIP)",
        }
    }
}

/// One stream's total over several networks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StreamTotal {
    pub stream: String,
    pub kind: Kind,
    /// Over the networks whose line was computed.
    #[schema(value_type = i64)]
    pub amount: Pence,
    pub networks_counted: usize,
    /// Networks whose line could not be computed (an input is missing): not
    /// counted as £0.
    pub not_computed: usize,
    pub estimated: bool,
}

/// Stream totals over several networks, each with how it is paid, so every
/// headline is the sum of the rows of its kind.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StreamTotals {
    pub rows: Vec<StreamTotal>,
}

impl StreamTotals {
    /// The total of one kind: the sum of its rows.
    pub fn kind_total(&self, kind: Kind) -> Pence {
        self.rows
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.amount)
            .sum()
    }
}

/// The stream totals of `pays`, in the order the streams first appear.
pub fn stream_totals(pays: &[&NetworkPay]) -> StreamTotals {
    let mut rows: Vec<StreamTotal> = Vec::new();
    for p in pays {
        // Which rows this network has counted, so a stream of several
        // components counts each network once.
        let (mut counted, mut missing) = (Vec::new(), Vec::new());
        for l in &p.statement.lines {
            let kind = Kind::of(l);
            let i = match rows
                .iter()
                .position(|r| r.stream == l.stream_name && r.kind == kind)
            {
                Some(i) => i,
                None => {
                    rows.push(StreamTotal {
                        stream: l.stream_name.clone(),
                        kind,
                        amount: Pence::ZERO,
                        networks_counted: 0,
                        not_computed: 0,
                        estimated: false,
                    });
                    rows.len() - 1
                }
            };
            if l.is_computed() {
                rows[i].amount += l.amount;
                rows[i].estimated |= l.is_estimated();
                counted.push(i);
            } else {
                missing.push(i);
            }
        }
        for (list, is_counted) in [(&mut counted, true), (&mut missing, false)] {
            list.sort_unstable();
            list.dedup();
            for &i in list.iter() {
                if is_counted {
                    rows[i].networks_counted += 1;
                } else {
                    rows[i].not_computed += 1;
                }
            }
        }
    }
    StreamTotals { rows }
}
