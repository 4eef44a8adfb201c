//! Baselines (guide §3.5): templates checked line by line, the one baseline function across
//! the London clock changes, the automatic method from four weeks of readings.

use crate::helpers::{
    Engine, SSEN, TestApp, TwilightIds, both_databases, error_code, twilight_ids,
};
use backend::seed::API_TEST_UNIT_ID;
use serde_json::{Value, json};

both_databases!(
    a_template_is_checked_line_by_line_and_drives_the_series_across_clock_changes,
    the_automatic_baseline_is_the_four_week_mean_or_the_static_fallback,
);

const UPLOAD: &str = "mutation($u: String!, $csv: String!) { uploadBaselineTemplate(meterableUnitId: $u, csv: $csv) }";
const SERIES: &str = "query($u: String!, $f: String!, $t: String!) { baselineSeries(meterableUnitId: $u, from: $f, to: $t) { start kw } }";
const SET: &str = "mutation($u: String!, $m: BaselineMethod!, $kw: Float) { setBaseline(meterableUnitId: $u, method: $m, staticKw: $kw) }";

const DAYS: [&str; 7] = [
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
    "SUNDAY",
];

/// A template whose value is the local minute of the day (per-minute) or the half-hour
/// index (half-hourly).
fn template(step: u32) -> String {
    let mut csv = String::from("day_of_week,local_time,power_kw\n");
    for day in DAYS {
        for minute in (0..1440).step_by(step as usize) {
            csv.push_str(&format!(
                "{day},{:02}:{:02},{}\n",
                minute / 60,
                minute % 60,
                minute / step
            ));
        }
    }
    csv
}

async fn half_hourly_unit(app: &TestApp) -> String {
    let units = app
        .graphql(
            "{ meterableUnits(zoneId: \"twilight-zone\") { id meteringGranularity } }",
            json!({}),
        )
        .await;
    units["data"]["meterableUnits"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["meteringGranularity"] == "HALF_HOURLY")
        .and_then(|u| u["id"].as_str())
        .expect("a half-hourly unit")
        .to_owned()
}

fn points(response: &Value) -> &Vec<Value> {
    response["data"]["baselineSeries"]
        .as_array()
        .unwrap_or_else(|| panic!("no series: {response}"))
}

async fn a_template_is_checked_line_by_line_and_drives_the_series_across_clock_changes(
    engine: Engine,
) {
    let app = TestApp::spawn(engine, Some(SSEN)).await;
    let good = template(1);
    let mut lines: Vec<&str> = good.lines().collect();
    let funday = lines[16].replace("MONDAY", "FUNDAY");
    lines[16] = &funday;
    let refused = app
        .graphql(
            UPLOAD,
            json!({"u": API_TEST_UNIT_ID, "csv": lines.join("\n")}),
        )
        .await;
    assert_eq!(error_code(&refused), Some("INVALID_INPUT"), "{refused}");
    let first = &refused["errors"][0]["extensions"]["errors"][0];
    assert_eq!(first["index"], 17, "{refused}");
    assert_eq!(first["field"], "day_of_week");

    let stored = app
        .graphql(
            "mutation($u: String!, $csv: String!) { uploadBaselineTemplate(meterableUnitId: $u, csv: $csv, name: \"api-test-weekday.csv\") }",
            json!({"u": API_TEST_UNIT_ID, "csv": good}),
        )
        .await;
    assert_eq!(stored["data"]["uploadBaselineTemplate"], 10080, "{stored}");
    // Meterable Units names the template the unit follows (guide §3.5).
    let unit = app
        .get(&format!("/api/v2/meterable-units/{API_TEST_UNIT_ID}"))
        .await
        .json();
    assert_eq!(unit["baseline"]["method"], "NOMINATED", "{unit}");
    assert_eq!(
        unit["baseline"]["template_name"], "api-test-weekday.csv",
        "{unit}"
    );
    let spring = app
        .graphql(SERIES, json!({"u": API_TEST_UNIT_ID, "f": "2026-03-29T00:00:00Z", "t": "2026-03-29T23:00:00Z"}))
        .await;
    assert_eq!(points(&spring).len(), 1380);
    assert_eq!(points(&spring)[60]["kw"], 120.0, "01:00 UTC is 02:00 BST");
    let autumn = app
        .graphql(SERIES, json!({"u": API_TEST_UNIT_ID, "f": "2026-10-24T23:00:00Z", "t": "2026-10-26T00:00:00Z"}))
        .await;
    assert_eq!(points(&autumn).len(), 1500);
    assert_eq!(
        points(&autumn)[60]["kw"],
        points(&autumn)[120]["kw"],
        "the repeated hour"
    );

    let hh = half_hourly_unit(&app).await;
    let quarter = template(30).replacen("MONDAY,05:00", "MONDAY,10:15", 1);
    let refused = app.graphql(UPLOAD, json!({"u": hh, "csv": quarter})).await;
    let first = &refused["errors"][0]["extensions"]["errors"][0];
    assert_eq!(
        (first["index"].clone(), first["field"].clone()),
        (json!(12), json!("local_time")),
        "{refused}"
    );
    let stored = app
        .graphql(UPLOAD, json!({"u": hh, "csv": template(30)}))
        .await;
    assert_eq!(stored["data"]["uploadBaselineTemplate"], 336, "{stored}");
    let day = app
        .graphql(
            SERIES,
            json!({"u": hh, "f": "2026-10-24T23:00:00Z", "t": "2026-10-26T00:00:00Z"}),
        )
        .await;
    assert_eq!(points(&day).len(), 50);

    // FSPs read their baselines; the operator enters them.
    let fsp = app.sign_up_participant("fsp@twilight.example").await;
    let read = app
        .graphql_as(&fsp.cookie, SERIES, json!({"u": API_TEST_UNIT_ID, "f": "2026-03-29T00:00:00Z", "t": "2026-03-29T01:00:00Z"}))
        .await;
    assert_eq!(points(&read).len(), 60);
    let upload = app
        .graphql_as(
            &fsp.cookie,
            UPLOAD,
            json!({"u": API_TEST_UNIT_ID, "csv": template(1)}),
        )
        .await;
    assert_eq!(error_code(&upload), Some("FORBIDDEN"));
}

async fn the_automatic_baseline_is_the_four_week_mean_or_the_static_fallback(engine: Engine) {
    let app = TestApp::spawn(engine, Some(SSEN)).await;
    // The clock is in February 2025: the automatic baseline uses 4–31 January. Mondays 6,
    // 13, 20 and 27 January at 10:00–10:01 read 100, 200, 300 and 400 kW; every day has a
    // reading at 00:00–00:01 so there are 28 days of data.
    let mut rows = Vec::new();
    for (day, kw) in [("06", 100.0), ("13", 200.0), ("20", 300.0), ("27", 400.0)] {
        rows.push(json!({"meterable_unit_id": API_TEST_UNIT_ID, "timestamp": format!("2025-01-{day}T10:01:00Z"), "power_kw": kw}));
    }
    for day in 4..=31 {
        rows.push(json!({"meterable_unit_id": API_TEST_UNIT_ID, "timestamp": format!("2025-01-{day:02}T00:01:00Z"), "power_kw": 1.0}));
    }
    let fsp = app.sign_up_participant("fsp@twilight.example").await;
    let posted = app
        .post_json(
            "/api/v2/readings",
            json!({ "readings": rows }),
            Some(&fsp.cookie),
        )
        .await;
    assert_eq!(posted.json()["inserted"], 32, "{}", posted.text());

    let set = app
        .graphql(
            SET,
            json!({"u": API_TEST_UNIT_ID, "m": "AUTOMATIC", "kw": 5.0}),
        )
        .await;
    assert_eq!(set["data"]["setBaseline"], true, "{set}");
    let hh = half_hourly_unit(&app).await;
    app.graphql(SET, json!({"u": hh, "m": "AUTOMATIC", "kw": 7.0}))
        .await;
    // Monday 20 January 10:00–10:30 was dispatched: its 300 kW is not a baseline.
    dispatched(&app, "2025-01-20T10:00:00Z", "2025-01-20T10:30:00Z").await;
    backend::jobs::run_due(&app.state).await;

    let monday = app
        .graphql(SERIES, json!({"u": API_TEST_UNIT_ID, "f": "2025-02-17T10:00:00Z", "t": "2025-02-17T10:02:00Z"}))
        .await;
    let mean = points(&monday)[0]["kw"].as_f64().expect("kW");
    assert!(
        (mean - 700.0 / 3.0).abs() < 1e-9,
        "(100 + 200 + 400) / 3: {monday}"
    );
    // A slot with no history takes the mean of all the data used.
    let expected = (700.0 + 28.0) / 31.0;
    let other = points(&monday)[1]["kw"].as_f64().expect("kW");
    assert!((other - expected).abs() < 1e-9, "{monday}");
    // Meterable Units says how much history each automatic baseline rests on.
    let units = app
        .graphql(
            "{ meterableUnits(zoneId: \"twilight-zone\") { id baseline { method daysOfData } } }",
            json!({}),
        )
        .await;
    let days = |id: &str| {
        units["data"]["meterableUnits"]
            .as_array()
            .and_then(|u| u.iter().find(|u| u["id"] == id))
            .map(|u| u["baseline"]["daysOfData"].clone())
            .unwrap_or_else(|| panic!("{units}"))
    };
    assert_eq!(days(API_TEST_UNIT_ID), json!(28), "{units}");
    assert_eq!(days(&hh), json!(0), "{units}");
    // No history at all: the static value.
    let fallback = app
        .graphql(
            SERIES,
            json!({"u": hh, "f": "2025-02-17T10:00:00Z", "t": "2025-02-17T11:00:00Z"}),
        )
        .await;
    assert_eq!(
        points(&fallback)
            .iter()
            .map(|p| p["kw"].clone())
            .collect::<Vec<_>>(),
        [json!(7.0), json!(7.0)]
    );

    // The calendar charts the group's half-hourly baseline over the week.
    let TwilightIds {
        group,
        sustain: programme,
        ..
    } = twilight_ids(&app).await;
    let week = app
        .graphql(
            "query($g: String!, $p: String!) { availabilityWeek(dispatchGroupId: $g, programmeId: $p, weekCommencing: \"2025-02-17\") { baseline { start kw } } }",
            json!({"g": group, "p": programme}),
        )
        .await;
    let baseline = week["data"]["availabilityWeek"]["baseline"]
        .as_array()
        .expect("baseline");
    assert_eq!(baseline.len(), 336, "{week}");
    // Monday 10:00–10:30: the 10:00 minute is the Mondays' mean, the other 29 the overall mean.
    let half_hour = (700.0 / 3.0 + 29.0 * expected) / 30.0;
    assert!(
        (baseline[20]["kw"].as_f64().expect("kW") - half_hour).abs() < 1e-9,
        "{}",
        baseline[20]
    );
}

/// Records that the API Test group was dispatched in Sustain over `[start, end)`.
async fn dispatched(app: &TestApp, start: &str, end: &str) {
    use backend::db::entities::{dispatch_events, dispatch_groups, programmes};
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let at = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&chrono::Utc)
    };
    let group = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::Name.eq("API Test"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("API Test");
    let programme = programmes::Entity::find()
        .filter(programmes::Column::ZoneId.eq(group.zone_id))
        .filter(programmes::Column::Kind.eq("sustain"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("Sustain");
    dispatch_events::ActiveModel {
        public_id: Set("DispatchedInJanuary1".to_owned()),
        dispatch_group_id: Set(group.id),
        programme_id: Set(programme.id),
        availability_window_id: Set(None),
        start_at: Set(at(start)),
        end_at: Set(at(end)),
        power_change_kw: Set(300.0),
        status: Set("active".to_owned()),
        stopped_at: Set(None),
        created_by_user_id: Set(None),
        created_at: Set(app.now()),
        updated_at: Set(app.now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("dispatch event");
}
