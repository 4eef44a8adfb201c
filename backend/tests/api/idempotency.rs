//! `Idempotency-Key` on readings POSTs, as the IETF draft describes it.

use crate::helpers::{Engine, TWILIGHT, TestApp, TestResponse, both_databases};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use backend::db::entities::{fsp_companies, idempotency_keys};
use backend::seed::API_TEST_UNIT_ID;
use backend::services::idempotency;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

both_databases!(
    a_retry_with_the_same_key_gets_the_first_answer_and_writes_nothing,
    the_same_key_with_another_body_is_refused_and_stores_nothing,
    a_key_in_progress_gets_409_until_its_request_is_abandoned,
    keys_are_scoped_per_company_and_expire_after_a_day,
    a_refused_batch_is_the_kept_answer_and_malformed_keys_are_refused,
);

fn batch(kw: f64) -> Value {
    json!({"readings": [
        {"meterable_unit_id": API_TEST_UNIT_ID, "timestamp": "2025-02-01T01:59:00Z", "power_kw": kw},
        {"meterable_unit_id": API_TEST_UNIT_ID, "timestamp": "2025-02-01T02:00:00Z", "power_kw": kw},
    ]})
}

async fn post_keyed(app: &TestApp, key: &str, body: &Value, cookie: Option<&str>) -> TestResponse {
    let mut request = Request::post("/api/v2/readings")
        .header("content-type", "application/json")
        .header("idempotency-key", key);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    app.request(request.body(Body::from(body.to_string())).expect("request"))
        .await
}

async fn stored_kw(app: &TestApp) -> Vec<f64> {
    app.get(&format!(
        "/api/v2/readings/latest?meterable_unit_id={API_TEST_UNIT_ID}"
    ))
    .await
    .json()
    .as_array()
    .expect("rows")
    .iter()
    .map(|r| r["power_kw"].as_f64().expect("kW"))
    .collect()
}

async fn a_retry_with_the_same_key_gets_the_first_answer_and_writes_nothing(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let first = post_keyed(&app, "7f1c9a", &batch(-907.99), None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert!(first.headers.get("idempotent-replayed").is_none());
    let expected = json!({"accepted": 2, "inserted": 2, "updated": 0, "unchanged": 0});
    assert_eq!(first.json(), expected);

    let retry = post_keyed(&app, "7f1c9a", &batch(-907.99), None).await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(
        retry.json(),
        expected,
        "the kept answer, not a second run (which would say unchanged: 2)"
    );
    assert_eq!(
        retry
            .headers
            .get("idempotent-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    // Whitespace and key order do not make another request.
    let spaced = app
        .request(
            Request::post("/api/v2/readings")
                .header("content-type", "application/json")
                .header("idempotency-key", "7f1c9a")
                .body(Body::from(
                    serde_json::to_string_pretty(&batch(-907.99)).expect("json"),
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(spaced.json(), expected);
    // Another operation with the same key is another request.
    let csv = app
        .request(
            Request::post("/api/v2/readings/csv")
                .header("content-type", "text/csv")
                .header("idempotency-key", "7f1c9a")
                .body(Body::from(format!(
                    "meterable_unit_id,timestamp,power_kw\n{API_TEST_UNIT_ID},2025-02-01T02:00:00Z,-907.99\n"
                )))
                .expect("request"),
        )
        .await;
    assert_eq!(csv.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stored_kw(&app).await, [-907.99, -907.99]);
}

async fn the_same_key_with_another_body_is_refused_and_stores_nothing(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    assert_eq!(
        post_keyed(&app, "k-1", &batch(-907.99), None).await.status,
        StatusCode::OK
    );
    let other = post_keyed(&app, "k-1", &batch(-100.0), None).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.content_type(), "application/problem+json");
    assert_eq!(other.json()["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(stored_kw(&app).await, [-907.99, -907.99]);
}

async fn twilight_id(app: &TestApp) -> i32 {
    fsp_companies::Entity::find()
        .filter(fsp_companies::Column::Name.eq("Twilight Flex Ltd"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("Twilight")
        .id
}

async fn a_key_in_progress_gets_409_until_its_request_is_abandoned(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    // A first request with this key is being processed (or its server died doing so).
    let readings: Vec<shared::ReadingInput> =
        serde_json::from_value(batch(-907.99)["readings"].clone()).expect("inputs");
    idempotency_keys::ActiveModel {
        company_id: Set(twilight_id(&app).await),
        idempotency_key: Set("busy".to_owned()),
        fingerprint: Set(idempotency::fingerprint(
            "readings",
            &serde_json::to_string(&readings).expect("json"),
        )),
        created_at: Set(app.now()),
        completed_at: Set(None),
        response: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("in-progress key");
    let busy = post_keyed(&app, "busy", &batch(-907.99), None).await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "{}", busy.text());
    assert_eq!(busy.json()["code"], "CONFLICT");
    assert!(stored_kw(&app).await.is_empty());

    app.clock
        .advance(idempotency::ABANDONED_AFTER + chrono::Duration::seconds(1));
    let taken_over = post_keyed(&app, "busy", &batch(-907.99), None).await;
    assert_eq!(taken_over.status, StatusCode::OK, "{}", taken_over.text());
    assert_eq!(taken_over.json()["inserted"], 2);
    let replay = post_keyed(&app, "busy", &batch(-907.99), None).await;
    assert_eq!(replay.json()["inserted"], 2);
}

async fn keys_are_scoped_per_company_and_expire_after_a_day(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    assert_eq!(
        post_keyed(&app, "shared-key", &batch(-907.99), None)
            .await
            .status,
        StatusCode::OK
    );
    // Other Flex's first use of the same key is its own, whatever Twilight sent.
    let link = app
        .invite(
            "ops@other.example",
            shared::Role::Participant,
            Some("Other Flex Ltd"),
        )
        .await;
    let other = app.complete_sign_up("ops@other.example", &link).await;
    let theirs = post_keyed(&app, "shared-key", &batch(-907.99), Some(&other.cookie)).await;
    assert_eq!(theirs.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        theirs.json()["errors"][0]["field"],
        "meterable_unit_id",
        "judged as Other Flex's own request, not matched to Twilight's key"
    );

    assert_eq!(
        post_keyed(&app, "shared-key", &batch(-1.0), None)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A day on, sessions have expired; the company's system uses its API token.
    let created = app
        .graphql("mutation { createApiToken { token } }", json!({}))
        .await;
    let token = created["data"]["createApiToken"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    // The contract (README, OpenAPI): keys are kept 24 hours. A key is still honoured just
    // before that and free again just after.
    app.clock
        .advance(chrono::Duration::hours(24) + chrono::Duration::minutes(1));
    let renewed = app
        .request(
            Request::post("/api/v2/readings")
                .header("content-type", "application/json")
                .header("idempotency-key", "shared-key")
                .header("authorization", format!("Bearer {token}"))
                .header("cookie", "")
                .body(Body::from(batch(-1.0).to_string()))
                .expect("request"),
        )
        .await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.text());
    assert_eq!(renewed.json()["updated"], 2, "an expired key is new again");
}

async fn a_refused_batch_is_the_kept_answer_and_malformed_keys_are_refused(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let bad = json!({"readings": [
        {"meterable_unit_id": API_TEST_UNIT_ID, "timestamp": "2025-02-01T02:00:30Z", "power_kw": 1.0}
    ]});
    let first = post_keyed(&app, "bad-1", &bad, None).await;
    assert_eq!(first.status, StatusCode::UNPROCESSABLE_ENTITY);
    let again = post_keyed(&app, "bad-1", &bad, None).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(first.json()["errors"], again.json()["errors"]);

    // A malformed header is a malformed parameter (the document's pattern says so).
    let long = "k".repeat(256);
    let refused = post_keyed(&app, &long, &batch(1.0), None).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json()["errors"][0]["field"], "Idempotency-Key");
    assert!(stored_kw(&app).await.is_empty());
}
