//! One error contract: the same refusal has the same code and field on REST and GraphQL,
//! and a unique-key race is a conflict, never an internal error.

use crate::helpers::{Engine, TestApp, both_databases, error_code};
use axum::http::StatusCode;
use backend::seed::API_TEST_UNIT_ID;
use backend::services::ServiceError;
use serde_json::json;

both_databases!(
    the_same_bad_input_is_refused_alike_on_rest_and_graphql,
    a_unique_key_race_is_a_conflict,
    a_body_of_another_type_or_too_large_is_refused_as_documented,
);

/// The statuses the OpenAPI document lists for every body: another media type is 415, a
/// body past the limit 413, malformed JSON 400; each a problem document with its code.
async fn a_body_of_another_type_or_too_large_is_refused_as_documented(engine: Engine) {
    use axum::body::Body;
    use axum::http::Request;
    let app = TestApp::spawn(engine, Some(crate::helpers::TWILIGHT)).await;
    let post = |uri: &str, content_type: &str, body: Vec<u8>| {
        Request::post(uri)
            .header("content-type", content_type)
            .body(Body::from(body))
            .expect("request")
    };
    let huge = format!("{{\"readings\": [\"{}\"]}}", "x".repeat(3 << 20)).into_bytes();
    for (uri, content_type, body, status, code) in [
        (
            "/api/v2/readings",
            "text/plain",
            b"{}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "/api/v2/readings",
            "application/json",
            b"{".to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "/api/v2/readings",
            "application/json",
            huge.clone(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
        ),
        (
            "/api/v2/readings/csv",
            "text/csv",
            huge,
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
        ),
        (
            "/auth/login",
            "text/plain",
            b"{}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
    ] {
        let response = app.request(post(uri, content_type, body)).await;
        assert_eq!(
            response.status,
            status,
            "{uri} {content_type}: {}",
            response.text()
        );
        assert_eq!(response.content_type(), "application/problem+json", "{uri}");
        assert_eq!(response.json()["code"], code, "{uri}");
    }
}

async fn the_same_bad_input_is_refused_alike_on_rest_and_graphql(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let fsp = app.sign_up_participant("errors@twilight.example").await;
    let rest = app
        .post_json(
            "/api/v2/readings",
            json!({"readings": [{"meterable_unit_id": API_TEST_UNIT_ID, "timestamp": "yesterday", "power_kw": 1.0}]}),
            Some(&fsp.cookie),
        )
        .await;
    assert_eq!(rest.status, StatusCode::UNPROCESSABLE_ENTITY);
    let rest = rest.json();
    let graphql = app
        .graphql_as(
            &fsp.cookie,
            "mutation($r: [ReadingInput!]!) { postReadings(readings: $r) { accepted } }",
            json!({"r": [{"meterableUnitId": API_TEST_UNIT_ID, "timestamp": "yesterday", "powerKw": 1.0}]}),
        )
        .await;
    assert_eq!(rest["code"], "INVALID_INPUT", "{rest}");
    assert_eq!(error_code(&graphql), Some("INVALID_INPUT"), "{graphql}");
    let ext = &graphql["errors"][0]["extensions"];
    assert_eq!(rest["errors"][0]["field"], ext["errors"][0]["field"]);
    assert_eq!(rest["errors"][0]["field"], "timestamp");
    assert_eq!(rest["errors"][0]["index"], ext["errors"][0]["index"]);
    assert_eq!(rest["errors"][0]["reason"], ext["errors"][0]["reason"]);

    // A field of several words: each transport names it in its own casing.
    let rest = app
        .post_json(
            "/api/v2/readings",
            json!({"readings": [{"meterable_unit_id": "MU-NOPE", "timestamp": "2025-02-17T16:00:00Z", "power_kw": 1.0}]}),
            Some(&fsp.cookie),
        )
        .await
        .json();
    let graphql = app
        .graphql_as(
            &fsp.cookie,
            "mutation($r: [ReadingInput!]!) { postReadings(readings: $r) { accepted } }",
            json!({"r": [{"meterableUnitId": "MU-NOPE", "timestamp": "2025-02-17T16:00:00Z", "powerKw": 1.0}]}),
        )
        .await;
    assert_eq!(rest["code"], "INVALID_INPUT", "{rest}");
    assert_eq!(error_code(&graphql), Some("INVALID_INPUT"), "{graphql}");
    assert_eq!(rest["errors"][0]["field"], "meterable_unit_id", "{rest}");
    let ext = &graphql["errors"][0]["extensions"];
    assert_eq!(ext["field"], "meterableUnitId", "{graphql}");
    assert_eq!(ext["errors"][0]["field"], "meterableUnitId", "{graphql}");
    assert_eq!(rest["errors"][0]["reason"], ext["errors"][0]["reason"]);
    assert!(
        graphql["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("meterableUnitId: ")),
        "{graphql}"
    );
}

async fn a_unique_key_race_is_a_conflict(engine: Engine) {
    use backend::db::entities::zones;
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let app = TestApp::spawn(engine, None).await;
    let existing = zones::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("a seeded zone");
    // What a second request that passed the same existence check would write.
    let duplicate = zones::ActiveModel {
        slug: Set(existing.slug.clone()),
        operator_id: Set(existing.operator_id),
        name: Set("Twice".to_owned()),
        sandbox: Set(false),
        created_at: Set(app.now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect_err("the slug is unique");
    let refusal = ServiceError::from(duplicate);
    assert_eq!(refusal.code(), "CONFLICT", "{refusal:?}");
    let problem = backend::problem::Problem::from(refusal);
    assert_eq!(problem.status, StatusCode::CONFLICT);
}

/// The codes the adapters answer with are exactly the ones `shared::ERROR_CODES` documents
/// (in the OpenAPI document and the GraphQL page): none missing, none stale.
#[test]
fn every_error_code_is_listed_once_and_every_listed_code_is_answered() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in ["rest", "graphql"] {
        for entry in std::fs::read_dir(src.join(dir))
            .expect("read_dir")
            .flatten()
        {
            files.push(entry.path());
        }
    }
    for file in ["problem.rs", "auth.rs", "services/mod.rs"] {
        files.push(src.join(file));
    }
    let mut answered = std::collections::BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source");
        // Every all-capitals string literal in the adapters is an error code.
        for piece in text.split('"').skip(1).step_by(2) {
            let code_like = piece.len() > 4
                && piece.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                && !piece.starts_with('_');
            if code_like {
                answered.insert(piece.to_owned());
            }
        }
    }
    let listed: std::collections::BTreeSet<String> = shared::ERROR_CODES
        .iter()
        .map(|(code, _)| (*code).to_owned())
        .collect();
    assert_eq!(
        listed.len(),
        shared::ERROR_CODES.len(),
        "a code listed twice"
    );
    assert_eq!(answered, listed);
    for refusal in [
        ServiceError::Unauthenticated,
        ServiceError::Forbidden(String::new()),
        ServiceError::NotFound("x"),
        ServiceError::invalid("x", "y"),
        ServiceError::Conflict(String::new()),
    ] {
        assert!(shared::is_error_code(refusal.code()), "{refusal:?}");
    }
}
