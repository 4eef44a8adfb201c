//! Delivering dispatch messages: signed START and STOP on time, retries with the same
//! webhook-id, e-mail delivery, the REST list and the subscription stream.

use crate::dispatch::{
    DISPATCH, accepted_window, at, deliver, dispatch_input, fsp_endpoint, receiver,
    signed_in_operator,
};
use crate::helpers::{
    Engine, TestApp, both_databases, error_code, frame, send, socket, twilight_ids,
};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

both_databases!(
    a_dispatch_sends_a_signed_start_at_1545_and_stop_at_1800,
    retries_keep_the_webhook_id_and_an_unreachable_endpoint_is_missed,
    fsps_without_an_api_get_dispatches_by_e_mail,
    an_e_mail_dispatch_the_mail_server_refuses_is_retried,
    fsps_list_their_dispatches_over_rest,
    the_subscription_streams_each_message_as_it_becomes_due,
);

/// Checks a received message's signature exactly as a Standard Webhooks verifier does
/// (the test clock is in 2025, so only the timestamp window is left out).
pub(crate) fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) {
    let id = headers["webhook-id"].to_str().expect("id");
    let timestamp: i64 = headers["webhook-timestamp"]
        .to_str()
        .expect("ts")
        .parse()
        .expect("ts");
    let expected = standardwebhooks::Webhook::new(secret)
        .expect("secret")
        .sign(id, timestamp, body)
        .expect("sign");
    assert_eq!(
        headers["webhook-signature"].to_str().ok(),
        Some(expected.as_str())
    );
}

async fn a_dispatch_sends_a_signed_start_at_1545_and_stop_at_1800(engine: Engine) {
    let mut app = signed_in_operator(engine).await;
    let (url, received) = receiver(0).await;
    let secret = fsp_endpoint(&app, &url).await;
    let ids = twilight_ids(&app).await;
    let window = accepted_window(&mut app, &ids, "15:00", "19:00", 400.0).await;
    let created = app
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
    let messages = &created["data"]["createDispatch"]["messages"];
    assert_eq!(messages[0]["instruction"], "START", "{created}");
    assert_eq!(messages[0]["dueAt"], "2025-02-24T15:45:00+00:00");
    assert_eq!(messages[0]["deadline"], "2025-02-24T16:00:00+00:00");
    assert_eq!(messages[1]["instruction"], "STOP");
    assert_eq!(messages[1]["dueAt"], "2025-02-24T18:00:00+00:00");

    deliver(&app, "2025-02-24T15:44:59Z").await;
    assert!(
        received.lock().expect("lock").is_empty(),
        "nothing before 15:45"
    );
    deliver(&app, "2025-02-24T15:45:00Z").await;
    deliver(&app, "2025-02-24T17:59:59Z").await;
    assert_eq!(
        received.lock().expect("lock").len(),
        1,
        "only the START by 17:59:59"
    );
    deliver(&app, "2025-02-24T18:00:00Z").await;
    let got = received.lock().expect("lock").clone();
    assert_eq!(got.len(), 2);
    for (headers, body) in &got {
        verify(&secret, headers, body);
    }
    let start: Value = serde_json::from_slice(&got[0].1).expect("JSON");
    assert_eq!(start["instruction"], "START");
    assert_eq!(start["sent_at"], "2025-02-24T15:45:00Z");
    assert_eq!(start["start"], "2025-02-24T16:00:00Z");
    assert_eq!(start["power_change_kw"], 300.0);
    assert_eq!(start["programme"], "Sustain");
    assert_eq!(
        start["meterable_unit_ids"],
        json!([backend::seed::API_TEST_UNIT_ID])
    );
    assert_eq!(
        got[0].0["webhook-id"].to_str().ok(),
        start["message_id"].as_str()
    );
    let stop: Value = serde_json::from_slice(&got[1].1).expect("JSON");
    assert_eq!(stop["instruction"], "STOP");
    assert_eq!(stop["dispatch_id"], start["dispatch_id"]);

    let id = created["data"]["createDispatch"]["id"]
        .as_str()
        .expect("id");
    let state = app
        .graphql(
            "query($id: String!) { dispatch(id: $id) { messages { status attempts } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        state["data"]["dispatch"]["messages"],
        json!([{"status": "DELIVERED", "attempts": 1}, {"status": "DELIVERED", "attempts": 1}]),
        "{state}"
    );
}

async fn retries_keep_the_webhook_id_and_an_unreachable_endpoint_is_missed(engine: Engine) {
    let mut app = signed_in_operator(engine).await;
    let (url, received) = receiver(3).await;
    fsp_endpoint(&app, &url).await;
    let ids = twilight_ids(&app).await;
    let window = accepted_window(&mut app, &ids, "15:00", "19:00", 400.0).await;
    let created = app
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
    let id = created["data"]["createDispatch"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // Attempts at 15:45:00, :02, :07 fail; the fourth, at :22, succeeds.
    for now in [
        "2025-02-24T15:45:00Z",
        "2025-02-24T15:45:01Z",
        "2025-02-24T15:45:02Z",
        "2025-02-24T15:45:07Z",
        "2025-02-24T15:45:21Z",
        "2025-02-24T15:45:22Z",
    ] {
        deliver(&app, now).await;
    }
    let got = received.lock().expect("lock").clone();
    assert_eq!(got.len(), 4, "three failures and the delivery");
    let ids_seen: Vec<&str> = got
        .iter()
        .map(|(h, _)| h["webhook-id"].to_str().expect("id"))
        .collect();
    assert!(ids_seen.iter().all(|i| *i == ids_seen[0]), "{ids_seen:?}");
    let state = app
        .graphql(
            "query($id: String!) { dispatch(id: $id) { messages { status attempts } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        state["data"]["dispatch"]["messages"][0],
        json!({"status": "DELIVERED", "attempts": 4}),
        "{state}"
    );

    // The endpoint goes away: the STOP is retried until 18:15 and then missed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    fsp_endpoint(&app, &format!("http://127.0.0.1:{closed}")).await;
    let mut now = at("2025-02-24T18:00:00Z");
    while now <= at("2025-02-24T18:16:00Z") {
        deliver(&app, &now.to_rfc3339()).await;
        now += chrono::Duration::seconds(1);
    }
    let state = app
        .graphql("query($id: String!) { dispatch(id: $id) { messages { messageId instruction status attempts } } }", json!({"id": id}))
        .await;
    let stop = &state["data"]["dispatch"]["messages"][1];
    assert_eq!(stop["status"], "MISSED", "{state}");
    let attempts = stop["attempts"].as_i64().expect("attempts");
    // Due 18:00, missed at 18:15: tried 0, 2, 5, 15 and 30 s after it was due, then a
    // minute after each try (90 s, 150 s, … 870 s: 14 more) until the deadline: 19.
    assert_eq!(
        attempts, 19,
        "retried at 0, 2, 5, 15, 30 s then each minute until 18:15"
    );

    // The operator sees every attempt at the missed STOP.
    let history = app
        .graphql(
            "query($m: String!) { dispatchMessageAttempts(messageId: $m) { attemptedAt statusCode error } }",
            json!({"m": state["data"]["dispatch"]["messages"][1]["messageId"]}),
        )
        .await;
    let tries = history["data"]["dispatchMessageAttempts"]
        .as_array()
        .unwrap_or_else(|| panic!("{history}"));
    assert_eq!(tries.len() as i64, attempts, "{history}");
    assert_eq!(tries[0]["attemptedAt"], "2025-02-24T18:00:00+00:00");
    assert!(tries[0]["statusCode"].is_null());
    assert!(
        tries[0]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{history}"
    );

    // The FSP's endpoint is back: the operator sends the missed STOP again, same id.
    fsp_endpoint(&app, &url).await;
    let stop_id = state["data"]["dispatch"]["messages"][1]["messageId"].clone();
    const RESEND: &str = "mutation($m: String!) { resendDispatchMessage(messageId: $m) { messages { messageId status attempts deadline } } }";
    let now = backend::app::Clock::now(&*app.clock);
    let resent = app.graphql(RESEND, json!({"m": stop_id})).await;
    let again = &resent["data"]["resendDispatchMessage"]["messages"][1];
    assert_eq!(again["status"], "PENDING", "{resent}");
    assert_eq!(again["attempts"], 0);
    assert_eq!(
        again["deadline"].as_str().map(at),
        Some(now + chrono::Duration::minutes(15))
    );
    let before = received.lock().expect("lock").len();
    deliver(&app, &now.to_rfc3339()).await;
    let got = received.lock().expect("lock").clone();
    assert_eq!(got.len(), before + 1);
    assert_eq!(
        got.last().map(|(h, _)| h["webhook-id"].to_str().ok()),
        Some(stop_id.as_str())
    );
    let twice = app.graphql(RESEND, json!({"m": stop_id})).await;
    assert!(
        twice["errors"].is_null(),
        "a delivered message may be sent again: {twice}"
    );
    let busy = app.graphql(RESEND, json!({"m": stop_id})).await;
    assert_eq!(error_code(&busy), Some("CONFLICT"), "{busy}");
    let unknown = app.graphql(RESEND, json!({"m": "msg_nonexistent"})).await;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"), "{unknown}");
}

async fn fsps_without_an_api_get_dispatches_by_e_mail(engine: Engine) {
    let (mut app, smtp) = TestApp::operator_with_mail(engine).await;
    let fsp = app.sign_up_participant("fsp@twilight.example").await;
    const SET: &str = "mutation($c: [String!]!) { updateDispatchSettings(endpointUrl: null, delivery: EMAIL, emailContacts: $c) { delivery emailContacts } }";
    let bad = app
        .graphql_as(
            &fsp.cookie,
            SET,
            json!({"c": ["control-room", "ok@twilight.example"]}),
        )
        .await;
    assert_eq!(
        bad["errors"][0]["extensions"]["field"], "emailContacts",
        "{bad}"
    );
    let none = app.graphql_as(&fsp.cookie, SET, json!({"c": []})).await;
    assert_eq!(
        none["errors"][0]["extensions"]["field"], "emailContacts",
        "{none}"
    );
    let set = app
        .graphql_as(&fsp.cookie, SET, json!({"c": ["Control@Twilight.example"]}))
        .await;
    assert_eq!(
        set["data"]["updateDispatchSettings"],
        json!({"delivery": "EMAIL", "emailContacts": ["control@twilight.example"]}),
        "{set}"
    );

    let ids = twilight_ids(&app).await;
    let window = accepted_window(&mut app, &ids, "15:00", "19:00", 400.0).await;
    let created = app
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
    let dispatch_id = created["data"]["createDispatch"]["id"]
        .as_str()
        .expect("dispatch")
        .to_owned();
    deliver(&app, "2025-02-24T15:45:00Z").await;
    let mails: Vec<String> = smtp
        .messages()
        .await
        .into_iter()
        .map(|m| {
            String::from_utf8_lossy(
                &quoted_printable::decode(
                    m.replace('\n', "\r\n"),
                    quoted_printable::ParseMode::Robust,
                )
                .expect("qp"),
            )
            .into_owned()
        })
        .filter(|m| m.contains("Openflex dispatch"))
        .collect();
    assert_eq!(mails.len(), 1, "one START e-mail");
    let mail = &mails[0];
    assert!(mail.contains("control@twilight.example"), "{mail}");
    assert!(mail.contains("Openflex dispatch START: API Test"), "{mail}");
    assert!(
        mail.contains(&format!("Dispatch {dispatch_id}")) && mail.contains("power change 300 kW"),
        "{mail}"
    );
    let state = app
        .graphql(
            "query($id: String!) { dispatch(id: $id) { messages { status } } }",
            json!({"id": dispatch_id}),
        )
        .await;
    assert_eq!(
        state["data"]["dispatch"]["messages"][0]["status"], "DELIVERED",
        "{state}"
    );
}

/// An API token for a new Twilight FSP user.
async fn get_bearer(app: &TestApp, uri: &str, token: &str) -> crate::helpers::TestResponse {
    app.request(
        axum::http::Request::get(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await
}

async fn fsps_list_their_dispatches_over_rest(engine: Engine) {
    let mut app = signed_in_operator(engine).await;
    let ids = twilight_ids(&app).await;
    let window = accepted_window(&mut app, &ids, "15:00", "19:00", 400.0).await;
    let created = app
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
    let id = created["data"]["createDispatch"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let token = app.twilight_token().await;

    let listed = get_bearer(
        &app,
        "/api/v2/dispatches?from=2025-02-24T00:00:00Z&to=2025-02-25T00:00:00Z",
        &token,
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text());
    let list = listed.json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["power_change_kw"], 300.0);
    assert_eq!(list[0]["messages"][0]["instruction"], "START");
    assert_eq!(list[0]["messages"][0]["status"], "PENDING");
    assert_eq!(list[0]["messages"][1]["instruction"], "STOP");
    // The week before has none.
    let before = get_bearer(
        &app,
        "/api/v2/dispatches?from=2025-02-17T00:00:00Z&to=2025-02-24T00:00:00Z",
        &token,
    )
    .await;
    assert_eq!(before.json(), json!([]));

    let one = get_bearer(&app, &format!("/api/v2/dispatches/{id}"), &token).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["dispatch_group"], "API Test");

    // A malformed parameter is 400; well-formed times that break the period's rules, 422.
    for (query, status, field) in [
        ("to=2025-02-25T00:00:00Z", StatusCode::BAD_REQUEST, "from"),
        (
            "from=24/02/2025&to=2025-02-25T00:00:00Z",
            StatusCode::BAD_REQUEST,
            "from",
        ),
        (
            "from=2025-02-24T00:00:00Z&to=2025-02-23T00:00:00Z",
            StatusCode::UNPROCESSABLE_ENTITY,
            "to",
        ),
        (
            "from=2025-01-01T00:00:00Z&to=2025-06-01T00:00:00Z",
            StatusCode::UNPROCESSABLE_ENTITY,
            "to",
        ),
    ] {
        let refused = get_bearer(&app, &format!("/api/v2/dispatches?{query}"), &token).await;
        assert_eq!(refused.status, status, "{query}");
        assert_eq!(refused.json()["errors"][0]["field"], field, "{query}");
    }

    // Another company sees none of it.
    let email = format!("{}@other.example", uuid::Uuid::new_v4().simple());
    let link = app
        .invite(&email, shared::Role::Participant, Some("Other Flex Ltd"))
        .await;
    let other = app.complete_sign_up(&email, &link).await;
    let theirs = app
        .graphql_as(
            &other.cookie,
            "query($f: String!, $t: String!) { dispatches(from: $f, to: $t) { id } }",
            json!({"f": "2025-02-24T00:00:00Z", "t": "2025-02-25T00:00:00Z"}),
        )
        .await;
    assert_eq!(theirs["data"]["dispatches"], json!([]), "{theirs}");
    let hidden = app
        .request(
            axum::http::Request::get(format!("/api/v2/dispatches/{id}"))
                .header("cookie", &other.cookie)
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

const STREAM: &str = "subscription { dispatchMessages(since: \"2025-02-20T00:00:00Z\") { messageId instruction dispatchId issuedAt body } }";

async fn the_subscription_streams_each_message_as_it_becomes_due(engine: Engine) {
    let mut app = signed_in_operator(engine).await;
    let (url, received) = receiver(0).await;
    fsp_endpoint(&app, &url).await;
    let ids = twilight_ids(&app).await;
    let window = accepted_window(&mut app, &ids, "15:00", "19:00", 400.0).await;
    let token = app.twilight_token().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });

    // Another site's page may not open a socket with the user's cookie.
    match socket(addr, &[("origin", "https://evil.example")]).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
        }
        other => panic!("a cross-site socket was not refused: {:?}", other.err()),
    }
    // A wrong token in connection_init closes the socket.
    let mut wrong = socket(addr, &[]).await.expect("socket");
    send(
        &mut wrong,
        json!({"type": "connection_init", "payload": {"Authorization": "Bearer oflx_wrong"}}),
    )
    .await;
    assert_eq!(frame(&mut wrong).await["close"], 1002);
    // Operators follow dispatches on their page, not on the FSPs' stream.
    let operator_cookie = app.default_cookie.clone().expect("operator session");
    let mut operator = socket(addr, &[("cookie", &operator_cookie)])
        .await
        .expect("socket");
    send(&mut operator, json!({"type": "connection_init"})).await;
    assert_eq!(frame(&mut operator).await["type"], "connection_ack");
    send(
        &mut operator,
        json!({"id": "1", "type": "subscribe", "payload": {"query": STREAM}}),
    )
    .await;
    let refused = frame(&mut operator).await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );

    // The FSP's system subscribes with its token, as a graphql-ws client does. `since`
    // fixes where the stream starts: a socket served late must not start after 15:45.
    let mut fsp = socket(addr, &[]).await.expect("socket");
    send(
        &mut fsp,
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}}),
    )
    .await;
    assert_eq!(frame(&mut fsp).await["type"], "connection_ack");
    send(
        &mut fsp,
        json!({"id": "s", "type": "subscribe", "payload": {"query": STREAM}}),
    )
    .await;
    let created = app
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
    let dispatch = &created["data"]["createDispatch"];
    let start_id = dispatch["messages"][0]["messageId"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"));

    // Due at 15:45: streamed, and the webhook carries the same id.
    app.clock.set(at("2025-02-24T15:45:00Z"));
    let start = frame(&mut fsp).await;
    assert_eq!(start["type"], "next", "{start}");
    let start = &start["payload"]["data"]["dispatchMessages"];
    assert_eq!(start["instruction"], "START");
    assert_eq!(start["messageId"], start_id);
    assert_eq!(start["dispatchId"], dispatch["id"]);
    assert_eq!(start["issuedAt"], "2025-02-24T15:45:00+00:00");
    let body: Value = serde_json::from_str(start["body"].as_str().expect("body")).expect("JSON");
    assert_eq!(body["power_change_kw"], 300.0);
    deliver(&app, "2025-02-24T15:45:00Z").await;
    assert_eq!(
        received.lock().expect("lock")[0].0["webhook-id"]
            .to_str()
            .ok(),
        Some(start_id)
    );
    // Then the STOP at 18:00, and nothing twice.
    app.clock.set(at("2025-02-24T18:00:00Z"));
    let stop = frame(&mut fsp).await;
    assert_eq!(
        stop["payload"]["data"]["dispatchMessages"]["instruction"], "STOP",
        "{stop}"
    );
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(2_500), async {
        frame(&mut fsp).await
    })
    .await;
    assert!(quiet.is_err(), "a message came twice: {quiet:?}");
}

async fn an_e_mail_dispatch_the_mail_server_refuses_is_retried(engine: Engine) {
    // Nothing listens on this port: the mail server is down.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut app = TestApp::spawn_with(engine, move |s| {
        s.smtp_url = Some(format!("smtp://127.0.0.1:{closed}"));
    })
    .await;
    let email = format!("{}@ssen.example", uuid::Uuid::new_v4().simple());
    app.default_cookie = Some(app.sign_up_operator(&email, "SSEN").await.cookie);
    let fsp = app.sign_up_participant("fsp@twilight.example").await;
    let set = app
        .graphql_as(
            &fsp.cookie,
            "mutation { updateDispatchSettings(endpointUrl: null, delivery: EMAIL, emailContacts: [\"control@twilight.example\"]) { delivery } }",
            json!({}),
        )
        .await;
    assert!(set["errors"].is_null(), "{set}");
    let ids = twilight_ids(&app).await;
    let window = accepted_window(&mut app, &ids, "15:00", "19:00", 400.0).await;
    let created = app
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
    let id = created["data"]["createDispatch"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    deliver(&app, "2025-02-24T15:45:00Z").await;
    let state = app
        .graphql(
            "query($id: String!) { dispatch(id: $id) { messages { status attempts lastError } } }",
            json!({"id": id}),
        )
        .await;
    let start = &state["data"]["dispatch"]["messages"][0];
    assert_eq!(
        start["status"], "PENDING",
        "not delivered while the mail server is down: {state}"
    );
    assert_eq!(start["attempts"], 1);
    assert!(
        start["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("control@twilight.example")),
        "{state}"
    );
    // Retried like a failed POST: again two seconds later, and still not given up.
    deliver(&app, "2025-02-24T15:45:01Z").await;
    deliver(&app, "2025-02-24T15:45:02Z").await;
    let state = app
        .graphql(
            "query($id: String!) { dispatch(id: $id) { messages { status attempts } } }",
            json!({"id": id}),
        )
        .await;
    let start = &state["data"]["dispatch"]["messages"][0];
    assert_eq!(start["attempts"], 2, "{state}");
    assert_eq!(start["status"], "PENDING", "{state}");
}
