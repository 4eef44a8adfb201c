//! Signing in and proving it is you: passwords, invitation and reset links, the
//! authenticator (TOTP) and step-up before sensitive changes.

use super::*;

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
    let user = user_rows::Entity::find_by_id(row.user_id)
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
pub(super) async fn set_password(
    txn: &sea_orm::DatabaseTransaction,
    user: &user_rows::Model,
    hash: String,
    keep: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut active: user_rows::ActiveModel = user.clone().into();
    active.password_hash = Set(Some(hash));
    active.password_changed_at = Set(Some(now));
    active.update(txn).await?;
    let mut ended =
        session_rows::Entity::delete_many().filter(session_rows::Column::UserId.eq(user.id));
    if let Some(keep) = keep {
        ended = ended.filter(session_rows::Column::Id.ne(keep));
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
    use crate::services::throttle::{self, LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_CLIENT};
    let email = email.trim().to_lowercase();
    throttle::check(env.db, LOGIN_FAILURES_PER_CLIENT, client, now).await?;
    throttle::check(env.db, LOGIN_FAILURES_PER_ACCOUNT, &email, now).await?;
    let user = user_rows::Entity::find()
        .filter(user_rows::Column::Email.eq(email.as_str()))
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

pub(super) fn totp_for(secret: Vec<u8>, email: &str) -> Result<Totp, ServiceError> {
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
pub(super) fn matching_step(totp: &Totp, code: &str, now: DateTime<Utc>) -> Option<i64> {
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
            let mut active: session_rows::ActiveModel = session.clone().into();
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
    let taken = user_rows::Entity::update_many()
        .col_expr(user_rows::Column::TotpSecretEnc, Expr::value(sealed))
        .col_expr(user_rows::Column::TotpEnabled, Expr::value(true))
        .col_expr(user_rows::Column::TotpLastStep, Expr::value(step))
        .col_expr(user_rows::Column::FailedSecondFactor, Expr::value(0))
        .filter(user_rows::Column::Id.eq(user.id))
        .filter(user_rows::Column::TotpEnabled.eq(false))
        .filter(
            sea_orm::Condition::any()
                .add(user_rows::Column::TotpLastStep.is_null())
                .add(user_rows::Column::TotpLastStep.lt(step)),
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
pub(super) async fn check_code(
    env: &AccountsEnv<'_>,
    user: &user_rows::Model,
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
        user_rows::Entity::update_many()
            .col_expr(
                user_rows::Column::FailedSecondFactor,
                sea_orm::sea_query::ExprTrait::add(
                    Expr::col(user_rows::Column::FailedSecondFactor),
                    1,
                ),
            )
            .filter(user_rows::Column::Id.eq(user.id))
            .exec(env.db)
            .await?;
        let failures = user_rows::Entity::find_by_id(user.id)
            .one(env.db)
            .await?
            .map_or(FREE_ATTEMPTS, |u| u.failed_second_factor);
        if failures >= FREE_ATTEMPTS {
            let exponent = u32::try_from((failures - FREE_ATTEMPTS).min(5)).unwrap_or(5);
            let until = now + Duration::seconds((30 * 2i64.pow(exponent)).min(900));
            // Only ever lengthens a wait another guess set.
            user_rows::Entity::update_many()
                .col_expr(
                    user_rows::Column::SecondFactorLockedUntil,
                    Expr::value(until),
                )
                .filter(user_rows::Column::Id.eq(user.id))
                .filter(
                    sea_orm::Condition::any()
                        .add(user_rows::Column::SecondFactorLockedUntil.is_null())
                        .add(user_rows::Column::SecondFactorLockedUntil.lt(until)),
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
pub(super) async fn record_step(
    txn: &sea_orm::DatabaseTransaction,
    user: &user_rows::Model,
    step: i64,
) -> Result<bool, ServiceError> {
    let accepted = user_rows::Entity::update_many()
        .col_expr(user_rows::Column::TotpLastStep, Expr::value(step))
        .col_expr(user_rows::Column::FailedSecondFactor, Expr::value(0))
        .col_expr(
            user_rows::Column::SecondFactorLockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(user_rows::Column::Id.eq(user.id))
        .filter(
            sea_orm::Condition::any()
                .add(user_rows::Column::TotpLastStep.is_null())
                .add(user_rows::Column::TotpLastStep.lt(step)),
        )
        .exec(txn)
        .await?
        .rows_affected;
    Ok(accepted == 1)
}

/// Audits a replayed code (after the caller rolled its transaction back) and says why it
/// was refused.
pub(super) async fn replayed(
    env: &AccountsEnv<'_>,
    user: &user_rows::Model,
    now: DateTime<Utc>,
) -> ServiceError {
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
    let mut active: session_rows::ActiveModel = session.into();
    active.second_factor_at = Set(Some(now));
    active.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Refuses unless the session proved its second factor within [`STEP_UP_VALIDITY`].
pub(in crate::services) fn require_fresh_second_factor(
    session: &session_rows::Model,
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
    use crate::services::throttle::{self, LOGIN_FAILURES_PER_ACCOUNT};
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
    let Some(user) = user_rows::Entity::find()
        .filter(user_rows::Column::Email.eq(email.as_str()))
        .one(env.db)
        .await?
        .filter(|u| u.disabled_at.is_none())
    else {
        return Ok(());
    };
    // Counted atomically: requests handled at the same moment cannot all slip under it.
    if let Err(ServiceError::RateLimited { .. }) = crate::services::throttle::hit(
        env.db,
        crate::services::throttle::PASSWORD_RESETS_PER_ACCOUNT,
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
