//! `openflex fsp-simulator`: an FSP's system in a box, for trying the sandbox end to end
//! without writing one. It is a client of Openflex like any FSP's system: it receives the
//! signed dispatch messages on `{listen}/dispatch`, checks each signature, answers 2xx,
//! handles each `webhook-id` once, and follows each START by posting readings over the
//! Participant API until the dispatch ends or is stopped. It prints every message and
//! every POST. It shares nothing with the server but the wire types in `shared`.

mod client;
mod follow;

pub use client::{Api, SignIn};
pub use follow::UnitPlan;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, Utc};
use shared::webhooks::Message;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// What the simulator is told on its command line.
pub struct Options {
    /// Openflex's base URL, e.g. `http://localhost:8080`.
    pub api_url: String,
    /// The company's API token (`oflx_…`).
    pub token: String,
    pub listen: SocketAddr,
    /// The company's signing secret; with `register`, the one the first endpoint save
    /// creates is used when this is absent.
    pub secret: Option<String>,
    /// The share of each instruction the simulated units deliver (0.95: 95 %).
    pub response: f64,
    /// Sign in as this user and make the simulator the company's dispatch endpoint.
    pub register: Option<SignIn>,
    /// The base URL to register, when Openflex reaches the simulator at another address
    /// than `listen` (a tunnel, a container's published port).
    pub endpoint_url: Option<String>,
}

/// Each followed dispatch's stop time (none while it runs), by dispatch id.
type Running = Arc<Mutex<HashMap<String, watch::Sender<Option<DateTime<Utc>>>>>>;

#[derive(Clone)]
struct Simulator {
    api: Api,
    webhook: Arc<standardwebhooks::Webhook>,
    response: f64,
    handled: Arc<Mutex<HashSet<String>>>,
    running: Running,
}

/// Runs the simulator until the process is stopped.
pub async fn run(options: Options) -> Result<()> {
    if !(0.0..=2.0).contains(&options.response) {
        bail!("--response must be between 0 and 2 (0.95 is 95 %)");
    }
    let api = Api::new(&options.api_url, &options.token)?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("listening on {}", options.listen))?;
    let address = listener.local_addr()?;
    let endpoint = options
        .endpoint_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    let mut secret = options.secret.clone();
    if let Some(user) = &options.register {
        let created = api
            .register(user, &endpoint)
            .await
            .context("registering the endpoint")?;
        println!("registered {endpoint} as the company's dispatch endpoint");
        if let Some(created) = created {
            println!("the company's first endpoint: its signing secret is {created}");
            secret = Some(created);
        }
    }
    let Some(secret) = secret else {
        bail!(
            "no signing secret: pass --secret whsec_… (Dispatch Settings shows it once when the \
             endpoint is first saved; Rotate makes a new one)"
        );
    };
    let webhook = standardwebhooks::Webhook::new(&secret)
        .map_err(|e| anyhow::anyhow!("--secret is not a signing secret: {e}"))?;
    let simulator = Simulator {
        api,
        webhook: Arc::new(webhook),
        response: options.response,
        handled: Arc::default(),
        running: Arc::default(),
    };
    let app = Router::new()
        .route("/dispatch", post(receive))
        .with_state(simulator);
    println!(
        "listening on http://{address}/dispatch, following dispatches at {:.0} %",
        options.response * 100.0
    );
    axum::serve(listener, app).await?;
    Ok(())
}

/// One delivery: checked, answered at once, acted on once.
async fn receive(State(sim): State<Simulator>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if let Err(e) = sim.webhook.verify(&body, &headers) {
        println!("refused a message: {e}");
        return StatusCode::UNAUTHORIZED;
    }
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let message: Message = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(e) => {
            println!("refused message {id}: not a dispatch message ({e})");
            return StatusCode::UNPROCESSABLE_ENTITY;
        }
    };
    let first = sim
        .handled
        .lock()
        .map(|mut seen| seen.insert(id.clone()))
        .unwrap_or(false);
    if !first {
        println!("{id}: already handled, answered again");
        return StatusCode::NO_CONTENT;
    }
    println!("received {}", String::from_utf8_lossy(&body));
    tokio::spawn(act(sim, message));
    StatusCode::NO_CONTENT
}

/// What a message makes the simulated units do.
async fn act(sim: Simulator, message: Message) {
    let test = match &message {
        Message::Start(m) => m.test,
        Message::Stop(m) => m.test,
        Message::Cancel(m) => m.test,
        Message::EmergencyStop(m) => m.test,
        Message::Schedule(m) => m.test,
    };
    if test {
        println!("a test message: checked and answered, not acted on");
        return;
    }
    let stop_at = match &message {
        Message::Start(start) => {
            let (sender, receiver) = watch::channel(None);
            if let Ok(mut running) = sim.running.lock() {
                running.insert(start.dispatch_id.clone(), sender);
            }
            let plans = match follow::plan(&sim.api, start).await {
                Ok(plans) => plans,
                Err(e) => {
                    println!("cannot follow {}: {e:#}", start.dispatch_id);
                    return;
                }
            };
            let sent = follow::follow(&sim.api, start, &plans, sim.response, receiver).await;
            if let Ok(mut running) = sim.running.lock() {
                running.remove(&start.dispatch_id);
            }
            println!("followed {}: {sent} readings sent", start.dispatch_id);
            return;
        }
        Message::Stop(m) => Some((m.dispatch_id.clone(), m.end)),
        Message::EmergencyStop(m) => {
            Some((m.dispatch_id.clone(), m.sent_at.unwrap_or_else(Utc::now)))
        }
        Message::Cancel(m) => Some((m.dispatch_id.clone(), m.start)),
        Message::Schedule(m) => {
            println!(
                "schedule for {} to {}: {} dispatches",
                m.period.start,
                m.period.end,
                m.dispatches.len()
            );
            None
        }
    };
    if let Some((dispatch, at)) = stop_at
        && let Ok(running) = sim.running.lock()
        && let Some(sender) = running.get(&dispatch)
    {
        sender.send_replace(Some(at));
        println!("{dispatch}: stops at {at}");
    }
}
