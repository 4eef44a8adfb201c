//! Who is calling: the one place adapters learn the caller's identity.

use crate::app::AppState;
use crate::services::{Actor, ServiceError, accounts};

/// Resolves the caller of a request. Until sign-in exists, only a dev-mode deployment
/// with a configured demo user has one; everyone else is unauthenticated.
pub async fn caller(state: &AppState) -> Result<Actor, ServiceError> {
    match (&state.settings.dev_mode, &state.settings.demo_user) {
        (true, Some(spec)) => accounts::resolve_demo_user(&state.db, spec).await,
        _ => Err(ServiceError::Unauthenticated),
    }
}
