//! API access tokens (guide §3.1 "My API Access Tokens"): one live token per FSP company,
//! `oflx_` followed by 256 random bits, stored only as its SHA-256 digest. Creating a new
//! token revokes the old one in the same transaction.

use super::audit::user_event as audit;
use super::{Actor, ServiceError};
use crate::crypto;
use crate::db::entities::{api_tokens, fsp_companies, users};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use shared::{ApiTokenInfo, NewApiToken};

/// Recognisable, so leaked tokens can be found by secret scanners.
pub const PREFIX: &str = "oflx_";

fn company_of(actor: &Actor) -> Result<i32, ServiceError> {
    match actor {
        Actor::Participant { company_id, .. } => Ok(*company_id),
        _ => Err(ServiceError::Forbidden(
            "API tokens belong to FSP companies".to_owned(),
        )),
    }
}

fn info(row: &api_tokens::Model) -> ApiTokenInfo {
    ApiTokenInfo {
        hint: format!("{PREFIX}…{}", row.last_four),
        created_at: row.created_at,
        last_used_at: row.last_used_at,
    }
}

/// The caller's company's live token, if any.
pub async fn current(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<Option<ApiTokenInfo>, ServiceError> {
    let company_id = company_of(actor)?;
    Ok(api_tokens::Entity::find()
        .filter(api_tokens::Column::CompanyId.eq(company_id))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .as_ref()
        .map(info))
}

/// Creates a new token for the caller's company; the old one stops working at once.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<NewApiToken, ServiceError> {
    let company_id = company_of(actor)?;
    if actor.user_id().is_none() {
        return Err(ServiceError::Forbidden(
            "an API token cannot create API tokens; sign in".to_owned(),
        ));
    }
    let secret = crypto::new_token().map_err(super::accounts::crypto_error)?;
    let token = format!("{PREFIX}{secret}");
    let last_four = token[token.len() - 4..].to_owned();
    let txn = db.begin().await?;
    api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::RevokedAt, Expr::value(now))
        .filter(api_tokens::Column::CompanyId.eq(company_id))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let row = api_tokens::ActiveModel {
        company_id: Set(company_id),
        token_hash: Set(crypto::digest(&token)),
        last_four: Set(last_four),
        created_by_user_id: Set(actor.user_id()),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let user = match actor.user_id() {
        Some(id) => users::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    audit(
        &txn,
        now,
        "api_token_created",
        actor.user_id(),
        user.as_ref(),
        "previous token revoked",
    )
    .await?;
    txn.commit().await?;
    Ok(NewApiToken {
        token,
        info: info(&row),
    })
}

/// The FSP company a bearer token acts for. Records its use at most once a minute.
pub async fn authenticate(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Actor, ServiceError> {
    if !token.starts_with(PREFIX) {
        return Err(ServiceError::Unauthenticated);
    }
    let row = api_tokens::Entity::find()
        .filter(api_tokens::Column::TokenHash.eq(crypto::digest(token)))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    let company = fsp_companies::Entity::find_by_id(row.company_id)
        .one(db)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    if row
        .last_used_at
        .is_none_or(|t| now - t > Duration::minutes(1))
    {
        let mut active: api_tokens::ActiveModel = row.into();
        active.last_used_at = Set(Some(now));
        active.update(db).await?;
    }
    Ok(Actor::Participant {
        user_id: None,
        user_name: format!("API token of {}", company.name),
        company_id: company.id,
        company_name: company.name,
    })
}
