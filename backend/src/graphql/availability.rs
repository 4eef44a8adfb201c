//! Availability declarations and acceptance decisions (guide §3.4, §3.6).

use super::{caller, gql_error};
use crate::services::{ServiceError, availability};
use async_graphql::{Context, Object, Result};
use shared::{AcceptanceRow, AvailabilityWeek, AvailabilityWindow, WeekCommencing, WindowInput};

fn week_arg(week: &str) -> Result<WeekCommencing> {
    WeekCommencing::parse(week)
        .map_err(|e| gql_error(ServiceError::invalid("week_commencing", e.to_string())))
}

#[derive(Default)]
pub struct AvailabilityQuery;

#[Object]
impl AvailabilityQuery {
    /// Availability › Calendar: a dispatch group's windows in a programme for a week, with
    /// the lock and what the caller may do.
    async fn availability_week(
        &self,
        ctx: &Context<'_>,
        dispatch_group_id: String,
        programme_id: String,
        #[graphql(desc = "A Monday, YYYY-MM-DD")] week_commencing: String,
    ) -> Result<AvailabilityWeek> {
        let (db, actor, now) = caller(ctx)?;
        let week = week_arg(&week_commencing)?;
        availability::week(db, actor, now, &dispatch_group_id, &programme_id, week)
            .await
            .map_err(gql_error)
    }

    /// Availability › Acceptance Decisions: every declaration of the week across the
    /// programmes and zones the caller may see.
    async fn acceptance_decisions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A Monday, YYYY-MM-DD")] week_commencing: String,
    ) -> Result<Vec<AcceptanceRow>> {
        let (db, actor, _) = caller(ctx)?;
        let week = week_arg(&week_commencing)?;
        availability::acceptance(db, actor, week)
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
        dispatch_group_id: String,
        programme_id: String,
        window: WindowInput,
    ) -> Result<AvailabilityWindow> {
        let (db, actor, now) = caller(ctx)?;
        availability::declare(db, actor, now, &dispatch_group_id, &programme_id, &window)
            .await
            .map_err(gql_error)
    }

    /// Changes a declared window (operators; until the lock).
    async fn update_availability(
        &self,
        ctx: &Context<'_>,
        window_id: String,
        window: WindowInput,
    ) -> Result<AvailabilityWindow> {
        let (db, actor, now) = caller(ctx)?;
        availability::update(db, actor, now, &window_id, &window)
            .await
            .map_err(gql_error)
    }

    /// Removes a declared window (operators; until the lock).
    async fn remove_availability(&self, ctx: &Context<'_>, window_id: String) -> Result<bool> {
        let (db, actor, now) = caller(ctx)?;
        availability::remove(db, actor, now, &window_id)
            .await
            .map(|()| true)
            .map_err(gql_error)
    }

    /// Accepts (or, with `accept: false`, rejects) declared windows once their week has
    /// locked (operators).
    async fn decide_availability(
        &self,
        ctx: &Context<'_>,
        window_ids: Vec<String>,
        accept: bool,
    ) -> Result<Vec<AvailabilityWindow>> {
        let (db, actor, now) = caller(ctx)?;
        availability::decide(db, actor, now, &window_ids, accept)
            .await
            .map_err(gql_error)
    }

    /// Accepts or rejects every undecided window of a group in a programme for a week.
    async fn decide_availability_week(
        &self,
        ctx: &Context<'_>,
        dispatch_group_id: String,
        programme_id: String,
        #[graphql(desc = "A Monday, YYYY-MM-DD")] week_commencing: String,
        accept: bool,
    ) -> Result<Vec<AvailabilityWindow>> {
        let (db, actor, now) = caller(ctx)?;
        let week = week_arg(&week_commencing)?;
        availability::decide_week(
            db,
            actor,
            now,
            &dispatch_group_id,
            &programme_id,
            week,
            accept,
        )
        .await
        .map_err(gql_error)
    }
}
