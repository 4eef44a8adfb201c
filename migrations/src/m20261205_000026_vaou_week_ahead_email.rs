//! Dynamic (VAOU) programmes send a mandatory week-ahead e-mail on Friday at 12:00 (guide
//! §3.7). Programmes still on their kind's defaults get it from the new default; a Dynamic
//! programme whose policy an operator has edited gets it here, unless it already says.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The policy with the Friday 12:00 e-mail, or none if it already says when (or never).
fn with_week_ahead_email(id: i32, policy: &str) -> Result<Option<String>, DbErr> {
    let refuse = |why: String| DbErr::Migration(format!("programmes.id = {id}: policy {why}"));
    let mut value: serde_json::Value =
        serde_json::from_str(policy).map_err(|e| refuse(e.to_string()))?;
    let object = value
        .as_object_mut()
        .ok_or_else(|| refuse("is not a JSON object".to_owned()))?;
    if object.contains_key("week_ahead_email_day") {
        return Ok(None);
    }
    object.insert("week_ahead_email_day".to_owned(), "FRIDAY".into());
    object.insert("week_ahead_email_time".to_owned(), "12:00".into());
    serde_json::to_string(&value)
        .map(Some)
        .map_err(|e| refuse(e.to_string()))
}

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
            let Some(updated) = with_week_ahead_email(id, &policy)? else {
                continue;
            };
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

#[cfg(test)]
mod tests {
    use super::with_week_ahead_email;

    #[test]
    fn an_edited_dynamic_policy_gains_the_friday_email_once() {
        let edited = r#"{"auto_accept":false,"week_ahead_day":"THURSDAY"}"#;
        let updated = with_week_ahead_email(1, edited)
            .ok()
            .flatten()
            .unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&updated).unwrap_or_default();
        assert_eq!(value["week_ahead_email_day"], "FRIDAY");
        assert_eq!(value["week_ahead_email_time"], "12:00");
        assert_eq!(value["week_ahead_day"], "THURSDAY", "the rest is kept");
        // An operator's own choice, even none, is left alone.
        let chosen = r#"{"week_ahead_email_day":null,"week_ahead_email_time":null}"#;
        assert_eq!(with_week_ahead_email(1, chosen).ok().flatten(), None);
        assert!(with_week_ahead_email(1, "[]").is_err());
    }
}
