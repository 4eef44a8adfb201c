//! GraphQL WebSockets: a revoked credential closes its socket within seconds, and oversized
//! messages or too many operations are refused.

use crate::helpers::{Engine, TestApp, both_databases, frame, send, socket};
use crate::security::CREATE_TOKEN;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::time::Instant;

both_databases!(
    a_token_socket_closes_within_two_seconds_of_its_token_being_replaced,
    a_session_socket_stops_answering_after_logout,
    sockets_refuse_oversized_messages_and_too_many_operations,
);

/// Reads frames until the socket closes; the close code, or None if it stays open `within`.
async fn closes_within(
    socket: &mut crate::helpers::Socket,
    within: std::time::Duration,
) -> Option<Value> {
    tokio::time::timeout(within, async {
        loop {
            let next = frame(socket).await;
            if next.get("close").is_some() || next.get("error").is_some() {
                return next;
            }
        }
    })
    .await
    .ok()
}

async fn a_token_socket_closes_within_two_seconds_of_its_token_being_replaced(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let fsp = app.sign_up_participant("ws@twilight.example").await;
    let created = app.graphql_as(&fsp.cookie, CREATE_TOKEN, json!({})).await;
    let token = created["data"]["createApiToken"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let addr = app.serve().await;
    let mut by_token = socket(addr, &[]).await.expect("socket");
    send(
        &mut by_token,
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}}),
    )
    .await;
    assert_eq!(frame(&mut by_token).await["type"], "connection_ack");
    send(
        &mut by_token,
        json!({"id": "1", "type": "subscribe", "payload": {"query": "{ zones { id } }"}}),
    )
    .await;
    let answer = frame(&mut by_token).await;
    assert_eq!(answer["type"], "next", "{answer}");
    assert!(answer["payload"]["data"]["zones"].is_array(), "{answer}");

    app.graphql_as(&fsp.cookie, CREATE_TOKEN, json!({})).await;
    let replaced = Instant::now();
    let closed = closes_within(&mut by_token, std::time::Duration::from_secs(5))
        .await
        .expect("the socket closed");
    assert_eq!(closed["close"], 4403, "{closed}");
    assert!(
        replaced.elapsed() < std::time::Duration::from_secs(2),
        "closed only after {:?}",
        replaced.elapsed()
    );
}

async fn a_session_socket_stops_answering_after_logout(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let fsp = app.sign_up_participant("session-ws@twilight.example").await;
    let addr = app.serve().await;
    let mut by_session = socket(addr, &[("cookie", &fsp.cookie)])
        .await
        .expect("socket");
    send(&mut by_session, json!({"type": "connection_init"})).await;
    assert_eq!(frame(&mut by_session).await["type"], "connection_ack");
    send(
        &mut by_session,
        json!({"id": "1", "type": "subscribe", "payload": {"query": "{ me { email } }"}}),
    )
    .await;
    let answer = frame(&mut by_session).await;
    assert_eq!(
        answer["payload"]["data"]["me"]["email"], "session-ws@twilight.example",
        "{answer}"
    );
    assert_eq!(frame(&mut by_session).await["type"], "complete");

    let out = app
        .post_json("/auth/logout", json!({}), Some(&fsp.cookie))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    // The next operation is refused, not answered, and the socket closes.
    send(
        &mut by_session,
        json!({"id": "2", "type": "subscribe", "payload": {"query": "{ me { email } }"}}),
    )
    .await;
    let mut seen = Vec::new();
    let closed = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        loop {
            let next = frame(&mut by_session).await;
            if next.get("close").is_some() {
                return next;
            }
            seen.push(next);
        }
    })
    .await
    .expect("closed within 2 s of logout");
    assert_eq!(closed["close"], 4403, "{closed}");
    for message in &seen {
        assert!(
            message["payload"]["data"]["me"].is_null(),
            "answered after logout: {message}"
        );
    }
}

async fn sockets_refuse_oversized_messages_and_too_many_operations(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let token = app.twilight_token().await;
    let addr = app.serve().await;
    let open = || async {
        let mut ws = socket(addr, &[]).await.expect("socket");
        send(
            &mut ws,
            json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}}),
        )
        .await;
        assert_eq!(frame(&mut ws).await["type"], "connection_ack");
        ws
    };
    // 70 KiB in one message: the socket is dropped, nothing is parsed.
    let mut big = open().await;
    let padding = "x".repeat(70 * 1024);
    send(
        &mut big,
        json!({"id": "1", "type": "subscribe", "payload": {"query": format!("{{ zones {{ id }} }} # {padding}")}}),
    )
    .await;
    let ended = frame(&mut big).await;
    assert!(
        ended.get("close").is_some() || ended.get("error").is_some(),
        "{ended}"
    );
    // Sixteen running subscriptions are the most one socket may hold.
    let mut ws = open().await;
    let stream = "subscription { dispatchMessages { messageId } }";
    for id in 0..16 {
        send(
            &mut ws,
            json!({"id": id.to_string(), "type": "subscribe", "payload": {"query": stream}}),
        )
        .await;
    }
    send(
        &mut ws,
        json!({"id": "17th", "type": "subscribe", "payload": {"query": stream}}),
    )
    .await;
    let refused = frame(&mut ws).await;
    assert_eq!(refused["id"], "17th", "{refused}");
    assert!(
        refused.to_string().contains("at most 16 operations"),
        "{refused}"
    );
}
