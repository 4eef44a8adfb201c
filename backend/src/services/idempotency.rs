//! The `Idempotency-Key` request header (IETF draft "The Idempotency-Key HTTP Header
//! Field"), scoped per FSP company. The first request with a key is processed and its
//! answer kept for [`KEY_LIFETIME`]; the same key with the same request gets that answer
//! again without repeating the work; the same key with another request is refused (422);
//! while the first is still being processed, a second is refused (409).

use super::{FieldError, ServiceError};
use crate::db::entities::idempotency_keys;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TryInsertResult,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// How long a key and its answer are kept.
pub const KEY_LIFETIME: Duration = Duration::hours(24);
/// A first request unfinished after this long died with its server (requests time out
/// after 30 s): a retry may take the key over rather than wait for ever.
pub const ABANDONED_AFTER: Duration = Duration::minutes(2);
/// The name errors about the key carry.
pub const HEADER: &str = shared::IdempotencyKey::HEADER;

/// A key this request holds while it does the work.
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    id: i64,
}

/// A finished request's answer, as kept for replays. Refusals of the input are kept too: the
/// same request would be refused the same way.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Stored<T> {
    Done(T),
    Invalid(Vec<FieldError>),
}

/// The answer to a request, and whether it was replayed from an earlier one.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<T> {
    pub value: T,
    pub replayed: bool,
}

/// Runs `op` once per (company, key). Without a key `op` simply runs. With one, `op` gets
/// the [`Claim`] and must call [`complete`] in the transaction that commits its work, so
/// that the work and the kept answer land together or not at all. A refusal of the input
/// is kept as the answer; any other failure frees the key so the client can retry.
pub async fn once<T, F, Fut>(
    db: &DatabaseConnection,
    company_id: i32,
    key: Option<&str>,
    fingerprint: impl FnOnce() -> String,
    now: DateTime<Utc>,
    op: F,
) -> Result<Outcome<T>, ServiceError>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce(Option<Claim>) -> Fut,
    Fut: Future<Output = Result<T, ServiceError>>,
{
    let Some(key) = key else {
        return op(None).await.map(|value| Outcome {
            value,
            replayed: false,
        });
    };
    check_key(key)?;
    let claim = match begin(db, company_id, key, &fingerprint(), now).await? {
        Begun::Replay(Stored::Done(value)) => {
            return Ok(Outcome {
                value,
                replayed: true,
            });
        }
        Begun::Replay(Stored::Invalid(errors)) => return Err(ServiceError::Invalid(errors)),
        Begun::Fresh(claim) => claim,
    };
    match op(Some(claim)).await {
        Ok(value) => Ok(Outcome {
            value,
            replayed: false,
        }),
        Err(ServiceError::Invalid(errors)) => {
            store(db, claim, &Stored::<T>::Invalid(errors.clone()), now).await?;
            Err(ServiceError::Invalid(errors))
        }
        Err(other) => {
            idempotency_keys::Entity::delete_by_id(claim.id)
                .exec(db)
                .await?;
            Err(other)
        }
    }
}

/// Keeps `value` as the answer for `claim`. Call it in the transaction that commits the work.
pub async fn complete<C: ConnectionTrait, T: Serialize>(
    conn: &C,
    claim: Claim,
    value: &T,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    store(conn, claim, &Stored::Done(value), now).await
}

/// The fingerprint of a request: its operation and its body.
pub fn fingerprint(operation: &str, body: &str) -> String {
    crate::crypto::digest(&format!("{operation}\n{body}"))
}

fn check_key(key: &str) -> Result<(), ServiceError> {
    shared::IdempotencyKey::parse(key)
        .map(drop)
        .map_err(|reason| ServiceError::invalid(HEADER, reason))
}

enum Begun<T> {
    Fresh(Claim),
    Replay(Stored<T>),
}

async fn begin<T: DeserializeOwned>(
    db: &DatabaseConnection,
    company_id: i32,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Begun<T>, ServiceError> {
    // Expired keys go first, so an old key is simply new again.
    idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::CompanyId.eq(company_id))
        .filter(idempotency_keys::Column::CreatedAt.lt(now - KEY_LIFETIME))
        .exec(db)
        .await?;
    let inserted = idempotency_keys::Entity::insert(idempotency_keys::ActiveModel {
        company_id: Set(company_id),
        idempotency_key: Set(key.to_owned()),
        fingerprint: Set(fingerprint.to_owned()),
        created_at: Set(now),
        completed_at: Set(None),
        response: Set(None),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([
        idempotency_keys::Column::CompanyId,
        idempotency_keys::Column::IdempotencyKey,
    ])
    .exec(db)
    .await?;
    if let TryInsertResult::Inserted(result) = inserted {
        return Ok(Begun::Fresh(Claim {
            id: result.last_insert_id,
        }));
    }
    let existing = idempotency_keys::Entity::find()
        .filter(idempotency_keys::Column::CompanyId.eq(company_id))
        .filter(idempotency_keys::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?
        // Completed and purged between our insert and this read: the client raced itself.
        .ok_or_else(in_progress)?;
    if existing.fingerprint != fingerprint {
        return Err(ServiceError::invalid(
            HEADER,
            "was already used for a different request; send a new key with a new request",
        ));
    }
    if let Some(response) = existing
        .response
        .filter(|_| existing.completed_at.is_some())
    {
        let stored = serde_json::from_str(&response).map_err(|e| {
            ServiceError::Internal(sea_orm::DbErr::Custom(format!("stored answer: {e}")))
        })?;
        return Ok(Begun::Replay(stored));
    }
    if existing.created_at + ABANDONED_AFTER > now {
        return Err(in_progress());
    }
    // Take the abandoned key over, unless another retry just did.
    let taken = idempotency_keys::Entity::update_many()
        .col_expr(
            idempotency_keys::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(idempotency_keys::Column::Id.eq(existing.id))
        .filter(idempotency_keys::Column::CreatedAt.eq(existing.created_at))
        .filter(idempotency_keys::Column::CompletedAt.is_null())
        .exec(db)
        .await?;
    if taken.rows_affected == 1 {
        Ok(Begun::Fresh(Claim { id: existing.id }))
    } else {
        Err(in_progress())
    }
}

fn in_progress() -> ServiceError {
    ServiceError::Conflict(format!(
        "a request with this {HEADER} is still being processed; retry it shortly"
    ))
}

async fn store<C: ConnectionTrait, T: Serialize>(
    conn: &C,
    claim: Claim,
    stored: &Stored<T>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let response = serde_json::to_string(stored)
        .map_err(|e| ServiceError::Internal(sea_orm::DbErr::Custom(format!("answer: {e}"))))?;
    idempotency_keys::ActiveModel {
        id: Set(claim.id),
        completed_at: Set(Some(now)),
        response: Set(Some(response)),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}
