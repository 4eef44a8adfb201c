//! Users, sign-in tokens, sessions, the security audit log and outgoing mail.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    table: &'static str,
    column: &'static str,
    parent: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(parent, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}_{}", columns.join("_")))
        .table(table);
    for c in columns {
        stmt.col(*c);
    }
    stmt.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("users")
                .col(pk_auto("id"))
                .col(char_len_uniq("public_id", 20))
                // Stored lower-cased, so uniqueness ignores case.
                .col(string_len_uniq("email", 254))
                .col(string("name"))
                .col(string_len("role", 16))
                .col(integer_null("company_id"))
                .col(integer_null("operator_id"))
                .col(text_null("password_hash"))
                .col(timestamp_with_time_zone_null("password_changed_at"))
                // Encrypted at rest (XChaCha20-Poly1305 under the server's secret key).
                .col(text_null("totp_secret_enc"))
                .col(boolean("totp_enabled"))
                .col(big_integer_null("totp_last_step"))
                .col(integer("failed_second_factor"))
                .col(timestamp_with_time_zone_null("second_factor_locked_until"))
                .col(timestamp_with_time_zone_null("disabled_at"))
                .col(boolean("pref_monthly_invoices"))
                .col(boolean("pref_weekly_declarations"))
                .col(boolean("pref_daily_schedules"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("users", "company_id", "fsp_companies"))
                .foreign_key(&mut fk("users", "operator_id", "operators"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("users", &["company_id"])).await?;
        m.create_index(index("users", &["operator_id"])).await?;

        // Invitation and password-reset links: only the SHA-256 of the token is kept.
        m.create_table(
            Table::create()
                .table("auth_tokens")
                .col(pk_auto("id"))
                .col(integer("user_id"))
                .col(string_len("purpose", 16))
                .col(char_len_uniq("token_hash", 64))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("auth_tokens", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("auth_tokens", &["user_id"])).await?;

        m.create_table(
            Table::create()
                .table("sessions")
                .col(pk_auto("id"))
                .col(char_len_uniq("token_hash", 64))
                .col(integer("user_id"))
                .col(string_len("stage", 24))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .foreign_key(&mut fk("sessions", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("sessions", &["user_id"])).await?;

        m.create_table(
            Table::create()
                .table("audit_events")
                .col(big_pk_auto("id"))
                .col(timestamp_with_time_zone("at"))
                .col(string_len("event", 48))
                .col(integer_null("actor_user_id"))
                .col(integer_null("subject_user_id"))
                .col(integer_null("operator_id"))
                .col(integer_null("company_id"))
                .col(text("detail"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("audit_events", &["subject_user_id"]))
            .await?;
        m.create_index(index("audit_events", &["at"])).await?;

        m.create_table(
            Table::create()
                .table("outgoing_mail")
                .col(big_pk_auto("id"))
                .col(string_len("to_address", 254))
                .col(string("subject"))
                .col(text("text_body"))
                .col(text("html_body"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .col(text_null("last_error"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
