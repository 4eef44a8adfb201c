//! Zones, dispatch groups and meterable units.

use super::{caller, gql_error};
use crate::services::assets;
use async_graphql::{Context, Object, Result};
use shared::{DispatchGroup, MeterableUnit, PublicId, WeekCommencing, Zone, ZoneSlug};

#[derive(Default)]
pub struct AssetsQuery;

#[Object]
impl AssetsQuery {
    /// Zones the caller may see, with their programmes.
    async fn zones(&self, ctx: &Context<'_>) -> Result<Vec<Zone>> {
        let (db, actor, now) = caller(ctx)?;
        assets::list_zones(db, actor, now).await.map_err(gql_error)
    }

    /// The caller's dispatch groups in a zone for one week (default: the current week in
    /// Europe/London), with meterable units, marketplace units and prices.
    async fn dispatch_groups(
        &self,
        ctx: &Context<'_>,
        zone_id: ZoneSlug,
        week_commencing: Option<WeekCommencing>,
    ) -> Result<Vec<DispatchGroup>> {
        let (db, actor, now) = caller(ctx)?;
        Ok(
            assets::list_dispatch_groups(db, actor, now, &zone_id, week_commencing)
                .await
                .map_err(gql_error)?
                .dispatch_groups,
        )
    }

    /// One dispatch group by id; not found unless the caller may see it.
    async fn dispatch_group(&self, ctx: &Context<'_>, id: PublicId) -> Result<DispatchGroup> {
        let (db, actor, now) = caller(ctx)?;
        assets::get_dispatch_group(db, actor, now, id.as_str())
            .await
            .map_err(gql_error)
    }

    /// One meterable unit by id; not found unless the caller may see it.
    async fn meterable_unit(&self, ctx: &Context<'_>, id: PublicId) -> Result<MeterableUnit> {
        let (db, actor, now) = caller(ctx)?;
        assets::get_meterable_unit(db, actor, now, id.as_str())
            .await
            .map_err(gql_error)
    }

    /// The caller's meterable units in a zone.
    async fn meterable_units(
        &self,
        ctx: &Context<'_>,
        zone_id: ZoneSlug,
    ) -> Result<Vec<MeterableUnit>> {
        let (db, actor, now) = caller(ctx)?;
        assets::list_meterable_units(db, actor, now, &zone_id)
            .await
            .map_err(gql_error)
    }
}
