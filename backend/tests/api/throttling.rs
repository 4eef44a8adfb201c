//! Throttling: wrong passwords and codes per account and per client, each credential's
//! request budget, and password hashing bounded by the cores.

use crate::helpers::{Engine, PASSWORD, TestApp, both_databases, totp_code};
use axum::http::StatusCode;
use backend::db::entities::users;
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

both_databases!(
    wrong_passwords_are_throttled_per_account,
    one_client_is_throttled_but_another_still_signs_in,
    parallel_wrong_codes_each_count,
    each_credential_has_its_own_request_budget,
);

async fn wrong_passwords_are_throttled_per_account(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let victim = app.sign_up_participant("victim@twilight.example").await;
    let mut statuses = Vec::new();
    for i in 0..40u8 {
        // Spread over many addresses, as a botnet would.
        let response = app
            .post_json_from(
                [203, 0, 113, i],
                "/auth/login",
                json!({"email": victim.email, "password": format!("wrong password {i}")}),
                None,
            )
            .await;
        if response.status == StatusCode::TOO_MANY_REQUESTS {
            let wait: i64 = response.headers["retry-after"]
                .to_str()
                .expect("ascii")
                .parse()
                .expect("seconds");
            assert!((1..=900).contains(&wait), "Retry-After {wait}");
            assert_eq!(response.json()["code"], "RATE_LIMITED");
        }
        statuses.push(response.status);
    }
    assert!(
        statuses[..10]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED)
    );
    assert!(
        statuses[10..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // Even the right password waits until the window ends: a soft lock, not a permanent one.
    let right = json!({"email": victim.email, "password": PASSWORD});
    let locked = app
        .post_json_from([192, 0, 2, 1], "/auth/login", right.clone(), None)
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(Duration::minutes(15));
    let later = app
        .post_json_from([192, 0, 2, 1], "/auth/login", right, None)
        .await;
    assert_eq!(later.status, StatusCode::OK, "{}", later.text());
}

async fn one_client_is_throttled_but_another_still_signs_in(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let bystander = app.sign_up_participant("bystander@twilight.example").await;
    // Credential stuffing from one address: many accounts, one wrong password each.
    for i in 0..30 {
        let response = app
            .post_json_from(
                [198, 51, 100, 7],
                "/auth/login",
                json!({"email": format!("guess{i}@example.com"), "password": "wrong password"}),
                None,
            )
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let throttled = app
        .post_json_from(
            [198, 51, 100, 7],
            "/auth/login",
            json!({"email": bystander.email, "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers.contains_key("retry-after"));
    let elsewhere = app
        .post_json_from(
            [192, 0, 2, 44],
            "/auth/login",
            json!({"email": bystander.email, "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{}", elsewhere.text());
}

async fn parallel_wrong_codes_each_count(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let user = app.sign_up_participant("guesses@twilight.example").await;
    app.clock.advance(Duration::seconds(30));
    let login = app
        .post_json(
            "/auth/login",
            json!({"email": user.email, "password": PASSWORD}),
            None,
        )
        .await;
    let pending = login.session_cookie();
    let right = totp_code(&user.secret, app.now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let guesses =
        (0..20).map(|_| app.post_json("/auth/totp", json!({"code": wrong}), Some(&pending)));
    let answers = futures_util::future::join_all(guesses).await;
    let evaluated = answers
        .iter()
        .filter(|a| a.status == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert!(
        answers
            .iter()
            .all(|a| a.status == StatusCode::UNPROCESSABLE_ENTITY
                || a.status == StatusCode::TOO_MANY_REQUESTS),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    let stored = users::Entity::find()
        .filter(users::Column::Email.eq(user.email.as_str()))
        .one(&app.db)
        .await
        .expect("query")
        .expect("user");
    assert_eq!(
        usize::try_from(stored.failed_second_factor).expect("count"),
        evaluated,
        "every guess that was checked is counted"
    );
    assert!(evaluated >= 5, "{evaluated}");
    assert!(stored.second_factor_locked_until.is_some());
    let next = app
        .post_json("/auth/totp", json!({"code": right}), Some(&pending))
        .await;
    assert_eq!(next.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn argon2_runs_at_most_one_computation_per_core() {
    let slots = backend::crypto::argon2_slots();
    let tasks: Vec<_> = (0..slots * 4)
        .map(|_| {
            tokio::spawn(backend::crypto::verify_password(
                "a long enough passphrase".to_owned(),
                None,
            ))
        })
        .collect();
    let mut most = 0;
    while tasks.iter().any(|t| !t.is_finished()) {
        most = most.max(backend::crypto::argon2_running());
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    assert!(most <= slots, "{most} at once on {slots} cores");
    assert!(most >= 1);
}

async fn each_credential_has_its_own_request_budget(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| s.api_requests_per_minute = 5).await;
    let token = app.twilight_token().await;
    let bearer = |uri: &str| {
        axum::http::Request::get(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .expect("request")
    };
    for _ in 0..5 {
        assert_eq!(
            app.request(bearer("/api/v2/zones")).await.status,
            StatusCode::OK
        );
    }
    let over = app.request(bearer("/api/v2/zones")).await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(over.json()["code"], "RATE_LIMITED");
    let wait: i64 = over.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    // GraphQL draws on the same budget.
    let graphql = app
        .graphql_bearer(&token, "{ zones { id } }", json!({}))
        .await;
    assert_eq!(graphql.status, StatusCode::TOO_MANY_REQUESTS);
    // Another credential has its own.
    let other = app
        .sign_up_participant("other-budget@twilight.example")
        .await;
    assert_eq!(
        app.get_with("/api/v2/zones", &other.cookie).await.status,
        StatusCode::OK
    );
    app.clock.advance(Duration::minutes(1));
    assert_eq!(
        app.request(bearer("/api/v2/zones")).await.status,
        StatusCode::OK
    );
}
