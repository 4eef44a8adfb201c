//! Dispatch groups and meterable units are retired, never deleted: their readings,
//! declarations and settlements stay attached to them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["dispatch_groups", "meterable_units"] {
            m.alter_table(
                Table::alter()
                    .table(table)
                    .add_column(timestamp_with_time_zone_null("retired_at"))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
