//! What the integration tests share: values written as text, and pieces of
//! rule files (`rules/*.toml`) for the tests that load a small rulebook of
//! their own.

// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::str::FromStr;

use chrono::NaiveDate;
use pcn_core::PcnCode;
use rust_decimal::Decimal;

/// A date written `2025-04-01`.
pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// An exact decimal written as text.
pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A network code.
pub fn pcn(s: &str) -> PcnCode {
    PcnCode::parse(s).unwrap()
}

/// A `[[stream]]` paid monthly over `from..=to`, holding `components`.
pub fn stream(
    id: &str,
    name: &str,
    paid_to: &str,
    (from, to): (&str, &str),
    components: &str,
) -> String {
    format!(
        r#"
[[stream]]
id = "{id}"
name = "{name}"
paid_to = "{paid_to}"
effective_from = {from}
effective_to = {to}
timing = "monthly"{components}"#
    )
}

/// A `[[stream.component]]` of `rate` pounds per patient a year on `basis`,
/// with the population taken as at `population_date`, cited to "test".
pub fn per_patient(id: &str, rate: &str, basis: &str, population_date: &str) -> String {
    format!(
        r#"
  [[stream.component]]
  id = "{id}"
  rate = "{rate}"
  unit = "gbp-per-patient-per-year"
  basis = "{basis}"
  population_date = {population_date}
  des = {{ document = "test", section = "1" }}
  source = {{ document = "test", kind = "secondary" }}
  verified = true
  confidence = "seen"
"#
    )
}
