//! API Testing › Dispatch Settings and Dispatch V2 Testing (guide §3.1): where an FSP
//! company receives dispatch messages, its signing secret, the endpoint's health, and test
//! messages sent exactly as a real dispatch would be (signed, to `{base}/dispatch`) without
//! touching any real dispatch.

use super::{Actor, FieldError, ServiceError, accounts, rfc3339, webhooks};
use crate::config::Settings;
use crate::crypto::SecretBox;
use crate::db::entities::{
    delivery_attempts, dispatch_groups, dispatch_settings, fsp_companies, meterable_units, zones,
};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use shared::webhooks::{DispatchFields, Message, Named, Period, Schedule, ScheduledDispatch};
use shared::{
    DeliveryAttempt, DeliveryChannel, DispatchSettings, NewSigningSecret, TestDispatchInput,
    TestDispatchResult,
};

/// Attempts shown in the endpoint health panel.
pub const RECENT: u64 = 20;

fn company_of(actor: &Actor) -> Result<i32, ServiceError> {
    match actor {
        Actor::Participant { company_id, .. } => Ok(*company_id),
        _ => Err(ServiceError::Forbidden(
            "dispatch settings belong to FSP companies".to_owned(),
        )),
    }
}

async fn row(
    db: &DatabaseConnection,
    company_id: i32,
) -> Result<Option<dispatch_settings::Model>, ServiceError> {
    Ok(dispatch_settings::Entity::find()
        .filter(dispatch_settings::Column::CompanyId.eq(company_id))
        .one(db)
        .await?)
}

pub(crate) fn attempt(a: delivery_attempts::Model) -> DeliveryAttempt {
    DeliveryAttempt {
        message_id: a.message_id,
        instruction: a.instruction,
        test: a.test,
        url: a.url,
        attempted_at: a.attempted_at,
        status_code: a.status_code,
        latency_ms: a.latency_ms,
        error: a.error,
        body_excerpt: a.body_excerpt,
    }
}

/// The caller's company's dispatch settings and recent delivery attempts.
/// The channels the company's operator permits it.
async fn permitted(
    db: &DatabaseConnection,
    company_id: i32,
) -> Result<Vec<DeliveryChannel>, ServiceError> {
    let company = fsp_companies::Entity::find_by_id(company_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("company"))?;
    Ok(super::organisations::permitted_delivery(
        &company.permitted_delivery,
    ))
}

pub async fn get(db: &DatabaseConnection, actor: &Actor) -> Result<DispatchSettings, ServiceError> {
    let company_id = company_of(actor)?;
    let settings = row(db, company_id).await?;
    let permitted_delivery = permitted(db, company_id).await?;
    let recent = delivery_attempts::Entity::find()
        .filter(delivery_attempts::Column::CompanyId.eq(company_id))
        .order_by_desc(delivery_attempts::Column::AttemptedAt)
        .order_by_desc(delivery_attempts::Column::Id)
        .limit(RECENT)
        .all(db)
        .await?;
    Ok(DispatchSettings {
        endpoint_url: settings.as_ref().and_then(|s| s.endpoint_url.clone()),
        delivery: settings
            .as_ref()
            .and_then(|s| DeliveryChannel::parse(&s.delivery))
            .unwrap_or(DeliveryChannel::Api),
        email_contacts: settings
            .as_ref()
            .and_then(|s| s.email_contacts.as_deref())
            .map(contacts)
            .unwrap_or_default(),
        secret_hint: settings.as_ref().and_then(|s| s.secret_hint.clone()),
        secret_created_at: settings.as_ref().and_then(|s| s.secret_created_at),
        recent_attempts: recent.into_iter().map(attempt).collect(),
        permitted_delivery,
        new_secret: None,
    })
}

/// The stored comma-separated contacts as a list.
pub fn contacts(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What a save of the Dispatch Settings page asks for.
pub struct Change<'a> {
    /// The endpoint's base URL; messages go to `{base}/dispatch`.
    pub endpoint_url: Option<&'a str>,
    pub delivery: DeliveryChannel,
    /// Where notices go when they are taken by e-mail.
    pub email_contacts: &'a [String],
}

/// Sets where and how the caller's company receives dispatch messages. The endpoint is
/// checked now (form, and that it resolves to an address this deployment sends to) and
/// again before every send.
pub async fn update(
    db: &DatabaseConnection,
    config: &Settings,
    secrets: &SecretBox,
    actor: &Actor,
    now: DateTime<Utc>,
    change: Change<'_>,
) -> Result<DispatchSettings, ServiceError> {
    let Change {
        endpoint_url,
        delivery,
        email_contacts,
    } = change;
    let company_id = company_of(actor)?;
    if actor.user_id().is_none() {
        // A leaked machine credential must not be able to redirect dispatches.
        return Err(ServiceError::Forbidden(
            "an API token cannot change where dispatches are sent; sign in".to_owned(),
        ));
    }
    let permitted = permitted(db, company_id).await?;
    if !permitted.contains(&delivery) {
        let names: Vec<&str> = permitted
            .iter()
            .map(|c| match c {
                DeliveryChannel::Api => "by API",
                DeliveryChannel::Email => "by e-mail",
            })
            .collect();
        return Err(ServiceError::invalid(
            "delivery",
            format!(
                "your operator permits dispatches only {}",
                names.join(" or ")
            ),
        ));
    }
    let mut addresses = Vec::new();
    for (index, raw) in email_contacts
        .iter()
        .filter(|c| !c.trim().is_empty())
        .enumerate()
    {
        match accounts::parse_email(raw) {
            Ok(address) => addresses.push(address),
            Err(_) => {
                return Err(ServiceError::Invalid(vec![FieldError {
                    csv_column: false,
                    index: Some(index),
                    field: "email_contacts".to_owned(),
                    reason: format!("{raw:?} is not an e-mail address"),
                }]));
            }
        }
    }
    if delivery == DeliveryChannel::Email && addresses.is_empty() {
        return Err(ServiceError::invalid(
            "email_contacts",
            "name at least one dispatch contact to receive dispatches by e-mail",
        ));
    }
    let endpoint = match endpoint_url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => {
            let parsed = webhooks::check_form(url, config)?;
            webhooks::resolve(&parsed, config).await?;
            Some(parsed.as_str().trim_end_matches('/').to_owned())
        }
        None if delivery == DeliveryChannel::Api => {
            return Err(ServiceError::invalid(
                "endpoint_url",
                "is required to receive dispatches by API",
            ));
        }
        None => None,
    };
    dispatch_settings::Entity::insert(dispatch_settings::ActiveModel {
        company_id: Set(company_id),
        endpoint_url: Set(endpoint.clone()),
        secret_enc: Set(None),
        secret_hint: Set(None),
        secret_created_at: Set(None),
        delivery: Set(delivery.as_str().to_owned()),
        updated_at: Set(now),
        email_contacts: Set(Some(addresses.join(","))),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(dispatch_settings::Column::CompanyId)
            .update_columns([
                dispatch_settings::Column::EndpointUrl,
                dispatch_settings::Column::Delivery,
                dispatch_settings::Column::EmailContacts,
                dispatch_settings::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    // An endpoint without a secret would miss every dispatch (nothing can be signed): the
    // first save of one creates the secret, once, even if two saves race.
    let new_secret = match endpoint {
        Some(_) => first_secret(db, secrets, company_id, now).await?,
        None => None,
    };
    Ok(DispatchSettings {
        new_secret,
        ..get(db, actor).await?
    })
}

/// A secret sealed for storage, with the hint shown beside it.
fn new_sealed_secret(secrets: &SecretBox) -> Result<(String, String, String), ServiceError> {
    let secret = webhooks::new_secret()?;
    let sealed = secrets
        .seal(secret.as_bytes())
        .map_err(accounts::crypto_error)?;
    let hint = format!(
        "{}…{}",
        webhooks::SECRET_PREFIX,
        &secret[secret.len() - 4..]
    );
    Ok((secret, sealed, hint))
}

/// Stores a signing secret if the company has none; the secret, if this call stored it.
async fn first_secret(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    company_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<String>, ServiceError> {
    let (secret, sealed, hint) = new_sealed_secret(secrets)?;
    let stored = dispatch_settings::Entity::update_many()
        .col_expr(dispatch_settings::Column::SecretEnc, Expr::value(sealed))
        .col_expr(dispatch_settings::Column::SecretHint, Expr::value(hint))
        .col_expr(dispatch_settings::Column::SecretCreatedAt, Expr::value(now))
        .filter(dispatch_settings::Column::CompanyId.eq(company_id))
        .filter(dispatch_settings::Column::SecretEnc.is_null())
        .exec(db)
        .await?;
    Ok((stored.rows_affected == 1).then_some(secret))
}

/// A new signing secret for the caller's company, shown once; the old one stops signing
/// at once.
pub async fn rotate_secret(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<NewSigningSecret, ServiceError> {
    let company_id = company_of(actor)?;
    if actor.user_id().is_none() {
        return Err(ServiceError::Forbidden(
            "an API token cannot rotate the signing secret; sign in".to_owned(),
        ));
    }
    let (secret, sealed, hint) = new_sealed_secret(secrets)?;
    dispatch_settings::Entity::insert(dispatch_settings::ActiveModel {
        company_id: Set(company_id),
        endpoint_url: Set(None),
        secret_enc: Set(Some(sealed)),
        secret_hint: Set(Some(hint)),
        secret_created_at: Set(Some(now)),
        delivery: Set(DeliveryChannel::Api.as_str().to_owned()),
        updated_at: Set(now),
        email_contacts: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(dispatch_settings::Column::CompanyId)
            .update_columns([
                dispatch_settings::Column::SecretEnc,
                dispatch_settings::Column::SecretHint,
                dispatch_settings::Column::SecretCreatedAt,
                dispatch_settings::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(NewSigningSecret {
        secret,
        settings: get(db, actor).await?,
    })
}

/// Sends the message Dispatch V2 Testing describes, signed, to the company's endpoint,
/// and records the attempt. Nothing else changes: no dispatch is created or touched.
pub async fn send_test(
    db: &DatabaseConnection,
    config: &Settings,
    secrets: &SecretBox,
    actor: &Actor,
    now: DateTime<Utc>,
    input: &TestDispatchInput,
) -> Result<TestDispatchResult, ServiceError> {
    let company_id = company_of(actor)?;
    let mut errors = Vec::new();
    let mut refuse = |field: &str, reason: &str| {
        errors.push(FieldError {
            csv_column: false,
            index: None,
            field: field.to_owned(),
            reason: reason.to_owned(),
        });
    };
    let dispatch_id = input.dispatch_id.trim();
    if dispatch_id.is_empty() || dispatch_id.len() > 64 {
        refuse("dispatch_id", "must be 1 to 64 characters");
    }
    let time = |s: &str| {
        DateTime::parse_from_rfc3339(s.trim())
            .ok()
            .map(|t| t.with_timezone(&Utc))
    };
    let (start, end) = (time(&input.start), time(&input.end));
    if start.is_none() {
        refuse(
            "start",
            "must be an RFC 3339 time such as 2025-02-17T16:00:00Z",
        );
    }
    if end.is_none() {
        refuse(
            "end",
            "must be an RFC 3339 time such as 2025-02-17T18:00:00Z",
        );
    }
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        refuse("end", "must be after the start");
    }
    if !input.power_change_kw.is_finite() {
        refuse("power_change_kw", "must be a number");
    }
    let ids: Vec<String> = input
        .meterable_unit_ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if ids.is_empty() {
        refuse(
            "meterable_unit_ids",
            "name at least one of your meterable units",
        );
    }
    let units = meterable_units::Entity::find()
        .filter(meterable_units::Column::PublicId.is_in(ids.clone()))
        .all(db)
        .await?;
    let groups = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::Id.is_in(units.iter().map(|u| u.dispatch_group_id)))
        .filter(dispatch_groups::Column::CompanyId.eq(company_id))
        .all(db)
        .await?;
    let own: Vec<&str> = units
        .iter()
        .filter(|u| groups.iter().any(|g| g.id == u.dispatch_group_id))
        .map(|u| u.public_id.as_str())
        .collect();
    if let Some(unknown) = ids.iter().find(|id| !own.contains(&id.as_str())) {
        refuse(
            "meterable_unit_ids",
            &format!("{unknown} is not one of your meterable units"),
        );
    }
    let settings = row(db, company_id).await?;
    let endpoint = settings.as_ref().and_then(|s| s.endpoint_url.clone());
    let sealed = settings.as_ref().and_then(|s| s.secret_enc.clone());
    if endpoint.is_none() {
        refuse(
            "endpoint_url",
            "set the participant endpoint base URL under Dispatch Settings first",
        );
    }
    if sealed.is_none() {
        refuse(
            "signing_secret",
            "create a signing secret under Dispatch Settings first",
        );
    }
    let (Some(start), Some(end), Some(endpoint), Some(sealed), true) =
        (start, end, endpoint, sealed, errors.is_empty())
    else {
        return Err(ServiceError::Invalid(errors));
    };
    let secret = String::from_utf8(secrets.open(&sealed).map_err(accounts::crypto_error)?)
        .map_err(|_| ServiceError::Internal(sea_orm::DbErr::Custom("signing secret".into())))?;
    let url = webhooks::check_form(&format!("{endpoint}/dispatch"), config)?;
    let addrs = webhooks::resolve(&url, config).await?;

    // The first unit's group and zone describe the message, as a real dispatch would.
    let group = groups
        .iter()
        .find(|g| {
            units
                .iter()
                .any(|u| u.public_id == ids[0] && u.dispatch_group_id == g.id)
        })
        .ok_or(ServiceError::NotFound("meterable unit"))?;
    let zone = zones::Entity::find_by_id(group.zone_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("zone"))?;
    let message_id = crate::ids::new_message_id();
    let zone = Named {
        id: zone.slug,
        name: zone.name,
    };
    let dispatch_group = Named {
        id: group.public_id.clone(),
        name: group.name.clone(),
    };
    let body = match Message::dispatch(
        input.instruction,
        DispatchFields {
            message_id: message_id.clone(),
            test: true,
            dispatch_id: dispatch_id.to_owned(),
            zone: zone.clone(),
            programme: None,
            dispatch_group: dispatch_group.clone(),
            start,
            end,
            power_change_kw: input.power_change_kw,
            meterable_unit_ids: ids.clone(),
        },
    ) {
        Some(message) => message,
        None => Message::Schedule(Schedule::new(
            message_id.clone(),
            true,
            zone,
            None,
            Period { start, end },
            vec![ScheduledDispatch {
                dispatch_id: dispatch_id.to_owned(),
                dispatch_group,
                start,
                end,
                power_change_kw: input.power_change_kw,
                meterable_unit_ids: ids.clone(),
            }],
        )),
    }
    .sent(now);
    let bytes = serde_json::to_vec(&body)
        .map_err(|e| ServiceError::Internal(sea_orm::DbErr::Custom(e.to_string())))?;
    let sent = webhooks::post(&url, &addrs, &message_id, now.timestamp(), bytes, &secret).await?;
    let record = sent
        .record(
            db,
            webhooks::Attempted {
                company_id,
                message_id: &message_id,
                instruction: input.instruction.as_str(),
                test: true,
                url: url.as_str(),
            },
            now,
        )
        .await?;
    let parameters = format!(
        "Dispatch ID {dispatch_id}, {}, {} to {}, {} kW, units {}",
        input.instruction.as_str(),
        rfc3339(start),
        rfc3339(end),
        input.power_change_kw,
        ids.join(", ")
    );
    let outcome = match (&sent.status, &sent.error) {
        (Some(status), _) if sent.delivered() => {
            format!("Success: HTTP {status} in {} ms", sent.latency_ms)
        }
        (Some(status), _) => format!(
            "Failed: HTTP {status} in {} ms: {}",
            sent.latency_ms,
            sent.body_excerpt.as_deref().unwrap_or("")
        ),
        (None, Some(error)) => format!("Failed after {} ms: {error}", sent.latency_ms),
        (None, None) => "Failed: no answer".to_owned(),
    };
    Ok(TestDispatchResult {
        url: url.to_string(),
        parameters,
        success: sent.delivered(),
        outcome,
        attempt: attempt(record),
    })
}
