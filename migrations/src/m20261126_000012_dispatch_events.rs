//! Dispatch events: a dispatch group asked to change its power by `power_change_kw` from
//! `start_at` to `end_at`. Baselines leave these periods out; dispatch and settlement build
//! on them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("dispatch_events")
                .col(pk_auto("id"))
                .col(char_len_uniq("public_id", 20))
                .col(integer("dispatch_group_id"))
                .col(integer("programme_id"))
                // The accepted window it was dispatched from; none for ad hoc dispatches.
                .col(integer_null("availability_window_id"))
                .col(timestamp_with_time_zone("start_at"))
                .col(timestamp_with_time_zone("end_at"))
                .col(double("power_change_kw"))
                // `active`, `cancelled` (before it started) or `emergency_stopped`.
                .col(string_len("status", 24))
                // When an emergency stop ended it early.
                .col(timestamp_with_time_zone_null("stopped_at"))
                .col(integer_null("created_by_user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_dispatch_events_dispatch_group_id")
                        .from("dispatch_events", "dispatch_group_id")
                        .to("dispatch_groups", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_dispatch_events_programme_id")
                        .from("dispatch_events", "programme_id")
                        .to("programmes", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_dispatch_events_group_start")
                .table("dispatch_events")
                .col("dispatch_group_id")
                .col("start_at")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
