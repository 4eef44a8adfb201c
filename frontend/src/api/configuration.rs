//! Configuration (operators): zones, programmes, dispatch groups, prices, meterable units and
//! baselines: the operations in `frontend/graphql/configuration/`. The settings are read
//! through `api::assets`.

use shared::{
    BaselineMethod, DispatchGroupInput, MeterableUnitInput, PriceInput, ProgrammeKind,
    ProgrammePolicy,
};

operation! {
    /// Creates a zone with the standard programmes.
    pub fn create_zone(id: &str, name: &str, sandbox: bool) -> ()
        = include_str!("../../graphql/configuration/CreateZone.graphql")
}

operation! {
    /// Renames a zone or changes whether it is a sandbox.
    pub fn update_zone(id: &str, name: &str, sandbox: bool) -> ()
        = include_str!("../../graphql/configuration/UpdateZone.graphql")
}

operation! {
    /// Adds a programme to a zone.
    pub fn create_programme(zone_id: &str, kind: ProgrammeKind, auction: bool) -> ()
        = include_str!("../../graphql/configuration/CreateProgramme.graphql")
}

operation! {
    /// Replaces a programme's policy.
    pub fn update_programme_policy(programme_id: &str, policy: &ProgrammePolicy) -> ()
        = include_str!("../../graphql/configuration/UpdateProgrammePolicy.graphql")
}

operation! {
    /// Creates a dispatch group for the FSP company named.
    pub fn create_dispatch_group(zone_id: &str, company: &str, group: &DispatchGroupInput) -> ()
        = include_str!("../../graphql/configuration/CreateDispatchGroup.graphql")
}

operation! {
    /// Changes a dispatch group.
    pub fn update_dispatch_group(id: &str, group: &DispatchGroupInput) -> ()
        = include_str!("../../graphql/configuration/UpdateDispatchGroup.graphql")
}

operation! {
    /// Retires a dispatch group.
    pub fn retire_dispatch_group(id: &str) -> ()
        = include_str!("../../graphql/configuration/RetireDispatchGroup.graphql")
}

operation! {
    /// Sets a dispatch group's prices in a programme.
    pub fn set_price(dispatch_group_id: &str, programme_id: &str, price: &PriceInput) -> ()
        = include_str!("../../graphql/configuration/SetPrice.graphql")
}

operation! {
    /// Adds a meterable unit to a dispatch group.
    pub fn create_meterable_unit(dispatch_group_id: &str, unit: &MeterableUnitInput) -> ()
        = include_str!("../../graphql/configuration/CreateMeterableUnit.graphql")
}

operation! {
    /// Sets how a unit's baseline is obtained (a static kW for the static method).
    pub fn set_baseline(meterable_unit_id: &str, method: BaselineMethod, static_kw: Option<f64>) -> ()
        = include_str!("../../graphql/configuration/SetBaseline.graphql")
}

operation! {
    /// Stores a unit's baseline template from CSV; answers with the number of values.
    pub fn upload_baseline_template(meterable_unit_id: &str, csv: &str, name: Option<&str>) -> i32
        = include_str!("../../graphql/configuration/UploadBaselineTemplate.graphql")
}

operation! {
    /// Retires a meterable unit.
    pub fn retire_meterable_unit(id: &str) -> ()
        = include_str!("../../graphql/configuration/RetireMeterableUnit.graphql")
}
