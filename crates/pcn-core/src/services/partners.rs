//! A network's community, mental health and voluntary partners (recorded
//! in its governance facts) with the services they deliver on its
//! footprint: the posts on the network's roster that the partner employs
//! (`provider:NAME`, matched to the partner's name without regard to case),
//! the specifications those posts' roles may deliver, and what the records
//! show they did in the weeks shown (care home rounds, access sessions).
//!
//! A partner that employs no post on the roster is listed with nothing
//! delivered: the records only know the clinician by post, so work a
//! partner does with its own staff off the roster is not seen.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Serialize;

use super::calendar::Week;
use super::records::ServiceRecords;
use crate::arrs::{Employer, Post};
use crate::registry::Governance;
use crate::rulebook::ServiceRules;

/// A partner and what it delivers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerLine {
    /// `community`, `mental health` or `voluntary`.
    pub kind: &'static str,
    pub name: String,
    /// Its posts on the roster in the weeks: (post id, role, WTE at the first week).
    pub posts: Vec<(i64, String, Decimal)>,
    /// Specifications in force whose requirements its posts' roles may deliver.
    pub may_deliver: Vec<String>,
    pub rounds: u32,
    pub sessions: u32,
    pub session_minutes: u32,
}

/// Every partner of a network with what it delivers in `weeks`.
pub fn partners(
    governance: &Governance,
    posts: &[Post],
    records: &ServiceRecords,
    weeks: &[Week],
    rules: Option<&ServiceRules>,
) -> Vec<PartnerLine> {
    let (Some(first), Some(last)) = (weeks.first(), weeks.last()) else {
        return Vec::new();
    };
    let (from, to) = (first.monday(), last.sunday());
    let kinds: [(&'static str, &Vec<String>); 3] = [
        ("community", &governance.community_partners),
        ("mental health", &governance.mental_health_partners),
        ("voluntary", &governance.voluntary_partners),
    ];
    let mut out = Vec::new();
    for (kind, names) in kinds {
        for name in names {
            let theirs: Vec<&Post> = posts
                .iter()
                .filter(|p| matches!(&p.employer, Employer::Provider(n) if n.trim().eq_ignore_ascii_case(name.trim())))
                .filter(|p| p.start <= to && p.end.is_none_or(|e| e >= from))
                .collect();
            let ids: BTreeSet<i64> = theirs.iter().map(|p| p.id).collect();
            let roles: BTreeSet<&str> = theirs.iter().map(|p| p.role.as_str()).collect();
            let may_deliver = rules
                .map(|r| {
                    r.specs_on(from)
                        .filter(|s| {
                            s.requirements
                                .iter()
                                .any(|q| q.roles.iter().any(|role| roles.contains(role.as_str())))
                        })
                        .map(|s| s.name.clone())
                        .collect()
                })
                .unwrap_or_default();
            let sessions: Vec<_> = records
                .delivered_sessions
                .iter()
                .filter(|s| ids.contains(&s.post))
                .filter(|s| weeks.iter().any(|w| s.date_in(*w).is_some()))
                .collect();
            out.push(PartnerLine {
                kind,
                name: name.clone(),
                posts: theirs
                    .iter()
                    .map(|p| {
                        let wte = p
                            .terms_at(from.max(p.start))
                            .map(|t| t.wte)
                            .unwrap_or_default();
                        (p.id, p.role.clone(), wte)
                    })
                    .collect(),
                may_deliver,
                rounds: records
                    .rounds
                    .iter()
                    .filter(|r| ids.contains(&r.post) && from <= r.date && r.date <= to)
                    .count() as u32,
                sessions: sessions.len() as u32,
                session_minutes: sessions.iter().map(|s| s.minutes()).sum(),
            });
        }
    }
    out
}
