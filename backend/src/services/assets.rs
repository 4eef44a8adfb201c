//! Zones, programmes, dispatch groups and meterable units, scoped to what the caller may
//! see. Every listing runs a fixed number of queries whatever the number of rows.

use super::{Actor, ServiceError, corrupt};
use crate::db::entities::{
    baseline_profiles, dispatch_groups, fsp_companies, marketplace_units, meterable_units,
    operators, prices, programmes, zones,
};
use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use shared::{
    Baseline, BaselineMethod, Direction, DispatchGroup, DispatchGroupWeek, MeterableUnit,
    MeteringGranularity, ProductCode, Programme, ProgrammeKind, ProgrammePrice, PublicId,
    WeekCommencing, Zone, ZoneSlug,
};
use std::collections::HashMap;

/// Zones the caller may see: an FSP sees the zones it has dispatch groups in, an operator
/// its own zones, a platform admin every zone.
pub(crate) fn zone_scope(actor: &Actor) -> Condition {
    match actor {
        Actor::Participant { company_id, .. } => Condition::all().add(
            zones::Column::Id.in_subquery(
                Query::select()
                    .column(dispatch_groups::Column::ZoneId)
                    .from(dispatch_groups::Entity)
                    .and_where(dispatch_groups::Column::CompanyId.eq(*company_id))
                    .to_owned(),
            ),
        ),
        Actor::Operator { operator_id, .. } => {
            Condition::all().add(zones::Column::OperatorId.eq(*operator_id))
        }
        Actor::PlatformAdmin { .. } => Condition::all(),
    }
}

/// Dispatch groups the caller may see within a visible zone.
fn dispatch_group_scope(actor: &Actor) -> Condition {
    match actor {
        Actor::Participant { company_id, .. } => {
            Condition::all().add(dispatch_groups::Column::CompanyId.eq(*company_id))
        }
        Actor::Operator { .. } | Actor::PlatformAdmin { .. } => Condition::all(),
    }
}

async fn visible_zone(
    db: &DatabaseConnection,
    actor: &Actor,
    slug: &ZoneSlug,
) -> Result<zones::Model, ServiceError> {
    zones::Entity::find()
        .filter(zones::Column::Slug.eq(slug.as_str()))
        .filter(zone_scope(actor))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("zone"))
}

/// The week that contains `now` in London.
pub fn current_week(now: DateTime<Utc>) -> WeekCommencing {
    WeekCommencing::containing(now.with_timezone(&London).date_naive())
}

/// Every zone the caller may see, with its programmes, ordered by name.
pub async fn list_zones(
    db: &DatabaseConnection,
    actor: &Actor,
    _now: DateTime<Utc>,
) -> Result<Vec<Zone>, ServiceError> {
    let zones = zones::Entity::find()
        .filter(zone_scope(actor))
        .order_by_asc(zones::Column::Name)
        .all(db)
        .await?;
    let zone_ids: Vec<i32> = zones.iter().map(|z| z.id).collect();
    let operator_ids: Vec<i32> = zones.iter().map(|z| z.operator_id).collect();
    let operators: HashMap<i32, String> = operators::Entity::find()
        .filter(operators::Column::Id.is_in(operator_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut programmes_by_zone: HashMap<i32, Vec<Programme>> = HashMap::new();
    for p in programmes::Entity::find()
        .filter(programmes::Column::ZoneId.is_in(zone_ids))
        .all(db)
        .await?
    {
        programmes_by_zone
            .entry(p.zone_id)
            .or_default()
            .push(programme(&p)?);
    }
    zones
        .into_iter()
        .map(|z| {
            let mut programmes = programmes_by_zone.remove(&z.id).unwrap_or_default();
            programmes.sort_by_key(|p| (p.kind, p.auction));
            Ok(Zone {
                id: zone_slug(&z.slug)?,
                name: z.name,
                sandbox: z.sandbox,
                operator_name: operators.get(&z.operator_id).cloned().unwrap_or_default(),
                programmes,
            })
        })
        .collect()
}

/// The dispatch groups of a zone the caller may see, with their meterable units,
/// marketplace units and price tables, for the week commencing `week` (default: this week).
pub async fn list_dispatch_groups(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    zone: &ZoneSlug,
    week: Option<WeekCommencing>,
) -> Result<DispatchGroupWeek, ServiceError> {
    let week = week.unwrap_or_else(|| current_week(now));
    let zone_row = visible_zone(db, actor, zone).await?;
    let groups = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::ZoneId.eq(zone_row.id))
        .filter(dispatch_groups::Column::RetiredAt.is_null())
        .filter(dispatch_group_scope(actor))
        .order_by_asc(dispatch_groups::Column::Name)
        .all(db)
        .await?;
    let dispatch_groups = assemble_groups(db, &zone_row, groups).await?;
    Ok(DispatchGroupWeek {
        zone_id: zone_slug(&zone_row.slug)?,
        week_commencing: week,
        dispatch_groups,
    })
}

/// One dispatch group by its public id, if the caller may see it.
pub async fn get_dispatch_group(
    db: &DatabaseConnection,
    actor: &Actor,
    _now: DateTime<Utc>,
    id: &str,
) -> Result<DispatchGroup, ServiceError> {
    let (group, zone) = visible_group(db, actor, |q| {
        q.filter(dispatch_groups::Column::PublicId.eq(id))
    })
    .await?;
    assemble_groups(db, &zone, vec![group])
        .await?
        .pop()
        .ok_or(ServiceError::NotFound("dispatch group"))
}

/// One meterable unit by its public id, if the caller may see it.
pub async fn get_meterable_unit(
    db: &DatabaseConnection,
    actor: &Actor,
    _now: DateTime<Utc>,
    id: &str,
) -> Result<MeterableUnit, ServiceError> {
    let (unit, group, zone) = visible_unit(db, actor, id).await?;
    let profiles = profiles_of(db, &[unit.id]).await?;
    meterable_unit(unit, &group, &zone_slug(&zone.slug)?, &profiles)
}

/// What Meterable Units says of each unit's stored baseline profiles: the nominated
/// template's name and the days behind the automatic one, by unit id.
#[derive(Default)]
struct ProfileFacts {
    template_name: Option<String>,
    days_of_data: Option<i32>,
}

async fn profiles_of(
    db: &DatabaseConnection,
    unit_ids: &[i32],
) -> Result<HashMap<i32, ProfileFacts>, ServiceError> {
    let mut facts: HashMap<i32, ProfileFacts> = HashMap::new();
    // Not the profiles' values: a per-minute week is ten thousand of them per unit.
    let rows: Vec<(i32, String, Option<String>, Option<i32>)> = baseline_profiles::Entity::find()
        .select_only()
        .columns([
            baseline_profiles::Column::MeterableUnitId,
            baseline_profiles::Column::Source,
            baseline_profiles::Column::Name,
            baseline_profiles::Column::DaysOfData,
        ])
        .filter(baseline_profiles::Column::MeterableUnitId.is_in(unit_ids.to_vec()))
        .into_tuple()
        .all(db)
        .await?;
    for (unit, source, name, days) in rows {
        let entry = facts.entry(unit).or_default();
        match source.as_str() {
            "nominated" => entry.template_name = name,
            "automatic" => entry.days_of_data = days,
            _ => {}
        }
    }
    Ok(facts)
}

/// A meterable unit by its public id with its dispatch group and zone, if the caller may
/// see it; otherwise not found, exactly as if it did not exist.
pub(crate) async fn visible_unit(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
) -> Result<(meterable_units::Model, dispatch_groups::Model, zones::Model), ServiceError> {
    let unit = meterable_units::Entity::find()
        .filter(meterable_units::Column::PublicId.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("meterable unit"))?;
    let (group, zone) = visible_group(db, actor, |q| {
        q.filter(dispatch_groups::Column::Id.eq(unit.dispatch_group_id))
    })
    .await
    .map_err(|_| ServiceError::NotFound("meterable unit"))?;
    Ok((unit, group, zone))
}

/// A dispatch group by its public id with its zone, if the caller may see it.
pub(crate) async fn visible_dispatch_group(
    db: &DatabaseConnection,
    actor: &Actor,
    public_id: &str,
) -> Result<(dispatch_groups::Model, zones::Model), ServiceError> {
    visible_group(db, actor, |q| {
        q.filter(dispatch_groups::Column::PublicId.eq(public_id))
    })
    .await
}

/// The ids of every dispatch group the caller may see, as a subquery.
pub(crate) fn visible_group_ids(actor: &Actor) -> sea_orm::sea_query::SelectStatement {
    let mut query = Query::select();
    query
        .column(dispatch_groups::Column::Id)
        .from(dispatch_groups::Entity);
    match actor {
        Actor::Participant { company_id, .. } => {
            query.and_where(dispatch_groups::Column::CompanyId.eq(*company_id));
        }
        Actor::Operator { operator_id, .. } => {
            query.and_where(
                dispatch_groups::Column::ZoneId.in_subquery(
                    Query::select()
                        .column(zones::Column::Id)
                        .from(zones::Entity)
                        .and_where(zones::Column::OperatorId.eq(*operator_id))
                        .to_owned(),
                ),
            );
        }
        Actor::PlatformAdmin { .. } => {}
    }
    query.to_owned()
}

/// The dispatch group `find` selects, with its zone, when the caller may see both;
/// otherwise not found, exactly as if it did not exist.
async fn visible_group(
    db: &DatabaseConnection,
    actor: &Actor,
    find: impl FnOnce(
        sea_orm::Select<dispatch_groups::Entity>,
    ) -> sea_orm::Select<dispatch_groups::Entity>,
) -> Result<(dispatch_groups::Model, zones::Model), ServiceError> {
    let group = find(dispatch_groups::Entity::find())
        .filter(dispatch_group_scope(actor))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("dispatch group"))?;
    let zone = zones::Entity::find_by_id(group.zone_id)
        .filter(zone_scope(actor))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("dispatch group"))?;
    Ok((group, zone))
}

/// Dispatch groups of one zone with their companies, meterable units, marketplace units
/// and prices, in a fixed number of queries.
async fn assemble_groups(
    db: &DatabaseConnection,
    zone_row: &zones::Model,
    groups: Vec<dispatch_groups::Model>,
) -> Result<Vec<DispatchGroup>, ServiceError> {
    let ids: Vec<i32> = groups.iter().map(|g| g.id).collect();

    let companies: HashMap<i32, String> = fsp_companies::Entity::find()
        .filter(fsp_companies::Column::Id.is_in(groups.iter().map(|g| g.company_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let programmes: HashMap<i32, Programme> = programmes::Entity::find()
        .filter(programmes::Column::ZoneId.eq(zone_row.id))
        .all(db)
        .await?
        .iter()
        .map(|p| Ok((p.id, programme(p)?)))
        .collect::<Result<_, ServiceError>>()?;
    let mut units = units_by_group(db, &ids).await?;
    let unit_ids: Vec<i32> = units.values().flatten().map(|u| u.id).collect();
    let profiles = profiles_of(db, &unit_ids).await?;
    let mut market: HashMap<i32, Vec<String>> = HashMap::new();
    for m in marketplace_units::Entity::find()
        .filter(marketplace_units::Column::DispatchGroupId.is_in(ids.clone()))
        .order_by_asc(marketplace_units::Column::Reference)
        .all(db)
        .await?
    {
        market
            .entry(m.dispatch_group_id)
            .or_default()
            .push(m.reference);
    }
    let mut price_rows: HashMap<i32, Vec<ProgrammePrice>> = HashMap::new();
    for p in prices::Entity::find()
        .filter(prices::Column::DispatchGroupId.is_in(ids))
        .all(db)
        .await?
    {
        if let Some(programme) = programmes.get(&p.programme_id) {
            price_rows
                .entry(p.dispatch_group_id)
                .or_default()
                .push(ProgrammePrice {
                    programme: programme.clone(),
                    availability_price: p.availability_price_pence.map(pounds),
                    utilisation_price: p.utilisation_price_pence.map(pounds),
                    unit_ceiling: p.unit_ceiling_pence.map(pounds),
                    warning: ceiling_warning(
                        p.availability_price_pence,
                        p.utilisation_price_pence,
                        p.unit_ceiling_pence,
                    ),
                });
        }
    }

    let zone_id = zone_slug(&zone_row.slug)?;
    groups
        .into_iter()
        .map(|g| {
            let mut prices = price_rows.remove(&g.id).unwrap_or_default();
            prices.sort_by_key(|p| (p.programme.kind, p.programme.auction));
            let meterable_units = units
                .remove(&g.id)
                .unwrap_or_default()
                .into_iter()
                .map(|u| meterable_unit(u, &g, &zone_id, &profiles))
                .collect::<Result<_, _>>()?;
            Ok(DispatchGroup {
                id: public_id(&g.public_id)?,
                zone_id: zone_id.clone(),
                company_name: companies.get(&g.company_id).cloned().unwrap_or_default(),
                power_change_kw: g.power_change_kw,
                direction: Direction::parse(&g.direction).ok_or_else(|| corrupt("direction"))?,
                min_runtime_minutes: g.min_runtime_minutes,
                max_runtime_minutes: g.max_runtime_minutes,
                weekly_runtime_minutes: g.weekly_runtime_minutes,
                marketplace_units: market.remove(&g.id).unwrap_or_default(),
                meterable_units,
                prices,
                name: g.name,
            })
        })
        .collect()
}

/// The meterable units of a zone the caller may see, ordered by dispatch group and name.
pub async fn list_meterable_units(
    db: &DatabaseConnection,
    actor: &Actor,
    _now: DateTime<Utc>,
    zone: &ZoneSlug,
) -> Result<Vec<MeterableUnit>, ServiceError> {
    let zone_row = visible_zone(db, actor, zone).await?;
    let zone_id = zone_slug(&zone_row.slug)?;
    let groups = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::ZoneId.eq(zone_row.id))
        .filter(dispatch_groups::Column::RetiredAt.is_null())
        .filter(dispatch_group_scope(actor))
        .order_by_asc(dispatch_groups::Column::Name)
        .all(db)
        .await?;
    let ids: Vec<i32> = groups.iter().map(|g| g.id).collect();
    let mut units = units_by_group(db, &ids).await?;
    let unit_ids: Vec<i32> = units.values().flatten().map(|u| u.id).collect();
    let profiles = profiles_of(db, &unit_ids).await?;
    let mut out = Vec::new();
    for g in &groups {
        for u in units.remove(&g.id).unwrap_or_default() {
            out.push(meterable_unit(u, g, &zone_id, &profiles)?);
        }
    }
    Ok(out)
}

async fn units_by_group(
    db: &DatabaseConnection,
    group_ids: &[i32],
) -> Result<HashMap<i32, Vec<meterable_units::Model>>, ServiceError> {
    let mut by_group: HashMap<i32, Vec<meterable_units::Model>> = HashMap::new();
    for u in meterable_units::Entity::find()
        .filter(meterable_units::Column::DispatchGroupId.is_in(group_ids.to_vec()))
        .filter(meterable_units::Column::RetiredAt.is_null())
        .order_by_asc(meterable_units::Column::Name)
        .all(db)
        .await?
    {
        by_group.entry(u.dispatch_group_id).or_default().push(u);
    }
    Ok(by_group)
}

fn meterable_unit(
    u: meterable_units::Model,
    group: &dispatch_groups::Model,
    zone_id: &ZoneSlug,
    profiles: &HashMap<i32, ProfileFacts>,
) -> Result<MeterableUnit, ServiceError> {
    let facts = profiles.get(&u.id);
    Ok(MeterableUnit {
        id: public_id(&u.public_id)?,
        name: u.name,
        dispatch_group_id: public_id(&group.public_id)?,
        dispatch_group_name: group.name.clone(),
        zone_id: zone_id.clone(),
        metering_granularity: MeteringGranularity::parse(&u.metering_granularity)
            .ok_or_else(|| corrupt("metering_granularity"))?,
        baseline: Baseline {
            method: BaselineMethod::parse(&u.baseline_method)
                .ok_or_else(|| corrupt("baseline_method"))?,
            static_kw: u.baseline_static_kw,
            template_name: facts.and_then(|f| f.template_name.clone()),
            days_of_data: facts.and_then(|f| f.days_of_data),
        },
    })
}

pub(crate) fn programme(p: &programmes::Model) -> Result<Programme, ServiceError> {
    Ok(Programme {
        policy: super::calendar::policy_of(p)?,
        id: public_id(&p.public_id)?,
        kind: ProgrammeKind::parse(&p.kind).ok_or_else(|| corrupt("programme kind"))?,
        name: p.name.clone(),
        product_code: match &p.product_code {
            Some(code) => Some(ProductCode::parse(code).ok_or_else(|| corrupt("product code"))?),
            None => None,
        },
        auction: p.auction,
    })
}

/// Whole pence to pounds; exact for any realistic price.
fn pounds(pence: i64) -> f64 {
    pence as f64 / 100.0
}

fn public_id(s: &str) -> Result<PublicId, ServiceError> {
    PublicId::parse(s).map_err(|_| corrupt("public id"))
}

fn zone_slug(s: &str) -> Result<ZoneSlug, ServiceError> {
    ZoneSlug::parse(s).map_err(|_| corrupt("zone slug"))
}

/// The prices (in pence) that stand above the unit ceiling, in words, with what is paid.
pub(crate) fn ceiling_warning(
    availability: Option<i64>,
    utilisation: Option<i64>,
    ceiling: Option<i64>,
) -> Option<String> {
    let ceiling = ceiling?;
    let above: Vec<String> = [("availability", availability), ("utilisation", utilisation)]
        .into_iter()
        .filter_map(|(name, price)| {
            price
                .filter(|p| *p > ceiling)
                .map(|p| format!("{name} £{:.2}", p as f64 / 100.0))
        })
        .collect();
    (!above.is_empty()).then(|| {
        format!(
            "{} above the unit ceiling of £{:.2}: settlement pays at most the ceiling",
            above.join(" and "),
            ceiling as f64 / 100.0
        )
    })
}
