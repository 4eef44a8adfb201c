//! The GraphQL API. Served through our own handler rather than async-graphql's stock
//! service, which would accept `text/plain` bodies, GET queries and batches and so be open
//! to cross-site request forgery once cookie sessions exist.

pub mod accounts;
pub mod assets;
pub mod availability;
pub mod baselines;
pub mod configuration;
pub mod dispatch;
pub mod dispatch_settings;
pub mod limits;
pub mod readings;
pub mod settlement;
pub mod socket;

use crate::auth;
use crate::problem::Problem;
use crate::services::{Actor, ServiceError};
use crate::state::{AppState, Clock};
use async_graphql::{ErrorExtensions, MergedObject, Schema};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tower_http::services::ServeDir;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    assets::AssetsQuery,
    accounts::AccountsQuery,
    readings::ReadingsQuery,
    availability::AvailabilityQuery,
    baselines::BaselinesQuery,
    dispatch_settings::DispatchSettingsQuery,
    dispatch::DispatchEventsQuery,
    settlement::SettlementQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    accounts::AccountsMutation,
    readings::ReadingsMutation,
    availability::AvailabilityMutation,
    baselines::BaselinesMutation,
    configuration::ConfigurationMutation,
    dispatch_settings::DispatchSettingsMutation,
    dispatch::DispatchEventsMutation,
    settlement::SettlementMutation,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, dispatch::DispatchSubscription>;

pub fn build_schema(db: DatabaseConnection, clock: Arc<dyn Clock>, dev_mode: bool) -> AppSchema {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        dispatch::DispatchSubscription,
    )
    .data(db)
    .data(clock)
    .extension(limits::ShapeLimits)
    .limit_complexity(5_000)
    .limit_recursive_depth(32)
    .limit_directives(8);
    if dev_mode {
        // GraphiQL's introspection query nests `ofType` deeper than any real query.
        builder.limit_depth(20).finish()
    } else {
        builder
            .limit_depth(12)
            .disable_introspection()
            .disable_suggestions()
            .finish()
    }
}

/// The GraphQL routes, with the schema built once for them (the state knows no schema).
pub fn router(state: &AppState) -> Router<AppState> {
    let schema = build_schema(
        state.db.clone(),
        state.clock.clone(),
        state.settings.dev_mode,
    );
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(socket::graphql_ws))
        .route("/graphql/schema.graphql", get(schema_sdl))
        .nest_service(
            "/graphql/assets",
            ServeDir::new(state.settings.static_dir.join("graphiql")),
        )
        .layer(axum::Extension(schema))
}

/// What a resolver needs from its context: the database, the caller and `now`.
pub(crate) fn caller<'a>(
    ctx: &async_graphql::Context<'a>,
) -> async_graphql::Result<(&'a DatabaseConnection, &'a Actor, DateTime<Utc>)> {
    let db = ctx.data::<DatabaseConnection>()?;
    let clock = ctx.data::<Arc<dyn Clock>>()?;
    let actor = ctx
        .data_opt::<Actor>()
        .ok_or_else(|| gql_error(ServiceError::Unauthenticated))?;
    Ok((db, actor, clock.now()))
}

/// A refused field as GraphQL names it: input fields in camelCase (`power_change_kw` is
/// `powerChangeKw`, `window.start_utc` is `window.startUtc`); CSV columns as the file does.
fn graphql_field(f: &crate::services::FieldError) -> String {
    if f.csv_column {
        f.field.clone()
    } else {
        shared::case::camel_case(&f.field)
    }
}

/// Maps a service error to a GraphQL error with a matchable `extensions.code`.
pub(crate) fn gql_error(e: ServiceError) -> async_graphql::Error {
    let code = e.code();
    if let ServiceError::Internal(err) = &e {
        tracing::error!(error = %err, "GraphQL resolver failed");
    }
    let message = match &e {
        ServiceError::Invalid(errors) => errors
            .iter()
            .map(|f| format!("{}: {}", graphql_field(f), f.reason))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    async_graphql::Error::new(message).extend_with(|_, ext| {
        ext.set("code", code);
        if let ServiceError::Invalid(errors) = &e
            && let Some(first) = errors.first()
        {
            ext.set("field", graphql_field(first));
            let all: Vec<async_graphql::Value> = errors
                .iter()
                .map(|f| async_graphql::Value::String(graphql_field(f)))
                .collect();
            ext.set("fields", async_graphql::Value::List(all));
            // Each refusal in full, with its row or CSV line where it has one.
            let detailed: Vec<async_graphql::Value> = errors
                .iter()
                .map(|f| {
                    let mut entry = async_graphql::indexmap::IndexMap::new();
                    if let Some(index) = f.index {
                        entry.insert(
                            async_graphql::Name::new("index"),
                            async_graphql::Value::from(index),
                        );
                    }
                    entry.insert(
                        async_graphql::Name::new("field"),
                        async_graphql::Value::from(graphql_field(f)),
                    );
                    entry.insert(
                        async_graphql::Name::new("reason"),
                        async_graphql::Value::from(f.reason.clone()),
                    );
                    async_graphql::Value::Object(entry)
                })
                .collect();
            ext.set("errors", async_graphql::Value::List(detailed));
        }
    })
}

/// `POST /graphql`: one JSON-encoded operation.
async fn graphql_post(
    State(state): State<AppState>,
    axum::Extension(schema): axum::Extension<AppSchema>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(p) = auth::check_same_origin(&state, &headers) {
        return p.into_response();
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "GraphQL requests must be sent as Content-Type: application/json",
        )
        .into_response();
    }
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return Problem::new(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("body is not JSON: {e}"),
            )
            .into_response();
        }
    };
    if !value.is_object() {
        return Problem::new(
            StatusCode::BAD_REQUEST,
            "BATCH_NOT_SUPPORTED",
            "send exactly one GraphQL operation as a JSON object; batches are not supported",
        )
        .into_response();
    }
    let request: async_graphql::Request = match serde_json::from_value(value) {
        Ok(r) => r,
        Err(e) => {
            return Problem::new(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("not a GraphQL request: {e}"),
            )
            .into_response();
        }
    };
    // Nothing in the schema is public: without a caller the request goes no further.
    let request = match auth::caller(&state, &headers).await {
        // Mutations that send e-mail reach the mailer and keys through the state.
        Ok(actor) => request.data(actor).data(state.clone()),
        Err(e) => return Problem::from(e).into_response(),
    };
    let response = schema.execute(request).await;
    axum::Json(response).into_response()
}

/// `GET /graphql`: the GraphiQL explorer in dev mode. Operations are never run over GET.
async fn graphql_get(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    if query.is_some_and(|q| !q.is_empty()) || !state.settings.dev_mode {
        let mut response = Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "GraphQL operations must be sent with POST and Content-Type: application/json",
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return response;
    }
    // GraphiQL (dev mode only) runs an inline script and builds styles at run time.
    (
        [(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        )],
        Html(GRAPHIQL_HTML),
    )
        .into_response()
}

/// The schema in SDL, for integrators' code generators.
async fn schema_sdl(axum::Extension(schema): axum::Extension<AppSchema>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        schema.sdl(),
    )
}

/// GraphiQL, loading its scripts from this server (no CDN: control-room networks are
/// often offline).
const GRAPHIQL_HTML: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Openflex GraphQL explorer</title>
<link rel="stylesheet" href="/graphql/assets/graphiql.min.css">
<style>body{margin:0;height:100vh}#graphiql{height:100vh}</style>
</head>
<body>
<div id="graphiql">Loading the GraphQL explorer… (its files are served from /graphql/assets)</div>
<script src="/graphql/assets/react.production.min.js"></script>
<script src="/graphql/assets/react-dom.production.min.js"></script>
<script src="/graphql/assets/graphiql.min.js"></script>
<script>
const fetcher = GraphiQL.createFetcher({ url: '/graphql' });
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true }));
</script>
</body>
</html>
"#;
