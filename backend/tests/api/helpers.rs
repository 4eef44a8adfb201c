use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use backend::app::{AppState, Clock, router};
use backend::config::Settings;
use backend::db;
pub use backend::testing::Engine;
use backend::testing::TempDatabase;
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use sea_orm::DatabaseConnection;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tower::ServiceExt;

pub const TWILIGHT: &str = "participant:Twilight Flex Ltd";
pub const OTHER: &str = "participant:Other Flex Ltd";
pub const SSEN: &str = "operator:SSEN";

/// Runs the same test on both databases.
macro_rules! both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(crate::helpers::Engine::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(crate::helpers::Engine::Postgres).await
            }
        }
    )*};
}
pub(crate) use both_databases;

/// Wednesday 19 February 2025, noon: inside the guide's example week.
pub fn test_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 2, 19, 12, 0, 0)
        .single()
        .expect("valid date")
}

pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

pub struct TestApp {
    pub router: Router,
    pub db: DatabaseConnection,
    /// Database statements the router has run so far.
    pub queries: Arc<AtomicUsize>,
    // Declared last: dropped after the pool above is gone.
    _database: TempDatabase,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl TestApp {
    /// A migrated, seeded app whose requests act as `demo_user` (none: unauthenticated).
    pub async fn spawn(engine: Engine, demo_user: Option<&str>) -> TestApp {
        Self::spawn_with(engine, |s| {
            s.demo_user = demo_user.map(str::to_owned);
        })
        .await
    }

    pub async fn spawn_with(engine: Engine, configure: impl FnOnce(&mut Settings)) -> TestApp {
        let database = TempDatabase::create(engine)
            .await
            .expect("a fresh database (PostgreSQL must be running)");
        let db = db::connect(&database.url).await.expect("connect");
        db::migrate(&db).await.expect("migrate");
        backend::seed::seed_demo(&db, test_now())
            .await
            .expect("seed");
        let mut settings = Settings {
            database_url: database.url.clone(),
            dev_mode: true,
            static_dir: PathBuf::from("/nonexistent-openflex-static"),
            ..Settings::default()
        };
        configure(&mut settings);
        let queries = Arc::new(AtomicUsize::new(0));
        let counter = queries.clone();
        let mut counted = db.clone();
        counted.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let state = AppState::new(counted, settings, Arc::new(FixedClock(test_now())));
        TestApp {
            router: router(state),
            db,
            queries,
            _database: database,
        }
    }

    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible router");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// How many database statements `request` runs.
    pub async fn count_queries(&self, request: impl AsyncFnOnce()) -> usize {
        let before = self.queries.load(Ordering::SeqCst);
        request().await;
        self.queries.load(Ordering::SeqCst) - before
    }

    pub async fn get(&self, uri: &str) -> TestResponse {
        self.request(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }

    /// POSTs one GraphQL operation the way the browser app does.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let body = serde_json::json!({"query": query, "variables": variables}).to_string();
        let response = self
            .request(
                Request::builder()
                    .method(Method::POST)
                    .uri("/graphql")
                    .header("content-type", "application/json")
                    .body(Body::from(body))
                    .expect("request"),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        response.json()
    }
}

/// The first GraphQL error's `extensions.code`.
pub fn error_code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}
