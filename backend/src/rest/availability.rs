//! Availability declarations and acceptance decisions (guide §3.4, §3.6). Participants
//! read; the operator enters and decides declarations on their behalf (GraphQL).

use super::Caller;
use crate::problem::{Problem, ProblemDetails};
use crate::services::availability;
use crate::state::AppState;
use axum::extract::{Query, State, rejection::QueryRejection};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;
use shared::{AcceptanceRow, AvailabilityWeek, WeekCommencing};
use utoipa::IntoParams;

fn week_param(week: Option<&str>) -> Result<WeekCommencing, Problem> {
    let week = week.ok_or_else(|| {
        Problem::bad_parameter("week_commencing", "is required (a Monday, YYYY-MM-DD)")
    })?;
    WeekCommencing::parse(week).map_err(|e| Problem::bad_parameter("week_commencing", e))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AcceptedQuery {
    /// A Monday, `YYYY-MM-DD`.
    week_commencing: Option<String>,
    /// `csv` for the CSV download (the same as `Accept: text/csv`).
    format: Option<String>,
}

/// Every availability declaration of a week across the programmes and zones the caller
/// may see, with its status; accepted rows carry `acceptance_start`, `acceptance_end` and
/// `accepted_kw`. JSON, or with `Accept: text/csv` (or `format=csv`) the Acceptance CSV:
/// `zone,programme,dispatch_group_id,dispatch_group,date,window_start,window_end,declared_kw,status,acceptance_start,acceptance_end,accepted_kw`.
#[utoipa::path(get, path = "/api/v2/accepted-availability", tag = "availability",
    params(AcceptedQuery),
    responses(
        (status = 200, body = Vec<AcceptanceRow>, content(
            (Vec<AcceptanceRow> = "application/json"),
            (String = "text/csv", example = "zone,programme,dispatch_group_id,dispatch_group,date,window_start,window_end,declared_kw,status,acceptance_start,acceptance_end,accepted_kw\ntwilight-zone,Dynamic,Qm3xVb7Lk2Pz9Rt4Wn8Y,API Test,2025-02-17,16:00,19:00,500,accepted,2025-02-17T16:00:00Z,2025-02-17T19:00:00Z,500\n"),
        )),
        (status = 400, description = "week_commencing missing, malformed or not a Monday", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn accepted(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    query: Result<Query<AcceptedQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    let week = week_param(q.week_commencing.as_deref())?;
    let rows = availability::acceptance(&state.db, &actor, week).await?;
    if q.format.as_deref() == Some("csv") || super::accepts_csv(&headers) {
        let csv = availability::acceptance_csv(&rows)?;
        let disposition = format!("attachment; filename=\"acceptance-{week}.csv\"");
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            csv,
        )
            .into_response());
    }
    Ok(Json(rows).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WeekQuery {
    /// A dispatch group id the caller may see.
    dispatch_group_id: Option<String>,
    /// A programme id of the group's zone.
    programme_id: Option<String>,
    /// A Monday, `YYYY-MM-DD`.
    week_commencing: Option<String>,
}

/// A dispatch group's availability windows in a programme for one week (Availability ›
/// Calendar), with the time declarations lock. Declarations are entered by the operator.
#[utoipa::path(get, path = "/api/v2/availability", tag = "availability",
    params(WeekQuery),
    responses(
        (status = 200, body = AvailabilityWeek),
        (status = 400, description = "A parameter is missing or malformed", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such group or programme the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn week(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<WeekQuery>, QueryRejection>,
) -> Result<Json<AvailabilityWeek>, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    let group = q
        .dispatch_group_id
        .ok_or_else(|| Problem::bad_parameter("dispatch_group_id", "is required"))?;
    let programme = q
        .programme_id
        .ok_or_else(|| Problem::bad_parameter("programme_id", "is required"))?;
    let week = week_param(q.week_commencing.as_deref())?;
    Ok(Json(
        availability::week(
            &state.db,
            &actor,
            state.clock.now(),
            &group,
            &programme,
            week,
        )
        .await?,
    ))
}
