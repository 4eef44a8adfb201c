//! Passkeys (WebAuthn): a signed-in user registers one or more, then signs in with one
//! instead of the authenticator code. Ceremony state is kept server-side and used once.

use super::accounts::{
    AccountsEnv, STAGE_COMPLETE, STAGE_SECOND_FACTOR, audit, commit_with_mail, complete_sign_in,
    require_fresh_second_factor, security_notice, session_at,
};
use super::{Actor, ServiceError};
use crate::db::entities::{passkey_ceremonies, passkeys, users};
use crate::ids::new_public_id;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use shared::{PasskeySummary, PublicId};
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid,
    Webauthn, WebauthnBuilder,
};

const CEREMONY_LIFETIME: Duration = Duration::minutes(5);

/// The relying party: the public URL's host and origin.
pub fn relying_party(public_url: &str) -> Result<Webauthn, String> {
    let url = Url::parse(public_url).map_err(|e| format!("public_url: {e}"))?;
    let host = url.host_str().ok_or("public_url has no host")?.to_owned();
    WebauthnBuilder::new(&host, &url)
        .and_then(|b| b.rp_name("Openflex").build())
        .map_err(|e| format!("WebAuthn relying party: {e}"))
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(sea_orm::DbErr::Custom(e.to_string()))
}

/// A stable WebAuthn user handle that reveals nothing about the user.
fn user_handle(user: &users::Model) -> Uuid {
    let digest = Sha256::digest(format!("openflex-webauthn:{}", user.public_id).as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

async fn stored_passkeys(
    db: &DatabaseConnection,
    user_id: i32,
) -> Result<Vec<(passkeys::Model, Passkey)>, ServiceError> {
    passkeys::Entity::find()
        .filter(passkeys::Column::UserId.eq(user_id))
        .order_by_asc(passkeys::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let key: Passkey = serde_json::from_str(&row.passkey_json).map_err(internal)?;
            Ok((row, key))
        })
        .collect()
}

async fn put_ceremony(
    db: &DatabaseConnection,
    session_id: i32,
    kind: &str,
    state: &impl Serialize,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let txn = db.begin().await?;
    passkey_ceremonies::Entity::delete_many()
        .filter(passkey_ceremonies::Column::SessionId.eq(session_id))
        .filter(passkey_ceremonies::Column::Kind.eq(kind))
        .exec(&txn)
        .await?;
    passkey_ceremonies::ActiveModel {
        session_id: Set(session_id),
        kind: Set(kind.to_owned()),
        state_json: Set(serde_json::to_string(state).map_err(internal)?),
        expires_at: Set(now + CEREMONY_LIFETIME),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Takes the pending ceremony: whoever deletes the row owns it, so it is used once.
async fn take_ceremony<T: DeserializeOwned>(
    db: &DatabaseConnection,
    session_id: i32,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<T, ServiceError> {
    let missing =
        || ServiceError::invalid("credential", "no passkey request is pending; start again");
    let row = passkey_ceremonies::Entity::find()
        .filter(passkey_ceremonies::Column::SessionId.eq(session_id))
        .filter(passkey_ceremonies::Column::Kind.eq(kind))
        .one(db)
        .await?
        .ok_or_else(missing)?;
    let deleted = passkey_ceremonies::Entity::delete_by_id(row.id)
        .exec(db)
        .await?
        .rows_affected;
    if deleted != 1 || row.expires_at <= now {
        return Err(missing());
    }
    serde_json::from_str(&row.state_json).map_err(internal)
}

/// Starts registering a passkey for the signed-in user of `session_token`.
pub async fn begin_registration(
    env: &AccountsEnv<'_>,
    webauthn: &Webauthn,
    session_token: &str,
    now: DateTime<Utc>,
) -> Result<CreationChallengeResponse, ServiceError> {
    let (session, user) = session_at(env.db, session_token, STAGE_COMPLETE, now).await?;
    require_fresh_second_factor(&session, now)?;
    let existing = stored_passkeys(env.db, user.id).await?;
    let exclude = existing.iter().map(|(_, k)| k.cred_id().clone()).collect();
    let (challenge, state) = webauthn
        .start_passkey_registration(user_handle(&user), &user.email, &user.name, Some(exclude))
        .map_err(internal)?;
    put_ceremony(env.db, session.id, "register", &state, now).await?;
    Ok(challenge)
}

/// Finishes registering: the browser's answer to the challenge, and a name for the key.
pub async fn finish_registration(
    env: &AccountsEnv<'_>,
    webauthn: &Webauthn,
    session_token: &str,
    name: &str,
    credential: &RegisterPublicKeyCredential,
    now: DateTime<Utc>,
) -> Result<PasskeySummary, ServiceError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(ServiceError::invalid("name", "must be 1 to 60 characters"));
    }
    let (session, user) = session_at(env.db, session_token, STAGE_COMPLETE, now).await?;
    require_fresh_second_factor(&session, now)?;
    let state: PasskeyRegistration = take_ceremony(env.db, session.id, "register", now).await?;
    let passkey = webauthn
        .finish_passkey_registration(credential, &state)
        .map_err(|e| {
            ServiceError::invalid("credential", format!("the passkey was not accepted: {e}"))
        })?;
    let public_id = new_public_id();
    let txn = env.db.begin().await?;
    let row = passkeys::ActiveModel {
        public_id: Set(public_id.to_string()),
        user_id: Set(user.id),
        credential_id: Set(URL_SAFE_NO_PAD.encode(passkey.cred_id().as_slice())),
        name: Set(name.to_owned()),
        passkey_json: Set(serde_json::to_string(&passkey).map_err(internal)?),
        created_at: Set(now),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit(
        &txn,
        now,
        "passkey_registered",
        Some(user.id),
        Some(&user),
        name,
    )
    .await?;
    let mail = security_notice(
        &user,
        "A passkey was added to your Openflex account",
        &format!("A passkey named \"{name}\" was added to your Openflex account."),
        env.public_url,
    );
    commit_with_mail(env, txn, &mail, now).await?;
    summary(row)
}

/// Second sign-in step with a passkey instead of the code: the challenge.
pub async fn begin_authentication(
    env: &AccountsEnv<'_>,
    webauthn: &Webauthn,
    session_token: &str,
    now: DateTime<Utc>,
) -> Result<RequestChallengeResponse, ServiceError> {
    let (session, user) = session_at(env.db, session_token, STAGE_SECOND_FACTOR, now).await?;
    let keys: Vec<Passkey> = stored_passkeys(env.db, user.id)
        .await?
        .into_iter()
        .map(|(_, k)| k)
        .collect();
    if keys.is_empty() {
        return Err(ServiceError::invalid(
            "credential",
            "this account has no passkey; enter the code from your app",
        ));
    }
    let (challenge, state) = webauthn
        .start_passkey_authentication(&keys)
        .map_err(internal)?;
    put_ceremony(env.db, session.id, "authenticate", &state, now).await?;
    Ok(challenge)
}

/// Second sign-in step with a passkey: checks the browser's answer and signs in.
pub async fn finish_authentication(
    env: &AccountsEnv<'_>,
    webauthn: &Webauthn,
    session_token: &str,
    credential: &PublicKeyCredential,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let (session, user) = session_at(env.db, session_token, STAGE_SECOND_FACTOR, now).await?;
    let state: PasskeyAuthentication =
        take_ceremony(env.db, session.id, "authenticate", now).await?;
    let result = match webauthn.finish_passkey_authentication(credential, &state) {
        Ok(result) => result,
        Err(e) => {
            audit(
                env.db,
                now,
                "second_factor_failed",
                Some(user.id),
                Some(&user),
                "passkey",
            )
            .await?;
            return Err(ServiceError::invalid(
                "credential",
                format!("the passkey was not accepted: {e}"),
            ));
        }
    };
    let txn = env.db.begin().await?;
    for (row, mut key) in stored_passkeys(env.db, user.id).await? {
        if key.update_credential(&result).is_some() {
            let mut active: passkeys::ActiveModel = row.into();
            active.passkey_json = Set(serde_json::to_string(&key).map_err(internal)?);
            active.last_used_at = Set(Some(now));
            active.update(&txn).await?;
        }
    }
    let token = complete_sign_in(&txn, session.id, &user, "login", "passkey", now).await?;
    txn.commit().await?;
    Ok(token)
}

fn summary(row: passkeys::Model) -> Result<PasskeySummary, ServiceError> {
    Ok(PasskeySummary {
        id: PublicId::parse(&row.public_id).map_err(internal)?,
        name: row.name,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
    })
}

/// The signed-in user's passkeys.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<Vec<PasskeySummary>, ServiceError> {
    let user_id = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
    passkeys::Entity::find()
        .filter(passkeys::Column::UserId.eq(user_id))
        .order_by_asc(passkeys::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(summary)
        .collect()
}

/// Removes one of the signed-in user's passkeys.
pub async fn remove(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let user_id = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
    let deleted = passkeys::Entity::delete_many()
        .filter(passkeys::Column::UserId.eq(user_id))
        .filter(passkeys::Column::PublicId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    if deleted == 0 {
        return Err(ServiceError::NotFound("passkey"));
    }
    let user = users::Entity::find_by_id(user_id).one(db).await?;
    audit(db, now, "passkey_removed", Some(user_id), user.as_ref(), "").await?;
    Ok(())
}
