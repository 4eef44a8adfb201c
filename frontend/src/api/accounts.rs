//! Signing in, the user's own account, and the users operators manage: the REST sign-in
//! steps under `/auth` and the operations in `frontend/graphql/accounts/`.

use super::{Done, NoVariables, get, post};
use serde::Serialize;
use shared::{
    ActivateRequest, AuditEntry, CodeRequest, EmailPreferences, ForgotPasswordRequest,
    LoginRequest, MailboxMessage, NewUserInput, PasskeySummary, PasswordChangeRequest,
    PasswordResetRequested, SignInProgress, TotpEnrolment, UserSummary, Viewer,
};
use webauthn_rs_proto::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

/// The first sign-in step: e-mail address and password.
pub async fn login(request: &LoginRequest) -> Result<SignInProgress, String> {
    post("/auth/login", Some(request)).await
}

/// A new authenticator secret to enrol (first sign-in).
pub async fn totp_enrolment() -> Result<TotpEnrolment, String> {
    get("/auth/totp/setup").await
}

/// Confirms the enrolment with the first code.
pub async fn confirm_totp(request: &CodeRequest) -> Result<SignInProgress, String> {
    post("/auth/totp/setup", Some(request)).await
}

/// The second sign-in step with the authenticator's code.
pub async fn verify_totp(request: &CodeRequest) -> Result<SignInProgress, String> {
    post("/auth/totp", Some(request)).await
}

/// Proves the second factor again, for five minutes (before a sensitive change).
pub async fn step_up(request: &CodeRequest) -> Result<(), String> {
    post::<Done>("/auth/step-up", Some(request))
        .await
        .map(|_| ())
}

/// Sets the password from an invitation or reset link.
pub async fn activate(request: &ActivateRequest) -> Result<(), String> {
    post::<Done>("/auth/activate", Some(request))
        .await
        .map(|_| ())
}

/// Asks for a password-reset link.
pub async fn forgot_password(
    request: &ForgotPasswordRequest,
) -> Result<PasswordResetRequested, String> {
    post("/auth/password/forgot", Some(request)).await
}

/// Changes the signed-in user's password; their other sessions end.
pub async fn change_password(request: &PasswordChangeRequest) -> Result<(), String> {
    post::<Done>("/auth/password", Some(request))
        .await
        .map(|_| ())
}

/// Ends this session.
pub async fn logout() -> Result<(), String> {
    post::<Done>("/auth/logout", None::<&NoVariables>)
        .await
        .map(|_| ())
}

/// The challenge for registering a new passkey.
pub async fn passkey_registration() -> Result<CreationChallengeResponse, String> {
    post("/auth/passkey/register/begin", None::<&NoVariables>).await
}

/// Stores the passkey the browser created for the challenge.
pub async fn register_passkey(
    name: &str,
    credential: &RegisterPublicKeyCredential,
) -> Result<PasskeySummary, String> {
    #[derive(Serialize)]
    struct Registration<'a> {
        name: &'a str,
        credential: &'a RegisterPublicKeyCredential,
    }
    post(
        "/auth/passkey/register/finish",
        Some(&Registration { name, credential }),
    )
    .await
}

/// The challenge for the second sign-in step with a passkey.
pub async fn passkey_challenge() -> Result<RequestChallengeResponse, String> {
    post("/auth/passkey/begin", None::<&NoVariables>).await
}

/// The second sign-in step with the browser's answer to the passkey challenge.
pub async fn sign_in_with_passkey(
    credential: &PublicKeyCredential,
) -> Result<SignInProgress, String> {
    #[derive(Serialize)]
    struct Assertion<'a> {
        credential: &'a PublicKeyCredential,
    }
    post("/auth/passkey/finish", Some(&Assertion { credential })).await
}

operation! {
    /// The signed-in user.
    pub fn me() -> Viewer = include_str!("../../graphql/accounts/Me.graphql")
}

operation! {
    /// Saves the signed-in user's e-mail preferences; the server answers with what it saved.
    pub fn update_my_preferences(preferences: &EmailPreferences) -> EmailPreferences
        = include_str!("../../graphql/accounts/UpdateMyPreferences.graphql")
}

operation! {
    /// The signed-in user's passkeys.
    pub fn passkeys() -> Vec<PasskeySummary>
        = include_str!("../../graphql/accounts/Passkeys.graphql")
}

operation! {
    /// Removes one of the signed-in user's passkeys.
    pub fn remove_passkey(id: &str) -> ()
        = include_str!("../../graphql/accounts/RemovePasskey.graphql")
}

operation! {
    /// The users the caller manages.
    pub fn users() -> Vec<UserSummary> = include_str!("../../graphql/accounts/Users.graphql")
}

operation! {
    /// Invites a user.
    pub fn create_user(input: &NewUserInput) -> ()
        = include_str!("../../graphql/accounts/CreateUser.graphql")
}

operation! {
    /// Clears a user's second factors; they enrol again at the next sign-in.
    pub fn reset_second_factor(id: &str) -> ()
        = include_str!("../../graphql/accounts/ResetSecondFactor.graphql")
}

operation! {
    /// Disables a user and ends their sessions.
    pub fn disable_user(id: &str) -> ()
        = include_str!("../../graphql/accounts/DisableUser.graphql")
}

operation! {
    /// The latest `limit` security events.
    pub fn audit_log(limit: i32) -> Vec<AuditEntry>
        = include_str!("../../graphql/accounts/AuditLog.graphql")
}

operation! {
    /// Dev mode: the e-mail the platform sent or kept.
    pub fn dev_mailbox() -> Vec<MailboxMessage>
        = include_str!("../../graphql/accounts/DevMailbox.graphql")
}
