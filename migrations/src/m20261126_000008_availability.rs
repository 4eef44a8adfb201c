//! Programme policies and availability declarations with their acceptance decisions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // JSON of the programme's policy; null means the defaults of its kind, so new policy
        // fields need no migration of existing rows.
        m.alter_table(
            Table::alter()
                .table("programmes")
                .add_column(text_null("policy"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("availability_windows")
                .col(pk_auto("id"))
                .col(char_len_uniq("public_id", 20))
                .col(integer("dispatch_group_id"))
                .col(integer("programme_id"))
                .col(date("week_commencing"))
                // The London-local day and times the operator entered…
                .col(date("day"))
                .col(string_len("start_local", 5))
                .col(string_len("end_local", 5))
                // …and the instants they stand for, fixed when entered (clock changes).
                .col(timestamp_with_time_zone("start_at"))
                .col(timestamp_with_time_zone("end_at"))
                .col(double("declared_kw"))
                .col(string_len("status", 16))
                .col(double_null("accepted_kw"))
                .col(timestamp_with_time_zone_null("acceptance_start"))
                .col(timestamp_with_time_zone_null("acceptance_end"))
                .col(integer_null("created_by_user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(integer_null("decided_by_user_id"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_availability_windows_dispatch_group_id")
                        .from("availability_windows", "dispatch_group_id")
                        .to("dispatch_groups", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_availability_windows_programme_id")
                        .from("availability_windows", "programme_id")
                        .to("programmes", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        // The calendar reads one group and programme for a week; the acceptance download
        // and the auto-accept job read whole weeks.
        m.create_index(
            Index::create()
                .name("ix_availability_windows_group_programme_week")
                .table("availability_windows")
                .col("dispatch_group_id")
                .col("programme_id")
                .col("week_commencing")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_availability_windows_week_status")
                .table("availability_windows")
                .col("week_commencing")
                .col("status")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
