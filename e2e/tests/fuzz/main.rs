//! The Participant API and the sign-in endpoints held to their OpenAPI document by
//! schemathesis (`./dev fuzz` alone). A binary of its own, so the fuzzer's load does not
//! share the machine with the browser tests.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test that cannot go on should fail loudly"
)]

mod api;
#[allow(
    dead_code,
    reason = "the browser tests' support: this binary uses its server and fixtures"
)]
#[path = "../browser/support.rs"]
mod support;

/// Issue 19: the document is exact, held to it by schemathesis.
#[tokio::test]
async fn api_fuzzing_on_sqlite() -> anyhow::Result<()> {
    api::the_api_keeps_to_its_document().await
}
