//! Scheduled e-mails (guide §4.0), only to users who opted in: Monthly Invoices (the 1st,
//! 04:00 London: last month's statements, to review before they become final on the 15th),
//! Weekly Accepted Declarations (Thursday 12:05: next week's accepted declarations) and
//! Daily Schedules (08:00: dispatches in the next 24 hours; not a dispatch signal). Each
//! goes once per period per user: a row in `scheduled_emails`, written in one transaction
//! with the queued mail, records it, so neither a restart nor a second instance sends it
//! again. Contents come from the same services the pages use, as that user sees them.
//! Beside them, the mandatory week-ahead e-mail of programmes whose policy has one (guide
//! §3.7: VAOU, Friday 12:00) goes to every user of the companies in the programme.

use super::calendar::london_instant;
use super::settlement::statements;
use super::{Actor, ServiceError, accounts, dispatch};
use crate::db::entities::{dispatch_groups, prices, programmes, scheduled_emails, users};
use crate::mail::{Email, Mailer, html_escape};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Europe::London;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use shared::{DeclarationStatus, DispatchStatus, Month, WeekCommencing};

/// How late a digest may still go: a server down at the hour catches up the same day, but a
/// user who opts in later waits for the next one.
const GRACE: Duration = Duration::hours(12);

/// The three scheduled e-mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    MonthlyInvoices,
    WeeklyDeclarations,
    DailySchedules,
}

impl Digest {
    pub const ALL: [Digest; 3] = [
        Digest::MonthlyInvoices,
        Digest::WeeklyDeclarations,
        Digest::DailySchedules,
    ];

    fn key(self) -> &'static str {
        match self {
            Digest::MonthlyInvoices => "monthly_invoices",
            Digest::WeeklyDeclarations => "weekly_declarations",
            Digest::DailySchedules => "daily_schedules",
        }
    }

    /// The London day and minute it goes on, for the period containing `day`.
    fn slot(self, day: NaiveDate) -> (NaiveDate, u32) {
        match self {
            Digest::MonthlyInvoices => (Month::of(day).first_day(), 4 * 60),
            Digest::WeeklyDeclarations => {
                let back = (day.weekday().num_days_from_monday() + 7
                    - Weekday::Thu.num_days_from_monday())
                    % 7;
                (day - Duration::days(i64::from(back)), 12 * 60 + 5)
            }
            Digest::DailySchedules => (day, 8 * 60),
        }
    }

    /// The latest time it was due at or before `now`, and its London day.
    pub fn latest(self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, NaiveDate)> {
        let today = now.with_timezone(&London).date_naive();
        let (day, minute) = self.slot(today);
        let at = london_instant(day, minute)?;
        if at <= now {
            return Some((at, day));
        }
        let (day, minute) = self.slot(day.pred_opt()?);
        Some((london_instant(day, minute)?, day))
    }

    fn opted_in(self) -> users::Column {
        match self {
            Digest::MonthlyInvoices => users::Column::PrefMonthlyInvoices,
            Digest::WeeklyDeclarations => users::Column::PrefWeeklyDeclarations,
            Digest::DailySchedules => users::Column::PrefDailySchedules,
        }
    }
}

fn london(t: DateTime<Utc>) -> String {
    t.with_timezone(&London)
        .format("%a %d %b %H:%M")
        .to_string()
}

fn clock(t: DateTime<Utc>) -> String {
    t.with_timezone(&London).format("%H:%M").to_string()
}

/// The e-mail for `digest` due on `day`, as `actor` sees the data at `now`.
async fn compose(
    db: &DatabaseConnection,
    digest: Digest,
    actor: &Actor,
    to: &str,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Email, ServiceError> {
    let (subject, lines) = match digest {
        Digest::MonthlyInvoices => {
            let month = Month::of(day).previous();
            let list = statements::statements(db, actor, now, month, None).await?;
            let mut lines = vec![
                format!(
                    "Your statements for {}, for review. Raise any query before they become final at 00:00 on 15 {} (Reports › Invoices/Statements).",
                    month.long_name(),
                    month.next().long_name()
                ),
                String::new(),
            ];
            if list.is_empty() {
                lines.push(format!("No statements for {}.", month.long_name()));
            }
            for s in &list {
                lines.push(format!(
                    "{} · {} · {}: availability £{:.2}, utilisation £{:.2}, total £{:.2} ({})",
                    s.company,
                    s.zone,
                    s.month,
                    s.availability_gbp,
                    s.utilisation_gbp,
                    s.total_gbp,
                    s.status.as_str()
                ));
            }
            (
                format!("Openflex Monthly Invoices: {}", month.long_name()),
                lines,
            )
        }
        Digest::WeeklyDeclarations => {
            let week = WeekCommencing::containing(day).next();
            let rows = super::availability::acceptance(db, actor, week).await?;
            let accepted: Vec<_> = rows
                .iter()
                .filter(|r| r.status == DeclarationStatus::Accepted)
                .collect();
            let mut lines = vec![
                format!(
                    "Accepted availability declarations for the week commencing {}.",
                    week.date().format("%A %d %B %Y")
                ),
                String::new(),
            ];
            if accepted.is_empty() {
                lines.push("No accepted declarations for that week.".to_owned());
            }
            let by_policy = |r: &shared::AcceptanceRow| {
                r.decided_by == Some(shared::DecidedBy::UndecidedAtDeadline)
            };
            for r in accepted {
                lines.push(format!(
                    "{} · {} · {} ({}): {} {}–{}, {} kW accepted{}",
                    r.zone,
                    r.programme,
                    r.dispatch_group,
                    r.dispatch_group_id,
                    r.date,
                    r.acceptance_start.map(clock).unwrap_or_default(),
                    r.acceptance_end.map(clock).unwrap_or_default(),
                    r.accepted_kw.unwrap_or_default(),
                    if by_policy(r) {
                        " (no decision by the acceptance time: accepted by the programme's policy)"
                    } else {
                        ""
                    }
                ));
            }
            // Windows the policy rejected for want of a decision: the FSP should know why.
            let rejected: Vec<_> = rows
                .iter()
                .filter(|r| r.status == DeclarationStatus::Rejected && by_policy(r))
                .collect();
            if !rejected.is_empty() {
                lines.push(String::new());
                lines.push(
                    "Not accepted: no decision by the acceptance time, rejected by the programme's policy:"
                        .to_owned(),
                );
            }
            for r in rejected {
                lines.push(format!(
                    "{} · {} · {} ({}): {} {}–{}, {} kW declared",
                    r.zone,
                    r.programme,
                    r.dispatch_group,
                    r.dispatch_group_id,
                    r.date,
                    r.window_start,
                    r.window_end,
                    r.declared_kw
                ));
            }
            (
                format!(
                    "Openflex Weekly Accepted Declarations: week commencing {}",
                    week.date().format("%d %B %Y")
                ),
                lines,
            )
        }
        Digest::DailySchedules => {
            let list = dispatch::list(db, actor, now, now + Duration::hours(24)).await?;
            let active: Vec<_> = list
                .iter()
                .filter(|d| d.status == DispatchStatus::Active && d.end > now)
                .collect();
            let mut lines = vec![
                "Dispatches scheduled for the next 24 hours at the time of sending.".to_owned(),
                "This summary is not a dispatch signal: do not rely on it to dispatch. Instructions come by the API (or dispatch e-mail).".to_owned(),
                String::new(),
            ];
            if active.is_empty() {
                lines.push("No dispatches scheduled.".to_owned());
            }
            for d in active {
                lines.push(format!(
                    "{} · {}: {} to {} (London), {} kW, dispatch {}",
                    d.dispatch_group,
                    d.programme,
                    london(d.start),
                    london(d.end),
                    d.power_change_kw,
                    d.id
                ));
            }
            (
                format!("Openflex Daily Schedules: {}", day.format("%A %d %B %Y")),
                lines,
            )
        }
    };
    let text = lines.join("\n");
    Ok(Email {
        to: to.to_owned(),
        subject,
        html: format!("<pre>{}</pre>", html_escape(&text)),
        text,
    })
}

async fn already_sent(
    db: &DatabaseConnection,
    user_id: i32,
    kind: &str,
    period: &str,
) -> Result<bool, ServiceError> {
    Ok(scheduled_emails::Entity::find()
        .filter(scheduled_emails::Column::UserId.eq(user_id))
        .filter(scheduled_emails::Column::Kind.eq(kind))
        .filter(scheduled_emails::Column::Period.eq(period))
        .one(db)
        .await?
        .is_some())
}

/// Sends `email` unless this user has had this kind of e-mail for this period, here or from
/// another instance: the claim and the queued mail commit together. Whether it went now.
async fn send_once(
    db: &DatabaseConnection,
    mailer: &Mailer,
    (user_id, kind, period): (i32, &str, &str),
    email: &Email,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let txn = db.begin().await?;
    let claimed = scheduled_emails::ActiveModel {
        user_id: Set(user_id),
        kind: Set(kind.to_owned()),
        period: Set(period.to_owned()),
        sent_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    // Another instance sent it a moment ago: the unique key says so.
    if claimed.is_err() {
        return Ok(false);
    }
    let queued = mailer.queue(&txn, email, now).await?;
    txn.commit().await?;
    mailer.deliver(db, queued, now).await?;
    Ok(true)
}

/// The scheduler's job: sends each digest that is due to every opted-in user who has not
/// had it for this period. Returns how many it sent.
pub async fn send_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let mut sent = 0;
    for digest in Digest::ALL {
        let Some((at, day)) = digest.latest(now) else {
            continue;
        };
        if now - at > GRACE {
            continue;
        }
        let period = day.to_string();
        let recipients = users::Entity::find()
            .filter(digest.opted_in().eq(true))
            .filter(users::Column::DisabledAt.is_null())
            .filter(users::Column::PasswordHash.is_not_null())
            .all(db)
            .await?;
        for user in recipients {
            if already_sent(db, user.id, digest.key(), &period).await? {
                continue;
            }
            let to = user.email.clone();
            let user_id = user.id;
            let Ok(actor) = accounts::actor_for(db, user).await else {
                continue;
            };
            let email = compose(db, digest, &actor, &to, day, now).await?;
            if send_once(db, mailer, (user_id, digest.key(), &period), &email, now).await? {
                sent += 1;
            }
        }
    }
    Ok(sent)
}

/// The scheduler's job for the mandatory week-ahead e-mail (guide §3.7: VAOU, "mandatory
/// week ahead email sent Fri@12:00"): at each programme's `week_ahead_email` time, every
/// active user of each company priced in the programme gets next week's dispatches in it,
/// whatever their e-mail preferences. Once per user, programme and week. Returns how many
/// it sent.
pub async fn send_week_ahead_notices(
    db: &DatabaseConnection,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let week = super::assets::current_week(now).next();
    let (Some(from), Some(to)) = (
        london_instant(week.date(), 0),
        london_instant(week.next().date(), 0),
    ) else {
        return Ok(0);
    };
    let mut sent = 0;
    for programme in programmes::Entity::find().all(db).await? {
        let policy = super::calendar::policy_of(&programme)?;
        let (Some(day), Some(time)) = (
            policy.week_ahead_email_day,
            policy.week_ahead_email_time.as_deref(),
        ) else {
            continue;
        };
        let at = super::calendar::weekly_instant(week, day.offset(), time)?;
        if now < at || now - at > GRACE {
            continue;
        }
        // The companies priced in the programme, with their groups in it.
        let priced: Vec<i32> = prices::Entity::find()
            .filter(prices::Column::ProgrammeId.eq(programme.id))
            .all(db)
            .await?
            .into_iter()
            .map(|p| p.dispatch_group_id)
            .collect();
        let groups = dispatch_groups::Entity::find()
            .filter(dispatch_groups::Column::Id.is_in(priced))
            .filter(dispatch_groups::Column::RetiredAt.is_null())
            .all(db)
            .await?;
        let companies: Vec<i32> = groups.iter().map(|g| g.company_id).collect();
        let kind = format!("week_ahead:{}", programme.id);
        let period = week.date().to_string();
        let recipients = users::Entity::find()
            .filter(users::Column::CompanyId.is_in(companies))
            .filter(users::Column::DisabledAt.is_null())
            .filter(users::Column::PasswordHash.is_not_null())
            .all(db)
            .await?;
        for user in recipients {
            if already_sent(db, user.id, &kind, &period).await? {
                continue;
            }
            let (to_address, user_id, company) = (user.email.clone(), user.id, user.company_id);
            let Ok(actor) = accounts::actor_for(db, user).await else {
                continue;
            };
            let own: Vec<String> = groups
                .iter()
                .filter(|g| Some(g.company_id) == company)
                .map(|g| g.public_id.clone())
                .collect();
            let dispatches: Vec<_> = dispatch::list(db, &actor, from, to)
                .await?
                .into_iter()
                .filter(|d| d.status == DispatchStatus::Active)
                .filter(|d| d.programme == programme.name)
                .filter(|d| own.contains(&d.dispatch_group_id.to_string()))
                .collect();
            let mut lines = vec![
                format!(
                    "Your {} dispatches for the week commencing {}, as scheduled at the time of sending.",
                    programme.name,
                    week.date().format("%A %d %B %Y")
                ),
                "This notice is sent to every user of your company; it cannot be opted out of. It is not a dispatch signal: instructions come by the API (or dispatch e-mail).".to_owned(),
                String::new(),
            ];
            if dispatches.is_empty() {
                lines.push("No dispatches are scheduled for that week.".to_owned());
            }
            for d in &dispatches {
                lines.push(format!(
                    "{}: {} to {} (London), {} kW, dispatch {}",
                    d.dispatch_group,
                    london(d.start),
                    london(d.end),
                    d.power_change_kw,
                    d.id
                ));
            }
            let text = lines.join("\n");
            let email = Email {
                to: to_address,
                subject: format!(
                    "Openflex week-ahead schedule: {} from {}",
                    programme.name,
                    week.date().format("%d %B %Y")
                ),
                html: format!("<pre>{}</pre>", html_escape(&text)),
                text,
            };
            if send_once(db, mailer, (user_id, &kind, &period), &email, now).await? {
                sent += 1;
            }
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn each_digest_is_due_at_its_london_time() {
        // Winter: London is UTC.
        assert_eq!(
            Digest::DailySchedules.latest(at("2025-02-24T08:00:00Z")),
            Some((
                at("2025-02-24T08:00:00Z"),
                NaiveDate::from_ymd_opt(2025, 2, 24).expect("d")
            ))
        );
        assert_eq!(
            Digest::DailySchedules
                .latest(at("2025-02-24T07:59:00Z"))
                .map(|(t, _)| t),
            Some(at("2025-02-23T08:00:00Z"))
        );
        // Summer: 08:00 BST is 07:00 UTC.
        assert_eq!(
            Digest::DailySchedules
                .latest(at("2025-03-31T07:00:00Z"))
                .map(|(t, _)| t),
            Some(at("2025-03-31T07:00:00Z"))
        );
        // Thursday 20 February 2025, 12:05; asked on the Saturday after.
        assert_eq!(
            Digest::WeeklyDeclarations
                .latest(at("2025-02-22T10:00:00Z"))
                .map(|(t, _)| t),
            Some(at("2025-02-20T12:05:00Z"))
        );
        assert_eq!(
            Digest::WeeklyDeclarations
                .latest(at("2025-02-20T12:04:00Z"))
                .map(|(t, _)| t),
            Some(at("2025-02-13T12:05:00Z"))
        );
        // 1 April 2025 04:00 BST is 03:00 UTC.
        assert_eq!(
            Digest::MonthlyInvoices
                .latest(at("2025-04-01T03:00:00Z"))
                .map(|(t, _)| t),
            Some(at("2025-04-01T03:00:00Z"))
        );
        assert_eq!(
            Digest::MonthlyInvoices
                .latest(at("2025-04-01T02:59:00Z"))
                .map(|(t, _)| t),
            Some(at("2025-03-01T04:00:00Z"))
        );
    }
}
