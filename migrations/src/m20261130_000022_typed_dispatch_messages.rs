//! Stored dispatch messages take the documented message format (`shared::webhooks`): a
//! `version` and a `type` beside `instruction`, `test: false`, and no `api_version`. A
//! message still to be sent then goes out in the format FSPs build against, and the
//! subscription can read every stored one. Rows already in the format are left alone.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The `type` of a message with this `instruction`.
fn message_type(instruction: &str) -> Option<&'static str> {
    Some(match instruction {
        "START" => "dispatch.start",
        "STOP" => "dispatch.stop",
        "CANCEL" => "dispatch.cancel",
        "EMERGENCY_STOP" => "dispatch.emergency_stop",
        "SCHEDULE" => "dispatch.schedule",
        _ => return None,
    })
}

/// The payload in the typed format, or none if it already is.
fn upgraded(id: i64, payload: &str) -> Result<Option<String>, DbErr> {
    let refuse = |why: String| DbErr::Migration(format!("dispatch_messages.id = {id}: {why}"));
    let mut value: serde_json::Value =
        serde_json::from_str(payload).map_err(|e| refuse(e.to_string()))?;
    let message = value
        .as_object_mut()
        .ok_or_else(|| refuse("payload is not a JSON object".to_owned()))?;
    if message.contains_key("type") {
        return Ok(None);
    }
    let kind = message
        .get("instruction")
        .and_then(serde_json::Value::as_str)
        .and_then(message_type)
        .ok_or_else(|| refuse("no known instruction".to_owned()))?;
    message.remove("api_version");
    message.insert("version".to_owned(), "2".into());
    message.insert("type".to_owned(), kind.into());
    message.entry("test").or_insert(false.into());
    serde_json::to_string(&value)
        .map(Some)
        .map_err(|e| refuse(e.to_string()))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let rows = db
            .query_all_raw(Statement::from_string(
                m.get_database_backend(),
                "SELECT id, payload FROM dispatch_messages",
            ))
            .await?;
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let payload: String = row.try_get("", "payload")?;
            if let Some(payload) = upgraded(id, &payload)? {
                m.exec_stmt(
                    Query::update()
                        .table("dispatch_messages")
                        .value("payload", payload)
                        .and_where(Expr::col("id").eq(id))
                        .to_owned(),
                )
                .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::upgraded;

    #[test]
    fn old_payloads_gain_version_and_type_and_new_ones_stay() {
        let old =
            r#"{"api_version":"2","message_id":"msg_1","instruction":"STOP","dispatch_id":"d"}"#;
        let new = upgraded(1, old).ok().flatten().unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&new).unwrap_or_default();
        assert_eq!(value["version"], "2");
        assert_eq!(value["type"], "dispatch.stop");
        assert_eq!(value["test"], false);
        assert!(value.get("api_version").is_none());
        assert!(matches!(upgraded(1, &new), Ok(None)));
        assert!(upgraded(1, r#"{"instruction":"DANCE"}"#).is_err());
        assert!(upgraded(1, "[]").is_err());
    }
}
