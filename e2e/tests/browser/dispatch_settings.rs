//! API Testing › Dispatch Settings and Dispatch V2 Testing in the browser.

use super::support::*;
use anyhow::{Context, Result, ensure};
use backend::testing::{Engine, TempDatabase};
use fantoccini::Locator;

/// Guide §3.1: the FSP sets its endpoint and signing secret, then Dispatch V2 Testing sends a
/// signed message to a local receiver (success box with the parameters) and to a closed port
/// (the connection error).
pub(crate) async fn fsp_tests_dispatch_delivery(engine: Engine) -> Result<()> {
    let database = TempDatabase::create(engine).await?;
    let (mut server, port) = start_server_with(
        &database.url,
        &[("OPENFLEX_ALLOW_PRIVATE_ENDPOINTS", "true".to_owned())],
    )
    .await?;
    let (mut driver, client, profile, _) = start_browser().await?;
    let received = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = received.clone();
    let receiver = axum::Router::new().route(
        "/fsp/dispatch",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                "accepted"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let receiver_port = listener.local_addr()?.port();
    let receiving = tokio::spawn(async move { axum::serve(listener, receiver).await.ok() });

    let outcome = async {
        let settings = format!("http://localhost:{port}/api-testing/dispatch-settings");
        client.goto(&settings).await?;
        sign_in_as_demo_fsp(&client).await?;
        client.goto(&settings).await?;
        let set_endpoint = async |url: String| -> Result<()> {
            // The stored settings have loaded (the secret line shows) before typing.
            wait_for(&client, Locator::Css("#secret-hint")).await?;
            let input = wait_for(&client, Locator::Css("#endpoint-url")).await?;
            input.clear().await?;
            input.send_keys(&url).await?;
            click(&client, "#save-dispatch-settings").await?;
            let saved = wait_for(&client, Locator::Css("#dispatch-settings-status"))
                .await?
                .text()
                .await?;
            ensure!(saved == "Dispatch settings saved.", "saving: {saved}");
            Ok(())
        };
        // The page says the first save creates the secret, and the first save shows it.
        let rule = wait_for(&client, Locator::Css("#secret-rule"))
            .await?
            .text()
            .await?;
        ensure!(
            rule.contains("first time") && rule.contains("signing secret"),
            "the page does not explain the secret: {rule}"
        );
        set_endpoint(format!("http://127.0.0.1:{receiver_port}/fsp")).await?;
        let first = wait_for(&client, Locator::Css("#new-secret"))
            .await
            .context("the first save did not show the signing secret")?
            .text()
            .await?;
        ensure!(first.starts_with("whsec_"), "first secret {first:?}");
        click(&client, "#rotate-secret").await?;
        client
            .accept_alert()
            .await
            .context("no warning before a new secret")?;
        let mut secret = String::new();
        wait_until("the rotated secret", async || {
            secret = match client.find(Locator::Css("#new-secret")).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            secret.starts_with("whsec_") && secret != first
        })
        .await
        .context("the new secret was not shown")?;

        let send = async || -> Result<String> {
            client
                .goto(&format!(
                    "http://localhost:{port}/api-testing/dispatch-v2-testing"
                ))
                .await?;
            fill(&client, "#test-start", "2025-02-17T16:00:00Z").await?;
            fill(&client, "#test-end", "2025-02-17T18:00:00Z").await?;
            fill(&client, "#test-units", backend::seed::API_TEST_UNIT_ID).await?;
            click(&client, "#send-test").await?;
            Ok(wait_for(&client, Locator::Css("#test-result"))
                .await
                .context("no result box")?
                .text()
                .await?)
        };
        let success = send().await?;
        let lines: Vec<&str> = success.lines().collect();
        ensure!(lines.len() == 3, "result box: {success}");
        ensure!(
            lines[0] == format!("http://127.0.0.1:{receiver_port}/fsp/dispatch"),
            "URL line: {success}"
        );
        ensure!(
            lines[1].contains("TEST-0001") && lines[1].contains(backend::seed::API_TEST_UNIT_ID),
            "parameters line: {success}"
        );
        ensure!(
            lines[2].starts_with("Success: HTTP 200"),
            "outcome line: {success}"
        );
        ensure!(
            received.load(std::sync::atomic::Ordering::SeqCst) == 1,
            "the receiver did not get the message"
        );
        let shots = workspace_root().join("target/e2e");
        std::fs::create_dir_all(&shots)?;
        std::fs::write(
            shots.join(format!("dispatch-v2-testing-{}.png", engine.name())),
            client.screenshot().await?,
        )?;

        let closed = free_port()?;
        client.goto(&settings).await?;
        set_endpoint(format!("http://127.0.0.1:{closed}")).await?;
        let failure = send().await?;
        ensure!(
            failure.contains("could not connect"),
            "a closed port should show the connection error: {failure}"
        );

        // Back to the receiver. The operator dispatches API Test ad hoc under Restore,
        // starting in ten minutes: its START is due at once and reaches the receiver.
        client.goto(&settings).await?;
        set_endpoint(format!("http://127.0.0.1:{receiver_port}/fsp")).await?;
        let before = received.load(std::sync::atomic::Ordering::SeqCst);
        let start = chrono::Utc::now() + chrono::Duration::minutes(10);
        let end = start + chrono::Duration::minutes(40);
        // The page lists a week by UTC midnights.
        let week = shared::WeekCommencing::containing(start.date_naive());
        let page = format!("http://localhost:{port}/dispatches?week={week}");
        client.delete_all_cookies().await?;
        client.goto(&page).await?;
        sign_in_as_demo(&client, shared::Role::Operator).await?;
        client.goto(&page).await?;
        signal_restore(&client).await?;
        dispatch_api_test_under_restore(&client, start, end).await?;
        wait_until("the START at the receiver", async || {
            received.load(std::sync::atomic::Ordering::SeqCst) > before
        })
        .await?;
        wait_until("the page to show the START delivered", async || {
            client.refresh().await.ok();
            if wait_for(&client, Locator::Css("#dispatch-table"))
                .await
                .is_err()
            {
                return false;
            }
            match client
                .find(Locator::Css("#dispatch-table .msg.delivered"))
                .await
            {
                Ok(e) => e
                    .text()
                    .await
                    .is_ok_and(|t| t.starts_with("START delivered")),
                Err(_) => false,
            }
        })
        .await?;
        click(&client, "#dispatch-table button.attempts").await?;
        let attempt = wait_for(&client, Locator::Css("#dispatch-table .attempt-list li"))
            .await
            .context("the START's attempts were not listed")?
            .text()
            .await?;
        ensure!(attempt.contains("HTTP 200"), "attempt: {attempt}");
        std::fs::write(
            shots.join(format!("dispatches-{}.png", engine.name())),
            client.screenshot().await?,
        )?;

        // The FSP sees it on its Schedules page, with nothing to act on.
        client.delete_all_cookies().await?;
        client.goto(&page).await?;
        sign_in_as_demo_fsp(&client).await?;
        client.goto(&page).await?;
        let row = wait_for(&client, Locator::Css("#dispatch-table tbody tr"))
            .await
            .context("the FSP does not see the dispatch")?
            .text()
            .await?;
        ensure!(
            row.contains("API Test") && row.contains("Restore"),
            "row: {row}"
        );
        let title = client.find(Locator::Css("h1")).await?.text().await?;
        ensure!(title == "Schedules", "FSP page title: {title}");
        let controls = client
            .find_all(Locator::Css(
                "#dispatch-table button:not(.attempts), #new-dispatch",
            ))
            .await?;
        ensure!(
            controls.is_empty(),
            "the FSP was offered {} dispatch controls",
            controls.len()
        );
        anyhow::Ok(())
    }
    .await;

    receiving.abort();
    client.close().await.ok();
    driver.kill().await.ok();
    server.kill().await.ok();
    std::fs::remove_dir_all(profile).ok();
    drop(database);
    outcome
}
