//! Who may see and change what: the roles and scopes of the web app's
//! accounts, and the one policy every route asks.
//!
//! An account has a role (what it may do) and a scope (which organisations
//! it may do it to). The policy is a pure function of the account, the
//! action and the organisation's place in the registry as at a date, so it
//! is tested here without a server and the web layer cannot drift from it.
//!
//! | role | scope | sees | may change |
//! |---|---|---|---|
//! | admin | all | everything | everything, imports and accounts |
//! | commissioner | a sub-ICB location or ICB | its networks and practices | ARRS claim approval and payment; care home alignments to its networks; its networks' governance facts; which of its networks its practices are in |
//! | network | one PCN | that network and its member practices | its roster, claims and submissions; its care home rounds, care plans and access sessions; its governance facts |
//! | practice | one practice | that practice, and the funding of the networks it is a member of | nothing |
//! | viewer | all, or any one of the above | that scope | nothing |
//!
//! **Network figures and member practices.** A practice is a party to its
//! network's agreement and is paid a share of the network's money, so an
//! account scoped to a practice may read the *funding* of each network the
//! practice is a member of on the date shown ([`Action::ViewFunding`]: the
//! statement line by line, its totals, the lists it is worked out on, and
//! the division among the members), but nothing else of the network: not
//! its page (checks, governance, members' details), its ARRS roster and
//! budget (which name staff), or its audit log. A practice that has left a
//! network no longer sees that network's figures; its page then shows only
//! what the practice itself received. Every route, page and API answer that
//! shows a network's figures asks this, so they cannot disagree.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::codes::{CodeError, CommissionerCode, PcnCode, PracticeCode};
use crate::registry::{NetworkView, PracticeView};

/// What an account is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    Commissioner,
    Network,
    Practice,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Commissioner,
        Role::Network,
        Role::Practice,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Commissioner => "commissioner",
            Role::Network => "network",
            Role::Practice => "practice",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a role, a scope or the pair of them was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("{0:?} is not a role (admin, commissioner, network, practice, viewer)")]
    UnknownRole(String),
    #[error("{0:?} is not a scope: use all, commissioner:CODE, network:CODE or practice:CODE")]
    NotAScope(String),
    #[error("{0:?} is not a kind of scope (commissioner, network, practice)")]
    UnknownScopeKind(String),
    #[error(transparent)]
    Code(#[from] CodeError),
    #[error("a {role} account cannot have the scope {scope}: admin takes all, commissioner takes commissioner:CODE, network takes network:CODE, practice takes practice:CODE")]
    RoleScope { role: Role, scope: Scope },
}

impl FromStr for Role {
    type Err = AccessError;
    fn from_str(raw: &str) -> Result<Role, AccessError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| AccessError::UnknownRole(raw.to_string()))
    }
}

/// Which organisations an account covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "kebab-case")]
pub enum Scope {
    All,
    /// A sub-ICB location (`16C`) or an ICB (`QHM`): its networks and practices.
    Commissioner(CommissionerCode),
    Network(PcnCode),
    Practice(PracticeCode),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::All => f.write_str("all"),
            Scope::Commissioner(c) => write!(f, "commissioner:{c}"),
            Scope::Network(c) => write!(f, "network:{c}"),
            Scope::Practice(c) => write!(f, "practice:{c}"),
        }
    }
}

impl FromStr for Scope {
    type Err = AccessError;
    fn from_str(raw: &str) -> Result<Scope, AccessError> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("all") {
            return Ok(Scope::All);
        }
        let (kind, code) = raw
            .split_once(':')
            .ok_or_else(|| AccessError::NotAScope(raw.to_string()))?;
        Ok(match kind.trim().to_ascii_lowercase().as_str() {
            "commissioner" => Scope::Commissioner(CommissionerCode::parse(code)?),
            "network" => Scope::Network(PcnCode::parse(code)?),
            "practice" => Scope::Practice(PracticeCode::parse(code)?),
            _ => return Err(AccessError::UnknownScopeKind(kind.to_string())),
        })
    }
}

/// Whether a role may hold a scope: each role but viewer has exactly one kind.
pub fn check_role_scope(role: Role, scope: &Scope) -> Result<(), AccessError> {
    let fits = matches!(
        (role, scope),
        (Role::Admin, Scope::All)
            | (Role::Commissioner, Scope::Commissioner(_))
            | (Role::Network, Scope::Network(_))
            | (Role::Practice, Scope::Practice(_))
            | (Role::Viewer, _)
    );
    if fits {
        Ok(())
    } else {
        Err(AccessError::RoleScope {
            role,
            scope: scope.clone(),
        })
    }
}

/// A logged-in account, as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub scope: Scope,
}

/// What an account asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read pages and API resources of an organisation.
    View,
    /// Read a network's funding: its statement, totals and distribution.
    ViewFunding,
    /// Add, change or end posts on a network's ARRS roster; make and submit claims.
    EditRoster,
    /// Approve ARRS claims and mark them paid.
    ApproveClaims,
    /// Read the audit log of the organisations in scope.
    ViewAudit,
    /// Upload and commit official files.
    Import,
    /// Record a network's care home rounds, care plans and access sessions.
    RecordServices,
    /// Align a care home to a network (the network is the target).
    AlignCareHomes,
    /// Record a network's governance facts: its clinical director,
    /// nominated payee, agreements, partners and size exception.
    RecordGovernance,
    /// Record that a practice joins, moves to or leaves a network from a
    /// date: the commissioner's decision. Asked of the practice and of the
    /// network it joins; both must be in scope.
    RecordMembership,
}

/// An organisation an action is aimed at, as at the date the app shows.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Nothing in particular: the national or own-scope pages.
    Scope,
    /// A commissioner's overview, by code.
    Commissioner(&'a CommissionerCode),
    Network(&'a NetworkView),
    /// A practice, with the networks it belongs to.
    Practice(&'a PracticeView, &'a [&'a NetworkView]),
}

/// Whether the scope covers the target.
pub fn covers(scope: &Scope, target: Target<'_>) -> bool {
    match (scope, target) {
        (Scope::All, _) => true,
        (_, Target::Scope) => true,
        (Scope::Commissioner(c), Target::Commissioner(t)) => c == t,
        (Scope::Commissioner(c), Target::Network(n)) => n.is_under(c),
        (Scope::Commissioner(c), Target::Practice(p, networks)) => {
            p.is_under(c) || networks.iter().any(|n| n.is_under(c))
        }
        (Scope::Network(code), Target::Network(n)) => &n.code == code,
        (Scope::Network(code), Target::Practice(_, networks)) => {
            networks.iter().any(|n| &n.code == code)
        }
        (Scope::Practice(code), Target::Practice(p, _)) => &p.code == code,
        (Scope::Network(_) | Scope::Practice(_), Target::Commissioner(_))
        | (Scope::Practice(_), Target::Network(_)) => false,
    }
}

/// The policy: whether `account` may do `action` to `target`.
pub fn allows(account: &Account, action: Action, target: Target<'_>) -> bool {
    let role_may = match action {
        Action::View | Action::ViewFunding => true,
        Action::EditRoster => matches!(account.role, Role::Admin | Role::Network),
        Action::ApproveClaims => matches!(account.role, Role::Admin | Role::Commissioner),
        Action::ViewAudit => matches!(
            account.role,
            Role::Admin | Role::Commissioner | Role::Network
        ),
        Action::Import => account.role == Role::Admin,
        Action::RecordServices => matches!(account.role, Role::Admin | Role::Network),
        Action::AlignCareHomes => matches!(account.role, Role::Admin | Role::Commissioner),
        Action::RecordGovernance => matches!(
            account.role,
            Role::Admin | Role::Commissioner | Role::Network
        ),
        Action::RecordMembership => matches!(account.role, Role::Admin | Role::Commissioner),
    };
    let target_fits = match (action, target) {
        // Roster changes, approvals, records and alignments are about a network.
        (
            Action::EditRoster
            | Action::ApproveClaims
            | Action::RecordServices
            | Action::AlignCareHomes
            | Action::RecordGovernance,
            Target::Network(_),
        ) => true,
        (
            Action::EditRoster
            | Action::ApproveClaims
            | Action::RecordServices
            | Action::AlignCareHomes
            | Action::RecordGovernance,
            _,
        ) => false,
        (Action::RecordMembership, Target::Practice(..) | Target::Network(_)) => true,
        (Action::RecordMembership, _) => false,
        _ => true,
    };
    let member_sees_funding = match (action, &account.scope, target) {
        (Action::ViewFunding, Scope::Practice(code), Target::Network(n)) => {
            n.members.contains(code)
        }
        _ => false,
    };
    role_may && target_fits && (covers(&account.scope, target) || member_sees_funding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Governance, MembershipBasis};
    use crate::{IcbCode, SubIcbCode};

    fn network(code: &str, sub_icb: &str, icb: &str) -> NetworkView {
        NetworkView {
            code: PcnCode::parse(code).unwrap(),
            name: None,
            recorded_sub_icb: None,
            commissioner: Some(SubIcbCode::parse(sub_icb).unwrap()),
            icb: Some(IcbCode::parse(icb).unwrap()),
            open_date: None,
            close_date: None,
            members: vec![],
            list_size: 0,
            members_without_list: vec![],
            governance: Governance::default(),
        }
    }

    fn practice(code: &str, sub_icb: &str) -> PracticeView {
        PracticeView {
            code: PracticeCode::parse(code).unwrap(),
            name: None,
            postcode: None,
            sub_icb: Some(SubIcbCode::parse(sub_icb).unwrap()),
            sub_icb_name: None,
            icb: None,
            icb_name: None,
            region: None,
            region_name: None,
            status: None,
            open_date: None,
            close_date: None,
            supplier: None,
            location: None,
            list_size: None,
            list_as_at: None,
            networks: vec![],
            unallocated: false,
            membership_basis: MembershipBasis::None,
        }
    }

    fn account(role: Role, scope: &str) -> Account {
        Account {
            id: 1,
            username: "u".into(),
            display_name: None,
            role,
            scope: scope.parse().unwrap(),
        }
    }

    /// Asserts each `(account, action, target, allowed)`.
    fn assert_access(cases: &[(&Account, Action, Target, bool)]) {
        for (i, &(who, action, target, allowed)) in cases.iter().enumerate() {
            assert_eq!(
                allows(who, action, target),
                allowed,
                "case {i}: {:?} {} {action:?}",
                who.role,
                who.scope
            );
        }
    }

    #[test]
    fn a_member_practice_sees_its_networks_funding_and_nothing_else_of_it() {
        let mut ours = network("U00001", "16C", "QHM");
        ours.members = vec![PracticeCode::parse("A00001").unwrap()];
        let theirs = network("U00002", "99A", "QXX");
        let member = account(Role::Practice, "practice:A00001");
        let former = account(Role::Practice, "practice:A00009");
        let viewer = account(Role::Viewer, "practice:A00001");
        for who in [&member, &viewer] {
            assert!(allows(who, Action::ViewFunding, Target::Network(&ours)));
            assert!(!allows(who, Action::View, Target::Network(&ours)));
            assert!(!allows(who, Action::EditRoster, Target::Network(&ours)));
            assert!(!allows(who, Action::ViewAudit, Target::Network(&ours)));
            assert!(!allows(who, Action::ViewFunding, Target::Network(&theirs)));
        }
        // Not a member (any more): no figures.
        assert!(!allows(
            &former,
            Action::ViewFunding,
            Target::Network(&ours)
        ));
        // Everyone who may see a network may see its funding.
        let manager = account(Role::Network, "network:U00001");
        let commissioner = account(Role::Commissioner, "commissioner:16C");
        for who in [&manager, &commissioner, &account(Role::Admin, "all")] {
            assert!(allows(who, Action::ViewFunding, Target::Network(&ours)));
        }
        assert!(!allows(
            &manager,
            Action::ViewFunding,
            Target::Network(&theirs)
        ));
    }

    #[test]
    fn only_a_commissioner_of_both_ends_records_a_practice_moving() {
        let ours = network("U00001", "16C", "QHM");
        let theirs = network("U00002", "99A", "QXX");
        let our_practice = practice("A00001", "16C");
        let networks = [&ours];
        let moving = Target::Practice(&our_practice, &networks);
        let commissioner = account(Role::Commissioner, "commissioner:16C");
        let admin = account(Role::Admin, "all");
        let record = Action::RecordMembership;
        assert_access(&[
            (&commissioner, record, moving, true),
            (&commissioner, record, Target::Network(&ours), true),
            (&commissioner, record, Target::Network(&theirs), false),
            (&commissioner, record, Target::Scope, false),
            (&admin, record, moving, true),
        ]);
        for (role, scope) in [
            (Role::Network, "network:U00001"),
            (Role::Practice, "practice:A00001"),
            (Role::Viewer, "all"),
        ] {
            assert!(
                !allows(&account(role, scope), Action::RecordMembership, moving),
                "{role}"
            );
        }
    }

    #[test]
    fn roles_and_scopes_parse_and_print_back() {
        for raw in [
            "all",
            "commissioner:16C",
            "network:U12345",
            "practice:A81001",
        ] {
            assert_eq!(raw.parse::<Scope>().unwrap().to_string(), raw);
        }
        assert_eq!(
            "commissioner:qhm".parse::<Scope>().unwrap(),
            Scope::Commissioner(CommissionerCode::parse("QHM").unwrap())
        );
        assert!("network:12345".parse::<Scope>().is_err());
        assert!("commissioner:<b>".parse::<Scope>().is_err());
        assert!("region:Y56".parse::<Scope>().is_err());
        assert_eq!("Viewer".parse::<Role>().unwrap(), Role::Viewer);
        assert!("root".parse::<Role>().is_err());
        assert!(check_role_scope(Role::Network, &"commissioner:16C".parse().unwrap()).is_err());
        assert!(check_role_scope(Role::Admin, &"network:U12345".parse().unwrap()).is_err());
        assert!(check_role_scope(Role::Viewer, &"network:U12345".parse().unwrap()).is_ok());
    }

    #[test]
    fn each_role_sees_only_its_scope() {
        let ours = network("U00001", "16C", "QHM");
        let theirs = network("U00002", "99A", "QXX");
        let member = practice("A00001", "16C");
        let stranger = practice("B00001", "99A");
        let ours_ref = [&ours];
        let theirs_ref = [&theirs];

        let qhm = CommissionerCode::parse("qhm").unwrap();
        let sub_icb = CommissionerCode::parse("16C").unwrap();
        let (ours_t, theirs_t) = (Target::Network(&ours), Target::Network(&theirs));
        let member_t = Target::Practice(&member, &ours_ref);

        let commissioner = account(Role::Commissioner, "commissioner:16C");
        let icb = account(Role::Commissioner, "commissioner:QHM");
        let manager = account(Role::Network, "network:U00001");
        let practice_manager = account(Role::Practice, "practice:A00001");
        let viewer = account(Role::Viewer, "all");
        let admin = account(Role::Admin, "all");
        assert_access(&[
            (&commissioner, Action::View, ours_t, true),
            (&commissioner, Action::View, theirs_t, false),
            (&icb, Action::View, ours_t, true),
            (&icb, Action::View, Target::Commissioner(&qhm), true),
            (&icb, Action::View, Target::Commissioner(&sub_icb), false),
            (&manager, Action::EditRoster, ours_t, true),
            (&manager, Action::EditRoster, theirs_t, false),
            (&manager, Action::ApproveClaims, ours_t, false),
            (&manager, Action::View, member_t, true),
            (
                &manager,
                Action::View,
                Target::Practice(&stranger, &theirs_ref),
                false,
            ),
            (
                &manager,
                Action::View,
                Target::Commissioner(&sub_icb),
                false,
            ),
            (&manager, Action::Import, Target::Scope, false),
            (&practice_manager, Action::View, member_t, true),
            (&practice_manager, Action::View, ours_t, false),
            (&practice_manager, Action::ViewAudit, Target::Scope, false),
            (&viewer, Action::View, theirs_t, true),
            (&viewer, Action::EditRoster, theirs_t, false),
            (&viewer, Action::ViewAudit, Target::Scope, false),
        ]);
        for action in [
            Action::View,
            Action::EditRoster,
            Action::ApproveClaims,
            Action::ViewAudit,
        ] {
            assert!(allows(&admin, action, theirs_t));
        }
        assert_access(&[
            (&admin, Action::Import, Target::Scope, true),
            (&commissioner, Action::ApproveClaims, ours_t, true),
            (&commissioner, Action::ApproveClaims, theirs_t, false),
        ]);
    }

    #[test]
    fn networks_record_services_and_commissioners_align_homes() {
        let ours = network("U00001", "16C", "QHM");
        let theirs = network("U00002", "99A", "QXX");
        let (record, align) = (Action::RecordServices, Action::AlignCareHomes);
        let manager = account(Role::Network, "network:U00001");
        assert!(allows(&manager, record, Target::Network(&ours)));
        assert!(!allows(&manager, record, Target::Network(&theirs)));
        assert!(!allows(&manager, align, Target::Network(&ours)));
        let commissioner = account(Role::Commissioner, "commissioner:16C");
        assert!(allows(&commissioner, align, Target::Network(&ours)));
        assert!(!allows(&commissioner, align, Target::Network(&theirs)));
        assert!(!allows(&commissioner, record, Target::Network(&ours)));
        let admin = account(Role::Admin, "all");
        assert!(allows(&admin, record, Target::Network(&theirs)));
        assert!(allows(&admin, align, Target::Network(&theirs)));
        assert!(
            !allows(&admin, align, Target::Scope),
            "an alignment names its network"
        );
        for role in [Role::Practice, Role::Viewer] {
            let a = account(role, "all");
            assert!(!allows(&a, record, Target::Network(&ours)));
            assert!(!allows(&a, align, Target::Network(&ours)));
        }
    }
}
