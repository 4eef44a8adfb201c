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
    pub meterable_unit_id: String,
    /// UTC end of the minute or half-hour covered, RFC 3339, e.g. `2025-02-01T02:00:00Z`.
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
