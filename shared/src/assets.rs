//! Zones, programmes, dispatch groups, meterable units and their prices, as read by
//! browsers, GraphQL integrators and the REST Participant API.

use crate::{PublicId, WeekCommencing, ZoneSlug};
use serde::{Deserialize, Serialize};

code_enum! {
    /// An Open Networks product as configured in a zone.
    ProgrammeKind {
        /// Scheduled Utilisation: schedule agreed ahead.
        Sustain = "sustain",
        /// Scheduled Availability + Operational Utilisation: called near real time.
        Secure = "secure",
        /// Variable Availability + Operational Utilisation: post-fault service.
        Dynamic = "dynamic",
        /// Operational Utilisation: real time, manual.
        Restore = "restore",
        /// Emergency flexibility, paid per contract.
        EmergencyFlex = "emergency_flex",
    }
}

impl ProgrammeKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Sustain => "Sustain",
            Self::Secure => "Secure",
            Self::Dynamic => "Dynamic",
            Self::Restore => "Restore",
            Self::EmergencyFlex => "Emergency Flex",
        }
    }

    /// The standard product behind each programme; Emergency Flex has none.
    pub fn product_code(self) -> Option<ProductCode> {
        match self {
            Self::Sustain => Some(ProductCode::Su),
            Self::Secure => Some(ProductCode::Saou),
            Self::Dynamic => Some(ProductCode::Vaou),
            Self::Restore => Some(ProductCode::Ou),
            Self::EmergencyFlex => None,
        }
    }
}

code_enum! {
    /// Open Networks standard product code.
    ProductCode {
        /// Scheduled Utilisation.
        Su = "SU",
        /// Scheduled Availability + Operational Utilisation.
        Saou = "SAOU",
        /// Variable Availability + Operational Utilisation.
        Vaou = "VAOU",
        /// Operational Utilisation.
        Ou = "OU",
    }
}

code_enum! {
    /// Which way a dispatch moves the unit's net export.
    Direction {
        /// More demand or less generation: net export falls (negative response).
        TurnUp = "turn_up",
        /// Less demand or more generation: net export rises (positive response).
        TurnDown = "turn_down",
    }
}

code_enum! {
    /// How a meterable unit reports readings.
    MeteringGranularity {
        /// Power in kW, one reading per minute.
        PerMinute = "per_minute",
        /// Energy in kWh, one reading per half hour.
        HalfHourly = "half_hourly",
    }
}

code_enum! {
    /// How a meterable unit's baseline is obtained.
    BaselineMethod {
        /// No baseline agreed yet.
        None = "none",
        /// One agreed kW value.
        Static = "static",
        /// A weekly time-series template nominated by the FSP.
        Nominated = "nominated",
        /// Calculated from the unit's own history.
        Automatic = "automatic",
    }
}

/// A programme (Open Networks product) offered in a zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct Programme {
    /// Public id of the programme.
    pub id: PublicId,
    pub kind: ProgrammeKind,
    /// Display name, e.g. "Dynamic (auction)".
    pub name: String,
    /// Standard product code; none for Emergency Flex.
    pub product_code: Option<ProductCode>,
    /// Whether this is the auction variant of the programme.
    pub auction: bool,
    /// The programme's operating policy (Europe/London times).
    pub policy: crate::ProgrammePolicy,
}

/// A Constraint Management Zone the caller may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct Zone {
    /// Stable zone id, e.g. `twilight-zone`.
    pub id: ZoneSlug,
    /// Display name, e.g. "Twilight Zone".
    pub name: String,
    /// Sandbox zones are for integration testing: everything works, nothing is paid.
    pub sandbox: bool,
    /// Name of the network operator that runs the zone.
    pub operator_name: String,
    /// Programmes offered in the zone.
    pub programmes: Vec<Programme>,
}

/// Prices of one dispatch group in one programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct ProgrammePrice {
    pub programme: Programme,
    /// Availability price, £/MW/h.
    pub availability_price: Option<f64>,
    /// Utilisation price, £/MWh.
    pub utilisation_price: Option<f64>,
    /// The most that may be bid or paid, £/MWh.
    pub unit_ceiling: Option<f64>,
    /// Why a price here will not be paid in full: a price above the unit ceiling is kept
    /// as entered, and settlement pays at most the ceiling. None when all is well.
    pub warning: Option<String>,
}

/// The baseline a meterable unit is settled against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct Baseline {
    pub method: BaselineMethod,
    /// The agreed value, kW, for the static method (also the fallback of the automatic one).
    pub static_kw: Option<f64>,
}

/// One or more assets behind one metering feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct MeterableUnit {
    /// Public id, used in the readings API.
    pub id: PublicId,
    /// Name, matching the operator's asset reference.
    pub name: String,
    pub dispatch_group_id: PublicId,
    pub dispatch_group_name: String,
    pub zone_id: ZoneSlug,
    pub metering_granularity: MeteringGranularity,
    pub baseline: Baseline,
}

/// The unit of pricing, availability, dispatch and settlement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct DispatchGroup {
    /// Public id, used in the APIs.
    pub id: PublicId,
    /// Name, matching the operator's asset reference.
    pub name: String,
    pub zone_id: ZoneSlug,
    /// The FSP company that owns the group.
    pub company_name: String,
    /// Default flexible capacity, kW.
    pub power_change_kw: f64,
    pub direction: Direction,
    /// Shortest dispatch, minutes.
    pub min_runtime_minutes: Option<i32>,
    /// Longest dispatch, minutes; none means no limit.
    pub max_runtime_minutes: Option<i32>,
    /// Most dispatched minutes in one week; none means no limit.
    pub weekly_runtime_minutes: Option<i32>,
    /// References of the same asset in external marketplaces' registers.
    pub marketplace_units: Vec<String>,
    pub meterable_units: Vec<MeterableUnit>,
    /// Price table, one row per programme the group is priced in.
    pub prices: Vec<ProgrammePrice>,
}

/// The dispatch groups of a zone as they stand in one week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DispatchGroupWeek {
    pub zone_id: ZoneSlug,
    pub week_commencing: WeekCommencing,
    pub dispatch_groups: Vec<DispatchGroup>,
}

#[cfg(feature = "server")]
mod server {
    use super::*;

    async_graphql::scalar!(
        PublicId,
        "PublicId",
        "Opaque 20-character alphanumeric id, e.g. `LuHmGc49c30Hsb872q2d`."
    );
    async_graphql::scalar!(ZoneSlug, "ZoneId", "Zone id, e.g. `twilight-zone`.");
    async_graphql::scalar!(WeekCommencing, "WeekCommencing", "A Monday, `YYYY-MM-DD`.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_storage_form() {
        for kind in ProgrammeKind::ALL {
            assert_eq!(ProgrammeKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(
            serde_json::to_string(&MeteringGranularity::HalfHourly)
                .ok()
                .as_deref(),
            Some("\"HALF_HOURLY\"")
        );
    }
}

/// A dispatch group's operator-managed fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::InputObject, utoipa::ToSchema)
)]
pub struct DispatchGroupInput {
    /// Unique in the zone; matches the operator's asset reference.
    pub name: String,
    /// Flex capacity, kW: more than zero.
    pub power_change_kw: f64,
    pub direction: Direction,
    pub min_runtime_minutes: Option<i32>,
    pub max_runtime_minutes: Option<i32>,
    pub weekly_runtime_minutes: Option<i32>,
    /// References in external marketplaces' asset registers (e.g. ElectronConnect).
    pub marketplace_units: Vec<String>,
}

/// A meterable unit's operator-managed fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::InputObject, utoipa::ToSchema)
)]
pub struct MeterableUnitInput {
    pub name: String,
    /// Fixed once the unit has readings.
    pub metering_granularity: MeteringGranularity,
}

/// A price-table row: £/MW/h, £/MWh and the unit ceiling £/MWh; none where not offered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::InputObject, utoipa::ToSchema)
)]
pub struct PriceInput {
    pub availability_price: Option<f64>,
    pub utilisation_price: Option<f64>,
    /// The most that may be bid or paid; neither price may exceed it.
    pub unit_ceiling: Option<f64>,
}
