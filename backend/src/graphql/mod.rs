//! The GraphQL API. Served through our own handler rather than async-graphql's stock
//! service, which would accept `text/plain` bodies, GET queries and batches and so be open
//! to cross-site request forgery once cookie sessions exist.

pub mod accounts;
pub mod assets;
pub mod availability;
pub mod baselines;
pub mod configuration;
pub mod dispatch;
pub mod readings;
pub mod settlement;

use crate::app::{AppState, Clock};
use crate::auth;
use crate::rest::problem::Problem;
use crate::services::{Actor, ServiceError};
use async_graphql::{ErrorExtensions, MergedObject, Schema};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State, WebSocketUpgrade};
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
    dispatch::DispatchQuery,
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
    dispatch::DispatchMutation,
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

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(graphql_ws))
        .route("/graphql/schema.graphql", get(schema_sdl))
        .nest_service(
            "/graphql/assets",
            ServeDir::new(state.settings.static_dir.join("graphiql")),
        )
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

/// An RFC 3339 argument as a UTC instant, or an error naming the argument.
pub(crate) fn instant(field: &str, value: &str) -> async_graphql::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            gql_error(ServiceError::invalid(
                field,
                "must be an RFC 3339 time such as 2025-02-17T16:00:00Z",
            ))
        })
}

/// Maps a service error to a GraphQL error with a matchable `extensions.code`.
pub(crate) fn gql_error(e: ServiceError) -> async_graphql::Error {
    let code = match &e {
        ServiceError::Unauthenticated => "UNAUTHENTICATED",
        ServiceError::Forbidden(_) => "FORBIDDEN",
        ServiceError::NotFound(_) => "NOT_FOUND",
        ServiceError::Invalid(_) => "BAD_USER_INPUT",
        ServiceError::Conflict(_) => "CONFLICT",
        ServiceError::RateLimited { .. } => "RATE_LIMITED",
        ServiceError::Internal(err) => {
            tracing::error!(error = %err, "GraphQL resolver failed");
            "INTERNAL"
        }
    };
    let message = match &e {
        ServiceError::Invalid(errors) => errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.reason))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    async_graphql::Error::new(message).extend_with(|_, ext| {
        ext.set("code", code);
        if let ServiceError::Invalid(errors) = &e
            && let Some(first) = errors.first()
        {
            ext.set("field", first.field.clone());
            let all: Vec<async_graphql::Value> = errors
                .iter()
                .map(|f| async_graphql::Value::String(f.field.clone()))
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
                        async_graphql::Value::from(f.field.clone()),
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
async fn graphql_post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
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
    let response = state.schema.execute(request).await;
    axum::Json(response).into_response()
}

/// `GET /graphql/ws`: subscriptions (and any operation) over WebSocket, in the
/// `graphql-transport-ws` protocol or the older `graphql-ws`. The caller is the session or
/// `Authorization` header of the upgrade request or, for clients that cannot set headers,
/// `{"Authorization": "Bearer oflx_…"}` in the `connection_init` payload.
async fn graphql_ws(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
    headers: HeaderMap,
) -> Response {
    // Browsers send cookies with a socket opened from any site: only our own pages may.
    if let Err(p) = auth::check_same_origin(&state, &headers) {
        return p.into_response();
    }
    let mut data = async_graphql::Data::default();
    data.insert(state.clone());
    let credential = match auth::Credential::from_headers(&state, &headers) {
        Ok(credential) => credential,
        Err(e) => return Problem::from(e).into_response(),
    };
    let upgraded_as_someone = credential.is_some();
    if let Some(credential) = credential {
        match credential.actor(&state.db, state.clock.now()).await {
            Ok(actor) => data.insert(actor),
            Err(e) => return Problem::from(e).into_response(),
        }
        data.insert(credential);
    }
    let (db, clock, schema) = (state.db.clone(), state.clock.clone(), state.schema.clone());
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .with_data(data)
                .on_connection_init(move |payload| async move {
                    let mut data = async_graphql::Data::default();
                    if upgraded_as_someone {
                        return Ok(data);
                    }
                    let value = payload
                        .get("Authorization")
                        .or_else(|| payload.get("authorization"))
                        .and_then(|v| v.as_str());
                    let credential = auth::Credential::from_authorization(value).ok_or_else(|| {
                        async_graphql::Error::new(
                            "send {\"Authorization\": \"Bearer oflx_…\"} in connection_init, or \
                             connect with a session",
                        )
                    })?;
                    let actor = credential
                        .actor(&db, clock.now())
                        .await
                        .map_err(|e| async_graphql::Error::new(e.to_string()))?;
                    data.insert(actor);
                    data.insert(credential);
                    Ok(data)
                })
                .serve()
        })
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
    Html(GRAPHIQL_HTML).into_response()
}

/// The schema in SDL, for integrators' code generators.
async fn schema_sdl(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        state.schema.sdl(),
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
