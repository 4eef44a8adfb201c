//! Dispatches (guide §3.7): what the operator has dispatched to the caller's groups, with
//! each message's delivery state. The webhook is the signal; this is for reconciling.

use super::Caller;
use crate::problem::{Problem, ProblemDetails};
use crate::services::dispatch;
use crate::state::AppState;
use axum::extract::{Path, Query, State, rejection::QueryRejection};
use axum::response::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::Dispatch;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DispatchesQuery {
    /// Start of the period, RFC 3339 (dispatches ending after it are listed).
    from: Option<String>,
    /// End of the period, RFC 3339, at most 93 days after `from` (dispatches starting
    /// before it are listed).
    to: Option<String>,
}

fn time_param(name: &str, value: Option<&str>) -> Result<DateTime<Utc>, Problem> {
    let value = value.ok_or_else(|| Problem::bad_parameter(name, "is required (RFC 3339)"))?;
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            Problem::bad_parameter(
                name,
                "must be an RFC 3339 time such as 2025-02-17T00:00:00Z",
            )
        })
}

/// The dispatches of the caller's dispatch groups overlapping `[from, to)`, by start, each
/// with its messages (START, STOP, CANCEL, EMERGENCY_STOP) and their delivery state.
#[utoipa::path(get, path = "/api/v2/dispatches", tag = "dispatch",
    params(DispatchesQuery),
    responses(
        (status = 200, body = Vec<Dispatch>),
        (status = 400, description = "from or to missing or malformed, or the period longer than 93 days", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<DispatchesQuery>, QueryRejection>,
) -> Result<Json<Vec<Dispatch>>, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    let from = time_param("from", q.from.as_deref())?;
    let to = time_param("to", q.to.as_deref())?;
    Ok(Json(
        dispatch::list(&state.db, &actor, from, to)
            .await
            .map_err(Problem::from_parameters)?,
    ))
}

/// One dispatch of the caller's groups by its id, with its messages.
#[utoipa::path(get, path = "/api/v2/dispatches/{id}", tag = "dispatch",
    params(("id" = String, Path, description = "The dispatch id (20 characters)")),
    responses(
        (status = 200, body = Dispatch),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such dispatch the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn one(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Dispatch>, Problem> {
    Ok(Json(dispatch::get(&state.db, &actor, &id).await?))
}
