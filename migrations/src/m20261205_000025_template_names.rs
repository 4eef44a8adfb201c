//! A nominated baseline template keeps the name it was uploaded under (its file's), so
//! Meterable Units can say which template a unit follows (guide §3.5).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("baseline_profiles")
                .add_column(string_len_null("name", 200))
                .to_owned(),
        )
        .await
    }
}
