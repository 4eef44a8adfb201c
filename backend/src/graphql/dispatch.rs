//! API Testing › Dispatch Settings and Dispatch V2 Testing.

use super::{caller, gql_error, instant};
use crate::app::AppState;
use crate::services::{dispatch, dispatch_settings};
use async_graphql::{Context, Object, Result};
use shared::{
    Allocation, DeliveryChannel, Dispatch, DispatchInput, DispatchSettings, NewSigningSecret,
    TestDispatchInput, TestDispatchResult,
};

#[derive(Default)]
pub struct DispatchQuery;

#[Object]
impl DispatchQuery {
    /// The caller's company's dispatch endpoint, delivery channel, signing-secret hint and
    /// recent delivery attempts (FSPs).
    async fn dispatch_settings(&self, ctx: &Context<'_>) -> Result<DispatchSettings> {
        let (db, actor, _) = caller(ctx)?;
        dispatch_settings::get(db, actor).await.map_err(gql_error)
    }
}

#[derive(Default)]
pub struct DispatchMutation;

#[Object]
impl DispatchMutation {
    /// Sets the participant endpoint base URL (messages go to `{base}/dispatch`; https
    /// required; internal addresses refused unless the deployment allows them) and the
    /// delivery channel, with the dispatch contacts for e-mail delivery (FSPs).
    async fn update_dispatch_settings(
        &self,
        ctx: &Context<'_>,
        endpoint_url: Option<String>,
        delivery: DeliveryChannel,
        #[graphql(desc = "Dispatch contacts for e-mail delivery", default)] email_contacts: Vec<
            String,
        >,
    ) -> Result<DispatchSettings> {
        let (db, actor, now) = caller(ctx)?;
        let state = ctx.data::<AppState>()?;
        dispatch_settings::update(
            db,
            &state.settings,
            actor,
            now,
            endpoint_url.as_deref(),
            delivery,
            &email_contacts,
        )
        .await
        .map_err(gql_error)
    }

    /// A new signing secret, shown once; the previous one stops signing at once (FSPs,
    /// signed in).
    async fn rotate_signing_secret(&self, ctx: &Context<'_>) -> Result<NewSigningSecret> {
        let (db, actor, now) = caller(ctx)?;
        let state = ctx.data::<AppState>()?;
        dispatch_settings::rotate_secret(db, &state.secrets, actor, now)
            .await
            .map_err(gql_error)
    }

    /// Dispatch V2 Testing: sends exactly this message, signed, to the company's endpoint
    /// and reports what happened. No real dispatch is created or changed.
    async fn send_test_dispatch(
        &self,
        ctx: &Context<'_>,
        message: TestDispatchInput,
    ) -> Result<TestDispatchResult> {
        let (db, actor, now) = caller(ctx)?;
        let state = ctx.data::<AppState>()?;
        dispatch_settings::send_test(db, &state.settings, &state.secrets, actor, now, &message)
            .await
            .map_err(gql_error)
    }
}

#[derive(Default)]
pub struct DispatchEventsQuery;

#[Object]
impl DispatchEventsQuery {
    /// Dispatches overlapping [from, to) that the caller may see, with each message's
    /// delivery state (missed messages need the operator's attention).
    async fn dispatches(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
    ) -> Result<Vec<Dispatch>> {
        let (db, actor, _) = caller(ctx)?;
        let (from, to) = (instant("from", &from)?, instant("to", &to)?);
        dispatch::list(db, actor, from, to).await.map_err(gql_error)
    }

    /// Fair allocation (operators): `requirementKw` over [start, end) spread across the
    /// groups accepted in a programme for the whole period, minimising the largest share.
    /// Review it, then confirm each line with `createDispatch`.
    async fn allocation(
        &self,
        ctx: &Context<'_>,
        programme_id: String,
        start: String,
        end: String,
        requirement_kw: f64,
    ) -> Result<Allocation> {
        let (db, actor, _) = caller(ctx)?;
        let (start, end) = (instant("start", &start)?, instant("end", &end)?);
        crate::services::allocation::propose(db, actor, &programme_id, start, end, requirement_kw)
            .await
            .map_err(gql_error)
    }

    /// One dispatch by id.
    async fn dispatch(&self, ctx: &Context<'_>, id: String) -> Result<Dispatch> {
        let (db, actor, _) = caller(ctx)?;
        dispatch::get(db, actor, &id).await.map_err(gql_error)
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
    async fn cancel_dispatch(&self, ctx: &Context<'_>, id: String) -> Result<Dispatch> {
        let (db, actor, now) = caller(ctx)?;
        dispatch::cancel(db, actor, now, &id)
            .await
            .map_err(gql_error)
    }

    /// Stops a dispatch at once (operators).
    async fn emergency_stop(&self, ctx: &Context<'_>, id: String) -> Result<Dispatch> {
        let (db, actor, now) = caller(ctx)?;
        dispatch::emergency_stop(db, actor, now, &id)
            .await
            .map_err(gql_error)
    }
}
