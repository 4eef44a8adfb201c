//! Availability declarations, the lock, acceptance decisions and the Acceptance CSV
//! (guide §3.4, §3.6). The test clock starts on Wednesday 19 February 2025 at noon, so the
//! week commencing 24 February locks at 23:59 that evening.

use crate::helpers::{
    Engine, SSEN, TestApp, TwilightIds, both_databases, error_code, refused_argument, twilight_ids,
};
use axum::http::StatusCode;
use serde_json::{Value, json};

both_databases!(
    the_operator_declares_the_fsp_reads_and_the_lock_closes_the_week,
    accepted_and_rejected_windows_and_the_acceptance_csv,
    restore_windows_are_accepted_at_the_lock_without_anyone_acting,
    undecided_windows_are_settled_at_the_acceptance_time_by_policy,
    bad_windows_are_refused_with_the_field_and_reason,
    other_operators_and_companies_see_nothing,
);

const NEXT_WEEK: &str = "2025-02-24";

const DECLARE: &str = "mutation($g: String!, $p: String!, $w: WindowInput!) { declareAvailability(dispatchGroupId: $g, programmeId: $p, window: $w) { id date start end declaredKw status startUtc endUtc } }";
const WEEK: &str = "query($g: String!, $p: String!, $w: String!) { availabilityWeek(dispatchGroupId: $g, programmeId: $p, weekCommencing: $w) { editableUntilLabel locked canEdit canDecide managedByOperator capacityKw days { date label windows { id start end declaredKw status } } } }";

fn window(date: &str, start: &str, end: &str, kw: f64) -> Value {
    json!({"date": date, "start": start, "end": end, "kw": kw})
}

async fn declare(
    app: &TestApp,
    cookie: Option<&str>,
    ids: &TwilightIds,
    programme: &str,
    w: Value,
) -> Value {
    let vars = json!({"g": ids.group, "p": programme, "w": w});
    match cookie {
        Some(cookie) => app.graphql_as(cookie, DECLARE, vars).await,
        None => app.graphql(DECLARE, vars).await,
    }
}

/// Moves the clock past next week's lock (Wednesday 23:59) and signs a fresh operator in
/// as the app's default session: earlier sessions have idled out by then.
async fn after_the_lock(app: &mut TestApp) {
    app.clock.advance(chrono::Duration::hours(12));
    let email = format!("{}@ssen.example", uuid::Uuid::new_v4().simple());
    app.default_cookie = Some(app.sign_up_operator(&email, "SSEN").await.cookie);
}

async fn the_operator_declares_the_fsp_reads_and_the_lock_closes_the_week(engine: Engine) {
    let mut app = TestApp::spawn(engine, Some(SSEN)).await;
    let ids = twilight_ids(&app).await;
    let declared = declare(
        &app,
        None,
        &ids,
        &ids.sustain,
        window("2025-02-24", "16:00", "19:00", 400.0),
    )
    .await;
    let first = &declared["data"]["declareAvailability"];
    assert_eq!(first["status"], "DECLARED", "{declared}");
    assert_eq!(first["startUtc"], "2025-02-24T16:00:00+00:00");
    let week = app
        .graphql(
            WEEK,
            json!({"g": ids.group, "p": ids.sustain, "w": NEXT_WEEK}),
        )
        .await;
    let week = &week["data"]["availabilityWeek"];
    assert_eq!(
        week["editableUntilLabel"], "23:59 on Wednesday 19th February 2025",
        "{week}"
    );
    assert_eq!(week["canEdit"], true);
    assert_eq!(week["days"].as_array().map(Vec::len), Some(7));
    assert_eq!(week["days"][0]["label"], "Mon 24th Feb");
    assert_eq!(week["days"][0]["windows"][0]["declaredKw"], 400.0);

    // The FSP sees the same declarations, read-only, and may not declare.
    let fsp = app.sign_up_participant("fsp@twilight.example").await;
    let seen = app
        .graphql_as(
            &fsp.cookie,
            WEEK,
            json!({"g": ids.group, "p": ids.sustain, "w": NEXT_WEEK}),
        )
        .await;
    let seen = &seen["data"]["availabilityWeek"];
    assert_eq!(seen["canEdit"], false, "{seen}");
    assert_eq!(seen["managedByOperator"], true);
    assert_eq!(seen["days"][0]["windows"][0]["start"], "16:00");
    let refused = declare(
        &app,
        Some(&fsp.cookie),
        &ids,
        &ids.sustain,
        window("2025-02-25", "10:00", "11:00", 100.0),
    )
    .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    assert!(refused.to_string().contains("managed by the Operator"));
    let rest = app
        .get_with(
            &format!(
                "/api/v2/availability?dispatch_group_id={}&programme_id={}&week_commencing={NEXT_WEEK}",
                ids.group, ids.sustain
            ),
            &fsp.cookie,
        )
        .await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.text());
    assert_eq!(rest.json()["days"][0]["windows"][0]["declared_kw"], 400.0);

    // After the lock the operator's edits are refused.
    after_the_lock(&mut app).await;
    let id = first["id"].as_str().expect("id");
    let edit = app
        .graphql(
            "mutation($id: String!, $w: WindowInput!) { updateAvailability(windowId: $id, window: $w) { id } }",
            json!({"id": id, "w": window("2025-02-24", "16:00", "18:00", 300.0)}),
        )
        .await;
    assert_eq!(error_code(&edit), Some("CONFLICT"), "{edit}");
    assert!(
        edit.to_string()
            .contains("locked at 23:59 on Wednesday 19th February 2025")
    );
    let late = declare(
        &app,
        None,
        &ids,
        &ids.sustain,
        window("2025-02-26", "10:00", "11:00", 100.0),
    )
    .await;
    assert_eq!(error_code(&late), Some("CONFLICT"));
    let removed = app
        .graphql(
            "mutation($id: String!) { removeAvailability(windowId: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&removed), Some("CONFLICT"));
    let locked = app
        .graphql(
            WEEK,
            json!({"g": ids.group, "p": ids.sustain, "w": NEXT_WEEK}),
        )
        .await;
    assert_eq!(locked["data"]["availabilityWeek"]["locked"], true);
    assert_eq!(locked["data"]["availabilityWeek"]["canDecide"], true);
}

async fn accepted_and_rejected_windows_and_the_acceptance_csv(engine: Engine) {
    let mut app = TestApp::spawn(engine, Some(SSEN)).await;
    let ids = twilight_ids(&app).await;
    let keep = declare(
        &app,
        None,
        &ids,
        &ids.sustain,
        window("2025-02-24", "16:00", "19:00", 400.0),
    )
    .await;
    let drop = declare(
        &app,
        None,
        &ids,
        &ids.sustain,
        window("2025-02-25", "07:00", "08:30", 250.5),
    )
    .await;
    let keep = keep["data"]["declareAvailability"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let drop = drop["data"]["declareAvailability"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    const DECIDE: &str = "mutation($ids: [String!]!, $a: Boolean!) { decideAvailability(windowIds: $ids, accept: $a) { status acceptedKw acceptanceStart acceptanceEnd } }";
    let early = app.graphql(DECIDE, json!({"ids": [keep], "a": true})).await;
    assert_eq!(
        error_code(&early),
        Some("INVALID_INPUT"),
        "not before the lock: {early}"
    );

    after_the_lock(&mut app).await;
    let accepted = app.graphql(DECIDE, json!({"ids": [keep], "a": true})).await;
    assert_eq!(
        accepted["data"]["decideAvailability"][0],
        json!({"status": "ACCEPTED", "acceptedKw": 400.0,
               "acceptanceStart": "2025-02-24T16:00:00+00:00", "acceptanceEnd": "2025-02-24T19:00:00+00:00"}),
        "{accepted}"
    );
    let rejected = app
        .graphql(DECIDE, json!({"ids": [drop], "a": false}))
        .await;
    assert_eq!(
        rejected["data"]["decideAvailability"][0]["status"], "REJECTED",
        "{rejected}"
    );

    let fsp = app.sign_up_participant("fsp@twilight.example").await;
    let csv = app
        .request(
            axum::http::Request::get(format!(
                "/api/v2/accepted-availability?week_commencing={NEXT_WEEK}"
            ))
            .header("accept", "text/csv")
            .header("cookie", &fsp.cookie)
            .body(axum::body::Body::empty())
            .expect("request"),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text());
    assert!(csv.content_type().starts_with("text/csv"));
    let text = csv.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "zone,programme,dispatch_group_id,dispatch_group,date,window_start,window_end,declared_kw,status,acceptance_start,acceptance_end,accepted_kw,decided_by",
            &format!(
                "twilight-zone,Sustain,{},API Test,2025-02-24,16:00,19:00,400,accepted,2025-02-24T16:00:00Z,2025-02-24T19:00:00Z,400,operator",
                ids.group
            ),
            &format!(
                "twilight-zone,Sustain,{},API Test,2025-02-25,07:00,08:30,250.5,rejected,,,,operator",
                ids.group
            ),
        ]
    );
    let same = app
        .get_with(
            &format!("/api/v2/accepted-availability?week_commencing={NEXT_WEEK}&format=csv"),
            &fsp.cookie,
        )
        .await;
    assert_eq!(same.text(), text);
    let json_rows = app
        .get_with(
            &format!("/api/v2/accepted-availability?week_commencing={NEXT_WEEK}"),
            &fsp.cookie,
        )
        .await
        .json();
    assert_eq!(json_rows[0]["status"], "ACCEPTED");
    assert_eq!(json_rows[1]["acceptance_start"], Value::Null);
    let graphql = app
        .graphql_as(
            &fsp.cookie,
            "{ acceptanceDecisions(weekCommencing: \"2025-02-24\") { status acceptedKw } }",
            json!({}),
        )
        .await;
    assert_eq!(
        graphql["data"]["acceptanceDecisions"][0]["acceptedKw"], 400.0,
        "{graphql}"
    );

    for (query, reason) in [
        ("week_commencing=2025-13-01", "YYYY-MM-DD"),
        ("", "required"),
    ] {
        let bad = app
            .get_with(
                &format!("/api/v2/accepted-availability?{query}"),
                &fsp.cookie,
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{query}");
        let problem = bad.json();
        assert_eq!(
            problem["errors"][0]["field"], "week_commencing",
            "{problem}"
        );
        assert!(
            problem["errors"][0]["reason"]
                .as_str()
                .is_some_and(|r| r.contains(reason)),
            "{problem}"
        );
    }
    let bad_graphql = app
        .graphql(
            "{ acceptanceDecisions(weekCommencing: \"2025-02-30\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(refused_argument(&bad_graphql), Some("weekCommencing"));
}

async fn restore_windows_are_accepted_at_the_lock_without_anyone_acting(engine: Engine) {
    let mut app = TestApp::spawn(engine, Some(SSEN)).await;
    let ids = twilight_ids(&app).await;
    let declared = declare(
        &app,
        None,
        &ids,
        &ids.restore,
        window("2025-02-26", "00:00", "24:00", 500.0),
    )
    .await;
    assert_eq!(
        declared["data"]["declareAvailability"]["end"], "24:00",
        "{declared}"
    );
    backend::jobs::run_due(&app.state).await;
    let before = app
        .graphql(
            WEEK,
            json!({"g": ids.group, "p": ids.restore, "w": NEXT_WEEK}),
        )
        .await;
    assert_eq!(
        before["data"]["availabilityWeek"]["days"][2]["windows"][0]["status"],
        "DECLARED"
    );

    after_the_lock(&mut app).await;
    backend::jobs::run_due(&app.state).await;
    let after = app
        .graphql(
            WEEK,
            json!({"g": ids.group, "p": ids.restore, "w": NEXT_WEEK}),
        )
        .await;
    assert_eq!(
        after["data"]["availabilityWeek"]["days"][2]["windows"][0]["status"], "ACCEPTED",
        "{after}"
    );
    let rows = app
        .get(&format!(
            "/api/v2/accepted-availability?week_commencing={NEXT_WEEK}"
        ))
        .await
        .json();
    assert_eq!(
        rows[0]["acceptance_start"], "2025-02-26T00:00:00Z",
        "{rows}"
    );
    assert_eq!(rows[0]["acceptance_end"], "2025-02-27T00:00:00Z");
    // Running again changes nothing.
    backend::jobs::run_due(&app.state).await;
    assert_eq!(
        app.get(&format!(
            "/api/v2/accepted-availability?week_commencing={NEXT_WEEK}"
        ))
        .await
        .json(),
        rows
    );
}

/// Guide §3.6: at the acceptance time (Thursday 12:00) the scheduler settles what nobody
/// decided, as each programme's policy says, audited, and says so in the CSV and e-mail.
async fn undecided_windows_are_settled_at_the_acceptance_time_by_policy(engine: Engine) {
    let (mut app, smtp) = TestApp::operator_with_mail(engine).await;
    let ids = twilight_ids(&app).await;
    // Restore here is decided by hand, and what is left undecided is rejected.
    let policy = app
        .graphql(
            "mutation($id: String!) { updateProgrammePolicy(programmeId: $id, policy: {declarationLockDay: WEDNESDAY, declarationLockTime: \"23:59\", acceptanceDay: THURSDAY, acceptanceTime: \"12:00\", autoAccept: false, undecidedAtDeadline: REJECT, startLeadMinutes: 15, manualDispatch: true, paymentBasis: UTILISATION_ONLY, deliveryScale: FLAT, performanceFactor: ONE}) { policy { undecidedAtDeadline } } }",
            json!({"id": ids.restore}),
        )
        .await;
    assert_eq!(
        policy["data"]["updateProgrammePolicy"]["policy"]["undecidedAtDeadline"], "REJECT",
        "{policy}"
    );
    let sustain = declare(
        &app,
        None,
        &ids,
        &ids.sustain,
        window("2025-02-24", "16:00", "19:00", 400.0),
    )
    .await;
    assert!(sustain["errors"].is_null(), "{sustain}");
    let restore = declare(
        &app,
        None,
        &ids,
        &ids.restore,
        window("2025-02-25", "00:00", "06:00", 300.0),
    )
    .await;
    assert!(restore["errors"].is_null(), "{restore}");
    let fsp = app.sign_up_participant("keen@twilight.example").await;
    let opted = app
        .graphql_as(
            &fsp.cookie,
            "mutation { updateMyPreferences(preferences: {monthlyInvoices: false, weeklyAcceptedDeclarations: true, dailySchedules: false}) { weeklyAcceptedDeclarations } }",
            json!({}),
        )
        .await;
    assert!(opted["errors"].is_null(), "{opted}");
    // Sessions idle out over the hours below; the FSP's system reads with its token.
    let token = app.twilight_token().await;
    let csv = async |app: &TestApp| {
        let response = app
            .request(
                axum::http::Request::get(format!(
                    "/api/v2/accepted-availability?week_commencing={NEXT_WEEK}&format=csv"
                ))
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .expect("request"),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        response.text()
    };

    // Locked at Wednesday 23:59, but still the operator's to decide until Thursday 12:00.
    after_the_lock(&mut app).await;
    backend::jobs::run_due(&app.state).await;
    let undecided = csv(&app).await;
    assert!(
        undecided.lines().count() == 3
            && undecided
                .lines()
                .skip(1)
                .all(|l| l.ends_with(",declared,,,,")),
        "{undecided}"
    );
    app.clock.set(crate::dispatch::at("2025-02-20T11:59:59Z"));
    backend::jobs::run_due(&app.state).await;
    assert_eq!(
        csv(&app).await,
        undecided,
        "nothing before the acceptance time"
    );

    app.clock.set(crate::dispatch::at("2025-02-20T12:05:00Z"));
    backend::jobs::run_due(&app.state).await;
    let settled = csv(&app).await;
    let lines: Vec<&str> = settled.lines().collect();
    assert_eq!(
        lines[1..],
        [
            format!(
                "twilight-zone,Restore,{},API Test,2025-02-25,00:00,06:00,300,rejected,,,,undecided_at_deadline",
                ids.group
            ),
            format!(
                "twilight-zone,Sustain,{},API Test,2025-02-24,16:00,19:00,400,accepted,2025-02-24T16:00:00Z,2025-02-24T19:00:00Z,400,undecided_at_deadline",
                ids.group
            ),
        ],
        "{settled}"
    );
    backend::jobs::run_due(&app.state).await;
    assert_eq!(csv(&app).await, settled, "settled once");

    let email = format!("{}@ssen.example", uuid::Uuid::new_v4().simple());
    app.default_cookie = Some(app.sign_up_operator(&email, "SSEN").await.cookie);
    let audit = app
        .graphql("{ auditLog { event detail } }", json!({}))
        .await;
    let events: Vec<&str> = audit["data"]["auditLog"]
        .as_array()
        .expect("audit log")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert!(
        events.contains(&"availability_accepted_at_deadline")
            && events.contains(&"availability_rejected_at_deadline"),
        "{audit}"
    );
    // The Thursday 12:05 e-mail says which windows the policy decided.
    let mail = smtp
        .messages()
        .await
        .into_iter()
        .find(|m| m.contains("Weekly Accepted Declarations"))
        .expect("the Thursday e-mail");
    let mail = crate::digests::decoded(&mail).replace("\r\n", "\n");
    assert!(
        mail.contains("400 kW accepted (no decision by the acceptance time: accepted by the programme's policy)")
            && mail.contains("rejected by the programme's policy")
            && mail.contains("2025-02-25 00:00–06:00, 300 kW declared"),
        "{mail}"
    );
}

async fn bad_windows_are_refused_with_the_field_and_reason(engine: Engine) {
    let app = TestApp::spawn(engine, Some(SSEN)).await;
    let ids = twilight_ids(&app).await;
    declare(
        &app,
        None,
        &ids,
        &ids.sustain,
        window("2025-02-24", "10:00", "12:00", 100.0),
    )
    .await;
    let cases = [
        (
            window("2025-02-24", "11:00", "13:00", 100.0),
            "start",
            "overlaps the window 10:00–12:00",
        ),
        (
            window("2025-02-24", "15:00", "14:00", 100.0),
            "end",
            "after the start",
        ),
        (
            window("2025-02-24", "15:00", "16:00", 0.0),
            "kw",
            "more than zero",
        ),
        (
            window("2025-02-24", "15:00", "16:00", -5.0),
            "kw",
            "more than zero",
        ),
        (
            window("2025-02-24", "15:00", "16:00", 500.5),
            "kw",
            "capacity of 500 kW",
        ),
        (
            window("2025-03-30", "01:30", "03:00", 100.0),
            "start",
            "clocks go forward",
        ),
        (
            window("24/02/2025", "15:00", "16:00", 100.0),
            "date",
            "YYYY-MM-DD",
        ),
        (
            window("2025-02-24", "3pm", "16:00", 100.0),
            "start",
            "HH:MM",
        ),
    ];
    for (input, field, reason) in cases {
        let refused = declare(&app, None, &ids, &ids.sustain, input.clone()).await;
        assert_eq!(
            error_code(&refused),
            Some("INVALID_INPUT"),
            "{input}: {refused}"
        );
        let error = &refused["errors"][0];
        assert_eq!(error["extensions"]["field"], field, "{input}: {refused}");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains(reason)),
            "{input}: {refused}"
        );
    }
    // Touching windows are not overlapping.
    let next = declare(
        &app,
        None,
        &ids,
        &ids.sustain,
        window("2025-02-24", "12:00", "13:00", 100.0),
    )
    .await;
    assert_eq!(
        next["data"]["declareAvailability"]["status"], "DECLARED",
        "{next}"
    );
}

async fn other_operators_and_companies_see_nothing(engine: Engine) {
    let app = TestApp::spawn(engine, Some(SSEN)).await;
    let ids = twilight_ids(&app).await;
    let declared = declare(
        &app,
        None,
        &ids,
        &ids.sustain,
        window("2025-02-24", "10:00", "12:00", 100.0),
    )
    .await;
    let id = declared["data"]["declareAvailability"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let npg = app
        .sign_up_operator("control@npg.example", "Northern Powergrid")
        .await;
    let week = app
        .graphql_as(
            &npg.cookie,
            WEEK,
            json!({"g": ids.group, "p": ids.sustain, "w": NEXT_WEEK}),
        )
        .await;
    assert_eq!(error_code(&week), Some("NOT_FOUND"), "{week}");
    let remove = app
        .graphql_as(
            &npg.cookie,
            "mutation($id: String!) { removeAvailability(windowId: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&remove), Some("NOT_FOUND"));
    let rows = app
        .get_with(
            &format!("/api/v2/accepted-availability?week_commencing={NEXT_WEEK}"),
            &npg.cookie,
        )
        .await
        .json();
    assert_eq!(rows, json!([]));
    let link = app
        .invite(
            "ops@other.example",
            shared::Role::Participant,
            Some("Other Flex Ltd"),
        )
        .await;
    let other = app.complete_sign_up("ops@other.example", &link).await;
    let rows = app
        .get_with(
            &format!("/api/v2/accepted-availability?week_commencing={NEXT_WEEK}"),
            &other.cookie,
        )
        .await
        .json();
    assert_eq!(rows, json!([]));
}
