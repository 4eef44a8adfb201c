//! E-mail the platform sends. The dev-mode mailbox lets a newcomer without a mail server
//! follow an invitation link.

use super::{Actor, ServiceError};
use crate::db::entities::outgoing_mail;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::MailboxMessage;

/// The latest outgoing e-mail, newest first: dev mode only, for operators (mail to their
/// own users and their FSPs' users) and platform admins (all).
pub async fn dev_mailbox(
    db: &DatabaseConnection,
    actor: &Actor,
    dev_mode: bool,
) -> Result<Vec<MailboxMessage>, ServiceError> {
    if !dev_mode {
        return Err(ServiceError::NotFound("mailbox"));
    }
    if matches!(actor, Actor::Participant { .. }) {
        return Err(ServiceError::Forbidden(
            "the dev mailbox is for operators and platform admins".to_owned(),
        ));
    }
    let mut query = outgoing_mail::Entity::find();
    if !matches!(actor, Actor::PlatformAdmin { .. }) {
        // An operator reads only mail to the people of its own tenancy.
        let addresses = super::accounts::visible_emails(db, actor).await?;
        query = query.filter(outgoing_mail::Column::ToAddress.is_in(addresses));
    }
    Ok(query
        .order_by_desc(outgoing_mail::Column::Id)
        .limit(100)
        .all(db)
        .await?
        .into_iter()
        .map(|m| MailboxMessage {
            created_at: m.created_at,
            to: m.to_address,
            subject: m.subject,
            text: m.text_body,
            sent_at: m.sent_at,
        })
        .collect())
}
