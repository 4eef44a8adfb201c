//! Drives the real server binary and the built browser app in Debian's headless Chromium.
//! `./dev test` builds both first and installs Chromium; anything missing is a failure.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test that cannot go on should fail loudly"
)]

mod accounts;
mod assets;
mod availability;
mod developers;
mod dispatch_settings;
mod settlement;
mod simulator;
mod support;

use anyhow::Result;
use backend::testing::Engine;

#[tokio::test]
async fn invitation_in_chromium_on_sqlite() -> Result<()> {
    accounts::invited_user_signs_up_in_the_browser(Engine::Sqlite).await
}

#[tokio::test]
async fn invitation_in_chromium_on_postgres() -> Result<()> {
    accounts::invited_user_signs_up_in_the_browser(Engine::Postgres).await
}

#[tokio::test]
async fn meterable_units_in_chromium_on_sqlite() -> Result<()> {
    assets::meterable_units_page_shows_the_api_test_card(Engine::Sqlite).await
}

#[tokio::test]
async fn meterable_units_in_chromium_on_postgres() -> Result<()> {
    assets::meterable_units_page_shows_the_api_test_card(Engine::Postgres).await
}

#[tokio::test]
async fn availability_in_chromium_on_sqlite() -> Result<()> {
    availability::operator_declares_availability_the_fsp_reads_it(Engine::Sqlite).await
}

#[tokio::test]
async fn availability_in_chromium_on_postgres() -> Result<()> {
    availability::operator_declares_availability_the_fsp_reads_it(Engine::Postgres).await
}

#[tokio::test]
async fn dispatch_testing_in_chromium_on_sqlite() -> Result<()> {
    dispatch_settings::fsp_tests_dispatch_delivery(Engine::Sqlite).await
}

#[tokio::test]
async fn dispatch_testing_in_chromium_on_postgres() -> Result<()> {
    dispatch_settings::fsp_tests_dispatch_delivery(Engine::Postgres).await
}

#[tokio::test]
async fn reports_in_chromium_on_sqlite() -> Result<()> {
    settlement::fsp_reads_reports(Engine::Sqlite).await
}

#[tokio::test]
async fn reports_in_chromium_on_postgres() -> Result<()> {
    settlement::fsp_reads_reports(Engine::Postgres).await
}

#[tokio::test]
async fn developer_portal_in_chromium_on_sqlite() -> Result<()> {
    developers::developer_reads_the_portal_signed_out(Engine::Sqlite).await
}

#[tokio::test]
async fn developer_portal_in_chromium_on_postgres() -> Result<()> {
    developers::developer_reads_the_portal_signed_out(Engine::Postgres).await
}

#[tokio::test]
async fn fsp_simulator_in_chromium_on_sqlite() -> Result<()> {
    simulator::simulator_follows_an_operator_dispatch(Engine::Sqlite).await
}

#[tokio::test]
async fn fsp_simulator_in_chromium_on_postgres() -> Result<()> {
    simulator::simulator_follows_an_operator_dispatch(Engine::Postgres).await
}
