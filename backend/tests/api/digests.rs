//! Scheduled e-mails (guide §4.0): only opted-in users get each one, once per period, at
//! its London time, through a real SMTP server on 127.0.0.1.

use crate::dispatch::{DISPATCH, accepted_window, at, dispatch_input};
use crate::helpers::{Engine, TestApp, both_databases, twilight_ids};
use backend::services::digests;
use serde_json::json;

both_databases!(
    opted_in_users_get_each_digest_once_at_its_london_time,
    every_user_gets_the_mandatory_vaou_week_ahead_email_on_friday_at_noon,
);

/// Next week's 400 kW Sustain window for API Test, accepted, and a 300 kW dispatch on its
/// Monday 16:00–18:00.
async fn dispatch_next_monday(app: &mut TestApp) {
    let ids = twilight_ids(app).await;
    let window = accepted_window(app, &ids, "15:00", "19:00", 400.0).await;
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
    assert!(created["errors"].is_null(), "{created}");
}

/// A received mail's text, quoted-printable undone.
pub(crate) fn decoded(mail: &str) -> String {
    String::from_utf8_lossy(
        &quoted_printable::decode(mail.as_bytes(), quoted_printable::ParseMode::Robust)
            .unwrap_or_else(|_| mail.as_bytes().to_vec()),
    )
    .into_owned()
}

async fn send(app: &TestApp, when: &str) -> usize {
    digests::send_due(&app.db, &app.state.mailer, at(when))
        .await
        .expect("digests")
}

async fn opted_in_users_get_each_digest_once_at_its_london_time(engine: Engine) {
    let smtp = backend::testing::SmtpSink::start()
        .await
        .expect("SMTP listener");
    let smtp_url = smtp.url();
    let mut app = TestApp::spawn_with(engine, move |s| {
        s.smtp_url = Some(smtp_url);
        s.allow_private_endpoints = true;
    })
    .await;
    let operator = format!("{}@ssen.example", uuid::Uuid::new_v4().simple());
    app.default_cookie = Some(app.sign_up_operator(&operator, "SSEN").await.cookie);
    let keen = app.sign_up_participant("keen@twilight.example").await;
    let quiet = app.sign_up_participant("quiet@twilight.example").await;
    let all_in = app
        .graphql_as(
            &keen.cookie,
            "mutation { updateMyPreferences(preferences: {monthlyInvoices: true, weeklyAcceptedDeclarations: true, dailySchedules: true}) { dailySchedules } }",
            json!({}),
        )
        .await;
    assert_eq!(
        all_in["data"]["updateMyPreferences"]["dailySchedules"], true,
        "{all_in}"
    );
    let _ = quiet;
    let sign_up_mails = smtp.messages().await.len();

    // Next week's 400 kW Sustain window, accepted; a dispatch on its Monday.
    dispatch_next_monday(&mut app).await;

    // That Thursday's Daily Schedules (due at 08:00) is still within its grace: it goes on
    // the first run; the Weekly Accepted Declarations waits for 12:05 London (GMT).
    assert_eq!(send(&app, "2025-02-20T12:04:59Z").await, 1);
    assert_eq!(send(&app, "2025-02-20T12:05:00Z").await, 1);
    assert_eq!(send(&app, "2025-02-20T12:05:15Z").await, 0);
    // Daily Schedules: 08:00 on Monday 24th, listing the 16:00 dispatch.
    assert_eq!(send(&app, "2025-02-24T07:59:00Z").await, 0);
    assert_eq!(send(&app, "2025-02-24T08:00:00Z").await, 1);
    assert_eq!(send(&app, "2025-02-24T09:30:00Z").await, 0);
    // Monthly Invoices: 04:00 on 1 March, February's statements for review.
    assert_eq!(send(&app, "2025-03-01T03:59:00Z").await, 0);
    assert_eq!(send(&app, "2025-03-01T04:00:00Z").await, 1);
    assert_eq!(send(&app, "2025-03-01T04:00:15Z").await, 0);
    // After the clock change the daily one goes at 08:00 BST, 07:00 UTC.
    assert_eq!(send(&app, "2025-03-31T06:59:00Z").await, 0);
    assert_eq!(send(&app, "2025-03-31T07:00:00Z").await, 1);

    // Everything after the sign-ups but the set-up's own account e-mails.
    let mails: Vec<String> = smtp
        .messages()
        .await
        .split_off(sign_up_mails)
        .into_iter()
        .filter(|m| !m.contains("Subject: Your Openflex account"))
        .collect();
    assert_eq!(mails.len(), 5, "{mails:#?}");
    for mail in &mails {
        assert!(
            mail.contains("keen@twilight.example"),
            "only the opted-in user: {mail}"
        );
        assert!(!mail.contains("quiet@twilight.example"));
    }
    let decoded: Vec<String> = mails.iter().map(|m| decoded(m)).collect();
    assert!(
        decoded[0].contains("Daily Schedules: Thursday 20 February 2025")
            && decoded[0].contains("No dispatches scheduled"),
        "{}",
        decoded[0]
    );
    assert!(
        decoded[1].contains("Weekly Accepted Declarations")
            && decoded[1].contains("API Test")
            && decoded[1].contains("400 kW accepted"),
        "{}",
        decoded[1]
    );
    assert!(
        decoded[2].contains("Daily Schedules")
            && decoded[2].contains("not a dispatch signal")
            && decoded[2].contains("Mon 24 Feb 16:00"),
        "{}",
        decoded[2]
    );
    assert!(
        decoded[3].contains("Monthly Invoices: February 2025")
            && decoded[3].contains("15 March 2025")
            && decoded[3].contains("Twilight Flex Ltd"),
        "{}",
        decoded[3]
    );
    assert!(
        decoded[4].contains("Daily Schedules: Monday 31 March 2025"),
        "{}",
        decoded[4]
    );
}

/// Guide §3.7: VAOU (Dynamic) has a mandatory week-ahead e-mail on Friday at 12:00, sent to
/// every user of the companies in the programme whatever their preferences, once.
async fn every_user_gets_the_mandatory_vaou_week_ahead_email_on_friday_at_noon(engine: Engine) {
    let (mut app, smtp) = TestApp::operator_with_mail(engine).await;
    // Neither has opted in to anything.
    app.sign_up_participant("one@twilight.example").await;
    app.sign_up_participant("two@twilight.example").await;
    // A Sustain dispatch next week is not a Dynamic one: the notice leaves it out.
    dispatch_next_monday(&mut app).await;
    let before = smtp.messages().await.len();
    let notices = async |when: &str| {
        digests::send_week_ahead_notices(&app.db, &app.state.mailer, at(when))
            .await
            .expect("notices")
    };
    assert_eq!(notices("2025-02-21T11:59:59Z").await, 0);
    assert!(notices("2025-02-21T12:00:00Z").await >= 2);
    assert_eq!(notices("2025-02-21T12:00:15Z").await, 0, "once");
    let mails: Vec<String> = smtp
        .messages()
        .await
        .split_off(before)
        .iter()
        .map(|m| decoded(m))
        .collect();
    for user in ["one@twilight.example", "two@twilight.example"] {
        let mail = mails
            .iter()
            .find(|m| m.contains(user))
            .unwrap_or_else(|| panic!("no notice to {user}: {mails:#?}"));
        assert!(
            mail.contains("week-ahead schedule: Dynamic from 24 February 2025")
                && mail.contains("cannot be opted out of")
                && mail.contains("No dispatches are scheduled for that week."),
            "{mail}"
        );
    }
}
