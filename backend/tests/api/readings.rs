//! Meter readings ingest: exact, atomic, and refused whole when any row is bad.

use crate::helpers::{Engine, OTHER, TWILIGHT, TestApp, both_databases};
use axum::http::StatusCode;
use backend::seed::API_TEST_UNIT_ID;
use serde_json::{Value, json};

both_databases!(
    a_good_batch_is_stored_and_counted_and_resending_changes_nothing,
    any_bad_row_refuses_the_whole_batch_naming_every_bad_row,
    another_companys_unit_reads_as_unknown,
    oversized_and_empty_batches_are_refused,
    csv_upload_is_stored_and_its_errors_name_line_and_column,
);

async fn post_csv(app: &TestApp, content_type: &str, body: &str) -> crate::helpers::TestResponse {
    app.request(
        axum::http::Request::post("/api/v2/readings/csv")
            .header("content-type", content_type)
            .body(axum::body::Body::from(body.to_owned()))
            .expect("request"),
    )
    .await
}

/// The Twilight half-hourly unit's id.
async fn half_hourly_unit(app: &TestApp) -> String {
    let units = app
        .get("/api/v2/meterable-units?zone_id=twilight-zone")
        .await
        .json();
    units
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["metering_granularity"] == "HALF_HOURLY")
        .and_then(|u| u["id"].as_str())
        .expect("a half-hourly unit")
        .to_owned()
}

fn minute(unit: &str, at: &str, kw: f64) -> Value {
    json!({"meterable_unit_id": unit, "timestamp": at, "power_kw": kw})
}

async fn a_good_batch_is_stored_and_counted_and_resending_changes_nothing(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let hh = half_hourly_unit(&app).await;
    let batch = json!({"readings": [
        minute(API_TEST_UNIT_ID, "2025-02-01T01:58:00Z", -907.99),
        minute(API_TEST_UNIT_ID, "2025-02-01T01:59:00Z", -907.99),
        minute(API_TEST_UNIT_ID, "2025-02-01T02:00:00Z", -907.99),
        {"meterable_unit_id": hh, "timestamp": "2025-02-01T02:00:00Z", "energy_kwh": 12.5},
    ]});
    let first = app.post_json("/api/v2/readings", batch.clone(), None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(
        first.json(),
        json!({"accepted": 4, "inserted": 4, "updated": 0, "unchanged": 0})
    );
    let again = app.post_json("/api/v2/readings", batch, None).await;
    assert_eq!(
        again.json(),
        json!({"accepted": 4, "inserted": 0, "updated": 0, "unchanged": 4})
    );
    let changed = app
        .post_json(
            "/api/v2/readings",
            json!({"readings": [
                minute(API_TEST_UNIT_ID, "2025-02-01T02:00:00Z", -850.0),
                minute(API_TEST_UNIT_ID, "2025-02-01T01:59:00Z", -907.99),
            ]}),
            None,
        )
        .await;
    assert_eq!(
        changed.json(),
        json!({"accepted": 2, "inserted": 0, "updated": 1, "unchanged": 1})
    );
    let latest = app
        .get(&format!(
            "/api/v2/readings/latest?meterable_unit_id={API_TEST_UNIT_ID}"
        ))
        .await;
    assert_eq!(latest.status, StatusCode::OK);
    let rows = latest.json();
    assert_eq!(rows.as_array().map(Vec::len), Some(3));
    assert_eq!(rows[0]["timestamp"], "2025-02-01T02:00:00Z");
    assert_eq!(rows[0]["power_kw"], -850.0, "last write wins");
    assert_eq!(rows[0]["zone"], "twilight-zone");
    assert_eq!(rows[2]["timestamp"], "2025-02-01T01:58:00Z");
}

async fn any_bad_row_refuses_the_whole_batch_naming_every_bad_row(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let hh = half_hourly_unit(&app).await;
    let response = app
        .post_json(
            "/api/v2/readings",
            json!({"readings": [
                minute(API_TEST_UNIT_ID, "2025-02-01T02:00:00Z", 1.0),
                {"meterable_unit_id": hh, "timestamp": "2025-02-01T02:15:00Z", "energy_kwh": 1.0},
                minute(API_TEST_UNIT_ID, "2025-02-19T12:06:00Z", 1.0),
                minute("NOPENOPENOPENOPENOPE", "2025-02-01T02:00:00Z", 1.0),
                {"meterable_unit_id": API_TEST_UNIT_ID, "timestamp": "2025-02-01T02:01:00Z", "energy_kwh": 1.0},
                minute(API_TEST_UNIT_ID, "2025-02-01T02:02:30Z", 1.0),
                minute(API_TEST_UNIT_ID, "2025-02-01T03:00:00+01:00", 1.0),
            ]}),
            None,
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        response.text()
    );
    assert_eq!(response.content_type(), "application/problem+json");
    let problem = response.json();
    let refused: Vec<(u64, &str)> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().expect("index"),
                e["field"].as_str().expect("field"),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            (1, "timestamp"),
            (2, "timestamp"),
            (3, "meterable_unit_id"),
            (4, "energy_kwh"),
            (4, "power_kw"),
            (5, "timestamp"),
            (6, "timestamp"),
        ],
        "{problem}"
    );
    let latest = app
        .get(&format!(
            "/api/v2/readings/latest?meterable_unit_id={API_TEST_UNIT_ID}"
        ))
        .await
        .json();
    assert_eq!(latest, json!([]), "the good row was not stored either");
}

async fn another_companys_unit_reads_as_unknown(engine: Engine) {
    let other = TestApp::spawn(engine, Some(OTHER)).await;
    let response = other
        .post_json(
            "/api/v2/readings",
            json!({"readings": [minute(API_TEST_UNIT_ID, "2025-02-01T02:00:00Z", 1.0)]}),
            None,
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json()["errors"][0]["reason"],
        "unknown meterable unit"
    );
    let latest = other
        .get(&format!(
            "/api/v2/readings/latest?meterable_unit_id={API_TEST_UNIT_ID}"
        ))
        .await;
    assert_eq!(latest.status, StatusCode::NOT_FOUND);
}

async fn oversized_and_empty_batches_are_refused(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let rows: Vec<Value> = (0..10_001)
        .map(|_| minute(API_TEST_UNIT_ID, "2025-02-01T02:00:00Z", 1.0))
        .collect();
    let big = app
        .post_json("/api/v2/readings", json!({ "readings": rows }), None)
        .await;
    assert_eq!(
        big.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        big.text()
    );
    assert_eq!(big.json()["errors"][0]["field"], "readings");
    let empty = app
        .post_json("/api/v2/readings", json!({"readings": []}), None)
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let garbage = app
        .post_json("/api/v2/readings", json!({"rows": 1}), None)
        .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
}

async fn csv_upload_is_stored_and_its_errors_name_line_and_column(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let good = format!(
        "meterable_unit_id,timestamp,power_kw\n{API_TEST_UNIT_ID},2025-02-01T01:59:00Z,-907.99\n{API_TEST_UNIT_ID},2025-02-01T02:00:00Z,-900\n"
    );
    let stored = post_csv(&app, "text/csv", &good).await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.text());
    assert_eq!(stored.json()["inserted"], 2);

    let bad = format!(
        "meterable_unit_id,timestamp,power_kw\n{API_TEST_UNIT_ID},2025-02-01T02:01:00Z,lots\n{API_TEST_UNIT_ID},2025-02-01T02:02:00Z,1\n"
    );
    let refused = post_csv(&app, "text/csv", &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem = refused.json();
    assert_eq!(problem["errors"][0]["index"], 2, "CSV line 2: {problem}");
    assert_eq!(problem["errors"][0]["field"], "power_kw");

    let late = format!(
        "meterable_unit_id,timestamp,power_kw\n{API_TEST_UNIT_ID},2025-02-01T02:03:00Z,1\n{API_TEST_UNIT_ID},2030-01-01T00:00:00Z,1\n"
    );
    let refused = post_csv(&app, "text/csv", &late).await.json();
    assert_eq!(refused["errors"][0]["index"], 3, "CSV line 3: {refused}");
    assert_eq!(refused["errors"][0]["field"], "timestamp");

    let header = post_csv(&app, "text/csv", "unit,when,kw\nx,y,1\n")
        .await
        .json();
    assert_eq!(header["errors"][0]["field"], "header");
    assert_eq!(
        post_csv(&app, "application/json", &good).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let latest = app
        .get(&format!(
            "/api/v2/readings/latest?meterable_unit_id={API_TEST_UNIT_ID}"
        ))
        .await
        .json();
    assert_eq!(
        latest.as_array().map(Vec::len),
        Some(2),
        "refused uploads stored nothing"
    );
}
