//! Meter readings ingest: exact, atomic, and refused whole when any row is bad.

use crate::helpers::{
    Engine, OTHER, TWILIGHT, TestApp, both_databases, error_code, refused_argument,
};
use axum::http::StatusCode;
use backend::seed::API_TEST_UNIT_ID;
use serde_json::{Value, json};

both_databases!(
    a_good_batch_is_stored_and_counted_and_resending_changes_nothing,
    any_bad_row_refuses_the_whole_batch_naming_every_bad_row,
    another_companys_unit_reads_as_unknown,
    oversized_and_empty_batches_are_refused,
    csv_upload_is_stored_and_its_errors_name_line_and_column,
    the_guides_example_after_75_readings_shows_the_latest_60,
    half_hourly_readings_end_on_the_half_hour,
    a_thousand_rows_with_one_bad_row_store_nothing,
    export_pages_through_a_range_in_json_and_csv,
    export_parameters_are_checked_and_named,
    a_participant_never_reads_another_companys_readings,
    an_operator_reads_the_readings_of_units_in_its_zones,
    graphql_posts_and_reads_readings,
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

/// `n` per-minute readings of the guide's unit at -907.99 kW, ending 01:01Z, 01:02Z, … on
/// 1 February 2025.
fn guide_minutes(n: i64) -> Value {
    let start = chrono::DateTime::parse_from_rfc3339("2025-02-01T01:00:00Z").expect("time");
    let rows: Vec<Value> = (1..=n)
        .map(|i| {
            let at = (start + chrono::Duration::minutes(i))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            minute(API_TEST_UNIT_ID, &at, -907.99)
        })
        .collect();
    json!({ "readings": rows })
}

async fn the_guides_example_after_75_readings_shows_the_latest_60(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let posted = app
        .post_json("/api/v2/readings", guide_minutes(75), None)
        .await;
    assert_eq!(posted.json()["inserted"], 75, "{}", posted.text());
    let latest = app
        .get(&format!(
            "/api/v2/readings/latest?meterable_unit_id={API_TEST_UNIT_ID}"
        ))
        .await
        .json();
    let rows = latest.as_array().expect("rows");
    assert_eq!(rows.len(), 60);
    assert_eq!(rows[0]["timestamp"], "2025-02-01T02:15:00Z", "newest first");
    assert_eq!(rows[59]["timestamp"], "2025-02-01T01:16:00Z");
    assert!(
        rows.iter()
            .all(|r| r["power_kw"] == -907.99 && r["zone"] == "twilight-zone")
    );
}

async fn half_hourly_readings_end_on_the_half_hour(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let hh = half_hourly_unit(&app).await;
    let at = |t: &str| json!({"readings": [{"meterable_unit_id": hh, "timestamp": t, "energy_kwh": 40.5}]});
    let refused = app
        .post_json("/api/v2/readings", at("2025-02-18T16:15:00Z"), None)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem = refused.json();
    assert_eq!(problem["errors"][0]["index"], 0, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "timestamp");
    let accepted = app
        .post_json("/api/v2/readings", at("2025-02-18T16:30:00Z"), None)
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
    assert_eq!(accepted.json()["inserted"], 1);
}

async fn a_thousand_rows_with_one_bad_row_store_nothing(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let mut batch = guide_minutes(1_000);
    batch["readings"][637]["power_kw"] = json!("lots");
    let refused = app.post_json("/api/v2/readings", batch.clone(), None).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "not even JSON readings"
    );
    batch["readings"][637]["timestamp"] = json!("2025-02-01T11:37:30Z");
    batch["readings"][637]["power_kw"] = json!(-907.99);
    let refused = app.post_json("/api/v2/readings", batch.clone(), None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem = refused.json();
    assert_eq!(
        problem["errors"].as_array().map(Vec::len),
        Some(1),
        "{problem}"
    );
    assert_eq!(problem["errors"][0]["index"], 637);
    let none = app
        .get(&format!(
            "/api/v2/readings/latest?meterable_unit_id={API_TEST_UNIT_ID}"
        ))
        .await
        .json();
    assert_eq!(none, json!([]));

    let corrected = guide_minutes(1_000);
    let stored = app
        .post_json("/api/v2/readings", corrected.clone(), None)
        .await;
    assert_eq!(
        stored.json(),
        json!({"accepted": 1000, "inserted": 1000, "updated": 0, "unchanged": 0})
    );
    let again = app.post_json("/api/v2/readings", corrected, None).await;
    assert_eq!(
        again.json(),
        json!({"accepted": 1000, "inserted": 0, "updated": 0, "unchanged": 1000})
    );
}

fn export_uri(from: &str, to: &str, extra: &str) -> String {
    format!("/api/v2/readings?meterable_unit_id={API_TEST_UNIT_ID}&from={from}&to={to}{extra}")
}

async fn export_pages_through_a_range_in_json_and_csv(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    app.post_json("/api/v2/readings", guide_minutes(75), None)
        .await;
    let first = app
        .get(&export_uri(
            "2025-02-01T01:00:00Z",
            "2025-02-01T02:15:00Z",
            "&limit=50",
        ))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let page = first.json();
    let rows = page["readings"].as_array().expect("rows");
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[0]["timestamp"], "2025-02-01T01:01:00Z", "oldest first");
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let link = first
        .headers
        .get("link")
        .and_then(|v| v.to_str().ok())
        .expect("Link");
    assert!(
        link.ends_with("; rel=\"next\"") && link.contains(cursor),
        "{link}"
    );
    let next_uri = link.trim_start_matches('<').split('>').next().expect("uri");
    let second = app.get(next_uri).await;
    let rest = second.json();
    assert_eq!(
        rest["readings"].as_array().map(Vec::len),
        Some(25),
        "{rest}"
    );
    assert_eq!(rest["readings"][0]["timestamp"], "2025-02-01T01:51:00Z");
    assert_eq!(rest["next_cursor"], Value::Null);
    assert!(second.headers.get("link").is_none());

    // (from, to]: interval ends after `from`, up to and including `to`.
    let window = app
        .get(&export_uri(
            "2025-02-01T01:10:00Z",
            "2025-02-01T01:20:00Z",
            "",
        ))
        .await
        .json();
    let ends: Vec<&str> = window["readings"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["timestamp"].as_str())
        .collect();
    assert_eq!(ends.len(), 10);
    assert_eq!(ends.first(), Some(&"2025-02-01T01:11:00Z"));
    assert_eq!(ends.last(), Some(&"2025-02-01T01:20:00Z"));

    let csv = app
        .request(
            axum::http::Request::get(export_uri(
                "2025-02-01T01:00:00Z",
                "2025-02-01T03:00:00Z",
                "",
            ))
            .header("accept", "text/csv")
            .body(axum::body::Body::empty())
            .expect("request"),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    let text = csv.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 76);
    assert_eq!(lines[0], "meterable_unit_id,timestamp,power_kw");
    assert_eq!(
        lines[1],
        format!("{API_TEST_UNIT_ID},2025-02-01T01:01:00Z,-907.99")
    );
    // The export is an upload: sent back, it changes nothing.
    let back = post_csv(&app, "text/csv", &text).await;
    assert_eq!(
        back.json(),
        json!({"accepted": 75, "inserted": 0, "updated": 0, "unchanged": 75})
    );
}

async fn export_parameters_are_checked_and_named(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let refused_as = |uri: String, field: &'static str, status: StatusCode| {
        let app = &app;
        async move {
            let response = app.get(&uri).await;
            assert_eq!(response.status, status, "{uri}: {}", response.text());
            assert_eq!(response.content_type(), "application/problem+json");
            let problem = response.json();
            assert!(
                problem["errors"]
                    .as_array()
                    .expect("errors")
                    .iter()
                    .any(|e| e["field"] == field),
                "{uri} should name {field}: {problem}"
            );
        }
    };
    // Malformed parameters are 400; `to` before `from` breaks a rule the schema cannot
    // state, 422.
    let refused =
        |uri: String, field: &'static str| refused_as(uri, field, StatusCode::BAD_REQUEST);
    refused(
        format!("/api/v2/readings?meterable_unit_id={API_TEST_UNIT_ID}&to=2025-02-01T00:00:00Z"),
        "from",
    )
    .await;
    refused(export_uri("yesterday", "2025-02-01T00:00:00Z", ""), "from").await;
    refused_as(
        export_uri("2025-02-02T00:00:00Z", "2025-02-01T00:00:00Z", ""),
        "to",
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    refused(
        export_uri("2025-02-01T00:00:00Z", "2025-02-02T00:00:00Z", "&limit=0"),
        "limit",
    )
    .await;
    refused(
        export_uri(
            "2025-02-01T00:00:00Z",
            "2025-02-02T00:00:00Z",
            "&limit=10001",
        ),
        "limit",
    )
    .await;
    refused(
        export_uri(
            "2025-02-01T00:00:00Z",
            "2025-02-02T00:00:00Z",
            "&cursor=bm9wZQ",
        ),
        "cursor",
    )
    .await;
    refused(
        "/api/v2/readings?from=2025-02-01T00:00:00Z&to=2025-02-02T00:00:00Z".to_owned(),
        "meterable_unit_id",
    )
    .await;
    let unknown = app
        .get("/api/v2/readings?meterable_unit_id=NOPENOPENOPENOPENOPE&from=2025-02-01T00:00:00Z&to=2025-02-02T00:00:00Z")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

async fn a_participant_never_reads_another_companys_readings(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let posted = app
        .post_json("/api/v2/readings", guide_minutes(3), None)
        .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text());
    assert_eq!(posted.json()["inserted"], 3, "{}", posted.text());
    let link = app
        .invite(
            "ops@other.example",
            shared::Role::Participant,
            Some("Other Flex Ltd"),
        )
        .await;
    let cookie = app
        .complete_sign_up("ops@other.example", &link)
        .await
        .cookie;
    let created = app
        .graphql_as(&cookie, "mutation { createApiToken { token } }", json!({}))
        .await;
    let token = created["data"]["createApiToken"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let bearer = |uri: String| {
        let token = token.clone();
        let app = &app;
        async move {
            app.request(
                axum::http::Request::get(uri)
                    .header("authorization", format!("Bearer {token}"))
                    .header("cookie", "")
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await
        }
    };
    let latest = bearer(format!(
        "/api/v2/readings/latest?meterable_unit_id={API_TEST_UNIT_ID}"
    ))
    .await;
    assert_eq!(latest.status, StatusCode::NOT_FOUND, "{}", latest.text());
    let export = bearer(export_uri(
        "2025-02-01T00:00:00Z",
        "2025-02-02T00:00:00Z",
        "",
    ))
    .await;
    assert_eq!(export.status, StatusCode::NOT_FOUND);
    // The value itself: a random correlation id may well hold the digits 907.
    assert!(!export.text().contains("907.99"), "{}", export.text());
    let graphql = app
        .request(
            axum::http::Request::post("/graphql")
                .header("authorization", format!("Bearer {token}"))
                .header("cookie", "")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(
                    json!({"query": format!("{{ latestReadings(meterableUnitId: \"{API_TEST_UNIT_ID}\") {{ powerKw }} }}")})
                        .to_string(),
                ))
                .expect("request"),
        )
        .await
        .json();
    assert_eq!(error_code(&graphql), Some("NOT_FOUND"), "{graphql}");
}

async fn an_operator_reads_the_readings_of_units_in_its_zones(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    app.post_json("/api/v2/readings", guide_minutes(3), None)
        .await;
    let operator = app.sign_up_operator("control@ssen.example", "SSEN").await;
    let latest = app
        .get_with(
            &format!("/api/v2/readings/latest?meterable_unit_id={API_TEST_UNIT_ID}"),
            &operator.cookie,
        )
        .await;
    assert_eq!(latest.status, StatusCode::OK, "{}", latest.text());
    assert_eq!(latest.json().as_array().map(Vec::len), Some(3));
    let posted = app
        .post_json("/api/v2/readings", guide_minutes(1), Some(&operator.cookie))
        .await;
    assert_eq!(
        posted.status,
        StatusCode::FORBIDDEN,
        "operators do not send readings"
    );
    let northern = app
        .sign_up_operator("control@npg.example", "Northern Powergrid")
        .await;
    let hidden = app
        .get_with(
            &format!("/api/v2/readings/latest?meterable_unit_id={API_TEST_UNIT_ID}"),
            &northern.cookie,
        )
        .await;
    assert_eq!(
        hidden.status,
        StatusCode::NOT_FOUND,
        "not in Northern Powergrid's zones"
    );
}

async fn graphql_posts_and_reads_readings(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let posted = app
        .graphql(
            "mutation($rows: [ReadingInput!]!) { postReadings(readings: $rows, idempotencyKey: \"g-1\") { accepted inserted updated unchanged } }",
            json!({"rows": [
                {"meterableUnitId": API_TEST_UNIT_ID, "timestamp": "2025-02-01T02:00:00Z", "powerKw": -907.99},
                {"meterableUnitId": API_TEST_UNIT_ID, "timestamp": "2025-02-01T02:01:00Z", "powerKw": -900.0},
            ]}),
        )
        .await;
    assert_eq!(
        posted["data"]["postReadings"],
        json!({"accepted": 2, "inserted": 2, "updated": 0, "unchanged": 0}),
        "{posted}"
    );
    let read = app
        .graphql(
            "query($id: String!) { latestReadings(meterableUnitId: $id) { timestamp zone powerKw energyKwh } \
             readings(meterableUnitId: $id, from: \"2025-02-01T00:00:00Z\", to: \"2025-02-02T00:00:00Z\", first: 1) { readings { timestamp } nextCursor } }",
            json!({"id": API_TEST_UNIT_ID}),
        )
        .await;
    assert_eq!(
        read["data"]["latestReadings"][0]["powerKw"], -900.0,
        "{read}"
    );
    assert_eq!(read["data"]["latestReadings"][0]["zone"], "twilight-zone");
    assert_eq!(
        read["data"]["readings"]["readings"][0]["timestamp"],
        "2025-02-01T02:00:00+00:00"
    );
    let cursor = read["data"]["readings"]["nextCursor"]
        .as_str()
        .expect("cursor");
    let next = app
        .graphql(
            "query($id: String!, $after: String) { readings(meterableUnitId: $id, from: \"2025-02-01T00:00:00Z\", to: \"2025-02-02T00:00:00Z\", first: 1, after: $after) { readings { powerKw } nextCursor } }",
            json!({"id": API_TEST_UNIT_ID, "after": cursor}),
        )
        .await;
    assert_eq!(
        next["data"]["readings"]["readings"][0]["powerKw"], -900.0,
        "{next}"
    );
    assert_eq!(next["data"]["readings"]["nextCursor"], Value::Null);
    let refused = app
        .graphql(
            "{ readings(meterableUnitId: \"x\", from: \"soon\", to: \"2025-02-02T00:00:00Z\") { nextCursor } }",
            json!({}),
        )
        .await;
    assert_eq!(
        refused_argument(&refused),
        Some("meterableUnitId"),
        "{refused}"
    );
}
