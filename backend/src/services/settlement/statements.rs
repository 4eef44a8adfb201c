//! Monthly statements (guide §3.9) and the finalisation of a month: at 00:00 London on the
//! 15th the previous month's statements and event reports are frozen, zone by zone, in one
//! transaction per zone, as version 1. An operator may re-issue a statement with a reason,
//! which freezes the current figures as the next version; earlier versions are kept.

use super::{self as settlement, month_bounds, pennies};
use crate::db::entities::{
    availability_windows, dispatch_groups, event_report_versions, fsp_companies, operators, prices,
    programmes, settlement_months, statement_versions, zones,
};
use crate::services::calendar::policy_of;
use crate::services::{Actor, ServiceError, assets, corrupt};
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Europe::London;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use shared::{
    EventReport, Month, PaymentBasis, PerformanceFactor, PublicId, ReportStatus, Statement,
    StatementLine, StatementVersion,
};
use std::collections::{BTreeMap, HashMap};

mod finalisation;
pub use finalisation::*;

/// A statement's stable id: `{month}.{zone slug}.{company public id}`.
pub(super) fn statement_id(
    month: Month,
    zone: &zones::Model,
    company: &fsp_companies::Model,
) -> String {
    format!("{month}.{}.{}", zone.slug, company.public_id)
}

/// The zone's statements for `month` computed now (for one company, or all), with the
/// event reports they sum: `(event id, company id, report)`.
pub async fn compute_zone(
    db: &impl ConnectionTrait,
    zone: &zones::Model,
    company: Option<i32>,
    month: Month,
    now: DateTime<Utc>,
    with_intervals: bool,
) -> Result<(Vec<Statement>, Vec<(i32, i32, EventReport)>), ServiceError> {
    let mut scope = Query::select()
        .column(dispatch_groups::Column::Id)
        .from(dispatch_groups::Entity)
        .and_where(dispatch_groups::Column::ZoneId.eq(zone.id))
        .to_owned();
    if let Some(company) = company {
        scope.and_where(dispatch_groups::Column::CompanyId.eq(company));
    }
    let computed =
        settlement::compute_month(db, scope, Some(zone.id), month, now, with_intervals).await?;
    let mut groups_query =
        dispatch_groups::Entity::find().filter(dispatch_groups::Column::ZoneId.eq(zone.id));
    if let Some(company) = company {
        groups_query = groups_query.filter(dispatch_groups::Column::CompanyId.eq(company));
    }
    let groups: HashMap<i32, dispatch_groups::Model> = groups_query
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let (from, to) = month_bounds(month)?;
    let windows = availability_windows::Entity::find()
        .filter(availability_windows::Column::DispatchGroupId.is_in(groups.keys().copied()))
        .filter(
            availability_windows::Column::Status.eq(shared::DeclarationStatus::Accepted.as_str()),
        )
        .filter(availability_windows::Column::AcceptanceStart.gte(from))
        .filter(availability_windows::Column::AcceptanceStart.lt(to))
        .order_by_asc(availability_windows::Column::AcceptanceStart)
        .all(db)
        .await?;
    let programmes: HashMap<i32, programmes::Model> = programmes::Entity::find()
        .filter(programmes::Column::ZoneId.eq(zone.id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let prices: HashMap<(i32, i32), prices::Model> = prices::Entity::find()
        .filter(prices::Column::DispatchGroupId.is_in(groups.keys().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| ((p.dispatch_group_id, p.programme_id), p))
        .collect();
    // Last month's delivery matters only to windows of programmes that pay by it.
    let mut factor_groups = Vec::new();
    for window in &windows {
        let programme = programmes
            .get(&window.programme_id)
            .ok_or_else(|| corrupt("programme"))?;
        if policy_of(programme)?.performance_factor == PerformanceFactor::LastMonth {
            factor_groups.push(window.dispatch_group_id);
        }
    }
    factor_groups.sort_unstable();
    factor_groups.dedup();
    let factors = settlement::last_month_factors(db, &factor_groups, month, now).await?;

    #[derive(Default)]
    struct Sums {
        events: i32,
        windows: i32,
        delivered_mwh: f64,
        availability: f64,
        utilisation: f64,
    }
    let mut sums: BTreeMap<(i32, i32), Sums> = BTreeMap::new();
    let mut reports = Vec::with_capacity(computed.len());
    // Each window's events' delivery: a window whose events all delivered nothing earns no
    // availability.
    let mut delivered_in_window: HashMap<i32, f64> = HashMap::new();
    for (event, report) in computed {
        if let Some(window) = event.availability_window_id {
            *delivered_in_window.entry(window).or_default() += report.delivered_kwh;
        }
        let line = sums
            .entry((event.dispatch_group_id, event.programme_id))
            .or_default();
        line.events += 1;
        line.delivered_mwh += report.earnings.delivered_mwh;
        line.utilisation += report.earnings.utilisation_gbp;
        let company = groups
            .get(&event.dispatch_group_id)
            .map(|g| g.company_id)
            .ok_or_else(|| corrupt("group"))?;
        reports.push((event.id, company, report));
    }
    for window in &windows {
        let programme = programmes
            .get(&window.programme_id)
            .ok_or_else(|| corrupt("programme"))?;
        let policy = policy_of(programme)?;
        if policy.payment_basis != PaymentBasis::AvailabilityAndUtilisation {
            continue;
        }
        let (Some(kw), Some(a), Some(b)) = (
            window.accepted_kw,
            window.acceptance_start,
            window.acceptance_end,
        ) else {
            continue;
        };
        let wholly_unavailable = delivered_in_window
            .get(&window.id)
            .is_some_and(|delivered| *delivered <= 0.0);
        let price = prices.get(&(window.dispatch_group_id, window.programme_id));
        let ceiling = price.and_then(|p| p.unit_ceiling_pence);
        let rate = settlement::applied(price.and_then(|p| p.availability_price_pence), ceiling);
        let factor = match policy.performance_factor {
            PerformanceFactor::One => 1.0,
            PerformanceFactor::LastMonth => factors
                .get(&window.dispatch_group_id)
                .copied()
                .unwrap_or(1.0),
        };
        let hours = (b - a).num_seconds() as f64 / 3600.0;
        let line = sums
            .entry((window.dispatch_group_id, window.programme_id))
            .or_default();
        line.windows += 1;
        if !wholly_unavailable {
            line.availability += pennies(kw / 1000.0 * hours * rate * factor);
        }
    }

    let companies: HashMap<i32, fsp_companies::Model> = fsp_companies::Entity::find()
        .filter(fsp_companies::Column::Id.is_in(groups.values().map(|g| g.company_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let operator = operators::Entity::find_by_id(zone.operator_id)
        .one(db)
        .await?
        .ok_or_else(|| corrupt("operator"))?;
    let mut by_company: BTreeMap<String, (i32, Vec<StatementLine>)> = BTreeMap::new();
    for ((group_id, programme_id), s) in sums {
        let group = groups.get(&group_id).ok_or_else(|| corrupt("group"))?;
        let programme = programmes
            .get(&programme_id)
            .ok_or_else(|| corrupt("programme"))?;
        let company = companies
            .get(&group.company_id)
            .ok_or_else(|| corrupt("company"))?;
        let availability = pennies(s.availability);
        let utilisation = pennies(s.utilisation);
        by_company
            .entry(company.name.clone())
            .or_insert_with(|| (company.id, Vec::new()))
            .1
            .push(StatementLine {
                dispatch_group_id: PublicId::parse(&group.public_id)
                    .map_err(|_| corrupt("group id"))?,
                dispatch_group: group.name.clone(),
                programme: programme.name.clone(),
                events: s.events,
                windows: s.windows,
                delivered_mwh: s.delivered_mwh,
                availability_gbp: availability,
                utilisation_gbp: utilisation,
                total_gbp: pennies(availability + utilisation),
            });
    }
    let mut statements = Vec::with_capacity(by_company.len());
    for (_, (company_id, mut lines)) in by_company {
        let company = companies
            .get(&company_id)
            .ok_or_else(|| corrupt("company"))?;
        lines.sort_by(|a, b| {
            (a.dispatch_group.as_str(), a.programme.as_str())
                .cmp(&(b.dispatch_group.as_str(), b.programme.as_str()))
        });
        let availability = pennies(lines.iter().map(|l| l.availability_gbp).sum());
        let utilisation = pennies(lines.iter().map(|l| l.utilisation_gbp).sum());
        statements.push(Statement {
            id: statement_id(month, zone, company),
            month: month.to_string(),
            status: ReportStatus::Provisional,
            version: 0,
            reason: None,
            issued_at: None,
            company_id: PublicId::parse(&company.public_id).map_err(|_| corrupt("company id"))?,
            company: company.name.clone(),
            company_number: company.companies_house_number.clone(),
            vat_number: company.vat_number.clone(),
            billing_address: company.billing_address.clone(),
            operator: operator.name.clone(),
            zone_id: zone.slug.clone(),
            zone: zone.name.clone(),
            lines,
            availability_gbp: availability,
            utilisation_gbp: utilisation,
            total_gbp: pennies(availability + utilisation),
        });
    }
    Ok((statements, reports))
}

/// The zones the caller may see reports in, narrowed to `slug` when given.
pub(super) async fn zones_in_scope(
    db: &impl ConnectionTrait,
    actor: &Actor,
    slug: Option<&str>,
) -> Result<Vec<zones::Model>, ServiceError> {
    let mut query = zones::Entity::find().order_by_asc(zones::Column::Name);
    match actor {
        Actor::Operator { operator_id, .. } => {
            query = query.filter(zones::Column::OperatorId.eq(*operator_id));
        }
        Actor::Participant { company_id, .. } => {
            query = query.filter(
                zones::Column::Id.in_subquery(
                    Query::select()
                        .column(dispatch_groups::Column::ZoneId)
                        .from(dispatch_groups::Entity)
                        .and_where(dispatch_groups::Column::CompanyId.eq(*company_id))
                        .to_owned(),
                ),
            );
        }
        Actor::PlatformAdmin { .. } => {}
    }
    if let Some(slug) = slug.filter(|s| !s.is_empty()) {
        let zone = query
            .filter(zones::Column::Slug.eq(slug))
            .one(db)
            .await?
            .ok_or(ServiceError::NotFound("zone"))?;
        return Ok(vec![zone]);
    }
    Ok(query.all(db).await?)
}

pub(super) fn company_of(actor: &Actor) -> Option<i32> {
    match actor {
        Actor::Participant { company_id, .. } => Some(*company_id),
        _ => None,
    }
}

/// Event reports (performance and earnings, without per-interval detail) of the events the
/// caller may see that ended in `month`, optionally in one zone: the frozen versions where
/// the month is final, computed now where it is not.
pub async fn event_reports(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    month: Month,
    zone: Option<&str>,
) -> Result<Vec<EventReport>, ServiceError> {
    let mut out = Vec::new();
    for zone in zones_in_scope(db, actor, zone).await? {
        if is_final(db, zone.id, month).await? {
            let mut reports = latest_reports(db, zone.id, month, company_of(actor)).await?;
            for report in &mut reports {
                for unit in &mut report.units {
                    unit.intervals.clear();
                }
            }
            out.extend(reports);
        } else {
            let visible = assets::visible_group_ids(actor);
            out.extend(
                settlement::compute_month(db, visible, Some(zone.id), month, now, false)
                    .await?
                    .into_iter()
                    .map(|(_, report)| report),
            );
        }
    }
    out.sort_by(|a, b| (a.start, a.id.as_str()).cmp(&(b.start, b.id.as_str())));
    Ok(out)
}

/// One event's report with every interval: its latest frozen version once its month is
/// final, computed now before.
pub async fn event_report(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    id: &str,
) -> Result<EventReport, ServiceError> {
    let event = settlement::ended_event(db, actor, now, id).await?;
    let stored = event_report_versions::Entity::find()
        .filter(event_report_versions::Column::DispatchEventId.eq(event.id))
        .order_by_desc(event_report_versions::Column::Version)
        .one(db)
        .await?;
    match stored {
        Some(row) => thawed(&row.body),
        None => settlement::report_of(db, event, now).await,
    }
}

/// The latest frozen version of each of the zone's statements for `month`.
pub(super) async fn latest_versions(
    db: &impl ConnectionTrait,
    zone_id: i32,
    month: Month,
    company: Option<i32>,
) -> Result<Vec<statement_versions::Model>, ServiceError> {
    let mut query = statement_versions::Entity::find()
        .filter(statement_versions::Column::ZoneId.eq(zone_id))
        .filter(statement_versions::Column::Month.eq(month.to_string()));
    if let Some(company) = company {
        query = query.filter(statement_versions::Column::CompanyId.eq(company));
    }
    let mut latest: BTreeMap<i32, statement_versions::Model> = BTreeMap::new();
    for row in query.all(db).await? {
        if latest
            .get(&row.company_id)
            .is_none_or(|kept| kept.version < row.version)
        {
            latest.insert(row.company_id, row);
        }
    }
    Ok(latest.into_values().collect())
}

/// The statements of `month` the caller may see, optionally in one zone: the latest final
/// version where the month is final, computed now (provisional) where it is not.
pub async fn statements(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    month: Month,
    zone: Option<&str>,
) -> Result<Vec<Statement>, ServiceError> {
    let mut out = Vec::new();
    for zone in zones_in_scope(db, actor, zone).await? {
        if is_final(db, zone.id, month).await? {
            for row in latest_versions(db, zone.id, month, company_of(actor)).await? {
                out.push(thawed(&row.body)?);
            }
        } else {
            out.extend(
                compute_zone(db, &zone, company_of(actor), month, now, false)
                    .await?
                    .0,
            );
        }
    }
    Ok(out)
}

/// The final statements of `month` the caller may see (the latest version of each),
/// optionally in one zone: what the zip download holds.
pub async fn final_statements(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    month: Month,
    zone: Option<&str>,
) -> Result<Vec<Statement>, ServiceError> {
    Ok(statements(db, actor, now, month, zone)
        .await?
        .into_iter()
        .filter(|s| s.status == ReportStatus::Final)
        .collect())
}

/// Splits a statement id into its month, zone and company, if the caller may see them.
pub(super) async fn resolve(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: &str,
) -> Result<(Month, zones::Model, fsp_companies::Model), ServiceError> {
    let not_found = || ServiceError::NotFound("statement");
    let mut parts = id.splitn(3, '.');
    let (Some(month), Some(zone), Some(company)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(not_found());
    };
    let month = Month::parse(month).map_err(|_| not_found())?;
    let zone = zones_in_scope(db, actor, Some(zone))
        .await
        .map_err(|_| not_found())?
        .pop()
        .ok_or_else(not_found)?;
    let company = company_by_public_id(db, company)
        .await
        .map_err(|_| not_found())?;
    if company_of(actor).is_some_and(|own| own != company.id) {
        return Err(not_found());
    }
    Ok((month, zone, company))
}

/// One statement by id: a given final version, or the latest (final, or provisional
/// before the 15th); with the list of its final versions.
pub async fn statement(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    id: &str,
    version: Option<i32>,
) -> Result<(Statement, Vec<StatementVersion>), ServiceError> {
    let (month, zone, company) = resolve(db, actor, id).await?;
    let rows = statement_versions::Entity::find()
        .filter(statement_versions::Column::ZoneId.eq(zone.id))
        .filter(statement_versions::Column::Month.eq(month.to_string()))
        .filter(statement_versions::Column::CompanyId.eq(company.id))
        .order_by_asc(statement_versions::Column::Version)
        .all(db)
        .await?;
    let mut versions = Vec::with_capacity(rows.len());
    for row in &rows {
        let body: Statement = thawed(&row.body)?;
        versions.push(StatementVersion {
            version: row.version,
            issued_at: row.issued_at,
            reason: row.reason.clone(),
            total_gbp: body.total_gbp,
        });
    }
    let chosen = match version {
        Some(v) => Some(
            rows.iter()
                .find(|r| r.version == v)
                .ok_or(ServiceError::NotFound("statement version"))?,
        ),
        None => rows.last(),
    };
    if let Some(row) = chosen {
        return Ok((thawed(&row.body)?, versions));
    }
    if is_final(db, zone.id, month).await? {
        // Final, and the company had nothing to be paid for that month.
        return Err(ServiceError::NotFound("statement"));
    }
    let statement = compute_zone(db, &zone, Some(company.id), month, now, false)
        .await?
        .0
        .pop()
        .ok_or(ServiceError::NotFound("statement"))?;
    Ok((statement, versions))
}

/// Re-issues a final statement with the figures as they stand now (operators of the zone),
/// for a reason the FSP will see: a new version, with new versions of its event reports.
/// Earlier versions are kept.
pub async fn reissue(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: &str,
    reason: &str,
) -> Result<Statement, ServiceError> {
    if matches!(actor, Actor::Participant { .. }) {
        return Err(ServiceError::Forbidden(
            "statements are re-issued by the operator".to_owned(),
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::invalid(
            "reason",
            "say why the statement is re-issued; the FSP sees it",
        ));
    }
    let (month, zone, company) = resolve(db, actor, id).await?;
    if !is_final(db, zone.id, month).await? {
        return Err(ServiceError::Conflict(format!(
            "the {} statement is still provisional: it becomes final at 00:00 on the 15th of {}",
            month.long_name(),
            month.next().long_name()
        )));
    }
    let (mut statements, reports) =
        compute_zone(db, &zone, Some(company.id), month, now, true).await?;
    let txn = db.begin().await?;
    let previous = statement_versions::Entity::find()
        .filter(statement_versions::Column::ZoneId.eq(zone.id))
        .filter(statement_versions::Column::Month.eq(month.to_string()))
        .filter(statement_versions::Column::CompanyId.eq(company.id))
        .order_by_desc(statement_versions::Column::Version)
        .one(&txn)
        .await?
        .map_or(0, |row| row.version);
    let version = previous + 1;
    let statement = match statements.pop() {
        Some(statement) => statement,
        None => {
            // Nothing to pay any more: an empty statement records that.
            let operator = operators::Entity::find_by_id(zone.operator_id)
                .one(&txn)
                .await?
                .ok_or_else(|| corrupt("operator"))?;
            Statement {
                id: statement_id(month, &zone, &company),
                month: month.to_string(),
                status: ReportStatus::Final,
                version,
                reason: None,
                issued_at: None,
                company_id: PublicId::parse(&company.public_id)
                    .map_err(|_| corrupt("company id"))?,
                company: company.name.clone(),
                company_number: company.companies_house_number.clone(),
                vat_number: company.vat_number.clone(),
                billing_address: company.billing_address.clone(),
                operator: operator.name,
                zone_id: zone.slug.clone(),
                zone: zone.name.clone(),
                lines: Vec::new(),
                availability_gbp: 0.0,
                utilisation_gbp: 0.0,
                total_gbp: 0.0,
            }
        }
    };
    let frozen_at = Frozen {
        zone_id: zone.id,
        month,
        now,
    };
    let statement = frozen_at
        .statement(
            &txn,
            company.id,
            version,
            actor.user_id(),
            Some(reason),
            statement,
        )
        .await?;
    for (event_id, company_id, report) in reports {
        let event_version = event_report_versions::Entity::find()
            .filter(event_report_versions::Column::DispatchEventId.eq(event_id))
            .order_by_desc(event_report_versions::Column::Version)
            .one(&txn)
            .await?
            .map_or(0, |row| row.version)
            + 1;
        frozen_at
            .report(&txn, event_id, company_id, event_version, report)
            .await?;
    }
    crate::services::audit_change(
        &txn,
        now,
        actor.user_id(),
        zone.operator_id,
        Some(company.id),
        "statement_reissued",
        format!("{} version {version}: {reason}", statement.id),
    )
    .await?;
    txn.commit().await?;
    Ok(statement)
}

/// The final event reports of `month` the caller may see, optionally in one zone, each
/// with every interval: what the zip download holds.
pub async fn final_event_reports(
    db: &impl ConnectionTrait,
    actor: &Actor,
    month: Month,
    zone: Option<&str>,
) -> Result<Vec<EventReport>, ServiceError> {
    let mut out = Vec::new();
    for zone in zones_in_scope(db, actor, zone).await? {
        if !is_final(db, zone.id, month).await? {
            continue;
        }
        out.extend(latest_reports(db, zone.id, month, company_of(actor)).await?);
    }
    out.sort_by(|a, b| (a.start, a.id.as_str()).cmp(&(b.start, b.id.as_str())));
    Ok(out)
}

/// The latest frozen version of each of the zone's event reports for `month`.
pub(super) async fn latest_reports(
    db: &impl ConnectionTrait,
    zone_id: i32,
    month: Month,
    company: Option<i32>,
) -> Result<Vec<EventReport>, ServiceError> {
    let mut query = event_report_versions::Entity::find()
        .filter(event_report_versions::Column::ZoneId.eq(zone_id))
        .filter(event_report_versions::Column::Month.eq(month.to_string()));
    if let Some(company) = company {
        query = query.filter(event_report_versions::Column::CompanyId.eq(company));
    }
    let mut latest: BTreeMap<i32, event_report_versions::Model> = BTreeMap::new();
    for row in query.all(db).await? {
        if latest
            .get(&row.dispatch_event_id)
            .is_none_or(|kept| kept.version < row.version)
        {
            latest.insert(row.dispatch_event_id, row);
        }
    }
    latest.values().map(|row| thawed(&row.body)).collect()
}
