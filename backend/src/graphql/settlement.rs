//! Reports (guide §3.8, §3.9): event performance reports and earnings, monthly statements
//! and their versions.

use super::{caller, gql_error};
use crate::services::ServiceError;
use crate::services::settlement::statements;
use async_graphql::{Context, Object, Result};
use shared::{EventReport, Month, SampleReports, Statement, StatementDetail};

fn month(value: &str) -> Result<Month> {
    Month::parse(value).map_err(|reason| gql_error(ServiceError::invalid("month", reason)))
}

#[derive(Default)]
pub struct SettlementQuery;

#[Object]
impl SettlementQuery {
    /// Performance and earnings of the events that ended in `month` (YYYY-MM, London),
    /// optionally in one zone; provisional until the month is final. Without per-interval
    /// detail (see `eventReport`).
    async fn event_reports(
        &self,
        ctx: &Context<'_>,
        month: String,
        zone_id: Option<String>,
    ) -> Result<Vec<EventReport>> {
        let (db, actor, now) = caller(ctx)?;
        let month = self::month(&month)?;
        statements::event_reports(db, actor, now, month, zone_id.as_deref())
            .await
            .map_err(gql_error)
    }

    /// One event's report with every interval's baseline, reading, response and delivery.
    async fn event_report(&self, ctx: &Context<'_>, id: String) -> Result<EventReport> {
        let (db, actor, now) = caller(ctx)?;
        statements::event_report(db, actor, now, &id)
            .await
            .map_err(gql_error)
    }

    /// Monthly statements (YYYY-MM) per company and zone, optionally in one zone:
    /// provisional during the following month, final from the 15th.
    async fn statements(
        &self,
        ctx: &Context<'_>,
        month: String,
        zone_id: Option<String>,
    ) -> Result<Vec<Statement>> {
        let (db, actor, now) = caller(ctx)?;
        let month = self::month(&month)?;
        statements::statements(db, actor, now, month, zone_id.as_deref())
            .await
            .map_err(gql_error)
    }

    /// API Testing › Sample Reports: an example performance report, earnings and statement
    /// computed by the settlement code from the caller's sandbox dispatch group, unit,
    /// baseline and prices, with an invented event yesterday 16:00–17:00. Nothing is stored.
    async fn sample_reports(&self, ctx: &Context<'_>) -> Result<SampleReports> {
        let (db, actor, now) = caller(ctx)?;
        let (event_report, statement) = crate::services::settlement::sample(db, actor, now)
            .await
            .map_err(gql_error)?;
        Ok(SampleReports {
            event_report,
            statement,
        })
    }

    /// One statement (the latest version, or `version`) with its versions.
    async fn statement(
        &self,
        ctx: &Context<'_>,
        id: String,
        version: Option<i32>,
    ) -> Result<StatementDetail> {
        let (db, actor, now) = caller(ctx)?;
        let (statement, versions) = statements::statement(db, actor, now, &id, version)
            .await
            .map_err(gql_error)?;
        Ok(StatementDetail {
            statement,
            versions,
        })
    }
}

#[derive(Default)]
pub struct SettlementMutation;

#[Object]
impl SettlementMutation {
    /// Re-issues a final statement with the figures as they stand now, for a reason the
    /// FSP sees (operators): a new version; earlier ones are kept.
    async fn reissue_statement(
        &self,
        ctx: &Context<'_>,
        id: String,
        reason: String,
    ) -> Result<Statement> {
        let (db, actor, now) = caller(ctx)?;
        statements::reissue(db, actor, now, &id, &reason)
            .await
            .map_err(gql_error)
    }
}
