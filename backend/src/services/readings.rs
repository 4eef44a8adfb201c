//! Meter readings from FSP systems: validated whole, committed atomically, upserted on
//! (unit, interval end) with last write winning.

use super::idempotency::{self, Claim, Outcome};
use super::{Actor, FieldError, ServiceError, assets};
use crate::db::entities::{dispatch_groups, meterable_units, readings};
use chrono::{DateTime, Duration, Timelike, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};
use shared::{
    IngestSummary, MeteringGranularity, PageLimit, Reading, ReadingInput, ReadingsCursor,
    ReadingsPage,
};
use std::collections::HashMap;

/// The most rows one request may carry.
pub const MAX_BATCH: usize = shared::MAX_READINGS_PER_REQUEST;
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

/// The company's meterable units among `public_ids`, by public id.
async fn own_units(
    db: &DatabaseConnection,
    company_id: i32,
    public_ids: Vec<String>,
) -> Result<HashMap<String, Unit>, ServiceError> {
    let rows = meterable_units::Entity::find()
        .filter(meterable_units::Column::PublicId.is_in(public_ids))
        .filter(meterable_units::Column::RetiredAt.is_null())
        .filter(
            meterable_units::Column::DispatchGroupId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(dispatch_groups::Column::Id)
                    .from(dispatch_groups::Entity)
                    .and_where(dispatch_groups::Column::CompanyId.eq(company_id))
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
            csv_column: false,
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
    let at = match shared::Instant::parse_with_offset(&input.timestamp) {
        Ok(t) if t.offset().local_minus_utc() == 0 => Some(t.with_timezone(&Utc)),
        Ok(_) => {
            refuse("timestamp", "must be UTC (end in Z)".to_owned());
            None
        }
        Err(reason) => {
            refuse("timestamp", reason);
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

/// The caller's FSP company: readings belong to FSP companies.
fn company_of(actor: &Actor) -> Result<i32, ServiceError> {
    match actor {
        Actor::Participant { company_id, .. } => Ok(*company_id),
        _ => Err(ServiceError::Forbidden(
            "readings are sent by FSP companies".to_owned(),
        )),
    }
}

/// Stores a batch of the caller's readings. Any bad row refuses the whole batch, naming
/// every bad row; a good batch is committed in one transaction. With an idempotency key,
/// a retry of the same batch gets the first answer back without writing again.
pub async fn ingest(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    batch: &[ReadingInput],
    idempotency_key: Option<&str>,
) -> Result<Outcome<IngestSummary>, ServiceError> {
    let company_id = company_of(actor)?;
    idempotency::once(
        db,
        company_id,
        idempotency_key,
        || {
            idempotency::fingerprint(
                "readings",
                &serde_json::to_string(batch).unwrap_or_default(),
            )
        },
        now,
        |claim| store_batch(db, company_id, now, batch, claim),
    )
    .await
}

async fn store_batch(
    db: &DatabaseConnection,
    company_id: i32,
    now: DateTime<Utc>,
    batch: &[ReadingInput],
    claim: Option<Claim>,
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
    let units = own_units(db, company_id, ids).await?;
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
    let rows: Vec<Row> = latest.into_values().collect();

    let txn = db.begin().await?;
    let (inserted, updated) = match txn.get_database_backend() {
        DbBackend::Postgres => upsert_postgres(&txn, &rows, now).await?,
        _ => upsert_grouped(&txn, &rows, now).await?,
    };
    let summary = IngestSummary {
        accepted: batch.len(),
        inserted,
        updated,
        unchanged: rows.len() - inserted - updated,
    };
    if let Some(claim) = claim {
        idempotency::complete(&txn, claim, &summary, now).await?;
    }
    txn.commit().await?;
    Ok(summary)
}

// Storage for volume. Readings are keyed (meterable unit, interval end) by a unique b-tree
// index that is also the only read path: every query selects one unit over a time range,
// so a unit's rows are one contiguous index range however large the table grows. At
// 10,000 per-minute units the table gains 14.4 M rows a day (1 to 1.5 GB a day with its
// indexes on PostgreSQL). On PostgreSQL the table is meant to become range-partitioned by
// month on `interval_end` once it holds a few months: the unique key already contains the
// partition column, a month's partition is what settlement reads, and finalised months
// can be detached and archived whole. Until then the index keeps each unit's range read
// at a few pages. Writes are one statement per batch (below), so ingest cost grows with
// rows, not with round trips, and on PostgreSQL the table carries no foreign key (its
// per-row check was the largest cost; see migration 9): this service is the only writer
// and stores rows only for units it has just found to be the caller's.

/// PostgreSQL: the whole batch as parallel arrays in one `INSERT … SELECT FROM UNNEST`,
/// merged on the key. Rows whose value did not change are left alone (their received time
/// too), and `xmax = 0` tells a fresh row from an updated one.
async fn upsert_postgres(
    txn: &DatabaseTransaction,
    rows: &[Row],
    now: DateTime<Utc>,
) -> Result<(usize, usize), ServiceError> {
    let mut units = Vec::with_capacity(rows.len());
    let mut times = Vec::with_capacity(rows.len());
    let mut values = Vec::with_capacity(rows.len());
    let mut is_energy = Vec::with_capacity(rows.len());
    for row in rows {
        units.push(row.unit);
        times.push(row.at);
        values.push(row.energy_kwh.or(row.power_kw).unwrap_or_default());
        is_energy.push(row.energy_kwh.is_some());
    }
    let counts = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            r#"WITH input AS (
                SELECT * FROM UNNEST($1::int4[], $2::timestamptz[], $3::float8[], $4::bool[])
                    AS t(unit, at, value, is_energy)
            ), written AS (
                INSERT INTO readings (meterable_unit_id, interval_end, power_kw, energy_kwh, received_at)
                SELECT unit, at, CASE WHEN is_energy THEN NULL ELSE value END,
                       CASE WHEN is_energy THEN value END, $5
                FROM input
                ON CONFLICT (meterable_unit_id, interval_end) DO UPDATE
                    SET power_kw = EXCLUDED.power_kw, energy_kwh = EXCLUDED.energy_kwh,
                        received_at = EXCLUDED.received_at
                    WHERE readings.power_kw IS DISTINCT FROM EXCLUDED.power_kw
                       OR readings.energy_kwh IS DISTINCT FROM EXCLUDED.energy_kwh
                RETURNING xmax = 0 AS inserted
            )
            SELECT COUNT(*) FILTER (WHERE inserted) AS inserted,
                   COUNT(*) FILTER (WHERE NOT inserted) AS updated
            FROM written"#,
            [
                units.into(),
                times.into(),
                values.into(),
                is_energy.into(),
                now.into(),
            ],
        ))
        .await?
        .ok_or_else(|| ServiceError::Internal(sea_orm::DbErr::Custom("no counts".into())))?;
    let inserted: i64 = counts.try_get("", "inserted")?;
    let updated: i64 = counts.try_get("", "updated")?;
    Ok((count(inserted)?, count(updated)?))
}

fn count(n: i64) -> Result<usize, ServiceError> {
    usize::try_from(n)
        .map_err(|_| ServiceError::Internal(sea_orm::DbErr::Custom("negative count".into())))
}

/// SQLite: read the batch's existing rows, then multi-row upserts of what changed, all in
/// the one transaction (a single commit for the whole batch).
async fn upsert_grouped(
    txn: &DatabaseTransaction,
    rows: &[Row],
    now: DateTime<Utc>,
) -> Result<(usize, usize), ServiceError> {
    let mut existing: HashMap<Key, Values> = HashMap::new();
    let mut unit_ids: Vec<i32> = rows.iter().map(|r| r.unit).collect();
    unit_ids.sort_unstable();
    unit_ids.dedup();
    if let (Some(from), Some(to)) = (
        rows.iter().map(|r| r.at).min(),
        rows.iter().map(|r| r.at).max(),
    ) {
        for r in readings::Entity::find()
            .filter(readings::Column::MeterableUnitId.is_in(unit_ids))
            .filter(readings::Column::IntervalEnd.between(from, to))
            .all(txn)
            .await?
        {
            existing.insert(
                (r.meterable_unit_id, r.interval_end),
                (r.power_kw, r.energy_kwh),
            );
        }
    }
    let (mut inserted, mut updated) = (0, 0);
    let mut writes = Vec::new();
    for row in rows {
        match existing.get(&(row.unit, row.at)) {
            None => inserted += 1,
            Some(values) if *values == (row.power_kw, row.energy_kwh) => continue,
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
            .exec_without_returning(txn)
            .await?;
    }
    Ok((inserted, updated))
}

/// A unit whose readings the caller may read: an FSP its own units, an operator the units
/// in its zones.
struct Readable {
    id: i32,
    public_id: String,
    zone: String,
    granularity: MeteringGranularity,
}

async fn readable_unit(
    db: &DatabaseConnection,
    actor: &Actor,
    public_id: &str,
) -> Result<Readable, ServiceError> {
    let (unit, _, zone) = assets::visible_unit(db, actor, public_id).await?;
    Ok(Readable {
        id: unit.id,
        granularity: MeteringGranularity::parse(&unit.metering_granularity).ok_or_else(|| {
            ServiceError::Internal(sea_orm::DbErr::Custom("stored granularity".into()))
        })?,
        public_id: unit.public_id,
        zone: zone.slug,
    })
}

fn reading(unit: &Readable, r: readings::Model) -> Reading {
    Reading {
        timestamp: r.interval_end,
        zone: unit.zone.clone(),
        meterable_unit_id: unit.public_id.clone(),
        power_kw: r.power_kw,
        energy_kwh: r.energy_kwh,
    }
}

/// The latest readings of a unit the caller may see, newest first.
pub async fn latest(
    db: &DatabaseConnection,
    actor: &Actor,
    unit_public_id: &str,
) -> Result<Vec<Reading>, ServiceError> {
    let unit = readable_unit(db, actor, unit_public_id).await?;
    Ok(readings::Entity::find()
        .filter(readings::Column::MeterableUnitId.eq(unit.id))
        .order_by_desc(readings::Column::IntervalEnd)
        .limit(LATEST)
        .all(db)
        .await?
        .into_iter()
        .map(|r| reading(&unit, r))
        .collect())
}

/// What a readings export asks for.
#[derive(Debug, Clone)]
pub struct ExportQuery {
    pub meterable_unit_id: String,
    /// Exclusive start.
    pub from: DateTime<Utc>,
    /// Inclusive end; at or before `from`, the period is empty.
    pub to: DateTime<Utc>,
    pub limit: PageLimit,
    pub cursor: Option<ReadingsCursor>,
}

/// A page of a unit's readings whose interval ends in `(from, to]`, oldest first, with the
/// unit's metering granularity (which says whether its values are kW or kWh).
pub async fn export(
    db: &DatabaseConnection,
    actor: &Actor,
    query: &ExportQuery,
) -> Result<(ReadingsPage, MeteringGranularity), ServiceError> {
    if query.to <= query.from {
        return Err(ServiceError::invalid("to", "must be after from"));
    }
    let unit = readable_unit(db, actor, &query.meterable_unit_id).await?;
    let start = query
        .cursor
        .map_or(query.from, |c| c.position().max(query.from));
    let limit = query.limit.get();
    let mut rows = readings::Entity::find()
        .filter(readings::Column::MeterableUnitId.eq(unit.id))
        .filter(readings::Column::IntervalEnd.gt(start))
        .filter(readings::Column::IntervalEnd.lte(query.to))
        .order_by_asc(readings::Column::IntervalEnd)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = if more {
        rows.last()
            .map(|r| String::from(ReadingsCursor::after(r.interval_end)))
    } else {
        None
    };
    Ok((
        ReadingsPage {
            readings: rows.into_iter().map(|r| reading(&unit, r)).collect(),
            next_cursor,
        },
        unit.granularity,
    ))
}

/// A readings page as CSV, in the upload format: `meterable_unit_id,timestamp,power_kw`
/// (or `energy_kwh` for half-hourly units), so an export can be sent back unchanged.
pub fn to_csv(page: &ReadingsPage, granularity: MeteringGranularity) -> String {
    let (column, value): (&str, fn(&Reading) -> Option<f64>) = match granularity {
        MeteringGranularity::PerMinute => ("power_kw", |r| r.power_kw),
        MeteringGranularity::HalfHourly => ("energy_kwh", |r| r.energy_kwh),
    };
    let mut out = format!("meterable_unit_id,timestamp,{column}\n");
    for r in &page.readings {
        out.push_str(&format!(
            "{},{},{}\n",
            r.meterable_unit_id,
            super::rfc3339(r.timestamp),
            value(r).map(|v| v.to_string()).unwrap_or_default()
        ));
    }
    out
}

/// Parses a readings CSV (`meterable_unit_id,timestamp,power_kw` or
/// `meterable_unit_id,timestamp,energy_kwh`) and ingests it like a JSON batch. Errors name
/// the CSV line (the header is line 1) and column.
pub async fn ingest_csv(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    text: &str,
    idempotency_key: Option<&str>,
) -> Result<Outcome<IngestSummary>, ServiceError> {
    let company_id = company_of(actor)?;
    idempotency::once(
        db,
        company_id,
        idempotency_key,
        || idempotency::fingerprint("readings/csv", text),
        now,
        |claim| async move {
            let rows = parse_csv(text)?;
            // Row indexes of the batch become CSV line numbers, fields its columns.
            store_batch(db, company_id, now, &rows, claim)
                .await
                .map_err(|e| match e {
                    ServiceError::Invalid(errors) => ServiceError::Invalid(
                        errors
                            .into_iter()
                            .map(|mut f| {
                                f.index = f.index.map(|i| i + 2);
                                f.csv_column = true;
                                f
                            })
                            .collect(),
                    ),
                    other => other,
                })
        },
    )
    .await
}

/// The rows of a readings CSV, or every line that is not a reading.
fn parse_csv(text: &str) -> Result<Vec<ReadingInput>, ServiceError> {
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
            return Err(ServiceError::Invalid(vec![FieldError::csv(1, "header", "must be meterable_unit_id,timestamp,power_kw or meterable_unit_id,timestamp,energy_kwh".to_owned())]));
        }
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) if r.len() == 3 => r,
            Ok(r) => {
                errors.push(FieldError::csv(
                    line,
                    "row",
                    format!("has {} columns; expected 3", r.len()),
                ));
                continue;
            }
            Err(e) => {
                errors.push(FieldError::csv(line, "row", e.to_string()));
                continue;
            }
        };
        let value = match record[2].parse::<f64>() {
            Ok(v) => Some(v),
            Err(_) => {
                errors.push(FieldError::csv(
                    line,
                    value_column,
                    "must be a number".to_owned(),
                ));
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
    Ok(rows)
}
