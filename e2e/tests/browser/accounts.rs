//! Accounts in the browser: an invitation e-mailed through a real SMTP server, a password
//! set and an authenticator enrolled.

use super::support::*;
use anyhow::{Context, Result, ensure};
use backend::testing::{Engine, TempDatabase};
use fantoccini::Locator;
use std::time::Duration;

/// Guide §2.3–§2.4 end to end: an operator invites an FSP user from the Users page, the
/// e-mail reaches a real SMTP server, and the new user follows its link, sets a password,
/// enrols an authenticator from the page's secret and arrives in the app.
pub(crate) async fn invited_user_signs_up_in_the_browser(engine: Engine) -> Result<()> {
    let smtp = backend::testing::SmtpSink::start().await?;
    let database = TempDatabase::create(engine).await?;
    let (mut server, port) =
        start_server_with(&database.url, &[("OPENFLEX_SMTP_URL", smtp.url())]).await?;
    let (mut driver, client, profile, driver_port) = start_browser().await?;

    let outcome = async {
        client
            .goto(&format!("http://localhost:{port}/users"))
            .await?;
        sign_in_as_demo(&client, shared::Role::Operator).await?;
        client
            .goto(&format!("http://localhost:{port}/users"))
            .await?;
        fill(&client, "input[name='name']", "Nina New").await?;
        fill(&client, "input[name='email']", "nina@twilight.example").await?;
        fill(&client, "input[name='organisation']", "Twilight Flex Ltd").await?;
        click(&client, "form button[type='submit']").await?;
        wait_for(
            &client,
            Locator::XPath("//p[contains(., 'Invitation sent.')]"),
        )
        .await
        .context("the invitation was not confirmed")?;

        let mut link = None;
        for _ in 0..50 {
            link = smtp.messages().await.iter().find_map(|m| {
                let decoded = quoted_printable::decode(
                    m.replace('\n', "\r\n"),
                    quoted_printable::ParseMode::Robust,
                )
                .ok()?;
                String::from_utf8_lossy(&decoded)
                    .lines()
                    .find(|l| l.contains("/activate#token="))
                    .map(|l| l.trim().to_owned())
            });
            if link.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let link = link.context("no invitation e-mail reached the SMTP server")?;
        ensure!(
            link.starts_with(&format!("http://localhost:{port}/activate#token=")),
            "link {link}"
        );

        client.delete_all_cookies().await?;
        client.goto(&link).await?;
        let password = "nina's long passphrase";
        fill(&client, "input[name='password']", password).await?;
        fill(&client, "input[name='confirm']", password).await?;
        click(&client, "button[type='submit']").await?;
        wait_for(
            &client,
            Locator::XPath("//p[contains(., 'Your password is set.')]"),
        )
        .await
        .context("setting the password did not lead to sign-in")?;
        fill(&client, "input[name='email']", "nina@twilight.example").await?;
        fill(&client, "input[name='password']", password).await?;
        click(&client, "button[type='submit']").await?;
        let secret = wait_for(&client, Locator::Css("#totp-secret"))
            .await
            .context("no 2FA set-up page on first sign-in")?
            .text()
            .await?;
        ensure!(
            client.find(Locator::Css(".qr svg")).await.is_ok(),
            "the QR code is missing"
        );
        let shots = workspace_root().join("target/e2e");
        std::fs::create_dir_all(&shots)?;
        std::fs::write(
            shots.join(format!("totp-setup-{}.png", engine.name())),
            client.screenshot().await?,
        )?;
        fill(&client, "input[name='code']", &current_code(&secret)?).await?;
        click(&client, "button[type='submit']").await?;
        let name = wait_for(&client, Locator::Css(".user-name[href='/account']"))
            .await
            .context("not in the app after enrolment")?
            .text()
            .await?;
        ensure!(name == "Nina New", "signed in as {name:?}");

        // A passkey, registered on the account page with Chromium's virtual authenticator,
        // then used instead of the code at the next sign-in.
        let session = client
            .session_id()
            .await?
            .context("no WebDriver session id")?;
        for (cmd, params) in [
            ("WebAuthn.enable", serde_json::json!({})),
            (
                "WebAuthn.addVirtualAuthenticator",
                serde_json::json!({"options": {
                    "protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
                    "hasUserVerification": true, "isUserVerified": true
                }}),
            ),
        ] {
            let status = http_post_json(
                driver_port,
                &format!("/session/{session}/goog/cdp/execute"),
                &serde_json::json!({"cmd": cmd, "params": params}),
                "",
            )
            .await?;
            ensure!(status == 200, "{cmd} answered {status}");
        }
        client
            .goto(&format!("http://localhost:{port}/account"))
            .await?;
        fill(&client, "input[name='passkey-name']", "e2e key").await?;
        click(&client, "#add-passkey").await?;
        wait_for(
            &client,
            Locator::XPath("//p[contains(., 'Passkey added.')]"),
        )
        .await
        .context("registering a passkey failed")?;
        // Adding a second factor is news the user hears of by e-mail.
        let told = smtp.wait_for(2).await;
        ensure!(
            told.iter().any(|m| m.contains("To: nina@twilight.example")
                && m.contains("Subject: A passkey was added to your Openflex account")),
            "no e-mail about the new passkey: {told:?}"
        );
        client.delete_all_cookies().await?;
        client
            .goto(&format!("http://localhost:{port}/login"))
            .await?;
        fill(&client, "input[name='email']", "nina@twilight.example").await?;
        fill(&client, "input[name='password']", password).await?;
        click(&client, "button[type='submit']").await?;
        wait_for(&client, Locator::Css("#use-passkey"))
            .await
            .context("no second-factor page")?
            .click()
            .await?;
        let name = wait_for(&client, Locator::Css(".user-name[href='/account']"))
            .await
            .context("the passkey did not sign in")?
            .text()
            .await?;
        ensure!(name == "Nina New", "signed in with a passkey as {name:?}");

        // The account page changes the password (the passkey sign-in just now is a fresh
        // second factor); the new password is then the one that signs in.
        client
            .goto(&format!("http://localhost:{port}/account"))
            .await?;
        let changed = "a changed long passphrase";
        fill(&client, "input[name='current-password']", password).await?;
        fill(&client, "input[name='new-password']", changed).await?;
        fill(&client, "input[name='confirm-password']", changed).await?;
        click(&client, "#change-password-submit").await?;
        wait_for(
            &client,
            Locator::XPath("//p[contains(., 'Password changed.')]"),
        )
        .await
        .context("changing the password on the account page failed")?;
        client.delete_all_cookies().await?;
        client
            .goto(&format!("http://localhost:{port}/login"))
            .await?;
        fill(&client, "input[name='email']", "nina@twilight.example").await?;
        fill(&client, "input[name='password']", changed).await?;
        click(&client, "button[type='submit']").await?;
        wait_for(&client, Locator::Css("#use-passkey"))
            .await
            .context("the new password did not lead to the second factor")?;

        // The same link again is refused.
        client.goto(&link).await?;
        fill(&client, "input[name='password']", "another long passphrase").await?;
        fill(&client, "input[name='confirm']", "another long passphrase").await?;
        click(&client, "button[type='submit']").await?;
        wait_for(
            &client,
            Locator::XPath("//p[contains(., 'expired or was already used')]"),
        )
        .await
        .context("a used invitation link was not refused")?;
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
