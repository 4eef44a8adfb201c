//! Integration tests: the whole router in-process over a fresh database, each test run on
//! SQLite and on PostgreSQL.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test that cannot go on should fail loudly"
)]

mod accounts;
mod assets;
mod availability;
mod baselines;
mod configuration;
mod delivery;
mod developers;
mod digests;
mod dispatch;
mod dispatch_settings;
mod errors;
mod graphql;
mod helpers;
mod idempotency;
mod openapi;
mod organisations;
mod outbox;
mod passkeys;
mod platform;
mod readings;
mod security;
mod settlement;
mod socket;
mod structure;
mod tenancy;
mod throttling;
mod tokens;
mod users;
