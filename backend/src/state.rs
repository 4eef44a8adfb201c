//! The application's state: the database, settings, clock, mailer, keys and relying party
//! every adapter shares. It knows no adapter: GraphQL, REST and the jobs depend on it, not
//! the other way round.

use crate::config::Settings;
use crate::crypto::SecretBox;
use crate::mail::Mailer;
use crate::services::accounts::AccountsEnv;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// The source of "now". Services never read the system clock themselves.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The real time shifted by a fixed amount: a clock that read `start` when it was made
/// and runs on at the real rate (dev mode's `start_clock_at`).
pub struct ShiftedClock {
    offset: chrono::TimeDelta,
}

impl ShiftedClock {
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            offset: start - Utc::now(),
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    pub mailer: Mailer,
    pub secrets: SecretBox,
    /// Proxies whose `X-Forwarded-For` names the client (`OPENFLEX_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// The WebAuthn relying party (passkeys), from the public URL.
    pub webauthn: Arc<webauthn_rs::Webauthn>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Mail(#[from] crate::mail::MailConfigError),
    #[error("secret_key: {0}")]
    Key(#[from] crate::crypto::CryptoError),
    #[error("{0}")]
    WebAuthn(String),
    #[error("{0}")]
    Config(String),
}

impl AppState {
    /// Without a configured secret key (tests, dev mode before start-up made one) an
    /// ephemeral key is used: secrets sealed with it do not survive a restart.
    pub fn new(
        db: DatabaseConnection,
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StateError> {
        let key = match &settings.secret_key {
            Some(key) => key.clone(),
            None => SecretBox::generate_key()?,
        };
        let secrets = SecretBox::from_base64(&key)?;
        let mailer = Mailer::new(settings.smtp_url.as_deref(), &settings.mail_from)?;
        let webauthn = crate::services::passkeys::relying_party(&settings.public_url)
            .map_err(StateError::WebAuthn)?;
        let trusted_proxies =
            crate::client::parse_trusted(&settings.trusted_proxies).map_err(StateError::Config)?;
        Ok(Self {
            webauthn: Arc::new(webauthn),
            db,
            settings: Arc::new(settings),
            clock,
            mailer,
            secrets,
            trusted_proxies: Arc::new(trusted_proxies),
        })
    }

    /// What account services need besides the caller.
    pub fn accounts_env(&self) -> AccountsEnv<'_> {
        AccountsEnv {
            db: &self.db,
            mailer: &self.mailer,
            secrets: &self.secrets,
            public_url: self.settings.public_url.trim_end_matches('/'),
        }
    }
}
