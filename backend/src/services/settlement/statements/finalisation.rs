//! Finalisation: at 00:00 London on the 15th the previous month's statements and event
//! reports are frozen zone by zone in one transaction, and never change again.

use super::*;

/// The month whose statements become final at `now`: at 00:00 London on the 15th, the
/// previous month.
pub fn finalisable(now: DateTime<Utc>) -> Month {
    let local = now.with_timezone(&London).date_naive();
    let month = Month::of(local).previous();
    if local.day() >= 15 {
        month
    } else {
        month.previous()
    }
}

pub(super) async fn is_final(
    db: &impl ConnectionTrait,
    zone_id: i32,
    month: Month,
) -> Result<bool, ServiceError> {
    Ok(settlement_months::Entity::find()
        .filter(settlement_months::Column::ZoneId.eq(zone_id))
        .filter(settlement_months::Column::Month.eq(month.to_string()))
        .one(db)
        .await?
        .is_some())
}

pub(super) fn frozen<T: serde::Serialize>(value: &T) -> Result<String, ServiceError> {
    serde_json::to_string(value).map_err(|e| corrupt(&format!("report body: {e}")))
}

pub(super) fn thawed<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, ServiceError> {
    serde_json::from_str(body).map_err(|e| corrupt(&format!("stored report: {e}")))
}

/// Makes `month` final for `zone` unless it already is: every statement and event report
/// frozen as version 1, all in one transaction, so a crash part-way leaves the month
/// provisional and the next run starts again. Returns whether this call finalised it.
pub async fn finalise(
    db: &DatabaseConnection,
    zone: &zones::Model,
    month: Month,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    if is_final(db, zone.id, month).await? {
        return Ok(false);
    }
    let (statements, reports) = compute_zone(db, zone, None, month, now, true).await?;
    let txn = db.begin().await?;
    // First, so that a second instance finalising at the same moment waits here and then
    // fails on the unique key rather than writing a second version 1.
    let claimed = settlement_months::ActiveModel {
        zone_id: Set(zone.id),
        month: Set(month.to_string()),
        finalised_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    if claimed.is_err() && is_final(db, zone.id, month).await? {
        return Ok(false);
    }
    claimed?;
    let frozen_at = Frozen {
        zone_id: zone.id,
        month,
        now,
    };
    for (event_id, company_id, report) in reports {
        frozen_at
            .report(&txn, event_id, company_id, 1, report)
            .await?;
    }
    for statement in statements {
        let company = company_by_public_id(&txn, statement.company_id.as_str()).await?;
        frozen_at
            .statement(&txn, company.id, 1, None, None, statement)
            .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// Where and when reports are frozen.
pub(super) struct Frozen {
    pub(super) zone_id: i32,
    pub(super) month: Month,
    pub(super) now: DateTime<Utc>,
}

pub(super) async fn company_by_public_id(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<fsp_companies::Model, ServiceError> {
    fsp_companies::Entity::find()
        .filter(fsp_companies::Column::PublicId.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("company"))
}

/// The scheduler's job: finalises, in every zone, the month due at `now` (and the one
/// before, should the server have been down on the 15th). Returns how many zone-months it
/// finalised; running it again changes nothing.
pub async fn finalise_due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let month = finalisable(now);
    let mut done = 0;
    for zone in zones::Entity::find().all(db).await? {
        for month in [month.previous(), month] {
            if finalise(db, &zone, month, now).await? {
                done += 1;
            }
        }
    }
    Ok(done)
}

impl Frozen {
    /// Stores `report` as final version `version` of its event.
    pub(super) async fn report(
        &self,
        db: &impl ConnectionTrait,
        event_id: i32,
        company_id: i32,
        version: i32,
        mut report: EventReport,
    ) -> Result<(), ServiceError> {
        report.status = ReportStatus::Final;
        report.version = version;
        event_report_versions::ActiveModel {
            dispatch_event_id: Set(event_id),
            company_id: Set(company_id),
            zone_id: Set(self.zone_id),
            month: Set(self.month.to_string()),
            version: Set(version),
            issued_at: Set(self.now),
            body: Set(frozen(&report)?),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(())
    }

    /// Stores `statement` as final version `version` (re-issues carry who and why).
    pub(super) async fn statement(
        &self,
        db: &impl ConnectionTrait,
        company_id: i32,
        version: i32,
        by: Option<i32>,
        reason: Option<&str>,
        mut statement: Statement,
    ) -> Result<Statement, ServiceError> {
        statement.status = ReportStatus::Final;
        statement.version = version;
        statement.reason = reason.map(str::to_owned);
        statement.issued_at = Some(self.now);
        statement_versions::ActiveModel {
            company_id: Set(company_id),
            zone_id: Set(self.zone_id),
            month: Set(self.month.to_string()),
            version: Set(version),
            reason: Set(statement.reason.clone()),
            issued_at: Set(self.now),
            issued_by_user_id: Set(by),
            body: Set(frozen(&statement)?),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(statement)
    }
}
