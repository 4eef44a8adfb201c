//! The GraphQL subscription reads a company's messages by due time every second for each
//! subscriber: an index keeps that a range scan.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("ix_dispatch_messages_company_due")
                .table("dispatch_messages")
                .col("company_id")
                .col("due_at")
                .to_owned(),
        )
        .await
    }
}
