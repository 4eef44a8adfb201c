//! Dispatch settings (API Testing › Dispatch Settings and Dispatch V2 Testing): where a
//! company's dispatches go, its signing secret, and test messages.

use super::{caller, gql_error};
use crate::services::dispatch_settings;
use crate::state::AppState;
use async_graphql::{Context, Object, Result};
use shared::{
    DeliveryChannel, DispatchSettings, NewSigningSecret, TestDispatchInput, TestDispatchResult,
};

#[derive(Default)]
pub struct DispatchSettingsQuery;

#[Object]
impl DispatchSettingsQuery {
    /// The caller's company's dispatch endpoint, delivery channel, signing-secret hint and
    /// recent delivery attempts (FSPs).
    async fn dispatch_settings(&self, ctx: &Context<'_>) -> Result<DispatchSettings> {
        let (db, actor, _) = caller(ctx)?;
        dispatch_settings::get(db, actor).await.map_err(gql_error)
    }
}

#[derive(Default)]
pub struct DispatchSettingsMutation;

#[Object]
impl DispatchSettingsMutation {
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
            &state.secrets,
            actor,
            now,
            dispatch_settings::Change {
                endpoint_url: endpoint_url.as_deref(),
                delivery,
                email_contacts: &email_contacts,
            },
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
