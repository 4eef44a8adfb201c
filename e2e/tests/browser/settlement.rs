//! Reports in the browser: event reports, statements, downloads, charts and a re-issue.

use super::support::*;
use anyhow::{Context, Result, ensure};
use backend::testing::{Engine, TempDatabase};
use fantoccini::Locator;

/// Guide §3.8–§3.9: an event that ended an hour ago, with its readings, in a month then
/// made final by the finalisation service; the FSP lists the event report and the
/// statement, every download (CSV, PDF, zip) comes back as a file of its kind, and the
/// event's chart renders.
pub(crate) async fn fsp_reads_reports(engine: Engine) -> Result<()> {
    // A fixed day on the server's clock: the event, its month and the finalisation are the
    // same whenever (and in whichever time zone) the test runs.
    let now = chrono::DateTime::parse_from_rfc3339("2026-03-10T12:00:00Z")?.to_utc();
    let shift = now - chrono::Utc::now();
    let database = TempDatabase::create(engine).await?;
    let (mut server, port) = start_server_with(
        &database.url,
        &[("OPENFLEX_START_CLOCK_AT", now.to_rfc3339())],
    )
    .await?;
    let (mut driver, client, profile, _) = start_browser().await?;

    let outcome = async {
        let db = backend::db::connect(&database.url).await?;
        let SettledEvent { event, month, .. } = settle_an_event(&db, now).await?;

        let reports = format!(
            "http://localhost:{port}/reports/event-reports?month={month}&zone=twilight-zone"
        );
        client.goto(&reports).await?;
        sign_in_as_demo_on_clock(&client, shared::Role::Participant, shift).await?;
        client.goto(&reports).await?;
        let row = wait_for(&client, Locator::Css("#event-reports tbody tr"))
            .await
            .context("no event report listed")?
            .text()
            .await?;
        ensure!(
            row.contains(&event)
                && row.contains("API Test")
                && row.contains("Final")
                && row.contains("208.333"),
            "event report row: {row}"
        );
        let fetched = |selector: &str| {
            let selector = selector.to_owned();
            let client = client.clone();
            async move {
                client
                    .execute(
                        "return Promise.all(Array.from(document.querySelectorAll(arguments[0])).map(a =>
                           fetch(a.getAttribute('href')).then(async r => [a.getAttribute('href'), r.status,
                             r.headers.get('content-type'),
                             String.fromCharCode(...new Uint8Array(await r.arrayBuffer()).slice(0, 11))])))",
                        vec![serde_json::json!(selector)],
                    )
                    .await
                    .map_err(anyhow::Error::from)
            }
        };
        let check = |files: &serde_json::Value, expected: usize| -> Result<()> {
            let files = files.as_array().context("downloads")?;
            ensure!(files.len() == expected, "{} downloads: {files:?}", files.len());
            for file in files {
                let (href, status, kind, head) = (&file[0], &file[1], file[2].as_str().unwrap_or(""), file[3].as_str().unwrap_or(""));
                ensure!(*status == 200, "{href}: HTTP {status}");
                let opens = match kind.split(';').next().unwrap_or("") {
                    "text/csv" => head.starts_with("dispatch_id") || head.starts_with("statement_i"),
                    "application/pdf" => head.starts_with("%PDF-"),
                    "application/zip" => head.starts_with("PK"),
                    _ => false,
                };
                ensure!(opens, "{href}: {kind} starting {head:?}");
            }
            Ok(())
        };
        check(&fetched("td.downloads a, a#reports-zip").await?, 5)?;

        click(&client, "#event-reports tbody tr td a").await?;
        wait_for(&client, Locator::Css("svg.event-chart polyline.reading"))
            .await
            .context("the event chart did not render")?;
        let shaded = client
            .find_all(Locator::Css("svg.event-chart rect.delivered"))
            .await?;
        ensure!(shaded.len() == 50, "{} delivered minutes shaded", shaded.len());
        let shots = workspace_root().join("target/e2e");
        std::fs::create_dir_all(&shots)?;
        std::fs::write(
            shots.join(format!("event-report-{}.png", engine.name())),
            client.screenshot().await?,
        )?;

        client
            .goto(&format!(
                "http://localhost:{port}/reports/statements?month={month}&zone=twilight-zone"
            ))
            .await?;
        let statement = wait_for(&client, Locator::Css("#statements tbody tr"))
            .await
            .context("no statement listed")?
            .text()
            .await?;
        ensure!(
            statement.contains("Twilight Flex Ltd") && statement.contains("Final"),
            "statement row: {statement}"
        );
        check(&fetched("td.downloads a, a#statements-zip").await?, 3)?;
        std::fs::write(
            shots.join(format!("statements-{}.png", engine.name())),
            client.screenshot().await?,
        )?;

        // API Testing › Sample Reports: computed from the sandbox data, charted.
        client
            .goto(&format!("http://localhost:{port}/api-testing/sample-reports"))
            .await?;
        let totals = wait_for(&client, Locator::Css("#sample-totals"))
            .await
            .context("no sample report")?
            .text()
            .await?;
        ensure!(
            totals.contains("API Test") && totals.contains("(3 missing)"),
            "sample: {totals}"
        );
        wait_for(&client, Locator::Css("svg.event-chart rect.delivered"))
            .await
            .context("the sample chart did not render")?;

        // The operator re-issues the final statement with a reason; the page names the new
        // version.
        client.delete_all_cookies().await?;
        client
            .goto(&format!("http://localhost:{port}/login"))
            .await?;
        sign_in_as_demo_on_clock(&client, shared::Role::Operator, shift).await?;
        client
            .goto(&format!(
                "http://localhost:{port}/reports/statements?month={month}&zone=twilight-zone"
            ))
            .await?;
        wait_for(&client, Locator::Css("#statements tbody tr button.reissue"))
            .await
            .context("no re-issue button for the operator")?
            .click()
            .await?;
        client.send_alert_text("late readings counted").await?;
        client.accept_alert().await?;
        wait_for(
            &client,
            Locator::XPath("//*[contains(., 'Statement re-issued as version 2.')]"),
        )
        .await
        .context("the re-issue did not report version 2")?;
        drop(db);
        anyhow::Ok(())
    }
    .await;

    client.close().await.ok();
    driver.kill().await.ok();
    server.kill().await.ok();
    std::fs::remove_dir_all(profile).ok();
    drop(database);
    outcome
}
