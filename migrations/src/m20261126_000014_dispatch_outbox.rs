//! The dispatch outbox: every message to an FSP is written in the same transaction as the
//! dispatch change that causes it, then delivered at least once by workers that claim due
//! messages under short leases.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("dispatch_messages")
                .col(big_pk_auto("id"))
                // The `webhook-id`: the same on every attempt.
                .col(string_len_uniq("message_id", 40))
                .col(integer("company_id"))
                .col(integer_null("dispatch_event_id"))
                .col(string_len("instruction", 24))
                // The message body without `sent_at`, which each attempt stamps.
                .col(text("payload"))
                .col(timestamp_with_time_zone("due_at"))
                // Past this the message is useless: it is marked missed.
                .col(timestamp_with_time_zone("deadline"))
                // `pending`, `delivered`, `missed` or `cancelled`.
                .col(string_len("status", 16))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(timestamp_with_time_zone_null("lease_until"))
                .col(string_len_null("lease_owner", 64))
                .col(timestamp_with_time_zone_null("delivered_at"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_dispatch_messages_company_id")
                        .from("dispatch_messages", "company_id")
                        .to("fsp_companies", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        // What the workers look for: pending messages by when they are next due.
        m.create_index(
            Index::create()
                .name("ix_dispatch_messages_status_next")
                .table("dispatch_messages")
                .col("status")
                .col("next_attempt_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_dispatch_messages_event")
                .table("dispatch_messages")
                .col("dispatch_event_id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
