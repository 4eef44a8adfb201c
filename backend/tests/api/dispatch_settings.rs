//! Dispatch Settings and Dispatch V2 Testing: endpoints checked, messages signed so that a
//! Standard Webhooks verifier accepts them, every attempt recorded.

use crate::helpers::{Engine, SSEN, TestApp, both_databases, error_code};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use backend::seed::API_TEST_UNIT_ID;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

both_databases!(
    test_messages_are_signed_sent_and_recorded,
    endpoints_are_checked_before_anything_is_sent,
    two_racing_first_saves_create_one_secret,
    the_operator_decides_which_channels_a_company_may_use,
);

type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A receiver on 127.0.0.1 answering `status` to `POST /fsp/dispatch`; returns its base
/// URL (`…/fsp`).
async fn receiver(status: StatusCode) -> (String, Received) {
    let received: Received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    let app = Router::new().route(
        "/fsp/dispatch",
        post(move |headers: HeaderMap, body: Bytes| {
            let store = store.clone();
            async move {
                store.lock().expect("lock").push((headers, body));
                (status, "received")
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

const SETTINGS: &str = "mutation($u: String, $d: DeliveryChannel!) { updateDispatchSettings(endpointUrl: $u, delivery: $d) { endpointUrl delivery secretHint newSecret } }";
const ROTATE: &str = "mutation { rotateSigningSecret { secret settings { secretHint } } }";
const SEND: &str = "mutation($m: TestDispatchInput!) { sendTestDispatch(message: $m) { url parameters success outcome attempt { messageId statusCode } } }";

fn message(instruction: &str, units: &str) -> Value {
    json!({"m": {"dispatchId": "TEST-0001", "instruction": instruction, "start": "2025-02-17T16:00:00Z",
                 "end": "2025-02-17T18:00:00Z", "powerChangeKw": 250.0, "meterableUnitIds": units}})
}

async fn fsp_app(engine: Engine) -> TestApp {
    let mut app = TestApp::spawn_with(engine, |s| s.allow_private_endpoints = true).await;
    // Receivers check the signature's timestamp against their own clock.
    app.clock.set_to_real_time();
    app.default_cookie = Some(app.sign_up_participant("fsp@twilight.example").await.cookie);
    app
}

async fn test_messages_are_signed_sent_and_recorded(engine: Engine) {
    let app = fsp_app(engine).await;
    let (base, received) = receiver(StatusCode::OK).await;
    let set = app
        .graphql(SETTINGS, json!({"u": format!("{base}/"), "d": "API"}))
        .await;
    assert_eq!(
        set["data"]["updateDispatchSettings"]["endpointUrl"], base,
        "{set}"
    );
    // The first endpoint saved gets its signing secret at once, shown in this answer only:
    // no dispatch can go out unsigned.
    let first = set["data"]["updateDispatchSettings"]["newSecret"]
        .as_str()
        .unwrap_or_else(|| panic!("no secret with the first endpoint: {set}"))
        .to_owned();
    assert!(first.starts_with("whsec_"), "{set}");
    assert!(
        set["data"]["updateDispatchSettings"]["secretHint"]
            .as_str()
            .is_some_and(|h| h.ends_with(&first[first.len() - 4..])),
        "{set}"
    );
    let again = app
        .graphql(SETTINGS, json!({"u": format!("{base}/"), "d": "API"}))
        .await;
    assert!(
        again["data"]["updateDispatchSettings"]["newSecret"].is_null(),
        "a second save shows no secret: {again}"
    );
    let signed = app.graphql(SEND, message("STOP", API_TEST_UNIT_ID)).await;
    assert_eq!(
        signed["data"]["sendTestDispatch"]["success"], true,
        "{signed}"
    );
    {
        let (headers, body) = received.lock().expect("lock")[0].clone();
        standardwebhooks::Webhook::new(&first)
            .expect("secret")
            .verify(&body, &headers)
            .expect("signed with the secret the first save showed");
        received.lock().expect("lock").clear();
    }

    let rotated = app.graphql(ROTATE, json!({})).await;
    let secret = rotated["data"]["rotateSigningSecret"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{rotated}");
    let hint = rotated["data"]["rotateSigningSecret"]["settings"]["secretHint"]
        .as_str()
        .expect("hint");
    assert!(hint.ends_with(&secret[secret.len() - 4..]) && !hint.contains(&secret[6..20]));

    let sent = app.graphql(SEND, message("START", API_TEST_UNIT_ID)).await;
    let result = &sent["data"]["sendTestDispatch"];
    assert_eq!(result["success"], true, "{sent}");
    assert_eq!(result["url"], format!("{base}/dispatch"));
    assert!(
        result["outcome"]
            .as_str()
            .is_some_and(|o| o.starts_with("Success: HTTP 200 in ")),
        "{sent}"
    );
    assert!(
        result["parameters"]
            .as_str()
            .is_some_and(|p| p.contains("TEST-0001")
                && p.contains("START")
                && p.contains(API_TEST_UNIT_ID))
    );

    let (headers, body) = received.lock().expect("lock")[0].clone();
    standardwebhooks::Webhook::new(&secret)
        .expect("secret")
        .verify(&body, &headers)
        .expect("a Standard Webhooks verifier accepts the message");
    let payload: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(
        headers["webhook-id"].to_str().ok(),
        payload["message_id"].as_str()
    );
    assert_eq!(result["attempt"]["messageId"], payload["message_id"]);
    for (field, value) in [
        ("version", json!("2")),
        ("type", json!("dispatch.start")),
        ("instruction", json!("START")),
        ("dispatch_id", json!("TEST-0001")),
        ("start", json!("2025-02-17T16:00:00Z")),
        ("end", json!("2025-02-17T18:00:00Z")),
        ("power_change_kw", json!(250.0)),
        ("meterable_unit_ids", json!([API_TEST_UNIT_ID])),
        ("test", json!(true)),
    ] {
        assert_eq!(payload[field], value, "{field} in {payload}");
    }
    assert_eq!(payload["zone"]["id"], "twilight-zone");
    assert_eq!(payload["dispatch_group"]["name"], "API Test");
    // It is the documented START, as the FSP's receiver would read it.
    let typed: shared::webhooks::Message = serde_json::from_slice(&body).expect("a message");
    assert!(
        matches!(&typed, shared::webhooks::Message::Start(m) if m.test),
        "{typed:?}"
    );

    let schedule = app
        .graphql(SEND, message("SCHEDULE", API_TEST_UNIT_ID))
        .await;
    assert_eq!(
        schedule["data"]["sendTestDispatch"]["success"], true,
        "{schedule}"
    );
    let (_, body) = received.lock().expect("lock")[1].clone();
    let payload: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(
        payload["period"],
        json!({"start": "2025-02-17T16:00:00Z", "end": "2025-02-17T18:00:00Z"})
    );
    assert_eq!(payload["dispatches"][0]["dispatch_id"], "TEST-0001");

    // A failing receiver and a closed port are reported, and recorded for the health panel.
    let (failing, _) = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    app.graphql(SETTINGS, json!({"u": failing, "d": "API"}))
        .await;
    let failed = app.graphql(SEND, message("STOP", API_TEST_UNIT_ID)).await;
    assert_eq!(failed["data"]["sendTestDispatch"]["success"], false);
    assert!(
        failed["data"]["sendTestDispatch"]["outcome"]
            .as_str()
            .is_some_and(|o| o.starts_with("Failed: HTTP 500")),
        "{failed}"
    );
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    app.graphql(
        SETTINGS,
        json!({"u": format!("http://127.0.0.1:{closed}"), "d": "API"}),
    )
    .await;
    let refused = app.graphql(SEND, message("CANCEL", API_TEST_UNIT_ID)).await;
    let outcome = refused["data"]["sendTestDispatch"]["outcome"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(outcome.contains("could not connect"), "{refused}");
    let health = app
        .graphql(
            "{ dispatchSettings { recentAttempts { instruction test statusCode error } } }",
            json!({}),
        )
        .await;
    let attempts = health["data"]["dispatchSettings"]["recentAttempts"]
        .as_array()
        .expect("attempts")
        .clone();
    // STOP (signed with the first secret), START, SCHEDULE, STOP (500), CANCEL.
    assert_eq!(attempts.len(), 5, "{health}");
    assert_eq!(attempts[0]["instruction"], "CANCEL");
    assert!(attempts[0]["error"].is_string() && attempts[0]["statusCode"].is_null());
    assert_eq!(attempts[1]["statusCode"], 500);
    assert!(attempts.iter().all(|a| a["test"] == true));

    // Only the company's own units.
    let link = app
        .invite(
            "ops@other.example",
            shared::Role::Participant,
            Some("Other Flex Ltd"),
        )
        .await;
    let other = app.complete_sign_up("ops@other.example", &link).await;
    let units = app
        .graphql_as(
            &other.cookie,
            "{ meterableUnits(zoneId: \"isle-of-skye\") { id } }",
            json!({}),
        )
        .await;
    let theirs = units["data"]["meterableUnits"][0]["id"]
        .as_str()
        .expect("a unit")
        .to_owned();
    let foreign = app
        .graphql(
            SEND,
            message("START", &format!("{API_TEST_UNIT_ID}, {theirs}")),
        )
        .await;
    assert_eq!(
        foreign["errors"][0]["extensions"]["field"], "meterableUnitIds",
        "{foreign}"
    );
}

async fn endpoints_are_checked_before_anything_is_sent(engine: Engine) {
    let app = TestApp::spawn(engine, Some("participant:Twilight Flex Ltd")).await;
    for (url, reason) in [
        ("http://127.0.0.1:9/fsp", "internal or reserved address"),
        (
            "http://169.254.169.254/latest",
            "internal or reserved address",
        ),
        (
            "http://[64:ff9b::a00:1]/fsp",
            "internal or reserved address",
        ),
        (
            "http://[2002:7f00:1::1]/fsp",
            "internal or reserved address",
        ),
        ("http://[::127.0.0.1]/fsp", "internal or reserved address"),
        ("http://100.64.0.1/fsp", "internal or reserved address"),
        ("http://198.18.0.1/fsp", "internal or reserved address"),
        ("http://240.0.0.1/fsp", "internal or reserved address"),
        ("ftp://fsp.example/x", "https"),
        ("not a url", "absolute URL"),
    ] {
        let refused = app.graphql(SETTINGS, json!({"u": url, "d": "API"})).await;
        assert_eq!(
            error_code(&refused),
            Some("INVALID_INPUT"),
            "{url}: {refused}"
        );
        assert_eq!(refused["errors"][0]["extensions"]["field"], "endpointUrl");
        assert!(refused.to_string().contains(reason), "{url}: {refused}");
    }
    // A name that resolves inside: refused without telling the caller what it resolved to.
    let named = app
        .graphql(SETTINGS, json!({"u": "http://localhost:9/fsp", "d": "API"}))
        .await;
    assert!(
        named.to_string().contains("internal or reserved address"),
        "{named}"
    );
    for resolved in ["127.0.0.1", "::1"] {
        assert!(!named.to_string().contains(resolved), "{named}");
    }
    let no_url = app.graphql(SETTINGS, json!({"u": null, "d": "API"})).await;
    assert_eq!(
        no_url["errors"][0]["extensions"]["field"], "endpointUrl",
        "{no_url}"
    );
    let email = app
        .graphql(
            "mutation { updateDispatchSettings(endpointUrl: null, delivery: EMAIL, emailContacts: [\"control@twilight.example\"]) { delivery } }",
            json!({}),
        )
        .await;
    assert_eq!(
        email["data"]["updateDispatchSettings"]["delivery"], "EMAIL",
        "{email}"
    );

    let operator = TestApp::spawn(engine, Some(SSEN)).await;
    let forbidden = operator
        .graphql("{ dispatchSettings { delivery } }", json!({}))
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
}

/// Two first saves at once: the secret is created once, and only one answer shows it.
async fn two_racing_first_saves_create_one_secret(engine: Engine) {
    let app = fsp_app(engine).await;
    let (base, _received) = receiver(StatusCode::OK).await;
    let save = || app.graphql(SETTINGS, json!({"u": base.clone(), "d": "API"}));
    let (a, b) = tokio::join!(save(), save());
    let shown: Vec<&str> = [&a, &b]
        .iter()
        .filter_map(|r| r["data"]["updateDispatchSettings"]["newSecret"].as_str())
        .collect();
    assert_eq!(shown.len(), 1, "{a} {b}");
    let hint = app
        .graphql("{ dispatchSettings { secretHint } }", json!({}))
        .await;
    assert!(
        hint["data"]["dispatchSettings"]["secretHint"]
            .as_str()
            .is_some_and(|h| h.ends_with(&shown[0][shown[0].len() - 4..])),
        "the stored secret is the one shown: {hint}"
    );
}

/// Guide §3.1: whether an FSP may run without the API is the operator's decision. The FSP
/// chooses only among the permitted channels; one withdrawn while in use stays in force
/// (dispatches never stop silently) and the settings say so.
async fn the_operator_decides_which_channels_a_company_may_use(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| s.allow_private_endpoints = true).await;
    let operator = app.sign_up_operator("control@ssen.example", "SSEN").await;
    let fsp = app.sign_up_participant("fsp@twilight.example").await;
    const PERMIT: &str = "mutation($c: String!, $ch: [DeliveryChannel!]!) { setPermittedDelivery(companyId: $c, channels: $ch) { name permittedDelivery } }";
    const SAVE: &str = "mutation($d: DeliveryChannel!) { updateDispatchSettings(delivery: $d, emailContacts: [\"control@twilight.example\"]) { delivery permittedDelivery } }";
    let companies = app
        .graphql_as(
            &operator.cookie,
            "{ companies { id name permittedDelivery } }",
            json!({}),
        )
        .await;
    let twilight = companies["data"]["companies"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "Twilight Flex Ltd"))
        .unwrap_or_else(|| panic!("{companies}"))
        .clone();
    assert_eq!(twilight["permittedDelivery"], json!(["API", "EMAIL"]));
    let id = twilight["id"].as_str().expect("id");

    // By e-mail while both are permitted; then the operator permits the API only.
    let by_email = app
        .graphql_as(&fsp.cookie, SAVE, json!({"d": "EMAIL"}))
        .await;
    assert_eq!(
        by_email["data"]["updateDispatchSettings"]["delivery"], "EMAIL",
        "{by_email}"
    );
    let none = app
        .graphql_as(&operator.cookie, PERMIT, json!({"c": id, "ch": []}))
        .await;
    assert_eq!(error_code(&none), Some("INVALID_INPUT"), "{none}");
    let api_only = app
        .graphql_as(&operator.cookie, PERMIT, json!({"c": id, "ch": ["API"]}))
        .await;
    assert_eq!(
        api_only["data"]["setPermittedDelivery"]["permittedDelivery"],
        json!(["API"]),
        "{api_only}"
    );
    let settings = app
        .graphql_as(
            &fsp.cookie,
            "{ dispatchSettings { delivery permittedDelivery } }",
            json!({}),
        )
        .await;
    assert_eq!(
        settings["data"]["dispatchSettings"],
        json!({"delivery": "EMAIL", "permittedDelivery": ["API"]}),
        "the channel in use stays until the FSP changes it: {settings}"
    );
    let refused = app
        .graphql_as(&fsp.cookie, SAVE, json!({"d": "EMAIL"}))
        .await;
    assert_eq!(error_code(&refused), Some("INVALID_INPUT"), "{refused}");
    assert_eq!(
        refused["errors"][0]["extensions"]["errors"][0]["field"],
        "delivery"
    );
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("only by API")),
        "{refused}"
    );
    // The FSP may not decide this for itself.
    let own = app
        .graphql_as(
            &fsp.cookie,
            PERMIT,
            json!({"c": id, "ch": ["API", "EMAIL"]}),
        )
        .await;
    assert_eq!(error_code(&own), Some("FORBIDDEN"), "{own}");
    let audit = app
        .graphql_as(&operator.cookie, "{ auditLog { event detail } }", json!({}))
        .await;
    assert!(
        audit["data"]["auditLog"].as_array().is_some_and(|a| a
            .iter()
            .any(|e| e["event"] == "company_delivery_permitted"
                && e["detail"] == "Twilight Flex Ltd: dispatches by api")),
        "{audit}"
    );
}
