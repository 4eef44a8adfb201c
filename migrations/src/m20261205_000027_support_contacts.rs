//! Each operator's support contact (the guide's "Contact": Flexibility Services Operations
//! and its address), shown to its FSPs' users on the FAQ page.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("operators")
                .add_column(string_len_null("support_name", 160))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("operators")
                .add_column(string_len_null("support_email", 254))
                .to_owned(),
        )
        .await
    }
}
