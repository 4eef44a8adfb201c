//! The REST Participant API (`/api/v2`). Handlers authenticate, parse, call one service
//! function and map its error; the OpenAPI document is generated from these handlers.

pub mod assets;
pub mod auth;
pub mod availability;
pub mod contract;
pub mod dispatches;
mod document;
pub mod params;
pub mod readings;
pub mod settlement;

use crate::state::AppState;

use crate::problem::Problem;
use crate::services::Actor;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::routing::{MethodRouter, on};
use utoipa::OpenApi;

pub use crate::problem::ProblemDetails;
pub use document::{document, document_json};

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
            `code` (listed below; GraphQL answers with the same codes), a `correlation_id`, \
            and for refused input an `errors` list naming each field (snake_case, as in the \
            request; a CSV column as the file names it) and, in batches, its row or CSV line."
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
        settlement::event_reports,
        settlement::event_report,
        settlement::statements_list,
        settlement::statement,
        settlement::event_reports_zip,
        settlement::statements_zip,
        settlement::sample,
        document::openapi_json,
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
    components(schemas(
        ProblemDetails,
        // Parameter types: their schemas are what the handlers parse.
        shared::PublicId,
        shared::ZoneSlug,
        shared::WeekCommencing,
        shared::Instant,
        shared::Month,
        shared::StatementId,
        shared::ReadingsCursor,
        shared::PageLimit,
        shared::IdempotencyKey,
        shared::TableFormat,
        shared::FileFormat,
        shared::EventDocument,
        shared::SampleKind,
        shared::webhooks::Start,
        shared::webhooks::Stop,
        shared::webhooks::Cancel,
        shared::webhooks::EmergencyStop,
        shared::webhooks::Schedule,
    )),
    tags((name = "assets", description = "Zones, dispatch groups and meterable units"),
         (name = "readings", description = "Meter readings from FSP systems"),
         (name = "availability", description = "Availability declarations, entered by the operator, and their acceptance"),
         (name = "dispatch", description = "Dispatches of the company's groups and their messages' delivery"),
         (name = "reports", description = "Event performance reports, earnings and monthly statements"),
         (name = "auth", description = "Signing in: password, then an authenticator code"),
         (name = "meta", description = "The API's own description"),
         (name = "webhooks", description = "Messages Openflex posts to the FSP's endpoint (`{base url}/dispatch`): the dispatch receiver's contract"))
)]
pub struct ApiDoc;

/// One REST route: method, path under its mount point, handler.
pub type Route = (Method, &'static str, MethodRouter<AppState>);

fn route<H, T>(method: Method, path: &'static str, handler: H) -> Route
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    let filter = axum::routing::MethodFilter::try_from(method.clone())
        .unwrap_or(axum::routing::MethodFilter::GET);
    (method, path, on(filter, handler))
}

/// The sign-in endpoints, mounted at `/auth`.
fn auth_routes() -> Vec<Route> {
    vec![
        route(Method::POST, "/login", auth::login),
        route(Method::GET, "/totp/setup", auth::totp_setup),
        route(Method::POST, "/totp/setup", auth::totp_setup_finish),
        route(Method::POST, "/totp", auth::totp),
        route(Method::POST, "/activate", auth::activate),
        route(Method::POST, "/logout", auth::logout),
        route(Method::POST, "/password/forgot", auth::forgot_password),
        route(Method::POST, "/password", auth::change_password),
        route(Method::POST, "/step-up", auth::step_up),
        route(
            Method::POST,
            "/passkey/register/begin",
            auth::passkey_register_begin,
        ),
        route(
            Method::POST,
            "/passkey/register/finish",
            auth::passkey_register_finish,
        ),
        route(Method::POST, "/passkey/begin", auth::passkey_begin),
        route(Method::POST, "/passkey/finish", auth::passkey_finish),
    ]
}

/// The Participant API, mounted at `/api/v2`.
fn participant_routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/zones", assets::zones),
        route(Method::GET, "/dispatch-groups", assets::dispatch_groups),
        route(Method::GET, "/meterable-units", assets::meterable_units),
        route(Method::GET, "/dispatch-groups/{id}", assets::dispatch_group),
        route(Method::GET, "/meterable-units/{id}", assets::meterable_unit),
        route(Method::POST, "/readings", readings::ingest),
        route(Method::GET, "/readings", readings::export),
        route(Method::GET, "/readings/latest", readings::latest),
        route(Method::POST, "/readings/csv", readings::ingest_csv),
        route(Method::GET, "/availability", availability::week),
        route(
            Method::GET,
            "/accepted-availability",
            availability::accepted,
        ),
        route(Method::GET, "/dispatches", dispatches::list),
        route(Method::GET, "/dispatches/{id}", dispatches::one),
        route(Method::GET, "/event-reports", settlement::event_reports),
        route(
            Method::GET,
            "/event-reports/zip",
            settlement::event_reports_zip,
        ),
        route(Method::GET, "/event-reports/{id}", settlement::event_report),
        route(Method::GET, "/statements", settlement::statements_list),
        route(Method::GET, "/statements/zip", settlement::statements_zip),
        route(Method::GET, "/sample-reports/{kind}", settlement::sample),
        route(Method::GET, "/statements/{id}", settlement::statement),
        route(Method::GET, "/openapi.json", document::openapi_json),
    ]
}

fn build(routes: Vec<Route>) -> Router<AppState> {
    routes
        .into_iter()
        .fold(Router::new(), |router, (_, path, handler)| {
            router.route(path, handler)
        })
}

/// Every REST route served, as method and full path. The routers are built from the same
/// tables, so this is exactly what they serve (tests enumerate it).
pub fn route_list() -> Vec<(Method, String)> {
    let mounted = |prefix: &str, routes: Vec<Route>| {
        routes
            .into_iter()
            .map(|(method, path, _)| (method, format!("{prefix}{path}")))
            .collect::<Vec<_>>()
    };
    let mut all = mounted("/api/v2", participant_routes());
    all.extend(mounted("/auth", auth_routes()));
    all
}

pub fn auth_router() -> Router<AppState> {
    build(auth_routes())
}

pub fn router() -> Router<AppState> {
    build(participant_routes()).fallback(|| async {
        Problem::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such API route")
    })
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
