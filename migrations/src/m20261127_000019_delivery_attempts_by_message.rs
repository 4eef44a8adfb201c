//! The operator's view lists every attempt at one message: an index keeps that a lookup.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("ix_delivery_attempts_message")
                .table("delivery_attempts")
                .col("message_id")
                .to_owned(),
        )
        .await
    }
}
