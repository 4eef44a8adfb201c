//! Who is signed in.

use serde::{Deserialize, Serialize};

/// What a user may do, and whose data they see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "server", derive(async_graphql::Enum, utoipa::ToSchema))]
pub enum Role {
    /// Staff of a Flexibility Service Provider: sees only their own company's data.
    Participant,
    /// Staff of a network operator: sees that operator's zones and the FSPs in them.
    Operator,
    /// Runs the platform: creates operators and their users.
    PlatformAdmin,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Self::Participant => "Participant",
            Self::Operator => "Operator",
            Self::PlatformAdmin => "Platform admin",
        }
    }
}

/// The signed-in user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct Viewer {
    pub id: crate::PublicId,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// The FSP company or operator the user belongs to; none for platform admins.
    pub organisation: Option<String>,
    pub preferences: EmailPreferences,
}

/// Which batch e-mails a user has opted in to (guide §4.0). All start opted out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(
        async_graphql::SimpleObject,
        async_graphql::InputObject,
        utoipa::ToSchema
    )
)]
#[cfg_attr(feature = "server", graphql(input_name = "EmailPreferencesInput"))]
pub struct EmailPreferences {
    /// 1st of each month, 04:00: the previous month's provisional statements.
    pub monthly_invoices: bool,
    /// Thursdays 12:05: the accepted availability declarations for the week ahead.
    pub weekly_accepted_declarations: bool,
    /// Daily 08:00: dispatches scheduled for the next 24 hours.
    pub daily_schedules: bool,
}

/// What the client must do next to finish signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum NextStep {
    /// First sign-in: enrol an authenticator app (`GET`, then `POST /auth/totp/setup`).
    TotpSetup,
    /// Send the authenticator code (`POST /auth/totp`) or use a passkey.
    SecondFactor,
    /// Signed in.
    Done,
}

/// The answer to each sign-in step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SignInProgress {
    pub next: NextStep,
}

/// E-mail address and password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// A new password for the signed-in user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PasswordChangeRequest {
    /// The password the user signs in with now.
    pub current_password: String,
    /// 12 to 128 characters, not a common password, not the e-mail address.
    #[cfg_attr(feature = "server", schema(min_length = 12, max_length = 128))]
    pub new_password: String,
    /// The current authenticator code, needed unless this session proved its second
    /// factor in the last five minutes (signing in or `POST /auth/step-up`).
    #[serde(default)]
    pub code: Option<String>,
}

/// A six-digit code from an authenticator app.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CodeRequest {
    pub code: String,
}

/// The token from an invitation or password-reset link, and the new password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ActivateRequest {
    pub token: String,
    /// 12 to 128 characters, not a common password, not the e-mail address.
    #[cfg_attr(feature = "server", schema(min_length = 12, max_length = 128))]
    pub password: String,
}

/// The fewest and most characters a password may have (ASVS 5.0; no composition rules).
/// The request schemas state the same bounds; a test holds them to these.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 12..=128;

/// Authenticator enrolment: scan the QR code or type the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TotpEnrolment {
    /// The shared secret, base32, for manual entry.
    pub secret: String,
    /// `otpauth://totp/...` URI that the QR code encodes.
    pub otpauth_url: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

/// The address to send a password-reset link to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ForgotPasswordRequest {
    pub email: String,
}

/// The answer to a password-reset request: the same whether or not the address has an
/// account, so that the answer tells nobody which addresses do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PasswordResetRequested {
    /// What to tell the user.
    pub message: String,
}

/// A user as operators and administrators manage them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct UserSummary {
    pub id: crate::PublicId,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// FSP company or operator name; none for platform admins.
    pub organisation: Option<String>,
    /// Whether the user has a password (has followed the invitation link).
    pub activated: bool,
    /// Whether an authenticator app is enrolled.
    pub second_factor_enrolled: bool,
    pub disabled: bool,
}

/// A new user; an invitation e-mail follows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(async_graphql::InputObject))]
pub struct NewUserInput {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// FSP company name for participants, operator name for operator users.
    pub organisation: Option<String>,
}

/// One security event (sign-in, failed 2FA, replayed code, password reset, 2FA reset,
/// user created or disabled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct AuditEntry {
    pub at: chrono::DateTime<chrono::Utc>,
    pub event: String,
    /// Who acted, when it was a signed-in user.
    pub actor_email: Option<String>,
    /// Whom it concerned.
    pub subject_email: Option<String>,
    pub detail: String,
}

/// An e-mail the platform sent or kept (dev-mode mailbox).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct MailboxMessage {
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub to: String,
    pub subject: String,
    pub text: String,
    /// When the SMTP server took it; none when no SMTP server is configured.
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A passkey registered by the signed-in user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct PasskeySummary {
    pub id: crate::PublicId,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The company's API access token as its owner may see it again: never the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct ApiTokenInfo {
    /// `oflx_…` and the token's last four characters.
    pub hint: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A new API access token: shown once, never again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct NewApiToken {
    /// Send as `Authorization: Bearer <token>`. Store it securely; it is not shown again.
    pub token: String,
    pub info: ApiTokenInfo,
}
