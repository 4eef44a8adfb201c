//! Week-ahead and day-ahead schedule notices already issued, one per programme, kind and
//! period: the scheduler's record that makes each notice go out exactly once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("schedule_notices")
                .col(pk_auto("id"))
                .col(integer("programme_id"))
                // `week_ahead` or `day_ahead`.
                .col(string_len("kind", 16))
                .col(timestamp_with_time_zone("period_start"))
                .col(timestamp_with_time_zone("period_end"))
                .col(integer("messages"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_schedule_notices_programme_id")
                        .from("schedule_notices", "programme_id")
                        .to("programmes", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_schedule_notices_once")
                .table("schedule_notices")
                .col("programme_id")
                .col("kind")
                .col("period_start")
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
