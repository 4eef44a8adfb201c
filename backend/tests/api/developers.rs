//! The developer portal's examples, run as written against a running server: the curl
//! script asks for a signed test message, the Rust, Python and Node receivers check it
//! (and refuse a forged one, and act once on a repeated one), the openssl script checks a
//! message the Rust receiver kept, and both example readings files load.

use crate::helpers::{Engine, TestApp, both_databases};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

#[path = "../../../frontend/developers/downloads/verify_dispatch.rs"]
mod verify_dispatch;

both_databases!(every_portal_example_runs_as_written_against_a_running_server);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .expect("the workspace")
}

fn downloads() -> PathBuf {
    root().join("frontend/developers/downloads")
}

/// An interpreter `./dev test` installs; its absence is a failure, never a skip.
fn installed(relative: &str) -> PathBuf {
    let path = root().join(relative);
    assert!(
        path.exists(),
        "{} is missing: `./dev test` installs it (the portal's examples must run)",
        path.display()
    );
    path
}

const SETTINGS: &str = "mutation($u: String) { updateDispatchSettings(endpointUrl: $u, delivery: API) { endpointUrl newSecret } }";

type Kept = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A receiver built on the portal's Rust example: keeps what verifies, refuses the rest.
async fn rust_receiver(secret: Arc<Mutex<String>>) -> (String, Kept) {
    let kept: Kept = Arc::default();
    let store = kept.clone();
    let app = Router::new().route(
        "/fsp/dispatch",
        post(move |headers: HeaderMap, body: Bytes| {
            let (store, secret) = (store.clone(), secret.lock().expect("lock").clone());
            async move {
                match verify_dispatch::verify_dispatch(&secret, &headers, &body) {
                    Ok(_) => {
                        store.lock().expect("lock").push((headers, body));
                        StatusCode::NO_CONTENT
                    }
                    Err(_) => StatusCode::UNAUTHORIZED,
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (format!("http://{addr}/fsp"), kept)
}

/// Runs one of the portal's shell scripts with the reader's environment filled in.
async fn script(name: &str, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let output = Command::new("sh")
        .arg(downloads().join(name))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .await
        .unwrap_or_else(|e| panic!("running {name}: {e}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A receiver example started as its comment says, with the lines it prints.
struct Receiver {
    _child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    port: u16,
}

impl Receiver {
    async fn start(program: PathBuf, file: &str, secret: &str, env: &[(&str, PathBuf)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new(&program)
            .arg(downloads().join(file))
            .arg(port.to_string())
            .env("OPENFLEX_SIGNING_SECRET", secret)
            .envs(env.iter().map(|(k, v)| (*k, v.as_os_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {file} with {}: {e}", program.display()));
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = lines.clone();
        let mut out = BufReader::new(child.stdout.take().expect("stdout")).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = out.next_line().await {
                sink.lock().expect("lock").push(line);
            }
        });
        let receiver = Receiver {
            _child: child,
            lines,
            port,
        };
        receiver
            .wait_for(file, |lines| {
                lines.iter().any(|l| l.starts_with("listening"))
            })
            .await;
        receiver
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits up to 30 s: an interpreter starts slowly on a loaded machine.
    async fn wait_for(&self, what: &str, done: impl Fn(&[String]) -> bool) {
        for _ in 0..600 {
            if done(&self.lines.lock().expect("lock")) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{what} printed {:?}", self.lines.lock().expect("lock"));
    }

    fn count(&self, prefix: &str) -> usize {
        let lines = self.lines.lock().expect("lock");
        lines.iter().filter(|l| l.starts_with(prefix)).count()
    }
}

/// Posts a kept message to a receiver as Openflex would, optionally with a changed body.
async fn replay(base: &str, headers: &HeaderMap, body: &Bytes) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/dispatch"))
        .header("content-type", "application/json")
        .body(body.clone());
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        request = request.header(name, headers[name].to_str().expect("header"));
    }
    request
        .send()
        .await
        .expect("receiver answers")
        .status()
        .as_u16()
}

async fn every_portal_example_runs_as_written_against_a_running_server(engine: Engine) {
    let python = installed(".tools/python/bin/python3");
    let node_modules = installed("frontend/vendor/node_modules/standardwebhooks");
    let node_path = node_modules.parent().expect("node_modules").to_path_buf();
    let mut app = TestApp::spawn_with(engine, |s| s.allow_private_endpoints = true).await;
    // Receivers check the signature's timestamp against their own clock.
    app.clock.set_to_real_time();
    let cookie = app
        .sign_up_participant("developer@twilight.example")
        .await
        .cookie;
    app.default_cookie = Some(cookie);
    let token = app.twilight_token().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = format!("http://{}", listener.local_addr().expect("addr"));
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    let env = [
        ("OPENFLEX_URL", server.as_str()),
        ("OPENFLEX_TOKEN", token.as_str()),
        ("OPENFLEX_UNIT_ID", backend::seed::API_TEST_UNIT_ID),
    ];
    let send_test = async || {
        let (ok, out, err) = script("send-test-dispatch.sh", &[], &env).await;
        assert!(ok, "send-test-dispatch.sh failed: {out}{err}");
        let answer: Value = serde_json::from_str(&out).expect("JSON from the server");
        assert_eq!(
            answer["data"]["sendTestDispatch"]["success"], true,
            "{answer}"
        );
    };

    // Rust: the first endpoint saved gets the signing secret, and the example verifies what
    // arrives with it.
    let secret_cell: Arc<Mutex<String>> = Arc::default();
    let (rust_base, kept) = rust_receiver(secret_cell.clone()).await;
    let saved = app.graphql(SETTINGS, json!({"u": rust_base})).await;
    let secret = saved["data"]["updateDispatchSettings"]["newSecret"]
        .as_str()
        .unwrap_or_else(|| panic!("the first save shows the secret: {saved}"))
        .to_owned();
    *secret_cell.lock().expect("lock") = secret.clone();
    send_test().await;
    let (headers, body) = kept.lock().expect("lock")[0].clone();
    let message: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(
        (&message["type"], &message["test"]),
        (&json!("dispatch.start"), &json!(true))
    );

    // curl + openssl: the kept message verifies; one changed byte does not.
    let dir = std::env::temp_dir().join(format!(
        "openflex-examples-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good = dir.join("body.json");
    std::fs::write(&good, &body).expect("write");
    let bad = dir.join("changed.json");
    std::fs::write(&bad, String::from_utf8_lossy(&body).replace("250", "950")).expect("write");
    let header = |name: &str| headers[name].to_str().expect("header").to_owned();
    let (id, timestamp, signature) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let secret_env = [("OPENFLEX_SIGNING_SECRET", secret.as_str())];
    let args = |file: &Path| -> Vec<String> {
        vec![
            id.clone(),
            timestamp.clone(),
            signature.clone(),
            file.display().to_string(),
        ]
    };
    let good_args = args(&good);
    let refs: Vec<&str> = good_args.iter().map(String::as_str).collect();
    let (ok, out, err) = script("verify-signature.sh", &refs, &secret_env).await;
    assert!(ok && out.contains("signature valid"), "{out}{err}");
    let bad_args = args(&bad);
    let refs: Vec<&str> = bad_args.iter().map(String::as_str).collect();
    let (ok, out, err) = script("verify-signature.sh", &refs, &secret_env).await;
    assert!(
        !ok && err.contains("INVALID"),
        "a changed body verified: {out}{err}"
    );
    std::fs::remove_dir_all(&dir).ok();

    // Python and Node: each receives a real test message, refuses a forged one, and acts
    // once on a message delivered twice.
    let receivers = [
        (python, "receive_dispatches.py", Vec::new()),
        (
            PathBuf::from("node"),
            "receive_dispatches.js",
            vec![("NODE_PATH", node_path.clone())],
        ),
    ];
    for (program, file, extra) in receivers {
        let receiver = Receiver::start(program, file, &secret, &extra).await;
        let saved = app.graphql(SETTINGS, json!({"u": receiver.base()})).await;
        assert!(
            saved["errors"].is_null()
                && saved["data"]["updateDispatchSettings"]["newSecret"].is_null(),
            "{saved}"
        );
        send_test().await;
        receiver
            .wait_for(file, |lines| {
                lines
                    .iter()
                    .any(|l| l.starts_with("verified dispatch.start"))
            })
            .await;
        assert_eq!(
            replay(&receiver.base(), &headers, &body).await,
            204,
            "{file}"
        );
        assert_eq!(
            replay(&receiver.base(), &headers, &body).await,
            204,
            "{file}"
        );
        let forged = Bytes::from(String::from_utf8_lossy(&body).replace("250", "950"));
        assert_eq!(
            replay(&receiver.base(), &headers, &forged).await,
            401,
            "{file}"
        );
        receiver
            .wait_for(file, |lines| lines.iter().any(|l| l.starts_with("refused")))
            .await;
        assert_eq!(
            receiver.count("verified"),
            2,
            "{file}: the test message, and the repeated one once"
        );
    }

    // The example readings files load as they are.
    for (file, rows) in [
        ("readings-per-minute.csv", 30),
        ("readings-half-hourly.csv", 4),
    ] {
        let path = downloads().join(file).display().to_string();
        let (ok, out, err) = script("upload-readings.sh", &[&path], &env).await;
        assert!(ok, "{file}: {out}{err}");
        let summary: Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(summary["accepted"], rows, "{file}: {summary}");
    }
}
