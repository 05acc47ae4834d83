//! A synthetic but realistic commissioner for `pcn demo`, so a new user can
//! see the program work with no downloads.
//!
//! "NHS Demo Vale" is one ICB (`QZZ`) with two sub-ICB locations (`Z1A`,
//! `Z2B`), 44 practices in 9 networks around a market town, list sizes at
//! three dates (January, April and July 2026), weighted and adjusted
//! populations and aligned care homes as at January 2026 (so `pcn pay
//! --year 2026-27` has every input), IIF points by indicator for 2024/25, and
//! governance facts. The data is generated from a fixed seed, so
//! every run gives the same registry. It is built to show each kind of
//! finding: a network under 30,000 with and without a rural waiver, one over
//! 50,000, an unallocated practice, a practice far from its network, a
//! network across two commissioners, missing governance facts, a payee who
//! is not a member, and a practice that moved network between the two dates.
//! Codes start with `Z` (practices) or `U9` (networks) so demo data is never
//! mistaken for a real organisation.

use chrono::NaiveDate;

use crate::codes::{IcbCode, PcnCode, PracticeCode, RegionCode, SubIcbCode};
use crate::facts::*;
use rust_decimal::Decimal;

/// The demo's January list extract and population date (the DES population
/// date for 2026-27 payments).
fn january() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default()
}

/// The dates of the demo's April and July list extracts.
pub fn demo_dates() -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(2026, 4, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(2026, 7, 1).unwrap_or_default(),
    )
}

/// A small deterministic generator (xorshift64*): the demo must be the same
/// on every machine, and needs no statistical quality.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A whole number in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    /// A small offset in degrees, up to `max` either way.
    fn jitter(&mut self, max: f64) -> f64 {
        let unit = (self.next() % 2_000_001) as f64 / 1_000_000.0 - 1.0;
        unit * max
    }
}

struct DemoNetwork {
    code: &'static str,
    name: &'static str,
    sub_icb: &'static str,
    centre: (f64, f64),
    /// Practices and the range of their list sizes.
    practices: usize,
    list: (u64, u64),
}

/// One demo network: code, name, sub-ICB, centre, practices and the range
/// of their list sizes.
const fn net(
    code: &'static str,
    name: &'static str,
    sub_icb: &'static str,
    centre: (f64, f64),
    practices: usize,
    list: (u64, u64),
) -> DemoNetwork {
    DemoNetwork {
        code,
        name,
        sub_icb,
        centre,
        practices,
        list,
    }
}

// One network a row: code, name, sub-ICB, centre, practices, list sizes.
#[rustfmt::skip]
const NETWORKS: [DemoNetwork; 9] = [
    net("U90001", "DEMO TOWN CENTRAL PCN",       "Z1A", (54.339, -1.434), 5, (6_000, 8_000)),
    net("U90002", "DEMO TOWN NORTH PCN",         "Z1A", (54.372, -1.440), 5, (6_500, 9_000)),
    net("U90003", "DEMO RIVERSIDE PCN",          "Z1A", (54.310, -1.390), 6, (6_500, 8_000)),
    // Over 50,000: a warning.
    net("U90004", "DEMO HEALTH PARTNERSHIP PCN", "Z1A", (54.300, -1.480), 7, (8_500, 10_500)),
    // Under 30,000 with no exception: an error.
    net("U90005", "DEMO EAST VILLAGES PCN",      "Z2B", (54.340, -1.250), 3, (6_000, 8_000)),
    // Under 30,000 with a recorded rural waiver: information only.
    net("U90006", "DEMO DALES PCN",              "Z2B", (54.300, -1.900), 3, (3_500, 6_000)),
    net("U90007", "DEMO COAST PCN",              "Z2B", (54.480, -1.000), 5, (7_000, 9_000)),
    net("U90008", "DEMO MOORS PCN",              "Z2B", (54.400, -1.100), 5, (7_000, 9_500)),
    // Missing governance facts.
    net("U90009", "DEMO WEST PCN",               "Z1A", (54.330, -1.560), 4, (8_000, 10_000)),
];

fn code<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    // The demo's codes are literals in this file, checked by the tests below.
    s.parse()
        .unwrap_or_else(|e| panic!("demo code {s:?} is invalid: {e:?}"))
}

/// The demo registry as facts, ready to be written as one import.
pub fn demo_facts() -> FactBatch {
    let (april, july) = demo_dates();
    let mut demo = Demo {
        facts: FactBatch::default(),
        rng: Seeded(0x5043_4E20_4445_4D4F),
        serial: 0,
        opened: NaiveDate::from_ymd_opt(2019, 7, 1).unwrap_or_default(),
        april,
        july,
    };
    // The order matters: each step draws from the one generator.
    for network in &NETWORKS {
        demo.network(network);
    }
    demo.mover();
    demo.unallocated();
    for (n, network) in NETWORKS.iter().enumerate() {
        demo.adjusted_population(network);
        demo.care_homes(n, network);
    }
    for network in &NETWORKS {
        demo.iif_points(network);
    }
    for network in &NETWORKS {
        demo.governance(network);
    }
    demo.facts
}

/// The demo as it is built.
struct Demo {
    facts: FactBatch,
    rng: Seeded,
    /// The last practice number given (practice codes are `Z9nnnn`).
    serial: usize,
    /// When the networks opened.
    opened: NaiveDate,
    april: NaiveDate,
    july: NaiveDate,
}

impl Demo {
    /// The next practice's number and code.
    fn next_practice(&mut self) -> (usize, PracticeCode) {
        self.serial += 1;
        (self.serial, code(&format!("Z{:05}", 90000 + self.serial)))
    }

    /// A network and its practices: their list sizes at the three dates,
    /// weighted populations in January and membership since the network
    /// opened.
    fn network(&mut self, network: &DemoNetwork) {
        let pcn: PcnCode = code(network.code);
        self.facts.networks.push(NetworkFact {
            name: Some(network.name.to_string()),
            sub_icb: Some(code(network.sub_icb)),
            open_date: Some(self.opened),
            ..NetworkFact::new(pcn.clone(), self.april)
        });
        for i in 0..network.practices {
            let (serial, practice) = self.next_practice();
            let mut lat = network.centre.0 + self.rng.jitter(0.04);
            let mut lon = network.centre.1 + self.rng.jitter(0.06);
            let mut sub_icb = network.sub_icb;
            // The last practice of the coast network sits 40 km inland, under
            // the other commissioner: far from its network, and a split.
            if network.code == "U90007" && i == network.practices - 1 {
                lat = 54.20;
                lon = -1.55;
                sub_icb = "Z1A";
            }
            self.facts.practices.push(practice_fact(
                &practice,
                &format!("DEMO SURGERY {serial}"),
                sub_icb,
                lat,
                lon,
                self.april,
                &mut self.rng,
            ));
            self.practice_lists(network, &practice);
            self.facts.intervals.push(MembershipInterval {
                practice,
                pcn: pcn.clone(),
                start: self.opened,
                end: None,
            });
        }
    }

    /// A network practice's list sizes (January, April and July) and its
    /// weighted population in January.
    fn practice_lists(&mut self, network: &DemoNetwork, practice: &PracticeCode) {
        let rng = &mut self.rng;
        let list = rng.between(network.list.0, network.list.1);
        let january_list = list - rng.between(0, 120);
        self.facts
            .list_sizes
            .extend(list_sizes(practice, january(), january_list, rng));
        // Weighted (Carr-Hill) populations run 85% to 115% of the list.
        let weighting = Decimal::new(rng.between(8_500, 11_500) as i64, 4);
        self.facts.populations.push(PopulationFact {
            subject: PopulationSubject::Practice(practice.clone()),
            kind: PopulationKind::Weighted,
            as_at: january(),
            value: (Decimal::from(january_list) * weighting).round_dp(2),
        });
        self.facts
            .list_sizes
            .extend(list_sizes(practice, self.april, list, rng));
        let july_list = list + rng.between(0, 150);
        self.facts
            .list_sizes
            .extend(list_sizes(practice, self.july, july_list, rng));
    }

    /// A practice that moved from Town North to Town Central on 1 June 2026.
    fn mover(&mut self) {
        let mover: PracticeCode = code("Z90010");
        let intervals = &mut self.facts.intervals;
        if let Some(interval) = intervals.iter_mut().find(|i| i.practice == mover) {
            interval.end = NaiveDate::from_ymd_opt(2026, 5, 31);
        }
        intervals.push(MembershipInterval {
            practice: mover,
            pcn: code("U90001"),
            start: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default(),
            end: None,
        });
    }

    /// An unallocated practice: outside any network, seen as `U` in the
    /// July map.
    fn unallocated(&mut self) {
        let (_, outside) = self.next_practice();
        self.facts.practices.push(practice_fact(
            &outside,
            "DEMO INDEPENDENT PRACTICE",
            "Z2B",
            54.35,
            -1.30,
            self.april,
            &mut self.rng,
        ));
        self.facts
            .list_sizes
            .extend(list_sizes(&outside, self.april, 4_210, &mut self.rng));
        self.facts
            .list_sizes
            .extend(list_sizes(&outside, self.july, 4_236, &mut self.rng));
        self.facts.observations.push(MembershipObservation {
            practice: outside,
            pcn: PcnCode::unallocated(),
            as_at: self.july,
        });
    }

    /// A network's adjusted population as at January 2026: its members'
    /// January lists times a need factor of 95% to 105%.
    fn adjusted_population(&mut self, network: &DemoNetwork) {
        let pcn: PcnCode = code(network.code);
        let members: Vec<&PracticeCode> = self
            .facts
            .intervals
            .iter()
            .filter(|i| {
                i.pcn == pcn && i.start <= january() && i.end.is_none_or(|e| e >= january())
            })
            .map(|i| &i.practice)
            .collect();
        let list: u64 = self
            .facts
            .list_sizes
            .iter()
            .filter(|l| l.as_at == january() && l.sex == Sex::All && members.contains(&&l.practice))
            .map(|l| l.total)
            .sum();
        let need = Decimal::new(self.rng.between(9_500, 10_500) as i64, 4);
        self.facts.populations.push(PopulationFact {
            subject: PopulationSubject::Network(pcn),
            kind: PopulationKind::Adjusted,
            as_at: january(),
            value: (Decimal::from(list) * need).round_dp(2),
        });
    }

    /// One to three care homes near the `n`th network, aligned to it since
    /// it opened.
    fn care_homes(&mut self, n: usize, network: &DemoNetwork) {
        let pcn: PcnCode = code(network.code);
        for h in 0..(1 + n % 3) {
            let location_id = format!("1-9{:02}{:02}00000", n + 1, h + 1);
            self.facts.care_homes.push(CareHomeFact {
                location_id: location_id.clone(),
                name: format!("DEMO CARE HOME {}{}", n + 1, (b'A' + h as u8) as char),
                postcode: Some(format!("ZZ{} {}CH", n + 1, h + 1)),
                beds: self.rng.between(18, 75) as u32,
                location: LatLon::new_in_uk(
                    network.centre.0 + self.rng.jitter(0.03),
                    network.centre.1 + self.rng.jitter(0.04),
                ),
                local_authority: Some("Demo Vale".to_string()),
                ods_code: None,
                dormant: false,
                as_at: january(),
            });
            self.facts.care_home_alignments.push(CareHomeAlignment {
                location_id,
                pcn: pcn.clone(),
                from: self.opened,
                to: None,
            });
        }
    }

    /// IIF 2024/25 achievement by indicator, as a commissioner records it
    /// from CQRS: learning-disability health checks (prevalence-adjusted)
    /// and FIT in lower-GI cancer referrals.
    fn iif_points(&mut self, network: &DemoNetwork) {
        let pcn: PcnCode = code(network.code);
        let recorded = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default();
        let rng = &mut self.rng;
        self.facts.iif_points.push(IifPointsFact {
            pcn: pcn.clone(),
            financial_year: "2024-25".to_string(),
            points: Decimal::from(rng.between(10, 36)),
            recorded,
            indicator: Some("HI-03".to_string()),
            pcn_prevalence: Some(Decimal::new(rng.between(45, 75) as i64, 4)),
            national_prevalence: Some(Decimal::new(55, 4)),
        });
        self.facts.iif_points.push(IifPointsFact {
            pcn,
            financial_year: "2024-25".to_string(),
            points: Decimal::from(rng.between(5, 22)),
            recorded,
            indicator: Some("CAN-04".to_string()),
            pcn_prevalence: None,
            national_prevalence: None,
        });
    }

    /// A network's governance: complete, except West's (nothing recorded),
    /// Riverside's payee (a practice of another network) and Dales's rural
    /// waiver.
    fn governance(&mut self, network: &DemoNetwork) {
        let pcn: PcnCode = code(network.code);
        let first_member = self
            .facts
            .intervals
            .iter()
            .find(|i| i.pcn == pcn)
            .map(|i| i.practice.to_string())
            .unwrap_or_default();
        let opened = self.opened;
        let mut set = |field: GovernanceField, value: &str| {
            self.facts.governance.push(GovernanceFact {
                pcn: pcn.clone(),
                field,
                value: value.to_string(),
                effective_from: opened,
            })
        };
        if network.code == "U90009" {
            // No clinical director, payee or agreement recorded.
            return;
        }
        set(
            GovernanceField::ClinicalDirector,
            &format!("Dr Demo Director {}", &network.code[4..]),
        );
        // Riverside's payee is a practice of another network.
        set(
            GovernanceField::NominatedPayee,
            if network.code == "U90003" {
                "Z90001"
            } else {
                &first_member
            },
        );
        set(GovernanceField::NetworkAgreementSigned, "2019-06-28");
        set(GovernanceField::DataSharingAgreementSigned, "2019-06-28");
        set(
            GovernanceField::CommunityPartners,
            "Demo Community Health NHS Trust",
        );
        set(
            GovernanceField::MentalHealthPartners,
            "Demo Mental Health NHS Foundation Trust",
        );
        set(
            GovernanceField::VoluntaryPartners,
            "Demo Vale Voluntary Action",
        );
        if network.code == "U90006" {
            set(GovernanceField::SizeException, "rural-waiver");
        }
    }
}

fn practice_fact(
    code_: &PracticeCode,
    name: &str,
    sub_icb: &str,
    lat: f64,
    lon: f64,
    as_at: NaiveDate,
    rng: &mut Seeded,
) -> PracticeFact {
    let mut fact = PracticeFact::new(code_.clone(), as_at);
    fact.name = Some(name.to_string());
    fact.postcode = Some(format!("ZZ{} {}AA", rng.between(1, 9), rng.between(1, 9)));
    fact.sub_icb = Some(code::<SubIcbCode>(sub_icb));
    fact.sub_icb_name = Some(format!("NHS Demo Vale ICB - {sub_icb}"));
    fact.icb = Some(code::<IcbCode>("QZZ"));
    fact.icb_name = Some("NHS Demo Vale Integrated Care Board".to_string());
    fact.region = Some(code::<RegionCode>("Y63"));
    fact.region_name = Some("North East and Yorkshire".to_string());
    fact.open_date = NaiveDate::from_ymd_opt(1974, 4, 1);
    fact.status = Some(PracticeStatus::Active);
    fact.prescribing_setting = Some(4);
    fact.location = LatLon::new_in_uk(lat, lon);
    fact
}

/// List sizes for all, female and male, with age bands that add up.
fn list_sizes(
    practice: &PracticeCode,
    as_at: NaiveDate,
    total: u64,
    rng: &mut Seeded,
) -> [ListSizeFact; 3] {
    // A typical English age profile (per mille of the list in each band).
    const PROFILE: [u64; 20] = [
        52, 57, 60, 58, 62, 66, 70, 68, 63, 62, 66, 67, 60, 52, 48, 37, 25, 15, 7, 5,
    ];
    let female = total / 2 + rng.between(0, total / 50);
    let male = total - female;
    let bands = |n: u64| {
        let mut b = [0u64; 20];
        let weight: u64 = PROFILE.iter().sum();
        for (i, w) in PROFILE.iter().enumerate() {
            b[i] = n * w / weight;
        }
        // Put the rounding remainder in the largest band so the bands add up.
        let rest = n - b.iter().sum::<u64>();
        b[6] += rest;
        b
    };
    let (f, m) = (bands(female), bands(male));
    let mut all = [0u64; 20];
    for i in 0..20 {
        all[i] = f[i] + m[i];
    }
    [
        ListSizeFact {
            practice: practice.clone(),
            as_at,
            sex: Sex::All,
            total,
            bands: Some(all),
        },
        ListSizeFact {
            practice: practice.clone(),
            as_at,
            sex: Sex::Female,
            total: female,
            bands: Some(f),
        },
        ListSizeFact {
            practice: practice.clone(),
            as_at,
            sex: Sex::Male,
            total: male,
            bands: Some(m),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{run, CheckConfig, Scope, Severity};
    use crate::registry::Registry;

    #[test]
    fn the_demo_shows_each_kind_of_finding() {
        let registry = Registry::new(demo_facts());
        let (_, july) = demo_dates();
        let report = run(
            &registry.at(july),
            &CheckConfig::default(),
            &Scope::default(),
        );
        let has = |rule: &str, severity: Severity, subject: &str| {
            report.findings.iter().any(|f| {
                f.rule == rule
                    && f.severity == severity
                    && (f.pcn.as_ref().is_some_and(|p| p.as_str() == subject)
                        || f.practice.as_ref().is_some_and(|p| p.as_str() == subject))
            })
        };
        assert!(has("NET-SIZE-MIN", Severity::Error, "U90005"));
        assert!(has("NET-SIZE-MIN", Severity::Info, "U90006"));
        assert!(has("NET-SIZE-MAX", Severity::Warning, "U90004"));
        assert!(has("PRAC-UNALLOCATED", Severity::Warning, "Z90044"));
        assert!(has("PRAC-FAR-FROM-NETWORK", Severity::Warning, "Z90034"));
        assert!(has("NET-SPLIT-COMMISSIONER", Severity::Warning, "U90007"));
        assert!(has("NET-NO-CLINICAL-DIRECTOR", Severity::Error, "U90009"));
        assert!(has("NET-PAYEE-NOT-MEMBER", Severity::Error, "U90003"));
        assert_eq!(report.summary.practices, 44);
        assert_eq!(report.summary.networks_with_members, 9);
        // The practice that moved is in Town Central in July, Town North in April.
        let mover = PracticeCode::parse("Z90010").unwrap();
        assert_eq!(
            registry.at(july).practices[&mover].networks[0].as_str(),
            "U90001"
        );
        assert_eq!(
            registry.at(demo_dates().0).practices[&mover].networks[0].as_str(),
            "U90002"
        );
    }

    #[test]
    fn the_demo_is_deterministic_and_bands_add_up() {
        assert_eq!(demo_facts(), demo_facts());
        for list in demo_facts().list_sizes {
            assert_eq!(list.bands.map(|b| b.iter().sum::<u64>()), Some(list.total));
        }
    }
}
