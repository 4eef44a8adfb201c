//! Delivering due messages: by signed POST to the company's endpoint or by e-mail to its
//! dispatch contacts, many at once, outcomes recorded in batches.

use super::*;

/// One pass of the delivery worker: sends every due message once, then reschedules it,
/// marks it delivered, or marks it missed past its deadline. Returns how many it tried.
///
/// The sends run concurrently and their outcomes are written as they come in, whatever has
/// finished in one go, rather than two statements per message: with thousands of STARTs
/// due at one instant the writes, not the POSTs, would set the pace. A crash leaves the
/// messages sent but not yet recorded (at most [`AT_RISK`]) leased; they are sent again,
/// with the same `webhook-id`, once the lease runs out.
pub async fn deliver_due(
    db: &DatabaseConnection,
    config: &Settings,
    secrets: &SecretBox,
    mailer: &Mailer,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    use futures_util::StreamExt;
    let messages = claim(db, owner, now, config.delivery_batch.max(1)).await?;
    let count = messages.len();
    if count == 0 {
        return Ok(0);
    }
    let targets = targets(db, config, secrets, &messages).await?;
    let targets = &targets;
    // Endpoints answer in their own time: many at once, so one slow FSP delays no other.
    let mut finished = futures_util::stream::iter(messages)
        .map(|message| process(db, targets, mailer, now, message))
        .buffer_unordered(CONCURRENCY)
        .ready_chunks(RECORD_BATCH);
    let mut failure = None;
    while let Some(batch) = finished.next().await {
        let mut outcomes = Vec::with_capacity(batch.len());
        for result in batch {
            match result {
                Ok(outcome) => outcomes.push(outcome),
                // Left leased, so retried after the lease; the others' outcomes still count.
                Err(e) => failure = Some(e),
            }
        }
        record(db, owner, now, outcomes).await?;
    }
    failure.map_or(Ok(count), Err)
}

/// How many messages a pass sends at once, and the most outcomes it writes in one go.
pub const CONCURRENCY: usize = 128;

pub(super) const RECORD_BATCH: usize = 128;

/// The most messages a worker killed mid-pass may have sent without recording it: those in
/// flight and those finished but not yet written. Only these can arrive twice.
pub const AT_RISK: usize = CONCURRENCY + RECORD_BATCH;

/// Where a company's messages go in this pass, worked out once per company.
pub(super) enum Target {
    Email(dispatch_settings::Model),
    Api {
        url: reqwest::Url,
        client: reqwest::Client,
        secret: String,
    },
    /// Why nothing can be sent now (retried until the deadline).
    Unusable(String),
}

/// The targets of the companies whose messages are in this pass. Settings are read afresh
/// each pass, so a rotated secret or a new endpoint applies to the next message sent.
pub(super) async fn targets(
    db: &DatabaseConnection,
    config: &Settings,
    secrets: &SecretBox,
    messages: &[dispatch_messages::Model],
) -> Result<HashMap<i32, Target>, ServiceError> {
    let companies: std::collections::BTreeSet<i32> =
        messages.iter().map(|m| m.company_id).collect();
    let settings = dispatch_settings::Entity::find()
        .filter(dispatch_settings::Column::CompanyId.is_in(companies.iter().copied()))
        .all(db)
        .await?;
    let mut out = HashMap::with_capacity(companies.len());
    for company in companies {
        let found = settings.iter().find(|s| s.company_id == company);
        out.insert(company, target(config, secrets, found).await?);
    }
    Ok(out)
}

pub(super) async fn target(
    config: &Settings,
    secrets: &SecretBox,
    settings: Option<&dispatch_settings::Model>,
) -> Result<Target, ServiceError> {
    if let Some(s) = settings.filter(|s| s.delivery == DeliveryChannel::Email.as_str()) {
        return Ok(Target::Email(s.clone()));
    }
    let (Some(endpoint), Some(sealed)) = (
        settings.and_then(|s| s.endpoint_url.clone()),
        settings.and_then(|s| s.secret_enc.clone()),
    ) else {
        return Ok(Target::Unusable(
            "the company has no endpoint or signing secret configured".to_owned(),
        ));
    };
    let secret = String::from_utf8(secrets.open(&sealed).map_err(accounts::crypto_error)?)
        .map_err(|_| corrupt("signing secret"))?;
    let Ok(url) = webhooks::check_form(&format!("{endpoint}/dispatch"), config) else {
        return Ok(Target::Unusable(format!(
            "the endpoint {endpoint} is no longer acceptable"
        )));
    };
    // Resolved and checked every pass: a name that now points inside is refused.
    let addrs = match webhooks::resolve(&url, config).await {
        Ok(addrs) => addrs,
        Err(ServiceError::Invalid(errors)) => {
            return Ok(Target::Unusable(
                errors
                    .into_iter()
                    .map(|e| e.reason)
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
        Err(other) => return Err(other),
    };
    let client = client(&url, &addrs)?;
    Ok(Target::Api {
        url,
        client,
        secret,
    })
}

/// An HTTP client per endpoint and checked addresses, kept across passes so that the
/// connections to an FSP's endpoint are reused rather than opened for every pass.
pub(super) fn client(
    url: &reqwest::Url,
    addrs: &[std::net::SocketAddr],
) -> Result<reqwest::Client, ServiceError> {
    type Clients = HashMap<(String, Vec<std::net::SocketAddr>), reqwest::Client>;
    static CLIENTS: std::sync::LazyLock<std::sync::Mutex<Clients>> =
        std::sync::LazyLock::new(Default::default);
    let key = (url.as_str().to_owned(), addrs.to_vec());
    let mut clients = CLIENTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(client) = clients.get(&key) {
        return Ok(client.clone());
    }
    let client = webhooks::client_for(url, addrs)?;
    // Endpoints change rarely; a bound keeps a churn of them from growing the map for ever.
    if clients.len() >= 10_000 {
        clients.clear();
    }
    clients.insert(key, client.clone());
    Ok(client)
}

/// What became of one claimed message in a pass, written by [`record`].
pub(super) struct Outcome {
    message: dispatch_messages::Model,
    verdict: Verdict,
    /// The attempt for the health panel; `None` when nothing was sent.
    attempt: Option<delivery_attempts::ActiveModel>,
}

pub(super) enum Verdict {
    Delivered,
    Retry {
        next: DateTime<Utc>,
        error: String,
    },
    /// Past its deadline; `tried` when this pass made an attempt first.
    Missed {
        error: String,
        tried: bool,
    },
}

pub(super) async fn process(
    db: &DatabaseConnection,
    targets: &HashMap<i32, Target>,
    mailer: &Mailer,
    now: DateTime<Utc>,
    message: dispatch_messages::Model,
) -> Result<Outcome, ServiceError> {
    if now > message.deadline {
        let error = message
            .last_error
            .clone()
            .unwrap_or_else(|| "not delivered before its deadline".to_owned());
        return Ok(Outcome {
            message,
            verdict: Verdict::Missed {
                error,
                tried: false,
            },
            attempt: None,
        });
    }
    let target = targets
        .get(&message.company_id)
        .ok_or_else(|| corrupt("delivery target"))?;
    let (result, attempt) = self::attempt(db, target, mailer, &message, now).await?;
    let verdict = match result {
        Ok(()) => Verdict::Delivered,
        Err(error) => {
            let next = now + retry_after(message.attempts + 1);
            if next > message.deadline {
                Verdict::Missed { error, tried: true }
            } else {
                Verdict::Retry { next, error }
            }
        }
    };
    Ok(Outcome {
        message,
        verdict,
        attempt,
    })
}

/// Writes a pass's outcomes in one transaction: the attempt rows in bulk, the delivered
/// messages in one statement, the (rarer) failures one by one. Only messages this worker
/// still holds are changed; one whose lease ran out belongs to whoever took it over.
pub(super) async fn record(
    db: &DatabaseConnection,
    owner: &str,
    now: DateTime<Utc>,
    mut outcomes: Vec<Outcome>,
) -> Result<(), ServiceError> {
    use dispatch_messages::Column;
    let attempts: Vec<delivery_attempts::ActiveModel> = outcomes
        .iter_mut()
        .filter_map(|o| o.attempt.take())
        .collect();
    let txn = db.begin().await?;
    for chunk in attempts.chunks(500) {
        delivery_attempts::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let delivered: Vec<i64> = outcomes
        .iter()
        .filter(|o| matches!(o.verdict, Verdict::Delivered))
        .map(|o| o.message.id)
        .collect();
    for chunk in delivered.chunks(1_000) {
        dispatch_messages::Entity::update_many()
            .col_expr(
                Column::Status,
                Expr::value(MessageStatus::Delivered.as_str()),
            )
            .col_expr(
                Column::Attempts,
                sea_orm::sea_query::ExprTrait::add(Expr::col(Column::Attempts), 1),
            )
            .col_expr(Column::DeliveredAt, Expr::value(Some(now)))
            .col_expr(Column::LastError, Expr::value(None::<String>))
            .col_expr(Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
            .filter(Column::Id.is_in(chunk.iter().copied()))
            .filter(Column::LeaseOwner.eq(owner))
            .exec(&txn)
            .await?;
    }
    for outcome in outcomes {
        let message = &outcome.message;
        let update = dispatch_messages::Entity::update_many()
            .col_expr(Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
            .filter(Column::Id.eq(message.id))
            .filter(Column::LeaseOwner.eq(owner));
        let update = match outcome.verdict {
            Verdict::Delivered => continue,
            Verdict::Retry { next, error } => update
                .col_expr(Column::Attempts, Expr::value(message.attempts + 1))
                .col_expr(Column::NextAttemptAt, Expr::value(next))
                .col_expr(Column::LastError, Expr::value(error)),
            Verdict::Missed { error, tried } => update
                .col_expr(Column::Status, Expr::value(MessageStatus::Missed.as_str()))
                .col_expr(
                    Column::Attempts,
                    Expr::value(message.attempts + i32::from(tried)),
                )
                .col_expr(Column::LastError, Expr::value(error)),
        };
        update.exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Sends a message once; `Err` in the result carries why it was not delivered, and the
/// attempt row is the one to record (none when nothing could be sent).
pub(super) async fn attempt(
    db: &DatabaseConnection,
    target: &Target,
    mailer: &Mailer,
    message: &dispatch_messages::Model,
    now: DateTime<Utc>,
) -> Result<(Result<(), String>, Option<delivery_attempts::ActiveModel>), ServiceError> {
    let (url, client, secret) = match target {
        Target::Email(settings) => return by_email(db, mailer, settings, message, now).await,
        Target::Unusable(reason) => return Ok((Err(reason.clone()), None)),
        Target::Api {
            url,
            client,
            secret,
        } => (url, client, secret),
    };
    let body = serde_json::from_str::<Message>(&message.payload)
        .map_err(|_| corrupt("message payload"))?
        .sent(now);
    let bytes = serde_json::to_vec(&body).map_err(|_| corrupt("message payload"))?;
    let sent = webhooks::post_with(
        client,
        url,
        &message.message_id,
        now.timestamp(),
        bytes,
        secret,
    )
    .await?;
    let row = sent.row(
        webhooks::Attempted {
            company_id: message.company_id,
            message_id: &message.message_id,
            instruction: &message.instruction,
            test: false,
            url: url.as_str(),
        },
        now,
    );
    let result = if sent.delivered() {
        Ok(())
    } else {
        Err(match (sent.status, sent.error) {
            (Some(status), _) => format!("HTTP {status}"),
            (None, Some(error)) => error,
            (None, None) => "no answer".to_owned(),
        })
    };
    Ok((result, Some(row)))
}

/// E-mail delivery for FSPs without an API: the same notice to each dispatch contact.
pub(super) async fn by_email(
    db: &DatabaseConnection,
    mailer: &Mailer,
    settings: &dispatch_settings::Model,
    message: &dispatch_messages::Model,
    now: DateTime<Utc>,
) -> Result<(Result<(), String>, Option<delivery_attempts::ActiveModel>), ServiceError> {
    let contacts = crate::services::dispatch_settings::contacts(
        settings.email_contacts.as_deref().unwrap_or(""),
    );
    if contacts.is_empty() {
        return Ok((
            Err("the company takes dispatches by e-mail but names no contact".to_owned()),
            None,
        ));
    }
    let body: serde_json::Value =
        serde_json::from_str(&message.payload).map_err(|_| corrupt("message payload"))?;
    let text = notice_text(&body, &message.message_id);
    let instruction = body["instruction"].as_str().unwrap_or(&message.instruction);
    let subject = match body["dispatch_group"]["name"].as_str() {
        Some(group) => format!(
            "Openflex dispatch {instruction}: {group}, {} to {}",
            body["start"].as_str().unwrap_or(""),
            body["end"].as_str().unwrap_or("")
        ),
        None => format!(
            "Openflex {instruction}: {} from {}",
            body["programme"].as_str().unwrap_or(""),
            body["period"]["start"].as_str().unwrap_or("")
        ),
    };
    let mut refused = Vec::new();
    for to in contacts {
        let email = Email {
            to: to.clone(),
            subject: subject.clone(),
            html: format!("<pre>{}</pre>", html_escape(&text)),
            text: text.clone(),
        };
        let queued = mailer.queue(db, &email, now).await?;
        if let Err(why) = mailer.try_deliver(db, queued, now).await? {
            refused.push(format!("{to}: {why}"));
        }
    }
    // Not delivered until the mail server has taken it for every contact: otherwise the
    // notice is retried (contacts already reached may get it again, same message id).
    let error = (!refused.is_empty()).then(|| format!("e-mail not sent: {}", refused.join("; ")));
    let row = webhooks::Sent {
        status: None,
        latency_ms: 0,
        error: error.clone(),
        body_excerpt: Some(subject),
    }
    .row(
        webhooks::Attempted {
            company_id: message.company_id,
            message_id: &message.message_id,
            instruction: &message.instruction,
            test: false,
            url: "e-mail",
        },
        now,
    );
    Ok((error.map_or(Ok(()), Err), Some(row)))
}

/// A dispatch message in words, for e-mail.
pub(super) fn notice_text(body: &serde_json::Value, message_id: &str) -> String {
    let s = |v: &serde_json::Value| {
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| v.to_string())
    };
    let mut lines = vec![
        format!("Instruction: {}", s(&body["instruction"])),
        format!(
            "Zone: {} ({})",
            s(&body["zone"]["name"]),
            s(&body["zone"]["id"])
        ),
        format!("Programme: {}", s(&body["programme"])),
    ];
    let event = |d: &serde_json::Value| {
        format!(
            "Dispatch {}: {} ({}), {} to {} (UTC), power change {} kW, meterable units {}",
            s(&d["dispatch_id"]),
            s(&d["dispatch_group"]["name"]),
            s(&d["dispatch_group"]["id"]),
            s(&d["start"]),
            s(&d["end"]),
            d["power_change_kw"]
                .as_f64()
                .map(|kw| kw.to_string())
                .unwrap_or_default(),
            d["meterable_unit_ids"]
                .as_array()
                .map(|ids| ids.iter().map(s).collect::<Vec<_>>().join(", "))
                .unwrap_or_default()
        )
    };
    match body["dispatches"].as_array() {
        Some(list) => {
            lines.push(format!(
                "Period: {} to {} (UTC)",
                s(&body["period"]["start"]),
                s(&body["period"]["end"])
            ));
            if list.is_empty() {
                lines.push("No dispatches in this period.".to_owned());
            }
            lines.extend(list.iter().map(event));
        }
        None => lines.push(event(body)),
    }
    lines.push(format!("Message id: {message_id}"));
    lines.join("\n")
}
