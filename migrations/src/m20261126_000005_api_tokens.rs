//! API access tokens: one live token per FSP company, stored as a SHA-256 digest.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("api_tokens")
                .col(pk_auto("id"))
                .col(integer("company_id"))
                .col(char_len_uniq("token_hash", 64))
                // What the owner may see again: `oflx_` and the last four characters.
                .col(string_len("last_four", 4))
                .col(integer_null("created_by_user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_api_tokens_company_id")
                        .from("api_tokens", "company_id")
                        .to("fsp_companies", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_api_tokens_company_id")
                .table("api_tokens")
                .col("company_id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
