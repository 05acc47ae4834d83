//! The registry as at a past date, before any registered-list extract: a
//! practice that ODS now records as closed, with a close date after that
//! date, was open then and is in scope (see issue 11: the 2019-20 statements
//! left out the practices closed since).

use pcn_core::registry::Registry;
use pcn_core::{FactBatch, PracticeCode, PracticeFact, PracticeStatus};

mod support;
use support::d;

fn practice(code: &str, close: Option<&str>) -> PracticeFact {
    PracticeFact {
        status: Some(if close.is_some() {
            PracticeStatus::Closed
        } else {
            PracticeStatus::Active
        }),
        open_date: Some(d("1974-04-01")),
        close_date: close.map(d),
        prescribing_setting: Some(4),
        ..PracticeFact::new(PracticeCode::parse(code).unwrap(), d("2025-09-01"))
    }
}

#[test]
fn a_practice_closed_since_was_open_then() {
    let registry = Registry::new(FactBatch {
        practices: vec![
            practice("C82029", Some("2024-03-31")),
            practice("C82030", Some("2018-03-31")),
            practice("C82031", None),
        ],
        ..FactBatch::default()
    });
    let codes = |date: &str| -> Vec<String> {
        registry
            .at(d(date))
            .practices
            .keys()
            .map(|c| c.to_string())
            .collect()
    };
    assert_eq!(codes("2019-04-01"), vec!["C82029", "C82031"]);
    assert_eq!(codes("2024-04-01"), vec!["C82031"]);
}

/// ODS's files name a practice's sub-ICB location but not its ICB; the
/// registered-list map of a later date names both. Before that date the
/// practice is still under the ICB its sub-ICB location belongs to, so a
/// question asked by ICB code (`--commissioner QHM`) finds it.
#[test]
fn a_sub_icb_location_belongs_to_its_icb_before_a_file_says_so() {
    let sub_icb = pcn_core::SubIcbCode::parse("16C").unwrap();
    let icb = pcn_core::IcbCode::parse("QHM").unwrap();
    let ods = PracticeFact {
        sub_icb: Some(sub_icb.clone()),
        ..practice("A81001", None)
    };
    let map = PracticeFact {
        sub_icb: Some(sub_icb.clone()),
        icb: Some(icb.clone()),
        icb_name: Some("NHS North East and North Cumbria ICB".into()),
        ..PracticeFact::new(PracticeCode::parse("A81001").unwrap(), d("2026-07-01"))
    };
    let other = PracticeFact {
        sub_icb: Some(pcn_core::SubIcbCode::parse("02Y").unwrap()),
        ..practice("B81001", None)
    };
    let registry = Registry::new(FactBatch {
        practices: vec![ods, map, other],
        ..FactBatch::default()
    });
    let before = registry.at(d("2025-04-01"));
    let a = &before.practices[&PracticeCode::parse("A81001").unwrap()];
    assert_eq!(a.icb.as_ref(), Some(&icb));
    assert_eq!(a.sub_icb.as_ref(), Some(&sub_icb));
    // A location no file ties to an ICB stays without one.
    let b = &before.practices[&PracticeCode::parse("B81001").unwrap()];
    assert_eq!(b.icb, None);
}
