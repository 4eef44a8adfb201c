//! Invitations, passwords, the TOTP second factor and sessions.

use crate::helpers::{Engine, PASSWORD, TestApp, both_databases, link_token, test_now, totp_code};
use axum::http::StatusCode;
use backend::db::entities::{audit_events, auth_tokens, sessions, users};
use backend::testing::SmtpSink;
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use shared::Role;

both_databases!(
    invitation_mail_leads_through_totp_enrolment_into_the_app,
    invitation_link_works_once,
    invitation_link_expires_after_24_hours,
    second_factor_is_required_and_each_code_works_once,
    wrong_codes_slow_the_account_down,
    wrong_password_and_unknown_e_mail_look_the_same,
    secrets_are_never_stored_in_clear,
    weak_passwords_are_refused_with_the_field_named,
    signing_out_ends_the_session,
    idle_session_expires,
    cross_site_sign_in_is_refused,
    forgot_password_answers_alike_and_mails_only_real_accounts,
    reset_link_sets_a_new_password_but_the_second_factor_stays,
    reset_link_expires_after_an_hour,
    reset_requests_are_limited_per_address,
    e_mail_preferences_start_opted_out_and_can_be_saved,
    sessions_end_after_twelve_hours_however_busy,
    session_cookie_is_host_only_http_only_and_secure_off_localhost,
);

async fn forgot(app: &TestApp, email: &str) -> (StatusCode, serde_json::Value) {
    let response = app
        .post_json("/auth/password/forgot", json!({"email": email}), None)
        .await;
    (response.status, response.json())
}

/// The reset links the SMTP sink has received, in order, once `count` e-mails came.
pub(crate) async fn mailed_links(smtp: &SmtpSink, count: usize) -> Vec<String> {
    let mut links = Vec::new();
    for mail in smtp.wait_for(count).await {
        let decoded = quoted_printable::decode(
            mail.replace('\n', "\r\n"),
            quoted_printable::ParseMode::Robust,
        )
        .expect("quoted-printable");
        let decoded = String::from_utf8_lossy(&decoded).into_owned();
        if let Some(line) = decoded.lines().find(|l| l.contains("/activate#token=")) {
            links.push(line.trim().to_owned());
        }
    }
    links
}

pub(crate) async fn app_with_mail(engine: Engine) -> (TestApp, SmtpSink) {
    let smtp = SmtpSink::start().await.expect("SMTP listener");
    let url = smtp.url();
    let app = TestApp::spawn_with(engine, move |s| s.smtp_url = Some(url)).await;
    (app, smtp)
}

async fn invitation_mail_leads_through_totp_enrolment_into_the_app(engine: Engine) {
    let smtp = SmtpSink::start().await.expect("SMTP listener");
    let url = smtp.url();
    let app = TestApp::spawn_with(engine, move |s| {
        s.smtp_url = Some(url);
    })
    .await;
    app.invite(
        "Ann@Twilight.example",
        Role::Participant,
        Some("Twilight Flex Ltd"),
    )
    .await;

    let messages = smtp.messages().await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let mail = &messages[0];
    assert!(mail.contains("To: ann@twilight.example"), "{mail}");
    assert!(mail.contains("Subject: Your Openflex account"), "{mail}");
    assert!(mail.contains("text/html"), "{mail}");
    // Read it as a mail client would: undo the quoted-printable transfer encoding.
    let decoded = quoted_printable::decode(
        mail.replace('\n', "\r\n"),
        quoted_printable::ParseMode::Robust,
    )
    .expect("quoted-printable");
    let decoded = String::from_utf8_lossy(&decoded);
    let link = decoded
        .lines()
        .find(|l| l.starts_with("http://localhost:8080/activate#token="))
        .unwrap_or_else(|| panic!("no activation link in the plain-text body:\n{decoded}"));

    let user = app.complete_sign_up("ann@twilight.example", link).await;
    let zones = app.get_with("/api/v2/zones", &user.cookie).await;
    assert_eq!(zones.status, StatusCode::OK, "{}", zones.text());
    assert_eq!(zones.json().as_array().map(Vec::len), Some(2));
    let me = app
        .graphql_as(&user.cookie, "{ me { name role organisation } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["role"], "PARTICIPANT");
    assert_eq!(me["data"]["me"]["organisation"], "Twilight Flex Ltd");
}

async fn invitation_link_works_once(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let link = app
        .invite(
            "once@example.com",
            Role::Participant,
            Some("Other Flex Ltd"),
        )
        .await;
    app.complete_sign_up("once@example.com", &link).await;
    let again = app
        .post_json(
            "/auth/activate",
            json!({"token": link_token(&link), "password": "another long passphrase"}),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.json()["errors"][0]["field"], "token");
    assert!(
        again.text().contains("Forgot your password"),
        "{}",
        again.text()
    );
}

async fn invitation_link_expires_after_24_hours(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let link = app
        .invite("late@example.com", Role::Operator, Some("SSEN"))
        .await;
    app.clock
        .advance(Duration::hours(24) + Duration::minutes(1));
    let late = app
        .post_json(
            "/auth/activate",
            json!({"token": link_token(&link), "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(
        late.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        late.text()
    );
    assert_eq!(late.json()["errors"][0]["field"], "token");
}

pub(crate) async fn sign_in(app: &TestApp, email: &str) -> String {
    let login = app
        .post_json(
            "/auth/login",
            json!({"email": email, "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text());
    assert_eq!(login.json()["next"], "second_factor");
    login.session_cookie()
}

async fn second_factor_is_required_and_each_code_works_once(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let user = app.sign_up_participant("twice@example.com").await;
    app.clock.advance(Duration::seconds(30));

    let pending = sign_in(&app, &user.email).await;
    // The half-signed-in session opens nothing.
    assert_eq!(
        app.get_with("/api/v2/zones", &pending).await.status,
        StatusCode::UNAUTHORIZED
    );
    let code = totp_code(&user.secret, app.now());
    let ok = app
        .post_json("/auth/totp", json!({"code": code}), Some(&pending))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let signed_in = ok.session_cookie();
    assert_ne!(
        signed_in, pending,
        "the session id changes at the second factor"
    );
    assert_eq!(
        app.get_with("/api/v2/zones", &signed_in).await.status,
        StatusCode::OK
    );

    let again = sign_in(&app, &user.email).await;
    let replay = app
        .post_json("/auth/totp", json!({"code": code}), Some(&again))
        .await;
    assert_eq!(
        replay.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        replay.text()
    );
    assert!(replay.text().contains("already used"), "{}", replay.text());
}

async fn wrong_codes_slow_the_account_down(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let user = app.sign_up_participant("slow@example.com").await;
    app.clock.advance(Duration::seconds(30));
    let pending = sign_in(&app, &user.email).await;
    let right = totp_code(&user.secret, app.now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let response = app
            .post_json("/auth/totp", json!({"code": wrong}), Some(&pending))
            .await;
        statuses.push(response.status.as_u16());
    }
    assert_eq!(&statuses[..5], [422; 5]);
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    let blocked = app
        .post_json("/auth/totp", json!({"code": right}), Some(&pending))
        .await;
    assert_eq!(
        blocked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right code waits"
    );

    // The slow-down passes; the account is never locked for good.
    app.clock.advance(Duration::minutes(1));
    let pending = sign_in(&app, &user.email).await;
    let ok = app
        .post_json(
            "/auth/totp",
            json!({"code": totp_code(&user.secret, app.now())}),
            Some(&pending),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
}

async fn wrong_password_and_unknown_e_mail_look_the_same(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let user = app.sign_up_participant("pw@example.com").await;
    let wrong_password = app
        .post_json(
            "/auth/login",
            json!({"email": user.email, "password": "not the password"}),
            None,
        )
        .await;
    let unknown = app
        .post_json(
            "/auth/login",
            json!({"email": "nobody@example.com", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.json()["detail"], unknown.json()["detail"]);
}

async fn secrets_are_never_stored_in_clear(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let link = app
        .invite(
            "vault@example.com",
            Role::Participant,
            Some("Twilight Flex Ltd"),
        )
        .await;
    let user = app.complete_sign_up("vault@example.com", &link).await;
    let stored = users::Entity::find().all(&app.db).await.expect("users");
    let row = stored
        .iter()
        .find(|u| u.email == "vault@example.com")
        .expect("user row");
    let hash = row.password_hash.as_deref().expect("password hash");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    let sealed = row.totp_secret_enc.as_deref().expect("sealed secret");
    assert!(!sealed.contains(&user.secret));
    let token = link_token(&link);
    let tokens = auth_tokens::Entity::find()
        .all(&app.db)
        .await
        .expect("tokens");
    assert!(tokens.iter().all(|t| t.token_hash != token));
    assert!(
        tokens
            .iter()
            .any(|t| t.token_hash == backend::crypto::digest(&token))
    );
    let session_value = user.cookie.split_once('=').expect("pair").1.to_owned();
    let stored_sessions = sessions::Entity::find()
        .all(&app.db)
        .await
        .expect("sessions");
    assert!(
        stored_sessions
            .iter()
            .all(|s| s.token_hash != session_value)
    );
    assert!(
        stored_sessions
            .iter()
            .any(|s| s.token_hash == backend::crypto::digest(&session_value))
    );
}

async fn weak_passwords_are_refused_with_the_field_named(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let link = app
        .invite(
            "weak@example.com",
            Role::Participant,
            Some("Twilight Flex Ltd"),
        )
        .await;
    for password in ["short", "password1234"] {
        let response = app
            .post_json(
                "/auth/activate",
                json!({"token": link_token(&link), "password": password}),
                None,
            )
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.json()["errors"][0]["field"], "password");
    }
    // A refused password did not use up the link.
    app.complete_sign_up("weak@example.com", &link).await;
}

async fn signing_out_ends_the_session(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let user = app.sign_up_participant("bye@example.com").await;
    let out = app
        .post_json("/auth/logout", json!({}), Some(&user.cookie))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.session_cookie().ends_with('='), "the cookie is cleared");
    assert_eq!(
        app.get_with("/api/v2/zones", &user.cookie).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn idle_session_expires(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let user = app.sign_up_participant("idle@example.com").await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        app.get_with("/api/v2/zones", &user.cookie).await.status,
        StatusCode::OK
    );
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        app.get_with("/api/v2/zones", &user.cookie).await.status,
        StatusCode::OK,
        "activity keeps the session alive"
    );
    app.clock.advance(Duration::minutes(31));
    assert_eq!(
        app.get_with("/api/v2/zones", &user.cookie).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(test_now() < app.now());
}

async fn cross_site_sign_in_is_refused(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let user = app.sign_up_participant("csrf@example.com").await;
    let response = app
        .request(
            axum::http::Request::post("/graphql")
                .header("content-type", "application/json")
                .header("cookie", &user.cookie)
                .header("origin", "https://evil.example")
                .body(axum::body::Body::from(r#"{"query":"{ zones { id } }"}"#))
                .expect("request"),
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
}

async fn forgot_password_answers_alike_and_mails_only_real_accounts(engine: Engine) {
    let (app, smtp) = app_with_mail(engine).await;
    app.sign_up_participant("real@example.com").await;
    let before = smtp.messages().await.len();
    let known = forgot(&app, "real@example.com").await;
    let unknown = forgot(&app, "ghost@example.com").await;
    assert_eq!(known.0, StatusCode::ACCEPTED);
    assert_eq!(known, unknown);
    let mails = smtp.wait_for(before + 1).await;
    assert_eq!(mails.len(), before + 1);
    assert!(mails[before].contains("Subject: Reset your Openflex password"));
}

async fn reset_link_sets_a_new_password_but_the_second_factor_stays(engine: Engine) {
    let (app, smtp) = app_with_mail(engine).await;
    let user = app.sign_up_participant("reset@example.com").await;
    forgot(&app, &user.email).await;
    let link = mailed_links(&smtp, 2).await.pop().expect("a reset link");
    let set = app
        .post_json(
            "/auth/activate",
            json!({"token": link_token(&link), "password": "a brand new passphrase"}),
            None,
        )
        .await;
    assert_eq!(set.status, StatusCode::NO_CONTENT, "{}", set.text());
    assert_eq!(
        app.get_with("/api/v2/zones", &user.cookie).await.status,
        StatusCode::UNAUTHORIZED,
        "a new password ends the old sessions"
    );
    let login = app
        .post_json(
            "/auth/login",
            json!({"email": user.email, "password": "a brand new passphrase"}),
            None,
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(login.json()["next"], "second_factor");
}

async fn reset_link_expires_after_an_hour(engine: Engine) {
    let (app, smtp) = app_with_mail(engine).await;
    let user = app.sign_up_participant("hour@example.com").await;
    forgot(&app, &user.email).await;
    let link = mailed_links(&smtp, 2).await.pop().expect("a reset link");
    app.clock.advance(Duration::minutes(61));
    let late = app
        .post_json(
            "/auth/activate",
            json!({"token": link_token(&link), "password": "a brand new passphrase"}),
            None,
        )
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn reset_requests_are_limited_per_address(engine: Engine) {
    let (app, smtp) = app_with_mail(engine).await;
    let user = app.sign_up_participant("many@example.com").await;
    let before = smtp.messages().await.len();
    for _ in 0..5 {
        assert_eq!(forgot(&app, &user.email).await.0, StatusCode::ACCEPTED);
    }
    // Each request is handled after its answer: wait until all five were, then count.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let handled = audit_events::Entity::find()
            .filter(
                audit_events::Column::Event
                    .is_in(["password_reset_requested", "password_reset_throttled"]),
            )
            .all(&app.db)
            .await
            .expect("audit")
            .len();
        if handled == 5 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{handled} of 5 handled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(smtp.wait_for(before + 3).await.len(), before + 3);
}

async fn e_mail_preferences_start_opted_out_and_can_be_saved(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let user = app.sign_up_participant("prefs@example.com").await;
    let me = app
        .graphql_as(
            &user.cookie,
            "{ me { email role preferences { monthlyInvoices weeklyAcceptedDeclarations dailySchedules } } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["email"], "prefs@example.com");
    assert_eq!(
        me["data"]["me"]["preferences"],
        json!({"monthlyInvoices": false, "weeklyAcceptedDeclarations": false, "dailySchedules": false})
    );
    let saved = app
        .graphql_as(
            &user.cookie,
            "mutation($p: EmailPreferencesInput!) { updateMyPreferences(preferences: $p) { monthlyInvoices dailySchedules } }",
            json!({"p": {"monthlyInvoices": true, "weeklyAcceptedDeclarations": false, "dailySchedules": true}}),
        )
        .await;
    assert!(saved["errors"].is_null(), "{saved}");
    let me = app
        .graphql_as(
            &user.cookie,
            "{ me { preferences { monthlyInvoices weeklyAcceptedDeclarations dailySchedules } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me["data"]["me"]["preferences"],
        json!({"monthlyInvoices": true, "weeklyAcceptedDeclarations": false, "dailySchedules": true})
    );
}

async fn sessions_end_after_twelve_hours_however_busy(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let user = app.sign_up_participant("busy@example.com").await;
    for _ in 0..24 {
        app.clock.advance(Duration::minutes(29));
        assert_eq!(
            app.get_with("/api/v2/zones", &user.cookie).await.status,
            StatusCode::OK
        );
    }
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        app.get_with("/api/v2/zones", &user.cookie).await.status,
        StatusCode::UNAUTHORIZED,
        "the absolute timeout ends even an active session"
    );
}

async fn session_cookie_is_host_only_http_only_and_secure_off_localhost(engine: Engine) {
    let cookie_of = |app: &TestApp| {
        let app_state = app.state.clone();
        backend::auth::session_cookie(&app_state, Some("t"))
            .to_str()
            .expect("ascii")
            .to_owned()
    };
    let dev = TestApp::spawn(engine, None).await;
    let local = cookie_of(&dev);
    assert!(local.starts_with("openflex_session=t;"), "{local}");
    assert!(
        local.contains("HttpOnly") && local.contains("SameSite=Lax"),
        "{local}"
    );
    assert!(
        !local.contains("Secure"),
        "plain-http localhost in dev mode: {local}"
    );

    let remote = TestApp::spawn_with(engine, |s| {
        s.public_url = "http://flex.example.com".to_owned()
    })
    .await;
    let cookie = cookie_of(&remote);
    assert!(cookie.starts_with("__Host-openflex_session=t;"), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
}
