//! Users: invitations, the account page, the users an operator manages, and the audit log.

use super::*;

/// Who is creating a user: the command line (an installation's first administrator) or a
/// signed-in operator or platform admin.
pub enum Creator<'a> {
    System,
    Actor(&'a Actor),
}

pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// FSP company name (participants) or operator name (operator users).
    pub organisation: Option<String>,
}

pub struct CreatedUser {
    pub id: PublicId,
    pub invitation_url: String,
}

pub(super) fn role_code(role: Role) -> &'static str {
    match role {
        Role::Participant => "participant",
        Role::Operator => "operator",
        Role::PlatformAdmin => "platform_admin",
    }
}

/// Creates a user and e-mails an invitation link, single use and valid 24 hours.
pub async fn create_user(
    env: &AccountsEnv<'_>,
    creator: Creator<'_>,
    input: NewUser,
    now: DateTime<Utc>,
) -> Result<CreatedUser, ServiceError> {
    let email = parse_email(&input.email)?;
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::invalid("name", "must be 1 to 100 characters"));
    }
    let organisation = input
        .organisation
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty());
    let (company_id, operator_id) = match (input.role, organisation) {
        (Role::Participant, Some(name)) => {
            let company = fsp_companies::Entity::find()
                .filter(fsp_companies::Column::Name.eq(name))
                .one(env.db)
                .await?
                .ok_or_else(|| {
                    ServiceError::invalid("organisation", "no FSP company has this name")
                })?;
            (Some(company.id), None)
        }
        (Role::Operator, Some(name)) => {
            let operator = operators::Entity::find()
                .filter(operators::Column::Name.eq(name))
                .one(env.db)
                .await?
                .ok_or_else(|| {
                    ServiceError::invalid("organisation", "no operator has this name")
                })?;
            (None, Some(operator.id))
        }
        (Role::PlatformAdmin, None) => (None, None),
        (Role::PlatformAdmin, Some(_)) => {
            return Err(ServiceError::invalid(
                "organisation",
                "platform admins belong to no organisation",
            ));
        }
        (_, None) => {
            return Err(ServiceError::invalid(
                "organisation",
                "is required: the FSP company or operator the user belongs to",
            ));
        }
    };
    let actor_user_id = match creator {
        Creator::System => None,
        Creator::Actor(actor) => {
            authorise_user_creation(env.db, actor, input.role, company_id, operator_id).await?;
            actor.user_id()
        }
    };
    let exists = user_rows::Entity::find()
        .filter(user_rows::Column::Email.eq(email.as_str()))
        .one(env.db)
        .await?
        .is_some();
    if exists {
        return Err(ServiceError::invalid("email", "is already registered"));
    }

    let token = crypto::new_token().map_err(crypto_error)?;
    let invitation_url = format!("{}/activate#token={token}", env.public_url);
    let public_id = new_public_id();
    let txn = env.db.begin().await?;
    let user = user_rows::ActiveModel {
        public_id: Set(public_id.to_string()),
        email: Set(email.clone()),
        name: Set(name.clone()),
        role: Set(role_code(input.role).to_owned()),
        company_id: Set(company_id),
        operator_id: Set(operator_id),
        password_hash: Set(None),
        password_changed_at: Set(None),
        totp_secret_enc: Set(None),
        totp_enabled: Set(false),
        totp_last_step: Set(None),
        failed_second_factor: Set(0),
        second_factor_locked_until: Set(None),
        disabled_at: Set(None),
        pref_monthly_invoices: Set(false),
        pref_weekly_declarations: Set(false),
        pref_daily_schedules: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    store_link_token(
        &txn,
        &user,
        "invitation",
        &token,
        now + INVITATION_VALIDITY,
        now,
    )
    .await?;
    audit(
        &txn,
        now,
        "user_created",
        actor_user_id,
        Some(&user),
        format!("role {}", user.role),
    )
    .await?;
    let mail = invitation_email(&name, &email, &invitation_url, env.public_url);
    commit_with_mail(env, txn, &mail, now).await?;
    Ok(CreatedUser {
        id: public_id,
        invitation_url,
    })
}

pub(super) async fn authorise_user_creation(
    db: &DatabaseConnection,
    actor: &Actor,
    role: Role,
    company_id: Option<i32>,
    operator_id: Option<i32>,
) -> Result<(), ServiceError> {
    match (actor, role) {
        (Actor::PlatformAdmin { .. }, _) => Ok(()),
        (
            Actor::Operator {
                operator_id: own, ..
            },
            Role::Operator,
        ) if operator_id == Some(*own) => Ok(()),
        (
            Actor::Operator {
                operator_id: own, ..
            },
            Role::Participant,
        ) => {
            // An operator manages the users of the FSPs it registered.
            let contracted = fsp_companies::Entity::find()
                .filter(fsp_companies::Column::Id.eq(company_id))
                .filter(crate::services::organisations::registered_by(
                    fsp_companies::Column::Id,
                    *own,
                ))
                .one(db)
                .await?
                .is_some();
            if contracted {
                Ok(())
            } else {
                Err(ServiceError::invalid(
                    "organisation",
                    "no FSP company of yours has this name",
                ))
            }
        }
        _ => Err(ServiceError::Forbidden(
            "you may not create this user".to_owned(),
        )),
    }
}

pub(super) fn invitation_email(name: &str, email: &str, url: &str, public_url: &str) -> Email {
    let text = format!(
        "Hello {name},\n\nAn Openflex account has been created for {email}.\n\n\
         Set your password here (the link works once, for 24 hours):\n{url}\n\n\
         If the link has expired, go to {public_url}/login and choose \"Forgot your password\".\n"
    );
    let html = format!(
        "<p>Hello {},</p><p>An Openflex account has been created for {}.</p>\
         <p><a href=\"{}\">Set your password</a> (the link works once, for 24 hours).</p>\
         <p>If the link has expired, go to <a href=\"{}/login\">the sign-in page</a> and choose \
         \"Forgot your password\".</p>",
        html_escape(name),
        html_escape(email),
        html_escape(url),
        html_escape(public_url)
    );
    Email {
        to: email.to_owned(),
        subject: "Your Openflex account".to_owned(),
        text,
        html,
    }
}

/// The signed-in user as shown in the top bar and on the account page.
pub async fn me(db: &DatabaseConnection, actor: &Actor) -> Result<Viewer, ServiceError> {
    let user = own_row(db, actor).await?;
    let organisation = match actor {
        Actor::Participant { company_name, .. } => Some(company_name.clone()),
        Actor::Operator { operator_name, .. } => Some(operator_name.clone()),
        Actor::PlatformAdmin { .. } => None,
    };
    Ok(Viewer {
        id: PublicId::parse(&user.public_id)
            .map_err(|_| ServiceError::Internal(sea_orm::DbErr::Custom("bad public id".into())))?,
        name: user.name.clone(),
        email: user.email.clone(),
        role: actor.role(),
        organisation,
        preferences: preferences(&user),
    })
}

pub(super) fn preferences(user: &user_rows::Model) -> EmailPreferences {
    EmailPreferences {
        monthly_invoices: user.pref_monthly_invoices,
        weekly_accepted_declarations: user.pref_weekly_declarations,
        daily_schedules: user.pref_daily_schedules,
    }
}

pub(super) async fn own_row(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<user_rows::Model, ServiceError> {
    user_rows::Entity::find_by_id(actor.user_id().ok_or(ServiceError::Unauthenticated)?)
        .one(db)
        .await?
        .ok_or(ServiceError::Unauthenticated)
}

/// Saves the caller's e-mail opt-ins.
pub async fn update_my_preferences(
    db: &DatabaseConnection,
    actor: &Actor,
    wanted: EmailPreferences,
) -> Result<EmailPreferences, ServiceError> {
    let user = own_row(db, actor).await?;
    let mut active: user_rows::ActiveModel = user.into();
    active.pref_monthly_invoices = Set(wanted.monthly_invoices);
    active.pref_weekly_declarations = Set(wanted.weekly_accepted_declarations);
    active.pref_daily_schedules = Set(wanted.daily_schedules);
    Ok(preferences(&active.update(db).await?))
}

/// Users the caller may see: a participant its own company's, an operator its own
/// colleagues and the users of the FSPs contracted in its zones, a platform admin all.
pub(super) fn visible_users(actor: &Actor) -> sea_orm::Condition {
    use sea_orm::Condition;
    match actor {
        Actor::Participant { company_id, .. } => {
            Condition::all().add(user_rows::Column::CompanyId.eq(*company_id))
        }
        Actor::Operator { operator_id, .. } => Condition::any()
            .add(user_rows::Column::OperatorId.eq(*operator_id))
            .add(crate::services::organisations::contracted_by(
                user_rows::Column::CompanyId,
                *operator_id,
            )),
        Actor::PlatformAdmin { .. } => Condition::all(),
    }
}

/// The e-mail addresses of the users the caller may see.
pub(crate) async fn visible_emails(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<Vec<String>, ServiceError> {
    use sea_orm::QuerySelect;
    Ok(user_rows::Entity::find()
        .select_only()
        .column(user_rows::Column::Email)
        .filter(visible_users(actor))
        .into_tuple::<String>()
        .all(db)
        .await?)
}

pub(super) fn role_of(code: &str) -> Role {
    match code {
        "operator" => Role::Operator,
        "platform_admin" => Role::PlatformAdmin,
        _ => Role::Participant,
    }
}

/// The users the caller may see, by name.
pub async fn list_users(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<Vec<UserSummary>, ServiceError> {
    use sea_orm::QueryOrder;
    let rows = user_rows::Entity::find()
        .filter(visible_users(actor))
        .order_by_asc(user_rows::Column::Name)
        .all(db)
        .await?;
    summaries(db, rows).await
}

/// One user by public id, if the caller may see them.
pub async fn get_user(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &PublicId,
) -> Result<UserSummary, ServiceError> {
    let row = user_rows::Entity::find()
        .filter(user_rows::Column::PublicId.eq(id.as_str()))
        .filter(visible_users(actor))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    summaries(db, vec![row])
        .await?
        .pop()
        .ok_or(ServiceError::NotFound("user"))
}

/// Users with their organisations' names, in two more queries whatever the count.
pub(super) async fn summaries(
    db: &DatabaseConnection,
    rows: Vec<user_rows::Model>,
) -> Result<Vec<UserSummary>, ServiceError> {
    let companies: std::collections::HashMap<i32, String> = fsp_companies::Entity::find()
        .filter(fsp_companies::Column::Id.is_in(rows.iter().filter_map(|u| u.company_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let operators: std::collections::HashMap<i32, String> = operators::Entity::find()
        .filter(operators::Column::Id.is_in(rows.iter().filter_map(|u| u.operator_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    rows.into_iter()
        .map(|u| {
            let organisation = u
                .company_id
                .and_then(|c| companies.get(&c).cloned())
                .or_else(|| u.operator_id.and_then(|o| operators.get(&o).cloned()));
            Ok(UserSummary {
                id: PublicId::parse(&u.public_id).map_err(|_| {
                    ServiceError::Internal(sea_orm::DbErr::Custom("bad public id".into()))
                })?,
                role: role_of(&u.role),
                activated: u.password_hash.is_some(),
                second_factor_enrolled: u.totp_enabled,
                disabled: u.disabled_at.is_some(),
                name: u.name,
                email: u.email,
                organisation,
            })
        })
        .collect()
}

/// A user an operator or platform admin may manage: an operator its own colleagues and the
/// users of the FSP companies it registered. Not found otherwise (a user the operator can
/// see but not manage is refused as forbidden).
pub(super) async fn managed_user(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
) -> Result<user_rows::Model, ServiceError> {
    if matches!(actor, Actor::Participant { .. }) {
        return Err(ServiceError::Forbidden(
            "only operators and platform admins manage users".to_owned(),
        ));
    }
    let user = user_rows::Entity::find()
        .filter(user_rows::Column::PublicId.eq(id))
        .filter(visible_users(actor))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    if let Actor::Operator { operator_id, .. } = actor
        && user.operator_id != Some(*operator_id)
    {
        let registered = fsp_companies::Entity::find()
            .filter(fsp_companies::Column::Id.eq(user.company_id))
            .filter(crate::services::organisations::registered_by(
                fsp_companies::Column::Id,
                *operator_id,
            ))
            .one(db)
            .await?
            .is_some();
        if !registered {
            return Err(ServiceError::Forbidden(
                "only the operator that registered this user's company manages its users"
                    .to_owned(),
            ));
        }
    }
    Ok(user)
}

/// Disables a user: every session ends at once and sign-in is refused from then on.
pub async fn disable_user(
    env: &AccountsEnv<'_>,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let user = managed_user(env.db, actor, id).await?;
    if Some(user.id) == actor.user_id() {
        return Err(ServiceError::invalid("id", "you cannot disable yourself"));
    }
    let txn = env.db.begin().await?;
    let mut active: user_rows::ActiveModel = user.clone().into();
    active.disabled_at = Set(Some(now));
    active.update(&txn).await?;
    session_rows::Entity::delete_many()
        .filter(session_rows::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    audit(&txn, now, "user_disabled", actor.user_id(), Some(&user), "").await?;
    txn.commit().await?;
    Ok(())
}

/// Resets a user's second factor (guide §2.5): the authenticator is forgotten, sessions
/// end, and the next sign-in enrols again. Audited; the user is e-mailed.
pub async fn reset_second_factor(
    env: &AccountsEnv<'_>,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let user = managed_user(env.db, actor, id).await?;
    let txn = env.db.begin().await?;
    let mut active: user_rows::ActiveModel = user.clone().into();
    active.totp_enabled = Set(false);
    active.totp_secret_enc = Set(None);
    active.totp_last_step = Set(None);
    active.failed_second_factor = Set(0);
    active.second_factor_locked_until = Set(None);
    active.update(&txn).await?;
    session_rows::Entity::delete_many()
        .filter(session_rows::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    // A passkey is a second factor too: whoever asked for the reset may have lost it.
    crate::db::entities::passkeys::Entity::delete_many()
        .filter(crate::db::entities::passkeys::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    audit(
        &txn,
        now,
        "second_factor_reset",
        actor.user_id(),
        Some(&user),
        "",
    )
    .await?;
    let text = format!(
        "Hello {},\n\nAn operator has reset the two-factor authentication of your Openflex \
         account ({}), and removed its passkeys. The next time you sign in you will set up your \
         authenticator app again.\n\n\
         If you did not ask for this, contact your operator at once.\n\n{}/login\n",
        user.name, user.email, env.public_url
    );
    let html = format!(
        "<p>Hello {},</p><p>An operator has reset the two-factor authentication of your Openflex \
         account ({}). The next time you <a href=\"{}/login\">sign in</a> you will set up your \
         authenticator app again.</p><p>If you did not ask for this, contact your operator at once.</p>",
        html_escape(&user.name),
        html_escape(&user.email),
        html_escape(env.public_url)
    );
    let email = Email {
        to: user.email.clone(),
        subject: "Your Openflex two-factor authentication was reset".to_owned(),
        text,
        html,
    };
    commit_with_mail(env, txn, &email, now).await?;
    Ok(())
}

/// Security events about the users the caller manages, newest first.
pub async fn audit_log(
    db: &DatabaseConnection,
    actor: &Actor,
    limit: u64,
) -> Result<Vec<AuditEntry>, ServiceError> {
    use sea_orm::{QueryOrder, QuerySelect};
    if matches!(actor, Actor::Participant { .. }) {
        return Err(ServiceError::Forbidden(
            "only operators and platform admins read the audit log".to_owned(),
        ));
    }
    let subjects: Vec<user_rows::Model> = user_rows::Entity::find()
        .filter(visible_users(actor))
        .all(db)
        .await?;
    let ids: Vec<i32> = subjects.iter().map(|u| u.id).collect();
    // Events about visible users, and changes to the caller's own network (configuration,
    // availability, baselines), which concern no user.
    let mut scope = sea_orm::Condition::any().add(audit_events::Column::SubjectUserId.is_in(ids));
    match actor {
        Actor::PlatformAdmin { .. } => {
            scope = scope.add(audit_events::Column::OperatorId.is_not_null());
        }
        Actor::Operator { operator_id, .. } => {
            scope = scope.add(
                sea_orm::Condition::all()
                    .add(audit_events::Column::SubjectUserId.is_null())
                    .add(audit_events::Column::OperatorId.eq(*operator_id)),
            );
        }
        Actor::Participant { .. } => {}
    }
    let events = audit_events::Entity::find()
        .filter(scope)
        .order_by_desc(audit_events::Column::At)
        .order_by_desc(audit_events::Column::Id)
        .limit(limit.min(1000))
        .all(db)
        .await?;
    let actor_ids: Vec<i32> = events.iter().filter_map(|e| e.actor_user_id).collect();
    let mut emails: std::collections::HashMap<i32, String> =
        subjects.into_iter().map(|u| (u.id, u.email)).collect();
    for u in user_rows::Entity::find()
        .filter(user_rows::Column::Id.is_in(actor_ids))
        .all(db)
        .await?
    {
        emails.insert(u.id, u.email);
    }
    Ok(events
        .into_iter()
        .map(|e| AuditEntry {
            at: e.at,
            actor_email: e.actor_user_id.and_then(|id| emails.get(&id).cloned()),
            subject_email: e.subject_user_id.and_then(|id| emails.get(&id).cloned()),
            event: e.event,
            detail: e.detail,
        })
        .collect())
}
