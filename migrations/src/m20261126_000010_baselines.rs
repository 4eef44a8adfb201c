//! Baseline profiles: a unit's nominated weekly template and its automatically computed
//! one, each a week of values (Monday 00:00 London onwards) at the unit's granularity.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("baseline_profiles")
                .col(pk_auto("id"))
                .col(integer("meterable_unit_id"))
                // `nominated` (uploaded) or `automatic` (computed monthly).
                .col(string_len("source", 16))
                // 1 (per-minute units) or 30 (half-hourly units).
                .col(integer("slot_minutes"))
                // JSON array of 7 × 1440 / slot_minutes kW values; null for an automatic
                // profile with too little history (the static value applies).
                .col(text_null("kw_values"))
                // Automatic profiles: the month computed for and the days of data used.
                .col(date_null("month"))
                .col(integer_null("days_of_data"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_baseline_profiles_meterable_unit_id")
                        .from("baseline_profiles", "meterable_unit_id")
                        .to("meterable_units", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_baseline_profiles_unit_source")
                .table("baseline_profiles")
                .col("meterable_unit_id")
                .col("source")
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
