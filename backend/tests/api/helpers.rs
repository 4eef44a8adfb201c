use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use backend::app::{AppState, Clock, router};
use backend::config::Settings;
use backend::db;
pub use backend::testing::Engine;
use backend::testing::{SmtpSink, TempDatabase};
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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

/// A clock tests move by hand.
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }

    /// Moves the clock to the real time (for signatures a receiver checks against its own
    /// clock).
    pub fn set_to_real_time(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Utc::now();
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: Arc<TestClock>,
    pub db: DatabaseConnection,
    /// Database statements the router has run so far.
    pub queries: Arc<AtomicUsize>,
    /// Sent with every request that has no cookie of its own.
    pub default_cookie: Option<String>,
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

    /// The `name=value` pair of the session cookie this response sets.
    pub fn session_cookie(&self) -> String {
        let set = self
            .headers
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("a Set-Cookie header");
        set.split(';').next().expect("cookie pair").to_owned()
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl TestApp {
    /// An app that mails through a real SMTP listener on 127.0.0.1, with a fresh SSEN
    /// operator signed in as its default session.
    pub async fn operator_with_mail(engine: Engine) -> (TestApp, SmtpSink) {
        let smtp = SmtpSink::start().await.expect("SMTP listener");
        let smtp_url = smtp.url();
        let mut app = Self::spawn_with(engine, move |s| s.smtp_url = Some(smtp_url)).await;
        let email = format!("{}@ssen.example", uuid::Uuid::new_v4().simple());
        app.default_cookie = Some(app.sign_up_operator(&email, "SSEN").await.cookie);
        (app, smtp)
    }

    /// A migrated, seeded app. With `as_user` (`participant:<company>`,
    /// `operator:<operator>` or `admin`) a user of that organisation is signed up and every
    /// request without a cookie of its own carries that user's session.
    pub async fn spawn(engine: Engine, as_user: Option<&str>) -> TestApp {
        let mut app = Self::spawn_with(engine, |_| {}).await;
        if let Some(spec) = as_user {
            let (role, organisation) = match spec.split_once(':') {
                Some(("participant", org)) => (shared::Role::Participant, Some(org)),
                Some(("operator", org)) => (shared::Role::Operator, Some(org)),
                _ => (shared::Role::PlatformAdmin, None),
            };
            let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
            let link = app.invite(&email, role, organisation).await;
            app.default_cookie = Some(app.complete_sign_up(&email, &link).await.cookie);
        }
        app
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
        let clock = Arc::new(TestClock(Mutex::new(test_now())));
        let state = AppState::new(counted, settings, clock.clone()).expect("app state");
        TestApp {
            router: router(state.clone()),
            state,
            clock,
            db,
            queries,
            default_cookie: None,
            _database: database,
        }
    }

    pub async fn request(&self, mut request: Request<Body>) -> TestResponse {
        // Someone else signing up or in does not present this app's user's session (the
        // server would end it: no session fixation).
        let signing_in = ["/auth/login", "/auth/activate"].contains(&request.uri().path());
        if let Some(cookie) = &self.default_cookie
            && !request.headers().contains_key("cookie")
            && !signing_in
        {
            request
                .headers_mut()
                .insert("cookie", cookie.parse().expect("cookie header"));
        }
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

    /// POSTs JSON, with a session cookie when given.
    pub async fn post_json(&self, uri: &str, body: Value, cookie: Option<&str>) -> TestResponse {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header("content-type", "application/json");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        self.request(request.body(Body::from(body.to_string())).expect("request"))
            .await
    }

    /// GETs with a session cookie.
    pub async fn get_with(&self, uri: &str, cookie: &str) -> TestResponse {
        self.request(
            Request::get(uri)
                .header("cookie", cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await
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

/// The argument a GraphQL validation error refuses: a malformed id, date, month or time is
/// refused by its scalar type before any resolver runs, naming the argument.
pub fn refused_argument(response: &Value) -> Option<&str> {
    response["errors"][0]["message"]
        .as_str()?
        .strip_prefix("Invalid value for argument \"")?
        .split('"')
        .next()
}

pub const PASSWORD: &str = "a long enough passphrase";

/// A user who has set a password and enrolled an authenticator.
pub struct SignedIn {
    pub cookie: String,
    pub email: String,
    pub secret: String,
}

/// The code an authenticator app shows at `at` for a base32 secret.
pub fn totp_code(secret: &str, at: DateTime<Utc>) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret).expect("base32 secret");
    let totp = totp_rs::Builder::new()
        .with_secret(bytes.as_bytes().to_vec())
        .with_account_name("test")
        .build()
        .expect("totp");
    totp.generate(u64::try_from(at.timestamp()).expect("after 1970"))
        .to_string()
}

/// The token at the end of an invitation or reset link.
pub fn link_token(url: &str) -> String {
    url.split("token=")
        .nth(1)
        .expect("a token in the link")
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .expect("token")
        .to_owned()
}

impl TestApp {
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.state.clock.now()
    }

    /// Creates a user from the command line's point of view; returns the invitation link.
    pub async fn invite(
        &self,
        email: &str,
        role: shared::Role,
        organisation: Option<&str>,
    ) -> String {
        use backend::services::accounts::{Creator, NewUser, create_user};
        let input = NewUser {
            email: email.to_owned(),
            name: format!("User {email}"),
            role,
            organisation: organisation.map(str::to_owned),
        };
        create_user(
            &self.state.accounts_env(),
            Creator::System,
            input,
            self.now(),
        )
        .await
        .expect("user created")
        .invitation_url
    }

    /// Sets the password from `link`, signs in and enrols TOTP; returns the session.
    pub async fn complete_sign_up(&self, email: &str, link: &str) -> SignedIn {
        let activated = self
            .post_json(
                "/auth/activate",
                serde_json::json!({"token": link_token(link), "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(
            activated.status,
            StatusCode::NO_CONTENT,
            "{}",
            activated.text()
        );
        let login = self
            .post_json(
                "/auth/login",
                serde_json::json!({"email": email, "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.text());
        assert_eq!(login.json()["next"], "totp_setup");
        let pending = login.session_cookie();
        let setup = self.get_with("/auth/totp/setup", &pending).await;
        assert_eq!(setup.status, StatusCode::OK, "{}", setup.text());
        let secret = setup.json()["secret"].as_str().expect("secret").to_owned();
        let done = self
            .post_json(
                "/auth/totp/setup",
                serde_json::json!({"code": totp_code(&secret, self.now())}),
                Some(&pending),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text());
        assert_eq!(done.json()["next"], "done");
        SignedIn {
            cookie: done.session_cookie(),
            email: email.to_owned(),
            secret,
        }
    }

    /// A signed-in participant of Twilight Flex Ltd.
    pub async fn sign_up_participant(&self, email: &str) -> SignedIn {
        let link = self
            .invite(email, shared::Role::Participant, Some("Twilight Flex Ltd"))
            .await;
        self.complete_sign_up(email, &link).await
    }

    /// A signed-in operator user.
    pub async fn sign_up_operator(&self, email: &str, operator: &str) -> SignedIn {
        let link = self
            .invite(email, shared::Role::Operator, Some(operator))
            .await;
        self.complete_sign_up(email, &link).await
    }

    /// POSTs one GraphQL operation with a session cookie.
    pub async fn graphql_as(&self, cookie: &str, query: &str, variables: Value) -> Value {
        let body = serde_json::json!({"query": query, "variables": variables});
        let response = self.post_json("/graphql", body, Some(cookie)).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        response.json()
    }
}

/// The public ids of the seeded "API Test" group and twilight-zone's Sustain and Restore
/// programmes.
pub struct TwilightIds {
    pub group: String,
    pub sustain: String,
    pub restore: String,
}

pub async fn twilight_ids(app: &TestApp) -> TwilightIds {
    let data = app
        .graphql(
            "{ zones { id programmes { id kind } } dispatchGroups(zoneId: \"twilight-zone\") { id name } }",
            json!({}),
        )
        .await;
    let zone = data["data"]["zones"]
        .as_array()
        .expect("zones")
        .iter()
        .find(|z| z["id"] == "twilight-zone")
        .cloned()
        .unwrap_or_else(|| panic!("twilight-zone: {data}"));
    let programme = |kind: &str| {
        zone["programmes"]
            .as_array()
            .expect("programmes")
            .iter()
            .find(|p| p["kind"] == kind)
            .and_then(|p| p["id"].as_str())
            .unwrap_or_else(|| panic!("{kind} in {zone}"))
            .to_owned()
    };
    let group = data["data"]["dispatchGroups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["name"] == "API Test")
        .and_then(|g| g["id"].as_str())
        .expect("API Test")
        .to_owned();
    TwilightIds {
        group,
        sustain: programme("SUSTAIN"),
        restore: programme("RESTORE"),
    }
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/graphql/ws` on a served copy of the app in the graphql-transport-ws protocol.
pub async fn socket(
    addr: std::net::SocketAddr,
    headers: &[(&str, &str)],
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    for (name, value) in headers {
        request.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            value.parse().expect("value"),
        );
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

pub async fn send(socket: &mut Socket, frame: Value) {
    use futures_util::SinkExt;
    socket
        .send(tokio_tungstenite::tungstenite::Message::text(
            frame.to_string(),
        ))
        .await
        .expect("send");
}

/// The next frame from the server: a JSON message, or `{"close": code}`.
pub async fn frame(socket: &mut Socket) -> Value {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s");
        match next {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).expect("JSON"),
            Some(Ok(Message::Close(close))) => {
                return json!({"close": close.map(|c| u16::from(c.code))});
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return json!({"error": e.to_string()}),
            None => return json!({"close": null}),
        }
    }
}

impl TestApp {
    /// Serves the app on a real port (WebSocket tests); the server lives as long as the test.
    pub async fn serve(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = self.router.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .ok()
        });
        addr
    }

    /// POSTs JSON as if from the client at `ip` (the TCP peer the server sees).
    pub async fn post_json_from(
        &self,
        ip: [u8; 4],
        uri: &str,
        body: Value,
        cookie: Option<&str>,
    ) -> TestResponse {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header("content-type", "application/json");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let mut request = request.body(Body::from(body.to_string())).expect("request");
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                ip, 40_000,
            ))));
        self.request(request).await
    }

    /// POSTs one GraphQL operation with an API token.
    pub async fn graphql_bearer(&self, token: &str, query: &str, variables: Value) -> TestResponse {
        self.request(
            Request::post("/graphql")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(
                    json!({ "query": query, "variables": variables }).to_string(),
                ))
                .expect("request"),
        )
        .await
    }

    /// A new API token for Twilight Flex Ltd, made by a new signed-in user of it.
    pub async fn twilight_token(&self) -> String {
        let fsp = self
            .sign_up_participant(&format!(
                "{}@twilight.example",
                uuid::Uuid::new_v4().simple()
            ))
            .await;
        let created = self
            .graphql_as(
                &fsp.cookie,
                "mutation { createApiToken { token } }",
                json!({}),
            )
            .await;
        created["data"]["createApiToken"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("{created}"))
            .to_owned()
    }
}
