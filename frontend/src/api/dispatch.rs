//! Dispatches, their messages and fair allocation: the operations in
//! `frontend/graphql/dispatch/`.

use shared::{Allocation, DeliveryAttempt, Dispatch, DispatchInput};

operation! {
    /// The dispatches starting in [from, to) (RFC 3339).
    pub fn dispatches(from: &str, to: &str) -> Vec<Dispatch>
        = include_str!("../../graphql/dispatch/Dispatches.graphql")
}

operation! {
    /// Calls off a dispatch before it starts.
    pub fn cancel(id: &str) -> () = include_str!("../../graphql/dispatch/CancelDispatch.graphql")
}

operation! {
    /// Ends a running dispatch now.
    pub fn emergency_stop(id: &str) -> ()
        = include_str!("../../graphql/dispatch/EmergencyStop.graphql")
}

operation! {
    /// Queues a message to be sent again, with the same webhook-id.
    pub fn resend(message_id: &str) -> ()
        = include_str!("../../graphql/dispatch/ResendDispatchMessage.graphql")
}

operation! {
    /// Every delivery attempt of one message.
    pub fn attempts(message_id: &str) -> Vec<DeliveryAttempt>
        = include_str!("../../graphql/dispatch/DispatchMessageAttempts.graphql")
}

operation! {
    /// Dispatches a group.
    pub fn create(dispatch: &DispatchInput) -> ()
        = include_str!("../../graphql/dispatch/CreateDispatch.graphql")
}

operation! {
    /// Dispatches several groups, all or none.
    pub fn create_all(dispatches: &[DispatchInput]) -> ()
        = include_str!("../../graphql/dispatch/CreateDispatches.graphql")
}

operation! {
    /// A requirement spread fairly across the groups accepted for the whole period.
    pub fn allocation(programme_id: &str, start: &str, end: &str, requirement_kw: f64) -> Allocation
        = include_str!("../../graphql/dispatch/Allocation.graphql")
}
