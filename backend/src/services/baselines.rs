//! Baselines (guide §3.5, domain reference "Baselines"): what a meterable unit would have
//! done without dispatch. [`series`] is the one baseline function every later feature
//! uses: a unit's baseline over a UTC interval as a UTC series, one value per metering
//! interval. Weekly profiles are London-local: on the spring clock change the skipped
//! local hour has no UTC minutes, and on the autumn one the repeated hour takes the
//! profile's values twice, simply because each UTC interval is looked up by its London
//! local time.

use super::{Actor, FieldError, ServiceError, assets, corrupt};
use crate::db::entities::{baseline_profiles, dispatch_events, meterable_units, readings};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Europe::London;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use shared::{BaselineMethod, BaselinePoint, DayOfWeek, MeteringGranularity};
use std::collections::HashSet;

/// Weeks of history an automatic baseline averages over.
pub const AUTOMATIC_WEEKS: i64 = shared::AUTOMATIC_BASELINE_WEEKS;
/// Fewer days of data than this and the automatic baseline falls back to the static value.
pub const AUTOMATIC_MIN_DAYS: usize = shared::AUTOMATIC_BASELINE_MIN_DAYS;
/// Most points one series request may return (a month of per-minute values).
pub const MAX_POINTS: i64 = 31 * 1440;

const NOMINATED: &str = "nominated";
const AUTOMATIC: &str = "automatic";

/// Minutes per metering interval.
pub fn step_minutes(granularity: MeteringGranularity) -> u32 {
    match granularity {
        MeteringGranularity::PerMinute => 1,
        MeteringGranularity::HalfHourly => 30,
    }
}

/// A week of London-local values from Monday 00:00, one per slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub slot_minutes: u32,
    pub values: Vec<f64>,
}

impl Profile {
    fn slots_per_day(&self) -> usize {
        (1440 / self.slot_minutes) as usize
    }

    /// The slot a UTC instant falls in, by its London local time.
    fn index(&self, at: DateTime<Utc>) -> usize {
        let local = at.with_timezone(&London);
        let day = local.weekday().num_days_from_monday() as usize;
        let minute = (local.hour() * 60 + local.minute()) / self.slot_minutes;
        day * self.slots_per_day() + minute as usize
    }

    fn at(&self, at: DateTime<Utc>) -> f64 {
        self.values.get(self.index(at)).copied().unwrap_or(f64::NAN)
    }
}

/// Where a unit's baseline comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// No baseline agreed: no series.
    None,
    Static(f64),
    Profile(Profile),
}

/// The baseline from `source` for every metering interval starting in `[from, to)`.
pub fn series_from(
    source: &Source,
    granularity: MeteringGranularity,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<BaselinePoint> {
    let step = Duration::minutes(i64::from(step_minutes(granularity)));
    let mut start = align(from, step);
    if start < from {
        start += step;
    }
    let mut out = Vec::new();
    if matches!(source, Source::None) {
        return out;
    }
    while start < to {
        let kw = match source {
            Source::Static(kw) => *kw,
            Source::Profile(profile) => profile.at(start),
            Source::None => break,
        };
        out.push(BaselinePoint { start, kw });
        start += step;
    }
    out
}

fn align(at: DateTime<Utc>, step: Duration) -> DateTime<Utc> {
    let step = step.num_seconds().max(1);
    let seconds = at.timestamp().div_euclid(step) * step;
    DateTime::from_timestamp(seconds, 0).unwrap_or(at)
}

/// A unit's baseline source as stored: method, static value and profiles.
pub async fn source_of(
    db: &impl ConnectionTrait,
    unit: &meterable_units::Model,
) -> Result<Source, ServiceError> {
    let method =
        BaselineMethod::parse(&unit.baseline_method).ok_or_else(|| corrupt("baseline method"))?;
    let stored = |source: &'static str| async move {
        baseline_profiles::Entity::find()
            .filter(baseline_profiles::Column::MeterableUnitId.eq(unit.id))
            .filter(baseline_profiles::Column::Source.eq(source))
            .one(db)
            .await
    };
    let fallback = unit.baseline_static_kw.map_or(Source::None, Source::Static);
    Ok(match method {
        BaselineMethod::None => Source::None,
        BaselineMethod::Static => fallback,
        BaselineMethod::Nominated => match stored(NOMINATED).await? {
            Some(p) => profile_of(&p)?.map_or(Source::None, Source::Profile),
            None => Source::None,
        },
        BaselineMethod::Automatic => match stored(AUTOMATIC).await? {
            Some(p) => profile_of(&p)?.map_or(fallback, Source::Profile),
            None => fallback,
        },
    })
}

fn profile_of(row: &baseline_profiles::Model) -> Result<Option<Profile>, ServiceError> {
    let Some(json) = &row.kw_values else {
        return Ok(None);
    };
    let values: Vec<f64> =
        serde_json::from_str(json).map_err(|e| corrupt(&format!("baseline profile: {e}")))?;
    let slot_minutes = u32::try_from(row.slot_minutes).map_err(|_| corrupt("slot minutes"))?;
    if slot_minutes == 0 || values.len() != 7 * (1440 / slot_minutes) as usize {
        return Err(corrupt("baseline profile length"));
    }
    Ok(Some(Profile {
        slot_minutes,
        values,
    }))
}

/// The baseline of a unit the caller may see over `[from, to)` (UTC).
pub async fn series(
    db: &DatabaseConnection,
    actor: &Actor,
    unit_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<BaselinePoint>, ServiceError> {
    if to <= from {
        return Err(ServiceError::invalid("to", "must be after from"));
    }
    if (to - from).num_minutes() > MAX_POINTS {
        return Err(ServiceError::invalid("to", "at most 31 days per request"));
    }
    let (unit, _, _) = assets::visible_unit(db, actor, unit_id).await?;
    let granularity = granularity_of(&unit)?;
    Ok(series_from(
        &source_of(db, &unit).await?,
        granularity,
        from,
        to,
    ))
}

fn granularity_of(unit: &meterable_units::Model) -> Result<MeteringGranularity, ServiceError> {
    MeteringGranularity::parse(&unit.metering_granularity)
        .ok_or_else(|| corrupt("metering granularity"))
}

fn require_operator(actor: &Actor) -> Result<(), ServiceError> {
    match actor {
        Actor::Participant { .. } => Err(ServiceError::Forbidden(
            "baselines are agreed with the operator, who enters them".to_owned(),
        )),
        Actor::Operator { .. } | Actor::PlatformAdmin { .. } => Ok(()),
    }
}

/// Parses a nominated template: `day_of_week,local_time,power_kw`, one row per London
/// local minute (per-minute units) or half-hour (half-hourly units) of the week. Every
/// refused line is named (the header is line 1).
pub fn parse_template(
    text: &str,
    granularity: MeteringGranularity,
) -> Result<Profile, ServiceError> {
    let slot_minutes = step_minutes(granularity);
    let slots_per_day = (1440 / slot_minutes) as usize;
    let mut values = vec![None::<(f64, usize)>; 7 * slots_per_day];
    let mut errors = Vec::new();
    let mut refuse = |line: usize, field: &str, reason: String| {
        errors.push(FieldError::csv(line, field, reason));
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(str::to_owned).collect(),
        Err(e) => return Err(ServiceError::invalid("header", e.to_string())),
    };
    if header != ["day_of_week", "local_time", "power_kw"] {
        return Err(ServiceError::Invalid(vec![FieldError::csv(
            1,
            "header",
            "must be day_of_week,local_time,power_kw".to_owned(),
        )]));
    }
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) if r.len() == 3 => r,
            Ok(r) => {
                refuse(line, "row", format!("has {} columns; expected 3", r.len()));
                continue;
            }
            Err(e) => {
                refuse(line, "row", e.to_string());
                continue;
            }
        };
        let day = DayOfWeek::ALL
            .iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(&record[0]))
            .copied();
        if day.is_none() {
            refuse(
                line,
                "day_of_week",
                format!("{:?} is not MONDAY, TUESDAY, … or SUNDAY", &record[0]),
            );
        }
        let minute = super::calendar::parse_clock(&record[1], false);
        match minute {
            None => refuse(
                line,
                "local_time",
                "must be a time from 00:00 to 23:59 (HH:MM)".to_owned(),
            ),
            Some(m) if m % slot_minutes != 0 => refuse(
                line,
                "local_time",
                "this unit is metered half-hourly: times must be on :00 or :30".to_owned(),
            ),
            Some(_) => {}
        }
        let kw = record[2].parse::<f64>().ok().filter(|v| v.is_finite());
        if kw.is_none() {
            refuse(line, "power_kw", "must be a number".to_owned());
        }
        if let (Some(day), Some(minute), Some(kw)) = (day, minute, kw)
            && minute % slot_minutes == 0
        {
            let index = day.offset() as usize * slots_per_day + (minute / slot_minutes) as usize;
            match values[index] {
                Some((_, first)) => refuse(
                    line,
                    "local_time",
                    format!("{} {} is already on line {first}", day.as_str(), &record[1]),
                ),
                None => values[index] = Some((kw, line)),
            }
        }
    }
    let missing: Vec<usize> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_none())
        .map(|(i, _)| i)
        .collect();
    if errors.is_empty()
        && let Some(first) = missing.first()
    {
        let day = DayOfWeek::ALL[first / slots_per_day];
        let minute = (first % slots_per_day) as u32 * slot_minutes;
        errors.push(FieldError {
            csv_column: true,
            index: None,
            field: "rows".to_owned(),
            reason: format!(
                "{} of the week's {} {} are missing, the first {} {:02}:{:02}",
                missing.len(),
                values.len(),
                if slot_minutes == 1 {
                    "minutes"
                } else {
                    "half-hours"
                },
                day.as_str(),
                minute / 60,
                minute % 60
            ),
        });
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    Ok(Profile {
        slot_minutes,
        values: values
            .into_iter()
            .map(|v| v.map_or(0.0, |(kw, _)| kw))
            .collect(),
    })
}

/// The automatic profile from readings `(interval end, kW)`: for each London day-of-week
/// and slot, the mean of the readings in that slot, leaving out intervals that overlap an
/// `excluded` (dispatched) period. Slots without data take the mean of all the data.
/// None when fewer than [`AUTOMATIC_MIN_DAYS`] London days have data. Returns the days of
/// data too.
pub fn automatic_profile(
    readings: &[(DateTime<Utc>, f64)],
    granularity: MeteringGranularity,
    excluded: &[(DateTime<Utc>, DateTime<Utc>)],
) -> (Option<Profile>, usize) {
    let slot_minutes = step_minutes(granularity);
    let step = Duration::minutes(i64::from(slot_minutes));
    let shape = Profile {
        slot_minutes,
        values: Vec::new(),
    };
    let slots = 7 * shape.slots_per_day();
    let mut sums = vec![(0.0f64, 0u32); slots];
    let mut days: HashSet<NaiveDate> = HashSet::new();
    for &(end, kw) in readings {
        let start = end - step;
        if excluded.iter().any(|&(a, b)| start < b && end > a) || !kw.is_finite() {
            continue;
        }
        let index = shape.index(start);
        if let Some(slot) = sums.get_mut(index) {
            slot.0 += kw;
            slot.1 += 1;
        }
        days.insert(start.with_timezone(&London).date_naive());
    }
    if days.len() < AUTOMATIC_MIN_DAYS {
        return (None, days.len());
    }
    let (total, count) = sums
        .iter()
        .fold((0.0, 0u32), |(t, c), (s, n)| (t + s, c + n));
    let overall = if count == 0 {
        0.0
    } else {
        total / f64::from(count)
    };
    let values = sums
        .into_iter()
        .map(|(sum, n)| if n == 0 { overall } else { sum / f64::from(n) })
        .collect();
    (
        Some(Profile {
            slot_minutes,
            values,
        }),
        days.len(),
    )
}

/// Sets a unit's baseline method (and static value) (operators).
pub async fn set_method(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    unit_id: &str,
    method: BaselineMethod,
    static_kw: Option<f64>,
) -> Result<(), ServiceError> {
    require_operator(actor)?;
    let (unit, group, zone) = assets::visible_unit(db, actor, unit_id).await?;
    if static_kw.is_some_and(|kw| !kw.is_finite()) {
        return Err(ServiceError::invalid("static_kw", "must be a number"));
    }
    if method == BaselineMethod::Static && static_kw.is_none() {
        return Err(ServiceError::invalid(
            "static_kw",
            "the static method needs a kW value",
        ));
    }
    if method == BaselineMethod::Nominated
        && baseline_profiles::Entity::find()
            .filter(baseline_profiles::Column::MeterableUnitId.eq(unit.id))
            .filter(baseline_profiles::Column::Source.eq(NOMINATED))
            .one(db)
            .await?
            .is_none()
    {
        return Err(ServiceError::invalid(
            "method",
            "upload the unit's nominated template first",
        ));
    }
    let txn = db.begin().await?;
    let detail = format!(
        "{}: baseline {} → {}{}",
        unit.name,
        unit.baseline_method,
        method.as_str(),
        static_kw
            .map(|kw| format!(", static {kw} kW"))
            .unwrap_or_default()
    );
    let mut active: meterable_units::ActiveModel = unit.into();
    active.baseline_method = Set(method.as_str().to_owned());
    if static_kw.is_some() {
        active.baseline_static_kw = Set(static_kw);
    }
    active.update(&txn).await?;
    super::audit_change(
        &txn,
        now,
        actor.user_id(),
        zone.operator_id,
        Some(group.company_id),
        "baseline_set",
        detail,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Stores a unit's nominated template from CSV and makes it the unit's method
/// (operators). Returns the number of values stored.
pub async fn upload_template(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    unit_id: &str,
    (csv, name): (&str, Option<&str>),
) -> Result<usize, ServiceError> {
    require_operator(actor)?;
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 200) {
        return Err(ServiceError::invalid(
            "name",
            "must be at most 200 characters",
        ));
    }
    let (unit, group, zone) = assets::visible_unit(db, actor, unit_id).await?;
    let profile = parse_template(csv, granularity_of(&unit)?)?;
    let count = profile.values.len();
    let txn = db.begin().await?;
    store_profile(
        &txn,
        unit.id,
        NOMINATED,
        Some(&profile),
        profile.slot_minutes,
        None,
        None,
        now,
    )
    .await?;
    // A new template without a name must not keep the name of the one it replaces.
    baseline_profiles::Entity::update_many()
        .col_expr(
            baseline_profiles::Column::Name,
            Expr::value(name.map(str::to_owned)),
        )
        .filter(baseline_profiles::Column::MeterableUnitId.eq(unit.id))
        .filter(baseline_profiles::Column::Source.eq(NOMINATED))
        .exec(&txn)
        .await?;
    let detail = format!(
        "{}: nominated template {}of {count} values",
        unit.name,
        name.map(|n| format!("{n:?} ")).unwrap_or_default()
    );
    let mut active: meterable_units::ActiveModel = unit.into();
    active.baseline_method = Set(BaselineMethod::Nominated.as_str().to_owned());
    active.update(&txn).await?;
    super::audit_change(
        &txn,
        now,
        actor.user_id(),
        zone.operator_id,
        Some(group.company_id),
        "baseline_template_uploaded",
        detail,
    )
    .await?;
    txn.commit().await?;
    Ok(count)
}

#[allow(clippy::too_many_arguments, reason = "one row's columns")]
async fn store_profile(
    db: &impl ConnectionTrait,
    unit: i32,
    source: &str,
    profile: Option<&Profile>,
    slot_minutes: u32,
    month: Option<NaiveDate>,
    days_of_data: Option<usize>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let values = profile
        .map(|p| serde_json::to_string(&p.values))
        .transpose()
        .map_err(|e| corrupt(&format!("profile: {e}")))?;
    baseline_profiles::Entity::insert(baseline_profiles::ActiveModel {
        meterable_unit_id: Set(unit),
        source: Set(source.to_owned()),
        slot_minutes: Set(i32::try_from(slot_minutes).unwrap_or(1)),
        kw_values: Set(values),
        month: Set(month),
        days_of_data: Set(days_of_data.and_then(|d| i32::try_from(d).ok())),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            baseline_profiles::Column::MeterableUnitId,
            baseline_profiles::Column::Source,
        ])
        .update_columns([
            baseline_profiles::Column::SlotMinutes,
            baseline_profiles::Column::KwValues,
            baseline_profiles::Column::Month,
            baseline_profiles::Column::DaysOfData,
            baseline_profiles::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The first instant of the London month containing `now`.
fn month_start(now: DateTime<Utc>) -> Option<(NaiveDate, DateTime<Utc>)> {
    let local = now.with_timezone(&London).date_naive();
    let first = local.with_day(1)?;
    Some((first, super::calendar::london_instant(first, 0)?))
}

/// The scheduled job: computes the automatic profile of every automatic-method unit that
/// has none for the current London month, from the four weeks before the month began.
/// Idempotent; returns how many units it computed.
pub async fn recompute_due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let Some((month, start)) = month_start(now) else {
        return Ok(0);
    };
    let units = meterable_units::Entity::find()
        .filter(meterable_units::Column::BaselineMethod.eq(BaselineMethod::Automatic.as_str()))
        .all(db)
        .await?;
    let done: HashSet<i32> = baseline_profiles::Entity::find()
        .filter(baseline_profiles::Column::Source.eq(AUTOMATIC))
        .filter(baseline_profiles::Column::Month.eq(month))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.meterable_unit_id)
        .collect();
    let mut computed = 0;
    for unit in units.into_iter().filter(|u| !done.contains(&u.id)) {
        let granularity = granularity_of(&unit)?;
        let from = start - Duration::weeks(AUTOMATIC_WEEKS);
        let hours = f64::from(step_minutes(granularity)) / 60.0;
        let rows: Vec<(DateTime<Utc>, f64)> = readings::Entity::find()
            .filter(readings::Column::MeterableUnitId.eq(unit.id))
            .filter(readings::Column::IntervalEnd.gt(from))
            .filter(readings::Column::IntervalEnd.lte(start))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|r| {
                let kw = match granularity {
                    MeteringGranularity::PerMinute => r.power_kw,
                    MeteringGranularity::HalfHourly => r.energy_kwh.map(|e| e / hours),
                };
                kw.map(|kw| (r.interval_end, kw))
            })
            .collect();
        let excluded = dispatched(db, unit.dispatch_group_id, from, start).await?;
        let (profile, days) = automatic_profile(&rows, granularity, &excluded);
        store_profile(
            db,
            unit.id,
            AUTOMATIC,
            profile.as_ref(),
            step_minutes(granularity),
            Some(month),
            Some(days),
            now,
        )
        .await?;
        computed += 1;
    }
    Ok(computed)
}

/// The periods a group was dispatched in `[from, to)`: what it did then was not its
/// baseline. Cancelled dispatches never ran; emergency-stopped ones ended at the stop.
pub async fn dispatched(
    db: &impl ConnectionTrait,
    group_id: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>, ServiceError> {
    Ok(dispatch_events::Entity::find()
        .filter(dispatch_events::Column::DispatchGroupId.eq(group_id))
        .filter(dispatch_events::Column::Status.ne("cancelled"))
        .filter(dispatch_events::Column::StartAt.lt(to))
        .filter(dispatch_events::Column::EndAt.gt(from))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.start_at, e.stopped_at.unwrap_or(e.end_at).min(e.end_at)))
        .collect())
}

/// The summed baseline of a dispatch group's units at half-hour resolution (the mean
/// over each half-hour) for `[from, to)`: what the calendar's chart draws.
pub async fn group_half_hours(
    db: &DatabaseConnection,
    group_id: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<BaselinePoint>, ServiceError> {
    let units = meterable_units::Entity::find()
        .filter(meterable_units::Column::DispatchGroupId.eq(group_id))
        .all(db)
        .await?;
    let half_hour = Duration::minutes(30);
    let mut slots: Vec<BaselinePoint> = Vec::new();
    let mut at = from;
    while at < to {
        slots.push(BaselinePoint { start: at, kw: 0.0 });
        at += half_hour;
    }
    let mut any = false;
    for unit in &units {
        let source = source_of(db, unit).await?;
        if source == Source::None {
            continue;
        }
        any = true;
        let granularity = granularity_of(unit)?;
        let points = series_from(&source, granularity, from, to);
        let per_slot = 30 / step_minutes(granularity);
        for (slot, chunk) in slots.iter_mut().zip(points.chunks(per_slot as usize)) {
            slot.kw += chunk.iter().map(|p| p.kw).sum::<f64>() / chunk.len().max(1) as f64;
        }
    }
    Ok(if any { slots } else { Vec::new() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    /// A per-minute template whose value is the London local minute of the day.
    fn minute_of_day_profile() -> Profile {
        Profile {
            slot_minutes: 1,
            values: (0..7 * 1440).map(|i| f64::from(i % 1440)).collect(),
        }
    }

    #[test]
    fn clock_change_days_have_23_and_25_hours_of_minutes() {
        let source = Source::Profile(minute_of_day_profile());
        // London days: 29 March 2026 00:00 GMT to 30 March 00:00 BST.
        let spring = series_from(
            &source,
            MeteringGranularity::PerMinute,
            utc("2026-03-29T00:00:00Z"),
            utc("2026-03-29T23:00:00Z"),
        );
        assert_eq!(spring.len(), 1380);
        // 01:00 UTC is 02:00 BST: the local 01:00–02:00 hour has no minutes.
        assert_eq!(spring[59].kw, 59.0);
        assert_eq!(spring[60].kw, 120.0);
        let autumn = series_from(
            &source,
            MeteringGranularity::PerMinute,
            utc("2026-10-24T23:00:00Z"),
            utc("2026-10-26T00:00:00Z"),
        );
        assert_eq!(autumn.len(), 1500);
        // 01:00–02:00 local happens twice: at 00:00 UTC (BST) and 01:00 UTC (GMT).
        assert_eq!(autumn[60].kw, 60.0);
        assert_eq!(autumn[120].kw, 60.0);
        let half_hours = series_from(
            &Source::Static(5.0),
            MeteringGranularity::HalfHourly,
            utc("2026-10-24T23:00:00Z"),
            utc("2026-10-26T00:00:00Z"),
        );
        assert_eq!(half_hours.len(), 50);
    }

    #[test]
    fn a_half_hourly_template_refuses_a_quarter_hour_and_names_the_line() {
        let mut csv = String::from("day_of_week,local_time,power_kw\n");
        for day in DayOfWeek::ALL {
            for slot in 0..48 {
                csv.push_str(&format!(
                    "{},{:02}:{:02},10\n",
                    day.as_str(),
                    slot / 2,
                    (slot % 2) * 30
                ));
            }
        }
        assert_eq!(
            parse_template(&csv, MeteringGranularity::HalfHourly)
                .map(|p| p.values.len())
                .ok(),
            Some(336)
        );
        let bad = csv.replacen("MONDAY,05:00", "MONDAY,10:15", 1);
        let Err(ServiceError::Invalid(errors)) =
            parse_template(&bad, MeteringGranularity::HalfHourly)
        else {
            panic!("refused");
        };
        assert_eq!(errors[0].index, Some(12));
        assert_eq!(errors[0].field, "local_time");
        let unknown = {
            let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
            lines[16] = lines[16].replace("MONDAY", "FUNDAY");
            lines.join("\n")
        };
        let Err(ServiceError::Invalid(errors)) =
            parse_template(&unknown, MeteringGranularity::HalfHourly)
        else {
            panic!("refused");
        };
        assert_eq!(
            (errors[0].index, errors[0].field.as_str()),
            (Some(17), "day_of_week")
        );
    }

    #[test]
    fn the_automatic_profile_is_the_mean_and_ignores_dispatched_periods() {
        // Four Mondays at 10:00–10:01 London (GMT in February): 100, 200, 300, 400 kW, and
        // a reading every day at 00:00 so that there are enough days of data.
        let mut rows = Vec::new();
        for (week, kw) in [(0, 100.0), (1, 200.0), (2, 300.0), (3, 400.0)] {
            let monday = utc("2025-02-03T10:01:00Z") + Duration::weeks(week);
            rows.push((monday, kw));
        }
        for day in 0..28 {
            rows.push((utc("2025-02-03T00:01:00Z") + Duration::days(day), 1.0));
        }
        let (profile, days) = automatic_profile(&rows, MeteringGranularity::PerMinute, &[]);
        assert_eq!(days, 28);
        let profile = profile.expect("enough data");
        assert_eq!(profile.at(utc("2025-03-03T10:00:00Z")), 250.0);
        // The third Monday was dispatched: (100 + 200 + 400) / 3.
        let dispatched = [(utc("2025-02-17T09:30:00Z"), utc("2025-02-17T11:00:00Z"))];
        let (profile, _) = automatic_profile(&rows, MeteringGranularity::PerMinute, &dispatched);
        let mean = profile
            .expect("enough data")
            .at(utc("2025-03-03T10:00:00Z"));
        assert!((mean - 700.0 / 3.0).abs() < 1e-9, "{mean}");
        // Nine days of data are not enough.
        let (none, days) = automatic_profile(&rows[4..13], MeteringGranularity::PerMinute, &[]);
        assert_eq!((none, days), (None, 9));
    }
}
