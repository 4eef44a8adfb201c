//! Readings on PostgreSQL lose their foreign key to meterable units. At volume (10,000
//! per-minute units, 14.4 M rows a day) the per-row key check was the largest cost of an
//! ingest batch: about 45 % of the upsert's time in the ingest benchmark. Integrity holds
//! without it: the readings service stores rows only for units it has just looked up as
//! the caller's own, and meterable units are retired, never deleted. SQLite keeps its key
//! (there the check is cheap, and dropping it would mean rebuilding the table).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Postgres {
            m.drop_foreign_key(
                ForeignKey::drop()
                    .name("fk_readings_meterable_unit_id")
                    .table("readings")
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
