//! Meter readings sent by FSP systems.

use serde::{Deserialize, Serialize};

/// The most readings one request (JSON batch or CSV file) may carry.
pub const MAX_READINGS_PER_REQUEST: usize = 10_000;

/// One reading. Per-minute units send `power_kw`, half-hourly units `energy_kwh`.
/// Positive is export to the grid, negative import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::InputObject, utoipa::ToSchema)
)]
#[cfg_attr(feature = "server", schema(example = json!({
    "meterable_unit_id": "LuHmGc49c30Hsb872q2d",
    "timestamp": "2025-02-01T02:00:00Z",
    "power_kw": -907.99
})))]
pub struct ReadingInput {
    /// One of the caller's meterable unit ids.
    #[cfg_attr(feature = "server", schema(value_type = crate::PublicId))]
    pub meterable_unit_id: String,
    /// UTC end of the minute or half-hour covered, on a whole minute (per-minute units) or
    /// at :00 or :30 (half-hourly units), at most 5 minutes ahead, e.g.
    /// `2025-02-01T02:00:00Z`. Kept as sent so a bad row is named, not the whole body.
    #[cfg_attr(feature = "server", schema(value_type = crate::Instant))]
    pub timestamp: String,
    /// Mean power over the minute (per-minute units).
    #[serde(default)]
    pub power_kw: Option<f64>,
    /// Energy over the half-hour (half-hourly units).
    #[serde(default)]
    pub energy_kwh: Option<f64>,
}

/// A batch of readings: accepted whole, or refused whole. At most 10,000 rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "server", schema(example = json!({"readings": [
    {"meterable_unit_id": "LuHmGc49c30Hsb872q2d", "timestamp": "2025-02-01T02:00:00Z", "power_kw": -907.99},
    {"meterable_unit_id": "LuHmGc49c30Hsb872q2d", "timestamp": "2025-02-01T02:01:00Z", "power_kw": -907.99}
]})))]
pub struct ReadingsBatch {
    /// 1 to 10,000 rows (`MAX_READINGS_PER_REQUEST`).
    #[cfg_attr(feature = "server", schema(min_items = 1, max_items = 10_000))]
    pub readings: Vec<ReadingInput>,
}

/// What a committed batch changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
#[cfg_attr(feature = "server", schema(example = json!({
    "accepted": 3, "inserted": 2, "updated": 1, "unchanged": 0
})))]
pub struct IngestSummary {
    /// Rows in the batch.
    pub accepted: usize,
    /// New (unit, timestamp) pairs.
    pub inserted: usize,
    /// Existing pairs whose value changed (last write wins).
    pub updated: usize,
    /// Existing pairs sent again with the same value.
    pub unchanged: usize,
}

/// A stored reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct Reading {
    /// UTC end of the interval the reading covers.
    pub timestamp: chrono::DateTime<chrono::Utc>,
    /// The zone of the reading's unit.
    pub zone: String,
    pub meterable_unit_id: String,
    /// Mean power over the minute (per-minute units).
    pub power_kw: Option<f64>,
    /// Energy over the half-hour (half-hourly units).
    pub energy_kwh: Option<f64>,
}

/// One page of a readings export, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct ReadingsPage {
    pub readings: Vec<Reading>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Where a readings export goes on from: the interval end of the last reading served, in
/// microseconds since 1970 (`r1.` then 1 to 16 digits). Take it from `next_cursor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReadingsCursor(i64);

impl ReadingsCursor {
    /// What [`ReadingsCursor::parse`] accepts, as a regular expression.
    pub const PATTERN: &'static str = "^r1\\.[0-9]{1,16}$";

    pub fn parse(s: &str) -> Result<Self, String> {
        s.strip_prefix("r1.")
            .filter(|d| (1..=16).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse().ok())
            .map(Self)
            .ok_or_else(|| "is not a cursor this API gave out (use next_cursor)".to_owned())
    }

    /// The cursor after a reading whose interval ended at `at`.
    pub fn after(at: chrono::DateTime<chrono::Utc>) -> Self {
        Self(at.timestamp_micros().max(0))
    }

    /// The interval end the next page starts after.
    pub fn position(self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_micros(self.0).unwrap_or_default()
    }
}

impl TryFrom<String> for ReadingsCursor {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<ReadingsCursor> for String {
    fn from(c: ReadingsCursor) -> String {
        format!("r1.{}", c.0)
    }
}

/// Rows per page of a readings export: 1 to [`PageLimit::MAX`], [`PageLimit::DEFAULT`]
/// unless asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct PageLimit(u64);

impl PageLimit {
    pub const DEFAULT: Self = Self(1_000);
    pub const MAX: u64 = 10_000;

    pub fn get(self) -> u64 {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<u64> for PageLimit {
    type Error = String;
    fn try_from(n: u64) -> Result<Self, String> {
        if (1..=Self::MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(format!("must be between 1 and {}", Self::MAX))
        }
    }
}

impl From<PageLimit> for u64 {
    fn from(l: PageLimit) -> u64 {
        l.0
    }
}

/// A client's key for retrying a request safely: 1 to 255 printable ASCII characters,
/// neither first nor last a space (HTTP would drop it), such as a UUID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// What [`IdempotencyKey::parse`] accepts, as a regular expression.
    pub const PATTERN: &'static str = "^[!-~]([ -~]{0,253}[!-~])?$";
    pub const HEADER: &'static str = "Idempotency-Key";

    pub fn parse(s: &str) -> Result<Self, String> {
        let b = s.as_bytes();
        let ok = (1..=255).contains(&b.len())
            && b.iter().all(|c| (b' '..=b'~').contains(c))
            && b.first() != Some(&b' ')
            && b.last() != Some(&b' ');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err("must be 1 to 255 printable ASCII characters, not starting or ending with a space, such as a UUID".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<IdempotencyKey> for String {
    fn from(k: IdempotencyKey) -> String {
        k.0
    }
}

#[cfg(feature = "server")]
mod schema {
    use super::{IdempotencyKey, PageLimit, ReadingsCursor};
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{RefOr, schema::Schema};

    impl utoipa::PartialSchema for ReadingsCursor {
        fn schema() -> RefOr<Schema> {
            crate::openapi::text(
                "Where a readings export goes on from: the previous page's `next_cursor`.",
                ReadingsCursor::PATTERN,
                "r1.1738375200000000",
            )
            .into()
        }
    }
    impl utoipa::ToSchema for ReadingsCursor {}

    impl utoipa::PartialSchema for PageLimit {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .description(Some("Rows per page."))
                .minimum(Some(1))
                .maximum(Some(PageLimit::MAX))
                .default(Some(PageLimit::DEFAULT.0.into()))
                .into()
        }
    }
    impl utoipa::ToSchema for PageLimit {}

    impl utoipa::PartialSchema for IdempotencyKey {
        fn schema() -> RefOr<Schema> {
            // No example: one key sent with every example body would be refused (422) as
            // reused for another body.
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "1 to 255 printable ASCII characters, not starting or ending with a \
                     space, such as a UUID; a new one for each new request.",
                ))
                .pattern(Some(IdempotencyKey::PATTERN))
                .min_length(Some(1))
                .max_length(Some(255))
                .into()
        }
    }
    impl utoipa::ToSchema for IdempotencyKey {}
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_nothing_else_parses() {
        let at = chrono::DateTime::from_timestamp(1_738_375_200, 0).unwrap_or_default();
        let cursor = String::from(ReadingsCursor::after(at));
        assert_eq!(cursor, "r1.1738375200000000");
        assert_eq!(ReadingsCursor::parse(&cursor).map(|c| c.position()), Ok(at));
        for bad in [
            "",
            "r1.",
            "r1.-5",
            "r1.12345678901234567",
            "cjE6MTc",
            "r2.5",
        ] {
            assert!(ReadingsCursor::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn idempotency_keys_are_printable_and_untrimmed() {
        assert!(IdempotencyKey::parse("a b").is_ok());
        for bad in ["", " a", "a ", "é", &"x".repeat(256)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(PageLimit::try_from(0).ok(), None);
        assert_eq!(PageLimit::try_from(10_001).ok(), None);
    }
}
