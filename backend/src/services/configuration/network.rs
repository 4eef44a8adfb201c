//! Zones and their programmes: created with the standard set, renamed, a programme added.

use super::*;

/// The programmes a new zone starts with, each with its kind's default policy.
pub const STANDARD_PROGRAMMES: &[(shared::ProgrammeKind, bool)] = &[
    (shared::ProgrammeKind::Sustain, false),
    (shared::ProgrammeKind::Secure, false),
    (shared::ProgrammeKind::Dynamic, false),
    (shared::ProgrammeKind::Restore, false),
    (shared::ProgrammeKind::EmergencyFlex, false),
];

/// Creates one of the operator's zones (a sandbox zone for integration testing when
/// `sandbox`), with the standard programmes.
pub async fn create_zone(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    slug: &str,
    name: &str,
    sandbox: bool,
) -> Result<shared::Zone, ServiceError> {
    let operator_id = operator_of(actor)?;
    let mut errors = Vec::new();
    let slug_ok = ZoneSlug::parse(slug).ok();
    if slug_ok.is_none() {
        errors.push(FieldError::new(
            "id",
            "must be lower-case letters, digits and hyphens, e.g. isle-of-skye",
        ));
    } else if zones::Entity::find()
        .filter(zones::Column::Slug.eq(slug))
        .count(db)
        .await?
        > 0
    {
        errors.push(FieldError::new("id", "is already used"));
    }
    if name.trim().is_empty() || name.trim().chars().count() > 100 {
        errors.push(FieldError::new("name", "must be 1 to 100 characters"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let txn = db.begin().await?;
    let zone = zones::ActiveModel {
        slug: Set(slug.to_owned()),
        operator_id: Set(operator_id),
        name: Set(name.trim().to_owned()),
        sandbox: Set(sandbox),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (kind, auction) in STANDARD_PROGRAMMES {
        programmes::ActiveModel {
            public_id: Set(new_public_id().to_string()),
            zone_id: Set(zone.id),
            kind: Set(kind.as_str().to_owned()),
            auction: Set(*auction),
            name: Set(kind.label().to_owned()),
            product_code: Set(kind.product_code().map(|c| c.as_str().to_owned())),
            created_at: Set(now),
            policy: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        operator_id,
        None,
        "zone_created",
        format!(
            "{slug} ({}){}",
            zone.name,
            if sandbox { ", sandbox" } else { "" }
        ),
    )
    .await?;
    txn.commit().await?;
    let zone_slug = slug_ok.ok_or(ServiceError::NotFound("zone"))?;
    assets::list_zones(db, actor, now)
        .await?
        .into_iter()
        .find(|z| z.id == zone_slug)
        .ok_or(ServiceError::NotFound("zone"))
}

/// Renames one of the operator's zones or changes whether it is a sandbox.
pub async fn update_zone(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    slug: &ZoneSlug,
    name: &str,
    sandbox: bool,
) -> Result<shared::Zone, ServiceError> {
    let operator_id = operator_of(actor)?;
    let zone = zones::Entity::find()
        .filter(zones::Column::Slug.eq(slug.as_str()))
        .filter(zones::Column::OperatorId.eq(operator_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("zone"))?;
    if name.trim().is_empty() || name.trim().chars().count() > 100 {
        return Err(ServiceError::invalid("name", "must be 1 to 100 characters"));
    }
    let txn = db.begin().await?;
    let detail = format!(
        "{}: {} → {}, sandbox {} → {sandbox}",
        zone.slug,
        zone.name,
        name.trim(),
        zone.sandbox
    );
    let mut active: zones::ActiveModel = zone.into();
    active.name = Set(name.trim().to_owned());
    active.sandbox = Set(sandbox);
    active.update(&txn).await?;
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        operator_id,
        None,
        "zone_changed",
        detail,
    )
    .await?;
    txn.commit().await?;
    assets::list_zones(db, actor, now)
        .await?
        .into_iter()
        .find(|z| &z.id == slug)
        .ok_or(ServiceError::NotFound("zone"))
}

/// Adds a programme to one of the operator's zones, e.g. the auction variant of a product,
/// with its kind's default policy.
pub async fn create_programme(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    zone: &ZoneSlug,
    kind: shared::ProgrammeKind,
    auction: bool,
) -> Result<Programme, ServiceError> {
    let operator_id = operator_of(actor)?;
    let zone_row = zones::Entity::find()
        .filter(zones::Column::Slug.eq(zone.as_str()))
        .filter(zones::Column::OperatorId.eq(operator_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("zone"))?;
    let exists = programmes::Entity::find()
        .filter(programmes::Column::ZoneId.eq(zone_row.id))
        .filter(programmes::Column::Kind.eq(kind.as_str()))
        .filter(programmes::Column::Auction.eq(auction))
        .count(db)
        .await?
        > 0;
    if exists {
        return Err(ServiceError::invalid(
            "kind",
            "the zone already runs this programme",
        ));
    }
    let name = if auction {
        format!("{} (auction)", kind.label())
    } else {
        kind.label().to_owned()
    };
    let txn = db.begin().await?;
    let row = programmes::ActiveModel {
        public_id: Set(new_public_id().to_string()),
        zone_id: Set(zone_row.id),
        kind: Set(kind.as_str().to_owned()),
        auction: Set(auction),
        name: Set(name.clone()),
        product_code: Set(kind.product_code().map(|c| c.as_str().to_owned())),
        created_at: Set(now),
        policy: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        operator_id,
        None,
        "programme_created",
        format!("{} in {}", name, zone_row.slug),
    )
    .await?;
    txn.commit().await?;
    assets::programme(&row)
}
