//! Signed delivery to FSP endpoints (Standard Webhooks): `webhook-id`, `webhook-timestamp`
//! and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under the
//! company's `whsec_` secret. Endpoints are checked before every send, and the request goes
//! to the addresses that were checked, so a name that re-resolves to an internal address
//! between check and send cannot reach the platform's own network.

use super::ServiceError;
use crate::config::Settings;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use reqwest::Url;
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// Standard Webhooks' secret prefix.
pub const SECRET_PREFIX: &str = "whsec_";
/// An endpoint that has not answered 2xx by then has not received the message.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an endpoint's answer is kept with the attempt.
const EXCERPT: usize = 300;

/// A new signing secret: `whsec_` and base64 of 32 random bytes.
pub fn new_secret() -> Result<String, ServiceError> {
    let bytes = crate::crypto::random_bytes::<32>().map_err(super::accounts::crypto_error)?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)))
}

/// The `webhook-signature` header value for a message.
pub fn signature(
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, ServiceError> {
    let key = STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .map_err(|_| internal("signing secret"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| internal("signing key"))?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

fn internal(what: &str) -> ServiceError {
    ServiceError::Internal(sea_orm::DbErr::Custom(format!("{what} is unusable")))
}

/// Addresses a dispatch may never be sent to unless the deployment allows it: private,
/// loopback, link-local, carrier-grade NAT (100.64.0.0/10), IETF protocol assignments
/// (192.0.0.0/24), benchmarking (198.18.0.0/15), reserved (240.0.0.0/4), unspecified,
/// broadcast and multicast; in IPv6 also unique-local and link-local, and every form that
/// embeds an IPv4 address a router may translate into one of those (IPv4-mapped and
/// -compatible, NAT64 64:ff9b::/96, 6to4 2002::/16): those are refused outright.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240
                || a == 0
        }
        IpAddr::V6(v6) => {
            let seg = v6.segments();
            let first = seg[0];
            let embeds_v4 = v6.to_ipv4_mapped().is_some()
                // IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks)
                || seg[..6].iter().all(|s| *s == 0)
                // NAT64 well-known prefix 64:ff9b::/96 and local-use 64:ff9b:1::/48
                || (first == 0x0064 && seg[1] == 0xff9b)
                // 6to4
                || first == 0x2002;
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || embeds_v4
        }
    }
}

/// Checks the form of an endpoint base URL: absolute, `https` (plain `http` in dev mode
/// only), no credentials or fragment.
pub fn check_form(url: &str, settings: &Settings) -> Result<Url, ServiceError> {
    let refuse = |reason: &str| ServiceError::invalid("endpoint_url", reason);
    let parsed = Url::parse(url.trim())
        .map_err(|_| refuse("must be an absolute URL such as https://fsp.example/openflex"))?;
    match parsed.scheme() {
        "https" => {}
        "http" if settings.dev_mode => {}
        "http" => return Err(refuse("must use https")),
        _ => return Err(refuse("must be an https URL")),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(refuse("must name a host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(refuse("must not carry a user name or password"));
    }
    if parsed.fragment().is_some() {
        return Err(refuse("must not have a #fragment"));
    }
    Ok(parsed)
}

/// Resolves the URL's host and refuses internal addresses unless allowed.
pub async fn resolve(url: &Url, settings: &Settings) -> Result<Vec<SocketAddr>, ServiceError> {
    let refuse = |reason: String| ServiceError::invalid("endpoint_url", reason);
    let host = url
        .host_str()
        .ok_or_else(|| refuse("must name a host".to_owned()))?;
    let port = url.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| refuse(format!("{host} does not resolve: {e}")))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(refuse(format!("{host} does not resolve")));
    }
    if !settings.allow_private_endpoints
        && let Some(bad) = addrs.iter().find(|a| is_internal(a.ip()))
    {
        // The resolved address is not echoed: that would map the internal network.
        tracing::info!(%host, address = %bad.ip(), "dispatch endpoint refused: internal address");
        return Err(refuse(format!(
            "{host} resolves to an internal or reserved address; this deployment does not \
             send to those"
        )));
    }
    Ok(addrs)
}

/// Which message an attempt was for, and where it went.
pub struct Attempted<'a> {
    pub company_id: i32,
    pub message_id: &'a str,
    pub instruction: &'a str,
    /// Sent from Dispatch V2 Testing.
    pub test: bool,
    pub url: &'a str,
}

/// What came of one POST.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub status: Option<u16>,
    pub latency_ms: i32,
    pub error: Option<String>,
    pub body_excerpt: Option<String>,
}

impl Sent {
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// Records this attempt for the company's endpoint health panel.
    pub async fn record(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        of: Attempted<'_>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::db::entities::delivery_attempts::Model, ServiceError> {
        use sea_orm::ActiveModelTrait;
        Ok(self.row(of, now).insert(db).await?)
    }

    /// The health-panel row for this attempt, for writing many at once.
    pub fn row(
        &self,
        of: Attempted<'_>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> crate::db::entities::delivery_attempts::ActiveModel {
        use sea_orm::Set;
        crate::db::entities::delivery_attempts::ActiveModel {
            company_id: Set(of.company_id),
            message_id: Set(of.message_id.to_owned()),
            instruction: Set(of.instruction.to_owned()),
            test: Set(of.test),
            url: Set(of.url.to_owned()),
            attempted_at: Set(now),
            status_code: Set(self.status.map(i32::from)),
            latency_ms: Set(self.latency_ms),
            error: Set(self.error.clone()),
            body_excerpt: Set(self.body_excerpt.clone()),
            ..Default::default()
        }
    }
}

/// POSTs a signed JSON message to `url`, connecting only to `addrs`, within [`TIMEOUT`],
/// never following redirects.
pub async fn post(
    url: &Url,
    addrs: &[SocketAddr],
    message_id: &str,
    timestamp: i64,
    body: Vec<u8>,
    secret: &str,
) -> Result<Sent, ServiceError> {
    let client = client_for(url, addrs)?;
    post_with(&client, url, message_id, timestamp, body, secret).await
}

/// An HTTP client for one endpoint: it connects only to `addrs` (the addresses that were
/// checked), gives up after [`TIMEOUT`] and never follows redirects. Reused across the
/// messages of a delivery pass so that connections are too.
pub fn client_for(url: &Url, addrs: &[SocketAddr]) -> Result<reqwest::Client, ServiceError> {
    let mut builder = reqwest::Client::builder()
        // A proxy from the environment would see (and could redirect) every dispatch, and
        // would connect to addresses we never checked.
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .user_agent(concat!("Openflex/", env!("CARGO_PKG_VERSION")));
    if let Some(host) = url.host_str() {
        builder = builder.resolve_to_addrs(host, addrs);
    }
    builder.build().map_err(|_| internal("HTTP client"))
}

/// POSTs a signed JSON message with a client from [`client_for`].
pub async fn post_with(
    client: &reqwest::Client,
    url: &Url,
    message_id: &str,
    timestamp: i64,
    body: Vec<u8>,
    secret: &str,
) -> Result<Sent, ServiceError> {
    let signed = signature(secret, message_id, timestamp, &body)?;
    let started = Instant::now();
    let result = client
        .post(url.clone())
        .header("content-type", "application/json")
        .header("webhook-id", message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signed)
        .body(body)
        .send()
        .await;
    let elapsed = || i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    Ok(match result {
        Ok(response) => {
            let status = response.status().as_u16();
            let text = read_at_most(response, MAX_ANSWER_BYTES).await;
            Sent {
                status: Some(status),
                latency_ms: elapsed(),
                error: None,
                body_excerpt: Some(text.chars().take(EXCERPT).collect()),
            }
        }
        Err(e) => Sent {
            status: None,
            latency_ms: elapsed(),
            error: Some(describe(&e)),
            body_excerpt: None,
        },
    })
}

/// The most of an endpoint's answer that is read: the status decides delivery, the start
/// of the body is kept for the health panel, and an endpoint cannot make us read more.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024;

/// Up to `limit` bytes of a response body, as text; the rest is never read.
async fn read_at_most(mut response: reqwest::Response, limit: usize) -> String {
    let mut kept = Vec::new();
    while kept.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - kept.len();
                kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// A transport error in words, with its causes (reqwest's own message is terse).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out after 10 s"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    match causes.last() {
        Some(root) => format!("{kind}: {root}"),
        None => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_library() {
        let secret = new_secret().expect("secret");
        let body = br#"{"version":"2","type":"dispatch.start"}"#;
        let reference = standardwebhooks::Webhook::new(&secret)
            .expect("secret")
            .sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body)
            .expect("sign");
        assert_eq!(
            signature(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body).ok(),
            Some(reference)
        );
    }

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "10.1.2.3",
            "127.0.0.1",
            "169.254.169.254",
            "192.168.0.1",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
            "64:ff9b::a00:1",
            "64:ff9b::808:808",
            "2002:7f00:1::1",
            "::127.0.0.1",
            "::808:808",
            "100.127.255.254",
            "192.0.0.8",
            "198.18.0.1",
            "198.19.255.1",
            "240.0.0.1",
            "255.255.255.254",
        ] {
            assert!(is_internal(ip.parse().expect("ip")), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "2a00:1450:4009::200e",
            "100.128.0.1",
            "192.0.2.1",
            "198.20.0.1",
        ] {
            assert!(!is_internal(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn endpoint_urls_need_https_outside_dev_mode() {
        let production = Settings::default();
        let dev = Settings {
            dev_mode: true,
            ..Settings::default()
        };
        assert!(check_form("https://fsp.example/openflex", &production).is_ok());
        assert!(check_form("http://fsp.example/openflex", &production).is_err());
        assert!(check_form("http://localhost:9000", &dev).is_ok());
        assert!(check_form("https://user:pw@fsp.example", &production).is_err());
        assert!(check_form("ftp://fsp.example", &production).is_err());
        assert!(check_form("fsp.example", &production).is_err());
    }
}
