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
    /// When the scheduler and the delivery worker last finished a pass (`/readyz`).
    pub heartbeats: Arc<Heartbeats>,
}

/// The background loops' last completed passes, on the process's monotonic clock.
#[derive(Debug)]
pub struct Heartbeats {
    started: std::time::Instant,
    scheduler: std::sync::atomic::AtomicU64,
    delivery: std::sync::atomic::AtomicU64,
}

/// A loop that has never finished a pass.
const NEVER: u64 = u64::MAX;

impl Default for Heartbeats {
    fn default() -> Self {
        Self {
            started: std::time::Instant::now(),
            scheduler: NEVER.into(),
            delivery: NEVER.into(),
        }
    }
}

impl Heartbeats {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(NEVER - 1)
    }

    pub fn scheduler_ran(&self) {
        self.scheduler
            .store(self.now_ms(), std::sync::atomic::Ordering::Relaxed);
    }

    pub fn delivery_ran(&self) {
        self.delivery
            .store(self.now_ms(), std::sync::atomic::Ordering::Relaxed);
    }

    fn within(&self, beat: &std::sync::atomic::AtomicU64, limit: std::time::Duration) -> bool {
        let last = beat.load(std::sync::atomic::Ordering::Relaxed);
        last != NEVER && u128::from(self.now_ms().saturating_sub(last)) <= limit.as_millis()
    }

    /// Whether the scheduler finished a pass within `limit`.
    pub fn scheduler_within(&self, limit: std::time::Duration) -> bool {
        self.within(&self.scheduler, limit)
    }

    /// Whether the delivery worker finished a pass within `limit`.
    pub fn delivery_within(&self, limit: std::time::Duration) -> bool {
        self.within(&self.delivery, limit)
    }
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
            heartbeats: Arc::default(),
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
