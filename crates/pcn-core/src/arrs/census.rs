//! The PCN workforce census: its staff roles mapped to the rulebook's ARRS
//! roles, and the seeding of rosters from it, decided without a database.
//!
//! The census (NHS England Digital's individual-level PCN workforce file)
//! lists each staff record of each network with its role and FTE. A roster
//! seeded from it has one post per record, split into posts of at most 1 WTE
//! where a record is above 1 FTE (a post's WTE is at most 1). A post is
//! funded through the ARRS when its role maps to one the rulebook reimburses
//! in the census's financial year, otherwise it is "other" and keeps the
//! census's own role name. The census gives no HCAS zone, so London posts
//! are seeded at the outer London rate, the lower of the two; contracted
//! staff are employed by a provider, the rest by the network.
//!
//! Censuses are dated. A newer census supersedes an older one: the older
//! census's posts still open on the newer census's date end the day before
//! it. A census older than one already held is seeded with its posts ending
//! the day before the earliest later census. The same census is seeded once.
//!
//! The store asks which censuses it holds, calls [`seed`], and writes the
//! result in the import's transaction.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Employer, Funding, Origin, Post, Terms};
use crate::rulebook::{Region, YearRules};
use crate::WorkforceFact;

/// The NHS England region code of London in the census.
const LONDON: &str = "Y56";

/// What seeding a census writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeding {
    /// The census date (the last day of the census month).
    pub census: NaiveDate,
    /// The posts to add, each with its one set of terms from the census
    /// date. Their ids are 0: the store gives the ids.
    pub posts: Vec<Post>,
    /// Earlier censuses held whose posts end: each census date with the end
    /// date its open posts (and posts ending later) take.
    pub ended: Vec<(NaiveDate, NaiveDate)>,
    /// The end date of the new posts, when a later census is held: the day
    /// before the earliest later one.
    pub end: Option<NaiveDate>,
    /// How many census records the posts come from.
    pub records: usize,
}

/// Why a census cannot be seeded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    /// There is nothing to seed.
    #[error("the workforce census has no records")]
    NoRecords,
    /// The records are of more than one census date.
    #[error("the workforce records are of two censuses, {first} and {other}: import each census on its own")]
    MixedCensuses { first: NaiveDate, other: NaiveDate },
    /// This census is already on the roster.
    #[error("the census of {0} is already held (from another file); import each census once")]
    AlreadyHeld(NaiveDate),
    /// The census date is the first date there is, with no day before it.
    #[error("the census date {0} is out of range")]
    OutOfRange(NaiveDate),
}

/// Decides the posts a census seeds. `rules` are the rules of the financial
/// year containing the census (`None` when the rulebook has no such year:
/// every post is then "other"); `held` are the dates of the censuses the
/// roster already holds, in any order.
pub fn seed(
    rules: Option<&YearRules>,
    records: &[WorkforceFact],
    held: &[NaiveDate],
) -> Result<Seeding, SeedError> {
    let census = records.first().ok_or(SeedError::NoRecords)?.census;
    if let Some(other) = records.iter().map(|r| r.census).find(|d| *d != census) {
        return Err(SeedError::MixedCensuses {
            first: census,
            other,
        });
    }
    if held.contains(&census) {
        return Err(SeedError::AlreadyHeld(census));
    }
    let day_before = |d: NaiveDate| d.pred_opt().ok_or(SeedError::OutOfRange(d));
    let mut ended: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for earlier in held.iter().filter(|d| **d < census) {
        ended.push((*earlier, day_before(census)?));
    }
    ended.sort();
    ended.dedup();
    let end = match held.iter().filter(|d| **d > census).min() {
        Some(later) => Some(day_before(*later)?),
        None => None,
    };
    let mut posts = Vec::new();
    for record in records {
        posts.extend(posts_of(rules, record, end));
    }
    Ok(Seeding {
        census,
        posts,
        ended,
        end,
        records: records.len(),
    })
}

/// The posts of one census record: at most 1 WTE each, the remainder last.
fn posts_of(
    rules: Option<&YearRules>,
    record: &WorkforceFact,
    end: Option<NaiveDate>,
) -> Vec<Post> {
    let reimbursed = census_role(&record.staff_role, &record.detailed_role)
        .and_then(|id| rules.and_then(|year| year.arrs.role(id)));
    let (role, band, funding) = match reimbursed {
        Some(role) => (
            role.id.to_string(),
            role.default_band.clone(),
            Funding::Arrs,
        ),
        None => {
            let label = if record.detailed_role.is_empty() {
                &record.staff_role
            } else {
                &record.detailed_role
            };
            (label.clone(), "-".to_string(), Funding::Other)
        }
    };
    let employer = if record
        .data_source
        .to_ascii_lowercase()
        .contains("contracted")
    {
        Employer::Provider("contracted service (census)".into())
    } else {
        Employer::Network
    };
    let region = if record.region.as_deref() == Some(LONDON) {
        Region::OuterLondon
    } else {
        Region::England
    };
    let mut posts = Vec::new();
    let mut left = record.fte;
    while left > Decimal::ZERO {
        let wte = left.min(Decimal::ONE);
        left -= wte;
        posts.push(Post {
            id: 0,
            pcn: record.pcn.clone(),
            person: record.person.clone(),
            name: None,
            role: role.clone(),
            employer: employer.clone(),
            funding,
            region,
            start: record.census,
            end,
            terms: vec![Terms {
                effective_from: record.census,
                band: band.clone(),
                wte,
                salary: None,
                on_costs: None,
                levy: false,
                recorded: 0,
            }],
            origin: Origin::Census(record.census),
        });
    }
    posts
}

/// The ARRS role a PCN workforce census record is in, from its
/// `STAFF_ROLE` and `DETAILED_STAFF_ROLE`, or `None` for roles the scheme
/// does not reimburse (directors, managers, administrative staff, GP
/// locums, general practice assistants, talking-therapy staff and others).
///
/// The census does not say how a post is funded; pcn assumes a post in a
/// reimbursable role is funded through the ARRS.
pub fn census_role(staff_role: &str, detailed_role: &str) -> Option<&'static str> {
    let role = staff_role.trim();
    let detailed = detailed_role.trim();
    if role.contains("(Mental Health Practitioners)")
        || detailed.contains("(Mental Health Practitioner")
    {
        return Some("mental-health-practitioner");
    }
    Some(match role {
        "Pharmacists" => "clinical-pharmacist",
        "Advanced Pharmacist Practitioners"
        | "Advanced Paramedic Practitioners"
        | "Advanced Physiotherapist Practitioners"
        | "Advanced Occupational Therapist Practitioners"
        | "Advanced Dietician Practitioners"
        | "Advanced Podiatrist Practitioners"
        | "Advanced Nurse Practitioners" => "advanced-practitioner",
        "Pharmacy Technicians" => "pharmacy-technician",
        "Social Prescribing Link Workers" => "social-prescribing-link-worker",
        "Care Coordinators" => "care-coordinator",
        "Health and Wellbeing Coaches" => "health-and-wellbeing-coach",
        "Physiotherapists" => "first-contact-physiotherapist",
        "Dieticians" => "dietitian",
        "Podiatrists" => "podiatrist",
        "Paramedics" => "paramedic",
        "Physician Associates" => "physician-associate",
        "Nursing Associates" => "nursing-associate",
        "Trainee Nursing Associates" => "trainee-nursing-associate",
        "Enhanced Practice Nurses" => "enhanced-practice-nurse",
        "Nurse Specialists" | "Other Nurses" => "general-practice-nurse",
        "Healthcare Assistants" | "Healthcare Support Workers" => "healthcare-support-worker",
        "Salaried GPs" => "gp",
        "Therapists" if detailed == "Therapist- Occupational Therapist" => "occupational-therapist",
        "Apprentices" if detailed == "Apprentice - Physician Associate" => {
            "apprentice-physician-associate"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rulebook::Rulebook;
    use crate::PcnCode;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn record(census: &str, role: &str, fte: &str) -> WorkforceFact {
        WorkforceFact {
            pcn: PcnCode::parse("U89141").unwrap(),
            census: d(census),
            data_source: "NWRS Staff".into(),
            staff_group: "Direct Patient Care".into(),
            staff_role: role.into(),
            detailed_role: String::new(),
            fte: dec(fte),
            person: "P1".into(),
            region: Some("Y63".into()),
        }
    }

    fn rules() -> Rulebook {
        Rulebook::embedded().unwrap()
    }

    #[test]
    fn a_record_above_one_fte_is_split_into_posts_of_at_most_one() {
        let rulebook = rules();
        let year = rulebook.year("2026-27").ok();
        let seeding = seed(year, &[record("2026-06-30", "Pharmacists", "1.6")], &[]).unwrap();
        let wtes: Vec<Decimal> = seeding.posts.iter().map(|p| p.terms[0].wte).collect();
        assert_eq!(wtes, vec![dec("1"), dec("0.6")]);
        for post in &seeding.posts {
            assert_eq!(post.role, "clinical-pharmacist");
            assert_eq!(post.funding, Funding::Arrs);
            assert_eq!(post.region, Region::England);
            assert_eq!(post.employer, Employer::Network);
            assert_eq!(post.start, d("2026-06-30"));
            assert_eq!(post.end, None);
            assert_eq!(post.origin, Origin::Census(d("2026-06-30")));
            assert_eq!(post.terms.len(), 1);
            assert_eq!(post.terms[0].effective_from, d("2026-06-30"));
            assert_eq!(post.terms[0].band, "7", "the role's default band");
            assert_eq!(post.terms[0].salary, None);
        }
        assert_eq!(seeding.records, 1);
        assert!(seeding.ended.is_empty());
    }

    #[test]
    fn a_london_record_is_seeded_at_the_outer_london_rate_and_contracted_staff_by_a_provider() {
        let rulebook = rules();
        let mut london = record("2026-06-30", "Paramedics", "0.8");
        london.region = Some("Y56".into());
        london.data_source = "NWRS contracted services".into();
        let seeding = seed(rulebook.year("2026-27").ok(), &[london], &[]).unwrap();
        assert_eq!(seeding.posts.len(), 1);
        let post = &seeding.posts[0];
        assert_eq!(post.region, Region::OuterLondon);
        assert_eq!(post.role, "paramedic");
        assert_eq!(
            post.employer,
            Employer::Provider("contracted service (census)".into())
        );
        assert_eq!(post.terms[0].wte, dec("0.8"));
    }

    #[test]
    fn a_role_the_year_does_not_reimburse_is_other_funding_under_its_census_name() {
        let rulebook = rules();
        // 2019/20 reimbursed clinical pharmacists and link workers only.
        let mut paramedic = record("2019-09-30", "Paramedics", "1");
        paramedic.detailed_role = "Paramedic - Band 6".into();
        let manager = record("2019-09-30", "Managers", "0.5");
        let seeding = seed(rulebook.year("2019-20").ok(), &[paramedic, manager], &[]).unwrap();
        let seen: Vec<(&str, Funding, &str)> = seeding
            .posts
            .iter()
            .map(|p| (p.role.as_str(), p.funding, p.terms[0].band.as_str()))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("Paramedic - Band 6", Funding::Other, "-"),
                ("Managers", Funding::Other, "-"),
            ]
        );
        // With no rules for the year at all, a reimbursable role is "other" too.
        let seeding = seed(None, &[record("2019-09-30", "Pharmacists", "1")], &[]).unwrap();
        assert_eq!(seeding.posts[0].funding, Funding::Other);
        assert_eq!(seeding.posts[0].role, "Pharmacists");
    }

    #[test]
    fn an_earlier_census_ends_the_day_before_and_a_later_one_ends_the_new_posts() {
        let rulebook = rules();
        let held = [
            d("2026-09-30"),
            d("2025-06-30"),
            d("2026-03-31"),
            d("2027-03-31"),
        ];
        let seeding = seed(
            rulebook.year("2026-27").ok(),
            &[record("2026-06-30", "Pharmacists", "1")],
            &held,
        )
        .unwrap();
        assert_eq!(
            seeding.ended,
            vec![
                (d("2025-06-30"), d("2026-06-29")),
                (d("2026-03-31"), d("2026-06-29")),
            ]
        );
        assert_eq!(
            seeding.end,
            Some(d("2026-09-29")),
            "the earliest later census"
        );
        assert_eq!(seeding.posts[0].end, Some(d("2026-09-29")));
    }

    #[test]
    fn the_same_census_twice_is_refused() {
        let rulebook = rules();
        let err = seed(
            rulebook.year("2026-27").ok(),
            &[record("2026-06-30", "Pharmacists", "1")],
            &[d("2026-06-30")],
        )
        .unwrap_err();
        assert_eq!(err, SeedError::AlreadyHeld(d("2026-06-30")));
        assert!(err.to_string().contains("already held"), "{err}");
    }

    #[test]
    fn records_of_two_censuses_and_no_records_are_refused() {
        let two = [
            record("2026-06-30", "Pharmacists", "1"),
            record("2026-09-30", "Pharmacists", "1"),
        ];
        assert_eq!(
            seed(None, &two, &[]).unwrap_err(),
            SeedError::MixedCensuses {
                first: d("2026-06-30"),
                other: d("2026-09-30")
            }
        );
        assert_eq!(seed(None, &[], &[]).unwrap_err(), SeedError::NoRecords);
    }
}
