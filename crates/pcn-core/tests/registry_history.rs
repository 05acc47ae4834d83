//! The registry as at a past date, before any registered-list extract: a
//! practice that ODS now records as closed, with a close date after that
//! date, was open then and is in scope (see issue 11: the 2019-20 statements
//! left out the practices closed since).

use chrono::NaiveDate;
use pcn_core::registry::Registry;
use pcn_core::{FactBatch, PracticeCode, PracticeFact, PracticeStatus};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

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
