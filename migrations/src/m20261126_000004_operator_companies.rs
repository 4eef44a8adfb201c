//! Which FSP companies each operator has contracted, so an operator can manage a new
//! company's users before it has any dispatch group in the operator's zones.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("operator_companies")
                .col(pk_auto("id"))
                .col(integer("operator_id"))
                .col(integer("company_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_operator_companies_operator_id")
                        .from("operator_companies", "operator_id")
                        .to("operators", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_operator_companies_company_id")
                        .from("operator_companies", "company_id")
                        .to("fsp_companies", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_operator_companies_operator_id_company_id")
                .table("operator_companies")
                .col("operator_id")
                .col("company_id")
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
