//! Dispatch events: created from an accepted window (or ad hoc for Restore and Emergency
//! Flex) within the group's runtimes and accepted capacity, listed, cancelled, stopped in an
//! emergency; every message they cause is written to the outbox in the same transaction.

use super::*;

pub(super) fn minutes(d: Duration) -> i64 {
    d.num_minutes()
}

/// The minutes a group is dispatched in the London week of `at`, cancelled dispatches
/// aside and emergency stops counted to the stop.
pub(super) async fn weekly_minutes(
    db: &impl ConnectionTrait,
    group_id: i32,
    at: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let week = WeekCommencing::containing(at.with_timezone(&London).date_naive());
    let from =
        crate::services::calendar::london_instant(week.date(), 0).ok_or_else(|| corrupt("week"))?;
    let to = crate::services::calendar::london_instant(week.next().date(), 0)
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
                    "programme" => "programme_id",
                    "availability window" => "availability_window_id",
                    _ => "dispatch_group_id",
                };
                vec![FieldError::new(field, format!("no such {what}"))]
            }
            Err(other) => return Err(other),
        };
        errors.extend(refusals.into_iter().map(|e| FieldError {
            csv_column: false,
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
pub(super) async fn create_in(
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
        errors.push(FieldError::new("power_change_kw", "must be more than zero"));
    }
    if group.retired_at.is_some() {
        errors.push(FieldError::new(
            "dispatch_group_id",
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
                            "power_change_kw",
                            format!("exceeds the accepted {accepted} kW"),
                        ));
                    }
                }
                _ => errors.push(FieldError::new(
                    "availability_window_id",
                    "this window has not been accepted",
                )),
            }
            Some(w)
        }
        None => {
            if !matches!(kind, ProgrammeKind::Restore | ProgrammeKind::EmergencyFlex) {
                errors.push(FieldError::new(
                    "availability_window_id",
                    "only Restore and Emergency Flex are dispatched without an accepted window",
                ));
            }
            if kw > group.power_change_kw {
                errors.push(FieldError::new(
                    "power_change_kw",
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
    crate::services::audit_change(
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
pub(super) async fn enqueue(
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
    let fields = DispatchFields {
        message_id: crate::ids::new_message_id(),
        test: false,
        dispatch_id: event.public_id.clone(),
        zone: Named {
            id: zone.slug.clone(),
            name: zone.name.clone(),
        },
        programme: Some(programme.name.clone()),
        dispatch_group: Named {
            id: group.public_id.clone(),
            name: group.name.clone(),
        },
        start: event.start_at,
        end: event.end_at,
        power_change_kw: event.power_change_kw,
        meterable_unit_ids: units,
    };
    let message = Message::dispatch(instruction, fields)
        .ok_or_else(|| corrupt("a SCHEDULE is not about one dispatch"))?;
    insert_message(
        db,
        group.company_id,
        Some(event.id),
        &message,
        due,
        deadline,
        now,
    )
    .await
}

/// Writes a message to the outbox (`sent_at` is stamped by each attempt).
pub(crate) async fn insert_message(
    db: &impl ConnectionTrait,
    company_id: i32,
    event_id: Option<i32>,
    message: &Message,
    due: DateTime<Utc>,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let payload = serde_json::to_string(message).map_err(|_| corrupt("message payload"))?;
    dispatch_messages::ActiveModel {
        message_id: Set(message.message_id().to_owned()),
        company_id: Set(company_id),
        dispatch_event_id: Set(event_id),
        instruction: Set(message.instruction().as_str().to_owned()),
        payload: Set(payload),
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

pub(super) async fn assemble(
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
pub(super) async fn for_operator(
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
pub(super) async fn withdraw_pending(
    db: &impl ConnectionTrait,
    event_id: i32,
) -> Result<(), ServiceError> {
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
    crate::services::audit_change(
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
    crate::services::audit_change(
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
