//! Who or what decided each availability window: an operator, the programme's automatic
//! acceptance at the lock, or its `undecided_at_deadline` rule at the acceptance time. The
//! Acceptance CSV and the Thursday e-mail say which. Windows decided before this are
//! labelled from what is known: an operator's when a user decided, the lock's otherwise.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("availability_windows")
                .add_column(string_len_null("decided_by", 32))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE availability_windows SET decided_by = 'operator' \
             WHERE status <> 'declared' AND decided_by_user_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE availability_windows SET decided_by = 'auto_accept' \
             WHERE status <> 'declared' AND decided_by_user_id IS NULL",
        )
        .await?;
        Ok(())
    }
}
