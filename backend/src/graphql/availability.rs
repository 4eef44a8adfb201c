//! Availability declarations and acceptance decisions (guide §3.4, §3.6).

use super::{caller, gql_error};
use crate::services::availability;
use async_graphql::{Context, Object, Result};
use shared::{
    AcceptanceRow, AvailabilityWeek, AvailabilityWindow, PublicId, WeekCommencing, WindowInput,
};

#[derive(Default)]
pub struct AvailabilityQuery;

#[Object]
impl AvailabilityQuery {
    /// Availability › Calendar: a dispatch group's windows in a programme for a week, with
    /// the lock and what the caller may do.
    async fn availability_week(
        &self,
        ctx: &Context<'_>,
        dispatch_group_id: PublicId,
        programme_id: PublicId,
        week_commencing: WeekCommencing,
    ) -> Result<AvailabilityWeek> {
        let (db, actor, now) = caller(ctx)?;
        availability::week(
            db,
            actor,
            now,
            dispatch_group_id.as_str(),
            programme_id.as_str(),
            week_commencing,
        )
        .await
        .map_err(gql_error)
    }

    /// Availability › Acceptance Decisions: every declaration of the week across the
    /// programmes and zones the caller may see.
    async fn acceptance_decisions(
        &self,
        ctx: &Context<'_>,
        week_commencing: WeekCommencing,
    ) -> Result<Vec<AcceptanceRow>> {
        let (db, actor, _) = caller(ctx)?;
        availability::acceptance(db, actor, week_commencing)
            .await
            .map_err(gql_error)
    }
}

#[derive(Default)]
pub struct AvailabilityMutation;

#[Object]
impl AvailabilityMutation {
    /// Declares a window for an FSP's dispatch group (operators; until the lock).
    async fn declare_availability(
        &self,
        ctx: &Context<'_>,
        dispatch_group_id: PublicId,
        programme_id: PublicId,
        window: WindowInput,
    ) -> Result<AvailabilityWindow> {
        let (db, actor, now) = caller(ctx)?;
        let (group, programme) = (dispatch_group_id.as_str(), programme_id.as_str());
        availability::declare(db, actor, now, group, programme, &window)
            .await
            .map_err(gql_error)
    }

    /// Changes a declared window (operators; until the lock).
    async fn update_availability(
        &self,
        ctx: &Context<'_>,
        window_id: PublicId,
        window: WindowInput,
    ) -> Result<AvailabilityWindow> {
        let (db, actor, now) = caller(ctx)?;
        availability::update(db, actor, now, window_id.as_str(), &window)
            .await
            .map_err(gql_error)
    }

    /// Removes a declared window (operators; until the lock).
    async fn remove_availability(&self, ctx: &Context<'_>, window_id: PublicId) -> Result<bool> {
        let (db, actor, now) = caller(ctx)?;
        availability::remove(db, actor, now, window_id.as_str())
            .await
            .map(|()| true)
            .map_err(gql_error)
    }

    /// Accepts (or, with `accept: false`, rejects) declared windows once their week has
    /// locked (operators).
    async fn decide_availability(
        &self,
        ctx: &Context<'_>,
        window_ids: Vec<PublicId>,
        accept: bool,
    ) -> Result<Vec<AvailabilityWindow>> {
        let (db, actor, now) = caller(ctx)?;
        let window_ids: Vec<String> = window_ids.into_iter().map(String::from).collect();
        availability::decide(db, actor, now, &window_ids, accept)
            .await
            .map_err(gql_error)
    }

    /// Accepts or rejects every undecided window of a group in a programme for a week.
    async fn decide_availability_week(
        &self,
        ctx: &Context<'_>,
        dispatch_group_id: PublicId,
        programme_id: PublicId,
        week_commencing: WeekCommencing,
        accept: bool,
    ) -> Result<Vec<AvailabilityWindow>> {
        let (db, actor, now) = caller(ctx)?;
        availability::decide_week(
            db,
            actor,
            now,
            dispatch_group_id.as_str(),
            programme_id.as_str(),
            week_commencing,
            accept,
        )
        .await
        .map_err(gql_error)
    }
}
