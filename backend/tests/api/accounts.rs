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
    operator_creates_an_fsp_user_who_is_invited_by_mail,
    users_are_created_only_within_ones_own_tenancy,
    disabling_a_user_ends_their_sessions,
    second_factor_reset_forces_enrolment_and_is_audited_and_mailed,
    dev_mailbox_shows_kept_mail_to_operators_in_dev_mode_only,
    passkey_ceremonies_need_the_right_session_and_a_pending_challenge,
    operator_registers_a_company_and_invites_its_users,
    company_fields_are_validated_with_every_bad_field_named,
    only_platform_admins_register_operators,
    user_create_command_prints_an_invitation_link,
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
async fn mailed_links(smtp: &SmtpSink, count: usize) -> Vec<String> {
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

async fn app_with_mail(engine: Engine) -> (TestApp, SmtpSink) {
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

async fn sign_in(app: &TestApp, email: &str) -> String {
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

const CREATE_USER: &str = "mutation($u: NewUserInput!) { createUser(input: $u) { id email role organisation activated secondFactorEnrolled disabled } }";

fn new_user(email: &str, role: &str, organisation: &str) -> serde_json::Value {
    json!({"u": {"email": email, "name": "New User", "role": role, "organisation": organisation}})
}

async fn user_id(app: &TestApp, cookie: &str, email: &str) -> String {
    let users = app
        .graphql_as(cookie, "{ users { id email } }", json!({}))
        .await;
    users["data"]["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["email"] == email)
        .and_then(|u| u["id"].as_str())
        .unwrap_or_else(|| panic!("{email} not visible: {users}"))
        .to_owned()
}

async fn operator_creates_an_fsp_user_who_is_invited_by_mail(engine: Engine) {
    let (app, smtp) = app_with_mail(engine).await;
    let operator = app.sign_up_operator("ops@ssen.example", "SSEN").await;
    let before = smtp.messages().await.len();
    let created = app
        .graphql_as(
            &operator.cookie,
            CREATE_USER,
            new_user("new@twilight.example", "PARTICIPANT", "Twilight Flex Ltd"),
        )
        .await;
    assert!(created["errors"].is_null(), "{created}");
    let user = &created["data"]["createUser"];
    assert_eq!(user["organisation"], "Twilight Flex Ltd");
    assert_eq!(user["activated"], false);
    let mails = smtp.messages().await;
    assert_eq!(mails.len(), before + 1);
    assert!(mails[before].contains("To: new@twilight.example"));
    let link = mailed_links(&smtp, 1).await.pop().expect("invitation link");
    app.complete_sign_up("new@twilight.example", &link).await;
}

async fn users_are_created_only_within_ones_own_tenancy(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let npg = app
        .sign_up_operator("ops@npg.example", "Northern Powergrid")
        .await;
    let refused = app
        .graphql_as(
            &npg.cookie,
            CREATE_USER,
            new_user("x@twilight.example", "PARTICIPANT", "Twilight Flex Ltd"),
        )
        .await;
    assert_eq!(
        crate::helpers::error_code(&refused),
        Some("INVALID_INPUT"),
        "{refused}"
    );
    let other_operator = app
        .graphql_as(
            &npg.cookie,
            CREATE_USER,
            new_user("y@ssen.example", "OPERATOR", "SSEN"),
        )
        .await;
    assert_eq!(
        crate::helpers::error_code(&other_operator),
        Some("FORBIDDEN"),
        "{other_operator}"
    );
    let fsp = app.sign_up_participant("fsp@example.com").await;
    let by_fsp = app
        .graphql_as(
            &fsp.cookie,
            CREATE_USER,
            new_user("z@twilight.example", "PARTICIPANT", "Twilight Flex Ltd"),
        )
        .await;
    assert_eq!(
        crate::helpers::error_code(&by_fsp),
        Some("FORBIDDEN"),
        "{by_fsp}"
    );
    let users = app
        .graphql_as(&npg.cookie, "{ users { email } }", json!({}))
        .await;
    let emails: Vec<&str> = users["data"]["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["email"].as_str())
        .collect();
    assert_eq!(
        emails,
        ["ops@npg.example"],
        "an operator sees no other operator's FSP users"
    );
}

async fn disabling_a_user_ends_their_sessions(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let operator = app.sign_up_operator("boss@ssen.example", "SSEN").await;
    let fsp = app.sign_up_participant("gone@example.com").await;
    let id = user_id(&app, &operator.cookie, &fsp.email).await;
    let done = app
        .graphql_as(
            &operator.cookie,
            "mutation($id: String!) { disableUser(id: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(done["data"]["disableUser"], true, "{done}");
    assert_eq!(
        app.get_with("/api/v2/zones", &fsp.cookie).await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = app
        .post_json(
            "/auth/login",
            json!({"email": fsp.email, "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
}

async fn second_factor_reset_forces_enrolment_and_is_audited_and_mailed(engine: Engine) {
    let (app, smtp) = app_with_mail(engine).await;
    let operator = app.sign_up_operator("desk@ssen.example", "SSEN").await;
    let fsp = app.sign_up_participant("lost-phone@example.com").await;
    let id = user_id(&app, &operator.cookie, &fsp.email).await;
    let done = app
        .graphql_as(
            &operator.cookie,
            "mutation($id: String!) { resetSecondFactor(id: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(done["data"]["resetSecondFactor"], true, "{done}");
    assert_eq!(
        app.get_with("/api/v2/zones", &fsp.cookie).await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = app
        .post_json(
            "/auth/login",
            json!({"email": fsp.email, "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(login.json()["next"], "totp_setup");
    let mails = smtp.messages().await;
    assert!(
        mails
            .last()
            .is_some_and(|m| m.contains("two-factor authentication was reset")),
        "the user is told"
    );
    let log = app
        .graphql_as(
            &operator.cookie,
            "{ auditLog { event actorEmail subjectEmail } }",
            json!({}),
        )
        .await;
    let entries = log["data"]["auditLog"].as_array().expect("audit log");
    assert!(
        entries.iter().any(|e| e["event"] == "second_factor_reset"
            && e["actorEmail"] == "desk@ssen.example"
            && e["subjectEmail"] == "lost-phone@example.com"),
        "{log}"
    );
    let by_fsp = app.sign_up_participant("nosy@example.com").await;
    let refused = app
        .graphql_as(&by_fsp.cookie, "{ auditLog { event } }", json!({}))
        .await;
    assert_eq!(crate::helpers::error_code(&refused), Some("FORBIDDEN"));
}

async fn dev_mailbox_shows_kept_mail_to_operators_in_dev_mode_only(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let operator = app.sign_up_operator("mailbox@ssen.example", "SSEN").await;
    app.invite(
        "kept@example.com",
        Role::Participant,
        Some("Twilight Flex Ltd"),
    )
    .await;
    let query = "{ devMailbox { to subject text sentAt } }";
    let mailbox = app.graphql_as(&operator.cookie, query, json!({})).await;
    let first = &mailbox["data"]["devMailbox"][0];
    assert_eq!(first["to"], "kept@example.com", "{mailbox}");
    assert_eq!(
        first["sentAt"],
        serde_json::Value::Null,
        "no SMTP server: kept, not sent"
    );
    assert!(
        first["text"]
            .as_str()
            .is_some_and(|t| t.contains("/activate#token="))
    );
    let fsp = app.sign_up_participant("peek@example.com").await;
    let refused = app.graphql_as(&fsp.cookie, query, json!({})).await;
    assert_eq!(crate::helpers::error_code(&refused), Some("FORBIDDEN"));

    let production = TestApp::spawn_with(engine, |s| s.dev_mode = false).await;
    let operator = production
        .sign_up_operator("prod@ssen.example", "SSEN")
        .await;
    let hidden = production
        .graphql_as(&operator.cookie, query, json!({}))
        .await;
    assert_eq!(crate::helpers::error_code(&hidden), Some("NOT_FOUND"));
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

const CREATE_COMPANY: &str = "mutation($c: NewCompanyInput!) { createCompany(input: $c) { id name companiesHouseNumber vatNumber } }";

async fn operator_registers_a_company_and_invites_its_users(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let ssen = app.sign_up_operator("reg@ssen.example", "SSEN").await;
    let created = app
        .graphql_as(
            &ssen.cookie,
            CREATE_COMPANY,
            json!({"c": {"name": "Newco Flex Ltd", "companiesHouseNumber": "sc654987",
                "vatNumber": "GB 987 6543 21", "billingAddress": "3 New Street\nAberdeen"}}),
        )
        .await;
    assert!(created["errors"].is_null(), "{created}");
    assert_eq!(
        created["data"]["createCompany"]["companiesHouseNumber"],
        "SC654987"
    );
    assert_eq!(created["data"]["createCompany"]["vatNumber"], "GB987654321");
    let invited = app
        .graphql_as(
            &ssen.cookie,
            CREATE_USER,
            new_user("first@newco.example", "PARTICIPANT", "Newco Flex Ltd"),
        )
        .await;
    assert!(invited["errors"].is_null(), "{invited}");

    let npg = app
        .sign_up_operator("reg@npg.example", "Northern Powergrid")
        .await;
    let seen = app
        .graphql_as(&npg.cookie, "{ companies { name } }", json!({}))
        .await;
    let names: Vec<&str> = seen["data"]["companies"]
        .as_array()
        .expect("companies")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["Other Flex Ltd"],
        "NPG contracts only Other Flex Ltd"
    );
}

async fn company_fields_are_validated_with_every_bad_field_named(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let ssen = app.sign_up_operator("val@ssen.example", "SSEN").await;
    let refused = app
        .graphql_as(
            &ssen.cookie,
            CREATE_COMPANY,
            json!({"c": {"name": "Twilight Flex Ltd", "companiesHouseNumber": "123",
                "vatNumber": "FR123", "billingAddress": "  "}}),
        )
        .await;
    assert_eq!(crate::helpers::error_code(&refused), Some("INVALID_INPUT"));
    let mut fields: Vec<&str> = refused["errors"][0]["extensions"]["fields"]
        .as_array()
        .expect("every refused field")
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "billingAddress",
            "companiesHouseNumber",
            "name",
            "vatNumber"
        ],
        "{refused}"
    );
    let fsp = app.sign_up_participant("val@fsp.example").await;
    let forbidden = app
        .graphql_as(
            &fsp.cookie,
            CREATE_COMPANY,
            json!({"c": {"name": "X Ltd", "companiesHouseNumber": "12345678",
                "vatNumber": "GB123456789", "billingAddress": "Somewhere"}}),
        )
        .await;
    assert_eq!(crate::helpers::error_code(&forbidden), Some("FORBIDDEN"));
}

async fn only_platform_admins_register_operators(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let operator = app.sign_up_operator("op@ssen.example", "SSEN").await;
    let mutation = "mutation($n: String!) { createOperator(name: $n) { id name } }";
    let refused = app
        .graphql_as(&operator.cookie, mutation, json!({"n": "UKPN"}))
        .await;
    assert_eq!(crate::helpers::error_code(&refused), Some("FORBIDDEN"));
    let link = app
        .invite("root@example.com", Role::PlatformAdmin, None)
        .await;
    let admin = app.complete_sign_up("root@example.com", &link).await;
    let created = app
        .graphql_as(&admin.cookie, mutation, json!({"n": "UKPN"}))
        .await;
    assert_eq!(
        created["data"]["createOperator"]["name"], "UKPN",
        "{created}"
    );
    let again = app
        .graphql_as(&admin.cookie, mutation, json!({"n": "UKPN"}))
        .await;
    assert_eq!(crate::helpers::error_code(&again), Some("INVALID_INPUT"));
    let invited = app
        .graphql_as(
            &admin.cookie,
            CREATE_USER,
            new_user("ops@ukpn.example", "OPERATOR", "UKPN"),
        )
        .await;
    assert!(invited["errors"].is_null(), "{invited}");
}

async fn user_create_command_prints_an_invitation_link(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_openflex"))
            .args(args)
            .env("DATABASE_URL", app.database_url())
            .env(
                "OPENFLEX_SECRET_KEY",
                backend::crypto::SecretBox::generate_key().expect("key"),
            )
            .env("OPENFLEX_PUBLIC_URL", "https://flex.example.com")
            .env("RUST_LOG", "warn")
            .output()
            .expect("the openflex binary runs")
    };
    let ok = run(&[
        "user",
        "create",
        "--email",
        "first-admin@example.com",
        "--name",
        "First Admin",
        "--role",
        "platform-admin",
    ]);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let link = stdout
        .lines()
        .find(|l| l.starts_with("https://flex.example.com/activate#token="))
        .unwrap_or_else(|| panic!("no link in: {stdout}"));
    app.complete_sign_up("first-admin@example.com", link).await;

    let bad = run(&[
        "user",
        "create",
        "--email",
        "nope",
        "--name",
        "X",
        "--role",
        "participant",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("email: is not a valid e-mail address"));
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
