//! The REST Participant API (`/api/v2`). Handlers authenticate, parse, call one service
//! function and map its error; the OpenAPI document is generated from these handlers.

pub mod assets;
pub mod auth;
pub mod availability;
pub mod dispatches;
pub mod problem;
pub mod readings;
pub mod reports;

use crate::app::AppState;

use crate::services::Actor;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Json;
use axum::routing::{get, post};
use problem::Problem;
use utoipa::OpenApi;

pub use problem::ProblemDetails;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Openflex Participant API",
        version = "2",
        description = "REST API for Flexibility Service Providers: zones, dispatch groups, \
            meterable units, meter readings, availability, dispatches, event reports and statements.\n\n\
            Authentication: `Authorization: Bearer oflx_…` with the company's API token (API \
            Testing › My API Access Tokens), or the browser session. Times are UTC, RFC 3339; \
            readings are stamped with the end of their interval.\n\n\
            Errors are RFC 9457 problem details (`application/problem+json`) with a stable \
            `code` (BAD_REQUEST, INVALID_PARAMETER, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, \
            CONFLICT, INVALID_INPUT, RATE_LIMITED, INTERNAL), a `correlation_id`, and for \
            refused input an `errors` list naming each field (and, in batches, its row)."
    ),
    paths(
        assets::zones,
        assets::dispatch_groups,
        assets::meterable_units,
        assets::dispatch_group,
        assets::meterable_unit,
        readings::ingest,
        readings::ingest_csv,
        readings::latest,
        readings::export,
        availability::week,
        availability::accepted,
        dispatches::list,
        dispatches::one,
        reports::event_reports,
        reports::event_report,
        reports::statements_list,
        reports::statement,
        reports::event_reports_zip,
        reports::statements_zip,
        reports::sample,
        openapi_json,
        auth::login,
        auth::totp_setup,
        auth::totp_setup_finish,
        auth::totp,
        auth::activate,
        auth::logout,
        auth::forgot_password,
        auth::change_password,
        auth::step_up,
        auth::passkey_register_begin,
        auth::passkey_register_finish,
        auth::passkey_begin,
        auth::passkey_finish,
    ),
    components(schemas(ProblemDetails)),
    tags((name = "assets", description = "Zones, dispatch groups and meterable units"),
         (name = "readings", description = "Meter readings from FSP systems"),
         (name = "availability", description = "Availability declarations, entered by the operator, and their acceptance"),
         (name = "dispatch", description = "Dispatches of the company's groups and their messages' delivery"),
         (name = "reports", description = "Event performance reports, earnings and monthly statements"),
         (name = "auth", description = "Signing in: password, then an authenticator code"),
         (name = "meta", description = "The API's own description"))
)]
pub struct ApiDoc;

/// The sign-in endpoints, mounted at `/auth`.
pub fn auth_router() -> Router<AppState> {
    Router::new()
        .route("/login", post(auth::login))
        .route(
            "/totp/setup",
            get(auth::totp_setup).post(auth::totp_setup_finish),
        )
        .route("/totp", post(auth::totp))
        .route("/activate", post(auth::activate))
        .route("/logout", post(auth::logout))
        .route("/password/forgot", post(auth::forgot_password))
        .route("/password", post(auth::change_password))
        .route("/step-up", post(auth::step_up))
        .route(
            "/passkey/register/begin",
            post(auth::passkey_register_begin),
        )
        .route(
            "/passkey/register/finish",
            post(auth::passkey_register_finish),
        )
        .route("/passkey/begin", post(auth::passkey_begin))
        .route("/passkey/finish", post(auth::passkey_finish))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/zones", get(assets::zones))
        .route("/dispatch-groups", get(assets::dispatch_groups))
        .route("/meterable-units", get(assets::meterable_units))
        .route("/dispatch-groups/{id}", get(assets::dispatch_group))
        .route("/meterable-units/{id}", get(assets::meterable_unit))
        .route("/readings", post(readings::ingest).get(readings::export))
        .route("/readings/latest", get(readings::latest))
        .route("/readings/csv", post(readings::ingest_csv))
        .route("/availability", get(availability::week))
        .route("/accepted-availability", get(availability::accepted))
        .route("/dispatches", get(dispatches::list))
        .route("/dispatches/{id}", get(dispatches::one))
        .route("/event-reports", get(reports::event_reports))
        .route("/event-reports/zip", get(reports::event_reports_zip))
        .route("/event-reports/{id}", get(reports::event_report))
        .route("/statements", get(reports::statements_list))
        .route("/statements/zip", get(reports::statements_zip))
        .route("/sample-reports/{kind}", get(reports::sample))
        .route("/statements/{id}", get(reports::statement))
        .route("/openapi.json", get(openapi_json))
        .fallback(|| async {
            Problem::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such API route")
        })
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/v2/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

/// The OpenAPI document, with the actions reserved to operators spelled out (guide §3.2).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let mut description = doc.info.description.take().unwrap_or_default();
    description.push_str(
        "\n\nNot permitted to FSP participants (the operator performs these on their behalf; \
         the API answers 403 FORBIDDEN):\n",
    );
    for action in shared::OPERATOR_ONLY_ACTIONS {
        description.push_str(&format!("- {action}\n"));
    }
    doc.info.description = Some(description);

    use utoipa::openapi::security::{
        HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
    };
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "api_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("oflx_…")
                    .description(Some(
                        "The company's API token (API Testing › My API Access Tokens); \
                         a browser session cookie works too",
                    ))
                    .build(),
            ),
        );
    doc.security = Some(vec![SecurityRequirement::new(
        "api_token",
        Vec::<String>::new(),
    )]);
    // Signing in, and this document, need no token.
    for (path, item) in doc.paths.paths.iter_mut() {
        if path.starts_with("/auth/") || path == "/api/v2/openapi.json" {
            for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
                operation.security = Some(vec![SecurityRequirement::default()]);
            }
        }
    }
    doc
}

/// Whether the client asked for CSV (`Accept: text/csv`, with a non-zero quality).
pub fn accepts_csv(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            let mut parts = range.split(';').map(str::trim);
            parts
                .next()
                .is_some_and(|m| m.eq_ignore_ascii_case("text/csv"))
                && !parts.any(|p| {
                    p.strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                        .is_some_and(|q| q == 0.0)
                })
        })
}

/// The authenticated caller of a REST request.
pub struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        crate::auth::caller(state, &parts.headers)
            .await
            .map(Caller)
            .map_err(Problem::from)
    }
}
