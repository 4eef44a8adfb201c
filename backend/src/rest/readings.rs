//! Meter readings from FSP systems (guide §3.1, "Data from Participant to Flexible Power").

use super::Caller;
use super::problem::{Problem, ProblemDetails};
use crate::app::AppState;
use crate::services::readings;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Json;
use serde::Deserialize;
use shared::{IngestSummary, Reading, ReadingsBatch};
use utoipa::IntoParams;

/// Sends meter readings. Timestamps are UTC and mark the end of the interval; per-minute
/// units send `power_kw`, half-hourly units `energy_kwh` (at :00 or :30 only). At most
/// 10,000 rows. A batch with any bad row is refused whole (422, every bad row named by
/// index, field and reason) and nothing is stored; a good batch is committed atomically.
/// The same unit and timestamp again replaces the value (last write wins).
#[utoipa::path(post, path = "/api/v2/readings", tag = "readings", request_body = ReadingsBatch,
    responses(
        (status = 200, body = IngestSummary),
        (status = 400, description = "Not a JSON readings batch", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Bad rows; nothing was stored", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn ingest(
    State(state): State<AppState>,
    Caller(actor): Caller,
    payload: Result<Json<ReadingsBatch>, JsonRejection>,
) -> Result<Json<IngestSummary>, Problem> {
    let Json(batch) =
        payload.map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", e.body_text()))?;
    Ok(Json(
        readings::ingest(&state.db, &actor, state.clock.now(), &batch.readings).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LatestQuery {
    /// One of the caller's meterable unit ids.
    meterable_unit_id: Option<String>,
}

/// The latest 60 readings of one of the caller's meterable units, newest first.
#[utoipa::path(get, path = "/api/v2/readings/latest", tag = "readings", params(LatestQuery),
    responses(
        (status = 200, body = Vec<Reading>),
        (status = 400, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Not one of the caller's units", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn latest(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<LatestQuery>, QueryRejection>,
) -> Result<Json<Vec<Reading>>, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    let unit = q
        .meterable_unit_id
        .ok_or_else(|| Problem::bad_parameter("meterable_unit_id", "is required"))?;
    Ok(Json(readings::latest(&state.db, &actor, &unit).await?))
}

/// Sends meter readings as CSV (`Content-Type: text/csv`): header
/// `meterable_unit_id,timestamp,power_kw` (per-minute units) or
/// `meterable_unit_id,timestamp,energy_kwh` (half-hourly units), then one reading per
/// line. The same rules as the JSON batch; errors name the CSV line (`index`, the header
/// being line 1) and column.
#[utoipa::path(post, path = "/api/v2/readings/csv", tag = "readings",
    request_body(content = String, content_type = "text/csv",
        example = "meterable_unit_id,timestamp,power_kw\nLuHmGc49c30Hsb872q2d,2025-02-01T02:00:00Z,-907.99\n"),
    responses(
        (status = 200, body = IngestSummary),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "Not text/csv", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Bad lines; nothing was stored", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn ingest_csv(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: axum::http::HeaderMap,
    body: String,
) -> Result<Json<IngestSummary>, Problem> {
    let is_csv = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("text/csv"));
    if !is_csv {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the CSV with Content-Type: text/csv",
        ));
    }
    Ok(Json(
        readings::ingest_csv(&state.db, &actor, state.clock.now(), &body).await?,
    ))
}
