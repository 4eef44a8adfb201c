//! The signed-in user.

use super::{caller, gql_error};
use crate::services::accounts;
use crate::services::accounts::{Creator, NewUser};
use crate::services::organisations;
use crate::state::AppState;
use async_graphql::{Context, Object, Result};
use shared::{
    ApiTokenInfo, AuditEntry, Company, EmailPreferences, MailboxMessage, NewApiToken,
    NewCompanyInput, NewUserInput, OperatorSummary, PasskeySummary, UserSummary, Viewer,
};

#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let (db, actor, _) = caller(ctx)?;
        accounts::me(db, actor).await.map_err(gql_error)
    }

    /// FSP companies the caller may see.
    async fn companies(&self, ctx: &Context<'_>) -> Result<Vec<Company>> {
        let (db, actor, _) = caller(ctx)?;
        organisations::list_companies(db, actor)
            .await
            .map_err(gql_error)
    }

    /// Network operators the caller may see.
    async fn operators(&self, ctx: &Context<'_>) -> Result<Vec<OperatorSummary>> {
        let (db, actor, _) = caller(ctx)?;
        organisations::list_operators(db, actor)
            .await
            .map_err(gql_error)
    }

    /// Where to get help: the support contacts of the operators the caller deals with
    /// (the guide's "Contact").
    async fn support_contacts(&self, ctx: &Context<'_>) -> Result<Vec<shared::SupportContact>> {
        let (db, actor, _) = caller(ctx)?;
        organisations::support_contacts(db, actor)
            .await
            .map_err(gql_error)
    }

    /// The company's live API access token, if any (participants).
    async fn api_token(&self, ctx: &Context<'_>) -> Result<Option<ApiTokenInfo>> {
        let (db, actor, _) = caller(ctx)?;
        crate::services::api_tokens::current(db, actor)
            .await
            .map_err(gql_error)
    }

    /// The signed-in user's passkeys.
    async fn passkeys(&self, ctx: &Context<'_>) -> Result<Vec<PasskeySummary>> {
        let (db, actor, _) = caller(ctx)?;
        crate::services::passkeys::list(db, actor)
            .await
            .map_err(gql_error)
    }

    /// Users the caller may see: own company (participants), own colleagues and the FSPs
    /// contracted in own zones (operators), everyone (platform admins).
    async fn users(&self, ctx: &Context<'_>) -> Result<Vec<UserSummary>> {
        let (db, actor, _) = caller(ctx)?;
        accounts::list_users(db, actor).await.map_err(gql_error)
    }

    /// Dev mode only: the latest e-mail the platform sent or kept, so invitations can be
    /// followed without a mail server (operators and platform admins).
    async fn dev_mailbox(&self, ctx: &Context<'_>) -> Result<Vec<MailboxMessage>> {
        let (db, actor, _) = caller(ctx)?;
        let state = ctx.data::<AppState>()?;
        crate::services::notifications::dev_mailbox(db, actor, state.settings.dev_mode)
            .await
            .map_err(gql_error)
    }

    /// Security events about the users the caller manages, newest first (operators and
    /// platform admins).
    #[graphql(complexity = "(limit.clamp(1, 1_000) as usize).div_ceil(100) * child_complexity")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 200)] limit: u64,
    ) -> Result<Vec<AuditEntry>> {
        let (db, actor, _) = caller(ctx)?;
        accounts::audit_log(db, actor, limit)
            .await
            .map_err(gql_error)
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

    /// Creates a user and e-mails the invitation link (single use, 24 hours). Operators
    /// create their colleagues and the users of FSPs contracted in their zones.
    async fn create_user(&self, ctx: &Context<'_>, input: NewUserInput) -> Result<UserSummary> {
        let (db, actor, now) = caller(ctx)?;
        let state = ctx.data::<AppState>()?;
        let created = accounts::create_user(
            &state.accounts_env(),
            Creator::Actor(actor),
            NewUser {
                email: input.email,
                name: input.name,
                role: input.role,
                organisation: input.organisation,
            },
            now,
        )
        .await
        .map_err(gql_error)?;
        accounts::get_user(db, actor, &created.id)
            .await
            .map_err(gql_error)
    }

    /// Registers an FSP company (operators; platform admins name the operator). Every
    /// field is validated and refused fields are named.
    async fn create_company(&self, ctx: &Context<'_>, input: NewCompanyInput) -> Result<Company> {
        let (db, actor, now) = caller(ctx)?;
        organisations::create_company(db, actor, input, now)
            .await
            .map_err(gql_error)
    }

    /// Sets how an FSP company may receive dispatches (guide §3.1; operators that contract
    /// it, platform admins): the company chooses among these on Dispatch Settings.
    async fn set_permitted_delivery(
        &self,
        ctx: &Context<'_>,
        company_id: shared::PublicId,
        channels: Vec<shared::DeliveryChannel>,
    ) -> Result<Company> {
        let (db, actor, now) = caller(ctx)?;
        let company = company_id.as_str();
        organisations::set_permitted_delivery(db, actor, company, &channels, now)
            .await
            .map_err(gql_error)
    }

    /// Sets the calling operator's support contact, shown to its FSPs' users (operators).
    async fn set_support_contact(
        &self,
        ctx: &Context<'_>,
        name: String,
        email: String,
    ) -> Result<shared::SupportContact> {
        let (db, actor, now) = caller(ctx)?;
        organisations::set_support_contact(db, actor, &name, &email, now)
            .await
            .map_err(gql_error)
    }

    /// Registers a network operator (platform admins).
    async fn create_operator(&self, ctx: &Context<'_>, name: String) -> Result<OperatorSummary> {
        let (db, actor, now) = caller(ctx)?;
        organisations::create_operator(db, actor, &name, now)
            .await
            .map_err(gql_error)
    }

    /// Creates a new API access token for the caller's company and revokes the old one
    /// at once. The token is in this answer only.
    async fn create_api_token(&self, ctx: &Context<'_>) -> Result<NewApiToken> {
        let (db, actor, now) = caller(ctx)?;
        crate::services::api_tokens::create(db, actor, now)
            .await
            .map_err(gql_error)
    }

    /// Removes one of the signed-in user's passkeys.
    async fn remove_passkey(&self, ctx: &Context<'_>, id: shared::PublicId) -> Result<bool> {
        let (db, actor, now) = caller(ctx)?;
        crate::services::passkeys::remove(db, actor, id.as_str(), now)
            .await
            .map_err(gql_error)?;
        Ok(true)
    }

    /// Disables a user; all of their sessions end at once.
    async fn disable_user(&self, ctx: &Context<'_>, id: shared::PublicId) -> Result<bool> {
        let (_, actor, now) = caller(ctx)?;
        let state = ctx.data::<AppState>()?;
        accounts::disable_user(&state.accounts_env(), actor, id.as_str(), now)
            .await
            .map_err(gql_error)?;
        Ok(true)
    }

    /// Resets a user's two-factor authentication: they enrol again at the next sign-in.
    async fn reset_second_factor(&self, ctx: &Context<'_>, id: shared::PublicId) -> Result<bool> {
        let (_, actor, now) = caller(ctx)?;
        let state = ctx.data::<AppState>()?;
        accounts::reset_second_factor(&state.accounts_env(), actor, id.as_str(), now)
            .await
            .map_err(gql_error)?;
        Ok(true)
    }
}
