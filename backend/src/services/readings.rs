//! Meter readings from FSP systems: validated whole, committed atomically, upserted on
//! (unit, interval end) with last write winning.

use super::{Actor, FieldError, ServiceError};
use crate::db::entities::{dispatch_groups, meterable_units, readings, zones};
use chrono::{DateTime, Duration, Timelike, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use shared::{IngestSummary, MeteringGranularity, Reading, ReadingInput};
use std::collections::HashMap;

/// The most rows one request may carry.
pub const MAX_BATCH: usize = 10_000;
/// How far ahead of the server's clock a reading may be stamped.
pub const FUTURE_TOLERANCE: Duration = Duration::minutes(5);
/// Rows shown per unit on API Testing › Readings.
pub const LATEST: u64 = 60;
/// Rows per INSERT statement: well inside SQLite's and PostgreSQL's parameter limits.
const CHUNK: usize = 2_000;

struct Unit {
    id: i32,
    granularity: MeteringGranularity,
}

/// The caller's meterable units among `public_ids`, by public id. Participants only:
/// readings belong to FSP companies.
async fn own_units(
    db: &DatabaseConnection,
    actor: &Actor,
    public_ids: Vec<String>,
) -> Result<HashMap<String, Unit>, ServiceError> {
    let Actor::Participant { company_id, .. } = actor else {
        return Err(ServiceError::Forbidden(
            "readings are sent by FSP companies".to_owned(),
        ));
    };
    let rows = meterable_units::Entity::find()
        .filter(meterable_units::Column::PublicId.is_in(public_ids))
        .filter(
            meterable_units::Column::DispatchGroupId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(dispatch_groups::Column::Id)
                    .from(dispatch_groups::Entity)
                    .and_where(dispatch_groups::Column::CompanyId.eq(*company_id))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?;
    rows.into_iter()
        .map(|u| {
            let granularity =
                MeteringGranularity::parse(&u.metering_granularity).ok_or_else(|| {
                    ServiceError::Internal(sea_orm::DbErr::Custom("stored granularity".into()))
                })?;
            Ok((
                u.public_id,
                Unit {
                    id: u.id,
                    granularity,
                },
            ))
        })
        .collect()
}

/// A reading's key: the unit and the end of its interval.
type Key = (i32, DateTime<Utc>);
/// A reading's values: power (per-minute units) or energy (half-hourly units).
type Values = (Option<f64>, Option<f64>);

/// A validated reading.
#[derive(Clone, Copy)]
struct Row {
    unit: i32,
    at: DateTime<Utc>,
    power_kw: Option<f64>,
    energy_kwh: Option<f64>,
}

fn check_row(
    index: usize,
    input: &ReadingInput,
    units: &HashMap<String, Unit>,
    now: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) -> Option<Row> {
    let mut refuse = |field: &str, reason: String| {
        errors.push(FieldError {
            index: Some(index),
            field: field.to_owned(),
            reason,
        });
    };
    // Unknown and other companies' units read alike: nothing leaks about either.
    let unit = units.get(&input.meterable_unit_id);
    if unit.is_none() {
        refuse("meterable_unit_id", "unknown meterable unit".to_owned());
    }
    let at = match DateTime::parse_from_rfc3339(&input.timestamp) {
        Ok(t) if t.offset().local_minus_utc() == 0 => Some(t.with_timezone(&Utc)),
        Ok(_) => {
            refuse("timestamp", "must be UTC (end in Z)".to_owned());
            None
        }
        Err(_) => {
            refuse(
                "timestamp",
                "must be an RFC 3339 time such as 2025-02-01T02:00:00Z".to_owned(),
            );
            None
        }
    };
    if let Some(at) = at {
        if at > now + FUTURE_TOLERANCE {
            refuse(
                "timestamp",
                "is more than 5 minutes in the future".to_owned(),
            );
        }
        if at.second() != 0 || at.nanosecond() != 0 {
            refuse("timestamp", "must be on a whole minute".to_owned());
        } else if unit.is_some_and(|u| u.granularity == MeteringGranularity::HalfHourly)
            && at.minute() % 30 != 0
        {
            refuse(
                "timestamp",
                "half-hourly readings must end at :00 or :30".to_owned(),
            );
        }
    }
    let (field, value) = match unit.map(|u| u.granularity) {
        Some(MeteringGranularity::PerMinute) => {
            if input.energy_kwh.is_some() {
                refuse(
                    "energy_kwh",
                    "this unit is metered per minute: send power_kw".to_owned(),
                );
            }
            ("power_kw", input.power_kw)
        }
        Some(MeteringGranularity::HalfHourly) => {
            if input.power_kw.is_some() {
                refuse(
                    "power_kw",
                    "this unit is metered half-hourly: send energy_kwh".to_owned(),
                );
            }
            ("energy_kwh", input.energy_kwh)
        }
        None => return None,
    };
    match value {
        None => refuse(field, "is required".to_owned()),
        Some(v) if !v.is_finite() => refuse(field, "must be a finite number".to_owned()),
        Some(_) => {}
    }
    let unit = unit?;
    Some(Row {
        unit: unit.id,
        at: at?,
        power_kw: if field == "power_kw" { value } else { None },
        energy_kwh: if field == "energy_kwh" { value } else { None },
    })
}

/// Stores a batch of the caller's readings. Any bad row refuses the whole batch, naming
/// every bad row; a good batch is committed in one transaction.
pub async fn ingest(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    batch: &[ReadingInput],
) -> Result<IngestSummary, ServiceError> {
    if batch.is_empty() {
        return Err(ServiceError::invalid(
            "readings",
            "must hold at least one reading",
        ));
    }
    if batch.len() > MAX_BATCH {
        return Err(ServiceError::invalid(
            "readings",
            format!(
                "at most {MAX_BATCH} readings per request; this one has {}",
                batch.len()
            ),
        ));
    }
    let mut ids: Vec<String> = batch.iter().map(|r| r.meterable_unit_id.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    let units = own_units(db, actor, ids).await?;
    let mut errors = Vec::new();
    let rows: Vec<Row> = batch
        .iter()
        .enumerate()
        .filter_map(|(i, r)| check_row(i, r, &units, now, &mut errors))
        .collect();
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    // The same (unit, time) twice in one batch: the later row wins, as it would have
    // across two requests.
    let mut latest: HashMap<Key, Row> = HashMap::new();
    for row in rows {
        latest.insert((row.unit, row.at), row);
    }

    let txn = db.begin().await?;
    let mut existing: HashMap<Key, Values> = HashMap::new();
    let (from, to) = latest.keys().fold(
        (None::<DateTime<Utc>>, None::<DateTime<Utc>>),
        |(lo, hi), (_, at)| {
            (
                Some(lo.map_or(*at, |l| l.min(*at))),
                Some(hi.map_or(*at, |h| h.max(*at))),
            )
        },
    );
    if let (Some(from), Some(to)) = (from, to) {
        let unit_ids: Vec<i32> = units.values().map(|u| u.id).collect();
        for r in readings::Entity::find()
            .filter(readings::Column::MeterableUnitId.is_in(unit_ids))
            .filter(readings::Column::IntervalEnd.between(from, to))
            .all(&txn)
            .await?
        {
            existing.insert(
                (r.meterable_unit_id, r.interval_end),
                (r.power_kw, r.energy_kwh),
            );
        }
    }
    let (mut inserted, mut updated, mut unchanged) = (0, 0, 0);
    let mut writes = Vec::new();
    for (key, row) in &latest {
        match existing.get(key) {
            None => inserted += 1,
            Some(values) if *values == (row.power_kw, row.energy_kwh) => {
                unchanged += 1;
                continue;
            }
            Some(_) => updated += 1,
        }
        writes.push(readings::ActiveModel {
            meterable_unit_id: Set(row.unit),
            interval_end: Set(row.at),
            power_kw: Set(row.power_kw),
            energy_kwh: Set(row.energy_kwh),
            received_at: Set(now),
            ..Default::default()
        });
    }
    for chunk in writes.chunks(CHUNK) {
        readings::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([
                    readings::Column::MeterableUnitId,
                    readings::Column::IntervalEnd,
                ])
                .update_columns([
                    readings::Column::PowerKw,
                    readings::Column::EnergyKwh,
                    readings::Column::ReceivedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(IngestSummary {
        accepted: batch.len(),
        inserted,
        updated,
        unchanged,
    })
}

/// The latest readings of one of the caller's units, newest first.
pub async fn latest(
    db: &DatabaseConnection,
    actor: &Actor,
    unit_public_id: &str,
) -> Result<Vec<Reading>, ServiceError> {
    let units = own_units(db, actor, vec![unit_public_id.to_owned()]).await?;
    let unit = units
        .get(unit_public_id)
        .ok_or(ServiceError::NotFound("meterable unit"))?;
    let unit_row = meterable_units::Entity::find_by_id(unit.id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("meterable unit"))?;
    let zone = match dispatch_groups::Entity::find_by_id(unit_row.dispatch_group_id)
        .one(db)
        .await?
    {
        Some(g) => zones::Entity::find_by_id(g.zone_id)
            .one(db)
            .await?
            .map(|z| z.slug),
        None => None,
    }
    .unwrap_or_default();
    Ok(readings::Entity::find()
        .filter(readings::Column::MeterableUnitId.eq(unit.id))
        .order_by_desc(readings::Column::IntervalEnd)
        .limit(LATEST)
        .all(db)
        .await?
        .into_iter()
        .map(|r| Reading {
            timestamp: r.interval_end,
            zone: zone.clone(),
            meterable_unit_id: unit_public_id.to_owned(),
            power_kw: r.power_kw,
            energy_kwh: r.energy_kwh,
        })
        .collect())
}

/// Parses a readings CSV (`meterable_unit_id,timestamp,power_kw` or
/// `meterable_unit_id,timestamp,energy_kwh`) and ingests it like a JSON batch. Errors name
/// the CSV line (the header is line 1) and column.
pub async fn ingest_csv(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    text: &str,
) -> Result<IngestSummary, ServiceError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| ServiceError::invalid("header", e.to_string()))?
        .clone();
    let columns: Vec<&str> = header.iter().collect();
    let value_column = match columns.as_slice() {
        ["meterable_unit_id", "timestamp", "power_kw"] => "power_kw",
        ["meterable_unit_id", "timestamp", "energy_kwh"] => "energy_kwh",
        _ => {
            return Err(ServiceError::Invalid(vec![FieldError {
                index: Some(1),
                field: "header".to_owned(),
                reason: "must be meterable_unit_id,timestamp,power_kw or meterable_unit_id,timestamp,energy_kwh".to_owned(),
            }]));
        }
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) if r.len() == 3 => r,
            Ok(r) => {
                errors.push(FieldError {
                    index: Some(line),
                    field: "row".to_owned(),
                    reason: format!("has {} columns; expected 3", r.len()),
                });
                continue;
            }
            Err(e) => {
                errors.push(FieldError {
                    index: Some(line),
                    field: "row".to_owned(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let value = match record[2].parse::<f64>() {
            Ok(v) => Some(v),
            Err(_) => {
                errors.push(FieldError {
                    index: Some(line),
                    field: value_column.to_owned(),
                    reason: "must be a number".to_owned(),
                });
                continue;
            }
        };
        rows.push(ReadingInput {
            meterable_unit_id: record[0].to_owned(),
            timestamp: record[1].to_owned(),
            power_kw: value.filter(|_| value_column == "power_kw"),
            energy_kwh: value.filter(|_| value_column == "energy_kwh"),
        });
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    // Row indexes of the batch become CSV line numbers.
    ingest(db, actor, now, &rows).await.map_err(|e| match e {
        ServiceError::Invalid(errors) => ServiceError::Invalid(
            errors
                .into_iter()
                .map(|mut f| {
                    f.index = f.index.map(|i| i + 2);
                    f
                })
                .collect(),
        ),
        other => other,
    })
}
