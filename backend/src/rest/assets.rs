//! Zones, dispatch groups and meterable units.

use super::Caller;
use super::params::{Params, PathParam};
use crate::problem::{Problem, ProblemDetails};
use crate::services::assets;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Json;
use serde::Deserialize;
use shared::{
    DispatchGroup, DispatchGroupWeek, MeterableUnit, PublicId, WeekCommencing, Zone, ZoneSlug,
};
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
    zone_id: ZoneSlug,
    /// The week; default: the current week (Europe/London).
    week_commencing: Option<WeekCommencing>,
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
    Params(q): Params<DispatchGroupsQuery>,
) -> Result<Json<DispatchGroupWeek>, Problem> {
    let now = state.clock.now();
    Ok(Json(
        assets::list_dispatch_groups(&state.db, &actor, now, &q.zone_id, q.week_commencing).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeterableUnitsQuery {
    /// Zone id, e.g. `twilight-zone`.
    zone_id: ZoneSlug,
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
    Params(q): Params<MeterableUnitsQuery>,
) -> Result<Json<Vec<MeterableUnit>>, Problem> {
    Ok(Json(
        assets::list_meterable_units(&state.db, &actor, state.clock.now(), &q.zone_id).await?,
    ))
}

/// One dispatch group by id.
#[utoipa::path(get, path = "/api/v2/dispatch-groups/{id}", tag = "assets",
    params(("id" = PublicId, Path, description = "Dispatch group id")),
    responses(
        (status = 200, body = DispatchGroup),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such dispatch group, or not one the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn dispatch_group(
    State(state): State<AppState>,
    Caller(actor): Caller,
    PathParam(id): PathParam<PublicId>,
) -> Result<Json<DispatchGroup>, Problem> {
    Ok(Json(
        assets::get_dispatch_group(&state.db, &actor, state.clock.now(), id.as_str()).await?,
    ))
}

/// One meterable unit by id.
#[utoipa::path(get, path = "/api/v2/meterable-units/{id}", tag = "assets",
    params(("id" = PublicId, Path, description = "Meterable unit id")),
    responses(
        (status = 200, body = MeterableUnit),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such meterable unit, or not one the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn meterable_unit(
    State(state): State<AppState>,
    Caller(actor): Caller,
    PathParam(id): PathParam<PublicId>,
) -> Result<Json<MeterableUnit>, Problem> {
    Ok(Json(
        assets::get_meterable_unit(&state.db, &actor, state.clock.now(), id.as_str()).await?,
    ))
}
