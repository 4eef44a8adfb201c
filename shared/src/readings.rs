//! Meter readings sent by FSP systems.

use serde::{Deserialize, Serialize};

/// One reading. Per-minute units send `power_kw`, half-hourly units `energy_kwh`.
/// Positive is export to the grid, negative import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ReadingInput {
    pub meterable_unit_id: String,
    /// UTC end of the minute or half-hour covered, RFC 3339, e.g. `2025-02-01T02:00:00Z`.
    pub timestamp: String,
    #[serde(default)]
    pub power_kw: Option<f64>,
    #[serde(default)]
    pub energy_kwh: Option<f64>,
}

/// A batch of readings: accepted whole, or refused whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ReadingsBatch {
    pub readings: Vec<ReadingInput>,
}

/// What a committed batch changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Reading {
    pub timestamp: chrono::DateTime<chrono::Utc>,
    pub zone: String,
    pub meterable_unit_id: String,
    pub power_kw: Option<f64>,
    pub energy_kwh: Option<f64>,
}
