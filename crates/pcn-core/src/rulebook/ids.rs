//! The rulebook's stable ids: a payment stream (`core-pcn-funding`) and an
//! ARRS role (`clinical-pharmacist`). Lower-case letters, digits and single
//! hyphens; checked when the rulebook loads, and typed so a stream id is never
//! mistaken for a role id or free text.

use serde::{Deserialize, Serialize};

/// Whether `s` is a well-formed id.
pub(crate) fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// Why an id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {kind} id: use lower-case letters, digits and single hyphens")]
pub struct IdError {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses an id, trimming white space.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                let value = raw.trim();
                if is_id(value) {
                    Ok(Self(value.to_string()))
                } else {
                    Err(IdError { kind: $kind, value: raw.to_string() })
                }
            }
        }

        crate::codes::text_newtype!($name, IdError);

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A payment stream, stable across years where the stream continues.
    StreamId,
    "stream"
);

id_type!(
    /// An ARRS role.
    RoleId,
    "role"
);

impl StreamId {
    /// Whether the stream is part of a network's ARRS Sum: `arrs`, and
    /// 2024/25's ring-fenced `arrs-gp`.
    pub fn is_arrs_sum(&self) -> bool {
        self.0 == "arrs" || self.0 == "arrs-gp"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert_eq!(
            StreamId::parse(" core-pcn-funding ").unwrap(),
            "core-pcn-funding"
        );
        for bad in ["", "Core", "a--b", "-a", "a-", "a b", "a_b"] {
            assert!(StreamId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(RoleId::parse("clinical-pharmacist").is_ok());
        let err = RoleId::parse("Pharmacist").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"Pharmacist\" is not a role id: use lower-case letters, digits and single hyphens"
        );
    }

    #[test]
    fn arrs_sum_streams() {
        assert!(StreamId::parse("arrs").unwrap().is_arrs_sum());
        assert!(StreamId::parse("arrs-gp").unwrap().is_arrs_sum());
        assert!(!StreamId::parse("arrs-other").unwrap().is_arrs_sum());
    }
}
