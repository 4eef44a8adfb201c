//! Meter readings: the same operations as `/api/v2/readings`.

use super::{caller, gql_error};
use crate::services::ServiceError;
use crate::services::readings::{self, ExportQuery};
use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};
use shared::{
    IdempotencyKey, IngestSummary, PageLimit, PublicId, Reading, ReadingInput, ReadingsCursor,
    ReadingsPage,
};

#[derive(Default)]
pub struct ReadingsQuery;

#[Object]
impl ReadingsQuery {
    /// The latest 60 readings of a meterable unit, newest first.
    async fn latest_readings(
        &self,
        ctx: &Context<'_>,
        meterable_unit_id: PublicId,
    ) -> Result<Vec<Reading>> {
        let (db, actor, _) = caller(ctx)?;
        readings::latest(db, actor, meterable_unit_id.as_str())
            .await
            .map_err(gql_error)
    }

    /// A unit's readings whose interval ends in (from, to], oldest first, a page at a time.
    /// Costs one unit of query complexity per 100 rows asked for, times the fields chosen.
    #[graphql(
        complexity = "(first.unwrap_or(1_000).clamp(1, 10_000) as usize).div_ceil(100) * child_complexity"
    )]
    async fn readings(
        &self,
        ctx: &Context<'_>,
        meterable_unit_id: PublicId,
        #[graphql(desc = "Exclusive start")] from: DateTime<Utc>,
        #[graphql(desc = "Inclusive end, after `from`")] to: DateTime<Utc>,
        #[graphql(desc = "Rows per page, 1 to 10,000 (default 1,000)")] first: Option<u64>,
        #[graphql(desc = "nextCursor of the previous page")] after: Option<ReadingsCursor>,
    ) -> Result<ReadingsPage> {
        let (db, actor, _) = caller(ctx)?;
        let query = ExportQuery {
            meterable_unit_id: meterable_unit_id.into(),
            from,
            to,
            limit: first
                .map(PageLimit::try_from)
                .transpose()
                .map_err(|reason| gql_error(ServiceError::invalid("first", reason)))?
                .unwrap_or_default(),
            cursor: after,
        };
        readings::export(db, actor, &query)
            .await
            .map(|(page, _)| page)
            .map_err(gql_error)
    }
}

#[derive(Default)]
pub struct ReadingsMutation;

#[Object]
impl ReadingsMutation {
    /// Stores a batch of readings, accepted whole or refused whole (see
    /// `POST /api/v2/readings`). With an idempotency key, a retry of the same batch returns
    /// the first answer and writes nothing.
    async fn post_readings(
        &self,
        ctx: &Context<'_>,
        readings: Vec<ReadingInput>,
        idempotency_key: Option<IdempotencyKey>,
    ) -> Result<IngestSummary> {
        let (db, actor, now) = caller(ctx)?;
        let key = idempotency_key.as_ref().map(IdempotencyKey::as_str);
        readings::ingest(db, actor, now, &readings, key)
            .await
            .map(|outcome| outcome.value)
            .map_err(gql_error)
    }
}
