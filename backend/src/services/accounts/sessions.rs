//! Sessions: opened at sign-in, looked up on every request, ended at logout.

use super::*;

/// Ends the half-signed-in session and opens a fully signed-in one with a new id, so a
/// token seen before the second factor is worth nothing after it.
pub(in crate::services) async fn complete_sign_in(
    db: &impl ConnectionTrait,
    pending_session_id: i32,
    user: &user_rows::Model,
    event: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    session_rows::Entity::delete_by_id(pending_session_id)
        .exec(db)
        .await?;
    let token = new_session(db, user, STAGE_COMPLETE, now).await?;
    audit(db, now, event, Some(user.id), Some(user), detail).await?;
    Ok(token)
}

pub(super) async fn new_session(
    db: &impl ConnectionTrait,
    user: &user_rows::Model,
    stage: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let token = crypto::new_token().map_err(crypto_error)?;
    let lifetime = if stage == STAGE_COMPLETE {
        SESSION_ABSOLUTE
    } else {
        PENDING_SESSION
    };
    session_rows::ActiveModel {
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
pub(in crate::services) async fn session_at(
    db: &DatabaseConnection,
    token: &str,
    stage: &str,
    now: DateTime<Utc>,
) -> Result<(session_rows::Model, user_rows::Model), ServiceError> {
    let session = session_rows::Entity::find()
        .filter(session_rows::Column::TokenHash.eq(crypto::digest(token)))
        .one(db)
        .await?
        .filter(|s| s.stage == stage && s.expires_at > now && s.last_seen_at + SESSION_IDLE > now)
        .ok_or(ServiceError::Unauthenticated)?;
    let user = user_rows::Entity::find_by_id(session.user_id)
        .one(db)
        .await?
        .filter(|u| u.disabled_at.is_none())
        .ok_or(ServiceError::Unauthenticated)?;
    Ok((session, user))
}

/// Ends a session. Unknown tokens are ignored.
pub async fn logout(env: &AccountsEnv<'_>, session_token: &str) -> Result<(), ServiceError> {
    session_rows::Entity::delete_many()
        .filter(session_rows::Column::TokenHash.eq(crypto::digest(session_token)))
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
        let mut active: session_rows::ActiveModel = session.into();
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
    user: user_rows::Model,
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
