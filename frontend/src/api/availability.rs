//! Availability declarations and acceptance: the operations in
//! `frontend/graphql/availability/`.

use shared::{AcceptanceRow, AvailabilityWeek, WeekCommencing, WindowInput};

operation! {
    /// A dispatch group's week in a programme.
    pub fn availability_week(dispatch_group_id: &str, programme_id: &str, week_commencing: WeekCommencing) -> AvailabilityWeek
        = include_str!("../../graphql/availability/AvailabilityWeek.graphql")
}

operation! {
    /// Declares a window.
    pub fn declare(dispatch_group_id: &str, programme_id: &str, window: &WindowInput) -> ()
        = include_str!("../../graphql/availability/DeclareAvailability.graphql")
}

operation! {
    /// Removes a declared window.
    pub fn remove(window_id: &str) -> ()
        = include_str!("../../graphql/availability/RemoveAvailability.graphql")
}

operation! {
    /// Accepts (or rejects) the windows given.
    pub fn decide(window_ids: &[String], accept: bool) -> ()
        = include_str!("../../graphql/availability/DecideAvailability.graphql")
}

operation! {
    /// Accepts (or rejects) every undecided window of a group's week.
    pub fn decide_week(dispatch_group_id: &str, programme_id: &str, week_commencing: &str, accept: bool) -> ()
        = include_str!("../../graphql/availability/DecideAvailabilityWeek.graphql")
}

operation! {
    /// The week's declared windows and their decisions.
    pub fn acceptance_decisions(week_commencing: WeekCommencing) -> Vec<AcceptanceRow>
        = include_str!("../../graphql/availability/AcceptanceDecisions.graphql")
}
