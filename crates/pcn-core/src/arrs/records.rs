//! Claims as recorded: their status and kind, and the claims a month still needs
//! (late months backdated, arrears where a claimable amount changed).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::*;
use crate::money::Pence;

/// Where a claim is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimStatus {
    Draft,
    Submitted,
    Approved,
    Paid,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 4] = [
        ClaimStatus::Draft,
        ClaimStatus::Submitted,
        ClaimStatus::Approved,
        ClaimStatus::Paid,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Draft => "draft",
            ClaimStatus::Submitted => "submitted",
            ClaimStatus::Approved => "approved",
            ClaimStatus::Paid => "paid",
        }
    }
    pub fn parse(s: &str) -> Option<ClaimStatus> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }
    /// The status that follows, if any.
    pub fn next(self) -> Option<ClaimStatus> {
        match self {
            ClaimStatus::Draft => Some(ClaimStatus::Submitted),
            ClaimStatus::Submitted => Some(ClaimStatus::Approved),
            ClaimStatus::Approved => Some(ClaimStatus::Paid),
            ClaimStatus::Paid => None,
        }
    }
}

/// What kind of claim a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimKind {
    /// The month's claim, made in or after the month.
    Regular,
    /// A month's first claim made after the following month had ended.
    Backdated,
    /// A correction for a month already claimed: a pay award or other
    /// change recorded later (negative when the month was over-claimed).
    Arrears,
}

impl ClaimKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimKind::Regular => "regular",
            ClaimKind::Backdated => "backdated",
            ClaimKind::Arrears => "arrears",
        }
    }
    pub fn parse(s: &str) -> Option<ClaimKind> {
        [ClaimKind::Regular, ClaimKind::Backdated, ClaimKind::Arrears]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A claim as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimRecord {
    pub id: i64,
    pub post: i64,
    /// The month the claim is for.
    pub month: YearMonth,
    pub kind: ClaimKind,
    pub amount: Pence,
    pub status: ClaimStatus,
    /// The date the claim was made.
    pub made: NaiveDate,
}

/// A claim to be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewClaim {
    pub post: i64,
    pub month: YearMonth,
    pub kind: ClaimKind,
    pub amount: Pence,
    /// The computed line it came from.
    pub working: String,
}

/// The claims to make on `today` for `month`: for each post in post that
/// month with no claim yet, its claim (backdated when the month after it has
/// ended); and for every earlier month of the year already claimed, the
/// difference between what is now claimable and what was claimed (arrears),
/// where not zero. Claims already made are never changed.
pub fn claims_to_make(
    lines: &[MonthClaim],
    existing: &[ClaimRecord],
    month: YearMonth,
    today: NaiveDate,
) -> Vec<NewClaim> {
    let mut claimed: BTreeMap<(i64, YearMonth), Pence> = BTreeMap::new();
    for c in existing {
        *claimed.entry((c.post, c.month)).or_default() += c.amount;
    }
    let mut out = Vec::new();
    for line in lines {
        if line.month > month {
            continue;
        }
        let key = (line.post, line.month);
        match claimed.get(&key) {
            None => {
                let backdated = today > line.month.next().last_day();
                out.push(NewClaim {
                    post: line.post,
                    month: line.month,
                    kind: if backdated {
                        ClaimKind::Backdated
                    } else {
                        ClaimKind::Regular
                    },
                    amount: line.claimable,
                    working: line.working.clone(),
                });
            }
            Some(done) if *done != line.claimable => out.push(NewClaim {
                post: line.post,
                month: line.month,
                kind: ClaimKind::Arrears,
                amount: line.claimable - *done,
                working: format!(
                    "now claimable {} less already claimed {}",
                    line.claimable, done
                ),
            }),
            _ => {}
        }
    }
    out
}

/// Where a month's claim for a post stands, from the claims recorded for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClaimState {
    NotClaimed,
    /// Claimed: the least advanced status of the month's claims, the amount
    /// claimed so far, and whether arrears are due (the claimable amount has
    /// changed since).
    Claimed {
        status: ClaimStatus,
        claimed: Pence,
        arrears_due: bool,
    },
}

impl ClaimState {
    /// The state of `line`'s month given every claim recorded for the year.
    pub fn of(line: &super::MonthClaim, recorded: &[ClaimRecord]) -> ClaimState {
        let mine: Vec<&ClaimRecord> = recorded
            .iter()
            .filter(|c| c.post == line.post && c.month == line.month)
            .collect();
        if mine.is_empty() {
            return ClaimState::NotClaimed;
        }
        let claimed: Pence = mine.iter().map(|c| c.amount).sum();
        let status = mine
            .iter()
            .map(|c| c.status)
            .min()
            .unwrap_or(ClaimStatus::Draft);
        ClaimState::Claimed {
            status,
            claimed,
            arrears_due: claimed != line.claimable,
        }
    }
}

impl std::fmt::Display for ClaimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClaimState::NotClaimed => f.write_str("not claimed"),
            ClaimState::Claimed {
                status,
                arrears_due: false,
                ..
            } => f.write_str(status.as_str()),
            ClaimState::Claimed {
                status,
                claimed,
                arrears_due: true,
            } => write!(f, "{} ({claimed}; arrears due)", status.as_str()),
        }
    }
}
