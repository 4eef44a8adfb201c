//! Operator configuration (issue: zones, programmes and policies, dispatch groups,
//! meterable units, marketplace units, prices). FSPs read the results through the asset
//! queries.

use super::{caller, gql_error};
use crate::services::configuration;
use async_graphql::{Context, Object, Result};
use shared::{
    DispatchGroup, DispatchGroupInput, MeterableUnit, MeterableUnitInput, PriceInput, Programme,
    ProgrammeKind, ProgrammePolicy, PublicId, Zone, ZoneSlug,
};

#[derive(Default)]
pub struct ConfigurationMutation;

#[Object]
impl ConfigurationMutation {
    /// Creates one of the caller's zones with the standard programmes (operators).
    async fn create_zone(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Stable id, e.g. `isle-of-skye`")] id: ZoneSlug,
        name: String,
        #[graphql(desc = "A sandbox zone: everything works, nothing is paid")] sandbox: bool,
    ) -> Result<Zone> {
        let (db, actor, now) = caller(ctx)?;
        configuration::create_zone(db, actor, now, id.as_str(), &name, sandbox)
            .await
            .map_err(gql_error)
    }

    /// Renames one of the caller's zones or changes whether it is a sandbox (operators).
    async fn update_zone(
        &self,
        ctx: &Context<'_>,
        id: ZoneSlug,
        name: String,
        sandbox: bool,
    ) -> Result<Zone> {
        let (db, actor, now) = caller(ctx)?;
        configuration::update_zone(db, actor, now, &id, &name, sandbox)
            .await
            .map_err(gql_error)
    }

    /// Adds a programme to one of the caller's zones, e.g. an auction variant (operators).
    async fn create_programme(
        &self,
        ctx: &Context<'_>,
        zone_id: ZoneSlug,
        kind: ProgrammeKind,
        auction: bool,
    ) -> Result<Programme> {
        let (db, actor, now) = caller(ctx)?;
        configuration::create_programme(db, actor, now, &zone_id, kind, auction)
            .await
            .map_err(gql_error)
    }

    /// Replaces a programme's policy (operators).
    async fn update_programme_policy(
        &self,
        ctx: &Context<'_>,
        programme_id: PublicId,
        policy: ProgrammePolicy,
    ) -> Result<Programme> {
        let (db, actor, now) = caller(ctx)?;
        configuration::update_policy(db, actor, now, programme_id.as_str(), policy)
            .await
            .map_err(gql_error)
    }

    /// Sets a dispatch group's prices in a programme (operators). A price above the unit
    /// ceiling is kept, with a `warning` on the price row; settlement pays at most the
    /// ceiling.
    async fn set_price(
        &self,
        ctx: &Context<'_>,
        dispatch_group_id: PublicId,
        programme_id: PublicId,
        price: PriceInput,
    ) -> Result<DispatchGroup> {
        let (db, actor, now) = caller(ctx)?;
        let (group, programme) = (dispatch_group_id.as_str(), programme_id.as_str());
        configuration::set_price(db, actor, now, group, programme, price)
            .await
            .map_err(gql_error)
    }

    /// Creates a dispatch group for an FSP company the caller contracts (operators).
    async fn create_dispatch_group(
        &self,
        ctx: &Context<'_>,
        zone_id: ZoneSlug,
        #[graphql(desc = "The FSP company's name")] company: String,
        group: DispatchGroupInput,
    ) -> Result<DispatchGroup> {
        let (db, actor, now) = caller(ctx)?;
        configuration::create_dispatch_group(db, actor, now, &zone_id, &company, group)
            .await
            .map_err(gql_error)
    }

    /// Changes a dispatch group (operators).
    async fn update_dispatch_group(
        &self,
        ctx: &Context<'_>,
        id: PublicId,
        group: DispatchGroupInput,
    ) -> Result<DispatchGroup> {
        let (db, actor, now) = caller(ctx)?;
        configuration::update_dispatch_group(db, actor, now, id.as_str(), group)
            .await
            .map_err(gql_error)
    }

    /// Retires a dispatch group and its meterable units; history is kept (operators).
    async fn retire_dispatch_group(&self, ctx: &Context<'_>, id: PublicId) -> Result<bool> {
        let (db, actor, now) = caller(ctx)?;
        configuration::retire_dispatch_group(db, actor, now, id.as_str())
            .await
            .map(|()| true)
            .map_err(gql_error)
    }

    /// Adds a meterable unit to a dispatch group (operators).
    async fn create_meterable_unit(
        &self,
        ctx: &Context<'_>,
        dispatch_group_id: PublicId,
        unit: MeterableUnitInput,
    ) -> Result<MeterableUnit> {
        let (db, actor, now) = caller(ctx)?;
        configuration::create_meterable_unit(db, actor, now, dispatch_group_id.as_str(), unit)
            .await
            .map_err(gql_error)
    }

    /// Changes a meterable unit (operators).
    async fn update_meterable_unit(
        &self,
        ctx: &Context<'_>,
        id: PublicId,
        unit: MeterableUnitInput,
    ) -> Result<MeterableUnit> {
        let (db, actor, now) = caller(ctx)?;
        configuration::update_meterable_unit(db, actor, now, id.as_str(), unit)
            .await
            .map_err(gql_error)
    }

    /// Retires a meterable unit; its readings are kept (operators).
    async fn retire_meterable_unit(&self, ctx: &Context<'_>, id: PublicId) -> Result<bool> {
        let (db, actor, now) = caller(ctx)?;
        configuration::retire_meterable_unit(db, actor, now, id.as_str())
            .await
            .map(|()| true)
            .map_err(gql_error)
    }
}
