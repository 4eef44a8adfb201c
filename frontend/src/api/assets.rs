//! Zones, dispatch groups and meterable units: the operations in `frontend/graphql/assets/`.

use super::graphql;
use serde::{Deserialize, Serialize};
use shared::{DispatchGroup, MeterableUnit, WeekCommencing, Zone};

/// The zones the caller may see.
pub async fn zones() -> Result<Vec<Zone>, String> {
    #[derive(Deserialize)]
    struct Data {
        zones: Vec<Zone>,
    }
    graphql::<Data>(
        include_str!("../../graphql/assets/Zones.graphql"),
        serde_json::Value::Object(serde_json::Map::new()),
    )
    .await
    .map(|d| d.zones)
}

/// The caller's dispatch groups in a zone, as in `week` (prices and runtimes of that week).
pub async fn dispatch_groups(
    zone_id: &str,
    week: Option<WeekCommencing>,
) -> Result<Vec<DispatchGroup>, String> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Variables<'a> {
        zone_id: &'a str,
        week: Option<String>,
    }
    #[derive(Deserialize)]
    struct Data {
        dispatch_groups: Vec<DispatchGroup>,
    }
    let variables = Variables {
        zone_id,
        week: week.map(|w| w.to_string()),
    };
    graphql::<Data>(
        include_str!("../../graphql/assets/DispatchGroups.graphql"),
        serde_json::to_value(variables).map_err(|e| e.to_string())?,
    )
    .await
    .map(|d| d.dispatch_groups)
}

/// The caller's meterable units in a zone.
pub async fn meterable_units(zone_id: &str) -> Result<Vec<MeterableUnit>, String> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Variables<'a> {
        zone_id: &'a str,
    }
    #[derive(Deserialize)]
    struct Data {
        meterable_units: Vec<MeterableUnit>,
    }
    graphql::<Data>(
        include_str!("../../graphql/assets/MeterableUnits.graphql"),
        serde_json::to_value(Variables { zone_id }).map_err(|e| e.to_string())?,
    )
    .await
    .map(|d| d.meterable_units)
}
