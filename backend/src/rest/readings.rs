//! Meter readings from FSP systems (guide §3.1, "Data from Participant to Flexible Power").

use super::Caller;
use super::params::Params;
use crate::problem::{Problem, ProblemDetails};
use crate::services::idempotency::Outcome;
use crate::services::readings::{self, ExportQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::extract::rejection::{JsonRejection, StringRejection};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;
use shared::{
    IdempotencyKey, IngestSummary, Instant, PageLimit, PublicId, Reading, ReadingsBatch,
    ReadingsCursor, ReadingsPage,
};
use utoipa::IntoParams;

/// Headers a readings POST may carry.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IngestHeaders {
    /// Optional. A retry with the same key and body gets the first answer again (with
    /// `Idempotent-Replayed: true`) and writes nothing; the same key with another body is
    /// refused (422); while the first request is still being processed, 409. Keys are kept
    /// for 24 hours, per company.
    #[serde(rename = "Idempotency-Key")]
    #[param(rename = "Idempotency-Key")]
    #[allow(dead_code, reason = "documents the header; read from HeaderMap")]
    idempotency_key: Option<IdempotencyKey>,
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, Problem> {
    headers
        .get(IdempotencyKey::HEADER)
        .map(|v| {
            v.to_str()
                .map_err(|_| "must be printable ASCII".to_owned())
                .and_then(IdempotencyKey::parse)
                .map_err(|reason| Problem::bad_parameter(IdempotencyKey::HEADER, reason))
        })
        .transpose()
}

fn summary(outcome: Outcome<IngestSummary>) -> Response {
    let mut response = Json(outcome.value).into_response();
    if outcome.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// Sends meter readings. Timestamps are UTC and mark the end of the interval; per-minute
/// units send `power_kw`, half-hourly units `energy_kwh` (at :00 or :30 only); no more than
/// 5 minutes ahead of the server's clock. At most 10,000 rows. A batch with any bad row is
/// refused whole (422, every bad row named by index, field and reason) and nothing is
/// stored; a good batch is committed atomically. The same unit and timestamp again
/// replaces the value (last write wins). An unknown unit id and another company's unit
/// are both reported as an unknown unit.
#[utoipa::path(post, path = "/api/v2/readings", tag = "readings", operation_id = "ingest_readings", request_body = ReadingsBatch,
    params(IngestHeaders),
    responses(
        (status = 200, body = IngestSummary,
            headers(("Idempotent-Replayed" = String, description = "`true` when this is the kept answer to an earlier request with the same Idempotency-Key"))),
        (status = 400, description = "Not a JSON readings batch", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an FSP company", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being processed", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Bad rows, or an Idempotency-Key reused for another body; nothing was stored", body = ProblemDetails, content_type = "application/problem+json",
            example = json!({"type": "about:blank", "title": "Unprocessable Entity", "status": 422,
                "code": "INVALID_INPUT", "correlation_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                "detail": "row 1, timestamp: half-hourly readings must end at :00 or :30",
                "errors": [{"index": 1, "field": "timestamp", "reason": "half-hourly readings must end at :00 or :30"}]})),
    ))]
pub async fn ingest(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    payload: Result<Json<ReadingsBatch>, JsonRejection>,
) -> Result<Response, Problem> {
    let Json(batch) = payload.map_err(|e| Problem::bad_body(e.status(), e.body_text()))?;
    let key = idempotency_key(&headers)?;
    let key = key.as_ref().map(IdempotencyKey::as_str);
    Ok(summary(
        readings::ingest(&state.db, &actor, state.clock.now(), &batch.readings, key).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LatestQuery {
    /// A meterable unit id the caller may see.
    meterable_unit_id: PublicId,
}

/// The latest 60 readings of a meterable unit, newest first (what API Testing › Readings
/// shows). FSPs see their own units, operators the units in their zones.
#[utoipa::path(get, path = "/api/v2/readings/latest", tag = "readings", operation_id = "latest_readings", params(LatestQuery),
    responses(
        (status = 200, body = Vec<Reading>),
        (status = 400, description = "meterable_unit_id missing or malformed", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Not a unit the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn latest(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Params(q): Params<LatestQuery>,
) -> Result<Json<Vec<Reading>>, Problem> {
    Ok(Json(
        readings::latest(&state.db, &actor, q.meterable_unit_id.as_str()).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// A meterable unit id the caller may see.
    meterable_unit_id: PublicId,
    /// Start, exclusive: readings whose interval ends after this time.
    #[param(example = "2025-02-01T00:00:00Z")]
    from: Instant,
    /// End, inclusive: readings whose interval ends at or before this time; after `from`.
    #[param(example = "2025-02-02T00:00:00Z")]
    to: Instant,
    /// Rows per page.
    #[serde(default)]
    limit: PageLimit,
    /// `next_cursor` of the previous page.
    cursor: Option<ReadingsCursor>,
}

/// A unit's readings over a time range, oldest first, one page at a time. JSON by
/// default; with `Accept: text/csv`, CSV in the upload format (so an export can be sent
/// back unchanged). The next page, if any, is in `next_cursor` (JSON) and in the `Link`
/// header (`rel="next"`, both formats).
#[utoipa::path(get, path = "/api/v2/readings", tag = "readings", operation_id = "export_readings", params(ExportParams),
    responses(
        (status = 200, body = ReadingsPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is another page")),
            content(
                (ReadingsPage = "application/json"),
                (String = "text/csv", example = "meterable_unit_id,timestamp,power_kw\nLuHmGc49c30Hsb872q2d,2025-02-01T02:00:00Z,-907.99\n"),
            )),
        (status = 400, description = "A parameter is missing or malformed; `errors` names it", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Not a unit the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "`to` is not after `from`", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn export(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    Params(q): Params<ExportParams>,
) -> Result<Response, Problem> {
    let request = ExportQuery {
        meterable_unit_id: q.meterable_unit_id.into(),
        from: q.from.utc(),
        to: q.to.utc(),
        limit: q.limit,
        cursor: q.cursor,
    };
    let (page, granularity) = readings::export(&state.db, &actor, &request).await?;
    let link = page.next_cursor.as_ref().map(|cursor| {
        // Ids, UTC times with a `Z` and cursors need no escaping in a URL.
        format!(
            "</api/v2/readings?meterable_unit_id={}&from={}&to={}&limit={}&cursor={cursor}>; rel=\"next\"",
            request.meterable_unit_id,
            String::from(q.from),
            String::from(q.to),
            request.limit.get(),
        )
    });
    let mut response = if super::accepts_csv(&headers) {
        (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            readings::to_csv(&page, granularity),
        )
            .into_response()
    } else {
        Json(page).into_response()
    };
    if let Some(link) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// Sends meter readings as CSV (`Content-Type: text/csv`): header
/// `meterable_unit_id,timestamp,power_kw` (per-minute units) or
/// `meterable_unit_id,timestamp,energy_kwh` (half-hourly units), then one reading per
/// line. The same rules as the JSON batch, including `Idempotency-Key`; errors name the
/// CSV line (`index`, the header being line 1) and column.
#[utoipa::path(post, path = "/api/v2/readings/csv", tag = "readings", operation_id = "ingest_readings_csv",
    params(IngestHeaders),
    request_body(content = String, content_type = "text/csv",
        example = "meterable_unit_id,timestamp,power_kw\nLuHmGc49c30Hsb872q2d,2025-02-01T02:00:00Z,-907.99\n"),
    responses(
        (status = 200, body = IngestSummary),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an FSP company", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being processed", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "Not text/csv", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Bad lines; nothing was stored", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn ingest_csv(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    body: Result<String, StringRejection>,
) -> Result<Response, Problem> {
    let is_csv = headers
        .get(header::CONTENT_TYPE)
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
    let body = body.map_err(|e| Problem::bad_body(e.status(), e.body_text()))?;
    let key = idempotency_key(&headers)?;
    let key = key.as_ref().map(IdempotencyKey::as_str);
    Ok(summary(
        readings::ingest_csv(&state.db, &actor, state.clock.now(), &body, key).await?,
    ))
}
