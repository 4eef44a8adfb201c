//! Baselines (guide §3.5): the series, and the operator's method, value and template.

use super::{caller, gql_error};
use crate::services::baselines;
use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};
use shared::{BaselineMethod, BaselinePoint, PublicId};

#[derive(Default)]
pub struct BaselinesQuery;

#[Object]
impl BaselinesQuery {
    /// A unit's baseline over [from, to) (UTC, at most 31 days), one value per metering
    /// interval, each stamped with the interval's start.
    async fn baseline_series(
        &self,
        ctx: &Context<'_>,
        meterable_unit_id: PublicId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<BaselinePoint>> {
        let (db, actor, _) = caller(ctx)?;
        baselines::series(db, actor, meterable_unit_id.as_str(), from, to)
            .await
            .map_err(gql_error)
    }
}

#[derive(Default)]
pub struct BaselinesMutation;

#[Object]
impl BaselinesMutation {
    /// Sets a unit's baseline method, and for the static method its agreed kW (operators).
    async fn set_baseline(
        &self,
        ctx: &Context<'_>,
        meterable_unit_id: PublicId,
        method: BaselineMethod,
        static_kw: Option<f64>,
    ) -> Result<bool> {
        let (db, actor, now) = caller(ctx)?;
        let unit = meterable_unit_id.as_str();
        baselines::set_method(db, actor, now, unit, method, static_kw)
            .await
            .map(|()| true)
            .map_err(gql_error)
    }

    /// Stores a unit's nominated template, CSV `day_of_week,local_time,power_kw` (London
    /// local start of each minute or half-hour, 7 × 1440 or 7 × 48 rows), and makes it the
    /// unit's method (operators). Returns the number of values stored.
    async fn upload_baseline_template(
        &self,
        ctx: &Context<'_>,
        meterable_unit_id: PublicId,
        csv: String,
        #[graphql(desc = "The template's name as Meterable Units shows it, e.g. the file's")]
        name: Option<String>,
    ) -> Result<usize> {
        let (db, actor, now) = caller(ctx)?;
        let unit = meterable_unit_id.as_str();
        baselines::upload_template(db, actor, now, unit, (&csv, name.as_deref()))
            .await
            .map_err(gql_error)
    }
}
