//! Settlement: the months made final per zone, and the frozen versions of statements and
//! event reports (version 1 on the 15th, one more per re-issue). Bodies are the JSON the
//! APIs serve, so a final statement's downloads are the same bytes for ever.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("settlement_months")
                .col(pk_auto("id"))
                .col(integer("zone_id"))
                // `YYYY-MM`.
                .col(string_len("month", 7))
                .col(timestamp_with_time_zone("finalised_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_settlement_months_zone_id")
                        .from("settlement_months", "zone_id")
                        .to("zones", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_settlement_months_once")
                .table("settlement_months")
                .col("zone_id")
                .col("month")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("statement_versions")
                .col(pk_auto("id"))
                .col(integer("company_id"))
                .col(integer("zone_id"))
                .col(string_len("month", 7))
                .col(integer("version"))
                .col(text_null("reason"))
                .col(timestamp_with_time_zone("issued_at"))
                .col(integer_null("issued_by_user_id"))
                .col(text("body"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_statement_versions_company_id")
                        .from("statement_versions", "company_id")
                        .to("fsp_companies", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_statement_versions_zone_id")
                        .from("statement_versions", "zone_id")
                        .to("zones", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_statement_versions_once")
                .table("statement_versions")
                .col("company_id")
                .col("zone_id")
                .col("month")
                .col("version")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_statement_versions_month")
                .table("statement_versions")
                .col("month")
                .col("zone_id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("event_report_versions")
                .col(pk_auto("id"))
                .col(integer("dispatch_event_id"))
                .col(integer("company_id"))
                .col(integer("zone_id"))
                .col(string_len("month", 7))
                .col(integer("version"))
                .col(timestamp_with_time_zone("issued_at"))
                .col(text("body"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_event_report_versions_event_id")
                        .from("event_report_versions", "dispatch_event_id")
                        .to("dispatch_events", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_event_report_versions_once")
                .table("event_report_versions")
                .col("dispatch_event_id")
                .col("version")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_event_report_versions_month")
                .table("event_report_versions")
                .col("month")
                .col("zone_id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
