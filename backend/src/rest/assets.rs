//! Zones, dispatch groups and meterable units.

use super::Caller;
use crate::problem::{Problem, ProblemDetails};
use crate::services::assets;
use crate::state::AppState;
use axum::extract::{Path, Query, State, rejection::QueryRejection};
use axum::response::Json;
use serde::Deserialize;
use shared::{DispatchGroup, DispatchGroupWeek, MeterableUnit, WeekCommencing, Zone, ZoneSlug};
use utoipa::IntoParams;

/// Zones the caller may see, with their programmes.
#[utoipa::path(get, path = "/api/v2/zones", tag = "assets",
    responses(
        (status = 200, body = Vec<Zone>),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn zones(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<Zone>>, Problem> {
    Ok(Json(
        assets::list_zones(&state.db, &actor, state.clock.now()).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DispatchGroupsQuery {
    /// Zone id, e.g. `twilight-zone`.
    zone_id: Option<String>,
    /// A Monday, `YYYY-MM-DD`; default: the current week (Europe/London).
    week_commencing: Option<String>,
}

/// The caller's dispatch groups in a zone for one week: runtimes, baseline, marketplace
/// units, meterable units and prices per programme.
#[utoipa::path(get, path = "/api/v2/dispatch-groups", tag = "assets",
    params(DispatchGroupsQuery),
    responses(
        (status = 200, body = DispatchGroupWeek),
        (status = 400, description = "A parameter is missing or malformed", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such zone, or not one the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn dispatch_groups(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<DispatchGroupsQuery>, QueryRejection>,
) -> Result<Json<DispatchGroupWeek>, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    let zone = zone_param(q.zone_id.as_deref())?;
    let week = q
        .week_commencing
        .as_deref()
        .map(|w| WeekCommencing::parse(w).map_err(|e| Problem::bad_parameter("week_commencing", e)))
        .transpose()?;
    let now = state.clock.now();
    Ok(Json(
        assets::list_dispatch_groups(&state.db, &actor, now, &zone, week).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeterableUnitsQuery {
    /// Zone id, e.g. `twilight-zone`.
    zone_id: Option<String>,
}

/// The caller's meterable units in a zone; their ids are the ones the readings API takes.
#[utoipa::path(get, path = "/api/v2/meterable-units", tag = "assets",
    params(MeterableUnitsQuery),
    responses(
        (status = 200, body = Vec<MeterableUnit>),
        (status = 400, description = "A parameter is missing or malformed", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such zone, or not one the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn meterable_units(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<MeterableUnitsQuery>, QueryRejection>,
) -> Result<Json<Vec<MeterableUnit>>, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    let zone = zone_param(q.zone_id.as_deref())?;
    Ok(Json(
        assets::list_meterable_units(&state.db, &actor, state.clock.now(), &zone).await?,
    ))
}

/// A zone id that cannot exist is simply not found.
fn zone_param(value: Option<&str>) -> Result<ZoneSlug, Problem> {
    let value = value.ok_or_else(|| Problem::bad_parameter("zone_id", "is required"))?;
    ZoneSlug::parse(value).map_err(|_| Problem::not_found("zone"))
}

/// One dispatch group by id.
#[utoipa::path(get, path = "/api/v2/dispatch-groups/{id}", tag = "assets",
    params(("id" = String, Path, description = "Dispatch group id")),
    responses(
        (status = 200, body = DispatchGroup),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such dispatch group, or not one the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn dispatch_group(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<DispatchGroup>, Problem> {
    Ok(Json(
        assets::get_dispatch_group(&state.db, &actor, state.clock.now(), &id).await?,
    ))
}

/// One meterable unit by id.
#[utoipa::path(get, path = "/api/v2/meterable-units/{id}", tag = "assets",
    params(("id" = String, Path, description = "Meterable unit id")),
    responses(
        (status = 200, body = MeterableUnit),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such meterable unit, or not one the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn meterable_unit(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<MeterableUnit>, Problem> {
    Ok(Json(
        assets::get_meterable_unit(&state.db, &actor, state.clock.now(), &id).await?,
    ))
}
