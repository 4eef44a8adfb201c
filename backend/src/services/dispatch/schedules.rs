//! Schedule notices (guide §3.7): the week-ahead notice (default Thursday 17:00 London) lists
//! every dispatch of the next Monday–Sunday, the day-ahead notice (default daily 13:30) the
//! next London day's, per programme policy. Each goes to every FSP company with dispatches
//! in the period, once: the notice is recorded in the transaction that queues its messages.

use super::insert_message;
use crate::db::entities::{
    dispatch_events, dispatch_groups, meterable_units, programmes, schedule_notices, zones,
};
use crate::ids::new_message_id;
use crate::services::ServiceError;
use crate::services::calendar::{london_instant, parse_clock, policy_of};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::London;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use shared::webhooks::{Message, Named, Period, Schedule, ScheduledDispatch};
use shared::{DispatchStatus, ProgrammePolicy, WeekCommencing};
use std::collections::BTreeMap;

/// Which notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    WeekAhead,
    DayAhead,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::WeekAhead => "week_ahead",
            Self::DayAhead => "day_ahead",
        }
    }
}

/// A notice due under a policy: when it is due and the period it covers (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub kind: Kind,
    pub at: DateTime<Utc>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
}

fn midnight(date: NaiveDate) -> Option<DateTime<Utc>> {
    london_instant(date, 0)
}

/// The latest notices of each kind due at or before `now` under `policy` whose periods have
/// not begun (a notice for a period already under way is of no use). London times: the
/// periods of clock-change days and weeks are an hour shorter or longer.
pub fn due(policy: &ProgrammePolicy, now: DateTime<Utc>) -> Vec<Due> {
    let mut out = Vec::new();
    if policy.manual_dispatch {
        return out;
    }
    let today = now.with_timezone(&London).date_naive();
    if let (Some(day), Some(time)) = (policy.week_ahead_day, policy.week_ahead_time.as_deref())
        && let Some(minutes) = parse_clock(time, false)
    {
        // This week's notice is for next week.
        let this_week = WeekCommencing::containing(today);
        let next = this_week.next();
        let at_date = this_week.date() + chrono::Days::new(u64::from(day.offset()));
        if let (Some(at), Some(start), Some(end)) = (
            london_instant(at_date, minutes),
            midnight(next.date()),
            midnight(next.next().date()),
        ) && at <= now
            && now < start
        {
            out.push(Due {
                kind: Kind::WeekAhead,
                at,
                period_start: start,
                period_end: end,
            });
        }
    }
    if let Some(minutes) = policy
        .day_ahead_time
        .as_deref()
        .and_then(|t| parse_clock(t, false))
        && let Some(tomorrow) = today.succ_opt()
        && let (Some(at), Some(start), Some(end)) = (
            london_instant(today, minutes),
            midnight(tomorrow),
            tomorrow.succ_opt().and_then(midnight),
        )
        && at <= now
        && now < start
    {
        out.push(Due {
            kind: Kind::DayAhead,
            at,
            period_start: start,
            period_end: end,
        });
    }
    out
}

/// The scheduled job: issues every notice due now that has not been issued. Returns how
/// many messages it queued.
pub async fn issue_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut queued = 0;
    for programme in programmes::Entity::find().all(db).await? {
        let policy = policy_of(&programme)?;
        for notice in due(&policy, now) {
            queued += issue(db, &programme, notice, now).await?;
        }
    }
    Ok(queued)
}

async fn issue(
    db: &DatabaseConnection,
    programme: &programmes::Model,
    notice: Due,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let txn = db.begin().await?;
    // Claim the notice first: a second instance, or a second run, stops here.
    let claimed = schedule_notices::Entity::insert(schedule_notices::ActiveModel {
        programme_id: Set(programme.id),
        kind: Set(notice.kind.as_str().to_owned()),
        period_start: Set(notice.period_start),
        period_end: Set(notice.period_end),
        messages: Set(0),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([
        schedule_notices::Column::ProgrammeId,
        schedule_notices::Column::Kind,
        schedule_notices::Column::PeriodStart,
    ])
    .exec(&txn)
    .await?;
    let sea_orm::TryInsertResult::Inserted(row) = claimed else {
        return Ok(0);
    };
    let events = dispatch_events::Entity::find()
        .filter(dispatch_events::Column::ProgrammeId.eq(programme.id))
        .filter(dispatch_events::Column::Status.eq(DispatchStatus::Active.as_str()))
        .filter(dispatch_events::Column::StartAt.gte(notice.period_start))
        .filter(dispatch_events::Column::StartAt.lt(notice.period_end))
        .order_by_asc(dispatch_events::Column::StartAt)
        .all(&txn)
        .await?;
    let zone = zones::Entity::find_by_id(programme.zone_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("zone"))?;
    let groups = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::Id.is_in(events.iter().map(|e| e.dispatch_group_id)))
        .all(&txn)
        .await?;
    let units = meterable_units::Entity::find()
        .filter(meterable_units::Column::DispatchGroupId.is_in(groups.iter().map(|g| g.id)))
        .filter(meterable_units::Column::RetiredAt.is_null())
        .order_by_asc(meterable_units::Column::Name)
        .all(&txn)
        .await?;
    let mut by_company: BTreeMap<i32, Vec<ScheduledDispatch>> = BTreeMap::new();
    for event in &events {
        let Some(group) = groups.iter().find(|g| g.id == event.dispatch_group_id) else {
            continue;
        };
        let meterable_unit_ids = units
            .iter()
            .filter(|u| u.dispatch_group_id == group.id)
            .map(|u| u.public_id.clone())
            .collect();
        by_company
            .entry(group.company_id)
            .or_default()
            .push(ScheduledDispatch {
                dispatch_id: event.public_id.clone(),
                dispatch_group: Named {
                    id: group.public_id.clone(),
                    name: group.name.clone(),
                },
                start: event.start_at,
                end: event.end_at,
                power_change_kw: event.power_change_kw,
                meterable_unit_ids,
            });
    }
    let mut queued = 0;
    for (company_id, dispatches) in by_company {
        let message = Message::Schedule(Schedule::new(
            new_message_id(),
            false,
            Named {
                id: zone.slug.clone(),
                name: zone.name.clone(),
            },
            Some(programme.name.clone()),
            Period {
                start: notice.period_start,
                end: notice.period_end,
            },
            dispatches,
        ));
        insert_message(
            &txn,
            company_id,
            None,
            &message,
            now,
            notice.period_start,
            now,
        )
        .await?;
        queued += 1;
    }
    schedule_notices::Entity::update_many()
        .col_expr(
            schedule_notices::Column::Messages,
            sea_orm::sea_query::Expr::value(i32::try_from(queued).unwrap_or(i32::MAX)),
        )
        .filter(schedule_notices::Column::Id.eq(row.last_insert_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::rfc3339;
    use shared::ProgrammeKind;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn rfc(t: DateTime<Utc>) -> String {
        rfc3339(t)
    }

    #[test]
    fn week_ahead_goes_thursday_1700_london_across_the_clock_changes() {
        let sustain = ProgrammePolicy::defaults(ProgrammeKind::Sustain);
        assert!(due(&sustain, utc("2026-03-26T16:59:59Z")).is_empty());
        // 26 March 2026 is still GMT; the week it announces starts on BST.
        let spring = due(&sustain, utc("2026-03-26T17:00:00Z"));
        assert_eq!(spring.len(), 1);
        assert_eq!(spring[0].kind, Kind::WeekAhead);
        assert_eq!(rfc(spring[0].at), "2026-03-26T17:00:00Z");
        assert_eq!(rfc(spring[0].period_start), "2026-03-29T23:00:00Z");
        assert_eq!(rfc(spring[0].period_end), "2026-04-05T23:00:00Z");
        // 22 October 2026 is BST (17:00 London is 16:00 UTC); the week it announces has 169 hours.
        assert!(due(&sustain, utc("2026-10-22T15:59:59Z")).is_empty());
        let autumn = due(&sustain, utc("2026-10-22T16:00:00Z"));
        assert_eq!(rfc(autumn[0].period_start), "2026-10-26T00:00:00Z");
        assert_eq!(rfc(autumn[0].period_end), "2026-11-02T00:00:00Z");
        let week_before = due(&sustain, utc("2026-10-15T16:00:00Z"));
        assert_eq!(
            (week_before[0].period_end - week_before[0].period_start).num_hours(),
            169,
            "the week of 19 October 2026 ends with the autumn change"
        );
    }

    #[test]
    fn day_ahead_goes_1330_london_and_covers_a_23_or_25_hour_day() {
        let secure = ProgrammePolicy::defaults(ProgrammeKind::Secure);
        let saturday = due(&secure, utc("2026-03-28T13:30:00Z"));
        assert_eq!(saturday.len(), 1);
        assert_eq!(saturday[0].kind, Kind::DayAhead);
        assert_eq!(
            (saturday[0].period_end - saturday[0].period_start).num_hours(),
            23
        );
        // Sunday 29 March is BST: 13:30 London is 12:30 UTC.
        assert!(due(&secure, utc("2026-03-29T12:29:59Z")).is_empty());
        assert_eq!(
            rfc(due(&secure, utc("2026-03-29T12:30:00Z"))[0].at),
            "2026-03-29T12:30:00Z"
        );
        let autumn = due(&secure, utc("2026-10-24T12:30:00Z"));
        assert_eq!(
            (autumn[0].period_end - autumn[0].period_start).num_hours(),
            25
        );
        // Manual programmes send nothing.
        assert!(
            due(
                &ProgrammePolicy::defaults(ProgrammeKind::Restore),
                utc("2026-03-26T17:00:00Z")
            )
            .is_empty()
        );
    }
}
