//! Forward-only schema migrations. One file per migration; a landed file is never edited.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_foundation;
mod m20261126_000002_accounts;
mod m20261126_000003_passkeys;
mod m20261126_000004_operator_companies;
mod m20261126_000005_api_tokens;
mod m20261126_000006_readings;
mod m20261126_000007_idempotency_keys;
mod m20261126_000008_availability;
mod m20261126_000009_readings_without_fk;
mod m20261126_000010_baselines;
mod m20261126_000011_retirement;
mod m20261126_000012_dispatch_events;
mod m20261126_000013_dispatch_delivery;
mod m20261126_000014_dispatch_outbox;
mod m20261126_000015_schedule_notices;
mod m20261126_000016_dispatch_email_contacts;
mod m20261127_000017_dispatch_message_stream;
mod m20261127_000018_settlement;
mod m20261127_000019_delivery_attempts_by_message;
mod m20261127_000020_scheduled_emails;
mod m20261130_000021_security;
mod m20261130_000022_typed_dispatch_messages;
mod m20261205_000023_window_decided_by;
mod m20261205_000024_permitted_delivery;
mod m20261205_000025_template_names;
mod m20261205_000026_vaou_week_ahead_email;
mod m20261205_000027_support_contacts;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_foundation::Migration),
            Box::new(m20261126_000002_accounts::Migration),
            Box::new(m20261126_000003_passkeys::Migration),
            Box::new(m20261126_000004_operator_companies::Migration),
            Box::new(m20261126_000005_api_tokens::Migration),
            Box::new(m20261126_000006_readings::Migration),
            Box::new(m20261126_000007_idempotency_keys::Migration),
            Box::new(m20261126_000008_availability::Migration),
            Box::new(m20261126_000009_readings_without_fk::Migration),
            Box::new(m20261126_000010_baselines::Migration),
            Box::new(m20261126_000011_retirement::Migration),
            Box::new(m20261126_000012_dispatch_events::Migration),
            Box::new(m20261126_000013_dispatch_delivery::Migration),
            Box::new(m20261126_000014_dispatch_outbox::Migration),
            Box::new(m20261126_000015_schedule_notices::Migration),
            Box::new(m20261126_000016_dispatch_email_contacts::Migration),
            Box::new(m20261127_000017_dispatch_message_stream::Migration),
            Box::new(m20261127_000018_settlement::Migration),
            Box::new(m20261127_000019_delivery_attempts_by_message::Migration),
            Box::new(m20261127_000020_scheduled_emails::Migration),
            Box::new(m20261130_000021_security::Migration),
            Box::new(m20261130_000022_typed_dispatch_messages::Migration),
            Box::new(m20261205_000023_window_decided_by::Migration),
            Box::new(m20261205_000024_permitted_delivery::Migration),
            Box::new(m20261205_000025_template_names::Migration),
            Box::new(m20261205_000026_vaou_week_ahead_email::Migration),
            Box::new(m20261205_000027_support_contacts::Migration),
        ]
    }
}
