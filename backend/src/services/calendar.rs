//! London time and the programme calendar: every schedule, lock and deadline is a Europe/
//! London local time, turned into an instant here (right across the clock changes). A
//! neutral home, so that the areas that need it depend on it and not on each other.

use super::{ServiceError, corrupt};
use crate::db::entities::programmes;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;
use shared::{ProgrammeKind, ProgrammePolicy, WeekCommencing, long_date};

/// A programme's policy: its stored one, or the defaults of its kind.
pub fn policy_of(programme: &programmes::Model) -> Result<ProgrammePolicy, ServiceError> {
    match programme.policy.as_deref() {
        Some(json) => {
            serde_json::from_str(json).map_err(|e| corrupt(&format!("programme policy: {e}")))
        }
        None => {
            let kind =
                ProgrammeKind::parse(&programme.kind).ok_or_else(|| corrupt("programme kind"))?;
            Ok(ProgrammePolicy::defaults(kind))
        }
    }
}

/// `HH:MM` as minutes after midnight; `24:00` only where `end_of_day` allows it.
pub fn parse_clock(text: &str, end_of_day: bool) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) if end_of_day => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// The instant of a London local date and `HH:MM` (`24:00` is the next midnight). None
/// for a time the spring clock change skips; the earlier of the two in the autumn.
pub fn london_instant(date: NaiveDate, minutes: u32) -> Option<DateTime<Utc>> {
    let (date, minutes) = if minutes == 24 * 60 {
        (date.succ_opt()?, 0)
    } else {
        (date, minutes)
    };
    let time = NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0)?;
    London
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// When declarations for `week` lock under `policy`.
pub fn lock_at(
    policy: &ProgrammePolicy,
    week: WeekCommencing,
) -> Result<DateTime<Utc>, ServiceError> {
    weekly_instant(
        week,
        policy.declaration_lock_day.offset(),
        &policy.declaration_lock_time,
    )
}

/// A day and time of the week before `week`, as an instant.
pub fn weekly_instant(
    week: WeekCommencing,
    offset: u32,
    time: &str,
) -> Result<DateTime<Utc>, ServiceError> {
    let day = week.previous().date() + chrono::Days::new(u64::from(offset));
    let minutes = parse_clock(time, false).ok_or_else(|| corrupt("policy time"))?;
    london_instant(day, minutes)
        // A policy time inside the spring gap happens at the first minute after it.
        .or_else(|| london_instant(day, minutes + 60))
        .ok_or_else(|| corrupt("policy time"))
}

/// "23:59 on Wednesday 12th February 2025".
pub fn instant_label(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&London);
    format!(
        "{} on {} {}",
        local.format("%H:%M"),
        local.format("%A"),
        long_date(local.date_naive())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn the_default_lock_is_wednesday_2359_of_the_week_before() {
        let policy = ProgrammePolicy::defaults(ProgrammeKind::Dynamic);
        let week = WeekCommencing::parse("2025-02-17").expect("week");
        let lock = lock_at(&policy, week).expect("lock");
        assert_eq!(lock.to_rfc3339(), "2025-02-12T23:59:00+00:00");
        assert_eq!(instant_label(lock), "23:59 on Wednesday 12th February 2025");
        // In summer London is an hour ahead of UTC.
        let summer = WeekCommencing::parse("2025-07-14").expect("week");
        assert_eq!(
            lock_at(&policy, summer).expect("lock").to_rfc3339(),
            "2025-07-09T22:59:00+00:00"
        );
    }

    #[test]
    fn local_times_follow_the_clock_changes() {
        // 29 March 2026: 01:00 London does not exist; 02:00 is 01:00 UTC.
        assert_eq!(london_instant(date("2026-03-29"), 60), None);
        assert_eq!(
            london_instant(date("2026-03-29"), 120).map(|t| t.to_rfc3339()),
            Some("2026-03-29T01:00:00+00:00".to_owned())
        );
        // 25 October 2026: 01:30 happens twice; a window starts at the first.
        assert_eq!(
            london_instant(date("2026-10-25"), 90).map(|t| t.to_rfc3339()),
            Some("2026-10-25T00:30:00+00:00".to_owned())
        );
        assert_eq!(
            london_instant(date("2026-10-25"), 24 * 60).map(|t| t.to_rfc3339()),
            Some("2026-10-26T00:00:00+00:00".to_owned())
        );
        assert_eq!(parse_clock("24:00", false), None);
        assert_eq!(parse_clock("7:30", false), None);
        assert_eq!(parse_clock("23:59", false), Some(1439));
    }
}
