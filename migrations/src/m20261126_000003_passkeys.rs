//! Passkeys (WebAuthn credentials) and their single-use ceremony state.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("passkeys")
                .col(pk_auto("id"))
                .col(char_len_uniq("public_id", 20))
                .col(integer("user_id"))
                // base64url credential id, unique across users.
                .col(string_len_uniq("credential_id", 1024))
                .col(string("name"))
                // webauthn-rs `Passkey`, JSON: the public key and signature counter.
                .col(text("passkey_json"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_passkeys_user_id")
                        .from("passkeys", "user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_passkeys_user_id")
                .table("passkeys")
                .col("user_id")
                .to_owned(),
        )
        .await?;
        // One pending ceremony per session and kind; taken (deleted) when finished.
        m.create_table(
            Table::create()
                .table("passkey_ceremonies")
                .col(pk_auto("id"))
                .col(integer("session_id"))
                .col(string_len("kind", 16))
                .col(text("state_json"))
                .col(timestamp_with_time_zone("expires_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_passkey_ceremonies_session_id_kind")
                .table("passkey_ceremonies")
                .col("session_id")
                .col("kind")
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
