//! Meter readings from FSP systems (guide §3.1, "Data from Participant to Flexible Power").

use super::Caller;
use crate::problem::{Problem, ProblemDetails};
use crate::services::ServiceError;
use crate::services::idempotency::{self, Outcome};
use crate::services::readings::{self, ExportQuery};
use crate::state::AppState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;
use shared::{IngestSummary, Reading, ReadingsBatch, ReadingsPage};
use utoipa::IntoParams;

/// Headers a readings POST may carry.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IngestHeaders {
    /// Optional; 1 to 255 printable ASCII characters, e.g. a UUID. A retry with the same key
    /// and body gets the first answer again (with `Idempotent-Replayed: true`) and writes
    /// nothing; the same key with another body is refused (422); while the first request
    /// is still being processed, 409. Keys are kept for 24 hours, per company.
    #[serde(rename = "Idempotency-Key")]
    #[param(rename = "Idempotency-Key")]
    #[allow(dead_code, reason = "documents the header; read from HeaderMap")]
    idempotency_key: Option<String>,
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<&str>, Problem> {
    headers
        .get(idempotency::HEADER)
        .map(|v| {
            v.to_str().map_err(|_| {
                Problem::from(ServiceError::invalid(
                    idempotency::HEADER,
                    "must be printable ASCII",
                ))
            })
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
#[utoipa::path(post, path = "/api/v2/readings", tag = "readings", request_body = ReadingsBatch,
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
    let Json(batch) =
        payload.map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", e.body_text()))?;
    let key = idempotency_key(&headers)?;
    Ok(summary(
        readings::ingest(&state.db, &actor, state.clock.now(), &batch.readings, key).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LatestQuery {
    /// A meterable unit id the caller may see.
    meterable_unit_id: Option<String>,
}

/// The latest 60 readings of a meterable unit, newest first (what API Testing › Readings
/// shows). FSPs see their own units, operators the units in their zones.
#[utoipa::path(get, path = "/api/v2/readings/latest", tag = "readings", params(LatestQuery),
    responses(
        (status = 200, body = Vec<Reading>),
        (status = 400, description = "meterable_unit_id missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Not a unit the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// A meterable unit id the caller may see.
    meterable_unit_id: Option<String>,
    /// Start, exclusive: readings whose interval ends after this time (RFC 3339).
    from: Option<String>,
    /// End, inclusive: readings whose interval ends at or before this time (RFC 3339).
    to: Option<String>,
    /// Rows per page, 1 to 10,000; 1,000 if absent.
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A unit's readings over a time range, oldest first, one page at a time. JSON by
/// default; with `Accept: text/csv`, CSV in the upload format (so an export can be sent
/// back unchanged). The next page, if any, is in `next_cursor` (JSON) and in the `Link`
/// header (`rel="next"`, both formats).
#[utoipa::path(get, path = "/api/v2/readings", tag = "readings", params(ExportParams),
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
    ))]
pub async fn export(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    query: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    let request = ExportQuery {
        meterable_unit_id: q.meterable_unit_id,
        from: q.from,
        to: q.to,
        limit: q.limit,
        cursor: q.cursor,
    };
    let (page, granularity) = readings::export(&state.db, &actor, &request)
        .await
        .map_err(Problem::from_parameters)?;
    let link = page.next_cursor.as_ref().map(|cursor| {
        // Every part is RFC 3339 or base64url once normalised, so none needs escaping.
        format!(
            "</api/v2/readings?meterable_unit_id={}&from={}&to={}&limit={}&cursor={cursor}>; rel=\"next\"",
            request.meterable_unit_id.as_deref().unwrap_or_default(),
            normalise(request.from.as_deref()),
            normalise(request.to.as_deref()),
            request.limit.unwrap_or(readings::EXPORT_PAGE),
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

/// A time the service accepted, as UTC with a `Z`, safe in a URL.
fn normalise(time: Option<&str>) -> String {
    time.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        })
        .unwrap_or_default()
}

/// Sends meter readings as CSV (`Content-Type: text/csv`): header
/// `meterable_unit_id,timestamp,power_kw` (per-minute units) or
/// `meterable_unit_id,timestamp,energy_kwh` (half-hourly units), then one reading per
/// line. The same rules as the JSON batch, including `Idempotency-Key`; errors name the
/// CSV line (`index`, the header being line 1) and column.
#[utoipa::path(post, path = "/api/v2/readings/csv", tag = "readings",
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
    body: String,
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
    let key = idempotency_key(&headers)?;
    Ok(summary(
        readings::ingest_csv(&state.db, &actor, state.clock.now(), &body, key).await?,
    ))
}
