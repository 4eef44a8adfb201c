//! Security hardening (ASVS Level 2): throttling counters kept in the database so they hold
//! across instances and restarts, a session's second-factor time (step-up) and its own
//! pending authenticator secret, and the client address on audit events.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One row per throttled key and fixed window; old windows are swept as new ones open.
        m.create_table(
            Table::create()
                .table("rate_limit_hits")
                .col(string_len("key", 200))
                .col(timestamp_with_time_zone("window_start"))
                .col(integer("hits"))
                .primary_key(Index::create().col("key").col("window_start"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_rate_limit_hits_window")
                .table("rate_limit_hits")
                .col("window_start")
                .to_owned(),
        )
        .await?;
        // When this session last proved its second factor: changing the password or adding
        // a passkey needs it within the last five minutes.
        m.alter_table(
            Table::alter()
                .table("sessions")
                .add_column(timestamp_with_time_zone_null("second_factor_at"))
                .to_owned(),
        )
        .await?;
        // The authenticator secret being enrolled belongs to the session that asked for it,
        // not to the user, until a code from it proves it.
        m.alter_table(
            Table::alter()
                .table("sessions")
                .add_column(text_null("pending_totp_secret_enc"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("audit_events")
                .add_column(string_len_null("client_addr", 64))
                .to_owned(),
        )
        .await
    }
}
