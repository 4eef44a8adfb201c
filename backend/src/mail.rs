//! Outgoing e-mail. Every message is first kept in `outgoing_mail`; with SMTP configured it
//! is then sent through lettre, otherwise it stays there (and is logged) for a person to
//! read in dev mode.

use crate::db::entities::outgoing_mail;
use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

/// One message with plain-text and HTML bodies.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("smtp_url is not a valid SMTP URL: {0}")]
    Url(String),
    #[error("mail_from is not a valid address: {0}")]
    From(String),
}

impl Mailer {
    pub fn new(smtp_url: Option<&str>, from: &str) -> Result<Self, MailConfigError> {
        let transport = smtp_url
            .map(|url| {
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&transport_url(url)?)
                    .map(|b| b.build())
                    .map_err(|e| MailConfigError::Url(e.to_string()))
            })
            .transpose()?;
        let from = from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailConfigError::From(e.to_string()))?;
        Ok(Self { transport, from })
    }

    /// Records the message in the same transaction as the change that caused it.
    pub async fn queue(
        &self,
        db: &impl ConnectionTrait,
        email: &Email,
        now: DateTime<Utc>,
    ) -> Result<outgoing_mail::Model, DbErr> {
        outgoing_mail::ActiveModel {
            to_address: Set(email.to.clone()),
            subject: Set(email.subject.clone()),
            text_body: Set(email.text.clone()),
            html_body: Set(email.html.clone()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
    }

    /// Sends a queued message after its transaction committed, recording the outcome. A
    /// failed send is logged and left for a retry; it never fails the caller's request.
    pub async fn deliver(
        &self,
        db: &impl ConnectionTrait,
        queued: outgoing_mail::Model,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        self.try_deliver(db, queued, now).await.map(|_| ())
    }

    /// Like [`Mailer::deliver`], and says whether the SMTP server took the message: `Err`
    /// carries why not (none configured, or refused), for callers that must retry — a
    /// dispatch notice is not delivered until it is.
    pub async fn try_deliver(
        &self,
        db: &impl ConnectionTrait,
        queued: outgoing_mail::Model,
        now: DateTime<Utc>,
    ) -> Result<Result<(), String>, DbErr> {
        let Some(transport) = &self.transport else {
            tracing::info!(to = %queued.to_address, subject = %queued.subject, id = queued.id,
                "no SMTP server configured: e-mail kept in outgoing_mail");
            return Ok(Err(
                "no SMTP server is configured (OPENFLEX_SMTP_URL)".to_owned()
            ));
        };
        let outcome = match self.message(&queued) {
            Ok(message) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let mut row: outgoing_mail::ActiveModel = queued.clone().into();
        match &outcome {
            Ok(()) => {
                row.sent_at = Set(Some(now));
                // Once the mail server has it, keep only who, what and when: bodies hold
                // single-use links that must not outlive their delivery in our database.
                row.text_body = Set(String::new());
                row.html_body = Set(String::new());
                row.last_error = Set(None);
            }
            Err(e) => {
                tracing::warn!(id = queued.id, error = %e, "e-mail not sent");
                row.last_error = Set(Some(e.clone()));
            }
        }
        row.update(db).await?;
        Ok(outcome)
    }

    fn message(&self, mail: &outgoing_mail::Model) -> Result<Message, String> {
        let to: Mailbox = mail
            .to_address
            .parse()
            .map_err(|e| format!("recipient: {e}"))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                mail.text_body.clone(),
                mail.html_body.clone(),
            ))
            .map_err(|e| e.to_string())
    }
}

/// Our SMTP URL as lettre reads it. `smtp://` upgrades to TLS with STARTTLS whenever the
/// server offers it (lettre's own `smtp://` never would); `smtp+insecure://` is the explicit
/// plain form, for a relay on the same host; `smtps://` is TLS from the first byte.
fn transport_url(url: &str) -> Result<String, MailConfigError> {
    if let Some(rest) = url.strip_prefix("smtp+insecure://") {
        if rest.contains("tls=") {
            return Err(MailConfigError::Url(
                "smtp+insecure:// is plain SMTP; do not add a tls= parameter".to_owned(),
            ));
        }
        return Ok(format!("smtp://{rest}"));
    }
    if url.starts_with("smtp://") && !url.contains("tls=") {
        let joiner = if url.contains('?') { '&' } else { '?' };
        return Ok(format!("{url}{joiner}tls=opportunistic"));
    }
    Ok(url.to_owned())
}

/// Escapes text for an HTML body.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::transport_url;

    #[test]
    fn smtp_upgrades_with_starttls_unless_explicitly_insecure() {
        let url = |u: &str| transport_url(u).unwrap_or_default();
        assert_eq!(url("smtp://mail:25"), "smtp://mail:25?tls=opportunistic");
        assert_eq!(
            url("smtp://u:p@mail:587?tls=required"),
            "smtp://u:p@mail:587?tls=required"
        );
        assert_eq!(
            url("smtp+insecure://127.0.0.1:2525"),
            "smtp://127.0.0.1:2525"
        );
        assert_eq!(url("smtps://mail"), "smtps://mail");
        assert!(transport_url("smtp+insecure://mail?tls=required").is_err());
    }
}
