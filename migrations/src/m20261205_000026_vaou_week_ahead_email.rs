//! Dynamic (VAOU) programmes send a mandatory week-ahead e-mail on Friday at 12:00 (guide
//! §3.7). Programmes still on their kind's defaults get it from the new default; a Dynamic
//! programme whose policy an operator has edited gets it here, unless it already says.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let rows = m
            .get_connection()
            .query_all_raw(Statement::from_string(
                m.get_database_backend(),
                "SELECT id, policy FROM programmes WHERE kind = 'dynamic' AND policy IS NOT NULL",
            ))
            .await?;
        for row in rows {
            let id: i32 = row.try_get("", "id")?;
            let policy: String = row.try_get("", "policy")?;
            let refuse =
                |why: String| DbErr::Migration(format!("programmes.id = {id}: policy {why}"));
            let mut value: serde_json::Value =
                serde_json::from_str(&policy).map_err(|e| refuse(e.to_string()))?;
            let object = value
                .as_object_mut()
                .ok_or_else(|| refuse("is not a JSON object".to_owned()))?;
            if object.contains_key("week_ahead_email_day") {
                continue;
            }
            object.insert("week_ahead_email_day".to_owned(), "FRIDAY".into());
            object.insert("week_ahead_email_time".to_owned(), "12:00".into());
            let updated = serde_json::to_string(&value).map_err(|e| refuse(e.to_string()))?;
            m.exec_stmt(
                Query::update()
                    .table("programmes")
                    .value("policy", updated)
                    .and_where(Expr::col("id").eq(id))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
