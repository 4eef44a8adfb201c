//! Drives the real server binary and the built browser app in Debian's headless Chromium.
//! `./dev test` builds both first and installs Chromium; anything missing is a failure.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test that cannot go on should fail loudly"
)]

use anyhow::{Context, Result, bail, ensure};
use backend::testing::{Engine, TempDatabase};
use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Status code of `GET path`, or None while nothing listens.
async fn http_status(port: u16, path: &str) -> Option<u16> {
    http_status_with(port, path, "").await
}

/// Status code of `GET path` with an `Authorization` header (none when empty).
async fn http_status_with(port: u16, path: &str, authorization: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let auth = if authorization.is_empty() {
        String::new()
    } else {
        format!("Authorization: {authorization}\r\n")
    };
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// Status code of a JSON POST to a local server.
async fn http_post_json(
    port: u16,
    path: &str,
    body: &serde_json::Value,
    authorization: &str,
) -> Result<u16> {
    let body = body.to_string();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let auth = if authorization.is_empty() {
        String::new()
    } else {
        format!("Authorization: {authorization}\r\n")
    };
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost:{port}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await?;
    Ok(std::str::from_utf8(&head[9..12])?.parse()?)
}

async fn wait_until(what: &str, mut ready: impl AsyncFnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if ready().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{what} did not become ready within 30 s")
}

async fn start_server(db_url: &str) -> Result<(Child, u16)> {
    start_server_with(db_url, &[]).await
}

async fn start_server_with(db_url: &str, extra_env: &[(&str, String)]) -> Result<(Child, u16)> {
    let root = workspace_root();
    let bin = root.join("target/debug/openflex");
    let static_dir = root.join("frontend/dist");
    ensure!(
        bin.is_file(),
        "{} is missing: run ./dev test, which builds it",
        bin.display()
    );
    ensure!(
        static_dir.join("index.html").is_file(),
        "{} is missing: run ./dev test, which builds the browser app",
        static_dir.display()
    );
    let port = free_port()?;
    let mut command = Command::new(bin);
    for (key, value) in extra_env {
        command.env(key, value);
    }
    let child = command
        .arg("serve")
        .env("OPENFLEX_ADDR", format!("127.0.0.1:{port}"))
        .env("OPENFLEX_PUBLIC_URL", format!("http://localhost:{port}"))
        .env("DATABASE_URL", db_url)
        .env("OPENFLEX_DEV_MODE", "true")
        .env(
            "OPENFLEX_SECRET_KEY",
            backend::crypto::SecretBox::generate_key()?,
        )
        .env("OPENFLEX_STATIC_DIR", &static_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting the server")?;
    wait_until("the server", async || {
        http_status(port, "/healthz").await == Some(200)
    })
    .await?;
    Ok((child, port))
}

async fn start_browser() -> Result<(Child, Client, PathBuf, u16)> {
    let driver_port = free_port()?;
    let driver = Command::new("chromedriver")
        .arg(format!("--port={driver_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("chromedriver not found: ./dev test installs Debian's chromium-driver")?;
    wait_until("chromedriver", async || {
        http_status(driver_port, "/status").await == Some(200)
    })
    .await?;
    let profile = std::env::temp_dir().join(format!(
        "openflex-e2e-chromium-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,1600",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        bail!("capabilities must be an object");
    };
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .context("connecting to chromedriver")?;
    Ok((driver, client, profile, driver_port))
}

async fn meterable_units_page_shows_the_api_test_card(engine: Engine) -> Result<()> {
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

/// The app sends a signed-out visitor to the sign-in page; the demo FSP user signs in
/// with password and authenticator code.
async fn sign_in_as_demo_fsp(client: &Client) -> Result<()> {
    sign_in_as_demo(client, shared::Role::Participant).await
}

async fn sign_in_as_demo(client: &Client, role: shared::Role) -> Result<()> {
    sign_in_as_demo_on_clock(client, role, chrono::TimeDelta::zero()).await
}

/// Signing in to a server whose clock runs `shift` ahead of this machine's
/// (`OPENFLEX_START_CLOCK_AT`): the authenticator code is the one for the server's time.
async fn sign_in_as_demo_on_clock(
    client: &Client,
    role: shared::Role,
    shift: chrono::TimeDelta,
) -> Result<()> {
    let demo = backend::seed::DEMO_LOGINS
        .iter()
        .find(|l| l.role == role)
        .context("a demo login")?;
    wait_for(client, Locator::Css("input[name='email']"))
        .await
        .context("not sent to the sign-in page")?
        .send_keys(demo.email)
        .await?;
    fill(client, "input[name='password']", demo.password).await?;
    click(client, "button[type='submit']").await?;
    let code_box = wait_for(client, Locator::Css("input[name='code']"))
        .await
        .context("no second-factor page after the password")?;
    // The server refuses a code twice in one 30-second step (replay protection): a second
    // sign-in as the same user against the same server waits for the next step.
    static USED: std::sync::Mutex<Vec<(String, &str, u64)>> = std::sync::Mutex::new(Vec::new());
    let origin = client.current_url().await?.origin().ascii_serialization();
    let step = loop {
        let step = u64::try_from((chrono::Utc::now() + shift).timestamp())? / 30;
        let fresh = {
            let mut used = USED
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let key = (origin.clone(), demo.email, step);
            let fresh = !used.contains(&key);
            if fresh {
                used.push(key);
            }
            fresh
        };
        if fresh {
            break step;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    code_box
        .send_keys(&code_at(demo.totp_secret, step * 30)?)
        .await?;
    click(client, "button[type='submit']").await?;
    wait_for(client, Locator::Css(".user-name[href='/account']"))
        .await
        .context("not signed in after the code")?;
    Ok(())
}

/// The element, once it appears (at most 20 s).
async fn wait_for(
    client: &Client,
    locator: Locator<'_>,
) -> Result<fantoccini::elements::Element, fantoccini::error::CmdError> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match client.wait().at_most(left).for_element(locator).await {
            // The app redirected (to the sign-in page, say) while the driver was looking:
            // look again on the new page.
            Err(e)
                if e.to_string().contains("aborted by navigation")
                    && std::time::Instant::now() < deadline => {}
            other => return other,
        }
    }
}

/// Waits for the element, then types into it.
async fn fill(client: &Client, css: &str, text: &str) -> Result<()> {
    wait_for(client, Locator::Css(css))
        .await
        .with_context(|| format!("no {css} on the page"))?
        .send_keys(text)
        .await?;
    Ok(())
}

/// Waits for the element, then clicks it.
async fn click(client: &Client, css: &str) -> Result<()> {
    wait_for(client, Locator::Css(css))
        .await
        .with_context(|| format!("no {css} on the page"))?
        .click()
        .await?;
    Ok(())
}

/// What an authenticator app shows now for a base32 secret.
fn current_code(secret: &str) -> Result<String> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    code_at(secret, now.as_secs())
}

fn code_at(secret: &str, unix_seconds: u64) -> Result<String> {
    let secret = totp_rs::Secret::try_from_base32(secret.trim())?;
    let totp = totp_rs::Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .with_account_name("e2e")
        .build()?;
    Ok(totp.generate(unix_seconds).to_string())
}

/// Guide §2.3–§2.4 end to end: an operator invites an FSP user from the Users page, the
/// e-mail reaches a real SMTP server, and the new user follows its link, sets a password,
/// enrols an authenticator from the page's secret and arrives in the app.
async fn invited_user_signs_up_in_the_browser(engine: Engine) -> Result<()> {
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

/// Guide §3.4: the operator enters availability for an FSP on the calendar; the FSP sees
/// it read-only, told that the operator manages its declarations.
async fn operator_declares_availability_the_fsp_reads_it(engine: Engine) -> Result<()> {
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
        // Configuration: a price above its unit ceiling is refused on the page.
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
        let refused = wait_for(&client, Locator::Css("#config-message.error"))
            .await
            .context("a price above the ceiling was not refused")?
            .text()
            .await?;
        ensure!(
            refused.contains("above the unit ceiling of £100.00"),
            "message: {refused}"
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

/// Picks `label` in the `<select>` at `css` once it is offered.
async fn choose(client: &Client, css: &str, label: &str) -> Result<()> {
    let offered = wait_until(&format!("{label} in {css}"), async || {
        client
            .find_all(Locator::Css(&format!("{css} option")))
            .await
            .is_ok_and(|options| options.len() > 1)
    })
    .await;
    if let Err(e) = offered {
        let html = match client.find(Locator::Css(css)).await {
            Ok(select) => select.html(false).await.unwrap_or_default(),
            Err(_) => "(no such element)".to_owned(),
        };
        bail!("{e}; the page offers: {html}");
    }
    client
        .find(Locator::Css(css))
        .await?
        .select_by_label(label)
        .await?;
    Ok(())
}

/// Picks the twilight-zone "API Test" group and the Sustain programme on the calendar.
async fn choose_api_test_sustain(client: &Client) -> Result<()> {
    wait_for(client, Locator::Css("#group-select option"))
        .await
        .context("no dispatch groups offered")?;
    client
        .find(Locator::Css("#programme-select"))
        .await?
        .select_by_label("Sustain")
        .await?;
    wait_for(client, Locator::Css("#group-select option")).await?;
    client
        .find(Locator::Css("#group-select"))
        .await?
        .select_by_label("API Test")
        .await?;
    wait_until("the calendar for API Test", async || {
        match client.find(Locator::Css(".muted")).await {
            Ok(_) => client
                .source()
                .await
                .is_ok_and(|html| html.contains("API Test · Sustain")),
            Err(_) => false,
        }
    })
    .await
}

/// Guide §3.1: the FSP sets its endpoint and signing secret, then Dispatch V2 Testing sends a
/// signed message to a local receiver (success box with the parameters) and to a closed port
/// (the connection error).
async fn fsp_tests_dispatch_delivery(engine: Engine) -> Result<()> {
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
        set_endpoint(format!("http://127.0.0.1:{receiver_port}/fsp")).await?;
        click(&client, "#rotate-secret").await?;
        client
            .accept_alert()
            .await
            .context("no warning before a new secret")?;
        let secret = wait_for(&client, Locator::Css("#new-secret"))
            .await
            .context("the new secret was not shown")?
            .text()
            .await?;
        ensure!(secret.starts_with("whsec_"), "secret {secret:?}");

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
        // Restore is dispatched by hand by default; this DNO has it signalled instead.
        let automatic = client
            .execute(
                "const gql = (query, variables) => fetch('/graphql', {method: 'POST',
                     headers: {'content-type': 'application/json'},
                     body: JSON.stringify({query, variables})}).then(r => r.json());
                 return gql('{ zones { id programmes { id kind policy { declarationLockDay declarationLockTime acceptanceDay acceptanceTime autoAccept weekAheadDay weekAheadTime dayAheadTime startLeadMinutes manualDispatch paymentBasis deliveryScale performanceFactor } } } }', {})
                   .then(d => {
                     const p = d.data.zones.find(z => z.id === 'twilight-zone').programmes.find(p => p.kind === 'RESTORE');
                     p.policy.manualDispatch = false;
                     return gql('mutation($id: String!, $p: ProgrammePolicyInput!) { updateProgrammePolicy(programmeId: $id, policy: $p) { policy { manualDispatch } } }', {id: p.id, p: p.policy});
                   })",
                vec![],
            )
            .await?;
        ensure!(
            automatic["data"]["updateProgrammePolicy"]["policy"]["manualDispatch"] == false,
            "Restore policy: {automatic}"
        );
        choose(&client, "#new-zone", "Twilight Zone").await?;
        choose(&client, "#new-programme", "Restore").await?;
        choose(&client, "#new-group", "API Test").await?;
        let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:00Z").to_string();
        fill(&client, "#new-start", &stamp(start)).await?;
        fill(&client, "#new-end", &stamp(end)).await?;
        fill(&client, "#new-kw", "100").await?;
        click(&client, "#new-dispatch").await?;
        let done = wait_for(&client, Locator::Css("#dispatch-message"))
            .await?
            .text()
            .await?;
        ensure!(done == "Dispatched.", "dispatching: {done}");
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

/// Guide §3.8–§3.9: an event that ended an hour ago, with its readings, in a month then
/// made final by the finalisation service; the FSP lists the event report and the
/// statement, every download (CSV, PDF, zip) comes back as a file of its kind, and the
/// event's chart renders.
async fn fsp_reads_reports(engine: Engine) -> Result<()> {
    use backend::db::entities::{
        dispatch_events, dispatch_groups, meterable_units, programmes, readings, zones,
    };
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
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
        let start = chrono::DateTime::parse_from_rfc3339("2026-03-10T10:00:00Z")?.to_utc();
        let end = start + chrono::Duration::hours(1);
        let month = shared::Month::parse("2026-03").map_err(anyhow::Error::msg)?;
        let zone = zones::Entity::find()
            .filter(zones::Column::Slug.eq("twilight-zone"))
            .one(&db)
            .await?
            .context("twilight-zone")?;
        let group = dispatch_groups::Entity::find()
            .filter(dispatch_groups::Column::Name.eq("API Test"))
            .one(&db)
            .await?
            .context("API Test")?;
        let sustain = programmes::Entity::find()
            .filter(programmes::Column::ZoneId.eq(zone.id))
            .filter(programmes::Column::Kind.eq("sustain"))
            .one(&db)
            .await?
            .context("Sustain")?;
        let unit = meterable_units::Entity::find()
            .filter(meterable_units::Column::PublicId.eq(backend::seed::API_TEST_UNIT_ID))
            .one(&db)
            .await?
            .context("API Test unit")?;
        let mut unit: meterable_units::ActiveModel = unit.into();
        unit.baseline_method = Set("static".to_owned());
        unit.baseline_static_kw = Set(Some(-400.0));
        // Registered well before the event (the demo data is seeded at start-up).
        unit.created_at = Set(start - chrono::Duration::days(30));
        let unit = unit.update(&db).await?;
        let event = dispatch_events::ActiveModel {
            public_id: Set(backend::ids::new_public_id().to_string()),
            dispatch_group_id: Set(group.id),
            programme_id: Set(sustain.id),
            availability_window_id: Set(None),
            start_at: Set(start),
            end_at: Set(end),
            power_change_kw: Set(250.0),
            status: Set("active".to_owned()),
            stopped_at: Set(None),
            created_by_user_id: Set(None),
            created_at: Set(start - chrono::Duration::hours(1)),
            updated_at: Set(start - chrono::Duration::hours(1)),
            ..Default::default()
        }
        .insert(&db)
        .await?;
        // 50 of 60 minutes at −100 kW against −400: 300 kW, paid up to 250.
        let rows: Vec<readings::ActiveModel> = (1..=50)
            .map(|m| readings::ActiveModel {
                meterable_unit_id: Set(unit.id),
                interval_end: Set(start + chrono::Duration::minutes(m)),
                power_kw: Set(Some(-100.0)),
                energy_kwh: Set(None),
                received_at: Set(now),
                ..Default::default()
            })
            .collect();
        readings::Entity::insert_many(rows)
            .exec_without_returning(&db)
            .await?;
        ensure!(
            backend::services::settlement::statements::finalise(&db, &zone, month, now).await?,
            "the month was already final"
        );

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
            row.contains(&event.public_id)
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

#[tokio::test]
async fn invitation_in_chromium_on_sqlite() -> Result<()> {
    invited_user_signs_up_in_the_browser(Engine::Sqlite).await
}

#[tokio::test]
async fn invitation_in_chromium_on_postgres() -> Result<()> {
    invited_user_signs_up_in_the_browser(Engine::Postgres).await
}

#[tokio::test]
async fn meterable_units_in_chromium_on_sqlite() -> Result<()> {
    meterable_units_page_shows_the_api_test_card(Engine::Sqlite).await
}

#[tokio::test]
async fn meterable_units_in_chromium_on_postgres() -> Result<()> {
    meterable_units_page_shows_the_api_test_card(Engine::Postgres).await
}

#[tokio::test]
async fn availability_in_chromium_on_sqlite() -> Result<()> {
    operator_declares_availability_the_fsp_reads_it(Engine::Sqlite).await
}

#[tokio::test]
async fn availability_in_chromium_on_postgres() -> Result<()> {
    operator_declares_availability_the_fsp_reads_it(Engine::Postgres).await
}

#[tokio::test]
async fn dispatch_testing_in_chromium_on_sqlite() -> Result<()> {
    fsp_tests_dispatch_delivery(Engine::Sqlite).await
}

#[tokio::test]
async fn dispatch_testing_in_chromium_on_postgres() -> Result<()> {
    fsp_tests_dispatch_delivery(Engine::Postgres).await
}

#[tokio::test]
async fn reports_in_chromium_on_sqlite() -> Result<()> {
    fsp_reads_reports(Engine::Sqlite).await
}

#[tokio::test]
async fn reports_in_chromium_on_postgres() -> Result<()> {
    fsp_reads_reports(Engine::Postgres).await
}
