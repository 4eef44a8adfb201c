//! The developer portal, read as a new FSP developer would: without an account.

use super::support::*;
use anyhow::{Context, Result, ensure};
use backend::testing::{Engine, TempDatabase};
use fantoccini::{Client, Locator};

/// The text of the element, once it appears.
async fn text_of(client: &Client, css: &str) -> Result<String> {
    match wait_for(client, Locator::Css(css)).await {
        Ok(element) => Ok(element.text().await?),
        Err(e) => Err(anyhow::anyhow!(
            "no {css} on {}: {e}",
            page_url(client).await
        )),
    }
}

async fn page_url(client: &Client) -> String {
    client
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default()
}

/// §3 of issue 14: `/developers` needs no sign-in; the API reference renders the
/// document's markdown; the webhook reference lists every message; the guides show the
/// example files byte for byte and the server offers the same files for download.
pub(crate) async fn developer_reads_the_portal_signed_out(engine: Engine) -> Result<()> {
    let database = TempDatabase::create(engine).await?;
    let (mut server, port) = start_server(&database.url).await?;
    let (mut driver, client, profile, _) = start_browser().await?;
    let outcome = async {
        let base = format!("http://localhost:{port}");
        client.goto(&format!("{base}/developers")).await?;
        // The top bar has asked who is signed in (nobody) and the page stayed.
        wait_for(&client, Locator::Css("a.user-name[href='/login']"))
            .await
            .context("the top bar does not offer a sign-in")?;
        let api_base = text_of(&client, "#api-base").await?;
        ensure!(api_base == format!("{base}/api/v2"), "API base: {api_base}");
        ensure!(
            page_url(&client).await.ends_with("/developers"),
            "sent away from the portal to {}",
            page_url(&client).await
        );

        wait_for(&client, Locator::LinkText("Participant API"))
            .await?
            .click()
            .await?;
        let ingest = text_of(&client, "#op-post-api-v2-readings").await?;
        ensure!(ingest.contains("Idempotency-Key"), "{ingest}");
        // Markdown is rendered, never shown raw.
        let rendered = client
            .find_all(Locator::Css(".markdown code, .markdown strong"))
            .await?;
        ensure!(!rendered.is_empty(), "no rendered markdown on the API page");
        for block in client.find_all(Locator::Css(".markdown")).await? {
            let text = block.text().await?;
            ensure!(!text.contains('`'), "raw markdown shown: {text}");
        }

        client.goto(&format!("{base}/developers/webhooks")).await?;
        for kind in [
            "dispatch-start",
            "dispatch-stop",
            "dispatch-cancel",
            "dispatch-emergency-stop",
            "dispatch-schedule",
        ] {
            let message = text_of(&client, &format!("#message-{kind}")).await?;
            for needle in ["webhook-signature", "2XX", "\"version\": \"2\""] {
                ensure!(message.contains(needle), "{kind} lacks {needle}: {message}");
            }
        }
        text_of(&client, "#schema-Start").await?;

        let downloads = workspace_root().join("frontend/developers/downloads");
        client
            .goto(&format!("{base}/developers/receiving-dispatches"))
            .await?;
        let http = reqwest::Client::new();
        for file in [
            "receive_dispatches.py",
            "receive_dispatches.js",
            "verify_dispatch.rs",
            "verify-signature.sh",
            "send-test-dispatch.sh",
        ] {
            let shown = text_of(
                &client,
                &format!("#example-{} pre", file.replace(['.', '_'], "-")),
            )
            .await?;
            let on_disk = std::fs::read_to_string(downloads.join(file))?;
            ensure!(
                shown.trim() == on_disk.trim(),
                "{file} is not shown as the file is"
            );
            let served = http
                .get(format!("{base}/downloads/{file}"))
                .send()
                .await?
                .error_for_status()?
                .text()
                .await?;
            ensure!(served == on_disk, "/downloads/{file} differs from the file");
        }
        let screenshots = workspace_root().join("target/e2e");
        std::fs::create_dir_all(&screenshots)?;
        std::fs::write(
            screenshots.join(format!("developers-receiving-{}.png", engine.name())),
            client.screenshot().await?,
        )?;

        client.goto(&format!("{base}/developers/readings")).await?;
        for file in ["readings-per-minute.csv", "readings-half-hourly.csv"] {
            let shown = text_of(
                &client,
                &format!("#example-{} pre", file.replace(['.', '_'], "-")),
            )
            .await?;
            let header = shown.lines().next().unwrap_or_default().to_owned();
            ensure!(
                header.starts_with("meterable_unit_id,timestamp,"),
                "{file}: {header}"
            );
        }
        client.goto(&format!("{base}/developers/changelog")).await?;
        ensure!(text_of(&client, "#changelog h1").await? == "Changelog");
        client.goto(&format!("{base}/developers/graphql")).await?;
        ensure!(
            text_of(&client, "#graphql-sdl")
                .await?
                .contains("sendTestDispatch")
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
