//! Dispatches (guide §3.7): what the operator has dispatched to the caller's groups, with
//! each message's delivery state. The webhook is the signal; this is for reconciling.

use super::Caller;
use super::params::{Params, PathParam};
use crate::problem::{Problem, ProblemDetails};
use crate::services::dispatch;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Json;
use serde::Deserialize;
use shared::{Dispatch, Instant, PublicId};
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DispatchesQuery {
    /// Start of the period, RFC 3339 (dispatches ending after it are listed).
    #[param(example = "2025-02-17T00:00:00Z")]
    from: Instant,
    /// End of the period, RFC 3339, at most 93 days after `from` (dispatches starting
    /// before it are listed).
    #[param(example = "2025-02-24T00:00:00Z")]
    to: Instant,
}

/// The dispatches of the caller's dispatch groups overlapping `[from, to)`, by start, each
/// with its messages (START, STOP, CANCEL, EMERGENCY_STOP) and their delivery state.
#[utoipa::path(get, path = "/api/v2/dispatches", tag = "dispatch", operation_id = "dispatches",
    params(DispatchesQuery),
    responses(
        (status = 200, body = Vec<Dispatch>),
        (status = 400, description = "from or to missing or malformed", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "`to` not after `from`, or more than 93 days after it", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Params(q): Params<DispatchesQuery>,
) -> Result<Json<Vec<Dispatch>>, Problem> {
    Ok(Json(
        dispatch::list(&state.db, &actor, q.from.utc(), q.to.utc()).await?,
    ))
}

/// One dispatch of the caller's groups by its id, with its messages.
#[utoipa::path(get, path = "/api/v2/dispatches/{id}", tag = "dispatch", operation_id = "dispatch",
    params(("id" = PublicId, Path, description = "The dispatch id")),
    responses(
        (status = 200, body = Dispatch),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such dispatch the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn one(
    State(state): State<AppState>,
    Caller(actor): Caller,
    PathParam(id): PathParam<PublicId>,
) -> Result<Json<Dispatch>, Problem> {
    Ok(Json(dispatch::get(&state.db, &actor, id.as_str()).await?))
}
