//! The signed-in user.

use super::caller;
use crate::services::accounts;
use async_graphql::{Context, Object, Result};
use shared::Viewer;

#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let (_, actor, _) = caller(ctx)?;
        Ok(accounts::viewer(actor))
    }
}
