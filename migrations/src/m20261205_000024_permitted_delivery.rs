//! The delivery channels an operator permits an FSP company (guide §3.1: whether an FSP
//! may run without the API is the operator's decision). Existing companies keep both, as
//! before.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("fsp_companies")
                .add_column(string_len("permitted_delivery", 32).default("api,email"))
                .to_owned(),
        )
        .await
    }
}
