//! Identities: users, invitations, passwords, TOTP second factor and sessions.
//!
//! Bearer secrets (session, invitation and reset tokens) are stored only as SHA-256
//! digests; TOTP secrets are encrypted at rest; passwords are Argon2id hashes.

use crate::crypto::{self, SecretBox};
use crate::db::entities::{
    audit_events, auth_tokens, fsp_companies, operators, sessions as session_rows,
    users as user_rows,
};
use crate::ids::new_public_id;
use crate::mail::{Email, Mailer, html_escape};
pub(crate) use crate::services::parse_email;
use crate::services::{Actor, ServiceError};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use shared::{
    AuditEntry, EmailPreferences, NextStep, PublicId, Role, TotpEnrolment, UserSummary, Viewer,
};
use totp_rs::{Algorithm, Totp};

pub(crate) use crate::services::audit::user_event as audit;

mod sessions;
mod sign_in;
mod users;

pub use sessions::*;
pub use sign_in::*;
pub use users::*;

/// What account services need besides the caller and `now`.
pub struct AccountsEnv<'a> {
    pub db: &'a DatabaseConnection,
    pub mailer: &'a Mailer,
    pub secrets: &'a SecretBox,
    /// Links in e-mails are built from this, never from a request's Host header.
    pub public_url: &'a str,
}

pub const INVITATION_VALIDITY: Duration = Duration::hours(24);

pub const RESET_VALIDITY: Duration = Duration::hours(1);

pub const SESSION_IDLE: Duration = Duration::minutes(30);

pub const SESSION_ABSOLUTE: Duration = Duration::hours(12);

/// A half-signed-in session (password accepted, second factor pending) lives briefly.
pub const PENDING_SESSION: Duration = Duration::minutes(10);

/// Failed second-factor attempts allowed before the account slows down.
pub const FREE_ATTEMPTS: i32 = 5;

const STAGE_TOTP_SETUP: &str = "totp_setup";

pub(in crate::services) const STAGE_SECOND_FACTOR: &str = "second_factor";

pub(in crate::services) const STAGE_COMPLETE: &str = "complete";

/// At least 12 and at most 128 characters, not on the shipped list of common passwords,
/// not the e-mail address. No composition rules (ASVS 5.0).
fn check_password(password: &str, email: &str) -> Result<(), ServiceError> {
    let chars = password.chars().count();
    let (min, max) = (
        *shared::PASSWORD_CHARS.start(),
        *shared::PASSWORD_CHARS.end(),
    );
    if chars < min {
        return Err(ServiceError::invalid(
            "password",
            format!("must be at least {min} characters"),
        ));
    }
    if chars > max {
        return Err(ServiceError::invalid(
            "password",
            format!("must be at most {max} characters"),
        ));
    }
    let lower = password.to_lowercase();
    if lower == email
        || include_str!("common_passwords.txt")
            .lines()
            .any(|p| p == lower)
    {
        return Err(ServiceError::invalid(
            "password",
            "is too common or too easy to guess; choose another",
        ));
    }
    Ok(())
}

/// Commits `txn` with `email` recorded in it, then sends the e-mail: a message is never
/// sent for a change that did not happen, and never lost for one that did.
pub(in crate::services) async fn commit_with_mail(
    env: &AccountsEnv<'_>,
    txn: sea_orm::DatabaseTransaction,
    email: &Email,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let queued = env.mailer.queue(&txn, email, now).await?;
    txn.commit().await?;
    env.mailer.deliver(env.db, queued, now).await?;
    Ok(())
}

/// Records a single-use link token (invitation or password reset); only its digest is kept.
async fn store_link_token(
    db: &impl ConnectionTrait,
    user: &user_rows::Model,
    purpose: &str,
    token: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    auth_tokens::ActiveModel {
        user_id: Set(user.id),
        purpose: Set(purpose.to_owned()),
        token_hash: Set(crypto::digest(token)),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

pub(crate) fn crypto_error(e: crypto::CryptoError) -> ServiceError {
    ServiceError::Internal(sea_orm::DbErr::Custom(e.to_string()))
}

/// An e-mail telling the user of a change to their account's security.
pub(in crate::services) fn security_notice(
    user: &user_rows::Model,
    subject: &str,
    what: &str,
    public_url: &str,
) -> Email {
    let text = format!(
        "Hello {},\n\n{what}\n\nIf this was not you, reset your password at {public_url}/login \
         (\"Forgot your password\") and contact your operator at once.\n",
        user.name
    );
    let html = format!(
        "<p>Hello {},</p><p>{}</p><p>If this was not you, reset your password at \
         <a href=\"{}/login\">the sign-in page</a> and contact your operator at once.</p>",
        html_escape(&user.name),
        html_escape(what),
        html_escape(public_url)
    );
    Email {
        to: user.email.clone(),
        subject: subject.to_owned(),
        text,
        html,
    }
}

/// The same refusal, about another field (e.g. `new_password` for the password rules).
fn rename_field(e: ServiceError, field: &str) -> ServiceError {
    match e {
        ServiceError::Invalid(errors) => ServiceError::Invalid(
            errors
                .into_iter()
                .map(|mut f| {
                    f.field = field.to_owned();
                    f
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_long_and_common_passwords_are_refused() {
        let email = "a@example.com";
        assert!(check_password("short", email).is_err());
        assert!(check_password(&"x".repeat(129), email).is_err());
        assert!(check_password("Password1234", email).is_err());
        assert!(check_password("a@example.com", email).is_err());
        assert!(check_password("correct horse battery staple", email).is_ok());
        assert!(check_password(&"é".repeat(12), email).is_ok());
    }

    #[test]
    fn e_mail_addresses_are_validated_and_lower_cased() {
        assert_eq!(
            parse_email(" Ann@Example.COM ").ok().as_deref(),
            Some("ann@example.com")
        );
        assert!(parse_email("not an address").is_err());
    }
}
