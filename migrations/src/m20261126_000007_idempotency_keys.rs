//! Idempotency keys (IETF draft "The Idempotency-Key HTTP Header Field"): per FSP company,
//! the fingerprint of the first request that used a key and, once it finished, its answer.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("idempotency_keys")
                .col(big_pk_auto("id"))
                .col(integer("company_id"))
                .col(string_len("idempotency_key", 255))
                // SHA-256 of the operation and its body: the same key with another request
                // is the client's mistake, not a retry.
                .col(char_len("fingerprint", 64))
                .col(timestamp_with_time_zone("created_at"))
                // Null while the first request is still being processed.
                .col(timestamp_with_time_zone_null("completed_at"))
                .col(text_null("response"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_idempotency_keys_company_id")
                        .from("idempotency_keys", "company_id")
                        .to("fsp_companies", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_idempotency_keys_company_id_key")
                .table("idempotency_keys")
                .col("company_id")
                .col("idempotency_key")
                .unique()
                .to_owned(),
        )
        .await?;
        // Expired keys are purged by age.
        m.create_index(
            Index::create()
                .name("ix_idempotency_keys_created_at")
                .table("idempotency_keys")
                .col("created_at")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
