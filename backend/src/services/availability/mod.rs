//! Availability declarations (guide §3.4) and their acceptance (guide §3.6). The operator
//! enters windows on the FSP's behalf until the programme's declaration lock, then accepts
//! or rejects them; auto-accept programmes (Restore) are accepted at the lock by
//! [`decide_due`], which the scheduler runs. Every local time is Europe/London.

use crate::db::entities::{availability_windows, dispatch_groups, programmes, zones};
use crate::ids::new_public_id;
use crate::services::{Actor, FieldError, ServiceError, assets, corrupt};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use shared::{
    AcceptanceRow, AvailabilityDay, AvailabilityWeek, AvailabilityWindow, DecidedBy,
    DeclarationStatus, ProgrammePolicy, PublicId, UndecidedAtDeadline, WeekCommencing, WindowInput,
    long_date,
};
use std::collections::HashMap;

mod acceptance;
pub use acceptance::*;

use crate::services::calendar::{
    instant_label, lock_at, london_instant, parse_clock, policy_of, weekly_instant,
};

/// What participants are told about declarations (guide §3.4).
pub const MANAGED_BY_OPERATOR: &str =
    "Availability declarations for this programme are managed by the Operator";

fn require_operator(actor: &Actor) -> Result<(), ServiceError> {
    match actor {
        Actor::Participant { .. } => Err(ServiceError::Forbidden(MANAGED_BY_OPERATOR.to_owned())),
        Actor::Operator { .. } | Actor::PlatformAdmin { .. } => Ok(()),
    }
}

/// The group and programme a request names, if the caller may see the group and the
/// programme runs in the group's zone.
async fn group_and_programme(
    db: &DatabaseConnection,
    actor: &Actor,
    group_id: &str,
    programme_id: &str,
) -> Result<(dispatch_groups::Model, zones::Model, programmes::Model), ServiceError> {
    let (group, zone) = assets::visible_dispatch_group(db, actor, group_id).await?;
    let programme = programmes::Entity::find()
        .filter(programmes::Column::PublicId.eq(programme_id))
        .filter(programmes::Column::ZoneId.eq(zone.id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("programme"))?;
    Ok((group, zone, programme))
}

fn window(m: &availability_windows::Model) -> Result<AvailabilityWindow, ServiceError> {
    Ok(AvailabilityWindow {
        id: PublicId::parse(&m.public_id).map_err(|_| corrupt("window id"))?,
        date: m.day.format("%Y-%m-%d").to_string(),
        start: m.start_local.clone(),
        end: m.end_local.clone(),
        start_utc: m.start_at,
        end_utc: m.end_at,
        declared_kw: m.declared_kw,
        status: DeclarationStatus::parse(&m.status).ok_or_else(|| corrupt("window status"))?,
        accepted_kw: m.accepted_kw,
        acceptance_start: m.acceptance_start,
        acceptance_end: m.acceptance_end,
    })
}

fn public_id(s: &str) -> Result<PublicId, ServiceError> {
    PublicId::parse(s).map_err(|_| corrupt("public id"))
}

/// Availability › Calendar: one group's windows in one programme for one week.
pub async fn week(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    group_id: &str,
    programme_id: &str,
    week: WeekCommencing,
) -> Result<AvailabilityWeek, ServiceError> {
    let (group, _, programme) = group_and_programme(db, actor, group_id, programme_id).await?;
    let policy = policy_of(&programme)?;
    let lock = lock_at(&policy, week)?;
    let rows = availability_windows::Entity::find()
        .filter(availability_windows::Column::DispatchGroupId.eq(group.id))
        .filter(availability_windows::Column::ProgrammeId.eq(programme.id))
        .filter(availability_windows::Column::WeekCommencing.eq(week.date()))
        .order_by_asc(availability_windows::Column::StartAt)
        .all(db)
        .await?;
    let mut days = Vec::with_capacity(7);
    for date in week.days() {
        let windows = rows
            .iter()
            .filter(|w| w.day == date)
            .map(window)
            .collect::<Result<Vec<_>, _>>()?;
        days.push(AvailabilityDay {
            date: date.format("%Y-%m-%d").to_string(),
            label: format!("{} {}", date.format("%a"), short_date(date)),
            windows,
        });
    }
    let operator = require_operator(actor).is_ok();
    let locked = now >= lock;
    let (week_start, week_end) = (
        london_instant(week.date(), 0).ok_or_else(|| corrupt("week start"))?,
        london_instant(week.next().date(), 0).ok_or_else(|| corrupt("week end"))?,
    );
    let baseline =
        crate::services::baselines::group_half_hours(db, group.id, week_start, week_end).await?;
    Ok(AvailabilityWeek {
        week_commencing: week.to_string(),
        programme_id: public_id(&programme.public_id)?,
        programme: programme.name,
        dispatch_group_id: public_id(&group.public_id)?,
        dispatch_group: group.name,
        capacity_kw: group.power_change_kw,
        editable_until: lock,
        editable_until_label: instant_label(lock),
        locked,
        can_edit: operator && !locked,
        can_decide: operator && locked,
        managed_by_operator: !operator,
        days,
        baseline,
    })
}

/// "17th Feb".
fn short_date(date: NaiveDate) -> String {
    let long = long_date(date);
    let mut parts = long.split(' ');
    match (parts.next(), parts.next()) {
        (Some(day), Some(month)) => format!("{day} {}", month.get(..3).unwrap_or(month)),
        _ => long,
    }
}

/// A window's local date and times checked and turned into instants; every refusal named.
struct Checked {
    day: NaiveDate,
    week: WeekCommencing,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

fn check_window(input: &WindowInput, capacity_kw: f64) -> Result<Checked, ServiceError> {
    let mut errors = Vec::new();
    let mut refuse = |field: &str, reason: String| {
        errors.push(FieldError {
            csv_column: false,
            index: None,
            field: field.to_owned(),
            reason,
        });
    };
    let day = NaiveDate::parse_from_str(&input.date, "%Y-%m-%d").ok();
    if day.is_none() {
        refuse("date", "must be a date in the form YYYY-MM-DD".to_owned());
    }
    let start = parse_clock(&input.start, false);
    if start.is_none() {
        refuse(
            "start",
            "must be a time from 00:00 to 23:59 (HH:MM)".to_owned(),
        );
    }
    let end = parse_clock(&input.end, true);
    if end.is_none() {
        refuse(
            "end",
            "must be a time from 00:01 to 24:00 (HH:MM)".to_owned(),
        );
    }
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        refuse("end", format!("must be after the start ({})", input.start));
    }
    if !input.kw.is_finite() || input.kw <= 0.0 {
        refuse("kw", "must be more than zero".to_owned());
    } else if input.kw > capacity_kw {
        refuse(
            "kw",
            format!("must not exceed the dispatch group's capacity of {capacity_kw} kW"),
        );
    }
    let mut instants = None;
    if let (Some(day), Some(s), Some(e)) = (day, start, end) {
        match (london_instant(day, s), london_instant(day, e)) {
            (Some(a), Some(b)) => instants = Some((a, b)),
            (None, _) => refuse(
                "start",
                format!(
                    "{} does not exist on {} (the clocks go forward)",
                    input.start, input.date
                ),
            ),
            (_, None) => refuse(
                "end",
                format!(
                    "{} does not exist on {} (the clocks go forward)",
                    input.end, input.date
                ),
            ),
        }
    }
    match (day, instants, errors.is_empty()) {
        (Some(day), Some((start, end)), true) => Ok(Checked {
            day,
            week: WeekCommencing::containing(day),
            start,
            end,
        }),
        _ => Err(ServiceError::Invalid(errors)),
    }
}

/// Refuses a window that overlaps another of the same group and programme.
async fn check_overlap(
    db: &impl ConnectionTrait,
    group: i32,
    programme: i32,
    checked: &Checked,
    except: Option<i32>,
) -> Result<(), ServiceError> {
    let mut query = availability_windows::Entity::find()
        .filter(availability_windows::Column::DispatchGroupId.eq(group))
        .filter(availability_windows::Column::ProgrammeId.eq(programme))
        .filter(availability_windows::Column::StartAt.lt(checked.end))
        .filter(availability_windows::Column::EndAt.gt(checked.start));
    if let Some(id) = except {
        query = query.filter(availability_windows::Column::Id.ne(id));
    }
    if let Some(other) = query.one(db).await? {
        return Err(ServiceError::invalid(
            "start",
            format!(
                "overlaps the window {}–{} on {}",
                other.start_local,
                other.end_local,
                other.day.format("%Y-%m-%d")
            ),
        ));
    }
    Ok(())
}

fn refuse_locked(week: WeekCommencing, lock: DateTime<Utc>) -> ServiceError {
    ServiceError::Conflict(format!(
        "declarations for the week commencing {} locked at {}",
        long_date(week.date()),
        instant_label(lock)
    ))
}

/// Declares a window for a dispatch group in a programme (operators only, until the lock).
pub async fn declare(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    group_id: &str,
    programme_id: &str,
    input: &WindowInput,
) -> Result<AvailabilityWindow, ServiceError> {
    require_operator(actor)?;
    let (group, zone, programme) = group_and_programme(db, actor, group_id, programme_id).await?;
    if group.retired_at.is_some() {
        return Err(ServiceError::invalid(
            "dispatch_group_id",
            "this dispatch group is retired",
        ));
    }
    let checked = check_window(input, group.power_change_kw)?;
    let lock = lock_at(&policy_of(&programme)?, checked.week)?;
    if now >= lock {
        return Err(refuse_locked(checked.week, lock));
    }
    let txn = db.begin().await?;
    check_overlap(&txn, group.id, programme.id, &checked, None).await?;
    let row = availability_windows::ActiveModel {
        public_id: Set(new_public_id().to_string()),
        dispatch_group_id: Set(group.id),
        programme_id: Set(programme.id),
        week_commencing: Set(checked.week.date()),
        day: Set(checked.day),
        start_local: Set(input.start.clone()),
        end_local: Set(input.end.clone()),
        start_at: Set(checked.start),
        end_at: Set(checked.end),
        declared_kw: Set(input.kw),
        status: Set(DeclarationStatus::Declared.as_str().to_owned()),
        accepted_kw: Set(None),
        acceptance_start: Set(None),
        acceptance_end: Set(None),
        created_by_user_id: Set(actor.user_id()),
        created_at: Set(now),
        updated_at: Set(now),
        decided_by_user_id: Set(None),
        decided_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        zone.operator_id,
        Some(group.company_id),
        "availability_declared",
        format!(
            "{} {} {}–{} {} kW ({})",
            group.name, input.date, input.start, row.end_local, input.kw, programme.name
        ),
    )
    .await?;
    txn.commit().await?;
    window(&row)
}

/// A window the caller may see, with its group, zone and programme.
async fn visible_window(
    db: &DatabaseConnection,
    actor: &Actor,
    window_id: &str,
) -> Result<
    (
        availability_windows::Model,
        dispatch_groups::Model,
        zones::Model,
        programmes::Model,
    ),
    ServiceError,
> {
    let row = availability_windows::Entity::find()
        .filter(availability_windows::Column::PublicId.eq(window_id))
        .filter(
            availability_windows::Column::DispatchGroupId
                .in_subquery(assets::visible_group_ids(actor)),
        )
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("availability window"))?;
    let group = dispatch_groups::Entity::find_by_id(row.dispatch_group_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("availability window"))?;
    let zone = zones::Entity::find_by_id(group.zone_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("availability window"))?;
    let programme = programmes::Entity::find_by_id(row.programme_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("availability window"))?;
    Ok((row, group, zone, programme))
}

/// Changes a declared window (operators only, until the lock).
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    window_id: &str,
    input: &WindowInput,
) -> Result<AvailabilityWindow, ServiceError> {
    require_operator(actor)?;
    let (row, group, zone, programme) = visible_window(db, actor, window_id).await?;
    let policy = policy_of(&programme)?;
    let current_week = WeekCommencing::containing(row.day);
    let lock = lock_at(&policy, current_week)?;
    if now >= lock {
        return Err(refuse_locked(current_week, lock));
    }
    let checked = check_window(input, group.power_change_kw)?;
    let new_lock = lock_at(&policy, checked.week)?;
    if now >= new_lock {
        return Err(refuse_locked(checked.week, new_lock));
    }
    let txn = db.begin().await?;
    check_overlap(&txn, group.id, programme.id, &checked, Some(row.id)).await?;
    let before = format!(
        "{} {}–{} {} kW",
        row.day, row.start_local, row.end_local, row.declared_kw
    );
    let mut active: availability_windows::ActiveModel = row.into();
    active.week_commencing = Set(checked.week.date());
    active.day = Set(checked.day);
    active.start_local = Set(input.start.clone());
    active.end_local = Set(input.end.clone());
    active.start_at = Set(checked.start);
    active.end_at = Set(checked.end);
    active.declared_kw = Set(input.kw);
    active.updated_at = Set(now);
    let row = active.update(&txn).await?;
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        zone.operator_id,
        Some(group.company_id),
        "availability_changed",
        format!(
            "{}: {before} → {} {}–{} {} kW ({})",
            group.name, input.date, input.start, row.end_local, input.kw, programme.name
        ),
    )
    .await?;
    txn.commit().await?;
    window(&row)
}

/// Removes a declared window (operators only, until the lock).
pub async fn remove(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    window_id: &str,
) -> Result<(), ServiceError> {
    require_operator(actor)?;
    let (row, group, zone, programme) = visible_window(db, actor, window_id).await?;
    let week = WeekCommencing::containing(row.day);
    let lock = lock_at(&policy_of(&programme)?, week)?;
    if now >= lock {
        return Err(refuse_locked(week, lock));
    }
    let txn = db.begin().await?;
    availability_windows::Entity::delete_by_id(row.id)
        .exec(&txn)
        .await?;
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        zone.operator_id,
        Some(group.company_id),
        "availability_removed",
        format!(
            "{} {} {}–{} {} kW ({})",
            group.name, row.day, row.start_local, row.end_local, row.declared_kw, programme.name
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Accepts or rejects declared windows (operators only, once their week has locked and
/// before each window starts). Accepted windows get their acceptance times and kW.
pub async fn decide(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    window_ids: &[String],
    accept: bool,
) -> Result<Vec<AvailabilityWindow>, ServiceError> {
    require_operator(actor)?;
    if window_ids.is_empty() {
        return Err(ServiceError::invalid(
            "window_ids",
            "name at least one window",
        ));
    }
    let mut rows = Vec::with_capacity(window_ids.len());
    let mut errors = Vec::new();
    for (index, id) in window_ids.iter().enumerate() {
        let (row, group, zone, programme) = visible_window(db, actor, id).await?;
        let week = WeekCommencing::containing(row.day);
        let lock = lock_at(&policy_of(&programme)?, week)?;
        let problem = if now < lock {
            Some(format!(
                "can be decided once declarations lock at {}",
                instant_label(lock)
            ))
        } else if row.start_at <= now {
            Some("has already started".to_owned())
        } else {
            None
        };
        if let Some(reason) = problem {
            errors.push(FieldError {
                csv_column: false,
                index: Some(index),
                field: "window_ids".to_owned(),
                reason,
            });
        }
        rows.push((row, group, zone));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let txn = db.begin().await?;
    let mut out = Vec::with_capacity(rows.len());
    for (row, group, zone) in rows {
        let detail = format!(
            "{} {} {}–{} {} kW",
            group.name, row.day, row.start_local, row.end_local, row.declared_kw
        );
        let row = set_decision(
            &txn,
            row,
            accept,
            (DecidedBy::Operator, actor.user_id()),
            now,
        )
        .await?;
        crate::services::audit_change(
            &txn,
            now,
            actor.user_id(),
            zone.operator_id,
            Some(group.company_id),
            if accept {
                "availability_accepted"
            } else {
                "availability_rejected"
            },
            detail,
        )
        .await?;
        out.push(window(&row)?);
    }
    txn.commit().await?;
    Ok(out)
}

/// Accepts or rejects every still-undecided window of a group in a programme for a week.
pub async fn decide_week(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    group_id: &str,
    programme_id: &str,
    week: WeekCommencing,
    accept: bool,
) -> Result<Vec<AvailabilityWindow>, ServiceError> {
    require_operator(actor)?;
    let (group, _, programme) = group_and_programme(db, actor, group_id, programme_id).await?;
    let ids: Vec<String> = availability_windows::Entity::find()
        .filter(availability_windows::Column::DispatchGroupId.eq(group.id))
        .filter(availability_windows::Column::ProgrammeId.eq(programme.id))
        .filter(availability_windows::Column::WeekCommencing.eq(week.date()))
        .filter(availability_windows::Column::Status.eq(DeclarationStatus::Declared.as_str()))
        .filter(availability_windows::Column::StartAt.gt(now))
        .all(db)
        .await?
        .into_iter()
        .map(|w| w.public_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    decide(db, actor, now, &ids, accept).await
}

/// Records a decision and who or what made it (with the user, when one did).
async fn set_decision(
    txn: &impl ConnectionTrait,
    row: availability_windows::Model,
    accept: bool,
    (decided_by, by): (DecidedBy, Option<i32>),
    now: DateTime<Utc>,
) -> Result<availability_windows::Model, ServiceError> {
    let (start, end, kw) = (row.start_at, row.end_at, row.declared_kw);
    let mut active: availability_windows::ActiveModel = row.into();
    let status = if accept {
        DeclarationStatus::Accepted
    } else {
        DeclarationStatus::Rejected
    };
    active.status = Set(status.as_str().to_owned());
    active.accepted_kw = Set(accept.then_some(kw));
    active.acceptance_start = Set(accept.then_some(start));
    active.acceptance_end = Set(accept.then_some(end));
    active.decided_by_user_id = Set(by);
    active.decided_by = Set(Some(decided_by.as_str().to_owned()));
    active.decided_at = Set(Some(now));
    active.updated_at = Set(now);
    Ok(active.update(txn).await?)
}

/// The scheduled job: decides the windows nobody decided in time. An auto-accept
/// programme accepts each at the declaration lock; any other programme, at the acceptance
/// time, accepts or rejects what is still undecided as its `undecided_at_deadline` says.
/// Safe to run at any time and from several instances; a run after downtime catches up.
/// Returns how many windows it decided.
pub async fn decide_due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    // A week locks during the week before it, so nothing after next week can be due.
    let horizon = assets::current_week(now).next();
    let pending = availability_windows::Entity::find()
        .filter(availability_windows::Column::Status.eq(DeclarationStatus::Declared.as_str()))
        .filter(availability_windows::Column::WeekCommencing.lte(horizon.date()))
        .all(db)
        .await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let mut programme_ids: Vec<i32> = pending.iter().map(|w| w.programme_id).collect();
    programme_ids.sort_unstable();
    programme_ids.dedup();
    let policies: HashMap<i32, ProgrammePolicy> = programmes::Entity::find()
        .filter(programmes::Column::Id.is_in(programme_ids))
        .all(db)
        .await?
        .iter()
        .map(|p| policy_of(p).map(|policy| (p.id, policy)))
        .collect::<Result<_, _>>()?;
    let mut decided = 0;
    for row in pending {
        let Some(policy) = policies.get(&row.programme_id) else {
            continue;
        };
        let week = WeekCommencing::containing(row.day);
        let (accept, basis, action, how) = if policy.auto_accept {
            if now < lock_at(policy, week)? {
                continue;
            }
            (
                true,
                DecidedBy::AutoAccept,
                "availability_auto_accepted",
                "accepted at the lock",
            )
        } else {
            let deadline = weekly_instant(
                week,
                policy.acceptance_day.offset(),
                &policy.acceptance_time,
            )?;
            if now < deadline {
                continue;
            }
            match policy.undecided_at_deadline {
                UndecidedAtDeadline::Accept => (
                    true,
                    DecidedBy::UndecidedAtDeadline,
                    "availability_accepted_at_deadline",
                    "undecided at the acceptance time: accepted by the programme's policy",
                ),
                UndecidedAtDeadline::Reject => (
                    false,
                    DecidedBy::UndecidedAtDeadline,
                    "availability_rejected_at_deadline",
                    "undecided at the acceptance time: rejected by the programme's policy",
                ),
            }
        };
        let txn = db.begin().await?;
        // Only if still undecided: an operator or another instance may have got there first.
        let claimed = availability_windows::Entity::update_many()
            .col_expr(availability_windows::Column::UpdatedAt, Expr::value(now))
            .filter(availability_windows::Column::Id.eq(row.id))
            .filter(availability_windows::Column::Status.eq(DeclarationStatus::Declared.as_str()))
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 1 {
            let group = dispatch_groups::Entity::find_by_id(row.dispatch_group_id)
                .one(&txn)
                .await?
                .ok_or_else(|| corrupt("window group"))?;
            let zone = zones::Entity::find_by_id(group.zone_id)
                .one(&txn)
                .await?
                .ok_or_else(|| corrupt("group zone"))?;
            let detail = format!(
                "{} {} {}–{} {} kW, {how}",
                group.name, row.day, row.start_local, row.end_local, row.declared_kw
            );
            set_decision(&txn, row, accept, (basis, None), now).await?;
            crate::services::audit_change(
                &txn,
                now,
                None,
                zone.operator_id,
                Some(group.company_id),
                action,
                detail,
            )
            .await?;
            decided += 1;
        }
        txn.commit().await?;
    }
    Ok(decided)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_checked_field_by_field() {
        let input = WindowInput {
            date: "2025-02-18".to_owned(),
            start: "12:00".to_owned(),
            end: "10:00".to_owned(),
            kw: 900.0,
        };
        let Err(ServiceError::Invalid(errors)) = check_window(&input, 500.0) else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["end", "kw"]);
        let zero = WindowInput {
            kw: 0.0,
            end: "13:00".to_owned(),
            ..input
        };
        assert!(matches!(
            check_window(&zero, 500.0),
            Err(ServiceError::Invalid(_))
        ));
    }
}
