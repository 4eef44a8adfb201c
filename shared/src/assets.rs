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
    /// The nominated template's name, as uploaded (nominated method).
    #[serde(default)]
    pub template_name: Option<String>,
    /// Days of the unit's own readings behind this month's automatic baseline, once
    /// computed (automatic method); below [`AUTOMATIC_BASELINE_MIN_DAYS`] the static value
    /// stands in.
    #[serde(default)]
    pub days_of_data: Option<i32>,
}

/// Weeks of history an automatic baseline averages over.
pub const AUTOMATIC_BASELINE_WEEKS: i64 = 4;

/// Fewer days of data than this and the automatic baseline falls back to the static value.
pub const AUTOMATIC_BASELINE_MIN_DAYS: usize = 10;

impl Baseline {
    /// The baseline in words, as Meterable Units shows it: the static value, the
    /// template's name, or how much history the automatic one rests on.
    pub fn describe(&self) -> String {
        let fallback = || {
            self.static_kw.map_or_else(
                || "no static value".to_owned(),
                |kw| format!("static {kw} kW"),
            )
        };
        match self.method {
            BaselineMethod::None => "None this week".to_owned(),
            BaselineMethod::Static => match self.static_kw {
                Some(kw) => format!("Static {kw} kW"),
                None => "Static (no value)".to_owned(),
            },
            BaselineMethod::Nominated => match &self.template_name {
                Some(name) => format!("Template \u{201c}{name}\u{201d}"),
                None => "Nominated template".to_owned(),
            },
            BaselineMethod::Automatic => match self.days_of_data {
                None => format!("Automatic, not computed yet ({} meanwhile)", fallback()),
                Some(days) => {
                    let weeks = f64::from(days) / 7.0;
                    let weeks = if weeks.fract() == 0.0 {
                        format!("{weeks:.0}")
                    } else {
                        format!("{weeks:.1}")
                    };
                    let unit = if weeks == "1" { "week" } else { "weeks" };
                    if usize::try_from(days).unwrap_or(0) < AUTOMATIC_BASELINE_MIN_DAYS {
                        format!(
                            "Automatic, {weeks} {unit} of data (fewer than {AUTOMATIC_BASELINE_MIN_DAYS} days: {} stands in)",
                            fallback()
                        )
                    } else {
                        format!("Automatic, {weeks} {unit} of data")
                    }
                }
            },
        }
    }
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
    use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

    /// A GraphQL scalar for a type that parses from a string: `is_valid` lets validation
    /// refuse a malformed literal naming its argument, and the description states the form.
    macro_rules! string_scalar {
        ($ty:ty, $name:literal, $desc:literal) => {
            #[doc = $desc]
            #[Scalar(name = $name)]
            impl ScalarType for $ty {
                fn parse(value: Value) -> InputValueResult<Self> {
                    match value {
                        Value::String(s) => <$ty>::try_from(s).map_err(InputValueError::custom),
                        other => Err(InputValueError::expected_type(other)),
                    }
                }

                fn is_valid(value: &Value) -> bool {
                    matches!(value, Value::String(s) if <$ty>::try_from(s.clone()).is_ok())
                }

                fn to_value(&self) -> Value {
                    Value::String(String::from(self.clone()))
                }
            }
        };
    }

    string_scalar!(
        PublicId,
        "PublicId",
        "Opaque 20-character alphanumeric id, e.g. `LuHmGc49c30Hsb872q2d`."
    );
    string_scalar!(
        ZoneSlug,
        "ZoneId",
        "Zone id: 1 to 64 lower-case letters, digits or hyphens, e.g. `twilight-zone`."
    );
    string_scalar!(
        WeekCommencing,
        "WeekCommencing",
        "A week (Monday to Sunday, Europe/London), named by its Monday, `YYYY-MM-DD`; any other date of the week finds the same week."
    );
    string_scalar!(
        crate::Month,
        "Month",
        "A billing month, `YYYY-MM`, in the years 2000 to 2999."
    );
    string_scalar!(
        crate::ReadingsCursor,
        "ReadingsCursor",
        "Where a readings export goes on from: the previous page's `nextCursor` (`r1.` and 1 to 16 digits)."
    );
    string_scalar!(
        crate::IdempotencyKey,
        "IdempotencyKey",
        "A client's key for retrying a request safely: 1 to 255 printable ASCII characters, not starting or ending with a space, such as a UUID."
    );
    string_scalar!(
        crate::StatementId,
        "StatementId",
        "A statement id, `{month}.{zone id}.{company id}`, e.g. `2025-02.twilight-zone.LuHmGc49c30Hsb872q2d`."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline(method: BaselineMethod, days: Option<i32>, name: Option<&str>) -> Baseline {
        Baseline {
            method,
            static_kw: Some(-120.0),
            template_name: name.map(str::to_owned),
            days_of_data: days,
        }
    }

    #[test]
    fn each_baseline_is_described_as_meterable_units_shows_it() {
        assert_eq!(
            baseline(BaselineMethod::Static, None, None).describe(),
            "Static -120 kW"
        );
        assert_eq!(
            baseline(BaselineMethod::Nominated, None, Some("weekdays.csv")).describe(),
            "Template \u{201c}weekdays.csv\u{201d}"
        );
        assert_eq!(
            baseline(BaselineMethod::Automatic, Some(28), None).describe(),
            "Automatic, 4 weeks of data"
        );
        assert_eq!(
            baseline(BaselineMethod::Automatic, Some(23), None).describe(),
            "Automatic, 3.3 weeks of data"
        );
        assert_eq!(
            baseline(BaselineMethod::Automatic, Some(3), None).describe(),
            "Automatic, 0.4 weeks of data (fewer than 10 days: static -120 kW stands in)"
        );
        assert_eq!(
            baseline(BaselineMethod::Automatic, None, None).describe(),
            "Automatic, not computed yet (static -120 kW meanwhile)"
        );
    }

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
