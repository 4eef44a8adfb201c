//! The outbox as operators and FSPs see it: each message's attempts, re-sending a missed
//! or delivered one (same `webhook-id`), the retry schedule, claiming due messages under a
//! lease, and the messages issued in a period (the GraphQL stream).

use super::*;

/// Every attempt to deliver one message of a dispatch the caller may see, oldest first:
/// time, HTTP status, latency and error.
pub async fn attempts(
    db: &DatabaseConnection,
    actor: &Actor,
    message_id: &str,
) -> Result<Vec<shared::DeliveryAttempt>, ServiceError> {
    let message = dispatch_messages::Entity::find()
        .filter(dispatch_messages::Column::MessageId.eq(message_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("dispatch message"))?;
    let visible = match (actor, message.dispatch_event_id) {
        (Actor::Participant { company_id, .. }, _) => *company_id == message.company_id,
        (_, Some(event_id)) => dispatch_events::Entity::find_by_id(event_id)
            .filter(
                dispatch_events::Column::DispatchGroupId
                    .in_subquery(assets::visible_group_ids(actor)),
            )
            .one(db)
            .await?
            .is_some(),
        (Actor::PlatformAdmin { .. }, None) => true,
        // Schedule notices are the FSP's to follow.
        (_, None) => false,
    };
    if !visible {
        return Err(ServiceError::NotFound("dispatch message"));
    }
    Ok(delivery_attempts::Entity::find()
        .filter(delivery_attempts::Column::MessageId.eq(message_id))
        .filter(delivery_attempts::Column::CompanyId.eq(message.company_id))
        .order_by_asc(delivery_attempts::Column::AttemptedAt)
        .order_by_asc(delivery_attempts::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(crate::services::dispatch_settings::attempt)
        .collect())
}

/// Sends a message again (operators), for an FSP that says it never had it: a missed or
/// delivered message of a dispatch the operator may act on goes back in the outbox with the
/// same `webhook-id` (a receiver that did have it can drop the copy), due at once and
/// retried for 15 minutes.
pub async fn resend(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    message_id: &str,
) -> Result<Dispatch, ServiceError> {
    require_operator(actor)?;
    let message = dispatch_messages::Entity::find()
        .filter(dispatch_messages::Column::MessageId.eq(message_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("dispatch message"))?;
    let event_id = message
        .dispatch_event_id
        .ok_or(ServiceError::NotFound("dispatch message"))?;
    let event = dispatch_events::Entity::find_by_id(event_id)
        .one(db)
        .await?
        .ok_or_else(|| corrupt("dispatch"))?;
    let (event, group, zone, _) = match for_operator(db, actor, &event.public_id).await {
        Err(ServiceError::NotFound(_)) => return Err(ServiceError::NotFound("dispatch message")),
        other => other?,
    };
    match MessageStatus::parse(&message.status) {
        Some(MessageStatus::Missed | MessageStatus::Delivered) => {}
        Some(MessageStatus::Pending) => {
            return Err(ServiceError::Conflict(
                "this message is still being delivered".to_owned(),
            ));
        }
        Some(MessageStatus::Cancelled) => {
            return Err(ServiceError::Conflict(
                "this message was withdrawn when the dispatch was cancelled or stopped".to_owned(),
            ));
        }
        None => return Err(corrupt("message status")),
    }
    let txn = db.begin().await?;
    dispatch_messages::Entity::update_many()
        .col_expr(
            dispatch_messages::Column::Status,
            Expr::value(MessageStatus::Pending.as_str()),
        )
        .col_expr(dispatch_messages::Column::Attempts, Expr::value(0))
        .col_expr(dispatch_messages::Column::NextAttemptAt, Expr::value(now))
        .col_expr(
            dispatch_messages::Column::Deadline,
            Expr::value(now + STOP_GRACE),
        )
        .col_expr(
            dispatch_messages::Column::LeaseUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(
            dispatch_messages::Column::DeliveredAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(
            dispatch_messages::Column::LastError,
            Expr::value(None::<String>),
        )
        .filter(dispatch_messages::Column::Id.eq(message.id))
        .filter(dispatch_messages::Column::Status.eq(message.status.as_str()))
        .exec(&txn)
        .await?;
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        zone.operator_id,
        Some(group.company_id),
        "dispatch_message_resent",
        format!(
            "{} {} of {}",
            message.message_id, message.instruction, event.public_id
        ),
    )
    .await?;
    txn.commit().await?;
    get(db, actor, &event.public_id).await
}

/// When to try again after `attempts` failed attempts.
pub fn retry_after(attempts: i32) -> Duration {
    let index = usize::try_from(attempts.max(1) - 1).unwrap_or(0);
    Duration::seconds(RETRY_SECONDS.get(index).copied().unwrap_or(60))
}

/// Claims up to `limit` due messages for `owner` under a lease. On PostgreSQL, rows locked
/// by another worker are skipped, so several instances never claim the same message.
pub(super) async fn claim(
    db: &DatabaseConnection,
    owner: &str,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<dispatch_messages::Model>, ServiceError> {
    let backend = db.get_database_backend();
    let lock = if backend == DbBackend::Postgres {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let placeholders = match backend {
        DbBackend::Postgres => ("$1", "$2", "$3", "$4"),
        _ => ("?", "?", "?", "?"),
    };
    let sql = format!(
        "UPDATE dispatch_messages SET lease_until = {lease}, lease_owner = {owner}
         WHERE id IN (SELECT id FROM dispatch_messages
                      WHERE status = 'pending' AND next_attempt_at <= {now}
                        AND (lease_until IS NULL OR lease_until < {now2})
                      ORDER BY next_attempt_at LIMIT {limit} {lock})
         RETURNING id",
        lease = placeholders.0,
        owner = placeholders.1,
        now = placeholders.2,
        now2 = placeholders.3,
    );
    let claimed: Vec<i64> = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [(now + LEASE).into(), owner.into(), now.into(), now.into()],
        ))
        .await?
        .iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect::<Result<_, _>>()?;
    Ok(dispatch_messages::Entity::find()
        .filter(dispatch_messages::Column::Id.is_in(claimed))
        .order_by_asc(dispatch_messages::Column::NextAttemptAt)
        .all(db)
        .await?)
}

/// The caller's company's messages that became due in `(after, now]`, oldest first, at
/// most `limit`, leaving out the rows in `skip` (those a subscriber already has): what the
/// GraphQL subscription streams. Messages withdrawn before they were due (a cancelled
/// dispatch's START) are left out, as the webhook leaves them.
pub async fn issued_between(
    db: &DatabaseConnection,
    actor: &Actor,
    after: DateTime<Utc>,
    now: DateTime<Utc>,
    skip: &[i64],
    limit: u64,
) -> Result<Vec<IssuedMessage>, ServiceError> {
    use dispatch_messages::Column;
    let Actor::Participant { company_id, .. } = actor else {
        return Err(ServiceError::Forbidden(
            "the dispatch message stream is for FSPs; operators follow every message on the \
             Dispatches page"
                .to_owned(),
        ));
    };
    let rows = dispatch_messages::Entity::find()
        .filter(Column::CompanyId.eq(*company_id))
        .filter(Column::Status.ne(MessageStatus::Cancelled.as_str()))
        .filter(Column::DueAt.gt(after))
        .filter(Column::DueAt.lte(now))
        .filter(Column::Id.is_not_in(skip.iter().copied()))
        .order_by_asc(Column::DueAt)
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|m| {
            let body: Message =
                serde_json::from_str(&m.payload).map_err(|_| corrupt("message payload"))?;
            Ok(IssuedMessage {
                row: m.id,
                instruction: Instruction::parse(&m.instruction)
                    .ok_or_else(|| corrupt("instruction"))?,
                dispatch_id: body.dispatch_id().map(str::to_owned),
                issued_at: m.due_at,
                message_id: m.message_id,
                body: m.payload,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_then_go_every_minute() {
        let delays: Vec<i64> = (1..=7).map(|n| retry_after(n).num_seconds()).collect();
        assert_eq!(delays, [2, 5, 15, 30, 60, 60, 60]);
    }
}
