//! Openflex server library: the binary in `main.rs` and the integration tests share it.

pub mod app;
pub mod auth;
pub mod client;
pub mod config;
pub mod crypto;
pub mod db;
pub mod graphql;
pub mod ids;
pub mod jobs;
pub mod mail;
pub mod problem;
pub mod rest;
pub mod seed;
pub mod services;
pub mod simulator;
pub mod state;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod web;
