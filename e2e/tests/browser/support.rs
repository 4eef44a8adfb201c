//! What every browser test uses: the server and Chromium started, signing in, waiting for
//! and working the page.

use anyhow::{Context, Result, bail, ensure};
use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

pub(crate) fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Status code of `GET path`, or None while nothing listens.
pub(crate) async fn http_status(port: u16, path: &str) -> Option<u16> {
    http_status_with(port, path, "").await
}

/// Status code of `GET path` with an `Authorization` header (none when empty).
pub(crate) async fn http_status_with(port: u16, path: &str, authorization: &str) -> Option<u16> {
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
pub(crate) async fn http_post_json(
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

pub(crate) async fn wait_until(what: &str, mut ready: impl AsyncFnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if ready().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{what} did not become ready within 30 s")
}

pub(crate) async fn start_server(db_url: &str) -> Result<(Child, u16)> {
    start_server_with(db_url, &[]).await
}

pub(crate) async fn start_server_with(
    db_url: &str,
    extra_env: &[(&str, String)],
) -> Result<(Child, u16)> {
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

pub(crate) async fn start_browser() -> Result<(Child, Client, PathBuf, u16)> {
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

/// The app sends a signed-out visitor to the sign-in page; the demo FSP user signs in
/// with password and authenticator code.
pub(crate) async fn sign_in_as_demo_fsp(client: &Client) -> Result<()> {
    sign_in_as_demo(client, shared::Role::Participant).await
}

pub(crate) async fn sign_in_as_demo(client: &Client, role: shared::Role) -> Result<()> {
    sign_in_as_demo_on_clock(client, role, chrono::TimeDelta::zero()).await
}

/// Signing in to a server whose clock runs `shift` ahead of this machine's
/// (`OPENFLEX_START_CLOCK_AT`): the authenticator code is the one for the server's time.
pub(crate) async fn sign_in_as_demo_on_clock(
    client: &Client,
    role: shared::Role,
    shift: chrono::TimeDelta,
) -> Result<()> {
    let demo = backend::seed::DEMO_LOGINS
        .iter()
        .find(|l| l.role == role)
        .context("a demo login")?;
    fill(client, "input[name='email']", demo.email)
        .await
        .context("not sent to the sign-in page")?;
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
pub(crate) async fn wait_for(
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

/// Waits for the element, then types into it. An element the app re-rendered between
/// being found and typed into (stale) is found again.
pub(crate) async fn fill(client: &Client, css: &str, text: &str) -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let element = wait_for(client, Locator::Css(css))
            .await
            .with_context(|| format!("no {css} on the page"))?;
        match element.send_keys(text).await {
            Err(e)
                if e.to_string().contains("stale element")
                    && std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => return Ok(other?),
        }
    }
}

/// Waits for the element, then clicks it.
pub(crate) async fn click(client: &Client, css: &str) -> Result<()> {
    wait_for(client, Locator::Css(css))
        .await
        .with_context(|| format!("no {css} on the page"))?
        .click()
        .await?;
    Ok(())
}

/// What an authenticator app shows now for a base32 secret.
pub(crate) fn current_code(secret: &str) -> Result<String> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    code_at(secret, now.as_secs())
}

pub(crate) fn code_at(secret: &str, unix_seconds: u64) -> Result<String> {
    let secret = totp_rs::Secret::try_from_base32(secret.trim())?;
    let totp = totp_rs::Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .with_account_name("e2e")
        .build()?;
    Ok(totp.generate(unix_seconds).to_string())
}

/// Picks `label` in the `<select>` at `css` once it is offered.
pub(crate) async fn choose(client: &Client, css: &str, label: &str) -> Result<()> {
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
pub(crate) async fn choose_api_test_sustain(client: &Client) -> Result<()> {
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

/// As the signed-in operator: Restore in the Twilight Zone is signalled to the FSP (by
/// default it is dispatched by hand), so an ad hoc Restore dispatch sends START and STOP.
pub(crate) async fn signal_restore(client: &Client) -> Result<()> {
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
    Ok(())
}

/// From the Dispatches page, as the operator: dispatches API Test ad hoc under Restore at
/// 100 kW over `[start, end)`.
pub(crate) async fn dispatch_api_test_under_restore(
    client: &Client,
    start: chrono::DateTime<chrono::Utc>,
    end: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    choose(client, "#new-zone", "Twilight Zone").await?;
    choose(client, "#new-programme", "Restore").await?;
    choose(client, "#new-group", "API Test").await?;
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:00Z").to_string();
    fill(client, "#new-start", &stamp(start)).await?;
    fill(client, "#new-end", &stamp(end)).await?;
    fill(client, "#new-kw", "100").await?;
    click(client, "#new-dispatch").await?;
    let done = wait_for(client, Locator::Css("#dispatch-message"))
        .await?
        .text()
        .await?;
    ensure!(done == "Dispatched.", "dispatching: {done}");
    Ok(())
}

/// What [`settle_an_event`] made.
pub(crate) struct SettledEvent {
    /// The dispatch's public id (its event report's id too).
    pub event: String,
    pub month: shared::Month,
    /// Public ids of the "API Test" group, twilight-zone's Sustain and the group's company
    /// (the fuzz test's dictionaries).
    #[allow(dead_code, reason = "read by the fuzz test, which shares this module")]
    pub group: String,
    #[allow(dead_code, reason = "read by the fuzz test, which shares this module")]
    pub sustain: String,
    #[allow(dead_code, reason = "read by the fuzz test, which shares this module")]
    pub company: String,
}

/// Guide §3.8–§3.9 on the seeded demo data, for a server whose clock stands at `now`
/// (2026-03-10T12:00Z): the "API Test" group dispatched in Sustain 10:00–11:00 that day,
/// its unit's static baseline −400 kW and 50 of 60 minutes read at −100 kW (300 kW
/// delivered, paid up to 250), and March 2026 made final for twilight-zone.
pub(crate) async fn settle_an_event(
    db: &sea_orm::DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<SettledEvent> {
    use backend::db::entities::{
        dispatch_events, dispatch_groups, meterable_units, programmes, readings, zones,
    };
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-10T10:00:00Z")?.to_utc();
    let end = start + chrono::Duration::hours(1);
    let month = shared::Month::parse("2026-03").map_err(anyhow::Error::msg)?;
    let zone = zones::Entity::find()
        .filter(zones::Column::Slug.eq("twilight-zone"))
        .one(db)
        .await?
        .context("twilight-zone")?;
    let group = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::Name.eq("API Test"))
        .one(db)
        .await?
        .context("API Test")?;
    let sustain = programmes::Entity::find()
        .filter(programmes::Column::ZoneId.eq(zone.id))
        .filter(programmes::Column::Kind.eq("sustain"))
        .one(db)
        .await?
        .context("Sustain")?;
    let unit = meterable_units::Entity::find()
        .filter(meterable_units::Column::PublicId.eq(backend::seed::API_TEST_UNIT_ID))
        .one(db)
        .await?
        .context("API Test unit")?;
    let mut unit: meterable_units::ActiveModel = unit.into();
    unit.baseline_method = Set("static".to_owned());
    unit.baseline_static_kw = Set(Some(-400.0));
    // Registered well before the event (the demo data is seeded at start-up).
    unit.created_at = Set(start - chrono::Duration::days(30));
    let unit = unit.update(db).await?;
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
    .insert(db)
    .await?;
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
        .exec_without_returning(db)
        .await?;
    ensure!(
        backend::services::settlement::statements::finalise(db, &zone, month, now).await?,
        "the month was already final"
    );
    let company = backend::db::entities::fsp_companies::Entity::find_by_id(group.company_id)
        .one(db)
        .await?
        .context("the group's company")?;
    Ok(SettledEvent {
        event: event.public_id,
        month,
        group: group.public_id,
        sustain: sustain.public_id,
        company: company.public_id,
    })
}
