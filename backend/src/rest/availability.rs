//! Availability declarations and acceptance decisions (guide §3.4, §3.6). Participants
//! read; the operator enters and decides declarations on their behalf (GraphQL).

use super::Caller;
use super::params::Params;
use crate::problem::{Problem, ProblemDetails};
use crate::services::availability;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;
use shared::{AcceptanceRow, AvailabilityWeek, PublicId, TableFormat, WeekCommencing};
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AcceptedQuery {
    /// The week.
    week_commencing: WeekCommencing,
    /// `csv` for the CSV download (the same as `Accept: text/csv`).
    #[serde(default)]
    format: TableFormat,
}

/// Every availability declaration of a week across the programmes and zones the caller
/// may see, with its status; accepted rows carry `acceptance_start`, `acceptance_end` and
/// `accepted_kw`. JSON, or with `Accept: text/csv` (or `format=csv`) the Acceptance CSV:
/// `zone,programme,dispatch_group_id,dispatch_group,date,window_start,window_end,declared_kw,status,acceptance_start,acceptance_end,accepted_kw`.
#[utoipa::path(get, path = "/api/v2/accepted-availability", tag = "availability", operation_id = "accepted_availability",
    params(AcceptedQuery),
    responses(
        (status = 200, body = Vec<AcceptanceRow>, content(
            (Vec<AcceptanceRow> = "application/json"),
            (String = "text/csv", example = "zone,programme,dispatch_group_id,dispatch_group,date,window_start,window_end,declared_kw,status,acceptance_start,acceptance_end,accepted_kw\ntwilight-zone,Dynamic,Qm3xVb7Lk2Pz9Rt4Wn8Y,API Test,2025-02-17,16:00,19:00,500,accepted,2025-02-17T16:00:00Z,2025-02-17T19:00:00Z,500\n"),
        )),
        (status = 400, description = "week_commencing or format missing or malformed", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn accepted(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    Params(q): Params<AcceptedQuery>,
) -> Result<Response, Problem> {
    let week = q.week_commencing;
    let rows = availability::acceptance(&state.db, &actor, week).await?;
    if q.format == TableFormat::Csv || super::accepts_csv(&headers) {
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
    dispatch_group_id: PublicId,
    /// A programme id of the group's zone.
    programme_id: PublicId,
    /// The week.
    week_commencing: WeekCommencing,
}

/// A dispatch group's availability windows in a programme for one week (Availability ›
/// Calendar), with the time declarations lock. Declarations are entered by the operator.
#[utoipa::path(get, path = "/api/v2/availability", tag = "availability", operation_id = "availability_week",
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
    Params(q): Params<WeekQuery>,
) -> Result<Json<AvailabilityWeek>, Problem> {
    Ok(Json(
        availability::week(
            &state.db,
            &actor,
            state.clock.now(),
            q.dispatch_group_id.as_str(),
            q.programme_id.as_str(),
            q.week_commencing,
        )
        .await?,
    ))
}
