//! Zones, dispatch groups and meterable units: the operations in `frontend/graphql/assets/`.

use shared::{DispatchGroup, MeterableUnit, WeekCommencing, Zone};

operation! {
    /// The zones the caller may see, with their programmes and policies.
    pub fn zones() -> Vec<Zone> = include_str!("../../graphql/assets/Zones.graphql")
}

operation! {
    /// The caller's dispatch groups in a zone, as in `week` (prices and runtimes of that week).
    pub fn dispatch_groups(zone_id: &str, week: Option<WeekCommencing>) -> Vec<DispatchGroup>
        = include_str!("../../graphql/assets/DispatchGroups.graphql")
}

operation! {
    /// The caller's meterable units in a zone.
    pub fn meterable_units(zone_id: &str) -> Vec<MeterableUnit>
        = include_str!("../../graphql/assets/MeterableUnits.graphql")
}
