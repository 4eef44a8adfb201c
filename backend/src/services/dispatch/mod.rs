//! Dispatch events (guide §3.7): an operator dispatches a group from an accepted window, or
//! ad hoc for Restore and Emergency Flex, and can cancel it or stop it in an emergency.
//! Every message the change causes (START at start − lead, STOP at end, CANCEL,
//! EMERGENCY_STOP) is written to the outbox in the same transaction; [`deliver_due`]
//! sends them at least once, retrying until each message's deadline.

use crate::config::Settings;
use crate::crypto::SecretBox;
use crate::db::entities::{
    availability_windows, delivery_attempts, dispatch_events, dispatch_groups, dispatch_messages,
    dispatch_settings, meterable_units, programmes, zones,
};
use crate::ids::new_public_id;
use crate::mail::{Email, Mailer, html_escape};
use crate::services::calendar::policy_of;
use crate::services::{
    Actor, FieldError, ServiceError, accounts, assets, corrupt, rfc3339, webhooks,
};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::London;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};
use shared::webhooks::{DispatchFields, Message, Named};
use shared::{
    DeclarationStatus, DeliveryChannel, Dispatch, DispatchInput, DispatchMessage, DispatchStatus,
    Instruction, IssuedMessage, MessageStatus, ProgrammeKind, PublicId, WeekCommencing,
};
use std::collections::HashMap;

pub mod allocation;
mod delivery;
mod events;
mod outbox;
pub mod schedules;

pub use delivery::*;
pub use events::*;
pub use outbox::*;

/// How long a worker holds a claimed message before another may take it over.
pub const LEASE: Duration = Duration::seconds(30);

/// Retry delays after the 1st, 2nd, … failed attempt; then every minute (part of the
/// contract FSPs read, hence in `shared`).
pub(crate) const RETRY_SECONDS: [i64; 4] = shared::webhooks::RETRY_GAPS_SECONDS;

/// STOP and EMERGENCY_STOP are useful for this long after they are due.
pub(crate) const STOP_GRACE: Duration = Duration::minutes(shared::webhooks::STOP_GRACE_MINUTES);

pub(super) fn require_operator(actor: &Actor) -> Result<(), ServiceError> {
    match actor {
        Actor::Participant { .. } => Err(ServiceError::Forbidden(
            "dispatches are made by the operator".to_owned(),
        )),
        _ => Ok(()),
    }
}
