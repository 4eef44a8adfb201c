//! The GraphQL endpoint's transport rules: JSON POST only, one operation, same origin.

use crate::helpers::{Engine, TWILIGHT, TestApp, both_databases};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

both_databases!(
    text_plain_body_is_refused,
    get_carrying_an_operation_is_refused,
    batch_is_refused,
    cross_site_requests_are_refused,
    same_origin_browser_request_is_served,
    unauthenticated_caller_gets_an_unauthenticated_error,
    graphiql_is_served_in_dev_mode_without_a_cdn,
    introspection_is_off_outside_dev_mode,
    graphiql_introspection_query_runs_in_dev_mode,
    overly_deep_query_is_refused_in_production,
);

/// The introspection query GraphiQL sends (graphql-js `getIntrospectionQuery`).
const INTROSPECTION: &str =
    "query IntrospectionQuery { __schema { queryType { name } mutationType { name }
  subscriptionType { name } types { ...FullType } directives { name description locations
  args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name
  description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true)
  { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name } } } } } } } } } } }";

fn post(content_type: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(Method::POST)
        .uri("/graphql")
        .header("content-type", content_type)
}

const ZONES: &str = r#"{"query":"{ zones { id } }"}"#;

async fn text_plain_body_is_refused(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let response = app
        .request(post("text/plain").body(Body::from(ZONES)).expect("request"))
        .await;
    assert_eq!(response.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(response.content_type(), "application/problem+json");
}

async fn get_carrying_an_operation_is_refused(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    for uri in [
        "/graphql?query=mutation%20%7B%20x%20%7D",
        "/graphql?query=%7B%20zones%20%7B%20id%20%7D%20%7D",
    ] {
        let response = app.get(uri).await;
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED, "{uri}");
        assert_eq!(
            response.headers.get("allow").map(|v| v.as_bytes()),
            Some(&b"POST"[..])
        );
    }
}

async fn batch_is_refused(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let batch = format!("[{ZONES},{ZONES}]");
    let response = app
        .request(
            post("application/json")
                .body(Body::from(batch.clone()))
                .expect("request"),
        )
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.json()["code"], "BATCH_NOT_SUPPORTED");
}

async fn cross_site_requests_are_refused(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let cross_site = app
        .request(
            post("application/json")
                .header("sec-fetch-site", "cross-site")
                .body(Body::from(ZONES))
                .expect("request"),
        )
        .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    let foreign_origin = app
        .request(
            post("application/json")
                .header("origin", "https://evil.example")
                .header("host", "localhost:8080")
                .body(Body::from(ZONES))
                .expect("request"),
        )
        .await;
    assert_eq!(foreign_origin.status, StatusCode::FORBIDDEN);
}

async fn same_origin_browser_request_is_served(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let response = app
        .request(
            post("application/json; charset=utf-8")
                .header("origin", "http://localhost:8080")
                .header("sec-fetch-site", "same-origin")
                .body(Body::from(ZONES))
                .expect("request"),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert!(response.json()["data"]["zones"].is_array());
}

async fn unauthenticated_caller_gets_an_unauthenticated_error(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let body = json!({"query": "{ zones { id } }"});
    let response = app.post_json("/graphql", body, None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.json()["code"], "UNAUTHENTICATED");
    let rest = app.get("/api/v2/zones").await;
    assert_eq!(rest.status, StatusCode::UNAUTHORIZED);
    assert_eq!(rest.content_type(), "application/problem+json");
}

async fn graphiql_is_served_in_dev_mode_without_a_cdn(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let page = app.get("/graphql").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("/graphql/assets/graphiql.min.js"));
    assert!(
        !html.contains("https://"),
        "GraphiQL must not load from a CDN"
    );
    let sdl = app.get("/graphql/schema.graphql").await;
    assert!(sdl.text().contains("type Query"), "{}", sdl.text());
    assert!(sdl.text().contains("dispatchGroups("), "{}", sdl.text());
}

async fn introspection_is_off_outside_dev_mode(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| {
        s.dev_mode = false;
    })
    .await;
    let user = app.sign_up_participant("intro@example.com").await;
    let response = app
        .graphql_as(&user.cookie, "{ __schema { types { name } } }", json!({}))
        .await;
    assert_eq!(
        response["data"]["__schema"],
        serde_json::Value::Null,
        "{response}"
    );
    // Empty because introspection is off, not for some other reason: the same query by
    // the same kind of user on a dev-mode server answers with the schema.
    let dev = TestApp::spawn(engine, None).await;
    let dev_user = dev.sign_up_participant("intro@example.com").await;
    let answered = dev
        .graphql_as(
            &dev_user.cookie,
            "{ __schema { types { name } } }",
            json!({}),
        )
        .await;
    assert!(
        answered["data"]["__schema"]["types"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{answered}"
    );
    assert_eq!(
        app.get("/graphql").await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

async fn graphiql_introspection_query_runs_in_dev_mode(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let response = app.graphql(INTROSPECTION, json!({})).await;
    assert!(response["errors"].is_null(), "{response}");
    assert_eq!(
        response["data"]["__schema"]["queryType"]["name"],
        "QueryRoot"
    );
}

async fn overly_deep_query_is_refused_in_production(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| {
        s.dev_mode = false;
    })
    .await;
    let user = app.sign_up_participant("deep@example.com").await;
    let nested = (0..14).fold("kind".to_owned(), |inner, _| {
        format!("ofType {{ {inner} }}")
    });
    let too_deep = format!("{{ __type(name: \"Zone\") {{ {nested} }} }}");
    let response = app.graphql_as(&user.cookie, &too_deep, json!({})).await;
    assert_eq!(
        response["errors"][0]["message"], "Query is nested too deep.",
        "{response}"
    );
}

/// The GraphQL schema is pinned in `backend/tests/fixtures/schema.graphql`, so that every
/// change to what integrators see shows in review. After a deliberate change:
/// `OPENFLEX_UPDATE_SCHEMA=1 cargo test -p backend --test api the_schema_is_pinned`.
#[tokio::test]
async fn the_schema_is_pinned() {
    let app = TestApp::spawn(Engine::Sqlite, None).await;
    let live = app.get("/graphql/schema.graphql").await.text();
    let pinned_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema.graphql");
    if std::env::var_os("OPENFLEX_UPDATE_SCHEMA").is_some() {
        std::fs::write(&pinned_path, &live).expect("write the pinned schema");
    }
    let pinned = std::fs::read_to_string(&pinned_path).expect("the pinned schema");
    if live != pinned {
        let first = live
            .lines()
            .zip(pinned.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| live.lines().count().min(pinned.lines().count()));
        panic!(
            "the GraphQL schema differs from tests/fixtures/schema.graphql from line {}: \
             live {:?}, pinned {:?}. If the change is meant, update the pin (see this test's \
             doc comment) and review the diff.",
            first + 1,
            live.lines().nth(first),
            pinned.lines().nth(first)
        );
    }
}

/// Every operation the browser app sends (`frontend/graphql/**/*.graphql`) is valid against
/// the live schema: an unknown field, argument or type fails here, not in a user's browser.
/// Each runs without a caller, so its resolvers refuse (UNAUTHENTICATED) and nothing is
/// written; only validation errors, which carry no code, count.
#[tokio::test]
async fn every_browser_operation_matches_the_schema() {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "graphql") {
                out.push(path);
            }
        }
    }
    let app = TestApp::spawn(Engine::Sqlite, None).await;
    let schema = backend::graphql::build_schema(app.db.clone(), app.state.clock.clone(), true);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/graphql");
    let mut operations = Vec::new();
    files(&root, &mut operations);
    assert!(
        !operations.is_empty(),
        "no operations under {}",
        root.display()
    );
    let mut refused = Vec::new();
    for path in &operations {
        let text = std::fs::read_to_string(path).expect("operation");
        let response = schema.execute(async_graphql::Request::new(text)).await;
        for error in &response.errors {
            let coded = error
                .extensions
                .as_ref()
                .and_then(|e| e.get("code"))
                .is_some();
            // Variable values are the caller's at run time, not part of the operation: a
            // value not given here is fine (an undeclared variable says "by operation").
            let about_a_value = error.message.starts_with("Variable ")
                && error.message.ends_with(" is not defined.")
                && !error.message.contains("by operation");
            if !coded && !about_a_value {
                refused.push(format!("{}: {}", path.display(), error.message));
            }
        }
    }
    assert!(refused.is_empty(), "{refused:#?}");
}
