//! Reports (guide §3.8, §3.9): event performance reports and earnings, monthly statements
//! and their versions.

use super::{caller, gql_error};
use crate::services::settlement::statements;
use async_graphql::{Context, Object, Result};
use shared::{
    EventReport, Month, PublicId, SampleReports, Statement, StatementDetail, StatementId, ZoneSlug,
};

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
        month: Month,
        zone_id: Option<ZoneSlug>,
    ) -> Result<Vec<EventReport>> {
        let (db, actor, now) = caller(ctx)?;
        let zone = zone_id.as_ref().map(ZoneSlug::as_str);
        statements::event_reports(db, actor, now, month, zone)
            .await
            .map_err(gql_error)
    }

    /// One event's report with every interval's baseline, reading, response and delivery.
    async fn event_report(&self, ctx: &Context<'_>, id: PublicId) -> Result<EventReport> {
        let (db, actor, now) = caller(ctx)?;
        statements::event_report(db, actor, now, id.as_str())
            .await
            .map_err(gql_error)
    }

    /// Monthly statements (YYYY-MM) per company and zone, optionally in one zone:
    /// provisional during the following month, final from the 15th.
    async fn statements(
        &self,
        ctx: &Context<'_>,
        month: Month,
        zone_id: Option<ZoneSlug>,
    ) -> Result<Vec<Statement>> {
        let (db, actor, now) = caller(ctx)?;
        let zone = zone_id.as_ref().map(ZoneSlug::as_str);
        statements::statements(db, actor, now, month, zone)
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
        id: StatementId,
        #[graphql(validator(minimum = 1))] version: Option<i32>,
    ) -> Result<StatementDetail> {
        let (db, actor, now) = caller(ctx)?;
        let id = id.to_string();
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
        id: StatementId,
        reason: String,
    ) -> Result<Statement> {
        let (db, actor, now) = caller(ctx)?;
        statements::reissue(db, actor, now, &id.to_string(), &reason)
            .await
            .map_err(gql_error)
    }
}
