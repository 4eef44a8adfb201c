//! Event reports from stored data: the events that ended, their readings and baselines
//! loaded in a few queries, computed by [`super::performance`]; the sample report.

use super::*;

/// When an event's instruction actually ended: its end, or the emergency stop.
pub(super) fn effective_end(event: &dispatch_events::Model) -> DateTime<Utc> {
    event
        .stopped_at
        .map_or(event.end_at, |stop| stop.min(event.end_at))
        .max(event.start_at)
}

/// Everything the reports of a set of events need, loaded in a fixed number of queries.
pub(super) struct Loaded {
    groups: HashMap<i32, dispatch_groups::Model>,
    zones: HashMap<i32, zones::Model>,
    programmes: HashMap<i32, programmes::Model>,
    companies: HashMap<i32, fsp_companies::Model>,
    units: HashMap<i32, Vec<meterable_units::Model>>,
    sources: HashMap<i32, Source>,
    prices: HashMap<(i32, i32), prices::Model>,
    windows: HashMap<i32, availability_windows::Model>,
    /// (unit, stamp) → kW or kWh.
    readings: HashMap<i32, HashMap<DateTime<Utc>, f64>>,
}

/// Events per readings query: each adds one range condition.
pub(super) const READINGS_CHUNK: usize = 200;

pub(super) async fn load(
    db: &impl ConnectionTrait,
    events: &[dispatch_events::Model],
) -> Result<Loaded, ServiceError> {
    let group_ids: Vec<i32> = events.iter().map(|e| e.dispatch_group_id).collect();
    let groups: HashMap<i32, dispatch_groups::Model> = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::Id.is_in(group_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let zones = zones::Entity::find()
        .filter(zones::Column::Id.is_in(groups.values().map(|g| g.zone_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|z| (z.id, z))
        .collect();
    let programmes = programmes::Entity::find()
        .filter(programmes::Column::Id.is_in(events.iter().map(|e| e.programme_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let companies = fsp_companies::Entity::find()
        .filter(fsp_companies::Column::Id.is_in(groups.values().map(|g| g.company_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut units: HashMap<i32, Vec<meterable_units::Model>> = HashMap::new();
    for unit in meterable_units::Entity::find()
        .filter(meterable_units::Column::DispatchGroupId.is_in(group_ids.clone()))
        .order_by_asc(meterable_units::Column::Name)
        .all(db)
        .await?
    {
        units.entry(unit.dispatch_group_id).or_default().push(unit);
    }
    let mut sources = HashMap::new();
    for unit in units.values().flatten() {
        sources.insert(unit.id, baselines::source_of(db, unit).await?);
    }
    let prices = prices::Entity::find()
        .filter(prices::Column::DispatchGroupId.is_in(group_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| ((p.dispatch_group_id, p.programme_id), p))
        .collect();
    let windows = availability_windows::Entity::find()
        .filter(
            availability_windows::Column::Id
                .is_in(events.iter().filter_map(|e| e.availability_window_id)),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    let mut readings: HashMap<i32, HashMap<DateTime<Utc>, f64>> = HashMap::new();
    for chunk in events.chunks(READINGS_CHUNK) {
        let mut any = Condition::any();
        for event in chunk {
            let ids: Vec<i32> = units
                .get(&event.dispatch_group_id)
                .map(|us| us.iter().map(|u| u.id).collect())
                .unwrap_or_default();
            if ids.is_empty() {
                continue;
            }
            any = any.add(
                Condition::all()
                    .add(readings::Column::MeterableUnitId.is_in(ids))
                    .add(readings::Column::IntervalEnd.gt(event.start_at))
                    .add(readings::Column::IntervalEnd.lte(effective_end(event))),
            );
        }
        if any.is_empty() {
            continue;
        }
        for r in readings::Entity::find().filter(any).all(db).await? {
            if let Some(value) = r.power_kw.or(r.energy_kwh) {
                readings
                    .entry(r.meterable_unit_id)
                    .or_default()
                    .insert(r.interval_end, value);
            }
        }
    }
    Ok(Loaded {
        groups,
        zones,
        programmes,
        companies,
        units,
        sources,
        prices,
        windows,
        readings,
    })
}

/// Computes the reports of `events` from the stored data. `factors` gives each group's
/// performance factor where the programme uses last month's delivery.
pub(super) fn compute(
    loaded: &Loaded,
    events: &[dispatch_events::Model],
    with_intervals: bool,
    factors: &HashMap<i32, f64>,
) -> Result<Vec<EventReport>, ServiceError> {
    let empty = HashMap::new();
    events
        .iter()
        .map(|event| {
            let group = loaded
                .groups
                .get(&event.dispatch_group_id)
                .ok_or_else(|| corrupt("group"))?;
            let zone = loaded
                .zones
                .get(&group.zone_id)
                .ok_or_else(|| corrupt("zone"))?;
            let programme = loaded
                .programmes
                .get(&event.programme_id)
                .ok_or_else(|| corrupt("programme"))?;
            let company = loaded
                .companies
                .get(&group.company_id)
                .ok_or_else(|| corrupt("company"))?;
            let policy = policy_of(programme)?;
            let direction =
                Direction::parse(&group.direction).ok_or_else(|| corrupt("direction"))?;
            let end = effective_end(event);
            // Units that were part of the group during the event.
            let units: Vec<&meterable_units::Model> = loaded
                .units
                .get(&group.id)
                .map(|us| {
                    us.iter()
                        .filter(|u| {
                            u.created_at < end && u.retired_at.is_none_or(|r| r > event.start_at)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let share = if units.is_empty() {
                0.0
            } else {
                event.power_change_kw / units.len() as f64
            };
            let mut totals = Totals::default();
            let mut lines = Vec::with_capacity(units.len());
            for unit in units {
                let granularity = MeteringGranularity::parse(&unit.metering_granularity)
                    .ok_or_else(|| corrupt("granularity"))?;
                let source = loaded
                    .sources
                    .get(&unit.id)
                    .ok_or_else(|| corrupt("baseline"))?;
                let baseline: HashMap<DateTime<Utc>, f64> =
                    baselines::series_from(source, granularity, event.start_at, end)
                        .into_iter()
                        .map(|p| (p.start, p.kw))
                        .collect();
                let (intervals, unit_totals) = unit_performance(
                    granularity,
                    share,
                    direction_sign(direction),
                    event.start_at,
                    end,
                    &baseline,
                    loaded.readings.get(&unit.id).unwrap_or(&empty),
                );
                totals.add(&unit_totals);
                lines.push(UnitPerformance {
                    meterable_unit_id: PublicId::parse(&unit.public_id)
                        .map_err(|_| corrupt("unit id"))?,
                    meterable_unit: unit.name.clone(),
                    metering_granularity: granularity,
                    instructed_kw: share,
                    instructed_kwh: unit_totals.instructed_kwh,
                    delivered_kwh: unit_totals.delivered_kwh,
                    delivery_percent: unit_totals.delivery_percent(),
                    completeness_percent: unit_totals.completeness_percent(),
                    missing_intervals: unit_totals.missing(),
                    intervals: if with_intervals {
                        intervals
                    } else {
                        Vec::new()
                    },
                });
            }
            let window = event
                .availability_window_id
                .and_then(|id| loaded.windows.get(&id))
                .and_then(
                    |w| match (w.accepted_kw, w.acceptance_start, w.acceptance_end) {
                        (Some(kw), Some(a), Some(b)) => {
                            Some((kw, (b - a).num_seconds() as f64 / 3600.0))
                        }
                        _ => None,
                    },
                );
            let performance_factor = match policy.performance_factor {
                PerformanceFactor::One => 1.0,
                PerformanceFactor::LastMonth => factors.get(&group.id).copied().unwrap_or(1.0),
            };
            let earnings = earnings(&EarningsInput {
                totals,
                scale: policy.delivery_scale,
                pays_availability: policy.payment_basis == PaymentBasis::AvailabilityAndUtilisation,
                price: loaded.prices.get(&(group.id, programme.id)).cloned(),
                window,
                performance_factor,
            });
            Ok(EventReport {
                id: PublicId::parse(&event.public_id).map_err(|_| corrupt("dispatch id"))?,
                status: ReportStatus::Provisional,
                version: 0,
                zone_id: zone.slug.clone(),
                zone: zone.name.clone(),
                programme: programme.name.clone(),
                company: company.name.clone(),
                dispatch_group_id: PublicId::parse(&group.public_id)
                    .map_err(|_| corrupt("group id"))?,
                dispatch_group: group.name.clone(),
                direction,
                start: event.start_at,
                end,
                power_change_kw: event.power_change_kw,
                instructed_kwh: totals.instructed_kwh,
                delivered_kwh: totals.delivered_kwh,
                delivery_percent: totals.delivery_percent(),
                completeness_percent: totals.completeness_percent(),
                missing_intervals: totals.missing(),
                units: lines,
                earnings,
            })
        })
        .collect()
}

/// Events of the groups `visible` selects that ended (or were stopped) in `[from, to)` by
/// `now`, cancelled ones aside, oldest first.
pub(super) async fn ended_events(
    db: &impl ConnectionTrait,
    visible: sea_orm::sea_query::SelectStatement,
    zone: Option<i32>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<dispatch_events::Model>, ServiceError> {
    let mut query = dispatch_events::Entity::find()
        .filter(dispatch_events::Column::DispatchGroupId.in_subquery(visible))
        .filter(dispatch_events::Column::Status.ne(DispatchStatus::Cancelled.as_str()))
        .filter(dispatch_events::Column::StartAt.lt(to))
        .filter(dispatch_events::Column::EndAt.gt(from));
    if let Some(zone) = zone {
        query = query.filter(
            dispatch_events::Column::DispatchGroupId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(dispatch_groups::Column::Id)
                    .from(dispatch_groups::Entity)
                    .and_where(dispatch_groups::Column::ZoneId.eq(zone))
                    .to_owned(),
            ),
        );
    }
    Ok(query
        .order_by_asc(dispatch_events::Column::StartAt)
        .order_by_asc(dispatch_events::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|e| {
            let end = effective_end(e);
            end <= now && end > from && end <= to
        })
        .collect())
}

/// Each group's average delivery % over its events in the month before `month` (as a
/// factor, at most 1), for programmes whose performance factor is last month's delivery.
pub(crate) async fn last_month_factors(
    db: &impl ConnectionTrait,
    groups: &[i32],
    month: Month,
    now: DateTime<Utc>,
) -> Result<HashMap<i32, f64>, ServiceError> {
    if groups.is_empty() {
        return Ok(HashMap::new());
    }
    let (from, to) = month_bounds(month.previous())?;
    let visible = sea_orm::sea_query::Query::select()
        .column(dispatch_groups::Column::Id)
        .from(dispatch_groups::Entity)
        .and_where(dispatch_groups::Column::Id.is_in(groups.iter().copied()))
        .to_owned();
    let previous = ended_events(db, visible, None, from, to, now).await?;
    if previous.is_empty() {
        return Ok(HashMap::new());
    }
    let loaded = load(db, &previous).await?;
    let reports = compute(&loaded, &previous, false, &HashMap::new())?;
    let mut sums: HashMap<i32, (f64, f64)> = HashMap::new();
    for (event, report) in previous.iter().zip(&reports) {
        let entry = sums.entry(event.dispatch_group_id).or_default();
        entry.0 += report.delivery_percent;
        entry.1 += 1.0;
    }
    Ok(sums
        .into_iter()
        .map(|(group, (sum, n))| (group, (sum / n / 100.0).min(1.0)))
        .collect())
}

/// The groups of `events` whose programme pays availability by last month's delivery: the
/// only ones whose previous month needs computing.
pub(super) fn factor_groups(
    events: &[dispatch_events::Model],
    programmes: &HashMap<i32, programmes::Model>,
) -> Result<Vec<i32>, ServiceError> {
    let mut ids = Vec::new();
    for event in events {
        let programme = programmes
            .get(&event.programme_id)
            .ok_or_else(|| corrupt("programme"))?;
        if policy_of(programme)?.performance_factor == PerformanceFactor::LastMonth {
            ids.push(event.dispatch_group_id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The provisional reports, computed now, of the events of the groups `visible` selects
/// that ended in `month` (London), optionally in one zone, each with its event.
pub async fn compute_month(
    db: &impl ConnectionTrait,
    visible: sea_orm::sea_query::SelectStatement,
    zone: Option<i32>,
    month: Month,
    now: DateTime<Utc>,
    with_intervals: bool,
) -> Result<Vec<(dispatch_events::Model, EventReport)>, ServiceError> {
    let (from, to) = month_bounds(month)?;
    let events = ended_events(db, visible, zone, from, to, now).await?;
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let loaded = load(db, &events).await?;
    let factors =
        last_month_factors(db, &factor_groups(&events, &loaded.programmes)?, month, now).await?;
    let reports = compute(&loaded, &events, with_intervals, &factors)?;
    Ok(events.into_iter().zip(reports).collect())
}

/// A dispatch the caller may see that has ended (or been stopped) by `now` and was not
/// cancelled: one that has a report.
pub(crate) async fn ended_event(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    id: &str,
) -> Result<dispatch_events::Model, ServiceError> {
    let event = match crate::services::dispatch::visible_event(db, actor, id).await {
        Err(ServiceError::NotFound(_)) => return Err(ServiceError::NotFound("event report")),
        other => other?,
    };
    if event.status == DispatchStatus::Cancelled.as_str() || effective_end(&event) > now {
        return Err(ServiceError::NotFound("event report"));
    }
    Ok(event)
}

/// One event's provisional report, computed now, with every interval.
pub(crate) async fn report_of(
    db: &impl ConnectionTrait,
    event: dispatch_events::Model,
    now: DateTime<Utc>,
) -> Result<EventReport, ServiceError> {
    let month = Month::of(effective_end(&event).with_timezone(&London).date_naive());
    let events = vec![event];
    let loaded = load(db, &events).await?;
    let factors =
        last_month_factors(db, &factor_groups(&events, &loaded.programmes)?, month, now).await?;
    compute(&loaded, &events, true, &factors)?
        .pop()
        .ok_or(ServiceError::NotFound("event report"))
}

/// The id the sample report carries: never a real dispatch's.
pub const SAMPLE_ID: &str = "SampleEventReport000";

/// API Testing › Sample Reports: an example event report and statement computed by the
/// settlement code above from the caller's sandbox data — a real dispatch group, unit,
/// baseline, prices and programme policy in a sandbox zone — with an invented one-hour
/// event yesterday and invented readings (a five-minute ramp, ten minutes above the
/// instruction, three missing). Nothing is stored.
pub async fn sample(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(EventReport, shared::Statement), ServiceError> {
    let sandbox = sea_orm::sea_query::Query::select()
        .column(zones::Column::Id)
        .from(zones::Entity)
        .and_where(zones::Column::Sandbox.eq(true))
        .to_owned();
    let group = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::Id.in_subquery(assets::visible_group_ids(actor)))
        .filter(dispatch_groups::Column::ZoneId.in_subquery(sandbox))
        .filter(dispatch_groups::Column::RetiredAt.is_null())
        .order_by_asc(dispatch_groups::Column::Name)
        .all(db)
        .await?;
    let mut chosen = None;
    for g in group {
        let unit = meterable_units::Entity::find()
            .filter(meterable_units::Column::DispatchGroupId.eq(g.id))
            .filter(meterable_units::Column::RetiredAt.is_null())
            .filter(meterable_units::Column::MeteringGranularity.eq("per_minute"))
            .order_by_asc(meterable_units::Column::Name)
            .one(db)
            .await?;
        if let Some(unit) = unit {
            chosen = Some((g, unit));
            break;
        }
    }
    let Some((group, mut unit)) = chosen else {
        return Err(ServiceError::NotFound(
            "sandbox dispatch group with a per-minute unit",
        ));
    };
    let zone = zones::Entity::find_by_id(group.zone_id)
        .one(db)
        .await?
        .ok_or_else(|| corrupt("zone"))?;
    let company = fsp_companies::Entity::find_by_id(group.company_id)
        .one(db)
        .await?
        .ok_or_else(|| corrupt("company"))?;
    let programmes: Vec<programmes::Model> = programmes::Entity::find()
        .filter(programmes::Column::ZoneId.eq(zone.id))
        .order_by_asc(programmes::Column::Id)
        .all(db)
        .await?;
    let prices: Vec<prices::Model> = prices::Entity::find()
        .filter(prices::Column::DispatchGroupId.eq(group.id))
        .all(db)
        .await?;
    // A programme the group is priced in, Sustain first (it pays availability too).
    let programme = programmes
        .iter()
        .filter(|p| prices.iter().any(|pr| pr.programme_id == p.id))
        .min_by_key(|p| (p.kind != "sustain", p.id))
        .or_else(|| programmes.first())
        .cloned()
        .ok_or_else(|| corrupt("programme"))?;
    let source = baselines::source_of(db, &unit).await?;
    let source = match source {
        Source::None => Source::Static(-400.0),
        other => other,
    };
    let direction = Direction::parse(&group.direction).ok_or_else(|| corrupt("direction"))?;
    let day = now
        .with_timezone(&London)
        .date_naive()
        .pred_opt()
        .ok_or_else(|| corrupt("day"))?;
    let start = london_instant(day, 16 * 60).ok_or_else(|| corrupt("start"))?;
    let end = start + Duration::hours(1);
    let kw = group.power_change_kw.min(250.0);
    // The unit as it stands took part (its registration date does not matter here).
    unit.created_at = start - Duration::days(1);
    let baseline: HashMap<DateTime<Utc>, f64> =
        baselines::series_from(&source, MeteringGranularity::PerMinute, start, end)
            .into_iter()
            .map(|p| (p.start, p.kw))
            .collect();
    let sign = direction_sign(direction);
    let readings: HashMap<DateTime<Utc>, f64> = (1..=60_i64)
        .filter(|m| !(41..=43).contains(m))
        .map(|m| {
            let slot = start + Duration::minutes(m - 1);
            let ramp = (m as f64 / 5.0).min(1.0);
            let effort = if (20..30).contains(&m) { 1.1 } else { 0.95 };
            let base = baseline.get(&slot).copied().unwrap_or(0.0);
            (
                slot + Duration::minutes(1),
                base + sign * kw * ramp * effort,
            )
        })
        .collect();
    let event = dispatch_events::Model {
        id: 0,
        public_id: SAMPLE_ID.to_owned(),
        dispatch_group_id: group.id,
        programme_id: programme.id,
        availability_window_id: Some(0),
        start_at: start,
        end_at: end,
        power_change_kw: kw,
        status: DispatchStatus::Active.as_str().to_owned(),
        stopped_at: None,
        created_by_user_id: None,
        created_at: start,
        updated_at: start,
    };
    let window = availability_windows::Model {
        id: 0,
        public_id: SAMPLE_ID.to_owned(),
        dispatch_group_id: group.id,
        programme_id: programme.id,
        week_commencing: day,
        day,
        start_local: "16:00".to_owned(),
        end_local: "17:00".to_owned(),
        start_at: start,
        end_at: end,
        declared_kw: kw,
        status: shared::DeclarationStatus::Accepted.as_str().to_owned(),
        accepted_kw: Some(kw),
        acceptance_start: Some(start),
        acceptance_end: Some(end),
        created_by_user_id: None,
        created_at: start,
        updated_at: start,
        decided_by_user_id: None,
        decided_at: None,
        decided_by: Some(shared::DecidedBy::Operator.as_str().to_owned()),
    };
    let loaded = Loaded {
        groups: HashMap::from([(group.id, group.clone())]),
        zones: HashMap::from([(zone.id, zone.clone())]),
        programmes: HashMap::from([(programme.id, programme.clone())]),
        companies: HashMap::from([(company.id, company.clone())]),
        units: HashMap::from([(group.id, vec![unit.clone()])]),
        sources: HashMap::from([(unit.id, source)]),
        prices: prices
            .into_iter()
            .map(|p| ((p.dispatch_group_id, p.programme_id), p))
            .collect(),
        windows: HashMap::from([(0, window)]),
        readings: HashMap::from([(unit.id, readings)]),
    };
    let report = compute(&loaded, &[event], true, &HashMap::new())?
        .pop()
        .ok_or_else(|| corrupt("sample report"))?;
    let e = &report.earnings;
    let line = shared::StatementLine {
        dispatch_group_id: report.dispatch_group_id.clone(),
        dispatch_group: report.dispatch_group.clone(),
        programme: report.programme.clone(),
        events: 1,
        windows: i32::from(e.accepted_mw > 0.0),
        delivered_mwh: e.delivered_mwh,
        availability_gbp: e.availability_gbp,
        utilisation_gbp: e.utilisation_gbp,
        total_gbp: e.total_gbp,
    };
    let operator = crate::db::entities::operators::Entity::find_by_id(zone.operator_id)
        .one(db)
        .await?
        .ok_or_else(|| corrupt("operator"))?;
    let month = Month::of(day);
    let statement = shared::Statement {
        id: format!("{month}.{}.sample", zone.slug),
        month: month.to_string(),
        status: ReportStatus::Provisional,
        version: 0,
        reason: None,
        issued_at: None,
        company_id: PublicId::parse(&company.public_id).map_err(|_| corrupt("company id"))?,
        company: company.name,
        company_number: company.companies_house_number,
        vat_number: company.vat_number,
        billing_address: company.billing_address,
        operator: operator.name,
        zone_id: zone.slug,
        zone: zone.name,
        availability_gbp: line.availability_gbp,
        utilisation_gbp: line.utilisation_gbp,
        total_gbp: line.total_gbp,
        lines: vec![line],
    };
    Ok((report, statement))
}
