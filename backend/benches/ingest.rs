//! Readings ingest benchmark (quality.md, "Performance"): readings POSTed through the REST
//! API with an API token, beside a raw PostgreSQL `COPY` of the same rows into a table
//! with the same key, in one run. Prints throughput for 10,000-row POSTs, the COPY figure
//! and their ratio, and latency percentiles for 1,000-row POSTs; SQLite figures follow for
//! comparison. Run with `./dev bench`.

#![allow(
    clippy::expect_used,
    reason = "a benchmark that cannot set up should stop"
)]

use axum::body::Body;
use axum::http::Request;
use backend::app::{AppState, SystemClock, router};
use backend::config::Settings;
use backend::testing::{Engine, TempDatabase, add_priced_zone};
use backend::{db, seed};
use chrono::{DateTime, Duration as Minutes, SecondsFormat, Utc};
use http_body_util::BodyExt;
use sea_orm::sqlx::postgres::PgPoolCopyExt;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// Per-minute units the readings are spread over.
const UNITS: usize = 100;
/// 10,000-row POSTs timed for throughput.
const BIG_POSTS: usize = 20;
/// 1,000-row POSTs timed for latency.
const SMALL_POSTS: usize = 200;

#[tokio::main]
async fn main() {
    println!(
        "ingest benchmark: {UNITS} per-minute units; {BIG_POSTS} POSTs of 10,000 new rows, then {SMALL_POSTS} POSTs of 1,000"
    );
    for engine in [Engine::Postgres, Engine::Sqlite] {
        let database = TempDatabase::create(engine)
            .await
            .expect("database (is PostgreSQL running?)");
        let conn = db::connect(&database.url).await.expect("connect");
        db::migrate(&conn).await.expect("migrate");
        let now = Utc::now();
        seed::seed_demo(&conn, now).await.expect("seed");
        add_priced_zone(&conn, "bench-zone", UNITS, now)
            .await
            .expect("bench units");
        let settings = Settings {
            database_url: database.url.clone(),
            dev_mode: true,
            ..Settings::default()
        };
        let state = AppState::new(conn.clone(), settings, Arc::new(SystemClock)).expect("state");
        seed::ensure_demo_users(&conn, &state.secrets, now)
            .await
            .expect("demo users");
        let token = seed::demo_api_token(&conn, now).await.expect("token");
        let app = router(state);
        let units = bench_units(&app, &token).await;

        // Readings from 1 January 2025 onwards: each POST covers new minutes of every unit.
        let mut next = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
            .expect("start")
            .with_timezone(&Utc);
        let mut batch = |rows_per_unit: usize| {
            let rows = rows_for(&units, next, rows_per_unit);
            next += Minutes::minutes(i64::try_from(rows_per_unit).expect("minutes"));
            rows
        };

        let big: Vec<(String, Vec<Row>)> = (0..BIG_POSTS)
            .map(|_| {
                let rows = batch(10_000 / UNITS);
                (body(&rows), rows)
            })
            .collect();
        let started = Instant::now();
        for (json, _) in &big {
            post(&app, &token, json.clone()).await;
        }
        let api_rate = (BIG_POSTS * 10_000) as f64 / started.elapsed().as_secs_f64();

        let mut times = Vec::with_capacity(SMALL_POSTS);
        for _ in 0..SMALL_POSTS {
            let json = body(&batch(1_000 / UNITS));
            let started = Instant::now();
            post(&app, &token, json).await;
            times.push(started.elapsed());
        }
        times.sort_unstable();
        let pct = |p: f64| {
            times[((times.len() as f64 * p).ceil() as usize).saturating_sub(1)].as_secs_f64() * 1e3
        };
        println!(
            "{:<9} REST POST /api/v2/readings, 10,000 rows each: {:>9.0} rows/s",
            engine.name(),
            api_rate
        );
        if engine == Engine::Postgres {
            let copy_rate = raw_copy(&conn, big.iter().flat_map(|(_, rows)| rows)).await;
            println!(
                "{:<9} raw COPY of the same rows (same unique key):    {:>9.0} rows/s  -> the API reaches {:.0} % of COPY",
                engine.name(),
                copy_rate,
                100.0 * api_rate / copy_rate
            );
        }
        println!(
            "{:<9} REST POST, 1,000 rows each: p50 {:>6.1} ms  p99 {:>6.1} ms",
            engine.name(),
            pct(0.50),
            pct(0.99)
        );
        conn.close().await.expect("close");
    }
}

struct Row {
    unit: String,
    at: DateTime<Utc>,
    kw: f64,
}

fn rows_for(units: &[String], start: DateTime<Utc>, per_unit: usize) -> Vec<Row> {
    let mut rows = Vec::with_capacity(units.len() * per_unit);
    for (u, unit) in units.iter().enumerate() {
        for m in 0..per_unit {
            let minute = i64::try_from(m).expect("minute") + 1;
            rows.push(Row {
                unit: unit.clone(),
                at: start + Minutes::minutes(minute),
                kw: -900.0 + (u * 7 + m) as f64 * 0.25,
            });
        }
    }
    rows
}

fn body(rows: &[Row]) -> String {
    let readings: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "meterable_unit_id": r.unit,
                "timestamp": r.at.to_rfc3339_opts(SecondsFormat::Secs, true),
                "power_kw": r.kw,
            })
        })
        .collect();
    serde_json::json!({ "readings": readings }).to_string()
}

async fn post(app: &axum::Router, token: &str, json: String) {
    let response = app
        .clone()
        .oneshot(
            Request::post("/api/v2/readings")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(json))
                .expect("request"),
        )
        .await
        .expect("response");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    assert!(
        status.is_success(),
        "{status}: {}",
        String::from_utf8_lossy(&bytes)
    );
}

async fn bench_units(app: &axum::Router, token: &str) -> Vec<String> {
    let response = app
        .clone()
        .oneshot(
            Request::get("/api/v2/meterable-units?zone_id=bench-zone")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let units: Vec<serde_json::Value> = serde_json::from_slice(&bytes).expect("units");
    let ids: Vec<String> = units
        .iter()
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids.len(), UNITS, "bench units");
    ids
}

/// Rows per second of `COPY … FROM STDIN` into a copy of the readings table with its
/// unique (unit, interval end) index, the same rows the API stored.
async fn raw_copy<'a>(conn: &DatabaseConnection, rows: impl Iterator<Item = &'a Row>) -> f64 {
    conn.execute_unprepared(
        "CREATE TABLE readings_copy (LIKE readings INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)",
    )
    .await
    .expect("copy table");
    // COPY gets the internal unit ids, as the API's upsert does after its lookup.
    let ids: std::collections::HashMap<String, i32> = conn
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT public_id, id FROM meterable_units",
        ))
        .await
        .expect("unit ids")
        .iter()
        .map(|r| {
            (
                r.try_get::<String>("", "public_id").expect("public_id"),
                r.try_get::<i32>("", "id").expect("id"),
            )
        })
        .collect();
    let mut csv = String::new();
    let received = Utc::now().to_rfc3339();
    let mut count = 0usize;
    for r in rows {
        csv.push_str(&format!(
            "{},{},{},,{}\n",
            ids[&r.unit],
            r.at.to_rfc3339(),
            r.kw,
            received
        ));
        count += 1;
    }
    let pool = conn.get_postgres_connection_pool();
    let started = Instant::now();
    let mut copy = pool
        .copy_in_raw(
            "COPY readings_copy (meterable_unit_id, interval_end, power_kw, energy_kwh, received_at) FROM STDIN (FORMAT csv)",
        )
        .await
        .expect("COPY");
    copy.send(csv.as_bytes()).await.expect("send");
    let copied = copy.finish().await.expect("finish");
    let elapsed: Duration = started.elapsed();
    assert_eq!(copied as usize, count);
    count as f64 / elapsed.as_secs_f64()
}
