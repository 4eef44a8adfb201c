//! Dispatch events (guide §3.7): an operator dispatches a group from an accepted window, or
//! ad hoc for Restore and Emergency Flex, and can cancel it or stop it in an emergency.
//! Every message the change causes (START at start − lead, STOP at end, CANCEL,
//! EMERGENCY_STOP) is written to the outbox in the same transaction; [`deliver_due`]
//! sends them at least once, retrying until each message's deadline.

use super::availability::policy_of;
use super::{Actor, FieldError, ServiceError, accounts, assets, corrupt, rfc3339, webhooks};
use crate::config::Settings;
use crate::crypto::SecretBox;
use crate::db::entities::{
    availability_windows, delivery_attempts, dispatch_events, dispatch_groups, dispatch_messages,
    dispatch_settings, meterable_units, programmes, zones,
};
use crate::ids::new_public_id;
use crate::mail::{Email, Mailer, html_escape};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::London;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};
use shared::{
    DeclarationStatus, DeliveryChannel, Dispatch, DispatchInput, DispatchMessage, DispatchStatus,
    Instruction, IssuedMessage, MessageStatus, ProgrammeKind, PublicId, WeekCommencing,
};
use std::collections::HashMap;

/// How long a worker holds a claimed message before another may take it over.
pub const LEASE: Duration = Duration::seconds(30);
/// Retry delays after the 1st, 2nd, … failed attempt; then every minute.
const RETRY_SECONDS: [i64; 4] = [2, 5, 15, 30];
/// STOP and EMERGENCY_STOP are useful for this long after they are due.
const STOP_GRACE: Duration = Duration::minutes(15);

fn require_operator(actor: &Actor) -> Result<(), ServiceError> {
    match actor {
        Actor::Participant { .. } => Err(ServiceError::Forbidden(
            "dispatches are made by the operator".to_owned(),
        )),
        _ => Ok(()),
    }
}

fn minutes(d: Duration) -> i64 {
    d.num_minutes()
}

/// The minutes a group is dispatched in the London week of `at`, cancelled dispatches
/// aside and emergency stops counted to the stop.
async fn weekly_minutes(
    db: &impl ConnectionTrait,
    group_id: i32,
    at: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let week = WeekCommencing::containing(at.with_timezone(&London).date_naive());
    let from =
        super::availability::london_instant(week.date(), 0).ok_or_else(|| corrupt("week"))?;
    let to = super::availability::london_instant(week.next().date(), 0)
        .ok_or_else(|| corrupt("week"))?;
    Ok(dispatch_events::Entity::find()
        .filter(dispatch_events::Column::DispatchGroupId.eq(group_id))
        .filter(dispatch_events::Column::Status.ne(DispatchStatus::Cancelled.as_str()))
        .filter(dispatch_events::Column::StartAt.lt(to))
        .filter(dispatch_events::Column::EndAt.gt(from))
        .all(db)
        .await?
        .iter()
        .map(|e| {
            minutes(e.stopped_at.unwrap_or(e.end_at).min(e.end_at).min(to) - e.start_at.max(from))
        })
        .sum())
}

/// Dispatches a group (operators). Refuses what breaks the group's runtimes or exceeds the
/// accepted capacity, naming the reason.
pub async fn dispatch(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    input: &DispatchInput,
) -> Result<Dispatch, ServiceError> {
    require_operator(actor)?;
    let txn = db.begin().await?;
    let id = create_in(db, &txn, actor, now, input).await?;
    txn.commit().await?;
    get(db, actor, &id).await
}

/// Dispatches several groups at once, all or none: a confirmed fair allocation. Each
/// refusal names its line (`index`) and field.
pub async fn dispatch_all(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    inputs: &[DispatchInput],
) -> Result<Vec<Dispatch>, ServiceError> {
    require_operator(actor)?;
    if inputs.is_empty() {
        return Err(ServiceError::invalid("dispatches", "list at least one"));
    }
    let txn = db.begin().await?;
    let mut ids = Vec::with_capacity(inputs.len());
    let mut errors = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let refusals = match create_in(db, &txn, actor, now, input).await {
            Ok(id) => {
                ids.push(id);
                continue;
            }
            Err(ServiceError::Invalid(refusals)) => refusals,
            Err(ServiceError::NotFound(what)) => {
                let field = match what {
                    "programme" => "programmeId",
                    "availability window" => "availabilityWindowId",
                    _ => "dispatchGroupId",
                };
                vec![FieldError::new(field, format!("no such {what}"))]
            }
            Err(other) => return Err(other),
        };
        errors.extend(refusals.into_iter().map(|e| FieldError {
            index: Some(index),
            ..e
        }));
    }
    if !errors.is_empty() {
        // Dropping the transaction rolls back the lines already written.
        return Err(ServiceError::Invalid(errors));
    }
    txn.commit().await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(get(db, actor, &id).await?);
    }
    Ok(out)
}

/// Writes one dispatch and its messages in `txn`; returns its public id.
async fn create_in(
    db: &DatabaseConnection,
    txn: &DatabaseTransaction,
    actor: &Actor,
    now: DateTime<Utc>,
    input: &DispatchInput,
) -> Result<String, ServiceError> {
    let (group, zone) = assets::visible_dispatch_group(db, actor, &input.dispatch_group_id).await?;
    let programme = programmes::Entity::find()
        .filter(programmes::Column::PublicId.eq(&input.programme_id))
        .filter(programmes::Column::ZoneId.eq(zone.id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("programme"))?;
    let kind = ProgrammeKind::parse(&programme.kind).ok_or_else(|| corrupt("programme kind"))?;
    let policy = policy_of(&programme)?;

    let mut errors = Vec::new();
    let time = |s: &str| {
        DateTime::parse_from_rfc3339(s.trim())
            .ok()
            .map(|t| t.with_timezone(&Utc))
    };
    let (start, end) = (time(&input.start), time(&input.end));
    if start.is_none() {
        errors.push(FieldError::new("start", "must be an RFC 3339 time"));
    }
    if end.is_none() {
        errors.push(FieldError::new("end", "must be an RFC 3339 time"));
    }
    let kw = input.power_change_kw;
    if !kw.is_finite() || kw <= 0.0 {
        errors.push(FieldError::new("powerChangeKw", "must be more than zero"));
    }
    if group.retired_at.is_some() {
        errors.push(FieldError::new(
            "dispatchGroupId",
            "this dispatch group is retired",
        ));
    }
    let (Some(start), Some(end), true) = (start, end, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    if end <= start {
        errors.push(FieldError::new("end", "must be after the start"));
    }
    if start <= now {
        errors.push(FieldError::new("start", "must be in the future"));
    }
    let duration = minutes(end - start);
    if let Some(min) = group.min_runtime_minutes
        && duration < i64::from(min)
    {
        errors.push(FieldError::new(
            "end",
            format!("the group's minimum runtime is {min} minutes; this dispatch runs {duration}"),
        ));
    }
    if let Some(max) = group.max_runtime_minutes
        && duration > i64::from(max)
    {
        errors.push(FieldError::new("end", format!("the group's maximum runtime per event is {max} minutes; this dispatch runs {duration}")));
    }
    let window = match input.availability_window_id.as_deref() {
        Some(id) => {
            let w = availability_windows::Entity::find()
                .filter(availability_windows::Column::PublicId.eq(id))
                .filter(availability_windows::Column::DispatchGroupId.eq(group.id))
                .filter(availability_windows::Column::ProgrammeId.eq(programme.id))
                .one(db)
                .await?
                .ok_or(ServiceError::NotFound("availability window"))?;
            match (
                w.status.as_str(),
                w.acceptance_start,
                w.acceptance_end,
                w.accepted_kw,
            ) {
                (s, Some(a), Some(b), Some(accepted))
                    if s == DeclarationStatus::Accepted.as_str() =>
                {
                    if start < a || end > b {
                        errors.push(FieldError::new(
                            "start",
                            format!(
                                "must lie within the accepted window {}–{}",
                                rfc3339(a),
                                rfc3339(b)
                            ),
                        ));
                    }
                    if kw > accepted {
                        errors.push(FieldError::new(
                            "powerChangeKw",
                            format!("exceeds the accepted {accepted} kW"),
                        ));
                    }
                }
                _ => errors.push(FieldError::new(
                    "availabilityWindowId",
                    "this window has not been accepted",
                )),
            }
            Some(w)
        }
        None => {
            if !matches!(kind, ProgrammeKind::Restore | ProgrammeKind::EmergencyFlex) {
                errors.push(FieldError::new(
                    "availabilityWindowId",
                    "only Restore and Emergency Flex are dispatched without an accepted window",
                ));
            }
            if kw > group.power_change_kw {
                errors.push(FieldError::new(
                    "powerChangeKw",
                    format!(
                        "exceeds the group's capacity of {} kW",
                        group.power_change_kw
                    ),
                ));
            }
            None
        }
    };
    if let Some(weekly) = group.weekly_runtime_minutes {
        let used = weekly_minutes(txn, group.id, start).await?;
        if used + duration > i64::from(weekly) {
            errors.push(FieldError::new(
                "end",
                format!("breaks the group's weekly runtime of {weekly} minutes: {used} already dispatched this week, this adds {duration}"),
            ));
        }
    }
    let overlapping = dispatch_events::Entity::find()
        .filter(dispatch_events::Column::DispatchGroupId.eq(group.id))
        .filter(dispatch_events::Column::Status.eq(DispatchStatus::Active.as_str()))
        .filter(dispatch_events::Column::StartAt.lt(end))
        .filter(dispatch_events::Column::EndAt.gt(start))
        .one(txn)
        .await?;
    if let Some(other) = overlapping {
        errors.push(FieldError::new(
            "start",
            format!(
                "overlaps dispatch {} ({}–{})",
                other.public_id,
                rfc3339(other.start_at),
                rfc3339(other.end_at)
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let event = dispatch_events::ActiveModel {
        public_id: Set(new_public_id().to_string()),
        dispatch_group_id: Set(group.id),
        programme_id: Set(programme.id),
        availability_window_id: Set(window.map(|w| w.id)),
        start_at: Set(start),
        end_at: Set(end),
        power_change_kw: Set(kw),
        status: Set(DispatchStatus::Active.as_str().to_owned()),
        stopped_at: Set(None),
        created_by_user_id: Set(actor.user_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if !policy.manual_dispatch {
        let lead = Duration::minutes(i64::from(policy.start_lead_minutes));
        let start_due = (start - lead).max(now);
        enqueue(
            txn,
            &event,
            &group,
            &zone,
            &programme,
            Instruction::Start,
            start_due,
            start,
            now,
        )
        .await?;
        enqueue(
            txn,
            &event,
            &group,
            &zone,
            &programme,
            Instruction::Stop,
            end,
            end + STOP_GRACE,
            now,
        )
        .await?;
    }
    super::audit_change(
        txn,
        now,
        actor.user_id(),
        zone.operator_id,
        Some(group.company_id),
        "dispatch_created",
        format!(
            "{} {} {}–{} {} kW ({})",
            event.public_id,
            group.name,
            rfc3339(start),
            rfc3339(end),
            kw,
            programme.name
        ),
    )
    .await?;
    Ok(event.public_id)
}

#[allow(clippy::too_many_arguments, reason = "a message's parts")]
async fn enqueue(
    db: &impl ConnectionTrait,
    event: &dispatch_events::Model,
    group: &dispatch_groups::Model,
    zone: &zones::Model,
    programme: &programmes::Model,
    instruction: Instruction,
    due: DateTime<Utc>,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let units: Vec<String> = meterable_units::Entity::find()
        .filter(meterable_units::Column::DispatchGroupId.eq(group.id))
        .filter(meterable_units::Column::RetiredAt.is_null())
        .order_by_asc(meterable_units::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.public_id)
        .collect();
    let mut payload = serde_json::json!({
        "dispatch_id": event.public_id,
        "instruction": instruction,
        "zone": {"id": zone.slug, "name": zone.name},
        "programme": programme.name,
        "dispatch_group": {"id": group.public_id, "name": group.name},
        "start": rfc3339(event.start_at),
        "end": rfc3339(event.end_at),
        "power_change_kw": event.power_change_kw,
        "meterable_unit_ids": units,
    });
    insert_message(
        db,
        group.company_id,
        Some(event.id),
        instruction,
        &mut payload,
        due,
        deadline,
        now,
    )
    .await
}

/// Writes a message to the outbox; `payload` gets the API version and the message id
/// (`sent_at` is stamped by each attempt).
#[allow(clippy::too_many_arguments, reason = "a message's parts")]
pub(crate) async fn insert_message(
    db: &impl ConnectionTrait,
    company_id: i32,
    event_id: Option<i32>,
    instruction: Instruction,
    payload: &mut serde_json::Value,
    due: DateTime<Utc>,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let message_id = format!("msg_{}", new_public_id());
    payload["api_version"] = serde_json::json!("2");
    payload["message_id"] = serde_json::json!(message_id);
    dispatch_messages::ActiveModel {
        message_id: Set(message_id),
        company_id: Set(company_id),
        dispatch_event_id: Set(event_id),
        instruction: Set(instruction.as_str().to_owned()),
        payload: Set(payload.to_string()),
        due_at: Set(due),
        deadline: Set(deadline),
        status: Set(MessageStatus::Pending.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(due),
        lease_until: Set(None),
        lease_owner: Set(None),
        delivered_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The dispatch event `id` of a group the caller may see; otherwise not found, exactly as
/// if it did not exist.
pub(crate) async fn visible_event(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: &str,
) -> Result<dispatch_events::Model, ServiceError> {
    dispatch_events::Entity::find()
        .filter(dispatch_events::Column::PublicId.eq(id))
        .filter(
            dispatch_events::Column::DispatchGroupId.in_subquery(assets::visible_group_ids(actor)),
        )
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("dispatch"))
}

/// A dispatch the caller may see (an FSP: its own groups'), with its messages.
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
) -> Result<Dispatch, ServiceError> {
    let event = visible_event(db, actor, id).await?;
    let mut out = assemble(db, vec![event]).await?;
    out.pop().ok_or(ServiceError::NotFound("dispatch"))
}

/// The longest period one listing covers.
pub const LIST_SPAN: Duration = Duration::days(93);

/// Dispatches the caller may see that overlap `[from, to)` (at most [`LIST_SPAN`]), by
/// start.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Dispatch>, ServiceError> {
    if to <= from {
        return Err(ServiceError::invalid("to", "must be after from"));
    }
    if to - from > LIST_SPAN {
        return Err(ServiceError::invalid(
            "to",
            "must be at most 93 days after from; ask for a long period in parts",
        ));
    }
    let events = dispatch_events::Entity::find()
        .filter(
            dispatch_events::Column::DispatchGroupId.in_subquery(assets::visible_group_ids(actor)),
        )
        .filter(dispatch_events::Column::StartAt.lt(to))
        .filter(dispatch_events::Column::EndAt.gt(from))
        .order_by_asc(dispatch_events::Column::StartAt)
        .all(db)
        .await?;
    assemble(db, events).await
}

async fn assemble(
    db: &DatabaseConnection,
    events: Vec<dispatch_events::Model>,
) -> Result<Vec<Dispatch>, ServiceError> {
    let ids: Vec<i32> = events.iter().map(|e| e.id).collect();
    let messages = dispatch_messages::Entity::find()
        .filter(dispatch_messages::Column::DispatchEventId.is_in(ids))
        .order_by_asc(dispatch_messages::Column::DueAt)
        .order_by_asc(dispatch_messages::Column::Id)
        .all(db)
        .await?;
    let groups = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::Id.is_in(events.iter().map(|e| e.dispatch_group_id)))
        .all(db)
        .await?;
    let programmes = programmes::Entity::find()
        .filter(programmes::Column::Id.is_in(events.iter().map(|e| e.programme_id)))
        .all(db)
        .await?;
    events
        .into_iter()
        .map(|e| {
            let group = groups
                .iter()
                .find(|g| g.id == e.dispatch_group_id)
                .ok_or_else(|| corrupt("dispatch group"))?;
            let programme = programmes
                .iter()
                .find(|p| p.id == e.programme_id)
                .ok_or_else(|| corrupt("programme"))?;
            Ok(Dispatch {
                id: PublicId::parse(&e.public_id).map_err(|_| corrupt("dispatch id"))?,
                dispatch_group_id: PublicId::parse(&group.public_id)
                    .map_err(|_| corrupt("group id"))?,
                dispatch_group: group.name.clone(),
                programme: programme.name.clone(),
                start: e.start_at,
                end: e.end_at,
                power_change_kw: e.power_change_kw,
                status: DispatchStatus::parse(&e.status)
                    .ok_or_else(|| corrupt("dispatch status"))?,
                stopped_at: e.stopped_at,
                messages: messages
                    .iter()
                    .filter(|m| m.dispatch_event_id == Some(e.id))
                    .map(|m| {
                        Ok(DispatchMessage {
                            message_id: m.message_id.clone(),
                            instruction: Instruction::parse(&m.instruction)
                                .ok_or_else(|| corrupt("instruction"))?,
                            due_at: m.due_at,
                            deadline: m.deadline,
                            status: MessageStatus::parse(&m.status)
                                .ok_or_else(|| corrupt("message status"))?,
                            attempts: m.attempts,
                            delivered_at: m.delivered_at,
                            last_error: m.last_error.clone(),
                        })
                    })
                    .collect::<Result<_, ServiceError>>()?,
            })
        })
        .collect()
}

/// The event, group, zone and programme of a dispatch the operator may act on.
async fn for_operator(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
) -> Result<
    (
        dispatch_events::Model,
        dispatch_groups::Model,
        zones::Model,
        programmes::Model,
    ),
    ServiceError,
> {
    require_operator(actor)?;
    let event = visible_event(db, actor, id).await?;
    let group = dispatch_groups::Entity::find_by_id(event.dispatch_group_id)
        .one(db)
        .await?
        .ok_or_else(|| corrupt("group"))?;
    let zone = zones::Entity::find_by_id(group.zone_id)
        .one(db)
        .await?
        .ok_or_else(|| corrupt("zone"))?;
    let programme = programmes::Entity::find_by_id(event.programme_id)
        .one(db)
        .await?
        .ok_or_else(|| corrupt("programme"))?;
    Ok((event, group, zone, programme))
}

/// Withdraws the dispatch's messages not yet delivered.
async fn withdraw_pending(db: &impl ConnectionTrait, event_id: i32) -> Result<(), ServiceError> {
    dispatch_messages::Entity::update_many()
        .col_expr(
            dispatch_messages::Column::Status,
            Expr::value(MessageStatus::Cancelled.as_str()),
        )
        .filter(dispatch_messages::Column::DispatchEventId.eq(event_id))
        .filter(dispatch_messages::Column::Status.eq(MessageStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Cancels a dispatch that has not started (operators): its START and STOP are withdrawn
/// and, if the START may already have gone, a CANCEL follows.
pub async fn cancel(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: &str,
) -> Result<Dispatch, ServiceError> {
    let (event, group, zone, programme) = for_operator(db, actor, id).await?;
    if event.status != DispatchStatus::Active.as_str() {
        return Err(ServiceError::Conflict(format!(
            "dispatch {id} is already {}",
            event.status
        )));
    }
    if event.start_at <= now {
        return Err(ServiceError::Conflict(format!(
            "dispatch {id} has started; use an emergency stop"
        )));
    }
    let txn = db.begin().await?;
    let start_sent = dispatch_messages::Entity::find()
        .filter(dispatch_messages::Column::DispatchEventId.eq(event.id))
        .filter(dispatch_messages::Column::Instruction.eq(Instruction::Start.as_str()))
        .filter(dispatch_messages::Column::Attempts.gt(0))
        .one(&txn)
        .await?
        .is_some();
    withdraw_pending(&txn, event.id).await?;
    let mut active: dispatch_events::ActiveModel = event.clone().into();
    active.status = Set(DispatchStatus::Cancelled.as_str().to_owned());
    active.updated_at = Set(now);
    let event = active.update(&txn).await?;
    let policy = policy_of(&programme)?;
    // Only an FSP that may have heard of the dispatch needs to hear it is off; schedules
    // are not sent yet, so that means a START that has been attempted.
    if start_sent && !policy.manual_dispatch {
        enqueue(
            &txn,
            &event,
            &group,
            &zone,
            &programme,
            Instruction::Cancel,
            now,
            event.start_at,
            now,
        )
        .await?;
    }
    super::audit_change(
        &txn,
        now,
        actor.user_id(),
        zone.operator_id,
        Some(group.company_id),
        "dispatch_cancelled",
        event.public_id.clone(),
    )
    .await?;
    txn.commit().await?;
    get(db, actor, id).await
}

/// Stops a dispatch at once (operators): pending messages are withdrawn and an
/// EMERGENCY_STOP is sent.
pub async fn emergency_stop(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: &str,
) -> Result<Dispatch, ServiceError> {
    let (event, group, zone, programme) = for_operator(db, actor, id).await?;
    if event.status != DispatchStatus::Active.as_str() {
        return Err(ServiceError::Conflict(format!(
            "dispatch {id} is already {}",
            event.status
        )));
    }
    if event.end_at <= now {
        return Err(ServiceError::Conflict(format!(
            "dispatch {id} has already ended"
        )));
    }
    let txn = db.begin().await?;
    withdraw_pending(&txn, event.id).await?;
    let mut active: dispatch_events::ActiveModel = event.into();
    active.status = Set(DispatchStatus::EmergencyStopped.as_str().to_owned());
    active.stopped_at = Set(Some(now));
    active.updated_at = Set(now);
    let event = active.update(&txn).await?;
    if !policy_of(&programme)?.manual_dispatch {
        enqueue(
            &txn,
            &event,
            &group,
            &zone,
            &programme,
            Instruction::EmergencyStop,
            now,
            now + STOP_GRACE,
            now,
        )
        .await?;
    }
    super::audit_change(
        &txn,
        now,
        actor.user_id(),
        zone.operator_id,
        Some(group.company_id),
        "dispatch_emergency_stopped",
        event.public_id.clone(),
    )
    .await?;
    txn.commit().await?;
    get(db, actor, id).await
}

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
        .map(super::dispatch_settings::attempt)
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
    super::audit_change(
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
async fn claim(
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

/// One pass of the delivery worker: sends every due message once, then reschedules it,
/// marks it delivered, or marks it missed past its deadline. Returns how many it tried.
///
/// The sends run concurrently and their outcomes are written as they come in, whatever has
/// finished in one go, rather than two statements per message: with thousands of STARTs
/// due at one instant the writes, not the POSTs, would set the pace. A crash leaves the
/// messages sent but not yet recorded (at most [`AT_RISK`]) leased; they are sent again,
/// with the same `webhook-id`, once the lease runs out.
pub async fn deliver_due(
    db: &DatabaseConnection,
    config: &Settings,
    secrets: &SecretBox,
    mailer: &Mailer,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    use futures_util::StreamExt;
    let messages = claim(db, owner, now, config.delivery_batch.max(1)).await?;
    let count = messages.len();
    if count == 0 {
        return Ok(0);
    }
    let targets = targets(db, config, secrets, &messages).await?;
    let targets = &targets;
    // Endpoints answer in their own time: many at once, so one slow FSP delays no other.
    let mut finished = futures_util::stream::iter(messages)
        .map(|message| process(db, targets, mailer, now, message))
        .buffer_unordered(CONCURRENCY)
        .ready_chunks(RECORD_BATCH);
    let mut failure = None;
    while let Some(batch) = finished.next().await {
        let mut outcomes = Vec::with_capacity(batch.len());
        for result in batch {
            match result {
                Ok(outcome) => outcomes.push(outcome),
                // Left leased, so retried after the lease; the others' outcomes still count.
                Err(e) => failure = Some(e),
            }
        }
        record(db, owner, now, outcomes).await?;
    }
    failure.map_or(Ok(count), Err)
}

/// How many messages a pass sends at once, and the most outcomes it writes in one go.
pub const CONCURRENCY: usize = 128;
const RECORD_BATCH: usize = 128;
/// The most messages a worker killed mid-pass may have sent without recording it: those in
/// flight and those finished but not yet written. Only these can arrive twice.
pub const AT_RISK: usize = CONCURRENCY + RECORD_BATCH;

/// Where a company's messages go in this pass, worked out once per company.
enum Target {
    Email(dispatch_settings::Model),
    Api {
        url: reqwest::Url,
        client: reqwest::Client,
        secret: String,
    },
    /// Why nothing can be sent now (retried until the deadline).
    Unusable(String),
}

/// The targets of the companies whose messages are in this pass. Settings are read afresh
/// each pass, so a rotated secret or a new endpoint applies to the next message sent.
async fn targets(
    db: &DatabaseConnection,
    config: &Settings,
    secrets: &SecretBox,
    messages: &[dispatch_messages::Model],
) -> Result<HashMap<i32, Target>, ServiceError> {
    let companies: std::collections::BTreeSet<i32> =
        messages.iter().map(|m| m.company_id).collect();
    let settings = dispatch_settings::Entity::find()
        .filter(dispatch_settings::Column::CompanyId.is_in(companies.iter().copied()))
        .all(db)
        .await?;
    let mut out = HashMap::with_capacity(companies.len());
    for company in companies {
        let found = settings.iter().find(|s| s.company_id == company);
        out.insert(company, target(config, secrets, found).await?);
    }
    Ok(out)
}

async fn target(
    config: &Settings,
    secrets: &SecretBox,
    settings: Option<&dispatch_settings::Model>,
) -> Result<Target, ServiceError> {
    if let Some(s) = settings.filter(|s| s.delivery == DeliveryChannel::Email.as_str()) {
        return Ok(Target::Email(s.clone()));
    }
    let (Some(endpoint), Some(sealed)) = (
        settings.and_then(|s| s.endpoint_url.clone()),
        settings.and_then(|s| s.secret_enc.clone()),
    ) else {
        return Ok(Target::Unusable(
            "the company has no endpoint or signing secret configured".to_owned(),
        ));
    };
    let secret = String::from_utf8(secrets.open(&sealed).map_err(accounts::crypto_error)?)
        .map_err(|_| corrupt("signing secret"))?;
    let Ok(url) = webhooks::check_form(&format!("{endpoint}/dispatch"), config) else {
        return Ok(Target::Unusable(format!(
            "the endpoint {endpoint} is no longer acceptable"
        )));
    };
    // Resolved and checked every pass: a name that now points inside is refused.
    let addrs = match webhooks::resolve(&url, config).await {
        Ok(addrs) => addrs,
        Err(ServiceError::Invalid(errors)) => {
            return Ok(Target::Unusable(
                errors
                    .into_iter()
                    .map(|e| e.reason)
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
        Err(other) => return Err(other),
    };
    let client = client(&url, &addrs)?;
    Ok(Target::Api {
        url,
        client,
        secret,
    })
}

/// An HTTP client per endpoint and checked addresses, kept across passes so that the
/// connections to an FSP's endpoint are reused rather than opened for every pass.
fn client(
    url: &reqwest::Url,
    addrs: &[std::net::SocketAddr],
) -> Result<reqwest::Client, ServiceError> {
    type Clients = HashMap<(String, Vec<std::net::SocketAddr>), reqwest::Client>;
    static CLIENTS: std::sync::LazyLock<std::sync::Mutex<Clients>> =
        std::sync::LazyLock::new(Default::default);
    let key = (url.as_str().to_owned(), addrs.to_vec());
    let mut clients = CLIENTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(client) = clients.get(&key) {
        return Ok(client.clone());
    }
    let client = webhooks::client_for(url, addrs)?;
    // Endpoints change rarely; a bound keeps a churn of them from growing the map for ever.
    if clients.len() >= 10_000 {
        clients.clear();
    }
    clients.insert(key, client.clone());
    Ok(client)
}

/// What became of one claimed message in a pass, written by [`record`].
struct Outcome {
    message: dispatch_messages::Model,
    verdict: Verdict,
    /// The attempt for the health panel; `None` when nothing was sent.
    attempt: Option<delivery_attempts::ActiveModel>,
}

enum Verdict {
    Delivered,
    Retry {
        next: DateTime<Utc>,
        error: String,
    },
    /// Past its deadline; `tried` when this pass made an attempt first.
    Missed {
        error: String,
        tried: bool,
    },
}

async fn process(
    db: &DatabaseConnection,
    targets: &HashMap<i32, Target>,
    mailer: &Mailer,
    now: DateTime<Utc>,
    message: dispatch_messages::Model,
) -> Result<Outcome, ServiceError> {
    if now > message.deadline {
        let error = message
            .last_error
            .clone()
            .unwrap_or_else(|| "not delivered before its deadline".to_owned());
        return Ok(Outcome {
            message,
            verdict: Verdict::Missed {
                error,
                tried: false,
            },
            attempt: None,
        });
    }
    let target = targets
        .get(&message.company_id)
        .ok_or_else(|| corrupt("delivery target"))?;
    let (result, attempt) = self::attempt(db, target, mailer, &message, now).await?;
    let verdict = match result {
        Ok(()) => Verdict::Delivered,
        Err(error) => {
            let next = now + retry_after(message.attempts + 1);
            if next > message.deadline {
                Verdict::Missed { error, tried: true }
            } else {
                Verdict::Retry { next, error }
            }
        }
    };
    Ok(Outcome {
        message,
        verdict,
        attempt,
    })
}

/// Writes a pass's outcomes in one transaction: the attempt rows in bulk, the delivered
/// messages in one statement, the (rarer) failures one by one. Only messages this worker
/// still holds are changed; one whose lease ran out belongs to whoever took it over.
async fn record(
    db: &DatabaseConnection,
    owner: &str,
    now: DateTime<Utc>,
    mut outcomes: Vec<Outcome>,
) -> Result<(), ServiceError> {
    use dispatch_messages::Column;
    let attempts: Vec<delivery_attempts::ActiveModel> = outcomes
        .iter_mut()
        .filter_map(|o| o.attempt.take())
        .collect();
    let txn = db.begin().await?;
    for chunk in attempts.chunks(500) {
        delivery_attempts::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let delivered: Vec<i64> = outcomes
        .iter()
        .filter(|o| matches!(o.verdict, Verdict::Delivered))
        .map(|o| o.message.id)
        .collect();
    for chunk in delivered.chunks(1_000) {
        dispatch_messages::Entity::update_many()
            .col_expr(
                Column::Status,
                Expr::value(MessageStatus::Delivered.as_str()),
            )
            .col_expr(
                Column::Attempts,
                sea_orm::sea_query::ExprTrait::add(Expr::col(Column::Attempts), 1),
            )
            .col_expr(Column::DeliveredAt, Expr::value(Some(now)))
            .col_expr(Column::LastError, Expr::value(None::<String>))
            .col_expr(Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
            .filter(Column::Id.is_in(chunk.iter().copied()))
            .filter(Column::LeaseOwner.eq(owner))
            .exec(&txn)
            .await?;
    }
    for outcome in outcomes {
        let message = &outcome.message;
        let update = dispatch_messages::Entity::update_many()
            .col_expr(Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
            .filter(Column::Id.eq(message.id))
            .filter(Column::LeaseOwner.eq(owner));
        let update = match outcome.verdict {
            Verdict::Delivered => continue,
            Verdict::Retry { next, error } => update
                .col_expr(Column::Attempts, Expr::value(message.attempts + 1))
                .col_expr(Column::NextAttemptAt, Expr::value(next))
                .col_expr(Column::LastError, Expr::value(error)),
            Verdict::Missed { error, tried } => update
                .col_expr(Column::Status, Expr::value(MessageStatus::Missed.as_str()))
                .col_expr(
                    Column::Attempts,
                    Expr::value(message.attempts + i32::from(tried)),
                )
                .col_expr(Column::LastError, Expr::value(error)),
        };
        update.exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Sends a message once; `Err` in the result carries why it was not delivered, and the
/// attempt row is the one to record (none when nothing could be sent).
async fn attempt(
    db: &DatabaseConnection,
    target: &Target,
    mailer: &Mailer,
    message: &dispatch_messages::Model,
    now: DateTime<Utc>,
) -> Result<(Result<(), String>, Option<delivery_attempts::ActiveModel>), ServiceError> {
    let (url, client, secret) = match target {
        Target::Email(settings) => return by_email(db, mailer, settings, message, now).await,
        Target::Unusable(reason) => return Ok((Err(reason.clone()), None)),
        Target::Api {
            url,
            client,
            secret,
        } => (url, client, secret),
    };
    let mut body: serde_json::Value =
        serde_json::from_str(&message.payload).map_err(|_| corrupt("message payload"))?;
    body["sent_at"] = serde_json::Value::String(rfc3339(now));
    let bytes = serde_json::to_vec(&body).map_err(|_| corrupt("message payload"))?;
    let sent = webhooks::post_with(
        client,
        url,
        &message.message_id,
        now.timestamp(),
        bytes,
        secret,
    )
    .await?;
    let row = sent.row(
        webhooks::Attempted {
            company_id: message.company_id,
            message_id: &message.message_id,
            instruction: &message.instruction,
            test: false,
            url: url.as_str(),
        },
        now,
    );
    let result = if sent.delivered() {
        Ok(())
    } else {
        Err(match (sent.status, sent.error) {
            (Some(status), _) => format!("HTTP {status}"),
            (None, Some(error)) => error,
            (None, None) => "no answer".to_owned(),
        })
    };
    Ok((result, Some(row)))
}

/// E-mail delivery for FSPs without an API: the same notice to each dispatch contact.
async fn by_email(
    db: &DatabaseConnection,
    mailer: &Mailer,
    settings: &dispatch_settings::Model,
    message: &dispatch_messages::Model,
    now: DateTime<Utc>,
) -> Result<(Result<(), String>, Option<delivery_attempts::ActiveModel>), ServiceError> {
    let contacts =
        super::dispatch_settings::contacts(settings.email_contacts.as_deref().unwrap_or(""));
    if contacts.is_empty() {
        return Ok((
            Err("the company takes dispatches by e-mail but names no contact".to_owned()),
            None,
        ));
    }
    let body: serde_json::Value =
        serde_json::from_str(&message.payload).map_err(|_| corrupt("message payload"))?;
    let text = notice_text(&body, &message.message_id);
    let instruction = body["instruction"].as_str().unwrap_or(&message.instruction);
    let subject = match body["dispatch_group"]["name"].as_str() {
        Some(group) => format!(
            "Openflex dispatch {instruction}: {group}, {} to {}",
            body["start"].as_str().unwrap_or(""),
            body["end"].as_str().unwrap_or("")
        ),
        None => format!(
            "Openflex {instruction}: {} from {}",
            body["programme"].as_str().unwrap_or(""),
            body["period"]["start"].as_str().unwrap_or("")
        ),
    };
    let mut refused = Vec::new();
    for to in contacts {
        let email = Email {
            to: to.clone(),
            subject: subject.clone(),
            html: format!("<pre>{}</pre>", html_escape(&text)),
            text: text.clone(),
        };
        let queued = mailer.queue(db, &email, now).await?;
        if let Err(why) = mailer.try_deliver(db, queued, now).await? {
            refused.push(format!("{to}: {why}"));
        }
    }
    // Not delivered until the mail server has taken it for every contact: otherwise the
    // notice is retried (contacts already reached may get it again, same message id).
    let error = (!refused.is_empty()).then(|| format!("e-mail not sent: {}", refused.join("; ")));
    let row = webhooks::Sent {
        status: None,
        latency_ms: 0,
        error: error.clone(),
        body_excerpt: Some(subject),
    }
    .row(
        webhooks::Attempted {
            company_id: message.company_id,
            message_id: &message.message_id,
            instruction: &message.instruction,
            test: false,
            url: "e-mail",
        },
        now,
    );
    Ok((error.map_or(Ok(()), Err), Some(row)))
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
            let body: serde_json::Value =
                serde_json::from_str(&m.payload).map_err(|_| corrupt("message payload"))?;
            Ok(IssuedMessage {
                row: m.id,
                instruction: Instruction::parse(&m.instruction)
                    .ok_or_else(|| corrupt("instruction"))?,
                dispatch_id: body["dispatch_id"].as_str().map(str::to_owned),
                issued_at: m.due_at,
                message_id: m.message_id,
                body: m.payload,
            })
        })
        .collect()
}

/// A dispatch message in words, for e-mail.
fn notice_text(body: &serde_json::Value, message_id: &str) -> String {
    let s = |v: &serde_json::Value| {
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| v.to_string())
    };
    let mut lines = vec![
        format!("Instruction: {}", s(&body["instruction"])),
        format!(
            "Zone: {} ({})",
            s(&body["zone"]["name"]),
            s(&body["zone"]["id"])
        ),
        format!("Programme: {}", s(&body["programme"])),
    ];
    let event = |d: &serde_json::Value| {
        format!(
            "Dispatch {}: {} ({}), {} to {} (UTC), power change {} kW, meterable units {}",
            s(&d["dispatch_id"]),
            s(&d["dispatch_group"]["name"]),
            s(&d["dispatch_group"]["id"]),
            s(&d["start"]),
            s(&d["end"]),
            d["power_change_kw"]
                .as_f64()
                .map(|kw| kw.to_string())
                .unwrap_or_default(),
            d["meterable_unit_ids"]
                .as_array()
                .map(|ids| ids.iter().map(s).collect::<Vec<_>>().join(", "))
                .unwrap_or_default()
        )
    };
    match body["dispatches"].as_array() {
        Some(list) => {
            lines.push(format!(
                "Period: {} to {} (UTC)",
                s(&body["period"]["start"]),
                s(&body["period"]["end"])
            ));
            if list.is_empty() {
                lines.push("No dispatches in this period.".to_owned());
            }
            lines.extend(list.iter().map(event));
        }
        None => lines.push(event(body)),
    }
    lines.push(format!("Message id: {message_id}"));
    lines.join("\n")
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
