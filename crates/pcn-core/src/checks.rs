//! The Network Contract DES network rules, as findings.
//!
//! [`run`] applies every rule to every network, practice and commissioner of a
//! [`Snapshot`] and returns all findings, never stopping at the first. Each
//! finding carries its rule id, severity, the figures it was decided on and
//! the clause it comes from, so a commissioner can act on it without
//! re-deriving anything. The rule catalogue is [`RULES`].

use crate::text::thousands;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::codes::{CommissionerCode, IcbCode, PcnCode, PracticeCode, SubIcbCode};
use crate::geo::distance_km;
use crate::registry::{NetworkView, PracticeView, Snapshot};
use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A rule: its id, what it checks and where the requirement comes from.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub source: &'static str,
}

macro_rules! rules {
    ($($konst:ident = $id:literal, $title:literal, $source:literal;)*) => {
        $(pub const $konst: Rule = Rule { id: $id, title: $title, source: $source };)*
        /// Every rule [`run`] applies, in report order.
        pub const RULES: &[Rule] = &[$($konst),*];
    };
}

rules! {
    NET_SIZE_MIN = "NET-SIZE-MIN", "Network list size under the 30,000 minimum",
        "Network Contract DES 2019/20 para 3.2: a PCN serves a minimum of 30,000 patients; the commissioner may waive this for a natural community with low population density across a large rural and remote area (written answer 18 Jun 2019 [S104]; Pulse [S105])";
    NET_SIZE_MAX = "NET-SIZE-MAX", "Network list size over 50,000",
        "Network Contract DES guidance 2019/20: networks typically serve 30,000-50,000 patients; larger networks are allowed in some circumstances (Health Foundation [S106])";
    NET_SIZE_UNKNOWN = "NET-SIZE-UNKNOWN", "Member practices without a registered list",
        "Network Contract DES 2019/20 registration: member practices' list sizes and the collective list size (BMA Law [S109])";
    PRAC_NO_NETWORK = "PRAC-NO-NETWORK", "Practice with registered patients in no network",
        "NHS England: from 1 July 2019 all patients in England should be covered by a primary care network (Health Foundation [S123])";
    PRAC_UNALLOCATED = "PRAC-UNALLOCATED", "Practice in the U \"Unallocated\" placeholder",
        "GMS contract clause 7.13A: a practice not signed up must co-operate with the network serving its patients; the commissioner must arrange cover (Doncaster LMC [S05]; Health Foundation [S124])";
    PRAC_MULTI_NETWORK = "PRAC-MULTI-NETWORK", "Practice in more than one network at once",
        "Network Contract DES: a practice holds one Network Contract DES and is a core member of one PCN (Pulse [S105]; Hempsons [S114])";
    NET_SPLIT_COMMISSIONER = "NET-SPLIT-COMMISSIONER", "Members under different commissioners",
        "Network Contract DES guidance 2019/20: networks geographically contiguous and co-terminous with CCG (now sub-ICB) footprints (Health Foundation [S106])";
    NET_NO_MEMBERS = "NET-NO-MEMBERS", "Network open in ODS with no member practice",
        "ODS ePCN: a network is open from its open date until its close date; an open network with no core member cannot deliver the DES";
    NET_CLOSED_WITH_MEMBERS = "NET-CLOSED-WITH-MEMBERS", "Closed network still has members",
        "ODS ePCN close date: a closed network cannot hold members";
    NET_NO_CLINICAL_DIRECTOR = "NET-NO-CLINICAL-DIRECTOR", "No clinical director recorded",
        "Network Contract DES registration: the named clinical director (BMA Law [S109]; Lexology [S110])";
    NET_NO_PAYEE = "NET-NO-PAYEE", "No nominated payee recorded",
        "Network Contract DES registration: the nominated payee receives all DES funding for the PCN (BMA Law [S109]; Hempsons [S155])";
    NET_PAYEE_NOT_MEMBER = "NET-PAYEE-NOT-MEMBER", "Nominated payee is not a member practice",
        "DES Directions: funding goes to a member of the PCN on behalf of all members (Hempsons [S155])";
    NET_NO_AGREEMENT = "NET-NO-AGREEMENT", "Network agreement not signed",
        "Network Contract DES 2019/20: failure to enter into the Network Agreement means payments to PCNs will not be made (Lexology [S110]; Hempsons [S112])";
    NET_NO_DATA_SHARING = "NET-NO-DATA-SHARING", "Data-sharing agreement not signed",
        "Network Agreement: requires a separate data-sharing agreement between members (Hempsons [S112])";
    PRAC_FAR_FROM_NETWORK = "PRAC-FAR-FROM-NETWORK", "Member far from the rest of its network",
        "Network Contract DES: networks geographically contiguous, no uncovered 'donuts' (GP Taskforce [S107]; Pulse [S125])";
    PRAC_NO_LOCATION = "PRAC-NO-LOCATION", "Member without coordinates",
        "pcn: the contiguity check needs each member's coordinates (NHS website GP.csv)";
    COMMISSIONER_COVERAGE = "COMMISSIONER-COVERAGE", "Commissioner population outside a network",
        "Commissioners confirm network areas to ensure 100% coverage of their population (Lexology [S110]; Health Foundation [S123])";
}

/// Thresholds of the checks. The defaults are the DES figures.
#[derive(Debug, Clone, Serialize)]
pub struct CheckConfig {
    pub min_list: u64,
    pub max_list: u64,
    /// A member whose nearest fellow member is further than this is "far".
    pub far_km: f64,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            min_list: 30_000,
            max_list: 50_000,
            far_km: 15.0,
        }
    }
}

/// One finding: a rule applied to one subject.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub message: String,
    pub commissioner: Option<SubIcbCode>,
    pub icb: Option<IcbCode>,
    pub pcn: Option<PcnCode>,
    pub practice: Option<PracticeCode>,
    /// The figures the finding was decided on, in display order.
    pub figures: Vec<(&'static str, String)>,
    pub source: &'static str,
}

/// Headline figures of the snapshot the checks ran on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub practices: usize,
    pub patients: u64,
    pub networks_with_members: usize,
    pub networks_open_without_members: usize,
    pub unallocated_practices: usize,
    pub unallocated_patients: u64,
    pub practices_in_no_network: usize,
    pub networks_under_min: usize,
    pub networks_over_max: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    /// Adds a practice's part of the headline figures, or takes it away.
    fn count_practice(&mut self, p: &PracticeView, add: bool) {
        let patients = p.list_size.unwrap_or(0);
        let by = |n: &mut usize, yes: bool| match (yes, add) {
            (false, _) => {}
            (true, true) => *n += 1,
            (true, false) => *n = n.saturating_sub(1),
        };
        let sum = |n: &mut u64, value: u64| match add {
            true => *n += value,
            false => *n = n.saturating_sub(value),
        };
        by(&mut self.practices, true);
        sum(&mut self.patients, patients);
        by(&mut self.unallocated_practices, p.unallocated);
        sum(
            &mut self.unallocated_patients,
            if p.unallocated { patients } else { 0 },
        );
        by(&mut self.practices_in_no_network, p.networks.is_empty());
    }

    /// Adds a network's part of the headline figures, or takes it away.
    fn count_network(&mut self, n: &NetworkView, config: &CheckConfig, add: bool) {
        let by = |n: &mut usize| match add {
            true => *n += 1,
            false => *n = n.saturating_sub(1),
        };
        if n.members.is_empty() {
            by(&mut self.networks_open_without_members);
            return;
        }
        by(&mut self.networks_with_members);
        if n.list_size < config.min_list {
            by(&mut self.networks_under_min);
        } else if n.list_size > config.max_list {
            by(&mut self.networks_over_max);
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub as_at: chrono::NaiveDate,
    pub list_extract: Option<chrono::NaiveDate>,
    pub config: CheckConfig,
    pub summary: Summary,
    /// Shared, so a report with one network checked again
    /// ([`recheck_network`]) copies no other finding.
    pub findings: Vec<std::sync::Arc<Finding>>,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Which part of the snapshot to report on. Checks always run on the whole
/// snapshot (coverage and multi-membership need it); the scope filters the
/// findings and the summary.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub commissioner: Option<CommissionerCode>,
    pub pcn: Option<PcnCode>,
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "n/a".to_string();
    }
    // Two decimals, computed in integers so the figure is reproducible.
    let basis_points = (u128::from(part) * 10_000 + u128::from(whole) / 2) / u128::from(whole);
    format!("{}.{:02}%", basis_points / 100, basis_points % 100)
}

struct Builder<'a> {
    snapshot: &'a Snapshot,
    findings: Vec<Finding>,
}

impl Builder<'_> {
    fn network(
        &mut self,
        rule: Rule,
        severity: Severity,
        network: &NetworkView,
        message: String,
        figures: Vec<(&'static str, String)>,
    ) {
        self.findings.push(Finding {
            rule: rule.id,
            severity,
            title: rule.title,
            message,
            commissioner: network.commissioner.clone(),
            icb: network.icb.clone(),
            pcn: Some(network.code.clone()),
            practice: None,
            figures,
            source: rule.source,
        });
    }

    fn practice(
        &mut self,
        rule: Rule,
        severity: Severity,
        practice: &PracticeCode,
        pcn: Option<&PcnCode>,
        message: String,
        figures: Vec<(&'static str, String)>,
    ) {
        let view = self.snapshot.practices.get(practice);
        self.findings.push(Finding {
            rule: rule.id,
            severity,
            title: rule.title,
            message,
            commissioner: view.and_then(|p| p.sub_icb.clone()),
            icb: view.and_then(|p| p.icb.clone()),
            pcn: pcn.cloned(),
            practice: Some(practice.clone()),
            figures,
            source: rule.source,
        });
    }
}

fn name_of(network: &NetworkView) -> String {
    match &network.name {
        Some(name) => format!("{} {}", network.code, name),
        None => network.code.to_string(),
    }
}

/// Applies every rule to the snapshot and returns the findings and summary for `scope`.
pub fn run(snapshot: &Snapshot, config: &CheckConfig, scope: &Scope) -> Report {
    let mut b = Builder {
        snapshot,
        findings: Vec::new(),
    };
    let as_at = snapshot.as_at;
    let recorded = Recorded::of(snapshot);
    for network in snapshot.networks.values() {
        check_network(&mut b, network, config, &recorded);
    }
    check_unrecorded(&mut b, &recorded);
    for practice in snapshot.practices.values() {
        check_practice(&mut b, practice, as_at);
    }
    check_coverage(&mut b);
    let mut findings = b.findings;
    findings.retain(|f| in_scope(snapshot, scope, f));
    report_of(snapshot, config, scope, findings)
}

/// The rules [`check_network`] applies: every finding of one of these
/// naming a network comes from that network's own facts.
const NETWORK_RULES: [Rule; 13] = [
    NET_NO_MEMBERS,
    NET_CLOSED_WITH_MEMBERS,
    NET_SIZE_UNKNOWN,
    NET_SIZE_MIN,
    NET_SIZE_MAX,
    NET_SPLIT_COMMISSIONER,
    NET_NO_CLINICAL_DIRECTOR,
    NET_NO_PAYEE,
    NET_PAYEE_NOT_MEMBER,
    NET_NO_AGREEMENT,
    NET_NO_DATA_SHARING,
    PRAC_NO_LOCATION,
    PRAC_FAR_FROM_NETWORK,
];

/// The rules [`check_governance`] and [`check_unrecorded`] apply: the only
/// ones whose findings depend on what other networks have recorded.
const GOVERNANCE_RULES: [Rule; 5] = [
    NET_NO_CLINICAL_DIRECTOR,
    NET_NO_PAYEE,
    NET_PAYEE_NOT_MEMBER,
    NET_NO_AGREEMENT,
    NET_NO_DATA_SHARING,
];

/// The rules that look at one network alone.
fn check_network(
    b: &mut Builder,
    network: &NetworkView,
    config: &CheckConfig,
    recorded: &Recorded,
) {
    if !check_open_with_members(b, network, b.snapshot.as_at) {
        return;
    }
    check_size(b, network, config);
    check_commissioners(b, network);
    check_governance(b, network, b.snapshot.as_at, recorded);
    check_geography(b, network, config);
}

/// A report after a change to one network, from [`recheck_network`].
pub struct Rechecked {
    pub report: Report,
    /// Whether findings of other networks changed too (the change recorded
    /// the first, or cleared the last, fact of a kind): when `false`, every
    /// finding not naming the network is the previous report's.
    pub every_network: bool,
}

/// The report of `previous` (from [`run`] over the whole country, as at
/// `before`'s date) after a change to one network's governance: `snapshot`
/// is the snapshot after it, which differs from `before` in that network's
/// governance alone. See [`recheck`].
pub fn recheck_network(
    previous: &Report,
    before: &Snapshot,
    snapshot: &Snapshot,
    pcn: &PcnCode,
) -> Rechecked {
    let networks = BTreeSet::from([pcn.clone()]);
    recheck(previous, before, snapshot, &networks, &BTreeSet::new())
}

/// The practice rules: what [`check_practice`] applies to one practice.
const PRACTICE_RULES: [Rule; 3] = [PRAC_MULTI_NETWORK, PRAC_UNALLOCATED, PRAC_NO_NETWORK];

/// The report of `previous` (from [`run`] over the whole country, as at
/// `before`'s date) after a change to some networks and practices:
/// `snapshot` is the snapshot after it, which differs from `before` in the
/// governance or members of `networks` and the membership of `practices`
/// alone ([`Snapshot::with_governance`], [`Snapshot::with_membership_of`]).
///
/// Only those networks' rules and those practices' rules run again, and,
/// when a practice joined its first network or left its last, the coverage
/// of every commissioner (one pass over the practices). When the change records the first (or clears the
/// last) fact of a kind anywhere, or leaves a network without members, what
/// every network is checked for changes ([`Recorded`]): the governance rules
/// then run again for every network, and nothing else. The summary is
/// brought up to date in part: the counts of findings by the findings
/// removed and added, the headline figures by the changed practices' and
/// networks' parts before and after.
pub fn recheck(
    previous: &Report,
    before: &Snapshot,
    snapshot: &Snapshot,
    networks: &BTreeSet<PcnCode>,
    practices: &BTreeSet<PracticeCode>,
) -> Rechecked {
    let recorded = Recorded::of(snapshot);
    let every_network = Recorded::of(before) != recorded;
    let mut b = Builder {
        snapshot,
        findings: Vec::new(),
    };
    if every_network {
        // As `run` does: a network without members is checked for nothing more.
        for network in snapshot.networks.values() {
            if !networks.contains(&network.code) && !network.members.is_empty() {
                check_governance(&mut b, network, snapshot.as_at, &recorded);
            }
        }
        check_unrecorded(&mut b, &recorded);
    }
    for pcn in networks {
        if let Some(network) = snapshot.networks.get(pcn) {
            check_network(&mut b, network, &previous.config, &recorded);
        }
    }
    for practice in practices {
        if let Some(view) = snapshot.practices.get(practice) {
            check_practice(&mut b, view, snapshot.as_at);
        }
    }
    // Coverage changes only when a practice joined its first network or
    // left its last.
    let outside =
        |s: &Snapshot, p: &PracticeCode| s.practices.get(p).map(|v| v.networks.is_empty());
    let coverage = practices
        .iter()
        .any(|p| outside(before, p) != outside(snapshot, p));
    if coverage {
        check_coverage(&mut b);
    }
    let replaced = |f: &Finding| {
        let of = |rules: &[Rule]| rules.iter().any(|r| r.id == f.rule);
        (f.pcn.as_ref().is_some_and(|p| networks.contains(p)) && of(&NETWORK_RULES))
            || (every_network && of(&GOVERNANCE_RULES))
            || (coverage && f.rule == COMMISSIONER_COVERAGE.id)
            || (f.practice.as_ref().is_some_and(|p| practices.contains(p)) && of(&PRACTICE_RULES))
    };
    let mut summary = previous.summary.clone();
    let mut count = |f: &Finding, by: isize| {
        let n = match f.severity {
            Severity::Error => &mut summary.errors,
            Severity::Warning => &mut summary.warnings,
            Severity::Info => &mut summary.infos,
        };
        *n = n.saturating_add_signed(by);
    };
    // The others keep their order; each new one goes in its place, found
    // by binary search (the few new ones are not compared with every other).
    b.findings.iter().for_each(|f| count(f, 1));
    let mut findings = Vec::with_capacity(previous.findings.len() + b.findings.len());
    for finding in &previous.findings {
        if replaced(finding) {
            count(finding, -1);
        } else {
            findings.push(finding.clone());
        }
    }
    for new in b.findings {
        let at = findings.partition_point(|f| finding_order(f, &new).is_le());
        findings.insert(at, std::sync::Arc::new(new));
    }
    // The headline figures: the changed practices' and networks' parts,
    // taken away as they were and added as they are.
    for practice in practices {
        if let Some(p) = before.practices.get(practice) {
            summary.count_practice(p, false);
        }
        if let Some(p) = snapshot.practices.get(practice) {
            summary.count_practice(p, true);
        }
    }
    for pcn in networks {
        if let Some(n) = before.networks.get(pcn) {
            summary.count_network(n, &previous.config, false);
        }
        if let Some(n) = snapshot.networks.get(pcn) {
            summary.count_network(n, &previous.config, true);
        }
    }
    let report = Report {
        as_at: snapshot.as_at,
        list_extract: snapshot.list_extract,
        config: previous.config.clone(),
        summary,
        findings,
    };
    Rechecked {
        report,
        every_network,
    }
}

/// Findings in their order, with the summary of `scope`.
fn report_of(
    snapshot: &Snapshot,
    config: &CheckConfig,
    scope: &Scope,
    mut findings: Vec<Finding>,
) -> Report {
    findings.sort_by(finding_order);
    let findings = findings.into_iter().map(std::sync::Arc::new).collect();
    summarised(snapshot, config, scope, findings)
}

/// The order of a report's findings: by severity, rule (as listed in
/// [`RULES`]), network, practice and commissioner.
fn finding_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    let order = |rule: &str| {
        RULES
            .iter()
            .position(|r| r.id == rule)
            .unwrap_or(usize::MAX)
    };
    a.severity
        .cmp(&b.severity)
        .then_with(|| order(a.rule).cmp(&order(b.rule)))
        .then_with(|| a.pcn.cmp(&b.pcn))
        .then_with(|| a.practice.cmp(&b.practice))
        .then_with(|| a.commissioner.cmp(&b.commissioner))
}

/// A report of findings already in [`finding_order`].
fn summarised(
    snapshot: &Snapshot,
    config: &CheckConfig,
    scope: &Scope,
    findings: Vec<std::sync::Arc<Finding>>,
) -> Report {
    let summary = summarise(snapshot, config, scope, &findings);
    Report {
        as_at: snapshot.as_at,
        list_extract: snapshot.list_extract,
        config: config.clone(),
        summary,
        findings,
    }
}

/// A network with no members, or closed with members. `false`: nothing
/// more to check of it.
fn check_open_with_members(b: &mut Builder, network: &NetworkView, as_at: NaiveDate) -> bool {
    let label = name_of(network);
    let members = network.members.len();
    if members == 0 {
        b.network(
            NET_NO_MEMBERS,
            Severity::Warning,
            network,
            format!("{label} is open in ODS but has no member practice on {as_at}"),
            vec![(
                "open_date",
                network.open_date.map(|d| d.to_string()).unwrap_or_default(),
            )],
        );
        return false;
    }
    if network.is_closed_at(as_at) {
        b.network(
            NET_CLOSED_WITH_MEMBERS,
            Severity::Error,
            network,
            format!(
                "{label} closed on {} but has {members} members",
                network
                    .close_date
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            ),
            vec![("members", members.to_string())],
        );
    }
    true
}

/// The network's list size against the floor and the ceiling, and members
/// without a list.
fn check_size(b: &mut Builder, network: &NetworkView, config: &CheckConfig) {
    let snapshot = b.snapshot;
    let label = name_of(network);
    let members = network.members.len();
    // List size.
    let list = network.list_size;
    let size_figures = || {
        vec![
            ("list_size", thousands(list)),
            ("members", members.to_string()),
            (
                "list_as_at",
                snapshot
                    .list_extract
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
        ]
    };
    if !network.members_without_list.is_empty() {
        let missing: Vec<String> = network
            .members_without_list
            .iter()
            .map(ToString::to_string)
            .collect();
        b.network(
            NET_SIZE_UNKNOWN,
            Severity::Warning,
            network,
            format!("{label}: {} of {members} members have no registered list, so its size is understated", missing.len()),
            vec![("members_without_list", missing.join(" "))],
        );
    }
    if list < config.min_list {
        let mut figures = size_figures();
        figures.push(("minimum", thousands(config.min_list)));
        figures.push(("shortfall", thousands(config.min_list - list)));
        match &network.governance.size_exception {
            Some(exception) => {
                figures.push(("exception", exception.clone()));
                b.network(
                    NET_SIZE_MIN,
                    Severity::Info,
                    network,
                    format!("{label} serves {} patients, under {}, with a recorded exception ({exception})", thousands(list), thousands(config.min_list)),
                    figures,
                );
            }
            None => b.network(
                NET_SIZE_MIN,
                Severity::Error,
                network,
                format!("{label} serves {} patients, {} under the {} minimum, and no exception is recorded", thousands(list), thousands(config.min_list - list), thousands(config.min_list)),
                figures,
            ),
        }
    } else if list > config.max_list {
        let mut figures = size_figures();
        figures.push(("maximum", thousands(config.max_list)));
        b.network(
            NET_SIZE_MAX,
            Severity::Warning,
            network,
            format!(
                "{label} serves {} patients, over {}",
                thousands(list),
                thousands(config.max_list)
            ),
            figures,
        );
    }
}

/// Members under more than one commissioner.
fn check_commissioners(b: &mut Builder, network: &NetworkView) {
    let snapshot = b.snapshot;
    let label = name_of(network);
    // Commissioners of the members.
    let mut by_commissioner: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for code in &network.members {
        let p = &snapshot.practices[code];
        let key = p
            .sub_icb
            .as_ref()
            .map_or_else(|| "unknown".to_string(), ToString::to_string);
        let entry = by_commissioner.entry(key).or_default();
        entry.0 += 1;
        entry.1 += p.list_size.unwrap_or(0);
    }
    if by_commissioner.len() > 1 {
        let breakdown: Vec<String> = by_commissioner
            .iter()
            .map(|(c, (n, pts))| format!("{c}: {n} practices, {} patients", thousands(*pts)))
            .collect();
        b.network(
            NET_SPLIT_COMMISSIONER,
            Severity::Warning,
            network,
            format!(
                "{label} has members under {} commissioners",
                by_commissioner.len()
            ),
            vec![("by_commissioner", breakdown.join("; "))],
        );
    }
}

/// Which governance facts are recorded for at least one network with
/// members. The official files carry none (they come from `pcn network set`
/// or a governance CSV), so a fact nobody has recorded is unknown rather than
/// missing: it is reported once, by [`check_unrecorded`], instead of as an
/// error for every network in England.
#[derive(PartialEq, Eq)]
struct Recorded {
    networks: usize,
    clinical_director: bool,
    payee: bool,
    agreement: bool,
    data_sharing: bool,
}

impl Recorded {
    fn of(snapshot: &Snapshot) -> Recorded {
        let mut r = Recorded {
            networks: 0,
            clinical_director: false,
            payee: false,
            agreement: false,
            data_sharing: false,
        };
        for n in snapshot.networks.values().filter(|n| !n.members.is_empty()) {
            let g = &n.governance;
            r.networks += 1;
            r.clinical_director |= g.clinical_director.is_some();
            r.payee |= g.nominated_payee.is_some();
            r.agreement |= g.network_agreement_signed.is_some();
            r.data_sharing |= g.data_sharing_agreement_signed.is_some();
        }
        r
    }
}

/// One finding for each governance fact no network has recorded: the
/// information is not held, which is not the same as every network lacking it.
fn check_unrecorded(b: &mut Builder, recorded: &Recorded) {
    if recorded.networks == 0 {
        return;
    }
    let unrecorded = [
        (
            recorded.clinical_director,
            NET_NO_CLINICAL_DIRECTOR,
            "a clinical director",
        ),
        (recorded.payee, NET_NO_PAYEE, "a nominated payee"),
        (
            recorded.agreement,
            NET_NO_AGREEMENT,
            "a signed network agreement",
        ),
        (
            recorded.data_sharing,
            NET_NO_DATA_SHARING,
            "a signed data-sharing agreement",
        ),
    ];
    for (held, rule, what) in unrecorded {
        if held {
            continue;
        }
        b.findings.push(Finding {
            rule: rule.id,
            severity: Severity::Info,
            title: rule.title,
            message: format!(
                "not recorded: no network has {what} recorded, so none of the {} networks is \
                 checked for it (the official files do not carry it; record it with \
                 `pcn network set` or a governance CSV)",
                thousands(recorded.networks as u64)
            ),
            commissioner: None,
            icb: None,
            pcn: None,
            practice: None,
            figures: vec![("networks", thousands(recorded.networks as u64))],
            source: rule.source,
        });
    }
}

/// The governance facts the DES requires, each checked only where some
/// network has it recorded (see [`Recorded`]).
fn check_governance(b: &mut Builder, network: &NetworkView, as_at: NaiveDate, recorded: &Recorded) {
    let label = name_of(network);
    let g = &network.governance;
    if recorded.clinical_director && g.clinical_director.is_none() {
        b.network(
            NET_NO_CLINICAL_DIRECTOR,
            Severity::Error,
            network,
            format!("{label} has no clinical director recorded"),
            vec![],
        );
    }
    match &g.nominated_payee {
        None if !recorded.payee => {}
        None => b.network(
            NET_NO_PAYEE,
            Severity::Error,
            network,
            format!("{label} has no nominated payee recorded"),
            vec![],
        ),
        Some(payee) if !network.members.contains(payee) => b.network(
            NET_PAYEE_NOT_MEMBER,
            Severity::Error,
            network,
            format!("{label}: nominated payee {payee} is not a member practice on {as_at}"),
            vec![("nominated_payee", payee.to_string())],
        ),
        Some(_) => {}
    }
    if recorded.agreement && g.network_agreement_signed.is_none_or(|d| d > as_at) {
        b.network(
            NET_NO_AGREEMENT,
            Severity::Error,
            network,
            format!("{label} has no signed network agreement recorded on or before {as_at}"),
            vec![],
        );
    }
    if recorded.data_sharing && g.data_sharing_agreement_signed.is_none_or(|d| d > as_at) {
        b.network(
            NET_NO_DATA_SHARING,
            Severity::Warning,
            network,
            format!("{label} has no signed data-sharing agreement recorded on or before {as_at}"),
            vec![],
        );
    }
}

/// Each member's distance to its nearest fellow member, and members
/// without coordinates.
fn check_geography(b: &mut Builder, network: &NetworkView, config: &CheckConfig) {
    let snapshot = b.snapshot;
    let label = name_of(network);
    // Geography: each member's distance to its nearest fellow member.
    let located: Vec<(&PracticeCode, crate::facts::LatLon)> = network
        .members
        .iter()
        .filter_map(|c| snapshot.practices[c].location.map(|l| (c, l)))
        .collect();
    for code in &network.members {
        if snapshot.practices[code].location.is_none() {
            b.practice(
                PRAC_NO_LOCATION,
                Severity::Info,
                code,
                Some(&network.code),
                format!("{code} in {label} has no coordinates, so its distance from the network is not checked"),
                vec![],
            );
        }
    }
    if located.len() >= 2 {
        for (code, here) in &located {
            let nearest = located
                .iter()
                .filter(|(other, _)| other != code)
                .map(|(other, there)| (*other, distance_km(*here, *there)))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((other, km)) = nearest {
                if km > config.far_km {
                    b.practice(
                        PRAC_FAR_FROM_NETWORK,
                        Severity::Warning,
                        code,
                        Some(&network.code),
                        format!("{code} is {km:.1} km from the nearest other member of {label} ({other})"),
                        vec![
                            ("nearest_member", other.to_string()),
                            ("distance_km", format!("{km:.1}")),
                            ("threshold_km", format!("{:.1}", config.far_km)),
                        ],
                    );
                }
            }
        }
    }
}

/// A practice in two networks, in none, or in the `U` placeholder.
fn check_practice(b: &mut Builder, practice: &PracticeView, as_at: NaiveDate) {
    let list = practice
        .list_size
        .map(thousands)
        .unwrap_or_else(|| "unknown".into());
    let label = match &practice.name {
        Some(name) => format!("{} {}", practice.code, name),
        None => practice.code.to_string(),
    };
    if practice.networks.len() > 1 {
        let codes: Vec<String> = practice.networks.iter().map(ToString::to_string).collect();
        b.practice(
            PRAC_MULTI_NETWORK,
            Severity::Error,
            &practice.code,
            practice.networks.first(),
            format!(
                "{label} is in {} networks on {as_at}: {}",
                codes.len(),
                codes.join(", ")
            ),
            vec![("networks", codes.join(" ")), ("list_size", list.clone())],
        );
    }
    if practice.networks.is_empty() {
        if practice.unallocated {
            b.practice(
                PRAC_UNALLOCATED,
                Severity::Warning,
                &practice.code,
                Some(&PcnCode::unallocated()),
                format!("{label} is recorded as Unallocated (PCN code U): its {list} patients are outside any network"),
                vec![("list_size", list)],
            );
        } else {
            b.practice(
                PRAC_NO_NETWORK,
                Severity::Error,
                &practice.code,
                None,
                format!(
                    "{label} has {list} registered patients and no network membership on {as_at}"
                ),
                vec![("list_size", list)],
            );
        }
    }
}

/// Per commissioner: practices and patients outside a network.
fn check_coverage(b: &mut Builder) {
    let snapshot = b.snapshot;
    let mut coverage: BTreeMap<&SubIcbCode, Coverage> = BTreeMap::new();
    for practice in snapshot.practices.values() {
        let Some(sub_icb) = &practice.sub_icb else {
            continue;
        };
        let c = coverage.entry(sub_icb).or_default();
        c.icb = practice.icb.clone();
        let patients = practice.list_size.unwrap_or(0);
        c.practices += 1;
        c.patients += patients;
        if practice.networks.is_empty() {
            c.practices_outside += 1;
            c.patients_outside += patients;
        }
    }
    for (sub_icb, c) in coverage {
        let outside = c.patients_outside > 0 || c.practices_outside > 0;
        b.findings.push(Finding {
            rule: COMMISSIONER_COVERAGE.id,
            severity: if outside {
                Severity::Warning
            } else {
                Severity::Info
            },
            title: COMMISSIONER_COVERAGE.title,
            message: format!(
                "{sub_icb}: {} of {} practices and {} of {} patients ({}) are outside a network",
                c.practices_outside,
                c.practices,
                thousands(c.patients_outside),
                thousands(c.patients),
                percent(c.patients_outside, c.patients)
            ),
            commissioner: Some(sub_icb.clone()),
            icb: c.icb.clone(),
            pcn: None,
            practice: None,
            figures: vec![
                ("practices", c.practices.to_string()),
                ("practices_outside", c.practices_outside.to_string()),
                ("patients", thousands(c.patients)),
                ("patients_outside", thousands(c.patients_outside)),
                (
                    "patients_outside_pct",
                    percent(c.patients_outside, c.patients),
                ),
                (
                    "patients_covered_pct",
                    percent(c.patients - c.patients_outside, c.patients),
                ),
            ],
            source: COMMISSIONER_COVERAGE.source,
        });
    }
}

#[derive(Default)]
struct Coverage {
    icb: Option<IcbCode>,
    practices: usize,
    practices_outside: usize,
    patients: u64,
    patients_outside: u64,
}

fn in_scope(snapshot: &Snapshot, scope: &Scope, f: &Finding) -> bool {
    // A finding about the whole snapshot (a fact no network has recorded)
    // holds in every scope.
    if f.pcn.is_none() && f.practice.is_none() && f.commissioner.is_none() && f.icb.is_none() {
        return true;
    }
    if let Some(pcn) = &scope.pcn {
        let member_of = f
            .practice
            .as_ref()
            .and_then(|p| snapshot.practices.get(p))
            .is_some_and(|p| p.networks.contains(pcn));
        if f.pcn.as_ref() != Some(pcn) && !member_of {
            return false;
        }
    }
    if let Some(code) = &scope.commissioner {
        if !code.covers(f.commissioner.as_ref(), f.icb.as_ref()) {
            return false;
        }
    }
    true
}

fn summarise(
    snapshot: &Snapshot,
    config: &CheckConfig,
    scope: &Scope,
    findings: &[std::sync::Arc<Finding>],
) -> Summary {
    let practice_in = |p: &crate::registry::PracticeView| {
        scope
            .pcn
            .as_ref()
            .is_none_or(|pcn| p.networks.contains(pcn))
            && scope.commissioner.as_ref().is_none_or(|c| p.is_under(c))
    };
    let network_in = |n: &NetworkView| {
        scope.pcn.as_ref().is_none_or(|pcn| &n.code == pcn)
            && scope.commissioner.as_ref().is_none_or(|c| n.is_under(c))
    };
    let mut s = Summary::default();
    for p in snapshot.practices.values().filter(|p| practice_in(p)) {
        s.count_practice(p, true);
    }
    for n in snapshot.networks.values().filter(|n| network_in(n)) {
        s.count_network(n, config, true);
    }
    for f in findings {
        match f.severity {
            Severity::Error => s.errors += 1,
            Severity::Warning => s.warnings += 1,
            Severity::Info => s.infos += 1,
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::*;
    use crate::registry::Registry;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        crate::dates::parse_date(s).unwrap()
    }

    /// A small commissioner written as data: (practice, network, sub-ICB, list, lat, lon).
    fn registry(
        rows: &[(&str, &str, &str, u64, f64, f64)],
        governance: &[(&str, GovernanceField, &str)],
    ) -> Registry {
        let at = d("2026-07-01");
        let mut facts = FactBatch::default();
        for (practice, pcn, sub_icb, list, lat, lon) in rows {
            let code = PracticeCode::parse(practice).unwrap();
            let mut fact = PracticeFact::new(code.clone(), at);
            fact.sub_icb = Some(SubIcbCode::parse(sub_icb).unwrap());
            fact.location = LatLon::new_in_uk(*lat, *lon);
            facts.practices.push(fact);
            facts.list_sizes.push(ListSizeFact {
                practice: code.clone(),
                as_at: at,
                sex: Sex::All,
                total: *list,
                bands: None,
            });
            for pcn in pcn.split('+').filter(|p| !p.is_empty()) {
                facts.observations.push(MembershipObservation {
                    practice: code.clone(),
                    pcn: PcnCode::parse(pcn).unwrap(),
                    as_at: at,
                });
            }
        }
        for (pcn, field, value) in governance {
            facts.governance.push(GovernanceFact {
                pcn: PcnCode::parse(pcn).unwrap(),
                field: *field,
                value: value.to_string(),
                effective_from: d("2019-07-01"),
            });
        }
        Registry::new(facts)
    }

    fn complete_governance(
        pcn: &'static str,
        payee: &'static str,
    ) -> Vec<(&'static str, GovernanceField, &'static str)> {
        vec![
            (pcn, GovernanceField::ClinicalDirector, "Dr Ada Lovelace"),
            (pcn, GovernanceField::NominatedPayee, payee),
            (pcn, GovernanceField::NetworkAgreementSigned, "2019-06-30"),
            (
                pcn,
                GovernanceField::DataSharingAgreementSigned,
                "2019-06-30",
            ),
        ]
    }

    fn rules_of(report: &Report) -> Vec<(&'static str, Severity, Option<String>)> {
        report
            .findings
            .iter()
            .filter(|f| f.rule != COMMISSIONER_COVERAGE.id)
            .map(|f| {
                (
                    f.rule,
                    f.severity,
                    f.practice
                        .as_ref()
                        .map(ToString::to_string)
                        .or(f.pcn.as_ref().map(ToString::to_string)),
                )
            })
            .collect()
    }

    /// Asserts `rules` hold each `(rule, severity, about)`: a finding of the
    /// rule at that severity about that practice or network.
    fn assert_found(
        rules: &[(&'static str, Severity, Option<String>)],
        expected: &[(&str, Severity, &str)],
    ) {
        for &(rule, severity, about) in expected {
            assert!(
                rules.contains(&(rule, severity, Some(about.into()))),
                "{rules:?}"
            );
        }
    }

    fn check(registry: &Registry) -> Report {
        run(
            &registry.at(d("2026-07-01")),
            &CheckConfig::default(),
            &Scope::default(),
        )
    }

    #[test]
    fn a_compliant_network_has_no_findings_but_coverage() {
        let r = registry(
            &[
                ("A81001", "U00001", "16C", 20_000, 54.56, -1.31),
                ("A81002", "U00001", "16C", 20_000, 54.57, -1.32),
            ],
            &complete_governance("U00001", "A81001"),
        );
        let report = check(&r);
        assert_eq!(rules_of(&report), vec![]);
        assert!(!report.has_errors());
        let coverage = &report.findings[0];
        assert_eq!(coverage.rule, "COMMISSIONER-COVERAGE");
        assert_eq!(coverage.severity, Severity::Info);
        assert_eq!(report.summary.patients, 40_000);
        assert_eq!(report.summary.networks_with_members, 1);
    }

    #[test]
    fn size_under_30000_is_an_error_unless_an_exception_is_recorded() {
        let rows = [("A81001", "U00001", "16C", 29_999, 54.56, -1.31)];
        let report = check(&registry(&rows, &complete_governance("U00001", "A81001")));
        assert_eq!(
            rules_of(&report),
            vec![("NET-SIZE-MIN", Severity::Error, Some("U00001".into()))]
        );
        let finding = &report.findings[0];
        assert!(
            finding.figures.contains(&("shortfall", "1".into())),
            "{:?}",
            finding.figures
        );
        assert!(finding.source.contains("para 3.2"));
        assert!(report.has_errors());

        let mut governance = complete_governance("U00001", "A81001");
        governance.push(("U00001", GovernanceField::SizeException, "rural-waiver"));
        let report = check(&registry(&rows, &governance));
        assert_eq!(
            rules_of(&report),
            vec![("NET-SIZE-MIN", Severity::Info, Some("U00001".into()))]
        );
        assert!(!report.has_errors());
    }

    #[test]
    fn size_boundaries() {
        for (list, expected) in [
            (30_000, None),
            (50_000, None),
            (50_001, Some("NET-SIZE-MAX")),
            (29_999, Some("NET-SIZE-MIN")),
        ] {
            let report = check(&registry(
                &[("A81001", "U00001", "16C", list, 54.56, -1.31)],
                &complete_governance("U00001", "A81001"),
            ));
            assert_eq!(
                rules_of(&report).first().map(|r| r.0),
                expected,
                "list {list}"
            );
        }
    }

    #[test]
    fn practices_outside_or_in_two_networks() {
        let mut governance = complete_governance("U00001", "A81001");
        governance.extend(complete_governance("U00002", "A81002"));
        let r = registry(
            &[
                ("A81001", "U00001", "16C", 40_000, 54.56, -1.31),
                ("A81002", "U00002+U00001", "16C", 40_000, 54.56, -1.31),
                ("A81003", "U", "16C", 5_000, 54.56, -1.31),
                ("A81004", "", "16C", 1_000, 54.56, -1.31),
            ],
            &governance,
        );
        let report = check(&r);
        let rules = rules_of(&report);
        assert_found(
            &rules,
            &[
                ("PRAC-MULTI-NETWORK", Severity::Error, "A81002"),
                ("PRAC-UNALLOCATED", Severity::Warning, "A81003"),
                ("PRAC-NO-NETWORK", Severity::Error, "A81004"),
            ],
        );
        let coverage = report
            .findings
            .iter()
            .find(|f| f.rule == "COMMISSIONER-COVERAGE")
            .unwrap();
        assert_eq!(coverage.severity, Severity::Warning);
        assert!(coverage
            .figures
            .contains(&("patients_outside", "6,000".into())));
        assert!(
            coverage
                .figures
                .contains(&("patients_outside_pct", "6.98%".into())),
            "{:?}",
            coverage.figures
        );
        assert_eq!(report.summary.unallocated_practices, 1);
        assert_eq!(report.summary.practices_in_no_network, 2);
    }

    #[test]
    fn split_commissioner_and_far_member() {
        let r = registry(
            &[
                ("A81001", "U00001", "16C", 20_000, 54.56, -1.31),
                ("A81002", "U00001", "16C", 10_000, 54.57, -1.30),
                // About 45 km away, under another commissioner.
                ("A81003", "U00001", "00K", 10_000, 54.97, -1.61),
            ],
            &complete_governance("U00001", "A81001"),
        );
        let rules = rules_of(&check(&r));
        assert_found(
            &rules,
            &[
                ("NET-SPLIT-COMMISSIONER", Severity::Warning, "U00001"),
                ("PRAC-FAR-FROM-NETWORK", Severity::Warning, "A81003"),
            ],
        );
        assert!(
            !rules
                .iter()
                .any(|r| r.0 == "PRAC-FAR-FROM-NETWORK" && r.2.as_deref() == Some("A81001")),
            "{rules:?}"
        );
    }

    #[test]
    fn missing_governance_each_reported() {
        // U00002 has every fact recorded, U00001 none: each is missing there.
        let r = registry(
            &[
                ("A81001", "U00001", "16C", 40_000, 54.56, -1.31),
                ("A81002", "U00002", "16C", 40_000, 54.56, -1.31),
            ],
            &complete_governance("U00002", "A81002"),
        );
        let report = check(&r);
        let rules: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.pcn.as_ref().is_some_and(|p| p.as_str() == "U00001"))
            .map(|f| (f.rule, f.severity))
            .collect();
        assert_eq!(
            rules,
            vec![
                ("NET-NO-CLINICAL-DIRECTOR", Severity::Error),
                ("NET-NO-PAYEE", Severity::Error),
                ("NET-NO-AGREEMENT", Severity::Error),
                ("NET-NO-DATA-SHARING", Severity::Warning),
            ]
        );
        let r = registry(
            &[("A81001", "U00001", "16C", 40_000, 54.56, -1.31)],
            &complete_governance("U00001", "B81001"),
        );
        let rules: Vec<_> = rules_of(&check(&r)).into_iter().map(|r| r.0).collect();
        assert_eq!(rules, vec!["NET-PAYEE-NOT-MEMBER"]);
    }

    #[test]
    fn a_fact_no_network_has_recorded_is_reported_once_as_not_recorded() {
        let r = registry(
            &[
                ("A81001", "U00001", "16C", 40_000, 54.56, -1.31),
                ("A81002", "U00002", "16C", 40_000, 54.56, -1.31),
            ],
            &[("U00001", GovernanceField::ClinicalDirector, "Dr A")],
        );
        let report = check(&r);
        let national: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.pcn.is_none() && f.practice.is_none() && f.rule.starts_with("NET-"))
            .map(|f| (f.rule, f.severity))
            .collect();
        assert_eq!(
            national,
            vec![
                ("NET-NO-PAYEE", Severity::Info),
                ("NET-NO-AGREEMENT", Severity::Info),
                ("NET-NO-DATA-SHARING", Severity::Info),
            ]
        );
        assert!(report
            .findings
            .iter()
            .all(|f| f.severity != Severity::Error || f.rule == "NET-NO-CLINICAL-DIRECTOR"));
        // The clinical director is recorded for one network: the other lacks it.
        let cd: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.rule == "NET-NO-CLINICAL-DIRECTOR")
            .map(|f| f.pcn.as_ref().map(|p| p.to_string()))
            .collect();
        assert_eq!(cd, vec![Some("U00002".to_string())]);
        // Scoped to one network, the national findings still show.
        let scoped = run(
            &r.at(d("2026-07-01")),
            &CheckConfig::default(),
            &Scope {
                pcn: Some(PcnCode::parse("U00001").unwrap()),
                commissioner: None,
            },
        );
        assert_eq!(
            scoped
                .findings
                .iter()
                .filter(|f| f.pcn.is_none() && f.rule.starts_with("NET-"))
                .count(),
            3
        );
    }

    #[test]
    fn agreement_signed_after_the_date_does_not_count() {
        let mut governance = complete_governance("U00001", "A81001");
        governance.push((
            "U00001",
            GovernanceField::NetworkAgreementSigned,
            "2026-08-01",
        ));
        let r = registry(
            &[("A81001", "U00001", "16C", 40_000, 54.56, -1.31)],
            &governance,
        );
        let rules: Vec<_> = rules_of(&check(&r)).into_iter().map(|r| r.0).collect();
        assert_eq!(rules, vec!["NET-NO-AGREEMENT"]);
    }

    #[test]
    fn empty_and_closed_networks() {
        let at = d("2026-07-01");
        let mut facts = FactBatch::default();
        let open = NetworkFact {
            open_date: Some(d("2019-07-01")),
            ..NetworkFact::new(PcnCode::parse("U00009").unwrap(), at)
        };
        let closed = NetworkFact {
            open_date: Some(d("2019-07-01")),
            close_date: Some(d("2026-04-01")),
            ..NetworkFact::new(PcnCode::parse("U00001").unwrap(), at)
        };
        facts.networks = vec![open, closed];
        let code = PracticeCode::parse("A81001").unwrap();
        facts.list_sizes.push(ListSizeFact {
            practice: code.clone(),
            as_at: at,
            sex: Sex::All,
            total: 40_000,
            bands: None,
        });
        facts.observations.push(MembershipObservation {
            practice: code,
            pcn: PcnCode::parse("U00001").unwrap(),
            as_at: at,
        });
        let report = check(&Registry::new(facts));
        let rules: Vec<_> = rules_of(&report).into_iter().map(|r| (r.0, r.2)).collect();
        assert!(
            rules.contains(&("NET-NO-MEMBERS", Some("U00009".into()))),
            "{rules:?}"
        );
        assert!(
            rules.contains(&("NET-CLOSED-WITH-MEMBERS", Some("U00001".into()))),
            "{rules:?}"
        );
        assert_eq!(report.summary.networks_open_without_members, 1);
    }

    #[test]
    fn scope_filters_findings_and_summary() {
        let r = registry(
            &[
                ("A81001", "U00001", "16C", 10_000, 54.56, -1.31),
                ("B81001", "U00002", "02Y", 10_000, 53.7, -0.4),
            ],
            &[
                complete_governance("U00001", "A81001"),
                complete_governance("U00002", "B81001"),
            ]
            .concat(),
        );
        let snapshot = r.at(d("2026-07-01"));
        let scope = Scope {
            commissioner: Some(CommissionerCode::parse("02y").unwrap()),
            pcn: None,
        };
        let report = run(&snapshot, &CheckConfig::default(), &scope);
        assert!(report
            .findings
            .iter()
            .all(|f| f.commissioner.as_ref().map(|c| c.as_str()) == Some("02Y")));
        assert_eq!(report.summary.practices, 1);
        assert_eq!(report.summary.networks_with_members, 1);
        let scope = Scope {
            commissioner: None,
            pcn: Some(PcnCode::parse("U00001").unwrap()),
        };
        let report = run(&snapshot, &CheckConfig::default(), &scope);
        assert!(report
            .findings
            .iter()
            .all(|f| f.pcn.as_ref().map(|c| c.as_str()) == Some("U00001")));
    }

    #[test]
    fn every_rule_has_a_source() {
        for rule in RULES {
            assert!(
                !rule.source.is_empty() && !rule.title.is_empty(),
                "{}",
                rule.id
            );
        }
        assert_eq!(thousands(63_436_508), "63,436,508");
        assert_eq!(thousands(999), "999");
        assert_eq!(percent(1, 3), "33.33%");
    }

    /// A governance change rechecks its network alone, and the report is
    /// the one a whole run over the changed registry gives; a change that
    /// records the first fact of a kind anywhere is left to a whole run.
    #[test]
    fn a_governance_change_rechecks_its_network_alone() {
        let rows = [
            ("A81001", "U00001", "16C", 20_000, 54.57, -1.23),
            ("A81002", "U00001", "16C", 15_000, 54.58, -1.24),
            ("B81001", "U00002", "16C", 40_000, 54.50, -1.30),
        ];
        let mut governance = complete_governance("U00001", "A81001");
        governance.push((
            "U00002",
            GovernanceField::ClinicalDirector,
            "Dr Grace Hopper",
        ));
        let before = registry(&rows, &governance);
        let date = d("2026-07-01");
        let (snapshot, report) = (before.at(date), check(&before));
        let u2 = PcnCode::parse("U00002").unwrap();
        let fact = |field, value: &str| GovernanceFact {
            pcn: u2.clone(),
            field,
            value: value.to_string(),
            effective_from: d("2020-04-01"),
        };
        let json = |r: &Report| serde_json::to_value(r).unwrap();
        let mut facts = vec![fact(GovernanceField::ClinicalDirector, "Dr Grace Hopper")];
        facts[0].effective_from = d("2019-07-01");
        for change in [
            fact(GovernanceField::NominatedPayee, "B81001"),
            fact(GovernanceField::NominatedPayee, "A81001"),
            fact(GovernanceField::ClinicalDirector, ""),
            fact(GovernanceField::SizeException, "rural-waiver"),
        ] {
            facts.push(change);
            let after = before.with_governance_of(&u2, facts.clone());
            let changed = snapshot.with_governance(&u2, after.governance_at(&u2, date));
            let rechecked = recheck_network(&report, &snapshot, &changed, &u2);
            assert!(!rechecked.every_network);
            let rechecked = rechecked.report;
            assert_eq!(
                json(&rechecked),
                json(&check(&after)),
                "after {:?}",
                facts.last()
            );
            assert_eq!(
                serde_json::to_value(&changed).unwrap(),
                serde_json::to_value(after.at(date)).unwrap()
            );
        }
        // The first agreement date recorded anywhere: every network is
        // checked for one from now on; clearing it again, none is.
        let mut first = governance.clone();
        first.retain(|(_, f, _)| *f != GovernanceField::NetworkAgreementSigned);
        let before = registry(&rows, &first);
        let (snapshot, report) = (before.at(date), check(&before));
        let signed = vec![fact(GovernanceField::NetworkAgreementSigned, "2020-03-31")];
        let after = before.with_governance_of(&u2, signed.clone());
        let changed = snapshot.with_governance(&u2, after.governance_at(&u2, date));
        let rechecked = recheck_network(&report, &snapshot, &changed, &u2);
        assert!(rechecked.every_network);
        let rechecked = rechecked.report;
        let whole = check(&after);
        assert_eq!(json(&rechecked), json(&whole));
        let u1 = PcnCode::parse("U00001").unwrap();
        assert!(
            whole
                .findings
                .iter()
                .any(|f| f.rule == NET_NO_AGREEMENT.id && f.pcn.as_ref() == Some(&u1)),
            "the other network is now checked for an agreement"
        );
        let mut cleared = signed;
        cleared.push(fact(GovernanceField::NetworkAgreementSigned, ""));
        let again = after.with_governance_of(&u2, cleared);
        let back = changed.with_governance(&u2, again.governance_at(&u2, date));
        let rechecked = recheck_network(&whole, &changed, &back, &u2).report;
        assert_eq!(json(&rechecked), json(&check(&again)));
    }

    /// A practice moved by hand: its rules, its old and new network's and
    /// the commissioners' coverage run again, and the report equals a whole
    /// run, move after move (into a network, out of every network, leaving
    /// a network empty, into a second commissioner's).
    #[test]
    fn a_membership_change_rechecks_its_practice_and_networks_alone() {
        let rows = [
            ("A81001", "U00001", "16C", 20_000, 54.57, -1.23),
            ("A81002", "U00001", "16C", 15_000, 54.58, -1.24),
            ("B81001", "U00002", "16C", 40_000, 54.50, -1.30),
            ("C81001", "U00003", "00K", 35_000, 51.50, -0.10),
        ];
        let mut governance = complete_governance("U00001", "A81001");
        governance.extend(complete_governance("U00002", "B81001"));
        let mut registry = registry(&rows, &governance);
        let date = d("2026-07-01");
        let (mut snapshot, mut report) = (registry.at(date), check(&registry));
        let json = |r: &Report| serde_json::to_value(r).unwrap();
        let mut recorded: BTreeMap<PracticeCode, Vec<MembershipChange>> = BTreeMap::new();
        for (step, (practice, to)) in [
            ("A81002", "U00002"),
            ("B81001", "U"),
            ("A81002", "U00003"),
            ("B81001", "U00001"),
        ]
        .into_iter()
        .enumerate()
        {
            let code = PracticeCode::parse(practice).unwrap();
            let changes = recorded.entry(code.clone()).or_default();
            changes.push(MembershipChange {
                practice: code.clone(),
                pcn: PcnCode::parse(to).unwrap(),
                effective_from: date,
            });
            registry = registry.with_membership_changes_of(&code, changes.clone());
            let (next, networks) = snapshot.with_membership_of(&registry, &code);
            let rechecked = recheck(
                &report,
                &snapshot,
                &next,
                &networks,
                &BTreeSet::from([code]),
            );
            let whole = check(&registry);
            assert_eq!(
                json(&rechecked.report),
                json(&whole),
                "step {step}: {practice} to {to}"
            );
            (snapshot, report) = (next, rechecked.report);
        }
        // The last report finds what the moves did: A81002 is now in the
        // other commissioner's network, and U00002 has no members left.
        assert!(report
            .findings
            .iter()
            .all(|f| f.rule != PRAC_UNALLOCATED.id));
        assert!(!snapshot
            .networks
            .contains_key(&PcnCode::parse("U00002").unwrap()));
        assert_eq!(
            snapshot.networks[&PcnCode::parse("U00003").unwrap()].list_size,
            50_000
        );
    }
}
