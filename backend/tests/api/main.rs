//! Integration tests: the whole router in-process over a fresh database, each test run on
//! SQLite and on PostgreSQL.

mod assets;
mod graphql;
mod helpers;
mod platform;
