//! Identities: users, invitations, passwords, TOTP second factor and sessions.
//!
//! Bearer secrets (session, invitation and reset tokens) are stored only as SHA-256
//! digests; TOTP secrets are encrypted at rest; passwords are Argon2id hashes.

use super::{Actor, ServiceError};
use crate::crypto::{self, SecretBox};
use crate::db::entities::{audit_events, auth_tokens, fsp_companies, operators, sessions, users};
use crate::ids::new_public_id;
use crate::mail::{Email, Mailer, html_escape};
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
pub(super) const STAGE_SECOND_FACTOR: &str = "second_factor";
pub(super) const STAGE_COMPLETE: &str = "complete";

/// Who is creating a user: the command line (an installation's first administrator) or a
/// signed-in operator or platform admin.
pub enum Creator<'a> {
    System,
    Actor(&'a Actor),
}

pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// FSP company name (participants) or operator name (operator users).
    pub organisation: Option<String>,
}

pub struct CreatedUser {
    pub id: PublicId,
    pub invitation_url: String,
}

fn role_code(role: Role) -> &'static str {
    match role {
        Role::Participant => "participant",
        Role::Operator => "operator",
        Role::PlatformAdmin => "platform_admin",
    }
}

pub(crate) fn parse_email(raw: &str) -> Result<String, ServiceError> {
    let email = raw.trim().to_lowercase();
    if email.len() > 254 || email.parse::<lettre::Address>().is_err() {
        return Err(ServiceError::invalid(
            "email",
            "is not a valid e-mail address",
        ));
    }
    Ok(email)
}

/// At least 12 and at most 128 characters, not on the shipped list of common passwords,
/// not the e-mail address. No composition rules (ASVS 5.0).
fn check_password(password: &str, email: &str) -> Result<(), ServiceError> {
    let chars = password.chars().count();
    if chars < 12 {
        return Err(ServiceError::invalid(
            "password",
            "must be at least 12 characters",
        ));
    }
    if chars > 128 {
        return Err(ServiceError::invalid(
            "password",
            "must be at most 128 characters",
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

pub(crate) async fn audit(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    event: &str,
    actor: Option<i32>,
    subject: Option<&users::Model>,
    detail: impl Into<String>,
) -> Result<(), ServiceError> {
    super::record_audit(
        db,
        audit_events::ActiveModel {
            at: Set(now),
            event: Set(event.to_owned()),
            actor_user_id: Set(actor),
            subject_user_id: Set(subject.map(|u| u.id)),
            operator_id: Set(subject.and_then(|u| u.operator_id)),
            company_id: Set(subject.and_then(|u| u.company_id)),
            detail: Set(detail.into()),
            ..Default::default()
        },
    )
    .await
}

/// Commits `txn` with `email` recorded in it, then sends the e-mail: a message is never
/// sent for a change that did not happen, and never lost for one that did.
pub(super) async fn commit_with_mail(
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
    user: &users::Model,
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

/// Ends the half-signed-in session and opens a fully signed-in one with a new id, so a
/// token seen before the second factor is worth nothing after it.
pub(super) async fn complete_sign_in(
    db: &impl ConnectionTrait,
    pending_session_id: i32,
    user: &users::Model,
    event: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    sessions::Entity::delete_by_id(pending_session_id)
        .exec(db)
        .await?;
    let token = new_session(db, user, STAGE_COMPLETE, now).await?;
    audit(db, now, event, Some(user.id), Some(user), detail).await?;
    Ok(token)
}

pub(crate) fn crypto_error(e: crypto::CryptoError) -> ServiceError {
    ServiceError::Internal(sea_orm::DbErr::Custom(e.to_string()))
}

/// Creates a user and e-mails an invitation link, single use and valid 24 hours.
pub async fn create_user(
    env: &AccountsEnv<'_>,
    creator: Creator<'_>,
    input: NewUser,
    now: DateTime<Utc>,
) -> Result<CreatedUser, ServiceError> {
    let email = parse_email(&input.email)?;
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::invalid("name", "must be 1 to 100 characters"));
    }
    let organisation = input
        .organisation
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty());
    let (company_id, operator_id) = match (input.role, organisation) {
        (Role::Participant, Some(name)) => {
            let company = fsp_companies::Entity::find()
                .filter(fsp_companies::Column::Name.eq(name))
                .one(env.db)
                .await?
                .ok_or_else(|| {
                    ServiceError::invalid("organisation", "no FSP company has this name")
                })?;
            (Some(company.id), None)
        }
        (Role::Operator, Some(name)) => {
            let operator = operators::Entity::find()
                .filter(operators::Column::Name.eq(name))
                .one(env.db)
                .await?
                .ok_or_else(|| {
                    ServiceError::invalid("organisation", "no operator has this name")
                })?;
            (None, Some(operator.id))
        }
        (Role::PlatformAdmin, None) => (None, None),
        (Role::PlatformAdmin, Some(_)) => {
            return Err(ServiceError::invalid(
                "organisation",
                "platform admins belong to no organisation",
            ));
        }
        (_, None) => {
            return Err(ServiceError::invalid(
                "organisation",
                "is required: the FSP company or operator the user belongs to",
            ));
        }
    };
    let actor_user_id = match creator {
        Creator::System => None,
        Creator::Actor(actor) => {
            authorise_user_creation(env.db, actor, input.role, company_id, operator_id).await?;
            actor.user_id()
        }
    };
    let exists = users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(env.db)
        .await?
        .is_some();
    if exists {
        return Err(ServiceError::invalid("email", "is already registered"));
    }

    let token = crypto::new_token().map_err(crypto_error)?;
    let invitation_url = format!("{}/activate#token={token}", env.public_url);
    let public_id = new_public_id();
    let txn = env.db.begin().await?;
    let user = users::ActiveModel {
        public_id: Set(public_id.to_string()),
        email: Set(email.clone()),
        name: Set(name.clone()),
        role: Set(role_code(input.role).to_owned()),
        company_id: Set(company_id),
        operator_id: Set(operator_id),
        password_hash: Set(None),
        password_changed_at: Set(None),
        totp_secret_enc: Set(None),
        totp_enabled: Set(false),
        totp_last_step: Set(None),
        failed_second_factor: Set(0),
        second_factor_locked_until: Set(None),
        disabled_at: Set(None),
        pref_monthly_invoices: Set(false),
        pref_weekly_declarations: Set(false),
        pref_daily_schedules: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    store_link_token(
        &txn,
        &user,
        "invitation",
        &token,
        now + INVITATION_VALIDITY,
        now,
    )
    .await?;
    audit(
        &txn,
        now,
        "user_created",
        actor_user_id,
        Some(&user),
        format!("role {}", user.role),
    )
    .await?;
    let mail = invitation_email(&name, &email, &invitation_url, env.public_url);
    commit_with_mail(env, txn, &mail, now).await?;
    Ok(CreatedUser {
        id: public_id,
        invitation_url,
    })
}

async fn authorise_user_creation(
    db: &DatabaseConnection,
    actor: &Actor,
    role: Role,
    company_id: Option<i32>,
    operator_id: Option<i32>,
) -> Result<(), ServiceError> {
    match (actor, role) {
        (Actor::PlatformAdmin { .. }, _) => Ok(()),
        (
            Actor::Operator {
                operator_id: own, ..
            },
            Role::Operator,
        ) if operator_id == Some(*own) => Ok(()),
        (
            Actor::Operator {
                operator_id: own, ..
            },
            Role::Participant,
        ) => {
            // An operator manages the users of the FSPs it registered.
            let contracted = fsp_companies::Entity::find()
                .filter(fsp_companies::Column::Id.eq(company_id))
                .filter(super::organisations::registered_by(
                    fsp_companies::Column::Id,
                    *own,
                ))
                .one(db)
                .await?
                .is_some();
            if contracted {
                Ok(())
            } else {
                Err(ServiceError::invalid(
                    "organisation",
                    "no FSP company of yours has this name",
                ))
            }
        }
        _ => Err(ServiceError::Forbidden(
            "you may not create this user".to_owned(),
        )),
    }
}

fn invitation_email(name: &str, email: &str, url: &str, public_url: &str) -> Email {
    let text = format!(
        "Hello {name},\n\nAn Openflex account has been created for {email}.\n\n\
         Set your password here (the link works once, for 24 hours):\n{url}\n\n\
         If the link has expired, go to {public_url}/login and choose \"Forgot your password\".\n"
    );
    let html = format!(
        "<p>Hello {},</p><p>An Openflex account has been created for {}.</p>\
         <p><a href=\"{}\">Set your password</a> (the link works once, for 24 hours).</p>\
         <p>If the link has expired, go to <a href=\"{}/login\">the sign-in page</a> and choose \
         \"Forgot your password\".</p>",
        html_escape(name),
        html_escape(email),
        html_escape(url),
        html_escape(public_url)
    );
    Email {
        to: email.to_owned(),
        subject: "Your Openflex account".to_owned(),
        text,
        html,
    }
}

/// Sets a password from an invitation or reset link. The token is consumed atomically: a
/// used or expired link is refused and changes nothing. Existing sessions end.
pub async fn activate(
    env: &AccountsEnv<'_>,
    token: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let refused = || {
        ServiceError::invalid(
            "token",
            "this link has expired or was already used; use \"Forgot your password\" for a new one",
        )
    };
    let row = auth_tokens::Entity::find()
        .filter(auth_tokens::Column::TokenHash.eq(crypto::digest(token)))
        .one(env.db)
        .await?
        .ok_or_else(refused)?;
    let user = users::Entity::find_by_id(row.user_id)
        .one(env.db)
        .await?
        .ok_or_else(refused)?;
    check_password(password, &user.email)?;
    let hash = crypto::hash_password(password.to_owned())
        .await
        .map_err(crypto_error)?;

    let txn = env.db.begin().await?;
    let consumed = auth_tokens::Entity::update_many()
        .col_expr(auth_tokens::Column::UsedAt, Expr::value(now))
        .filter(auth_tokens::Column::Id.eq(row.id))
        .filter(auth_tokens::Column::UsedAt.is_null())
        .filter(auth_tokens::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?
        .rows_affected;
    if consumed != 1 || user.disabled_at.is_some() {
        return Err(refused());
    }
    set_password(&txn, &user, hash, None, now).await?;
    audit(
        &txn,
        now,
        "password_set",
        Some(user.id),
        Some(&user),
        row.purpose,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Stores a new password hash and ends the user's sessions, but for `keep` (the session
/// that changed it).
async fn set_password(
    txn: &sea_orm::DatabaseTransaction,
    user: &users::Model,
    hash: String,
    keep: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut active: users::ActiveModel = user.clone().into();
    active.password_hash = Set(Some(hash));
    active.password_changed_at = Set(Some(now));
    active.update(txn).await?;
    let mut ended = sessions::Entity::delete_many().filter(sessions::Column::UserId.eq(user.id));
    if let Some(keep) = keep {
        ended = ended.filter(sessions::Column::Id.ne(keep));
    }
    ended.exec(txn).await?;
    Ok(())
}

/// The first sign-in step. Returns a new session token and what must follow; a wrong
/// e-mail or password is indistinguishable from an unknown one. Wrong passwords are
/// counted per account and per client address; past either limit sign-in answers
/// `RateLimited` until the window ends, whatever the password. A session the client
/// presented is ended (no session fixation).
pub async fn login(
    env: &AccountsEnv<'_>,
    email: &str,
    password: &str,
    client: &str,
    presented_session: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(String, NextStep), ServiceError> {
    use super::throttle::{self, LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_CLIENT};
    let email = email.trim().to_lowercase();
    throttle::check(env.db, LOGIN_FAILURES_PER_CLIENT, client, now).await?;
    throttle::check(env.db, LOGIN_FAILURES_PER_ACCOUNT, &email, now).await?;
    let user = users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(env.db)
        .await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = crypto::verify_password(password.to_owned(), stored).await;
    let user = match user {
        Some(user) if ok && user.disabled_at.is_none() => user,
        other => {
            audit(
                env.db,
                now,
                "login_failed",
                None,
                other.as_ref(),
                "wrong e-mail or password",
            )
            .await?;
            // This attempt is answered as wrong; the next one over a limit is throttled.
            let counted = [
                throttle::hit(env.db, LOGIN_FAILURES_PER_CLIENT, client, now).await,
                throttle::hit(env.db, LOGIN_FAILURES_PER_ACCOUNT, &email, now).await,
            ];
            for outcome in counted {
                if let Err(ServiceError::Internal(e)) = outcome {
                    return Err(ServiceError::Internal(e));
                }
            }
            return Err(ServiceError::Unauthenticated);
        }
    };
    if let Some(presented) = presented_session {
        logout(env, presented).await?;
    }
    let (stage, next) = if user.totp_enabled {
        (STAGE_SECOND_FACTOR, NextStep::SecondFactor)
    } else {
        (STAGE_TOTP_SETUP, NextStep::TotpSetup)
    };
    let token = new_session(env.db, &user, stage, now).await?;
    audit(
        env.db,
        now,
        "login_password_accepted",
        Some(user.id),
        Some(&user),
        "",
    )
    .await?;
    Ok((token, next))
}

async fn new_session(
    db: &impl ConnectionTrait,
    user: &users::Model,
    stage: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let token = crypto::new_token().map_err(crypto_error)?;
    let lifetime = if stage == STAGE_COMPLETE {
        SESSION_ABSOLUTE
    } else {
        PENDING_SESSION
    };
    sessions::ActiveModel {
        token_hash: Set(crypto::digest(&token)),
        user_id: Set(user.id),
        stage: Set(stage.to_owned()),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + lifetime),
        // A fully signed-in session has just proved its second factor.
        second_factor_at: Set((stage == STAGE_COMPLETE).then_some(now)),
        pending_totp_secret_enc: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The live session behind a token, with its user, if it is at `stage`.
pub(super) async fn session_at(
    db: &DatabaseConnection,
    token: &str,
    stage: &str,
    now: DateTime<Utc>,
) -> Result<(sessions::Model, users::Model), ServiceError> {
    let session = sessions::Entity::find()
        .filter(sessions::Column::TokenHash.eq(crypto::digest(token)))
        .one(db)
        .await?
        .filter(|s| s.stage == stage && s.expires_at > now && s.last_seen_at + SESSION_IDLE > now)
        .ok_or(ServiceError::Unauthenticated)?;
    let user = users::Entity::find_by_id(session.user_id)
        .one(db)
        .await?
        .filter(|u| u.disabled_at.is_none())
        .ok_or(ServiceError::Unauthenticated)?;
    Ok((session, user))
}

fn totp_for(secret: Vec<u8>, email: &str) -> Result<Totp, ServiceError> {
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(0)
        .with_secret(secret)
        .with_account_name(email.replace(':', "_"))
        .with_issuer(Some("Openflex"))
        .build()
        .map_err(|e| ServiceError::Internal(sea_orm::DbErr::Custom(e.to_string())))
}

/// The step a code matches: the current one or the one before (clock drift), never later.
fn matching_step(totp: &Totp, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let t = u64::try_from(now.timestamp()).ok()?;
    [t, t.saturating_sub(30)]
        .into_iter()
        .find_map(|time| totp.check(code.trim(), time))
        .and_then(|step| i64::try_from(step).ok())
}

/// Starts (or shows again) authenticator enrolment for a session that needs it. The secret
/// belongs to this session until a code proves it; once the account has an authenticator
/// it is never shown again.
pub async fn totp_enrolment(
    env: &AccountsEnv<'_>,
    session_token: &str,
    now: DateTime<Utc>,
) -> Result<TotpEnrolment, ServiceError> {
    let (session, user) = session_at(env.db, session_token, STAGE_TOTP_SETUP, now).await?;
    if user.totp_enabled {
        return Err(ServiceError::Conflict(
            "an authenticator is already set up for this account; sign in with its code".to_owned(),
        ));
    }
    let secret = match &session.pending_totp_secret_enc {
        Some(sealed) => env.secrets.open(sealed).map_err(crypto_error)?,
        None => {
            let secret = crypto::random_bytes::<20>().map_err(crypto_error)?.to_vec();
            let mut active: sessions::ActiveModel = session.clone().into();
            active.pending_totp_secret_enc =
                Set(Some(env.secrets.seal(&secret).map_err(crypto_error)?));
            active.update(env.db).await?;
            secret
        }
    };
    let totp = totp_for(secret, &user.email)?;
    let otpauth_url = totp
        .to_url()
        .map_err(|e| ServiceError::Internal(sea_orm::DbErr::Custom(e.to_string())))?;
    let qr_svg = qrcode::QrCode::new(otpauth_url.as_bytes())
        .map_err(|e| ServiceError::Internal(sea_orm::DbErr::Custom(e.to_string())))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(TotpEnrolment {
        secret: totp.secret().to_base32(),
        otpauth_url,
        qr_svg,
    })
}

/// Finishes enrolment with a code from the new authenticator; returns a new, fully
/// signed-in session token (the pending one ends). The account takes the secret only if
/// it has none yet and the code's step is newer than any accepted before, in one UPDATE:
/// of two requests with the same code, one wins.
pub async fn finish_totp_enrolment(
    env: &AccountsEnv<'_>,
    session_token: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let (session, user) = session_at(env.db, session_token, STAGE_TOTP_SETUP, now).await?;
    let sealed = session.pending_totp_secret_enc.clone().ok_or_else(|| {
        ServiceError::invalid(
            "code",
            "fetch the set-up secret (GET /auth/totp/setup) first",
        )
    })?;
    let secret = env.secrets.open(&sealed).map_err(crypto_error)?;
    let step = matching_step(&totp_for(secret, &user.email)?, code, now).ok_or_else(|| {
        ServiceError::invalid(
            "code",
            "is wrong or has expired; enter the current code from your app",
        )
    })?;
    let txn = env.db.begin().await?;
    let taken = users::Entity::update_many()
        .col_expr(users::Column::TotpSecretEnc, Expr::value(sealed))
        .col_expr(users::Column::TotpEnabled, Expr::value(true))
        .col_expr(users::Column::TotpLastStep, Expr::value(step))
        .col_expr(users::Column::FailedSecondFactor, Expr::value(0))
        .filter(users::Column::Id.eq(user.id))
        .filter(users::Column::TotpEnabled.eq(false))
        .filter(
            sea_orm::Condition::any()
                .add(users::Column::TotpLastStep.is_null())
                .add(users::Column::TotpLastStep.lt(step)),
        )
        .exec(&txn)
        .await?
        .rows_affected;
    if taken != 1 {
        txn.rollback().await?;
        return Err(ServiceError::invalid(
            "code",
            "was already used, or an authenticator is already set up; sign in again",
        ));
    }
    let token = complete_sign_in(&txn, session.id, &user, "totp_enrolled", "", now).await?;
    txn.commit().await?;
    Ok(token)
}

/// Checks the authenticator code of a session that needs its second factor. A code is
/// accepted once; repeated failures slow the account down, never lock it for good.
pub async fn verify_second_factor(
    env: &AccountsEnv<'_>,
    session_token: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let (session, user) = session_at(env.db, session_token, STAGE_SECOND_FACTOR, now).await?;
    let step = check_code(env, &user, code, now).await?;
    let txn = env.db.begin().await?;
    if !record_step(&txn, &user, step).await? {
        txn.rollback().await?;
        return Err(replayed(env, &user, now).await);
    }
    let token = complete_sign_in(&txn, session.id, &user, "login", "totp", now).await?;
    txn.commit().await?;
    Ok(token)
}

/// Checks `user`'s authenticator code; the step it matched. A wrong code is counted with
/// one atomic increment, so parallel guesses each count; from the fifth the account waits
/// 30 s, doubling to at most 15 minutes. No transaction is held meanwhile: a burst of
/// guesses must not hold a connection each while it waits for another.
async fn check_code(
    env: &AccountsEnv<'_>,
    user: &users::Model,
    code: &str,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    if let Some(until) = user.second_factor_locked_until.filter(|until| *until > now) {
        return Err(ServiceError::RateLimited {
            retry_after_seconds: (until - now).num_seconds().max(1),
        });
    }
    let sealed = user
        .totp_secret_enc
        .clone()
        .ok_or(ServiceError::Unauthenticated)?;
    let secret = env.secrets.open(&sealed).map_err(crypto_error)?;
    let Some(step) = matching_step(&totp_for(secret, &user.email)?, code, now) else {
        users::Entity::update_many()
            .col_expr(
                users::Column::FailedSecondFactor,
                sea_orm::sea_query::ExprTrait::add(Expr::col(users::Column::FailedSecondFactor), 1),
            )
            .filter(users::Column::Id.eq(user.id))
            .exec(env.db)
            .await?;
        let failures = users::Entity::find_by_id(user.id)
            .one(env.db)
            .await?
            .map_or(FREE_ATTEMPTS, |u| u.failed_second_factor);
        if failures >= FREE_ATTEMPTS {
            let exponent = u32::try_from((failures - FREE_ATTEMPTS).min(5)).unwrap_or(5);
            let until = now + Duration::seconds((30 * 2i64.pow(exponent)).min(900));
            // Only ever lengthens a wait another guess set.
            users::Entity::update_many()
                .col_expr(users::Column::SecondFactorLockedUntil, Expr::value(until))
                .filter(users::Column::Id.eq(user.id))
                .filter(
                    sea_orm::Condition::any()
                        .add(users::Column::SecondFactorLockedUntil.is_null())
                        .add(users::Column::SecondFactorLockedUntil.lt(until)),
                )
                .exec(env.db)
                .await?;
        }
        audit(
            env.db,
            now,
            "second_factor_failed",
            Some(user.id),
            Some(user),
            format!("attempt {failures}"),
        )
        .await?;
        return Err(ServiceError::invalid("code", "is wrong or has expired"));
    };
    Ok(step)
}

/// Records an accepted code's step inside `txn`, only if it is newer than any before: a
/// replayed code loses this race (false; the caller rolls back and reports [`replayed`]).
async fn record_step(
    txn: &sea_orm::DatabaseTransaction,
    user: &users::Model,
    step: i64,
) -> Result<bool, ServiceError> {
    let accepted = users::Entity::update_many()
        .col_expr(users::Column::TotpLastStep, Expr::value(step))
        .col_expr(users::Column::FailedSecondFactor, Expr::value(0))
        .col_expr(
            users::Column::SecondFactorLockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(users::Column::Id.eq(user.id))
        .filter(
            sea_orm::Condition::any()
                .add(users::Column::TotpLastStep.is_null())
                .add(users::Column::TotpLastStep.lt(step)),
        )
        .exec(txn)
        .await?
        .rows_affected;
    Ok(accepted == 1)
}

/// Audits a replayed code (after the caller rolled its transaction back) and says why it
/// was refused.
async fn replayed(env: &AccountsEnv<'_>, user: &users::Model, now: DateTime<Utc>) -> ServiceError {
    if let Err(e) = audit(
        env.db,
        now,
        "second_factor_replayed",
        Some(user.id),
        Some(user),
        "",
    )
    .await
    {
        return e;
    }
    ServiceError::invalid(
        "code",
        "was already used; wait for the next code from your app",
    )
}

/// How recently a session must have proved its second factor to change the password or
/// add a passkey.
pub const STEP_UP_VALIDITY: Duration = Duration::minutes(5);

/// Proves the second factor again for a signed-in session (step-up), so that it may
/// change the password or add a passkey in the next five minutes.
pub async fn step_up(
    env: &AccountsEnv<'_>,
    session_token: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let (session, user) = session_at(env.db, session_token, STAGE_COMPLETE, now).await?;
    let step = check_code(env, &user, code, now).await?;
    let txn = env.db.begin().await?;
    if !record_step(&txn, &user, step).await? {
        txn.rollback().await?;
        return Err(replayed(env, &user, now).await);
    }
    let mut active: sessions::ActiveModel = session.into();
    active.second_factor_at = Set(Some(now));
    active.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Refuses unless the session proved its second factor within [`STEP_UP_VALIDITY`].
pub(super) fn require_fresh_second_factor(
    session: &sessions::Model,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if session
        .second_factor_at
        .is_some_and(|at| now - at <= STEP_UP_VALIDITY)
    {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            "code",
            "enter the current code from your authenticator app to confirm it is you",
        ))
    }
}

/// Changes the signed-in user's password: the current one must be right, the session must
/// have proved its second factor within five minutes (or `code` does so now), the new one
/// meets the same rules as any. Every other session of the user ends; the change is
/// audited and the user e-mailed.
pub async fn change_password(
    env: &AccountsEnv<'_>,
    session_token: &str,
    current_password: &str,
    new_password: &str,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    use super::throttle::{self, LOGIN_FAILURES_PER_ACCOUNT};
    let (session, user) = session_at(env.db, session_token, STAGE_COMPLETE, now).await?;
    throttle::check(env.db, LOGIN_FAILURES_PER_ACCOUNT, &user.email, now).await?;
    check_password(new_password, &user.email).map_err(|e| rename_field(e, "new_password"))?;
    if new_password == current_password {
        return Err(ServiceError::invalid(
            "new_password",
            "must differ from the current password",
        ));
    }
    if !crypto::verify_password(current_password.to_owned(), user.password_hash.clone()).await {
        audit(
            env.db,
            now,
            "password_change_refused",
            Some(user.id),
            Some(&user),
            "wrong current password",
        )
        .await?;
        throttle::hit(env.db, LOGIN_FAILURES_PER_ACCOUNT, &user.email, now).await?;
        return Err(ServiceError::invalid("current_password", "is wrong"));
    }
    let step = match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => Some(check_code(env, &user, code, now).await?),
        None => {
            require_fresh_second_factor(&session, now)?;
            None
        }
    };
    let hash = crypto::hash_password(new_password.to_owned())
        .await
        .map_err(crypto_error)?;
    let txn = env.db.begin().await?;
    if let Some(step) = step
        && !record_step(&txn, &user, step).await?
    {
        txn.rollback().await?;
        return Err(replayed(env, &user, now).await);
    }
    set_password(&txn, &user, hash, Some(session.id), now).await?;
    audit(
        &txn,
        now,
        "password_changed",
        Some(user.id),
        Some(&user),
        "",
    )
    .await?;
    let mail = security_notice(
        &user,
        "Your Openflex password was changed",
        "The password of your Openflex account was changed, and every other signed-in \
         session was ended.",
        env.public_url,
    );
    commit_with_mail(env, txn, &mail, now).await
}

/// An e-mail telling the user of a change to their account's security.
pub(super) fn security_notice(
    user: &users::Model,
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

/// "Forgot your password": e-mails a single-use reset link valid one hour when the address
/// belongs to an active user with a password. The caller learns nothing either way.
pub async fn request_password_reset(
    env: &AccountsEnv<'_>,
    email: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let Ok(email) = parse_email(email) else {
        return Ok(());
    };
    let Some(user) = users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(env.db)
        .await?
        .filter(|u| u.disabled_at.is_none())
    else {
        return Ok(());
    };
    // Counted atomically: requests handled at the same moment cannot all slip under it.
    if let Err(ServiceError::RateLimited { .. }) = super::throttle::hit(
        env.db,
        super::throttle::PASSWORD_RESETS_PER_ACCOUNT,
        &user.email,
        now,
    )
    .await
    {
        audit(
            env.db,
            now,
            "password_reset_throttled",
            None,
            Some(&user),
            "",
        )
        .await?;
        return Ok(());
    }
    let token = crypto::new_token().map_err(crypto_error)?;
    let url = format!("{}/activate#token={token}", env.public_url);
    let txn = env.db.begin().await?;
    store_link_token(
        &txn,
        &user,
        "password_reset",
        &token,
        now + RESET_VALIDITY,
        now,
    )
    .await?;
    audit(&txn, now, "password_reset_requested", None, Some(&user), "").await?;
    let text = format!(
        "Hello {},\n\nSomeone asked to reset the password of your Openflex account ({}).\n\n\
         Choose a new password here (the link works once, for one hour):\n{url}\n\n\
         Your authenticator app is still needed to sign in. If you did not ask for this, \
         ignore this e-mail: your password has not changed.\n",
        user.name, user.email
    );
    let html = format!(
        "<p>Hello {},</p><p>Someone asked to reset the password of your Openflex account ({}).</p>\
         <p><a href=\"{}\">Choose a new password</a> (the link works once, for one hour).</p>\
         <p>Your authenticator app is still needed to sign in. If you did not ask for this, \
         ignore this e-mail: your password has not changed.</p>",
        html_escape(&user.name),
        html_escape(&user.email),
        html_escape(&url)
    );
    let email = Email {
        to: user.email.clone(),
        subject: "Reset your Openflex password".to_owned(),
        text,
        html,
    };
    commit_with_mail(env, txn, &email, now).await?;
    Ok(())
}

/// Ends a session. Unknown tokens are ignored.
pub async fn logout(env: &AccountsEnv<'_>, session_token: &str) -> Result<(), ServiceError> {
    sessions::Entity::delete_many()
        .filter(sessions::Column::TokenHash.eq(crypto::digest(session_token)))
        .exec(env.db)
        .await?;
    Ok(())
}

/// The signed-in caller behind a session token. Touches the session (idle timeout) at most
/// once a minute so reads stay cheap.
pub async fn session_actor(
    db: &DatabaseConnection,
    session_token: &str,
    now: DateTime<Utc>,
) -> Result<Actor, ServiceError> {
    let (session, user) = session_at(db, session_token, STAGE_COMPLETE, now).await?;
    if now - session.last_seen_at > Duration::minutes(1) {
        let mut active: sessions::ActiveModel = session.into();
        active.last_seen_at = Set(now);
        active.update(db).await?;
    }
    actor_for(db, user).await
}

/// Whether a signed-in session is still live (not ended, expired, idle or disabled),
/// without touching it.
pub async fn session_holds(
    db: &DatabaseConnection,
    session_token: &str,
    now: DateTime<Utc>,
) -> bool {
    session_at(db, session_token, STAGE_COMPLETE, now)
        .await
        .is_ok()
}

/// The caller a user's account stands for.
pub(crate) async fn actor_for(
    db: &DatabaseConnection,
    user: users::Model,
) -> Result<Actor, ServiceError> {
    match user.role.as_str() {
        "participant" => {
            let company = fsp_companies::Entity::find_by_id(user.company_id.unwrap_or_default())
                .one(db)
                .await?
                .ok_or(ServiceError::Unauthenticated)?;
            Ok(Actor::Participant {
                user_id: Some(user.id),
                user_name: user.name,
                company_id: company.id,
                company_name: company.name,
            })
        }
        "operator" => {
            let operator = operators::Entity::find_by_id(user.operator_id.unwrap_or_default())
                .one(db)
                .await?
                .ok_or(ServiceError::Unauthenticated)?;
            Ok(Actor::Operator {
                user_id: Some(user.id),
                user_name: user.name,
                operator_id: operator.id,
                operator_name: operator.name,
            })
        }
        "platform_admin" => Ok(Actor::PlatformAdmin {
            user_id: Some(user.id),
            user_name: user.name,
        }),
        _ => Err(ServiceError::Unauthenticated),
    }
}

/// The signed-in user as shown in the top bar and on the account page.
pub async fn me(db: &DatabaseConnection, actor: &Actor) -> Result<Viewer, ServiceError> {
    let user = own_row(db, actor).await?;
    let organisation = match actor {
        Actor::Participant { company_name, .. } => Some(company_name.clone()),
        Actor::Operator { operator_name, .. } => Some(operator_name.clone()),
        Actor::PlatformAdmin { .. } => None,
    };
    Ok(Viewer {
        id: PublicId::parse(&user.public_id)
            .map_err(|_| ServiceError::Internal(sea_orm::DbErr::Custom("bad public id".into())))?,
        name: user.name.clone(),
        email: user.email.clone(),
        role: actor.role(),
        organisation,
        preferences: preferences(&user),
    })
}

fn preferences(user: &users::Model) -> EmailPreferences {
    EmailPreferences {
        monthly_invoices: user.pref_monthly_invoices,
        weekly_accepted_declarations: user.pref_weekly_declarations,
        daily_schedules: user.pref_daily_schedules,
    }
}

async fn own_row(db: &DatabaseConnection, actor: &Actor) -> Result<users::Model, ServiceError> {
    users::Entity::find_by_id(actor.user_id().ok_or(ServiceError::Unauthenticated)?)
        .one(db)
        .await?
        .ok_or(ServiceError::Unauthenticated)
}

/// Saves the caller's e-mail opt-ins.
pub async fn update_my_preferences(
    db: &DatabaseConnection,
    actor: &Actor,
    wanted: EmailPreferences,
) -> Result<EmailPreferences, ServiceError> {
    let user = own_row(db, actor).await?;
    let mut active: users::ActiveModel = user.into();
    active.pref_monthly_invoices = Set(wanted.monthly_invoices);
    active.pref_weekly_declarations = Set(wanted.weekly_accepted_declarations);
    active.pref_daily_schedules = Set(wanted.daily_schedules);
    Ok(preferences(&active.update(db).await?))
}

/// Users the caller may see: a participant its own company's, an operator its own
/// colleagues and the users of the FSPs contracted in its zones, a platform admin all.
fn visible_users(actor: &Actor) -> sea_orm::Condition {
    use sea_orm::Condition;
    match actor {
        Actor::Participant { company_id, .. } => {
            Condition::all().add(users::Column::CompanyId.eq(*company_id))
        }
        Actor::Operator { operator_id, .. } => Condition::any()
            .add(users::Column::OperatorId.eq(*operator_id))
            .add(super::organisations::contracted_by(
                users::Column::CompanyId,
                *operator_id,
            )),
        Actor::PlatformAdmin { .. } => Condition::all(),
    }
}

/// The e-mail addresses of the users the caller may see.
pub(crate) async fn visible_emails(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<Vec<String>, ServiceError> {
    use sea_orm::QuerySelect;
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Email)
        .filter(visible_users(actor))
        .into_tuple::<String>()
        .all(db)
        .await?)
}

fn role_of(code: &str) -> Role {
    match code {
        "operator" => Role::Operator,
        "platform_admin" => Role::PlatformAdmin,
        _ => Role::Participant,
    }
}

/// The users the caller may see, by name.
pub async fn list_users(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<Vec<UserSummary>, ServiceError> {
    use sea_orm::QueryOrder;
    let rows = users::Entity::find()
        .filter(visible_users(actor))
        .order_by_asc(users::Column::Name)
        .all(db)
        .await?;
    summaries(db, rows).await
}

/// One user by public id, if the caller may see them.
pub async fn get_user(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &PublicId,
) -> Result<UserSummary, ServiceError> {
    let row = users::Entity::find()
        .filter(users::Column::PublicId.eq(id.as_str()))
        .filter(visible_users(actor))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    summaries(db, vec![row])
        .await?
        .pop()
        .ok_or(ServiceError::NotFound("user"))
}

/// Users with their organisations' names, in two more queries whatever the count.
async fn summaries(
    db: &DatabaseConnection,
    rows: Vec<users::Model>,
) -> Result<Vec<UserSummary>, ServiceError> {
    let companies: std::collections::HashMap<i32, String> = fsp_companies::Entity::find()
        .filter(fsp_companies::Column::Id.is_in(rows.iter().filter_map(|u| u.company_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let operators: std::collections::HashMap<i32, String> = operators::Entity::find()
        .filter(operators::Column::Id.is_in(rows.iter().filter_map(|u| u.operator_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    rows.into_iter()
        .map(|u| {
            let organisation = u
                .company_id
                .and_then(|c| companies.get(&c).cloned())
                .or_else(|| u.operator_id.and_then(|o| operators.get(&o).cloned()));
            Ok(UserSummary {
                id: PublicId::parse(&u.public_id).map_err(|_| {
                    ServiceError::Internal(sea_orm::DbErr::Custom("bad public id".into()))
                })?,
                role: role_of(&u.role),
                activated: u.password_hash.is_some(),
                second_factor_enrolled: u.totp_enabled,
                disabled: u.disabled_at.is_some(),
                name: u.name,
                email: u.email,
                organisation,
            })
        })
        .collect()
}

/// A user an operator or platform admin may manage: an operator its own colleagues and the
/// users of the FSP companies it registered. Not found otherwise (a user the operator can
/// see but not manage is refused as forbidden).
async fn managed_user(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
) -> Result<users::Model, ServiceError> {
    if matches!(actor, Actor::Participant { .. }) {
        return Err(ServiceError::Forbidden(
            "only operators and platform admins manage users".to_owned(),
        ));
    }
    let user = users::Entity::find()
        .filter(users::Column::PublicId.eq(id))
        .filter(visible_users(actor))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    if let Actor::Operator { operator_id, .. } = actor
        && user.operator_id != Some(*operator_id)
    {
        let registered = fsp_companies::Entity::find()
            .filter(fsp_companies::Column::Id.eq(user.company_id))
            .filter(super::organisations::registered_by(
                fsp_companies::Column::Id,
                *operator_id,
            ))
            .one(db)
            .await?
            .is_some();
        if !registered {
            return Err(ServiceError::Forbidden(
                "only the operator that registered this user's company manages its users"
                    .to_owned(),
            ));
        }
    }
    Ok(user)
}

/// Disables a user: every session ends at once and sign-in is refused from then on.
pub async fn disable_user(
    env: &AccountsEnv<'_>,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let user = managed_user(env.db, actor, id).await?;
    if Some(user.id) == actor.user_id() {
        return Err(ServiceError::invalid("id", "you cannot disable yourself"));
    }
    let txn = env.db.begin().await?;
    let mut active: users::ActiveModel = user.clone().into();
    active.disabled_at = Set(Some(now));
    active.update(&txn).await?;
    sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    audit(&txn, now, "user_disabled", actor.user_id(), Some(&user), "").await?;
    txn.commit().await?;
    Ok(())
}

/// Resets a user's second factor (guide §2.5): the authenticator is forgotten, sessions
/// end, and the next sign-in enrols again. Audited; the user is e-mailed.
pub async fn reset_second_factor(
    env: &AccountsEnv<'_>,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let user = managed_user(env.db, actor, id).await?;
    let txn = env.db.begin().await?;
    let mut active: users::ActiveModel = user.clone().into();
    active.totp_enabled = Set(false);
    active.totp_secret_enc = Set(None);
    active.totp_last_step = Set(None);
    active.failed_second_factor = Set(0);
    active.second_factor_locked_until = Set(None);
    active.update(&txn).await?;
    sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    // A passkey is a second factor too: whoever asked for the reset may have lost it.
    crate::db::entities::passkeys::Entity::delete_many()
        .filter(crate::db::entities::passkeys::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    audit(
        &txn,
        now,
        "second_factor_reset",
        actor.user_id(),
        Some(&user),
        "",
    )
    .await?;
    let text = format!(
        "Hello {},\n\nAn operator has reset the two-factor authentication of your Openflex \
         account ({}), and removed its passkeys. The next time you sign in you will set up your \
         authenticator app again.\n\n\
         If you did not ask for this, contact your operator at once.\n\n{}/login\n",
        user.name, user.email, env.public_url
    );
    let html = format!(
        "<p>Hello {},</p><p>An operator has reset the two-factor authentication of your Openflex \
         account ({}). The next time you <a href=\"{}/login\">sign in</a> you will set up your \
         authenticator app again.</p><p>If you did not ask for this, contact your operator at once.</p>",
        html_escape(&user.name),
        html_escape(&user.email),
        html_escape(env.public_url)
    );
    let email = Email {
        to: user.email.clone(),
        subject: "Your Openflex two-factor authentication was reset".to_owned(),
        text,
        html,
    };
    commit_with_mail(env, txn, &email, now).await?;
    Ok(())
}

/// Security events about the users the caller manages, newest first.
pub async fn audit_log(
    db: &DatabaseConnection,
    actor: &Actor,
    limit: u64,
) -> Result<Vec<AuditEntry>, ServiceError> {
    use sea_orm::{QueryOrder, QuerySelect};
    if matches!(actor, Actor::Participant { .. }) {
        return Err(ServiceError::Forbidden(
            "only operators and platform admins read the audit log".to_owned(),
        ));
    }
    let subjects: Vec<users::Model> = users::Entity::find()
        .filter(visible_users(actor))
        .all(db)
        .await?;
    let ids: Vec<i32> = subjects.iter().map(|u| u.id).collect();
    // Events about visible users, and changes to the caller's own network (configuration,
    // availability, baselines), which concern no user.
    let mut scope = sea_orm::Condition::any().add(audit_events::Column::SubjectUserId.is_in(ids));
    match actor {
        Actor::PlatformAdmin { .. } => {
            scope = scope.add(audit_events::Column::OperatorId.is_not_null());
        }
        Actor::Operator { operator_id, .. } => {
            scope = scope.add(
                sea_orm::Condition::all()
                    .add(audit_events::Column::SubjectUserId.is_null())
                    .add(audit_events::Column::OperatorId.eq(*operator_id)),
            );
        }
        Actor::Participant { .. } => {}
    }
    let events = audit_events::Entity::find()
        .filter(scope)
        .order_by_desc(audit_events::Column::At)
        .order_by_desc(audit_events::Column::Id)
        .limit(limit.min(1000))
        .all(db)
        .await?;
    let actor_ids: Vec<i32> = events.iter().filter_map(|e| e.actor_user_id).collect();
    let mut emails: std::collections::HashMap<i32, String> =
        subjects.into_iter().map(|u| (u.id, u.email)).collect();
    for u in users::Entity::find()
        .filter(users::Column::Id.is_in(actor_ids))
        .all(db)
        .await?
    {
        emails.insert(u.id, u.email);
    }
    Ok(events
        .into_iter()
        .map(|e| AuditEntry {
            at: e.at,
            actor_email: e.actor_user_id.and_then(|id| emails.get(&id).cloned()),
            subject_email: e.subject_user_id.and_then(|id| emails.get(&id).cloned()),
            event: e.event,
            detail: e.detail,
        })
        .collect())
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
