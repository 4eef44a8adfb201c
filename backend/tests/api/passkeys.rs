//! Passkeys: registering one needs a fresh second factor, the ceremonies need the right
//! session and a pending challenge, and a second-factor reset removes them.

use crate::accounts::sign_in;
use crate::helpers::{Engine, TestApp, both_databases, test_now, totp_code};
use crate::security::user_id_by_email;
use axum::http::StatusCode;
use backend::db::entities::{passkeys, sessions, users};
use backend::testing::SmtpSink;
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

both_databases!(
    a_second_factor_reset_also_removes_passkeys,
    adding_a_passkey_needs_a_fresh_second_factor,
    passkey_ceremonies_need_the_right_session_and_a_pending_challenge,
);

async fn a_second_factor_reset_also_removes_passkeys(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let ssen = app.sign_up_operator("ops@ssen.example", "SSEN").await;
    let user = app.sign_up_participant("keys@twilight.example").await;
    let row = users::Entity::find()
        .filter(users::Column::Email.eq(user.email.as_str()))
        .one(&app.db)
        .await
        .expect("query")
        .expect("user");
    use sea_orm::{ActiveModelTrait, Set};
    passkeys::ActiveModel {
        public_id: Set(backend::ids::new_public_id().to_string()),
        user_id: Set(row.id),
        credential_id: Set("cred".to_owned()),
        name: Set("Laptop".to_owned()),
        passkey_json: Set("{}".to_owned()),
        created_at: Set(test_now()),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("passkey");
    let id = user_id_by_email(&app, &ssen.cookie, &user.email).await;
    let reset = app
        .graphql_as(
            &ssen.cookie,
            "mutation($id: String!) { resetSecondFactor(id: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(reset["data"]["resetSecondFactor"], true, "{reset}");
    let left = passkeys::Entity::find()
        .filter(passkeys::Column::UserId.eq(row.id))
        .all(&app.db)
        .await
        .expect("query");
    assert!(left.is_empty(), "{left:?}");
}

async fn adding_a_passkey_needs_a_fresh_second_factor(engine: Engine) {
    let smtp = SmtpSink::start().await.expect("SMTP listener");
    let url = smtp.url();
    let app = TestApp::spawn_with(engine, move |s| s.smtp_url = Some(url)).await;
    let user = app.sign_up_participant("fresh@twilight.example").await;
    let begin = app
        .post_json(
            "/auth/passkey/register/begin",
            json!({}),
            Some(&user.cookie),
        )
        .await;
    assert_eq!(
        begin.status,
        StatusCode::OK,
        "just signed in: {}",
        begin.text()
    );
    app.clock.advance(Duration::minutes(6));
    let stale = app
        .post_json(
            "/auth/passkey/register/begin",
            json!({}),
            Some(&user.cookie),
        )
        .await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stale.json()["errors"][0]["field"], "code");
    let wrong = app
        .post_json(
            "/auth/step-up",
            json!({"code": "000000"}),
            Some(&user.cookie),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let stepped = app
        .post_json(
            "/auth/step-up",
            json!({"code": totp_code(&user.secret, app.now())}),
            Some(&user.cookie),
        )
        .await;
    assert_eq!(stepped.status, StatusCode::NO_CONTENT, "{}", stepped.text());
    let fresh = app
        .post_json(
            "/auth/passkey/register/begin",
            json!({}),
            Some(&user.cookie),
        )
        .await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text());
    let session = sessions::Entity::find()
        .all(&app.db)
        .await
        .expect("sessions")
        .into_iter()
        .find(|s| s.second_factor_at == Some(app.now()));
    assert!(session.is_some(), "the step-up is recorded on the session");
}

async fn passkey_ceremonies_need_the_right_session_and_a_pending_challenge(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let user = app.sign_up_participant("keys@example.com").await;
    let challenge = app
        .post_json(
            "/auth/passkey/register/begin",
            json!({}),
            Some(&user.cookie),
        )
        .await;
    assert_eq!(challenge.status, StatusCode::OK, "{}", challenge.text());
    let public_key = &challenge.json()["publicKey"];
    assert_eq!(public_key["rp"]["id"], "localhost");
    assert!(public_key["challenge"].is_string());

    app.clock.advance(Duration::seconds(30));
    let pending = sign_in(&app, &user.email).await;
    // A half-signed-in session cannot register a passkey...
    assert_eq!(
        app.post_json("/auth/passkey/register/begin", json!({}), Some(&pending))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // ...and an account without one is told to use its code.
    let none = app
        .post_json("/auth/passkey/begin", json!({}), Some(&pending))
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.text().contains("no passkey"), "{}", none.text());

    let keys = app
        .graphql_as(&user.cookie, "{ passkeys { id } }", json!({}))
        .await;
    assert_eq!(keys["data"]["passkeys"], json!([]));
    let removed = app
        .graphql_as(
            &user.cookie,
            "mutation { removePasskey(id: \"AAAAAAAAAAAAAAAAAAAA\") }",
            json!({}),
        )
        .await;
    assert_eq!(crate::helpers::error_code(&removed), Some("NOT_FOUND"));
}
