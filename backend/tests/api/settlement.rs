//! Settlement: event reports and statements computed from the stored readings, frozen at
//! 00:00 London on the 15th, re-issued as new versions. Every expected figure is worked
//! out by hand in the comments.

use crate::dispatch::{DISPATCH, accepted_window, at, dispatch_input, signed_in_operator};
use crate::helpers::{Engine, TestApp, both_databases, error_code, refused_argument, twilight_ids};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use backend::seed::API_TEST_UNIT_ID;
use serde_json::{Value, json};

both_databases!(
    an_event_is_reported_and_its_month_frozen_on_the_fifteenth,
    a_malformed_month_is_refused_naming_the_parameter,
    the_sample_reports_are_computed_from_sandbox_data,
    half_hourly_units_the_sliding_scale_and_the_october_clock_change,
);

const REPORT: &str = "query($id: String!) { eventReport(id: $id) { status deliveredKwh instructedKwh deliveryPercent completenessPercent missingIntervals
  units { instructedKw intervals { start baseline reading response delivered } }
  earnings { deliveredMwh utilisationPriceApplied scaleFactor utilisationGbp acceptedMw availabilityHours availabilityPriceApplied availabilityGbp totalGbp } } }";

const STATEMENTS: &str = "query($m: String!) { statements(month: $m, zoneId: \"twilight-zone\") { id status version company
  companyNumber vatNumber billingAddress lines { dispatchGroup programme events windows availabilityGbp utilisationGbp totalGbp } totalGbp } }";

/// Per-minute readings of API Test at `kw`, stamped `first`..=`last` minutes after 16:00 on
/// Monday 24 February 2025, posted by an FSP user.
async fn post_minutes(app: &TestApp, fsp: &str, first: i64, last: i64, kw: f64) {
    let start = at("2025-02-24T16:00:00Z");
    let rows: Vec<Value> = (first..=last)
        .map(|m| {
            json!({"meterableUnitId": API_TEST_UNIT_ID,
                   "timestamp": (start + chrono::Duration::minutes(m)).to_rfc3339(),
                   "powerKw": kw})
        })
        .collect();
    let posted = app
        .graphql_as(
            fsp,
            "mutation($r: [ReadingInput!]!) { postReadings(readings: $r) { accepted } }",
            json!({"r": rows}),
        )
        .await;
    assert_eq!(
        posted["data"]["postReadings"]["accepted"],
        last - first + 1,
        "{posted}"
    );
}

/// Moves the clock and signs everyone in again (sessions lapse over days).
async fn later(app: &mut TestApp, when: &str) -> String {
    app.clock.set(at(when));
    let operator = format!("{}@ssen.example", uuid::Uuid::new_v4().simple());
    app.default_cookie = Some(app.sign_up_operator(&operator, "SSEN").await.cookie);
    let fsp = format!("{}@twilight.example", uuid::Uuid::new_v4().simple());
    app.sign_up_participant(&fsp).await.cookie
}

async fn statements_csv(app: &TestApp, fsp: &str) -> Vec<u8> {
    let response = app
        .request(
            Request::get("/api/v2/statements?month=2025-02&zone_id=twilight-zone")
                .header("cookie", fsp)
                .header("accept", "text/csv")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert!(response.content_type().starts_with("text/csv"));
    response.body
}

async fn download(app: &TestApp, cookie: &str, uri: &str, content_type: &str) -> Vec<u8> {
    let response = app
        .request(
            Request::get(uri)
                .header("cookie", cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{uri}: {}",
        response.text()
    );
    assert_eq!(response.content_type(), content_type, "{uri}");
    response.body
}

/// The names in a zip, read back with a zip reader (so the file opens).
fn zip_names(bytes: &[u8]) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).expect("entry").name().to_owned())
        .collect();
    names.sort();
    names
}

async fn an_event_is_reported_and_its_month_frozen_on_the_fifteenth(engine: Engine) {
    let mut app = signed_in_operator(engine).await;
    let ids = twilight_ids(&app).await;
    // Sustain pays availability: 400 kW accepted 15:00–19:00 on Monday 24 February.
    let window = accepted_window(&mut app, &ids, "15:00", "19:00", 400.0).await;
    let baseline = app
        .graphql(
            "mutation($u: String!) { setBaseline(meterableUnitId: $u, method: STATIC, staticKw: -400) }",
            json!({"u": API_TEST_UNIT_ID}),
        )
        .await;
    assert!(baseline["errors"].is_null(), "{baseline}");
    let created = app
        .graphql(
            DISPATCH,
            dispatch_input(
                &ids,
                Some(&window),
                "2025-02-24T16:00:00Z",
                "2025-02-24T17:00:00Z",
                250.0,
            ),
        )
        .await;
    let id = created["data"]["createDispatch"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();

    // The evening of the event: 40 of its 60 minutes have come in, each at −100 kW against
    // a −400 kW baseline: a 300 kW response, paid up to the 250 kW instructed.
    let fsp = later(&mut app, "2025-02-24T18:00:00Z").await;
    post_minutes(&app, &fsp, 1, 40, -100.0).await;
    let report = app.graphql(REPORT, json!({"id": id})).await;
    let r = &report["data"]["eventReport"];
    assert_eq!(r["status"], "PROVISIONAL", "{report}");
    assert_eq!(r["instructedKwh"], 250.0);
    // 40 minutes × 250 kW ÷ 60 = 166.667 kWh; 20 minutes missing count as nothing.
    assert!((r["deliveredKwh"].as_f64().expect("kWh") - 500.0 / 3.0).abs() < 1e-9);
    assert_eq!(r["missingIntervals"], 20);
    assert_eq!(
        format!("{:.1}", r["completenessPercent"].as_f64().expect("%")),
        "66.7"
    );
    let first = &r["units"][0]["intervals"][0];
    assert_eq!(
        (
            first["baseline"].clone(),
            first["reading"].clone(),
            first["response"].clone(),
            first["delivered"].clone()
        ),
        (json!(-400.0), json!(-100.0), json!(300.0), json!(250.0))
    );
    assert_eq!(r["units"][0]["intervals"][45]["reading"], Value::Null);
    // Utilisation: 0.166667 MWh × £1.99 = £0.33. Availability: 0.4 MW × 4 h × £95.55 =
    // £152.88.
    assert_eq!(r["earnings"]["utilisationGbp"], 0.33, "{report}");
    assert_eq!(r["earnings"]["availabilityGbp"], 152.88);
    let provisional = app.graphql(STATEMENTS, json!({"m": "2025-02"})).await;
    let s = &provisional["data"]["statements"][0];
    assert_eq!(s["status"], "PROVISIONAL", "{provisional}");
    // Guide §3.9: the company as registered, for the invoice.
    assert_eq!(
        (
            &s["company"],
            &s["companyNumber"],
            &s["vatNumber"],
            &s["billingAddress"]
        ),
        (
            &json!("Twilight Flex Ltd"),
            &json!("12345678"),
            &json!("GB123456789"),
            &json!("1 Demo Street\nPerth\nPH1 3AQ")
        ),
        "{provisional}"
    );
    assert_eq!(
        s["lines"][0],
        json!({"dispatchGroup": "API Test", "programme": "Sustain", "events": 1, "windows": 1,
               "availabilityGbp": 152.88, "utilisationGbp": 0.33, "totalGbp": 153.21})
    );

    // 10 March: 19 more minutes arrive and the provisional statement follows them:
    // 59 × 250 ÷ 60 = 245.833 kWh → £0.49.
    let fsp = later(&mut app, "2025-03-10T12:00:00Z").await;
    post_minutes(&app, &fsp, 41, 59, -100.0).await;
    let updated = app.graphql(STATEMENTS, json!({"m": "2025-02"})).await;
    assert_eq!(
        updated["data"]["statements"][0]["totalGbp"], 153.37,
        "{updated}"
    );

    let none_final = app
        .request(
            Request::get("/api/v2/statements/zip?month=2025-02")
                .header("cookie", &fsp)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(
        none_final.status,
        StatusCode::NOT_FOUND,
        "only final statements are zipped"
    );

    // The finalisation job dies part-way (the database refuses the statement rows): the
    // month stays provisional, nothing half-written.
    let fail = match engine {
        Engine::Sqlite => vec![
            "CREATE TRIGGER injected_crash BEFORE INSERT ON statement_versions BEGIN SELECT RAISE(ABORT, 'injected crash'); END",
        ],
        Engine::Postgres => vec![
            "CREATE FUNCTION injected_crash() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected crash'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER injected_crash BEFORE INSERT ON statement_versions FOR EACH ROW EXECUTE FUNCTION injected_crash()",
        ],
    };
    use sea_orm::ConnectionTrait;
    for sql in fail {
        app.db.execute_unprepared(sql).await.expect("trigger");
    }
    let fifteenth = at("2025-03-15T00:00:00Z");
    assert!(
        backend::services::settlement::statements::finalise_due(&app.db, fifteenth)
            .await
            .is_err()
    );
    let still = app.graphql(STATEMENTS, json!({"m": "2025-02"})).await;
    assert_eq!(still["data"]["statements"][0]["status"], "PROVISIONAL");
    let frozen_reports = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM event_report_versions",
        ))
        .await
        .expect("count")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert_eq!(
        frozen_reports, 0,
        "a crashed finalisation left reports behind"
    );
    let drop = match engine {
        Engine::Sqlite => "DROP TRIGGER injected_crash",
        Engine::Postgres => "DROP TRIGGER injected_crash ON statement_versions",
    };
    app.db.execute_unprepared(drop).await.expect("drop trigger");

    // Midnight on the 15th (London is on GMT in March): final, once.
    assert!(
        backend::services::settlement::statements::finalise_due(&app.db, fifteenth)
            .await
            .expect("finalise")
            > 0
    );
    assert_eq!(
        backend::services::settlement::statements::finalise_due(&app.db, fifteenth)
            .await
            .expect("again"),
        0
    );
    let fsp = later(&mut app, "2025-03-15T09:00:00Z").await;
    let finals = app.graphql(STATEMENTS, json!({"m": "2025-02"})).await;
    let s = &finals["data"]["statements"][0];
    assert_eq!(
        (s["status"].clone(), s["version"].clone()),
        (json!("FINAL"), json!(1)),
        "{finals}"
    );
    assert_eq!(s["totalGbp"], 153.37);
    let statement_id = s["id"].as_str().expect("id").to_owned();
    let before = statements_csv(&app, &fsp).await;
    let zip_before = download(
        &app,
        &fsp,
        "/api/v2/statements/zip?month=2025-02",
        "application/zip",
    )
    .await;
    let reports_zip_before = download(
        &app,
        &fsp,
        "/api/v2/event-reports/zip?month=2025-02",
        "application/zip",
    )
    .await;
    let names = zip_names(&reports_zip_before);
    assert_eq!(
        names,
        [
            format!("earnings-{id}.csv"),
            format!("earnings-{id}.pdf"),
            format!("performance-{id}.csv"),
            format!("performance-{id}.pdf"),
        ]
    );
    let pdf = download(
        &app,
        &fsp,
        &format!("/api/v2/statements/{statement_id}?format=pdf"),
        "application/pdf",
    )
    .await;
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    assert!(
        pdf.windows(5).rev().take(16).any(|w| w == b"%%EOF"),
        "the PDF is cut short"
    );
    let text = String::from_utf8_lossy(&pdf);
    assert!(
        text.contains("153.37") && text.contains("FINAL, version 1"),
        "the PDF lacks the figures"
    );
    let text = String::from_utf8(before.clone()).expect("UTF-8");
    assert!(text.contains(",TOTAL,"), "{text}");
    assert!(text.contains("152.88,0.49,153.37"), "{text}");

    // 16 March: the last minute arrives. It is stored and shown with the readings, but the
    // final statement does not move by a byte.
    let fsp = later(&mut app, "2025-03-16T10:00:00Z").await;
    post_minutes(&app, &fsp, 60, 60, -100.0).await;
    let readings = app
        .request(
            Request::get(format!(
                "/api/v2/readings?meterable_unit_id={API_TEST_UNIT_ID}&from=2025-02-24T16:00:00Z&to=2025-02-24T17:00:00Z"
            ))
            .header("cookie", &fsp)
            .body(Body::empty())
            .expect("request"),
        )
        .await;
    assert_eq!(
        readings.json()["readings"].as_array().map(Vec::len),
        Some(60),
        "{}",
        readings.text()
    );
    assert_eq!(statements_csv(&app, &fsp).await, before);
    assert_eq!(
        download(
            &app,
            &fsp,
            "/api/v2/statements/zip?month=2025-02",
            "application/zip"
        )
        .await,
        zip_before
    );
    assert_eq!(
        download(
            &app,
            &fsp,
            "/api/v2/event-reports/zip?month=2025-02",
            "application/zip"
        )
        .await,
        reports_zip_before
    );
    let frozen = app.graphql(REPORT, json!({"id": id})).await;
    assert_eq!(frozen["data"]["eventReport"]["missingIntervals"], 1);
    assert_eq!(frozen["data"]["eventReport"]["status"], "FINAL");

    // Re-issue: the operator's, with a reason; the new version counts the late minute
    // (250 kWh → £0.4975 → £0.50) and the first stays as it was.
    const REISSUE: &str = "mutation($id: String!, $r: String!) { reissueStatement(id: $id, reason: $r) { version reason totalGbp } }";
    let refused = app
        .graphql_as(&fsp, REISSUE, json!({"id": statement_id, "r": "late data"}))
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    let no_reason = app
        .graphql(REISSUE, json!({"id": statement_id, "r": "  "}))
        .await;
    assert_eq!(
        no_reason["errors"][0]["extensions"]["field"], "reason",
        "{no_reason}"
    );
    let reissued = app
        .graphql(
            REISSUE,
            json!({"id": statement_id, "r": "Meter data for 17:00 arrived late"}),
        )
        .await;
    assert_eq!(
        reissued["data"]["reissueStatement"],
        json!({"version": 2, "reason": "Meter data for 17:00 arrived late", "totalGbp": 153.38}),
        "{reissued}"
    );
    let detail = app
        .graphql(
            "query($id: String!) { statement(id: $id, version: 1) { statement { version totalGbp } versions { version reason totalGbp } } }",
            json!({"id": statement_id}),
        )
        .await;
    assert_eq!(
        detail["data"]["statement"],
        json!({"statement": {"version": 1, "totalGbp": 153.37},
               "versions": [{"version": 1, "reason": null, "totalGbp": 153.37},
                            {"version": 2, "reason": "Meter data for 17:00 arrived late", "totalGbp": 153.38}]}),
        "{detail}"
    );
    let report = app.graphql(REPORT, json!({"id": id})).await;
    assert_eq!(report["data"]["eventReport"]["missingIntervals"], 0);
}

async fn a_malformed_month_is_refused_naming_the_parameter(engine: Engine) {
    let app = TestApp::spawn(engine, Some("participant:Twilight Flex Ltd")).await;
    for path in [
        "/api/v2/event-reports?month=2025-3",
        "/api/v2/event-reports",
        "/api/v2/statements?month=March",
        "/api/v2/statements?month=2025-13",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(response.json()["errors"][0]["field"], "month", "{path}");
    }
    let gql = app
        .graphql("{ statements(month: \"2025/03\") { id } }", json!({}))
        .await;
    assert_eq!(refused_argument(&gql), Some("month"), "{gql}");
    let fine = app.get("/api/v2/event-reports?month=2025-03").await;
    assert_eq!(fine.status, StatusCode::OK);
    assert_eq!(fine.json(), json!([]));
}

async fn the_sample_reports_are_computed_from_sandbox_data(engine: Engine) {
    let app = TestApp::spawn(engine, Some("participant:Twilight Flex Ltd")).await;
    let sample = app
        .graphql(
            "{ sampleReports { eventReport { id programme deliveredKwh deliveryPercent completenessPercent missingIntervals
                 units { intervals { response delivered } } earnings { utilisationGbp availabilityGbp totalGbp } }
               statement { totalGbp lines { programme events } } } }",
            json!({}),
        )
        .await;
    let r = &sample["data"]["sampleReports"]["eventReport"];
    assert_eq!(
        r["id"],
        backend::services::settlement::SAMPLE_ID,
        "{sample}"
    );
    assert_eq!(r["programme"], "Sustain");
    // 250 kW for an hour: a ramp over five minutes, 95 % of the instruction, ten minutes
    // at 110 % (paid at 100 %), three minutes missing: 13,187.5 kW·min = 219.792 kWh.
    assert_eq!(r["missingIntervals"], 3);
    assert_eq!(r["completenessPercent"], 95.0);
    assert!((r["deliveredKwh"].as_f64().expect("kWh") - 13_187.5 / 60.0).abs() < 1e-9);
    let over = &r["units"][0]["intervals"][20];
    assert_eq!(
        (over["response"].clone(), over["delivered"].clone()),
        (json!(275.0), json!(250.0))
    );
    // £1.99 × 0.219792 MWh = £0.44; 0.25 MW × 1 h × £95.55 = £23.89.
    assert_eq!(
        r["earnings"],
        json!({"utilisationGbp": 0.44, "availabilityGbp": 23.89, "totalGbp": 24.33})
    );
    assert_eq!(
        sample["data"]["sampleReports"]["statement"],
        json!({"totalGbp": 24.33, "lines": [{"programme": "Sustain", "events": 1}]})
    );
    let csv = app
        .get("/api/v2/sample-reports/performance?format=csv")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.text().starts_with("dispatch_id,meterable_unit_id"),
        "{}",
        csv.text()
    );
    let pdf = app.get("/api/v2/sample-reports/statement?format=pdf").await;
    assert!(pdf.body.starts_with(b"%PDF-"));
    let bad = app.get("/api/v2/sample-reports/invoice").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["errors"][0]["field"], "kind");
}

/// Stores a finished event for ATestDV (half-hourly unit, static baseline −120 kW, so
/// −60 kWh a half-hour) in Sustain with half-hourly `energies`, one per half-hour from
/// `start`; returns its id.
async fn stored_event(app: &TestApp, start: &str, kw: f64, energies: &[f64]) -> String {
    use backend::db::entities::{
        dispatch_events, dispatch_groups, meterable_units, programmes, readings,
    };
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let group = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::Name.eq("ATestDV"))
        .one(&app.db)
        .await
        .expect("group")
        .expect("ATestDV");
    let sustain = programmes::Entity::find()
        .filter(programmes::Column::ZoneId.eq(group.zone_id))
        .filter(programmes::Column::Kind.eq("sustain"))
        .one(&app.db)
        .await
        .expect("programme")
        .expect("Sustain");
    let unit = meterable_units::Entity::find()
        .filter(meterable_units::Column::DispatchGroupId.eq(group.id))
        .one(&app.db)
        .await
        .expect("unit")
        .expect("ATestDV MU");
    let start = at(start);
    let end = start + chrono::Duration::minutes(30 * energies.len() as i64);
    let event = dispatch_events::ActiveModel {
        public_id: Set(backend::ids::new_public_id().to_string()),
        dispatch_group_id: Set(group.id),
        programme_id: Set(sustain.id),
        availability_window_id: Set(None),
        start_at: Set(start),
        end_at: Set(end),
        power_change_kw: Set(kw),
        status: Set("active".to_owned()),
        stopped_at: Set(None),
        created_by_user_id: Set(None),
        created_at: Set(start),
        updated_at: Set(start),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("event");
    for (i, kwh) in energies.iter().enumerate() {
        readings::ActiveModel {
            meterable_unit_id: Set(unit.id),
            interval_end: Set(start + chrono::Duration::minutes(30 * (i as i64 + 1))),
            power_kw: Set(None),
            energy_kwh: Set(Some(*kwh)),
            received_at: Set(end),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("reading");
    }
    event.public_id
}

async fn half_hourly_units_the_sliding_scale_and_the_october_clock_change(engine: Engine) {
    let mut app = signed_in_operator(engine).await;
    // Sustain switches to the sliding delivery scale.
    let zones = app
        .graphql(
            "{ zones { id programmes { id kind policy { declarationLockDay declarationLockTime acceptanceDay acceptanceTime autoAccept weekAheadDay weekAheadTime dayAheadTime startLeadMinutes manualDispatch paymentBasis deliveryScale performanceFactor } } } }",
            json!({}),
        )
        .await;
    let sustain = zones["data"]["zones"]
        .as_array()
        .expect("zones")
        .iter()
        .find(|z| z["id"] == "twilight-zone")
        .and_then(|z| z["programmes"].as_array())
        .and_then(|ps| ps.iter().find(|p| p["kind"] == "SUSTAIN"))
        .cloned()
        .unwrap_or_else(|| panic!("{zones}"));
    let mut policy = sustain["policy"].clone();
    policy["deliveryScale"] = json!("SLIDING");
    let updated = app
        .graphql(
            "mutation($id: String!, $p: ProgrammePolicyInput!) { updateProgrammePolicy(programmeId: $id, policy: $p) { policy { deliveryScale } } }",
            json!({"id": sustain["id"], "p": policy}),
        )
        .await;
    assert!(updated["errors"].is_null(), "{updated}");

    // 00:30–02:30 London on Sunday 26 October 2025 is 23:30Z–01:30Z: four half-hours,
    // though the clock shows 01:00–02:00 twice. 200 kW instructed: 400 kWh, at most 100
    // kWh a half-hour. Each reading is −20 kWh against −60: 40 kWh delivered, 160 in all:
    // 40 %, which the sliding scale does not pay.
    let across = stored_event(&app, "2025-10-25T23:30:00Z", 200.0, &[-20.0; 4]).await;
    // Tuesday 28 October 16:00–17:00Z: +15 kWh against −60 twice: 150 of 200 kWh, 75 %,
    // paid at half: 0.15 MWh × £4 × 0.5 = £0.30.
    let three_quarters = stored_event(&app, "2025-10-28T16:00:00Z", 200.0, &[15.0; 2]).await;
    app.clock.set(at("2025-11-05T12:00:00Z"));
    let operator = format!("{}@ssen.example", uuid::Uuid::new_v4().simple());
    app.default_cookie = Some(app.sign_up_operator(&operator, "SSEN").await.cookie);

    let first = app.graphql(REPORT, json!({"id": across})).await;
    let r = &first["data"]["eventReport"];
    assert_eq!(
        r["units"][0]["intervals"].as_array().map(Vec::len),
        Some(4),
        "{first}"
    );
    assert_eq!(r["units"][0]["intervals"][0]["baseline"], -60.0);
    assert_eq!(r["units"][0]["intervals"][0]["delivered"], 40.0);
    assert_eq!(
        (
            r["instructedKwh"].clone(),
            r["deliveredKwh"].clone(),
            r["deliveryPercent"].clone()
        ),
        (json!(400.0), json!(160.0), json!(40.0))
    );
    assert_eq!(r["earnings"]["scaleFactor"], 0.0);
    assert_eq!(r["earnings"]["utilisationGbp"], 0.0);
    let second = app.graphql(REPORT, json!({"id": three_quarters})).await;
    let r = &second["data"]["eventReport"];
    assert_eq!(
        (r["deliveredKwh"].clone(), r["deliveryPercent"].clone()),
        (json!(150.0), json!(75.0)),
        "{second}"
    );
    assert_eq!(r["earnings"]["scaleFactor"], 0.5);
    assert_eq!(r["earnings"]["utilisationGbp"], 0.3);
    let october = app.graphql(STATEMENTS, json!({"m": "2025-10"})).await;
    assert_eq!(
        october["data"]["statements"][0]["lines"],
        json!([{"dispatchGroup": "ATestDV", "programme": "Sustain", "events": 2, "windows": 0,
                "availabilityGbp": 0.0, "utilisationGbp": 0.3, "totalGbp": 0.3}]),
        "{october}"
    );
}
