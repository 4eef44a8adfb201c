//! Builds the application's router over its state. Binding a port is the caller's
//! business, so tests drive the router in-process.

pub use crate::state::{AppState, Clock, ShiftedClock, StateError, SystemClock};
use crate::{graphql, rest, web};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use std::time::Duration;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// No request may hold a connection longer than this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub fn router(state: AppState) -> Router {
    // Answers that carry credentials or tenants' data are never stored by a browser or a
    // shared cache.
    let no_store = || {
        SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        )
    };
    let throttle =
        || axum::middleware::from_fn_with_state(state.clone(), crate::auth::throttle_requests);
    let mut app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(graphql::router(&state).layer(no_store()).layer(throttle()))
        .nest(
            "/api/v2",
            rest::router().layer(no_store()).layer(throttle()),
        )
        .nest("/auth", rest::auth_router().layer(no_store()))
        .merge(web::router(&state.settings))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            web::content_security_policy(&state.settings),
        ));
    if state.settings.public_url.starts_with("https://") {
        app = app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    app.layer(TimeoutLayer::with_status_code(
        StatusCode::SERVICE_UNAVAILABLE,
        REQUEST_TIMEOUT,
    ))
    .layer(SetResponseHeaderLayer::if_not_present(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
    .layer(SetResponseHeaderLayer::if_not_present(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    ))
    .layer(SetResponseHeaderLayer::if_not_present(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    ))
    .layer(axum::middleware::from_fn_with_state(
        state.trusted_proxies.clone(),
        crate::client::layer,
    ))
    .layer(TraceLayer::new_for_http())
    .with_state(state)
}

/// Readiness, for a load balancer or an orchestrator: the database answers, every migration
/// this build knows is applied, and the scheduler and delivery worker have finished a pass
/// recently. 503, naming what is not ready, otherwise.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    use migrations::MigratorTrait;
    let database = state.db.ping().await.is_ok();
    let migrations = database
        && migrations::Migrator::get_pending_migrations(&state.db)
            .await
            .is_ok_and(|pending| pending.is_empty());
    let scheduler = state
        .heartbeats
        .scheduler_within(crate::jobs::SCHEDULER_STALE);
    let delivery = state
        .heartbeats
        .delivery_within(crate::jobs::DELIVERY_STALE);
    let ready = database && migrations && scheduler && delivery;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "ok" } else { "not ready" };
    (
        status,
        Json(serde_json::json!({
            "status": word(ready),
            "database": word(database),
            "migrations": word(migrations),
            "scheduler": word(scheduler),
            "delivery": word(delivery),
        })),
    )
}

/// Liveness and database reachability.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ok", "database": "ok"})),
        ),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "degraded", "database": "unreachable"})),
            )
        }
    }
}
