//! The outbox under real server processes on PostgreSQL: a `kill -9` loses nothing, and two
//! instances deliver every message exactly once between them.

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;
use backend::crypto::SecretBox;
use backend::db::entities::dispatch_messages;
use backend::testing::{Engine, TempDatabase};
use backend::{db, seed};
use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

type Seen = Arc<Mutex<HashMap<String, usize>>>;

/// A receiver counting deliveries per `webhook-id`, answering after `delay`; also how many
/// requests have arrived, answered or not.
async fn receiver(delay: Duration) -> (String, Seen, Arc<std::sync::atomic::AtomicUsize>) {
    let seen: Seen = Arc::new(Mutex::new(HashMap::new()));
    let arrived = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let store = seen.clone();
    let count = arrived.clone();
    let app = Router::new().route(
        "/fsp/dispatch",
        post(move |headers: HeaderMap| {
            let store = store.clone();
            let count = count.clone();
            async move {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                let id = headers["webhook-id"]
                    .to_str()
                    .unwrap_or_default()
                    .to_owned();
                *store.lock().expect("lock").entry(id).or_default() += 1;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (format!("http://{addr}/fsp"), seen, arrived)
}

struct Rig {
    database: TempDatabase,
    conn: DatabaseConnection,
    key: String,
}

/// A PostgreSQL database with the demo data, Twilight's endpoint set to `endpoint`, and
/// `count` START messages due now.
async fn rig(endpoint: &str, count: usize) -> Rig {
    rig_due(endpoint, count, Utc::now() - chrono::Duration::seconds(1)).await
}

async fn rig_due(endpoint: &str, count: usize, due: chrono::DateTime<Utc>) -> Rig {
    let database = TempDatabase::create(Engine::Postgres)
        .await
        .expect("PostgreSQL must be running");
    let conn = db::connect(&database.url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    let now = Utc::now();
    seed::seed_demo(&conn, now).await.expect("seed");
    let key = SecretBox::generate_key().expect("key");
    let secrets = SecretBox::from_base64(&key).expect("secret box");
    backend::testing::queue_due_messages(&conn, &secrets, &[endpoint], "outbox_test", count, due)
        .await
        .expect("queued messages");
    Rig {
        database,
        conn,
        key,
    }
}

fn server(rig: &Rig) -> Child {
    server_with(rig, &[])
}

fn server_with(rig: &Rig, env: &[(&str, &str)]) -> Child {
    server_on(rig, env).0
}

/// A server process and the port it listens on.
fn server_on(rig: &Rig, env: &[(&str, &str)]) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_openflex"))
        .arg("serve")
        .env("DATABASE_URL", &rig.database.url)
        .env("OPENFLEX_ADDR", format!("127.0.0.1:{port}"))
        .env("OPENFLEX_PUBLIC_URL", format!("http://localhost:{port}"))
        .env("OPENFLEX_SECRET_KEY", &rig.key)
        .env("OPENFLEX_ALLOW_PRIVATE_ENDPOINTS", "true")
        .env("OPENFLEX_DEV_MODE", "true")
        .env("RUST_LOG", "error")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the openflex binary starts");
    (child, port)
}

/// Whether the server on `port` answers `/healthz`.
async fn healthy(port: u16) -> bool {
    reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .is_ok_and(|r| r.status().is_success())
}

async fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn delivered(conn: &DatabaseConnection) -> u64 {
    dispatch_messages::Entity::find()
        .filter(dispatch_messages::Column::Status.eq("delivered"))
        .count(conn)
        .await
        .expect("count")
}

#[tokio::test]
async fn a_killed_server_loses_no_message_and_a_restart_delivers_the_rest() {
    let (endpoint, seen, _) = receiver(Duration::from_millis(5)).await;
    let rig = rig(&endpoint, 500).await;
    // A pass claims at most this many messages: the most a crash can leave sent but not
    // recorded (README, `OPENFLEX_DELIVERY_BATCH`).
    const BATCH: usize = 100;
    let mut first = server_with(&rig, &[("OPENFLEX_DELIVERY_BATCH", "100")]);
    wait_for("the first deliveries", Duration::from_secs(60), || {
        seen.lock().expect("lock").len() >= 60
    })
    .await;
    // SIGKILL: no shutdown, leases left held, a request possibly half-sent.
    first.start_kill().expect("kill -9");
    first.wait().await.expect("reaped");
    let before_restart = seen.lock().expect("lock").len();
    assert!(
        before_restart < 500,
        "the kill came too late to test anything"
    );
    let _second = server(&rig);
    // Messages leased by the dead server wait out their 30 s lease.
    wait_for("every message", Duration::from_secs(90), || {
        seen.lock().expect("lock").len() == 500
    })
    .await;
    // A message the dead server sent but never recorded has been seen already, yet is
    // recorded only when it is sent again after its lease (30 s) runs out.
    let started = Instant::now();
    while delivered(&rig.conn).await < 500 {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the outbox records every delivery"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen = seen.lock().expect("lock");
    // Counted by webhook-id: a message that came twice came with its own id both times.
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    // At least once: only the batch in flight at the kill may come twice.
    assert!(duplicates <= BATCH, "{duplicates} duplicates");
}

#[tokio::test]
async fn two_servers_on_one_postgresql_deliver_each_message_once() {
    let (endpoint, seen, _) = receiver(Duration::from_millis(1)).await;
    // Due in an hour until both servers are up; then all at once. Small batches, so that
    // both servers take part in the burst.
    let rig = rig_due(&endpoint, 1000, Utc::now() + chrono::Duration::hours(1)).await;
    let (mut a, port_a) = server_on(&rig, &[("OPENFLEX_DELIVERY_BATCH", "50")]);
    let (mut b, port_b) = server_on(&rig, &[("OPENFLEX_DELIVERY_BATCH", "50")]);
    let started = Instant::now();
    while !(healthy(port_a).await && healthy(port_b).await) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "both servers up within a minute"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    dispatch_messages::Entity::update_many()
        .col_expr(
            dispatch_messages::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .exec(&rig.conn)
        .await
        .expect("due now");
    wait_for("1,000 messages", Duration::from_secs(120), || {
        seen.lock().expect("lock").len() == 1000
    })
    .await;
    for (name, child) in [("first", &mut a), ("second", &mut b)] {
        assert!(
            child.try_wait().expect("status").is_none(),
            "the {name} server exited"
        );
    }
    // Each server's worker left its name on the messages it claimed.
    let owners: std::collections::HashSet<String> = dispatch_messages::Entity::find()
        .all(&rig.conn)
        .await
        .expect("messages")
        .into_iter()
        .filter_map(|m| m.lease_owner)
        .filter_map(|owner| owner.split('-').next().map(str::to_owned))
        .collect();
    assert_eq!(owners.len(), 2, "both servers delivered: {owners:?}");
    // Every delivery is recorded; then both servers stop gracefully, finishing whatever
    // they still had in flight, so nothing more can arrive once they have exited.
    let started = Instant::now();
    while delivered(&rig.conn).await < 1000 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the outbox records every delivery"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for child in [&mut a, &mut b] {
        let pid = child.id().expect("running").to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .expect("kill -TERM");
        assert!(status.success());
        child.wait().await.expect("exited");
    }
    let seen = seen.lock().expect("lock");
    let twice: Vec<&String> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    assert!(twice.is_empty(), "delivered twice: {twice:?}");
}

#[tokio::test]
async fn a_stopping_worker_finishes_the_deliveries_it_started() {
    for engine in Engine::BOTH {
        // A receiver that takes a second to answer.
        let (endpoint, seen, arrived) = receiver(Duration::from_secs(1)).await;
        let database = TempDatabase::create(engine).await.expect("database");
        let conn = db::connect(&database.url).await.expect("connect");
        db::migrate(&conn).await.expect("migrate");
        let now = Utc::now();
        seed::seed_demo(&conn, now).await.expect("seed");
        let key = SecretBox::generate_key().expect("key");
        let secrets = SecretBox::from_base64(&key).expect("secret box");
        backend::testing::queue_due_messages(&conn, &secrets, &[&endpoint], "stop", 3, now)
            .await
            .expect("queued messages");
        let settings = backend::config::Settings {
            database_url: database.url.clone(),
            dev_mode: true,
            allow_private_endpoints: true,
            secret_key: Some(key),
            ..backend::config::Settings::default()
        };
        let state = backend::app::AppState::new(
            conn.clone(),
            settings,
            Arc::new(backend::app::SystemClock),
        )
        .expect("state");
        let worker = backend::jobs::spawn_delivery(state);
        // Stop while the three POSTs are waiting for their answers.
        wait_for("three POSTs sent", Duration::from_secs(10), || {
            arrived.load(std::sync::atomic::Ordering::SeqCst) == 3
        })
        .await;
        assert!(
            seen.lock().expect("lock").is_empty(),
            "{engine:?}: answered too early"
        );
        worker.stop().await;
        assert_eq!(seen.lock().expect("lock").len(), 3, "{engine:?}");
        assert_eq!(
            delivered(&conn).await,
            3,
            "{engine:?}: recorded before the stop returned"
        );
        let leased = dispatch_messages::Entity::find()
            .filter(dispatch_messages::Column::LeaseUntil.is_not_null())
            .count(&conn)
            .await
            .expect("count");
        assert_eq!(leased, 0, "{engine:?}: no lease left behind");
        conn.close().await.expect("close");
    }
}
