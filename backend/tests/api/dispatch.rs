//! Dispatch events: runtimes and accepted capacity enforced with the reason, cancelling and
//! emergency stops, the week-ahead notice and fair allocation; and the fixtures the
//! delivery tests share (an FSP endpoint, accepted windows, a delivery pass).
//! The clock starts on Wednesday 19 February 2025 at noon; next week locks at 23:59.

use crate::delivery::verify;
use crate::helpers::{Engine, TestApp, TwilightIds, both_databases, error_code, twilight_ids};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

both_databases!(
    runtimes_and_accepted_capacity_are_enforced_with_the_reason,
    cancelling_and_stopping_withdraw_and_notify,
    the_week_ahead_notice_goes_once_at_thursday_1700,
    a_requirement_is_shared_minimax_across_accepted_groups,
);

type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A receiver that fails the first `failures` requests with 503; returns its base URL.
pub(crate) async fn receiver(failures: usize) -> (String, Received) {
    let received: Received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    let seen = Arc::new(AtomicUsize::new(0));
    let app = Router::new().route(
        "/fsp/dispatch",
        post(move |headers: HeaderMap, body: Bytes| {
            let (store, seen) = (store.clone(), seen.clone());
            async move {
                store.lock().expect("lock").push((headers, body));
                if seen.fetch_add(1, Ordering::SeqCst) < failures {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (format!("http://{addr}/fsp"), received)
}

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

/// Sets Twilight's endpoint and secret; returns the secret.
pub(crate) async fn fsp_endpoint(app: &TestApp, url: &str) -> String {
    let fsp = app
        .sign_up_participant(&format!(
            "{}@twilight.example",
            uuid::Uuid::new_v4().simple()
        ))
        .await;
    let set = app
        .graphql_as(&fsp.cookie, "mutation($u: String) { updateDispatchSettings(endpointUrl: $u, delivery: API) { endpointUrl } }", json!({"u": url}))
        .await;
    assert!(set["errors"].is_null(), "{set}");
    let rotated = app
        .graphql_as(
            &fsp.cookie,
            "mutation { rotateSigningSecret { secret } }",
            json!({}),
        )
        .await;
    rotated["data"]["rotateSigningSecret"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned()
}

/// Declares Monday 24 February `start`–`end` in Sustain for API Test, passes the lock with a
/// fresh operator session, accepts it, and returns the window id.
pub(crate) async fn accepted_window(
    app: &mut TestApp,
    ids: &TwilightIds,
    start: &str,
    end: &str,
    kw: f64,
) -> String {
    let declared = app
        .graphql(
            "mutation($g: String!, $p: String!, $w: WindowInput!) { declareAvailability(dispatchGroupId: $g, programmeId: $p, window: $w) { id } }",
            json!({"g": ids.group, "p": ids.sustain, "w": {"date": "2025-02-24", "start": start, "end": end, "kw": kw}}),
        )
        .await;
    let id = declared["data"]["declareAvailability"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{declared}"))
        .to_owned();
    app.clock.advance(chrono::Duration::hours(12));
    let email = format!("{}@ssen.example", uuid::Uuid::new_v4().simple());
    app.default_cookie = Some(app.sign_up_operator(&email, "SSEN").await.cookie);
    let accepted = app
        .graphql("mutation($ids: [String!]!) { decideAvailability(windowIds: $ids, accept: true) { status } }", json!({"ids": [id]}))
        .await;
    assert_eq!(
        accepted["data"]["decideAvailability"][0]["status"], "ACCEPTED",
        "{accepted}"
    );
    id
}

pub(crate) const DISPATCH: &str = "mutation($d: DispatchInput!) { createDispatch(dispatch: $d) { id status messages { messageId instruction dueAt deadline status attempts } } }";

pub(crate) fn dispatch_input(
    ids: &TwilightIds,
    window: Option<&str>,
    start: &str,
    end: &str,
    kw: f64,
) -> Value {
    json!({"d": {"dispatchGroupId": ids.group, "programmeId": ids.sustain, "start": start, "end": end,
                 "powerChangeKw": kw, "availabilityWindowId": window}})
}

pub(crate) async fn deliver(app: &TestApp, now: &str) {
    backend::services::dispatch::deliver_due(
        &app.db,
        &app.state.settings,
        &app.state.secrets,
        &app.state.mailer,
        "test-worker",
        at(now),
    )
    .await
    .expect("delivery pass");
}

pub(crate) async fn fresh_app(engine: Engine) -> TestApp {
    TestApp::spawn_with(engine, |s| s.allow_private_endpoints = true).await
}

pub(crate) async fn signed_in_operator(engine: Engine) -> TestApp {
    let mut app = fresh_app(engine).await;
    let email = format!("{}@ssen.example", uuid::Uuid::new_v4().simple());
    app.default_cookie = Some(app.sign_up_operator(&email, "SSEN").await.cookie);
    app
}

async fn runtimes_and_accepted_capacity_are_enforced_with_the_reason(engine: Engine) {
    let mut app = signed_in_operator(engine).await;
    let ids = twilight_ids(&app).await;
    // API Test: minimum runtime 30 minutes; give it a weekly limit of 150.
    let weekly = app
        .graphql(
            "mutation($id: String!) { updateDispatchGroup(id: $id, group: {name: \"API Test\", powerChangeKw: 500, direction: TURN_DOWN, minRuntimeMinutes: 30, maxRuntimeMinutes: null, weeklyRuntimeMinutes: 150, marketplaceUnits: []}) { name } }",
            json!({"id": ids.group}),
        )
        .await;
    assert!(weekly["errors"].is_null(), "{weekly}");
    let window = accepted_window(&mut app, &ids, "08:00", "20:00", 400.0).await;
    let reason = |v: &Value| {
        v["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let short = app
        .graphql(
            DISPATCH,
            dispatch_input(
                &ids,
                Some(&window),
                "2025-02-24T10:00:00Z",
                "2025-02-24T10:15:00Z",
                100.0,
            ),
        )
        .await;
    assert!(
        reason(&short).contains("minimum runtime is 30 minutes"),
        "{short}"
    );
    let big = app
        .graphql(
            DISPATCH,
            dispatch_input(
                &ids,
                Some(&window),
                "2025-02-24T10:00:00Z",
                "2025-02-24T11:00:00Z",
                450.0,
            ),
        )
        .await;
    assert!(
        reason(&big).contains("exceeds the accepted 400 kW"),
        "{big}"
    );
    let outside = app
        .graphql(
            DISPATCH,
            dispatch_input(
                &ids,
                Some(&window),
                "2025-02-24T07:00:00Z",
                "2025-02-24T09:00:00Z",
                100.0,
            ),
        )
        .await;
    assert!(
        reason(&outside).contains("within the accepted window"),
        "{outside}"
    );
    let ok = app
        .graphql(
            DISPATCH,
            dispatch_input(
                &ids,
                Some(&window),
                "2025-02-24T16:00:00Z",
                "2025-02-24T18:00:00Z",
                300.0,
            ),
        )
        .await;
    assert_eq!(ok["data"]["createDispatch"]["status"], "ACTIVE", "{ok}");
    let weekly_breach = app
        .graphql(
            DISPATCH,
            dispatch_input(
                &ids,
                Some(&window),
                "2025-02-24T10:00:00Z",
                "2025-02-24T11:00:00Z",
                100.0,
            ),
        )
        .await;
    assert_eq!(error_code(&weekly_breach), Some("INVALID_INPUT"));
    assert!(
        reason(&weekly_breach).contains(
            "weekly runtime of 150 minutes: 120 already dispatched this week, this adds 60"
        ),
        "{weekly_breach}"
    );
    let overlap = app
        .graphql(
            DISPATCH,
            dispatch_input(
                &ids,
                Some(&window),
                "2025-02-24T17:00:00Z",
                "2025-02-24T17:30:00Z",
                100.0,
            ),
        )
        .await;
    assert!(reason(&overlap).contains("overlaps dispatch"), "{overlap}");
    let ad_hoc = app
        .graphql(
            DISPATCH,
            dispatch_input(
                &ids,
                None,
                "2025-02-25T10:00:00Z",
                "2025-02-25T11:00:00Z",
                100.0,
            ),
        )
        .await;
    assert!(
        reason(&ad_hoc).contains("only Restore and Emergency Flex"),
        "{ad_hoc}"
    );
    let fsp = app.sign_up_participant("fsp@twilight.example").await;
    let forbidden = app
        .graphql_as(
            &fsp.cookie,
            DISPATCH,
            dispatch_input(
                &ids,
                Some(&window),
                "2025-02-24T12:00:00Z",
                "2025-02-24T13:00:00Z",
                100.0,
            ),
        )
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
}

async fn cancelling_and_stopping_withdraw_and_notify(engine: Engine) {
    let mut app = signed_in_operator(engine).await;
    let (url, received) = receiver(0).await;
    fsp_endpoint(&app, &url).await;
    let ids = twilight_ids(&app).await;
    let window = accepted_window(&mut app, &ids, "08:00", "20:00", 400.0).await;
    let first = app
        .graphql(
            DISPATCH,
            dispatch_input(
                &ids,
                Some(&window),
                "2025-02-24T10:00:00Z",
                "2025-02-24T11:00:00Z",
                100.0,
            ),
        )
        .await;
    let first_id = first["data"]["createDispatch"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // Cancelled before anything was sent: START and STOP are withdrawn, nothing goes out.
    let cancelled = app
        .graphql("mutation($id: String!) { cancelDispatch(id: $id) { status messages { instruction status } } }", json!({"id": first_id}))
        .await;
    assert_eq!(
        cancelled["data"]["cancelDispatch"]["status"], "CANCELLED",
        "{cancelled}"
    );
    assert!(
        cancelled["data"]["cancelDispatch"]["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .all(|m| m["status"] == "CANCELLED")
    );
    deliver(&app, "2025-02-24T11:00:00Z").await;
    assert!(received.lock().expect("lock").is_empty());

    let second = app
        .graphql(
            DISPATCH,
            dispatch_input(
                &ids,
                Some(&window),
                "2025-02-24T16:00:00Z",
                "2025-02-24T18:00:00Z",
                100.0,
            ),
        )
        .await;
    let second_id = second["data"]["createDispatch"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    deliver(&app, "2025-02-24T15:45:00Z").await;
    // 16:30: stopped in an emergency. The STOP is withdrawn; EMERGENCY_STOP goes at once.
    app.clock.advance(at("2025-02-24T16:30:00Z") - app.now());
    let email = format!("{}@ssen.example", uuid::Uuid::new_v4().simple());
    app.default_cookie = Some(app.sign_up_operator(&email, "SSEN").await.cookie);
    let stopped = app
        .graphql(
            "mutation($id: String!) { emergencyStop(id: $id) { status stoppedAt messages { instruction status } } }",
            json!({"id": second_id}),
        )
        .await;
    let stopped = &stopped["data"]["emergencyStop"];
    assert_eq!(stopped["status"], "EMERGENCY_STOPPED", "{stopped}");
    assert_eq!(stopped["stoppedAt"], "2025-02-24T16:30:00+00:00");
    assert_eq!(
        stopped["messages"],
        json!([{"instruction": "START", "status": "DELIVERED"}, {"instruction": "EMERGENCY_STOP", "status": "PENDING"}, {"instruction": "STOP", "status": "CANCELLED"}])
    );
    deliver(&app, "2025-02-24T16:30:00Z").await;
    deliver(&app, "2025-02-24T18:00:00Z").await;
    let instructions: Vec<String> = received
        .lock()
        .expect("lock")
        .iter()
        .map(|(_, body)| {
            serde_json::from_slice::<Value>(body).expect("JSON")["instruction"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(instructions, ["START", "EMERGENCY_STOP"]);
    let again = app
        .graphql(
            "mutation($id: String!) { cancelDispatch(id: $id) { status } }",
            json!({"id": second_id}),
        )
        .await;
    assert_eq!(error_code(&again), Some("CONFLICT"), "{again}");
}

async fn the_week_ahead_notice_goes_once_at_thursday_1700(engine: Engine) {
    let mut app = signed_in_operator(engine).await;
    let (url, received) = receiver(0).await;
    let secret = fsp_endpoint(&app, &url).await;
    let ids = twilight_ids(&app).await;
    let window = accepted_window(&mut app, &ids, "08:00", "20:00", 400.0).await;
    for (start, end) in [
        ("2025-02-24T10:00:00Z", "2025-02-24T11:00:00Z"),
        ("2025-02-24T16:00:00Z", "2025-02-24T18:00:00Z"),
    ] {
        let created = app
            .graphql(
                DISPATCH,
                dispatch_input(&ids, Some(&window), start, end, 200.0),
            )
            .await;
        assert!(created["errors"].is_null(), "{created}");
    }
    let issue = |now: &'static str| {
        let db = app.db.clone();
        async move {
            backend::services::dispatch::schedules::issue_due(&db, at(now))
                .await
                .expect("schedules")
        }
    };
    assert_eq!(
        issue("2025-02-20T16:59:59Z").await,
        0,
        "not before Thursday 17:00"
    );
    assert_eq!(
        issue("2025-02-20T17:00:00Z").await,
        1,
        "one notice for Twilight"
    );
    assert_eq!(issue("2025-02-20T17:00:15Z").await, 0, "and only once");
    deliver(&app, "2025-02-20T17:00:15Z").await;
    let got = received.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    verify(&secret, &got[0].0, &got[0].1);
    let notice: Value = serde_json::from_slice(&got[0].1).expect("JSON");
    assert_eq!(notice["instruction"], "SCHEDULE");
    assert_eq!(notice["programme"], "Sustain");
    assert_eq!(
        notice["period"],
        json!({"start": "2025-02-24T00:00:00Z", "end": "2025-03-03T00:00:00Z"})
    );
    let starts: Vec<&str> = notice["dispatches"]
        .as_array()
        .expect("dispatches")
        .iter()
        .filter_map(|d| d["start"].as_str())
        .collect();
    assert_eq!(starts, ["2025-02-24T10:00:00Z", "2025-02-24T16:00:00Z"]);
    assert_eq!(
        notice["dispatches"][0]["dispatch_group"]["name"],
        "API Test"
    );
}

async fn a_requirement_is_shared_minimax_across_accepted_groups(engine: Engine) {
    let mut app = signed_in_operator(engine).await;
    let ids = twilight_ids(&app).await;
    let groups = app
        .graphql(
            "{ dispatchGroups(zoneId: \"twilight-zone\") { id name } }",
            json!({}),
        )
        .await;
    let other = groups["data"]["dispatchGroups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["name"] == "ATestDV")
        .and_then(|g| g["id"].as_str())
        .expect("ATestDV")
        .to_owned();
    // ATestDV offers 200 kW 15:00–19:00 (declared before the lock, accepted after it).
    let declared = app
        .graphql(
            "mutation($g: String!, $p: String!, $w: WindowInput!) { declareAvailability(dispatchGroupId: $g, programmeId: $p, window: $w) { id } }",
            json!({"g": other, "p": ids.sustain, "w": {"date": "2025-02-24", "start": "15:00", "end": "19:00", "kw": 200.0}}),
        )
        .await;
    let other_window = declared["data"]["declareAvailability"]["id"]
        .as_str()
        .expect("window")
        .to_owned();
    // API Test offers 400 kW; the helper passes the lock and accepts it.
    accepted_window(&mut app, &ids, "15:00", "19:00", 400.0).await;
    app.graphql("mutation($ids: [String!]!) { decideAvailability(windowIds: $ids, accept: true) { status } }", json!({"ids": [other_window]}))
        .await;
    const PROPOSE: &str = "query($p: String!, $kw: Float!) { allocation(programmeId: $p, start: \"2025-02-24T16:00:00Z\", end: \"2025-02-24T18:00:00Z\", requirementKw: $kw) { allocatedKw shortfallKw lines { dispatchGroup acceptedKw allocatedKw } } }";
    let even = app
        .graphql(PROPOSE, json!({"p": ids.sustain, "kw": 300.0}))
        .await;
    assert_eq!(
        even["data"]["allocation"],
        json!({"allocatedKw": 300.0, "shortfallKw": 0.0, "lines": [
            {"dispatchGroup": "API Test", "acceptedKw": 400.0, "allocatedKw": 150.0},
            {"dispatchGroup": "ATestDV", "acceptedKw": 200.0, "allocatedKw": 150.0}]}),
        "{even}"
    );
    let capped = app
        .graphql(PROPOSE, json!({"p": ids.sustain, "kw": 500.0}))
        .await;
    let lines = &capped["data"]["allocation"]["lines"];
    assert_eq!(
        (
            lines[0]["allocatedKw"].clone(),
            lines[1]["allocatedKw"].clone()
        ),
        (json!(300.0), json!(200.0)),
        "{capped}"
    );
    let short = app
        .graphql(PROPOSE, json!({"p": ids.sustain, "kw": 700.0}))
        .await;
    assert_eq!(short["data"]["allocation"]["shortfallKw"], 100.0, "{short}");

    // Confirming is all or none: a bad line (ATestDV asked for more than it offered) keeps
    // the good one from being dispatched too.
    const CONFIRM: &str = "mutation($d: [DispatchInput!]!) { createDispatches(dispatches: $d) { dispatchGroup powerChangeKw } }";
    let plan = app
        .graphql(
            "query($p: String!) { allocation(programmeId: $p, start: \"2025-02-24T16:00:00Z\", end: \"2025-02-24T18:00:00Z\", requirementKw: 300) { lines { dispatchGroupId availabilityWindowId allocatedKw } } }",
            json!({"p": ids.sustain}),
        )
        .await;
    let lines: Vec<Value> = plan["data"]["allocation"]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            json!({"dispatchGroupId": l["dispatchGroupId"], "programmeId": ids.sustain,
                   "start": "2025-02-24T16:00:00Z", "end": "2025-02-24T18:00:00Z",
                   "powerChangeKw": l["allocatedKw"], "availabilityWindowId": l["availabilityWindowId"]})
        })
        .collect();
    let mut too_much = lines.clone();
    too_much[1]["powerChangeKw"] = json!(250.0);
    let refused = app.graphql(CONFIRM, json!({"d": too_much})).await;
    let refusal = &refused["errors"][0]["extensions"]["errors"][0];
    assert_eq!(
        (refusal["index"].clone(), refusal["field"].clone()),
        (json!(1), json!("powerChangeKw")),
        "{refused}"
    );
    let listed = app
        .graphql(
            "{ dispatches(from: \"2025-02-24T00:00:00Z\", to: \"2025-02-25T00:00:00Z\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["data"]["dispatches"],
        json!([]),
        "nothing was dispatched"
    );
    let confirmed = app.graphql(CONFIRM, json!({"d": lines})).await;
    assert_eq!(
        confirmed["data"]["createDispatches"],
        json!([{"dispatchGroup": "API Test", "powerChangeKw": 150.0},
               {"dispatchGroup": "ATestDV", "powerChangeKw": 150.0}]),
        "{confirmed}"
    );
}
