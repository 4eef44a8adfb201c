//! Availability › Acceptance Decisions: a week's declarations across the caller's
//! programmes and zones, and the Acceptance CSV (guide §3.6).

use super::*;

/// Every declaration of a week across the programmes and zones the caller may see, for
/// Availability › Acceptance Decisions and its CSV.
pub async fn acceptance(
    db: &DatabaseConnection,
    actor: &Actor,
    week: WeekCommencing,
) -> Result<Vec<AcceptanceRow>, ServiceError> {
    let rows = availability_windows::Entity::find()
        .filter(availability_windows::Column::WeekCommencing.eq(week.date()))
        .filter(
            availability_windows::Column::DispatchGroupId
                .in_subquery(assets::visible_group_ids(actor)),
        )
        .all(db)
        .await?;
    let group_ids: Vec<i32> = rows.iter().map(|r| r.dispatch_group_id).collect();
    let groups: HashMap<i32, dispatch_groups::Model> = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::Id.is_in(group_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let zone_ids: Vec<i32> = groups.values().map(|g| g.zone_id).collect();
    let zones: HashMap<i32, zones::Model> = zones::Entity::find()
        .filter(zones::Column::Id.is_in(zone_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|z| (z.id, z))
        .collect();
    let programme_ids: Vec<i32> = rows.iter().map(|r| r.programme_id).collect();
    let programmes: HashMap<i32, programmes::Model> = programmes::Entity::find()
        .filter(programmes::Column::Id.is_in(programme_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let group = groups
            .get(&r.dispatch_group_id)
            .ok_or_else(|| corrupt("window group"))?;
        let zone = zones
            .get(&group.zone_id)
            .ok_or_else(|| corrupt("group zone"))?;
        let programme = programmes
            .get(&r.programme_id)
            .ok_or_else(|| corrupt("window programme"))?;
        out.push(AcceptanceRow {
            zone: zone.slug.clone(),
            programme: programme.name.clone(),
            dispatch_group_id: public_id(&group.public_id)?,
            dispatch_group: group.name.clone(),
            date: r.day.format("%Y-%m-%d").to_string(),
            window_start: r.start_local.clone(),
            window_end: r.end_local.clone(),
            declared_kw: r.declared_kw,
            status: DeclarationStatus::parse(&r.status).ok_or_else(|| corrupt("window status"))?,
            acceptance_start: r.acceptance_start,
            acceptance_end: r.acceptance_end,
            accepted_kw: r.accepted_kw,
            decided_by: r.decided_by.as_deref().and_then(DecidedBy::parse),
        });
    }
    out.sort_by(|a, b| {
        (
            &a.zone,
            &a.programme,
            &a.dispatch_group,
            &a.date,
            &a.window_start,
        )
            .cmp(&(
                &b.zone,
                &b.programme,
                &b.dispatch_group,
                &b.date,
                &b.window_start,
            ))
    });
    Ok(out)
}

/// The acceptance download (guide §3.6): acceptance columns filled for accepted rows only.
pub fn acceptance_csv(rows: &[AcceptanceRow]) -> Result<String, ServiceError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| corrupt(&format!("CSV: {e}"));
    writer
        .write_record(shared::ACCEPTANCE_CSV_HEADER.split(','))
        .map_err(fail)?;
    let instant = |t: Option<DateTime<Utc>>| t.map(crate::services::rfc3339).unwrap_or_default();
    for r in rows {
        writer
            .write_record(crate::services::csv_record([
                r.zone.clone(),
                r.programme.clone(),
                r.dispatch_group_id.to_string(),
                r.dispatch_group.clone(),
                r.date.clone(),
                r.window_start.clone(),
                r.window_end.clone(),
                r.declared_kw.to_string(),
                r.status.as_str().to_owned(),
                instant(r.acceptance_start),
                instant(r.acceptance_end),
                r.accepted_kw.map(|k| k.to_string()).unwrap_or_default(),
                r.decided_by
                    .map(|d| d.as_str().to_owned())
                    .unwrap_or_default(),
            ]))
            .map_err(fail)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| corrupt(&format!("CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| corrupt(&format!("CSV: {e}")))
}
