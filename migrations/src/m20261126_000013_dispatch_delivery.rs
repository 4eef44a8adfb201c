//! Where and how each FSP company receives dispatch messages, and every delivery attempt.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("dispatch_settings")
                .col(pk_auto("id"))
                .col(integer_uniq("company_id"))
                // Messages go to `{endpoint_url}/dispatch`.
                .col(text_null("endpoint_url"))
                // The signing secret, encrypted with the server key: it must be read back
                // to sign, so a digest would not do.
                .col(text_null("secret_enc"))
                .col(string_len_null("secret_hint", 16))
                .col(timestamp_with_time_zone_null("secret_created_at"))
                // `api` or `email`.
                .col(string_len("delivery", 8))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_dispatch_settings_company_id")
                        .from("dispatch_settings", "company_id")
                        .to("fsp_companies", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("delivery_attempts")
                .col(big_pk_auto("id"))
                .col(integer("company_id"))
                .col(string_len("message_id", 64))
                .col(string_len("instruction", 24))
                // Sent from Dispatch V2 Testing: not a real dispatch.
                .col(boolean("test"))
                .col(text("url"))
                .col(timestamp_with_time_zone("attempted_at"))
                .col(integer_null("status_code"))
                .col(integer("latency_ms"))
                .col(text_null("error"))
                .col(text_null("body_excerpt"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_delivery_attempts_company_id")
                        .from("delivery_attempts", "company_id")
                        .to("fsp_companies", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_delivery_attempts_company_attempted")
                .table("delivery_attempts")
                .col("company_id")
                .col("attempted_at")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
