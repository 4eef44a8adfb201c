//! `openflex fsp-simulator` against the real server: it registers itself as the demo FSP's
//! endpoint, the operator dispatches in the browser, the simulator follows at 95 %, and the
//! event report shows 95 % delivery.

use super::support::*;
use anyhow::{Context, Result, ensure};
use backend::testing::{Engine, TempDatabase};
use fantoccini::Locator;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// A two-minute dispatch of API Test under Restore, starting at the next whole minute at
/// least 40 s away (time for its START to arrive first).
fn window() -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    use chrono::{DurationRound, TimeDelta};
    let soon = chrono::Utc::now() + TimeDelta::seconds(40);
    let start = soon
        .duration_trunc(TimeDelta::minutes(1))
        .map(|t| t + TimeDelta::minutes(1))
        .unwrap_or(soon);
    (start, start + TimeDelta::minutes(2))
}

pub(crate) async fn simulator_follows_an_operator_dispatch(engine: Engine) -> Result<()> {
    let database = TempDatabase::create(engine).await?;
    let (mut server, port) = start_server_with(
        &database.url,
        &[("OPENFLEX_ALLOW_PRIVATE_ENDPOINTS", "true".to_owned())],
    )
    .await?;
    let base = format!("http://localhost:{port}");
    let db = backend::db::connect(&database.url).await?;
    let token = backend::seed::demo_api_token(&db, chrono::Utc::now()).await?;
    let fsp = backend::seed::DEMO_LOGINS
        .iter()
        .find(|l| l.role == shared::Role::Participant)
        .context("a demo FSP sign-in")?;
    let listen = format!("127.0.0.1:{}", free_port()?);
    let mut simulator = Command::new(workspace_root().join("target/debug/openflex"))
        .args(["fsp-simulator", "--api-url", &base, "--token", &token])
        .args(["--listen", &listen, "--response", "0.95", "--register"])
        .env("OPENFLEX_EMAIL", fsp.email)
        .env("OPENFLEX_PASSWORD", fsp.password)
        .env("OPENFLEX_TOTP_SECRET", fsp.totp_secret)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting openflex fsp-simulator")?;
    let printed: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = printed.clone();
    let mut lines = BufReader::new(simulator.stdout.take().context("stdout")?).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            sink.lock().expect("lock").push(line);
        }
    });
    let said = |needle: &str| {
        printed
            .lock()
            .expect("lock")
            .iter()
            .any(|l| l.contains(needle))
    };
    let (mut driver, client, profile, _) = start_browser().await?;

    let outcome = async {
        wait_until("the simulator to register and listen", async || {
            said("listening on")
        })
        .await
        .with_context(|| format!("the simulator printed {:?}", printed.lock()))?;
        ensure!(
            said("registered http://127.0.0.1") && said("signing secret is whsec_"),
            "the simulator printed {:?}",
            printed.lock()
        );

        let (start, end) = window();
        let week = shared::WeekCommencing::containing(start.date_naive());
        let page = format!("{base}/dispatches?week={week}");
        client.goto(&page).await?;
        sign_in_as_demo(&client, shared::Role::Operator).await?;
        client.goto(&page).await?;
        // A two-minute dispatch: API Test's 30-minute minimum runtime goes.
        let shorter = client
            .execute(
                "const gql = (query, variables) => fetch('/graphql', {method: 'POST',
                     headers: {'content-type': 'application/json'},
                     body: JSON.stringify({query, variables})}).then(r => r.json());
                 return gql('query($u: String!) { meterableUnit(id: $u) { dispatchGroupId } }', {u: arguments[0]})
                   .then(d => d.data.meterableUnit.dispatchGroupId)
                   .then(id => gql('query($id: String!) { dispatchGroup(id: $id) { name powerChangeKw direction maxRuntimeMinutes weeklyRuntimeMinutes marketplaceUnits } }', {id})
                     .then(d => { const g = d.data.dispatchGroup; g.minRuntimeMinutes = null;
                       return gql('mutation($id: String!, $g: DispatchGroupInput!) { updateDispatchGroup(id: $id, group: $g) { minRuntimeMinutes } }', {id, g}); }))",
                vec![serde_json::json!(backend::seed::API_TEST_UNIT_ID)],
            )
            .await?;
        ensure!(
            shorter["data"]["updateDispatchGroup"]["minRuntimeMinutes"].is_null()
                && shorter["errors"].is_null(),
            "API Test's runtimes: {shorter}"
        );
        signal_restore(&client).await?;
        dispatch_api_test_under_restore(&client, start, end).await?;

        // The START arrives at once (its lead time has passed), a reading follows each
        // minute, and the STOP at the end finishes it.
        let deadline = std::time::Instant::now()
            + (end - chrono::Utc::now() + chrono::TimeDelta::seconds(60))
                .to_std()
                .unwrap_or_default();
        while !said("2 readings sent") {
            ensure!(
                std::time::Instant::now() < deadline,
                "the simulator did not follow the dispatch: {:?}",
                printed.lock()
            );
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        ensure!(
            said("\"instruction\":\"START\"") && said("\"instruction\":\"STOP\""),
            "START and STOP: {:?}",
            printed.lock()
        );

        let month = start.format("%Y-%m");
        client
            .goto(&format!(
                "{base}/reports/event-reports?month={month}&zone=twilight-zone"
            ))
            .await?;
        wait_for(&client, Locator::Css("#event-reports tbody tr"))
            .await
            .context("no event report listed")?;
        let mut rows = Vec::new();
        for row in client
            .find_all(Locator::Css("#event-reports tbody tr"))
            .await?
        {
            rows.push(row.text().await?);
        }
        ensure!(
            rows.iter()
                .any(|r| r.contains("API Test") && r.contains("Restore") && r.contains("95.0 %")),
            "no event report shows the dispatch at 95 % delivery: {rows:#?}"
        );
        let shots = workspace_root().join("target/e2e");
        std::fs::create_dir_all(&shots)?;
        std::fs::write(
            shots.join(format!("simulator-event-report-{}.png", engine.name())),
            client.screenshot().await?,
        )?;
        anyhow::Ok(())
    }
    .await;

    simulator.kill().await.ok();
    client.close().await.ok();
    driver.kill().await.ok();
    server.kill().await.ok();
    std::fs::remove_dir_all(profile).ok();
    drop(db);
    drop(database);
    outcome
}
