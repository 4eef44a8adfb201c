//! Dispatch delivery to FSP systems (guide §3.1 Dispatch Settings and Dispatch V2 Testing,
//! §3.7).

use serde::{Deserialize, Serialize};

code_enum! {
    /// What a dispatch message tells the FSP.
    Instruction {
        /// Advance notice of the dispatches in a period (week-ahead or day-ahead).
        Schedule = "SCHEDULE",
        Start = "START",
        Stop = "STOP",
        EmergencyStop = "EMERGENCY_STOP",
        Cancel = "CANCEL",
    }
}

code_enum! {
    /// How an FSP company receives dispatch messages.
    DeliveryChannel {
        /// Signed HTTP POSTs to the company's endpoint.
        Api = "api",
        /// E-mails to the company's dispatch contacts.
        Email = "email",
    }
}

/// One attempt to deliver a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct DeliveryAttempt {
    /// The message's id (`webhook-id`), the same on every retry.
    pub message_id: String,
    pub instruction: String,
    /// Sent from Dispatch V2 Testing, not a real dispatch.
    pub test: bool,
    pub url: String,
    pub attempted_at: chrono::DateTime<chrono::Utc>,
    /// The endpoint's HTTP status; none when no answer came.
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    /// Why no answer came (connection refused, timeout, …).
    pub error: Option<String>,
    /// The start of the endpoint's answer.
    pub body_excerpt: Option<String>,
}

/// API Testing › Dispatch Settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct DispatchSettings {
    /// Participant endpoint base URL; messages go to `{base}/dispatch`.
    pub endpoint_url: Option<String>,
    pub delivery: DeliveryChannel,
    /// Where dispatch notices go when they are taken by e-mail.
    pub email_contacts: Vec<String>,
    /// `whsec_…` and the last four characters of the signing secret, if one exists.
    pub secret_hint: Option<String>,
    pub secret_created_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The endpoint's health: the latest attempts, newest first.
    pub recent_attempts: Vec<DeliveryAttempt>,
    /// The channels the operator permits the company (guide §3.1); `delivery` is one of
    /// them unless the operator has since withdrawn it.
    #[serde(default)]
    pub permitted_delivery: Vec<DeliveryChannel>,
    /// The signing secret this save created (the first endpoint saved gets one at once, so
    /// that no dispatch goes unsigned), shown only here, once; none otherwise.
    #[serde(default)]
    pub new_secret: Option<String>,
}

/// A new signing secret, shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct NewSigningSecret {
    /// `whsec_` and base64 of 32 random bytes (Standard Webhooks). Store it now: it is
    /// not shown again.
    pub secret: String,
    pub settings: DispatchSettings,
}

/// API Testing › Dispatch V2 Testing: the message to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::InputObject, utoipa::ToSchema)
)]
pub struct TestDispatchInput {
    pub dispatch_id: String,
    pub instruction: Instruction,
    /// RFC 3339, e.g. `2025-02-17T16:00:00Z`.
    pub start: String,
    /// RFC 3339, after the start.
    pub end: String,
    pub power_change_kw: f64,
    /// The company's meterable unit ids, comma separated.
    pub meterable_unit_ids: String,
}

/// What happened to a test message: the three lines of the result box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct TestDispatchResult {
    /// Where it was sent.
    pub url: String,
    /// The parameters sent, in one line.
    pub parameters: String,
    /// Whether the endpoint answered 2xx within 10 s.
    pub success: bool,
    /// Success or failure in words: status and time taken, or the connection error.
    pub outcome: String,
    pub attempt: DeliveryAttempt,
}

code_enum! {
    /// Where a dispatch stands.
    DispatchStatus {
        /// Scheduled or running.
        Active = "active",
        /// Called off before it started.
        Cancelled = "cancelled",
        /// Ended early by an emergency stop.
        EmergencyStopped = "emergency_stopped",
    }
}

code_enum! {
    /// Where a dispatch message stands.
    MessageStatus {
        /// Not yet delivered; retried until its deadline.
        Pending = "pending",
        Delivered = "delivered",
        /// Not delivered by its deadline: the operator must act.
        Missed = "missed",
        /// Overtaken (a cancelled dispatch's START, say): never to be sent.
        Cancelled = "cancelled",
    }
}

/// An operator's dispatch of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::InputObject, utoipa::ToSchema)
)]
pub struct DispatchInput {
    pub dispatch_group_id: String,
    pub programme_id: String,
    /// RFC 3339.
    pub start: String,
    /// RFC 3339, after the start.
    pub end: String,
    /// kW, more than zero: at most the accepted kW (or, ad hoc, the group's capacity).
    pub power_change_kw: f64,
    /// The accepted availability window dispatched; none for an ad hoc dispatch (Restore
    /// and Emergency Flex only).
    pub availability_window_id: Option<String>,
}

/// One message of a dispatch, as the operator follows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct DispatchMessage {
    /// The `webhook-id`.
    pub message_id: String,
    pub instruction: Instruction,
    pub due_at: chrono::DateTime<chrono::Utc>,
    pub deadline: chrono::DateTime<chrono::Utc>,
    pub status: MessageStatus,
    pub attempts: i32,
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
}

/// A dispatch and its messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct Dispatch {
    pub id: crate::PublicId,
    pub dispatch_group_id: crate::PublicId,
    pub dispatch_group: String,
    pub programme: String,
    pub start: chrono::DateTime<chrono::Utc>,
    pub end: chrono::DateTime<chrono::Utc>,
    pub power_change_kw: f64,
    pub status: DispatchStatus,
    pub stopped_at: Option<chrono::DateTime<chrono::Utc>>,
    pub messages: Vec<DispatchMessage>,
}

/// One group's share of a requirement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct AllocationLine {
    pub dispatch_group_id: crate::PublicId,
    pub dispatch_group: String,
    /// The accepted window the share would be dispatched from.
    pub availability_window_id: crate::PublicId,
    pub accepted_kw: f64,
    pub allocated_kw: f64,
}

/// A requirement spread across the accepted groups so that the largest share any group is
/// asked to run is as small as it can be (minimax).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct Allocation {
    pub requirement_kw: f64,
    pub allocated_kw: f64,
    /// What accepted availability cannot cover.
    pub shortfall_kw: f64,
    pub lines: Vec<AllocationLine>,
}

/// A dispatch message as issued to the company: what the `dispatchMessages` subscription
/// streams when the message becomes due, beside the webhook that carries the same message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(async_graphql::SimpleObject))]
pub struct IssuedMessage {
    /// The message's row, for the stream's own bookkeeping.
    #[cfg_attr(feature = "server", graphql(skip))]
    #[serde(skip)]
    pub row: i64,
    /// The same id as the webhook's `webhook-id` and `message_id`: use it to drop a
    /// message that arrives by both channels.
    pub message_id: String,
    pub instruction: Instruction,
    /// The dispatch it is about; none for a SCHEDULE, which lists several.
    pub dispatch_id: Option<String>,
    /// When it became due (a START: 15 minutes before the dispatch starts).
    pub issued_at: chrono::DateTime<chrono::Utc>,
    /// The webhook's JSON body, without `sent_at`: a START, STOP, CANCEL, EMERGENCY_STOP
    /// or SCHEDULE message with its `version` and `type`, exactly as posted to the
    /// endpoint.
    pub body: String,
}
