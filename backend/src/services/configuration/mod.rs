//! Operator configuration: programme policies, prices with their unit ceilings, dispatch
//! groups, meterable units and marketplace units. Operators change only their own zones;
//! FSPs read the result on the Meterable Units page. Every change is audited.

use crate::db::entities::{
    dispatch_groups, fsp_companies, marketplace_units, meterable_units, prices, programmes,
    readings, zones,
};
use crate::ids::new_public_id;
use crate::services::calendar::parse_clock;
use crate::services::{Actor, FieldError, ServiceError, assets};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use shared::{
    BaselineMethod, DispatchGroup, DispatchGroupInput, MeterableUnit, MeterableUnitInput,
    PriceInput, Programme, ProgrammePolicy, ZoneSlug,
};

mod network;
pub use network::*;

/// The operator a configuration change acts for; FSPs and platform admins configure
/// nothing (operators own their networks' settings).
pub(super) fn operator_of(actor: &Actor) -> Result<i32, ServiceError> {
    match actor {
        Actor::Operator { operator_id, .. } => Ok(*operator_id),
        _ => Err(ServiceError::Forbidden(
            "zones, programmes, dispatch groups, meterable units and prices are configured by their operator"
                .to_owned(),
        )),
    }
}

/// A programme of one of the operator's zones.
pub(super) async fn own_programme(
    db: &DatabaseConnection,
    operator_id: i32,
    programme_id: &str,
) -> Result<(programmes::Model, zones::Model), ServiceError> {
    let programme = programmes::Entity::find()
        .filter(programmes::Column::PublicId.eq(programme_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("programme"))?;
    let zone = zones::Entity::find_by_id(programme.zone_id)
        .filter(zones::Column::OperatorId.eq(operator_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("programme"))?;
    Ok((programme, zone))
}

/// Checks a policy: every time `HH:MM`, each week-ahead day and time together, a lead time
/// within a day.
pub fn check_policy(policy: &ProgrammePolicy) -> Result<(), ServiceError> {
    let mut errors = Vec::new();
    let mut time = |name: &str, value: Option<&str>| {
        if let Some(v) = value
            && parse_clock(v, false).is_none()
        {
            errors.push(FieldError::new(
                name,
                "must be a time from 00:00 to 23:59 (HH:MM)",
            ));
        }
    };
    time("declaration_lock_time", Some(&policy.declaration_lock_time));
    time("acceptance_time", Some(&policy.acceptance_time));
    time("week_ahead_time", policy.week_ahead_time.as_deref());
    time("day_ahead_time", policy.day_ahead_time.as_deref());
    time(
        "week_ahead_email_time",
        policy.week_ahead_email_time.as_deref(),
    );
    if policy.week_ahead_day.is_some() != policy.week_ahead_time.is_some() {
        errors.push(FieldError::new(
            "week_ahead_time",
            "give both the week-ahead day and time, or neither",
        ));
    }
    if policy.week_ahead_email_day.is_some() != policy.week_ahead_email_time.is_some() {
        errors.push(FieldError::new(
            "week_ahead_email_time",
            "give both the week-ahead e-mail's day and time, or neither",
        ));
    }
    if policy.start_lead_minutes > 1440 {
        errors.push(FieldError::new(
            "start_lead_minutes",
            "must be at most 1440 (a day)",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

/// Replaces a programme's policy (operators, their own zones).
pub async fn update_policy(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    programme_id: &str,
    policy: ProgrammePolicy,
) -> Result<Programme, ServiceError> {
    let operator_id = operator_of(actor)?;
    let (programme, zone) = own_programme(db, operator_id, programme_id).await?;
    check_policy(&policy)?;
    let json = serde_json::to_string(&policy)
        .map_err(|e| ServiceError::Internal(sea_orm::DbErr::Custom(e.to_string())))?;
    let txn = db.begin().await?;
    let detail = format!("{} {}: policy {json}", zone.slug, programme.name);
    let mut active: programmes::ActiveModel = programme.into();
    active.policy = Set(Some(json));
    let updated = active.update(&txn).await?;
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        operator_id,
        None,
        "programme_policy_changed",
        detail,
    )
    .await?;
    txn.commit().await?;
    assets::programme(&updated)
}

/// Pounds to whole pence; refuses negative, non-finite and sub-penny amounts.
pub(super) fn pence(name: &str, value: Option<f64>, errors: &mut Vec<FieldError>) -> Option<i64> {
    let v = value?;
    let p = (v * 100.0).round();
    if !v.is_finite() || v < 0.0 {
        errors.push(FieldError::new(name, "must be a positive amount in pounds"));
        None
    } else if (v * 100.0 - p).abs() > 1e-6 {
        errors.push(FieldError::new(name, "must be in whole pence"));
        None
    } else {
        Some(p as i64)
    }
}

pub(super) fn runtime(minutes: Option<i32>) -> String {
    minutes.map_or_else(|| "none".to_owned(), |m| m.to_string())
}

pub(super) fn money(pence: Option<i64>) -> String {
    pence.map_or_else(
        || "none".to_owned(),
        |p| format!("£{:.2}", p as f64 / 100.0),
    )
}

/// Sets a dispatch group's prices in a programme (operators). A price above the unit
/// ceiling is kept, with a warning on the price row; settlement pays at most the ceiling.
pub async fn set_price(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    group_id: &str,
    programme_id: &str,
    input: PriceInput,
) -> Result<DispatchGroup, ServiceError> {
    let operator_id = operator_of(actor)?;
    let (group, zone) = assets::visible_dispatch_group(db, actor, group_id).await?;
    let (programme, _) = own_programme(db, operator_id, programme_id).await?;
    if programme.zone_id != zone.id {
        return Err(ServiceError::invalid(
            "programme_id",
            "is not a programme of the dispatch group's zone",
        ));
    }
    let mut errors = Vec::new();
    let availability = pence("availability_price", input.availability_price, &mut errors);
    let utilisation = pence("utilisation_price", input.utilisation_price, &mut errors);
    // A price above the unit ceiling is kept as entered (the guide's own examples have
    // them): the price table warns, and settlement pays at most the ceiling.
    let ceiling = pence("unit_ceiling", input.unit_ceiling, &mut errors);
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let txn = db.begin().await?;
    prices::Entity::insert(prices::ActiveModel {
        dispatch_group_id: Set(group.id),
        programme_id: Set(programme.id),
        availability_price_pence: Set(availability),
        utilisation_price_pence: Set(utilisation),
        unit_ceiling_pence: Set(ceiling),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([prices::Column::DispatchGroupId, prices::Column::ProgrammeId])
            .update_columns([
                prices::Column::AvailabilityPricePence,
                prices::Column::UtilisationPricePence,
                prices::Column::UnitCeilingPence,
                prices::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        operator_id,
        Some(group.company_id),
        "price_set",
        format!(
            "{} {}: availability {}, utilisation {}, unit ceiling {}",
            group.name,
            programme.name,
            money(availability),
            money(utilisation),
            money(ceiling)
        ),
    )
    .await?;
    txn.commit().await?;
    assets::get_dispatch_group(db, actor, now, group_id).await
}

pub(super) fn check_group(input: &DispatchGroupInput) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new("name", "must be 1 to 100 characters"));
    }
    if !input.power_change_kw.is_finite() || input.power_change_kw <= 0.0 {
        errors.push(FieldError::new("power_change_kw", "must be more than zero"));
    }
    for (name, value) in [
        ("min_runtime_minutes", input.min_runtime_minutes),
        ("max_runtime_minutes", input.max_runtime_minutes),
        ("weekly_runtime_minutes", input.weekly_runtime_minutes),
    ] {
        if value.is_some_and(|v| v < 1) {
            errors.push(FieldError::new(name, "must be at least 1 minute"));
        }
    }
    if let (Some(min), Some(max)) = (input.min_runtime_minutes, input.max_runtime_minutes)
        && min > max
    {
        errors.push(FieldError::new(
            "max_runtime_minutes",
            "must not be below the minimum runtime",
        ));
    }
    if let (Some(max), Some(week)) = (input.max_runtime_minutes, input.weekly_runtime_minutes)
        && week < max
    {
        errors.push(FieldError::new(
            "weekly_runtime_minutes",
            "must not be below the maximum runtime per event",
        ));
    }
    if input.marketplace_units.iter().any(|m| m.trim().is_empty()) {
        errors.push(FieldError::new(
            "marketplace_units",
            "references must not be empty",
        ));
    }
    errors
}

pub(super) async fn name_taken(
    db: &impl ConnectionTrait,
    zone_id: i32,
    name: &str,
    except: Option<i32>,
) -> Result<bool, ServiceError> {
    let mut query = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::ZoneId.eq(zone_id))
        .filter(dispatch_groups::Column::Name.eq(name));
    if let Some(id) = except {
        query = query.filter(dispatch_groups::Column::Id.ne(id));
    }
    Ok(query.count(db).await? > 0)
}

pub(super) async fn replace_marketplace_units(
    db: &impl ConnectionTrait,
    group: i32,
    references: &[String],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    marketplace_units::Entity::delete_many()
        .filter(marketplace_units::Column::DispatchGroupId.eq(group))
        .exec(db)
        .await?;
    let mut references: Vec<&str> = references.iter().map(|r| r.trim()).collect();
    references.sort_unstable();
    references.dedup();
    if references.is_empty() {
        return Ok(());
    }
    marketplace_units::Entity::insert_many(references.into_iter().map(|r| {
        marketplace_units::ActiveModel {
            dispatch_group_id: Set(group),
            marketplace: Set("ElectronConnect".to_owned()),
            reference: Set(r.to_owned()),
            created_at: Set(now),
            ..Default::default()
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Creates a dispatch group for an FSP company the operator contracts, in one of the
/// operator's zones.
pub async fn create_dispatch_group(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    zone: &ZoneSlug,
    company: &str,
    input: DispatchGroupInput,
) -> Result<DispatchGroup, ServiceError> {
    let operator_id = operator_of(actor)?;
    let zone_row = zones::Entity::find()
        .filter(zones::Column::Slug.eq(zone.as_str()))
        .filter(zones::Column::OperatorId.eq(operator_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("zone"))?;
    let mut errors = check_group(&input);
    let company_row = fsp_companies::Entity::find()
        .filter(fsp_companies::Column::Name.eq(company))
        .filter(crate::services::organisations::contracted_by(
            fsp_companies::Column::Id,
            operator_id,
        ))
        .one(db)
        .await?;
    if company_row.is_none() {
        errors.push(FieldError::new(
            "company",
            "no FSP company of yours has this name",
        ));
    }
    if name_taken(db, zone_row.id, input.name.trim(), None).await? {
        errors.push(FieldError::new("name", "is already used in this zone"));
    }
    let (Some(company_row), true) = (company_row, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let txn = db.begin().await?;
    let group = dispatch_groups::ActiveModel {
        public_id: Set(new_public_id().to_string()),
        zone_id: Set(zone_row.id),
        company_id: Set(company_row.id),
        name: Set(input.name.trim().to_owned()),
        power_change_kw: Set(input.power_change_kw),
        direction: Set(input.direction.as_str().to_owned()),
        min_runtime_minutes: Set(input.min_runtime_minutes),
        max_runtime_minutes: Set(input.max_runtime_minutes),
        weekly_runtime_minutes: Set(input.weekly_runtime_minutes),
        created_at: Set(now),
        retired_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    replace_marketplace_units(&txn, group.id, &input.marketplace_units, now).await?;
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        operator_id,
        Some(company_row.id),
        "dispatch_group_created",
        format!(
            "{} in {} for {}",
            group.name, zone_row.slug, company_row.name
        ),
    )
    .await?;
    txn.commit().await?;
    assets::get_dispatch_group(db, actor, now, &group.public_id).await
}

/// Changes a dispatch group's fields (operators).
pub async fn update_dispatch_group(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    group_id: &str,
    input: DispatchGroupInput,
) -> Result<DispatchGroup, ServiceError> {
    let operator_id = operator_of(actor)?;
    let (group, zone) = assets::visible_dispatch_group(db, actor, group_id).await?;
    let mut errors = check_group(&input);
    if name_taken(db, zone.id, input.name.trim(), Some(group.id)).await? {
        errors.push(FieldError::new("name", "is already used in this zone"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let txn = db.begin().await?;
    let detail = format!(
        "{} → {}: {} kW {}, min/max/weekly runtime {}/{}/{} min",
        group.name,
        input.name.trim(),
        input.power_change_kw,
        input.direction.as_str(),
        runtime(input.min_runtime_minutes),
        runtime(input.max_runtime_minutes),
        runtime(input.weekly_runtime_minutes)
    );
    let company_id = group.company_id;
    let id = group.id;
    let mut active: dispatch_groups::ActiveModel = group.into();
    active.name = Set(input.name.trim().to_owned());
    active.power_change_kw = Set(input.power_change_kw);
    active.direction = Set(input.direction.as_str().to_owned());
    active.min_runtime_minutes = Set(input.min_runtime_minutes);
    active.max_runtime_minutes = Set(input.max_runtime_minutes);
    active.weekly_runtime_minutes = Set(input.weekly_runtime_minutes);
    active.update(&txn).await?;
    replace_marketplace_units(&txn, id, &input.marketplace_units, now).await?;
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        operator_id,
        Some(company_id),
        "dispatch_group_changed",
        detail,
    )
    .await?;
    txn.commit().await?;
    assets::get_dispatch_group(db, actor, now, group_id).await
}

/// Retires a dispatch group and its meterable units (operators): they leave the lists
/// and take no new declarations or readings; their history stays.
pub async fn retire_dispatch_group(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    group_id: &str,
) -> Result<(), ServiceError> {
    let operator_id = operator_of(actor)?;
    let (group, _) = assets::visible_dispatch_group(db, actor, group_id).await?;
    if group.retired_at.is_some() {
        return Ok(());
    }
    let txn = db.begin().await?;
    meterable_units::Entity::update_many()
        .col_expr(
            meterable_units::Column::RetiredAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(meterable_units::Column::DispatchGroupId.eq(group.id))
        .filter(meterable_units::Column::RetiredAt.is_null())
        .exec(&txn)
        .await?;
    let (name, company_id) = (group.name.clone(), group.company_id);
    let mut active: dispatch_groups::ActiveModel = group.into();
    active.retired_at = Set(Some(now));
    active.update(&txn).await?;
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        operator_id,
        Some(company_id),
        "dispatch_group_retired",
        name,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub(super) fn check_unit(input: &MeterableUnitInput) -> Result<(), ServiceError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::invalid("name", "must be 1 to 100 characters"));
    }
    Ok(())
}

/// Adds a meterable unit to a dispatch group (operators). Its baseline starts unset.
pub async fn create_meterable_unit(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    group_id: &str,
    input: MeterableUnitInput,
) -> Result<MeterableUnit, ServiceError> {
    let operator_id = operator_of(actor)?;
    let (group, _) = assets::visible_dispatch_group(db, actor, group_id).await?;
    if group.retired_at.is_some() {
        return Err(ServiceError::invalid(
            "dispatch_group_id",
            "this dispatch group is retired",
        ));
    }
    check_unit(&input)?;
    let txn = db.begin().await?;
    let unit = meterable_units::ActiveModel {
        public_id: Set(new_public_id().to_string()),
        dispatch_group_id: Set(group.id),
        name: Set(input.name.trim().to_owned()),
        metering_granularity: Set(input.metering_granularity.as_str().to_owned()),
        baseline_method: Set(BaselineMethod::None.as_str().to_owned()),
        baseline_static_kw: Set(None),
        created_at: Set(now),
        retired_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        operator_id,
        Some(group.company_id),
        "meterable_unit_created",
        format!("{} in {}", unit.name, group.name),
    )
    .await?;
    txn.commit().await?;
    assets::get_meterable_unit(db, actor, now, &unit.public_id).await
}

/// Changes a meterable unit (operators). Its granularity is fixed once it has readings.
pub async fn update_meterable_unit(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    unit_id: &str,
    input: MeterableUnitInput,
) -> Result<MeterableUnit, ServiceError> {
    let operator_id = operator_of(actor)?;
    let (unit, group, _) = assets::visible_unit(db, actor, unit_id).await?;
    check_unit(&input)?;
    if unit.metering_granularity != input.metering_granularity.as_str()
        && readings::Entity::find()
            .filter(readings::Column::MeterableUnitId.eq(unit.id))
            .count(db)
            .await?
            > 0
    {
        return Err(ServiceError::invalid(
            "metering_granularity",
            "cannot change once the unit has readings",
        ));
    }
    let txn = db.begin().await?;
    let detail = format!(
        "{} → {} ({})",
        unit.name,
        input.name.trim(),
        input.metering_granularity.as_str()
    );
    let mut active: meterable_units::ActiveModel = unit.into();
    active.name = Set(input.name.trim().to_owned());
    active.metering_granularity = Set(input.metering_granularity.as_str().to_owned());
    active.update(&txn).await?;
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        operator_id,
        Some(group.company_id),
        "meterable_unit_changed",
        detail,
    )
    .await?;
    txn.commit().await?;
    assets::get_meterable_unit(db, actor, now, unit_id).await
}

/// Retires a meterable unit (operators).
pub async fn retire_meterable_unit(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    unit_id: &str,
) -> Result<(), ServiceError> {
    let operator_id = operator_of(actor)?;
    let (unit, group, _) = assets::visible_unit(db, actor, unit_id).await?;
    if unit.retired_at.is_some() {
        return Ok(());
    }
    let txn = db.begin().await?;
    let name = unit.name.clone();
    let mut active: meterable_units::ActiveModel = unit.into();
    active.retired_at = Set(Some(now));
    active.update(&txn).await?;
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        operator_id,
        Some(group.company_id),
        "meterable_unit_retired",
        name,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
