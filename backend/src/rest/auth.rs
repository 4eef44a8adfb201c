//! Sign-in endpoints (`/auth/...`). Plain REST, never GraphQL: aliases would let one
//! GraphQL request try many codes.

use crate::auth::{check_same_origin, session_cookie, session_token};
use crate::client::ClientAddr;
use crate::problem::{Problem, ProblemDetails};
use crate::services::{ServiceError, accounts, passkeys, throttle};
use crate::state::AppState;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use shared::{
    ActivateRequest, CodeRequest, ForgotPasswordRequest, LoginRequest, NextStep, PasskeySummary,
    PasswordChangeRequest, PasswordResetRequested, SignInProgress, TotpEnrolment,
};

fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, Problem> {
    payload
        .map(|Json(v)| v)
        .map_err(|e| Problem::bad_body(e.status(), e.body_text()))
}

fn pending_token(state: &AppState, headers: &HeaderMap) -> Result<String, Problem> {
    session_token(state, headers).ok_or_else(|| Problem::from(ServiceError::Unauthenticated))
}

/// A response that also replaces the session cookie.
fn with_cookie(state: &AppState, token: Option<&str>, response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(state, token));
    response
}

/// Sign in, step one: e-mail and password. Sets a session cookie that is good only for
/// the step named in `next`.
#[utoipa::path(post, path = "/auth/login", tag = "auth", security(()), request_body = LoginRequest,
    responses(
        (status = 200, body = SignInProgress),
        (status = 401, description = "Wrong e-mail or password", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords for this account or from this client: wait `Retry-After` seconds", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddr,
    payload: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    check_same_origin(&state, &headers)?;
    let request = body(payload)?;
    let presented = session_token(&state, &headers);
    let (token, next) = accounts::login(
        &state.accounts_env(),
        &request.email,
        &request.password,
        client.as_str(),
        presented.as_deref(),
        state.clock.now(),
    )
    .await
    .map_err(|e| match e {
        ServiceError::Unauthenticated => Problem::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "the e-mail address or password is wrong",
        ),
        other => other.into(),
    })?;
    Ok(with_cookie(
        &state,
        Some(&token),
        Json(SignInProgress { next }),
    ))
}

/// First sign-in: the authenticator secret to enrol, as text and as a QR code.
#[utoipa::path(get, path = "/auth/totp/setup", tag = "auth", security(("sign_in" = [])),
    responses(
        (status = 200, body = TotpEnrolment),
        (status = 401, description = "No session waiting for enrolment", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn totp_setup(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<TotpEnrolment>, Problem> {
    let token = pending_token(&state, &headers)?;
    Ok(Json(
        accounts::totp_enrolment(&state.accounts_env(), &token, state.clock.now()).await?,
    ))
}

/// First sign-in: confirm enrolment with a code from the authenticator. Signs in.
#[utoipa::path(post, path = "/auth/totp/setup", tag = "auth", security(("sign_in" = [])), request_body = CodeRequest,
    responses(
        (status = 200, body = SignInProgress),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Wrong or expired code", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn totp_setup_finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<CodeRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    check_same_origin(&state, &headers)?;
    let token = pending_token(&state, &headers)?;
    let request = body(payload)?;
    let signed_in = accounts::finish_totp_enrolment(
        &state.accounts_env(),
        &token,
        &request.code,
        state.clock.now(),
    )
    .await?;
    Ok(with_cookie(
        &state,
        Some(&signed_in),
        Json(SignInProgress {
            next: NextStep::Done,
        }),
    ))
}

/// Sign in, step two: the authenticator code. Each code works once; repeated failures
/// slow the account down (429 with the wait).
#[utoipa::path(post, path = "/auth/totp", tag = "auth", security(("sign_in" = [])), request_body = CodeRequest,
    responses(
        (status = 200, body = SignInProgress),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Wrong, expired or already used code", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong codes: wait", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn totp(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<CodeRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    check_same_origin(&state, &headers)?;
    let token = pending_token(&state, &headers)?;
    let request = body(payload)?;
    let signed_in = accounts::verify_second_factor(
        &state.accounts_env(),
        &token,
        &request.code,
        state.clock.now(),
    )
    .await?;
    Ok(with_cookie(
        &state,
        Some(&signed_in),
        Json(SignInProgress {
            next: NextStep::Done,
        }),
    ))
}

/// Set a password from an invitation or password-reset link. The link works once.
#[utoipa::path(post, path = "/auth/activate", tag = "auth", security(()), request_body = ActivateRequest,
    responses(
        (status = 204, description = "Password set; sign in with it"),
        (status = 422, description = "Expired or used link, or a password that is too short or too common", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn activate(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<ActivateRequest>, JsonRejection>,
) -> Result<StatusCode, Problem> {
    check_same_origin(&state, &headers)?;
    let request = body(payload)?;
    accounts::activate(
        &state.accounts_env(),
        &request.token,
        &request.password,
        state.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign out: ends the session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security((), ("session" = [])),
    responses((status = 204, description = "Signed out")))]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    check_same_origin(&state, &headers)?;
    if let Some(token) = session_token(&state, &headers) {
        accounts::logout(&state.accounts_env(), &token).await?;
    }
    Ok(with_cookie(&state, None, StatusCode::NO_CONTENT))
}

/// "Forgot your password": e-mails a reset link valid one hour. The answer is the same
/// whether or not the address has an account; requests are limited per address and per
/// client.
#[utoipa::path(post, path = "/auth/password/forgot", tag = "auth", security(()), request_body = ForgotPasswordRequest,
    responses(
        (status = 202, description = "If the address has an account, a link is on its way", body = PasswordResetRequested),
        (status = 429, description = "Too many requests from this client", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn forgot_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddr,
    payload: Result<Json<ForgotPasswordRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<PasswordResetRequested>), Problem> {
    check_same_origin(&state, &headers)?;
    let request = body(payload)?;
    let now = state.clock.now();
    throttle::hit(
        &state.db,
        throttle::PASSWORD_RESETS_PER_CLIENT,
        client.as_str(),
        now,
    )
    .await?;
    // The work (and its e-mail) happens after the answer, so how long the answer takes
    // says nothing about whether the address has an account.
    let task_state = state.clone();
    tokio::spawn(crate::client::scope(client, async move {
        let env = task_state.accounts_env();
        if let Err(e) = accounts::request_password_reset(&env, &request.email, now).await {
            tracing::error!(error = %e, "password reset request failed");
        }
    }));
    Ok((
        StatusCode::ACCEPTED,
        Json(PasswordResetRequested {
            message: "If an account exists for this address, an e-mail with a link to choose a new password is on its way. The link works once, for one hour.".to_owned(),
        }),
    ))
}

/// Change the signed-in user's password. The current password is required, and the session
/// must have proved its second factor in the last five minutes, or `code` proves it now.
/// Every other session of the user ends; the user is e-mailed.
#[utoipa::path(post, path = "/auth/password", tag = "auth", security(("session" = [])), request_body = PasswordChangeRequest,
    responses(
        (status = 204, description = "Password changed; this session stays signed in"),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Wrong current password, a new password that breaks the rules, or a missing or wrong authenticator code", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords or codes: wait `Retry-After` seconds", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<PasswordChangeRequest>, JsonRejection>,
) -> Result<StatusCode, Problem> {
    check_same_origin(&state, &headers)?;
    let token = pending_token(&state, &headers)?;
    let request = body(payload)?;
    accounts::change_password(
        &state.accounts_env(),
        &token,
        &request.current_password,
        &request.new_password,
        request.code.as_deref(),
        state.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Confirm it is you: a code from the authenticator lets this session change the password
/// or add a passkey in the next five minutes.
#[utoipa::path(post, path = "/auth/step-up", tag = "auth", security(("session" = [])), request_body = CodeRequest,
    responses(
        (status = 204, description = "Second factor confirmed for five minutes"),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Wrong, expired or already used code", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong codes: wait", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn step_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<CodeRequest>, JsonRejection>,
) -> Result<StatusCode, Problem> {
    check_same_origin(&state, &headers)?;
    let token = pending_token(&state, &headers)?;
    let request = body(payload)?;
    accounts::step_up(
        &state.accounts_env(),
        &token,
        &request.code,
        state.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Registers a passkey for the signed-in user, step one: the challenge for
/// `navigator.credentials.create`.
#[utoipa::path(post, path = "/auth/passkey/register/begin", tag = "auth", security(("session" = [])),
    responses(
        (status = 200, description = "WebAuthn `CreationChallengeResponse`", body = Object),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn passkey_register_begin(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<webauthn_rs::prelude::CreationChallengeResponse>, Problem> {
    check_same_origin(&state, &headers)?;
    let token = pending_token(&state, &headers)?;
    Ok(Json(
        passkeys::begin_registration(
            &state.accounts_env(),
            &state.webauthn,
            &token,
            state.clock.now(),
        )
        .await?,
    ))
}

/// The browser's new credential and a name for it.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct PasskeyRegistrationRequest {
    /// A name to recognise the passkey by, e.g. "Work laptop".
    pub name: String,
    /// WebAuthn `RegisterPublicKeyCredential` from `navigator.credentials.create`.
    #[schema(value_type = Object)]
    pub credential: webauthn_rs::prelude::RegisterPublicKeyCredential,
}

/// Registers a passkey, step two: the credential the browser created.
#[utoipa::path(post, path = "/auth/passkey/register/finish", tag = "auth", security(("session" = [])),
    request_body = PasskeyRegistrationRequest,
    responses(
        (status = 200, body = PasskeySummary),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Refused credential or name", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn passkey_register_finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<PasskeyRegistrationRequest>, JsonRejection>,
) -> Result<Json<PasskeySummary>, Problem> {
    check_same_origin(&state, &headers)?;
    let token = pending_token(&state, &headers)?;
    let request = body(payload)?;
    Ok(Json(
        passkeys::finish_registration(
            &state.accounts_env(),
            &state.webauthn,
            &token,
            &request.name,
            &request.credential,
            state.clock.now(),
        )
        .await?,
    ))
}

/// Sign in, step two with a passkey instead of the code: the challenge for
/// `navigator.credentials.get`.
#[utoipa::path(post, path = "/auth/passkey/begin", tag = "auth", security(("sign_in" = [])),
    responses(
        (status = 200, description = "WebAuthn `RequestChallengeResponse`", body = Object),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The account has no passkey", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn passkey_begin(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<webauthn_rs::prelude::RequestChallengeResponse>, Problem> {
    check_same_origin(&state, &headers)?;
    let token = pending_token(&state, &headers)?;
    Ok(Json(
        passkeys::begin_authentication(
            &state.accounts_env(),
            &state.webauthn,
            &token,
            state.clock.now(),
        )
        .await?,
    ))
}

/// The browser's signed assertion.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct PasskeyAssertionRequest {
    /// WebAuthn `PublicKeyCredential` from `navigator.credentials.get`.
    #[schema(value_type = Object)]
    pub credential: webauthn_rs::prelude::PublicKeyCredential,
}

/// Sign in, step two with a passkey: the assertion. Signs in.
#[utoipa::path(post, path = "/auth/passkey/finish", tag = "auth", security(("sign_in" = [])),
    request_body = PasskeyAssertionRequest,
    responses(
        (status = 200, body = SignInProgress),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Refused assertion", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn passkey_finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<PasskeyAssertionRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    check_same_origin(&state, &headers)?;
    let token = pending_token(&state, &headers)?;
    let request = body(payload)?;
    let signed_in = passkeys::finish_authentication(
        &state.accounts_env(),
        &state.webauthn,
        &token,
        &request.credential,
        state.clock.now(),
    )
    .await?;
    Ok(with_cookie(
        &state,
        Some(&signed_in),
        Json(SignInProgress {
            next: NextStep::Done,
        }),
    ))
}
