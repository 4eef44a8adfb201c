//! Dispatch contacts: where dispatch notices go for FSPs that take them by e-mail.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("dispatch_settings")
                // Comma-separated addresses.
                .add_column(text_null("email_contacts"))
                .to_owned(),
        )
        .await
    }
}
