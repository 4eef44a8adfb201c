//! Typed configuration: defaults, then an optional TOML file, then `OPENFLEX_*`
//! environment variables (and `DATABASE_URL`). Built once at start-up and passed down.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// Address the HTTP server binds to.
    pub addr: SocketAddr,
    /// Public base URL of the product; links in e-mails and CSRF checks use it.
    pub public_url: String,
    /// `sqlite://…` (default, a file under ./data) or `postgres://…`.
    pub database_url: String,
    /// Development conveniences: GraphiQL, introspection, cookies without Secure on plain
    /// http, demo sign-ins and a generated secret key. Never on in production.
    pub dev_mode: bool,
    /// The built browser app (Trunk's output).
    pub static_dir: PathBuf,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// Base64 of 32 random bytes; encrypts secrets at rest. Required outside dev mode; in
    /// dev mode one is generated into `data/secret.key` when missing.
    pub secret_key: Option<String>,
    /// `smtp://host:port` or `smtps://user:pass@host`; none keeps mail in the database.
    pub smtp_url: Option<String>,
    /// Sender of every e-mail.
    pub mail_from: String,
    /// Let FSP dispatch endpoints be private, loopback or link-local addresses (a test rig
    /// or an on-premises deployment). Off by default: the platform must not be made to
    /// call into its own network.
    pub allow_private_endpoints: bool,
    /// Dispatch messages one delivery pass claims. Several instances share a burst in
    /// batches of this size.
    pub delivery_batch: u64,
    /// Comma-separated addresses or CIDR ranges of reverse proxies whose
    /// `X-Forwarded-For` is believed. Empty: the TCP peer is the client.
    pub trusted_proxies: String,
    /// Requests per minute one API token or session (or, without either, one client
    /// address) may send to `/api/v2` and `/graphql`.
    pub api_requests_per_minute: u32,
    /// Dev mode only: the server's clock reads this instant (RFC 3339) at start-up and
    /// runs on from there, so that a demo or a browser test meets the same week, month
    /// and finalisation day whenever it runs.
    pub start_clock_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Figment(Box<figment::Error>),
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://localhost:8080".to_owned(),
            database_url: "sqlite://data/openflex.db".to_owned(),
            dev_mode: false,
            static_dir: PathBuf::from("frontend/dist"),
            log_format: LogFormat::Text,
            secret_key: None,
            smtp_url: None,
            mail_from: "Openflex <no-reply@openflex.invalid>".to_owned(),
            allow_private_endpoints: false,
            delivery_batch: 1_000,
            trusted_proxies: String::new(),
            api_requests_per_minute: 6_000,
            start_clock_at: None,
        }
    }
}

impl Settings {
    /// Loads settings. `file` is read when given (it must then exist); otherwise
    /// `openflex.toml` in the working directory is read if present.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(path) => {
                if !path.is_file() {
                    return Err(ConfigError::Invalid(format!(
                        "configuration file {} does not exist",
                        path.display()
                    )));
                }
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("openflex.toml")),
        }
        let settings: Settings = figment
            .merge(
                Env::raw()
                    .only(&["DATABASE_URL"])
                    .map(|_| "database_url".into()),
            )
            .merge(Env::prefixed("OPENFLEX_"))
            .extract()
            .map_err(|e| ConfigError::Figment(Box::new(e)))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return Err(ConfigError::Invalid(
                "public_url must start with http:// or https://".into(),
            ));
        }
        if crate::db::Engine::of(&self.database_url).is_none() {
            return Err(ConfigError::Invalid(
                "database_url must start with sqlite: or postgres://".into(),
            ));
        }
        crate::client::parse_trusted(&self.trusted_proxies).map_err(ConfigError::Invalid)?;
        if self.api_requests_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "api_requests_per_minute must be at least 1".into(),
            ));
        }
        if self.dev_mode && !is_local_http(&self.public_url) {
            return Err(ConfigError::Invalid(
                "dev_mode is only for http://localhost or http://127.0.0.1: it turns on demo \
                 sign-ins, introspection and insecure cookies, so it may not serve a public URL"
                    .into(),
            ));
        }
        if self.start_clock_at.is_some() && !self.dev_mode {
            return Err(ConfigError::Invalid(
                "start_clock_at (OPENFLEX_START_CLOCK_AT) is only for dev mode: a production \
                 server keeps the real time"
                    .into(),
            ));
        }
        if self.secret_key.is_none() && !self.dev_mode {
            return Err(ConfigError::Invalid(
                "secret_key (OPENFLEX_SECRET_KEY) is required outside dev mode".into(),
            ));
        }
        Ok(())
    }

    /// `scheme://host[:port]` of the public URL, as browsers send it in `Origin`.
    pub fn public_origin(&self) -> &str {
        let url = self.public_url.trim_end_matches('/');
        match url.find("://").map(|i| i + 3) {
            Some(start) => match url[start..].find('/') {
                Some(slash) => &url[..start + slash],
                None => url,
            },
            None => url,
        }
    }

    /// The SMTP URL with any password hidden, for logs.
    pub fn smtp_url_redacted(&self) -> String {
        self.smtp_url
            .as_deref()
            .map_or_else(|| "-".to_owned(), redact_url)
    }

    /// The database URL with any password hidden, for logs.
    pub fn database_url_redacted(&self) -> String {
        redact_url(&self.database_url)
    }
}

/// `http://localhost`, `http://127.0.0.1` or `http://[::1]`, with any port and path.
pub fn is_local_http(url: &str) -> bool {
    ["http://localhost", "http://127.0.0.1", "http://[::1]"]
        .iter()
        .any(|prefix| {
            url.strip_prefix(prefix).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with(':') || rest.starts_with('/')
            })
        })
}

pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].find(':') {
            Some(colon) => format!(
                "{}{}:***{}",
                &url[..scheme_end],
                &rest[..colon],
                &rest[at..]
            ),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_logged_database_urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/openflex"),
            "postgres://app:***@db:5432/openflex"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(
            redact_url("sqlite://data/openflex.db"),
            "sqlite://data/openflex.db"
        );
    }

    #[test]
    fn dev_mode_refuses_a_public_url() {
        let dev = |url: &str| Settings {
            dev_mode: true,
            public_url: url.to_owned(),
            ..Settings::default()
        };
        assert!(dev("http://localhost:8080").validate().is_ok());
        assert!(dev("http://127.0.0.1:9000/").validate().is_ok());
        assert!(dev("https://flex.example.com").validate().is_err());
        assert!(dev("http://localhost.example.com").validate().is_err());
        let proxies = Settings {
            trusted_proxies: "10.0.0.0/8,nonsense".to_owned(),
            ..dev("http://localhost:8080")
        };
        assert!(proxies.validate().is_err());
    }

    #[test]
    fn a_fixed_start_clock_is_for_dev_mode_only() {
        let start = chrono::DateTime::parse_from_rfc3339("2026-03-10T12:00:00Z")
            .map(|t| t.to_utc())
            .ok();
        let production = Settings {
            secret_key: Some("k".to_owned()),
            start_clock_at: start,
            ..Settings::default()
        };
        assert!(production.validate().is_err());
        let dev = Settings {
            dev_mode: true,
            start_clock_at: start,
            ..Settings::default()
        };
        assert!(dev.validate().is_ok());
        let clock = crate::state::ShiftedClock::starting_at(start.expect("instant"));
        let now = crate::state::Clock::now(&clock);
        let drift = (now - start.expect("instant")).num_seconds();
        assert!((0..60).contains(&drift), "{now}");
    }

    #[test]
    fn public_origin_drops_the_path() {
        let s = Settings {
            public_url: "https://flex.example.com/portal/".to_owned(),
            ..Settings::default()
        };
        assert_eq!(s.public_origin(), "https://flex.example.com");
        assert_eq!(Settings::default().public_origin(), "http://localhost:8080");
    }
}
