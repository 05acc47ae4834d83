//! Money, exactly: integer pence, and the two ways pcn divides a sum.
//!
//! Rules (the invariants every statement relies on):
//! - a rate (an exact decimal number of pounds) times a basis is rounded to
//!   the penny once, half away from zero, and only then divided;
//! - [`split_evenly`] divides a sum into equal parts, the spare pennies going
//!   one each to the earliest parts, so twelve monthly payments add up to the
//!   annual amount exactly;
//! - [`apportion`] divides a sum in proportion to weights by the largest
//!   remainder method (Hamilton): every share is the exact proportion rounded
//!   down, and the pennies left over go one each to the largest remainders
//!   (ties to the earlier share), so the shares add up to the whole exactly.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// An amount of money in pence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Pence(pub i64);

impl Pence {
    pub const ZERO: Pence = Pence(0);

    /// Pounds (exact) to pence, rounding half away from zero at the penny.
    /// `None` if the amount does not fit in an `i64` of pence.
    pub fn from_pounds(pounds: Decimal) -> Option<Pence> {
        let pence = pounds
            .checked_mul(Decimal::ONE_HUNDRED)?
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        pence.to_i64().map(Pence)
    }

    /// The amount in pounds, exactly.
    pub fn to_pounds(self) -> Decimal {
        Decimal::new(self.0, 2)
    }
}

impl fmt::Display for Pence {
    /// `£1,234.56`; negative amounts `-£1,234.56`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let pounds = crate::text::thousands(abs / 100);
        write!(f, "{sign}£{pounds}.{:02}", abs % 100)
    }
}

impl Add for Pence {
    type Output = Pence;
    fn add(self, other: Pence) -> Pence {
        Pence(self.0 + other.0)
    }
}

impl AddAssign for Pence {
    fn add_assign(&mut self, other: Pence) {
        self.0 += other.0;
    }
}

impl Sub for Pence {
    type Output = Pence;
    fn sub(self, other: Pence) -> Pence {
        Pence(self.0 - other.0)
    }
}

impl Sum for Pence {
    fn sum<I: Iterator<Item = Pence>>(iter: I) -> Pence {
        iter.fold(Pence::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Pence> for Pence {
    fn sum<I: Iterator<Item = &'a Pence>>(iter: I) -> Pence {
        iter.copied().sum()
    }
}

/// Splits `total` into `parts` amounts that differ by at most a penny and add
/// up to `total`; the spare pennies go to the earliest parts. Empty for no parts.
pub fn split_evenly(total: Pence, parts: usize) -> Vec<Pence> {
    if parts == 0 {
        return Vec::new();
    }
    let n = parts as i64;
    let base = total.0.div_euclid(n);
    let spare = total.0.rem_euclid(n) as usize;
    (0..parts)
        .map(|i| Pence(base + i64::from(i < spare)))
        .collect()
}

/// Divides `total` in proportion to `weights` (largest remainder method).
/// `None` when the weights add up to zero (there is nothing to share by).
pub fn apportion(total: Pence, weights: &[u64]) -> Option<Vec<Pence>> {
    let sum: u128 = weights.iter().map(|w| u128::from(*w)).sum();
    if sum == 0 {
        return None;
    }
    let negative = total.0 < 0;
    let amount = u128::from(total.0.unsigned_abs());
    let mut shares: Vec<u128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = amount * u128::from(*w);
        shares.push(exact / sum);
        remainders.push((exact % sum, i));
    }
    let given: u128 = shares.iter().sum();
    let spare = (amount - given) as usize;
    // Largest remainder first; ties to the earlier share.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders.into_iter().take(spare) {
        shares[i] += 1;
    }
    Some(
        shares
            .into_iter()
            .map(|s| {
                let s = s as i64;
                Pence(if negative { -s } else { s })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    #[test]
    fn pounds_to_pence_rounds_half_away_from_zero() {
        let p = |s: &str| Pence::from_pounds(Decimal::from_str(s).unwrap()).unwrap();
        assert_eq!(p("1.005"), Pence(101));
        assert_eq!(p("1.0049"), Pence(100));
        assert_eq!(p("-1.005"), Pence(-101));
        // £2.266 × 45,139 registered patients = £102,284.974 → £102,284.97
        assert_eq!(p("102284.974"), Pence(10_228_497));
        assert_eq!(Pence(10_228_497).to_string(), "£102,284.97");
        assert_eq!(Pence(-5).to_string(), "-£0.05");
    }

    #[test]
    fn twelve_months() {
        let months = split_evenly(Pence(10_228_497), 12);
        assert_eq!(months.iter().sum::<Pence>(), Pence(10_228_497));
        assert_eq!(months[0], Pence(852_375));
        assert_eq!(months[11], Pence(852_374));
    }

    #[test]
    fn shares_by_list_size() {
        // £100.00 among lists of 1, 1 and 1: 33.34, 33.33, 33.33.
        assert_eq!(
            apportion(Pence(10_000), &[1, 1, 1]).unwrap(),
            vec![Pence(3334), Pence(3333), Pence(3333)]
        );
        assert_eq!(apportion(Pence(100), &[0, 0]), None);
        assert_eq!(
            apportion(Pence(7), &[0, 5]).unwrap(),
            vec![Pence(0), Pence(7)]
        );
    }

    proptest! {
        #[test]
        fn months_add_up_to_the_year(total in -10_000_000_000i64..10_000_000_000, parts in 1usize..=24) {
            let split = split_evenly(Pence(total), parts);
            prop_assert_eq!(split.len(), parts);
            prop_assert_eq!(split.iter().sum::<Pence>(), Pence(total));
            let (min, max) = (split.iter().min().unwrap().0, split.iter().max().unwrap().0);
            prop_assert!(max - min <= 1);
        }

        #[test]
        fn shares_add_up_to_the_whole(total in -10_000_000_000i64..10_000_000_000, weights in proptest::collection::vec(0u64..200_000, 1..60)) {
            match apportion(Pence(total), &weights) {
                None => prop_assert!(weights.iter().all(|w| *w == 0)),
                Some(shares) => {
                    prop_assert_eq!(shares.iter().sum::<Pence>(), Pence(total));
                    let sum: u128 = weights.iter().map(|w| u128::from(*w)).sum();
                    for (share, w) in shares.iter().zip(&weights) {
                        // Each share is within a penny of its exact proportion.
                        let exact = i128::from(total) * i128::from(*w) / sum as i128;
                        prop_assert!((i128::from(share.0) - exact).abs() <= 1);
                        if *w == 0 { prop_assert_eq!(share.0, 0); }
                    }
                }
            }
        }
    }
}
