//! The scheduler: jobs that run at policy times rather than on request. Each job derives
//! what is due from the database and `now`, and is idempotent, so a restart, downtime or a
//! second instance neither loses nor repeats work: the next tick catches up.

use crate::services::dispatch::schedules;
use crate::services::settlement::statements;
use crate::services::{availability, baselines, digests, throttle};
use crate::state::AppState;
use std::time::Duration;

/// The scheduler is not ready (`/readyz`) without a finished pass this recent: a few
/// ticks, and room for a month's finalisation.
pub const SCHEDULER_STALE: Duration = Duration::from_secs(120);

/// Nor the delivery worker: a pass delivers a batch, each attempt at most 10 s.
pub const DELIVERY_STALE: Duration = Duration::from_secs(60);

/// How often due work is looked for. Declaration locks are minute-precise; a tick a few
/// seconds after the lock accepts Restore windows well before any acceptance deadline.
pub const TICK: Duration = Duration::from_secs(15);

/// Runs every due job once.
pub async fn run_due(state: &AppState) {
    let now = state.clock.now();
    match availability::decide_due(&state.db, now).await {
        Ok(0) => {}
        Ok(decided) => tracing::info!(decided, "decided availability at the lock or deadline"),
        Err(e) => tracing::error!(error = %e, "deciding due availability failed"),
    }
    match schedules::issue_due(&state.db, now).await {
        Ok(0) => {}
        Ok(messages) => tracing::info!(messages, "queued schedule notices"),
        Err(e) => tracing::error!(error = %e, "issuing schedule notices failed"),
    }
    match baselines::recompute_due(&state.db, now).await {
        Ok(0) => {}
        Ok(units) => tracing::info!(units, "computed this month's automatic baselines"),
        Err(e) => tracing::error!(error = %e, "computing automatic baselines failed"),
    }
    match statements::finalise_due(&state.db, now).await {
        Ok(0) => {}
        Ok(zones) => tracing::info!(zones, "made last month's statements final"),
        Err(e) => tracing::error!(error = %e, "finalising statements failed"),
    }
    match digests::send_due(&state.db, &state.mailer, now).await {
        Ok(0) => {}
        Ok(sent) => tracing::info!(sent, "sent scheduled e-mails"),
        Err(e) => tracing::error!(error = %e, "sending scheduled e-mails failed"),
    }
    match digests::send_week_ahead_notices(&state.db, &state.mailer, now).await {
        Ok(0) => {}
        Ok(sent) => tracing::info!(sent, "sent mandatory week-ahead e-mails"),
        Err(e) => tracing::error!(error = %e, "sending week-ahead e-mails failed"),
    }
    if let Err(e) = throttle::sweep(&state.db, now).await {
        tracing::error!(error = %e, "sweeping old throttle windows failed");
    }
}

/// Starts the scheduler on the runtime; it stops with the process.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(TICK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            run_due(&state).await;
            state.heartbeats.scheduler_ran();
        }
    })
}

/// How often the delivery worker looks for due dispatch messages: a START due at T leaves
/// within this of T.
pub const DELIVERY_TICK: Duration = Duration::from_millis(250);

/// A running delivery worker.
pub struct DeliveryWorker {
    stop: tokio::sync::watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

impl DeliveryWorker {
    /// Stops after the pass in flight: every message it claimed is delivered, rescheduled
    /// or marked missed, and its lease released, before this returns.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.handle.await {
            tracing::error!(error = %e, "the delivery worker ended abnormally");
        }
    }
}

/// Starts the dispatch delivery worker. Each process is its own worker; on PostgreSQL
/// several share the outbox without delivering a message twice.
pub fn spawn_delivery(state: AppState) -> DeliveryWorker {
    let owner = format!("{}-{}", std::process::id(), crate::ids::new_public_id());
    let (stop, mut stopping) = tokio::sync::watch::channel(false);
    let handle = tokio::spawn(async move {
        let mut ticks = tokio::time::interval(DELIVERY_TICK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut backlog = false;
        loop {
            // Only the wait is interrupted, never a pass. A full pass means more are due:
            // the next one starts at once.
            if !backlog {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = stopping.changed() => break,
                }
            } else if *stopping.borrow() {
                break;
            }
            let now = state.clock.now();
            backlog = match crate::services::dispatch::deliver_due(
                &state.db,
                &state.settings,
                &state.secrets,
                &state.mailer,
                &owner,
                now,
            )
            .await
            {
                Ok(count) => {
                    u64::try_from(count).unwrap_or(u64::MAX) >= state.settings.delivery_batch
                }
                Err(e) => {
                    tracing::error!(error = %e, "delivering dispatch messages failed");
                    false
                }
            };
            state.heartbeats.delivery_ran();
        }
    });
    DeliveryWorker { stop, handle }
}
