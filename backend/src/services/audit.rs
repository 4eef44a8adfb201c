//! The audit log: security events about users (sign-in, 2FA, tokens, resets) and changes
//! to an operator's network, each with the client address of the request that caused it.
//! One writer; the log is read through `accounts::audit_log`.

use super::ServiceError;
use crate::db::entities::{audit_events, users};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

/// Records a security event about `subject` (a user), by `actor`.
pub(crate) async fn user_event(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    event: &str,
    actor: Option<i32>,
    subject: Option<&users::Model>,
    detail: impl Into<String>,
) -> Result<(), ServiceError> {
    write(
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

/// Records a configuration or operational change in the audit log against the operator
/// whose network it concerns and, where there is one, the FSP company it affects.
pub(crate) async fn network_change(
    db: &impl sea_orm::ConnectionTrait,
    now: chrono::DateTime<chrono::Utc>,
    by: Option<i32>,
    operator_id: i32,
    company_id: Option<i32>,
    event: &str,
    detail: String,
) -> Result<(), ServiceError> {
    write(
        db,
        audit_events::ActiveModel {
            at: Set(now),
            event: Set(event.to_owned()),
            actor_user_id: Set(by),
            subject_user_id: Set(None),
            operator_id: Set(Some(operator_id)),
            company_id: Set(company_id),
            detail: Set(detail),
            ..Default::default()
        },
    )
    .await
}

/// Writes an audit event with the client address of the request being served, if any.
pub(crate) async fn write(
    db: &impl sea_orm::ConnectionTrait,
    mut event: audit_events::ActiveModel,
) -> Result<(), ServiceError> {
    event.client_addr = Set(crate::client::current());
    event.insert(db).await?;
    Ok(())
}
