//! Meterable Units, API Testing › Readings and My API Access Tokens in the browser.

use super::support::*;
use anyhow::{Context, Result, ensure};
use backend::testing::{Engine, TempDatabase};
use fantoccini::Locator;

pub(crate) async fn meterable_units_page_shows_the_api_test_card(engine: Engine) -> Result<()> {
    let database = TempDatabase::create(engine).await?;
    let (mut server, port) = start_server(&database.url).await?;
    let (mut driver, client, profile, _) = start_browser().await?;

    let outcome = async {
        client
            .goto(&format!("http://localhost:{port}/meterable-units"))
            .await?;
        sign_in_as_demo_fsp(&client).await?;
        let select = wait_for(
            &client,
            Locator::Css("#zone-select option[value='twilight-zone']"),
        )
        .await
        .context("the zone drop-down never listed twilight-zone")?;
        let _ = select;
        client
            .find(Locator::Css("#zone-select"))
            .await?
            .select_by_value("twilight-zone")
            .await?;
        let card = wait_for(
            &client,
            Locator::Css("article[data-dispatch-group='API Test']"),
        )
        .await
        .context("the API Test card never appeared")?;
        let text = card.text().await?;
        ensure!(
            text.contains("30 / none / none"),
            "runtimes missing from card: {text}"
        );
        let prices = card
            .find(Locator::Css("table.prices"))
            .await?
            .text()
            .await?;
        ensure!(
            prices.contains("Sustain"),
            "prices table lacks Sustain: {prices}"
        );
        ensure!(
            prices.contains("95.55") && prices.contains("1.99"),
            "prices table lacks the guide's Sustain prices: {prices}"
        );
        // Each meterable unit shows its own baseline (guide §3.5).
        let unit_baselines = card.find_all(Locator::Css("td.unit-baseline")).await?;
        ensure!(
            !unit_baselines.is_empty(),
            "the units table shows no baseline per unit"
        );
        for cell in unit_baselines {
            let text = cell.text().await?;
            ensure!(
                [
                    "None this week",
                    "Static",
                    "Template",
                    "Nominated",
                    "Automatic"
                ]
                .iter()
                .any(|m| text.starts_with(m)),
                "a unit's baseline reads {text:?}"
            );
        }
        ensure!(
            client
                .current_url()
                .await?
                .as_str()
                .contains("zone=twilight-zone"),
            "the zone is not in the URL"
        );

        let shots = workspace_root().join("target/e2e");
        std::fs::create_dir_all(&shots)?;
        let png = client.screenshot().await?;
        std::fs::write(
            shots.join(format!("meterable-units-{}.png", engine.name())),
            png,
        )?;

        // A deep link straight to a client route loads the app too.
        client
            .goto(&format!(
                "http://localhost:{port}/meterable-units?zone=twilight-zone&week=2025-02-17"
            ))
            .await?;
        let week = wait_for(&client, Locator::Css(".week strong"))
            .await?
            .text()
            .await?;
        ensure!(week == "17th February 2025", "week label was {week:?}");
        wait_for(
            &client,
            Locator::Css("article[data-dispatch-group='ATestDV']"),
        )
        .await
        .context("deep link did not render the ATestDV card")?;
        let policies = client
            .find(Locator::Css("#programme-policies"))
            .await?
            .text()
            .await?;
        ensure!(
            policies.contains("declarations lock Wednesday 23:59 the week before"),
            "programme policies: {policies}"
        );

        // The GraphQL explorer runs from files the product serves itself (no CDN).
        client
            .goto(&format!("http://localhost:{port}/graphql"))
            .await?;
        wait_for(&client, Locator::Css(".graphiql-container"))
            .await
            .context("GraphiQL did not start (are its assets in frontend/dist/graphiql?)")?;

        // Account page (guide §4.0): opt in to one e-mail, save, and find it kept.
        client
            .goto(&format!("http://localhost:{port}/account"))
            .await?;
        let monthly = wait_for(&client, Locator::Css("#pref-monthly"))
            .await
            .context("no Monthly Invoices email preference")?;
        ensure!(
            monthly.prop("checked").await?.as_deref() == Some("false"),
            "preferences must start opted out"
        );
        monthly.click().await?;
        click(&client, "#save-preferences").await?;
        wait_for(&client, Locator::XPath("//p[contains(., 'Saved.')]"))
            .await
            .context("saving preferences did not confirm")?;
        client.refresh().await?;
        let monthly = wait_for(&client, Locator::Css("#pref-monthly")).await?;
        ensure!(
            monthly.prop("checked").await?.as_deref() == Some("true"),
            "the opt-in was not kept"
        );

        // My API Access Tokens (guide §3.1): create one, confirm the revocation warning,
        // and use the token shown once as an FSP system would.
        client
            .goto(&format!("http://localhost:{port}/api-testing/tokens"))
            .await?;
        click(&client, "#create-token").await?;
        client
            .accept_alert()
            .await
            .context("no revocation warning")?;
        let token = wait_for(&client, Locator::Css("#new-token"))
            .await
            .context("the new token was not shown")?
            .text()
            .await?;
        ensure!(token.starts_with("oflx_"), "token {token:?}");
        let status = http_status_with(port, "/api/v2/zones", &format!("Bearer {token}")).await;
        ensure!(status == Some(200), "the token was refused: {status:?}");

        // An FSP system posts a reading with that token; API Testing › Readings shows it.
        let reading = serde_json::json!({"readings": [{
            "meterable_unit_id": backend::seed::API_TEST_UNIT_ID,
            "timestamp": "2025-02-01T02:00:00Z",
            "power_kw": -907.99
        }]});
        let posted = http_post_json(
            port,
            "/api/v2/readings",
            &reading,
            &format!("Bearer {token}"),
        )
        .await?;
        ensure!(posted == 200, "posting a reading answered {posted}");
        client
            .goto(&format!("http://localhost:{port}/api-testing/readings"))
            .await?;
        let table = wait_for(
            &client,
            Locator::Css(&format!(
                "section[data-unit='{}'] table",
                backend::seed::API_TEST_UNIT_ID
            )),
        )
        .await
        .context("no readings table for the API Test unit")?
        .text()
        .await?;
        ensure!(
            table.contains("2025-02-01T02:00:00Z") && table.contains("-907.99"),
            "the posted reading is not listed: {table}"
        );
        let curl = client
            .find(Locator::Css("#curl-example"))
            .await?
            .text()
            .await?;
        ensure!(
            curl.contains("/api/v2/readings") && curl.contains("Bearer"),
            "curl example: {curl}"
        );

        // Upload CSV: the same readings API, from a file the browser reads.
        let csv = std::env::temp_dir().join(format!("openflex-e2e-{}.csv", engine.name()));
        std::fs::write(
            &csv,
            format!(
                "meterable_unit_id,timestamp,power_kw\n{},2025-02-01T01:59:00Z,-900\n",
                backend::seed::API_TEST_UNIT_ID
            ),
        )?;
        fill(&client, "#upload-csv", &csv.display().to_string()).await?;
        let result = wait_for(&client, Locator::Css("#upload-result"))
            .await
            .context("no upload result")?
            .text()
            .await?;
        std::fs::remove_file(&csv).ok();
        ensure!(
            result.contains("Uploaded: 1 readings (1 new"),
            "upload result: {result}"
        );

        // The guide's example at volume: after 75 more readings the page shows the newest 60.
        let rows: Vec<serde_json::Value> = (1..=75)
            .map(|i| {
                serde_json::json!({
                    "meterable_unit_id": backend::seed::API_TEST_UNIT_ID,
                    "timestamp": format!("2025-02-03T{:02}:{:02}:00Z", i / 60, i % 60),
                    "power_kw": -907.99
                })
            })
            .collect();
        let posted = http_post_json(
            port,
            "/api/v2/readings",
            &serde_json::json!({ "readings": rows }),
            &format!("Bearer {token}"),
        )
        .await?;
        ensure!(posted == 200, "posting 75 readings answered {posted}");
        click(&client, "#refresh-readings").await?;
        let rows_css = format!(
            "section[data-unit='{}'] tbody tr",
            backend::seed::API_TEST_UNIT_ID
        );
        wait_until("the refreshed readings table", async || {
            let Ok(first) = client.find(Locator::Css(&rows_css)).await else {
                return false;
            };
            first
                .text()
                .await
                .is_ok_and(|t| t.starts_with("2025-02-03T01:15:00Z"))
        })
        .await?;
        let shown = client.find_all(Locator::Css(&rows_css)).await?.len();
        ensure!(shown == 60, "the Readings page shows {shown} rows, not 60");

        // The page's own curl example, with the token in place of its placeholder, works.
        let command = curl.replace("<your API token>", &token);
        let output = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{command} --silent --show-error --fail-with-body"))
            .output()
            .await
            .context("running the curl example (is curl installed?)")?;
        ensure!(
            output.status.success(),
            "the curl example failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );

        // Documentation › Participant API: rendered here from the OpenAPI document.
        client
            .goto(&format!("http://localhost:{port}/documentation"))
            .await?;
        let refused = wait_for(&client, Locator::Css("#not-permitted"))
            .await
            .context("the docs do not say what participants may not do")?
            .text()
            .await?;
        ensure!(
            refused.contains("availability declarations"),
            "not permitted to participants: {refused}"
        );
        wait_for(&client, Locator::LinkText("Participant API"))
            .await
            .context("no Participant API link")?
            .click()
            .await?;
        let ingest = wait_for(&client, Locator::Css("#op-post-api-v2-readings"))
            .await
            .context("the API documentation did not render POST /api/v2/readings")?
            .text()
            .await?;
        for needle in ["Idempotency-Key", "422", "ReadingsBatch", "-907.99"] {
            ensure!(
                ingest.contains(needle),
                "POST /api/v2/readings docs lack {needle}: {ingest}"
            );
        }
        for css in [
            "#op-get-api-v2-readings",
            "#op-get-api-v2-readings-latest",
            "#op-post-api-v2-readings-csv",
            "#schema-ProblemDetails",
            "#schema-ReadingsPage",
        ] {
            wait_for(&client, Locator::Css(css))
                .await
                .with_context(|| format!("the API documentation has no {css}"))?;
        }
        client
            .goto(&format!("http://localhost:{port}/documentation/graphql"))
            .await?;
        let sdl = wait_for(&client, Locator::Css("#graphql-sdl"))
            .await
            .context("no GraphQL schema on the docs page")?
            .text()
            .await?;
        ensure!(sdl.contains("postReadings"), "SDL: {sdl}");
        client
            .goto(&format!(
                "http://localhost:{port}/documentation/participant-api"
            ))
            .await?;
        wait_for(&client, Locator::Css("#op-post-api-v2-readings")).await?;
        std::fs::write(
            shots.join(format!("participant-api-docs-{}.png", engine.name())),
            client.screenshot().await?,
        )?;
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
