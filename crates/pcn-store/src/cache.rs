//! The registry cache's encoding: every fact of the registry in one compact
//! (postcard) value, so a national `pcn check` reads one row instead of
//! ~70,000. The cache is derived from the fact tables and may be dropped at
//! any time; a stale or unreadable one is rebuilt.
//!
//! postcard writes no field names or types, so bytes written for one shape
//! of `FactBatch` can decode as another shape into wrong facts. Hence the
//! format number, part of the cache's key: it names the shape of
//! `FactBatch` the bytes were written for, and the golden-bytes test below
//! fails when the encoding changes, until the number is bumped with it.

use pcn_core::facts::FactBatch;

use crate::error::{Error, Result};

/// The shape of `FactBatch` the cache holds. Bump it (and the golden bytes
/// of the test) whenever a type inside `FactBatch` changes.
pub(crate) const FORMAT: u32 = 6;

/// Why cached bytes were not used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DecodeError {
    #[error("the cached registry does not decode")]
    Malformed(#[from] postcard::Error),
    #[error("{0} bytes are left over after the cached registry")]
    LeftOver(usize),
}

/// The facts as the cache keeps them.
pub(crate) fn encode(facts: &FactBatch) -> Result<Vec<u8>> {
    postcard::to_stdvec(facts).map_err(Error::Encode)
}

/// The facts from cached bytes, refusing bytes left over after them (the
/// sign of a value written for another shape).
pub(crate) fn decode(bytes: &[u8]) -> std::result::Result<FactBatch, DecodeError> {
    let (facts, rest) = postcard::take_from_bytes::<FactBatch>(bytes)?;
    if !rest.is_empty() {
        return Err(DecodeError::LeftOver(rest.len()));
    }
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use pcn_core::facts::*;
    use pcn_core::{IcbCode, PcnCode, PracticeCode, RegionCode, SubIcbCode};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// One of every fact, every optional field given, so that a change to
    /// any type inside `FactBatch` changes the bytes.
    fn fixture() -> FactBatch {
        let practice = PracticeCode::parse("A81001").unwrap();
        let pcn = PcnCode::parse("U89141").unwrap();
        let mut p = PracticeFact::new(practice.clone(), d("2026-07-01"));
        p.name = Some("DENSHAM".into());
        p.postcode = Some("TS18 1HU".into());
        p.sub_icb = Some(SubIcbCode::parse("16C").unwrap());
        p.sub_icb_name = Some("TEES".into());
        p.icb = Some(IcbCode::parse("QHM").unwrap());
        p.icb_name = Some("NENC".into());
        p.region = Some(RegionCode::parse("Y63").unwrap());
        p.region_name = Some("NE".into());
        p.open_date = Some(d("1974-04-01"));
        p.close_date = Some(d("2030-03-31"));
        p.status = Some(PracticeStatus::Active);
        p.prescribing_setting = Some(4);
        p.supplier = Some("EMIS".into());
        p.location = LatLon::new_in_uk(54.5, -1.25);
        let mut n = NetworkFact::new(pcn.clone(), d("2026-07-01"));
        n.name = Some("STOCKTON".into());
        n.sub_icb = Some(SubIcbCode::parse("16C").unwrap());
        n.open_date = Some(d("2019-07-01"));
        n.close_date = Some(d("2030-03-31"));
        n.postcode = Some("TS18 2AW".into());
        let mut bands = [0u64; 20];
        bands[0] = 7;
        FactBatch {
            practices: vec![p],
            networks: vec![n],
            intervals: vec![MembershipInterval {
                practice: practice.clone(),
                pcn: pcn.clone(),
                start: d("2019-07-01"),
                end: Some(d("2026-03-31")),
            }],
            observations: vec![MembershipObservation {
                practice: practice.clone(),
                pcn: pcn.clone(),
                as_at: d("2026-07-01"),
            }],
            list_sizes: vec![ListSizeFact {
                practice: practice.clone(),
                as_at: d("2026-07-01"),
                sex: Sex::Female,
                total: 7,
                bands: Some(bands),
            }],
            governance: vec![GovernanceFact {
                pcn: pcn.clone(),
                field: GovernanceField::NominatedPayee,
                value: "A81001".into(),
                effective_from: d("2019-07-01"),
            }],
            membership_changes: vec![MembershipChange {
                practice: practice.clone(),
                pcn: PcnCode::unallocated(),
                effective_from: d("2027-04-01"),
            }],
            populations: vec![PopulationFact {
                subject: PopulationSubject::Network(pcn.clone()),
                kind: PopulationKind::Adjusted,
                as_at: d("2025-01-01"),
                value: "40210.750".parse().unwrap(),
            }],
            care_homes: vec![CareHomeFact {
                location_id: "1-1".into(),
                name: "Oak".into(),
                postcode: Some("TS18 4AB".into()),
                beds: 40,
                location: LatLon::new_in_uk(54.5, -1.25),
                local_authority: Some("Stockton".into()),
                ods_code: Some("VNX12".into()),
                dormant: true,
                as_at: d("2024-05-01"),
            }],
            care_home_alignments: vec![CareHomeAlignment {
                location_id: "1-1".into(),
                pcn: pcn.clone(),
                from: d("2020-10-01"),
                to: Some(d("2026-03-31")),
            }],
            iif_achievements: vec![IifAchievementFact {
                organisation: IifOrganisation::Practice(practice.clone()),
                financial_year: "2023-24".into(),
                indicator: "ACC-08".into(),
                measure: "Numerator".into(),
                value: "3001".parse().unwrap(),
                achievement_date: d("2024-03-31"),
            }],
            iif_points: vec![IifPointsFact {
                pcn: pcn.clone(),
                financial_year: "2023-24".into(),
                points: "30".parse().unwrap(),
                recorded: d("2024-06-30"),
                indicator: Some("HI-03".into()),
                pcn_prevalence: Some("0.0061".parse().unwrap()),
                national_prevalence: Some("0.0055".parse().unwrap()),
            }],
            payment_actuals: vec![PaymentActualFact {
                practice,
                pcn: Some(pcn.clone()),
                financial_year: "2022-23".into(),
                stream: "PCN Leadership".into(),
                amount: -5,
            }],
            workforce: vec![WorkforceFact {
                pcn: pcn.clone(),
                census: d("2026-06-30"),
                data_source: "NWRS Staff".into(),
                staff_group: "Direct Patient Care".into(),
                staff_role: "Pharmacists".into(),
                detailed_role: "Pharmacist".into(),
                fte: "1.6".parse().unwrap(),
                person: "P1".into(),
                region: Some("Y63".into()),
            }],
            services: services(&pcn),
            // Appointments: in the cache's encoding as empty lists until the
            // store keeps them.
            ..FactBatch::default()
        }
    }

    /// One record of each kind, every optional field given.
    fn services(pcn: &PcnCode) -> pcn_core::services::ServiceRecords {
        use pcn_core::services::*;
        let session = AccessSession {
            pcn: pcn.clone(),
            site: "Hub".into(),
            day: SessionDay::Weekly(chrono::Weekday::Sat),
            start: 540,
            end: 780,
            post: 12,
            appointments: 16,
            mode: SessionMode::FaceToFace,
            from: Some(d("2026-04-01")),
            to: Some(d("2027-03-31")),
            row: Some(2),
        };
        ServiceRecords {
            rounds: vec![CareHomeRound {
                date: d("2026-06-02"),
                location_id: "1-1".into(),
                post: 12,
                residents_reviewed: 4,
                row: Some(2),
            }],
            care_plans: vec![CarePlanRecord {
                resident: "R-1".into(),
                location_id: "1-1".into(),
                admitted: d("2026-06-04"),
                planned: Some(d("2026-06-10")),
                row: Some(3),
            }],
            delivered_sessions: vec![AccessSession {
                day: SessionDay::On(d("2026-06-06")),
                mode: SessionMode::Remote,
                from: None,
                to: None,
                ..session.clone()
            }],
            planned_sessions: vec![session],
        }
    }

    /// The encoding of `fixture()` in format `GOLDEN_FORMAT`.
    const GOLDEN_FORMAT: u32 = 6;
    const GOLDEN: &str = concat!(
        "01064138313030310a323032362d30372d3031010744454e5348414d010854533138203148550103",
        "313643010454454553010351484d01044e454e43010359363301024e45010a313937342d30342d30",
        "31010a323033302d30332d3331010001040104454d4953010000000000404b40000000000000f4bf",
        "01065538393134310a323032362d30372d3031010853544f434b544f4e0103313643010a32303139",
        "2d30372d3031010a323033302d30332d333101085453313820324157010641383130303106553839",
        "3134310a323031392d30372d3031010a323032362d30332d33310106413831303031065538393134",
        "310a323032362d30372d303101064138313030310a323032362d30372d3031010701070000000000",
        "0000000000000000000000000000010655383931343101064138313030310a323031392d30372d30",
        "31010641383130303101550a323032372d30342d3031010106553839313431010a323032352d3031",
        "2d30310934303231302e3735300103312d31034f616b010854533138203441422801000000000040",
        "4b40000000000000f4bf010853746f636b746f6e0105564e583132010a323032342d30352d303101",
        "03312d31065538393134310a323032302d31302d3031010a323032362d30332d3331010006413831",
        "30303107323032332d3234064143432d3038094e756d657261746f7204333030310a323032342d30",
        "332d3331010655383931343107323032332d32340233300a323032342d30362d3330010548492d30",
        "330106302e303036310106302e303035350106413831303031010655383931343107323032322d32",
        "330e50434e204c6561646572736869700901065538393134310a323032362d30362d33300a4e5752",
        "53205374616666134469726563742050617469656e7420436172650b506861726d6163697374730a",
        "506861726d616369737403312e3602503101035936330000010a323032362d30362d303203312d31",
        "180401020103522d3103312d310a323032362d30362d3034010a323032362d30362d313001030106",
        "5538393134310348756200035361749c048c06181000010a323032362d30342d3031010a32303237",
        "2d30332d33310102010655383931343103487562010a323032362d30362d30369c048c0618100100",
        "000102",
    );

    #[test]
    fn the_encoding_of_a_fixed_batch_is_byte_for_byte_the_golden_one() {
        let bytes = encode(&fixture()).unwrap();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex, GOLDEN,
            "the registry cache's encoding of FactBatch changed: bump cache::FORMAT, \
             then set GOLDEN_FORMAT to it and GOLDEN to the new bytes"
        );
        assert_eq!(
            FORMAT, GOLDEN_FORMAT,
            "cache::FORMAT changed without the golden bytes: regenerate GOLDEN for it"
        );
        assert_eq!(decode(&bytes).unwrap(), fixture());
    }

    #[test]
    fn leftover_bytes_are_refused() {
        let mut bytes = encode(&fixture()).unwrap();
        bytes.push(0);
        assert!(matches!(decode(&bytes), Err(DecodeError::LeftOver(1))));
        // A batch with an empty first list followed by another batch's
        // bytes is not read as the first batch alone.
        let mut two = encode(&FactBatch::default()).unwrap();
        two.extend(encode(&fixture()).unwrap());
        assert!(decode(&two).is_err());
        assert!(decode(&[0xff]).is_err(), "truncated bytes");
    }
}
