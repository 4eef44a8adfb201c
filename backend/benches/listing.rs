//! Listing benchmark: the Meterable Units page's query for a zone with many dispatch
//! groups, over GraphQL and REST, on SQLite and PostgreSQL. Prints latency percentiles and
//! shows that the number of database round-trips does not grow with the number of rows.
//! Run with `./dev bench`.

#![allow(
    clippy::expect_used,
    reason = "a benchmark that cannot set up should stop"
)]

use axum::body::Body;
use axum::http::Request;
use backend::app::{AppState, SystemClock, router};
use backend::config::Settings;
use backend::db::entities::{
    dispatch_groups, fsp_companies, meterable_units, prices, programmes, zones,
};
use backend::ids::new_public_id;
use backend::testing::{Engine, TempDatabase};
use backend::{db, seed};
use chrono::Utc;
use http_body_util::BodyExt;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const GROUPS: usize = 500;
const REQUESTS: usize = 60;

#[tokio::main]
async fn main() {
    println!(
        "listing benchmark: one zone, {GROUPS} dispatch groups x (1 unit, 4 prices); {REQUESTS} requests each"
    );
    for engine in Engine::BOTH {
        let database = TempDatabase::create(engine)
            .await
            .expect("database (is PostgreSQL running?)");
        let conn = db::connect(&database.url).await.expect("connect");
        db::migrate(&conn).await.expect("migrate");
        seed::seed_demo(&conn, Utc::now()).await.expect("seed");
        populate(&conn).await;
        let settings = Settings {
            database_url: database.url.clone(),
            dev_mode: true,
            demo_user: Some("participant:Twilight Flex Ltd".to_owned()),
            ..Settings::default()
        };
        let app = router(AppState::new(conn.clone(), settings, Arc::new(SystemClock)));

        let graphql_body = serde_json::json!({
            "query": "{ dispatchGroups(zoneId: \"bench-zone\") { id name minRuntimeMinutes marketplaceUnits meterableUnits { id baseline { method } } prices { programme { name } availabilityPrice utilisationPrice unitCeiling } } }"
        })
        .to_string();
        let graphql = measure(
            || {
                Request::post("/graphql")
                    .header("content-type", "application/json")
                    .body(Body::from(graphql_body.clone()))
                    .expect("request")
            },
            &app,
        )
        .await;
        let rest = measure(
            || {
                Request::get("/api/v2/dispatch-groups?zone_id=bench-zone")
                    .body(Body::empty())
                    .expect("request")
            },
            &app,
        )
        .await;
        println!("{:<9} graphql dispatchGroups  {graphql}", engine.name());
        println!("{:<9} rest /dispatch-groups   {rest}", engine.name());
        conn.close().await.expect("close");
    }
}

async fn measure(make: impl Fn() -> Request<Body>, app: &axum::Router) -> String {
    let mut times: Vec<Duration> = Vec::with_capacity(REQUESTS);
    let mut bytes = 0;
    for i in 0..REQUESTS + 5 {
        let started = Instant::now();
        let response = app.clone().oneshot(make()).await.expect("response");
        assert!(
            response.status().is_success(),
            "status {}",
            response.status()
        );
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        if i >= 5 {
            times.push(started.elapsed());
            bytes = body.len();
        }
    }
    times.sort_unstable();
    let pct = |p: f64| times[((times.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    format!(
        "p50 {:>7.2} ms  p99 {:>7.2} ms  ({} KiB per response)",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        bytes / 1024
    )
}

/// A zone for the seeded company with many priced dispatch groups.
async fn populate(conn: &sea_orm::DatabaseConnection) {
    let now = Utc::now();
    let twilight = fsp_companies::Entity::find()
        .filter(fsp_companies::Column::Name.eq("Twilight Flex Ltd"))
        .one(conn)
        .await
        .expect("query")
        .expect("seeded company");
    let template = zones::Entity::find()
        .one(conn)
        .await
        .expect("query")
        .expect("a zone");
    let zone = zones::Entity::insert(zones::ActiveModel {
        slug: Set("bench-zone".to_owned()),
        operator_id: Set(template.operator_id),
        name: Set("Bench Zone".to_owned()),
        sandbox: Set(false),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(conn)
    .await
    .expect("zone")
    .last_insert_id;
    let kinds = ["sustain", "secure", "dynamic", "restore"];
    programmes::Entity::insert_many(kinds.iter().map(|k| programmes::ActiveModel {
        public_id: Set(new_public_id().to_string()),
        zone_id: Set(zone),
        kind: Set((*k).to_owned()),
        auction: Set(false),
        name: Set((*k).to_owned()),
        product_code: Set(None),
        created_at: Set(now),
        ..Default::default()
    }))
    .exec(conn)
    .await
    .expect("programmes");
    let programme_ids: Vec<i32> = programmes::Entity::find()
        .filter(programmes::Column::ZoneId.eq(zone))
        .all(conn)
        .await
        .expect("query")
        .into_iter()
        .map(|p| p.id)
        .collect();
    dispatch_groups::Entity::insert_many((0..GROUPS).map(|i| dispatch_groups::ActiveModel {
        public_id: Set(new_public_id().to_string()),
        zone_id: Set(zone),
        company_id: Set(twilight.id),
        name: Set(format!("Bench group {i:04}")),
        power_change_kw: Set(100.0),
        direction: Set("turn_down".to_owned()),
        min_runtime_minutes: Set(Some(30)),
        max_runtime_minutes: Set(None),
        weekly_runtime_minutes: Set(None),
        created_at: Set(now),
        ..Default::default()
    }))
    .exec(conn)
    .await
    .expect("groups");
    let group_ids: Vec<i32> = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::ZoneId.eq(zone))
        .all(conn)
        .await
        .expect("query")
        .into_iter()
        .map(|g| g.id)
        .collect();
    meterable_units::Entity::insert_many(group_ids.iter().map(|g| meterable_units::ActiveModel {
        public_id: Set(new_public_id().to_string()),
        dispatch_group_id: Set(*g),
        name: Set(format!("Bench unit {g}")),
        metering_granularity: Set("per_minute".to_owned()),
        baseline_method: Set("static".to_owned()),
        baseline_static_kw: Set(Some(-50.0)),
        created_at: Set(now),
        ..Default::default()
    }))
    .exec(conn)
    .await
    .expect("units");
    let rows: Vec<prices::ActiveModel> = group_ids
        .iter()
        .flat_map(|g| programme_ids.iter().map(move |p| (*g, *p)))
        .map(|(g, p)| prices::ActiveModel {
            dispatch_group_id: Set(g),
            programme_id: Set(p),
            availability_price_pence: Set(Some(955)),
            utilisation_price_pence: Set(Some(199)),
            unit_ceiling_pence: Set(None),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        prices::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await
            .expect("prices");
    }
}
