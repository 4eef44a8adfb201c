//! Builds the application: state and router. Binding a port is the caller's business, so
//! tests drive the router in-process.

use crate::config::Settings;
use crate::crypto::SecretBox;
use crate::mail::Mailer;
use crate::services::accounts::AccountsEnv;
use crate::{graphql, rest, web};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The source of "now". Services never read the system clock themselves.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    pub schema: graphql::AppSchema,
    pub mailer: Mailer,
    pub secrets: SecretBox,
    /// Proxies whose `X-Forwarded-For` names the client (`OPENFLEX_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// The WebAuthn relying party (passkeys), from the public URL.
    pub webauthn: Arc<webauthn_rs::Webauthn>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Mail(#[from] crate::mail::MailConfigError),
    #[error("secret_key: {0}")]
    Key(#[from] crate::crypto::CryptoError),
    #[error("{0}")]
    WebAuthn(String),
    #[error("{0}")]
    Config(String),
}

impl AppState {
    /// Without a configured secret key (tests, dev mode before start-up made one) an
    /// ephemeral key is used: secrets sealed with it do not survive a restart.
    pub fn new(
        db: DatabaseConnection,
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StateError> {
        let key = match &settings.secret_key {
            Some(key) => key.clone(),
            None => SecretBox::generate_key()?,
        };
        let secrets = SecretBox::from_base64(&key)?;
        let mailer = Mailer::new(settings.smtp_url.as_deref(), &settings.mail_from)?;
        let webauthn = crate::services::passkeys::relying_party(&settings.public_url)
            .map_err(StateError::WebAuthn)?;
        let schema = graphql::build_schema(db.clone(), clock.clone(), settings.dev_mode);
        let trusted_proxies =
            crate::client::parse_trusted(&settings.trusted_proxies).map_err(StateError::Config)?;
        Ok(Self {
            webauthn: Arc::new(webauthn),
            db,
            settings: Arc::new(settings),
            clock,
            schema,
            mailer,
            secrets,
            trusted_proxies: Arc::new(trusted_proxies),
        })
    }

    /// What account services need besides the caller.
    pub fn accounts_env(&self) -> AccountsEnv<'_> {
        AccountsEnv {
            db: &self.db,
            mailer: &self.mailer,
            secrets: &self.secrets,
            public_url: self.settings.public_url.trim_end_matches('/'),
        }
    }
}

/// No request may hold a connection longer than this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub fn router(state: AppState) -> Router {
    // Answers that carry credentials or tenants' data are never stored by a browser or a
    // shared cache.
    let no_store = || {
        SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        )
    };
    let throttle =
        || axum::middleware::from_fn_with_state(state.clone(), crate::auth::throttle_requests);
    let mut app = Router::new()
        .route("/healthz", get(healthz))
        .merge(graphql::router(&state).layer(no_store()).layer(throttle()))
        .nest(
            "/api/v2",
            rest::router().layer(no_store()).layer(throttle()),
        )
        .nest("/auth", rest::auth_router().layer(no_store()))
        .merge(web::router(&state.settings))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            web::content_security_policy(&state.settings),
        ));
    if state.settings.public_url.starts_with("https://") {
        app = app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    app.layer(TimeoutLayer::with_status_code(
        StatusCode::SERVICE_UNAVAILABLE,
        REQUEST_TIMEOUT,
    ))
    .layer(SetResponseHeaderLayer::if_not_present(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
    .layer(SetResponseHeaderLayer::if_not_present(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    ))
    .layer(SetResponseHeaderLayer::if_not_present(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    ))
    .layer(axum::middleware::from_fn_with_state(
        state.trusted_proxies.clone(),
        crate::client::layer,
    ))
    .layer(TraceLayer::new_for_http())
    .with_state(state)
}

/// Liveness and database reachability.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ok", "database": "ok"})),
        ),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "degraded", "database": "unreachable"})),
            )
        }
    }
}
