//! The Participant API and the sign-in endpoints held to their OpenAPI document by a
//! property-based fuzzer: schemathesis (installed by `./dev` into `.tools/fuzz`) runs every
//! check, with the examples, coverage, fuzzing and stateful phases and a fixed seed,
//! against the real server on SQLite, once per credential the document names. Any failure
//! or warning (other than PDF and zip bodies it cannot parse) fails the test; its report
//! is in `target/fuzz/`.

use super::support::*;
use anyhow::{Context, Result, bail, ensure};
use backend::testing::{Engine, TempDatabase};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Generated cases per operation and phase: twice what found the twenty failures issue 19
/// lists, and the whole test still takes about two minutes (the issue allows five).
const MAX_EXAMPLES: u32 = 60;

/// One schemathesis run: the operations it covers (a path regex) and the credential the
/// document's security scheme names.
struct Run {
    name: &'static str,
    paths: &'static str,
    /// The stateful phase follows links, which only the Participant API has.
    phases: &'static str,
    scheme: &'static str,
    credential: String,
    /// The authenticator secret of the run's user.
    totp_secret: String,
}

pub(crate) async fn the_api_keeps_to_its_document() -> Result<()> {
    let root = workspace_root();
    let schemathesis = root.join(".tools/fuzz/bin/schemathesis");
    ensure!(
        schemathesis.is_file(),
        "{} is missing: ./dev test (or ./dev fuzz) installs it",
        schemathesis.display()
    );
    // The settled event's day, as in the reports test.
    let now = DateTime::parse_from_rfc3339("2026-03-10T12:00:00Z")?.to_utc();
    let database = TempDatabase::create(Engine::Sqlite).await?;
    let (mut server, port) = start_server_with(
        &database.url,
        &[
            ("OPENFLEX_START_CLOCK_AT", now.to_rfc3339()),
            // The fuzzer's pace is not what the API throttle is for.
            ("OPENFLEX_API_REQUESTS_PER_MINUTE", "10000000".to_owned()),
        ],
    )
    .await?;
    let outcome = fuzz(&schemathesis, &database.url, port, now).await;
    server.kill().await.ok();
    outcome
}

async fn fuzz(
    schemathesis: &std::path::Path,
    db_url: &str,
    port: u16,
    now: DateTime<Utc>,
) -> Result<()> {
    let base = format!("http://localhost:{port}");
    let shift = now - Utc::now();
    let db = backend::db::connect(db_url).await?;
    let settled = settle_an_event(&db, now).await?;
    let token = backend::seed::demo_api_token(&db, now).await?;
    let http = reqwest::Client::new();
    let [operator, participant] = &backend::seed::DEMO_LOGINS;
    ensure!(
        participant.role == shared::Role::Participant,
        "demo logins changed order"
    );

    let pending = login(&http, &base, participant.email, participant.password).await?;
    let session = second_factor(
        &http,
        &base,
        &pending,
        &codes(participant.totp_secret, shift)?[1],
    )
    .await
    .context("signing the demo participant in")?;
    let sign_in = login(&http, &base, operator.email, operator.password).await?;
    let (enrolment, enrolment_secret) = new_user_enrolling(&db, &http, &base, now).await?;
    let mut invitations = Vec::new();
    for n in 0..4 {
        invitations.push(
            invite(
                &db,
                &base,
                &format!("fuzz-invitee-{n}@twilight.example"),
                now,
            )
            .await?,
        );
    }

    let dictionaries = json!({
        "zones": ["twilight-zone"],
        "dispatch_groups": [settled.group],
        "programmes": [settled.sustain],
        "meterable_units": [backend::seed::API_TEST_UNIT_ID],
        "weeks": ["2026-03-09", "2026-03-10"],
        "months": [settled.month.to_string()],
        "dispatches": [settled.event],
        "statements": [format!("{}.twilight-zone.{}", settled.month, settled.company)],
        "period_starts": ["2026-03-10T09:00:00Z", "2026-03-01T00:00:00Z"],
        "period_ends": ["2026-03-10T12:00:00Z", "2026-03-31T00:00:00Z"],
        "reading_times": [stamp(now - Duration::minutes(30)), stamp(now - Duration::minutes(29))],
        "emails": [participant.email, operator.email],
        "passwords": [participant.password, operator.password],
        "new_passwords": ["a long and unusual passphrase 7", "another fine sentence to sign in with"],
        "invitations": invitations,
    });
    let runs = [
        Run {
            name: "api-token",
            paths: "^/(api/v2/|auth/(login|activate|password/forgot|logout)$)",
            phases: "examples,coverage,fuzzing,stateful",
            scheme: "api_token",
            credential: token,
            totp_secret: participant.totp_secret.to_owned(),
        },
        Run {
            name: "session",
            paths: "^/(api/v2/|auth/(password|passkey/register/begin)$)",
            phases: "examples,coverage,fuzzing,stateful",
            scheme: "session",
            credential: session.clone(),
            totp_secret: participant.totp_secret.to_owned(),
        },
        // The codes a run is given are good for 30 s at least: the operations that take
        // one run on their own, briefly.
        Run {
            name: "step-up",
            paths: "^/auth/step-up$",
            phases: "examples,coverage,fuzzing",
            scheme: "session",
            credential: session,
            totp_secret: participant.totp_secret.to_owned(),
        },
        Run {
            name: "sign-in",
            paths: "^/auth/totp$",
            phases: "examples,coverage,fuzzing",
            scheme: "sign_in",
            credential: sign_in,
            totp_secret: operator.totp_secret.to_owned(),
        },
        Run {
            name: "enrolment",
            paths: "^/auth/totp/setup$",
            phases: "examples,coverage,fuzzing",
            scheme: "sign_in",
            credential: enrolment,
            totp_secret: enrolment_secret,
        },
    ];
    let out = workspace_root().join("target/fuzz");
    std::fs::create_dir_all(&out)?;
    let mut failed = Vec::new();
    for run in &runs {
        if let Err(e) = run_schemathesis(schemathesis, &base, &out, run, &dictionaries, shift).await
        {
            failed.push(format!("{}: {e:#}", run.name));
        }
    }
    ensure!(failed.is_empty(), "{}", failed.join("\n\n"));
    Ok(())
}

async fn run_schemathesis(
    schemathesis: &std::path::Path,
    base: &str,
    out: &std::path::Path,
    run: &Run,
    dictionaries: &Value,
    shift: Duration,
) -> Result<()> {
    let mut config = std::fs::read_to_string(workspace_root().join("e2e/fuzz/schemathesis.toml"))?;
    let credential = match run.scheme {
        "api_token" => format!("bearer = {}", toml_string(&run.credential)),
        _ => format!("api_key = {}", toml_string(&run.credential)),
    };
    write!(config, "\n[auth.openapi.{}]\n{credential}\n", run.scheme)?;
    let mut all = dictionaries.as_object().cloned().unwrap_or_default();
    all.insert("codes".to_owned(), json!(codes(&run.totp_secret, shift)?));
    for (name, values) in &all {
        let values: Vec<String> = values
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| toml_string(v.as_str().unwrap_or_default()))
            .collect();
        write!(
            config,
            "\n[dictionaries.{name}]\nvalues = [{}]\n",
            values.join(", ")
        )?;
    }
    let config_path = out.join(format!("{}.toml", run.name));
    std::fs::write(&config_path, config)?;
    let report: PathBuf = out.join(format!("{}.txt", run.name));
    // Its cache (`.schemathesis/`) goes beside the reports, not into the source tree.
    let output = tokio::process::Command::new(schemathesis)
        .current_dir(out)
        .arg("--config-file")
        .arg(&config_path)
        .arg("--no-color")
        .args(["run", &format!("{base}/api/v2/openapi.json"), "--url", base])
        .args(["--checks", "all"])
        .args(["--phases", run.phases])
        .args(["--max-examples", &MAX_EXAMPLES.to_string(), "--seed", "1"])
        .args(["--include-path-regex", run.paths])
        .args(["--report", "ndjson", "--report-ndjson-path"])
        .arg(out.join(format!("{}.ndjson", run.name)))
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .output()
        .await
        .context("running schemathesis")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    std::fs::write(&report, &text)?;
    if !output.status.success() {
        let tail: Vec<&str> = text.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "schemathesis found problems (report: {}):\n{}",
            report.display(),
            tail.join("\n")
        );
    }
    Ok(())
}

/// The codes the server takes now and for the next 30 s at least (this step's and the
/// one before).
fn codes(secret: &str, shift: Duration) -> Result<Vec<String>> {
    let server_now = (Utc::now() + shift).timestamp();
    [-30, 0]
        .iter()
        .map(|ago| code_at(secret, u64::try_from(server_now + ago)?))
        .collect()
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The session cookie an answer set.
fn cookie_of(response: &reqwest::Response) -> Result<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.split(';').next()?.strip_prefix("openflex_session="))
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .context("no session cookie in the answer")
}

async fn post(
    http: &reqwest::Client,
    url: String,
    cookie: Option<&str>,
    body: Value,
) -> Result<reqwest::Response> {
    let mut request = http.post(&url).json(&body);
    if let Some(cookie) = cookie {
        request = request.header("Cookie", format!("openflex_session={cookie}"));
    }
    let response = request.send().await?;
    ensure!(
        response.status().is_success(),
        "{url}: HTTP {}",
        response.status()
    );
    Ok(response)
}

/// Step one of signing in: the cookie that waits for the next step.
async fn login(http: &reqwest::Client, base: &str, email: &str, password: &str) -> Result<String> {
    let response = post(
        http,
        format!("{base}/auth/login"),
        None,
        json!({"email": email, "password": password}),
    )
    .await?;
    cookie_of(&response)
}

async fn second_factor(
    http: &reqwest::Client,
    base: &str,
    pending: &str,
    code: &str,
) -> Result<String> {
    let response = post(
        http,
        format!("{base}/auth/totp"),
        Some(pending),
        json!({"code": code}),
    )
    .await?;
    cookie_of(&response)
}

fn accounts_env<'a>(
    db: &'a sea_orm::DatabaseConnection,
    mailer: &'a backend::mail::Mailer,
    secrets: &'a backend::crypto::SecretBox,
    base: &'a str,
) -> backend::services::accounts::AccountsEnv<'a> {
    backend::services::accounts::AccountsEnv {
        db,
        mailer,
        secrets,
        public_url: base,
    }
}

/// A new participant user's invitation token (what the e-mailed link carries).
async fn invite(
    db: &sea_orm::DatabaseConnection,
    base: &str,
    email: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    use backend::services::accounts::{Creator, NewUser, create_user};
    let mailer = backend::mail::Mailer::new(None, "fuzz@openflex.example")?;
    let secrets =
        backend::crypto::SecretBox::from_base64(&backend::crypto::SecretBox::generate_key()?)?;
    let created = create_user(
        &accounts_env(db, &mailer, &secrets, base),
        Creator::System,
        NewUser {
            email: email.to_owned(),
            name: format!("Fuzz {email}"),
            role: shared::Role::Participant,
            organisation: Some("Twilight Flex Ltd".to_owned()),
        },
        now,
    )
    .await?;
    created
        .invitation_url
        .split_once("#token=")
        .map(|(_, token)| token.to_owned())
        .context("no token in the invitation link")
}

/// A user who has set a password and signed in, waiting to enrol an authenticator: the
/// cookie, and the secret the enrolment offers.
async fn new_user_enrolling(
    db: &sea_orm::DatabaseConnection,
    http: &reqwest::Client,
    base: &str,
    now: DateTime<Utc>,
) -> Result<(String, String)> {
    let email = "fuzz-enrolling@twilight.example";
    let password = "an enrolling user's passphrase";
    let token = invite(db, base, email, now).await?;
    post(
        http,
        format!("{base}/auth/activate"),
        None,
        json!({"token": token, "password": password}),
    )
    .await?;
    let pending = login(http, base, email, password).await?;
    let enrolment: Value = http
        .get(format!("{base}/auth/totp/setup"))
        .header("Cookie", format!("openflex_session={pending}"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let secret = enrolment["secret"]
        .as_str()
        .context("no secret in the enrolment")?
        .to_owned();
    Ok((pending, secret))
}
