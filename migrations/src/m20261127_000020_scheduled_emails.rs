//! Scheduled e-mails already sent: one row per user, kind and period, so each goes once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("scheduled_emails")
                .col(pk_auto("id"))
                .col(integer("user_id"))
                // `monthly_invoices`, `weekly_declarations` or `daily_schedules`.
                .col(string_len("kind", 32))
                // The London day it was due, `YYYY-MM-DD`.
                .col(string_len("period", 10))
                .col(timestamp_with_time_zone("sent_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_scheduled_emails_user_id")
                        .from("scheduled_emails", "user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_scheduled_emails_once")
                .table("scheduled_emails")
                .col("user_id")
                .col("kind")
                .col("period")
                .unique()
                .to_owned(),
        )
        .await
    }
}
