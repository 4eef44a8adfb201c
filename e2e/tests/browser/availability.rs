//! Availability in the browser: the operator declares for an FSP, the FSP reads it.

use super::support::*;
use anyhow::{Context, Result, ensure};
use backend::testing::{Engine, TempDatabase};
use fantoccini::Locator;

/// Guide §3.4: the operator enters availability for an FSP on the calendar; the FSP sees
/// it read-only, told that the operator manages its declarations.
pub(crate) async fn operator_declares_availability_the_fsp_reads_it(engine: Engine) -> Result<()> {
    let database = TempDatabase::create(engine).await?;
    let (mut server, port) = start_server(&database.url).await?;
    let (mut driver, client, profile, _) = start_browser().await?;

    let outcome = async {
        // The week after next: its declarations lock on next week's Wednesday.
        let today = chrono::Utc::now().date_naive();
        let week = shared::WeekCommencing::containing(today).next().next();
        let monday = week.to_string();
        let calendar = format!(
            "http://localhost:{port}/availability/calendar?zone=twilight-zone&week={monday}"
        );
        client.goto(&calendar).await?;
        sign_in_as_demo(&client, shared::Role::Operator).await?;
        client.goto(&calendar).await?;
        choose_api_test_sustain(&client).await?;
        let banner = wait_for(&client, Locator::Css("#calendar-banner"))
            .await
            .context("no calendar banner")?
            .text()
            .await?;
        ensure!(
            banner.starts_with("This week can be edited until 23:59 on Wednesday"),
            "banner: {banner}"
        );
        // Configuration: a price above its unit ceiling is kept, with its warning.
        client
            .goto(&format!("http://localhost:{port}/configuration?zone=twilight-zone"))
            .await?;
        let row = "article[data-dispatch-group='API Test'] tr[data-programme='Sustain']";
        let inputs = {
            wait_for(&client, Locator::Css(&format!("{row} input.money")))
                .await
                .context("no price inputs on the configuration page")?;
            client
                .find_all(Locator::Css(&format!("{row} input.money")))
                .await?
        };
        ensure!(inputs.len() == 3, "{} price inputs", inputs.len());
        for (input, value) in inputs.iter().zip(["95.55", "120", "100"]) {
            input.clear().await?;
            input.send_keys(value).await?;
        }
        click(&client, &format!("{row} button.save-price")).await?;
        let saved = wait_for(&client, Locator::Css("#config-message.notice"))
            .await
            .context("a price above the ceiling was not saved")?
            .text()
            .await?;
        ensure!(saved == "Prices saved.", "message: {saved}");
        let warning = wait_for(&client, Locator::Css(&format!("{row} .price-warning")))
            .await
            .context("no warning beside a price above its ceiling")?
            .text()
            .await?;
        ensure!(
            warning.contains("utilisation £120.00 above the unit ceiling of £100.00"),
            "warning: {warning}"
        );
        client.goto(&calendar).await?;
        choose_api_test_sustain(&client).await?;

        // The unit's nominated baseline, sent through GraphQL with the operator's session
        // (the calendar then charts it): a daily demand curve, deeper in the evening.
        let mut template = String::from("day_of_week,local_time,power_kw\n");
        for day in ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"] {
            for minute in 0..1440 {
                let hour = f64::from(minute) / 60.0;
                let kw = -250.0 - 200.0 * (-(hour - 18.0).powi(2) / 8.0).exp();
                template.push_str(&format!("{day},{:02}:{:02},{kw:.2}\n", minute / 60, minute % 60));
            }
        }
        let uploaded = client
            .execute(
                "return fetch('/graphql', {method: 'POST', headers: {'content-type': 'application/json'},
                   body: JSON.stringify({query: 'mutation($u: String!, $c: String!) { uploadBaselineTemplate(meterableUnitId: $u, csv: $c) }',
                                         variables: {u: arguments[0], c: arguments[1]}})}).then(r => r.json())",
                vec![
                    serde_json::json!(backend::seed::API_TEST_UNIT_ID),
                    serde_json::json!(template),
                ],
            )
            .await?;
        ensure!(
            uploaded["data"]["uploadBaselineTemplate"] == 10080,
            "template upload: {uploaded}"
        );
        client.refresh().await?;
        wait_for(&client, Locator::Css("svg#baseline-chart polyline.baseline"))
            .await
            .context("the calendar has no baseline chart")?;
        let day = format!("section.day[data-date='{monday}']");
        fill(&client, &format!("{day} input.start"), "16:00").await?;
        fill(&client, &format!("{day} input.end"), "19:00").await?;
        fill(&client, &format!("{day} input.kw"), "400").await?;
        click(&client, &format!("{day} button.add")).await?;
        let declared = wait_for(&client, Locator::Css(&format!("{day} .window")))
            .await
            .context("the declared window did not appear")?
            .text()
            .await?;
        ensure!(
            declared.contains("16:00–19:00") && declared.contains("400 kW"),
            "window: {declared}"
        );
        let refused_kw = format!("{day} input.kw");
        fill(&client, &format!("{day} input.start"), "18:00").await?;
        fill(&client, &format!("{day} input.end"), "20:00").await?;
        fill(&client, &refused_kw, "100").await?;
        click(&client, &format!("{day} button.add")).await?;
        let error = wait_for(&client, Locator::Css("#calendar-message.error"))
            .await
            .context("an overlapping window was not refused")?
            .text()
            .await?;
        ensure!(error.contains("overlaps"), "message: {error}");
        let shots = workspace_root().join("target/e2e");
        std::fs::create_dir_all(&shots)?;
        std::fs::write(
            shots.join(format!("availability-calendar-{}.png", engine.name())),
            client.screenshot().await?,
        )?;

        // The FSP sees the window and cannot change anything.
        client.delete_all_cookies().await?;
        client.goto(&calendar).await?;
        sign_in_as_demo_fsp(&client).await?;
        client.goto(&calendar).await?;
        choose_api_test_sustain(&client).await?;
        let banner = wait_for(&client, Locator::Css("#calendar-banner"))
            .await?
            .text()
            .await?;
        ensure!(
            banner == "Availability declarations for this programme are managed by the Operator",
            "FSP banner: {banner}"
        );
        // The FSP sees the week's deadline too, as the guide shows (§3.4).
        let deadline = wait_for(&client, Locator::Css("#calendar-deadline"))
            .await
            .context("the FSP does not see the week's deadline")?
            .text()
            .await?;
        ensure!(
            deadline.starts_with("This week can be edited until 23:59 on Wednesday")
                || deadline.starts_with("Declarations for this week locked at 23:59 on Wednesday"),
            "FSP deadline: {deadline}"
        );
        let seen = wait_for(&client, Locator::Css(&format!("{day} .window")))
            .await
            .context("the FSP does not see the window")?
            .text()
            .await?;
        ensure!(seen.contains("16:00–19:00"), "FSP window: {seen}");
        let editors = client
            .find_all(Locator::Css(".add-window, button.remove, button.accept"))
            .await?;
        ensure!(
            editors.is_empty(),
            "the FSP was offered {} edit controls",
            editors.len()
        );
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
