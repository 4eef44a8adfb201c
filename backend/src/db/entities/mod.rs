//! SeaORM entities, one per table. Never exposed on GraphQL or REST.

pub mod api_tokens;
pub mod audit_events;
pub mod auth_tokens;
pub mod availability_windows;
pub mod baseline_profiles;
pub mod delivery_attempts;
pub mod dispatch_events;
pub mod dispatch_groups;
pub mod dispatch_messages;
pub mod dispatch_settings;
pub mod fsp_companies;
pub mod idempotency_keys;
pub mod marketplace_units;
pub mod meterable_units;
pub mod operator_companies;
pub mod operators;
pub mod outgoing_mail;
pub mod passkey_ceremonies;
pub mod passkeys;
pub mod prices;
pub mod programmes;
pub mod readings;
pub mod schedule_notices;
pub mod sessions;
pub mod users;
pub mod zones;
