//! Public identifiers.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Length of every public id.
pub const PUBLIC_ID_LEN: usize = 20;

/// Why a string is not an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must be {PUBLIC_ID_LEN} letters or digits")]
    PublicId,
    #[error("must be 1 to 64 lower-case letters, digits or hyphens")]
    Slug,
}

/// An opaque 20-character alphanumeric identifier used in URLs, APIs and CSVs
/// (for example `LuHmGc49c30Hsb872q2d`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicId(String);

impl PublicId {
    /// What [`PublicId::parse`] accepts, as a regular expression (the OpenAPI `pattern`).
    pub const PATTERN: &'static str = "^[A-Za-z0-9]{20}$";

    /// Accepts exactly 20 ASCII letters or digits.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.len() == PUBLIC_ID_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::PublicId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PublicId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}

impl From<PublicId> for String {
    fn from(id: PublicId) -> String {
        id.0
    }
}

impl fmt::Display for PublicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A zone's identifier: a short, stable, human-readable slug such as `twilight-zone`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ZoneSlug(String);

impl ZoneSlug {
    /// What [`ZoneSlug::parse`] accepts, as a regular expression (the OpenAPI `pattern`).
    pub const PATTERN: &'static str = "^[a-z0-9-]{1,64}$";

    pub fn parse(s: &str) -> Result<Self, IdError> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::Slug)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ZoneSlug {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}

impl From<ZoneSlug> for String {
    fn from(id: ZoneSlug) -> String {
        id.0
    }
}

impl fmt::Display for ZoneSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(feature = "server")]
mod schema {
    use super::{PUBLIC_ID_LEN, PublicId, ZoneSlug};
    use utoipa::openapi::{RefOr, schema::Schema};

    impl utoipa::PartialSchema for PublicId {
        fn schema() -> RefOr<Schema> {
            crate::openapi::text(
                "An opaque 20-character alphanumeric id, e.g. `LuHmGc49c30Hsb872q2d`.",
                Self::PATTERN,
                "LuHmGc49c30Hsb872q2d",
            )
            .min_length(Some(PUBLIC_ID_LEN))
            .max_length(Some(PUBLIC_ID_LEN))
            .into()
        }
    }
    impl utoipa::ToSchema for PublicId {}

    impl utoipa::PartialSchema for ZoneSlug {
        fn schema() -> RefOr<Schema> {
            crate::openapi::text(
                "A zone id: 1 to 64 lower-case letters, digits or hyphens, e.g. `twilight-zone`.",
                Self::PATTERN,
                "twilight-zone",
            )
            .min_length(Some(1))
            .max_length(Some(64))
            .into()
        }
    }
    impl utoipa::ToSchema for ZoneSlug {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_id_accepts_twenty_alphanumerics_only() {
        assert!(PublicId::parse("LuHmGc49c30Hsb872q2d").is_ok());
        assert_eq!(
            PublicId::parse("LuHmGc49c30Hsb872q2"),
            Err(IdError::PublicId)
        );
        assert_eq!(
            PublicId::parse("LuHmGc49c30Hsb872q2-"),
            Err(IdError::PublicId)
        );
    }

    #[test]
    fn zone_slug_rejects_upper_case_and_spaces() {
        assert!(ZoneSlug::parse("twilight-zone").is_ok());
        assert!(ZoneSlug::parse("Twilight").is_err());
        assert!(ZoneSlug::parse("a b").is_err());
        assert!(ZoneSlug::parse("").is_err());
    }
}
