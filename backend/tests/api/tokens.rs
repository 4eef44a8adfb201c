//! API access tokens for FSP systems.

use crate::helpers::{Engine, SSEN, TestApp, both_databases, error_code};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use backend::db::entities::api_tokens;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

both_databases!(
    fsp_creates_a_token_and_its_systems_use_it_on_rest_and_graphql,
    a_new_token_revokes_the_old_one_at_once,
    a_token_sees_only_its_own_company,
    tokens_belong_to_fsp_companies_and_cannot_mint_tokens,
    a_malformed_or_unknown_bearer_is_unauthenticated,
    seed_demo_in_dev_mode_prints_a_working_api_token,
);

const CREATE: &str = "mutation { createApiToken { token info { hint createdAt lastUsedAt } } }";

async fn new_token(app: &TestApp, cookie: &str) -> String {
    let created = app.graphql_as(cookie, CREATE, json!({})).await;
    created["data"]["createApiToken"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {created}"))
        .to_owned()
}

async fn get_bearer(app: &TestApp, uri: &str, token: &str) -> crate::helpers::TestResponse {
    app.request(
        Request::get(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

async fn graphql_bearer(app: &TestApp, query: &str, token: &str) -> (StatusCode, Value) {
    let response = app
        .request(
            Request::post("/graphql")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(json!({ "query": query }).to_string()))
                .expect("request"),
        )
        .await;
    (response.status, response.json())
}

async fn fsp_creates_a_token_and_its_systems_use_it_on_rest_and_graphql(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let user = app.sign_up_participant("api@twilight.example").await;
    let none = app
        .graphql_as(&user.cookie, "{ apiToken { hint } }", json!({}))
        .await;
    assert_eq!(none["data"]["apiToken"], Value::Null);

    let token = new_token(&app, &user.cookie).await;
    assert!(
        token.starts_with("oflx_") && token.len() >= 5 + 43,
        "{token}"
    );
    let shown = app
        .graphql_as(&user.cookie, "{ apiToken { hint lastUsedAt } }", json!({}))
        .await;
    assert_eq!(
        shown["data"]["apiToken"]["hint"],
        format!("oflx_…{}", &token[token.len() - 4..])
    );
    assert_eq!(shown["data"]["apiToken"]["lastUsedAt"], Value::Null);

    let zones = get_bearer(&app, "/api/v2/zones", &token).await;
    assert_eq!(zones.status, StatusCode::OK, "{}", zones.text());
    assert_eq!(zones.json().as_array().map(Vec::len), Some(2));
    let (status, gql) = graphql_bearer(&app, "{ zones { id } }", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        gql["data"]["zones"].as_array().map(Vec::len),
        Some(2),
        "{gql}"
    );

    let used = app
        .graphql_as(&user.cookie, "{ apiToken { lastUsedAt } }", json!({}))
        .await;
    assert!(used["data"]["apiToken"]["lastUsedAt"].is_string(), "{used}");
    let stored = api_tokens::Entity::find()
        .all(&app.db)
        .await
        .expect("tokens");
    assert!(
        stored
            .iter()
            .all(|t| t.token_hash != token && !token.contains(&t.token_hash))
    );
    assert!(
        stored
            .iter()
            .any(|t| t.token_hash == backend::crypto::digest(&token))
    );
}

async fn a_new_token_revokes_the_old_one_at_once(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let user = app.sign_up_participant("rotate@twilight.example").await;
    let old = new_token(&app, &user.cookie).await;
    let new = new_token(&app, &user.cookie).await;
    assert_ne!(old, new);
    let refused = get_bearer(&app, "/api/v2/zones", &old).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.content_type(), "application/problem+json");
    assert_eq!(
        get_bearer(&app, "/api/v2/zones", &new).await.status,
        StatusCode::OK
    );
}

async fn a_token_sees_only_its_own_company(engine: Engine) {
    let ssen = TestApp::spawn(engine, Some(SSEN)).await;
    let skye = ssen
        .get("/api/v2/dispatch-groups?zone_id=isle-of-skye")
        .await
        .json();
    let other_group = skye["dispatch_groups"][0]["id"]
        .as_str()
        .expect("group")
        .to_owned();
    let user = ssen.sign_up_participant("scoped@twilight.example").await;
    let token = new_token(&ssen, &user.cookie).await;
    let response = get_bearer(
        &ssen,
        &format!("/api/v2/dispatch-groups/{other_group}"),
        &token,
    )
    .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    let (_, gql) = graphql_bearer(
        &ssen,
        &format!("{{ dispatchGroup(id: \"{other_group}\") {{ id }} }}"),
        &token,
    )
    .await;
    assert_eq!(error_code(&gql), Some("NOT_FOUND"));
}

async fn tokens_belong_to_fsp_companies_and_cannot_mint_tokens(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let operator = app.sign_up_operator("tok@ssen.example", "SSEN").await;
    let refused = app.graphql_as(&operator.cookie, CREATE, json!({})).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));
    let user = app.sign_up_participant("mint@twilight.example").await;
    let token = new_token(&app, &user.cookie).await;
    let (_, minted) = graphql_bearer(&app, CREATE, &token).await;
    assert_eq!(error_code(&minted), Some("FORBIDDEN"), "{minted}");
}

async fn a_malformed_or_unknown_bearer_is_unauthenticated(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    for token in [
        "",
        "not-a-token",
        "oflx_unknownunknownunknownunknownunknownunkno",
    ] {
        let response = get_bearer(&app, "/api/v2/zones", token).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{token:?}");
    }
}

async fn seed_demo_in_dev_mode_prints_a_working_api_token(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_openflex"))
        .arg("seed-demo")
        .env("DATABASE_URL", app.database_url())
        .env("OPENFLEX_DEV_MODE", "true")
        .env(
            "OPENFLEX_SECRET_KEY",
            backend::crypto::SecretBox::generate_key().expect("key"),
        )
        .env("OPENFLEX_PUBLIC_URL", "http://localhost:8080")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the openflex binary runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let token = stdout
        .split_whitespace()
        .find(|w| w.starts_with("oflx_"))
        .unwrap_or_else(|| panic!("no token in: {stdout}"));
    assert!(
        stdout.contains(&format!("Bearer {token}"))
            && stdout.contains(backend::seed::API_TEST_UNIT_ID)
            && stdout.contains("http://localhost:8080/api/v2/readings"),
        "no example curl: {stdout}"
    );
    let response = app
        .request(
            Request::post("/api/v2/readings")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(
                    json!({"readings": [{
                        "meterable_unit_id": backend::seed::API_TEST_UNIT_ID,
                        "timestamp": "2025-02-01T02:00:00Z",
                        "power_kw": -907.99
                    }]})
                    .to_string(),
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}
