//! ASVS Level 2 controls: security headers, password change, second-factor integrity, mail
//! retention, request shape limits, SSRF answers, CSV injection, machine credentials and
//! operators' reach into shared FSP companies. Sockets, throttling and passkeys have their
//! own modules.

use crate::helpers::{
    Engine, PASSWORD, SSEN, TestApp, both_databases, error_code, test_now, totp_code,
};
use axum::http::StatusCode;
use backend::db::entities::{audit_events, outgoing_mail, users};
use backend::testing::SmtpSink;
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::time::Instant;

both_databases!(
    pages_and_apis_carry_csp_no_store_and_hsts_over_https,
    users_change_their_password_with_a_fresh_second_factor,
    the_enrolment_secret_belongs_to_the_session_that_asked,
    sent_mail_keeps_no_links_and_operators_read_only_their_own_mail,
    many_aliased_list_fields_are_refused_before_they_run,
    api_tokens_cannot_change_dispatch_settings_secrets_or_tokens,
    operators_manage_only_users_of_companies_they_registered,
    a_shared_company_is_read_only_in_the_operators_own_zones,
    signing_in_ends_the_presented_session,
    forgot_password_answers_before_the_mail_server_does,
    audit_events_record_the_client_address,
    an_endpoint_cannot_make_us_read_more_than_4_kib,
    csv_cells_that_a_spreadsheet_would_run_are_neutralised,
);

/// Signs an enrolled user in again (password, then a code from a later step than any
/// used so far); returns the session cookie.
pub(crate) async fn sign_in(app: &TestApp, email: &str, secret: &str) -> String {
    app.clock.advance(Duration::seconds(30));
    let login = app
        .post_json(
            "/auth/login",
            json!({"email": email, "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text());
    let pending = login.session_cookie();
    let done = app
        .post_json(
            "/auth/totp",
            json!({"code": totp_code(secret, app.now())}),
            Some(&pending),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    done.session_cookie()
}

pub(crate) const CREATE_TOKEN: &str = "mutation { createApiToken { token } }";

async fn pages_and_apis_carry_csp_no_store_and_hsts_over_https(engine: Engine) {
    let dir = std::env::temp_dir().join(format!("openflex-csp-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let loader = "import init from '/frontend-0123456789abcdef.js';await init();";
    std::fs::write(
        dir.join("index.html"),
        format!("<html><head><script type=\"module\">{loader}</script></head><body></body></html>"),
    )
    .expect("index");
    let static_dir = dir.clone();
    let app = TestApp::spawn_with(engine, move |s| s.static_dir = static_dir).await;
    let page = app.get("/meterable-units").await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = page.headers["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(loader));
    for directive in [
        "default-src 'self'",
        &format!("script-src 'self' 'wasm-unsafe-eval' 'sha256-{hash}'"),
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!page.headers.contains_key("strict-transport-security"));

    let signed_in = TestApp::spawn(engine, Some(SSEN)).await;
    let api = signed_in.get("/api/v2/zones").await;
    let graphql = signed_in
        .post_json("/graphql", json!({"query": "{ zones { id } }"}), None)
        .await;
    let auth = signed_in
        .post_json(
            "/auth/login",
            json!({"email": "x@example.com", "password": "x"}),
            None,
        )
        .await;
    for (what, response) in [("api", &api), ("graphql", &graphql), ("auth", &auth)] {
        assert_eq!(
            response.headers["cache-control"], "no-store",
            "{what}: {:?}",
            response.headers
        );
        assert!(response.headers.contains_key("content-security-policy"));
    }

    let https = TestApp::spawn_with(engine, |s| {
        s.public_url = "https://flex.example.com".to_owned();
    })
    .await;
    let health = https.get("/healthz").await;
    assert_eq!(
        health.headers["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    std::fs::remove_dir_all(dir).ok();
}

async fn users_change_their_password_with_a_fresh_second_factor(engine: Engine) {
    let smtp = SmtpSink::start().await.expect("SMTP listener");
    let url = smtp.url();
    let app = TestApp::spawn_with(engine, move |s| s.smtp_url = Some(url)).await;
    let user = app.sign_up_participant("change@twilight.example").await;
    let elsewhere = sign_in(&app, &user.email, &user.secret).await;
    let change = |current: &str, new: &str, code: Option<String>| json!({"current_password": current, "new_password": new, "code": code});
    const NEW: &str = "a brand new passphrase";

    let wrong = app
        .post_json(
            "/auth/password",
            change("not my password", NEW, None),
            Some(&user.cookie),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.json()["errors"][0]["field"], "current_password");
    let weak = app
        .post_json(
            "/auth/password",
            change(PASSWORD, "short", None),
            Some(&user.cookie),
        )
        .await;
    assert_eq!(weak.json()["errors"][0]["field"], "new_password");
    // Signed in more than five minutes ago: the authenticator must confirm.
    app.clock.advance(Duration::minutes(6));
    let stale = app
        .post_json(
            "/auth/password",
            change(PASSWORD, NEW, None),
            Some(&user.cookie),
        )
        .await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stale.json()["errors"][0]["field"], "code");
    let done = app
        .post_json(
            "/auth/password",
            change(PASSWORD, NEW, Some(totp_code(&user.secret, app.now()))),
            Some(&user.cookie),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text());

    // This session goes on; every other one ended.
    assert_eq!(
        app.get_with("/api/v2/zones", &user.cookie).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get_with("/api/v2/zones", &elsewhere).await.status,
        StatusCode::UNAUTHORIZED
    );
    let old = app
        .post_json(
            "/auth/login",
            json!({"email": user.email, "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = app
        .post_json(
            "/auth/login",
            json!({"email": user.email, "password": NEW}),
            None,
        )
        .await;
    assert_eq!(new.status, StatusCode::OK);
    let audited = audit_events::Entity::find()
        .filter(audit_events::Column::Event.eq("password_changed"))
        .all(&app.db)
        .await
        .expect("audit");
    assert_eq!(audited.len(), 1);
    let mails = smtp.messages().await;
    assert!(
        mails.iter().any(
            |m| m.contains("Subject: Your Openflex password was changed")
                && m.contains("To: change@twilight.example")
        ),
        "{mails:?}"
    );
}

async fn the_enrolment_secret_belongs_to_the_session_that_asked(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let email = "enrol@twilight.example";
    let link = app
        .invite(email, shared::Role::Participant, Some("Twilight Flex Ltd"))
        .await;
    let activated = app
        .post_json(
            "/auth/activate",
            json!({"token": crate::helpers::link_token(&link), "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(activated.status, StatusCode::NO_CONTENT);
    let pending = || async {
        app.post_json(
            "/auth/login",
            json!({"email": email, "password": PASSWORD}),
            None,
        )
        .await
        .session_cookie()
    };
    let (a, b) = (pending().await, pending().await);
    let app = &app;
    let secret = |cookie: String| async move {
        let setup = app.get_with("/auth/totp/setup", &cookie).await;
        assert_eq!(setup.status, StatusCode::OK, "{}", setup.text());
        setup.json()["secret"].as_str().expect("secret").to_owned()
    };
    let secret_a = secret(a.clone()).await;
    let secret_b = secret(b.clone()).await;
    assert_ne!(
        secret_a, secret_b,
        "each pending sign-in enrols its own secret"
    );
    assert_eq!(
        secret(a.clone()).await,
        secret_a,
        "shown again to its own session"
    );
    let stored = users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(&app.db)
        .await
        .expect("query")
        .expect("user");
    assert!(
        stored.totp_secret_enc.is_none(),
        "nothing on the account yet"
    );

    // B cannot enrol with A's authenticator.
    let code_a = totp_code(&secret_a, app.now());
    let crossed = app
        .post_json("/auth/totp/setup", json!({"code": code_a}), Some(&b))
        .await;
    assert_eq!(crossed.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The same code twice at once: one enrolment.
    let (first, second) = tokio::join!(
        app.post_json("/auth/totp/setup", json!({"code": code_a}), Some(&a)),
        app.post_json("/auth/totp/setup", json!({"code": code_a}), Some(&a)),
    );
    let ok = [&first, &second]
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(ok, 1, "{} / {}", first.text(), second.text());
    // Once enabled, the set-up secret is never shown again.
    let again = app.get_with("/auth/totp/setup", &b).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
}

async fn sent_mail_keeps_no_links_and_operators_read_only_their_own_mail(engine: Engine) {
    let smtp = SmtpSink::start().await.expect("SMTP listener");
    let url = smtp.url();
    let sending = TestApp::spawn_with(engine, move |s| s.smtp_url = Some(url)).await;
    sending
        .invite(
            "kept@twilight.example",
            shared::Role::Participant,
            Some("Twilight Flex Ltd"),
        )
        .await;
    assert!(smtp.messages().await[0].contains("token="));
    let row = outgoing_mail::Entity::find()
        .filter(outgoing_mail::Column::ToAddress.eq("kept@twilight.example"))
        .one(&sending.db)
        .await
        .expect("query")
        .expect("row");
    assert!(row.sent_at.is_some());
    assert_eq!((row.text_body.as_str(), row.html_body.as_str()), ("", ""));

    // Without a mail server (dev mode) the mail is kept for the dev mailbox, and each
    // operator reads only mail to its own people and its FSPs' users.
    let app = TestApp::spawn(engine, None).await;
    let ssen = app.sign_up_operator("ops@ssen.example", "SSEN").await;
    let npg = app
        .sign_up_operator("ops@npg.example", "Northern Powergrid")
        .await;
    app.invite(
        "fsp@twilight.example",
        shared::Role::Participant,
        Some("Twilight Flex Ltd"),
    )
    .await;
    let mailbox = |cookie: String| {
        let app = &app;
        async move {
            let data = app
                .graphql_as(&cookie, "{ devMailbox { to text } }", json!({}))
                .await;
            data["data"]["devMailbox"]
                .as_array()
                .unwrap_or_else(|| panic!("{data}"))
                .iter()
                .map(|m| m["to"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let seen_by_ssen = mailbox(ssen.cookie.clone()).await;
    assert!(seen_by_ssen.contains(&"fsp@twilight.example".to_owned()));
    assert!(!seen_by_ssen.contains(&"ops@npg.example".to_owned()));
    let seen_by_npg = mailbox(npg.cookie.clone()).await;
    assert!(seen_by_npg.contains(&"ops@npg.example".to_owned()));
    assert!(
        !seen_by_npg.contains(&"fsp@twilight.example".to_owned()),
        "{seen_by_npg:?}"
    );
    assert!(!seen_by_npg.contains(&"ops@ssen.example".to_owned()));
}

async fn many_aliased_list_fields_are_refused_before_they_run(engine: Engine) {
    let app = TestApp::spawn(engine, Some(SSEN)).await;
    let aliased = |n: usize| {
        let fields: Vec<String> = (0..n)
            .map(|i| format!("a{i}: zones {{ id name }}"))
            .collect();
        format!("{{ {} }}", fields.join(" "))
    };
    let plain = app.count_queries(async || {
        app.graphql("{ me { email } }", json!({})).await;
    });
    let plain = plain.await;
    let mut refused = Value::Null;
    let big = app.count_queries(async || {
        refused = app.graphql(&aliased(400), json!({})).await;
    });
    let big = big.await;
    assert_eq!(error_code(&refused), Some("QUERY_TOO_LARGE"), "{refused}");
    assert!(refused.get("data").is_none_or(Value::is_null), "{refused}");
    assert!(
        big <= plain,
        "the refused request ran {big} statements ({plain} to sign in)"
    );
    let fits = app.graphql(&aliased(20), json!({})).await;
    assert!(fits["errors"].is_null(), "{fits}");
    assert!(fits["data"]["a19"].is_array());
    // A page of readings costs by its size: many pages of 10,000 rows are refused.
    let pages: Vec<String> = (0..10)
        .map(|i| {
            format!(
                "p{i}: readings(meterableUnitId: \"x\", from: \"2025-01-01T00:00:00Z\", \
                 to: \"2025-02-01T00:00:00Z\", first: 10000) {{ readings {{ meterableUnitId timestamp powerKw energyKwh }} nextCursor }}"
            )
        })
        .collect();
    let heavy = app
        .graphql(&format!("{{ {} }}", pages.join(" ")), json!({}))
        .await;
    let message = heavy["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("complex"), "{heavy}");
}

async fn api_tokens_cannot_change_dispatch_settings_secrets_or_tokens(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let token = app.twilight_token().await;
    for mutation in [
        "mutation { updateDispatchSettings(endpointUrl: \"https://fsp.example/openflex\", delivery: API) { delivery } }",
        "mutation { rotateSigningSecret { secret } }",
        "mutation { createApiToken { token } }",
    ] {
        let response = app.graphql_bearer(&token, mutation, json!({})).await;
        assert_eq!(response.status, StatusCode::OK);
        let body = response.json();
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{mutation}: {body}");
    }
}

pub(crate) async fn user_id_by_email(app: &TestApp, cookie: &str, email: &str) -> String {
    let users = app
        .graphql_as(cookie, "{ users { id email } }", json!({}))
        .await;
    users["data"]["users"]
        .as_array()
        .unwrap_or_else(|| panic!("{users}"))
        .iter()
        .find(|u| u["email"] == email)
        .and_then(|u| u["id"].as_str())
        .unwrap_or_else(|| panic!("{email} not visible: {users}"))
        .to_owned()
}

async fn operators_manage_only_users_of_companies_they_registered(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let ssen = app.sign_up_operator("ops@ssen.example", "SSEN").await;
    let npg = app
        .sign_up_operator("ops@npg.example", "Northern Powergrid")
        .await;
    let link = app
        .invite(
            "staff@other.example",
            shared::Role::Participant,
            Some("Other Flex Ltd"),
        )
        .await;
    app.complete_sign_up("staff@other.example", &link).await;
    // Northern Powergrid contracts Other Flex Ltd in Tyneside and sees its users...
    let id = user_id_by_email(&app, &npg.cookie, "staff@other.example").await;
    // ...but SSEN registered the company, so only SSEN manages them.
    let invite = app
        .graphql_as(
            &npg.cookie,
            "mutation($u: NewUserInput!) { createUser(input: $u) { id } }",
            json!({"u": {"email": "new@other.example", "name": "New", "role": "PARTICIPANT", "organisation": "Other Flex Ltd"}}),
        )
        .await;
    assert_eq!(
        invite["errors"][0]["extensions"]["field"], "organisation",
        "{invite}"
    );
    for mutation in [
        "mutation($id: String!) { disableUser(id: $id) }",
        "mutation($id: String!) { resetSecondFactor(id: $id) }",
    ] {
        let refused = app
            .graphql_as(&npg.cookie, mutation, json!({"id": id}))
            .await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    }
    let reset = app
        .graphql_as(
            &ssen.cookie,
            "mutation($id: String!) { resetSecondFactor(id: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(reset["data"]["resetSecondFactor"], true, "{reset}");
    let invited = app
        .graphql_as(
            &ssen.cookie,
            "mutation($u: NewUserInput!) { createUser(input: $u) { id } }",
            json!({"u": {"email": "new@other.example", "name": "New", "role": "PARTICIPANT", "organisation": "Other Flex Ltd"}}),
        )
        .await;
    assert!(invited["errors"].is_null(), "{invited}");
}

async fn a_shared_company_is_read_only_in_the_operators_own_zones(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let npg = app
        .sign_up_operator("ops@npg.example", "Northern Powergrid")
        .await;
    let zones = app
        .graphql_as(&npg.cookie, "{ zones { id } }", json!({}))
        .await;
    let ids: Vec<&str> = zones["data"]["zones"]
        .as_array()
        .expect("zones")
        .iter()
        .filter_map(|z| z["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["tyneside"], "{zones}");
    for zone in ["isle-of-skye", "twilight-zone"] {
        let groups = app
            .graphql_as(
                &npg.cookie,
                "query($z: String!) { dispatchGroups(zoneId: $z, weekCommencing: \"2025-02-17\") { id } }",
                json!({"z": zone}),
            )
            .await;
        let none = groups["data"]["dispatchGroups"]
            .as_array()
            .is_none_or(Vec::is_empty);
        assert!(none, "{zone}: {groups}");
        let units = app
            .get_with(
                &format!("/api/v2/meterable-units?zone_id={zone}"),
                &npg.cookie,
            )
            .await;
        let empty = units.status == StatusCode::NOT_FOUND
            || units.json().as_array().is_some_and(Vec::is_empty);
        assert!(empty, "{zone}: {}", units.text());
    }
    let tyneside = app
        .graphql_as(
            &npg.cookie,
            "{ dispatchGroups(zoneId: \"tyneside\", weekCommencing: \"2025-02-17\") { id } }",
            json!({}),
        )
        .await;
    assert!(
        tyneside["data"]["dispatchGroups"]
            .as_array()
            .is_some_and(|g| !g.is_empty()),
        "{tyneside}"
    );
}

async fn signing_in_ends_the_presented_session(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let user = app.sign_up_participant("fixed@twilight.example").await;
    let login = app
        .post_json(
            "/auth/login",
            json!({"email": user.email, "password": PASSWORD}),
            Some(&user.cookie),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    assert_ne!(login.session_cookie(), user.cookie);
    assert_eq!(
        app.get_with("/api/v2/zones", &user.cookie).await.status,
        StatusCode::UNAUTHORIZED,
        "the session presented at sign-in is over"
    );
}

async fn forgot_password_answers_before_the_mail_server_does(engine: Engine) {
    // A mail server that accepts connections and never says a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    let app = TestApp::spawn_with(engine, move |s| {
        s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    // The account is made directly: its invitation would wait on the silent server too.
    use sea_orm::{ActiveModelTrait, Set};
    let company = backend::db::entities::fsp_companies::Entity::find()
        .filter(backend::db::entities::fsp_companies::Column::Name.eq("Twilight Flex Ltd"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("company");
    let row = users::ActiveModel {
        public_id: Set(backend::ids::new_public_id().to_string()),
        email: Set("real@twilight.example".to_owned()),
        name: Set("Real".to_owned()),
        role: Set("participant".to_owned()),
        company_id: Set(Some(company.id)),
        password_hash: Set(Some("x".to_owned())),
        totp_enabled: Set(false),
        failed_second_factor: Set(0),
        pref_monthly_invoices: Set(false),
        pref_weekly_declarations: Set(false),
        pref_daily_schedules: Set(false),
        created_at: Set(test_now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("user");
    for email in [row.email.as_str(), "nobody@twilight.example"] {
        let started = Instant::now();
        let answer = app
            .post_json("/auth/password/forgot", json!({"email": email}), None)
            .await;
        assert_eq!(answer.status, StatusCode::ACCEPTED);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{email}: answered after {:?}",
            started.elapsed()
        );
    }
    held.abort();
}

async fn audit_events_record_the_client_address(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let refused = app
        .post_json_from(
            [203, 0, 113, 9],
            "/auth/login",
            json!({"email": "who@example.com", "password": "wrong password"}),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let event = audit_events::Entity::find()
        .filter(audit_events::Column::Event.eq("login_failed"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("event");
    assert_eq!(event.client_addr.as_deref(), Some("203.0.113.9"));
}

async fn an_endpoint_cannot_make_us_read_more_than_4_kib(engine: Engine) {
    // A receiver that answers 200 and then streams its body without end.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let streaming = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 8192];
                let _ = stream.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("1000\r\n{}\r\n", "y".repeat(4096));
                // Bounded: at most 2,000 chunks (8 MiB) or until the client hangs up.
                for _ in 0..2_000 {
                    if stream.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            });
        }
    });
    let app = TestApp::spawn_with(engine, |s| s.allow_private_endpoints = true).await;
    let fsp = app.sign_up_participant("stream@twilight.example").await;
    for mutation in [
        format!(
            "mutation {{ updateDispatchSettings(endpointUrl: \"http://127.0.0.1:{port}/fsp\", delivery: API) {{ delivery }} }}"
        ),
        "mutation { rotateSigningSecret { secret } }".to_owned(),
    ] {
        let done = app.graphql_as(&fsp.cookie, &mutation, json!({})).await;
        assert!(done["errors"].is_null(), "{done}");
    }
    let started = Instant::now();
    let sent = app
        .graphql_as(
            &fsp.cookie,
            "mutation($m: TestDispatchInput!) { sendTestDispatch(message: $m) { success attempt { statusCode bodyExcerpt } } }",
            json!({"m": {"dispatchId": "TEST-0001", "instruction": "START", "start": "2025-02-24T16:00:00Z",
                         "end": "2025-02-24T17:00:00Z", "powerChangeKw": 10.0, "meterableUnitIds": backend::seed::API_TEST_UNIT_ID}}),
        )
        .await;
    let result = &sent["data"]["sendTestDispatch"];
    assert_eq!(result["success"], true, "{sent}");
    assert_eq!(result["attempt"]["statusCode"], 200);
    let excerpt = result["attempt"]["bodyExcerpt"].as_str().expect("excerpt");
    assert!(excerpt.len() <= 4096, "{} bytes kept", excerpt.len());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "waited {:?} for an endless answer",
        started.elapsed()
    );
    streaming.abort();
}

async fn csv_cells_that_a_spreadsheet_would_run_are_neutralised(engine: Engine) {
    let mut app = TestApp::spawn(engine, Some(SSEN)).await;
    let ids = crate::helpers::twilight_ids(&app).await;
    let renamed = app
        .graphql(
            "mutation($id: String!, $g: DispatchGroupInput!) { updateDispatchGroup(id: $id, group: $g) { name } }",
            json!({"id": ids.group, "g": {"name": "=HYPERLINK(\"http://evil.example\")", "powerChangeKw": 500.0,
                   "direction": "TURN_DOWN", "minRuntimeMinutes": 30, "maxRuntimeMinutes": null,
                   "weeklyRuntimeMinutes": null, "marketplaceUnits": []}}),
        )
        .await;
    assert!(renamed["errors"].is_null(), "{renamed}");
    crate::dispatch::accepted_window(&mut app, &ids, "15:00", "19:00", 400.0).await;
    let csv = app
        .get("/api/v2/accepted-availability?week_commencing=2025-02-24&format=csv")
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text());
    let text = csv.text();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(
        !text.lines().any(|l| l
            .split(',')
            .any(|cell| cell.trim_start_matches('"').starts_with('='))),
        "{text}"
    );
}
