//! Who is calling: the one place adapters learn the caller's identity, and the session
//! cookie that carries it.

use crate::problem::Problem;
use crate::services::{Actor, ServiceError, accounts, api_tokens};
use crate::state::AppState;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};

/// `__Host-` pins the cookie to this origin; browsers accept the prefix only with Secure,
/// so plain-http localhost in dev mode uses an unprefixed name.
const SECURE_COOKIE: &str = "__Host-openflex_session";
const DEV_COOKIE: &str = "openflex_session";

/// Only a dev-mode deployment served over plain http on this machine drops `Secure`
/// (browsers would not store a Secure cookie there); everything else keeps it.
fn secure_cookies(state: &AppState) -> bool {
    !(state.settings.dev_mode && crate::config::is_local_http(&state.settings.public_url))
}

pub fn cookie_name(state: &AppState) -> &'static str {
    if secure_cookies(state) {
        SECURE_COOKIE
    } else {
        DEV_COOKIE
    }
}

/// The session token from the request's cookies, if any.
pub fn session_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// `Set-Cookie` for a new session (or, with None, one that removes it).
pub fn session_cookie(state: &AppState, token: Option<&str>) -> HeaderValue {
    let secure = if secure_cookies(state) {
        "; Secure"
    } else {
        ""
    };
    let value = match token {
        Some(token) => format!(
            "{}={token}; Path=/; HttpOnly; SameSite=Lax{secure}",
            cookie_name(state)
        ),
        None => format!(
            "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
            cookie_name(state)
        ),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// What a caller presented: an FSP system's API token or a browser's session. Kept by a
/// long-lived connection (a GraphQL subscription) to check again that it still holds.
#[derive(Clone)]
pub enum Credential {
    Token(String),
    Session(String),
}

impl Credential {
    /// `Authorization: Bearer oflx_…`, else the session cookie. A malformed
    /// `Authorization` header is an error rather than a fall back to the cookie.
    pub fn from_headers(
        state: &AppState,
        headers: &HeaderMap,
    ) -> Result<Option<Self>, ServiceError> {
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            return Self::from_authorization(value.to_str().ok())
                .map(Some)
                .ok_or(ServiceError::Unauthenticated);
        }
        Ok(session_token(state, headers).map(Self::Session))
    }

    /// A `Bearer oflx_…` value, as in a header or a WebSocket `connection_init` payload.
    pub fn from_authorization(value: Option<&str>) -> Option<Self> {
        value
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|token| Self::Token(token.trim().to_owned()))
    }

    /// Who it identifies now; an error once the token is revoked or the session ends.
    pub async fn actor(
        &self,
        db: &sea_orm::DatabaseConnection,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Actor, ServiceError> {
        match self {
            Self::Token(token) => api_tokens::authenticate(db, token, now).await,
            Self::Session(token) => accounts::session_actor(db, token, now).await,
        }
    }

    /// Whether it still identifies someone, without counting as activity (a session kept
    /// open by a socket alone still times out).
    pub async fn holds(
        &self,
        db: &sea_orm::DatabaseConnection,
        now: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        match self {
            Self::Token(token) => api_tokens::authenticate(db, token, now).await.is_ok(),
            Self::Session(token) => accounts::session_holds(db, token, now).await,
        }
    }
}

/// Resolves the caller of a request: an FSP system's `Authorization: Bearer oflx_…`
/// token, or a browser's session cookie.
pub async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Actor, ServiceError> {
    Credential::from_headers(state, headers)?
        .ok_or(ServiceError::Unauthenticated)?
        .actor(&state.db, state.clock.now())
        .await
}

/// Refuses requests a browser made on behalf of another site.
pub fn check_same_origin(state: &AppState, headers: &HeaderMap) -> Result<(), Problem> {
    let forbidden = || {
        Problem::new(
            StatusCode::FORBIDDEN,
            "CROSS_SITE_REQUEST",
            "cross-site requests are refused",
        )
    };
    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header_str("sec-fetch-site").is_some_and(|v| v.eq_ignore_ascii_case("cross-site")) {
        return Err(forbidden());
    }
    if let Some(origin) = header_str(header::ORIGIN.as_str()) {
        let public = state.settings.public_origin();
        let same_host = header_str(header::HOST.as_str())
            .is_some_and(|host| origin.split_once("://").is_some_and(|(_, h)| h == host));
        if origin != public && !same_host {
            return Err(forbidden());
        }
    }
    Ok(())
}

/// Middleware on `/api/v2` and `/graphql`: counts each request against its credential
/// (the API token or session, by digest) or, without one, its client address, and answers
/// `429` with `Retry-After` past the configured requests a minute.
pub async fn throttle_requests(
    axum::extract::State(state): axum::extract::State<AppState>,
    client: crate::client::ClientAddr,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use crate::services::throttle;
    use axum::response::IntoResponse;
    let key = match Credential::from_headers(&state, request.headers()) {
        Ok(Some(Credential::Token(token))) => format!("token:{}", crate::crypto::digest(&token)),
        Ok(Some(Credential::Session(token))) => {
            format!("session:{}", crate::crypto::digest(&token))
        }
        _ => format!("client:{}", client.as_str()),
    };
    let limit = throttle::api_requests(state.settings.api_requests_per_minute);
    if let Err(e) = throttle::hit(&state.db, limit, &key, state.clock.now()).await {
        return Problem::from(e).into_response();
    }
    next.run(request).await
}
