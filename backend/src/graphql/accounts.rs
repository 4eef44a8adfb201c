//! The signed-in user.

use super::{caller, gql_error};
use crate::services::accounts;
use async_graphql::{Context, Object, Result};
use shared::{EmailPreferences, Viewer};

#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let (db, actor, _) = caller(ctx)?;
        accounts::me(db, actor).await.map_err(gql_error)
    }
}

#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    /// Opts the signed-in user in to or out of the batch e-mails.
    async fn update_my_preferences(
        &self,
        ctx: &Context<'_>,
        preferences: EmailPreferences,
    ) -> Result<EmailPreferences> {
        let (db, actor, _) = caller(ctx)?;
        accounts::update_my_preferences(db, actor, preferences)
            .await
            .map_err(gql_error)
    }
}
