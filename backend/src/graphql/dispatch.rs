//! Dispatches (guide §3.7): creating, listing, cancelling and stopping them, fair
//! allocation, each message's attempts, and the stream of dispatch messages.

use super::{caller, gql_error};
use crate::services::{Actor, ServiceError, dispatch};
use crate::state::Clock;
use async_graphql::{Context, Object, Result, Subscription};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use shared::{Allocation, Dispatch, DispatchInput, IssuedMessage, PublicId};
use std::collections::VecDeque;
use std::sync::Arc;

#[derive(Default)]
pub struct DispatchEventsQuery;

#[Object]
impl DispatchEventsQuery {
    /// Dispatches overlapping [from, to) that the caller may see, with each message's
    /// delivery state (missed messages need the operator's attention).
    async fn dispatches(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        #[graphql(desc = "After `from`, at most 93 days")] to: DateTime<Utc>,
    ) -> Result<Vec<Dispatch>> {
        let (db, actor, _) = caller(ctx)?;
        dispatch::list(db, actor, from, to).await.map_err(gql_error)
    }

    /// Fair allocation (operators): `requirementKw` over [start, end) spread across the
    /// groups accepted in a programme for the whole period, minimising the largest share.
    /// Review it, then confirm it with `createDispatches`.
    async fn allocation(
        &self,
        ctx: &Context<'_>,
        programme_id: PublicId,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        requirement_kw: f64,
    ) -> Result<Allocation> {
        let (db, actor, _) = caller(ctx)?;
        crate::services::dispatch::allocation::propose(
            db,
            actor,
            programme_id.as_str(),
            start,
            end,
            requirement_kw,
        )
        .await
        .map_err(gql_error)
    }

    /// Every attempt to deliver one message (time, HTTP status, latency, error), oldest
    /// first.
    async fn dispatch_message_attempts(
        &self,
        ctx: &Context<'_>,
        message_id: String,
    ) -> Result<Vec<shared::DeliveryAttempt>> {
        let (db, actor, _) = caller(ctx)?;
        dispatch::attempts(db, actor, &message_id)
            .await
            .map_err(gql_error)
    }

    /// One dispatch by id.
    async fn dispatch(&self, ctx: &Context<'_>, id: PublicId) -> Result<Dispatch> {
        let (db, actor, _) = caller(ctx)?;
        dispatch::get(db, actor, id.as_str())
            .await
            .map_err(gql_error)
    }
}

#[derive(Default)]
pub struct DispatchEventsMutation;

#[Object]
impl DispatchEventsMutation {
    /// Dispatches a group (operators): from an accepted window, or ad hoc for Restore and
    /// Emergency Flex. Refused with the reason when it breaks a runtime or the capacity.
    async fn create_dispatch(
        &self,
        ctx: &Context<'_>,
        dispatch: DispatchInput,
    ) -> Result<Dispatch> {
        let (db, actor, now) = caller(ctx)?;
        dispatch::dispatch(db, actor, now, &dispatch)
            .await
            .map_err(gql_error)
    }

    /// Cancels a dispatch before it starts (operators).
    async fn cancel_dispatch(&self, ctx: &Context<'_>, id: PublicId) -> Result<Dispatch> {
        let (db, actor, now) = caller(ctx)?;
        dispatch::cancel(db, actor, now, id.as_str())
            .await
            .map_err(gql_error)
    }

    /// Dispatches several groups at once, all or none: a confirmed fair allocation
    /// (operators). Refusals name the line (`extensions.errors[].index`).
    async fn create_dispatches(
        &self,
        ctx: &Context<'_>,
        dispatches: Vec<DispatchInput>,
    ) -> Result<Vec<Dispatch>> {
        let (db, actor, now) = caller(ctx)?;
        dispatch::dispatch_all(db, actor, now, &dispatches)
            .await
            .map_err(gql_error)
    }

    /// Sends a missed or delivered message again, with the same `webhook-id`, due now and
    /// retried for 15 minutes (operators).
    async fn resend_dispatch_message(
        &self,
        ctx: &Context<'_>,
        message_id: String,
    ) -> Result<Dispatch> {
        let (db, actor, now) = caller(ctx)?;
        dispatch::resend(db, actor, now, &message_id)
            .await
            .map_err(gql_error)
    }

    /// Stops a dispatch at once (operators).
    async fn emergency_stop(&self, ctx: &Context<'_>, id: PublicId) -> Result<Dispatch> {
        let (db, actor, now) = caller(ctx)?;
        dispatch::emergency_stop(db, actor, now, id.as_str())
            .await
            .map_err(gql_error)
    }
}

#[derive(Default)]
pub struct DispatchSubscription;

/// How often a subscription looks for messages that have become due.
const STREAM_POLL: std::time::Duration = std::time::Duration::from_secs(1);
/// How far back each look reaches, so that a message committed a moment after a later one
/// was seen is not passed over; rows already given are skipped.
const STREAM_LOOKBACK: chrono::Duration = chrono::Duration::seconds(10);
const STREAM_BATCH: u64 = 200;

/// One subscriber's place in its company's messages.
struct Follow {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    actor: Actor,
    /// Messages due after this were not yet given (the subscription's start or `since`).
    floor: DateTime<Utc>,
    /// Rows given whose due time is within the look-back, oldest first.
    given: VecDeque<(DateTime<Utc>, i64)>,
    ready: VecDeque<IssuedMessage>,
    ended: bool,
}

impl Follow {
    async fn next(mut self) -> Option<(Result<IssuedMessage>, Self)> {
        loop {
            if let Some(message) = self.ready.pop_front() {
                return Some((Ok(message), self));
            }
            if self.ended {
                return None;
            }
            if let Err(e) = self.look().await {
                self.ended = true;
                return Some((Err(gql_error(e)), self));
            }
            if self.ready.is_empty() {
                tokio::time::sleep(STREAM_POLL).await;
            }
        }
    }

    async fn look(&mut self) -> Result<(), ServiceError> {
        // The socket re-checks the caller every second and closes when it no longer holds
        // (graphql/socket.rs), which ends this stream with it.
        let now = self.clock.now();
        let after = self.given.back().map_or(self.floor, |(due, _)| {
            (*due - STREAM_LOOKBACK).max(self.floor)
        });
        while self.given.front().is_some_and(|(due, _)| *due <= after) {
            self.given.pop_front();
        }
        let skip: Vec<i64> = self.given.iter().map(|(_, row)| *row).collect();
        let found =
            dispatch::issued_between(&self.db, &self.actor, after, now, &skip, STREAM_BATCH)
                .await?;
        for message in found {
            self.given.push_back((message.issued_at, message.row));
            self.ready.push_back(message);
        }
        self.given.make_contiguous().sort_unstable();
        Ok(())
    }
}

#[Subscription]
impl DispatchSubscription {
    /// The caller's company's dispatch messages (SCHEDULE, START, STOP, CANCEL,
    /// EMERGENCY_STOP) as each becomes due: the same ids and bodies the webhook carries, a
    /// second channel beside it (FSPs; over WebSocket at `/graphql/ws`). With `since`
    /// (RFC 3339) the messages due after that time come first, to catch up after a
    /// reconnection. The stream ends when the token is revoked or the session ends.
    async fn dispatch_messages(
        &self,
        ctx: &Context<'_>,
        since: Option<DateTime<Utc>>,
    ) -> Result<impl futures_util::Stream<Item = Result<IssuedMessage>> + use<>> {
        let (db, actor, now) = caller(ctx)?;
        if !matches!(actor, Actor::Participant { .. }) {
            return Err(gql_error(ServiceError::Forbidden(
                "the dispatch message stream is for FSPs; operators follow every message on \
                 the Dispatches page"
                    .to_owned(),
            )));
        }
        let floor = since.unwrap_or(now);
        let follow = Follow {
            db: db.clone(),
            clock: ctx.data::<Arc<dyn Clock>>()?.clone(),
            actor: actor.clone(),
            floor,
            given: VecDeque::new(),
            ready: VecDeque::new(),
            ended: false,
        };
        Ok(futures_util::stream::unfold(follow, Follow::next))
    }
}
