//! Settlement benchmark (issue #7): a month of 1,000 per-minute units with 20 one-hour
//! events each (1.2 million generated readings) on PostgreSQL. Prints how long computing
//! the month's statements and event reports takes, and freezing them (finalisation), beside
//! a plain SQL aggregate of the same delivered energy over the same readings, in one run.
//! Run with `./dev bench`.

#![allow(
    clippy::expect_used,
    reason = "a benchmark that cannot set up should stop"
)]

use backend::db::entities::{
    dispatch_events, dispatch_groups, meterable_units, programmes, readings, zones,
};
use backend::services::settlement::statements;
use backend::testing::{Engine, TempDatabase};
use backend::{db, seed};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, Statement};
use shared::Month;
use std::time::Instant;

const UNITS: usize = 1_000;
const EVENTS: usize = 20;

#[tokio::main]
async fn main() {
    println!(
        "settlement benchmark: {UNITS} per-minute units × {EVENTS} one-hour events, PostgreSQL"
    );
    let database = TempDatabase::create(Engine::Postgres)
        .await
        .expect("database (is PostgreSQL running?)");
    let conn = db::connect(&database.url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    let month = Month::parse("2025-03").expect("month");
    let created = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    seed::seed_demo(&conn, created).await.expect("seed");
    let zone = zones::Entity::find()
        .filter(zones::Column::Slug.eq("twilight-zone"))
        .one(&conn)
        .await
        .expect("zone")
        .expect("twilight-zone");
    let template = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::Name.eq("API Test"))
        .one(&conn)
        .await
        .expect("group")
        .expect("API Test");
    let sustain = programmes::Entity::find()
        .filter(programmes::Column::ZoneId.eq(zone.id))
        .filter(programmes::Column::Kind.eq("sustain"))
        .one(&conn)
        .await
        .expect("programme")
        .expect("Sustain");

    let setup = Instant::now();
    let groups: Vec<dispatch_groups::ActiveModel> = (0..UNITS)
        .map(|i| dispatch_groups::ActiveModel {
            public_id: Set(backend::ids::new_public_id().to_string()),
            zone_id: Set(zone.id),
            company_id: Set(template.company_id),
            name: Set(format!("Bench group {i:04}")),
            power_change_kw: Set(500.0),
            direction: Set("turn_down".to_owned()),
            min_runtime_minutes: Set(None),
            max_runtime_minutes: Set(None),
            weekly_runtime_minutes: Set(None),
            created_at: Set(created),
            retired_at: Set(None),
            ..Default::default()
        })
        .collect();
    for chunk in groups.chunks(500) {
        dispatch_groups::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&conn)
            .await
            .expect("groups");
    }
    let group_ids: Vec<i32> = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::Name.starts_with("Bench group"))
        .all(&conn)
        .await
        .expect("groups")
        .into_iter()
        .map(|g| g.id)
        .collect();
    let units: Vec<meterable_units::ActiveModel> = group_ids
        .iter()
        .enumerate()
        .map(|(i, group)| meterable_units::ActiveModel {
            public_id: Set(backend::ids::new_public_id().to_string()),
            dispatch_group_id: Set(*group),
            name: Set(format!("Bench unit {i:04}")),
            metering_granularity: Set("per_minute".to_owned()),
            baseline_method: Set("static".to_owned()),
            baseline_static_kw: Set(Some(-400.0)),
            created_at: Set(created),
            retired_at: Set(None),
            ..Default::default()
        })
        .collect();
    for chunk in units.chunks(500) {
        meterable_units::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&conn)
            .await
            .expect("units");
    }
    let unit_of: std::collections::HashMap<i32, i32> = meterable_units::Entity::find()
        .filter(meterable_units::Column::DispatchGroupId.is_in(group_ids.clone()))
        .all(&conn)
        .await
        .expect("units")
        .into_iter()
        .map(|u| (u.dispatch_group_id, u.id))
        .collect();
    let first = DateTime::parse_from_rfc3339("2025-03-03T16:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    let mut events = Vec::with_capacity(UNITS * EVENTS);
    let mut rows = Vec::with_capacity(UNITS * EVENTS * 60);
    for (g, group) in group_ids.iter().enumerate() {
        for e in 0..EVENTS {
            let start = first + Duration::days(e as i64);
            events.push(dispatch_events::ActiveModel {
                public_id: Set(backend::ids::new_public_id().to_string()),
                dispatch_group_id: Set(*group),
                programme_id: Set(sustain.id),
                availability_window_id: Set(None),
                start_at: Set(start),
                end_at: Set(start + Duration::hours(1)),
                power_change_kw: Set(250.0),
                status: Set("active".to_owned()),
                stopped_at: Set(None),
                created_by_user_id: Set(None),
                created_at: Set(created),
                updated_at: Set(created),
                ..Default::default()
            });
            for m in 1..=60_i64 {
                // Between 100 and 400 kW of response, so some minutes exceed the instruction.
                let kw = -400.0 + 100.0 + ((g as i64 * 7 + e as i64 * 13 + m) % 300) as f64;
                rows.push(readings::ActiveModel {
                    meterable_unit_id: Set(unit_of[group]),
                    interval_end: Set(start + Duration::minutes(m)),
                    power_kw: Set(Some(kw)),
                    energy_kwh: Set(None),
                    received_at: Set(created),
                    ..Default::default()
                });
            }
        }
    }
    for chunk in events.chunks(2_000) {
        dispatch_events::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&conn)
            .await
            .expect("events");
    }
    for chunk in rows.chunks(5_000) {
        readings::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&conn)
            .await
            .expect("readings");
    }
    conn.execute_unprepared("ANALYZE").await.expect("analyze");
    println!(
        "set up {} events and {} readings in {:.1} s",
        events.len(),
        rows.len(),
        setup.elapsed().as_secs_f64()
    );
    drop((events, rows));

    let now = DateTime::parse_from_rfc3339("2025-04-10T12:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    let started = Instant::now();
    let (computed, reports) = statements::compute_zone(&conn, &zone, None, month, now, false)
        .await
        .expect("statements");
    let compute_s = started.elapsed().as_secs_f64();
    let delivered: f64 = reports.iter().map(|(_, _, r)| r.delivered_kwh).sum();

    let sql = "SELECT SUM(LEAST(GREATEST(r.power_kw - u.baseline_static_kw, 0), e.power_change_kw)) / 60.0 AS delivered,
                      COUNT(*) AS n
               FROM dispatch_events e
               JOIN meterable_units u ON u.dispatch_group_id = e.dispatch_group_id
               JOIN readings r ON r.meterable_unit_id = u.id
                              AND r.interval_end > e.start_at AND r.interval_end <= e.end_at
               WHERE e.start_at >= '2025-03-01' AND e.start_at < '2025-04-01'";
    let started = Instant::now();
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .expect("aggregate")
        .expect("a row");
    let sql_s = started.elapsed().as_secs_f64();
    let sql_delivered: f64 = row.try_get("", "delivered").expect("delivered");
    let sql_rows: i64 = row.try_get("", "n").expect("n");

    let started = Instant::now();
    let finalised = statements::finalise(&conn, &zone, month, now)
        .await
        .expect("finalise");
    let finalise_s = started.elapsed().as_secs_f64();

    println!(
        "postgres  month statements and event reports ({} reports, {} statements): {compute_s:.2} s; \
         plain SQL aggregate over the same {sql_rows} readings: {sql_s:.2} s ({:.1}×)",
        reports.len(),
        computed.len(),
        compute_s / sql_s.max(1e-9)
    );
    println!(
        "postgres  delivered energy: {delivered:.3} kWh by the settlement code, {sql_delivered:.3} kWh by SQL"
    );
    println!(
        "postgres  finalisation (recompute with every interval, freeze {} reports): {finalise_s:.2} s{}",
        reports.len(),
        if finalised {
            ""
        } else {
            " (was already final)"
        }
    );
    conn.close().await.expect("close");
}
