//! Users: operators invite, disable and reset users within their own tenancy; the dev
//! mailbox; the user-create command.

use crate::accounts::{app_with_mail, mailed_links};
use crate::helpers::{Engine, PASSWORD, TestApp, both_databases};
use axum::http::StatusCode;
use serde_json::json;
use shared::Role;

both_databases!(
    operator_creates_an_fsp_user_who_is_invited_by_mail,
    users_are_created_only_within_ones_own_tenancy,
    disabling_a_user_ends_their_sessions,
    second_factor_reset_forces_enrolment_and_is_audited_and_mailed,
    dev_mailbox_shows_kept_mail_to_operators_in_dev_mode_only,
    user_create_command_prints_an_invitation_link,
);

pub(crate) const CREATE_USER: &str = "mutation($u: NewUserInput!) { createUser(input: $u) { id email role organisation activated secondFactorEnrolled disabled } }";

pub(crate) fn new_user(email: &str, role: &str, organisation: &str) -> serde_json::Value {
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
