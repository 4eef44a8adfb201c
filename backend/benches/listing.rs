//! Listing benchmark: the Meterable Units page's query for a zone with many dispatch
//! groups, over GraphQL and REST, on SQLite and PostgreSQL. Prints latency percentiles and
//! the database queries each request made.
//! Run with `./dev bench`.

#![allow(
    clippy::expect_used,
    reason = "a benchmark that cannot set up should stop"
)]

use axum::body::Body;
use axum::http::Request;
use backend::app::{AppState, SystemClock, router};
use backend::config::Settings;
use backend::services::accounts;
use backend::testing::{Engine, TempDatabase, add_priced_zone};
use backend::{db, seed};
use chrono::Utc;
use http_body_util::BodyExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const GROUPS: usize = 500;
const REQUESTS: usize = 60;

#[tokio::main]
async fn main() {
    println!(
        "listing benchmark: one zone, {GROUPS} dispatch groups x (1 unit, 4 prices); {REQUESTS} requests each"
    );
    for engine in Engine::BOTH {
        let database = TempDatabase::create(engine)
            .await
            .expect("database (is PostgreSQL running?)");
        let mut conn = db::connect(&database.url).await.expect("connect");
        db::migrate(&conn).await.expect("migrate");
        seed::seed_demo(&conn, Utc::now()).await.expect("seed");
        add_priced_zone(&conn, "bench-zone", GROUPS, Utc::now())
            .await
            .expect("bench data");
        let queries = Arc::new(AtomicUsize::new(0));
        let counter = queries.clone();
        conn.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let settings = Settings {
            database_url: database.url.clone(),
            dev_mode: true,
            ..Settings::default()
        };
        let state = AppState::new(conn.clone(), settings, Arc::new(SystemClock)).expect("state");
        let cookie = demo_session(&state).await;
        let app = router(state);

        let graphql_body = serde_json::json!({
            "query": "{ dispatchGroups(zoneId: \"bench-zone\") { id name minRuntimeMinutes marketplaceUnits meterableUnits { id baseline { method } } prices { programme { name } availabilityPrice utilisationPrice unitCeiling } } }"
        })
        .to_string();
        let graphql = measure(
            &queries,
            || {
                Request::post("/graphql")
                    .header("content-type", "application/json")
                    .header("cookie", &cookie)
                    .body(Body::from(graphql_body.clone()))
                    .expect("request")
            },
            &app,
        )
        .await;
        let rest = measure(
            &queries,
            || {
                Request::get("/api/v2/dispatch-groups?zone_id=bench-zone")
                    .header("cookie", &cookie)
                    .body(Body::empty())
                    .expect("request")
            },
            &app,
        )
        .await;
        println!("{:<9} graphql dispatchGroups  {graphql}", engine.name());
        println!("{:<9} rest /dispatch-groups   {rest}", engine.name());
        conn.close().await.expect("close");
    }
}

async fn measure(
    queries: &AtomicUsize,
    make: impl Fn() -> Request<Body>,
    app: &axum::Router,
) -> String {
    let mut times: Vec<Duration> = Vec::with_capacity(REQUESTS);
    let mut bytes = 0;
    let mut per_request = 0;
    for i in 0..REQUESTS + 5 {
        let before = queries.load(Ordering::Relaxed);
        let started = Instant::now();
        let response = app.clone().oneshot(make()).await.expect("response");
        assert!(
            response.status().is_success(),
            "status {}",
            response.status()
        );
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        if i >= 5 {
            times.push(started.elapsed());
            bytes = body.len();
            per_request = queries.load(Ordering::Relaxed) - before;
        }
    }
    times.sort_unstable();
    let pct = |p: f64| times[((times.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    format!(
        "p50 {:>7.2} ms  p99 {:>7.2} ms  {per_request} queries, {} KiB per response",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        bytes / 1024
    )
}

/// Signs the demo FSP user in through the account services; returns the Cookie header.
async fn demo_session(state: &AppState) -> String {
    seed::ensure_demo_users(&state.db, &state.secrets, Utc::now())
        .await
        .expect("demo users");
    let demo = &seed::DEMO_LOGINS[1];
    let env = state.accounts_env();
    let (pending, _) = accounts::login(&env, demo.email, demo.password, "bench", None, Utc::now())
        .await
        .expect("password accepted");
    let secret = totp_rs::Secret::try_from_base32(demo.totp_secret).expect("secret");
    let totp = totp_rs::Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .with_account_name("bench")
        .build()
        .expect("totp");
    let code = totp.generate(Utc::now().timestamp() as u64).to_string();
    let token = accounts::verify_second_factor(&env, &pending, &code, Utc::now())
        .await
        .expect("code accepted");
    let header = backend::auth::session_cookie(state, Some(&token));
    header
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned()
}
