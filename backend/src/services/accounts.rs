//! Identities. Sign-in, sessions and API tokens arrive in a later change; until then a
//! dev-mode deployment may name one demo user that every request acts as.

use super::{Actor, ServiceError};
use crate::db::entities::{fsp_companies, operators};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use shared::Viewer;

/// Resolves a dev-mode demo user spec: `participant:<company name>`,
/// `operator:<operator name>` or `admin`.
pub async fn resolve_demo_user(db: &DatabaseConnection, spec: &str) -> Result<Actor, ServiceError> {
    let (kind, org) = spec.split_once(':').unwrap_or((spec, ""));
    let org = org.trim();
    match kind.trim() {
        "participant" => {
            let company = fsp_companies::Entity::find()
                .filter(fsp_companies::Column::Name.eq(org))
                .one(db)
                .await?
                .ok_or(ServiceError::NotFound("demo user's company"))?;
            Ok(Actor::Participant {
                user_name: format!("Demo user ({})", company.name),
                company_id: company.id,
                company_name: company.name,
            })
        }
        "operator" => {
            let operator = operators::Entity::find()
                .filter(operators::Column::Name.eq(org))
                .one(db)
                .await?
                .ok_or(ServiceError::NotFound("demo user's operator"))?;
            Ok(Actor::Operator {
                user_name: format!("Demo operator ({})", operator.name),
                operator_id: operator.id,
                operator_name: operator.name,
            })
        }
        "admin" => Ok(Actor::PlatformAdmin {
            user_name: "Demo platform admin".to_owned(),
        }),
        _ => Err(ServiceError::invalid(
            "demo_user",
            "must be participant:<company>, operator:<operator> or admin",
        )),
    }
}

/// The signed-in user as shown in the top bar and on the account page.
pub fn viewer(actor: &Actor) -> Viewer {
    let (name, organisation) = match actor {
        Actor::Participant {
            user_name,
            company_name,
            ..
        } => (user_name, Some(company_name)),
        Actor::Operator {
            user_name,
            operator_name,
            ..
        } => (user_name, Some(operator_name)),
        Actor::PlatformAdmin { user_name } => (user_name, None),
    };
    Viewer {
        name: name.clone(),
        role: actor.role(),
        organisation: organisation.cloned(),
    }
}
