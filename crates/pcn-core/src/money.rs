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
//!   (ties to the earlier share), so the shares add up to the whole exactly;
//! - a [`Fraction`] of an amount (a commissioner's "2/3 earned") is held as
//!   whole numbers, never as a rounded decimal, and its share of an exact
//!   amount is rounded to the penny once, half away from zero.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};
use std::str::FromStr;

use num_bigint::BigInt;
use num_rational::BigRational;
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

/// Why an amount of money was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{0:?} is not an amount in pounds such as 45000 or 4321.55")]
    NotAnAmount(String),
    #[error("{0:?} is too large")]
    TooLarge(String),
    #[error("{0:?} is negative")]
    Negative(String),
    #[error("{0:?} has fractions of a penny")]
    FractionOfAPenny(String),
}

/// An amount in pounds as people type it (`45000`, `£4,321.55`), not negative,
/// to the penny.
pub fn parse_pounds(raw: &str) -> Result<Pence, MoneyError> {
    let text = raw.trim().trim_start_matches('£').replace(',', "");
    let d = Decimal::from_str_exact(&text).map_err(|_| MoneyError::NotAnAmount(raw.to_string()))?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(MoneyError::Negative(raw.to_string()));
    }
    if d.round_dp(2) != d {
        return Err(MoneyError::FractionOfAPenny(raw.to_string()));
    }
    Pence::from_pounds(d).ok_or_else(|| MoneyError::TooLarge(raw.to_string()))
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

/// A part of a whole, from 0 to 1, held exactly as a reduced ratio of whole
/// numbers: "2/3" stays two thirds, where a decimal would have to stop at
/// 0.666667 and pay 3p too much on £41,250.
///
/// Parsed from a ratio (`"2/3"`), a decimal (`"0.6667"`, `"1"`) or a
/// percentage (`"66.67%"`); a decimal or percentage is taken exactly as
/// written (`"0.6667"` is 6667/10000, not two thirds). The denominator is at
/// most [`Fraction::MAX_DENOMINATOR`] so both numbers fit a signed 64-bit
/// database column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fraction {
    numerator: u64,
    denominator: u64,
}

/// Why a fraction was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FractionError {
    #[error("{0:?} is not a fraction; write it as 2/3, 0.6667 or 66.67%")]
    Malformed(String),
    #[error("{0:?} has a zero denominator")]
    ZeroDenominator(String),
    #[error("{0:?} is more than the whole; a fraction earned is from 0 to 1 (0% to 100%)")]
    MoreThanWhole(String),
    #[error("{0:?} is too precise; use at most 18 decimal places or a denominator up to 10^18")]
    TooPrecise(String),
}

impl Fraction {
    /// Nothing of the amount.
    pub const ZERO: Fraction = Fraction {
        numerator: 0,
        denominator: 1,
    };
    /// All of it.
    pub const ONE: Fraction = Fraction {
        numerator: 1,
        denominator: 1,
    };
    /// The largest denominator held (10^18), so that numerator and
    /// denominator both fit a signed 64-bit integer column.
    pub const MAX_DENOMINATOR: u64 = 1_000_000_000_000_000_000;

    /// `numerator / denominator`, reduced. Refuses a zero denominator, a
    /// fraction above one, and a reduced denominator above
    /// [`Fraction::MAX_DENOMINATOR`].
    pub fn new(numerator: u64, denominator: u64) -> Result<Fraction, FractionError> {
        let text = || format!("{numerator}/{denominator}");
        if denominator == 0 {
            return Err(FractionError::ZeroDenominator(text()));
        }
        if numerator > denominator {
            return Err(FractionError::MoreThanWhole(text()));
        }
        let g = gcd(numerator, denominator);
        let (numerator, denominator) = (numerator / g, denominator / g);
        if denominator > Fraction::MAX_DENOMINATOR {
            return Err(FractionError::TooPrecise(text()));
        }
        Ok(Fraction {
            numerator,
            denominator,
        })
    }

    /// The exact fraction a decimal stands for (0.6667 is 6667/10000).
    pub fn from_decimal(value: Decimal) -> Result<Fraction, FractionError> {
        let text = || value.to_string();
        // 0.500 and 0.5 are the same fraction: drop trailing zeros first.
        let value = value.normalize();
        if value.is_sign_negative() && !value.is_zero() {
            return Err(FractionError::Malformed(text()));
        }
        if value > Decimal::ONE {
            return Err(FractionError::MoreThanWhole(text()));
        }
        let scale = value.scale();
        if scale > 18 {
            return Err(FractionError::TooPrecise(text()));
        }
        let mantissa =
            u64::try_from(value.mantissa()).map_err(|_| FractionError::TooPrecise(text()))?;
        Fraction::new(mantissa, 10u64.pow(scale))
    }

    /// The numerator of the reduced fraction.
    pub fn numerator(self) -> u64 {
        self.numerator
    }

    /// The denominator of the reduced fraction (at least 1).
    pub fn denominator(self) -> u64 {
        self.denominator
    }

    /// The rest of the whole: 1 − this.
    pub fn complement(self) -> Fraction {
        Fraction {
            numerator: self.denominator - self.numerator,
            denominator: self.denominator,
        }
    }

    /// This fraction of an exact amount of pounds, in pence: the exact
    /// product `pounds × numerator ÷ denominator`, rounded to the penny once,
    /// half away from zero, as [`Pence::from_pounds`] rounds. `None` if the
    /// result does not fit an `i64` of pence.
    pub fn of_pounds(self, pounds: Decimal) -> Option<Pence> {
        // None or all of it: the plain rounding, without big numbers.
        if self.denominator == 1 {
            return if self.numerator == 0 {
                Some(Pence::ZERO)
            } else {
                Pence::from_pounds(pounds)
            };
        }
        // pounds = mantissa / 10^scale, so pence = mantissa × 100 ×
        // numerator / (10^scale × denominator): whole numbers throughout,
        // as big as they need to be, and one rounding at the end.
        let numerator =
            BigInt::from(pounds.mantissa()) * BigInt::from(100u8) * BigInt::from(self.numerator);
        let denominator = BigInt::from(10u8).pow(pounds.scale()) * BigInt::from(self.denominator);
        // `round` rounds half-way cases away from zero.
        BigRational::new(numerator, denominator)
            .round()
            .to_integer()
            .to_i64()
            .map(Pence)
    }

    /// This fraction of an amount in pence, rounded once, half away from zero.
    pub fn of_pence(self, amount: Pence) -> Pence {
        // An i64 of pence times a fraction of at most one always fits.
        self.of_pounds(amount.to_pounds())
            .expect("a fraction of at most one of an i64 fits an i64")
    }

    /// The fraction as a percentage for people, e.g. `66.67%` (rounded to
    /// two places for display only).
    pub fn percent_words(self) -> String {
        let p =
            Decimal::from(self.numerator) * Decimal::ONE_HUNDRED / Decimal::from(self.denominator);
        format!("{}%", p.round_dp(2).normalize())
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

impl fmt::Display for Fraction {
    /// `2/3`; a whole number as `0` or `1`; a fraction whose denominator is a
    /// power of ten as the decimal it was typed as (`0.333333`), which parses
    /// back to the same fraction.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.denominator == 1 {
            return write!(f, "{}", self.numerator);
        }
        let mut places = 0u32;
        let mut d = self.denominator;
        while d.is_multiple_of(10) {
            d /= 10;
            places += 1;
        }
        if d == 1 {
            // numerator < denominator = 10^places, so a plain decimal below 1.
            write!(f, "0.{:0width$}", self.numerator, width = places as usize)
        } else {
            write!(f, "{}/{}", self.numerator, self.denominator)
        }
    }
}

impl FromStr for Fraction {
    type Err = FractionError;

    /// `2/3`, `0.6667`, `1`, `66.67%` (spaces around the parts allowed).
    fn from_str(s: &str) -> Result<Fraction, FractionError> {
        let text = s.trim();
        let malformed = || FractionError::Malformed(s.to_string());
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        let plain_decimal = |t: &str| match t.split_once('.') {
            Some((i, f)) => digits(i) && digits(f),
            None => digits(t),
        };
        if let Some((a, b)) = text.split_once('/') {
            let (a, b) = (a.trim(), b.trim());
            if !digits(a) || !digits(b) {
                return Err(malformed());
            }
            let too_precise = || FractionError::TooPrecise(s.to_string());
            let a: u64 = a.parse().map_err(|_| too_precise())?;
            let b: u64 = b.parse().map_err(|_| too_precise())?;
            return Fraction::new(a, b).map_err(|e| match e {
                FractionError::ZeroDenominator(_) => FractionError::ZeroDenominator(s.to_string()),
                FractionError::MoreThanWhole(_) => FractionError::MoreThanWhole(s.to_string()),
                FractionError::TooPrecise(_) => FractionError::TooPrecise(s.to_string()),
                other => other,
            });
        }
        let (number, percent) = match text.strip_suffix('%') {
            Some(n) => (n.trim_end(), true),
            None => (text, false),
        };
        if !plain_decimal(number) {
            return Err(malformed());
        }
        let value = Decimal::from_str_exact(number)
            .map_err(|_| FractionError::TooPrecise(s.to_string()))?;
        let value = if percent {
            // Dividing by 100 moves the point two places: exact.
            let mut v = value;
            v.set_scale(value.scale() + 2)
                .map_err(|_| FractionError::TooPrecise(s.to_string()))?;
            v
        } else {
            value
        };
        Fraction::from_decimal(value).map_err(|e| match e {
            FractionError::MoreThanWhole(_) => FractionError::MoreThanWhole(s.to_string()),
            FractionError::TooPrecise(_) => FractionError::TooPrecise(s.to_string()),
            _ => malformed(),
        })
    }
}

impl Serialize for Fraction {
    /// As its text, `"2/3"`, so JSON carries it exactly.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
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

    fn frac(s: &str) -> Fraction {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn fractions_parse_from_ratios_decimals_and_percentages() {
        let two_thirds = frac("2/3");
        assert_eq!((two_thirds.numerator(), two_thirds.denominator()), (2, 3));
        assert_eq!(frac("4/6"), two_thirds);
        assert_eq!(frac(" 2 / 3 "), two_thirds);
        // A decimal or percentage is exactly what it says, not a guess at
        // the ratio it approximates.
        assert_eq!(frac("0.6667"), Fraction::new(6667, 10_000).unwrap());
        assert_eq!(frac("66.67%"), frac("0.6667"));
        assert_eq!(frac("0.500"), frac("1/2"));
        assert_eq!(frac("50 %"), frac("1/2"));
        assert_eq!(frac("100%"), Fraction::ONE);
        assert_eq!(frac("1"), Fraction::ONE);
        assert_eq!(frac("0"), Fraction::ZERO);
        assert_eq!(frac("0/7"), Fraction::ZERO);
        assert_eq!(two_thirds.to_string(), "2/3");
        assert_eq!(Fraction::ONE.to_string(), "1");
        assert_eq!(two_thirds.percent_words(), "66.67%");
        assert_eq!(two_thirds.complement(), frac("1/3"));
    }

    #[test]
    fn bad_fractions_say_why() {
        for bad in [
            "",
            "abc",
            "2/3/4",
            ".5",
            "1e3",
            "-0.5",
            "-1/2",
            "two thirds",
            "1/",
            "%",
        ] {
            assert!(
                matches!(bad.parse::<Fraction>(), Err(FractionError::Malformed(_))),
                "{bad:?}: {:?}",
                bad.parse::<Fraction>()
            );
        }
        assert!(matches!(
            "1/0".parse::<Fraction>(),
            Err(FractionError::ZeroDenominator(_))
        ));
        for more in ["3/2", "1.5", "150%", "1.0001"] {
            let e = more.parse::<Fraction>().unwrap_err();
            assert!(matches!(e, FractionError::MoreThanWhole(_)), "{more}: {e}");
            assert!(e.to_string().contains(more), "{e}");
        }
        for precise in [
            "0.1234567890123456789",
            "1/18446744073709551616",
            "1/1000000000000000001",
        ] {
            assert!(
                matches!(
                    precise.parse::<Fraction>(),
                    Err(FractionError::TooPrecise(_))
                ),
                "{precise}"
            );
        }
        let e = "2/0".parse::<Fraction>().unwrap_err().to_string();
        assert!(e.contains("\"2/0\""), "{e}");
    }

    #[test]
    fn two_thirds_of_the_maximum_is_exactly_two_thirds() {
        // £1.375 × 30,000 adjusted patients = £41,250 of CAIP; two thirds
        // earned is £27,500.00, where 0.666667 would pay £27,500.01.
        let maximum = Decimal::from_str("41250.000").unwrap();
        assert_eq!(frac("2/3").of_pounds(maximum), Some(Pence(2_750_000)));
        assert_eq!(frac("0.666667").of_pounds(maximum), Some(Pence(2_750_001)));
        // Rounded once, half away from zero.
        assert_eq!(frac("1/2").of_pounds(Decimal::new(1, 2)), Some(Pence(1)));
        assert_eq!(frac("1/2").of_pounds(Decimal::new(-1, 2)), Some(Pence(-1)));
        assert_eq!(frac("1/3").of_pounds(Decimal::new(1, 2)), Some(Pence(0)));
        assert_eq!(frac("1/3").of_pence(Pence(10_000)), Pence(3_333));
        assert_eq!(Fraction::ZERO.of_pounds(maximum), Some(Pence::ZERO));
        assert_eq!(
            Fraction::ONE.of_pounds(Decimal::from_str("1.005").unwrap()),
            Some(Pence(101))
        );
        assert_eq!(frac("1/2").of_pounds(Decimal::MAX), None);
    }

    /// round(numerator / denominator) half away from zero, in whole numbers.
    fn round_ratio(numerator: i128, denominator: i128) -> i128 {
        let (q, r) = (numerator.abs() / denominator, numerator.abs() % denominator);
        let q = if 2 * r >= denominator { q + 1 } else { q };
        if numerator < 0 {
            -q
        } else {
            q
        }
    }

    proptest! {
        #[test]
        fn a_fraction_of_an_amount_is_rounded_once(
            mantissa in -1_000_000_000_000i64..1_000_000_000_000,
            scale in 0u32..=6,
            (a, b) in (1u64..=1_000_000).prop_flat_map(|b| (0..=b, Just(b))),
        ) {
            let pounds = Decimal::new(mantissa, scale);
            let f = Fraction::new(a, b).unwrap();
            // pence = mantissa × 100 × a ÷ (10^scale × b), rounded once.
            let expected = round_ratio(
                i128::from(mantissa) * 100 * i128::from(a),
                10i128.pow(scale) * i128::from(b),
            );
            prop_assert_eq!(f.of_pounds(pounds), Some(Pence(expected as i64)));
        }

        #[test]
        fn complementary_fractions_add_up_to_the_whole(
            pence in -10_000_000_000i64..10_000_000_000,
            (a, b) in (1u64..=1_000_000).prop_flat_map(|b| (0..=b, Just(b))),
        ) {
            let f = Fraction::new(a, b).unwrap();
            let whole = Pence(pence);
            let parts = f.of_pence(whole) + f.complement().of_pence(whole);
            // Each part is rounded once, by at most half a penny, so the two
            // differ from the whole by at most a penny (both halves of an odd
            // penny round away from zero).
            prop_assert!((parts.0 - whole.0).abs() <= 1, "{} + {} vs {}", f, f.complement(), whole);
            if (i128::from(pence) * i128::from(a)) % i128::from(b) == 0 {
                prop_assert_eq!(parts, whole);
            }
        }

        #[test]
        fn every_written_form_parses_to_the_same_fraction(
            (a, b) in (1u64..=1_000_000).prop_flat_map(|b| (0..=b, Just(b))),
            digits in 0u32..=6,
        ) {
            let f = Fraction::new(a, b).unwrap();
            prop_assert_eq!(f.to_string().parse::<Fraction>().unwrap(), f);
            // A decimal with `digits` places and the same value as a
            // percentage parse to one fraction.
            let tenths = 10u64.pow(digits);
            let k = a * tenths / b;
            let decimal = Decimal::new(k as i64, digits);
            let as_decimal: Fraction = decimal.to_string().parse().unwrap();
            let percent = Decimal::new(k as i64, digits) * Decimal::ONE_HUNDRED;
            let as_percent: Fraction = format!("{}%", percent.normalize()).parse().unwrap();
            prop_assert_eq!(as_decimal, as_percent);
            prop_assert_eq!(as_decimal, Fraction::new(k, tenths).unwrap());
        }
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
