//! Organisation codes, checked once at the edge ("parse, don't validate").
//!
//! Every code in the registry is one of these newtypes. Once a value is a
//! `PracticeCode` it is known to be well formed, so the rest of the program
//! never re-checks strings.

use serde::{Deserialize, Serialize};

/// Why a code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} code {value:?} is not valid: {expected}")]
pub struct CodeError {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static str,
}

fn is_upper_alnum(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// What a checked text newtype `$name(String)` with an associated
/// `fn parse(&str) -> Result<Self, $error>` shares: its text, display, and
/// conversions from and to `String` and from `&str` (each through `parse`).
macro_rules! text_newtype {
    ($name:ident, $error:ty) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $error;
            fn try_from(value: String) -> Result<Self, $error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(text: $name) -> String {
                text.0.as_str().to_owned()
            }
        }

        impl std::str::FromStr for $name {
            type Err = $error;
            fn from_str(s: &str) -> Result<Self, $error> {
                Self::parse(s)
            }
        }
    };
}
pub(crate) use text_newtype;

/// The longest code (a practice's or a network's): codes are held inline.
const CODE_BYTES: usize = 6;

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $expected:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(arrayvec::ArrayString<CODE_BYTES>);

        impl $name {
            /// Parses a code, trimming surrounding white space and upper-casing it.
            pub fn parse(raw: &str) -> Result<Self, CodeError> {
                let value = raw.trim().to_ascii_uppercase();
                let check: fn(&str) -> bool = $check;
                match arrayvec::ArrayString::from(&value) {
                    Ok(code) if check(&value) => Ok(Self(code)),
                    _ => Err(CodeError { kind: $kind, value: raw.to_string(), expected: $expected }),
                }
            }
        }

        text_newtype!($name, CodeError);
    };
}

code_type!(
    /// An ODS code of a GP practice: six characters, a letter then five
    /// letters or digits (`A81001`, `Y02622`).
    PracticeCode,
    "practice",
    "six letters or digits starting with a letter, such as A81001",
    |s| s.len() == 6 && s.as_bytes()[0].is_ascii_uppercase() && is_upper_alnum(s)
);

code_type!(
    /// An ODS code of a Primary Care Network: `U` and five digits (`U89141`),
    /// or the bare `U` that NHS England uses for "Unallocated" practices.
    PcnCode,
    "PCN",
    "U followed by five digits (such as U89141), or U for Unallocated",
    |s| s == "U" || (s.len() == 6 && s.starts_with('U') && s[1..].bytes().all(|b| b.is_ascii_digit()))
);

code_type!(
    /// A commissioner: a sub-ICB location (formerly a CCG), `16C` or `X2C4Y`.
    SubIcbCode,
    "sub-ICB location",
    "three or five letters or digits, such as 16C or 15N",
    |s| (s.len() == 3 || s.len() == 5) && is_upper_alnum(s)
);

code_type!(
    /// An Integrated Care Board (or, before July 2022, an STP): `QHM`.
    IcbCode,
    "ICB",
    "three or five letters or digits, such as QHM",
    |s| (s.len() == 3 || s.len() == 5) && is_upper_alnum(s)
);

code_type!(
    /// An NHS England commissioning region: `Y63`.
    RegionCode,
    "region",
    "Y followed by two digits, such as Y63",
    |s| s.len() == 3 && s.starts_with('Y') && s[1..].bytes().all(|b| b.is_ascii_digit())
);

code_type!(
    /// A commissioner as a user names one: a sub-ICB location (`16C`,
    /// `X2C4Y`) or an ICB (`QHM`). The two kinds share one code space, so a
    /// commissioner matches an organisation under either.
    CommissionerCode,
    "commissioner",
    "a sub-ICB location code (such as 16C) or an ICB code (such as QHM)",
    |s| (s.len() == 3 || s.len() == 5) && is_upper_alnum(s)
);

impl CommissionerCode {
    /// Whether an organisation under `sub_icb` and `icb` is under this commissioner.
    pub fn covers(&self, sub_icb: Option<&SubIcbCode>, icb: Option<&IcbCode>) -> bool {
        sub_icb.is_some_and(|s| s.as_str() == self.as_str())
            || icb.is_some_and(|i| i.as_str() == self.as_str())
    }
}

impl PcnCode {
    /// The placeholder NHS England's registration data uses for practices in
    /// no network.
    pub fn unallocated() -> Self {
        let mut code = arrayvec::ArrayString::new();
        // One byte, within the capacity.
        let _ = code.try_push('U');
        Self(code)
    }

    /// True for the `U` "Unallocated" placeholder, which is not a network.
    pub fn is_unallocated(&self) -> bool {
        self.as_str() == "U"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn practice_codes() {
        assert_eq!(PracticeCode::parse(" a81001 ").unwrap().as_str(), "A81001");
        assert!(PracticeCode::parse("Y02622").is_ok());
        for bad in ["A8100", "181001", "A81001001", "A8-001"] {
            assert!(PracticeCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pcn_codes() {
        assert!(PcnCode::parse("U89141").is_ok());
        assert!(PcnCode::parse("U").unwrap().is_unallocated());
        assert!(PcnCode::parse("U8914").is_err());
        assert!(PcnCode::parse("X89141").is_err());
        assert!(!PcnCode::parse("U00001").unwrap().is_unallocated());
    }

    #[test]
    fn commissioner_codes() {
        assert!(SubIcbCode::parse("16C").is_ok());
        assert!(SubIcbCode::parse("X2C4Y").is_ok());
        assert!(SubIcbCode::parse("16").is_err());
        assert!(IcbCode::parse("QHM").is_ok());
        assert!(RegionCode::parse("Y63").is_ok());
        assert!(RegionCode::parse("Q63").is_err());
    }

    #[test]
    fn error_names_the_value() {
        let err = PracticeCode::parse("bad!").unwrap_err();
        assert!(err.to_string().contains("\"bad!\""), "{err}");
    }
}
