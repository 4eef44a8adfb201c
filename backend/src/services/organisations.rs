//! Network operators and the FSP companies they contract (guide §2.2).

use super::audit::user_event as audit;
use super::{Actor, ServiceError};
use crate::db::entities::{dispatch_groups, fsp_companies, operator_companies, operators, zones};
use crate::ids::new_public_id;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use shared::{
    CompaniesHouseNumber, Company, DeliveryChannel, NewCompanyInput, OperatorSummary, PublicId,
    SupportContact, VatNumber,
};

/// `column` (a company id) names a company contracted by `operator_id`: it has a dispatch
/// group in one of the operator's zones, or the operator registered it.
pub fn contracted_by(column: impl ColumnTrait + Copy, operator_id: i32) -> Condition {
    Condition::any()
        .add(
            column.in_subquery(
                Query::select()
                    .column(dispatch_groups::Column::CompanyId)
                    .from(dispatch_groups::Entity)
                    .and_where(
                        dispatch_groups::Column::ZoneId.in_subquery(
                            Query::select()
                                .column(zones::Column::Id)
                                .from(zones::Entity)
                                .and_where(zones::Column::OperatorId.eq(operator_id))
                                .to_owned(),
                        ),
                    )
                    .to_owned(),
            ),
        )
        .add(registered_by(column, operator_id))
}

/// `column` (a company id) names a company `operator_id` registered: only that operator
/// manages its users (invites, disables, resets their second factor). Another operator
/// that merely contracts it in its own zones does not.
pub fn registered_by(column: impl ColumnTrait, operator_id: i32) -> Condition {
    Condition::all().add(
        column.in_subquery(
            Query::select()
                .column(operator_companies::Column::CompanyId)
                .from(operator_companies::Entity)
                .and_where(operator_companies::Column::OperatorId.eq(operator_id))
                .to_owned(),
        ),
    )
}

fn internal(what: &str) -> ServiceError {
    ServiceError::Internal(sea_orm::DbErr::Custom(format!(
        "stored {what} is not valid"
    )))
}

/// The stored permitted channels, in the enum's order.
pub fn permitted_delivery(stored: &str) -> Vec<DeliveryChannel> {
    DeliveryChannel::ALL
        .iter()
        .copied()
        .filter(|c| stored.split(',').any(|s| s.trim() == c.as_str()))
        .collect()
}

fn company(row: fsp_companies::Model) -> Result<Company, ServiceError> {
    Ok(Company {
        id: PublicId::parse(&row.public_id).map_err(|_| internal("public id"))?,
        permitted_delivery: permitted_delivery(&row.permitted_delivery),
        name: row.name,
        companies_house_number: row.companies_house_number,
        vat_number: row.vat_number,
        billing_address: row.billing_address,
    })
}

/// Sets how a company may receive dispatches (guide §3.1): an operator that contracts it,
/// or a platform admin, decides. A company already using a channel no longer permitted
/// keeps it until it chooses another (dispatches never stop silently); its Dispatch
/// Settings page asks it to.
pub async fn set_permitted_delivery(
    db: &DatabaseConnection,
    actor: &Actor,
    company_id: &str,
    channels: &[DeliveryChannel],
    now: DateTime<Utc>,
) -> Result<Company, ServiceError> {
    let scope = match actor {
        Actor::Operator { operator_id, .. } => {
            contracted_by(fsp_companies::Column::Id, *operator_id)
        }
        Actor::PlatformAdmin { .. } => Condition::all(),
        Actor::Participant { .. } => {
            return Err(ServiceError::Forbidden(
                "the operator decides how a company may receive dispatches".to_owned(),
            ));
        }
    };
    let row = fsp_companies::Entity::find()
        .filter(fsp_companies::Column::PublicId.eq(company_id))
        .filter(scope)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("company"))?;
    if channels.is_empty() {
        return Err(ServiceError::invalid(
            "channels",
            "permit at least one way to receive dispatches",
        ));
    }
    let stored = DeliveryChannel::ALL
        .iter()
        .filter(|c| channels.contains(c))
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let operator_id = match actor {
        Actor::Operator { operator_id, .. } => Some(*operator_id),
        _ => None,
    };
    let txn = db.begin().await?;
    let mut active: fsp_companies::ActiveModel = row.clone().into();
    active.permitted_delivery = Set(stored.clone());
    let row = active.update(&txn).await?;
    let detail = format!("{}: dispatches by {stored}", row.name);
    match operator_id {
        Some(operator_id) => {
            super::audit_change(
                &txn,
                now,
                actor.user_id(),
                operator_id,
                Some(row.id),
                "company_delivery_permitted",
                detail,
            )
            .await?;
        }
        None => {
            audit(
                &txn,
                now,
                "company_delivery_permitted",
                actor.user_id(),
                None,
                detail,
            )
            .await?;
        }
    }
    txn.commit().await?;
    company(row)
}

/// FSP companies the caller may see: its own (participants), those it contracts
/// (operators), all (platform admins).
pub async fn list_companies(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<Vec<Company>, ServiceError> {
    let scope = match actor {
        Actor::Participant { company_id, .. } => {
            Condition::all().add(fsp_companies::Column::Id.eq(*company_id))
        }
        Actor::Operator { operator_id, .. } => {
            contracted_by(fsp_companies::Column::Id, *operator_id)
        }
        Actor::PlatformAdmin { .. } => Condition::all(),
    };
    fsp_companies::Entity::find()
        .filter(scope)
        .order_by_asc(fsp_companies::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(company)
        .collect()
}

/// Registers an FSP company, contracted with the calling operator (or, for a platform
/// admin, with the operator named in the input). Every field is validated.
pub async fn create_company(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewCompanyInput,
    now: DateTime<Utc>,
) -> Result<Company, ServiceError> {
    let mut errors = Vec::new();
    let mut reject = |field: &str, reason: &str| {
        errors.push(super::FieldError {
            csv_column: false,
            index: None,
            field: field.to_owned(),
            reason: reason.to_owned(),
        });
    };
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 160 {
        reject("name", "must be 1 to 160 characters");
    }
    let number = CompaniesHouseNumber::parse(&input.companies_house_number)
        .map_err(|e| reject("companies_house_number", e))
        .ok();
    let vat = VatNumber::parse(&input.vat_number)
        .map_err(|e| reject("vat_number", e))
        .ok();
    let address = input.billing_address.trim().to_owned();
    if address.is_empty() || address.chars().count() > 500 {
        reject("billing_address", "must be 1 to 500 characters");
    }
    let operator_id = match actor {
        Actor::Operator { operator_id, .. } => Some(*operator_id),
        Actor::PlatformAdmin { .. } => match input.operator.as_deref().map(str::trim) {
            Some(op) if !op.is_empty() => {
                let found = operators::Entity::find()
                    .filter(operators::Column::Name.eq(op))
                    .one(db)
                    .await?;
                if found.is_none() {
                    reject("operator", "no operator has this name");
                }
                found.map(|o| o.id)
            }
            _ => None,
        },
        Actor::Participant { .. } => {
            return Err(ServiceError::Forbidden(
                "only operators and platform admins register FSP companies".to_owned(),
            ));
        }
    };
    let taken = fsp_companies::Entity::find()
        .filter(fsp_companies::Column::Name.eq(name.as_str()))
        .one(db)
        .await?
        .is_some();
    if taken {
        reject("name", "a company with this name is already registered");
    }
    let (Some(number), Some(vat)) = (number, vat) else {
        return Err(ServiceError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let txn = db.begin().await?;
    let row = fsp_companies::ActiveModel {
        public_id: Set(new_public_id().to_string()),
        name: Set(name.clone()),
        companies_house_number: Set(number.as_str().to_owned()),
        vat_number: Set(Some(vat.as_str().to_owned())),
        billing_address: Set(address),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(operator_id) = operator_id {
        operator_companies::ActiveModel {
            operator_id: Set(operator_id),
            company_id: Set(row.id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit(&txn, now, "company_created", actor.user_id(), None, name).await?;
    txn.commit().await?;
    company(row)
}

/// Operators the caller may see: its own (operator users), all (platform admins).
pub async fn list_operators(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<Vec<OperatorSummary>, ServiceError> {
    let scope = match actor {
        Actor::Operator { operator_id, .. } => {
            Condition::all().add(operators::Column::Id.eq(*operator_id))
        }
        Actor::PlatformAdmin { .. } => Condition::all(),
        Actor::Participant { .. } => return Ok(Vec::new()),
    };
    operators::Entity::find()
        .filter(scope)
        .order_by_asc(operators::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|o| {
            Ok(OperatorSummary {
                id: PublicId::parse(&o.public_id).map_err(|_| internal("public id"))?,
                name: o.name,
            })
        })
        .collect()
}

/// Registers a network operator (platform admins only).
pub async fn create_operator(
    db: &DatabaseConnection,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<OperatorSummary, ServiceError> {
    if !matches!(actor, Actor::PlatformAdmin { .. }) {
        return Err(ServiceError::Forbidden(
            "only platform admins register operators".to_owned(),
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(ServiceError::invalid("name", "must be 1 to 120 characters"));
    }
    let taken = operators::Entity::find()
        .filter(operators::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some();
    if taken {
        return Err(ServiceError::invalid(
            "name",
            "an operator with this name exists",
        ));
    }
    let public_id = new_public_id();
    operators::ActiveModel {
        public_id: Set(public_id.to_string()),
        name: Set(name.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit(db, now, "operator_created", actor.user_id(), None, name).await?;
    Ok(OperatorSummary {
        id: public_id,
        name: name.to_owned(),
    })
}

/// The support contacts of the operators the caller deals with: those that contract its
/// company (participants), its own (operators), all (platform admins).
pub async fn support_contacts(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<Vec<SupportContact>, ServiceError> {
    let scope = match actor {
        Actor::Participant { company_id, .. } => Condition::any()
            // The operators of the zones it has groups in, and the one that registered it.
            .add(
                operators::Column::Id.in_subquery(
                    Query::select()
                        .column(zones::Column::OperatorId)
                        .from(zones::Entity)
                        .cond_where(super::assets::zone_scope(actor))
                        .to_owned(),
                ),
            )
            .add(
                operators::Column::Id.in_subquery(
                    Query::select()
                        .column(operator_companies::Column::OperatorId)
                        .from(operator_companies::Entity)
                        .and_where(operator_companies::Column::CompanyId.eq(*company_id))
                        .to_owned(),
                ),
            ),
        Actor::Operator { operator_id, .. } => {
            Condition::all().add(operators::Column::Id.eq(*operator_id))
        }
        Actor::PlatformAdmin { .. } => Condition::all(),
    };
    Ok(operators::Entity::find()
        .filter(scope)
        .order_by_asc(operators::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|o| SupportContact {
            operator: o.name,
            name: o.support_name,
            email: o.support_email,
        })
        .collect())
}

/// Sets the calling operator's support contact, which its FSPs' users see.
pub async fn set_support_contact(
    db: &DatabaseConnection,
    actor: &Actor,
    name: &str,
    email: &str,
    now: DateTime<Utc>,
) -> Result<SupportContact, ServiceError> {
    let Actor::Operator { operator_id, .. } = actor else {
        return Err(ServiceError::Forbidden(
            "an operator's users set its support contact".to_owned(),
        ));
    };
    let mut errors = Vec::new();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 160 {
        errors.push(super::FieldError::new(
            "name",
            "must be 1 to 160 characters",
        ));
    }
    let email = match super::parse_email(email) {
        Ok(address) => Some(address),
        Err(_) => {
            errors.push(super::FieldError::new("email", "is not an e-mail address"));
            None
        }
    };
    let (Some(email), true) = (email, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let row = operators::Entity::find_by_id(*operator_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("operator"))?;
    let txn = db.begin().await?;
    let mut active: operators::ActiveModel = row.into();
    active.support_name = Set(Some(name.to_owned()));
    active.support_email = Set(Some(email.to_string()));
    let row = active.update(&txn).await?;
    super::audit_change(
        &txn,
        now,
        actor.user_id(),
        *operator_id,
        None,
        "support_contact_set",
        format!("{name} <{email}>"),
    )
    .await?;
    txn.commit().await?;
    Ok(SupportContact {
        operator: row.name,
        name: row.support_name,
        email: row.support_email,
    })
}
