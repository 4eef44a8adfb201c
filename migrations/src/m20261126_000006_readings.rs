//! Meter readings: one row per meterable unit and interval end (UTC).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("readings")
                .col(big_pk_auto("id"))
                .col(integer("meterable_unit_id"))
                // End of the minute or half-hour the reading covers.
                .col(timestamp_with_time_zone("interval_end"))
                // Exactly one of the two, as the unit's metering granularity says.
                .col(double_null("power_kw"))
                .col(double_null("energy_kwh"))
                .col(timestamp_with_time_zone("received_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_readings_meterable_unit_id")
                        .from("readings", "meterable_unit_id")
                        .to("meterable_units", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        // The upsert key, and the index every per-unit time-range query uses.
        m.create_index(
            Index::create()
                .name("ix_readings_meterable_unit_id_interval_end")
                .table("readings")
                .col("meterable_unit_id")
                .col("interval_end")
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
