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
);

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
