//! Dispatch delivery benchmark (quality.md, "Performance"): 5,000 START messages due at the
//! same instant T on PostgreSQL, delivered by the server's own worker loop to 50 local
//! receivers (one per company). Prints how late after T they arrived (p50, p99, max) and
//! the rate. Run with `./dev bench`.

#![allow(
    clippy::expect_used,
    reason = "a benchmark that cannot set up should stop"
)]

use axum::Router;
use axum::routing::post;
use backend::app::{AppState, SystemClock};
use backend::config::Settings;
use backend::crypto::SecretBox;
use backend::testing::{Engine, TempDatabase, queue_due_messages};
use backend::{db, jobs, seed};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MESSAGES: usize = 5_000;
const RECEIVERS: usize = 50;

#[tokio::main]
async fn main() {
    println!(
        "dispatch benchmark: {MESSAGES} START messages due at one instant to {RECEIVERS} local receivers, PostgreSQL, one worker"
    );
    let arrivals: Arc<Mutex<Vec<DateTime<Utc>>>> =
        Arc::new(Mutex::new(Vec::with_capacity(MESSAGES)));
    let mut endpoints = Vec::with_capacity(RECEIVERS);
    for _ in 0..RECEIVERS {
        let store = arrivals.clone();
        let receiver = Router::new().route(
            "/fsp/dispatch",
            post(move || {
                let store = store.clone();
                async move {
                    store.lock().expect("lock").push(Utc::now());
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        endpoints.push(format!(
            "http://{}/fsp",
            listener.local_addr().expect("addr")
        ));
        tokio::spawn(async move { axum::serve(listener, receiver).await.ok() });
    }
    let endpoints: Vec<&str> = endpoints.iter().map(String::as_str).collect();

    let database = TempDatabase::create(Engine::Postgres)
        .await
        .expect("database (is PostgreSQL running?)");
    let conn = db::connect(&database.url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    seed::seed_demo(&conn, Utc::now()).await.expect("seed");
    let key = SecretBox::generate_key().expect("key");
    let secrets = SecretBox::from_base64(&key).expect("secret box");
    let due = Utc::now() + chrono::Duration::seconds(5);
    queue_due_messages(&conn, &secrets, &endpoints, "bench", MESSAGES, due)
        .await
        .expect("queued messages");
    let settings = Settings {
        database_url: database.url.clone(),
        dev_mode: true,
        allow_private_endpoints: true,
        secret_key: Some(key),
        ..Settings::default()
    };
    let state = AppState::new(conn.clone(), settings, Arc::new(SystemClock)).expect("state");
    let worker = jobs::spawn_delivery(state);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while arrivals.lock().expect("lock").len() < MESSAGES && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    worker.stop().await;
    let mut late: Vec<f64> = arrivals
        .lock()
        .expect("lock")
        .iter()
        .map(|t| (*t - due).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0)
        .collect();
    late.sort_by(f64::total_cmp);
    let pct = |p: f64| late[((late.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    let first = late.first().copied().unwrap_or_default();
    let last = late.last().copied().unwrap_or_default();
    let rate = if last > first {
        (late.len() as f64 - 1.0) / ((last - first) / 1000.0)
    } else {
        0.0
    };
    println!(
        "postgres  {} of {MESSAGES} delivered; after T: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; {rate:.0} messages/s",
        late.len(),
        pct(0.50),
        pct(0.99),
        last
    );
    conn.close().await.expect("close");
}
